/* The simulated link: see sim_link.h. Datagrams in flight sit in a binary min-heap ordered
 * by delivery time, then by the order they were put in (so equal times keep sending order). */
#include "sim_link.h"

#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"

#define LINK_MAX_DATAGRAM 2048
#define LINK_DEFAULT_BUFFER (64 * 1024)

typedef struct in_flight {
  uint64_t deliver_at;
  uint64_t order;   /* when it entered the heap: ties go in this order */
  uint64_t sent_no; /* which datagram it is, in sending order (copies share it) */
  size_t len;
  uint8_t *data;
} in_flight;

struct sim_link {
  sim_link_config cfg;
  uint64_t rng;
  bool bad_state;           /* Gilbert-Elliott */
  bool pristine;            /* latency only, for now */
  uint64_t rate_free_at;    /* when the rate-limited link has sent everything queued */
  size_t queued_bytes;      /* bytes waiting for the rate limit */
  uint64_t next_order, next_sent_no, max_delivered_sent_no;
  bool delivered_any;
  in_flight *heap;
  size_t n, cap;
  sim_link_stats stats;
};

uint64_t sim_rand_next(uint64_t *state) {
  uint64_t x = *state ? *state : 0x9E3779B97F4A7C15ull;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1Dull;
}

double sim_rand_unit(uint64_t *state) { return (double)(sim_rand_next(state) >> 11) * 0x1p-53; }

static bool chance(sim_link *l, double p) { return p > 0 && sim_rand_unit(&l->rng) < p; }

sim_link *sim_link_new(const sim_link_config *cfg) {
  sim_link *l = calloc(1, sizeof(*l));
  if (!l) return NULL;
  if (cfg) l->cfg = *cfg;
  if (l->cfg.jitter_us > l->cfg.latency_us) l->cfg.jitter_us = l->cfg.latency_us;
  if (!l->cfg.buffer_bytes) l->cfg.buffer_bytes = LINK_DEFAULT_BUFFER;
  /* Mix the seed so that seeds 1, 2, 3 give unrelated streams. */
  l->rng = l->cfg.seed * 0x9E3779B97F4A7C15ull + 0xD1B54A32D192ED03ull;
  return l;
}

void sim_link_free(sim_link *l) {
  if (!l) return;
  for (size_t i = 0; i < l->n; i++) free(l->heap[i].data);
  free(l->heap);
  free(l);
}

static bool before(const in_flight *a, const in_flight *b) {
  return a->deliver_at != b->deliver_at ? a->deliver_at < b->deliver_at : a->order < b->order;
}

static int heap_push(sim_link *l, in_flight e) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 64;
    in_flight *h = realloc(l->heap, cap * sizeof(*h));
    if (!h) return BRTC_ERR_NOMEM;
    l->heap = h;
    l->cap = cap;
  }
  size_t i = l->n++;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!before(&e, &l->heap[parent])) break;
    l->heap[i] = l->heap[parent];
    i = parent;
  }
  l->heap[i] = e;
  return BRTC_OK;
}

static in_flight heap_pop(sim_link *l) {
  in_flight top = l->heap[0];
  in_flight last = l->heap[--l->n];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= l->n) break;
    if (c + 1 < l->n && before(&l->heap[c + 1], &l->heap[c])) c++;
    if (!before(&l->heap[c], &last)) break;
    l->heap[i] = l->heap[c];
    i = c;
  }
  if (l->n) l->heap[i] = last;
  return top;
}

static bool lose(sim_link *l) {
  if (l->cfg.ge_p <= 0) return chance(l, l->cfg.loss);
  if (l->bad_state ? chance(l, l->cfg.ge_r) : chance(l, l->cfg.ge_p)) l->bad_state = !l->bad_state;
  return chance(l, l->bad_state ? l->cfg.ge_loss_bad : l->cfg.ge_loss_good);
}

static uint64_t delay_of(sim_link *l) {
  if (l->pristine) return l->cfg.latency_us;
  if (chance(l, l->cfg.reorder)) return 0;
  uint64_t d = l->cfg.latency_us;
  if (l->cfg.jitter_us) {
    uint64_t span = 2 * l->cfg.jitter_us + 1;
    d = d - l->cfg.jitter_us + sim_rand_next(&l->rng) % span;
  }
  return d;
}

/* One copy into flight: through the rate limit's queue first, then the delay line. */
static int enqueue(sim_link *l, uint64_t now_us, uint64_t sent_no, const uint8_t *data,
                   size_t len, uint64_t extra_us) {
  uint64_t leave_at = now_us + extra_us;
  if (l->cfg.rate_bps && !l->pristine) {
    /* Bytes still queued at now: what the link has not finished sending. */
    uint64_t backlog_us = l->rate_free_at > now_us ? l->rate_free_at - now_us : 0;
    l->queued_bytes = (size_t)(backlog_us * l->cfg.rate_bps / 8 / 1000000);
    if (l->queued_bytes + len > l->cfg.buffer_bytes) {
      l->stats.overflow++;
      return BRTC_OK;
    }
    uint64_t start = l->rate_free_at > now_us ? l->rate_free_at : now_us;
    l->rate_free_at = start + (uint64_t)len * 8 * 1000000 / l->cfg.rate_bps;
    leave_at = l->rate_free_at;
  }
  in_flight e = {.deliver_at = leave_at + delay_of(l),
                 .order = l->next_order++,
                 .sent_no = sent_no,
                 .len = len,
                 .data = malloc(len ? len : 1)};
  if (!e.data) return BRTC_ERR_NOMEM;
  memcpy(e.data, data, len);
  int rc = heap_push(l, e);
  if (rc != BRTC_OK) free(e.data);
  return rc;
}

int sim_link_send(sim_link *l, uint64_t now_us, const uint8_t *data, size_t len) {
  if (!l || (!data && len)) return BRTC_ERR_INVALID;
  if (len > LINK_MAX_DATAGRAM) return BRTC_ERR_TOO_BIG;
  l->stats.sent++;
  uint64_t sent_no = l->next_sent_no++;
  uint64_t extra = l->cfg.hook ? l->cfg.hook(l->cfg.hook_user, data, len) : 0;
  if (extra == SIM_LINK_DROP || (!l->pristine && lose(l))) {
    l->stats.lost++;
    if (l->cfg.on_lost) l->cfg.on_lost(l->cfg.on_lost_user, data, len);
    return BRTC_OK;
  }
  int rc = enqueue(l, now_us, sent_no, data, len, extra);
  if (rc == BRTC_OK && !l->pristine && chance(l, l->cfg.duplicate)) {
    l->stats.duplicated++;
    rc = enqueue(l, now_us, sent_no, data, len, extra);
  }
  return rc;
}

uint64_t sim_link_next_deadline(const sim_link *l) {
  return l && l->n ? l->heap[0].deliver_at : UINT64_MAX;
}

int sim_link_receive(sim_link *l, uint64_t now_us, uint8_t *out, size_t cap, size_t *out_len) {
  if (!l || !l->n || l->heap[0].deliver_at > now_us) return BRTC_ERR_AGAIN;
  if (l->heap[0].len > cap) return BRTC_ERR_TOO_BIG;
  in_flight e = heap_pop(l);
  memcpy(out, e.data, e.len);
  *out_len = e.len;
  free(e.data);
  l->stats.delivered++;
  if (l->delivered_any && e.sent_no < l->max_delivered_sent_no) l->stats.reordered++;
  if (!l->delivered_any || e.sent_no > l->max_delivered_sent_no) l->max_delivered_sent_no = e.sent_no;
  l->delivered_any = true;
  return BRTC_OK;
}

const sim_link_stats *sim_link_get_stats(const sim_link *l) { return &l->stats; }

void sim_link_set_pristine(sim_link *l, bool on) {
  if (l) l->pristine = on;
}

size_t sim_link_in_flight(const sim_link *l) { return l ? l->n : 0; }
