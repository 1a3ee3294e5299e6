/* A sans-IO HTTP/1.1 server connection (RFC 9110, RFC 9112): bytes in, requests out as
 * events, one at a time; response bytes out, pulled by the owner; a deadline.
 *
 * nodejs http-parser parses the request line, the header fields and the body framing; this
 * core adds what a server facing the internet needs around it:
 *  - Pipelining (RFC 9112 9.3): exactly one request is handed out at a time. The parser is
 *    paused at the end of each request (http_parser_pause), so bytes that follow it are not
 *    taken (feed returns less than it was given) until that request's response is queued.
 *    Responses therefore go out in request order, whatever the route and however it ends.
 *  - Limits, each refused with a status and a one-line reason: head over max_head -> 431,
 *    target over max_target -> 414, a NUL or other control character in the path -> 400,
 *    a body over max_body -> 413 (connection closed), Content-Length together with
 *    Transfer-Encoding or twice -> 400 (request smuggling, RFC 9112 6.3), unknown method ->
 *    501, HTTP other than 1.x -> 505.
 *  - Deadlines: the head must arrive within head_timeout (slowloris), a body must make
 *    progress every body_timeout and be whole within request_timeout (408 and close), an idle
 *    keep-alive connection closes after idle_timeout.
 *  - Bounded memory: at most max_head bytes of head and max_body of body per request, and no
 *    input is taken while more than max_output bytes of responses wait to be pulled.
 *
 * After a refusal that closes, or a response with close set, the core takes no more input
 * and is finished once its output has been pulled. After an accepted WebSocket upgrade
 * (101), the bytes that follow belong to the new protocol: feed takes none of them. */
#ifndef BRTC_HTTP_HTTP_H
#define BRTC_HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct brtc_http_limits {
  size_t max_head;           /* request line and header fields, bytes */
  size_t max_target;         /* request target, bytes */
  size_t max_headers;        /* header fields */
  size_t max_body;           /* request body, bytes */
  size_t max_output;         /* queued response bytes above which no input is taken */
  uint64_t head_timeout_us;  /* from a request's first byte (or the connection's start) */
  uint64_t body_timeout_us;  /* between two pieces of a body */
  uint64_t request_timeout_us; /* from a request's first byte to its end */
  uint64_t idle_timeout_us;  /* keep-alive: between a response and the next request */
} brtc_http_limits;

/* 4096-byte head, 2048-byte target, 64 headers, 64 KiB body, 256 KiB output; 10 s for the
 * head, 10 s between body pieces, 60 s per request, 30 s idle. */
void brtc_http_default_limits(brtc_http_limits *out);

typedef struct brtc_http_header {
  const char *name;  /* as sent; compare without case */
  const char *value; /* leading and trailing blanks removed */
} brtc_http_header;

/* A parsed request. Every pointer stays valid until the response is queued. */
typedef struct brtc_http_request {
  const char *method; /* "GET", "POST", ... */
  const char *target; /* as sent: "/whip?x=1" */
  const char *path;   /* target's path, percent-decoded; never holds a NUL or control char */
  const char *query;  /* after '?', as sent (still encoded); "" when none */
  const brtc_http_header *headers;
  size_t n_headers;
  const char *body; /* body_len bytes and a NUL after them; "" when there is none */
  size_t body_len;
  bool keep_alive;  /* the client keeps the connection (HTTP/1.1 default, or keep-alive) */
  bool upgrade;     /* Connection: upgrade with an Upgrade header */
} brtc_http_request;

/* The first header of that name (ignoring case), or NULL. */
const char *brtc_http_request_header(const brtc_http_request *r, const char *name);
/* Whether a comma-separated header (Connection, Upgrade) lists token, ignoring case. */
bool brtc_http_header_has_token(const char *value, const char *token);
/* One query parameter's value, percent-decoded into out; false if absent or too long. */
bool brtc_http_query_param(const char *query, const char *name, char *out, size_t cap);

typedef enum brtc_http_event_type {
  BRTC_HTTP_EVENT_REQUEST = 1, /* a whole request: answer it with brtc_http_conn_respond */
  BRTC_HTTP_EVENT_REFUSED,     /* the core answered an invalid request itself (logging) */
} brtc_http_event_type;

typedef struct brtc_http_event {
  brtc_http_event_type type;
  const brtc_http_request *request; /* REQUEST */
  int status;                       /* REFUSED: the status sent */
  const char *reason;               /* REFUSED: why (static text) */
} brtc_http_event;

typedef struct brtc_http_response {
  int status;
  const char *content_type;        /* NULL: no Content-Type */
  const brtc_http_header *headers; /* more header fields; values must hold no CR or LF */
  size_t n_headers;
  const void *body; /* body_len bytes, copied */
  size_t body_len;
  /* > 0: the body is this long and comes later, through brtc_http_conn_send_body (a file
   * sent piece by piece); body_len must then be 0. */
  uint64_t body_follows;
  bool close; /* close the connection after this response */
} brtc_http_response;

typedef struct brtc_http_conn brtc_http_conn;

/* limits NULL: the defaults. now_us starts the head deadline. NULL if out of memory. */
brtc_http_conn *brtc_http_conn_new(const brtc_http_limits *limits, uint64_t now_us);
void brtc_http_conn_free(brtc_http_conn *c);

/* Offer received bytes. Returns how many were taken; the caller keeps the rest and offers
 * them again after the next response is queued or output is pulled. Never fails: invalid
 * input is answered (a REFUSED event) and ends the connection. */
size_t brtc_http_conn_feed(brtc_http_conn *c, const uint8_t *data, size_t len, uint64_t now_us);
/* The next event, or false. A REQUEST event comes once; the core takes no input until it is
 * answered. */
bool brtc_http_conn_poll_event(brtc_http_conn *c, brtc_http_event *ev);

/* Answer the request handed out. BRTC_ERR_STATE if there is none or one is still being
 * answered; BRTC_ERR_INVALID for a bad header; BRTC_ERR_NOMEM. For HEAD the body is left out
 * (its length still announced). */
int brtc_http_conn_respond(brtc_http_conn *c, const brtc_http_response *r);
/* The same, but r->body is a malloc'd buffer that the core takes over (it frees it, also on
 * failure) and sends from where it is, with no copy: for large bodies built in memory. */
int brtc_http_conn_respond_owned(brtc_http_conn *c, const brtc_http_response *r);
/* Bytes still owed for a body_follows response (0 when none). */
uint64_t brtc_http_conn_body_wanted(const brtc_http_conn *c);
/* Send part of a body_follows body; at most body_wanted bytes. */
int brtc_http_conn_send_body(brtc_http_conn *c, const void *data, size_t len);
/* Accept a WebSocket upgrade of the request handed out: r is the 101 response (its status is
 * forced to 101, and Connection/Upgrade are added). From now on feed takes nothing. */
int brtc_http_conn_upgrade(brtc_http_conn *c, const brtc_http_response *r);

/* Response bytes waiting to be sent. */
size_t brtc_http_conn_output_len(const brtc_http_conn *c);
/* Copy up to cap of them to buf and drop them from the queue; returns how many. */
size_t brtc_http_conn_take_output(brtc_http_conn *c, uint8_t *buf, size_t cap);

/* When brtc_http_conn_handle_timeout is next due; UINT64_MAX for none. */
uint64_t brtc_http_conn_next_deadline(const brtc_http_conn *c);
void brtc_http_conn_handle_timeout(brtc_http_conn *c, uint64_t now_us);

/* No more output will come and the connection should close once what was taken is sent
 * (a refusal, close requested, a timeout). */
bool brtc_http_conn_finished(const brtc_http_conn *c);
/* A 101 was queued: once its bytes are sent, the connection speaks the new protocol. */
bool brtc_http_conn_upgraded(const brtc_http_conn *c);

/* The standard reason phrase of a status ("Not Found"), "Unknown" for others. */
const char *brtc_http_reason_phrase(int status);

#endif
