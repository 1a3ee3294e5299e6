/* The test pattern's VP8 frames, live, on stdout: what bench_camera.py's aiortc offerer sends,
 * so that aiortc and boltrtc camera send the same picture, made by the same encoder at the same
 * size, rate and bitrate, each frame carrying its capture time (Unix ms) as a barcode. Each
 * frame as it is made: a 13-byte header (length u32, keyframe u8, timestamp u64 in 90 kHz
 * units, all big-endian), then the frame. Stops at EOF on stdout (the reader went) or after
 * --seconds.
 *
 *   testpattern_frames [--size WxH] [--fps N] [--bitrate BPS] [--seconds S] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "boltrtc/boltrtc.h"
#include "sources/source.h"

static int write_all(const uint8_t *p, size_t n) {
  while (n) {
    ssize_t w = write(STDOUT_FILENO, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w, n -= (size_t)w;
  }
  return 0;
}

int main(int argc, char **argv) {
  brtc_source_options o;
  brtc_source_options_default(&o);
  unsigned seconds = 600;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--size") == 0) sscanf(argv[i + 1], "%ux%u", &o.width, &o.height);
    else if (strcmp(argv[i], "--fps") == 0) o.fps_num = (unsigned)atoi(argv[i + 1]), o.fps_den = 1;
    else if (strcmp(argv[i], "--bitrate") == 0) o.bitrate_bps = (uint32_t)atol(argv[i + 1]);
    else if (strcmp(argv[i], "--seconds") == 0) seconds = (unsigned)atoi(argv[i + 1]);
  }
  o.wallclock_offset_us = brtc_source_wallclock_offset();
  brtc_source *src;
  char err[256];
  if (brtc_source_open("testpattern", &o, &src, err, sizeof(err)) < 0) {
    fprintf(stderr, "testpattern_frames: %s\n", err);
    return 1;
  }
  fprintf(stderr, "testpattern_frames: %s\n", src->description);
  uint64_t end = brtc_now_us() + seconds * 1000000ull;
  int rc = 0;
  while (rc == 0 && brtc_now_us() < end) {
    int64_t now = (int64_t)brtc_now_us(), due = brtc_source_next_due(src, now);
    if (due > now) {
      struct timespec ts = {.tv_sec = (due - now) / 1000000, .tv_nsec = ((due - now) % 1000000) * 1000};
      nanosleep(&ts, NULL);
      continue;
    }
    brtc_source_frame f;
    while (rc == 0 && brtc_source_take(src, (int64_t)brtc_now_us(), &f) == 0) {
      uint8_t h[13];
      uint32_t len = (uint32_t)f.len;
      for (int k = 0; k < 4; k++) h[k] = (uint8_t)(len >> (24 - 8 * k));
      h[4] = f.keyframe ? 1 : 0;
      for (int k = 0; k < 8; k++) h[5 + k] = (uint8_t)(f.timestamp >> (56 - 8 * k));
      rc = write_all(h, sizeof(h)) || write_all(f.data, f.len) ? -1 : 0;
    }
  }
  brtc_source_free(src);
  return 0;
}
