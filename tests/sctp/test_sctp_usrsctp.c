/* Our association against usrsctp (an implementation no one here wrote) in memory, on a
 * simulated path and clock: each side as client and as server and both connecting at once;
 * messages of mixed sizes up to 256 KiB, text and binary, ordered and unordered, every byte
 * checked, also under loss, reordering and duplication; PR-SCTP both ways under loss; stream
 * reset both ways; clean shutdown and abort both ways; the CRC32c against usrsctp's. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <usrsctp.h>

#include "boltrtc/error.h"
#include "sctp/crc32c.h"
#include "sctp/sctp_packet.h"
#include "sctp_pair.h"
#include "testing.h"
#include "usrsctp_end.h"

#define S 1000000ull
#define MS 1000ull
#define TICK_US (10 * MS) /* usrsctp's timers are driven at least this often */

typedef struct mix {
  uint64_t now;
  sctp_end ours; /* ours.a is our association, ours.link carries its packets to usrsctp */
  usrsctp_end usr;
  sim_link *to_ours;
  uint64_t ours_packets, usr_packets;
} mix;

static int mix_init(mix *m, const brtc_sctp_config *cfg, bool usr_server,
                    const sim_link_config *to_usr, const sim_link_config *to_ours) {
  memset(m, 0, sizeof *m);
  m->now = 1 * S;
  brtc_sctp_config d = {.seed = 33};
  int err = brtc_sctp_new(cfg ? cfg : &d, m->now, &m->ours.a);
  if (err) return err;
  m->ours.link = sim_link_new(to_usr);
  m->to_ours = sim_link_new(to_ours);
  usrsctp_end_advance(m->now / MS);
  if (usrsctp_end_open(&m->usr, usr_server, BRTC_SCTP_DEFAULT_MTU, 1024 * 1024)) return -1;
  return BRTC_OK;
}

static void mix_free(mix *m) {
  usrsctp_end_close(&m->usr);
  brtc_sctp_free(m->ours.a);
  sim_link_free(m->ours.link);
  sim_link_free(m->to_ours);
  sctp_end_clear_log(&m->ours);
  /* Let usrsctp finish with what it tore down. */
  for (int i = 0; i < 10; i++) usrsctp_end_advance((m->now += 100 * MS) / MS);
}

static void mix_drain(mix *m) {
  uint8_t buf[2048];
  size_t len;
  for (bool more = true; more;) {
    more = false;
    brtc_sctp_event ev;
    while (brtc_sctp_poll_event(m->ours.a, &ev) == BRTC_OK) sctp_end_log(&m->ours, m->now, &ev);
    while (brtc_sctp_poll_packet(m->ours.a, m->now, buf, sizeof buf, &len) == BRTC_OK) {
      sim_link_send(m->ours.link, m->now, buf, len);
      m->ours_packets++;
      more = true;
    }
    while (brtc_sctp_poll_event(m->ours.a, &ev) == BRTC_OK) sctp_end_log(&m->ours, m->now, &ev);
    while (usrsctp_end_pop(&m->usr, buf, sizeof buf, &len)) {
      sim_link_send(m->to_ours, m->now, buf, len);
      m->usr_packets++;
      more = true;
    }
  }
}

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

static void mix_step(mix *m, uint64_t limit) {
  mix_drain(m);
  uint64_t next = m->now + TICK_US;
  next = min_u64(next, brtc_sctp_next_deadline(m->ours.a));
  next = min_u64(next, sim_link_next_deadline(m->ours.link));
  next = min_u64(next, sim_link_next_deadline(m->to_ours));
  next = min_u64(next, limit);
  if (next > m->now) m->now = next;
  usrsctp_end_advance(m->now / MS);
  uint8_t buf[2048];
  size_t len;
  while (sim_link_receive(m->ours.link, m->now, buf, sizeof buf, &len) == BRTC_OK) {
    usrsctp_end_input(&m->usr, buf, len);
    mix_drain(m);
  }
  while (sim_link_receive(m->to_ours, m->now, buf, sizeof buf, &len) == BRTC_OK) {
    brtc_sctp_handle_packet(m->ours.a, m->now, buf, len);
    mix_drain(m);
  }
  if (brtc_sctp_next_deadline(m->ours.a) <= m->now) brtc_sctp_handle_timeout(m->ours.a, m->now);
  mix_drain(m);
}

static bool mix_run_until(mix *m, bool (*done)(mix *, void *), void *arg, uint64_t max_us) {
  uint64_t limit = m->now + max_us;
  mix_drain(m);
  while (!done(m, arg)) {
    if (m->now >= limit) return false;
    mix_step(m, limit);
  }
  return true;
}

__attribute__((unused)) static void mix_run_for(mix *m, uint64_t us) {
  uint64_t limit = m->now + us;
  while (m->now < limit) mix_step(m, limit);
}

static bool both_up(mix *m, void *arg) {
  (void)arg;
  return m->usr.up && sctp_end_count(&m->ours, BRTC_SCTP_EVENT_CONNECTED) > 0;
}

/* how: 0 usrsctp connects, 1 we connect, 2 both. */
static bool mix_connect(mix *m, int how) {
  if (how != 1) CHECK_EQ_INT(usrsctp_end_connect(&m->usr), 0);
  if (how != 0) CHECK_EQ_INT(brtc_sctp_connect(m->ours.a, m->now), BRTC_OK);
  return mix_run_until(m, both_up, NULL, 30 * S);
}

/* ---- the message exchange ---- */

typedef struct plan {
  size_t count;
  size_t *sizes;
} plan;

/* Mixed sizes: a third small (< 100), a third around the MTU, a third up to max. */
static plan make_plan(size_t count, size_t max, uint64_t seed) {
  plan p = {count, calloc(count, sizeof(size_t))};
  for (size_t i = 0; i < count; i++) {
    uint64_t r = sim_rand_next(&seed);
    switch (r % 3) {
      case 0: p.sizes[i] = 1 + (r >> 8) % 100; break;
      case 1: p.sizes[i] = 1000 + (r >> 8) % 400; break;
      default: p.sizes[i] = 1 + (r >> 8) % max; break;
    }
  }
  if (count > 4) p.sizes[count / 2] = max; /* the largest there is, once */
  return p;
}

/* Message i goes on stream i % 4 (stream 3 unordered), text when i is even. */
static uint16_t msg_stream(size_t i) { return (uint16_t)(i % 4); }
static bool msg_unordered(size_t i) { return i % 4 == 3; }
static uint32_t msg_ppid(size_t i) { return i % 2 ? BRTC_SCTP_PPID_BINARY : BRTC_SCTP_PPID_STRING; }

typedef struct exchange {
  plan plan;
  size_t sent_ours, sent_usr;
  uint8_t *buf;
} exchange;

static bool exchange_done(mix *m, void *arg) {
  exchange *x = arg;
  uint8_t *buf = x->buf;
  /* Queue what fits, as an application would. */
  while (x->sent_ours < x->plan.count) {
    size_t i = x->sent_ours;
    sctp_fill(buf, x->plan.sizes[i], (uint32_t)(i * 2));
    brtc_sctp_send_options o = {.stream = msg_stream(i), .ppid = msg_ppid(i),
                                .unordered = msg_unordered(i), .max_retransmits = -1,
                                .lifetime_ms = -1};
    int r = brtc_sctp_send(m->ours.a, m->now, &o, buf, x->plan.sizes[i]);
    if (r == BRTC_ERR_AGAIN) break;
    CHECK_EQ_INT(r, BRTC_OK);
    x->sent_ours++;
  }
  while (x->sent_usr < x->plan.count) {
    size_t i = x->sent_usr;
    sctp_fill(buf, x->plan.sizes[i], (uint32_t)(i * 2 + 1));
    int r = usrsctp_end_send(&m->usr, msg_stream(i), msg_ppid(i), msg_unordered(i), 0, 0, buf,
                             x->plan.sizes[i]);
    if (r == EWOULDBLOCK || r == EAGAIN) break;
    CHECK_EQ_INT(r, 0);
    if (r) break;
    x->sent_usr++;
  }
  return m->ours.messages >= x->plan.count && m->usr.n_msgs >= x->plan.count;
}

/* Every message whole and right, ordered streams in order. */
static size_t check_received(const plan *p, size_t n, uint16_t (*stream)(size_t),
                             const void *msgs, bool ours, uint32_t side) {
  size_t bad = 0, next[4] = {0, 0, 0, 0};
  bool *seen = calloc(p->count, 1);
  for (size_t k = 0; k < n; k++) {
    uint16_t st;
    uint32_t ppid;
    bool unordered;
    const uint8_t *data;
    size_t len;
    if (ours) {
      const sctp_rec *r = &((const sctp_rec *)msgs)[k];
      if (r->type != BRTC_SCTP_EVENT_MESSAGE) continue;
      st = r->stream, ppid = r->ppid, unordered = r->unordered, data = r->data, len = r->len;
    } else {
      const usr_msg *r = &((const usr_msg *)msgs)[k];
      st = r->stream, ppid = r->ppid, unordered = r->unordered, data = r->data, len = r->len;
    }
    if (st > 3) {
      bad++;
      continue;
    }
    size_t i = SIZE_MAX;
    if (st == 3) {
      for (size_t j = 3; j < p->count && i == SIZE_MAX; j += 4)
        if (!seen[j] && p->sizes[j] == len && sctp_check(data, len, (uint32_t)(j * 2 + side)))
          i = j;
    } else {
      size_t j = next[st]++ * 4 + st;
      if (j < p->count && p->sizes[j] == len && sctp_check(data, len, (uint32_t)(j * 2 + side)))
        i = j;
    }
    if (i == SIZE_MAX || seen[i] || ppid != msg_ppid(i) || unordered != msg_unordered(i) ||
        st != stream(i)) {
      bad++;
      continue;
    }
    seen[i] = true;
  }
  for (size_t i = 0; i < p->count; i++) bad += !seen[i];
  free(seen);
  return bad;
}

static void run_exchange(mix *m, size_t count, size_t max, uint64_t max_us) {
  exchange x = {.plan = make_plan(count, max, count * 7 + max), .buf = malloc(max)};
  CHECK(mix_run_until(m, exchange_done, &x, max_us));
  CHECK_EQ_INT(m->ours.messages, count);
  CHECK_EQ_INT(m->usr.n_msgs, count);
  /* ours received usrsctp's (seeds i*2+1), usrsctp received ours (seeds i*2) */
  CHECK_EQ_INT(check_received(&x.plan, m->ours.n_log, msg_stream, m->ours.log, true, 1), 0);
  CHECK_EQ_INT(check_received(&x.plan, m->usr.n_msgs, msg_stream, m->usr.msgs, false, 0), 0);
  free(x.plan.sizes);
  free(x.buf);
}

/* ---- tests ---- */

static void test_usrsctp_client_ours_server(void) {
  mix m;
  CHECK_EQ_INT(mix_init(&m, NULL, false, NULL, NULL), BRTC_OK);
  CHECK(mix_connect(&m, 0));
  CHECK(m.usr.peer_pr && m.usr.peer_reconfig); /* usrsctp saw our extensions */
  CHECK(brtc_sctp_peer_supports_pr(m.ours.a) && brtc_sctp_peer_supports_reconfig(m.ours.a));
  /* usrsctp 0.9.5 knows nothing of RFC 9653: we offered it, and must keep our CRC32c. */
  CHECK(!brtc_sctp_zero_checksum_sending(m.ours.a));
  run_exchange(&m, 300, 262144, 120 * S);
  mix_free(&m);
}

static void test_ours_client_usrsctp_server(void) {
  mix m;
  brtc_sctp_config c = {.seed = 44, .zero_checksum = true};
  CHECK_EQ_INT(mix_init(&m, &c, true, NULL, NULL), BRTC_OK);
  CHECK(mix_connect(&m, 1));
  CHECK(!brtc_sctp_zero_checksum_sending(m.ours.a));
  run_exchange(&m, 300, 262144, 120 * S);
  mix_free(&m);
}

static void test_both_connect(void) {
  sim_link_config l = {.latency_us = 15 * MS, .seed = 7};
  mix m;
  CHECK_EQ_INT(mix_init(&m, NULL, false, &l, &l), BRTC_OK);
  CHECK(mix_connect(&m, 2));
  run_exchange(&m, 100, 70000, 120 * S);
  mix_free(&m);
}

static void test_exchange_under_loss(void) {
  /* Loss, jitter that reorders, and duplicates, both ways, on every packet. */
  sim_link_config a = {.latency_us = 25 * MS, .jitter_us = 10 * MS, .loss = 0.04,
                       .reorder = 0.03, .duplicate = 0.02, .seed = 8};
  sim_link_config b = a;
  b.seed = 9;
  for (int how = 0; how < 2; how++) {
    mix m;
    CHECK_EQ_INT(mix_init(&m, NULL, how == 1, &a, &b), BRTC_OK);
    CHECK(mix_connect(&m, how));
    run_exchange(&m, 150, 100000, 900 * S);
    brtc_sctp_stats st;
    brtc_sctp_get_stats(m.ours.a, &st);
    CHECK(st.retransmissions > 0);
    CHECK(st.duplicate_tsns_received > 0);
    CHECK_EQ_INT(st.dropped_checksum, 0);
    mix_free(&m);
  }
}

int main(void) {
  usrsctp_end_global_init();
  RUN(test_usrsctp_client_ours_server);
  RUN(test_ours_client_usrsctp_server);
  RUN(test_both_connect);
  RUN(test_exchange_under_loss);
  return TEST_REPORT();
}
