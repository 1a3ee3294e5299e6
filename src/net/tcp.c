/* TCP on the loop: listeners that accept within per-address and total limits, and
 * connections that drive a sans-IO endpoint (brtc_stream_ops in include/boltrtc/loop.h).
 *
 * A connection's buffers are bounded: a read goes into the loop's one read buffer and is
 * offered to the endpoint; what it does not take is held (at most one read) and reading
 * pauses until it is taken. Output is pulled from the endpoint into the loop's one write
 * buffer and sent; what the socket does not take is held (at most one pull, the high-water
 * mark) and nothing more is pulled until it is sent, so an endpoint whose peer does not read
 * keeps its own output and sees it grow. A connection ends when its endpoint is finished
 * (after a lingering close that reads and drops what the peer still sends, so it gets the
 * last answer rather than a reset), when the peer closed and everything it sent was taken,
 * on an error, or when its output has made no progress for BRTC_TCP_STALL_US. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/log.h"
#include "net/loop_io.h"
#include "net/udp.h"

#define BRTC_TCP_STALL_US 30000000u   /* output stuck this long: the peer is not reading */
#define LINGER_US 2000000u            /* a lingering close reads for at most this long */
#define LINGER_BYTES (256 * 1024)     /* and at most this much */
#define WRITE_BUDGET (256 * 1024)     /* sent per flush before others get a turn */
#define READS_PER_EVENT 4
#define PUMP_ROUNDS 64
#define ACCEPTS_PER_EVENT 64
#define ACCEPT_RETRY_US 100000u       /* out of fds: accept again after this */
#define DEFAULT_MAX_TOTAL 1024
#define DEFAULT_MAX_PER_IP 64

struct brtc_tcp_listener {
  brtc_io_source src; /* first: the epoll tag */
  brtc_io_timer retry;
  brtc_loop_io *io;
  int fd, port;
  brtc_tcp_accept_fn on_accept;
  void *user;
  size_t max_total, max_per_ip, open;
  brtc_addr_map per_ip; /* client IP (port 0) -> this listener, aux: its open connections */
  uint64_t accepted, refused_total, refused_per_ip, stalled;
  bool accepting_paused;
  int in_accept;
  bool free_after_accept;
  struct brtc_tcp_listener *next;
};

struct brtc_tcp_conn {
  brtc_io_source src; /* first: the epoll tag */
  brtc_io_timer timer;
  brtc_loop_io *io;
  brtc_tcp_listener *listener; /* NULL once it is freed */
  int fd;
  brtc_addr peer;
  brtc_stream_ops ops;
  void *endpoint;
  bool attached;
  uint8_t *held; /* input the endpoint has not taken yet */
  size_t held_len;
  uint8_t *pending; /* output pulled but not yet sent */
  size_t pending_off, pending_len;
  bool more_out; /* the write budget ran out with output maybe left */
  uint64_t out_since_us; /* last progress of pending output */
  bool eof, lingering, dead, kicked;
  uint64_t linger_until;
  size_t linger_left;
  uint32_t events; /* registered with epoll */
  struct brtc_tcp_conn *prev, *next; /* io->conns */
  struct brtc_tcp_conn *next_kicked, *next_dead;
};

/* ---- a connection's end ---- */

static void per_ip_release(brtc_tcp_conn *c) {
  brtc_tcp_listener *l = c->listener;
  if (!l) return;
  brtc_addr key = c->peer;
  brtc_addr_set_port(&key, 0);
  brtc_hash_slot *slot = brtc_addr_map_find(&l->per_ip, &key);
  if (slot && slot->aux > 1)
    slot->aux--;
  else if (slot)
    brtc_addr_map_remove(&l->per_ip, &key);
  l->open--;
  c->listener = NULL;
}

static void unkick(brtc_tcp_conn *c) {
  if (!c->kicked) return;
  for (brtc_tcp_conn **p = &c->io->kicked; *p; p = &(*p)->next_kicked) {
    if (*p == c) {
      *p = c->next_kicked;
      break;
    }
  }
  c->kicked = false;
}

/* Close the socket and forget the connection; its memory goes at the end of the pass. */
static void destroy(brtc_tcp_conn *c) {
  if (c->dead) return;
  brtc_loop_io *io = c->io;
  c->dead = true;
  epoll_ctl(io->epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  c->fd = -1;
  brtc_timer_heap_remove(&io->timers, &c->timer.heap);
  per_ip_release(c);
  if (c->prev)
    c->prev->next = c->next;
  else
    io->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  unkick(c);
  c->next_dead = io->dead_conns;
  io->dead_conns = c;
}

/* End: tell the endpoint (unless its owner closed it) and destroy. */
static void end(brtc_tcp_conn *c, int error) {
  if (c->dead) return;
  if (c->attached) {
    c->attached = false;
    c->ops.closed(c->endpoint, error);
  }
  destroy(c);
}

/* The endpoint is finished: send FIN, then read and drop what still comes for a while, so
 * the peer reads our last answer instead of a reset (RFC 9112 9.6). */
static void start_linger(brtc_tcp_conn *c, uint64_t now) {
  shutdown(c->fd, SHUT_WR);
  c->lingering = true;
  c->linger_until = now + LINGER_US;
  c->linger_left = LINGER_BYTES;
  free(c->held);
  c->held = NULL;
  c->held_len = 0;
  if (c->attached) {
    c->attached = false;
    c->ops.closed(c->endpoint, BRTC_OK);
  }
  if (c->eof) destroy(c);
}

/* ---- epoll interest and the deadline ---- */

static void settle(brtc_tcp_conn *c) {
  if (c->dead) return;
  uint32_t want = 0;
  if (!c->eof && c->held_len == 0) want |= EPOLLIN;
  if (!c->lingering && (c->pending_len || c->more_out)) want |= EPOLLOUT;
  if (want != c->events) {
    struct epoll_event ev = {.events = want, .data.ptr = c};
    if (epoll_ctl(c->io->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0) c->events = want;
  }
  uint64_t when = UINT64_MAX;
  if (c->lingering) {
    when = c->linger_until;
  } else {
    if (c->attached) when = c->ops.deadline(c->endpoint);
    if (c->pending_len && c->out_since_us + BRTC_TCP_STALL_US < when)
      when = c->out_since_us + BRTC_TCP_STALL_US;
  }
  brtc_timer_heap_update(&c->io->timers, &c->timer.heap, when);
  if (!c->io->in_pass) brtc_loop_rearm(c->io->loop);
}

/* ---- moving bytes ---- */

/* Send held output, then pull and send more while the socket takes it. False if the
 * connection ended. */
static bool write_out(brtc_tcp_conn *c, uint64_t now, bool *progress) {
  size_t budget = WRITE_BUDGET;
  c->more_out = false;
  while (budget > 0) {
    const uint8_t *data;
    size_t len;
    if (c->pending_len) {
      data = c->pending + c->pending_off;
      len = c->pending_len;
    } else {
      if (!c->attached || c->lingering) return true;
      len = c->ops.output(c->endpoint, c->io->wbuf, sizeof(c->io->wbuf), now);
      if (c->dead) return false;
      if (len == 0) return true;
      if (len > sizeof(c->io->wbuf)) len = sizeof(c->io->wbuf);
      data = c->io->wbuf;
    }
    ssize_t sent = send(c->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        end(c, BRTC_ERR_IO);
        return false;
      }
      sent = 0;
    }
    size_t done = (size_t)sent;
    if (done > 0) {
      *progress = true;
      c->out_since_us = now;
      budget -= done < budget ? done : budget;
    }
    if (c->pending_len) {
      c->pending_off += done;
      c->pending_len -= done;
      if (c->pending_len) return true; /* the socket is full: wait for EPOLLOUT */
      free(c->pending);                /* drained: no buffer kept while idle */
      c->pending = NULL;
      c->pending_off = 0;
      continue;
    }
    if (done < len) {
      c->pending = malloc(BRTC_IO_WRITE_CHUNK);
      if (!c->pending) {
        end(c, BRTC_ERR_NOMEM);
        return false;
      }
      memcpy(c->pending, data + done, len - done);
      c->pending_off = 0;
      c->pending_len = len - done;
      c->out_since_us = now; /* the stall clock starts now */
      return true;
    }
  }
  c->more_out = true; /* others get a turn; EPOLLOUT brings us back */
  return true;
}

/* Offer held input, send output, again while either moves; then decide whether the
 * connection ends, and re-register. */
static void pump(brtc_tcp_conn *c, uint64_t now) {
  for (int round = 0; round < PUMP_ROUNDS && !c->dead; round++) {
    bool progress = false;
    if (c->attached && c->held_len && !c->lingering) {
      size_t took = c->ops.input(c->endpoint, c->held, c->held_len, now);
      if (c->dead) return;
      if (took > c->held_len) took = c->held_len;
      if (took) {
        memmove(c->held, c->held + took, c->held_len - took);
        c->held_len -= took;
        progress = true;
        if (c->held_len == 0) {
          free(c->held);
          c->held = NULL;
        }
      }
    }
    if (!write_out(c, now, &progress)) return;
    if (!progress) break;
  }
  if (c->dead) return;
  if (c->attached && !c->lingering && !c->pending_len && !c->more_out) {
    if (c->ops.finished(c->endpoint)) {
      start_linger(c, now);
    } else if (c->eof && c->held_len == 0) {
      end(c, BRTC_OK); /* the peer is done and everything it sent was answered */
      return;
    }
  }
  settle(c);
}

static void read_in(brtc_tcp_conn *c, uint64_t now) {
  brtc_loop_io *io = c->io;
  if (c->lingering) {
    for (;;) {
      ssize_t n = recv(c->fd, io->rbuf, sizeof(io->rbuf), MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n <= 0 || (size_t)n >= c->linger_left) {
        destroy(c);
        return;
      }
      c->linger_left -= (size_t)n;
    }
  }
  for (int i = 0; i < READS_PER_EVENT && !c->held_len && !c->eof && !c->dead; i++) {
    ssize_t n = recv(c->fd, io->rbuf, sizeof(io->rbuf), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      end(c, BRTC_ERR_IO);
      return;
    }
    if (n == 0) {
      c->eof = true;
      break;
    }
    size_t took = c->attached ? c->ops.input(c->endpoint, io->rbuf, (size_t)n, now) : 0;
    if (c->dead) return;
    if (took < (size_t)n) {
      c->held = malloc(BRTC_IO_READ_CHUNK);
      if (!c->held) {
        end(c, BRTC_ERR_NOMEM);
        return;
      }
      c->held_len = (size_t)n - took;
      memcpy(c->held, io->rbuf + took, c->held_len);
    }
    if ((size_t)n < sizeof(io->rbuf)) break; /* the socket is likely empty */
  }
  pump(c, now);
}

void brtc_tcp_conn_ready(brtc_tcp_conn *c, uint32_t events, uint64_t now) {
  if (c->dead) return;
  if (events & EPOLLERR) {
    end(c, BRTC_ERR_IO);
    return;
  }
  if (events & EPOLLIN) {
    read_in(c, now);
  } else if (events & EPOLLHUP) {
    /* Both directions are gone (a reset): nobody is left to answer. */
    if (c->lingering) destroy(c);
    else end(c, BRTC_OK);
    return;
  } else if (events & EPOLLOUT) {
    pump(c, now);
  }
}

void brtc_tcp_conn_due(brtc_tcp_conn *c, uint64_t now) {
  if (c->dead) return;
  if (c->lingering) {
    if (now >= c->linger_until) destroy(c);
    return;
  }
  if (c->pending_len && now >= c->out_since_us + BRTC_TCP_STALL_US) {
    if (c->listener) c->listener->stalled++;
    end(c, BRTC_ERR_IO);
    return;
  }
  if (c->attached && c->ops.deadline(c->endpoint) <= now) {
    c->ops.timeout(c->endpoint, now);
    if (c->dead) return;
  }
  pump(c, now);
}

void brtc_tcp_conn_flush_kicked(brtc_loop_io *io, uint64_t now) {
  brtc_tcp_conn *c = io->kicked;
  io->kicked = c->next_kicked;
  c->kicked = false;
  if (!c->dead) pump(c, now);
}

void brtc_tcp_reap(brtc_loop_io *io) {
  while (io->dead_conns) {
    brtc_tcp_conn *c = io->dead_conns;
    io->dead_conns = c->next_dead;
    free(c->held);
    free(c->pending);
    free(c);
  }
}

/* ---- the public connection calls ---- */

int brtc_tcp_conn_attach(brtc_tcp_conn *c, const brtc_stream_ops *ops, void *endpoint) {
  if (!c || !ops || c->dead || ops->size < offsetof(brtc_stream_ops, closed) + sizeof(ops->closed))
    return BRTC_ERR_INVALID;
  brtc_stream_ops copy;
  memset(&copy, 0, sizeof(copy));
  memcpy(&copy, ops, ops->size < sizeof(copy) ? ops->size : sizeof(copy));
  if (!copy.input || !copy.output || !copy.deadline || !copy.timeout || !copy.finished ||
      !copy.closed)
    return BRTC_ERR_INVALID;
  c->ops = copy;
  c->endpoint = endpoint;
  c->attached = true;
  brtc_tcp_conn_kick(c);
  return BRTC_OK;
}

int brtc_tcp_conn_peer(const brtc_tcp_conn *c, struct sockaddr_storage *out) {
  if (!c || !out) return BRTC_ERR_INVALID;
  memset(out, 0, sizeof(*out));
  memcpy(out, &c->peer, brtc_addr_len(&c->peer));
  return BRTC_OK;
}

void brtc_tcp_conn_kick(brtc_tcp_conn *c) {
  if (!c || c->dead || c->kicked) return;
  /* Never flushed from inside the caller's own call: the endpoint may be told "closed" and
   * free itself, and its owner is still on the stack. */
  c->kicked = true;
  c->next_kicked = c->io->kicked;
  c->io->kicked = c;
  if (!c->io->in_pass) brtc_loop_rearm(c->io->loop);
}

void brtc_tcp_conn_close(brtc_tcp_conn *c) {
  if (!c || c->dead) return;
  c->attached = false;
  destroy(c);
  if (!c->io->in_pass) brtc_loop_reap(c->io);
}

void brtc_tcp_close_all(brtc_loop_io *io) {
  while (io->conns) end(io->conns, BRTC_ERR_STATE);
  while (io->listeners) brtc_tcp_listener_free(io->listeners);
}

/* ---- listening ---- */

static void pause_accepting(brtc_tcp_listener *l, uint64_t now, bool pause) {
  struct epoll_event ev = {.events = pause ? 0 : EPOLLIN, .data.ptr = l};
  epoll_ctl(l->io->epfd, EPOLL_CTL_MOD, l->fd, &ev);
  l->accepting_paused = pause;
  brtc_timer_heap_update(&l->io->timers, &l->retry.heap, pause ? now + ACCEPT_RETRY_US : UINT64_MAX);
}

static bool within_limits(brtc_tcp_listener *l, const brtc_addr *key) {
  if (l->open >= l->max_total) {
    l->refused_total++;
    return false;
  }
  const brtc_hash_slot *slot = brtc_addr_map_find(&l->per_ip, key);
  if (slot && slot->aux >= l->max_per_ip) {
    l->refused_per_ip++;
    return false;
  }
  return true;
}

static void accept_one(brtc_tcp_listener *l, int fd, const brtc_addr *peer, uint64_t now) {
  brtc_loop_io *io = l->io;
  brtc_addr key = *peer;
  brtc_addr_set_port(&key, 0);
  if (!within_limits(l, &key)) {
    close(fd);
    return;
  }
  brtc_tcp_conn *c = calloc(1, sizeof(*c));
  const brtc_hash_slot *slot = brtc_addr_map_find(&l->per_ip, &key);
  if (!c || brtc_addr_map_put(&l->per_ip, &key, l, slot ? slot->aux + 1 : 1) != BRTC_OK) {
    free(c);
    close(fd);
    return;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* signaling is small messages */
  c->src.kind = BRTC_IO_CONN;
  c->timer.kind = BRTC_IO_CONN;
  c->timer.owner = c;
  c->timer.heap.deadline = UINT64_MAX;
  c->io = io;
  c->listener = l;
  c->fd = fd;
  c->peer = *peer;
  c->events = EPOLLIN;
  c->out_since_us = now;
  l->open++;
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
  if (brtc_timer_heap_push(&io->timers, &c->timer.heap) != BRTC_OK) {
    per_ip_release(c);
    close(fd);
    free(c);
    return;
  }
  if (epoll_ctl(io->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    brtc_timer_heap_remove(&io->timers, &c->timer.heap);
    per_ip_release(c);
    close(fd);
    free(c);
    return;
  }
  c->next = io->conns;
  if (io->conns) io->conns->prev = c;
  io->conns = c;
  l->accepted++;
  l->on_accept(l->user, c);
  if (!c->dead && !c->attached) destroy(c); /* the owner did not want it */
}

void brtc_tcp_listener_ready(brtc_tcp_listener *l, uint64_t now) {
  l->in_accept++;
  for (int i = 0; i < ACCEPTS_PER_EVENT && !l->free_after_accept; i++) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int fd = accept4(l->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        /* The listening socket stays readable: without a pause this would spin. */
        brtc_log(BRTC_LOG_WARN, NULL, "tcp accept: %s (accepting again in 100 ms)",
                 strerror(errno));
        pause_accepting(l, now, true);
      }
      break;
    }
    brtc_addr peer;
    if (!brtc_addr_from_sockaddr(&peer, (struct sockaddr *)&ss, len)) {
      close(fd);
      continue;
    }
    accept_one(l, fd, &peer, now);
  }
  l->in_accept--;
  if (l->free_after_accept && !l->in_accept) brtc_tcp_listener_free(l);
}

void brtc_tcp_listener_due(brtc_tcp_listener *l, uint64_t now) {
  if (l->accepting_paused) pause_accepting(l, now, false);
}

static int listen_socket(const char *text, brtc_addr *bound, char *err, size_t err_cap) {
  if (brtc_addr_parse(bound, text, 0) != BRTC_OK) {
    snprintf(err, err_cap, "bad TCP address \"%s\": expected IP:PORT or [IPv6]:PORT", text);
    return BRTC_ERR_INVALID;
  }
  int family = brtc_addr_family(bound);
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    snprintf(err, err_cap, "socket: %s", strerror(errno));
    return BRTC_ERR_IO;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  socklen_t len = brtc_addr_len(bound);
  if (bind(fd, &bound->u.sa, len) != 0 || listen(fd, 511) != 0) {
    snprintf(err, err_cap, "cannot listen on %s: %s", text, strerror(errno));
    close(fd);
    return BRTC_ERR_IO;
  }
  struct sockaddr_storage ss;
  len = sizeof(ss);
  if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
    brtc_addr_from_sockaddr(bound, (struct sockaddr *)&ss, len);
  return fd;
}

brtc_tcp_listener *brtc_loop_tcp_listen(brtc_loop *loop, const char *addr,
                                        brtc_tcp_accept_fn on_accept, void *user, char *err,
                                        size_t err_cap) {
  char dummy[8];
  if (!err) {
    err = dummy;
    err_cap = sizeof(dummy);
  }
  if (!loop || !addr || !on_accept) {
    snprintf(err, err_cap, "missing loop, address or accept function");
    return NULL;
  }
  brtc_loop_io *io = brtc_loop_io_of(loop);
  brtc_addr bound;
  int fd = listen_socket(addr, &bound, err, err_cap);
  if (fd < 0) return NULL;
  brtc_tcp_listener *l = calloc(1, sizeof(*l));
  if (!l) {
    close(fd);
    snprintf(err, err_cap, "out of memory");
    return NULL;
  }
  l->src.kind = BRTC_IO_LISTENER;
  l->retry.kind = BRTC_IO_LISTENER;
  l->retry.owner = l;
  l->retry.heap.deadline = UINT64_MAX;
  l->io = io;
  l->fd = fd;
  l->port = brtc_addr_port(&bound);
  l->on_accept = on_accept;
  l->user = user;
  l->max_total = DEFAULT_MAX_TOTAL;
  l->max_per_ip = DEFAULT_MAX_PER_IP;
  brtc_addr_map_init(&l->per_ip);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = l};
  if (brtc_timer_heap_push(&io->timers, &l->retry.heap) != BRTC_OK ||
      epoll_ctl(io->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    snprintf(err, err_cap, "epoll: %s", strerror(errno));
    brtc_timer_heap_remove(&io->timers, &l->retry.heap);
    close(fd);
    free(l);
    return NULL;
  }
  l->next = io->listeners;
  io->listeners = l;
  return l;
}

int brtc_tcp_listener_set_limits(brtc_tcp_listener *l, size_t max_total, size_t max_per_ip) {
  if (!l) return BRTC_ERR_INVALID;
  if (max_total) l->max_total = max_total;
  if (max_per_ip) l->max_per_ip = max_per_ip;
  return BRTC_OK;
}

int brtc_tcp_listener_port(const brtc_tcp_listener *l) { return l ? l->port : -1; }

uint64_t brtc_tcp_listener_count(const brtc_tcp_listener *l, brtc_tcp_counter which) {
  if (!l) return 0;
  switch (which) {
    case BRTC_TCP_ACCEPTED: return l->accepted;
    case BRTC_TCP_REFUSED_TOTAL: return l->refused_total;
    case BRTC_TCP_REFUSED_PER_IP: return l->refused_per_ip;
    case BRTC_TCP_OPEN: return l->open;
    case BRTC_TCP_STALLED: return l->stalled;
  }
  return 0;
}

void brtc_tcp_listener_free(brtc_tcp_listener *l) {
  if (!l) return;
  if (l->in_accept) { /* from inside its own accept callback: when that returns */
    l->free_after_accept = true;
    return;
  }
  brtc_loop_io *io = l->io;
  for (brtc_tcp_listener **p = &io->listeners; *p; p = &(*p)->next) {
    if (*p == l) {
      *p = l->next;
      break;
    }
  }
  for (brtc_tcp_conn *c = io->conns; c; c = c->next)
    if (c->listener == l) c->listener = NULL;
  epoll_ctl(io->epfd, EPOLL_CTL_DEL, l->fd, NULL);
  close(l->fd);
  brtc_timer_heap_remove(&io->timers, &l->retry.heap);
  brtc_addr_map_free(&l->per_ip);
  free(l);
}
