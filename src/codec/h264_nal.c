/* Annex-B byte streams (H.264 B.1) and the start of a slice header (7.3.3). */
#include "codec/h264.h"
#include "codec/h264_bits.h"

/* Offset of the next 00 00 01 at or after from, or len. Emulation prevention (7.4.1)
 * guarantees the pattern never occurs inside a NAL unit. Looking at the third byte first
 * lets most positions be skipped three at a time. */
static size_t find_start_code(const uint8_t *b, size_t len, size_t from) {
  size_t i = from;
  while (i + 2 < len) {
    if (b[i + 2] > 1)
      i += 3;
    else if (b[i + 1] != 0)
      i += 2;
    else if (b[i] != 0 || b[i + 2] != 1)
      i++;
    else
      return i;
  }
  return len;
}

bool brtc_h264_annexb_next(const uint8_t *buf, size_t len, size_t *pos, brtc_h264_nal *nal) {
  if (!buf || !pos || !nal) return false;
  size_t p = *pos;
  while (p < len) {
    size_t sc = find_start_code(buf, len, p);
    if (sc >= len) break;
    size_t start = sc + 3;
    size_t next = find_start_code(buf, len, start);
    size_t end = next;
    /* Zeros before the next start code are its leading zero or trailing_zero_8bits; a NAL
     * unit never ends in a zero byte (7.4.1: rbsp_trailing_bits, cabac_zero_word 0x0000
     * is always followed by 0x03). */
    while (end > start && buf[end - 1] == 0) end--;
    p = next;
    if (end > start) {
      nal->data = buf + start;
      nal->len = end - start;
      *pos = p;
      return true;
    }
  }
  *pos = len;
  return false;
}

bool brtc_h264_annexb_starts(const uint8_t *buf, size_t len) {
  if (!buf) return false;
  size_t i = 0;
  while (i < len && buf[i] == 0) i++;
  return i >= 2 && i < len && buf[i] == 1;
}

long brtc_h264_first_mb_in_slice(const uint8_t *rbsp, size_t len) {
  if (!rbsp || len == 0) return -1;
  brtc_h264_bits b;
  brtc_h264_bits_init(&b, rbsp, len);
  uint32_t v = brtc_h264_ue(&b);
  return b.overrun ? -1 : (long)v;
}
