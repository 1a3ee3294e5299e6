/* One SCTP association (RFC 9260) as WebRTC data channels use it (RFC 8831 6): over DTLS, one
 * association per peer connection, no multi-homing, with partial reliability (RFC 3758),
 * stream reset (RFC 6525) and zero checksum (RFC 9653). docs/architecture.md ("Data channels")
 * says how it works, docs/limits.md what is left out and why.
 *
 * Sans-IO and pull-only. In: whole SCTP packets (one DTLS application-data record's payload
 * each), the time, and API calls. Out, pulled by the owner after every call that feeds or
 * changes the association (drain until BRTC_ERR_AGAIN):
 *   brtc_sctp_poll_packet  - the next SCTP packet to send, built into the caller's buffer;
 *   brtc_sctp_poll_event   - the next event (up, a message, a stream reset, closed, ...);
 *   brtc_sctp_next_deadline - when to call brtc_sctp_handle_timeout.
 * Nothing here opens a socket, reads a clock, starts a thread or calls back into the owner.
 *
 * Memory: nothing large is allocated up front. Sent messages are held (one allocation each,
 * header and bytes together) until the peer acknowledges them, within send_buffer bytes;
 * received chunks are held in fixed-size blocks (a few recycled) until their message is
 * complete and handed out, within recv_window bytes, which is also the window we advertise. */
#ifndef BRTC_SCTP_H
#define BRTC_SCTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 8841 5: the port both ends use unless a=sctp-port says otherwise. */
#define BRTC_SCTP_DEFAULT_PORT 5000
/* The largest SCTP packet we send: IPv6's minimum MTU of 1280, less IPv6 (40), UDP (8), the
 * DTLS record header (13), AES-GCM's explicit nonce and tag (24) and a TURN ChannelData
 * header (4). It always fits, so no path MTU discovery is needed (libwebrtc and dcsctp use
 * the same 1191). */
#define BRTC_SCTP_DEFAULT_MTU 1191
/* RFC 8831 6.6 and what browsers advertise: messages up to 256 KiB. */
#define BRTC_SCTP_DEFAULT_MAX_MESSAGE (256u * 1024u)

/* Payload protocol identifiers (RFC 8831 8, RFC 8832 8.1). */
#define BRTC_SCTP_PPID_DCEP 50
#define BRTC_SCTP_PPID_STRING 51
#define BRTC_SCTP_PPID_BINARY_PARTIAL 52 /* deprecated */
#define BRTC_SCTP_PPID_BINARY 53
#define BRTC_SCTP_PPID_STRING_PARTIAL 54 /* deprecated */
#define BRTC_SCTP_PPID_STRING_EMPTY 56
#define BRTC_SCTP_PPID_BINARY_EMPTY 57

typedef struct brtc_sctp_config {
  uint16_t local_port, remote_port; /* 0: 5000 */
  uint32_t mtu;                     /* largest packet we send; 0: BRTC_SCTP_DEFAULT_MTU */
  /* Largest message the peer may send us (what we advertise in a=max-message-size); a larger
   * one aborts the association. 0: 256 KiB. */
  uint32_t max_inbound_message;
  /* Largest message we send (the peer's a=max-message-size; brtc_sctp_set_max_message
   * changes it later). 0: 256 KiB. */
  uint32_t max_outbound_message;
  /* Receive memory and the window we advertise (a_rwnd); at least twice max_inbound_message.
   * 0: 512 KiB. */
  uint32_t recv_window;
  /* Bytes of messages held to send (queued or not yet acknowledged); a send past it is
   * refused with BRTC_ERR_AGAIN. At least max_outbound_message. 0: 1 MiB. */
  uint32_t send_buffer;
  /* Streams with state at once in each direction (stream ids themselves go to 65534). A peer
   * that sends on more aborts with Out of Resource. 0: 1024. */
  uint32_t max_streams;
  bool zero_checksum;     /* offer RFC 9653 with the DTLS method: set it only over DTLS */
  uint32_t rto_initial_ms; /* 0: 500 */
  uint32_t rto_min_ms;     /* 0: 400 (above the peer's 200 ms delayed SACK) */
  uint32_t rto_max_ms;     /* 0: 60000 */
  uint32_t max_retransmits;      /* consecutive timeouts before the peer is unreachable; 0: 10 */
  uint32_t max_init_retransmits; /* INIT and COOKIE ECHO; 0: 8 */
  uint32_t cookie_lifetime_ms;   /* 0: 60000 (RFC 9260 15: Valid.Cookie.Life) */
  /* A HEARTBEAT goes out when nothing has come from the peer for this long plus the RTO
   * (RFC 9260 8.3); each unanswered one counts toward max_retransmits, so a peer that went
   * silent on an idle association is found. 0: 30000 (HB.interval). */
  uint32_t heartbeat_interval_ms;
  /* 0: tags, initial TSNs and the cookie key come from OpenSSL's RAND (always, outside
   * tests). Tests and fuzzers set a seed to make a run repeatable. */
  uint64_t seed;
} brtc_sctp_config;

typedef enum brtc_sctp_state {
  BRTC_SCTP_CLOSED = 0, /* not connected yet (a server waits here for the peer's INIT) */
  BRTC_SCTP_COOKIE_WAIT,
  BRTC_SCTP_COOKIE_ECHOED,
  BRTC_SCTP_ESTABLISHED,
  BRTC_SCTP_SHUTDOWN_PENDING,
  BRTC_SCTP_SHUTDOWN_SENT,
  BRTC_SCTP_SHUTDOWN_RECEIVED,
  BRTC_SCTP_SHUTDOWN_ACK_SENT,
  BRTC_SCTP_GONE, /* shut down or aborted: nothing more happens */
} brtc_sctp_state;
const char *brtc_sctp_state_name(brtc_sctp_state s);

typedef enum brtc_sctp_event_type {
  BRTC_SCTP_EVENT_NONE = 0,
  BRTC_SCTP_EVENT_CONNECTED,      /* the association is up; data may be sent */
  BRTC_SCTP_EVENT_MESSAGE,        /* stream, ppid, data, len, unordered */
  BRTC_SCTP_EVENT_BUFFERED_LOW,   /* stream: its buffered amount fell to its threshold */
  BRTC_SCTP_EVENT_INCOMING_RESET, /* stream: the peer reset its outgoing side (RFC 6525) */
  BRTC_SCTP_EVENT_OUTGOING_RESET, /* stream: our reset of our outgoing side was performed */
  BRTC_SCTP_EVENT_RESET_FAILED,   /* stream: the peer refused to reset it */
  BRTC_SCTP_EVENT_RESTARTED,      /* the peer restarted (RFC 9260 5.2.4 A): all streams and
                                   * all queued data are gone; the association is up again */
  BRTC_SCTP_EVENT_ERROR,          /* reason: the peer reported an error, the association stays */
  BRTC_SCTP_EVENT_CLOSED,         /* the end: clean (error 0) or not (error, cause, reason) */
} brtc_sctp_event_type;

typedef struct brtc_sctp_event {
  brtc_sctp_event_type type;
  uint16_t stream;
  bool unordered;
  uint32_t ppid;
  const uint8_t *data; /* MESSAGE: valid until the next call on the association */
  size_t len;
  int error;          /* CLOSED: 0 after a clean shutdown, else a brtc_err */
  uint16_t cause;     /* CLOSED, ERROR: the RFC 9260 3.3.10 cause (ours or the peer's), or 0 */
  bool by_peer;       /* CLOSED: the peer aborted or shut down */
  const char *reason; /* CLOSED, ERROR: one line, static */
} brtc_sctp_event;

/* How one message is sent. */
typedef struct brtc_sctp_send_options {
  uint16_t stream;
  uint32_t ppid;
  bool unordered;
  /* RFC 3758 partial reliability (RFC 8831 6.1): at most one of them >= 0. -1: none. */
  int32_t max_retransmits;  /* sent at most 1 + this many times */
  int32_t lifetime_ms;      /* abandoned once this old (from the send call) */
} brtc_sctp_send_options;

typedef struct brtc_sctp_stats {
  uint64_t packets_sent, packets_received;
  uint64_t bytes_sent, bytes_received; /* SCTP packet bytes */
  uint64_t data_chunks_sent, data_chunks_received;
  uint64_t messages_sent, messages_received; /* user messages: handed out, and queued */
  uint64_t retransmissions, fast_retransmissions, t3_expiries;
  uint64_t messages_abandoned; /* PR-SCTP: given up after their limit */
  uint64_t forward_tsns_sent, forward_tsns_received;
  uint64_t duplicate_tsns_received;
  uint64_t sacks_sent, sacks_received;
  uint64_t heartbeats_sent, heartbeat_acks_received;
  /* Drops: each a bad or unwanted packet or chunk, never fatal. */
  uint64_t dropped_checksum;   /* bad CRC32c (or a zero one we did not accept) */
  uint64_t dropped_vtag;       /* wrong verification tag (RFC 9260 8.5) */
  uint64_t dropped_malformed;  /* a chunk or packet that does not parse */
  uint64_t dropped_unexpected; /* a chunk not valid in this state */
  uint64_t dropped_window;     /* DATA past our window or our gap-block limit */
  uint64_t dropped_cookie;     /* a state cookie that is forged, stale or not ours */
  uint32_t rto_ms, srtt_ms;    /* current estimates (0 until measured) */
  uint32_t cwnd, ssthresh, peer_rwnd, flight;
  uint32_t a_rwnd; /* what we advertise now */
} brtc_sctp_stats;

typedef struct brtc_sctp brtc_sctp;

/* cfg may be NULL for the defaults. BRTC_ERR_INVALID for inconsistent limits. */
int brtc_sctp_new(const brtc_sctp_config *cfg, uint64_t now_us, brtc_sctp **out);
void brtc_sctp_free(brtc_sctp *a);
/* A copy of a that shares nothing with it, for a fuzzer or a test that needs the same
 * association many times without building it again. Only an association at rest can be
 * copied: nothing sent and unacknowledged, queued, being reassembled or to be polled
 * (BRTC_ERR_STATE otherwise); its counters, timers and seeded randomness are copied too, so
 * the copy does next what the original would. */
int brtc_sctp_clone(const brtc_sctp *a, brtc_sctp **out);

/* Start the association: send INIT (RFC 9260 5.1). In WebRTC both ends call this once DTLS
 * is up; the INIT collision of 5.2.1 resolves it. An end that never calls it answers the
 * peer's INIT as a server. BRTC_ERR_STATE unless closed and never started. */
int brtc_sctp_connect(brtc_sctp *a, uint64_t now_us);

/* One received SCTP packet. A packet that is malformed, fails the checksum or carries the
 * wrong tag is dropped and counted (stats), and BRTC_ERR_PARSE / BRTC_ERR_AUTH returned for
 * the owner's counters; the association goes on. BRTC_ERR_STATE once it is gone. */
int brtc_sctp_handle_packet(brtc_sctp *a, uint64_t now_us, const uint8_t *pkt, size_t len);
/* Timers due at or before now_us. */
void brtc_sctp_handle_timeout(brtc_sctp *a, uint64_t now_us);
/* The next time brtc_sctp_handle_timeout has something to do; UINT64_MAX if nothing. */
uint64_t brtc_sctp_next_deadline(const brtc_sctp *a);

/* The next packet to send, written into buf (cap at least the MTU); BRTC_ERR_AGAIN when
 * nothing is to be sent now. */
int brtc_sctp_poll_packet(brtc_sctp *a, uint64_t now_us, uint8_t *buf, size_t cap,
                          size_t *out_len);
/* The next event; BRTC_ERR_AGAIN when none. A MESSAGE's bytes stay valid until the next
 * call on this association. */
int brtc_sctp_poll_event(brtc_sctp *a, brtc_sctp_event *out);

/* Queue one message (len >= 1; RFC 8831 6.6 sends empty ones as one byte with PPID 56/57).
 * Messages may be queued before the association is up.
 *   BRTC_ERR_TOO_BIG   over the largest outbound message;
 *   BRTC_ERR_AGAIN     the send buffer is full: wait for BUFFERED_LOW on this stream (it
 *                      comes when bufferedAmount falls to its threshold, and also once
 *                      acknowledgements have emptied half the buffer: the buffer holds what
 *                      is unacknowledged, so bufferedAmount may be 0 already);
 *   BRTC_ERR_STATE     shutting down or gone, or the stream is being reset;
 *   BRTC_ERR_INVALID   bad options (stream 65535, both PR limits);
 *   BRTC_ERR_LIMIT     a new stream over max_streams. */
int brtc_sctp_send(brtc_sctp *a, uint64_t now_us, const brtc_sctp_send_options *opt,
                   const uint8_t *data, size_t len);

/* Bytes queued on a stream and not yet handed to the network (RTCDataChannel's
 * bufferedAmount), and the threshold at or below which BUFFERED_LOW fires (default 0). */
size_t brtc_sctp_buffered_amount(const brtc_sctp *a, uint16_t stream);
int brtc_sctp_set_buffered_low_threshold(brtc_sctp *a, uint16_t stream, size_t bytes);
/* All bytes held to send, queued or awaiting acknowledgement. */
size_t brtc_sctp_send_buffer_used(const brtc_sctp *a);

/* Reset our outgoing side of these streams (RFC 6525 5.1.2): messages already queued on them
 * are sent first, then one request covers them; OUTGOING_RESET (or RESET_FAILED) follows
 * per stream. New sends on them are refused until then. BRTC_ERR_UNSUPPORTED if the peer did
 * not announce RE-CONFIG; BRTC_ERR_STATE unless established. */
int brtc_sctp_reset_streams(brtc_sctp *a, uint64_t now_us, const uint16_t *streams, unsigned n);

/* The largest message we may send from now on (the peer's a=max-message-size; 0: the peer
 * gave none, which RFC 8841 6 makes 64 KiB). */
void brtc_sctp_set_max_message(brtc_sctp *a, uint32_t bytes);
uint32_t brtc_sctp_max_message(const brtc_sctp *a);

/* Graceful close (RFC 9260 9.2): queued data is delivered first; CLOSED (error 0) follows. */
int brtc_sctp_shutdown(brtc_sctp *a, uint64_t now_us);
/* Immediate close (9.1): ABORT with a User-Initiated Abort cause carrying reason (may be
 * NULL); CLOSED follows. */
void brtc_sctp_abort(brtc_sctp *a, uint64_t now_us, const char *reason);

brtc_sctp_state brtc_sctp_get_state(const brtc_sctp *a);
void brtc_sctp_get_stats(const brtc_sctp *a, brtc_sctp_stats *out);
/* What the peer announced (valid once connected). */
bool brtc_sctp_peer_supports_reconfig(const brtc_sctp *a);
bool brtc_sctp_peer_supports_pr(const brtc_sctp *a);
bool brtc_sctp_zero_checksum_sending(const brtc_sctp *a); /* we send zero checksums */
uint16_t brtc_sctp_outbound_streams(const brtc_sctp *a);   /* negotiated, each direction */
uint16_t brtc_sctp_inbound_streams(const brtc_sctp *a);
/* Our verification tag (what the peer puts in its packets), for tests and fuzzers that must
 * address the association. */
uint32_t brtc_sctp_local_vtag(const brtc_sctp *a);
/* Heap bytes this association holds now (itself, its tables, held messages and chunks). */
size_t brtc_sctp_memory(const brtc_sctp *a);

#endif
