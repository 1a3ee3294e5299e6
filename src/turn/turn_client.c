/* The TURN client core: one allocation on one server, its permissions and channels, the
 * long-term credential dance and RFC 8489 retransmissions. */
#include "turn/turn_client.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "boltrtc/error.h"
#include "common/bytes.h"
#include "common/random.h"
#include "stun/stun.h"
#include "turn/turn_auth.h"
#include "turn/turn_proto.h"

#define US_PER_MS 1000ull
#define US_PER_S 1000000ull
#define TX_BUF 512 /* our requests are small: a few addresses and the credentials */
/* Refresh a permission a minute before its 5 minutes end; a bound channel is refreshed by
 * ChannelBind at the same pace, which refreshes its permission too (RFC 8656 12.2). */
#define PERMISSION_REFRESH_US (240 * US_PER_S)

typedef enum { TX_NONE = 0, TX_ALLOCATE, TX_REFRESH, TX_PERMISSION, TX_CHANNEL } tx_kind;

typedef struct turn_tx {
  uint8_t kind;
  bool send_now;
  uint8_t peer; /* index into peers for permissions and channels */
  unsigned sends;
  uint8_t tid[12];
  uint64_t next_us;  /* the next transmission, or the give-up time after the last */
  uint64_t rto_us;   /* current interval, doubling */
  uint32_t lifetime; /* a Refresh's LIFETIME (0 deletes) */
} turn_tx;

typedef struct turn_peer {
  bool used, want_channel, perm_ok, chan_ok;
  uint16_t channel;
  brtc_addr addr;
  uint64_t refresh_us; /* when to send the next CreatePermission or ChannelBind */
} turn_peer;

#define MAX_EVENTS 32

struct brtc_turn_client {
  brtc_turn_client_config cfg;
  char *username, *password;
  brtc_turn_client_state state;
  char realm[BRTC_TURN_MAX_REALM + 1];
  uint8_t nonce[128];
  size_t nonce_len;
  bool have_key;
  uint8_t key[16];
  bool auth_tried; /* an authenticated Allocate got 401: the credentials are wrong */
  brtc_addr relayed, mapped;
  uint32_t lifetime_s;
  uint64_t refresh_us; /* next allocation Refresh */
  turn_tx tx[BRTC_TURN_CLIENT_MAX_TX];
  turn_peer peers[BRTC_TURN_CLIENT_MAX_PEERS];
  uint16_t next_channel;
  brtc_turn_client_event events[MAX_EVENTS];
  size_t ev_head, ev_count;
  uint64_t transmissions;
};

brtc_turn_client *brtc_turn_client_new(const brtc_turn_client_config *config) {
  if (!config || !config->username || !config->password) return NULL;
  brtc_turn_client *cl = calloc(1, sizeof(*cl));
  if (!cl) return NULL;
  cl->cfg = *config;
  if (!cl->cfg.rto_ms) cl->cfg.rto_ms = 500;
  /* RFC 8489 6.2.2: over a reliable transport a request is sent once and given up on after
   * Ti = 39.5 s (79 x the 500 ms RTO). */
  if (!cl->cfg.rc) cl->cfg.rc = cl->cfg.stream ? 1 : 7;
  if (!cl->cfg.rm) cl->cfg.rm = cl->cfg.stream ? 79 : 16;
  cl->username = strdup(config->username);
  cl->password = strdup(config->password);
  cl->cfg.username = cl->cfg.password = NULL;
  cl->next_channel = BRTC_TURN_CHANNEL_MIN;
  if (!cl->username || !cl->password) {
    brtc_turn_client_free(cl);
    return NULL;
  }
  return cl;
}

void brtc_turn_client_free(brtc_turn_client *cl) {
  if (!cl) return;
  free(cl->username);
  if (cl->password) OPENSSL_clear_free(cl->password, strlen(cl->password));
  OPENSSL_cleanse(cl->key, sizeof(cl->key));
  free(cl);
}

static void emit(brtc_turn_client *cl, const brtc_turn_client_event *ev) {
  if (cl->ev_count == MAX_EVENTS) return; /* the owner stopped polling: drop the newest */
  cl->events[(cl->ev_head + cl->ev_count++) % MAX_EVENTS] = *ev;
}

bool brtc_turn_client_poll_event(brtc_turn_client *cl, brtc_turn_client_event *ev) {
  if (!cl || !ev || cl->ev_count == 0) return false;
  *ev = cl->events[cl->ev_head];
  cl->ev_head = (cl->ev_head + 1) % MAX_EVENTS;
  cl->ev_count--;
  return true;
}

static void fail(brtc_turn_client *cl, uint16_t code) {
  cl->state = BRTC_TURN_CLIENT_FAILED;
  memset(cl->tx, 0, sizeof(cl->tx));
  emit(cl, &(brtc_turn_client_event){.kind = BRTC_TURN_EV_FAILED, .error_code = code});
}

/* Start a transaction: sent at the next poll_transmit. */
static int start_tx(brtc_turn_client *cl, tx_kind kind, uint8_t peer, uint32_t lifetime,
                    uint64_t now) {
  for (size_t i = 0; i < BRTC_TURN_CLIENT_MAX_TX; i++) {
    turn_tx *t = &cl->tx[i];
    if (t->kind != TX_NONE) continue;
    memset(t, 0, sizeof(*t));
    if (brtc_random_bytes(t->tid, sizeof(t->tid)) != BRTC_OK) return BRTC_ERR_CRYPTO;
    t->kind = (uint8_t)kind;
    t->peer = peer;
    t->lifetime = lifetime;
    t->send_now = true;
    t->next_us = now;
    t->rto_us = cl->cfg.rto_ms * US_PER_MS;
    return BRTC_OK;
  }
  return BRTC_ERR_LIMIT;
}

static bool tx_pending(const brtc_turn_client *cl, tx_kind kind, uint8_t peer) {
  for (size_t i = 0; i < BRTC_TURN_CLIENT_MAX_TX; i++)
    if (cl->tx[i].kind == kind && (kind == TX_ALLOCATE || kind == TX_REFRESH || cl->tx[i].peer == peer))
      return true;
  return false;
}

int brtc_turn_client_allocate(brtc_turn_client *cl, uint64_t now) {
  if (!cl) return BRTC_ERR_INVALID;
  if (cl->state != BRTC_TURN_CLIENT_IDLE) return BRTC_ERR_STATE;
  cl->state = BRTC_TURN_CLIENT_ALLOCATING;
  return start_tx(cl, TX_ALLOCATE, 0, 0, now);
}

static int peer_index(brtc_turn_client *cl, const brtc_addr *peer, bool add) {
  int free_slot = -1;
  for (int i = 0; i < BRTC_TURN_CLIENT_MAX_PEERS; i++) {
    if (cl->peers[i].used && brtc_addr_equal(&cl->peers[i].addr, peer)) return i;
    if (!cl->peers[i].used && free_slot < 0) free_slot = i;
  }
  if (!add || free_slot < 0) return -1;
  memset(&cl->peers[free_slot], 0, sizeof(cl->peers[free_slot]));
  cl->peers[free_slot].used = true;
  cl->peers[free_slot].addr = *peer;
  /* Refreshed once its first CreatePermission or ChannelBind is answered: until then the
   * transaction's own timer runs (a refresh time of 0 made the deadline "now" for good). */
  cl->peers[free_slot].refresh_us = UINT64_MAX;
  return free_slot;
}

int brtc_turn_client_create_permission(brtc_turn_client *cl, const brtc_addr *peer, uint64_t now) {
  if (!cl || !peer) return BRTC_ERR_INVALID;
  if (cl->state != BRTC_TURN_CLIENT_ALLOCATED) return BRTC_ERR_STATE;
  int i = peer_index(cl, peer, true);
  if (i < 0) return BRTC_ERR_LIMIT;
  if (tx_pending(cl, TX_PERMISSION, (uint8_t)i)) return BRTC_OK;
  return start_tx(cl, TX_PERMISSION, (uint8_t)i, 0, now);
}

int brtc_turn_client_bind_channel(brtc_turn_client *cl, const brtc_addr *peer, uint64_t now) {
  if (!cl || !peer) return BRTC_ERR_INVALID;
  if (cl->state != BRTC_TURN_CLIENT_ALLOCATED) return BRTC_ERR_STATE;
  int i = peer_index(cl, peer, true);
  if (i < 0) return BRTC_ERR_LIMIT;
  turn_peer *p = &cl->peers[i];
  if (!p->want_channel) {
    if (cl->next_channel > BRTC_TURN_CHANNEL_MAX) return BRTC_ERR_LIMIT;
    p->want_channel = true;
    p->channel = cl->next_channel++;
  }
  if (tx_pending(cl, TX_CHANNEL, (uint8_t)i)) return BRTC_OK;
  return start_tx(cl, TX_CHANNEL, (uint8_t)i, 0, now);
}

int brtc_turn_client_refresh_now(brtc_turn_client *cl, uint64_t now) {
  if (!cl) return BRTC_ERR_INVALID;
  if (cl->state != BRTC_TURN_CLIENT_ALLOCATED) return BRTC_ERR_STATE;
  if (tx_pending(cl, TX_REFRESH, 0)) return BRTC_OK; /* its answer tells the same */
  cl->refresh_us = UINT64_MAX; /* set again by the answer */
  return start_tx(cl, TX_REFRESH, 0, 0, now);
}

int brtc_turn_client_close(brtc_turn_client *cl, uint64_t now) {
  if (!cl) return BRTC_ERR_INVALID;
  if (cl->state != BRTC_TURN_CLIENT_ALLOCATED) return BRTC_ERR_STATE;
  memset(cl->tx, 0, sizeof(cl->tx));
  cl->state = BRTC_TURN_CLIENT_CLOSING;
  return start_tx(cl, TX_REFRESH, 0, 0, now);
}

/* ---- requests ---- */

static size_t build_request(brtc_turn_client *cl, const turn_tx *t, uint8_t *buf, size_t cap) {
  static const uint16_t method[] = {0, BRTC_TURN_ALLOCATE, BRTC_TURN_REFRESH,
                                    BRTC_TURN_CREATE_PERMISSION, BRTC_TURN_CHANNEL_BIND};
  brtc_stun_writer w;
  brtc_stun_writer_init(&w, buf, cap, method[t->kind], t->tid);
  const turn_peer *p = &cl->peers[t->peer];
  switch (t->kind) {
  case TX_ALLOCATE:
    brtc_stun_add_u32(&w, BRTC_TURN_ATTR_REQUESTED_TRANSPORT, (uint32_t)BRTC_TURN_TRANSPORT_UDP << 24);
    if (cl->cfg.lifetime_s) brtc_stun_add_u32(&w, BRTC_TURN_ATTR_LIFETIME, cl->cfg.lifetime_s);
    break;
  case TX_REFRESH:
    brtc_stun_add_u32(&w, BRTC_TURN_ATTR_LIFETIME,
                      cl->state == BRTC_TURN_CLIENT_CLOSING ? 0
                      : cl->cfg.lifetime_s                  ? cl->cfg.lifetime_s
                                                            : cl->lifetime_s);
    break;
  case TX_CHANNEL:
    brtc_stun_add_u32(&w, BRTC_TURN_ATTR_CHANNEL_NUMBER, (uint32_t)p->channel << 16);
    brtc_stun_add_xor_address(&w, BRTC_TURN_ATTR_XOR_PEER_ADDRESS, &p->addr);
    break;
  case TX_PERMISSION:
    brtc_stun_add_xor_address(&w, BRTC_TURN_ATTR_XOR_PEER_ADDRESS, &p->addr);
    break;
  default:
    return 0;
  }
  if (cl->have_key) {
    brtc_stun_add_bytes(&w, BRTC_STUN_ATTR_USERNAME, cl->username, strlen(cl->username));
    brtc_stun_add_bytes(&w, BRTC_STUN_ATTR_REALM, cl->realm, strlen(cl->realm));
    brtc_stun_add_bytes(&w, BRTC_STUN_ATTR_NONCE, cl->nonce, cl->nonce_len);
  }
  size_t len = 0;
  if (brtc_stun_finish(&w, cl->have_key ? cl->key : NULL, 16, true, &len) != BRTC_OK) return 0;
  return len;
}

/* A transaction that got no answer: the allocation's own are fatal, a peer's is reported. */
static void tx_gave_up(brtc_turn_client *cl, turn_tx *t, uint16_t code) {
  turn_tx done = *t;
  memset(t, 0, sizeof(*t));
  if (done.kind == TX_ALLOCATE || done.kind == TX_REFRESH) {
    if (cl->state == BRTC_TURN_CLIENT_CLOSING) {
      cl->state = BRTC_TURN_CLIENT_CLOSED;
      emit(cl, &(brtc_turn_client_event){.kind = BRTC_TURN_EV_CLOSED});
    } else {
      fail(cl, code);
    }
    return;
  }
  turn_peer *p = &cl->peers[done.peer];
  if (done.kind == TX_PERMISSION) p->perm_ok = false;
  if (done.kind == TX_CHANNEL) p->chan_ok = false;
  emit(cl, &(brtc_turn_client_event){.kind = BRTC_TURN_EV_REQUEST_FAILED, .peer = p->addr,
                                     .channel = p->channel, .error_code = code});
}

size_t brtc_turn_client_poll_transmit(brtc_turn_client *cl, uint64_t now, uint8_t *buf, size_t cap) {
  if (!cl || !buf) return 0;
  for (size_t i = 0; i < BRTC_TURN_CLIENT_MAX_TX; i++) {
    turn_tx *t = &cl->tx[i];
    if (t->kind == TX_NONE || !t->send_now) continue;
    size_t len = build_request(cl, t, buf, cap);
    t->send_now = false;
    if (len == 0) {
      tx_gave_up(cl, t, 0);
      continue;
    }
    /* RFC 8489 6.2.1: RTO, then doubling; after the Rc-th, wait Rm x RTO for an answer. */
    t->sends++;
    cl->transmissions++;
    if (t->sends < cl->cfg.rc) {
      t->next_us = now + t->rto_us;
      t->rto_us *= 2;
    } else {
      t->next_us = now + (uint64_t)cl->cfg.rm * cl->cfg.rto_ms * US_PER_MS;
    }
    return len;
  }
  return 0;
}

void brtc_turn_client_handle_timeout(brtc_turn_client *cl, uint64_t now) {
  if (!cl) return;
  for (size_t i = 0; i < BRTC_TURN_CLIENT_MAX_TX; i++) {
    turn_tx *t = &cl->tx[i];
    if (t->kind == TX_NONE || t->send_now || t->next_us > now) continue;
    if (t->sends >= cl->cfg.rc)
      tx_gave_up(cl, t, 0);
    else
      t->send_now = true;
  }
  if (cl->state != BRTC_TURN_CLIENT_ALLOCATED) return;
  if (now >= cl->refresh_us && !tx_pending(cl, TX_REFRESH, 0)) {
    cl->refresh_us = UINT64_MAX; /* set again by the answer */
    (void)start_tx(cl, TX_REFRESH, 0, 0, now);
  }
  for (int i = 0; i < BRTC_TURN_CLIENT_MAX_PEERS; i++) {
    turn_peer *p = &cl->peers[i];
    if (!p->used || now < p->refresh_us) continue;
    tx_kind kind = p->want_channel ? TX_CHANNEL : TX_PERMISSION;
    if (!tx_pending(cl, kind, (uint8_t)i) && start_tx(cl, kind, (uint8_t)i, 0, now) == BRTC_OK)
      p->refresh_us = UINT64_MAX;
  }
}

uint64_t brtc_turn_client_deadline(const brtc_turn_client *cl) {
  if (!cl) return UINT64_MAX;
  uint64_t d = UINT64_MAX;
  for (size_t i = 0; i < BRTC_TURN_CLIENT_MAX_TX; i++)
    if (cl->tx[i].kind != TX_NONE && cl->tx[i].next_us < d) d = cl->tx[i].next_us;
  if (cl->state == BRTC_TURN_CLIENT_ALLOCATED) {
    if (cl->refresh_us < d) d = cl->refresh_us;
    for (int i = 0; i < BRTC_TURN_CLIENT_MAX_PEERS; i++)
      if (cl->peers[i].used && cl->peers[i].refresh_us < d) d = cl->peers[i].refresh_us;
  }
  return d;
}

brtc_turn_client_state brtc_turn_client_get_state(const brtc_turn_client *cl) {
  return cl ? cl->state : BRTC_TURN_CLIENT_FAILED;
}

uint64_t brtc_turn_client_transmissions(const brtc_turn_client *cl) {
  return cl ? cl->transmissions : 0;
}

/* ---- answers ---- */

/* Take realm and nonce from a 401 or 438 (RFC 8489 9.2.5) and derive the key. */
static bool take_challenge(brtc_turn_client *cl, const brtc_stun_msg *m) {
  if (!m->realm || !m->nonce || m->realm_len > BRTC_TURN_MAX_REALM ||
      m->nonce_len > sizeof(cl->nonce))
    return false;
  memcpy(cl->realm, m->realm, m->realm_len);
  cl->realm[m->realm_len] = '\0';
  if (strlen(cl->realm) != m->realm_len) return false;
  memcpy(cl->nonce, m->nonce, m->nonce_len);
  cl->nonce_len = m->nonce_len;
  cl->have_key = brtc_stun_long_term_key(cl->username, cl->realm, cl->password, cl->key) == BRTC_OK;
  return cl->have_key;
}

/* Send the same request again as a new transaction (new nonce or credentials). */
static void restart_tx(brtc_turn_client *cl, turn_tx *t, uint64_t now) {
  turn_tx old = *t;
  memset(t, 0, sizeof(*t));
  if (brtc_random_bytes(t->tid, sizeof(t->tid)) != BRTC_OK) {
    *t = old;
    tx_gave_up(cl, t, 0);
    return;
  }
  t->kind = old.kind;
  t->peer = old.peer;
  t->lifetime = old.lifetime;
  t->send_now = true;
  t->next_us = now;
  t->rto_us = cl->cfg.rto_ms * US_PER_MS;
}

static uint64_t refresh_time(uint64_t now, uint32_t lifetime_s) {
  /* A minute before it ends, or halfway for a short one. */
  uint64_t ahead = lifetime_s > 120 ? 60 : lifetime_s / 2;
  return now + (lifetime_s - ahead) * US_PER_S;
}

static void on_success(brtc_turn_client *cl, turn_tx *t, const uint8_t *buf, size_t len,
                       const brtc_stun_msg *m, uint64_t now) {
  brtc_turn_attrs at;
  if (brtc_turn_parse_attrs(buf, len, m, &at) != BRTC_OK) at = (brtc_turn_attrs){0};
  turn_tx done = *t;
  memset(t, 0, sizeof(*t));
  turn_peer *p = &cl->peers[done.peer];
  switch (done.kind) {
  case TX_ALLOCATE:
    if (!at.has_relayed || !at.has_lifetime) {
      fail(cl, 0);
      return;
    }
    cl->state = BRTC_TURN_CLIENT_ALLOCATED;
    cl->relayed = at.relayed;
    if (m->has_xor_mapped) cl->mapped = m->xor_mapped;
    cl->lifetime_s = at.lifetime;
    cl->refresh_us = refresh_time(now, at.lifetime);
    emit(cl, &(brtc_turn_client_event){.kind = BRTC_TURN_EV_ALLOCATED, .relayed = cl->relayed,
                                       .mapped = cl->mapped, .lifetime_s = at.lifetime});
    break;
  case TX_REFRESH:
    if (cl->state == BRTC_TURN_CLIENT_CLOSING) {
      cl->state = BRTC_TURN_CLIENT_CLOSED;
      emit(cl, &(brtc_turn_client_event){.kind = BRTC_TURN_EV_CLOSED});
      return;
    }
    if (at.has_lifetime) cl->lifetime_s = at.lifetime;
    cl->refresh_us = refresh_time(now, cl->lifetime_s);
    emit(cl, &(brtc_turn_client_event){.kind = BRTC_TURN_EV_REFRESHED, .lifetime_s = cl->lifetime_s});
    break;
  case TX_PERMISSION:
    p->perm_ok = true;
    if (!p->want_channel) p->refresh_us = now + PERMISSION_REFRESH_US;
    emit(cl, &(brtc_turn_client_event){.kind = BRTC_TURN_EV_PERMISSION, .peer = p->addr});
    break;
  case TX_CHANNEL:
    p->perm_ok = p->chan_ok = true;
    p->refresh_us = now + PERMISSION_REFRESH_US;
    emit(cl, &(brtc_turn_client_event){.kind = BRTC_TURN_EV_CHANNEL, .peer = p->addr,
                                       .channel = p->channel});
    break;
  default:
    break;
  }
}

static void on_error(brtc_turn_client *cl, turn_tx *t, const brtc_stun_msg *m, uint64_t now) {
  uint16_t code = m->has_error ? m->error_code : 400;
  if (code == 438 && take_challenge(cl, m)) { /* RFC 8489 9.2.5: retry with the new nonce */
    restart_tx(cl, t, now);
    return;
  }
  if (code == 401 && !cl->auth_tried && t->kind == TX_ALLOCATE && take_challenge(cl, m)) {
    cl->auth_tried = true; /* the first 401 is the challenge; a second means bad credentials */
    restart_tx(cl, t, now);
    return;
  }
  if (code == 437 && t->kind == TX_REFRESH && cl->state == BRTC_TURN_CLIENT_CLOSING) {
    /* RFC 8656 7.3: a retransmitted delete finds the allocation already gone */
    tx_gave_up(cl, t, code);
    return;
  }
  tx_gave_up(cl, t, code);
}

static int handle_channel_data(brtc_turn_client *cl, const uint8_t *buf, size_t len,
                               brtc_turn_client_data *data) {
  uint16_t number = brtc_rd16(buf), n = brtc_rd16(buf + 2);
  if ((size_t)n > len - BRTC_TURN_CHANNEL_HEADER) return BRTC_ERR_PARSE;
  for (int i = 0; i < BRTC_TURN_CLIENT_MAX_PEERS; i++) {
    const turn_peer *p = &cl->peers[i];
    if (p->used && p->chan_ok && p->channel == number) {
      data->peer = p->addr;
      data->payload = buf + BRTC_TURN_CHANNEL_HEADER;
      data->len = n;
      return 1;
    }
  }
  return BRTC_ERR_NOT_FOUND;
}

int brtc_turn_client_handle(brtc_turn_client *cl, const uint8_t *buf, size_t len, uint64_t now,
                            brtc_turn_client_data *data) {
  if (!cl || !buf || !data) return BRTC_ERR_INVALID;
  if (brtc_turn_is_channel_data(buf, len)) return handle_channel_data(cl, buf, len, data);
  brtc_stun_msg m;
  if (!brtc_stun_is_stun(buf, len) || brtc_stun_parse(buf, len, &m) != BRTC_OK)
    return BRTC_ERR_PARSE;
  uint16_t cls = BRTC_STUN_CLASS(m.type), method = BRTC_STUN_METHOD(m.type);
  if (cls == BRTC_STUN_CLASS_INDICATION) {
    brtc_turn_attrs at;
    if (method != BRTC_TURN_DATA || brtc_turn_parse_attrs(buf, len, &m, &at) != BRTC_OK ||
        at.n_peers != 1 || !at.has_data)
      return BRTC_ERR_PARSE;
    data->peer = at.peers[0];
    data->payload = at.data;
    data->len = at.data_len;
    return 1;
  }
  if (cls != BRTC_STUN_CLASS_SUCCESS && cls != BRTC_STUN_CLASS_ERROR) return BRTC_ERR_PARSE;
  turn_tx *t = NULL;
  for (size_t i = 0; i < BRTC_TURN_CLIENT_MAX_TX && !t; i++)
    if (cl->tx[i].kind != TX_NONE && memcmp(cl->tx[i].tid, m.transaction_id, 12) == 0)
      t = &cl->tx[i];
  if (!t) return BRTC_ERR_NOT_FOUND;
  /* An answer to an authenticated request must be signed with our key (RFC 8489 9.2.5);
   * 401 and 438 come unsigned, and are only acted on as a fresh challenge. */
  bool challenge = cls == BRTC_STUN_CLASS_ERROR && (m.error_code == 401 || m.error_code == 438);
  if (cl->have_key && !challenge &&
      brtc_stun_check_integrity(buf, len, &m, cl->key, sizeof(cl->key)) != BRTC_OK)
    return BRTC_ERR_AUTH;
  if (cls == BRTC_STUN_CLASS_SUCCESS)
    on_success(cl, t, buf, len, &m, now);
  else
    on_error(cl, t, &m, now);
  return 0;
}

int brtc_turn_client_wrap(brtc_turn_client *cl, const brtc_addr *peer, const uint8_t *data,
                          size_t len, uint8_t *buf, size_t cap, size_t *out_len) {
  if (!cl || !peer || (!data && len) || !buf || !out_len) return BRTC_ERR_INVALID;
  *out_len = 0;
  if (cl->state != BRTC_TURN_CLIENT_ALLOCATED) return BRTC_ERR_STATE;
  int i = peer_index(cl, peer, false);
  if (i >= 0 && cl->peers[i].chan_ok) { /* RFC 8656 12.4 */
    size_t pad = cl->cfg.stream ? (4 - len % 4) % 4 : 0; /* RFC 8656 12.5: over TCP, padded */
    if (len > UINT16_MAX || cap < BRTC_TURN_CHANNEL_HEADER + len + pad) return BRTC_ERR_TOO_BIG;
    brtc_wr16(buf, cl->peers[i].channel);
    brtc_wr16(buf + 2, (uint16_t)len);
    if (len) memcpy(buf + BRTC_TURN_CHANNEL_HEADER, data, len);
    memset(buf + BRTC_TURN_CHANNEL_HEADER + len, 0, pad);
    *out_len = BRTC_TURN_CHANNEL_HEADER + len + pad;
    return BRTC_OK;
  }
  uint8_t tid[12];
  if (brtc_random_bytes(tid, sizeof(tid)) != BRTC_OK) return BRTC_ERR_CRYPTO;
  brtc_stun_writer w; /* RFC 8656 10.1 */
  brtc_stun_writer_init(&w, buf, cap, (uint16_t)(BRTC_TURN_SEND | BRTC_STUN_CLASS_INDICATION), tid);
  brtc_stun_add_xor_address(&w, BRTC_TURN_ATTR_XOR_PEER_ADDRESS, peer);
  brtc_stun_add_bytes(&w, BRTC_TURN_ATTR_DATA, data, len);
  return brtc_stun_finish(&w, NULL, 0, false, out_len);
}
