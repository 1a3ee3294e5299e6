/* Ogg page header, lacing table and checksum. */
#include "sources/ogg.h"

#include <string.h>

#include "boltrtc/error.h"
#include "common/bytes.h"

/* CRC of each 4-bit value, most significant bit first: two lookups per byte. */
static const uint32_t crc_nibble[16] = {
    0x00000000, 0x04c11db7, 0x09823b6e, 0x0d4326d9, 0x130476dc, 0x17c56b6b,
    0x1a864db2, 0x1e475005, 0x2608edb8, 0x22c9f00f, 0x2f8ad6d6, 0x2b4bcb61,
    0x350c9b64, 0x31cd86d3, 0x3c8ea00a, 0x384fbdbd};

uint32_t brtc_ogg_crc(const uint8_t *page, size_t len) {
  uint32_t c = 0;
  for (size_t i = 0; i < len; i++) {
    uint8_t b = (i >= 22 && i < 26) ? 0 : page[i]; /* the CRC field itself */
    c = (c << 4) ^ crc_nibble[(c >> 28) ^ (b >> 4)];
    c = (c << 4) ^ crc_nibble[(c >> 28) ^ (b & 0x0f)];
  }
  return c;
}

int brtc_ogg_parse_page(const uint8_t *buf, size_t len, brtc_ogg_page *p) {
  memset(p, 0, sizeof(*p));
  if (len < 4) return memcmp(buf, "OggS", len) == 0 ? BRTC_ERR_AGAIN : BRTC_ERR_PARSE;
  if (memcmp(buf, "OggS", 4) != 0) return BRTC_ERR_PARSE;
  if (len < BRTC_OGG_HEADER) return BRTC_ERR_AGAIN;
  if (buf[4] != 0) return BRTC_ERR_PARSE;                 /* stream_structure_version */
  if (buf[5] & ~(BRTC_OGG_CONTINUED | BRTC_OGG_BOS | BRTC_OGG_EOS)) return BRTC_ERR_PARSE;
  p->header_type = buf[5];
  p->granule = brtc_rd64le(buf + 6);
  p->serial = brtc_rd32le(buf + 14);
  p->sequence = brtc_rd32le(buf + 18);
  p->segments = buf[26];
  if (len - BRTC_OGG_HEADER < p->segments) return BRTC_ERR_AGAIN;
  p->lacing = buf + BRTC_OGG_HEADER;
  for (unsigned i = 0; i < p->segments; i++) p->body_len += p->lacing[i];
  size_t header = BRTC_OGG_HEADER + p->segments;
  if (len - header < p->body_len) return BRTC_ERR_AGAIN;
  p->body = buf + header;
  p->size = header + p->body_len;
  if (brtc_ogg_crc(buf, p->size) != brtc_rd32le(buf + 22)) return BRTC_ERR_PARSE;
  return 0;
}
