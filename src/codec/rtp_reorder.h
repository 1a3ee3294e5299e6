/* A reordering window of RTP packets for frame assemblers, whatever the codec: packets kept
 * by sequence number in a window of BRTC_REORDER_WINDOW, their payload bytes in one arena,
 * and complete frames queued for the owner to take (pull-style).
 *
 * The codec decides what a frame is; this keeps the bookkeeping every codec shares:
 * - "floor", the last sequence number already dealt with (a frame queued, dropped, or a
 *   padding packet skipped): the next frame begins right after it;
 * - late and duplicate packets, and a sender that restarted its sequence numbers;
 * - the window moving on: what falls out of it below the floor is a lost frame;
 * - frames queued complete until taken, their packets held in place meanwhile.
 *
 * Memory follows the stream: per slot a few bytes of metadata; payload bytes in an arena
 * that starts small, grows geometrically (rarely, never per packet) up to twice what a full
 * window of full packets holds, and is compacted when holes fill it. */
#ifndef BRTC_RTP_REORDER_H
#define BRTC_RTP_REORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec/payload_arena.h"

#define BRTC_REORDER_WINDOW 512 /* a multiple of 64 (the used-slot bitmap) */
#define BRTC_REORDER_MAX_READY 32

typedef struct brtc_reorder_slot {
  uint32_t ts;
  uint32_t off;  /* payload bytes at arena + off */
  uint32_t info; /* the codec's own facts about the packet */
  uint16_t seq;
  uint16_t len;
  bool used : 1;
  bool padding : 1; /* empty payload: fills its sequence number, belongs to no frame */
  bool marker : 1;
  bool ready : 1;   /* part of a complete frame waiting to be taken */
} brtc_reorder_slot;

/* A complete frame: packets first..last, with what the codec worked out about it. */
typedef struct brtc_reorder_frame {
  uint16_t first, last;
  uint32_t info;
  size_t size;
} brtc_reorder_frame;

typedef struct brtc_reorder {
  size_t max_payload;
  brtc_reorder_slot *slots; /* BRTC_REORDER_WINDOW entries, indexed by seq % window */
  /* Which slots are in use, and how many: dropping a range of sequence numbers visits only
   * the packets held there, so a jump in sequence numbers costs what the window holds, not
   * the window's size. */
  uint64_t used_bits[BRTC_REORDER_WINDOW / 64];
  uint32_t used_count;
  brtc_payload_arena arena;
  bool have_highest, have_floor;
  uint16_t highest, floor;
  /* The floor was moved by the window passing lost packets, not to the end of a frame: the
   * packet after it may be in the middle of one. */
  bool floor_unsure;
  /* The codec's in-order scan: the frame starting at floor + 1 is known contiguous, with no
   * end yet, up to scan_end. Cleared whenever the floor moves. */
  bool scan_valid;
  uint16_t scan_end;
  unsigned far_late;
  brtc_reorder_frame ready[BRTC_REORDER_MAX_READY];
  size_t ready_head, ready_count;
  bool loss; /* a frame was lost since the last brtc_reorder_take_loss */
  uint64_t frames_lost, frames_unread, packets_late;
} brtc_reorder;

/* max_payload: the largest payload one packet may carry (<= 65535). No allocation yet. */
void brtc_reorder_init(brtc_reorder *r, size_t max_payload);
void brtc_reorder_free(brtc_reorder *r);
/* Forget every packet and queued frame (a new stream), keep the memory. The counters are
 * cleared too when clear_counters is set. */
void brtc_reorder_reset(brtc_reorder *r, bool clear_counters);

/* Store one packet. BRTC_OK with *slot set; BRTC_ERR_REPLAY for a late or duplicate packet
 * (counted in packets_late, not stored); BRTC_ERR_TOO_BIG above max_payload (not counted);
 * BRTC_ERR_NOMEM. An empty payload is a padding packet. Storing may move the window, and so
 * drop frames that can no longer complete (counted, loss set). */
int brtc_reorder_insert(brtc_reorder *r, uint16_t seq, uint32_t ts, bool marker, uint32_t info,
                        const uint8_t *payload, size_t len, const brtc_reorder_slot **slot);

/* The packet stored for seq, or NULL. */
const brtc_reorder_slot *brtc_reorder_at(const brtc_reorder *r, uint16_t seq);
static inline const uint8_t *brtc_reorder_bytes(const brtc_reorder *r,
                                                const brtc_reorder_slot *s) {
  return r->arena.bytes + s->off;
}
/* The window's lowest sequence number (what the next insert may push out). */
static inline uint16_t brtc_reorder_low(const brtc_reorder *r) {
  return (uint16_t)(r->highest - BRTC_REORDER_WINDOW + 1);
}

/* Give up on [from, to]: the frames there are lost (counted, loss set; a gap that held no
 * packet at all counts as one frame when count_gaps). The floor moves to `to`. */
void brtc_reorder_drop(brtc_reorder *r, uint16_t from, uint16_t to, bool count_gaps);
/* Move the floor to seq without counting a loss, freeing packets up to it (a padding
 * packet, or a gap known to have held only padding). */
void brtc_reorder_skip_to(brtc_reorder *r, uint16_t seq);
/* Frame first..last is complete: queue it (its packets stay until taken) and move the
 * floor to last. A full queue drops its oldest frame (counted in frames_unread). */
void brtc_reorder_complete(brtc_reorder *r, uint16_t first, uint16_t last, size_t size,
                           uint32_t info);
/* The oldest queued frame, or NULL. */
const brtc_reorder_frame *brtc_reorder_peek(const brtc_reorder *r);
/* Free the oldest queued frame's packets (after the codec has copied them out). */
void brtc_reorder_take(brtc_reorder *r);
/* True once since the last call if a frame was lost. */
bool brtc_reorder_take_loss(brtc_reorder *r);
size_t brtc_reorder_memory(const brtc_reorder *r);

#endif
