/* The container readers: each turns a whole file, already in memory, into an index of
 * frames that file_source.c plays. Sans-IO parsers: unit tests and a fuzz target each. */
#ifndef BRTC_SOURCES_FILE_FORMATS_H
#define BRTC_SOURCES_FILE_FORMATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sources/file_source.h"

/* What a reader learned beyond the frames, for the description and the tests. */
typedef struct brtc_file_info {
  size_t skipped_before_keyframe; /* video frames before the first keyframe, left out */
  bool truncated;                 /* the file ends inside a frame or page, left out */
  unsigned fps_num, fps_den;      /* H.264: the frame rate used */
  const char *fps_from;           /* H.264: "caller", "VUI" or "default" */
  bool has_b_slices;              /* H.264: reordered pictures; timestamps are decode order */
  uint8_t channels;               /* Opus: 1 or 2 */
  uint16_t pre_skip;              /* Opus: samples the decoder drops at the start (RFC 7845
                                     4.2); RTP cannot carry it, so receivers play them */
  uint64_t start_granule;         /* Opus: the granule position where the stream starts */
  uint64_t granule_mismatches;    /* Opus: pages whose granule disagrees with the packets */
} brtc_file_info;

/* IVF with VP8 (ivf.h). Takes buf: the index keeps it, or it is freed on failure.
 * Timestamps from the frames' pts, at 90 kHz. */
int brtc_ivf_index(uint8_t *buf, size_t len, brtc_frame_index *ix, brtc_file_info *info,
                   char *err, size_t err_cap);

/* H.264 Annex-B (h264_annexb.h). Takes buf. fps_num/fps_den: 0 for the SPS's VUI timing
 * (30 fps when it has none). */
int brtc_h264_index(uint8_t *buf, size_t len, unsigned fps_num, unsigned fps_den,
                    brtc_frame_index *ix, brtc_file_info *info, char *err, size_t err_cap);

/* Ogg Opus (ogg.h, ogg_opus.h). Takes buf. Timestamps at 48 kHz. */
int brtc_ogg_opus_index(uint8_t *buf, size_t len, brtc_frame_index *ix, brtc_file_info *info,
                        char *err, size_t err_cap);

#endif
