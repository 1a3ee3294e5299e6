/* H.264 keyframe to JPEG on the server: how long one IDR takes to decode with openh264 (what
 * the keyframe worker uses) and with libavcodec (the other candidate), and the whole path to
 * JPEG; how much memory each decoder holds once it has decoded one.
 *
 * The IDRs are made here from the test picture (tests/codec/vpx_encode.h's drawing) at
 * 640x480 and 1920x1080 by two encoders: openh264 (Constrained Baseline, what browsers send)
 * and x264 through libavcodec (High profile, CABAC: what OBS, GStreamer's x264enc or a
 * camera's encoder send). Each keyframe is decoded on its own, as the worker does: a fresh
 * picture every time (libavcodec is flushed after each, openh264 flushes its held picture).
 *
 * Times are per keyframe, thread CPU time, the median of the runs; "first" is a decoder made
 * just before (its allocations included). Memory is the heap a decoder holds after decoding
 * one IDR (mallinfo2, in use), each decoder made and freed in turn.
 *
 * usage: bench_h264_decode [runs per cell, default 50] */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <turbojpeg.h>
#include <vpx/vpx_image.h>

#include "boltrtc/error.h"
#include "codec/vpx_encode.h"
#include "media/h264_decode.h"
#include "media/h264_encode.h"
#include "media/keyframe_jpeg.h"

#ifdef BRTC_BENCH_LIBAVCODEC
#include <libavcodec/avcodec.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>
#endif

static int g_runs = 50;

static double cpu_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

static void die(const char *what) {
  fprintf(stderr, "bench_h264_decode: %s failed\n", what);
  exit(1);
}

static size_t heap_in_use(void) {
  struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return v[n / 2];
}

typedef struct idr {
  const char *name;
  unsigned w, h;
  uint8_t *data;
  size_t len;
} idr;

/* ---- the candidates, each: decode one IDR to I420 ---- */

typedef struct candidate {
  const char *name;
  void *(*open)(void);
  int (*decode)(void *d, const idr *k); /* 0 when the picture came out at its size */
  void (*close)(void *d);
} candidate;

static void *openh264_open(void) { return brtc_h264_decoder_new(); }
static void openh264_close(void *d) { brtc_h264_decoder_free(d); }
static int openh264_decode(void *d, const idr *k) {
  const uint8_t *planes[3];
  int strides[3], full;
  unsigned w, h;
  int rc = brtc_h264_decoder_decode(d, k->data, k->len, 4096, planes, strides, &w, &h, &full);
  return rc == BRTC_OK && w == k->w && h == k->h ? 0 : -1;
}

#ifdef BRTC_BENCH_LIBAVCODEC
typedef struct av {
  AVCodecContext *ctx;
  AVPacket *pkt;
  AVFrame *frame;
} av;

static void *libav_open(void) {
  av *a = calloc(1, sizeof *a);
  const AVCodec *c = avcodec_find_decoder(AV_CODEC_ID_H264);
  a->ctx = avcodec_alloc_context3(c);
  a->ctx->thread_count = 1; /* one keyframe on one worker thread, as ours */
  if (avcodec_open2(a->ctx, c, NULL) < 0) die("avcodec_open2");
  a->pkt = av_packet_alloc();
  a->frame = av_frame_alloc();
  return a;
}

static void libav_close(void *d) {
  av *a = d;
  av_frame_free(&a->frame);
  av_packet_free(&a->pkt);
  avcodec_free_context(&a->ctx);
  free(a);
}

static int libav_decode(void *d, const idr *k) {
  av *a = d;
  a->pkt->data = k->data;
  a->pkt->size = (int)k->len;
  int ok = -1;
  if (avcodec_send_packet(a->ctx, a->pkt) < 0) return -1;
  avcodec_send_packet(a->ctx, NULL); /* drain: one picture, now */
  while (avcodec_receive_frame(a->ctx, a->frame) == 0) {
    if ((unsigned)a->frame->width == k->w && (unsigned)a->frame->height == k->h) ok = 0;
    av_frame_unref(a->frame);
  }
  avcodec_flush_buffers(a->ctx); /* ready for the next keyframe */
  return ok;
}
#endif

static const candidate candidates[] = {
    {"openh264 2.3.1", openh264_open, openh264_decode, openh264_close},
#ifdef BRTC_BENCH_LIBAVCODEC
    {"libavcodec " LIBAVCODEC_IDENT, libav_open, libav_decode, libav_close},
#endif
};
#define N_CANDIDATES (sizeof candidates / sizeof candidates[0])

/* ---- making the keyframes ---- */

static vpx_image_t *picture(unsigned w, unsigned h) {
  vpx_image_t *img = vpx_img_alloc(NULL, VPX_IMG_FMT_I420, w, h, 1);
  if (!img) die("vpx_img_alloc");
  test_draw_picture(img, w, h, w / 3, h / 5);
  return img;
}

static idr openh264_idr(unsigned w, unsigned h, const char *name) {
  idr k = {.name = name, .w = w, .h = h};
  vpx_image_t *img = picture(w, h);
  size_t cap = (size_t)w * h * 2;
  k.data = malloc(cap);
  int strides[3] = {img->stride[0], img->stride[1], img->stride[2]};
  k.len = test_h264_encode_idr(img->planes, strides, (int)w, (int)h, 26, k.data, cap);
  if (!k.len) die("openh264 encoding");
  vpx_img_free(img);
  return k;
}

#ifdef BRTC_BENCH_LIBAVCODEC
static idr x264_idr(unsigned w, unsigned h, const char *name) {
  idr k = {.name = name, .w = w, .h = h};
  const AVCodec *c = avcodec_find_encoder_by_name("libx264");
  if (!c) die("finding libx264");
  AVCodecContext *ctx = avcodec_alloc_context3(c);
  ctx->width = (int)w;
  ctx->height = (int)h;
  ctx->pix_fmt = AV_PIX_FMT_YUV420P;
  ctx->time_base = (AVRational){1, 30};
  ctx->gop_size = 30;
  av_opt_set(ctx->priv_data, "preset", "medium", 0);
  av_opt_set(ctx->priv_data, "crf", "23", 0);
  if (avcodec_open2(ctx, c, NULL) < 0) die("opening libx264");
  AVFrame *f = av_frame_alloc();
  f->format = AV_PIX_FMT_YUV420P;
  f->width = (int)w;
  f->height = (int)h;
  av_frame_get_buffer(f, 0);
  vpx_image_t *img = picture(w, h);
  for (int p = 0; p < 3; p++) {
    unsigned pw = p ? (w + 1) / 2 : w, ph = p ? (h + 1) / 2 : h;
    for (unsigned y = 0; y < ph; y++)
      memcpy(f->data[p] + y * (unsigned)f->linesize[p], img->planes[p] + y * (unsigned)img->stride[p], pw);
  }
  vpx_img_free(img);
  f->pts = 0;
  AVPacket *pkt = av_packet_alloc();
  avcodec_send_frame(ctx, f);
  avcodec_send_frame(ctx, NULL);
  while (avcodec_receive_packet(ctx, pkt) == 0) {
    if (!k.data) {
      k.data = malloc((size_t)pkt->size);
      memcpy(k.data, pkt->data, (size_t)pkt->size);
      k.len = (size_t)pkt->size;
    }
    av_packet_unref(pkt);
  }
  av_packet_free(&pkt);
  av_frame_free(&f);
  avcodec_free_context(&ctx);
  if (!k.data) die("libx264 encoding");
  return k;
}
#endif

/* ---- measuring ---- */

static void time_decoder(const candidate *c, const idr *k, double *first, double *steady) {
  double t0 = cpu_ms();
  void *d = c->open();
  if (!d || c->decode(d, k) != 0) {
    *first = *steady = -1; /* cannot decode it */
    if (d) c->close(d);
    return;
  }
  *first = cpu_ms() - t0;
  double *t = malloc(sizeof(double) * (size_t)g_runs);
  for (int i = 0; i < g_runs; i++) {
    double s = cpu_ms();
    if (c->decode(d, k) != 0) die("decoding again");
    t[i] = cpu_ms() - s;
  }
  *steady = median(t, g_runs);
  free(t);
  c->close(d);
}

/* The worker's whole path: decode, range expansion, JPEG at quality 90. */
static double time_to_jpeg_codec(brtc_keyframe_jpeg *kj, brtc_keyframe_codec codec,
                                 const idr *k) {
  double *t = malloc(sizeof(double) * (size_t)g_runs);
  for (int i = 0; i < g_runs; i++) {
    const uint8_t *jpeg;
    size_t jpeg_len;
    unsigned w, h;
    double s = cpu_ms();
    if (brtc_keyframe_jpeg_encode_codec(kj, codec, k->data, k->len, &jpeg, &jpeg_len, &w, &h) !=
        BRTC_OK)
      die("brtc_keyframe_jpeg_encode_codec");
    t[i] = cpu_ms() - s;
  }
  double m = median(t, g_runs);
  free(t);
  return m;
}

static size_t memory_after_one(const candidate *c, const idr *k) {
  malloc_trim(0);
  size_t before = heap_in_use();
  void *d = c->open();
  if (!d) die("opening a decoder");
  c->decode(d, k);
  size_t held = heap_in_use() - before;
  c->close(d);
  return held;
}

int main(int argc, char **argv) {
  if (argc > 1) g_runs = atoi(argv[1]);
  if (g_runs < 1) g_runs = 50;
#ifdef BRTC_BENCH_LIBAVCODEC
  av_log_set_level(AV_LOG_ERROR);
#endif
  idr keys[4];
  size_t n = 0;
  keys[n++] = openh264_idr(640, 480, "640x480 Constrained Baseline (openh264)");
  keys[n++] = openh264_idr(1920, 1080, "1920x1080 Constrained Baseline (openh264)");
#ifdef BRTC_BENCH_LIBAVCODEC
  keys[n++] = x264_idr(640, 480, "640x480 High (x264)");
  keys[n++] = x264_idr(1920, 1080, "1920x1080 High (x264)");
#endif
  brtc_keyframe_jpeg *kj = brtc_keyframe_jpeg_new(90);
  printf("per keyframe, ms of one core (median of %d; first = a decoder made for it)\n\n",
         g_runs);
  printf("| IDR | bytes | decoder | decode, first | decode | whole path to JPEG |\n");
  printf("|---|---:|---|---:|---:|---:|\n");
  for (size_t i = 0; i < n; i++) {
    /* Ours is measured whole; for the other, its decode plus the same expansion and JPEG
     * step (ours whole less openh264's decode). */
    double jpeg_ms = time_to_jpeg_codec(kj, BRTC_KEYFRAME_H264, &keys[i]), jpeg_part = 0;
    for (size_t c = 0; c < N_CANDIDATES; c++) {
      double first, steady;
      time_decoder(&candidates[c], &keys[i], &first, &steady);
      if (c == 0) {
        jpeg_part = jpeg_ms - steady;
        printf("| %s | %zu | %s | %.2f | %.2f | %.2f |\n", keys[i].name, keys[i].len,
               candidates[c].name, first, steady, jpeg_ms);
      } else if (steady < 0) {
        printf("| | | %s | cannot | cannot | |\n", candidates[c].name);
      } else {
        printf("| | | %s | %.2f | %.2f | %.2f |\n", candidates[c].name, first, steady,
               steady + jpeg_part);
      }
    }
  }
  /* For scale: a VP8 keyframe of the same picture through the same worker path (libvpx). */
  test_vp8_encoder e;
  if (test_vp8_encoder_init(&e, 640, 480) != 0) die("libvpx");
  test_draw_picture(&e.img, 640, 480, 640 / 3, 480 / 5);
  idr vp8 = {.name = "640x480 VP8 (libvpx)", .w = 640, .h = 480};
  vp8.data = malloc(640 * 480 * 2);
  vp8.len = test_vp8_encode(&e, true, vp8.data, 640 * 480 * 2);
  test_vp8_encoder_free(&e);
  printf("| %s | %zu | libvpx | | | %.2f |\n", vp8.name, vp8.len,
         time_to_jpeg_codec(kj, BRTC_KEYFRAME_VP8, &vp8));
  free(vp8.data);
  printf("\nheap held by a decoder after decoding one IDR, MiB:\n\n| IDR |");
  for (size_t c = 0; c < N_CANDIDATES; c++) printf(" %s |", candidates[c].name);
  printf("\n|---|");
  for (size_t c = 0; c < N_CANDIDATES; c++) printf("---:|");
  printf("\n");
  for (size_t i = 0; i < n; i++) {
    printf("| %s |", keys[i].name);
    for (size_t c = 0; c < N_CANDIDATES; c++)
      printf(" %.1f |", (double)memory_after_one(&candidates[c], &keys[i]) / (1024.0 * 1024.0));
    printf("\n");
  }
  brtc_keyframe_jpeg_free(kj);
  for (size_t i = 0; i < n; i++) free(keys[i].data);
  return 0;
}
