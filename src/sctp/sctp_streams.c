/* Per-stream state tables: a sorted array searched by binary search. Data channels use a few
 * streams, so this beats a hash for size and speed; it grows by doubling and is bounded by the
 * caller's max. */
#include <stdlib.h>
#include <string.h>

#include "sctp/sctp_internal.h"

static uint16_t id_at(const sctp_table *t, uint32_t i) {
  uint16_t id;
  memcpy(&id, sctp_table_at(t, i), sizeof id);
  return id;
}

/* The index of id, or where it would go. */
static uint32_t lower_bound(const sctp_table *t, uint16_t id) {
  uint32_t lo = 0, hi = t->count;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (id_at(t, mid) < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

void *sctp_table_find(const sctp_table *t, uint16_t id) {
  uint32_t i = lower_bound(t, id);
  return i < t->count && id_at(t, i) == id ? sctp_table_at(t, i) : NULL;
}

void *sctp_table_get(sctp_table *t, uint16_t id, uint32_t max) {
  uint32_t i = lower_bound(t, id);
  if (i < t->count && id_at(t, i) == id) return sctp_table_at(t, i);
  if (t->count >= max) return NULL;
  if (t->count == t->cap) {
    uint32_t cap = t->cap ? t->cap * 2 : 2;
    void *items = realloc(t->items, (size_t)cap * t->elem);
    if (!items) return NULL;
    t->items = items;
    t->cap = cap;
  }
  uint8_t *at = sctp_table_at(t, i);
  memmove(at + t->elem, at, (size_t)(t->count - i) * t->elem);
  memset(at, 0, t->elem);
  memcpy(at, &id, sizeof id);
  t->count++;
  return at;
}

void sctp_table_remove(sctp_table *t, uint16_t id) {
  uint32_t i = lower_bound(t, id);
  if (i >= t->count || id_at(t, i) != id) return;
  uint8_t *at = sctp_table_at(t, i);
  memmove(at, at + t->elem, (size_t)(t->count - i - 1) * t->elem);
  t->count--;
  if (t->count == 0) { /* an idle association keeps no table */
    free(t->items);
    t->items = NULL;
    t->cap = 0;
  }
}

void sctp_table_free(sctp_table *t) {
  free(t->items);
  t->items = NULL;
  t->count = t->cap = 0;
}
