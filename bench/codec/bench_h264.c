/* H.264 RTP packetize and depacketize+assemble throughput, one core, in packets per second:
 * boltrtc's packetizer and assembler beside GStreamer's rtph264pay and rtph264depay doing the
 * same job on the same access units in the same run.
 *
 * The stream: groups of 30 access units, the first SPS + PPS + an IDR slice of 80,000 bytes,
 * then 29 slices of 8,000 bytes (about a 1080p camera at 2.5 Mbit/s), cut into RTP payloads of
 * at most 1,200 bytes (both sides make the same packets: STAP-A for SPS+PPS, FU-A fragments).
 *
 * GStreamer's elements are driven from this thread: our own pads are linked to them and
 * gst_pad_push runs each element's chain function right here, so thread CPU time measures the
 * element's work, with no queue or streaming thread in between. Buffers wrap our memory
 * (no copy); creating them is part of the GStreamer side's cost, as its API needs them.
 *
 * Each cell runs for the given seconds in 10 slices and reports the fastest slice.
 *
 * usage: bench_h264 [seconds per cell, default 3] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "boltrtc/error.h"
#include "codec/h264_stream.h"
#include "codec/h264_rtp.h"
#include "common/bytes.h"

#ifdef BRTC_BENCH_GSTREAMER
#include <gst/gst.h>
#endif

#define GOP 30
#define IDR_BYTES 80000
#define DELTA_BYTES 8000
#define MTU 1200
#define MAX_PACKETS (GOP * (IDR_BYTES / (MTU - 2) + 12))

static double g_seconds = 3.0;

static double cpu_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void die(const char *what) {
  fprintf(stderr, "bench_h264: %s failed\n", what);
  exit(1);
}

static test_au units[GOP];
static test_packets packets; /* the GOP packetized once, for the receiving side */
static size_t gop_packets;
static volatile size_t sink_bytes;

static void make_stream(void) {
  for (int i = 0; i < GOP; i++) {
    test_au_init(&units[i], IDR_BYTES + 100);
    if (i == 0) {
      test_au_add(&units[i], 12, 3, BRTC_H264_NAL_SPS, 1);
      test_au_add(&units[i], 4, 3, BRTC_H264_NAL_PPS, 2);
    }
    uint8_t *nal = test_au_add(&units[i], i == 0 ? IDR_BYTES : DELTA_BYTES, i == 0 ? 3 : 2,
                               i == 0 ? BRTC_H264_NAL_IDR : BRTC_H264_NAL_SLICE, (uint32_t)i + 9);
    nal[1] = 0x88; /* first_mb_in_slice 0 */
  }
  brtc_h264_packetizer *p = brtc_h264_packetizer_new(MTU);
  test_packets_init(&packets, MAX_PACKETS, MTU);
  uint16_t seq = 0;
  for (int i = 0; i < GOP; i++)
    if (test_packetize(p, &packets, units[i].buf, units[i].len, (uint32_t)i * 3000, &seq) <= 0)
      die("packetizing the stream");
  gop_packets = packets.n;
  brtc_h264_packetizer_free(p);
}

/* Runs fn(rounds) in 10 slices of g_seconds / 10, returns the best packets per CPU second. */
typedef size_t (*round_fn)(size_t rounds);

static double best_rate(round_fn fn) {
  size_t rounds = 1;
  for (;;) { /* calibrate: a slice of about g_seconds / 10 */
    double t0 = cpu_s();
    fn(rounds);
    double dt = cpu_s() - t0;
    if (dt > g_seconds / 40) {
      rounds = (size_t)((double)rounds * (g_seconds / 10) / dt) + 1;
      break;
    }
    rounds *= 2;
  }
  double best = 0;
  for (int s = 0; s < 10; s++) {
    double t0 = cpu_s();
    size_t n = fn(rounds);
    double rate = (double)n / (cpu_s() - t0);
    if (rate > best) best = rate;
  }
  return best;
}

/* ---- boltrtc ---- */

static brtc_h264_packetizer *ours_pz;

static size_t ours_packetize(size_t rounds) {
  static uint8_t out[MTU];
  size_t n = 0, bytes = 0;
  for (size_t r = 0; r < rounds; r++)
    for (int i = 0; i < GOP; i++) {
      if (brtc_h264_packetizer_push_annexb(ours_pz, units[i].buf, units[i].len) != BRTC_OK)
        die("brtc_h264_packetizer_push_annexb");
      size_t len;
      bool marker;
      while (brtc_h264_packetizer_next(ours_pz, out, sizeof out, &len, &marker) == BRTC_OK) {
        bytes += len + out[len - 1];
        n++;
      }
    }
  sink_bytes += bytes;
  return n;
}

static brtc_h264_assembler *ours_asm;
static uint16_t ours_seq;
static uint32_t ours_ts;

static size_t ours_assemble(size_t rounds) {
  static uint8_t frame[1 << 20];
  size_t n = 0, frames = 0;
  for (size_t r = 0; r < rounds; r++) {
    for (size_t i = 0; i < gop_packets; i++) {
      brtc_rtp_header h = packets.hd[i];
      h.sequence = ours_seq++;
      h.timestamp += ours_ts;
      if (brtc_h264_assembler_push(ours_asm, &h, 0) != BRTC_OK) die("brtc_h264_assembler_push");
      brtc_h264_frame f;
      while (brtc_h264_assembler_pop(ours_asm, frame, sizeof frame, &f) == BRTC_OK) {
        frames++;
        sink_bytes += frame[f.len - 1];
      }
      n++;
    }
    ours_ts += GOP * 3000;
  }
  if (frames != rounds * GOP) die("the assembler lost units");
  return n;
}

#ifdef BRTC_BENCH_GSTREAMER
/* ---- GStreamer ---- */

typedef struct gst_chain {
  GstElement *elements[2];
  size_t n_elements;
  GstPad *src, *sink; /* ours */
} gst_chain;

static size_t gst_out_buffers;

static GstFlowReturn count_chain(GstPad *pad, GstObject *parent, GstBuffer *buf) {
  (void)pad;
  (void)parent;
  gst_out_buffers++;
  gst_buffer_unref(buf);
  return GST_FLOW_OK;
}

static gboolean accept_event(GstPad *pad, GstObject *parent, GstEvent *event) {
  (void)pad;
  (void)parent;
  gst_event_unref(event);
  return TRUE;
}

/* Our src pad -> elements -> our sink pad, all PLAYING, sticky events sent with caps. */
static void gst_chain_start(gst_chain *c, const char *caps_text) {
  c->src = gst_pad_new("src", GST_PAD_SRC);
  c->sink = gst_pad_new("sink", GST_PAD_SINK);
  gst_pad_set_chain_function(c->sink, count_chain);
  gst_pad_set_event_function(c->sink, accept_event);
  GstPad *first = gst_element_get_static_pad(c->elements[0], "sink");
  GstPad *last = gst_element_get_static_pad(c->elements[c->n_elements - 1], "src");
  for (size_t i = 0; i + 1 < c->n_elements; i++)
    if (!gst_element_link(c->elements[i], c->elements[i + 1])) die("gst_element_link");
  if (gst_pad_link(c->src, first) != GST_PAD_LINK_OK || gst_pad_link(last, c->sink) != GST_PAD_LINK_OK)
    die("gst_pad_link");
  gst_object_unref(first);
  gst_object_unref(last);
  gst_pad_set_active(c->src, TRUE);
  gst_pad_set_active(c->sink, TRUE);
  for (size_t i = 0; i < c->n_elements; i++)
    if (gst_element_set_state(c->elements[i], GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
      die("gst_element_set_state");
  gst_pad_push_event(c->src, gst_event_new_stream_start("bench"));
  GstCaps *caps = gst_caps_from_string(caps_text);
  gst_pad_push_event(c->src, gst_event_new_caps(caps));
  gst_caps_unref(caps);
  GstSegment seg;
  gst_segment_init(&seg, GST_FORMAT_TIME);
  gst_pad_push_event(c->src, gst_event_new_segment(&seg));
}

static void gst_chain_stop(gst_chain *c) {
  for (size_t i = 0; i < c->n_elements; i++) {
    gst_element_set_state(c->elements[i], GST_STATE_NULL);
    gst_object_unref(c->elements[i]);
  }
  gst_object_unref(c->src);
  gst_object_unref(c->sink);
}

static gst_chain pay, depay;
static GstClockTime pay_pts;

static size_t gst_packetize(size_t rounds) {
  size_t before = gst_out_buffers;
  for (size_t r = 0; r < rounds; r++)
    for (int i = 0; i < GOP; i++) {
      GstBuffer *b = gst_buffer_new_wrapped_full(GST_MEMORY_FLAG_READONLY, units[i].buf,
                                                 units[i].len, 0, units[i].len, NULL, NULL);
      GST_BUFFER_PTS(b) = pay_pts;
      pay_pts += GST_SECOND / 30;
      if (gst_pad_push(pay.src, b) != GST_FLOW_OK) die("rtph264pay");
    }
  return gst_out_buffers - before;
}

static uint8_t *rtp_packets; /* the GOP's packets with a 12-byte RTP header in front */
static size_t *rtp_len;
static uint16_t gst_seq;
static uint32_t gst_ts;

static size_t gst_assemble(size_t rounds) {
  size_t before = gst_out_buffers, n = 0;
  for (size_t r = 0; r < rounds; r++) {
    for (size_t i = 0; i < gop_packets; i++) {
      uint8_t *p = rtp_packets + i * (MTU + 12);
      brtc_wr16(p + 2, gst_seq++);
      brtc_wr32(p + 4, packets.hd[i].timestamp + gst_ts);
      GstBuffer *b = gst_buffer_new_wrapped_full(0, p, rtp_len[i], 0, rtp_len[i], NULL, NULL);
      if (gst_pad_push(depay.src, b) != GST_FLOW_OK) die("rtph264depay");
      n++;
    }
    gst_ts += GOP * 3000;
  }
  /* rtph264depay hands a unit out when the marker bit comes, like us. */
  if (gst_out_buffers - before < rounds * GOP - 1) die("rtph264depay lost units");
  return n;
}

static void gst_setup(void) {
  gst_init(NULL, NULL);
  pay.elements[0] = gst_element_factory_make("rtph264pay", NULL);
  if (!pay.elements[0]) die("making rtph264pay (gstreamer1.0-plugins-good)");
  /* Our MTU counts the payload; GStreamer's the RTP packet. SPS and PPS aggregated into a
   * STAP-A before the IDR, as we do; no parameter sets of its own added. */
  g_object_set(pay.elements[0], "mtu", (guint)(MTU + 12), "config-interval", 0, NULL);
  gst_util_set_object_arg(G_OBJECT(pay.elements[0]), "aggregate-mode", "zero-latency");
  pay.n_elements = 1;
  gst_chain_start(&pay, "video/x-h264,stream-format=byte-stream,alignment=au");
  depay.elements[0] = gst_element_factory_make("rtph264depay", NULL);
  depay.elements[1] = gst_element_factory_make("capsfilter", NULL);
  if (!depay.elements[0] || !depay.elements[1]) die("making rtph264depay");
  GstCaps *out = gst_caps_from_string("video/x-h264,stream-format=byte-stream,alignment=au");
  g_object_set(depay.elements[1], "caps", out, NULL);
  gst_caps_unref(out);
  depay.n_elements = 2;
  gst_chain_start(&depay, "application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,"
                          "payload=102");
  rtp_packets = malloc(gop_packets * (MTU + 12));
  rtp_len = malloc(gop_packets * sizeof(size_t));
  for (size_t i = 0; i < gop_packets; i++) {
    uint8_t *p = rtp_packets + i * (MTU + 12);
    memset(p, 0, 12);
    p[0] = 0x80;
    p[1] = (uint8_t)((packets.hd[i].marker ? 0x80 : 0) | 102);
    brtc_wr32(p + 8, 0x1234);
    memcpy(p + 12, packets.hd[i].payload, packets.hd[i].payload_len);
    rtp_len[i] = 12 + packets.hd[i].payload_len;
  }
}
#endif

int main(int argc, char **argv) {
  if (argc > 1) g_seconds = atof(argv[1]);
  if (g_seconds <= 0) g_seconds = 3;
  make_stream();
  ours_pz = brtc_h264_packetizer_new(MTU);
  ours_asm = brtc_h264_assembler_new();
  printf("stream: %d access units per group (IDR %d B, slices %d B), %zu RTP payloads of at "
         "most %d B per group\n\n",
         GOP, IDR_BYTES, DELTA_BYTES, gop_packets, MTU);
  double ours_p = best_rate(ours_packetize), ours_a = best_rate(ours_assemble);
  printf("| job | boltrtc packets/s | GStreamer packets/s | ratio |\n|---|---:|---:|---:|\n");
#ifdef BRTC_BENCH_GSTREAMER
  gst_setup();
  size_t gst_per_group = gst_packetize(1), before = gst_out_buffers;
  gst_assemble(1);
  fprintf(stderr, "rtph264pay made %zu packets per group, rtph264depay %zu units\n",
          gst_per_group, gst_out_buffers - before);
  double gst_p = best_rate(gst_packetize), gst_a = best_rate(gst_assemble);
  printf("| packetize (rtph264pay) | %.0f | %.0f | %.1fx |\n", ours_p, gst_p, ours_p / gst_p);
  printf("| depacketize + assemble (rtph264depay) | %.0f | %.0f | %.1fx |\n", ours_a, gst_a,
         ours_a / gst_a);
  gst_chain_stop(&pay);
  gst_chain_stop(&depay);
  printf("\n%s\n", gst_version_string());
#else
  printf("| packetize | %.0f | (not built) | |\n", ours_p);
  printf("| depacketize + assemble | %.0f | (not built) | |\n", ours_a);
#endif
  printf("boltrtc assembler memory for this stream: %zu bytes\n",
         brtc_h264_assembler_memory(ours_asm));
  brtc_h264_packetizer_free(ours_pz);
  brtc_h264_assembler_free(ours_asm);
  for (int i = 0; i < GOP; i++) test_au_free(&units[i]);
  test_packets_free(&packets);
  return sink_bytes == 42 ? 1 : 0;
}
