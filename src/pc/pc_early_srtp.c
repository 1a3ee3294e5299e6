/* SRTP and SRTCP that arrive before DTLS has keyed SRTP.
 *
 * As the DTLS client we are connected only when the server's Finished arrives; the server is
 * connected, and sends media, as soon as it has sent that Finished (RFC 6347 4.2.4). When that
 * flight is lost or overtaken, the first packets of the first keyframe come before we hold
 * the keys (RFC 5764 4.1.2: SRTP is keyed from the finished handshake). Dropping them costs
 * the first picture a NACK round or a new keyframe; instead a few are held, from addresses
 * that passed an ICE check only, and read once the keys are there. The hold is bounded per
 * session and made only when such a packet comes, so a peer can spend only its own session's
 * memory on it; what does not fit is dropped and counted as before. */
#include <stdlib.h>
#include <string.h>

#include "pc/pc_internal.h"

#define EARLY_MAX_PACKETS 64
#define EARLY_MAX_BYTES (96 * 1024) /* a 640x480 first keyframe is ~10 to 40 packets */

struct pc_early_srtp {
  size_t n, used;
  uint16_t len[EARLY_MAX_PACKETS];
  brtc_addr from[EARLY_MAX_PACKETS];
  uint8_t bytes[EARLY_MAX_BYTES];
};

bool pc_early_srtp_hold(brtc_pc *pc, const uint8_t *data, size_t len, const brtc_addr *from) {
  if (pc->srtp_in || !pc->dtls || pc->failed || pc->closed ||
      pc->steps_done[BRTC_STEP_DTLS_CONNECTED])
    return false; /* keyed already, or no SRTP is coming on this session */
  if (!pc->early_srtp) {
    pc->early_srtp = malloc(sizeof(*pc->early_srtp));
    if (!pc->early_srtp) return false;
    pc->early_srtp->n = pc->early_srtp->used = 0;
  }
  struct pc_early_srtp *e = pc->early_srtp;
  if (e->n == EARLY_MAX_PACKETS || len > EARLY_MAX_BYTES - e->used) return false;
  memcpy(e->bytes + e->used, data, len);
  e->len[e->n] = (uint16_t)len;
  e->from[e->n] = *from;
  e->n++;
  e->used += len;
  pc->stats.srtp_early_held++;
  return true;
}

void pc_early_srtp_replay(brtc_pc *pc, pc_srtp_reader read) {
  struct pc_early_srtp *e = pc->early_srtp;
  if (!e) return;
  pc->early_srtp = NULL; /* the reader must not hold them again */
  size_t off = 0;
  for (size_t i = 0; i < e->n && !pc->failed && !pc->closed; i++) {
    read(pc, e->bytes + off, e->len[i], &e->from[i]);
    off += e->len[i];
  }
  free(e);
}

size_t pc_early_srtp_discard(brtc_pc *pc) {
  size_t n = pc->early_srtp ? pc->early_srtp->n : 0;
  free(pc->early_srtp);
  pc->early_srtp = NULL;
  return n;
}
