/* What the HTTP core's files share: the queue of response bytes, writing a response head
 * into it, and splitting a request target. Not for the core's users (http.h is). */
#ifndef BRTC_HTTP_INTERNAL_H
#define BRTC_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"

/* Response bytes not yet taken by the owner: one growing buffer, read from off. */
typedef struct brtc_http_out {
  uint8_t *buf;
  size_t off, len, cap; /* bytes waiting: buf[off .. len) */
} brtc_http_out;

int brtc_http_out_append(brtc_http_out *o, const void *data, size_t n);
size_t brtc_http_out_take(brtc_http_out *o, uint8_t *buf, size_t cap);
static inline size_t brtc_http_out_pending(const brtc_http_out *o) { return o->len - o->off; }
void brtc_http_out_free(brtc_http_out *o);

/* Append a response head: status line, Content-Type, Content-Length (content_length, left
 * out for 1xx, 204 and 304), r's extra headers, Connection: close when close. r->status is
 * used unless status is non-zero. BRTC_ERR_INVALID for a header that would break the
 * message (CR, LF or NUL in it, or a name that is not a token). */
int brtc_http_write_head(brtc_http_out *o, int status, const brtc_http_response *r,
                         uint64_t content_length, bool close);
/* A plain-text reply "<reason>\n" with Connection: close: what the core sends when it
 * refuses a request. */
int brtc_http_write_refusal(brtc_http_out *o, int status, const char *reason, bool head_only);

/* Split a request target into its path, percent-decoded into path (cap bytes with the NUL),
 * and its query (pointing into target, "" when none). Origin form ("/a?b"), absolute form
 * ("http://h/a?b") and "*" are accepted. Returns 0, or an HTTP status (400) with *why set. */
int brtc_http_split_target(const char *target, char *path, size_t cap, const char **query,
                           const char **why);

#endif
