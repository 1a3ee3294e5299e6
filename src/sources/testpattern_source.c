/* The test pattern as a source: frame k of the frame-rate grid is due k / fps after the
 * start; a caller that comes late gets the latest due frame (a live picture skips, it does
 * not burst), drawn with the capture time it is taken at and encoded with libvpx. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "sources/playout.h"
#include "sources/source_impl.h"
#include "sources/testpattern.h"
#include "sources/vp8_encoder.h"

typedef struct testpattern_source {
  brtc_source base;
  brtc_vp8_encoder *enc;
  uint8_t *picture; /* I420, packed planes */
  uint8_t *planes[3];
  int strides[3];
  unsigned w, h, fps_num, fps_den;
  brtc_playout clock;
  uint64_t next;    /* the next frame number on the grid */
  bool keyframe_wanted;
  int64_t wallclock_offset_us;
} testpattern_source;

static uint64_t frame_ts(const testpattern_source *t, uint64_t k) {
  uint64_t ts = 0;
  brtc_rescale(k, 90000ull * t->fps_den, t->fps_num, &ts);
  return ts;
}

static int64_t tp_next_due(brtc_source *s, int64_t now_us) {
  testpattern_source *t = (testpattern_source *)s;
  return brtc_playout_due(&t->clock, frame_ts(t, t->next), now_us);
}

static int tp_take(brtc_source *s, int64_t now_us, brtc_source_frame *out) {
  testpattern_source *t = (testpattern_source *)s;
  if (now_us < brtc_playout_due(&t->clock, frame_ts(t, t->next), now_us)) return BRTC_ERR_AGAIN;
  /* The latest frame already due: estimate from the elapsed time, then settle exactly. */
  uint64_t elapsed = (uint64_t)(now_us - t->clock.anchor_us), k = t->next, guess = 0;
  if (brtc_rescale(elapsed, t->fps_num, 1000000ull * t->fps_den, &guess) && guess > k) k = guess;
  while (k > t->next && brtc_playout_due(&t->clock, frame_ts(t, k), now_us) > now_us) k--;
  while (brtc_playout_due(&t->clock, frame_ts(t, k + 1), now_us) <= now_us) k++;
  s->stats.frames_skipped += k - t->next;
  int64_t capture_ms = (now_us + t->wallclock_offset_us) / 1000;
  brtc_testpattern_draw(t->planes, t->strides, t->w, t->h, (uint32_t)k,
                        capture_ms < 0 ? 0 : (uint64_t)capture_ms);
  const uint8_t *data;
  size_t len;
  bool key;
  int rc = brtc_vp8_encoder_encode(t->enc, t->planes, t->strides, k, t->keyframe_wanted, &data,
                                   &len, &key);
  t->next = k + 1;
  if (rc < 0) return rc; /* BRTC_ERR_AGAIN if libvpx made nothing */
  if (key) t->keyframe_wanted = false;
  *out = (brtc_source_frame){
      .data = data,
      .len = len,
      .timestamp = frame_ts(t, k),
      .duration = (uint32_t)(frame_ts(t, k + 1) - frame_ts(t, k)),
      .due_us = brtc_playout_due(&t->clock, frame_ts(t, k), now_us),
      .capture_us = now_us,
      .keyframe = key,
      .width = (uint16_t)t->w,
      .height = (uint16_t)t->h,
      .frame_number = k,
  };
  s->stats.frames++;
  s->stats.keyframes += key;
  return 0;
}

static int tp_request_keyframe(brtc_source *s) {
  s->stats.keyframe_requests++;
  ((testpattern_source *)s)->keyframe_wanted = true;
  return 0;
}

static int tp_set_bitrate(brtc_source *s, uint32_t bps) {
  return brtc_vp8_encoder_set_bitrate(((testpattern_source *)s)->enc, bps);
}

static void tp_free(brtc_source *s) {
  testpattern_source *t = (testpattern_source *)s;
  brtc_vp8_encoder_free(t->enc);
  free(t->picture);
  free(t);
}

static const brtc_source_ops testpattern_ops = {
    .next_due = tp_next_due,
    .take = tp_take,
    .request_keyframe = tp_request_keyframe,
    .set_bitrate = tp_set_bitrate,
    .fd = brtc_source_no_fd,
    .free = tp_free,
};

int brtc_testpattern_source_new(const brtc_source_options *o, brtc_source **out, char *err,
                                size_t err_cap) {
  *out = NULL;
  unsigned w = o->width, h = o->height;
  unsigned fps_num = o->fps_num ? o->fps_num : 30, fps_den = o->fps_num ? o->fps_den : 1;
  if (w < BRTC_TESTPATTERN_MIN_WIDTH || h < BRTC_TESTPATTERN_MIN_HEIGHT || w > 4096 ||
      h > 4096 || (w | h) & 1 || !fps_den || fps_num > 240ull * fps_den || fps_num < fps_den) {
    snprintf(err, err_cap, "testpattern: %ux%u at %u/%u fps: even sizes from %ux%u to 4096x4096, "
             "1 to 240 fps", w, h, fps_num, fps_den, BRTC_TESTPATTERN_MIN_WIDTH,
             BRTC_TESTPATTERN_MIN_HEIGHT);
    return BRTC_ERR_INVALID;
  }
  testpattern_source *t = calloc(1, sizeof(*t));
  size_t luma = (size_t)w * h, chroma = luma / 4;
  if (!t || !(t->picture = malloc(luma + 2 * chroma))) {
    free(t);
    snprintf(err, err_cap, "out of memory");
    return BRTC_ERR_NOMEM;
  }
  brtc_vp8_encoder_config ec = {.width = w, .height = h, .fps_num = fps_num,
                                .fps_den = fps_den, .bitrate_bps = o->bitrate_bps,
                                .keyframe_interval = o->keyframe_interval};
  if (!(t->enc = brtc_vp8_encoder_new(&ec, err, err_cap))) {
    free(t->picture);
    free(t);
    return BRTC_ERR_INVALID;
  }
  t->planes[0] = t->picture;
  t->planes[1] = t->picture + luma;
  t->planes[2] = t->picture + luma + chroma;
  t->strides[0] = (int)w;
  t->strides[1] = t->strides[2] = (int)(w / 2);
  t->w = w;
  t->h = h;
  t->fps_num = fps_num;
  t->fps_den = fps_den;
  t->wallclock_offset_us = o->wallclock_offset_us;
  brtc_playout_init(&t->clock, 90000, o->max_late_us);
  t->base.ops = &testpattern_ops;
  t->base.codec = BRTC_SOURCE_VP8;
  t->base.clock_rate = 90000;
  snprintf(t->base.description, sizeof(t->base.description),
           "test pattern VP8 %ux%u at %.2f fps, %u kbps, barcode with capture time", w, h,
           (double)fps_num / fps_den, o->bitrate_bps / 1000);
  *out = &t->base;
  return 0;
}
