/* The simulated link does what its configuration says, the same way every time. */
#include <string.h>

#include "boltrtc/error.h"
#include "sim_link.h"
#include "testing.h"

#define N 20000

typedef struct result {
  uint64_t delivered, order_sum;
  uint32_t first_ids[64];
  uint64_t min_delay, max_delay;
  sim_link_stats st;
} result;

/* N datagrams of 100 bytes, one every 1 ms, each carrying its index; all drained. */
static result run(const sim_link_config *cfg) {
  result r;
  memset(&r, 0, sizeof(r));
  r.min_delay = UINT64_MAX;
  sim_link *l = sim_link_new(cfg);
  CHECK(l != NULL);
  if (!l) return r;
  uint8_t pkt[100], out[2048];
  size_t len;
  uint64_t now = 0;
  for (uint32_t i = 0; i < N || sim_link_in_flight(l); i++, now += 1000) {
    if (i < N) {
      memset(pkt, 0, sizeof(pkt));
      memcpy(pkt, &i, sizeof(i));
      memcpy(pkt + 4, &now, sizeof(now));
      CHECK_EQ_INT(sim_link_send(l, now, pkt, sizeof(pkt)), BRTC_OK);
    }
    while (sim_link_receive(l, now, out, sizeof(out), &len) == BRTC_OK) {
      uint32_t id;
      uint64_t sent;
      memcpy(&id, out, 4);
      memcpy(&sent, out + 4, 8);
      if (r.delivered < 64) r.first_ids[r.delivered] = id;
      r.delivered++;
      r.order_sum += id;
      uint64_t d = now - sent;
      if (d < r.min_delay) r.min_delay = d;
      if (d > r.max_delay) r.max_delay = d;
    }
    CHECK(sim_link_next_deadline(l) == UINT64_MAX || sim_link_next_deadline(l) > now);
  }
  r.st = *sim_link_get_stats(l);
  sim_link_free(l);
  return r;
}

static void test_perfect_link(void) {
  result r = run(NULL);
  CHECK_EQ_INT(r.delivered, N);
  CHECK_EQ_INT(r.st.reordered, 0);
  CHECK_EQ_INT(r.max_delay, 0);
}

static void test_delay_jitter_reorder(void) {
  sim_link_config c = {.latency_us = 10000, .jitter_us = 5000, .reorder = 0.1, .seed = 3};
  result r = run(&c);
  CHECK_EQ_INT(r.delivered, N);
  CHECK_EQ_INT(r.st.lost, 0);
  CHECK(r.max_delay <= 15000);
  /* A tenth skip the delay line; jitter of +-5 ms over 1 ms spacing reorders more. */
  CHECK_EQ_INT(r.min_delay, 0);
  CHECK(r.st.reordered > N / 10);
  /* Deterministic: the same seed gives the same order. */
  result again = run(&c);
  CHECK_MEM(again.first_ids, r.first_ids, sizeof(r.first_ids));
  CHECK_EQ_INT(again.st.reordered, r.st.reordered);
  c.seed = 4;
  result other = run(&c);
  CHECK(memcmp(other.first_ids, r.first_ids, sizeof(r.first_ids)) != 0);
}

static void test_random_loss_and_duplication(void) {
  sim_link_config c = {.loss = 0.05, .duplicate = 0.02, .seed = 5};
  result r = run(&c);
  CHECK(r.st.lost > N * 4 / 100 && r.st.lost < N * 6 / 100);
  CHECK(r.st.duplicated > N * 1 / 100 && r.st.duplicated < N * 3 / 100);
  CHECK_EQ_INT(r.delivered, N - r.st.lost + r.st.duplicated);
  CHECK_EQ_INT(r.st.delivered, r.delivered);
}

/* Gilbert-Elliott: the same mean loss as random loss comes in bursts. */
static uint64_t longest_burst(const sim_link_config *c) {
  sim_link *l = sim_link_new(c);
  uint8_t pkt[8] = {0}, out[16];
  size_t len;
  uint64_t burst = 0, longest = 0;
  for (int i = 0; i < N; i++) {
    uint64_t lost_before = sim_link_get_stats(l)->lost;
    sim_link_send(l, (uint64_t)i, pkt, sizeof(pkt));
    while (sim_link_receive(l, (uint64_t)i, out, sizeof(out), &len) == BRTC_OK) {
    }
    burst = sim_link_get_stats(l)->lost > lost_before ? burst + 1 : 0;
    if (burst > longest) longest = burst;
  }
  sim_link_free(l);
  return longest;
}

static void test_bursty_loss(void) {
  /* Bad state 1/20 of the time on average, bursts of 1/r = 5 datagrams, all lost there. */
  sim_link_config ge = {.ge_p = 0.0105, .ge_r = 0.2, .ge_loss_bad = 1.0, .seed = 6};
  result r = run(&ge);
  CHECK(r.st.lost > N * 3 / 100 && r.st.lost < N * 7 / 100);
  sim_link_config random = {.loss = (double)r.st.lost / N, .seed = 6};
  CHECK(longest_burst(&ge) > longest_burst(&random));
  CHECK(longest_burst(&ge) >= 10);
}

static void test_rate_limit(void) {
  /* 400 kbps: a 100-byte datagram takes 2 ms, so 1 a ms queues up and the 10 KB buffer
   * overflows: about half go through, each delayed by the queue. */
  sim_link_config c = {.rate_bps = 400000, .buffer_bytes = 10000, .seed = 7};
  result r = run(&c);
  CHECK(r.st.overflow > N * 4 / 10 && r.st.overflow < N * 6 / 10);
  CHECK_EQ_INT(r.delivered + r.st.overflow, N);
  CHECK(r.max_delay >= 190000 && r.max_delay <= 202000); /* a full buffer: 10 KB at 50 B/ms */
  CHECK_EQ_INT(r.st.reordered, 0);
}

static void test_hook_and_limits(void) {
  sim_link *l = sim_link_new(NULL);
  uint8_t big[3000] = {0}, out[16];
  size_t len;
  CHECK_EQ_INT(sim_link_send(l, 0, big, sizeof(big)), BRTC_ERR_TOO_BIG);
  CHECK_EQ_INT(sim_link_send(l, 0, big, 100), BRTC_OK);
  CHECK_EQ_INT(sim_link_receive(l, 0, out, sizeof(out), &len), BRTC_ERR_TOO_BIG);
  CHECK_EQ_INT(sim_link_in_flight(l), 1);
  sim_link_free(l);
}

static uint64_t drop_odd_delay_even(void *user, const uint8_t *data, size_t len) {
  (void)user, (void)len;
  return data[0] % 2 ? SIM_LINK_DROP : 7000;
}

static void test_hook(void) {
  sim_link_config c = {.hook = drop_odd_delay_even};
  sim_link *l = sim_link_new(&c);
  uint8_t pkt[1], out[4];
  size_t len;
  for (uint8_t i = 0; i < 10; i++) {
    pkt[0] = i;
    sim_link_send(l, 0, pkt, 1);
  }
  CHECK_EQ_INT(sim_link_get_stats(l)->lost, 5);
  CHECK(sim_link_next_deadline(l) == 7000);
  CHECK_EQ_INT(sim_link_receive(l, 6999, out, sizeof(out), &len), BRTC_ERR_AGAIN);
  int got = 0;
  while (sim_link_receive(l, 7000, out, sizeof(out), &len) == BRTC_OK) {
    CHECK_EQ_INT(out[0], got * 2);
    got++;
  }
  CHECK_EQ_INT(got, 5);
  sim_link_free(l);
}

int main(void) {
  RUN(test_perfect_link);
  RUN(test_delay_jitter_reorder);
  RUN(test_random_loss_and_duplication);
  RUN(test_bursty_loss);
  RUN(test_rate_limit);
  RUN(test_hook_and_limits);
  RUN(test_hook);
  return TEST_REPORT();
}
