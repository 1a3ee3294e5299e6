/* ICE-TCP passive candidates on the loop (RFC 6544; include/boltrtc/ice_tcp.h). Each
 * accepted connection is a stream endpoint (brtc_stream_ops): what it reads is cut into
 * RFC 4571 frames (rfc4571.c), and each frame enters the loop as a datagram from the
 * connection's peer would (brtc_loop_stream_datagram), so the same routing picks its pc.
 * What a pc sends to that peer comes back here (brtc_ice_tcp_send), framed onto the stream.
 *
 * Nothing is trusted before a pc answered a check on the connection (a Binding success
 * response going out to its peer: the pc sends one only for an authenticated check): until
 * then only STUN may come, and only for check_timeout. */
#include "net/ice_tcp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/byte_queue.h"
#include "common/log.h"
#include "net/addr_map.h"
#include "net/rfc4571.h"
#include "net/udp.h"

#define MAX_LISTENERS BRTC_LOOP_MAX_SOCKETS
#define MAX_OUTPUT (64 * 1024) /* per connection; past it datagrams drop, as UDP's would */
/* Nothing received for this long: no consent could still hold (RFC 7675: 30 s). */
#define IDLE_TIMEOUT_US 40000000u

typedef struct ice_tcp_conn {
  brtc_ice_tcp *it;
  brtc_tcp_conn *conn;
  brtc_addr peer;
  brtc_rfc4571_reader rd;
  brtc_byte_queue out;
  bool verified;
  uint64_t accepted_us, last_in_us;
  struct ice_tcp_conn *prev, *next;
} ice_tcp_conn;

struct brtc_ice_tcp {
  brtc_loop *loop;
  brtc_tcp_listener *listeners[MAX_LISTENERS];
  brtc_addr bound[MAX_LISTENERS];
  size_t n_listeners;
  size_t max_total, max_per_ip;
  uint64_t check_timeout_us;
  brtc_addr_map by_peer; /* peer address -> ice_tcp_conn */
  ice_tcp_conn *conns;
  brtc_ice_tcp_stats stats;
};

/* ---- a connection ---- */

static void unlink_conn(ice_tcp_conn *c) {
  brtc_ice_tcp *it = c->it;
  const brtc_hash_slot *slot = brtc_addr_map_find(&it->by_peer, &c->peer);
  if (slot && slot->value == c) brtc_addr_map_remove(&it->by_peer, &c->peer);
  if (c->prev) c->prev->next = c->next;
  else it->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  it->stats.open--;
}

static void free_conn(ice_tcp_conn *c) {
  brtc_byte_queue_free(&c->out);
  free(c);
}

/* End a connection ourselves: the loop does not call it again. */
static void drop(ice_tcp_conn *c, uint64_t *counter, const char *why) {
  char addr[BRTC_ADDR_STRLEN];
  if (counter) (*counter)++;
  brtc_log(BRTC_LOG_INFO, NULL, "ICE-TCP: connection from %s closed: %s",
           brtc_addr_str(&c->peer, addr, sizeof(addr)), why);
  brtc_tcp_conn_close(c->conn);
  unlink_conn(c);
  free_conn(c);
}

static bool is_stun(const uint8_t *data, size_t len) {
  return len >= 20 && data[0] <= 3; /* RFC 7983 7 */
}

static size_t conn_input(void *endpoint, const uint8_t *data, size_t len, uint64_t now) {
  ice_tcp_conn *c = endpoint;
  brtc_ice_tcp *it = c->it;
  size_t off = 0;
  c->last_in_us = now;
  while (off < len) {
    const uint8_t *frame;
    size_t frame_len;
    uint64_t oversized = c->rd.oversized;
    off += brtc_rfc4571_read(&c->rd, data + off, len - off, &frame, &frame_len);
    if (c->rd.oversized != oversized) {
      /* Nothing we send or accept is that large: not an ICE peer. */
      drop(c, &it->stats.oversized, "a frame larger than a datagram");
      return len;
    }
    if (!frame) continue;
    if (!c->verified && !is_stun(frame, frame_len)) {
      drop(c, &it->stats.not_stun_first, "media before an answered check");
      return len;
    }
    it->stats.frames_in++;
    brtc_loop_stream_datagram(it->loop, frame, frame_len, &c->peer, now);
  }
  return len; /* all of it: a partial frame waits in the reader */
}

static size_t conn_output(void *endpoint, uint8_t *buf, size_t cap, uint64_t now) {
  (void)now;
  return brtc_byte_queue_take(&((ice_tcp_conn *)endpoint)->out, buf, cap);
}

static uint64_t conn_deadline(void *endpoint) {
  const ice_tcp_conn *c = endpoint;
  return c->verified ? c->last_in_us + IDLE_TIMEOUT_US : c->accepted_us + c->it->check_timeout_us;
}

static void conn_timeout(void *endpoint, uint64_t now) {
  ice_tcp_conn *c = endpoint;
  if (conn_deadline(c) > now) return;
  if (c->verified) drop(c, &c->it->stats.idle_timeouts, "nothing received for 40 s");
  else drop(c, &c->it->stats.check_timeouts, "no answered ICE check in time");
}

static bool conn_finished(void *endpoint) {
  (void)endpoint;
  return false;
}

static void conn_closed(void *endpoint, int error) {
  (void)error;
  ice_tcp_conn *c = endpoint;
  unlink_conn(c);
  free_conn(c);
}

static const brtc_stream_ops conn_ops = {
    .size = sizeof(brtc_stream_ops),
    .input = conn_input,
    .output = conn_output,
    .deadline = conn_deadline,
    .timeout = conn_timeout,
    .finished = conn_finished,
    .closed = conn_closed,
};

static void on_accept(void *user, brtc_tcp_conn *conn) {
  brtc_ice_tcp *it = user;
  ice_tcp_conn *c = calloc(1, sizeof(*c));
  struct sockaddr_storage ss;
  if (!c || brtc_tcp_conn_peer(conn, &ss) != BRTC_OK ||
      !brtc_addr_from_sockaddr(&c->peer, (struct sockaddr *)&ss, sizeof(ss)) ||
      brtc_addr_map_put(&it->by_peer, &c->peer, c, 0) != BRTC_OK) {
    free(c);
    brtc_tcp_conn_close(conn);
    return;
  }
  c->it = it;
  c->conn = conn;
  brtc_rfc4571_reader_init(&c->rd);
  c->accepted_us = c->last_in_us = brtc_now_us();
  if (brtc_tcp_conn_attach(conn, &conn_ops, c) != BRTC_OK) {
    brtc_addr_map_remove(&it->by_peer, &c->peer);
    free(c);
    brtc_tcp_conn_close(conn);
    return;
  }
  c->next = it->conns;
  if (it->conns) it->conns->prev = c;
  it->conns = c;
  it->stats.accepted++;
  it->stats.open++;
}

/* ---- what the loop calls ---- */

bool brtc_ice_tcp_send(brtc_ice_tcp *it, const struct sockaddr_storage *to, const uint8_t *data,
                       size_t len) {
  if (!it || !it->conns) return false;
  brtc_addr dst;
  if (!brtc_addr_from_sockaddr(&dst, (const struct sockaddr *)to, sizeof(*to))) return false;
  const brtc_hash_slot *slot = brtc_addr_map_find(&it->by_peer, &dst);
  if (!slot) return false;
  ice_tcp_conn *c = slot->value;
  uint8_t header[BRTC_RFC4571_HEADER];
  if (brtc_rfc4571_header(len, header) != 0 ||
      brtc_byte_queue_len(&c->out) + sizeof(header) + len > MAX_OUTPUT ||
      brtc_byte_queue_append(&c->out, header, sizeof(header)) != BRTC_OK) {
    it->stats.dropped_out_full++;
    return true;
  }
  if (brtc_byte_queue_append(&c->out, data, len) != BRTC_OK) {
    brtc_byte_queue_truncate(&c->out, brtc_byte_queue_len(&c->out) - sizeof(header));
    it->stats.dropped_out_full++;
    return true;
  }
  /* A Binding success response (RFC 8489 5: 0x0101): a pc authenticated a check from this
   * peer, so the connection is an ICE peer's and may carry DTLS and media. */
  if (!c->verified && len >= 20 && data[0] == 0x01 && data[1] == 0x01) {
    char addr[BRTC_ADDR_STRLEN];
    c->verified = true;
    it->stats.verified++;
    brtc_log(BRTC_LOG_INFO, NULL, "ICE-TCP: check from %s answered; the connection carries its "
             "session", brtc_addr_str(&c->peer, addr, sizeof(addr)));
  }
  it->stats.frames_out++;
  brtc_tcp_conn_kick(c->conn);
  return true;
}

int brtc_ice_tcp_config_pc(const brtc_ice_tcp *it, brtc_pc_config *cfg) {
  if (!it) return BRTC_OK;
  const struct sockaddr_storage *local;
  size_t n_local = brtc_loop_local_addrs(it->loop, &local);
  for (size_t i = 0; i < it->n_listeners; i++) {
    const brtc_addr *b = &it->bound[i];
    if (!brtc_udp_is_wildcard(b)) {
      int rc = brtc_pc_config_add_tcp_passive_address(cfg, &b->u.sa);
      if (rc != BRTC_OK) return rc;
      continue;
    }
    /* A wildcard listener: the loop's UDP addresses of its family, at its port. */
    for (size_t k = 0; k < n_local; k++) {
      brtc_addr a;
      if (!brtc_addr_from_sockaddr(&a, (const struct sockaddr *)&local[k], sizeof(local[k])) ||
          brtc_addr_family(&a) != brtc_addr_family(b))
        continue;
      brtc_addr_set_port(&a, brtc_addr_port(b));
      int rc = brtc_pc_config_add_tcp_passive_address(cfg, &a.u.sa);
      if (rc != BRTC_OK) return rc;
    }
  }
  return BRTC_OK;
}

void brtc_ice_tcp_free(brtc_ice_tcp *it) {
  if (!it) return;
  for (size_t i = 0; i < it->n_listeners; i++) brtc_tcp_listener_free(it->listeners[i]);
  while (it->conns) {
    ice_tcp_conn *c = it->conns;
    brtc_tcp_conn_close(c->conn);
    unlink_conn(c);
    free_conn(c);
  }
  brtc_addr_map_free(&it->by_peer);
  free(it);
}

/* ---- the public calls ---- */

static void apply_limits(brtc_ice_tcp *it) {
  for (size_t i = 0; i < it->n_listeners; i++)
    brtc_tcp_listener_set_limits(it->listeners[i], it->max_total, it->max_per_ip);
}

static brtc_ice_tcp *get_or_make(brtc_loop *loop) {
  brtc_ice_tcp **slot = brtc_loop_ice_tcp_slot(loop);
  if (*slot) return *slot;
  brtc_ice_tcp *it = calloc(1, sizeof(*it));
  if (!it) return NULL;
  it->loop = loop;
  it->max_total = BRTC_ICE_TCP_DEFAULT_MAX_TOTAL;
  it->max_per_ip = BRTC_ICE_TCP_DEFAULT_MAX_PER_IP;
  it->check_timeout_us = BRTC_ICE_TCP_DEFAULT_CHECK_TIMEOUT_MS * 1000ull;
  brtc_addr_map_init(&it->by_peer);
  *slot = it;
  return it;
}

int brtc_loop_ice_tcp_listen(brtc_loop *loop, const char *addr, char *err, size_t err_cap) {
  char dummy[8];
  if (!err) {
    err = dummy;
    err_cap = sizeof(dummy);
  }
  if (!loop || !addr) {
    snprintf(err, err_cap, "missing loop or address");
    return BRTC_ERR_INVALID;
  }
  brtc_ice_tcp *it = get_or_make(loop);
  if (!it) {
    snprintf(err, err_cap, "out of memory");
    return BRTC_ERR_NOMEM;
  }
  if (it->n_listeners == MAX_LISTENERS) {
    snprintf(err, err_cap, "too many ICE-TCP addresses (at most %d)", MAX_LISTENERS);
    return BRTC_ERR_LIMIT;
  }
  brtc_addr bound;
  if (brtc_addr_parse(&bound, addr, 0) != BRTC_OK) {
    snprintf(err, err_cap, "bad ICE-TCP address \"%s\": expected IP:PORT or [IPv6]:PORT", addr);
    return BRTC_ERR_INVALID;
  }
  brtc_tcp_listener *l = brtc_loop_tcp_listen(loop, addr, on_accept, it, err, err_cap);
  if (!l) return BRTC_ERR_IO;
  brtc_addr_set_port(&bound, (uint16_t)brtc_tcp_listener_port(l));
  it->bound[it->n_listeners] = bound;
  it->listeners[it->n_listeners++] = l;
  apply_limits(it);
  return BRTC_OK;
}

int brtc_loop_ice_tcp_set_limits(brtc_loop *loop, size_t max_total, size_t max_per_ip,
                                 unsigned check_timeout_ms) {
  if (!loop) return BRTC_ERR_INVALID;
  brtc_ice_tcp *it = get_or_make(loop);
  if (!it) return BRTC_ERR_NOMEM;
  if (max_total) it->max_total = max_total;
  if (max_per_ip) it->max_per_ip = max_per_ip;
  if (check_timeout_ms) it->check_timeout_us = check_timeout_ms * 1000ull;
  apply_limits(it);
  return BRTC_OK;
}

int brtc_loop_ice_tcp_port(const brtc_loop *loop, size_t i) {
  const brtc_ice_tcp *it = loop ? brtc_loop_ice_tcp_get(loop) : NULL;
  return it && i < it->n_listeners ? brtc_tcp_listener_port(it->listeners[i]) : -1;
}

#define ICE_TCP_STATS_V1_SIZE (offsetof(brtc_ice_tcp_stats, dropped_out_full) + sizeof(uint64_t))

int brtc_loop_ice_tcp_get_stats(const brtc_loop *loop, brtc_ice_tcp_stats *out) {
  if (!loop || !out || out->size < ICE_TCP_STATS_V1_SIZE) return BRTC_ERR_INVALID;
  brtc_ice_tcp_stats full;
  memset(&full, 0, sizeof(full));
  const brtc_ice_tcp *it = brtc_loop_ice_tcp_get(loop);
  if (it) {
    full = it->stats;
    for (size_t i = 0; i < it->n_listeners; i++)
      full.refused += brtc_tcp_listener_count(it->listeners[i], BRTC_TCP_REFUSED_TOTAL) +
                      brtc_tcp_listener_count(it->listeners[i], BRTC_TCP_REFUSED_PER_IP);
  }
  full.size = out->size;
  memcpy(out, &full, out->size < sizeof(full) ? out->size : sizeof(full));
  return BRTC_OK;
}
