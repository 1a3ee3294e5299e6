/* bench_turn: a TURN relay load generator and meter. It makes PAIRS pairs of allocations on
 * a running TURN server (our client core over UDP), binds a channel in each pair to the
 * other's relayed address, measures the server's resident memory before and after (memory
 * per allocation), then sends ChannelData from every client to its partner at RATE
 * datagrams a second for SECONDS and counts what arrives, reading the server's CPU time
 * from /proc: relayed datagrams per CPU-second of the server is "packets per second per
 * core". The same program measures coturn and `boltrtc turn` (run_turn_bench.sh).
 *
 * Usage: bench_turn SERVER:PORT SERVER_PID USER PASS [PAIRS [RATE [SECONDS [SIZE]]]] */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "boltrtc/error.h"
#include "common/addr.h"
#include "turn/turn_client.h"

typedef struct bclient {
  brtc_turn_client *cl;
  int fd;
  brtc_addr relayed;
  uint16_t channel;
} bclient;

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* utime + stime of pid, in seconds (all its threads). */
static double cpu_seconds(int pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = '\0';
  char *p = strrchr(buf, ')');
  if (!p) return -1;
  unsigned long long ut = 0, st = 0;
  /* fields after the name: state(3) ... utime(14) stime(15) */
  if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
    return -1;
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static long rss_kib(int pid) {
  char path[64], line[256];
  snprintf(path, sizeof(path), "/proc/%d/status", pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  long kib = -1;
  while (fgets(line, sizeof(line), f))
    if (sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
  fclose(f);
  return kib;
}

static const brtc_addr *server_addr;

static void pump(bclient *c) {
  uint8_t buf[1600];
  size_t n;
  while ((n = brtc_turn_client_poll_transmit(c->cl, now_us(), buf, sizeof(buf))) > 0)
    sendto(c->fd, buf, n, 0, &server_addr->u.sa, brtc_addr_len(server_addr));
}

/* Drive every client until each has had an event of kind; false after 10 s. */
static bool settle(bclient *cs, size_t n, brtc_turn_client_event_kind kind) {
  bool *done = calloc(n, 1);
  size_t left = n;
  uint64_t end = now_us() + 10000000u;
  while (left && now_us() < end) {
    for (size_t i = 0; i < n; i++) {
      brtc_turn_client_handle_timeout(cs[i].cl, now_us());
      pump(&cs[i]);
      uint8_t buf[2048];
      ssize_t r;
      while ((r = recv(cs[i].fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
        brtc_turn_client_data d;
        brtc_turn_client_handle(cs[i].cl, buf, (size_t)r, now_us(), &d);
      }
      brtc_turn_client_event ev;
      while (brtc_turn_client_poll_event(cs[i].cl, &ev)) {
        if (ev.kind == BRTC_TURN_EV_FAILED || ev.kind == BRTC_TURN_EV_REQUEST_FAILED) {
          fprintf(stderr, "bench_turn: client %zu: request failed (%u)\n", i, ev.error_code);
          free(done);
          return false;
        }
        if (ev.kind == kind && !done[i]) {
          done[i] = true;
          left--;
          if (kind == BRTC_TURN_EV_ALLOCATED) cs[i].relayed = ev.relayed;
          if (kind == BRTC_TURN_EV_CHANNEL) cs[i].channel = ev.channel;
        }
      }
    }
    usleep(1000);
  }
  free(done);
  return left == 0;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: bench_turn SERVER:PORT SERVER_PID USER PASS [PAIRS [RATE [SECONDS [SIZE]]]]\n");
    return 2;
  }
  brtc_addr server;
  if (brtc_addr_parse(&server, argv[1], 3478) != BRTC_OK) return 2;
  server_addr = &server;
  int pid = atoi(argv[2]);
  size_t pairs = argc > 5 ? (size_t)atol(argv[5]) : 50;
  double rate = argc > 6 ? atof(argv[6]) : 20000;
  double seconds = argc > 7 ? atof(argv[7]) : 5;
  size_t size = argc > 8 ? (size_t)atol(argv[8]) : 200;
  if (pairs == 0 || pairs > 5000 || size < 8 || size > 1400 || rate <= 0 || seconds <= 0) return 2;
  size_t n = 2 * pairs;
  bclient *cs = calloc(n, sizeof(*cs));
  brtc_addr local;
  brtc_addr_parse(&local, "127.0.0.1:0", 0);
  long rss_before = rss_kib(pid);
  int ep = epoll_create1(0);
  for (size_t i = 0; i < n; i++) {
    brtc_turn_client_config cc = {.username = argv[3], .password = argv[4]};
    cs[i].cl = brtc_turn_client_new(&cc);
    cs[i].fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int buf = 1 << 20;
    setsockopt(cs[i].fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
    bind(cs[i].fd, &local.u.sa, brtc_addr_len(&local));
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = i};
    epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
    brtc_turn_client_allocate(cs[i].cl, now_us());
  }
  if (!settle(cs, n, BRTC_TURN_EV_ALLOCATED)) {
    fprintf(stderr, "bench_turn: allocations failed\n");
    return 1;
  }
  for (size_t i = 0; i < n; i++) brtc_turn_client_bind_channel(cs[i].cl, &cs[i ^ 1].relayed, now_us());
  if (!settle(cs, n, BRTC_TURN_EV_CHANNEL)) {
    fprintf(stderr, "bench_turn: channel binds failed\n");
    return 1;
  }
  usleep(200000);
  long rss_after = rss_kib(pid);

  /* The blast: datagrams to every client's partner in turn, paced to RATE. */
  uint8_t payload[1400];
  memset(payload, 0x5A, sizeof(payload));
  uint8_t wire[1600];
  double cpu0 = cpu_seconds(pid);
  uint64_t start = now_us(), end = start + (uint64_t)(seconds * 1e6);
  uint64_t sent = 0, received = 0, send_fail = 0;
  size_t next = 0;
  while (now_us() < end) {
    uint64_t due = (uint64_t)((double)(now_us() - start) * rate / 1e6);
    while (sent < due) {
      bclient *c = &cs[next];
      next = (next + 1) % n;
      size_t len;
      if (brtc_turn_client_wrap(c->cl, &cs[(size_t)(c - cs) ^ 1].relayed, payload, size, wire,
                                sizeof(wire), &len) != BRTC_OK ||
          sendto(c->fd, wire, len, 0, &server.u.sa, brtc_addr_len(&server)) < 0)
        send_fail++;
      sent++;
    }
    struct epoll_event evs[64];
    int k = epoll_wait(ep, evs, 64, 0);
    for (int j = 0; j < k; j++) {
      uint8_t buf[2048];
      while (recv(cs[evs[j].data.u64].fd, buf, sizeof(buf), MSG_DONTWAIT) > 0) received++;
    }
    if (k == 0) usleep(100);
  }
  uint64_t drain_end = now_us() + 300000;
  while (now_us() < drain_end) {
    struct epoll_event evs[64];
    int k = epoll_wait(ep, evs, 64, 20);
    for (int j = 0; j < k; j++) {
      uint8_t buf[2048];
      while (recv(cs[evs[j].data.u64].fd, buf, sizeof(buf), MSG_DONTWAIT) > 0) received++;
    }
  }
  double cpu = cpu_seconds(pid) - cpu0;
  double wall = (double)(now_us() - start) / 1e6;
  printf("pairs %zu allocations %zu size %zu rate %.0f seconds %.1f\n", pairs, n, size, rate, seconds);
  printf("sent %llu received %llu lost %.3f%% send_failures %llu\n", (unsigned long long)sent,
         (unsigned long long)received, sent ? 100.0 * (double)(sent - received) / (double)sent : 0.0,
         (unsigned long long)send_fail);
  printf("server_cpu_s %.3f wall_s %.2f cpu_share %.2f\n", cpu, wall, cpu / wall);
  printf("relayed_per_cpu_second %.0f\n", cpu > 0 ? (double)received / cpu : 0.0);
  printf("rss_kib_before %ld after %ld per_allocation_bytes %.0f\n", rss_before, rss_after,
         (double)(rss_after - rss_before) * 1024.0 / (double)n);
  for (size_t i = 0; i < n; i++) {
    brtc_turn_client_close(cs[i].cl, now_us());
    pump(&cs[i]);
  }
  for (size_t i = 0; i < n; i++) {
    brtc_turn_client_free(cs[i].cl);
    close(cs[i].fd);
  }
  close(ep);
  free(cs);
  return 0;
}
