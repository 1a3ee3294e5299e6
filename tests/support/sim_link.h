/* A simulated network path in one direction, for in-process tests and benchmarks: latency,
 * jitter, random or bursty (Gilbert-Elliott) loss, reordering, duplication and a rate limit
 * with a finite buffer, applied to every datagram whatever it carries (STUN, DTLS, RTP, RTCP).
 * Sans-IO and deterministic: datagrams go in with the time they were sent, come out when
 * their delivery time has come; every random choice comes from the seed. Two links, one per
 * direction, make a path between two sans-IO peers (sim_call.h does that for a brtc_pc and a
 * sim_peer). Modelled on the ideas of Linux netem and str0m's netem crate. */
#ifndef BRTC_TESTS_SIM_LINK_H
#define BRTC_TESTS_SIM_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sim_link_config {
  uint64_t latency_us; /* every datagram is delayed this much ... */
  uint64_t jitter_us;  /* ... plus or minus up to this (uniform, per datagram) */
  double loss;         /* probability a datagram is lost (when ge_p is 0) */
  /* Bursty loss, a Gilbert-Elliott chain, when ge_p > 0: each datagram first moves the
   * state (good to bad with ge_p, bad to good with ge_r), then is lost with ge_loss_good or
   * ge_loss_bad. Mean burst length is 1 / ge_r datagrams. */
  double ge_p, ge_r, ge_loss_good, ge_loss_bad;
  /* Probability a datagram skips the delay line and goes out at once, overtaking those still
   * in it (netem's "reorder"). Jitter larger than the spacing of datagrams reorders too. */
  double reorder;
  double duplicate;      /* probability a datagram is delivered twice (each delayed anew) */
  uint64_t rate_bps;     /* 0: unlimited; else datagrams queue behind each other ... */
  size_t buffer_bytes;   /* ... and one that finds this much queued is dropped (0: 64 KiB) */
  uint64_t seed;         /* same seed, same inputs: same outputs */
  /* Tests that need one datagram treated just so: called for each datagram sent, before
   * the models; returns extra delay in microseconds, or SIM_LINK_DROP. NULL: none. */
  uint64_t (*hook)(void *user, const uint8_t *data, size_t len);
  void *hook_user;
  /* Told of each datagram the loss model dropped (tests that count what kind was lost; the
   * link itself cannot tell STUN from RTP). NULL: none. */
  void (*on_lost)(void *user, const uint8_t *data, size_t len);
  void *on_lost_user;
} sim_link_config;

#define SIM_LINK_DROP UINT64_MAX

typedef struct sim_link_stats {
  uint64_t sent;       /* datagrams given to the link */
  uint64_t lost;       /* dropped by the loss model */
  uint64_t overflow;   /* dropped because the rate limit's buffer was full */
  uint64_t duplicated; /* extra copies made */
  uint64_t delivered;  /* handed out, copies included */
  uint64_t reordered;  /* delivered after a datagram that was sent later */
} sim_link_stats;

typedef struct sim_link sim_link;

/* NULL on bad config or no memory. cfg may be NULL: a perfect link. */
sim_link *sim_link_new(const sim_link_config *cfg);
void sim_link_free(sim_link *l);
/* A datagram sent at now_us (copied). BRTC_ERR_TOO_BIG over 2048 bytes. */
int sim_link_send(sim_link *l, uint64_t now_us, const uint8_t *data, size_t len);
/* When the next datagram is due, UINT64_MAX when none is in flight. */
uint64_t sim_link_next_deadline(const sim_link *l);
/* The next datagram due at or before now_us, in delivery order; BRTC_ERR_AGAIN if none. */
int sim_link_receive(sim_link *l, uint64_t now_us, uint8_t *out, size_t cap, size_t *out_len);
const sim_link_stats *sim_link_get_stats(const sim_link *l);
/* While on, the link only delays (latency, no jitter): nothing lost, reordered, duplicated
 * or rate-limited. For a scenario about what happens after a handshake. */
void sim_link_set_pristine(sim_link *l, bool on);
size_t sim_link_in_flight(const sim_link *l);

/* The deterministic generator the link draws from (xorshift64*), for callers that want
 * reproducible choices of their own. */
uint64_t sim_rand_next(uint64_t *state);
double sim_rand_unit(uint64_t *state); /* [0, 1) */

#endif
