/* The test pattern's picture: a smooth gradient that scrolls, a box that bounces, and the
 * barcode (barcode.h) in a band at the top. A pure function of the frame number and the
 * capture time, so that a receiver that reads the barcode can draw the very frame that was
 * sent and compare pixels (PSNR). */
#ifndef BRTC_SOURCES_TESTPATTERN_H
#define BRTC_SOURCES_TESTPATTERN_H

#include <stdint.h>

#include "sources/barcode.h"

/* Smallest picture the pattern draws: the barcode's minimum width, and room below it. */
#define BRTC_TESTPATTERN_MIN_WIDTH BRTC_BARCODE_MIN_WIDTH
#define BRTC_TESTPATTERN_MIN_HEIGHT 96

/* Draws frame `frame` into an I420 picture of even w x h (planes at strides). */
void brtc_testpattern_draw(uint8_t *const planes[3], const int strides[3], unsigned w,
                           unsigned h, uint32_t frame, uint64_t capture_ms);

#endif
