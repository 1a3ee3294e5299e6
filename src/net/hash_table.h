/* The open-addressing table behind the loop's two lookups (address -> pc, ufrag -> pc):
 * linear probing, load factor kept at or under 1/2 by growing on insert only, and
 * backward-shift deletion so there are no tombstones. Keys live in the slot; the typed
 * wrappers (addr_map.h, ufrag_map.h) supply the hash and the key comparison. */
#ifndef BRTC_NET_HASH_TABLE_H
#define BRTC_NET_HASH_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

typedef struct brtc_hash_slot {
  void *value; /* NULL: the slot is free */
  uint32_t hash;
  uint32_t aux; /* free for the wrapper (addr_map: the socket index) */
  union {
    brtc_addr addr;
    struct {
      const char *ptr; /* borrowed */
      size_t len;
    } str;
  } key;
} brtc_hash_slot;

typedef struct brtc_hash_table {
  brtc_hash_slot *slots;
  size_t cap; /* 0 or a power of two */
  size_t count;
} brtc_hash_table;

typedef bool (*brtc_hash_key_eq)(const brtc_hash_slot *slot, const void *key);

void brtc_hash_table_init(brtc_hash_table *t);
void brtc_hash_table_free(brtc_hash_table *t);
/* Make room for n entries so that inserting up to n allocates nothing. */
int brtc_hash_table_reserve(brtc_hash_table *t, size_t n);
brtc_hash_slot *brtc_hash_table_find(const brtc_hash_table *t, uint32_t hash, const void *key,
                                     brtc_hash_key_eq eq);
/* A free slot for a new key of this hash (not yet present), growing if needed; the caller
 * fills key and a non-NULL value. NULL when out of memory. */
brtc_hash_slot *brtc_hash_table_claim(brtc_hash_table *t, uint32_t hash);
void brtc_hash_table_delete(brtc_hash_table *t, brtc_hash_slot *slot);
/* Delete every entry whose value is value; returns how many. */
size_t brtc_hash_table_delete_value(brtc_hash_table *t, const void *value);

#endif
