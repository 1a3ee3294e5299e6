/* Camera capture: open, negotiate, mmap buffers, stream; each frame converted and encoded,
 * or passed on when the device encodes H.264 itself. */
#include "sources/v4l2_source.h"

#include <errno.h>
#include <linux/videodev2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "sources/h264_annexb.h"
#include "sources/h264_au.h"
#include "sources/mjpeg_decoder.h"
#include "sources/source_impl.h"
#include "sources/v4l2_negotiate.h"
#include "sources/vp8_encoder.h"
#include "sources/yuv_convert.h"

#define MAX_BUFFERS 8
#define MAX_NALS 1024 /* units in one H.264 buffer; more and the buffer is dropped */

typedef struct mapped {
  void *p;
  size_t len;
} mapped;

typedef struct v4l2_source {
  brtc_source base;
  const brtc_v4l2_io *io;
  int fd;
  bool streaming;
  uint32_t fourcc;
  unsigned width, height, bytesperline, fps_num, fps_den;
  mapped bufs[MAX_BUFFERS];
  unsigned nbufs;
  /* Raw formats: the picture and its encoder. */
  brtc_i420 picture;
  brtc_vp8_encoder *enc;
  brtc_mjpeg_decoder *mjpeg;
  uint64_t pts;
  /* H.264: parameter sets seen, and the access unit handed out. */
  brtc_h264_paramsets *ps;
  brtc_h264_nal_ref *nals; /* the units of one buffer */
  size_t nals_cap;
  brtc_growbuf au;
  bool seen_idr;
  bool keyframe_wanted;
  bool has_first;
  int64_t first_capture_us;
  uint64_t last_ts;
} v4l2_source;

static int xioctl(v4l2_source *v, unsigned long req, void *arg) {
  return v->io->ioctl(v->io->ctx, v->fd, req, arg);
}

/* Codec controls are best effort: many devices lack some, none is essential. */
static void set_ctrl(v4l2_source *v, uint32_t id, int32_t value) {
  struct v4l2_control c = {.id = id, .value = value};
  (void)xioctl(v, VIDIOC_S_CTRL, &c);
}

static void release(v4l2_source *v) {
  if (v->streaming) {
    int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    (void)xioctl(v, VIDIOC_STREAMOFF, &type);
  }
  for (unsigned i = 0; i < v->nbufs; i++)
    if (v->bufs[i].p) v->io->munmap(v->io->ctx, v->bufs[i].p, v->bufs[i].len);
  if (v->nbufs) {
    struct v4l2_requestbuffers rb = {.count = 0, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
                                     .memory = V4L2_MEMORY_MMAP};
    (void)xioctl(v, VIDIOC_REQBUFS, &rb);
  }
  if (v->fd >= 0) v->io->close(v->io->ctx, v->fd);
  brtc_vp8_encoder_free(v->enc);
  brtc_mjpeg_decoder_free(v->mjpeg);
  brtc_i420_free(&v->picture);
  if (v->ps) brtc_h264_paramsets_free(v->ps);
  free(v->ps);
  free(v->nals);
  free(v->au.p);
  free(v);
}

static int64_t cam_next_due(brtc_source *s, int64_t now_us) {
  (void)s;
  (void)now_us;
  return BRTC_SOURCE_NEVER;
}

static int cam_fd(const brtc_source *s) { return ((const v4l2_source *)s)->fd; }

static void requeue(v4l2_source *v, struct v4l2_buffer *b) {
  struct v4l2_buffer q = {.index = b->index, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
                          .memory = V4L2_MEMORY_MMAP};
  (void)xioctl(v, VIDIOC_QBUF, &q);
}

/* 0 and *b; BRTC_ERR_AGAIN when the device holds nothing (or only broken buffers, given
 * back); BRTC_ERR_IO when it failed. */
static int dequeue(v4l2_source *v, struct v4l2_buffer *b) {
  for (unsigned tries = 0; tries < v->nbufs; tries++) {
    *b = (struct v4l2_buffer){.type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};
    int rc = xioctl(v, VIDIOC_DQBUF, b);
    if (rc == -EAGAIN) return BRTC_ERR_AGAIN;
    if (rc < 0) return BRTC_ERR_IO;
    if (b->index >= v->nbufs) return BRTC_ERR_IO;
    if ((b->flags & V4L2_BUF_FLAG_ERROR) || b->bytesused == 0 ||
        b->bytesused > v->bufs[b->index].len) {
      v->base.stats.frames_bad++;
      requeue(v, b);
      continue;
    }
    return 0;
  }
  return BRTC_ERR_AGAIN;
}

static int64_t capture_time(const struct v4l2_buffer *b, int64_t now_us) {
  if ((b->flags & V4L2_BUF_FLAG_TIMESTAMP_MASK) != V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC)
    return now_us;
  int64_t t = (int64_t)b->timestamp.tv_sec * 1000000 + b->timestamp.tv_usec;
  /* A timestamp from the future or seconds old is not on our clock: use ours. */
  return (t <= now_us && now_us - t < 5000000) ? t : now_us;
}

/* The raw picture in the buffer to v->picture. False if it is too short. */
static bool convert(v4l2_source *v, const uint8_t *p, size_t n) {
  unsigned h = v->height, bpl = v->bytesperline;
  switch (v->fourcc) {
    case V4L2_PIX_FMT_YUYV:
      if (n < (size_t)bpl * h) return false;
      brtc_yuyv_to_i420(p, bpl, &v->picture);
      return true;
    case V4L2_PIX_FMT_NV12:
      if (n < (size_t)bpl * h * 3 / 2) return false;
      brtc_nv12_to_i420(p, bpl, p + (size_t)bpl * h, bpl, &v->picture);
      return true;
    case V4L2_PIX_FMT_YUV420: {
      if (n < (size_t)bpl * h * 3 / 2) return false;
      const uint8_t *src[3] = {p, p + (size_t)bpl * h, p + (size_t)bpl * h * 5 / 4};
      size_t strides[3] = {bpl, bpl / 2, bpl / 2};
      brtc_i420_copy(src, strides, &v->picture);
      return true;
    }
    default: /* MJPEG, JPEG */
      return brtc_mjpeg_decode(v->mjpeg, p, n, &v->picture) == 0;
  }
}

static uint64_t media_ts(v4l2_source *v, int64_t capture_us) {
  if (!v->has_first) {
    v->has_first = true;
    v->first_capture_us = capture_us;
  }
  int64_t d = capture_us - v->first_capture_us;
  uint64_t ts = d > 0 ? (uint64_t)d * 9 / 100 : 0; /* microseconds to 90 kHz */
  if (v->base.stats.frames && ts <= v->last_ts) ts = v->last_ts + 1; /* never repeat */
  return ts;
}

static void fill(v4l2_source *v, brtc_source_frame *out, const uint8_t *data, size_t len,
                 bool key, int64_t capture_us) {
  uint64_t ts = media_ts(v, capture_us);
  *out = (brtc_source_frame){
      .data = data,
      .len = len,
      .timestamp = ts,
      .duration = (uint32_t)(90000ull * v->fps_den / v->fps_num),
      .due_us = capture_us,
      .capture_us = capture_us,
      .keyframe = key,
      .width = (uint16_t)v->width,
      .height = (uint16_t)v->height,
      .frame_number = v->base.stats.frames,
  };
  v->last_ts = ts;
  v->base.stats.frames++;
  v->base.stats.keyframes += key;
  if (key) v->keyframe_wanted = false;
}

static int take_raw(v4l2_source *v, int64_t now_us, brtc_source_frame *out) {
  struct v4l2_buffer b, newer;
  int rc = dequeue(v, &b);
  if (rc < 0) return rc;
  /* Only the newest picture matters to a viewer: give older ones straight back. */
  for (unsigned i = 0; i < v->nbufs && dequeue(v, &newer) == 0; i++) {
    requeue(v, &b);
    v->base.stats.frames_skipped++;
    b = newer;
  }
  bool ok = convert(v, v->bufs[b.index].p, b.bytesused);
  int64_t capture_us = capture_time(&b, now_us);
  requeue(v, &b);
  if (!ok) {
    v->base.stats.frames_bad++;
    return BRTC_ERR_AGAIN;
  }
  const uint8_t *data;
  size_t len;
  bool key;
  rc = brtc_vp8_encoder_encode(v->enc, v->picture.planes, v->picture.strides, v->pts++,
                               v->keyframe_wanted || !v->base.stats.frames, &data, &len, &key);
  if (rc < 0) return rc;
  fill(v, out, data, len, key, capture_us);
  return 0;
}

static int take_h264(v4l2_source *v, int64_t now_us, brtc_source_frame *out) {
  for (unsigned tries = 0; tries < v->nbufs; tries++) { /* what the device holds, at most */
    struct v4l2_buffer b;
    int rc = dequeue(v, &b);
    if (rc < 0) return rc;
    const uint8_t *p = v->bufs[b.index].p;
    size_t n = 0, pos = 0;
    const uint8_t *nal;
    size_t nal_len;
    bool vcl = false, fits = true;
    while (fits && brtc_annexb_next_nal(p, b.bytesused, &pos, &nal, &nal_len) == 0) {
      uint8_t type = nal[0] & 0x1f;
      if (type == BRTC_H264_NAL_SPS || type == BRTC_H264_NAL_PPS)
        (void)brtc_h264_paramsets_store(v->ps, nal, nal_len);
      vcl |= type == BRTC_H264_NAL_SLICE || type == BRTC_H264_NAL_IDR;
      if (n == v->nals_cap) { /* grown once to what the encoder's slicing needs */
        size_t cap = v->nals_cap ? v->nals_cap * 2 : 16;
        brtc_h264_nal_ref *grown = cap <= MAX_NALS ? realloc(v->nals, cap * sizeof(*grown)) : NULL;
        if (!grown) {
          fits = false;
          break;
        }
        v->nals = grown;
        v->nals_cap = cap;
      }
      v->nals[n++] = (brtc_h264_nal_ref){nal, nal_len};
    }
    int64_t capture_us = capture_time(&b, now_us);
    bool idr = false;
    v->au.len = 0;
    /* A buffer of parameter sets alone (some encoders send them apart) has been kept for
     * the next IDR; nothing to hand out. */
    rc = !fits ? BRTC_ERR_TOO_BIG
         : vcl ? brtc_h264_au_write(v->ps, v->nals, n, &v->au, &idr)
               : BRTC_ERR_AGAIN;
    requeue(v, &b);
    if (rc == BRTC_ERR_AGAIN) continue;
    if (rc < 0 || (!idr && !v->seen_idr)) {
      /* Undecodable until an IDR with its parameter sets: ask the encoder for one. */
      if (rc < 0) v->base.stats.frames_bad++;
      else v->base.stats.frames_skipped++;
      if (!v->keyframe_wanted) set_ctrl(v, V4L2_CID_MPEG_VIDEO_FORCE_KEY_FRAME, 1);
      v->keyframe_wanted = true;
      continue;
    }
    v->seen_idr |= idr;
    fill(v, out, v->au.p, v->au.len, idr, capture_us);
    return 0;
  }
  return BRTC_ERR_AGAIN;
}

static int cam_take(brtc_source *s, int64_t now_us, brtc_source_frame *out) {
  v4l2_source *v = (v4l2_source *)s;
  return v->fourcc == V4L2_PIX_FMT_H264 ? take_h264(v, now_us, out) : take_raw(v, now_us, out);
}

static int cam_request_keyframe(brtc_source *s) {
  v4l2_source *v = (v4l2_source *)s;
  s->stats.keyframe_requests++;
  v->keyframe_wanted = true;
  if (v->fourcc != V4L2_PIX_FMT_H264) return 0;
  struct v4l2_control c = {.id = V4L2_CID_MPEG_VIDEO_FORCE_KEY_FRAME, .value = 1};
  return xioctl(v, VIDIOC_S_CTRL, &c) < 0 ? BRTC_ERR_UNSUPPORTED : 0;
}

static int cam_set_bitrate(brtc_source *s, uint32_t bps) {
  v4l2_source *v = (v4l2_source *)s;
  if (v->enc) return brtc_vp8_encoder_set_bitrate(v->enc, bps);
  struct v4l2_control c = {.id = V4L2_CID_MPEG_VIDEO_BITRATE, .value = (int32_t)bps};
  return xioctl(v, VIDIOC_S_CTRL, &c) < 0 ? BRTC_ERR_UNSUPPORTED : 0;
}

static void cam_free(brtc_source *s) { release((v4l2_source *)s); }

static const brtc_source_ops camera_ops = {
    .next_due = cam_next_due,
    .take = cam_take,
    .request_keyframe = cam_request_keyframe,
    .set_bitrate = cam_set_bitrate,
    .fd = cam_fd,
    .free = cam_free,
};

uint32_t brtc_v4l2_source_fourcc(const brtc_source *s) {
  return s && s->ops == &camera_ops ? ((const v4l2_source *)s)->fourcc : 0;
}

/* Gives up opening: the reason in err (written first: it may quote v), then everything
 * released. */
#define fail(v, rc, err, err_cap, ...) \
  (brtc_source_error(err, err_cap, 0, __VA_ARGS__), release(v), (rc))

/* S_FMT with the chosen format, then what the driver really set. */
static int set_format(v4l2_source *v, const brtc_v4l2_candidate *c, const char *path, char *err,
                      size_t err_cap) {
  char a[5], b[5];
  struct v4l2_format f = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
  f.fmt.pix.width = c->width;
  f.fmt.pix.height = c->height;
  f.fmt.pix.pixelformat = c->fourcc;
  f.fmt.pix.field = V4L2_FIELD_NONE;
  int rc = xioctl(v, VIDIOC_S_FMT, &f);
  if (rc < 0)
    return fail(v, BRTC_ERR_IO, err, err_cap, "%s: VIDIOC_S_FMT %s %ux%u: %s", path,
                brtc_v4l2_fourcc_str(c->fourcc, a), c->width, c->height, strerror(-rc));
  if (f.fmt.pix.pixelformat != c->fourcc)
    return fail(v, BRTC_ERR_UNSUPPORTED, err, err_cap, "%s: asked for %s, the driver set %s",
                path, brtc_v4l2_fourcc_str(c->fourcc, a),
                brtc_v4l2_fourcc_str(f.fmt.pix.pixelformat, b));
  v->fourcc = f.fmt.pix.pixelformat;
  v->width = f.fmt.pix.width;
  v->height = f.fmt.pix.height;
  v->bytesperline = f.fmt.pix.bytesperline;
  unsigned min_bpl = v->fourcc == V4L2_PIX_FMT_YUYV ? 2 * v->width : v->width;
  bool raw = v->fourcc == V4L2_PIX_FMT_YUYV || v->fourcc == V4L2_PIX_FMT_NV12 ||
             v->fourcc == V4L2_PIX_FMT_YUV420;
  if (v->width < 16 || v->height < 16 || v->width > 4096 || v->height > 4096 ||
      (v->width | v->height) & 1 || (raw && v->bytesperline < min_bpl) ||
      (raw && v->bytesperline > 4 * 4096))
    return fail(v, BRTC_ERR_UNSUPPORTED, err, err_cap, "%s: the driver set %ux%u, %u bytes a line",
                path, v->width, v->height, v->bytesperline);
  return 0;
}

/* The frame rate: ask for the wanted one, then read what the driver set. */
static void set_rate(v4l2_source *v, unsigned fps_num, unsigned fps_den) {
  struct v4l2_streamparm p = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
  p.parm.capture.timeperframe.numerator = fps_den;
  p.parm.capture.timeperframe.denominator = fps_num;
  v->fps_num = fps_num;
  v->fps_den = fps_den;
  if (xioctl(v, VIDIOC_S_PARM, &p) < 0) return;
  struct v4l2_fract t = p.parm.capture.timeperframe;
  if (t.numerator && t.denominator && t.denominator <= 240ull * t.numerator &&
      t.denominator >= t.numerator) {
    v->fps_num = t.denominator;
    v->fps_den = t.numerator;
  }
}

static int map_buffers(v4l2_source *v, const char *path, char *err, size_t err_cap) {
  struct v4l2_requestbuffers rb = {.count = BRTC_V4L2_BUFFERS,
                                   .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
                                   .memory = V4L2_MEMORY_MMAP};
  int rc = xioctl(v, VIDIOC_REQBUFS, &rb);
  if (rc < 0)
    return fail(v, BRTC_ERR_IO, err, err_cap, "%s: VIDIOC_REQBUFS: %s", path, strerror(-rc));
  if (rb.count < 2 || rb.count > MAX_BUFFERS)
    return fail(v, BRTC_ERR_UNSUPPORTED, err, err_cap, "%s: the driver gave %u buffers", path,
                rb.count);
  v->nbufs = rb.count;
  for (unsigned i = 0; i < v->nbufs; i++) {
    struct v4l2_buffer b = {.index = i, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
                            .memory = V4L2_MEMORY_MMAP};
    if ((rc = xioctl(v, VIDIOC_QUERYBUF, &b)) < 0)
      return fail(v, BRTC_ERR_IO, err, err_cap, "%s: VIDIOC_QUERYBUF: %s", path, strerror(-rc));
    if (b.length == 0 || b.length > 64u * 1024 * 1024)
      return fail(v, BRTC_ERR_UNSUPPORTED, err, err_cap, "%s: a buffer of %u bytes", path,
                  b.length);
    v->bufs[i].p = v->io->mmap(v->io->ctx, v->fd, b.length, (off_t)b.m.offset);
    if (!v->bufs[i].p)
      return fail(v, BRTC_ERR_IO, err, err_cap, "%s: mmap of buffer %u failed", path, i);
    v->bufs[i].len = b.length;
    if ((rc = xioctl(v, VIDIOC_QBUF, &b)) < 0)
      return fail(v, BRTC_ERR_IO, err, err_cap, "%s: VIDIOC_QBUF: %s", path, strerror(-rc));
  }
  int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  if ((rc = xioctl(v, VIDIOC_STREAMON, &type)) < 0)
    return fail(v, BRTC_ERR_IO, err, err_cap, "%s: VIDIOC_STREAMON: %s", path, strerror(-rc));
  v->streaming = true;
  return 0;
}

/* H.264 straight from the device: ask for what browsers decode best, best effort. */
static void set_h264_controls(v4l2_source *v, const brtc_source_options *o) {
  set_ctrl(v, V4L2_CID_MPEG_VIDEO_BITRATE, (int32_t)o->bitrate_bps);
  set_ctrl(v, V4L2_CID_MPEG_VIDEO_H264_PROFILE,
           V4L2_MPEG_VIDEO_H264_PROFILE_CONSTRAINED_BASELINE);
  set_ctrl(v, V4L2_CID_MPEG_VIDEO_REPEAT_SEQ_HEADER, 1);
  if (o->keyframe_interval)
    set_ctrl(v, V4L2_CID_MPEG_VIDEO_H264_I_PERIOD, (int32_t)o->keyframe_interval);
}

int brtc_v4l2_source_new(const char *path, const brtc_v4l2_io *io, const brtc_source_options *o,
                         brtc_source **out, char *err, size_t err_cap) {
  *out = NULL;
  v4l2_source *v = calloc(1, sizeof(*v));
  if (!v) {
    snprintf(err, err_cap, "out of memory");
    return BRTC_ERR_NOMEM;
  }
  v->io = io;
  v->fd = io->open(io->ctx, path);
  if (v->fd < 0) {
    int e = -v->fd;
    return fail(v, BRTC_ERR_IO, err, err_cap, "%s: %s", path, strerror(e));
  }
  struct v4l2_capability cap = {0};
  int rc = xioctl(v, VIDIOC_QUERYCAP, &cap);
  if (rc < 0)
    return fail(v, BRTC_ERR_UNSUPPORTED, err, err_cap, "%s: not a V4L2 device (%s)", path,
                strerror(-rc));
  uint32_t caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
  if (!(caps & V4L2_CAP_VIDEO_CAPTURE) || !(caps & V4L2_CAP_STREAMING))
    return fail(v, BRTC_ERR_UNSUPPORTED, err, err_cap,
                "%s: %.32s is not a single-planar streaming capture device", path,
                (const char *)cap.card);
  unsigned fps_num = o->fps_num ? o->fps_num : 30, fps_den = o->fps_num ? o->fps_den : 1;
  brtc_v4l2_offer offer;
  brtc_v4l2_enumerate(io, v->fd, o->width, o->height, &offer);
  size_t pick;
  rc = brtc_v4l2_choose(&offer, o->camera_format, o->width, o->height, fps_num, fps_den, &pick);
  if (rc < 0)
    return fail(v, rc, err, err_cap, "%s: no usable pixel format (%s)%s", path,
                offer.count ? "wanted one not offered" : "needs H.264, I420, NV12, YUYV or MJPEG",
                rc == BRTC_ERR_INVALID ? ": unknown format name" : "");
  if ((rc = set_format(v, &offer.formats[pick], path, err, err_cap)) < 0) return rc;
  set_rate(v, fps_num, fps_den);
  char fc[5];
  brtc_v4l2_fourcc_str(v->fourcc, fc);
  if (v->fourcc == V4L2_PIX_FMT_H264) {
    set_h264_controls(v, o);
    if (!(v->ps = calloc(1, sizeof(*v->ps))))
      return fail(v, BRTC_ERR_NOMEM, err, err_cap, "out of memory");
    v->base.codec = BRTC_SOURCE_H264;
  } else {
    brtc_vp8_encoder_config ec = {.width = v->width, .height = v->height, .fps_num = v->fps_num,
                                  .fps_den = v->fps_den, .bitrate_bps = o->bitrate_bps,
                                  .keyframe_interval = o->keyframe_interval};
    char why[128] = "";
    if (brtc_i420_alloc(&v->picture, v->width, v->height) < 0)
      return fail(v, BRTC_ERR_NOMEM, err, err_cap, "out of memory");
    if (!(v->enc = brtc_vp8_encoder_new(&ec, why, sizeof(why))))
      return fail(v, BRTC_ERR_INVALID, err, err_cap, "%s: %s", path, why);
    if ((v->fourcc == V4L2_PIX_FMT_MJPEG || v->fourcc == V4L2_PIX_FMT_JPEG) &&
        !(v->mjpeg = brtc_mjpeg_decoder_new()))
      return fail(v, BRTC_ERR_NOMEM, err, err_cap, "out of memory");
    v->base.codec = BRTC_SOURCE_VP8;
  }
  if ((rc = map_buffers(v, path, err, err_cap)) < 0) return rc;
  v->base.ops = &camera_ops;
  v->base.clock_rate = 90000;
  snprintf(v->base.description, sizeof(v->base.description), "camera %s (%.32s): %s %ux%u at %.2f fps%s",
           path, (const char *)cap.card, fc, v->width, v->height, (double)v->fps_num / v->fps_den,
           v->fourcc == V4L2_PIX_FMT_H264 ? ", H.264 from the device" : ", encoded to VP8");
  *out = &v->base;
  return 0;
}

int brtc_camera_source_open(const char *path, const brtc_source_options *o, brtc_source **out,
                            char *err, size_t err_cap) {
  return brtc_v4l2_source_new(path, &brtc_v4l2_system_io, o, out, err, err_cap);
}
