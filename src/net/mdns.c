/* RFC 6762 (mDNS) on RFC 1035's message format: see mdns.h. */
#include "net/mdns.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <string.h>

#include "boltrtc/error.h"

#define HEADER 12
#define FLAG_QR 0x8000u
#define CLASS_IN 1u
#define CLASS_MASK 0x7fffu /* the top bit is cache-flush in answers, QU in questions */
#define MAX_POINTERS 16    /* compression pointers followed per name: no loops */

static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

size_t brtc_mdns_write_query(const char *name, uint16_t qtype, bool unicast_response,
                             uint8_t *out, size_t cap) {
  if (!name) return 0;
  size_t nlen = strlen(name);
  if (nlen && name[nlen - 1] == '.') nlen--;
  if (nlen == 0 || nlen > BRTC_MDNS_NAME_MAX) return 0;
  /* header, labels (one length byte per label: at most nlen + 1 with the root), type, class */
  if (cap < HEADER + nlen + 2 + 4) return 0;
  memset(out, 0, HEADER);
  put16(out + 4, 1); /* QDCOUNT */
  size_t at = HEADER;
  for (size_t start = 0; start < nlen;) {
    const char *dot = memchr(name + start, '.', nlen - start);
    size_t label = dot ? (size_t)(dot - (name + start)) : nlen - start;
    if (label == 0 || label > 63) return 0; /* RFC 1035 2.3.4 */
    out[at++] = (uint8_t)label;
    memcpy(out + at, name + start, label);
    at += label;
    start += label + (dot ? 1 : 0);
    if (dot && start == nlen) return 0; /* "a..": an empty label */
  }
  out[at++] = 0;
  put16(out + at, qtype);
  put16(out + at + 2, (uint16_t)(CLASS_IN | (unicast_response ? 0x8000u : 0)));
  return at + 4;
}

/* Read the name at *pos into text (dotted); *pos moves past it in the message (not past
 * where a pointer led). False if malformed. */
static bool read_name(const uint8_t *msg, size_t len, size_t *pos, char *text, size_t cap) {
  size_t at = *pos, out = 0;
  int pointers = 0;
  bool jumped = false;
  for (;;) {
    if (at >= len) return false;
    uint8_t b = msg[at];
    if ((b & 0xc0) == 0xc0) { /* RFC 1035 4.1.4: a pointer */
      if (at + 1 >= len || ++pointers > MAX_POINTERS) return false;
      if (!jumped) *pos = at + 2;
      jumped = true;
      at = ((size_t)(b & 0x3f) << 8) | msg[at + 1];
      continue;
    }
    if (b & 0xc0) return false; /* 0x40 and 0x80: reserved label types */
    if (b == 0) {
      if (!jumped) *pos = at + 1;
      if (out == 0 && cap) text[0] = '\0';
      return cap > 0;
    }
    if (at + 1 + b > len) return false;
    if (out + (out ? 1 : 0) + b + 1 > cap || out + (out ? 1 : 0) + b > BRTC_MDNS_NAME_MAX)
      return false;
    if (out) text[out++] = '.';
    memcpy(text + out, msg + at + 1, b);
    out += b;
    text[out] = '\0';
    at += 1 + (size_t)b;
  }
}

int brtc_mdns_parse_response(const uint8_t *msg, size_t len, brtc_mdns_record *out, size_t cap,
                             size_t *n) {
  *n = 0;
  if (!msg || len < HEADER || !(get16(msg + 2) & FLAG_QR)) return BRTC_ERR_PARSE;
  size_t qd = get16(msg + 4);
  size_t rr = (size_t)get16(msg + 6) + get16(msg + 8) + get16(msg + 10);
  size_t pos = HEADER;
  char name[BRTC_MDNS_NAME_MAX + 1];
  for (size_t i = 0; i < qd; i++) {
    if (!read_name(msg, len, &pos, name, sizeof(name)) || pos + 4 > len) return BRTC_ERR_PARSE;
    pos += 4;
  }
  for (size_t i = 0; i < rr; i++) {
    if (!read_name(msg, len, &pos, name, sizeof(name)) || pos + 10 > len) return BRTC_ERR_PARSE;
    uint16_t type = get16(msg + pos), klass = get16(msg + pos + 2) & CLASS_MASK;
    uint32_t ttl = (uint32_t)get16(msg + pos + 4) << 16 | get16(msg + pos + 6);
    size_t rdlen = get16(msg + pos + 8);
    pos += 10;
    if (pos + rdlen > len) return BRTC_ERR_PARSE;
    const uint8_t *rd = msg + pos;
    pos += rdlen;
    if (klass != CLASS_IN || *n == cap) continue;
    brtc_mdns_record *r = &out[*n];
    if (type == BRTC_MDNS_TYPE_A && rdlen == 4) {
      struct sockaddr_in sa = {.sin_family = AF_INET};
      memcpy(&sa.sin_addr, rd, 4);
      if (!brtc_addr_from_sockaddr(&r->addr, (struct sockaddr *)&sa, sizeof(sa))) continue;
    } else if (type == BRTC_MDNS_TYPE_AAAA && rdlen == 16) {
      struct sockaddr_in6 sa = {.sin6_family = AF_INET6};
      memcpy(&sa.sin6_addr, rd, 16);
      if (!brtc_addr_from_sockaddr(&r->addr, (struct sockaddr *)&sa, sizeof(sa))) continue;
    } else {
      continue;
    }
    memcpy(r->name, name, sizeof(r->name));
    r->ttl = ttl;
    (*n)++;
  }
  return BRTC_OK;
}

bool brtc_mdns_name_equal(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la && a[la - 1] == '.') la--;
  if (lb && b[lb - 1] == '.') lb--;
  if (la != lb) return false;
  for (size_t i = 0; i < la; i++)
    if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i])) return false;
  return true;
}
