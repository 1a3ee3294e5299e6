/* Address -> peer connection lookup for the loop: open addressing with linear probing and
 * backward-shift deletion (no tombstones), so a lookup per datagram costs one hash and
 * usually one probe. Grows only on insert (when a pc starts owning an address), never on
 * lookup. */
#ifndef BRTC_NET_ADDR_MAP_H
#define BRTC_NET_ADDR_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

typedef struct brtc_addr_map_slot {
  brtc_addr key;
  void *value;   /* NULL: the slot is free */
  uint32_t hash;
  uint32_t sock; /* the loop socket this address last sent to us on */
} brtc_addr_map_slot;

typedef struct brtc_addr_map {
  brtc_addr_map_slot *slots;
  size_t cap; /* 0 or a power of two */
  size_t count;
} brtc_addr_map;

void brtc_addr_map_init(brtc_addr_map *m);
void brtc_addr_map_free(brtc_addr_map *m);
/* Make room for n entries without growing on later inserts. */
int brtc_addr_map_reserve(brtc_addr_map *m, size_t n);
/* Insert or replace. value must not be NULL. */
int brtc_addr_map_put(brtc_addr_map *m, const brtc_addr *key, void *value, uint32_t sock);
brtc_addr_map_slot *brtc_addr_map_find(const brtc_addr_map *m, const brtc_addr *key);
bool brtc_addr_map_remove(brtc_addr_map *m, const brtc_addr *key);
/* Remove every entry mapping to value (when a pc goes away). Returns how many. */
size_t brtc_addr_map_remove_value(brtc_addr_map *m, const void *value);

#endif
