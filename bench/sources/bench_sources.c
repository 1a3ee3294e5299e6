/* What the media sources cost per frame on one core, beside ffmpeg (libvpx, swscale, its MJPEG
 * decoder) doing the same work on the same frames in the same run:
 *   draw      the test pattern into I420
 *   vp8       libvpx VP8 real-time encoding of those frames (cpu-used -6, CBR, 1 thread);
 *             ffmpeg: -c:v libvpx with the same settings on the same raw frames
 *   yuyv      YUYV to I420 (a camera's raw frames); ffmpeg: swscale yuyv422 -> yuv420p
 *   mjpeg     MJPEG (4:2:2 full range, quality 85) decoded to studio-range I420;
 *             ffmpeg: its mjpeg decoder to yuvj422p (no conversion)
 *   files     parsing each fixture into frames (per file) and taking a frame (per frame)
 * ffmpeg's figure is its user CPU time (-benchmark utime) over the frames; ours is
 * CLOCK_THREAD_CPUTIME_ID around the work alone.
 *   bench_sources [--frames N] [--ffmpeg PATH|none] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <turbojpeg.h>
#include <unistd.h>

#include "sources/file_formats.h"
#include "sources/file_read.h"
#include "sources/mjpeg_decoder.h"
#include "sources/source.h"
#include "sources/testpattern.h"
#include "sources/vp8_encoder.h"
#include "sources/yuv_convert.h"

static double cpu_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static const char *ffmpeg = "ffmpeg";

/* Runs ffmpeg with -benchmark on an input and an output, one thread each (the libvpx
 * wrapper's default threads spin and cost more CPU in all), returns its utime in seconds
 * (or -1). */
static double ffmpeg_utime(const char *in, const char *out) {
  if (!strcmp(ffmpeg, "none")) return -1;
  char cmd[1024];
  snprintf(cmd, sizeof(cmd),
           "%s -hide_banner -nostdin -benchmark -threads 1 %s -threads 1 -filter_threads 1 %s "
           "-f null - 2>&1",
           ffmpeg, in, out);
  FILE *p = popen(cmd, "r");
  if (!p) return -1;
  char line[512];
  double ut = -1;
  while (fgets(line, sizeof(line), p)) {
    char *u = strstr(line, "utime=");
    if (u) ut = atof(u + 6);
  }
  pclose(p);
  return ut;
}

static void write_file(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(p, 1, n, f) != n) {
    perror(path);
    exit(1);
  }
  fclose(f);
}

static void row(const char *what, unsigned w, unsigned h, double ours_s, double peer_s,
                unsigned frames, const char *extra) {
  double ours = ours_s * 1000 / frames;
  if (peer_s >= 0) {
    double peer = peer_s * 1000 / frames;
    printf("| %s | %ux%u | %.3f | %.0f | %.3f | %.0f | %.2f | %s |\n", what, w, h, ours,
           1000 / ours, peer, 1000 / peer, ours / peer, extra);
  } else {
    printf("| %s | %ux%u | %.3f | %.0f | — | — | — | %s |\n", what, w, h, ours, 1000 / ours, extra);
  }
}

static void bench_size(unsigned w, unsigned h, unsigned n, uint32_t bps) {
  size_t frame = (size_t)w * h * 3 / 2;
  uint8_t *raw = malloc(frame * n);
  memset(raw, 0, frame * n); /* page faults outside the timing */
  brtc_i420 pic = {.width = w, .height = h, .strides = {(int)w, (int)w / 2, (int)w / 2}};
  /* Drawn into one picture, as the source does, then kept for the encoders (untimed). */
  brtc_i420 one;
  brtc_i420_alloc(&one, w, h);
  double drawing = 0;
  for (unsigned k = 0; k < n; k++) {
    double t0 = cpu_s();
    brtc_testpattern_draw(one.planes, one.strides, w, h, k, 1733000000000ull + k * 33);
    drawing += cpu_s() - t0;
    memcpy(raw + frame * k, one.planes[0], frame);
  }
  brtc_i420_free(&one);
  row("draw test pattern", w, h, drawing, -1, n, "");

  char err[200], path[256], args[512], out_args[512];
  brtc_vp8_encoder_config ec = {w, h, 30, 1, bps, 0};
  brtc_vp8_encoder *e = brtc_vp8_encoder_new(&ec, err, sizeof(err));
  size_t bytes = 0;
  double t0 = cpu_s();
  for (unsigned k = 0; k < n; k++) {
    pic.planes[0] = raw + frame * k;
    pic.planes[1] = pic.planes[0] + (size_t)w * h;
    pic.planes[2] = pic.planes[1] + (size_t)w * h / 4;
    const uint8_t *data;
    size_t len;
    bool key;
    if (brtc_vp8_encoder_encode(e, pic.planes, pic.strides, k, false, &data, &len, &key) == 0)
      bytes += len;
  }
  double ours = cpu_s() - t0;
  brtc_vp8_encoder_free(e);
  snprintf(path, sizeof(path), "/tmp/bench_sources_%d.yuv", (int)getpid());
  write_file(path, raw, frame * n);
  snprintf(args, sizeof(args), "-f rawvideo -pix_fmt yuv420p -s %ux%u -r 30 -i %s", w, h, path);
  snprintf(out_args, sizeof(out_args),
           "-c:v libvpx -deadline realtime -cpu-used -6 -b:v %u -minrate %u -maxrate %u "
           "-lag-in-frames 0 -qmin 2 -qmax 56",
           bps, bps, bps);
  double peer = ffmpeg_utime(args, out_args);
  char extra[64];
  snprintf(extra, sizeof(extra), "ours %.0f kbit/s", bytes * 8.0 * 30 / n / 1000);
  row("VP8 encode (libvpx)", w, h, ours, peer, n, extra);

  /* YUYV, as a camera gives it. */
  uint8_t *yuyv = malloc((size_t)w * h * 2 * n);
  for (unsigned k = 0; k < n; k++) {
    const uint8_t *y = raw + frame * k, *u = y + (size_t)w * h, *v = u + (size_t)w * h / 4;
    uint8_t *o = yuyv + (size_t)w * h * 2 * k;
    for (unsigned r = 0; r < h; r++)
      for (unsigned c = 0; c < w; c += 2, o += 4) {
        o[0] = y[r * w + c];
        o[1] = u[(r / 2) * (w / 2) + c / 2];
        o[2] = y[r * w + c + 1];
        o[3] = v[(r / 2) * (w / 2) + c / 2];
      }
  }
  brtc_i420 out;
  brtc_i420_alloc(&out, w, h);
  t0 = cpu_s();
  for (unsigned k = 0; k < n; k++) brtc_yuyv_to_i420(yuyv + (size_t)w * h * 2 * k, w * 2, &out);
  ours = cpu_s() - t0;
  write_file(path, yuyv, (size_t)w * h * 2 * n);
  snprintf(args, sizeof(args), "-f rawvideo -pix_fmt yuyv422 -s %ux%u -i %s", w, h, path);
  row("YUYV to I420", w, h, ours, ffmpeg_utime(args, "-pix_fmt yuv420p -c:v rawvideo"), n,
      "ffmpeg: swscale");
  free(yuyv);

  /* MJPEG, 4:2:2 full range as USB cameras send it. */
  tjhandle tj = tjInitCompress();
  unsigned char **jpeg = calloc(n, sizeof(*jpeg));
  unsigned long *jlen = calloc(n, sizeof(*jlen));
  uint8_t *fy = malloc((size_t)w * h), *fu = malloc((size_t)w * h / 2), *fv = malloc((size_t)w * h / 2);
  size_t total = 0;
  for (unsigned k = 0; k < n; k++) {
    const uint8_t *y = raw + frame * k, *u = y + (size_t)w * h, *v = u + (size_t)w * h / 4;
    for (size_t i = 0; i < (size_t)w * h; i++) fy[i] = (uint8_t)((y[i] - 16) * 255 / 219);
    for (unsigned r = 0; r < h; r++)
      for (unsigned c = 0; c < w / 2; c++) {
        fu[r * (w / 2) + c] = u[(r / 2) * (w / 2) + c];
        fv[r * (w / 2) + c] = v[(r / 2) * (w / 2) + c];
      }
    const unsigned char *planes[3] = {fy, fu, fv};
    int strides[3] = {(int)w, (int)w / 2, (int)w / 2};
    tjCompressFromYUVPlanes(tj, planes, (int)w, strides, (int)h, TJSAMP_422, &jpeg[k], &jlen[k],
                            85, 0);
    total += jlen[k];
  }
  uint8_t *all = malloc(total);
  size_t off = 0;
  for (unsigned k = 0; k < n; k++) {
    memcpy(all + off, jpeg[k], jlen[k]);
    off += jlen[k];
  }
  brtc_mjpeg_decoder *d = brtc_mjpeg_decoder_new();
  t0 = cpu_s();
  for (unsigned k = 0; k < n; k++) brtc_mjpeg_decode(d, jpeg[k], jlen[k], &out);
  ours = cpu_s() - t0;
  brtc_mjpeg_decoder_free(d);
  write_file(path, all, total);
  snprintf(args, sizeof(args), "-f mjpeg -i %s", path);
  snprintf(extra, sizeof(extra), "ffmpeg: decode only, %zu KiB a frame", total / n / 1024);
  row("MJPEG to I420", w, h, ours, ffmpeg_utime(args, "-c:v rawvideo"), n, extra);
  unlink(path);
  for (unsigned k = 0; k < n; k++) tjFree(jpeg[k]);
  free(jpeg);
  free(jlen);
  free(all);
  free(fy);
  free(fu);
  free(fv);
  tjDestroy(tj);
  brtc_i420_free(&out);
  free(raw);
}

static void bench_file(const char *name, int kind, unsigned rounds) {
  char path[512], err[200];
  snprintf(path, sizeof(path), "%s/%s", BRTC_SOURCES_FIXTURES, name);
  uint8_t *file;
  size_t len;
  if (brtc_read_file(path, 1 << 26, &file, &len, err, sizeof(err)) < 0) {
    fprintf(stderr, "%s\n", err);
    return;
  }
  double t0 = cpu_s();
  size_t frames = 0;
  for (unsigned i = 0; i < rounds; i++) {
    uint8_t *copy = malloc(len);
    memcpy(copy, file, len);
    brtc_frame_index ix;
    brtc_file_info info;
    int rc = kind == 0   ? brtc_ivf_index(copy, len, &ix, &info, err, sizeof(err))
             : kind == 1 ? brtc_h264_index(copy, len, 0, 0, &ix, &info, err, sizeof(err))
                         : brtc_ogg_opus_index(copy, len, &ix, &info, err, sizeof(err));
    if (rc == 0) {
      frames = ix.count;
      brtc_frame_index_free(&ix);
    }
  }
  double parse = (cpu_s() - t0) / rounds;
  brtc_source *s;
  if (brtc_source_open(path, NULL, &s, err, sizeof(err)) < 0) return;
  unsigned takes = 0;
  t0 = cpu_s();
  for (int64_t now = 0; takes < 1000000; now = brtc_source_next_due(s, now)) {
    brtc_source_frame f;
    while (brtc_source_take(s, now, &f) == 0) takes++;
  }
  double take = (cpu_s() - t0) / takes;
  brtc_source_free(s);
  printf("| %s | %zu KiB | %zu | %.1f µs | %.2f MB/s | %.0f ns |\n", name, len / 1024, frames,
         parse * 1e6, len / parse / 1e6, take * 1e9);
  free(file);
}

int main(int argc, char **argv) {
  unsigned n = 120;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--frames")) n = (unsigned)atoi(argv[i + 1]);
    if (!strcmp(argv[i], "--ffmpeg")) ffmpeg = argv[i + 1];
  }
  if (n < 10) n = 10;
  printf("%u frames per cell; ms and frames/s of one core\n\n", n);
  printf("| work | size | ours ms/frame | ours fps | ffmpeg ms/frame | ffmpeg fps | ours / ffmpeg | note |\n");
  printf("|---|---|---:|---:|---:|---:|---:|---|\n");
  bench_size(640, 480, n, 1000000);
  bench_size(1280, 720, n, 2500000);
  printf("\n| file | size | frames | parse | parse rate | take, per frame |\n");
  printf("|---|---:|---:|---:|---:|---:|\n");
  bench_file("vp8_320x240_30fps.ivf", 0, 2000);
  bench_file("h264_aud_30fps.h264", 1, 2000);
  bench_file("opus_opusenc_20ms.opus", 2, 2000);
  return 0;
}
