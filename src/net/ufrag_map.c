#include "net/ufrag_map.h"

#include <string.h>

#include "boltrtc/error.h"

typedef struct ufrag_key {
  const void *ptr;
  size_t len;
} ufrag_key;

static uint32_t hash_bytes(const void *key, size_t len) {
  const uint8_t *p = key;
  uint32_t h = 2166136261u; /* FNV-1a */
  for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * 16777619u;
  return h;
}

static bool ufrag_eq(const brtc_hash_slot *slot, const void *key) {
  const ufrag_key *k = key;
  return slot->key.str.len == k->len && memcmp(slot->key.str.ptr, k->ptr, k->len) == 0;
}

static brtc_hash_slot *find_slot(const brtc_ufrag_map *m, const void *key, size_t key_len) {
  ufrag_key k = {key, key_len};
  return brtc_hash_table_find(m, hash_bytes(key, key_len), &k, ufrag_eq);
}

int brtc_ufrag_map_put(brtc_ufrag_map *m, const char *key, size_t key_len, void *value) {
  if (!key || !value) return BRTC_ERR_INVALID;
  brtc_hash_slot *s = find_slot(m, key, key_len);
  if (s) return s->value == value ? BRTC_OK : BRTC_ERR_STATE;
  s = brtc_hash_table_claim(m, hash_bytes(key, key_len));
  if (!s) return BRTC_ERR_NOMEM;
  s->key.str.ptr = key;
  s->key.str.len = key_len;
  s->value = value;
  return BRTC_OK;
}

void *brtc_ufrag_map_find(const brtc_ufrag_map *m, const void *key, size_t key_len) {
  brtc_hash_slot *s = find_slot(m, key, key_len);
  return s ? s->value : NULL;
}

void brtc_ufrag_map_remove(brtc_ufrag_map *m, const void *key, size_t key_len) {
  brtc_hash_slot *s = find_slot(m, key, key_len);
  if (s) brtc_hash_table_delete(m, s);
}
