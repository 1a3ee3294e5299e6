/* ICE ufrag -> peer connection, for the first STUN check from an unknown address. Keys are
 * borrowed and must outlive their entry. */
#ifndef BRTC_NET_UFRAG_MAP_H
#define BRTC_NET_UFRAG_MAP_H

#include "net/hash_table.h"

typedef brtc_hash_table brtc_ufrag_map;

static inline void brtc_ufrag_map_init(brtc_ufrag_map *m) { brtc_hash_table_init(m); }
static inline void brtc_ufrag_map_free(brtc_ufrag_map *m) { brtc_hash_table_free(m); }
/* Insert; BRTC_ERR_STATE if the ufrag is already taken by another value. */
int brtc_ufrag_map_put(brtc_ufrag_map *m, const char *key, size_t key_len, void *value);
void *brtc_ufrag_map_find(const brtc_ufrag_map *m, const void *key, size_t key_len);
void brtc_ufrag_map_remove(brtc_ufrag_map *m, const void *key, size_t key_len);

#endif
