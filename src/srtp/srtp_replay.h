/* Packet index bookkeeping for one SSRC: the RFC 3711 appendix A index estimate (ROC
 * tracking) and a sliding replay window of BRTC_SRTP_REPLAY_WINDOW packets. */
#ifndef BRTC_SRTP_REPLAY_H
#define BRTC_SRTP_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "srtp/srtp.h"

#define BRTC_SRTP_REPLAY_WORDS (BRTC_SRTP_REPLAY_WINDOW / 64)
_Static_assert(BRTC_SRTP_REPLAY_WINDOW % 64 == 0 && BRTC_SRTP_REPLAY_WINDOW >= 64,
               "replay window is a whole number of 64-bit words");

/* top is the highest index accepted so far; bit d of mask says index top - d was seen.
 * For RTP the index is ROC * 65536 + SEQ (48 bits); for RTCP the 31-bit SRTCP index. */
typedef struct brtc_srtp_replay {
  uint64_t top;
  uint64_t mask[BRTC_SRTP_REPLAY_WORDS];
  bool started;
} brtc_srtp_replay;

/* The RTP packet index a sequence number most likely belongs to (RFC 3711 appendix A).
 * BRTC_ERR_REPLAY if it can only belong before the stream began (ROC would be -1),
 * BRTC_ERR_LIMIT if the 48-bit index is exhausted. */
int brtc_srtp_rtp_index(const brtc_srtp_replay *w, uint16_t seq, uint64_t *index);

/* BRTC_OK if index is new and not too old for the window, else BRTC_ERR_REPLAY.
 * Does not change the window: call brtc_srtp_replay_accept once the packet authenticates. */
int brtc_srtp_replay_check(const brtc_srtp_replay *w, uint64_t index);
void brtc_srtp_replay_accept(brtc_srtp_replay *w, uint64_t index);

#endif
