/* The association's state, shared by the files that each do one job on it: sctp_assoc.c (set-up,
 * shutdown, dispatch, timers, packets out), sctp_tx.c (send queue, retransmission, congestion
 * control, PR-SCTP), sctp_rx.c (TSNs, SACKs, reassembly, ordered delivery), sctp_reset.c
 * (RFC 6525), sctp_cookie.c (the state cookie), sctp_rto.c (RFC 9260 6.3.1), sctp_events.c and
 * sctp_streams.c (the event queue and the per-stream tables). Not for use outside src/sctp. */
#ifndef BRTC_SCTP_INTERNAL_H
#define BRTC_SCTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sctp/sctp.h"
#include "sctp/sctp_chunk.h"
#include "sctp/sctp_packet.h"

#define SCTP_NEVER UINT64_MAX
#define SCTP_US_PER_MS 1000u

/* Serial number arithmetic (RFC 9260 1.6, RFC 1982) for 32-bit TSNs and 16-bit SSNs. */
static inline bool tsn_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool tsn_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool tsn_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool ssn_lt(uint16_t a, uint16_t b) { return (int16_t)(uint16_t)(a - b) < 0; }
static inline bool ssn_le(uint16_t a, uint16_t b) { return (int16_t)(uint16_t)(a - b) <= 0; }

/* ---- per-stream tables (sctp_streams.c): sorted by id, grown by doubling ---- */
typedef struct sctp_table {
  void *items;
  uint32_t count, cap;
  uint32_t elem; /* element size; every element starts with its uint16_t id */
} sctp_table;

void *sctp_table_find(const sctp_table *t, uint16_t id);
/* The element with this id, added (zeroed but for the id) if missing; NULL when out of
 * memory or when adding would pass max. */
void *sctp_table_get(sctp_table *t, uint16_t id, uint32_t max);
void sctp_table_remove(sctp_table *t, uint16_t id);
static inline void *sctp_table_at(const sctp_table *t, uint32_t i) {
  return (uint8_t *)t->items + (size_t)i * t->elem;
}
void sctp_table_free(sctp_table *t);

/* ---- events (sctp_events.c): a ring that grows; messages stay in their rx node ---- */
typedef struct sctp_rnode sctp_rnode;

typedef struct sctp_event_item {
  uint8_t type; /* brtc_sctp_event_type */
  bool unordered, by_peer;
  uint16_t stream, cause;
  uint32_t ppid;
  int error;
  sctp_rnode *msg; /* MESSAGE: the whole message, owned by the queue */
  const char *reason;
} sctp_event_item;

typedef struct sctp_events {
  sctp_event_item *items;
  uint32_t cap, head, count;
} sctp_events;

/* ---- receiving (sctp_rx.c) ---- */

/* A received DATA chunk, or a whole message once reassembled (then tsn is its first). */
struct sctp_rnode {
  sctp_rnode *next, *prev; /* TSN order while being reassembled; parked or free list after */
  uint32_t tsn, ppid;
  uint32_t len;   /* payload bytes */
  uint32_t alloc; /* bytes this node holds on the heap (counted against the window) */
  uint16_t stream, ssn;
  uint8_t flags; /* DATA flags: B, E, U */
  uint8_t data[];
};

typedef struct sctp_istream {
  uint16_t id;
  uint16_t next_ssn;  /* next ordered message to hand out */
  sctp_rnode *parked; /* complete ordered messages waiting for an earlier one, by SSN */
} sctp_istream;

typedef struct sctp_tsn_range {
  uint32_t start, end;
} sctp_tsn_range;

#define SCTP_RX_MAX_GAPS 32 /* TSN ranges held above the cumulative TSN (SACK gap blocks) */
#define SCTP_RX_MAX_DUPS 16 /* duplicates reported in one SACK */
#define SCTP_RX_POOL 4      /* full-size chunk blocks kept for reuse */
#define SCTP_RX_BLOCK_PAYLOAD 1240 /* a block holds a chunk from any peer's MTU up to 1280 */

typedef struct sctp_rx {
  uint32_t cum_tsn;     /* every TSN up to here received */
  uint32_t highest_tsn; /* highest received */
  sctp_tsn_range gaps[SCTP_RX_MAX_GAPS];
  uint32_t n_gaps;
  uint32_t dups[SCTP_RX_MAX_DUPS];
  uint32_t n_dups;
  sctp_rnode *head, *tail; /* chunks of incomplete messages, by TSN */
  size_t held;             /* heap bytes in nodes: reassembly, parked and queued to hand out */
  size_t held_reasm;       /* of which in reassembly or parked */
  sctp_table istreams;     /* sctp_istream */
  /* SACK scheduling (RFC 9260 6.2) */
  bool sack_now;
  uint32_t packets_unacked;
  uint64_t sack_deadline;
  uint32_t last_a_rwnd;
  sctp_rnode *pool[SCTP_RX_POOL];
  uint32_t pool_n;
  sctp_rnode *handed_out; /* the message last handed to the owner, freed at the next call */
} sctp_rx;

/* ---- sending (sctp_tx.c) ---- */

typedef struct sctp_msg sctp_msg;
struct sctp_msg {
  sctp_msg *next; /* in its stream's queue */
  uint64_t expires_us; /* PR-SCTP timed: SCTP_NEVER for none */
  uint32_t len, sent;  /* bytes, and bytes already cut into chunks */
  uint32_t ppid;
  uint32_t refs;       /* outstanding chunks, plus one while queued on its stream */
  uint32_t first_tsn;  /* its chunks have consecutive TSNs from here (6.9) */
  uint16_t stream, ssn;
  uint16_t max_rtx;    /* PR-SCTP retransmissions: UINT16_MAX for none */
  bool unordered, abandoned, ssn_assigned;
  uint8_t data[];
};

typedef struct sctp_ostream {
  uint16_t id;
  uint16_t next_ssn;
  sctp_msg *head, *tail;
  size_t buffered;      /* bytes not yet cut into chunks (bufferedAmount) */
  size_t low_threshold; /* BUFFERED_LOW when buffered falls to it from above */
  uint8_t reset;        /* SCTP_RESET_* */
  bool refused;         /* a send found the send buffer full: BUFFERED_LOW when room is back */
} sctp_ostream;

enum { SCTP_RESET_NONE = 0, SCTP_RESET_WANTED, SCTP_RESET_IN_REQUEST };

/* One DATA chunk sent and not yet cumulatively acknowledged. */
typedef struct sctp_out {
  sctp_msg *msg;
  uint32_t offset;
  uint16_t len;
  uint8_t flags;  /* B, E, U */
  uint8_t state;  /* SCTP_OUT_* */
  uint8_t nsent;  /* transmissions, saturating */
  uint8_t misses; /* miss indications toward fast retransmit (RFC 9260 7.2.4) */
  bool fast_rtx_done;
} sctp_out;

enum { SCTP_OUT_FLIGHT = 0, SCTP_OUT_ACKED, SCTP_OUT_RTX, SCTP_OUT_ABANDONED };

typedef struct sctp_rto {
  uint32_t srtt_us, rttvar_us, rto_us;
  uint32_t min_us, max_us;
  bool measured;
} sctp_rto;

typedef struct sctp_tx {
  uint32_t next_tsn; /* the next TSN to assign */
  uint32_t cum_ack;  /* the peer's cumulative TSN ack: the ring starts at cum_ack + 1 */
  sctp_out *ring;    /* outstanding chunks, TSN & (cap - 1) */
  uint32_t ring_cap;
  uint32_t n_rtx, n_acked, n_abandoned; /* ring entries in those states */
  uint32_t flight;      /* bytes of chunks in flight (RFC 9260 7: flightsize) */
  uint32_t out_payload; /* user data bytes in flight, taken from the peer's window (6.2.1) */
  uint32_t peer_a_rwnd; /* the window in the peer's last SACK (or INIT) */
  uint32_t cwnd, ssthresh, partial_bytes_acked;
  bool fast_recovery;
  uint32_t recovery_exit; /* highest TSN outstanding when fast recovery began */
  uint32_t adv_peer_ack;  /* RFC 3758 3.5: Advanced.Peer.Ack.Point */
  bool forward_tsn_due;
  bool fast_rtx_due;  /* send one packet of fast retransmissions even if cwnd is full */
  bool refused_full;  /* some stream's send was refused for a full buffer (ostream.refused) */
  uint32_t burst_left;  /* packets with new data before the next SACK (Max.Burst) */
  sctp_table ostreams;  /* sctp_ostream */
  uint32_t rr_next;     /* round robin: index of the stream to look at first */
  sctp_msg *current;    /* the message being cut into chunks (its TSNs are consecutive) */
  size_t held;          /* heap bytes of messages held */
  size_t queued_msgs;   /* messages on stream queues */
  uint64_t t3_deadline;
  bool rtt_timing;
  uint32_t rtt_tsn;
  uint64_t rtt_sent_us;
  uint64_t last_send_us;
  sctp_rto rto;
  uint32_t max_payload; /* MTU less the common and DATA chunk headers */
} sctp_tx;

/* ---- stream reset (sctp_reset.c) ---- */
#define SCTP_RESET_MAX_STREAMS 256 /* streams in one outgoing request we make */

typedef struct sctp_reset {
  /* our requests: one in flight at a time (RFC 6525 5.1.1) */
  uint32_t next_req_seq;
  bool in_flight;
  uint32_t req_seq;       /* of the one in flight */
  uint32_t req_last_tsn;
  uint16_t *req_streams;
  uint32_t req_n;
  uint64_t deadline;      /* resend the request (SCTP_NEVER: none) */
  bool send_due;
  bool in_progress;       /* the peer answered "In progress": the deadline is a retry */
  bool renumber;          /* retry under a new sequence number (see sctp_reset.c) */
  /* the peer's requests */
  uint32_t peer_next_seq;   /* the request sequence number we expect next */
  uint32_t last_result;     /* what we answered to peer_next_seq - 1 */
  bool deferred;            /* performing waits for cum_tsn to reach deferred_tsn (E2) */
  uint32_t deferred_tsn;
  uint16_t *deferred_streams; /* NULL with deferred_n 0: all streams */
  uint32_t deferred_n;
  bool deferred_all;
  /* responses to send, at most two (one per parameter of the peer's chunk) */
  uint32_t resp_seq[2], resp_result[2];
  uint32_t n_resp;
} sctp_reset;

/* ---- the association ---- */

/* What an INIT ACK agrees, and what its state cookie carries (sctp_cookie.c). */
typedef struct sctp_cookie_fields {
  uint64_t created_us;
  uint32_t my_tag, peer_tag, my_tsn, peer_tsn, peer_a_rwnd;
  uint32_t my_tie_tag, peer_tie_tag;
  uint16_t peer_os, peer_mis;
  bool peer_pr, peer_reconfig;
  uint32_t peer_zero_edmid;
} sctp_cookie_fields;

/* The peer's INIT, kept until our INIT ACK goes out (packets are built when pulled). */
typedef struct sctp_init_ack_due {
  bool due;
  sctp_cookie_fields f; /* created_us is set when the INIT ACK is built */
} sctp_init_ack_due;

#define SCTP_HB_INFO_MAX 256
#define SCTP_ERROR_INFO_MAX 64

struct brtc_sctp {
  brtc_sctp_config cfg;
  brtc_sctp_state state;
  uint64_t rand_state; /* xorshift for seeded runs */
  uint8_t cookie_key[32];
  uint32_t my_vtag, peer_vtag;
  uint32_t my_initial_tsn, peer_initial_tsn;
  uint16_t outbound_streams, inbound_streams; /* negotiated */
  bool peer_pr, peer_reconfig, zero_checksum_send;
  bool connect_called;
  uint32_t max_outbound_message;

  /* set-up (RFC 9260 5.1) */
  uint64_t t1_deadline;
  uint32_t init_retransmits;
  bool init_due, cookie_echo_due, cookie_ack_due;
  uint8_t *cookie; /* the peer's, echoed while COOKIE-ECHOED (freed once established) */
  size_t cookie_len;
  uint64_t t1_rto_us; /* T1-init and T1-cookie, doubling per resend (5.1) */
  uint64_t cookie_echo_sent_us; /* for an RTT sample from COOKIE ACK (0: resent, none) */
  uint32_t init_retransmits_cookie; /* COOKIE ECHOs sent */
  sctp_init_ack_due init_ack;

  /* shutdown (9.2) */
  uint64_t t2_deadline;
  bool shutdown_due, shutdown_ack_due, shutdown_complete_due;
  bool peer_shutdown_seen;
  /* answers that go out alone, with the T bit (8.4) */
  bool ootb_shutdown_complete_due;
  uint32_t ootb_vtag;
  bool abort_due;
  uint16_t abort_cause;
  char abort_info[SCTP_ERROR_INFO_MAX];
  uint32_t abort_vtag; /* the tag our ABORT carries */
  bool abort_t_bit;

  /* one ERROR chunk to send (stale cookie, unrecognized chunk, invalid stream) */
  bool error_due;
  uint16_t error_cause;
  uint8_t error_info[SCTP_ERROR_INFO_MAX];
  size_t error_info_len;
  /* our heartbeats (8.3): one outstanding at a time, its nonce and time echoed back */
  uint64_t hb_deadline;   /* send one (or, outstanding, give it up) */
  bool hb_due, hb_outstanding;
  uint64_t hb_sent_us;
  uint32_t hb_nonce;
  /* one HEARTBEAT ACK to send */
  bool hb_ack_due;
  uint8_t hb_info[SCTP_HB_INFO_MAX];
  size_t hb_info_len;

  uint32_t error_count; /* consecutive timeouts (8.1) */
  uint32_t stale_vtag;  /* the tag our Stale Cookie ERROR goes out on */
  uint32_t peer_a_rwnd_init; /* from the INIT ACK, until established */

  /* how it ended, reported as CLOSED after every event queued before */
  bool closed_pending;
  bool closed_by_peer;
  int closed_error;
  uint16_t closed_cause;
  const char *closed_reason;

  sctp_tx tx;
  sctp_rx rx;
  sctp_reset reset;
  sctp_events events;
  brtc_sctp_stats stats;
};

/* sctp_assoc.c */
uint32_t sctp_random_u32(brtc_sctp *a);
/* Tear down with an ABORT carrying cause (RFC 9260 3.3.10) and reason; CLOSED follows with
 * the brtc_err that fits the cause. */
void sctp_fail(brtc_sctp *a, uint16_t cause, const char *reason);
/* The association is gone: CLOSED event, timers stopped. */
void sctp_enter_gone(brtc_sctp *a, int error, uint16_t cause, bool by_peer, const char *reason);
/* A timeout counted against Association.Max.Retrans (8.1); false if the association failed. */
bool sctp_count_timeout(brtc_sctp *a);

/* sctp_events.c */
bool sctp_event_push(brtc_sctp *a, const sctp_event_item *ev);
void sctp_events_free(brtc_sctp *a);

/* sctp_cookie.c: RFC 9260 5.1.3. The cookie carries what the INIT ACK agreed, signed with
 * HMAC-SHA256 under the association's key, so nothing need be kept for an INIT. */

#define SCTP_COOKIE_LEN 84
size_t sctp_cookie_make(const uint8_t key[32], const sctp_cookie_fields *f,
                        uint8_t out[SCTP_COOKIE_LEN]);
/* BRTC_ERR_AUTH: not ours (bad length, version or HMAC); BRTC_ERR_REPLAY: ours but stale
 * (*stale_us says by how much, RFC 9260 3.3.10.3; *f is filled); BRTC_OK with *f filled. The
 * HMAC is checked before anything is read. */
int sctp_cookie_open(const uint8_t key[32], const uint8_t *cookie, size_t len, uint64_t now_us,
                     uint64_t lifetime_us, sctp_cookie_fields *f, uint64_t *stale_us);

/* sctp_rto.c */
void sctp_rto_init(sctp_rto *r, uint32_t initial_ms, uint32_t min_ms, uint32_t max_ms);
void sctp_rto_sample(sctp_rto *r, uint64_t rtt_us);
void sctp_rto_backoff(sctp_rto *r);

/* sctp_tx.c */
int sctp_tx_init(brtc_sctp *a);
void sctp_tx_free(brtc_sctp *a);
/* The association is up: TSNs, the peer's window and streams are known. */
void sctp_tx_start(brtc_sctp *a, uint32_t initial_tsn, uint32_t peer_a_rwnd);
int sctp_tx_send(brtc_sctp *a, uint64_t now_us, const brtc_sctp_send_options *opt,
                 const uint8_t *data, size_t len);
void sctp_tx_handle_sack(brtc_sctp *a, uint64_t now_us, const brtc_sctp_sack *s);
void sctp_tx_handle_t3(brtc_sctp *a, uint64_t now_us);
/* Whether the next packet would carry DATA (new or retransmitted). */
bool sctp_tx_has_data_to_send(const brtc_sctp *a, uint64_t now_us);
/* Adds DATA chunks (retransmissions first) to the packet being built. */
void sctp_tx_write_data(brtc_sctp *a, uint64_t now_us, brtc_sctp_writer *w);
/* Adds a FORWARD TSN if one is due and fits. */
void sctp_tx_write_forward_tsn(brtc_sctp *a, uint64_t now_us, brtc_sctp_writer *w);
/* Nothing queued or outstanding (SHUTDOWN may go, 9.2). */
bool sctp_tx_idle(const brtc_sctp *a);
/* Every message queued on the stream has all its TSNs (a reset may be asked for). */
bool sctp_tx_stream_drained(const brtc_sctp *a, uint16_t stream);
/* The peer's window less the user data in flight. */
uint32_t sctp_tx_peer_rwnd(const brtc_sctp *a);
/* After a reset of our outgoing side: SSN back to 0, new sends allowed. */
void sctp_tx_stream_reset_done(brtc_sctp *a, uint16_t stream);
sctp_ostream *sctp_tx_stream(brtc_sctp *a, uint16_t stream, bool create);
size_t sctp_tx_memory(const brtc_sctp *a);

/* sctp_rx.c */
void sctp_rx_init(brtc_sctp *a);
void sctp_rx_free(brtc_sctp *a);
void sctp_rx_start(brtc_sctp *a, uint32_t peer_initial_tsn);
/* One DATA chunk. Returns BRTC_OK; BRTC_ERR_LIMIT when the association was aborted. */
int sctp_rx_handle_data(brtc_sctp *a, uint64_t now_us, const brtc_sctp_data *d);
/* After all chunks of a packet carrying DATA: decide when to SACK. */
void sctp_rx_packet_done(brtc_sctp *a, uint64_t now_us, bool had_data, bool immediate);
void sctp_rx_handle_forward_tsn(brtc_sctp *a, uint64_t now_us, const brtc_sctp_forward_tsn *f);
bool sctp_rx_sack_due(const brtc_sctp *a, uint64_t now_us);
bool sctp_rx_write_sack(brtc_sctp *a, brtc_sctp_writer *w);
uint32_t sctp_rx_a_rwnd(const brtc_sctp *a);
/* The message handed out last may be freed now. */
void sctp_rx_release_handed_out(brtc_sctp *a);
/* The owner took an event's message: it is kept until the next call. */
void sctp_rx_hand_out(brtc_sctp *a, sctp_rnode *msg);
void sctp_rx_free_node(brtc_sctp *a, sctp_rnode *n);
/* RFC 6525 5.2.2 E3: incoming streams back to SSN 0 (all when n is 0). */
void sctp_rx_reset_streams(brtc_sctp *a, const uint16_t *streams, uint32_t n);
size_t sctp_rx_memory(const brtc_sctp *a);

/* sctp_reset.c */
void sctp_reset_init(brtc_sctp *a);
void sctp_reset_free(brtc_sctp *a);
void sctp_reset_start(brtc_sctp *a);
int sctp_reset_request(brtc_sctp *a, uint64_t now_us, const uint16_t *streams, unsigned n);
void sctp_reset_handle(brtc_sctp *a, uint64_t now_us, const brtc_sctp_tlv *chunk);
/* The cumulative TSN moved: a deferred reset may be performed now. */
void sctp_reset_cum_advanced(brtc_sctp *a);
/* Sending moved on: a wanted reset may have its streams drained now. */
void sctp_reset_maybe_request(brtc_sctp *a, uint64_t now_us);
bool sctp_reset_due(const brtc_sctp *a);
void sctp_reset_write(brtc_sctp *a, uint64_t now_us, brtc_sctp_writer *w);
void sctp_reset_handle_timeout(brtc_sctp *a, uint64_t now_us);
size_t sctp_reset_memory(const brtc_sctp *a);

#endif
