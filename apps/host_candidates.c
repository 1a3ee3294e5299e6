/* Host candidates for a program's peer connections (boltrtc publish, boltrtc camera). */
#include "host_candidates.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>

static bool is_loopback(const struct sockaddr_storage *a) {
  if (a->ss_family == AF_INET)
    return (ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr) >> 24) == 127;
  return a->ss_family == AF_INET6 &&
         IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)a)->sin6_addr);
}

/* The loop walks the interfaces once (brtc_loop_local_addrs: a wildcard socket is every up
 * interface's address with the bound port, RFC 8445 5.1.1.1). A server keeps loopback among
 * them for local clients; a program that calls out offers it only when it is all there is,
 * so a peer elsewhere gets no check it cannot answer. */
int brtc_app_add_host_candidates(brtc_loop *loop, brtc_pc_config *cfg, char *err, size_t cap) {
  const struct sockaddr_storage *local;
  size_t n = brtc_loop_local_addrs(loop, &local);
  size_t outside = 0;
  for (size_t i = 0; i < n; i++) outside += !is_loopback(&local[i]);
  if (n == 0) {
    snprintf(err, cap, "no interface has an address to offer");
    return -1;
  }
  if (outside == 0 || outside == n) { /* nothing to leave out */
    if (brtc_loop_config_pc(loop, cfg) == BRTC_OK) return 0;
    snprintf(err, cap, "cannot offer the loop's addresses");
    return -1;
  }
  int added = 0;
  for (size_t i = 0; i < n; i++)
    if (!is_loopback(&local[i]) &&
        brtc_pc_config_add_host_address(cfg, (const struct sockaddr *)&local[i]) == BRTC_OK)
      added++;
  if (added == 0) {
    snprintf(err, cap, "no interface address could be offered");
    return -1;
  }
  return 0;
}
