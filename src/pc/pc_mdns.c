/* The peer's mDNS (.local) candidates (draft-ietf-mmusic-mdns-ice-candidates): the agent
 * holds them by name (src/ice); the owner resolves the names (brtc_loop does, over RFC 6762)
 * and says what became of each here. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "pc/pc_internal.h"

size_t brtc_pc_unresolved_hostnames(const brtc_pc *pc, const char **names, size_t cap) {
  if (!pc || !pc->ice) return 0;
  size_t held = brtc_ice_transport_unresolved(pc->ice, NULL), n = 0;
  for (size_t i = 0; i < held; i++) {
    const char *name = brtc_ice_transport_unresolved_name(pc->ice, i);
    bool dup = false; /* one name for several candidates (ports) is asked for once */
    for (size_t k = 0; k < n && k < cap && !dup; k++) dup = strcasecmp(names[k], name) == 0;
    if (dup) continue;
    if (n < cap) names[n] = name;
    n++;
  }
  return n;
}

int brtc_pc_resolve_hostname(brtc_pc *pc, const char *name, const struct sockaddr *ip) {
  if (!pc || !name || !pc->ice) return BRTC_ERR_INVALID;
  if (!brtc_ice_transport_unresolved_name(pc->ice, 0)) return BRTC_ERR_NOT_FOUND;
  char line[BRTC_ICE_HOSTNAME_MAX + 96];
  if (!ip) {
    if (!brtc_ice_transport_drop_unresolved(pc->ice, name)) return BRTC_ERR_NOT_FOUND;
    pc_mark_ready(pc);
    snprintf(line, sizeof(line), "ICE: mDNS candidate %s not resolved: dropped", name);
    pc_emit_log(pc, line);
    return BRTC_OK;
  }
  brtc_addr addr;
  socklen_t len = ip->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                            : sizeof(struct sockaddr_in);
  if (!brtc_addr_from_sockaddr(&addr, ip, len)) return BRTC_ERR_INVALID;
  int rc = brtc_ice_transport_resolved(pc->ice, name, &addr, pc->now_us);
  if (rc != BRTC_OK) return rc;
  pc_mark_ready(pc);
  pc->ice_dirty = true;                /* new pairs to check */
  pc_gather_remote_address(pc, NULL); /* and relays to permit them */
  char ip_text[BRTC_ADDR_STRLEN];
  snprintf(line, sizeof(line), "ICE: mDNS candidate %s resolved to %s", name,
           brtc_addr_ip_str(&addr, ip_text, sizeof(ip_text)));
  pc_emit_log(pc, line);
  return BRTC_OK;
}
