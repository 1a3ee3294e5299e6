/* Helpers shared by the loop tests. */
#ifndef BRTC_TEST_NET_UTIL_H
#define BRTC_TEST_NET_UTIL_H

#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/addr.h"

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
