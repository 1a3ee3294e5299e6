/* Which packets to ask again for (RFC 4585 6.2.1 generic NACK), for one SSRC, by sequence
 * number, with an allowance for reordering.
 *
 * A gap is not asked for at once: packets reordered on the way fill most gaps within a few
 * milliseconds. Each missing packet waits the reordering allowance (the largest lateness of
 * recent reordered packets, with a margin; 20 ms until 64 have been seen), is then asked for
 * at most BRTC_NACK_MAX_ASKS times, spaced by the round-trip time plus that allowance, and
 * is forgotten after the last ask has had its round trip. Entries due within a few
 * milliseconds of each other go in one NACK message. (libwebrtc's NackRequester asks at once
 * and retries every RTT up to 10 times; Pion's generator asks for every missing packet every
 * 100 ms without limit.) */
#ifndef BRTC_NACK_H
#define BRTC_NACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BRTC_NACK_MAX_MISSING 128    /* missing seqs remembered */
#define BRTC_NACK_MAX_ASKS 4         /* NACKs for one packet at most */
#define BRTC_NACK_INITIAL_WAIT_US 20000 /* reordering allowance before enough was seen */
#define BRTC_NACK_MIN_WAIT_US 3000
#define BRTC_NACK_MAX_WAIT_US 60000
#define BRTC_NACK_DEFAULT_RTT_US 100000 /* until RTCP says (libwebrtc's default too) */
#define BRTC_NACK_RECEIVED_BITS 512  /* which recent seqs arrived: duplicates are told apart */
#define BRTC_NACK_ASKED_RING 128     /* recently asked seqs, to recognise their duplicates */

/* How an arriving packet relates to what we asked for. */
typedef enum brtc_nack_arrival {
  BRTC_NACK_NEW = 0,     /* the newest so far (possibly after a gap) */
  BRTC_NACK_REORDERED,   /* filled a gap before we asked for it */
  BRTC_NACK_RECOVERED,   /* filled a gap we had asked for */
  BRTC_NACK_DUPLICATE,   /* this sequence number had already arrived */
  BRTC_NACK_LATE,        /* older than anything still tracked (given up, or very old) */
} brtc_nack_arrival;

/* Whether the packet can be a retransmission: RTX (RFC 4588) packets are; a packet on the
 * media SSRC is an original when the sender retransmits with RTX, and either otherwise
 * (some senders, Pion's among them, resend the original packet on its own SSRC). */
typedef enum brtc_nack_source {
  BRTC_NACK_SRC_MEDIA_MAYBE_RESENT = 0,
  BRTC_NACK_SRC_ORIGINAL,
  BRTC_NACK_SRC_RTX,
} brtc_nack_source;

typedef struct brtc_nack_entry {
  uint16_t seq;
  uint8_t asks;
  uint64_t created_us;  /* when the gap was seen */
  uint64_t first_ask_us;
  uint64_t next_at_us;  /* next ask, or when to give up after the last one */
} brtc_nack_entry;

typedef struct brtc_nack_stats {
  uint64_t messages_built; /* brtc_nack_due calls that returned seqs */
  uint64_t seqs_asked;     /* sequence numbers in NACKs, repeats counted */
  uint64_t reordered;      /* gaps that filled before we asked */
  uint64_t recovered;      /* gaps that filled after we asked */
  uint64_t spurious;       /* asked for, then the original came (it was only late) */
  uint64_t duplicates;     /* packets whose sequence number had already arrived */
  uint64_t given_up;       /* asked BRTC_NACK_MAX_ASKS times, never came */
} brtc_nack_stats;

typedef struct brtc_nack_tracker {
  bool started;
  uint16_t highest;
  uint16_t first_seq; /* the oldest seq the stream is known to have (moves back, see .c) */
  bool start_settled; /* frames were given up: the start no longer moves back */
  uint64_t received[BRTC_NACK_RECEIVED_BITS / 64]; /* bit seq % 512: arrived (near highest) */
  brtc_nack_entry missing[BRTC_NACK_MAX_MISSING];  /* ascending, wrap-aware */
  size_t n_missing;
  uint64_t rtt_us;
  bool rtt_known; /* from RTCP; until then a resend on the media SSRC cannot be told from a
                     late original, so neither is taken for reordering */
  /* Reordering allowance: the largest lateness in the current and the previous run of 64
   * reordered packets. */
  uint32_t late_max_cur_us, late_max_prev_us;
  uint32_t late_samples;
  uint64_t wait_us;
  struct {
    uint16_t seq;
    uint64_t at_us;
  } asked[BRTC_NACK_ASKED_RING];
  size_t asked_next;
  brtc_nack_stats stats;
} brtc_nack_tracker;

void brtc_nack_init(brtc_nack_tracker *t);
/* A packet arrived (seq is its original sequence number for RTX). A jump forward records
 * the gap; a gap larger than BRTC_NACK_MAX_MISSING is not asked for (a keyframe is
 * cheaper). */
brtc_nack_arrival brtc_nack_on_packet(brtc_nack_tracker *t, uint16_t seq, brtc_nack_source src,
                                      uint64_t now_us);
/* Seqs to put in a NACK now (ascending, wrap-aware), at most cap; counts an ask for each.
 * Entries whose last ask has gone unanswered for a round trip are dropped here. */
size_t brtc_nack_due(brtc_nack_tracker *t, uint64_t now_us, uint16_t *seqs, size_t cap);
/* Earliest time brtc_nack_due has something to do, UINT64_MAX if never. */
uint64_t brtc_nack_next_deadline(const brtc_nack_tracker *t);
/* The round-trip time to space repeated asks by (from RTCP). */
void brtc_nack_set_rtt(brtc_nack_tracker *t, uint64_t rtt_us);
/* Forget missing packets before seq (their frame was given up). */
void brtc_nack_forget_before(brtc_nack_tracker *t, uint16_t seq);
/* True if seq was asked for within the last two seconds: a second copy of it is the
 * answer to our NACK, not a replay. */
bool brtc_nack_was_asked(const brtc_nack_tracker *t, uint16_t seq, uint64_t now_us);
/* The reordering allowance in force, and the time a missing packet gets in all: the wait,
 * every ask and the round trip of the last one. */
uint64_t brtc_nack_wait_us(const brtc_nack_tracker *t);
uint64_t brtc_nack_budget_us(const brtc_nack_tracker *t);

#endif
