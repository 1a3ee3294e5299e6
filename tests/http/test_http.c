/* The sans-IO HTTP/1.1 server connection, driven by bytes and a fake clock: requests parse
 * the same whatever the split, pipelined requests are answered one at a time and in order,
 * every limit gets its status and reason, and the deadlines fire. */
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "http/http.h"
#include "testing.h"

#define SEC 1000000ull

/* Everything the connection wrote, as text. */
static char out_text[1 << 17];

static const char *drain(brtc_http_conn *c) {
  size_t n = brtc_http_conn_take_output(c, (uint8_t *)out_text, sizeof(out_text) - 1);
  out_text[n] = '\0';
  return out_text;
}

/* A copy of what a request carried, to compare two parses. */
typedef struct seen {
  char method[16], target[256], path[256], query[128], headers[1024], body[1024];
  size_t body_len, n_headers;
  bool keep_alive;
} seen;

static void record(const brtc_http_request *r, seen *s) {
  memset(s, 0, sizeof(*s));
  snprintf(s->method, sizeof(s->method), "%s", r->method);
  snprintf(s->target, sizeof(s->target), "%s", r->target);
  snprintf(s->path, sizeof(s->path), "%s", r->path);
  snprintf(s->query, sizeof(s->query), "%s", r->query);
  for (size_t i = 0; i < r->n_headers; i++) {
    size_t used = strlen(s->headers);
    snprintf(s->headers + used, sizeof(s->headers) - used, "%s=%s;", r->headers[i].name,
             r->headers[i].value);
  }
  s->n_headers = r->n_headers;
  s->body_len = r->body_len < sizeof(s->body) ? r->body_len : sizeof(s->body);
  memcpy(s->body, r->body, s->body_len);
  s->keep_alive = r->keep_alive;
}

/* Feed the whole stream in the given pieces (cut at the offsets in cuts), answering each
 * request with 200 and its path as the body; record each request. Returns how many. */
static size_t run_stream(const char *stream, size_t len, const size_t *cuts, size_t n_cuts,
                         seen *out, size_t cap, char *wire, size_t wire_cap) {
  brtc_http_conn *c = brtc_http_conn_new(NULL, 0);
  size_t n_seen = 0, wire_len = 0;
  char held[8192];
  size_t held_len = 0, piece = 0, pos = 0;
  for (int guard = 0; guard < 100000; guard++) {
    /* Offer what is held, then the next piece. */
    if (held_len == 0 && pos < len) {
      size_t end = piece < n_cuts ? cuts[piece++] : len;
      if (end > len) end = len;
      if (end < pos) end = pos;
      memcpy(held, stream + pos, end - pos);
      held_len = end - pos;
      pos = end;
    }
    size_t took = brtc_http_conn_feed(c, (const uint8_t *)held, held_len, 0);
    memmove(held, held + took, held_len - took);
    held_len -= took;
    brtc_http_event ev;
    bool any = false;
    while (brtc_http_conn_poll_event(c, &ev)) {
      any = true;
      if (ev.type != BRTC_HTTP_EVENT_REQUEST) continue;
      if (n_seen < cap) record(ev.request, &out[n_seen]);
      n_seen++;
      brtc_http_response r = {.status = 200, .content_type = "text/plain",
                              .body = ev.request->path, .body_len = strlen(ev.request->path)};
      CHECK_EQ_INT(brtc_http_conn_respond(c, &r), BRTC_OK);
    }
    size_t n = brtc_http_conn_take_output(c, (uint8_t *)wire + wire_len, wire_cap - 1 - wire_len);
    wire_len += n;
    if (!any && took == 0 && n == 0) {
      if (held_len == 0 && pos < len) continue; /* the next piece */
      break;                                    /* all fed, or the core takes no more */
    }
  }
  wire[wire_len] = '\0';
  brtc_http_conn_free(c);
  return n_seen;
}

static const char *const streams[] = {
    "GET /api/status HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET /a%20b/c?x=1&y=%41 HTTP/1.1\r\nHost: example\r\nUser-Agent: t  \r\nAccept: */*\r\n\r\n",
    "POST /whip HTTP/1.1\r\nHost: x\r\nContent-Type: application/sdp\r\nContent-Length: 11\r\n"
    "\r\nv=0\r\no=- 1 2",
    "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: t\r\n\r\n",
    /* Pipelined: every shape of the issue, back to back. */
    "GET /api/status HTTP/1.1\r\nHost: x\r\n\r\n"
    "POST /whip HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"
    "POST /whip HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
    "OPTIONS /whip HTTP/1.1\r\nHost: x\r\n\r\n"
    "DELETE /whip/abc HTTP/1.1\r\nHost: x\r\n\r\n"
    "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n",
    "\r\nGET /after-crlf HTTP/1.0\r\n\r\n",
};

/* Every request, split at every byte boundary (and at every pair for the short ones), parses
 * the same as in one piece, and the bytes on the wire are the same. */
static void test_every_split(void) {
  for (size_t k = 0; k < sizeof(streams) / sizeof(streams[0]); k++) {
    const char *s = streams[k];
    size_t len = strlen(s);
    seen whole[8], split[8];
    static char wire_whole[1 << 14], wire_split[1 << 14];
    size_t n = run_stream(s, len, NULL, 0, whole, 8, wire_whole, sizeof(wire_whole));
    CHECK(n >= 1);
    for (size_t i = 1; i < len; i++) {
      size_t cuts[1] = {i};
      size_t m = run_stream(s, len, cuts, 1, split, 8, wire_split, sizeof(wire_split));
      CHECK_EQ_INT(m, n);
      for (size_t j = 0; j < m && j < 8; j++) CHECK(memcmp(&whole[j], &split[j], sizeof(seen)) == 0);
      CHECK_STR(wire_split, wire_whole);
    }
    /* One byte at a time. */
    size_t *cuts = malloc(len * sizeof(*cuts));
    for (size_t i = 0; i < len; i++) cuts[i] = i + 1;
    size_t m = run_stream(s, len, cuts, len, split, 8, wire_split, sizeof(wire_split));
    CHECK_EQ_INT(m, n);
    for (size_t j = 0; j < m && j < 8; j++) CHECK(memcmp(&whole[j], &split[j], sizeof(seen)) == 0);
    CHECK_STR(wire_split, wire_whole);
    free(cuts);
  }
}

static void test_parsed_fields(void) {
  seen s[8];
  static char wire[1 << 14];
  CHECK_EQ_INT(run_stream(streams[1], strlen(streams[1]), NULL, 0, s, 8, wire, sizeof(wire)), 1);
  CHECK_STR(s[0].method, "GET");
  CHECK_STR(s[0].path, "/a b/c");
  CHECK_STR(s[0].query, "x=1&y=%41");
  CHECK_STR(s[0].headers, "Host=example;User-Agent=t;Accept=*/*;");
  CHECK(s[0].keep_alive);
  CHECK_EQ_INT(run_stream(streams[3], strlen(streams[3]), NULL, 0, s, 8, wire, sizeof(wire)), 1);
  CHECK_EQ_INT(s[0].body_len, 11);
  CHECK_MEM(s[0].body, "hello world", 11);
  CHECK_EQ_INT(run_stream(streams[5], strlen(streams[5]), NULL, 0, s, 8, wire, sizeof(wire)), 1);
  CHECK(!s[0].keep_alive); /* HTTP/1.0 */
  CHECK(strstr(wire, "Connection: close\r\n") != NULL);
  const char *ka = "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\n\r\n";
  CHECK_EQ_INT(run_stream(ka, strlen(ka), NULL, 0, s, 8, wire, sizeof(wire)), 2);
  CHECK(s[0].keep_alive && !s[1].keep_alive);
  const char *second = strstr(wire, "HTTP/1.1 200 OK\r\n") ? strstr(wire + 1, "HTTP/1.1 200") : NULL;
  CHECK(strstr(wire, "Connection: keep-alive\r\n") != NULL && second &&
        strstr(wire, "Connection: keep-alive\r\n") < second &&
        strstr(second, "Connection: close\r\n") != NULL);
}

/* Pipelined requests: only the first is taken; the rest waits until it is answered, and the
 * answers come out in order. */
static void test_pipelining_one_at_a_time(void) {
  const char *s = streams[4];
  size_t len = strlen(s);
  brtc_http_conn *c = brtc_http_conn_new(NULL, 0);
  size_t took = brtc_http_conn_feed(c, (const uint8_t *)s, len, 0);
  size_t first = strlen("GET /api/status HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK_EQ_INT(took, first);
  CHECK_EQ_INT(brtc_http_conn_feed(c, (const uint8_t *)s + took, len - took, 0), 0);
  brtc_http_event ev;
  CHECK(brtc_http_conn_poll_event(c, &ev) && ev.type == BRTC_HTTP_EVENT_REQUEST);
  CHECK(!brtc_http_conn_poll_event(c, &ev));
  /* Still nothing taken before the answer. */
  CHECK_EQ_INT(brtc_http_conn_feed(c, (const uint8_t *)s + took, len - took, 0), 0);
  brtc_http_response r = {.status = 200, .body = "one", .body_len = 3};
  CHECK_EQ_INT(brtc_http_conn_respond(c, &r), BRTC_OK);
  CHECK_EQ_INT(brtc_http_conn_respond(c, &r), BRTC_ERR_STATE); /* one answer per request */
  size_t took2 = brtc_http_conn_feed(c, (const uint8_t *)s + took, len - took, 0);
  CHECK(took2 > 0 && took2 < len - took);
  CHECK(brtc_http_conn_poll_event(c, &ev) && ev.type == BRTC_HTTP_EVENT_REQUEST);
  CHECK_STR(ev.request->method, "POST");
  CHECK_EQ_INT(ev.request->body_len, 5);
  CHECK_STR(ev.request->body, "hello");
  r.body = "two";
  CHECK_EQ_INT(brtc_http_conn_respond(c, &r), BRTC_OK);
  const char *w = drain(c);
  const char *a = strstr(w, "\r\n\r\none"), *b = strstr(w, "\r\n\r\ntwo");
  CHECK(a && b && a < b);
  brtc_http_conn_free(c);
}

/* Feed one request stream whole and return the status of the first answer the core gave
 * itself, with its text in out_text. */
static int refusal_of(const char *req, size_t len, bool *finished) {
  brtc_http_conn *c = brtc_http_conn_new(NULL, 0);
  size_t off = 0, took;
  while (off < len && (took = brtc_http_conn_feed(c, (const uint8_t *)req + off, len - off, 0)))
    off += took;
  brtc_http_event ev;
  int status = 0;
  while (brtc_http_conn_poll_event(c, &ev))
    if (ev.type == BRTC_HTTP_EVENT_REFUSED) status = ev.status;
  drain(c);
  if (finished) *finished = brtc_http_conn_finished(c);
  brtc_http_conn_free(c);
  return status;
}

static int refusal(const char *req, bool *finished) {
  return refusal_of(req, strlen(req), finished);
}

static void test_limits(void) {
  bool fin = false;
  /* A header block over 4096 bytes: 431 and a reason (it used to close with no status). */
  char big[6000];
  int n = snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: ");
  memset(big + n, 'a', 4200);
  strcpy(big + n + 4200, "\r\n\r\n");
  CHECK_EQ_INT(refusal(big, &fin), 431);
  CHECK(strstr(out_text, "431 Request Header Fields Too Large") != NULL);
  CHECK(strstr(out_text, "request header block too large: the limit is 4096 bytes\n") != NULL);
  CHECK(strstr(out_text, "Connection: close\r\n") != NULL);
  CHECK(fin);
  /* Just under the limit is fine. */
  n = snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: ");
  memset(big + n, 'a', 4096 - (size_t)n - 4);
  strcpy(big + 4096 - 4, "\r\n\r\n");
  CHECK_EQ_INT(strlen(big), 4096);
  CHECK_EQ_INT(refusal(big, NULL), 0);
  /* %00 and other control characters in the path. */
  CHECK_EQ_INT(refusal("GET /a%00b HTTP/1.1\r\nHost: x\r\n\r\n", &fin), 400);
  CHECK(strstr(out_text, "NUL or control character in the path") != NULL);
  CHECK(fin);
  CHECK_EQ_INT(refusal("GET /a%0d%0aSet-Cookie:x HTTP/1.1\r\nHost: x\r\n\r\n", NULL), 400);
  CHECK_EQ_INT(refusal("GET /a%1 HTTP/1.1\r\nHost: x\r\n\r\n", NULL), 400);
  CHECK_EQ_INT(refusal("GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n", NULL), 400);
  /* A raw NUL never gets past http-parser. */
  CHECK_EQ_INT(refusal_of("GET /a\0b HTTP/1.1\r\nHost: x\r\n\r\n", 31, NULL), 400);
  /* Body limits. */
  CHECK_EQ_INT(refusal("POST /whip HTTP/1.1\r\nHost: x\r\nContent-Length: 70000\r\n\r\n", &fin),
               413);
  CHECK(strstr(out_text, "the limit is 65536 bytes") != NULL && fin);
  CHECK_EQ_INT(refusal("POST /whip HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999"
                       "\r\n\r\n", NULL),
               400);
  /* Smuggling: two lengths. */
  CHECK_EQ_INT(refusal("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: "
                       "chunked\r\n\r\n0\r\n\r\n", &fin),
               400);
  CHECK(strstr(out_text, "Content-Length with Transfer-Encoding") != NULL && fin);
  CHECK_EQ_INT(refusal("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n"
                       "\r\nhello",
                       NULL),
               400);
  CHECK_EQ_INT(refusal("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                       NULL),
               501);
  /* Methods, versions, targets, Host. */
  CHECK_EQ_INT(refusal("BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n", NULL), 501);
  CHECK_EQ_INT(refusal("GET / HTTP/2.0\r\nHost: x\r\n\r\n", NULL), 505);
  CHECK_EQ_INT(refusal("GET / HTTP/1.1\r\n\r\n", NULL), 400);
  CHECK_EQ_INT(refusal("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", NULL), 400);
  char target[3000] = "GET /";
  memset(target + 5, 'a', 2100);
  strcpy(target + 2105, " HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK_EQ_INT(refusal(target, NULL), 414);
  CHECK_EQ_INT(refusal("GET / HTTP/1.1\r\nHost: x\r\nExpect: tea\r\n\r\n", NULL), 417);
  CHECK_EQ_INT(refusal("garbage\r\n\r\n", NULL), 501);
  CHECK_EQ_INT(refusal("GET / HTTP/1.1\r\nHo st: x\r\n\r\n", NULL), 400);
  /* A chunked body over the limit. */
  char chunked[80000];
  n = snprintf(chunked, sizeof(chunked),
               "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n", 70000);
  memset(chunked + n, 'b', 70000);
  strcpy(chunked + n + 70000, "\r\n0\r\n\r\n");
  CHECK_EQ_INT(refusal(chunked, NULL), 413);
}

static void test_too_many_headers(void) {
  char req[4096];
  int n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: x\r\n");
  for (int i = 0; i < 70; i++) n += snprintf(req + n, sizeof(req) - (size_t)n, "A%d: 1\r\n", i);
  snprintf(req + n, sizeof(req) - (size_t)n, "\r\n");
  CHECK_EQ_INT(refusal(req, NULL), 431);
}

static void test_head_and_expect(void) {
  brtc_http_conn *c = brtc_http_conn_new(NULL, 0);
  const char *req = "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n";
  brtc_http_conn_feed(c, (const uint8_t *)req, strlen(req), 0);
  brtc_http_event ev;
  CHECK(brtc_http_conn_poll_event(c, &ev));
  brtc_http_response r = {.status = 200, .body = "12345", .body_len = 5};
  CHECK_EQ_INT(brtc_http_conn_respond(c, &r), BRTC_OK);
  const char *w = drain(c);
  CHECK(strstr(w, "Content-Length: 5\r\n") != NULL);
  CHECK(strstr(w, "12345") == NULL);
  brtc_http_conn_free(c);

  c = brtc_http_conn_new(NULL, 0);
  req = "POST /whip HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n";
  brtc_http_conn_feed(c, (const uint8_t *)req, strlen(req), 0);
  CHECK_STR(drain(c), "HTTP/1.1 100 Continue\r\n\r\n");
  CHECK(!brtc_http_conn_poll_event(c, &ev));
  CHECK_EQ_INT(brtc_http_conn_feed(c, (const uint8_t *)"abc", 3, 0), 3);
  CHECK(brtc_http_conn_poll_event(c, &ev) && ev.request->body_len == 3);
  brtc_http_conn_free(c);
}

static void test_response_bytes(void) {
  brtc_http_conn *c = brtc_http_conn_new(NULL, 0);
  const char *req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  brtc_http_conn_feed(c, (const uint8_t *)req, strlen(req), 0);
  brtc_http_event ev;
  CHECK(brtc_http_conn_poll_event(c, &ev));
  brtc_http_header h[] = {{"Location", "/whip/x"}, {"Bad", "a\r\nInjected: 1"}};
  brtc_http_response r = {.status = 201, .content_type = "application/sdp", .headers = h,
                          .n_headers = 2, .body = "v=0", .body_len = 3};
  CHECK_EQ_INT(brtc_http_conn_respond(c, &r), BRTC_ERR_INVALID); /* header injection */
  CHECK_EQ_INT(brtc_http_conn_output_len(c), 0);
  r.n_headers = 1;
  CHECK_EQ_INT(brtc_http_conn_respond(c, &r), BRTC_OK);
  CHECK_STR(drain(c), "HTTP/1.1 201 Created\r\nServer: boltrtc\r\nContent-Type: application/sdp\r\n"
                      "Content-Length: 3\r\nLocation: /whip/x\r\n\r\nv=0");
  CHECK(!brtc_http_conn_finished(c));
  brtc_http_conn_free(c);
}

static void test_streamed_body(void) {
  brtc_http_conn *c = brtc_http_conn_new(NULL, 0);
  const char *req = "GET /f HTTP/1.1\r\nHost: x\r\n\r\nGET /g HTTP/1.1\r\nHost: x\r\n\r\n";
  size_t len = strlen(req);
  size_t took = brtc_http_conn_feed(c, (const uint8_t *)req, len, 0);
  brtc_http_event ev;
  CHECK(brtc_http_conn_poll_event(c, &ev));
  brtc_http_response r = {.status = 200, .body_follows = 6};
  CHECK_EQ_INT(brtc_http_conn_respond(c, &r), BRTC_OK);
  CHECK_EQ_INT(brtc_http_conn_body_wanted(c), 6);
  /* The next request waits until the body is whole. */
  CHECK_EQ_INT(brtc_http_conn_feed(c, (const uint8_t *)req + took, len - took, 0), 0);
  CHECK_EQ_INT(brtc_http_conn_send_body(c, "abc", 3), BRTC_OK);
  CHECK_EQ_INT(brtc_http_conn_send_body(c, "defg", 4), BRTC_ERR_STATE);
  CHECK_EQ_INT(brtc_http_conn_send_body(c, "def", 3), BRTC_OK);
  CHECK_EQ_INT(brtc_http_conn_body_wanted(c), 0);
  CHECK(brtc_http_conn_feed(c, (const uint8_t *)req + took, len - took, 0) > 0);
  CHECK(brtc_http_conn_poll_event(c, &ev) && strcmp(ev.request->path, "/g") == 0);
  brtc_http_conn_free(c);
}

/* A body handed over is sent from its own buffer, and the next request waits for it. */
static void test_owned_body(void) {
  brtc_http_conn *c = brtc_http_conn_new(NULL, 0);
  const char *req = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n";
  size_t len = strlen(req);
  size_t took = brtc_http_conn_feed(c, (const uint8_t *)req, len, 0);
  brtc_http_event ev;
  CHECK(brtc_http_conn_poll_event(c, &ev));
  char *body = malloc(5000);
  memset(body, 'j', 5000);
  brtc_http_response r = {.status = 200, .body = body, .body_len = 5000};
  CHECK_EQ_INT(brtc_http_conn_respond_owned(c, &r), BRTC_OK);
  CHECK_EQ_INT(brtc_http_conn_feed(c, (const uint8_t *)req + took, len - took, 0), 0);
  uint8_t part[1000];
  size_t total = 0, n;
  while ((n = brtc_http_conn_take_output(c, part, sizeof(part))) > 0) total += n;
  CHECK_EQ_INT(total, strlen("HTTP/1.1 200 OK\r\nServer: boltrtc\r\nContent-Length: 5000\r\n\r\n") + 5000);
  CHECK(part[0] == 'j');
  CHECK(brtc_http_conn_feed(c, (const uint8_t *)req + took, len - took, 0) > 0);
  CHECK(brtc_http_conn_poll_event(c, &ev) && strcmp(ev.request->path, "/b") == 0);
  /* Never sent: freed with the connection. */
  body = malloc(10);
  memcpy(body, "0123456789", 10);
  brtc_http_response h = {.status = 200, .body = body, .body_len = 10};
  CHECK_EQ_INT(brtc_http_conn_respond_owned(c, &h), BRTC_OK);
  brtc_http_conn_free(c);
}

static void test_upgrade(void) {
  const char *req = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                    "\r\n\x81\x85";
  size_t len = strlen(req);
  /* Accepted: the frame bytes after the head are not taken. */
  brtc_http_conn *c = brtc_http_conn_new(NULL, 0);
  size_t took = brtc_http_conn_feed(c, (const uint8_t *)req, len, 0);
  CHECK_EQ_INT(took, len - 2);
  brtc_http_event ev;
  CHECK(brtc_http_conn_poll_event(c, &ev) && ev.request->upgrade);
  CHECK(brtc_http_header_has_token(brtc_http_request_header(ev.request, "connection"), "upgrade"));
  brtc_http_header h = {"Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="};
  brtc_http_response r = {.headers = &h, .n_headers = 1};
  CHECK_EQ_INT(brtc_http_conn_upgrade(c, &r), BRTC_OK);
  CHECK(brtc_http_conn_upgraded(c));
  CHECK_EQ_INT(brtc_http_conn_feed(c, (const uint8_t *)req + took, 2, 0), 0);
  CHECK(strstr(drain(c), "HTTP/1.1 101 Switching Protocols\r\n") == out_text);
  brtc_http_conn_free(c);
  /* Refused: answered, then closed. */
  c = brtc_http_conn_new(NULL, 0);
  brtc_http_conn_feed(c, (const uint8_t *)req, len, 0);
  CHECK(brtc_http_conn_poll_event(c, &ev));
  brtc_http_response no = {.status = 401, .body = "no", .body_len = 2};
  CHECK_EQ_INT(brtc_http_conn_respond(c, &no), BRTC_OK);
  CHECK(strstr(drain(c), "Connection: close") != NULL);
  CHECK(brtc_http_conn_finished(c));
  brtc_http_conn_free(c);
}

static void test_deadlines(void) {
  /* Slowloris: a head that never ends gets 408 after 10 s. */
  brtc_http_conn *c = brtc_http_conn_new(NULL, 0);
  CHECK_EQ_INT(brtc_http_conn_next_deadline(c), 10 * SEC);
  brtc_http_conn_feed(c, (const uint8_t *)"GET / HTTP/1.1\r\nHo", 18, 1 * SEC);
  CHECK_EQ_INT(brtc_http_conn_next_deadline(c), 11 * SEC);
  brtc_http_conn_feed(c, (const uint8_t *)"s", 1, 9 * SEC); /* trickling does not help */
  CHECK_EQ_INT(brtc_http_conn_next_deadline(c), 11 * SEC);
  brtc_http_conn_handle_timeout(c, 10 * SEC);
  CHECK(!brtc_http_conn_finished(c));
  brtc_http_conn_handle_timeout(c, 11 * SEC);
  brtc_http_event ev;
  CHECK(brtc_http_conn_poll_event(c, &ev) && ev.status == 408);
  CHECK(strstr(drain(c), "header block must arrive within 10 s") != NULL);
  CHECK(brtc_http_conn_finished(c));
  brtc_http_conn_free(c);

  /* A body that stalls. */
  c = brtc_http_conn_new(NULL, 0);
  const char *req = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc";
  brtc_http_conn_feed(c, (const uint8_t *)req, strlen(req), 2 * SEC);
  CHECK_EQ_INT(brtc_http_conn_next_deadline(c), 12 * SEC);
  brtc_http_conn_feed(c, (const uint8_t *)"d", 1, 5 * SEC);
  CHECK_EQ_INT(brtc_http_conn_next_deadline(c), 15 * SEC);
  brtc_http_conn_handle_timeout(c, 15 * SEC);
  CHECK(brtc_http_conn_poll_event(c, &ev) && ev.status == 408);
  brtc_http_conn_free(c);

  /* A body that trickles forever still ends at 60 s. */
  c = brtc_http_conn_new(NULL, 0);
  brtc_http_conn_feed(c, (const uint8_t *)req, strlen(req) - 3, 0);
  for (uint64_t t = 1; t < 7; t++) brtc_http_conn_feed(c, (const uint8_t *)"x", 1, t * 9 * SEC);
  CHECK_EQ_INT(brtc_http_conn_next_deadline(c), 60 * SEC);
  brtc_http_conn_free(c);

  /* Idle keep-alive: closed without a word after 30 s. */
  c = brtc_http_conn_new(NULL, 0);
  req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  brtc_http_conn_feed(c, (const uint8_t *)req, strlen(req), 1 * SEC);
  CHECK(brtc_http_conn_poll_event(c, &ev));
  CHECK_EQ_INT(brtc_http_conn_next_deadline(c), UINT64_MAX); /* the owner is answering */
  brtc_http_response r = {.status = 204};
  brtc_http_conn_respond(c, &r);
  drain(c);
  CHECK_EQ_INT(brtc_http_conn_next_deadline(c), 31 * SEC);
  brtc_http_conn_handle_timeout(c, 31 * SEC);
  CHECK(!brtc_http_conn_poll_event(c, &ev));
  CHECK(brtc_http_conn_finished(c));
  CHECK_EQ_INT(brtc_http_conn_output_len(c), 0);
  brtc_http_conn_free(c);
}

/* Answers that the client does not read stop the intake. */
static void test_output_bound(void) {
  brtc_http_limits lim;
  brtc_http_default_limits(&lim);
  lim.max_output = 1000;
  brtc_http_conn *c = brtc_http_conn_new(&lim, 0);
  const char *req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  static char body[2000];
  memset(body, 'z', sizeof(body));
  brtc_http_conn_feed(c, (const uint8_t *)req, strlen(req), 0);
  brtc_http_event ev;
  CHECK(brtc_http_conn_poll_event(c, &ev));
  brtc_http_response r = {.status = 200, .body = body, .body_len = sizeof(body)};
  brtc_http_conn_respond(c, &r);
  CHECK_EQ_INT(brtc_http_conn_feed(c, (const uint8_t *)req, strlen(req), 0), 0);
  uint8_t sink[1500];
  brtc_http_conn_take_output(c, sink, sizeof(sink));
  CHECK(brtc_http_conn_feed(c, (const uint8_t *)req, strlen(req), 0) > 0);
  brtc_http_conn_free(c);
}

static void test_query_and_tokens(void) {
  char v[64];
  CHECK(brtc_http_query_param("a=1&token=ab%2Fc+d&z", "token", v, sizeof(v)));
  CHECK_STR(v, "ab/c d");
  CHECK(!brtc_http_query_param("tokens=1", "token", v, sizeof(v)));
  CHECK(!brtc_http_query_param("token=%00", "token", v, sizeof(v)));
  CHECK(brtc_http_header_has_token("keep-alive, Upgrade", "upgrade"));
  CHECK(!brtc_http_header_has_token("upgraded", "upgrade"));
}

int main(void) {
  RUN(test_every_split);
  RUN(test_parsed_fields);
  RUN(test_pipelining_one_at_a_time);
  RUN(test_limits);
  RUN(test_too_many_headers);
  RUN(test_head_and_expect);
  RUN(test_response_bytes);
  RUN(test_streamed_body);
  RUN(test_owned_body);
  RUN(test_upgrade);
  RUN(test_deadlines);
  RUN(test_output_bound);
  RUN(test_query_and_tokens);
  return TEST_REPORT();
}
