/* brtc_turn_client: a TURN client (RFC 8656) over UDP, TCP or TLS for one allocation, sans-IO.
 *
 * It allocates with the long-term credential dance (401 with realm and nonce, 438 stale
 * nonce: RFC 8489 9.2), refreshes the allocation before it expires, creates permissions
 * and binds channels and keeps both refreshed, and wraps and unwraps application data
 * (Send and Data indications, ChannelData). Requests are retransmitted as RFC 8489 6.2.1
 * says (RTO doubling, Rc transmissions, Rm x RTO after the last). The owner sends what
 * poll_transmit hands out to the server's address and feeds back what comes from there;
 * over TCP or TLS (config.stream) it sends on its connection and feeds back each message
 * it cut from the stream. */
#ifndef BRTC_TURN_CLIENT_H
#define BRTC_TURN_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#define BRTC_TURN_CLIENT_MAX_PEERS 32
#define BRTC_TURN_CLIENT_MAX_TX 8

typedef struct brtc_turn_client brtc_turn_client;

typedef struct brtc_turn_client_config {
  const char *username;
  const char *password;
  uint32_t lifetime_s; /* asked for; 0: the server's default */
  unsigned rto_ms;     /* 0: 500 (RFC 8489 6.2.1) */
  unsigned rc;         /* transmissions of a request; 0: 7 */
  unsigned rm;         /* the last one waits rm x RTO; 0: 16 */
  /* Over TCP or TLS: ChannelData is padded to a multiple of 4 (RFC 8656 12.5), and the owner
   * cuts what it reads into messages with brtc_turn_stream_frame_size (turn_proto.h). */
  bool stream;
} brtc_turn_client_config;

typedef enum brtc_turn_client_state {
  BRTC_TURN_CLIENT_IDLE = 0,
  BRTC_TURN_CLIENT_ALLOCATING,
  BRTC_TURN_CLIENT_ALLOCATED,
  BRTC_TURN_CLIENT_CLOSING,
  BRTC_TURN_CLIENT_CLOSED,
  BRTC_TURN_CLIENT_FAILED,
} brtc_turn_client_state;

typedef enum brtc_turn_client_event_kind {
  BRTC_TURN_EV_ALLOCATED = 1, /* relayed, mapped, lifetime_s */
  BRTC_TURN_EV_REFRESHED,     /* lifetime_s */
  BRTC_TURN_EV_PERMISSION,    /* peer: a permission is installed or refreshed */
  BRTC_TURN_EV_CHANNEL,       /* peer, channel: a channel is bound or refreshed */
  BRTC_TURN_EV_REQUEST_FAILED, /* peer (if any), error_code (0: no answer): permission or channel */
  BRTC_TURN_EV_FAILED,        /* error_code (0: no answer): the allocation is lost */
  BRTC_TURN_EV_CLOSED,        /* the allocation was deleted on request */
} brtc_turn_client_event_kind;

typedef struct brtc_turn_client_event {
  brtc_turn_client_event_kind kind;
  brtc_addr relayed, mapped, peer;
  uint32_t lifetime_s;
  uint16_t channel;
  uint16_t error_code;
} brtc_turn_client_event;

/* Application data that came through the relay: payload points into the fed datagram. */
typedef struct brtc_turn_client_data {
  brtc_addr peer;
  const uint8_t *payload;
  size_t len;
} brtc_turn_client_data;

brtc_turn_client *brtc_turn_client_new(const brtc_turn_client_config *config);
void brtc_turn_client_free(brtc_turn_client *cl);

int brtc_turn_client_allocate(brtc_turn_client *cl, uint64_t now_us);
/* A permission for peer's IP address, kept refreshed until close. */
int brtc_turn_client_create_permission(brtc_turn_client *cl, const brtc_addr *peer,
                                       uint64_t now_us);
/* A channel to peer (and its permission), kept refreshed until close. */
int brtc_turn_client_bind_channel(brtc_turn_client *cl, const brtc_addr *peer, uint64_t now_us);
/* Refresh the allocation now, whatever its timer says (RFC 8656 7: a client may refresh at
 * any time): whether the server still knows our 5-tuple, after a NAT rebinding say. The
 * answer is BRTC_TURN_EV_REFRESHED, or BRTC_TURN_EV_FAILED (437 Allocation Mismatch, or no
 * answer after the retransmissions). BRTC_ERR_STATE unless allocated. */
int brtc_turn_client_refresh_now(brtc_turn_client *cl, uint64_t now_us);
/* Delete the allocation (Refresh with lifetime 0). */
int brtc_turn_client_close(brtc_turn_client *cl, uint64_t now_us);

/* The datagram that carries data to peer: ChannelData on a bound channel, else a Send
 * indication. Written into buf; BRTC_ERR_STATE before the allocation exists. */
int brtc_turn_client_wrap(brtc_turn_client *cl, const brtc_addr *peer, const uint8_t *data,
                          size_t len, uint8_t *buf, size_t cap, size_t *out_len);

/* A datagram from the server. Returns 1 with *data set for application data, 0 for
 * anything else that was taken, BRTC_ERR_PARSE/AUTH/NOT_FOUND for a drop. */
int brtc_turn_client_handle(brtc_turn_client *cl, const uint8_t *buf, size_t len,
                            uint64_t now_us, brtc_turn_client_data *data);
void brtc_turn_client_handle_timeout(brtc_turn_client *cl, uint64_t now_us);
/* The next request to send to the server, written into buf (at least 1600 bytes); 0 when
 * there is none now. */
size_t brtc_turn_client_poll_transmit(brtc_turn_client *cl, uint64_t now_us, uint8_t *buf,
                                      size_t cap);
bool brtc_turn_client_poll_event(brtc_turn_client *cl, brtc_turn_client_event *ev);
uint64_t brtc_turn_client_deadline(const brtc_turn_client *cl);
brtc_turn_client_state brtc_turn_client_get_state(const brtc_turn_client *cl);
/* Requests sent, retransmissions included (for tests of the RFC 8489 timers). */
uint64_t brtc_turn_client_transmissions(const brtc_turn_client *cl);

#endif
