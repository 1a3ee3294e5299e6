/* ICE candidate priorities (RFC 8445 5.1.2, 6.1.2.3) and the SDP candidate grammar
 * (RFC 8839 5.1):
 *   candidate-attribute = "candidate" ":" foundation SP component-id SP transport SP
 *                         priority SP connection-address SP port SP "typ" SP cand-type
 *                         [SP "raddr" SP connection-address SP "rport" SP port]
 *                         *(SP extension-att-name SP extension-att-value)          */
#include "ice/ice_candidate.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "boltrtc/error.h"

uint32_t brtc_ice_type_preference(brtc_ice_cand_type type) {
  switch (type) {
    case BRTC_ICE_CAND_HOST: return 126;
    case BRTC_ICE_CAND_PRFLX: return 110;
    case BRTC_ICE_CAND_SRFLX: return 100;
    case BRTC_ICE_CAND_RELAY: return 0;
  }
  return 0;
}

uint32_t brtc_ice_priority(brtc_ice_cand_type type, uint16_t local_pref, uint16_t component) {
  if (component < 1) component = 1;
  if (component > 256) component = 256;
  return (brtc_ice_type_preference(type) << 24) + ((uint32_t)local_pref << 8) +
         (uint32_t)(256 - component);
}

uint64_t brtc_ice_pair_priority(uint32_t g, uint32_t d) {
  uint64_t lo = g < d ? g : d, hi = g > d ? g : d;
  return (lo << 32) + 2 * hi + (g > d ? 1 : 0);
}

const char *brtc_ice_cand_type_name(brtc_ice_cand_type type) {
  switch (type) {
    case BRTC_ICE_CAND_HOST: return "host";
    case BRTC_ICE_CAND_SRFLX: return "srflx";
    case BRTC_ICE_CAND_PRFLX: return "prflx";
    case BRTC_ICE_CAND_RELAY: return "relay";
  }
  return "unknown";
}

bool brtc_ice_is_mdns_name(const char *host) {
  size_t n = host ? strlen(host) : 0;
  if (n > 0 && host[n - 1] == '.') n--; /* a fully qualified "x.local." */
  return n > 6 && strncasecmp(host + n - 6, ".local", 6) == 0;
}

/* A token of the line: [p, p + n). */
typedef struct token {
  const char *p;
  size_t n;
} token;

typedef struct lexer {
  const char *p;
  const char *end;
} lexer;

static bool next_token(lexer *lx, token *t) {
  while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t')) lx->p++;
  if (lx->p >= lx->end) return false;
  t->p = lx->p;
  while (lx->p < lx->end && *lx->p != ' ' && *lx->p != '\t') lx->p++;
  t->n = (size_t)(lx->p - t->p);
  return true;
}

static bool token_is(const token *t, const char *word) {
  size_t n = strlen(word);
  return t->n == n && strncasecmp(t->p, word, n) == 0;
}

/* ice-char = ALPHA / DIGIT / "+" / "/" (RFC 8839 5.1). */
static bool is_ice_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

static bool parse_uint(const token *t, size_t max_digits, uint64_t max, uint64_t *out) {
  if (t->n == 0 || t->n > max_digits) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < t->n; i++) {
    if (t->p[i] < '0' || t->p[i] > '9') return false;
    v = v * 10 + (uint64_t)(t->p[i] - '0');
  }
  if (v > max) return false;
  *out = v;
  return true;
}

/* A DNS name: letters, digits, '-', '_' and dots, at most BRTC_ICE_HOSTNAME_MAX. */
static bool is_hostname(const token *t) {
  if (t->n == 0 || t->n > BRTC_ICE_HOSTNAME_MAX) return false;
  for (size_t i = 0; i < t->n; i++) {
    char c = t->p[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

/* An IPv4 or IPv6 address (no brackets) with a port into *out. */
static bool parse_ip(const token *t, uint16_t port, brtc_addr *out) {
  char ip[INET6_ADDRSTRLEN + 1];
  if (t->n == 0 || t->n >= sizeof(ip)) return false;
  memcpy(ip, t->p, t->n);
  ip[t->n] = '\0';
  return brtc_addr_from_ip(out, ip, port) == BRTC_OK;
}

static bool parse_port(const token *t, uint16_t *port) {
  uint64_t v;
  if (!parse_uint(t, 5, 65535, &v)) return false;
  *port = (uint16_t)v;
  return true;
}

/* The part after "typ": known types, or -1 for an extension type (a token). */
static int parse_type(const token *t) {
  if (token_is(t, "host")) return BRTC_ICE_CAND_HOST;
  if (token_is(t, "srflx")) return BRTC_ICE_CAND_SRFLX;
  if (token_is(t, "prflx")) return BRTC_ICE_CAND_PRFLX;
  if (token_is(t, "relay")) return BRTC_ICE_CAND_RELAY;
  return -1;
}

/* Optional raddr/rport and extensions. Unknown extensions are ignored (RFC 8839 5.1);
 * a related address that is not an IP (a browser hides it as 0.0.0.0, or sends a name)
 * is left out. */
static int parse_tail(lexer *lx, brtc_ice_candidate *out) {
  token name, value;
  bool have_raddr = false;
  token raddr = {0};
  uint16_t rport = 0;
  while (next_token(lx, &name)) {
    if (!next_token(lx, &value)) return BRTC_OK; /* a dangling name: ignore it */
    if (token_is(&name, "raddr")) {
      raddr = value;
      have_raddr = true;
    } else if (token_is(&name, "rport")) {
      if (!parse_port(&value, &rport)) return BRTC_ERR_PARSE;
    } else if (token_is(&name, "tcptype")) {
      if (token_is(&value, "active")) out->tcp_type = BRTC_ICE_TCP_ACTIVE;
      else if (token_is(&value, "passive")) out->tcp_type = BRTC_ICE_TCP_PASSIVE;
      else if (token_is(&value, "so")) out->tcp_type = BRTC_ICE_TCP_SO;
    } else if (token_is(&name, "ufrag")) {
      if (value.n > BRTC_ICE_CRED_MAX) return BRTC_ERR_PARSE;
      memcpy(out->ufrag, value.p, value.n);
      out->ufrag[value.n] = '\0';
      out->has_ufrag = true;
    }
  }
  if (have_raddr && parse_ip(&raddr, rport, &out->related)) out->has_related = true;
  return BRTC_OK;
}

int brtc_ice_candidate_parse(const char *text, brtc_ice_candidate *out) {
  if (!text || !out) return BRTC_ERR_INVALID;
  memset(out, 0, sizeof(*out));
  if (strncmp(text, "a=", 2) == 0) text += 2;
  if (strncasecmp(text, "candidate:", 10) != 0) return BRTC_ERR_PARSE;
  text += 10;
  lexer lx = {text, text + strcspn(text, "\r\n")};
  token t[8]; /* foundation component transport priority address port "typ" type */
  for (int i = 0; i < 8; i++)
    if (!next_token(&lx, &t[i])) return BRTC_ERR_PARSE;

  if (t[0].n == 0 || t[0].n > BRTC_ICE_FOUNDATION_MAX) return BRTC_ERR_PARSE;
  for (size_t i = 0; i < t[0].n; i++)
    if (!is_ice_char(t[0].p[i])) return BRTC_ERR_PARSE;
  memcpy(out->foundation, t[0].p, t[0].n);

  uint64_t v;
  if (!parse_uint(&t[1], 3, 256, &v) || v == 0) return BRTC_ERR_PARSE;
  out->component = (uint16_t)v;

  if (token_is(&t[2], "udp")) out->proto = BRTC_ICE_PROTO_UDP;
  else if (token_is(&t[2], "tcp")) out->proto = BRTC_ICE_PROTO_TCP;
  else if (t[2].n > 0) out->proto = BRTC_ICE_PROTO_OTHER;

  if (!parse_uint(&t[3], 10, UINT32_MAX, &v)) return BRTC_ERR_PARSE;
  out->priority = (uint32_t)v;

  uint16_t port;
  if (!parse_port(&t[5], &port)) return BRTC_ERR_PARSE;
  if (!parse_ip(&t[4], port, &out->addr)) {
    if (!is_hostname(&t[4])) return BRTC_ERR_PARSE;
    memcpy(out->hostname, t[4].p, t[4].n);
    out->hostname[t[4].n] = '\0';
    out->has_hostname = true;
    /* The port waits here for the address the name resolves to. */
    brtc_addr_from_ip(&out->addr, "0.0.0.0", port);
  }

  if (!token_is(&t[6], "typ")) return BRTC_ERR_PARSE;
  int type = parse_type(&t[7]);
  int rc = parse_tail(&lx, out);
  if (rc != BRTC_OK) return rc;
  if (type < 0) return BRTC_ERR_UNSUPPORTED; /* an extension type: well-formed, not ours */
  out->type = (brtc_ice_cand_type)type;
  return BRTC_OK;
}

static const char *tcp_type_name(brtc_ice_tcp_type t) {
  switch (t) {
    case BRTC_ICE_TCP_ACTIVE: return "active";
    case BRTC_ICE_TCP_PASSIVE: return "passive";
    case BRTC_ICE_TCP_SO: return "so";
    case BRTC_ICE_TCP_NONE: break;
  }
  return NULL;
}

int brtc_ice_candidate_format(const brtc_ice_candidate *c, char *buf, size_t cap) {
  if (!c || !buf || cap == 0) return BRTC_ERR_INVALID;
  int family = brtc_addr_family(&c->addr);
  if (c->has_hostname || (family != AF_INET && family != AF_INET6) ||
      c->proto == BRTC_ICE_PROTO_OTHER)
    return BRTC_ERR_INVALID;
  char ip[BRTC_ADDR_STRLEN];
  brtc_addr_ip_str(&c->addr, ip, sizeof(ip));
  int n = snprintf(buf, cap, "candidate:%s %u %s %u %s %u typ %s", c->foundation, c->component,
                   c->proto == BRTC_ICE_PROTO_TCP ? "tcp" : "udp", c->priority, ip,
                   brtc_addr_port(&c->addr), brtc_ice_cand_type_name(c->type));
  if (n < 0 || (size_t)n >= cap) return BRTC_ERR_TOO_BIG;
  size_t len = (size_t)n;
  if (c->has_related) {
    char rip[BRTC_ADDR_STRLEN];
    brtc_addr_ip_str(&c->related, rip, sizeof(rip));
    n = snprintf(buf + len, cap - len, " raddr %s rport %u", rip, brtc_addr_port(&c->related));
    if (n < 0 || (size_t)n >= cap - len) return BRTC_ERR_TOO_BIG;
    len += (size_t)n;
  }
  const char *tcp = c->proto == BRTC_ICE_PROTO_TCP ? tcp_type_name(c->tcp_type) : NULL;
  if (tcp) {
    n = snprintf(buf + len, cap - len, " tcptype %s", tcp);
    if (n < 0 || (size_t)n >= cap - len) return BRTC_ERR_TOO_BIG;
  }
  return BRTC_OK;
}
