#include "net/addr_map.h"

#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"

#define ADDR_MAP_MIN_CAP 16

void brtc_addr_map_init(brtc_addr_map *m) { memset(m, 0, sizeof(*m)); }

void brtc_addr_map_free(brtc_addr_map *m) {
  free(m->slots);
  memset(m, 0, sizeof(*m));
}

static void insert_slot(brtc_addr_map_slot *slots, size_t cap, const brtc_addr_map_slot *s) {
  size_t mask = cap - 1;
  for (size_t i = s->hash & mask;; i = (i + 1) & mask) {
    if (!slots[i].value) {
      slots[i] = *s;
      return;
    }
  }
}

static int rehash(brtc_addr_map *m, size_t new_cap) {
  brtc_addr_map_slot *slots = calloc(new_cap, sizeof(*slots));
  if (!slots) return BRTC_ERR_NOMEM;
  for (size_t i = 0; i < m->cap; i++)
    if (m->slots[i].value) insert_slot(slots, new_cap, &m->slots[i]);
  free(m->slots);
  m->slots = slots;
  m->cap = new_cap;
  return BRTC_OK;
}

int brtc_addr_map_reserve(brtc_addr_map *m, size_t n) {
  /* Keep the load factor at or under 1/2 so probe chains stay short. */
  size_t want = ADDR_MAP_MIN_CAP;
  while (want < 2 * n) {
    if (want > SIZE_MAX / 4) return BRTC_ERR_NOMEM;
    want *= 2;
  }
  if (want <= m->cap) return BRTC_OK;
  return rehash(m, want);
}

brtc_addr_map_slot *brtc_addr_map_find(const brtc_addr_map *m, const brtc_addr *key) {
  if (m->count == 0) return NULL;
  uint32_t h = brtc_addr_hash(key);
  size_t mask = m->cap - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    brtc_addr_map_slot *s = &m->slots[i];
    if (!s->value) return NULL;
    if (s->hash == h && brtc_addr_equal(&s->key, key)) return s;
  }
}

int brtc_addr_map_put(brtc_addr_map *m, const brtc_addr *key, void *value, uint32_t sock) {
  if (!value) return BRTC_ERR_INVALID;
  brtc_addr_map_slot *found = brtc_addr_map_find(m, key);
  if (found) {
    found->value = value;
    found->sock = sock;
    return BRTC_OK;
  }
  if (4 * (m->count + 1) > 3 * m->cap) {
    int rc = brtc_addr_map_reserve(m, m->count + 1);
    if (rc) return rc;
  }
  brtc_addr_map_slot s;
  memset(&s, 0, sizeof(s));
  s.key = *key;
  s.value = value;
  s.hash = brtc_addr_hash(key);
  s.sock = sock;
  insert_slot(m->slots, m->cap, &s);
  m->count++;
  return BRTC_OK;
}

/* Empty slot i and pull later members of its probe chain back, so lookups never need
 * tombstones. */
static void delete_at(brtc_addr_map *m, size_t i) {
  size_t mask = m->cap - 1;
  size_t hole = i;
  for (size_t j = (i + 1) & mask; m->slots[j].value; j = (j + 1) & mask) {
    size_t home = m->slots[j].hash & mask;
    /* Move j into the hole unless its home lies cyclically in (hole, j]. */
    bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!stays) {
      m->slots[hole] = m->slots[j];
      hole = j;
    }
  }
  memset(&m->slots[hole], 0, sizeof(m->slots[hole]));
  m->count--;
}

bool brtc_addr_map_remove(brtc_addr_map *m, const brtc_addr *key) {
  brtc_addr_map_slot *s = brtc_addr_map_find(m, key);
  if (!s) return false;
  delete_at(m, (size_t)(s - m->slots));
  return true;
}

size_t brtc_addr_map_remove_value(brtc_addr_map *m, const void *value) {
  size_t removed = 0;
  for (size_t i = 0; i < m->cap;) {
    /* After a deletion slot i holds a shifted entry: look at it again. */
    if (m->slots[i].value == value) {
      delete_at(m, i);
      removed++;
    } else {
      i++;
    }
  }
  return removed;
}
