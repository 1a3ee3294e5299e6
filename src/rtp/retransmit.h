/* Answering generic NACKs (RFC 4585 6.2.1) from the send history: which requested packets to
 * send again, and the bookkeeping when one leaves.
 *
 * A requested packet is queued for retransmission only if the history still has it, it has
 * been sent once, no retransmission of it is already waiting in the pacer, and it was not sent
 * again less than one RTT ago: a second NACK that arrives sooner was sent before the first
 * retransmission could have arrived (libwebrtc's RtpPacketHistory rule). Retransmissions are
 * also held to a bitrate budget, so a peer that NACKs everything cannot make us resend
 * everything (libwebrtc limits them to the stream's maximum bitrate over a second). */
#ifndef BRTC_RETRANSMIT_H
#define BRTC_RETRANSMIT_H

#include <stddef.h>
#include <stdint.h>

#include "rtp/send_history.h"

typedef struct brtc_retransmit_stats {
  uint64_t nacks;          /* NACK packets handled */
  uint64_t requested;      /* sequence numbers asked for */
  uint64_t queued;         /* retransmissions queued */
  uint64_t sent, sent_bytes;
  uint64_t not_in_history; /* too old, or never sent by us */
  uint64_t not_sent_yet;   /* still waiting for its first transmission */
  uint64_t already_queued; /* a retransmission of it is waiting already */
  uint64_t within_rtt;     /* sent again less than an RTT ago */
  uint64_t over_budget;    /* the retransmission bitrate budget was spent */
  uint64_t no_room;        /* more requested than the caller could queue */
  uint64_t expired;        /* evicted from the history before it could leave */
} brtc_retransmit_stats;

typedef struct brtc_retransmitter {
  uint64_t rtt_us;          /* 0 until known: then only the already-queued rule holds */
  uint64_t max_bitrate_bps; /* 0: no budget */
  uint64_t budget_bytes;    /* refilled at max_bitrate_bps, up to one second's worth */
  uint64_t refilled_us;
  brtc_retransmit_stats stats;
} brtc_retransmitter;

void brtc_retransmitter_init(brtc_retransmitter *r, uint64_t max_bitrate_bps);
void brtc_retransmitter_set_rtt(brtc_retransmitter *r, uint64_t rtt_us);

/* A NACK's FCI (PID + BLP entries) for this history's SSRC: writes the sequence numbers to
 * retransmit now to out (at most cap, in the order asked), marks them queued in the history,
 * and returns how many. */
size_t brtc_retransmitter_on_nack(brtc_retransmitter *r, brtc_send_history *h,
                                  const uint8_t *fci, size_t fci_len, uint64_t now_us,
                                  uint16_t *out, size_t cap);
/* A queued retransmission of seq leaves at now_us: its entry (counted, marked resent), or NULL
 * if the history has evicted it since (counted). */
brtc_send_history_entry *brtc_retransmitter_take(brtc_retransmitter *r, brtc_send_history *h,
                                                 uint16_t seq, uint64_t now_us);
/* A queued retransmission of seq was dropped instead of sent (the pacer was purged). */
void brtc_retransmitter_cancel(brtc_send_history *h, uint16_t seq);

#endif
