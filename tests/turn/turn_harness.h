/* A TURN server core and client cores wired together in memory, on a simulated clock: what
 * the client sends reaches the server, what the server sends to a client reaches it, relay
 * sockets open at once unless a test says a port is taken. */
#ifndef BRTC_TESTS_TURN_HARNESS_H
#define BRTC_TESTS_TURN_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "boltrtc/error.h"
#include "common/addr.h"
#include "turn/turn_client.h"
#include "turn/turn_server.h"

#define H_S 1000000ull

typedef struct h_world {
  brtc_turn_core *core;
  uint64_t now;
  unsigned refuse_ports; /* the next N relay sockets fail to open */
  /* The last datagram the server sent towards a peer, and towards a client. */
  bool peer_sent;
  uint32_t peer_via;
  brtc_addr peer_to;
  uint8_t peer_bytes[2048];
  size_t peer_len;
  bool client_sent;
  brtc_addr client_to;
  uint8_t client_bytes[2048];
  size_t client_len;
} h_world;

static const uint8_t h_secret[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                     17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static brtc_addr h_addr(const char *text) {
  brtc_addr a;
  memset(&a, 0, sizeof(a));
  brtc_addr_parse(&a, text, 0);
  return a;
}

static void h_init(h_world *w, const brtc_turn_core_config *extra) {
  memset(w, 0, sizeof(*w));
  brtc_turn_core_config c = {.realm = "boltrtc.test", .secret = h_secret,
                             .relay_ip = h_addr("203.0.113.1:0"),
                             .relay_port_min = 50000, .relay_port_max = 50099};
  if (extra) {
    c.max_allocations_per_user = extra->max_allocations_per_user;
    c.max_allocations_per_source = extra->max_allocations_per_source;
    c.max_permissions = extra->max_permissions;
    c.nonce_lifetime_s = extra->nonce_lifetime_s;
    c.max_allocations = extra->max_allocations;
  }
  w->core = brtc_turn_core_new(&c);
  brtc_turn_core_add_user(w->core, "alice", "alice-password");
  brtc_turn_core_add_user(w->core, "bob", "bob-password");
  brtc_turn_core_set_unix_time(w->core, 1700000000);
  w->now = 1000 * H_S;
}

/* Record what the server asked to send, opening relays as asked. */
static void h_take(h_world *w, brtc_turn_action act, brtc_turn_out *out) {
  while (act == BRTC_TURN_ACT_OPEN_RELAY) {
    bool ok = w->refuse_ports == 0;
    if (!ok) w->refuse_ports--;
    act = brtc_turn_core_relay_opened(w->core, out->slot, ok, w->now, out);
  }
  if (act != BRTC_TURN_ACT_SEND) return;
  uint8_t *dst = out->via == BRTC_TURN_VIA_LISTENER ? w->client_bytes : w->peer_bytes;
  size_t n = out->len;
  memcpy(dst, out->buf, out->len);
  if (out->payload_len) memcpy(dst + n, out->payload, out->payload_len);
  n += out->payload_len;
  memset(dst + n, 0, out->pad);
  n += out->pad;
  if (out->via == BRTC_TURN_VIA_LISTENER) {
    w->client_sent = true;
    w->client_to = out->to;
    w->client_len = n;
  } else {
    w->peer_sent = true;
    w->peer_via = out->via;
    w->peer_to = out->to;
    w->peer_len = n;
  }
}

/* One datagram from a client; what it sends back is in w->client_bytes / peer_bytes. */
static brtc_turn_action h_from_client(h_world *w, const brtc_addr *from, const uint8_t *buf,
                                      size_t len) {
  uint8_t obuf[BRTC_TURN_OUT_MIN];
  brtc_turn_out out = {.buf = obuf, .cap = sizeof(obuf)};
  w->client_sent = w->peer_sent = false;
  brtc_turn_action act = brtc_turn_core_from_client(w->core, 0, from, buf, len, w->now, &out);
  brtc_turn_action first = act;
  h_take(w, act, &out);
  return first;
}

static void h_from_peer(h_world *w, uint32_t slot, const brtc_addr *from, const uint8_t *buf,
                        size_t len) {
  uint8_t obuf[BRTC_TURN_OUT_MIN];
  brtc_turn_out out = {.buf = obuf, .cap = sizeof(obuf)};
  w->client_sent = w->peer_sent = false;
  h_take(w, brtc_turn_core_from_peer(w->core, slot, from, buf, len, w->now, &out), &out);
}

/* Run a client against the server until neither has anything to say now. */
static void h_pump(h_world *w, brtc_turn_client *cl, const brtc_addr *from) {
  uint8_t buf[2048];
  for (int i = 0; i < 64; i++) {
    brtc_turn_client_handle_timeout(cl, w->now);
    size_t n = brtc_turn_client_poll_transmit(cl, w->now, buf, sizeof(buf));
    if (n == 0) return;
    h_from_client(w, from, buf, n);
    if (w->client_sent) {
      brtc_turn_client_data d;
      brtc_turn_client_handle(cl, w->client_bytes, w->client_len, w->now, &d);
    }
  }
}

static brtc_turn_client *h_client(const char *user, const char *pass) {
  brtc_turn_client_config cc = {.username = user, .password = pass};
  return brtc_turn_client_new(&cc);
}

/* The events of a client until kind comes; false if it never does. */
static bool h_event(brtc_turn_client *cl, brtc_turn_client_event_kind kind,
                    brtc_turn_client_event *out) {
  brtc_turn_client_event ev;
  while (brtc_turn_client_poll_event(cl, &ev))
    if (ev.kind == kind) {
      if (out) *out = ev;
      return true;
    }
  return false;
}

#endif
