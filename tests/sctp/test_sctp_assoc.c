/* Two of our associations against each other on a simulated path: set-up both ways, data
 * both ways, ordered and unordered, fragmentation, and the events an owner sees. */
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "sctp/sctp_chunk.h"
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

/* ---- helpers ---- */

static bool nothing_held(sctp_pair *p, void *arg) {
  (void)arg;
  return brtc_sctp_send_buffer_used(p->end[0].a) == 0 && brtc_sctp_send_buffer_used(p->end[1].a) == 0;
}

static size_t count_on(const sctp_end *e, uint16_t stream) {
  size_t n = 0;
  for (size_t i = 0; i < e->n_log; i++)
    n += e->log[i].type == BRTC_SCTP_EVENT_MESSAGE && e->log[i].stream == stream;
  return n;
}

/* ---- partial reliability (RFC 3758) ---- */

/* Both policies, ordered and unordered, over a lossy path: some messages are given up, the
 * rest arrive whole and (ordered) in order, a reliable stream beside loses nothing, and the
 * sender ends holding nothing: every give-up reached the peer as a FORWARD TSN. */
static void test_pr_policies(void) {
  sim_link_config l = {.latency_us = 25 * MS, .loss = 0.1, .seed = 21};
  sim_link_config back = {.latency_us = 25 * MS, .loss = 0.05, .seed = 22};
  for (int policy = 0; policy < 2; policy++) {
    sctp_pair p;
    CHECK_EQ_INT(sctp_pair_init(&p, NULL, NULL, &l, &back), BRTC_OK);
    CHECK(sctp_pair_connect(&p, true, 10 * S));
    enum { N = 150, SIZE = 1000 };
    uint8_t buf[SIZE];
    for (uint32_t i = 0; i < N; i++) {
      memcpy(buf, &i, 4);
      sctp_fill(buf + 4, SIZE - 4, i);
      for (uint16_t st = 1; st <= 2; st++) {
        brtc_sctp_send_options o = {.stream = st, .ppid = 53, .unordered = st == 2,
                                    .max_retransmits = policy == 0 ? 1 : -1,
                                    .lifetime_ms = policy == 1 ? 150 : -1};
        CHECK_EQ_INT(brtc_sctp_send(p.end[0].a, p.now, &o, buf, SIZE), BRTC_OK);
      }
      if (i % 5 == 0) {
        brtc_sctp_send_options o = opts(0, false);
        CHECK_EQ_INT(brtc_sctp_send(p.end[0].a, p.now, &o, buf, SIZE), BRTC_OK);
      }
      sctp_pair_run_for(&p, 40 * MS);
    }
    CHECK(sctp_pair_run_until(&p, nothing_held, NULL, 60 * S));
    CHECK_EQ_INT(count_on(&p.end[1], 0), N / 5);
    for (uint16_t st = 1; st <= 2; st++) {
      int64_t last = -1;
      size_t n = 0, bad = 0;
      for (size_t k = 0; k < p.end[1].n_log; k++) {
        const sctp_rec *r = &p.end[1].log[k];
        if (r->type != BRTC_SCTP_EVENT_MESSAGE || r->stream != st) continue;
        uint32_t idx;
        memcpy(&idx, r->data, 4);
        bad += r->len != SIZE || !sctp_check(r->data + 4, SIZE - 4, idx);
        if (st == 1) bad += (int64_t)idx <= last;
        last = idx;
        n++;
      }
      CHECK_EQ_INT(bad, 0);
      CHECK(n < N);
      CHECK(n > N / 2);
    }
    brtc_sctp_stats s0, s1;
    brtc_sctp_get_stats(p.end[0].a, &s0);
    brtc_sctp_get_stats(p.end[1].a, &s1);
    CHECK(s0.messages_abandoned > 0);
    CHECK(s0.forward_tsns_sent > 0 && s1.forward_tsns_received > 0);
    sctp_pair_free(&p);
  }
}

/* A partially reliable message is lost, then the FORWARD TSN that gives it up is lost too,
 * and nothing else is sent: T3 must send the FORWARD TSN again (RFC 3758 3.5 C4). Before the
 * fix the timer stopped once nothing was in flight, and the message was held forever. */
typedef struct drop_plan {
  int data_stream;      /* drop every DATA packet on this stream */
  int forward_tsns;     /* drop this many FORWARD TSN packets */
  int inits, cookie_echoes;
} drop_plan;

static uint64_t drop_hook(void *user, const uint8_t *data, size_t len) {
  drop_plan *d = user;
  if (d->data_stream >= 0 && sctp_packet_has(data, len, BRTC_SCTP_DATA, d->data_stream))
    return SIM_LINK_DROP;
  if (d->forward_tsns > 0 && sctp_packet_has(data, len, BRTC_SCTP_FORWARD_TSN, -1)) {
    d->forward_tsns--;
    return SIM_LINK_DROP;
  }
  if (d->inits > 0 && sctp_packet_has(data, len, BRTC_SCTP_INIT, -1)) {
    d->inits--;
    return SIM_LINK_DROP;
  }
  if (d->cookie_echoes > 0 && sctp_packet_has(data, len, BRTC_SCTP_COOKIE_ECHO, -1)) {
    d->cookie_echoes--;
    return SIM_LINK_DROP;
  }
  return 0;
}

static void test_forward_tsn_lost(void) {
  drop_plan d = {.data_stream = 1, .forward_tsns = 1};
  sim_link_config l = {.latency_us = 20 * MS, .hook = drop_hook, .hook_user = &d};
  sim_link_config back = {.latency_us = 20 * MS};
  sctp_pair p;
  CHECK_EQ_INT(sctp_pair_init(&p, NULL, NULL, &l, &back), BRTC_OK);
  CHECK(sctp_pair_connect(&p, false, 10 * S));
  uint8_t msg[300] = {1};
  brtc_sctp_send_options o = {.stream = 1, .ppid = 53, .max_retransmits = 0, .lifetime_ms = -1};
  CHECK_EQ_INT(brtc_sctp_send(p.end[0].a, p.now, &o, msg, sizeof msg), BRTC_OK);
  CHECK(sctp_pair_run_until(&p, nothing_held, NULL, 10 * S));
  CHECK_EQ_INT(d.forward_tsns, 0);
  brtc_sctp_stats s;
  brtc_sctp_get_stats(p.end[0].a, &s);
  CHECK_EQ_INT(s.forward_tsns_sent, 2);
  /* And the association goes on: the next message on that stream is not held back. */
  d.data_stream = -1;
  o.max_retransmits = -1;
  CHECK_EQ_INT(brtc_sctp_send(p.end[0].a, p.now, &o, msg, sizeof msg), BRTC_OK);
  sctp_pair_run_for(&p, 1 * S);
  CHECK_EQ_INT(count_on(&p.end[1], 1), 1);
  sctp_pair_free(&p);
}

/* ---- stream reset (RFC 6525) ---- */

static bool resets_done(sctp_pair *p, void *arg) {
  (void)arg;
  return sctp_end_count(&p->end[0], BRTC_SCTP_EVENT_OUTGOING_RESET) &&
         sctp_end_count(&p->end[1], BRTC_SCTP_EVENT_INCOMING_RESET);
}

static void test_stream_reset(void) {
  sim_link_config l = {.latency_us = 20 * MS, .jitter_us = 10 * MS, .loss = 0.1, .seed = 23};
  sim_link_config back = {.latency_us = 20 * MS, .loss = 0.1, .seed = 24};
  sctp_pair p;
  CHECK_EQ_INT(sctp_pair_init(&p, NULL, NULL, &l, &back), BRTC_OK);
  CHECK(sctp_pair_connect(&p, true, 10 * S));
  uint8_t buf[3000];
  brtc_sctp_send_options o = opts(4, false);
  for (uint32_t i = 0; i < 30; i++) {
    sctp_fill(buf, sizeof buf, i);
    CHECK_EQ_INT(brtc_sctp_send(p.end[0].a, p.now, &o, buf, sizeof buf), BRTC_OK);
  }
  uint16_t s4 = 4;
  CHECK_EQ_INT(brtc_sctp_reset_streams(p.end[0].a, p.now, &s4, 1), BRTC_OK);
  CHECK_EQ_INT(brtc_sctp_send(p.end[0].a, p.now, &o, buf, 10), BRTC_ERR_STATE);
  CHECK(sctp_pair_run_until(&p, resets_done, NULL, 30 * S));
  /* The peer hears of the reset only after every message sent before it, in order. */
  size_t seen = 0;
  bool after_all = false;
  for (size_t k = 0; k < p.end[1].n_log; k++) {
    const sctp_rec *r = &p.end[1].log[k];
    if (r->type == BRTC_SCTP_EVENT_MESSAGE && r->stream == 4)
      CHECK(sctp_check(r->data, r->len, (uint32_t)seen++));
    if (r->type == BRTC_SCTP_EVENT_INCOMING_RESET && r->stream == 4) after_all = seen == 30;
  }
  CHECK(after_all);
  /* The stream starts again at SSN 0, and ordered delivery goes on from there. */
  for (uint32_t i = 0; i < 5; i++) {
    sctp_fill(buf, 100, 500 + i);
    CHECK_EQ_INT(brtc_sctp_send(p.end[0].a, p.now, &o, buf, 100), BRTC_OK);
  }
  sctp_pair_run_for(&p, 10 * S);
  CHECK_EQ_INT(count_on(&p.end[1], 4), 35);
  const sctp_rec *last = &p.end[1].log[p.end[1].n_log - 1];
  for (size_t k = p.end[1].n_log; k-- > 0;)
    if (p.end[1].log[k].type == BRTC_SCTP_EVENT_MESSAGE) {
      last = &p.end[1].log[k];
      break;
    }
  CHECK(sctp_check(last->data, 100, 504));
  /* Closing a channel the data channel way: the peer resets its side in turn. */
  CHECK_EQ_INT(brtc_sctp_reset_streams(p.end[1].a, p.now, &s4, 1), BRTC_OK);
  sctp_pair_run_for(&p, 5 * S);
  CHECK_EQ_INT(sctp_end_count(&p.end[0], BRTC_SCTP_EVENT_INCOMING_RESET), 1);
  CHECK_EQ_INT(sctp_end_count(&p.end[1], BRTC_SCTP_EVENT_OUTGOING_RESET), 1);
  sctp_pair_free(&p);
}

/* ---- endings ---- */

static bool both_closed(sctp_pair *p, void *arg) {
  (void)arg;
  return p->end[0].closed && p->end[1].closed;
}

static void test_shutdown(void) {
  sim_link_config l = {.latency_us = 20 * MS, .loss = 0.05, .seed = 25};
  for (int who = 0; who < 3; who++) { /* 0 or 1 shuts down, 2: both at once */
    sctp_pair p;
    CHECK_EQ_INT(sctp_pair_init(&p, NULL, NULL, &l, &l), BRTC_OK);
    CHECK(sctp_pair_connect(&p, true, 10 * S));
    uint8_t buf[30000];
    brtc_sctp_send_options o = opts(0, false);
    for (uint32_t i = 0; i < 10; i++) {
      sctp_fill(buf, sizeof buf, i);
      CHECK_EQ_INT(brtc_sctp_send(p.end[0].a, p.now, &o, buf, sizeof buf), BRTC_OK);
      CHECK_EQ_INT(brtc_sctp_send(p.end[1].a, p.now, &o, buf, sizeof buf), BRTC_OK);
    }
    if (who != 1) CHECK_EQ_INT(brtc_sctp_shutdown(p.end[0].a, p.now), BRTC_OK);
    if (who != 0) CHECK_EQ_INT(brtc_sctp_shutdown(p.end[1].a, p.now), BRTC_OK);
    /* 9.2: no new data once shutting down */
    CHECK_EQ_INT(brtc_sctp_send(p.end[who == 1].a, p.now, &o, buf, 10), BRTC_ERR_STATE);
    CHECK(sctp_pair_run_until(&p, both_closed, NULL, 60 * S));
    for (int e = 0; e < 2; e++) {
      CHECK_EQ_INT(p.end[e].messages, 10); /* everything queued went first */
      const sctp_rec *c = sctp_end_find(&p.end[e], BRTC_SCTP_EVENT_CLOSED, 0);
      CHECK(c && c->error == BRTC_OK);
      CHECK_EQ_INT(brtc_sctp_get_state(p.end[e].a), BRTC_SCTP_GONE);
    }
    sctp_pair_free(&p);
  }
}

static void test_abort(void) {
  sctp_pair p;
  CHECK_EQ_INT(sctp_pair_init(&p, NULL, NULL, NULL, NULL), BRTC_OK);
  CHECK(sctp_pair_connect(&p, true, 10 * S));
  brtc_sctp_abort(p.end[0].a, p.now, "closing the car");
  CHECK(sctp_pair_run_until(&p, both_closed, NULL, 1 * S));
  const sctp_rec *c0 = sctp_end_find(&p.end[0], BRTC_SCTP_EVENT_CLOSED, 0);
  const sctp_rec *c1 = sctp_end_find(&p.end[1], BRTC_SCTP_EVENT_CLOSED, 0);
  CHECK(c0 && !c0->by_peer && c0->error != BRTC_OK);
  CHECK(c1 && c1->by_peer && c1->cause == BRTC_SCTP_CAUSE_USER_ABORT);
  /* Gone is gone: nothing more in, nothing more out. */
  uint8_t pkt[1500];
  size_t len;
  CHECK_EQ_INT(brtc_sctp_poll_packet(p.end[1].a, p.now, pkt, sizeof pkt, &len), BRTC_ERR_AGAIN);
  CHECK_EQ_INT(brtc_sctp_next_deadline(p.end[1].a), UINT64_MAX);
  sctp_pair_free(&p);
}

/* ---- timers ---- */

static void test_setup_retransmissions(void) {
  /* The first INIT and the first COOKIE ECHO are lost: T1-init and T1-cookie resend them. */
  drop_plan d = {.data_stream = -1, .inits = 1, .cookie_echoes = 1};
  sim_link_config l = {.latency_us = 10 * MS, .hook = drop_hook, .hook_user = &d};
  sctp_pair p;
  CHECK_EQ_INT(sctp_pair_init(&p, NULL, NULL, &l, NULL), BRTC_OK);
  uint64_t t0 = p.now;
  CHECK(sctp_pair_connect(&p, false, 10 * S));
  CHECK_EQ_INT(d.inits + d.cookie_echoes, 0);
  /* INIT at 0 (lost), again at 500 ms; COOKIE ECHO at ~520 ms (lost), again 500 ms later. */
  uint64_t took = p.now - t0;
  CHECK(took >= 1000 * MS && took < 1100 * MS);
  sctp_pair_free(&p);
}

static void test_peer_unreachable(void) {
  /* Nobody answers the INIT: given up after Max.Init.Retransmits. */
  drop_plan d = {.data_stream = -1, .inits = 1000};
  sim_link_config l = {.hook = drop_hook, .hook_user = &d};
  sctp_pair p;
  brtc_sctp_config c = {.seed = 1, .max_init_retransmits = 3};
  CHECK_EQ_INT(sctp_pair_init(&p, &c, NULL, &l, NULL), BRTC_OK);
  brtc_sctp_connect(p.end[0].a, p.now);
  sctp_pair_run_for(&p, 60 * S);
  const sctp_rec *r = sctp_end_find(&p.end[0], BRTC_SCTP_EVENT_CLOSED, 0);
  CHECK(r && r->error == BRTC_ERR_IO);
  CHECK_EQ_INT(d.inits, 1000 - 4); /* the INIT and three resends */
  sctp_pair_free(&p);

  /* Once up, the path dies: T3 backs off, and after Association.Max.Retrans the peer is
   * unreachable. */
  sim_link_config cut = {.latency_us = 10 * MS};
  brtc_sctp_config c2 = {.seed = 2, .max_retransmits = 4};
  CHECK_EQ_INT(sctp_pair_init(&p, &c2, NULL, &cut, NULL), BRTC_OK);
  CHECK(sctp_pair_connect(&p, false, 10 * S));
  sim_link_free(p.end[0].link);
  sim_link_config dead = {.loss = 1.0};
  p.end[0].link = sim_link_new(&dead);
  uint8_t msg[10] = {0};
  brtc_sctp_send_options o = opts(0, false);
  CHECK_EQ_INT(brtc_sctp_send(p.end[0].a, p.now, &o, msg, sizeof msg), BRTC_OK);
  uint64_t t0 = p.now;
  sctp_pair_run_for(&p, 60 * S);
  r = sctp_end_find(&p.end[0], BRTC_SCTP_EVENT_CLOSED, 0);
  CHECK(r && r->error == BRTC_ERR_IO);
  /* RTO 400 ms (the set-up measured the path), doubling: 0.4 + 0.8 + 1.6 + 3.2 + 6.4 s until
   * the fifth expiry */
  CHECK(r && r->at_us - t0 >= 12 * S && r->at_us - t0 < 13 * S);
  brtc_sctp_stats s;
  brtc_sctp_get_stats(p.end[0].a, &s);
  CHECK_EQ_INT(s.t3_expiries, 5);
  sctp_pair_free(&p);
}

/* RFC 9260 8.3: an idle association sends HEARTBEATs (each answered, each an RTT sample),
 * and one whose peer fell silent while idle is found: unanswered heartbeats count toward
 * Association.Max.Retrans. Before heartbeats were sent it stayed up for ever. */
static void test_heartbeats(void) {
  sim_link_config l = {.latency_us = 50 * MS};
  brtc_sctp_config c0 = {.seed = 1, .heartbeat_interval_ms = 5000, .max_retransmits = 2};
  brtc_sctp_config c1 = {.seed = 2, .heartbeat_interval_ms = 5000};
  sctp_pair p;
  CHECK_EQ_INT(sctp_pair_init(&p, &c0, &c1, &l, &l), BRTC_OK);
  CHECK(sctp_pair_connect(&p, true, 10 * S));
  sctp_pair_run_for(&p, 30 * S);
  brtc_sctp_stats s0, s1;
  brtc_sctp_get_stats(p.end[0].a, &s0);
  brtc_sctp_get_stats(p.end[1].a, &s1);
  /* Every interval + RTO (5 s + 0.4 s) from each end: about five in 30 s. */
  CHECK(s0.heartbeats_sent >= 4 && s0.heartbeats_sent <= 6);
  CHECK(s1.heartbeats_sent >= 4 && s1.heartbeats_sent <= 6);
  CHECK_EQ_INT(s0.heartbeat_acks_received, s0.heartbeats_sent);
  CHECK(s0.srtt_ms >= 95 && s0.srtt_ms <= 105);
  CHECK_EQ_INT(brtc_sctp_get_state(p.end[0].a), BRTC_SCTP_ESTABLISHED);
  CHECK_EQ_INT(sctp_end_count(&p.end[0], BRTC_SCTP_EVENT_CLOSED), 0);

  /* The peer goes silent (end 1's packets are all lost), nothing to send: end 0 gives up
   * after three unanswered heartbeats (max_retransmits 2), within three intervals or so. */
  sim_link_free(p.end[1].link);
  sim_link_config dead = {.loss = 1.0};
  p.end[1].link = sim_link_new(&dead);
  uint64_t t0 = p.now;
  sctp_pair_run_for(&p, 60 * S);
  const sctp_rec *r = sctp_end_find(&p.end[0], BRTC_SCTP_EVENT_CLOSED, 0);
  CHECK(r && r->error == BRTC_ERR_IO);
  CHECK(r && r->at_us - t0 < 25 * S);
  sctp_pair_free(&p);
}

/* RFC 9260 6.2: a SACK for every second packet, or within 200 ms for a lone one; the I bit
 * (3.3.1) asks for one at once, and we set it when a packet is the whole flight. */
static void test_sack_timing(void) {
  sim_link_config l = {.latency_us = 10 * MS};
  sctp_pair p;
  CHECK_EQ_INT(sctp_pair_init(&p, NULL, NULL, &l, &l), BRTC_OK);
  CHECK(sctp_pair_connect(&p, false, 10 * S));
  sctp_pair_run_for(&p, 1 * S);
  brtc_sctp_stats before, after;
  brtc_sctp_get_stats(p.end[1].a, &before);
  uint8_t msg[100] = {0};
  brtc_sctp_send_options o = opts(0, false);
  CHECK_EQ_INT(brtc_sctp_send(p.end[0].a, p.now, &o, msg, sizeof msg), BRTC_OK);
  sctp_pair_run_for(&p, 25 * MS); /* one way, and the SACK back at once (I bit) */
  brtc_sctp_get_stats(p.end[1].a, &after);
  CHECK_EQ_INT(after.sacks_sent - before.sacks_sent, 1);
  CHECK_EQ_INT(brtc_sctp_send_buffer_used(p.end[0].a), 0);
  /* Four packets at once: a SACK after the second and the fourth. */
  before = after;
  uint8_t big[4 * 1100];
  for (int i = 0; i < 4; i++) CHECK_EQ_INT(brtc_sctp_send(p.end[0].a, p.now, &o, big, 1100), BRTC_OK);
  sctp_pair_run_for(&p, 25 * MS);
  brtc_sctp_get_stats(p.end[1].a, &after);
  CHECK_EQ_INT(after.sacks_sent - before.sacks_sent, 2);
  /* Three: the third packet's SACK waits the delayed-ack time, unless the I bit asked. */
  sctp_pair_run_for(&p, 1 * S);
  sctp_pair_free(&p);
}

/* Drops the DATA packet that countdown reaches 0 on (-1: none). */
typedef struct nth_drop {
  int countdown;
} nth_drop;

static uint64_t nth_hook(void *user, const uint8_t *data, size_t len) {
  nth_drop *n = user;
  if (n->countdown >= 0 && sctp_packet_has(data, len, BRTC_SCTP_DATA, -1) && n->countdown-- == 0)
    return SIM_LINK_DROP;
  return 0;
}

static void test_rtt_and_fast_retransmit(void) {
  nth_drop drop = {-1};
  sim_link_config l = {.latency_us = 30 * MS, .hook = nth_hook, .hook_user = &drop};
  sim_link_config back = {.latency_us = 30 * MS};
  sctp_pair p;
  CHECK_EQ_INT(sctp_pair_init(&p, NULL, NULL, &l, &back), BRTC_OK);
  CHECK(sctp_pair_connect(&p, false, 10 * S));
  /* The set-up already measured the path, at both ends (COOKIE ECHO to COOKIE ACK; INIT ACK
   * to COOKIE ECHO, from the time in the cookie). */
  for (int e = 0; e < 2; e++) {
    brtc_sctp_stats st;
    brtc_sctp_get_stats(p.end[e].a, &st);
    CHECK_EQ_INT(st.srtt_ms, 60);
  }
  uint8_t buf[1100];
  brtc_sctp_send_options o = opts(0, false);
  for (int i = 0; i < 20; i++)
    CHECK_EQ_INT(brtc_sctp_send(p.end[0].a, p.now, &o, buf, sizeof buf), BRTC_OK);
  sctp_pair_run_for(&p, 2 * S);
  brtc_sctp_stats s;
  brtc_sctp_get_stats(p.end[0].a, &s);
  CHECK(s.srtt_ms >= 60 && s.srtt_ms <= 61); /* the path's 60 ms, no delayed-ack time in it */
  CHECK_EQ_INT(s.rto_ms, 400);               /* floored at RTO.Min */
  /* One DATA packet lost among many: back by fast retransmit after three miss indications,
   * with no T3 expiry. */
  drop.countdown = 3;
  uint64_t t0 = p.now;
  for (int i = 0; i < 20; i++)
    CHECK_EQ_INT(brtc_sctp_send(p.end[0].a, p.now, &o, buf, sizeof buf), BRTC_OK);
  CHECK(sctp_pair_run_until(&p, nothing_held, NULL, 5 * S));
  brtc_sctp_get_stats(p.end[0].a, &s);
  CHECK_EQ_INT(s.fast_retransmissions, 1);
  CHECK_EQ_INT(s.retransmissions, 1);
  CHECK_EQ_INT(s.t3_expiries, 0);
  CHECK(p.now - t0 < 600 * MS);
  CHECK_EQ_INT(p.end[1].messages, 40);
  sctp_pair_free(&p);
}

int main(void) {
  RUN(test_connect_one_side);
  RUN(test_connect_both_sides);
  RUN(test_data_both_ways);
  RUN(test_loss_reorder_duplication);
  RUN(test_bursty_loss_rate_limit);
  RUN(test_pr_policies);
  RUN(test_forward_tsn_lost);
  RUN(test_stream_reset);
  RUN(test_shutdown);
  RUN(test_abort);
  RUN(test_setup_retransmissions);
  RUN(test_peer_unreachable);
  RUN(test_heartbeats);
  RUN(test_sack_timing);
  RUN(test_rtt_and_fast_retransmit);
  return TEST_REPORT();
}
