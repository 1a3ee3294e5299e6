/* A userspace UDP relay that impairs traffic both ways, for bench/loss/run_pion.sh (this
 * kernel has no netem). Datagrams from each client to --listen go on to --to from a socket
 * of the client's own (so the receiver sees one address per client); answers come back.
 * Each direction of each client crosses its own sim_link (tests/support/sim_link.h):
 * latency, jitter, random loss, netem-style reordering, duplication, seeded; on the real
 * clock. Loopback only. On SIGINT or SIGTERM it writes what it did as JSON to --stats.
 *
 * Usage: loss_relay --listen 127.0.0.1:P --to 127.0.0.1:Q [--latency-ms 10] [--jitter-ms 5]
 *                   [--loss-pct 5] [--reorder-pct 10] [--duplicate-pct 0] [--seed 1]
 *                   [--stats FILE] */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "boltrtc/error.h"
#include "sim_link.h"

#define MAX_CLIENTS 64
#define DATAGRAM 2048

typedef struct client {
  struct sockaddr_in addr;
  int fd; /* connected to the target */
  sim_link *up, *down;
} client;

static volatile sig_atomic_t stop;
static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int parse_addr(const char *s, struct sockaddr_in *a) {
  char host[64];
  const char *colon = strrchr(s, ':');
  if (!colon || (size_t)(colon - s) >= sizeof(host)) return -1;
  memcpy(host, s, (size_t)(colon - s));
  host[colon - s] = '\0';
  memset(a, 0, sizeof(*a));
  a->sin_family = AF_INET;
  a->sin_port = htons((uint16_t)atoi(colon + 1));
  if (inet_pton(AF_INET, host, &a->sin_addr) != 1) return -1;
  /* Loopback only: the relay never sends anywhere else. */
  return (ntohl(a->sin_addr.s_addr) >> 24) == 127 ? 0 : -1;
}

static void add_stats(sim_link_stats *sum, const sim_link_stats *s) {
  sum->sent += s->sent;
  sum->lost += s->lost;
  sum->duplicated += s->duplicated;
  sum->delivered += s->delivered;
  sum->reordered += s->reordered;
}

int main(int argc, char **argv) {
  struct sockaddr_in listen_addr, to_addr;
  bool have_listen = false, have_to = false;
  sim_link_config cfg = {.latency_us = 10000, .jitter_us = 5000, .loss = 0.05, .reorder = 0.10};
  uint64_t seed = 1;
  const char *stats_path = NULL;
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *k = argv[i], *v = argv[i + 1];
    if (!strcmp(k, "--listen")) have_listen = parse_addr(v, &listen_addr) == 0;
    else if (!strcmp(k, "--to")) have_to = parse_addr(v, &to_addr) == 0;
    else if (!strcmp(k, "--latency-ms")) cfg.latency_us = strtoull(v, NULL, 10) * 1000;
    else if (!strcmp(k, "--jitter-ms")) cfg.jitter_us = strtoull(v, NULL, 10) * 1000;
    else if (!strcmp(k, "--loss-pct")) cfg.loss = atof(v) / 100;
    else if (!strcmp(k, "--reorder-pct")) cfg.reorder = atof(v) / 100;
    else if (!strcmp(k, "--duplicate-pct")) cfg.duplicate = atof(v) / 100;
    else if (!strcmp(k, "--seed")) seed = strtoull(v, NULL, 10);
    else if (!strcmp(k, "--stats")) stats_path = v;
    else {
      fprintf(stderr, "loss_relay: unknown option %s\n", k);
      return 2;
    }
  }
  if (!have_listen || !have_to) {
    fprintf(stderr, "loss_relay: --listen and --to, loopback IPv4 addresses, are needed\n");
    return 2;
  }
  int front = socket(AF_INET, SOCK_DGRAM, 0);
  if (front < 0 || bind(front, (struct sockaddr *)&listen_addr, sizeof(listen_addr)) != 0) {
    perror("loss_relay: bind");
    return 1;
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  client clients[MAX_CLIENTS];
  size_t n = 0;
  uint8_t buf[DATAGRAM];
  size_t len;
  while (!stop) {
    uint64_t now = now_us(), next = UINT64_MAX;
    for (size_t i = 0; i < n; i++) {
      while (sim_link_receive(clients[i].up, now, buf, sizeof(buf), &len) == BRTC_OK)
        (void)send(clients[i].fd, buf, len, 0);
      while (sim_link_receive(clients[i].down, now, buf, sizeof(buf), &len) == BRTC_OK)
        (void)sendto(front, buf, len, 0, (struct sockaddr *)&clients[i].addr,
                     sizeof(clients[i].addr));
      uint64_t a = sim_link_next_deadline(clients[i].up), b = sim_link_next_deadline(clients[i].down);
      if (a < next) next = a;
      if (b < next) next = b;
    }
    struct pollfd fds[MAX_CLIENTS + 1];
    fds[0] = (struct pollfd){.fd = front, .events = POLLIN};
    for (size_t i = 0; i < n; i++) fds[i + 1] = (struct pollfd){.fd = clients[i].fd, .events = POLLIN};
    int timeout = next == UINT64_MAX ? 100 : (int)((next > now ? next - now : 0) / 1000);
    if (timeout > 100) timeout = 100;
    if (poll(fds, n + 1, timeout) < 0 && errno != EINTR) break;
    now = now_us();
    if (fds[0].revents & POLLIN) {
      struct sockaddr_in from;
      socklen_t fl = sizeof(from);
      ssize_t r = recvfrom(front, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
      size_t i = 0;
      while (r > 0 && i < n && (clients[i].addr.sin_port != from.sin_port ||
                                clients[i].addr.sin_addr.s_addr != from.sin_addr.s_addr))
        i++;
      if (r > 0 && i == n && n < MAX_CLIENTS) {
        client *c = &clients[n];
        c->addr = from;
        c->fd = socket(AF_INET, SOCK_DGRAM, 0);
        sim_link_config up = cfg, down = cfg;
        up.seed = seed * 1000 + 2 * n;
        down.seed = seed * 1000 + 2 * n + 1;
        c->up = sim_link_new(&up);
        c->down = sim_link_new(&down);
        if (c->fd >= 0 && c->up && c->down &&
            connect(c->fd, (struct sockaddr *)&to_addr, sizeof(to_addr)) == 0)
          n++;
      }
      if (r > 0 && i < n) sim_link_send(clients[i].up, now, buf, (size_t)r);
    }
    for (size_t i = 0; i < n; i++) {
      if (!(fds[i + 1].revents & POLLIN)) continue;
      ssize_t r = recv(clients[i].fd, buf, sizeof(buf), 0);
      if (r > 0) sim_link_send(clients[i].down, now, buf, (size_t)r);
    }
  }
  sim_link_stats up = {0}, down = {0};
  for (size_t i = 0; i < n; i++) {
    add_stats(&up, sim_link_get_stats(clients[i].up));
    add_stats(&down, sim_link_get_stats(clients[i].down));
    sim_link_free(clients[i].up);
    sim_link_free(clients[i].down);
    close(clients[i].fd);
  }
  close(front);
  FILE *f = stats_path ? fopen(stats_path, "w") : stdout;
  if (!f) return 1;
  fprintf(f,
          "{\"clients\": %zu, \"up\": {\"sent\": %llu, \"lost\": %llu, \"reordered\": %llu, "
          "\"duplicated\": %llu}, \"down\": {\"sent\": %llu, \"lost\": %llu, \"reordered\": %llu, "
          "\"duplicated\": %llu}}\n",
          n, (unsigned long long)up.sent, (unsigned long long)up.lost,
          (unsigned long long)up.reordered, (unsigned long long)up.duplicated,
          (unsigned long long)down.sent, (unsigned long long)down.lost,
          (unsigned long long)down.reordered, (unsigned long long)down.duplicated);
  if (f != stdout) fclose(f);
  return 0;
}
