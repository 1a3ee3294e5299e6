/* H.264 Annex B byte streams (ITU-T H.264 Annex B): NAL units after 00 00 01 start codes
 * (often 00 00 00 01). A splitter only; h264_headers.h reads inside the units. */
#ifndef BRTC_SOURCES_H264_ANNEXB_H
#define BRTC_SOURCES_H264_ANNEXB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* H.264 7.4.1: nal_unit_type values this code names. */
enum {
  BRTC_H264_NAL_SLICE = 1,
  BRTC_H264_NAL_SLICE_DPA = 2,
  BRTC_H264_NAL_SLICE_DPC = 4,
  BRTC_H264_NAL_IDR = 5,
  BRTC_H264_NAL_SEI = 6,
  BRTC_H264_NAL_SPS = 7,
  BRTC_H264_NAL_PPS = 8,
  BRTC_H264_NAL_AUD = 9,
  BRTC_H264_NAL_END_SEQUENCE = 10,
  BRTC_H264_NAL_END_STREAM = 11,
  BRTC_H264_NAL_FILLER = 12,
  BRTC_H264_NAL_PREFIX = 14,
};

/* True if buf starts with a start code (00 00 01, or 00 00 00 01). */
bool brtc_annexb_starts_with_start_code(const uint8_t *buf, size_t len);

/* The next NAL unit at or after *pos: 0 with *nal and *nal_len (the unit without its start
 * code and without the zero bytes that pad before the next one), *pos moved past it;
 * BRTC_ERR_NOT_FOUND when no start code is left. Bytes before the first start code are
 * skipped; a start code followed at once by another gives no unit. */
int brtc_annexb_next_nal(const uint8_t *buf, size_t len, size_t *pos, const uint8_t **nal,
                         size_t *nal_len);

#endif
