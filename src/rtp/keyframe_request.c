/* PLI and FIR (RFC 4585 6.3.1, RFC 5104 4.3.1) debounced into one keyframe request. */
#include "rtp/keyframe_request.h"

#include <string.h>

#include "boltrtc/error.h"
#include "rtp/rtcp.h"

void brtc_keyframe_request_init(brtc_keyframe_request *k, uint32_t ssrc,
                                uint64_t min_interval_us) {
  memset(k, 0, sizeof *k);
  k->ssrc = ssrc;
  k->min_interval_us = min_interval_us ? min_interval_us : BRTC_KEYFRAME_MIN_INTERVAL_US;
}

void brtc_keyframe_request_set_rtt(brtc_keyframe_request *k, uint64_t rtt_us) {
  k->rtt_us = rtt_us;
}

/* from_peer: a PLI or FIR, which may predate our last keyframe; a local need never does. */
static void request(brtc_keyframe_request *k, uint64_t now_us, bool from_peer) {
  uint64_t settle = k->rtt_us > k->min_interval_us ? k->rtt_us : k->min_interval_us;
  if (from_peer && k->keyframe_at_valid && now_us < k->keyframe_at_us + settle) {
    k->stats.stale++;
    return;
  }
  /* Bounded by when it should have left, so that a keyframe lost from the queue (its stream
   * purged) cannot silence the peer for good. */
  if (from_peer && k->queued && now_us < k->queued_until_us + settle) {
    k->stats.stale++;
    return;
  }
  /* Asked and no keyframe since (queued or sent): the encoder is on it. A need that arises
   * after the answer was queued (a frame behind it refused) is a new one. */
  uint64_t answered_at = k->queued ? k->queued_at_us : k->keyframe_at_us;
  bool answered = k->queued || k->keyframe_at_valid;
  bool serving = k->asked_at_valid && now_us < k->asked_at_us + k->min_interval_us &&
                 !(answered && answered_at >= k->asked_at_us);
  if (k->wanted || serving) {
    k->stats.coalesced++;
    return;
  }
  k->wanted = true;
}

void brtc_keyframe_request_on_pli(brtc_keyframe_request *k, uint64_t now_us) {
  k->stats.pli++;
  request(k, now_us, true);
}

void brtc_keyframe_request_on_fir(brtc_keyframe_request *k, uint32_t sender_ssrc,
                                  const uint8_t *fci, size_t fci_len, uint64_t now_us) {
  uint8_t seq;
  if (brtc_rtcp_fir_seq(fci, fci_len, k->ssrc, &seq) != BRTC_OK) return;
  k->stats.fir++;
  size_t i = 0;
  while (i < BRTC_KEYFRAME_FIR_SENDERS && !(k->fir[i].used && k->fir[i].sender == sender_ssrc))
    i++;
  if (i < BRTC_KEYFRAME_FIR_SENDERS) {
    if (k->fir[i].seq == seq) { /* RFC 5104 4.3.1.2: a repetition, not a new request */
      k->stats.fir_repeats++;
      return;
    }
  } else {
    i = k->fir_next; /* remember this sender in place of the oldest one */
    k->fir_next = (k->fir_next + 1) % BRTC_KEYFRAME_FIR_SENDERS;
    k->fir[i].used = true;
    k->fir[i].sender = sender_ssrc;
  }
  k->fir[i].seq = seq;
  request(k, now_us, true);
}

void brtc_keyframe_request_local(brtc_keyframe_request *k, uint64_t now_us) {
  k->stats.local++;
  request(k, now_us, false);
}

bool brtc_keyframe_request_take(brtc_keyframe_request *k, uint64_t now_us) {
  if (!k->wanted) return false;
  k->wanted = false;
  k->asked_at_valid = true;
  k->asked_at_us = now_us;
  k->stats.asked++;
  return true;
}

void brtc_keyframe_request_on_keyframe_queued(brtc_keyframe_request *k, uint64_t now_us,
                                              uint64_t leaves_by_us) {
  k->queued = true;
  k->queued_at_us = now_us;
  k->queued_until_us = leaves_by_us > now_us ? leaves_by_us : now_us;
  k->wanted = false; /* whatever was pending, this keyframe answers it */
}

void brtc_keyframe_request_still_queued(brtc_keyframe_request *k, uint64_t leaves_by_us) {
  if (k->queued && leaves_by_us > k->queued_until_us) k->queued_until_us = leaves_by_us;
}

void brtc_keyframe_request_on_keyframe_sent(brtc_keyframe_request *k, uint64_t now_us) {
  k->stats.keyframes_sent++;
  k->keyframe_at_valid = true;
  k->keyframe_at_us = now_us;
  /* A keyframe the owner did not announce as queued answers what is pending; one that was
   * queued answered it then, and what was wanted since is a need behind it. */
  if (!k->queued) k->wanted = false;
  k->queued = false;
}
