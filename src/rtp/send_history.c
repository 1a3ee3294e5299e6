/* Send history: a ring of packets by sequence number over one byte arena. */
#include "rtp/send_history.h"

#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"

struct brtc_send_history {
  brtc_send_history_config cfg;
  /* The entries ring: slots (a power of two, at most cfg.max_packets) and seq & mask. */
  size_t slots, min_slots, mask;
  uint8_t *arena;
  brtc_send_history_entry *entries;
  size_t count, unsent, bytes;
  uint16_t oldest, newest;
  /* Arena use: the oldest packet starts at tail, the newest ends at head. tail < head: the
   * packets lie in [tail, head); otherwise they wrapped: [tail, end of use) and [0, head). */
  size_t head, tail;
  size_t cap, min_cap; /* the arena's size now, and the least it shrinks to */
  bool reserved;
  size_t reserved_at, reserved_len;
  brtc_send_history_stats stats;
};

#define MIN_SLOTS 16 /* entries at the least: one small frame's packets */

static size_t round_up_pow2(size_t v) {
  size_t p = 1;
  while (p < v) p <<= 1;
  return p;
}

void brtc_send_history_config_for_bitrate(brtc_send_history_config *c, uint64_t bitrate_bps,
                                          uint64_t window_us, size_t packet_bytes,
                                          size_t max_packet) {
  uint64_t bytes = bitrate_bps / 8 * window_us / 1000000u;
  bytes += bytes / 4;
  if (bytes < 4 * (uint64_t)max_packet) bytes = 4 * (uint64_t)max_packet;
  size_t packets = round_up_pow2((size_t)(bytes / (packet_bytes ? packet_bytes : 1)) + 1);
  if (packets < 16) packets = 16;
  if (packets > BRTC_SEND_HISTORY_MAX_PACKETS) packets = BRTC_SEND_HISTORY_MAX_PACKETS;
  c->max_packets = packets;
  c->max_bytes = (size_t)bytes;
  c->max_packet = max_packet;
}

brtc_send_history *brtc_send_history_new(const brtc_send_history_config *c, int *err) {
  int dummy;
  if (!err) err = &dummy;
  *err = BRTC_ERR_INVALID;
  if (!c || c->max_packets < 2 || c->max_packets > BRTC_SEND_HISTORY_MAX_PACKETS ||
      (c->max_packets & (c->max_packets - 1)) || c->max_packet == 0 ||
      c->max_packet > UINT16_MAX || c->max_bytes < c->max_packet || c->max_bytes > UINT32_MAX)
    return NULL;
  *err = BRTC_ERR_NOMEM;
  brtc_send_history *h = calloc(1, sizeof *h);
  if (!h) return NULL;
  size_t least = 4 * c->max_packet;
  h->min_cap = c->initial_bytes ? c->initial_bytes : c->max_bytes;
  if (h->min_cap < least) h->min_cap = least;
  if (h->min_cap > c->max_bytes) h->min_cap = c->max_bytes;
  h->cap = h->min_cap;
  h->min_slots = c->initial_packets ? round_up_pow2(c->initial_packets) : c->max_packets;
  if (h->min_slots < MIN_SLOTS) h->min_slots = MIN_SLOTS;
  if (h->min_slots > c->max_packets) h->min_slots = c->max_packets;
  h->slots = h->min_slots;
  h->arena = malloc(h->cap);
  h->entries = calloc(h->slots, sizeof *h->entries);
  if (!h->arena || !h->entries) {
    brtc_send_history_free(h);
    return NULL;
  }
  h->cfg = *c;
  h->mask = h->slots - 1;
  *err = BRTC_OK;
  return h;
}

void brtc_send_history_free(brtc_send_history *h) {
  if (!h) return;
  free(h->arena);
  free(h->entries);
  free(h);
}

void brtc_send_history_clear(brtc_send_history *h) {
  memset(h->entries, 0, h->slots * sizeof *h->entries);
  h->count = h->unsent = h->bytes = 0;
  h->head = h->tail = 0;
  h->reserved = false;
}

static brtc_send_history_entry *slot(const brtc_send_history *h, uint16_t seq) {
  return &h->entries[seq & h->mask];
}

/* Drop the oldest packet, unless it has not been sent yet. */
static int evict_oldest(brtc_send_history *h) {
  brtc_send_history_entry *e = slot(h, h->oldest);
  if (!(e->flags & BRTC_HISTORY_SENT)) {
    h->stats.refused_unsent++;
    return BRTC_ERR_LIMIT;
  }
  e->used = false;
  h->bytes -= e->len;
  h->count--;
  h->stats.evicted++;
  h->oldest++;
  if (h->count == 0)
    h->head = h->tail = 0;
  else
    h->tail = slot(h, h->oldest)->offset;
  return BRTC_OK;
}

const brtc_send_history_config *brtc_send_history_config_of(const brtc_send_history *h) {
  return &h->cfg;
}

bool brtc_send_history_room(const brtc_send_history *h, size_t n, size_t bytes) {
  if (n + h->unsent > h->slots) return false;
  /* The unsent packets are the newest ones (first sends go in sequence order); they keep the
   * arena from where the oldest of them starts up to head. One packet's worth may be lost at
   * the arena's end when a packet does not fit there. */
  size_t span = 0;
  if (h->unsent) {
    size_t start = slot(h, (uint16_t)(h->newest - h->unsent + 1))->offset;
    span = start < h->head ? h->head - start : h->cap - start + h->head;
  }
  return bytes <= h->cap - span && h->cap - span - bytes >= h->cfg.max_packet;
}

uint8_t *brtc_send_history_reserve(brtc_send_history *h, size_t len, int *err) {
  int dummy;
  if (!err) err = &dummy;
  h->reserved = false;
  if (len == 0 || len > h->cfg.max_packet) {
    *err = BRTC_ERR_TOO_BIG;
    return NULL;
  }
  /* The new packet's entry is the oldest one's once the ring is full. */
  if (h->count == h->slots && (*err = evict_oldest(h)) != BRTC_OK) return NULL;
  size_t at;
  for (;;) {
    if (h->count == 0) {
      at = 0;
      break;
    }
    if (h->tail < h->head) {
      if (h->head + len <= h->cap) {
        at = h->head;
        break;
      }
      if (h->tail >= len) { /* wrap: the arena's end stays unused this lap */
        at = 0;
        break;
      }
    } else if (h->head + len <= h->tail) {
      at = h->head;
      break;
    }
    if ((*err = evict_oldest(h)) != BRTC_OK) return NULL;
  }
  h->reserved = true;
  h->reserved_at = at;
  h->reserved_len = len;
  *err = BRTC_OK;
  return h->arena + at;
}

int brtc_send_history_commit(brtc_send_history *h, const brtc_rtp_written *w) {
  if (!h || !w || !h->reserved || w->len == 0 || w->len > h->reserved_len)
    return BRTC_ERR_INVALID;
  if (h->count && w->seq != (uint16_t)(h->newest + 1)) return BRTC_ERR_INVALID;
  h->reserved = false;
  brtc_send_history_entry *e = slot(h, w->seq);
  memset(e, 0, sizeof *e);
  e->used = true;
  e->offset = (uint32_t)h->reserved_at;
  e->len = w->len;
  e->seq = w->seq;
  e->header_len = w->header_len;
  e->slots = w->slots;
  if (h->count == 0) {
    h->oldest = w->seq;
    h->tail = h->reserved_at;
  }
  h->newest = w->seq;
  h->head = h->reserved_at + w->len;
  h->count++;
  h->unsent++;
  h->bytes += w->len;
  h->stats.stored++;
  h->stats.bytes_stored += w->len;
  return BRTC_OK;
}

brtc_send_history_entry *brtc_send_history_get(brtc_send_history *h, uint16_t seq) {
  brtc_send_history_entry *e = slot(h, seq);
  return e->used && e->seq == seq ? e : NULL;
}

uint8_t *brtc_send_history_data(brtc_send_history *h, const brtc_send_history_entry *e) {
  return h->arena + e->offset;
}

void brtc_send_history_mark_sent(brtc_send_history *h, brtc_send_history_entry *e,
                                 uint64_t now_us) {
  if (!(e->flags & BRTC_HISTORY_SENT)) {
    e->flags |= BRTC_HISTORY_SENT;
    e->first_sent_us = now_us;
    h->unsent--;
  }
  e->last_sent_us = now_us;
}

size_t brtc_send_history_count(const brtc_send_history *h) { return h->count; }
size_t brtc_send_history_bytes(const brtc_send_history *h) { return h->bytes; }

size_t brtc_send_history_memory(const brtc_send_history *h) {
  return sizeof *h + h->cap + h->slots * sizeof *h->entries;
}

/* The packets into a new arena of cap bytes, oldest first from 0 (cap holds them all):
 * [tail, end of the lap) then, if they wrapped, [0, head). Offsets follow. */
static bool move_to(brtc_send_history *h, size_t cap) {
  uint8_t *a = malloc(cap);
  if (!a) return false;
  size_t at = 0;
  if (h->count) {
    bool wrapped = h->head <= h->tail;
    size_t lap_end = h->tail; /* where the packets from tail end */
    for (size_t i = 0; i < h->count; i++) {
      brtc_send_history_entry *e = slot(h, (uint16_t)(h->oldest + i));
      if (!wrapped || e->offset >= h->tail) lap_end = e->offset + e->len;
    }
    size_t lap = lap_end - h->tail;
    memcpy(a, h->arena + h->tail, lap);
    if (wrapped) memcpy(a + lap, h->arena, h->head);
    for (size_t i = 0; i < h->count; i++) {
      brtc_send_history_entry *e = slot(h, (uint16_t)(h->oldest + i));
      e->offset = (uint32_t)(!wrapped || e->offset >= h->tail ? e->offset - h->tail
                                                              : e->offset + lap);
    }
    at = lap + (wrapped ? h->head : 0);
  }
  free(h->arena);
  h->arena = a;
  h->cap = cap;
  h->tail = 0;
  h->head = at;
  return true;
}

void brtc_send_history_set_keep(brtc_send_history *h, uint64_t keep_us) { h->cfg.keep_us = keep_us; }

/* The entries into a ring of slots entries (a power of two that holds them all): each goes to
 * its sequence number's place in the new ring. */
static bool rehash_to(brtc_send_history *h, size_t slots) {
  brtc_send_history_entry *t = calloc(slots, sizeof *t);
  if (!t) return false;
  size_t mask = slots - 1;
  for (size_t i = 0; i < h->count; i++) {
    uint16_t seq = (uint16_t)(h->oldest + i);
    t[seq & mask] = h->entries[seq & h->mask];
  }
  free(h->entries);
  h->entries = t;
  h->slots = slots;
  h->mask = mask;
  return true;
}

/* The entries ring follows the packets as the arena follows the bytes: doubled until the
 * frame's n fit beside what is kept (at most max_packets), and back to twice as many as are
 * needed when a quarter would do (so only a doubling of the need grows it again). */
static void fit_slots(brtc_send_history *h, size_t n) {
  size_t need = h->count + n;
  if (need > h->slots && h->slots < h->cfg.max_packets) {
    size_t slots = round_up_pow2(need);
    if (slots > h->cfg.max_packets) slots = h->cfg.max_packets;
    (void)rehash_to(h, slots); /* no memory: the oldest go sooner, as before */
  } else if (need * 4 <= h->slots && h->slots > h->min_slots) {
    size_t slots = round_up_pow2(need * 2);
    (void)rehash_to(h, slots > h->min_slots ? slots : h->min_slots);
  }
}

void brtc_send_history_prepare(brtc_send_history *h, size_t n, size_t bytes, uint64_t now_us) {
  h->reserved = false;
  /* Past the window: a NACK for these would come too late to help (send_history.h). */
  while (h->cfg.keep_us && h->count) {
    const brtc_send_history_entry *e = slot(h, h->oldest);
    if (!(e->flags & BRTC_HISTORY_SENT) || e->first_sent_us + h->cfg.keep_us > now_us) break;
    (void)evict_oldest(h);
  }
  fit_slots(h, n);
  /* Grow until the frame fits beside what is kept, by half at least (rarely moved), in one
   * move to what a large frame (a keyframe after small ones) needs ... */
  size_t need = h->bytes + bytes + h->cfg.max_packet;
  while (h->cap < h->cfg.max_bytes && (!brtc_send_history_room(h, n, bytes) || need > h->cap)) {
    size_t cap = h->cap + h->cap / 2;
    while (cap < need && cap < h->cfg.max_bytes) cap += cap / 2;
    if (cap > h->cfg.max_bytes) cap = h->cfg.max_bytes;
    if (!move_to(h, cap)) return; /* no memory: the frame may still fit by evicting */
  }
  /* ... and give memory back when half would hold it all: down to half as much again as it
   * holds (no growth until that much more is kept; growth by half never leaves it at half). */
  size_t fit = need + need / 2;
  if (need * 2 <= h->cap && h->cap > h->min_cap)
    (void)move_to(h, fit > h->min_cap ? fit : h->min_cap);
}

const brtc_send_history_stats *brtc_send_history_get_stats(const brtc_send_history *h) {
  return &h->stats;
}
