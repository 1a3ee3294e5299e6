/* The checklist: candidate pairs, their priorities and states, and which to check next
 * (RFC 8445 6.1.2, 6.1.4.2, 7.2.5.3.3; RFC 8838 for pairs that trickle in late). */
#include <string.h>

#include "boltrtc/error.h"
#include "ice/ice_internal.h"

static bool is_link_local6(const brtc_addr *a) {
  return brtc_addr_family(a) == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&a->u.v6.sin6_addr);
}

/* RFC 8445 6.1.2.2 and 6.1.2.4: a local candidate pairs with a remote one of its family;
 * link-local IPv6 only with link-local. A server-reflexive local candidate is replaced by
 * its base, which is paired already, and a peer-reflexive one is never paired by itself:
 * only host and relayed candidates make checklist pairs. */
static bool can_pair(const ice_local *l, const ice_remote *r) {
  if (l->type != BRTC_ICE_CAND_HOST && l->type != BRTC_ICE_CAND_RELAY) return false;
  if (l->retired) return false;
  if (brtc_addr_family(&l->addr) != brtc_addr_family(&r->addr)) return false;
  return is_link_local6(&l->addr) == is_link_local6(&r->addr);
}

static uint64_t priority_of(const brtc_ice_transport *t, int l, int r) {
  uint32_t lp = t->locals[l].priority, rp = t->remotes[r].priority;
  return t->controlling ? brtc_ice_pair_priority(lp, rp) : brtc_ice_pair_priority(rp, lp);
}

static bool same_foundation(const brtc_ice_transport *t, const ice_pair *a, const ice_pair *b) {
  if (a->local < 0 || a->remote < 0 || b->local < 0 || b->remote < 0) return false;
  return strcmp(t->locals[a->local].foundation, t->locals[b->local].foundation) == 0 &&
         strcmp(t->remotes[a->remote].foundation, t->remotes[b->remote].foundation) == 0;
}

int ice_find_local(const brtc_ice_transport *t, const brtc_addr *addr, bool by_base) {
  for (size_t i = 0; i < t->n_locals; i++) {
    const ice_local *l = &t->locals[i];
    if (by_base) {
      if ((l->type == BRTC_ICE_CAND_HOST || l->type == BRTC_ICE_CAND_RELAY) &&
          brtc_addr_equal(&l->base, addr))
        return (int)i;
    } else if (brtc_addr_equal(&l->addr, addr)) {
      return (int)i;
    }
  }
  return ICE_NO_INDEX;
}

int ice_find_remote(const brtc_ice_transport *t, const brtc_addr *addr) {
  for (size_t i = 0; i < t->n_remotes; i++)
    if (brtc_addr_equal(&t->remotes[i].addr, addr)) return (int)i;
  return ICE_NO_INDEX;
}

int ice_find_pair(const brtc_ice_transport *t, int l, int r) {
  for (size_t i = 0; i < t->n_pairs; i++) {
    const ice_pair *p = &t->pairs[i];
    if (p->in_use && p->local == l && p->remote == r) return (int)i;
  }
  return ICE_NO_INDEX;
}

/* RFC 8445 6.1.2.6 and RFC 8838 11: the first pair of a foundation, or one whose foundation
 * already succeeded, is Waiting; otherwise it is Frozen, except that of two pairs of a
 * foundation not yet checked the one with the higher priority waits. */
static brtc_ice_pair_state initial_state(brtc_ice_transport *t, int i) {
  ice_pair *p = &t->pairs[i];
  bool busy = false;
  int lower_waiting = ICE_NO_INDEX;
  for (size_t k = 0; k < t->n_pairs; k++) {
    ice_pair *q = &t->pairs[k];
    if ((int)k == i || !q->in_use || !q->in_checklist || !same_foundation(t, p, q)) continue;
    if (q->state == BRTC_ICE_PAIR_SUCCEEDED) return BRTC_ICE_PAIR_WAITING;
    if (q->state == BRTC_ICE_PAIR_IN_PROGRESS) busy = true;
    if (q->state == BRTC_ICE_PAIR_WAITING) {
      if (q->priority > p->priority || q->triggered) busy = true;
      else lower_waiting = (int)k;
    }
  }
  if (busy) return BRTC_ICE_PAIR_FROZEN;
  if (lower_waiting >= 0) t->pairs[lower_waiting].state = BRTC_ICE_PAIR_FROZEN;
  return BRTC_ICE_PAIR_WAITING;
}

/* A checklist pair that may give way to a better one when the table is full: not yet
 * checked, not valid, not in any queue; the lowest priority such, or -1. */
static int weakest_removable(const brtc_ice_transport *t) {
  int worst = ICE_NO_INDEX;
  for (size_t i = 0; i < t->n_pairs; i++) {
    const ice_pair *p = &t->pairs[i];
    if (!p->in_use || !p->in_checklist || p->valid || p->triggered || p->authenticated) continue;
    if (p->state != BRTC_ICE_PAIR_FROZEN && p->state != BRTC_ICE_PAIR_WAITING &&
        p->state != BRTC_ICE_PAIR_FAILED)
      continue;
    if (worst < 0 || p->priority < t->pairs[worst].priority) worst = (int)i;
  }
  return worst;
}

void ice_remove_pair(brtc_ice_transport *t, int i) {
  ice_cancel_pair_txns(t, i);
  if (t->pairs[i].triggered) { /* take it out of the queue, keeping the order */
    size_t kept = 0;
    for (size_t k = 0; k < t->trig_count; k++) {
      int16_t v = t->trig[(t->trig_head + k) % t->max_pairs];
      if (v != i) t->trig[(t->trig_head + kept++) % t->max_pairs] = v;
    }
    t->trig_count = kept;
  }
  for (size_t k = 0; k < t->n_pairs; k++) {
    if (t->pairs[k].valid_pair == i) t->pairs[k].valid_pair = ICE_NO_INDEX;
    if (t->pairs[k].checked_by == i) t->pairs[k].checked_by = ICE_NO_INDEX;
  }
  if (t->nominating == i) t->nominating = ICE_NO_INDEX;
  memset(&t->pairs[i], 0, sizeof(t->pairs[i]));
}

int ice_add_pair(brtc_ice_transport *t, int l, int r, bool in_checklist) {
  if (l < 0 || r < 0) return ICE_NO_INDEX;
  int existing = ice_find_pair(t, l, r);
  if (existing >= 0) return existing;
  uint64_t priority = priority_of(t, l, r);
  int slot = ICE_NO_INDEX;
  for (size_t i = 0; i < t->n_pairs && slot < 0; i++)
    if (!t->pairs[i].in_use) slot = (int)i;
  if (slot < 0 && t->n_pairs < t->max_pairs) slot = (int)t->n_pairs++;
  if (slot < 0) { /* RFC 8445 6.1.2.5: keep the highest-priority pairs */
    int worst = weakest_removable(t);
    if (worst < 0 || t->pairs[worst].priority >= priority) {
      t->stats.over_limit++;
      ice_error(t, ICE_ERR_PAIRS_FULL, BRTC_ERR_LIMIT, "ICE: candidate pair table full");
      return ICE_NO_INDEX;
    }
    ice_remove_pair(t, worst);
    slot = worst;
  }
  ice_pair *p = &t->pairs[slot];
  memset(p, 0, sizeof(*p));
  p->in_use = true;
  p->in_checklist = in_checklist;
  p->local = (int16_t)l;
  p->remote = (int16_t)r;
  p->base = t->locals[l].base;
  p->socket = t->locals[l].socket;
  p->remote_addr = t->remotes[r].addr;
  p->priority = priority;
  p->valid_pair = ICE_NO_INDEX;
  p->checked_by = ICE_NO_INDEX;
  p->txn = ICE_NO_INDEX;
  p->state = in_checklist ? initial_state(t, slot) : BRTC_ICE_PAIR_SUCCEEDED;
  return slot;
}

void ice_pair_remote(brtc_ice_transport *t, int r) {
  for (size_t l = 0; l < t->n_locals; l++)
    if (can_pair(&t->locals[l], &t->remotes[r])) ice_add_pair(t, (int)l, r, true);
}

void ice_pair_local(brtc_ice_transport *t, int l) {
  for (size_t r = 0; r < t->n_remotes; r++)
    if (can_pair(&t->locals[l], &t->remotes[r])) ice_add_pair(t, l, (int)r, true);
}

void ice_recompute_priorities(brtc_ice_transport *t) {
  for (size_t i = 0; i < t->n_pairs; i++) {
    ice_pair *p = &t->pairs[i];
    if (p->in_use && p->local >= 0 && p->remote >= 0) p->priority = priority_of(t, p->local, p->remote);
  }
}

void ice_unfreeze_foundation(brtc_ice_transport *t, int i) {
  for (size_t k = 0; k < t->n_pairs; k++) {
    ice_pair *q = &t->pairs[k];
    if (q->in_use && q->in_checklist && q->state == BRTC_ICE_PAIR_FROZEN &&
        same_foundation(t, &t->pairs[i], q))
      q->state = BRTC_ICE_PAIR_WAITING;
  }
}

void ice_trigger(brtc_ice_transport *t, int i) {
  ice_pair *p = &t->pairs[i];
  if (p->state != BRTC_ICE_PAIR_SUCCEEDED) p->state = BRTC_ICE_PAIR_WAITING;
  if (p->triggered) return;
  p->triggered = true;
  t->trig[(t->trig_head + t->trig_count) % t->max_pairs] = (int16_t)i;
  t->trig_count++;
}

/* RFC 8445 6.1.4.2: with nothing Waiting, the highest-priority Frozen pair whose foundation
 * has no pair Waiting or In-Progress starts. */
static int unfreezable(const brtc_ice_transport *t) {
  int best = ICE_NO_INDEX;
  for (size_t i = 0; i < t->n_pairs; i++) {
    const ice_pair *p = &t->pairs[i];
    if (!p->in_use || !p->in_checklist || p->state != BRTC_ICE_PAIR_FROZEN) continue;
    bool blocked = false;
    for (size_t k = 0; k < t->n_pairs && !blocked; k++) {
      const ice_pair *q = &t->pairs[k];
      blocked = q->in_use && q->in_checklist && k != i &&
                (q->state == BRTC_ICE_PAIR_WAITING || q->state == BRTC_ICE_PAIR_IN_PROGRESS) &&
                same_foundation(t, p, q);
    }
    if (!blocked && (best < 0 || p->priority > t->pairs[best].priority)) best = (int)i;
  }
  return best;
}

static int best_waiting(const brtc_ice_transport *t) {
  int best = ICE_NO_INDEX;
  for (size_t i = 0; i < t->n_pairs; i++) {
    const ice_pair *p = &t->pairs[i];
    if (p->in_use && p->in_checklist && p->state == BRTC_ICE_PAIR_WAITING &&
        (best < 0 || p->priority > t->pairs[best].priority))
      best = (int)i;
  }
  return best;
}

bool ice_has_check(const brtc_ice_transport *t) {
  for (size_t k = 0; k < t->trig_count; k++) {
    const ice_pair *p = &t->pairs[t->trig[(t->trig_head + k) % t->max_pairs]];
    if (p->in_use && p->triggered && p->state != BRTC_ICE_PAIR_SUCCEEDED) return true;
  }
  return !t->checks_stopped && (best_waiting(t) >= 0 || unfreezable(t) >= 0);
}

int ice_next_check(brtc_ice_transport *t) {
  while (t->trig_count > 0) {
    int i = t->trig[t->trig_head];
    t->trig_head = (t->trig_head + 1) % t->max_pairs;
    t->trig_count--;
    ice_pair *p = &t->pairs[i];
    if (!p->in_use || !p->triggered) continue;
    p->triggered = false;
    /* Answered meanwhile (a cancelled check's answer still counts): nothing to learn. */
    if (p->state == BRTC_ICE_PAIR_SUCCEEDED) continue;
    return i;
  }
  if (t->checks_stopped) return ICE_NO_INDEX; /* RFC 8445 8.1.2: a pair is selected */
  int best = best_waiting(t);
  if (best < 0 && (best = unfreezable(t)) >= 0) t->pairs[best].state = BRTC_ICE_PAIR_WAITING;
  return best;
}

size_t ice_count_active(const brtc_ice_transport *t) {
  size_t n = 0;
  for (size_t i = 0; i < t->n_pairs; i++) {
    const ice_pair *p = &t->pairs[i];
    n += p->in_use && p->in_checklist &&
         (p->state == BRTC_ICE_PAIR_WAITING || p->state == BRTC_ICE_PAIR_IN_PROGRESS);
  }
  return n;
}

bool ice_all_failed(const brtc_ice_transport *t) {
  size_t n = 0;
  for (size_t i = 0; i < t->n_pairs; i++) {
    const ice_pair *p = &t->pairs[i];
    if (!p->in_use || !p->in_checklist) continue;
    if (p->state != BRTC_ICE_PAIR_FAILED || p->valid) return false;
    n++;
  }
  return n > 0 && t->trig_count == 0;
}

int ice_best_valid(const brtc_ice_transport *t) {
  int best = ICE_NO_INDEX;
  for (size_t i = 0; i < t->n_pairs; i++) {
    const ice_pair *p = &t->pairs[i];
    if (p->in_use && p->valid && (best < 0 || p->priority > t->pairs[best].priority)) best = (int)i;
  }
  return best;
}

bool ice_better_pending(const brtc_ice_transport *t, uint64_t priority) {
  for (size_t i = 0; i < t->n_pairs; i++) {
    const ice_pair *p = &t->pairs[i];
    if (p->in_use && p->in_checklist && p->priority > priority &&
        (p->state == BRTC_ICE_PAIR_FROZEN || p->state == BRTC_ICE_PAIR_WAITING ||
         p->state == BRTC_ICE_PAIR_IN_PROGRESS))
      return true;
  }
  return false;
}
