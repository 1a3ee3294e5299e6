/* H.264 access units from RTP packets (RFC 6184, non-interleaved: packetization-mode 0 or
 * 1), on the shared reordering window (rtp_reorder.h).
 *
 * Each packet is checked when it comes (single NAL unit, STAP-A or FU-A; the interleaved
 * types refused) and stored with a few facts about it. An access unit is the contiguous run
 * of packets with one RTP timestamp that ends at the marker bit (RFC 6184 5.1), or, for a
 * sender that forgets the marker, just before a packet with another timestamp.
 *
 * Where a unit starts:
 * - right after the floor (the last packet dealt with) when everything since has come;
 * - after a gap, right after a packet that ends a unit (marker, or another timestamp);
 * - after a gap where the packet before is missing, at a packet that begins a picture: its
 *   first NAL unit is an SEI, SPS, PPS or access unit delimiter (those precede the slices of
 *   their unit, H.264 7.4.1.2.3), or a slice with first_mb_in_slice 0, or the FU-A start of
 *   one. Without this, a keyframe after a loss would wait for the next unit to complete.
 *
 * A complete unit's FU-A fragments must nest (start, middles, end, one NAL unit at a time);
 * one that does not is dropped as malformed. Complete units wait in the window until pop
 * writes them out as Annex-B into the caller's buffer. */
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "codec/h264_rtp.h"
#include "codec/rtp_reorder.h"
#include "common/bytes.h"

/* Per packet (slot info). */
#define KIND_MASK 0x3u
#define KIND_SINGLE 1u
#define KIND_STAP_A 2u
#define KIND_FU_A 3u
#define PIC_START 0x4u /* the packet begins a picture (see above) */

/* Per unit (frame info): NAL unit count in the low 24 bits, then: */
#define NAL_COUNT_MASK 0xFFFFFFu
#define HAS_IDR (1u << 24)
#define HAS_SPS (1u << 25)
#define HAS_PPS (1u << 26)

#define START_CODE 4

struct brtc_h264_assembler {
  brtc_reorder win;
  uint32_t ssrc;
  bool keyframe_request;
  brtc_frame_loss superseded; /* given up for a newer IDR since take_loss */
  /* Waiting for the packets after the floor while a newer unit is complete. */
  uint64_t max_wait_us;
  bool waiting;
  bool wait_has_floor;  /* false: waiting at stream start, before any unit */
  uint16_t wait_gap;    /* the first packet missing (floor + 1) when the wait began */
  uint64_t wait_until;
  /* The last SPS and PPS written out (or given from the SDP), put in front of an IDR that
   * comes without them. */
  uint8_t sps[BRTC_H264_MAX_PARAMETER_SET], pps[BRTC_H264_MAX_PARAMETER_SET];
  size_t sps_len, pps_len;
  brtc_h264_sps sps_info;
  bool sps_parsed;
  brtc_h264_assembler_stats stats;
};

brtc_h264_assembler *brtc_h264_assembler_new(void) {
  brtc_h264_assembler *a = calloc(1, sizeof(*a));
  if (!a) return NULL;
  brtc_reorder_init(&a->win, BRTC_H264_MAX_PACKET_PAYLOAD);
  return a;
}

void brtc_h264_assembler_free(brtc_h264_assembler *a) {
  if (!a) return;
  brtc_reorder_free(&a->win);
  free(a);
}

void brtc_h264_assembler_reset(brtc_h264_assembler *a) {
  if (!a) return;
  brtc_reorder_reset(&a->win, true);
  a->keyframe_request = a->sps_parsed = a->waiting = false;
  memset(&a->superseded, 0, sizeof(a->superseded));
  a->sps_len = a->pps_len = 0;
  memset(&a->stats, 0, sizeof(a->stats));
}

static void remember_nal(brtc_h264_assembler *a, const uint8_t *nal, size_t len) {
  uint8_t type = brtc_h264_nal_type(nal[0]);
  if (type == BRTC_H264_NAL_SPS) {
    a->sps_len = 0;
    a->sps_parsed = false;
    if (len > BRTC_H264_MAX_PARAMETER_SET) return; /* forgotten, never replaced by an older */
    memcpy(a->sps, nal, len);
    a->sps_len = len;
    a->sps_parsed = brtc_h264_sps_parse(nal, len, &a->sps_info) == BRTC_OK;
  } else if (type == BRTC_H264_NAL_PPS) {
    a->pps_len = 0;
    if (len > BRTC_H264_MAX_PARAMETER_SET) return;
    memcpy(a->pps, nal, len);
    a->pps_len = len;
  }
}

int brtc_h264_assembler_set_parameter_sets(brtc_h264_assembler *a, const uint8_t *sps,
                                           size_t sps_len, const uint8_t *pps, size_t pps_len) {
  if (!a) return BRTC_ERR_INVALID;
  if (sps && (sps_len == 0 || sps_len > BRTC_H264_MAX_PARAMETER_SET ||
              brtc_h264_nal_type(sps[0]) != BRTC_H264_NAL_SPS))
    return BRTC_ERR_INVALID;
  if (pps && (pps_len == 0 || pps_len > BRTC_H264_MAX_PARAMETER_SET ||
              brtc_h264_nal_type(pps[0]) != BRTC_H264_NAL_PPS))
    return BRTC_ERR_INVALID;
  if (sps) remember_nal(a, sps, sps_len);
  if (pps) remember_nal(a, pps, pps_len);
  return BRTC_OK;
}

/* ---- one packet ---- */

/* Whether a NAL unit of this type, whose payload starts at rbsp, begins a picture. */
static bool begins_picture(uint8_t type, const uint8_t *rbsp, size_t len) {
  switch (type) {
  case BRTC_H264_NAL_SEI: case BRTC_H264_NAL_SPS: case BRTC_H264_NAL_PPS:
  case BRTC_H264_NAL_AUD:
    return true;
  case BRTC_H264_NAL_SLICE: case BRTC_H264_NAL_IDR:
    return brtc_h264_first_mb_in_slice(rbsp, len) == 0;
  default:
    return false;
  }
}

/* Types a single NAL unit packet or an aggregated unit may have (RFC 6184 5.2). */
static bool is_nal_unit_type(uint8_t type) { return type >= 1 && type <= 23; }

/* Check one RTP payload (RFC 6184 5.6-5.8) and say what it is, in slot info bits. */
static int classify(const uint8_t *p, size_t len, uint32_t *info) {
  uint8_t type = brtc_h264_nal_type(p[0]);
  if (is_nal_unit_type(type)) {
    *info = KIND_SINGLE | (begins_picture(type, p + 1, len - 1) ? PIC_START : 0);
    return BRTC_OK;
  }
  if (type == BRTC_H264_STAP_A) {
    /* STAP-A header, then units each after a 16-bit size (5.7.1). A zero size carries
     * nothing and is skipped; a size past the end is malformed. */
    size_t off = 1, units = 0;
    *info = KIND_STAP_A;
    while (off < len) {
      if (len - off < 2) return BRTC_ERR_PARSE;
      size_t n = brtc_rd16(p + off);
      off += 2;
      if (n > len - off) return BRTC_ERR_PARSE;
      if (n == 0) continue;
      uint8_t t = brtc_h264_nal_type(p[off]);
      if (!is_nal_unit_type(t)) return BRTC_ERR_PARSE;
      if (units++ == 0 && begins_picture(t, p + off + 1, n - 1)) *info |= PIC_START;
      off += n;
    }
    return units ? BRTC_OK : BRTC_ERR_PARSE;
  }
  if (type == BRTC_H264_FU_A) {
    /* FU indicator, FU header (S, E, R, type), at least one byte of the unit (5.8). */
    if (len < 3) return BRTC_ERR_PARSE;
    /* S and E both set is a unit in one fragment, which 5.8 forbids a sender to make;
     * it is still unambiguous, so it is taken. */
    uint8_t t = brtc_h264_nal_type(p[1]);
    if (!is_nal_unit_type(t)) return BRTC_ERR_PARSE;
    bool start = p[1] & 0x80;
    *info = KIND_FU_A | (start && begins_picture(t, p + 2, len - 2) ? PIC_START : 0);
    return BRTC_OK;
  }
  if (type == BRTC_H264_STAP_B || type == BRTC_H264_MTAP16 || type == BRTC_H264_MTAP24 ||
      type == BRTC_H264_FU_B)
    return BRTC_ERR_UNSUPPORTED; /* interleaved mode (packetization-mode 2) only */
  return BRTC_ERR_PARSE;          /* 0, 30, 31: not defined by RFC 6184 */
}

/* ---- one access unit ---- */

typedef struct writer {
  brtc_h264_assembler *a;
  uint8_t *out; /* NULL: only measure and check */
  size_t size;
  size_t nal_start; /* of the NAL unit being written, in out */
  size_t nals;
  uint32_t flags;
} writer;

static void nal_begin(writer *w, uint8_t header) {
  if (w->out) {
    memcpy(w->out + w->size, "\x00\x00\x00\x01", START_CODE);
    w->out[w->size + START_CODE] = header;
  }
  w->nal_start = w->size + START_CODE;
  w->size += START_CODE + 1;
  w->nals++;
  uint8_t t = brtc_h264_nal_type(header);
  if (t == BRTC_H264_NAL_IDR) w->flags |= HAS_IDR;
  if (t == BRTC_H264_NAL_SPS) w->flags |= HAS_SPS;
  if (t == BRTC_H264_NAL_PPS) w->flags |= HAS_PPS;
}

static void nal_append(writer *w, const uint8_t *p, size_t n) {
  if (w->out) memcpy(w->out + w->size, p, n);
  w->size += n;
}

static void nal_end(writer *w) {
  if (w->out) remember_nal(w->a, w->out + w->nal_start, w->size - w->nal_start);
}

static void whole_nal(writer *w, const uint8_t *p, size_t n) {
  nal_begin(w, p[0]);
  nal_append(w, p + 1, n - 1);
  nal_end(w);
}

/* Walk the unit's packets, writing Annex-B when w->out is set. BRTC_ERR_PARSE when FU-A
 * fragments do not nest. */
static int walk_unit(writer *w, uint16_t first, uint16_t last) {
  const brtc_reorder *r = &w->a->win;
  bool in_fu = false;
  uint8_t fu_type = 0;
  uint16_t n = (uint16_t)(last - first + 1);
  for (uint32_t i = 0; i < n; i++) {
    const brtc_reorder_slot *s = brtc_reorder_at(r, (uint16_t)(first + i));
    if (!s) return BRTC_ERR_PARSE; /* cannot happen: the run was checked contiguous */
    if (s->padding) continue;
    const uint8_t *p = brtc_reorder_bytes(r, s);
    uint32_t kind = s->info & KIND_MASK;
    if (kind == KIND_FU_A) {
      bool start = p[1] & 0x80, end = p[1] & 0x40;
      uint8_t t = brtc_h264_nal_type(p[1]);
      if (start) {
        if (in_fu) return BRTC_ERR_PARSE; /* the previous unit never ended */
        nal_begin(w, (uint8_t)((p[0] & 0xE0) | t));
        in_fu = true;
        fu_type = t;
      } else if (!in_fu || t != fu_type) {
        return BRTC_ERR_PARSE; /* a middle or an end without its start */
      }
      nal_append(w, p + 2, s->len - 2);
      if (end) {
        nal_end(w);
        in_fu = false;
      }
      continue;
    }
    if (in_fu) return BRTC_ERR_PARSE; /* an FU-A cut short by another packet */
    if (kind == KIND_SINGLE) {
      whole_nal(w, p, s->len);
      continue;
    }
    for (size_t off = 1; off + 2 <= s->len;) { /* STAP-A, checked at push */
      size_t sz = brtc_rd16(p + off);
      off += 2;
      if (sz) whole_nal(w, p + off, sz);
      off += sz;
    }
  }
  return in_fu ? BRTC_ERR_PARSE : BRTC_OK;
}

static void request_keyframe(brtc_h264_assembler *a) { a->keyframe_request = true; }

/* first..last has every packet: queue it, or drop it if malformed. */
static void finish(brtc_h264_assembler *a, uint16_t first, uint16_t last) {
  writer w = {.a = a};
  if (walk_unit(&w, first, last) != BRTC_OK || w.nals > NAL_COUNT_MASK) {
    a->stats.frames_malformed++;
    request_keyframe(a);
    brtc_reorder_skip_to(&a->win, last);
    return;
  }
  brtc_reorder_complete(&a->win, first, last, w.size, (uint32_t)w.nals | w.flags);
}

/* Where a run from first ends: at the marker, or before a packet of another timestamp. */
static bool unit_end(const brtc_reorder *r, uint16_t first, uint16_t *last) {
  const brtc_reorder_slot *s = brtc_reorder_at(r, first);
  if (!s || s->padding) return false;
  uint32_t ts = s->ts;
  for (uint32_t i = 0; i < BRTC_REORDER_WINDOW; i++) {
    uint16_t seq = (uint16_t)(first + i);
    const brtc_reorder_slot *t = brtc_reorder_at(r, seq);
    if (!t) return false;
    if (i > 0 && (t->padding || t->ts != ts)) {
      *last = (uint16_t)(seq - 1);
      return true;
    }
    if (t->marker) {
      *last = seq;
      return true;
    }
  }
  return false;
}

/* Where the unit holding seq starts, if that can be told (see the top of the file). */
static bool unit_start(const brtc_reorder *r, uint16_t seq, uint16_t *first) {
  const brtc_reorder_slot *s = brtc_reorder_at(r, seq);
  if (!s || s->padding) return false;
  uint32_t ts = s->ts;
  for (uint32_t i = 0; i < BRTC_REORDER_WINDOW; i++) {
    uint16_t q = (uint16_t)(seq - i), prev = (uint16_t)(q - 1);
    const brtc_reorder_slot *cur = brtc_reorder_at(r, q);
    if (r->have_floor && prev == r->floor && !r->floor_unsure) {
      *first = q;
      return true;
    }
    const brtc_reorder_slot *p = brtc_reorder_at(r, prev);
    if (!p) {
      if (cur->info & PIC_START) {
        *first = q;
        return true;
      }
      return false;
    }
    if (p->padding || p->ts != ts || p->marker) {
      *first = q;
      return true;
    }
  }
  return false;
}

/* One step in order from the floor: skip padding, or queue the next unit if complete. */
static bool step_in_order(brtc_h264_assembler *a) {
  brtc_reorder *r = &a->win;
  if (!r->have_floor) return false;
  uint16_t next = (uint16_t)(r->floor + 1);
  const brtc_reorder_slot *s = brtc_reorder_at(r, next);
  if (!s) return false;
  if (s->padding) {
    brtc_reorder_skip_to(r, next);
    return true;
  }
  /* The window moved the floor past lost packets, maybe into a unit: wait for one that
   * can be told to start. */
  if (r->floor_unsure && !(s->info & PIC_START)) return false;
  uint32_t ts = s->ts;
  uint16_t seq = r->scan_valid ? (uint16_t)(r->scan_end + 1) : next;
  for (uint32_t i = 0; i < BRTC_REORDER_WINDOW; i++, seq++) {
    const brtc_reorder_slot *t = brtc_reorder_at(r, seq);
    if (!t) return false;
    if (seq != next && (t->padding || t->ts != ts)) {
      finish(a, next, (uint16_t)(seq - 1));
      return true;
    }
    if (t->marker) {
      finish(a, next, seq);
      return true;
    }
    r->scan_valid = true;
    r->scan_end = seq;
  }
  return false;
}

static bool in_scanned_unit(const brtc_reorder *r, uint16_t seq) {
  return r->have_floor && r->scan_valid && brtc_seq_diff(seq, r->floor) > 0 &&
         brtc_seq_diff(seq, r->scan_end) <= 0;
}

static bool unit_has_idr(brtc_h264_assembler *a, uint16_t first, uint16_t last) {
  writer w = {.a = a};
  return walk_unit(&w, first, last) == BRTC_OK && (w.flags & HAS_IDR);
}

/* Give up on what is missing before first, and queue first..last. When first..last is an
 * IDR unit, what is given up is superseded: an IDR picture needs nothing older (H.264
 * 8.2.1), so the units dropped for it are counted but ask for no keyframe; one that did
 * would bring a needless keyframe after the one just come, and another after that one. */
static void skip_gap_and_finish(brtc_h264_assembler *a, uint16_t first, uint16_t last) {
  brtc_reorder *r = &a->win;
  bool loss_before = r->loss, dropped = false;
  uint64_t lost_before = r->frames_lost;
  if (r->have_floor) {
    dropped = brtc_seq_diff(first, r->floor) > 1;
    if (dropped) brtc_reorder_drop(r, (uint16_t)(r->floor + 1), (uint16_t)(first - 1), true);
  } else {
    /* Stream start: packets before the first unit we can tell are a unit joined late. */
    uint16_t low = brtc_reorder_low(r);
    dropped = brtc_seq_diff(first, low) > 0;
    if (dropped) brtc_reorder_drop(r, low, (uint16_t)(first - 1), false);
  }
  if (dropped && unit_has_idr(a, first, last)) {
    r->loss = loss_before;
    uint32_t n = (uint32_t)(r->frames_lost - lost_before);
    a->superseded.frames += n;
    a->superseded.superseded += n;
    a->superseded.last_seq = (uint16_t)(first - 1);
  }
  a->waiting = false;
  finish(a, first, last);
}

/* Whether something not yet dealt with comes before first: a unit that may still complete
 * if its missing packets come. */
static bool gap_before(const brtc_reorder *r, uint16_t first) {
  if (r->have_floor) return brtc_seq_diff(first, r->floor) > 1;
  for (uint16_t q = brtc_reorder_low(r); q != first; q++) {
    const brtc_reorder_slot *s = brtc_reorder_at(r, q);
    if (s && !s->padding) return true;
  }
  return false;
}

/* The wait is over: the earliest unit not yet dealt with that is complete and whose start
 * can be told, found in one pass (a packet starts a unit right after the floor, after a
 * packet that ends one, or after a missing packet when it begins a picture). */
static bool step_after_wait(brtc_h264_assembler *a) {
  brtc_reorder *r = &a->win;
  uint16_t from = r->have_floor ? (uint16_t)(r->floor + 1) : brtc_reorder_low(r);
  uint16_t span = (uint16_t)(r->highest - from + 1);
  for (uint32_t i = 0; i < span && i < BRTC_REORDER_WINDOW; i++) {
    uint16_t q = (uint16_t)(from + i), last;
    const brtc_reorder_slot *s = brtc_reorder_at(r, q), *p = brtc_reorder_at(r, (uint16_t)(q - 1));
    if (!s || s->padding) continue;
    bool starts;
    if (r->have_floor && i == 0)
      starts = !r->floor_unsure || (s->info & PIC_START);
    else
      starts = p ? (p->padding || p->marker || p->ts != s->ts) : (s->info & PIC_START) != 0;
    if (starts && unit_end(r, q, &last)) {
      skip_gap_and_finish(a, q, last);
      return true;
    }
  }
  return false;
}

/* A unit not after the floor is complete now that `pushed` came: its own, or the one before
 * it (which a packet of another timestamp completes). If something before that unit is
 * missing, it belongs to older units: they are dropped, at once, or when the wait is over,
 * or at once for a unit holding an IDR (which needs nothing older). */
static bool step_newer(brtc_h264_assembler *a, uint16_t pushed, uint64_t now) {
  brtc_reorder *r = &a->win;
  uint16_t first = 0, last = 0;
  bool found = false, idr = false;
  for (int back = 1; back >= 0 && !idr; back--) {
    uint16_t c = (uint16_t)(pushed - back), f, l;
    if (r->have_floor && brtc_seq_diff(c, r->floor) <= 0) continue; /* dealt with */
    if (!unit_start(r, c, &f) || !unit_end(r, f, &l)) continue;
    bool has_idr = a->max_wait_us && unit_has_idr(a, f, l);
    if (!found || has_idr) { /* the earlier unit, unless the later one is a keyframe */
      first = f;
      last = l;
      idr = has_idr;
    }
    found = true;
  }
  if (!found) return false;
  if (gap_before(r, first) && a->max_wait_us && !idr) {
    bool same_gap = r->have_floor ? a->wait_has_floor && a->wait_gap == (uint16_t)(r->floor + 1)
                                  : !a->wait_has_floor;
    if (!a->waiting || !same_gap) {
      a->waiting = true;
      a->wait_has_floor = r->have_floor;
      a->wait_gap = (uint16_t)(r->floor + 1);
      a->wait_until = now + a->max_wait_us;
    }
    if (now < a->wait_until) return false;
    return step_after_wait(a);
  }
  skip_gap_and_finish(a, first, last);
  return true;
}

/* Lost, unread and late units are counted by the window. */
static void sync_stats(brtc_h264_assembler *a) {
  a->stats.frames_dropped = a->win.frames_lost;
  a->stats.frames_unread = a->win.frames_unread;
  a->stats.packets_late = a->win.packets_late;
}

static void process(brtc_h264_assembler *a, bool have_pushed, uint16_t pushed, uint64_t now) {
  for (;;) {
    if (step_in_order(a)) continue;
    if (a->waiting && now >= a->wait_until && step_after_wait(a)) continue;
    if (!have_pushed || in_scanned_unit(&a->win, pushed)) break;
    if (step_newer(a, pushed, now)) continue;
    break;
  }
  /* A wait for packets that came, or were dropped with the window, is over. */
  const brtc_reorder *r = &a->win;
  if (a->waiting && r->have_floor &&
      (!a->wait_has_floor || a->wait_gap != (uint16_t)(r->floor + 1)))
    a->waiting = false;
  if (brtc_reorder_take_loss(&a->win)) request_keyframe(a);
  sync_stats(a);
}

void brtc_h264_assembler_set_max_wait(brtc_h264_assembler *a, uint64_t max_wait_us) {
  if (a) a->max_wait_us = max_wait_us;
}

uint64_t brtc_h264_assembler_deadline(const brtc_h264_assembler *a) {
  return a && a->waiting ? a->wait_until : 0;
}

void brtc_h264_assembler_handle_timeout(brtc_h264_assembler *a, uint64_t now_us) {
  if (a && a->waiting && now_us >= a->wait_until) process(a, false, 0, now_us);
}

int brtc_h264_assembler_push(brtc_h264_assembler *a, const brtc_rtp_header *h,
                             uint64_t now_us) {
  if (!a || !h || (h->payload_len && !h->payload)) return BRTC_ERR_INVALID;
  a->stats.packets++;
  uint32_t info = 0;
  if (h->payload_len == 0) {
    a->stats.padding++;
  } else {
    int rc = classify(h->payload, h->payload_len, &info);
    if (rc == BRTC_ERR_UNSUPPORTED) {
      a->stats.packets_unsupported++;
      return rc;
    }
    if (rc != BRTC_OK) {
      a->stats.packets_bad++;
      return rc;
    }
  }
  const brtc_reorder_slot *s;
  int rc = brtc_reorder_insert(&a->win, h->sequence, h->timestamp, h->marker, info,
                               h->payload, h->payload_len, &s);
  if (rc == BRTC_ERR_REPLAY) { /* late or duplicate: counted, harmless */
    sync_stats(a);
    return BRTC_OK;
  }
  if (rc == BRTC_ERR_TOO_BIG) a->stats.packets_bad++;
  if (rc != BRTC_OK) return rc;
  a->ssrc = h->ssrc;
  process(a, true, h->sequence, now_us);
  return BRTC_OK;
}

size_t brtc_h264_assembler_ready(const brtc_h264_assembler *a) {
  return a ? a->win.ready_count : 0;
}

int brtc_h264_assembler_pop(brtc_h264_assembler *a, uint8_t *buf, size_t cap,
                            brtc_h264_frame *f) {
  if (!a || !f || (cap && !buf)) return BRTC_ERR_INVALID;
  const brtc_reorder_frame *u = brtc_reorder_peek(&a->win);
  if (!u) return BRTC_ERR_AGAIN;
  bool idr = u->info & HAS_IDR;
  bool add_sps = idr && !(u->info & HAS_SPS) && a->sps_len;
  bool add_pps = idr && !(u->info & HAS_PPS) && a->pps_len;
  size_t need = u->size + (add_sps ? START_CODE + a->sps_len : 0) +
                (add_pps ? START_CODE + a->pps_len : 0);
  const brtc_reorder_slot *head = brtc_reorder_at(&a->win, u->first);
  memset(f, 0, sizeof(*f));
  f->len = need;
  f->timestamp = head ? head->ts : 0;
  f->ssrc = a->ssrc;
  f->first_seq = u->first;
  f->last_seq = u->last;
  f->keyframe = idr;
  if (cap < need) return BRTC_ERR_TOO_BIG;

  writer w = {.a = a, .out = buf};
  if (add_sps) whole_nal(&w, a->sps, a->sps_len);
  if (add_pps) whole_nal(&w, a->pps, a->pps_len);
  (void)walk_unit(&w, u->first, u->last); /* checked when the unit completed */
  f->len = w.size;
  f->nal_units = w.nals;
  f->parameter_sets_inserted = add_sps || add_pps;
  a->stats.frames++;
  if (idr) {
    a->stats.keyframes++;
    f->decodable_alone = (w.flags & HAS_SPS) && (w.flags & HAS_PPS);
    if (!f->decodable_alone) {
      a->stats.idr_without_parameter_sets++;
      request_keyframe(a);
    }
    if (f->decodable_alone && a->sps_parsed && a->sps_info.width <= UINT16_MAX &&
        a->sps_info.height <= UINT16_MAX) {
      f->width = (uint16_t)a->sps_info.width;
      f->height = (uint16_t)a->sps_info.height;
    }
  }
  brtc_reorder_take(&a->win);
  return BRTC_OK;
}

bool brtc_h264_assembler_take_keyframe_request(brtc_h264_assembler *a) {
  if (!a) return false;
  if (brtc_reorder_take_loss(&a->win)) a->keyframe_request = true;
  bool r = a->keyframe_request;
  a->keyframe_request = false;
  return r;
}

bool brtc_h264_assembler_take_loss(brtc_h264_assembler *a, brtc_frame_loss *loss) {
  if (!a || !a->superseded.frames) return false;
  if (loss) *loss = a->superseded;
  memset(&a->superseded, 0, sizeof(a->superseded));
  return true;
}

const brtc_h264_assembler_stats *brtc_h264_assembler_get_stats(const brtc_h264_assembler *a) {
  return a ? &a->stats : NULL;
}

size_t brtc_h264_assembler_memory(const brtc_h264_assembler *a) {
  return a ? sizeof(*a) + brtc_reorder_memory(&a->win) : 0;
}
