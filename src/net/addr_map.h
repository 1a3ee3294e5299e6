/* Address -> peer connection, for every datagram: one hash and usually one probe. Grows only
 * when a pc starts owning an address, never on lookup. */
#ifndef BRTC_NET_ADDR_MAP_H
#define BRTC_NET_ADDR_MAP_H

#include "net/hash_table.h"

typedef brtc_hash_table brtc_addr_map;

/* slot->value is the pc, slot->aux the loop socket the address last reached us on. */
static inline void brtc_addr_map_init(brtc_addr_map *m) { brtc_hash_table_init(m); }
static inline void brtc_addr_map_free(brtc_addr_map *m) { brtc_hash_table_free(m); }
static inline int brtc_addr_map_reserve(brtc_addr_map *m, size_t n) {
  return brtc_hash_table_reserve(m, n);
}
brtc_hash_slot *brtc_addr_map_find(const brtc_addr_map *m, const brtc_addr *key);
/* Insert or replace. value must not be NULL. */
int brtc_addr_map_put(brtc_addr_map *m, const brtc_addr *key, void *value, uint32_t sock);
bool brtc_addr_map_remove(brtc_addr_map *m, const brtc_addr *key);
/* Remove every entry mapping to value (when a pc goes away). Returns how many. */
static inline size_t brtc_addr_map_remove_value(brtc_addr_map *m, const void *value) {
  return brtc_hash_table_delete_value(m, value);
}

#endif
