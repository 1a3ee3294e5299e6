/* The H.264 parameter sets seen so far, kept so that every IDR access unit a source hands
 * out can carry its SPS and PPS: a receiver that joins late or lost its state can decode
 * from any keyframe (as RFC 6184 8.4 advises for out-of-band-less senders). Shared by the
 * file source and the camera. */
#ifndef BRTC_SOURCES_H264_PARAMSETS_H
#define BRTC_SOURCES_H264_PARAMSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sources/h264_headers.h"

/* A parameter set larger than this is refused (real ones are tens of bytes). */
#define BRTC_H264_PARAMSET_MAX 1024

typedef struct brtc_h264_paramset {
  uint8_t *nal; /* owned copy, NULL when absent */
  size_t len;
} brtc_h264_paramset;

typedef struct brtc_h264_paramsets {
  brtc_h264_paramset sps_nal[32], pps_nal[256];
  brtc_h264_sps sps[32];
  brtc_h264_pps pps[256];
} brtc_h264_paramsets;

void brtc_h264_paramsets_free(brtc_h264_paramsets *ps);
/* An SPS or PPS unit (others: BRTC_ERR_INVALID): parsed and kept, replacing one with the
 * same id. BRTC_ERR_PARSE/UNSUPPORTED/TOO_BIG if it cannot be used. */
int brtc_h264_paramsets_store(brtc_h264_paramsets *ps, const uint8_t *nal, size_t len);
/* The SPS that PPS pps_id refers to, or NULL if either is unknown. */
const brtc_h264_sps *brtc_h264_paramsets_sps_for_pps(const brtc_h264_paramsets *ps,
                                                     uint8_t pps_id);

#endif
