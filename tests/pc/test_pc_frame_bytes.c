/* A BRTC_EVENT_FRAME's bytes are the frame assembler's own, lent to the event rather than
 * copied (pc_events.c). They must still be the frame's bytes whenever the owner polls the
 * event: when the owner fed more datagrams before draining (the next frame's packets take
 * the arena's front, where the last frame lay), with a second video track and a data-channel
 * message in between; and when one datagram completes several frames at once (a
 * retransmission fills a gap behind which reordered frames waited), each put together in
 * the assembler's one frame buffer. Every frame is compared byte for byte with what the
 * simulated browser sent (in the ASan build too). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/datachannel.h"
#include "boltrtc/error.h"
#include "pc_harness.h"
#include "sctp/datachannel.h"
#include "testing.h"

#define N_FRAMES 4
static uint8_t *cam[N_FRAMES], *screen[N_FRAMES];
static size_t cam_len[N_FRAMES], screen_len[N_FRAMES];
static bool cam_key[N_FRAMES], screen_key[N_FRAMES];

/* Small packets, so that every frame spans several. */
#define MTU 300

static bool connected(harness *h) { return h_connected(h); }
static bool channel_open(harness *h) {
  return h->dc_opened >= 1 && sim_peer_get_stats(h->sim)->dc_opened >= 1;
}

/* Every datagram the sim has into the pc, without draining it (an owner breaking the rule,
 * or one that drains late): events queue up. */
static void feed_undrained(harness *h) {
  uint8_t buf[2048];
  size_t len;
  struct sockaddr_storage to;
  while (sim_peer_poll_transmit(h->sim, buf, sizeof(buf), &len, &to) == BRTC_OK)
    CHECK(brtc_pc_handle_datagram(h->pc, buf, len, &h->sim_addr.u.sa, h->now) == BRTC_OK);
}

static void check_frame(const h_frame *f, const char *mid, const uint8_t *want, size_t len) {
  CHECK(strcmp(f->mid, mid) == 0);
  CHECK_EQ_INT(f->len, len);
  if (f->len == len && f->data) CHECK_MEM(f->data, want, len);
}

/* Two tracks and a data channel; the owner drains only at the end. */
static void test_undrained_interleaved(void) {
  sim_peer_opts o = {.second_video = true, .datachannel = true, .mtu = MTU};
  harness h;
  h_datachannels = true;
  bool started = h_start(&h, &o);
  h_datachannels = false;
  CHECK(started);
  if (!started) return h_stop(&h);
  CHECK(h_pump(&h, connected, 5000000));
  brtc_dc *dc = NULL;
  CHECK(brtc_dc_create(sim_peer_dc(h.sim), h.now, "bytes", NULL, &dc) == BRTC_OK);
  CHECK(h_pump(&h, channel_open, 5000000));
  if (!dc || !channel_open(&h)) return h_stop(&h);

  uint8_t msg[700];
  for (size_t i = 0; i < sizeof(msg); i++) msg[i] = (uint8_t)(i * 13 + 5);
  CHECK(sim_peer_send_frame_on(h.sim, 0, cam[0], cam_len[0], 3000) == BRTC_OK);
  feed_undrained(&h);
  CHECK(brtc_dc_send(dc, h.now, msg, sizeof(msg), true) == BRTC_OK);
  feed_undrained(&h);
  CHECK(sim_peer_send_frame_on(h.sim, 1, screen[0], screen_len[0], 3000) == BRTC_OK);
  feed_undrained(&h);
  /* The camera's next frames land where its first one lay. */
  for (int i = 1; i < 3; i++) {
    CHECK(sim_peer_send_frame_on(h.sim, 0, cam[i], cam_len[i], 3000 + 3000u * i) == BRTC_OK);
    feed_undrained(&h);
  }
  uint64_t dc_before = h.dc_messages;
  h_drain(&h);
  CHECK_EQ_INT(h.n_frames, 4);
  if (h.n_frames == 4) {
    check_frame(&h.frames[0], "0", cam[0], cam_len[0]);
    check_frame(&h.frames[1], "2", screen[0], screen_len[0]);
    check_frame(&h.frames[2], "0", cam[1], cam_len[1]);
    check_frame(&h.frames[3], "0", cam[2], cam_len[2]);
  }
  CHECK_EQ_INT(h.dc_messages, dc_before + 1);
  CHECK_EQ_INT(h.dc_bytes, sizeof(msg));
  CHECK(h.dc_hash == sim_fnv1a(SIM_FNV_START, msg, sizeof(msg)));
  brtc_pc_stats st = {.size = sizeof(st)};
  brtc_pc_get_stats(h.pc, &st);
  CHECK_EQ_INT(st.events_dropped, 0);
  h_stop(&h);
}

/* The camera's frames 1 and 2 are sent with a packet lost (1) and two swapped (2): frame 2
 * and 3 wait behind 1 until the retransmission comes, then all three come out of that one
 * datagram, 1 and 2 each put together in the assembler's frame buffer. */
static struct {
  bool armed;
  int frame, pos;
} plan;

static sim_peer_fate lose_and_swap(void *user, uint64_t index, uint8_t pt, uint16_t seq,
                                   bool marker) {
  (void)user, (void)index, (void)pt, (void)seq;
  if (!plan.armed || plan.frame > 2) return SIM_PEER_SEND;
  sim_peer_fate fate = SIM_PEER_SEND;
  if (plan.frame == 0 && plan.pos == 1) fate = SIM_PEER_DROP;
  if (plan.frame == 1 && plan.pos == 1) fate = SIM_PEER_HOLD;
  plan.pos++;
  if (marker) {
    plan.frame++;
    plan.pos = 0;
  }
  return fate;
}

static bool four_frames(harness *h) { return h->n_frames >= 4; }

static void test_several_frames_in_one_call(void) {
  sim_peer_opts o = {.mtu = MTU, .rtx = true, .no_audio = true, .filter = lose_and_swap};
  harness h;
  CHECK(h_start(&h, &o));
  CHECK(h_pump(&h, connected, 5000000));
  CHECK(sim_peer_send_frame_on(h.sim, 0, cam[0], cam_len[0], 3000) == BRTC_OK);
  h_run_for(&h, 50000);
  CHECK_EQ_INT(h.n_frames, 1);
  plan.armed = true;
  for (int i = 1; i < 4; i++)
    CHECK(sim_peer_send_frame_on(h.sim, 0, cam[i], cam_len[i], 3000 + 3000u * i) == BRTC_OK);
  CHECK(h_pump(&h, four_frames, 2000000));
  plan.armed = false;
  CHECK_EQ_INT(h.n_frames, 4);
  for (size_t i = 0; i < h.n_frames && i < N_FRAMES; i++)
    check_frame(&h.frames[i], "0", cam[i], cam_len[i]);
  const sim_peer_stats *ss = sim_peer_get_stats(h.sim);
  CHECK_EQ_INT(ss->rtp_dropped, 1);
  CHECK(ss->rtx_sent >= 1);
  brtc_pc_stats st = {.size = sizeof(st)};
  brtc_pc_get_stats(h.pc, &st);
  CHECK_EQ_INT(st.frames_dropped, 0);
  h_stop(&h);
}

int main(void) {
  if (h_encode_vp8(320, 240, N_FRAMES, cam, cam_len, cam_key) < N_FRAMES ||
      h_encode_vp8(640, 480, N_FRAMES, screen, screen_len, screen_key) < N_FRAMES) {
    fprintf(stderr, "cannot encode VP8 test frames\n");
    return 1;
  }
  /* The swap and the loss need frames of three packets or more. */
  for (int i = 0; i < N_FRAMES; i++) CHECK(cam_len[i] > 3 * MTU);
  RUN(test_undrained_interleaved);
  RUN(test_several_frames_in_one_call);
  for (int i = 0; i < N_FRAMES; i++) {
    free(cam[i]);
    free(screen[i]);
  }
  return TEST_REPORT();
}
