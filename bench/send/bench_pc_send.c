/* Media sending through a whole peer connection, single thread, in memory: how many video
 * datagrams a second one core makes through the public API, brtc_track_send_frame and
 * brtc_pc_poll_output, with AEAD_AES_128_GCM. The pc is connected for real (ICE, DTLS) to
 * the simulated browser (tests/support/sim_peer, a recvonly viewer), then frames of 30
 * packets are sent and the pc drained; the datagrams are counted and dropped, not delivered.
 * On top of bench_send's "boltrtc path" (packetize, history, pacer, protect) this adds the
 * pc: its output pump, event queue, and the time checks of each poll.
 *
 * The clock given to the pc is simulated: a frame every 20 ms, and the pc's deadlines in
 * between (the pacer lets a frame's packets go over a few milliseconds, at 2.5 times the
 * 20 Mbit/s ceiling). CPU time is the thread's (CLOCK_THREAD_CPUTIME_ID), since the machine
 * is shared.
 *
 * usage: bench_pc_send [seconds, default 3] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_pair.h"
#include "boltrtc/error.h"
#include "boltrtc/loop.h"
#include "boltrtc/track.h"
#include "pc/pc_send.h" /* reaches inside for the memory figures only */

#define PACKETS_PER_FRAME 30
#define VP8_DESCRIPTOR 4
#define RTP_HEADER 24 /* 12 fixed, 4 extension header, mid "0" (2), abs-send-time (4), pad 2 */
#define MAX_RTP 1200

static brtc_track *track;

static void configure(brtc_pc_config *cfg) {
  /* A ceiling that sizes the send history (one second of it) and the pacer's rate. */
  brtc_pc_config_set_video_bitrate(cfg, 20000000, 20000000);
  /* Nobody checks consent in memory: the simulated day must not run out. */
  brtc_pc_config_set_consent_timeout(cfg, 24ull * 3600 * 1000000);
}

static void add_track(brtc_pc *pc) {
  if (brtc_pc_add_track(pc, BRTC_TRACK_VIDEO, BRTC_DIRECTION_SENDONLY, "VP8", &track) != BRTC_OK)
    track = NULL;
}

static double cpu_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double wall_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 3.0;
  if (seconds <= 0) seconds = 3.0;
  brtc_certificate *cert = brtc_certificate_generate();
  sim_peer_opts o = {.no_audio = true, .video_direction = "recvonly",
                     .srtp_profiles = {BRTC_SRTP_PROFILE_AEAD_AES_128_GCM}, .n_srtp_profiles = 1};
  bench_pair p;
  char err[256] = "";
  bench_pair_configure = configure;
  bench_pair_before_offer = add_track;
  if (!cert || bench_pair_init(&p, cert, &o, 1, err, sizeof err) != BRTC_OK || !track ||
      !bench_pair_connect(&p, 200)) {
    fprintf(stderr, "bench_pc_send: cannot connect: %s\n", err);
    return 1;
  }
  brtc_pc_stats st = {.size = sizeof st};
  brtc_pc_get_stats(p.pc, &st);
  size_t frame_len = PACKETS_PER_FRAME * (MAX_RTP - RTP_HEADER - VP8_DESCRIPTOR);
  uint8_t *frame = malloc(frame_len);
  if (!frame) return 1;
  uint8_t buf[BRTC_PC_MAX_DATAGRAM];
  uint64_t now = brtc_now_us() + 1000000, packets = 0, bytes = 0, frames = 0, refused = 0;
  double c0 = cpu_s(), w0 = wall_s();
  while (cpu_s() - c0 < seconds) {
    for (int f = 0; f < 16; f++, frames++) {
      bench_make_vp8_frame(frame, frame_len, frames % 300 == 0);
      if (brtc_track_send_frame(track, now, frame, frame_len, now, 0) != BRTC_OK) refused++;
      /* 50 frames a second (14.6 Mbit/s, under the ceiling); in between, the pc's own
       * deadlines (the pacer's) as a loop would keep them. */
      uint64_t next = now + 20000;
      for (;;) {
        brtc_output out = {.size = sizeof out};
        if (brtc_pc_poll_output(p.pc, buf, sizeof buf, &out) != BRTC_OK) break;
        if (out.kind == BRTC_OUTPUT_TIMEOUT) {
          if (out.deadline_us >= next) break;
          now = out.deadline_us > now ? out.deadline_us : now;
          brtc_pc_handle_timeout(p.pc, now);
          continue;
        }
        if (out.kind != BRTC_OUTPUT_TRANSMIT) continue;
        packets++;
        bytes += out.len;
      }
      now = next;
    }
  }
  double cpu = cpu_s() - c0, wall = wall_s() - w0;
  brtc_track_send_stats ts = {.size = sizeof ts};
  brtc_track_get_send_stats(track, &ts);
  printf("boltrtc pc path (brtc_track_send_frame + brtc_pc_poll_output), %s, %zu-byte frames of "
         "%d packets:\n", st.srtp_profile, frame_len, PACKETS_PER_FRAME);
  printf("  %.0f packets per CPU second (%.0f ns each), %.0f per wall second; %.1f-byte "
         "datagrams on average; %llu frames, %llu refused, %llu RTP packets sent\n",
         (double)packets / cpu, 1e9 * cpu / (double)packets, (double)packets / wall,
         (double)bytes / (double)packets, (unsigned long long)frames,
         (unsigned long long)refused, (unsigned long long)ts.packets_sent);
  /* What the sending side holds, at this ceiling (the history is one second of it). */
  size_t scratch = track->scratch_cap + track->payloads_cap * (sizeof(brtc_payload) + sizeof(size_t));
  printf("  memory: send stream %zu B (history, 20 Mbit/s ceiling), pacer %zu B, packetizer "
         "scratch %zu B, track %zu B, pc's sending state %zu B\n",
         brtc_send_stream_memory(track->stream), brtc_pacer_memory(p.pc->send->pacer), scratch,
         sizeof(*track), sizeof(*p.pc->send));
  free(frame);
  bench_pair_free_pc(&p);
  bench_pair_free_sim(&p);
  brtc_certificate_free(cert);
  return 0;
}
