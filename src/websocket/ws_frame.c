/* WebSocket frames (RFC 6455 section 5.2): the header's bits, the three length forms and
 * the masking key; masking itself (5.3). */
#include "boltrtc/error.h"
#include "common/bytes.h"
#include "websocket/websocket.h"

int brtc_ws_frame_parse_header(const uint8_t *data, size_t len, brtc_ws_frame_header *h,
                               size_t *header_len) {
  if (len < 2) return BRTC_ERR_AGAIN;
  h->fin = (data[0] & 0x80) != 0;
  h->rsv = (uint8_t)((data[0] >> 4) & 0x7);
  h->opcode = data[0] & 0x0f;
  h->masked = (data[1] & 0x80) != 0;
  uint64_t length = data[1] & 0x7f;
  size_t need = 2;
  if (length == 126) {
    need = 4;
    if (len < need) return BRTC_ERR_AGAIN;
    length = brtc_rd16(data + 2);
    if (length < 126) return BRTC_ERR_PARSE; /* "the minimal number of bytes MUST be used" */
  } else if (length == 127) {
    need = 10;
    if (len < need) return BRTC_ERR_AGAIN;
    length = brtc_rd64(data + 2);
    if (length >> 63) return BRTC_ERR_PARSE; /* "the most significant bit MUST be 0" */
    if (length <= 0xffff) return BRTC_ERR_PARSE;
  }
  if (h->masked) {
    if (len < need + 4) return BRTC_ERR_AGAIN;
    for (int i = 0; i < 4; i++) h->mask[i] = data[need + (size_t)i];
    need += 4;
  }
  h->length = length;
  *header_len = need;
  return BRTC_OK;
}

size_t brtc_ws_frame_write_header(uint8_t *out, const brtc_ws_frame_header *h) {
  out[0] = (uint8_t)((h->fin ? 0x80 : 0) | (h->rsv & 0x7) << 4 | (h->opcode & 0x0f));
  uint8_t mask_bit = h->masked ? 0x80 : 0;
  size_t n;
  if (h->length < 126) {
    out[1] = (uint8_t)(mask_bit | h->length);
    n = 2;
  } else if (h->length <= 0xffff) {
    out[1] = mask_bit | 126;
    brtc_wr16(out + 2, (uint16_t)h->length);
    n = 4;
  } else {
    out[1] = mask_bit | 127;
    brtc_wr32(out + 2, (uint32_t)(h->length >> 32));
    brtc_wr32(out + 6, (uint32_t)h->length);
    n = 10;
  }
  if (h->masked) {
    for (int i = 0; i < 4; i++) out[n + (size_t)i] = h->mask[i];
    n += 4;
  }
  return n;
}

void brtc_ws_mask(uint8_t *data, size_t len, const uint8_t mask[4], uint64_t offset) {
  for (size_t i = 0; i < len; i++) data[i] ^= mask[(offset + i) & 3];
}
