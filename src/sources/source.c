/* The source table's calls, the defaults, and picking a source by its spec. */
#include "sources/source.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "boltrtc/error.h"
#include "sources/file_read.h"
#include "sources/source_impl.h"

const char *brtc_source_codec_name(brtc_source_codec codec) {
  switch (codec) {
    case BRTC_SOURCE_VP8: return "VP8";
    case BRTC_SOURCE_H264: return "H264";
    case BRTC_SOURCE_OPUS: return "opus";
  }
  return "?";
}

void brtc_source_options_default(brtc_source_options *o) {
  *o = (brtc_source_options){
      .width = 640,
      .height = 480,
      .bitrate_bps = 1000000,
      .keyframe_interval = 0,
      .loop = true,
      .max_late_us = 250000,
      .max_file_bytes = 256u * 1024 * 1024,
      .camera_format = "auto",
  };
}

int64_t brtc_source_wallclock_offset(void) {
  struct timespec real, mono;
  clock_gettime(CLOCK_REALTIME, &real);
  clock_gettime(CLOCK_MONOTONIC, &mono);
  return ((int64_t)real.tv_sec - mono.tv_sec) * 1000000 + (real.tv_nsec - mono.tv_nsec) / 1000;
}

int brtc_source_no_fd(const brtc_source *s) {
  (void)s;
  return -1;
}

int brtc_source_error(char *err, size_t err_cap, int rc, const char *fmt, ...) {
  if (err && err_cap) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_cap, fmt, ap);
    va_end(ap);
  }
  return rc;
}

int brtc_source_open(const char *spec, const brtc_source_options *o, brtc_source **out,
                     char *err, size_t err_cap) {
  char scratch[1];
  if (!err || !err_cap) {
    err = scratch;
    err_cap = sizeof(scratch);
  }
  err[0] = 0;
  *out = NULL;
  brtc_source_options defaults;
  if (!o) {
    brtc_source_options_default(&defaults);
    o = &defaults;
  }
  if (!spec || !*spec) {
    snprintf(err, err_cap, "no source given");
    return BRTC_ERR_INVALID;
  }
  if (o->fps_num && (!o->fps_den || o->fps_num < o->fps_den || o->fps_num > 240ull * o->fps_den)) {
    snprintf(err, err_cap, "frame rate %u/%u: from 1 to 240 fps", o->fps_num, o->fps_den);
    return BRTC_ERR_INVALID;
  }
  if (strcmp(spec, "testpattern") == 0) return brtc_testpattern_source_new(o, out, err, err_cap);
  if (strncmp(spec, "/dev/video", 10) == 0)
    return brtc_camera_source_open(spec, o, out, err, err_cap);
  uint8_t *buf;
  size_t len;
  int rc = brtc_read_file(spec, o->max_file_bytes, &buf, &len, err, err_cap);
  if (rc < 0) return rc;
  return brtc_file_source_open_buffer(spec, buf, len, o, out, err, err_cap);
}

int64_t brtc_source_next_due(brtc_source *s, int64_t now_us) {
  return s->ops->next_due(s, now_us);
}

int brtc_source_take(brtc_source *s, int64_t now_us, brtc_source_frame *out) {
  return s->ops->take(s, now_us, out);
}

int brtc_source_request_keyframe(brtc_source *s) { return s->ops->request_keyframe(s); }

int brtc_source_set_bitrate(brtc_source *s, uint32_t bps) { return s->ops->set_bitrate(s, bps); }

int brtc_source_fd(const brtc_source *s) { return s->ops->fd(s); }

void brtc_source_get_stats(const brtc_source *s, brtc_source_stats *out) { *out = s->stats; }

void brtc_source_free(brtc_source *s) {
  if (s) s->ops->free(s);
}
