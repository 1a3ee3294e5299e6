/* H.264 over RTP from Chromium 156 (tests/codec/fixtures/README.md): every packet is a
 * single NAL unit, STAP-A or FU-A we take; each keyframe comes as libwebrtc sends it (SPS and
 * PPS in a STAP-A, then the IDR in FU-A fragments); the assembler rebuilds every access unit,
 * in order and reordered; openh264 decodes the whole stream; and every keyframe looks like
 * the picture the fake camera played. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <wels/codec_api.h>

#include "block_luma.h"
#include "boltrtc/error.h"
#include "codec/h264_rtp.h"
#include "media/keyframe_jpeg.h"
#include "rtp/packet_fixture.h"
#include "rtp/rtp.h"
#include "testing.h"

#define MAX_UNITS 64
#define W 640
#define H 480

typedef struct unit_copy {
  uint8_t *data;
  brtc_h264_frame f;
} unit_copy;

typedef struct unit_list {
  unit_copy u[MAX_UNITS];
  size_t n;
} unit_list;

static packet_fixture video;

static void free_units(unit_list *l) {
  for (size_t i = 0; i < l->n; i++) free(l->u[i].data);
  memset(l, 0, sizeof(*l));
}

/* Push the packets in the order given (indexes into the fixture), one a millisecond, with a
 * 30 ms wait for late ones; keep every unit popped. */
static brtc_h264_assembler_stats assemble(const size_t *order, unit_list *out) {
  brtc_h264_assembler *a = brtc_h264_assembler_new();
  brtc_h264_assembler_set_max_wait(a, 30000);
  static uint8_t buf[1 << 20];
  for (size_t i = 0; i < video.n; i++) {
    brtc_rtp_header h;
    size_t k = order ? order[i] : i;
    CHECK_EQ_INT(brtc_rtp_parse(video.pkt[k], video.len[k], &h), BRTC_OK);
    CHECK_EQ_INT(brtc_h264_assembler_push(a, &h, 1000 * (uint64_t)i), BRTC_OK);
    brtc_h264_frame f;
    while (brtc_h264_assembler_pop(a, buf, sizeof buf, &f) == BRTC_OK && out->n < MAX_UNITS) {
      unit_copy *c = &out->u[out->n++];
      c->f = f;
      c->data = malloc(f.len);
      memcpy(c->data, buf, f.len);
    }
  }
  brtc_h264_assembler_stats st = *brtc_h264_assembler_get_stats(a);
  brtc_h264_assembler_free(a);
  return st;
}

/* What libwebrtc sends: STAP-A (SPS, PPS) first in each keyframe, then FU-A; the marker on
 * the last packet of each timestamp; FU-A fragments of balanced sizes. */
static void test_packet_shapes(void) {
  size_t stap = 0, fu = 0, single = 0, units = 0;
  uint32_t last_ts = 0;
  for (size_t i = 0; i < video.n; i++) {
    brtc_rtp_header h;
    CHECK_EQ_INT(brtc_rtp_parse(video.pkt[i], video.len[i], &h), BRTC_OK);
    uint8_t type = h.payload[0] & 0x1F;
    if (type == BRTC_H264_STAP_A) {
      stap++;
      CHECK_EQ_INT(h.payload[3] & 0x1F, BRTC_H264_NAL_SPS);
      size_t sps_len = (size_t)h.payload[1] << 8 | h.payload[2];
      CHECK_EQ_INT(h.payload[3 + sps_len + 2] & 0x1F, BRTC_H264_NAL_PPS);
    } else if (type == BRTC_H264_FU_A) {
      fu++;
    } else {
      CHECK(type >= 1 && type <= 23);
      single++;
    }
    if (i == 0 || h.timestamp != last_ts) units++;
    last_ts = h.timestamp;
    bool last_of_ts = true;
    if (i + 1 < video.n) {
      brtc_rtp_header n;
      brtc_rtp_parse(video.pkt[i + 1], video.len[i + 1], &n);
      last_of_ts = n.timestamp != h.timestamp;
    }
    CHECK_EQ_INT(h.marker, last_of_ts);
  }
  fprintf(stderr, "  %zu packets: %zu STAP-A, %zu FU-A, %zu single; %zu access units\n", video.n,
          stap, fu, single, units);
  CHECK(stap >= 1 && fu >= 10);
}

static void test_assembler_in_order(void) {
  unit_list l = {0};
  brtc_h264_assembler_stats st = assemble(NULL, &l);
  CHECK_EQ_INT(st.packets_bad, 0);
  CHECK_EQ_INT(st.packets_unsupported, 0);
  CHECK_EQ_INT(st.frames_dropped, 0);
  CHECK_EQ_INT(st.frames_malformed, 0);
  CHECK(l.n >= 10);
  CHECK(l.u[0].f.keyframe); /* the capture starts at a keyframe */
  size_t keys = 0;
  for (size_t i = 0; i < l.n; i++) {
    if (!l.u[i].f.keyframe) continue;
    keys++;
    CHECK(l.u[i].f.decodable_alone);
    CHECK(!l.u[i].f.parameter_sets_inserted); /* Chromium sends them with every IDR */
    CHECK_EQ_INT(l.u[i].f.width, W);
    CHECK_EQ_INT(l.u[i].f.height, H);
  }
  CHECK_EQ_INT(keys, st.keyframes);
  free_units(&l);
}

/* Reordered by up to 8 places: the same units, byte for byte. */
static void test_assembler_reordered(void) {
  unit_list in_order = {0}, shuffled = {0};
  assemble(NULL, &in_order);
  size_t *order = malloc(video.n * sizeof(size_t)), *key = malloc(video.n * sizeof(size_t));
  uint32_t r = 12345;
  for (size_t i = 0; i < video.n; i++) {
    r = r * 1664525u + 1013904223u;
    order[i] = i;
    key[i] = i + (r >> 16) % 9;
  }
  for (size_t i = 1; i < video.n; i++)
    for (size_t j = i; j > 0 && key[j - 1] > key[j]; j--) {
      size_t t = key[j];
      key[j] = key[j - 1];
      key[j - 1] = t;
      t = order[j];
      order[j] = order[j - 1];
      order[j - 1] = t;
    }
  brtc_h264_assembler_stats st = assemble(order, &shuffled);
  CHECK_EQ_INT(st.frames_dropped, 0);
  CHECK_EQ_INT(shuffled.n, in_order.n);
  for (size_t i = 0; i < shuffled.n && i < in_order.n; i++) {
    CHECK_EQ_INT(shuffled.u[i].f.len, in_order.u[i].f.len);
    if (shuffled.u[i].f.len == in_order.u[i].f.len)
      CHECK_MEM(shuffled.u[i].data, in_order.u[i].data, in_order.u[i].f.len);
  }
  free(order);
  free(key);
  free_units(&in_order);
  free_units(&shuffled);
}

/* openh264 decodes every unit of the stream, in order, at 640x480. */
static void test_openh264_decodes_all(void) {
  unit_list l = {0};
  assemble(NULL, &l);
  ISVCDecoder *dec = NULL;
  CHECK(WelsCreateDecoder(&dec) == 0 && dec);
  if (!dec) return;
  int quiet = WELS_LOG_QUIET;
  (*dec)->SetOption(dec, DECODER_OPTION_TRACE_LEVEL, &quiet);
  SDecodingParam p;
  memset(&p, 0, sizeof p);
  p.sVideoProperty.eVideoBsType = VIDEO_BITSTREAM_AVC;
  p.eEcActiveIdc = ERROR_CON_DISABLE;
  CHECK_EQ_INT((*dec)->Initialize(dec, &p), 0);
  size_t decoded = 0;
  for (size_t i = 0; i < l.n; i++) {
    unsigned char *dst[3];
    SBufferInfo info;
    memset(&info, 0, sizeof info);
    DECODING_STATE s =
        (*dec)->DecodeFrameNoDelay(dec, l.u[i].data, (int)l.u[i].f.len, dst, &info);
    if (s == dsErrorFree && info.iBufferStatus == 1 && info.UsrData.sSystemBuffer.iWidth == W &&
        info.UsrData.sSystemBuffer.iHeight == H)
      decoded++;
  }
  CHECK_EQ_INT(decoded, l.n);
  (*dec)->Uninitialize(dec);
  WelsDestroyDecoder(dec);
  free_units(&l);
}

/* Every keyframe, through the server's keyframe decoder, is the still picture: its 8x8 block
 * means match the source's (tests/rtp/fixtures/still_luma_80x60.bin), and clearly less once
 * the source is moved by one block. */
static void test_keyframes_match_source(void) {
  FILE *f = fopen(BRTC_STILL_LUMA, "rb");
  CHECK(f != NULL);
  if (!f) return;
  uint8_t ref[BW * BH];
  size_t got_ref = fread(ref, 1, sizeof ref, f);
  fclose(f);
  CHECK_EQ_INT(got_ref, sizeof ref);
  unit_list l = {0};
  assemble(NULL, &l);
  brtc_keyframe_jpeg *k = brtc_keyframe_jpeg_new(90);
  size_t judged = 0;
  for (size_t i = 0; i < l.n; i++) {
    if (!l.u[i].f.keyframe) continue;
    const uint8_t *planes[3];
    int strides[3];
    unsigned w = 0, h = 0;
    CHECK_EQ_INT(brtc_keyframe_jpeg_decode_i420_codec(k, BRTC_KEYFRAME_H264, l.u[i].data,
                                                      l.u[i].f.len, planes, strides, &w, &h),
                 BRTC_OK);
    if (w != W || h != H) continue;
    uint8_t got[BW * BH];
    block_means(planes[0], strides[0], got);
    double good = psnr_blocks(got, ref, 0), shifted = psnr_blocks(got, ref, 1);
    fprintf(stderr, "  keyframe %zu (%zu bytes): block luma PSNR %.2f dB, shifted %.2f dB\n", i,
            l.u[i].f.len, good, shifted);
    CHECK(good >= 30.0);
    CHECK(good - shifted >= 3.0);
    judged++;
  }
  CHECK(judged >= 1);
  brtc_keyframe_jpeg_free(k);
  free_units(&l);
}

int main(void) {
  bool loaded = packet_fixture_load(&video, "chrome_rtp_h264.bin");
  CHECK(loaded);
  if (!loaded) return TEST_REPORT();
  RUN(test_packet_shapes);
  RUN(test_assembler_in_order);
  RUN(test_assembler_reordered);
  RUN(test_openh264_decodes_all);
  RUN(test_keyframes_match_source);
  packet_fixture_free(&video);
  return TEST_REPORT();
}
