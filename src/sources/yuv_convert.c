/* YUYV, NV12, I420 and JPEG planes to I420. */
#include "sources/yuv_convert.h"

#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"

int brtc_i420_alloc(brtc_i420 *p, unsigned width, unsigned height) {
  memset(p, 0, sizeof(*p));
  size_t luma = (size_t)width * height, chroma = luma / 4;
  uint8_t *b = malloc(luma + 2 * chroma);
  if (!b) return BRTC_ERR_NOMEM;
  p->planes[0] = b;
  p->planes[1] = b + luma;
  p->planes[2] = b + luma + chroma;
  p->strides[0] = (int)width;
  p->strides[1] = p->strides[2] = (int)(width / 2);
  p->width = width;
  p->height = height;
  return 0;
}

void brtc_i420_free(brtc_i420 *p) {
  free(p->planes[0]);
  memset(p, 0, sizeof(*p));
}

void brtc_yuyv_to_i420(const uint8_t *src, size_t stride, const brtc_i420 *d) {
  for (unsigned y = 0; y < d->height; y += 2) {
    const uint8_t *r0 = src + (size_t)y * stride, *r1 = r0 + stride;
    uint8_t *y0 = d->planes[0] + (size_t)y * (size_t)d->strides[0];
    uint8_t *y1 = y0 + d->strides[0];
    uint8_t *u = d->planes[1] + (size_t)(y / 2) * (size_t)d->strides[1];
    uint8_t *v = d->planes[2] + (size_t)(y / 2) * (size_t)d->strides[2];
    for (unsigned x = 0; x < d->width; x += 2) {
      const uint8_t *a = r0 + 2 * x, *b = r1 + 2 * x;
      y0[x] = a[0];
      y0[x + 1] = a[2];
      y1[x] = b[0];
      y1[x + 1] = b[2];
      u[x / 2] = (uint8_t)((a[1] + b[1] + 1) / 2);
      v[x / 2] = (uint8_t)((a[3] + b[3] + 1) / 2);
    }
  }
}

void brtc_nv12_to_i420(const uint8_t *y, size_t y_stride, const uint8_t *uv, size_t uv_stride,
                       const brtc_i420 *d) {
  for (unsigned r = 0; r < d->height; r++)
    memcpy(d->planes[0] + (size_t)r * (size_t)d->strides[0], y + r * y_stride, d->width);
  for (unsigned r = 0; r < d->height / 2; r++) {
    const uint8_t *s = uv + r * uv_stride;
    uint8_t *u = d->planes[1] + (size_t)r * (size_t)d->strides[1];
    uint8_t *v = d->planes[2] + (size_t)r * (size_t)d->strides[2];
    for (unsigned x = 0; x < d->width / 2; x++) {
      u[x] = s[2 * x];
      v[x] = s[2 * x + 1];
    }
  }
}

void brtc_i420_copy(const uint8_t *const src[3], const size_t strides[3], const brtc_i420 *d) {
  for (int p = 0; p < 3; p++) {
    unsigned w = p ? d->width / 2 : d->width, h = p ? d->height / 2 : d->height;
    for (unsigned r = 0; r < h; r++)
      memcpy(d->planes[p] + (size_t)r * (size_t)d->strides[p], src[p] + r * strides[p], w);
  }
}

static uint8_t luma_to_studio(unsigned v) { return (uint8_t)(16 + (v * 219 + 127) / 255); }
static uint8_t chroma_to_studio(unsigned v) {
  int c = (int)v - 128;
  return (uint8_t)(128 + (c >= 0 ? (c * 224 + 127) / 255 : -((-c * 224 + 127) / 255)));
}

void brtc_full_range_to_i420(const uint8_t *const src[3], const int strides[3], unsigned cw,
                             unsigned ch, const brtc_i420 *d) {
  uint8_t luma[256], chroma[256];
  for (unsigned v = 0; v < 256; v++) {
    luma[v] = luma_to_studio(v);
    chroma[v] = chroma_to_studio(v);
  }
  for (unsigned y = 0; y < d->height; y++) {
    const uint8_t *s = src[0] + (size_t)y * (size_t)strides[0];
    uint8_t *o = d->planes[0] + (size_t)y * (size_t)d->strides[0];
    for (unsigned x = 0; x < d->width; x++) o[x] = luma[s[x]];
  }
  unsigned ow = d->width / 2, oh = d->height / 2;
  for (int p = 1; p < 3; p++) {
    for (unsigned y = 0; y < oh; y++) {
      uint8_t *o = d->planes[p] + (size_t)y * (size_t)d->strides[p];
      if (!src[1]) {
        memset(o, 128, ow);
        continue;
      }
      if (cw == ow && ch == oh) { /* 4:2:0 already */
        const uint8_t *s = src[p] + (size_t)y * (size_t)strides[p];
        for (unsigned x = 0; x < ow; x++) o[x] = chroma[s[x]];
        continue;
      }
      if (cw == ow && ch == 2 * oh) { /* 4:2:2, what cameras send: two rows averaged */
        const uint8_t *s0 = src[p] + (size_t)(2 * y) * (size_t)strides[p], *s1 = s0 + strides[p];
        for (unsigned x = 0; x < ow; x++) o[x] = chroma[(s0[x] + s1[x] + 1) / 2];
        continue;
      }
      /* Any other subsampling: the source samples this output sample covers (at least one
       * of each), averaged. */
      unsigned y0 = y * ch / oh, y1 = (y + 1) * ch / oh;
      if (y1 <= y0) y1 = y0 + 1;
      for (unsigned x = 0; x < ow; x++) {
        unsigned x0 = x * cw / ow, x1 = (x + 1) * cw / ow;
        if (x1 <= x0) x1 = x0 + 1;
        unsigned sum = 0, n = 0;
        for (unsigned sy = y0; sy < y1 && sy < ch; sy++)
          for (unsigned sx = x0; sx < x1 && sx < cw; sx++, n++)
            sum += src[p][(size_t)sy * (size_t)strides[p] + sx];
        o[x] = chroma[n ? (sum + n / 2) / n : 128];
      }
    }
  }
}
