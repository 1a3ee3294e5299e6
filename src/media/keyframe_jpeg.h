/* Decode a VP8 keyframe with libvpx and compress it to JPEG with libturbojpeg. */
#ifndef BRTC_KEYFRAME_JPEG_H
#define BRTC_KEYFRAME_JPEG_H

#include <stddef.h>
#include <stdint.h>

typedef struct brtc_keyframe_jpeg brtc_keyframe_jpeg;

/* Larger keyframes are refused (BRTC_ERR_TOO_BIG) before decoding, so a hostile header
 * cannot make libvpx allocate a huge picture. Inter frames give BRTC_ERR_UNSUPPORTED. */
#define BRTC_KEYFRAME_JPEG_MAX_DIM 4096

/* Owns one libvpx decoder and one turbojpeg compressor, reused for every keyframe. */
brtc_keyframe_jpeg *brtc_keyframe_jpeg_new(int quality /* 1..100 */);
void brtc_keyframe_jpeg_free(brtc_keyframe_jpeg *k);
/* Decode the keyframe and compress it at its real size. *jpeg points into a buffer the
 * object owns, valid until the next call. BRTC_ERR_PARSE if libvpx rejects the frame. */
int brtc_keyframe_jpeg_encode(brtc_keyframe_jpeg *k, const uint8_t *vp8, size_t len,
                              const uint8_t **jpeg, size_t *jpeg_len, unsigned *width,
                              unsigned *height);
/* Same decode, raw I420 out (for tests that compare pixels). Planes valid until next call. */
int brtc_keyframe_jpeg_decode_i420(brtc_keyframe_jpeg *k, const uint8_t *vp8, size_t len,
                                   const uint8_t *planes[3], int strides[3], unsigned *width,
                                   unsigned *height);

#endif
