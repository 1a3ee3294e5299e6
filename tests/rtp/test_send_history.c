/* Send history: O(1) lookup by sequence number, bounds by packets and bytes, no eviction of
 * unsent packets, arena wrap with the bytes intact. */
#include <stdlib.h>

#include "boltrtc/error.h"
#include "rtp/send_history.h"
#include "testing.h"

/* Store one packet of len bytes filled with a pattern of its seq. */
static int store(brtc_send_history *h, uint16_t seq, size_t len) {
  int err;
  uint8_t *p = brtc_send_history_reserve(h, len, &err);
  if (!p) return err;
  for (size_t i = 0; i < len; i++) p[i] = (uint8_t)(seq * 7 + i);
  brtc_rtp_written w = {.seq = seq, .len = (uint16_t)len, .header_len = 12};
  return brtc_send_history_commit(h, &w);
}

static bool intact(brtc_send_history *h, uint16_t seq, size_t len) {
  brtc_send_history_entry *e = brtc_send_history_get(h, seq);
  if (!e || e->len != len) return false;
  const uint8_t *p = brtc_send_history_data(h, e);
  for (size_t i = 0; i < len; i++)
    if (p[i] != (uint8_t)(seq * 7 + i)) return false;
  return true;
}

static void send_all(brtc_send_history *h, uint16_t from, uint16_t to, uint64_t now) {
  for (uint16_t s = from; s != to; s++) {
    brtc_send_history_entry *e = brtc_send_history_get(h, s);
    if (e) brtc_send_history_mark_sent(h, e, now);
  }
}

static void test_lookup_and_packet_bound(void) {
  brtc_send_history_config c = {.max_packets = 8, .max_bytes = 100000, .max_packet = 1500};
  int err;
  brtc_send_history *h = brtc_send_history_new(&c, &err);
  CHECK(h && err == BRTC_OK);
  /* Across the sequence number wrap. */
  for (uint16_t s = 65528; s != 4; s++) { /* 12 packets */
    CHECK_EQ_INT(store(h, s, 100 + s % 50), BRTC_OK);
    brtc_send_history_mark_sent(h, brtc_send_history_get(h, s), 1000);
  }
  CHECK_EQ_INT(brtc_send_history_count(h), 8);
  CHECK(brtc_send_history_get(h, 65527) == NULL); /* never stored */
  CHECK(brtc_send_history_get(h, 65528) == NULL); /* evicted: only 8 kept */
  CHECK(brtc_send_history_get(h, 65531) == NULL);
  for (uint16_t s = 65532; s != 4; s++) CHECK(intact(h, s, 100 + s % 50));
  CHECK(brtc_send_history_get(h, 4) == NULL);
  /* A sequence number that does not follow is refused (the reserve evicted the oldest). */
  int e2;
  CHECK(brtc_send_history_reserve(h, 10, &e2) != NULL);
  brtc_rtp_written w = {.seq = 50, .len = 10};
  CHECK_EQ_INT(brtc_send_history_commit(h, &w), BRTC_ERR_INVALID);
  CHECK_EQ_INT(brtc_send_history_get_stats(h)->evicted, 5);
  brtc_send_history_free(h);
}

static void test_byte_bound_and_unsent(void) {
  brtc_send_history_config c = {.max_packets = 64, .max_bytes = 5000, .max_packet = 1200};
  brtc_send_history *h = brtc_send_history_new(&c, NULL);
  CHECK(h != NULL);
  /* Four 1200-byte packets fit, unsent; a fifth would need to evict an unsent one. */
  for (uint16_t s = 10; s < 14; s++) CHECK_EQ_INT(store(h, s, 1200), BRTC_OK);
  CHECK(!brtc_send_history_room(h, 1, 1200));
  CHECK_EQ_INT(store(h, 14, 1200), BRTC_ERR_LIMIT);
  CHECK_EQ_INT(brtc_send_history_get_stats(h)->refused_unsent, 1);
  for (uint16_t s = 10; s < 14; s++) CHECK(intact(h, s, 1200));
  /* Once the first two left, they may go. */
  send_all(h, 10, 12, 5);
  CHECK(brtc_send_history_room(h, 1, 1200));
  CHECK_EQ_INT(store(h, 14, 1200), BRTC_OK);
  CHECK(brtc_send_history_get(h, 10) == NULL);
  CHECK(brtc_send_history_bytes(h) <= 5000);
  for (uint16_t s = 11; s < 15; s++) CHECK(intact(h, s, 1200));
  /* Too big for any slot. */
  int err;
  CHECK(brtc_send_history_reserve(h, 1201, &err) == NULL && err == BRTC_ERR_TOO_BIG);
  /* Packets bound for unsent ones too. */
  CHECK(!brtc_send_history_room(h, 62, 100));
  brtc_send_history_clear(h);
  CHECK_EQ_INT(brtc_send_history_count(h), 0);
  CHECK(brtc_send_history_room(h, 4, 4 * 900));
  brtc_send_history_free(h);
}

/* Random sizes through many laps of the arena: every packet still stored reads back intact,
 * the bounds always hold, room() never promises what reserve cannot do. */
static void test_arena_wrap_random(void) {
  brtc_send_history_config c = {.max_packets = 128, .max_bytes = 20000, .max_packet = 1500};
  brtc_send_history *h = brtc_send_history_new(&c, NULL);
  srand(42);
  size_t lens[65536] = {0};
  uint16_t seq = 60000;
  int ok = 1;
  for (int i = 0; i < 20000; i++) {
    size_t len = 20 + (size_t)rand() % 1481;
    bool promised = brtc_send_history_room(h, 1, len);
    int rc = store(h, seq, len);
    if (promised && rc != BRTC_OK) ok = 0;
    if (rc == BRTC_OK) {
      lens[seq] = len;
      seq++;
    }
    /* Send all but the newest few, as a pacer would. */
    if (brtc_send_history_count(h) > 3) send_all(h, (uint16_t)(seq - 40), (uint16_t)(seq - 3), i);
    if (brtc_send_history_bytes(h) > 20000 || brtc_send_history_count(h) > 128) ok = 0;
    if (i % 97 == 0) {
      for (uint16_t s = (uint16_t)(seq - 128); s != seq; s++)
        if (brtc_send_history_get(h, s) && !intact(h, s, lens[s])) ok = 0;
    }
  }
  CHECK(ok);
  /* Most of the arena is in use (no leak of space across laps). */
  CHECK(brtc_send_history_bytes(h) > 20000 - 2 * 1500);
  brtc_send_history_free(h);
}

static void test_sizing_and_bad_configs(void) {
  brtc_send_history_config c;
  /* One second of 2.5 Mbit/s video plus a quarter: 390,625 bytes; 1200-byte packets. */
  brtc_send_history_config_for_bitrate(&c, 2500000, 1000000, 1200, 1200);
  CHECK_EQ_INT(c.max_bytes, 390625);
  CHECK_EQ_INT(c.max_packets, 512);
  /* Opus at 64 kbit/s in 160-byte packets: small. */
  brtc_send_history_config_for_bitrate(&c, 64000, 1000000, 160, 1200);
  CHECK_EQ_INT(c.max_bytes, 10000);
  CHECK_EQ_INT(c.max_packets, 64);
  brtc_send_history *h = brtc_send_history_new(&c, NULL);
  CHECK(brtc_send_history_memory(h) < 16 * 1024);
  brtc_send_history_free(h);
  int err;
  brtc_send_history_config bad = {.max_packets = 100, .max_bytes = 10000, .max_packet = 1200};
  CHECK(brtc_send_history_new(&bad, &err) == NULL && err == BRTC_ERR_INVALID);
  bad = (brtc_send_history_config){.max_packets = 64, .max_bytes = 1000, .max_packet = 1200};
  CHECK(brtc_send_history_new(&bad, &err) == NULL && err == BRTC_ERR_INVALID);
  bad = (brtc_send_history_config){.max_packets = 65536, .max_bytes = 10000, .max_packet = 100};
  CHECK(brtc_send_history_new(&bad, &err) == NULL && err == BRTC_ERR_INVALID);
}

/* A frame of n packets of len bytes at now: prepared, stored, sent at once. */
static bool frame(brtc_send_history *h, uint16_t *seq, size_t n, size_t len, uint64_t now) {
  brtc_send_history_prepare(h, n, n * len, now);
  if (!brtc_send_history_room(h, n, n * len)) return false;
  uint16_t first = *seq;
  for (size_t i = 0; i < n; i++)
    if (store(h, (*seq)++, len) != BRTC_OK) return false;
  send_all(h, first, *seq, now);
  return true;
}

/* Memory follows the rate and the window, not the ceiling: the arena starts at 4 KB, grows
 * to what 100 ms of 5 KB frames every 10 ms need, moving the packets (wrapped or not) with
 * their bytes intact; packets past the window go; at a tenth of the rate it shrinks again. */
static void test_grows_expires_and_shrinks(void) {
  brtc_send_history_config c = {.max_packets = 1024, .max_bytes = 400000, .max_packet = 1000,
                                .initial_bytes = 4000, .keep_us = 100000};
  brtc_send_history *h = brtc_send_history_new(&c, NULL);
  CHECK(h != NULL);
  if (!h) return;
  size_t base = brtc_send_history_memory(h) - 4000;
  uint16_t seq = 65000; /* across the wrap */
  uint64_t now = 1000000;
  size_t peak = 0;
  for (int f = 0; f < 200; f++, now += 10000) {
    CHECK(frame(h, &seq, 5, 1000, now));
    size_t m = brtc_send_history_memory(h) - base;
    if (m > peak) peak = m;
    /* Everything within the window is there, whole; nothing older. */
    for (uint16_t k = (uint16_t)(seq - 5 * (f < 10 ? f + 1 : 10)); k != seq; k++)
      CHECK(intact(h, k, 1000));
    if (f >= 11) CHECK(brtc_send_history_get(h, (uint16_t)(seq - 5 * 11 - 1)) == NULL);
  }
  /* 100 ms of 5 KB frames (50 KB and this frame) fit in at most twice that. */
  CHECK(peak >= 50000 && peak <= 120000);
  CHECK(brtc_send_history_bytes(h) <= 55000);
  /* A tenth of the rate: the arena gives memory back. */
  for (int f = 0; f < 50; f++, now += 10000) CHECK(frame(h, &seq, 1, 500, now));
  CHECK(brtc_send_history_memory(h) - base <= 20000);
  for (uint16_t k = (uint16_t)(seq - 10); k != seq; k++) CHECK(intact(h, k, 500));
  brtc_send_history_free(h);
}

/* Without keep_us and initial_bytes the history is what it was: the whole arena at once,
 * packets kept until room is needed. */
static void test_default_keeps_until_full(void) {
  brtc_send_history_config c = {.max_packets = 64, .max_bytes = 20000, .max_packet = 1000};
  brtc_send_history *h = brtc_send_history_new(&c, NULL);
  size_t m = brtc_send_history_memory(h);
  uint16_t seq = 0;
  for (int f = 0; f < 10; f++) CHECK(frame(h, &seq, 1, 1000, 1000000u + 10000000u * f));
  CHECK_EQ_INT(brtc_send_history_count(h), 10); /* 100 s apart, still kept */
  CHECK_EQ_INT(brtc_send_history_memory(h), m);
  brtc_send_history_free(h);
}

/* The entries ring grows with a large frame and shrinks after it: 16 entries at first, a
 * 300-packet keyframe across the sequence wrap (65535 to 0) rehashes every kept packet to its
 * place in a 512-entry ring, where a NACK's lookups find each one (and nothing that was never
 * stored, or went); once it is past the window, memory is what it was before it (but for one
 * doubling of the ring's 16 entries). */
static void test_entries_grow_and_shrink(void) {
  brtc_send_history_config c = {.max_packets = 8192, .max_bytes = 4000000, .max_packet = 1200,
                                .initial_bytes = 16 * 1200, .initial_packets = 16,
                                .keep_us = 200000};
  brtc_send_history *h = brtc_send_history_new(&c, NULL);
  CHECK(h != NULL);
  if (!h) return;
  size_t first = brtc_send_history_memory(h);
  CHECK(first < 16 * 1200 + 16 * sizeof(brtc_send_history_entry) + 512);
  uint16_t seq = 65400; /* the keyframe crosses the wrap */
  uint64_t now = 1000000;
  /* Small frames (2 packets every 33 ms: 14 kept in the window): the ring stays small. */
  for (int f = 0; f < 30; f++, now += 33000) CHECK(frame(h, &seq, 2, 600, now));
  size_t small = brtc_send_history_memory(h);
  CHECK(small < 16 * 1200 * 2 + 32 * sizeof(brtc_send_history_entry) + 512);
  uint16_t key = seq;
  CHECK(frame(h, &seq, 300, 1100, now));
  CHECK((uint16_t)(key + 150) < key); /* it did cross */
  CHECK(brtc_send_history_memory(h) >= 300 * 1100 + 512 * sizeof(brtc_send_history_entry));
  /* Each of its packets, and the small ones before it, read back by sequence number. */
  for (uint16_t k = key; k != seq; k++) CHECK(intact(h, k, 1100));
  for (uint16_t k = (uint16_t)(key - 12); k != key; k++) CHECK(intact(h, k, 600));
  CHECK(brtc_send_history_get(h, seq) == NULL);             /* not yet stored */
  CHECK(brtc_send_history_get(h, (uint16_t)(key - 200)) == NULL); /* long gone */
  /* Small frames again; after the window the keyframe goes, and the memory with it. */
  now += 33000;
  for (int f = 0; f < 30; f++, now += 33000) CHECK(frame(h, &seq, 2, 600, now));
  CHECK(brtc_send_history_get(h, key) == NULL);
  CHECK(brtc_send_history_get(h, (uint16_t)(key + 299)) == NULL);
  for (uint16_t k = (uint16_t)(seq - 12); k != seq; k++) CHECK(intact(h, k, 600));
  /* Back to the small frames' size, but for the entries ring's hysteresis: it shrinks to twice
   * what is needed (16 kept and coming here), so it does not flap around 16. */
  CHECK(brtc_send_history_memory(h) <= small + 16 * sizeof(brtc_send_history_entry));
  brtc_send_history_free(h);
}

/* Frames of random sizes (1 to 400 packets, random lengths) through many growths and
 * shrinks of both the ring and the arena, across several sequence wraps: after every frame,
 * every packet first sent within the window reads back intact by its sequence number. */
static void test_growth_random(void) {
  brtc_send_history_config c = {.max_packets = 1024, .max_bytes = 1000000, .max_packet = 1200,
                                .initial_bytes = 16 * 1200, .initial_packets = 16,
                                .keep_us = 100000};
  brtc_send_history *h = brtc_send_history_new(&c, NULL);
  CHECK(h != NULL);
  if (!h) return;
  srand(7);
  static size_t lens[65536];
  static uint64_t sent_at[65536];
  uint16_t seq = 100;
  uint64_t now = 1000000;
  int ok = 1;
  for (int f = 0; f < 3000; f++, now += 1000 + (uint64_t)(rand() % 40000)) {
    size_t n = rand() % 10 == 0 ? 1 + (size_t)rand() % 400 : 1 + (size_t)rand() % 8;
    size_t len = 20 + (size_t)rand() % 1181;
    brtc_send_history_prepare(h, n, n * len, now);
    if (!brtc_send_history_room(h, n, n * len)) {
      ok = 0;
      break;
    }
    for (size_t i = 0; i < n; i++, seq++) {
      if (store(h, seq, len) != BRTC_OK) ok = 0;
      lens[seq] = len;
      sent_at[seq] = now;
      brtc_send_history_mark_sent(h, brtc_send_history_get(h, seq), now);
    }
    for (uint16_t k = (uint16_t)(seq - 1024); k != seq; k++)
      if (sent_at[k] && sent_at[k] + c.keep_us > now && !intact(h, k, lens[k])) ok = 0;
  }
  CHECK(ok);
  CHECK(seq < 100 || brtc_send_history_get_stats(h)->stored > 65536); /* it wrapped */
  brtc_send_history_free(h);
}

int main(void) {
  RUN(test_lookup_and_packet_bound);
  RUN(test_grows_expires_and_shrinks);
  RUN(test_default_keeps_until_full);
  RUN(test_entries_grow_and_shrink);
  RUN(test_growth_random);
  RUN(test_byte_bound_and_unsent);
  RUN(test_arena_wrap_random);
  RUN(test_sizing_and_bad_configs);
  return TEST_REPORT();
}
