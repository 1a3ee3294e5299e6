/* offer_datachannel: the device's side of a call, on the public API only. It makes the
 * offer (JSEP's offerer: brtc_pc_create_offer) with a data channel labelled "echo", writes
 * the offer on stdout followed by a line ".", reads the answer on stdin up to a line "." (or
 * EOF), then sends N messages of mixed sizes, text and binary, and checks that each comes
 * back on the same channel byte for byte, in order. Exit 0 when all did.
 *
 *   build/examples/example_offer_datachannel [UDP_ADDR] [MESSAGES] [MAX_SIZE]
 *
 * Signaling is yours: a pipe here (tests/e2e/offer_aiortc.py drives it with aiortc as the
 * answerer). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/boltrtc.h"
#include "pipe_signaling.h"

#define IN_FLIGHT 8 /* messages sent and not yet echoed, at most */

typedef struct echo_test {
  brtc_loop *loop;
  brtc_loop_timer *timeout;
  brtc_datachannel *dc;
  unsigned total, sent, echoed;
  size_t max_size;
  uint64_t bytes;
  uint8_t *buf;
  int result; /* -1 running, 0 passed, 1 failed */
} echo_test;

/* Message i: its size, kind and bytes are a function of i, so the echo can be checked. */
static size_t message(const echo_test *t, unsigned i, uint8_t *out, bool *binary) {
  size_t len = i % 10 == 9 ? t->max_size : 1 + (i * 7919u) % (t->max_size < 1500 ? t->max_size : 1500);
  if (i % 5 == 4) len = 1 + (i * 104729u) % t->max_size;
  *binary = i % 2 == 1;
  for (size_t k = 0; k < len; k++)
    out[k] = *binary ? (uint8_t)(i * 31u + k * 7u) : (uint8_t)('a' + (i + k) % 26);
  return len;
}

static void finish(echo_test *t, int result, const char *why) {
  if (t->result >= 0) return;
  t->result = result;
  fprintf(stderr, "offer_datachannel: %s\n", why);
  brtc_loop_stop(t->loop);
}

static void send_more(echo_test *t, uint64_t now) {
  bool binary;
  while (t->sent < t->total && t->sent - t->echoed < IN_FLIGHT) {
    size_t len = message(t, t->sent, t->buf, &binary);
    int rc = brtc_datachannel_send(t->dc, now, t->buf, len, binary);
    if (rc == BRTC_ERR_AGAIN) return; /* BUFFERED_AMOUNT_LOW brings us back */
    if (rc != BRTC_OK) {
      char line[96];
      snprintf(line, sizeof line, "send %u failed: %s", t->sent, brtc_strerror(rc));
      return finish(t, 1, line);
    }
    t->sent++;
  }
}

static void check_echo(echo_test *t, const brtc_output *ev) {
  static uint8_t want[1 << 20];
  bool binary;
  size_t len = message(t, t->echoed, want, &binary);
  if (ev->len != len || ev->binary != binary || memcmp(ev->data, want, len) != 0) {
    char line[160];
    snprintf(line, sizeof line, "echo %u differs: %zu bytes %s, sent %zu bytes %s", t->echoed,
             ev->len, ev->binary ? "binary" : "text", len, binary ? "binary" : "text");
    return finish(t, 1, line);
  }
  t->echoed++;
  t->bytes += len;
  if (t->echoed == t->total) {
    char line[160];
    snprintf(line, sizeof line, "echoed %u messages, %llu bytes, every byte checked", t->echoed,
             (unsigned long long)t->bytes);
    finish(t, 0, line);
  }
}

static void on_event(brtc_loop *l, brtc_pc *pc, const brtc_output *ev, void *user) {
  (void)l, (void)pc;
  echo_test *t = user;
  uint64_t now = brtc_now_us();
  switch (ev->event) {
    case BRTC_EVENT_STEP:
      fprintf(stderr, "step %-16s %s\n", brtc_pc_step_name(ev->step), ev->detail ? ev->detail : "");
      if (ev->step == BRTC_STEP_FAILED || ev->step == BRTC_STEP_CLOSED)
        finish(t, 1, "the peer connection ended first");
      break;
    case BRTC_EVENT_LOG: fprintf(stderr, "log  %s\n", ev->detail ? ev->detail : ""); break;
    case BRTC_EVENT_DATACHANNEL_OPEN:
      fprintf(stderr, "channel %s open (id %d)\n", brtc_datachannel_label(ev->channel),
              (int)brtc_datachannel_id(ev->channel));
      if (ev->channel == t->dc) send_more(t, now);
      break;
    case BRTC_EVENT_DATACHANNEL_MESSAGE:
      if (ev->channel != t->dc) break;
      check_echo(t, ev);
      if (t->result < 0) send_more(t, now);
      break;
    case BRTC_EVENT_DATACHANNEL_BUFFERED_AMOUNT_LOW: send_more(t, now); break;
    case BRTC_EVENT_DATACHANNEL_CLOSED:
      if (ev->channel == t->dc) finish(t, 1, "the channel closed first");
      break;
    default: break;
  }
}

static void on_timeout(void *user, uint64_t now) {
  (void)now;
  echo_test *t = user;
  char line[96];
  snprintf(line, sizeof line, "timed out: %u of %u messages echoed", t->echoed, t->total);
  finish(t, 1, line);
}

int main(int argc, char **argv) {
  const char *udp = argc > 1 ? argv[1] : "127.0.0.1:0";
  echo_test t = {.total = argc > 2 ? (unsigned)atoi(argv[2]) : 100,
                 .max_size = argc > 3 ? (size_t)atol(argv[3]) : 65536, .result = -1};
  if (t.total == 0 || t.max_size == 0 || t.max_size > (1 << 20)) {
    fprintf(stderr, "usage: offer_datachannel [UDP_ADDR] [MESSAGES] [MAX_SIZE <= 1 MiB]\n");
    return 2;
  }
  char err[256] = "";
  brtc_loop_config *lc = brtc_loop_config_new();
  if (lc && brtc_loop_config_add_udp_address(lc, udp) == BRTC_OK) {
    brtc_loop_config_set_loopback_only(lc, true);
    t.loop = brtc_loop_new(lc, err, sizeof err);
  }
  brtc_loop_config_free(lc);
  brtc_certificate *cert = NULL;
  if (t.loop && brtc_certificate_new(&cert, err, sizeof err) != BRTC_OK) cert = NULL;
  t.buf = malloc(t.max_size);
  if (!t.loop || !cert || !t.buf) {
    fprintf(stderr, "offer_datachannel: %s\n", err[0] ? err : "out of memory");
    return 1;
  }
  brtc_pc_config *cfg = brtc_pc_config_new();
  brtc_pc_config_set_certificate(cfg, cert);
  brtc_pc_config_set_datachannels(cfg, true);
  brtc_loop_config_pc(t.loop, cfg);
  brtc_pc *pc = NULL;
  int rc = brtc_pc_new(cfg, &pc, err, sizeof err);
  brtc_pc_config_free(cfg);
  /* The channel first, so that the offer has a data section for it. */
  if (rc == BRTC_OK) rc = brtc_pc_create_datachannel(pc, brtc_now_us(), "echo", NULL, &t.dc, err, sizeof err);
  const char *offer = NULL;
  if (rc == BRTC_OK) rc = brtc_pc_create_offer(pc, brtc_now_us(), &offer, err, sizeof err);
  if (rc == BRTC_OK) rc = brtc_pc_set_local_description(pc, "offer", NULL, brtc_now_us(), err, sizeof err);
  if (rc == BRTC_OK) {
    fputs(offer, stdout);
    fputs(".\n", stdout);
    fflush(stdout);
    static char answer[65536];
    read_description(answer, sizeof answer);
    rc = brtc_pc_set_remote_description(pc, "answer", answer, brtc_now_us(), err, sizeof err);
  }
  if (rc == BRTC_OK) rc = brtc_loop_add_pc(t.loop, pc, on_event, &t);
  if (rc != BRTC_OK) {
    fprintf(stderr, "offer_datachannel: %s (%s)\n", err, brtc_strerror(rc));
    t.result = 1;
  } else {
    t.timeout = brtc_loop_timer_new(t.loop, on_timeout, &t);
    brtc_loop_timer_set(t.timeout, brtc_now_us() + 30 * 1000000ull);
    brtc_datachannel_set_buffered_amount_low_threshold(t.dc, 256 * 1024);
    brtc_loop_run(t.loop);
    brtc_pc_close(pc, brtc_now_us());
    brtc_loop_remove_pc(t.loop, pc);
    brtc_loop_timer_free(t.timeout);
  }
  brtc_pc_free(pc);
  brtc_loop_free(t.loop);
  brtc_certificate_free(cert);
  free(t.buf);
  return t.result == 0 ? 0 : 1;
}
