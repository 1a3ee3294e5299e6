#include "net/addr_map.h"

#include "boltrtc/error.h"

static bool addr_eq(const brtc_hash_slot *slot, const void *key) {
  return brtc_addr_equal(&slot->key.addr, key);
}

brtc_hash_slot *brtc_addr_map_find(const brtc_addr_map *m, const brtc_addr *key) {
  return brtc_hash_table_find(m, brtc_addr_hash(key), key, addr_eq);
}

int brtc_addr_map_put(brtc_addr_map *m, const brtc_addr *key, void *value, uint32_t sock) {
  if (!value) return BRTC_ERR_INVALID;
  uint32_t hash = brtc_addr_hash(key);
  brtc_hash_slot *s = brtc_hash_table_find(m, hash, key, addr_eq);
  if (!s) s = brtc_hash_table_claim(m, hash);
  if (!s) return BRTC_ERR_NOMEM;
  s->key.addr = *key;
  s->value = value;
  s->aux = sock;
  return BRTC_OK;
}

bool brtc_addr_map_remove(brtc_addr_map *m, const brtc_addr *key) {
  brtc_hash_slot *s = brtc_addr_map_find(m, key);
  if (!s) return false;
  brtc_hash_table_delete(m, s);
  return true;
}
