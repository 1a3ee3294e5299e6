/* An in-memory meeting of a brtc_pc and a sim_peer: datagrams pumped both ways over a
 * simulated clock, events recorded, real VP8 frames from libvpx. */
#ifndef BRTC_TESTS_PC_HARNESS_H
#define BRTC_TESTS_PC_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boltrtc/peer_connection.h"
#include "common/addr.h"
#include "sim_peer.h"

#define H_MAX_EVENTS 64
#define H_MAX_FRAMES 16
#define H_MAX_PEER_CHANNELS 8

/* Taps, called with each BRTC_EVENT_PLAIN_PACKET and BRTC_EVENT_WIRE_PACKET (user: the
 * harness). */
typedef void (*h_packet_tap_fn)(brtc_pc *pc, bool inbound, bool rtcp, const uint8_t *data,
                                size_t len, void *user);
typedef void (*h_wire_tap_fn)(brtc_pc *pc, bool inbound, const uint8_t *data, size_t len,
                              const struct sockaddr *peer, void *user);

typedef struct h_frame {
  uint8_t *data;
  size_t len;
  bool keyframe;
  unsigned width, height;
  uint32_t ssrc, ts;
  char mid[16];
  size_t track;
} h_frame;

typedef struct harness {
  brtc_pc *pc;
  sim_peer *sim;
  brtc_addr pc_addr, sim_addr;
  uint64_t now;
  brtc_pc_step steps[H_MAX_EVENTS];
  char details[H_MAX_EVENTS][160];
  size_t n_steps;
  size_t n_logs;
  h_frame frames[H_MAX_FRAMES];
  size_t n_frames;
  /* The last SRTP datagram the sim sent, for replay tests. */
  uint8_t last_media[2048];
  size_t last_media_len;
  /* Bytes the pc holds on the heap, measured around every pc call (mallinfo2 deltas). */
  bool measure;
  long long pc_heap;
  char answer_err[256];
  /* Data channel events (h_datachannels): counted; messages hashed in order of arrival
   * (sim_fnv1a); a channel labelled "echo" that the peer opened echoes, as boltrtc serve
   * does. */
  uint64_t dc_peer_channels, dc_opened, dc_closed, dc_low, dc_messages, dc_bytes, dc_hash;
  brtc_datachannel *dc_last; /* the last channel an event named */
  brtc_datachannel *dc_peer[H_MAX_PEER_CHANNELS]; /* opened by the peer, dc_peer_channels */
  uint64_t deadline;  /* the pc's, from its last BRTC_OUTPUT_TIMEOUT */
  struct h_outq *outq; /* datagrams drained from the pc, not yet given to the sim */
  h_packet_tap_fn packet_tap;
  h_wire_tap_fn wire_tap;
  /* BRTC_EVENT_KEYFRAME_REQUEST events, and the track the last one named. */
  uint64_t keyframe_requests;
  brtc_track *keyframe_track;
} harness;

/* brtc_pc_config_set_datachannels for the next h_start. */
extern bool h_datachannels;

/* brtc_pc_config_set_keep_dtls for the next h_start. */
extern bool h_keep_dtls;
/* brtc_pc_config_set_check_timeout for the next h_start. */
extern uint64_t h_ice_check_timeout_us;
/* brtc_pc_config_set_ice_lite for the next h_start (default false: full ICE). */
extern bool h_ice_lite;
extern brtc_dtls_role h_dtls_role; /* our answer to actpass in the next h_start */
/* brtc_pc_config_set_video_bitrate for the next h_start. */
extern uint32_t h_max_video_bps, h_start_video_bps;
/* brtc_pc_config_set_video_size for the next h_start. */
extern unsigned h_video_width, h_video_height;

/* Every datagram the pump moves passes this first (to_pc: from the sim); false drops it,
 * as a lossy link would. NULL: none dropped. */
extern bool (*h_link_filter)(harness *h, bool to_pc, const uint8_t *data, size_t len);

/* Called with each BRTC_EVENT_PLAIN_PACKET (user: the harness); set before h_start, which
 * then turns plain_packet_events on. */
extern h_packet_tap_fn h_packet_tap;
/* The same for BRTC_EVENT_WIRE_PACKET (wire_packet_events), and keep_keylog. */
extern h_wire_tap_fn h_wire_tap;
extern bool h_keep_keylog;

/* Called between brtc_pc_new and the offer in the next h_start (adding tracks). */
extern void (*h_before_offer)(harness *h);

/* A shared certificate for every test (generating one costs a few ms). */
const brtc_certificate *h_certificate(void);

/* Creates pc and sim, exchanges offer and answer. Returns false (and says why) on failure. */
bool h_start(harness *h, const sim_peer_opts *opts);
/* The same, adding every byte the pc allocates to h->pc_heap (glibc malloc only). */
bool h_start_ex(harness *h, const sim_peer_opts *opts, bool measure);
void h_stop(harness *h);
/* Drains the pc (the rule of peer_connection.h): events recorded, datagrams held for the
 * sim (the next pump moves them through the link filter, in order); returns how many
 * datagrams came out. */
size_t h_drain(harness *h);
/* One datagram into the pc from `from` at h->now, then h_drain; the pc's return code. */
int h_feed(harness *h, const uint8_t *data, size_t len, const struct sockaddr *from);
/* h_drain, then the pc's deadline. */
uint64_t h_deadline(harness *h);
/* Moves datagrams both ways and advances the clock to the next deadline when idle, until
 * done(h) holds or the simulated time passes limit_us from now. Returns done(h). */
bool h_pump(harness *h, bool (*done)(harness *h), uint64_t limit_us);
/* Pump for a while (all timers included). */
void h_run_for(harness *h, uint64_t us);
bool h_has_step(const harness *h, brtc_pc_step s);
const char *h_step_detail(const harness *h, brtc_pc_step s);
bool h_connected(harness *h);

/* libvpx: encode n frames of w x h (a moving pattern); frame 0 is a keyframe. Returns how
 * many were made; each out[i] is malloc'd. */
size_t h_encode_vp8(unsigned w, unsigned hgt, size_t n, uint8_t **out, size_t *lens,
                    bool *keyframes);

#endif
