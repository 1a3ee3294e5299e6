/* The server side of the WebSocket protocol (RFC 6455), sans-IO: the opening handshake's
 * checks and Sec-WebSocket-Accept, the frame parser and writer, and a connection state
 * machine that takes bytes and a time and gives messages, response bytes and a deadline.
 *
 * What the connection enforces (each failure closes with the RFC's status code):
 *  - client frames must be masked (5.1), RSV bits clear (no extension is negotiated, 5.2),
 *    known opcodes, control frames short and whole (5.5), lengths in minimal form (5.2):
 *    1002 otherwise;
 *  - fragmentation and continuation in order (5.4): 1002 otherwise;
 *  - text messages are valid UTF-8 (8.1), as are close reasons: 1007 otherwise;
 *  - a message over max_message is skipped and reported (TOO_BIG event), so the owner can
 *    say so and keep the connection; one over max_discard closes with 1009;
 *  - ping is answered with pong (5.5.2); the close handshake (5.5.1, 7) with valid codes
 *    only (7.4); the server pings a quiet client and gives up on one that stays silent. */
#ifndef BRTC_WEBSOCKET_H
#define BRTC_WEBSOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"

/* ---- the opening handshake (RFC 6455 section 4.2) ---- */

#define BRTC_WS_ACCEPT_LEN 28 /* base64 of a SHA-1 digest */

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + the RFC's GUID)), into
 * out (BRTC_WS_ACCEPT_LEN + 1 bytes). BRTC_ERR_PARSE if key is not base64 of 16 bytes. */
int brtc_ws_accept_key(const char *key, char *out);
/* Whether r is a valid WebSocket opening handshake (4.2.1). Returns 0 and fills accept, or
 * an HTTP status with a reason: 400 (malformed), 426 (version other than 13: answer with
 * Sec-WebSocket-Version: 13, 4.4). */
int brtc_ws_check_handshake(const brtc_http_request *r, char *accept, const char **why);

/* ---- frames (section 5.2) ---- */

enum {
  BRTC_WS_OP_CONTINUATION = 0x0,
  BRTC_WS_OP_TEXT = 0x1,
  BRTC_WS_OP_BINARY = 0x2,
  BRTC_WS_OP_CLOSE = 0x8,
  BRTC_WS_OP_PING = 0x9,
  BRTC_WS_OP_PONG = 0xA,
};

#define BRTC_WS_MAX_HEADER 14

typedef struct brtc_ws_frame_header {
  bool fin;
  uint8_t rsv;    /* the three RSV bits */
  uint8_t opcode;
  bool masked;
  uint8_t mask[4];
  uint64_t length;
} brtc_ws_frame_header;

/* Parse a frame header from the start of data. BRTC_OK with *header_len set;
 * BRTC_ERR_AGAIN when more bytes are needed; BRTC_ERR_PARSE for a length with its top bit
 * set or not in minimal form. */
int brtc_ws_frame_parse_header(const uint8_t *data, size_t len, brtc_ws_frame_header *h,
                               size_t *header_len);
/* Write a frame header (BRTC_WS_MAX_HEADER bytes of room); returns its length. */
size_t brtc_ws_frame_write_header(uint8_t *out, const brtc_ws_frame_header *h);
/* XOR data with the masking key, offset bytes into the payload (5.3). Its own inverse. */
void brtc_ws_mask(uint8_t *data, size_t len, const uint8_t mask[4], uint64_t offset);

/* ---- UTF-8 (RFC 3629) ---- */

/* Whether the bytes are well-formed UTF-8: no overlong forms, no surrogates, nothing above
 * U+10FFFF. */
bool brtc_utf8_valid(const uint8_t *data, size_t len);

/* ---- the connection ---- */

/* Close codes (section 7.4.1). */
enum {
  BRTC_WS_CLOSE_NORMAL = 1000,
  BRTC_WS_CLOSE_GOING_AWAY = 1001,
  BRTC_WS_CLOSE_PROTOCOL = 1002,
  BRTC_WS_CLOSE_NO_STATUS = 1005, /* reported only: the close frame had no code */
  BRTC_WS_CLOSE_ABNORMAL = 1006,  /* reported only: no close frame at all */
  BRTC_WS_CLOSE_BAD_DATA = 1007,
  BRTC_WS_CLOSE_POLICY = 1008,
  BRTC_WS_CLOSE_TOO_BIG = 1009,
  BRTC_WS_CLOSE_INTERNAL = 1011,
};

typedef struct brtc_ws_limits {
  size_t max_message;        /* larger messages are skipped (TOO_BIG event) */
  size_t max_discard;        /* larger still: closed with 1009 */
  size_t max_output;         /* queued output above which sends are refused, input waits */
  uint64_t ping_after_us;    /* silence before the server pings */
  uint64_t silence_limit_us; /* silence after which the client is given up (no close) */
  uint64_t close_timeout_us; /* how long our close waits for the client's */
} brtc_ws_limits;

/* 64 KiB messages, 1 MiB skipped at most, 1 MiB of output, ping after 20 s of silence, give
 * up after 60 s, 5 s for the close handshake. */
void brtc_ws_default_limits(brtc_ws_limits *out);

typedef enum brtc_ws_event_type {
  BRTC_WS_EVENT_MESSAGE = 1, /* a whole text or binary message */
  BRTC_WS_EVENT_TOO_BIG,     /* a message over max_message was skipped */
  BRTC_WS_EVENT_CLOSED,      /* the connection is closing: code and reason say why */
} brtc_ws_event_type;

typedef struct brtc_ws_event {
  brtc_ws_event_type type;
  bool text;              /* MESSAGE */
  const uint8_t *data;    /* MESSAGE: valid until the next feed; a NUL follows it */
  size_t len;             /* MESSAGE; TOO_BIG: its size so far */
  int code;               /* CLOSED: the client's code, or ours when we failed it */
  const char *reason;     /* CLOSED */
} brtc_ws_event;

typedef struct brtc_websocket brtc_websocket;

brtc_websocket *brtc_websocket_new(const brtc_ws_limits *limits, uint64_t now_us);
void brtc_websocket_free(brtc_websocket *ws);

/* Offer received bytes; returns how many were taken. Stops after each whole message until
 * its event is polled, and while the output is over max_output. */
size_t brtc_websocket_feed(brtc_websocket *ws, const uint8_t *data, size_t len, uint64_t now_us);
bool brtc_websocket_poll_event(brtc_websocket *ws, brtc_ws_event *ev);

/* Queue one message as one frame. BRTC_ERR_LIMIT when the output is over max_output (a
 * client that does not read), BRTC_ERR_STATE once closing. */
int brtc_websocket_send(brtc_websocket *ws, bool text, const void *data, size_t len);
/* Start the close handshake with code and a short reason. */
int brtc_websocket_close(brtc_websocket *ws, int code, const char *reason, uint64_t now_us);

size_t brtc_websocket_output_len(const brtc_websocket *ws);
size_t brtc_websocket_take_output(brtc_websocket *ws, uint8_t *buf, size_t cap);

uint64_t brtc_websocket_next_deadline(const brtc_websocket *ws);
void brtc_websocket_handle_timeout(brtc_websocket *ws, uint64_t now_us);

/* Closed (handshake done, failed or timed out) and all output taken: close the TCP
 * connection once it is sent. */
bool brtc_websocket_finished(const brtc_websocket *ws);

#endif
