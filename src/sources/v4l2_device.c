/* The real device: system calls, errno turned into a negative return. */
#include "sources/v4l2_device.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static int sys_open(void *ctx, const char *path) {
  (void)ctx;
  int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

static int sys_close(void *ctx, int fd) {
  (void)ctx;
  return close(fd) < 0 ? -errno : 0;
}

static int sys_ioctl(void *ctx, int fd, unsigned long request, void *arg) {
  (void)ctx;
  int r;
  do r = ioctl(fd, request, arg);
  while (r < 0 && errno == EINTR);
  return r < 0 ? -errno : 0;
}

static void *sys_mmap(void *ctx, int fd, size_t len, off_t offset) {
  (void)ctx;
  void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset);
  return p == MAP_FAILED ? NULL : p;
}

static int sys_munmap(void *ctx, void *addr, size_t len) {
  (void)ctx;
  return munmap(addr, len) < 0 ? -errno : 0;
}

const brtc_v4l2_io brtc_v4l2_system_io = {
    .open = sys_open, .close = sys_close, .ioctl = sys_ioctl, .mmap = sys_mmap,
    .munmap = sys_munmap, .ctx = NULL};
