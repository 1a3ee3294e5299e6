/* SRTP and SRTCP (RFC 3711, RFC 7714) on OpenSSL EVP: AES_CM_128_HMAC_SHA1_80 and
 * AEAD_AES_128_GCM. Ciphers fetched once; contexts keyed once per session; in-place
 * protect and unprotect; no allocation per packet. */
#ifndef BRTC_SRTP_H
#define BRTC_SRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtls/dtls.h" /* brtc_srtp_profile_id */

#define BRTC_SRTP_MAX_STREAMS 16      /* SSRCs tracked per direction */
#define BRTC_SRTP_REPLAY_WINDOW 128   /* packets */
#define BRTC_SRTP_MAX_TRAILER 16      /* bytes protect may add to RTP (tag) */
#define BRTC_SRTCP_MAX_TRAILER 20     /* bytes protect may add to RTCP (E|index + tag) */

typedef enum brtc_srtp_direction {
  BRTC_SRTP_OUTBOUND = 0, /* protect */
  BRTC_SRTP_INBOUND,      /* unprotect */
} brtc_srtp_direction;

typedef struct brtc_srtp brtc_srtp;

/* key: 16 bytes; salt: 14 (CM) or 12 (GCM). */
brtc_srtp *brtc_srtp_new(brtc_srtp_profile_id profile, brtc_srtp_direction dir,
                         const uint8_t *key, size_t key_len, const uint8_t *salt, size_t salt_len);
void brtc_srtp_free(brtc_srtp *s);

/* Protect in place: pkt holds len bytes of RTP, cap >= len + BRTC_SRTP_MAX_TRAILER.
 * *out_len gets the protected length. */
int brtc_srtp_protect(brtc_srtp *s, uint8_t *pkt, size_t len, size_t cap, size_t *out_len);
/* Protect len bytes of RTP at in into out (cap >= len + BRTC_SRTP_MAX_TRAILER), leaving in as
 * it was: a sender's packet stays in its history in the clear, and the encryption writes the
 * datagram. in == out is the in-place protect; other overlaps are not allowed. */
int brtc_srtp_protect_to(brtc_srtp *s, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                         size_t *out_len);
/* Unprotect in place. BRTC_ERR_AUTH on a bad tag, BRTC_ERR_REPLAY on a replay,
 * BRTC_ERR_PARSE on a malformed packet, BRTC_ERR_LIMIT if too many SSRCs. */
int brtc_srtp_unprotect(brtc_srtp *s, uint8_t *pkt, size_t len, size_t *out_len);
/* For an RTP packet brtc_srtp_unprotect refused with BRTC_ERR_REPLAY: authenticate it
 * anyway, leaving the replay window as it is. SRTP's replay list knows only that an index
 * was accepted before, not who sent it again: a sender that resends a packet on its own SSRC
 * (in answer to a NACK) sends the very same index, exactly as a replaying attacker would.
 * The caller asks this only for a packet it had asked to be resent. BRTC_OK: authentic (the
 * sender really sent it twice); BRTC_ERR_AUTH: not; pkt is left undefined either way. */
int brtc_srtp_authenticate_again(brtc_srtp *s, uint8_t *pkt, size_t len);
int brtc_srtcp_protect(brtc_srtp *s, uint8_t *pkt, size_t len, size_t cap, size_t *out_len);
int brtc_srtcp_unprotect(brtc_srtp *s, uint8_t *pkt, size_t len, size_t *out_len);

#endif
