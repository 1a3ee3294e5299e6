/* H.264 Annex-B reader: every unit through the SPS/PPS/slice header readers, then the input
 * as a whole file (access units, parameter sets put back before IDRs), then played. */
#include "fuzz_source_play.h"
#include "sources/h264_annexb.h"
#include "sources/h264_headers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int h264_at_vui_rate(uint8_t *buf, size_t len, brtc_frame_index *ix, brtc_file_info *info,
                            char *err, size_t err_cap) {
  return brtc_h264_index(buf, len, 0, 0, ix, info, err, err_cap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t pos = 0, len;
  const uint8_t *nal;
  brtc_h264_sps sps = {.log2_max_frame_num = 4, .frame_mbs_only = 0};
  while (brtc_annexb_next_nal(data, size, &pos, &nal, &len) == 0) {
    if (len == 0 || nal < data || nal + len > data + size) __builtin_trap();
    brtc_h264_sps s;
    brtc_h264_pps p;
    brtc_h264_slice_header h;
    if (brtc_h264_parse_sps(nal, len, &s) == 0) {
      if (s.width == 0 || s.height == 0 || s.log2_max_frame_num > 16) __builtin_trap();
      sps = s;
    }
    (void)brtc_h264_parse_pps(nal, len, &p);
    (void)brtc_h264_parse_slice_header(nal, len, &sps, &h);
  }
  fuzz_read_and_play(data, size, h264_at_vui_rate, BRTC_SOURCE_H264, 90000);
  return 0;
}
