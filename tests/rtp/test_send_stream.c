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

/* A stream with our test SSRCs; ceiling_bps 0 takes the default bitrate ceiling. */
static brtc_send_stream *make_with_ceiling(uint32_t id, bool audio, bool rtx,
                                           uint64_t ceiling_bps) {
  brtc_send_stream_config c;
  memset(&c, 0, sizeof c);
  c.id = id;
  c.audio = audio;
  c.cname = "stream-test";
  c.seed = 1;
  c.max_bitrate_bps = ceiling_bps;
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

static brtc_send_stream *make(uint32_t id, bool audio, bool rtx) {
  return make_with_ceiling(id, audio, rtx, 0);
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

/* A keyframe that takes seconds to pace out (a slow link): the peer's PLIs meanwhile are
 * answered by it, even when the pacing rate falls after it was queued; a delta frame refused
 * behind it is a new need, asked at once (the owner may hold it until the queue drains). */
static void test_keyframe_paced_for_seconds(void) {
  brtc_send_stream *st = make(9, false, true);
  brtc_pacer *p = pacer(20000); /* 50 kbit/s paced: 16 KB take about 2.7 s */
  uint8_t rtcp[64];
  size_t len;
  brtc_rtcp_write_pli(PEER, SSRC, rtcp, sizeof rtcp, &len);
  feed(st, p, rtcp, len, 0);
  CHECK(brtc_send_stream_take_keyframe_request(st, 0));
  CHECK_EQ_INT(send_frame(st, p, true, 16, 1000, 10000), BRTC_OK);
  feed(st, p, rtcp, len, 1000000);
  CHECK(!brtc_send_stream_take_keyframe_request(st, 1000000));
  brtc_pacer_set_target_bitrate(p, 10000); /* congestion control: it now leaves after ~5 s */
  feed(st, p, rtcp, len, 3500000);
  CHECK(!brtc_send_stream_take_keyframe_request(st, 3500000));
  CHECK_EQ_INT(brtc_send_stream_keyframe_stats(st)->stale, 2);
  CHECK_EQ_INT(send_frame(st, p, false, 1, 500, 3600000), BRTC_ERR_AGAIN);
  CHECK(brtc_send_stream_take_keyframe_request(st, 3600000));
  /* Delta frames behind it renew that need, coalesced while the owner works on it. */
  CHECK_EQ_INT(send_frame(st, p, false, 1, 500, 3700000), BRTC_ERR_AGAIN);
  CHECK(!brtc_send_stream_take_keyframe_request(st, 3700000));
  CHECK_EQ_INT(send_frame(st, p, false, 1, 500, 4000000), BRTC_ERR_AGAIN);
  CHECK(brtc_send_stream_take_keyframe_request(st, 4000000)); /* the owner never answered */
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
  /* A keyframe larger than the history's second at the ceiling (2.5 Mbit/s: 390,625 bytes)
   * goes: the bounds hold the largest frame the stream may carry (4 MiB by default) beside it,
   * and memory grows for it only now. One the pacer's video queue could never hold (1024
   * packets here) is a configuration error, not a moment of congestion. */
  static brtc_payload many[1100];
  for (int i = 0; i < 1100; i++) many[i] = (brtc_payload){big, 1100};
  size_t before = brtc_send_stream_memory(st);
  brtc_send_frame huge = {.keyframe = true, .payloads = many, .n = 400};
  CHECK_EQ_INT(brtc_send_stream_send_frame(st, p, &huge, now), BRTC_OK);
  CHECK(brtc_send_stream_memory(st) > before + 400 * 1100);
  huge.n = 1100;
  CHECK_EQ_INT(brtc_send_stream_send_frame(st, p, &huge, now), BRTC_ERR_TOO_BIG);
  brtc_pacer_free(p);
  brtc_send_stream_free(st);
  brtc_send_stream_free(audio);
}

/* A large keyframe after a second of steady delta frames: a NACK for its first packets, which
 * Chromium sends once the frame's gap is seen (RFC 4585 6.2.1), still finds them. The history
 * starts at 16 packets and grows as frames come (src/rtp/send_history.h); the keyframe is 100
 * packets, 110 KB, what a 720p camera's keyframe weighs. ceiling_bps is the stream's ceiling:
 * the history may hold a second of it, so at 500 kbit/s (62 KB a second) the keyframe is
 * larger than that second. */
static void large_keyframe_then_nack(uint64_t ceiling_bps, size_t key_n) {
  brtc_send_stream *st = make_with_ceiling(9, false, true, ceiling_bps);
  brtc_pacer *p = pacer(ceiling_bps);
  static uint8_t data[300][1100];
  static brtc_payload pl[300];
  for (size_t i = 0; i < key_n; i++) {
    memset(data[i], (int)i, sizeof data[i]);
    pl[i] = (brtc_payload){data[i], sizeof data[i]};
  }
  uint16_t twcc = 0;
  uint64_t now = 1000000;
  brtc_pacer_item items[128];
  uint8_t scratch[1300];
  const uint8_t *pkt;
  size_t len = 0, sent = 0;
  /* One second of 30 fps delta frames at about a third of the ceiling, drained every 5 ms. */
  size_t delta = ceiling_bps / 3 / 8 / 30 / 1100 + 1;
  for (int f = 0; f < 30; f++) {
    brtc_send_frame fr = {.capture_us = now, .keyframe = f == 0, .audio_level = -1,
                          .payloads = pl, .n = delta};
    CHECK_EQ_INT(brtc_send_stream_send_frame(st, p, &fr, now), BRTC_OK);
    for (int k = 0; k < 7; k++, now += 5000) {
      size_t n = brtc_pacer_poll(p, now, items, 128);
      for (size_t i = 0; i < n; i++)
        sent += brtc_send_stream_egress(st, &items[i], now, &twcc, scratch, sizeof scratch, &pkt,
                                        &len) == BRTC_OK;
    }
  }
  uint16_t key_first = (uint16_t)(100 + 30 * delta);
  size_t small = brtc_send_stream_memory(st);
  brtc_send_frame key = {.capture_us = now, .keyframe = true, .audio_level = -1, .payloads = pl,
                         .n = key_n};
  CHECK_EQ_INT(brtc_send_stream_send_frame(st, p, &key, now), BRTC_OK);
  /* It is held whole: memory grew for it. */
  size_t peak = brtc_send_stream_memory(st);
  CHECK(peak > key_n * 1100);
  /* Paced out at 2.5 times the ceiling: 300 KB at 300 kbit/s in 3.3 s; 6 s is plenty. */
  for (int k = 0; k < 1200 && brtc_pacer_queued(p); k++, now += 5000) {
    size_t n = brtc_pacer_poll(p, now, items, 128);
    for (size_t i = 0; i < n; i++)
      sent += brtc_send_stream_egress(st, &items[i], now, &twcc, scratch, sizeof scratch, &pkt,
                                      &len) == BRTC_OK;
  }
  CHECK_EQ_INT(sent, 30 * delta + key_n);
  /* The receiver saw the frame's first two packets and one in its middle missing. */
  const uint16_t lost[] = {key_first, (uint16_t)(key_first + 1), (uint16_t)(key_first + 45)};
  uint8_t rtcp[256];
  now += 20000;
  CHECK_EQ_INT(feed(st, p, rtcp, nack(SSRC, lost, 3, rtcp), now), 1);
  /* The pacer lets them go within a few of its 5 ms bursts. */
  size_t n = 0;
  for (int k = 0; k < 20 && n < 3; k++, now += 5000)
    n += brtc_pacer_poll(p, now, items + n, 3 - n);
  CHECK_EQ_INT(n, 3);
  for (size_t i = 0; i < n && i < 3; i++) {
    CHECK_EQ_INT(brtc_send_stream_egress(st, &items[i], now, &twcc, scratch, sizeof scratch, &pkt,
                                         &len), BRTC_OK);
    uint8_t back[1300];
    size_t bl = 0;
    brtc_rtp_header h;
    CHECK_EQ_INT(brtc_rtx_unwrap(pkt, len, SSRC, 96, back, sizeof back, &bl), BRTC_OK);
    CHECK_EQ_INT(brtc_rtp_parse(back, bl, &h), BRTC_OK);
    CHECK_EQ_INT(h.sequence, lost[i]);
    CHECK_EQ_INT(h.payload_len, 1100);
    CHECK_EQ_INT(h.payload[0], (uint16_t)(lost[i] - key_first));
  }
  CHECK_EQ_INT(brtc_send_stream_retransmit_stats(st)->not_in_history, 0);
  /* Two more seconds of delta frames: the keyframe is past the history's window (at most a
   * second after it left) and its memory is given back: the history shrinks whenever half of
   * it would hold what it keeps, so it is at most twice what the small frames took before. */
  for (int f = 0; f < 60; f++) {
    brtc_send_frame fr = {.capture_us = now, .audio_level = -1, .payloads = pl, .n = delta};
    CHECK_EQ_INT(brtc_send_stream_send_frame(st, p, &fr, now), BRTC_OK);
    for (int k = 0; k < 7; k++, now += 5000) {
      size_t n2 = brtc_pacer_poll(p, now, items, 128);
      for (size_t i = 0; i < n2; i++)
        brtc_send_stream_egress(st, &items[i], now, &twcc, scratch, sizeof scratch, &pkt, &len);
    }
  }
  size_t after = brtc_send_stream_memory(st);
  printf("  %llu bit/s, %zu-packet keyframe: memory %zu before, %zu with it, %zu after\n",
         (unsigned long long)ceiling_bps, key_n, small, peak, after);
  CHECK(after <= 2 * small);
  brtc_pacer_free(p);
  brtc_send_stream_free(st);
}

static void test_large_keyframe_nack_finds_its_start(void) {
  large_keyframe_then_nack(2500000, 100); /* the default ceiling */
  large_keyframe_then_nack(1000000, 100);
  large_keyframe_then_nack(500000, 100);
  /* A Raspberry Pi's hardware H.264 IDR on a weak uplink: 300 KB at 300 kbit/s, eight seconds
   * of the ceiling. */
  large_keyframe_then_nack(300000, 273);
}

int main(void) {
  RUN(test_frame_to_wire_and_rtx);
  RUN(test_resend_without_rtx_is_identical);
  RUN(test_rtt_and_resend_rule);
  RUN(test_pli_fir_to_keyframe);
  RUN(test_keyframe_paced_for_seconds);
  RUN(test_refused_when_link_behind);
  RUN(test_large_keyframe_nack_finds_its_start);
  return TEST_REPORT();
}
