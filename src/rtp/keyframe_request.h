/* PLI (RFC 4585 6.3.1) and FIR (RFC 5104 4.3.1) received for one outgoing video SSRC, turned
 * into one debounced "keyframe wanted" signal for the owner, who asks its encoder (or skips a
 * file source to its next keyframe).
 *
 * Several requests can mean one need: a receiver repeats its PLI until a keyframe arrives, a
 * FIR is retransmitted with the same command sequence number (RFC 5104 4.3.1.2), and requests
 * sent before our keyframe reached the peer still arrive after we sent it. So:
 *  - a FIR whose sequence number repeats the last one from the same sender is the same request;
 *  - requests are coalesced while one waits for the owner, and while the owner's encoder works
 *    on it (until a keyframe is sent, or for min_interval);
 *  - requests arriving less than max(min_interval, RTT) after a keyframe left were sent before
 *    it could arrive, and are dropped (libwebrtc keeps keyframes min_interval = 300 ms apart);
 *  - so are those arriving while a keyframe is still queued in the pacer (until it should
 *    have left, then the same settling time): a large keyframe on a slow link takes seconds
 *    to pace out, and a receiver that repeats its PLI meanwhile would otherwise have a second
 *    keyframe queued behind the first, and so on (libwebrtc answers them with the keyframe
 *    it is already sending).
 * Each is counted. A keyframe the owner needs for its own reasons (a frame it had to drop) is
 * asked with brtc_keyframe_request_local: coalesced the same way, but never stale. */
#ifndef BRTC_KEYFRAME_REQUEST_H
#define BRTC_KEYFRAME_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BRTC_KEYFRAME_MIN_INTERVAL_US 300000u
#define BRTC_KEYFRAME_FIR_SENDERS 4 /* FIR senders whose last sequence number we remember */

typedef struct brtc_keyframe_request_stats {
  uint64_t pli, fir, local;   /* requests received or made */
  uint64_t fir_repeats;       /* FIR with a sequence number already handled */
  uint64_t coalesced;         /* joined a request already pending or being served */
  uint64_t stale;             /* arrived while a keyframe was queued, or right after it left */
  uint64_t asked;             /* times the owner was told */
  uint64_t keyframes_sent;
} brtc_keyframe_request_stats;

typedef struct brtc_keyframe_request {
  uint32_t ssrc;
  uint64_t min_interval_us;
  uint64_t rtt_us;
  bool wanted;
  bool asked_at_valid, keyframe_at_valid;
  uint64_t asked_at_us, keyframe_at_us;
  bool queued;               /* a keyframe waits in the pacer since queued_at_us ... */
  uint64_t queued_at_us;
  uint64_t queued_until_us;  /* ... and should have left by then */
  struct {
    uint32_t sender;
    uint8_t seq;
    bool used;
  } fir[BRTC_KEYFRAME_FIR_SENDERS];
  size_t fir_next;
  brtc_keyframe_request_stats stats;
} brtc_keyframe_request;

/* min_interval_us 0: BRTC_KEYFRAME_MIN_INTERVAL_US. */
void brtc_keyframe_request_init(brtc_keyframe_request *k, uint32_t ssrc, uint64_t min_interval_us);
void brtc_keyframe_request_set_rtt(brtc_keyframe_request *k, uint64_t rtt_us);
/* A PLI whose media SSRC is ours. */
void brtc_keyframe_request_on_pli(brtc_keyframe_request *k, uint64_t now_us);
/* A FIR from sender_ssrc (its FCI); entries for other SSRCs are ignored. */
void brtc_keyframe_request_on_fir(brtc_keyframe_request *k, uint32_t sender_ssrc,
                                  const uint8_t *fci, size_t fci_len, uint64_t now_us);
/* The owner needs a keyframe itself (it dropped a frame the decoder needed). */
void brtc_keyframe_request_local(brtc_keyframe_request *k, uint64_t now_us);
/* True once per request: the owner should produce a keyframe now. */
bool brtc_keyframe_request_take(brtc_keyframe_request *k, uint64_t now_us);
/* A keyframe was queued in the pacer; its last packet should leave by leaves_by_us (now
 * plus the pacer's queue time): requests from the peer until then are answered by it. */
void brtc_keyframe_request_on_keyframe_queued(brtc_keyframe_request *k, uint64_t now_us,
                                              uint64_t leaves_by_us);
/* The queued keyframe is still waiting and should now leave by leaves_by_us (the pacing rate
 * fell since it was queued): the window only grows. No-op when none is queued. */
void brtc_keyframe_request_still_queued(brtc_keyframe_request *k, uint64_t leaves_by_us);
/* A keyframe left (answers every request made before it). */
void brtc_keyframe_request_on_keyframe_sent(brtc_keyframe_request *k, uint64_t now_us);

#endif
