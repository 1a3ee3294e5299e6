/* One H.264 access unit written out the way a source hands it: Annex-B with 4-byte start
 * codes, slices, SEI and parameter sets kept; delimiters, filler, end-of-sequence/stream and
 * extension-layer units dropped (RTP carries none of them usefully, and an end-of-stream in
 * the middle of a loop would confuse a decoder); an IDR given the SPS and PPS it uses when
 * it does not carry them. Used by the H.264 file reader and the camera. */
#ifndef BRTC_SOURCES_H264_AU_H
#define BRTC_SOURCES_H264_AU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sources/growbuf.h"
#include "sources/h264_paramsets.h"

typedef struct brtc_h264_nal_ref {
  const uint8_t *p;
  size_t len;
} brtc_h264_nal_ref;

/* True for the unit types a source passes on: 1 (slice), 5 (IDR slice), 6 (SEI), 7, 8. */
bool brtc_h264_nal_is_kept(uint8_t type);

/* Appends the access unit nals[0..n) to out. ps must already hold the parameter sets the
 * unit's own SPS/PPS carry. *idr tells whether it holds an IDR slice. BRTC_ERR_PARSE if an
 * IDR's PPS or SPS is unknown. */
int brtc_h264_au_write(const brtc_h264_paramsets *ps, const brtc_h264_nal_ref *nals, size_t n,
                       brtc_growbuf *out, bool *idr);

#endif
