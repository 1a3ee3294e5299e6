/* The few system calls a V4L2 capture makes, behind a table, so that the camera source's
 * negotiation, buffer handling and conversions run in tests against a fake device. */
#ifndef BRTC_SOURCES_V4L2_DEVICE_H
#define BRTC_SOURCES_V4L2_DEVICE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct brtc_v4l2_io {
  int (*open)(void *ctx, const char *path);                /* a descriptor, or -errno */
  int (*close)(void *ctx, int fd);
  int (*ioctl)(void *ctx, int fd, unsigned long request, void *arg); /* 0 or -errno */
  void *(*mmap)(void *ctx, int fd, size_t len, off_t offset);        /* NULL on failure */
  int (*munmap)(void *ctx, void *addr, size_t len);
  void *ctx;
} brtc_v4l2_io;

/* open(O_RDWR | O_NONBLOCK), ioctl retried on EINTR, mmap(MAP_SHARED). */
extern const brtc_v4l2_io brtc_v4l2_system_io;

#endif
