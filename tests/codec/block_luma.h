/* Test helper: compare a decoded 640x480 picture with the fake camera's still picture by the
 * mean luma of 8x8 blocks (tests/rtp/fixtures/still_luma_80x60.bin holds the source's). */
#ifndef BRTC_TEST_BLOCK_LUMA_H
#define BRTC_TEST_BLOCK_LUMA_H

#include <math.h>
#include <stdint.h>

#define BLOCK_LUMA_W 640
#define BLOCK_LUMA_H 480
#define BLOCK 8
#define BW (BLOCK_LUMA_W / BLOCK)
#define BH (BLOCK_LUMA_H / BLOCK)

/* Mean luma of each 8x8 block, rounded as capture_chrome_media.py does. */
static inline void block_means(const uint8_t *y, int stride, uint8_t out[BW * BH]) {
  for (int by = 0; by < BH; by++)
    for (int bx = 0; bx < BW; bx++) {
      unsigned sum = 0;
      for (int r = 0; r < BLOCK; r++)
        for (int c = 0; c < BLOCK; c++) sum += y[(by * BLOCK + r) * stride + bx * BLOCK + c];
      out[by * BW + bx] = (uint8_t)((sum + BLOCK * BLOCK / 2) / (BLOCK * BLOCK));
    }
}

/* PSNR of a against b, b moved right by shift blocks (the first columns compare with b's
 * first column). */
static inline double psnr_blocks(const uint8_t *a, const uint8_t *b, int shift) {
  double se = 0;
  for (int y = 0; y < BH; y++)
    for (int x = 0; x < BW; x++) {
      int sx = x - shift < 0 ? 0 : x - shift;
      double d = (double)a[y * BW + x] - b[y * BW + sx];
      se += d * d;
    }
  double mse = se / (BW * BH);
  return mse == 0 ? 99.0 : 10 * log10(255.0 * 255.0 / mse);
}

#endif
