/* Writing one access unit, with parameter sets before an IDR that lacks them. */
#include "sources/h264_au.h"

#include "boltrtc/error.h"
#include "sources/h264_annexb.h"

static const uint8_t start_code[4] = {0, 0, 0, 1};

bool brtc_h264_nal_is_kept(uint8_t type) {
  return type == BRTC_H264_NAL_SLICE || type == BRTC_H264_NAL_IDR || type == BRTC_H264_NAL_SEI ||
         type == BRTC_H264_NAL_SPS || type == BRTC_H264_NAL_PPS;
}

static int put(brtc_growbuf *out, const uint8_t *nal, size_t len) {
  int rc = brtc_growbuf_append(out, start_code, sizeof(start_code));
  return rc < 0 ? rc : brtc_growbuf_append(out, nal, len);
}

int brtc_h264_au_write(const brtc_h264_paramsets *ps, const brtc_h264_nal_ref *nals, size_t n,
                       brtc_growbuf *out, bool *idr) {
  *idr = false;
  int pps_id = -1;
  bool has_sps = false, has_pps = false;
  for (size_t i = 0; i < n; i++) {
    uint8_t type = nals[i].p[0] & 0x1f;
    if (type == BRTC_H264_NAL_IDR && !*idr) {
      *idr = true;
      uint8_t id;
      if (brtc_h264_slice_pps_id(nals[i].p, nals[i].len, &id) < 0) return BRTC_ERR_PARSE;
      pps_id = id;
    }
  }
  if (*idr) {
    if (!brtc_h264_paramsets_sps_for_pps(ps, (uint8_t)pps_id)) return BRTC_ERR_PARSE;
    uint8_t sps_id = ps->pps[pps_id].sps_id;
    for (size_t i = 0; i < n; i++) {
      uint8_t type = nals[i].p[0] & 0x1f;
      brtc_h264_sps sps;
      brtc_h264_pps pps;
      if (type == BRTC_H264_NAL_SPS && brtc_h264_parse_sps(nals[i].p, nals[i].len, &sps) == 0 &&
          sps.sps_id == sps_id)
        has_sps = true;
      if (type == BRTC_H264_NAL_PPS && brtc_h264_parse_pps(nals[i].p, nals[i].len, &pps) == 0 &&
          pps.pps_id == pps_id)
        has_pps = true;
    }
    /* Both, in that order, when either is missing: a PPS is read against its SPS. */
    int rc;
    if (!has_sps || !has_pps) {
      if ((rc = put(out, ps->sps_nal[sps_id].nal, ps->sps_nal[sps_id].len)) < 0) return rc;
      if ((rc = put(out, ps->pps_nal[pps_id].nal, ps->pps_nal[pps_id].len)) < 0) return rc;
    }
  }
  for (size_t i = 0; i < n; i++) {
    if (!brtc_h264_nal_is_kept(nals[i].p[0] & 0x1f)) continue;
    int rc = put(out, nals[i].p, nals[i].len);
    if (rc < 0) return rc;
  }
  return 0;
}
