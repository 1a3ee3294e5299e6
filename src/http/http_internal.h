/* What the HTTP core's files share: writing a response head
 * into it, and splitting a request target. Not for the core's users (http.h is). */
#ifndef BRTC_HTTP_INTERNAL_H
#define BRTC_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/byte_queue.h"
#include "http/http.h"

/* Response bytes not yet taken by the owner. */
typedef brtc_byte_queue brtc_http_out;

/* The Connection header a response carries: none (HTTP/1.1 keeps the connection), close,
 * or keep-alive (an HTTP/1.0 client that asked for it, RFC 9112 9.3). */
typedef enum brtc_http_connection {
  BRTC_HTTP_CONN_DEFAULT = 0,
  BRTC_HTTP_CONN_CLOSE,
  BRTC_HTTP_CONN_KEEP_ALIVE,
} brtc_http_connection;

/* Append a response head: status line, Content-Type, Content-Length (content_length, left
 * out for 1xx, 204 and 304), r's extra headers, the Connection header. r->status is used
 * unless status is non-zero. BRTC_ERR_INVALID for a header that would break the message (CR,
 * LF or NUL in it, or a name that is not a token). */
int brtc_http_write_head(brtc_http_out *o, int status, const brtc_http_response *r,
                         uint64_t content_length, brtc_http_connection connection);
/* A plain-text reply "<reason>\n" with Connection: close: what the core sends when it
 * refuses a request. */
int brtc_http_write_refusal(brtc_http_out *o, int status, const char *reason, bool head_only);

/* Split a request target into its path, percent-decoded into path (cap bytes with the NUL),
 * and its query (pointing into target, "" when none). Origin form ("/a?b"), absolute form
 * ("http://h/a?b") and "*" are accepted. Returns 0, or an HTTP status (400) with *why set. */
int brtc_http_split_target(const char *target, char *path, size_t cap, const char **query,
                           const char **why);

#endif
