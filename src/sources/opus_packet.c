/* RFC 6716 3.1 (TOC), 3.2 (frame packing), 3.4 (what a receiver must reject); RFC 7845 5.1. */
#include "sources/opus_packet.h"

#include <string.h>

#include "boltrtc/error.h"
#include "common/bytes.h"

#define OPUS_MAX_FRAME 1275
#define OPUS_MAX_SAMPLES 5760 /* 120 ms at 48 kHz */

/* 3.1: the frame size for each configuration number. */
static unsigned frame_samples(uint8_t toc) {
  unsigned config = toc >> 3;
  static const unsigned silk[4] = {480, 960, 1920, 2880}, hybrid[2] = {480, 960},
                        celt[4] = {120, 240, 480, 960};
  if (config < 12) return silk[config & 3];
  if (config < 16) return hybrid[config & 1];
  return celt[config & 3];
}

/* 3.2.1: a frame length in one byte (0..251) or two (252..1275). Moves *p; -1 if short. */
static int frame_length(const uint8_t **p, const uint8_t *end) {
  if (*p >= end) return -1;
  unsigned b0 = *(*p)++;
  if (b0 < 252) return (int)b0;
  if (*p >= end) return -1;
  return (int)(*(*p)++ * 4 + b0);
}

unsigned brtc_opus_packet_samples(const uint8_t *packet, size_t len) {
  if (len < 1) return 0; /* R1 */
  const uint8_t *p = packet + 1, *end = packet + len;
  unsigned per_frame = frame_samples(packet[0]);
  switch (packet[0] & 3) {
    case 0: /* one frame */
      return len - 1 <= OPUS_MAX_FRAME ? per_frame : 0; /* R2 */
    case 1: /* two frames of equal size */
      return ((len - 1) % 2 == 0 && (len - 1) / 2 <= OPUS_MAX_FRAME) ? 2 * per_frame : 0; /* R3 */
    case 2: { /* two frames, the first one's length given */
      int n1 = frame_length(&p, end); /* R4 */
      if (n1 < 0 || (size_t)n1 > (size_t)(end - p) || (size_t)(end - p) - (size_t)n1 > OPUS_MAX_FRAME)
        return 0;
      return 2 * per_frame;
    }
    default: { /* code 3: a frame count byte, padding, CBR or VBR */
      if (len < 2) return 0; /* R6 */
      uint8_t fc = *p++;
      unsigned m = fc & 0x3f;
      if (m == 0 || m * per_frame > OPUS_MAX_SAMPLES) return 0; /* R5 */
      size_t padding = 0;
      if (fc & 0x40) { /* 3.2.5: padding length bytes, 255 means 254 and another byte */
        for (;;) {
          if (p >= end) return 0;
          uint8_t v = *p++;
          padding += v == 255 ? 254 : v;
          if (v != 255) break;
        }
      }
      if (fc & 0x80) { /* VBR: M - 1 frame lengths, the last frame takes the rest (R7) */
        size_t sum = 0;
        for (unsigned i = 0; i + 1 < m; i++) {
          int n = frame_length(&p, end);
          if (n < 0 || n > OPUS_MAX_FRAME) return 0;
          sum += (size_t)n;
        }
        if ((size_t)(end - p) < padding) return 0;
        size_t data = (size_t)(end - p) - padding;
        if (sum > data || data - sum > OPUS_MAX_FRAME) return 0;
      } else { /* CBR: M frames of equal size (R6) */
        if ((size_t)(end - p) < padding) return 0;
        size_t data = (size_t)(end - p) - padding;
        if (data % m != 0 || data / m > OPUS_MAX_FRAME) return 0;
      }
      return m * per_frame;
    }
  }
}

int brtc_opus_head_parse(const uint8_t *b, size_t len, brtc_opus_head *h) {
  memset(h, 0, sizeof(*h));
  if (len < 19 || memcmp(b, "OpusHead", 8) != 0) return BRTC_ERR_PARSE;
  h->version = b[8];
  if (h->version >> 4) return BRTC_ERR_UNSUPPORTED; /* 5.1 item 2: a new major version */
  h->channels = b[9];
  h->pre_skip = brtc_rd16le(b + 10);
  h->input_sample_rate = brtc_rd32le(b + 12);
  h->output_gain = (int16_t)brtc_rd16le(b + 16);
  h->mapping_family = b[18];
  if (h->channels == 0) return BRTC_ERR_PARSE;
  if (h->mapping_family == 0) { /* 5.1.1.1: mono or stereo, one stream, no table */
    if (h->channels > 2) return BRTC_ERR_PARSE;
    h->stream_count = 1;
    h->coupled_count = (uint8_t)(h->channels - 1);
    return 0;
  }
  /* Other families carry a mapping table: stream count, coupled count, one byte per
   * channel (5.1.1). */
  if (len < 21u + h->channels) return BRTC_ERR_PARSE;
  h->stream_count = b[19];
  h->coupled_count = b[20];
  if (h->stream_count == 0 || h->coupled_count > h->stream_count ||
      h->stream_count + h->coupled_count > 255)
    return BRTC_ERR_PARSE;
  for (unsigned i = 0; i < h->channels; i++) {
    uint8_t m = b[21 + i];
    if (m != 255 && m >= h->stream_count + h->coupled_count) return BRTC_ERR_PARSE;
  }
  /* Several streams per packet is multistream Opus: not what opus/48000/2 carries. */
  if (h->stream_count != 1 || h->channels > 2) return BRTC_ERR_UNSUPPORTED;
  return 0;
}
