/* H.264 keyframes to JPEG (openh264 decoding): an IDR of a known picture, made by openh264's
 * encoder, becomes a JPEG that matches the picture by PSNR while the same picture shifted
 * scores clearly lower; x264's High profile decodes too; what openh264 cannot decode or a
 * size past the limit is refused before decoding. */
#include <stdio.h>
#include <stdlib.h>
#include <turbojpeg.h>
#include <vpx/vpx_image.h>

#include "../codec/vpx_encode.h"
#include "boltrtc/error.h"
#include "codec/h264.h"
#include "h264_encode.h"
#include "media/keyframe_jpeg.h"
#include "psnr.h"
#include "testing.h"

#ifndef BRTC_CODEC_FIXTURES
#define BRTC_CODEC_FIXTURES "tests/codec/fixtures"
#endif

static size_t encode_picture(vpx_image_t *img, unsigned w, unsigned h, unsigned sx, int max_qp,
                             uint8_t *out, size_t cap) {
  test_draw_picture(img, w, h, sx, h / 5);
  int strides[3] = {img->stride[0], img->stride[1], img->stride[2]};
  return test_h264_encode_idr(img->planes, strides, (int)w, (int)h, max_qp, out, cap);
}

/* Decode the JPEG to gray and compare with the picture, and with it shifted by 8 pixels. */
static void check_jpeg_matches(const uint8_t *jpeg, size_t jpeg_len, const vpx_image_t *src,
                               unsigned w, unsigned h) {
  tjhandle d = tjInitDecompress();
  int jw = 0, jh = 0, sub = -1, cs = -1;
  CHECK_EQ_INT(tjDecompressHeader3(d, jpeg, jpeg_len, &jw, &jh, &sub, &cs), 0);
  CHECK_EQ_INT(jw, w);
  CHECK_EQ_INT(jh, h);
  CHECK_EQ_INT(sub, TJSAMP_420);
  uint8_t *gray = malloc((size_t)w * h);
  CHECK_EQ_INT(tjDecompress2(d, jpeg, jpeg_len, gray, (int)w, 0, (int)h, TJPF_GRAY, 0), 0);
  double same = test_psnr_luma(gray, src->planes[0], src->stride[0], w, h, 0);
  double shifted = test_psnr_luma(gray, src->planes[0], src->stride[0], w, h, 8);
  fprintf(stderr, "%ux%u: PSNR %.2f dB, shifted by 8 pixels %.2f dB\n", w, h, same, shifted);
  CHECK(same >= 30.0);
  CHECK(shifted < same - 10.0);
  free(gray);
  tjDestroy(d);
}

static void test_idr_to_jpeg(void) {
  const unsigned sizes[][2] = {{320, 240}, {322, 242}, {98, 58}}; /* the last two crop */
  static uint8_t au[2000000];
  brtc_keyframe_jpeg *k = brtc_keyframe_jpeg_new(90);
  CHECK(k != NULL);
  for (size_t i = 0; i < 3; i++) {
    unsigned w = sizes[i][0], h = sizes[i][1];
    vpx_image_t *img = vpx_img_alloc(NULL, VPX_IMG_FMT_I420, w, h, 1);
    size_t len = encode_picture(img, w, h, w / 3, 22, au, sizeof au);
    CHECK(len > 100);
    brtc_h264_sps sps;
    size_t pos = 0;
    brtc_h264_nal nal;
    CHECK(brtc_h264_annexb_next(au, len, &pos, &nal));
    CHECK_EQ_INT(brtc_h264_sps_parse(nal.data, nal.len, &sps), BRTC_OK); /* SPS first */
    const uint8_t *jpeg = NULL;
    size_t jpeg_len = 0;
    unsigned jw = 0, jh = 0;
    CHECK_EQ_INT(brtc_keyframe_jpeg_encode_codec(k, BRTC_KEYFRAME_H264, au, len, &jpeg, &jpeg_len,
                                                 &jw, &jh),
                 BRTC_OK);
    CHECK_EQ_INT(jw, w);
    CHECK_EQ_INT(jh, h);
    if (jpeg_len) check_jpeg_matches(jpeg, jpeg_len, img, w, h);
    /* The raw planes too: the bright square is where it was drawn. */
    const uint8_t *planes[3];
    int strides[3];
    CHECK_EQ_INT(brtc_keyframe_jpeg_decode_i420_codec(k, BRTC_KEYFRAME_H264, au, len, planes,
                                                      strides, &jw, &jh),
                 BRTC_OK);
    unsigned x = w / 3 + 2, y = h / 5 + 2;
    CHECK(abs((int)planes[0][y * (unsigned)strides[0] + x] - 235) < 12);
    vpx_img_free(img);
  }
  brtc_keyframe_jpeg_free(k);
}

static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  static uint8_t buf[1 << 20];
  *len = fread(buf, 1, sizeof buf, f);
  fclose(f);
  return buf;
}

/* x264's High profile (CABAC, 8x8 transform, reordering allowed) at 642x482: decoded, its
 * luma in 8x8 blocks matches the source's (fixtures/README.md). */
static void test_x264_high_profile(void) {
  size_t len = 0, luma_len = 0;
  static uint8_t luma[81 * 61];
  uint8_t *l = read_file(BRTC_CODEC_FIXTURES "/x264_642x482_luma.bin", &luma_len);
  CHECK(l != NULL && luma_len == sizeof luma);
  if (!l || luma_len != sizeof luma) return;
  memcpy(luma, l, sizeof luma);
  uint8_t *au = read_file(BRTC_CODEC_FIXTURES "/x264_642x482_idr.h264", &len);
  CHECK(au != NULL);
  if (!au) return;
  brtc_keyframe_jpeg *k = brtc_keyframe_jpeg_new(90);
  const uint8_t *planes[3];
  int strides[3];
  unsigned w = 0, h = 0;
  CHECK_EQ_INT(brtc_keyframe_jpeg_decode_i420_codec(k, BRTC_KEYFRAME_H264, au, len, planes,
                                                    strides, &w, &h),
               BRTC_OK);
  CHECK_EQ_INT(w, 642);
  CHECK_EQ_INT(h, 482);
  if (w != 642 || h != 482) {
    brtc_keyframe_jpeg_free(k);
    return;
  }
  double se[2] = {0, 0};
  for (unsigned by = 0; by < 61; by++)
    for (unsigned bx = 0; bx < 81; bx++) {
      unsigned sum = 0, n = 0;
      for (unsigned y = by * 8; y < by * 8 + 8 && y < h; y++)
        for (unsigned x = bx * 8; x < bx * 8 + 8 && x < w; x++, n++)
          sum += planes[0][y * (unsigned)strides[0] + x];
      int mean = (int)((sum + n / 2) / n);
      for (int shift = 0; shift < 2; shift++) {
        unsigned sbx = bx + (unsigned)shift < 81 ? bx + (unsigned)shift : 80;
        double d = mean - luma[by * 81 + sbx];
        se[shift] += d * d;
      }
    }
  double psnr[2];
  for (int i = 0; i < 2; i++) psnr[i] = 10 * log10(255.0 * 255.0 / (se[i] / (81 * 61) + 1e-9));
  fprintf(stderr, "x264 High 642x482: block PSNR %.2f dB, shifted one block %.2f dB\n", psnr[0],
          psnr[1]);
  CHECK(psnr[0] >= 35.0);
  CHECK(psnr[1] < psnr[0] - 10.0);
  const uint8_t *jpeg;
  size_t jpeg_len;
  CHECK_EQ_INT(brtc_keyframe_jpeg_encode_codec(k, BRTC_KEYFRAME_H264, au, len, &jpeg, &jpeg_len,
                                               &w, &h),
               BRTC_OK);
  brtc_keyframe_jpeg_free(k);
}

/* An access unit: a start code before each unit given as hex. */
static size_t unit_of(const char *const *hex, size_t n, uint8_t *out) {
  size_t len = 0;
  for (size_t i = 0; i < n; i++) {
    memcpy(out + len, "\x00\x00\x00\x01", 4);
    len += 4;
    for (const char *p = hex[i]; p[0] && p[1]; p += 2) {
      unsigned v;
      sscanf(p, "%2x", &v);
      out[len++] = (uint8_t)v;
    }
  }
  return len;
}

static void test_refused(void) {
  brtc_keyframe_jpeg *k = brtc_keyframe_jpeg_new(80);
  uint8_t au[512];
  const uint8_t *jpeg;
  size_t jpeg_len, len;
  unsigned w, h;
  const char *pps = "68ebe3cb22c0", *idr = "6588840021ffffe0", *p_slice = "419a0211";
  /* Real SPS of what openh264 does not decode (fixtures/h264_sps.txt). */
  const char *sps_444 = "67f4001e919b281487fc7c7e0220000003002000000781e2c5b2c0";
  const char *sps_interlaced = "67640028acd94078044fde025280000003008000001e0f8b16cb";
  const char *sps_high10 = "676e001ea6cd940a43fe2223012940000003004000000f03c58b6580";
  const char *sps_ok = "6764001eacd940a43fe222301294000003000400000300f03c58b658";
  const char *const not_decodable[] = {sps_444, sps_interlaced, sps_high10};
  for (size_t i = 0; i < 3; i++) {
    const char *u[] = {not_decodable[i], pps, idr};
    len = unit_of(u, 3, au);
    CHECK_EQ_INT(brtc_keyframe_jpeg_encode_codec(k, BRTC_KEYFRAME_H264, au, len, &jpeg, &jpeg_len,
                                                 &w, &h),
                 BRTC_ERR_UNSUPPORTED);
  }
  /* Not a keyframe; no SPS; no PPS; not even Annex-B. */
  const char *inter[] = {sps_ok, pps, p_slice};
  len = unit_of(inter, 3, au);
  CHECK_EQ_INT(brtc_keyframe_jpeg_encode_codec(k, BRTC_KEYFRAME_H264, au, len, &jpeg, &jpeg_len,
                                               &w, &h),
               BRTC_ERR_UNSUPPORTED);
  const char *no_sps[] = {pps, idr}, *no_pps[] = {sps_ok, idr};
  len = unit_of(no_sps, 2, au);
  CHECK_EQ_INT(brtc_keyframe_jpeg_encode_codec(k, BRTC_KEYFRAME_H264, au, len, &jpeg, &jpeg_len,
                                               &w, &h),
               BRTC_ERR_PARSE);
  len = unit_of(no_pps, 2, au);
  CHECK_EQ_INT(brtc_keyframe_jpeg_encode_codec(k, BRTC_KEYFRAME_H264, au, len, &jpeg, &jpeg_len,
                                               &w, &h),
               BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_keyframe_jpeg_encode_codec(k, BRTC_KEYFRAME_H264, (const uint8_t *)"junk", 4,
                                               &jpeg, &jpeg_len, &w, &h),
               BRTC_ERR_UNSUPPORTED);
  /* Wider than BRTC_KEYFRAME_JPEG_MAX_DIM (x264, 4112x64): refused before decoding. */
  const char *wide[] = {"6764003eacd94010126c0440000003004000000f03c2010658", pps, idr};
  len = unit_of(wide, 3, au);
  CHECK_EQ_INT(brtc_keyframe_jpeg_encode_codec(k, BRTC_KEYFRAME_H264, au, len, &jpeg, &jpeg_len,
                                               &w, &h),
               BRTC_ERR_TOO_BIG);
  /* A valid-looking IDR whose slice data is garbage: openh264 refuses it, and the next
   * good keyframe still decodes (the decoder starts over after an error). */
  const char *garbage[] = {sps_ok, pps, "6588841234567890abcdef0123456789abcdef"};
  len = unit_of(garbage, 3, au);
  int rc = brtc_keyframe_jpeg_encode_codec(k, BRTC_KEYFRAME_H264, au, len, &jpeg, &jpeg_len, &w,
                                           &h);
  CHECK(rc == BRTC_ERR_PARSE);
  static uint8_t good[2000000];
  vpx_image_t *img = vpx_img_alloc(NULL, VPX_IMG_FMT_I420, 160, 120, 1);
  size_t glen = encode_picture(img, 160, 120, 40, 30, good, sizeof good);
  CHECK_EQ_INT(brtc_keyframe_jpeg_encode_codec(k, BRTC_KEYFRAME_H264, good, glen, &jpeg,
                                               &jpeg_len, &w, &h),
               BRTC_OK);
  CHECK_EQ_INT(w, 160);
  /* VP8 and H.264 keyframes through the same object, one after the other. */
  test_vp8_encoder e;
  CHECK_EQ_INT(test_vp8_encoder_init(&e, 200, 100), 0);
  test_draw_picture(&e.img, 200, 100, 10, 10);
  static uint8_t key[200000];
  size_t key_len = test_vp8_encode(&e, true, key, sizeof key);
  CHECK_EQ_INT(brtc_keyframe_jpeg_encode_codec(k, BRTC_KEYFRAME_VP8, key, key_len, &jpeg,
                                               &jpeg_len, &w, &h),
               BRTC_OK);
  CHECK_EQ_INT(w, 200);
  CHECK_EQ_INT(brtc_keyframe_jpeg_encode_codec(k, BRTC_KEYFRAME_H264, good, glen, &jpeg,
                                               &jpeg_len, &w, &h),
               BRTC_OK);
  CHECK_EQ_INT(w, 160);
  CHECK_EQ_INT(brtc_keyframe_jpeg_encode_codec(k, (brtc_keyframe_codec)7, good, glen, &jpeg,
                                               &jpeg_len, &w, &h),
               BRTC_ERR_INVALID);
  test_vp8_encoder_free(&e);
  vpx_img_free(img);
  brtc_keyframe_jpeg_free(k);
}

int main(void) {
  RUN(test_idr_to_jpeg);
  RUN(test_x264_high_profile);
  RUN(test_refused);
  return TEST_REPORT();
}
