/* Helpers shared by the loop tests. */
#ifndef BRTC_TEST_NET_UTIL_H
#define BRTC_TEST_NET_UTIL_H

#include <linux/udp.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "boltrtc/error.h"
#include "boltrtc/loop.h"
#include "boltrtc/peer_connection.h"
#include "common/addr.h"

/* A loop with one UDP socket on addr ("127.0.0.1:0"), answering loopback sources only when
 * loopback_only; NULL (the reason on stderr) on failure. */
static inline brtc_loop *net_test_loop_gro(const char *addr, bool loopback_only, bool gro) {
  brtc_loop_config *cfg = brtc_loop_config_new();
  char err[256] = "out of memory";
  brtc_loop *loop = NULL;
  if (cfg && brtc_loop_config_add_udp_address(cfg, addr) == BRTC_OK) {
    brtc_loop_config_set_loopback_only(cfg, loopback_only);
    brtc_loop_config_set_gro(cfg, gro);
    loop = brtc_loop_new(cfg, err, sizeof(err));
  } else if (cfg) {
    snprintf(err, sizeof(err), "bad address");
  }
  brtc_loop_config_free(cfg);
  if (!loop) fprintf(stderr, "brtc_loop_new(%s): %s\n", addr, err);
  return loop;
}

static inline brtc_loop *net_test_loop(const char *addr, bool loopback_only) {
  return net_test_loop_gro(addr, loopback_only, false);
}

/* A pc with cert whose host candidates are the loop's (brtc_loop_config_pc); NULL on failure. */
static inline brtc_pc *net_test_pc(brtc_loop *loop, const brtc_certificate *cert) {
  brtc_pc_config *pcc = brtc_pc_config_new();
  brtc_pc *pc = NULL;
  if (pcc && brtc_pc_config_set_certificate(pcc, cert) == BRTC_OK &&
      brtc_loop_config_pc(loop, pcc) == BRTC_OK)
    brtc_pc_new(pcc, &pc, NULL, 0);
  brtc_pc_config_free(pcc);
  return pc;
}

/* Whether [::1] can be bound here (containers often run without IPv6). */
static inline bool have_ipv6_loopback(void) {
  int probe = socket(AF_INET6, SOCK_DGRAM, 0);
  if (probe < 0) return false;
  brtc_addr lo;
  brtc_addr_from_ip(&lo, "::1", 0);
  bool ok = bind(probe, &lo.u.sa, brtc_addr_len(&lo)) == 0;
  close(probe);
  return ok;
}

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 /* linux/udp.h, 4.18 */
#endif

/* One UDP GSO super-buffer: data[0..len) from fd to `to`, which the kernel cuts into
 * datagrams of seg bytes (the last may be shorter). Returns what sendmsg returns. */
static inline ssize_t net_test_send_gso(int fd, const struct sockaddr *to, socklen_t to_len,
                                        const void *data, size_t len, uint16_t seg) {
  union {
    uint8_t bytes[CMSG_SPACE(sizeof(uint16_t))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof(control));
  struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
  struct msghdr m = {.msg_name = (void *)to, .msg_namelen = to_len, .msg_iov = &iov,
                     .msg_iovlen = 1, .msg_control = control.bytes,
                     .msg_controllen = sizeof(control.bytes)};
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = IPPROTO_UDP;
  c->cmsg_type = UDP_SEGMENT;
  c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
  memcpy(CMSG_DATA(c), &seg, sizeof(seg));
  return sendmsg(fd, &m, 0);
}

#endif
