/* Gathering and trickle, in memory: two boltrtc peer connections (public API) behind
 * simulated NATs, a fake STUN server and our own sans-IO TURN server (src/turn/turn_server.c)
 * on a simulated public network, one clock. Every candidate each pc announces
 * (BRTC_EVENT_ICE_CANDIDATE) is trickled to the other with brtc_pc_add_ice_candidate; the
 * offer and answer carry host candidates only, written before gathering ended.
 *   - endpoint-independent NATs (port-restricted cones): the srflx candidate has the
 *     NAT's mapped address with the host address as raddr, and the pcs connect directly
 *     between their srflx addresses (hole punching), not through the relay;
 *   - symmetric NATs: srflx addresses are useless toward the peer, the pair selected uses
 *     a relayed candidate, and data channel messages cross through the TURN server;
 *   - the relay policy, no NAT: the offerer signals relayed candidates only and every
 *     datagram of it goes through the relay. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/datachannel.h"
#include "boltrtc/error.h"
#include "boltrtc/peer_connection.h"
#include "boltrtc/stats.h"
#include "common/addr.h"
#include "pc/pc_gather.h"
#include "stun/stun.h"
#include "pc_drain.h"
#include "testing.h"
#include "turn/turn_server.h"

#define MAX_Q 4096
#define MAX_MAPS 64
#define MAX_ALLOWED 16
#define MESSAGES 40
#define RELAY_PORT0 50000

typedef enum nat_kind { NAT_NONE = 0, NAT_EIM, NAT_SYMMETRIC } nat_kind;

typedef struct pkt {
  uint64_t at;
  brtc_addr from, to;
  size_t len;
  uint8_t data[2200];
} pkt;

typedef struct mapping {
  int side;
  brtc_addr inside, dest; /* dest: symmetric only */
  uint16_t port;
  brtc_addr allowed[MAX_ALLOWED]; /* destinations sent to: port-restricted filtering */
  size_t n_allowed;
} mapping;

typedef struct side {
  brtc_pc *pc;
  brtc_addr priv;   /* its host address */
  brtc_addr pub;    /* its NAT's public IP (port 0); = priv without NAT */
  nat_kind nat;
  uint64_t deadline;
  char lines[16][200];
  size_t n_lines;
  bool gathering_complete;
  char pending[16][200]; /* candidates for the other side, once it has a description */
  size_t n_pending;
  bool ice_connected, dtls_connected, failed;
  char ice_detail[200];
  brtc_datachannel *channel;
  bool open;
  unsigned received;
  uint64_t sent_direct; /* datagrams it sent to anything but the STUN/TURN servers */
} side;

typedef struct net {
  side s[2];
  pkt *q;
  size_t n_q;
  uint64_t now;
  mapping maps[MAX_MAPS];
  size_t n_maps;
  uint16_t next_port[2];
  brtc_addr stun, turn, relay_ip;
  brtc_turn_core *core;
  uint16_t slot_port[128];
  bool exchanged; /* offer and answer are both set */
  unsigned sent;
  uint64_t stun_requests;
} net;

static brtc_certificate *cert;

static brtc_addr ip(const char *s, uint16_t port) {
  brtc_addr a;
  CHECK_EQ_INT(brtc_addr_from_ip(&a, s, port), BRTC_OK);
  return a;
}

static bool same_ip(const brtc_addr *a, const brtc_addr *b) {
  brtc_addr x = *a, y = *b;
  brtc_addr_set_port(&x, 0);
  brtc_addr_set_port(&y, 0);
  return brtc_addr_equal(&x, &y);
}

static void enqueue(net *n, const brtc_addr *from, const brtc_addr *to, const uint8_t *a,
                    size_t alen, const uint8_t *b, size_t blen, size_t pad) {
  CHECK(n->n_q < MAX_Q && alen + blen + pad <= sizeof n->q[0].data);
  if (n->n_q == MAX_Q || alen + blen + pad > sizeof n->q[0].data) return;
  pkt *p = &n->q[n->n_q++];
  p->at = n->now + 1000; /* 1 ms a hop */
  p->from = *from;
  p->to = *to;
  memcpy(p->data, a, alen);
  if (blen) memcpy(p->data + alen, b, blen);
  memset(p->data + alen + blen, 0, pad);
  p->len = alen + blen + pad;
}

/* ---- the NATs ---- */

static mapping *outbound_mapping(net *n, int w, const brtc_addr *dest) {
  side *s = &n->s[w];
  for (size_t i = 0; i < n->n_maps; i++) {
    mapping *m = &n->maps[i];
    if (m->side != w || !brtc_addr_equal(&m->inside, &s->priv)) continue;
    if (s->nat == NAT_SYMMETRIC && !brtc_addr_equal(&m->dest, dest)) continue;
    return m;
  }
  CHECK(n->n_maps < MAX_MAPS);
  if (n->n_maps == MAX_MAPS) return NULL;
  mapping *m = &n->maps[n->n_maps++];
  memset(m, 0, sizeof *m);
  m->side = w;
  m->inside = s->priv;
  m->dest = *dest;
  m->port = n->next_port[w]++; /* EIM: one per inside address; symmetric: one per dest */
  return m;
}

/* A datagram leaves side w's host address: translated, and the NAT remembers whom. */
static void from_side(net *n, int w, const brtc_addr *to, const uint8_t *data, size_t len) {
  side *s = &n->s[w];
  brtc_addr src = s->priv;
  if (s->nat != NAT_NONE) {
    mapping *m = outbound_mapping(n, w, to);
    if (!m) return;
    bool known = false;
    for (size_t i = 0; i < m->n_allowed; i++) known = known || brtc_addr_equal(&m->allowed[i], to);
    if (!known && m->n_allowed < MAX_ALLOWED) m->allowed[m->n_allowed++] = *to;
    src = s->pub;
    brtc_addr_set_port(&src, m->port);
  }
  enqueue(n, &src, to, data, len, NULL, 0, 0);
}

/* ---- the servers ---- */

static void fake_stun(net *n, const pkt *p) {
  brtc_stun_msg msg;
  if (brtc_stun_parse(p->data, p->len, &msg) != BRTC_OK || msg.type != BRTC_STUN_BINDING_REQUEST)
    return;
  n->stun_requests++;
  uint8_t out[256];
  brtc_stun_writer w;
  brtc_stun_writer_init(&w, out, sizeof out, BRTC_STUN_BINDING_SUCCESS, msg.transaction_id);
  brtc_stun_add_xor_address(&w, BRTC_STUN_ATTR_XOR_MAPPED_ADDRESS, &p->from);
  size_t len = 0;
  CHECK_EQ_INT(brtc_stun_finish(&w, NULL, 0, true, &len), BRTC_OK);
  enqueue(n, &n->stun, &p->from, out, len, NULL, 0, 0);
}

static void turn_act(net *n, brtc_turn_action a, brtc_turn_out *o) {
  for (int guard = 0; guard < 8 && a != BRTC_TURN_ACT_NONE; guard++) {
    if (a == BRTC_TURN_ACT_OPEN_RELAY) {
      CHECK(o->slot < 128);
      n->slot_port[o->slot] = o->open_port;
      a = brtc_turn_core_relay_opened(n->core, o->slot, true, n->now, o);
      continue;
    }
    brtc_addr from = n->turn;
    if (o->via != BRTC_TURN_VIA_LISTENER) {
      from = n->relay_ip;
      brtc_addr_set_port(&from, n->slot_port[o->via]);
    }
    enqueue(n, &from, &o->to, o->buf, o->len, o->payload, o->payload_len, o->pad);
    return;
  }
}

/* ---- delivery ---- */

static void deliver_to_side(net *n, int w, const pkt *p);

static void route(net *n, const pkt *p) {
  uint8_t buf[BRTC_TURN_OUT_MIN + 64];
  brtc_turn_out o = {.buf = buf, .cap = sizeof buf};
  if (brtc_addr_equal(&p->to, &n->stun)) {
    fake_stun(n, p);
    return;
  }
  if (brtc_addr_equal(&p->to, &n->turn)) {
    turn_act(n, brtc_turn_core_from_client(n->core, 0, &p->from, p->data, p->len, n->now, &o), &o);
    return;
  }
  if (same_ip(&p->to, &n->relay_ip)) {
    for (uint32_t slot = 0; slot < 128; slot++) {
      if (n->slot_port[slot] != brtc_addr_port(&p->to)) continue;
      turn_act(n, brtc_turn_core_from_peer(n->core, slot, &p->from, p->data, p->len, n->now, &o),
               &o);
      return;
    }
    return;
  }
  for (int w = 0; w < 2; w++) {
    side *s = &n->s[w];
    if (s->nat == NAT_NONE && brtc_addr_equal(&p->to, &s->priv)) {
      deliver_to_side(n, w, p);
      return;
    }
    if (s->nat == NAT_NONE || !same_ip(&p->to, &s->pub)) continue;
    for (size_t i = 0; i < n->n_maps; i++) { /* inbound: a mapping, and only from whom it sent to */
      const mapping *m = &n->maps[i];
      if (m->side != w || m->port != brtc_addr_port(&p->to)) continue;
      for (size_t k = 0; k < m->n_allowed; k++)
        if (brtc_addr_equal(&m->allowed[k], &p->from)) {
          deliver_to_side(n, w, p);
          return;
        }
    }
    return; /* filtered */
  }
  /* a private address across a NAT: unroutable, dropped */
}

static void on_event(net *n, int w, const brtc_output *ev);

static void drain(net *n, int w) {
  side *s = &n->s[w];
  pc_drainer d = {.pc = s->pc};
  for (const brtc_output *out; (out = pc_drain_next(&d));) {
    if (out->kind == BRTC_OUTPUT_EVENT) {
      on_event(n, w, out);
      continue;
    }
    brtc_addr to;
    CHECK(brtc_addr_from_sockaddr(&to, (const struct sockaddr *)&out->remote, sizeof out->remote));
    if (!brtc_addr_equal(&to, &n->stun) && !brtc_addr_equal(&to, &n->turn)) s->sent_direct++;
    from_side(n, w, &to, out->data, out->len);
  }
  s->deadline = d.deadline;
}

static void deliver_to_side(net *n, int w, const pkt *p) {
  (void)brtc_pc_handle_datagram(n->s[w].pc, p->data, p->len, &p->from.u.sa, n->now);
  drain(n, w);
}

static void flush_pending(net *n, int w) {
  side *s = &n->s[w], *o = &n->s[1 - w];
  if (!n->exchanged) return;
  for (size_t i = 0; i < s->n_pending; i++)
    CHECK_EQ_INT(brtc_pc_add_ice_candidate(o->pc, s->pending[i]), BRTC_OK);
  s->n_pending = 0;
  drain(n, 1 - w);
}

static void send_more(net *n) {
  side *o = &n->s[0];
  while (o->open && n->sent < MESSAGES && n->sent - o->received < 8) {
    char msg[1200];
    int len = snprintf(msg, sizeof msg, "message %u ", n->sent);
    memset(msg + len, 'a' + (int)(n->sent % 26), sizeof msg - (size_t)len);
    CHECK_EQ_INT(brtc_datachannel_send(o->channel, n->now, (const uint8_t *)msg, sizeof msg, false),
                 BRTC_OK);
    n->sent++;
  }
}

static void on_event(net *n, int w, const brtc_output *ev) {
  side *s = &n->s[w];
  switch (ev->event) {
    case BRTC_EVENT_ICE_CANDIDATE:
      CHECK(ev->mid && ev->mid[0] && strncmp(ev->detail, "candidate:", 10) == 0);
      if (s->n_lines < 16) snprintf(s->lines[s->n_lines++], sizeof s->lines[0], "%s", ev->detail);
      if (s->n_pending < 16) snprintf(s->pending[s->n_pending++], 200, "%s", ev->detail);
      break;
    case BRTC_EVENT_ICE_GATHERING_COMPLETE:
      s->gathering_complete = true;
      if (s->n_pending < 16) s->pending[s->n_pending++][0] = '\0'; /* end-of-candidates */
      break;
    case BRTC_EVENT_STEP:
      if (ev->step == BRTC_STEP_ICE_CONNECTED) {
        s->ice_connected = true;
        snprintf(s->ice_detail, sizeof s->ice_detail, "%s", ev->detail);
      }
      if (ev->step == BRTC_STEP_DTLS_CONNECTED) s->dtls_connected = true;
      if (ev->step == BRTC_STEP_FAILED) {
        s->failed = true;
        fprintf(stderr, "  side %d failed: %s\n", w, ev->detail);
      }
      break;
    case BRTC_EVENT_LOG:
      if (getenv("GATHER_LOG")) fprintf(stderr, "  [%d] %s\n", w, ev->detail);
      break;
    case BRTC_EVENT_DATACHANNEL:
      if (w == 1) s->channel = ev->channel;
      break;
    case BRTC_EVENT_DATACHANNEL_OPEN:
      if (ev->channel == s->channel) s->open = true;
      if (w == 0) send_more(n);
      break;
    case BRTC_EVENT_DATACHANNEL_MESSAGE:
      if (ev->channel != s->channel) break;
      s->received++;
      if (w == 1) /* echo */
        CHECK_EQ_INT(brtc_datachannel_send(s->channel, n->now, ev->data, ev->len, ev->binary),
                     BRTC_OK);
      else
        send_more(n);
      break;
    default: break;
  }
}

static void step(net *n) {
  uint64_t next = n->s[0].deadline < n->s[1].deadline ? n->s[0].deadline : n->s[1].deadline;
  uint64_t td = brtc_turn_core_deadline(n->core);
  if (td < next) next = td;
  for (size_t i = 0; i < n->n_q; i++)
    if (n->q[i].at < next) next = n->q[i].at;
  if (next > n->now) n->now = next;
  /* Take what is due out first: delivering it queues more. */
  static pkt due[MAX_Q];
  size_t n_due = 0, kept = 0;
  for (size_t i = 0; i < n->n_q; i++) {
    if (n->q[i].at <= n->now) due[n_due++] = n->q[i];
    else n->q[kept++] = n->q[i];
  }
  n->n_q = kept;
  for (size_t i = 0; i < n_due; i++) route(n, &due[i]);
  if (td <= n->now) brtc_turn_core_handle_timeout(n->core, n->now);
  for (int w = 0; w < 2; w++) {
    if (n->s[w].deadline > n->now) continue;
    brtc_pc_handle_timeout(n->s[w].pc, n->now);
    drain(n, w);
  }
  flush_pending(n, 0);
  flush_pending(n, 1);
}

static brtc_pc *make_pc(const brtc_addr *host, const net *n, bool stun, bool turn, bool relay_only) {
  brtc_pc_config *cfg = brtc_pc_config_new();
  brtc_pc_config_set_certificate(cfg, cert);
  brtc_pc_config_set_datachannels(cfg, true);
  brtc_pc_config_add_host_address(cfg, &host->u.sa);
  char url[96], a[BRTC_ADDR_STRLEN];
  if (stun) {
    snprintf(url, sizeof url, "stun:%s", brtc_addr_str(&n->stun, a, sizeof a));
    CHECK_EQ_INT(brtc_pc_config_add_ice_server(cfg, url, NULL, NULL), BRTC_OK);
  }
  if (turn) {
    snprintf(url, sizeof url, "turn:%s?transport=udp", brtc_addr_str(&n->turn, a, sizeof a));
    CHECK_EQ_INT(brtc_pc_config_add_ice_server(cfg, url, "alice", "secret"), BRTC_OK);
  }
  if (relay_only)
    CHECK_EQ_INT(brtc_pc_config_set_ice_transport_policy(cfg, BRTC_ICE_TRANSPORT_RELAY), BRTC_OK);
  brtc_pc *pc = NULL;
  char err[160];
  CHECK_EQ_INT(brtc_pc_new(cfg, &pc, err, sizeof err), BRTC_OK);
  brtc_pc_config_free(cfg);
  return pc;
}

typedef struct scenario {
  nat_kind nat;
  bool relay_only; /* the offerer's policy */
  bool late_offer;  /* stop after a second offer made once gathering is over */
  bool answer_first; /* the offerer gets its answer before it is drained at all */
} scenario;

static net *run(scenario sc, bool *connected) {
  net *n = calloc(1, sizeof *n);
  n->q = calloc(MAX_Q, sizeof *n->q);
  n->now = 1000000;
  n->stun = ip("203.0.113.1", 3478);
  n->turn = ip("203.0.113.2", 3478);
  n->relay_ip = ip("203.0.113.2", 0);
  static const uint8_t secret[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  brtc_turn_core_config tc = {.realm = "lab", .secret = secret, .relay_ip = n->relay_ip,
                              .relay_port_min = RELAY_PORT0, .relay_port_max = RELAY_PORT0 + 99};
  n->core = brtc_turn_core_new(&tc);
  CHECK(n->core != NULL);
  CHECK_EQ_INT(brtc_turn_core_add_user(n->core, "alice", "secret"), BRTC_OK);
  CHECK_EQ_INT(brtc_turn_core_allow_peers(n->core, "203.0.113.0/24"), BRTC_OK);
  const char *priv[2] = {"10.0.0.2", "10.0.1.2"}, *pub[2] = {"203.0.113.10", "203.0.113.11"};
  for (int w = 0; w < 2; w++) {
    side *s = &n->s[w];
    s->nat = sc.nat;
    s->priv = sc.nat == NAT_NONE ? ip(pub[w], (uint16_t)(5000 + w * 1000))
                                 : ip(priv[w], (uint16_t)(5000 + w * 1000));
    s->pub = ip(pub[w], 0);
    n->next_port[w] = (uint16_t)(40000 + w * 1000);
    s->pc = make_pc(&s->priv, n, true, true, w == 0 && sc.relay_only);
  }
  char err[256] = "";
  brtc_datachannel_init init;
  brtc_datachannel_init_default(&init);
  CHECK_EQ_INT(brtc_pc_create_datachannel(n->s[0].pc, n->now, "chat", &init, &n->s[0].channel,
                                          err, sizeof err), BRTC_OK);
  const char *offer = NULL, *answer = NULL;
  CHECK_EQ_INT(brtc_pc_create_offer(n->s[0].pc, n->now, &offer, err, sizeof err), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_set_local_description(n->s[0].pc, "offer", NULL, n->now, err, sizeof err),
               BRTC_OK);
  /* Written before gathering ended: host candidates (none under the relay policy), and no
   * a=end-of-candidates, since more are trickled. */
  CHECK(strstr(offer, "typ srflx") == NULL && strstr(offer, "typ relay") == NULL);
  CHECK((strstr(offer, "typ host") != NULL) == !sc.relay_only);
  CHECK(strstr(offer, "a=end-of-candidates") == NULL);
  if (!sc.answer_first) drain(n, 0);
  if (sc.late_offer) { /* gathering ends; then a new offer carries it all */
    uint64_t until = n->now + 10 * 1000000ull;
    while (n->now < until && !n->s[0].gathering_complete) step(n);
    CHECK(n->s[0].gathering_complete);
    CHECK_EQ_INT(brtc_pc_create_offer(n->s[0].pc, n->now, &offer, err, sizeof err), BRTC_OK);
    CHECK(strstr(offer, "typ srflx raddr 10.0.0.2 rport 5000") != NULL);
    CHECK(strstr(offer, "typ relay") != NULL && strstr(offer, "typ host") != NULL);
    CHECK(strstr(offer, "a=end-of-candidates") != NULL);
    *connected = false;
    return n;
  }
  CHECK_EQ_INT(brtc_pc_set_remote_description(n->s[1].pc, "offer", offer, n->now, err, sizeof err),
               BRTC_OK);
  CHECK_EQ_INT(brtc_pc_create_answer(n->s[1].pc, &answer, err, sizeof err), BRTC_OK);
  /* The answer too: host candidates, and the list still open (RFC 8840 8.2). */
  CHECK(answer && strstr(answer, "typ host") && !strstr(answer, "a=end-of-candidates"));
  CHECK_EQ_INT(brtc_pc_set_local_description(n->s[1].pc, "answer", NULL, n->now, err, sizeof err),
               BRTC_OK);
  drain(n, 1);
  CHECK_EQ_INT(brtc_pc_set_remote_description(n->s[0].pc, "answer", answer, n->now, err,
                                              sizeof err), BRTC_OK);
  n->exchanged = true;
  drain(n, 0);
  uint64_t limit = n->now + 30 * 1000000ull;
  /* Until every echo is back and both sides have nominated (data may flow first: DTLS
   * starts on the first valid pair, RFC 8445 does not make it wait). */
  while (n->now < limit && (n->s[0].received < MESSAGES || !n->s[0].ice_connected ||
                            !n->s[1].ice_connected) && !n->s[0].failed && !n->s[1].failed)
    step(n);
  *connected = n->s[0].ice_connected && n->s[1].ice_connected && n->s[0].dtls_connected &&
               n->s[1].dtls_connected;
  return n;
}

/* Both pcs close; their allocations are deleted (RFC 8656 7.3), not left to expire, but for
 * `orphaned` ones whose client's NAT mapping changed (the server sees another 5-tuple, RFC
 * 8656 2.2, and refuses it as an allocation mismatch): those only expire on the server. */
static void finish_orphaned(net *n, uint64_t orphaned) {
  brtc_turn_core_stats before, after;
  brtc_turn_core_get_stats(n->core, &before);
  for (int w = 0; w < 2; w++) {
    brtc_pc_close(n->s[w].pc, n->now);
    drain(n, w);
  }
  for (int i = 0; i < 20; i++) step(n);
  brtc_turn_core_get_stats(n->core, &after);
  CHECK_EQ_INT(after.allocations_deleted - before.allocations_deleted,
               before.allocations - orphaned);
  CHECK_EQ_INT(after.allocations, 0); /* the steps run the clock on to its expiry */
  for (int w = 0; w < 2; w++) brtc_pc_free(n->s[w].pc);
  brtc_turn_core_free(n->core);
  free(n->q);
  free(n);
}

static void finish(net *n) { finish_orphaned(n, 0); }

static bool has_line(const side *s, const char *what) {
  for (size_t i = 0; i < s->n_lines; i++)
    if (strstr(s->lines[i], what)) return true;
  return false;
}

static void report(const net *n, const char *name) {
  brtc_turn_core_stats ts;
  brtc_turn_core_get_stats(n->core, &ts);
  fprintf(stderr, "  %s: offerer %s\n  answerer %s\n  %u/%u echoed; TURN: %llu allocations, "
          "%llu packets to peers, %llu to clients\n",
          name, n->s[0].ice_detail, n->s[1].ice_detail, n->s[0].received, MESSAGES,
          (unsigned long long)ts.allocations_created, (unsigned long long)ts.to_peer_packets,
          (unsigned long long)ts.to_client_packets);
  for (int w = 0; w < 2; w++)
    for (size_t i = 0; i < n->s[w].n_lines; i++)
      fprintf(stderr, "    %s: %s\n", w ? "answerer" : "offerer", n->s[w].lines[i]);
}

/* Endpoint-independent NATs: srflx at the mapped address, related address the host one;
 * connected directly, srflx to srflx. */
static void test_srflx_through_eim_nats(void) {
  bool connected = false;
  net *n = run((scenario){.nat = NAT_EIM}, &connected);
  report(n, "EIM NATs");
  CHECK(connected);
  CHECK_EQ_INT(n->s[0].received, MESSAGES);
  CHECK(n->s[0].gathering_complete && n->s[1].gathering_complete);
  CHECK(has_line(&n->s[0], " 203.0.113.10 40000 typ srflx raddr 10.0.0.2 rport 5000"));
  CHECK(has_line(&n->s[1], " 203.0.113.11 41000 typ srflx raddr 10.0.1.2 rport 6000"));
  CHECK(has_line(&n->s[0], " typ relay raddr 203.0.113.10 rport 40000"));
  CHECK(has_line(&n->s[0], " typ host"));
  /* The pair in use is srflx to srflx: each names the other's mapped address. */
  CHECK(strstr(n->s[0].ice_detail, "nominated 203.0.113.11:41000") != NULL);
  CHECK(strstr(n->s[1].ice_detail, "nominated 203.0.113.10:40000") != NULL);
  CHECK(strstr(n->s[0].ice_detail, "relay") == NULL && strstr(n->s[1].ice_detail, "relay") == NULL);
  CHECK(n->stun_requests >= 2);
  finish(n);
}

/* An offer made once gathering is over carries every candidate, and says it is complete
 * (a=end-of-candidates, RFC 8840). */
static void test_later_offer_carries_all(void) {
  bool connected = false;
  net *n = run((scenario){.nat = NAT_EIM, .late_offer = true}, &connected);
  finish(n);
}

/* An owner that sets the answer before it first drains the offerer (a signaling reply that
 * comes back within the same pass) still gets the offerer's candidates trickled: the mid they
 * name is the offer's, answered by then. */
static void test_answer_before_first_drain(void) {
  bool connected = false;
  net *n = run((scenario){.nat = NAT_EIM, .answer_first = true}, &connected);
  report(n, "answer before the first drain");
  CHECK(connected);
  CHECK(has_line(&n->s[0], " 203.0.113.10 40000 typ srflx raddr 10.0.0.2 rport 5000"));
  CHECK(has_line(&n->s[0], " typ relay"));
  CHECK(n->s[0].gathering_complete);
  finish(n);
}

/* A side's ICE state and local ufrag, as its W3C transport stats say. */
static void transport_of(const side *s, uint64_t now, char *state, char *ufrag, size_t cap) {
  brtc_stats_report *r = NULL;
  CHECK_EQ_INT(brtc_pc_get_stats_report(s->pc, now, &r), BRTC_OK);
  size_t t = brtc_stats_find_type(r, "transport", SIZE_MAX);
  const char *st = brtc_stats_get_string(r, t, "iceState");
  const char *uf = brtc_stats_get_string(r, t, "iceLocalUsernameFragment");
  snprintf(state, cap, "%s", st ? st : "");
  snprintf(ufrag, cap, "%s", uf ? uf : "");
  brtc_stats_free(r);
}

/* Side w's NAT forgets its mappings (a NAT reboot, a new uplink): nothing comes in through
 * them any more, and what it sends next gets new ports. */
static void forget_mappings(net *n, int w) {
  for (size_t i = 0; i < n->n_maps; i++)
    if (n->maps[i].side == w) n->maps[i].side = -1;
}

/* Side 0 restarts ICE (RFC 8445 9) and the new offer and answer are exchanged; copies of
 * both for the caller to check and free. */
static void restart_exchange(net *n, char **offer_copy, char **answer_copy) {
  char err[256] = "";
  const char *offer = NULL, *answer = NULL;
  CHECK_EQ_INT(brtc_pc_restart_ice(n->s[0].pc, n->now), BRTC_OK);
  drain(n, 0);
  CHECK_EQ_INT(brtc_pc_create_offer(n->s[0].pc, n->now, &offer, err, sizeof err), BRTC_OK);
  *offer_copy = offer ? strdup(offer) : NULL;
  CHECK_EQ_INT(brtc_pc_set_local_description(n->s[0].pc, "offer", NULL, n->now, err, sizeof err),
               BRTC_OK);
  drain(n, 0);
  CHECK_EQ_INT(brtc_pc_set_remote_description(n->s[1].pc, "offer", *offer_copy, n->now, err,
                                              sizeof err), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_create_answer(n->s[1].pc, &answer, err, sizeof err), BRTC_OK);
  *answer_copy = answer ? strdup(answer) : NULL;
  CHECK_EQ_INT(brtc_pc_set_local_description(n->s[1].pc, "answer", NULL, n->now, err, sizeof err),
               BRTC_OK);
  drain(n, 1);
  CHECK_EQ_INT(brtc_pc_set_remote_description(n->s[0].pc, "answer", *answer_copy, n->now, err,
                                              sizeof err), BRTC_OK);
  drain(n, 0);
}

/* Another round of MESSAGES echoes over the restarted transport, for at most 10 s. */
static void echo_round(net *n) {
  n->sent = 0;
  n->s[0].received = 0;
  send_more(n);
  drain(n, 0);
  uint64_t limit = n->now + 10 * 1000000ull;
  while (n->now < limit && n->s[0].received < MESSAGES && !n->s[0].failed && !n->s[1].failed)
    step(n);
}

/* After an ICE restart (RFC 8445 9) both sides send their STUN Binding requests again: the
 * NAT's binding may have changed, and that is often why one restarts. The new offer and
 * answer carry every candidate known (srflx, relayed, host) but no a=end-of-candidates, as
 * gathering is open again (RFC 8840 8.2); what changed is trickled, and gathering completes
 * again. rebind: side 0's NAT forgets its mapping first (a NAT reboot, a new uplink), so
 * its Binding answer names a new port, trickled as a new srflx candidate in place of the
 * old one; the old path is dead then, so the channel goes on only over the new one. Without
 * it, the same mapping comes back and nothing is trickled twice. The checks of the new
 * generation succeed through the NATs and the channel goes on. */
static void restart_gathers_again(bool rebind) {
  bool connected = false;
  net *n = run((scenario){.nat = NAT_EIM}, &connected);
  CHECK(connected);
  size_t lines[2] = {n->s[0].n_lines, n->s[1].n_lines};
  char err[256] = "", state[64], ufrag[2][64], before[2][64];
  for (int w = 0; w < 2; w++) transport_of(&n->s[w], n->now, state, before[w], sizeof state);
  uint64_t requests = n->stun_requests;
  if (rebind) forget_mappings(n, 0);
  for (int w = 0; w < 2; w++) n->s[w].gathering_complete = false;
  char *offer = NULL, *answer = NULL;
  restart_exchange(n, &offer, &answer);
  CHECK(offer && strstr(offer, "typ srflx raddr 10.0.0.2 rport 5000") && strstr(offer, "typ relay") &&
        strstr(offer, "typ host") && !strstr(offer, "a=end-of-candidates"));
  CHECK(answer && strstr(answer, "typ srflx raddr 10.0.1.2 rport 6000") &&
        strstr(answer, "typ relay") && !strstr(answer, "a=end-of-candidates"));
  free(offer);
  free(answer);
  unsigned echoed = n->s[0].received;
  echo_round(n);
  if (rebind) report(n, "after a restart with side 0's NAT mapping changed");
  CHECK_EQ_INT(n->s[0].received, MESSAGES);
  CHECK_EQ_INT(echoed, MESSAGES);
  CHECK(n->stun_requests >= requests + 2); /* one Binding request each at least, again */
  for (int w = 0; w < 2; w++) {
    transport_of(&n->s[w], n->now, state, ufrag[w], sizeof state);
    CHECK(strcmp(ufrag[w], before[w]) != 0); /* the new generation's credentials */
    CHECK(strcmp(state, "connected") == 0 || strcmp(state, "completed") == 0);
    if (strcmp(state, "connected") != 0 && strcmp(state, "completed") != 0)
      fprintf(stderr, "  side %d after the restart: ICE %s\n", w, state);
    CHECK(n->s[w].gathering_complete);
    /* nothing trickled twice; after the rebinding, the new mapping once and the relayed
     * address of the allocation made again from it */
    CHECK_EQ_INT(n->s[w].n_lines, lines[w] + (rebind && w == 0 ? 2 : 0));
  }
  if (rebind) {
    CHECK(has_line(&n->s[0], " 203.0.113.10 40001 typ srflx raddr 10.0.0.2 rport 5000"));
    CHECK(has_line(&n->s[0], " typ relay raddr 203.0.113.10 rport 40001"));
    CHECK(strstr(n->s[1].ice_detail, "nominated 203.0.113.10:40000") != NULL); /* first gen */
    brtc_pc_stats st;
    memset(&st, 0, sizeof st);
    st.size = sizeof st;
    const char *o = NULL;
    CHECK_EQ_INT(brtc_pc_create_offer(n->s[0].pc, n->now, &o, err, sizeof err), BRTC_OK);
    /* A later description signals the new mapping, not the old one. */
    CHECK(o && strstr(o, " 203.0.113.10 40001 typ srflx") && !strstr(o, " 203.0.113.10 40000 typ srflx"));
    CHECK(o && strstr(o, "a=end-of-candidates"));
  }
  finish_orphaned(n, rebind ? 1 : 0);
}

static void test_restart_gathers_again(void) { restart_gathers_again(false); }
static void test_restart_after_nat_rebinding(void) { restart_gathers_again(true); }

/* Symmetric NATs: a new port per destination, so only the relay gets through. */
static void test_relay_through_symmetric_nats(void) {
  bool connected = false;
  net *n = run((scenario){.nat = NAT_SYMMETRIC}, &connected);
  report(n, "symmetric NATs");
  CHECK(connected);
  CHECK_EQ_INT(n->s[0].received, MESSAGES);
  CHECK(has_line(&n->s[0], " typ relay raddr 203.0.113.10"));
  CHECK(has_line(&n->s[1], " typ relay raddr 203.0.113.11"));
  /* Each side's pair goes through a relay: its own, or the peer's (then it names the
   * peer's relayed address, 203.0.113.2:5xxxx); never srflx to srflx. */
  for (int w = 0; w < 2; w++)
    CHECK(strstr(n->s[w].ice_detail, "through our TURN relay") != NULL ||
          strstr(n->s[w].ice_detail, "nominated 203.0.113.2:5") != NULL);
  CHECK(strstr(n->s[0].ice_detail, "203.0.113.11:41000") == NULL);
  brtc_turn_core_stats ts;
  brtc_turn_core_get_stats(n->core, &ts);
  CHECK(ts.to_peer_bytes > MESSAGES * 1200ull && ts.channels_bound >= 1);
  finish(n);
}

/* The relayed candidate's "IP PORT" of side w's trickled lines from `from` on; "" if none. */
static void relay_of(const side *s, size_t from, char *out, size_t cap) {
  out[0] = '\0';
  for (size_t i = from; i < s->n_lines; i++) {
    char addr[64];
    unsigned port = 0;
    if (strstr(s->lines[i], " typ relay") &&
        sscanf(s->lines[i], "%*s %*s %*s %*s %63s %u", addr, &port) == 2) {
      snprintf(out, cap, " %s %u typ relay", addr, port);
      return;
    }
  }
}

/* Symmetric NATs and the relay policy on side 0, so only side 0's own relay works (without
 * the policy side 0 could still reach side 1's relay directly); side 0's NAT forgets its
 * mappings and side 0 restarts ICE. Its allocation is dead on the server (RFC 8656 2:
 * another 5-tuple), so the restart's Refresh gets 437 and a new allocation is made, the old
 * relayed candidate is retired in the agent (its pairs would leave through the new
 * allocation's socket and be answered on another address), the new one is
 * trickled, later descriptions carry it and not the dead one, and the messages flow again
 * through it. Side 1's allocation answers its Refresh and is kept. */
static void test_relay_replaced_after_nat_rebinding(void) {
  bool connected = false;
  net *n = run((scenario){.nat = NAT_SYMMETRIC, .relay_only = true}, &connected);
  CHECK(connected);
  size_t lines0 = n->s[0].n_lines;
  char old_relay[96], new_relay[96], err[256] = "";
  relay_of(&n->s[0], 0, old_relay, sizeof old_relay);
  CHECK(old_relay[0] != '\0');
  forget_mappings(n, 0);
  for (int w = 0; w < 2; w++) n->s[w].gathering_complete = false;
  char *offer = NULL, *answer = NULL;
  restart_exchange(n, &offer, &answer);
  free(offer);
  free(answer);
  echo_round(n);
  report(n, "relay only, after a restart with side 0's NAT mappings changed");
  CHECK_EQ_INT(n->s[0].received, MESSAGES);
  CHECK_EQ_INT(n->s[0].sent_direct, 0); /* so all of it through side 0's new allocation */
  CHECK(n->s[0].gathering_complete && n->s[1].gathering_complete);
  relay_of(&n->s[0], lines0, new_relay, sizeof new_relay);
  CHECK(new_relay[0] != '\0' && strcmp(new_relay, old_relay) != 0);
  brtc_turn_core_stats ts;
  brtc_turn_core_get_stats(n->core, &ts);
  CHECK_EQ_INT(ts.allocations_created, 3); /* one each, then side 0's again */
  const char *o = NULL;
  CHECK_EQ_INT(brtc_pc_create_offer(n->s[0].pc, n->now, &o, err, sizeof err), BRTC_OK);
  CHECK(o && strstr(o, new_relay) && !strstr(o, old_relay) && strstr(o, "a=end-of-candidates"));
  finish_orphaned(n, 1);
}

/* The relay policy: the offerer has no host or srflx candidate, signals relayed ones only,
 * and sends nothing but to the TURN server. */
static void test_relay_policy(void) {
  bool connected = false;
  net *n = run((scenario){.nat = NAT_NONE, .relay_only = true}, &connected);
  report(n, "relay policy");
  CHECK(connected);
  CHECK_EQ_INT(n->s[0].received, MESSAGES);
  CHECK(n->s[0].n_lines >= 1);
  for (size_t i = 0; i < n->s[0].n_lines; i++) CHECK(strstr(n->s[0].lines[i], " typ relay") != NULL);
  CHECK_EQ_INT(n->s[0].sent_direct, 0);
  CHECK(strstr(n->s[1].ice_detail, "nominated 203.0.113.2:5") != NULL);
  CHECK(strstr(n->s[0].ice_detail, "through our TURN relay") != NULL);
  finish(n);
}

/* brtc_pc_config_add_ice_server's URLs (RFC 7064, 7065). */
static void test_ice_server_urls(void) {
  brtc_pc_config *c = brtc_pc_config_new();
  CHECK_EQ_INT(brtc_pc_config_add_ice_server(c, "stun:192.0.2.1", NULL, NULL), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_config_add_ice_server(c, "STUN:[2001:db8::1]:19302", NULL, NULL), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_config_add_ice_server(c, "turn:192.0.2.1:3479?transport=udp", "u", "p"),
               BRTC_OK);
  CHECK_EQ_INT(brtc_pc_config_add_ice_server(c, "turn:[::1]", "u", "p"), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_config_add_ice_server(c, "stun:192.0.2.2", NULL, NULL), BRTC_ERR_LIMIT);
  brtc_pc_config_free(c);
  c = brtc_pc_config_new();
  CHECK_EQ_INT(brtc_pc_config_add_ice_server(c, "stun:stun.example.org", NULL, NULL),
               BRTC_ERR_UNSUPPORTED); /* names are the program's to resolve */
  CHECK_EQ_INT(brtc_pc_config_add_ice_server(c, "stuns:192.0.2.1", NULL, NULL), BRTC_ERR_UNSUPPORTED);
  /* RFC 7065: TURN over TCP, and over TLS on 5349 unless a port is given. */
  pc_ice_server srv;
  CHECK_EQ_INT(pc_ice_server_parse("turn:192.0.2.1?transport=tcp", &srv), BRTC_OK);
  CHECK(srv.turn && srv.via == BRTC_VIA_TCP && brtc_addr_port(&srv.addr) == 3478);
  CHECK_EQ_INT(pc_ice_server_parse("TURNS:192.0.2.1", &srv), BRTC_OK);
  CHECK(srv.turn && srv.via == BRTC_VIA_TLS && brtc_addr_port(&srv.addr) == 5349);
  CHECK_EQ_INT(pc_ice_server_parse("turns:[::1]:443?transport=tcp", &srv), BRTC_OK);
  CHECK(srv.via == BRTC_VIA_TLS && brtc_addr_port(&srv.addr) == 443);
  CHECK_EQ_INT(pc_ice_server_parse("turn:192.0.2.1:3479?transport=udp", &srv), BRTC_OK);
  CHECK(srv.via == BRTC_VIA_UDP);
  CHECK_EQ_INT(brtc_pc_config_add_ice_server(c, "turns:192.0.2.1", "u", "p"), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_config_add_ice_server(c, "turn:192.0.2.1?transport=tcp", "u", "p"), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_config_add_ice_server(c, "turns:192.0.2.1", "u", NULL), BRTC_ERR_INVALID);
  CHECK_EQ_INT(brtc_pc_config_set_tls_ca_file(c, "/etc/ssl/certs/ca-certificates.crt"), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_config_add_ice_server(c, "turn:192.0.2.1", NULL, "p"), BRTC_ERR_INVALID);
  CHECK_EQ_INT(brtc_pc_config_add_ice_server(c, "turn:192.0.2.1", "u", ""), BRTC_ERR_INVALID);
  static const char *bad[] = {"", "stun:", "http://192.0.2.1", "stun:192.0.2.1:", "stun:192.0.2.1:0",
                              "stun:192.0.2.1:65536", "stun:192.0.2.1:12a", "stun:[::1",
                              "stun:[::1]x", "stun:2001:db8::1", "stun:192.0.2.1?transport=udp",
                              "turn:192.0.2.1?transport=sctp", "turn:192.0.2.1?foo=bar",
                              "turns:192.0.2.1?transport=udp",
                              "stun://192.0.2.1", "stun:u@192.0.2.1", "stun:192.0.2.1/x",
                              "stun:[]:3478", "stun:192.0.2.1:123456"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int rc = brtc_pc_config_add_ice_server(c, bad[i], "u", "p");
    if (rc != BRTC_ERR_PARSE) fprintf(stderr, "  %s: %d\n", bad[i], rc);
    CHECK_EQ_INT(rc, BRTC_ERR_PARSE);
  }
  CHECK_EQ_INT(brtc_pc_config_set_ice_transport_policy(c, (brtc_ice_transport_policy)7),
               BRTC_ERR_INVALID);
  brtc_pc_config_free(c);
}

int main(void) {
  cert = brtc_certificate_generate();
  RUN(test_ice_server_urls);
  RUN(test_srflx_through_eim_nats);
  RUN(test_later_offer_carries_all);
  RUN(test_answer_before_first_drain);
  RUN(test_restart_gathers_again);
  RUN(test_restart_after_nat_rebinding);
  RUN(test_relay_through_symmetric_nats);
  RUN(test_relay_policy);
  RUN(test_relay_replaced_after_nat_rebinding);
  brtc_certificate_free(cert);
  return TEST_REPORT();
}
