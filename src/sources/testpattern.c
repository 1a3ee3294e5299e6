/* Drawing the test pattern: each term of the picture depends on x or on y alone, so a row is
 * a table lookup and an add (about 1 ms a 1280x720 frame), then the box and the barcode are
 * painted over it. */
#include "sources/testpattern.h"

#include <string.h>

/* 0, 1, ..., range, range - 1, ..., 0, 1, ... */
static unsigned triangle(uint64_t t, unsigned range) {
  if (range == 0) return 0;
  unsigned p = (unsigned)(t % (2ull * range));
  return p <= range ? p : 2 * range - p;
}

static void fill_rect(uint8_t *plane, int stride, unsigned x0, unsigned y0, unsigned w,
                      unsigned h, uint8_t v) {
  for (unsigned y = y0; y < y0 + h; y++) memset(plane + (size_t)y * (size_t)stride + x0, v, w);
}

void brtc_testpattern_draw(uint8_t *const planes[3], const int strides[3], unsigned w,
                           unsigned h, uint32_t frame, uint64_t capture_ms) {
  if (w > 4096) return;
  unsigned band = brtc_barcode_height(w) + brtc_barcode_cell(w) / 2;
  if (band > h) band = h;
  unsigned cw = (w + 1) / 2, ch = (h + 1) / 2, cband = (band + 1) / 2;
  /* The gradient scrolls 2 pixels a frame to the left. */
  uint8_t row_x[4096], row_u[2048];
  unsigned shift = (frame * 2u) % w;
  for (unsigned x = 0; x < w; x++) row_x[x] = (uint8_t)(40 + ((x + shift) % w) * 140 / w);
  for (unsigned x = 0; x < cw; x++) row_u[x] = (uint8_t)(96 + (2 * x * 64) / w);
  for (unsigned y = 0; y < h; y++) {
    uint8_t *row = planes[0] + (size_t)y * (size_t)strides[0];
    if (y < band) {
      memset(row, 128, w);
      continue;
    }
    uint8_t add = (uint8_t)((y * 40) / h);
    for (unsigned x = 0; x < w; x++) row[x] = (uint8_t)(row_x[x] + add);
  }
  for (unsigned y = 0; y < ch; y++) {
    uint8_t *u = planes[1] + (size_t)y * (size_t)strides[1];
    uint8_t *v = planes[2] + (size_t)y * (size_t)strides[2];
    if (y < cband) {
      memset(u, 128, cw);
      memset(v, 128, cw);
      continue;
    }
    memcpy(u, row_u, cw);
    memset(v, (uint8_t)(160 - (2 * y * 64) / h), cw);
  }
  /* The box bounces below the band; it is orange-red, on even pixels so that its chroma
   * covers it exactly. */
  unsigned bw = (w / 5) & ~1u, bh = (h / 5) & ~1u;
  unsigned bx = triangle((uint64_t)frame * 4, w - bw) & ~1u;
  unsigned room = h > band + bh ? h - band - bh : 0;
  unsigned by = (band + 1 + triangle((uint64_t)frame * 3, room)) & ~1u;
  if (by + bh > h) bh = 0;
  fill_rect(planes[0], strides[0], bx, by, bw, bh, 210);
  fill_rect(planes[1], strides[1], bx / 2, by / 2, bw / 2, bh / 2, 90);
  fill_rect(planes[2], strides[2], bx / 2, by / 2, bw / 2, bh / 2, 200);
  brtc_barcode draw = {.capture_ms = capture_ms & 0xFFFFFFFFFFFFull, .frame = frame & 0xFFFFFF};
  brtc_barcode_draw(planes[0], strides[0], w, h, &draw);
}
