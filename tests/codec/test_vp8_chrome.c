/* VP8 over RTP from Chromium 156 (tests/rtp/fixtures/README.md): every payload descriptor
 * parses, the assembler rebuilds every frame (in order and reordered), libvpx decodes them
 * all, and the first keyframe looks like the picture the fake camera played. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>

#include "block_luma.h"
#include "boltrtc/error.h"
#include "codec/vp8.h"
#include "vp8_collect.h"
#include "media/keyframe_jpeg.h"
#include "rtp/packet_fixture.h"
#include "rtp/rtp.h"
#include "testing.h"

#define MAX_FRAMES 64
#define W 640
#define H 480

typedef struct frame_copy {
  uint8_t *data;
  size_t len;
  bool keyframe;
  unsigned width, height;
  uint32_t timestamp;
  int picture_id;
} frame_copy;

typedef struct frame_list {
  frame_copy f[MAX_FRAMES];
  size_t n, overflow;
} frame_list;

static packet_fixture video;

static void on_frame(const brtc_vp8_frame *f, void *user) {
  frame_list *l = user;
  if (l->n == MAX_FRAMES) {
    l->overflow++;
    return;
  }
  frame_copy *c = &l->f[l->n++];
  c->data = malloc(f->len);
  if (c->data) memcpy(c->data, f->data, f->len);
  c->len = f->len;
  c->keyframe = f->keyframe;
  c->width = f->width;
  c->height = f->height;
  c->timestamp = f->timestamp;
  c->picture_id = f->picture_id;
}

static void free_frames(frame_list *l) {
  for (size_t i = 0; i < l->n; i++) free(l->f[i].data);
  memset(l, 0, sizeof(*l));
}

/* Pushes the packets in the order given by order[] (indexes into the fixture). */
static void assemble(const size_t *order, frame_list *out, brtc_vp8_assembler_stats *stats) {
  brtc_vp8_assembler *a = vp8_collect_new(4u << 20, on_frame, out);
  CHECK(a != NULL);
  if (!a) return;
  for (size_t i = 0; i < video.n; i++) {
    brtc_rtp_header h;
    size_t k = order ? order[i] : i;
    CHECK_EQ_INT(brtc_rtp_parse(video.pkt[k], video.len[k], &h), BRTC_OK);
    CHECK_EQ_INT(vp8_collect_push(a, &h, 1000 * (uint64_t)i), BRTC_OK);
  }
  *stats = *brtc_vp8_assembler_get_stats(a);
  brtc_vp8_assembler_free(a);
}

static void test_descriptors(void) {
  size_t frames = 0, bad = 0;
  uint16_t prev_pid = 0;
  uint32_t prev_ts = 0;
  size_t payload_bytes = 0;
  for (size_t i = 0; i < video.n; i++) {
    brtc_rtp_header h;
    brtc_vp8_descriptor d;
    if (brtc_rtp_parse(video.pkt[i], video.len[i], &h) != BRTC_OK ||
        brtc_vp8_parse_descriptor(h.payload, h.payload_len, &d) != BRTC_OK) {
      bad++;
      continue;
    }
    /* libwebrtc: extended descriptor with a 15-bit picture ID. */
    CHECK(d.extended && d.has_picture_id && d.picture_id_15);
    CHECK_EQ_INT(d.partition, 0);
    bool first_of_frame = i == 0 || h.timestamp != prev_ts;
    CHECK_EQ_INT(d.start, first_of_frame); /* S only on a frame's first packet */
    if (first_of_frame) {
      if (i > 0) CHECK_EQ_INT(d.picture_id, (prev_pid + 1) & 0x7fff);
      frames++;
      uint16_t w = 0, hgt = 0;
      bool key = brtc_vp8_frame_is_keyframe(h.payload + d.size, h.payload_len - d.size, &w, &hgt);
      if (i == 0) CHECK(key); /* Chromium starts with a keyframe */
      if (key) CHECK(w == W && hgt == H);
    } else {
      CHECK_EQ_INT(d.picture_id, prev_pid); /* one picture ID per frame */
    }
    prev_pid = d.picture_id;
    prev_ts = h.timestamp;
    payload_bytes += h.payload_len - d.size;
  }
  CHECK_EQ_INT(bad, 0);
  CHECK_EQ_INT(frames, 47);
  fprintf(stderr, "  %zu packets, %zu frames, %zu bytes of VP8\n", video.n, frames,
          payload_bytes);
}

static void test_assembler_in_order(void) {
  frame_list l = {0};
  brtc_vp8_assembler_stats st;
  assemble(NULL, &l, &st);
  CHECK_EQ_INT(l.overflow, 0);
  CHECK_EQ_INT(l.n, 47);
  CHECK_EQ_INT(st.frames, 47);
  CHECK_EQ_INT(st.frames_dropped, 0);
  CHECK_EQ_INT(st.packets_bad, 0);
  CHECK_EQ_INT(st.packets_late, 0);
  CHECK(st.keyframes >= 1);
  CHECK(l.n > 0 && l.f[0].keyframe);
  if (l.n > 0) {
    CHECK_EQ_INT(l.f[0].width, W);
    CHECK_EQ_INT(l.f[0].height, H);
  }
  /* Each frame is its packets' payloads after the descriptors, nothing more or less. */
  size_t total = 0, want = 0;
  for (size_t i = 0; i < l.n; i++) total += l.f[i].len;
  for (size_t i = 0; i < video.n; i++) {
    brtc_rtp_header h;
    brtc_vp8_descriptor d;
    if (brtc_rtp_parse(video.pkt[i], video.len[i], &h) == BRTC_OK &&
        brtc_vp8_parse_descriptor(h.payload, h.payload_len, &d) == BRTC_OK)
      want += h.payload_len - d.size;
  }
  CHECK_EQ_INT(total, want);
  fprintf(stderr, "  %zu frames, %llu keyframes, first keyframe %zu bytes\n", l.n,
          (unsigned long long)st.keyframes, l.n ? l.f[0].len : 0);
  free_frames(&l);
}

/* Every frame's packets pushed last-first: the same frames, byte for byte. */
static void test_assembler_reordered(void) {
  size_t *order = malloc(video.n * sizeof(*order));
  CHECK(order != NULL);
  if (!order) return;
  size_t start = 0;
  for (size_t i = 0; i <= video.n; i++) {
    bool end = i == video.n || (i > start && memcmp(video.pkt[i] + 4, video.pkt[start] + 4, 4));
    if (!end) continue;
    for (size_t k = start; k < i; k++) order[k] = i - 1 - (k - start);
    start = i;
  }
  frame_list in_order = {0}, reordered = {0};
  brtc_vp8_assembler_stats a, b;
  assemble(NULL, &in_order, &a);
  assemble(order, &reordered, &b);
  CHECK_EQ_INT(reordered.n, in_order.n);
  CHECK_EQ_INT(b.frames_dropped, 0);
  for (size_t i = 0; i < in_order.n && i < reordered.n; i++) {
    CHECK_EQ_INT(reordered.f[i].len, in_order.f[i].len);
    CHECK_EQ_INT(reordered.f[i].timestamp, in_order.f[i].timestamp);
    if (reordered.f[i].len == in_order.f[i].len)
      CHECK_MEM(reordered.f[i].data, in_order.f[i].data, in_order.f[i].len);
  }
  free_frames(&in_order);
  free_frames(&reordered);
  free(order);
}

/* libvpx decodes the whole stream, every frame at 640x480. */
static void test_libvpx_decodes_all(void) {
  frame_list l = {0};
  brtc_vp8_assembler_stats st;
  assemble(NULL, &l, &st);
  vpx_codec_ctx_t dec;
  vpx_codec_dec_cfg_t cfg = {.threads = 1};
  CHECK(vpx_codec_dec_init(&dec, vpx_codec_vp8_dx(), &cfg, 0) == VPX_CODEC_OK);
  size_t decoded = 0;
  for (size_t i = 0; i < l.n; i++) {
    if (vpx_codec_decode(&dec, l.f[i].data, (unsigned)l.f[i].len, NULL, 0) != VPX_CODEC_OK) {
      fprintf(stderr, "  frame %zu: %s\n", i, vpx_codec_error(&dec));
      continue;
    }
    vpx_codec_iter_t it = NULL;
    const vpx_image_t *img = vpx_codec_get_frame(&dec, &it);
    if (img && img->d_w == W && img->d_h == H) decoded++;
  }
  CHECK_EQ_INT(decoded, l.n);
  vpx_codec_destroy(&dec);
  free_frames(&l);
}

/* Every keyframe is the still picture: its 8x8 block means match the source's to at
 * least 35 dB, and clearly less once the source is moved by one block. */
static void test_keyframe_matches_source(void) {
  size_t ref_len = 0;
  uint8_t *ref = fixture_read_file("still_luma_80x60.bin", &ref_len);
  CHECK(ref && ref_len == BW * BH);
  frame_list l = {0};
  brtc_vp8_assembler_stats st;
  assemble(NULL, &l, &st);
  brtc_keyframe_jpeg *k = brtc_keyframe_jpeg_new(90);
  CHECK(k != NULL);
  size_t judged = 0;
  for (size_t i = 0; ref && ref_len == BW * BH && k && i < l.n; i++) {
    if (!l.f[i].keyframe) continue;
    const uint8_t *planes[3];
    int strides[3];
    unsigned w = 0, h = 0;
    CHECK_EQ_INT(brtc_keyframe_jpeg_decode_i420(k, l.f[i].data, l.f[i].len, planes, strides, &w,
                                                &h),
                 BRTC_OK);
    CHECK(w == W && h == H);
    if (w != W || h != H) continue;
    uint8_t got[BW * BH];
    block_means(planes[0], strides[0], got);
    double good = psnr_blocks(got, ref, 0), shifted = psnr_blocks(got, ref, 1);
    fprintf(stderr, "  keyframe %zu (%zu bytes): block luma PSNR %.2f dB, shifted %.2f dB\n", i,
            l.f[i].len, good, shifted);
    CHECK(good >= 35.0);
    CHECK(good - shifted >= 3.0);
    judged++;
  }
  CHECK(judged >= 1);
  brtc_keyframe_jpeg_free(k);
  free_frames(&l);
  free(ref);
}

int main(void) {
  bool loaded = packet_fixture_load(&video, "chrome_rtp_video.bin");
  CHECK(loaded);
  if (!loaded) return TEST_REPORT();
  RUN(test_descriptors);
  RUN(test_assembler_in_order);
  RUN(test_assembler_reordered);
  RUN(test_libvpx_decodes_all);
  RUN(test_keyframe_matches_source);
  packet_fixture_free(&video);
  return TEST_REPORT();
}
