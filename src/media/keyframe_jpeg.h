/* Decode a keyframe (VP8 with libvpx, H.264 with openh264) and compress it to JPEG with
 * libturbojpeg. */
#ifndef BRTC_KEYFRAME_JPEG_H
#define BRTC_KEYFRAME_JPEG_H

#include <stddef.h>
#include <stdint.h>

typedef struct brtc_keyframe_jpeg brtc_keyframe_jpeg;

/* Larger keyframes are refused (BRTC_ERR_TOO_BIG) before decoding, so a hostile header
 * cannot make libvpx allocate a huge picture. Inter frames give BRTC_ERR_UNSUPPORTED. */
#define BRTC_KEYFRAME_JPEG_MAX_DIM 4096

typedef enum brtc_keyframe_codec {
  BRTC_KEYFRAME_VP8 = 0, /* a VP8 frame (RFC 6386) */
  BRTC_KEYFRAME_H264,    /* an H.264 access unit in Annex-B form, SPS and PPS included */
} brtc_keyframe_codec;

/* Owns one libvpx decoder and one turbojpeg compressor, reused for every keyframe, and an
 * openh264 decoder made on the first H.264 keyframe. */
brtc_keyframe_jpeg *brtc_keyframe_jpeg_new(int quality /* 1..100 */);
void brtc_keyframe_jpeg_free(brtc_keyframe_jpeg *k);
/* Decode the keyframe and compress it at its real size. *jpeg points into a buffer the
 * object owns, valid until the next call. BRTC_ERR_PARSE if the decoder rejects the frame;
 * BRTC_ERR_UNSUPPORTED for a frame that is no keyframe (or, for H.264, a format openh264
 * does not decode: see media/h264_decode.h). Studio-range pictures are expanded to the
 * full range JPEG has; H.264 that says it is full range (VUI) is taken as it is. */
int brtc_keyframe_jpeg_encode_codec(brtc_keyframe_jpeg *k, brtc_keyframe_codec codec,
                                    const uint8_t *frame, size_t len, const uint8_t **jpeg,
                                    size_t *jpeg_len, unsigned *width, unsigned *height);
/* Same decode, raw I420 out (for tests that compare pixels). Planes valid until next call. */
int brtc_keyframe_jpeg_decode_i420_codec(brtc_keyframe_jpeg *k, brtc_keyframe_codec codec,
                                         const uint8_t *frame, size_t len,
                                         const uint8_t *planes[3], int strides[3],
                                         unsigned *width, unsigned *height);
/* The VP8 ones, as before. */
int brtc_keyframe_jpeg_encode(brtc_keyframe_jpeg *k, const uint8_t *vp8, size_t len,
                              const uint8_t **jpeg, size_t *jpeg_len, unsigned *width,
                              unsigned *height);
int brtc_keyframe_jpeg_decode_i420(brtc_keyframe_jpeg *k, const uint8_t *vp8, size_t len,
                                   const uint8_t *planes[3], int strides[3], unsigned *width,
                                   unsigned *height);

#endif
