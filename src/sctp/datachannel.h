/* Data channels (RFC 8831) over one SCTP association: channels opened in-band with DCEP
 * (RFC 8832) or negotiated by id, text and binary messages with their PPIDs (RFC 8831 6.6),
 * bufferedAmount and its low threshold, and closing by stream reset (RFC 8831 6.7). Sans-IO
 * like the association under it: the owner (the peer connection) feeds SCTP packets and
 * time, and pulls SCTP packets, events and the next deadline. It maps one to one onto
 * RTCDataChannel and onto include/boltrtc/datachannel.h: brtc_dc is a channel,
 * brtc_dc_transport is RTCSctpTransport with its channels.
 *
 * Channels may be created before the association exists (a first channel is what puts the
 * data section in an offer); they open once brtc_dc_transport_start has been called (DTLS is
 * up, roles and ports known) and the association is up.
 *
 * Order of calls for the owner:
 *   create transport (at pc creation) -> create channels (any time) ->
 *   start (DTLS connected) -> feed packets/timeouts, drain packets and events after every
 *   call (poll_event too may queue packets: a DCEP ACK, a stream reset) -> send / close ->
 *   transport close (pc close) -> free. */
#ifndef BRTC_SCTP_DATACHANNEL_H
#define BRTC_SCTP_DATACHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sctp/sctp.h"

typedef struct brtc_dc_transport brtc_dc_transport;
typedef struct brtc_dc brtc_dc;

/* RTCDataChannelInit. */
typedef struct brtc_dc_init {
  bool ordered;                   /* default true */
  int32_t max_retransmits;        /* -1: no limit (default); 0: sent once */
  int32_t max_packet_lifetime_ms; /* -1: no limit (default); not with max_retransmits */
  const char *protocol;           /* NULL: "" */
  bool negotiated;                /* both ends create it with the same id: no DCEP */
  int32_t id;                     /* with negotiated: 0..65534; otherwise ignored */
  uint16_t priority;              /* DCEP priority (RFC 8832 5.1); 0: 256, "low" */
} brtc_dc_init;
void brtc_dc_init_default(brtc_dc_init *init);

typedef enum brtc_dc_state {
  BRTC_DC_CONNECTING = 0,
  BRTC_DC_OPEN,
  BRTC_DC_CLOSING,
  BRTC_DC_CLOSED,
} brtc_dc_state;

typedef struct brtc_dc_transport_config {
  brtc_sctp_config sctp; /* limits, timers; ports and roles come with brtc_dc_transport_start */
  uint32_t max_channels; /* channels not yet closed, both ends together; 0: 1024 */
} brtc_dc_transport_config;

/* What the session knows once DTLS is up. */
#define BRTC_DC_MAX_MESSAGE_ABSENT UINT32_MAX /* the SDP had no a=max-message-size */
typedef struct brtc_dc_start {
  bool dtls_client;            /* even stream ids for our channels, odd otherwise (RFC 8832 6) */
  uint16_t local_port, remote_port; /* a=sctp-port, ours and the peer's; 0: 5000 */
  /* The peer's a=max-message-size: 0 means any size (RFC 8841 6.1; we still cap it at our
   * send buffer), BRTC_DC_MAX_MESSAGE_ABSENT means 65536. */
  uint32_t remote_max_message;
} brtc_dc_start;

typedef enum brtc_dc_event_type {
  BRTC_DC_EVENT_NONE = 0,
  BRTC_DC_EVENT_CONNECTED,    /* the SCTP association is up */
  BRTC_DC_EVENT_CHANNEL,      /* channel: the peer opened it (DCEP); OPEN follows */
  BRTC_DC_EVENT_OPEN,         /* channel */
  BRTC_DC_EVENT_MESSAGE,      /* channel, data/len, binary */
  BRTC_DC_EVENT_BUFFERED_LOW, /* channel: bufferedAmount fell to its threshold */
  BRTC_DC_EVENT_CLOSED,       /* channel */
  BRTC_DC_EVENT_ERROR,        /* reason: something the peer did was refused (a bad DCEP
                               * message, a channel over the limit); nothing closed */
  BRTC_DC_EVENT_TRANSPORT_CLOSED, /* the association ended: error 0 clean, else reason */
} brtc_dc_event_type;

typedef struct brtc_dc_event {
  brtc_dc_event_type type;
  brtc_dc *channel;
  const uint8_t *data; /* MESSAGE: valid until the next call on the transport */
  size_t len;
  bool binary;
  int error;
  const char *reason;
} brtc_dc_event;

typedef struct brtc_dc_stats {
  uint64_t messages_sent, bytes_sent, messages_received, bytes_received;
} brtc_dc_stats;

typedef struct brtc_dc_transport_stats {
  uint64_t channels_opened, channels_closed;
  uint64_t dropped_messages; /* on no channel, deprecated PPIDs, before open */
  uint64_t dcep_errors;      /* DCEP messages refused */
} brtc_dc_transport_stats;

int brtc_dc_transport_new(const brtc_dc_transport_config *cfg, uint64_t now_us,
                          brtc_dc_transport **out);
/* Frees every channel too. */
void brtc_dc_transport_free(brtc_dc_transport *t);
/* DTLS is up: make the association and connect it (both ends do; RFC 9260 5.2.1 settles the
 * crossing INITs). BRTC_ERR_STATE if already started. */
int brtc_dc_transport_start(brtc_dc_transport *t, uint64_t now_us, const brtc_dc_start *s);
int brtc_dc_transport_handle_packet(brtc_dc_transport *t, uint64_t now_us, const uint8_t *pkt,
                                    size_t len);
void brtc_dc_transport_handle_timeout(brtc_dc_transport *t, uint64_t now_us);
uint64_t brtc_dc_transport_next_deadline(const brtc_dc_transport *t);
int brtc_dc_transport_poll_packet(brtc_dc_transport *t, uint64_t now_us, uint8_t *buf,
                                  size_t cap, size_t *out_len);
int brtc_dc_transport_poll_event(brtc_dc_transport *t, brtc_dc_event *out);
/* Graceful close of everything: SCTP SHUTDOWN (queued data first); every channel CLOSED,
 * then TRANSPORT_CLOSED. */
void brtc_dc_transport_close(brtc_dc_transport *t, uint64_t now_us);
/* Immediate: SCTP ABORT with reason. */
void brtc_dc_transport_abort(brtc_dc_transport *t, uint64_t now_us, const char *reason);
bool brtc_dc_transport_connected(const brtc_dc_transport *t);
/* The association, NULL before start (for stats and tests). */
const brtc_sctp *brtc_dc_transport_sctp(const brtc_dc_transport *t);
void brtc_dc_transport_get_stats(const brtc_dc_transport *t, brtc_dc_transport_stats *out);
/* The channels not yet released, for stats: index 0 to count - 1 (brtc_dc_release may
 * reorder them). NULL past the end. */
size_t brtc_dc_transport_channel_count(const brtc_dc_transport *t);
const brtc_dc *brtc_dc_transport_channel(const brtc_dc_transport *t, size_t i);
/* Heap bytes held: the association, the channels and the event queue. */
size_t brtc_dc_transport_memory(const brtc_dc_transport *t);

/* A new channel; init NULL for the defaults. BRTC_ERR_INVALID for a bad init (both PR
 * limits, a negotiated id out of range or in use, a label or protocol over 65535 bytes);
 * BRTC_ERR_LIMIT past max_channels; BRTC_ERR_STATE once the transport is closed. */
int brtc_dc_create(brtc_dc_transport *t, uint64_t now_us, const char *label,
                   const brtc_dc_init *init, brtc_dc **out);
/* One message, text (UTF-8, not checked) or binary; empty ones too (RFC 8831 6.6).
 * BRTC_ERR_STATE unless open; BRTC_ERR_TOO_BIG over the peer's max-message-size;
 * BRTC_ERR_AGAIN when the send buffer is full (wait for BUFFERED_LOW: it comes also once half
 * the buffer is free again, see brtc_sctp_send). */
int brtc_dc_send(brtc_dc *dc, uint64_t now_us, const uint8_t *data, size_t len, bool binary);
/* RTCDataChannel.close(): what is queued is still sent, then the stream is reset; CLOSED
 * follows once the peer has reset its side too. Nothing happens to a closed channel. */
void brtc_dc_close(brtc_dc *dc, uint64_t now_us);
/* A closed channel the owner no longer refers to is freed now rather than with the
 * transport. BRTC_ERR_STATE unless closed. */
int brtc_dc_release(brtc_dc *dc);

brtc_dc_state brtc_dc_get_state(const brtc_dc *dc);
const char *brtc_dc_label(const brtc_dc *dc);
const char *brtc_dc_protocol(const brtc_dc *dc);
int32_t brtc_dc_id(const brtc_dc *dc); /* -1 until known */
bool brtc_dc_ordered(const brtc_dc *dc);
int32_t brtc_dc_max_retransmits(const brtc_dc *dc);        /* -1: none */
int32_t brtc_dc_max_packet_lifetime(const brtc_dc *dc);    /* -1: none */
bool brtc_dc_negotiated(const brtc_dc *dc);
uint16_t brtc_dc_priority(const brtc_dc *dc);
size_t brtc_dc_buffered_amount(const brtc_dc *dc);
size_t brtc_dc_buffered_amount_low_threshold(const brtc_dc *dc);
void brtc_dc_set_buffered_amount_low_threshold(brtc_dc *dc, size_t bytes);
void brtc_dc_get_stats(const brtc_dc *dc, brtc_dc_stats *out);
/* For the owner's own object (the pc's brtc_datachannel). */
void brtc_dc_set_user(brtc_dc *dc, void *user);
void *brtc_dc_user(const brtc_dc *dc);

#endif
