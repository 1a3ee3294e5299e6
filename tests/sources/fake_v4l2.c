/* The ioctls a capture uses, answered from memory. */
#include "fake_v4l2.h"

#include <errno.h>
#include <linux/videodev2.h>
#include <stdlib.h>
#include <string.h>

#define FAKE_FD 4242
#define OFFSET_STEP 0x100000

static fake_v4l2_format *find(fake_v4l2 *f, uint32_t fourcc) {
  for (unsigned i = 0; i < f->nformats; i++)
    if (f->formats[i].fourcc == fourcc) return &f->formats[i];
  return NULL;
}

static int f_open(void *ctx, const char *path) {
  fake_v4l2 *f = ctx;
  (void)path;
  f->is_open = true;
  return FAKE_FD;
}

static int f_close(void *ctx, int fd) {
  fake_v4l2 *f = ctx;
  (void)fd;
  f->is_open = false;
  f->closes++;
  return 0;
}

static void *f_mmap(void *ctx, int fd, size_t len, off_t offset) {
  fake_v4l2 *f = ctx;
  (void)fd;
  unsigned i = (unsigned)(offset / OFFSET_STEP);
  if (i >= f->nbufs || len != f->len[i]) return NULL;
  f->maps++;
  return f->mem[i];
}

static int f_munmap(void *ctx, void *addr, size_t len) {
  fake_v4l2 *f = ctx;
  (void)addr;
  (void)len;
  f->unmaps++;
  return 0;
}

static void free_bufs(fake_v4l2 *f) {
  for (unsigned i = 0; i < f->nbufs; i++) free(f->mem[i]);
  f->nbufs = f->nqueued = f->ndone = 0;
}

static void set_format(fake_v4l2 *f, struct v4l2_pix_format *p) {
  fake_v4l2_format *fmt = find(f, f->force_fourcc ? f->force_fourcc : p->pixelformat);
  if (!fmt) fmt = &f->formats[0];
  unsigned w = p->width, h = p->height;
  if (fmt->nsizes) { /* the driver takes its nearest discrete size */
    unsigned best = UINT32_MAX;
    for (unsigned i = 0; i < fmt->nsizes; i++) {
      unsigned d = (unsigned)abs((int)fmt->sizes[i][0] - (int)p->width) +
                   (unsigned)abs((int)fmt->sizes[i][1] - (int)p->height);
      if (d < best) {
        best = d;
        w = fmt->sizes[i][0];
        h = fmt->sizes[i][1];
      }
    }
  }
  f->fourcc = fmt->fourcc;
  f->width = w;
  f->height = h;
  switch (f->fourcc) {
    case V4L2_PIX_FMT_YUYV: f->bytesperline = 2 * w; f->sizeimage = 2 * w * h; break;
    case V4L2_PIX_FMT_YUV420:
    case V4L2_PIX_FMT_NV12: f->bytesperline = w; f->sizeimage = w * h * 3 / 2; break;
    default: f->bytesperline = 0; f->sizeimage = w * h * 2; break;
  }
  p->pixelformat = f->fourcc;
  p->width = w;
  p->height = h;
  p->bytesperline = f->bytesperline;
  p->sizeimage = f->sizeimage;
  p->field = V4L2_FIELD_NONE;
}

static int f_ioctl(void *ctx, int fd, unsigned long req, void *arg) {
  fake_v4l2 *f = ctx;
  if (fd != FAKE_FD || !f->is_open) return -EBADF;
  switch (req) {
    case VIDIOC_QUERYCAP: {
      struct v4l2_capability *c = arg;
      memset(c, 0, sizeof(*c));
      strcpy((char *)c->card, "fake camera");
      c->capabilities = f->caps | V4L2_CAP_DEVICE_CAPS;
      c->device_caps = f->caps;
      return 0;
    }
    case VIDIOC_ENUM_FMT: {
      struct v4l2_fmtdesc *d = arg;
      if (d->index >= f->nformats) return -EINVAL;
      d->pixelformat = f->formats[d->index].fourcc;
      return 0;
    }
    case VIDIOC_ENUM_FRAMESIZES: {
      struct v4l2_frmsizeenum *s = arg;
      fake_v4l2_format *fmt = find(f, s->pixel_format);
      if (!fmt) return -EINVAL;
      if (!fmt->nsizes) {
        if (s->index) return -EINVAL;
        s->type = V4L2_FRMSIZE_TYPE_STEPWISE;
        s->stepwise = (struct v4l2_frmsize_stepwise){16, 1920, 2, 16, 1080, 2};
        return 0;
      }
      if (s->index >= fmt->nsizes) return -EINVAL;
      s->type = V4L2_FRMSIZE_TYPE_DISCRETE;
      s->discrete.width = fmt->sizes[s->index][0];
      s->discrete.height = fmt->sizes[s->index][1];
      return 0;
    }
    case VIDIOC_ENUM_FRAMEINTERVALS: {
      struct v4l2_frmivalenum *i = arg;
      fake_v4l2_format *fmt = find(f, i->pixel_format);
      if (!fmt || i->index > 1) return -EINVAL;
      i->type = V4L2_FRMIVAL_TYPE_DISCRETE;
      i->discrete = (struct v4l2_fract){1, i->index ? fmt->fps / 2 : fmt->fps};
      return 0;
    }
    case VIDIOC_S_FMT: {
      struct v4l2_format *fm = arg;
      if (f->streaming) return -EBUSY;
      set_format(f, &fm->fmt.pix);
      return 0;
    }
    case VIDIOC_S_PARM: {
      struct v4l2_streamparm *p = arg;
      fake_v4l2_format *fmt = find(f, f->fourcc);
      unsigned want = p->parm.capture.timeperframe.numerator
                          ? p->parm.capture.timeperframe.denominator /
                                p->parm.capture.timeperframe.numerator
                          : 30;
      f->fps_set = fmt && want > fmt->fps ? fmt->fps : want;
      p->parm.capture.timeperframe = (struct v4l2_fract){1, f->fps_set};
      return 0;
    }
    case VIDIOC_S_CTRL: {
      struct v4l2_control *c = arg;
      if (c->id == V4L2_CID_MPEG_VIDEO_FORCE_KEY_FRAME && f->fourcc == V4L2_PIX_FMT_H264 &&
          !f->no_force_keyframe) {
        f->force_keyframes++;
        return 0;
      }
      if (c->id == V4L2_CID_MPEG_VIDEO_BITRATE && f->fourcc == V4L2_PIX_FMT_H264) {
        f->bitrate = c->value;
        return 0;
      }
      return -EINVAL;
    }
    case VIDIOC_REQBUFS: {
      struct v4l2_requestbuffers *r = arg;
      if (r->memory != V4L2_MEMORY_MMAP) return -EINVAL;
      free_bufs(f);
      if (r->count == 0) return 0;
      f->nbufs = r->count > FAKE_V4L2_MAX_BUFS ? FAKE_V4L2_MAX_BUFS : r->count;
      for (unsigned i = 0; i < f->nbufs; i++) {
        f->len[i] = f->sizeimage;
        f->mem[i] = calloc(1, f->len[i]);
      }
      r->count = f->nbufs;
      return 0;
    }
    case VIDIOC_QUERYBUF: {
      struct v4l2_buffer *b = arg;
      if (b->index >= f->nbufs) return -EINVAL;
      b->length = (uint32_t)f->len[b->index];
      b->m.offset = b->index * OFFSET_STEP;
      return 0;
    }
    case VIDIOC_QBUF: {
      struct v4l2_buffer *b = arg;
      if (b->index >= f->nbufs || f->nqueued == FAKE_V4L2_MAX_BUFS) return -EINVAL;
      f->queued[f->nqueued++] = b->index;
      return 0;
    }
    case VIDIOC_DQBUF: {
      struct v4l2_buffer *b = arg;
      if (!f->streaming) return -EINVAL;
      if (!f->ndone) return -EAGAIN;
      unsigned i = f->done[0];
      memmove(f->done, f->done + 1, --f->ndone * sizeof(unsigned));
      b->index = i;
      b->bytesused = f->bytesused[i];
      b->flags = f->flags[i] | V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC;
      b->timestamp.tv_sec = f->ts_us[i] / 1000000;
      b->timestamp.tv_usec = f->ts_us[i] % 1000000;
      return 0;
    }
    case VIDIOC_STREAMON:
      f->streaming = true;
      return 0;
    case VIDIOC_STREAMOFF:
      f->streaming = false;
      f->streamoffs++;
      return 0;
    default:
      return -ENOTTY;
  }
}

void fake_v4l2_init(fake_v4l2 *f) {
  memset(f, 0, sizeof(*f));
  f->io = (brtc_v4l2_io){.open = f_open, .close = f_close, .ioctl = f_ioctl, .mmap = f_mmap,
                         .munmap = f_munmap, .ctx = f};
  f->caps = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING;
}

void fake_v4l2_add_format(fake_v4l2 *f, uint32_t fourcc, unsigned w, unsigned h, unsigned fps) {
  fake_v4l2_format *fmt = find(f, fourcc);
  if (!fmt) {
    fmt = &f->formats[f->nformats++];
    *fmt = (fake_v4l2_format){.fourcc = fourcc, .fps = fps};
  }
  if (w && fmt->nsizes < 4) {
    fmt->sizes[fmt->nsizes][0] = w;
    fmt->sizes[fmt->nsizes][1] = h;
    fmt->nsizes++;
  }
}

bool fake_v4l2_push(fake_v4l2 *f, const uint8_t *data, size_t len, int64_t ts_us, uint32_t flags) {
  if (!f->nqueued) return false;
  unsigned i = f->queued[0];
  memmove(f->queued, f->queued + 1, --f->nqueued * sizeof(unsigned));
  if (len > f->len[i]) len = f->len[i];
  memcpy(f->mem[i], data, len);
  f->bytesused[i] = (uint32_t)len;
  f->flags[i] = flags;
  f->ts_us[i] = ts_us;
  f->done[f->ndone++] = i;
  return true;
}

void fake_v4l2_cleanup(fake_v4l2 *f) { free_bufs(f); }
