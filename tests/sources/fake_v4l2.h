/* A fake V4L2 capture device behind brtc_v4l2_io: formats, sizes and rates to offer, mmap
 * buffers in memory, and frames the test pushes as if a sensor had filled them. */
#ifndef BRTC_TEST_FAKE_V4L2_H
#define BRTC_TEST_FAKE_V4L2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sources/v4l2_device.h"

#define FAKE_V4L2_MAX_BUFS 8

typedef struct fake_v4l2_format {
  uint32_t fourcc;
  unsigned sizes[4][2];
  unsigned nsizes; /* 0: a stepwise range 16x16 to 1920x1080, step 2 */
  unsigned fps;    /* the highest rate at every size */
} fake_v4l2_format;

typedef struct fake_v4l2 {
  brtc_v4l2_io io;
  /* What the device offers. */
  fake_v4l2_format formats[8];
  unsigned nformats;
  uint32_t caps;           /* V4L2_CAP_* */
  uint32_t force_fourcc;   /* S_FMT answers with this format instead, if set */
  bool no_force_keyframe;  /* S_CTRL FORCE_KEY_FRAME fails */
  /* State. */
  bool is_open, streaming;
  uint32_t fourcc;
  unsigned width, height, bytesperline, sizeimage, fps_set;
  unsigned nbufs;
  uint8_t *mem[FAKE_V4L2_MAX_BUFS];
  size_t len[FAKE_V4L2_MAX_BUFS];
  unsigned queued[FAKE_V4L2_MAX_BUFS], nqueued;  /* empty, waiting for a picture */
  unsigned done[FAKE_V4L2_MAX_BUFS], ndone;      /* filled, waiting for DQBUF */
  uint32_t bytesused[FAKE_V4L2_MAX_BUFS], flags[FAKE_V4L2_MAX_BUFS];
  int64_t ts_us[FAKE_V4L2_MAX_BUFS];
  /* What was asked of it. */
  unsigned force_keyframes, closes, maps, unmaps, streamoffs;
  int32_t bitrate;
} fake_v4l2;

void fake_v4l2_init(fake_v4l2 *f);
void fake_v4l2_add_format(fake_v4l2 *f, uint32_t fourcc, unsigned w, unsigned h, unsigned fps);
/* Fills the oldest empty buffer as the sensor would; false if none is queued. flags may
 * carry V4L2_BUF_FLAG_ERROR. */
bool fake_v4l2_push(fake_v4l2 *f, const uint8_t *data, size_t len, int64_t ts_us, uint32_t flags);
/* Frees what the device allocated (after the source is freed). */
void fake_v4l2_cleanup(fake_v4l2 *f);

#endif
