/* STUN in and out of the ICE agent: answering checks (RFC 8445 7.3), sending them paced at
 * Ta (6.1.4.2, 14.2), retransmitting them (RFC 8489 6.2.1; RFC 8445 14.3), what their answers
 * teach (7.2.5), triggered checks (7.3.1.4), role conflicts (7.2.5.1, 7.3.1.1), nomination
 * (8.1) and consent freshness on the selected pair (RFC 7675). */
#include <string.h>

#include "boltrtc/error.h"
#include "ice/ice_internal.h"
#include "ice/ice_message.h"

#define STUN_CLASS_MASK 0x0110
#define STUN_CLASS_REQUEST 0x0000
#define STUN_CLASS_INDICATION 0x0010
#define STUN_CLASS_SUCCESS 0x0100
#define STUN_CLASS_ERROR 0x0110
#define STUN_METHOD_BINDING 0x0001

/* ---- transactions ---- */

static int txn_alloc(brtc_ice_transport *t) {
  int oldest = ICE_NO_INDEX;
  for (int i = 0; i < (int)t->max_txns; i++) {
    if (!t->txns[i].in_use) return i;
    /* A cancelled check only waits for a late answer: the first to give way. */
    if (!t->txns[i].retransmit &&
        (oldest < 0 || t->txns[i].first_sent_us < t->txns[oldest].first_sent_us))
      oldest = i;
  }
  if (oldest >= 0) {
    ice_txn *x = &t->txns[oldest];
    if (x->kind == ICE_TXN_CHECK && x->pair >= 0 && t->pairs[x->pair].txn == oldest)
      t->pairs[x->pair].txn = ICE_NO_INDEX;
    x->in_use = false;
  }
  return oldest;
}

static void txn_free(brtc_ice_transport *t, int i) {
  ice_txn *x = &t->txns[i];
  if (x->kind == ICE_TXN_CHECK && x->pair >= 0 && t->pairs[x->pair].in_use &&
      t->pairs[x->pair].txn == i)
    t->pairs[x->pair].txn = ICE_NO_INDEX;
  memset(x, 0, sizeof(*x));
}

/* RFC 8445 7.3.1.4: a cancelled check is not sent again and its silence is no failure, but
 * its answer still counts while the transaction would have lasted. */
static void txn_cancel(brtc_ice_transport *t, int i) {
  ice_txn *x = &t->txns[i];
  if (!x->retransmit) return;
  x->retransmit = false;
  x->send_pending = false;
  uint64_t until = t->now_us + ICE_RM * x->rto0_us;
  if (x->next_us < until) x->next_us = until;
}

void ice_cancel_pair_txns(brtc_ice_transport *t, int pair) {
  for (int i = 0; i < (int)t->max_txns; i++)
    if (t->txns[i].in_use && t->txns[i].kind == ICE_TXN_CHECK && t->txns[i].pair == pair)
      txn_free(t, i);
}

void ice_cancel_checks(brtc_ice_transport *t) {
  for (int i = 0; i < (int)t->max_txns; i++)
    if (t->txns[i].in_use && t->txns[i].kind == ICE_TXN_CHECK) txn_free(t, i);
}

static int find_txn(const brtc_ice_transport *t, const uint8_t tid[12]) {
  for (int i = 0; i < (int)t->max_txns; i++)
    if (t->txns[i].in_use && memcmp(t->txns[i].tid, tid, 12) == 0) return i;
  return ICE_NO_INDEX;
}

/* First transmission: the next one RTO later, then the interval doubles; after the last of
 * Rc, the transaction waits Rm times the first RTO (RFC 8489 6.2.1). */
static void txn_first_send(brtc_ice_transport *t, ice_txn *x, uint64_t rto) {
  x->in_use = true;
  ice_random(t, x->tid, sizeof(x->tid));
  x->retransmit = true;
  x->send_pending = true;
  x->sent = 1;
  x->first_sent_us = t->now_us;
  x->rto0_us = rto;
  x->interval_us = rto;
  x->next_us = t->now_us + (t->cfg.max_transmissions <= 1 ? ICE_RM * rto : rto);
}

/* RFC 8445 14.3: RTO = MAX(500 ms, Ta * (Waiting + In-Progress pairs)). */
static uint64_t check_rto(const brtc_ice_transport *t) {
  uint64_t rto = t->cfg.ta_us * ice_count_active(t);
  return rto > t->cfg.min_rto_us ? rto : t->cfg.min_rto_us;
}

static int start_check(brtc_ice_transport *t, int pair, bool use_candidate) {
  int i = txn_alloc(t);
  if (i < 0) {
    t->stats.over_limit++;
    ice_error(t, ICE_ERR_TXNS_FULL, BRTC_ERR_LIMIT, "ICE: too many checks outstanding");
    return BRTC_ERR_LIMIT;
  }
  ice_pair *p = &t->pairs[pair];
  if (p->txn >= 0) txn_cancel(t, p->txn);
  if (p->state != BRTC_ICE_PAIR_SUCCEEDED) p->state = BRTC_ICE_PAIR_IN_PROGRESS;
  ice_txn *x = &t->txns[i];
  memset(x, 0, sizeof(*x));
  x->kind = ICE_TXN_CHECK;
  x->pair = (int16_t)pair;
  x->use_candidate = use_candidate;
  x->controlling = t->controlling;
  x->priority = ice_check_priority(t, p->local);
  x->base = p->base;
  x->remote = p->remote_addr;
  x->socket = p->socket;
  txn_first_send(t, x, check_rto(t));
  p->txn = (int16_t)i;
  p->requests_sent++;
  t->stats.checks_sent++;
  return BRTC_OK;
}

static void pair_failed(brtc_ice_transport *t, int pair) {
  ice_pair *p = &t->pairs[pair];
  p->state = BRTC_ICE_PAIR_FAILED;
  /* A nomination that failed leaves its path out of the running (RFC 8445 8.1.1). */
  if (t->nominating == pair) {
    t->nominating = ICE_NO_INDEX;
    if (p->valid_pair >= 0) t->pairs[p->valid_pair].valid = false;
    p->valid = false;
  }
  t->stats.pairs_failed++;
}

static void txn_timer(brtc_ice_transport *t, int i) {
  ice_txn *x = &t->txns[i];
  uint64_t at = x->next_us;
  if (x->retransmit && x->sent < t->cfg.max_transmissions) {
    x->sent++;
    x->send_pending = true;
    x->interval_us *= 2;
    x->next_us = at + (x->sent == t->cfg.max_transmissions ? ICE_RM * x->rto0_us : x->interval_us);
    t->stats.retransmissions++;
    if (x->kind == ICE_TXN_CHECK) t->pairs[x->pair].requests_sent++;
    return;
  }
  /* It timed out: a check that was still its pair's own fails the pair (RFC 8445 7.2.5.2.3
   * via RFC 8489 6.2.1); a cancelled one or a consent check just ends (consent is judged by
   * how long ago the last answer came). */
  if (x->kind == ICE_TXN_CHECK && x->retransmit && t->pairs[x->pair].in_use &&
      t->pairs[x->pair].txn == i)
    pair_failed(t, x->pair);
  txn_free(t, i);
}

/* ---- answers we send ---- */

static void queue_response(brtc_ice_transport *t, const brtc_stun_msg *m, const brtc_addr *local,
                           const brtc_addr *remote, uint16_t code, bool sign, bool previous) {
  if (t->resp_count == ICE_MAX_RESPONSES) { /* the owner did not drain: the newest matters more */
    t->resp_head = (t->resp_head + 1) % ICE_MAX_RESPONSES;
    t->resp_count--;
    t->stats.responses_queue_dropped++;
  }
  ice_response *r = &t->responses[(t->resp_head + t->resp_count++) % ICE_MAX_RESPONSES];
  memset(r, 0, sizeof(*r));
  memcpy(r->tid, m->transaction_id, 12);
  r->to = *remote;
  r->from = *local;
  int l = ice_find_local(t, local, true);
  r->socket = l >= 0 ? t->locals[l].socket : 0;
  r->code = code;
  r->sign = sign;
  r->previous = previous;
  if (code == 420) {
    size_t n = m->n_unknown_required < 8 ? m->n_unknown_required : 8;
    for (size_t i = 0; i < n; i++) r->unknown[i] = m->unknown_required[i];
    r->n_unknown = (uint8_t)n;
  }
  if (code) t->stats.errors_sent++;
}

/* ---- selection ---- */

static bool path_is(const brtc_ice_transport *t, const brtc_addr *base, const brtc_addr *remote) {
  return t->path.active && brtc_addr_equal(&t->path.info.base, base) &&
         brtc_addr_equal(&t->path.info.remote, remote);
}

/* The pair media goes on now: nominated by the controlling agent (RFC 8445 8.1.2, 8.2). */
static void select_pair(brtc_ice_transport *t, int i) {
  if (t->consent_lapsed) return; /* RFC 7675 5.1: only a restart sends again */
  t->failed = false; /* checks that all failed, and then one that did not */
  ice_pair *p = &t->pairs[i];
  bool same = path_is(t, &p->base, &p->remote_addr) && !t->path.previous;
  p->nominated = true;
  ice_pair_info(t, p, &t->path.info);
  t->path.active = true;
  t->path.previous = false;
  t->path.check_priority = ice_check_priority(t, p->local);
  t->path.last_consent_us = t->path.last_rx_us = t->now_us;
  t->path.unanswered_since_us = 0;
  if (!same) {
    t->path.next_consent_us =
        t->now_us + ice_random_between(t, t->cfg.consent_interval_us * 8 / 10,
                                       t->cfg.consent_interval_us * 12 / 10);
    t->path_serial++;
  }
  /* The generation before a restart is over: its consent checks and credentials go. */
  if (t->have_prev) {
    for (int k = 0; k < (int)t->max_txns; k++)
      if (t->txns[k].in_use && t->txns[k].previous) txn_free(t, k);
    t->have_prev = false;
  }
  if (!t->cfg.lite) t->checks_stopped = true;
  if (!t->stats.connected_at_us) t->stats.connected_at_us = t->now_us;
}

/* ---- checks that come in ---- */

/* RFC 8445 7.3.1.1; returns true when the answer is 487. */
static bool role_conflict(brtc_ice_transport *t, const brtc_stun_msg *m) {
  if (t->controlling && m->has_ice_controlling) {
    if (t->tie_breaker >= m->ice_controlling) return true;
    ice_switch_role(t, false);
  } else if (!t->controlling && m->has_ice_controlled) {
    /* A lite agent never controls (RFC 8445 6.1.1): the full peer must. */
    if (t->cfg.lite || t->tie_breaker < m->ice_controlled) return true;
    ice_switch_role(t, true);
  }
  return false;
}

/* A lite agent's record of who checked: a pair per (base, source), no checks of its own. */
static int lite_pair(brtc_ice_transport *t, const brtc_addr *local, const brtc_addr *remote) {
  int free_slot = ICE_NO_INDEX, stale = ICE_NO_INDEX;
  for (size_t i = 0; i < t->n_pairs; i++) {
    ice_pair *p = &t->pairs[i];
    if (!p->in_use) {
      if (free_slot < 0) free_slot = (int)i;
      continue;
    }
    if (brtc_addr_equal(&p->remote_addr, remote) && brtc_addr_equal(&p->base, local)) return (int)i;
    /* Full of live pairs we refuse; one quiet for a consent timeout may be reused. */
    if (stale < 0 && !path_is(t, &p->base, &p->remote_addr) &&
        t->now_us - p->last_rx_us >= t->cfg.consent_timeout_us)
      stale = (int)i;
  }
  if (free_slot < 0 && t->n_pairs < t->max_pairs) free_slot = (int)t->n_pairs++;
  if (free_slot < 0) free_slot = stale;
  if (free_slot < 0) return ICE_NO_INDEX;
  ice_pair *p = &t->pairs[free_slot];
  memset(p, 0, sizeof(*p));
  p->in_use = true;
  p->local = (int16_t)ice_find_local(t, local, true);
  p->remote = ICE_NO_INDEX;
  p->base = *local;
  p->socket = p->local >= 0 ? t->locals[p->local].socket : 0;
  p->remote_addr = *remote;
  p->state = BRTC_ICE_PAIR_SUCCEEDED;
  p->valid = true;
  p->valid_pair = p->checked_by = p->txn = ICE_NO_INDEX;
  return free_slot;
}

static int lite_request(brtc_ice_transport *t, const brtc_addr *local, const brtc_addr *remote,
                        const brtc_stun_msg *m) {
  int i = lite_pair(t, local, remote);
  if (i < 0) return ICE_NO_INDEX;
  ice_pair *p = &t->pairs[i];
  if (m->has_priority) p->priority = m->priority;
  p->authenticated = true;
  p->last_rx_us = t->now_us;
  p->requests_received++;
  if (path_is(t, local, remote) && !t->path.previous)
    t->path.last_consent_us = t->path.last_rx_us = t->now_us;
  /* Only the controlling side nominates; the latest nomination wins, which follows a peer
   * that moves to another path. */
  if (m->use_candidate && !t->controlling) select_pair(t, i);
  return i;
}

static int full_request(brtc_ice_transport *t, const brtc_addr *local, const brtc_addr *remote,
                        const brtc_stun_msg *m) {
  int l = ice_find_local(t, local, true);
  if (l < 0) return ICE_NO_INDEX; /* not one of our bases: answered, nothing to pair */
  int r = ice_find_remote(t, remote);
  if (r < 0) {
    /* RFC 8445 7.3.1.3: a source we were not told of is a peer-reflexive candidate. */
    uint32_t prio = m->has_priority ? m->priority : brtc_ice_priority(BRTC_ICE_CAND_PRFLX, 0, 1);
    r = ice_add_remote_prflx(t, remote, prio);
    if (r < 0) return ICE_NO_INDEX;
  }
  int i = ice_find_pair(t, l, r);
  if (i < 0) i = ice_add_pair(t, l, r, true);
  if (i < 0) return ICE_NO_INDEX;
  ice_pair *p = &t->pairs[i];
  p->authenticated = true;
  p->last_rx_us = t->now_us;
  p->requests_received++;
  if (path_is(t, local, remote) && !t->path.previous) t->path.last_rx_us = t->now_us;

  /* RFC 8445 7.3.1.4 triggered checks: what makes a full agent connect within a round trip
   * of the peer's first check instead of at its own next turn. */
  switch (p->state) {
    case BRTC_ICE_PAIR_SUCCEEDED:
      /* RFC 8445 7.3.1.4 does nothing more here. But the peer's first check on a pair our own
       * check already validated shows it has only now got our credentials: our check reached
       * it before its own had succeeded, and a controlling agent that nominates when a check
       * comes on a pair it has validated (Pion; else it waits for its next 200 ms tick)
       * learns nothing from it. One more check, once per pair, at once, while nothing is
       * selected: docs/benchmarks.md, "Publishers' time to connected". */
      if (!t->controlling && !t->checks_stopped && p->requests_received == 1 && p->txn < 0 &&
          p->in_checklist)
        (void)start_check(t, i, false);
      break;
    case BRTC_ICE_PAIR_IN_PROGRESS:
      /* Our check has not left yet (the owner has not drained): it is the triggered check. */
      if (p->txn >= 0 && t->txns[p->txn].send_pending && t->txns[p->txn].sent == 1) break;
      if (p->txn >= 0) txn_cancel(t, p->txn);
      p->txn = ICE_NO_INDEX;
      ice_trigger(t, i);
      t->trigger_now = true;
      break;
    default:
      ice_trigger(t, i);
      t->trigger_now = true;
      break;
  }
  /* RFC 8445 7.3.1.5: the controlled side selects a nominated pair once it is valid. */
  if (m->use_candidate && !t->controlling) {
    p->remote_nominated = true;
    if (p->state == BRTC_ICE_PAIR_SUCCEEDED && p->valid_pair >= 0) select_pair(t, p->valid_pair);
  }
  return i;
}

static brtc_ice_verdict on_request(brtc_ice_transport *t, const brtc_addr *local,
                                   const brtc_addr *remote, const uint8_t *buf, size_t len,
                                   const brtc_stun_msg *m) {
  /* Short-term credentials (RFC 8489 9.1.3): 400 without them, 401 when they are wrong, and
   * neither answer signed. */
  if (!m->username || !m->has_integrity) {
    queue_response(t, m, local, remote, 400, false, false);
    return BRTC_ICE_BAD_REQUEST;
  }
  bool previous = false;
  const ice_creds *c = &t->cur;
  if (!ice_msg_username_matches(m, c->local_ufrag, c->have_remote ? c->remote_ufrag : NULL)) {
    /* After a restart the pair media is on keeps answering with the old credentials. */
    if (!t->have_prev || !t->path.active || !t->path.previous ||
        !ice_msg_username_matches(m, t->prev.local_ufrag, t->prev.remote_ufrag) ||
        !path_is(t, local, remote)) {
      queue_response(t, m, local, remote, 401, false, false);
      return BRTC_ICE_AUTH_FAILED;
    }
    previous = true;
    c = &t->prev;
  }
  brtc_stun_key *key = ice_key(t, previous, false);
  if (!key || brtc_stun_check_integrity_keyed(buf, len, m, key) != BRTC_OK) {
    queue_response(t, m, local, remote, 401, false, false);
    return BRTC_ICE_AUTH_FAILED;
  }
  if (m->n_unknown_required > 0) {
    queue_response(t, m, local, remote, 420, true, previous);
    return BRTC_ICE_BAD_REQUEST;
  }
  if (role_conflict(t, m)) {
    t->stats.role_conflicts++;
    queue_response(t, m, local, remote, 487, true, previous);
    return BRTC_ICE_ROLE_CONFLICT;
  }
  t->stats.requests_received++;
  if (previous) {
    t->path.last_rx_us = t->now_us;
    if (t->cfg.lite) t->path.last_consent_us = t->now_us;
  } else {
    int i = t->cfg.lite ? lite_request(t, local, remote, m) : full_request(t, local, remote, m);
    if (i < 0 && (t->cfg.lite || ice_find_local(t, local, true) >= 0)) {
      /* No room to remember it: not answered, so the peer does not count on a pair we do
       * not have. */
      t->stats.over_limit++;
      ice_error(t, ICE_ERR_PAIRS_FULL, BRTC_ERR_LIMIT, "ICE: no room for another pair");
      return BRTC_ICE_OVER_LIMIT;
    }
    if (i >= 0) t->pairs[i].responses_sent++;
    if (!t->any_request) {
      t->any_request = true;
      if (!t->stats.checking_since_us) t->stats.checking_since_us = t->now_us;
    }
  }
  queue_response(t, m, local, remote, 0, true, previous);
  return BRTC_ICE_HANDLED;
}

/* ---- answers that come back ---- */

static void check_succeeded(brtc_ice_transport *t, int xi, const brtc_addr *mapped) {
  ice_txn *x = &t->txns[xi];
  int pair = x->pair;
  ice_pair *p = &t->pairs[pair];
  if (x->sent == 1) p->rtt_us = t->now_us - x->first_sent_us; /* Karn: no retransmission */
  /* Marked first: a full table then never gives this pair's slot away below. */
  p->state = BRTC_ICE_PAIR_SUCCEEDED;
  p->authenticated = true;
  p->last_rx_us = t->now_us;
  /* RFC 8445 7.2.5.3.1: a mapped address that is none of ours is a new local
   * peer-reflexive candidate (a NAT between us and the peer). */
  int lm = ice_find_local(t, mapped, false);
  if (lm < 0 && p->local >= 0) lm = ice_add_local_prflx(t, mapped, p->local, x->priority);
  if (lm < 0) lm = p->local;
  /* 7.2.5.3.2: the valid pair pairs the candidate the peer saw with the remote one. */
  int v = pair;
  if (lm != p->local && p->remote >= 0) {
    v = ice_find_pair(t, lm, p->remote);
    if (v < 0) v = ice_add_pair(t, lm, p->remote, false);
    if (v < 0) v = pair;
  }
  p->valid_pair = (int16_t)v;
  ice_pair *vp = &t->pairs[v];
  vp->valid = true;
  vp->authenticated = true;
  vp->last_rx_us = t->now_us;
  vp->checked_by = (int16_t)pair;
  if (!t->first_valid_us) t->first_valid_us = t->now_us;
  ice_unfreeze_foundation(t, pair); /* 7.2.5.3.3 */
  if (path_is(t, &x->base, &x->remote) && !t->path.previous) t->path.last_rx_us = t->now_us;
  if (x->use_candidate && x->controlling && t->controlling) {
    t->nominating = ICE_NO_INDEX;
    select_pair(t, v); /* 8.1.2 */
  } else if (!t->controlling && p->remote_nominated) {
    select_pair(t, v); /* 7.3.1.5: the peer nominated it before our check came back */
  }
}

static bool answer_signed(brtc_ice_transport *t, const uint8_t *buf, size_t len,
                          const brtc_stun_msg *m, bool previous) {
  brtc_stun_key *key = m->has_integrity ? ice_key(t, previous, true) : NULL;
  return key && brtc_stun_check_integrity_keyed(buf, len, m, key) == BRTC_OK;
}

static void remember_answered(brtc_ice_transport *t, const ice_txn *x) {
  ice_answered *a = &t->answered[t->answered_next];
  t->answered_next = (t->answered_next + 1) % ICE_ANSWERED;
  a->in_use = true;
  a->previous = x->previous;
  memcpy(a->tid, x->tid, sizeof(a->tid));
}

/* An answer to no open transaction. When a peer answers late, our retransmissions of the
 * same check (same transaction ID, RFC 8489 6.2.1) each get an answer of their own after the
 * first one ended the transaction: a signed duplicate changes nothing and is no stranger's
 * packet. Anything else is dropped. */
static brtc_ice_verdict late_answer(brtc_ice_transport *t, const uint8_t *buf, size_t len,
                                    const brtc_stun_msg *m) {
  for (size_t i = 0; i < ICE_ANSWERED; i++) {
    const ice_answered *a = &t->answered[i];
    if (!a->in_use || memcmp(a->tid, m->transaction_id, sizeof(a->tid)) != 0) continue;
    if (!answer_signed(t, buf, len, m, a->previous)) break;
    t->stats.responses_duplicate++;
    return BRTC_ICE_HANDLED;
  }
  t->stats.responses_dropped++;
  return BRTC_ICE_IGNORED;
}

static brtc_ice_verdict on_response(brtc_ice_transport *t, const brtc_addr *local,
                                    const brtc_addr *remote, const uint8_t *buf, size_t len,
                                    const brtc_stun_msg *m) {
  int xi = find_txn(t, m->transaction_id);
  if (xi < 0) return late_answer(t, buf, len, m);
  ice_txn *x = &t->txns[xi];
  /* The answer is keyed with the peer's password (RFC 8445 7.2.5.1); an unsigned one, even
   * a 401, could come from anyone. */
  if (!answer_signed(t, buf, len, m, x->previous)) {
    t->stats.responses_dropped++;
    return BRTC_ICE_AUTH_FAILED;
  }
  t->stats.responses_received++;
  remember_answered(t, x);
  bool success = (m->type & STUN_CLASS_MASK) == STUN_CLASS_SUCCESS;
  /* RFC 8445 7.2.5.2.1: the answer must come from where the check went, to where it left. */
  if (!brtc_addr_equal(remote, &x->remote) || !brtc_addr_equal(local, &x->base)) {
    t->stats.responses_dropped++;
    ice_error(t, ICE_ERR_NOT_SYMMETRIC, BRTC_ERR_STATE,
              "ICE: an answer came from another address than the check went to");
    if (x->kind == ICE_TXN_CHECK && t->pairs[x->pair].txn == xi) pair_failed(t, x->pair);
    txn_free(t, xi);
    return BRTC_ICE_HANDLED;
  }
  if (x->kind == ICE_TXN_CONSENT) {
    if (success && path_is(t, &x->base, &x->remote) && x->previous == t->path.previous) {
      t->path.last_consent_us = t->path.last_rx_us = t->now_us;
      t->path.unanswered_since_us = 0;
      if (x->sent == 1) t->path.info.rtt_us = t->now_us - x->first_sent_us;
      t->path.info.responses_received++;
    }
    txn_free(t, xi);
    return BRTC_ICE_HANDLED;
  }
  ice_pair *p = &t->pairs[x->pair];
  p->responses_received++;
  if (!success) {
    if (m->has_error && m->error_code == 487) {
      /* RFC 8445 7.2.5.1: take the other role (unless that happened already) and check
       * again. */
      t->stats.role_conflicts++;
      if (t->controlling == x->controlling) ice_switch_role(t, !x->controlling);
      if (t->nominating == x->pair) t->nominating = ICE_NO_INDEX;
      if (p->txn == xi) p->txn = ICE_NO_INDEX;
      ice_trigger(t, x->pair);
    } else {
      /* 7.2.5.2.4: any other error is unrecoverable for this pair. */
      ice_error(t, ICE_ERR_CHECK_REJECTED, BRTC_ERR_AUTH,
                "ICE: the peer answered a check with an error");
      if (p->txn == xi || t->nominating == x->pair) pair_failed(t, x->pair);
    }
    txn_free(t, xi);
    return BRTC_ICE_HANDLED;
  }
  const brtc_addr *mapped = m->has_xor_mapped ? &m->xor_mapped : m->has_mapped ? &m->mapped : NULL;
  if (!mapped) {
    pair_failed(t, x->pair);
  } else {
    check_succeeded(t, xi, mapped);
  }
  txn_free(t, xi);
  return BRTC_ICE_HANDLED;
}

brtc_ice_verdict ice_handle_stun(brtc_ice_transport *t, const brtc_addr *local,
                                 const brtc_addr *remote, const uint8_t *buf, size_t len,
                                 const brtc_stun_msg *m) {
  uint16_t method = m->type & (uint16_t)~STUN_CLASS_MASK;
  uint16_t cls = m->type & STUN_CLASS_MASK;
  if (method != STUN_METHOD_BINDING) return BRTC_ICE_IGNORED;
  /* A FINGERPRINT that does not match: not STUN for us (RFC 8489 7.3). */
  if (m->has_fingerprint && !m->fingerprint_ok) return BRTC_ICE_IGNORED;
  if (cls == STUN_CLASS_REQUEST) return on_request(t, local, remote, buf, len, m);
  if (cls == STUN_CLASS_SUCCESS || cls == STUN_CLASS_ERROR)
    return t->cfg.lite ? BRTC_ICE_IGNORED : on_response(t, local, remote, buf, len, m);
  return BRTC_ICE_IGNORED; /* indications (keepalives) need nothing */
}

/* ---- timers ---- */

/* The controlling agent nominates the best valid pair (RFC 8445 8.1.1) as soon as no
 * better pair is still being checked, or when nomination_wait_us has passed since the first
 * valid pair. The nominating check goes out at once rather than at the next Ta: it runs on a
 * path already proven, so it opens no new NAT binding, which is what pacing protects
 * (RFC 8445 B.1); it costs the connection a round trip instead of a round trip and Ta. */
static void maybe_nominate(brtc_ice_transport *t) {
  if (!t->controlling || t->checks_stopped || t->nominating >= 0 || !t->cur.have_remote) return;
  int v = ice_best_valid(t);
  if (v < 0) return;
  if (ice_better_pending(t, t->pairs[v].priority) &&
      t->now_us < t->first_valid_us + t->cfg.nomination_wait_us)
    return;
  int c = t->pairs[v].checked_by >= 0 ? t->pairs[v].checked_by : v;
  if (start_check(t, c, true) == BRTC_OK) {
    t->nominating = (int16_t)c;
    if (t->next_check_us < t->now_us + t->cfg.ta_us) t->next_check_us = t->now_us + t->cfg.ta_us;
  }
}

/* One new check per Ta, triggered ones first (RFC 8445 6.1.4.2, 14.2). */
static void pace(brtc_ice_transport *t) {
  /* A check triggered by the peer's check goes at once rather than at the next Ta: it goes
   * where the peer's check came from, through bindings that check just used, so it opens no
   * new NAT binding, which is what pacing protects (RFC 8445 B.1; as maybe_nominate). */
  bool now = t->trigger_now && t->trig_count > 0;
  t->trigger_now = false;
  if (!t->cur.have_remote || (t->now_us < t->next_check_us && !now)) return;
  int i = ice_next_check(t);
  if (i < 0) return;
  if (start_check(t, i, false) != BRTC_OK) ice_trigger(t, i); /* try again next turn */
  t->next_check_us = t->now_us + t->cfg.ta_us;
}

/* RFC 7675: a full agent checks the selected pair every 5 s or so; 30 s without an answer
 * and consent is gone. A lite agent's consent is the peer's checks. */
static void consent(brtc_ice_transport *t) {
  ice_path *path = &t->path;
  if (!path->active) return;
  if (t->now_us - path->last_consent_us >= t->cfg.consent_timeout_us) {
    path->active = false;
    t->failed = t->consent_lapsed = true;
    for (int i = 0; i < (int)t->max_txns; i++)
      if (t->txns[i].in_use && t->txns[i].kind == ICE_TXN_CONSENT) txn_free(t, i);
    ice_error(t, ICE_ERR_CONSENT, BRTC_ERR_STATE, "ICE: consent expired (RFC 7675)");
    return;
  }
  if (t->cfg.lite || t->now_us < path->next_consent_us) return;
  int i = txn_alloc(t);
  if (i < 0) return;
  /* The previous consent check is not sent again; its answer still counts. */
  for (int k = 0; k < (int)t->max_txns; k++)
    if (k != i && t->txns[k].in_use && t->txns[k].kind == ICE_TXN_CONSENT) txn_cancel(t, k);
  ice_txn *x = &t->txns[i];
  memset(x, 0, sizeof(*x));
  x->kind = ICE_TXN_CONSENT;
  x->pair = ICE_NO_INDEX;
  x->previous = path->previous;
  x->controlling = t->controlling;
  x->priority = path->check_priority;
  x->base = path->info.base;
  x->remote = path->info.remote;
  x->socket = path->info.socket;
  txn_first_send(t, x, t->cfg.min_rto_us);
  path->info.requests_sent++;
  t->stats.consent_checks_sent++;
  if (!path->unanswered_since_us) path->unanswered_since_us = t->now_us;
  path->next_consent_us = t->now_us + ice_random_between(t, t->cfg.consent_interval_us * 8 / 10,
                                                         t->cfg.consent_interval_us * 12 / 10);
}

void ice_advance(brtc_ice_transport *t, uint64_t now_us) {
  if (now_us > t->now_us) t->now_us = now_us;
  if (t->closed) return;
  for (int i = 0; i < (int)t->max_txns; i++)
    if (t->txns[i].in_use && t->txns[i].next_us <= t->now_us) txn_timer(t, i);
  if (!t->cfg.lite) {
    maybe_nominate(t);
    pace(t);
  }
  consent(t);
  ice_update_state(t);
}

static uint64_t later_than_now(const brtc_ice_transport *t, uint64_t d) {
  return d > t->now_us ? d : t->now_us + 1000; /* never a deadline that has passed */
}

uint64_t ice_deadline(const brtc_ice_transport *t) {
  if (t->closed) return ICE_NEVER;
  uint64_t d = ICE_NEVER;
#define EARLIER(x)                       \
  do {                                   \
    uint64_t x_ = later_than_now(t, (x)); \
    if (x_ < d) d = x_;                  \
  } while (0)
  for (int i = 0; i < (int)t->max_txns; i++)
    if (t->txns[i].in_use) EARLIER(t->txns[i].next_us);
  if (!t->cfg.lite && t->cur.have_remote && ice_has_check(t)) EARLIER(t->next_check_us);
  if (!t->cfg.lite && t->controlling && !t->checks_stopped && t->nominating < 0 &&
      t->first_valid_us && ice_best_valid(t) >= 0)
    EARLIER(t->first_valid_us + t->cfg.nomination_wait_us);
  const ice_path *path = &t->path;
  if (path->active) {
    EARLIER(path->last_consent_us + t->cfg.consent_timeout_us);
    if (!t->cfg.lite) {
      EARLIER(path->next_consent_us);
      uint64_t quiet = path->unanswered_since_us + t->cfg.disconnected_after_us;
      if (path->unanswered_since_us && quiet > t->now_us) EARLIER(quiet);
    } else {
      uint64_t quiet = path->last_consent_us + t->cfg.disconnected_after_us +
                       t->cfg.consent_interval_us * 12 / 10;
      if (quiet > t->now_us) EARLIER(quiet);
    }
  }
#undef EARLIER
  return d;
}

/* ---- datagrams out ---- */

bool ice_next_datagram(brtc_ice_transport *t, uint8_t *buf, size_t cap, brtc_ice_output *out,
                       int *rc) {
  const char *sw = t->software[0] ? t->software : NULL;
  if (t->resp_count > 0) {
    ice_response *r = &t->responses[t->resp_head];
    t->resp_head = (t->resp_head + 1) % ICE_MAX_RESPONSES;
    t->resp_count--;
    brtc_stun_key *key = r->code == 0 || r->sign ? ice_key(t, r->previous, false) : NULL;
    if ((r->code == 0 || r->sign) && !key) *rc = BRTC_ERR_CRYPTO;
    else if (r->code == 0) *rc = ice_msg_build_success(r->tid, &r->to, key, sw, buf, cap, &out->len);
    else *rc = ice_msg_build_error(r->tid, r->code, r->unknown, r->n_unknown, key, sw, buf, cap,
                                   &out->len);
    if (r->code == 0) t->stats.responses_sent++;
    out->from = r->from;
    out->to = r->to;
    out->socket = r->socket;
    out->kind = BRTC_ICE_OUTPUT_TRANSMIT;
    if (*rc != BRTC_OK) *rc = BRTC_ERR_TOO_BIG;
    return true;
  }
  for (int i = 0; i < (int)t->max_txns; i++) {
    ice_txn *x = &t->txns[i];
    if (!x->in_use || !x->send_pending) continue;
    x->send_pending = false;
    const ice_creds *c = ice_creds_for(t, x->previous);
    ice_check_params p = {
        .tid = x->tid,
        .remote_ufrag = c->remote_ufrag,
        .local_ufrag = c->local_ufrag,
        .key = ice_key(t, x->previous, true),
        .priority = x->priority,
        .controlling = x->controlling,
        .tie_breaker = t->tie_breaker,
        .use_candidate = x->use_candidate,
        .software = sw,
    };
    *rc = ice_msg_build_check(&p, buf, cap, &out->len);
    if (*rc != BRTC_OK) *rc = BRTC_ERR_TOO_BIG;
    out->from = x->base;
    out->to = x->remote;
    out->socket = x->socket;
    out->kind = BRTC_ICE_OUTPUT_TRANSMIT;
    return true;
  }
  return false;
}
