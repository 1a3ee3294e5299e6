#include "net/timer_heap.h"

#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"

void brtc_timer_heap_init(brtc_timer_heap *h) { memset(h, 0, sizeof(*h)); }

void brtc_timer_heap_free(brtc_timer_heap *h) {
  free(h->items);
  memset(h, 0, sizeof(*h));
}

static void place(brtc_timer_heap *h, size_t i, brtc_timer *t) {
  h->items[i] = t;
  t->index = i;
}

static void sift_up(brtc_timer_heap *h, size_t i) {
  brtc_timer *t = h->items[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (h->items[parent]->deadline <= t->deadline) break;
    place(h, i, h->items[parent]);
    i = parent;
  }
  place(h, i, t);
}

static void sift_down(brtc_timer_heap *h, size_t i) {
  brtc_timer *t = h->items[i];
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= h->count) break;
    if (child + 1 < h->count && h->items[child + 1]->deadline < h->items[child]->deadline) child++;
    if (h->items[child]->deadline >= t->deadline) break;
    place(h, i, h->items[child]);
    i = child;
  }
  place(h, i, t);
}

int brtc_timer_heap_push(brtc_timer_heap *h, brtc_timer *t) {
  if (h->count == h->cap) {
    size_t cap = h->cap ? h->cap * 2 : 16;
    brtc_timer **items = realloc(h->items, cap * sizeof(*items));
    if (!items) return BRTC_ERR_NOMEM;
    h->items = items;
    h->cap = cap;
  }
  place(h, h->count++, t);
  sift_up(h, t->index);
  return BRTC_OK;
}

void brtc_timer_heap_remove(brtc_timer_heap *h, brtc_timer *t) {
  size_t i = t->index;
  if (i >= h->count || h->items[i] != t) return;
  brtc_timer *last = h->items[--h->count];
  if (last == t) return;
  place(h, i, last);
  sift_down(h, i);
  sift_up(h, last->index);
}

void brtc_timer_heap_update(brtc_timer_heap *h, brtc_timer *t, uint64_t deadline) {
  uint64_t old = t->deadline;
  if (old == deadline) return;
  t->deadline = deadline;
  if (t->index >= h->count || h->items[t->index] != t) return; /* not in the heap */
  if (deadline < old) sift_up(h, t->index);
  else sift_down(h, t->index);
}

uint64_t brtc_timer_heap_earliest(const brtc_timer_heap *h) {
  return h->count ? h->items[0]->deadline : UINT64_MAX;
}

size_t brtc_timer_heap_collect_due(const brtc_timer_heap *h, uint64_t now, brtc_timer **out,
                                   size_t cap) {
  /* Walk the heap breadth-first from the root; a node not due has no due descendants. An
   * explicit queue in out itself: each collected node's children are looked at in turn. */
  size_t n = 0;
  if (h->count == 0 || h->items[0]->deadline > now || cap == 0) return 0;
  out[n++] = h->items[0];
  for (size_t k = 0; k < n; k++) {
    size_t i = out[k]->index;
    for (size_t c = 2 * i + 1; c <= 2 * i + 2 && c < h->count; c++) {
      if (h->items[c]->deadline <= now && n < cap) out[n++] = h->items[c];
    }
  }
  return n;
}
