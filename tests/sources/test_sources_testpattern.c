/* The test pattern: its barcode read back exactly from libvpx's decoded frames (also at a
 * low bitrate), the decoded picture within 30 dB of the one drawn, keyframes on request,
 * the bitrate followed, and pacing on a simulated clock. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>

#include "boltrtc/error.h"
#include "sources/barcode.h"
#include "sources/source.h"
#include "sources/testpattern.h"
#include "sources/yuv_convert.h"
#include "testing.h"

#define START 5000000000ll

static void test_crc16(void) {
  CHECK_EQ_INT(brtc_crc16_ccitt((const uint8_t *)"123456789", 9), 0x29B1);
}

static void test_barcode_roundtrip(void) {
  static const unsigned widths[] = {128, 320, 640, 1280, 1922};
  static const uint64_t times[] = {0, 1, 1733000000123ull, 0xFFFFFFFFFFFFull};
  static const uint32_t frames[] = {0, 1, 0x123456, 0xFFFFFF};
  for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
    unsigned width = widths[w], height = 6 * brtc_barcode_cell(width);
    uint8_t *y = malloc((size_t)width * height);
    for (size_t t = 0; t < 4; t++) {
      memset(y, 100, (size_t)width * height);
      brtc_barcode in = {.capture_ms = times[t], .frame = frames[t]}, out = {0};
      brtc_barcode_draw(y, (int)width, width, height, &in);
      CHECK_EQ_INT(brtc_barcode_read(y, (int)width, width, height, &out), 0);
      CHECK_EQ_INT(out.capture_ms, in.capture_ms);
      CHECK_EQ_INT(out.frame, in.frame);
      /* One cell flipped: the CRC (or the magic) catches it. */
      unsigned cell = brtc_barcode_cell(width), x0 = (width - 32 * cell) / 2;
      for (unsigned i = 0; i < 96; i += 13) {
        for (unsigned yy = (i / 32) * cell; yy < (i / 32 + 1) * cell; yy++)
          for (unsigned xx = x0 + (i % 32) * cell; xx < x0 + (i % 32 + 1) * cell; xx++)
            y[(size_t)yy * width + xx] = (uint8_t)(251 - y[(size_t)yy * width + xx]);
        CHECK_EQ_INT(brtc_barcode_read(y, (int)width, width, height, &out), BRTC_ERR_PARSE);
        for (unsigned yy = (i / 32) * cell; yy < (i / 32 + 1) * cell; yy++)
          for (unsigned xx = x0 + (i % 32) * cell; xx < x0 + (i % 32 + 1) * cell; xx++)
            y[(size_t)yy * width + xx] = (uint8_t)(251 - y[(size_t)yy * width + xx]);
      }
    }
    free(y);
  }
  uint8_t small[100 * 100] = {0};
  brtc_barcode out;
  CHECK_EQ_INT(brtc_barcode_read(small, 100, 100, 100, &out), BRTC_ERR_INVALID);
  memset(small, 128, sizeof(small));
  uint8_t gray[320 * 60];
  memset(gray, 128, sizeof(gray));
  CHECK_EQ_INT(brtc_barcode_read(gray, 320, 320, 60, &out), BRTC_ERR_PARSE);
}

static double psnr_plane(const uint8_t *a, int as, const uint8_t *b, int bs, unsigned w,
                         unsigned h) {
  double se = 0;
  for (unsigned y = 0; y < h; y++)
    for (unsigned x = 0; x < w; x++) {
      double d = (double)a[(size_t)y * (size_t)as + x] - b[(size_t)y * (size_t)bs + x];
      se += d * d;
    }
  double mse = se / ((double)w * h);
  return mse == 0 ? 99 : 10 * log10(255.0 * 255.0 / mse);
}

typedef struct run_result {
  unsigned frames, barcodes_read, keyframes;
  double min_psnr;
  size_t bytes;
} run_result;

/* Takes n frames at their due times from a test pattern of w x h at bitrate, decodes each
 * with libvpx, reads its barcode, redraws the source frame from what it says and compares.
 * key_at: a keyframe request before that frame (or -1); bitrate_at: a new bitrate from that
 * frame on. */
static run_result run(unsigned w, unsigned h, uint32_t bps, unsigned n, int key_at,
                      int bitrate_at, uint32_t new_bps, size_t *bytes_after) {
  run_result r = {.min_psnr = 99};
  brtc_source_options o;
  brtc_source_options_default(&o);
  o.width = w;
  o.height = h;
  o.bitrate_bps = bps;
  o.wallclock_offset_us = 1733000000000000ll - START; /* Unix time in the barcode */
  brtc_source *s;
  char err[200];
  CHECK_EQ_INT(brtc_source_open("testpattern", &o, &s, err, sizeof(err)), 0);
  CHECK_EQ_INT(s->codec, BRTC_SOURCE_VP8);
  CHECK_EQ_INT(s->clock_rate, 90000);
  vpx_codec_ctx_t dec;
  vpx_codec_dec_cfg_t cfg = {.threads = 1};
  CHECK(vpx_codec_dec_init(&dec, vpx_codec_vp8_dx(), &cfg, 0) == VPX_CODEC_OK);
  brtc_i420 ref;
  CHECK_EQ_INT(brtc_i420_alloc(&ref, w, h), 0);
  *bytes_after = 0;
  for (unsigned k = 0; k < n; k++) {
    int64_t due = brtc_source_next_due(s, START);
    if (k == 0) CHECK_EQ_INT(due, START);
    CHECK_EQ_INT(due, START + (int64_t)k * 1000000 / 30);
    if ((int)k == key_at) CHECK_EQ_INT(brtc_source_request_keyframe(s), 0);
    if ((int)k == bitrate_at) CHECK_EQ_INT(brtc_source_set_bitrate(s, new_bps), 0);
    brtc_source_frame f;
    if (k) CHECK_EQ_INT(brtc_source_take(s, due - 1, &f), BRTC_ERR_AGAIN);
    if (brtc_source_take(s, due, &f) != 0) {
      CHECK(!"no frame");
      continue;
    }
    r.frames++;
    r.bytes += f.len;
    if (bitrate_at >= 0 && (int)k >= bitrate_at + 30) *bytes_after += f.len;
    CHECK_EQ_INT(f.timestamp, k * 3000);
    CHECK_EQ_INT(f.frame_number, k);
    CHECK_EQ_INT(f.capture_us, due);
    CHECK_EQ_INT(f.width, w);
    CHECK(f.keyframe == (k == 0 || (int)k == key_at));
    r.keyframes += f.keyframe;
    CHECK(vpx_codec_decode(&dec, f.data, (unsigned)f.len, NULL, 0) == VPX_CODEC_OK);
    vpx_codec_iter_t it = NULL;
    vpx_image_t *img = vpx_codec_get_frame(&dec, &it);
    if (!img) {
      CHECK(!"no picture");
      continue;
    }
    brtc_barcode bc;
    if (brtc_barcode_read(img->planes[0], img->stride[0], img->d_w, img->d_h, &bc) == 0) {
      r.barcodes_read++;
      CHECK_EQ_INT(bc.frame, k);
      CHECK_EQ_INT(bc.capture_ms, (uint64_t)((due + o.wallclock_offset_us) / 1000));
      brtc_testpattern_draw(ref.planes, ref.strides, w, h, bc.frame, bc.capture_ms);
      double p = psnr_plane(img->planes[0], img->stride[0], ref.planes[0], ref.strides[0], w, h);
      p = fmin(p, psnr_plane(img->planes[1], img->stride[1], ref.planes[1], ref.strides[1], w / 2,
                             h / 2));
      p = fmin(p, psnr_plane(img->planes[2], img->stride[2], ref.planes[2], ref.strides[2], w / 2,
                             h / 2));
      if (p < r.min_psnr) r.min_psnr = p;
    }
  }
  brtc_i420_free(&ref);
  vpx_codec_destroy(&dec);
  brtc_source_free(s);
  return r;
}

/* 640x480 at 1 Mbit/s for 2 s: every barcode exact, every picture over 30 dB. */
static void test_encoded_barcode_and_psnr(void) {
  size_t unused;
  run_result r = run(640, 480, 1000000, 60, -1, -1, 0, &unused);
  CHECK_EQ_INT(r.frames, 60);
  CHECK_EQ_INT(r.barcodes_read, 60);
  CHECK_EQ_INT(r.keyframes, 1);
  CHECK(r.min_psnr >= 30.0);
  fprintf(stderr, "  640x480 1 Mbit/s: min PSNR %.1f dB, %zu bytes in 2 s\n", r.min_psnr, r.bytes);
}

/* Starved: 320x240 at 60 kbit/s still gives every barcode exactly. */
static void test_low_bitrate_barcode(void) {
  size_t unused;
  run_result r = run(320, 240, 60000, 90, -1, -1, 0, &unused);
  CHECK_EQ_INT(r.barcodes_read, 90);
  fprintf(stderr, "  320x240 60 kbit/s: min PSNR %.1f dB, %zu bytes in 3 s\n", r.min_psnr,
          r.bytes);
}

/* A keyframe on request, and a new bitrate followed. */
static void test_keyframe_and_bitrate(void) {
  size_t high_after, low_after;
  run_result a = run(320, 240, 800000, 120, 40, 30, 800000, &high_after);
  run_result b = run(320, 240, 800000, 120, 40, 30, 150000, &low_after);
  CHECK_EQ_INT(a.keyframes, 2);
  CHECK_EQ_INT(b.keyframes, 2);
  CHECK_EQ_INT(b.barcodes_read, 120);
  /* The last 60 frames (2 s): near 150 kbit/s, far under 800. */
  CHECK(low_after * 8 / 2 < 250000);
  CHECK(low_after * 3 < high_after);
  fprintf(stderr, "  last 2 s: %zu bytes at 800 kbit/s, %zu at 150 kbit/s\n", high_after,
          low_after);
}

/* A caller that comes late gets the latest frame, not a burst: the grid skips. */
static void test_late_caller_skips(void) {
  brtc_source_options o;
  brtc_source_options_default(&o);
  o.width = 320;
  o.height = 240;
  o.fps_num = 25;
  o.fps_den = 1;
  brtc_source *s;
  char err[200];
  CHECK_EQ_INT(brtc_source_open("testpattern", &o, &s, err, sizeof(err)), 0);
  brtc_source_frame f;
  CHECK_EQ_INT(brtc_source_take(s, START, &f), 0);
  CHECK_EQ_INT(f.frame_number, 0);
  CHECK_EQ_INT(brtc_source_take(s, START + 1000000 + 5, &f), 0);
  CHECK_EQ_INT(f.frame_number, 25);
  CHECK_EQ_INT(f.timestamp, 25 * 3600);
  CHECK_EQ_INT(f.due_us, START + 1000000);
  CHECK_EQ_INT(brtc_source_take(s, START + 1000000 + 5, &f), BRTC_ERR_AGAIN);
  CHECK_EQ_INT(brtc_source_next_due(s, START + 1000000 + 5), START + 1040000);
  brtc_source_stats st;
  brtc_source_get_stats(s, &st);
  CHECK_EQ_INT(st.frames, 2);
  CHECK_EQ_INT(st.frames_skipped, 24);
  CHECK_EQ_INT(brtc_source_fd(s), -1);
  brtc_source_free(s);
}

static void test_bad_options(void) {
  brtc_source_options o;
  brtc_source *s;
  char err[200];
  static const unsigned sizes[][2] = {{321, 240}, {64, 64}, {320, 20}, {8192, 480}};
  for (size_t i = 0; i < 4; i++) {
    brtc_source_options_default(&o);
    o.width = sizes[i][0];
    o.height = sizes[i][1];
    CHECK_EQ_INT(brtc_source_open("testpattern", &o, &s, err, sizeof(err)), BRTC_ERR_INVALID);
    CHECK(strstr(err, "testpattern") != NULL);
  }
  brtc_source_options_default(&o);
  o.fps_num = 1000;
  o.fps_den = 1;
  CHECK_EQ_INT(brtc_source_open("testpattern", &o, &s, err, sizeof(err)), BRTC_ERR_INVALID);
  brtc_source_options_default(&o);
  o.bitrate_bps = 10;
  CHECK_EQ_INT(brtc_source_open("testpattern", &o, &s, err, sizeof(err)), BRTC_ERR_INVALID);
}

int main(void) {
  RUN(test_crc16);
  RUN(test_barcode_roundtrip);
  RUN(test_encoded_barcode_and_psnr);
  RUN(test_low_bitrate_barcode);
  RUN(test_keyframe_and_bitrate);
  RUN(test_late_caller_skips);
  RUN(test_bad_options);
  return TEST_REPORT();
}
