/* The pacer on a simulated clock: a keyframe's burst spread at the pacing rate, audio and
 * retransmissions not held behind it, batches, bounds. */
#include "boltrtc/error.h"
#include "rtp/pacer.h"
#include "testing.h"

#define KEYFRAME_BYTES (200 * 1024)
#define PACKET 1200

static brtc_pacer *make(uint64_t target_bps) {
  brtc_pacer_config c = {.target_bitrate_bps = target_bps};
  int err;
  brtc_pacer *p = brtc_pacer_new(&c, &err);
  CHECK(p && err == BRTC_OK);
  return p;
}

/* Enqueue a keyframe of KEYFRAME_BYTES in PACKET-sized packets; returns how many. */
static int enqueue_keyframe(brtc_pacer *p, uint64_t now, uint64_t first_handle) {
  int n = 0;
  for (size_t left = KEYFRAME_BYTES; left; n++) {
    uint32_t sz = left > PACKET ? PACKET : (uint32_t)left;
    CHECK_EQ_INT(brtc_pacer_enqueue(p, BRTC_PACER_VIDEO, first_handle + n, sz, now), BRTC_OK);
    left -= sz;
  }
  return n;
}

static void test_keyframe_spread(void) {
  /* 2 Mbit/s target: paced at 5 Mbit/s, so 200 KiB takes about 1,638,400 bits / 5e6 = 328 ms
   * (less the 5 ms burst it may start with). Owner wakes at every deadline. */
  brtc_pacer *p = make(2000000);
  CHECK_EQ_INT(brtc_pacer_rate_bps(p), 5000000);
  int n = enqueue_keyframe(p, 0, 0);
  CHECK_EQ_INT(n, 171);
  CHECK(brtc_pacer_queue_time_us(p) == (uint64_t)KEYFRAME_BYTES * 8 * 1000000 / 5000000);
  uint64_t now = 0, last_departure = 0, sent_bytes = 0;
  uint64_t window_bytes[40] = {0}; /* per 10 ms */
  int polls = 0, released = 0;
  brtc_pacer_item items[64];
  while (brtc_pacer_queued(p) && polls < 10000) {
    size_t k = brtc_pacer_poll(p, now, items, 64);
    CHECK(k > 0); /* woken at the deadline, something always leaves */
    for (size_t i = 0; i < k; i++) {
      CHECK_EQ_INT(items[i].handle, (uint64_t)released); /* in order */
      released++;
      sent_bytes += items[i].size;
      window_bytes[now / 10000 < 40 ? now / 10000 : 39] += items[i].size;
      last_departure = now;
    }
    polls++;
    uint64_t d = brtc_pacer_deadline(p);
    if (d != UINT64_MAX) {
      CHECK(d > now);
      now = d;
    }
  }
  CHECK_EQ_INT(released, 171);
  CHECK_EQ_INT(sent_bytes, KEYFRAME_BYTES);
  /* The last packet leaves when the debt before it has drained to the burst allowance:
   * (204,800 - 800 bytes) x 8 - 5 ms x 5 Mbit/s = 1,607,000 bits at 5 Mbit/s = 321.4 ms. */
  CHECK(last_departure >= 321000 && last_departure <= 322000);
  /* No 10 ms window carries more than the rate allows plus the burst and a packet. */
  for (int w = 0; w < 40; w++) CHECK(window_bytes[w] <= 6250 + 3125 + PACKET);
  CHECK(brtc_pacer_deadline(p) == UINT64_MAX);
  CHECK_EQ_INT(brtc_pacer_get_stats(p)->max_wait_us, last_departure);
  brtc_pacer_free(p);
}

static void test_audio_and_resend_first(void) {
  brtc_pacer *p = make(2000000);
  enqueue_keyframe(p, 0, 0);
  brtc_pacer_item items[64];
  uint64_t now = 0;
  /* Run the burst until 100 ms. */
  while (now < 100000) {
    brtc_pacer_poll(p, now, items, 64);
    now = brtc_pacer_deadline(p);
  }
  /* An audio packet arrives at 100 ms while 130 KiB of video still waits: it leaves at once,
   * however deep the video's debt. */
  uint64_t t = 100000;
  CHECK_EQ_INT(brtc_pacer_enqueue(p, BRTC_PACER_AUDIO, 1000, 100, t), BRTC_OK);
  CHECK(brtc_pacer_deadline(p) <= t);
  size_t k = brtc_pacer_poll(p, t, items, 64);
  CHECK(k >= 1 && items[0].handle == 1000 && items[0].klass == BRTC_PACER_AUDIO);
  /* A retransmission overtakes the waiting video: the next packet to leave. */
  CHECK_EQ_INT(brtc_pacer_enqueue(p, BRTC_PACER_RETRANSMISSION, 2000, 1000, t), BRTC_OK);
  uint64_t d = brtc_pacer_deadline(p);
  CHECK(d != UINT64_MAX);
  k = brtc_pacer_poll(p, d, items, 1);
  CHECK(k == 1 && items[0].handle == 2000);
  CHECK_EQ_INT(brtc_pacer_get_stats(p)->sent[BRTC_PACER_AUDIO], 1);
  CHECK_EQ_INT(brtc_pacer_get_stats(p)->sent[BRTC_PACER_RETRANSMISSION], 1);
  brtc_pacer_free(p);
}

static void test_batches_after_idle(void) {
  brtc_pacer *p = make(2000000); /* burst: 5 ms at 5 Mbit/s = 3,125 bytes */
  brtc_pacer_item items[8];
  for (int i = 0; i < 5; i++) brtc_pacer_enqueue(p, BRTC_PACER_VIDEO, i, PACKET, 0);
  /* From an idle bucket three go at once (debt 0, 1200, 2400 bytes ≤ 3125), one sendmmsg. */
  CHECK_EQ_INT(brtc_pacer_poll(p, 0, items, 8), 3);
  CHECK_EQ_INT(brtc_pacer_poll(p, 0, items, 8), 0);
  /* Then one per 1.92 ms: the debt (3,600 bytes) drains to 3,125 in 760 us. */
  CHECK(brtc_pacer_deadline(p) == 760);
  CHECK_EQ_INT(brtc_pacer_poll(p, 759, items, 8), 0);
  CHECK_EQ_INT(brtc_pacer_poll(p, 760, items, 8), 1);
  /* A long quiet moment does not bank credit beyond the burst. */
  CHECK_EQ_INT(brtc_pacer_poll(p, 10000000, items, 8), 1);
  for (int i = 0; i < 10; i++) brtc_pacer_enqueue(p, BRTC_PACER_VIDEO, i, PACKET, 10000000);
  CHECK_EQ_INT(brtc_pacer_poll(p, 10000000, items, 8), 2);
  brtc_pacer_free(p);
}

static void test_bounds(void) {
  brtc_pacer_config c = {.target_bitrate_bps = 2000000, .capacity = {4, 4, 300}};
  brtc_pacer *p = brtc_pacer_new(&c, NULL);
  /* 200 KiB waits 328 ms at 5 Mbit/s: under the 500 ms bound. */
  enqueue_keyframe(p, 0, 0);
  CHECK(!brtc_pacer_congested(p));
  /* Another 120 KB of video (519 ms in all) and it is over: the owner must refuse new frames. */
  for (int i = 0; i < 100; i++) brtc_pacer_enqueue(p, BRTC_PACER_VIDEO, 500 + i, PACKET, 0);
  CHECK(brtc_pacer_congested(p));
  /* Each queue is bounded by count. */
  CHECK_EQ_INT(brtc_pacer_room(p, BRTC_PACER_VIDEO), 300 - 171 - 100);
  for (int i = 0; i < 4; i++)
    CHECK_EQ_INT(brtc_pacer_enqueue(p, BRTC_PACER_AUDIO, i, 10, 0), BRTC_OK);
  CHECK_EQ_INT(brtc_pacer_enqueue(p, BRTC_PACER_AUDIO, 9, 10, 0), BRTC_ERR_LIMIT);
  CHECK_EQ_INT(brtc_pacer_get_stats(p)->refused_full[BRTC_PACER_AUDIO], 1);
  CHECK_EQ_INT(brtc_pacer_enqueue(p, BRTC_PACER_VIDEO, 1, 0, 0), BRTC_ERR_INVALID);
  /* A faster link drains the same queue sooner. */
  brtc_pacer_set_target_bitrate(p, 8000000);
  CHECK(!brtc_pacer_congested(p));
  /* Purging one stream's handles (top 32 bits) leaves the others. */
  brtc_pacer_enqueue(p, BRTC_PACER_RETRANSMISSION, 7ull << 32 | 1, 100, 0);
  brtc_pacer_enqueue(p, BRTC_PACER_RETRANSMISSION, 8ull << 32 | 1, 100, 0);
  CHECK_EQ_INT(brtc_pacer_purge(p, 0xFFFFFFFF00000000ull, 7ull << 32), 1);
  CHECK_EQ_INT(brtc_pacer_purge(p, 0xFFFFFFFF00000000ull, 0), 4 + 171 + 100);
  CHECK_EQ_INT(brtc_pacer_queued(p), 1);
  brtc_pacer_item it;
  CHECK_EQ_INT(brtc_pacer_poll(p, 1, &it, 1), 1);
  CHECK(it.handle == (8ull << 32 | 1));
  CHECK(brtc_pacer_queue_time_us(p) == 0);
  brtc_pacer_free(p);
  brtc_pacer_config bad = {.target_bitrate_bps = 1000000, .burst_us = 5000000};
  int err;
  CHECK(brtc_pacer_new(&bad, &err) == NULL && err == BRTC_ERR_INVALID);
}

/* A queue whose capacity is above the usual 1024 (the pc's, for its largest frame) holds
 * the usual at first; a 3,600-packet frame (a 4 MB keyframe) grows it, with the items queued
 * before it kept in order across the move; once it drained, the memory is what it was. */
static void test_queue_grows_for_a_large_frame(void) {
  brtc_pacer_config c = {.target_bitrate_bps = 100000000, .capacity = {0, 0, 5000}};
  brtc_pacer *p = brtc_pacer_new(&c, NULL);
  CHECK(p != NULL);
  if (!p) return;
  size_t small = brtc_pacer_memory(p);
  CHECK(small < 60000);
  CHECK_EQ_INT(brtc_pacer_capacity(p, BRTC_PACER_VIDEO), 5000);
  /* 700 in and 600 out, so the ring has wrapped when it grows. */
  for (uint64_t i = 0; i < 700; i++) brtc_pacer_enqueue(p, BRTC_PACER_VIDEO, i, PACKET, 0);
  brtc_pacer_item items[600];
  size_t got = 0;
  for (uint64_t t = 0; got < 600; t += 1000) got += brtc_pacer_poll(p, t, items, 600 - got);
  for (uint64_t i = 700; i < 1024; i++) brtc_pacer_enqueue(p, BRTC_PACER_VIDEO, i, PACKET, 0);
  CHECK_EQ_INT(brtc_pacer_reserve(p, BRTC_PACER_VIDEO, 3600), BRTC_OK);
  CHECK(brtc_pacer_memory(p) > small + 2500 * sizeof(brtc_pacer_item));
  for (uint64_t i = 1024; i < 1024 + 3600; i++)
    CHECK_EQ_INT(brtc_pacer_enqueue(p, BRTC_PACER_VIDEO, i, PACKET, 0), BRTC_OK);
  /* Past the capacity: refused, whatever is allocated. */
  CHECK_EQ_INT(brtc_pacer_reserve(p, BRTC_PACER_VIDEO, 5000 - 4024 + 1), BRTC_ERR_LIMIT);
  /* Out in the order they came. */
  uint64_t next = 600, t = 1000000;
  int in_order = 1;
  while (brtc_pacer_queued(p) && t < 100000000) {
    size_t n = brtc_pacer_poll(p, t, items, 600);
    for (size_t i = 0; i < n; i++) in_order &= items[i].handle == next++;
    t += 1000;
  }
  CHECK(in_order);
  CHECK_EQ_INT(next, 1024 + 3600);
  CHECK_EQ_INT(brtc_pacer_memory(p), small);
  brtc_pacer_free(p);
}

int main(void) {
  RUN(test_keyframe_spread);
  RUN(test_audio_and_resend_first);
  RUN(test_batches_after_idle);
  RUN(test_bounds);
  RUN(test_queue_grows_for_a_large_frame);
  return TEST_REPORT();
}
