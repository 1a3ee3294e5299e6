/* One publisher (a sim_peer) and one brtc_pc joined by two sim_links, one per direction,
 * on a simulated clock: every datagram both ways (STUN, DTLS, RTP, RTCP) crosses the link.
 * The publisher sends video frames at a fixed rate from the caller's pools, a keyframe
 * first, after every PLI or FIR, and every keyframe_interval frames; it answers NACKs (RTX,
 * or the same packet again) and RTCP XR RRTR. Frames the pc delivers are compared byte for
 * byte with what was sent for their RTP timestamp. For tests and benchmarks. */
#ifndef BRTC_TESTS_SIM_CALL_H
#define BRTC_TESTS_SIM_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boltrtc/peer_connection.h"
#include "sim_link.h"
#include "sim_peer.h"

typedef struct sim_call_config {
  const brtc_certificate *cert; /* the pc's; required */
  sim_peer_opts peer;           /* the publisher's options */
  sim_link_config up, down;     /* publisher to pc, pc to publisher */
  brtc_keyframe_policy keyframe_policy;
  unsigned index;               /* makes the publisher's address unique */
  /* Video: frames taken in turn from these pools (not copied; must outlive the call). */
  const uint8_t *const *keyframes;
  const size_t *keyframe_lens;
  size_t n_keyframes;
  const uint8_t *const *deltas;
  const size_t *delta_lens;
  size_t n_deltas;
  unsigned fps;                 /* 0: no video is sent by itself (sim_call_send_frame) */
  unsigned keyframe_interval;   /* frames; 0: keyframes only when asked */
  uint64_t duration_us;         /* of media; 0: until the caller stops */
  /* Start media only once the pc has its SRTP keys. A browser starts as soon as its own
   * DTLS is done, so its first packets may come before the pc can read them (they count
   * in dropped_unexpected and cost the first frame): a test of something else waits. */
  bool wait_for_pc_keys;
  /* The links only delay until both sides have their SRTP keys. DTLS retransmissions are
   * timed by OpenSSL's own clock, which a simulated clock does not move: a lost handshake
   * flight would stall the call. */
  bool clean_handshake;
  size_t max_video_frame; /* the pc's largest frame (brtc_pc_config_set_max_frame_size); 0: default */
} sim_call_config;

typedef struct sim_call_stats {
  uint64_t frames_sent, keyframes_sent, keyframes_asked; /* asked: sent after a PLI or FIR */
  uint64_t frames_received, keyframes_received;
  uint64_t frames_wrong;       /* delivered bytes differ from what was sent */
  uint64_t frames_unknown;     /* delivered with a timestamp we never sent */
  uint64_t frame_lost_events, keyframes_lost_events;
  uint64_t media_start_us;     /* when the first frame was sent; 0 before */
  uint64_t first_keyframe_us;  /* when the pc delivered its first keyframe; 0 before */
  uint64_t media_end_us;       /* when the last frame was sent */
} sim_call_stats;

typedef struct sim_call sim_call;

/* Makes both sides and exchanges offer and answer at now_us. NULL (and err) on failure. */
sim_call *sim_call_new(const sim_call_config *cfg, uint64_t now_us, char *err, size_t err_cap);
void sim_call_free(sim_call *c);
/* Runs the simulated clock up to until_us: datagrams cross the links, timers fire, frames
 * are sent once SRTP is ready. */
void sim_call_run_until(sim_call *c, uint64_t until_us);
uint64_t sim_call_now(const sim_call *c);
bool sim_call_media_ready(const sim_call *c);
/* Send one frame now (keyframe from the pool if key, else a delta). */
int sim_call_send_frame(sim_call *c, bool key);
brtc_pc *sim_call_pc(sim_call *c);
sim_peer *sim_call_peer(sim_call *c);
const sim_call_stats *sim_call_get_stats(const sim_call *c);
const sim_link_stats *sim_call_link_stats(const sim_call *c, bool up);
/* Extra events from the pc, after the call has recorded them (NULL: none). */
typedef void (*sim_call_event_fn)(brtc_pc *pc, const brtc_output *ev, void *user);
void sim_call_on_event(sim_call *c, sim_call_event_fn cb, void *user);

#endif
