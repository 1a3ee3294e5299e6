/* VP8 descriptor parse, then the input cut into RTP packets (seq, marker, timestamp and
 * length taken from the input) pushed through a frame assembler. */
#include <stdint.h>
#include <string.h>

#include "boltrtc/error.h"
#include "codec/vp8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_frame(const brtc_vp8_frame *f, void *user) {
  size_t *total = user;
  if (f->len == 0 || f->len > 4096) __builtin_trap();
  *total += f->data[0] + f->data[f->len - 1]; /* touch both ends */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  brtc_vp8_descriptor d;
  if (brtc_vp8_parse_descriptor(data, size, &d) == BRTC_OK && d.size >= size) __builtin_trap();
  uint16_t w, h;
  (void)brtc_vp8_frame_is_keyframe(data, size, &w, &h);

  /* One assembler for the whole run, reset per input: reset keeps its grown buffers. */
  static size_t total;
  static brtc_vp8_assembler *a;
  if (!a) a = brtc_vp8_assembler_new(4096);
  if (!a) return 0;
  brtc_vp8_assembler_reset(a);
  /* Each packet: seq (2 bytes), flags (marker bit, timestamp step), length, payload. */
  size_t off = 0;
  uint32_t ts = 0;
  while (size - off >= 4) {
    brtc_rtp_header hd;
    memset(&hd, 0, sizeof hd);
    hd.version = 2;
    hd.sequence = (uint16_t)((data[off] << 8) | data[off + 1]);
    hd.marker = data[off + 2] & 0x80;
    ts += data[off + 2] & 0x7F;
    hd.timestamp = ts;
    size_t len = data[off + 3];
    off += 4;
    if (len > size - off) len = size - off;
    hd.payload = data + off;
    hd.payload_len = len;
    off += len;
    (void)brtc_vp8_assembler_push(a, &hd, off);
    brtc_vp8_frame f;
    while (brtc_vp8_assembler_pop(a, &f) == BRTC_OK) on_frame(&f, &total);
    (void)brtc_vp8_assembler_take_keyframe_request(a);
  }
  const brtc_vp8_assembler_stats *st = brtc_vp8_assembler_get_stats(a);
  if (st->frames > st->packets || st->packets_bad > st->packets) __builtin_trap();
  return 0;
}
