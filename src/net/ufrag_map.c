#include "net/ufrag_map.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"

#define UFRAG_MAP_MIN_CAP 16

static uint32_t hash_bytes(const void *key, size_t len) {
  const uint8_t *p = key;
  uint32_t h = 2166136261u; /* FNV-1a */
  for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * 16777619u;
  return h;
}

void brtc_ufrag_map_init(brtc_ufrag_map *m) { memset(m, 0, sizeof(*m)); }

void brtc_ufrag_map_free(brtc_ufrag_map *m) {
  free(m->slots);
  memset(m, 0, sizeof(*m));
}

static void insert_slot(brtc_ufrag_map_slot *slots, size_t cap, const brtc_ufrag_map_slot *s) {
  size_t mask = cap - 1;
  for (size_t i = s->hash & mask;; i = (i + 1) & mask) {
    if (!slots[i].key) {
      slots[i] = *s;
      return;
    }
  }
}

static int grow(brtc_ufrag_map *m) {
  size_t new_cap = m->cap ? m->cap * 2 : UFRAG_MAP_MIN_CAP;
  brtc_ufrag_map_slot *slots = calloc(new_cap, sizeof(*slots));
  if (!slots) return BRTC_ERR_NOMEM;
  for (size_t i = 0; i < m->cap; i++)
    if (m->slots[i].key) insert_slot(slots, new_cap, &m->slots[i]);
  free(m->slots);
  m->slots = slots;
  m->cap = new_cap;
  return BRTC_OK;
}

static brtc_ufrag_map_slot *find_slot(const brtc_ufrag_map *m, const void *key, size_t key_len) {
  if (m->count == 0) return NULL;
  uint32_t h = hash_bytes(key, key_len);
  size_t mask = m->cap - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    brtc_ufrag_map_slot *s = &m->slots[i];
    if (!s->key) return NULL;
    if (s->hash == h && s->key_len == key_len && memcmp(s->key, key, key_len) == 0) return s;
  }
}

int brtc_ufrag_map_put(brtc_ufrag_map *m, const char *key, size_t key_len, void *value) {
  if (!key || !value) return BRTC_ERR_INVALID;
  brtc_ufrag_map_slot *found = find_slot(m, key, key_len);
  if (found) return found->value == value ? BRTC_OK : BRTC_ERR_STATE;
  if (2 * (m->count + 1) > m->cap) { /* load factor <= 1/2 */
    int rc = grow(m);
    if (rc) return rc;
  }
  brtc_ufrag_map_slot s = {.key = key, .key_len = key_len, .hash = hash_bytes(key, key_len),
                           .value = value};
  insert_slot(m->slots, m->cap, &s);
  m->count++;
  return BRTC_OK;
}

void *brtc_ufrag_map_find(const brtc_ufrag_map *m, const void *key, size_t key_len) {
  brtc_ufrag_map_slot *s = find_slot(m, key, key_len);
  return s ? s->value : NULL;
}

void brtc_ufrag_map_remove(brtc_ufrag_map *m, const void *key, size_t key_len) {
  brtc_ufrag_map_slot *s = find_slot(m, key, key_len);
  if (!s) return;
  size_t mask = m->cap - 1;
  size_t hole = (size_t)(s - m->slots);
  for (size_t j = (hole + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
    size_t home = m->slots[j].hash & mask;
    bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!stays) {
      m->slots[hole] = m->slots[j];
      hole = j;
    }
  }
  memset(&m->slots[hole], 0, sizeof(m->slots[hole]));
  m->count--;
}
