/* Barcode cells: 96 bits in 3 rows of 32, read at the middle of each cell. */
#include "sources/barcode.h"

#include "boltrtc/error.h"

#define WHITE 235
#define BLACK 16

unsigned brtc_barcode_cell(unsigned width) {
  return width < BRTC_BARCODE_MIN_WIDTH ? 0 : width / BRTC_BARCODE_COLUMNS;
}

unsigned brtc_barcode_height(unsigned width) {
  return brtc_barcode_cell(width) * BRTC_BARCODE_ROWS;
}

uint16_t brtc_crc16_ccitt(const uint8_t *p, size_t len) {
  uint16_t c = 0xFFFF;
  for (size_t i = 0; i < len; i++) {
    c ^= (uint16_t)(p[i] << 8);
    for (int b = 0; b < 8; b++) c = (uint16_t)((c & 0x8000) ? (c << 1) ^ 0x1021 : c << 1);
  }
  return c;
}

static void pack(const brtc_barcode *b, uint8_t out[12]) {
  out[0] = BRTC_BARCODE_MAGIC;
  for (int i = 0; i < 6; i++) out[1 + i] = (uint8_t)(b->capture_ms >> (40 - 8 * i));
  out[7] = (uint8_t)(b->frame >> 16);
  out[8] = (uint8_t)(b->frame >> 8);
  out[9] = (uint8_t)b->frame;
  uint16_t crc = brtc_crc16_ccitt(out, 10);
  out[10] = (uint8_t)(crc >> 8);
  out[11] = (uint8_t)crc;
}

static unsigned cell_x(unsigned width, unsigned cell, unsigned i) {
  return (width - BRTC_BARCODE_COLUMNS * cell) / 2 + (i % BRTC_BARCODE_COLUMNS) * cell;
}

void brtc_barcode_draw(uint8_t *y, int stride, unsigned width, unsigned height,
                       const brtc_barcode *b) {
  unsigned cell = brtc_barcode_cell(width);
  if (!cell || height < 2 * brtc_barcode_height(width)) return;
  uint8_t bytes[12];
  pack(b, bytes);
  for (unsigned i = 0; i < BRTC_BARCODE_BITS; i++) {
    uint8_t v = (bytes[i / 8] >> (7 - i % 8)) & 1 ? WHITE : BLACK;
    unsigned x0 = cell_x(width, cell, i), y0 = (i / BRTC_BARCODE_COLUMNS) * cell;
    for (unsigned yy = y0; yy < y0 + cell; yy++)
      for (unsigned xx = x0; xx < x0 + cell; xx++) y[(size_t)yy * (size_t)stride + xx] = v;
  }
}

int brtc_barcode_read(const uint8_t *y, int stride, unsigned width, unsigned height,
                      brtc_barcode *out) {
  unsigned cell = brtc_barcode_cell(width);
  if (!cell || height < brtc_barcode_height(width)) return BRTC_ERR_INVALID;
  uint8_t bytes[12] = {0};
  unsigned lo = cell / 4, hi = (3 * cell) / 4;
  if (hi <= lo) hi = lo + 1;
  for (unsigned i = 0; i < BRTC_BARCODE_BITS; i++) {
    unsigned x0 = cell_x(width, cell, i), y0 = (i / BRTC_BARCODE_COLUMNS) * cell;
    unsigned sum = 0, n = 0;
    for (unsigned yy = y0 + lo; yy < y0 + hi; yy++)
      for (unsigned xx = x0 + lo; xx < x0 + hi; xx++, n++)
        sum += y[(size_t)yy * (size_t)stride + xx];
    if (sum * 2 > n * (WHITE + BLACK)) bytes[i / 8] |= (uint8_t)(1u << (7 - i % 8));
  }
  if (bytes[0] != BRTC_BARCODE_MAGIC) return BRTC_ERR_PARSE;
  if (brtc_crc16_ccitt(bytes, 10) != (uint16_t)((bytes[10] << 8) | bytes[11])) return BRTC_ERR_PARSE;
  out->capture_ms = 0;
  for (int i = 0; i < 6; i++) out->capture_ms = (out->capture_ms << 8) | bytes[1 + i];
  out->frame = ((uint32_t)bytes[7] << 16) | ((uint32_t)bytes[8] << 8) | bytes[9];
  return 0;
}
