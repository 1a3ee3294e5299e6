/* Media sending throughput, single thread, in memory: how many 1,200-byte video datagrams a
 * second one core makes, SRTP-protected and ready for sendmmsg.
 *
 *   boltrtc path: the whole sending side per 30-packet frame: VP8 packetizer (src/codec),
 *                 brtc_send_stream_send_frame (RTP headers with abs-send-time, transport-wide
 *                 seq and abs-capture-time, written into the send history, handles queued in
 *                 the pacer), brtc_pacer_poll, brtc_send_stream_egress (send-time fields
 *                 stamped in the history), brtc_srtp_protect_to from the history straight
 *                 into a sendmmsg batch.
 *   boltrtc minimal: a 12-byte RTP header and the payload copied into the batch, then
 *                 brtc_srtp_protect: what the path costs without packetizing, history, pacer.
 *   libsrtp2 minimal: the same header write and copy, then libsrtp2's srtp_protect: the peer.
 *
 * Datagrams are 1,200 bytes with the tag in each case (RTP 1,184 bytes for GCM, 1,190 for
 * CM). Each cell runs for the given seconds in 10 slices; the rate is packets over the
 * thread's CPU time (CLOCK_THREAD_CPUTIME_ID), since the machine is shared, with the fastest
 * slice's wall-clock rate beside it. Also prints what a sending stream and a pacer allocate,
 * and what a video stream holds while it sends (send_memory.c).
 *
 * usage: bench_send [seconds per cell, default 3]
 *        bench_send --frames N: only the boltrtc path with GCM, for N frames (perf, callgrind)
 *        bench_send --memory: only what the streams allocate and hold
 *        bench_send --udp [seconds]: through a loopback socket, GSO off and on (send_udp.c) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_common.h"
#include "bench_send.h"
#include "boltrtc/error.h"
#include "codec/vp8.h"
#include "common/bytes.h"
#include "rtp/send_stream.h"
#include "srtp/srtp.h"

#define SSRC 0x5eed1234u

static double g_seconds = 3.0;
static uint8_t g_batch[BATCH][SLOT];
static size_t g_lens[BATCH];
static send_sink *g_sink; /* NULL: in memory */
static uint8_t g_frame[64 * 1024];

static double cpu_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

typedef struct slice_clock {
  double wall, cpu;
} slice_clock;

static slice_clock slice_start(void) { return (slice_clock){bench_now_s(), cpu_s()}; }

static void add_slice(result *r, uint64_t packets, uint64_t bytes, slice_clock start) {
  r->packets += packets;
  r->bytes += bytes;
  r->cpu += cpu_s() - start.cpu;
  r->pps = (double)r->packets / r->cpu;
  r->avg_datagram = (double)r->bytes / (double)r->packets;
  double wall = (double)packets / (bench_now_s() - start.wall);
  if (wall > r->wall_pps) r->wall_pps = wall;
}

static brtc_srtp *our_srtp(bool gcm) {
  brtc_srtp *s = brtc_srtp_new(gcm ? BRTC_SRTP_PROFILE_AEAD_AES_128_GCM
                                   : BRTC_SRTP_PROFILE_AES128_CM_SHA1_80,
                               BRTC_SRTP_OUTBOUND, bench_master_key, 16, bench_master_key + 16,
                               gcm ? 12 : 14);
  if (!s) bench_die("brtc_srtp_new");
  return s;
}

static size_t tag_len(bool gcm) { return gcm ? 16 : 10; }

static brtc_send_stream *video_stream(bool gcm) {
  brtc_send_stream_config c;
  memset(&c, 0, sizeof c);
  c.cname = "bench";
  c.seed = 1;
  c.max_bitrate_bps = 8000000;
  /* The packetizer leaves room for the largest header (32 bytes with abs-capture-time, which
   * rides on one packet a second); most packets have 24, so 8 bytes over the RTP size we want
   * make 1,200-byte datagrams with the tag. */
  c.max_packet = DATAGRAM - tag_len(gcm) + 8;
  brtc_rtp_sender_config_init(&c.rtp);
  c.rtp.ssrc = SSRC;
  c.rtp.rtx = true;
  c.rtp.rtx_payload_type = 97;
  c.rtp.ext = (brtc_rtp_ext_ids){.mid = 1, .abs_send_time = 2, .twcc = 3, .abs_capture_time = 4};
  memcpy(c.rtp.mid, "0", 2);
  brtc_send_stream *st = brtc_send_stream_new(&c, NULL);
  if (!st) bench_die("brtc_send_stream_new");
  return st;
}

/* The whole sending side, frame after frame of PACKETS_PER_FRAME packets: for the timed
 * slices, or (fixed_frames > 0) for that many frames in one slice, for an instruction count. */
result bench_path(bool gcm, int fixed_frames, send_sink *sink) {
  g_sink = sink;
  brtc_send_stream *st = video_stream(gcm);
  brtc_pacer_config pc = {.target_bitrate_bps = 100000000000ull}; /* every packet due at once */
  brtc_pacer *p = brtc_pacer_new(&pc, NULL);
  brtc_srtp *srtp = our_srtp(gcm);
  /* Steady state: the peer has acknowledged the SSRC, so no mid. The header is then 24 bytes
   * (fixed 12, extension header 4, abs-send-time 4, transport seq 3, padding 1). */
  brtc_rtcp_packet rr = {.type = BRTC_RTCP_RR, .n_blocks = 1, .blocks = {{.ssrc = SSRC}}};
  brtc_send_stream_on_rtcp(st, p, &rr, 0);
  size_t max_payload = brtc_send_stream_max_payload(st); /* the VP8 descriptor included */
  size_t frame_len = PACKETS_PER_FRAME * (max_payload - BRTC_VP8_PACKETIZER_DESCRIPTOR);
  for (size_t i = 0; i < frame_len; i++) g_frame[i] = (uint8_t)(i * 31);
  static uint8_t scratch[BATCH * 1300];
  size_t lens[BATCH];
  brtc_payload pl[BATCH];
  brtc_pacer_item items[BATCH];
  uint16_t twcc = 0, picture_id = 0;
  uint64_t now = 1000000;
  result best = {0};
  for (int slice = 0; slice < (fixed_frames ? 1 : SLICES); slice++) {
    uint64_t packets = 0, bytes = 0;
    slice_clock start = slice_start();
    double elapsed = 0;
    int frames = 0;
    while (fixed_frames ? frames < fixed_frames : elapsed < g_seconds / SLICES) {
      for (int f = 0; f < 16; f++, frames++) {
        int n = brtc_vp8_packetize(g_frame, frame_len, picture_id++ & 0x7FFF, max_payload,
                                   scratch, sizeof scratch, lens, BATCH);
        if (n != PACKETS_PER_FRAME) bench_die("brtc_vp8_packetize");
        for (int i = 0; i < n; i++) pl[i] = (brtc_payload){scratch + i * max_payload, lens[i]};
        brtc_send_frame fr = {.capture_us = now, .keyframe = f == 0, .audio_level = -1,
                              .payloads = pl, .n = (size_t)n};
        int rc = brtc_send_stream_send_frame(st, p, &fr, now);
        if (rc != BRTC_OK) {
          fprintf(stderr, "bench_send: %s\n", brtc_strerror(rc));
          bench_die("send_frame");
        }
        size_t k = brtc_pacer_poll(p, now, items, BATCH);
        if (k != (size_t)n) bench_die("brtc_pacer_poll");
        for (size_t i = 0; i < k; i++) {
          size_t len = 0, out = 0;
          const uint8_t *pkt;
          if (brtc_send_stream_egress(st, &items[i], now, &twcc, scratch, SLOT, &pkt, &len) ||
              brtc_srtp_protect_to(srtp, pkt, len, g_batch[i], SLOT, &out))
            bench_die("egress/protect");
          g_lens[i] = out;
          bytes += out;
        }
        if (g_sink) send_sink_frame(g_sink, g_batch, g_lens, k);
        packets += k;
        now += 33333;
      }
      elapsed = bench_now_s() - start.wall;
    }
    add_slice(&best, packets, bytes, start);
  }
  brtc_srtp_free(srtp);
  brtc_pacer_free(p);
  brtc_send_stream_free(st);
  return best;
}

/* A 12-byte header and a payload copy, then protect: with ours (lib false) or libsrtp2. */
result bench_minimal(bool gcm, bool lib, send_sink *sink) {
  g_sink = sink;
  brtc_srtp *ours = lib ? NULL : our_srtp(gcm);
#ifdef BRTC_BENCH_LIBSRTP
  srtp_t theirs = lib ? bench_libsrtp_session(gcm, false) : NULL;
#else
  if (lib) return (result){0};
#endif
  size_t payload = DATAGRAM - tag_len(gcm) - 12;
  for (size_t i = 0; i < payload; i++) g_frame[i] = (uint8_t)(i * 31);
  uint16_t seq = 0;
  uint32_t ts = 0;
  result best = {0};
  for (int slice = 0; slice < SLICES; slice++) {
    uint64_t packets = 0, bytes = 0;
    slice_clock start = slice_start();
    double elapsed = 0;
    while (elapsed < g_seconds / SLICES) {
      for (int b = 0; b < 16; b++) {
        for (int i = 0; i < PACKETS_PER_FRAME; i++) {
          uint8_t *pkt = g_batch[i];
          pkt[0] = 0x80;
          pkt[1] = (uint8_t)(96 | (i == PACKETS_PER_FRAME - 1 ? 0x80 : 0));
          brtc_wr16(pkt + 2, seq++);
          brtc_wr32(pkt + 4, ts);
          brtc_wr32(pkt + 8, SSRC);
          memcpy(pkt + 12, g_frame, payload);
          size_t out = 0;
          if (lib) {
#ifdef BRTC_BENCH_LIBSRTP
            int n = (int)(12 + payload);
            if (srtp_protect(theirs, pkt, &n) != srtp_err_status_ok) bench_die("srtp_protect");
            out = (size_t)n;
#endif
          } else if (brtc_srtp_protect(ours, pkt, 12 + payload, SLOT, &out)) {
            bench_die("brtc_srtp_protect");
          }
          g_lens[i] = out;
          bytes += out;
        }
        if (g_sink) send_sink_frame(g_sink, g_batch, g_lens, PACKETS_PER_FRAME);
        packets += PACKETS_PER_FRAME;
        ts += 3000;
      }
      elapsed = bench_now_s() - start.wall;
    }
    add_slice(&best, packets, bytes, start);
  }
  brtc_srtp_free(ours);
#ifdef BRTC_BENCH_LIBSRTP
  if (theirs) srtp_dealloc(theirs);
#endif
  return best;
}

static void memory(void) {
  brtc_send_stream_config c;
  memset(&c, 0, sizeof c);
  c.cname = "bench";
  brtc_rtp_sender_config_init(&c.rtp);
  brtc_send_stream *v = brtc_send_stream_new(&c, NULL);
  c.audio = true;
  c.rtp.clock_rate = 48000;
  brtc_send_stream *a = brtc_send_stream_new(&c, NULL);
  brtc_pacer_config pc = {.target_bitrate_bps = 2500000};
  brtc_pacer *p = brtc_pacer_new(&pc, NULL);
  if (!v || !a || !p) bench_die("memory setup");
  printf("\nallocated: video send stream (2.5 Mbit/s ceiling) %zu B, audio send stream %zu B, "
         "pacer %zu B\n",
         brtc_send_stream_memory(v), brtc_send_stream_memory(a), brtc_pacer_memory(p));
  brtc_send_stream_free(v);
  brtc_send_stream_free(a);
  brtc_pacer_free(p);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--memory") == 0) {
    memory();
    bench_send_memory();
    return 0;
  }
  if (argc > 2 && strcmp(argv[1], "--frames") == 0) {
    result r = bench_path(true, atoi(argv[2]), NULL);
    printf("boltrtc path, AEAD_AES_128_GCM: %.0f packets per CPU second (%.0f ns), %.0f per wall "
           "second\n", r.pps, 1e9 / r.pps, r.wall_pps);
    return 0;
  }
  bool udp = argc > 1 && strcmp(argv[1], "--udp") == 0;
  if (argc > 1 + udp) g_seconds = atof(argv[1 + udp]);
  if (g_seconds <= 0) g_seconds = 3.0;
  bool have_lib = false;
#ifdef BRTC_BENCH_LIBSRTP
  if (srtp_init() != srtp_err_status_ok) bench_die("srtp_init");
  have_lib = true;
#endif
  if (udp) return bench_send_udp(g_seconds);
  double load[3] = {0};
  if (getloadavg(load, 3) == 3)
    printf("load average at the start: %.2f %.2f %.2f\n", load[0], load[1], load[2]);
  printf("%.1f s per cell in %d slices, 1 thread, %d-byte datagrams\n\n", g_seconds,
         SLICES, DATAGRAM);
  printf("Packets per second of the thread's CPU time (per core), all slices; in brackets the "
         "wall-clock rate of the fastest slice.\n\n");
  printf("| profile | boltrtc path pkt/s | ns/pkt | boltrtc minimal pkt/s | ns/pkt | "
         "libsrtp2 minimal pkt/s | ns/pkt | path / libsrtp2 minimal |\n");
  printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
  for (int g = 1; g >= 0; g--) {
    result path = bench_path(g, 0, NULL), mine = bench_minimal(g, false, NULL),
           lib = bench_minimal(g, true, NULL);
    printf("| %s | %.0f (%.0f) | %.0f | %.0f (%.0f) | %.0f | ",
           g ? "AEAD_AES_128_GCM" : "AES_CM_128_HMAC_SHA1_80", path.pps, path.wall_pps,
           1e9 / path.pps, mine.pps, mine.wall_pps, 1e9 / mine.pps);
    if (have_lib)
      printf("%.0f (%.0f) | %.0f | %.2f |\n", lib.pps, lib.wall_pps, 1e9 / lib.pps,
             path.pps / lib.pps);
    else
      printf("- | - | - |\n");
    if (path.avg_datagram < DATAGRAM - 1 || path.avg_datagram > DATAGRAM + 1)
      fprintf(stderr, "bench_send: path datagrams average %.1f bytes\n", path.avg_datagram);
    fflush(stdout);
  }
  if (getloadavg(load, 3) == 3)
    printf("\nload average at the end: %.2f %.2f %.2f\n", load[0], load[1], load[2]);
  memory();
  bench_send_memory();
#ifdef BRTC_BENCH_LIBSRTP
  srtp_shutdown();
#endif
  return 0;
}
