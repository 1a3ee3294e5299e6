/* The TURN server core: requests (RFC 8656 7-12), authentication (RFC 8489 9.2), relaying
 * between clients and peers, lifetimes and quotas. */
#include "turn/turn_server.h"

#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "common/bytes.h"
#include "common/random.h"
#include "stun/stun.h"
#include "turn/turn_auth.h"
#include "turn/turn_peers.h"
#include "turn/turn_proto.h"

#define NO_SLOT UINT32_MAX
#define DEFAULT_MAX_PERMS 64
#define DEFAULT_MAX_CHANNELS 64
#define MAX_PORT_TRIES 8
/* RFC 8656 12: a channel number is not bound to another peer for 5 minutes after expiry. */
#define CHANNEL_QUARANTINE_US (300ull * 1000000u)
#define US_PER_S 1000000ull
/* RFC 8656 7.2: a port kept by EVEN-PORT's R bit waits about 30 s for its RESERVATION-TOKEN. */
#define RESERVATION_US (30ull * US_PER_S)
#define MAX_RESERVATIONS 64

typedef struct turn_reservation {
  uint8_t token[8];
  uint16_t port; /* 0: free */
  uint64_t expires;
} turn_reservation;

typedef struct turn_perm {
  brtc_addr ip; /* port 0: permissions are per IP address (RFC 8656 9) */
  uint64_t expires;
} turn_perm;

typedef struct turn_channel {
  uint16_t number;
  brtc_addr peer;
  uint64_t expires;
} turn_channel;

typedef enum { SLOT_FREE = 0, SLOT_OPENING, SLOT_LIVE, SLOT_CLOSING } slot_state;

typedef struct turn_alloc {
  uint8_t state;
  bool fingerprint; /* the Allocate had FINGERPRINT: so do our answers */
  uint16_t relay_port;
  uint16_t tries;
  uint16_t n_perms, cap_perms, n_chans, cap_chans;
  uint16_t username_len;
  unsigned listener;
  uint32_t next; /* hash chain while live, free or closed list otherwise */
  uint32_t lifetime_s;
  uint64_t expires;
  brtc_addr client;
  uint8_t key[16];
  uint8_t tid[12]; /* of the Allocate, to answer its retransmissions (RFC 8656 7.2) */
  bool has_token;
  uint8_t token[8]; /* RESERVATION-TOKEN for the port after ours (EVEN-PORT with R) */
  char *username;
  turn_perm *perms;
  turn_channel *chans;
} turn_alloc;

struct brtc_turn_core {
  brtc_turn_core_config cfg;
  brtc_turn_auth auth;
  brtc_turn_peer_filter peers;
  uint64_t unix_s;
  brtc_addr relay_ip;
  turn_alloc *slots;
  uint32_t n_slots, max_slots;
  uint32_t free_head, closed_head;
  uint32_t *buckets;
  uint32_t bucket_mask;
  uint8_t *port_used; /* one byte per relay port, 0 or 1 */
  uint32_t n_ports, port_cursor;
  uint64_t deadline;
  uint64_t indication_counter;
  turn_reservation reservations[MAX_RESERVATIONS];
  brtc_turn_core_stats st;
};

/* One request being answered. */
typedef struct turn_req {
  unsigned listener;
  const brtc_addr *from;
  const brtc_stun_msg *msg;
  const brtc_turn_attrs *attrs;
  uint16_t method;
  const uint8_t *key; /* set once authenticated: answers are signed with it */
  const uint8_t *username;
  size_t username_len;
  uint64_t now;
} turn_req;

/* ---- setup ---- */

brtc_turn_core *brtc_turn_core_new(const brtc_turn_core_config *config) {
  if (!config || !config->realm || !config->secret || config->relay_port_min == 0 ||
      config->relay_port_max < config->relay_port_min)
    return NULL;
  int family = brtc_addr_family(&config->relay_ip);
  if (family != AF_INET && family != AF_INET6) return NULL;
  brtc_turn_core *c = calloc(1, sizeof(*c));
  if (!c) return NULL;
  c->cfg = *config;
  c->cfg.realm = NULL;
  c->cfg.secret = NULL;
  if (brtc_turn_auth_init(&c->auth, config->realm, config->secret, config->nonce_lifetime_s) !=
      BRTC_OK) {
    free(c);
    return NULL;
  }
  c->relay_ip = config->relay_ip;
  c->n_ports = (uint32_t)config->relay_port_max - config->relay_port_min + 1;
  c->max_slots = config->max_allocations && config->max_allocations < c->n_ports
                     ? config->max_allocations
                     : c->n_ports;
  if (!c->cfg.max_permissions) c->cfg.max_permissions = DEFAULT_MAX_PERMS;
  if (!c->cfg.max_channels) c->cfg.max_channels = DEFAULT_MAX_CHANNELS;
  if (c->cfg.max_permissions > UINT16_MAX) c->cfg.max_permissions = UINT16_MAX;
  if (c->cfg.max_channels > UINT16_MAX) c->cfg.max_channels = UINT16_MAX;
  if (!c->cfg.default_lifetime_s) c->cfg.default_lifetime_s = 600;
  if (!c->cfg.max_lifetime_s) c->cfg.max_lifetime_s = 3600;
  if (c->cfg.max_lifetime_s < c->cfg.default_lifetime_s)
    c->cfg.max_lifetime_s = c->cfg.default_lifetime_s;
  c->port_used = calloc(c->n_ports, 1);
  if (!c->port_used) {
    brtc_turn_core_free(c);
    return NULL;
  }
  /* RFC 8656 7.2: relay ports should be hard to guess; start somewhere secret. */
  c->port_cursor = brtc_rd32(config->secret) % c->n_ports;
  c->free_head = c->closed_head = NO_SLOT;
  c->deadline = UINT64_MAX;
  return c;
}

static void alloc_clear(turn_alloc *a) {
  free(a->username);
  free(a->perms);
  free(a->chans);
  a->username = NULL;
  a->perms = NULL;
  a->chans = NULL;
  a->n_perms = a->cap_perms = a->n_chans = a->cap_chans = 0;
}

void brtc_turn_core_free(brtc_turn_core *c) {
  if (!c) return;
  for (uint32_t i = 0; i < c->n_slots; i++) alloc_clear(&c->slots[i]);
  free(c->slots);
  free(c->buckets);
  free(c->port_used);
  brtc_turn_auth_free(&c->auth);
  free(c);
}

int brtc_turn_core_add_user(brtc_turn_core *c, const char *name, const char *password) {
  return c ? brtc_turn_auth_add_user(&c->auth, name, password) : BRTC_ERR_INVALID;
}

int brtc_turn_core_set_auth_secret(brtc_turn_core *c, const char *secret) {
  return c ? brtc_turn_auth_set_rest_secret(&c->auth, secret) : BRTC_ERR_INVALID;
}

int brtc_turn_core_allow_peers(brtc_turn_core *c, const char *cidr) {
  return c ? brtc_turn_peer_filter_allow(&c->peers, cidr) : BRTC_ERR_INVALID;
}

void brtc_turn_core_set_unix_time(brtc_turn_core *c, uint64_t unix_s) {
  if (c) c->unix_s = unix_s;
}

uint32_t brtc_turn_core_max_slots(const brtc_turn_core *c) { return c ? c->max_slots : 0; }

uint64_t brtc_turn_core_deadline(const brtc_turn_core *c) { return c ? c->deadline : UINT64_MAX; }

void brtc_turn_core_get_stats(const brtc_turn_core *c, brtc_turn_core_stats *out) {
  if (c && out) *out = c->st;
}

/* ---- allocations by 5-tuple (listener, client address; the transport is UDP) ---- */

static uint32_t bucket_of(const brtc_turn_core *c, unsigned listener, const brtc_addr *client) {
  return (brtc_addr_hash(client) ^ (listener * 0x9E3779B1u)) & c->bucket_mask;
}

static turn_alloc *find_alloc(brtc_turn_core *c, unsigned listener, const brtc_addr *client) {
  if (!c->buckets) return NULL;
  for (uint32_t i = c->buckets[bucket_of(c, listener, client)]; i != NO_SLOT;
       i = c->slots[i].next) {
    turn_alloc *a = &c->slots[i];
    if (a->listener == listener && brtc_addr_equal(&a->client, client)) return a;
  }
  return NULL;
}

static void hash_insert(brtc_turn_core *c, uint32_t slot) {
  turn_alloc *a = &c->slots[slot];
  uint32_t b = bucket_of(c, a->listener, &a->client);
  a->next = c->buckets[b];
  c->buckets[b] = slot;
}

static void hash_remove(brtc_turn_core *c, uint32_t slot) {
  turn_alloc *a = &c->slots[slot];
  uint32_t *p = &c->buckets[bucket_of(c, a->listener, &a->client)];
  while (*p != NO_SLOT && *p != slot) p = &c->slots[*p].next;
  if (*p == slot) *p = a->next;
  a->next = NO_SLOT;
}

/* Grow the slot table (doubling) and rehash: allocations cost memory only when made. */
static int grow_slots(brtc_turn_core *c) {
  if (c->n_slots >= c->max_slots) return BRTC_ERR_LIMIT;
  uint32_t n = c->n_slots ? c->n_slots * 2 : 16;
  if (n > c->max_slots) n = c->max_slots;
  turn_alloc *slots = realloc(c->slots, (size_t)n * sizeof(*slots));
  if (!slots) return BRTC_ERR_NOMEM;
  c->slots = slots;
  memset(slots + c->n_slots, 0, (size_t)(n - c->n_slots) * sizeof(*slots));
  uint32_t nb = 16;
  while (nb < 2 * n) nb *= 2;
  uint32_t *buckets = malloc((size_t)nb * sizeof(*buckets));
  if (!buckets) return BRTC_ERR_NOMEM;
  free(c->buckets);
  c->buckets = buckets;
  c->bucket_mask = nb - 1;
  for (uint32_t i = 0; i < nb; i++) buckets[i] = NO_SLOT;
  for (uint32_t i = 0; i < c->n_slots; i++)
    if (slots[i].state == SLOT_LIVE || slots[i].state == SLOT_OPENING) hash_insert(c, i);
  for (uint32_t i = n; i-- > c->n_slots;) {
    slots[i].next = c->free_head;
    c->free_head = i;
  }
  c->n_slots = n;
  return BRTC_OK;
}

/* A free port from the range (even if asked, RFC 8656 7.2 EVEN-PORT; with the next one free
 * too if it is to be reserved), marked used. */
static bool pick_port(brtc_turn_core *c, bool even, bool pair, uint16_t *port) {
  for (uint32_t i = 0; i < c->n_ports; i++) {
    uint32_t idx = (c->port_cursor + i) % c->n_ports;
    uint16_t p = (uint16_t)(c->cfg.relay_port_min + idx);
    if (c->port_used[idx] || (even && (p & 1))) continue;
    if (pair && (idx + 1 >= c->n_ports || c->port_used[idx + 1])) continue;
    c->port_used[idx] = 1;
    if (pair) c->port_used[idx + 1] = 1;
    c->port_cursor = (idx + 1) % c->n_ports;
    *port = p;
    return true;
  }
  return false;
}

static void release_port(brtc_turn_core *c, uint16_t port) {
  if (port >= c->cfg.relay_port_min && port <= c->cfg.relay_port_max)
    c->port_used[port - c->cfg.relay_port_min] = 0;
}

/* Unhook an allocation and queue its slot for the owner to close its socket. */
static void close_alloc(brtc_turn_core *c, turn_alloc *a) {
  uint32_t slot = (uint32_t)(a - c->slots);
  if (a->state == SLOT_LIVE) c->st.allocations--;
  hash_remove(c, slot);
  release_port(c, a->relay_port);
  alloc_clear(a);
  a->state = SLOT_CLOSING;
  a->next = c->closed_head;
  c->closed_head = slot;
}

bool brtc_turn_core_poll_closed(brtc_turn_core *c, uint32_t *slot) {
  if (!c || !slot || c->closed_head == NO_SLOT) return false;
  uint32_t s = c->closed_head;
  turn_alloc *a = &c->slots[s];
  c->closed_head = a->next;
  memset(a, 0, sizeof(*a));
  a->next = c->free_head;
  c->free_head = s;
  *slot = s;
  return true;
}

void brtc_turn_core_client_gone(brtc_turn_core *c, unsigned listener, const brtc_addr *client) {
  if (!c || !client) return;
  turn_alloc *a = find_alloc(c, listener, client);
  if (!a || (a->state != SLOT_LIVE && a->state != SLOT_OPENING)) return;
  c->st.allocations_deleted++;
  close_alloc(c, a);
}

void brtc_turn_core_handle_timeout(brtc_turn_core *c, uint64_t now) {
  if (!c || now < c->deadline) return;
  uint64_t next = UINT64_MAX;
  for (size_t i = 0; i < MAX_RESERVATIONS; i++) {
    turn_reservation *r = &c->reservations[i];
    if (!r->port) continue;
    if (r->expires <= now) {
      release_port(c, r->port);
      r->port = 0;
    } else if (r->expires < next) {
      next = r->expires;
    }
  }
  for (uint32_t i = 0; i < c->n_slots; i++) {
    turn_alloc *a = &c->slots[i];
    if (a->state != SLOT_LIVE) continue;
    if (a->expires <= now) {
      c->st.allocations_expired++;
      close_alloc(c, a);
    } else if (a->expires < next) {
      next = a->expires;
    }
  }
  c->deadline = next;
}

/* Live, and not past its lifetime even if handle_timeout has not run yet. */
static bool live(const turn_alloc *a, uint64_t now) {
  return a && a->state == SLOT_LIVE && a->expires > now;
}

/* ---- permissions and channels ---- */

static void ip_only(brtc_addr *out, const brtc_addr *peer) {
  *out = *peer;
  brtc_addr_set_port(out, 0);
}

/* Double a per-allocation array (from 2, up to max): most allocations have one or two peers. */
static int grow(void **items, uint16_t *cap, size_t size, uint32_t max) {
  uint32_t n = *cap ? *cap * 2u : 2u;
  if (n > max) n = max;
  void *p = realloc(*items, n * size);
  if (!p) return BRTC_ERR_NOMEM;
  *items = p;
  *cap = (uint16_t)n;
  return BRTC_OK;
}

static turn_perm *find_perm(turn_alloc *a, const brtc_addr *peer, uint64_t now) {
  brtc_addr ip;
  ip_only(&ip, peer);
  for (uint16_t i = 0; i < a->n_perms; i++)
    if (a->perms[i].expires > now && brtc_addr_equal(&a->perms[i].ip, &ip)) return &a->perms[i];
  return NULL;
}

static int install_perm(const brtc_turn_core *c, turn_alloc *a, const brtc_addr *peer,
                        uint64_t now) {
  brtc_addr ip;
  ip_only(&ip, peer);
  uint64_t expires = now + BRTC_TURN_PERMISSION_LIFETIME_S * US_PER_S;
  uint16_t kept = 0;
  turn_perm *found = NULL;
  for (uint16_t i = 0; i < a->n_perms; i++) { /* prune the expired as we go */
    if (a->perms[i].expires <= now) continue;
    a->perms[kept] = a->perms[i];
    if (brtc_addr_equal(&a->perms[kept].ip, &ip)) found = &a->perms[kept];
    kept++;
  }
  a->n_perms = kept;
  if (found) {
    found->expires = expires;
    return BRTC_OK;
  }
  if (a->n_perms >= c->cfg.max_permissions) return BRTC_ERR_LIMIT;
  if (a->n_perms == a->cap_perms &&
      grow((void **)&a->perms, &a->cap_perms, sizeof(*a->perms), c->cfg.max_permissions) != BRTC_OK)
    return BRTC_ERR_NOMEM;
  a->perms[a->n_perms++] = (turn_perm){.ip = ip, .expires = expires};
  return BRTC_OK;
}

static turn_channel *channel_by_number(turn_alloc *a, uint16_t number, uint64_t now) {
  for (uint16_t i = 0; i < a->n_chans; i++)
    if (a->chans[i].number == number && a->chans[i].expires > now) return &a->chans[i];
  return NULL;
}

static turn_channel *channel_by_peer(turn_alloc *a, const brtc_addr *peer, uint64_t now) {
  for (uint16_t i = 0; i < a->n_chans; i++)
    if (a->chans[i].expires > now && brtc_addr_equal(&a->chans[i].peer, peer)) return &a->chans[i];
  return NULL;
}

/* RFC 8656 12.2: BRTC_ERR_PARSE when the number or the peer is bound otherwise (400),
 * BRTC_ERR_LIMIT when the allocation has all the channels it may (508). */
static int bind_channel(const brtc_turn_core *c, turn_alloc *a, uint16_t number,
                        const brtc_addr *peer, uint64_t now) {
  uint16_t kept = 0;
  for (uint16_t i = 0; i < a->n_chans; i++) /* prune what is past its quarantine */
    if (a->chans[i].expires + CHANNEL_QUARANTINE_US > now) a->chans[kept++] = a->chans[i];
  a->n_chans = kept;
  uint64_t expires = now + BRTC_TURN_CHANNEL_LIFETIME_S * US_PER_S;
  for (uint16_t i = 0; i < a->n_chans; i++) {
    turn_channel *ch = &a->chans[i];
    bool same_peer = brtc_addr_equal(&ch->peer, peer);
    if (ch->number == number) {
      if (!same_peer) return BRTC_ERR_PARSE; /* bound, or in quarantine, to another peer */
      ch->expires = expires;
      return BRTC_OK;
    }
    if (same_peer && ch->expires > now) return BRTC_ERR_PARSE; /* peer has another number */
  }
  if (a->n_chans >= c->cfg.max_channels) return BRTC_ERR_LIMIT;
  if (a->n_chans == a->cap_chans &&
      grow((void **)&a->chans, &a->cap_chans, sizeof(*a->chans), c->cfg.max_channels) != BRTC_OK)
    return BRTC_ERR_NOMEM;
  a->chans[a->n_chans++] = (turn_channel){.number = number, .peer = *peer, .expires = expires};
  return BRTC_OK;
}

/* ---- answers ---- */

static void to_client(brtc_turn_out *out, unsigned listener, const brtc_addr *to) {
  out->via = BRTC_TURN_VIA_LISTENER;
  out->listener = listener;
  out->to = *to;
  out->payload = NULL;
  out->payload_len = 0;
  out->pad = 0;
}

static brtc_turn_action finish(brtc_turn_core *c, const turn_req *r, brtc_stun_writer *w,
                               bool fingerprint, brtc_turn_out *out, bool ok) {
  size_t len;
  if (brtc_stun_finish(w, r->key, r->key ? 16 : 0, fingerprint, &len) != BRTC_OK) {
    c->st.dropped_malformed++; /* cannot happen with BRTC_TURN_OUT_MIN; never crash for it */
    return BRTC_TURN_ACT_NONE;
  }
  out->len = len;
  to_client(out, r->listener, r->from);
  if (ok)
    c->st.responses_ok++;
  else
    c->st.responses_error++;
  return BRTC_TURN_ACT_SEND;
}

static brtc_turn_action error_answer(brtc_turn_core *c, const turn_req *r, uint16_t code,
                                     const char *reason, brtc_turn_out *out) {
  brtc_stun_writer w;
  brtc_stun_writer_init(&w, out->buf, out->cap, (uint16_t)(r->method | BRTC_STUN_CLASS_ERROR),
                        r->msg->transaction_id);
  brtc_stun_add_error(&w, code, reason);
  turn_req unsigned_req = *r;
  if (code == 401 || code == 438) {
    /* RFC 8489 9.2.4: the challenge carries our realm and a fresh nonce, unsigned. */
    char nonce[BRTC_TURN_NONCE_LEN];
    brtc_turn_nonce_make(&c->auth, r->from, r->now, nonce);
    brtc_stun_add_bytes(&w, BRTC_STUN_ATTR_REALM, c->auth.realm, strlen(c->auth.realm));
    brtc_stun_add_bytes(&w, BRTC_STUN_ATTR_NONCE, nonce, sizeof(nonce));
    unsigned_req.key = NULL;
  } else if (code == 420 && r->attrs) {
    uint8_t list[2 * 8];
    for (size_t i = 0; i < r->attrs->n_unknown; i++) brtc_wr16(list + 2 * i, r->attrs->unknown[i]);
    brtc_stun_add_bytes(&w, BRTC_STUN_ATTR_UNKNOWN_ATTRIBUTES, list, 2 * r->attrs->n_unknown);
  }
  return finish(c, &unsigned_req, &w, r->msg->has_fingerprint, out, false);
}

static uint32_t clamp_lifetime(const brtc_turn_core *c, const brtc_turn_attrs *at) {
  uint32_t want = at->has_lifetime ? at->lifetime : c->cfg.default_lifetime_s;
  if (want > c->cfg.max_lifetime_s) want = c->cfg.max_lifetime_s;
  if (want < c->cfg.default_lifetime_s) want = c->cfg.default_lifetime_s;
  return want;
}

static void arm(brtc_turn_core *c, uint64_t t) {
  if (t < c->deadline) c->deadline = t;
}

/* The Allocate success: relayed and mapped addresses and the lifetime (RFC 8656 7.2). */
static brtc_turn_action allocate_success(brtc_turn_core *c, turn_alloc *a, uint64_t now,
                                         brtc_turn_out *out) {
  brtc_stun_msg msg = {.has_fingerprint = a->fingerprint};
  memcpy(msg.transaction_id, a->tid, 12);
  turn_req r = {.listener = a->listener, .from = &a->client, .msg = &msg,
                .method = BRTC_TURN_ALLOCATE, .key = a->key, .now = now};
  brtc_addr relayed = c->relay_ip;
  brtc_addr_set_port(&relayed, a->relay_port);
  uint64_t left = a->expires > now ? (a->expires - now) / US_PER_S : 0;
  brtc_stun_writer w;
  brtc_stun_writer_init(&w, out->buf, out->cap,
                        (uint16_t)(BRTC_TURN_ALLOCATE | BRTC_STUN_CLASS_SUCCESS), a->tid);
  brtc_stun_add_xor_address(&w, BRTC_TURN_ATTR_XOR_RELAYED_ADDRESS, &relayed);
  brtc_stun_add_u32(&w, BRTC_TURN_ATTR_LIFETIME, (uint32_t)left);
  brtc_stun_add_xor_address(&w, BRTC_STUN_ATTR_XOR_MAPPED_ADDRESS, &a->client);
  if (a->has_token) brtc_stun_add_bytes(&w, BRTC_TURN_ATTR_RESERVATION_TOKEN, a->token, 8);
  return finish(c, &r, &w, a->fingerprint, out, true);
}

static turn_reservation *find_reservation(brtc_turn_core *c, const uint8_t token[8],
                                          uint64_t now) {
  for (size_t i = 0; i < MAX_RESERVATIONS; i++)
    if (c->reservations[i].port && c->reservations[i].expires > now &&
        memcmp(c->reservations[i].token, token, 8) == 0)
      return &c->reservations[i];
  return NULL;
}

/* A free reservation entry, NULL when all are taken (then no port is kept: RFC 8656 lets
 * the server decline to reserve). */
static turn_reservation *free_reservation(brtc_turn_core *c) {
  for (size_t i = 0; i < MAX_RESERVATIONS; i++)
    if (!c->reservations[i].port) return &c->reservations[i];
  return NULL;
}

static size_t count_allocs(const brtc_turn_core *c, const turn_req *r, bool same_user) {
  size_t n = 0;
  for (uint32_t i = 0; i < c->n_slots; i++) {
    const turn_alloc *a = &c->slots[i];
    if (a->state != SLOT_LIVE && a->state != SLOT_OPENING) continue;
    if (same_user ? a->username_len == r->username_len &&
                        memcmp(a->username, r->username, r->username_len) == 0
                  : brtc_addr_family(&a->client) == brtc_addr_family(r->from) &&
                        (brtc_addr_family(r->from) == AF_INET
                             ? a->client.u.v4.sin_addr.s_addr == r->from->u.v4.sin_addr.s_addr
                             : memcmp(&a->client.u.v6.sin6_addr, &r->from->u.v6.sin6_addr, 16) == 0))
      n++;
  }
  return n;
}

static brtc_turn_action handle_allocate(brtc_turn_core *c, const turn_req *r, brtc_turn_out *out) {
  const brtc_turn_attrs *at = r->attrs;
  turn_alloc *a = find_alloc(c, r->listener, r->from);
  if (a) {
    if (a->state == SLOT_LIVE && memcmp(a->tid, r->msg->transaction_id, 12) == 0)
      return allocate_success(c, a, r->now, out); /* a retransmission */
    return error_answer(c, r, 437, "Allocation Mismatch", out);
  }
  if (!at->has_transport) return error_answer(c, r, 400, "Bad Request", out);
  if (at->transport != BRTC_TURN_TRANSPORT_UDP)
    return error_answer(c, r, 442, "Unsupported Transport Protocol", out);
  if (at->has_dont_fragment) { /* RFC 8656 7.2: we cannot set DF, so it is unknown to us */
    brtc_turn_attrs unknown = {.n_unknown = 1, .unknown = {BRTC_TURN_ATTR_DONT_FRAGMENT}};
    turn_req r2 = *r;
    r2.attrs = &unknown;
    return error_answer(c, &r2, 420, "Unknown Attribute", out);
  }
  if (at->has_reservation && at->has_even_port) return error_answer(c, r, 400, "Bad Request", out);
  int relay_family = brtc_addr_family(&c->relay_ip);
  if (at->has_additional_family ||
      (at->has_family &&
       at->family != (relay_family == AF_INET ? BRTC_TURN_FAMILY_IPV4 : BRTC_TURN_FAMILY_IPV6)))
    return error_answer(c, r, 440, "Address Family not Supported", out);
  if ((c->cfg.max_allocations_per_user && count_allocs(c, r, true) >= c->cfg.max_allocations_per_user) ||
      (c->cfg.max_allocations_per_source &&
       count_allocs(c, r, false) >= c->cfg.max_allocations_per_source)) {
    c->st.quota_refused++;
    return error_answer(c, r, 486, "Allocation Quota Reached", out);
  }
  if (c->free_head == NO_SLOT && grow_slots(c) != BRTC_OK) {
    c->st.capacity_refused++;
    return error_answer(c, r, 508, "Insufficient Capacity", out);
  }
  uint16_t port = 0;
  turn_reservation *keep = NULL;
  if (at->has_reservation) { /* the port an earlier EVEN-PORT kept for this token */
    turn_reservation *res = find_reservation(c, at->reservation, r->now);
    if (!res) {
      c->st.capacity_refused++;
      return error_answer(c, r, 508, "Insufficient Capacity", out);
    }
    port = res->port;
    res->port = 0;
  } else if (at->has_even_port && at->even_port_reserve) {
    keep = free_reservation(c);
  }
  char *username = malloc(r->username_len + 1);
  if (!username || (!port && !pick_port(c, at->has_even_port, keep != NULL, &port))) {
    free(username);
    if (port) release_port(c, port);
    c->st.capacity_refused++;
    return error_answer(c, r, 508, "Insufficient Capacity", out);
  }
  uint32_t slot = c->free_head;
  a = &c->slots[slot];
  c->free_head = a->next;
  memset(a, 0, sizeof(*a));
  a->state = SLOT_OPENING;
  a->fingerprint = r->msg->has_fingerprint;
  a->relay_port = port;
  a->listener = r->listener;
  a->client = *r->from;
  memcpy(a->key, r->key, 16);
  memcpy(a->tid, r->msg->transaction_id, 12);
  memcpy(username, r->username, r->username_len);
  username[r->username_len] = '\0';
  a->username = username;
  a->username_len = (uint16_t)r->username_len;
  a->lifetime_s = clamp_lifetime(c, at);
  if (keep && brtc_random_bytes(keep->token, sizeof(keep->token)) == BRTC_OK) {
    keep->port = (uint16_t)(port + 1);
    keep->expires = r->now + RESERVATION_US;
    arm(c, keep->expires);
    memcpy(a->token, keep->token, 8);
    a->has_token = true;
  } else if (keep) {
    release_port(c, (uint16_t)(port + 1));
  }
  hash_insert(c, slot);
  out->slot = slot;
  out->open_port = port;
  return BRTC_TURN_ACT_OPEN_RELAY;
}

brtc_turn_action brtc_turn_core_relay_opened(brtc_turn_core *c, uint32_t slot, bool ok,
                                             uint64_t now, brtc_turn_out *out) {
  if (!c || !out || slot >= c->n_slots || c->slots[slot].state != SLOT_OPENING)
    return BRTC_TURN_ACT_NONE;
  turn_alloc *a = &c->slots[slot];
  if (ok) {
    a->state = SLOT_LIVE;
    a->expires = now + a->lifetime_s * US_PER_S;
    arm(c, a->expires);
    c->st.allocations++;
    c->st.allocations_created++;
    return allocate_success(c, a, now, out);
  }
  /* The port is someone else's: try another, a few times, then give up with 508. */
  uint16_t port;
  bool even = (a->relay_port & 1) == 0;
  release_port(c, a->relay_port);
  c->port_cursor = (uint32_t)(a->relay_port - c->cfg.relay_port_min + 1) % c->n_ports;
  if (++a->tries < MAX_PORT_TRIES && pick_port(c, even, false, &port)) {
    a->relay_port = port;
    out->slot = slot;
    out->open_port = port;
    return BRTC_TURN_ACT_OPEN_RELAY;
  }
  a->relay_port = 0;
  brtc_stun_msg msg = {.has_fingerprint = a->fingerprint};
  memcpy(msg.transaction_id, a->tid, 12);
  brtc_addr client = a->client;
  uint8_t key[16];
  memcpy(key, a->key, 16);
  turn_req r = {.listener = a->listener, .from = &client, .msg = &msg,
                .method = BRTC_TURN_ALLOCATE, .key = key, .now = now};
  close_alloc(c, a);
  c->st.capacity_refused++;
  return error_answer(c, &r, 508, "Insufficient Capacity", out);
}

/* The allocation of this request's 5-tuple, made by the same user (RFC 8656 7.3, 9, 11). */
static turn_alloc *own_alloc(brtc_turn_core *c, const turn_req *r, uint16_t *code,
                             const char **reason) {
  turn_alloc *a = find_alloc(c, r->listener, r->from);
  if (!live(a, r->now)) {
    *code = 437;
    *reason = "Allocation Mismatch";
    return NULL;
  }
  if (a->username_len != r->username_len || memcmp(a->username, r->username, r->username_len)) {
    *code = 441;
    *reason = "Wrong Credentials";
    return NULL;
  }
  return a;
}

static brtc_turn_action handle_refresh(brtc_turn_core *c, const turn_req *r, brtc_turn_out *out) {
  uint16_t code;
  const char *reason;
  turn_alloc *a = own_alloc(c, r, &code, &reason);
  if (!a) return error_answer(c, r, code, reason, out);
  int relay_family = brtc_addr_family(&c->relay_ip);
  if (r->attrs->has_family &&
      r->attrs->family != (relay_family == AF_INET ? BRTC_TURN_FAMILY_IPV4 : BRTC_TURN_FAMILY_IPV6))
    return error_answer(c, r, 443, "Peer Address Family Mismatch", out);
  uint32_t lifetime = 0;
  if (r->attrs->has_lifetime && r->attrs->lifetime == 0) {
    c->st.allocations_deleted++;
    close_alloc(c, a);
  } else {
    lifetime = clamp_lifetime(c, r->attrs);
    a->expires = r->now + lifetime * US_PER_S;
    arm(c, a->expires);
  }
  brtc_stun_writer w;
  brtc_stun_writer_init(&w, out->buf, out->cap, (uint16_t)(BRTC_TURN_REFRESH | BRTC_STUN_CLASS_SUCCESS),
                        r->msg->transaction_id);
  brtc_stun_add_u32(&w, BRTC_TURN_ATTR_LIFETIME, lifetime);
  return finish(c, r, &w, r->msg->has_fingerprint, out, true);
}

/* 443 or 403 for a peer this allocation may not reach, 0 when it may. */
static uint16_t peer_refusal(brtc_turn_core *c, const brtc_addr *peer, const char **reason) {
  if (brtc_addr_family(peer) != brtc_addr_family(&c->relay_ip)) {
    *reason = "Peer Address Family Mismatch";
    return 443;
  }
  if (!brtc_turn_peer_allowed(&c->peers, peer)) {
    c->st.forbidden_peers++;
    *reason = "Forbidden";
    return 403;
  }
  return 0;
}

static brtc_turn_action empty_success(brtc_turn_core *c, const turn_req *r, brtc_turn_out *out) {
  brtc_stun_writer w;
  brtc_stun_writer_init(&w, out->buf, out->cap, (uint16_t)(r->method | BRTC_STUN_CLASS_SUCCESS),
                        r->msg->transaction_id);
  return finish(c, r, &w, r->msg->has_fingerprint, out, true);
}

static brtc_turn_action handle_create_permission(brtc_turn_core *c, const turn_req *r,
                                                 brtc_turn_out *out) {
  uint16_t code;
  const char *reason;
  turn_alloc *a = own_alloc(c, r, &code, &reason);
  if (!a) return error_answer(c, r, code, reason, out);
  if (r->attrs->n_peers == 0 || r->attrs->too_many_peers)
    return error_answer(c, r, 400, "Bad Request", out);
  /* RFC 8656 9.2: all or nothing, so check every peer before installing any. */
  for (size_t i = 0; i < r->attrs->n_peers; i++)
    if ((code = peer_refusal(c, &r->attrs->peers[i], &reason)) != 0)
      return error_answer(c, r, code, reason, out);
  for (size_t i = 0; i < r->attrs->n_peers; i++) {
    if (install_perm(c, a, &r->attrs->peers[i], r->now) != BRTC_OK) {
      c->st.capacity_refused++;
      return error_answer(c, r, 508, "Insufficient Capacity", out);
    }
    c->st.permissions_created++;
  }
  return empty_success(c, r, out);
}

static brtc_turn_action handle_channel_bind(brtc_turn_core *c, const turn_req *r,
                                            brtc_turn_out *out) {
  uint16_t code;
  const char *reason;
  turn_alloc *a = own_alloc(c, r, &code, &reason);
  if (!a) return error_answer(c, r, code, reason, out);
  const brtc_turn_attrs *at = r->attrs;
  if (!at->has_channel || at->n_peers != 1 || at->channel < BRTC_TURN_CHANNEL_MIN ||
      at->channel > BRTC_TURN_CHANNEL_MAX_RFC5766)
    return error_answer(c, r, 400, "Bad Request", out);
  if ((code = peer_refusal(c, &at->peers[0], &reason)) != 0)
    return error_answer(c, r, code, reason, out);
  int err = bind_channel(c, a, at->channel, &at->peers[0], r->now);
  if (err == BRTC_OK) err = install_perm(c, a, &at->peers[0], r->now); /* RFC 8656 12.2 */
  if (err == BRTC_ERR_PARSE) return error_answer(c, r, 400, "Bad Request", out);
  if (err != BRTC_OK) {
    c->st.capacity_refused++;
    return error_answer(c, r, 508, "Insufficient Capacity", out);
  }
  c->st.channels_bound++;
  return empty_success(c, r, out);
}

/* RFC 8489 9.2.4: the long-term credential mechanism. Returns BRTC_TURN_ACT_NONE with
 * r->key set when the request is authentic, else the challenge or error to send. */
static brtc_turn_action authenticate(brtc_turn_core *c, turn_req *r, uint8_t key[16],
                                     brtc_turn_out *out, bool *passed) {
  const brtc_stun_msg *m = r->msg;
  *passed = false;
  if (!m->has_integrity) {
    c->st.unauthenticated++;
    return error_answer(c, r, 401, "Unauthenticated", out);
  }
  if (!m->username || !m->realm || !m->nonce) return error_answer(c, r, 400, "Bad Request", out);
  if (!brtc_turn_nonce_valid(&c->auth, r->from, r->now, m->nonce, m->nonce_len)) {
    c->st.stale_nonces++;
    return error_answer(c, r, 438, "Stale Nonce", out);
  }
  if (m->realm_len != strlen(c->auth.realm) || memcmp(m->realm, c->auth.realm, m->realm_len) ||
      brtc_turn_auth_key(&c->auth, m->username, m->username_len, c->unix_s, key) != BRTC_OK) {
    c->st.auth_failures++;
    return error_answer(c, r, 401, "Unauthenticated", out);
  }
  r->username = m->username;
  r->username_len = m->username_len;
  *passed = true;
  return BRTC_TURN_ACT_NONE;
}

static brtc_turn_action handle_request(brtc_turn_core *c, turn_req *r, const uint8_t *data,
                                       size_t len, brtc_turn_out *out) {
  c->st.stun_requests++;
  if (r->method == BRTC_STUN_BINDING_REQUEST) {
    c->st.binding_requests++;
    if (r->attrs->n_unknown) return error_answer(c, r, 420, "Unknown Attribute", out);
    brtc_stun_writer w;
    brtc_stun_writer_init(&w, out->buf, out->cap, BRTC_STUN_BINDING_SUCCESS,
                          r->msg->transaction_id);
    brtc_stun_add_xor_address(&w, BRTC_STUN_ATTR_XOR_MAPPED_ADDRESS, r->from);
    return finish(c, r, &w, r->msg->has_fingerprint, out, true);
  }
  if (r->method != BRTC_TURN_ALLOCATE && r->method != BRTC_TURN_REFRESH &&
      r->method != BRTC_TURN_CREATE_PERMISSION && r->method != BRTC_TURN_CHANNEL_BIND)
    return error_answer(c, r, 400, "Bad Request", out);
  uint8_t key[16];
  bool passed;
  brtc_turn_action act = authenticate(c, r, key, out, &passed);
  if (!passed) return act;
  if (brtc_stun_check_integrity(data, len, r->msg, key, sizeof(key)) != BRTC_OK) {
    c->st.auth_failures++;
    return error_answer(c, r, 401, "Unauthenticated", out);
  }
  r->key = key;
  if (r->attrs->n_unknown) return error_answer(c, r, 420, "Unknown Attribute", out);
  switch (r->method) {
  case BRTC_TURN_ALLOCATE:
    return handle_allocate(c, r, out);
  case BRTC_TURN_REFRESH:
    return handle_refresh(c, r, out);
  case BRTC_TURN_CREATE_PERMISSION:
    return handle_create_permission(c, r, out);
  default:
    return handle_channel_bind(c, r, out);
  }
}

/* ---- relaying ---- */

static brtc_turn_action to_peer(brtc_turn_core *c, turn_alloc *a, const brtc_addr *peer,
                                const uint8_t *data, size_t n, brtc_turn_out *out) {
  out->via = (uint32_t)(a - c->slots);
  out->to = *peer;
  out->len = 0;
  out->payload = data;
  out->payload_len = n;
  out->pad = 0;
  c->st.to_peer_packets++;
  c->st.to_peer_bytes += n;
  return BRTC_TURN_ACT_SEND;
}

/* RFC 8656 10.2: a Send indication from the allocation's client, to a permitted peer. */
static brtc_turn_action handle_send(brtc_turn_core *c, unsigned listener, const brtc_addr *from,
                                    const brtc_turn_attrs *at, uint64_t now, brtc_turn_out *out) {
  turn_alloc *a = find_alloc(c, listener, from);
  if (!live(a, now)) {
    c->st.dropped_no_allocation++;
    return BRTC_TURN_ACT_NONE;
  }
  if (at->n_peers != 1 || !at->has_data) {
    c->st.dropped_malformed++;
    return BRTC_TURN_ACT_NONE;
  }
  if (!find_perm(a, &at->peers[0], now)) {
    c->st.dropped_no_permission++;
    return BRTC_TURN_ACT_NONE;
  }
  return to_peer(c, a, &at->peers[0], at->data, at->data_len, out);
}

/* RFC 8656 12.6: ChannelData from the client, on a bound channel. */
static brtc_turn_action client_channel_data(brtc_turn_core *c, unsigned listener,
                                            const brtc_addr *from, const uint8_t *data,
                                            size_t len, uint64_t now, brtc_turn_out *out) {
  uint16_t number = brtc_rd16(data), n = brtc_rd16(data + 2);
  if ((size_t)n > len - BRTC_TURN_CHANNEL_HEADER) {
    c->st.dropped_malformed++;
    return BRTC_TURN_ACT_NONE;
  }
  turn_alloc *a = find_alloc(c, listener, from);
  if (!live(a, now)) {
    c->st.dropped_no_allocation++;
    return BRTC_TURN_ACT_NONE;
  }
  turn_channel *ch = channel_by_number(a, number, now);
  if (!ch) {
    c->st.dropped_no_channel++;
    return BRTC_TURN_ACT_NONE;
  }
  if (!find_perm(a, &ch->peer, now)) {
    c->st.dropped_no_permission++;
    return BRTC_TURN_ACT_NONE;
  }
  return to_peer(c, a, &ch->peer, data + BRTC_TURN_CHANNEL_HEADER, n, out);
}

brtc_turn_action brtc_turn_core_from_client(brtc_turn_core *c, unsigned listener,
                                            const brtc_addr *from, const uint8_t *data,
                                            size_t len, uint64_t now, brtc_turn_out *out) {
  if (!c || !from || !data || !out || !out->buf || out->cap < BRTC_TURN_OUT_MIN)
    return BRTC_TURN_ACT_NONE;
  if (brtc_turn_is_channel_data(data, len))
    return client_channel_data(c, listener, from, data, len, now, out);
  brtc_stun_msg msg;
  if (!brtc_stun_is_stun(data, len) || brtc_stun_parse(data, len, &msg) != BRTC_OK) {
    c->st.dropped_malformed++;
    return BRTC_TURN_ACT_NONE;
  }
  uint16_t cls = BRTC_STUN_CLASS(msg.type), method = BRTC_STUN_METHOD(msg.type);
  brtc_turn_attrs attrs;
  bool attrs_ok = brtc_turn_parse_attrs(data, len, &msg, &attrs) == BRTC_OK;
  if (cls == BRTC_STUN_CLASS_INDICATION) {
    if (method == BRTC_TURN_SEND) {
      if (attrs_ok) return handle_send(c, listener, from, &attrs, now, out);
      c->st.dropped_malformed++;
    } else if (method != BRTC_STUN_BINDING_REQUEST) { /* a Binding indication is a keepalive */
      c->st.dropped_unexpected++;
    }
    return BRTC_TURN_ACT_NONE;
  }
  if (cls != BRTC_STUN_CLASS_REQUEST) {
    c->st.dropped_unexpected++;
    return BRTC_TURN_ACT_NONE;
  }
  turn_req r = {.listener = listener, .from = from, .msg = &msg, .attrs = &attrs,
                .method = method, .now = now};
  if (!attrs_ok) {
    c->st.stun_requests++;
    return error_answer(c, &r, 400, "Bad Request", out);
  }
  return handle_request(c, &r, data, len, out);
}

brtc_turn_action brtc_turn_core_from_peer(brtc_turn_core *c, uint32_t slot, const brtc_addr *from,
                                          const uint8_t *data, size_t len, uint64_t now,
                                          brtc_turn_out *out) {
  if (!c || !from || !data || !out || !out->buf || out->cap < BRTC_TURN_OUT_MIN)
    return BRTC_TURN_ACT_NONE;
  if (slot >= c->n_slots || !live(&c->slots[slot], now)) {
    c->st.dropped_no_allocation++;
    return BRTC_TURN_ACT_NONE;
  }
  turn_alloc *a = &c->slots[slot];
  if (!find_perm(a, from, now)) { /* RFC 8656 11: no permission, no entry */
    c->st.dropped_no_permission++;
    return BRTC_TURN_ACT_NONE;
  }
  to_client(out, a->listener, &a->client);
  out->payload = data;
  out->payload_len = len;
  turn_channel *ch = channel_by_peer(a, from, now);
  if (ch) { /* RFC 8656 12.5: ChannelData; over UDP no padding is needed */
    if (len > UINT16_MAX) {
      c->st.dropped_malformed++;
      return BRTC_TURN_ACT_NONE;
    }
    brtc_wr16(out->buf, ch->number);
    brtc_wr16(out->buf + 2, (uint16_t)len);
    out->len = BRTC_TURN_CHANNEL_HEADER;
  } else { /* RFC 8656 11.3: a Data indication */
    size_t padded = (len + 3) & ~(size_t)3;
    uint8_t tid[12];
    uint64_t n = ++c->indication_counter;
    brtc_wr64(tid, n);
    brtc_wr32(tid + 8, (uint32_t)slot);
    brtc_stun_writer w;
    brtc_stun_writer_init(&w, out->buf, out->cap,
                          (uint16_t)(BRTC_TURN_DATA | BRTC_STUN_CLASS_INDICATION), tid);
    brtc_stun_add_xor_address(&w, BRTC_TURN_ATTR_XOR_PEER_ADDRESS, from);
    size_t body = w.len - BRTC_STUN_HEADER_SIZE + 4 + padded;
    if (w.err != BRTC_OK || body > UINT16_MAX || w.len + 4 > out->cap) {
      c->st.dropped_malformed++;
      return BRTC_TURN_ACT_NONE;
    }
    uint8_t *p = out->buf + w.len;
    brtc_wr16(p, BRTC_TURN_ATTR_DATA);
    brtc_wr16(p + 2, (uint16_t)len);
    brtc_wr16(out->buf + 2, (uint16_t)body);
    out->len = w.len + 4;
    out->pad = padded - len;
  }
  c->st.to_client_packets++;
  c->st.to_client_bytes += len;
  return BRTC_TURN_ACT_SEND;
}
