/* brtc_turn_server (include/boltrtc/turn.h): the sockets of the sans-IO TURN server core
 * (src/turn/turn_server.c) on a brtc_loop. Listening sockets are watched on the loop's
 * epoll set, the relay sockets (one per allocation) on an epoll set of their own that the
 * loop watches as one fd; readable sockets are drained in batches with recvmmsg (every
 * ready relay socket into one shared batch), every datagram goes through the core, and what
 * the core hands back is sent with sendmmsg straight from the receive buffers (header,
 * relayed payload, padding as three iovecs): nothing is allocated or copied per packet. */
#include "boltrtc/turn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "common/random.h"
#include "net/turn_endpoint.h"
#include "turn/turn_peers.h"

static const uint8_t zeros[4];

brtc_turn_server *brtc_turn_server_new(void) {
  brtc_turn_server *s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  strcpy(s->realm, BRTC_TURN_DEFAULT_REALM);
  s->port_min = BRTC_TURN_DEFAULT_PORT_MIN;
  s->port_max = BRTC_TURN_DEFAULT_PORT_MAX;
  s->per_user = BRTC_TURN_DEFAULT_PER_USER;
  s->per_source = BRTC_TURN_DEFAULT_PER_SOURCE;
  for (size_t i = 0; i < BRTC_TURN_MAX_LISTEN; i++) s->listeners[i].fd = -1;
  s->relay_epfd = -1;
  return s;
}

static void close_relay(brtc_turn_server *s, uint32_t slot) {
  if (slot >= s->n_relays || !s->relays[slot]) return;
  sock_ctx *r = s->relays[slot];
  epoll_ctl(s->relay_epfd, EPOLL_CTL_DEL, r->fd, NULL);
  close(r->fd);
  free(r);
  s->relays[slot] = NULL;
}

void brtc_turn_server_free(brtc_turn_server *s) {
  if (!s) return;
  brtc_turn_tcp_free(s);
  for (uint32_t i = 0; i < s->n_relays; i++) close_relay(s, i);
  free(s->relays);
  brtc_loop_unwatch(s->relays_watch);
  if (s->relay_epfd >= 0) close(s->relay_epfd);
  for (size_t i = 0; i < s->n_listeners; i++) {
    brtc_loop_unwatch(s->listeners[i].watch);
    close(s->listeners[i].fd);
  }
  brtc_loop_timer_free(s->timer);
  brtc_turn_core_free(s->core);
  for (size_t i = 0; i < s->n_listen; i++) free(s->listen[i]);
  for (size_t i = 0; i < s->n_users; i++) {
    free(s->users[i].name);
    free(s->users[i].password);
  }
  free(s->users);
  free(s->auth_secret);
  for (size_t i = 0; i < s->n_allow; i++) free(s->allow[i]);
  for (size_t i = 0; i < s->n_listen_tls; i++) free(s->listen_tls[i]);
  free(s->tls_cert_file);
  free(s->tls_key_file);
  brtc_turn_tls_free(s);
  free(s);
}

/* ---- configuration ---- */

static int keep_string(char **slot, const char *text) {
  char *copy = strdup(text);
  if (!copy) return BRTC_ERR_NOMEM;
  free(*slot);
  *slot = copy;
  return BRTC_OK;
}

/* One more listening address into list (UDP and TCP, or TLS). */
static int add_listen_addr(brtc_turn_server *s, char **list, size_t *n, const char *addr) {
  brtc_addr a;
  if (!s || !addr || s->core || brtc_addr_parse(&a, addr, 0) != BRTC_OK) return BRTC_ERR_INVALID;
  if (*n == BRTC_TURN_MAX_LISTEN) return BRTC_ERR_LIMIT;
  list[*n] = NULL;
  int err = keep_string(&list[*n], addr);
  if (err == BRTC_OK) (*n)++;
  return err;
}

int brtc_turn_server_add_listen(brtc_turn_server *s, const char *addr) {
  return s ? add_listen_addr(s, s->listen, &s->n_listen, addr) : BRTC_ERR_INVALID;
}

int brtc_turn_server_set_realm(brtc_turn_server *s, const char *realm) {
  if (!s || !realm || !*realm || strlen(realm) > BRTC_TURN_MAX_REALM || s->core)
    return BRTC_ERR_INVALID;
  strcpy(s->realm, realm);
  return BRTC_OK;
}

int brtc_turn_server_add_user(brtc_turn_server *s, const char *name, const char *password) {
  if (!s || !name || !password || !*name || strlen(name) > BRTC_TURN_MAX_USERNAME)
    return BRTC_ERR_INVALID;
  if (s->core) return brtc_turn_core_add_user(s->core, name, password);
  if (s->n_users == s->cap_users) {
    size_t cap = s->cap_users ? s->cap_users * 2 : 8;
    pending_user *u = realloc(s->users, cap * sizeof(*u));
    if (!u) return BRTC_ERR_NOMEM;
    s->users = u;
    s->cap_users = cap;
  }
  pending_user *u = &s->users[s->n_users];
  u->name = strdup(name);
  u->password = strdup(password);
  if (!u->name || !u->password) {
    free(u->name);
    free(u->password);
    return BRTC_ERR_NOMEM;
  }
  s->n_users++;
  return BRTC_OK;
}

int brtc_turn_server_add_users_file(brtc_turn_server *s, const char *path, char *err,
                                    size_t err_cap) {
  char dummy[8];
  if (!err) {
    err = dummy;
    err_cap = sizeof(dummy);
  }
  if (!s || !path) return BRTC_ERR_INVALID;
  FILE *f = fopen(path, "r");
  if (!f) {
    snprintf(err, err_cap, "cannot read %s: %s", path, strerror(errno));
    return BRTC_ERR_IO;
  }
  char line[MAX_USERS_LINE];
  int rc = BRTC_OK, number = 0;
  while (rc == BRTC_OK && fgets(line, sizeof(line), f)) {
    number++;
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
    if (n == 0 || line[0] == '#') continue;
    char *colon = strchr(line, ':');
    if (!colon || colon == line || !colon[1]) {
      snprintf(err, err_cap, "%s line %d: expected NAME:PASSWORD", path, number);
      rc = BRTC_ERR_PARSE;
      break;
    }
    *colon = '\0';
    rc = brtc_turn_server_add_user(s, line, colon + 1);
    if (rc != BRTC_OK) snprintf(err, err_cap, "%s line %d: bad user", path, number);
  }
  fclose(f);
  return rc;
}

int brtc_turn_server_set_auth_secret(brtc_turn_server *s, const char *secret) {
  if (!s || !secret || !*secret || s->core) return BRTC_ERR_INVALID;
  return keep_string(&s->auth_secret, secret);
}

int brtc_turn_server_set_relay_ip(brtc_turn_server *s, const char *ip) {
  if (!s || !ip || s->core || brtc_addr_from_ip(&s->relay_ip, ip, 0) != BRTC_OK ||
      brtc_udp_is_wildcard(&s->relay_ip))
    return BRTC_ERR_INVALID;
  s->relay_ip_set = true;
  return BRTC_OK;
}

int brtc_turn_server_set_relay_ports(brtc_turn_server *s, unsigned min, unsigned max) {
  if (!s || s->core || min == 0 || max > 65535 || min > max) return BRTC_ERR_INVALID;
  s->port_min = min;
  s->port_max = max;
  return BRTC_OK;
}

int brtc_turn_server_allow_peers(brtc_turn_server *s, const char *cidr) {
  if (!s || !cidr || s->core) return BRTC_ERR_INVALID;
  brtc_turn_cidr probe; /* refuse a bad range now rather than at start */
  if (brtc_turn_cidr_parse(&probe, cidr) != BRTC_OK) return BRTC_ERR_PARSE;
  if (s->n_allow == sizeof(s->allow) / sizeof(s->allow[0])) return BRTC_ERR_LIMIT;
  s->allow[s->n_allow] = NULL;
  int err = keep_string(&s->allow[s->n_allow], cidr);
  if (err == BRTC_OK) s->n_allow++;
  return err;
}

int brtc_turn_server_set_tcp(brtc_turn_server *s, bool on) {
  if (!s || s->core) return BRTC_ERR_INVALID;
  s->no_tcp = !on;
  return BRTC_OK;
}

int brtc_turn_server_add_listen_tls(brtc_turn_server *s, const char *addr) {
  return s ? add_listen_addr(s, s->listen_tls, &s->n_listen_tls, addr) : BRTC_ERR_INVALID;
}

int brtc_turn_server_set_tls_cert(brtc_turn_server *s, const char *cert_file,
                                  const char *key_file) {
  if (!s || !cert_file || !*cert_file || (key_file && !*key_file) || s->core)
    return BRTC_ERR_INVALID;
  int err = keep_string(&s->tls_cert_file, cert_file);
  if (err == BRTC_OK && key_file) err = keep_string(&s->tls_key_file, key_file);
  return err;
}

int brtc_turn_server_set_tls_handshake_timeout(brtc_turn_server *s, unsigned ms) {
  if (!s || ms == 0 || s->core) return BRTC_ERR_INVALID;
  s->tls_handshake_us = (uint64_t)ms * 1000u;
  return BRTC_OK;
}

int brtc_turn_server_set_quotas(brtc_turn_server *s, unsigned total, unsigned per_user,
                                unsigned per_source) {
  if (!s || s->core) return BRTC_ERR_INVALID;
  s->max_total = total;
  s->per_user = per_user;
  s->per_source = per_source;
  return BRTC_OK;
}

int brtc_turn_rest_credentials(const char *secret, const char *name, uint64_t expiry_unix,
                               char *user, size_t user_cap, char *password, size_t password_cap) {
  if (!secret || !*secret || !user || !password || expiry_unix == 0) return BRTC_ERR_INVALID;
  int n = name && *name ? snprintf(user, user_cap, "%llu:%s", (unsigned long long)expiry_unix, name)
                        : snprintf(user, user_cap, "%llu", (unsigned long long)expiry_unix);
  if (n < 0 || (size_t)n >= user_cap || (size_t)n > BRTC_TURN_MAX_USERNAME) return BRTC_ERR_TOO_BIG;
  return brtc_turn_rest_password(secret, user, password, password_cap);
}

/* ---- sending ---- */

/* Send the batch, one sendmmsg per run of datagrams leaving the same socket. */
void brtc_turn_flush(brtc_turn_server *s) {
  size_t i = 0;
  while (i < s->n_tx) {
    size_t end = i + 1;
    while (end < s->n_tx && s->tx_fd[end] == s->tx_fd[i]) end++;
    while (i < end) {
      int n = sendmmsg(s->tx_fd[i], &s->tx[i], (unsigned)(end - i), MSG_DONTWAIT);
      if (n <= 0) { /* full or failing: drop this one and go on (UDP may lose it anyway) */
        s->send_errors++;
        i++;
        continue;
      }
      s->datagrams_out += (uint64_t)n;
      i += (size_t)n;
    }
  }
  s->n_tx = 0;
}

/* Queue what the core handed back; local is the address the client talks to (wildcard). */
static void queue_out(brtc_turn_server *s, const brtc_turn_out *out) {
  size_t i = s->n_tx;
  int fd;
  if (out->via == BRTC_TURN_VIA_LISTENER) {
    if (out->listener >= s->n_listeners) return;
    fd = s->listeners[out->listener].fd;
  } else {
    if (out->via >= s->n_relays || !s->relays[out->via]) return;
    fd = s->relays[out->via]->fd;
  }
  struct iovec *iov = s->tx_iov[i];
  size_t n_iov = 0;
  if (out->len) iov[n_iov++] = (struct iovec){.iov_base = out->buf, .iov_len = out->len};
  if (out->payload_len)
    iov[n_iov++] = (struct iovec){.iov_base = (void *)out->payload, .iov_len = out->payload_len};
  if (out->pad) iov[n_iov++] = (struct iovec){.iov_base = (void *)zeros, .iov_len = out->pad};
  s->tx_to[i] = out->to;
  struct msghdr *m = &s->tx[i].msg_hdr;
  memset(m, 0, sizeof(*m));
  m->msg_name = &s->tx_to[i].u.sa;
  m->msg_namelen = brtc_addr_len(&s->tx_to[i]);
  m->msg_iov = iov;
  m->msg_iovlen = n_iov;
  s->tx_fd[i] = fd;
  s->n_tx++;
}

/* The local address replies to this client leave from, for a wildcard listener. */
static void set_source(brtc_turn_server *s, size_t i, const brtc_addr *local) {
  struct msghdr *m = &s->tx[i].msg_hdr;
  size_t n = brtc_udp_set_source(s->tx_control[i], sizeof(s->tx_control[i]), local);
  if (n) {
    m->msg_control = s->tx_control[i];
    m->msg_controllen = n;
  }
}

/* Open the relay socket of a slot: bound to the relay address and the core's port. */
static bool open_relay(brtc_turn_server *s, uint32_t slot, uint16_t port, const brtc_addr *local);

void brtc_turn_take_action(brtc_turn_server *s, brtc_turn_action act, brtc_turn_out *out,
                           const brtc_addr *local, bool wildcard, uint64_t now) {
  while (act == BRTC_TURN_ACT_OPEN_RELAY) {
    bool ok = open_relay(s, out->slot, out->open_port, local);
    act = brtc_turn_core_relay_opened(s->core, out->slot, ok, now, out);
  }
  if (act != BRTC_TURN_ACT_SEND || brtc_turn_tcp_deliver(s, out)) return;
  size_t i = s->n_tx;
  queue_out(s, out);
  if (s->n_tx > i && wildcard && out->via == BRTC_TURN_VIA_LISTENER && local) set_source(s, i, local);
}

static bool open_relay(brtc_turn_server *s, uint32_t slot, uint16_t port, const brtc_addr *local) {
  if (slot >= s->n_relays) {
    uint32_t n = s->n_relays ? s->n_relays : 16;
    while (n <= slot) n *= 2;
    sock_ctx **r = realloc(s->relays, n * sizeof(*r));
    if (!r) return false;
    memset(r + s->n_relays, 0, (n - s->n_relays) * sizeof(*r));
    s->relays = r;
    s->n_relays = n;
  }
  close_relay(s, slot); /* a failed earlier port of the same slot */
  brtc_addr a = s->relay_ip;
  brtc_addr_set_port(&a, port);
  int fd = socket(brtc_addr_family(&a), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  if (bind(fd, &a.u.sa, brtc_addr_len(&a)) != 0) {
    close(fd);
    return false;
  }
  sock_ctx *r = calloc(1, sizeof(*r));
  if (!r) {
    close(fd);
    return false;
  }
  *r = (sock_ctx){.srv = s, .fd = fd, .relay = true, .index = slot};
  if (local) r->local = *local;
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = r};
  if (epoll_ctl(s->relay_epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    close(fd);
    free(r);
    return false;
  }
  s->relays[slot] = r;
  return true;
}

void brtc_turn_rearm(brtc_turn_server *s) {
  uint32_t slot;
  while (brtc_turn_core_poll_closed(s->core, &slot)) close_relay(s, slot);
  brtc_loop_timer_set(s->timer, brtc_turn_core_deadline(s->core));
}

/* ---- receiving ---- */

/* One recvmmsg on c into the receive slots from `first` on, each datagram through the core
 * and its answer queued; returns how many came. The queued sends point into those slots. */
static int receive_batch(brtc_turn_server *s, sock_ctx *c, size_t first, uint64_t now) {
  for (size_t i = first; i < BATCH; i++) {
    struct msghdr *m = &s->rx[i].msg_hdr;
    s->rx_iov[i] = (struct iovec){.iov_base = s->rx_buf[i], .iov_len = RX_SIZE};
    m->msg_iov = &s->rx_iov[i];
    m->msg_iovlen = 1;
    m->msg_name = &s->rx_from[i].u.sa;
    m->msg_namelen = sizeof(s->rx_from[i].u);
    m->msg_control = c->wildcard ? s->rx_control[i] : NULL;
    m->msg_controllen = c->wildcard ? sizeof(s->rx_control[i]) : 0;
    m->msg_flags = 0;
  }
  int n = recvmmsg(c->fd, s->rx + first, (unsigned)(BATCH - first), MSG_DONTWAIT, NULL);
  if (n <= 0) return 0;
  s->datagrams_in += (uint64_t)n;
  for (size_t i = first; i < first + (size_t)n; i++) {
    const uint8_t *data = s->rx_buf[i];
    size_t len = s->rx[i].msg_len;
    if (s->rx[i].msg_hdr.msg_flags & MSG_TRUNC) continue; /* too big for TURN over UDP */
    brtc_turn_out out = {.buf = s->tx_head[s->n_tx], .cap = sizeof(s->tx_head[0])};
    brtc_turn_action act;
    brtc_addr local_buf, *local = NULL;
    if (c->relay) {
      act = brtc_turn_core_from_peer(s->core, c->index, &s->rx_from[i], data, len, now, &out);
      local = &c->local;
      brtc_turn_take_action(s, act, &out, local, brtc_addr_family(local) != 0, now);
    } else {
      if (c->wildcard && brtc_udp_destination(&s->rx[i].msg_hdr, &local_buf)) local = &local_buf;
      act = brtc_turn_core_from_client(s->core, c->index, &s->rx_from[i], data, len, now, &out);
      brtc_turn_take_action(s, act, &out, local, c->wildcard, now);
    }
  }
  return n;
}

static void on_listener_readable(void *user, int fd, uint64_t now) {
  (void)fd;
  sock_ctx *c = user;
  brtc_turn_server *s = c->srv;
  brtc_turn_core_set_unix_time(s->core, (uint64_t)time(NULL));
  for (int pass = 0; pass < MAX_BATCHES_PER_WAKE; pass++) {
    int n = receive_batch(s, c, 0, now);
    brtc_turn_flush(s); /* before the receive buffers are reused: payloads point into them */
    if (n < BATCH) break;
  }
  brtc_turn_rearm(s);
}

/* The relay sockets are on an epoll set of their own, watched on the loop as one fd: one
 * wake-up reads every ready relay socket into one shared batch of receive slots, and what
 * goes to clients (nearly all of it leaving from one listening socket) is sent with one
 * sendmmsg per batch rather than one per relay socket. */
static void on_relays_readable(void *user, int fd, uint64_t now) {
  brtc_turn_server *s = user;
  struct epoll_event ev[RELAY_EVENTS];
  size_t used = 0;
  brtc_turn_core_set_unix_time(s->core, (uint64_t)time(NULL));
  for (int round = 0; round < MAX_BATCHES_PER_WAKE; round++) {
    int n = epoll_wait(fd, ev, RELAY_EVENTS, 0);
    if (n <= 0) break;
    for (int i = 0; i < n; i++) {
      if (used == BATCH) {
        brtc_turn_flush(s);
        used = 0;
      }
      /* Relay sockets close only in brtc_turn_rearm, after this pass: ev stays valid. */
      used += (size_t)receive_batch(s, ev[i].data.ptr, used, now);
    }
  }
  brtc_turn_flush(s);
  brtc_turn_rearm(s);
}

static void on_timer(void *user, uint64_t now) {
  brtc_turn_server *s = user;
  brtc_turn_core_handle_timeout(s->core, now);
  brtc_turn_rearm(s);
}

/* ---- start ---- */

/* TURN over TCP listens on the UDP listener's port (turn_tcp.c). With port 0 the kernel picks
 * a UDP port that some TCP socket may already hold; then another is picked, a few times, so
 * that "127.0.0.1:0" starts whatever else runs on the machine. */
static bool tcp_port_free(const brtc_addr *a) {
  int fd = socket(a->u.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return true; /* the real listen will say what is wrong */
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  bool ok = bind(fd, &a->u.sa, brtc_addr_len(a)) == 0 || errno != EADDRINUSE;
  close(fd);
  return ok;
}

static int open_listener(brtc_turn_server *s, const char *text, brtc_addr *bound, char *err,
                         size_t err_cap) {
  for (int attempt = 0; attempt < 16; attempt++) {
    int fd = brtc_udp_open(text, bound, err, err_cap);
    if (fd < 0 || s->no_tcp || tcp_port_free(bound)) return fd;
    brtc_addr asked;
    if (brtc_addr_parse(&asked, text, 0) != BRTC_OK || brtc_addr_port(&asked) != 0) return fd;
    close(fd); /* port 0 asked, and TCP cannot have the one given: pick again */
  }
  snprintf(err, err_cap, "no port free for both UDP and TCP on %s", text);
  return -1;
}

int brtc_turn_server_start(brtc_turn_server *s, brtc_loop *loop, char *err, size_t err_cap) {
  char dummy[8];
  if (!err) {
    err = dummy;
    err_cap = sizeof(dummy);
  }
  if (err_cap) err[0] = '\0';
  if (!s || !loop || s->core) return BRTC_ERR_INVALID;
  s->loop = loop;
  if (s->n_listen == 0) {
    int rc = brtc_turn_server_add_listen(s, BRTC_TURN_DEFAULT_LISTEN);
    if (rc != BRTC_OK) return rc;
  }
  for (size_t i = 0; i < s->n_listen; i++) {
    sock_ctx *c = &s->listeners[i];
    c->fd = open_listener(s, s->listen[i], &s->bound[i], err, err_cap);
    if (c->fd < 0) return BRTC_ERR_IO;
    c->srv = s;
    c->index = (uint32_t)i;
    c->wildcard = brtc_udp_is_wildcard(&s->bound[i]);
    s->n_listeners++;
  }
  if (!s->relay_ip_set) {
    if (brtc_udp_is_wildcard(&s->bound[0])) {
      snprintf(err, err_cap, "listening on a wildcard address: say which address relays with --relay-ip");
      return BRTC_ERR_INVALID;
    }
    s->relay_ip = s->bound[0];
  }
  uint8_t secret[32];
  if (brtc_random_bytes(secret, sizeof(secret)) != BRTC_OK) return BRTC_ERR_CRYPTO;
  brtc_turn_core_config cfg = {.realm = s->realm, .secret = secret, .relay_ip = s->relay_ip,
                               .relay_port_min = (uint16_t)s->port_min,
                               .relay_port_max = (uint16_t)s->port_max,
                               .max_allocations = s->max_total,
                               .max_allocations_per_user = s->per_user,
                               .max_allocations_per_source = s->per_source};
  s->core = brtc_turn_core_new(&cfg);
  memset(secret, 0, sizeof(secret));
  if (!s->core) {
    snprintf(err, err_cap, "cannot make the TURN server (realm, relay address or ports)");
    return BRTC_ERR_INVALID;
  }
  for (size_t i = 0; i < s->n_users; i++)
    if (brtc_turn_core_add_user(s->core, s->users[i].name, s->users[i].password) != BRTC_OK) {
      snprintf(err, err_cap, "bad user %s", s->users[i].name);
      return BRTC_ERR_INVALID;
    }
  if (s->auth_secret && brtc_turn_core_set_auth_secret(s->core, s->auth_secret) != BRTC_OK)
    return BRTC_ERR_NOMEM;
  for (size_t i = 0; i < s->n_allow; i++)
    if (brtc_turn_core_allow_peers(s->core, s->allow[i]) != BRTC_OK) {
      snprintf(err, err_cap, "bad peer range \"%s\": expected ADDR/PREFIX", s->allow[i]);
      return BRTC_ERR_INVALID;
    }
  s->timer = brtc_loop_timer_new(loop, on_timer, s);
  if (!s->timer) return BRTC_ERR_NOMEM;
  s->relay_epfd = epoll_create1(EPOLL_CLOEXEC);
  if (s->relay_epfd < 0 ||
      !(s->relays_watch = brtc_loop_watch_fd(loop, s->relay_epfd, on_relays_readable, s))) {
    snprintf(err, err_cap, "cannot watch the relay sockets");
    return BRTC_ERR_IO;
  }
  if (s->n_listen_tls) {
    int rc = brtc_turn_tls_setup(s, err, err_cap);
    if (rc != BRTC_OK) return rc;
  }
  int rc = brtc_turn_tcp_start(s, err, err_cap);
  if (rc != BRTC_OK) return rc;
  for (size_t i = 0; i < s->n_listeners; i++) {
    s->listeners[i].watch = brtc_loop_watch_fd(loop, s->listeners[i].fd, on_listener_readable,
                                               &s->listeners[i]);
    if (!s->listeners[i].watch) {
      snprintf(err, err_cap, "cannot watch the listening socket");
      return BRTC_ERR_IO;
    }
  }
  return BRTC_OK;
}

size_t brtc_turn_server_listen_addrs(const brtc_turn_server *s, struct sockaddr_storage *out,
                                     size_t cap) {
  if (!s || !out) return 0;
  size_t n = 0;
  for (; n < s->n_listeners && n < cap; n++) {
    memset(&out[n], 0, sizeof(out[n]));
    memcpy(&out[n], &s->bound[n].u, brtc_addr_len(&s->bound[n]));
  }
  return n;
}

size_t brtc_turn_server_tls_addrs(const brtc_turn_server *s, struct sockaddr_storage *out,
                                  size_t cap) {
  if (!s || !out) return 0;
  size_t n = 0;
  for (size_t i = 0; i < s->n_listen_tls && s->tls_slot[i] < s->n_tcp_listeners && n < cap; i++) {
    brtc_addr a;
    if (brtc_addr_parse(&a, s->listen_tls[i], 0) != BRTC_OK) continue;
    brtc_addr_set_port(&a, (uint16_t)brtc_tcp_listener_port(s->tcp_listeners[s->tls_slot[i]]));
    memset(&out[n], 0, sizeof(out[n]));
    memcpy(&out[n], &a.u, brtc_addr_len(&a));
    n++;
  }
  return n;
}

uint64_t brtc_turn_server_count(const brtc_turn_server *s, brtc_turn_counter which) {
  if (!s) return 0;
  brtc_turn_core_stats st = {0};
  if (s->core) brtc_turn_core_get_stats(s->core, &st);
  switch (which) {
  case BRTC_TURN_DATAGRAMS_IN: return s->datagrams_in;
  case BRTC_TURN_DATAGRAMS_OUT: return s->datagrams_out;
  case BRTC_TURN_SEND_ERRORS: return s->send_errors;
  case BRTC_TURN_REQUESTS: return st.stun_requests;
  case BRTC_TURN_ERROR_RESPONSES: return st.responses_error;
  case BRTC_TURN_AUTH_FAILURES: return st.auth_failures;
  case BRTC_TURN_STALE_NONCES: return st.stale_nonces;
  case BRTC_TURN_QUOTA_REFUSED: return st.quota_refused;
  case BRTC_TURN_CAPACITY_REFUSED: return st.capacity_refused;
  case BRTC_TURN_FORBIDDEN_PEERS: return st.forbidden_peers;
  case BRTC_TURN_ALLOCATIONS: return st.allocations;
  case BRTC_TURN_ALLOCATIONS_CREATED: return st.allocations_created;
  case BRTC_TURN_ALLOCATIONS_EXPIRED: return st.allocations_expired;
  case BRTC_TURN_RELAYED_TO_PEERS: return st.to_peer_packets;
  case BRTC_TURN_RELAYED_TO_CLIENTS: return st.to_client_packets;
  case BRTC_TURN_TLS_HANDSHAKES: return s->tls_handshakes;
  case BRTC_TURN_TLS_HANDSHAKE_TIMEOUTS: return s->tls_handshake_timeouts;
  case BRTC_TURN_TLS_FAILURES: return s->tls_failures;
  case BRTC_TURN_DROPPED:
    return st.dropped_malformed + st.dropped_no_allocation + st.dropped_no_permission +
           st.dropped_no_channel + st.dropped_unexpected;
  }
  return 0;
}
