/* Test helper: how close a decoded JPEG's luma is to the studio-range source it was made
 * from, in PSNR. */
#ifndef BRTC_TEST_PSNR_H
#define BRTC_TEST_PSNR_H

#include <math.h>
#include <stdint.h>

/* PSNR of gray (w x h, packed, full range) against the source luma shifted right by dx
 * pixels (columns that fall off are compared with the edge column). The source is studio
 * range (BT.601); a JPEG is full range, so the source is expanded before comparing. */
static inline double test_psnr_luma(const uint8_t *gray, const uint8_t *src, int stride,
                                    unsigned w, unsigned h, unsigned dx) {
  double se = 0;
  for (unsigned y = 0; y < h; y++)
    for (unsigned x = 0; x < w; x++) {
      unsigned sx = x + dx < w ? x + dx : w - 1;
      double full = (src[y * (unsigned)stride + sx] - 16) * 255.0 / 219.0;
      double d = (double)gray[y * w + x] - (full < 0 ? 0 : full > 255 ? 255 : full);
      se += d * d;
    }
  double mse = se / ((double)w * h);
  return mse == 0 ? 99.0 : 10.0 * log10(255.0 * 255.0 / mse);
}

#endif
