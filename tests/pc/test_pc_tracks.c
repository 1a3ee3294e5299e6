/* Several tracks in one offer (issue 6): a camera and a second video (a screen), with and
 * without their SSRCs signalled, bundle-only, beside audio; each track's frames come out
 * under its own mid, with its own counters, keyframe requests and REMB share. And the
 * start bitrate and ceiling that follow the picture size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "pc/pc_internal.h"
#include "pc/video_bitrate.h"
#include "pc_harness.h"
#include "testing.h"

static uint8_t *small_frames[4], *large_frames[4];
static size_t small_lens[4], large_lens[4];
static bool small_key[4], large_key[4];

static bool connect_pair(harness *h, const sim_peer_opts *opts) {
  if (!h_start(h, opts)) {
    fprintf(stderr, "start failed: %s\n", h->answer_err);
    CHECK(false);
    return false;
  }
  bool ok = h_pump(h, h_connected, 5000000);
  CHECK(ok);
  return ok;
}

static bool two_frames(harness *h) { return h->n_frames >= 2; }

static const h_frame *frame_of(const harness *h, const char *mid) {
  for (size_t i = 0; i < h->n_frames; i++)
    if (strcmp(h->frames[i].mid, mid) == 0) return &h->frames[i];
  return NULL;
}

static void free_frames(harness *h) {
  for (size_t i = 0; i < h->n_frames; i++) free(h->frames[i].data);
  h->n_frames = 0;
}

/* Both video tracks, different pictures: each keyframe comes out whole under its own mid,
 * and each track counts its own packets. */
static void two_videos(const sim_peer_opts *o, const char *what) {
  fprintf(stderr, "  %s\n", what);
  harness h;
  if (!connect_pair(&h, o)) {
    h_stop(&h);
    return;
  }
  CHECK_EQ_INT(brtc_pc_track_count(h.pc), o->no_audio ? 2 : 3);
  CHECK(sim_peer_send_frame_on(h.sim, 0, small_frames[0], small_lens[0], 3000) == BRTC_OK);
  CHECK(sim_peer_send_frame_on(h.sim, 1, large_frames[0], large_lens[0], 3000) == BRTC_OK);
  CHECK(h_pump(&h, two_frames, 1000000));
  const h_frame *cam = frame_of(&h, "0"), *screen = frame_of(&h, "2");
  CHECK(cam && screen);
  if (cam && screen) {
    CHECK(cam->keyframe && screen->keyframe);
    CHECK_EQ_INT(cam->width, 320);
    CHECK_EQ_INT(screen->width, 1280);
    CHECK_EQ_INT(cam->len, small_lens[0]);
    CHECK_EQ_INT(screen->len, large_lens[0]);
    if (cam->len == small_lens[0]) CHECK_MEM(cam->data, small_frames[0], small_lens[0]);
    if (screen->len == large_lens[0]) CHECK_MEM(screen->data, large_frames[0], large_lens[0]);
    CHECK_EQ_INT(cam->ssrc, 0x1234abcd);
    CHECK_EQ_INT(screen->ssrc, 0x2468ace0);
    CHECK(cam->track != screen->track);
  }
  /* Deltas too, on both. */
  for (int i = 1; i < 3; i++) {
    CHECK(sim_peer_send_frame_on(h.sim, 0, small_frames[i], small_lens[i], 3000 + 3000u * i) ==
          BRTC_OK);
    CHECK(sim_peer_send_frame_on(h.sim, 1, large_frames[i], large_lens[i], 3000 + 3000u * i) ==
          BRTC_OK);
  }
  h_run_for(&h, 200000);
  brtc_pc_stats st = {.size = sizeof(brtc_pc_stats)};
  brtc_pc_get_stats(h.pc, &st);
  CHECK_EQ_INT(st.dropped_unexpected, 0);
  CHECK_EQ_INT(st.keyframes, 2);
  CHECK_EQ_INT(st.frames, 6);
  size_t seen = 0;
  for (size_t i = 0; i < brtc_pc_track_count(h.pc); i++) {
    brtc_pc_track_stats ts = {.size = sizeof(brtc_pc_track_stats)};
    CHECK(brtc_pc_get_track_stats(h.pc, i, &ts) == BRTC_OK);
    if (strcmp(ts.kind, "video") != 0) continue;
    seen++;
    bool screen_track = strcmp(ts.mid, "2") == 0;
    CHECK_EQ_INT(ts.ssrc, screen_track ? 0x2468ace0 : 0x1234abcd);
    CHECK_EQ_INT(ts.frames, 3);
    CHECK_EQ_INT(ts.keyframes, 1);
    CHECK_EQ_INT(ts.lost, 0);
    CHECK_EQ_INT(ts.width, screen_track ? 1280 : 320);
    CHECK(ts.packets >= 3);
    CHECK(ts.bytes >= (screen_track ? large_lens[0] : small_lens[0]));
    /* The ceiling followed each track's first keyframe (the size was not hinted). */
    CHECK_EQ_INT(ts.max_bitrate_bps, brtc_video_max_bitrate_bps(ts.width, ts.height));
  }
  CHECK_EQ_INT(seen, 2);
  CHECK_EQ_INT(brtc_pc_get_track_stats(h.pc, 9, &(brtc_pc_track_stats){0}), BRTC_ERR_INVALID);
  /* One REMB names both SSRCs, with the sum of their ceilings. */
  const sim_peer_stats *ss = sim_peer_get_stats(h.sim);
  CHECK_EQ_INT(ss->last_remb_n_ssrcs, 2);
  CHECK_EQ_INT(ss->last_remb_bps,
               brtc_video_max_bitrate_bps(320, 240) + brtc_video_max_bitrate_bps(1280, 720));
  free_frames(&h);
  h_stop(&h);
}

static void test_two_videos(void) {
  sim_peer_opts o = {.second_video = true};
  two_videos(&o, "SSRCs signalled");
  o = (sim_peer_opts){.second_video = true, .second_video_no_ssrc = true, .send_mid = true};
  two_videos(&o, "second SSRC only in the MID extension");
  o = (sim_peer_opts){.second_video = true, .second_video_bundle_only = true,
                      .second_video_no_ssrc = true, .send_mid = true, .no_audio = true};
  two_videos(&o, "bundle-only second section, no audio");
}

/* Neither SSRC signalled nor a MID sent: the payload type is all there is, and both
 * sections share it. The first stream goes to the first track, the second to the next:
 * nothing is dropped and nothing mixed. */
static void test_payload_type_fallback(void) {
  sim_peer_opts o = {.second_video = true, .second_video_no_ssrc = true, .no_audio = true};
  harness h;
  if (connect_pair(&h, &o)) {
    CHECK(sim_peer_send_frame_on(h.sim, 0, small_frames[0], small_lens[0], 3000) == BRTC_OK);
    CHECK(sim_peer_send_frame_on(h.sim, 1, large_frames[0], large_lens[0], 3000) == BRTC_OK);
    CHECK(h_pump(&h, two_frames, 1000000));
    const h_frame *cam = frame_of(&h, "0"), *screen = frame_of(&h, "2");
    CHECK(cam && screen && cam->width == 320 && screen->width == 1280);
    brtc_pc_stats st = {.size = sizeof(brtc_pc_stats)};
    brtc_pc_get_stats(h.pc, &st);
    CHECK_EQ_INT(st.dropped_unexpected, 0);
    free_frames(&h);
  }
  h_stop(&h);
}

/* A Snapshot asks every video track for a keyframe: both SSRCs get a PLI. */
static void test_keyframe_request_every_track(void) {
  sim_peer_opts o = {.second_video = true, .no_audio = true};
  harness h;
  if (connect_pair(&h, &o)) {
    CHECK(sim_peer_send_frame_on(h.sim, 0, small_frames[0], small_lens[0], 3000) == BRTC_OK);
    CHECK(sim_peer_send_frame_on(h.sim, 1, large_frames[0], large_lens[0], 3000) == BRTC_OK);
    CHECK(h_pump(&h, two_frames, 1000000));
    const sim_peer_stats *ss = sim_peer_get_stats(h.sim);
    uint64_t before = ss->plis_received;
    CHECK(brtc_pc_request_keyframe(h.pc, h.now) == BRTC_OK);
    h_run_for(&h, 100000);
    CHECK_EQ_INT(ss->plis_received, before + 2);
    free_frames(&h);
  }
  h_stop(&h);
}

/* The bitrates follow the size: the hinted size's row in the answer and the first REMB; a
 * keyframe of another size moves the ceiling. Fixed configuration stays fixed. */
static void test_bitrate_follows_size(void) {
  brtc_video_bitrate b = brtc_video_bitrate_for_size(1280, 720);
  CHECK_EQ_INT(b.start_bps, 3400000);
  CHECK_EQ_INT(b.max_bps, 5700000);
  b = brtc_video_bitrate_for_size(640, 480);
  CHECK_EQ_INT(b.start_bps, 1500000);
  CHECK_EQ_INT(b.max_bps, 2500000);
  CHECK_EQ_INT(brtc_video_max_bitrate_bps(0, 0), 2500000);       /* unknown: 640x480's */
  CHECK_EQ_INT(brtc_video_max_bitrate_bps(641, 480), 3500000);   /* just over: next row */
  CHECK_EQ_INT(brtc_video_max_bitrate_bps(160, 120), 880000);    /* tiny: the first row */
  CHECK_EQ_INT(brtc_video_max_bitrate_bps(1920, 1080), 10500000);
  CHECK_EQ_INT(brtc_video_max_bitrate_bps(7680, 4320), 20000000); /* capped */
  CHECK_EQ_INT(brtc_video_max_bitrate_bps(65535, 65535), brtc_video_bitrate_top_bps());
  /* Rows grow with size. */
  unsigned sizes[][2] = {{320, 240}, {640, 480}, {960, 540}, {1280, 720}, {1920, 1080},
                         {2560, 1440}, {3840, 2160}};
  for (size_t i = 1; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
    brtc_video_bitrate lo = brtc_video_bitrate_for_size(sizes[i - 1][0], sizes[i - 1][1]);
    brtc_video_bitrate hi = brtc_video_bitrate_for_size(sizes[i][0], sizes[i][1]);
    CHECK(hi.max_bps > lo.max_bps && hi.start_bps > lo.start_bps && hi.start_bps < hi.max_bps);
  }

  harness h;
  h_video_width = 1280;
  h_video_height = 720;
  bool ok = connect_pair(&h, NULL);
  h_video_width = h_video_height = 0;
  if (ok) {
    const char *answer = NULL;
    CHECK(brtc_pc_create_answer(h.pc, &answer, NULL, 0) == BRTC_OK);
    CHECK(strstr(answer, "\r\na=fmtp:96 x-google-start-bitrate=3400;x-google-max-bitrate=5700\r\n") !=
          NULL);
    CHECK(sim_peer_send_frame_on(h.sim, 0, large_frames[0], large_lens[0], 3000) == BRTC_OK);
    h_run_for(&h, 5000);
    CHECK_EQ_INT(sim_peer_get_stats(h.sim)->last_remb_bps, 5700000);
    free_frames(&h);
  }
  h_stop(&h);

  /* Unknown size (WHIP): the answer lets the sender go to the top, the REMB holds it to
   * 640x480's until the first keyframe says 320x240, then to that. */
  if (connect_pair(&h, NULL)) {
    const char *answer = NULL;
    CHECK(brtc_pc_create_answer(h.pc, &answer, NULL, 0) == BRTC_OK);
    CHECK(strstr(answer, "x-google-start-bitrate=1500;x-google-max-bitrate=20000\r\n") != NULL);
    const sim_peer_stats *ss = sim_peer_get_stats(h.sim);
    CHECK(sim_peer_send_frame_on(h.sim, 0, small_frames[0], small_lens[0], 3000) == BRTC_OK);
    h_run_for(&h, 100000);
    CHECK(h.n_frames >= 1);
    CHECK(ss->rembs_received >= 1); /* the first may already carry the keyframe's size */
    CHECK_EQ_INT(ss->last_remb_bps, 880000);
    free_frames(&h);
  }
  h_stop(&h);

  /* Configured: fixed, whatever the keyframe says. */
  h_max_video_bps = 4000000;
  ok = connect_pair(&h, NULL);
  h_max_video_bps = 0;
  if (ok) {
    CHECK(sim_peer_send_frame_on(h.sim, 0, small_frames[0], small_lens[0], 3000) == BRTC_OK);
    h_run_for(&h, 100000);
    CHECK_EQ_INT(sim_peer_get_stats(h.sim)->last_remb_bps, 4000000);
    free_frames(&h);
  }
  h_stop(&h);
}

int main(void) {
  if (h_encode_vp8(320, 240, 4, small_frames, small_lens, small_key) < 4 ||
      h_encode_vp8(1280, 720, 4, large_frames, large_lens, large_key) < 4) {
    fprintf(stderr, "cannot encode VP8 test frames\n");
    return 1;
  }
  RUN(test_two_videos);
  RUN(test_payload_type_fallback);
  RUN(test_keyframe_request_every_track);
  RUN(test_bitrate_follows_size);
  for (int i = 0; i < 4; i++) {
    free(small_frames[i]);
    free(large_frames[i]);
  }
  return TEST_REPORT();
}
