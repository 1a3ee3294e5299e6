/* The test pattern's barcode: a frame's capture time and number drawn as black and white
 * blocks big enough to survive video compression, so that whoever decodes the picture (a
 * test with libvpx, a page with a canvas) can read them back and measure glass-to-glass
 * latency or find the source frame to compare against.
 *
 * Layout, for a picture W x H pixels (W >= 128, H >= 6 * cell):
 *   cell = floor(W / 32) pixels, square
 *   x0   = floor((W - 32 * cell) / 2), y0 = 0
 *   96 cells in 3 rows of 32, left to right then top to bottom: cell i covers
 *     x in [x0 + (i % 32) * cell, x0 + (i % 32 + 1) * cell)
 *     y in [(i / 32) * cell, (i / 32 + 1) * cell)
 *   a cell is white (Y 235, RGB 255) for a 1 bit and black (Y 16, RGB 0) for a 0.
 * Bits, most significant first: 12 bytes, cell i holding bit (7 - i % 8) of byte i / 8:
 *   byte 0      0xB5, the magic
 *   bytes 1-6   capture time, milliseconds since the Unix epoch (48 bits, big-endian)
 *   bytes 7-9   frame number mod 2^24 (big-endian)
 *   bytes 10-11 CRC-16/CCITT-FALSE (polynomial 0x1021, initial 0xFFFF, no reflection, no
 *               final xor) of bytes 0-9 (big-endian); check value of "123456789": 0x29B1
 * To read: average the luma over the middle half of each cell (x and y from cell / 4 to
 * 3 * cell / 4 inside it, which keeps away from ringing at the edges), a 1 when it is above
 * halfway between black and white, then check the magic and the CRC. A page draws the
 * video to a canvas at its videoWidth x videoHeight and reads luma from the RGB as
 * 0.299 R + 0.587 G + 0.114 B. */
#ifndef BRTC_SOURCES_BARCODE_H
#define BRTC_SOURCES_BARCODE_H

#include <stddef.h>
#include <stdint.h>

#define BRTC_BARCODE_COLUMNS 32
#define BRTC_BARCODE_ROWS 3
#define BRTC_BARCODE_BITS 96
#define BRTC_BARCODE_MAGIC 0xB5
#define BRTC_BARCODE_MIN_WIDTH 128

typedef struct brtc_barcode {
  uint64_t capture_ms; /* 48 bits */
  uint32_t frame;      /* 24 bits */
} brtc_barcode;

/* Cell size in pixels for a picture width (0 when narrower than BRTC_BARCODE_MIN_WIDTH). */
unsigned brtc_barcode_cell(unsigned width);
/* Height of the band the barcode takes at the top (3 cells). */
unsigned brtc_barcode_height(unsigned width);

uint16_t brtc_crc16_ccitt(const uint8_t *p, size_t len);

/* Draws the cells into a luma plane (the caller has made room: a picture at least
 * BRTC_BARCODE_MIN_WIDTH wide and 2 * brtc_barcode_height tall). */
void brtc_barcode_draw(uint8_t *y, int stride, unsigned width, unsigned height,
                       const brtc_barcode *b);
/* Reads it back. BRTC_ERR_PARSE when the magic or the CRC is wrong, BRTC_ERR_INVALID when the
 * picture is too small to hold one. */
int brtc_barcode_read(const uint8_t *y, int stride, unsigned width, unsigned height,
                      brtc_barcode *out);

#endif
