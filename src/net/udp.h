/* The loop's UDP sockets: open one per configured address, and list the addresses it can be
 * reached at (for host candidates). */
#ifndef BRTC_NET_UDP_H
#define BRTC_NET_UDP_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

#include "common/addr.h"

#define BRTC_UDP_BUFFER_BYTES (4 * 1024 * 1024)

/* A nonblocking UDP socket bound to text ("127.0.0.1:0", "[::]:5000"); *bound gets the
 * address with port 0 resolved. Returns the fd, or a negative brtc_err with err set. */
int brtc_udp_open(const char *text, brtc_addr *bound, char *err, size_t err_cap);

/* Addresses a socket bound to `bound` is reachable at: itself, or for a wildcard address every
 * up interface address of that family (IPv6 link-local left out, loopback last), each with
 * the bound port. Returns how many were written to out (at most cap). */
size_t brtc_udp_reachable_addrs(const brtc_addr *bound, struct sockaddr_storage *out, size_t cap);

/* True for 0.0.0.0 and ::. Such a socket is opened with IP_PKTINFO / IPV6_RECVPKTINFO so
 * the loop learns which local address each datagram was sent to and can answer from it: on
 * a host with several addresses the kernel would otherwise pick the source by route, and ICE
 * drops a response that does not come from where its request went (RFC 8445 7.2.5.2.1). */
bool brtc_udp_is_wildcard(const brtc_addr *a);

/* Room for one packet-info control message, IPv4 or IPv6. */
#define BRTC_UDP_CONTROL_SPACE CMSG_SPACE(sizeof(struct in6_pktinfo))

/* The local address a received datagram was sent to (port 0), from its control messages. */
bool brtc_udp_destination(const struct msghdr *m, brtc_addr *dst);
/* Write a control message that makes a datagram leave from src (an address of this host);
 * returns its length for msg_controllen, 0 if src is of neither family. */
size_t brtc_udp_set_source(void *control, size_t cap, const brtc_addr *src);

/* Datagrams the kernel dropped on this socket because its receive buffer was full, since it
 * was opened (SK_MEMINFO_DROPS); 0 if the kernel cannot say. */
uint64_t brtc_udp_kernel_drops(int fd);

#endif
