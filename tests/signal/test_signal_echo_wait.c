/* serve's data-channel echo (src/signal/echo_media.c) against a channel whose send buffer is
 * full for a while (BRTC_ERR_AGAIN, as when the peer has not yet acknowledged 1 MiB): every
 * message must still go back, in order, once room comes, none dropped. echo_media.c is built
 * into this test with the pc's calls stubbed here, so the send buffer is the test's to fill. */
#include <stdlib.h>
#include <string.h>

#include "boltrtc/datachannel.h"
#include "boltrtc/error.h"
#include "boltrtc/track.h"
#include "signal/server_internal.h"
#include "testing.h"

#define MSGS 40

static bool full;                       /* the send buffer has no room */
static uint32_t sent[MSGS], n_sent;     /* first four bytes of each message sent, in order */

int brtc_datachannel_send(brtc_datachannel *c, uint64_t now_us, const uint8_t *data, size_t len,
                          bool binary) {
  (void)c, (void)now_us, (void)binary;
  if (full) return BRTC_ERR_AGAIN;
  if (len >= 4 && n_sent < MSGS) memcpy(&sent[n_sent++], data, 4);
  return BRTC_OK;
}
const char *brtc_datachannel_label(const brtc_datachannel *dc) { (void)dc; return "echo"; }
int brtc_pc_add_track(brtc_pc *pc, brtc_track_kind k, brtc_direction d, const char *codec,
                      brtc_track **out) {
  (void)pc, (void)k, (void)d, (void)codec, (void)out;
  return BRTC_ERR_STATE;
}
const char *brtc_track_mid(const brtc_track *t) { (void)t; return ""; }
uint32_t brtc_track_ssrc(const brtc_track *t) { (void)t; return 0; }
int brtc_track_send_frame(brtc_track *t, uint64_t now_us, const uint8_t *d, size_t len,
                          uint64_t capture_us, unsigned flags) {
  (void)t, (void)now_us, (void)d, (void)len, (void)capture_us, (void)flags;
  return BRTC_ERR_STATE;
}
int brtc_pc_request_keyframe(brtc_pc *pc, uint64_t now_us) {
  (void)pc, (void)now_us;
  return BRTC_OK;
}

/* Before the wait existed there was nothing to retry: a no-op stands in, so this test builds
 * and fails against the old echo_media.c. */
__attribute__((weak)) void brtc_echo_datachannel_flush(brtc_session *s, uint64_t now_us);
__attribute__((weak)) void brtc_echo_datachannel_forget(brtc_session *s,
                                                        const brtc_datachannel *dc);

static void test_full_buffer_waits(void) {
  static brtc_session s;
  brtc_datachannel *dc = (brtc_datachannel *)&s; /* only compared, never used */
  static uint8_t msg[65536];
  for (uint32_t i = 0; i < MSGS; i++) {
    full = i >= 10 && i < 30; /* the buffer fills at the tenth message and stays full */
    memcpy(msg, &i, 4);
    brtc_output ev = {.size = sizeof ev, .channel = dc, .data = msg,
                      .len = 1000 + i * 1000, .binary = true};
    brtc_echo_datachannel_message(&s, &ev, i);
  }
  full = false;
  if (brtc_echo_datachannel_flush) brtc_echo_datachannel_flush(&s, MSGS);
  CHECK_EQ_INT((int)n_sent, MSGS);
  bool in_order = true;
  for (uint32_t i = 0; i < n_sent; i++) in_order = in_order && sent[i] == i;
  CHECK(in_order);
  CHECK_EQ_INT((int)s.echo_dropped, 0);
  if (brtc_echo_datachannel_forget) brtc_echo_datachannel_forget(&s, NULL);
}

int main(void) {
  RUN(test_full_buffer_waits);
  return TEST_REPORT();
}
