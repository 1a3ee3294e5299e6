/* bench_relay_route: what the loop spends on each relayed media datagram of a pc, both
 * ways. A stand-in pc (tests/net/fake_pc.c) sends ChannelData (RFC 8656 12.4) to a TURN
 * server's address in bursts; a stand-in server (a socket here) sends each datagram straight
 * back; the loop reads it and hands it to the pc. Only the loop's thread CPU time inside
 * brtc_loop_run_once is counted (CLOCK_THREAD_CPUTIME_ID), not the server's, and divided by
 * the datagrams that went out and came back in: the cost of the loop's routing, batching and
 * syscalls for relayed media. The same source built against another loop.c measures that
 * one (docs/benchmarks.md, "Relayed media in the loop").
 *
 * Usage: bench_relay_route [DATAGRAMS [BURST [SIZE]]]   (defaults 400000, 32, 200) */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "boltrtc/loop.h"
#include "common/addr.h"
#include "fake_pc.h"

static uint64_t thread_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv) {
  unsigned total = argc > 1 ? (unsigned)atoi(argv[1]) : 400000;
  unsigned burst = argc > 2 ? (unsigned)atoi(argv[2]) : 32;
  size_t size = argc > 3 ? (size_t)atoi(argv[3]) : 200;
  if (burst == 0 || burst > 64 || size < 8 || size > 200 || total < burst) {
    fprintf(stderr, "usage: bench_relay_route [DATAGRAMS [BURST <= 64 [SIZE 8..200]]]\n");
    return 2;
  }
  char err[200] = "";
  brtc_loop_config *lc = brtc_loop_config_new();
  brtc_loop_config_add_udp_address(lc, "127.0.0.1:0");
  brtc_loop *loop = brtc_loop_new(lc, err, sizeof err);
  brtc_loop_config_free(lc);
  if (!loop) {
    fprintf(stderr, "loop: %s\n", err);
    return 1;
  }
  /* The stand-in TURN server. */
  int srv = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t sl = sizeof sa;
  int big = 8 << 20;
  setsockopt(srv, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  if (srv < 0 || bind(srv, (struct sockaddr *)&sa, sizeof sa) != 0 ||
      getsockname(srv, (struct sockaddr *)&sa, &sl) != 0) {
    perror("server socket");
    return 1;
  }
  brtc_addr server;
  brtc_addr_from_sockaddr(&server, (struct sockaddr *)&sa, sl);

  brtc_pc *pc = fake_pc_new("bench");
  brtc_loop_add_pc(loop, pc, NULL, NULL);
  uint8_t cd[200];
  memset(cd, 0xab, sizeof cd);
  cd[0] = 0x40, cd[1] = 0x00; /* channel 0x4000 */
  cd[2] = (uint8_t)((size - 4) >> 8), cd[3] = (uint8_t)(size - 4);

  struct mmsghdr msgs[64];
  struct iovec iov[64];
  struct sockaddr_storage from[64];
  static uint8_t bufs[64][256];
  uint64_t cpu = 0, out = 0, in = 0;
  int stuck = 0;
  while (out < total && stuck < 1000) {
    for (unsigned i = 0; i < burst; i++) fake_pc_queue(pc, cd, size, &server);
    fake_pc_touch(pc); /* what a call into a real pc does */
    uint64_t t0 = thread_ns();
    brtc_loop_run_once(loop, 0); /* drains the pc: the burst goes out */
    cpu += thread_ns() - t0;
    out += burst;
    /* The server sends back whatever came (the loop's or the pc's own port). */
    unsigned echoed = 0;
    for (int wait = 0; echoed < burst && wait < 100; wait++) {
      struct pollfd p = {.fd = srv, .events = POLLIN};
      if (poll(&p, 1, 10) <= 0) continue;
      for (unsigned i = 0; i < 64; i++) {
        iov[i] = (struct iovec){.iov_base = bufs[i], .iov_len = sizeof bufs[i]};
        msgs[i].msg_hdr = (struct msghdr){.msg_name = &from[i], .msg_namelen = sizeof from[i],
                                          .msg_iov = &iov[i], .msg_iovlen = 1};
      }
      int n = recvmmsg(srv, msgs, 64, MSG_DONTWAIT, NULL);
      if (n <= 0) continue;
      for (int i = 0; i < n; i++) iov[i].iov_len = msgs[i].msg_len;
      if (sendmmsg(srv, msgs, (unsigned)n, 0) != n) perror("server send");
      echoed += (unsigned)n;
    }
    int before = pc->datagrams;
    for (int wait = 0; pc->datagrams - before < (int)echoed && wait < 100; wait++) {
      t0 = thread_ns();
      brtc_loop_run_once(loop, wait ? 1 : 0);
      cpu += thread_ns() - t0;
    }
    in += (uint64_t)(pc->datagrams - before);
    stuck = echoed < burst ? stuck + 1 : 0;
  }
  printf("relayed %llu out, %llu in, burst %u, %zu bytes: loop CPU %.1f ns per datagram\n",
         (unsigned long long)out, (unsigned long long)in, burst, size,
         (double)cpu / (double)(out + in));
  brtc_loop_remove_pc(loop, pc);
  fake_pc_free(pc);
  brtc_loop_free(loop);
  close(srv);
  return in == out ? 0 : 1;
}
