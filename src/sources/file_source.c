/* Plays an index of frames: pacing from timestamps, looping, keyframe jumps. */
#include "sources/file_source.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "sources/playout.h"
#include "sources/source_impl.h"

int brtc_frame_index_add(brtc_frame_index *ix, size_t offset, size_t len, uint64_t ts,
                         bool keyframe) {
  if (len > BRTC_SOURCE_MAX_FRAME_BYTES) return BRTC_ERR_TOO_BIG;
  if (ix->count && ts < ix->frames[ix->count - 1].ts) return BRTC_ERR_PARSE;
  if (ix->count == ix->cap) {
    size_t cap = ix->cap ? ix->cap * 2 : 64;
    brtc_indexed_frame *f = realloc(ix->frames, cap * sizeof(*f));
    if (!f) return BRTC_ERR_NOMEM;
    ix->frames = f;
    ix->cap = cap;
  }
  ix->frames[ix->count++] =
      (brtc_indexed_frame){.offset = offset, .len = (uint32_t)len, .ts = ts, .keyframe = keyframe};
  ix->keyframes += keyframe;
  return 0;
}

void brtc_frame_index_finish(brtc_frame_index *ix, uint64_t default_step) {
  if (!ix->count) return;
  uint64_t last = ix->frames[ix->count - 1].ts, step = default_step;
  if (ix->count > 1 && last > ix->frames[ix->count - 2].ts) step = last - ix->frames[ix->count - 2].ts;
  if (step == 0) step = 1;
  if (ix->duration <= last) ix->duration = last + step;
}

void brtc_frame_index_free(brtc_frame_index *ix) {
  free(ix->data);
  free(ix->frames);
  memset(ix, 0, sizeof(*ix));
}

int brtc_frame_index_fail(brtc_frame_index *ix, int rc, char *err, size_t err_cap,
                          const char *fmt, ...) {
  if (err && err_cap) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_cap, fmt, ap);
    va_end(ap);
  }
  brtc_frame_index_free(ix);
  return rc;
}

typedef struct file_source {
  brtc_source base;
  brtc_frame_index ix;
  brtc_playout clock;
  bool loop, ended, keyframe_wanted;
  size_t next;      /* the next frame to hand out */
  int64_t offset;   /* media time of a frame = its ts in the file + offset */
} file_source;

static uint64_t media_ts(const file_source *f, size_t i) {
  return (uint64_t)((int64_t)f->ix.frames[i].ts + f->offset);
}

static int64_t fs_next_due(brtc_source *s, int64_t now_us) {
  file_source *f = (file_source *)s;
  if (f->ended) return BRTC_SOURCE_NEVER;
  return brtc_playout_due(&f->clock, media_ts(f, f->next), now_us);
}

/* A keyframe was asked for: go straight to the next keyframe in the file, in loop order, and
 * give it the media time of the frame it replaces, so time runs on without a gap. The
 * frames skipped are useless to a receiver that lost its reference anyway. A file with a
 * single keyframe thus starts again from the top: the honest answer, short of decoding and
 * re-encoding, and it reaches the receiver at once instead of after a whole loop. */
static void jump_to_keyframe(file_source *f) {
  size_t n = f->ix.count, j = f->next;
  for (size_t step = 1; step <= n; step++) {
    size_t k = (f->next + step) % n;
    if (k == 0 && !f->loop) return; /* nothing ahead: the next keyframe never comes */
    if (f->ix.frames[k].keyframe) {
      j = k;
      break;
    }
  }
  if (j == f->next) return;
  if (j < f->next) f->base.stats.loops++;
  f->offset = (int64_t)media_ts(f, f->next) - (int64_t)f->ix.frames[j].ts;
  f->next = j;
  f->base.stats.keyframe_jumps++;
}

static int fs_take(brtc_source *s, int64_t now_us, brtc_source_frame *out) {
  file_source *f = (file_source *)s;
  if (f->ended) return BRTC_ERR_NOT_FOUND;
  uint64_t ts = media_ts(f, f->next);
  if (now_us < brtc_playout_due(&f->clock, ts, now_us)) return BRTC_ERR_AGAIN;
  if (f->keyframe_wanted && !f->ix.frames[f->next].keyframe) {
    jump_to_keyframe(f);
    ts = media_ts(f, f->next);
  }
  if (brtc_playout_catch_up(&f->clock, ts, now_us)) f->base.stats.reanchors++;
  const brtc_indexed_frame *fr = &f->ix.frames[f->next];
  *out = (brtc_source_frame){
      .data = f->ix.data + fr->offset,
      .len = fr->len,
      .timestamp = ts,
      .due_us = brtc_playout_due(&f->clock, ts, now_us),
      .keyframe = fr->keyframe && s->codec != BRTC_SOURCE_OPUS,
      .width = f->ix.width,
      .height = f->ix.height,
      .frame_number = f->base.stats.frames,
  };
  out->capture_us = out->due_us;
  if (out->keyframe) f->keyframe_wanted = false;
  f->next++;
  if (f->next == f->ix.count) {
    out->duration = (uint32_t)(f->ix.duration - fr->ts);
    if (f->loop) {
      f->next = 0;
      f->offset += (int64_t)f->ix.duration;
      f->base.stats.loops++;
    } else {
      f->ended = true;
    }
  } else {
    out->duration = (uint32_t)(f->ix.frames[f->next].ts - fr->ts);
  }
  f->base.stats.frames++;
  f->base.stats.keyframes += out->keyframe;
  return 0;
}

static int fs_request_keyframe(brtc_source *s) {
  file_source *f = (file_source *)s;
  if (s->codec == BRTC_SOURCE_OPUS) return BRTC_ERR_UNSUPPORTED;
  s->stats.keyframe_requests++;
  f->keyframe_wanted = true;
  return 0;
}

static int fs_set_bitrate(brtc_source *s, uint32_t bps) {
  (void)s;
  (void)bps;
  return BRTC_ERR_UNSUPPORTED;
}

static void fs_free(brtc_source *s) {
  file_source *f = (file_source *)s;
  brtc_frame_index_free(&f->ix);
  free(f);
}

static const brtc_source_ops file_source_ops = {
    .next_due = fs_next_due,
    .take = fs_take,
    .request_keyframe = fs_request_keyframe,
    .set_bitrate = fs_set_bitrate,
    .fd = brtc_source_no_fd,
    .free = fs_free,
};

int brtc_file_source_new(brtc_frame_index *ix, brtc_source_codec codec, uint32_t clock_rate,
                         uint8_t channels, const brtc_source_options *o,
                         const char *description, brtc_source **out) {
  *out = NULL;
  if (!ix->count || ix->duration <= ix->frames[ix->count - 1].ts ||
      (codec != BRTC_SOURCE_OPUS && !ix->frames[0].keyframe)) {
    brtc_frame_index_free(ix);
    return BRTC_ERR_INVALID;
  }
  file_source *f = calloc(1, sizeof(*f));
  if (!f) {
    brtc_frame_index_free(ix);
    return BRTC_ERR_NOMEM;
  }
  f->base.ops = &file_source_ops;
  f->base.codec = codec;
  f->base.clock_rate = clock_rate;
  f->base.channels = channels;
  snprintf(f->base.description, sizeof(f->base.description), "%s", description);
  f->ix = *ix;
  memset(ix, 0, sizeof(*ix));
  f->loop = o->loop;
  brtc_playout_init(&f->clock, clock_rate, o->max_late_us);
  *out = &f->base;
  return 0;
}
