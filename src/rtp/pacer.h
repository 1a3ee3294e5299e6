/* A pacer for one transport: packets leave at a pacing rate, not in the bursts the encoder
 * makes, so a keyframe does not overflow a bottleneck's queue and lose its own tail.
 *
 * A leaky bucket: each packet that leaves adds its size to a debt that drains at the pacing
 * rate (libwebrtc's: 2.5 times the target bitrate, so that the encoder's normal overshoot is
 * not delayed); a packet may leave while the debt is at most burst_us worth of bytes, so after
 * a quiet moment a few packets go at once (one sendmmsg, or one GSO batch) instead of one per
 * timer tick. Driven by now_us; brtc_pacer_deadline tells the owner when to call again.
 *
 * Three queues, served in order: audio (never held back: it is small, and latency matters
 * most there; its bytes still count against the debt), retransmissions (a receiver is waiting
 * for them), video. The pacer holds only handles (the packets stay in the send history), so
 * enqueue and poll copy nothing.
 *
 * Bounded: each queue has a fixed capacity (enqueue fails past it), and the owner refuses new
 * frames while brtc_pacer_queue_time_us, what is waiting divided by the rate, exceeds
 * max_queue_us: the encoder is outrunning the link, and a frame that would wait longer than
 * that is better dropped (and a keyframe asked for) than delivered late. libwebrtc's limit is
 * 2 s; ours defaults to 500 ms, as the device use case wants low latency. */
#ifndef BRTC_PACER_H
#define BRTC_PACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum brtc_pacer_class {
  BRTC_PACER_AUDIO = 0,
  BRTC_PACER_RETRANSMISSION = 1,
  BRTC_PACER_VIDEO = 2,
} brtc_pacer_class;
#define BRTC_PACER_CLASSES 3

#define BRTC_PACER_FACTOR_PERCENT 250
#define BRTC_PACER_BURST_US 5000u
#define BRTC_PACER_MAX_QUEUE_US 500000u
#define BRTC_PACER_MIN_RATE_BPS 10000u

typedef struct brtc_pacer_config {
  uint64_t target_bitrate_bps;         /* what the encoders aim at */
  uint32_t factor_percent;             /* pacing rate = target x this / 100; 0: 250 */
  uint64_t burst_us;                   /* 0: BRTC_PACER_BURST_US */
  uint64_t max_queue_us;               /* 0: BRTC_PACER_MAX_QUEUE_US */
  size_t capacity[BRTC_PACER_CLASSES]; /* items per queue at most; 0: 128 audio, 1024 others.
                                          Allocated at the default at first, grown by
                                          brtc_pacer_reserve and back once empty */
} brtc_pacer_config;

/* A packet waiting: the owner's handle (which stream, which packet) and its size. */
typedef struct brtc_pacer_item {
  uint64_t handle;
  uint64_t enqueued_us;
  uint32_t size;
  uint8_t klass;
} brtc_pacer_item;

typedef struct brtc_pacer_stats {
  uint64_t enqueued[BRTC_PACER_CLASSES];
  uint64_t sent[BRTC_PACER_CLASSES];
  uint64_t sent_bytes[BRTC_PACER_CLASSES];
  uint64_t refused_full[BRTC_PACER_CLASSES];
  uint64_t purged;
  uint64_t max_wait_us;   /* longest a packet waited */
  uint64_t total_wait_us; /* over all sent packets */
} brtc_pacer_stats;

typedef struct brtc_pacer brtc_pacer;

/* NULL with *err = BRTC_ERR_INVALID (a class without capacity is fine: 0 takes the default)
 * or BRTC_ERR_NOMEM. */
brtc_pacer *brtc_pacer_new(const brtc_pacer_config *c, int *err);
void brtc_pacer_free(brtc_pacer *p);
/* A new target (from congestion control, or the owner's setting); the pacing rate follows. */
void brtc_pacer_set_target_bitrate(brtc_pacer *p, uint64_t target_bps);
uint64_t brtc_pacer_rate_bps(const brtc_pacer *p);

/* BRTC_ERR_LIMIT if that queue is full, BRTC_ERR_INVALID for size 0 or a bad class. */
int brtc_pacer_enqueue(brtc_pacer *p, brtc_pacer_class klass, uint64_t handle, uint32_t size,
                       uint64_t now_us);
/* Make n more places ready in a queue (growing it toward its capacity), so that n enqueues
 * cannot fail: what a frame asks before any of its packets is stored. BRTC_ERR_LIMIT past the
 * capacity, BRTC_ERR_NOMEM. */
int brtc_pacer_reserve(brtc_pacer *p, brtc_pacer_class klass, size_t n);
/* Free places in a queue (up to its capacity), and all it may have. */
size_t brtc_pacer_room(const brtc_pacer *p, brtc_pacer_class klass);
size_t brtc_pacer_capacity(const brtc_pacer *p, brtc_pacer_class klass);
/* Every packet that may leave at now_us, in order, up to cap: send them in one batch. */
size_t brtc_pacer_poll(brtc_pacer *p, uint64_t now_us, brtc_pacer_item *out, size_t cap);
/* When the next packet may leave (at or before the last now_us given when one can leave
 * already); UINT64_MAX when nothing waits. */
uint64_t brtc_pacer_deadline(const brtc_pacer *p);
/* How long what waits would take to leave at the pacing rate. */
uint64_t brtc_pacer_queue_time_us(const brtc_pacer *p);
/* The queue time exceeds max_queue_us: refuse new frames. */
bool brtc_pacer_congested(const brtc_pacer *p);
size_t brtc_pacer_queued(const brtc_pacer *p);
/* Remove every waiting item whose (handle & mask) == value (a stream going away); returns
 * how many. */
size_t brtc_pacer_purge(brtc_pacer *p, uint64_t mask, uint64_t value);
const brtc_pacer_stats *brtc_pacer_get_stats(const brtc_pacer *p);
size_t brtc_pacer_memory(const brtc_pacer *p);

#endif
