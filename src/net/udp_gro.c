#include "net/udp_gro.h"

#include <linux/udp.h>
#include <netinet/in.h>
#include <string.h>

#ifndef UDP_GRO
#define UDP_GRO 104 /* linux/udp.h, 5.0 */
#endif

bool brtc_udp_gro_enable(int fd) {
  int on = 1;
  return setsockopt(fd, IPPROTO_UDP, UDP_GRO, &on, sizeof(on)) == 0;
}

size_t brtc_udp_gro_segment_size(const struct msghdr *m) {
  if (!m->msg_control || m->msg_controllen == 0) return 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)m); c;
       c = CMSG_NXTHDR((struct msghdr *)m, c)) {
    if (c->cmsg_level != IPPROTO_UDP || c->cmsg_type != UDP_GRO) continue;
    if (c->cmsg_len < CMSG_LEN(sizeof(int))) return 0;
    int size;
    memcpy(&size, CMSG_DATA(c), sizeof(size)); /* CMSG_DATA may be unaligned for an int */
    return size > 0 ? (size_t)size : 0;
  }
  return 0;
}
