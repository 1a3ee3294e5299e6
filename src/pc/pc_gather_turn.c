/* Relayed candidates (RFC 8445 5.1.1.2) through TURN over UDP (RFC 8656), with src/turn's
 * sans-IO client: one allocation per turn: server, made from the first host address of its
 * family (long-term credentials, 401 and 438 handled by the client, refreshed before it
 * expires). Its relayed address becomes a candidate whose base is itself. Its traffic
 * must leave from a socket of this pc's own (an allocation is its 5-tuple, RFC 8656 2):
 * the loop sees to that (src/net/relay_socket.c). Every remote candidate's IP address gets a permission
 * (RFC 8656 9), so that the peer's checks get through the relay, and the selected pair a
 * channel (12), four bytes a datagram instead of a Send indication's 36. What the pc sends
 * "from" a relayed address is wrapped here and goes to the server; what the server brings
 * (Data indications, ChannelData) is unwrapped and handed to the transport as from the peer,
 * on the relayed address. */
#define PC_GATHER_INTERNAL
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc/pc_internal.h"
#include "turn/turn_client.h"

/* A client for t's server and its Allocate; settled at once if it cannot start. */
static int turn_allocate(brtc_pc *pc, struct pc_gather *g, pc_turn *t) {
  const pc_ice_server *srv = &g->servers[t->server];
  /* Over TCP or TLS: ChannelData padded, requests not retransmitted (RFC 8656 12.5, RFC
   * 8489 6.2.2); the loop frames the stream (src/turn/turn_stream.h). */
  brtc_turn_client_config cfg = {.username = srv->username, .password = srv->credential,
                                 .stream = srv->via != BRTC_VIA_UDP};
  t->cl = brtc_turn_client_new(&cfg);
  if (!t->cl) return BRTC_ERR_NOMEM;
  if (brtc_turn_client_allocate(t->cl, pc->now_us) != BRTC_OK) t->settled = true;
  return BRTC_OK;
}

int pc_turn_start(brtc_pc *pc, struct pc_gather *g, size_t server, size_t host) {
  if (g->n_turn == PC_MAX_ICE_SERVERS) return BRTC_ERR_LIMIT;
  pc_turn *t = &g->turn[g->n_turn];
  memset(t, 0, sizeof(*t));
  t->server = (uint8_t)server;
  t->host = (uint8_t)host;
  int rc = turn_allocate(pc, g, t);
  if (rc == BRTC_OK) g->n_turn++;
  return rc;
}

void pc_gather_close(brtc_pc *pc) {
  struct pc_gather *g = pc->gather;
  if (!g || g->closing) return;
  g->closing = true;
  for (size_t i = 0; i < g->n_stun; i++) g->stun[i].done = true, g->stun[i].due = false;
  for (size_t k = 0; k < g->n_turn; k++)
    if (g->turn[k].allocated && brtc_turn_client_close(g->turn[k].cl, pc->now_us) == BRTC_OK)
      g->turn[k].allocated = false; /* nothing more goes through it */
}

void pc_turn_free(struct pc_gather *g) {
  for (size_t i = 0; i < g->n_turn; i++) brtc_turn_client_free(g->turn[i].cl);
  g->n_turn = 0;
}

bool pc_turn_settled(const struct pc_gather *g) {
  for (size_t i = 0; i < g->n_turn; i++)
    if (!g->turn[i].settled) return false;
  return true;
}

static bool same_ip(const brtc_addr *a, const brtc_addr *b) {
  brtc_addr x = *a, y = *b;
  brtc_addr_set_port(&x, 0);
  brtc_addr_set_port(&y, 0);
  return brtc_addr_equal(&x, &y);
}

/* A permission for peer's IP address, once (the client refreshes it, RFC 8656 9). */
static void permit(brtc_pc *pc, pc_turn *t, const brtc_addr *peer) {
  if (!t->allocated || brtc_addr_family(peer) != brtc_addr_family(&t->relayed)) return;
  for (size_t i = 0; i < t->n_permitted; i++)
    if (same_ip(&t->permitted[i], peer)) return;
  if (t->n_permitted == PC_TURN_MAX_PERMS) return;
  if (brtc_turn_client_create_permission(t->cl, peer, pc->now_us) != BRTC_OK) return;
  t->permitted[t->n_permitted++] = *peer;
}

/* Every remote address the agent pairs with, permitted on every allocation. */
static void permit_known(brtc_pc *pc, struct pc_gather *g) {
  size_t n = brtc_ice_transport_pair_count(pc->ice);
  for (size_t i = 0; i < n; i++) {
    brtc_ice_pair_info p;
    if (!brtc_ice_transport_pair(pc->ice, i, &p)) continue;
    for (size_t k = 0; k < g->n_turn; k++) permit(pc, &g->turn[k], &p.remote);
  }
}

void pc_gather_remote_address(brtc_pc *pc, const brtc_addr *addr) {
  struct pc_gather *g = pc->gather;
  if (!g) return;
  if (addr) {
    for (size_t k = 0; k < g->n_turn; k++) permit(pc, &g->turn[k], addr);
  } else {
    permit_known(pc, g);
  }
}

void pc_gather_selected(brtc_pc *pc, const brtc_ice_pair_info *sel) {
  struct pc_gather *g = pc->gather;
  for (size_t k = 0; g && k < g->n_turn; k++) {
    pc_turn *t = &g->turn[k];
    if (!t->allocated || !brtc_addr_equal(&t->relayed, &sel->base)) continue;
    if (t->channel_asked && brtc_addr_equal(&t->channel_peer, &sel->remote)) continue;
    if (brtc_turn_client_bind_channel(t->cl, &sel->remote, pc->now_us) == BRTC_OK) {
      t->channel_asked = true;
      t->channel_peer = sel->remote;
    }
  }
}

static void log_server(brtc_pc *pc, const pc_turn *t, const char *what, unsigned code) {
  char s[BRTC_ADDR_STRLEN], line[160];
  const struct pc_gather *g = pc->gather;
  snprintf(line, sizeof line, "ICE: TURN server %s: %s%s%.0u",
           brtc_addr_str(&g->servers[t->server].addr, s, sizeof s), what, code ? " " : "", code);
  pc_emit_log(pc, line);
}

/* A lost allocation is replaced by a fresh one from the same server, same credentials:
 * the old one's 5-tuple is gone from the server (RFC 8656 2), nothing revives it. Its
 * relayed candidate leaves later descriptions and nothing is sent from it any more. */
static void reallocate(brtc_pc *pc, struct pc_gather *g, pc_turn *t) {
  pc_turn fresh = {.server = t->server, .host = t->host, .has_dead = t->has_dead,
                   .dead = t->dead};
  if (brtc_addr_port(&t->relayed)) {
    pc_gather_forget_line(pc, BRTC_ICE_CAND_RELAY, &t->relayed);
    brtc_ice_transport_retire_relay(pc->ice, &t->relayed, pc->now_us);
    fresh.has_dead = true;
    fresh.dead = t->relayed;
  }
  brtc_turn_client_free(t->cl);
  *t = fresh;
  if (turn_allocate(pc, g, t) != BRTC_OK) {
    t->settled = true;
    log_server(pc, t, "cannot allocate again (out of memory)", 0);
  }
}

size_t pc_turn_restart(brtc_pc *pc, struct pc_gather *g) {
  size_t open = 0;
  for (size_t k = 0; k < g->n_turn; k++) {
    pc_turn *t = &g->turn[k];
    if (t->cl && !t->settled) continue; /* its first Allocate is still out */
    open++;
    if (t->allocated && brtc_turn_client_refresh_now(t->cl, pc->now_us) == BRTC_OK) {
      t->checking = true;
      t->settled = false;
      log_server(pc, t, "ICE restart: refreshing the allocation to check it", 0);
      continue;
    }
    log_server(pc, t, "ICE restart: allocation lost before, allocating again", 0);
    reallocate(pc, g, t);
  }
  return open;
}

/* What the client reports: the allocation's candidates, or its end. */
static void client_events(brtc_pc *pc, struct pc_gather *g, pc_turn *t) {
  brtc_turn_client_event ev;
  while (t->cl && brtc_turn_client_poll_event(t->cl, &ev)) {
    const brtc_addr *server = &g->servers[t->server].addr;
    switch (ev.kind) {
      case BRTC_TURN_EV_ALLOCATED:
        t->allocated = t->settled = true;
        t->relayed = ev.relayed;
        t->mapped = ev.mapped;
        pc_gather_add_candidate(pc, BRTC_ICE_CAND_RELAY, &ev.relayed, &ev.relayed, &ev.mapped,
                                server, PC_GATHER_SOCKET_RELAY + (uint32_t)(t - g->turn));
        /* The allocation's mapped address is not made a server-reflexive candidate of the
         * host base (RFC 8445 5.1.1.2 reads it as the mapping of the base the Allocate left
         * from): an allocation is its 5-tuple, so each pc's leaves from a socket of its own
         * (the loop's relay_socket.c), whose mapping is not the host socket's. */
        permit_known(pc, g);
        break;
      case BRTC_TURN_EV_REFRESHED:
        if (!t->checking) break;
        t->checking = false;
        t->settled = true;
        log_server(pc, t, "ICE restart: allocation still there, kept", 0);
        break;
      case BRTC_TURN_EV_FAILED:
        if (t->checking && !g->closing) {
          /* RFC 8656 7: a Refresh from a 5-tuple the server does not know gets 437; no
           * answer at all is the same loss. */
          log_server(pc, t, "allocation lost after NAT rebinding, allocating again, error",
                     ev.error_code);
          reallocate(pc, g, t);
          break;
        }
        if (!t->allocated) log_server(pc, t, "allocation failed, error", ev.error_code);
        else log_server(pc, t, "allocation lost, error", ev.error_code);
        t->settled = true;
        t->allocated = false;
        break;
      case BRTC_TURN_EV_REQUEST_FAILED:
        log_server(pc, t, "a permission or channel was refused, error", ev.error_code);
        break;
      default: break; /* refreshes, permissions and channels in place */
    }
  }
  pc_gather_check_done(pc);
}

bool pc_turn_datagram(brtc_pc *pc, struct pc_gather *g, const uint8_t *data, size_t len,
                      const brtc_addr *from, int *rc) {
  bool matched = false;
  for (size_t k = 0; k < g->n_turn; k++) {
    pc_turn *t = &g->turn[k];
    if (!brtc_addr_equal(&g->servers[t->server].addr, from)) continue;
    brtc_turn_client_data d;
    int r = brtc_turn_client_handle(t->cl, data, len, pc->now_us, &d);
    client_events(pc, g, t);
    if (r < 0) {
      /* One server address may carry two allocations (turn: over UDP and over TCP, one
       * port, RFC 8656 3.1): the other one's transaction or channel, perhaps. */
      *rc = r;
      matched = true;
      continue;
    }
    *rc = BRTC_OK;
    if (r == 1 && (pc->closed || pc->failed)) {
      pc->stats.dropped_unexpected++;
      *rc = BRTC_ERR_STATE;
    } else if (r == 1) { /* a peer's datagram, relayed: on to the transport, on the relayed address */
      g->rx_relayed = true;
      g->rx_local = t->relayed;
      brtc_addr peer = d.peer;
      *rc = pc_transport_datagram(pc, d.payload, d.len, &peer);
      g->rx_relayed = false;
    }
    return true;
  }
  if (matched) pc->stats.dropped_unexpected++;
  return matched;
}

int pc_turn_poll(brtc_pc *pc, struct pc_gather *g, uint8_t *out, size_t cap, size_t *out_len,
                 brtc_addr *to, brtc_addr *source) {
  for (size_t k = 0; k < g->n_turn; k++) {
    pc_turn *t = &g->turn[k];
    size_t n = brtc_turn_client_poll_transmit(t->cl, pc->now_us, out, cap);
    client_events(pc, g, t);
    if (!n) continue;
    *out_len = n;
    *to = g->servers[t->server].addr;
    *source = pc->host_addrs[t->host];
    g->tx_via = g->servers[t->server].via;
    return BRTC_OK;
  }
  return BRTC_ERR_AGAIN;
}

void pc_turn_timeout(brtc_pc *pc, struct pc_gather *g) {
  for (size_t k = 0; k < g->n_turn; k++) {
    brtc_turn_client_handle_timeout(g->turn[k].cl, pc->now_us);
    client_events(pc, g, &g->turn[k]);
  }
}

uint64_t pc_turn_deadline(const struct pc_gather *g) {
  uint64_t d = UINT64_MAX;
  for (size_t k = 0; k < g->n_turn; k++) {
    uint64_t x = brtc_turn_client_deadline(g->turn[k].cl);
    if (x < d) d = x;
  }
  return d;
}

int pc_gather_route(brtc_pc *pc, uint8_t *buf, size_t cap, size_t *len, brtc_addr *to,
                    brtc_addr *source) {
  struct pc_gather *g = pc->gather;
  if (!g || !g->n_turn) return BRTC_OK;
  for (size_t k = 0; k < g->n_turn; k++) {
    pc_turn *t = &g->turn[k];
    /* A checked pair of the lost allocation's candidate: it leads nowhere any more. */
    if (t->has_dead && brtc_addr_equal(&t->dead, source)) return BRTC_ERR_STATE;
    if (!t->allocated || !brtc_addr_equal(&t->relayed, source)) continue;
    permit(pc, t, to); /* a peer-reflexive remote learned from a check, say */
    size_t n = 0;
    int rc = brtc_turn_client_wrap(t->cl, to, buf, *len, g->scratch, sizeof g->scratch, &n);
    if (rc != BRTC_OK) return rc;
    if (n > cap) return BRTC_ERR_TOO_BIG;
    memcpy(buf, g->scratch, n);
    *len = n;
    *to = g->servers[t->server].addr;
    *source = pc->host_addrs[t->host];
    g->tx_via = g->servers[t->server].via;
    return BRTC_OK;
  }
  return BRTC_OK;
}
