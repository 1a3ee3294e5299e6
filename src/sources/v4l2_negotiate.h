/* Choosing a camera's pixel format, size and frame rate.
 *
 * brtc_v4l2_enumerate asks the device what it offers (VIDIOC_ENUM_FMT, ENUM_FRAMESIZES,
 * ENUM_FRAMEINTERVALS); brtc_v4l2_choose is a pure function of that answer:
 *   1. the format the caller insists on, if any;
 *   2. H.264 straight from the device (a Pi's encoder, a UVC camera with H.264): no work
 *      on our side at all;
 *   3. otherwise the format that reaches the wanted frame rate at the size nearest to the
 *      wanted one, raw before MJPEG at equal merit (I420, NV12, YUYV need no decoding;
 *      MJPEG wins when USB bandwidth keeps raw frames at a lower rate or size). */
#ifndef BRTC_SOURCES_V4L2_NEGOTIATE_H
#define BRTC_SOURCES_V4L2_NEGOTIATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sources/v4l2_device.h"

#define BRTC_V4L2_MAX_FORMATS 32

typedef struct brtc_v4l2_candidate {
  uint32_t fourcc;         /* V4L2_PIX_FMT_* */
  unsigned width, height;  /* the size nearest to the wanted one */
  bool size_known;         /* false: the device did not enumerate sizes */
  unsigned fps_num, fps_den; /* the highest rate at that size; 0/0 when not enumerated */
} brtc_v4l2_candidate;

typedef struct brtc_v4l2_offer {
  brtc_v4l2_candidate formats[BRTC_V4L2_MAX_FORMATS];
  size_t count;
} brtc_v4l2_offer;

/* The formats we can use (H.264, I420, NV12, YUYV, MJPEG/JPEG), each with its size nearest
 * to width x height. Others the device offers are left out. */
int brtc_v4l2_enumerate(const brtc_v4l2_io *io, int fd, unsigned width, unsigned height,
                        brtc_v4l2_offer *out);

/* prefer: "auto" or NULL, else "h264", "i420", "nv12", "yuyv", "mjpeg". *index into
 * offer->formats. BRTC_ERR_UNSUPPORTED when nothing fits. */
int brtc_v4l2_choose(const brtc_v4l2_offer *offer, const char *prefer, unsigned width,
                     unsigned height, unsigned fps_num, unsigned fps_den, size_t *index);

/* "YUYV", "MJPG", ... for messages (buf of 5 bytes). */
const char *brtc_v4l2_fourcc_str(uint32_t fourcc, char buf[5]);

#endif
