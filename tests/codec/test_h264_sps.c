/* H.264 sequence parameter sets: real ones from x264, libx264 through ffmpeg, GStreamer's
 * x264enc and openh264enc (tests/codec/fixtures/h264_sps.txt), and hand-made ones for what
 * no encoder here writes (monochrome, separate colour planes, explicit scaling lists,
 * pic_order_cnt_type 1) and for every range check. */
#include <stdio.h>
#include <stdlib.h>

#include "boltrtc/error.h"
#include "codec/h264.h"
#include "testing.h"

#ifndef BRTC_CODEC_FIXTURES
#define BRTC_CODEC_FIXTURES "tests/codec/fixtures"
#endif

static size_t from_hex(const char *hex, uint8_t *out, size_t cap) {
  size_t n = 0;
  for (; hex[0] && hex[1] && n < cap; hex += 2) {
    unsigned v;
    if (sscanf(hex, "%2x", &v) != 1) break;
    out[n++] = (uint8_t)v;
  }
  return n;
}

static void test_real_encoders(void) {
  FILE *f = fopen(BRTC_CODEC_FIXTURES "/h264_sps.txt", "r");
  CHECK(f != NULL);
  if (!f) return;
  char line[1024];
  int cases = 0;
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#') continue;
    char name[128], sps_hex[512], pps_hex[512];
    unsigned w, h, profile, chroma, frame_mbs_only, full_range;
    if (sscanf(line, "%127s %u %u %u %u %u %u %511s %511s", name, &w, &h, &profile, &chroma,
               &frame_mbs_only, &full_range, sps_hex, pps_hex) != 9)
      continue;
    uint8_t nal[256];
    size_t len = from_hex(sps_hex, nal, sizeof nal);
    brtc_h264_sps s;
    int rc = brtc_h264_sps_parse(nal, len, &s);
    if (rc != BRTC_OK || s.width != w || s.height != h || s.profile_idc != profile ||
        s.chroma_format_idc != chroma || s.frame_mbs_only != (frame_mbs_only != 0) ||
        s.full_range != (full_range != 0))
      fprintf(stderr, "%s: rc %d, %ux%u profile %u chroma %u frame_mbs_only %d full %d\n", name,
              rc, s.width, s.height, s.profile_idc, s.chroma_format_idc, s.frame_mbs_only,
              s.full_range);
    CHECK_EQ_INT(rc, BRTC_OK);
    CHECK_EQ_INT(s.width, w);
    CHECK_EQ_INT(s.height, h);
    CHECK_EQ_INT(s.profile_idc, profile);
    CHECK_EQ_INT(s.chroma_format_idc, chroma);
    CHECK_EQ_INT(s.frame_mbs_only, frame_mbs_only != 0);
    CHECK_EQ_INT(s.full_range, full_range != 0);
    /* Cut anywhere before its last byte, an SPS must fail or (inside the VUI) still give the
     * same size: never a different picture. */
    for (size_t n = 0; n < len; n++) {
      brtc_h264_sps t;
      int r = brtc_h264_sps_parse(nal, n, &t);
      CHECK(r != BRTC_OK || (t.width == w && t.height == h));
    }
    cases++;
  }
  fclose(f);
  CHECK(cases >= 14);
}

static void test_known_fields(void) {
  /* x264, High, 1920x1080: 120 x 68 macroblocks, 8 lines cropped at the bottom (4 units). */
  uint8_t nal[64];
  size_t len = from_hex("67640028acd940780227e5c04a50000003001000000303c0f1831960", nal, sizeof nal);
  brtc_h264_sps s;
  CHECK_EQ_INT(brtc_h264_sps_parse(nal, len, &s), BRTC_OK);
  CHECK_EQ_INT(s.width_mbs, 120);
  CHECK_EQ_INT(s.height_map_units, 68);
  CHECK_EQ_INT(s.crop_bottom, 4);
  CHECK_EQ_INT(s.crop_right, 0);
  CHECK_EQ_INT(s.level_idc, 40);
  CHECK_EQ_INT(s.bit_depth_luma, 8);
  CHECK(s.has_vui);
  /* Interlaced 1080: 34 map units of two fields, crop unit 4 lines. */
  len = from_hex("67640028acd94078044fde025280000003008000001e0f8b16cb", nal, sizeof nal);
  CHECK_EQ_INT(brtc_h264_sps_parse(nal, len, &s), BRTC_OK);
  CHECK(!s.frame_mbs_only);
  CHECK_EQ_INT(s.height_map_units, 34);
  CHECK_EQ_INT(s.crop_bottom, 2);
  CHECK_EQ_INT(s.height, 1080);
  /* High 10. */
  len = from_hex("676e001ea6cd940a43fe2223012940000003004000000f03c58b6580", nal, sizeof nal);
  CHECK_EQ_INT(brtc_h264_sps_parse(nal, len, &s), BRTC_OK);
  CHECK_EQ_INT(s.bit_depth_luma, 10);
  CHECK_EQ_INT(s.bit_depth_chroma, 10);
}

/* ---- hand-made SPS ---- */

typedef struct bw {
  uint8_t rbsp[2048];
  size_t bits;
} bw;

static void put(bw *w, uint64_t v, int n) {
  for (int i = n - 1; i >= 0; i--) {
    if (w->bits / 8 >= sizeof w->rbsp) abort();
    if ((v >> i) & 1) w->rbsp[w->bits / 8] |= (uint8_t)(0x80 >> (w->bits % 8));
    w->bits++;
  }
}

static void ue(bw *w, uint64_t v) {
  int len = 0;
  while ((v + 1) >> (len + 1)) len++;
  put(w, 0, len);
  put(w, v + 1, len + 1);
}

static void se(bw *w, int64_t v) { ue(w, v > 0 ? (uint64_t)(2 * v - 1) : (uint64_t)(-2 * v)); }

/* rbsp_trailing_bits, then the NAL header and emulation prevention (7.4.1). */
static size_t nal_of(bw *w, uint8_t *out) {
  put(w, 1, 1);
  while (w->bits % 8) put(w, 0, 1);
  size_t n = 0, zeros = 0;
  out[n++] = 0x67;
  for (size_t i = 0; i < w->bits / 8; i++) {
    uint8_t b = w->rbsp[i];
    if (zeros >= 2 && b <= 3) {
      out[n++] = 3;
      zeros = 0;
    }
    out[n++] = b;
    zeros = b == 0 ? zeros + 1 : 0;
  }
  return n;
}

typedef struct sps_desc {
  unsigned profile, chroma_format, separate_planes, bit_depth_minus8, scaling, poc_type;
  unsigned cycle, refs, width_mbs, height_units, frame_mbs_only;
  unsigned crop[4]; /* left right top bottom, 0 each: no cropping */
  unsigned sps_id, log2_frame_num_minus4;
  int delta_scale;  /* for the scaling lists */
  bool vui_full_range;
} sps_desc;

static size_t make_sps(const sps_desc *d, uint8_t *out) {
  static bw w;
  memset(&w, 0, sizeof w);
  put(&w, d->profile, 8);
  put(&w, 0, 8);
  put(&w, 30, 8);
  ue(&w, d->sps_id);
  if (d->profile == 100 || d->profile == 244) {
    ue(&w, d->chroma_format);
    if (d->chroma_format == 3) put(&w, d->separate_planes, 1);
    ue(&w, d->bit_depth_minus8);
    ue(&w, d->bit_depth_minus8);
    put(&w, 0, 1);
    put(&w, d->scaling ? 1 : 0, 1);
    if (d->scaling) {
      int lists = d->chroma_format != 3 ? 8 : 12;
      for (int i = 0; i < lists; i++) {
        put(&w, 1, 1); /* every list present, each delta the same */
        int size = i < 6 ? 16 : 64, last = 8, next = 8;
        for (int j = 0; j < size && next != 0; j++) {
          se(&w, d->delta_scale);
          next = (last + d->delta_scale + 256) % 256;
          last = next ? next : last;
        }
      }
    }
  }
  ue(&w, d->log2_frame_num_minus4);
  ue(&w, d->poc_type);
  if (d->poc_type == 0) ue(&w, 2);
  if (d->poc_type == 1) {
    put(&w, 0, 1);
    se(&w, -3);
    se(&w, 5);
    ue(&w, d->cycle);
    for (unsigned i = 0; i < d->cycle && i < 300; i++) se(&w, (int)i - 7);
  }
  ue(&w, d->refs);
  put(&w, 0, 1);
  ue(&w, d->width_mbs - 1);
  ue(&w, d->height_units - 1);
  put(&w, d->frame_mbs_only, 1);
  if (!d->frame_mbs_only) put(&w, 1, 1);
  put(&w, 1, 1);
  bool crop = d->crop[0] || d->crop[1] || d->crop[2] || d->crop[3];
  put(&w, crop, 1);
  if (crop)
    for (int i = 0; i < 4; i++) ue(&w, d->crop[i]);
  put(&w, d->vui_full_range, 1);
  if (d->vui_full_range) {
    put(&w, 0, 1);       /* aspect_ratio_info_present_flag */
    put(&w, 0, 1);       /* overscan_info_present_flag */
    put(&w, 1, 1);       /* video_signal_type_present_flag */
    put(&w, 5, 3);
    put(&w, 1, 1);       /* video_full_range_flag */
    put(&w, 1, 1);       /* colour_description_present_flag */
    put(&w, 1, 8);
    put(&w, 1, 8);
    put(&w, 6, 8);       /* matrix_coefficients: BT.601 */
    put(&w, 0, 5);       /* the rest of the VUI absent */
  }
  return nal_of(&w, out);
}

static const sps_desc base = {.profile = 100, .chroma_format = 1, .refs = 1, .width_mbs = 40,
                              .height_units = 30, .frame_mbs_only = 1};

static int parse(const sps_desc *d, brtc_h264_sps *s) {
  static uint8_t nal[4096];
  size_t n = make_sps(d, nal);
  return brtc_h264_sps_parse(nal, n, s);
}

static void test_hand_made(void) {
  brtc_h264_sps s;
  CHECK_EQ_INT(parse(&base, &s), BRTC_OK);
  CHECK_EQ_INT(s.width, 640);
  CHECK_EQ_INT(s.height, 480);
  CHECK(!s.has_vui);
  /* Monochrome (ChromaArrayType 0): crop in single samples, 2 lines for field pictures. */
  sps_desc d = base;
  d.chroma_format = 0;
  d.crop[1] = 3;
  d.crop[3] = 5;
  CHECK_EQ_INT(parse(&d, &s), BRTC_OK);
  CHECK_EQ_INT(s.chroma_format_idc, 0);
  CHECK_EQ_INT(s.width, 637);
  CHECK_EQ_INT(s.height, 475);
  d.frame_mbs_only = 0;
  d.height_units = 15;
  CHECK_EQ_INT(parse(&d, &s), BRTC_OK);
  CHECK_EQ_INT(s.height, 480 - 10);
  /* 4:4:4 with separate colour planes is ChromaArrayType 0 too. */
  d = base;
  d.profile = 244;
  d.chroma_format = 3;
  d.separate_planes = 1;
  d.crop[0] = 1;
  CHECK_EQ_INT(parse(&d, &s), BRTC_OK);
  CHECK(s.separate_colour_plane);
  CHECK_EQ_INT(s.width, 639);
  d.separate_planes = 0; /* ChromaArrayType 3: crop unit 1 x 1 */
  CHECK_EQ_INT(parse(&d, &s), BRTC_OK);
  CHECK_EQ_INT(s.width, 639);
  /* 4:2:2: crop unit 2 x 1. */
  d = base;
  d.chroma_format = 2;
  d.crop[0] = 1;
  d.crop[2] = 1;
  CHECK_EQ_INT(parse(&d, &s), BRTC_OK);
  CHECK_EQ_INT(s.width, 638);
  CHECK_EQ_INT(s.height, 479);
  /* Explicit scaling lists (8 for 4:2:0, 12 for 4:4:4), read through. */
  d = base;
  d.scaling = 1;
  d.delta_scale = 3;
  d.crop[3] = 2;
  CHECK_EQ_INT(parse(&d, &s), BRTC_OK);
  CHECK_EQ_INT(s.height, 476);
  d.profile = 244;
  d.chroma_format = 3;
  d.delta_scale = -2;
  CHECK_EQ_INT(parse(&d, &s), BRTC_OK);
  CHECK_EQ_INT(s.height, 478);
  d.delta_scale = 0; /* delta 0 keeps every scale at 8: all 16 or 64 deltas are read */
  CHECK_EQ_INT(parse(&d, &s), BRTC_OK);
  /* pic_order_cnt_type 1 with its cycle, and type 2. */
  d = base;
  d.poc_type = 1;
  d.cycle = 255;
  CHECK_EQ_INT(parse(&d, &s), BRTC_OK);
  CHECK_EQ_INT(s.width, 640);
  d.poc_type = 2;
  CHECK_EQ_INT(parse(&d, &s), BRTC_OK);
  /* A full-range VUI. */
  d = base;
  d.vui_full_range = true;
  CHECK_EQ_INT(parse(&d, &s), BRTC_OK);
  CHECK(s.has_vui && s.has_signal_type && s.full_range);
  CHECK_EQ_INT(s.matrix_coefficients, 6);
  /* The largest picture we accept, and one macroblock more. */
  d = base;
  d.width_mbs = BRTC_H264_MAX_SIDE / 16;
  d.height_units = BRTC_H264_MAX_SIDE / 16;
  CHECK_EQ_INT(parse(&d, &s), BRTC_OK);
  CHECK_EQ_INT(s.width, BRTC_H264_MAX_SIDE);
  d.width_mbs++;
  CHECK_EQ_INT(parse(&d, &s), BRTC_ERR_TOO_BIG);
  d.width_mbs--;
  d.frame_mbs_only = 0; /* two fields of that height are too tall */
  CHECK_EQ_INT(parse(&d, &s), BRTC_ERR_TOO_BIG);
}

static void test_out_of_range(void) {
  brtc_h264_sps s;
  sps_desc d = base;
  d.sps_id = 32;
  CHECK_EQ_INT(parse(&d, &s), BRTC_ERR_PARSE);
  d = base;
  d.chroma_format = 4;
  CHECK_EQ_INT(parse(&d, &s), BRTC_ERR_PARSE);
  d = base;
  d.bit_depth_minus8 = 7;
  CHECK_EQ_INT(parse(&d, &s), BRTC_ERR_PARSE);
  d = base;
  d.log2_frame_num_minus4 = 13;
  CHECK_EQ_INT(parse(&d, &s), BRTC_ERR_PARSE);
  d = base;
  d.poc_type = 3;
  CHECK_EQ_INT(parse(&d, &s), BRTC_ERR_PARSE);
  d = base;
  d.poc_type = 1;
  d.cycle = 256;
  CHECK_EQ_INT(parse(&d, &s), BRTC_ERR_PARSE);
  d = base;
  d.refs = 17;
  CHECK_EQ_INT(parse(&d, &s), BRTC_ERR_PARSE);
  d = base;
  d.scaling = 1;
  d.delta_scale = 128;
  CHECK_EQ_INT(parse(&d, &s), BRTC_ERR_PARSE);
  /* Cropping all of it away, or more. */
  d = base;
  d.crop[0] = 160;
  d.crop[1] = 160;
  CHECK_EQ_INT(parse(&d, &s), BRTC_ERR_PARSE);
  d = base;
  d.crop[2] = 0xFFFFFFF0u;
  CHECK_EQ_INT(parse(&d, &s), BRTC_ERR_PARSE);
  /* Not an SPS, too short, an exp-Golomb code of 32 leading zeros. */
  static uint8_t nal[4096];
  size_t n = make_sps(&base, nal);
  nal[0] = 0x68;
  CHECK_EQ_INT(brtc_h264_sps_parse(nal, n, &s), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_h264_sps_parse(nal, 3, &s), BRTC_ERR_PARSE);
  const uint8_t zeros[] = {0x67, 0x64, 0x00, 0x1e, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03,
                           0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x00, 0x80};
  CHECK_EQ_INT(brtc_h264_sps_parse(zeros, sizeof zeros, &s), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_h264_sps_parse(NULL, 10, &s), BRTC_ERR_INVALID);
  /* Every strict prefix of a no-VUI SPS fails (its last byte holds the VUI flag). */
  n = make_sps(&base, nal);
  for (size_t i = 0; i + 1 < n; i++) CHECK_EQ_INT(brtc_h264_sps_parse(nal, i, &s), BRTC_ERR_PARSE);
}

int main(void) {
  RUN(test_real_encoders);
  RUN(test_known_fields);
  RUN(test_hand_made);
  RUN(test_out_of_range);
  return TEST_REPORT();
}
