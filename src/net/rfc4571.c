/* RFC 4571 2: LENGTH (16 bits, network order) then that many bytes of one datagram. See
 * rfc4571.h. */
#include "net/rfc4571.h"

#include <string.h>

void brtc_rfc4571_reader_init(brtc_rfc4571_reader *r) { memset(r, 0, sizeof(*r)); }

int brtc_rfc4571_idle(const brtc_rfc4571_reader *r) {
  return r->header_have == 0 && r->have == 0 && r->skip == 0;
}

int brtc_rfc4571_header(size_t len, uint8_t out[BRTC_RFC4571_HEADER]) {
  if (len > 0xffff) return -1;
  out[0] = (uint8_t)(len >> 8);
  out[1] = (uint8_t)len;
  return 0;
}

size_t brtc_rfc4571_read(brtc_rfc4571_reader *r, const uint8_t *data, size_t len,
                         const uint8_t **frame, size_t *frame_len) {
  *frame = NULL;
  *frame_len = 0;
  size_t off = 0;
  while (off < len) {
    if (r->skip) { /* the rest of an oversized frame */
      size_t n = len - off < r->skip ? len - off : r->skip;
      r->skip -= n;
      off += n;
      continue;
    }
    if (r->header_have < BRTC_RFC4571_HEADER) {
      r->header[r->header_have++] = data[off++];
      if (r->header_have < BRTC_RFC4571_HEADER) continue;
      size_t n = ((size_t)r->header[0] << 8) | r->header[1];
      r->have = 0;
      if (n == 0) {
        r->empty++;
        r->header_have = 0;
      } else if (n > BRTC_RFC4571_MAX_FRAME) {
        r->oversized++;
        r->skip = n;
        r->header_have = 0;
      } else {
        r->need = n;
      }
      continue;
    }
    size_t n = r->need - r->have;
    if (n > len - off) n = len - off;
    memcpy(r->frame + r->have, data + off, n);
    r->have += n;
    off += n;
    if (r->have == r->need) {
      *frame = r->frame;
      *frame_len = r->need;
      r->frames++;
      r->header_have = 0;
      r->have = 0;
      r->need = 0;
      return off;
    }
  }
  return off;
}
