/* Motion-JPEG frames from a camera to studio-range I420, with libturbojpeg. */
#ifndef BRTC_SOURCES_MJPEG_DECODER_H
#define BRTC_SOURCES_MJPEG_DECODER_H

#include <stddef.h>
#include <stdint.h>

#include "sources/yuv_convert.h"

typedef struct brtc_mjpeg_decoder brtc_mjpeg_decoder;

brtc_mjpeg_decoder *brtc_mjpeg_decoder_new(void);
void brtc_mjpeg_decoder_free(brtc_mjpeg_decoder *d);
/* Decodes one JPEG that must be exactly dst's size. BRTC_ERR_PARSE for a broken JPEG or
 * another size, BRTC_ERR_UNSUPPORTED for RGB or CMYK JPEGs. Warnings (a few stray bytes,
 * common from USB cameras) still give the picture. */
int brtc_mjpeg_decode(brtc_mjpeg_decoder *d, const uint8_t *jpeg, size_t len,
                      const brtc_i420 *dst);

#endif
