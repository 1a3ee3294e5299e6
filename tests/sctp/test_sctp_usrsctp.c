/* Our association against usrsctp (an implementation no one here wrote) in memory, on a
 * simulated path and clock: each side as client and as server and both connecting at once;
 * messages of mixed sizes up to 256 KiB, text and binary, ordered and unordered, every byte
 * checked, also under loss, reordering and duplication; PR-SCTP both ways under loss; stream
 * reset both ways; clean shutdown and abort both ways; every packet type lost, delayed past
 * the RTO or replayed late, each way, over a whole association; the CRC32c against usrsctp's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <usrsctp.h>

#include "boltrtc/error.h"
#include "sctp/crc32c.h"
#include "sctp/datachannel.h"
#include "sctp/dcep.h"
#include "sctp/sctp_packet.h"
#include "sctp_pair.h"
#include "testing.h"
#include "usrsctp_end.h"

#define S 1000000ull
#define MS 1000ull
#define TICK_US (10 * MS) /* usrsctp's timers are driven at least this often */

typedef struct dc_rec {
  brtc_dc_event_type type;
  brtc_dc *channel;
  bool binary;
  size_t len;
  uint8_t data[64];
} dc_rec;

typedef struct mix {
  uint64_t now;
  sctp_end ours; /* ours.a is our association, ours.link carries its packets to usrsctp */
  brtc_dc_transport *dc; /* or, instead of ours.a, a data channel transport */
  dc_rec dc_log[512];
  size_t dc_n;
  usrsctp_end usr;
  sim_link *to_ours;
  uint64_t ours_packets, usr_packets;
} mix;

static int mix_init(mix *m, const brtc_sctp_config *cfg, bool usr_server,
                    const sim_link_config *to_usr, const sim_link_config *to_ours) {
  memset(m, 0, sizeof *m);
  m->now = usrsctp_end_clock_us() + 1 * S; /* usrsctp's clock only goes forward */
  brtc_sctp_config d = {.seed = 33};
  int err = brtc_sctp_new(cfg ? cfg : &d, m->now, &m->ours.a);
  if (err) return err;
  m->ours.link = sim_link_new(to_usr);
  m->to_ours = sim_link_new(to_ours);
  usrsctp_end_advance(m->now);
  if (usrsctp_end_open(&m->usr, usr_server, BRTC_SCTP_DEFAULT_MTU, 1024 * 1024)) return -1;
  return BRTC_OK;
}

static void mix_free(mix *m) {
  usrsctp_end_close(&m->usr);
  brtc_sctp_free(m->ours.a);
  brtc_dc_transport_free(m->dc);
  sim_link_free(m->ours.link);
  sim_link_free(m->to_ours);
  sctp_end_clear_log(&m->ours);
  /* Let usrsctp finish with what it tore down. */
  for (int i = 0; i < 10; i++) usrsctp_end_advance(m->now += 100 * MS);
}

static int ours_poll_packet(mix *m, uint8_t *buf, size_t cap, size_t *len) {
  return m->dc ? brtc_dc_transport_poll_packet(m->dc, m->now, buf, cap, len)
               : brtc_sctp_poll_packet(m->ours.a, m->now, buf, cap, len);
}

static void ours_poll_events(mix *m) {
  if (!m->dc) {
    brtc_sctp_event ev;
    while (brtc_sctp_poll_event(m->ours.a, &ev) == BRTC_OK) sctp_end_log(&m->ours, m->now, &ev);
    return;
  }
  brtc_dc_event ev;
  while (brtc_dc_transport_poll_event(m->dc, &ev) == BRTC_OK) {
    if (m->dc_n == sizeof m->dc_log / sizeof m->dc_log[0]) continue;
    dc_rec *r = &m->dc_log[m->dc_n++];
    memset(r, 0, sizeof *r);
    r->type = ev.type;
    r->channel = ev.channel;
    r->binary = ev.binary;
    r->len = ev.len;
    if (ev.data) memcpy(r->data, ev.data, ev.len < sizeof r->data ? ev.len : sizeof r->data);
  }
}

static void mix_drain(mix *m) {
  uint8_t buf[2048];
  size_t len;
  for (bool more = true; more;) {
    more = false;
    ours_poll_events(m);
    while (ours_poll_packet(m, buf, sizeof buf, &len) == BRTC_OK) {
      sim_link_send(m->ours.link, m->now, buf, len);
      m->ours_packets++;
      more = true;
    }
    ours_poll_events(m);
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
  next = min_u64(next, m->dc ? brtc_dc_transport_next_deadline(m->dc)
                             : brtc_sctp_next_deadline(m->ours.a));
  next = min_u64(next, sim_link_next_deadline(m->ours.link));
  next = min_u64(next, sim_link_next_deadline(m->to_ours));
  next = min_u64(next, limit);
  if (next > m->now) m->now = next;
  usrsctp_end_advance(m->now);
  uint8_t buf[2048];
  size_t len;
  while (sim_link_receive(m->ours.link, m->now, buf, sizeof buf, &len) == BRTC_OK) {
    usrsctp_end_input(&m->usr, buf, len);
    mix_drain(m);
  }
  while (sim_link_receive(m->to_ours, m->now, buf, sizeof buf, &len) == BRTC_OK) {
    if (m->dc)
      brtc_dc_transport_handle_packet(m->dc, m->now, buf, len);
    else
      brtc_sctp_handle_packet(m->ours.a, m->now, buf, len);
    mix_drain(m);
  }
  if (m->dc && brtc_dc_transport_next_deadline(m->dc) <= m->now)
    brtc_dc_transport_handle_timeout(m->dc, m->now);
  if (!m->dc && brtc_sctp_next_deadline(m->ours.a) <= m->now)
    brtc_sctp_handle_timeout(m->ours.a, m->now);
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

static void mix_run_for(mix *m, uint64_t us) {
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

/* ---- PR-SCTP (RFC 3758) ---- */

static size_t usr_count(const usrsctp_end *u, uint16_t stream) {
  size_t n = 0;
  for (size_t i = 0; i < u->n_msgs; i++) n += u->msgs[i].stream == stream;
  return n;
}

static size_t ours_count(const sctp_end *e, uint16_t stream) {
  size_t n = 0;
  for (size_t i = 0; i < e->n_log; i++)
    n += e->log[i].type == BRTC_SCTP_EVENT_MESSAGE && e->log[i].stream == stream;
  return n;
}

/* Messages i = 0.. carry their index in their first 4 bytes; on an ordered stream the indices
 * that arrive must rise. Returns how many arrived, or SIZE_MAX if out of order or damaged. */
static size_t pr_arrivals(const uint8_t *const *data, const size_t *lens, size_t n, size_t size) {
  int64_t last = -1;
  for (size_t k = 0; k < n; k++) {
    uint32_t idx;
    if (lens[k] != size) return SIZE_MAX;
    memcpy(&idx, data[k], 4);
    if ((int64_t)idx <= last || !sctp_check(data[k] + 4, size - 4, idx)) return SIZE_MAX;
    last = idx;
  }
  return n;
}

static void pr_message(uint8_t *buf, size_t size, uint32_t i) {
  memcpy(buf, &i, 4);
  sctp_fill(buf + 4, size - 4, i);
}

static bool ours_drained(mix *m, void *arg) {
  (void)arg;
  return brtc_sctp_send_buffer_used(m->ours.a) == 0;
}

/* Ours sends partially reliable messages to usrsctp over a lossy path: some are given up,
 * usrsctp takes our FORWARD TSNs and moves on, the reliable stream beside loses nothing. */
static void test_pr_ours_to_usrsctp(void) {
  sim_link_config lossy = {.latency_us = 20 * MS, .loss = 0.1, .seed = 10};
  sim_link_config back = {.latency_us = 20 * MS, .seed = 11};
  for (int policy = 0; policy < 2; policy++) {
    mix m;
    CHECK_EQ_INT(mix_init(&m, NULL, false, &lossy, &back), BRTC_OK);
    CHECK(mix_connect(&m, 0));
    enum { N = 200, SIZE = 1000 };
    uint8_t buf[SIZE];
    for (uint32_t i = 0; i < N; i++) {
      pr_message(buf, SIZE, i);
      /* stream 1: ordered, stream 2: unordered; 0 retransmissions, or 200 ms to live */
      for (uint16_t st = 1; st <= 2; st++) {
        brtc_sctp_send_options o = {.stream = st, .ppid = BRTC_SCTP_PPID_BINARY,
                                    .unordered = st == 2,
                                    .max_retransmits = policy == 0 ? 0 : -1,
                                    .lifetime_ms = policy == 1 ? 200 : -1};
        CHECK_EQ_INT(brtc_sctp_send(m.ours.a, m.now, &o, buf, SIZE), BRTC_OK);
      }
      if (i % 10 == 0) {
        brtc_sctp_send_options o = {.stream = 0, .ppid = BRTC_SCTP_PPID_BINARY,
                                    .max_retransmits = -1, .lifetime_ms = -1};
        CHECK_EQ_INT(brtc_sctp_send(m.ours.a, m.now, &o, buf, SIZE), BRTC_OK);
      }
      mix_run_for(&m, 40 * MS); /* one message per stream every 40 ms */
    }
    CHECK(mix_run_until(&m, ours_drained, NULL, 60 * S));
    mix_run_for(&m, 2 * S);
    CHECK_EQ_INT(usr_count(&m.usr, 0), N / 10);
    for (uint16_t st = 1; st <= 2; st++) {
      const uint8_t *data[N];
      size_t lens[N], n = 0;
      for (size_t k = 0; k < m.usr.n_msgs && n < N; k++)
        if (m.usr.msgs[k].stream == st) {
          data[n] = m.usr.msgs[k].data;
          lens[n++] = m.usr.msgs[k].len;
        }
      size_t arrived = st == 1 ? pr_arrivals(data, lens, n, SIZE) : n;
      CHECK(arrived != SIZE_MAX);
      CHECK(arrived < N);      /* some were given up ... */
      CHECK(arrived > N / 2);  /* ... not most */
    }
    brtc_sctp_stats st;
    brtc_sctp_get_stats(m.ours.a, &st);
    CHECK(st.messages_abandoned > 0);
    CHECK(st.forward_tsns_sent > 0);
    CHECK_EQ_INT(brtc_sctp_get_state(m.ours.a), BRTC_SCTP_ESTABLISHED);
    mix_free(&m);
  }
}

/* usrsctp sends partially reliable messages to us over a lossy path, with a retransmission
 * limit and with a lifetime: its FORWARD TSNs move our cumulative TSN and the ordered stream's
 * SSN past what it gave up. */
static void test_pr_usrsctp_to_ours(void) {
  sim_link_config lossy = {.latency_us = 20 * MS, .loss = 0.1, .seed = 12};
  sim_link_config back = {.latency_us = 20 * MS, .seed = 13};
  for (int policy = 0; policy < 2; policy++) {
    mix m;
    CHECK_EQ_INT(mix_init(&m, NULL, true, &back, &lossy), BRTC_OK);
    CHECK(mix_connect(&m, 1));
    enum { N = 200, SIZE = 1000 };
    uint8_t buf[SIZE];
    for (uint32_t i = 0; i < N; i++) {
      pr_message(buf, SIZE, i);
      for (uint16_t st = 1; st <= 2; st++)
        CHECK_EQ_INT(usrsctp_end_send(&m.usr, st, BRTC_SCTP_PPID_BINARY, st == 2,
                                      policy == 0 ? SCTP_PR_SCTP_RTX : SCTP_PR_SCTP_TTL,
                                      policy == 0 ? 0 : 50, buf, SIZE), 0);
      if (i % 10 == 0)
        CHECK_EQ_INT(usrsctp_end_send(&m.usr, 0, BRTC_SCTP_PPID_BINARY, false, 0, 0, buf, SIZE), 0);
      mix_run_for(&m, 40 * MS);
    }
    mix_run_for(&m, 20 * S);
    CHECK_EQ_INT(ours_count(&m.ours, 0), N / 10);
    for (uint16_t st = 1; st <= 2; st++) {
      const uint8_t *data[N];
      size_t lens[N], n = 0;
      for (size_t k = 0; k < m.ours.n_log && n < N; k++) {
        const sctp_rec *r = &m.ours.log[k];
        if (r->type == BRTC_SCTP_EVENT_MESSAGE && r->stream == st) {
          data[n] = r->data;
          lens[n++] = r->len;
        }
      }
      size_t arrived = st == 1 ? pr_arrivals(data, lens, n, SIZE) : n;
      CHECK(arrived != SIZE_MAX);
      CHECK(arrived < N);
      CHECK(arrived > N / 2);
    }
    brtc_sctp_stats st;
    brtc_sctp_get_stats(m.ours.a, &st);
    CHECK(st.forward_tsns_received > 0);
    /* Nothing is left waiting: everything given up was skipped. */
    CHECK(brtc_sctp_memory(m.ours.a) < 64 * 1024);
    mix_free(&m);
  }
}

/* ---- stream reset (RFC 6525) ---- */

static bool reset_seen(mix *m, void *arg) {
  int *what = arg;
  if (*what == 0)
    return m->usr.resets_in > 0 && sctp_end_count(&m->ours, BRTC_SCTP_EVENT_OUTGOING_RESET) > 0;
  return sctp_end_count(&m->ours, BRTC_SCTP_EVENT_INCOMING_RESET) > 0 && m->usr.resets_out > 0;
}

static void test_reset_both_ways(void) {
  sim_link_config a = {.latency_us = 20 * MS, .loss = 0.1, .seed = 14};
  sim_link_config b = a;
  b.seed = 15;
  mix m;
  CHECK_EQ_INT(mix_init(&m, NULL, false, &a, &b), BRTC_OK);
  CHECK(mix_connect(&m, 2));
  uint8_t buf[2000];
  /* Ours: messages on stream 1, then close it; queued ones go first, then the reset. */
  for (uint32_t i = 0; i < 20; i++) {
    sctp_fill(buf, sizeof buf, i);
    brtc_sctp_send_options o = {.stream = 1, .ppid = 53, .max_retransmits = -1, .lifetime_ms = -1};
    CHECK_EQ_INT(brtc_sctp_send(m.ours.a, m.now, &o, buf, sizeof buf), BRTC_OK);
  }
  uint16_t s1 = 1;
  CHECK_EQ_INT(brtc_sctp_reset_streams(m.ours.a, m.now, &s1, 1), BRTC_OK);
  brtc_sctp_send_options o1 = {.stream = 1, .ppid = 53, .max_retransmits = -1, .lifetime_ms = -1};
  CHECK_EQ_INT(brtc_sctp_send(m.ours.a, m.now, &o1, buf, 10), BRTC_ERR_STATE); /* closing */
  int what = 0;
  CHECK(mix_run_until(&m, reset_seen, &what, 30 * S));
  CHECK_EQ_INT(usr_count(&m.usr, 1), 20);
  CHECK_EQ_INT(m.usr.last_reset_stream, 1);
  /* The stream lives again from SSN 0: usrsctp takes new messages on it in order. */
  for (uint32_t i = 0; i < 5; i++) {
    sctp_fill(buf, 100, 100 + i);
    CHECK_EQ_INT(brtc_sctp_send(m.ours.a, m.now, &o1, buf, 100), BRTC_OK);
  }
  mix_run_for(&m, 10 * S);
  CHECK_EQ_INT(usr_count(&m.usr, 1), 25);
  CHECK(sctp_check(m.usr.msgs[m.usr.n_msgs - 1].data, 100, 104));

  /* usrsctp: messages on stream 2 and a reset of it at once, some lost on the way: we defer
   * the reset until every message sent before it arrived (RFC 6525 5.2.2 E2). */
  for (uint32_t i = 0; i < 20; i++) {
    sctp_fill(buf, sizeof buf, 200 + i);
    CHECK_EQ_INT(usrsctp_end_send(&m.usr, 2, 53, false, 0, 0, buf, sizeof buf), 0);
  }
  CHECK_EQ_INT(usrsctp_end_reset(&m.usr, 2), 0);
  what = 1;
  CHECK(mix_run_until(&m, reset_seen, &what, 30 * S));
  /* Every message before the reset event, in order; nothing after it yet. */
  size_t before = 0;
  bool reset_after_all = false;
  for (size_t k = 0; k < m.ours.n_log; k++) {
    const sctp_rec *r = &m.ours.log[k];
    if (r->type == BRTC_SCTP_EVENT_MESSAGE && r->stream == 2) {
      CHECK(sctp_check(r->data, r->len, 200 + (uint32_t)before));
      before++;
    }
    if (r->type == BRTC_SCTP_EVENT_INCOMING_RESET && r->stream == 2) reset_after_all = before == 20;
  }
  CHECK(reset_after_all);
  for (uint32_t i = 0; i < 3; i++) {
    sctp_fill(buf, 50, 300 + i);
    CHECK_EQ_INT(usrsctp_end_send(&m.usr, 2, 53, false, 0, 0, buf, 50), 0);
  }
  mix_run_for(&m, 10 * S);
  CHECK_EQ_INT(ours_count(&m.ours, 2), 23);
  mix_free(&m);
}

/* ---- endings ---- */

static bool ours_closed(mix *m, void *arg) {
  (void)arg;
  return m->ours.closed;
}

static bool usr_done(mix *m, void *arg) {
  (void)arg;
  return m->usr.shutdown_complete || m->usr.lost;
}

static void test_shutdown_both_ways(void) {
  sim_link_config a = {.latency_us = 20 * MS, .loss = 0.05, .seed = 16};
  for (int who = 0; who < 2; who++) {
    mix m;
    CHECK_EQ_INT(mix_init(&m, NULL, who == 1, &a, &a), BRTC_OK);
    CHECK(mix_connect(&m, who));
    /* Data still queued when the shutdown is asked for is delivered first (9.2). */
    uint8_t buf[20000];
    for (uint32_t i = 0; i < 10; i++) {
      sctp_fill(buf, sizeof buf, i);
      if (who == 0) {
        brtc_sctp_send_options o = {.stream = 0, .ppid = 53, .max_retransmits = -1,
                                    .lifetime_ms = -1};
        CHECK_EQ_INT(brtc_sctp_send(m.ours.a, m.now, &o, buf, sizeof buf), BRTC_OK);
      } else {
        CHECK_EQ_INT(usrsctp_end_send(&m.usr, 0, 53, false, 0, 0, buf, sizeof buf), 0);
      }
    }
    if (who == 0)
      CHECK_EQ_INT(brtc_sctp_shutdown(m.ours.a, m.now), BRTC_OK);
    else
      CHECK_EQ_INT(usrsctp_end_shutdown(&m.usr), 0);
    CHECK(mix_run_until(&m, ours_closed, NULL, 60 * S));
    CHECK(mix_run_until(&m, usr_done, NULL, 10 * S));
    CHECK(m.usr.shutdown_complete);
    const sctp_rec *c = sctp_end_find(&m.ours, BRTC_SCTP_EVENT_CLOSED, 0);
    CHECK(c && c->error == BRTC_OK);
    if (who == 0) CHECK_EQ_INT(usr_count(&m.usr, 0), 10);
    if (who == 1) CHECK_EQ_INT(ours_count(&m.ours, 0), 10);
    mix_free(&m);
  }
}

static void test_abort_both_ways(void) {
  for (int who = 0; who < 2; who++) {
    mix m;
    CHECK_EQ_INT(mix_init(&m, NULL, false, NULL, NULL), BRTC_OK);
    CHECK(mix_connect(&m, 0));
    if (who == 0)
      brtc_sctp_abort(m.ours.a, m.now, "test over");
    else
      usrsctp_end_abort(&m.usr);
    CHECK(mix_run_until(&m, ours_closed, NULL, 5 * S));
    CHECK(mix_run_until(&m, usr_done, NULL, 5 * S));
    CHECK(m.usr.lost);
    const sctp_rec *c = sctp_end_find(&m.ours, BRTC_SCTP_EVENT_CLOSED, 0);
    CHECK(c && c->error != BRTC_OK && c->by_peer == (who == 1));
    mix_free(&m);
  }
}

/* ---- every packet type lost, delayed or replayed, each way, against usrsctp ---- */

enum { IMPAIR_DROP, IMPAIR_DELAY, IMPAIR_REPLAY };
#define PR_STREAM 7 /* DATA on it is lost every time, both ways: FORWARD TSNs must follow */

typedef struct impair {
  uint8_t type;
  int how;
  bool hit;
  uint8_t copy[2048];
  size_t copy_len;
} impair;

static uint64_t impair_hook(void *user, const uint8_t *pkt, size_t len) {
  impair *im = user;
  if (sctp_packet_has(pkt, len, BRTC_SCTP_DATA, PR_STREAM)) return SIM_LINK_DROP;
  if (!im || im->hit || !sctp_packet_has(pkt, len, im->type, -1)) return 0;
  im->hit = true;
  if (im->how == IMPAIR_DROP) return SIM_LINK_DROP;
  if (im->how == IMPAIR_DELAY) return 1500 * MS; /* past usrsctp's and our RTO */
  memcpy(im->copy, pkt, len);
  im->copy_len = len;
  return 0;
}

/* The copy, delivered again now (long after the original) to the end it was for. */
static void impair_replay(mix *m, impair *im, bool to_usr) {
  if (!im->copy_len) return;
  if (to_usr)
    usrsctp_end_input(&m->usr, im->copy, im->copy_len);
  else
    brtc_sctp_handle_packet(m->ours.a, m->now, im->copy, im->copy_len);
  im->copy_len = 0;
  mix_drain(m);
}

static bool resets_both_ways(mix *m, void *arg) {
  (void)arg;
  return m->usr.resets_in > 0 && sctp_end_count(&m->ours, BRTC_SCTP_EVENT_OUTGOING_RESET) > 0 &&
         sctp_end_count(&m->ours, BRTC_SCTP_EVENT_INCOMING_RESET) > 0 && m->usr.resets_out > 0;
}

static bool both_ended(mix *m, void *arg) {
  (void)arg;
  return m->ours.closed && (m->usr.shutdown_complete || m->usr.lost);
}

/* One association's life with usrsctp (both connect, data both ways, a message given up each
 * way, idle heartbeats, a stream reset each way, shutdown) with one packet of `type` impaired
 * on the way to usrsctp (to_usr) or to us. */
static bool impaired_life(uint8_t type, int how, bool to_usr) {
  impair im = {.type = type, .how = how};
  sim_link_config l_usr = {.latency_us = 20 * MS, .hook = impair_hook};
  sim_link_config l_ours = l_usr;
  (to_usr ? &l_usr : &l_ours)->hook_user = &im;
  brtc_sctp_config c = {.seed = 51, .heartbeat_interval_ms = 2000};
  mix m;
  if (mix_init(&m, &c, false, &l_usr, &l_ours) != BRTC_OK) return false;
  bool ok = mix_connect(&m, 2);
  impair_replay(&m, &im, to_usr);
  if (ok) run_exchange(&m, 40, 5000, 60 * S);
  impair_replay(&m, &im, to_usr);
  uint8_t pr[500] = {0};
  brtc_sctp_send_options o = {.stream = PR_STREAM, .ppid = 53, .max_retransmits = 0,
                              .lifetime_ms = -1};
  ok = ok && brtc_sctp_send(m.ours.a, m.now, &o, pr, sizeof pr) == BRTC_OK;
  ok = ok && usrsctp_end_send(&m.usr, PR_STREAM, 53, false, SCTP_PR_SCTP_RTX, 0, pr, sizeof pr) == 0;
  mix_run_for(&m, 5 * S); /* the give-ups, then idle: our heartbeats */
  impair_replay(&m, &im, to_usr);
  uint16_t s1 = 1;
  ok = ok && brtc_sctp_reset_streams(m.ours.a, m.now, &s1, 1) == BRTC_OK;
  ok = ok && usrsctp_end_reset(&m.usr, 2) == 0;
  ok = ok && mix_run_until(&m, resets_both_ways, NULL, 60 * S);
  impair_replay(&m, &im, to_usr);
  /* SHUTDOWN and SHUTDOWN COMPLETE go from the end that shuts down, SHUTDOWN ACK the other
   * way: the closer is picked so the impaired chunk travels on the impaired link. */
  bool usr_closes = (type == BRTC_SCTP_SHUTDOWN_ACK) ? to_usr : !to_usr;
  if (usr_closes)
    ok = ok && usrsctp_end_shutdown(&m.usr) == 0;
  else
    ok = ok && brtc_sctp_shutdown(m.ours.a, m.now) == BRTC_OK;
  ok = ok && mix_run_until(&m, both_ended, NULL, 60 * S);
  impair_replay(&m, &im, to_usr);
  const sctp_rec *closed = sctp_end_find(&m.ours, BRTC_SCTP_EVENT_CLOSED, 0);
  ok = ok && closed && closed->error == BRTC_OK && m.usr.shutdown_complete && !m.usr.lost;
  ok = ok && ours_count(&m.ours, PR_STREAM) == 0 && usr_count(&m.usr, PR_STREAM) == 0;
  if (!ok || !im.hit)
    fprintf(stderr, "  chunk type %u, %s, to %s: %s\n", type,
            how == IMPAIR_DROP ? "lost" : how == IMPAIR_DELAY ? "delayed" : "replayed",
            to_usr ? "usrsctp" : "ours", !im.hit ? "never sent" : "FAILED");
  mix_free(&m);
  return ok && im.hit;
}

static void test_every_packet_type_impaired(void) {
  /* What each end sends in such a life: we send HEARTBEATs (usrsctp's come every 30 s). */
  static const struct {
    uint8_t type;
    bool to_usr, to_ours;
  } cases[] = {
      {BRTC_SCTP_INIT, true, true},          {BRTC_SCTP_INIT_ACK, true, true},
      {BRTC_SCTP_COOKIE_ECHO, true, true},   {BRTC_SCTP_COOKIE_ACK, true, true},
      {BRTC_SCTP_DATA, true, true},          {BRTC_SCTP_SACK, true, true},
      {BRTC_SCTP_FORWARD_TSN, true, true},   {BRTC_SCTP_HEARTBEAT, true, false},
      {BRTC_SCTP_HEARTBEAT_ACK, false, true}, {BRTC_SCTP_RECONFIG, true, true},
      {BRTC_SCTP_SHUTDOWN, true, true},      {BRTC_SCTP_SHUTDOWN_ACK, true, true},
      {BRTC_SCTP_SHUTDOWN_COMPLETE, true, true}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    for (int how = IMPAIR_DROP; how <= IMPAIR_REPLAY; how++) {
      if (cases[i].to_usr) CHECK(impaired_life(cases[i].type, how, true));
      if (cases[i].to_ours) CHECK(impaired_life(cases[i].type, how, false));
    }
}

/* ---- CRC32c: ours and usrsctp's, on every length and alignment ---- */

static void test_crc32c_against_usrsctp(void) {
  uint8_t buf[4096 + 8];
  uint64_t s = 5;
  for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)sim_rand_next(&s);
  size_t bad = 0;
  for (size_t off = 0; off < 8; off++)
    for (size_t len = 0; len <= 4096; len += len < 64 ? 1 : 61)
      bad += brtc_crc32c(buf + off, len) != usrsctp_crc32c(buf + off, len) ||
             brtc_crc32c_final(brtc_crc32c_update_soft(BRTC_CRC32C_INIT, buf + off, len)) !=
                 usrsctp_crc32c(buf + off, len);
  CHECK_EQ_INT(bad, 0);
}

/* ---- DCEP (RFC 8832) with usrsctp speaking it by hand ---- */

/* Ours as the DTLS client (even stream ids), usrsctp as the server (odd ones). */
static void dc_mix_init(mix *m) {
  memset(m, 0, sizeof *m);
  m->now = usrsctp_end_clock_us() + 1 * S;
  sim_link_config l = {.latency_us = 10 * MS};
  m->ours.link = sim_link_new(&l);
  m->to_ours = sim_link_new(&l);
  usrsctp_end_advance(m->now);
  CHECK_EQ_INT(usrsctp_end_open(&m->usr, true, BRTC_SCTP_DEFAULT_MTU, 1024 * 1024), 0);
  brtc_dc_transport_config c = {.sctp = {.seed = 55}};
  CHECK_EQ_INT(brtc_dc_transport_new(&c, m->now, &m->dc), BRTC_OK);
  brtc_dc_start s = {.dtls_client = true, .remote_max_message = 262144};
  CHECK_EQ_INT(brtc_dc_transport_start(m->dc, m->now, &s), BRTC_OK);
}

static bool dc_up(mix *m, void *arg) {
  (void)arg;
  return m->usr.up && brtc_dc_transport_connected(m->dc);
}

static size_t dc_count(const mix *m, brtc_dc_event_type type) {
  size_t n = 0;
  for (size_t i = 0; i < m->dc_n; i++) n += m->dc_log[i].type == type;
  return n;
}

static const usr_msg *usr_last(const usrsctp_end *u, uint16_t stream, uint32_t ppid) {
  for (size_t i = u->n_msgs; i-- > 0;)
    if (u->msgs[i].stream == stream && u->msgs[i].ppid == ppid) return &u->msgs[i];
  return NULL;
}

static void test_dcep_usrsctp_opens(void) {
  mix m;
  dc_mix_init(&m);
  CHECK(mix_run_until(&m, dc_up, NULL, 10 * S));
  /* usrsctp opens "chat" (reliable, ordered, protocol "v1") on stream 1 the RFC 8832 way. */
  uint8_t open[12 + 4 + 2] = {BRTC_DCEP_OPEN, BRTC_DCEP_RELIABLE, 0x01, 0x00, 0, 0, 0, 0,
                              0, 4, 0, 2, 'c', 'h', 'a', 't', 'v', '1'};
  CHECK_EQ_INT(usrsctp_end_send(&m.usr, 1, BRTC_SCTP_PPID_DCEP, false, 0, 0, open, sizeof open), 0);
  mix_run_for(&m, 1 * S);
  CHECK_EQ_INT(dc_count(&m, BRTC_DC_EVENT_CHANNEL), 1);
  const dc_rec *ch = NULL;
  for (size_t i = 0; i < m.dc_n; i++)
    if (m.dc_log[i].type == BRTC_DC_EVENT_CHANNEL) ch = &m.dc_log[i];
  CHECK(ch != NULL);
  if (!ch) {
    mix_free(&m);
    return;
  }
  brtc_dc *dc = ch->channel;
  CHECK_STR(brtc_dc_label(dc), "chat");
  CHECK_STR(brtc_dc_protocol(dc), "v1");
  CHECK_EQ_INT(brtc_dc_id(dc), 1);
  /* Our DATA_CHANNEL_ACK: one byte, PPID 50, on the same stream. */
  const usr_msg *ack = usr_last(&m.usr, 1, BRTC_SCTP_PPID_DCEP);
  CHECK(ack && ack->len == 1 && ack->data[0] == BRTC_DCEP_ACK && !ack->unordered);
  /* Messages both ways: text, binary, empty text, empty binary (RFC 8831 6.6). */
  static const uint8_t zero = 0;
  CHECK_EQ_INT(usrsctp_end_send(&m.usr, 1, BRTC_SCTP_PPID_STRING, false, 0, 0, (const uint8_t *)"hello", 5), 0);
  CHECK_EQ_INT(usrsctp_end_send(&m.usr, 1, BRTC_SCTP_PPID_BINARY, false, 0, 0, (const uint8_t *)"\x00\x01", 2), 0);
  CHECK_EQ_INT(usrsctp_end_send(&m.usr, 1, BRTC_SCTP_PPID_STRING_EMPTY, false, 0, 0, &zero, 1), 0);
  CHECK_EQ_INT(usrsctp_end_send(&m.usr, 1, BRTC_SCTP_PPID_BINARY_EMPTY, false, 0, 0, &zero, 1), 0);
  CHECK_EQ_INT(brtc_dc_send(dc, m.now, (const uint8_t *)"world", 5, false), BRTC_OK);
  CHECK_EQ_INT(brtc_dc_send(dc, m.now, NULL, 0, true), BRTC_OK);
  mix_run_for(&m, 1 * S);
  int seen = 0;
  for (size_t i = 0; i < m.dc_n; i++) {
    const dc_rec *r = &m.dc_log[i];
    if (r->type != BRTC_DC_EVENT_MESSAGE) continue;
    switch (seen++) {
      case 0: CHECK(!r->binary && r->len == 5 && memcmp(r->data, "hello", 5) == 0); break;
      case 1: CHECK(r->binary && r->len == 2); break;
      case 2: CHECK(!r->binary && r->len == 0); break;
      case 3: CHECK(r->binary && r->len == 0); break;
    }
  }
  CHECK_EQ_INT(seen, 4);
  const usr_msg *w = usr_last(&m.usr, 1, BRTC_SCTP_PPID_STRING);
  CHECK(w && w->len == 5 && memcmp(w->data, "world", 5) == 0);
  const usr_msg *e = usr_last(&m.usr, 1, BRTC_SCTP_PPID_BINARY_EMPTY);
  CHECK(e && e->len == 1 && e->data[0] == 0);
  /* usrsctp closes it (resets its outgoing stream): we reset ours in turn, and it is closed. */
  CHECK_EQ_INT(usrsctp_end_reset(&m.usr, 1), 0);
  mix_run_for(&m, 2 * S);
  CHECK_EQ_INT(brtc_dc_get_state(dc), BRTC_DC_CLOSED);
  CHECK_EQ_INT(m.usr.resets_in, 1);
  CHECK_EQ_INT(m.usr.resets_out, 1);
  mix_free(&m);
}

static void test_dcep_ours_opens(void) {
  mix m;
  dc_mix_init(&m);
  brtc_dc_init init;
  brtc_dc_init_default(&init);
  init.ordered = false;
  init.max_retransmits = 0;
  brtc_dc *dc;
  CHECK_EQ_INT(brtc_dc_create(m.dc, m.now, "control", &init, &dc), BRTC_OK);
  CHECK(mix_run_until(&m, dc_up, NULL, 10 * S));
  mix_run_for(&m, 200 * MS);
  /* usrsctp got our DATA_CHANNEL_OPEN, byte for byte as RFC 8832 5.1 lays it out. */
  const usr_msg *o = usr_last(&m.usr, 0, BRTC_SCTP_PPID_DCEP);
  static const uint8_t want[] = {0x03, 0x81, 0x01, 0x00, 0, 0, 0, 0, 0, 7, 0, 0,
                                 'c', 'o', 'n', 't', 'r', 'o', 'l'};
  CHECK(o && o->len == sizeof want && memcmp(o->data, want, sizeof want) == 0 && !o->unordered);
  /* Before the ACK an unordered channel still sends in order (RFC 8832 6) ... */
  CHECK_EQ_INT(brtc_dc_send(dc, m.now, (const uint8_t *)"a", 1, false), BRTC_OK);
  mix_run_for(&m, 200 * MS);
  const usr_msg *a = usr_last(&m.usr, 0, BRTC_SCTP_PPID_STRING);
  CHECK(a && !a->unordered);
  /* ... and unordered once it came. */
  static const uint8_t ack = BRTC_DCEP_ACK;
  CHECK_EQ_INT(usrsctp_end_send(&m.usr, 0, BRTC_SCTP_PPID_DCEP, false, 0, 0, &ack, 1), 0);
  mix_run_for(&m, 200 * MS);
  CHECK_EQ_INT(brtc_dc_send(dc, m.now, (const uint8_t *)"b", 1, false), BRTC_OK);
  mix_run_for(&m, 200 * MS);
  const usr_msg *b = usr_last(&m.usr, 0, BRTC_SCTP_PPID_STRING);
  CHECK(b && b->len == 1 && b->data[0] == 'b' && b->unordered);
  /* We close it: usrsctp sees its incoming stream reset and resets its side; closed. */
  brtc_dc_close(dc, m.now);
  mix_run_for(&m, 200 * MS);
  CHECK_EQ_INT(m.usr.resets_in, 1);
  CHECK_EQ_INT(usrsctp_end_reset(&m.usr, 0), 0);
  mix_run_for(&m, 1 * S);
  CHECK_EQ_INT(brtc_dc_get_state(dc), BRTC_DC_CLOSED);
  CHECK_EQ_INT(dc_count(&m, BRTC_DC_EVENT_CLOSED), 1);
  mix_free(&m);
}

/* ONLY=name runs one test (usrsctp's global state makes tests affect each other; this helps
 * to tell). */
#define RUN_ONE(fn)                                              \
  do {                                                           \
    if (!getenv("ONLY") || strcmp(getenv("ONLY"), #fn) == 0) RUN(fn); \
  } while (0)

int main(void) {
  usrsctp_end_global_init();
  RUN_ONE(test_usrsctp_client_ours_server);
  RUN_ONE(test_ours_client_usrsctp_server);
  RUN_ONE(test_both_connect);
  RUN_ONE(test_exchange_under_loss);
  RUN_ONE(test_pr_ours_to_usrsctp);
  RUN_ONE(test_pr_usrsctp_to_ours);
  RUN_ONE(test_reset_both_ways);
  RUN_ONE(test_shutdown_both_ways);
  RUN_ONE(test_abort_both_ways);
  RUN_ONE(test_every_packet_type_impaired);
  RUN_ONE(test_crc32c_against_usrsctp);
  RUN_ONE(test_dcep_usrsctp_opens);
  RUN_ONE(test_dcep_ours_opens);
  return TEST_REPORT();
}
