/* IVF file and frame headers. */
#include "sources/ivf.h"

#include <string.h>

#include "boltrtc/error.h"
#include "common/bytes.h"

int brtc_ivf_parse_header(const uint8_t *buf, size_t len, brtc_ivf_header *h) {
  memset(h, 0, sizeof(*h));
  if (len < BRTC_IVF_FILE_HEADER || memcmp(buf, "DKIF", 4) != 0) return BRTC_ERR_PARSE;
  if (brtc_rd16le(buf + 4) != 0) return BRTC_ERR_PARSE;
  h->header_len = brtc_rd16le(buf + 6);
  if (h->header_len < BRTC_IVF_FILE_HEADER || h->header_len > len) return BRTC_ERR_PARSE;
  memcpy(h->fourcc, buf + 8, 4);
  h->width = brtc_rd16le(buf + 12);
  h->height = brtc_rd16le(buf + 14);
  h->timebase_den = brtc_rd32le(buf + 16);
  h->timebase_num = brtc_rd32le(buf + 20);
  h->frame_count = brtc_rd32le(buf + 24);
  if (h->timebase_den == 0 || h->timebase_num == 0) return BRTC_ERR_PARSE;
  return 0;
}

int brtc_ivf_next_frame(const uint8_t *buf, size_t len, size_t *pos, brtc_ivf_frame *f) {
  size_t p = *pos;
  if (p == len) return BRTC_ERR_NOT_FOUND;
  if (p > len || len - p < BRTC_IVF_FRAME_HEADER) return BRTC_ERR_PARSE;
  uint32_t size = brtc_rd32le(buf + p);
  if (len - p - BRTC_IVF_FRAME_HEADER < size) return BRTC_ERR_PARSE;
  f->size = size;
  f->pts = brtc_rd64le(buf + p + 4);
  f->offset = p + BRTC_IVF_FRAME_HEADER;
  *pos = f->offset + size;
  return 0;
}
