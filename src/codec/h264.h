/* H.264 bitstream pieces the RTP payload format needs (ITU-T H.264, RFC 6184): NAL unit
 * types, Annex-B byte streams, the first bits of a slice header and the sequence parameter
 * set. Nothing here decodes pictures. */
#ifndef BRTC_H264_H
#define BRTC_H264_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* nal_unit_type (H.264 Table 7-1) and the RTP packet types of RFC 6184 5.2 Table 1. */
enum {
  BRTC_H264_NAL_SLICE = 1,
  BRTC_H264_NAL_IDR = 5,
  BRTC_H264_NAL_SEI = 6,
  BRTC_H264_NAL_SPS = 7,
  BRTC_H264_NAL_PPS = 8,
  BRTC_H264_NAL_AUD = 9,
  BRTC_H264_NAL_END_OF_SEQUENCE = 10,
  BRTC_H264_NAL_END_OF_STREAM = 11,
  BRTC_H264_NAL_FILLER = 12,
  BRTC_H264_STAP_A = 24,
  BRTC_H264_STAP_B = 25,
  BRTC_H264_MTAP16 = 26,
  BRTC_H264_MTAP24 = 27,
  BRTC_H264_FU_A = 28,
  BRTC_H264_FU_B = 29,
};

static inline uint8_t brtc_h264_nal_type(uint8_t header) { return header & 0x1F; }
/* Slices of a coded picture (types 1..5): what the picture is made of. */
static inline bool brtc_h264_nal_is_vcl(uint8_t type) { return type >= 1 && type <= 5; }

/* One NAL unit: its header byte then its payload, without start code. */
typedef struct brtc_h264_nal {
  const uint8_t *data;
  size_t len;
} brtc_h264_nal;

/* Annex-B byte stream (H.264 B.1): NAL units each after a 00 00 01 or 00 00 00 01 start
 * code. Walk it with *pos = 0 first; each call gives the next NAL unit (its trailing zero
 * bytes, which belong to the byte stream, cut off) and returns false at the end. Zero-length
 * units (two start codes in a row) are skipped. Bytes before the first start code are not a
 * NAL unit and are skipped too. */
bool brtc_h264_annexb_next(const uint8_t *buf, size_t len, size_t *pos, brtc_h264_nal *nal);
/* Whether buf begins with a start code, after any leading zero bytes. */
bool brtc_h264_annexb_starts(const uint8_t *buf, size_t len);

/* first_mb_in_slice of a slice whose header starts at rbsp (the byte after the NAL header,
 * H.264 7.3.3): 0 when the slice begins a picture. -1 if it cannot be read. */
long brtc_h264_first_mb_in_slice(const uint8_t *rbsp, size_t len);

/* What a sequence parameter set says (H.264 7.3.2.1.1), as far as we need it. */
typedef struct brtc_h264_sps {
  uint8_t profile_idc;
  uint8_t constraint_flags; /* constraint_set0..5 in the top six bits, as in the byte */
  uint8_t level_idc;
  uint8_t sps_id;
  uint8_t chroma_format_idc; /* 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4 */
  bool separate_colour_plane;
  uint8_t bit_depth_luma, bit_depth_chroma; /* 8..14 */
  uint8_t max_num_ref_frames;
  bool frame_mbs_only; /* false: the picture may be coded as two fields */
  uint32_t width_mbs, height_map_units;
  /* frame_crop_*_offset as coded; the cropped size is in width and height. */
  uint32_t crop_left, crop_right, crop_top, crop_bottom;
  uint32_t width, height; /* the displayed size in pixels, after cropping */
  /* From the VUI's video signal type (E.1.1), when present. */
  bool has_vui;
  bool has_signal_type;
  bool full_range;          /* video_full_range_flag: 0..255, not 16..235 */
  uint8_t matrix_coefficients; /* 2 (unspecified) when absent */
} brtc_h264_sps;

/* The largest picture side we accept from an SPS, in pixels: larger is refused as bad
 * input (level 6.2 tops out at 8192x4320). */
#define BRTC_H264_MAX_SIDE 16384

/* Parse an SPS NAL unit (header byte included, type 7, emulation prevention bytes still
 * in). BRTC_ERR_PARSE when it is truncated or a value is out of its range, BRTC_ERR_TOO_BIG
 * for a picture side above BRTC_H264_MAX_SIDE. The VUI is read only for the signal type;
 * a truncated VUI leaves has_vui false rather than failing. */
int brtc_h264_sps_parse(const uint8_t *nal, size_t len, brtc_h264_sps *out);

#endif
