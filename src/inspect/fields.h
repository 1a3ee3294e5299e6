/* What the field decoders of the packet inspector share (include/boltrtc/inspect.h): the
 * list they append to, and the datagram they read. Every read is checked against the
 * datagram's length here, so a decoder never reads past it. */
#ifndef BRTC_INSPECT_FIELDS_H
#define BRTC_INSPECT_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boltrtc/inspect.h"
#include "inspect/context.h"

typedef struct brtc_fields {
  uint8_t *out;      /* the caller's array, */
  size_t field_size; /* ... its element size (brtc_inspect_decode) */
  size_t cap, n; /* n counts every field, kept or not */
  const uint8_t *data;
  size_t len;
  const brtc_inspect_context *ctx; /* never NULL (a zeroed one stands in) */
} brtc_fields;

/* Appends a field covering [off, off + len) (clamped to the datagram); value is printf-like.
 * False when it was counted but left out (cap reached). */
bool brtc_fields_add(brtc_fields *f, size_t off, size_t len, int depth,
                                    const char *name, const char *ref, const char *meaning,
                                    const char *fmt, ...) __attribute__((format(printf, 8, 9)));
/* Printable ASCII of s (others as '?'), at most max characters, into a value. */
void brtc_fields_text(char *dst, size_t cap, const uint8_t *s, size_t n);
/* Lowercase hex of up to max bytes, "..." after when there were more. */
void brtc_fields_hex(char *dst, size_t cap, const uint8_t *s, size_t n, size_t max);

/* Names both the one-line describer and the field decoder use. */
const char *brtc_inspect_stun_method(uint16_t type);   /* "Binding", ... (RFC 8489 18.2) */
const char *brtc_inspect_stun_class(uint16_t type);    /* "request", ... (RFC 8489 5) */
const char *brtc_inspect_handshake_name(uint8_t type); /* "ClientHello", ... (RFC 5246 7.4) */

void brtc_fields_stun(brtc_fields *f);
void brtc_fields_dtls(brtc_fields *f);
/* RTP from offset 0; header_only: SRTP on the wire, whose payload is encrypted. Returns the
 * header's length (0 when malformed). */
size_t brtc_fields_rtp(brtc_fields *f, bool header_only);
/* A plaintext RTCP compound. */
void brtc_fields_rtcp(brtc_fields *f);

#endif
