/* libvpx VP8, real-time settings close to what libwebrtc uses for one stream. */
#include "sources/vp8_encoder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vpx/vp8cx.h>
#include <vpx/vpx_encoder.h>

#include "boltrtc/error.h"

struct brtc_vp8_encoder {
  vpx_codec_ctx_t codec;
  vpx_codec_enc_cfg_t cfg;
  uint8_t *out;
  size_t out_cap;
};

brtc_vp8_encoder *brtc_vp8_encoder_new(const brtc_vp8_encoder_config *c, char *err,
                                       size_t err_cap) {
  if (c->width < 16 || c->height < 16 || c->width > 4096 || c->height > 4096 || !c->fps_num ||
      !c->fps_den || c->bitrate_bps < 10000) {
    snprintf(err, err_cap, "VP8 encoder: unusable size %ux%u, rate %u/%u or bitrate %u",
             c->width, c->height, c->fps_num, c->fps_den, c->bitrate_bps);
    return NULL;
  }
  brtc_vp8_encoder *e = calloc(1, sizeof(*e));
  if (!e) {
    snprintf(err, err_cap, "out of memory");
    return NULL;
  }
  vpx_codec_enc_cfg_t *cfg = &e->cfg;
  if (vpx_codec_enc_config_default(vpx_codec_vp8_cx(), cfg, 0) != VPX_CODEC_OK) {
    snprintf(err, err_cap, "VP8 encoder: no default configuration");
    free(e);
    return NULL;
  }
  cfg->g_w = c->width;
  cfg->g_h = c->height;
  cfg->g_timebase.num = (int)c->fps_den;
  cfg->g_timebase.den = (int)c->fps_num;
  cfg->g_threads = 1;
  cfg->g_lag_in_frames = 0;     /* every frame out as it goes in */
  cfg->g_pass = VPX_RC_ONE_PASS;
  cfg->g_error_resilient = 0;
  cfg->rc_end_usage = VPX_CBR;
  cfg->rc_target_bitrate = c->bitrate_bps / 1000;
  cfg->rc_dropframe_thresh = 0; /* a test pattern frame is never dropped */
  cfg->rc_resize_allowed = 0;
  cfg->rc_min_quantizer = 2;
  cfg->rc_max_quantizer = 56;
  cfg->rc_undershoot_pct = 100;
  cfg->rc_overshoot_pct = 15;
  cfg->rc_buf_initial_sz = 500;
  cfg->rc_buf_optimal_sz = 600;
  cfg->rc_buf_sz = 1000;
  cfg->kf_mode = VPX_KF_AUTO;
  cfg->kf_min_dist = 0;
  cfg->kf_max_dist = c->keyframe_interval ? c->keyframe_interval : 100000;
  if (vpx_codec_enc_init(&e->codec, vpx_codec_vp8_cx(), cfg, 0) != VPX_CODEC_OK) {
    snprintf(err, err_cap, "VP8 encoder: libvpx refused %ux%u", c->width, c->height);
    free(e);
    return NULL;
  }
#if defined(__arm__) || defined(__aarch64__)
  vpx_codec_control(&e->codec, VP8E_SET_CPUUSED, -12); /* what libwebrtc uses on ARM */
#else
  vpx_codec_control(&e->codec, VP8E_SET_CPUUSED, -6);
#endif
  vpx_codec_control(&e->codec, VP8E_SET_NOISE_SENSITIVITY, 0);
  vpx_codec_control(&e->codec, VP8E_SET_STATIC_THRESHOLD, 1);
  vpx_codec_control(&e->codec, VP8E_SET_TOKEN_PARTITIONS, VP8_ONE_TOKENPARTITION);
  /* A keyframe at most 9 times an average frame: its burst stays within what a pacer
   * spreads over a few frame intervals (libwebrtc's MaxIntraTarget at 30 fps). */
  vpx_codec_control(&e->codec, VP8E_SET_MAX_INTRA_BITRATE_PCT, 900);
  return e;
}

void brtc_vp8_encoder_free(brtc_vp8_encoder *e) {
  if (!e) return;
  vpx_codec_destroy(&e->codec);
  free(e->out);
  free(e);
}

int brtc_vp8_encoder_encode(brtc_vp8_encoder *e, uint8_t *const planes[3], const int strides[3],
                            uint64_t pts, bool force_keyframe, const uint8_t **data,
                            size_t *len, bool *keyframe) {
  vpx_image_t img;
  if (!vpx_img_wrap(&img, VPX_IMG_FMT_I420, e->cfg.g_w, e->cfg.g_h, 1, planes[0]))
    return BRTC_ERR_INVALID;
  for (int i = 0; i < 3; i++) {
    img.planes[i] = planes[i];
    img.stride[i] = strides[i];
  }
  if (vpx_codec_encode(&e->codec, &img, (vpx_codec_pts_t)pts, 1,
                       force_keyframe ? VPX_EFLAG_FORCE_KF : 0, VPX_DL_REALTIME) != VPX_CODEC_OK)
    return BRTC_ERR_INVALID;
  size_t n = 0;
  bool key = false;
  vpx_codec_iter_t it = NULL;
  const vpx_codec_cx_pkt_t *pkt;
  while ((pkt = vpx_codec_get_cx_data(&e->codec, &it)) != NULL) {
    if (pkt->kind != VPX_CODEC_CX_FRAME_PKT) continue;
    size_t sz = pkt->data.frame.sz;
    if (n + sz > e->out_cap) {
      size_t cap = (n + sz) * 2;
      uint8_t *o = realloc(e->out, cap);
      if (!o) return BRTC_ERR_NOMEM;
      e->out = o;
      e->out_cap = cap;
    }
    memcpy(e->out + n, pkt->data.frame.buf, sz);
    n += sz;
    key |= (pkt->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
  }
  if (!n) return BRTC_ERR_AGAIN;
  *data = e->out;
  *len = n;
  *keyframe = key;
  return 0;
}

int brtc_vp8_encoder_set_bitrate(brtc_vp8_encoder *e, uint32_t bps) {
  if (bps < 10000) return BRTC_ERR_INVALID;
  e->cfg.rc_target_bitrate = bps / 1000;
  return vpx_codec_enc_config_set(&e->codec, &e->cfg) == VPX_CODEC_OK ? 0 : BRTC_ERR_INVALID;
}
