/* Decode one H.264 keyframe (an IDR access unit in Annex-B form, with its SPS and PPS) to
 * I420 with openh264 (docs/dependencies.md says why openh264). */
#ifndef BRTC_MEDIA_H264_DECODE_H
#define BRTC_MEDIA_H264_DECODE_H

#include <stddef.h>
#include <stdint.h>

typedef struct brtc_h264_decoder brtc_h264_decoder;

/* NULL if openh264 cannot be set up. */
brtc_h264_decoder *brtc_h264_decoder_new(void);
void brtc_h264_decoder_free(brtc_h264_decoder *d);
/* Decode the access unit; the picture's planes (valid until the next call), strides and
 * displayed size (after the SPS's cropping) come back.
 * - BRTC_ERR_UNSUPPORTED: no IDR slice (not a keyframe), or what openh264 does not decode:
 *   chroma other than 4:2:0, more than 8 bits, interlaced (checked on the SPS first);
 * - BRTC_ERR_TOO_BIG: a side above max_side (checked on the SPS, before decoding);
 * - BRTC_ERR_PARSE: no SPS or PPS in the unit, or openh264 refuses it.
 * *full_range says whether the samples are 0..255 (the SPS's VUI) rather than 16..235. */
int brtc_h264_decoder_decode(brtc_h264_decoder *d, const uint8_t *annexb, size_t len,
                             unsigned max_side, const uint8_t *planes[3], int strides[3],
                             unsigned *width, unsigned *height, int *full_range);

#endif
