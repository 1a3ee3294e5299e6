/* NACKs answered from the send history (RFC 4585 6.2.1) with libwebrtc's resend rules. */
#include "boltrtc/error.h"
#include "common/bytes.h"
#include "rtp/rtcp.h"
#include "rtp/retransmit.h"
#include "testing.h"

static brtc_send_history *history_with(uint16_t first, int n, int sent, uint64_t now) {
  brtc_send_history_config c = {.max_packets = 64, .max_bytes = 64 * 1000, .max_packet = 1000};
  brtc_send_history *h = brtc_send_history_new(&c, NULL);
  for (int i = 0; i < n; i++) {
    uint8_t *p = brtc_send_history_reserve(h, 1000, NULL);
    p[0] = (uint8_t)i;
    brtc_rtp_written w = {.seq = (uint16_t)(first + i), .len = 1000, .header_len = 12};
    brtc_send_history_commit(h, &w);
    if (i < sent)
      brtc_send_history_mark_sent(h, brtc_send_history_get(h, (uint16_t)(first + i)), now);
  }
  return h;
}

/* A NACK FCI asking for seqs (ascending), built by our own writer. */
static size_t nack_fci(const uint16_t *seqs, size_t n, uint8_t *fci) {
  uint8_t pkt[256];
  size_t len = 0;
  brtc_rtcp_write_nack(1, 2, seqs, n, pkt, sizeof pkt, &len);
  memcpy(fci, pkt + 12, len - 12);
  return len - 12;
}

static void test_in_and_out_of_history(void) {
  /* 65530..65545 stored (across the wrap), the last two not yet sent. */
  brtc_send_history *h = history_with(65530, 16, 14, 1000);
  brtc_retransmitter r;
  brtc_retransmitter_init(&r, 0);
  uint8_t fci[64];
  /* 65520 too old, 65531 and 2 there, 8 not sent yet, 20 never sent by us. */
  const uint16_t ask[] = {65520, 65531, 2, 8, 20};
  size_t fl = nack_fci(ask, 5, fci);
  uint16_t out[16];
  size_t n = brtc_retransmitter_on_nack(&r, h, fci, fl, 5000, out, 16);
  CHECK_EQ_INT(n, 2);
  CHECK_EQ_INT(out[0], 65531);
  CHECK_EQ_INT(out[1], 2);
  CHECK_EQ_INT(r.stats.requested, 5);
  CHECK_EQ_INT(r.stats.not_in_history, 2);
  CHECK_EQ_INT(r.stats.not_sent_yet, 1);
  CHECK_EQ_INT(r.stats.queued, 2);
  /* Asked again before they left: already queued, not twice. */
  CHECK_EQ_INT(brtc_retransmitter_on_nack(&r, h, fci, fl, 6000, out, 16), 0);
  CHECK_EQ_INT(r.stats.already_queued, 2);
  /* They leave. */
  brtc_send_history_entry *e = brtc_retransmitter_take(&r, h, 65531, 7000);
  CHECK(e && e->resends == 1 && e->last_sent_us == 7000);
  CHECK(brtc_send_history_data(h, e)[0] == 1);
  CHECK(brtc_retransmitter_take(&r, h, 2, 7000) != NULL);
  CHECK(brtc_retransmitter_take(&r, h, 2, 7000) == NULL); /* not queued any more */
  CHECK_EQ_INT(r.stats.sent, 2);
  CHECK_EQ_INT(r.stats.expired, 1);
  brtc_send_history_free(h);
}

static void test_not_twice_within_rtt(void) {
  brtc_send_history *h = history_with(100, 10, 10, 0);
  brtc_retransmitter r;
  brtc_retransmitter_init(&r, 0);
  brtc_retransmitter_set_rtt(&r, 50000);
  uint8_t fci[8];
  const uint16_t ask[] = {105};
  size_t fl = nack_fci(ask, 1, fci);
  uint16_t out[4];
  /* The first NACK is answered however soon it comes (the packet was only sent once). */
  CHECK_EQ_INT(brtc_retransmitter_on_nack(&r, h, fci, fl, 1000, out, 4), 1);
  brtc_retransmitter_take(&r, h, 105, 2000);
  /* Again 30 ms after the resend: the receiver asked before it could have arrived. */
  CHECK_EQ_INT(brtc_retransmitter_on_nack(&r, h, fci, fl, 32000, out, 4), 0);
  CHECK_EQ_INT(r.stats.within_rtt, 1);
  /* A full RTT later it may have been lost again: answered. */
  CHECK_EQ_INT(brtc_retransmitter_on_nack(&r, h, fci, fl, 52000, out, 4), 1);
  brtc_send_history_free(h);
}

static void test_blp_mask_and_room(void) {
  brtc_send_history *h = history_with(1000, 40, 40, 0);
  brtc_retransmitter r;
  brtc_retransmitter_init(&r, 0);
  /* One FCI entry: PID 1000, BLP bits 0, 3 and 15 → 1001, 1004, 1016 (RFC 4585 6.2.1). */
  uint8_t fci[4];
  brtc_wr16(fci, 1000);
  brtc_wr16(fci + 2, 0x8009);
  uint16_t out[8];
  size_t n = brtc_retransmitter_on_nack(&r, h, fci, 4, 10, out, 8);
  CHECK_EQ_INT(n, 4);
  CHECK(out[0] == 1000 && out[1] == 1001 && out[2] == 1004 && out[3] == 1016);
  /* Only as many as the caller can queue; the rest are counted and stay unqueued. */
  brtc_wr16(fci, 1020);
  brtc_wr16(fci + 2, 0xFFFF);
  n = brtc_retransmitter_on_nack(&r, h, fci, 4, 20, out, 5);
  CHECK_EQ_INT(n, 5);
  CHECK_EQ_INT(r.stats.no_room, 12);
  CHECK(!(brtc_send_history_get(h, 1030)->flags & BRTC_HISTORY_RESEND_QUEUED));
  brtc_retransmitter_cancel(h, 1020);
  CHECK(!(brtc_send_history_get(h, 1020)->flags & BRTC_HISTORY_RESEND_QUEUED));
  /* A trailing partial entry is ignored. */
  CHECK_EQ_INT(brtc_retransmitter_on_nack(&r, h, fci, 3, 30, out, 8), 0);
  brtc_send_history_free(h);
}

static void test_bitrate_budget(void) {
  brtc_send_history *h = history_with(0, 40, 40, 0);
  brtc_retransmitter r;
  brtc_retransmitter_init(&r, 80000); /* 10,000 bytes a second: ten of these packets */
  uint8_t fci[8];
  brtc_wr16(fci, 0);
  brtc_wr16(fci + 2, 0xFFFF); /* 0..16 */
  uint16_t out[32];
  CHECK_EQ_INT(brtc_retransmitter_on_nack(&r, h, fci, 4, 0, out, 32), 10);
  CHECK_EQ_INT(r.stats.over_budget, 7);
  /* Half a second later, half the budget is back. */
  brtc_wr16(fci, 20);
  CHECK_EQ_INT(brtc_retransmitter_on_nack(&r, h, fci, 4, 500000, out, 32), 5);
  brtc_send_history_free(h);
}

int main(void) {
  RUN(test_in_and_out_of_history);
  RUN(test_not_twice_within_rtt);
  RUN(test_blp_mask_and_room);
  RUN(test_bitrate_budget);
  return TEST_REPORT();
}
