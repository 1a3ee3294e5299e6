/* Latest SPS and PPS per id, parsed and as bytes. */
#include "sources/h264_paramsets.h"

#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "sources/h264_annexb.h"

void brtc_h264_paramsets_free(brtc_h264_paramsets *ps) {
  for (size_t i = 0; i < 32; i++) free(ps->sps_nal[i].nal);
  for (size_t i = 0; i < 256; i++) free(ps->pps_nal[i].nal);
  memset(ps, 0, sizeof(*ps));
}

static int keep(brtc_h264_paramset *slot, const uint8_t *nal, size_t len) {
  uint8_t *copy = malloc(len);
  if (!copy) return BRTC_ERR_NOMEM;
  memcpy(copy, nal, len);
  free(slot->nal);
  slot->nal = copy;
  slot->len = len;
  return 0;
}

int brtc_h264_paramsets_store(brtc_h264_paramsets *ps, const uint8_t *nal, size_t len) {
  if (len == 0) return BRTC_ERR_INVALID;
  if (len > BRTC_H264_PARAMSET_MAX) return BRTC_ERR_TOO_BIG;
  int type = nal[0] & 0x1f, rc;
  if (type == BRTC_H264_NAL_SPS) {
    brtc_h264_sps sps;
    if ((rc = brtc_h264_parse_sps(nal, len, &sps)) < 0) return rc;
    if ((rc = keep(&ps->sps_nal[sps.sps_id], nal, len)) < 0) return rc;
    ps->sps[sps.sps_id] = sps;
    return 0;
  }
  if (type == BRTC_H264_NAL_PPS) {
    brtc_h264_pps pps;
    if ((rc = brtc_h264_parse_pps(nal, len, &pps)) < 0) return rc;
    if ((rc = keep(&ps->pps_nal[pps.pps_id], nal, len)) < 0) return rc;
    ps->pps[pps.pps_id] = pps;
    return 0;
  }
  return BRTC_ERR_INVALID;
}

const brtc_h264_sps *brtc_h264_paramsets_sps_for_pps(const brtc_h264_paramsets *ps,
                                                     uint8_t pps_id) {
  if (!ps->pps_nal[pps_id].nal) return NULL;
  uint8_t sps_id = ps->pps[pps_id].sps_id;
  return ps->sps_nal[sps_id].nal ? &ps->sps[sps_id] : NULL;
}
