/* The configured ICE servers (RTCIceServer): their URLs, RFC 7064 (stun:) and RFC 7065
 * (turn:), and the config's setters. Hosts must be numeric: the library resolves no names
 * (a pc is sans-IO, and a blocking resolver in it would stall every session of a loop). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pc/pc_gather.h"
#include "pc/pc_internal.h"

#define STUN_DEFAULT_PORT 3478 /* RFC 8489 9; RFC 7065 3 for turn: over UDP and TCP */
#define TURNS_DEFAULT_PORT 5349 /* RFC 7065 3: turns: */
#define URL_MAX 512

/* "host", "host:port", "[v6]" or "[v6]:port" into out. */
static int parse_hostport(const char *s, size_t len, unsigned long default_port, brtc_addr *out) {
  char host[64];
  const char *port = NULL;
  size_t port_len = 0, host_len;
  if (len == 0) return BRTC_ERR_PARSE;
  if (s[0] == '[') { /* RFC 3986 IP-literal */
    const char *close = memchr(s, ']', len);
    if (!close) return BRTC_ERR_PARSE;
    host_len = (size_t)(close - s - 1);
    if (host_len == 0 || host_len >= sizeof host) return BRTC_ERR_PARSE;
    memcpy(host, s + 1, host_len);
    size_t rest = len - (size_t)(close - s) - 1;
    if (rest) {
      if (close[1] != ':') return BRTC_ERR_PARSE;
      port = close + 2;
      port_len = rest - 1;
    }
  } else {
    const char *colon = memchr(s, ':', len);
    host_len = colon ? (size_t)(colon - s) : len;
    if (colon && memchr(colon + 1, ':', len - host_len - 1)) return BRTC_ERR_PARSE; /* bare v6 */
    if (host_len == 0 || host_len >= sizeof host) return BRTC_ERR_PARSE;
    memcpy(host, s, host_len);
    if (colon) {
      port = colon + 1;
      port_len = len - host_len - 1;
    }
  }
  host[host_len] = '\0';
  unsigned long p = default_port;
  if (port) {
    if (port_len == 0 || port_len > 5) return BRTC_ERR_PARSE;
    p = 0;
    for (size_t i = 0; i < port_len; i++) {
      if (port[i] < '0' || port[i] > '9') return BRTC_ERR_PARSE;
      p = p * 10 + (unsigned long)(port[i] - '0');
    }
    if (p == 0 || p > 65535) return BRTC_ERR_PARSE;
  }
  for (size_t i = 0; i < host_len; i++) {
    char c = host[i];
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '.' || c == '-' || c == ':' || c == '%' || c == '_';
    if (!ok) return BRTC_ERR_PARSE;
  }
  if (brtc_addr_from_ip(out, host, (uint16_t)p) != BRTC_OK)
    return BRTC_ERR_UNSUPPORTED; /* a name: resolve it in the program */
  return BRTC_OK;
}

int pc_ice_server_parse(const char *url, pc_ice_server *out) {
  if (!url || !out) return BRTC_ERR_INVALID;
  size_t len = strnlen(url, URL_MAX + 1);
  if (len > URL_MAX) return BRTC_ERR_PARSE;
  /* RFC 7064 3.1 / RFC 7065 3.1: the schemes are case-insensitive. */
  bool turn, tls = false;
  size_t at;
  if (len >= 5 && strncasecmp(url, "stun:", 5) == 0) turn = false, at = 5;
  else if (len >= 5 && strncasecmp(url, "turn:", 5) == 0) turn = true, at = 5;
  else if (len >= 6 && strncasecmp(url, "turns:", 6) == 0) turn = tls = true, at = 6;
  else if (len >= 6 && strncasecmp(url, "stuns:", 6) == 0)
    return BRTC_ERR_UNSUPPORTED; /* STUN over TLS: srflx through TLS tells nothing of UDP */
  else return BRTC_ERR_PARSE;
  brtc_transmit_via via = tls ? BRTC_VIA_TLS : BRTC_VIA_UDP;
  const char *rest = url + at;
  const char *query = strchr(rest, '?');
  size_t hp_len = query ? (size_t)(query - rest) : strlen(rest);
  if (query) {
    /* RFC 7064 has no query; RFC 7065: "?transport=udp" or "?transport=tcp", nothing else. */
    if (!turn) return BRTC_ERR_PARSE;
    const char *q = query + 1;
    if (strncasecmp(q, "transport=", 10) != 0) return BRTC_ERR_PARSE;
    q += 10;
    /* RFC 7065 3: turns: runs over TLS on TCP; "turns:...?transport=udp" would be DTLS,
     * which RFC 7065 does not define. */
    if (strcasecmp(q, "tcp") == 0) via = tls ? BRTC_VIA_TLS : BRTC_VIA_TCP;
    else if (strcasecmp(q, "udp") != 0 || tls) return BRTC_ERR_PARSE;
  }
  if (memchr(rest, '@', hp_len) || memchr(rest, '/', hp_len)) return BRTC_ERR_PARSE;
  brtc_addr addr;
  int rc = parse_hostport(rest, hp_len, tls ? TURNS_DEFAULT_PORT : STUN_DEFAULT_PORT, &addr);
  if (rc != BRTC_OK) return rc;
  out->turn = turn;
  out->via = via;
  out->addr = addr;
  return BRTC_OK;
}

int brtc_pc_config_add_ice_server(brtc_pc_config *c, const char *url, const char *username,
                                  const char *credential) {
  if (!c || !url) return BRTC_ERR_INVALID;
  pc_ice_server s;
  memset(&s, 0, sizeof s);
  int rc = pc_ice_server_parse(url, &s);
  if (rc != BRTC_OK) return rc;
  if (s.turn) {
    /* RFC 8656 9.2: TURN needs long-term credentials. */
    if (!username || !credential || !username[0] || !credential[0]) return BRTC_ERR_INVALID;
    if (strlen(username) > PC_ICE_CRED_MAX || strlen(credential) > PC_ICE_CRED_MAX)
      return BRTC_ERR_INVALID;
    snprintf(s.username, sizeof s.username, "%s", username);
    snprintf(s.credential, sizeof s.credential, "%s", credential);
  }
  if (c->n_ice_servers == PC_MAX_ICE_SERVERS) return BRTC_ERR_LIMIT;
  c->ice_servers[c->n_ice_servers++] = s;
  return BRTC_OK;
}

int brtc_pc_config_set_tls_ca_file(brtc_pc_config *c, const char *path) {
  if (!c || !path || strlen(path) >= sizeof c->tls_ca_file) return BRTC_ERR_INVALID;
  memcpy(c->tls_ca_file, path, strlen(path) + 1);
  return BRTC_OK;
}

int brtc_pc_config_set_ice_transport_policy(brtc_pc_config *c, brtc_ice_transport_policy policy) {
  if (!c || (policy != BRTC_ICE_TRANSPORT_ALL && policy != BRTC_ICE_TRANSPORT_RELAY))
    return BRTC_ERR_INVALID;
  c->relay_only = policy == BRTC_ICE_TRANSPORT_RELAY;
  return BRTC_OK;
}
