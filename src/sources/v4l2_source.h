/* A V4L2 camera as a source (Linux, <linux/videodev2.h>, single-planar capture, mmap
 * streaming, non-blocking). H.264 from the device is passed on as access units; I420, NV12,
 * YUYV and MJPEG are converted to I420 and encoded with libvpx VP8.
 *
 * The source has no deadline of its own: next_due says BRTC_SOURCE_NEVER and the owner
 * watches brtc_source_fd() for readability, then calls take until it says BRTC_ERR_AGAIN.
 * For raw formats a take hands out the newest frame the device holds and gives the older
 * ones back (counted in frames_skipped): latency before completeness. capture_us comes from
 * the driver's buffer timestamp when it is CLOCK_MONOTONIC (the owner's clock must be too),
 * else the time of the take. */
#ifndef BRTC_SOURCES_V4L2_SOURCE_H
#define BRTC_SOURCES_V4L2_SOURCE_H

#include <stddef.h>

#include "sources/source.h"
#include "sources/v4l2_device.h"

/* Buffers asked of the driver (it may give 2 to 8). */
#define BRTC_V4L2_BUFFERS 4

/* Opens path through io (brtc_v4l2_system_io for a real camera, a fake in tests). */
int brtc_v4l2_source_new(const char *path, const brtc_v4l2_io *io, const brtc_source_options *o,
                         brtc_source **out, char *err, size_t err_cap);

/* What was negotiated, for logs and tests (NULL-safe: 0 for another kind of source). */
uint32_t brtc_v4l2_source_fourcc(const brtc_source *s);

#endif
