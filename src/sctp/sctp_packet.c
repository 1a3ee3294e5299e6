/* SCTP common header, checksum and TLV framing (RFC 9260 3, 6.8). */
#include "sctp/sctp_packet.h"

#include <string.h>

#include "boltrtc/error.h"
#include "common/bytes.h"
#include "sctp/crc32c.h"

int brtc_sctp_header_parse(const uint8_t *pkt, size_t len, brtc_sctp_header *out) {
  if (!pkt || len < BRTC_SCTP_COMMON_HEADER) return BRTC_ERR_PARSE;
  out->src_port = brtc_rd16(pkt);
  out->dst_port = brtc_rd16(pkt + 2);
  out->vtag = brtc_rd32(pkt + 4);
  out->checksum = brtc_rd32(pkt + 8);
  return BRTC_OK;
}

void brtc_sctp_header_write(uint8_t *pkt, uint16_t src_port, uint16_t dst_port, uint32_t vtag) {
  brtc_wr16(pkt, src_port);
  brtc_wr16(pkt + 2, dst_port);
  brtc_wr32(pkt + 4, vtag);
  memset(pkt + 8, 0, 4);
}

uint32_t brtc_sctp_checksum(const uint8_t *pkt, size_t len) {
  static const uint8_t zero[4];
  if (len < BRTC_SCTP_COMMON_HEADER) return 0;
  /* The field counts as zero: feed the bytes around it, and four zeros in its place, so the
   * received packet need not be copied or modified. */
  uint32_t crc = brtc_crc32c_update(BRTC_CRC32C_INIT, pkt, 8);
  crc = brtc_crc32c_update(crc, zero, 4);
  crc = brtc_crc32c_update(crc, pkt + BRTC_SCTP_COMMON_HEADER, len - BRTC_SCTP_COMMON_HEADER);
  return brtc_crc32c_final(crc);
}

void brtc_sctp_checksum_write(uint8_t *pkt, size_t len) {
  uint32_t crc = brtc_sctp_checksum(pkt, len);
  /* RFC 9260 Appendix A: the reflected CRC goes out least significant byte first. */
  pkt[8] = (uint8_t)crc;
  pkt[9] = (uint8_t)(crc >> 8);
  pkt[10] = (uint8_t)(crc >> 16);
  pkt[11] = (uint8_t)(crc >> 24);
}

bool brtc_sctp_checksum_ok(const uint8_t *pkt, size_t len) {
  if (len < BRTC_SCTP_COMMON_HEADER) return false;
  uint32_t crc = brtc_sctp_checksum(pkt, len);
  return pkt[8] == (uint8_t)crc && pkt[9] == (uint8_t)(crc >> 8) &&
         pkt[10] == (uint8_t)(crc >> 16) && pkt[11] == (uint8_t)(crc >> 24);
}

bool brtc_sctp_checksum_is_zero(const uint8_t *pkt) {
  return (pkt[8] | pkt[9] | pkt[10] | pkt[11]) == 0;
}

void brtc_sctp_chunks_begin(brtc_sctp_tlv_iter *it, const uint8_t *pkt, size_t len) {
  it->p = pkt;
  it->len = len;
  it->off = len < BRTC_SCTP_COMMON_HEADER ? len : BRTC_SCTP_COMMON_HEADER;
  it->chunk = true;
}

void brtc_sctp_params_begin(brtc_sctp_tlv_iter *it, const uint8_t *p, size_t len) {
  it->p = p;
  it->len = p ? len : 0;
  it->off = 0;
  it->chunk = false;
}

int brtc_sctp_tlv_next(brtc_sctp_tlv_iter *it, brtc_sctp_tlv *out) {
  if (it->off >= it->len) return 0;
  size_t left = it->len - it->off;
  if (left < BRTC_SCTP_TLV_HEADER) {
    it->off = it->len;
    return BRTC_ERR_PARSE;
  }
  const uint8_t *h = it->p + it->off;
  size_t length = brtc_rd16(h + 2);
  if (length < BRTC_SCTP_TLV_HEADER || length > left) {
    it->off = it->len;
    return BRTC_ERR_PARSE;
  }
  if (it->chunk) {
    out->type = h[0];
    out->flags = h[1];
  } else {
    out->type = brtc_rd16(h);
    out->flags = 0;
  }
  out->start = h;
  out->length = length;
  out->value = h + BRTC_SCTP_TLV_HEADER;
  out->value_len = length - BRTC_SCTP_TLV_HEADER;
  size_t padded = brtc_sctp_pad4(length);
  it->off += padded > left ? left : padded;
  return 1;
}

uint8_t *brtc_sctp_put(brtc_sctp_writer *w, size_t n) {
  if (n > w->cap - w->len) return NULL;
  uint8_t *p = w->buf + w->len;
  w->len += n;
  w->trailing_pad = 0;
  return p;
}

size_t brtc_sctp_chunk_begin(brtc_sctp_writer *w, uint8_t type, uint8_t flags) {
  size_t start = w->len;
  uint8_t *h = brtc_sctp_put(w, BRTC_SCTP_TLV_HEADER);
  if (!h) return SIZE_MAX;
  h[0] = type;
  h[1] = flags;
  h[2] = h[3] = 0;
  return start;
}

size_t brtc_sctp_param_begin(brtc_sctp_writer *w, uint16_t type) {
  size_t start = w->len;
  uint8_t *h = brtc_sctp_put(w, BRTC_SCTP_TLV_HEADER);
  if (!h) return SIZE_MAX;
  brtc_wr16(h, type);
  h[2] = h[3] = 0;
  return start;
}

static bool tlv_end(brtc_sctp_writer *w, size_t start, size_t length) {
  size_t used = w->len - start;
  size_t pad = brtc_sctp_pad4(used) - used;
  if (length > 0xffff || pad > w->cap - w->len) {
    w->len = start;
    w->trailing_pad = 0;
    return false;
  }
  brtc_wr16(w->buf + start + 2, (uint16_t)length);
  memset(w->buf + w->len, 0, pad);
  w->len += pad;
  w->trailing_pad = pad;
  return true;
}

bool brtc_sctp_param_end(brtc_sctp_writer *w, size_t start) {
  return tlv_end(w, start, w->len - start);
}

bool brtc_sctp_chunk_end(brtc_sctp_writer *w, size_t start) {
  bool ok = tlv_end(w, start, w->len - start - w->trailing_pad);
  w->trailing_pad = 0;
  return ok;
}
