/* Sequence parameter set (H.264 7.3.2.1.1) and the start of its VUI (E.1.1): enough to know
 * the picture size after cropping, its sampling and its sample range. Every value read is
 * checked against the range 7.4.2.1.1 gives it before it is used. */
#include <string.h>

#include "boltrtc/error.h"
#include "codec/h264.h"
#include "codec/h264_bits.h"

/* Profiles whose SPS carries chroma_format_idc, bit depths and scaling matrices. */
static bool has_chroma_info(uint8_t profile_idc) {
  switch (profile_idc) {
  case 100: case 110: case 122: case 244: case 44: case 83: case 86: case 118: case 128:
  case 138: case 139: case 134: case 135:
    return true;
  default:
    return false;
  }
}

/* scaling_list() of 7.3.2.1.1.1: read and thrown away, but every delta_scale is range
 * checked (7.4.2.1.1: -128..127). */
static bool skip_scaling_list(brtc_h264_bits *b, int size) {
  int last = 8, next = 8;
  for (int j = 0; j < size; j++) {
    if (next != 0) {
      int64_t delta = brtc_h264_se(b);
      if (delta < -128 || delta > 127) return false;
      next = (int)((last + delta + 256) % 256);
    }
    last = next == 0 ? last : next;
  }
  return !b->overrun;
}

/* The VUI up to video_signal_type (E.1.1); the rest (timing, HRD) we never need. */
static void parse_vui_signal_type(brtc_h264_bits *b, brtc_h264_sps *s) {
  brtc_h264_bits save = *b;
  if (brtc_h264_u1(b)) {                 /* aspect_ratio_info_present_flag */
    if (brtc_h264_u(b, 8) == 255) {      /* Extended_SAR */
      brtc_h264_u(b, 16);                /* sar_width */
      brtc_h264_u(b, 16);                /* sar_height */
    }
  }
  if (brtc_h264_u1(b)) brtc_h264_u1(b);  /* overscan_info_present, overscan_appropriate */
  bool signal_type = brtc_h264_u1(b);
  bool full_range = false;
  uint8_t matrix = 2;
  if (signal_type) {
    brtc_h264_u(b, 3);                   /* video_format */
    full_range = brtc_h264_u1(b);
    if (brtc_h264_u1(b)) {               /* colour_description_present_flag */
      brtc_h264_u(b, 8);                 /* colour_primaries */
      brtc_h264_u(b, 8);                 /* transfer_characteristics */
      matrix = (uint8_t)brtc_h264_u(b, 8);
    }
  }
  if (b->overrun) {
    *b = save;
    return;
  }
  s->has_vui = true;
  s->has_signal_type = signal_type;
  s->full_range = full_range;
  s->matrix_coefficients = matrix;
}

int brtc_h264_sps_parse(const uint8_t *nal, size_t len, brtc_h264_sps *out) {
  if (!nal || !out) return BRTC_ERR_INVALID;
  memset(out, 0, sizeof(*out));
  if (len < 4 || brtc_h264_nal_type(nal[0]) != BRTC_H264_NAL_SPS) return BRTC_ERR_PARSE;
  brtc_h264_sps s = {.chroma_format_idc = 1, .bit_depth_luma = 8, .bit_depth_chroma = 8,
                     .matrix_coefficients = 2};
  brtc_h264_bits b;
  brtc_h264_bits_init(&b, nal + 1, len - 1);
  s.profile_idc = (uint8_t)brtc_h264_u(&b, 8);
  s.constraint_flags = (uint8_t)brtc_h264_u(&b, 8);
  s.level_idc = (uint8_t)brtc_h264_u(&b, 8);
  uint32_t id = brtc_h264_ue(&b);
  if (id > 31) return BRTC_ERR_PARSE;
  s.sps_id = (uint8_t)id;

  if (has_chroma_info(s.profile_idc)) {
    uint32_t cf = brtc_h264_ue(&b);
    if (cf > 3) return BRTC_ERR_PARSE;
    s.chroma_format_idc = (uint8_t)cf;
    if (cf == 3) s.separate_colour_plane = brtc_h264_u1(&b);
    uint32_t dl = brtc_h264_ue(&b), dc = brtc_h264_ue(&b);
    if (dl > 6 || dc > 6) return BRTC_ERR_PARSE;
    s.bit_depth_luma = (uint8_t)(8 + dl);
    s.bit_depth_chroma = (uint8_t)(8 + dc);
    brtc_h264_u1(&b); /* qpprime_y_zero_transform_bypass_flag */
    if (brtc_h264_u1(&b)) { /* seq_scaling_matrix_present_flag */
      int lists = cf != 3 ? 8 : 12;
      for (int i = 0; i < lists; i++)
        if (brtc_h264_u1(&b) && !skip_scaling_list(&b, i < 6 ? 16 : 64)) return BRTC_ERR_PARSE;
    }
  }

  if (brtc_h264_ue(&b) > 12) return BRTC_ERR_PARSE; /* log2_max_frame_num_minus4 */
  uint32_t poc_type = brtc_h264_ue(&b);
  if (poc_type > 2) return BRTC_ERR_PARSE;
  if (poc_type == 0) {
    if (brtc_h264_ue(&b) > 12) return BRTC_ERR_PARSE; /* log2_max_pic_order_cnt_lsb_minus4 */
  } else if (poc_type == 1) {
    brtc_h264_u1(&b);   /* delta_pic_order_always_zero_flag */
    brtc_h264_se(&b);   /* offset_for_non_ref_pic */
    brtc_h264_se(&b);   /* offset_for_top_to_bottom_field */
    uint32_t cycle = brtc_h264_ue(&b);
    if (cycle > 255) return BRTC_ERR_PARSE;
    for (uint32_t i = 0; i < cycle && !b.overrun; i++) brtc_h264_se(&b);
  }
  uint32_t refs = brtc_h264_ue(&b);
  if (refs > 16) return BRTC_ERR_PARSE; /* MaxDpbFrames is at most 16 (A.3.1) */
  s.max_num_ref_frames = (uint8_t)refs;
  brtc_h264_u1(&b); /* gaps_in_frame_num_value_allowed_flag */
  uint32_t w = brtc_h264_ue(&b), h = brtc_h264_ue(&b);
  s.frame_mbs_only = brtc_h264_u1(&b);
  if (!s.frame_mbs_only) brtc_h264_u1(&b); /* mb_adaptive_frame_field_flag */
  brtc_h264_u1(&b);                         /* direct_8x8_inference_flag */
  if (brtc_h264_u1(&b)) {                   /* frame_cropping_flag */
    s.crop_left = brtc_h264_ue(&b);
    s.crop_right = brtc_h264_ue(&b);
    s.crop_top = brtc_h264_ue(&b);
    s.crop_bottom = brtc_h264_ue(&b);
  }
  bool vui = brtc_h264_u1(&b);
  if (b.overrun) return BRTC_ERR_PARSE;

  /* Sizes in 64 bits: every coded value above can be near 2^32. */
  const uint64_t max_mbs = BRTC_H264_MAX_SIDE / 16;
  if ((uint64_t)w + 1 > max_mbs) return BRTC_ERR_TOO_BIG;
  uint64_t height_mbs = ((uint64_t)h + 1) * (s.frame_mbs_only ? 1 : 2);
  if (height_mbs > max_mbs) return BRTC_ERR_TOO_BIG;
  s.width_mbs = w + 1;
  s.height_map_units = h + 1;
  /* Crop units (7.4.2.1.1, Table 6-1): in chroma samples, times two for field pictures. */
  unsigned chroma_array_type = s.separate_colour_plane ? 0 : s.chroma_format_idc;
  uint64_t sub_w = chroma_array_type == 1 || chroma_array_type == 2 ? 2 : 1;
  uint64_t sub_h = chroma_array_type == 1 ? 2 : 1;
  uint64_t unit_x = chroma_array_type == 0 ? 1 : sub_w;
  uint64_t unit_y = (chroma_array_type == 0 ? 1 : sub_h) * (s.frame_mbs_only ? 1 : 2);
  uint64_t full_w = (uint64_t)s.width_mbs * 16, full_h = height_mbs * 16;
  uint64_t crop_w = unit_x * ((uint64_t)s.crop_left + s.crop_right);
  uint64_t crop_h = unit_y * ((uint64_t)s.crop_top + s.crop_bottom);
  if (crop_w >= full_w || crop_h >= full_h) return BRTC_ERR_PARSE;
  s.width = (uint32_t)(full_w - crop_w);
  s.height = (uint32_t)(full_h - crop_h);
  if (vui) parse_vui_signal_type(&b, &s);
  *out = s;
  return BRTC_OK;
}
