/* H.264 SDP parameters (RFC 6184 8.1, 8.2.2) and format matching for offer/answer. */
#include "codec/h264_sdp.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "boltrtc/error.h"
#include "codec/h264.h"

/* A profile_iop pattern: bits where mask is 1 must equal value. */
typedef struct profile_pattern {
  uint8_t idc, mask, value;
  brtc_h264_profile profile;
} profile_pattern;

/* RFC 6184 Table 5, in its order (the first match wins), then the High family of H.264
 * A.2.4-A.2.11 with its constraint flags (A.2.4.1 Progressive High: constraint_set4;
 * A.2.4.2 Constrained High: constraint_set4 and 5; the Intra profiles: constraint_set3).
 * "x1xx0000" is mask 0x4F value 0x40. */
static const profile_pattern profiles[] = {
    {0x42, 0x4F, 0x40, BRTC_H264_PROFILE_CONSTRAINED_BASELINE},
    {0x4D, 0x8F, 0x80, BRTC_H264_PROFILE_CONSTRAINED_BASELINE},
    {0x58, 0xCF, 0xC0, BRTC_H264_PROFILE_CONSTRAINED_BASELINE},
    {0x42, 0x4F, 0x00, BRTC_H264_PROFILE_BASELINE},
    {0x58, 0xCF, 0x80, BRTC_H264_PROFILE_BASELINE},
    {0x4D, 0xAF, 0x00, BRTC_H264_PROFILE_MAIN},
    {0x58, 0xCF, 0x00, BRTC_H264_PROFILE_EXTENDED},
    {0x64, 0xFF, 0x00, BRTC_H264_PROFILE_HIGH},
    {0x64, 0xFF, 0x08, BRTC_H264_PROFILE_PROGRESSIVE_HIGH},
    {0x64, 0xFF, 0x0C, BRTC_H264_PROFILE_CONSTRAINED_HIGH},
    {0x6E, 0xFF, 0x00, BRTC_H264_PROFILE_HIGH_10},
    {0x7A, 0xFF, 0x00, BRTC_H264_PROFILE_HIGH_422},
    {0xF4, 0xFF, 0x00, BRTC_H264_PROFILE_HIGH_444},
    {0x6E, 0xFF, 0x10, BRTC_H264_PROFILE_HIGH_10_INTRA},
    {0x7A, 0xFF, 0x10, BRTC_H264_PROFILE_HIGH_422_INTRA},
    {0xF4, 0xFF, 0x10, BRTC_H264_PROFILE_HIGH_444_INTRA},
    {0x2C, 0xFF, 0x10, BRTC_H264_PROFILE_CAVLC_444_INTRA},
};

static brtc_h264_profile profile_of(uint8_t idc, uint8_t iop) {
  for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++)
    if (profiles[i].idc == idc && (iop & profiles[i].mask) == profiles[i].value)
      return profiles[i].profile;
  return BRTC_H264_PROFILE_UNKNOWN;
}

const char *brtc_h264_profile_name(brtc_h264_profile p) {
  switch (p) {
  case BRTC_H264_PROFILE_CONSTRAINED_BASELINE: return "Constrained Baseline";
  case BRTC_H264_PROFILE_BASELINE: return "Baseline";
  case BRTC_H264_PROFILE_MAIN: return "Main";
  case BRTC_H264_PROFILE_EXTENDED: return "Extended";
  case BRTC_H264_PROFILE_HIGH: return "High";
  case BRTC_H264_PROFILE_PROGRESSIVE_HIGH: return "Progressive High";
  case BRTC_H264_PROFILE_CONSTRAINED_HIGH: return "Constrained High";
  case BRTC_H264_PROFILE_HIGH_10: return "High 10";
  case BRTC_H264_PROFILE_HIGH_422: return "High 4:2:2";
  case BRTC_H264_PROFILE_HIGH_444: return "High 4:4:4 Predictive";
  case BRTC_H264_PROFILE_HIGH_10_INTRA: return "High 10 Intra";
  case BRTC_H264_PROFILE_HIGH_422_INTRA: return "High 4:2:2 Intra";
  case BRTC_H264_PROFILE_HIGH_444_INTRA: return "High 4:4:4 Intra";
  case BRTC_H264_PROFILE_CAVLC_444_INTRA: return "CAVLC 4:4:4 Intra";
  default: return "unknown";
  }
}

/* level_idc values of H.264 Table A-1 (9 is 1b in the High profiles). */
static bool known_level_idc(uint8_t l) {
  static const uint8_t levels[] = {9,  10, 11, 12, 13, 20, 21, 22, 30, 31,
                                   32, 40, 41, 42, 50, 51, 52, 60, 61, 62};
  for (size_t i = 0; i < sizeof levels; i++)
    if (levels[i] == l) return true;
  return false;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Baseline, Main and Extended say 1b with level_idc 11 and constraint_set3 (A.3.1 c). */
static bool uses_set3_for_1b(uint8_t idc) { return idc == 0x42 || idc == 0x4D || idc == 0x58; }

int brtc_h264_profile_level_id_parse(const char *s, size_t len, brtc_h264_profile_level_id *out) {
  if (!s || !out) return BRTC_ERR_INVALID;
  if (len != 6) return BRTC_ERR_PARSE;
  uint8_t b[3];
  for (int i = 0; i < 3; i++) {
    int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return BRTC_ERR_PARSE;
    b[i] = (uint8_t)(hi << 4 | lo);
  }
  if (!known_level_idc(b[2])) return BRTC_ERR_PARSE;
  out->profile_idc = b[0];
  out->profile_iop = b[1];
  out->level_idc = b[2];
  out->profile = profile_of(b[0], b[1]);
  bool one_b = b[2] == 9 || (b[2] == 11 && uses_set3_for_1b(b[0]) && (b[1] & 0x10));
  out->level = one_b ? BRTC_H264_LEVEL_1B : b[2];
  return BRTC_OK;
}

static int level_rank(uint8_t level) { return level == BRTC_H264_LEVEL_1B ? 21 : 2 * level; }

bool brtc_h264_level_lower(uint8_t a, uint8_t b) { return level_rank(a) < level_rank(b); }

/* The profile-level-id bytes that say `level` for this profile. */
static void set_level(brtc_h264_profile_level_id *p, uint8_t level) {
  p->level = level;
  if (uses_set3_for_1b(p->profile_idc)) {
    if (level == BRTC_H264_LEVEL_1B) {
      p->level_idc = 11;
      p->profile_iop |= 0x10;
    } else {
      p->level_idc = level;
      /* constraint_set3 means 1b only at level_idc 11; elsewhere leave what was written */
      if (level == 11) p->profile_iop &= (uint8_t)~0x10;
    }
  } else {
    p->level_idc = level == BRTC_H264_LEVEL_1B ? 9 : level;
  }
}

static const brtc_h264_profile_level_id default_profile_level_id = {
    .profile_idc = 0x42, .profile_iop = 0x00, .level_idc = 10,
    .profile = BRTC_H264_PROFILE_BASELINE, .level = 10};

/* Decimal, no sign, fits 32 bits. */
static bool parse_u32(const char *s, size_t len, uint32_t *out) {
  if (len == 0 || len > 10) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  if (v > UINT32_MAX) return false;
  *out = (uint32_t)v;
  return true;
}

static bool key_is(const char *k, size_t klen, const char *name) {
  size_t n = strlen(name);
  return klen == n && strncasecmp(k, name, n) == 0;
}

static void trim(const char **s, size_t *len) {
  while (*len && (**s == ' ' || **s == '\t')) {
    (*s)++;
    (*len)--;
  }
  while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t')) (*len)--;
}

static int parse_param(brtc_h264_fmtp *f, const char *k, size_t klen, const char *v, size_t vlen) {
  uint32_t n;
  if (key_is(k, klen, "profile-level-id")) {
    if (brtc_h264_profile_level_id_parse(v, vlen, &f->profile_level_id) != BRTC_OK)
      return BRTC_ERR_PARSE;
    f->has_profile_level_id = true;
  } else if (key_is(k, klen, "packetization-mode")) {
    if (!parse_u32(v, vlen, &n) || n > 2) return BRTC_ERR_PARSE;
    f->packetization_mode = (uint8_t)n;
  } else if (key_is(k, klen, "level-asymmetry-allowed")) {
    if (!parse_u32(v, vlen, &n) || n > 1) return BRTC_ERR_PARSE;
    f->level_asymmetry_allowed = n == 1;
  } else if (key_is(k, klen, "sprop-parameter-sets")) {
    if (vlen >= sizeof f->sprop_parameter_sets) return BRTC_ERR_PARSE;
    memcpy(f->sprop_parameter_sets, v, vlen);
    f->sprop_parameter_sets[vlen] = 0;
  } else {
    static const char *const numeric[] = {"max-mbps", "max-fs", "max-br", "max-cpb", "max-dpb"};
    uint32_t *fields[] = {&f->max_mbps, &f->max_fs, &f->max_br, &f->max_cpb, &f->max_dpb};
    for (size_t i = 0; i < 5; i++)
      if (key_is(k, klen, numeric[i])) return parse_u32(v, vlen, fields[i]) ? BRTC_OK : BRTC_ERR_PARSE;
  }
  return BRTC_OK;
}

int brtc_h264_fmtp_parse(const char *s, size_t len, brtc_h264_fmtp *out) {
  if (!out || (len && !s)) return BRTC_ERR_INVALID;
  memset(out, 0, sizeof(*out));
  out->profile_level_id = default_profile_level_id;
  size_t i = 0;
  while (i < len) {
    size_t end = i;
    while (end < len && s[end] != ';') end++;
    const char *item = s + i;
    size_t ilen = end - i;
    trim(&item, &ilen);
    i = end + 1;
    if (ilen == 0) continue;
    const char *eq = memchr(item, '=', ilen);
    if (!eq) continue; /* a flag parameter H.264 does not define */
    const char *k = item, *v = eq + 1;
    size_t klen = (size_t)(eq - item), vlen = ilen - klen - 1;
    trim(&k, &klen);
    trim(&v, &vlen);
    int rc = parse_param(out, k, klen, v, vlen);
    if (rc != BRTC_OK) return rc;
  }
  return BRTC_OK;
}

int brtc_h264_fmtp_write(const brtc_h264_fmtp *f, char *out, size_t cap) {
  if (!f || !out) return BRTC_ERR_INVALID;
  const brtc_h264_profile_level_id *p = &f->profile_level_id;
  int n = snprintf(out, cap, "%spacketization-mode=%u;profile-level-id=%02x%02x%02x",
                   f->level_asymmetry_allowed ? "level-asymmetry-allowed=1;" : "",
                   f->packetization_mode, p->profile_idc, p->profile_iop, p->level_idc);
  return n < 0 || (size_t)n >= cap ? BRTC_ERR_TOO_BIG : BRTC_OK;
}

bool brtc_h264_same_format(const brtc_h264_fmtp *a, const brtc_h264_fmtp *b) {
  if (!a || !b || a->packetization_mode != b->packetization_mode) return false;
  const brtc_h264_profile_level_id *x = &a->profile_level_id, *y = &b->profile_level_id;
  if (x->profile == BRTC_H264_PROFILE_UNKNOWN || y->profile == BRTC_H264_PROFILE_UNKNOWN)
    return x->profile_idc == y->profile_idc &&
           (x->profile_iop & 0xEF) == (y->profile_iop & 0xEF); /* set3 may mean 1b */
  return x->profile == y->profile;
}

int brtc_h264_answer_fmtp(const brtc_h264_fmtp *offered, const brtc_h264_fmtp *local,
                          brtc_h264_fmtp *answer) {
  if (!offered || !local || !answer) return BRTC_ERR_INVALID;
  if (!brtc_h264_same_format(offered, local)) return BRTC_ERR_UNSUPPORTED;
  uint8_t ours = local->profile_level_id.level, theirs = offered->profile_level_id.level;
  bool asymmetry = offered->level_asymmetry_allowed && local->level_asymmetry_allowed;
  uint8_t level = asymmetry || brtc_h264_level_lower(ours, theirs) ? ours : theirs;
  memset(answer, 0, sizeof(*answer));
  answer->profile_level_id = offered->profile_level_id;
  set_level(&answer->profile_level_id, level);
  answer->has_profile_level_id = true;
  answer->packetization_mode = offered->packetization_mode;
  answer->level_asymmetry_allowed = asymmetry;
  return BRTC_OK;
}

int brtc_h264_pick(const brtc_h264_fmtp *offered, size_t n_offered, const brtc_h264_fmtp *local,
                   size_t n_local, brtc_h264_choice *out) {
  if (!out || (n_offered && !offered) || (n_local && !local)) return BRTC_ERR_INVALID;
  for (size_t l = 0; l < n_local; l++)
    for (size_t o = 0; o < n_offered; o++) {
      if (!brtc_h264_same_format(&offered[o], &local[l])) continue;
      out->offered_index = o;
      out->local_index = l;
      return brtc_h264_answer_fmtp(&offered[o], &local[l], &out->answer);
    }
  return BRTC_ERR_NOT_FOUND;
}

/* One base64 unit into out (cap bytes), its real length in *len. */
static int decode_unit(const char *b64, size_t n, uint8_t *out, size_t cap, size_t *len) {
  if (n == 0 || n % 4 != 0) return BRTC_ERR_PARSE;
  size_t raw = n / 4 * 3;
  uint8_t tmp[BRTC_H264_SPROP_MAX];
  if (raw > sizeof tmp) return BRTC_ERR_TOO_BIG;
  int got = EVP_DecodeBlock(tmp, (const unsigned char *)b64, (int)n);
  if (got < 0) return BRTC_ERR_PARSE;
  size_t real = (size_t)got;
  /* EVP_DecodeBlock counts the bytes '=' padding stands for: take them off. */
  if (b64[n - 1] == '=') real--;
  if (b64[n - 2] == '=') real--;
  if (real == 0) return BRTC_ERR_PARSE;
  if (real > cap) return BRTC_ERR_TOO_BIG;
  memcpy(out, tmp, real);
  *len = real;
  return BRTC_OK;
}

int brtc_h264_sprop_decode(const char *sprop, uint8_t *sps, size_t sps_cap, size_t *sps_len,
                           uint8_t *pps, size_t pps_cap, size_t *pps_len) {
  if (!sprop || (sps && !sps_len) || (pps && !pps_len)) return BRTC_ERR_INVALID;
  if (sps_len) *sps_len = 0;
  if (pps_len) *pps_len = 0;
  const char *p = sprop;
  while (*p) {
    const char *end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    uint8_t unit[BRTC_H264_SPROP_MAX];
    size_t len = 0;
    int rc = decode_unit(p, n, unit, sizeof unit, &len);
    if (rc != BRTC_OK) return rc;
    uint8_t type = brtc_h264_nal_type(unit[0]);
    if (type == BRTC_H264_NAL_SPS && sps && *sps_len == 0) {
      if (len > sps_cap) return BRTC_ERR_TOO_BIG;
      memcpy(sps, unit, len);
      *sps_len = len;
    } else if (type == BRTC_H264_NAL_PPS && pps && *pps_len == 0) {
      if (len > pps_cap) return BRTC_ERR_TOO_BIG;
      memcpy(pps, unit, len);
      *pps_len = len;
    } else if (type != BRTC_H264_NAL_SPS && type != BRTC_H264_NAL_PPS) {
      return BRTC_ERR_PARSE;
    }
    p += n;
    if (*p == ',') p++;
  }
  return BRTC_OK;
}
