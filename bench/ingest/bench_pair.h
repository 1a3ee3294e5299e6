/* A server peer connection and a simulated browser wired together in memory, for the
 * benchmarks: datagrams are handed across directly, and the time spent inside brtc_pc calls
 * is added up so the server's own share can be told apart from the simulated browser's. */
#ifndef BRTC_BENCH_PAIR_H
#define BRTC_BENCH_PAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boltrtc/peer_connection.h"
#include "common/addr.h"
#include "sim_peer.h"

/* The journey steps we time (the public enum has no count). */
#define BENCH_STEPS (BRTC_STEP_FAILED + 1)

typedef struct bench_pair {
  brtc_pc *pc;
  sim_peer *sim;
  brtc_addr pc_addr, sim_addr;
  uint64_t server_us;     /* wall time spent inside brtc_pc calls */
  uint64_t call_start_us; /* start of the brtc_pc call in progress */
  uint64_t step_server_us[BENCH_STEPS]; /* server_us when each step was reported */
  uint64_t frames, keyframes, frame_bytes;
  bool failed;
  uint64_t deadline_us; /* the pc's, from its last BRTC_OUTPUT_TIMEOUT */
} bench_pair;

/* brtc_pc_config.keep_dtls for the next bench_pair_init (OpenSSL's state kept alive). */
extern bool bench_pair_keep_dtls;

/* Called, when set, with the next bench_pair_init's config, and with its pc before the offer
 * (a sending bench adds its track there). */
extern void (*bench_pair_configure)(brtc_pc_config *cfg);
extern void (*bench_pair_before_offer)(brtc_pc *pc);

/* Make both sides and do the offer/answer. sim_index makes the browser's address unique. */
int bench_pair_init(bench_pair *p, const brtc_certificate *cert, const sim_peer_opts *opts,
                    unsigned sim_index, char *err, size_t err_cap);
void bench_pair_free_pc(bench_pair *p);
void bench_pair_free_sim(bench_pair *p);

/* Exchange datagrams (and run due timers) until neither side has anything to send. */
void bench_pair_pump(bench_pair *p);
/* Pump until SRTP is keyed on both sides, at most max_rounds pumps. */
bool bench_pair_connect(bench_pair *p, int max_rounds);

/* One datagram into the server, timed. */
int bench_pair_to_pc(bench_pair *p, const uint8_t *data, size_t len, uint64_t now_us);

/* A VP8 frame of len bytes: a 640x480 keyframe header or an interframe tag, then filler. */
void bench_make_vp8_frame(uint8_t *out, size_t len, bool keyframe);

#endif
