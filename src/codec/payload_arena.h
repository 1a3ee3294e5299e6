/* The payload bytes of a reordering window's packets, in one buffer shared by the window's
 * slots (src/codec/rtp_reorder.c and the VP8 assembler's own window).
 *
 * Payloads are appended at the end; a payload whose slot leaves becomes a hole, and the
 * buffer starts over at the front when every payload has left. When the end is reached the
 * owner lists its live payloads and the arena compacts them to the front (each moves down
 * only, and payloads that lay one after the other still do: the VP8 assembler hands such a
 * run out as a frame without copying). Only then does it grow, by half, until a third of it
 * stays free after the compaction, so compactions stay rare and growth never happens per
 * packet; it never grows past max (twice a full window of full packets). */
#ifndef BRTC_PAYLOAD_ARENA_H
#define BRTC_PAYLOAD_ARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct brtc_payload_arena {
  uint8_t *bytes;
  size_t cap;  /* allocated */
  size_t end;  /* where the next payload goes */
  size_t live; /* bytes still owned by a slot; end - live are holes */
  size_t max;  /* the most it may grow to */
} brtc_payload_arena;

/* One live payload, listed by the owner for a compaction: where the owner keeps its offset
 * (updated in place) and its length. */
typedef struct brtc_payload_ref {
  uint32_t *off;
  uint32_t len;
} brtc_payload_ref;

/* No allocation until the first payload. */
void brtc_payload_arena_init(brtc_payload_arena *a, size_t max);
void brtc_payload_arena_free(brtc_payload_arena *a);

/* True when len more bytes fit at the end as the arena stands. */
static inline bool brtc_payload_arena_fits(const brtc_payload_arena *a, size_t len) {
  return a->end + len <= a->cap;
}
/* True when a compaction would free something. */
static inline bool brtc_payload_arena_has_holes(const brtc_payload_arena *a) {
  return a->live < a->end;
}
/* Move the listed payloads (every live one; refs is reordered) to the front. */
void brtc_payload_arena_compact(brtc_payload_arena *a, brtc_payload_ref *refs, size_t n);
/* After a compaction: grow so that len more bytes fit. BRTC_OK or BRTC_ERR_NOMEM (at max,
 * or out of memory; the arena is unchanged then). */
int brtc_payload_arena_grow(brtc_payload_arena *a, size_t len);

/* Append len bytes that fit (brtc_payload_arena_fits); returns their offset. */
static inline uint32_t brtc_payload_arena_append(brtc_payload_arena *a, const uint8_t *p,
                                                 size_t len) {
  uint32_t off = (uint32_t)a->end;
  if (len) memcpy(a->bytes + off, p, len);
  a->end += len;
  a->live += len;
  return off;
}
/* A payload of len bytes left its slot. */
static inline void brtc_payload_arena_release(brtc_payload_arena *a, size_t len) {
  a->live -= len;
  if (a->live == 0) a->end = 0; /* all holes: start over at the front */
}
/* Every payload left (a reset); the memory stays. */
static inline void brtc_payload_arena_clear(brtc_payload_arena *a) { a->live = a->end = 0; }

#endif
