/* Helpers shared by the loop tests. */
#ifndef BRTC_TEST_NET_UTIL_H
#define BRTC_TEST_NET_UTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "boltrtc/error.h"
#include "boltrtc/loop.h"
#include "boltrtc/peer_connection.h"
#include "common/addr.h"

/* A loop with one UDP socket on addr ("127.0.0.1:0"), answering loopback sources only when
 * loopback_only; NULL (the reason on stderr) on failure. */
static inline brtc_loop *net_test_loop(const char *addr, bool loopback_only) {
  brtc_loop_config *cfg = brtc_loop_config_new();
  char err[256] = "out of memory";
  brtc_loop *loop = NULL;
  if (cfg && brtc_loop_config_add_udp_address(cfg, addr) == BRTC_OK) {
    brtc_loop_config_set_loopback_only(cfg, loopback_only);
    loop = brtc_loop_new(cfg, err, sizeof(err));
  } else if (cfg) {
    snprintf(err, sizeof(err), "bad address");
  }
  brtc_loop_config_free(cfg);
  if (!loop) fprintf(stderr, "brtc_loop_new(%s): %s\n", addr, err);
  return loop;
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

#endif
