/* IVF (VP8) file -> index of frames at 90 kHz. */
#include <stdio.h>
#include <string.h>

#include "boltrtc/error.h"
#include "codec/vp8.h"
#include "common/bytes.h"
#include "sources/file_formats.h"
#include "sources/ivf.h"
#include "sources/playout.h"

/* Frames further apart than this make the file refused: a broken pts would otherwise make
 * the source wait for hours. */
#define IVF_MAX_GAP_90K (10ull * 90000)

int brtc_ivf_index(uint8_t *buf, size_t len, brtc_frame_index *ix, brtc_file_info *info,
                   char *err, size_t err_cap) {
  memset(ix, 0, sizeof(*ix));
  memset(info, 0, sizeof(*info));
  ix->data = buf;
  ix->data_len = len;
  brtc_ivf_header h;
  if (brtc_ivf_parse_header(buf, len, &h) < 0)
    return brtc_frame_index_fail(ix, BRTC_ERR_PARSE, err, err_cap, "not an IVF file header");
  if (strcmp(h.fourcc, "VP80") != 0)
    return brtc_frame_index_fail(ix, BRTC_ERR_UNSUPPORTED, err, err_cap,
                                 "IVF fourcc \"%.4s\": only VP8 (VP80) is played", h.fourcc);
  size_t pos = h.header_len;
  uint64_t first_pts = 0, prev_ts = 0;
  for (size_t n = 0;; n++) {
    brtc_ivf_frame f;
    int rc = brtc_ivf_next_frame(buf, len, &pos, &f);
    if (rc == BRTC_ERR_NOT_FOUND) break;
    if (rc < 0) {
      /* A size past the end: a recording cut short (play what is whole), unless the size
       * is beyond any frame, which is corruption. */
      if (len - pos >= BRTC_IVF_FRAME_HEADER && brtc_rd32le(buf + pos) > BRTC_SOURCE_MAX_FRAME_BYTES)
        return brtc_frame_index_fail(ix, BRTC_ERR_TOO_BIG, err, err_cap,
                                     "IVF frame %zu claims %u bytes", n, brtc_rd32le(buf + pos));
      info->truncated = true;
      break;
    }
    if (f.size == 0)
      return brtc_frame_index_fail(ix, BRTC_ERR_PARSE, err, err_cap, "IVF frame %zu is 0 bytes", n);
    if (f.size > BRTC_SOURCE_MAX_FRAME_BYTES)
      return brtc_frame_index_fail(ix, BRTC_ERR_TOO_BIG, err, err_cap,
                                   "IVF frame %zu is %u bytes, more than %u", n, f.size,
                                   BRTC_SOURCE_MAX_FRAME_BYTES);
    const uint8_t *fr = buf + f.offset;
    uint16_t w = 0, hgt = 0;
    bool key = brtc_vp8_frame_is_keyframe(fr, f.size, &w, &hgt);
    /* RFC 6386 9.1: a clear P bit in the frame tag says key frame, and the start code and
     * the size must follow; an inter frame needs at least its 3-byte tag. */
    if (!(fr[0] & 1) && (!key || w == 0 || hgt == 0))
      return brtc_frame_index_fail(ix, BRTC_ERR_PARSE, err, err_cap,
                                   "IVF frame %zu: broken VP8 keyframe header", n);
    if (f.size < 3)
      return brtc_frame_index_fail(ix, BRTC_ERR_PARSE, err, err_cap,
                                   "IVF frame %zu: %u bytes, no VP8 frame tag", n, f.size);
    if (!ix->count && !key) {
      info->skipped_before_keyframe++; /* undecodable without the keyframe before it */
      continue;
    }
    if (!ix->count) {
      first_pts = f.pts;
      ix->width = w;
      ix->height = hgt;
    }
    uint64_t ts;
    if (f.pts < first_pts ||
        !brtc_rescale(f.pts - first_pts, 90000ull * h.timebase_num, h.timebase_den, &ts) ||
        ts < prev_ts)
      return brtc_frame_index_fail(ix, BRTC_ERR_PARSE, err, err_cap,
                                   "IVF frame %zu: pts %llu goes back", n,
                                   (unsigned long long)f.pts);
    if (ix->count && ts - prev_ts > IVF_MAX_GAP_90K)
      return brtc_frame_index_fail(ix, BRTC_ERR_PARSE, err, err_cap,
                                   "IVF frame %zu comes %llu ms after the one before", n,
                                   (unsigned long long)((ts - prev_ts) / 90));
    rc = brtc_frame_index_add(ix, f.offset, f.size, ts, key);
    if (rc < 0) return brtc_frame_index_fail(ix, rc, err, err_cap, "IVF frame %zu: out of memory", n);
    prev_ts = ts;
  }
  if (!ix->count)
    return brtc_frame_index_fail(ix, BRTC_ERR_PARSE, err, err_cap,
                                 "IVF file has no complete VP8 keyframe");
  brtc_frame_index_finish(ix, 3000);
  return 0;
}
