/* brtc_inspect_decode, the packet inspector's field-by-field decoder: each field's bytes and
 * value checked against vectors whose fields are known (RFC 5769's STUN messages, a captured
 * Chromium check, a hand-made ClientHello with use_srtp, RTP with the extensions and VP8
 * keyframe Chrome sends, RTCP from our own writers), the SRTP and SRTCP views for both kinds
 * of profile, the context read from SDP, and every cut of every vector: fields always lie
 * within the bytes and the count is right whatever the room. */
#include <stddef.h>
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

#define CAP 256
static brtc_inspect_field f[CAP];
static size_t nf;

static void decode(const uint8_t *d, size_t len, bool plaintext, const brtc_inspect_context *ctx) {
  nf = brtc_inspect_decode(d, len, plaintext, ctx, f, CAP, sizeof(f[0]));
  if (nf > CAP) nf = CAP;
}

/* The first field named name (after skip others of that name), or NULL. */
static const brtc_inspect_field *find(const char *name, int skip) {
  for (size_t i = 0; i < nf; i++)
    if (strcmp(f[i].name, name) == 0 && skip-- == 0) return &f[i];
  fprintf(stderr, "  no field \"%s\"\n", name);
  return NULL;
}

static bool value_is(const char *name, const char *value) {
  const brtc_inspect_field *x = find(name, 0);
  if (x && strcmp(x->value, value) == 0) return true;
  if (x) fprintf(stderr, "  %s = \"%s\", wanted \"%s\"\n", name, x->value, value);
  return false;
}

static void test_stun(void) {
  brtc_inspect_context *ctx = brtc_inspect_context_new();
  brtc_inspect_context_add_sdp(ctx, "a=ice-ufrag:evtj\r\n", 18, true);
  brtc_inspect_context_add_sdp(ctx, "a=ice-ufrag:h6vY\r\n", 18, false);
  decode(sample_request, sizeof(sample_request), false, ctx);
  CHECK(value_is("Message Type", "0x0001: Binding request"));
  CHECK(value_is("Magic Cookie", "0x2112a442"));
  CHECK(value_is("Transaction ID", "b7e7a701bc34d686fa87dfae"));
  CHECK(value_is("USERNAME", "evtj:h6vY"));
  CHECK(value_is("receiver's ufrag", "evtj"));
  CHECK(value_is("sender's ufrag", "h6vY"));
  const brtc_inspect_field *u = find("receiver's ufrag", 0);
  CHECK(u && strstr(u->meaning, "server's"));
  /* The attribute covers its own type and length: 0x0006 at its offset. */
  const brtc_inspect_field *user = find("USERNAME", 0);
  CHECK(user && user->depth == 0 && sample_request[user->offset] == 0 &&
        sample_request[user->offset + 1] == 6 && user->len == 4 + 9);
  CHECK(u && memcmp(sample_request + u->offset, "evtj", 4) == 0 && u->len == 4);
  CHECK(value_is("PRIORITY", "1845494271 (type 110 peer-reflexive, local 1, component 1)"));
  CHECK(value_is("ICE-CONTROLLED", "tie-breaker 932ff9b151263b36"));
  CHECK(value_is("SOFTWARE", "STUN test client"));
  const brtc_inspect_field *fp = find("FINGERPRINT", 0);
  CHECK(fp && strstr(fp->value, "correct") && fp->offset + fp->len == sizeof(sample_request));
  CHECK(find("MESSAGE-INTEGRITY", 0) != NULL);

  decode(sample_ipv4_response, sizeof(sample_ipv4_response), false, NULL);
  CHECK(value_is("Message Type", "0x0101: Binding success response"));
  CHECK(value_is("XOR-MAPPED-ADDRESS", "192.0.2.1:32853"));
  CHECK(value_is("X-Port", "32853"));
  decode(sample_ipv6_response, sizeof(sample_ipv6_response), false, NULL);
  CHECK(value_is("XOR-MAPPED-ADDRESS", "[2001:db8:1234:5678:11:2233:4455:6677]:32853"));

  decode(chrome_binding_request, sizeof(chrome_binding_request), false, NULL);
  CHECK(value_is("USERNAME", "bRtC:Elsk"));
  CHECK(value_is("ICE-CONTROLLING", "tie-breaker 1b79f5fac75fa309"));
  CHECK(find("GOOG-NETWORK-INFO", 0) != NULL || find("attribute", 0) != NULL);

  uint8_t bad[sizeof(sample_request)];
  memcpy(bad, sample_request, sizeof(bad));
  bad[sizeof(bad) - 1] ^= 1;
  decode(bad, sizeof(bad), false, NULL);
  const brtc_inspect_field *h = find("STUN header", 0), *bad_fp = find("FINGERPRINT", 0);
  CHECK((h && strstr(h->meaning, "not a valid")) || (bad_fp && strstr(bad_fp->value, "WRONG")));
  brtc_inspect_context_free(ctx);
}

/* A ClientHello offering one suite and use_srtp with AEAD_AES_128_GCM, in one record. */
static const uint8_t client_hello[] = {
    22,   0xfe, 0xff, 0,    0,  0,  0,  0,  0,  0,  5,  0,  65, /* record: handshake, epoch 0, seq 5
                                                                 */
    1,    0,    0,    53,   0,  0,  0,  0,  0,  0,  0,  53,     /* ClientHello, seq 0, whole */
    0xfe, 0xfd,                                                 /* version */
    1,    2,    3,    4,    5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,    /* random */
    17,   18,   19,   20,   21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 0, /* session id */
    0,                                                                         /* cookie */
    0,    2,    0xc0, 0x2b,                                                    /* cipher suites */
    1,    0,                                                                   /* compression */
    0,    9,    0,    14,   0,  5,  0,  2,  0,  7,  0, /* extensions: use_srtp */
};

static void test_dtls(void) {
  decode(client_hello, sizeof(client_hello), false, NULL);
  CHECK(value_is("DTLS record", "Handshake, epoch 0, seq 5"));
  CHECK(value_is("epoch", "0"));
  CHECK(value_is("sequence number", "5"));
  CHECK(value_is("ClientHello", "message_seq 0, 53 bytes"));
  CHECK(value_is("cipher_suites", "1: ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"));
  CHECK(value_is("use_srtp", "AEAD_AES_128_GCM"));
  const brtc_inspect_field *ext = find("use_srtp", 0);
  CHECK(ext && ext->offset + ext->len == sizeof(client_hello));
  /* An encrypted epoch-1 record: its header only. */
  static const uint8_t finished[] = {22, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 0, 0, 4, 9, 9, 9, 9};
  decode(finished, sizeof(finished), false, NULL);
  CHECK(value_is("epoch", "1"));
  CHECK(value_is("encrypted", "4 bytes"));
}

/* The session's answer, as ours says it: a=extmap ids and the VP8 payload type. */
static const char answer_sdp[] =
    "v=0\r\na=ice-ufrag:bRtC\r\nm=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=extmap:2/recvonly http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
    "a=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\n";

static size_t vp8_keyframe_packet(uint8_t *pkt, size_t cap) {
  static const uint8_t ext[] = {0x40, '1', 0x22, 0x12, 0x34, 0x56, 0x31, 0x01, 0x02, 0, 0, 0};
  /* VP8: X S PID 0, I, 15-bit PictureID 0x1234; keyframe tag; start code; 640x480. */
  static const uint8_t payload[] = {0x90, 0x80, 0x92, 0x34, 0x10, 0x02, 0x00, 0x9d,
                                    0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01, 0xaa, 0xaa,
                                    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa};
  /* Written by hand: the header, the extension block of 3 words, the payload. */
  size_t n = 0;
  static const uint8_t fixed[] = {0x90, 96, 0, 7, 0, 1, 0x5f, 0x90, 1, 2, 3, 4, 0xbe, 0xde, 0, 3};
  memcpy(pkt + n, fixed, sizeof(fixed));
  n += sizeof(fixed);
  memcpy(pkt + n, ext, sizeof(ext));
  n += sizeof(ext);
  memcpy(pkt + n, payload, sizeof(payload));
  n += sizeof(payload);
  (void)cap;
  return n;
}

static void test_rtp(void) {
  brtc_inspect_context *ctx = brtc_inspect_context_new();
  brtc_inspect_context_add_sdp(ctx, answer_sdp, strlen(answer_sdp), true);
  CHECK_EQ_INT(brtc_inspect_context_ext(ctx, 4u), BRTC_INSPECT_EXT_MID);
  CHECK_EQ_INT(brtc_inspect_context_ext(ctx, 2u), BRTC_INSPECT_EXT_ABS_SEND_TIME);
  CHECK_EQ_INT(brtc_inspect_context_codec(ctx, 96), BRTC_INSPECT_CODEC_VP8);
  CHECK_STR(brtc_inspect_context_ufrag(ctx, true), "bRtC");
  uint8_t pkt[128];
  size_t len = vp8_keyframe_packet(pkt, sizeof(pkt));
  /* The mid is id 4 in this answer: id 4 in the packet, "1". */
  pkt[16] = 0x40;
  decode(pkt, len, true, ctx);
  CHECK(value_is("sequence number", "7"));
  CHECK(value_is("SSRC", "0x01020304"));
  CHECK(value_is("Header extension", "profile 0xbede, 3 words"));
  CHECK(value_is("mid", "id 4: \"1\""));
  CHECK(value_is("abs-send-time", "id 2: 4.551109 s"));
  CHECK(value_is("transport-wide sequence number", "id 3: 258"));
  CHECK(value_is("X R N S R PID", "X=1 N=0 S=1 PID=0"));
  CHECK(value_is("PictureID", "4660"));
  CHECK(value_is("VP8 payload header", "keyframe, version 0, shown, first partition 16 bytes"));
  CHECK(value_is("size", "640x480"));
  /* Without the context: the extensions are shown undecoded, the payload unread. */
  decode(pkt, len, true, NULL);
  CHECK(find("extension (not negotiated)", 0) != NULL);
  CHECK(!find("VP8 payload descriptor", 0));
  brtc_inspect_context_free(ctx);
}

static void test_srtp_views(void) {
  uint8_t pkt[128];
  size_t len = vp8_keyframe_packet(pkt, sizeof(pkt));
  brtc_inspect_context *ctx = brtc_inspect_context_new();
  brtc_inspect_context_set_srtp(ctx, "AES_CM_128_HMAC_SHA1_80");
  decode(pkt, len, false, ctx);
  const brtc_inspect_field *tag = find("Authentication tag", 0);
  CHECK(tag && tag->len == 10 && tag->offset + 10 == len);
  CHECK(!find("VP8 payload descriptor", 0)); /* encrypted: not read */
  brtc_inspect_context_set_srtp(ctx, "AEAD_AES_128_GCM");
  decode(pkt, len, false, ctx);
  tag = find("AEAD tag", 0);
  CHECK(tag && tag->len == 16 && tag->offset + 16 == len);
  const brtc_inspect_field *enc = find("Encrypted payload", 0);
  CHECK(enc && enc->offset == 28 && enc->len == len - 28 - 16);

  /* SRTCP: 8 bytes in clear, then E and the index before (AES-CM) or after (GCM) the tag. */
  uint8_t c[64] = {0x81, 201, 0, 7, 0xaa, 0xaa, 0, 1};
  size_t clen = 32 + 4 + 10;
  c[32] = 0x80, c[35] = 3;
  brtc_inspect_context_set_srtp(ctx, "AES_CM_128_HMAC_SHA1_80");
  decode(c, clen, false, ctx);
  CHECK(value_is("E flag and SRTCP index", "E=1 index 3"));
  tag = find("Authentication tag", 0);
  CHECK(tag && tag->offset == 36 && tag->len == 10);
  memset(c + 8, 0, sizeof(c) - 8);
  clen = 32 + 16 + 4;
  c[48] = 0x80, c[51] = 9;
  brtc_inspect_context_set_srtp(ctx, "AEAD_AES_128_GCM");
  decode(c, clen, false, ctx);
  CHECK(value_is("E flag and SRTCP index", "E=1 index 9"));
  tag = find("AEAD tag", 0);
  CHECK(tag && tag->offset == 32 && tag->len == 16);
  brtc_inspect_context_free(ctx);
}

static void test_rtcp(void) {
  uint8_t buf[256];
  size_t len = rtcp_compound(buf, sizeof(buf)), n = 0;
  CHECK(len > 0);
  CHECK_EQ_INT(
      brtc_rtcp_write_xr_rrtr(0xaaaa0001, 0x0102030405060708ull, buf + len, sizeof(buf) - len, &n),
      BRTC_OK);
  len += n;
  decode(buf, len, true, NULL);
  CHECK(value_is("RR: receiver report", "from 0xaaaa0001"));
  CHECK(value_is("report block",
                 "of 0x11223344: lost 3 (12/256 lately), highest seq 70000, jitter 9"));
  CHECK(value_is("PLI: picture loss indication", "from 0xaaaa0001"));
  CHECK(value_is("REMB bitrate", "2.500 Mbit/s for 1 SSRC"));
  CHECK(value_is("PID BLP", "seq 100, mask 0x0002 (1 more)"));
  CHECK(value_is("RRTR", "NTP 0x01020304.05060708"));
  CHECK(value_is("media SSRC", "0x11223344"));
  /* Each packet's part ends where the next starts: the compound is covered. */
  size_t end = 0;
  for (size_t i = 0; i < nf; i++)
    if (f[i].depth == 0) {
      CHECK_EQ_INT(f[i].offset, end);
      end = f[i].offset + f[i].len;
    }
  CHECK_EQ_INT(end, len);
}

static void test_sdp_context(void) {
  brtc_inspect_context *ctx = brtc_inspect_context_new();
  static const char offer[] = "a=ice-ufrag:Elsk\na=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\n";
  brtc_inspect_context_add_sdp(ctx, offer, strlen(offer), false);
  CHECK_STR(brtc_inspect_context_ufrag(ctx, false), "Elsk");
  CHECK_EQ_INT(brtc_inspect_context_ext(ctx, 4u), 0); /* the offer's extmap is not what was negotiated */
  static const char odd[] =
      "a=extmap:0 x\na=extmap:999 y\na=extmap:12345 z\na=rtpmap:200 VP8/90000\n"
      "a=extmap:14 urn:example\na=rtpmap:100\na=ice-ufrag:\x01\x7f";
  brtc_inspect_context_add_sdp(ctx, odd, sizeof(odd) - 1, true);
  CHECK_EQ_INT(brtc_inspect_context_ext(ctx, 14u), BRTC_INSPECT_EXT_OTHER);
  CHECK_STR(brtc_inspect_context_ufrag(ctx, true), "??");
  for (int i = 0; i < 14; i++) CHECK_EQ_INT(brtc_inspect_context_ext(ctx, (unsigned)i), i == 4 ? 0 : 0);
  brtc_inspect_context_free(ctx);
}

/* Every cut of every vector, into every room up to 8 fields: the count does not depend on
 * the room, and every field kept lies within the bytes. */
static void test_cuts(void) {
  uint8_t rtp[128];
  size_t rtp_len = vp8_keyframe_packet(rtp, sizeof(rtp));
  brtc_inspect_context *ctx = brtc_inspect_context_new();
  brtc_inspect_context_add_sdp(ctx, answer_sdp, strlen(answer_sdp), true);
  brtc_inspect_context_set_srtp(ctx, "AES_CM_128_HMAC_SHA1_80");
  struct {
    const uint8_t *d;
    size_t n;
    bool plain;
  } v[] = {
      {sample_request, sizeof(sample_request), false},
      {sample_ipv6_response, sizeof(sample_ipv6_response), false},
      {client_hello, sizeof(client_hello), false},
      {rtp, rtp_len, true},
      {rtp, rtp_len, false},
  };
  for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++)
    for (size_t len = 0; len <= v[k].n; len++) {
      size_t all = brtc_inspect_decode(v[k].d, len, v[k].plain, ctx, f, CAP, sizeof(f[0]));
      CHECK(all >= 1 && all <= CAP);
      for (size_t i = 0; i < all && i < CAP; i++)
        if (f[i].offset + f[i].len > len) {
          CHECK(!"a field past the bytes");
          fprintf(stderr, "  vector %zu cut %zu: %s [%u+%u]\n", k, len, f[i].name,
                  (unsigned)f[i].offset, (unsigned)f[i].len);
        }
      for (size_t room = 0; room < 8; room++)
        CHECK_EQ_INT(brtc_inspect_decode(v[k].d, len, v[k].plain, ctx, f, room, sizeof(f[0])), all);
    }
  brtc_inspect_context_free(ctx);
}

/* The caller says how big its element is: a newer program's larger struct is stepped
 * through by its own size, its tail left alone; a size below the first version's is
 * refused with nothing written. */
static void test_element_size(void) {
  struct newer {
    brtc_inspect_field field;
    uint64_t added;
  };
  static struct newer big[8];
  memset(big, 0xAB, sizeof(big));
  size_t all = brtc_inspect_decode(sample_request, sizeof(sample_request), false, NULL, f, CAP,
                                   sizeof(f[0]));
  size_t n = brtc_inspect_decode(sample_request, sizeof(sample_request), false, NULL,
                                 &big[0].field, 8, sizeof(big[0]));
  CHECK_EQ_INT(n, all);
  for (size_t i = 0; i < 8 && i < n; i++) {
    CHECK_STR(big[i].field.name, f[i].name);
    CHECK_EQ_INT(big[i].field.offset, f[i].offset);
    CHECK(big[i].added == 0xABABABABABABABABull);
  }
  memset(big, 0xAB, sizeof(big));
  CHECK_EQ_INT(brtc_inspect_decode(sample_request, sizeof(sample_request), false, NULL,
                                   &big[0].field, 8, offsetof(brtc_inspect_field, ref)),
               0);
  CHECK_EQ_INT(big[0].field.offset, 0xABABABABu);
}

int main(void) {
  RUN(test_stun);
  RUN(test_element_size);
  RUN(test_dtls);
  RUN(test_rtp);
  RUN(test_srtp_views);
  RUN(test_rtcp);
  RUN(test_sdp_context);
  RUN(test_cuts);
  return TEST_REPORT();
}
