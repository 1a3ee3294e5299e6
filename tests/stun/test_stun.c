/* STUN parser, integrity and writer: RFC 5769 test vectors, round trips, malformed input. */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "boltrtc/error.h"
#include "common/addr.h"
#include "stun/stun.h"
#include "testing.h"

#include "stun/rfc5769_vectors.h"

static int check_pwd(const uint8_t *buf, size_t len, const brtc_stun_msg *m, const char *pwd) {
  return brtc_stun_check_integrity(buf, len, m, (const uint8_t *)pwd, strlen(pwd));
}

static void test_rfc5769_request(void) {
  brtc_stun_msg m;
  CHECK_EQ_INT(brtc_stun_parse(sample_request, sizeof(sample_request), &m), BRTC_OK);
  CHECK(brtc_stun_is_stun(sample_request, sizeof(sample_request)));
  CHECK_EQ_INT(m.type, BRTC_STUN_BINDING_REQUEST);
  CHECK_EQ_INT(m.length, 0x58);
  CHECK_MEM(m.transaction_id, rfc5769_tid, 12);
  CHECK_EQ_INT(m.software_len, 16);
  CHECK(m.software && memcmp(m.software, "STUN test client", 16) == 0);
  CHECK_EQ_INT(m.username_len, 9);
  CHECK(m.username && memcmp(m.username, "evtj:h6vY", 9) == 0);
  CHECK(m.has_priority);
  CHECK_EQ_INT(m.priority, 0x6e0001ff);
  CHECK(m.has_ice_controlled);
  CHECK(m.ice_controlled == 0x932ff9b151263b36ull);
  CHECK(!m.has_ice_controlling);
  CHECK(!m.use_candidate);
  CHECK(m.has_integrity);
  CHECK_EQ_INT(m.integrity_offset, 76);
  CHECK(m.has_fingerprint);
  CHECK(m.fingerprint_ok);
  CHECK_EQ_INT(m.n_unknown_required, 0);
  CHECK_EQ_INT(check_pwd(sample_request, sizeof(sample_request), &m, rfc5769_password), BRTC_OK);
  CHECK_EQ_INT(check_pwd(sample_request, sizeof(sample_request), &m, "VOkJxbRl1RmTxUk/WvJxBT"),
               BRTC_ERR_AUTH);

  /* One flipped bit in the body breaks both the fingerprint and the integrity. */
  uint8_t copy[sizeof(sample_request)];
  memcpy(copy, sample_request, sizeof(copy));
  copy[30] ^= 0x01; /* inside SOFTWARE */
  CHECK_EQ_INT(brtc_stun_parse(copy, sizeof(copy), &m), BRTC_OK);
  CHECK(m.has_fingerprint && !m.fingerprint_ok);
  CHECK_EQ_INT(check_pwd(copy, sizeof(copy), &m, rfc5769_password), BRTC_ERR_AUTH);
}

static void check_response(const uint8_t *buf, size_t len, int family, const char *ip) {
  brtc_stun_msg m;
  brtc_addr want;
  CHECK_EQ_INT(brtc_stun_parse(buf, len, &m), BRTC_OK);
  CHECK_EQ_INT(m.type, BRTC_STUN_BINDING_SUCCESS);
  CHECK_MEM(m.transaction_id, rfc5769_tid, 12);
  CHECK(m.software && m.software_len == 11 && memcmp(m.software, "test vector", 11) == 0);
  CHECK(m.has_fingerprint && m.fingerprint_ok);
  CHECK_EQ_INT(check_pwd(buf, len, &m, rfc5769_password), BRTC_OK);
  CHECK(m.has_xor_mapped);
  CHECK_EQ_INT(brtc_addr_family(&m.xor_mapped), family);
  CHECK_EQ_INT(brtc_addr_port(&m.xor_mapped), 32853);
  CHECK_EQ_INT(brtc_addr_from_ip(&want, ip, 32853), BRTC_OK);
  CHECK(brtc_addr_equal(&m.xor_mapped, &want));
}

static void test_rfc5769_ipv4_response(void) {
  check_response(sample_ipv4_response, sizeof(sample_ipv4_response), AF_INET, "192.0.2.1");
}

static void test_rfc5769_ipv6_response(void) {
  check_response(sample_ipv6_response, sizeof(sample_ipv6_response), AF_INET6,
                 "2001:db8:1234:5678:11:2233:4455:6677");
}

static void test_rfc5769_long_term(void) {
  /* "マトリックス" in UTF-8; the password is "TheMatrIX" after SASLprep (RFC 5769 2.4). */
  static const char username[] = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf"
                                 "\xe3\x82\xb9";
  brtc_stun_msg m;
  uint8_t key[16];
  CHECK_EQ_INT(brtc_stun_parse(sample_long_term_request, sizeof(sample_long_term_request), &m),
               BRTC_OK);
  CHECK_EQ_INT(m.username_len, 18);
  CHECK(m.username && memcmp(m.username, username, 18) == 0);
  CHECK(m.realm && m.realm_len == 11 && memcmp(m.realm, "example.org", 11) == 0);
  CHECK(m.nonce && m.nonce_len == 28 && memcmp(m.nonce, "f//499k954d6OL34oL9FSTvy64sA", 28) == 0);
  CHECK(!m.has_fingerprint);
  CHECK(m.has_integrity);
  CHECK_EQ_INT(brtc_stun_long_term_key(username, "example.org", "TheMatrIX", key), BRTC_OK);
  CHECK_EQ_INT(brtc_stun_check_integrity(sample_long_term_request,
                                         sizeof(sample_long_term_request), &m, key, sizeof(key)),
               BRTC_OK);
  CHECK_EQ_INT(brtc_stun_long_term_key(username, "example.org", "thematrix", key), BRTC_OK);
  CHECK_EQ_INT(brtc_stun_check_integrity(sample_long_term_request,
                                         sizeof(sample_long_term_request), &m, key, sizeof(key)),
               BRTC_ERR_AUTH);
}

static void test_long_term_key_known_value(void) {
  /* MD5("user:realm:pass") computed independently: 8493fbc53ba582fb4c044c456bdc40eb. */
  static const uint8_t want[16] = {0x84, 0x93, 0xfb, 0xc5, 0x3b, 0xa5, 0x82, 0xfb,
                                   0x4c, 0x04, 0x4c, 0x45, 0x6b, 0xdc, 0x40, 0xeb};
  uint8_t key[16];
  CHECK_EQ_INT(brtc_stun_long_term_key("user", "realm", "pass", key), BRTC_OK);
  CHECK_MEM(key, want, 16);
  CHECK_EQ_INT(brtc_stun_long_term_key(NULL, "realm", "pass", key), BRTC_ERR_INVALID);
}

/* RFC 5769 2.2 and 2.3's responses up to MESSAGE-INTEGRITY: SOFTWARE and XOR-MAPPED-ADDRESS
 * for ip, port 32853, with the RFC's transaction ID. */
static void rfc5769_response_start(brtc_stun_writer *w, uint8_t *buf, size_t cap, const char *ip) {
  brtc_addr mapped;
  CHECK_EQ_INT(brtc_addr_from_ip(&mapped, ip, 32853), BRTC_OK);
  brtc_stun_writer_init(w, buf, cap, BRTC_STUN_BINDING_SUCCESS, rfc5769_tid);
  brtc_stun_add_bytes(w, BRTC_STUN_ATTR_SOFTWARE, "test vector", 11);
  brtc_stun_add_xor_address(w, BRTC_STUN_ATTR_XOR_MAPPED_ADDRESS, &mapped);
}

/* Build the RFC 5769 2.2 response with the writer: must come out byte for byte. */
static void test_writer_reproduces_rfc5769_response(void) {
  uint8_t buf[256];
  brtc_stun_writer w;
  size_t len = 0;
  rfc5769_response_start(&w, buf, sizeof(buf), "192.0.2.1");
  CHECK_EQ_INT(brtc_stun_finish(&w, (const uint8_t *)rfc5769_password, strlen(rfc5769_password),
                                true, &len),
               BRTC_OK);
  CHECK_EQ_INT(len, sizeof(sample_ipv4_response));
  /* The RFC pads SOFTWARE with a space, we pad with zero: compare around that byte. */
  CHECK_MEM(buf, sample_ipv4_response, 35);
  CHECK_MEM(buf + 36, sample_ipv4_response + 36, 16);
  CHECK_EQ_INT(buf[35], 0);

  /* Same with IPv6. */
  rfc5769_response_start(&w, buf, sizeof(buf), "2001:db8:1234:5678:11:2233:4455:6677");
  CHECK_EQ_INT(brtc_stun_finish(&w, (const uint8_t *)rfc5769_password, strlen(rfc5769_password),
                                true, &len),
               BRTC_OK);
  CHECK_EQ_INT(len, sizeof(sample_ipv6_response));
  CHECK_MEM(buf + 36, sample_ipv6_response + 36, 24); /* XOR-MAPPED-ADDRESS */
}

/* The keyed path gives RFC 5769's own MACs, many times over one context, and a key set again
 * with another password signs and checks with the new one (a changed password must never be
 * answered with the old context). */
static void test_keyed_rfc5769_and_rekey(void) {
  brtc_stun_key k = {0};
  brtc_stun_msg m;
  CHECK_EQ_INT(brtc_stun_key_set(&k, (const uint8_t *)rfc5769_password, strlen(rfc5769_password)),
               BRTC_OK);
  struct evp_mac_ctx_st *first = k.mac;
  CHECK(first != NULL);
  for (int i = 0; i < 3; i++) { /* re-initialised per message: the same answer every time */
    CHECK_EQ_INT(brtc_stun_parse(sample_request, sizeof(sample_request), &m), BRTC_OK);
    CHECK_EQ_INT(brtc_stun_check_integrity_keyed(sample_request, sizeof(sample_request), &m, &k),
                 BRTC_OK);
    CHECK_EQ_INT(brtc_stun_parse(sample_ipv6_response, sizeof(sample_ipv6_response), &m), BRTC_OK);
    CHECK_EQ_INT(
        brtc_stun_check_integrity_keyed(sample_ipv6_response, sizeof(sample_ipv6_response), &m, &k),
        BRTC_OK);
  }
  /* The same bytes again: kept, not keyed again. */
  CHECK_EQ_INT(brtc_stun_key_set(&k, (const uint8_t *)rfc5769_password, strlen(rfc5769_password)),
               BRTC_OK);
  CHECK(k.mac == first);

  /* RFC 5769 2.2's response, signed through the key, byte for byte (but SOFTWARE's pad). */
  uint8_t buf[256];
  brtc_stun_writer w;
  size_t len = 0;
  rfc5769_response_start(&w, buf, sizeof(buf), "192.0.2.1");
  CHECK_EQ_INT(brtc_stun_finish_keyed(&w, &k, true, &len), BRTC_OK);
  CHECK_EQ_INT(len, sizeof(sample_ipv4_response));
  CHECK_MEM(buf, sample_ipv4_response, 35);
  CHECK_MEM(buf + 36, sample_ipv4_response + 36, 16);

  /* A new password: the key re-keys, and signs and checks with the new one only. */
  static const char new_pwd[] = "a-new-password-24-chars!";
  CHECK_EQ_INT(brtc_stun_key_set(&k, (const uint8_t *)new_pwd, strlen(new_pwd)), BRTC_OK);
  CHECK_EQ_INT(brtc_stun_parse(sample_request, sizeof(sample_request), &m), BRTC_OK);
  CHECK_EQ_INT(brtc_stun_check_integrity_keyed(sample_request, sizeof(sample_request), &m, &k),
               BRTC_ERR_AUTH);
  rfc5769_response_start(&w, buf, sizeof(buf), "192.0.2.1");
  CHECK_EQ_INT(brtc_stun_finish_keyed(&w, &k, true, &len), BRTC_OK);
  CHECK_EQ_INT(brtc_stun_parse(buf, len, &m), BRTC_OK);
  CHECK_EQ_INT(check_pwd(buf, len, &m, new_pwd), BRTC_OK);
  CHECK_EQ_INT(check_pwd(buf, len, &m, rfc5769_password), BRTC_ERR_AUTH);
  CHECK_EQ_INT(brtc_stun_check_integrity_keyed(buf, len, &m, &k), BRTC_OK);

  /* An empty key is a key (HMAC pads it); a cleared or too long one is refused. */
  CHECK_EQ_INT(brtc_stun_key_set(&k, NULL, 0), BRTC_OK);
  CHECK_EQ_INT(brtc_stun_check_integrity_keyed(buf, len, &m, &k), BRTC_ERR_AUTH);
  uint8_t long_key[BRTC_STUN_KEY_MAX + 1] = {0};
  CHECK_EQ_INT(brtc_stun_key_set(&k, long_key, sizeof(long_key)), BRTC_ERR_INVALID);
  CHECK(k.mac == NULL);
  CHECK_EQ_INT(brtc_stun_check_integrity_keyed(buf, len, &m, &k), BRTC_ERR_INVALID);
  CHECK_EQ_INT(brtc_stun_finish_keyed(&w, &k, true, &len), BRTC_ERR_INVALID);
  brtc_stun_key_clear(&k);
  brtc_stun_key_clear(&k); /* twice is harmless */
}

static void test_writer_round_trip(void) {
  static const uint8_t tid[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  static const uint8_t key[] = "a-password-of-24-chars!!";
  uint8_t buf[BRTC_STUN_MAX_SIZE];
  brtc_stun_writer w;
  brtc_addr addr;
  brtc_stun_msg m;
  size_t len = 0;
  CHECK_EQ_INT(brtc_addr_from_ip(&addr, "::1", 9), BRTC_OK);
  brtc_stun_writer_init(&w, buf, sizeof(buf), BRTC_STUN_BINDING_REQUEST, tid);
  brtc_stun_add_bytes(&w, BRTC_STUN_ATTR_USERNAME, "abcd:efg", 8);
  brtc_stun_add_u32(&w, BRTC_STUN_ATTR_PRIORITY, 0x12345678);
  brtc_stun_add_u64(&w, BRTC_STUN_ATTR_ICE_CONTROLLING, 0x0102030405060708ull);
  brtc_stun_add_flag(&w, BRTC_STUN_ATTR_USE_CANDIDATE);
  brtc_stun_add_xor_address(&w, BRTC_STUN_ATTR_XOR_MAPPED_ADDRESS, &addr);
  brtc_stun_add_error(&w, 487, "Role Conflict");
  brtc_stun_add_bytes(&w, 0x0030, "x", 1); /* unknown comprehension-required */
  brtc_stun_add_bytes(&w, 0xC057, "yy", 2); /* unknown comprehension-optional */
  CHECK_EQ_INT(brtc_stun_finish(&w, key, sizeof(key) - 1, true, &len), BRTC_OK);
  CHECK_EQ_INT(len % 4, 0);

  CHECK_EQ_INT(brtc_stun_parse(buf, len, &m), BRTC_OK);
  CHECK_EQ_INT(m.type, BRTC_STUN_BINDING_REQUEST);
  CHECK_MEM(m.transaction_id, tid, 12);
  CHECK(m.username_len == 8 && memcmp(m.username, "abcd:efg", 8) == 0);
  CHECK(m.has_priority && m.priority == 0x12345678);
  CHECK(m.has_ice_controlling && m.ice_controlling == 0x0102030405060708ull);
  CHECK(m.use_candidate);
  CHECK(m.has_xor_mapped && brtc_addr_equal(&m.xor_mapped, &addr));
  CHECK(m.has_error && m.error_code == 487);
  CHECK(m.error_reason_len == 13 && memcmp(m.error_reason, "Role Conflict", 13) == 0);
  CHECK_EQ_INT(m.n_unknown_required, 1);
  CHECK_EQ_INT(m.unknown_required[0], 0x0030);
  CHECK(m.has_integrity && m.has_fingerprint && m.fingerprint_ok);
  CHECK_EQ_INT(brtc_stun_check_integrity(buf, len, &m, key, sizeof(key) - 1), BRTC_OK);
  CHECK_EQ_INT(brtc_stun_check_integrity(buf, len, &m, key, sizeof(key) - 2), BRTC_ERR_AUTH);

  const uint8_t *v;
  size_t vlen;
  CHECK_EQ_INT(brtc_stun_find_attr(buf, len, 0xC057, &v, &vlen), BRTC_OK);
  CHECK(vlen == 2 && memcmp(v, "yy", 2) == 0);
  CHECK_EQ_INT(brtc_stun_find_attr(buf, len, BRTC_STUN_ATTR_FINGERPRINT, &v, &vlen), BRTC_OK);
  CHECK_EQ_INT(vlen, 4);
  CHECK_EQ_INT(brtc_stun_find_attr(buf, len, BRTC_STUN_ATTR_REALM, &v, &vlen), BRTC_ERR_NOT_FOUND);

  /* Without integrity or fingerprint. */
  brtc_stun_writer_init(&w, buf, sizeof(buf), BRTC_STUN_BINDING_INDICATION, tid);
  CHECK_EQ_INT(brtc_stun_finish(&w, NULL, 0, false, &len), BRTC_OK);
  CHECK_EQ_INT(len, BRTC_STUN_HEADER_SIZE);
  CHECK_EQ_INT(brtc_stun_parse(buf, len, &m), BRTC_OK);
  CHECK(!m.has_integrity && !m.has_fingerprint);
  CHECK_EQ_INT(brtc_stun_check_integrity(buf, len, &m, key, 4), BRTC_ERR_PARSE);
}

static void test_writer_limits(void) {
  static const uint8_t tid[12] = {0};
  uint8_t buf[64], big[2000];
  brtc_stun_writer w;
  size_t len = 99;
  memset(big, 'a', sizeof(big));
  /* Too small for the integrity: sticky error, nothing returned. */
  brtc_stun_writer_init(&w, buf, 40, BRTC_STUN_BINDING_REQUEST, tid);
  brtc_stun_add_bytes(&w, BRTC_STUN_ATTR_USERNAME, "abcd", 4);
  CHECK_EQ_INT(brtc_stun_finish(&w, (const uint8_t *)"k", 1, true, &len), BRTC_ERR_TOO_BIG);
  CHECK_EQ_INT(len, 0);
  /* Over the buffer. */
  brtc_stun_writer_init(&w, buf, sizeof(buf), BRTC_STUN_BINDING_REQUEST, tid);
  brtc_stun_add_bytes(&w, BRTC_STUN_ATTR_SOFTWARE, big, 100);
  brtc_stun_add_u32(&w, BRTC_STUN_ATTR_PRIORITY, 1);
  CHECK_EQ_INT(brtc_stun_finish(&w, NULL, 0, false, &len), BRTC_ERR_TOO_BIG);
  /* Over BRTC_STUN_MAX_SIZE even with a big buffer. */
  uint8_t huge[4096];
  brtc_stun_writer_init(&w, huge, sizeof(huge), BRTC_STUN_BINDING_REQUEST, tid);
  brtc_stun_add_bytes(&w, BRTC_STUN_ATTR_SOFTWARE, big, BRTC_STUN_MAX_SIZE);
  CHECK_EQ_INT(brtc_stun_finish(&w, NULL, 0, false, &len), BRTC_ERR_TOO_BIG);
  /* Bad error code. */
  brtc_stun_writer_init(&w, buf, sizeof(buf), BRTC_STUN_BINDING_ERROR, tid);
  brtc_stun_add_error(&w, 200, "no");
  CHECK_EQ_INT(brtc_stun_finish(&w, NULL, 0, false, &len), BRTC_ERR_INVALID);
  /* Header too small. */
  brtc_stun_writer_init(&w, buf, 10, BRTC_STUN_BINDING_REQUEST, tid);
  CHECK_EQ_INT(brtc_stun_finish(&w, NULL, 0, false, &len), BRTC_ERR_TOO_BIG);
}

/* Expect a parse failure for a modified copy of the sample request. */
static void expect_reject(const uint8_t *buf, size_t len, const char *what) {
  brtc_stun_msg m;
  int err = brtc_stun_parse(buf, len, &m);
  if (err != BRTC_ERR_PARSE) fprintf(stderr, "  accepted: %s\n", what);
  CHECK_EQ_INT(err, BRTC_ERR_PARSE);
}

static void test_malformed(void) {
  uint8_t b[sizeof(sample_request) + 16];
  const size_t n = sizeof(sample_request);

  /* Truncated at every length. */
  for (size_t cut = 0; cut < n; cut++) expect_reject(sample_request, cut, "truncated");

  /* Header length not a multiple of 4, or not matching the datagram. */
  memcpy(b, sample_request, n);
  b[3] = 0x57;
  expect_reject(b, n, "length not aligned");
  b[3] = 0x5c;
  expect_reject(b, n, "length too long");
  memcpy(b, sample_request, n);
  memset(b + n, 0, 4);
  expect_reject(b, n + 4, "trailing bytes");

  /* Wrong magic cookie; top bits of the type set. */
  memcpy(b, sample_request, n);
  b[4] = 0x21 ^ 0x80;
  expect_reject(b, n, "wrong cookie");
  memcpy(b, sample_request, n);
  b[0] = 0x40;
  expect_reject(b, n, "type top bits");

  /* An attribute overrunning the message: SOFTWARE claims 0x100 bytes. */
  memcpy(b, sample_request, n);
  b[22] = 0x01;
  b[23] = 0x00;
  expect_reject(b, n, "attribute overruns");
  /* Missing padding: last attribute of 5 bytes with no room for its 3 padding bytes. */
  {
    static const uint8_t unpadded[] = {0x00, 0x01, 0x00, 0x0c, 0x21, 0x12, 0xa4, 0x42, 0, 0,
                                       0,    0,    0,    0,    0,    0,    0,    0,    0, 0,
                                       0x80, 0x22, 0x00, 0x05, 'h',  'e',  'l',  'l',  'o', 0,
                                       0,    0};
    brtc_stun_msg m;
    CHECK_EQ_INT(brtc_stun_parse(unpadded, sizeof(unpadded), &m), BRTC_OK); /* padded: fine */
    uint8_t c[sizeof(unpadded)];
    memcpy(c, unpadded, sizeof(c));
    c[23] = 0x09; /* 9 bytes of value would need 12 with padding; only 8 remain */
    expect_reject(c, sizeof(c), "bad padding");
    c[23] = 0x05;
    c[3] = 0x08; /* body too short for the padded value */
    expect_reject(c, sizeof(c) - 4, "value cut by length");
  }

  /* FINGERPRINT not last: append a PRIORITY after it. */
  memcpy(b, sample_request, n);
  b[3] = 0x58 + 8;
  b[n] = 0x00;
  b[n + 1] = 0x24;
  b[n + 2] = 0x00;
  b[n + 3] = 0x04;
  memset(b + n + 4, 0, 4);
  expect_reject(b, n + 8, "fingerprint not last");

  /* Wrong sizes for fixed-size attributes. */
  memcpy(b, sample_request, n);
  b[n - 5] = 0x05; /* FINGERPRINT length 5 */
  expect_reject(b, n, "fingerprint length");
  memcpy(b, sample_request, n);
  b[79] = 0x10; /* MESSAGE-INTEGRITY length 16 */
  expect_reject(b, n, "integrity length");
  memcpy(b, sample_request, n);
  b[43] = 0x03; /* PRIORITY length 3 */
  expect_reject(b, n, "priority length");

  /* XOR-MAPPED-ADDRESS with an unknown family. */
  memcpy(b, sample_ipv4_response, sizeof(sample_ipv4_response));
  b[41] = 0x03;
  expect_reject(b, sizeof(sample_ipv4_response), "bad address family");
  /* IPv6 family with IPv4 length. */
  memcpy(b, sample_ipv4_response, sizeof(sample_ipv4_response));
  b[41] = 0x02;
  expect_reject(b, sizeof(sample_ipv4_response), "family/length mismatch");

  /* Over our size limit. */
  {
    static uint8_t big[BRTC_STUN_MAX_SIZE + 4];
    memset(big, 0, sizeof(big));
    memcpy(big, sample_request, 20);
    uint16_t body = (uint16_t)(sizeof(big) - 20);
    big[2] = (uint8_t)(body >> 8);
    big[3] = (uint8_t)body;
    big[20] = 0x80;
    big[21] = 0x22;
    big[22] = (uint8_t)((body - 4) >> 8);
    big[23] = (uint8_t)(body - 4);
    expect_reject(big, sizeof(big), "over size limit");
  }

  /* Not STUN at all. */
  CHECK(!brtc_stun_is_stun((const uint8_t *)"\x16\xfe\xfd", 3));
  memcpy(b, sample_request, n);
  b[0] = 0x80; /* RTP */
  CHECK(!brtc_stun_is_stun(b, n));
}

static void test_attributes_after_integrity_ignored(void) {
  /* Sample request with a USE-CANDIDATE inserted between MESSAGE-INTEGRITY and FINGERPRINT:
   * still parses, the flag is ignored, the integrity still verifies. */
  uint8_t b[sizeof(sample_request) + 4];
  const size_t mi_end = 76 + 24;
  memcpy(b, sample_request, mi_end);
  b[mi_end] = 0x00;
  b[mi_end + 1] = 0x25;
  b[mi_end + 2] = 0x00;
  b[mi_end + 3] = 0x00;
  memcpy(b + mi_end + 4, sample_request + mi_end, 8);
  b[3] = 0x58 + 4;
  brtc_stun_msg m;
  CHECK_EQ_INT(brtc_stun_parse(b, sizeof(b), &m), BRTC_OK);
  CHECK(!m.use_candidate);
  CHECK(m.has_integrity);
  CHECK_EQ_INT(check_pwd(b, sizeof(b), &m, rfc5769_password), BRTC_OK);
  CHECK(m.has_fingerprint && !m.fingerprint_ok); /* CRC covers the new bytes */
}

static void test_unknown_required_recorded(void) {
  static const uint8_t tid[12] = {9};
  uint8_t buf[256];
  brtc_stun_writer w;
  brtc_stun_msg m;
  size_t len;
  brtc_stun_writer_init(&w, buf, sizeof(buf), BRTC_STUN_BINDING_REQUEST, tid);
  for (uint16_t t = 0x0040; t < 0x0040 + 10; t++) brtc_stun_add_flag(&w, t);
  brtc_stun_add_flag(&w, 0x0040); /* duplicate: recorded once */
  brtc_stun_add_flag(&w, 0x8055); /* optional: not recorded */
  CHECK_EQ_INT(brtc_stun_finish(&w, NULL, 0, true, &len), BRTC_OK);
  CHECK_EQ_INT(brtc_stun_parse(buf, len, &m), BRTC_OK);
  CHECK_EQ_INT(m.n_unknown_required, 8); /* capped at the array size */
  CHECK_EQ_INT(m.unknown_required[0], 0x0040);
  CHECK_EQ_INT(m.unknown_required[7], 0x0047);
}

int main(void) {
  RUN(test_rfc5769_request);
  RUN(test_rfc5769_ipv4_response);
  RUN(test_rfc5769_ipv6_response);
  RUN(test_rfc5769_long_term);
  RUN(test_long_term_key_known_value);
  RUN(test_writer_reproduces_rfc5769_response);
  RUN(test_keyed_rfc5769_and_rekey);
  RUN(test_writer_round_trip);
  RUN(test_writer_limits);
  RUN(test_malformed);
  RUN(test_attributes_after_integrity_ignored);
  RUN(test_unknown_required_recorded);
  return TEST_REPORT();
}
