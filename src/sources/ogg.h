/* Ogg pages (RFC 3533 6): a 27-byte header, a lacing table, the body.
 *   "OggS", version 0, header type (1 continued packet, 2 beginning of stream, 4 end of
 *   stream), granule position (s64), serial number, page sequence number, CRC-32 (all
 *   little-endian), number of segments, then one lacing value per segment.
 * A lacing value under 255 ends a packet; a page whose last value is 255 leaves its last
 * packet to continue on the next page of the stream. A parser only. */
#ifndef BRTC_SOURCES_OGG_H
#define BRTC_SOURCES_OGG_H

#include <stddef.h>
#include <stdint.h>

#define BRTC_OGG_HEADER 27
#define BRTC_OGG_CONTINUED 0x01
#define BRTC_OGG_BOS 0x02
#define BRTC_OGG_EOS 0x04
#define BRTC_OGG_NO_GRANULE UINT64_MAX /* -1: no packet ends on this page */

typedef struct brtc_ogg_page {
  uint8_t header_type;
  uint64_t granule;
  uint32_t serial, sequence;
  uint8_t segments;
  const uint8_t *lacing; /* segments values */
  const uint8_t *body;
  size_t body_len;       /* the sum of the lacing values */
  size_t size;           /* of the whole page: the next one starts here */
} brtc_ogg_page;

/* The page at the start of buf. BRTC_ERR_AGAIN when buf ends inside it (a file cut short),
 * BRTC_ERR_PARSE for a wrong capture pattern, version, header type or CRC. */
int brtc_ogg_parse_page(const uint8_t *buf, size_t len, brtc_ogg_page *p);

/* The page checksum (RFC 3533 6: polynomial 0x04c11db7, initial 0, no reflection, no final
 * xor), over the page with its CRC field taken as zero. */
uint32_t brtc_ogg_crc(const uint8_t *page, size_t len);

#endif
