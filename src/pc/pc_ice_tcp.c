/* ICE-TCP passive host candidates in our descriptions (RFC 6544). The pc only writes them:
 * the loop accepts the peer's active connections and hands their framed datagrams in like
 * UDP ones (src/net/ice_tcp.c), so the agent sees each connection as a peer address. */
#include <stdio.h>

#include "pc/pc_internal.h"

/* RFC 6544 4.2: TCP below UDP. The type preference of a TCP host candidate is 90 (below
 * every UDP host and server-reflexive one, as libwebrtc does), and the local preference is
 * 2^13 * direction-pref + other-pref, with direction-pref 4 for a passive host candidate. */
#define TCP_HOST_TYPE_PREFERENCE 90u
#define PASSIVE_DIRECTION_PREF 4u

static uint32_t tcp_priority(size_t index) {
  uint32_t local = (PASSIVE_DIRECTION_PREF << 13) | (8191u - (uint32_t)index);
  return (TCP_HOST_TYPE_PREFERENCE << 24) | (local << 8) | (256u - 1u);
}

int brtc_pc_config_add_tcp_passive_address(brtc_pc_config *c, const struct sockaddr *addr) {
  if (!c || !addr) return BRTC_ERR_INVALID;
  if (c->n_tcp_addrs == PC_MAX_TCP_ADDRS) return BRTC_ERR_LIMIT;
  socklen_t len = addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                              : sizeof(struct sockaddr_in);
  if (!brtc_addr_from_sockaddr(&c->tcp_addrs[c->n_tcp_addrs], addr, len) ||
      brtc_addr_port(&c->tcp_addrs[c->n_tcp_addrs]) == 0)
    return BRTC_ERR_INVALID;
  c->n_tcp_addrs++;
  return BRTC_OK;
}

size_t pc_ice_tcp_candidates(const brtc_pc *pc, char text[][PC_CANDIDATE_LEN], const char **cands,
                             size_t room) {
  size_t n = 0;
  for (size_t i = 0; i < pc->n_tcp_addrs && n < room; i++) {
    char ip[BRTC_ADDR_STRLEN];
    brtc_addr_ip_str(&pc->tcp_addrs[i], ip, sizeof(ip));
    /* Its own foundation: another transport (RFC 8445 5.1.1.3). */
    snprintf(text[n], PC_CANDIDATE_LEN, "candidate:%zu 1 tcp %u %s %u typ host tcptype passive",
             i + 10, (unsigned)tcp_priority(i), ip, (unsigned)brtc_addr_port(&pc->tcp_addrs[i]));
    cands[n] = text[n];
    n++;
  }
  return n;
}
