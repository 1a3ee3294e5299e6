/* The peer address filter of the TURN server: special-purpose ranges refused by default
 * (RFC 8656 21.3.4; the ranges of RFC 6890), what --allow-peers names allowed. */
#include "turn/turn_peers.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"

static bool in_prefix(const uint8_t *ip, const uint8_t *net, unsigned prefix) {
  unsigned whole = prefix / 8, rest = prefix % 8;
  if (memcmp(ip, net, whole) != 0) return false;
  if (rest == 0) return true;
  uint8_t mask = (uint8_t)(0xFF << (8 - rest));
  return (ip[whole] & mask) == (net[whole] & mask);
}

int brtc_turn_cidr_parse(brtc_turn_cidr *out, const char *text) {
  if (!out || !text) return BRTC_ERR_INVALID;
  char ip[INET6_ADDRSTRLEN + 1];
  const char *slash = strchr(text, '/');
  size_t ip_len = slash ? (size_t)(slash - text) : strlen(text);
  if (ip_len == 0 || ip_len >= sizeof(ip)) return BRTC_ERR_PARSE;
  memcpy(ip, text, ip_len);
  ip[ip_len] = '\0';
  memset(out, 0, sizeof(*out));
  unsigned max;
  if (inet_pton(AF_INET, ip, out->ip) == 1) {
    out->family = AF_INET;
    max = 32;
  } else if (inet_pton(AF_INET6, ip, out->ip) == 1) {
    out->family = AF_INET6;
    max = 128;
  } else {
    return BRTC_ERR_PARSE;
  }
  out->prefix = max;
  if (slash) {
    char *end;
    unsigned long p = strtoul(slash + 1, &end, 10);
    if (!slash[1] || *end || slash[1] == '-' || slash[1] == '+' || p > max) return BRTC_ERR_PARSE;
    out->prefix = (unsigned)p;
  }
  return BRTC_OK;
}

int brtc_turn_peer_filter_allow(brtc_turn_peer_filter *f, const char *cidr) {
  if (!f) return BRTC_ERR_INVALID;
  if (f->n_allow == BRTC_TURN_MAX_ALLOW) return BRTC_ERR_LIMIT;
  int err = brtc_turn_cidr_parse(&f->allow[f->n_allow], cidr);
  if (err == BRTC_OK) f->n_allow++;
  return err;
}

/* RFC 6890 special-purpose ranges that a public relay has no business reaching. */
static const brtc_turn_cidr refused[] = {
    {AF_INET, {0}, 8},                             /* "this network" */
    {AF_INET, {10}, 8},                            /* private */
    {AF_INET, {100, 64}, 10},                      /* shared address space (carrier NAT) */
    {AF_INET, {127}, 8},                           /* loopback */
    {AF_INET, {169, 254}, 16},                     /* link-local */
    {AF_INET, {172, 16}, 12},                      /* private */
    {AF_INET, {192, 0, 0}, 24},                    /* IETF protocol assignments */
    {AF_INET, {192, 168}, 16},                     /* private */
    {AF_INET, {198, 18}, 15},                      /* benchmarking */
    {AF_INET, {224}, 3},                           /* multicast, reserved and broadcast */
    {AF_INET6, {0}, 127},                          /* :: and ::1 */
    {AF_INET6, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF}, 96}, /* IPv4-mapped: IPv4 behind an IPv6 face */
    {AF_INET6, {0x01, 0x00}, 64},                  /* discard-only */
    {AF_INET6, {0xFC}, 7},                         /* unique local */
    {AF_INET6, {0xFE, 0x80}, 10},                  /* link-local */
    {AF_INET6, {0xFF}, 8},                         /* multicast */
};

bool brtc_turn_peer_allowed(const brtc_turn_peer_filter *f, const brtc_addr *peer) {
  if (!f || !peer) return false;
  int family = brtc_addr_family(peer);
  const uint8_t *ip;
  if (family == AF_INET)
    ip = (const uint8_t *)&peer->u.v4.sin_addr.s_addr;
  else if (family == AF_INET6)
    ip = peer->u.v6.sin6_addr.s6_addr;
  else
    return false;
  for (size_t i = 0; i < f->n_allow; i++)
    if (f->allow[i].family == family && in_prefix(ip, f->allow[i].ip, f->allow[i].prefix))
      return true;
  for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
    if (refused[i].family == family && in_prefix(ip, refused[i].ip, refused[i].prefix))
      return false;
  return true;
}
