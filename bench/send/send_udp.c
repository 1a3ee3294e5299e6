/* bench_send --udp: the sending side through a real socket. Each frame's protected datagrams
 * go out of a UDP socket to a loopback receiver (drained by a second thread), with the
 * loop's batch sender (src/net/udp_send.c) as the loop uses it: plain sendmmsg, then UDP GSO,
 * in the same run, beside the peer doing the same job (libsrtp2's protect after a minimal
 * header write, then plain sendmmsg: no WebRTC stack packaged here sends with GSO).
 *
 * A frame leaves in bursts of `burst` datagrams, one send each: 30 is a whole frame at once
 * (a keyframe the pacer lets go in one pass), smaller is a pacer releasing a few per pass.
 * Rates are per second of the sending thread's CPU time. On loopback the kernel delivers
 * into the receiving socket inside the sender's system call, so the sending thread also
 * pays the receiver's UDP input (cut back into datagrams there when GSO is on): a real
 * network's sender pays less, and with GSO on a NIC cuts them. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"
#include "bench_send.h"
#include "net/udp_send.h"

struct send_sink {
  int fd;
  size_t burst;
  brtc_udp_sender sender;
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  struct sockaddr_in to;
  brtc_udp_send_result res;
};

void send_sink_frame(send_sink *k, uint8_t (*batch)[SLOT], const size_t *lens, size_t n) {
  for (size_t i = 0; i < n; i++) {
    k->iov[i].iov_base = batch[i];
    k->iov[i].iov_len = lens[i];
  }
  for (size_t at = 0; at < n; at += k->burst) {
    size_t len = n - at < k->burst ? n - at : k->burst;
    brtc_udp_sender_send(&k->sender, 0, k->fd, k->msgs + at, len, &k->res);
  }
}

typedef struct receiver {
  int fd;
  atomic_bool stop;
  atomic_uint_fast64_t datagrams;
} receiver;

static void *drain(void *arg) {
  receiver *r = arg;
  static uint8_t bufs[BATCH][SLOT];
  struct mmsghdr m[BATCH];
  struct iovec iov[BATCH];
  memset(m, 0, sizeof(m));
  for (size_t i = 0; i < BATCH; i++) {
    iov[i] = (struct iovec){bufs[i], SLOT};
    m[i].msg_hdr.msg_iov = &iov[i];
    m[i].msg_hdr.msg_iovlen = 1;
  }
  while (!atomic_load(&r->stop)) {
    int n = recvmmsg(r->fd, m, BATCH, MSG_WAITFORONE, NULL); /* SO_RCVTIMEO bounds the wait */
    if (n > 0) atomic_fetch_add(&r->datagrams, (uint64_t)n);
  }
  return NULL;
}

static int loopback_socket(struct sockaddr_in *bound) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof(a);
  int size = 8 * 1024 * 1024;
  struct timeval tv = {.tv_sec = 0, .tv_usec = 100000};
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
      getsockname(fd, (struct sockaddr *)&a, &len) != 0)
    bench_die("loopback socket");
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) != 0)
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) != 0)
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  if (bound) *bound = a;
  return fd;
}

static double process_cpu_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

typedef struct cell {
  result r;
  double process_ns; /* both threads' CPU per datagram */
  double delivered;  /* received / sent */
  double in_gso;     /* share of datagrams sent inside a GSO super-buffer */
} cell;

enum { PATH_PLAIN, PATH_GSO, LIBSRTP_PLAIN, CELLS };
static const char *const CELL_NAMES[CELLS] = {"boltrtc path, sendmmsg", "boltrtc path, GSO",
                                              "libsrtp2 minimal, sendmmsg"};

static cell run_cell(int which, size_t burst) {
  static send_sink sink;
  receiver rx = {.stop = false};
  struct sockaddr_in to;
  rx.fd = loopback_socket(&to);
  memset(&sink, 0, sizeof(sink));
  sink.fd = loopback_socket(NULL);
  sink.burst = burst;
  sink.to = to;
  brtc_udp_sender_init(&sink.sender, which == PATH_GSO);
  for (size_t i = 0; i < BATCH; i++) {
    sink.msgs[i].msg_hdr.msg_iov = &sink.iov[i];
    sink.msgs[i].msg_hdr.msg_iovlen = 1;
    sink.msgs[i].msg_hdr.msg_name = &sink.to;
    sink.msgs[i].msg_hdr.msg_namelen = sizeof(sink.to);
  }
  pthread_t t;
  if (pthread_create(&t, NULL, drain, &rx) != 0) bench_die("pthread_create");
  double cpu0 = process_cpu_s();
  cell c = {0};
  c.r = which == LIBSRTP_PLAIN ? bench_minimal(true, true, &sink) : bench_path(true, 0, &sink);
  usleep(200000); /* let the receiver catch up before counting */
  c.process_ns = (process_cpu_s() - cpu0) * 1e9 / (double)c.r.packets;
  atomic_store(&rx.stop, true);
  pthread_join(t, NULL);
  c.delivered = (double)atomic_load(&rx.datagrams) / (double)c.r.packets;
  c.in_gso = (double)sink.res.gso_datagrams / (double)c.r.packets;
  if (sink.res.datagrams + sink.res.errors != c.r.packets)
    fprintf(stderr, "bench_send: %s sent %llu of %llu\n", CELL_NAMES[which],
            (unsigned long long)sink.res.datagrams, (unsigned long long)c.r.packets);
  close(sink.fd);
  close(rx.fd);
  return c;
}

static int by_pps(const void *a, const void *b) {
  double x = ((const cell *)a)->r.pps, y = ((const cell *)b)->r.pps;
  return (x > y) - (x < y);
}

#define ROUNDS 3

int bench_send_udp(double seconds) {
  (void)seconds; /* bench_path and bench_minimal read it themselves */
  static const size_t BURSTS[] = {PACKETS_PER_FRAME, 4};
  double load[3] = {0};
  if (getloadavg(load, 3) == 3)
    printf("load average at the start: %.2f %.2f %.2f\n", load[0], load[1], load[2]);
  printf("AEAD_AES_128_GCM, %d-byte datagrams to a loopback receiver, %d rounds, cells in "
         "turn; packets per second of the sending thread's CPU time (median round), ns of "
         "both threads' CPU per datagram, share received, share sent inside GSO.\n\n",
         DATAGRAM, ROUNDS);
  printf("| burst | cell | pkt/s per core | ns/pkt (sender) | ns/pkt (both threads) | "
         "received | in GSO | / libsrtp2 |\n|---|---|---:|---:|---:|---:|---:|---:|\n");
  for (size_t b = 0; b < sizeof(BURSTS) / sizeof(BURSTS[0]); b++) {
    cell cells[CELLS][ROUNDS];
    for (int round = 0; round < ROUNDS; round++)
      for (int which = 0; which < CELLS; which++) cells[which][round] = run_cell(which, BURSTS[b]);
    cell median[CELLS];
    for (int which = 0; which < CELLS; which++) {
      qsort(cells[which], ROUNDS, sizeof(cell), by_pps);
      median[which] = cells[which][ROUNDS / 2];
    }
    for (int which = 0; which < CELLS; which++) {
      const cell *c = &median[which];
      printf("| %zu | %s | %.0f | %.0f | %.0f | %.3f | %.2f | %.2f |\n", BURSTS[b],
             CELL_NAMES[which], c->r.pps, 1e9 / c->r.pps, c->process_ns, c->delivered,
             c->in_gso, c->r.pps / median[LIBSRTP_PLAIN].r.pps);
    }
    fflush(stdout);
  }
  if (getloadavg(load, 3) == 3)
    printf("\nload average at the end: %.2f %.2f %.2f\n", load[0], load[1], load[2]);
  return 0;
}
