/* Test helper: encode synthetic I420 pictures with libvpx's VP8 encoder to get real bytes. */
#ifndef BRTC_TEST_VPX_ENCODE_H
#define BRTC_TEST_VPX_ENCODE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <vpx/vp8cx.h>
#include <vpx/vpx_encoder.h>

typedef struct test_vp8_encoder {
  vpx_codec_ctx_t codec;
  vpx_image_t img;
  unsigned w, h;
  int64_t pts;
  unsigned long deadline;
} test_vp8_encoder;

/* Encoder settings; 0 leaves libvpx's default. */
typedef struct test_vp8_encoder_opts {
  unsigned kbps;
  unsigned min_quantizer, max_quantizer;
  bool realtime; /* VPX_DL_REALTIME, else VPX_DL_GOOD_QUALITY */
  bool only_forced_keyframes; /* no keyframes of libvpx's own choosing (every 128 frames or at
                                 a scene cut), as a browser's stream between PLIs */
} test_vp8_encoder_opts;

/* A gradient with a 3-pixel checker texture and a bright square at (sx, sy); chroma varies
 * gently too. The texture makes the frame big enough to need many packets. */
static inline void test_draw_picture(vpx_image_t *img, unsigned w, unsigned h, unsigned sx,
                                     unsigned sy) {
  for (unsigned y = 0; y < h; y++)
    for (unsigned x = 0; x < w; x++) {
      unsigned v = 16 + (x * 160) / w + (y * 40) / h + ((x / 3 + y / 3) % 2) * 20;
      if (x >= sx && x < sx + w / 4 && y >= sy && y < sy + h / 4) v = 235;
      img->planes[0][y * (unsigned)img->stride[0] + x] = (uint8_t)v;
    }
  for (unsigned y = 0; y < (h + 1) / 2; y++)
    for (unsigned x = 0; x < (w + 1) / 2; x++) {
      img->planes[1][y * (unsigned)img->stride[1] + x] = (uint8_t)(96 + (x * 64) / w);
      img->planes[2][y * (unsigned)img->stride[2] + x] = (uint8_t)(160 - (y * 64) / h);
    }
}

static inline int test_vp8_encoder_init_opts(test_vp8_encoder *e, unsigned w, unsigned h,
                                             const test_vp8_encoder_opts *o) {
  memset(e, 0, sizeof(*e));
  vpx_codec_enc_cfg_t cfg;
  if (vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &cfg, 0) != VPX_CODEC_OK) return -1;
  cfg.g_w = w;
  cfg.g_h = h;
  cfg.g_timebase.num = 1;
  cfg.g_timebase.den = 30;
  if (o->kbps) cfg.rc_target_bitrate = o->kbps;
  if (o->min_quantizer) cfg.rc_min_quantizer = o->min_quantizer;
  if (o->max_quantizer) cfg.rc_max_quantizer = o->max_quantizer;
  e->deadline = o->realtime ? VPX_DL_REALTIME : VPX_DL_GOOD_QUALITY;
  if (o->only_forced_keyframes) cfg.kf_mode = VPX_KF_DISABLED;
  cfg.g_lag_in_frames = 0;
  cfg.g_threads = 1;
  if (vpx_codec_enc_init(&e->codec, vpx_codec_vp8_cx(), &cfg, 0) != VPX_CODEC_OK) return -1;
  if (!vpx_img_alloc(&e->img, VPX_IMG_FMT_I420, w, h, 16)) {
    vpx_codec_destroy(&e->codec);
    return -1;
  }
  e->w = w;
  e->h = h;
  return 0;
}

/* High quality, for tests that compare pixels. */
static inline int test_vp8_encoder_init(test_vp8_encoder *e, unsigned w, unsigned h) {
  test_vp8_encoder_opts o = {.kbps = 4000, .min_quantizer = 2, .max_quantizer = 20};
  return test_vp8_encoder_init_opts(e, w, h, &o);
}

/* Encode e->img; copies the compressed frame to out, returns its size or 0. */
static inline size_t test_vp8_encode(test_vp8_encoder *e, bool keyframe, uint8_t *out,
                                     size_t cap) {
  if (vpx_codec_encode(&e->codec, &e->img, e->pts++, 1, keyframe ? VPX_EFLAG_FORCE_KF : 0,
                       e->deadline) != VPX_CODEC_OK)
    return 0;
  size_t n = 0;
  vpx_codec_iter_t iter = NULL;
  const vpx_codec_cx_pkt_t *pkt;
  while ((pkt = vpx_codec_get_cx_data(&e->codec, &iter)) != NULL) {
    if (pkt->kind != VPX_CODEC_CX_FRAME_PKT || n + pkt->data.frame.sz > cap) continue;
    memcpy(out + n, pkt->data.frame.buf, pkt->data.frame.sz);
    n += pkt->data.frame.sz;
  }
  return n;
}

static inline void test_vp8_encoder_free(test_vp8_encoder *e) {
  vpx_img_free(&e->img);
  vpx_codec_destroy(&e->codec);
}

#endif
