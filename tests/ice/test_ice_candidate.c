/* ICE candidates: priorities (RFC 8445 5.1.2, 6.1.2.3) and the SDP grammar (RFC 8839 5.1),
 * with lines as Chromium, Firefox, aiortc, libnice and Pion write them. */
#include <string.h>

#include "boltrtc/error.h"
#include "ice/ice_candidate.h"
#include "testing.h"

static void test_priorities(void) {
  /* The familiar numbers: host with the top local preference on component 1. */
  CHECK_EQ_INT(brtc_ice_priority(BRTC_ICE_CAND_HOST, 65535, 1), 2130706431u);
  CHECK_EQ_INT(brtc_ice_priority(BRTC_ICE_CAND_PRFLX, 65535, 1), 1862270975u);
  CHECK_EQ_INT(brtc_ice_priority(BRTC_ICE_CAND_SRFLX, 65535, 1), 1694498815u);
  CHECK_EQ_INT(brtc_ice_priority(BRTC_ICE_CAND_RELAY, 65535, 1), 16777215u);
  CHECK_EQ_INT(brtc_ice_priority(BRTC_ICE_CAND_HOST, 0, 2), (126u << 24) + 254);
  /* Pair priority: 2^32 MIN + 2 MAX + (G > D). */
  CHECK_EQ_INT(brtc_ice_pair_priority(10, 20), (10ull << 32) + 40);
  CHECK_EQ_INT(brtc_ice_pair_priority(20, 10), (10ull << 32) + 41);
  CHECK(brtc_ice_pair_priority(2130706431u, 2130706431u) >
        brtc_ice_pair_priority(2130706431u, 1694498815u));
  CHECK_STR(brtc_ice_cand_type_name(BRTC_ICE_CAND_SRFLX), "srflx");
}

static void parse_ok(const char *line, brtc_ice_candidate *c) {
  int rc = brtc_ice_candidate_parse(line, c);
  if (rc != BRTC_OK) fprintf(stderr, "  did not parse: %s\n", line);
  CHECK_EQ_INT(rc, BRTC_OK);
}

static void test_parse_real_lines(void) {
  brtc_ice_candidate c;
  char ip[64];
  /* Chromium: host with its extensions. */
  parse_ok("candidate:3885250869 1 udp 2122260223 192.168.1.7 54321 typ host generation 0 "
           "ufrag Elsk network-id 1 network-cost 10",
           &c);
  CHECK_STR(c.foundation, "3885250869");
  CHECK_EQ_INT(c.component, 1);
  CHECK_EQ_INT(c.proto, BRTC_ICE_PROTO_UDP);
  CHECK_EQ_INT(c.priority, 2122260223u);
  CHECK_STR(brtc_addr_ip_str(&c.addr, ip, sizeof(ip)), "192.168.1.7");
  CHECK_EQ_INT(brtc_addr_port(&c.addr), 54321);
  CHECK_EQ_INT(c.type, BRTC_ICE_CAND_HOST);
  CHECK(c.has_ufrag && strcmp(c.ufrag, "Elsk") == 0);
  CHECK(!c.has_related && !c.has_hostname);
  /* With "a=" and CRLF, as in SDP; server-reflexive with raddr/rport. */
  parse_ok("a=candidate:842163049 1 udp 1677729535 203.0.113.9 61000 typ srflx raddr 10.0.0.5 "
           "rport 54321 generation 0\r\n",
           &c);
  CHECK_EQ_INT(c.type, BRTC_ICE_CAND_SRFLX);
  CHECK(c.has_related);
  CHECK_STR(brtc_addr_ip_str(&c.related, ip, sizeof(ip)), "10.0.0.5");
  CHECK_EQ_INT(brtc_addr_port(&c.related), 54321);
  /* IPv6, relay, upper-case UDP (Firefox and libnice). */
  parse_ok("candidate:1 1 UDP 8265471 2001:db8::5 3478 typ relay raddr 2001:db8::9 rport 1234", &c);
  CHECK_EQ_INT(c.type, BRTC_ICE_CAND_RELAY);
  CHECK_EQ_INT(brtc_addr_family(&c.addr), AF_INET6);
  /* aiortc / aioice. */
  parse_ok("candidate:b7a6d4a0b3f5e4a1c5e2c2a8d6f0e1b2 1 udp 2130706431 127.0.0.1 47853 typ host", &c);
  CHECK_EQ_INT(c.priority, 2130706431u);
  /* An mDNS name (Chromium hides host addresses this way): held with its port. */
  parse_ok("candidate:1 1 udp 2113937151 0d4f2a5e-4c1b-4c5f-9f5c-2b8c8e3d7a61.local 56789 typ host "
           "generation 0 network-cost 999",
           &c);
  CHECK(c.has_hostname);
  CHECK_STR(c.hostname, "0d4f2a5e-4c1b-4c5f-9f5c-2b8c8e3d7a61.local");
  CHECK_EQ_INT(brtc_addr_port(&c.addr), 56789);
  CHECK(brtc_ice_is_mdns_name(c.hostname));
  CHECK(brtc_ice_is_mdns_name("x.LOCAL."));
  CHECK(!brtc_ice_is_mdns_name("example.com"));
  CHECK(!brtc_ice_is_mdns_name(".local"));
  /* ICE-TCP (RFC 6544): parsed, told apart. */
  parse_ok("candidate:2 1 tcp 1518280447 192.168.1.7 9 typ host tcptype active generation 0", &c);
  CHECK_EQ_INT(c.proto, BRTC_ICE_PROTO_TCP);
  CHECK_EQ_INT(c.tcp_type, BRTC_ICE_TCP_ACTIVE);
  /* A transport we do not know parses, marked as such. */
  parse_ok("candidate:3 1 ssltcp 1 192.168.1.7 443 typ host", &c);
  CHECK_EQ_INT(c.proto, BRTC_ICE_PROTO_OTHER);
  /* Browsers hide the related address of srflx behind mDNS as 0.0.0.0 0: fine. */
  parse_ok("candidate:4 1 udp 1685987071 203.0.113.9 61000 typ srflx raddr 0.0.0.0 rport 0", &c);
  CHECK(c.has_related);
  /* Extra spaces and tabs, a dangling extension name: tolerated. */
  parse_ok("candidate:5  1 udp\t100 10.0.0.1 1 typ host lonely", &c);
  CHECK_EQ_INT(c.priority, 100);
}

static void test_parse_errors(void) {
  brtc_ice_candidate c;
  static const char *const bad[] = {
      "",
      "candidate:",
      "cand:1 1 udp 1 10.0.0.1 1 typ host",
      "candidate:1 1 udp 1 10.0.0.1 1 host",               /* no "typ" */
      "candidate:1 1 udp 1 10.0.0.1 1 typ",                /* no type */
      "candidate:1 0 udp 1 10.0.0.1 1 typ host",           /* component 0 */
      "candidate:1 257 udp 1 10.0.0.1 1 typ host",         /* component > 256 */
      "candidate:1 1 udp 4294967296 10.0.0.1 1 typ host",  /* priority over 32 bits */
      "candidate:1 1 udp -1 10.0.0.1 1 typ host",
      "candidate:1 1 udp 1 10.0.0.1 65536 typ host",       /* port */
      "candidate:1 1 udp 1 10.0.0.1 port typ host",
      "candidate:1 1 udp 1 bad/name 1 typ host",           /* neither IP nor name */
      "candidate:f:o 1 udp 1 10.0.0.1 1 typ host",         /* foundation not ice-chars */
      "candidate:123456789012345678901234567890123 1 udp 1 10.0.0.1 1 typ host", /* 33 chars */
      "candidate:1 1 udp 1 10.0.0.1 1 typ host rport x",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    int rc = brtc_ice_candidate_parse(bad[i], &c);
    if (rc != BRTC_ERR_PARSE) fprintf(stderr, "  accepted: %s\n", bad[i]);
    CHECK_EQ_INT(rc, BRTC_ERR_PARSE);
  }
  /* An extension candidate type: well-formed, not ours. */
  CHECK_EQ_INT(brtc_ice_candidate_parse("candidate:1 1 udp 1 10.0.0.1 1 typ future", &c),
               BRTC_ERR_UNSUPPORTED);
  CHECK_EQ_INT(brtc_ice_candidate_parse(NULL, &c), BRTC_ERR_INVALID);
  /* 32 characters is the longest foundation. */
  CHECK_EQ_INT(brtc_ice_candidate_parse(
                   "candidate:12345678901234567890123456789012 1 udp 1 10.0.0.1 1 typ host", &c),
               BRTC_OK);
}

static void test_format_round_trip(void) {
  static const char *const lines[] = {
      "candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host",
      "candidate:2 1 udp 2130706175 ::1 40001 typ host",
      "candidate:3 1 udp 1694498815 203.0.113.9 61000 typ srflx raddr 10.0.0.5 rport 40000",
      "candidate:4 1 udp 16777215 198.51.100.1 3478 typ relay raddr 203.0.113.9 rport 61000",
      "candidate:5 1 tcp 1518280447 192.168.1.7 9 typ host tcptype active",
  };
  for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
    brtc_ice_candidate c;
    char out[BRTC_ICE_CANDIDATE_LINE_MAX];
    CHECK_EQ_INT(brtc_ice_candidate_parse(lines[i], &c), BRTC_OK);
    CHECK_EQ_INT(brtc_ice_candidate_format(&c, out, sizeof(out)), BRTC_OK);
    CHECK_STR(out, lines[i]);
  }
  brtc_ice_candidate c;
  char small[20];
  CHECK_EQ_INT(brtc_ice_candidate_parse(lines[0], &c), BRTC_OK);
  CHECK_EQ_INT(brtc_ice_candidate_format(&c, small, sizeof(small)), BRTC_ERR_TOO_BIG);
  CHECK_EQ_INT(brtc_ice_candidate_parse("candidate:1 1 udp 1 a.local 9 typ host", &c), BRTC_OK);
  CHECK_EQ_INT(brtc_ice_candidate_format(&c, small, sizeof(small)), BRTC_ERR_INVALID);
}

int main(void) {
  RUN(test_priorities);
  RUN(test_parse_real_lines);
  RUN(test_parse_errors);
  RUN(test_format_round_trip);
  return TEST_REPORT();
}
