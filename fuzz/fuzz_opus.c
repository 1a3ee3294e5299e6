/* Opus packets (RFC 6716 3.1-3.4): the input as one packet, whose frames must lie inside it
 * and play at most 120 ms; then cut into RTP packets for the receiver's checks. */
#include <stdint.h>
#include <string.h>

#include "boltrtc/error.h"
#include "codec/opus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  brtc_opus_packet p;
  if (brtc_opus_parse(data, size, &p) == BRTC_OK) {
    if (p.frames == 0 || p.frames > BRTC_OPUS_MAX_FRAMES || p.duration > BRTC_OPUS_MAX_DURATION ||
        p.duration != (uint32_t)p.frames * p.frame_samples)
      __builtin_trap();
    size_t end = 0;
    for (size_t i = 0; i < p.frames; i++) {
      if (p.frame_len[i] > BRTC_OPUS_MAX_FRAME_BYTES || p.frame_offset[i] < end)
        __builtin_trap();
      end = (size_t)p.frame_offset[i] + p.frame_len[i];
    }
    if (end + p.padding > size) __builtin_trap();
  }
  brtc_opus_sender s = {0};
  uint32_t ts;
  (void)brtc_opus_sender_stamp(&s, data, size, &ts);

  brtc_opus_receiver r = {0};
  size_t off = 0;
  uint32_t t = 0;
  while (size - off >= 3) {
    brtc_rtp_header h;
    memset(&h, 0, sizeof h);
    h.sequence = (uint16_t)(data[off] | 0x100);
    t += data[off + 1] * 120u;
    h.timestamp = t;
    size_t len = data[off + 2] % 64;
    off += 3;
    if (len > size - off) len = size - off;
    h.payload = data + off;
    h.payload_len = len;
    off += len;
    (void)brtc_opus_receiver_push(&r, &h, &p);
  }
  if (r.stats.bad + r.stats.empty + r.stats.late > r.stats.packets) __builtin_trap();
  return 0;
}
