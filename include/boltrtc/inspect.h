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

/* ---- Field by field: the packet inspector (/inspect) ----
 * Every field of a datagram with the bytes it covers, its value, what it is for and where
 * the standard says so, so that a page can show a hex dump with the decoded fields beside
 * it. Like brtc_inspect_describe, a pure function of the bytes (and of what the session
 * negotiated, which the bytes alone do not say): no state, no I/O, malformed input is
 * decoded as far as it goes and said to be malformed. */

#define BRTC_INSPECT_UFRAG_MAX 64
#define BRTC_INSPECT_NAME_MAX 40
#define BRTC_INSPECT_VALUE_MAX 112

/* The RTP header extensions the inspector decodes (RFC 8285: their ids come from a=extmap). */
typedef enum brtc_inspect_ext {
  BRTC_INSPECT_EXT_NONE = 0,
  BRTC_INSPECT_EXT_MID,           /* urn:ietf:params:rtp-hdrext:sdes:mid (RFC 8843 15.1) */
  BRTC_INSPECT_EXT_ABS_SEND_TIME, /* http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time */
  BRTC_INSPECT_EXT_TRANSPORT_CC,  /* draft-holmer-rmcat-transport-wide-cc-extensions-01 */
  BRTC_INSPECT_EXT_AUDIO_LEVEL,   /* urn:ietf:params:rtp-hdrext:ssrc-audio-level (RFC 6464) */
  BRTC_INSPECT_EXT_TOFFSET,       /* urn:ietf:params:rtp-hdrext:toffset (RFC 5450) */
  BRTC_INSPECT_EXT_VIDEO_ORIENTATION, /* urn:3gpp:video-orientation */
  BRTC_INSPECT_EXT_RID,           /* urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id (RFC 8852) */
  BRTC_INSPECT_EXT_REPAIRED_RID,  /* ...:sdes:repaired-rtp-stream-id (RFC 8852) */
  BRTC_INSPECT_EXT_OTHER,         /* negotiated, not decoded */
} brtc_inspect_ext;

/* The payload formats the inspector reads (from a=rtpmap). */
typedef enum brtc_inspect_codec {
  BRTC_INSPECT_CODEC_NONE = 0,
  BRTC_INSPECT_CODEC_VP8,  /* RFC 7741 */
  BRTC_INSPECT_CODEC_H264, /* RFC 6184 */
  BRTC_INSPECT_CODEC_OPUS, /* RFC 7587 */
  BRTC_INSPECT_CODEC_RTX,  /* RFC 4588 */
  BRTC_INSPECT_CODEC_OTHER,
} brtc_inspect_codec;

/* What a session negotiated, filled from its SDP by brtc_inspect_context_add_sdp: opaque,
 * made by brtc_inspect_context_new. A new context knows nothing (extensions and payloads are
 * then shown undecoded). */
typedef struct brtc_inspect_context brtc_inspect_context;

/* NULL if out of memory. */
BRTC_EXPORT brtc_inspect_context *brtc_inspect_context_new(void);
BRTC_EXPORT void brtc_inspect_context_free(brtc_inspect_context *ctx);
/* Reads one SDP's a=ice-ufrag, and, from our own (local: the answer, which says what was
 * negotiated), a=extmap and a=rtpmap. sdp need not be NUL-terminated. */
BRTC_EXPORT void brtc_inspect_context_add_sdp(brtc_inspect_context *ctx, const char *sdp,
                                              size_t len, bool local);
/* The SRTP profile's name as brtc_pc_stats says it ("AEAD_AES_128_GCM", ...): it says how
 * long the authentication tag is (RFC 3711 4.2, RFC 7714 14). */
BRTC_EXPORT void brtc_inspect_context_set_srtp(brtc_inspect_context *ctx, const char *profile);
/* What the context learnt: the ICE ufrag (local: ours, the server's; else the peer's; ""
 * when none, at most BRTC_INSPECT_UFRAG_MAX characters, printable), the extension an id
 * (1-255) was negotiated for, the payload format of a payload type (0-127). */
BRTC_EXPORT const char *brtc_inspect_context_ufrag(const brtc_inspect_context *ctx, bool local);
BRTC_EXPORT brtc_inspect_ext brtc_inspect_context_ext(const brtc_inspect_context *ctx,
                                                      unsigned id);
BRTC_EXPORT brtc_inspect_codec brtc_inspect_context_codec(const brtc_inspect_context *ctx,
                                                          unsigned payload_type);

/* One field: bytes [offset, offset + len) of the datagram, at depth 0 (a part: a header, an
 * attribute, a record, a message, an RTCP packet), 1 (a field of it) or 2 (inside that).
 * Decoded into an array the caller allocates, whose element size the caller passes
 * (sizeof(brtc_inspect_field) as it was compiled): later versions only ever add members at
 * the end, and fill only what the caller's element has room for. */
typedef struct brtc_inspect_field {
  uint32_t offset, len;
  uint8_t depth;
  char name[BRTC_INSPECT_NAME_MAX];
  char value[BRTC_INSPECT_VALUE_MAX]; /* printable ASCII; "" when the part has no one value */
  const char *meaning;                /* static: what it is for; NULL: nothing to add */
  const char *ref;                    /* static: "RFC 8489 14.3"; NULL: none */
} brtc_inspect_field;

/* Decodes one datagram (plaintext as for brtc_inspect_describe) into at most cap fields of
 * field_size bytes each (sizeof(brtc_inspect_field)), in the order of their bytes; returns
 * how many there were in all (more than cap: the rest were left out). ctx may be NULL; out
 * may be NULL with cap 0 to count only. Given fields to fill, a field_size smaller than the
 * first version's writes nothing and returns 0 (a datagram, even an empty one, always has
 * a field). */
BRTC_EXPORT size_t brtc_inspect_decode(const uint8_t *data, size_t len, bool plaintext,
                                       const brtc_inspect_context *ctx, brtc_inspect_field *out,
                                       size_t cap, size_t field_size);

#ifdef __cplusplus
}
#endif
#endif
