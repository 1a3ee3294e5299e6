/* The loop's building blocks: RFC 7983 classification, the two lookup tables, the timer heap. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "boltrtc/error.h"
#include "common/addr.h"
#include "net/addr_map.h"
#include "net/demux.h"
#include "net/timer_heap.h"
#include "net/ufrag_map.h"
#include "testing.h"

static void test_demux_ranges(void) {
  /* Every first byte, against RFC 7983 section 7's ranges. */
  for (int b = 0; b < 256; b++) {
    uint8_t d[1] = {(uint8_t)b};
    brtc_demux_class want = BRTC_DEMUX_OTHER;
    if (b <= 3) want = BRTC_DEMUX_STUN;
    else if (b >= 20 && b <= 63) want = BRTC_DEMUX_DTLS;
    else if (b >= 128 && b <= 191) want = BRTC_DEMUX_RTP;
    CHECK_EQ_INT(brtc_demux_classify(d, 1), want);
  }
  /* Boundaries spelled out, and an empty datagram. */
  uint8_t zrtp = 16, turn_channel = 64, quic = 192, dtls_hs = 22, rtp = 0x80, rtcp_sr = 0x81;
  CHECK_EQ_INT(brtc_demux_classify(&zrtp, 1), BRTC_DEMUX_OTHER);
  CHECK_EQ_INT(brtc_demux_classify(&turn_channel, 1), BRTC_DEMUX_OTHER);
  CHECK_EQ_INT(brtc_demux_classify(&quic, 1), BRTC_DEMUX_OTHER);
  CHECK_EQ_INT(brtc_demux_classify(&dtls_hs, 1), BRTC_DEMUX_DTLS);
  CHECK_EQ_INT(brtc_demux_classify(&rtp, 1), BRTC_DEMUX_RTP);
  CHECK_EQ_INT(brtc_demux_classify(&rtcp_sr, 1), BRTC_DEMUX_RTP);
  CHECK_EQ_INT(brtc_demux_classify(NULL, 0), BRTC_DEMUX_OTHER);
}

static brtc_addr make_addr(int i) {
  brtc_addr a;
  char ip[64];
  if (i % 3 == 0) {
    snprintf(ip, sizeof(ip), "2001:db8::%x", i);
  } else {
    snprintf(ip, sizeof(ip), "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
  }
  brtc_addr_from_ip(&a, ip, (uint16_t)(1000 + i % 7));
  return a;
}

static void test_addr_map(void) {
  enum { N = 3000 };
  static int values[N];
  brtc_addr_map m;
  brtc_addr_map_init(&m);
  brtc_addr a0 = make_addr(0);
  CHECK(brtc_addr_map_find(&m, &a0) == NULL);
  for (int i = 0; i < N; i++) {
    brtc_addr a = make_addr(i);
    CHECK_EQ_INT(brtc_addr_map_put(&m, &a, &values[i % 10], (uint32_t)(i % 8)), BRTC_OK);
  }
  CHECK_EQ_INT(m.count, N);
  for (int i = 0; i < N; i++) {
    brtc_addr a = make_addr(i);
    brtc_hash_slot *s = brtc_addr_map_find(&m, &a);
    CHECK(s && s->value == &values[i % 10] && s->aux == (uint32_t)(i % 8));
  }
  /* Same address, other port: a different key. */
  brtc_addr other = make_addr(1);
  brtc_addr_set_port(&other, 9);
  CHECK(brtc_addr_map_find(&m, &other) == NULL);
  /* Replace keeps the count. */
  CHECK_EQ_INT(brtc_addr_map_put(&m, &a0, &values[5], 3), BRTC_OK);
  CHECK_EQ_INT(m.count, N);
  CHECK(brtc_addr_map_find(&m, &a0)->value == &values[5]);
  /* Remove every entry of one value; all others must still be found (backward shift). */
  size_t want_removed = 0;
  for (int i = 0; i < N; i++) want_removed += (i % 10 == 3);
  CHECK_EQ_INT(brtc_addr_map_remove_value(&m, &values[3]), want_removed);
  for (int i = 0; i < N; i++) {
    brtc_addr a = make_addr(i);
    brtc_hash_slot *s = brtc_addr_map_find(&m, &a);
    if (i % 10 == 3) CHECK(s == NULL);
    else CHECK(s != NULL);
  }
  /* Remove one by one until empty. */
  for (int i = 0; i < N; i++) {
    brtc_addr a = make_addr(i);
    bool had = i % 10 != 3;
    CHECK_EQ_INT(brtc_addr_map_remove(&m, &a), had);
    if (i + 1 < N) {
      brtc_addr next = make_addr(i + 1);
      CHECK_EQ_INT(brtc_addr_map_find(&m, &next) != NULL, (i + 1) % 10 != 3);
    }
  }
  CHECK_EQ_INT(m.count, 0);
  brtc_addr_map_free(&m);
}

static void test_ufrag_map(void) {
  brtc_ufrag_map m;
  brtc_ufrag_map_init(&m);
  static char keys[500][16];
  static int values[500];
  for (int i = 0; i < 500; i++) {
    int n = snprintf(keys[i], sizeof(keys[i]), "uf%04d", i);
    CHECK_EQ_INT(brtc_ufrag_map_put(&m, keys[i], (size_t)n, &values[i]), BRTC_OK);
  }
  CHECK_EQ_INT(brtc_ufrag_map_put(&m, keys[7], 6, &values[8]), BRTC_ERR_STATE);
  CHECK(brtc_ufrag_map_find(&m, "uf0042", 6) == &values[42]);
  CHECK(brtc_ufrag_map_find(&m, "uf004", 5) == NULL);  /* prefix is not a match */
  CHECK(brtc_ufrag_map_find(&m, "uf00420", 7) == NULL);
  for (int i = 0; i < 500; i += 2) brtc_ufrag_map_remove(&m, keys[i], 6);
  for (int i = 0; i < 500; i++)
    CHECK(brtc_ufrag_map_find(&m, keys[i], 6) == (i % 2 ? &values[i] : NULL));
  CHECK_EQ_INT(m.count, 250);
  brtc_ufrag_map_free(&m);
}

static void test_timer_heap(void) {
  enum { N = 200 };
  brtc_timer t[N];
  brtc_timer_heap h;
  brtc_timer_heap_init(&h);
  CHECK(brtc_timer_heap_earliest(&h) == UINT64_MAX);
  for (int i = 0; i < N; i++) {
    t[i].deadline = (uint64_t)((i * 7919) % 1000) + 100; /* scrambled, all >= 100 */
    CHECK_EQ_INT(brtc_timer_heap_push(&h, &t[i]), BRTC_OK);
  }
  brtc_timer_heap_update(&h, &t[5], 3);
  CHECK(brtc_timer_heap_earliest(&h) == 3);
  brtc_timer_heap_update(&h, &t[6], 1);
  CHECK(brtc_timer_heap_earliest(&h) == 1);
  brtc_timer_heap_update(&h, &t[6], UINT64_MAX);
  CHECK(brtc_timer_heap_earliest(&h) == 3);
  brtc_timer_heap_remove(&h, &t[5]);
  CHECK(brtc_timer_heap_earliest(&h) >= 100);

  /* collect_due finds exactly the due ones. */
  uint64_t now = 400;
  brtc_timer *due[N];
  size_t n = brtc_timer_heap_collect_due(&h, now, due, N);
  size_t want = 0;
  for (size_t i = 0; i < h.count; i++) want += h.items[i]->deadline <= now;
  CHECK_EQ_INT(n, want);
  CHECK(n > 0);
  for (size_t i = 0; i < n; i++) CHECK(due[i]->deadline <= now);

  /* Popping by repeatedly pushing the top to infinity yields ascending order. */
  uint64_t last = 0;
  for (size_t i = 0; i + 1 < h.count; i++) {
    brtc_timer *top = h.items[0];
    CHECK(top->deadline >= last);
    last = top->deadline;
    brtc_timer_heap_update(&h, top, UINT64_MAX);
  }
  brtc_timer_heap_free(&h);
}

int main(void) {
  RUN(test_demux_ranges);
  RUN(test_addr_map);
  RUN(test_ufrag_map);
  RUN(test_timer_heap);
  return TEST_REPORT();
}
