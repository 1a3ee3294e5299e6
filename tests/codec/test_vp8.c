/* VP8 payload descriptor (RFC 7741), keyframe header (RFC 6386), packetizer, assembler. */
#include <stdlib.h>

#include "boltrtc/error.h"
#include "codec/vp8.h"
#include "vp8_collect.h"
#include "testing.h"
#include "vpx_encode.h"

/* ---- descriptor ---- */

static void test_descriptor_minimal(void) {
  brtc_vp8_descriptor d;
  const uint8_t p[] = {0x10, 0xAB}; /* X=0, S=1, PID=0 */
  CHECK_EQ_INT(brtc_vp8_parse_descriptor(p, sizeof p, &d), BRTC_OK);
  CHECK(!d.extended);
  CHECK(d.start);
  CHECK_EQ_INT(d.partition, 0);
  CHECK_EQ_INT(d.size, 1);
  const uint8_t q[] = {0x27, 0xAB}; /* N=1, S=0, PID=7 */
  CHECK_EQ_INT(brtc_vp8_parse_descriptor(q, sizeof q, &d), BRTC_OK);
  CHECK(d.non_reference);
  CHECK(!d.start);
  CHECK_EQ_INT(d.partition, 7);
  /* Descriptor only, no VP8 bytes. */
  CHECK_EQ_INT(brtc_vp8_parse_descriptor(p, 1, &d), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_vp8_parse_descriptor(p, 0, &d), BRTC_ERR_PARSE);
}

static void test_descriptor_picture_id(void) {
  brtc_vp8_descriptor d;
  const uint8_t seven[] = {0x90, 0x80, 0x55, 0xEE}; /* I, M=0, id 0x55 */
  CHECK_EQ_INT(brtc_vp8_parse_descriptor(seven, sizeof seven, &d), BRTC_OK);
  CHECK(d.extended && d.has_picture_id && !d.picture_id_15);
  CHECK_EQ_INT(d.picture_id, 0x55);
  CHECK_EQ_INT(d.size, 3);
  const uint8_t fifteen[] = {0x90, 0x80, 0xD2, 0x34, 0xEE}; /* M=1, id 0x5234 */
  CHECK_EQ_INT(brtc_vp8_parse_descriptor(fifteen, sizeof fifteen, &d), BRTC_OK);
  CHECK(d.picture_id_15);
  CHECK_EQ_INT(d.picture_id, 0x5234);
  CHECK_EQ_INT(d.size, 4);
  /* Truncated in the X byte, the first and the second picture id byte. */
  CHECK_EQ_INT(brtc_vp8_parse_descriptor(fifteen, 1, &d), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_vp8_parse_descriptor(fifteen, 2, &d), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_vp8_parse_descriptor(fifteen, 3, &d), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_vp8_parse_descriptor(fifteen, 4, &d), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_vp8_parse_descriptor(seven, 3, &d), BRTC_ERR_PARSE);
}

static void test_descriptor_l_t_k(void) {
  brtc_vp8_descriptor d;
  /* I (15-bit), L, T, K all present: TID 2, Y=1, KEYIDX 17. */
  const uint8_t all[] = {0x90, 0xF0, 0x81, 0x02, 0x33, 0xB1, 0xEE};
  CHECK_EQ_INT(brtc_vp8_parse_descriptor(all, sizeof all, &d), BRTC_OK);
  CHECK_EQ_INT(d.picture_id, 0x0102);
  CHECK(d.has_tl0picidx && d.has_tid && d.has_keyidx);
  CHECK_EQ_INT(d.tl0picidx, 0x33);
  CHECK_EQ_INT(d.tid, 2);
  CHECK(d.layer_sync);
  CHECK_EQ_INT(d.keyidx, 17);
  CHECK_EQ_INT(d.size, 6);
  for (size_t n = 1; n < 7; n++) CHECK_EQ_INT(brtc_vp8_parse_descriptor(all, n, &d), BRTC_ERR_PARSE);
  /* L only. */
  const uint8_t l[] = {0x80, 0x40, 0x07, 0xEE};
  CHECK_EQ_INT(brtc_vp8_parse_descriptor(l, sizeof l, &d), BRTC_OK);
  CHECK(!d.has_picture_id && d.has_tl0picidx && !d.has_tid && !d.has_keyidx);
  CHECK_EQ_INT(d.tl0picidx, 7);
  CHECK_EQ_INT(d.size, 3);
  CHECK_EQ_INT(brtc_vp8_parse_descriptor(l, 2, &d), BRTC_ERR_PARSE);
  /* K without T: the shared byte still comes, TID is not read from it. */
  const uint8_t k[] = {0x80, 0x10, 0xC5, 0xEE};
  CHECK_EQ_INT(brtc_vp8_parse_descriptor(k, sizeof k, &d), BRTC_OK);
  CHECK(!d.has_tid && d.has_keyidx);
  CHECK_EQ_INT(d.keyidx, 5);
  CHECK_EQ_INT(d.tid, 0);
  CHECK_EQ_INT(d.size, 3);
  CHECK_EQ_INT(brtc_vp8_parse_descriptor(k, 3, &d), BRTC_ERR_PARSE);
  /* T without K, with 7-bit picture id. */
  const uint8_t t[] = {0x80, 0xA0, 0x11, 0x40, 0xEE};
  CHECK_EQ_INT(brtc_vp8_parse_descriptor(t, sizeof t, &d), BRTC_OK);
  CHECK_EQ_INT(d.tid, 1);
  CHECK(!d.layer_sync);
  CHECK_EQ_INT(d.picture_id, 0x11);
  CHECK_EQ_INT(d.size, 4);
  CHECK_EQ_INT(brtc_vp8_parse_descriptor(t, 3, &d), BRTC_ERR_PARSE);
}

/* ---- keyframe header ---- */

static void test_keyframe_header(void) {
  /* Tag: key frame, version 0, show_frame, partition size; then 9d 01 2a, 640 x 480. */
  const uint8_t key[] = {0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xE0, 0x01};
  uint16_t w = 0, h = 0;
  CHECK(brtc_vp8_frame_is_keyframe(key, sizeof key, &w, &h));
  CHECK_EQ_INT(w, 640);
  CHECK_EQ_INT(h, 480);
  /* Scaling bits are not part of the size. */
  uint8_t scaled[sizeof key];
  memcpy(scaled, key, sizeof key);
  scaled[7] |= 0xC0;
  CHECK(brtc_vp8_frame_is_keyframe(scaled, sizeof scaled, &w, &h));
  CHECK_EQ_INT(w, 640);
  scaled[0] |= 1; /* inter frame */
  CHECK(!brtc_vp8_frame_is_keyframe(scaled, sizeof scaled, &w, &h));
  scaled[0] = key[0];
  scaled[4] = 0x02; /* bad start code */
  CHECK(!brtc_vp8_frame_is_keyframe(scaled, sizeof scaled, &w, &h));
  CHECK(!brtc_vp8_frame_is_keyframe(key, 9, &w, &h));
}

/* ---- packetizer ---- */

static void test_packetizer(void) {
  uint8_t frame[1000];
  for (size_t i = 0; i < sizeof frame; i++) frame[i] = (uint8_t)(i * 7);
  uint8_t out[8 * 300];
  size_t lens[8];
  CHECK_EQ_INT(brtc_vp8_packet_count(1000, 300), 4);
  int n = brtc_vp8_packetize(frame, sizeof frame, 0x1234, 300, out, sizeof out, lens, 8);
  CHECK_EQ_INT(n, 4);
  size_t total = 0;
  for (int i = 0; i < n; i++) {
    brtc_vp8_descriptor d;
    const uint8_t *p = out + (size_t)i * 300;
    CHECK(lens[i] <= 300);
    CHECK_EQ_INT(brtc_vp8_parse_descriptor(p, lens[i], &d), BRTC_OK);
    CHECK_EQ_INT(d.start, i == 0);
    CHECK_EQ_INT(d.partition, 0);
    CHECK(d.picture_id_15);
    CHECK_EQ_INT(d.picture_id, 0x1234);
    CHECK_EQ_INT(d.size, 4);
    CHECK_MEM(p + 4, frame + total, lens[i] - 4);
    total += lens[i] - 4;
  }
  CHECK_EQ_INT(total, 1000);
  CHECK_EQ_INT(lens[0], 254); /* 1000 / 4 balanced */
  const uint8_t first[] = {0x90, 0x80, 0x92, 0x34};
  CHECK_MEM(out, first, 4);
  CHECK_EQ_INT(brtc_vp8_packetize(frame, sizeof frame, 1, 300, out, sizeof out, lens, 3),
               BRTC_ERR_TOO_BIG);
  CHECK_EQ_INT(brtc_vp8_packetize(frame, sizeof frame, 1, 300, out, 3 * 300 + 299, lens, 8),
               BRTC_ERR_TOO_BIG);
  CHECK_EQ_INT(brtc_vp8_packetize(frame, sizeof frame, 1, 4, out, sizeof out, lens, 8),
               BRTC_ERR_INVALID);
  CHECK_EQ_INT(brtc_vp8_packetize(frame, 0, 1, 300, out, sizeof out, lens, 8), BRTC_ERR_INVALID);
}

/* RFC 7741 4.2: the picture ID goes up by one per frame and wraps after 0x7FFF. */
static void test_sender_picture_id(void) {
  uint8_t frame[500];
  memset(frame, 0x11, sizeof frame);
  uint8_t out[4 * 300];
  size_t lens[4];
  brtc_vp8_sender s;
  brtc_vp8_sender_init(&s, 0xFFFE); /* the top bit is not part of a 15-bit ID */
  uint16_t want[] = {0x7FFE, 0x7FFF, 0x0000, 0x0001};
  for (int i = 0; i < 4; i++) {
    int n = brtc_vp8_sender_packetize(&s, frame, sizeof frame, 300, out, sizeof out, lens, 4);
    CHECK_EQ_INT(n, 2);
    for (int k = 0; k < n; k++) {
      brtc_vp8_descriptor d;
      CHECK_EQ_INT(brtc_vp8_parse_descriptor(out + (size_t)k * 300, lens[k], &d), BRTC_OK);
      CHECK(d.picture_id_15);
      CHECK_EQ_INT(d.picture_id, want[i]); /* the same on every packet of the frame */
      CHECK_EQ_INT(d.start, k == 0);
      CHECK_EQ_INT(d.partition, 0);
    }
  }
  /* A frame that could not be packetized does not use up an ID. */
  CHECK_EQ_INT(brtc_vp8_sender_packetize(&s, frame, 0, 300, out, sizeof out, lens, 4),
               BRTC_ERR_INVALID);
  CHECK_EQ_INT(brtc_vp8_sender_packetize(&s, frame, sizeof frame, 300, out, sizeof out, lens, 1),
               BRTC_ERR_TOO_BIG);
  CHECK_EQ_INT(brtc_vp8_sender_packetize(&s, frame, sizeof frame, 300, out, sizeof out, lens, 4), 2);
  brtc_vp8_descriptor d;
  CHECK_EQ_INT(brtc_vp8_parse_descriptor(out, lens[0], &d), BRTC_OK);
  CHECK_EQ_INT(d.picture_id, 0x0002);
}

/* ---- assembler ---- */

#define MAX_PKTS 256
#define MTU 200

typedef struct sink {
  int frames;
  uint8_t data[200000];
  size_t len;
  brtc_vp8_frame last;
  uint32_t ts[16];
} sink;

static void on_frame(const brtc_vp8_frame *f, void *user) {
  sink *s = user;
  if (s->frames < 16) s->ts[s->frames] = f->timestamp;
  s->frames++;
  s->last = *f;
  s->len = f->len <= sizeof s->data ? f->len : 0;
  memcpy(s->data, f->data, s->len);
}

/* One frame as packets: payloads in pl, headers in hd, seq first.. */
typedef struct packets {
  uint8_t pl[MAX_PKTS * MTU];
  size_t lens[MAX_PKTS];
  brtc_rtp_header hd[MAX_PKTS];
  int n;
} packets;

static void make_packets(packets *p, const uint8_t *frame, size_t len, uint16_t first_seq,
                         uint32_t ts, uint16_t pic) {
  p->n = brtc_vp8_packetize(frame, len, pic, MTU, p->pl, sizeof p->pl, p->lens, MAX_PKTS);
  for (int i = 0; i < p->n; i++) {
    brtc_rtp_header *h = &p->hd[i];
    memset(h, 0, sizeof(*h));
    h->version = 2;
    h->payload_type = 96;
    h->sequence = (uint16_t)(first_seq + i);
    h->timestamp = ts;
    h->ssrc = 0xABC;
    h->marker = i == p->n - 1;
    h->payload = p->pl + (size_t)i * MTU;
    h->payload_len = p->lens[i];
  }
}

static void fill(uint8_t *buf, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)((i * 131 + seed * 17) >> 1);
  buf[0] |= 1; /* an inter frame */
}

static void test_assembler_in_order(void) {
  static sink s;
  static packets p;
  memset(&s, 0, sizeof s);
  uint8_t frame[500];
  fill(frame, sizeof frame, 1);
  make_packets(&p, frame, sizeof frame, 100, 9000, 77);
  CHECK_EQ_INT(p.n, 3);
  brtc_vp8_assembler *a = vp8_collect_new(100000, on_frame, &s);
  CHECK(a != NULL);
  for (int i = 0; i < p.n; i++) {
    CHECK_EQ_INT(s.frames, 0);
    CHECK_EQ_INT(vp8_collect_push(a, &p.hd[i], 0), BRTC_OK);
  }
  CHECK_EQ_INT(s.frames, 1);
  CHECK_EQ_INT(s.len, sizeof frame);
  CHECK_MEM(s.data, frame, sizeof frame);
  CHECK_EQ_INT(s.last.timestamp, 9000);
  CHECK_EQ_INT(s.last.first_seq, 100);
  CHECK_EQ_INT(s.last.last_seq, 102);
  CHECK_EQ_INT(s.last.picture_id, 77);
  CHECK_EQ_INT(s.last.ssrc, 0xABC);
  CHECK(!s.last.keyframe);
  CHECK(!brtc_vp8_assembler_take_keyframe_request(a));
  const brtc_vp8_assembler_stats *st = brtc_vp8_assembler_get_stats(a);
  CHECK_EQ_INT(st->packets, 3);
  CHECK_EQ_INT(st->frames, 1);
  CHECK_EQ_INT(st->frames_dropped, 0);
  brtc_vp8_assembler_free(a);
}

/* ready says whether pop has a frame without writing any byte of the frame popped before
 * (the pc lends those to its event until then), and a push between ready and pop loses
 * nothing. Frames A and B arrive with a packet swapped each, so both are put together in
 * the frame buffer; B waits (the hold) until A's last packet comes. */
static void test_assembler_ready(void) {
  static packets pa, pb, pc;
  uint8_t fa[700], fb[700], fc[700];
  fill(fa, sizeof fa, 3);
  fill(fb, sizeof fb, 4);
  fill(fc, sizeof fc, 5);
  make_packets(&pa, fa, sizeof fa, 10, 3000, 1);
  make_packets(&pb, fb, sizeof fb, 14, 6000, 2);
  make_packets(&pc, fc, sizeof fc, 18, 9000, 3);
  CHECK_EQ_INT(pa.n, 4);
  CHECK_EQ_INT(pb.n, 4);
  brtc_vp8_assembler *a = brtc_vp8_assembler_new(100000);
  brtc_vp8_assembler_set_hold(a, 1000000);
  const int order[] = {1, 0, 2};
  for (int i = 0; i < 3; i++) CHECK_EQ_INT(brtc_vp8_assembler_push(a, &pa.hd[order[i]], 0), BRTC_OK);
  const int order_b[] = {1, 0, 2, 3};
  for (int i = 0; i < 4; i++) CHECK_EQ_INT(brtc_vp8_assembler_push(a, &pb.hd[order_b[i]], 0), BRTC_OK);
  CHECK(!brtc_vp8_assembler_ready(a)); /* B waits for A */
  CHECK_EQ_INT(brtc_vp8_assembler_push(a, &pa.hd[3], 0), BRTC_OK);
  CHECK(brtc_vp8_assembler_ready(a));
  CHECK(brtc_vp8_assembler_ready(a)); /* asking again changes nothing */
  CHECK_EQ_INT(brtc_vp8_assembler_push(a, &pc.hd[0], 0), BRTC_OK); /* a push in between */
  brtc_vp8_frame f1, f2;
  CHECK_EQ_INT(brtc_vp8_assembler_pop(a, &f1), BRTC_OK);
  CHECK_EQ_INT(f1.len, sizeof fa);
  CHECK_EQ_INT(f1.timestamp, 3000);
  CHECK(brtc_vp8_assembler_ready(a));
  if (f1.len == sizeof fa) CHECK_MEM(f1.data, fa, sizeof fa); /* intact after ready */
  CHECK_EQ_INT(brtc_vp8_assembler_pop(a, &f2), BRTC_OK);
  CHECK_EQ_INT(f2.timestamp, 6000);
  if (f2.len == sizeof fb) CHECK_MEM(f2.data, fb, sizeof fb);
  CHECK(!brtc_vp8_assembler_ready(a));
  CHECK_EQ_INT(brtc_vp8_assembler_pop(a, &f2), BRTC_ERR_AGAIN);
  CHECK_EQ_INT(brtc_vp8_assembler_get_stats(a)->frames_dropped, 0);
  brtc_vp8_assembler_free(a);
}

static void test_assembler_reorder_in_frame(void) {
  static sink s;
  static packets p;
  memset(&s, 0, sizeof s);
  uint8_t frame[700];
  fill(frame, sizeof frame, 2);
  make_packets(&p, frame, sizeof frame, 5000, 1, 0);
  CHECK_EQ_INT(p.n, 4);
  brtc_vp8_assembler *a = vp8_collect_new(100000, on_frame, &s);
  const int order[] = {3, 1, 0, 2};
  for (int i = 0; i < 4; i++) {
    CHECK_EQ_INT(s.frames, 0);
    vp8_collect_push(a, &p.hd[order[i]], 0);
  }
  CHECK_EQ_INT(s.frames, 1);
  CHECK_EQ_INT(s.len, sizeof frame);
  CHECK_MEM(s.data, frame, sizeof frame);
  brtc_vp8_assembler_free(a);
}

static void test_assembler_loss(void) {
  static sink s;
  static packets f1, f2, f3;
  memset(&s, 0, sizeof s);
  uint8_t a1[500], a2[300], a3[400];
  fill(a1, sizeof a1, 3);
  fill(a2, sizeof a2, 4);
  fill(a3, sizeof a3, 5);
  make_packets(&f1, a1, sizeof a1, 10, 1000, 1);
  make_packets(&f2, a2, sizeof a2, (uint16_t)(10 + f1.n), 2000, 2);
  make_packets(&f3, a3, sizeof a3, (uint16_t)(10 + f1.n + f2.n), 3000, 3);
  brtc_vp8_assembler *a = vp8_collect_new(100000, on_frame, &s);
  for (int i = 0; i < f1.n; i++) vp8_collect_push(a, &f1.hd[i], 0);
  CHECK_EQ_INT(s.frames, 1);
  /* Frame 2 loses its middle packet; frame 3 arrives whole. */
  CHECK_EQ_INT(f2.n, 2);
  vp8_collect_push(a, &f2.hd[0], 0);
  for (int i = 0; i < f3.n; i++) vp8_collect_push(a, &f3.hd[i], 0);
  CHECK_EQ_INT(s.frames, 2);
  CHECK_EQ_INT(s.last.timestamp, 3000);
  CHECK_EQ_INT(s.len, sizeof a3);
  CHECK_MEM(s.data, a3, sizeof a3);
  CHECK(brtc_vp8_assembler_take_keyframe_request(a));
  CHECK(!brtc_vp8_assembler_take_keyframe_request(a));
  const brtc_vp8_assembler_stats *st = brtc_vp8_assembler_get_stats(a);
  CHECK_EQ_INT(st->frames_dropped, 1);
  /* The lost packet arriving now is too late: frame 2 is never emitted. */
  vp8_collect_push(a, &f2.hd[1], 0);
  CHECK_EQ_INT(s.frames, 2);
  CHECK_EQ_INT(st->packets_late, 1);
  CHECK_EQ_INT(s.ts[0], 1000);
  CHECK_EQ_INT(s.ts[1], 3000);
  brtc_vp8_assembler_free(a);
}

/* With a hold, an incomplete frame waits for its missing packet (newer frames wait behind
 * it) until the hold is over, a complete keyframe comes, or the packet does; what is given
 * up is reported by type. */
static void test_assembler_hold(void) {
  static sink s;
  static packets f[12];
  memset(&s, 0, sizeof s);
  static uint8_t data[12][500];
  uint16_t seq = 10;
  for (int i = 0; i < 12; i++) {
    fill(data[i], sizeof data[i], (unsigned)i + 20);
    if (i == 7 || i == 8) { /* keyframes (RFC 6386 9.1: P = 0, start code, 640x480) */
      static const uint8_t key_header[] = {0x50, 0x42, 0x00, 0x9d, 0x01,
                                           0x2a, 0x80, 0x02, 0xe0, 0x01};
      memcpy(data[i], key_header, sizeof key_header);
    }
    make_packets(&f[i], data[i], sizeof data[i], seq, (uint32_t)(1000 * (i + 1)), (uint16_t)i);
    CHECK_EQ_INT(f[i].n, 3);
    seq = (uint16_t)(seq + f[i].n);
  }
  brtc_vp8_assembler *a = vp8_collect_new(100000, on_frame, &s);
  brtc_vp8_assembler_set_hold(a, 100000);
  brtc_vp8_loss loss;
  CHECK(brtc_vp8_assembler_next_deadline(a) == UINT64_MAX);
  for (int i = 0; i < 3; i++) vp8_collect_push(a, &f[0].hd[i], 0);
  CHECK_EQ_INT(s.frames, 1);
  /* Frame 1's middle packet is late; frame 2 completes and waits behind it. */
  vp8_collect_push(a, &f[1].hd[0], 0);
  vp8_collect_push(a, &f[1].hd[2], 0);
  for (int i = 0; i < 3; i++) vp8_collect_push(a, &f[2].hd[i], 10000);
  CHECK_EQ_INT(s.frames, 1);
  CHECK(brtc_vp8_assembler_next_deadline(a) == 110000);
  vp8_collect_push(a, &f[1].hd[1], 50000);
  CHECK_EQ_INT(s.frames, 3);
  CHECK_EQ_INT(s.ts[1], 2000);
  CHECK_EQ_INT(s.ts[2], 3000);
  CHECK(!brtc_vp8_assembler_take_loss(a, &loss));
  CHECK(brtc_vp8_assembler_next_deadline(a) == UINT64_MAX);
  /* Frame 3 never gets its middle packet: given up when the hold is over, not before. */
  vp8_collect_push(a, &f[3].hd[0], 200000);
  vp8_collect_push(a, &f[3].hd[2], 200000);
  for (int i = 0; i < 3; i++) vp8_collect_push(a, &f[4].hd[i], 200000);
  vp8_collect_poll(a, 299999);
  CHECK_EQ_INT(s.frames, 3);
  vp8_collect_poll(a, 300000);
  CHECK_EQ_INT(s.frames, 4);
  CHECK_EQ_INT(s.last.timestamp, 5000);
  CHECK(brtc_vp8_assembler_take_loss(a, &loss));
  CHECK_EQ_INT(loss.frames, 1);
  CHECK_EQ_INT(loss.keyframes, 0);
  CHECK_EQ_INT(loss.unknown, 0);
  CHECK_EQ_INT(loss.last_seq, f[3].hd[2].sequence);
  CHECK(brtc_vp8_assembler_take_keyframe_request(a));
  /* Frame 5 misses a packet, frames 6 (delta) and 7 (keyframe) complete: the keyframe goes
   * at once, without waiting out the hold. */
  vp8_collect_push(a, &f[5].hd[0], 400000);
  for (int i = 0; i < 3; i++) vp8_collect_push(a, &f[6].hd[i], 400000);
  CHECK_EQ_INT(s.frames, 4);
  for (int i = 0; i < 3; i++) vp8_collect_push(a, &f[7].hd[i], 410000);
  CHECK_EQ_INT(s.frames, 5);
  CHECK(s.last.keyframe);
  CHECK(brtc_vp8_assembler_take_loss(a, &loss));
  CHECK_EQ_INT(loss.frames, 2); /* 5, and 6 held behind it */
  CHECK_EQ_INT(loss.superseded, 2);
  CHECK(!brtc_vp8_assembler_take_keyframe_request(a)); /* a keyframe is here: none needed */
  /* Keyframe 8 loses its middle packet for good: a keyframe lost. */
  vp8_collect_push(a, &f[8].hd[0], 500000);
  vp8_collect_push(a, &f[8].hd[2], 500000);
  for (int i = 0; i < 3; i++) vp8_collect_push(a, &f[9].hd[i], 500000);
  vp8_collect_poll(a, 600000);
  CHECK(brtc_vp8_assembler_take_loss(a, &loss));
  CHECK_EQ_INT(loss.keyframes, 1);
  /* Frame 10 loses its first packet: of unknown type. */
  vp8_collect_push(a, &f[10].hd[1], 700000);
  vp8_collect_push(a, &f[10].hd[2], 700000);
  for (int i = 0; i < 3; i++) vp8_collect_push(a, &f[11].hd[i], 700000);
  /* A push after the hold is over gives up too, with no poll (padding, the next seq). */
  brtc_rtp_header pad = f[11].hd[2];
  pad.sequence = (uint16_t)(pad.sequence + 1);
  pad.payload_len = 0;
  pad.marker = false;
  vp8_collect_push(a, &pad, 800000);
  CHECK(brtc_vp8_assembler_take_loss(a, &loss));
  CHECK_EQ_INT(loss.frames, 1);
  CHECK_EQ_INT(loss.unknown, 1);
  CHECK_EQ_INT(s.last.timestamp, 12000);
  const brtc_vp8_assembler_stats *st = brtc_vp8_assembler_get_stats(a);
  CHECK_EQ_INT(st->frames_dropped, 5);
  CHECK_EQ_INT(st->keyframes_dropped, 1);
  CHECK_EQ_INT(st->frames_dropped_unknown, 1);
  CHECK(st->frames_held >= 4);
  brtc_vp8_assembler_free(a);
}

static void test_assembler_lost_first_packet(void) {
  /* Losing the packet with S=1 means the rest is garbage even though the marker arrives. */
  static sink s;
  static packets f1, f2;
  memset(&s, 0, sizeof s);
  uint8_t a1[500], a2[300];
  fill(a1, sizeof a1, 6);
  fill(a2, sizeof a2, 7);
  make_packets(&f1, a1, sizeof a1, 1, 1000, 1);
  make_packets(&f2, a2, sizeof a2, (uint16_t)(1 + f1.n), 2000, 2);
  brtc_vp8_assembler *a = vp8_collect_new(100000, on_frame, &s);
  /* A frame emitted first so the floor is known. */
  static packets f0;
  make_packets(&f0, a2, 100, 0, 500, 0);
  vp8_collect_push(a, &f0.hd[0], 0);
  CHECK_EQ_INT(s.frames, 1);
  for (int i = 1; i < f1.n; i++) vp8_collect_push(a, &f1.hd[i], 0);
  CHECK_EQ_INT(s.frames, 1);
  for (int i = 0; i < f2.n; i++) vp8_collect_push(a, &f2.hd[i], 0);
  CHECK_EQ_INT(s.frames, 2);
  CHECK_EQ_INT(s.last.timestamp, 2000);
  CHECK(brtc_vp8_assembler_take_keyframe_request(a));
  CHECK_EQ_INT(brtc_vp8_assembler_get_stats(a)->frames_dropped, 1);
  brtc_vp8_assembler_free(a);
}

static void test_assembler_wrap(void) {
  static sink s;
  static packets p;
  memset(&s, 0, sizeof s);
  uint8_t frame[900];
  fill(frame, sizeof frame, 8);
  make_packets(&p, frame, sizeof frame, 65534, 77777, 5);
  CHECK_EQ_INT(p.n, 5); /* 65534, 65535, 0, 1, 2 */
  brtc_vp8_assembler *a = vp8_collect_new(100000, on_frame, &s);
  const int order[] = {2, 0, 4, 1, 3};
  for (int i = 0; i < 5; i++) vp8_collect_push(a, &p.hd[order[i]], 0);
  CHECK_EQ_INT(s.frames, 1);
  CHECK_EQ_INT(s.last.first_seq, 65534);
  CHECK_EQ_INT(s.last.last_seq, 2);
  CHECK_EQ_INT(s.len, sizeof frame);
  CHECK_MEM(s.data, frame, sizeof frame);
  /* The next frame continues across the wrap. */
  static packets q;
  make_packets(&q, frame, 300, 3, 80000, 6);
  for (int i = 0; i < q.n; i++) vp8_collect_push(a, &q.hd[i], 0);
  CHECK_EQ_INT(s.frames, 2);
  CHECK(!brtc_vp8_assembler_take_keyframe_request(a));
  brtc_vp8_assembler_free(a);
}

static void test_assembler_duplicates(void) {
  static sink s;
  static packets p;
  memset(&s, 0, sizeof s);
  uint8_t frame[500];
  fill(frame, sizeof frame, 9);
  make_packets(&p, frame, sizeof frame, 40, 1, 0);
  brtc_vp8_assembler *a = vp8_collect_new(100000, on_frame, &s);
  vp8_collect_push(a, &p.hd[0], 0);
  vp8_collect_push(a, &p.hd[0], 0);
  vp8_collect_push(a, &p.hd[1], 0);
  vp8_collect_push(a, &p.hd[2], 0);
  vp8_collect_push(a, &p.hd[2], 0);
  vp8_collect_push(a, &p.hd[1], 0);
  CHECK_EQ_INT(s.frames, 1);
  CHECK_MEM(s.data, frame, sizeof frame);
  CHECK_EQ_INT(brtc_vp8_assembler_get_stats(a)->packets_late, 3);
  CHECK_EQ_INT(brtc_vp8_assembler_get_stats(a)->packets, 6);
  brtc_vp8_assembler_free(a);
}

static void test_assembler_too_big(void) {
  static sink s;
  static packets big, small;
  memset(&s, 0, sizeof s);
  uint8_t frame[800];
  fill(frame, sizeof frame, 10);
  make_packets(&big, frame, 800, 1, 100, 0);
  make_packets(&small, frame, 300, (uint16_t)(1 + big.n), 200, 1);
  brtc_vp8_assembler *a = vp8_collect_new(500, on_frame, &s);
  for (int i = 0; i < big.n; i++) vp8_collect_push(a, &big.hd[i], 0);
  CHECK_EQ_INT(s.frames, 0);
  CHECK(brtc_vp8_assembler_take_keyframe_request(a));
  CHECK_EQ_INT(brtc_vp8_assembler_get_stats(a)->frames_dropped, 1);
  for (int i = 0; i < small.n; i++) vp8_collect_push(a, &small.hd[i], 0);
  CHECK_EQ_INT(s.frames, 1);
  CHECK_EQ_INT(s.len, 300);
  brtc_vp8_assembler_free(a);
}

static void test_assembler_bad_and_padding(void) {
  static sink s;
  static packets f1, f2, f3, f4;
  memset(&s, 0, sizeof s);
  uint8_t frame[300];
  fill(frame, sizeof frame, 11);
  make_packets(&f1, frame, 300, 10, 100, 7);
  uint16_t pad_seq = (uint16_t)(10 + f1.n);
  make_packets(&f2, frame, 300, (uint16_t)(pad_seq + 1), 200, 8);
  brtc_vp8_assembler *a = vp8_collect_new(1000, on_frame, &s);
  for (int i = 0; i < f1.n; i++) vp8_collect_push(a, &f1.hd[i], 0);
  /* A padding-only packet between frames fills its seq without making a frame. */
  brtc_rtp_header pad = f1.hd[0];
  pad.sequence = pad_seq;
  pad.payload_len = 0;
  pad.marker = false;
  CHECK_EQ_INT(vp8_collect_push(a, &pad, 0), BRTC_OK);
  for (int i = 0; i < f2.n; i++) vp8_collect_push(a, &f2.hd[i], 0);
  CHECK_EQ_INT(s.frames, 2);
  CHECK(!brtc_vp8_assembler_take_keyframe_request(a));

  /* A lost packet between pictures 8 and 9: only padding can have been lost, since the
   * picture IDs are consecutive. No keyframe needed. */
  uint16_t next = (uint16_t)(f2.hd[f2.n - 1].sequence + 2);
  make_packets(&f3, frame, 300, next, 300, 9);
  for (int i = 0; i < f3.n; i++) vp8_collect_push(a, &f3.hd[i], 0);
  CHECK_EQ_INT(s.frames, 3);
  CHECK(!brtc_vp8_assembler_take_keyframe_request(a));
  CHECK_EQ_INT(brtc_vp8_assembler_get_stats(a)->frames_dropped, 0);
  /* The same gap with picture 10 missing: a whole frame was lost. */
  next = (uint16_t)(f3.hd[f3.n - 1].sequence + 3);
  make_packets(&f4, frame, 300, next, 500, 11);
  for (int i = 0; i < f4.n; i++) vp8_collect_push(a, &f4.hd[i], 0);
  CHECK_EQ_INT(s.frames, 4);
  CHECK(brtc_vp8_assembler_take_keyframe_request(a));
  CHECK_EQ_INT(brtc_vp8_assembler_get_stats(a)->frames_dropped, 1);

  /* A descriptor with nothing after it is bad. */
  brtc_rtp_header bad = f1.hd[0];
  bad.sequence = 500;
  bad.payload_len = 1;
  CHECK_EQ_INT(vp8_collect_push(a, &bad, 0), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_vp8_assembler_get_stats(a)->packets_bad, 1);
  brtc_vp8_assembler_free(a);
}

static void test_assembler_window_passes(void) {
  /* A frame missing a packet is given up once the window moves past it, even if no newer
   * frame completes. */
  static sink s;
  static packets f;
  memset(&s, 0, sizeof s);
  uint8_t frame[300];
  fill(frame, sizeof frame, 12);
  make_packets(&f, frame, 300, 0, 1, 0);
  brtc_vp8_assembler *a = vp8_collect_new(1000, on_frame, &s);
  for (int i = 0; i < f.n; i++) vp8_collect_push(a, &f.hd[i], 0);
  CHECK_EQ_INT(s.frames, 1);
  brtc_rtp_header mid = f.hd[1];
  mid.marker = false;
  mid.timestamp = 2;
  mid.sequence = 10; /* a frame whose start (seq 2..9) never comes */
  vp8_collect_push(a, &mid, 0);
  CHECK(!brtc_vp8_assembler_take_keyframe_request(a));
  mid.sequence = 10 + BRTC_VP8_REORDER_WINDOW + 5;
  vp8_collect_push(a, &mid, 0);
  CHECK(brtc_vp8_assembler_take_keyframe_request(a));
  CHECK(brtc_vp8_assembler_get_stats(a)->frames_dropped >= 1);
  CHECK_EQ_INT(s.frames, 1);
  brtc_vp8_assembler_free(a);
}

static void test_assembler_sender_restart(void) {
  static sink s;
  static packets f;
  memset(&s, 0, sizeof s);
  uint8_t frame[100];
  fill(frame, sizeof frame, 13);
  brtc_vp8_assembler *a = vp8_collect_new(1000, on_frame, &s);
  make_packets(&f, frame, 100, 30000, 1, 0);
  vp8_collect_push(a, &f.hd[0], 0);
  CHECK_EQ_INT(s.frames, 1);
  /* The sender starts over at seq 1 with one-packet frames: ignored at first, then we
   * follow it. */
  int before = 0;
  for (int i = 0; i < 200; i++) {
    make_packets(&f, frame, 100, (uint16_t)(1 + i), (uint32_t)(100 + i), 0);
    vp8_collect_push(a, &f.hd[0], 0);
    if (i == 10) before = s.frames;
  }
  CHECK_EQ_INT(before, 1);
  CHECK(s.frames > 100);
  brtc_vp8_assembler_free(a);
}

static void test_assembler_reset(void) {
  static sink s;
  static packets f;
  memset(&s, 0, sizeof s);
  uint8_t frame[300];
  fill(frame, sizeof frame, 14);
  brtc_vp8_assembler *a = vp8_collect_new(1000, on_frame, &s);
  make_packets(&f, frame, 300, 1000, 1, 0);
  for (int i = 0; i < f.n; i++) vp8_collect_push(a, &f.hd[i], 0);
  CHECK_EQ_INT(s.frames, 1);
  brtc_vp8_assembler_reset(a);
  CHECK_EQ_INT(brtc_vp8_assembler_get_stats(a)->packets, 0);
  /* Older sequence numbers are a new stream now, not late packets. */
  make_packets(&f, frame, 300, 900, 2, 0);
  for (int i = 0; i < f.n; i++) vp8_collect_push(a, &f.hd[i], 0);
  CHECK_EQ_INT(s.frames, 2);
  CHECK_EQ_INT(brtc_vp8_assembler_get_stats(a)->packets_late, 0);
  brtc_vp8_assembler_free(a);
}

/* 300 random frames (1..8 packets) across a sequence wrap, packets shuffled within each
 * frame, some duplicated, one packet lost in some frames: exactly the frames without loss
 * come out, in order, byte for byte. */
static uint32_t prop_rng = 777;
static uint32_t prop_next(void) {
  prop_rng = prop_rng * 1664525u + 1013904223u;
  return prop_rng >> 8;
}

typedef struct prop_sink {
  int n;
  uint32_t ts[400];
  size_t len[400];
  uint8_t first_byte[400];
  int bad_content;
} prop_sink;

static uint8_t prop_frames[300][8 * 150];
static size_t prop_len[300];

static void prop_on_frame(const brtc_vp8_frame *f, void *user) {
  prop_sink *s = user;
  int idx = (int)(f->timestamp / 3000);
  if (idx < 0 || idx >= 300 || f->len != prop_len[idx] ||
      memcmp(f->data, prop_frames[idx], f->len) != 0)
    s->bad_content++;
  if (s->n < 400) s->ts[s->n] = f->timestamp;
  s->n++;
}

static void test_assembler_random(void) {
  static prop_sink s;
  static packets p;
  memset(&s, 0, sizeof s);
  bool lost[300];
  int expected = 0, lost_frames = 0, requests = 0, missed_requests = 0;
  brtc_vp8_assembler *a = vp8_collect_new(8 * 150, prop_on_frame, &s);
  uint16_t seq = 65000;
  for (int f = 0; f < 300; f++) {
    prop_len[f] = 1 + prop_next() % (8 * (150 - 4));
    for (size_t i = 0; i < prop_len[f]; i++) prop_frames[f][i] = (uint8_t)prop_next();
    prop_frames[f][0] |= 1;
    p.n = brtc_vp8_packetize(prop_frames[f], prop_len[f], (uint16_t)f, 150, p.pl, sizeof p.pl,
                             p.lens, MAX_PKTS);
    for (int i = 0; i < p.n; i++) {
      brtc_rtp_header *h = &p.hd[i];
      memset(h, 0, sizeof(*h));
      h->sequence = (uint16_t)(seq + i);
      h->timestamp = (uint32_t)f * 3000;
      h->marker = i == p.n - 1;
      h->payload = p.pl + (size_t)i * 150;
      h->payload_len = p.lens[i];
    }
    seq = (uint16_t)(seq + p.n);
    int order[8];
    for (int i = 0; i < p.n; i++) order[i] = i;
    for (int i = p.n - 1; i > 0; i--) {
      int j = (int)(prop_next() % (uint32_t)(i + 1)), t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    lost[f] = f > 0 && prop_next() % 8 == 0;
    int drop = lost[f] ? (int)(prop_next() % (uint32_t)p.n) : -1;
    for (int i = 0; i < p.n; i++) {
      if (order[i] == drop) continue;
      vp8_collect_push(a, &p.hd[order[i]], 0);
      if (prop_next() % 10 == 0) vp8_collect_push(a, &p.hd[order[i]], 0);
    }
    if (lost[f]) lost_frames++;
    else expected++;
    /* A loss is noticed when the next frame completes. */
    if (f > 0 && lost[f - 1] && !lost[f]) {
      if (brtc_vp8_assembler_take_keyframe_request(a)) requests++;
      else missed_requests++;
    }
  }
  CHECK_EQ_INT(s.bad_content, 0);
  CHECK_EQ_INT(s.n, expected);
  CHECK(lost_frames > 10);
  CHECK(requests > 5);
  CHECK_EQ_INT(missed_requests, 0);
  int k = 0;
  for (int f = 0; f < 300 && k < s.n; f++) {
    if (lost[f]) continue;
    CHECK_EQ_INT(s.ts[k], (uint32_t)f * 3000);
    k++;
  }
  brtc_vp8_assembler_free(a);
}

/* ---- a real encoded keyframe through packetizer, shuffle and assembler ---- */

static uint32_t rng_state = 12345;
static uint32_t rng(void) {
  rng_state = rng_state * 1103515245u + 12345u;
  return rng_state >> 8;
}

static void test_real_keyframe_shuffled(void) {
  static sink s;
  static packets p, q;
  static uint8_t key[200000], delta[200000];
  memset(&s, 0, sizeof s);
  test_vp8_encoder e;
  CHECK_EQ_INT(test_vp8_encoder_init(&e, 352, 288), 0);
  test_draw_picture(&e.img, 352, 288, 40, 30);
  size_t key_len = test_vp8_encode(&e, true, key, sizeof key);
  test_draw_picture(&e.img, 352, 288, 48, 30);
  size_t delta_len = test_vp8_encode(&e, false, delta, sizeof delta);
  test_vp8_encoder_free(&e);
  fprintf(stderr, "keyframe %zu bytes, delta %zu bytes\n", key_len, delta_len);
  CHECK(key_len > 2000);
  CHECK(delta_len > 0);
  uint16_t w = 0, h = 0;
  CHECK(brtc_vp8_frame_is_keyframe(key, key_len, &w, &h));
  CHECK_EQ_INT(w, 352);
  CHECK_EQ_INT(h, 288);
  CHECK(!brtc_vp8_frame_is_keyframe(delta, delta_len, NULL, NULL));

  make_packets(&p, key, key_len, 65500, 90000, 300);
  make_packets(&q, delta, delta_len, (uint16_t)(65500 + p.n), 93000, 301);
  CHECK(p.n > 10);
  /* Shuffle the keyframe's packets (Fisher-Yates), then the delta frame in order. */
  int order[MAX_PKTS];
  for (int i = 0; i < p.n; i++) order[i] = i;
  for (int i = p.n - 1; i > 0; i--) {
    int j = (int)(rng() % (uint32_t)(i + 1));
    int t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  brtc_vp8_assembler *a = vp8_collect_new(sizeof s.data, on_frame, &s);
  for (int i = 0; i < p.n; i++) {
    CHECK_EQ_INT(s.frames, 0);
    CHECK_EQ_INT(vp8_collect_push(a, &p.hd[order[i]], 0), BRTC_OK);
  }
  CHECK_EQ_INT(s.frames, 1);
  CHECK(s.last.keyframe);
  CHECK_EQ_INT(s.last.width, 352);
  CHECK_EQ_INT(s.last.height, 288);
  CHECK_EQ_INT(s.last.picture_id, 300);
  CHECK_EQ_INT(s.len, key_len);
  CHECK_MEM(s.data, key, key_len);
  for (int i = 0; i < q.n; i++) vp8_collect_push(a, &q.hd[i], 0);
  CHECK_EQ_INT(s.frames, 2);
  CHECK(!s.last.keyframe);
  CHECK_EQ_INT(s.len, delta_len);
  CHECK_MEM(s.data, delta, delta_len);
  const brtc_vp8_assembler_stats *st = brtc_vp8_assembler_get_stats(a);
  CHECK_EQ_INT(st->keyframes, 1);
  CHECK_EQ_INT(st->frames, 2);
  CHECK_EQ_INT(st->frames_dropped, 0);
  CHECK(!brtc_vp8_assembler_take_keyframe_request(a));
  brtc_vp8_assembler_free(a);
}

/* ---- assembler memory: it follows the stream, not the limits ---- */

/* Frames at 1,200 bytes of VP8 per packet, as a browser sends them. */
#define BIG_MTU (BRTC_VP8_PACKETIZER_DESCRIPTOR + 1200)

typedef struct expect_sink {
  const uint8_t *const *frames; /* expected frame i has RTP timestamp i * 3000 */
  const size_t *lens;
  size_t count;
  int n, bad_content;
} expect_sink;

static void expect_on_frame(const brtc_vp8_frame *f, void *user) {
  expect_sink *s = user;
  size_t idx = f->timestamp / 3000;
  if (f->timestamp % 3000 || idx >= s->count || f->len != s->lens[idx] ||
      memcmp(f->data, s->frames[idx], f->len) != 0)
    s->bad_content++;
  s->n++;
}

/* Packetize frame at max_payload and push its packets, seq first.., in order or shuffled
 * (the frame buffer path) and without the packet at index lose (-1: none). */
static void push_frame(brtc_vp8_assembler *a, const uint8_t *frame, size_t len,
                       size_t max_payload, uint16_t *seq, uint32_t ts, bool shuffle, int lose) {
  size_t max_packets = brtc_vp8_packet_count(len, max_payload);
  uint8_t *pl = malloc(max_packets * max_payload);
  size_t *lens = malloc(max_packets * sizeof(*lens));
  int *order = malloc(max_packets * sizeof(*order));
  CHECK(pl && lens && order);
  if (!pl || !lens || !order) goto out;
  int n = brtc_vp8_packetize(frame, len, (uint16_t)(ts / 3000), max_payload, pl,
                             max_packets * max_payload, lens, max_packets);
  CHECK_EQ_INT(n, (int)max_packets);
  for (int i = 0; i < n; i++) order[i] = i;
  for (int i = n - 1; shuffle && i > 0; i--) {
    int j = (int)(rng() % (uint32_t)(i + 1)), t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  for (int k = 0; k < n; k++) {
    int i = order[k];
    if (i == lose) continue;
    brtc_rtp_header h = {.version = 2, .payload_type = 96, .ssrc = 0xABC};
    h.sequence = (uint16_t)(*seq + i);
    h.timestamp = ts;
    h.marker = i == n - 1;
    h.payload = pl + (size_t)i * max_payload;
    h.payload_len = lens[i];
    CHECK_EQ_INT(vp8_collect_push(a, &h, 0), BRTC_OK);
  }
  *seq = (uint16_t)(*seq + n);
out:
  free(pl);
  free(lens);
  free(order);
}

/* A 50 KB keyframe, then 1,000 frames of about 1 KB, some reordered, some lost: with the
 * default 4 MiB frame limit the assembler still holds under 200 KiB, and stops growing
 * once it has seen the stream's sizes. */
static void test_assembler_memory_small_frames(void) {
  enum { FRAMES = 1001 };
  static uint8_t key[50000], storage[FRAMES][1400];
  static const uint8_t *frames[FRAMES];
  static size_t lens[FRAMES];
  static expect_sink s;
  memset(&s, 0, sizeof s);
  s.frames = frames;
  s.lens = lens;
  s.count = FRAMES;
  brtc_vp8_assembler *a = vp8_collect_new(4u << 20, expect_on_frame, &s);
  CHECK(a != NULL);
  CHECK(brtc_vp8_assembler_memory(a) < 1024); /* nothing but itself before media */
  uint16_t seq = 65000;
  int expected = 0;
  size_t after_warmup = 0;
  for (int f = 0; f < FRAMES; f++) {
    lens[f] = f == 0 ? 50000 : 800 + rng() % 600; /* 1 or 2 packets */
    uint8_t *frame = f == 0 ? key : storage[f];
    for (size_t i = 0; i < lens[f]; i++) frame[i] = (uint8_t)rng();
    frames[f] = frame;
    bool shuffle = f == 0 || rng() % 4 == 0;
    int lose = f > 0 && rng() % 50 == 0 ? 0 : -1;
    push_frame(a, frames[f], lens[f], BIG_MTU, &seq, (uint32_t)f * 3000, shuffle, lose);
    if (lose < 0) expected++;
    if (f == 100) after_warmup = brtc_vp8_assembler_memory(a);
  }
  size_t mem = brtc_vp8_assembler_memory(a);
  fprintf(stderr, "assembler memory after 50 KB keyframe + 1,000 small frames: %zu bytes\n", mem);
  CHECK_EQ_INT(s.bad_content, 0);
  CHECK_EQ_INT(s.n, expected);
  CHECK(expected < FRAMES); /* some were lost */
  CHECK(mem > 50000);       /* it did hold the keyframe */
  CHECK(mem < 200 * 1024);
  CHECK_EQ_INT(mem, after_warmup); /* no growth once the sizes are known */
  brtc_vp8_assembler_free(a);
}

/* The largest frame the reorder window can hold (512 packets of 1,500 bytes), shuffled,
 * comes out byte for byte; a bigger one (1 MiB needs 700 such packets) cannot fit the
 * window and is dropped as before, and a normal frame after it still comes out. */
static void test_assembler_large_keyframe(void) {
  enum { LARGE = BRTC_VP8_REORDER_WINDOW * BRTC_VP8_MAX_PACKET_PAYLOAD, HUGE = 1 << 20 };
  const size_t mtu = BRTC_VP8_PACKETIZER_DESCRIPTOR + BRTC_VP8_MAX_PACKET_PAYLOAD;
  static uint8_t large[LARGE], huge[HUGE], small[1000];
  static const uint8_t *frames[4];
  static size_t lens[4];
  static expect_sink s;
  memset(&s, 0, sizeof s);
  for (size_t i = 0; i < LARGE; i++) large[i] = (uint8_t)rng();
  for (size_t i = 0; i < HUGE; i++) huge[i] = (uint8_t)rng();
  for (size_t i = 0; i < sizeof small; i++) small[i] = (uint8_t)rng();
  frames[0] = frames[2] = small;
  lens[0] = lens[2] = sizeof small;
  frames[1] = large;
  lens[1] = LARGE;
  frames[3] = huge;
  lens[3] = HUGE;
  s.frames = frames;
  s.lens = lens;
  s.count = 4;
  CHECK_EQ_INT(brtc_vp8_packet_count(LARGE, mtu), BRTC_VP8_REORDER_WINDOW);
  brtc_vp8_assembler *a = vp8_collect_new(4u << 20, expect_on_frame, &s);
  uint16_t seq = 100;
  push_frame(a, small, sizeof small, mtu, &seq, 0, false, -1);
  push_frame(a, large, LARGE, mtu, &seq, 3000, true, -1);
  CHECK_EQ_INT(s.n, 2);
  CHECK_EQ_INT(s.bad_content, 0);
  CHECK(!brtc_vp8_assembler_take_keyframe_request(a));
  size_t mem = brtc_vp8_assembler_memory(a);
  fprintf(stderr, "assembler memory after a %d-byte frame: %zu bytes\n", LARGE, mem);
  CHECK(mem >= (size_t)2 * LARGE); /* the packets and the frame they make */
  CHECK(mem < (size_t)4 * LARGE);
  push_frame(a, small, sizeof small, mtu, &seq, 6000, false, -1);
  push_frame(a, huge, HUGE, mtu, &seq, 9000, false, -1);
  CHECK_EQ_INT(s.n, 3);
  CHECK(brtc_vp8_assembler_take_keyframe_request(a));
  push_frame(a, small, sizeof small, mtu, &seq, 0, false, -1);
  CHECK_EQ_INT(s.n, 4);
  CHECK_EQ_INT(s.bad_content, 0);
  CHECK(brtc_vp8_assembler_memory(a) < (size_t)4 * LARGE);
  brtc_vp8_assembler_free(a);
}

int main(void) {
  RUN(test_descriptor_minimal);
  RUN(test_descriptor_picture_id);
  RUN(test_descriptor_l_t_k);
  RUN(test_keyframe_header);
  RUN(test_packetizer);
  RUN(test_sender_picture_id);
  RUN(test_assembler_in_order);
  RUN(test_assembler_reorder_in_frame);
  RUN(test_assembler_ready);
  RUN(test_assembler_loss);
  RUN(test_assembler_lost_first_packet);
  RUN(test_assembler_wrap);
  RUN(test_assembler_duplicates);
  RUN(test_assembler_too_big);
  RUN(test_assembler_bad_and_padding);
  RUN(test_assembler_window_passes);
  RUN(test_assembler_sender_restart);
  RUN(test_assembler_hold);
  RUN(test_assembler_reset);
  RUN(test_assembler_random);
  RUN(test_real_keyframe_shuffled);
  RUN(test_assembler_memory_small_frames);
  RUN(test_assembler_large_keyframe);
  return TEST_REPORT();
}
