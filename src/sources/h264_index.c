/* H.264 Annex-B file -> access units at 90 kHz.
 *
 * Access units are found as H.264 7.4.1.2.3 says: after a picture's slices, a delimiter,
 * SEI, SPS, PPS or unit types 14-18 start the next unit, and so does the first slice of a new
 * picture. That first slice is told by 7.4.1.2.4's comparisons that need no picture order
 * count: first_mb_in_slice 0 (no arbitrary slice order), a different frame_num, PPS,
 * reference-ness, IDR-ness or idr_pic_id. Timestamps come from a constant frame rate (the
 * caller's, else the VUI's), in decode order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "sources/file_formats.h"
#include "sources/h264_annexb.h"
#include "sources/h264_au.h"
#include "sources/playout.h"
#include "sources/source_impl.h"

typedef struct au_state {
  brtc_h264_nal_ref *nals;
  size_t n, cap;
  bool has_vcl;
  brtc_h264_slice_header first; /* the picture's first slice */
  uint8_t first_ref_idc, first_type;
} au_state;

typedef struct reader {
  brtc_h264_paramsets ps;
  au_state au;
  brtc_growbuf out;
  brtc_frame_index *ix;
  brtc_file_info *info;
  size_t aus; /* access units seen, kept or not */
  unsigned fps_num, fps_den;
  char *err;
  size_t err_cap;
} reader;

/* 7.4.1.2.4, without the picture order count comparisons (first_mb_in_slice 0 covers them
 * when slices come in order, as everything but Baseline's ASO does). */
static bool new_picture(const au_state *au, const brtc_h264_slice_header *h, uint8_t ref_idc,
                        uint8_t type) {
  const brtc_h264_slice_header *p = &au->first;
  if (h->first_mb_in_slice == 0) return true;
  if (h->frame_num != p->frame_num || h->pps_id != p->pps_id) return true;
  if (h->field_pic != p->field_pic || h->bottom_field != p->bottom_field) return true;
  if ((ref_idc == 0) != (au->first_ref_idc == 0)) return true;
  if ((type == BRTC_H264_NAL_IDR) != (au->first_type == BRTC_H264_NAL_IDR)) return true;
  return type == BRTC_H264_NAL_IDR && h->idr_pic_id != p->idr_pic_id;
}

static int flush(reader *r) {
  au_state *au = &r->au;
  if (!au->has_vcl) { /* units after the last picture (SEI, end of stream): nothing to play */
    au->n = 0;
    return 0;
  }
  size_t k = r->aus++;
  size_t start = r->out.len;
  bool idr;
  int rc = brtc_h264_au_write(&r->ps, au->nals, au->n, &r->out, &idr);
  au->n = 0;
  au->has_vcl = false;
  if (rc == BRTC_ERR_PARSE)
    return brtc_source_error(r->err, r->err_cap, rc, "H.264 access unit %zu: an IDR without its SPS or PPS before it", k);
  if (rc < 0) return brtc_source_error(r->err, r->err_cap, rc, "H.264 access unit %zu: out of memory", k);
  if (!r->ix->count && !idr) { /* undecodable before the first IDR */
    r->out.len = start;
    r->info->skipped_before_keyframe++;
    return 0;
  }
  if (!r->ix->count) {
    const brtc_h264_sps *sps = brtc_h264_paramsets_sps_for_pps(&r->ps, au->first.pps_id);
    if (sps) {
      r->ix->width = sps->width;
      r->ix->height = sps->height;
    }
  }
  uint64_t ts;
  if (!brtc_rescale(r->ix->count, 90000ull * r->fps_den, r->fps_num, &ts))
    return brtc_source_error(r->err, r->err_cap, BRTC_ERR_PARSE, "H.264 access unit %zu: timestamp overflows", k);
  rc = brtc_frame_index_add(r->ix, start, r->out.len - start, ts, idr);
  if (rc == BRTC_ERR_TOO_BIG) return brtc_source_error(r->err, r->err_cap, rc, "H.264 access unit %zu is too big", k);
  return rc < 0 ? brtc_source_error(r->err, r->err_cap, rc, "H.264 access unit %zu: out of memory", k) : 0;
}

static int add_nal(au_state *au, const uint8_t *p, size_t len) {
  if (au->n == au->cap) {
    size_t cap = au->cap ? au->cap * 2 : 16;
    brtc_h264_nal_ref *n = realloc(au->nals, cap * sizeof(*n));
    if (!n) return BRTC_ERR_NOMEM;
    au->nals = n;
    au->cap = cap;
  }
  au->nals[au->n++] = (brtc_h264_nal_ref){p, len};
  return 0;
}

/* The frame rate: the caller's, else the first SPS's VUI timing (E.2.1: a frame is two
 * ticks), else 30 fps. */
static void choose_rate(reader *r, unsigned num, unsigned den, const brtc_h264_sps *sps) {
  if (num && den) {
    r->fps_num = num;
    r->fps_den = den;
    r->info->fps_from = "caller";
  } else if (sps && sps->timing_info_present) {
    uint64_t n = sps->time_scale, d = 2ull * sps->num_units_in_tick;
    /* Refuse rates no camera makes (under 1 or over 240 fps): a broken VUI. */
    if (n >= d && n <= 240 * d) {
      uint64_t a = n, b = d;
      while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
      }
      if (d / a <= UINT32_MAX && n / a <= UINT32_MAX) {
        r->fps_num = (unsigned)(n / a);
        r->fps_den = (unsigned)(d / a);
        r->info->fps_from = "VUI";
      }
    }
  }
  if (!r->fps_num) {
    r->fps_num = 30;
    r->fps_den = 1;
    r->info->fps_from = "default";
  }
  r->info->fps_num = r->fps_num;
  r->info->fps_den = r->fps_den;
}

static int read_units(reader *r, const uint8_t *buf, size_t len, unsigned num, unsigned den) {
  size_t pos = 0, i = 0;
  const uint8_t *nal;
  size_t nal_len;
  if (!brtc_annexb_starts_with_start_code(buf, len))
    return brtc_source_error(r->err, r->err_cap, BRTC_ERR_PARSE, "no H.264 start code at the beginning");
  if (num && den) choose_rate(r, num, den, NULL);
  for (; brtc_annexb_next_nal(buf, len, &pos, &nal, &nal_len) == 0; i++) {
    uint8_t type = nal[0] & 0x1f, ref_idc = (nal[0] >> 5) & 3;
    if (nal[0] & 0x80) return brtc_source_error(r->err, r->err_cap, BRTC_ERR_PARSE, "H.264 NAL unit %zu: forbidden bit set", i);
    if (type >= BRTC_H264_NAL_SLICE_DPA && type <= BRTC_H264_NAL_SLICE_DPC)
      return brtc_source_error(r->err, r->err_cap, BRTC_ERR_UNSUPPORTED, "H.264 NAL unit %zu: data partitioning is not played", i);
    bool vcl = type == BRTC_H264_NAL_SLICE || type == BRTC_H264_NAL_IDR;
    brtc_h264_slice_header sh;
    if (vcl) {
      uint8_t pps_id;
      const brtc_h264_sps *sps = NULL;
      if (brtc_h264_slice_pps_id(nal, nal_len, &pps_id) == 0)
        sps = brtc_h264_paramsets_sps_for_pps(&r->ps, pps_id);
      if (!sps) {
        if (!r->ix->count && !r->au.has_vcl && type != BRTC_H264_NAL_IDR) continue; /* leading */
        return brtc_source_error(r->err, r->err_cap, BRTC_ERR_PARSE, "H.264 slice in NAL unit %zu: unknown PPS or SPS", i);
      }
      if (brtc_h264_parse_slice_header(nal, nal_len, sps, &sh) < 0)
        return brtc_source_error(r->err, r->err_cap, BRTC_ERR_PARSE, "H.264 NAL unit %zu: broken slice header", i);
      if (sh.field_pic)
        return brtc_source_error(r->err, r->err_cap, BRTC_ERR_UNSUPPORTED, "H.264 NAL unit %zu: field pictures are not played", i);
      if (sh.slice_type % 5 == 1) r->info->has_b_slices = true;
    }
    bool starts_au = vcl ? new_picture(&r->au, &sh, ref_idc, type)
                         : (type == BRTC_H264_NAL_AUD || type == BRTC_H264_NAL_SEI ||
                            type == BRTC_H264_NAL_SPS || type == BRTC_H264_NAL_PPS ||
                            (type >= 14 && type <= 18));
    if (r->au.has_vcl && starts_au) {
      int rc = flush(r);
      if (rc < 0) return rc;
    }
    if (type == BRTC_H264_NAL_SPS || type == BRTC_H264_NAL_PPS) {
      int rc = brtc_h264_paramsets_store(&r->ps, nal, nal_len);
      if (rc < 0)
        return brtc_source_error(r->err, r->err_cap, rc == BRTC_ERR_NOMEM ? rc : BRTC_ERR_PARSE,
                    "H.264 NAL unit %zu: a parameter set that cannot be read", i);
      brtc_h264_sps sps;
      if (type == BRTC_H264_NAL_SPS && !r->fps_num && brtc_h264_parse_sps(nal, nal_len, &sps) == 0)
        choose_rate(r, num, den, &sps);
    }
    if (vcl && !r->au.has_vcl) {
      r->au.has_vcl = true;
      r->au.first = sh;
      r->au.first_ref_idc = ref_idc;
      r->au.first_type = type;
    }
    if (add_nal(&r->au, nal, nal_len) < 0) return brtc_source_error(r->err, r->err_cap, BRTC_ERR_NOMEM, "out of memory");
  }
  return flush(r);
}

int brtc_h264_index(uint8_t *buf, size_t len, unsigned fps_num, unsigned fps_den,
                    brtc_frame_index *ix, brtc_file_info *info, char *err, size_t err_cap) {
  memset(ix, 0, sizeof(*ix));
  memset(info, 0, sizeof(*info));
  reader *r = calloc(1, sizeof(*r));
  if (!r) {
    free(buf);
    snprintf(err, err_cap, "out of memory");
    return BRTC_ERR_NOMEM;
  }
  r->ix = ix;
  r->info = info;
  r->err = err;
  r->err_cap = err_cap;
  int rc = read_units(r, buf, len, fps_num, fps_den);
  if (rc == 0 && !ix->count) rc = brtc_source_error(r->err, r->err_cap, BRTC_ERR_PARSE, "H.264 file has no IDR picture");
  if (rc == 0) {
    ix->data = r->out.p;
    ix->data_len = r->out.len;
    r->out.p = NULL;
    brtc_frame_index_finish(ix, 90000ull * r->fps_den / r->fps_num);
  } else {
    brtc_frame_index_free(ix);
  }
  free(r->out.p);
  free(r->au.nals);
  brtc_h264_paramsets_free(&r->ps);
  free(r);
  free(buf);
  return rc;
}
