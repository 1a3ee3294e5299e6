/* H.264 in SDP (RFC 6184 8.1, 8.2.2; JSEP RFC 8829): the fmtp parameters, profile-level-id,
 * whether an offered H.264 format is one we can take, the level to answer with, and which of
 * several offered H.264 payload types to pick. Pure functions on text and small structs; the
 * SDP parser and writer call them. */
#ifndef BRTC_H264_SDP_H
#define BRTC_H264_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Profiles by profile_idc and profile-iop (RFC 6184 8.1 Table 5, H.264 A.2). */
typedef enum brtc_h264_profile {
  BRTC_H264_PROFILE_UNKNOWN = 0, /* a profile_idc/iop pair not in the table */
  BRTC_H264_PROFILE_CONSTRAINED_BASELINE,
  BRTC_H264_PROFILE_BASELINE,
  BRTC_H264_PROFILE_MAIN,
  BRTC_H264_PROFILE_EXTENDED,
  BRTC_H264_PROFILE_HIGH,
  BRTC_H264_PROFILE_PROGRESSIVE_HIGH,
  BRTC_H264_PROFILE_CONSTRAINED_HIGH,
  BRTC_H264_PROFILE_HIGH_10,
  BRTC_H264_PROFILE_HIGH_422,
  BRTC_H264_PROFILE_HIGH_444,
  BRTC_H264_PROFILE_HIGH_10_INTRA,
  BRTC_H264_PROFILE_HIGH_422_INTRA,
  BRTC_H264_PROFILE_HIGH_444_INTRA,
  BRTC_H264_PROFILE_CAVLC_444_INTRA,
} brtc_h264_profile;

/* Level 1b: level_idc 11 with constraint_set3 in Baseline/Main/Extended, or level_idc 9. */
#define BRTC_H264_LEVEL_1B 0

typedef struct brtc_h264_profile_level_id {
  uint8_t profile_idc, profile_iop, level_idc; /* the three bytes as written */
  brtc_h264_profile profile;
  uint8_t level; /* level_idc (10 = 1.0, 31 = 3.1, ...) or BRTC_H264_LEVEL_1B */
} brtc_h264_profile_level_id;

/* "42e01f" (exactly six hex digits, either case). BRTC_ERR_PARSE otherwise, or for a level
 * that H.264 Table A-1 does not define. */
int brtc_h264_profile_level_id_parse(const char *s, size_t len, brtc_h264_profile_level_id *out);
/* Whether level a is lower than level b (1b sits between 1.0 and 1.1). */
bool brtc_h264_level_lower(uint8_t a, uint8_t b);
const char *brtc_h264_profile_name(brtc_h264_profile p);

#define BRTC_H264_SPROP_MAX 256

typedef struct brtc_h264_fmtp {
  brtc_h264_profile_level_id profile_level_id; /* 42000a (Baseline, 1.0) when absent */
  bool has_profile_level_id;
  uint8_t packetization_mode; /* 0 when absent */
  bool level_asymmetry_allowed;
  uint32_t max_mbps, max_fs, max_br, max_cpb, max_dpb; /* 0 when absent */
  char sprop_parameter_sets[BRTC_H264_SPROP_MAX];      /* "" when absent */
} brtc_h264_fmtp;

/* Parse the parameters of an a=fmtp line ("level-asymmetry-allowed=1;packetization-mode=1;
 * profile-level-id=42e01f"), len bytes, not NUL-terminated. Unknown parameters are ignored.
 * BRTC_ERR_PARSE for a malformed profile-level-id, a packetization-mode other than 0..2, a
 * non-numeric max-*, or a sprop-parameter-sets longer than BRTC_H264_SPROP_MAX - 1. */
int brtc_h264_fmtp_parse(const char *s, size_t len, brtc_h264_fmtp *out);
/* Write the parameters we answer or offer with: level-asymmetry-allowed (when set),
 * packetization-mode, profile-level-id (the bytes of profile_level_id). BRTC_ERR_TOO_BIG if
 * cap is short. */
int brtc_h264_fmtp_write(const brtc_h264_fmtp *f, char *out, size_t cap);

/* RFC 6184 8.2.2 and JSEP: two H.264 formats are the same (may be answered with each other)
 * when their packetization-mode and profile are the same; the level may differ. Unknown
 * profiles match only the same profile_idc and profile-iop bytes. */
bool brtc_h264_same_format(const brtc_h264_fmtp *a, const brtc_h264_fmtp *b);

/* The fmtp to answer an offered format with, given the local one it matched: the offer's
 * profile bytes and packetization-mode, and the level we can receive: ours when both sides
 * allow level asymmetry (RFC 6184 8.1 level-asymmetry-allowed), else the lower of the two.
 * BRTC_ERR_UNSUPPORTED if they are not the same format. */
int brtc_h264_answer_fmtp(const brtc_h264_fmtp *offered, const brtc_h264_fmtp *local,
                          brtc_h264_fmtp *answer);

typedef struct brtc_h264_choice {
  size_t offered_index; /* into the offered list */
  size_t local_index;   /* into the local list */
  brtc_h264_fmtp answer;
} brtc_h264_choice;

/* Pick one of several offered H.264 formats (browsers offer 4 to 8: profiles times
 * packetization modes). local lists what we take, most wanted first; the first local format
 * that some offered one matches wins, and among the offered ones that match it, the first in
 * the offer's order. BRTC_ERR_NOT_FOUND if none matches. */
int brtc_h264_pick(const brtc_h264_fmtp *offered, size_t n_offered, const brtc_h264_fmtp *local,
                   size_t n_local, brtc_h264_choice *out);

/* sprop-parameter-sets (RFC 6184 8.1): base64 NAL units separated by commas. Decodes the
 * first SPS and the first PPS into the buffers (cap bytes each; NULL to skip one);
 * *sps_len / *pps_len are 0 when absent. BRTC_ERR_PARSE for bad base64 or a unit that is
 * neither, BRTC_ERR_TOO_BIG when one does not fit. */
int brtc_h264_sprop_decode(const char *sprop, uint8_t *sps, size_t sps_cap, size_t *sps_len,
                           uint8_t *pps, size_t pps_cap, size_t *pps_len);

#endif
