/* Leaky-bucket pacer with three priority queues of handles. */
#include "rtp/pacer.h"

#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"

#define US_PER_S 1000000u

/* A ring of items: alloc places now (from initial up to cap, the bound: a frame larger than
 * usual grows it, and it goes back once empty), head the oldest. */
typedef struct queue {
  brtc_pacer_item *items;
  size_t cap, alloc, initial, head, count;
} queue;

struct brtc_pacer {
  uint64_t target_bps, rate_bps;
  uint32_t factor_percent;
  uint64_t burst_us, max_queue_us;
  /* The debt in bits x 10^6 (so a drain of rate_bps over dt_us is rate_bps * dt_us, exact):
   * a packet may leave while it is at most threshold = rate_bps * burst_us. */
  uint64_t debt, threshold;
  uint64_t last_us;
  bool started;
  uint64_t queued_bytes;
  queue q[BRTC_PACER_CLASSES];
  brtc_pacer_stats stats;
};

static const size_t k_default_capacity[BRTC_PACER_CLASSES] = {128, 1024, 1024};

static void update_rate(brtc_pacer *p) {
  uint64_t rate = p->target_bps / 100 * p->factor_percent;
  p->rate_bps = rate < BRTC_PACER_MIN_RATE_BPS ? BRTC_PACER_MIN_RATE_BPS : rate;
  p->threshold = p->rate_bps * p->burst_us;
}

brtc_pacer *brtc_pacer_new(const brtc_pacer_config *c, int *err) {
  int dummy;
  if (!err) err = &dummy;
  *err = BRTC_ERR_INVALID;
  /* Bounds keep rate x burst and rate x queue time inside 64 bits. */
  if (!c || c->target_bitrate_bps > 100000000000ull || c->burst_us > US_PER_S ||
      c->max_queue_us > 60ull * US_PER_S || c->factor_percent > 1000)
    return NULL;
  *err = BRTC_ERR_NOMEM;
  brtc_pacer *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  for (int i = 0; i < BRTC_PACER_CLASSES; i++) {
    queue *q = &p->q[i];
    q->cap = c->capacity[i] ? c->capacity[i] : k_default_capacity[i];
    q->initial = q->alloc = q->cap < k_default_capacity[i] ? q->cap : k_default_capacity[i];
    q->items = calloc(q->alloc, sizeof *q->items);
    if (!q->items) {
      brtc_pacer_free(p);
      return NULL;
    }
  }
  p->factor_percent = c->factor_percent ? c->factor_percent : BRTC_PACER_FACTOR_PERCENT;
  p->burst_us = c->burst_us ? c->burst_us : BRTC_PACER_BURST_US;
  p->max_queue_us = c->max_queue_us ? c->max_queue_us : BRTC_PACER_MAX_QUEUE_US;
  p->target_bps = c->target_bitrate_bps;
  update_rate(p);
  *err = BRTC_OK;
  return p;
}

void brtc_pacer_free(brtc_pacer *p) {
  if (!p) return;
  for (int i = 0; i < BRTC_PACER_CLASSES; i++) free(p->q[i].items);
  free(p);
}

void brtc_pacer_set_target_bitrate(brtc_pacer *p, uint64_t target_bps) {
  if (target_bps > 100000000000ull) target_bps = 100000000000ull;
  p->target_bps = target_bps;
  update_rate(p);
}

uint64_t brtc_pacer_rate_bps(const brtc_pacer *p) { return p->rate_bps; }

/* Let the debt drain for the time since the last call. */
static void drain(brtc_pacer *p, uint64_t now_us) {
  if (!p->started) {
    p->started = true;
    p->last_us = now_us;
    return;
  }
  if (now_us <= p->last_us) return; /* time never runs backwards for us */
  uint64_t dt = now_us - p->last_us;
  p->last_us = now_us;
  p->debt = p->debt / p->rate_bps < dt ? 0 : p->debt - p->rate_bps * dt;
}

/* The ring into alloc places (holding all it has), oldest first from 0. */
static bool resize(queue *q, size_t alloc) {
  brtc_pacer_item *items = malloc(alloc * sizeof *items);
  if (!items) return false;
  for (size_t k = 0; k < q->count; k++) items[k] = q->items[(q->head + k) % q->alloc];
  free(q->items);
  q->items = items;
  q->alloc = alloc;
  q->head = 0;
  return true;
}

int brtc_pacer_reserve(brtc_pacer *p, brtc_pacer_class klass, size_t n) {
  if (!p || (unsigned)klass >= BRTC_PACER_CLASSES) return BRTC_ERR_INVALID;
  queue *q = &p->q[klass];
  if (n > q->cap - q->count) return BRTC_ERR_LIMIT;
  if (q->count + n <= q->alloc) return BRTC_OK;
  size_t alloc = q->alloc * 2;
  while (alloc < q->count + n) alloc *= 2;
  if (alloc > q->cap) alloc = q->cap;
  return resize(q, alloc) ? BRTC_OK : BRTC_ERR_NOMEM;
}

int brtc_pacer_enqueue(brtc_pacer *p, brtc_pacer_class klass, uint64_t handle, uint32_t size,
                       uint64_t now_us) {
  if (!p || (unsigned)klass >= BRTC_PACER_CLASSES || size == 0) return BRTC_ERR_INVALID;
  queue *q = &p->q[klass];
  int rc = brtc_pacer_reserve(p, klass, 1);
  if (rc != BRTC_OK) {
    p->stats.refused_full[klass]++;
    return rc;
  }
  /* An idle pacer's debt has drained meanwhile: bring it up to date before it is read. */
  if (p->queued_bytes == 0) drain(p, now_us);
  q->items[(q->head + q->count) % q->alloc] =
      (brtc_pacer_item){.handle = handle, .enqueued_us = now_us, .size = size, .klass = klass};
  q->count++;
  p->queued_bytes += size;
  p->stats.enqueued[klass]++;
  return BRTC_OK;
}

size_t brtc_pacer_room(const brtc_pacer *p, brtc_pacer_class klass) {
  if ((unsigned)klass >= BRTC_PACER_CLASSES) return 0;
  return p->q[klass].cap - p->q[klass].count;
}

size_t brtc_pacer_capacity(const brtc_pacer *p, brtc_pacer_class klass) {
  return (unsigned)klass < BRTC_PACER_CLASSES ? p->q[klass].cap : 0;
}

static queue *first_waiting(brtc_pacer *p) {
  for (int i = 0; i < BRTC_PACER_CLASSES; i++)
    if (p->q[i].count) return &p->q[i];
  return NULL;
}

size_t brtc_pacer_poll(brtc_pacer *p, uint64_t now_us, brtc_pacer_item *out, size_t cap) {
  if (!p || !out) return 0;
  drain(p, now_us);
  size_t n = 0;
  queue *q;
  while (n < cap && (q = first_waiting(p))) {
    bool audio = q == &p->q[BRTC_PACER_AUDIO];
    if (!audio && p->debt > p->threshold) break;
    brtc_pacer_item it = q->items[q->head];
    q->head = (q->head + 1) % q->alloc;
    /* Emptied after a large frame: back to its usual size (cannot fail smaller; if it did,
     * the larger ring stays). */
    if (--q->count == 0 && q->alloc > q->initial) (void)resize(q, q->initial);
    p->queued_bytes -= it.size;
    p->debt += (uint64_t)it.size * 8u * US_PER_S;
    uint64_t wait = now_us > it.enqueued_us ? now_us - it.enqueued_us : 0;
    if (wait > p->stats.max_wait_us) p->stats.max_wait_us = wait;
    p->stats.total_wait_us += wait;
    p->stats.sent[it.klass]++;
    p->stats.sent_bytes[it.klass] += it.size;
    out[n++] = it;
  }
  return n;
}

uint64_t brtc_pacer_deadline(const brtc_pacer *p) {
  if (!p->queued_bytes) return UINT64_MAX;
  if (p->q[BRTC_PACER_AUDIO].count || p->debt <= p->threshold) return p->last_us;
  uint64_t excess = p->debt - p->threshold;
  return p->last_us + (excess + p->rate_bps - 1) / p->rate_bps;
}

uint64_t brtc_pacer_queue_time_us(const brtc_pacer *p) {
  return p->queued_bytes * 8u * US_PER_S / p->rate_bps;
}

bool brtc_pacer_congested(const brtc_pacer *p) {
  return brtc_pacer_queue_time_us(p) > p->max_queue_us;
}

size_t brtc_pacer_queued(const brtc_pacer *p) {
  size_t n = 0;
  for (int i = 0; i < BRTC_PACER_CLASSES; i++) n += p->q[i].count;
  return n;
}

size_t brtc_pacer_purge(brtc_pacer *p, uint64_t mask, uint64_t value) {
  size_t removed = 0;
  for (int i = 0; i < BRTC_PACER_CLASSES; i++) {
    queue *q = &p->q[i];
    size_t kept = 0;
    for (size_t k = 0; k < q->count; k++) {
      brtc_pacer_item it = q->items[(q->head + k) % q->alloc];
      if ((it.handle & mask) == value) {
        p->queued_bytes -= it.size;
        removed++;
        continue;
      }
      q->items[(q->head + kept) % q->alloc] = it;
      kept++;
    }
    q->count = kept;
  }
  p->stats.purged += removed;
  return removed;
}

const brtc_pacer_stats *brtc_pacer_get_stats(const brtc_pacer *p) { return &p->stats; }

size_t brtc_pacer_memory(const brtc_pacer *p) {
  size_t m = sizeof *p;
  for (int i = 0; i < BRTC_PACER_CLASSES; i++) m += p->q[i].alloc * sizeof *p->q[i].items;
  return m;
}
