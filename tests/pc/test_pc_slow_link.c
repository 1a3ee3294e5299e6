/* A device's large keyframe meets a slow link (use 2 of DEVELOPERS.md): two boltrtc pcs in
 * memory (pc_pair.h), side 0 sends a camera the way an encoder would, side 1 receives. The
 * track's ceiling is 120 kbit/s, so the pacer paces at 300 kbit/s, through a 400 kbit/s
 * bottleneck; the first keyframe is 300 KB (8 s of pacing), deltas 500 B at 30 fps; VP8,
 * and H.264 as a Raspberry Pi's hardware encoder makes it.
 *
 * The loop this guards against: the keyframe holds the pacer's queue over its bound for
 * seconds; deltas encoded meanwhile are refused after encoding (their references broken), so
 * another keyframe is asked for, queued behind, and so on: a slide show of keyframes. A
 * healthy sender tells the encoder to skip frames before encoding while the queue is long
 * (brtc_track_should_skip_frame), and does not ask again for the keyframe still queued. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "pc_pair.h"
#include "testing.h"

#define FRAME_US 33333u
#define KEY_BYTES 300000u
#define DELTA_BYTES 500u
#define RUN_S 30u
#define FRAMES (RUN_S * 1000000u / FRAME_US)

static bool h264; /* the camera's codec: H.264 (a Raspberry Pi's hardware encoder) or VP8 */

/* An SPS (baseline, level 3.0) and a PPS with no zero byte in them, from tests/codec. */
static const uint8_t sps[] = {0x00, 0x00, 0x00, 0x01, 0x67, 0x42, 0xc0, 0x1e, 0x8c, 0x8d,
                              0x40, 0x52, 0x1f, 0xf1, 0x11, 0x10, 0x0f, 0x08, 0x84, 0x6a};
static const uint8_t pps[] = {0x00, 0x00, 0x00, 0x01, 0x68, 0xce, 0x3c, 0x80};

/* An H.264 access unit in Annex-B form (RFC 6184 wants no more than that): SPS, PPS and an
 * IDR slice, or a non-IDR slice; its filler is never zero, so no start code appears. */
static size_t make_h264(bool key, uint8_t *out, size_t len) {
  size_t k = 0;
  if (key) {
    memcpy(out, sps, sizeof sps);
    memcpy(out + sizeof sps, pps, sizeof pps);
    k = sizeof sps + sizeof pps;
  }
  static const uint8_t slice[2][6] = {{0, 0, 0, 1, 0x41, 0x88}, {0, 0, 0, 1, 0x65, 0x88}};
  memcpy(out + k, slice[key], sizeof slice[key]);
  memset(out + k + sizeof slice[key], 0x55, len - k - sizeof slice[key]);
  return len;
}

/* A VP8 frame (RFC 6386 9.1: tag, and for a keyframe start code and a 320x240 size), or an
 * H.264 one. */
static size_t make_frame(bool key, unsigned i, uint8_t *out) {
  size_t len = key ? KEY_BYTES : DELTA_BYTES;
  if (h264) return make_h264(key, out, len);
  memset(out, (int)(i & 0x7f), len);
  out[0] = key ? 0x10 : 0x11;
  out[1] = out[2] = 0;
  if (key) {
    static const uint8_t head[7] = {0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00};
    memcpy(out + 3, head, sizeof head);
  }
  return len;
}

typedef struct device {
  unsigned keyframes, deltas, skipped;
  unsigned refused; /* after the first keyframe went (before it, the transport is not up) */
} device;

/* One camera frame: a keyframe when one was asked for, nothing while the pc says to skip,
 * a delta otherwise. */
static void camera_frame(pp *p, device *d, unsigned i, bool honour_skip) {
  static uint8_t frame[KEY_BYTES];
  pp_side *s = &p->s[0];
  brtc_track *t = s->tracks[0];
  bool key = s->key_wanted[0];
  if (honour_skip && brtc_track_should_skip_frame(t)) {
    d->skipped++;
    return;
  }
  size_t len = make_frame(key, i, frame);
  int rc = brtc_track_send_frame(t, p->now, frame, len, p->now, 0);
  if (rc == BRTC_OK) {
    if (key) s->key_wanted[0] = false;
    if (key) d->keyframes++;
    else d->deltas++;
  } else {
    CHECK_EQ_INT(rc, BRTC_ERR_AGAIN);
    d->refused += d->keyframes > 0;
  }
  pp_drain(p, 0);
}

static void report(const pp *p, const brtc_track *t, const device *d) {
  brtc_track_send_stats st = {.size = sizeof st};
  CHECK_EQ_INT(brtc_track_get_send_stats(t, &st), BRTC_OK);
  fprintf(stderr,
          "  %s %us: asked for %u keyframes, sent %u (+%u deltas, %u skipped, %u refused);"
          " pli %llu; received %u frames, %u keyframes; link drops %llu\n",
          h264 ? "H264" : "VP8", RUN_S, p->s[0].keyframe_requests, d->keyframes, d->deltas, d->skipped, d->refused,
          (unsigned long long)st.pli_count, p->s[1].frames_any, p->s[1].keyframes_any,
          (unsigned long long)p->link_dropped[0]);
  CHECK(p->s[0].dtls_connected && p->s[1].dtls_connected);
}

/* Side 0 sends a sendonly VP8 track at a 120 kbit/s ceiling through a 400 kbit/s link, a
 * camera frame every 33 ms for RUN_S seconds; what happened is printed. */
static pp *slow_call(device *d, bool honour_skip) {
  pp *p = pp_new();
  brtc_track *t = pp_add_video_codec(p, 0, BRTC_DIRECTION_SENDONLY, h264 ? "H264" : "VP8");
  CHECK_EQ_INT(brtc_track_set_bitrate_bounds(t, 0, 120000), BRTC_OK);
  p->s[0].paused[0] = true; /* the frames are ours, not the pump's */
  pp_set_link(p, 400000, 1000000);
  char err[256] = "";
  CHECK_EQ_INT(pp_negotiate(p, 0, err, sizeof err), BRTC_OK);
  for (unsigned i = 0; i < FRAMES; i++) {
    camera_frame(p, d, i, honour_skip);
    pp_run(p, FRAME_US);
  }
  report(p, t, d);
  return p;
}

static void test_big_keyframe_slow_link(void) {
  device d = {0};
  pp *p = slow_call(&d, true);
  const pp_side *rx = &p->s[1];
  /* The first keyframe, and at most a couple more: no loop. */
  CHECK(p->s[0].keyframe_requests <= 3);
  CHECK(d.keyframes <= 3);
  CHECK_EQ_INT(d.refused, 0);
  /* Once it is through (about 8 s), deltas flow: most of the remaining 22 s of frames. */
  CHECK(rx->frames_any >= 500);
  CHECK(rx->keyframes_any >= 1 && rx->keyframes_any <= 3);
  pp_free(p);
}

/* The same from a hardware H.264 encoder: the same send path after the packetizer. */
static void test_big_keyframe_slow_link_h264(void) {
  h264 = true;
  test_big_keyframe_slow_link();
  h264 = false;
}

/* A program that encodes every frame regardless: its deltas behind the keyframe are refused
 * (the decoder's chain is broken: a keyframe is needed), but it is asked for that keyframe
 * only once the queue can take it, not every 300 ms while the first is still paced out. */
static void test_skip_ignored(void) {
  device d = {0};
  pp *p = slow_call(&d, false);
  /* 8 s each: four fit in 30 s; every request but the last was answered by one that went. */
  CHECK(d.keyframes >= 3 && d.keyframes <= 4);
  CHECK(p->s[0].keyframe_requests <= d.keyframes + 1);
  pp_free(p);
}

int main(void) {
  RUN(test_big_keyframe_slow_link);
  RUN(test_big_keyframe_slow_link_h264);
  RUN(test_skip_ignored);
  pp_cleanup();
  return TEST_REPORT();
}
