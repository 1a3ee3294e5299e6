/* The payload arena shared by the reordering windows: appending, holes, compaction that keeps
 * order and contents, growth and its ceiling. */
#include <stdlib.h>

#include "boltrtc/error.h"
#include "codec/payload_arena.h"
#include "testing.h"

static void fill(uint8_t *p, size_t len, uint8_t seed) {
  for (size_t i = 0; i < len; i++) p[i] = (uint8_t)(seed + i * 7);
}

static int append(brtc_payload_arena *a, const uint8_t *p, size_t len, uint32_t *off) {
  if (!brtc_payload_arena_fits(a, len)) {
    int rc = brtc_payload_arena_grow(a, len);
    if (rc != BRTC_OK) return rc;
  }
  *off = brtc_payload_arena_append(a, p, len);
  return BRTC_OK;
}

static void test_starts_empty_and_over_at_front(void) {
  brtc_payload_arena a;
  brtc_payload_arena_init(&a, 1 << 20);
  CHECK(a.bytes == NULL);
  CHECK(!brtc_payload_arena_fits(&a, 1));
  uint8_t p[100];
  fill(p, sizeof p, 1);
  uint32_t o1, o2;
  CHECK_EQ_INT(append(&a, p, sizeof p, &o1), BRTC_OK);
  CHECK_EQ_INT(append(&a, p, sizeof p, &o2), BRTC_OK);
  CHECK_EQ_INT(o1, 0);
  CHECK_EQ_INT(o2, 100);
  CHECK_MEM(a.bytes + o2, p, sizeof p);
  brtc_payload_arena_release(&a, 100);
  CHECK_EQ_INT(a.end, 200); /* a hole, not yet reused */
  CHECK(brtc_payload_arena_has_holes(&a));
  brtc_payload_arena_release(&a, 100);
  CHECK_EQ_INT(a.end, 0); /* every payload left: the front again */
  brtc_payload_arena_free(&a);
}

/* Payloads laid out A B C D; B and D leave; compaction must move A C down in that order with
 * their bytes intact, and update the owner's offsets. */
static void test_compaction_keeps_order_and_bytes(void) {
  brtc_payload_arena a;
  brtc_payload_arena_init(&a, 1 << 20);
  uint8_t p[4][300];
  uint32_t off[4];
  for (int i = 0; i < 4; i++) {
    fill(p[i], sizeof p[i], (uint8_t)(i * 31));
    CHECK_EQ_INT(append(&a, p[i], 100 + 50 * (size_t)i, &off[i]), BRTC_OK);
  }
  brtc_payload_arena_release(&a, 150); /* B */
  brtc_payload_arena_release(&a, 250); /* D */
  /* Listed out of arena order, as a window indexed by sequence number would list them. */
  brtc_payload_ref refs[2] = {{&off[2], 200}, {&off[0], 100}};
  brtc_payload_arena_compact(&a, refs, 2);
  CHECK_EQ_INT(off[0], 0);
  CHECK_EQ_INT(off[2], 100); /* still right after A */
  CHECK_EQ_INT(a.end, 300);
  CHECK_EQ_INT(a.live, 300);
  CHECK_MEM(a.bytes + off[0], p[0], 100);
  CHECK_MEM(a.bytes + off[2], p[2], 200);
  brtc_payload_arena_free(&a);
}

/* Growth keeps a third free and stops at max; past it, NOMEM and the arena unchanged. */
static void test_grows_to_its_ceiling(void) {
  brtc_payload_arena a;
  brtc_payload_arena_init(&a, 40000);
  uint8_t *p = calloc(1, 1200);
  uint32_t off;
  size_t n = 0;
  while (append(&a, p, 1200, &off) == BRTC_OK) {
    CHECK(a.cap <= 40000);
    n++;
    if (n > 100) break;
  }
  CHECK_EQ_INT(n, 40000 / 1200);
  size_t cap = a.cap, end = a.end;
  CHECK_EQ_INT(brtc_payload_arena_grow(&a, 1200), BRTC_ERR_NOMEM);
  CHECK_EQ_INT(a.cap, cap);
  CHECK_EQ_INT(a.end, end);
  brtc_payload_arena_free(&a);
  free(p);
}

int main(void) {
  RUN(test_starts_empty_and_over_at_front);
  RUN(test_compaction_keeps_order_and_bytes);
  RUN(test_grows_to_its_ceiling);
  return TEST_REPORT();
}
