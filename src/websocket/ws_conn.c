/* A WebSocket server connection after the handshake (RFC 6455 sections 5 to 7): frames in,
 * whole messages out one at a time, control frames answered, the close handshake, a
 * keep-alive ping for a quiet client. See websocket.h for the rules it enforces. */
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "common/byte_queue.h"
#include "common/bytes.h"
#include "websocket/websocket.h"

typedef enum ws_state {
  WS_OPEN,
  WS_CLOSE_SENT, /* our close is out; waiting for the client's (7.1.2) */
  WS_CLOSED,     /* nothing more is read; finished once the output is taken */
} ws_state;

struct brtc_websocket {
  brtc_ws_limits lim;
  ws_state state;
  uint64_t now, heard_us, close_sent_us;
  bool ping_sent; /* since the client was last heard */

  /* The frame being read. */
  uint8_t head[BRTC_WS_MAX_HEADER];
  size_t head_len;
  bool in_payload;
  brtc_ws_frame_header frame;
  uint64_t payload_done;
  uint8_t control[125];

  /* The message being assembled from its frames. */
  bool in_message, message_text, skipping;
  uint8_t *message;
  size_t message_len, message_cap;
  uint64_t skipped;

  /* Events. */
  bool message_event, too_big_event, closed_event;
  size_t too_big_len;
  int close_code;
  char close_reason[128];

  brtc_byte_queue out;
};

void brtc_ws_default_limits(brtc_ws_limits *out) {
  out->max_message = 64 * 1024;
  out->max_discard = 1024 * 1024;
  out->max_output = 1024 * 1024;
  out->ping_after_us = 20000000u;
  out->silence_limit_us = 60000000u;
  out->close_timeout_us = 5000000u;
}

brtc_websocket *brtc_websocket_new(const brtc_ws_limits *limits, uint64_t now_us) {
  brtc_websocket *ws = calloc(1, sizeof(*ws));
  if (!ws) return NULL;
  if (limits)
    ws->lim = *limits;
  else
    brtc_ws_default_limits(&ws->lim);
  ws->now = ws->heard_us = now_us;
  return ws;
}

void brtc_websocket_free(brtc_websocket *ws) {
  if (!ws) return;
  free(ws->message);
  brtc_byte_queue_free(&ws->out);
  free(ws);
}

/* ---- output ---- */

static int queue_frame(brtc_websocket *ws, uint8_t opcode, const void *data, size_t len) {
  brtc_ws_frame_header h = {.fin = true, .opcode = opcode, .length = len}; /* servers never mask (5.1) */
  uint8_t head[BRTC_WS_MAX_HEADER];
  size_t n = brtc_ws_frame_write_header(head, &h);
  size_t waiting = brtc_byte_queue_len(&ws->out);
  int rc = brtc_byte_queue_append(&ws->out, head, n);
  if (rc == BRTC_OK) rc = brtc_byte_queue_append(&ws->out, data, len);
  if (rc != BRTC_OK) brtc_byte_queue_truncate(&ws->out, waiting);
  return rc;
}

static void queue_close(brtc_websocket *ws, int code, const char *reason) {
  uint8_t body[125];
  size_t n = 0;
  if (code != BRTC_WS_CLOSE_NO_STATUS) {
    brtc_wr16(body, (uint16_t)code);
    n = strlen(reason);
    if (n > sizeof(body) - 2) n = sizeof(body) - 2; /* control frames are short (5.5) */
    memcpy(body + 2, reason, n);
    n += 2;
  }
  (void)queue_frame(ws, BRTC_WS_OP_CLOSE, body, n);
}

static void report_closed(brtc_websocket *ws, int code, const char *reason, size_t len) {
  ws->closed_event = true;
  ws->close_code = code;
  if (len > sizeof(ws->close_reason) - 1) len = sizeof(ws->close_reason) - 1;
  memcpy(ws->close_reason, reason, len);
  ws->close_reason[len] = '\0';
}

/* 7.1.7 "Fail the WebSocket Connection": say why in a close frame and stop reading. */
static void fail(brtc_websocket *ws, int code, const char *reason) {
  if (ws->state == WS_OPEN) queue_close(ws, code, reason);
  ws->state = WS_CLOSED;
  report_closed(ws, code, reason, strlen(reason));
}

int brtc_websocket_send(brtc_websocket *ws, bool text, const void *data, size_t len) {
  if (ws->state != WS_OPEN) return BRTC_ERR_STATE;
  if (brtc_byte_queue_len(&ws->out) + len > ws->lim.max_output) return BRTC_ERR_LIMIT;
  return queue_frame(ws, text ? BRTC_WS_OP_TEXT : BRTC_WS_OP_BINARY, data, len);
}

int brtc_websocket_close(brtc_websocket *ws, int code, const char *reason, uint64_t now_us) {
  if (ws->state != WS_OPEN) return BRTC_ERR_STATE;
  queue_close(ws, code, reason ? reason : "");
  ws->state = WS_CLOSE_SENT;
  ws->close_sent_us = now_us;
  return BRTC_OK;
}

size_t brtc_websocket_output_len(const brtc_websocket *ws) { return brtc_byte_queue_len(&ws->out); }

size_t brtc_websocket_take_output(brtc_websocket *ws, uint8_t *buf, size_t cap) {
  return brtc_byte_queue_take(&ws->out, buf, cap);
}

/* ---- input ---- */

/* 7.4.1 and IANA's registry: the codes a close frame may carry. */
static bool valid_close_code(int code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

static void handle_close(brtc_websocket *ws, const uint8_t *body, size_t len) {
  int code = BRTC_WS_CLOSE_NO_STATUS;
  const char *reason = "";
  size_t reason_len = 0;
  if (len == 1) {
    fail(ws, BRTC_WS_CLOSE_PROTOCOL, "a close frame with a one-byte body");
    return;
  }
  if (len >= 2) {
    code = brtc_rd16(body);
    reason = (const char *)body + 2;
    reason_len = len - 2;
    if (!valid_close_code(code)) {
      fail(ws, BRTC_WS_CLOSE_PROTOCOL, "an invalid close code");
      return;
    }
    if (!brtc_utf8_valid(body + 2, reason_len)) {
      fail(ws, BRTC_WS_CLOSE_BAD_DATA, "a close reason that is not UTF-8");
      return;
    }
  }
  if (ws->state == WS_OPEN) queue_close(ws, code, ""); /* echo the code (5.5.1) */
  ws->state = WS_CLOSED;
  report_closed(ws, code, reason, reason_len);
}

static void frame_done(brtc_websocket *ws) {
  const brtc_ws_frame_header *f = &ws->frame;
  ws->in_payload = false;
  ws->head_len = 0;
  size_t len = (size_t)f->length;
  switch (f->opcode) {
    case BRTC_WS_OP_PING:
      if (ws->state == WS_OPEN) (void)queue_frame(ws, BRTC_WS_OP_PONG, ws->control, len);
      return;
    case BRTC_WS_OP_PONG: /* heard: that is all a pong says */
      return;
    case BRTC_WS_OP_CLOSE:
      handle_close(ws, ws->control, len);
      return;
    default:
      break;
  }
  if (!f->fin) return;
  ws->in_message = false;
  if (ws->state != WS_OPEN) return; /* data after our close is read and dropped (5.5.1) */
  if (ws->skipping) {
    ws->too_big_event = true;
    ws->too_big_len = (size_t)(ws->message_len + ws->skipped);
    return;
  }
  if (ws->message) ws->message[ws->message_len] = '\0'; /* also after empty fragments */
  if (ws->message_text && !brtc_utf8_valid(ws->message, ws->message_len)) {
    fail(ws, BRTC_WS_CLOSE_BAD_DATA, "a text message that is not UTF-8");
    return;
  }
  ws->message_event = true;
}

/* A whole header was read: check it against 5.1 to 5.5 and start its payload. */
static bool begin_frame(brtc_websocket *ws) {
  const brtc_ws_frame_header *f = &ws->frame;
  bool control = f->opcode >= 0x8;
  if (!f->masked) {
    fail(ws, BRTC_WS_CLOSE_PROTOCOL, "client frames must be masked");
    return false;
  }
  if (f->rsv) {
    fail(ws, BRTC_WS_CLOSE_PROTOCOL, "RSV bits set with no extension negotiated");
    return false;
  }
  if (control) {
    if (f->opcode > BRTC_WS_OP_PONG) {
      fail(ws, BRTC_WS_CLOSE_PROTOCOL, "unknown opcode");
      return false;
    }
    if (!f->fin || f->length > 125) {
      fail(ws, BRTC_WS_CLOSE_PROTOCOL, "a control frame must be whole and at most 125 bytes");
      return false;
    }
  } else if (f->opcode == BRTC_WS_OP_CONTINUATION) {
    if (!ws->in_message) {
      fail(ws, BRTC_WS_CLOSE_PROTOCOL, "a continuation frame with no message to continue");
      return false;
    }
  } else if (f->opcode == BRTC_WS_OP_TEXT || f->opcode == BRTC_WS_OP_BINARY) {
    if (ws->in_message) {
      fail(ws, BRTC_WS_CLOSE_PROTOCOL, "a new message inside a fragmented one");
      return false;
    }
    ws->in_message = true;
    ws->message_text = f->opcode == BRTC_WS_OP_TEXT;
    ws->message_len = 0;
    ws->skipped = 0;
    ws->skipping = false;
  } else {
    fail(ws, BRTC_WS_CLOSE_PROTOCOL, "unknown opcode");
    return false;
  }
  if (!control && !ws->skipping && ws->message_len + f->length > ws->lim.max_message)
    ws->skipping = true;
  if (!control && ws->skipping && ws->skipped + ws->message_len + f->length > ws->lim.max_discard) {
    fail(ws, BRTC_WS_CLOSE_TOO_BIG, "message too big");
    return false;
  }
  ws->in_payload = true;
  ws->payload_done = 0;
  if (f->length == 0) frame_done(ws);
  return true;
}

static bool reserve_message(brtc_websocket *ws, size_t need) {
  if (need <= ws->message_cap) return true;
  size_t cap = ws->message_cap ? ws->message_cap : 1024;
  while (cap < need) cap *= 2;
  if (cap > ws->lim.max_message + 1) cap = ws->lim.max_message + 1;
  uint8_t *grown = realloc(ws->message, cap);
  if (!grown) return false;
  ws->message = grown;
  ws->message_cap = cap;
  return true;
}

/* Payload bytes of the current frame: unmask them into the message or control buffer. */
static bool take_payload(brtc_websocket *ws, const uint8_t *data, size_t n) {
  const brtc_ws_frame_header *f = &ws->frame;
  if (f->opcode >= 0x8) {
    memcpy(ws->control + ws->payload_done, data, n);
    brtc_ws_mask(ws->control + ws->payload_done, n, f->mask, ws->payload_done);
  } else if (ws->skipping) {
    ws->skipped += n;
  } else {
    if (!reserve_message(ws, ws->message_len + n + 1)) {
      fail(ws, BRTC_WS_CLOSE_INTERNAL, "out of memory");
      return false;
    }
    memcpy(ws->message + ws->message_len, data, n);
    brtc_ws_mask(ws->message + ws->message_len, n, f->mask, ws->payload_done);
    ws->message_len += n;
    ws->message[ws->message_len] = '\0';
  }
  ws->payload_done += n;
  if (ws->payload_done == f->length) frame_done(ws);
  return true;
}

size_t brtc_websocket_feed(brtc_websocket *ws, const uint8_t *data, size_t len, uint64_t now_us) {
  ws->now = now_us;
  if (ws->state == WS_CLOSED) return len; /* after a close nothing more is read (5.5.1) */
  if (ws->message_event || ws->too_big_event) return 0; /* the last message is not yet taken */
  if (brtc_byte_queue_len(&ws->out) > ws->lim.max_output) return 0; /* a client not reading */
  size_t off = 0;
  while (off < len && ws->state != WS_CLOSED && !ws->message_event && !ws->too_big_event) {
    if (!ws->in_payload) {
      size_t n = len - off;
      if (n > sizeof(ws->head) - ws->head_len) n = sizeof(ws->head) - ws->head_len;
      memcpy(ws->head + ws->head_len, data + off, n);
      size_t have = ws->head_len + n, header_len = 0;
      int rc = brtc_ws_frame_parse_header(ws->head, have, &ws->frame, &header_len);
      if (rc == BRTC_ERR_AGAIN) {
        ws->head_len = have;
        off += n;
        continue;
      }
      if (rc != BRTC_OK) {
        fail(ws, BRTC_WS_CLOSE_PROTOCOL, "a frame length that is not in minimal form");
        break;
      }
      off += header_len - ws->head_len; /* the rest of what was copied is payload */
      ws->head_len = header_len;
      if (!begin_frame(ws)) break;
      continue;
    }
    uint64_t left = ws->frame.length - ws->payload_done;
    size_t n = len - off < left ? len - off : (size_t)left;
    if (!take_payload(ws, data + off, n)) break;
    off += n;
  }
  if (ws->state == WS_CLOSED) off = len;
  if (off > 0) {
    ws->heard_us = now_us;
    ws->ping_sent = false;
  }
  return off;
}

bool brtc_websocket_poll_event(brtc_websocket *ws, brtc_ws_event *ev) {
  memset(ev, 0, sizeof(*ev));
  if (ws->message_event) {
    ws->message_event = false;
    ev->type = BRTC_WS_EVENT_MESSAGE;
    ev->text = ws->message_text;
    ev->data = ws->message ? ws->message : (const uint8_t *)"";
    ev->len = ws->message_len;
    return true;
  }
  if (ws->too_big_event) {
    ws->too_big_event = false;
    ev->type = BRTC_WS_EVENT_TOO_BIG;
    ev->len = ws->too_big_len;
    return true;
  }
  if (ws->closed_event) {
    ws->closed_event = false;
    ev->type = BRTC_WS_EVENT_CLOSED;
    ev->code = ws->close_code;
    ev->reason = ws->close_reason;
    return true;
  }
  return false;
}

/* ---- time ---- */

uint64_t brtc_websocket_next_deadline(const brtc_websocket *ws) {
  switch (ws->state) {
    case WS_OPEN: {
      uint64_t give_up = ws->heard_us + ws->lim.silence_limit_us;
      uint64_t ping = ws->ping_sent ? UINT64_MAX : ws->heard_us + ws->lim.ping_after_us;
      return ping < give_up ? ping : give_up;
    }
    case WS_CLOSE_SENT:
      return ws->close_sent_us + ws->lim.close_timeout_us;
    default:
      return UINT64_MAX;
  }
}

void brtc_websocket_handle_timeout(brtc_websocket *ws, uint64_t now_us) {
  ws->now = now_us;
  if (ws->state == WS_OPEN) {
    if (now_us >= ws->heard_us + ws->lim.silence_limit_us) {
      /* Gone without a word: no close frame could reach it. */
      ws->state = WS_CLOSED;
      static const char why[] = "the client stopped answering";
      report_closed(ws, BRTC_WS_CLOSE_ABNORMAL, why, sizeof(why) - 1);
    } else if (!ws->ping_sent && now_us >= ws->heard_us + ws->lim.ping_after_us) {
      (void)queue_frame(ws, BRTC_WS_OP_PING, "", 0);
      ws->ping_sent = true;
    }
  } else if (ws->state == WS_CLOSE_SENT && now_us >= ws->close_sent_us + ws->lim.close_timeout_us) {
    ws->state = WS_CLOSED;
  }
}

bool brtc_websocket_finished(const brtc_websocket *ws) {
  return ws->state == WS_CLOSED && brtc_byte_queue_len(&ws->out) == 0 && !ws->closed_event;
}
