/* Missing-sequence tracker for generic NACK. */
#include "rtp/nack.h"
#include "testing.h"

static void test_gap_and_retries(void) {
  brtc_nack_tracker t;
  brtc_nack_init(&t);
  uint16_t seqs[16];
  CHECK(brtc_nack_next_deadline(&t) == UINT64_MAX);
  brtc_nack_on_packet(&t, 10, 0);
  brtc_nack_on_packet(&t, 11, 0);
  brtc_nack_on_packet(&t, 15, 1000); /* 12, 13, 14 missing */
  CHECK_EQ_INT(t.n_missing, 3);
  CHECK(brtc_nack_next_deadline(&t) == 1000);
  brtc_nack_on_packet(&t, 13, 1500); /* late arrival clears it */
  CHECK_EQ_INT(brtc_nack_due(&t, 999, seqs, 16), 0);
  size_t n = brtc_nack_due(&t, 2000, seqs, 16);
  CHECK_EQ_INT(n, 2);
  CHECK_EQ_INT(seqs[0], 12);
  CHECK_EQ_INT(seqs[1], 14);
  /* Not again before the retry interval. */
  CHECK_EQ_INT(brtc_nack_due(&t, 2000 + BRTC_NACK_RETRY_US - 1, seqs, 16), 0);
  CHECK(brtc_nack_next_deadline(&t) == 2000 + BRTC_NACK_RETRY_US);
  uint64_t now = 2000;
  for (int r = 1; r < BRTC_NACK_MAX_RETRIES; r++) {
    now += BRTC_NACK_RETRY_US;
    CHECK_EQ_INT(brtc_nack_due(&t, now, seqs, 16), 2);
  }
  /* Asked MAX_RETRIES times: given up. */
  CHECK_EQ_INT(t.n_missing, 0);
  CHECK_EQ_INT(brtc_nack_due(&t, now + 10 * BRTC_NACK_RETRY_US, seqs, 16), 0);
  CHECK(brtc_nack_next_deadline(&t) == UINT64_MAX);
}

static void test_wrap_order_and_cap(void) {
  brtc_nack_tracker t;
  brtc_nack_init(&t);
  brtc_nack_on_packet(&t, 65532, 0);
  brtc_nack_on_packet(&t, 3, 0); /* missing 65533..65535, 0..2 */
  uint16_t seqs[4];
  size_t n = brtc_nack_due(&t, 0, seqs, 4);
  CHECK_EQ_INT(n, 4);
  CHECK_EQ_INT(seqs[0], 65533);
  CHECK_EQ_INT(seqs[3], 0);
  n = brtc_nack_due(&t, 0, seqs, 4); /* the two that did not fit */
  CHECK_EQ_INT(n, 2);
  CHECK_EQ_INT(seqs[0], 1);
  CHECK_EQ_INT(seqs[1], 2);
  /* Duplicates and old packets change nothing. */
  brtc_nack_on_packet(&t, 3, 0);
  brtc_nack_on_packet(&t, 65000, 0);
  CHECK_EQ_INT(t.n_missing, 6);
}

static void test_big_gap_not_asked(void) {
  brtc_nack_tracker t;
  brtc_nack_init(&t);
  brtc_nack_on_packet(&t, 100, 0);
  brtc_nack_on_packet(&t, 102, 0);
  CHECK_EQ_INT(t.n_missing, 1);
  brtc_nack_on_packet(&t, (uint16_t)(102 + BRTC_NACK_MAX_MISSING + 2), 0);
  CHECK_EQ_INT(t.n_missing, 0);
  /* A gap of exactly the maximum is still tracked. */
  brtc_nack_on_packet(&t, (uint16_t)(t.highest + BRTC_NACK_MAX_MISSING + 1), 0);
  CHECK_EQ_INT(t.n_missing, BRTC_NACK_MAX_MISSING);
  /* More gaps push out the oldest. */
  uint16_t first = t.missing[0].seq;
  brtc_nack_on_packet(&t, (uint16_t)(t.highest + 3), 0);
  CHECK_EQ_INT(t.n_missing, BRTC_NACK_MAX_MISSING);
  CHECK_EQ_INT(t.missing[0].seq, (uint16_t)(first + 2));
}

static void test_sender_restart(void) {
  brtc_nack_tracker t;
  brtc_nack_init(&t);
  brtc_nack_on_packet(&t, 20000, 0);
  brtc_nack_on_packet(&t, 20002, 0);
  CHECK_EQ_INT(t.n_missing, 1);
  /* The sender starts over at 100: we follow it instead of waiting for 32768 packets. */
  brtc_nack_on_packet(&t, 100, 0);
  CHECK_EQ_INT(t.n_missing, 0);
  brtc_nack_on_packet(&t, 103, 0);
  CHECK_EQ_INT(t.n_missing, 2);
  CHECK_EQ_INT(t.missing[0].seq, 101);
}

int main(void) {
  RUN(test_gap_and_retries);
  RUN(test_wrap_order_and_cap);
  RUN(test_big_gap_not_asked);
  RUN(test_sender_restart);
  return TEST_REPORT();
}
