/* Host candidates for a program's peer connections (boltrtc publish, boltrtc camera). */
#include "host_candidates.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

/* Host candidates: the bound address, or with an unspecified one (0.0.0.0, ::) every up
 * interface's address of that family with the bound port (RFC 8445 5.1.1.1). Loopback only
 * when it is all there is, or asked for. */
int brtc_app_add_host_candidates(brtc_loop *loop, brtc_pc_config *cfg, char *err, size_t cap) {
  const struct sockaddr_storage *bound;
  size_t n = brtc_loop_local_addrs(loop, &bound);
  if (n == 0) {
    snprintf(err, cap, "the loop has no UDP socket");
    return -1;
  }
  const struct sockaddr_storage *b = &bound[0];
  bool any = (b->ss_family == AF_INET &&
              ((const struct sockaddr_in *)b)->sin_addr.s_addr == htonl(INADDR_ANY)) ||
             (b->ss_family == AF_INET6 &&
              IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)b)->sin6_addr));
  if (!any) return brtc_loop_config_pc(loop, cfg) == BRTC_OK ? 0 : -1;
  struct ifaddrs *ifs = NULL;
  if (getifaddrs(&ifs) != 0) {
    snprintf(err, cap, "cannot list the interfaces");
    return -1;
  }
  int added = 0;
  for (int pass = 0; pass < 2 && added == 0; pass++) { /* pass 1: loopback, if nothing else */
    for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
      if (!i->ifa_addr || i->ifa_addr->sa_family != b->ss_family || !(i->ifa_flags & IFF_UP))
        continue;
      if (((i->ifa_flags & IFF_LOOPBACK) != 0) != (pass == 1)) continue;
      struct sockaddr_storage a;
      memset(&a, 0, sizeof(a));
      if (b->ss_family == AF_INET) {
        struct sockaddr_in *v4 = (struct sockaddr_in *)&a;
        *v4 = *(const struct sockaddr_in *)i->ifa_addr;
        v4->sin_port = ((const struct sockaddr_in *)b)->sin_port;
      } else {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&a;
        *v6 = *(const struct sockaddr_in6 *)i->ifa_addr;
        if (IN6_IS_ADDR_LINKLOCAL(&v6->sin6_addr)) continue; /* needs a scope: skipped */
        v6->sin6_port = ((const struct sockaddr_in6 *)b)->sin6_port;
      }
      if (brtc_pc_config_add_host_address(cfg, (struct sockaddr *)&a) == BRTC_OK) added++;
    }
  }
  freeifaddrs(ifs);
  if (added == 0) {
    snprintf(err, cap, "no interface has an address to offer");
    return -1;
  }
  return 0;
}
