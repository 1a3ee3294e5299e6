/* The loop's router (src/net/stun_route.c): what a datagram is, and STUN responses routed to
 * the pc whose request they answer by transaction ID (RFC 8489 6.3.3), whatever address
 * they come from: two owners asking one server each get their own answer; entries expire
 * with their transaction, a removed owner gets nothing, and the table is reclaimed rather
 * than grown without bound. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "boltrtc/error.h"
#include "net/stun_route.h"
#include "testing.h"

/* A STUN header (RFC 8489 5): type, length 0, the magic cookie, transaction ID from seed. */
static void stun(uint8_t *m, uint16_t type, unsigned seed) {
  memset(m, 0, 20);
  m[0] = (uint8_t)(type >> 8);
  m[1] = (uint8_t)type;
  m[4] = 0x21, m[5] = 0x12, m[6] = 0xA4, m[7] = 0x42;
  for (int i = 0; i < 12; i++) m[8 + i] = (uint8_t)(seed * 2654435761u >> (i % 4 * 8)) ^ (uint8_t)(i * 37);
}

static void test_kinds(void) {
  uint8_t m[20];
  stun(m, 0x0001, 1); /* Binding request: a check, or to a STUN server */
  CHECK_EQ_INT(brtc_datagram_kind_of(m, 20), BRTC_DGRAM_REQUEST);
  stun(m, 0x0101, 1);
  CHECK_EQ_INT(brtc_datagram_kind_of(m, 20), BRTC_DGRAM_RESPONSE);
  stun(m, 0x0111, 1);
  CHECK_EQ_INT(brtc_datagram_kind_of(m, 20), BRTC_DGRAM_RESPONSE);
  stun(m, 0x0011, 1); /* Binding indication (a keepalive): neither */
  CHECK_EQ_INT(brtc_datagram_kind_of(m, 20), BRTC_DGRAM_OTHER);
  /* RFC 8656 18: Allocate 0x003, Refresh 0x004, Send indication 0x016, CreatePermission
   * 0x008, ChannelBind 0x009: the allocation's own traffic. */
  const uint16_t turn[] = {0x0003, 0x0004, 0x0016, 0x0008, 0x0009};
  for (size_t i = 0; i < sizeof turn / sizeof turn[0]; i++) {
    stun(m, turn[i], 1);
    CHECK_EQ_INT(brtc_datagram_kind_of(m, 20), BRTC_DGRAM_ALLOCATION);
  }
  stun(m, 0x0103, 1); /* an Allocate success (a server's): a response */
  CHECK_EQ_INT(brtc_datagram_kind_of(m, 20), BRTC_DGRAM_RESPONSE);
  stun(m, 0x0001, 1);
  m[4] = 0; /* no magic cookie: RFC 3489's, or not STUN */
  CHECK_EQ_INT(brtc_datagram_kind_of(m, 20), BRTC_DGRAM_OTHER);
  CHECK_EQ_INT(brtc_datagram_kind_of(m, 19), BRTC_DGRAM_OTHER);
  uint8_t cd[8] = {0x40, 0x00, 0x00, 0x04, 1, 2, 3, 4}; /* ChannelData 0x4000 */
  CHECK_EQ_INT(brtc_datagram_kind_of(cd, sizeof cd), BRTC_DGRAM_ALLOCATION);
  cd[0] = 0x4F;
  CHECK_EQ_INT(brtc_datagram_kind_of(cd, sizeof cd), BRTC_DGRAM_ALLOCATION);
  uint8_t rtp[12] = {0x80, 96}, dtls[13] = {22, 0xfe, 0xfd};
  CHECK_EQ_INT(brtc_datagram_kind_of(rtp, sizeof rtp), BRTC_DGRAM_OTHER);
  CHECK_EQ_INT(brtc_datagram_kind_of(dtls, sizeof dtls), BRTC_DGRAM_OTHER);
  CHECK_EQ_INT(brtc_datagram_kind_of(cd, 3), BRTC_DGRAM_OTHER);
}

/* Two owners send Binding requests to one server; each response finds its own sender. */
static void test_two_owners_one_server(void) {
  brtc_stun_route r;
  brtc_stun_route_init(&r);
  int a, b;
  uint8_t req_a[20], req_b[20], resp[20];
  stun(req_a, 0x0001, 11);
  stun(req_b, 0x0001, 12);
  CHECK_EQ_INT(brtc_stun_route_note(&r, req_a, 20, &a, 1000), BRTC_OK);
  CHECK_EQ_INT(brtc_stun_route_note(&r, req_b, 20, &b, 1000), BRTC_OK);
  stun(resp, 0x0101, 11);
  CHECK(brtc_stun_route_find(&r, resp, 20, 2000) == &a);
  stun(resp, 0x0111, 12); /* an error response routes the same way */
  CHECK(brtc_stun_route_find(&r, resp, 20, 2000) == &b);
  stun(resp, 0x0101, 13); /* nobody's transaction */
  CHECK(brtc_stun_route_find(&r, resp, 20, 2000) == NULL);
  CHECK(brtc_stun_route_find(&r, resp, 19, 2000) == NULL);
  brtc_stun_route_free(&r);
}

/* An entry lives as long as its transaction (39.5 s), renewed by a retransmission. */
static void test_expiry(void) {
  brtc_stun_route r;
  brtc_stun_route_init(&r);
  int a;
  uint8_t req[20], resp[20];
  stun(req, 0x0001, 21);
  stun(resp, 0x0101, 21);
  CHECK_EQ_INT(brtc_stun_route_note(&r, req, 20, &a, 0), BRTC_OK);
  CHECK(brtc_stun_route_find(&r, resp, 20, BRTC_STUN_ROUTE_TTL_US - 1) == &a);
  CHECK(brtc_stun_route_find(&r, resp, 20, BRTC_STUN_ROUTE_TTL_US) == NULL);
  /* Retransmitted at 30 s: good until 70 s. */
  CHECK_EQ_INT(brtc_stun_route_note(&r, req, 20, &a, 30000000ull), BRTC_OK);
  CHECK_EQ_INT(r.count, 1);
  CHECK(brtc_stun_route_find(&r, resp, 20, 69000000ull) == &a);
  brtc_stun_route_free(&r);
}

/* A removed owner's transactions route nowhere; the others' still do. */
static void test_forget(void) {
  brtc_stun_route r;
  brtc_stun_route_init(&r);
  int owners[3];
  uint8_t m[20];
  for (unsigned i = 0; i < 300; i++) {
    stun(m, 0x0001, 100 + i);
    CHECK_EQ_INT(brtc_stun_route_note(&r, m, 20, &owners[i % 3], 5), BRTC_OK);
  }
  brtc_stun_route_forget(&r, &owners[1]);
  unsigned found[3] = {0}, lost = 0;
  for (unsigned i = 0; i < 300; i++) {
    stun(m, 0x0101, 100 + i);
    void *o = brtc_stun_route_find(&r, m, 20, 6);
    if (!o) lost++;
    for (int k = 0; k < 3; k++) found[k] += o == &owners[k];
  }
  CHECK_EQ_INT(found[0], 100);
  CHECK_EQ_INT(found[1], 0);
  CHECK_EQ_INT(found[2], 100);
  CHECK_EQ_INT(lost, 100);
  brtc_stun_route_free(&r);
}

/* A steady stream of transactions (a pc checking at Ta = 50 ms for an hour) keeps the table
 * at the size of the transactions alive at once: expired entries are reclaimed. */
static void test_reclaimed_not_grown(void) {
  brtc_stun_route r;
  brtc_stun_route_init(&r);
  int a;
  uint8_t m[20];
  uint64_t now = 0;
  for (unsigned i = 0; i < 72000; i++, now += 50000) {
    stun(m, 0x0001, 1000 + i);
    CHECK(brtc_stun_route_note(&r, m, 20, &a, now) == BRTC_OK);
  }
  /* 800 alive at once (40 s / 50 ms): a table of 4096 slots at most, never 72000's. */
  CHECK(r.cap <= 4096);
  CHECK(r.count * 2 <= r.cap);
  stun(m, 0x0101, 1000 + 71999);
  CHECK(brtc_stun_route_find(&r, m, 20, now) == &a);
  stun(m, 0x0101, 1000);
  CHECK(brtc_stun_route_find(&r, m, 20, now) == NULL);
  CHECK_EQ_INT(r.refused, 0);
  brtc_stun_route_free(&r);
}

int main(void) {
  RUN(test_kinds);
  RUN(test_two_owners_one_server);
  RUN(test_expiry);
  RUN(test_forget);
  RUN(test_reclaimed_not_grown);
  return TEST_REPORT();
}
