#include "net/hash_table.h"

#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"

#define HASH_TABLE_MIN_CAP 16

void brtc_hash_table_init(brtc_hash_table *t) { memset(t, 0, sizeof(*t)); }

void brtc_hash_table_free(brtc_hash_table *t) {
  free(t->slots);
  memset(t, 0, sizeof(*t));
}

static brtc_hash_slot *free_slot(brtc_hash_slot *slots, size_t cap, uint32_t hash) {
  size_t mask = cap - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask)
    if (!slots[i].value) return &slots[i];
}

int brtc_hash_table_reserve(brtc_hash_table *t, size_t n) {
  size_t want = HASH_TABLE_MIN_CAP;
  while (want < 2 * n) {
    if (want > SIZE_MAX / 2 / sizeof(brtc_hash_slot)) return BRTC_ERR_NOMEM;
    want *= 2;
  }
  if (want <= t->cap) return BRTC_OK;
  brtc_hash_slot *slots = calloc(want, sizeof(*slots));
  if (!slots) return BRTC_ERR_NOMEM;
  for (size_t i = 0; i < t->cap; i++)
    if (t->slots[i].value) *free_slot(slots, want, t->slots[i].hash) = t->slots[i];
  free(t->slots);
  t->slots = slots;
  t->cap = want;
  return BRTC_OK;
}

brtc_hash_slot *brtc_hash_table_find(const brtc_hash_table *t, uint32_t hash, const void *key,
                                     brtc_hash_key_eq eq) {
  if (t->count == 0) return NULL;
  size_t mask = t->cap - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    brtc_hash_slot *s = &t->slots[i];
    if (!s->value) return NULL;
    if (s->hash == hash && eq(s, key)) return s;
  }
}

brtc_hash_slot *brtc_hash_table_claim(brtc_hash_table *t, uint32_t hash) {
  if (brtc_hash_table_reserve(t, t->count + 1) != BRTC_OK) return NULL;
  brtc_hash_slot *s = free_slot(t->slots, t->cap, hash);
  memset(s, 0, sizeof(*s));
  s->hash = hash;
  t->count++;
  return s;
}

void brtc_hash_table_delete(brtc_hash_table *t, brtc_hash_slot *slot) {
  size_t mask = t->cap - 1;
  size_t hole = (size_t)(slot - t->slots);
  /* Pull later members of the probe chain back into the hole, unless their home slot lies
   * cyclically in (hole, j]: then they must stay where a lookup would reach them. */
  for (size_t j = (hole + 1) & mask; t->slots[j].value; j = (j + 1) & mask) {
    size_t home = t->slots[j].hash & mask;
    bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!stays) {
      t->slots[hole] = t->slots[j];
      hole = j;
    }
  }
  memset(&t->slots[hole], 0, sizeof(t->slots[hole]));
  t->count--;
}

size_t brtc_hash_table_delete_value(brtc_hash_table *t, const void *value) {
  size_t removed = 0;
  for (size_t i = 0; i < t->cap;) {
    /* After a deletion slot i may hold a shifted entry: look at it again. */
    if (t->slots[i].value == value) {
      brtc_hash_table_delete(t, &t->slots[i]);
      removed++;
    } else {
      i++;
    }
  }
  return removed;
}
