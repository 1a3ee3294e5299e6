/* Datagrams described for people, one line each: what a debug log shows and what a learner
 * reads (boltrtc serve --log-level debug). Pure functions of the bytes: no state, no I/O. */
#ifndef BOLTRTC_INSPECT_H
#define BOLTRTC_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boltrtc/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Room that always holds a whole description (longer ones are cut with "..."). */
#define BRTC_INSPECT_LINE 640

typedef enum brtc_inspect_kind {
  BRTC_INSPECT_UNKNOWN = 0,
  BRTC_INSPECT_STUN,  /* RFC 8489 */
  BRTC_INSPECT_DTLS,  /* RFC 6347 records */
  BRTC_INSPECT_SRTP,  /* on the wire: the RTP header in clear, the payload encrypted */
  BRTC_INSPECT_SRTCP, /* on the wire: the first RTCP header in clear */
  BRTC_INSPECT_RTP,   /* plaintext */
  BRTC_INSPECT_RTCP,  /* plaintext compound */
} brtc_inspect_kind;

/* Describes one datagram into out (always NUL-terminated when cap > 0). plaintext: the bytes
 * are an RTP packet or RTCP compound after SRTP unprotect (the pc's packet tap), else a
 * datagram as it was on the wire, told apart by its first byte (RFC 7983). Malformed input
 * is described as such, never trusted. */
BRTC_EXPORT brtc_inspect_kind brtc_inspect_describe(const uint8_t *data, size_t len,
                                                    bool plaintext, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
