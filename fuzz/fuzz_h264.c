/* H.264 over RTP, both ways.
 * 1. The input cut into RTP packets (sequence number, marker, timestamp step, time step and
 *    length taken from the input, so packets come in any order) pushed through one
 *    assembler, whose units are popped as they complete: every unit handed out must be an
 *    Annex-B stream that fits what pop said.
 * 2. When the input is an Annex-B access unit of RTP-carriable NAL units, it goes through a
 *    fresh packetizer (MTU from the input) and a fresh assembler: what comes out must be the
 *    same NAL units, byte for byte. */
#include <stdint.h>
#include <string.h>

#include "boltrtc/error.h"
#include "codec/h264_rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[1 << 20];

static void drain(brtc_h264_assembler *a) {
  brtc_h264_frame f;
  int rc;
  while ((rc = brtc_h264_assembler_pop(a, out, sizeof out, &f)) == BRTC_OK) {
    if (f.len < 5 || f.len > sizeof out || !brtc_h264_annexb_starts(out, f.len)) __builtin_trap();
    if (f.width > BRTC_H264_MAX_SIDE || f.height > BRTC_H264_MAX_SIDE) __builtin_trap();
  }
  if (rc != BRTC_ERR_AGAIN) __builtin_trap();
}

static void packets_in_any_order(const uint8_t *data, size_t size) {
  static brtc_h264_assembler *a;
  if (!a) a = brtc_h264_assembler_new();
  if (!a || size == 0) return;
  brtc_h264_assembler_reset(a); /* keeps its grown buffers */
  brtc_h264_assembler_set_max_wait(a, (data[0] & 1) ? 20000 : 0);
  size_t off = 1;
  uint32_t ts = 0;
  uint64_t now = 0;
  /* Each packet: seq (2 bytes), flags (marker bit, timestamp step), time step, length,
   * payload. */
  while (size - off >= 5) {
    brtc_rtp_header h;
    memset(&h, 0, sizeof h);
    h.version = 2;
    h.sequence = (uint16_t)((data[off] << 8) | data[off + 1]);
    h.marker = data[off + 2] & 0x80;
    ts += (data[off + 2] & 0x7F) * 1500u;
    h.timestamp = ts;
    now += data[off + 3] * 1000u;
    size_t len = data[off + 4];
    off += 5;
    if (len > size - off) len = size - off;
    h.payload = data + off;
    h.payload_len = len;
    off += len;
    uint64_t deadline = brtc_h264_assembler_deadline(a);
    if (deadline && deadline <= now) brtc_h264_assembler_handle_timeout(a, now);
    (void)brtc_h264_assembler_push(a, &h, now);
    drain(a);
    (void)brtc_h264_assembler_take_keyframe_request(a);
  }
  const brtc_h264_assembler_stats *st = brtc_h264_assembler_get_stats(a);
  if (st->frames > st->packets || st->packets_bad > st->packets) __builtin_trap();
  if (brtc_h264_assembler_memory(a) > 4 * 1024 * 1024) __builtin_trap();
}

static void round_trip(const uint8_t *data, size_t size) {
  if (size < 2 || size > 8192) return;
  size_t mtu = 3 + data[0] * 6u; /* 3 .. 1533 */
  if (mtu > BRTC_H264_MAX_PACKET_PAYLOAD) mtu = BRTC_H264_MAX_PACKET_PAYLOAD;
  const uint8_t *au = data + 1;
  size_t len = size - 1;
  /* Only units RTP can carry and the packetizer keeps, and at most what one unit holds. */
  brtc_h264_nal want[BRTC_H264_MAX_NALS];
  size_t n = 0, pos = 0;
  brtc_h264_nal nal;
  if (!brtc_h264_annexb_starts(au, len)) return;
  while (brtc_h264_annexb_next(au, len, &pos, &nal)) {
    uint8_t t = brtc_h264_nal_type(nal.data[0]);
    if ((nal.data[0] & 0x80) || t == 0 || t > 23 || n == BRTC_H264_MAX_NALS) return;
    if (t == BRTC_H264_NAL_AUD || t == BRTC_H264_NAL_FILLER) continue;
    want[n++] = nal;
  }
  if (n == 0) return;
  static brtc_h264_packetizer *p;
  static brtc_h264_assembler *a;
  brtc_h264_packetizer_free(p);
  p = brtc_h264_packetizer_new(mtu); /* fresh: no parameter sets remembered */
  if (!a) a = brtc_h264_assembler_new();
  if (!p || !a) return;
  brtc_h264_assembler_reset(a);
  if (brtc_h264_packetizer_push_annexb(p, au, len) != BRTC_OK) __builtin_trap();
  if (brtc_h264_packetizer_remaining(p) > BRTC_H264_REORDER_WINDOW) return; /* cannot fit */
  static uint8_t pl[BRTC_H264_MAX_PACKET_PAYLOAD];
  uint16_t seq = (uint16_t)(data[0] * 257u);
  /* A unit before, so that where ours starts is known whatever its first NAL unit is. */
  const uint8_t before[] = {0x41, 0x80};
  brtc_rtp_header b;
  memset(&b, 0, sizeof b);
  b.sequence = seq++;
  b.timestamp = 1;
  b.marker = true;
  b.payload = before;
  b.payload_len = sizeof before;
  if (brtc_h264_assembler_push(a, &b, 0) != BRTC_OK) __builtin_trap();
  brtc_h264_frame f;
  if (brtc_h264_assembler_pop(a, out, sizeof out, &f) != BRTC_OK) __builtin_trap();
  for (;;) {
    size_t plen;
    bool marker;
    int rc = brtc_h264_packetizer_next(p, pl, sizeof pl, &plen, &marker);
    if (rc == BRTC_ERR_AGAIN) break;
    if (rc != BRTC_OK || plen > mtu) __builtin_trap();
    brtc_rtp_header h;
    memset(&h, 0, sizeof h);
    h.sequence = seq++;
    h.timestamp = 1234;
    h.marker = marker;
    h.payload = pl;
    h.payload_len = plen;
    if (brtc_h264_assembler_push(a, &h, 0) != BRTC_OK) __builtin_trap();
  }
  if (brtc_h264_assembler_pop(a, out, sizeof out, &f) != BRTC_OK) __builtin_trap();
  pos = 0;
  for (size_t i = 0; i < n; i++) {
    if (!brtc_h264_annexb_next(out, f.len, &pos, &nal) || nal.len != want[i].len ||
        memcmp(nal.data, want[i].data, nal.len) != 0)
      __builtin_trap();
  }
  if (brtc_h264_annexb_next(out, f.len, &pos, &nal)) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  packets_in_any_order(data, size);
  round_trip(data, size);
  return 0;
}
