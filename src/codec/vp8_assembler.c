/* VP8 frame assembly from RTP packets (RFC 7741): reorder within a window of sequence
 * numbers, emit complete frames in order, drop incomplete ones and ask for a keyframe.
 *
 * A frame is the contiguous run of packets from one with S=1, PID=0 to one with the marker
 * bit, all with the same RTP timestamp. "floor" is the last sequence number already dealt
 * with (emitted, dropped or skipped); the next frame must begin right after it. When it
 * cannot (a packet is lost), the frame is dropped as soon as a newer frame completes or the
 * window moves past it.
 *
 * Pull-only: push only stores a packet; pop does the work and hands out the next complete
 * frame, one per call, so the owner takes frames when it is ready for them and nothing calls
 * back into it. brtc_vp8_assembler_ready does the same work up to the point of finding the
 * next complete frame, without touching any byte a frame handed out earlier lies in: an
 * owner that still refers to the last frame's bytes copies them only when another frame
 * really comes (the pc's events borrow a frame's bytes until then).
 *
 * Memory follows the stream: per slot only a few bytes of metadata; the payload bytes go
 * into one compacting arena and frames into one output buffer, both starting small and
 * growing geometrically (rarely, never per packet) to what the stream has needed. A frame
 * whose packets lie one after the other in the arena (they arrived in order) is handed out
 * straight from there, without the copy. */
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "codec/payload_arena.h"
#include "codec/vp8.h"
#include "common/bytes.h"

#define WINDOW BRTC_VP8_REORDER_WINDOW
#define SLOT_BYTES BRTC_VP8_MAX_PACKET_PAYLOAD
/* This many packets in a row far behind what we emitted means the sender restarted its
 * sequence numbers: start over rather than ignore it forever. */
#define RESTART_AFTER 64
/* Live payload bytes never exceed a full window of full packets; an arena up to twice that
 * keeps at least a third of it free after a compaction, so compactions stay rare even
 * then. The frame buffer never needs more than the window holds, nor than max_frame. */
#define ARENA_MAX ((size_t)2 * WINDOW * SLOT_BYTES)
#define FRAME_START (16 * 1024)
#define FRAME_MAX ((size_t)WINDOW * SLOT_BYTES)

typedef struct slot {
  uint32_t ts;
  uint32_t off; /* payload bytes at arena + off */
  uint16_t seq;
  uint16_t len;
  uint16_t picture_id;
  bool used : 1;
  bool padding : 1; /* no payload: fills its sequence number, belongs to no frame */
  bool start : 1;   /* S=1 and PID=0: first packet of a frame */
  bool key : 1;     /* start packet of a keyframe (RFC 6386 9.1: P bit clear) */
  bool marker : 1;
  bool has_picture_id : 1;
  bool picture_id_15 : 1;
} slot;

struct brtc_vp8_assembler {
  size_t max_frame;
  /* Work pop still has to do: the packet pushed last (its frame may be complete and newer
   * than the floor), and whether anything may be ready at all. */
  bool work;
  bool have_pushed;
  uint16_t pushed;
  /* A complete frame found (first..last, at floor + 1), not yet taken: pop puts it
   * together. Nothing has been released or written for it yet. */
  bool have_ready;
  uint16_t ready_first, ready_last;
  slot *slots; /* WINDOW entries, indexed by seq % WINDOW */
  /* The VP8 bytes of the slots in use (payload_arena.h). */
  brtc_payload_arena arena;
  uint8_t *frame; /* one frame concatenated for the callback, when it is not in one piece */
  size_t frame_cap;
  bool have_highest;
  uint16_t highest;
  bool have_floor;
  uint16_t floor;
  bool have_lowest; /* before the first frame: the oldest packet seen */
  uint16_t lowest;
  /* How far the frame starting at floor + 1 is known contiguous (no marker yet), so the
   * in-order scan resumes there instead of rescanning the frame on every packet. */
  bool scan_valid;
  uint16_t scan_end;
  uint32_t ssrc;
  unsigned far_late;
  bool keyframe_request;
  brtc_vp8_loss loss; /* given up since take_loss */
  uint64_t hold_us;
  bool stalled;       /* a newer frame is complete while the frame at the floor is not */
  uint64_t stall_until;
  uint64_t now_us;
  bool have_last_picture_id; /* of the last frame emitted */
  bool last_picture_id_15;
  uint16_t last_picture_id;
  brtc_vp8_assembler_stats stats;
};

brtc_vp8_assembler *brtc_vp8_assembler_new(size_t max_frame) {
  if (max_frame == 0) return NULL;
  brtc_vp8_assembler *a = calloc(1, sizeof(*a));
  if (!a) return NULL;
  a->max_frame = max_frame;
  brtc_payload_arena_init(&a->arena, ARENA_MAX);
  return a;
}

void brtc_vp8_assembler_free(brtc_vp8_assembler *a) {
  if (!a) return;
  free(a->slots);
  brtc_payload_arena_free(&a->arena);
  free(a->frame);
  free(a);
}

static int ensure_slots(brtc_vp8_assembler *a) {
  if (a->slots) return BRTC_OK;
  a->slots = calloc(WINDOW, sizeof(slot));
  return a->slots ? BRTC_OK : BRTC_ERR_NOMEM;
}

/* A slot leaves: its payload bytes become a hole in the arena. */
static void release(brtc_vp8_assembler *a, slot *s) {
  if (!s->used) return;
  s->used = false;
  brtc_payload_arena_release(&a->arena, s->len);
}

static void release_all(brtc_vp8_assembler *a) {
  memset(a->slots, 0, WINDOW * sizeof(slot));
  brtc_payload_arena_clear(&a->arena);
}

/* Room for len more payload bytes at the arena's end, compacting the live payloads first
 * (those that followed each other still do, so frames in one piece stay so). */
static int arena_reserve(brtc_vp8_assembler *a, size_t len) {
  if (brtc_payload_arena_fits(&a->arena, len)) return BRTC_OK;
  if (brtc_payload_arena_has_holes(&a->arena)) {
    brtc_payload_ref live[WINDOW];
    size_t n = 0;
    for (uint16_t i = 0; i < WINDOW; i++)
      if (a->slots[i].used && a->slots[i].len)
        live[n++] = (brtc_payload_ref){&a->slots[i].off, a->slots[i].len};
    brtc_payload_arena_compact(&a->arena, live, n);
  }
  return brtc_payload_arena_grow(&a->arena, len);
}

/* The frame buffer holds at least len bytes (len <= max_frame and <= FRAME_MAX). */
static int frame_reserve(brtc_vp8_assembler *a, size_t len) {
  if (len <= a->frame_cap) return BRTC_OK;
  size_t limit = a->max_frame < FRAME_MAX ? a->max_frame : FRAME_MAX;
  size_t cap = a->frame_cap ? a->frame_cap : FRAME_START;
  while (cap < len) cap *= 2;
  if (cap > limit) cap = limit;
  uint8_t *p = malloc(cap); /* the old content is not needed: no realloc copy */
  if (!p) return BRTC_ERR_NOMEM;
  free(a->frame);
  a->frame = p;
  a->frame_cap = cap;
  return BRTC_OK;
}

static slot *slot_at(brtc_vp8_assembler *a, uint16_t seq) {
  slot *s = &a->slots[seq % WINDOW];
  return s->used && s->seq == seq ? s : NULL;
}

static void set_floor(brtc_vp8_assembler *a, uint16_t seq) {
  a->have_floor = true;
  a->floor = seq;
  a->scan_valid = false;
  a->stalled = false; /* the next frame gets its own hold if it is incomplete */
}

static void reset(brtc_vp8_assembler *a) {
  if (a->slots) release_all(a);
  a->have_highest = a->have_floor = a->scan_valid = a->stalled = a->have_lowest = false;
  a->work = a->have_pushed = a->have_ready = false;
  a->far_late = 0;
}

/* superseded: a newer keyframe is complete, so what was lost does not matter to a decoder
 * (it counts in the stats, and in the report only as superseded). */
static void count_loss(brtc_vp8_assembler *a, uint32_t frames, uint32_t keyframes,
                       uint32_t unknown, uint16_t last, bool superseded) {
  a->stats.frames_dropped += frames;
  a->stats.keyframes_dropped += keyframes;
  a->stats.frames_dropped_unknown += unknown;
  a->loss.frames += frames;
  if (superseded) {
    a->loss.superseded += frames;
  } else {
    a->loss.keyframes += keyframes;
    a->loss.unknown += unknown;
    a->keyframe_request = true;
  }
  a->loss.last_seq = last;
}

/* Give up on [from, to]: count the frames lost there (and which were keyframes, where their
 * first packet tells). A gap with no packet at all still cost us a frame of unknown type
 * when count_gaps is set (we had a floor). */
static void drop_range(brtc_vp8_assembler *a, uint16_t from, uint16_t to, bool count_gaps,
                       bool superseded) {
  uint32_t frames = 0, keyframes = 0, unknown = 0;
  bool have_prev = false;
  uint32_t prev_ts = 0;
  uint16_t n = (uint16_t)(to - from + 1);
  for (uint32_t i = 0; i < n && i < WINDOW; i++) {
    slot *s = slot_at(a, (uint16_t)(from + i));
    if (!s) continue;
    if (!s->padding) {
      bool new_frame = !have_prev || s->ts != prev_ts || s->start;
      if (new_frame) {
        frames++;
        if (s->start) keyframes += s->key;
        else unknown++;
      }
      have_prev = true;
      prev_ts = s->ts;
    }
    release(a, s);
  }
  if (frames == 0 && count_gaps) frames = unknown = 1;
  if (frames) count_loss(a, frames, keyframes, unknown, to, superseded);
  set_floor(a, to);
}

/* The window now ends at new_highest: whatever falls out of it can never complete. */
static void advance(brtc_vp8_assembler *a, uint16_t new_highest) {
  uint16_t new_low = (uint16_t)(new_highest - WINDOW + 1);
  if (a->have_floor && brtc_seq_diff(new_low, (uint16_t)(a->floor + 1)) > 0)
    drop_range(a, (uint16_t)(a->floor + 1), (uint16_t)(new_low - 1), true, false);
  int dh = brtc_seq_diff(new_highest, a->highest);
  if (dh >= WINDOW) {
    release_all(a);
  } else {
    /* Each new seq takes over the slot of the one leaving the window. */
    for (int i = 1; i <= dh; i++) release(a, &a->slots[(uint16_t)(a->highest + i) % WINDOW]);
  }
  a->highest = new_highest;
}

/* If first starts a frame whose packets are all here up to a marker, its last seq. */
static bool frame_end(brtc_vp8_assembler *a, uint16_t first, uint16_t *last) {
  slot *s = slot_at(a, first);
  if (!s || s->padding || !s->start) return false;
  uint32_t ts = s->ts;
  for (uint32_t i = 0; i < WINDOW; i++) {
    uint16_t seq = (uint16_t)(first + i);
    s = slot_at(a, seq);
    if (!s) return false;
    if (i > 0 && (s->padding || s->start || s->ts != ts)) return false;
    if (s->marker) {
      *last = seq;
      return true;
    }
  }
  return false;
}

/* The first packet of the frame seq belongs to, if all packets back to it are here. */
static bool frame_start(brtc_vp8_assembler *a, uint16_t seq, uint16_t *first) {
  slot *s = slot_at(a, seq);
  if (!s || s->padding) return false;
  uint32_t ts = s->ts;
  for (uint32_t i = 0; i < WINDOW; i++) {
    uint16_t q = (uint16_t)(seq - i);
    s = slot_at(a, q);
    if (!s || s->padding || s->ts != ts) return false;
    if (s->start) {
      *first = q;
      return true;
    }
    if (i > 0 && s->marker) return false; /* the end of an earlier frame */
  }
  return false;
}

/* The frame first..last is complete and goes next: pop takes it (take). One too big to hand
 * out is lost here and now. */
static void emit(brtc_vp8_assembler *a, uint16_t first, uint16_t last) {
  size_t total = 0;
  uint16_t n = (uint16_t)(last - first + 1);
  for (uint16_t i = 0; i < n; i++) total += slot_at(a, (uint16_t)(first + i))->len;
  if (total <= a->max_frame) {
    /* What came before it is dealt with; so a push before the pop finds it again here. */
    if (!a->have_floor) set_floor(a, (uint16_t)(first - 1));
    a->have_ready = true;
    a->ready_first = first;
    a->ready_last = last;
    return;
  }
  const slot head = *slot_at(a, first);
  for (uint16_t i = 0; i < n; i++) release(a, slot_at(a, (uint16_t)(first + i)));
  set_floor(a, last);
  a->have_last_picture_id = head.has_picture_id;
  a->last_picture_id_15 = head.picture_id_15;
  a->last_picture_id = head.picture_id;
  a->stats.frames_too_big++;
  count_loss(a, 1, head.key, 0, last, false);
}

/* Hand out the ready frame: in place when its packets lie one after the other in the arena,
 * else put together in the frame buffer. False if there was no memory for that (the frame
 * is lost all the same). */
static bool take(brtc_vp8_assembler *a, brtc_vp8_frame *out) {
  uint16_t first = a->ready_first, last = a->ready_last;
  a->have_ready = false;
  const slot head = *slot_at(a, first);
  size_t total = 0;
  bool in_one_piece = true; /* each packet's bytes right after the previous one's */
  uint16_t n = (uint16_t)(last - first + 1);
  for (uint16_t i = 0; i < n; i++) {
    const slot *s = slot_at(a, (uint16_t)(first + i));
    if (s->off != head.off + total) in_one_piece = false;
    total += s->len;
  }
  brtc_vp8_frame f = {
      .len = total,
      .timestamp = head.ts,
      .ssrc = a->ssrc,
      .first_seq = first,
      .last_seq = last,
      .picture_id = head.has_picture_id ? head.picture_id : -1,
  };
  /* The bytes stay where they are until the next push or pop, though their slots are freed. */
  bool ok = true;
  if (in_one_piece) {
    f.data = a->arena.bytes + head.off;
  } else if (frame_reserve(a, total) == BRTC_OK) {
    size_t off = 0;
    for (uint16_t i = 0; i < n; i++) {
      const slot *s = slot_at(a, (uint16_t)(first + i));
      memcpy(a->frame + off, a->arena.bytes + s->off, s->len);
      off += s->len;
    }
    f.data = a->frame;
  } else {
    ok = false; /* no memory to put it together: lost all the same */
  }
  for (uint16_t i = 0; i < n; i++) release(a, slot_at(a, (uint16_t)(first + i)));
  set_floor(a, last);
  a->have_last_picture_id = head.has_picture_id;
  a->last_picture_id_15 = head.picture_id_15;
  a->last_picture_id = head.picture_id;
  if (!ok) {
    count_loss(a, 1, head.key, 0, last, false);
    return false;
  }
  f.keyframe = brtc_vp8_frame_is_keyframe(f.data, total, &f.width, &f.height);
  a->stats.frames++;
  if (f.keyframe) a->stats.keyframes++;
  *out = f;
  return true;
}

/* One step in order from the floor: skip padding or emit the next frame if complete. */
static bool step_in_order(brtc_vp8_assembler *a) {
  if (!a->have_floor) return false;
  uint16_t next = (uint16_t)(a->floor + 1);
  slot *s = slot_at(a, next);
  if (!s) return false;
  if (s->padding) {
    release(a, s);
    set_floor(a, next);
    return true;
  }
  if (!s->start) return false;
  uint32_t ts = s->ts;
  uint16_t seq = a->scan_valid ? (uint16_t)(a->scan_end + 1) : next;
  for (;;) {
    slot *t = slot_at(a, seq);
    bool same_frame = t && (seq == next || (!t->padding && !t->start && t->ts == ts));
    if (!same_frame) break;
    if (t->marker) {
      emit(a, next, seq);
      return true;
    }
    a->scan_valid = true;
    a->scan_end = seq;
    seq++;
  }
  return false;
}

/* The packet belongs to the frame the in-order scan is already following. */
static bool in_scanned_frame(const brtc_vp8_assembler *a, uint16_t seq) {
  return a->have_floor && a->scan_valid && brtc_seq_diff(seq, a->floor) > 0 &&
         brtc_seq_diff(seq, a->scan_end) <= 0;
}

/* Nothing at all arrived in [from, to] and the frame after it is the very next picture:
 * the gap held only padding, no frame was lost. */
static bool only_padding_lost(brtc_vp8_assembler *a, uint16_t from, uint16_t to,
                              const slot *next) {
  if (!a->have_last_picture_id || !next->has_picture_id ||
      next->picture_id_15 != a->last_picture_id_15)
    return false;
  uint16_t mask = a->last_picture_id_15 ? 0x7FFF : 0x7F;
  if (((next->picture_id - a->last_picture_id - 1) & mask) != 0) return false;
  uint16_t n = (uint16_t)(to - from + 1);
  for (uint32_t i = 0; i < n && i < WINDOW; i++)
    if (slot_at(a, (uint16_t)(from + i))) return false;
  return true;
}

/* A frame is complete but something before it is missing: what is missing can only belong
 * to older frames. They are dropped once the hold is over; until then the complete frame
 * waits (a retransmission may still complete them). */
static bool step_newer_frame(brtc_vp8_assembler *a, uint16_t first, uint16_t last) {
  /* Older packets wait: after the floor, or (at the start) before this frame. */
  bool older_pending = a->have_floor ? brtc_seq_diff(first, a->floor) > 1
                                     : a->have_lowest && brtc_seq_diff(first, a->lowest) > 0;
  /* A complete keyframe needs nothing older: a decoder starts over from it. */
  bool key = slot_at(a, first)->key;
  if (older_pending && a->hold_us && !key) {
    if (!a->stalled) {
      a->stalled = true;
      a->stall_until = a->now_us + a->hold_us;
    }
    if (a->now_us < a->stall_until) {
      a->stats.frames_held++;
      return false;
    }
  }
  if (a->have_floor) {
    uint16_t from = (uint16_t)(a->floor + 1), to = (uint16_t)(first - 1);
    if (brtc_seq_diff(first, a->floor) <= 1) {
      /* nothing in between */
    } else if (only_padding_lost(a, from, to, slot_at(a, first))) {
      set_floor(a, to);
    } else {
      drop_range(a, from, to, true, key);
    }
  } else if (brtc_seq_diff(first, (uint16_t)(a->highest - WINDOW + 1)) > 0) {
    /* Stream start: packets before the first complete frame are a frame we joined late. */
    drop_range(a, (uint16_t)(a->highest - WINDOW + 1), (uint16_t)(first - 1), false, key);
  }
  emit(a, first, last);
  return true;
}

/* The frame of the packet just pushed, if it is complete. */
static bool step_newer(brtc_vp8_assembler *a, uint16_t pushed) {
  uint16_t first, last;
  if (!frame_start(a, pushed, &first) || !frame_end(a, first, &last)) return false;
  return step_newer_frame(a, first, last);
}

/* The oldest complete frame after the floor (the hold is over: it goes next). */
static bool step_oldest_complete(brtc_vp8_assembler *a) {
  if (!a->have_highest || (!a->have_floor && !a->have_lowest)) return false;
  uint16_t before = a->have_floor ? a->floor : (uint16_t)(a->lowest - 1);
  int span = brtc_seq_diff(a->highest, before);
  for (int i = 1; i <= span && i <= WINDOW; i++) {
    uint16_t first = (uint16_t)(before + i), last;
    slot *s = slot_at(a, first);
    if (s && s->start && !s->padding && frame_end(a, first, &last))
      return step_newer_frame(a, first, last);
  }
  return false;
}

void brtc_vp8_assembler_set_hold(brtc_vp8_assembler *a, uint64_t hold_us) {
  if (a) a->hold_us = hold_us;
}

uint64_t brtc_vp8_assembler_next_deadline(const brtc_vp8_assembler *a) {
  return a && a->stalled ? a->stall_until : UINT64_MAX;
}

void brtc_vp8_assembler_poll(brtc_vp8_assembler *a, uint64_t now_us) {
  if (!a) return;
  if (now_us > a->now_us) a->now_us = now_us;
  if (a->stalled && a->now_us >= a->stall_until) a->work = true;
}

/* One step of work: skip padding, find a frame (which sets have_ready) or give frames up.
 * False when there is nothing to do until the next packet or deadline. */
static bool step(brtc_vp8_assembler *a) {
  if (step_in_order(a)) return true;
  if (a->have_pushed) {
    /* The frame the packet pushed last belongs to: complete and newer than the floor? */
    if (!in_scanned_frame(a, a->pushed) && step_newer(a, a->pushed)) return true;
    a->have_pushed = false;
  }
  if (a->stalled && a->now_us >= a->stall_until) {
    if (step_oldest_complete(a)) return true;
    a->stalled = false; /* nothing complete after all (the window moved): wait for one */
  }
  return false;
}

/* Work until a frame is ready or there is nothing to do. */
static bool find_ready(brtc_vp8_assembler *a) {
  while (a->work && !a->have_ready) {
    if (!step(a)) a->work = false;
  }
  return a->have_ready;
}

bool brtc_vp8_assembler_ready(brtc_vp8_assembler *a) { return a && find_ready(a); }

int brtc_vp8_assembler_pop(brtc_vp8_assembler *a, brtc_vp8_frame *f) {
  if (!a || !f) return BRTC_ERR_INVALID;
  while (find_ready(a)) {
    if (take(a, f)) return BRTC_OK;
  }
  return BRTC_ERR_AGAIN;
}

int brtc_vp8_assembler_push(brtc_vp8_assembler *a, const brtc_rtp_header *h, uint64_t now_us) {
  if (!a || !h || (h->payload_len && !h->payload)) return BRTC_ERR_INVALID;
  if (now_us > a->now_us) a->now_us = now_us; /* the window is counted in packets; holds in time */
  a->stats.packets++;

  bool padding = h->payload_len == 0;
  brtc_vp8_descriptor d = {0};
  if (!padding) {
    if (brtc_vp8_parse_descriptor(h->payload, h->payload_len, &d) != BRTC_OK) {
      a->stats.packets_bad++;
      return BRTC_ERR_PARSE;
    }
    if (h->payload_len - d.size > SLOT_BYTES) {
      a->stats.packets_bad++;
      return BRTC_ERR_TOO_BIG;
    }
  }

  uint16_t seq = h->sequence;
  if (a->have_floor && brtc_seq_diff(seq, a->floor) <= 0) {
    if (brtc_seq_diff(seq, a->floor) < -WINDOW && ++a->far_late >= RESTART_AFTER) {
      reset(a);
    } else {
      a->stats.packets_late++;
      return BRTC_OK;
    }
  } else {
    a->far_late = 0;
  }
  if (!a->have_floor && (!a->have_lowest || brtc_seq_diff(seq, a->lowest) < 0)) {
    a->have_lowest = true;
    a->lowest = seq;
  }

  int rc = ensure_slots(a);
  if (rc != BRTC_OK) return rc;
  /* A frame found but not taken is found again (it starts right after the floor), unless
   * the window moves past it now. */
  a->have_ready = false;
  a->work = true;
  a->ssrc = h->ssrc;
  if (!a->have_highest) {
    a->have_highest = true;
    a->highest = seq;
  } else if (brtc_seq_diff(seq, a->highest) > 0) {
    advance(a, seq);
  } else if (brtc_seq_diff(a->highest, seq) >= WINDOW) {
    a->stats.packets_late++; /* older than the reorder window */
    return BRTC_OK;
  }

  slot *s = &a->slots[seq % WINDOW];
  if (s->used && s->seq == seq) {
    a->stats.packets_late++; /* duplicate */
    return BRTC_OK;
  }
  release(a, s); /* whatever it held is out of the window */
  uint16_t len = (uint16_t)(padding ? 0 : h->payload_len - d.size);
  bool start = !padding && d.start && d.partition == 0;
  rc = arena_reserve(a, len);
  if (rc != BRTC_OK) return rc;
  *s = (slot){
      .used = true,
      .padding = padding,
      .start = start,
      .key = start && (h->payload[d.size] & 1) == 0,
      .marker = h->marker,
      .seq = seq,
      .len = len,
      .ts = h->timestamp,
      .has_picture_id = d.has_picture_id,
      .picture_id_15 = d.picture_id_15,
      .picture_id = d.picture_id,
  };
  s->off = brtc_payload_arena_append(&a->arena, h->payload + d.size, len);

  a->have_pushed = true;
  a->pushed = seq;
  a->work = true; /* pop finds out what it completed (a held frame's time may be up too) */
  return BRTC_OK;
}

void brtc_vp8_assembler_reset(brtc_vp8_assembler *a) {
  if (!a) return;
  reset(a);
  a->keyframe_request = false;
  memset(&a->loss, 0, sizeof(a->loss));
  a->have_last_picture_id = false;
  memset(&a->stats, 0, sizeof(a->stats));
}

bool brtc_vp8_assembler_take_keyframe_request(brtc_vp8_assembler *a) {
  if (!a) return false;
  bool r = a->keyframe_request;
  a->keyframe_request = false;
  return r;
}

bool brtc_vp8_assembler_take_loss(brtc_vp8_assembler *a, brtc_vp8_loss *loss) {
  if (!a || !a->loss.frames) return false;
  if (loss) *loss = a->loss;
  memset(&a->loss, 0, sizeof(a->loss));
  return true;
}

const brtc_vp8_assembler_stats *brtc_vp8_assembler_get_stats(const brtc_vp8_assembler *a) {
  return a ? &a->stats : NULL;
}

size_t brtc_vp8_assembler_memory(const brtc_vp8_assembler *a) {
  if (!a) return 0;
  return sizeof(*a) + (a->slots ? WINDOW * sizeof(slot) : 0) + a->arena.cap + a->frame_cap;
}
