/* Missing-sequence tracker for generic NACK: the reordering allowance, asks spaced by the
 * RTT, a bounded number of asks, duplicates told apart. */
#include "rtp/nack.h"
#include "testing.h"

#define M BRTC_NACK_SRC_MEDIA_MAYBE_RESENT
#define WAIT BRTC_NACK_INITIAL_WAIT_US

static void test_gap_waits_then_asks(void) {
  brtc_nack_tracker t;
  brtc_nack_init(&t);
  uint16_t seqs[16];
  CHECK(brtc_nack_next_deadline(&t) == UINT64_MAX);
  CHECK_EQ_INT(brtc_nack_on_packet(&t, 10, M, 0), BRTC_NACK_NEW);
  brtc_nack_on_packet(&t, 11, M, 0);
  brtc_nack_on_packet(&t, 15, M, 1000); /* 12, 13, 14 missing */
  CHECK_EQ_INT(t.n_missing, 3);
  /* Not at once: the reordering allowance first. */
  CHECK_EQ_INT(brtc_nack_due(&t, 1000, seqs, 16), 0);
  CHECK(brtc_nack_next_deadline(&t) == 1000 + WAIT);
  /* 13 was only late: filled before anyone asked. */
  CHECK_EQ_INT(brtc_nack_on_packet(&t, 13, M, 1500), BRTC_NACK_REORDERED);
  CHECK_EQ_INT(t.stats.reordered, 1);
  CHECK_EQ_INT(brtc_nack_due(&t, 1000 + WAIT - 1, seqs, 16), 0);
  size_t n = brtc_nack_due(&t, 1000 + WAIT, seqs, 16);
  CHECK_EQ_INT(n, 2);
  CHECK_EQ_INT(seqs[0], 12);
  CHECK_EQ_INT(seqs[1], 14);
  CHECK_EQ_INT(t.stats.messages_built, 1);
  CHECK_EQ_INT(t.stats.seqs_asked, 2);
}

/* Each missing packet is asked for at most BRTC_NACK_MAX_ASKS times, spaced by RTT plus
 * the allowance, then forgotten once the last ask has had its round trip. */
static void test_asks_spaced_by_rtt_and_bounded(void) {
  brtc_nack_tracker t;
  brtc_nack_init(&t);
  brtc_nack_set_rtt(&t, 40000);
  uint16_t seqs[16];
  brtc_nack_on_packet(&t, 100, M, 0);
  brtc_nack_on_packet(&t, 102, M, 0);
  uint64_t now = WAIT;
  CHECK_EQ_INT(brtc_nack_due(&t, now, seqs, 16), 1);
  uint64_t interval = 40000 + WAIT;
  /* A repeat may go a quarter of the interval early (to share a message), never sooner. */
  CHECK_EQ_INT(brtc_nack_due(&t, now + interval - interval / 4 - 1, seqs, 16), 0);
  int asks = 1;
  for (int i = 0; i < 10; i++) {
    now += interval;
    asks += (int)brtc_nack_due(&t, now, seqs, 16);
  }
  CHECK_EQ_INT(asks, BRTC_NACK_MAX_ASKS);
  CHECK_EQ_INT(t.n_missing, 0);
  CHECK_EQ_INT(t.stats.given_up, 1);
  CHECK(brtc_nack_next_deadline(&t) == UINT64_MAX);
  /* It came after all: late, not a gap. */
  CHECK_EQ_INT(brtc_nack_on_packet(&t, 101, BRTC_NACK_SRC_RTX, now), BRTC_NACK_LATE);
  CHECK_EQ_INT(brtc_nack_on_packet(&t, 101, BRTC_NACK_SRC_RTX, now), BRTC_NACK_DUPLICATE);
}

static void test_recovered_duplicate_and_asked(void) {
  brtc_nack_tracker t;
  brtc_nack_init(&t);
  brtc_nack_set_rtt(&t, 30000);
  uint16_t seqs[4];
  brtc_nack_on_packet(&t, 1, M, 0);
  brtc_nack_on_packet(&t, 3, M, 0);
  brtc_nack_on_packet(&t, 5, M, 0);
  CHECK_EQ_INT(brtc_nack_due(&t, WAIT, seqs, 4), 2);
  CHECK(brtc_nack_was_asked(&t, 2, WAIT));
  CHECK(!brtc_nack_was_asked(&t, 3, WAIT));
  /* 2 comes back by RTX: recovered. A second copy of it is a duplicate. */
  CHECK_EQ_INT(brtc_nack_on_packet(&t, 2, BRTC_NACK_SRC_RTX, WAIT + 30000), BRTC_NACK_RECOVERED);
  CHECK_EQ_INT(brtc_nack_on_packet(&t, 2, BRTC_NACK_SRC_RTX, WAIT + 31000), BRTC_NACK_DUPLICATE);
  CHECK_EQ_INT(brtc_nack_on_packet(&t, 5, M, WAIT + 31000), BRTC_NACK_DUPLICATE);
  CHECK_EQ_INT(t.stats.duplicates, 2);
  /* 4 on the media SSRC sooner than half a (known) round trip after the ask: the late
   * original. */
  CHECK_EQ_INT(brtc_nack_on_packet(&t, 4, M, WAIT + 1000), BRTC_NACK_REORDERED);
  CHECK_EQ_INT(t.stats.spurious, 1);
  CHECK_EQ_INT(t.stats.recovered, 1);
  /* The ask is remembered for two seconds. */
  CHECK(brtc_nack_was_asked(&t, 2, WAIT + 1999000));
  CHECK(!brtc_nack_was_asked(&t, 2, WAIT + 2100000));
}

/* The allowance follows the lateness of reordered packets: it grows at once to cover a
 * later one, and shrinks after two runs of smaller lateness. */
static void test_allowance_follows_reordering(void) {
  brtc_nack_tracker t;
  brtc_nack_init(&t);
  brtc_nack_set_rtt(&t, BRTC_NACK_DEFAULT_RTT_US);
  CHECK_EQ_INT(brtc_nack_wait_us(&t), WAIT);
  uint16_t seq = 0;
  uint64_t now = 0;
  brtc_nack_on_packet(&t, seq, M, now);
  /* 40 ms late: more than the initial allowance, so it was asked for, but it came sooner
   * than half the default round trip after the ask: reordering all the same. */
  seq += 2;
  brtc_nack_on_packet(&t, seq, M, now);
  uint16_t seqs[4];
  CHECK_EQ_INT(brtc_nack_due(&t, now + WAIT, seqs, 4), 1);
  CHECK_EQ_INT(brtc_nack_on_packet(&t, (uint16_t)(seq - 1), M, now + 40000), BRTC_NACK_REORDERED);
  CHECK(brtc_nack_wait_us(&t) >= 40000);
  CHECK(brtc_nack_wait_us(&t) <= BRTC_NACK_MAX_WAIT_US);
  /* Then 200 reorderings of 2 ms each: the allowance comes down, not below the minimum. */
  for (int i = 0; i < 200; i++) {
    now += 100000;
    seq += 2;
    brtc_nack_on_packet(&t, seq, M, now);
    brtc_nack_on_packet(&t, (uint16_t)(seq - 1), M, now + 2000);
  }
  CHECK(brtc_nack_wait_us(&t) < 10000);
  CHECK(brtc_nack_wait_us(&t) >= BRTC_NACK_MIN_WAIT_US);
  CHECK_EQ_INT(t.stats.reordered, 201);
  CHECK_EQ_INT(t.stats.seqs_asked, 1);
}

/* Before RTCP gives the RTT, a packet on the media SSRC that fills an asked-for gap may be
 * the resend or the late original: it counts as recovered and teaches the allowance
 * nothing. */
static void test_unknown_rtt_no_guess(void) {
  brtc_nack_tracker t;
  brtc_nack_init(&t);
  uint16_t seqs[4];
  brtc_nack_on_packet(&t, 1, M, 0);
  brtc_nack_on_packet(&t, 3, M, 0);
  CHECK_EQ_INT(brtc_nack_due(&t, WAIT, seqs, 4), 1);
  CHECK_EQ_INT(brtc_nack_on_packet(&t, 2, M, WAIT + 1000), BRTC_NACK_RECOVERED);
  CHECK_EQ_INT(t.late_samples, 0);
  CHECK_EQ_INT(t.stats.spurious, 0);
}

/* The first packet to arrive had overtaken earlier ones: one of those arriving shows where
 * the stream began, and the packets between are asked for like any gap. Not too far back,
 * and not for an RTX packet (a resend of something we gave up). */
static void test_stream_began_earlier(void) {
  brtc_nack_tracker t;
  brtc_nack_init(&t);
  uint16_t seqs[8];
  brtc_nack_on_packet(&t, 1005, M, 0);
  brtc_nack_on_packet(&t, 1006, M, 0);
  CHECK_EQ_INT(brtc_nack_on_packet(&t, 1001, M, 1000), BRTC_NACK_REORDERED);
  CHECK_EQ_INT(t.n_missing, 3); /* 1002..1004 */
  CHECK_EQ_INT(brtc_nack_on_packet(&t, 1003, M, 2000), BRTC_NACK_REORDERED);
  CHECK_EQ_INT(brtc_nack_due(&t, 1000 + WAIT, seqs, 8), 2);
  CHECK_EQ_INT(seqs[0], 1002);
  CHECK_EQ_INT(seqs[1], 1004);
  CHECK_EQ_INT(brtc_nack_on_packet(&t, 1001, M, 3000), BRTC_NACK_DUPLICATE);
  CHECK_EQ_INT(brtc_nack_on_packet(&t, 900, M, 3000), BRTC_NACK_LATE); /* too far back */
  CHECK_EQ_INT(brtc_nack_on_packet(&t, 999, BRTC_NACK_SRC_RTX, 3000), BRTC_NACK_LATE);
  CHECK_EQ_INT(t.n_missing, 2);
  /* Once frames were given up, the start stays where it is. */
  brtc_nack_forget_before(&t, 1000);
  CHECK_EQ_INT(brtc_nack_on_packet(&t, 995, M, 3000), BRTC_NACK_LATE);
  CHECK_EQ_INT(t.n_missing, 2);
}

static void test_wrap_order_and_cap(void) {
  brtc_nack_tracker t;
  brtc_nack_init(&t);
  brtc_nack_on_packet(&t, 65532, M, 0);
  brtc_nack_on_packet(&t, 3, M, 0); /* missing 65533..65535, 0..2 */
  uint16_t seqs[4];
  size_t n = brtc_nack_due(&t, WAIT, seqs, 4);
  CHECK_EQ_INT(n, 4);
  CHECK_EQ_INT(seqs[0], 65533);
  CHECK_EQ_INT(seqs[3], 0);
  n = brtc_nack_due(&t, WAIT, seqs, 4); /* the two that did not fit */
  CHECK_EQ_INT(n, 2);
  CHECK_EQ_INT(seqs[0], 1);
  CHECK_EQ_INT(seqs[1], 2);
  /* Duplicates and old packets change nothing. */
  brtc_nack_on_packet(&t, 3, M, 0);
  brtc_nack_on_packet(&t, 65000, M, 0);
  CHECK_EQ_INT(t.n_missing, 6);
}

static void test_big_gap_not_asked(void) {
  brtc_nack_tracker t;
  brtc_nack_init(&t);
  brtc_nack_on_packet(&t, 100, M, 0);
  brtc_nack_on_packet(&t, 102, M, 0);
  CHECK_EQ_INT(t.n_missing, 1);
  brtc_nack_on_packet(&t, (uint16_t)(102 + BRTC_NACK_MAX_MISSING + 2), M, 0);
  CHECK_EQ_INT(t.n_missing, 0);
  /* A gap of exactly the maximum is still tracked. */
  brtc_nack_on_packet(&t, (uint16_t)(t.highest + BRTC_NACK_MAX_MISSING + 1), M, 0);
  CHECK_EQ_INT(t.n_missing, BRTC_NACK_MAX_MISSING);
  /* More gaps push out the oldest. */
  uint16_t first = t.missing[0].seq;
  brtc_nack_on_packet(&t, (uint16_t)(t.highest + 3), M, 0);
  CHECK_EQ_INT(t.n_missing, BRTC_NACK_MAX_MISSING);
  CHECK_EQ_INT(t.missing[0].seq, (uint16_t)(first + 2));
}

static void test_forget_before(void) {
  brtc_nack_tracker t;
  brtc_nack_init(&t);
  brtc_nack_on_packet(&t, 65530, M, 0);
  brtc_nack_on_packet(&t, 5, M, 0); /* 65531..65535, 0..4 missing */
  CHECK_EQ_INT(t.n_missing, 10);
  brtc_nack_forget_before(&t, 2);
  CHECK_EQ_INT(t.n_missing, 3);
  CHECK_EQ_INT(t.missing[0].seq, 2);
}

static void test_sender_restart(void) {
  brtc_nack_tracker t;
  brtc_nack_init(&t);
  brtc_nack_on_packet(&t, 20000, M, 0);
  brtc_nack_on_packet(&t, 20002, M, 0);
  CHECK_EQ_INT(t.n_missing, 1);
  /* The sender starts over at 100: we follow it instead of waiting for 32768 packets. */
  brtc_nack_on_packet(&t, 100, M, 0);
  CHECK_EQ_INT(t.n_missing, 0);
  brtc_nack_on_packet(&t, 103, M, 0);
  CHECK_EQ_INT(t.n_missing, 2);
  CHECK_EQ_INT(t.missing[0].seq, 101);
}

int main(void) {
  RUN(test_gap_waits_then_asks);
  RUN(test_asks_spaced_by_rtt_and_bounded);
  RUN(test_recovered_duplicate_and_asked);
  RUN(test_allowance_follows_reordering);
  RUN(test_unknown_rtt_no_guess);
  RUN(test_stream_began_earlier);
  RUN(test_wrap_order_and_cap);
  RUN(test_big_gap_not_asked);
  RUN(test_forget_before);
  RUN(test_sender_restart);
  return TEST_REPORT();
}
