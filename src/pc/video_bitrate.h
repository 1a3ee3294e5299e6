/* How fast a video sender may go, from its picture size: the start bitrate the answer names
 * (a=fmtp x-google-start-bitrate, where a libwebrtc sender's first keyframe is encoded) and
 * the ceiling (a=fmtp x-google-max-bitrate, and the REMB we send). One table, in
 * video_bitrate.c, with its reason. */
#ifndef BRTC_PC_VIDEO_BITRATE_H
#define BRTC_PC_VIDEO_BITRATE_H

#include <stdint.h>

typedef struct brtc_video_bitrate {
  uint32_t start_bps;
  uint32_t max_bps;
} brtc_video_bitrate;

/* The row for a width x height picture (the first row whose pixel count is at least its
 * own); 0 x 0 (unknown) gets the 640x480 row. */
brtc_video_bitrate brtc_video_bitrate_for_size(unsigned width, unsigned height);
uint32_t brtc_video_max_bitrate_bps(unsigned width, unsigned height);
/* The ceiling of the table's last row: what the answer allows when the size is unknown
 * (WHIP), so that REMB alone holds the sender to its size once its first keyframe tells it. */
uint32_t brtc_video_bitrate_top_bps(void);

#endif
