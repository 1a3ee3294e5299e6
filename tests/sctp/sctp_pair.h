/* Two of our associations joined by a simulated path (tests/support/sim_link: latency,
 * jitter, loss, reordering, duplication, rate, in each direction), on a simulated clock.
 * After every step both ends are drained (packets onto their links, events into a log), as
 * an owner must. Messages received are kept whole, so tests can check every byte. */
#ifndef BRTC_TESTS_SCTP_PAIR_H
#define BRTC_TESTS_SCTP_PAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sctp/sctp.h"
#include "sim_link.h"

typedef struct sctp_rec {
  brtc_sctp_event_type type;
  uint16_t stream, cause;
  uint32_t ppid;
  bool unordered, by_peer;
  int error;
  uint64_t at_us;
  size_t len;
  uint8_t *data; /* MESSAGE: a copy */
} sctp_rec;

typedef struct sctp_end {
  brtc_sctp *a;
  sim_link *link; /* carries this end's packets to the other */
  sctp_rec *log;
  size_t n_log, cap_log;
  size_t messages; /* MESSAGE events logged */
  uint64_t packets_out;
  bool closed;
  bool hold_events; /* an owner that does not read its events (window tests) */
} sctp_end;

typedef struct sctp_pair {
  uint64_t now;
  sctp_end end[2];
} sctp_pair;

/* NULL configs take the defaults (with fixed seeds for repeatable runs). */
int sctp_pair_init(sctp_pair *p, const brtc_sctp_config *c0, const brtc_sctp_config *c1,
                   const sim_link_config *l01, const sim_link_config *l10);
void sctp_pair_free(sctp_pair *p);
/* Both ends: packets onto their links, events into their logs. */
void sctp_pair_drain(sctp_pair *p);
/* Moves the clock to the next thing that happens (a packet arriving, a timer), at most to
 * limit_us, and does it. False if nothing happens before limit_us (the clock is then there). */
bool sctp_pair_step(sctp_pair *p, uint64_t limit_us);
/* Steps until done(p, arg) or the clock passes now + max_us; returns done's last answer. */
bool sctp_pair_run_until(sctp_pair *p, bool (*done)(sctp_pair *, void *), void *arg,
                         uint64_t max_us);
void sctp_pair_run_for(sctp_pair *p, uint64_t us);
/* Both ends connected (CONNECTED logged on each). */
bool sctp_pair_connect(sctp_pair *p, bool both, uint64_t max_us);
size_t sctp_end_count(const sctp_end *e, brtc_sctp_event_type type);
/* Records one event (a MESSAGE's bytes copied), as the pair does after each poll. */
void sctp_end_log(sctp_end *e, uint64_t now_us, const brtc_sctp_event *ev);
void sctp_end_clear_log(sctp_end *e);
const sctp_rec *sctp_end_find(const sctp_end *e, brtc_sctp_event_type type, size_t nth);
/* Whether a packet carries a chunk of this type (DATA: on this stream, or any if < 0). */
bool sctp_packet_has(const uint8_t *pkt, size_t len, uint8_t type, int stream);
/* Deterministic test bytes for message i of len bytes, and a check of them. */
void sctp_fill(uint8_t *buf, size_t len, uint32_t seed);
bool sctp_check(const uint8_t *buf, size_t len, uint32_t seed);

#endif
