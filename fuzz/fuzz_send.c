/* What the sending side reads from the network: an RTCP compound fed to a send stream that
 * has packets in its history (RR/SR blocks, NACK, PLI, FIR: RTT, retransmissions, keyframe
 * requests), then the pacer drained through egress; and the same bytes as an RTX packet to
 * unwrap and as header extension values to decode. */
#include <stdint.h>
#include <string.h>

#include "boltrtc/error.h"
#include "rtp/rtcp.h"
#include "rtp/rtp.h"
#include "rtp/rtp_ext.h"
#include "rtp/rtx.h"
#include "rtp/send_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SSRC 0x01020304u

typedef struct ctx {
  brtc_send_stream *st;
  brtc_pacer *p;
  uint64_t now;
} ctx;

static void visit(const brtc_rtcp_packet *pk, void *user) {
  ctx *c = user;
  brtc_send_stream_on_rtcp(c->st, c->p, pk, c->now);
}

static void drain(ctx *c) {
  brtc_pacer_item items[64];
  uint8_t out[1500];
  size_t len;
  for (int round = 0; round < 64 && brtc_pacer_queued(c->p); round++) {
    uint64_t d = brtc_pacer_deadline(c->p);
    if (d > c->now) c->now = d;
    size_t k = brtc_pacer_poll(c->p, c->now, items, 64);
    for (size_t i = 0; i < k; i++) {
      uint16_t twcc = 0;
      const uint8_t *pkt;
      int rc = brtc_send_stream_egress(c->st, &items[i], c->now, &twcc, out, sizeof out, &pkt,
                                       &len);
      brtc_rtp_header h;
      if (rc == BRTC_OK && brtc_rtp_parse(pkt, len, &h) != BRTC_OK) __builtin_trap();
      if (rc != BRTC_OK && rc != BRTC_ERR_NOT_FOUND) __builtin_trap();
    }
  }
}

static void extensions(const uint8_t *d, size_t n) {
  uint32_t t;
  uint16_t s;
  uint64_t ntp;
  bool b;
  int64_t off;
  uint8_t lvl, seq;
  char mid[BRTC_EXT_MID_MAX + 1];
  size_t len = n < 16 ? n : 16;
  (void)brtc_ext_get_abs_send_time(d, len, &t);
  (void)brtc_ext_get_twcc(d, len, &s);
  (void)brtc_ext_get_abs_capture_time(d, len, &ntp, &b, &off);
  (void)brtc_ext_get_audio_level(d, len, &b, &lvl);
  if (brtc_ext_get_mid(d, len, mid, sizeof mid) == BRTC_OK && strlen(mid) != len)
    __builtin_trap();
  (void)brtc_rtcp_fir_seq(d, n, SSRC, &seq);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  extensions(data, size);

  uint8_t out[2048];
  size_t out_len = 0;
  if (size <= sizeof out &&
      brtc_rtx_unwrap(data, size, SSRC, 96, out, sizeof out, &out_len) == BRTC_OK) {
    brtc_rtp_header h;
    if (out_len + 2 > size || brtc_rtp_parse(out, out_len, &h) != BRTC_OK) __builtin_trap();
  }

  brtc_send_stream_config c;
  memset(&c, 0, sizeof c);
  c.cname = "fuzz";
  c.seed = 1;
  c.history = (brtc_send_history_config){.max_packets = 64, .max_bytes = 32 * 1024,
                                         .max_packet = BRTC_SEND_STREAM_MAX_PACKET};
  brtc_rtp_sender_config_init(&c.rtp);
  c.rtp.ssrc = SSRC;
  c.rtp.first_seq = 65530; /* NACKs across the wrap */
  c.rtp.rtx = size & 1;
  c.rtp.rtx_ssrc = SSRC + 1;
  c.rtp.rtx_payload_type = 97;
  c.rtp.ext = (brtc_rtp_ext_ids){.mid = 1, .abs_send_time = 2, .twcc = 3, .abs_capture_time = 4};
  memcpy(c.rtp.mid, "0", 2);
  brtc_send_stream *st = brtc_send_stream_new(&c, NULL);
  brtc_pacer_config pc = {.target_bitrate_bps = 1000000};
  brtc_pacer *p = brtc_pacer_new(&pc, NULL);
  if (!st || !p) __builtin_trap();
  ctx x = {st, p, 1000};
  static const uint8_t payload[900] = {1};
  brtc_payload pl[4] = {{payload, 900}, {payload, 900}, {payload, 500}, {payload, 10}};
  for (int f = 0; f < 5; f++) {
    brtc_send_frame fr = {.capture_us = x.now, .keyframe = f == 0, .audio_level = -1,
                          .payloads = pl, .n = 4};
    (void)brtc_send_stream_send_frame(st, p, &fr, x.now);
    drain(&x);
    x.now += 33000;
  }
  /* The input, twice: a repeated NACK meets the resend rules. */
  for (int i = 0; i < 2; i++) {
    (void)brtc_rtcp_parse(data, size, visit, &x);
    (void)brtc_send_stream_take_keyframe_request(st, x.now);
    drain(&x);
    x.now += 10000;
  }
  if (brtc_send_stream_get_stats(st)->lost_before_send) __builtin_trap();
  brtc_pacer_free(p);
  brtc_send_stream_free(st);
  return 0;
}
