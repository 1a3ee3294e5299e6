/* The loop's routing of STUN responses by transaction ID (stun_route.h). Open addressing
 * with linear probing over a table at most half full. Entries leave only by a rebuild, which
 * drops the expired ones when the table would otherwise grow; a removed pc's entries become
 * expired tombstones in place. A lookup therefore ends at the first free slot. */
#include "net/stun_route.h"

#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "stun/stun.h"

#define MIN_CAP 64u

/* The owner of a forgotten entry: never handed out (its expiry is 0). */
static char tombstone;

brtc_datagram_kind brtc_datagram_kind_of(const uint8_t *data, size_t len) {
  if (len < 4) return BRTC_DGRAM_OTHER;
  /* RFC 7983 / RFC 8656 12.4: ChannelData's first byte is 64..79 (0x4000-0x4FFF). */
  if (data[0] >= 0x40 && data[0] <= 0x4F) return BRTC_DGRAM_ALLOCATION;
  if (data[0] > 3 || len < BRTC_STUN_HEADER_SIZE) return BRTC_DGRAM_OTHER;
  /* RFC 8489 6: the magic cookie, then the class and method bits of the message type. */
  if (data[4] != 0x21 || data[5] != 0x12 || data[6] != 0xA4 || data[7] != 0x42)
    return BRTC_DGRAM_OTHER;
  uint16_t type = (uint16_t)(data[0] << 8 | data[1]);
  uint16_t cls = type & 0x0110;
  uint16_t method = (uint16_t)((type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2));
  if (method == 0x001) /* Binding */
    return cls == 0x0000 ? BRTC_DGRAM_REQUEST
                         : (cls & 0x0100) ? BRTC_DGRAM_RESPONSE : BRTC_DGRAM_OTHER;
  /* RFC 8656 18: Allocate, Refresh, Send, CreatePermission, ChannelBind; a pc sends no
   * response of them, and their responses come back on the allocation's own socket. */
  bool turn = method == 0x003 || method == 0x004 || method == 0x006 || method == 0x008 ||
              method == 0x009;
  if (turn && !(cls & 0x0100)) return BRTC_DGRAM_ALLOCATION;
  return (cls & 0x0100) ? BRTC_DGRAM_RESPONSE : BRTC_DGRAM_OTHER;
}

void brtc_stun_route_init(brtc_stun_route *r) { memset(r, 0, sizeof(*r)); }

void brtc_stun_route_free(brtc_stun_route *r) {
  free(r->slots);
  memset(r, 0, sizeof(*r));
}

/* Transaction IDs are random (RFC 8489 6: 96 bits from a CSPRNG), ours: any 4 bytes hash. */
static size_t home(const uint8_t *tid, size_t cap) {
  uint32_t h = (uint32_t)tid[0] | (uint32_t)tid[1] << 8 | (uint32_t)tid[2] << 16 |
               (uint32_t)tid[3] << 24;
  h ^= (uint32_t)tid[4] << 8 ^ (uint32_t)tid[8] << 16;
  return (size_t)(h * 2654435761u) & (cap - 1);
}

static brtc_stun_route_entry *lookup(const brtc_stun_route *r, const uint8_t *tid) {
  if (!r->cap) return NULL;
  for (size_t i = home(tid, r->cap);; i = (i + 1) & (r->cap - 1)) {
    brtc_stun_route_entry *e = &r->slots[i];
    if (!e->owner) return NULL;
    if (memcmp(e->tid, tid, sizeof e->tid) == 0) return e;
  }
}

/* Move the entries not yet expired into a table of cap slots. */
static int rebuild(brtc_stun_route *r, size_t cap, uint64_t now) {
  brtc_stun_route_entry *slots = calloc(cap, sizeof(*slots));
  if (!slots) return BRTC_ERR_NOMEM;
  size_t count = 0;
  for (size_t i = 0; i < r->cap; i++) {
    const brtc_stun_route_entry *e = &r->slots[i];
    if (!e->owner || e->expires <= now) continue;
    size_t k = home(e->tid, cap);
    while (slots[k].owner) k = (k + 1) & (cap - 1);
    slots[k] = *e;
    count++;
  }
  free(r->slots);
  r->slots = slots;
  r->cap = cap;
  r->count = count;
  return BRTC_OK;
}

int brtc_stun_route_note(brtc_stun_route *r, const uint8_t *data, size_t len, void *owner,
                         uint64_t now) {
  if (!owner || len < BRTC_STUN_HEADER_SIZE) return BRTC_ERR_INVALID;
  const uint8_t *tid = data + 8;
  brtc_stun_route_entry *e = lookup(r, tid);
  if (e) { /* a retransmission: the transaction lives on */
    e->owner = owner;
    e->expires = now + BRTC_STUN_ROUTE_TTL_US;
    return BRTC_OK;
  }
  if ((r->count + 1) * 2 > r->cap) {
    /* Reclaim the expired ones first; grow only if that leaves it more than a quarter full. */
    size_t live = 0;
    for (size_t i = 0; i < r->cap; i++)
      if (r->slots[i].owner && r->slots[i].expires > now) live++;
    size_t cap = r->cap ? r->cap : MIN_CAP;
    if ((live + 1) * 4 > cap) cap *= 2;
    if (cap / 2 > BRTC_STUN_ROUTE_MAX) {
      r->refused++;
      return BRTC_ERR_LIMIT;
    }
    if (rebuild(r, cap, now) != BRTC_OK) {
      r->refused++;
      return BRTC_ERR_NOMEM;
    }
  }
  size_t k = home(tid, r->cap);
  while (r->slots[k].owner) k = (k + 1) & (r->cap - 1);
  memcpy(r->slots[k].tid, tid, sizeof r->slots[k].tid);
  r->slots[k].owner = owner;
  r->slots[k].expires = now + BRTC_STUN_ROUTE_TTL_US;
  r->count++;
  return BRTC_OK;
}

void *brtc_stun_route_find(const brtc_stun_route *r, const uint8_t *data, size_t len,
                           uint64_t now) {
  if (len < BRTC_STUN_HEADER_SIZE) return NULL;
  const brtc_stun_route_entry *e = lookup(r, data + 8);
  return e && e->expires > now ? e->owner : NULL;
}

void brtc_stun_route_forget(brtc_stun_route *r, const void *owner) {
  /* In place, allocating nothing: each entry becomes a tombstone (expired, so no response
   * matches it and the next rebuild drops it) and keeps its slot, so probes still pass. */
  for (size_t i = 0; i < r->cap; i++) {
    if (r->slots[i].owner != owner) continue;
    r->slots[i].owner = &tombstone;
    r->slots[i].expires = 0;
  }
}
