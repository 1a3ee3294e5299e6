/* A libvpx VP8 encoder set up the way a real-time WebRTC sender uses one: one pass, CBR,
 * no lag, no frame dropping, keyframes on request. Used by the test pattern and the camera. */
#ifndef BRTC_SOURCES_VP8_ENCODER_H
#define BRTC_SOURCES_VP8_ENCODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct brtc_vp8_encoder brtc_vp8_encoder;

typedef struct brtc_vp8_encoder_config {
  unsigned width, height;      /* up to 4096 x 4096 */
  unsigned fps_num, fps_den;   /* pts are counted in frames of this rate */
  uint32_t bitrate_bps;
  unsigned keyframe_interval;  /* frames; 0: keyframes only when asked (and the first) */
} brtc_vp8_encoder_config;

/* NULL and a reason in err when libvpx refuses the configuration. */
brtc_vp8_encoder *brtc_vp8_encoder_new(const brtc_vp8_encoder_config *c, char *err,
                                       size_t err_cap);
void brtc_vp8_encoder_free(brtc_vp8_encoder *e);

/* Encodes one I420 picture (the configured size) at pts (in frames; must increase).
 * *data is valid until the next call. BRTC_ERR_AGAIN if libvpx made no frame. */
int brtc_vp8_encoder_encode(brtc_vp8_encoder *e, uint8_t *const planes[3], const int strides[3],
                            uint64_t pts, bool force_keyframe, const uint8_t **data,
                            size_t *len, bool *keyframe);
/* New target bitrate, taken from the next frame. */
int brtc_vp8_encoder_set_bitrate(brtc_vp8_encoder *e, uint32_t bps);

#endif
