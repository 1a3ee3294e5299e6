/* turn_probe [--tls] SERVER:PORT USER PASSWORD: drive our TURN client core
 * (src/turn/turn_client.c) over real UDP, or over TLS (RFC 8656 3.1, the client core's
 * stream mode), against a TURN server (coturn, or `boltrtc turn`), with a peer socket of its
 * own on loopback: allocate (401 dance), permission, Send indication out and Data
 * indication back, channel, ChannelData both ways, refresh, delete. Prints each step; exits
 * 0 when every step worked, 1 at the first that did not. */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "boltrtc/error.h"
#include "common/addr.h"
#include "turn/turn_client.h"
#include "turn_tls_client.h"

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

typedef struct probe {
  brtc_turn_client *cl;
  int fd, peer_fd;
  brtc_addr server, peer, relayed;
  char got[256]; /* last application data the client received */
  size_t got_len;
  brtc_addr got_from;
  bool tls;
  tls_client t;
} probe;

/* Over TLS, waiting is a short poll on the connection. */
static void tls_wait(void *user) {
  struct pollfd pfd = {.fd = ((probe *)user)->t.fd, .events = POLLIN};
  poll(&pfd, 1, 10);
}

static void to_server(probe *p, const uint8_t *buf, size_t n) {
  if (p->tls)
    tls_client_send(&p->t, buf, n, 200);
  else
    sendto(p->fd, buf, n, 0, &p->server.u.sa, brtc_addr_len(&p->server));
}

/* One message from the server within about 20 ms; its length, or 0. */
static size_t from_server(probe *p, uint8_t *buf, size_t cap) {
  if (p->tls) return tls_client_frame(&p->t, buf, cap, 2);
  struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
  if (poll(&pfd, 1, 20) <= 0) return 0;
  brtc_addr from;
  socklen_t flen = sizeof(from.u);
  ssize_t n = recvfrom(p->fd, buf, cap, 0, &from.u.sa, &flen);
  return n > 0 ? (size_t)n : 0;
}

static void pump_out(probe *p) {
  uint8_t buf[1600];
  size_t n;
  while ((n = brtc_turn_client_poll_transmit(p->cl, now_us(), buf, sizeof(buf))) > 0)
    to_server(p, buf, n);
}

/* Run until an event of kind (or data, with kind 0) comes; false after timeout_ms. */
static bool run_until(probe *p, brtc_turn_client_event_kind kind, brtc_turn_client_event *out,
                      int timeout_ms) {
  uint64_t end = now_us() + (uint64_t)timeout_ms * 1000u;
  p->got_len = 0;
  while (now_us() < end) {
    brtc_turn_client_handle_timeout(p->cl, now_us());
    pump_out(p);
    brtc_turn_client_event ev;
    while (brtc_turn_client_poll_event(p->cl, &ev)) {
      if (ev.kind == BRTC_TURN_EV_FAILED || ev.kind == BRTC_TURN_EV_REQUEST_FAILED) {
        fprintf(stderr, "turn_probe: a request failed with %u\n", ev.error_code);
        return false;
      }
      if (ev.kind == kind) {
        if (out) *out = ev;
        return true;
      }
    }
    if (kind == 0 && p->got_len) return true;
    uint8_t buf[2048];
    size_t n = from_server(p, buf, sizeof(buf));
    if (n == 0) continue;
    brtc_turn_client_data d;
    if (brtc_turn_client_handle(p->cl, buf, (size_t)n, now_us(), &d) == 1 &&
        d.len < sizeof(p->got)) {
      memcpy(p->got, d.payload, d.len);
      p->got_len = d.len;
      p->got_from = d.peer;
    }
  }
  return false;
}

static bool peer_receives(probe *p, const char *want) {
  struct pollfd pfd = {.fd = p->peer_fd, .events = POLLIN};
  if (poll(&pfd, 1, 2000) <= 0) return false;
  char buf[256];
  brtc_addr from;
  socklen_t flen = sizeof(from.u);
  ssize_t n = recvfrom(p->peer_fd, buf, sizeof(buf), 0, &from.u.sa, &flen);
  /* It must come from the relayed address: that is what the peer sees of the client. */
  return n == (ssize_t)strlen(want) && memcmp(buf, want, (size_t)n) == 0 &&
         brtc_addr_port(&from) == brtc_addr_port(&p->relayed);
}

static bool client_receives(probe *p, const char *msg, const char *want) {
  sendto(p->peer_fd, msg, strlen(msg), 0, &p->relayed.u.sa, brtc_addr_len(&p->relayed));
  return run_until(p, 0, NULL, 2000) && p->got_len == strlen(want) &&
         memcmp(p->got, want, p->got_len) == 0 && brtc_addr_equal(&p->got_from, &p->peer);
}

static bool client_sends(probe *p, const char *msg) {
  uint8_t buf[1600];
  size_t n;
  if (brtc_turn_client_wrap(p->cl, &p->peer, (const uint8_t *)msg, strlen(msg), buf, sizeof(buf),
                            &n) != BRTC_OK)
    return false;
  to_server(p, buf, n);
  return peer_receives(p, msg);
}

#define STEP(name, cond)                                    \
  do {                                                      \
    if (!(cond)) {                                          \
      fprintf(stderr, "turn_probe: FAILED %s\n", name);     \
      return 1;                                             \
    }                                                       \
    printf("turn_probe: ok %s\n", name);                    \
  } while (0)

int main(int argc, char **argv) {
  probe p = {0};
  p.tls = argc == 5 && strcmp(argv[1], "--tls") == 0;
  argv += p.tls;
  argc -= p.tls;
  if (argc != 4) {
    fprintf(stderr, "usage: turn_probe [--tls] SERVER:PORT USER PASSWORD\n");
    return 2;
  }
  if (brtc_addr_parse(&p.server, argv[1], 3478) != BRTC_OK) return 2;
  brtc_turn_client_config cc = {.username = argv[2], .password = argv[3], .stream = p.tls};
  p.cl = brtc_turn_client_new(&cc);
  p.fd = socket(AF_INET, SOCK_DGRAM, 0);
  p.peer_fd = socket(AF_INET, SOCK_DGRAM, 0);
  brtc_addr any;
  brtc_addr_parse(&any, "127.0.0.1:0", 0);
  bind(p.fd, &any.u.sa, brtc_addr_len(&any));
  bind(p.peer_fd, &any.u.sa, brtc_addr_len(&any));
  socklen_t len = sizeof(p.peer.u);
  getsockname(p.peer_fd, &p.peer.u.sa, &len);
  brtc_turn_client_event ev;
  if (p.tls) {
    STEP("TLS handshake", tls_client_connect(&p.t, &p.server, tls_wait, &p, 300));
    printf("turn_probe: TLS %s, %s\n", SSL_get_version(p.t.ssl), SSL_get_cipher(p.t.ssl));
  }

  brtc_turn_client_allocate(p.cl, now_us());
  STEP("allocate (401 challenge, then authenticated)", run_until(&p, BRTC_TURN_EV_ALLOCATED, &ev, 5000));
  p.relayed = ev.relayed;
  char text[BRTC_ADDR_STRLEN];
  printf("turn_probe: relayed %s, lifetime %u s\n", brtc_addr_str(&ev.relayed, text, sizeof(text)),
         ev.lifetime_s);
  brtc_turn_client_create_permission(p.cl, &p.peer, now_us());
  STEP("create permission", run_until(&p, BRTC_TURN_EV_PERMISSION, NULL, 3000));
  STEP("send indication reaches the peer", client_sends(&p, "through a send indication"));
  STEP("data indication reaches the client", client_receives(&p, "back as data", "back as data"));
  brtc_turn_client_bind_channel(p.cl, &p.peer, now_us());
  STEP("channel bind", run_until(&p, BRTC_TURN_EV_CHANNEL, &ev, 3000));
  STEP("channel data reaches the peer", client_sends(&p, "through the channel"));
  STEP("channel data reaches the client", client_receives(&p, "back on the channel", "back on the channel"));
  brtc_turn_client_close(p.cl, now_us());
  STEP("delete (refresh with lifetime 0)", run_until(&p, BRTC_TURN_EV_CLOSED, NULL, 3000));
  brtc_turn_client_free(p.cl);
  if (p.tls) tls_client_close(&p.t);
  close(p.fd);
  close(p.peer_fd);
  return 0;
}
