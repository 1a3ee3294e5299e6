/* SCTP framing against the RFCs' byte layouts: the CRC32c vectors (RFC 3720 B.4, the CRC that
 * RFC 9260 Appendix A specifies) and its place in the common header, every chunk we write and
 * read (RFC 9260 3.3, RFC 3758 3.2, RFC 6525 4, RFC 9653 4), malformed input, and the state
 * cookie. */
#include <string.h>

#include "boltrtc/error.h"
#include "sctp/crc32c.h"
#include "sctp/sctp_chunk.h"
#include "sctp/sctp_internal.h"
#include "sctp/sctp_packet.h"
#include "testing.h"

/* ---- CRC32c ---- */

static void test_crc32c_vectors(void) {
  uint8_t buf[48];
  /* RFC 3720 B.4 */
  memset(buf, 0, 32);
  CHECK_EQ_INT(brtc_crc32c(buf, 32), 0x8a9136aa);
  memset(buf, 0xff, 32);
  CHECK_EQ_INT(brtc_crc32c(buf, 32), 0x62a8ab43);
  for (int i = 0; i < 32; i++) buf[i] = (uint8_t)i;
  CHECK_EQ_INT(brtc_crc32c(buf, 32), 0x46dd794e);
  for (int i = 0; i < 32; i++) buf[i] = (uint8_t)(31 - i);
  CHECK_EQ_INT(brtc_crc32c(buf, 32), 0x113fdb5c);
  static const uint8_t iscsi_read[48] = {
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
      0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  CHECK_EQ_INT(brtc_crc32c(iscsi_read, sizeof iscsi_read), 0xd9963a56);
  CHECK_EQ_INT(brtc_crc32c((const uint8_t *)"123456789", 9), 0xe3069283);
  /* Hardware and software agree, whatever the length and alignment, also fed in pieces. */
  uint8_t big[1031];
  for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 131 + 7);
  int bad = 0;
  for (size_t off = 0; off < 8; off++)
    for (size_t len = 0; len + off <= sizeof big; len += 17) {
      uint32_t whole = brtc_crc32c(big + off, len);
      uint32_t soft = brtc_crc32c_final(brtc_crc32c_update_soft(BRTC_CRC32C_INIT, big + off, len));
      uint32_t parts = brtc_crc32c_update(BRTC_CRC32C_INIT, big + off, len / 3);
      parts = brtc_crc32c_final(brtc_crc32c_update(parts, big + off + len / 3, len - len / 3));
      bad += whole != soft || whole != parts;
    }
  CHECK_EQ_INT(bad, 0);
}

static void test_checksum_placement(void) {
  /* A 32-byte all-zero packet: the CRC is RFC 3720's first vector, which RFC 3720 B.4 lists
   * as sent, least significant byte first; RFC 9260 Appendix A places it the same way. */
  uint8_t pkt[32];
  memset(pkt, 0, sizeof pkt);
  brtc_sctp_checksum_write(pkt, sizeof pkt);
  static const uint8_t want[4] = {0xaa, 0x36, 0x91, 0x8a};
  CHECK_MEM(pkt + 8, want, 4);
  CHECK(brtc_sctp_checksum_ok(pkt, sizeof pkt));
  pkt[20] ^= 1;
  CHECK(!brtc_sctp_checksum_ok(pkt, sizeof pkt));
  CHECK(!brtc_sctp_checksum_ok(pkt, 11));
}

/* ---- chunks ---- */

static int one_chunk(const uint8_t *pkt, size_t len, brtc_sctp_tlv *c) {
  brtc_sctp_tlv_iter it;
  brtc_sctp_chunks_begin(&it, pkt, len);
  return brtc_sctp_tlv_next(&it, c);
}

static void test_data_layout(void) {
  uint8_t buf[64];
  brtc_sctp_writer w;
  brtc_sctp_writer_init(&w, buf, sizeof buf);
  brtc_sctp_header_write(buf, 5000, 5001, 0x11223344);
  brtc_sctp_put(&w, 12);
  brtc_sctp_data d = {.flags = BRTC_SCTP_DATA_B | BRTC_SCTP_DATA_E | BRTC_SCTP_DATA_U,
                      .tsn = 0xa0b0c0d0, .stream = 7, .ssn = 0x0102, .ppid = 51,
                      .payload = (const uint8_t *)"hello", .len = 5};
  CHECK(brtc_sctp_write_data(&w, &d));
  static const uint8_t want[] = {
      0x13, 0x88, 0x13, 0x89, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0, /* common header */
      0x00, 0x07, 0x00, 0x15,                                     /* DATA, U|B|E, length 21 */
      0xa0, 0xb0, 0xc0, 0xd0,                                     /* TSN */
      0x00, 0x07, 0x01, 0x02,                                     /* stream, SSN */
      0x00, 0x00, 0x00, 0x33,                                     /* PPID 51 */
      'h', 'e', 'l', 'l', 'o', 0, 0, 0};                          /* data, padded */
  CHECK_EQ_INT(w.len, sizeof want);
  CHECK_MEM(buf, want, sizeof want);
  brtc_sctp_tlv c;
  CHECK_EQ_INT(one_chunk(buf, w.len, &c), 1);
  brtc_sctp_data r;
  CHECK_EQ_INT(brtc_sctp_parse_data(&c, &r), BRTC_OK);
  CHECK_EQ_INT(r.tsn, 0xa0b0c0d0);
  CHECK_EQ_INT(r.stream, 7);
  CHECK_EQ_INT(r.ssn, 0x0102);
  CHECK_EQ_INT(r.ppid, 51);
  CHECK_EQ_INT(r.len, 5);
  CHECK_EQ_INT(r.flags, 7);
  CHECK_MEM(r.payload, "hello", 5);
  /* 11 bytes of value cannot hold TSN, stream, SSN and PPID. */
  static const uint8_t short_data[] = {0, 0, 0, 15, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
  c.type = 0;
  c.value = short_data + 4;
  c.value_len = 11;
  CHECK_EQ_INT(brtc_sctp_parse_data(&c, &r), BRTC_ERR_PARSE);
}

static void test_init_layout(void) {
  uint8_t buf[128];
  brtc_sctp_writer w;
  brtc_sctp_writer_init(&w, buf, sizeof buf);
  brtc_sctp_init_write in = {.initiate_tag = 0x01020304, .a_rwnd = 131072,
                             .outbound_streams = 65535, .inbound_streams = 65535,
                             .initial_tsn = 0x0a0b0c0d, .forward_tsn = true, .reconfig = true,
                             .zero_checksum_edmid = BRTC_SCTP_EDMID_DTLS};
  CHECK(brtc_sctp_write_init(&w, BRTC_SCTP_INIT, &in));
  static const uint8_t want[] = {
      0x01, 0x00, 0x00, 0x28,             /* INIT, length 40 */
      0x01, 0x02, 0x03, 0x04,             /* initiate tag */
      0x00, 0x02, 0x00, 0x00,             /* a_rwnd */
      0xff, 0xff, 0xff, 0xff,             /* OS, MIS */
      0x0a, 0x0b, 0x0c, 0x0d,             /* initial TSN */
      0x80, 0x08, 0x00, 0x06, 0xc0, 0x82, 0x00, 0x00, /* supported extensions */
      0xc0, 0x00, 0x00, 0x04,             /* Forward-TSN-Supported (RFC 3758 3.1) */
      0x80, 0x01, 0x00, 0x08, 0, 0, 0, 1, /* Zero Checksum Acceptable, DTLS (RFC 9653 4) */
  };
  CHECK_EQ_INT(w.len, sizeof want);
  CHECK_MEM(buf, want, sizeof want);
  brtc_sctp_tlv c;
  brtc_sctp_tlv_iter it;
  brtc_sctp_params_begin(&it, NULL, 0);
  it.chunk = true;
  it.p = buf;
  it.len = w.len;
  CHECK_EQ_INT(brtc_sctp_tlv_next(&it, &c), 1);
  CHECK_EQ_INT(c.length, 40);
  brtc_sctp_init init;
  brtc_sctp_init_params p;
  CHECK_EQ_INT(brtc_sctp_parse_init(&c, &init), BRTC_OK);
  CHECK_EQ_INT(init.initiate_tag, 0x01020304);
  CHECK_EQ_INT(init.a_rwnd, 131072);
  CHECK_EQ_INT(init.initial_tsn, 0x0a0b0c0d);
  CHECK_EQ_INT(brtc_sctp_parse_init_params(init.params, init.params_len, &p), BRTC_OK);
  CHECK(p.forward_tsn && p.reconfig && !p.idata);
  CHECK_EQ_INT(p.zero_checksum_edmid, 1);
  CHECK(p.cookie == NULL);
  /* RFC 9260 3.2: a chunk's length leaves out its last parameter's padding. */
  brtc_sctp_writer_init(&w, buf, sizeof buf);
  in.zero_checksum_edmid = 0;
  in.cookie = (const uint8_t *)"abcde";
  in.cookie_len = 5;
  CHECK(brtc_sctp_write_init(&w, BRTC_SCTP_INIT_ACK, &in));
  CHECK_EQ_INT(w.len, 44);          /* 20 + 8 + 4 + (4 + 5 + 3 padding) */
  CHECK_EQ_INT(buf[2] << 8 | buf[3], 41);

  /* An INIT ACK carries the cookie, and unknown parameters are skipped or stop the list as
   * their upper bits say (RFC 9260 3.2.1). */
  static const uint8_t params[] = {
      0x00, 0x07, 0x00, 0x07, 'c', 'k', 'y', 0,  /* State Cookie "cky" */
      0x80, 0x55, 0x00, 0x05, 9, 0, 0, 0,        /* unknown, 10: skip */
      0x80, 0x08, 0x00, 0x05, 0x40, 0, 0, 0,     /* supported extensions: I-DATA */
      0x00, 0x66, 0x00, 0x04,                    /* unknown, 00: stop */
      0xc0, 0x00, 0x00, 0x04};                   /* never read */
  CHECK_EQ_INT(brtc_sctp_parse_init_params(params, sizeof params, &p), BRTC_OK);
  CHECK(p.cookie && p.cookie_len == 3 && memcmp(p.cookie, "cky", 3) == 0);
  CHECK(p.idata && !p.forward_tsn && p.stopped);
  CHECK_EQ_INT(p.unknown, 2);
  /* A parameter running past the chunk */
  static const uint8_t overrun[] = {0x00, 0x07, 0x00, 0x10, 'c', 'k'};
  CHECK_EQ_INT(brtc_sctp_parse_init_params(overrun, sizeof overrun, &p), BRTC_ERR_PARSE);
  /* A zero-checksum parameter of the wrong length is not believed. */
  static const uint8_t zc_bad[] = {0x80, 0x01, 0x00, 0x06, 0, 1, 0, 0};
  CHECK_EQ_INT(brtc_sctp_parse_init_params(zc_bad, sizeof zc_bad, &p), BRTC_OK);
  CHECK_EQ_INT(p.zero_checksum_edmid, 0);
}

static void test_sack_layout(void) {
  uint8_t buf[64];
  brtc_sctp_writer w;
  brtc_sctp_writer_init(&w, buf, sizeof buf);
  brtc_sctp_gap gaps[2] = {{2, 3}, {5, 5}};
  uint32_t dups[1] = {0x00000064};
  CHECK(brtc_sctp_write_sack(&w, 100, 0x10000, gaps, 2, dups, 1));
  static const uint8_t want[] = {0x03, 0x00, 0x00, 0x1c, 0, 0, 0, 100, 0, 1, 0, 0,
                                 0, 2, 0, 1, 0, 2, 0, 3, 0, 5, 0, 5, 0, 0, 0, 100};
  CHECK_EQ_INT(w.len, sizeof want);
  CHECK_MEM(buf, want, sizeof want);
  brtc_sctp_tlv c;
  brtc_sctp_tlv_iter it = {.p = buf, .len = w.len, .chunk = true};
  CHECK_EQ_INT(brtc_sctp_tlv_next(&it, &c), 1);
  brtc_sctp_sack s;
  CHECK_EQ_INT(brtc_sctp_parse_sack(&c, &s), BRTC_OK);
  CHECK_EQ_INT(s.cum_tsn, 100);
  CHECK_EQ_INT(s.a_rwnd, 0x10000);
  CHECK_EQ_INT(s.n_gaps, 2);
  CHECK_EQ_INT(brtc_sctp_sack_gap(&s, 1).start, 5);
  CHECK_EQ_INT(brtc_sctp_sack_dup(&s, 0), 100);
  /* Counts that claim more than the chunk holds */
  uint8_t bad[sizeof want];
  memcpy(bad, want, sizeof want);
  bad[13] = 3; /* three gap blocks, room for two */
  it = (brtc_sctp_tlv_iter){.p = bad, .len = sizeof bad, .chunk = true};
  CHECK_EQ_INT(brtc_sctp_tlv_next(&it, &c), 1);
  CHECK_EQ_INT(brtc_sctp_parse_sack(&c, &s), BRTC_ERR_PARSE);
}

static void test_control_layouts(void) {
  uint8_t buf[128];
  brtc_sctp_writer w;
  brtc_sctp_tlv c;
  brtc_sctp_tlv_iter it;

  /* HEARTBEAT ACK echoes the Heartbeat Info parameter as it came (RFC 9260 3.3.6). */
  static const uint8_t info[] = {0x00, 0x01, 0x00, 0x09, 1, 2, 3, 4, 5, 0, 0, 0};
  brtc_sctp_writer_init(&w, buf, sizeof buf);
  CHECK(brtc_sctp_write_heartbeat(&w, BRTC_SCTP_HEARTBEAT_ACK, info, sizeof info));
  static const uint8_t hb_ack[] = {0x05, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00, 0x09,
                                   1,    2,    3,    4,    5,    0,    0,    0};
  CHECK_EQ_INT(w.len, sizeof hb_ack);
  CHECK_MEM(buf, hb_ack, sizeof hb_ack);
  it = (brtc_sctp_tlv_iter){.p = buf, .len = w.len, .chunk = true};
  CHECK_EQ_INT(brtc_sctp_tlv_next(&it, &c), 1);
  const uint8_t *got;
  size_t got_len;
  CHECK_EQ_INT(brtc_sctp_parse_heartbeat(&c, &got, &got_len), BRTC_OK);
  CHECK_EQ_INT(got_len, sizeof info);

  /* ABORT with the T bit and a User-Initiated Abort cause (RFC 9260 3.3.7, 3.3.10.12) */
  brtc_sctp_writer_init(&w, buf, sizeof buf);
  CHECK(brtc_sctp_write_cause_chunk(&w, BRTC_SCTP_ABORT, BRTC_SCTP_FLAG_T,
                                    BRTC_SCTP_CAUSE_USER_ABORT, (const uint8_t *)"bye", 3));
  static const uint8_t abort_bytes[] = {0x06, 0x01, 0x00, 0x0b, 0x00, 0x0c, 0x00, 0x07,
                                        'b',  'y',  'e',  0};
  CHECK_EQ_INT(w.len, sizeof abort_bytes);
  CHECK_MEM(buf, abort_bytes, sizeof abort_bytes);
  it = (brtc_sctp_tlv_iter){.p = buf, .len = w.len, .chunk = true};
  CHECK_EQ_INT(brtc_sctp_tlv_next(&it, &c), 1);
  brtc_sctp_cause cause;
  unsigned n;
  CHECK_EQ_INT(brtc_sctp_parse_causes(&c, &cause, &n), BRTC_OK);
  CHECK_EQ_INT(cause.code, 12);
  CHECK_EQ_INT(n, 1);
  CHECK_STR(brtc_sctp_cause_name(cause.code), "User-Initiated Abort");

  /* SHUTDOWN, SHUTDOWN ACK, SHUTDOWN COMPLETE (T), COOKIE ECHO, COOKIE ACK in one buffer */
  brtc_sctp_writer_init(&w, buf, sizeof buf);
  CHECK(brtc_sctp_write_shutdown(&w, 0xdeadbeef));
  CHECK(brtc_sctp_write_empty(&w, BRTC_SCTP_SHUTDOWN_ACK, 0));
  CHECK(brtc_sctp_write_empty(&w, BRTC_SCTP_SHUTDOWN_COMPLETE, BRTC_SCTP_FLAG_T));
  CHECK(brtc_sctp_write_cookie_echo(&w, (const uint8_t *)"abcde", 5));
  CHECK(brtc_sctp_write_empty(&w, BRTC_SCTP_COOKIE_ACK, 0));
  static const uint8_t several[] = {0x07, 0, 0, 8, 0xde, 0xad, 0xbe, 0xef, 0x08, 0, 0, 4,
                                    0x0e, 1, 0, 4, 0x0a, 0, 0,    9,    'a', 'b', 'c', 'd',
                                    'e',  0, 0, 0, 0x0b, 0, 0,    4};
  CHECK_EQ_INT(w.len, sizeof several);
  CHECK_MEM(buf, several, sizeof several);
  it = (brtc_sctp_tlv_iter){.p = buf, .len = w.len, .chunk = true};
  CHECK_EQ_INT(brtc_sctp_tlv_next(&it, &c), 1);
  uint32_t cum;
  CHECK_EQ_INT(brtc_sctp_parse_shutdown(&c, &cum), BRTC_OK);
  CHECK_EQ_INT(cum, 0xdeadbeef);
  int chunks = 1;
  while (brtc_sctp_tlv_next(&it, &c) == 1) chunks++;
  CHECK_EQ_INT(chunks, 5);

  /* FORWARD TSN with two streams (RFC 3758 3.2) */
  brtc_sctp_writer_init(&w, buf, sizeof buf);
  brtc_sctp_stream_ssn ss[2] = {{1, 7}, {4, 0xffff}};
  CHECK(brtc_sctp_write_forward_tsn(&w, 0x01020304, ss, 2));
  static const uint8_t fwd[] = {0xc0, 0, 0, 16, 1, 2, 3, 4, 0, 1, 0, 7, 0, 4, 0xff, 0xff};
  CHECK_EQ_INT(w.len, sizeof fwd);
  CHECK_MEM(buf, fwd, sizeof fwd);
  it = (brtc_sctp_tlv_iter){.p = buf, .len = w.len, .chunk = true};
  CHECK_EQ_INT(brtc_sctp_tlv_next(&it, &c), 1);
  brtc_sctp_forward_tsn f;
  CHECK_EQ_INT(brtc_sctp_parse_forward_tsn(&c, &f), BRTC_OK);
  CHECK_EQ_INT(f.new_cum_tsn, 0x01020304);
  CHECK_EQ_INT(f.n_streams, 2);
  CHECK_EQ_INT(brtc_sctp_forward_tsn_stream(&f, 1).ssn, 0xffff);
}

static void test_reconfig_layout(void) {
  uint8_t buf[128];
  brtc_sctp_writer w;
  brtc_sctp_writer_init(&w, buf, sizeof buf);
  size_t start = brtc_sctp_reconfig_begin(&w);
  uint16_t streams[3] = {1, 3, 5};
  CHECK(brtc_sctp_reconfig_add_outgoing(&w, 0x10, 0x20, 0x30, streams, 3));
  CHECK(brtc_sctp_reconfig_add_response(&w, 0x40, BRTC_SCTP_RESULT_SUCCESS_PERFORMED));
  CHECK(brtc_sctp_reconfig_end(&w, start));
  static const uint8_t want[] = {
      0x82, 0, 0, 0x28,                   /* RE-CONFIG, 40 */
      0, 13, 0, 22, 0, 0, 0, 0x10,        /* Outgoing SSN Reset Request, 22: req seq */
      0, 0, 0, 0x20, 0, 0, 0, 0x30,       /* response seq, last TSN */
      0, 1, 0, 3, 0, 5, 0, 0,             /* streams 1, 3, 5 and padding */
      0, 16, 0, 12, 0, 0, 0, 0x40, 0, 0, 0, 1}; /* Response: seq, Success - Performed */
  CHECK_EQ_INT(w.len, sizeof want);
  CHECK_MEM(buf, want, sizeof want);
  brtc_sctp_tlv c;
  brtc_sctp_tlv_iter it = {.p = buf, .len = w.len, .chunk = true};
  CHECK_EQ_INT(brtc_sctp_tlv_next(&it, &c), 1);
  brtc_sctp_reconfig_param p[2];
  CHECK_EQ_INT(brtc_sctp_parse_reconfig(&c, p), 2);
  CHECK_EQ_INT(p[0].type, BRTC_SCTP_PARAM_OUTGOING_RESET);
  CHECK_EQ_INT(p[0].req_seq, 0x10);
  CHECK_EQ_INT(p[0].last_tsn, 0x30);
  CHECK_EQ_INT(p[0].n_streams, 3);
  CHECK_EQ_INT(brtc_sctp_reconfig_stream(&p[0], 2), 5);
  CHECK_EQ_INT(p[1].result, 1);
  /* No parameter at all is malformed (RFC 6525 3.1: one or two). */
  static const uint8_t empty[] = {0x82, 0, 0, 4};
  it = (brtc_sctp_tlv_iter){.p = empty, .len = 4, .chunk = true};
  CHECK_EQ_INT(brtc_sctp_tlv_next(&it, &c), 1);
  CHECK_EQ_INT(brtc_sctp_parse_reconfig(&c, p), BRTC_ERR_PARSE);
}

static void test_tlv_bounds(void) {
  brtc_sctp_tlv c;
  brtc_sctp_tlv_iter it;
  /* length below 4 */
  static const uint8_t tiny[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0, 0, 2};
  brtc_sctp_chunks_begin(&it, tiny, sizeof tiny);
  CHECK_EQ_INT(brtc_sctp_tlv_next(&it, &c), BRTC_ERR_PARSE);
  /* length past the packet */
  static const uint8_t past[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b, 0, 0, 9, 0};
  brtc_sctp_chunks_begin(&it, past, sizeof past);
  CHECK_EQ_INT(brtc_sctp_tlv_next(&it, &c), BRTC_ERR_PARSE);
  /* the last chunk's padding may be missing */
  static const uint8_t unpadded[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a, 0, 0, 5, 'x'};
  brtc_sctp_chunks_begin(&it, unpadded, sizeof unpadded);
  CHECK_EQ_INT(brtc_sctp_tlv_next(&it, &c), 1);
  CHECK_EQ_INT(c.value_len, 1);
  CHECK_EQ_INT(brtc_sctp_tlv_next(&it, &c), 0);
  /* a writer refuses what does not fit, and leaves nothing behind */
  uint8_t buf[20];
  brtc_sctp_writer w;
  brtc_sctp_writer_init(&w, buf, sizeof buf);
  brtc_sctp_data d = {.payload = (const uint8_t *)"0123456789", .len = 10};
  CHECK(!brtc_sctp_write_data(&w, &d));
  CHECK_EQ_INT(w.len, 0);
  CHECK(!brtc_sctp_write_cookie_echo(&w, buf, 17));
  CHECK_EQ_INT(w.len, 0);
}

/* ---- the state cookie ---- */

static void test_cookie(void) {
  uint8_t key[32], other[32], cookie[SCTP_COOKIE_LEN];
  memset(key, 7, sizeof key);
  memset(other, 8, sizeof other);
  sctp_cookie_fields f = {.created_us = 1000000, .my_tag = 1, .peer_tag = 2, .my_tsn = 3,
                          .peer_tsn = 4, .peer_a_rwnd = 5, .my_tie_tag = 6, .peer_tie_tag = 7,
                          .peer_os = 8, .peer_mis = 9, .peer_pr = true, .peer_reconfig = false,
                          .peer_zero_edmid = 1};
  CHECK_EQ_INT(sctp_cookie_make(key, &f, cookie), SCTP_COOKIE_LEN);
  sctp_cookie_fields g;
  uint64_t stale = 0;
  CHECK_EQ_INT(sctp_cookie_open(key, cookie, sizeof cookie, 1500000, 60000000, &g, &stale),
               BRTC_OK);
  CHECK_EQ_INT(g.my_tag, 1);
  CHECK_EQ_INT(g.peer_tie_tag, 7);
  CHECK_EQ_INT(g.peer_mis, 9);
  CHECK(g.peer_pr && !g.peer_reconfig);
  CHECK_EQ_INT(g.peer_zero_edmid, 1);
  /* Another key, one bit changed anywhere, a short one, one from the future: not ours. */
  CHECK_EQ_INT(sctp_cookie_open(other, cookie, sizeof cookie, 1500000, 60000000, &g, &stale),
               BRTC_ERR_AUTH);
  int forged = 0;
  for (size_t i = 0; i < sizeof cookie; i++) {
    cookie[i] ^= 0x10;
    forged += sctp_cookie_open(key, cookie, sizeof cookie, 1500000, 60000000, &g, &stale) ==
              BRTC_ERR_AUTH;
    cookie[i] ^= 0x10;
  }
  CHECK_EQ_INT(forged, SCTP_COOKIE_LEN);
  CHECK_EQ_INT(sctp_cookie_open(key, cookie, sizeof cookie - 1, 1500000, 60000000, &g, &stale),
               BRTC_ERR_AUTH);
  CHECK_EQ_INT(sctp_cookie_open(key, cookie, sizeof cookie, 999999, 60000000, &g, &stale),
               BRTC_ERR_AUTH);
  /* Stale: ours, but past its lifetime; the measure says by how much (RFC 9260 3.3.10.3). */
  CHECK_EQ_INT(sctp_cookie_open(key, cookie, sizeof cookie, 61000123, 60000000, &g, &stale),
               BRTC_ERR_REPLAY);
  CHECK_EQ_INT(stale, 123);
}

int main(void) {
  RUN(test_crc32c_vectors);
  RUN(test_checksum_placement);
  RUN(test_data_layout);
  RUN(test_init_layout);
  RUN(test_sack_layout);
  RUN(test_control_layouts);
  RUN(test_reconfig_layout);
  RUN(test_tlv_bounds);
  RUN(test_cookie);
  fprintf(stderr, "crc32c: %s\n", brtc_crc32c_hardware() ? "SSE4.2 instruction" : "software");
  return TEST_REPORT();
}
