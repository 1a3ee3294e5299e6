/* A binary min-heap of deadlines, one per peer connection, so the loop finds the next
 * deadline in O(1) and re-keys a pc in O(log n) after touching it. Timers are embedded in
 * their owner (intrusive); the heap only stores pointers and never allocates on update. */
#ifndef BRTC_NET_TIMER_HEAP_H
#define BRTC_NET_TIMER_HEAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct brtc_timer {
  uint64_t deadline; /* UINT64_MAX: none */
  size_t index;      /* position in the heap, maintained by it */
} brtc_timer;

typedef struct brtc_timer_heap {
  brtc_timer **items;
  size_t count, cap;
} brtc_timer_heap;

void brtc_timer_heap_init(brtc_timer_heap *h);
void brtc_timer_heap_free(brtc_timer_heap *h);
int brtc_timer_heap_push(brtc_timer_heap *h, brtc_timer *t); /* may allocate */
void brtc_timer_heap_remove(brtc_timer_heap *h, brtc_timer *t);
void brtc_timer_heap_update(brtc_timer_heap *h, brtc_timer *t, uint64_t deadline);
/* The earliest deadline, UINT64_MAX if none. */
uint64_t brtc_timer_heap_earliest(const brtc_timer_heap *h);
/* Up to cap timers due at now (deadline <= now), without changing the heap. */
size_t brtc_timer_heap_collect_due(const brtc_timer_heap *h, uint64_t now, brtc_timer **out,
                                   size_t cap);

#endif
