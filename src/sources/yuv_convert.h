/* Pixel format conversions to I420 (planar 4:2:0, BT.601 studio range: what VP8 encodes and
 * WebRTC receivers assume). Pure functions on memory; sizes are even. */
#ifndef BRTC_SOURCES_YUV_CONVERT_H
#define BRTC_SOURCES_YUV_CONVERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct brtc_i420 {
  uint8_t *planes[3];
  int strides[3];
  unsigned width, height;
} brtc_i420;

/* A picture in one malloc'd block (planes packed, strides width and width / 2). */
int brtc_i420_alloc(brtc_i420 *p, unsigned width, unsigned height);
void brtc_i420_free(brtc_i420 *p);

/* YUYV (V4L2_PIX_FMT_YUYV: Y0 U Y1 V, 4:2:2), already studio range: each chroma sample is
 * the average of the two rows it covers. */
void brtc_yuyv_to_i420(const uint8_t *src, size_t stride, const brtc_i420 *dst);
/* NV12 (Y plane, then interleaved U V at half height), studio range. */
void brtc_nv12_to_i420(const uint8_t *y, size_t y_stride, const uint8_t *uv, size_t uv_stride,
                       const brtc_i420 *dst);
/* I420 (V4L2_PIX_FMT_YUV420) with the device's strides. */
void brtc_i420_copy(const uint8_t *const src[3], const size_t strides[3], const brtc_i420 *dst);

/* Full-range planes from a JPEG (JFIF is full range, Y and Cb/Cr 0..255) with any chroma
 * subsampling (chroma planes cw x ch; gray when src[1] is NULL) to studio-range I420: luma
 * 0..255 -> 16..235, chroma 0..255 -> 16..240, each I420 chroma sample the average of the
 * source samples it covers. */
void brtc_full_range_to_i420(const uint8_t *const src[3], const int strides[3], unsigned cw,
                             unsigned ch, const brtc_i420 *dst);

#endif
