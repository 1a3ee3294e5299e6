#include "common/addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"

int brtc_addr_from_ip(brtc_addr *out, const char *ip, uint16_t port) {
  memset(out, 0, sizeof(*out));
  if (inet_pton(AF_INET, ip, &out->u.v4.sin_addr) == 1) {
    out->u.v4.sin_family = AF_INET;
    out->u.v4.sin_port = htons(port);
    return BRTC_OK;
  }
  if (inet_pton(AF_INET6, ip, &out->u.v6.sin6_addr) == 1) {
    out->u.v6.sin6_family = AF_INET6;
    out->u.v6.sin6_port = htons(port);
    return BRTC_OK;
  }
  return BRTC_ERR_PARSE;
}

int brtc_addr_parse(brtc_addr *out, const char *text, uint16_t default_port) {
  char host[INET6_ADDRSTRLEN + 1];
  const char *port_text = NULL;
  size_t host_len;
  if (!text || !*text) return BRTC_ERR_PARSE;
  if (text[0] == '[') {
    const char *end = strchr(text, ']');
    if (!end) return BRTC_ERR_PARSE;
    host_len = (size_t)(end - text - 1);
    if (host_len >= sizeof(host)) return BRTC_ERR_PARSE;
    memcpy(host, text + 1, host_len);
    if (end[1] == ':') port_text = end + 2;
    else if (end[1] != '\0') return BRTC_ERR_PARSE;
  } else {
    const char *colon = strchr(text, ':');
    if (colon && strchr(colon + 1, ':')) colon = NULL; /* bare IPv6 */
    host_len = colon ? (size_t)(colon - text) : strlen(text);
    if (host_len >= sizeof(host)) return BRTC_ERR_PARSE;
    memcpy(host, text, host_len);
    if (colon) port_text = colon + 1;
  }
  host[host_len] = '\0';
  long port = default_port;
  if (port_text) {
    char *endp;
    if (!*port_text) return BRTC_ERR_PARSE;
    port = strtol(port_text, &endp, 10);
    if (*endp || port < 0 || port > 65535) return BRTC_ERR_PARSE;
  } else if (default_port == 0) {
    return BRTC_ERR_PARSE;
  }
  if (strcmp(host, "localhost") == 0) strcpy(host, "127.0.0.1");
  return brtc_addr_from_ip(out, host, (uint16_t)port);
}

socklen_t brtc_addr_len(const brtc_addr *a) {
  return a->u.sa.sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

int brtc_addr_family(const brtc_addr *a) { return a->u.sa.sa_family; }

uint16_t brtc_addr_port(const brtc_addr *a) {
  return ntohs(a->u.sa.sa_family == AF_INET6 ? a->u.v6.sin6_port : a->u.v4.sin_port);
}

void brtc_addr_set_port(brtc_addr *a, uint16_t port) {
  if (a->u.sa.sa_family == AF_INET6) a->u.v6.sin6_port = htons(port);
  else a->u.v4.sin_port = htons(port);
}

bool brtc_addr_equal(const brtc_addr *a, const brtc_addr *b) {
  if (a->u.sa.sa_family != b->u.sa.sa_family) return false;
  if (a->u.sa.sa_family == AF_INET)
    return a->u.v4.sin_port == b->u.v4.sin_port && a->u.v4.sin_addr.s_addr == b->u.v4.sin_addr.s_addr;
  if (a->u.sa.sa_family == AF_INET6)
    return a->u.v6.sin6_port == b->u.v6.sin6_port &&
           memcmp(&a->u.v6.sin6_addr, &b->u.v6.sin6_addr, sizeof(struct in6_addr)) == 0;
  return false;
}

bool brtc_addr_is_loopback(const brtc_addr *a) {
  if (a->u.sa.sa_family == AF_INET) return (ntohl(a->u.v4.sin_addr.s_addr) >> 24) == 127;
  if (a->u.sa.sa_family == AF_INET6) return IN6_IS_ADDR_LOOPBACK(&a->u.v6.sin6_addr);
  return false;
}

const char *brtc_addr_ip_str(const brtc_addr *a, char *buf, size_t cap) {
  const void *src = a->u.sa.sa_family == AF_INET6 ? (const void *)&a->u.v6.sin6_addr
                                                  : (const void *)&a->u.v4.sin_addr;
  if (!inet_ntop(a->u.sa.sa_family == AF_INET6 ? AF_INET6 : AF_INET, src, buf, (socklen_t)cap))
    snprintf(buf, cap, "?");
  return buf;
}

const char *brtc_addr_str(const brtc_addr *a, char *buf, size_t cap) {
  char ip[INET6_ADDRSTRLEN];
  brtc_addr_ip_str(a, ip, sizeof(ip));
  if (a->u.sa.sa_family == AF_INET6) snprintf(buf, cap, "[%s]:%u", ip, brtc_addr_port(a));
  else snprintf(buf, cap, "%s:%u", ip, brtc_addr_port(a));
  return buf;
}

uint32_t brtc_addr_hash(const brtc_addr *a) {
  /* FNV-1a over address bytes and port. */
  const uint8_t *p;
  size_t n;
  uint32_t h = 2166136261u;
  if (a->u.sa.sa_family == AF_INET6) {
    p = (const uint8_t *)&a->u.v6.sin6_addr;
    n = 16;
  } else {
    p = (const uint8_t *)&a->u.v4.sin_addr;
    n = 4;
  }
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
  uint16_t port = brtc_addr_port(a);
  h = (h ^ (port >> 8)) * 16777619u;
  h = (h ^ (port & 0xff)) * 16777619u;
  return h;
}

bool brtc_addr_from_sockaddr(brtc_addr *out, const struct sockaddr *sa, socklen_t len) {
  memset(out, 0, sizeof(*out));
  if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
    memcpy(&out->u.v4, sa, sizeof(struct sockaddr_in));
    return true;
  }
  if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
    memcpy(&out->u.v6, sa, sizeof(struct sockaddr_in6));
    return true;
  }
  return false;
}
