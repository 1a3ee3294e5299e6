/* A pc's own connected UDP sockets to its TURN servers (relay_socket.h). Sends are batched
 * per socket with sendmmsg, like the loop's; receives are read with recvmmsg from a watch on
 * the loop, and handed to the pc as from its server: the socket says whose they are. */
#include "net/relay_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boltrtc/error.h"
#include "common/addr.h"
#include "common/log.h"
#include "net/relay_stream.h"

#define RELAY_MAX_DATAGRAM 2048 /* = BRTC_LOOP_MAX_DATAGRAM */
#define RECV_ROUNDS 4           /* recvmmsg batches per wake-up, for fairness with the rest */
#define MAX_ERROR_LOGS 8

struct brtc_relay_socket {
  brtc_relay_io *io;
  int fd;
  brtc_loop_watch *watch;
  brtc_pc *pc;
  brtc_addr server;
  brtc_transmit_via via;
  brtc_relay_stream *stream; /* via TCP or TLS: instead of fd and watch */
};

struct brtc_relay_io {
  brtc_loop *loop;
  brtc_relay_stats stats;
  unsigned error_logs;
  int tx_fd; /* the socket the queued datagrams go out of */
  size_t n_tx;
  struct mmsghdr tx_msgs[BRTC_RELAY_BATCH];
  struct iovec tx_iov[BRTC_RELAY_BATCH];
  uint8_t tx_buf[BRTC_RELAY_BATCH][RELAY_MAX_DATAGRAM];
  struct mmsghdr rx_msgs[BRTC_RELAY_BATCH];
  struct iovec rx_iov[BRTC_RELAY_BATCH];
  uint8_t rx_buf[BRTC_RELAY_BATCH][RELAY_MAX_DATAGRAM];
};

static void log_error(brtc_relay_io *io, const char *what, int err) {
  if (io->error_logs >= MAX_ERROR_LOGS) return;
  io->error_logs++;
  brtc_log(BRTC_LOG_WARN, NULL, "TURN socket %s: %s%s", what, strerror(err),
           io->error_logs == MAX_ERROR_LOGS ? " (further errors not logged)" : "");
}

brtc_relay_io *brtc_relay_io_new(brtc_loop *loop) {
  brtc_relay_io *io = calloc(1, sizeof(*io));
  if (!io) return NULL;
  io->loop = loop;
  io->tx_fd = -1;
  for (size_t i = 0; i < BRTC_RELAY_BATCH; i++) {
    io->tx_iov[i].iov_base = io->tx_buf[i];
    io->tx_msgs[i].msg_hdr.msg_iov = &io->tx_iov[i];
    io->tx_msgs[i].msg_hdr.msg_iovlen = 1;
    io->rx_iov[i].iov_base = io->rx_buf[i];
    io->rx_iov[i].iov_len = RELAY_MAX_DATAGRAM;
    io->rx_msgs[i].msg_hdr.msg_iov = &io->rx_iov[i];
    io->rx_msgs[i].msg_hdr.msg_iovlen = 1;
  }
  return io;
}

void brtc_relay_io_free(brtc_relay_io *io) { free(io); }

const brtc_relay_stats *brtc_relay_io_stats(const brtc_relay_io *io) { return &io->stats; }

void brtc_relay_flush(brtc_relay_io *io) {
  size_t done = 0;
  while (done < io->n_tx) {
    int sent = sendmmsg(io->tx_fd, &io->tx_msgs[done], (unsigned)(io->n_tx - done), MSG_DONTWAIT);
    if (sent < 0) {
      if (errno == EINTR) continue;
      /* UDP: drop the first (buffer full, or the server's port unreachable) and go on. */
      if (errno != EAGAIN && errno != EWOULDBLOCK) log_error(io, "send", errno);
      io->stats.send_errors++;
      done++;
      continue;
    }
    io->stats.datagrams_out += (uint64_t)sent;
    done += (size_t)sent;
  }
  io->n_tx = 0;
}

/* Everything the server sent: the pc's, as from the server (the socket is connected). */
static void readable(void *user, int fd, uint64_t now) {
  brtc_relay_socket *s = user;
  brtc_relay_io *io = s->io;
  for (int round = 0; round < RECV_ROUNDS; round++) {
    for (size_t i = 0; i < BRTC_RELAY_BATCH; i++) io->rx_msgs[i].msg_hdr.msg_flags = 0;
    int n = recvmmsg(fd, io->rx_msgs, BRTC_RELAY_BATCH, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      /* ECONNREFUSED: an ICMP error from the server's address; the client's retransmissions
       * and timeouts deal with a server that is gone. */
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNREFUSED)
        log_error(io, "receive", errno);
      return;
    }
    for (int i = 0; i < n; i++) {
      const struct mmsghdr *m = &io->rx_msgs[i];
      io->stats.datagrams_in++;
      if (m->msg_hdr.msg_flags & MSG_TRUNC) {
        io->stats.dropped_by_pc++;
        continue;
      }
      if (brtc_pc_handle_datagram(s->pc, io->rx_buf[i], m->msg_len, &s->server.u.sa, now) < 0)
        io->stats.dropped_by_pc++;
    }
    if (n < BRTC_RELAY_BATCH) return;
  }
}

/* A nonblocking UDP socket on source's IP (port 0: an ephemeral one), connected to server. */
static int open_socket(const brtc_addr *server, const struct sockaddr_storage *source) {
  int family = server->u.sa.sa_family;
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  brtc_addr local;
  memset(&local, 0, sizeof local);
  if (source->ss_family == family &&
      brtc_addr_from_sockaddr(&local, (const struct sockaddr *)source, sizeof(*source))) {
    brtc_addr_set_port(&local, 0);
  } else {
    local.u.sa.sa_family = (sa_family_t)family; /* the wildcard address, port 0 */
  }
  if (bind(fd, &local.u.sa, brtc_addr_len(&local)) != 0 ||
      connect(fd, &server->u.sa, brtc_addr_len(server)) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

static bool same(const brtc_relay_socket *s, const brtc_addr *server, brtc_transmit_via via) {
  return s->via == via && brtc_addr_equal(&s->server, server);
}

static brtc_relay_socket *socket_for(brtc_relay_io *io, brtc_relay_set *set, brtc_pc *pc,
                                     const struct sockaddr_storage *to,
                                     const struct sockaddr_storage *source,
                                     brtc_transmit_via via) {
  brtc_addr server;
  if (!brtc_addr_from_sockaddr(&server, (const struct sockaddr *)to, sizeof(*to))) return NULL;
  if (set->last < set->n && same(set->socks[set->last], &server, via)) return set->socks[set->last];
  for (size_t i = 0; i < set->n; i++) {
    if (same(set->socks[i], &server, via)) {
      set->last = i;
      return set->socks[i];
    }
  }
  if (set->n == BRTC_RELAY_SOCKETS_PER_PC) return NULL;
  brtc_relay_socket *s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  s->io = io;
  s->pc = pc;
  s->server = server;
  s->via = via;
  s->fd = -1;
  bool ok;
  if (via != BRTC_VIA_UDP) { /* TCP or TLS: a connection of the pc's own (relay_stream.h) */
    s->stream = brtc_relay_stream_open(io->loop, pc, &server, source, via == BRTC_VIA_TLS);
    ok = s->stream != NULL;
  } else {
    s->fd = open_socket(&server, source);
    if (s->fd < 0) log_error(io, "open", errno);
    s->watch = s->fd >= 0 ? brtc_loop_watch_fd(io->loop, s->fd, readable, s) : NULL;
    ok = s->watch != NULL;
    if (!ok && s->fd >= 0) close(s->fd);
  }
  if (!ok) {
    free(s);
    return NULL;
  }
  io->stats.sockets_opened++;
  set->last = set->n;
  set->socks[set->n++] = s;
  return s;
}

int brtc_relay_send(brtc_relay_io *io, brtc_relay_set *set, brtc_pc *pc, const uint8_t *data,
                    size_t len, const struct sockaddr_storage *to,
                    const struct sockaddr_storage *source, brtc_transmit_via via) {
  brtc_relay_socket *s =
      len && len <= RELAY_MAX_DATAGRAM ? socket_for(io, set, pc, to, source, via) : NULL;
  if (!s) {
    io->stats.send_errors++;
    return BRTC_ERR_IO;
  }
  if (s->stream) { /* a message on the stream; the connection writes when it can */
    int rc = brtc_relay_stream_send(s->stream, data, len);
    if (rc != BRTC_OK) io->stats.send_errors++;
    else io->stats.datagrams_out++;
    return rc;
  }
  if (io->n_tx && (io->tx_fd != s->fd || io->n_tx == BRTC_RELAY_BATCH)) brtc_relay_flush(io);
  io->tx_fd = s->fd;
  memcpy(io->tx_buf[io->n_tx], data, len);
  io->tx_iov[io->n_tx].iov_len = len;
  io->n_tx++;
  return BRTC_OK;
}

void brtc_relay_set_close(brtc_relay_io *io, brtc_relay_set *set) {
  if (io->n_tx) brtc_relay_flush(io); /* a close's last Refresh (lifetime 0) still goes */
  for (size_t i = 0; i < set->n; i++) {
    brtc_relay_socket *s = set->socks[i];
    if (s->stream) {
      brtc_relay_stream_close(s->stream);
    } else {
      brtc_loop_unwatch(s->watch); /* the watch stays dead until the pass ends: never called */
      close(s->fd);
    }
    free(s);
  }
  memset(set, 0, sizeof(*set));
}
