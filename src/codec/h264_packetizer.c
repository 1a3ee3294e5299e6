/* H.264 access unit -> RTP payloads (RFC 6184, packetization-mode 1).
 *
 * The access unit is split into NAL unit references once, at push; next() then walks them:
 * a run of small units that fit together goes out as one STAP-A (5.7.1), a unit that fits
 * alone as a single NAL unit packet (5.6), a larger one as FU-A fragments (5.8). Nothing is
 * allocated after _new: payloads are written straight into the caller's buffer. */
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "codec/h264_rtp.h"
#include "common/bytes.h"

#define FU_HEADER 2   /* FU indicator + FU header */
#define STAP_HEADER 1 /* STAP-A NAL header */
#define STAP_SIZE 2   /* NALU size field before each aggregated unit */
#define MIN_PAYLOAD 3 /* an FU-A with one byte of its unit */

struct brtc_h264_packetizer {
  size_t max_payload;      /* for the current access unit */
  size_t next_max_payload; /* from the next one on */
  /* Two spare slots in front for parameter sets put before an IDR. */
  brtc_h264_nal slots[BRTC_H264_MAX_NALS + 2];
  brtc_h264_nal *nals;
  size_t n, cur;
  /* The unit at cur being sent as FU-A: fragments already sent, and how many in all. */
  size_t fu_index, fu_count, fu_off;
  size_t remaining;
  bool keyframe;
  uint8_t sps[BRTC_H264_MAX_PARAMETER_SET], pps[BRTC_H264_MAX_PARAMETER_SET];
  size_t sps_len, pps_len;
  brtc_h264_packetizer_stats stats;
};

brtc_h264_packetizer *brtc_h264_packetizer_new(size_t max_payload) {
  if (max_payload < MIN_PAYLOAD) return NULL;
  brtc_h264_packetizer *p = calloc(1, sizeof(*p));
  if (!p) return NULL;
  p->max_payload = p->next_max_payload = max_payload;
  p->nals = p->slots;
  return p;
}

void brtc_h264_packetizer_free(brtc_h264_packetizer *p) { free(p); }

int brtc_h264_packetizer_set_max_payload(brtc_h264_packetizer *p, size_t max_payload) {
  if (!p || max_payload < MIN_PAYLOAD) return BRTC_ERR_INVALID;
  p->next_max_payload = max_payload;
  return BRTC_OK;
}

/* How NAL unit i goes out: as the first of k units in one STAP-A (k >= 2), alone (k = 1),
 * or in FU-A fragments (k = 0). */
static size_t group(const brtc_h264_packetizer *p, size_t i) {
  size_t max = p->max_payload, used = STAP_HEADER, k = 0;
  while (i + k < p->n && p->nals[i + k].len <= 0xFFFF &&
         used + STAP_SIZE + p->nals[i + k].len <= max) {
    used += STAP_SIZE + p->nals[i + k].len;
    k++;
  }
  if (k >= 2) return k;
  return p->nals[i].len <= max ? 1 : 0;
}

static size_t fragments(const brtc_h264_packetizer *p, size_t len) {
  size_t room = p->max_payload - FU_HEADER;
  return (len - 1 + room - 1) / room; /* the NAL header byte travels in the FU headers */
}

static size_t count_payloads(const brtc_h264_packetizer *p) {
  size_t total = 0;
  for (size_t i = p->cur; i < p->n;) {
    size_t k = group(p, i);
    total += k ? 1 : fragments(p, p->nals[i].len);
    i += k ? k : 1;
  }
  return total;
}

/* A set too long to keep is forgotten, never replaced by an older one. */
static void remember(uint8_t *buf, size_t *buf_len, const brtc_h264_nal *nal) {
  *buf_len = 0;
  if (nal->len > BRTC_H264_MAX_PARAMETER_SET) return;
  memcpy(buf, nal->data, nal->len);
  *buf_len = nal->len;
}

/* The list is in slots[2..2+n): look at it, remember parameter sets, put the remembered
 * ones in front of an IDR that lacks them. */
static void prepare(brtc_h264_packetizer *p, size_t n) {
  brtc_h264_nal *list = p->slots + 2;
  bool idr = false, sps = false, pps = false;
  for (size_t i = 0; i < n; i++) {
    uint8_t type = brtc_h264_nal_type(list[i].data[0]);
    if (type == BRTC_H264_NAL_IDR) idr = true;
    if (type == BRTC_H264_NAL_SPS) {
      sps = true;
      remember(p->sps, &p->sps_len, &list[i]);
    }
    if (type == BRTC_H264_NAL_PPS) {
      pps = true;
      remember(p->pps, &p->pps_len, &list[i]);
    }
  }
  p->nals = list;
  p->n = n;
  if (idr && !pps && p->pps_len) {
    *--p->nals = (brtc_h264_nal){p->pps, p->pps_len};
    p->n++;
    p->stats.parameter_sets_inserted++;
    pps = true;
  }
  if (idr && !sps && p->sps_len) {
    *--p->nals = (brtc_h264_nal){p->sps, p->sps_len};
    p->n++;
    p->stats.parameter_sets_inserted++;
    sps = true;
  }
  if (idr && (!sps || !pps)) p->stats.idr_without_parameter_sets++;
  p->keyframe = idr;
  p->cur = p->fu_index = p->fu_count = p->fu_off = 0;
  p->max_payload = p->next_max_payload;
  p->remaining = count_payloads(p);
  p->stats.access_units++;
}

/* Units that carry nothing a receiver needs: RTP's marker bit delimits access units. */
static bool dropped(uint8_t type) {
  return type == BRTC_H264_NAL_AUD || type == BRTC_H264_NAL_FILLER;
}

int brtc_h264_packetizer_push_annexb(brtc_h264_packetizer *p, const uint8_t *au, size_t len) {
  if (!p || !au) return BRTC_ERR_INVALID;
  if (p->remaining) return BRTC_ERR_STATE;
  if (!brtc_h264_annexb_starts(au, len)) return BRTC_ERR_PARSE;
  brtc_h264_nal *list = p->slots + 2, nal;
  size_t n = 0, pos = 0;
  while (brtc_h264_annexb_next(au, len, &pos, &nal)) {
    if (nal.data[0] & 0x80) return BRTC_ERR_PARSE; /* forbidden_zero_bit */
    if (dropped(brtc_h264_nal_type(nal.data[0]))) {
      p->stats.nals_dropped++;
      continue;
    }
    if (n == BRTC_H264_MAX_NALS) return BRTC_ERR_TOO_BIG;
    list[n++] = nal;
  }
  if (n == 0) return BRTC_ERR_PARSE;
  prepare(p, n);
  return BRTC_OK;
}

int brtc_h264_packetizer_push_nals(brtc_h264_packetizer *p, const brtc_h264_nal *nals,
                                   size_t n) {
  if (!p || (n && !nals)) return BRTC_ERR_INVALID;
  if (p->remaining) return BRTC_ERR_STATE;
  brtc_h264_nal *list = p->slots + 2;
  size_t kept = 0;
  for (size_t i = 0; i < n; i++) {
    if (!nals[i].data || nals[i].len == 0 || (nals[i].data[0] & 0x80)) return BRTC_ERR_INVALID;
    if (dropped(brtc_h264_nal_type(nals[i].data[0]))) {
      p->stats.nals_dropped++;
      continue;
    }
    if (kept == BRTC_H264_MAX_NALS) return BRTC_ERR_TOO_BIG;
    list[kept++] = nals[i];
  }
  if (kept == 0) return BRTC_ERR_INVALID;
  prepare(p, kept);
  return BRTC_OK;
}

bool brtc_h264_packetizer_is_keyframe(const brtc_h264_packetizer *p) { return p && p->keyframe; }

size_t brtc_h264_packetizer_remaining(const brtc_h264_packetizer *p) {
  return p ? p->remaining : 0;
}

void brtc_h264_packetizer_discard(brtc_h264_packetizer *p) {
  if (!p) return;
  p->cur = p->n = p->remaining = 0;
  p->fu_index = p->fu_count = p->fu_off = 0;
}

/* RFC 6184 5.7.1: the STAP-A header's F is the OR and NRI the largest of its units'. */
static size_t write_stap_a(brtc_h264_packetizer *p, size_t k, uint8_t *out) {
  uint8_t f = 0, nri = 0;
  size_t off = STAP_HEADER;
  for (size_t j = 0; j < k; j++) {
    const brtc_h264_nal *u = &p->nals[p->cur + j];
    f |= u->data[0] & 0x80;
    if ((u->data[0] & 0x60) > nri) nri = u->data[0] & 0x60;
    brtc_wr16(out + off, (uint16_t)u->len);
    memcpy(out + off + STAP_SIZE, u->data, u->len);
    off += STAP_SIZE + u->len;
  }
  out[0] = (uint8_t)(f | nri | BRTC_H264_STAP_A);
  p->cur += k;
  p->stats.stap_a++;
  return off;
}

/* RFC 6184 5.8: FU indicator carries F and NRI, the FU header S, E and the unit's type;
 * the unit's own header byte is not sent. Sizes are balanced: the first (len-1) % count
 * fragments carry one byte more. */
static size_t write_fu_a(brtc_h264_packetizer *p, uint8_t *out, size_t cap, bool *fits) {
  const brtc_h264_nal *u = &p->nals[p->cur];
  if (p->fu_count == 0) {
    p->fu_count = fragments(p, u->len);
    p->fu_index = 0;
    p->fu_off = 1;
  }
  size_t body = u->len - 1, base = body / p->fu_count, extra = body % p->fu_count;
  size_t chunk = base + (p->fu_index < extra ? 1 : 0);
  if (cap < FU_HEADER + chunk) {
    *fits = false;
    return 0;
  }
  bool first = p->fu_index == 0, last = p->fu_index + 1 == p->fu_count;
  out[0] = (uint8_t)((u->data[0] & 0xE0) | BRTC_H264_FU_A);
  out[1] = (uint8_t)((first ? 0x80 : 0) | (last ? 0x40 : 0) | brtc_h264_nal_type(u->data[0]));
  memcpy(out + FU_HEADER, u->data + p->fu_off, chunk);
  p->fu_off += chunk;
  p->fu_index++;
  if (last) {
    p->cur++;
    p->fu_index = p->fu_count = p->fu_off = 0;
  }
  p->stats.fu_a++;
  return FU_HEADER + chunk;
}

int brtc_h264_packetizer_next(brtc_h264_packetizer *p, uint8_t *out, size_t cap, size_t *len,
                              bool *marker) {
  if (!p || !out || !len || !marker) return BRTC_ERR_INVALID;
  if (p->cur >= p->n) return BRTC_ERR_AGAIN;
  size_t k = p->fu_count ? 0 : group(p, p->cur), n;
  if (k >= 2) {
    size_t need = STAP_HEADER;
    for (size_t j = 0; j < k; j++) need += STAP_SIZE + p->nals[p->cur + j].len;
    if (cap < need) return BRTC_ERR_TOO_BIG;
    n = write_stap_a(p, k, out);
  } else if (k == 1) {
    const brtc_h264_nal *u = &p->nals[p->cur];
    if (cap < u->len) return BRTC_ERR_TOO_BIG;
    memcpy(out, u->data, u->len);
    n = u->len;
    p->cur++;
    p->stats.single_nal++;
  } else {
    bool fits = true;
    n = write_fu_a(p, out, cap, &fits);
    if (!fits) return BRTC_ERR_TOO_BIG;
  }
  p->remaining--;
  p->stats.packets++;
  *len = n;
  *marker = p->cur >= p->n;
  if (*marker) p->n = p->cur = 0; /* the caller's bytes are no longer referenced */
  return BRTC_OK;
}

const brtc_h264_packetizer_stats *brtc_h264_packetizer_get_stats(const brtc_h264_packetizer *p) {
  return p ? &p->stats : NULL;
}
