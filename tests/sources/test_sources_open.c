/* Opening sources by their spec, and the real fixtures played end to end on a simulated
 * clock: frame k of a 30 fps file at k/30 s, loops with increasing timestamps, every VP8
 * frame decodable by libvpx across loops and keyframe jumps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>

#include "boltrtc/error.h"
#include "sources/source.h"
#include "testing.h"

#define FIX(name) BRTC_SOURCES_FIXTURES "/" name
#define START 3000000000ll

static void test_open_each_kind(void) {
  static const struct {
    const char *spec;
    brtc_source_codec codec;
    uint32_t clock;
    uint8_t channels;
    const char *describe;
  } cases[] = {
      {FIX("vp8_320x240_30fps.ivf"), BRTC_SOURCE_VP8, 90000, 0, "IVF VP8 320x240, 60 frames"},
      {FIX("h264_aud_30fps.h264"), BRTC_SOURCE_H264, 90000, 0, "30/1 fps (VUI)"},
      {FIX("opus_opusenc_20ms.opus"), BRTC_SOURCE_OPUS, 48000, 2, "Ogg Opus, 2 channels"},
      {FIX("opus_ffmpeg_60ms_mono.opus"), BRTC_SOURCE_OPUS, 48000, 1, "1 channel,"},
      {"testpattern", BRTC_SOURCE_VP8, 90000, 0, "test pattern VP8 640x480"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    brtc_source *s = NULL;
    char err[200] = "";
    CHECK_EQ_INT(brtc_source_open(cases[i].spec, NULL, &s, err, sizeof(err)), 0);
    if (!s) {
      fprintf(stderr, "%s: %s\n", cases[i].spec, err);
      continue;
    }
    CHECK_EQ_INT(s->codec, cases[i].codec);
    CHECK_EQ_INT(s->clock_rate, cases[i].clock);
    CHECK_EQ_INT(s->channels, cases[i].channels);
    if (!strstr(s->description, cases[i].describe)) {
      fprintf(stderr, "description: %s\n", s->description);
      CHECK(!"description");
    }
    brtc_source_free(s);
  }
  CHECK_STR(brtc_source_codec_name(BRTC_SOURCE_VP8), "VP8");
  CHECK_STR(brtc_source_codec_name(BRTC_SOURCE_H264), "H264");
  CHECK_STR(brtc_source_codec_name(BRTC_SOURCE_OPUS), "opus");
}

/* By magic whatever the name; by extension when the bytes do not say. */
static void test_sniffing(void) {
  char dir[] = "/tmp/brtc_sources_XXXXXX", path[256], err[200];
  CHECK(mkdtemp(dir) != NULL);
  brtc_source *s;
  snprintf(path, sizeof(path), "%s/clip.bin", dir);
  FILE *f = fopen(path, "wb");
  FILE *in = fopen(FIX("vp8_single_keyframe.ivf"), "rb");
  char buf[65536];
  size_t n = fread(buf, 1, sizeof(buf), in);
  fclose(in);
  fwrite(buf, 1, n, f);
  fclose(f);
  CHECK_EQ_INT(brtc_source_open(path, NULL, &s, err, sizeof(err)), 0);
  CHECK_EQ_INT(s->codec, BRTC_SOURCE_VP8);
  brtc_source_free(s);
  /* Junk named .h264: read as H.264, refused with the reason and the name. */
  snprintf(path, sizeof(path), "%s/junk.h264", dir);
  f = fopen(path, "wb");
  fputs("not a video at all", f);
  fclose(f);
  CHECK_EQ_INT(brtc_source_open(path, NULL, &s, err, sizeof(err)), BRTC_ERR_PARSE);
  CHECK(strstr(err, "junk.h264: no H.264 start code") != NULL);
  unlink(path);
  snprintf(path, sizeof(path), "%s/junk.txt", dir);
  f = fopen(path, "wb");
  fputs("not a video at all", f);
  fclose(f);
  CHECK_EQ_INT(brtc_source_open(path, NULL, &s, err, sizeof(err)), BRTC_ERR_UNSUPPORTED);
  CHECK(strstr(err, "not IVF, Ogg Opus or H.264") != NULL);
  unlink(path);
  snprintf(path, sizeof(path), "%s/clip.bin", dir);
  unlink(path);
  rmdir(dir);
  CHECK_EQ_INT(brtc_source_open("/nonexistent/clip.ivf", NULL, &s, err, sizeof(err)), BRTC_ERR_IO);
  CHECK(strstr(err, "No such file") != NULL);
  CHECK_EQ_INT(brtc_source_open(BRTC_SOURCES_FIXTURES, NULL, &s, err, sizeof(err)), BRTC_ERR_IO);
  CHECK_EQ_INT(brtc_source_open("", NULL, &s, NULL, 0), BRTC_ERR_INVALID);
  brtc_source_options o;
  brtc_source_options_default(&o);
  o.max_file_bytes = 1000;
  CHECK_EQ_INT(brtc_source_open(FIX("vp8_320x240_30fps.ivf"), &o, &s, err, sizeof(err)),
               BRTC_ERR_TOO_BIG);
  brtc_source_options_default(&o);
  o.fps_num = 30;
  o.fps_den = 0;
  CHECK_EQ_INT(brtc_source_open(FIX("h264_aud_30fps.h264"), &o, &s, err, sizeof(err)),
               BRTC_ERR_INVALID);
}

/* The 30 fps IVF file over two and a half loops with 1 ms ticks, a keyframe asked for in
 * the middle of the second: every frame on time, timestamps increasing without a gap, and
 * every frame decodes. */
static void test_play_ivf(void) {
  brtc_source *s;
  char err[200];
  CHECK_EQ_INT(brtc_source_open(FIX("vp8_320x240_30fps.ivf"), NULL, &s, err, sizeof(err)), 0);
  vpx_codec_ctx_t dec;
  vpx_codec_dec_cfg_t cfg = {.threads = 1};
  CHECK(vpx_codec_dec_init(&dec, vpx_codec_vp8_dx(), &cfg, 0) == VPX_CODEC_OK);
  unsigned k = 0, decoded = 0;
  for (int64_t now = START; now < START + 5000000; now += 1000) {
    brtc_source_frame f;
    if (k == 75) CHECK_EQ_INT(brtc_source_request_keyframe(s), 0);
    while (brtc_source_take(s, now, &f) == 0) {
      CHECK_EQ_INT(f.due_us, START + (int64_t)k * 1000000 / 30);
      CHECK_EQ_INT(f.timestamp, (uint64_t)k * 3000);
      /* The jump at 75 moved the file ahead by 15 frames: keyframes every 30 from there. */
      CHECK(f.keyframe == (k < 75 ? k % 30 == 0 : (k - 75) % 30 == 0));
      if (vpx_codec_decode(&dec, f.data, (unsigned)f.len, NULL, 0) == VPX_CODEC_OK) {
        vpx_codec_iter_t it = NULL;
        vpx_image_t *img = vpx_codec_get_frame(&dec, &it);
        decoded += img && img->d_w == 320 && img->d_h == 240;
      }
      k++;
    }
  }
  CHECK_EQ_INT(k, 150);
  CHECK_EQ_INT(decoded, 150);
  brtc_source_stats st;
  brtc_source_get_stats(s, &st);
  CHECK_EQ_INT(st.keyframe_jumps, 1);
  vpx_codec_destroy(&dec);
  brtc_source_free(s);
}

/* Ogg Opus over a loop: packets every 20 ms, 960 samples apart, continuous. */
static void test_play_opus(void) {
  brtc_source *s;
  char err[200];
  CHECK_EQ_INT(brtc_source_open(FIX("opus_opusenc_20ms.opus"), NULL, &s, err, sizeof(err)), 0);
  unsigned k = 0;
  for (int64_t now = START; now < START + 2100000; now += 1000) {
    brtc_source_frame f;
    while (brtc_source_take(s, now, &f) == 0) {
      CHECK_EQ_INT(f.due_us, START + (int64_t)k * 20000);
      CHECK_EQ_INT(f.timestamp, (uint64_t)k * 960);
      CHECK_EQ_INT(f.duration, 960);
      k++;
    }
  }
  CHECK_EQ_INT(k, 105); /* due by 2.099 s; 51 packets a loop */
  brtc_source_stats st;
  brtc_source_get_stats(s, &st);
  CHECK_EQ_INT(st.loops, 2);
  brtc_source_free(s);
}

/* H.264 at the VUI's 25 fps. */
static void test_play_h264(void) {
  brtc_source *s;
  char err[200];
  CHECK_EQ_INT(brtc_source_open(FIX("h264_slices_25fps.h264"), NULL, &s, err, sizeof(err)), 0);
  unsigned k = 0;
  for (int64_t now = START; now < START + 2000000; now += 1000) {
    brtc_source_frame f;
    while (brtc_source_take(s, now, &f) == 0) {
      CHECK_EQ_INT(f.due_us, START + (int64_t)k * 40000);
      CHECK_EQ_INT(f.timestamp, (uint64_t)k * 3600);
      CHECK_EQ_INT(f.keyframe, k % 25 == 0);
      CHECK_EQ_INT(f.width, 320);
      k++;
    }
  }
  CHECK_EQ_INT(k, 50);
  brtc_source_free(s);
}

/* The offset a program gives the test pattern turns the monotonic clock into Unix time. */
static void test_wallclock_offset(void) {
  struct timespec mono;
  clock_gettime(CLOCK_MONOTONIC, &mono);
  int64_t now = (int64_t)mono.tv_sec * 1000000 + mono.tv_nsec / 1000;
  int64_t unix_us = now + brtc_source_wallclock_offset();
  int64_t want = (int64_t)time(NULL) * 1000000;
  CHECK(unix_us > want - 2000000 && unix_us < want + 2000000);
}

int main(void) {
  RUN(test_open_each_kind);
  RUN(test_sniffing);
  RUN(test_play_ivf);
  RUN(test_play_opus);
  RUN(test_play_h264);
  RUN(test_wallclock_offset);
  return TEST_REPORT();
}
