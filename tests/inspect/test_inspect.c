/* brtc_inspect_describe: what each protocol's line says, checked word by word against
 * vectors whose fields are known (RFC 5769, a captured Chromium check, hand-made DTLS records,
 * RTP and RTCP made by our own writers); malformed and cut input is described as such; the
 * line always fits and ends in NUL. */
#include <stdio.h>
#include <string.h>

#include "boltrtc/error.h"
#include "boltrtc/inspect.h"
#include "ice/fixtures/chrome_binding_request.h"
#include "rtp/rtcp.h"
#include "rtp/rtp.h"
#include "stun/rfc5769_vectors.h"
#include "rtcp_vector.h"
#include "testing.h"

static char out[BRTC_INSPECT_LINE];

static bool says(const char *what) {
  if (strstr(out, what)) return true;
  fprintf(stderr, "  wanted \"%s\" in: %s\n", what, out);
  return false;
}

static void test_stun(void) {
  CHECK_EQ_INT(brtc_inspect_describe(sample_request, sizeof(sample_request), false, out,
                                     sizeof(out)), BRTC_INSPECT_STUN);
  fprintf(stderr, "  %s\n", out);
  CHECK(says("STUN Binding request, transaction b7e7a701..."));
  CHECK(says("USERNAME evtj:h6vY"));
  CHECK(says("PRIORITY 1845494271"));
  CHECK(says("ICE-CONTROLLED 932ff9b151263b36"));
  CHECK(says("SOFTWARE STUN test client"));
  CHECK(says("MESSAGE-INTEGRITY, FINGERPRINT ok"));
  brtc_inspect_describe(sample_ipv4_response, sizeof(sample_ipv4_response), false, out,
                        sizeof(out));
  CHECK(says("STUN Binding success response"));
  CHECK(says("XOR-MAPPED-ADDRESS 192.0.2.1:32853"));
  brtc_inspect_describe(sample_ipv6_response, sizeof(sample_ipv6_response), false, out,
                        sizeof(out));
  CHECK(says("XOR-MAPPED-ADDRESS [2001:db8:1234:5678:11:2233:4455:6677]:32853"));
  /* Chromium's first check: its ufrags, nominating nothing yet, controlling. */
  brtc_inspect_describe(chrome_binding_request, sizeof(chrome_binding_request), false, out,
                        sizeof(out));
  fprintf(stderr, "  %s\n", out);
  CHECK(says("USERNAME bRtC:Elsk"));
  CHECK(says("ICE-CONTROLLING 1b79f5fac75fa309"));
  CHECK(!strstr(out, "USE-CANDIDATE"));
  /* A flipped FINGERPRINT byte makes the message malformed for the parser. */
  uint8_t bad[sizeof(sample_request)];
  memcpy(bad, sample_request, sizeof(bad));
  bad[sizeof(bad) - 1] ^= 1;
  brtc_inspect_describe(bad, sizeof(bad), false, out, sizeof(out));
  CHECK(says("STUN") && (strstr(out, "malformed") || strstr(out, "FINGERPRINT WRONG")));
}

static void test_dtls(void) {
  /* A ClientHello of 100 bytes in one record, then a fragment of a Certificate. */
  uint8_t d[13 + 12 + 4 + 13 + 12 + 3] = {
      22, 0xfe, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16,  /* handshake, epoch 0, seq 0 */
      1, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4,
      22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 1, 0, 15,  /* seq 1 */
      11, 0, 2, 0, 0, 2, 0, 1, 0, 0, 0, 3, 9, 9, 9,
  };
  CHECK_EQ_INT(brtc_inspect_describe(d, sizeof(d), false, out, sizeof(out)), BRTC_INSPECT_DTLS);
  fprintf(stderr, "  %s\n", out);
  CHECK(says("DTLS [epoch 0 seq 0] ClientHello #0 (bytes 0-4 of 100); [epoch 0 seq 1] "
             "Certificate #2 (bytes 256-259 of 512)"));
  /* Issue 5's forged alert: epoch 1, so it claims to be encrypted. */
  static const uint8_t forged[] = {0x15, 0xfe, 0xfd, 0x00, 0x01, 0x00, 0x00, 0x00,
                                   0x00, 0x00, 0x07, 0x00, 0x02, 0x02, 0x28};
  brtc_inspect_describe(forged, sizeof(forged), false, out, sizeof(out));
  CHECK(says("[epoch 1 seq 7] alert, encrypted (2 bytes)"));
  uint8_t clear[sizeof(forged)];
  memcpy(clear, forged, sizeof(clear));
  clear[4] = 0;
  brtc_inspect_describe(clear, sizeof(clear), false, out, sizeof(out));
  CHECK(says("alert fatal handshake_failure, in clear"));
  /* A record that claims more than the datagram holds. */
  clear[12] = 200;
  brtc_inspect_describe(clear, sizeof(clear), false, out, sizeof(out));
  CHECK(says("record longer than the datagram"));
  static const uint8_t ccs_and_finished[] = {20, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 5, 0, 1, 1,
                                             22, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 7, 7};
  brtc_inspect_describe(ccs_and_finished, sizeof(ccs_and_finished), false, out, sizeof(out));
  CHECK(says("ChangeCipherSpec; [epoch 1 seq 0] handshake, encrypted (2 bytes): the Finished"));
}

static void test_rtp(void) {
  uint8_t pkt[64];
  size_t len = 0;
  brtc_rtp_header h = {.version = 2, .marker = true, .payload_type = 96, .sequence = 4660,
                       .timestamp = 90000, .ssrc = 0xdeadbeef};
  static const uint8_t payload[] = {0x90, 0x80, 0x12, 0x34, 0x10};
  CHECK_EQ_INT(brtc_rtp_write(&h, payload, sizeof(payload), pkt, sizeof(pkt), &len), BRTC_OK);
  CHECK_EQ_INT(brtc_inspect_describe(pkt, len, true, out, sizeof(out)), BRTC_INSPECT_RTP);
  CHECK(says("RTP ssrc 0xdeadbeef pt 96 seq 4660 ts 90000 marker, payload 5 bytes 90 80 12 34..."));
  CHECK_EQ_INT(brtc_inspect_describe(pkt, len, false, out, sizeof(out)), BRTC_INSPECT_SRTP);
  CHECK(says("SRTP ssrc 0xdeadbeef pt 96 seq 4660"));
  CHECK(says("5 bytes encrypted with the tag"));
}

static void test_rtcp(void) {
  uint8_t buf[256];
  size_t len = rtcp_compound(buf, sizeof(buf));
  CHECK(len > 0);
  CHECK_EQ_INT(brtc_inspect_describe(buf, len, true, out, sizeof(out)), BRTC_INSPECT_RTCP);
  fprintf(stderr, "  %s\n", out);
  CHECK(says("RTCP RR from 0xaaaa0001 [of 0x11223344: lost 3 (12/256 lately), highest seq 70000, "
             "jitter 9]; PLI for 0x11223344; REMB 2.50 Mbps 0x11223344; NACK for 0x11223344: "
             "seq 100 mask 0002"));
  CHECK_EQ_INT(brtc_inspect_describe(buf, len, false, out, sizeof(out)), BRTC_INSPECT_SRTCP);
  CHECK(says("SRTCP, first packet 201 from 0xaaaa0001"));
  /* A compound cut inside its second packet. */
  brtc_inspect_describe(buf, 40, true, out, sizeof(out));
  CHECK(says("malformed compound"));
}

/* Every prefix of every vector, into lines of every small size: always a terminated string
 * that fits; tiny lines end in "...". */
static void test_cuts(void) {
  const uint8_t *vec[] = {sample_request, chrome_binding_request, sample_ipv6_response};
  const size_t vlen[] = {sizeof(sample_request), sizeof(chrome_binding_request),
                         sizeof(sample_ipv6_response)};
  size_t bad = 0;
  for (size_t v = 0; v < 3; v++)
    for (size_t n = 0; n <= vlen[v]; n++)
      for (size_t cap = 1; cap < 48; cap += 7) {
        char small[48];
        memset(small, 'x', sizeof(small));
        brtc_inspect_describe(vec[v], n, n % 2 == 0, small, cap);
        if (memchr(small, '\0', cap) == NULL) bad++;
      }
  CHECK_EQ_INT(bad, 0);
  char tiny[12];
  brtc_inspect_describe(sample_request, sizeof(sample_request), false, tiny, sizeof(tiny));
  CHECK(strcmp(tiny, "STUN Bin...") == 0);
  brtc_inspect_describe(NULL, 0, false, out, sizeof(out));
  CHECK(says("empty datagram"));
  static const uint8_t odd[] = {70, 1, 2};
  CHECK_EQ_INT(brtc_inspect_describe(odd, sizeof(odd), false, out, sizeof(out)),
               BRTC_INSPECT_UNKNOWN);
  CHECK(says("unknown datagram, first byte 70"));
}

int main(void) {
  RUN(test_stun);
  RUN(test_dtls);
  RUN(test_rtp);
  RUN(test_rtcp);
  RUN(test_cuts);
  return TEST_REPORT();
}
