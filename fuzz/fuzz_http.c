/* The server's real HTTP layer fed whole byte streams: src/http's core and the server's own
 * connection and routing (signal_conn.c, http_routes.c, whip.c, the WebSocket upgrade and
 * signaling), driven exactly as the loop drives them but with no socket, several requests
 * per input and the stream cut into pieces at points the input chooses.
 *
 * Input: 4 bytes that choose the piece sizes and when time jumps, then the byte stream.
 * Beyond "no crash, no leak", it checks the promise the issue asks for: every request is
 * answered or the connection ends: bytes are never left waiting on a connection that is
 * neither finished nor waiting for output to be taken. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boltrtc/boltrtc.h"
#include "common/log.h"
#include "signal/server_internal.h"
#include "signal/session_table.h"

static brtc_loop *loop;
static brtc_signal_server *srv;
static brtc_certificate *cert;

static char out_dir[] = "/tmp/brtc-fuzz-http-XXXXXX";

/* The output folder stays empty (no media is fuzzed here): remove it when the run ends. */
static void remove_out_dir(void) { rmdir(out_dir); }

static void setup(void) {
  brtc_set_log_level(BRTC_LOG_WARN + 1); /* quiet */
  if (!mkdtemp(out_dir)) abort();
  atexit(remove_out_dir);
  brtc_loop_config *lc = brtc_loop_config_new();
  brtc_loop_config_add_udp_address(lc, "127.0.0.1:0");
  brtc_loop_config_set_loopback_only(lc, true);
  cert = brtc_certificate_generate();
  loop = cert ? brtc_loop_new(lc, NULL, 0) : NULL;
  brtc_loop_config_free(lc);
  static const char *const tokens[] = {"fuzz-token"};
  /* Tokens on: the 401 paths and the token checks are fuzzed too ("fuzz-token" is in the
   * seeds). */
  /* Rooms with ICE servers and a TURN secret: their admission, the credentials minted at a
   * join and the relay of a member's messages are fuzzed too (a seed joins a room). */
  static const char *const stun[] = {"stun:203.0.113.1:3478"};
  static const char *const turn[] = {"turn:203.0.113.1:3478?transport=udp"};
  brtc_signal_config sc = {.http_addr = "127.0.0.1:0", .output_dir = out_dir, .max_sessions = 4,
                           .tokens = tokens, .n_tokens = 1,
                           .rooms = {.max_rooms = 4, .stun_urls = stun, .n_stun_urls = 1,
                                     .turn_urls = turn, .n_turn_urls = 1,
                                     .turn_secret = "fuzz-secret"}};
  char err[256];
  srv = loop ? brtc_signal_server_new(&sc, loop, cert, err, sizeof(err)) : NULL;
  if (!srv) abort();
}

static uint32_t next_random(uint32_t *state) {
  uint32_t x = *state ? *state : 0x9e3779b9u;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *state = x;
}

static uint8_t sink[1 << 16];

/* Take every byte the connection has to send, as the loop would while the socket drains. */
static void drain(brtc_conn *c, uint64_t now) {
  for (int i = 0; i < 10000; i++)
    if (brtc_conn_ops.output(c, sink, sizeof(sink), now) == 0) return;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!srv) setup();
  if (size < 4) return 0;
  uint32_t rnd = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
                 (uint32_t)data[3] << 24;
  data += 4;
  size -= 4;
  uint64_t now = brtc_now_us();
  brtc_conn *c = brtc_conn_new(srv, NULL, now);
  if (!c) return 0;
  const brtc_stream_ops *ops = &brtc_conn_ops;
  size_t fed = 0, avail = 0; /* data[fed .. avail) is what the loop holds */
  bool ended = false;
  for (int round = 0; round < 100000 && !ended; round++) {
    /* A new piece arrives once the last one was taken. */
    if (fed == avail && avail < size) {
      size_t piece = 1 + next_random(&rnd) % 512;
      avail = avail + piece > size ? size : avail + piece;
    }
    if ((next_random(&rnd) & 0xff) == 0) now += 11000000; /* time jumps: deadlines fire */
    if (ops->deadline(c) <= now) ops->timeout(c, now);
    size_t took = fed < avail ? ops->input(c, data + fed, avail - fed, now) : 0;
    if (took > avail - fed) abort();
    fed += took;
    drain(c, now);
    brtc_server_settle(srv);
    if (ops->finished(c)) ended = true;
    if (!took && fed == avail && avail == size) break; /* all taken */
    if (!took && fed < avail) {
      /* The loop would offer the held bytes again after output was taken: it was, so the
       * connection must take them now, or be finished. */
      took = ops->input(c, data + fed, avail - fed, now);
      fed += took;
      drain(c, now);
      if (!took && !ops->finished(c)) abort(); /* a request left unanswered */
      if (!took) ended = true;
    }
  }
  ops->closed(c, BRTC_OK); /* the loop's last call: frees it */
  brtc_server_end_all_sessions(srv);
  brtc_server_settle(srv);
  /* The table keeps the last 100 closed sessions for /api/status, and numbers them on: a
   * fresh one per input, so the next input's status and session ids do not depend on this
   * one, and no record outlives its input (libFuzzer runs again, and scans for leaks, every
   * input that ends with more allocations than it began with). */
  if (srv->sessions.n_live == 0) {
    brtc_session_table_free(&srv->sessions);
    if (brtc_session_table_init(&srv->sessions, srv->max_sessions) != BRTC_OK) abort();
  }
  return 0;
}
