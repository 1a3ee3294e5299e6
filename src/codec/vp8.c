/* VP8 payload descriptor (RFC 7741 4.2), keyframe header (RFC 6386 9.1), packetizer. */
#include <string.h>

#include "boltrtc/error.h"
#include "codec/vp8.h"

int brtc_vp8_parse_descriptor(const uint8_t *payload, size_t len, brtc_vp8_descriptor *d) {
  if (!payload || !d) return BRTC_ERR_INVALID;
  memset(d, 0, sizeof(*d));
  size_t off = 0;
  if (len < 1) return BRTC_ERR_PARSE;
  uint8_t b = payload[off++];
  d->extended = (b & 0x80) != 0;
  d->non_reference = (b & 0x20) != 0;
  d->start = (b & 0x10) != 0;
  d->partition = b & 0x07;
  if (d->extended) {
    if (off >= len) return BRTC_ERR_PARSE;
    uint8_t x = payload[off++];
    d->has_picture_id = (x & 0x80) != 0;
    d->has_tl0picidx = (x & 0x40) != 0;
    d->has_tid = (x & 0x20) != 0;
    d->has_keyidx = (x & 0x10) != 0;
    if (d->has_picture_id) {
      if (off >= len) return BRTC_ERR_PARSE;
      uint8_t p = payload[off++];
      if (p & 0x80) {
        if (off >= len) return BRTC_ERR_PARSE;
        d->picture_id_15 = true;
        d->picture_id = (uint16_t)(((p & 0x7F) << 8) | payload[off++]);
      } else {
        d->picture_id = p;
      }
    }
    if (d->has_tl0picidx) {
      if (off >= len) return BRTC_ERR_PARSE;
      d->tl0picidx = payload[off++];
    }
    /* One byte carries TID, Y and KEYIDX when either T or K is set. */
    if (d->has_tid || d->has_keyidx) {
      if (off >= len) return BRTC_ERR_PARSE;
      uint8_t t = payload[off++];
      if (d->has_tid) {
        d->tid = t >> 6;
        d->layer_sync = (t & 0x20) != 0;
      }
      if (d->has_keyidx) d->keyidx = t & 0x1F;
    }
  }
  if (off >= len) return BRTC_ERR_PARSE; /* no VP8 payload */
  d->size = off;
  return BRTC_OK;
}

bool brtc_vp8_frame_is_keyframe(const uint8_t *frame, size_t len, uint16_t *width,
                                uint16_t *height) {
  /* 3-byte frame tag (P bit 0 = key frame), start code 9d 01 2a, then 16-bit little-endian
   * width and height whose top two bits are the scaling. */
  if (!frame || len < 10) return false;
  if (frame[0] & 0x01) return false;
  if (frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a) return false;
  if (width) *width = (uint16_t)((frame[6] | (frame[7] << 8)) & 0x3FFF);
  if (height) *height = (uint16_t)((frame[8] | (frame[9] << 8)) & 0x3FFF);
  return true;
}

size_t brtc_vp8_packet_count(size_t len, size_t max_payload) {
  if (max_payload <= BRTC_VP8_PACKETIZER_DESCRIPTOR || len == 0) return 0;
  size_t room = max_payload - BRTC_VP8_PACKETIZER_DESCRIPTOR;
  return (len + room - 1) / room;
}

int brtc_vp8_packetize(const uint8_t *frame, size_t len, uint16_t picture_id,
                       size_t max_payload, uint8_t *out, size_t out_cap, size_t *lens,
                       size_t max_packets) {
  if (!frame || !out || !lens) return BRTC_ERR_INVALID;
  size_t n = brtc_vp8_packet_count(len, max_payload);
  if (n == 0) return BRTC_ERR_INVALID;
  if (n > max_packets || n > (size_t)INT32_MAX) return BRTC_ERR_TOO_BIG;
  /* The last payload ends at (n - 1) * max_payload + its size, at most max_payload. */
  if (out_cap / max_payload < n - 1 || out_cap - (n - 1) * max_payload < max_payload)
    return BRTC_ERR_TOO_BIG;
  /* Balanced sizes: the first len % n payloads carry one byte more. */
  size_t base = len / n, extra = len % n, off = 0;
  for (size_t i = 0; i < n; i++) {
    size_t chunk = base + (i < extra ? 1 : 0);
    uint8_t *p = out + i * max_payload;
    p[0] = (uint8_t)(0x80 | (i == 0 ? 0x10 : 0)); /* X, S on the first, PID 0 */
    p[1] = 0x80;                                  /* I */
    p[2] = (uint8_t)(0x80 | ((picture_id >> 8) & 0x7F));
    p[3] = (uint8_t)picture_id;
    memcpy(p + BRTC_VP8_PACKETIZER_DESCRIPTOR, frame + off, chunk);
    lens[i] = BRTC_VP8_PACKETIZER_DESCRIPTOR + chunk;
    off += chunk;
  }
  return (int)n;
}

void brtc_vp8_sender_init(brtc_vp8_sender *s, uint16_t first_picture_id) {
  if (s) s->next_picture_id = first_picture_id & 0x7FFF;
}

int brtc_vp8_sender_packetize(brtc_vp8_sender *s, const uint8_t *frame, size_t len,
                              size_t max_payload, uint8_t *out, size_t out_cap, size_t *lens,
                              size_t max_packets) {
  if (!s) return BRTC_ERR_INVALID;
  int n = brtc_vp8_packetize(frame, len, s->next_picture_id, max_payload, out, out_cap, lens,
                             max_packets);
  if (n > 0) s->next_picture_id = (uint16_t)((s->next_picture_id + 1) & 0x7FFF);
  return n;
}
