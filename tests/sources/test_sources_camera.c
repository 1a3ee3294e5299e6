/* The V4L2 camera source against a fake device (no camera on the build machines, and no
 * vivid module in their kernels): format negotiation, H.264 passed on with its parameter
 * sets, YUYV/NV12/I420/MJPEG converted and encoded (the barcode read back after VP8), the
 * newest frame first, bad buffers dropped, everything released. */
#include <linux/videodev2.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>

#include "boltrtc/error.h"
#include "fake_v4l2.h"
#include "sources/barcode.h"
#include "sources/file_read.h"
#include "sources/h264_annexb.h"
#include "sources/testpattern.h"
#include "sources/v4l2_negotiate.h"
#include "sources/v4l2_source.h"
#include "sources/yuv_convert.h"
#include "testing.h"

#define NOW 7000000000ll

static brtc_source_options opts(unsigned w, unsigned h) {
  brtc_source_options o;
  brtc_source_options_default(&o);
  o.width = w;
  o.height = h;
  return o;
}

static void test_choose(void) {
  brtc_v4l2_offer offer = {.count = 3};
  offer.formats[0] = (brtc_v4l2_candidate){V4L2_PIX_FMT_MJPEG, 1280, 720, true, 30, 1};
  offer.formats[1] = (brtc_v4l2_candidate){V4L2_PIX_FMT_YUYV, 1280, 720, true, 10, 1};
  offer.formats[2] = (brtc_v4l2_candidate){V4L2_PIX_FMT_H264, 1280, 720, true, 30, 1};
  size_t i;
  CHECK_EQ_INT(brtc_v4l2_choose(&offer, "auto", 1280, 720, 30, 1, &i), 0);
  CHECK_EQ_INT(i, 2); /* H.264 from the device first */
  offer.count = 2;
  CHECK_EQ_INT(brtc_v4l2_choose(&offer, NULL, 1280, 720, 30, 1, &i), 0);
  CHECK_EQ_INT(i, 0); /* YUYV only reaches 10 fps at 720p: MJPEG */
  CHECK_EQ_INT(brtc_v4l2_choose(&offer, NULL, 1280, 720, 10, 1, &i), 0);
  CHECK_EQ_INT(i, 1); /* 10 fps wanted: raw needs no decoding */
  CHECK_EQ_INT(brtc_v4l2_choose(&offer, "yuyv", 1280, 720, 30, 1, &i), 0);
  CHECK_EQ_INT(i, 1);
  CHECK_EQ_INT(brtc_v4l2_choose(&offer, "h264", 1280, 720, 30, 1, &i), BRTC_ERR_UNSUPPORTED);
  CHECK_EQ_INT(brtc_v4l2_choose(&offer, "rgb", 1280, 720, 30, 1, &i), BRTC_ERR_INVALID);
  /* The size nearest to the wanted one beats the format rank. */
  offer.formats[1] = (brtc_v4l2_candidate){V4L2_PIX_FMT_YUYV, 640, 480, true, 30, 1};
  CHECK_EQ_INT(brtc_v4l2_choose(&offer, NULL, 1280, 720, 30, 1, &i), 0);
  CHECK_EQ_INT(i, 0);
  CHECK_EQ_INT(brtc_v4l2_choose(&offer, NULL, 640, 480, 30, 1, &i), 0);
  CHECK_EQ_INT(i, 1);
  offer.count = 0;
  CHECK_EQ_INT(brtc_v4l2_choose(&offer, NULL, 640, 480, 30, 1, &i), BRTC_ERR_UNSUPPORTED);
}

static void test_enumerate(void) {
  fake_v4l2 f;
  fake_v4l2_init(&f);
  fake_v4l2_add_format(&f, V4L2_PIX_FMT_YUYV, 640, 480, 30);
  fake_v4l2_add_format(&f, V4L2_PIX_FMT_YUYV, 1280, 720, 10);
  fake_v4l2_add_format(&f, v4l2_fourcc('B', 'G', 'R', '3'), 640, 480, 30); /* not ours */
  fake_v4l2_add_format(&f, V4L2_PIX_FMT_NV12, 0, 0, 60);                   /* stepwise */
  int fd = f.io.open(f.io.ctx, "/dev/video0");
  brtc_v4l2_offer offer;
  CHECK_EQ_INT(brtc_v4l2_enumerate(&f.io, fd, 1280, 720, &offer), 0);
  CHECK_EQ_INT(offer.count, 2);
  CHECK_EQ_INT(offer.formats[0].fourcc, V4L2_PIX_FMT_YUYV);
  CHECK_EQ_INT(offer.formats[0].width, 1280);
  CHECK_EQ_INT(offer.formats[1].fourcc, V4L2_PIX_FMT_NV12);
  CHECK_EQ_INT(offer.formats[1].width, 1280);
  CHECK_EQ_INT(offer.formats[1].height, 720);
  CHECK_EQ_INT(offer.formats[1].fps_num, 60);
  CHECK_EQ_INT(brtc_v4l2_enumerate(&f.io, fd, 641, 479, &offer), 0);
  CHECK_EQ_INT(offer.formats[0].width, 640);
  CHECK_EQ_INT(offer.formats[1].width, 640); /* onto the step-2 grid */
  CHECK_EQ_INT(offer.formats[1].height, 478);
}

static void test_conversions(void) {
  /* 4x2 YUYV: Y values straight, chroma of the two rows averaged (rounded up). */
  const uint8_t yuyv[2 * 8] = {10, 100, 20, 200, 30, 110, 40, 210,
                               50, 103, 60, 201, 70, 111, 80, 214};
  brtc_i420 d;
  CHECK_EQ_INT(brtc_i420_alloc(&d, 4, 2), 0);
  brtc_yuyv_to_i420(yuyv, 8, &d);
  const uint8_t y_want[8] = {10, 20, 30, 40, 50, 60, 70, 80};
  CHECK_MEM(d.planes[0], y_want, 8);
  CHECK_EQ_INT(d.planes[1][0], 102);
  CHECK_EQ_INT(d.planes[1][1], 111);
  CHECK_EQ_INT(d.planes[2][0], 201);
  CHECK_EQ_INT(d.planes[2][1], 212);
  const uint8_t nv12_y[8] = {1, 2, 3, 4, 5, 6, 7, 8}, nv12_uv[4] = {9, 10, 11, 12};
  brtc_nv12_to_i420(nv12_y, 4, nv12_uv, 4, &d);
  CHECK_MEM(d.planes[0], nv12_y, 8);
  CHECK(d.planes[1][0] == 9 && d.planes[2][0] == 10 && d.planes[1][1] == 11 && d.planes[2][1] == 12);
  /* Full range to studio range: 0 -> 16, 255 -> 235, chroma 0 -> 16, 128 -> 128, 255 -> 240;
   * 4:4:4 chroma averaged over each 2x2 block. */
  const uint8_t fy[8] = {0, 255, 128, 0, 0, 0, 0, 0};
  const uint8_t fu[8] = {0, 0, 128, 128, 0, 0, 128, 128}, fv[8] = {255, 255, 0, 0, 255, 255, 0, 0};
  const uint8_t *src[3] = {fy, fu, fv};
  int strides[3] = {4, 4, 4};
  brtc_full_range_to_i420(src, strides, 4, 2, &d);
  CHECK(d.planes[0][0] == 16 && d.planes[0][1] == 235 && d.planes[0][2] == 126);
  CHECK(d.planes[1][0] == 16 && d.planes[1][1] == 128);
  CHECK(d.planes[2][0] == 240 && d.planes[2][1] == 16);
  brtc_i420_free(&d);
}

/* ------------------------------------------------------------------ H.264 from the device */

typedef struct units {
  const uint8_t *p[16];
  size_t len[16], n;
} units;

/* The fixture's access units, as lists of NAL units (no AUD). */
static size_t split_aus(const uint8_t *buf, size_t len, units *aus, size_t max) {
  size_t pos = 0, nal_len, n = 0;
  const uint8_t *nal;
  while (brtc_annexb_next_nal(buf, len, &pos, &nal, &nal_len) == 0) {
    uint8_t t = nal[0] & 0x1f;
    if (t == 9) {
      if (n == max) break;
      aus[n++].n = 0;
      continue;
    }
    if (n && aus[n - 1].n < 16) {
      aus[n - 1].p[aus[n - 1].n] = nal;
      aus[n - 1].len[aus[n - 1].n++] = nal_len;
    }
  }
  return n;
}

/* Annex-B of the units whose types pass keep (a mask of 1 << type). */
static size_t join(const units *u, uint32_t keep, uint8_t *out) {
  size_t n = 0;
  for (size_t i = 0; i < u->n; i++) {
    if (!(keep & (1u << (u->p[i][0] & 0x1f)))) continue;
    memcpy(out + n, "\0\0\0\1", 4);
    memcpy(out + n + 4, u->p[i], u->len[i]);
    n += 4 + u->len[i];
  }
  return n;
}

static void test_h264_device(void) {
  fake_v4l2 f;
  fake_v4l2_init(&f);
  fake_v4l2_add_format(&f, V4L2_PIX_FMT_YUYV, 320, 240, 30);
  fake_v4l2_add_format(&f, V4L2_PIX_FMT_H264, 320, 240, 30);
  brtc_source_options o = opts(320, 240);
  brtc_source *s;
  char err[200];
  CHECK_EQ_INT(brtc_v4l2_source_new("/dev/video0", &f.io, &o, &s, err, sizeof(err)), 0);
  CHECK_EQ_INT(s->codec, BRTC_SOURCE_H264);
  CHECK_EQ_INT(brtc_v4l2_source_fourcc(s), V4L2_PIX_FMT_H264);
  CHECK_EQ_INT(brtc_source_fd(s), 4242);
  CHECK_EQ_INT(brtc_source_next_due(s, NOW), BRTC_SOURCE_NEVER);
  CHECK_EQ_INT(f.bitrate, 1000000);
  CHECK(strstr(s->description, "H.264 from the device") != NULL);

  uint8_t *file;
  size_t len;
  CHECK_EQ_INT(brtc_read_file(BRTC_SOURCES_FIXTURES "/h264_aud_30fps.h264", 1 << 24, &file,
                              &len, err, sizeof(err)),
               0);
  static units aus[40];
  CHECK_EQ_INT(split_aus(file, len, aus, 40), 40);
  static uint8_t buf[65536];
  brtc_source_frame fr;
  CHECK_EQ_INT(brtc_source_take(s, NOW, &fr), BRTC_ERR_AGAIN);
  /* A delta first (a camera joined mid-GOP): not passed on, an IDR asked for. */
  size_t n = join(&aus[1], ~0u, buf);
  CHECK(fake_v4l2_push(&f, buf, n, NOW - 30000, 0));
  CHECK_EQ_INT(brtc_source_take(s, NOW, &fr), BRTC_ERR_AGAIN);
  CHECK_EQ_INT(f.force_keyframes, 1);
  /* Parameter sets in a buffer of their own, then the IDR without them. */
  n = join(&aus[0], 1u << 7 | 1u << 8, buf);
  CHECK(fake_v4l2_push(&f, buf, n, NOW - 20000, 0));
  n = join(&aus[0], 1u << 5 | 1u << 6, buf);
  CHECK(fake_v4l2_push(&f, buf, n, NOW - 20000, 0));
  CHECK_EQ_INT(brtc_source_take(s, NOW, &fr), 0);
  CHECK(fr.keyframe);
  CHECK_EQ_INT(fr.timestamp, 0);
  CHECK_EQ_INT(fr.capture_us, NOW - 20000);
  CHECK_EQ_INT(fr.width, 320);
  size_t pos = 0, nal_len;
  const uint8_t *nal;
  char types[8] = {0};
  for (int k = 0; k < 7 && brtc_annexb_next_nal(fr.data, fr.len, &pos, &nal, &nal_len) == 0; k++)
    types[k] = (char)('0' + (nal[0] & 0x1f));
  CHECK_STR(types, "7865"); /* SPS and PPS put back before the SEI and the IDR */
  /* The next pictures pass as they are, timestamps from the buffers' capture times. */
  for (int k = 1; k < 5; k++) {
    n = join(&aus[k], ~0u, buf);
    CHECK(fake_v4l2_push(&f, buf, n, NOW - 20000 + k * 33333, 0));
    CHECK_EQ_INT(brtc_source_take(s, NOW + k * 33333, &fr), 0);
    CHECK(!fr.keyframe);
    CHECK_EQ_INT(fr.len, n);
    CHECK_EQ_INT(fr.timestamp, (uint64_t)(k * 33333) * 9 / 100);
  }
  CHECK_EQ_INT(brtc_source_request_keyframe(s), 0);
  CHECK_EQ_INT(f.force_keyframes, 2);
  CHECK_EQ_INT(brtc_source_set_bitrate(s, 500000), 0);
  CHECK_EQ_INT(f.bitrate, 500000);
  /* A timestamp not on our clock (from the future): the time of the take instead. */
  n = join(&aus[5], ~0u, buf);
  CHECK(fake_v4l2_push(&f, buf, n, NOW + 99000000, 0));
  CHECK_EQ_INT(brtc_source_take(s, NOW + 200000, &fr), 0);
  CHECK_EQ_INT(fr.capture_us, NOW + 200000);
  /* A buffer of many units (here 100 SEI before the slice): none is lost. */
  n = 0;
  for (int k = 0; k < 100; k++) {
    memcpy(buf + n, "\0\0\0\1\x06\x05", 6);
    n += 6;
  }
  size_t slice = join(&aus[6], ~0u, buf + n);
  n += slice;
  CHECK(fake_v4l2_push(&f, buf, n, NOW + 233333, 0));
  CHECK_EQ_INT(brtc_source_take(s, NOW + 240000, &fr), 0);
  CHECK_EQ_INT(fr.len, n);
  CHECK_MEM(fr.data + fr.len - slice, buf + n - slice, slice);
  brtc_source_stats st;
  brtc_source_get_stats(s, &st);
  CHECK_EQ_INT(st.frames, 7);
  CHECK_EQ_INT(st.keyframes, 1);
  CHECK_EQ_INT(st.frames_skipped, 1);
  brtc_source_free(s);
  CHECK_EQ_INT(f.closes, 1);
  CHECK_EQ_INT(f.unmaps, f.maps);
  CHECK_EQ_INT(f.streamoffs, 1);
  fake_v4l2_cleanup(&f);
  free(file);
}

/* ------------------------------------------------------------------ raw formats */

/* The test pattern drawn as studio-range I420 for frame k. */
static void draw(brtc_i420 *p, uint32_t k) {
  brtc_testpattern_draw(p->planes, p->strides, p->width, p->height, k, 1000 + k);
}

static size_t to_yuyv(const brtc_i420 *p, uint8_t *out) {
  size_t n = 0;
  for (unsigned y = 0; y < p->height; y++)
    for (unsigned x = 0; x < p->width; x += 2) {
      out[n++] = p->planes[0][y * (unsigned)p->strides[0] + x];
      out[n++] = p->planes[1][(y / 2) * (unsigned)p->strides[1] + x / 2];
      out[n++] = p->planes[0][y * (unsigned)p->strides[0] + x + 1];
      out[n++] = p->planes[2][(y / 2) * (unsigned)p->strides[2] + x / 2];
    }
  return n;
}

static size_t to_nv12(const brtc_i420 *p, uint8_t *out) {
  size_t n = (size_t)p->width * p->height;
  memcpy(out, p->planes[0], n);
  for (unsigned y = 0; y < p->height / 2; y++)
    for (unsigned x = 0; x < p->width / 2; x++) {
      out[n++] = p->planes[1][y * (unsigned)p->strides[1] + x];
      out[n++] = p->planes[2][y * (unsigned)p->strides[2] + x];
    }
  return n;
}

static size_t to_i420(const brtc_i420 *p, uint8_t *out) {
  size_t n = (size_t)p->width * p->height * 3 / 2;
  memcpy(out, p->planes[0], n); /* brtc_i420_alloc packs the planes */
  return n;
}

/* A JPEG of the picture, as a camera makes them: full range, 4:2:2. */
static size_t to_jpeg(const brtc_i420 *p, uint8_t *out, size_t cap) {
  unsigned w = p->width, h = p->height;
  uint8_t *y = malloc(w * h), *u = malloc(w * h / 2), *v = malloc(w * h / 2);
  for (unsigned r = 0; r < h; r++)
    for (unsigned c = 0; c < w; c++) {
      int l = (p->planes[0][r * (unsigned)p->strides[0] + c] - 16) * 255 / 219;
      y[r * w + c] = (uint8_t)(l < 0 ? 0 : l > 255 ? 255 : l);
      if (c % 2 == 0) {
        int cu = 128 + (p->planes[1][(r / 2) * (unsigned)p->strides[1] + c / 2] - 128) * 255 / 224;
        int cv = 128 + (p->planes[2][(r / 2) * (unsigned)p->strides[2] + c / 2] - 128) * 255 / 224;
        u[r * (w / 2) + c / 2] = (uint8_t)(cu < 0 ? 0 : cu > 255 ? 255 : cu);
        v[r * (w / 2) + c / 2] = (uint8_t)(cv < 0 ? 0 : cv > 255 ? 255 : cv);
      }
    }
  tjhandle tj = tjInitCompress();
  const unsigned char *planes[3] = {y, u, v};
  int strides[3] = {(int)w, (int)w / 2, (int)w / 2};
  unsigned char *jpeg = NULL;
  unsigned long size = 0;
  size_t n = 0;
  if (tjCompressFromYUVPlanes(tj, planes, (int)w, strides, (int)h, TJSAMP_422, &jpeg, &size, 90,
                              0) == 0 &&
      size <= cap) {
    memcpy(out, jpeg, size);
    n = size;
  }
  tjFree(jpeg);
  tjDestroy(tj);
  free(y);
  free(u);
  free(v);
  return n;
}

static double psnr_luma(const uint8_t *a, int as, const uint8_t *b, int bs, unsigned w, unsigned h) {
  double se = 0;
  for (unsigned y = 0; y < h; y++)
    for (unsigned x = 0; x < w; x++) {
      double d = (double)a[(size_t)y * (size_t)as + x] - b[(size_t)y * (size_t)bs + x];
      se += d * d;
    }
  return se == 0 ? 99 : 10 * log10(255.0 * 255.0 * w * h / se);
}

/* A raw camera through the source: each frame converted and VP8-encoded; the decoded
 * picture carries the barcode of the frame pushed, within 30 dB of it. */
static void check_raw_format(uint32_t fourcc, size_t (*make)(const brtc_i420 *, uint8_t *)) {
  const unsigned w = 320, h = 240;
  fake_v4l2 f;
  fake_v4l2_init(&f);
  fake_v4l2_add_format(&f, fourcc, w, h, 30);
  brtc_source_options o = opts(w, h);
  brtc_source *s;
  char err[200];
  CHECK_EQ_INT(brtc_v4l2_source_new("/dev/video1", &f.io, &o, &s, err, sizeof(err)), 0);
  CHECK_EQ_INT(s->codec, BRTC_SOURCE_VP8);
  CHECK_EQ_INT(brtc_v4l2_source_fourcc(s), fourcc);
  brtc_i420 pic;
  CHECK_EQ_INT(brtc_i420_alloc(&pic, w, h), 0);
  static uint8_t buf[320 * 240 * 2];
  vpx_codec_ctx_t dec;
  vpx_codec_dec_cfg_t cfg = {.threads = 1};
  CHECK(vpx_codec_dec_init(&dec, vpx_codec_vp8_dx(), &cfg, 0) == VPX_CODEC_OK);
  unsigned read = 0;
  for (uint32_t k = 0; k < 10; k++) {
    draw(&pic, k);
    size_t n = fourcc == V4L2_PIX_FMT_MJPEG ? to_jpeg(&pic, buf, sizeof(buf)) : make(&pic, buf);
    CHECK(n > 0);
    CHECK(fake_v4l2_push(&f, buf, n, NOW + k * 33333, 0));
    brtc_source_frame fr;
    CHECK_EQ_INT(brtc_source_take(s, NOW + k * 33333 + 5000, &fr), 0);
    CHECK_EQ_INT(fr.keyframe, k == 0);
    CHECK_EQ_INT(fr.capture_us, NOW + k * 33333);
    CHECK(vpx_codec_decode(&dec, fr.data, (unsigned)fr.len, NULL, 0) == VPX_CODEC_OK);
    vpx_codec_iter_t it = NULL;
    vpx_image_t *img = vpx_codec_get_frame(&dec, &it);
    if (!img) continue;
    brtc_barcode bc;
    if (brtc_barcode_read(img->planes[0], img->stride[0], img->d_w, img->d_h, &bc) == 0 &&
        bc.frame == k && bc.capture_ms == 1000 + k)
      read++;
    CHECK(psnr_luma(img->planes[0], img->stride[0], pic.planes[0], pic.strides[0], w, h) >= 30);
    CHECK_EQ_INT(brtc_source_take(s, NOW + k * 33333 + 5000, &fr), BRTC_ERR_AGAIN);
  }
  CHECK_EQ_INT(read, 10);
  /* A keyframe on request. */
  CHECK_EQ_INT(brtc_source_request_keyframe(s), 0);
  draw(&pic, 10);
  size_t n = fourcc == V4L2_PIX_FMT_MJPEG ? to_jpeg(&pic, buf, sizeof(buf)) : make(&pic, buf);
  CHECK(fake_v4l2_push(&f, buf, n, NOW + 10 * 33333, 0));
  brtc_source_frame fr;
  CHECK_EQ_INT(brtc_source_take(s, NOW + 10 * 33333 + 5000, &fr), 0);
  CHECK(fr.keyframe);
  /* Three frames waiting: the newest is encoded, the two older given back. */
  for (uint32_t k = 11; k < 14; k++) {
    draw(&pic, k);
    n = fourcc == V4L2_PIX_FMT_MJPEG ? to_jpeg(&pic, buf, sizeof(buf)) : make(&pic, buf);
    CHECK(fake_v4l2_push(&f, buf, n, NOW + k * 33333, 0));
  }
  CHECK_EQ_INT(brtc_source_take(s, NOW + 14 * 33333, &fr), 0);
  CHECK_EQ_INT(fr.capture_us, NOW + 13 * 33333);
  CHECK_EQ_INT(f.nqueued, f.nbufs); /* all buffers back with the driver */
  /* A buffer the driver flags as broken, and one too short: dropped and counted. */
  CHECK(fake_v4l2_push(&f, buf, n, NOW + 15 * 33333, V4L2_BUF_FLAG_ERROR));
  CHECK_EQ_INT(brtc_source_take(s, NOW + 15 * 33333, &fr), BRTC_ERR_AGAIN);
  CHECK(fake_v4l2_push(&f, buf, 100, NOW + 16 * 33333, 0));
  CHECK_EQ_INT(brtc_source_take(s, NOW + 16 * 33333, &fr), BRTC_ERR_AGAIN);
  brtc_source_stats st;
  brtc_source_get_stats(s, &st);
  CHECK_EQ_INT(st.frames, 12);
  CHECK_EQ_INT(st.frames_skipped, 2);
  CHECK_EQ_INT(st.frames_bad, 2);
  CHECK_EQ_INT(brtc_source_set_bitrate(s, 300000), 0);
  vpx_codec_destroy(&dec);
  brtc_i420_free(&pic);
  brtc_source_free(s);
  CHECK_EQ_INT(f.closes, 1);
  CHECK_EQ_INT(f.unmaps, f.maps);
  fake_v4l2_cleanup(&f);
}

static void test_yuyv_device(void) { check_raw_format(V4L2_PIX_FMT_YUYV, to_yuyv); }
static void test_nv12_device(void) { check_raw_format(V4L2_PIX_FMT_NV12, to_nv12); }
static void test_i420_device(void) { check_raw_format(V4L2_PIX_FMT_YUV420, to_i420); }
static void test_mjpeg_device(void) { check_raw_format(V4L2_PIX_FMT_MJPEG, NULL); }

static void test_refusals(void) {
  fake_v4l2 f;
  brtc_source *s;
  char err[200];
  brtc_source_options o = opts(640, 480);
  /* Not a capture device. */
  fake_v4l2_init(&f);
  f.caps = V4L2_CAP_VIDEO_OUTPUT | V4L2_CAP_STREAMING;
  fake_v4l2_add_format(&f, V4L2_PIX_FMT_YUYV, 640, 480, 30);
  CHECK_EQ_INT(brtc_v4l2_source_new("/dev/video2", &f.io, &o, &s, err, sizeof(err)),
               BRTC_ERR_UNSUPPORTED);
  CHECK(strstr(err, "fake camera") != NULL);
  CHECK_EQ_INT(f.closes, 1);
  /* Nothing we can use. */
  fake_v4l2_init(&f);
  fake_v4l2_add_format(&f, v4l2_fourcc('B', 'G', 'R', '3'), 640, 480, 30);
  CHECK_EQ_INT(brtc_v4l2_source_new("/dev/video2", &f.io, &o, &s, err, sizeof(err)),
               BRTC_ERR_UNSUPPORTED);
  CHECK_EQ_INT(f.closes, 1);
  /* The driver answers S_FMT with another format. */
  fake_v4l2_init(&f);
  fake_v4l2_add_format(&f, V4L2_PIX_FMT_YUYV, 640, 480, 30);
  fake_v4l2_add_format(&f, v4l2_fourcc('B', 'G', 'R', '3'), 640, 480, 30);
  f.force_fourcc = v4l2_fourcc('B', 'G', 'R', '3');
  CHECK_EQ_INT(brtc_v4l2_source_new("/dev/video2", &f.io, &o, &s, err, sizeof(err)),
               BRTC_ERR_UNSUPPORTED);
  CHECK(strstr(err, "BGR3") != NULL);
  /* A format asked for by name that the device lacks. */
  fake_v4l2_init(&f);
  fake_v4l2_add_format(&f, V4L2_PIX_FMT_YUYV, 640, 480, 30);
  o.camera_format = "mjpeg";
  CHECK_EQ_INT(brtc_v4l2_source_new("/dev/video2", &f.io, &o, &s, err, sizeof(err)),
               BRTC_ERR_UNSUPPORTED);
  /* A real path that is not there. */
  o = opts(640, 480);
  CHECK_EQ_INT(brtc_source_open("/dev/video-none", &o, &s, err, sizeof(err)), BRTC_ERR_IO);
  CHECK(strstr(err, "/dev/video-none") != NULL);
}

/* An H.264 camera without FORCE_KEY_FRAME says so. */
static void test_h264_no_force(void) {
  fake_v4l2 f;
  fake_v4l2_init(&f);
  fake_v4l2_add_format(&f, V4L2_PIX_FMT_H264, 640, 480, 30);
  f.no_force_keyframe = true;
  brtc_source_options o = opts(640, 480);
  brtc_source *s;
  char err[200];
  CHECK_EQ_INT(brtc_v4l2_source_new("/dev/video3", &f.io, &o, &s, err, sizeof(err)), 0);
  CHECK_EQ_INT(brtc_source_request_keyframe(s), BRTC_ERR_UNSUPPORTED);
  brtc_source_free(s);
  fake_v4l2_cleanup(&f);
}

int main(void) {
  RUN(test_choose);
  RUN(test_enumerate);
  RUN(test_conversions);
  RUN(test_h264_device);
  RUN(test_yuyv_device);
  RUN(test_nv12_device);
  RUN(test_i420_device);
  RUN(test_mjpeg_device);
  RUN(test_refusals);
  RUN(test_h264_no_force);
  return TEST_REPORT();
}
