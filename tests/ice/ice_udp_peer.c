/* ice_udp_peer: our ICE agent on real UDP sockets, driven by lines on stdin and telling what
 * happens on stdout, so that a test or a benchmark can put it against another agent (aioice,
 * libnice, or another ice_udp_peer) and exchange the descriptions between them.
 *
 *   ice_udp_peer (--controlling | --controlled) [--lite] --bind IP [--bind IP]... [--ta-ms N]
 *
 * It binds one socket per address (port 0), then prints
 *   ufrag U / pwd P / candidate <line> ... / gathering-done
 * and reads
 *   remote-ufrag U / remote-pwd P / remote-lite / candidate <line> / end-of-candidates
 *   start       the remote description is complete: checks begin
 *   send TEXT   a datagram on the selected pair
 *   quit
 * printing as things happen (milliseconds since start):
 *   state NAME MS / selected LOCAL REMOTE MS / connected MS / data TEXT
 * Any datagram that is not STUN and comes from a valid remote is printed and, unless it
 * starts with "echo:", sent back as "echo:" and itself: the application data test. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "boltrtc/error.h"
#include "common/addr.h"
#include "ice/ice_transport.h"
#include "stun/stun.h"

#define MAX_SOCKS 4
#define MAX_REMOTE 32

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

typedef struct peer {
  brtc_ice_transport *t;
  int fd[MAX_SOCKS];
  brtc_addr bound[MAX_SOCKS];
  size_t n;
  uint64_t start_us;
  bool started, connected;
  char rufrag[300], rpwd[300];
  bool rlite, reoc;
  char *rcands[MAX_REMOTE];
  size_t n_rcands;
} peer;

static double ms_since_start(const peer *p) {
  return p->started ? (double)(now_us() - p->start_us) / 1000.0 : 0.0;
}

static bool trace; /* ICE_UDP_PEER_TRACE=1: every datagram on stderr */

static void trace_datagram(const peer *p, const char *dir, const void *buf, size_t len) {
  brtc_stun_msg m;
  if (!trace) return;
  bool stun = brtc_stun_parse(buf, len, &m) == BRTC_OK;
  fprintf(stderr, "%s %8.3f %s %s%s\n", brtc_ice_transport_local_ufrag(p->t), ms_since_start(p), dir,
          !stun ? "data" : m.type == BRTC_STUN_BINDING_REQUEST ? "request" : "response",
          stun && m.use_candidate ? " use-candidate" : "");
}

static void send_to(peer *p, uint32_t sock, const brtc_addr *to, const void *buf, size_t len) {
  if (sock >= p->n) return;
  trace_datagram(p, "out", buf, len);
  if (sendto(p->fd[sock], buf, len, 0, &to->u.sa, brtc_addr_len(to)) < 0)
    fprintf(stderr, "ice_udp_peer: sendto: %s\n", strerror(errno));
}

static void drain(peer *p) {
  uint8_t buf[BRTC_ICE_MAX_DATAGRAM];
  char a[BRTC_ADDR_STRLEN], b[BRTC_ADDR_STRLEN], line[BRTC_ICE_CANDIDATE_LINE_MAX];
  for (;;) {
    brtc_ice_output o;
    if (brtc_ice_transport_poll(p->t, buf, sizeof(buf), &o) != BRTC_OK) continue;
    if (o.kind == BRTC_ICE_OUTPUT_TIMEOUT) break;
    if (o.kind == BRTC_ICE_OUTPUT_TRANSMIT) {
      send_to(p, o.socket, &o.to, buf, o.len);
      continue;
    }
    const brtc_ice_event *e = &o.event;
    switch (e->type) {
      case BRTC_ICE_EVENT_LOCAL_CANDIDATE:
        if (brtc_ice_candidate_format(&e->candidate, line, sizeof(line)) == BRTC_OK)
          printf("candidate %s\n", line);
        break;
      case BRTC_ICE_EVENT_GATHERING_DONE: printf("gathering-done\n"); break;
      case BRTC_ICE_EVENT_SELECTED_PAIR:
        printf("selected %s %s %.3f\n", brtc_addr_str(&e->pair.base, a, sizeof(a)),
               brtc_addr_str(&e->pair.remote, b, sizeof(b)), ms_since_start(p));
        break;
      case BRTC_ICE_EVENT_STATE:
        printf("state %s %.3f\n", brtc_ice_conn_state_name(e->state), ms_since_start(p));
        if (!p->connected &&
            (e->state == BRTC_ICE_CONN_CONNECTED || e->state == BRTC_ICE_CONN_COMPLETED)) {
          p->connected = true;
          printf("connected %.3f\n", ms_since_start(p));
        }
        break;
      case BRTC_ICE_EVENT_ROLE: printf("role %s\n", e->controlling ? "controlling" : "controlled"); break;
      case BRTC_ICE_EVENT_CREDENTIALS:
        printf("ufrag %s\npwd %s\n", brtc_ice_transport_local_ufrag(p->t),
               brtc_ice_transport_local_pwd(p->t));
        break;
      case BRTC_ICE_EVENT_ERROR: printf("error %s\n", e->reason ? e->reason : "?"); break;
    }
  }
  fflush(stdout);
}

static void on_datagram(peer *p, size_t sock, const uint8_t *buf, size_t len, const brtc_addr *from) {
  uint64_t now = now_us();
  trace_datagram(p, "in ", buf, len);
  if (brtc_stun_is_stun(buf, len)) {
    brtc_stun_msg m;
    if (brtc_stun_parse(buf, len, &m) != BRTC_OK) return;
    brtc_ice_transport_handle_stun(p->t, &p->bound[sock], from, buf, len, &m, now);
    return;
  }
  if (!brtc_ice_transport_is_valid_remote(p->t, from)) return;
  printf("data %.*s\n", (int)len, (const char *)buf);
  if (len < 5 || memcmp(buf, "echo:", 5) != 0) {
    char reply[1500];
    int n = snprintf(reply, sizeof(reply), "echo:%.*s", (int)len, (const char *)buf);
    brtc_ice_pair_info sel;
    if (n > 0 && brtc_ice_transport_selected(p->t, &sel)) send_to(p, sel.socket, &sel.remote, reply, (size_t)n);
  }
}

static void start(peer *p) {
  p->start_us = now_us();
  p->started = true;
  if (brtc_ice_transport_set_remote_description(p->t, p->rufrag, p->rpwd, p->rlite,
                                                (const char *const *)p->rcands, p->n_rcands,
                                                p->reoc, p->start_us) != BRTC_OK)
    printf("error bad remote credentials\n");
}

static void copy_line(char *dst, size_t cap, const char *src) {
  size_t n = strlen(src);
  if (n >= cap) n = cap - 1; /* longer than any credential we accept: it will be refused */
  memcpy(dst, src, n);
  dst[n] = '\0';
}

/* One line from the driver; false on quit. */
static bool command(peer *p, char *line) {
  line[strcspn(line, "\r\n")] = '\0';
  uint64_t now = now_us();
  if (strncmp(line, "remote-ufrag ", 13) == 0) {
    copy_line(p->rufrag, sizeof(p->rufrag), line + 13);
  } else if (strncmp(line, "remote-pwd ", 11) == 0) {
    copy_line(p->rpwd, sizeof(p->rpwd), line + 11);
  } else if (strcmp(line, "remote-lite") == 0) {
    p->rlite = true;
  } else if (strncmp(line, "candidate ", 10) == 0) {
    if (p->started) brtc_ice_transport_add_remote_candidate(p->t, line + 10, now); /* trickle */
    else if (p->n_rcands < MAX_REMOTE) p->rcands[p->n_rcands++] = strdup(line + 10);
  } else if (strcmp(line, "end-of-candidates") == 0) {
    if (p->started) brtc_ice_transport_end_of_remote_candidates(p->t, now);
    else p->reoc = true;
  } else if (strcmp(line, "start") == 0) {
    start(p);
    if (trace) fprintf(stderr, "%s %8.3f start\n", brtc_ice_transport_local_ufrag(p->t), ms_since_start(p));
  } else if (strncmp(line, "send ", 5) == 0) {
    brtc_ice_pair_info sel;
    if (brtc_ice_transport_selected(p->t, &sel)) send_to(p, sel.socket, &sel.remote, line + 5, strlen(line + 5));
    else printf("error nothing selected\n");
  } else if (strcmp(line, "restart") == 0) {
    brtc_ice_transport_restart(p->t, now);
    printf("ufrag %s\npwd %s\n", brtc_ice_transport_local_ufrag(p->t), brtc_ice_transport_local_pwd(p->t));
  } else if (strcmp(line, "quit") == 0) {
    return false;
  }
  return true;
}

static int bind_socket(peer *p, const char *ip) {
  brtc_addr a;
  if (p->n == MAX_SOCKS || brtc_addr_from_ip(&a, ip, 0) != BRTC_OK) return -1;
  int fd = socket(brtc_addr_family(&a), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  socklen_t len = brtc_addr_len(&a);
  if (bind(fd, &a.u.sa, len) != 0 || getsockname(fd, &a.u.sa, &len) != 0) {
    close(fd);
    return -1;
  }
  p->fd[p->n] = fd;
  p->bound[p->n++] = a;
  return 0;
}

int main(int argc, char **argv) {
  peer p;
  memset(&p, 0, sizeof(p));
  trace = getenv("ICE_UDP_PEER_TRACE") != NULL;
  brtc_ice_config cfg;
  brtc_ice_config_init(&cfg);
  bool role_given = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--controlling") == 0) cfg.controlling = role_given = true;
    else if (strcmp(argv[i], "--controlled") == 0) role_given = true;
    else if (strcmp(argv[i], "--lite") == 0) cfg.lite = true;
    else if (strcmp(argv[i], "--bind") == 0 && i + 1 < argc) {
      if (bind_socket(&p, argv[++i]) != 0) {
        fprintf(stderr, "ice_udp_peer: cannot bind %s\n", argv[i]);
        return 2;
      }
    } else if (strcmp(argv[i], "--ta-ms") == 0 && i + 1 < argc) {
      cfg.ta_us = strtoull(argv[++i], NULL, 10) * 1000;
    } else {
      fprintf(stderr, "usage: ice_udp_peer (--controlling|--controlled) [--lite] --bind IP...\n");
      return 2;
    }
  }
  if (!role_given || p.n == 0) {
    fprintf(stderr, "ice_udp_peer: a role and at least one --bind\n");
    return 2;
  }
  char err[160];
  if (brtc_ice_transport_new(&cfg, now_us(), &p.t, err, sizeof(err)) != BRTC_OK) {
    fprintf(stderr, "ice_udp_peer: %s\n", err);
    return 2;
  }
  printf("ufrag %s\npwd %s\n", brtc_ice_transport_local_ufrag(p.t), brtc_ice_transport_local_pwd(p.t));
  for (size_t i = 0; i < p.n; i++) brtc_ice_transport_add_host_candidate(p.t, &p.bound[i], (uint32_t)i, now_us());
  brtc_ice_transport_end_of_local_candidates(p.t, now_us());
  drain(&p);

  char line[4096];
  size_t have = 0;
  for (bool running = true; running;) {
    struct pollfd fds[MAX_SOCKS + 1];
    fds[0] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
    for (size_t i = 0; i < p.n; i++) fds[i + 1] = (struct pollfd){.fd = p.fd[i], .events = POLLIN};
    uint64_t deadline = brtc_ice_transport_next_deadline(p.t), now = now_us();
    int timeout = deadline == UINT64_MAX ? 1000 : deadline <= now ? 0 : (int)((deadline - now + 999) / 1000);
    if (timeout > 1000) timeout = 1000;
    if (poll(fds, p.n + 1, timeout) < 0 && errno != EINTR) break;
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      ssize_t n = read(STDIN_FILENO, line + have, sizeof(line) - 1 - have);
      if (n <= 0) break; /* the driver went away */
      have += (size_t)n;
      line[have] = '\0';
      char *nl;
      while (running && (nl = memchr(line, '\n', have))) {
        *nl = '\0';
        running = command(&p, line);
        size_t used = (size_t)(nl + 1 - line);
        memmove(line, nl + 1, have - used);
        have -= used;
        line[have] = '\0';
      }
      if (have == sizeof(line) - 1) have = 0; /* a line too long: dropped */
    }
    for (size_t i = 0; i < p.n; i++) {
      if (!(fds[i + 1].revents & POLLIN)) continue;
      for (int k = 0; k < 64; k++) {
        uint8_t buf[2048];
        brtc_addr from;
        socklen_t flen = sizeof(from.u);
        ssize_t n = recvfrom(p.fd[i], buf, sizeof(buf), 0, &from.u.sa, &flen);
        if (n < 0) break;
        on_datagram(&p, i, buf, (size_t)n, &from);
      }
    }
    brtc_ice_transport_handle_timeout(p.t, now_us());
    drain(&p);
  }
  for (size_t i = 0; i < p.n; i++) close(p.fd[i]);
  for (size_t i = 0; i < p.n_rcands; i++) free(p.rcands[i]);
  brtc_ice_transport_free(p.t);
  return 0;
}
