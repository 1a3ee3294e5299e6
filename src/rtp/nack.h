/* Which packets to ask again for (RFC 4585 generic NACK), per SSRC, by sequence number. */
#ifndef BRTC_NACK_H
#define BRTC_NACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BRTC_NACK_MAX_MISSING 128   /* missing seqs remembered */
#define BRTC_NACK_MAX_RETRIES 3
#define BRTC_NACK_RETRY_US 30000   /* between asks for the same packet */

typedef struct brtc_nack_entry {
  uint16_t seq;
  uint8_t retries;
  uint64_t next_at_us;
} brtc_nack_entry;

typedef struct brtc_nack_tracker {
  bool started;
  uint16_t highest;
  brtc_nack_entry missing[BRTC_NACK_MAX_MISSING];
  size_t n_missing;
} brtc_nack_tracker;

void brtc_nack_init(brtc_nack_tracker *t);
/* A packet arrived: a jump forward records the gap, a late arrival clears its entry.
 * A gap larger than BRTC_NACK_MAX_MISSING is not asked for (a keyframe is cheaper). */
void brtc_nack_on_packet(brtc_nack_tracker *t, uint16_t seq, uint64_t now_us);
/* Seqs due for a NACK now (ascending, wrap-aware); bumps their retry; returns count. */
size_t brtc_nack_due(brtc_nack_tracker *t, uint64_t now_us, uint16_t *seqs, size_t cap);
/* Earliest time something will be due, UINT64_MAX if none. */
uint64_t brtc_nack_next_deadline(const brtc_nack_tracker *t);

#endif
