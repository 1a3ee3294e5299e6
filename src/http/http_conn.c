/* The HTTP/1.1 server connection's state machine (see http.h). http-parser reads the bytes;
 * its callbacks copy the target, the header fields and the body into this connection's
 * bounded storage, and on_message_complete pauses it, so a request is handed out whole and
 * alone, and whatever was pipelined behind it waits with the caller.
 *
 *   READING --request complete--> READY --poll_event--> HANDED --respond--> READING
 *      |                                                   |--respond(body_follows)-> SENDING_BODY
 *      |--invalid, too big, too slow--> CLOSING (a refusal queued)   |--upgrade--> UPGRADED
 */
#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "boltrtc/error.h"
#include "http/http_internal.h"

typedef enum conn_state {
  ST_READING,      /* parsing a request (or waiting for one) */
  ST_READY,        /* a whole request is parsed, its event not yet taken */
  ST_HANDED,       /* the owner has the request and owes a response */
  ST_SENDING_BODY, /* the response head is queued; its body comes in pieces */
  ST_CLOSING,      /* no more input: what is queued is the last output */
  ST_UPGRADED,     /* 101 queued: the bytes that follow are another protocol's */
} conn_state;

/* Where a piece of the request was last written, to end it with a NUL when the next begins. */
typedef enum piece { PIECE_NONE, PIECE_TARGET, PIECE_NAME, PIECE_VALUE } piece;

typedef struct header_offsets {
  size_t name, value;
} header_offsets;

struct brtc_http_conn {
  brtc_http_limits lim;
  http_parser parser;
  conn_state state;
  uint64_t now;

  /* The request being read. */
  bool started;       /* a byte of it has arrived */
  bool headers_done;
  size_t head_bytes;  /* of the head taken so far */
  uint64_t started_us, progress_us;
  uint64_t idle_deadline; /* while no request has started */
  char *store;        /* target, then each header name and value, NUL-terminated */
  size_t store_len, store_cap;
  piece last_piece;
  header_offsets *offsets;
  brtc_http_header *headers;
  size_t n_headers;
  char *path;          /* the decoded path, max_target + 1 */
  char *body;
  size_t body_len, body_cap;
  bool expect_continue;
  int fail_status;     /* set by a callback that refused the request */
  const char *fail_reason;
  char reason_buf[96];
  brtc_http_request request;

  /* The response being sent. */
  uint8_t *owned_body; /* a body taken over (respond_owned), sent after out's bytes */
  size_t owned_len, owned_off;
  bool head_only;
  bool close_after;
  uint64_t body_left;
  brtc_http_out out;

  /* Events not yet polled. */
  bool request_event;
  bool refused_event;
  int refused_status;
  const char *refused_reason;
};

void brtc_http_default_limits(brtc_http_limits *out) {
  out->max_head = 4096;
  out->max_target = 2048;
  out->max_headers = 64;
  out->max_body = 64 * 1024;
  out->max_output = 256 * 1024;
  out->head_timeout_us = 10000000u;
  out->body_timeout_us = 10000000u;
  out->request_timeout_us = 60000000u;
  out->idle_timeout_us = 30000000u;
}

/* ---- refusing ---- */

/* Answer with status and reason, and take no more input (RFC 9112 9.6: after a malformed
 * request the framing of what follows cannot be trusted). */
static void refuse(brtc_http_conn *c, int status, const char *reason) {
  bool head_only = c->headers_done && c->parser.method == HTTP_HEAD;
  if (brtc_http_write_refusal(&c->out, status, reason, head_only) != BRTC_OK) {
    /* Out of memory: no reply fits, so only closing is left. */
  }
  c->state = ST_CLOSING;
  c->refused_event = true;
  c->refused_status = status;
  c->refused_reason = reason;
}

/* From inside a parser callback: remember why, and stop the parser (non-zero return). */
static int fail(brtc_http_conn *c, int status, const char *reason) {
  if (!c->fail_status) {
    c->fail_status = status;
    c->fail_reason = reason;
  }
  return -1;
}

/* ---- storing the request's pieces ---- */

static int store(brtc_http_conn *c, piece p, const char *at, size_t n) {
  if (c->last_piece != p) {
    if (c->last_piece != PIECE_NONE) c->store[c->store_len++] = '\0';
    c->last_piece = p;
    if (p == PIECE_NAME) {
      if (c->n_headers == c->lim.max_headers)
        return fail(c, 431, "too many header fields");
      c->offsets[c->n_headers].name = c->store_len;
      c->offsets[c->n_headers].value = SIZE_MAX;
      c->n_headers++;
    } else if (p == PIECE_VALUE) {
      c->offsets[c->n_headers - 1].value = c->store_len;
    }
  }
  /* The head is at most max_head bytes, so this fits but for the NULs; still, check. */
  if (c->store_len + n + 1 > c->store_cap) return fail(c, 431, "request header block too large");
  memcpy(c->store + c->store_len, at, n);
  c->store_len += n;
  return 0;
}

static int on_message_begin(http_parser *p) {
  brtc_http_conn *c = p->data;
  c->store_len = 0;
  c->last_piece = PIECE_NONE;
  c->n_headers = 0;
  c->body_len = 0;
  c->expect_continue = false;
  return 0;
}

static int on_url(http_parser *p, const char *at, size_t n) {
  brtc_http_conn *c = p->data;
  if (c->store_len + n > c->lim.max_target) return fail(c, 414, "request target too long");
  return store(c, PIECE_TARGET, at, n);
}

static int on_header_field(http_parser *p, const char *at, size_t n) {
  return store(p->data, PIECE_NAME, at, n);
}

static int on_header_value(http_parser *p, const char *at, size_t n) {
  return store(p->data, PIECE_VALUE, at, n);
}

/* Point the request at the stored pieces, trimming blanks that end a value (RFC 9110 5.5). */
static void finish_pieces(brtc_http_conn *c) {
  if (c->last_piece != PIECE_NONE) c->store[c->store_len++] = '\0';
  c->last_piece = PIECE_NONE;
  for (size_t i = 0; i < c->n_headers; i++) {
    c->headers[i].name = c->store + c->offsets[i].name;
    if (c->offsets[i].value == SIZE_MAX) {
      c->headers[i].value = "";
      continue;
    }
    char *v = c->store + c->offsets[i].value;
    size_t len = strlen(v);
    while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t')) v[--len] = '\0';
    c->headers[i].value = v;
  }
}

static size_t count_headers(const brtc_http_conn *c, const char *name) {
  size_t n = 0;
  for (size_t i = 0; i < c->n_headers; i++)
    if (strcasecmp(c->headers[i].name, name) == 0) n++;
  return n;
}

/* The head is whole: check it as a whole before any of the body is read. */
static int on_headers_complete(http_parser *p) {
  brtc_http_conn *c = p->data;
  c->headers_done = true;
  c->progress_us = c->now;
  finish_pieces(c);
  brtc_http_request *r = &c->request;
  memset(r, 0, sizeof(*r));
  r->method = http_method_str((enum http_method)p->method);
  r->target = c->store_len ? c->store : "";
  r->headers = c->headers;
  r->n_headers = c->n_headers;
  if (p->http_major != 1) return fail(c, 505, "only HTTP/1.0 and HTTP/1.1 are served");
  const char *why = NULL;
  int status = brtc_http_split_target(r->target, c->path, c->lim.max_target + 1, &r->query, &why);
  if (status) return fail(c, status, why);
  r->path = c->path;
  /* RFC 9112 3.2: exactly one Host in HTTP/1.1. */
  size_t hosts = count_headers(c, "host");
  if (hosts > 1 || (hosts == 0 && p->http_minor >= 1))
    return fail(c, 400, "a request needs exactly one Host header field (RFC 9112 3.2)");
  const char *te = brtc_http_request_header(r, "transfer-encoding");
  if (te && strcasecmp(te, "chunked") != 0)
    return fail(c, 501, "Transfer-Encoding other than chunked is not supported");
  if ((p->flags & F_CONTENTLENGTH) && p->content_length > c->lim.max_body) {
    snprintf(c->reason_buf, sizeof(c->reason_buf),
             "request body too big: the limit is %zu bytes", c->lim.max_body);
    return fail(c, 413, c->reason_buf);
  }
  const char *expect = brtc_http_request_header(r, "expect");
  if (expect) {
    /* RFC 9110 10.1.1: 100-continue is the only expectation defined. */
    if (strcasecmp(expect, "100-continue") != 0)
      return fail(c, 417, "the only expectation understood is 100-continue");
    c->expect_continue = p->http_minor >= 1;
  }
  r->keep_alive = http_should_keep_alive(p) != 0;
  r->upgrade = p->upgrade != 0;
  bool has_body = (p->flags & F_CHUNKED) || ((p->flags & F_CONTENTLENGTH) && p->content_length);
  if (c->expect_continue && has_body &&
      brtc_byte_queue_append(&c->out, "HTTP/1.1 100 Continue\r\n\r\n", 25) != BRTC_OK)
    return fail(c, 500, "out of memory");
  if (has_body && (p->flags & F_CONTENTLENGTH)) {
    c->body_cap = (size_t)p->content_length + 1;
    free(c->body);
    c->body = malloc(c->body_cap);
    if (!c->body) return fail(c, 500, "out of memory");
  }
  return 0;
}

static int on_body(http_parser *p, const char *at, size_t n) {
  brtc_http_conn *c = p->data;
  c->progress_us = c->now;
  if (c->body_len + n > c->lim.max_body) {
    snprintf(c->reason_buf, sizeof(c->reason_buf),
             "request body too big: the limit is %zu bytes", c->lim.max_body);
    return fail(c, 413, c->reason_buf);
  }
  if (c->body_len + n + 1 > c->body_cap) { /* chunked: the length was not known */
    size_t cap = c->body_cap ? c->body_cap : 4096;
    while (cap < c->body_len + n + 1) cap *= 2;
    if (cap > c->lim.max_body + 1) cap = c->lim.max_body + 1;
    char *grown = realloc(c->body, cap);
    if (!grown) return fail(c, 500, "out of memory");
    c->body = grown;
    c->body_cap = cap;
  }
  memcpy(c->body + c->body_len, at, n);
  c->body_len += n;
  return 0;
}

/* One whole request: hand it out, and pause so nothing behind it is parsed yet. */
static int on_message_complete(http_parser *p) {
  brtc_http_conn *c = p->data;
  brtc_http_request *r = &c->request;
  if (c->body) c->body[c->body_len] = '\0';
  r->body = c->body ? c->body : "";
  r->body_len = c->body_len;
  c->state = ST_READY;
  c->request_event = true;
  http_parser_pause(p, 1);
  return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* ---- life ---- */

/* Back to waiting for the next request. */
static void reset_request(brtc_http_conn *c, uint64_t idle_for) {
  c->started = false;
  c->headers_done = false;
  c->head_bytes = 0;
  c->fail_status = 0;
  c->fail_reason = NULL;
  c->idle_deadline = c->now + idle_for;
  free(c->body);
  c->body = NULL;
  c->body_len = c->body_cap = 0;
  memset(&c->request, 0, sizeof(c->request));
}

brtc_http_conn *brtc_http_conn_new(const brtc_http_limits *limits, uint64_t now_us) {
  brtc_http_conn *c = calloc(1, sizeof(*c));
  if (!c) return NULL;
  if (limits)
    c->lim = *limits;
  else
    brtc_http_default_limits(&c->lim);
  if (c->lim.max_headers == 0) c->lim.max_headers = 1;
  /* Stored pieces come from the head, plus a NUL each. */
  c->store_cap = c->lim.max_head + 2 * c->lim.max_headers + 2;
  c->store = malloc(c->store_cap);
  c->offsets = calloc(c->lim.max_headers, sizeof(*c->offsets));
  c->headers = calloc(c->lim.max_headers, sizeof(*c->headers));
  c->path = malloc(c->lim.max_target + 1);
  if (!c->store || !c->offsets || !c->headers || !c->path) {
    brtc_http_conn_free(c);
    return NULL;
  }
  http_parser_init(&c->parser, HTTP_REQUEST);
  c->parser.data = c;
  c->now = now_us;
  c->state = ST_READING;
  /* A new connection gets the head timeout for its first request, not the idle one. */
  reset_request(c, c->lim.head_timeout_us);
  return c;
}

void brtc_http_conn_free(brtc_http_conn *c) {
  if (!c) return;
  free(c->store);
  free(c->offsets);
  free(c->headers);
  free(c->path);
  free(c->body);
  brtc_byte_queue_free(&c->out);
  free(c->owned_body);
  free(c);
}

/* What went wrong in the parser, as a status and a reason. */
static void refuse_parse_error(brtc_http_conn *c, enum http_errno e) {
  if (c->fail_status) {
    refuse(c, c->fail_status, c->fail_reason);
    return;
  }
  switch (e) {
    case HPE_INVALID_METHOD:
      refuse(c, 501, "unknown method");
      break;
    case HPE_HEADER_OVERFLOW:
      refuse(c, 431, "request header block too large");
      break;
    case HPE_UNEXPECTED_CONTENT_LENGTH:
      /* Two lengths that could disagree are how requests are smuggled past a proxy. */
      refuse(c, 400,
             "conflicting message length: Content-Length with Transfer-Encoding, or twice "
             "(RFC 9112 6.3)");
      break;
    case HPE_INVALID_CONTENT_LENGTH:
      refuse(c, 400, "bad Content-Length");
      break;
    case HPE_INVALID_TRANSFER_ENCODING:
      refuse(c, 400, "Transfer-Encoding must end in chunked (RFC 9112 6.3)");
      break;
    case HPE_INVALID_CHUNK_SIZE:
      refuse(c, 400, "bad chunk size");
      break;
    case HPE_INVALID_VERSION:
      refuse(c, 505, "only HTTP/1.0 and HTTP/1.1 are served");
      break;
    case HPE_INVALID_URL:
      refuse(c, 400, "bad request target");
      break;
    case HPE_INVALID_HEADER_TOKEN:
      refuse(c, 400, "bad header field: invalid character");
      break;
    default:
      refuse(c, 400, "malformed request");
      break;
  }
}

size_t brtc_http_conn_feed(brtc_http_conn *c, const uint8_t *data, size_t len, uint64_t now_us) {
  c->now = now_us;
  if (c->state != ST_READING || len == 0) return 0;
  /* Responses the client does not read must not pile up: wait until they are pulled. */
  if (brtc_byte_queue_len(&c->out) > c->lim.max_output) return 0;
  if (!c->started) {
    c->started = true;
    c->started_us = now_us;
  }
  size_t offer = len;
  if (!c->headers_done) {
    /* Never parse more head than the limit allows, whatever http-parser's own limit. */
    size_t room = c->lim.max_head - c->head_bytes;
    if (offer > room) offer = room;
  }
  size_t n = http_parser_execute(&c->parser, &settings, (const char *)data, offer);
  enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
  if (e != HPE_OK && e != HPE_PAUSED) {
    refuse_parse_error(c, e);
    return n;
  }
  if (!c->headers_done) {
    c->head_bytes += n;
    if (c->head_bytes >= c->lim.max_head) {
      snprintf(c->reason_buf, sizeof(c->reason_buf),
               "request header block too large: the limit is %zu bytes", c->lim.max_head);
      refuse(c, 431, c->reason_buf);
    }
  }
  return n;
}

bool brtc_http_conn_poll_event(brtc_http_conn *c, brtc_http_event *ev) {
  memset(ev, 0, sizeof(*ev));
  if (c->refused_event) {
    c->refused_event = false;
    ev->type = BRTC_HTTP_EVENT_REFUSED;
    ev->status = c->refused_status;
    ev->reason = c->refused_reason;
    return true;
  }
  if (c->request_event && c->state == ST_READY) {
    c->request_event = false;
    c->state = ST_HANDED;
    ev->type = BRTC_HTTP_EVENT_REQUEST;
    ev->request = &c->request;
    return true;
  }
  return false;
}

/* The response is whole: go on with the next request, or stop. */
static void response_done(brtc_http_conn *c) {
  if (c->close_after) {
    c->state = ST_CLOSING;
    return;
  }
  c->state = ST_READING;
  reset_request(c, c->lim.idle_timeout_us);
  http_parser_pause(&c->parser, 0);
}

int brtc_http_conn_respond(brtc_http_conn *c, const brtc_http_response *r) {
  if (c->state != ST_HANDED) return BRTC_ERR_STATE;
  if (r->body_follows && r->body_len) return BRTC_ERR_INVALID;
  /* An upgrade left unanswered, or a CONNECT: the client may already be speaking
   * something else, so this connection ends with the answer. */
  bool close = r->close || !c->request.keep_alive || c->parser.upgrade;
  uint64_t length = r->body_follows ? r->body_follows : r->body_len;
  size_t mark = brtc_byte_queue_len(&c->out);
  brtc_http_connection connection = close                        ? BRTC_HTTP_CONN_CLOSE
                                    : c->parser.http_minor == 0 ? BRTC_HTTP_CONN_KEEP_ALIVE
                                                                : BRTC_HTTP_CONN_DEFAULT;
  int rc = brtc_http_write_head(&c->out, 0, r, length, connection);
  c->head_only = c->parser.method == HTTP_HEAD;
  if (rc == BRTC_OK && !c->head_only) rc = brtc_byte_queue_append(&c->out, r->body, r->body_len);
  if (rc != BRTC_OK) {
    brtc_byte_queue_truncate(&c->out, mark); /* nothing half-written */
    return rc;
  }
  c->close_after = close;
  c->body_left = c->head_only ? 0 : r->body_follows;
  if (c->body_left) {
    c->state = ST_SENDING_BODY;
    return BRTC_OK;
  }
  response_done(c);
  return BRTC_OK;
}

int brtc_http_conn_respond_owned(brtc_http_conn *c, const brtc_http_response *r) {
  if (c->state != ST_HANDED || r->body_follows || c->owned_body) {
    free((void *)r->body);
    return BRTC_ERR_STATE;
  }
  /* Head first, then the body from its own buffer once the head has been taken: nothing
   * else is queued meanwhile, since no more input is read until the response is done. */
  brtc_http_response head = *r;
  head.body = NULL;
  head.body_len = 0;
  head.body_follows = r->body_len;
  int rc = brtc_http_conn_respond(c, &head);
  if (rc != BRTC_OK || c->state != ST_SENDING_BODY) { /* an error, HEAD, or an empty body */
    free((void *)r->body);
    return rc;
  }
  c->owned_body = (uint8_t *)r->body;
  c->owned_len = r->body_len;
  c->owned_off = 0;
  return BRTC_OK;
}

uint64_t brtc_http_conn_body_wanted(const brtc_http_conn *c) {
  if (c->owned_body) return 0; /* the core has it */
  return c->state == ST_SENDING_BODY ? c->body_left : 0;
}

int brtc_http_conn_send_body(brtc_http_conn *c, const void *data, size_t len) {
  if (c->state != ST_SENDING_BODY || c->owned_body || len > c->body_left) return BRTC_ERR_STATE;
  int rc = brtc_byte_queue_append(&c->out, data, len);
  if (rc != BRTC_OK) return rc;
  c->body_left -= len;
  if (c->body_left == 0) response_done(c);
  return BRTC_OK;
}

int brtc_http_conn_upgrade(brtc_http_conn *c, const brtc_http_response *r) {
  if (c->state != ST_HANDED || !c->request.upgrade) return BRTC_ERR_STATE;
  brtc_http_header hs[8];
  if (r->n_headers > 6) return BRTC_ERR_INVALID;
  hs[0] = (brtc_http_header){"Connection", "Upgrade"};
  hs[1] = (brtc_http_header){"Upgrade", "websocket"};
  for (size_t i = 0; i < r->n_headers; i++) hs[2 + i] = r->headers[i];
  brtc_http_response up = {.status = 101, .headers = hs, .n_headers = 2 + r->n_headers};
  int rc = brtc_http_write_head(&c->out, 101, &up, 0, BRTC_HTTP_CONN_DEFAULT);
  if (rc != BRTC_OK) return rc;
  c->state = ST_UPGRADED;
  return BRTC_OK;
}

size_t brtc_http_conn_output_len(const brtc_http_conn *c) {
  return brtc_byte_queue_len(&c->out) + (c->owned_len - c->owned_off);
}

size_t brtc_http_conn_take_output(brtc_http_conn *c, uint8_t *buf, size_t cap) {
  size_t n = brtc_byte_queue_take(&c->out, buf, cap);
  if (c->owned_body && n < cap) {
    size_t more = c->owned_len - c->owned_off;
    if (more > cap - n) more = cap - n;
    memcpy(buf + n, c->owned_body + c->owned_off, more);
    c->owned_off += more;
    n += more;
    c->body_left -= more;
    if (c->owned_off == c->owned_len) {
      free(c->owned_body);
      c->owned_body = NULL;
      c->owned_len = c->owned_off = 0;
      response_done(c);
    }
  }
  return n;
}

uint64_t brtc_http_conn_next_deadline(const brtc_http_conn *c) {
  if (c->state != ST_READING) return UINT64_MAX;
  if (!c->started) return c->idle_deadline;
  if (!c->headers_done) return c->started_us + c->lim.head_timeout_us;
  uint64_t stall = c->progress_us + c->lim.body_timeout_us;
  uint64_t whole = c->started_us + c->lim.request_timeout_us;
  return stall < whole ? stall : whole;
}

void brtc_http_conn_handle_timeout(brtc_http_conn *c, uint64_t now_us) {
  c->now = now_us;
  uint64_t due = brtc_http_conn_next_deadline(c);
  if (due > now_us) return;
  if (!c->started) {
    /* Idle keep-alive, or a connection that never sent a byte: close without a word
     * (RFC 9112 9.8). */
    c->state = ST_CLOSING;
    return;
  }
  if (!c->headers_done) {
    snprintf(c->reason_buf, sizeof(c->reason_buf),
             "request timeout: the header block must arrive within %llu s",
             (unsigned long long)(c->lim.head_timeout_us / 1000000u));
  } else {
    snprintf(c->reason_buf, sizeof(c->reason_buf),
             "request timeout: the body stalled or took too long");
  }
  refuse(c, 408, c->reason_buf);
}

bool brtc_http_conn_finished(const brtc_http_conn *c) {
  return c->state == ST_CLOSING && brtc_byte_queue_len(&c->out) == 0 && !c->refused_event;
}

bool brtc_http_conn_upgraded(const brtc_http_conn *c) { return c->state == ST_UPGRADED; }
