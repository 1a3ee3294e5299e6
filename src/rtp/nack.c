/* Missing sequence numbers to ask for with generic NACK (RFC 4585 6.2.1). */
#include "rtp/nack.h"

#include <string.h>

#include "common/bytes.h"

/* Entries are kept in ascending (wrap-aware) order: gaps are appended as the highest seq
 * advances, and removal preserves order. */

/* A packet this far behind the highest is a new sequence, not a late one. */
#define RESTART_DISTANCE 4096

void brtc_nack_init(brtc_nack_tracker *t) { memset(t, 0, sizeof(*t)); }

static void remove_at(brtc_nack_tracker *t, size_t i) {
  memmove(&t->missing[i], &t->missing[i + 1], (t->n_missing - i - 1) * sizeof(t->missing[0]));
  t->n_missing--;
}

static void add_missing(brtc_nack_tracker *t, uint16_t seq, uint64_t now_us) {
  if (t->n_missing == BRTC_NACK_MAX_MISSING) remove_at(t, 0); /* forget the oldest */
  brtc_nack_entry *e = &t->missing[t->n_missing++];
  e->seq = seq;
  e->retries = 0;
  e->next_at_us = now_us;
}

void brtc_nack_on_packet(brtc_nack_tracker *t, uint16_t seq, uint64_t now_us) {
  if (!t->started) {
    t->started = true;
    t->highest = seq;
    return;
  }
  int d = brtc_seq_diff(seq, t->highest);
  if (d > 0) {
    int gap = d - 1;
    if (gap > BRTC_NACK_MAX_MISSING) {
      /* Too much lost to repair packet by packet; what was pending is stale too. */
      t->n_missing = 0;
    } else {
      for (int i = 1; i <= gap; i++) add_missing(t, (uint16_t)(t->highest + i), now_us);
    }
    t->highest = seq;
    /* Drop entries so far behind that they could alias after a wrap. */
    while (t->n_missing && brtc_seq_diff(t->highest, t->missing[0].seq) > 0x4000) remove_at(t, 0);
    return;
  }
  if (d == 0) return;
  if (d < -RESTART_DISTANCE) {
    /* Far behind anything we could still be missing: the sender restarted its sequence. */
    t->n_missing = 0;
    t->highest = seq;
    return;
  }
  for (size_t i = 0; i < t->n_missing; i++) {
    if (t->missing[i].seq == seq) {
      remove_at(t, i);
      return;
    }
  }
}

size_t brtc_nack_due(brtc_nack_tracker *t, uint64_t now_us, uint16_t *seqs, size_t cap) {
  size_t n = 0;
  for (size_t i = 0; i < t->n_missing && n < cap; i++) {
    brtc_nack_entry *e = &t->missing[i];
    if (e->next_at_us > now_us) continue;
    seqs[n++] = e->seq;
    e->retries++;
    e->next_at_us = now_us + BRTC_NACK_RETRY_US;
  }
  /* Asked often enough: give up on these (the decoder will want a keyframe instead). */
  for (size_t i = 0; i < t->n_missing;) {
    if (t->missing[i].retries >= BRTC_NACK_MAX_RETRIES)
      remove_at(t, i);
    else
      i++;
  }
  return n;
}

uint64_t brtc_nack_next_deadline(const brtc_nack_tracker *t) {
  uint64_t best = UINT64_MAX;
  for (size_t i = 0; i < t->n_missing; i++)
    if (t->missing[i].next_at_us < best) best = t->missing[i].next_at_us;
  return best;
}
