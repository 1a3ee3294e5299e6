/* Asking a V4L2 device what it offers, and choosing from it. */
#include "sources/v4l2_negotiate.h"

#include <linux/videodev2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "boltrtc/error.h"

const char *brtc_v4l2_fourcc_str(uint32_t f, char buf[5]) {
  for (int i = 0; i < 4; i++) {
    char c = (char)((f >> (8 * i)) & 0xff);
    buf[i] = c >= 32 && c < 127 ? c : '?';
  }
  buf[4] = 0;
  return buf;
}

/* Lower is better among the formats that need work on our side. */
static int raw_rank(uint32_t f) {
  switch (f) {
    case V4L2_PIX_FMT_YUV420: return 0;
    case V4L2_PIX_FMT_NV12: return 1;
    case V4L2_PIX_FMT_YUYV: return 2;
    case V4L2_PIX_FMT_MJPEG: return 3;
    case V4L2_PIX_FMT_JPEG: return 4;
    default: return -1;
  }
}

static bool usable(uint32_t f) { return f == V4L2_PIX_FMT_H264 || raw_rank(f) >= 0; }

static unsigned distance(unsigned w, unsigned h, unsigned ww, unsigned wh) {
  return (w > ww ? w - ww : ww - w) + (h > wh ? h - wh : wh - h);
}

/* Clamp to [min, max] and onto the step grid from min. */
static unsigned on_grid(unsigned want, unsigned min, unsigned max, unsigned step) {
  if (want < min) want = min;
  if (want > max) want = max;
  if (step > 1) want = min + (want - min) / step * step;
  return want;
}

static void choose_size(const brtc_v4l2_io *io, int fd, brtc_v4l2_candidate *c, unsigned ww,
                        unsigned wh) {
  c->width = ww;
  c->height = wh;
  unsigned best = UINT32_MAX;
  for (unsigned i = 0; i < 256; i++) {
    struct v4l2_frmsizeenum fs = {.index = i, .pixel_format = c->fourcc};
    if (io->ioctl(io->ctx, fd, VIDIOC_ENUM_FRAMESIZES, &fs) < 0) break;
    if (fs.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
      unsigned d = distance(fs.discrete.width, fs.discrete.height, ww, wh);
      /* Ties go to the larger picture. */
      if (d < best || (d == best && fs.discrete.width > c->width)) {
        best = d;
        c->width = fs.discrete.width;
        c->height = fs.discrete.height;
        c->size_known = true;
      }
    } else { /* stepwise or continuous: one range */
      c->width = on_grid(ww, fs.stepwise.min_width, fs.stepwise.max_width, fs.stepwise.step_width);
      c->height =
          on_grid(wh, fs.stepwise.min_height, fs.stepwise.max_height, fs.stepwise.step_height);
      c->size_known = true;
      break;
    }
  }
}

static void choose_rate(const brtc_v4l2_io *io, int fd, brtc_v4l2_candidate *c) {
  for (unsigned i = 0; i < 256; i++) {
    struct v4l2_frmivalenum fi = {.index = i, .pixel_format = c->fourcc, .width = c->width,
                                  .height = c->height};
    if (io->ioctl(io->ctx, fd, VIDIOC_ENUM_FRAMEINTERVALS, &fi) < 0) break;
    struct v4l2_fract t = fi.type == V4L2_FRMIVAL_TYPE_DISCRETE ? fi.discrete : fi.stepwise.min;
    if (!t.numerator || !t.denominator) continue;
    /* The shortest interval is the highest rate: compare den/num across entries. */
    if (!c->fps_num || (uint64_t)t.denominator * c->fps_den > (uint64_t)c->fps_num * t.numerator) {
      c->fps_num = t.denominator;
      c->fps_den = t.numerator;
    }
    if (fi.type != V4L2_FRMIVAL_TYPE_DISCRETE) break;
  }
}

int brtc_v4l2_enumerate(const brtc_v4l2_io *io, int fd, unsigned width, unsigned height,
                        brtc_v4l2_offer *out) {
  memset(out, 0, sizeof(*out));
  for (unsigned i = 0; i < 64 && out->count < BRTC_V4L2_MAX_FORMATS; i++) {
    struct v4l2_fmtdesc fd_desc = {.index = i, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
    if (io->ioctl(io->ctx, fd, VIDIOC_ENUM_FMT, &fd_desc) < 0) break;
    if (!usable(fd_desc.pixelformat)) continue;
    brtc_v4l2_candidate *c = &out->formats[out->count++];
    *c = (brtc_v4l2_candidate){.fourcc = fd_desc.pixelformat};
    choose_size(io, fd, c, width, height);
    choose_rate(io, fd, c);
  }
  return 0;
}

static uint32_t named(const char *prefer) {
  if (!prefer || !strcasecmp(prefer, "auto")) return 0;
  if (!strcasecmp(prefer, "h264")) return V4L2_PIX_FMT_H264;
  if (!strcasecmp(prefer, "i420") || !strcasecmp(prefer, "yu12")) return V4L2_PIX_FMT_YUV420;
  if (!strcasecmp(prefer, "nv12")) return V4L2_PIX_FMT_NV12;
  if (!strcasecmp(prefer, "yuyv")) return V4L2_PIX_FMT_YUYV;
  if (!strcasecmp(prefer, "mjpeg") || !strcasecmp(prefer, "mjpg")) return V4L2_PIX_FMT_MJPEG;
  return UINT32_MAX;
}

static bool reaches(const brtc_v4l2_candidate *c, unsigned fps_num, unsigned fps_den) {
  if (!c->fps_num) return true; /* not enumerated: assume it does */
  return (uint64_t)c->fps_num * fps_den >= (uint64_t)fps_num * c->fps_den;
}

int brtc_v4l2_choose(const brtc_v4l2_offer *offer, const char *prefer, unsigned width,
                     unsigned height, unsigned fps_num, unsigned fps_den, size_t *index) {
  uint32_t want = named(prefer);
  if (want == UINT32_MAX) return BRTC_ERR_INVALID;
  for (size_t i = 0; i < offer->count; i++) {
    if (want ? offer->formats[i].fourcc == want
             : offer->formats[i].fourcc == V4L2_PIX_FMT_H264) {
      *index = i;
      return 0;
    }
  }
  if (want) return BRTC_ERR_UNSUPPORTED;
  bool found = false;
  size_t best = 0;
  for (size_t i = 0; i < offer->count; i++) {
    const brtc_v4l2_candidate *c = &offer->formats[i], *b = &offer->formats[best];
    if (raw_rank(c->fourcc) < 0) continue;
    if (!found) {
      found = true;
      best = i;
      continue;
    }
    bool cr = reaches(c, fps_num, fps_den), br = reaches(b, fps_num, fps_den);
    unsigned cd = distance(c->width, c->height, width, height),
             bd = distance(b->width, b->height, width, height);
    if (cr != br ? cr : cd != bd ? cd < bd : raw_rank(c->fourcc) < raw_rank(b->fourcc)) best = i;
  }
  if (!found) return BRTC_ERR_UNSUPPORTED;
  *index = best;
  return 0;
}
