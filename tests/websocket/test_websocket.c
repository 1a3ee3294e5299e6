/* The WebSocket core against RFC 6455's own examples (section 1.3's handshake key, section
 * 5.7's frames), and its rules: masking, fragmentation, control frames, the close
 * handshake, UTF-8, size limits and the keep-alive ping, on a fake clock. */
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "websocket/websocket.h"
#include "testing.h"

#define SEC 1000000ull

static uint8_t out[1 << 17];
static size_t out_len;

static void drain(brtc_websocket *ws) { out_len = brtc_websocket_take_output(ws, out, sizeof(out)); }

/* A client frame: masked with the key of section 5.7's example. */
static size_t client_frame(uint8_t *buf, bool fin, uint8_t opcode, const void *payload, size_t len) {
  brtc_ws_frame_header h = {.fin = fin, .opcode = opcode, .masked = true,
                            .mask = {0x37, 0xfa, 0x21, 0x3d}, .length = len};
  size_t n = brtc_ws_frame_write_header(buf, &h);
  memcpy(buf + n, payload, len);
  brtc_ws_mask(buf + n, len, h.mask, 0);
  return n + len;
}

static void test_handshake_key(void) {
  /* Section 1.3. */
  char accept[BRTC_WS_ACCEPT_LEN + 1];
  CHECK_EQ_INT(brtc_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", accept), BRTC_OK);
  CHECK_STR(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  CHECK_EQ_INT(brtc_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ", accept), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ=!", accept), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_ws_accept_key("", accept), BRTC_ERR_PARSE);

  brtc_http_header hs[] = {{"Host", "x"}, {"Upgrade", "WebSocket"},
                           {"Connection", "keep-alive, Upgrade"},
                           {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                           {"Sec-WebSocket-Version", "13"}};
  brtc_http_request r = {.method = "GET", .path = "/ws", .headers = hs, .n_headers = 5};
  const char *why = NULL;
  CHECK_EQ_INT(brtc_ws_check_handshake(&r, accept, &why), 0);
  CHECK_STR(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  hs[4].value = "8";
  CHECK_EQ_INT(brtc_ws_check_handshake(&r, accept, &why), 426);
  hs[4].value = "13";
  hs[2].value = "keep-alive";
  CHECK_EQ_INT(brtc_ws_check_handshake(&r, accept, &why), 400);
  hs[2].value = "Upgrade";
  r.method = "POST";
  CHECK_EQ_INT(brtc_ws_check_handshake(&r, accept, &why), 400);
}

/* Section 5.7's frames, parsed and written. */
static void test_rfc_frames(void) {
  brtc_ws_frame_header h;
  size_t hl;
  /* A single-frame unmasked text message, as the server writes it. */
  const uint8_t hello_unmasked[] = {0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
  brtc_websocket *ws = brtc_websocket_new(NULL, 0);
  CHECK_EQ_INT(brtc_websocket_send(ws, true, "Hello", 5), BRTC_OK);
  drain(ws);
  CHECK_EQ_INT(out_len, sizeof(hello_unmasked));
  CHECK_MEM(out, hello_unmasked, sizeof(hello_unmasked));
  brtc_websocket_free(ws);

  /* A single-frame masked text message, as a client sends it. */
  const uint8_t hello_masked[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
  CHECK_EQ_INT(brtc_ws_frame_parse_header(hello_masked, sizeof(hello_masked), &h, &hl), BRTC_OK);
  CHECK(h.fin && h.masked && h.opcode == BRTC_WS_OP_TEXT && h.length == 5 && hl == 6);
  ws = brtc_websocket_new(NULL, 0);
  CHECK_EQ_INT(brtc_websocket_feed(ws, hello_masked, sizeof(hello_masked), 0), sizeof(hello_masked));
  brtc_ws_event ev;
  CHECK(brtc_websocket_poll_event(ws, &ev));
  CHECK(ev.type == BRTC_WS_EVENT_MESSAGE && ev.text && ev.len == 5);
  CHECK_MEM(ev.data, "Hello", 5);
  brtc_websocket_free(ws);

  /* A fragmented unmasked text message: the frame parser reads it; a server refuses it
   * because it is not masked. */
  const uint8_t frag1[] = {0x01, 0x03, 0x48, 0x65, 0x6c}, frag2[] = {0x80, 0x02, 0x6c, 0x6f};
  CHECK_EQ_INT(brtc_ws_frame_parse_header(frag1, sizeof(frag1), &h, &hl), BRTC_OK);
  CHECK(!h.fin && h.opcode == BRTC_WS_OP_TEXT && h.length == 3 && !h.masked);
  CHECK_EQ_INT(brtc_ws_frame_parse_header(frag2, sizeof(frag2), &h, &hl), BRTC_OK);
  CHECK(h.fin && h.opcode == BRTC_WS_OP_CONTINUATION && h.length == 2);
  ws = brtc_websocket_new(NULL, 0);
  brtc_websocket_feed(ws, frag1, sizeof(frag1), 0);
  CHECK(brtc_websocket_poll_event(ws, &ev) && ev.type == BRTC_WS_EVENT_CLOSED &&
        ev.code == BRTC_WS_CLOSE_PROTOCOL);
  drain(ws);
  CHECK(out_len >= 4 && out[0] == 0x88 && out[2] == 0x03 && out[3] == 0xea); /* close 1002 */
  CHECK(brtc_websocket_finished(ws));
  brtc_websocket_free(ws);

  /* Unmasked ping and masked pong (section 5.7). */
  const uint8_t ping[] = {0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
  const uint8_t pong[] = {0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
  CHECK_EQ_INT(brtc_ws_frame_parse_header(ping, sizeof(ping), &h, &hl), BRTC_OK);
  CHECK(h.opcode == BRTC_WS_OP_PING && h.length == 5);
  CHECK_EQ_INT(brtc_ws_frame_parse_header(pong, sizeof(pong), &h, &hl), BRTC_OK);
  CHECK(h.opcode == BRTC_WS_OP_PONG && h.masked && h.length == 5);

  /* 256 bytes and 64 KiB binary messages in a single unmasked frame: the length forms. */
  const uint8_t len256[] = {0x82, 0x7e, 0x01, 0x00};
  const uint8_t len64k[] = {0x82, 0x7f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00};
  CHECK_EQ_INT(brtc_ws_frame_parse_header(len256, sizeof(len256), &h, &hl), BRTC_OK);
  CHECK(h.length == 256 && hl == 4);
  CHECK_EQ_INT(brtc_ws_frame_parse_header(len64k, sizeof(len64k), &h, &hl), BRTC_OK);
  CHECK(h.length == 65536 && hl == 10);
  uint8_t written[BRTC_WS_MAX_HEADER];
  brtc_ws_frame_header w = {.fin = true, .opcode = BRTC_WS_OP_BINARY, .length = 256};
  CHECK_EQ_INT(brtc_ws_frame_write_header(written, &w), 4);
  CHECK_MEM(written, len256, 4);
  w.length = 65536;
  CHECK_EQ_INT(brtc_ws_frame_write_header(written, &w), 10);
  CHECK_MEM(written, len64k, 10);
  /* Partial headers ask for more; lengths not in minimal form are refused. */
  CHECK_EQ_INT(brtc_ws_frame_parse_header(len64k, 5, &h, &hl), BRTC_ERR_AGAIN);
  CHECK_EQ_INT(brtc_ws_frame_parse_header(hello_masked, 4, &h, &hl), BRTC_ERR_AGAIN);
  const uint8_t not_minimal[] = {0x82, 0x7e, 0x00, 0x05};
  CHECK_EQ_INT(brtc_ws_frame_parse_header(not_minimal, 4, &h, &hl), BRTC_ERR_PARSE);
  const uint8_t top_bit[] = {0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0};
  CHECK_EQ_INT(brtc_ws_frame_parse_header(top_bit, 10, &h, &hl), BRTC_ERR_PARSE);
}

/* A fragmented masked message with a ping between its fragments (5.4: control frames may
 * come in the middle), fed byte by byte. */
static void test_fragments_and_ping(void) {
  uint8_t stream[256];
  size_t n = client_frame(stream, false, BRTC_WS_OP_TEXT, "Hel", 3);
  n += client_frame(stream + n, true, BRTC_WS_OP_PING, "p!", 2);
  n += client_frame(stream + n, false, BRTC_WS_OP_CONTINUATION, "l", 1);
  n += client_frame(stream + n, true, BRTC_WS_OP_CONTINUATION, "o", 1);
  brtc_websocket *ws = brtc_websocket_new(NULL, 0);
  brtc_ws_event ev;
  bool got = false;
  for (size_t i = 0; i < n; i++) {
    CHECK_EQ_INT(brtc_websocket_feed(ws, stream + i, 1, 0), 1);
    while (brtc_websocket_poll_event(ws, &ev)) {
      CHECK(ev.type == BRTC_WS_EVENT_MESSAGE && ev.len == 5 && memcmp(ev.data, "Hello", 5) == 0);
      got = true;
    }
  }
  CHECK(got);
  drain(ws);
  const uint8_t pong[] = {0x8a, 0x02, 'p', '!'};
  CHECK_EQ_INT(out_len, 4);
  CHECK_MEM(out, pong, 4);
  brtc_websocket_free(ws);
}

/* A message is always followed by a NUL, an empty one after a longer one too (the fuzzer
 * found the old bytes left there). */
static void test_empty_after_long(void) {
  uint8_t stream[64];
  size_t a = client_frame(stream, true, BRTC_WS_OP_TEXT, "abc", 3);
  size_t b = client_frame(stream + a, true, BRTC_WS_OP_TEXT, "", 0);
  brtc_websocket *ws = brtc_websocket_new(NULL, 0);
  brtc_ws_event ev;
  CHECK_EQ_INT(brtc_websocket_feed(ws, stream, a, 0), a);
  CHECK(brtc_websocket_poll_event(ws, &ev) && ev.len == 3);
  CHECK_EQ_INT(brtc_websocket_feed(ws, stream + a, b, 0), b);
  CHECK(brtc_websocket_poll_event(ws, &ev) && ev.len == 0 && ev.data[0] == '\0');
  brtc_websocket_free(ws);
}

/* Two messages in one write: the second waits until the first is polled. */
static void test_one_message_at_a_time(void) {
  uint8_t stream[64];
  size_t a = client_frame(stream, true, BRTC_WS_OP_TEXT, "one", 3);
  size_t b = client_frame(stream + a, true, BRTC_WS_OP_BINARY, "two", 3);
  brtc_websocket *ws = brtc_websocket_new(NULL, 0);
  CHECK_EQ_INT(brtc_websocket_feed(ws, stream, a + b, 0), a);
  CHECK_EQ_INT(brtc_websocket_feed(ws, stream + a, b, 0), 0);
  brtc_ws_event ev;
  CHECK(brtc_websocket_poll_event(ws, &ev) && ev.text && memcmp(ev.data, "one", 3) == 0);
  CHECK_EQ_INT(brtc_websocket_feed(ws, stream + a, b, 0), b);
  CHECK(brtc_websocket_poll_event(ws, &ev) && !ev.text && memcmp(ev.data, "two", 3) == 0);
  brtc_websocket_free(ws);
}

static int fail_code(const uint8_t *stream, size_t n) {
  brtc_websocket *ws = brtc_websocket_new(NULL, 0);
  size_t off = 0, took;
  brtc_ws_event ev;
  int code = 0;
  while (off < n && (took = brtc_websocket_feed(ws, stream + off, n - off, 0)) > 0) {
    off += took;
    while (brtc_websocket_poll_event(ws, &ev))
      if (ev.type == BRTC_WS_EVENT_CLOSED) code = ev.code;
  }
  while (brtc_websocket_poll_event(ws, &ev))
    if (ev.type == BRTC_WS_EVENT_CLOSED) code = ev.code;
  drain(ws);
  brtc_websocket_free(ws);
  return code;
}

static void test_protocol_errors(void) {
  uint8_t s[512];
  size_t n;
  /* Bad UTF-8 in a text message: 1007 (section 8.1). */
  n = client_frame(s, true, BRTC_WS_OP_TEXT, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80", 14);
  CHECK_EQ_INT(fail_code(s, n), 1007);
  CHECK(out_len >= 4 && out[0] == 0x88 && ((out[2] << 8) | out[3]) == 1007);
  n = client_frame(s, true, BRTC_WS_OP_TEXT, "\xc0\xaf", 2); /* overlong '/' */
  CHECK_EQ_INT(fail_code(s, n), 1007);
  n = client_frame(s, true, BRTC_WS_OP_BINARY, "\xc0\xaf", 2); /* binary: anything goes */
  CHECK_EQ_INT(fail_code(s, n), 0);
  /* RSV bits, unknown opcodes, long or fragmented control frames, stray continuations. */
  n = client_frame(s, true, BRTC_WS_OP_TEXT, "x", 1);
  s[0] |= 0x40;
  CHECK_EQ_INT(fail_code(s, n), 1002);
  n = client_frame(s, true, 0x3, "x", 1);
  CHECK_EQ_INT(fail_code(s, n), 1002);
  n = client_frame(s, true, 0xb, "x", 1);
  CHECK_EQ_INT(fail_code(s, n), 1002);
  static uint8_t long_ping[200];
  n = client_frame(s, true, BRTC_WS_OP_PING, long_ping, 126);
  CHECK_EQ_INT(fail_code(s, n), 1002);
  n = client_frame(s, false, BRTC_WS_OP_PING, "x", 1);
  CHECK_EQ_INT(fail_code(s, n), 1002);
  n = client_frame(s, true, BRTC_WS_OP_CONTINUATION, "x", 1);
  CHECK_EQ_INT(fail_code(s, n), 1002);
  n = client_frame(s, false, BRTC_WS_OP_TEXT, "x", 1);
  n += client_frame(s + n, true, BRTC_WS_OP_TEXT, "y", 1);
  CHECK_EQ_INT(fail_code(s, n), 1002);
  /* Close frames: one byte, a reserved code, a reason that is not UTF-8. */
  n = client_frame(s, true, BRTC_WS_OP_CLOSE, "\x03", 1);
  CHECK_EQ_INT(fail_code(s, n), 1002);
  n = client_frame(s, true, BRTC_WS_OP_CLOSE, "\x03\xed", 2); /* 1005 may not be sent */
  CHECK_EQ_INT(fail_code(s, n), 1002);
  n = client_frame(s, true, BRTC_WS_OP_CLOSE, "\x03\xe8\xff", 3);
  CHECK_EQ_INT(fail_code(s, n), 1007);
}

static void test_close_handshake(void) {
  uint8_t s[64];
  /* The client closes: we echo its code and are done. */
  size_t n = client_frame(s, true, BRTC_WS_OP_CLOSE, "\x03\xe8" "bye", 5);
  brtc_websocket *ws = brtc_websocket_new(NULL, 0);
  CHECK_EQ_INT(brtc_websocket_feed(ws, s, n, 0), n);
  brtc_ws_event ev;
  CHECK(brtc_websocket_poll_event(ws, &ev) && ev.type == BRTC_WS_EVENT_CLOSED && ev.code == 1000);
  CHECK_STR(ev.reason, "bye");
  drain(ws);
  const uint8_t echo[] = {0x88, 0x02, 0x03, 0xe8};
  CHECK_EQ_INT(out_len, 4);
  CHECK_MEM(out, echo, 4);
  CHECK(brtc_websocket_finished(ws));
  CHECK_EQ_INT(brtc_websocket_send(ws, true, "late", 4), BRTC_ERR_STATE);
  brtc_websocket_free(ws);

  /* We close: data that still comes is dropped, the client's close ends it. */
  ws = brtc_websocket_new(NULL, 0);
  CHECK_EQ_INT(brtc_websocket_close(ws, 1001, "going away", 0), BRTC_OK);
  drain(ws);
  CHECK(out[0] == 0x88 && out[1] == 12 && memcmp(out + 4, "going away", 10) == 0);
  n = client_frame(s, true, BRTC_WS_OP_TEXT, "late", 4);
  brtc_websocket_feed(ws, s, n, 1);
  CHECK(!brtc_websocket_poll_event(ws, &ev));
  CHECK(!brtc_websocket_finished(ws));
  n = client_frame(s, true, BRTC_WS_OP_CLOSE, "\x03\xe9", 2);
  brtc_websocket_feed(ws, s, n, 2);
  CHECK(brtc_websocket_finished(ws) || (brtc_websocket_poll_event(ws, &ev) && brtc_websocket_finished(ws)));
  brtc_websocket_free(ws);

  /* We close and the client never answers: done after 5 s. */
  ws = brtc_websocket_new(NULL, 0);
  brtc_websocket_close(ws, 1000, "", 0);
  drain(ws);
  CHECK_EQ_INT(brtc_websocket_next_deadline(ws), 5 * SEC);
  brtc_websocket_handle_timeout(ws, 5 * SEC);
  CHECK(brtc_websocket_finished(ws));
  brtc_websocket_free(ws);
}

static void test_size_limits(void) {
  static uint8_t big[70000], s[80000];
  memset(big, 'a', sizeof(big));
  /* 70 kB: over 64 KiB, skipped and reported; the connection goes on. */
  size_t n = client_frame(s, true, BRTC_WS_OP_TEXT, big, 70000);
  brtc_websocket *ws = brtc_websocket_new(NULL, 0);
  CHECK_EQ_INT(brtc_websocket_feed(ws, s, n, 0), n);
  brtc_ws_event ev;
  CHECK(brtc_websocket_poll_event(ws, &ev) && ev.type == BRTC_WS_EVENT_TOO_BIG && ev.len == 70000);
  n = client_frame(s, true, BRTC_WS_OP_TEXT, "ok", 2);
  CHECK_EQ_INT(brtc_websocket_feed(ws, s, n, 0), n);
  CHECK(brtc_websocket_poll_event(ws, &ev) && ev.type == BRTC_WS_EVENT_MESSAGE && ev.len == 2);
  brtc_websocket_free(ws);
  /* Over 1 MiB announced: closed with 1009 before it is read. */
  brtc_ws_frame_header h = {.fin = true, .opcode = BRTC_WS_OP_BINARY, .masked = true,
                            .length = 2u << 20};
  n = brtc_ws_frame_write_header(s, &h);
  CHECK_EQ_INT(fail_code(s, n), 1009);
  /* Fragments that add up to too much. */
  ws = brtc_websocket_new(NULL, 0);
  n = client_frame(s, false, BRTC_WS_OP_TEXT, big, 40000);
  brtc_websocket_feed(ws, s, n, 0);
  n = client_frame(s, true, BRTC_WS_OP_CONTINUATION, big, 40000);
  brtc_websocket_feed(ws, s, n, 0);
  CHECK(brtc_websocket_poll_event(ws, &ev) && ev.type == BRTC_WS_EVENT_TOO_BIG && ev.len == 80000);
  brtc_websocket_free(ws);
  /* A client that does not read: sends are refused past the output limit. */
  brtc_ws_limits lim;
  brtc_ws_default_limits(&lim);
  lim.max_output = 100;
  ws = brtc_websocket_new(&lim, 0);
  CHECK_EQ_INT(brtc_websocket_send(ws, true, big, 60), BRTC_OK);
  CHECK_EQ_INT(brtc_websocket_send(ws, true, big, 60), BRTC_ERR_LIMIT);
  brtc_websocket_free(ws);
}

static void test_keepalive(void) {
  brtc_websocket *ws = brtc_websocket_new(NULL, 0);
  CHECK_EQ_INT(brtc_websocket_next_deadline(ws), 20 * SEC);
  brtc_websocket_handle_timeout(ws, 20 * SEC);
  drain(ws);
  const uint8_t ping[] = {0x89, 0x00};
  CHECK_EQ_INT(out_len, 2);
  CHECK_MEM(out, ping, 2);
  CHECK_EQ_INT(brtc_websocket_next_deadline(ws), 60 * SEC);
  /* The pong comes: quiet again from then on. */
  uint8_t s[16];
  size_t n = client_frame(s, true, BRTC_WS_OP_PONG, "", 0);
  brtc_websocket_feed(ws, s, n, 21 * SEC);
  CHECK_EQ_INT(brtc_websocket_next_deadline(ws), 41 * SEC);
  brtc_websocket_handle_timeout(ws, 41 * SEC);
  brtc_websocket_handle_timeout(ws, 81 * SEC);
  brtc_ws_event ev;
  CHECK(brtc_websocket_poll_event(ws, &ev) && ev.type == BRTC_WS_EVENT_CLOSED && ev.code == 1006);
  drain(ws);
  CHECK(brtc_websocket_finished(ws));
  brtc_websocket_free(ws);
}

static void test_utf8(void) {
  CHECK(brtc_utf8_valid((const uint8_t *)"", 0));
  CHECK(brtc_utf8_valid((const uint8_t *)"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", 11));
  CHECK(brtc_utf8_valid((const uint8_t *)"\xf4\x8f\xbf\xbf", 4));  /* U+10FFFF */
  CHECK(!brtc_utf8_valid((const uint8_t *)"\xf4\x90\x80\x80", 4)); /* above it */
  CHECK(!brtc_utf8_valid((const uint8_t *)"\xed\xa0\x80", 3));     /* a surrogate */
  CHECK(!brtc_utf8_valid((const uint8_t *)"\xe0\x80\xaf", 3));     /* overlong */
  CHECK(!brtc_utf8_valid((const uint8_t *)"\xce", 1));             /* cut short */
  CHECK(!brtc_utf8_valid((const uint8_t *)"\x80", 1));
  CHECK(!brtc_utf8_valid((const uint8_t *)"\xff", 1));
}

int main(void) {
  RUN(test_handshake_key);
  RUN(test_rfc_frames);
  RUN(test_fragments_and_ping);
  RUN(test_one_message_at_a_time);
  RUN(test_empty_after_long);
  RUN(test_protocol_errors);
  RUN(test_close_handshake);
  RUN(test_size_limits);
  RUN(test_keepalive);
  RUN(test_utf8);
  return TEST_REPORT();
}
