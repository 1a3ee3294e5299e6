/* The container readers on real files made by Debian's tools (fixtures/README.md) and on
 * broken ones: counts, timestamps, keyframes and sizes; errors, never crashes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "common/bytes.h"
#include "sources/file_formats.h"
#include "sources/file_read.h"
#include "sources/h264_annexb.h"
#include "sources/h264_headers.h"
#include "sources/ivf.h"
#include "sources/ogg.h"
#include "sources/opus_packet.h"
#include "testing.h"

static uint8_t *load(const char *name, size_t *len) {
  char path[512], err[200];
  snprintf(path, sizeof(path), "%s/%s", BRTC_SOURCES_FIXTURES, name);
  uint8_t *buf = NULL;
  if (brtc_read_file(path, 1 << 24, &buf, len, err, sizeof(err)) < 0) {
    fprintf(stderr, "%s\n", err);
    CHECK(!"fixture missing");
    *len = 0;
    return calloc(1, 1);
  }
  return buf;
}

static uint8_t *dup_bytes(const uint8_t *p, size_t len) {
  uint8_t *d = malloc(len ? len : 1);
  memcpy(d, p, len);
  return d;
}

/* ---------------------------------------------------------------- IVF */

static void test_ivf_fixture(void) {
  size_t len;
  uint8_t *buf = load("vp8_320x240_30fps.ivf", &len);
  brtc_ivf_header h;
  CHECK_EQ_INT(brtc_ivf_parse_header(buf, len, &h), 0);
  CHECK_STR(h.fourcc, "VP80");
  CHECK_EQ_INT(h.timebase_den, 30);
  CHECK_EQ_INT(h.timebase_num, 1);
  brtc_frame_index ix;
  brtc_file_info info;
  char err[160];
  CHECK_EQ_INT(brtc_ivf_index(buf, len, &ix, &info, err, sizeof(err)), 0);
  CHECK_EQ_INT(ix.count, 60);
  CHECK_EQ_INT(ix.keyframes, 2);
  CHECK_EQ_INT(ix.width, 320);
  CHECK_EQ_INT(ix.height, 240);
  CHECK_EQ_INT(ix.duration, 60 * 3000);
  CHECK(!info.truncated);
  size_t total = 0;
  for (size_t i = 0; i < ix.count; i++) {
    CHECK_EQ_INT(ix.frames[i].ts, i * 3000);
    CHECK_EQ_INT(ix.frames[i].keyframe, i % 30 == 0);
    total += ix.frames[i].len;
  }
  /* Sizes as ffprobe reports them. */
  CHECK_EQ_INT(ix.frames[0].len, 7402);
  CHECK_EQ_INT(ix.frames[1].len, 233);
  CHECK_EQ_INT(total, 50059);
  brtc_frame_index_free(&ix);

  buf = load("vp8_single_keyframe.ivf", &len);
  CHECK_EQ_INT(brtc_ivf_index(buf, len, &ix, &info, err, sizeof(err)), 0);
  CHECK_EQ_INT(ix.count, 30);
  CHECK_EQ_INT(ix.keyframes, 1);
  brtc_frame_index_free(&ix);
}

/* Offset of frame k's 12-byte header in the fixture. */
static size_t ivf_frame_at(const uint8_t *buf, size_t k) {
  size_t pos = 32;
  for (size_t i = 0; i < k; i++) pos += 12 + brtc_rd32le(buf + pos);
  return pos;
}

static int ivf_mutated(const uint8_t *orig, size_t len, size_t new_len,
                       void (*mutate)(uint8_t *, size_t), brtc_frame_index *ix,
                       brtc_file_info *info, char *err) {
  uint8_t *b = malloc(len);
  memcpy(b, orig, len);
  if (mutate) mutate(b, len);
  return brtc_ivf_index(b, new_len, ix, info, err, 160);
}

static void zero_frame_5(uint8_t *b, size_t len) {
  (void)len;
  size_t at = ivf_frame_at(b, 5);
  /* Frame 5 becomes 0 bytes; its old bytes are left where frame 6's header is looked for,
   * so make them an empty frame 6 ... the zero size is what must be caught first. */
  memset(b + at, 0, 4);
}
static void absurd_frame_5(uint8_t *b, size_t len) {
  (void)len;
  size_t at = ivf_frame_at(b, 5);
  b[at] = b[at + 1] = b[at + 2] = 0xff;
  b[at + 3] = 0x7f;
}
static void pts_back_5(uint8_t *b, size_t len) {
  (void)len;
  memset(b + ivf_frame_at(b, 5) + 4, 0, 8);
}
static void pts_gap_5(uint8_t *b, size_t len) {
  (void)len;
  b[ivf_frame_at(b, 5) + 6] = 0x10; /* pts += 2^20 frames */
}
static void not_key_0(uint8_t *b, size_t len) {
  (void)len;
  b[ivf_frame_at(b, 0) + 12] |= 1;
}
static void no_key(uint8_t *b, size_t len) {
  (void)len;
  b[ivf_frame_at(b, 0) + 12] |= 1;
  b[ivf_frame_at(b, 30) + 12] |= 1;
}
static void broken_key_30(uint8_t *b, size_t len) {
  (void)len;
  b[ivf_frame_at(b, 30) + 12 + 3] = 0; /* start code 9d 01 2a spoiled */
}
static void fourcc_vp9(uint8_t *b, size_t len) {
  (void)len;
  memcpy(b + 8, "VP90", 4);
}
static void version_1(uint8_t *b, size_t len) {
  (void)len;
  b[4] = 1;
}
static void header_len_16(uint8_t *b, size_t len) {
  (void)len;
  b[6] = 16;
}
static void timebase_0(uint8_t *b, size_t len) {
  (void)len;
  memset(b + 16, 0, 4);
}

static void test_ivf_broken(void) {
  size_t len;
  uint8_t *orig = load("vp8_320x240_30fps.ivf", &len);
  brtc_frame_index ix;
  brtc_file_info info;
  char err[160];
  CHECK_EQ_INT(ivf_mutated(orig, len, 20, NULL, &ix, &info, err), BRTC_ERR_PARSE);
  CHECK_EQ_INT(ivf_mutated(orig, len, 0, NULL, &ix, &info, err), BRTC_ERR_PARSE);
  CHECK_EQ_INT(ivf_mutated(orig, len, 32, NULL, &ix, &info, err), BRTC_ERR_PARSE); /* no frames */
  CHECK(strstr(err, "keyframe") != NULL);
  CHECK_EQ_INT(ivf_mutated(orig, len, len, fourcc_vp9, &ix, &info, err), BRTC_ERR_UNSUPPORTED);
  CHECK(strstr(err, "VP90") != NULL);
  CHECK_EQ_INT(ivf_mutated(orig, len, len, version_1, &ix, &info, err), BRTC_ERR_PARSE);
  CHECK_EQ_INT(ivf_mutated(orig, len, len, header_len_16, &ix, &info, err), BRTC_ERR_PARSE);
  CHECK_EQ_INT(ivf_mutated(orig, len, len, timebase_0, &ix, &info, err), BRTC_ERR_PARSE);
  CHECK_EQ_INT(ivf_mutated(orig, len, len, zero_frame_5, &ix, &info, err), BRTC_ERR_PARSE);
  CHECK_STR(err, "IVF frame 5 is 0 bytes");
  CHECK_EQ_INT(ivf_mutated(orig, len, len, absurd_frame_5, &ix, &info, err), BRTC_ERR_TOO_BIG);
  CHECK_EQ_INT(ivf_mutated(orig, len, len, pts_back_5, &ix, &info, err), BRTC_ERR_PARSE);
  CHECK_EQ_INT(ivf_mutated(orig, len, len, pts_gap_5, &ix, &info, err), BRTC_ERR_PARSE);
  CHECK_EQ_INT(ivf_mutated(orig, len, len, no_key, &ix, &info, err), BRTC_ERR_PARSE);
  CHECK_EQ_INT(ivf_mutated(orig, len, len, broken_key_30, &ix, &info, err), BRTC_ERR_PARSE);
  /* A first frame that is no keyframe is left out: play from the next keyframe. */
  CHECK_EQ_INT(ivf_mutated(orig, len, len, not_key_0, &ix, &info, err), 0);
  CHECK_EQ_INT(ix.count, 30);
  CHECK_EQ_INT(info.skipped_before_keyframe, 30);
  CHECK_EQ_INT(ix.frames[0].ts, 0);
  brtc_frame_index_free(&ix);
  /* Cut inside the last frame, or inside its header: the whole frames play. */
  CHECK_EQ_INT(ivf_mutated(orig, len, len - 10, NULL, &ix, &info, err), 0);
  CHECK_EQ_INT(ix.count, 59);
  CHECK(info.truncated);
  brtc_frame_index_free(&ix);
  size_t last = ivf_frame_at(orig, 59);
  CHECK_EQ_INT(ivf_mutated(orig, len, last + 5, NULL, &ix, &info, err), 0);
  CHECK_EQ_INT(ix.count, 59);
  CHECK(info.truncated);
  brtc_frame_index_free(&ix);
  /* Every length of the file: never a crash, an error or a shorter index. */
  for (size_t n = 0; n < len; n += 97) {
    int rc = ivf_mutated(orig, len, n, NULL, &ix, &info, err);
    if (rc == 0) {
      CHECK(ix.count <= 60);
      brtc_frame_index_free(&ix);
    }
  }
  free(orig);
}

/* ---------------------------------------------------------------- H.264 */

/* NAL unit types of an Annex-B buffer, as a string of letters ('a' + type). */
static void nal_types(const uint8_t *buf, size_t len, char *out, size_t cap) {
  size_t pos = 0, n = 0, nal_len;
  const uint8_t *nal;
  while (n + 1 < cap && brtc_annexb_next_nal(buf, len, &pos, &nal, &nal_len) == 0)
    out[n++] = (char)('a' + (nal[0] & 0x1f));
  out[n] = 0;
}

static void test_annexb_split(void) {
  /* 3- and 4-byte start codes, trailing zeros, an empty unit, junk before the first. */
  const uint8_t s[] = {0xff, 0,    0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x67, 0x42, 0, 0,
                       0,    0,    1, 0, 0,    1,    0x65, 0x88, 0, 0, 3, 0, 0, 0};
  size_t pos = 0, len;
  const uint8_t *nal;
  CHECK_EQ_INT(brtc_annexb_next_nal(s, sizeof(s), &pos, &nal, &len), 0);
  CHECK(nal == s + 4 && len == 2);
  CHECK_EQ_INT(brtc_annexb_next_nal(s, sizeof(s), &pos, &nal, &len), 0);
  CHECK(nal == s + 10 && len == 2);
  CHECK_EQ_INT(brtc_annexb_next_nal(s, sizeof(s), &pos, &nal, &len), 0);
  CHECK(nal == s + 20 && len == 5); /* 65 88 00 00 03: the zeros after are padding */
  CHECK_EQ_INT(brtc_annexb_next_nal(s, sizeof(s), &pos, &nal, &len), BRTC_ERR_NOT_FOUND);
  CHECK(brtc_annexb_starts_with_start_code(s + 1, 4));
  CHECK(brtc_annexb_starts_with_start_code(s + 6, 5));
  CHECK(!brtc_annexb_starts_with_start_code(s, sizeof(s)));
}

static void first_sps(const uint8_t *buf, size_t len, brtc_h264_sps *sps) {
  size_t pos = 0, nal_len;
  const uint8_t *nal;
  while (brtc_annexb_next_nal(buf, len, &pos, &nal, &nal_len) == 0)
    if ((nal[0] & 0x1f) == 7) {
      CHECK_EQ_INT(brtc_h264_parse_sps(nal, nal_len, sps), 0);
      return;
    }
  CHECK(!"no SPS");
}

static void test_h264_sps(void) {
  size_t len;
  uint8_t *buf = load("h264_aud_30fps.h264", &len);
  brtc_h264_sps sps;
  first_sps(buf, len, &sps);
  CHECK_EQ_INT(sps.profile_idc, 66);
  CHECK_EQ_INT(sps.width, 320);
  CHECK_EQ_INT(sps.height, 240);
  CHECK(sps.frame_mbs_only);
  CHECK(sps.timing_info_present);
  CHECK_EQ_INT((uint64_t)sps.time_scale * 1, 60ull * sps.num_units_in_tick); /* 30 fps */
  free(buf);
  /* High profile, scaling lists, MBAFF (field-pair height units) and cropping to 1080. */
  buf = load("h264_high_1080_mbaff_cqm.h264", &len);
  first_sps(buf, len, &sps);
  CHECK_EQ_INT(sps.profile_idc, 100);
  CHECK(!sps.frame_mbs_only);
  CHECK_EQ_INT(sps.width, 1920);
  CHECK_EQ_INT(sps.height, 1080);
  CHECK(sps.timing_info_present);
  CHECK_EQ_INT(sps.time_scale, 50u * sps.num_units_in_tick);
  free(buf);
  /* Hand-made: Baseline 640x480, no VUI (sps_id 1, log2_max_frame_num 8). */
  const uint8_t hand[] = {0x67, 0x42, 0xc0, 0x1e, 0x45, 0x68, 0x0a, 0x03, 0xd9};
  /* after profile 66, constraints c0, level 30: sps_id ue(1), log2_max_frame_num_minus4
   * ue(4), poc type ue(2), refs ue(1), gaps 0, width in MBs - 1 ue(39), height ue(29),
   * frame_mbs_only 1, direct_8x8 1, no cropping, no VUI, the stop bit */
  CHECK_EQ_INT(brtc_h264_parse_sps(hand, sizeof(hand), &sps), 0);
  CHECK_EQ_INT(sps.sps_id, 1);
  CHECK_EQ_INT(sps.log2_max_frame_num, 8);
  CHECK_EQ_INT(sps.width, 640);
  CHECK_EQ_INT(sps.height, 480);
  CHECK(!sps.timing_info_present);
  for (size_t n = 0; n < sizeof(hand) - 1; n++) /* every truncation is refused */
    CHECK(brtc_h264_parse_sps(hand, n, &sps) < 0);
  const uint8_t bad_id[] = {0x67, 0x42, 0xc0, 0x1e, 0x00, 0x01}; /* sps_id 2^15 - 1 + ... */
  CHECK(brtc_h264_parse_sps(bad_id, sizeof(bad_id), &sps) < 0);
}

static size_t count_char(const char *s, char c) {
  size_t n = 0;
  for (; *s; s++) n += *s == c;
  return n;
}

static void test_h264_fixture_aud(void) {
  size_t len;
  uint8_t *buf = load("h264_aud_30fps.h264", &len);
  char *file_types = malloc(4096), *out_types = malloc(4096);
  nal_types(buf, len, file_types, 4096);
  CHECK_EQ_INT(count_char(file_types, 'a' + 9), 60); /* one delimiter per picture */
  brtc_frame_index ix;
  brtc_file_info info;
  char err[160];
  CHECK_EQ_INT(brtc_h264_index(buf, len, 0, 0, &ix, &info, err, sizeof(err)), 0);
  CHECK_EQ_INT(ix.count, 60);
  CHECK_EQ_INT(ix.keyframes, 2);
  CHECK_EQ_INT(info.fps_num, 30);
  CHECK_EQ_INT(info.fps_den, 1);
  CHECK_STR(info.fps_from, "VUI");
  CHECK(!info.has_b_slices);
  CHECK_EQ_INT(ix.width, 320);
  CHECK_EQ_INT(ix.height, 240);
  for (size_t i = 0; i < ix.count; i++) {
    CHECK_EQ_INT(ix.frames[i].ts, i * 3000);
    CHECK_EQ_INT(ix.frames[i].keyframe, i % 30 == 0);
    const uint8_t *au = ix.data + ix.frames[i].offset;
    CHECK_MEM(au, "\0\0\0\1", 4);
    char t[64];
    nal_types(au, ix.frames[i].len, t, sizeof(t));
    CHECK(strchr(t, 'a' + 9) == NULL); /* delimiters dropped */
    CHECK_EQ_INT(count_char(t, 'a' + 1) + count_char(t, 'a' + 5), 1); /* one slice each */
    if (i % 30 == 0) CHECK(strncmp(t, "hi", 2) == 0); /* SPS, PPS first */
  }
  /* Every unit of the file is there, in order, but the delimiters. */
  nal_types(ix.data, ix.data_len, out_types, 4096);
  size_t j = 0;
  for (size_t i = 0; file_types[i]; i++)
    if (file_types[i] != 'a' + 9) CHECK(file_types[i] == out_types[j++]);
  CHECK_EQ_INT(out_types[j], 0);
  brtc_frame_index_free(&ix);
  /* The caller's frame rate wins over the VUI. */
  buf = load("h264_aud_30fps.h264", &len);
  CHECK_EQ_INT(brtc_h264_index(buf, len, 60, 1, &ix, &info, err, sizeof(err)), 0);
  CHECK_STR(info.fps_from, "caller");
  CHECK_EQ_INT(ix.frames[1].ts, 1500);
  brtc_frame_index_free(&ix);
  free(file_types);
  free(out_types);
}

static void test_h264_fixture_slices(void) {
  size_t len;
  uint8_t *buf = load("h264_slices_25fps.h264", &len);
  brtc_frame_index ix;
  brtc_file_info info;
  char err[160];
  CHECK_EQ_INT(brtc_h264_index(buf, len, 0, 0, &ix, &info, err, sizeof(err)), 0);
  CHECK_EQ_INT(ix.count, 25);
  CHECK_EQ_INT(ix.keyframes, 1);
  CHECK_EQ_INT(info.fps_num, 25);
  CHECK_EQ_INT(ix.frames[1].ts, 3600);
  CHECK_EQ_INT(ix.duration, 25 * 3600);
  for (size_t i = 0; i < ix.count; i++) {
    char t[64];
    nal_types(ix.data + ix.frames[i].offset, ix.frames[i].len, t, sizeof(t));
    CHECK_EQ_INT(count_char(t, 'a' + 1) + count_char(t, 'a' + 5), 4); /* four slices */
  }
  brtc_frame_index_free(&ix);
  /* The interlaced High profile file: MBAFF pictures are frames, so it plays. */
  buf = load("h264_high_1080_mbaff_cqm.h264", &len);
  CHECK_EQ_INT(brtc_h264_index(buf, len, 0, 0, &ix, &info, err, sizeof(err)), 0);
  CHECK_EQ_INT(ix.count, 2);
  CHECK_EQ_INT(ix.width, 1920);
  CHECK_EQ_INT(ix.height, 1080);
  brtc_frame_index_free(&ix);
}

/* Rebuilds an Annex-B stream from the fixture's units, leaving out those keep() refuses. */
static uint8_t *filter_units(const uint8_t *buf, size_t len, bool (*keep)(uint8_t, size_t),
                             size_t *out_len) {
  uint8_t *out = malloc(2 * len + 16); /* 3-byte start codes become 4 */
  size_t pos = 0, n = 0, nal_len, k = 0;
  const uint8_t *nal;
  while (brtc_annexb_next_nal(buf, len, &pos, &nal, &nal_len) == 0) {
    if (keep(nal[0] & 0x1f, k++)) {
      memcpy(out + n, "\0\0\0\1", 4);
      memcpy(out + n + 4, nal, nal_len);
      n += 4 + nal_len;
    }
  }
  *out_len = n;
  return out;
}

static size_t sps_seen;
static bool drop_later_paramsets(uint8_t type, size_t k) {
  (void)k;
  if (type == 7) return sps_seen++ == 0;
  static size_t pps_seen;
  if (type == 8) return pps_seen++ == 0;
  return true;
}
static bool drop_paramsets(uint8_t type, size_t k) {
  (void)k;
  return type != 7 && type != 8;
}

static void test_h264_prepends_paramsets(void) {
  size_t len, flen;
  uint8_t *buf = load("h264_aud_30fps.h264", &len);
  uint8_t *f = filter_units(buf, len, drop_later_paramsets, &flen);
  free(buf);
  brtc_frame_index ix;
  brtc_file_info info;
  char err[160];
  CHECK_EQ_INT(brtc_h264_index(f, flen, 0, 0, &ix, &info, err, sizeof(err)), 0);
  CHECK_EQ_INT(ix.count, 60);
  char t[64];
  nal_types(ix.data + ix.frames[30].offset, ix.frames[30].len, t, sizeof(t));
  CHECK(strncmp(t, "hi", 2) == 0); /* the second IDR carries SPS and PPS again */
  nal_types(ix.data + ix.frames[31].offset, ix.frames[31].len, t, sizeof(t));
  CHECK_STR(t, "b");
  brtc_frame_index_free(&ix);
  /* No parameter sets at all: nothing is decodable. */
  buf = load("h264_aud_30fps.h264", &len);
  f = filter_units(buf, len, drop_paramsets, &flen);
  free(buf);
  CHECK_EQ_INT(brtc_h264_index(f, flen, 0, 0, &ix, &info, err, sizeof(err)), BRTC_ERR_PARSE);
}

static void test_h264_broken(void) {
  brtc_frame_index ix;
  brtc_file_info info;
  char err[160];
  const uint8_t no_start[] = {1, 2, 3, 4, 5};
  CHECK_EQ_INT(brtc_h264_index(dup_bytes(no_start, 5), 5, 0, 0, &ix, &info, err, sizeof(err)),
               BRTC_ERR_PARSE);
  const uint8_t only_start[] = {0, 0, 0, 1};
  CHECK_EQ_INT(brtc_h264_index(dup_bytes(only_start, 4), 4, 0, 0, &ix, &info, err, sizeof(err)),
               BRTC_ERR_PARSE);
  const uint8_t forbidden[] = {0, 0, 0, 1, 0x87, 0x42};
  CHECK_EQ_INT(brtc_h264_index(dup_bytes(forbidden, 6), 6, 0, 0, &ix, &info, err, sizeof(err)),
               BRTC_ERR_PARSE);
  const uint8_t partition[] = {0, 0, 0, 1, 0x22, 0x42};
  CHECK_EQ_INT(brtc_h264_index(dup_bytes(partition, 6), 6, 0, 0, &ix, &info, err, sizeof(err)),
               BRTC_ERR_UNSUPPORTED);
  const uint8_t bad_sps[] = {0, 0, 0, 1, 0x67, 0x42, 0, 0x1e, 0, 0, 0, 1, 0x65, 0x88};
  CHECK_EQ_INT(brtc_h264_index(dup_bytes(bad_sps, sizeof(bad_sps)), sizeof(bad_sps), 0, 0, &ix,
                               &info, err, sizeof(err)),
               BRTC_ERR_PARSE);
  /* Every truncation and many single-byte corruptions of a real stream: no crash. */
  size_t len;
  uint8_t *orig = load("h264_slices_25fps.h264", &len);
  for (size_t n = 0; n < len; n += 131) {
    int rc = brtc_h264_index(dup_bytes(orig, n), n, 0, 0, &ix, &info, err, sizeof(err));
    if (rc == 0) brtc_frame_index_free(&ix);
  }
  for (size_t at = 0; at < 2000 && at < len; at += 7) {
    uint8_t *c = dup_bytes(orig, len);
    c[at] ^= 0x5a;
    int rc = brtc_h264_index(c, len, 0, 0, &ix, &info, err, sizeof(err));
    if (rc == 0) brtc_frame_index_free(&ix);
  }
  free(orig);
}

/* ---------------------------------------------------------------- Ogg Opus */

static void test_ogg_crc(void) {
  /* CRC-32/CKSUM's parameters without its final xor: check value ~0x765E7680. */
  CHECK_EQ_INT(brtc_ogg_crc((const uint8_t *)"123456789", 9), 0x89A1897F);
}

static void test_opus_packet_samples(void) {
  const uint8_t silk20[] = {0x08, 1, 2};         /* config 1: SILK NB 20 ms, code 0 */
  CHECK_EQ_INT(brtc_opus_packet_samples(silk20, 3), 960);
  const uint8_t celt_2_5[] = {0x80};             /* config 16: CELT 2.5 ms, code 0, empty frame */
  CHECK_EQ_INT(brtc_opus_packet_samples(celt_2_5, 1), 120);
  const uint8_t code1_odd[] = {0xf9, 1, 2, 3};   /* two equal frames need an even remainder */
  CHECK_EQ_INT(brtc_opus_packet_samples(code1_odd, 4), 0);
  const uint8_t code1[] = {0xf9, 1, 2};          /* CELT 20 ms, two frames */
  CHECK_EQ_INT(brtc_opus_packet_samples(code1, 3), 1920);
  const uint8_t code2[] = {0xfa, 1, 9, 9};       /* first frame 1 byte, second 1 byte */
  CHECK_EQ_INT(brtc_opus_packet_samples(code2, 4), 1920);
  const uint8_t code2_short[] = {0xfa, 5, 9};
  CHECK_EQ_INT(brtc_opus_packet_samples(code2_short, 3), 0);
  const uint8_t code3_cbr[] = {0xfb, 0x03, 1, 2, 3}; /* 3 frames of 1 byte: 60 ms */
  CHECK_EQ_INT(brtc_opus_packet_samples(code3_cbr, 5), 2880);
  const uint8_t code3_too_long[] = {0xfb, 0x07, 1, 2, 3, 4, 5, 6, 7}; /* 140 ms > 120 */
  CHECK_EQ_INT(brtc_opus_packet_samples(code3_too_long, 9), 0);
  const uint8_t code3_zero[] = {0xfb, 0x00};
  CHECK_EQ_INT(brtc_opus_packet_samples(code3_zero, 2), 0);
  const uint8_t code3_vbr_pad[] = {0xfb, 0xc2, 2, 1, 7, 8, 0, 0}; /* VBR, pad 2, 1 + 1 bytes */
  CHECK_EQ_INT(brtc_opus_packet_samples(code3_vbr_pad, 8), 1920);
  const uint8_t code3_vbr_short[] = {0xfb, 0x82, 200, 1};
  CHECK_EQ_INT(brtc_opus_packet_samples(code3_vbr_short, 4), 0);
  CHECK_EQ_INT(brtc_opus_packet_samples(silk20, 0), 0);
}

static void test_ogg_fixtures(void) {
  static const struct {
    const char *name;
    size_t packets, bytes;
    unsigned samples, channels, first_len;
  } files[] = {
      {"opus_opusenc_20ms.opus", 51, 5889, 960, 2, 155},
      {"opus_ffmpeg_60ms_mono.opus", 17, 5423, 2880, 1, 380},
      {"opus_gst_10ms.opus", 101, 4221, 480, 2, 57},
  };
  for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
    size_t len;
    uint8_t *buf = load(files[f].name, &len);
    brtc_frame_index ix;
    brtc_file_info info;
    char err[160];
    CHECK_EQ_INT(brtc_ogg_opus_index(buf, len, &ix, &info, err, sizeof(err)), 0);
    CHECK_EQ_INT(ix.count, files[f].packets);
    CHECK_EQ_INT(info.channels, files[f].channels);
    CHECK_EQ_INT(info.pre_skip, 312);
    CHECK_EQ_INT(info.start_granule, 0);
    CHECK_EQ_INT(info.granule_mismatches, 0);
    CHECK(!info.truncated);
    CHECK_EQ_INT(ix.frames[0].len, files[f].first_len);
    size_t bytes = 0;
    for (size_t i = 0; i < ix.count; i++) {
      CHECK_EQ_INT(ix.frames[i].ts, i * files[f].samples);
      bytes += ix.frames[i].len;
    }
    CHECK_EQ_INT(bytes, files[f].bytes);
    CHECK_EQ_INT(ix.duration, files[f].packets * files[f].samples);
    brtc_frame_index_free(&ix);
  }
}

/* A hand-made Ogg page; returns its size. */
static size_t page(uint8_t *out, uint8_t type, uint64_t granule, uint32_t serial, uint32_t seq,
                   const uint8_t *lacing, uint8_t nseg, const uint8_t *body) {
  memcpy(out, "OggS", 4);
  out[4] = 0;
  out[5] = type;
  for (int i = 0; i < 8; i++) out[6 + i] = (uint8_t)(granule >> (8 * i));
  for (int i = 0; i < 4; i++) out[14 + i] = (uint8_t)(serial >> (8 * i));
  for (int i = 0; i < 4; i++) out[18 + i] = (uint8_t)(seq >> (8 * i));
  memset(out + 22, 0, 4);
  out[26] = nseg;
  memcpy(out + 27, lacing, nseg);
  size_t body_len = 0;
  for (unsigned i = 0; i < nseg; i++) body_len += lacing[i];
  if (body_len) memcpy(out + 27 + nseg, body, body_len);
  size_t n = 27 + nseg + body_len;
  uint32_t crc = brtc_ogg_crc(out, n);
  for (int i = 0; i < 4; i++) out[22 + i] = (uint8_t)(crc >> (8 * i));
  return n;
}

static const uint8_t opus_head[19] = {'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1, 2,
                                      0x38, 0x01, 0x80, 0xbb, 0, 0, 0, 0, 0};
static const uint8_t opus_tags[16] = {'O', 'p', 'u', 's', 'T', 'a', 'g', 's', 0, 0, 0, 0, 0, 0, 0, 0};

/* Head and tags pages into out; returns the size. */
static size_t headers(uint8_t *out, const uint8_t *head, size_t head_len) {
  uint8_t l1 = (uint8_t)head_len, l2 = sizeof(opus_tags);
  size_t n = page(out, BRTC_OGG_BOS, 0, 7, 0, &l1, 1, head);
  return n + page(out + n, 0, 0, 7, 1, &l2, 1, opus_tags);
}

/* A 600-byte packet (code 0, CELT 20 ms is 0xf8) split over two pages, then a small one. */
static size_t spanning(uint8_t *out, uint8_t second_type, uint32_t second_seq, uint64_t g2) {
  static uint8_t big[600];
  memset(big, 0x55, sizeof(big));
  big[0] = 0xf8;
  size_t n = headers(out, opus_head, sizeof(opus_head));
  uint8_t l1[2] = {255, 255}; /* 510 bytes, packet continues */
  n += page(out + n, 0, BRTC_OGG_NO_GRANULE, 7, 2, l1, 2, big);
  uint8_t body[93];
  memcpy(body, big + 510, 90);
  body[90] = 0xf8;
  body[91] = 1;
  body[92] = 2;
  uint8_t l2[2] = {90, 3};
  n += page(out + n, second_type, g2, 7, second_seq, l2, 2, body);
  return n;
}

static int ogg_index(const uint8_t *b, size_t n, brtc_frame_index *ix, brtc_file_info *info,
                     char *err) {
  return brtc_ogg_opus_index(dup_bytes(b, n), n, ix, info, err, 160);
}

static void test_ogg_synthetic(void) {
  static uint8_t b[4096];
  brtc_frame_index ix;
  brtc_file_info info;
  char err[160];
  size_t n = spanning(b, BRTC_OGG_CONTINUED | BRTC_OGG_EOS, 3, 1920);
  CHECK_EQ_INT(ogg_index(b, n, &ix, &info, err), 0);
  CHECK_EQ_INT(ix.count, 2);
  CHECK_EQ_INT(ix.frames[0].len, 600);
  CHECK_EQ_INT(ix.frames[1].len, 3);
  CHECK_EQ_INT(ix.frames[1].ts, 960);
  CHECK_EQ_INT(info.pre_skip, 312);
  CHECK_EQ_INT(info.channels, 2);
  CHECK_EQ_INT(ix.data[ix.frames[0].offset + 599], 0x55);
  brtc_frame_index_free(&ix);
  /* End trimming on the last page is fine; a first page claiming fewer samples than its
   * packets hold is not (RFC 7845 4.5) unless it is also the last. */
  n = spanning(b, BRTC_OGG_CONTINUED | BRTC_OGG_EOS, 3, 1000);
  CHECK_EQ_INT(ogg_index(b, n, &ix, &info, err), 0);
  brtc_frame_index_free(&ix);
  n = spanning(b, BRTC_OGG_CONTINUED, 3, 1000);
  CHECK_EQ_INT(ogg_index(b, n, &ix, &info, err), BRTC_ERR_PARSE);
  /* A live capture's stream starts later than 0. */
  n = spanning(b, BRTC_OGG_CONTINUED, 3, 48000 + 1920);
  CHECK_EQ_INT(ogg_index(b, n, &ix, &info, err), 0);
  CHECK_EQ_INT(info.start_granule, 48000);
  brtc_frame_index_free(&ix);
  /* The continuation flag missing, a page lost, a checksum wrong. */
  n = spanning(b, 0, 3, 1920);
  CHECK_EQ_INT(ogg_index(b, n, &ix, &info, err), BRTC_ERR_PARSE);
  n = spanning(b, BRTC_OGG_CONTINUED, 4, 1920);
  CHECK_EQ_INT(ogg_index(b, n, &ix, &info, err), BRTC_ERR_PARSE);
  CHECK(strstr(err, "pages lost") != NULL);
  n = spanning(b, BRTC_OGG_CONTINUED, 3, 1920);
  b[n - 1] ^= 1;
  CHECK_EQ_INT(ogg_index(b, n, &ix, &info, err), BRTC_ERR_PARSE);
  /* Cut in the middle of the second page: the packet never finishes, none is whole. */
  n = spanning(b, BRTC_OGG_CONTINUED, 3, 1920);
  CHECK_EQ_INT(ogg_index(b, n - 10, &ix, &info, err), BRTC_ERR_PARSE);
  /* A zero-length audio packet. */
  n = headers(b, opus_head, sizeof(opus_head));
  uint8_t zero = 0;
  n += page(b + n, BRTC_OGG_EOS, 0, 7, 2, &zero, 1, NULL);
  CHECK_EQ_INT(ogg_index(b, n, &ix, &info, err), BRTC_ERR_PARSE);
  CHECK(strstr(err, "0 bytes") != NULL);
  /* A malformed Opus packet (code 1 with an odd remainder). */
  n = headers(b, opus_head, sizeof(opus_head));
  uint8_t l = 4, bad[4] = {0xf9, 1, 2, 3};
  n += page(b + n, BRTC_OGG_EOS, 1920, 7, 2, &l, 1, bad);
  CHECK_EQ_INT(ogg_index(b, n, &ix, &info, err), BRTC_ERR_PARSE);
  /* Headers only: no audio. */
  n = headers(b, opus_head, sizeof(opus_head));
  CHECK_EQ_INT(ogg_index(b, n, &ix, &info, err), BRTC_ERR_PARSE);
  /* OpusHead: a new major version, multistream, 3 channels in family 0, too short. */
  uint8_t head[32];
  memcpy(head, opus_head, 19);
  head[8] = 0x10;
  n = headers(b, head, 19);
  CHECK_EQ_INT(ogg_index(b, n, &ix, &info, err), BRTC_ERR_UNSUPPORTED);
  memcpy(head, opus_head, 19);
  head[9] = 3;
  n = headers(b, head, 19);
  CHECK_EQ_INT(ogg_index(b, n, &ix, &info, err), BRTC_ERR_PARSE);
  const uint8_t surround[] = {'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1, 6, 0, 0, 0x80, 0xbb, 0,
                              0, 0, 0, 1, 4, 2, 0, 4, 1, 2, 3, 5};
  n = headers(b, surround, sizeof(surround));
  CHECK_EQ_INT(ogg_index(b, n, &ix, &info, err), BRTC_ERR_UNSUPPORTED);
  n = headers(b, opus_head, 18);
  CHECK_EQ_INT(ogg_index(b, n, &ix, &info, err), BRTC_ERR_PARSE);
  /* Not OpusTags second. */
  n = page(b, BRTC_OGG_BOS, 0, 7, 0, (const uint8_t[]){19}, 1, opus_head);
  n += page(b + n, 0, 0, 7, 1, (const uint8_t[]){19}, 1, opus_head);
  CHECK_EQ_INT(ogg_index(b, n, &ix, &info, err), BRTC_ERR_PARSE);
  /* Another codec's stream multiplexed with it (its BOS page first, a data page later):
   * skipped, the Opus stream is played. */
  const uint8_t theora[8] = {0x80, 't', 'h', 'e', 'o', 'r', 'a', 0};
  n = page(b, BRTC_OGG_BOS, 0, 99, 0, (const uint8_t[]){8}, 1, theora);
  size_t m = spanning(b + n, BRTC_OGG_CONTINUED | BRTC_OGG_EOS, 3, 1920);
  m += page(b + n + m, 0, 0, 99, 1, (const uint8_t[]){8}, 1, theora);
  CHECK_EQ_INT(ogg_index(b, n + m, &ix, &info, err), 0);
  CHECK_EQ_INT(ix.count, 2);
  brtc_frame_index_free(&ix);
  /* No Opus at all. */
  n = page(b, BRTC_OGG_BOS, 0, 99, 0, (const uint8_t[]){8}, 1, theora);
  CHECK_EQ_INT(ogg_index(b, n, &ix, &info, err), BRTC_ERR_PARSE);
}

static void test_ogg_broken_real(void) {
  size_t len;
  uint8_t *orig = load("opus_opusenc_20ms.opus", &len);
  brtc_frame_index ix;
  brtc_file_info info;
  char err[160];
  /* Cut anywhere: an error, or the whole packets before the cut. */
  for (size_t n = 0; n < len; n += 37) {
    int rc = brtc_ogg_opus_index(dup_bytes(orig, n), n, &ix, &info, err, sizeof(err));
    if (rc == 0) {
      CHECK(info.truncated || n == len);
      CHECK(ix.count <= 51);
      brtc_frame_index_free(&ix);
    }
  }
  /* Any flipped byte is caught by a checksum (or is in a CRC field and caught the same). */
  for (size_t at = 0; at < len; at += 11) {
    uint8_t *c = dup_bytes(orig, len);
    c[at] ^= 0x20;
    CHECK(brtc_ogg_opus_index(c, len, &ix, &info, err, sizeof(err)) < 0);
  }
  free(orig);
}

int main(void) {
  RUN(test_ivf_fixture);
  RUN(test_ivf_broken);
  RUN(test_annexb_split);
  RUN(test_h264_sps);
  RUN(test_h264_fixture_aud);
  RUN(test_h264_fixture_slices);
  RUN(test_h264_prepends_paramsets);
  RUN(test_h264_broken);
  RUN(test_ogg_crc);
  RUN(test_opus_packet_samples);
  RUN(test_ogg_fixtures);
  RUN(test_ogg_synthetic);
  RUN(test_ogg_broken_real);
  return TEST_REPORT();
}
