/* The mDNS core (RFC 6762 on RFC 1035's format): the query we send, byte for byte; the A and
 * AAAA records read from responses, compressed names and the cache-flush bit included; a
 * query, a truncated message, a pointer loop and a reserved label type refused; names
 * compared without case; and a real answer from Chromium's responder. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "net/mdns.h"
#include "testing.h"

#define NAME "1f4712db-ea17-4bcf-a596-105139dfd8bf.local"

static void test_query_bytes(void) {
  uint8_t q[300];
  size_t n = brtc_mdns_write_query(NAME, BRTC_MDNS_TYPE_A, false, q, sizeof(q));
  static const uint8_t head[] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 36};
  CHECK_EQ_INT(n, 12 + 1 + 36 + 1 + 5 + 1 + 4);
  CHECK_MEM(q, head, sizeof(head));
  CHECK_MEM(q + 13, NAME, 36);
  CHECK_EQ_INT(q[49], 5);
  CHECK_MEM(q + 50, "local", 5);
  CHECK_EQ_INT(q[55], 0);
  static const uint8_t tail[] = {0, 1, 0, 1};
  CHECK_MEM(q + 56, tail, 4);
  /* QU (RFC 6762 5.4) and AAAA */
  n = brtc_mdns_write_query(NAME ".", BRTC_MDNS_TYPE_AAAA, true, q, sizeof(q));
  static const uint8_t tail_qu[] = {0, 28, 0x80, 1};
  CHECK_MEM(q + n - 4, tail_qu, 4);
  CHECK_EQ_INT(brtc_mdns_write_query("a..local", 1, false, q, sizeof(q)), 0);
  CHECK_EQ_INT(brtc_mdns_write_query("", 1, false, q, sizeof(q)), 0);
  CHECK_EQ_INT(brtc_mdns_write_query(NAME, 1, false, q, 40), 0);
  char long_label[80];
  memset(long_label, 'x', 64);
  strcpy(long_label + 64, ".local");
  CHECK_EQ_INT(brtc_mdns_write_query(long_label, 1, false, q, sizeof(q)), 0);
}

/* A response as a browser's responder sends it (RFC 6762 6, 10.2): flags 0x8400, no
 * question, one A answer with the cache-flush bit and TTL 120; then an AAAA record whose
 * name is a pointer to the first. */
static size_t build_response(uint8_t *m) {
  size_t n = 0;
  static const uint8_t head[] = {0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 1};
  memcpy(m, head, sizeof(head));
  n = sizeof(head);
  m[n++] = 36;
  memcpy(m + n, NAME, 36);
  n += 36;
  m[n++] = 5;
  memcpy(m + n, "local", 5);
  n += 5;
  m[n++] = 0;
  static const uint8_t a[] = {0, 1, 0x80, 1, 0, 0, 0, 120, 0, 4, 192, 168, 1, 23};
  memcpy(m + n, a, sizeof(a));
  n += sizeof(a);
  m[n++] = 0xc0; /* pointer to offset 12: the same name */
  m[n++] = 12;
  static const uint8_t aaaa[] = {0, 28, 0x80, 1, 0, 0, 0, 120, 0, 16, 0xfd, 0, 0, 0, 0, 0, 0, 0,
                                 0, 0, 0, 0, 0, 0, 0, 1};
  memcpy(m + n, aaaa, sizeof(aaaa));
  n += sizeof(aaaa);
  return n;
}

static void test_parse_response(void) {
  uint8_t m[512];
  size_t len = build_response(m);
  brtc_mdns_record recs[4];
  size_t n = 0;
  CHECK_EQ_INT(brtc_mdns_parse_response(m, len, recs, 4, &n), BRTC_OK);
  CHECK_EQ_INT(n, 2);
  char ip[BRTC_ADDR_STRLEN];
  CHECK_STR(recs[0].name, NAME);
  CHECK_STR(brtc_addr_ip_str(&recs[0].addr, ip, sizeof(ip)), "192.168.1.23");
  CHECK_EQ_INT(recs[0].ttl, 120);
  CHECK_STR(recs[1].name, NAME);
  CHECK_STR(brtc_addr_ip_str(&recs[1].addr, ip, sizeof(ip)), "fd00::1");
  /* Room for one: the first only. */
  CHECK_EQ_INT(brtc_mdns_parse_response(m, len, recs, 1, &n), BRTC_OK);
  CHECK_EQ_INT(n, 1);
  /* Every truncation is refused, none reads past the end (ASan). */
  for (size_t cut = 0; cut < len; cut++) {
    uint8_t *copy = malloc(cut ? cut : 1);
    memcpy(copy, m, cut);
    int rc = brtc_mdns_parse_response(copy, cut, recs, 4, &n);
    CHECK(rc == BRTC_ERR_PARSE);
    free(copy);
  }
}

static void test_refused(void) {
  uint8_t m[512];
  size_t len = build_response(m), n;
  brtc_mdns_record recs[4];
  /* Our own query, as the group loops it back: QR clear. */
  uint8_t q[300];
  size_t qlen = brtc_mdns_write_query(NAME, BRTC_MDNS_TYPE_A, false, q, sizeof(q));
  CHECK_EQ_INT(brtc_mdns_parse_response(q, qlen, recs, 4, &n), BRTC_ERR_PARSE);
  CHECK_EQ_INT(n, 0);
  /* The second record's pointer aimed at itself: a loop. */
  uint8_t loop[512];
  memcpy(loop, m, len);
  size_t second = 12 + 1 + 36 + 1 + 5 + 1 + 14;
  loop[second + 1] = (uint8_t)second;
  CHECK_EQ_INT(brtc_mdns_parse_response(loop, len, recs, 4, &n), BRTC_ERR_PARSE);
  CHECK_EQ_INT(n, 1); /* what came before the fault */
  /* A reserved label type (0x40). */
  memcpy(loop, m, len);
  loop[12] = 0x40;
  CHECK_EQ_INT(brtc_mdns_parse_response(loop, len, recs, 4, &n), BRTC_ERR_PARSE);
  /* A record of another type (a PTR) is skipped, the rest read. */
  memcpy(loop, m, len);
  loop[12 + 1 + 36 + 1 + 5 + 1 + 1] = 12;
  CHECK_EQ_INT(brtc_mdns_parse_response(loop, len, recs, 4, &n), BRTC_OK);
  CHECK_EQ_INT(n, 1);
  CHECK(brtc_addr_family(&recs[0].addr) == AF_INET6);
}

/* A real answer: Chromium's mDNS responder (the mdns-ice-candidates draft) answering boltrtc
 * serve's query for its candidate's name, heard on 5353 by tests/e2e/mdns_e2e.py
 * --keep-answers: an A record with the cache-flush bit and TTL 120, and an NSEC record in the
 * additional section (RFC 6762 6.1: no AAAA) whose name and next-domain are compression
 * pointers. */
static const uint8_t chromium_answer[] = {
    0x00, 0x00, 0x84, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x24, 0x30, 0x64, 0x34,
    0x39, 0x36, 0x37, 0x38, 0x36, 0x2d, 0x38, 0x33, 0x32, 0x61, 0x2d, 0x34, 0x36, 0x36, 0x30, 0x2d,
    0x62, 0x32, 0x63, 0x31, 0x2d, 0x36, 0x64, 0x33, 0x30, 0x36, 0x64, 0x32, 0x35, 0x39, 0x65, 0x36,
    0x37, 0x05, 0x6c, 0x6f, 0x63, 0x61, 0x6c, 0x00, 0x00, 0x01, 0x80, 0x01, 0x00, 0x00, 0x00, 0x78,
    0x00, 0x04, 0x0a, 0x4d, 0x00, 0x01, 0x24, 0x30, 0x64, 0x34, 0x39, 0x36, 0x37, 0x38, 0x36, 0x2d,
    0x38, 0x33, 0x32, 0x61, 0x2d, 0x34, 0x36, 0x36, 0x30, 0x2d, 0x62, 0x32, 0x63, 0x31, 0x2d, 0x36,
    0x64, 0x33, 0x30, 0x36, 0x64, 0x32, 0x35, 0x39, 0x65, 0x36, 0x37, 0x05, 0x6c, 0x6f, 0x63, 0x61,
    0x6c, 0x00, 0x00, 0x2f, 0x80, 0x01, 0x00, 0x00, 0x00, 0x78, 0x00, 0x05, 0xc0, 0x46, 0x00, 0x01,
    0x40,
};

static void test_chromium_answer(void) {
  brtc_mdns_record recs[4];
  size_t n = 0;
  CHECK_EQ_INT(brtc_mdns_parse_response(chromium_answer, sizeof(chromium_answer), recs, 4, &n),
               BRTC_OK);
  CHECK_EQ_INT(n, 1); /* the NSEC is skipped */
  char ip[BRTC_ADDR_STRLEN];
  CHECK_STR(recs[0].name, "0d496786-832a-4660-b2c1-6d306d259e67.local");
  CHECK_STR(brtc_addr_ip_str(&recs[0].addr, ip, sizeof(ip)), "10.77.0.1");
  CHECK_EQ_INT(recs[0].ttl, 120);
  CHECK(brtc_mdns_name_equal(recs[0].name, "0D496786-832A-4660-B2C1-6D306D259E67.local."));
}

static void test_names(void) {
  CHECK(brtc_mdns_name_equal("ABC.Local", "abc.local."));
  CHECK(!brtc_mdns_name_equal("abc.local", "abd.local"));
  CHECK(!brtc_mdns_name_equal("abc.local", "abc.loca"));
}

int main(void) {
  RUN(test_query_bytes);
  RUN(test_parse_response);
  RUN(test_refused);
  RUN(test_chromium_answer);
  RUN(test_names);
  return TEST_REPORT();
}
