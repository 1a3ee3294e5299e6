/* The H.264 parameter parsers: the input as an SPS NAL unit (its header forced to type 7),
 * as the start of a slice header, and as SDP text: an a=fmtp value, a profile-level-id and
 * sprop-parameter-sets. */
#include <stdint.h>
#include <string.h>

#include "boltrtc/error.h"
#include "codec/h264.h"
#include "codec/h264_sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t nal[4096];
  if (size > sizeof nal) return 0;
  if (size) {
    memcpy(nal, data, size);
    nal[0] = (uint8_t)((nal[0] & 0x60) | BRTC_H264_NAL_SPS);
  }
  brtc_h264_sps s;
  int rc = brtc_h264_sps_parse(nal, size, &s);
  if (rc == BRTC_OK) {
    if (s.width == 0 || s.height == 0 || s.width > BRTC_H264_MAX_SIDE ||
        s.height > BRTC_H264_MAX_SIDE || s.chroma_format_idc > 3 || s.bit_depth_luma > 14 ||
        s.sps_id > 31)
      __builtin_trap();
  } else if (rc != BRTC_ERR_PARSE && rc != BRTC_ERR_TOO_BIG) {
    __builtin_trap();
  }
  (void)brtc_h264_first_mb_in_slice(data, size);

  /* As text. */
  brtc_h264_fmtp f;
  if (brtc_h264_fmtp_parse((const char *)data, size, &f) == BRTC_OK) {
    char out[128];
    if (brtc_h264_fmtp_write(&f, out, sizeof out) != BRTC_OK) __builtin_trap();
    brtc_h264_fmtp again;
    if (brtc_h264_fmtp_parse(out, strlen(out), &again) != BRTC_OK ||
        !brtc_h264_same_format(&f, &again))
      __builtin_trap();
    brtc_h264_fmtp local[2], answer;
    const char *l0 = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f";
    const char *l1 = "packetization-mode=1;profile-level-id=64001f";
    brtc_h264_fmtp_parse(l0, strlen(l0), &local[0]);
    brtc_h264_fmtp_parse(l1, strlen(l1), &local[1]);
    brtc_h264_choice c;
    if (brtc_h264_pick(&f, 1, local, 2, &c) == BRTC_OK &&
        !brtc_h264_same_format(&c.answer, &local[c.local_index]))
      __builtin_trap();
    (void)brtc_h264_answer_fmtp(&f, &local[0], &answer);
    uint8_t sps[256], pps[256];
    size_t sl, pl;
    (void)brtc_h264_sprop_decode(f.sprop_parameter_sets, sps, sizeof sps, &sl, pps, sizeof pps,
                                 &pl);
  }
  brtc_h264_profile_level_id p;
  (void)brtc_h264_profile_level_id_parse((const char *)data, size, &p);
  return 0;
}
