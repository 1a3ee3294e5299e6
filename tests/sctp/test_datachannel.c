/* Data channels (RFC 8831) with DCEP (RFC 8832) between two of our transports on a simulated
 * path: in-band and negotiated channels, text, binary and empty messages, unordered and
 * partially reliable channels, closing one channel and everything, limits, and the DCEP
 * bytes against RFC 8832's layout. */
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "common/bytes.h"
#include "sctp/datachannel.h"
#include "sctp/dcep.h"
#include "sctp/sctp_packet.h"
#include "sim_link.h"
#include "testing.h"

#define S 1000000ull
#define MS 1000ull

typedef struct rec {
  brtc_dc_event_type type;
  brtc_dc *channel;
  bool binary;
  size_t len;
  uint8_t *data;
  int error;
} rec;

typedef struct side {
  brtc_dc_transport *t;
  sim_link *link;
  rec log[4096];
  size_t n;
} side;

typedef struct dpair {
  uint64_t now;
  side s[2];
} dpair;

static void log_ev(side *s, const brtc_dc_event *ev) {
  if (s->n == sizeof s->log / sizeof s->log[0]) return;
  rec *r = &s->log[s->n++];
  memset(r, 0, sizeof *r);
  r->type = ev->type;
  r->channel = ev->channel;
  r->binary = ev->binary;
  r->len = ev->len;
  r->error = ev->error;
  if (ev->type == BRTC_DC_EVENT_MESSAGE) {
    r->data = malloc(ev->len + 1);
    memcpy(r->data, ev->data, ev->len);
  }
}

static void drain(dpair *p) {
  uint8_t buf[2048];
  size_t len;
  for (bool more = true; more;) {
    more = false;
    for (int i = 0; i < 2; i++) {
      brtc_dc_event ev;
      while (brtc_dc_transport_poll_event(p->s[i].t, &ev) == BRTC_OK) log_ev(&p->s[i], &ev);
      while (brtc_dc_transport_poll_packet(p->s[i].t, p->now, buf, sizeof buf, &len) == BRTC_OK) {
        sim_link_send(p->s[i].link, p->now, buf, len);
        more = true;
      }
    }
  }
}

static void run_for(dpair *p, uint64_t us) {
  uint64_t limit = p->now + us;
  for (;;) {
    drain(p);
    uint64_t next = limit;
    for (int i = 0; i < 2; i++) {
      uint64_t d = brtc_dc_transport_next_deadline(p->s[i].t);
      if (d < next) next = d;
      d = sim_link_next_deadline(p->s[i].link);
      if (d < next) next = d;
    }
    if (next > p->now) p->now = next;
    uint8_t buf[2048];
    size_t len;
    for (int i = 0; i < 2; i++)
      while (sim_link_receive(p->s[i].link, p->now, buf, sizeof buf, &len) == BRTC_OK) {
        brtc_dc_transport_handle_packet(p->s[1 - i].t, p->now, buf, len);
        drain(p);
      }
    for (int i = 0; i < 2; i++)
      if (brtc_dc_transport_next_deadline(p->s[i].t) <= p->now)
        brtc_dc_transport_handle_timeout(p->s[i].t, p->now);
    drain(p);
    if (p->now >= limit) return;
  }
}

static void pair_init(dpair *p, const sim_link_config *l, uint32_t max_channels) {
  memset(p, 0, sizeof *p);
  p->now = 1 * S;
  for (int i = 0; i < 2; i++) {
    brtc_dc_transport_config c = {.sctp = {.seed = 100 + (uint64_t)i}, .max_channels = max_channels};
    CHECK_EQ_INT(brtc_dc_transport_new(&c, p->now, &p->s[i].t), BRTC_OK);
    sim_link_config lc = l ? *l : (sim_link_config){.latency_us = 10 * MS};
    lc.seed += (uint64_t)i;
    p->s[i].link = sim_link_new(&lc);
  }
}

static void pair_start(dpair *p, uint32_t max_message_0, uint32_t max_message_1) {
  brtc_dc_start s0 = {.dtls_client = true, .remote_max_message = max_message_0};
  brtc_dc_start s1 = {.dtls_client = false, .remote_max_message = max_message_1};
  CHECK_EQ_INT(brtc_dc_transport_start(p->s[0].t, p->now, &s0), BRTC_OK);
  CHECK_EQ_INT(brtc_dc_transport_start(p->s[1].t, p->now, &s1), BRTC_OK);
  run_for(p, 1 * S);
  CHECK(brtc_dc_transport_connected(p->s[0].t) && brtc_dc_transport_connected(p->s[1].t));
}

static void pair_free(dpair *p) {
  for (int i = 0; i < 2; i++) {
    brtc_dc_transport_free(p->s[i].t);
    sim_link_free(p->s[i].link);
    for (size_t k = 0; k < p->s[i].n; k++) free(p->s[i].log[k].data);
  }
}

static size_t count(const side *s, brtc_dc_event_type type, const brtc_dc *dc) {
  size_t n = 0;
  for (size_t i = 0; i < s->n; i++) n += s->log[i].type == type && (!dc || s->log[i].channel == dc);
  return n;
}

static const rec *find(const side *s, brtc_dc_event_type type, size_t nth) {
  for (size_t i = 0; i < s->n; i++)
    if (s->log[i].type == type && nth-- == 0) return &s->log[i];
  return NULL;
}

/* ---- DCEP bytes ---- */

static void test_dcep_layout(void) {
  brtc_dcep_open o = {.channel_type = BRTC_DCEP_PARTIAL_REXMIT | BRTC_DCEP_UNORDERED,
                      .priority = 256, .reliability = 0,
                      .label = (const uint8_t *)"control", .label_len = 7,
                      .protocol = (const uint8_t *)"json", .protocol_len = 4};
  uint8_t buf[64];
  size_t len;
  CHECK_EQ_INT(brtc_dcep_write_open(&o, buf, sizeof buf, &len), BRTC_OK);
  static const uint8_t want[] = {0x03, 0x81, 0x01, 0x00, 0, 0, 0, 0, 0, 7, 0, 4,
                                 'c', 'o', 'n', 't', 'r', 'o', 'l', 'j', 's', 'o', 'n'};
  CHECK_EQ_INT(len, sizeof want);
  CHECK_MEM(buf, want, sizeof want);
  brtc_dcep_open r;
  CHECK_EQ_INT(brtc_dcep_parse(buf, len, &r), BRTC_DCEP_OPEN);
  CHECK_EQ_INT(r.channel_type, 0x81);
  CHECK(r.label_len == 7 && memcmp(r.label, "control", 7) == 0);
  CHECK(r.protocol_len == 4 && memcmp(r.protocol, "json", 4) == 0);
  static const uint8_t ack[] = {0x02};
  CHECK_EQ_INT(brtc_dcep_parse(ack, 1, &r), BRTC_DCEP_ACK);
  CHECK_EQ_INT(brtc_dcep_parse(buf, len - 1, &r), BRTC_ERR_PARSE); /* protocol cut short */
  buf[1] = 0x05;                                                   /* unknown channel type */
  CHECK_EQ_INT(brtc_dcep_parse(buf, len, &r), BRTC_ERR_PARSE);
  static const uint8_t unknown[] = {0x07};
  CHECK_EQ_INT(brtc_dcep_parse(unknown, 1, &r), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_dcep_parse(NULL, 0, &r), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_dcep_write_open(&o, buf, 10, &len), BRTC_ERR_TOO_BIG);
}

/* ---- channels ---- */

static void test_open_in_band(void) {
  dpair p;
  pair_init(&p, NULL, 0);
  /* Made before the association exists, as a first channel is. */
  brtc_dc_init init;
  brtc_dc_init_default(&init);
  init.protocol = "json";
  init.ordered = false;
  init.max_retransmits = 0;
  brtc_dc *a;
  CHECK_EQ_INT(brtc_dc_create(p.s[0].t, p.now, "control", &init, &a), BRTC_OK);
  CHECK_EQ_INT(brtc_dc_get_state(a), BRTC_DC_CONNECTING);
  CHECK_EQ_INT(brtc_dc_id(a), -1);
  CHECK_EQ_INT(brtc_dc_send(a, p.now, (const uint8_t *)"x", 1, false), BRTC_ERR_STATE);
  pair_start(&p, BRTC_DC_MAX_MESSAGE_ABSENT, BRTC_DC_MAX_MESSAGE_ABSENT);
  CHECK_EQ_INT(brtc_dc_get_state(a), BRTC_DC_OPEN);
  CHECK_EQ_INT(brtc_dc_id(a), 0); /* the DTLS client's first even id */
  CHECK_EQ_INT(count(&p.s[0], BRTC_DC_EVENT_OPEN, a), 1);
  /* The peer sees it with everything it was made with. */
  const rec *ch = find(&p.s[1], BRTC_DC_EVENT_CHANNEL, 0);
  CHECK(ch != NULL);
  if (!ch) {
    pair_free(&p);
    return;
  }
  brtc_dc *b = ch->channel;
  CHECK_STR(brtc_dc_label(b), "control");
  CHECK_STR(brtc_dc_protocol(b), "json");
  CHECK(!brtc_dc_ordered(b));
  CHECK_EQ_INT(brtc_dc_max_retransmits(b), 0);
  CHECK_EQ_INT(brtc_dc_max_packet_lifetime(b), -1);
  CHECK_EQ_INT(brtc_dc_priority(b), 256);
  CHECK_EQ_INT(brtc_dc_id(b), 0);
  CHECK_EQ_INT(brtc_dc_get_state(b), BRTC_DC_OPEN);
  CHECK_EQ_INT(count(&p.s[1], BRTC_DC_EVENT_OPEN, b), 1);
  /* Text, binary and empty both ways (RFC 8831 6.6). */
  CHECK_EQ_INT(brtc_dc_send(a, p.now, (const uint8_t *)"steer", 5, false), BRTC_OK);
  CHECK_EQ_INT(brtc_dc_send(a, p.now, (const uint8_t *)"\x01\x02", 2, true), BRTC_OK);
  CHECK_EQ_INT(brtc_dc_send(a, p.now, NULL, 0, false), BRTC_OK);
  CHECK_EQ_INT(brtc_dc_send(a, p.now, NULL, 0, true), BRTC_OK);
  CHECK_EQ_INT(brtc_dc_send(b, p.now, (const uint8_t *)"ack", 3, false), BRTC_OK);
  run_for(&p, 1 * S);
  CHECK_EQ_INT(count(&p.s[1], BRTC_DC_EVENT_MESSAGE, b), 4);
  const rec *m0 = find(&p.s[1], BRTC_DC_EVENT_MESSAGE, 0);
  const rec *m1 = find(&p.s[1], BRTC_DC_EVENT_MESSAGE, 1);
  const rec *m2 = find(&p.s[1], BRTC_DC_EVENT_MESSAGE, 2);
  const rec *m3 = find(&p.s[1], BRTC_DC_EVENT_MESSAGE, 3);
  CHECK(m0 && !m0->binary && m0->len == 5 && memcmp(m0->data, "steer", 5) == 0);
  CHECK(m1 && m1->binary && m1->len == 2);
  CHECK(m2 && !m2->binary && m2->len == 0);
  CHECK(m3 && m3->binary && m3->len == 0);
  CHECK_EQ_INT(count(&p.s[0], BRTC_DC_EVENT_MESSAGE, a), 1);
  brtc_dc_stats st;
  brtc_dc_get_stats(a, &st);
  CHECK_EQ_INT(st.messages_sent, 4);
  CHECK_EQ_INT(st.bytes_sent, 7);
  CHECK_EQ_INT(st.messages_received, 1);
  /* The server's channels take odd ids. */
  brtc_dc *c;
  CHECK_EQ_INT(brtc_dc_create(p.s[1].t, p.now, "second", NULL, &c), BRTC_OK);
  run_for(&p, 1 * S);
  CHECK_EQ_INT(brtc_dc_id(c), 1);
  CHECK_EQ_INT(count(&p.s[0], BRTC_DC_EVENT_CHANNEL, NULL), 1);
  pair_free(&p);
}

static void test_negotiated(void) {
  dpair p;
  pair_init(&p, NULL, 0);
  pair_start(&p, BRTC_DC_MAX_MESSAGE_ABSENT, BRTC_DC_MAX_MESSAGE_ABSENT);
  brtc_dc_init init;
  brtc_dc_init_default(&init);
  init.negotiated = true;
  init.id = 7;
  brtc_dc *a, *b, *dup;
  CHECK_EQ_INT(brtc_dc_create(p.s[0].t, p.now, "neg", &init, &a), BRTC_OK);
  CHECK_EQ_INT(brtc_dc_create(p.s[0].t, p.now, "neg2", &init, &dup), BRTC_ERR_INVALID);
  CHECK_EQ_INT(brtc_dc_create(p.s[1].t, p.now, "neg", &init, &b), BRTC_OK);
  CHECK_EQ_INT(brtc_dc_get_state(a), BRTC_DC_OPEN); /* open at once: no DCEP */
  CHECK_EQ_INT(brtc_dc_send(a, p.now, (const uint8_t *)"hi", 2, false), BRTC_OK);
  run_for(&p, 1 * S);
  CHECK_EQ_INT(count(&p.s[1], BRTC_DC_EVENT_MESSAGE, b), 1);
  CHECK_EQ_INT(count(&p.s[1], BRTC_DC_EVENT_CHANNEL, NULL), 0);
  init.id = 65535;
  CHECK_EQ_INT(brtc_dc_create(p.s[0].t, p.now, "bad", &init, &dup), BRTC_ERR_INVALID);
  init.id = 3;
  init.max_retransmits = 1;
  init.max_packet_lifetime_ms = 10;
  CHECK_EQ_INT(brtc_dc_create(p.s[0].t, p.now, "bad", &init, &dup), BRTC_ERR_INVALID);
  pair_free(&p);
}

static bool all_closed(const dpair *p, brtc_dc *a, brtc_dc *b) {
  (void)p;
  return brtc_dc_get_state(a) == BRTC_DC_CLOSED && brtc_dc_get_state(b) == BRTC_DC_CLOSED;
}

static void test_close_one_channel(void) {
  sim_link_config l = {.latency_us = 20 * MS, .loss = 0.05, .seed = 31};
  for (int who = 0; who < 2; who++) {
    dpair p;
    pair_init(&p, &l, 0);
    pair_start(&p, BRTC_DC_MAX_MESSAGE_ABSENT, BRTC_DC_MAX_MESSAGE_ABSENT);
    brtc_dc *a, *keep;
    CHECK_EQ_INT(brtc_dc_create(p.s[0].t, p.now, "one", NULL, &a), BRTC_OK);
    CHECK_EQ_INT(brtc_dc_create(p.s[0].t, p.now, "keep", NULL, &keep), BRTC_OK);
    run_for(&p, 1 * S);
    const rec *ch = find(&p.s[1], BRTC_DC_EVENT_CHANNEL, 0);
    CHECK(ch != NULL);
    if (!ch) {
      pair_free(&p);
      continue;
    }
    brtc_dc *b = ch->channel;
    /* Messages queued before close are still delivered (W3C closing procedure). */
    uint8_t big[20000] = {0};
    for (int i = 0; i < 5; i++) CHECK_EQ_INT(brtc_dc_send(a, p.now, big, sizeof big, true), BRTC_OK);
    brtc_dc_close(who == 0 ? a : b, p.now);
    CHECK_EQ_INT(brtc_dc_get_state(who == 0 ? a : b), BRTC_DC_CLOSING);
    CHECK_EQ_INT(brtc_dc_send(who == 0 ? a : b, p.now, big, 1, true), BRTC_ERR_STATE);
    run_for(&p, 5 * S);
    CHECK(all_closed(&p, a, b));
    CHECK_EQ_INT(count(&p.s[0], BRTC_DC_EVENT_CLOSED, a), 1);
    CHECK_EQ_INT(count(&p.s[1], BRTC_DC_EVENT_CLOSED, b), 1);
    if (who == 0) CHECK_EQ_INT(count(&p.s[1], BRTC_DC_EVENT_MESSAGE, b), 5);
    /* The other channel lives on, and the id is free again for a new channel. */
    CHECK_EQ_INT(brtc_dc_get_state(keep), BRTC_DC_OPEN);
    brtc_dc *again;
    CHECK_EQ_INT(brtc_dc_create(p.s[0].t, p.now, "again", NULL, &again), BRTC_OK);
    run_for(&p, 1 * S);
    CHECK_EQ_INT(brtc_dc_id(again), brtc_dc_id(a));
    CHECK_EQ_INT(brtc_dc_send(again, p.now, (const uint8_t *)"new", 3, false), BRTC_OK);
    run_for(&p, 1 * S);
    const rec *ch2 = find(&p.s[1], BRTC_DC_EVENT_CHANNEL, 2);
    CHECK(ch2 && count(&p.s[1], BRTC_DC_EVENT_MESSAGE, ch2->channel) == 1);
    CHECK_EQ_INT(brtc_dc_release(a), BRTC_OK);
    CHECK_EQ_INT(brtc_dc_release(keep), BRTC_ERR_STATE);
    pair_free(&p);
  }
}

static void test_close_transport(void) {
  dpair p;
  pair_init(&p, NULL, 0);
  pair_start(&p, BRTC_DC_MAX_MESSAGE_ABSENT, BRTC_DC_MAX_MESSAGE_ABSENT);
  brtc_dc *a1, *a2;
  CHECK_EQ_INT(brtc_dc_create(p.s[0].t, p.now, "x", NULL, &a1), BRTC_OK);
  CHECK_EQ_INT(brtc_dc_create(p.s[0].t, p.now, "y", NULL, &a2), BRTC_OK);
  run_for(&p, 1 * S);
  brtc_dc_transport_close(p.s[0].t, p.now);
  run_for(&p, 2 * S);
  for (int i = 0; i < 2; i++) {
    CHECK_EQ_INT(count(&p.s[i], BRTC_DC_EVENT_CLOSED, NULL), 2);
    const rec *r = find(&p.s[i], BRTC_DC_EVENT_TRANSPORT_CLOSED, 0);
    CHECK(r && r->error == BRTC_OK);
  }
  brtc_dc *late;
  CHECK_EQ_INT(brtc_dc_create(p.s[0].t, p.now, "late", NULL, &late), BRTC_ERR_STATE);
  pair_free(&p);

  /* Closed before it ever started: every channel closed at once. */
  brtc_dc_transport *t;
  CHECK_EQ_INT(brtc_dc_transport_new(NULL, 0, &t), BRTC_OK);
  brtc_dc *c;
  CHECK_EQ_INT(brtc_dc_create(t, 0, "c", NULL, &c), BRTC_OK);
  brtc_dc_transport_close(t, 0);
  brtc_dc_event ev;
  CHECK_EQ_INT(brtc_dc_transport_poll_event(t, &ev), BRTC_OK);
  CHECK(ev.type == BRTC_DC_EVENT_CLOSED && ev.channel == c);
  CHECK_EQ_INT(brtc_dc_transport_poll_event(t, &ev), BRTC_OK);
  CHECK_EQ_INT(ev.type, BRTC_DC_EVENT_TRANSPORT_CLOSED);
  brtc_dc_transport_free(t);
}

static void test_limits(void) {
  dpair p;
  pair_init(&p, NULL, 3);
  pair_start(&p, 1000, 0);
  brtc_dc *a[4];
  for (int i = 0; i < 3; i++) CHECK_EQ_INT(brtc_dc_create(p.s[0].t, p.now, "c", NULL, &a[i]), BRTC_OK);
  CHECK_EQ_INT(brtc_dc_create(p.s[0].t, p.now, "c", NULL, &a[3]), BRTC_ERR_LIMIT);
  run_for(&p, 1 * S);
  /* max-message-size: the peer said 1000 */
  static uint8_t big[2000];
  CHECK_EQ_INT(brtc_dc_send(a[0], p.now, big, 1000, true), BRTC_OK);
  CHECK_EQ_INT(brtc_dc_send(a[0], p.now, big, 1001, true), BRTC_ERR_TOO_BIG);
  pair_free(&p);
}

/* a=max-message-size of 256 KiB both ways (RFC 8841, what browsers advertise): messages of
 * exactly that size, text and binary, cross a lossy path whole in each direction, one byte
 * more is refused to the sender; with no a=max-message-size the limit is 64 KiB. */
static void test_max_message_256k(void) {
  enum { BIG = 256 * 1024 };
  sim_link_config l = {.latency_us = 10 * MS, .loss = 0.02, .seed = 41};
  dpair p;
  pair_init(&p, &l, 0);
  pair_start(&p, BIG, BIG);
  brtc_dc *a;
  CHECK_EQ_INT(brtc_dc_create(p.s[0].t, p.now, "bulk", NULL, &a), BRTC_OK);
  run_for(&p, 2 * S);
  const rec *ch = find(&p.s[1], BRTC_DC_EVENT_CHANNEL, 0);
  CHECK(ch != NULL);
  if (!ch) {
    pair_free(&p);
    return;
  }
  brtc_dc *b = ch->channel, *ends[2] = {a, b};
  uint8_t *buf = malloc(BIG + 1);
  for (int from = 0; from < 2; from++)
    for (int binary = 0; binary < 2; binary++) {
      for (size_t i = 0; i < BIG; i++) buf[i] = (uint8_t)(i * 7 + (size_t)from * 3 + (size_t)binary);
      CHECK_EQ_INT(brtc_dc_send(ends[from], p.now, buf, BIG, binary), BRTC_OK);
    }
  CHECK_EQ_INT(brtc_dc_send(a, p.now, buf, BIG + 1, true), BRTC_ERR_TOO_BIG);
  CHECK_EQ_INT(brtc_dc_send(b, p.now, buf, BIG + 1, false), BRTC_ERR_TOO_BIG);
  run_for(&p, 30 * S);
  for (int from = 0; from < 2; from++) {
    const side *rx = &p.s[1 - from];
    CHECK_EQ_INT(count(rx, BRTC_DC_EVENT_MESSAGE, NULL), 2);
    for (int binary = 0; binary < 2; binary++) {
      const rec *m = find(rx, BRTC_DC_EVENT_MESSAGE, (size_t)binary);
      bool whole = m && m->len == BIG && m->binary == (binary == 1);
      for (size_t i = 0; whole && i < BIG; i++)
        whole = m->data[i] == (uint8_t)(i * 7 + (size_t)from * 3 + (size_t)binary);
      CHECK(whole);
    }
  }
  free(buf);
  pair_free(&p);

  /* No a=max-message-size from the peer: 64 KiB (RFC 8841 6.1). */
  pair_init(&p, NULL, 0);
  pair_start(&p, BRTC_DC_MAX_MESSAGE_ABSENT, BRTC_DC_MAX_MESSAGE_ABSENT);
  CHECK_EQ_INT(brtc_dc_create(p.s[0].t, p.now, "c", NULL, &a), BRTC_OK);
  run_for(&p, 1 * S);
  static uint8_t small[65537];
  CHECK_EQ_INT(brtc_dc_send(a, p.now, small, 65536, true), BRTC_OK);
  CHECK_EQ_INT(brtc_dc_send(a, p.now, small, 65537, true), BRTC_ERR_TOO_BIG);
  pair_free(&p);
}

static void test_remote_refused(void) {
  /* A peer that may keep only one channel refuses our second by resetting its stream. */
  dpair p;
  memset(&p, 0, sizeof p);
  p.now = 1 * S;
  brtc_dc_transport_config c0 = {.sctp = {.seed = 1}}, c1 = {.sctp = {.seed = 2}, .max_channels = 1};
  brtc_dc_transport_new(&c0, p.now, &p.s[0].t);
  brtc_dc_transport_new(&c1, p.now, &p.s[1].t);
  sim_link_config l = {.latency_us = 10 * MS};
  p.s[0].link = sim_link_new(&l);
  p.s[1].link = sim_link_new(&l);
  pair_start(&p, BRTC_DC_MAX_MESSAGE_ABSENT, BRTC_DC_MAX_MESSAGE_ABSENT);
  brtc_dc *x, *y;
  CHECK_EQ_INT(brtc_dc_create(p.s[0].t, p.now, "x", NULL, &x), BRTC_OK);
  CHECK_EQ_INT(brtc_dc_create(p.s[0].t, p.now, "y", NULL, &y), BRTC_OK);
  run_for(&p, 2 * S);
  CHECK_EQ_INT(brtc_dc_get_state(x), BRTC_DC_OPEN);
  CHECK_EQ_INT(brtc_dc_get_state(y), BRTC_DC_CLOSED);
  CHECK_EQ_INT(count(&p.s[1], BRTC_DC_EVENT_ERROR, NULL), 1);
  CHECK_EQ_INT(count(&p.s[1], BRTC_DC_EVENT_CHANNEL, NULL), 1);
  brtc_dc_transport_stats st;
  brtc_dc_transport_get_stats(p.s[1].t, &st);
  CHECK_EQ_INT(st.dcep_errors, 1);
  pair_free(&p);
}

static void test_partial_reliability_channel(void) {
  /* The remote car's control channel: unordered, never retransmitted, over 10 % loss. Every
   * command that arrives arrives whole; nothing is held back waiting for a lost one. */
  sim_link_config l = {.latency_us = 20 * MS, .loss = 0.1, .seed = 32};
  dpair p;
  pair_init(&p, &l, 0);
  pair_start(&p, BRTC_DC_MAX_MESSAGE_ABSENT, BRTC_DC_MAX_MESSAGE_ABSENT);
  brtc_dc_init init;
  brtc_dc_init_default(&init);
  init.ordered = false;
  init.max_retransmits = 0;
  brtc_dc *a;
  CHECK_EQ_INT(brtc_dc_create(p.s[0].t, p.now, "control", &init, &a), BRTC_OK);
  run_for(&p, 2 * S);
  int sent = 0;
  for (int i = 0; i < 200; i++) {
    char cmd[64];
    int n = snprintf(cmd, sizeof cmd, "{\"seq\":%d,\"steer\":0.5,\"throttle\":0.2}", i);
    if (brtc_dc_send(a, p.now, (const uint8_t *)cmd, (size_t)n, false) == BRTC_OK) sent++;
    run_for(&p, 20 * MS);
  }
  run_for(&p, 3 * S);
  size_t got = count(&p.s[1], BRTC_DC_EVENT_MESSAGE, NULL);
  CHECK_EQ_INT(sent, 200);
  CHECK(got > 150 && got < 200);
  CHECK_EQ_INT(brtc_dc_buffered_amount(a), 0);
  const brtc_sctp *s = brtc_dc_transport_sctp(p.s[0].t);
  CHECK_EQ_INT(brtc_sctp_send_buffer_used(s), 0); /* every loss given up and forwarded */
  pair_free(&p);
}

static void test_buffered_low(void) {
  sim_link_config l = {.latency_us = 10 * MS, .rate_bps = 4000000, .buffer_bytes = 1 << 20};
  dpair p;
  pair_init(&p, &l, 0);
  pair_start(&p, BRTC_DC_MAX_MESSAGE_ABSENT, BRTC_DC_MAX_MESSAGE_ABSENT);
  brtc_dc *a;
  CHECK_EQ_INT(brtc_dc_create(p.s[0].t, p.now, "bulk", NULL, &a), BRTC_OK);
  brtc_dc_set_buffered_amount_low_threshold(a, 16384);
  run_for(&p, 1 * S);
  static uint8_t chunk[16384];
  for (int i = 0; i < 10; i++) CHECK_EQ_INT(brtc_dc_send(a, p.now, chunk, sizeof chunk, true), BRTC_OK);
  CHECK(brtc_dc_buffered_amount(a) > 16384);
  CHECK_EQ_INT(brtc_dc_buffered_amount_low_threshold(a), 16384);
  run_for(&p, 2 * S);
  CHECK_EQ_INT(brtc_dc_buffered_amount(a), 0);
  CHECK_EQ_INT(count(&p.s[0], BRTC_DC_EVENT_BUFFERED_LOW, a), 1);
  pair_free(&p);
}

static void test_memory_one_channel(void) {
  dpair p;
  pair_init(&p, NULL, 0);
  size_t before_start = brtc_dc_transport_memory(p.s[0].t);
  pair_start(&p, BRTC_DC_MAX_MESSAGE_ABSENT, BRTC_DC_MAX_MESSAGE_ABSENT);
  size_t idle = brtc_dc_transport_memory(p.s[0].t);
  brtc_dc *a;
  CHECK_EQ_INT(brtc_dc_create(p.s[0].t, p.now, "control", NULL, &a), BRTC_OK);
  run_for(&p, 1 * S);
  CHECK_EQ_INT(brtc_dc_send(a, p.now, (const uint8_t *)"hello", 5, false), BRTC_OK);
  run_for(&p, 1 * S);
  const rec *ch = find(&p.s[1], BRTC_DC_EVENT_CHANNEL, 0);
  if (ch) CHECK_EQ_INT(brtc_dc_send(ch->channel, p.now, (const uint8_t *)"ok", 2, false), BRTC_OK);
  run_for(&p, 1 * S);
  size_t one = brtc_dc_transport_memory(p.s[0].t), one_peer = brtc_dc_transport_memory(p.s[1].t);
  fprintf(stderr, "transport memory: before start %zu B, connected %zu B, one open channel %zu B"
          " (the other end %zu B)\n", before_start, idle, one, one_peer);
  CHECK(one < 8 * 1024);
  CHECK(one_peer < 8 * 1024);
  pair_free(&p);
}

int main(void) {
  RUN(test_dcep_layout);
  RUN(test_open_in_band);
  RUN(test_negotiated);
  RUN(test_close_one_channel);
  RUN(test_close_transport);
  RUN(test_limits);
  RUN(test_max_message_256k);
  RUN(test_remote_refused);
  RUN(test_partial_reliability_channel);
  RUN(test_buffered_low);
  RUN(test_memory_one_channel);
  return TEST_REPORT();
}
