/* The sending side driven from outside, for tests/rtp/aiortc_send.py: prints the packets a
 * video and an audio stream make, and a sender report, as JSON lines; then reads RTCP (hex,
 * with the time to feed it at) from stdin and prints what comes out and what the stream
 * learned. The constants below are the script's expectations too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "rtp/ntp.h"
#include "rtp/rtcp.h"
#include "rtp/send_stream.h"

#define VIDEO_SSRC 0x1234ABCDu
#define RTX_SSRC 0x1234ABCEu
#define AUDIO_SSRC 0x0A0B0C0Du
#define UNIX_US (1700000000ull * 1000000u) /* wall time when the monotonic clock read 0 */

static void print_hex(const char *kind, const uint8_t *p, size_t len) {
  printf("{\"kind\": \"%s\", \"hex\": \"", kind);
  for (size_t i = 0; i < len; i++) printf("%02x", p[i]);
  printf("\"}\n");
}

static brtc_send_stream *make(uint32_t id, bool audio) {
  brtc_send_stream_config c;
  memset(&c, 0, sizeof c);
  c.id = id;
  c.audio = audio;
  c.cname = "boltrtc-peer";
  c.seed = 5;
  brtc_rtp_sender_config_init(&c.rtp);
  c.rtp.ssrc = audio ? AUDIO_SSRC : VIDEO_SSRC;
  c.rtp.payload_type = audio ? 111 : 96;
  c.rtp.clock_rate = audio ? 48000 : 90000;
  c.rtp.first_seq = audio ? 500 : 1000;
  c.rtp.timestamp_offset = 0x01000000;
  c.rtp.ntp_offset_us = brtc_ntp_offset_us(UNIX_US, 0);
  c.rtp.rtx = !audio;
  c.rtp.rtx_ssrc = RTX_SSRC;
  c.rtp.rtx_payload_type = 97;
  c.rtp.first_rtx_seq = 2000;
  c.rtp.ext = (brtc_rtp_ext_ids){.mid = 4, .abs_send_time = 2, .twcc = 3, .abs_capture_time = 5,
                                 .audio_level = audio ? 1 : 0};
  snprintf(c.rtp.mid, sizeof c.rtp.mid, "%s", audio ? "1" : "0");
  int err;
  brtc_send_stream *st = brtc_send_stream_new(&c, &err);
  if (!st) {
    fprintf(stderr, "send_peer: stream: %s\n", brtc_strerror(err));
    exit(1);
  }
  return st;
}

static void drain(brtc_send_stream **streams, brtc_pacer *p, uint64_t now, uint16_t *twcc) {
  brtc_pacer_item items[64];
  uint8_t scratch[1500];
  const uint8_t *pkt;
  size_t len, k = brtc_pacer_poll(p, now, items, 64);
  for (size_t i = 0; i < k; i++) {
    brtc_send_stream *st = streams[brtc_send_stream_handle_id(items[i].handle)];
    if (brtc_send_stream_egress(st, &items[i], now, twcc, scratch, sizeof scratch, &pkt, &len) ==
        BRTC_OK)
      print_hex("rtp", pkt, len);
  }
}

typedef struct feed_ctx {
  brtc_send_stream **streams;
  brtc_pacer *p;
  uint64_t now;
} feed_ctx;

static void visit(const brtc_rtcp_packet *pk, void *user) {
  feed_ctx *f = user;
  for (int i = 0; i < 2; i++) brtc_send_stream_on_rtcp(f->streams[i], f->p, pk, f->now);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  brtc_send_stream *streams[2] = {make(0, false), make(1, true)};
  brtc_pacer_config pc = {.target_bitrate_bps = 2000000};
  brtc_pacer *p = brtc_pacer_new(&pc, NULL);
  uint16_t twcc = 7;

  /* A keyframe of three payloads and an Opus frame, captured at 1 s. */
  static uint8_t data[3][1000];
  const size_t sizes[3] = {1000, 1000, 500};
  brtc_payload pl[3];
  for (int i = 0; i < 3; i++) {
    for (size_t k = 0; k < sizes[i]; k++) data[i][k] = (uint8_t)(i * 7 + k);
    pl[i] = (brtc_payload){data[i], sizes[i]};
  }
  uint64_t t = 1000000;
  brtc_send_frame vf = {.capture_us = t, .keyframe = true, .audio_level = -1, .payloads = pl,
                        .n = 3};
  brtc_payload apl = {data[0], 80};
  brtc_send_frame af = {.capture_us = t, .marker_first = true, .audio_level = 0x80 | 40,
                        .payloads = &apl, .n = 1};
  if (brtc_send_stream_send_frame(streams[0], p, &vf, t) ||
      brtc_send_stream_send_frame(streams[1], p, &af, t))
    return 1;
  drain(streams, p, t, &twcc);

  /* The video stream's first sender report, when due. */
  uint8_t rtcp[1500];
  size_t len;
  t = brtc_send_stream_deadline(streams[0]);
  if (brtc_send_stream_write_report(streams[0], t, NULL, 0, false, rtcp, sizeof rtcp, &len))
    return 1;
  printf("{\"kind\": \"sr_at\", \"us\": %llu}\n", (unsigned long long)t);
  print_hex("sr", rtcp, len);
  printf("{\"kind\": \"ready\"}\n");

  /* RTCP from the peer: "<time in us> <hex>" per line. */
  char line[4200];
  while (fgets(line, sizeof line, stdin)) {
    unsigned long long at;
    char hex[4100];
    if (sscanf(line, "%llu %4099s", &at, hex) != 2) break;
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n && i < sizeof rtcp; i++) sscanf(hex + 2 * i, "%2hhx", &rtcp[i]);
    feed_ctx f = {streams, p, at};
    int rc = brtc_rtcp_parse(rtcp, n, visit, &f);
    drain(streams, p, at, &twcc);
    const brtc_rtt_stats *rtt = brtc_send_stream_rtt(streams[0]);
    printf("{\"kind\": \"done\", \"parse\": %d, \"rtt_us\": %llu, \"rtt_samples\": %llu, "
           "\"keyframe\": %s, \"rtx_sent\": %llu}\n",
           rc, (unsigned long long)rtt->last_us, (unsigned long long)rtt->samples,
           brtc_send_stream_take_keyframe_request(streams[0], at) ? "true" : "false",
           (unsigned long long)brtc_send_stream_retransmit_stats(streams[0])->sent);
  }
  brtc_pacer_free(p);
  brtc_send_stream_free(streams[0]);
  brtc_send_stream_free(streams[1]);
  return 0;
}
