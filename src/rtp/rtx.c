/* RFC 4588 4: RTX packets unwrapped. */
#include "rtp/rtx.h"

#include <string.h>

#include "boltrtc/error.h"
#include "common/bytes.h"
#include "rtp/rtp.h"

#define OSN_LEN 2

int brtc_rtx_unwrap(const uint8_t *rtx, size_t len, uint32_t media_ssrc,
                    uint8_t media_payload_type, uint8_t *out, size_t cap, size_t *out_len) {
  if (!rtx || !out || !out_len || media_payload_type > 127) return BRTC_ERR_INVALID;
  brtc_rtp_header h;
  if (brtc_rtp_parse(rtx, len, &h) != BRTC_OK || h.payload_len < OSN_LEN) return BRTC_ERR_PARSE;
  size_t total = h.header_len + h.payload_len - OSN_LEN;
  if (total > cap) return BRTC_ERR_TOO_BIG;
  memmove(out, rtx, h.header_len); /* out may be rtx itself */
  out[0] &= (uint8_t)~0x20;        /* the padding was the RTX packet's own */
  out[1] = (uint8_t)((out[1] & 0x80) | media_payload_type);
  brtc_wr16(out + 2, brtc_rd16(h.payload));
  brtc_wr32(out + 8, media_ssrc);
  memmove(out + h.header_len, h.payload + OSN_LEN, h.payload_len - OSN_LEN);
  *out_len = total;
  return BRTC_OK;
}
