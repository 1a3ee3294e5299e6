/* PLI and FIR received (RFC 4585 6.3.1, RFC 5104 4.3.1) into one debounced keyframe request. */
#include "common/bytes.h"
#include "rtp/keyframe_request.h"
#include "testing.h"

#define SSRC 0xCAFE0001u
#define MS 1000u

static size_t fir_fci(uint8_t *fci, uint32_t other_ssrc, uint8_t other_seq, uint8_t seq) {
  memset(fci, 0, 16);
  brtc_wr32(fci, other_ssrc); /* an entry for someone else first */
  fci[4] = other_seq;
  brtc_wr32(fci + 8, SSRC);
  fci[12] = seq;
  return 16;
}

static void test_pli_coalesced(void) {
  brtc_keyframe_request k;
  brtc_keyframe_request_init(&k, SSRC, 0);
  CHECK(!brtc_keyframe_request_take(&k, 0));
  brtc_keyframe_request_on_pli(&k, 10 * MS);
  brtc_keyframe_request_on_pli(&k, 12 * MS); /* the receiver repeats itself */
  CHECK(brtc_keyframe_request_take(&k, 15 * MS));
  CHECK(!brtc_keyframe_request_take(&k, 16 * MS)); /* once */
  /* While the encoder works on it, more PLIs are the same need. */
  brtc_keyframe_request_on_pli(&k, 100 * MS);
  CHECK(!brtc_keyframe_request_take(&k, 101 * MS));
  CHECK_EQ_INT(k.stats.coalesced, 2);
  /* The keyframe leaves at 120 ms; PLIs within 300 ms after were sent before it arrived. */
  brtc_keyframe_request_on_keyframe_sent(&k, 120 * MS);
  brtc_keyframe_request_on_pli(&k, 300 * MS);
  CHECK(!brtc_keyframe_request_take(&k, 300 * MS));
  CHECK_EQ_INT(k.stats.stale, 1);
  /* Later, a new loss: a new keyframe. */
  brtc_keyframe_request_on_pli(&k, 421 * MS);
  CHECK(brtc_keyframe_request_take(&k, 421 * MS));
  CHECK_EQ_INT(k.stats.asked, 2);
  CHECK_EQ_INT(k.stats.pli, 5);
}

static void test_encoder_never_answers(void) {
  brtc_keyframe_request k;
  brtc_keyframe_request_init(&k, SSRC, 0);
  brtc_keyframe_request_on_pli(&k, 0);
  CHECK(brtc_keyframe_request_take(&k, 0));
  /* No keyframe came: after the interval the request is made again. */
  brtc_keyframe_request_on_pli(&k, 299 * MS);
  CHECK(!brtc_keyframe_request_take(&k, 299 * MS));
  brtc_keyframe_request_on_pli(&k, 300 * MS);
  CHECK(brtc_keyframe_request_take(&k, 300 * MS));
}

static void test_fir_sequence_numbers(void) {
  brtc_keyframe_request k;
  brtc_keyframe_request_init(&k, SSRC, 0);
  uint8_t fci[16];
  size_t n = fir_fci(fci, 0x1234, 9, 5);
  brtc_keyframe_request_on_fir(&k, 0xAAAA, fci, n, 0);
  CHECK(brtc_keyframe_request_take(&k, 0));
  brtc_keyframe_request_on_keyframe_sent(&k, 10 * MS);
  /* RFC 5104 4.3.1.2: the same sequence number again is a retransmission of the request. */
  brtc_keyframe_request_on_fir(&k, 0xAAAA, fci, n, 1000 * MS);
  CHECK(!brtc_keyframe_request_take(&k, 1000 * MS));
  CHECK_EQ_INT(k.stats.fir_repeats, 1);
  /* A new number is a new request; another sender's 5 is its own. */
  n = fir_fci(fci, 0x1234, 9, 6);
  brtc_keyframe_request_on_fir(&k, 0xAAAA, fci, n, 1001 * MS);
  CHECK(brtc_keyframe_request_take(&k, 1001 * MS));
  brtc_keyframe_request_on_keyframe_sent(&k, 1010 * MS);
  n = fir_fci(fci, 0x1234, 9, 5);
  brtc_keyframe_request_on_fir(&k, 0xBBBB, fci, n, 2000 * MS);
  CHECK(brtc_keyframe_request_take(&k, 2000 * MS));
  /* A FIR naming only another SSRC is not for us. */
  uint8_t other[8] = {0, 0, 0x12, 0x34, 7, 0, 0, 0};
  brtc_keyframe_request_on_fir(&k, 0xAAAA, other, 8, 3000 * MS);
  CHECK(!brtc_keyframe_request_take(&k, 3000 * MS));
  CHECK_EQ_INT(k.stats.fir, 4);
}

static void test_local_and_rtt(void) {
  brtc_keyframe_request k;
  brtc_keyframe_request_init(&k, SSRC, 0);
  brtc_keyframe_request_set_rtt(&k, 800 * MS); /* a slow mobile path */
  brtc_keyframe_request_on_keyframe_sent(&k, 0);
  /* A PLI 500 ms after our keyframe left was sent before it could arrive. */
  brtc_keyframe_request_on_pli(&k, 500 * MS);
  CHECK(!brtc_keyframe_request_take(&k, 500 * MS));
  brtc_keyframe_request_on_pli(&k, 801 * MS);
  CHECK(brtc_keyframe_request_take(&k, 801 * MS));
  /* A frame we dropped ourselves needs a keyframe however recent the last one. */
  brtc_keyframe_request_on_keyframe_sent(&k, 900 * MS);
  brtc_keyframe_request_local(&k, 901 * MS);
  CHECK(brtc_keyframe_request_take(&k, 901 * MS));
}

/* A 300 KB keyframe paced at 300 kbit/s leaves 8 s after it was queued: the receiver's PLIs
 * meanwhile are answered by it, not by a second keyframe queued behind. */
static void test_keyframe_still_queued(void) {
  brtc_keyframe_request k;
  brtc_keyframe_request_init(&k, SSRC, 0);
  brtc_keyframe_request_on_pli(&k, 0);
  CHECK(brtc_keyframe_request_take(&k, 0));
  brtc_keyframe_request_on_keyframe_queued(&k, 33 * MS, 8033 * MS);
  for (uint64_t t = 700; t < 8000; t += 700) {
    brtc_keyframe_request_on_pli(&k, t * MS);
    CHECK(!brtc_keyframe_request_take(&k, t * MS));
  }
  CHECK_EQ_INT(k.stats.stale, 11);
  /* Our own need is never stale: a frame we dropped needs a keyframe after this one. */
  brtc_keyframe_request_local(&k, 7500 * MS);
  CHECK(brtc_keyframe_request_take(&k, 7500 * MS));
  /* It left: the settling time after it applies, then a PLI is a new loss. */
  brtc_keyframe_request_on_keyframe_sent(&k, 8000 * MS);
  brtc_keyframe_request_on_pli(&k, 8200 * MS);
  CHECK(!brtc_keyframe_request_take(&k, 8200 * MS));
  brtc_keyframe_request_on_pli(&k, 8400 * MS);
  CHECK(brtc_keyframe_request_take(&k, 8400 * MS));
}

/* A keyframe that never leaves (its stream purged from the pacer) silences PLIs only until
 * it should have left, and the settling time after. */
static void test_queued_keyframe_lost(void) {
  brtc_keyframe_request k;
  brtc_keyframe_request_init(&k, SSRC, 0);
  brtc_keyframe_request_on_keyframe_queued(&k, 0, 1000 * MS);
  brtc_keyframe_request_still_queued(&k, 500 * MS); /* never shrinks */
  brtc_keyframe_request_on_pli(&k, 1200 * MS);
  CHECK(!brtc_keyframe_request_take(&k, 1200 * MS));
  brtc_keyframe_request_on_pli(&k, 1300 * MS);
  CHECK(brtc_keyframe_request_take(&k, 1300 * MS));
}

/* The pacing rate fell after the keyframe was queued: it leaves later than first thought,
 * and PLIs until then are still answered by it. */
static void test_queued_keyframe_slowed(void) {
  brtc_keyframe_request k;
  brtc_keyframe_request_init(&k, SSRC, 0);
  brtc_keyframe_request_on_keyframe_queued(&k, 0, 1000 * MS);
  brtc_keyframe_request_still_queued(&k, 3000 * MS);
  brtc_keyframe_request_on_pli(&k, 3200 * MS);
  CHECK(!brtc_keyframe_request_take(&k, 3200 * MS));
  brtc_keyframe_request_on_keyframe_sent(&k, 3100 * MS);
  brtc_keyframe_request_on_pli(&k, 3500 * MS);
  CHECK(brtc_keyframe_request_take(&k, 3500 * MS));
  /* Once it left, nothing is queued: the window does not move. */
  brtc_keyframe_request_still_queued(&k, 9000 * MS);
  CHECK(!k.queued);
}

int main(void) {
  RUN(test_pli_coalesced);
  RUN(test_encoder_never_answers);
  RUN(test_fir_sequence_numbers);
  RUN(test_local_and_rtt);
  RUN(test_keyframe_still_queued);
  RUN(test_queued_keyframe_lost);
  RUN(test_queued_keyframe_slowed);
  return TEST_REPORT();
}
