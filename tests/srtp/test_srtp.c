/* SRTP/SRTCP behaviour for both profiles: round trips, authentication failures, replay and
 * too-old packets, ROC rollover, reordering, stream limits and malformed input. */
#include "boltrtc/error.h"
#include "srtp/srtp.h"
#include "srtp/srtp_replay.h"
#include "srtp_test_util.h"
#include "testing.h"

static const uint8_t k_key[16] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
                                  0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01};
static const uint8_t k_salt[14] = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
                                   0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae};
static const brtc_srtp_profile_id k_profiles[] = {BRTC_SRTP_PROFILE_AES128_CM_SHA1_80,
                                                  BRTC_SRTP_PROFILE_AEAD_AES_128_GCM};

#define MAXPKT 1500

typedef struct pair {
  brtc_srtp *tx, *rx;
  size_t tag, rtcp_trailer;
} pair;

static pair pair_new(brtc_srtp_profile_id p) {
  size_t salt_len = p == BRTC_SRTP_PROFILE_AEAD_AES_128_GCM ? 12 : 14;
  pair x = {brtc_srtp_new(p, BRTC_SRTP_OUTBOUND, k_key, 16, k_salt, salt_len),
            brtc_srtp_new(p, BRTC_SRTP_INBOUND, k_key, 16, k_salt, salt_len),
            p == BRTC_SRTP_PROFILE_AEAD_AES_128_GCM ? 16 : 10,
            p == BRTC_SRTP_PROFILE_AEAD_AES_128_GCM ? 20 : 14};
  CHECK(x.tx != NULL);
  CHECK(x.rx != NULL);
  return x;
}

static void pair_free(pair *x) {
  brtc_srtp_free(x->tx);
  brtc_srtp_free(x->rx);
}

typedef struct wire {
  uint8_t plain[MAXPKT], prot[MAXPKT];
  size_t plain_len, prot_len;
} wire;

/* Builds and protects one RTP packet. */
static int make_rtp(pair *x, wire *w, uint16_t seq, uint32_t ssrc, int csrcs, int ext,
                    size_t payload) {
  w->plain_len = build_rtp(w->plain, seq, ssrc, csrcs, ext, payload, (uint8_t)seq);
  memcpy(w->prot, w->plain, w->plain_len);
  return brtc_srtp_protect(x->tx, w->prot, w->plain_len, sizeof w->prot, &w->prot_len);
}

/* Unprotects a copy of w->prot; checks the plaintext when that succeeds. */
static int recv_rtp(pair *x, const wire *w) {
  uint8_t buf[MAXPKT];
  size_t n = 0;
  memcpy(buf, w->prot, w->prot_len);
  int rc = brtc_srtp_unprotect(x->rx, buf, w->prot_len, &n);
  if (rc == BRTC_OK) {
    CHECK_EQ_INT(n, w->plain_len);
    CHECK_MEM(buf, w->plain, w->plain_len);
  }
  return rc;
}

static int make_rtcp(pair *x, wire *w, uint32_t ssrc, size_t body, uint8_t seed) {
  w->plain_len = build_rtcp(w->plain, ssrc, body, seed);
  memcpy(w->prot, w->plain, w->plain_len);
  return brtc_srtcp_protect(x->tx, w->prot, w->plain_len, sizeof w->prot, &w->prot_len);
}

static int recv_rtcp(pair *x, const wire *w) {
  uint8_t buf[MAXPKT];
  size_t n = 0;
  memcpy(buf, w->prot, w->prot_len);
  int rc = brtc_srtcp_unprotect(x->rx, buf, w->prot_len, &n);
  if (rc == BRTC_OK) {
    CHECK_EQ_INT(n, w->plain_len);
    CHECK_MEM(buf, w->plain, w->plain_len);
  }
  return rc;
}

static void test_round_trip(void) {
  for (size_t p = 0; p < 2; p++) {
    pair x = pair_new(k_profiles[p]);
    wire w;
    /* Plain header, CSRCs, extension, both, and an empty payload. */
    const int shapes[][3] = {{0, -1, 160}, {3, -1, 100}, {0, 2, 1200}, {15, 5, 40}, {1, 0, 0}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
      CHECK_EQ_INT(make_rtp(&x, &w, (uint16_t)(100 + i), 0x1234, shapes[i][0], shapes[i][1],
                            (size_t)shapes[i][2]),
                   BRTC_OK);
      CHECK_EQ_INT(w.prot_len, w.plain_len + x.tag);
      /* The header stays in the clear; a non-empty payload does not. */
      size_t hdr = w.plain_len - (size_t)shapes[i][2];
      CHECK_MEM(w.prot, w.plain, hdr);
      if (shapes[i][2] >= 16) CHECK(memcmp(w.prot + hdr, w.plain + hdr, 16) != 0);
      CHECK_EQ_INT(recv_rtp(&x, &w), BRTC_OK);
    }
    for (int i = 0; i < 3; i++) {
      CHECK_EQ_INT(make_rtcp(&x, &w, 0x1234, (size_t)(20 + 4 * i), (uint8_t)i), BRTC_OK);
      CHECK_EQ_INT(w.prot_len, w.plain_len + x.rtcp_trailer);
      CHECK_MEM(w.prot, w.plain, 8);
      CHECK(memcmp(w.prot + 8, w.plain + 8, 16) != 0);
      CHECK_EQ_INT(recv_rtcp(&x, &w), BRTC_OK);
    }
    pair_free(&x);
  }
}

static void test_tamper(void) {
  for (size_t p = 0; p < 2; p++) {
    pair x = pair_new(k_profiles[p]);
    wire w;
    CHECK_EQ_INT(make_rtp(&x, &w, 7, 0x55, 1, 1, 64), BRTC_OK);
    /* Every byte matters: header, payload, tag. */
    size_t spots[] = {1, 3, 9, 13, 30, w.prot_len - x.tag, w.prot_len - 1};
    for (size_t i = 0; i < sizeof spots / sizeof spots[0]; i++) {
      wire bad = w;
      bad.prot[spots[i]] ^= 0x40;
      CHECK_EQ_INT(recv_rtp(&x, &bad), BRTC_ERR_AUTH);
    }
    /* Failed packets did not advance the window: the genuine one still passes. */
    CHECK_EQ_INT(recv_rtp(&x, &w), BRTC_OK);

    CHECK_EQ_INT(make_rtcp(&x, &w, 0x55, 24, 1), BRTC_OK);
    size_t rspots[] = {1, 5, 12, w.prot_len - 1, w.prot_len - x.rtcp_trailer};
    for (size_t i = 0; i < sizeof rspots / sizeof rspots[0]; i++) {
      wire bad = w;
      bad.prot[rspots[i]] ^= 0x02;
      CHECK_EQ_INT(recv_rtcp(&x, &bad), BRTC_ERR_AUTH);
    }
    CHECK_EQ_INT(recv_rtcp(&x, &w), BRTC_OK);

    /* A different key fails authentication. */
    uint8_t other[16] = {0};
    size_t salt_len = k_profiles[p] == BRTC_SRTP_PROFILE_AEAD_AES_128_GCM ? 12 : 14;
    brtc_srtp *rx2 = brtc_srtp_new(k_profiles[p], BRTC_SRTP_INBOUND, other, 16, k_salt, salt_len);
    CHECK(rx2 != NULL);
    CHECK_EQ_INT(make_rtp(&x, &w, 8, 0x55, 0, -1, 64), BRTC_OK);
    size_t n = 0;
    CHECK_EQ_INT(brtc_srtp_unprotect(rx2, w.prot, w.prot_len, &n), BRTC_ERR_AUTH);
    brtc_srtp_free(rx2);
    pair_free(&x);
  }
}

static void test_replay(void) {
  for (size_t p = 0; p < 2; p++) {
    pair x = pair_new(k_profiles[p]);
    static wire w[300];
    for (int i = 0; i < 300; i++)
      CHECK_EQ_INT(make_rtp(&x, &w[i], (uint16_t)(1000 + i), 9, 0, -1, 20), BRTC_OK);
    CHECK_EQ_INT(recv_rtp(&x, &w[0]), BRTC_OK);
    CHECK_EQ_INT(recv_rtp(&x, &w[0]), BRTC_ERR_REPLAY);
    CHECK_EQ_INT(recv_rtp(&x, &w[299]), BRTC_OK);
    /* Window is 128 packets behind the highest index (299): 172 is the oldest allowed. */
    CHECK_EQ_INT(recv_rtp(&x, &w[299 - BRTC_SRTP_REPLAY_WINDOW]), BRTC_ERR_REPLAY);
    CHECK_EQ_INT(recv_rtp(&x, &w[100]), BRTC_ERR_REPLAY);
    CHECK_EQ_INT(recv_rtp(&x, &w[300 - BRTC_SRTP_REPLAY_WINDOW]), BRTC_OK);
    CHECK_EQ_INT(recv_rtp(&x, &w[300 - BRTC_SRTP_REPLAY_WINDOW]), BRTC_ERR_REPLAY);
    CHECK_EQ_INT(recv_rtp(&x, &w[250]), BRTC_OK);
    CHECK_EQ_INT(recv_rtp(&x, &w[250]), BRTC_ERR_REPLAY);
    CHECK_EQ_INT(recv_rtp(&x, &w[299]), BRTC_ERR_REPLAY);

    /* RTCP: same rules on the SRTCP index. */
    for (int i = 0; i < 300; i++) CHECK_EQ_INT(make_rtcp(&x, &w[i], 9, 16, (uint8_t)i), BRTC_OK);
    CHECK_EQ_INT(recv_rtcp(&x, &w[5]), BRTC_OK);
    CHECK_EQ_INT(recv_rtcp(&x, &w[5]), BRTC_ERR_REPLAY);
    CHECK_EQ_INT(recv_rtcp(&x, &w[3]), BRTC_OK); /* late but inside the window */
    CHECK_EQ_INT(recv_rtcp(&x, &w[299]), BRTC_OK);
    CHECK_EQ_INT(recv_rtcp(&x, &w[299 - BRTC_SRTP_REPLAY_WINDOW]), BRTC_ERR_REPLAY);
    CHECK_EQ_INT(recv_rtcp(&x, &w[300 - BRTC_SRTP_REPLAY_WINDOW]), BRTC_OK);
    CHECK_EQ_INT(recv_rtcp(&x, &w[299]), BRTC_ERR_REPLAY);
    pair_free(&x);
  }
}

/* A packet refused as a replay can still be authenticated (a sender that resends a packet
 * on its own SSRC sends the same index again); the window does not move, and a forgery or
 * a stream never seen fails. */
static void test_authenticate_again(void) {
  for (size_t p = 0; p < 2; p++) {
    pair x = pair_new(k_profiles[p]);
    wire w[3];
    for (int i = 0; i < 3; i++)
      CHECK_EQ_INT(make_rtp(&x, &w[i], (uint16_t)(100 + i), 0xabc, 0, 0, 200), BRTC_OK);
    CHECK_EQ_INT(recv_rtp(&x, &w[0]), BRTC_OK);
    CHECK_EQ_INT(recv_rtp(&x, &w[2]), BRTC_OK);
    CHECK_EQ_INT(recv_rtp(&x, &w[0]), BRTC_ERR_REPLAY);
    uint8_t buf[MAXPKT];
    memcpy(buf, w[0].prot, w[0].prot_len);
    CHECK_EQ_INT(brtc_srtp_authenticate_again(x.rx, buf, w[0].prot_len), BRTC_OK);
    memcpy(buf, w[0].prot, w[0].prot_len);
    buf[20] ^= 1;
    CHECK_EQ_INT(brtc_srtp_authenticate_again(x.rx, buf, w[0].prot_len), BRTC_ERR_AUTH);
    /* It left the window alone: 101 is still new, 100 still a replay. */
    CHECK_EQ_INT(recv_rtp(&x, &w[1]), BRTC_OK);
    CHECK_EQ_INT(recv_rtp(&x, &w[0]), BRTC_ERR_REPLAY);
    wire other;
    CHECK_EQ_INT(make_rtp(&x, &other, 5, 0xdef, 0, 0, 50), BRTC_OK);
    memcpy(buf, other.prot, other.prot_len);
    CHECK_EQ_INT(brtc_srtp_authenticate_again(x.rx, buf, other.prot_len), BRTC_ERR_AUTH);
    CHECK_EQ_INT(brtc_srtp_authenticate_again(x.rx, buf, 5), BRTC_ERR_PARSE);
    CHECK_EQ_INT(brtc_srtp_authenticate_again(x.tx, buf, other.prot_len), BRTC_ERR_INVALID);
    pair_free(&x);
  }
}

static void test_rollover(void) {
  for (size_t p = 0; p < 2; p++) {
    pair x = pair_new(k_profiles[p]);
    static wire w[40];
    /* 65516 .. 65535, 0 .. 19: the second half is protected with ROC 1. */
    for (int i = 0; i < 40; i++)
      CHECK_EQ_INT(make_rtp(&x, &w[i], (uint16_t)(65516 + i), 0xabc, 0, 1, 50), BRTC_OK);
    for (int i = 0; i < 40; i++) CHECK_EQ_INT(recv_rtp(&x, &w[i]), BRTC_OK);
    /* A packet from before the wrap (seq 65535, ROC 0) arriving late is still a replay. */
    CHECK_EQ_INT(recv_rtp(&x, &w[19]), BRTC_ERR_REPLAY);
    pair_free(&x);

    /* Reordered across the wrap: seq 2 (ROC 1) arrives before seq 65534 (ROC 0). */
    x = pair_new(k_profiles[p]);
    for (int i = 0; i < 40; i++)
      CHECK_EQ_INT(make_rtp(&x, &w[i], (uint16_t)(65516 + i), 0xabc, 0, -1, 30), BRTC_OK);
    for (int i = 0; i < 18; i++) CHECK_EQ_INT(recv_rtp(&x, &w[i]), BRTC_OK);
    CHECK_EQ_INT(recv_rtp(&x, &w[22]), BRTC_OK);
    CHECK_EQ_INT(recv_rtp(&x, &w[18]), BRTC_OK);
    CHECK_EQ_INT(recv_rtp(&x, &w[20]), BRTC_OK);
    CHECK_EQ_INT(recv_rtp(&x, &w[19]), BRTC_OK);
    CHECK_EQ_INT(recv_rtp(&x, &w[21]), BRTC_OK);
    for (int i = 23; i < 40; i++) CHECK_EQ_INT(recv_rtp(&x, &w[i]), BRTC_OK);
    pair_free(&x);
  }
}

/* The sender began at 65500 and every packet before its wrap was lost: the receiver's first
 * packet is seq 5 under ROC 1. It must still be read (ROC 0 would fail it and all after it),
 * and so must a pre-wrap straggler arriving next. Before the first packet authenticates a
 * forgery fails under both ROCs and leaves the stream unstarted. */
static void test_first_packets_lost_across_the_wrap(void) {
  for (size_t p = 0; p < 2; p++) {
    pair x = pair_new(k_profiles[p]);
    static wire w[76];
    for (int i = 0; i < 76; i++) /* 65500 .. 65535 (ROC 0), then 0 .. 39 (ROC 1) */
      CHECK_EQ_INT(make_rtp(&x, &w[i], (uint16_t)(65500 + i), 0x5eed, 0, -1, 40), BRTC_OK);
    wire forged = w[41];
    forged.prot[forged.prot_len - 1] ^= 1;
    CHECK_EQ_INT(recv_rtp(&x, &forged), BRTC_ERR_AUTH);
    for (int i = 41; i < 76; i++) CHECK_EQ_INT(recv_rtp(&x, &w[i]), BRTC_OK);
    CHECK_EQ_INT(recv_rtp(&x, &w[33]), BRTC_OK); /* 65533 under ROC 0, late */
    CHECK_EQ_INT(recv_rtp(&x, &w[45]), BRTC_ERR_REPLAY);
    pair_free(&x);

    /* A stream that did start at ROC 0 gets no second try: a packet whose ROC it cannot
     * know still fails (test_roc_jumps), and a plain first packet is read as before. */
    x = pair_new(k_profiles[p]);
    CHECK_EQ_INT(make_rtp(&x, &w[0], 100, 0x5eee, 0, -1, 40), BRTC_OK);
    CHECK_EQ_INT(recv_rtp(&x, &w[0]), BRTC_OK);
    pair_free(&x);
  }
}

static void test_reorder(void) {
  for (size_t p = 0; p < 2; p++) {
    pair x = pair_new(k_profiles[p]);
    static wire w[64];
    for (int i = 0; i < 64; i++)
      CHECK_EQ_INT(make_rtp(&x, &w[i], (uint16_t)(500 + i), 3, 0, -1, 10), BRTC_OK);
    /* A fixed shuffle: every packet accepted once, in any order inside the window. */
    for (int i = 0; i < 64; i++) CHECK_EQ_INT(recv_rtp(&x, &w[(i * 37 + 11) % 64]), BRTC_OK);
    for (int i = 0; i < 64; i++) CHECK_EQ_INT(recv_rtp(&x, &w[i]), BRTC_ERR_REPLAY);
    pair_free(&x);
  }
}

static void test_streams(void) {
  for (size_t p = 0; p < 2; p++) {
    pair x = pair_new(k_profiles[p]);
    static wire w[BRTC_SRTP_MAX_STREAMS + 1];
    for (int i = 0; i < BRTC_SRTP_MAX_STREAMS; i++)
      CHECK_EQ_INT(make_rtp(&x, &w[i], 1, (uint32_t)(0x100 + i), 0, -1, 10), BRTC_OK);
    CHECK_EQ_INT(make_rtp(&x, &w[BRTC_SRTP_MAX_STREAMS], 1, 0x999, 0, -1, 10), BRTC_ERR_LIMIT);

    /* Forged packets under fresh SSRCs fail and do not use up stream slots. */
    for (uint32_t i = 0; i < 40; i++) {
      wire bad = w[0];
      bad.prot[8] = (uint8_t)(0xf0 + (i >> 4));
      bad.prot[11] = (uint8_t)i;
      CHECK_EQ_INT(recv_rtp(&x, &bad), BRTC_ERR_AUTH);
    }
    for (int i = 0; i < BRTC_SRTP_MAX_STREAMS; i++) CHECK_EQ_INT(recv_rtp(&x, &w[i]), BRTC_OK);
    /* Streams are separate: the same seq under another SSRC is not a replay. */
    for (int i = 0; i < BRTC_SRTP_MAX_STREAMS; i++)
      CHECK_EQ_INT(recv_rtp(&x, &w[i]), BRTC_ERR_REPLAY);

    /* A 17th SSRC inbound: the table is full. */
    pair y = pair_new(k_profiles[p]);
    wire extra;
    CHECK_EQ_INT(make_rtp(&y, &extra, 1, 0x999, 0, -1, 10), BRTC_OK);
    CHECK_EQ_INT(recv_rtp(&x, &extra), BRTC_ERR_LIMIT);
    pair_free(&y);
    pair_free(&x);
  }
}

static void test_malformed(void) {
  for (size_t p = 0; p < 2; p++) {
    pair x = pair_new(k_profiles[p]);
    wire w;
    CHECK_EQ_INT(make_rtp(&x, &w, 1, 3, 2, 3, 40), BRTC_OK);
    uint8_t buf[MAXPKT];
    size_t n = 0;
    /* Every truncation is refused without touching memory beyond len. */
    for (size_t len = 0; len < w.prot_len; len++) {
      memcpy(buf, w.prot, len);
      int rc = brtc_srtp_unprotect(x.rx, buf, len, &n);
      CHECK(rc == BRTC_ERR_PARSE || rc == BRTC_ERR_AUTH);
      if (len < 12 + x.tag) CHECK_EQ_INT(rc, BRTC_ERR_PARSE);
    }
    /* Header lengths that point past the end. */
    wire small;
    CHECK_EQ_INT(make_rtp(&x, &small, 9, 3, 2, 3, 10), BRTC_OK);
    memcpy(buf, small.prot, small.prot_len);
    buf[0] = 0x8f; /* 15 CSRCs do not fit in the 46 bytes before the tag */
    CHECK_EQ_INT(brtc_srtp_unprotect(x.rx, buf, small.prot_len, &n), BRTC_ERR_PARSE);
    memcpy(buf, w.prot, w.prot_len);
    buf[20 + 2] = 0xff; /* extension length 0xff.. words */
    buf[20 + 3] = 0xff;
    CHECK_EQ_INT(brtc_srtp_unprotect(x.rx, buf, w.prot_len, &n), BRTC_ERR_PARSE);
    memcpy(buf, w.prot, w.prot_len);
    buf[0] = 0x40 | (buf[0] & 0x3f); /* version 1 */
    CHECK_EQ_INT(brtc_srtp_unprotect(x.rx, buf, w.prot_len, &n), BRTC_ERR_PARSE);
    /* Protect refuses the same. */
    uint8_t hdr[64] = {0x9f};
    CHECK_EQ_INT(brtc_srtp_protect(x.tx, hdr, 20, sizeof hdr, &n), BRTC_ERR_PARSE);
    CHECK_EQ_INT(brtc_srtp_protect(x.tx, hdr, 5, sizeof hdr, &n), BRTC_ERR_PARSE);

    /* RTCP truncations. */
    CHECK_EQ_INT(make_rtcp(&x, &w, 3, 20, 0), BRTC_OK);
    for (size_t len = 0; len < w.prot_len; len++) {
      memcpy(buf, w.prot, len);
      int rc = brtc_srtcp_unprotect(x.rx, buf, len, &n);
      CHECK(rc == BRTC_ERR_PARSE || rc == BRTC_ERR_AUTH);
      if (len < 8 + x.rtcp_trailer) CHECK_EQ_INT(rc, BRTC_ERR_PARSE);
    }
    CHECK_EQ_INT(brtc_srtcp_protect(x.tx, hdr, 4, sizeof hdr, &n), BRTC_ERR_PARSE);

    /* Capacity, direction and argument checks. */
    CHECK_EQ_INT(make_rtp(&x, &w, 2, 3, 0, -1, 40), BRTC_OK);
    memcpy(buf, w.plain, w.plain_len);
    CHECK_EQ_INT(brtc_srtp_protect(x.tx, buf, w.plain_len, w.plain_len + x.tag - 1, &n),
                 BRTC_ERR_TOO_BIG);
    CHECK_EQ_INT(brtc_srtcp_protect(x.tx, buf, 28, 28 + x.rtcp_trailer - 1, &n), BRTC_ERR_TOO_BIG);
    CHECK_EQ_INT(brtc_srtp_protect(x.rx, buf, w.plain_len, sizeof buf, &n), BRTC_ERR_INVALID);
    CHECK_EQ_INT(brtc_srtp_unprotect(x.tx, buf, w.plain_len, &n), BRTC_ERR_INVALID);
    CHECK_EQ_INT(brtc_srtp_unprotect(NULL, buf, w.plain_len, &n), BRTC_ERR_INVALID);
    pair_free(&x);
  }
  /* Key and salt lengths must match the profile. */
  CHECK(brtc_srtp_new(BRTC_SRTP_PROFILE_AES128_CM_SHA1_80, BRTC_SRTP_INBOUND, k_key, 16, k_salt,
                      12) == NULL);
  CHECK(brtc_srtp_new(BRTC_SRTP_PROFILE_AEAD_AES_128_GCM, BRTC_SRTP_INBOUND, k_key, 16, k_salt,
                      14) == NULL);
  CHECK(brtc_srtp_new(BRTC_SRTP_PROFILE_AES128_CM_SHA1_80, BRTC_SRTP_INBOUND, k_key, 32, k_salt,
                      14) == NULL);
  CHECK(brtc_srtp_new(BRTC_SRTP_PROFILE_NONE, BRTC_SRTP_INBOUND, k_key, 16, k_salt, 14) == NULL);
  brtc_srtp_free(NULL);
}

/* Unencrypted SRTCP (E = 0) from a peer authenticates and passes through unchanged. */
static void test_rtcp_unencrypted(void) {
  for (size_t p = 0; p < 2; p++) {
    pair x = pair_new(k_profiles[p]);
    wire w;
    CHECK_EQ_INT(make_rtcp(&x, &w, 77, 16, 9), BRTC_OK);
    /* Clearing E alone must fail authentication (E is authenticated). */
    wire bad = w;
    size_t e_at = x.tag == 16 ? w.prot_len - 4 : w.plain_len;
    bad.prot[e_at] &= 0x7f;
    CHECK_EQ_INT(recv_rtcp(&x, &bad), BRTC_ERR_AUTH);
    pair_free(&x);
  }
}

/* RFC 3711 appendix A, case by case. */
static void test_index_estimate(void) {
  brtc_srtp_replay w = {0};
  uint64_t idx = 0;
  CHECK_EQ_INT(brtc_srtp_rtp_index(&w, 4242, &idx), BRTC_OK); /* new stream: ROC 0 */
  CHECK_EQ_INT(idx, 4242);

  w.started = true;
  w.top = (5ull << 16) | 100; /* ROC 5, s_l 100 (< 32768) */
  CHECK_EQ_INT(brtc_srtp_rtp_index(&w, 200, &idx), BRTC_OK);
  CHECK_EQ_INT(idx, (5ull << 16) | 200);
  CHECK_EQ_INT(brtc_srtp_rtp_index(&w, 32868, &idx), BRTC_OK); /* s_l + 32768: same ROC */
  CHECK_EQ_INT(idx, (5ull << 16) | 32868);
  CHECK_EQ_INT(brtc_srtp_rtp_index(&w, 32869, &idx), BRTC_OK); /* beyond: previous ROC */
  CHECK_EQ_INT(idx, (4ull << 16) | 32869);
  CHECK_EQ_INT(brtc_srtp_rtp_index(&w, 65535, &idx), BRTC_OK);
  CHECK_EQ_INT(idx, (4ull << 16) | 65535);

  w.top = (5ull << 16) | 40000;                               /* s_l >= 32768 */
  CHECK_EQ_INT(brtc_srtp_rtp_index(&w, 7232, &idx), BRTC_OK); /* s_l - 32768: same ROC */
  CHECK_EQ_INT(idx, (5ull << 16) | 7232);
  CHECK_EQ_INT(brtc_srtp_rtp_index(&w, 7231, &idx), BRTC_OK); /* below: next ROC */
  CHECK_EQ_INT(idx, (6ull << 16) | 7231);
  CHECK_EQ_INT(brtc_srtp_rtp_index(&w, 0, &idx), BRTC_OK);
  CHECK_EQ_INT(idx, 6ull << 16);

  w.top = 10; /* ROC 0: nothing before the stream began */
  CHECK_EQ_INT(brtc_srtp_rtp_index(&w, 60000, &idx), BRTC_ERR_REPLAY);
  w.top = (0xffffffffull << 16) | 60000; /* the 48-bit index is used up */
  CHECK_EQ_INT(brtc_srtp_rtp_index(&w, 5, &idx), BRTC_ERR_LIMIT);
}

/* Big forward jumps (under half the sequence space) carry the ROC through several wraps. */
static void test_roc_jumps(void) {
  for (size_t p = 0; p < 2; p++) {
    pair x = pair_new(k_profiles[p]);
    wire w;
    uint32_t seq = 1;
    for (int i = 0; i < 20; i++) {
      CHECK_EQ_INT(make_rtp(&x, &w, (uint16_t)seq, 0x77, 0, -1, 32), BRTC_OK);
      CHECK_EQ_INT(recv_rtp(&x, &w), BRTC_OK);
      seq += 30000; /* ROC reaches 9 */
    }
    /* A receiver that missed the jumps cannot follow: its ROC guess is wrong, so auth fails. */
    pair y = pair_new(k_profiles[p]);
    wire a, b;
    CHECK_EQ_INT(make_rtp(&y, &a, 10, 0x78, 0, -1, 32), BRTC_OK);
    for (int i = 0; i < 3; i++)
      CHECK_EQ_INT(make_rtp(&y, &b, (uint16_t)(10 + 30000 * (i + 1)), 0x78, 0, -1, 32), BRTC_OK);
    CHECK_EQ_INT(recv_rtp(&y, &a), BRTC_OK);
    CHECK_EQ_INT(recv_rtp(&y, &b), BRTC_ERR_AUTH); /* 90010 = ROC 1, seq 24474: guessed ROC 0 */
    pair_free(&y);
    pair_free(&x);
  }
}

int main(void) {
  RUN(test_index_estimate);
  RUN(test_roc_jumps);
  RUN(test_round_trip);
  RUN(test_tamper);
  RUN(test_replay);
  RUN(test_authenticate_again);
  RUN(test_rollover);
  RUN(test_first_packets_lost_across_the_wrap);
  RUN(test_reorder);
  RUN(test_streams);
  RUN(test_malformed);
  RUN(test_rtcp_unencrypted);
  return TEST_REPORT();
}
