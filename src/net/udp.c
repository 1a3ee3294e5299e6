#include "net/udp.h"

#include <errno.h>
#include <ifaddrs.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "boltrtc/error.h"

/* Large kernel buffers absorb bursts (a keyframe is dozens of packets) between two loop
 * passes. SO_*BUFFORCE passes the sysctl cap when we are privileged; otherwise take what
 * the kernel gives. */
static void raise_buffer(int fd, int force_opt, int opt) {
  int size = BRTC_UDP_BUFFER_BYTES;
  if (setsockopt(fd, SOL_SOCKET, force_opt, &size, sizeof(size)) == 0) return;
  (void)setsockopt(fd, SOL_SOCKET, opt, &size, sizeof(size));
}

uint64_t brtc_udp_kernel_drops(int fd) {
  /* One call when the stats are read, instead of a control message on every datagram
   * (SO_RXQ_OVFL): the count is the socket's own, cumulative since it was opened. */
  uint32_t info[SK_MEMINFO_VARS] = {0};
  socklen_t len = sizeof(info);
  if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, info, &len) != 0 ||
      len < (socklen_t)((SK_MEMINFO_DROPS + 1) * sizeof(uint32_t)))
    return 0;
  return info[SK_MEMINFO_DROPS];
}

bool brtc_udp_is_wildcard(const brtc_addr *a) {
  if (a->u.sa.sa_family == AF_INET) return a->u.v4.sin_addr.s_addr == htonl(INADDR_ANY);
  return IN6_IS_ADDR_UNSPECIFIED(&a->u.v6.sin6_addr);
}

bool brtc_udp_destination(const struct msghdr *m, brtc_addr *dst) {
  memset(dst, 0, sizeof(*dst));
  for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR((struct msghdr *)m, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
        c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
      struct in_pktinfo info;
      memcpy(&info, CMSG_DATA(c), sizeof(info));
      dst->u.v4.sin_family = AF_INET;
      dst->u.v4.sin_addr = info.ipi_addr;
      return true;
    }
    if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
        c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
      struct in6_pktinfo info;
      memcpy(&info, CMSG_DATA(c), sizeof(info));
      dst->u.v6.sin6_family = AF_INET6;
      dst->u.v6.sin6_addr = info.ipi6_addr;
      return true;
    }
  }
  return false;
}

size_t brtc_udp_set_source(void *control, size_t cap, const brtc_addr *src) {
  struct msghdr m;
  memset(&m, 0, sizeof(m));
  m.msg_control = control;
  m.msg_controllen = cap;
  memset(control, 0, cap);
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  if (!c) return 0;
  if (src->u.sa.sa_family == AF_INET && cap >= CMSG_SPACE(sizeof(struct in_pktinfo))) {
    struct in_pktinfo info;
    memset(&info, 0, sizeof(info));
    info.ipi_spec_dst = src->u.v4.sin_addr; /* source address; interface left to routing */
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(info));
    memcpy(CMSG_DATA(c), &info, sizeof(info));
    return CMSG_SPACE(sizeof(info));
  }
  if (src->u.sa.sa_family == AF_INET6 && cap >= CMSG_SPACE(sizeof(struct in6_pktinfo))) {
    struct in6_pktinfo info;
    memset(&info, 0, sizeof(info));
    info.ipi6_addr = src->u.v6.sin6_addr;
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(info));
    memcpy(CMSG_DATA(c), &info, sizeof(info));
    return CMSG_SPACE(sizeof(info));
  }
  return 0;
}

int brtc_udp_open(const char *text, brtc_addr *bound, char *err, size_t err_cap) {
  brtc_addr want;
  if (!text || brtc_addr_parse(&want, text, 0) != BRTC_OK) {
    snprintf(err, err_cap, "bad UDP address '%s' (want ip:port or [ip6]:port)", text ? text : "");
    return BRTC_ERR_INVALID;
  }
  int family = brtc_addr_family(&want);
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) {
    snprintf(err, err_cap, "socket(%s): %s", text, strerror(errno));
    return BRTC_ERR_IO;
  }
  if (family == AF_INET6) {
    int on = 1; /* one socket per family: keep IPv4 off the IPv6 socket */
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) != 0) {
      snprintf(err, err_cap, "IPV6_V6ONLY on %s: %s", text, strerror(errno));
      close(fd);
      return BRTC_ERR_IO;
    }
  }
  if (brtc_udp_is_wildcard(&want)) {
    int on = 1;
    int rc = family == AF_INET6 ? setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on))
                                : setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
    if (rc != 0) {
      snprintf(err, err_cap, "packet info on %s: %s", text, strerror(errno));
      close(fd);
      return BRTC_ERR_IO;
    }
  }
  raise_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF);
  raise_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF);
  if (bind(fd, &want.u.sa, brtc_addr_len(&want)) != 0) {
    snprintf(err, err_cap, "bind %s: %s", text, strerror(errno));
    close(fd);
    return BRTC_ERR_IO;
  }
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 ||
      !brtc_addr_from_sockaddr(bound, (struct sockaddr *)&ss, len)) {
    snprintf(err, err_cap, "getsockname %s: %s", text, strerror(errno));
    close(fd);
    return BRTC_ERR_IO;
  }
  return fd;
}


static size_t append_unique(struct sockaddr_storage *out, size_t n, size_t cap, const brtc_addr *a) {
  if (n >= cap) return n;
  for (size_t i = 0; i < n; i++) {
    brtc_addr have;
    if (brtc_addr_from_sockaddr(&have, (const struct sockaddr *)&out[i], sizeof(out[i])) &&
        brtc_addr_equal(&have, a))
      return n;
  }
  memset(&out[n], 0, sizeof(out[n]));
  memcpy(&out[n], &a->u, brtc_addr_len(a));
  return n + 1;
}

size_t brtc_udp_reachable_addrs(const brtc_addr *bound, struct sockaddr_storage *out, size_t cap) {
  if (!brtc_udp_is_wildcard(bound)) return append_unique(out, 0, cap, bound);
  struct ifaddrs *list = NULL;
  if (getifaddrs(&list) != 0) return 0;
  size_t n = 0;
  int family = brtc_addr_family(bound);
  for (int pass_loopback = 0; pass_loopback <= 1; pass_loopback++) {
    for (struct ifaddrs *ifa = list; ifa; ifa = ifa->ifa_next) {
      if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != family) continue;
      if (!(ifa->ifa_flags & IFF_UP)) continue;
      if (((ifa->ifa_flags & IFF_LOOPBACK) != 0) != (pass_loopback != 0)) continue;
      brtc_addr a;
      socklen_t len = family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
      if (!brtc_addr_from_sockaddr(&a, ifa->ifa_addr, len)) continue;
      /* Link-local IPv6 needs a scope id a remote peer cannot use. */
      if (family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&a.u.v6.sin6_addr)) continue;
      if (family == AF_INET6) a.u.v6.sin6_scope_id = 0;
      brtc_addr_set_port(&a, brtc_addr_port(bound));
      n = append_unique(out, n, cap, &a);
    }
  }
  freeifaddrs(list);
  return n;
}
