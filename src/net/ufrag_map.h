/* ICE ufrag -> peer connection lookup, for the first STUN check from an unknown address.
 * Open addressing like addr_map; keys are borrowed and must outlive their entry. */
#ifndef BRTC_NET_UFRAG_MAP_H
#define BRTC_NET_UFRAG_MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct brtc_ufrag_map_slot {
  const char *key; /* NULL: the slot is free */
  size_t key_len;
  uint32_t hash;
  void *value;
} brtc_ufrag_map_slot;

typedef struct brtc_ufrag_map {
  brtc_ufrag_map_slot *slots;
  size_t cap; /* 0 or a power of two */
  size_t count;
} brtc_ufrag_map;

void brtc_ufrag_map_init(brtc_ufrag_map *m);
void brtc_ufrag_map_free(brtc_ufrag_map *m);
/* Insert; BRTC_ERR_STATE if the ufrag is already taken by another value. */
int brtc_ufrag_map_put(brtc_ufrag_map *m, const char *key, size_t key_len, void *value);
void *brtc_ufrag_map_find(const brtc_ufrag_map *m, const void *key, size_t key_len);
void brtc_ufrag_map_remove(brtc_ufrag_map *m, const void *key, size_t key_len);

#endif
