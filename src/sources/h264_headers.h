/* Just enough of H.264's parameter sets and slice headers (ITU-T H.264 7.3) for a source:
 * access unit boundaries, the picture size and the VUI frame rate.
 *
 * Minimal on purpose. src/codec is getting a full SPS parser with the H.264 payload format;
 * once both have landed, this reader should move onto that one. */
#ifndef BRTC_SOURCES_H264_HEADERS_H
#define BRTC_SOURCES_H264_HEADERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct brtc_h264_sps {
  uint8_t profile_idc, constraint_flags, level_idc;
  uint8_t sps_id;              /* 0..31 */
  uint8_t chroma_format_idc;   /* 0..3 */
  bool separate_colour_plane;
  uint8_t log2_max_frame_num;  /* 4..16 */
  bool frame_mbs_only;
  uint16_t width, height;      /* after cropping */
  bool timing_info_present;
  uint32_t num_units_in_tick, time_scale;
} brtc_h264_sps;

typedef struct brtc_h264_pps {
  uint8_t pps_id; /* 0..255 */
  uint8_t sps_id; /* 0..31 */
} brtc_h264_pps;

/* What 7.4.1.2.4 compares to find the first slice of a new picture. */
typedef struct brtc_h264_slice_header {
  uint32_t first_mb_in_slice;
  uint8_t slice_type; /* 0..9; % 5: 0 P, 1 B, 2 I, 3 SP, 4 SI */
  uint8_t pps_id;
  uint32_t frame_num;
  bool field_pic, bottom_field;
  uint32_t idr_pic_id; /* IDR slices only */
} brtc_h264_slice_header;

/* Each takes a whole NAL unit, its one-byte header included. BRTC_ERR_PARSE when a field is
 * out of range or runs past the end, BRTC_ERR_UNSUPPORTED for what a source cannot use. */
int brtc_h264_parse_sps(const uint8_t *nal, size_t len, brtc_h264_sps *out);
int brtc_h264_parse_pps(const uint8_t *nal, size_t len, brtc_h264_pps *out);
/* sps is the one the slice's PPS refers to (the caller looks it up by the PPS id first read
 * with brtc_h264_slice_pps_id). */
int brtc_h264_slice_pps_id(const uint8_t *nal, size_t len, uint8_t *pps_id);
int brtc_h264_parse_slice_header(const uint8_t *nal, size_t len, const brtc_h264_sps *sps,
                                 brtc_h264_slice_header *out);

#endif
