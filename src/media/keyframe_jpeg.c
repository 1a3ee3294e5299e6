/* Keyframe -> I420 (VP8: libvpx; H.264: openh264) -> JPEG (libturbojpeg 2.x API), buffers
 * reused. */
#include "media/keyframe_jpeg.h"

#include <stdbool.h>
#include <stdlib.h>
#include <turbojpeg.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>

#include "boltrtc/error.h"
#include "media/h264_decode.h"

struct brtc_keyframe_jpeg {
  vpx_codec_ctx_t decoder;
  brtc_h264_decoder *h264; /* made on the first H.264 keyframe */
  tjhandle compressor;
  int quality;
  unsigned char *jpeg; /* tjAlloc'd, grown to tjBufSize of the largest picture seen */
  unsigned long jpeg_cap;
  /* VP8 pictures are BT.601 studio range (Y 16..235, Cb/Cr 16..240); JFIF JPEG is full
   * range. Without this expansion every saved picture looks washed out. */
  uint8_t luma_lut[256], chroma_lut[256];
  uint8_t *full; /* the expanded planes, grown to the largest picture seen */
  size_t full_cap;
};

static uint8_t clamp_u8(int v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

/* Integer division rounded to nearest, for either sign of n (d > 0). */
static int div_round(int n, int d) { return n >= 0 ? (n + d / 2) / d : -((-n + d / 2) / d); }

static void make_range_luts(brtc_keyframe_jpeg *k) {
  for (int v = 0; v < 256; v++) {
    k->luma_lut[v] = clamp_u8(div_round((v - 16) * 255, 219));
    k->chroma_lut[v] = clamp_u8(128 + div_round((v - 128) * 255, 224));
  }
}

/* Copy plane with lut applied, rows of width w from src (stride) to dst (packed). */
static void expand_plane(const uint8_t *lut, const uint8_t *src, int stride, int w, int h,
                         uint8_t *dst) {
  for (int y = 0; y < h; y++, src += stride, dst += w)
    for (int x = 0; x < w; x++) dst[x] = lut[src[x]];
}

brtc_keyframe_jpeg *brtc_keyframe_jpeg_new(int quality) {
  if (quality < 1 || quality > 100) return NULL;
  brtc_keyframe_jpeg *k = calloc(1, sizeof(*k));
  if (!k) return NULL;
  k->quality = quality;
  make_range_luts(k);
  vpx_codec_dec_cfg_t cfg = {.threads = 1};
  if (vpx_codec_dec_init(&k->decoder, vpx_codec_vp8_dx(), &cfg, 0) != VPX_CODEC_OK) {
    free(k);
    return NULL;
  }
  k->compressor = tjInitCompress();
  if (!k->compressor) {
    vpx_codec_destroy(&k->decoder);
    free(k);
    return NULL;
  }
  return k;
}

void brtc_keyframe_jpeg_free(brtc_keyframe_jpeg *k) {
  if (!k) return;
  vpx_codec_destroy(&k->decoder);
  brtc_h264_decoder_free(k->h264);
  tjDestroy(k->compressor);
  tjFree(k->jpeg);
  free(k->full);
  free(k);
}

/* RFC 6386 9.1: key frame tag, start code, then 14-bit width and height. */
static int check_keyframe(const uint8_t *vp8, size_t len) {
  if (len < 10 || vp8[3] != 0x9d || vp8[4] != 0x01 || vp8[5] != 0x2a) {
    if (len >= 1 && (vp8[0] & 1)) return BRTC_ERR_UNSUPPORTED;
    return BRTC_ERR_PARSE;
  }
  if (vp8[0] & 1) return BRTC_ERR_UNSUPPORTED;
  unsigned w = (vp8[6] | (vp8[7] << 8)) & 0x3FFF, h = (vp8[8] | (vp8[9] << 8)) & 0x3FFF;
  if (w == 0 || h == 0) return BRTC_ERR_PARSE;
  if (w > BRTC_KEYFRAME_JPEG_MAX_DIM || h > BRTC_KEYFRAME_JPEG_MAX_DIM) return BRTC_ERR_TOO_BIG;
  return BRTC_OK;
}

/* A decoded picture, planes owned by the decoder until its next call. */
typedef struct picture {
  const uint8_t *planes[3];
  int strides[3];
  unsigned width, height;
  bool full_range;
} picture;

static int decode_vp8(brtc_keyframe_jpeg *k, const uint8_t *vp8, size_t len, picture *pic) {
  int rc = check_keyframe(vp8, len);
  if (rc != BRTC_OK) return rc;
  if (len > UINT32_MAX) return BRTC_ERR_TOO_BIG;
  if (vpx_codec_decode(&k->decoder, vp8, (unsigned)len, NULL, 0) != VPX_CODEC_OK)
    return BRTC_ERR_PARSE;
  vpx_codec_iter_t iter = NULL;
  vpx_image_t *img = vpx_codec_get_frame(&k->decoder, &iter);
  /* Drain so the next call starts clean. */
  while (vpx_codec_get_frame(&k->decoder, &iter)) {
  }
  if (!img || img->fmt != VPX_IMG_FMT_I420 || img->d_w == 0 || img->d_h == 0)
    return BRTC_ERR_PARSE;
  for (int i = 0; i < 3; i++) {
    pic->planes[i] = img->planes[i];
    pic->strides[i] = img->stride[i];
  }
  pic->width = img->d_w;
  pic->height = img->d_h;
  pic->full_range = false; /* VP8 is BT.601 studio range */
  return BRTC_OK;
}

static int decode_h264(brtc_keyframe_jpeg *k, const uint8_t *au, size_t len, picture *pic) {
  if (!k->h264) k->h264 = brtc_h264_decoder_new();
  if (!k->h264) return BRTC_ERR_NOMEM;
  int full = 0;
  int rc = brtc_h264_decoder_decode(k->h264, au, len, BRTC_KEYFRAME_JPEG_MAX_DIM, pic->planes,
                                    pic->strides, &pic->width, &pic->height, &full);
  pic->full_range = full != 0;
  return rc;
}

static int decode(brtc_keyframe_jpeg *k, brtc_keyframe_codec codec, const uint8_t *frame,
                  size_t len, picture *pic) {
  if (!k || !frame || !pic) return BRTC_ERR_INVALID;
  switch (codec) {
  case BRTC_KEYFRAME_VP8: return decode_vp8(k, frame, len, pic);
  case BRTC_KEYFRAME_H264: return decode_h264(k, frame, len, pic);
  default: return BRTC_ERR_INVALID;
  }
}

int brtc_keyframe_jpeg_decode_i420_codec(brtc_keyframe_jpeg *k, brtc_keyframe_codec codec,
                                         const uint8_t *frame, size_t len,
                                         const uint8_t *planes[3], int strides[3],
                                         unsigned *width, unsigned *height) {
  if (!planes || !strides || !width || !height) return BRTC_ERR_INVALID;
  picture pic;
  int rc = decode(k, codec, frame, len, &pic);
  if (rc != BRTC_OK) return rc;
  for (int i = 0; i < 3; i++) {
    planes[i] = pic.planes[i];
    strides[i] = pic.strides[i];
  }
  *width = pic.width;
  *height = pic.height;
  return BRTC_OK;
}

/* Worst-case JPEG size up front, so turbojpeg never reallocates behind our back; and room
 * for the planes in full range. */
static int reserve(brtc_keyframe_jpeg *k, int w, int h) {
  unsigned long need = tjBufSize(w, h, TJSAMP_420);
  if (need == (unsigned long)-1) return BRTC_ERR_TOO_BIG;
  if (need > k->jpeg_cap) {
    unsigned char *buf = tjAlloc((int)need);
    if (!buf) return BRTC_ERR_NOMEM;
    tjFree(k->jpeg);
    k->jpeg = buf;
    k->jpeg_cap = need;
  }
  int cw = (w + 1) / 2, ch = (h + 1) / 2;
  size_t full_need = (size_t)w * (size_t)h + 2 * (size_t)cw * (size_t)ch;
  if (full_need > k->full_cap) {
    uint8_t *buf = realloc(k->full, full_need);
    if (!buf) return BRTC_ERR_NOMEM;
    k->full = buf;
    k->full_cap = full_need;
  }
  return BRTC_OK;
}

int brtc_keyframe_jpeg_encode_codec(brtc_keyframe_jpeg *k, brtc_keyframe_codec codec,
                                    const uint8_t *frame, size_t len, const uint8_t **jpeg,
                                    size_t *jpeg_len, unsigned *width, unsigned *height) {
  if (!jpeg || !jpeg_len || !width || !height) return BRTC_ERR_INVALID;
  picture pic;
  int rc = decode(k, codec, frame, len, &pic);
  if (rc != BRTC_OK) return rc;
  int w = (int)pic.width, h = (int)pic.height, cw = (w + 1) / 2, ch = (h + 1) / 2;
  rc = reserve(k, w, h);
  if (rc != BRTC_OK) return rc;
  const unsigned char *planes[3] = {pic.planes[0], pic.planes[1], pic.planes[2]};
  int strides[3] = {pic.strides[0], pic.strides[1], pic.strides[2]};
  if (!pic.full_range) {
    uint8_t *y_full = k->full, *u_full = y_full + (size_t)w * h,
            *v_full = u_full + (size_t)cw * ch;
    expand_plane(k->luma_lut, pic.planes[0], pic.strides[0], w, h, y_full);
    expand_plane(k->chroma_lut, pic.planes[1], pic.strides[1], cw, ch, u_full);
    expand_plane(k->chroma_lut, pic.planes[2], pic.strides[2], cw, ch, v_full);
    planes[0] = y_full;
    planes[1] = u_full;
    planes[2] = v_full;
    strides[0] = w;
    strides[1] = strides[2] = cw;
  }
  unsigned long size = k->jpeg_cap;
  if (tjCompressFromYUVPlanes(k->compressor, planes, w, strides, h, TJSAMP_420, &k->jpeg, &size,
                              k->quality, TJFLAG_NOREALLOC) != 0)
    return BRTC_ERR_UNSUPPORTED;
  *jpeg = k->jpeg;
  *jpeg_len = size;
  *width = pic.width;
  *height = pic.height;
  return BRTC_OK;
}

int brtc_keyframe_jpeg_encode(brtc_keyframe_jpeg *k, const uint8_t *vp8, size_t len,
                              const uint8_t **jpeg, size_t *jpeg_len, unsigned *width,
                              unsigned *height) {
  return brtc_keyframe_jpeg_encode_codec(k, BRTC_KEYFRAME_VP8, vp8, len, jpeg, jpeg_len, width,
                                         height);
}

int brtc_keyframe_jpeg_decode_i420(brtc_keyframe_jpeg *k, const uint8_t *vp8, size_t len,
                                   const uint8_t *planes[3], int strides[3], unsigned *width,
                                   unsigned *height) {
  return brtc_keyframe_jpeg_decode_i420_codec(k, BRTC_KEYFRAME_VP8, vp8, len, planes, strides,
                                              width, height);
}
