/* A peer connection's event queue: what brtc_pc_poll_output hands out after the datagrams.
 * Every event's strings and bytes are copied into one arena owned by the queue, so that what
 * produced them (a stack buffer) may change at once; the copy stays valid until the next
 * call into the pc (include/boltrtc/peer_connection.h). The arena is reused from its start
 * whenever the queue was empty, so a pc drained after every call (the rule) never holds more
 * than one call's events.
 *
 * A frame's bytes are not copied: the event borrows them from the track's assembler, which
 * keeps them until it is next pushed or popped. Before that happens the pc settles the
 * source (pc_events_settle): only events still queued then are copied. An owner that
 * drains after every call has taken them all by then, so a frame costs no copy (the copy
 * was 8 % of the instructions per ingested packet). */
#include <stdlib.h>
#include <string.h>

#include "pc/pc_internal.h"

/* An owner that breaks the rule and never drains must not grow the pc without bound: past
 * these, events are dropped and counted (brtc_pc_stats.events_dropped). */
#define PC_EVENTS_MAX 1024
#define PC_EVENTS_ARENA_MAX(pc) ((pc)->max_video_frame * 2 + (1u << 20))
/* A big arena (a keyframe's copy) is given back once it is empty again. */
#define PC_EVENTS_ARENA_KEEP (64u * 1024)

typedef struct pc_queued {
  brtc_output ev; /* detail and data are offsets into the arena while queued, */
  size_t detail_off, data_off;
  const void *lender; /* ... except data lent by this source (ev.data points there) */
  bool has_detail;
  bool dropped; /* lent, and no room to copy it when the lender needed it back */
} pc_queued;

struct pc_event_queue {
  pc_queued *q;
  size_t head, count, cap;
  size_t lent; /* queued events whose data is lent */
  uint8_t *arena;
  size_t used, arena_cap;
};

static bool arena_reserve(brtc_pc *pc, pc_event_queue *eq, size_t more) {
  if (more > PC_EVENTS_ARENA_MAX(pc) - eq->used) return false;
  if (eq->used + more <= eq->arena_cap) return true;
  size_t cap = eq->arena_cap ? eq->arena_cap : 1024;
  while (cap < eq->used + more) cap *= 2;
  uint8_t *a = realloc(eq->arena, cap);
  if (!a) return false;
  eq->arena = a;
  eq->arena_cap = cap;
  return true;
}

static size_t arena_put(pc_event_queue *eq, const void *src, size_t len) {
  size_t off = eq->used;
  if (len) memcpy(eq->arena + off, src, len);
  eq->used += len;
  return off;
}

static bool queue_reserve(pc_event_queue *eq) {
  if (eq->count < eq->cap) return true;
  if (eq->cap >= PC_EVENTS_MAX) return false;
  size_t cap = eq->cap ? eq->cap * 2 : 8;
  pc_queued *q = malloc(cap * sizeof(*q));
  if (!q) return false;
  for (size_t i = 0; i < eq->count; i++) q[i] = eq->q[(eq->head + i) % eq->cap];
  free(eq->q);
  eq->q = q;
  eq->head = 0;
  eq->cap = cap;
  return true;
}

static int push(brtc_pc *pc, const brtc_output *ev, const void *lender) {
  pc_mark_ready(pc);
  if (!pc->events) {
    pc->events = calloc(1, sizeof(*pc->events));
    if (!pc->events) goto dropped;
  }
  pc_event_queue *eq = pc->events;
  if (eq->count == 0) {
    /* Nothing queued: what the arena held was handed out before this call began. */
    eq->used = 0;
    if (eq->arena_cap > PC_EVENTS_ARENA_KEEP) {
      free(eq->arena);
      eq->arena = NULL;
      eq->arena_cap = 0;
    }
  }
  size_t detail_len = ev->detail ? strlen(ev->detail) + 1 : 0;
  size_t data_len = ev->data ? ev->len : 0;
  size_t copied = lender ? 0 : data_len;
  if (!queue_reserve(eq) || !arena_reserve(pc, eq, detail_len + copied)) goto dropped;
  pc_queued *slot = &eq->q[(eq->head + eq->count) % eq->cap];
  slot->ev = *ev;
  slot->ev.kind = BRTC_OUTPUT_EVENT;
  slot->has_detail = ev->detail != NULL;
  slot->dropped = false;
  slot->detail_off = arena_put(eq, ev->detail, detail_len);
  slot->lender = data_len ? lender : NULL;
  slot->data_off = slot->lender ? 0 : arena_put(eq, ev->data, copied);
  slot->ev.len = data_len;
  if (slot->lender) eq->lent++;
  eq->count++;
  return BRTC_OK;
dropped:
  pc->stats.events_dropped++;
  return BRTC_ERR_LIMIT;
}

int pc_push_event(brtc_pc *pc, const brtc_output *ev) { return push(pc, ev, NULL); }

int pc_push_event_lent(brtc_pc *pc, const brtc_output *ev, const void *lender) {
  return push(pc, ev, lender);
}

void pc_events_settle(brtc_pc *pc, const void *lender) {
  pc_event_queue *eq = pc->events;
  if (!eq || eq->lent == 0 || !lender) return;
  for (size_t i = 0; i < eq->count && eq->lent; i++) {
    pc_queued *slot = &eq->q[(eq->head + i) % eq->cap];
    if (slot->lender != lender) continue;
    slot->lender = NULL;
    eq->lent--;
    /* Room only within the arena's bound; past it the frame is lost, as at push time. */
    if (!arena_reserve(pc, eq, slot->ev.len)) {
      slot->dropped = true;
      continue;
    }
    slot->data_off = arena_put(eq, slot->ev.data, slot->ev.len);
  }
}

bool pc_pop_event(brtc_pc *pc, brtc_output *out) {
  pc_event_queue *eq = pc->events;
  while (eq && eq->count > 0) {
    pc_queued *slot = &eq->q[eq->head];
    eq->head = (eq->head + 1) % eq->cap;
    eq->count--;
    if (slot->dropped) {
      pc->stats.events_dropped++;
      continue;
    }
    *out = slot->ev;
    out->detail = slot->has_detail ? (const char *)eq->arena + slot->detail_off : NULL;
    if (slot->lender) {
      eq->lent--; /* handed out: the owner's until its next call, which settles nothing */
    } else {
      out->data = slot->ev.len ? eq->arena + slot->data_off : NULL;
    }
    return true;
  }
  return false;
}

void pc_events_trim(brtc_pc *pc) {
  if (pc->events && pc->events->count == 0) pc_events_free(pc);
}

void pc_events_free(brtc_pc *pc) {
  if (!pc->events) return;
  free(pc->events->q);
  free(pc->events->arena);
  free(pc->events);
  pc->events = NULL;
}
