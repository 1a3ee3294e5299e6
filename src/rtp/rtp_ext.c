/* Encodings of the header extensions we write: abs-send-time, transport-wide sequence numbers,
 * abs-capture-time, audio level (RFC 6464) and mid (RFC 9143). */
#include "rtp/rtp_ext.h"

#include <string.h>

#include "boltrtc/error.h"
#include "common/bytes.h"

uint32_t brtc_abs_send_time_24(uint64_t now_us) {
  /* 6 bits of seconds, 18 of fraction: keep 64 s worth of microseconds, then scale. */
  uint64_t us = now_us % (64ull * 1000000u);
  return (uint32_t)(((us << 18) + 500000u) / 1000000u) & 0xFFFFFFu;
}

void brtc_ext_put_abs_send_time(uint8_t *p, uint64_t now_us) {
  brtc_wr24(p, brtc_abs_send_time_24(now_us));
}

int brtc_ext_get_abs_send_time(const uint8_t *p, size_t len, uint32_t *time_6_18) {
  if (!p || !time_6_18) return BRTC_ERR_INVALID;
  if (len != BRTC_EXT_ABS_SEND_TIME_LEN) return BRTC_ERR_PARSE;
  *time_6_18 = brtc_rd24(p);
  return BRTC_OK;
}

int brtc_ext_get_twcc(const uint8_t *p, size_t len, uint16_t *seq) {
  if (!p || !seq) return BRTC_ERR_INVALID;
  if (len != BRTC_EXT_TWCC_LEN) return BRTC_ERR_PARSE;
  *seq = brtc_rd16(p);
  return BRTC_OK;
}

int brtc_ext_get_abs_capture_time(const uint8_t *p, size_t len, uint64_t *capture_ntp,
                                  bool *has_offset, int64_t *clock_offset) {
  if (!p || !capture_ntp || !has_offset || !clock_offset) return BRTC_ERR_INVALID;
  if (len != BRTC_EXT_ABS_CAPTURE_TIME_LEN && len != BRTC_EXT_ABS_CAPTURE_TIME_FULL_LEN)
    return BRTC_ERR_PARSE;
  *capture_ntp = brtc_rd64(p);
  *has_offset = len == BRTC_EXT_ABS_CAPTURE_TIME_FULL_LEN;
  *clock_offset = *has_offset ? (int64_t)brtc_rd64(p + 8) : 0;
  return BRTC_OK;
}

int brtc_ext_get_audio_level(const uint8_t *p, size_t len, bool *voice, uint8_t *level_dbov) {
  if (!p || !voice || !level_dbov) return BRTC_ERR_INVALID;
  if (len != BRTC_EXT_AUDIO_LEVEL_LEN) return BRTC_ERR_PARSE;
  *voice = (p[0] & 0x80) != 0;
  *level_dbov = p[0] & 0x7F;
  return BRTC_OK;
}

int brtc_ext_get_mid(const uint8_t *p, size_t len, char *out, size_t cap) {
  if (!p || !out) return BRTC_ERR_INVALID;
  if (len == 0 || memchr(p, 0, len)) return BRTC_ERR_PARSE;
  if (cap <= len) return BRTC_ERR_TOO_BIG;
  memcpy(out, p, len);
  out[len] = '\0';
  return BRTC_OK;
}
