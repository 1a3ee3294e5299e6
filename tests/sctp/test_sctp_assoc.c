/* Two of our associations against each other on a simulated path: set-up both ways, data
 * both ways, ordered and unordered, fragmentation, and the events an owner sees. */
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "sctp_pair.h"
#include "testing.h"

#define S 1000000ull
#define MS 1000ull

static brtc_sctp_send_options opts(uint16_t stream, bool unordered) {
  brtc_sctp_send_options o = {.stream = stream,
                              .ppid = BRTC_SCTP_PPID_BINARY,
                              .unordered = unordered,
                              .max_retransmits = -1,
                              .lifetime_ms = -1};
  return o;
}

static void test_connect_one_side(void) {
  sctp_pair p;
  CHECK_EQ_INT(sctp_pair_init(&p, NULL, NULL, NULL, NULL), BRTC_OK);
  CHECK(sctp_pair_connect(&p, false, 1 * S));
  CHECK_EQ_INT(brtc_sctp_get_state(p.end[0].a), BRTC_SCTP_ESTABLISHED);
  CHECK_EQ_INT(brtc_sctp_get_state(p.end[1].a), BRTC_SCTP_ESTABLISHED);
  CHECK(brtc_sctp_peer_supports_pr(p.end[0].a));
  CHECK(brtc_sctp_peer_supports_reconfig(p.end[1].a));
  CHECK_EQ_INT(brtc_sctp_outbound_streams(p.end[0].a), 65535);
  sctp_pair_free(&p);
}

static void test_connect_both_sides(void) {
  /* WebRTC: both ends send INIT at once (RFC 9260 5.2.1 collision). */
  sim_link_config l = {.latency_us = 20 * MS, .seed = 1};
  sctp_pair p;
  CHECK_EQ_INT(sctp_pair_init(&p, NULL, NULL, &l, &l), BRTC_OK);
  CHECK(sctp_pair_connect(&p, true, 2 * S));
  CHECK_EQ_INT(sctp_end_count(&p.end[0], BRTC_SCTP_EVENT_CONNECTED), 1);
  CHECK_EQ_INT(sctp_end_count(&p.end[1], BRTC_SCTP_EVENT_CONNECTED), 1);
  /* And data flows both ways on the tags that resulted. */
  uint8_t msg[100];
  sctp_fill(msg, sizeof msg, 7);
  brtc_sctp_send_options o = opts(1, false);
  CHECK_EQ_INT(brtc_sctp_send(p.end[0].a, p.now, &o, msg, sizeof msg), BRTC_OK);
  CHECK_EQ_INT(brtc_sctp_send(p.end[1].a, p.now, &o, msg, sizeof msg), BRTC_OK);
  sctp_pair_run_for(&p, 1 * S);
  CHECK_EQ_INT(p.end[0].messages, 1);
  CHECK_EQ_INT(p.end[1].messages, 1);
  sctp_pair_free(&p);
}

static bool got_messages(sctp_pair *p, void *arg) {
  size_t *want = arg;
  return p->end[1].messages >= want[1] && p->end[0].messages >= want[0];
}

static void test_data_both_ways(void) {
  sim_link_config l = {.latency_us = 10 * MS, .seed = 2};
  sctp_pair p;
  CHECK_EQ_INT(sctp_pair_init(&p, NULL, NULL, &l, &l), BRTC_OK);
  CHECK(sctp_pair_connect(&p, true, 2 * S));
  static const size_t sizes[] = {1, 2, 3, 100, 1163, 1164, 1200, 5000, 65536, 262144};
  const size_t n = sizeof sizes / sizeof sizes[0];
  uint8_t *buf = malloc(262144);
  for (size_t i = 0; i < n; i++) {
    sctp_fill(buf, sizes[i], (uint32_t)i);
    brtc_sctp_send_options o = opts((uint16_t)(i % 3), i % 2);
    CHECK_EQ_INT(brtc_sctp_send(p.end[0].a, p.now, &o, buf, sizes[i]), BRTC_OK);
    sctp_fill(buf, sizes[i], (uint32_t)(1000 + i));
    CHECK_EQ_INT(brtc_sctp_send(p.end[1].a, p.now, &o, buf, sizes[i]), BRTC_OK);
  }
  size_t want[2] = {n, n};
  CHECK(sctp_pair_run_until(&p, got_messages, want, 10 * S));
  for (int side = 0; side < 2; side++) {
    /* Every byte of every message; per stream in order (ordered ones). */
    for (size_t i = 0; i < n; i++) {
      uint32_t seed = (uint32_t)(side == 1 ? i : 1000 + i);
      bool found = false;
      for (size_t k = 0; k < p.end[side].n_log; k++) {
        const sctp_rec *r = &p.end[side].log[k];
        if (r->type != BRTC_SCTP_EVENT_MESSAGE || r->len != sizes[i] || r->stream != i % 3) continue;
        if (sctp_check(r->data, r->len, seed)) found = true;
      }
      CHECK(found);
    }
  }
  free(buf);
  sctp_pair_free(&p);
}

/* Many messages of mixed sizes, both ways, over a bad path: every byte arrives, ordered
 * streams in order. */
static void exchange_over(const sim_link_config *l01, const sim_link_config *l10, size_t count,
                          size_t max_size, uint64_t max_us, sctp_pair *out_pair) {
  sctp_pair *p = out_pair;
  CHECK_EQ_INT(sctp_pair_init(p, NULL, NULL, l01, l10), BRTC_OK);
  CHECK(sctp_pair_connect(p, true, 30 * S));
  uint8_t *buf = malloc(max_size);
  uint64_t s = 99;
  size_t sent[2] = {0, 0};
  size_t *sizes = calloc(count, sizeof *sizes);
  for (size_t i = 0; i < count; i++) {
    uint64_t r = sim_rand_next(&s);
    sizes[i] = 1 + (size_t)(r % (r & 1 ? 1200 : max_size));
  }
  /* Queue as the buffer allows; keep going until all are delivered. */
  uint64_t limit = p->now + max_us;
  while ((p->end[0].messages < count || p->end[1].messages < count) && p->now < limit) {
    for (int side = 0; side < 2; side++) {
      while (sent[side] < count) {
        size_t i = sent[side];
        sctp_fill(buf, sizes[i], (uint32_t)(i * 2 + side));
        brtc_sctp_send_options o = opts((uint16_t)(i % 4), i % 4 == 3);
        int r = brtc_sctp_send(p->end[side].a, p->now, &o, buf, sizes[i]);
        if (r == BRTC_ERR_AGAIN) break;
        CHECK_EQ_INT(r, BRTC_OK);
        if (r) break;
        sent[side]++;
      }
    }
    sctp_pair_step(p, limit);
  }
  for (int side = 0; side < 2; side++) {
    const sctp_end *e = &p->end[1 - side];
    CHECK_EQ_INT(e->messages, count);
    uint32_t next[4] = {0, 0, 0, 0};
    size_t bad = 0;
    for (size_t k = 0; k < e->n_log; k++) {
      const sctp_rec *r = &e->log[k];
      if (r->type != BRTC_SCTP_EVENT_MESSAGE) continue;
      uint16_t st = r->stream;
      if (st == 3) { /* unordered: find which one by size and bytes */
        bool ok = false;
        for (size_t i = 3; i < count && !ok; i += 4)
          ok = sizes[i] == r->len && sctp_check(r->data, r->len, (uint32_t)(i * 2 + side));
        bad += !ok;
        continue;
      }
      size_t i = next[st] * 4 + st;
      next[st]++;
      bad += !(i < count && sizes[i] == r->len && sctp_check(r->data, r->len, (uint32_t)(i * 2 + side)));
    }
    CHECK_EQ_INT(bad, 0);
  }
  free(sizes);
  free(buf);
}

static void test_loss_reorder_duplication(void) {
  sim_link_config l = {.latency_us = 30 * MS, .jitter_us = 10 * MS, .loss = 0.05,
                       .reorder = 0.05, .duplicate = 0.03, .seed = 3};
  sim_link_config l2 = l;
  l2.seed = 4;
  sctp_pair p;
  exchange_over(&l, &l2, 400, 70000, 600 * S, &p);
  brtc_sctp_stats st;
  brtc_sctp_get_stats(p.end[0].a, &st);
  CHECK(st.retransmissions > 0);
  CHECK(st.fast_retransmissions > 0);
  CHECK(st.duplicate_tsns_received > 0);
  sctp_pair_free(&p);
}

static void test_bursty_loss_rate_limit(void) {
  sim_link_config l = {.latency_us = 40 * MS, .ge_p = 0.02, .ge_r = 0.3, .ge_loss_bad = 0.8,
                       .rate_bps = 8000000, .buffer_bytes = 64 * 1024, .seed = 5};
  sim_link_config l2 = l;
  l2.seed = 6;
  sctp_pair p;
  exchange_over(&l, &l2, 300, 100000, 900 * S, &p);
  sctp_pair_free(&p);
}

int main(void) {
  RUN(test_connect_one_side);
  RUN(test_connect_both_sides);
  RUN(test_data_both_ways);
  RUN(test_loss_reorder_duplication);
  RUN(test_bursty_loss_rate_limit);
  return TEST_REPORT();
}
