/* The bitrate table. Why these figures:
 * - 640x480 keeps what boltrtc always answered (start 1.5 Mbps, ceiling 2.5 Mbps): about
 *   0.27 bit per pixel per frame at 30 fps, where VP8's realtime encoder gives a keyframe
 *   without visible blocks (docs/benchmarks.md, "Start bitrate and picture size").
 * - Larger pictures need fewer bits per pixel for the same look (more pixels per detail), so
 *   the ceiling grows as pixels^0.75 from that row, not in proportion: 1280x720 is 2.28x the
 *   ceiling for 3x the pixels, 1920x1080 4.19x for 6.75x.
 * - The start is 60% of the ceiling, as at 640x480: high enough that the first keyframe is
 *   sharp (libwebrtc encodes it at the start bitrate, before any estimate), low enough that
 *   the sender's estimator still has room to find the path.
 * - Below 320x240 and above 3840x2160 the rows stop: a tiny picture needs no less, and past
 *   20 Mbps a loopback or LAN publisher gains nothing visible. */
#include "pc/video_bitrate.h"

#include <stddef.h>

typedef struct bitrate_row {
  uint64_t pixels; /* up to this many */
  uint32_t start_kbps, max_kbps;
} bitrate_row;

static const bitrate_row rows[] = {
    {320 * 240, 530, 880},      /* 2500 x 0.25^0.75 */
    {640 * 480, 1500, 2500},    /* the reference row */
    {960 * 540, 2100, 3500},    /* 2500 x 1.6875^0.75 = 3.70 M, rounded down */
    {1280 * 720, 3400, 5700},   /* 2500 x 3^0.75 */
    {1920 * 1080, 6300, 10500}, /* 2500 x 6.75^0.75 */
    {2560 * 1440, 9700, 16100}, /* 2500 x 12^0.75 */
    {UINT64_MAX, 12000, 20000}, /* 3840x2160 and beyond: capped */
};

static const bitrate_row *row_for(unsigned width, unsigned height) {
  if (width == 0 || height == 0) return &rows[1];
  uint64_t pixels = (uint64_t)width * height;
  size_t i = 0;
  while (pixels > rows[i].pixels) i++; /* the last row's pixels is UINT64_MAX */
  return &rows[i];
}

brtc_video_bitrate brtc_video_bitrate_for_size(unsigned width, unsigned height) {
  const bitrate_row *r = row_for(width, height);
  return (brtc_video_bitrate){.start_bps = r->start_kbps * 1000u, .max_bps = r->max_kbps * 1000u};
}

uint32_t brtc_video_max_bitrate_bps(unsigned width, unsigned height) {
  return brtc_video_bitrate_for_size(width, height).max_bps;
}

uint32_t brtc_video_bitrate_top_bps(void) {
  return rows[sizeof(rows) / sizeof(rows[0]) - 1].max_kbps * 1000u;
}
