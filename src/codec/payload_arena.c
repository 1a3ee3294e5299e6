/* The payload arena of a reordering window (see payload_arena.h). */
#include "codec/payload_arena.h"

#include <stdlib.h>

#include "boltrtc/error.h"

#define ARENA_START (16 * 1024)

void brtc_payload_arena_init(brtc_payload_arena *a, size_t max) {
  *a = (brtc_payload_arena){.max = max ? max : 1};
}

void brtc_payload_arena_free(brtc_payload_arena *a) {
  free(a->bytes);
  a->bytes = NULL;
  a->cap = a->end = a->live = 0;
}

static int by_offset(const void *x, const void *y) {
  uint32_t a = *((const brtc_payload_ref *)x)->off, b = *((const brtc_payload_ref *)y)->off;
  return a < b ? -1 : a > b;
}

void brtc_payload_arena_compact(brtc_payload_arena *a, brtc_payload_ref *refs, size_t n) {
  qsort(refs, n, sizeof(refs[0]), by_offset);
  uint32_t end = 0;
  for (size_t i = 0; i < n; i++) {
    if (*refs[i].off != end) memmove(a->bytes + end, a->bytes + *refs[i].off, refs[i].len);
    *refs[i].off = end;
    end += refs[i].len;
  }
  a->end = end;
}

int brtc_payload_arena_grow(brtc_payload_arena *a, size_t len) {
  size_t need = a->live + len, cap = a->cap ? a->cap : ARENA_START;
  while (need > cap - cap / 3 && cap < a->max) {
    cap += cap / 2;
    if (cap > a->max) cap = a->max;
  }
  if (cap > a->cap) {
    uint8_t *p = realloc(a->bytes, cap);
    if (p) {
      a->bytes = p;
      a->cap = cap;
    }
  }
  return brtc_payload_arena_fits(a, len) ? BRTC_OK : BRTC_ERR_NOMEM;
}
