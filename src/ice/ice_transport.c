/* The ICE agent's API: configuration, local and remote candidates, credentials, restart
 * (RFC 8445 9), the state (RTCIceConnectionState) and the pulled outputs. STUN handling is in
 * ice_checks.c, the checklist in ice_checklist.c. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "boltrtc/error.h"
#include "common/random.h"
#include "ice/ice_internal.h"

#define DEFAULT_UFRAG_LEN 8 /* RFC 8839 5.4: at least 4 characters */
#define DEFAULT_PWD_LEN 24  /* at least 22 */

void brtc_ice_config_init(brtc_ice_config *cfg) {
  if (!cfg) return;
  memset(cfg, 0, sizeof(*cfg));
  cfg->ta_us = 50000;
  cfg->min_rto_us = 500000;
  cfg->max_transmissions = 7;
  cfg->nomination_wait_us = 200000;
  cfg->consent_interval_us = 5000000;
  cfg->consent_timeout_us = 30000000;
  cfg->disconnected_after_us = 2500000;
}

/* ---- randomness: OpenSSL's, or a seeded xorshift64* for tests ---- */

static uint64_t next_seeded(uint64_t *s) {
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 0x2545F4914F6CDD1Dull;
}

void ice_random(brtc_ice_transport *t, void *out, size_t len) {
  if (!t->cfg.seed && brtc_random_bytes(out, len) == BRTC_OK) return;
  uint8_t *p = out;
  for (size_t i = 0; i < len; i++) p[i] = (uint8_t)(next_seeded(&t->rng) >> 56);
}

uint64_t ice_random_between(brtc_ice_transport *t, uint64_t lo, uint64_t hi) {
  uint64_t r;
  ice_random(t, &r, sizeof(r));
  return hi > lo ? lo + r % (hi - lo + 1) : lo;
}

static void random_ice_string(brtc_ice_transport *t, char *out, size_t len) {
  static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  uint8_t bytes[64];
  ice_random(t, bytes, len);
  for (size_t i = 0; i < len; i++) out[i] = set[bytes[i] % 64];
  out[len] = '\0';
}

/* ---- small helpers shared by the files ---- */

ice_creds *ice_creds_for(brtc_ice_transport *t, bool previous) {
  return previous && t->have_prev ? &t->prev : &t->cur;
}

brtc_stun_key *ice_key(brtc_ice_transport *t, bool previous, bool remote) {
  previous = previous && t->have_prev;
  const ice_creds *c = ice_creds_for(t, previous);
  const char *pwd = remote ? c->remote_pwd : c->local_pwd;
  brtc_stun_key *k = &t->keys[previous][remote];
  return brtc_stun_key_set(k, (const uint8_t *)pwd, strlen(pwd)) == BRTC_OK ? k : NULL;
}

void ice_error(brtc_ice_transport *t, unsigned kind, int code, const char *reason) {
  if (kind < 32) {
    if (t->errors_said & (1u << kind)) return;
    t->errors_said |= 1u << kind;
  }
  if (t->err_count == ICE_MAX_ERRORS) return;
  size_t i = (t->err_head + t->err_count++) % ICE_MAX_ERRORS;
  t->errors[i].code = code;
  t->errors[i].reason = reason;
}

uint32_t ice_check_priority(const brtc_ice_transport *t, int l) {
  uint16_t pref = l >= 0 ? t->locals[l].local_pref : 0;
  return brtc_ice_priority(BRTC_ICE_CAND_PRFLX, pref, 1);
}

void ice_switch_role(brtc_ice_transport *t, bool controlling) {
  if (t->controlling == controlling) return;
  t->controlling = controlling;
  t->role_changed = true;
  ice_recompute_priorities(t); /* 6.1.2.3: G and D swap */
}

void ice_pair_info(const brtc_ice_transport *t, const ice_pair *p, brtc_ice_pair_info *out) {
  memset(out, 0, sizeof(*out));
  out->local = p->local >= 0 ? t->locals[p->local].addr : p->base;
  out->base = p->base;
  out->socket = p->socket;
  out->remote = p->remote_addr;
  out->local_type = p->local >= 0 ? t->locals[p->local].type : BRTC_ICE_CAND_HOST;
  out->remote_type = p->remote >= 0 ? t->remotes[p->remote].type : BRTC_ICE_CAND_PRFLX;
  out->priority = p->priority;
  out->state = p->state;
  out->valid = p->valid;
  out->nominated = p->nominated;
  out->requests_sent = p->requests_sent;
  out->requests_received = p->requests_received;
  out->responses_sent = p->responses_sent;
  out->responses_received = p->responses_received;
  out->rtt_us = p->rtt_us;
}

static bool same_ip(const brtc_addr *a, const brtc_addr *b) {
  brtc_addr x = *a, y = *b;
  brtc_addr_set_port(&x, 0);
  brtc_addr_set_port(&y, 0);
  return brtc_addr_equal(&x, &y);
}

/* RFC 8445 5.1.1.3: the same type, base IP, server and transport share a foundation. */
static void assign_foundation(brtc_ice_transport *t, ice_local *l) {
  for (size_t i = 0; i < t->n_locals; i++) {
    const ice_local *k = &t->locals[i];
    if (k == l || k->type != l->type || !same_ip(&k->base, &l->base) ||
        k->has_server != l->has_server || (k->has_server && !same_ip(&k->server, &l->server)))
      continue;
    memcpy(l->foundation, k->foundation, sizeof(l->foundation));
    return;
  }
  snprintf(l->foundation, sizeof(l->foundation), "%u", ++t->n_foundations);
}

/* An address a candidate can stand on: IPv4 or IPv6, unicast, specified, with a port. */
static bool usable_addr(const brtc_addr *a) {
  int family = brtc_addr_family(a);
  if (brtc_addr_port(a) == 0) return false;
  if (family == AF_INET) {
    uint32_t ip = ntohl(a->u.v4.sin_addr.s_addr);
    return ip != 0 && (ip >> 28) != 0xE && ip != 0xFFFFFFFFu;
  }
  if (family == AF_INET6)
    return !IN6_IS_ADDR_UNSPECIFIED(&a->u.v6.sin6_addr) && !IN6_IS_ADDR_MULTICAST(&a->u.v6.sin6_addr);
  return false;
}

/* RFC 8445 5.1.2.1 local preference, RFC 8421 for dual stack: the owner's order, IPv6
 * before IPv4, interleaved (v6 #0, v4 #0, v6 #1, v4 #1, ...). */
static uint16_t local_preference(const brtc_ice_transport *t, brtc_ice_cand_type type,
                                 const brtc_addr *addr) {
  unsigned rank = 0;
  for (size_t i = 0; i < t->n_locals; i++)
    rank += t->locals[i].type == type &&
            brtc_addr_family(&t->locals[i].addr) == brtc_addr_family(addr);
  unsigned slot = 2 * rank + (brtc_addr_family(addr) == AF_INET ? 1 : 0);
  return (uint16_t)(65535 - 256 * slot);
}

static int add_local(brtc_ice_transport *t, const ice_local *in) {
  if (t->n_locals == BRTC_ICE_MAX_LOCAL) {
    t->stats.over_limit++;
    ice_error(t, ICE_ERR_LOCAL_FULL, BRTC_ERR_LIMIT, "ICE: local candidate table full");
    return ICE_NO_INDEX;
  }
  ice_local *l = &t->locals[t->n_locals];
  *l = *in;
  assign_foundation(t, l);
  return (int)t->n_locals++;
}

int ice_add_local_prflx(brtc_ice_transport *t, const brtc_addr *mapped, int from, uint32_t priority) {
  const ice_local *b = &t->locals[from];
  ice_local l = {.type = BRTC_ICE_CAND_PRFLX,
                 .addr = *mapped,
                 .base = b->base,
                 .socket = b->socket,
                 .local_pref = b->local_pref,
                 .priority = priority};
  int i = add_local(t, &l);
  if (i >= 0) t->stats.local_prflx++;
  return i;
}

int ice_add_remote_prflx(brtc_ice_transport *t, const brtc_addr *addr, uint32_t priority) {
  if (t->n_remotes == t->max_remotes) {
    t->stats.over_limit++;
    ice_error(t, ICE_ERR_REMOTE_FULL, BRTC_ERR_LIMIT, "ICE: remote candidate table full");
    return ICE_NO_INDEX;
  }
  ice_remote *r = &t->remotes[t->n_remotes];
  memset(r, 0, sizeof(*r));
  r->type = BRTC_ICE_CAND_PRFLX;
  r->addr = *addr;
  r->priority = priority;
  /* Any foundation unlike the others will do (RFC 8445 7.3.1.3). */
  snprintf(r->foundation, sizeof(r->foundation), "prflx%u", ++t->n_prflx);
  t->stats.remote_prflx++;
  return (int)t->n_remotes++;
}

/* ---- lifetime ---- */

static bool valid_cred(const char *s, size_t min, size_t max) {
  size_t n = strlen(s);
  if (n < min || n > max) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
          c == '/'))
      return false;
  }
  return true;
}

static void new_local_credentials(brtc_ice_transport *t) {
  random_ice_string(t, t->cur.local_ufrag, DEFAULT_UFRAG_LEN);
  random_ice_string(t, t->cur.local_pwd, DEFAULT_PWD_LEN);
}

static size_t align_up(size_t n) {
  size_t a = _Alignof(max_align_t);
  return (n + a - 1) / a * a;
}

static int fail_config(char *err, size_t cap, const char *why) {
  if (err && cap) snprintf(err, cap, "ICE config: %s", why);
  return BRTC_ERR_INVALID;
}

int brtc_ice_transport_new(const brtc_ice_config *cfg, uint64_t now_us, brtc_ice_transport **out,
                           char *err, size_t err_cap) {
  if (!out) return BRTC_ERR_INVALID;
  *out = NULL;
  brtc_ice_config def;
  if (!cfg) {
    brtc_ice_config_init(&def);
    cfg = &def;
  }
  /* RFC 8445 14.2: Ta is never below 5 ms. */
  if (cfg->ta_us < 5000) return fail_config(err, err_cap, "Ta below 5 ms (RFC 8445 14.2)");
  if (cfg->min_rto_us == 0 || cfg->max_transmissions == 0 || cfg->max_transmissions > 32)
    return fail_config(err, err_cap, "retransmission settings out of range");
  if (!cfg->consent_interval_us || !cfg->consent_timeout_us || !cfg->disconnected_after_us)
    return fail_config(err, err_cap, "consent timers must not be zero");
  if (cfg->local_ufrag && !valid_cred(cfg->local_ufrag, 4, BRTC_ICE_CRED_MAX))
    return fail_config(err, err_cap, "local ufrag: 4 to 256 ice-chars (RFC 8839 5.4)");
  if (cfg->local_pwd && !valid_cred(cfg->local_pwd, 22, BRTC_ICE_CRED_MAX))
    return fail_config(err, err_cap, "local pwd: 22 to 256 ice-chars (RFC 8839 5.4)");
  if (cfg->software && strlen(cfg->software) >= 64)
    return fail_config(err, err_cap, "software longer than 63 bytes");

  /* One allocation: the struct, then its tables, each as big as the mode needs. */
  size_t n_pairs = cfg->lite ? BRTC_ICE_LITE_MAX_PAIRS : BRTC_ICE_MAX_PAIRS;
  size_t n_remotes = cfg->lite ? 0 : BRTC_ICE_MAX_REMOTE;
  size_t n_held = cfg->lite ? 0 : BRTC_ICE_MAX_HELD;
  size_t n_txns = cfg->lite ? 0 : ICE_MAX_TXNS;
  size_t off_pairs = align_up(sizeof(brtc_ice_transport));
  size_t off_trig = align_up(off_pairs + n_pairs * sizeof(ice_pair));
  size_t off_remotes = align_up(off_trig + n_pairs * sizeof(int16_t));
  size_t off_held = align_up(off_remotes + n_remotes * sizeof(ice_remote));
  size_t off_txns = align_up(off_held + n_held * sizeof(ice_held));
  size_t total = off_txns + n_txns * sizeof(ice_txn);
  uint8_t *block = calloc(1, total);
  if (!block) {
    if (err && err_cap) snprintf(err, err_cap, "ICE: out of memory");
    return BRTC_ERR_NOMEM;
  }
  brtc_ice_transport *t = (brtc_ice_transport *)block;
  t->pairs = (ice_pair *)(block + off_pairs);
  t->max_pairs = n_pairs;
  t->trig = (int16_t *)(block + off_trig);
  t->remotes = (ice_remote *)(block + off_remotes);
  t->max_remotes = n_remotes;
  t->held = (ice_held *)(block + off_held);
  t->max_held = n_held;
  t->txns = (ice_txn *)(block + off_txns);
  t->max_txns = n_txns;
  t->stats.memory_bytes = total;
  t->cfg = *cfg;
  if (cfg->software) snprintf(t->software, sizeof(t->software), "%s", cfg->software);
  t->cfg.software = NULL;
  t->cfg.local_ufrag = t->cfg.local_pwd = NULL;
  t->rng = cfg->seed ? cfg->seed : 0x9E3779B97F4A7C15ull;
  t->now_us = now_us;
  t->controlling = cfg->controlling && !cfg->lite; /* RFC 8445 6.1.1: lite is controlled */
  t->nominating = ICE_NO_INDEX;
  if (cfg->local_ufrag) snprintf(t->cur.local_ufrag, sizeof(t->cur.local_ufrag), "%s", cfg->local_ufrag);
  else random_ice_string(t, t->cur.local_ufrag, DEFAULT_UFRAG_LEN);
  if (cfg->local_pwd) snprintf(t->cur.local_pwd, sizeof(t->cur.local_pwd), "%s", cfg->local_pwd);
  else random_ice_string(t, t->cur.local_pwd, DEFAULT_PWD_LEN);
  t->tie_breaker = cfg->tie_breaker;
  while (!t->tie_breaker) ice_random(t, &t->tie_breaker, sizeof(t->tie_breaker));
  t->state = BRTC_ICE_CONN_NEW;
  *out = t;
  return BRTC_OK;
}

void brtc_ice_transport_free(brtc_ice_transport *t) {
  if (!t) return;
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 2; j++) brtc_stun_key_clear(&t->keys[i][j]);
  free(t);
}

const char *brtc_ice_transport_local_ufrag(const brtc_ice_transport *t) {
  return t ? t->cur.local_ufrag : NULL;
}
const char *brtc_ice_transport_local_pwd(const brtc_ice_transport *t) {
  return t ? t->cur.local_pwd : NULL;
}
const char *brtc_ice_transport_previous_ufrag(const brtc_ice_transport *t) {
  return t && t->have_prev ? t->prev.local_ufrag : NULL;
}

/* ---- local candidates ---- */

int brtc_ice_transport_add_host_candidate(brtc_ice_transport *t, const brtc_addr *addr,
                                          uint32_t socket, uint64_t now_us) {
  if (!t || !addr || !usable_addr(addr)) return BRTC_ERR_INVALID;
  if (t->closed) return BRTC_ERR_STATE;
  if (ice_find_local(t, addr, true) >= 0) return BRTC_OK;
  ice_local l = {.type = BRTC_ICE_CAND_HOST, .addr = *addr, .base = *addr, .socket = socket};
  l.local_pref = local_preference(t, BRTC_ICE_CAND_HOST, addr);
  l.priority = brtc_ice_priority(BRTC_ICE_CAND_HOST, l.local_pref, 1);
  int i = add_local(t, &l);
  if (i < 0) return BRTC_ERR_LIMIT;
  if (!t->cfg.lite) ice_pair_local(t, i);
  ice_advance(t, now_us);
  return BRTC_OK;
}

int brtc_ice_transport_add_gathered_candidate(brtc_ice_transport *t, brtc_ice_cand_type type,
                                              const brtc_addr *addr, const brtc_addr *base,
                                              const brtc_addr *related, const brtc_addr *server,
                                              uint32_t socket, uint64_t now_us) {
  if (!t || !addr || !usable_addr(addr)) return BRTC_ERR_INVALID;
  if (t->closed) return BRTC_ERR_STATE;
  ice_local l = {.type = type, .addr = *addr};
  if (type == BRTC_ICE_CAND_SRFLX) {
    int b = base ? ice_find_local(t, base, true) : ICE_NO_INDEX;
    if (b < 0 || t->locals[b].type != BRTC_ICE_CAND_HOST) return BRTC_ERR_INVALID;
    l.base = t->locals[b].base;
    l.socket = t->locals[b].socket;
    l.local_pref = t->locals[b].local_pref; /* 5.1.2.1: the base's */
  } else if (type == BRTC_ICE_CAND_RELAY) {
    l.base = *addr;
    l.socket = socket;
    l.local_pref = local_preference(t, BRTC_ICE_CAND_RELAY, addr);
  } else {
    return BRTC_ERR_INVALID;
  }
  for (size_t i = 0; i < t->n_locals; i++)
    if (t->locals[i].type == type && brtc_addr_equal(&t->locals[i].addr, addr) &&
        brtc_addr_equal(&t->locals[i].base, &l.base))
      return BRTC_OK;
  if (related && (brtc_addr_family(related) == AF_INET || brtc_addr_family(related) == AF_INET6)) {
    l.has_related = true;
    l.related = *related;
  }
  if (server && (brtc_addr_family(server) == AF_INET || brtc_addr_family(server) == AF_INET6)) {
    l.has_server = true;
    l.server = *server;
  }
  l.priority = brtc_ice_priority(type, l.local_pref, 1);
  int i = add_local(t, &l);
  if (i < 0) return BRTC_ERR_LIMIT;
  /* 6.1.2.4: a server-reflexive candidate is checked through its base, paired already. */
  if (!t->cfg.lite && type == BRTC_ICE_CAND_RELAY) ice_pair_local(t, i);
  ice_advance(t, now_us);
  return BRTC_OK;
}

void brtc_ice_transport_retire_relay(brtc_ice_transport *t, const brtc_addr *addr,
                                     uint64_t now_us) {
  if (!t || !addr) return;
  for (size_t i = 0; i < t->n_locals; i++) {
    ice_local *l = &t->locals[i];
    if (l->type != BRTC_ICE_CAND_RELAY || l->retired || !brtc_addr_equal(&l->addr, addr))
      continue;
    l->retired = true;
    for (size_t k = 0; k < t->n_pairs; k++) {
      ice_pair *p = &t->pairs[k];
      if (!p->in_use || p->local != (int16_t)i) continue;
      if (t->nominating == (int16_t)k) t->nominating = ICE_NO_INDEX;
      if (p->txn >= 0) t->txns[p->txn].retransmit = false; /* its answer can come no more */
      p->state = BRTC_ICE_PAIR_FAILED;
      p->valid = p->nominated = false;
    }
  }
  ice_advance(t, now_us);
}

void brtc_ice_transport_end_of_local_candidates(brtc_ice_transport *t, uint64_t now_us) {
  if (!t) return;
  t->local_done = true;
  t->local_done_announced = false; /* again after a restart gathered anew */
  ice_advance(t, now_us);
}

/* ---- remote side ---- */

/* Forget this generation's checks and remote side, start a new one with new local
 * credentials; the selected pair carries on with the old ones (RFC 8445 9). */
static void restart(brtc_ice_transport *t) {
  if (t->path.active && !t->path.previous) {
    t->prev = t->cur;
    t->have_prev = true;
    t->path.previous = true;
    for (int i = 0; i < (int)t->max_txns; i++)
      if (t->txns[i].in_use && t->txns[i].kind == ICE_TXN_CONSENT) t->txns[i].previous = true;
  }
  memset(t->cur.remote_ufrag, 0, sizeof(t->cur.remote_ufrag));
  memset(t->cur.remote_pwd, 0, sizeof(t->cur.remote_pwd));
  t->cur.have_remote = false;
  new_local_credentials(t);
  ice_cancel_checks(t);
  memset(t->pairs, 0, t->max_pairs * sizeof(*t->pairs));
  t->n_pairs = 0;
  t->trig_head = t->trig_count = 0;
  t->n_remotes = 0;
  t->n_held = 0;
  t->remote_done = false;
  t->checks_stopped = false;
  t->any_request = false;
  t->nominating = ICE_NO_INDEX;
  t->first_valid_us = 0;
  t->next_check_us = 0;
  t->failed = t->consent_lapsed = false;
  t->errors_said = 0;
  t->stats.restarts++;
  t->stats.checking_since_us = 0;
}

static int set_remote_credentials(brtc_ice_transport *t, const char *ufrag, const char *pwd,
                                  uint64_t now_us) {
  if (!ufrag || !pwd) return BRTC_ERR_INVALID;
  size_t ulen = strlen(ufrag), plen = strlen(pwd);
  /* ':' would make the USERNAME "ours:theirs" ambiguous. */
  if (ulen == 0 || ulen > BRTC_ICE_CRED_MAX || plen == 0 || plen > BRTC_ICE_CRED_MAX ||
      strchr(ufrag, ':'))
    return BRTC_ERR_INVALID;
  if (t->closed) return BRTC_ERR_STATE;
  if (t->cur.have_remote) {
    if (strcmp(ufrag, t->cur.remote_ufrag) == 0 && strcmp(pwd, t->cur.remote_pwd) == 0) return BRTC_OK;
    restart(t); /* the peer restarted: so do we (JSEP 5.3.1: the answer has new ones) */
    t->creds_changed = true;
  }
  memcpy(t->cur.remote_ufrag, ufrag, ulen + 1);
  memcpy(t->cur.remote_pwd, pwd, plen + 1);
  t->cur.have_remote = true;
  if (now_us > t->now_us) t->now_us = now_us;
  t->stats.checking_since_us = t->now_us;
  return BRTC_OK;
}

int brtc_ice_transport_set_remote_credentials(brtc_ice_transport *t, const char *ufrag,
                                              const char *pwd, uint64_t now_us) {
  if (!t) return BRTC_ERR_INVALID;
  int rc = set_remote_credentials(t, ufrag, pwd, now_us);
  if (rc == BRTC_OK) ice_advance(t, now_us);
  return rc;
}

static void set_remote_lite(brtc_ice_transport *t, bool lite) {
  t->remote_lite = lite;
  /* 6.1.1: facing a lite agent, the full agent controls. */
  if (lite && !t->cfg.lite && !t->controlling) {
    t->controlling = true;
    ice_recompute_priorities(t);
  }
}

void brtc_ice_transport_set_remote_lite(brtc_ice_transport *t, bool lite, uint64_t now_us) {
  if (!t) return;
  set_remote_lite(t, lite);
  ice_advance(t, now_us);
}

static int add_remote(brtc_ice_transport *t, const brtc_ice_candidate *c) {
  if (c->proto != BRTC_ICE_PROTO_UDP || c->component != 1) {
    /* ICE-TCP comes with RFC 6544; rtcp-mux leaves no component 2 (RFC 8843, JSEP). */
    t->stats.remote_ignored++;
    return BRTC_ERR_UNSUPPORTED;
  }
  if (c->has_ufrag && t->cur.have_remote && strcmp(c->ufrag, t->cur.remote_ufrag) != 0) {
    t->stats.remote_ignored++; /* trickled for a generation before a restart */
    return BRTC_ERR_STATE;
  }
  if (c->has_hostname) {
    if (brtc_ice_is_mdns_name(c->hostname)) t->stats.remote_mdns++;
    if (t->cfg.lite) return BRTC_OK;
    for (size_t i = 0; i < t->n_held; i++)
      if (strcasecmp(t->held[i].hostname, c->hostname) == 0 &&
          t->held[i].port == brtc_addr_port(&c->addr))
        return BRTC_OK;
    if (t->n_held == t->max_held) {
      t->stats.over_limit++;
      return BRTC_ERR_LIMIT;
    }
    /* No resolver in a sans-IO core: the owner may resolve it (brtc_ice_transport_resolved);
     * meanwhile the peer's checks from that address teach us a peer-reflexive candidate. */
    ice_held *h = &t->held[t->n_held++];
    memset(h, 0, sizeof(*h));
    snprintf(h->hostname, sizeof(h->hostname), "%s", c->hostname);
    memcpy(h->foundation, c->foundation, sizeof(h->foundation));
    h->type = c->type;
    h->priority = c->priority;
    h->port = brtc_addr_port(&c->addr);
    return BRTC_OK;
  }
  if (!usable_addr(&c->addr)) {
    t->stats.remote_ignored++;
    return BRTC_ERR_UNSUPPORTED;
  }
  t->stats.remote_candidates++;
  if (t->cfg.lite) return BRTC_OK; /* a lite agent checks nothing */
  int r = ice_find_remote(t, &c->addr);
  if (r >= 0) {
    ice_remote *known = &t->remotes[r];
    /* A candidate first learned from a check, now signalled: it takes the signalled
     * priority and foundation (RFC 8445 7.3.1.3, RFC 8838 11). */
    if (known->type == BRTC_ICE_CAND_PRFLX && c->type != BRTC_ICE_CAND_PRFLX) {
      known->type = c->type;
      known->priority = c->priority;
      memcpy(known->foundation, c->foundation, sizeof(known->foundation));
      ice_recompute_priorities(t);
      ice_pair_remote(t, r);
    }
    return BRTC_OK;
  }
  if (t->n_remotes == t->max_remotes) {
    t->stats.over_limit++;
    ice_error(t, ICE_ERR_REMOTE_FULL, BRTC_ERR_LIMIT, "ICE: remote candidate table full");
    return BRTC_ERR_LIMIT;
  }
  ice_remote *n = &t->remotes[t->n_remotes];
  memset(n, 0, sizeof(*n));
  n->type = c->type;
  n->addr = c->addr;
  n->priority = c->priority;
  memcpy(n->foundation, c->foundation, sizeof(n->foundation));
  ice_pair_remote(t, (int)t->n_remotes++);
  return BRTC_OK;
}

int brtc_ice_transport_set_remote_description(brtc_ice_transport *t, const char *ufrag,
                                              const char *pwd, bool lite,
                                              const char *const *candidates, size_t n,
                                              bool end_of_candidates, uint64_t now_us) {
  if (!t || (n && !candidates)) return BRTC_ERR_INVALID;
  int rc = set_remote_credentials(t, ufrag, pwd, now_us);
  if (rc != BRTC_OK) return rc;
  set_remote_lite(t, lite);
  /* All of them before the first check, so that the best pair goes first. */
  for (size_t i = 0; i < n; i++) {
    brtc_ice_candidate c;
    int prc = candidates[i] ? brtc_ice_candidate_parse(candidates[i], &c) : BRTC_ERR_PARSE;
    if (prc == BRTC_OK) (void)add_remote(t, &c);
    else t->stats.remote_ignored++;
  }
  if (end_of_candidates) t->remote_done = true;
  ice_advance(t, now_us);
  return BRTC_OK;
}

int brtc_ice_transport_add_remote(brtc_ice_transport *t, const brtc_ice_candidate *c,
                                  uint64_t now_us) {
  if (!t || !c) return BRTC_ERR_INVALID;
  if (t->closed) return BRTC_ERR_STATE;
  int rc = add_remote(t, c);
  ice_advance(t, now_us);
  return rc;
}

int brtc_ice_transport_add_remote_candidate(brtc_ice_transport *t, const char *line,
                                            uint64_t now_us) {
  if (!t || !line) return BRTC_ERR_INVALID;
  brtc_ice_candidate c;
  int rc = brtc_ice_candidate_parse(line, &c);
  if (rc != BRTC_OK) {
    t->stats.remote_ignored++;
    return rc;
  }
  return brtc_ice_transport_add_remote(t, &c, now_us);
}

int brtc_ice_transport_resolved(brtc_ice_transport *t, const char *hostname, const brtc_addr *ip,
                                uint64_t now_us) {
  if (!t || !hostname || !ip) return BRTC_ERR_INVALID;
  bool found = false;
  for (size_t i = 0; i < t->n_held;) {
    ice_held *h = &t->held[i];
    if (strcasecmp(h->hostname, hostname) != 0) {
      i++;
      continue;
    }
    found = true;
    brtc_ice_candidate c;
    memset(&c, 0, sizeof(c));
    memcpy(c.foundation, h->foundation, sizeof(c.foundation));
    c.component = 1;
    c.proto = BRTC_ICE_PROTO_UDP;
    c.type = h->type;
    c.priority = h->priority;
    c.addr = *ip;
    brtc_addr_set_port(&c.addr, h->port);
    *h = t->held[--t->n_held]; /* take it out before adding */
    (void)add_remote(t, &c);
  }
  ice_advance(t, now_us);
  return found ? BRTC_OK : BRTC_ERR_NOT_FOUND;
}

size_t brtc_ice_transport_unresolved(const brtc_ice_transport *t, const char **first_name) {
  if (first_name) *first_name = t && t->n_held ? t->held[0].hostname : NULL;
  return t ? t->n_held : 0;
}

const char *brtc_ice_transport_unresolved_name(const brtc_ice_transport *t, size_t i) {
  return t && i < t->n_held ? t->held[i].hostname : NULL;
}

size_t brtc_ice_transport_drop_unresolved(brtc_ice_transport *t, const char *hostname) {
  size_t dropped = 0;
  for (size_t i = 0; t && hostname && i < t->n_held;) {
    if (strcasecmp(t->held[i].hostname, hostname) != 0) {
      i++;
      continue;
    }
    t->held[i] = t->held[--t->n_held];
    dropped++;
  }
  return dropped;
}

void brtc_ice_transport_end_of_remote_candidates(brtc_ice_transport *t, uint64_t now_us) {
  if (!t) return;
  t->remote_done = true;
  ice_advance(t, now_us);
}

int brtc_ice_transport_restart(brtc_ice_transport *t, uint64_t now_us) {
  if (!t) return BRTC_ERR_INVALID;
  if (t->closed) return BRTC_ERR_STATE;
  restart(t);
  ice_advance(t, now_us);
  return BRTC_OK;
}

int brtc_ice_transport_set_controlling(brtc_ice_transport *t, bool controlling) {
  if (!t) return BRTC_ERR_INVALID;
  if (t->closed || t->cur.have_remote || (controlling && t->cfg.lite)) return BRTC_ERR_STATE;
  ice_switch_role(t, controlling);
  t->role_changed = false; /* the owner chose it: nothing to announce */
  return BRTC_OK;
}

void brtc_ice_transport_renew_consent(brtc_ice_transport *t, const brtc_addr *remote,
                                      uint64_t now_us) {
  if (!t || !remote || t->closed) return;
  if (now_us > t->now_us) t->now_us = now_us;
  ice_path *path = &t->path;
  if (path->active && brtc_addr_equal(&path->info.remote, remote)) {
    path->last_consent_us = path->last_rx_us = t->now_us;
    path->unanswered_since_us = 0;
    return; /* the path is what consent_holds looks at first: once a packet is enough */
  }
  for (size_t i = 0; i < t->n_pairs; i++) {
    ice_pair *p = &t->pairs[i];
    if (p->in_use && p->authenticated && brtc_addr_equal(&p->remote_addr, remote))
      p->last_rx_us = t->now_us;
  }
}

void brtc_ice_transport_close(brtc_ice_transport *t, uint64_t now_us) {
  if (!t || t->closed) return;
  if (now_us > t->now_us) t->now_us = now_us;
  t->closed = true;
  memset(t->txns, 0, t->max_txns * sizeof(*t->txns));
  t->resp_count = 0;
  ice_update_state(t);
}

/* ---- inputs ---- */

brtc_ice_verdict brtc_ice_transport_handle_stun(brtc_ice_transport *t, const brtc_addr *local,
                                                const brtc_addr *remote, const uint8_t *buf,
                                                size_t len, const brtc_stun_msg *msg,
                                                uint64_t now_us) {
  if (!t || !local || !remote || !buf || t->closed) return BRTC_ICE_IGNORED;
  int family = brtc_addr_family(remote);
  if (family != AF_INET && family != AF_INET6) return BRTC_ICE_IGNORED;
  brtc_stun_msg parsed;
  if (!msg) {
    if (brtc_stun_parse(buf, len, &parsed) != BRTC_OK) return BRTC_ICE_IGNORED;
    msg = &parsed;
  }
  if (now_us > t->now_us) t->now_us = now_us;
  brtc_ice_verdict v = ice_handle_stun(t, local, remote, buf, len, msg);
  ice_advance(t, now_us);
  return v;
}

void brtc_ice_transport_handle_timeout(brtc_ice_transport *t, uint64_t now_us) {
  if (t) ice_advance(t, now_us);
}

/* ---- state ---- */

static void push_state(brtc_ice_transport *t, brtc_ice_conn_state s) {
  t->state = s;
  if (t->state_count == ICE_MAX_STATES) { /* keep the newest */
    t->state_head = (t->state_head + 1) % ICE_MAX_STATES;
    t->state_count--;
  }
  t->states[(t->state_head + t->state_count++) % ICE_MAX_STATES] = s;
}

static bool checks_outstanding(const brtc_ice_transport *t) {
  for (int i = 0; i < (int)t->max_txns; i++)
    if (t->txns[i].in_use && t->txns[i].kind == ICE_TXN_CHECK && t->txns[i].retransmit) return true;
  return false;
}

void ice_update_state(brtc_ice_transport *t) {
  brtc_ice_conn_state s;
  const ice_path *path = &t->path;
  if (t->closed) {
    s = BRTC_ICE_CONN_CLOSED;
  } else if (t->failed) {
    s = BRTC_ICE_CONN_FAILED;
  } else if (path->active) {
    bool quiet;
    if (t->cfg.lite)
      quiet = t->now_us - path->last_consent_us >=
              t->cfg.disconnected_after_us + t->cfg.consent_interval_us * 12 / 10;
    else
      quiet = path->unanswered_since_us &&
              t->now_us - path->unanswered_since_us >= t->cfg.disconnected_after_us;
    if (quiet) s = BRTC_ICE_CONN_DISCONNECTED;
    else if (!t->cfg.lite && !path->previous && t->remote_done && t->local_done &&
             !checks_outstanding(t))
      s = BRTC_ICE_CONN_COMPLETED;
    else s = BRTC_ICE_CONN_CONNECTED;
  } else if (!t->cfg.lite && t->remote_done && t->cur.have_remote && ice_all_failed(t)) {
    t->failed = true;
    ice_error(t, ICE_ERR_ALL_FAILED, BRTC_ERR_STATE, "ICE: every candidate pair failed");
    s = BRTC_ICE_CONN_FAILED;
  } else if (t->any_request || (!t->cfg.lite && t->cur.have_remote && t->n_pairs > 0)) {
    s = BRTC_ICE_CONN_CHECKING;
  } else {
    s = BRTC_ICE_CONN_NEW;
  }
  if (s == t->state) return;
  /* Connected comes before completed, as in browsers, even when both happen at once. */
  if (s == BRTC_ICE_CONN_COMPLETED && t->state != BRTC_ICE_CONN_CONNECTED &&
      t->state != BRTC_ICE_CONN_DISCONNECTED)
    push_state(t, BRTC_ICE_CONN_CONNECTED);
  push_state(t, s);
}

/* ---- outputs ---- */

static void local_candidate(const brtc_ice_transport *t, const ice_local *l, brtc_ice_candidate *c) {
  memset(c, 0, sizeof(*c));
  memcpy(c->foundation, l->foundation, sizeof(c->foundation));
  c->component = 1;
  c->proto = BRTC_ICE_PROTO_UDP;
  c->priority = l->priority;
  c->type = l->type;
  c->addr = l->addr;
  c->has_related = l->has_related;
  c->related = l->related;
  (void)t;
}

int brtc_ice_transport_poll(brtc_ice_transport *t, uint8_t *buf, size_t cap, brtc_ice_output *out) {
  if (!t || !out) return BRTC_ERR_INVALID;
  memset(out, 0, sizeof(*out));
  int rc = BRTC_OK;
  if (!t->closed && buf && ice_next_datagram(t, buf, cap, out, &rc)) return rc;
  out->kind = BRTC_ICE_OUTPUT_EVENT;
  brtc_ice_event *e = &out->event;
  while (t->n_announced < t->n_locals) {
    const ice_local *l = &t->locals[t->n_announced++];
    if (l->type == BRTC_ICE_CAND_PRFLX) continue; /* learned, never signalled */
    e->type = BRTC_ICE_EVENT_LOCAL_CANDIDATE;
    local_candidate(t, l, &e->candidate);
    return BRTC_OK;
  }
  if (t->local_done && !t->local_done_announced) {
    t->local_done_announced = true;
    e->type = BRTC_ICE_EVENT_GATHERING_DONE;
    return BRTC_OK;
  }
  if (t->creds_changed) {
    t->creds_changed = false;
    e->type = BRTC_ICE_EVENT_CREDENTIALS;
    return BRTC_OK;
  }
  if (t->role_changed) {
    t->role_changed = false;
    e->type = BRTC_ICE_EVENT_ROLE;
    e->controlling = t->controlling;
    return BRTC_OK;
  }
  if (t->path_serial != t->path_announced) {
    t->path_announced = t->path_serial;
    if (t->path.active) {
      e->type = BRTC_ICE_EVENT_SELECTED_PAIR;
      e->pair = t->path.info;
      return BRTC_OK;
    }
  }
  if (t->state_count > 0) {
    e->type = BRTC_ICE_EVENT_STATE;
    e->state = t->states[t->state_head];
    t->state_head = (t->state_head + 1) % ICE_MAX_STATES;
    t->state_count--;
    return BRTC_OK;
  }
  if (t->err_count > 0) {
    e->type = BRTC_ICE_EVENT_ERROR;
    e->error = t->errors[t->err_head].code;
    e->reason = t->errors[t->err_head].reason;
    t->err_head = (t->err_head + 1) % ICE_MAX_ERRORS;
    t->err_count--;
    return BRTC_OK;
  }
  memset(out, 0, sizeof(*out));
  out->kind = BRTC_ICE_OUTPUT_TIMEOUT;
  out->deadline_us = ice_deadline(t);
  return BRTC_OK;
}

uint64_t brtc_ice_transport_next_deadline(const brtc_ice_transport *t) {
  return t ? ice_deadline(t) : ICE_NEVER;
}

/* ---- accessors ---- */

brtc_ice_conn_state brtc_ice_transport_get_state(const brtc_ice_transport *t) {
  return t ? t->state : BRTC_ICE_CONN_CLOSED;
}
bool brtc_ice_transport_is_controlling(const brtc_ice_transport *t) { return t && t->controlling; }
bool brtc_ice_transport_is_lite(const brtc_ice_transport *t) { return t && t->cfg.lite; }

bool brtc_ice_transport_selected(const brtc_ice_transport *t, brtc_ice_pair_info *out) {
  if (!t || !t->path.active) return false;
  if (out) *out = t->path.info;
  return true;
}

bool brtc_ice_transport_is_valid_remote(const brtc_ice_transport *t, const brtc_addr *remote) {
  if (!t || !remote) return false;
  if (t->path.active && brtc_addr_equal(&t->path.info.remote, remote)) return true;
  for (size_t i = 0; i < t->n_pairs; i++)
    if (t->pairs[i].in_use && t->pairs[i].authenticated &&
        brtc_addr_equal(&t->pairs[i].remote_addr, remote))
      return true;
  return false;
}

bool brtc_ice_transport_consent_holds(const brtc_ice_transport *t, const brtc_addr *remote,
                                      uint64_t now_us) {
  if (!t || !remote || t->closed) return false;
  uint64_t window = t->cfg.consent_timeout_us;
  if (t->path.active && brtc_addr_equal(&t->path.info.remote, remote) &&
      (now_us < t->path.last_rx_us || now_us - t->path.last_rx_us < window))
    return true;
  for (size_t i = 0; i < t->n_pairs; i++) {
    const ice_pair *p = &t->pairs[i];
    if (p->in_use && p->authenticated && brtc_addr_equal(&p->remote_addr, remote) &&
        (now_us < p->last_rx_us || now_us - p->last_rx_us < window))
      return true;
  }
  return false;
}

size_t brtc_ice_transport_pair_count(const brtc_ice_transport *t) {
  size_t n = 0;
  for (size_t i = 0; t && i < t->n_pairs; i++) n += t->pairs[i].in_use;
  return n;
}

bool brtc_ice_transport_pair(const brtc_ice_transport *t, size_t i, brtc_ice_pair_info *out) {
  for (size_t k = 0; t && k < t->n_pairs; k++) {
    if (!t->pairs[k].in_use) continue;
    if (i-- == 0) {
      if (out) ice_pair_info(t, &t->pairs[k], out);
      return true;
    }
  }
  return false;
}

void brtc_ice_transport_get_stats(const brtc_ice_transport *t, brtc_ice_stats *out) {
  if (t && out) *out = t->stats;
}

const char *brtc_ice_conn_state_name(brtc_ice_conn_state s) {
  switch (s) {
    case BRTC_ICE_CONN_NEW: return "new";
    case BRTC_ICE_CONN_CHECKING: return "checking";
    case BRTC_ICE_CONN_CONNECTED: return "connected";
    case BRTC_ICE_CONN_COMPLETED: return "completed";
    case BRTC_ICE_CONN_DISCONNECTED: return "disconnected";
    case BRTC_ICE_CONN_FAILED: return "failed";
    case BRTC_ICE_CONN_CLOSED: return "closed";
  }
  return "unknown";
}

const char *brtc_ice_pair_state_name(brtc_ice_pair_state s) {
  switch (s) {
    case BRTC_ICE_PAIR_FROZEN: return "frozen";
    case BRTC_ICE_PAIR_WAITING: return "waiting";
    case BRTC_ICE_PAIR_IN_PROGRESS: return "in-progress";
    case BRTC_ICE_PAIR_SUCCEEDED: return "succeeded";
    case BRTC_ICE_PAIR_FAILED: return "failed";
  }
  return "unknown";
}
