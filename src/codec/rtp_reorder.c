/* The reordering window shared by frame assemblers (see rtp_reorder.h). */
#include "codec/rtp_reorder.h"

#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "common/bytes.h"

#define WINDOW BRTC_REORDER_WINDOW
/* This many packets in a row far behind the floor means the sender restarted its sequence
 * numbers: start over rather than ignore it forever. */
#define RESTART_AFTER 64

void brtc_reorder_init(brtc_reorder *r, size_t max_payload) {
  memset(r, 0, sizeof(*r));
  r->max_payload = max_payload > 0xFFFF ? 0xFFFF : max_payload;
  /* Live bytes never exceed a full window of full packets: twice that is the most needed. */
  brtc_payload_arena_init(&r->arena, 2 * (size_t)WINDOW * (r->max_payload ? r->max_payload : 1));
}

void brtc_reorder_free(brtc_reorder *r) {
  free(r->slots);
  r->slots = NULL;
  brtc_payload_arena_free(&r->arena);
}

static brtc_reorder_slot *slot_of(brtc_reorder *r, uint16_t seq) {
  brtc_reorder_slot *s = &r->slots[seq % WINDOW];
  return s->used && s->seq == seq ? s : NULL;
}

const brtc_reorder_slot *brtc_reorder_at(const brtc_reorder *r, uint16_t seq) {
  if (!r->slots) return NULL;
  const brtc_reorder_slot *s = &r->slots[seq % WINDOW];
  return s->used && s->seq == seq ? s : NULL;
}

_Static_assert(WINDOW % 64 == 0, "the used-slot bitmap holds whole words");

static void mark_used(brtc_reorder *r, const brtc_reorder_slot *s, bool used) {
  size_t i = (size_t)(s - r->slots);
  uint64_t bit = 1ull << (i % 64);
  if (used) {
    r->used_bits[i / 64] |= bit;
    r->used_count++;
  } else {
    r->used_bits[i / 64] &= ~bit;
    r->used_count--;
  }
}

/* Of the len slots from index start on (wrapping at the window's end), the offset k' >= k
 * of the first in use; len if none. */
static uint32_t next_used(const brtc_reorder *r, uint32_t start, uint32_t k, uint32_t len) {
  while (k < len) {
    uint32_t idx = (start + k) % WINDOW;
    uint64_t bits = r->used_bits[idx / 64] >> (idx % 64);
    if (bits) {
      k += (uint32_t)__builtin_ctzll(bits); /* within the word: no wrap */
      return k < len ? k : len;
    }
    k += 64 - idx % 64;
  }
  return len;
}

/* A slot leaves: its payload bytes become a hole in the arena. */
static void release(brtc_reorder *r, brtc_reorder_slot *s) {
  if (!s->used) return;
  s->used = s->ready = false;
  mark_used(r, s, false);
  brtc_payload_arena_release(&r->arena, s->len);
}

static void set_floor(brtc_reorder *r, uint16_t seq) {
  r->have_floor = true;
  r->floor = seq;
  r->scan_valid = false;
  r->floor_unsure = false;
}

static void release_frame(brtc_reorder *r, const brtc_reorder_frame *f) {
  uint16_t n = (uint16_t)(f->last - f->first + 1);
  for (uint32_t i = 0; i < n && i < WINDOW; i++) {
    brtc_reorder_slot *s = slot_of(r, (uint16_t)(f->first + i));
    if (s) release(r, s);
  }
}

static void drop_oldest_ready(brtc_reorder *r) {
  release_frame(r, &r->ready[r->ready_head]);
  r->ready_head = (r->ready_head + 1) % BRTC_REORDER_MAX_READY;
  r->ready_count--;
  r->frames_unread++;
  r->loss = true; /* the decoder misses a frame as surely as if it were lost */
}

static void forget_all(brtc_reorder *r) {
  r->frames_unread += r->ready_count;
  r->ready_count = r->ready_head = 0;
  if (r->slots) memset(r->slots, 0, WINDOW * sizeof(brtc_reorder_slot));
  memset(r->used_bits, 0, sizeof r->used_bits);
  r->used_count = 0;
  brtc_payload_arena_clear(&r->arena);
}

void brtc_reorder_reset(brtc_reorder *r, bool clear_counters) {
  forget_all(r);
  r->have_highest = r->have_floor = r->scan_valid = r->loss = r->floor_unsure = false;
  r->far_late = 0;
  if (clear_counters) r->frames_lost = r->frames_unread = r->packets_late = 0;
}

/* Room for len more bytes at the arena's end, compacting the live payloads first. */
static int arena_reserve(brtc_reorder *r, size_t len) {
  if (brtc_payload_arena_fits(&r->arena, len)) return BRTC_OK;
  if (brtc_payload_arena_has_holes(&r->arena)) {
    brtc_payload_ref live[WINDOW];
    size_t n = 0;
    for (uint16_t i = 0; i < WINDOW; i++)
      if (r->slots[i].used && r->slots[i].len)
        live[n++] = (brtc_payload_ref){&r->slots[i].off, r->slots[i].len};
    brtc_payload_arena_compact(&r->arena, live, n);
  }
  return brtc_payload_arena_grow(&r->arena, len);
}

void brtc_reorder_drop(brtc_reorder *r, uint16_t from, uint16_t to, bool count_gaps) {
  uint64_t frames = 0;
  bool have_prev = false;
  uint32_t prev_ts = 0;
  uint16_t n = (uint16_t)(to - from + 1);
  uint32_t len = n < WINDOW ? n : WINDOW, start = from % WINDOW;
  for (uint32_t i = next_used(r, start, 0, len); r->slots && i < len;
       i = next_used(r, start, i + 1, len)) {
    brtc_reorder_slot *s = &r->slots[(start + i) % WINDOW];
    if (s->seq != (uint16_t)(from + i) || s->ready) continue;
    if (!s->padding && (!have_prev || s->ts != prev_ts)) frames++;
    if (!s->padding) {
      have_prev = true;
      prev_ts = s->ts;
    }
    release(r, s);
  }
  if (frames == 0 && count_gaps) frames = 1;
  if (frames) {
    r->frames_lost += frames;
    r->loss = true;
  }
  set_floor(r, to);
}

void brtc_reorder_skip_to(brtc_reorder *r, uint16_t seq) {
  if (r->have_floor) {
    uint16_t n = (uint16_t)(seq - r->floor), from = (uint16_t)(r->floor + 1);
    uint32_t len = n < WINDOW ? n : WINDOW, start = from % WINDOW;
    for (uint32_t i = next_used(r, start, 0, len); r->slots && i < len;
         i = next_used(r, start, i + 1, len)) {
      brtc_reorder_slot *s = &r->slots[(start + i) % WINDOW];
      if (s->seq == (uint16_t)(from + i) && !s->ready) release(r, s);
    }
  }
  set_floor(r, seq);
}

/* The window now ends at new_highest: whatever falls out of it can never complete, and a
 * queued frame whose packets it needs is dropped unread. */
static void advance(brtc_reorder *r, uint16_t new_highest) {
  uint16_t new_low = (uint16_t)(new_highest - WINDOW + 1);
  if (r->have_floor && brtc_seq_diff(new_low, (uint16_t)(r->floor + 1)) > 0) {
    brtc_reorder_drop(r, (uint16_t)(r->floor + 1), (uint16_t)(new_low - 1), true);
    r->floor_unsure = true;
  }
  int dh = brtc_seq_diff(new_highest, r->highest);
  if (dh >= WINDOW) {
    forget_all(r);
  } else {
    for (int i = 1; i <= dh && r->used_count; i++) { /* none in use: nothing to free */
      brtc_reorder_slot *s = &r->slots[(uint16_t)(r->highest + i) % WINDOW];
      while (s->used && s->ready && r->ready_count) drop_oldest_ready(r);
      release(r, s);
    }
  }
  r->highest = new_highest;
}

static int ensure_slots(brtc_reorder *r) {
  if (r->slots) return BRTC_OK;
  r->slots = calloc(WINDOW, sizeof(brtc_reorder_slot));
  return r->slots ? BRTC_OK : BRTC_ERR_NOMEM;
}

int brtc_reorder_insert(brtc_reorder *r, uint16_t seq, uint32_t ts, bool marker, uint32_t info,
                        const uint8_t *payload, size_t len, const brtc_reorder_slot **slot) {
  if (len > r->max_payload) return BRTC_ERR_TOO_BIG;
  if (r->have_floor && brtc_seq_diff(seq, r->floor) <= 0) {
    if (brtc_seq_diff(seq, r->floor) < -WINDOW && ++r->far_late >= RESTART_AFTER) {
      brtc_reorder_reset(r, false);
    } else {
      r->packets_late++;
      return BRTC_ERR_REPLAY;
    }
  } else {
    r->far_late = 0;
  }
  int rc = ensure_slots(r);
  if (rc != BRTC_OK) return rc;
  if (!r->have_highest) {
    r->have_highest = true;
    r->highest = seq;
  } else if (brtc_seq_diff(seq, r->highest) > 0) {
    advance(r, seq);
  } else if (brtc_seq_diff(r->highest, seq) >= WINDOW) {
    r->packets_late++; /* older than the window */
    return BRTC_ERR_REPLAY;
  }
  brtc_reorder_slot *s = &r->slots[seq % WINDOW];
  if (s->used && s->seq == seq) {
    r->packets_late++; /* duplicate */
    return BRTC_ERR_REPLAY;
  }
  while (s->used && s->ready && r->ready_count) drop_oldest_ready(r);
  release(r, s); /* whatever it held is out of the window */
  rc = arena_reserve(r, len);
  if (rc != BRTC_OK) return rc;
  *s = (brtc_reorder_slot){
      .used = true,
      .padding = len == 0,
      .marker = marker,
      .seq = seq,
      .len = (uint16_t)len,
      .ts = ts,
      .info = info,
  };
  mark_used(r, s, true);
  s->off = brtc_payload_arena_append(&r->arena, payload, len);
  *slot = s;
  return BRTC_OK;
}

void brtc_reorder_complete(brtc_reorder *r, uint16_t first, uint16_t last, size_t size,
                           uint32_t info) {
  if (r->ready_count == BRTC_REORDER_MAX_READY) drop_oldest_ready(r);
  uint16_t n = (uint16_t)(last - first + 1);
  for (uint32_t i = 0; i < n && i < WINDOW; i++) {
    brtc_reorder_slot *s = slot_of(r, (uint16_t)(first + i));
    if (s) s->ready = true;
  }
  size_t at = (r->ready_head + r->ready_count) % BRTC_REORDER_MAX_READY;
  r->ready[at] = (brtc_reorder_frame){.first = first, .last = last, .size = size, .info = info};
  r->ready_count++;
  set_floor(r, last);
}

const brtc_reorder_frame *brtc_reorder_peek(const brtc_reorder *r) {
  return r->ready_count ? &r->ready[r->ready_head] : NULL;
}

void brtc_reorder_take(brtc_reorder *r) {
  if (!r->ready_count) return;
  release_frame(r, &r->ready[r->ready_head]);
  r->ready_head = (r->ready_head + 1) % BRTC_REORDER_MAX_READY;
  r->ready_count--;
}

bool brtc_reorder_take_loss(brtc_reorder *r) {
  bool l = r->loss;
  r->loss = false;
  return l;
}

size_t brtc_reorder_memory(const brtc_reorder *r) {
  return (r->slots ? WINDOW * sizeof(brtc_reorder_slot) : 0) + r->arena.cap;
}
