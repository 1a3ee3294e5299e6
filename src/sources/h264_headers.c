/* Exp-Golomb reading over the RBSP (emulation prevention bytes removed, H.264 7.4.1) and the
 * few syntax elements a source needs. */
#include "sources/h264_headers.h"

#include <string.h>

#include "boltrtc/error.h"

/* Parameter sets and slice headers fit well inside this; longer units are read up to it,
 * and a field that runs past it is an error like any other truncation. */
#define RBSP_MAX 1024

typedef struct bits {
  const uint8_t *nal; /* the unit, and the next of its bytes to turn into RBSP */
  size_t nal_len, pos;
  unsigned zeros; /* zero bytes just before pos */
  uint8_t rbsp[RBSP_MAX];
  size_t len, bit;
  bool error;
} bits;

/* Nothing is converted yet: bytes become RBSP as the reader reaches them, so a header read
 * from a long unit (a fuzzer's SPS of a thousand bytes) costs what is read, not the unit. */
static void bits_init(bits *b, const uint8_t *nal, size_t len) {
  b->nal = nal;
  b->nal_len = len;
  b->pos = 1; /* past the one-byte NAL header */
  b->zeros = 0;
  b->len = 0;
  b->bit = 0;
  b->error = false;
}

/* One more RBSP byte, dropping each 03 of 00 00 03 (7.4.1); false at the unit's end or at
 * RBSP_MAX. */
static bool more(bits *b) {
  while (b->pos < b->nal_len && b->len < RBSP_MAX) {
    uint8_t c = b->nal[b->pos++];
    if (b->zeros >= 2 && c == 3) {
      b->zeros = 0;
      continue;
    }
    b->zeros = c == 0 ? b->zeros + 1 : 0;
    b->rbsp[b->len++] = c;
    return true;
  }
  return false;
}

static uint32_t read_u(bits *b, unsigned n) {
  uint32_t v = 0;
  for (unsigned i = 0; i < n; i++) {
    if (b->bit >= b->len * 8 && !more(b)) {
      b->error = true;
      return 0;
    }
    v = (v << 1) | ((b->rbsp[b->bit / 8] >> (7 - b->bit % 8)) & 1);
    b->bit++;
  }
  return v;
}

/* ue(v), 9.1: at most 31 leading zeros, so the value fits in 32 bits. */
static uint32_t read_ue(bits *b) {
  unsigned zeros = 0;
  while (!b->error && read_u(b, 1) == 0) {
    if (++zeros > 31) {
      b->error = true;
      return 0;
    }
  }
  if (b->error) return 0;
  uint64_t v = ((uint64_t)1 << zeros) - 1 + read_u(b, zeros);
  if (v > UINT32_MAX) {
    b->error = true;
    return 0;
  }
  return (uint32_t)v;
}

static int32_t read_se(bits *b) {
  uint32_t k = read_ue(b);
  return (k & 1) ? (int32_t)((k + 1) / 2) : -(int32_t)(k / 2);
}

/* 7.3.2.1.1.1: only walked past, the values do not matter here. */
static void skip_scaling_list(bits *b, unsigned size) {
  int last = 8, next = 8;
  for (unsigned j = 0; j < size && !b->error; j++) {
    if (next != 0) {
      int32_t delta = read_se(b);
      if (delta < -128 || delta > 127) b->error = true;
      next = (last + delta + 256) % 256;
    }
    last = next == 0 ? last : next;
  }
}

static bool high_profile(uint8_t p) {
  switch (p) {
    case 100: case 110: case 122: case 244: case 44: case 83:
    case 86: case 118: case 128: case 138: case 139: case 134: case 135:
      return true;
    default:
      return false;
  }
}

/* E.1.1, up to the timing information. */
static void read_vui_timing(bits *b, brtc_h264_sps *s) {
  if (read_u(b, 1)) {               /* aspect_ratio_info_present_flag */
    if (read_u(b, 8) == 255) read_u(b, 32); /* Extended_SAR: sar_width, sar_height */
  }
  if (read_u(b, 1)) read_u(b, 1);   /* overscan_info_present, overscan_appropriate */
  if (read_u(b, 1)) {               /* video_signal_type_present_flag */
    read_u(b, 4);                   /* video_format, video_full_range_flag */
    if (read_u(b, 1)) read_u(b, 24); /* colour primaries, transfer, matrix */
  }
  if (read_u(b, 1)) {               /* chroma_loc_info_present_flag */
    read_ue(b);
    read_ue(b);
  }
  if (read_u(b, 1)) {               /* timing_info_present_flag */
    s->num_units_in_tick = read_u(b, 32);
    s->time_scale = read_u(b, 32);
    s->timing_info_present = !b->error && s->num_units_in_tick && s->time_scale;
  }
}

int brtc_h264_parse_sps(const uint8_t *nal, size_t len, brtc_h264_sps *s) {
  memset(s, 0, sizeof(*s));
  if (len < 4 || (nal[0] & 0x1f) != 7) return BRTC_ERR_PARSE;
  bits storage, *b = &storage; /* bits_init sets what is read; no 1 KiB clearing */
  bits_init(b, nal, len);
  s->profile_idc = (uint8_t)read_u(b, 8);
  s->constraint_flags = (uint8_t)read_u(b, 8);
  s->level_idc = (uint8_t)read_u(b, 8);
  uint32_t id = read_ue(b);
  if (id > 31) return BRTC_ERR_PARSE;
  s->sps_id = (uint8_t)id;
  s->chroma_format_idc = 1;
  if (high_profile(s->profile_idc)) {
    uint32_t cf = read_ue(b);
    if (cf > 3) return BRTC_ERR_PARSE;
    s->chroma_format_idc = (uint8_t)cf;
    if (cf == 3) s->separate_colour_plane = read_u(b, 1);
    if (read_ue(b) > 6 || read_ue(b) > 6) return BRTC_ERR_PARSE; /* bit depths - 8 */
    read_u(b, 1); /* qpprime_y_zero_transform_bypass_flag */
    if (read_u(b, 1)) { /* seq_scaling_matrix_present_flag */
      unsigned lists = cf != 3 ? 8 : 12;
      for (unsigned i = 0; i < lists && !b->error; i++)
        if (read_u(b, 1)) skip_scaling_list(b, i < 6 ? 16 : 64);
    }
  }
  uint32_t log2_fn = read_ue(b);
  if (log2_fn > 12) return BRTC_ERR_PARSE;
  s->log2_max_frame_num = (uint8_t)(log2_fn + 4);
  uint32_t poc_type = read_ue(b);
  if (poc_type == 0) {
    if (read_ue(b) > 12) return BRTC_ERR_PARSE;
  } else if (poc_type == 1) {
    read_u(b, 1);
    read_se(b);
    read_se(b);
    uint32_t cycle = read_ue(b);
    if (cycle > 255) return BRTC_ERR_PARSE;
    for (uint32_t i = 0; i < cycle && !b->error; i++) read_se(b);
  } else if (poc_type != 2) {
    return BRTC_ERR_PARSE;
  }
  read_ue(b);    /* max_num_ref_frames */
  read_u(b, 1);  /* gaps_in_frame_num_value_allowed_flag */
  uint32_t w_mbs = read_ue(b) + 1, h_units = read_ue(b) + 1;
  s->frame_mbs_only = read_u(b, 1);
  if (!s->frame_mbs_only) read_u(b, 1); /* mb_adaptive_frame_field_flag */
  read_u(b, 1);  /* direct_8x8_inference_flag */
  uint32_t crop[4] = {0};
  if (read_u(b, 1))
    for (int i = 0; i < 4; i++) crop[i] = read_ue(b);
  if (b->error || w_mbs > 1024 || h_units > 1024) return BRTC_ERR_PARSE; /* up to 16384 px */
  /* 7.4.2.1.1: crop units follow the chroma subsampling, and double for field coding. */
  uint32_t sub_w = 1, sub_h = 1;
  if (s->chroma_format_idc != 0 && !s->separate_colour_plane) {
    sub_w = s->chroma_format_idc == 3 ? 1 : 2;
    sub_h = s->chroma_format_idc == 1 ? 2 : 1;
  }
  uint32_t frame_h_mult = s->frame_mbs_only ? 1 : 2;
  uint64_t w = (uint64_t)w_mbs * 16, h = (uint64_t)h_units * 16 * frame_h_mult;
  uint64_t cw = ((uint64_t)crop[0] + crop[1]) * sub_w;
  uint64_t ch = ((uint64_t)crop[2] + crop[3]) * sub_h * frame_h_mult;
  if (cw >= w || ch >= h) return BRTC_ERR_PARSE;
  s->width = (uint16_t)(w - cw);
  s->height = (uint16_t)(h - ch);
  if (read_u(b, 1)) read_vui_timing(b, s); /* vui_parameters_present_flag */
  /* Timing is optional: a VUI cut short after it is still a usable SPS. */
  if (b->error && !s->timing_info_present) {
    s->timing_info_present = false;
    s->num_units_in_tick = s->time_scale = 0;
  }
  return 0;
}

int brtc_h264_parse_pps(const uint8_t *nal, size_t len, brtc_h264_pps *p) {
  memset(p, 0, sizeof(*p));
  if (len < 2 || (nal[0] & 0x1f) != 8) return BRTC_ERR_PARSE;
  bits storage, *b = &storage; /* bits_init sets what is read; no 1 KiB clearing */
  bits_init(b, nal, len < 16 ? len : 16);
  uint32_t pps_id = read_ue(b), sps_id = read_ue(b);
  if (b->error || pps_id > 255 || sps_id > 31) return BRTC_ERR_PARSE;
  p->pps_id = (uint8_t)pps_id;
  p->sps_id = (uint8_t)sps_id;
  return 0;
}

int brtc_h264_slice_pps_id(const uint8_t *nal, size_t len, uint8_t *pps_id) {
  if (len < 2) return BRTC_ERR_PARSE;
  bits storage, *b = &storage; /* bits_init sets what is read; no 1 KiB clearing */
  bits_init(b, nal, len < 32 ? len : 32);
  read_ue(b);
  uint32_t type = read_ue(b), id = read_ue(b);
  if (b->error || type > 9 || id > 255) return BRTC_ERR_PARSE;
  *pps_id = (uint8_t)id;
  return 0;
}

int brtc_h264_parse_slice_header(const uint8_t *nal, size_t len, const brtc_h264_sps *sps,
                                 brtc_h264_slice_header *h) {
  memset(h, 0, sizeof(*h));
  if (len < 2) return BRTC_ERR_PARSE;
  bits storage, *b = &storage; /* bits_init sets what is read; no 1 KiB clearing */
  bits_init(b, nal, len < 64 ? len : 64);
  h->first_mb_in_slice = read_ue(b);
  uint32_t type = read_ue(b), pps = read_ue(b);
  if (b->error || type > 9 || pps > 255) return BRTC_ERR_PARSE;
  h->slice_type = (uint8_t)type;
  h->pps_id = (uint8_t)pps;
  if (sps->separate_colour_plane) read_u(b, 2); /* colour_plane_id */
  h->frame_num = read_u(b, sps->log2_max_frame_num);
  if (!sps->frame_mbs_only) {
    h->field_pic = read_u(b, 1);
    if (h->field_pic) h->bottom_field = read_u(b, 1);
  }
  if ((nal[0] & 0x1f) == 5) h->idr_pic_id = read_ue(b);
  return b->error ? BRTC_ERR_PARSE : 0;
}
