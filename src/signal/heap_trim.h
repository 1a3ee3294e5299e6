/* Giving memory back after a burst of sessions. glibc's malloc returns freed memory to the
 * system only from the top of the main heap (and from mmapped chunks); once a burst of
 * sessions has ended, the heap below a few long-lived allocations (the closed-session ring,
 * keyframe records, buffers of the HTTP layer) is mostly free yet stays resident: after 500
 * sessions came and went the heap held 21.7 MB of which 1.9 MB in use. malloc_trim(0)
 * releases the free pages inside the heap as well (madvise), at a cost that grows with the
 * heap, so it is called only when the number of live sessions has halved since the last
 * trim (or the peak since): a handful of times per burst, never per session in a steady
 * churn, and only when enough of the heap is free to be worth it. */
#ifndef BRTC_SIGNAL_HEAP_TRIM_H
#define BRTC_SIGNAL_HEAP_TRIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BRTC_HEAP_TRIM_MIN_FREE (4u * 1024 * 1024) /* less free heap than this: not worth it */

typedef struct brtc_heap_trim {
  size_t peak;        /* most live sessions since the last trim */
  uint64_t trims;     /* malloc_trim calls made */
  uint64_t released;  /* resident bytes they gave back */
} brtc_heap_trim;

/* A session started: live are live now. */
void brtc_heap_trim_started(brtc_heap_trim *t, size_t live);
/* Whether sessions ending down to live calls for a trim: live is at most half the peak. */
bool brtc_heap_trim_due(const brtc_heap_trim *t, size_t live);
/* Sessions ended and live are left: trims if due and the heap has at least
 * BRTC_HEAP_TRIM_MIN_FREE free. Returns the resident bytes given back (0: no trim). */
uint64_t brtc_heap_trim_after_end(brtc_heap_trim *t, size_t live);

#endif
