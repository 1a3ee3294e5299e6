/* What one sending video stream holds while it sends (bench_send --memory): a send stream
 * with a 2.5 Mbit/s ceiling fed 30 frames a second at a given bitrate for 6 simulated
 * seconds, its packets let out by a pacer and marked sent, and (when asked) receiver reports
 * that answer its sender reports after a round trip, so that it knows the RTT. Prints the
 * stream's memory at the end and at its peak. Simulated clock, no I/O. */
#include <stdio.h>
#include <string.h>

#include "bench_common.h"
#include "boltrtc/error.h"
#include "rtp/rtcp.h"
#include "rtp/send_stream.h"

#define CEILING_BPS 2500000u
#define SECONDS 6
#define FPS 30

typedef struct pending_rr {
  uint64_t at;
  uint32_t lsr;
} pending_rr;

/* Our SR's compact NTP (RFC 3550 6.4.1 LSR): the middle 32 bits of its NTP timestamp. */
static void take_sr(const brtc_rtcp_packet *p, void *user) {
  if (p->type == BRTC_RTCP_SR) *(uint32_t *)user = (uint32_t)(p->ntp >> 16);
}

static void run(uint64_t bitrate, uint64_t rtt_us) {
  brtc_send_stream_config c;
  memset(&c, 0, sizeof c);
  c.cname = "bench";
  c.max_bitrate_bps = CEILING_BPS;
  brtc_rtp_sender_config_init(&c.rtp);
  c.rtp.ssrc = 0x5eed1234u;
  brtc_send_stream *st = brtc_send_stream_new(&c, NULL);
  brtc_pacer_config pc = {.target_bitrate_bps = CEILING_BPS};
  brtc_pacer *p = brtc_pacer_new(&pc, NULL);
  if (!st || !p) bench_die("send memory setup");
  static uint8_t payload[1200], scratch[1600], rtcp[1500];
  size_t max_payload = brtc_send_stream_max_payload(st);
  memset(payload, 0xab, sizeof payload);
  brtc_payload payloads[64];
  size_t frame_bytes = bitrate / 8 / FPS, peak = 0, refused = 0;
  pending_rr rr = {0};
  uint64_t now = 1000000;
  for (int f = 0; f < SECONDS * FPS; f++) {
    size_t n = (frame_bytes + max_payload - 1) / max_payload;
    if (n > 64) n = 64;
    for (size_t i = 0; i < n; i++) payloads[i] = (brtc_payload){payload, max_payload};
    brtc_send_frame fr = {.capture_us = now, .keyframe = f % 60 == 0, .audio_level = -1,
                          .payloads = payloads, .n = n};
    if (brtc_send_stream_send_frame(st, p, &fr, now) != BRTC_OK) refused++;
    uint64_t next = now + 1000000 / FPS;
    while (now < next) {
      brtc_pacer_item items[32];
      size_t got = brtc_pacer_poll(p, now, items, 32);
      for (size_t i = 0; i < got; i++) {
        const uint8_t *pkt;
        size_t len;
        (void)brtc_send_stream_egress(st, &items[i], now, NULL, scratch, sizeof scratch, &pkt, &len);
      }
      size_t rl;
      if (rtt_us && brtc_send_stream_deadline(st) <= now &&
          brtc_send_stream_write_report(st, now, NULL, 0, false, rtcp, sizeof rtcp, &rl) ==
              BRTC_OK) {
        uint32_t lsr = 0;
        brtc_rtcp_parse(rtcp, rl, take_sr, &lsr);
        rr = (pending_rr){.at = now + rtt_us, .lsr = lsr};
      }
      if (rr.at && rr.at <= now) { /* the receiver's report, answering at once (DLSR 0) */
        brtc_rtcp_packet k = {.type = BRTC_RTCP_RR, .count_or_fmt = 1, .n_blocks = 1};
        k.blocks[0] = (brtc_rtcp_report_block){.ssrc = c.rtp.ssrc, .last_sr = rr.lsr};
        brtc_send_stream_on_rtcp(st, p, &k, rr.at);
        rr.at = 0;
      }
      size_t m = brtc_send_stream_memory(st);
      if (m > peak) peak = m;
      if (got < 32) now += 1000; /* a millisecond a step: the pacer's and the reports' times */
    }
  }
  const brtc_rtt_stats *rtt = brtc_send_stream_rtt(st);
  printf("  sending %4.1f Mbit/s, RTT %s%3llu ms (measured %3llu): %7zu B at the end, peak %7zu B"
         "; %zu frames refused\n", (double)bitrate / 1e6, rtt_us ? "" : "unknown, ",
         (unsigned long long)(rtt_us / 1000), (unsigned long long)(rtt->smoothed_us / 1000),
         brtc_send_stream_memory(st), peak, refused);
  brtc_send_stream_free(st);
  brtc_pacer_free(p);
}

void bench_send_memory(void) {
  printf("\nmemory of a sending video stream, 2.5 Mbit/s ceiling, %d frames a second for %d s:\n",
         FPS, SECONDS);
  run(2500000, 0);
  run(2500000, 20000);
  run(2500000, 100000);
  run(1000000, 20000);
  run(300000, 20000);
}
