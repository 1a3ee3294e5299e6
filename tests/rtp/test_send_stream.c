/* One outgoing stream end to end, sans-IO: frames through the pacer to wire bytes; RTCP in
 * (RR, NACK, PLI, FIR) answered with RTX or resends, RTT and keyframe requests; sender
 * reports; frames refused when the link is behind. */
#include <stdlib.h>

#include "boltrtc/error.h"
#include "common/bytes.h"
#include "rtp/ntp.h"
#include "rtp/rtcp.h"
#include "rtp/rtp.h"
#include "rtp/rtx.h"
#include "rtp/send_stream.h"
#include "srtp/srtp.h"
#include "testing.h"

#define SSRC 0xA1A2A3A4u
#define RTX_SSRC 0xB1B2B3B4u
#define PEER 0x0BADCAFEu

typedef struct wire {
  uint8_t pkt[64][1300];
  size_t len[64];
  size_t n;
} wire;

static brtc_send_stream *make(uint32_t id, bool audio, bool rtx) {
  brtc_send_stream_config c;
  memset(&c, 0, sizeof c);
  c.id = id;
  c.audio = audio;
  c.cname = "stream-test";
  c.seed = 1;
  brtc_rtp_sender_config_init(&c.rtp);
  c.rtp.ssrc = SSRC;
  c.rtp.first_seq = 100;
  c.rtp.rtx = rtx;
  c.rtp.rtx_ssrc = RTX_SSRC;
  c.rtp.rtx_payload_type = 97;
  c.rtp.ext = (brtc_rtp_ext_ids){.mid = 1, .abs_send_time = 2, .twcc = 3, .abs_capture_time = 4};
  snprintf(c.rtp.mid, sizeof c.rtp.mid, "1");
  if (audio) c.rtp.clock_rate = 48000;
  int err;
  brtc_send_stream *st = brtc_send_stream_new(&c, &err);
  CHECK(st && err == BRTC_OK);
  return st;
}

static brtc_pacer *pacer(uint64_t bps) {
  brtc_pacer_config pc = {.target_bitrate_bps = bps};
  return brtc_pacer_new(&pc, NULL);
}

/* A frame of n payloads of len bytes each, filled with a pattern. */
static int send_frame(brtc_send_stream *st, brtc_pacer *p, bool key, size_t n, size_t len,
                      uint64_t now) {
  static uint8_t data[16][1200];
  brtc_payload pl[16];
  for (size_t i = 0; i < n; i++) {
    for (size_t k = 0; k < len; k++) data[i][k] = (uint8_t)(i * 13 + k);
    pl[i] = (brtc_payload){data[i], len};
  }
  brtc_send_frame f = {.capture_us = now, .keyframe = key, .audio_level = -1, .payloads = pl,
                       .n = n};
  return brtc_send_stream_send_frame(st, p, &f, now);
}

/* Drain what the pacer lets go at now into w. */
static size_t drain(brtc_send_stream *st, brtc_pacer *p, uint64_t now, uint16_t *twcc, wire *w) {
  brtc_pacer_item items[64];
  uint8_t scratch[1300];
  const uint8_t *pkt;
  size_t k = brtc_pacer_poll(p, now, items, 64), got = 0;
  for (size_t i = 0; i < k && w->n < 64; i++) {
    if (brtc_send_stream_egress(st, &items[i], now, twcc, scratch, sizeof scratch, &pkt,
                                &w->len[w->n]) == BRTC_OK) {
      memcpy(w->pkt[w->n], pkt, w->len[w->n]);
      w->n++;
      got++;
    }
  }
  return got;
}

typedef struct feed_ctx {
  brtc_send_stream *st;
  brtc_pacer *p;
  uint64_t now;
  int mine;
} feed_ctx;

static void visit(const brtc_rtcp_packet *pk, void *user) {
  feed_ctx *f = user;
  f->mine += brtc_send_stream_on_rtcp(f->st, f->p, pk, f->now);
}

static int feed(brtc_send_stream *st, brtc_pacer *p, const uint8_t *rtcp, size_t len,
                uint64_t now) {
  feed_ctx f = {st, p, now, 0};
  CHECK_EQ_INT(brtc_rtcp_parse(rtcp, len, visit, &f), BRTC_OK);
  return f.mine;
}

static size_t rr(uint32_t about, uint32_t lsr, uint32_t dlsr, uint8_t *out) {
  brtc_rtcp_report_block b = {.ssrc = about, .last_sr = lsr, .delay_since_last_sr = dlsr};
  size_t len = 0;
  brtc_rtcp_write_rr(PEER, &b, 1, out, 128, &len);
  return len;
}

static size_t nack(uint32_t media, const uint16_t *seqs, size_t n, uint8_t *out) {
  size_t len = 0;
  brtc_rtcp_write_nack(PEER, media, seqs, n, out, 256, &len);
  return len;
}

static void test_frame_to_wire_and_rtx(void) {
  brtc_send_stream *st = make(7, false, true);
  brtc_pacer *p = pacer(2000000);
  uint16_t twcc = 500;
  wire w = {.n = 0};
  CHECK_EQ_INT(send_frame(st, p, true, 3, 1000, 1000), BRTC_OK);
  CHECK_EQ_INT(drain(st, p, 1000, &twcc, &w), 3); /* 3 KB fits the 5 ms burst */
  CHECK_EQ_INT(twcc, 503);
  brtc_rtp_header h;
  for (size_t i = 0; i < 3; i++) {
    CHECK_EQ_INT(brtc_rtp_parse(w.pkt[i], w.len[i], &h), BRTC_OK);
    CHECK_EQ_INT(h.sequence, 100 + i);
    CHECK_EQ_INT(h.ssrc, SSRC);
    CHECK(h.marker == (i == 2));
    CHECK(brtc_rtp_find_ext(&h, 1) != NULL);         /* mid: not acknowledged yet */
    CHECK((brtc_rtp_find_ext(&h, 4) != NULL) == (i == 0)); /* abs-capture-time: first */
    CHECK_EQ_INT(brtc_rd16(brtc_rtp_find_ext(&h, 3)->data), 500 + i);
    CHECK_EQ_INT(h.payload_len, 1000);
  }
  CHECK_EQ_INT(brtc_send_stream_counters(st)->media_packets, 3);

  /* The peer's RR about our SSRC: from now on no mid on media packets. */
  uint8_t rtcp[256];
  CHECK_EQ_INT(feed(st, p, rtcp, rr(SSRC, 0, 0, rtcp), 20000), 1);
  CHECK_EQ_INT(send_frame(st, p, false, 1, 500, 33000), BRTC_OK);
  CHECK_EQ_INT(drain(st, p, 33000, &twcc, &w), 1);
  CHECK_EQ_INT(brtc_rtp_parse(w.pkt[3], w.len[3], &h), BRTC_OK);
  CHECK(brtc_rtp_find_ext(&h, 1) == NULL);

  /* NACK for 101: an RTX packet that unwraps to exactly what was first sent. */
  const uint16_t lost[] = {101};
  CHECK_EQ_INT(feed(st, p, rtcp, nack(SSRC, lost, 1, rtcp), 40000), 1);
  CHECK_EQ_INT(drain(st, p, 40000, &twcc, &w), 1);
  CHECK_EQ_INT(brtc_rtp_parse(w.pkt[4], w.len[4], &h), BRTC_OK);
  CHECK(h.ssrc == RTX_SSRC && h.payload_type == 97);
  CHECK(brtc_rtp_find_ext(&h, 1) != NULL); /* the RTX SSRC still needs its mid */
  CHECK_EQ_INT(brtc_rd16(brtc_rtp_find_ext(&h, 3)->data), 504); /* a fresh transport seq */
  uint8_t back[1300];
  size_t n = 0;
  CHECK_EQ_INT(brtc_rtx_unwrap(w.pkt[4], w.len[4], SSRC, 96, back, sizeof back, &n), BRTC_OK);
  brtc_rtp_header a, b;
  CHECK_EQ_INT(brtc_rtp_parse(w.pkt[1], w.len[1], &a), BRTC_OK);
  CHECK_EQ_INT(brtc_rtp_parse(back, n, &b), BRTC_OK);
  CHECK(b.sequence == 101 && b.timestamp == a.timestamp && b.marker == a.marker);
  CHECK(b.payload_len == a.payload_len && !memcmp(b.payload, a.payload, a.payload_len));
  const brtc_retransmit_stats *rs = brtc_send_stream_retransmit_stats(st);
  CHECK_EQ_INT(rs->sent, 1);
  CHECK_EQ_INT(brtc_send_stream_counters(st)->rtx_packets, 1);

  /* A NACK for another SSRC is not ours; NACKs for packets we never had are counted. */
  CHECK_EQ_INT(feed(st, p, rtcp, nack(0x1234, lost, 1, rtcp), 41000), 0);
  const uint16_t old[] = {90};
  CHECK_EQ_INT(feed(st, p, rtcp, nack(SSRC, old, 1, rtcp), 41000), 1);
  CHECK_EQ_INT(rs->not_in_history, 1);
  CHECK_EQ_INT(brtc_pacer_queued(p), 0);

  /* An item of another stream is refused. */
  brtc_pacer_item alien = {.handle = 8ull << 32 | 100, .size = 10};
  size_t len;
  const uint8_t *pkt;
  CHECK_EQ_INT(brtc_send_stream_egress(st, &alien, 50000, &twcc, back, sizeof back, &pkt, &len),
               BRTC_ERR_INVALID);
  brtc_pacer_free(p);
  brtc_send_stream_free(st);
}

/* Without RTX a NACKed packet goes again on its own SSRC as the very same bytes, so SRTP never
 * protects two different plaintexts under one packet index (with AES-GCM, two tags under one
 * nonce reveal the authentication key). Here: the two protected packets are identical. */
static void test_resend_without_rtx_is_identical(void) {
  brtc_send_stream *st = make(1, false, false);
  brtc_pacer *p = pacer(2000000);
  uint16_t twcc = 0;
  wire w = {.n = 0};
  CHECK_EQ_INT(send_frame(st, p, true, 2, 800, 0), BRTC_OK);
  CHECK_EQ_INT(drain(st, p, 0, &twcc, &w), 2);
  uint8_t rtcp[256];
  const uint16_t lost[] = {100};
  feed(st, p, rtcp, nack(SSRC, lost, 1, rtcp), 30000);
  CHECK_EQ_INT(drain(st, p, 30000, &twcc, &w), 1);
  CHECK_EQ_INT(w.len[2], w.len[0]);
  CHECK_MEM(w.pkt[2], w.pkt[0], w.len[0]);
  CHECK_EQ_INT(twcc, 2); /* no new transport seq: it is the same packet */
  CHECK_EQ_INT(brtc_send_stream_counters(st)->retransmitted_packets, 1);

  uint8_t key[16] = {1, 2, 3}, salt[12] = {4, 5, 6};
  brtc_srtp *tx = brtc_srtp_new(BRTC_SRTP_PROFILE_AEAD_AES_128_GCM, BRTC_SRTP_OUTBOUND, key,
                                16, salt, 12);
  uint8_t first[1400], again[1400];
  size_t l1 = 0, l2 = 0;
  memcpy(first, w.pkt[0], w.len[0]);
  memcpy(again, w.pkt[2], w.len[2]);
  CHECK_EQ_INT(brtc_srtp_protect(tx, first, w.len[0], sizeof first, &l1), BRTC_OK);
  CHECK_EQ_INT(brtc_srtp_protect(tx, again, w.len[2], sizeof again, &l2), BRTC_OK);
  CHECK_EQ_INT(l1, l2);
  CHECK_MEM(first, again, l1);
  brtc_srtp_free(tx);
  brtc_pacer_free(p);
  brtc_send_stream_free(st);
}

static void test_rtt_and_resend_rule(void) {
  brtc_send_stream *st = make(2, false, true);
  brtc_pacer *p = pacer(2000000);
  uint16_t twcc = 0;
  wire w = {.n = 0};
  uint64_t t0 = 2000000;
  CHECK_EQ_INT(send_frame(st, p, true, 2, 1000, t0), BRTC_OK);
  drain(st, p, t0, &twcc, &w);
  /* The first report is due half a second after the first packet. */
  CHECK(brtc_send_stream_deadline(st) == t0 + 500000);
  uint8_t sr[256];
  size_t len;
  CHECK_EQ_INT(brtc_send_stream_write_report(st, t0 + 400000, NULL, 0, false, sr, sizeof sr, &len),
               BRTC_ERR_AGAIN);
  CHECK_EQ_INT(brtc_send_stream_write_report(st, t0 + 500000, NULL, 0, false, sr, sizeof sr, &len),
               BRTC_OK);
  CHECK_EQ_INT(brtc_rd32(sr + 20), 2);    /* packets */
  CHECK_EQ_INT(brtc_rd32(sr + 24), 2000); /* payload octets */
  /* The RR echoing it 100 ms later, held 40 ms: RTT 60 ms. */
  uint8_t rtcp[256];
  feed(st, p, rtcp, rr(SSRC, brtc_rd32(sr + 10), 65536 * 40 / 1000, rtcp), t0 + 600000);
  const brtc_rtt_stats *rtt = brtc_send_stream_rtt(st);
  CHECK(rtt->samples == 1 && rtt->last_us >= 59000 && rtt->last_us <= 61000);
  /* Resent at +700 ms; asked again at +730 ms (within the RTT): not again; at +770 ms: yes. */
  const uint16_t lost[] = {101};
  feed(st, p, rtcp, nack(SSRC, lost, 1, rtcp), t0 + 700000);
  CHECK_EQ_INT(drain(st, p, t0 + 700000, &twcc, &w), 1);
  feed(st, p, rtcp, nack(SSRC, lost, 1, rtcp), t0 + 730000);
  CHECK_EQ_INT(brtc_pacer_queued(p), 0);
  feed(st, p, rtcp, nack(SSRC, lost, 1, rtcp), t0 + 770000);
  CHECK_EQ_INT(brtc_pacer_queued(p), 1);
  CHECK_EQ_INT(brtc_send_stream_retransmit_stats(st)->within_rtt, 1);
  /* A BYE when the track stops. */
  CHECK_EQ_INT(brtc_send_stream_write_report(st, t0 + 800000, NULL, 0, true, sr, sizeof sr, &len),
               BRTC_OK);
  CHECK(sr[len - 8 + 1] == BRTC_RTCP_BYE);
  brtc_pacer_free(p);
  brtc_send_stream_free(st);
}

static void test_pli_fir_to_keyframe(void) {
  brtc_send_stream *st = make(3, false, true);
  brtc_pacer *p = pacer(2000000);
  uint8_t rtcp[64];
  size_t len;
  CHECK(!brtc_send_stream_take_keyframe_request(st, 0));
  brtc_rtcp_write_pli(PEER, SSRC, rtcp, sizeof rtcp, &len);
  CHECK_EQ_INT(feed(st, p, rtcp, len, 1000), 1);
  CHECK_EQ_INT(feed(st, p, rtcp, len, 2000), 1);
  CHECK(brtc_send_stream_take_keyframe_request(st, 3000));
  CHECK(!brtc_send_stream_take_keyframe_request(st, 3000));
  /* The keyframe leaves; a PLI right after is stale; a FIR later is new. */
  uint16_t twcc = 0;
  wire w = {.n = 0};
  CHECK_EQ_INT(send_frame(st, p, true, 2, 1000, 10000), BRTC_OK);
  drain(st, p, 10000, &twcc, &w);
  brtc_rtcp_write_pli(PEER, SSRC, rtcp, sizeof rtcp, &len);
  feed(st, p, rtcp, len, 50000);
  CHECK(!brtc_send_stream_take_keyframe_request(st, 50000));
  brtc_rtcp_write_fir(PEER, SSRC, 1, rtcp, sizeof rtcp, &len);
  CHECK_EQ_INT(feed(st, p, rtcp, len, 400000), 1);
  CHECK(brtc_send_stream_take_keyframe_request(st, 400000));
  brtc_rtcp_write_pli(PEER, 0x5555, rtcp, sizeof rtcp, &len); /* someone else's */
  CHECK_EQ_INT(feed(st, p, rtcp, len, 900000), 0);
  const brtc_keyframe_request_stats *ks = brtc_send_stream_keyframe_stats(st);
  CHECK(ks->pli == 3 && ks->fir == 1 && ks->asked == 2 && ks->stale == 1 && ks->coalesced == 1);
  brtc_pacer_free(p);
  brtc_send_stream_free(st);
}

static void test_refused_when_link_behind(void) {
  brtc_send_stream *st = make(4, false, true);
  brtc_send_stream *audio = make(5, true, false);
  brtc_pacer *p = pacer(200000); /* 500 kbit/s paced: 500 ms hold 31 KB */
  uint64_t now = 0;
  int sent = 0, rc;
  while ((rc = send_frame(st, p, sent == 0, 10, 1000, now)) == BRTC_OK) sent++;
  CHECK_EQ_INT(rc, BRTC_ERR_AGAIN);
  CHECK(sent >= 3 && sent <= 4);
  const brtc_send_stream_stats *s = brtc_send_stream_get_stats(st);
  CHECK_EQ_INT(s->frames_refused_congested, 1);
  /* The decoder's chain is broken: a keyframe is wanted, delta frames refused until it. */
  CHECK(brtc_send_stream_take_keyframe_request(st, now));
  brtc_pacer_item items[64];
  uint16_t twcc = 0;
  uint8_t out[1300];
  size_t len;
  /* Audio is not held by video's queue. */
  uint8_t opus[60] = {0};
  brtc_payload pl = {opus, sizeof opus};
  brtc_send_frame af = {.capture_us = now, .audio_level = 20, .payloads = &pl, .n = 1};
  CHECK_EQ_INT(brtc_send_stream_send_frame(audio, p, &af, now), BRTC_OK);
  CHECK_EQ_INT(brtc_pacer_poll(p, now + 1, items, 1), 1);
  CHECK(items[0].klass == BRTC_PACER_AUDIO);
  const uint8_t *pkt;
  CHECK_EQ_INT(
      brtc_send_stream_egress(audio, &items[0], now + 1, &twcc, out, sizeof out, &pkt, &len),
      BRTC_OK);
  /* Let the queue drain. */
  while (brtc_pacer_queued(p)) {
    now = brtc_pacer_deadline(p);
    size_t k = brtc_pacer_poll(p, now, items, 64);
    for (size_t i = 0; i < k; i++)
      CHECK_EQ_INT(brtc_send_stream_egress(st, &items[i], now, &twcc, out, sizeof out, &pkt, &len),
                   BRTC_OK);
  }
  CHECK_EQ_INT(send_frame(st, p, false, 2, 1000, now), BRTC_ERR_AGAIN);
  CHECK_EQ_INT(s->frames_refused_need_key, 1);
  CHECK_EQ_INT(send_frame(st, p, true, 2, 1000, now), BRTC_OK);
  CHECK_EQ_INT(send_frame(st, p, false, 2, 1000, now), BRTC_OK);
  CHECK_EQ_INT(s->lost_before_send, 0);
  /* Payloads over the limit are the caller's error. */
  static uint8_t big[1200];
  brtc_payload bp = {big, brtc_send_stream_max_payload(st) + 1};
  brtc_send_frame bf = {.keyframe = true, .payloads = &bp, .n = 1};
  CHECK_EQ_INT(brtc_send_stream_send_frame(st, p, &bf, now), BRTC_ERR_TOO_BIG);
  /* A keyframe the history could never hold (2.5 Mbit/s: 390,625 bytes) is a configuration
   * error, not a moment of congestion. */
  static brtc_payload many[400];
  for (int i = 0; i < 400; i++) many[i] = (brtc_payload){big, 1100};
  brtc_send_frame huge = {.keyframe = true, .payloads = many, .n = 400};
  CHECK_EQ_INT(brtc_send_stream_send_frame(st, p, &huge, now), BRTC_ERR_TOO_BIG);
  CHECK(brtc_send_stream_memory(st) < 450 * 1024);
  brtc_pacer_free(p);
  brtc_send_stream_free(st);
  brtc_send_stream_free(audio);
}

int main(void) {
  RUN(test_frame_to_wire_and_rtx);
  RUN(test_resend_without_rtx_is_identical);
  RUN(test_rtt_and_resend_rule);
  RUN(test_pli_fir_to_keyframe);
  RUN(test_refused_when_link_behind);
  return TEST_REPORT();
}
