/* brtc_datachannel: an RTCDataChannel (RFC 8831), opened in-band by DCEP (RFC 8832) or
 * negotiated by id, on boltrtc's own SCTP over the peer connection's DTLS. A pc owns its
 * channels: a pointer stays valid until the pc is freed, and every call takes the same
 * now_us clock as the pc. A pc carries data channels only with brtc_pc_config_set_datachannels
 * set and an offer that has an m=application section, the peer's or our own (docs/api.md,
 * "Data channels" and "Signaling: both roles").
 *
 * Events come out of brtc_pc_poll_output (peer_connection.h): BRTC_EVENT_DATACHANNEL (the
 * peer opened a channel; OPEN follows), BRTC_EVENT_DATACHANNEL_OPEN, _MESSAGE,
 * _BUFFERED_AMOUNT_LOW and _CLOSED, each with out.channel set. Calls here change the pc:
 * drain it afterwards (the rule in peer_connection.h). */
#ifndef BOLTRTC_DATACHANNEL_H
#define BOLTRTC_DATACHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boltrtc/export.h"
#include "boltrtc/peer_connection.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How a channel delivers, as RTCDataChannelInit. Set size to sizeof(brtc_datachannel_init)
 * (brtc_datachannel_init_default does), so that fields added later are known to be absent. */
typedef struct brtc_datachannel_init {
  size_t size;
  bool ordered;                   /* default true */
  int32_t max_retransmits;        /* -1: no limit (default); 0: sent once, never resent */
  int32_t max_packet_lifetime_ms; /* -1: no limit (default); not with max_retransmits */
  const char *protocol;           /* NULL or "" (default): none */
  bool negotiated;                /* both sides create it with the same id; no DCEP */
  int32_t id;                     /* with negotiated: the stream id, 0..65534 */
} brtc_datachannel_init;
/* Reliable and ordered, not negotiated, no protocol. */
BRTC_EXPORT void brtc_datachannel_init_default(brtc_datachannel_init *init);

typedef enum brtc_datachannel_state {
  BRTC_DATACHANNEL_CONNECTING = 0,
  BRTC_DATACHANNEL_OPEN,
  BRTC_DATACHANNEL_CLOSING,
  BRTC_DATACHANNEL_CLOSED,
} brtc_datachannel_state;

/* A new channel (init NULL for the defaults). It opens (BRTC_EVENT_DATACHANNEL_OPEN) once
 * the offer's data section is negotiated and the SCTP association is up; created before the
 * offer, it waits for it. Created before brtc_pc_create_offer, it puts the data section into
 * our own offer (we are then the offerer; its stream id follows the DTLS role the answer
 * gives us, RFC 8832 6). The first one on a live call that has no data section asks for a
 * renegotiation (BRTC_EVENT_NEGOTIATION_NEEDED): the next offer, from either side, adds the
 * section and SCTP starts over the DTLS already up. BRTC_ERR_STATE when data channels are
 * not enabled, the pc is closed, or our own offer without a data section is out;
 * BRTC_ERR_INVALID for a bad init (both limits, a negotiated id out of range or in use, a
 * label or protocol over 65535 bytes); BRTC_ERR_LIMIT past 1024 channels. */
BRTC_EXPORT int brtc_pc_create_datachannel(brtc_pc *pc, uint64_t now_us, const char *label,
                                           const brtc_datachannel_init *init,
                                           brtc_datachannel **out, char *err, size_t err_cap);
/* One message, text (UTF-8, not checked) or binary; empty ones too (RFC 8831 6.6).
 * BRTC_ERR_STATE unless open; BRTC_ERR_TOO_BIG over the peer's a=max-message-size;
 * BRTC_ERR_AGAIN when the send buffer (1 MiB) is full: wait for BUFFERED_AMOUNT_LOW. The
 * buffer also holds what the peer has not yet acknowledged, so the event comes for a refused
 * channel once half of it is free again, even when its bufferedAmount was 0 already. */
BRTC_EXPORT int brtc_datachannel_send(brtc_datachannel *dc, uint64_t now_us, const uint8_t *data,
                                      size_t len, bool binary);
/* RTCDataChannel.close(): what is queued is still sent, then the stream is reset (RFC 8831
 * 6.7); BRTC_EVENT_DATACHANNEL_CLOSED follows once the peer has reset its side too. */
BRTC_EXPORT void brtc_datachannel_close(brtc_datachannel *dc, uint64_t now_us);
BRTC_EXPORT brtc_datachannel_state brtc_datachannel_get_state(const brtc_datachannel *dc);
BRTC_EXPORT const char *brtc_datachannel_label(const brtc_datachannel *dc);
BRTC_EXPORT const char *brtc_datachannel_protocol(const brtc_datachannel *dc);
BRTC_EXPORT int32_t brtc_datachannel_id(const brtc_datachannel *dc); /* -1 until known */
BRTC_EXPORT bool brtc_datachannel_ordered(const brtc_datachannel *dc);
BRTC_EXPORT int32_t brtc_datachannel_max_retransmits(const brtc_datachannel *dc); /* -1: none */
BRTC_EXPORT int32_t brtc_datachannel_max_packet_lifetime(const brtc_datachannel *dc); /* -1 */
BRTC_EXPORT bool brtc_datachannel_negotiated(const brtc_datachannel *dc);
/* The pc the channel belongs to. */
BRTC_EXPORT brtc_pc *brtc_datachannel_pc(const brtc_datachannel *dc);
/* As RTCDataChannel.bufferedAmount: bytes given to send and not yet sent for the first time. */
BRTC_EXPORT size_t brtc_datachannel_buffered_amount(const brtc_datachannel *dc);
/* BRTC_EVENT_DATACHANNEL_BUFFERED_AMOUNT_LOW fires when the buffered amount falls from
 * above it to or below it (default 0). */
BRTC_EXPORT void brtc_datachannel_set_buffered_amount_low_threshold(brtc_datachannel *dc,
                                                                    size_t bytes);
BRTC_EXPORT size_t brtc_datachannel_buffered_amount_low_threshold(const brtc_datachannel *dc);
/* As RTCDataChannelStats (W3C webrtc-stats): messages and payload bytes given to send (empty
 * messages count as messages of 0 bytes), and messages and bytes handed out. */
BRTC_EXPORT uint64_t brtc_datachannel_messages_sent(const brtc_datachannel *dc);
BRTC_EXPORT uint64_t brtc_datachannel_bytes_sent(const brtc_datachannel *dc);
BRTC_EXPORT uint64_t brtc_datachannel_messages_received(const brtc_datachannel *dc);
BRTC_EXPORT uint64_t brtc_datachannel_bytes_received(const brtc_datachannel *dc);

#ifdef __cplusplus
}
#endif
#endif
