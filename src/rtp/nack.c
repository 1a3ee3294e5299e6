/* Missing sequence numbers to ask for with generic NACK (RFC 4585 6.2.1), after an
 * allowance for reordering; see nack.h for the policy. */
#include "rtp/nack.h"

#include <string.h>

#include "common/bytes.h"

/* Entries are kept in ascending (wrap-aware) order: gaps are appended as the highest seq
 * advances, and removal preserves order. */

/* A packet this far behind the highest is a new sequence, not a late one. */
#define RESTART_DISTANCE 4096
#define SAMPLE_RUN 64            /* reordered packets per run of the lateness maximum */
#define MIN_INTERVAL_US 10000    /* between two asks for one packet, at least */
#define ASKED_MEMORY_US 2000000  /* how long an ask explains a duplicate */
#define START_REACH 64           /* how far before the first packet the stream may begin */
#define WORDS (BRTC_NACK_RECEIVED_BITS / 64)

void brtc_nack_init(brtc_nack_tracker *t) {
  memset(t, 0, sizeof(*t));
  t->rtt_us = BRTC_NACK_DEFAULT_RTT_US;
  t->wait_us = BRTC_NACK_INITIAL_WAIT_US;
}

static void remove_at(brtc_nack_tracker *t, size_t i) {
  memmove(&t->missing[i], &t->missing[i + 1], (t->n_missing - i - 1) * sizeof(t->missing[0]));
  t->n_missing--;
}

/* ---- which recent seqs arrived: bit seq % 512, valid for (highest - 512, highest] ---- */

static void bit_set(brtc_nack_tracker *t, uint16_t seq) {
  unsigned b = seq % BRTC_NACK_RECEIVED_BITS;
  t->received[b / 64] |= (uint64_t)1 << (b % 64);
}

static bool bit_get(const brtc_nack_tracker *t, uint16_t seq) {
  unsigned b = seq % BRTC_NACK_RECEIVED_BITS;
  return (t->received[b / 64] >> (b % 64)) & 1;
}

static void bit_clear(brtc_nack_tracker *t, uint16_t seq) {
  unsigned b = seq % BRTC_NACK_RECEIVED_BITS;
  t->received[b / 64] &= ~((uint64_t)1 << (b % 64));
}

/* The highest moves on by d: the seqs it passes over have not arrived (yet); the new highest
 * is set by the caller. */
static void bits_advance(brtc_nack_tracker *t, int d) {
  if (d >= BRTC_NACK_RECEIVED_BITS) {
    memset(t->received, 0, sizeof(t->received));
    return;
  }
  for (int i = 1; i < d; i++) bit_clear(t, (uint16_t)(t->highest + i));
}

/* ---- reordering allowance ---- */

static uint64_t interval_us(const brtc_nack_tracker *t) {
  uint64_t v = t->rtt_us + t->wait_us;
  return v < MIN_INTERVAL_US ? MIN_INTERVAL_US : v;
}

static void update_wait(brtc_nack_tracker *t) {
  uint64_t m = t->late_max_cur_us > t->late_max_prev_us ? t->late_max_cur_us : t->late_max_prev_us;
  uint64_t w = m + m / 4 + 1000; /* a quarter and a millisecond of margin */
  if (t->late_samples < SAMPLE_RUN && w < BRTC_NACK_INITIAL_WAIT_US) w = BRTC_NACK_INITIAL_WAIT_US;
  if (w < BRTC_NACK_MIN_WAIT_US) w = BRTC_NACK_MIN_WAIT_US;
  if (w > BRTC_NACK_MAX_WAIT_US) w = BRTC_NACK_MAX_WAIT_US;
  t->wait_us = w;
}

/* A packet that was only late arrived lateness_us after its gap was seen. */
static void sample_lateness(brtc_nack_tracker *t, uint64_t lateness_us) {
  uint32_t l = lateness_us > UINT32_MAX ? UINT32_MAX : (uint32_t)lateness_us;
  if (l > t->late_max_cur_us) t->late_max_cur_us = l;
  if (++t->late_samples % SAMPLE_RUN == 0) {
    t->late_max_prev_us = t->late_max_cur_us;
    t->late_max_cur_us = 0;
  }
  update_wait(t);
}

/* ---- arrivals ---- */

static void add_missing(brtc_nack_tracker *t, uint16_t seq, uint64_t now_us) {
  if (t->n_missing == BRTC_NACK_MAX_MISSING) remove_at(t, 0); /* forget the oldest */
  t->missing[t->n_missing++] = (brtc_nack_entry){
      .seq = seq, .created_us = now_us, .next_at_us = now_us + t->wait_us};
}

static brtc_nack_arrival on_newer(brtc_nack_tracker *t, uint16_t seq, int d, uint64_t now_us) {
  int gap = d - 1;
  bits_advance(t, d);
  bit_set(t, seq);
  if (gap > BRTC_NACK_MAX_MISSING) {
    t->n_missing = 0; /* too much lost to repair packet by packet; what was pending is stale */
  } else {
    for (int i = 1; i <= gap; i++) add_missing(t, (uint16_t)(t->highest + i), now_us);
  }
  t->highest = seq;
  /* Drop entries so far behind that they could alias after a wrap. */
  while (t->n_missing && brtc_seq_diff(t->highest, t->missing[0].seq) > 0x4000) remove_at(t, 0);
  return BRTC_NACK_NEW;
}

/* A missing packet arrived: reordered, or the answer to our NACK? */
static brtc_nack_arrival fill_gap(brtc_nack_tracker *t, size_t i, brtc_nack_source src,
                                  uint64_t now_us) {
  brtc_nack_entry e = t->missing[i];
  remove_at(t, i);
  bit_set(t, e.seq);
  uint64_t lateness = now_us > e.created_us ? now_us - e.created_us : 0;
  if (e.asks == 0) {
    t->stats.reordered++;
    sample_lateness(t, lateness);
    return BRTC_NACK_REORDERED;
  }
  /* Asked for: an original still counts as reordering if it cannot be the answer (RTX is
   * in use, or it came sooner than half a known round trip after the ask). */
  bool original = src == BRTC_NACK_SRC_ORIGINAL ||
                  (src == BRTC_NACK_SRC_MEDIA_MAYBE_RESENT && t->rtt_known &&
                   now_us - e.first_ask_us < t->rtt_us / 2);
  if (original) {
    t->stats.reordered++;
    t->stats.spurious++;
    sample_lateness(t, lateness);
    return BRTC_NACK_REORDERED;
  }
  t->stats.recovered++;
  return BRTC_NACK_RECOVERED;
}

/* The stream's first packet to arrive may have overtaken earlier ones (reordering): one of
 * them arriving now, shortly behind the first, shows the stream began earlier, and what lies
 * between is missing like any gap. */
static bool extend_start(brtc_nack_tracker *t, uint16_t seq, uint64_t now_us) {
  int below = brtc_seq_diff(t->first_seq, seq);
  if (t->start_settled || below <= 0 || below > START_REACH) return false;
  size_t gap = (size_t)below - 1;
  if (t->n_missing + gap > BRTC_NACK_MAX_MISSING) return false;
  memmove(&t->missing[gap], &t->missing[0], t->n_missing * sizeof(t->missing[0]));
  for (size_t i = 0; i < gap; i++)
    t->missing[i] = (brtc_nack_entry){.seq = (uint16_t)(seq + 1 + i),
                                      .created_us = now_us,
                                      .next_at_us = now_us + t->wait_us};
  t->n_missing += gap;
  t->first_seq = seq;
  bit_set(t, seq);
  t->stats.reordered++; /* it came after a later packet */
  return true;
}

brtc_nack_arrival brtc_nack_on_packet(brtc_nack_tracker *t, uint16_t seq, brtc_nack_source src,
                                      uint64_t now_us) {
  if (!t->started) {
    t->started = true;
    t->highest = t->first_seq = seq;
    bit_set(t, seq);
    return BRTC_NACK_NEW;
  }
  int d = brtc_seq_diff(seq, t->highest);
  if (d > 0) return on_newer(t, seq, d, now_us);
  if (d < -RESTART_DISTANCE) {
    /* Far behind anything we could still be missing: the sender restarted its sequence. */
    t->n_missing = 0;
    memset(t->received, 0, sizeof(t->received));
    t->highest = t->first_seq = seq;
    bit_set(t, seq);
    return BRTC_NACK_NEW;
  }
  bool in_bits = -d < BRTC_NACK_RECEIVED_BITS;
  if (in_bits && bit_get(t, seq)) {
    t->stats.duplicates++;
    return BRTC_NACK_DUPLICATE;
  }
  for (size_t i = 0; i < t->n_missing; i++)
    if (t->missing[i].seq == seq) return fill_gap(t, i, src, now_us);
  if (src != BRTC_NACK_SRC_RTX && extend_start(t, seq, now_us)) return BRTC_NACK_REORDERED;
  if (in_bits) bit_set(t, seq); /* a later copy of it is then a duplicate */
  return BRTC_NACK_LATE;
}

/* ---- asking ---- */

/* When entry e next wants attention: its ask (a repeat may go up to a quarter of the
 * interval early to share a message), or the end of the last ask's round trip. */
static uint64_t due_at(const brtc_nack_tracker *t, const brtc_nack_entry *e) {
  if (e->asks == 0 || e->asks >= BRTC_NACK_MAX_ASKS) return e->next_at_us;
  uint64_t early = interval_us(t) / 4;
  return e->next_at_us > early ? e->next_at_us - early : 0;
}

static void remember_asked(brtc_nack_tracker *t, uint16_t seq, uint64_t now_us) {
  t->asked[t->asked_next].seq = seq;
  t->asked[t->asked_next].at_us = now_us + 1; /* 0 marks an empty slot */
  t->asked_next = (t->asked_next + 1) % BRTC_NACK_ASKED_RING;
}

size_t brtc_nack_due(brtc_nack_tracker *t, uint64_t now_us, uint16_t *seqs, size_t cap) {
  size_t n = 0;
  uint64_t interval = interval_us(t);
  for (size_t i = 0; i < t->n_missing;) {
    brtc_nack_entry *e = &t->missing[i];
    if (due_at(t, e) > now_us) {
      i++;
      continue;
    }
    if (e->asks >= BRTC_NACK_MAX_ASKS) { /* the last ask had its round trip */
      t->stats.given_up++;
      remove_at(t, i);
      continue;
    }
    if (n == cap) break;
    seqs[n++] = e->seq;
    if (e->asks++ == 0) {
      e->first_ask_us = now_us;
      remember_asked(t, e->seq, now_us);
    }
    e->next_at_us = now_us + interval;
    i++;
  }
  if (n) {
    t->stats.messages_built++;
    t->stats.seqs_asked += n;
  }
  return n;
}

uint64_t brtc_nack_next_deadline(const brtc_nack_tracker *t) {
  uint64_t best = UINT64_MAX;
  for (size_t i = 0; i < t->n_missing; i++) {
    uint64_t at = due_at(t, &t->missing[i]);
    if (at < best) best = at;
  }
  return best;
}

void brtc_nack_set_rtt(brtc_nack_tracker *t, uint64_t rtt_us) {
  if (!rtt_us) return;
  t->rtt_us = rtt_us;
  t->rtt_known = true;
}

void brtc_nack_forget_before(brtc_nack_tracker *t, uint16_t seq) {
  t->start_settled = true; /* what came before was given up: no reaching back to it */
  size_t keep = 0;
  while (keep < t->n_missing && brtc_seq_diff(t->missing[keep].seq, seq) < 0) keep++;
  if (keep == 0) return;
  memmove(&t->missing[0], &t->missing[keep], (t->n_missing - keep) * sizeof(t->missing[0]));
  t->n_missing -= keep;
}

bool brtc_nack_was_asked(const brtc_nack_tracker *t, uint16_t seq, uint64_t now_us) {
  for (size_t i = 0; i < BRTC_NACK_ASKED_RING; i++) {
    if (t->asked[i].at_us == 0 || t->asked[i].seq != seq) continue;
    if (now_us + 1 - t->asked[i].at_us <= ASKED_MEMORY_US) return true;
  }
  return false;
}

uint64_t brtc_nack_wait_us(const brtc_nack_tracker *t) { return t->wait_us; }

uint64_t brtc_nack_budget_us(const brtc_nack_tracker *t) {
  return t->wait_us + BRTC_NACK_MAX_ASKS * interval_us(t);
}
