/* VP8 keyframe to JPEG: real libvpx bytes in, a JPEG that looks like the source out. */
#include <math.h>
#include <stdlib.h>
#include <turbojpeg.h>

#include "../codec/vpx_encode.h"
#include "boltrtc/error.h"
#include "media/keyframe_jpeg.h"
#include "psnr.h"
#include "testing.h"

static void test_keyframe_to_jpeg(void) {
  const unsigned W = 320, H = 240;
  test_vp8_encoder e;
  CHECK_EQ_INT(test_vp8_encoder_init(&e, W, H), 0);
  test_draw_picture(&e.img, W, H, 100, 80);
  static uint8_t key[300000], delta[300000];
  size_t key_len = test_vp8_encode(&e, true, key, sizeof key);
  test_draw_picture(&e.img, W, H, 110, 80);
  size_t delta_len = test_vp8_encode(&e, false, delta, sizeof delta);
  CHECK(key_len > 0);
  CHECK(delta_len > 0);

  brtc_keyframe_jpeg *k = brtc_keyframe_jpeg_new(90);
  CHECK(k != NULL);
  const uint8_t *jpeg = NULL;
  size_t jpeg_len = 0;
  unsigned w = 0, h = 0;
  CHECK_EQ_INT(brtc_keyframe_jpeg_encode(k, key, key_len, &jpeg, &jpeg_len, &w, &h), BRTC_OK);
  CHECK_EQ_INT(w, W);
  CHECK_EQ_INT(h, H);
  CHECK(jpeg_len > 100);
  CHECK(jpeg[0] == 0xFF && jpeg[1] == 0xD8);
  CHECK(jpeg[jpeg_len - 2] == 0xFF && jpeg[jpeg_len - 1] == 0xD9);

  tjhandle d = tjInitDecompress();
  int jw = 0, jh = 0, sub = -1, cs = -1;
  CHECK_EQ_INT(tjDecompressHeader3(d, jpeg, jpeg_len, &jw, &jh, &sub, &cs), 0);
  CHECK_EQ_INT(jw, W);
  CHECK_EQ_INT(jh, H);
  CHECK_EQ_INT(sub, TJSAMP_420);
  uint8_t *gray = malloc((size_t)W * H);
  CHECK_EQ_INT(tjDecompress2(d, jpeg, jpeg_len, gray, (int)W, 0, (int)H, TJPF_GRAY, 0), 0);

  /* Compare with the picture that was encoded (redraw it: the encoder image was reused). */
  test_draw_picture(&e.img, W, H, 100, 80);
  double same = test_psnr_luma(gray, e.img.planes[0], e.img.stride[0], W, H, 0);
  double shifted = test_psnr_luma(gray, e.img.planes[0], e.img.stride[0], W, H, 8);
  fprintf(stderr, "PSNR %.2f dB, shifted by 8 pixels %.2f dB\n", same, shifted);
  CHECK(same >= 30.0);
  CHECK(shifted < same - 10.0);

  /* The decoded I420 planes are the keyframe at its real size too. */
  const uint8_t *planes[3];
  int strides[3];
  CHECK_EQ_INT(brtc_keyframe_jpeg_decode_i420(k, key, key_len, planes, strides, &w, &h), BRTC_OK);
  CHECK_EQ_INT(w, W);
  CHECK(strides[0] >= (int)W);
  CHECK(abs((int)planes[0][120 * strides[0] + 150] - 235) < 12); /* inside the square */

  /* The buffer is reused from one keyframe to the next. */
  const uint8_t *first = jpeg;
  CHECK_EQ_INT(brtc_keyframe_jpeg_encode(k, key, key_len, &jpeg, &jpeg_len, &w, &h), BRTC_OK);
  CHECK(jpeg == first);

  /* Inter frames are not keyframes. */
  CHECK_EQ_INT(brtc_keyframe_jpeg_encode(k, delta, delta_len, &jpeg, &jpeg_len, &w, &h),
               BRTC_ERR_UNSUPPORTED);
  free(gray);
  tjDestroy(d);
  brtc_keyframe_jpeg_free(k);
  test_vp8_encoder_free(&e);
}

static void test_odd_size(void) {
  /* Display size is not a multiple of 16 (nor even): the JPEG must have it exactly. */
  const unsigned W = 97, H = 61;
  test_vp8_encoder e;
  CHECK_EQ_INT(test_vp8_encoder_init(&e, W, H), 0);
  test_draw_picture(&e.img, W, H, 10, 10);
  static uint8_t key[100000];
  size_t key_len = test_vp8_encode(&e, true, key, sizeof key);
  test_vp8_encoder_free(&e);
  brtc_keyframe_jpeg *k = brtc_keyframe_jpeg_new(75);
  const uint8_t *jpeg = NULL;
  size_t jpeg_len = 0;
  unsigned w = 0, h = 0;
  CHECK_EQ_INT(brtc_keyframe_jpeg_encode(k, key, key_len, &jpeg, &jpeg_len, &w, &h), BRTC_OK);
  CHECK_EQ_INT(w, W);
  CHECK_EQ_INT(h, H);
  tjhandle d = tjInitDecompress();
  int jw = 0, jh = 0, sub = -1, cs = -1;
  CHECK_EQ_INT(tjDecompressHeader3(d, jpeg, jpeg_len, &jw, &jh, &sub, &cs), 0);
  CHECK_EQ_INT(jw, W);
  CHECK_EQ_INT(jh, H);
  tjDestroy(d);
  brtc_keyframe_jpeg_free(k);
}

static void test_rejects(void) {
  brtc_keyframe_jpeg *k = brtc_keyframe_jpeg_new(80);
  const uint8_t *jpeg;
  size_t jpeg_len;
  unsigned w, h;
  const uint8_t junk[] = {0x00, 0x00, 0x00, 0x11, 0x22, 0x33, 0, 0, 0, 0, 0, 0};
  CHECK_EQ_INT(brtc_keyframe_jpeg_encode(k, junk, sizeof junk, &jpeg, &jpeg_len, &w, &h),
               BRTC_ERR_PARSE);
  /* A valid-looking keyframe header with garbage after it. */
  uint8_t bad[64] = {0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xF0, 0x00};
  for (size_t i = 10; i < sizeof bad; i++) bad[i] = (uint8_t)(i * 37);
  int rc = brtc_keyframe_jpeg_encode(k, bad, sizeof bad, &jpeg, &jpeg_len, &w, &h);
  CHECK(rc == BRTC_OK || rc == BRTC_ERR_PARSE); /* libvpx may conceal; it must not crash */
  /* A 16000 x 16000 header is refused before libvpx sees it. */
  uint8_t huge[64] = {0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x3E, 0x80, 0x3E};
  CHECK_EQ_INT(brtc_keyframe_jpeg_encode(k, huge, sizeof huge, &jpeg, &jpeg_len, &w, &h),
               BRTC_ERR_TOO_BIG);
  CHECK_EQ_INT(brtc_keyframe_jpeg_encode(k, huge, 5, &jpeg, &jpeg_len, &w, &h), BRTC_ERR_PARSE);
  CHECK(brtc_keyframe_jpeg_new(0) == NULL);
  CHECK(brtc_keyframe_jpeg_new(101) == NULL);
  brtc_keyframe_jpeg_free(k);
}

int main(void) {
  RUN(test_keyframe_to_jpeg);
  RUN(test_odd_size);
  RUN(test_rejects);
  return TEST_REPORT();
}
