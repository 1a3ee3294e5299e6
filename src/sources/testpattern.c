/* Drawing the test pattern, row by row (cheap enough for 1280x720 at 30 fps on one core). */
#include "sources/testpattern.h"

#include <string.h>

/* 0, 1, ..., range, range - 1, ..., 0, 1, ... */
static unsigned triangle(uint64_t t, unsigned range) {
  if (range == 0) return 0;
  unsigned p = (unsigned)(t % (2ull * range));
  return p <= range ? p : 2 * range - p;
}

void brtc_testpattern_draw(uint8_t *const planes[3], const int strides[3], unsigned w,
                           unsigned h, uint32_t frame, uint64_t capture_ms) {
  unsigned band = brtc_barcode_height(w) + brtc_barcode_cell(w) / 2;
  unsigned bw = w / 5, bh = h / 5;
  unsigned bx = triangle((uint64_t)frame * 4, w - bw);
  unsigned by = band + triangle((uint64_t)frame * 3, h > band + bh ? h - band - bh : 0);
  unsigned shift = (frame * 2u) % w;
  for (unsigned y = 0; y < h; y++) {
    uint8_t *row = planes[0] + (size_t)y * (size_t)strides[0];
    if (y < band) {
      memset(row, 128, w);
      continue;
    }
    for (unsigned x = 0; x < w; x++) {
      unsigned v = 40 + ((x + shift) % w) * 140 / w + (y * 40) / h;
      if (x >= bx && x < bx + bw && y >= by && y < by + bh) v = 210;
      row[x] = (uint8_t)v;
    }
  }
  for (unsigned y = 0; y < (h + 1) / 2; y++) {
    uint8_t *u = planes[1] + (size_t)y * (size_t)strides[1];
    uint8_t *v = planes[2] + (size_t)y * (size_t)strides[2];
    for (unsigned x = 0; x < (w + 1) / 2; x++) {
      unsigned px = 2 * x, py = 2 * y;
      if (py < band) {
        u[x] = v[x] = 128;
      } else if (px >= bx && px < bx + bw && py >= by && py < by + bh) {
        u[x] = 90; /* the box is orange-red */
        v[x] = 200;
      } else {
        u[x] = (uint8_t)(96 + (px * 64) / w);
        v[x] = (uint8_t)(160 - (py * 64) / h);
      }
    }
  }
  brtc_barcode draw = {.capture_ms = capture_ms & 0xFFFFFFFFFFFFull, .frame = frame & 0xFFFFFF};
  brtc_barcode_draw(planes[0], strides[0], w, h, &draw);
}
