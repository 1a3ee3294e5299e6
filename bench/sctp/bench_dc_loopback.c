/* Data channels over loopback UDP and in memory, in one run, all on one thread (both ends on
 * one core). Over UDP:
 *   pc:      two boltrtc peer connections through the public API only, each on its own
 *            brtc_loop with its own UDP socket on 127.0.0.1: ICE, DTLS 1.2, SCTP with RFC
 *            9653's zero checksum (what two boltrtc peers agree on), DCEP, one reliable
 *            ordered channel; the loops' epoll fds are polled together;
 *   usrsctp: usrsctp 0.9.5 (Debian's libusrsctp) through AF_CONN, its packets carried over a
 *            pair of connected UDP sockets on 127.0.0.1 (tests/sctp/usrsctp_end.c, as
 *            bench_sctp and the oracle tests drive it, on the real clock); no DTLS;
 *   sctp:    our SCTP alone (src/sctp, CRC32c) over the same kind of UDP socket pair, driven
 *            the same way as usrsctp: the same stack as the pc's without DTLS, ICE or DCEP.
 * In memory, the same three with each packet (datagram, for the pc) handed straight to the
 * other end instead of through a socket and a loop: the pc pair through its public API
 * (brtc_pc_poll_output, brtc_pc_handle_datagram), with four times as many messages.
 * Measured for each:
 *   throughput: one end sends N messages of 1 KiB, then of 64 KiB, as fast as its send
 *     buffer takes them; until the other end has received them all; messages/s and MB/s of
 *     payload per CPU second of the process (both ends);
 *   round trip: one end sends a 64-byte message, the other sends it back as soon as it
 *     arrives, K times one after the other; median and p99 in microseconds, and the p99 of
 *     those during which the process kept the CPU (getrusage's involuntary context switches):
 *     on a shared machine the others' time slices (ms) otherwise make the tail.
 * Each run --rounds times; the median round is printed.
 *   bench_dc_loopback [--messages-1k N] [--messages-64k N] [--pings K] [--rounds R] */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_common.h"
#include "boltrtc/boltrtc.h"
#include "sctp/sctp.h"
#include "usrsctp_end.h"

#include <usrsctp.h>

#define WINDOW (1024u * 1024u)
#define MTU 1191
#define STREAM 1
#define PING 64
#define MAX_ROUNDS 15
#define DEADLINE_US 120000000u

typedef struct result {
  double msgs_per_s, mb_per_s, cpu, rtt_median_us, rtt_p99_us;
  double rtt_p99_quiet_us; /* over the round trips in which the process was not preempted */
  double preempted;        /* round trips in which it was (a share) */
} result;

static uint64_t mono_us(void) { return (uint64_t)(bench_now_s() * 1e6); }

/* Both ends are on this process's one thread: its CPU time is theirs. */
static double process_cpu_s(void) {
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  return (double)r.ru_utime.tv_sec + (double)r.ru_utime.tv_usec * 1e-6 +
         (double)r.ru_stime.tv_sec + (double)r.ru_stime.tv_usec * 1e-6;
}

/* Times the kernel took the CPU from this process: on a shared machine a round trip during
 * which that happened measures the other processes' time slice, not the stack. */
static long preemptions(void) {
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  return r.ru_nivcsw;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double percentile(double *v, size_t n, double p) {
  qsort(v, n, sizeof *v, cmp_double);
  size_t i = (size_t)(p * (double)(n - 1) + 0.5);
  return v[i < n ? i : n - 1];
}

/* ---- a connected UDP socket pair on 127.0.0.1, for the two runs without the loop ---- */

static void udp_pair(int fd[2]) {
  struct sockaddr_in addr[2];
  for (int i = 0; i < 2; i++) {
    fd[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd[i] < 0) bench_die("socket");
    int buf = 4 << 20;
    /* FORCE needs CAP_NET_ADMIN; without it the plain option is capped by rmem_max. */
    if (setsockopt(fd[i], SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf) < 0)
      setsockopt(fd[i], SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    if (setsockopt(fd[i], SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf) < 0)
      setsockopt(fd[i], SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    memset(&addr[i], 0, sizeof addr[i]);
    addr[i].sin_family = AF_INET;
    addr[i].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr[i];
    if (bind(fd[i], (struct sockaddr *)&addr[i], len) < 0) bench_die("bind");
    if (getsockname(fd[i], (struct sockaddr *)&addr[i], &len) < 0) bench_die("getsockname");
  }
  for (int i = 0; i < 2; i++)
    if (connect(fd[i], (struct sockaddr *)&addr[1 - i], sizeof addr[1 - i]) < 0) bench_die("connect");
}

/* Waits for a datagram on either socket, at most until the next timer (capped at 1 ms). */
static void udp_wait(const int fd[2], uint64_t deadline) {
  if (fd[0] < 0) return; /* in memory: nothing arrives by itself, go round again */
  struct pollfd p[2] = {{.fd = fd[0], .events = POLLIN}, {.fd = fd[1], .events = POLLIN}};
  poll(p, 2, deadline <= mono_us() ? 0 : 1);
}

static void udp_pair_close(const int fd[2]) {
  for (int i = 0; i < 2; i++)
    if (fd[i] >= 0) close(fd[i]);
}

/* ---- one measurement, whatever the stack ---- */

/* What a measurement needs of a pair of ends (0 sends, 1 receives and sends back). */
typedef struct pair_ops {
  void (*step)(void *pair); /* one pass: packets out and in, timers; waits briefly if idle */
  bool (*send)(void *pair, int end, const uint8_t *msg, size_t len); /* false: buffer full */
  uint64_t (*received)(void *pair, int end);
} pair_ops;

static result measure(const pair_ops *ops, void *pair, size_t size, uint64_t n, unsigned pings) {
  uint8_t *msg = calloc(1, size);
  double *rtt = calloc(pings, sizeof *rtt), *quiet = calloc(pings, sizeof *quiet);
  if (!msg || !rtt || !quiet) bench_die("malloc");
  unsigned n_quiet = 0;
  result r = {0};
  uint64_t sent = 0, t_end = mono_us() + DEADLINE_US;
  double c0 = process_cpu_s();
  while (ops->received(pair, 1) < n) {
    while (sent < n && ops->send(pair, 0, msg, size)) sent++;
    ops->step(pair);
    if (mono_us() > t_end) bench_die("delivering");
  }
  r.cpu = process_cpu_s() - c0;
  r.msgs_per_s = (double)n / r.cpu;
  r.mb_per_s = (double)n * (double)size / r.cpu / 1e6;
  /* Round trips: end 1 sends each ping back as soon as it has it. */
  for (unsigned i = 0; i < pings; i++) {
    long p0 = preemptions();
    uint64_t back = ops->received(pair, 0), there = ops->received(pair, 1), t0 = mono_us();
    if (!ops->send(pair, 0, msg, PING)) bench_die("ping");
    bool echoed = false;
    while (ops->received(pair, 0) == back) {
      ops->step(pair);
      if (!echoed && ops->received(pair, 1) > there) {
        if (!ops->send(pair, 1, msg, PING)) bench_die("pong");
        echoed = true;
      }
      if (mono_us() > t_end) bench_die("round trips");
    }
    rtt[i] = (double)(mono_us() - t0);
    if (preemptions() == p0) quiet[n_quiet++] = rtt[i];
  }
  r.rtt_median_us = percentile(rtt, pings, 0.5);
  r.rtt_p99_us = percentile(rtt, pings, 0.99);
  r.rtt_p99_quiet_us = n_quiet ? percentile(quiet, n_quiet, 0.99) : 0;
  r.preempted = 1.0 - (double)n_quiet / pings;
  free(rtt);
  free(quiet);
  free(msg);
  return r;
}

/* ---- usrsctp over UDP ---- */

typedef struct usr_pair {
  usrsctp_end *e[2]; /* 0: client, 1: server */
  int fd[2];
} usr_pair;

/* Everything each end has to send goes out on its socket, everything that came in goes in;
 * true if anything moved. */
static bool usr_pump(usr_pair *s) {
  static uint8_t pkt[2048];
  size_t len;
  bool moved = false;
  for (int i = 0; i < 2; i++)
    while (usrsctp_end_pop(s->e[i], pkt, sizeof pkt, &len)) {
      if (s->fd[i] < 0) usrsctp_end_input(s->e[1 - i], pkt, len); /* in memory */
      else if (send(s->fd[i], pkt, len, 0) < 0 && errno != EAGAIN) bench_die("send");
      moved = true;
    }
  for (int i = 0; i < 2 && s->fd[0] >= 0; i++) {
    ssize_t n;
    while ((n = recv(s->fd[i], pkt, sizeof pkt, 0)) > 0) {
      usrsctp_end_input(s->e[i], pkt, (size_t)n);
      moved = true;
    }
  }
  usrsctp_end_advance(mono_us());
  return moved;
}

static void usr_step(void *p) {
  usr_pair *s = p;
  if (!usr_pump(s)) udp_wait(s->fd, mono_us() + 1000);
}

static bool usr_send(void *p, int end, const uint8_t *msg, size_t len) {
  usr_pair *s = p;
  return usrsctp_end_send(s->e[end], STREAM, BRTC_SCTP_PPID_BINARY, false, 0, 0, msg, len) == 0;
}

static uint64_t usr_received(void *p, int end) { return ((usr_pair *)p)->e[end]->messages_received; }

static result run_usrsctp(size_t size, uint64_t n, unsigned pings, bool udp) {
  static usrsctp_end client, server;
  memset(&client, 0, sizeof client);
  memset(&server, 0, sizeof server);
  usr_pair s = {.e = {&client, &server}, .fd = {-1, -1}};
  if (udp) udp_pair(s.fd);
  if (usrsctp_end_open(&server, true, MTU, WINDOW) || usrsctp_end_open(&client, false, MTU, WINDOW))
    bench_die("usrsctp_end_open");
  client.count_only = server.count_only = true;
  if (usrsctp_end_connect(&client)) bench_die("usrsctp connect");
  uint64_t t_end = mono_us() + DEADLINE_US;
  while (!client.up || !server.up) {
    usr_step(&s);
    if (mono_us() > t_end) bench_die("usrsctp: association set-up");
  }
  static const pair_ops ops = {usr_step, usr_send, usr_received};
  result r = measure(&ops, &s, size, n, pings);
  usrsctp_end_abort(&client);
  usr_pump(&s);
  usrsctp_end_close(&client);
  usrsctp_end_close(&server);
  udp_pair_close(s.fd);
  return r;
}

/* ---- our SCTP over UDP, driven as usrsctp is ---- */

typedef struct sctp_pair {
  brtc_sctp *a[2];
  int fd[2];
  uint64_t received[2];
} sctp_pair;

static bool sctp_pump(sctp_pair *s) {
  static uint8_t pkt[2048];
  size_t len;
  bool moved = false;
  uint64_t now = mono_us();
  for (int i = 0; i < 2; i++)
    while (brtc_sctp_poll_packet(s->a[i], now, pkt, sizeof pkt, &len) == BRTC_OK) {
      if (s->fd[i] < 0) brtc_sctp_handle_packet(s->a[1 - i], now, pkt, len); /* in memory */
      else if (send(s->fd[i], pkt, len, 0) < 0 && errno != EAGAIN) bench_die("send");
      moved = true;
    }
  for (int i = 0; i < 2; i++) {
    ssize_t n;
    while (s->fd[i] >= 0 && (n = recv(s->fd[i], pkt, sizeof pkt, 0)) > 0) {
      brtc_sctp_handle_packet(s->a[i], now, pkt, (size_t)n);
      moved = true;
    }
    brtc_sctp_event ev;
    while (brtc_sctp_poll_event(s->a[i], &ev) == BRTC_OK)
      if (ev.type == BRTC_SCTP_EVENT_MESSAGE) s->received[i]++;
    if (brtc_sctp_next_deadline(s->a[i]) <= now) brtc_sctp_handle_timeout(s->a[i], now);
  }
  return moved;
}

static void sctp_step(void *p) {
  sctp_pair *s = p;
  if (sctp_pump(s)) return;
  uint64_t d0 = brtc_sctp_next_deadline(s->a[0]), d1 = brtc_sctp_next_deadline(s->a[1]);
  udp_wait(s->fd, d0 < d1 ? d0 : d1);
}

static bool sctp_send(void *p, int end, const uint8_t *msg, size_t len) {
  static const brtc_sctp_send_options o = {.stream = STREAM, .ppid = BRTC_SCTP_PPID_BINARY,
                                           .max_retransmits = -1, .lifetime_ms = -1};
  return brtc_sctp_send(((sctp_pair *)p)->a[end], mono_us(), &o, msg, len) == BRTC_OK;
}

static uint64_t sctp_received(void *p, int end) { return ((sctp_pair *)p)->received[end]; }

static result run_sctp(size_t size, uint64_t n, unsigned pings, bool udp) {
  sctp_pair s = {.fd = {-1, -1}};
  if (udp) udp_pair(s.fd);
  brtc_sctp_config c = {.recv_window = WINDOW, .send_buffer = WINDOW, .mtu = MTU};
  for (int i = 0; i < 2; i++)
    if (brtc_sctp_new(&c, mono_us(), &s.a[i])) bench_die("brtc_sctp_new");
  for (int i = 0; i < 2; i++) brtc_sctp_connect(s.a[i], mono_us());
  uint64_t t_end = mono_us() + DEADLINE_US;
  while (brtc_sctp_get_state(s.a[0]) != BRTC_SCTP_ESTABLISHED ||
         brtc_sctp_get_state(s.a[1]) != BRTC_SCTP_ESTABLISHED) {
    sctp_step(&s);
    if (mono_us() > t_end) bench_die("ours: association set-up");
  }
  static const pair_ops ops = {sctp_step, sctp_send, sctp_received};
  result r = measure(&ops, &s, size, n, pings);
  for (int i = 0; i < 2; i++) brtc_sctp_free(s.a[i]);
  udp_pair_close(s.fd);
  return r;
}

/* ---- two boltrtc peer connections, each on its own loop ---- */

typedef struct pc_end {
  brtc_loop *loop;
  brtc_pc *pc;
  brtc_datachannel *dc; /* ours (offerer) or the one the peer opened (answerer) */
  bool open, failed;
  uint64_t received;
} pc_end;

/* In memory: a datagram on its way to end `to`. */
typedef struct pc_packet {
  int to;
  size_t len;
  uint8_t data[BRTC_PC_MAX_DATAGRAM];
} pc_packet;

#define PC_QUEUE 8192

typedef struct pc_pair {
  pc_end end[2]; /* 0: offerer, 1: answerer */
  bool udp;      /* on loops and sockets; otherwise in memory, no loop */
  /* In memory: each pc's host address (never bound), its deadline, datagrams in flight. */
  struct sockaddr_in addr[2];
  uint64_t deadline[2];
  pc_packet *queue;
  size_t head, n;
} pc_pair;

static void on_pc_event(brtc_loop *loop, brtc_pc *pc, const brtc_output *ev, void *user) {
  (void)loop, (void)pc;
  pc_end *e = user;
  switch (ev->event) {
    case BRTC_EVENT_STEP:
      if (ev->step == BRTC_STEP_FAILED || ev->step == BRTC_STEP_CLOSED) e->failed = true;
      break;
    case BRTC_EVENT_DATACHANNEL: e->dc = ev->channel; break;
    case BRTC_EVENT_DATACHANNEL_OPEN: e->open = true; break;
    case BRTC_EVENT_DATACHANNEL_MESSAGE: e->received++; break;
    default: break;
  }
}

/* In memory: drains one pc (peer_connection.h's rule), queueing its datagrams for the other. */
static void pc_drain(pc_pair *r, int i) {
  for (;;) {
    brtc_output out = {.size = sizeof out};
    if (r->n == PC_QUEUE) bench_die("pc in memory: queue full");
    pc_packet *q = &r->queue[(r->head + r->n) % PC_QUEUE];
    if (brtc_pc_poll_output(r->end[i].pc, q->data, sizeof q->data, &out) != BRTC_OK)
      bench_die("brtc_pc_poll_output");
    if (out.kind == BRTC_OUTPUT_TIMEOUT) {
      r->deadline[i] = out.deadline_us;
      return;
    }
    if (out.kind == BRTC_OUTPUT_EVENT) {
      on_pc_event(NULL, r->end[i].pc, &out, &r->end[i]);
    } else if (out.kind == BRTC_OUTPUT_TRANSMIT) {
      q->to = 1 - i;
      q->len = out.len;
      r->n++;
    }
  }
}

/* In memory: both drained, every datagram delivered (and what that makes), timers fired. */
static void pc_memory_step(pc_pair *r) {
  pc_drain(r, 0);
  pc_drain(r, 1);
  while (r->n) {
    pc_packet *q = &r->queue[r->head];
    r->head = (r->head + 1) % PC_QUEUE;
    r->n--;
    (void)brtc_pc_handle_datagram(r->end[q->to].pc, q->data, q->len,
                                  (const struct sockaddr *)&r->addr[1 - q->to], brtc_now_us());
    pc_drain(r, q->to);
  }
  for (int i = 0; i < 2; i++) {
    uint64_t now = brtc_now_us();
    if (r->deadline[i] > now) continue;
    brtc_pc_handle_timeout(r->end[i].pc, now);
    pc_drain(r, i);
  }
  if (r->end[0].failed || r->end[1].failed) bench_die("pc: the connection failed");
}

/* One pass of both loops: wait on their epoll fds together up to the nearer timer. */
static void pc_step(void *p) {
  pc_pair *r = p;
  if (!r->udp) return pc_memory_step(r);
  struct pollfd fds[2];
  int timeout = -1;
  for (int i = 0; i < 2; i++) {
    fds[i] = (struct pollfd){.fd = brtc_loop_fd(r->end[i].loop), .events = POLLIN};
    int t = brtc_loop_next_timeout_ms(r->end[i].loop);
    if (t >= 0 && (timeout < 0 || t < timeout)) timeout = t;
  }
  if (timeout < 0 || timeout > 1) timeout = 1;
  poll(fds, 2, timeout);
  for (int i = 0; i < 2; i++) brtc_loop_run_once(r->end[i].loop, 0);
  if (r->end[0].failed || r->end[1].failed) bench_die("pc: the connection failed");
}

/* From outside the loops' callbacks, as an application's own work would: the loop drains the
 * pc on its next pass. */
static bool pc_send(void *p, int end, const uint8_t *msg, size_t len) {
  return brtc_datachannel_send(((pc_pair *)p)->end[end].dc, brtc_now_us(), msg, len, true) ==
         BRTC_OK;
}

static uint64_t pc_received(void *p, int end) { return ((pc_pair *)p)->end[end].received; }

static void pc_end_new(pc_pair *r, int i, brtc_certificate *cert) {
  char err[256] = "";
  pc_end *e = &r->end[i];
  brtc_pc_config *cfg = brtc_pc_config_new();
  if (!cfg) bench_die("pc config");
  brtc_pc_config_set_certificate(cfg, cert);
  brtc_pc_config_set_datachannels(cfg, true);
  if (r->udp) {
    brtc_loop_config *lc = brtc_loop_config_new();
    if (!lc || brtc_loop_config_add_udp_address(lc, "127.0.0.1:0")) bench_die("loop config");
    brtc_loop_config_set_loopback_only(lc, true);
    e->loop = brtc_loop_new(lc, err, sizeof err);
    brtc_loop_config_free(lc);
    if (!e->loop) bench_die(err);
    brtc_loop_config_pc(e->loop, cfg);
  } else { /* a host candidate no socket has: the datagrams go through r->queue */
    r->addr[i] = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)(40000 + i)),
                                      .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    brtc_pc_config_add_host_address(cfg, (const struct sockaddr *)&r->addr[i]);
  }
  if (brtc_pc_new(cfg, &e->pc, err, sizeof err)) bench_die(err);
  brtc_pc_config_free(cfg);
}

static void pc_connect(pc_pair *r, brtc_certificate *cert) {
  char err[256] = "";
  pc_end *o = &r->end[0], *a = &r->end[1];
  pc_end_new(r, 0, cert);
  pc_end_new(r, 1, cert);
  uint64_t now = brtc_now_us();
  const char *offer = NULL, *answer = NULL;
  if (brtc_pc_create_datachannel(o->pc, now, "bench", NULL, &o->dc, err, sizeof err) ||
      brtc_pc_create_offer(o->pc, now, &offer, err, sizeof err) ||
      brtc_pc_set_local_description(o->pc, "offer", NULL, now, err, sizeof err) ||
      brtc_pc_set_remote_description(a->pc, "offer", offer, now, err, sizeof err) ||
      brtc_pc_create_answer(a->pc, &answer, err, sizeof err) ||
      brtc_pc_set_local_description(a->pc, "answer", NULL, now, err, sizeof err) ||
      brtc_pc_set_remote_description(o->pc, "answer", answer, now, err, sizeof err))
    bench_die(err[0] ? err : "signaling");
  if (r->udp && (brtc_loop_add_pc(o->loop, o->pc, on_pc_event, o) ||
                 brtc_loop_add_pc(a->loop, a->pc, on_pc_event, a)))
    bench_die("brtc_loop_add_pc");
  uint64_t t_end = mono_us() + DEADLINE_US;
  while (!o->open || !a->open) {
    pc_step(r);
    if (mono_us() > t_end) bench_die("pc: channel opening");
  }
}

static result run_pc(size_t size, uint64_t n, unsigned pings, brtc_certificate *cert, bool udp) {
  static pc_pair r;
  memset(&r, 0, sizeof r);
  r.udp = udp;
  if (!udp && !(r.queue = malloc(PC_QUEUE * sizeof *r.queue))) bench_die("malloc");
  pc_connect(&r, cert);
  static const pair_ops ops = {pc_step, pc_send, pc_received};
  result res = measure(&ops, &r, size, n, pings);
  for (int i = 0; i < 2; i++) {
    brtc_pc_close(r.end[i].pc, brtc_now_us());
    if (udp) brtc_loop_remove_pc(r.end[i].loop, r.end[i].pc);
    brtc_pc_free(r.end[i].pc);
    if (udp) brtc_loop_free(r.end[i].loop);
  }
  free(r.queue);
  return res;
}

/* ---- rounds ---- */

static int cmp_result(const void *a, const void *b) {
  double x = ((const result *)a)->mb_per_s, y = ((const result *)b)->mb_per_s;
  return x < y ? -1 : x > y;
}

/* The median round by throughput, with the median round trips over all rounds. */
static result median(result *v, unsigned n) {
  double med[MAX_ROUNDS], p99[MAX_ROUNDS], quiet[MAX_ROUNDS], pre[MAX_ROUNDS];
  for (unsigned i = 0; i < n; i++) {
    med[i] = v[i].rtt_median_us, p99[i] = v[i].rtt_p99_us;
    quiet[i] = v[i].rtt_p99_quiet_us, pre[i] = v[i].preempted;
  }
  qsort(v, n, sizeof *v, cmp_result);
  result r = v[n / 2];
  r.rtt_median_us = percentile(med, n, 0.5);
  r.rtt_p99_us = percentile(p99, n, 0.5);
  r.rtt_p99_quiet_us = percentile(quiet, n, 0.5);
  r.preempted = percentile(pre, n, 0.5);
  return r;
}

int main(int argc, char **argv) {
  uint64_t n1k = 100000, n64k = 4000;
  unsigned pings = 2000, rounds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--messages-1k")) n1k = strtoull(argv[i + 1], NULL, 10);
    else if (!strcmp(argv[i], "--messages-64k")) n64k = strtoull(argv[i + 1], NULL, 10);
    else if (!strcmp(argv[i], "--pings")) pings = (unsigned)strtoul(argv[i + 1], NULL, 10);
    else if (!strcmp(argv[i], "--rounds")) rounds = (unsigned)strtoul(argv[i + 1], NULL, 10);
    else bench_die("usage: bench_dc_loopback [--messages-1k N] [--messages-64k N] [--pings K] [--rounds R]");
  }
  if (rounds == 0 || rounds > MAX_ROUNDS || pings == 0) bench_die("--rounds (1 to 15), --pings");
  brtc_set_log_level(BRTC_LOG_WARN);
  usrsctp_end_global_init();
  usrsctp_end_advance(mono_us());
  char err[256] = "";
  brtc_certificate *cert = NULL;
  if (brtc_certificate_new(&cert, err, sizeof err)) bench_die(err);

  printf("data channels in memory and over loopback UDP, one reliable ordered stream, both ends"
         " on one core; median of %u rounds; ratio to usrsctp the same way\n", rounds);
  printf("%-7s %-34s %11s %9s %7s %6s | %9s %8s %9s %6s\n", "message", "stack", "messages/s",
         "MB/s/CPU", "CPU s", "ratio", "RTT med", "RTT p99", "p99 quiet", "preempted");
  struct {
    size_t size;
    uint64_t n;
  } runs[2] = {{1024, n1k}, {65536, n64k}};
  const char *names[6] = {"usrsctp 0.9.5, memory, no DTLS", "ours: SCTP, memory, no DTLS",
                          "ours: pc, memory, DTLS + SCTP", "usrsctp 0.9.5, UDP, no DTLS",
                          "ours: SCTP, UDP, no DTLS", "ours: pc + brtc_loop, DTLS + SCTP"};
  for (int k = 0; k < 2; k++) {
    static result v[6][MAX_ROUNDS];
    for (unsigned i = 0; i < rounds; i++)
      for (int j = 0; j < 6; j++) {
        bool udp = j >= 3;
        size_t size = runs[k].size;
        uint64_t n = runs[k].n * (udp ? 1 : 4); /* in memory: more, for a long enough run */
        v[j][i] = j % 3 == 0 ? run_usrsctp(size, n, pings, udp)
                  : j % 3 == 1 ? run_sctp(size, n, pings, udp)
                               : run_pc(size, n, pings, cert, udp);
      }
    result m[6];
    for (int j = 0; j < 6; j++) m[j] = median(v[j], rounds);
    const char *label = runs[k].size == 1024 ? "1 KiB" : "64 KiB";
    for (int j = 0; j < 6; j++)
      printf("%-7s %-34s %11.0f %9.1f %7.2f %6.2f | %7.0f us %5.0f us %6.0f us %5.1f%%\n", label,
             names[j], m[j].msgs_per_s, m[j].mb_per_s, m[j].cpu,
             m[j].mb_per_s / m[j < 3 ? 0 : 3].mb_per_s, m[j].rtt_median_us, m[j].rtt_p99_us,
             m[j].rtt_p99_quiet_us, 100 * m[j].preempted);
    fflush(stdout);
  }
  printf("(round trips: %d-byte messages, %u one after the other, sent back on arrival; p99 quiet:\n"
         " over those during which the kernel did not preempt this process, preempted: the rest)\n",
         PING, pings);
  brtc_certificate_free(cert);
  return 0;
}
