/* Two ICE agents joined by simulated links: see ice_sim.h. */
#include "ice_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "stun/stun.h"

/* Harness faults, counted here (each test program checks ice_sim_faults is 0). */
unsigned ice_sim_faults;
#define CHECK(cond)                                                                   \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      ice_sim_faults++;                                                               \
      fprintf(stderr, "%s:%d: ice_sim: %s\n", __FILE__, __LINE__, #cond);            \
    }                                                                                 \
  } while (0)
#define CHECK_EQ_INT(a, b) CHECK((long long)(a) == (long long)(b))

#define ENVELOPE (2 * sizeof(brtc_addr))

static brtc_addr parse_addr(const char *text) {
  brtc_addr a;
  if (brtc_addr_parse(&a, text, 0) != BRTC_OK) {
    fprintf(stderr, "ice_sim: bad address %s\n", text);
    abort();
  }
  return a;
}

static bool is_request(const uint8_t *p, size_t n) {
  return n >= 20 && p[0] == 0x00 && p[1] == 0x01;
}

/* The network the link does not model: blocked addresses, a cut, drops on demand. */
static uint64_t hook(void *user, const uint8_t *data, size_t len) {
  sim_dir *d = user;
  ice_sim *s = d->s;
  brtc_addr from, to;
  memcpy(&from, data, sizeof(from));
  memcpy(&to, data + sizeof(from), sizeof(to));
  bool drop = s->cut;
  for (size_t i = 0; i < s->n_blocked && !drop; i++)
    drop = brtc_addr_equal(&s->blocked[i], &from) || brtc_addr_equal(&s->blocked[i], &to);
  if (!drop && s->drop_next[d->from]) {
    s->drop_next[d->from]--;
    drop = true;
  }
  if (!drop && s->drop_requests[d->from] && is_request(data + ENVELOPE, len - ENVELOPE)) {
    s->drop_requests[d->from]--;
    drop = true;
  }
  if (drop) s->vanished[d->from]++;
  return drop ? SIM_LINK_DROP : 0;
}

void ice_sim_init(ice_sim *s, const sim_link_config *cfg) {
  memset(s, 0, sizeof(*s));
  for (int i = 0; i < 2; i++) {
    sim_link_config c = {0};
    if (cfg) c = *cfg;
    c.seed = (cfg ? cfg->seed : 0) + (uint64_t)i + 1;
    s->dir[i].s = s;
    s->dir[i].from = i;
    c.hook = hook;
    c.hook_user = &s->dir[i];
    s->link[i] = sim_link_new(&c);
    CHECK(s->link[i] != NULL);
  }
}

void ice_sim_free(ice_sim *s) {
  for (int i = 0; i < 2; i++) sim_link_free(s->link[i]);
  brtc_ice_transport_free(s->a.t);
  brtc_ice_transport_free(s->b.t);
}

sim_agent *ice_sim_other(ice_sim *s, sim_agent *ag) { return ag == &s->a ? &s->b : &s->a; }

void ice_sim_agent(ice_sim *s, sim_agent *ag, const char *name, const brtc_ice_config *cfg,
                   const char *const *addrs, size_t n) {
  char err[128] = "";
  memset(ag, 0, sizeof(*ag));
  ag->name = name;
  for (size_t i = 0; i <= BRTC_ICE_CONN_CLOSED; i++) ag->state_at[i] = SIM_NEVER;
  CHECK_EQ_INT(brtc_ice_transport_new(cfg, s->now, &ag->t, err, sizeof(err)), BRTC_OK);
  for (size_t i = 0; i < n && i < SIM_MAX_ADDRS; i++) {
    ag->addrs[ag->n_addrs++] = parse_addr(addrs[i]);
    CHECK_EQ_INT(brtc_ice_transport_add_host_candidate(ag->t, &ag->addrs[i], (uint32_t)i, s->now),
                 BRTC_OK);
  }
  brtc_ice_transport_end_of_local_candidates(ag->t, s->now);
}

void ice_sim_nat(sim_agent *ag, const char *const *outside, size_t n) {
  ag->nat = true;
  for (size_t i = 0; i < n && i < ag->n_addrs; i++) ag->nat_outside[i] = parse_addr(outside[i]);
}

void ice_sim_block(ice_sim *s, const char *addr) { s->blocked[s->n_blocked++] = parse_addr(addr); }

static void record(sim_agent *ag, uint64_t now, const uint8_t *buf, size_t len,
                   const brtc_ice_output *o) {
  ag->sent++;
  brtc_stun_msg m;
  bool parsed = brtc_stun_parse(buf, len, &m) == BRTC_OK;
  CHECK(parsed);
  if (!parsed) return;
  bool req = m.type == BRTC_STUN_BINDING_REQUEST;
  ag->requests += req;
  ag->responses += !req;
  ag->nominations += req && m.use_candidate;
  if (ag->n_sends < SIM_MAX_SENDS) {
    sim_send *x = &ag->sends[ag->n_sends++];
    x->at = now;
    x->request = req;
    x->use_candidate = m.use_candidate;
    x->from = o->from;
    x->to = o->to;
  }
}

void ice_sim_drain(ice_sim *s, sim_agent *ag) {
  uint8_t buf[BRTC_ICE_MAX_DATAGRAM + ENVELOPE];
  brtc_ice_output o;
  for (int guard = 0; guard < 10000; guard++) {
    int rc = brtc_ice_transport_poll(ag->t, buf + ENVELOPE, BRTC_ICE_MAX_DATAGRAM, &o);
    CHECK_EQ_INT(rc, BRTC_OK);
    if (o.kind == BRTC_ICE_OUTPUT_TIMEOUT) return;
    if (o.kind == BRTC_ICE_OUTPUT_TRANSMIT) {
      record(ag, s->now, buf + ENVELOPE, o.len, &o);
      /* It must leave from one of the agent's own sockets. */
      CHECK(o.socket < ag->n_addrs && brtc_addr_equal(&ag->addrs[o.socket], &o.from));
      brtc_addr from = o.from;
      if (ag->nat) {
        for (size_t i = 0; i < ag->n_addrs; i++)
          if (brtc_addr_equal(&ag->addrs[i], &from)) from = ag->nat_outside[i];
      }
      memcpy(buf, &from, sizeof(from));
      memcpy(buf + sizeof(from), &o.to, sizeof(o.to));
      int dir = ag == &s->a ? 0 : 1;
      CHECK_EQ_INT(sim_link_send(s->link[dir], s->now, buf, ENVELOPE + o.len), BRTC_OK);
      continue;
    }
    const brtc_ice_event *e = &o.event;
    switch (e->type) {
      case BRTC_ICE_EVENT_STATE:
        ag->state_at[e->state] = s->now;
        if (ag->n_states < 32) ag->states[ag->n_states++] = e->state;
        break;
      case BRTC_ICE_EVENT_SELECTED_PAIR:
        ag->have_selected = true;
        ag->selected = e->pair;
        ag->selected_events++;
        break;
      case BRTC_ICE_EVENT_LOCAL_CANDIDATE:
        if (ag->n_cands < SIM_MAX_CANDS)
          CHECK_EQ_INT(brtc_ice_candidate_format(&e->candidate, ag->cands[ag->n_cands++],
                                                 BRTC_ICE_CANDIDATE_LINE_MAX),
                       BRTC_OK);
        break;
      case BRTC_ICE_EVENT_GATHERING_DONE: ag->gathering_done = true; break;
      case BRTC_ICE_EVENT_ROLE: ag->role_events++; break;
      case BRTC_ICE_EVENT_CREDENTIALS: ag->cred_events++; break;
      case BRTC_ICE_EVENT_ERROR: ag->error_events++; break;
    }
  }
  CHECK(!"agent never drained");
}

void ice_sim_signal(ice_sim *s, sim_agent *from, sim_agent *to, bool candidates, bool eoc) {
  ice_sim_drain(s, from);
  const char *lines[SIM_MAX_CANDS];
  for (size_t i = 0; i < from->n_cands; i++) lines[i] = from->cands[i];
  CHECK_EQ_INT(brtc_ice_transport_set_remote_description(
                   to->t, brtc_ice_transport_local_ufrag(from->t),
                   brtc_ice_transport_local_pwd(from->t), brtc_ice_transport_is_lite(from->t),
                   lines, candidates ? from->n_cands : 0, eoc, s->now),
               BRTC_OK);
  ice_sim_drain(s, to);
}

/* One datagram off a link into the agent it was addressed to (through its NAT). */
static void deliver(ice_sim *s, sim_agent *to, const uint8_t *buf, size_t len) {
  brtc_addr from, dst;
  memcpy(&from, buf, sizeof(from));
  memcpy(&dst, buf + sizeof(from), sizeof(dst));
  if (to->nat) {
    bool mapped = false;
    for (size_t i = 0; i < to->n_addrs; i++)
      if (brtc_addr_equal(&to->nat_outside[i], &dst)) {
        dst = to->addrs[i];
        mapped = true;
      }
    if (!mapped) { /* a NAT drops what no mapping knows */
      to->dropped_no_host++;
      return;
    }
  } else {
    bool ours = false;
    for (size_t i = 0; i < to->n_addrs; i++) ours |= brtc_addr_equal(&to->addrs[i], &dst);
    if (!ours) {
      to->dropped_no_host++;
      return;
    }
  }
  brtc_stun_msg m;
  const uint8_t *p = buf + ENVELOPE;
  size_t n = len - ENVELOPE;
  if (brtc_stun_parse(p, n, &m) != BRTC_OK) return;
  brtc_ice_transport_handle_stun(to->t, &dst, &from, p, n, &m, s->now); /* parsed once, here */
  ice_sim_drain(s, to);
}

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

void ice_sim_run(ice_sim *s, uint64_t until, bool (*stop)(ice_sim *s)) {
  uint8_t buf[BRTC_ICE_MAX_DATAGRAM + ENVELOPE];
  ice_sim_drain(s, &s->a);
  ice_sim_drain(s, &s->b);
  for (int guard = 0; guard < 1000000; guard++) {
    if (stop && stop(s)) return;
    uint64_t next = until;
    next = min_u64(next, brtc_ice_transport_next_deadline(s->a.t));
    next = min_u64(next, brtc_ice_transport_next_deadline(s->b.t));
    next = min_u64(next, sim_link_next_deadline(s->link[0]));
    next = min_u64(next, sim_link_next_deadline(s->link[1]));
    CHECK(next >= s->now);
    if (next > s->now) s->now = next;
    size_t len;
    for (int d = 0; d < 2; d++)
      while (sim_link_receive(s->link[d], s->now, buf, sizeof(buf), &len) == BRTC_OK)
        deliver(s, d == 0 ? &s->b : &s->a, buf, len);
    sim_agent *both[2] = {&s->a, &s->b};
    for (int i = 0; i < 2; i++)
      if (brtc_ice_transport_next_deadline(both[i]->t) <= s->now) {
        brtc_ice_transport_handle_timeout(both[i]->t, s->now);
        ice_sim_drain(s, both[i]);
      }
    if (s->now >= until) return;
  }
  CHECK(!"simulation did not end");
}

static bool connected(const sim_agent *ag) {
  brtc_ice_conn_state st = brtc_ice_transport_get_state(ag->t);
  return st == BRTC_ICE_CONN_CONNECTED || st == BRTC_ICE_CONN_COMPLETED;
}

bool ice_sim_both_connected(ice_sim *s) { return connected(&s->a) && connected(&s->b); }
