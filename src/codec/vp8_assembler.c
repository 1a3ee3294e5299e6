/* VP8 frame assembly from RTP packets (RFC 7741): reorder within a window of sequence
 * numbers, emit complete frames in order, drop incomplete ones and ask for a keyframe.
 *
 * A frame is the contiguous run of packets from one with S=1, PID=0 to one with the marker
 * bit, all with the same RTP timestamp. "floor" is the last sequence number already dealt
 * with (emitted, dropped or skipped); the next frame must begin right after it. When it
 * cannot (a packet is lost), the frame is dropped as soon as a newer frame completes or the
 * window moves past it. */
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "codec/vp8.h"
#include "common/bytes.h"

#define WINDOW BRTC_VP8_REORDER_WINDOW
#define SLOT_BYTES BRTC_VP8_MAX_PACKET_PAYLOAD
/* This many packets in a row far behind what we emitted means the sender restarted its
 * sequence numbers: start over rather than ignore it forever. */
#define RESTART_AFTER 64

typedef struct slot {
  bool used;
  bool padding; /* no payload: fills its sequence number, belongs to no frame */
  bool start;   /* S=1 and PID=0: first packet of a frame */
  bool marker;
  uint16_t seq;
  uint16_t len;
  uint32_t ts;
  bool picture_id_15;
  int32_t picture_id;
} slot;

struct brtc_vp8_assembler {
  size_t max_frame;
  brtc_vp8_frame_cb cb;
  void *user;
  slot *slots;       /* WINDOW entries, indexed by seq % WINDOW */
  uint8_t *payloads; /* WINDOW * SLOT_BYTES, the VP8 bytes of each slot */
  uint8_t *frame;    /* max_frame bytes, one frame concatenated for the callback */
  bool have_highest;
  uint16_t highest;
  bool have_floor;
  uint16_t floor;
  /* How far the frame starting at floor + 1 is known contiguous (no marker yet), so the
   * in-order scan resumes there instead of rescanning the frame on every packet. */
  bool scan_valid;
  uint16_t scan_end;
  uint32_t ssrc;
  unsigned far_late;
  bool keyframe_request;
  bool have_last_picture_id; /* of the last frame emitted */
  bool last_picture_id_15;
  uint16_t last_picture_id;
  brtc_vp8_assembler_stats stats;
};

brtc_vp8_assembler *brtc_vp8_assembler_new(size_t max_frame, brtc_vp8_frame_cb cb, void *user) {
  if (max_frame == 0 || !cb) return NULL;
  brtc_vp8_assembler *a = calloc(1, sizeof(*a));
  if (!a) return NULL;
  a->max_frame = max_frame;
  a->cb = cb;
  a->user = user;
  return a;
}

void brtc_vp8_assembler_free(brtc_vp8_assembler *a) {
  if (!a) return;
  free(a->slots);
  free(a->payloads);
  free(a->frame);
  free(a);
}

static int ensure_buffers(brtc_vp8_assembler *a) {
  if (a->slots) return BRTC_OK;
  a->slots = calloc(WINDOW, sizeof(slot));
  a->payloads = malloc((size_t)WINDOW * SLOT_BYTES);
  a->frame = malloc(a->max_frame);
  if (!a->slots || !a->payloads || !a->frame) {
    free(a->slots);
    free(a->payloads);
    free(a->frame);
    a->slots = NULL;
    a->payloads = a->frame = NULL;
    return BRTC_ERR_NOMEM;
  }
  return BRTC_OK;
}

static slot *slot_at(brtc_vp8_assembler *a, uint16_t seq) {
  slot *s = &a->slots[seq % WINDOW];
  return s->used && s->seq == seq ? s : NULL;
}

static const uint8_t *slot_data(const brtc_vp8_assembler *a, uint16_t seq) {
  return a->payloads + (size_t)(seq % WINDOW) * SLOT_BYTES;
}

static void set_floor(brtc_vp8_assembler *a, uint16_t seq) {
  a->have_floor = true;
  a->floor = seq;
  a->scan_valid = false;
}

static void reset(brtc_vp8_assembler *a) {
  if (a->slots) memset(a->slots, 0, WINDOW * sizeof(slot));
  a->have_highest = a->have_floor = a->scan_valid = false;
  a->far_late = 0;
}

/* Give up on [from, to]: count the frames lost there and ask for a keyframe. A gap with no
 * packet at all still cost us something when count_gaps is set (we had a floor). */
static void drop_range(brtc_vp8_assembler *a, uint16_t from, uint16_t to, bool count_gaps) {
  uint64_t frames = 0;
  bool have_prev = false;
  uint32_t prev_ts = 0;
  uint16_t n = (uint16_t)(to - from + 1);
  for (uint32_t i = 0; i < n && i < WINDOW; i++) {
    slot *s = slot_at(a, (uint16_t)(from + i));
    if (!s) continue;
    if (!s->padding && (!have_prev || s->ts != prev_ts || s->start)) frames++;
    if (!s->padding) {
      have_prev = true;
      prev_ts = s->ts;
    }
    s->used = false;
  }
  if (frames == 0 && count_gaps) frames = 1;
  if (frames) {
    a->stats.frames_dropped += frames;
    a->keyframe_request = true;
  }
  set_floor(a, to);
}

/* The window now ends at new_highest: whatever falls out of it can never complete. */
static void advance(brtc_vp8_assembler *a, uint16_t new_highest) {
  uint16_t new_low = (uint16_t)(new_highest - WINDOW + 1);
  if (a->have_floor && brtc_seq_diff(new_low, (uint16_t)(a->floor + 1)) > 0)
    drop_range(a, (uint16_t)(a->floor + 1), (uint16_t)(new_low - 1), true);
  int dh = brtc_seq_diff(new_highest, a->highest);
  if (dh >= WINDOW) {
    memset(a->slots, 0, WINDOW * sizeof(slot));
  } else {
    /* Each new seq takes over the slot of the one leaving the window. */
    for (int i = 1; i <= dh; i++) a->slots[(uint16_t)(a->highest + i) % WINDOW].used = false;
  }
  a->highest = new_highest;
}

/* If first starts a frame whose packets are all here up to a marker, its last seq. */
static bool frame_end(brtc_vp8_assembler *a, uint16_t first, uint16_t *last) {
  slot *s = slot_at(a, first);
  if (!s || s->padding || !s->start) return false;
  uint32_t ts = s->ts;
  for (uint32_t i = 0; i < WINDOW; i++) {
    uint16_t seq = (uint16_t)(first + i);
    s = slot_at(a, seq);
    if (!s) return false;
    if (i > 0 && (s->padding || s->start || s->ts != ts)) return false;
    if (s->marker) {
      *last = seq;
      return true;
    }
  }
  return false;
}

/* The first packet of the frame seq belongs to, if all packets back to it are here. */
static bool frame_start(brtc_vp8_assembler *a, uint16_t seq, uint16_t *first) {
  slot *s = slot_at(a, seq);
  if (!s || s->padding) return false;
  uint32_t ts = s->ts;
  for (uint32_t i = 0; i < WINDOW; i++) {
    uint16_t q = (uint16_t)(seq - i);
    s = slot_at(a, q);
    if (!s || s->padding || s->ts != ts) return false;
    if (s->start) {
      *first = q;
      return true;
    }
    if (i > 0 && s->marker) return false; /* the end of an earlier frame */
  }
  return false;
}

static void emit(brtc_vp8_assembler *a, uint16_t first, uint16_t last) {
  size_t total = 0;
  uint16_t n = (uint16_t)(last - first + 1);
  for (uint16_t i = 0; i < n; i++) total += slot_at(a, (uint16_t)(first + i))->len;
  const slot head_copy = *slot_at(a, first);
  const slot *head = &head_copy;
  brtc_vp8_frame f = {
      .data = a->frame,
      .len = total,
      .timestamp = head->ts,
      .ssrc = a->ssrc,
      .first_seq = first,
      .last_seq = last,
      .picture_id = head->picture_id,
  };
  bool fits = total <= a->max_frame;
  size_t off = 0;
  for (uint16_t i = 0; i < n; i++) {
    uint16_t seq = (uint16_t)(first + i);
    slot *s = slot_at(a, seq);
    if (fits) memcpy(a->frame + off, slot_data(a, seq), s->len);
    off += s->len;
    s->used = false;
  }
  set_floor(a, last);
  a->have_last_picture_id = head->picture_id >= 0;
  a->last_picture_id_15 = head->picture_id_15;
  a->last_picture_id = (uint16_t)head->picture_id;
  if (!fits) {
    a->stats.frames_dropped++;
    a->keyframe_request = true;
    return;
  }
  f.keyframe = brtc_vp8_frame_is_keyframe(a->frame, total, &f.width, &f.height);
  a->stats.frames++;
  if (f.keyframe) a->stats.keyframes++;
  a->cb(&f, a->user);
}

/* One step in order from the floor: skip padding or emit the next frame if complete. */
static bool step_in_order(brtc_vp8_assembler *a) {
  if (!a->have_floor) return false;
  uint16_t next = (uint16_t)(a->floor + 1);
  slot *s = slot_at(a, next);
  if (!s) return false;
  if (s->padding) {
    s->used = false;
    set_floor(a, next);
    return true;
  }
  if (!s->start) return false;
  uint32_t ts = s->ts;
  uint16_t seq = a->scan_valid ? (uint16_t)(a->scan_end + 1) : next;
  for (;;) {
    slot *t = slot_at(a, seq);
    bool same_frame = t && (seq == next || (!t->padding && !t->start && t->ts == ts));
    if (!same_frame) break;
    if (t->marker) {
      emit(a, next, seq);
      return true;
    }
    a->scan_valid = true;
    a->scan_end = seq;
    seq++;
  }
  return false;
}

/* The packet belongs to the frame the in-order scan is already following. */
static bool in_scanned_frame(const brtc_vp8_assembler *a, uint16_t seq) {
  return a->have_floor && a->scan_valid && brtc_seq_diff(seq, a->floor) > 0 &&
         brtc_seq_diff(seq, a->scan_end) <= 0;
}

/* Nothing at all arrived in [from, to] and the frame after it is the very next picture:
 * the gap held only padding, no frame was lost. */
static bool only_padding_lost(brtc_vp8_assembler *a, uint16_t from, uint16_t to,
                              const slot *next) {
  if (!a->have_last_picture_id || next->picture_id < 0 ||
      next->picture_id_15 != a->last_picture_id_15)
    return false;
  uint16_t mask = a->last_picture_id_15 ? 0x7FFF : 0x7F;
  if ((((uint16_t)next->picture_id - a->last_picture_id - 1) & mask) != 0) return false;
  uint16_t n = (uint16_t)(to - from + 1);
  for (uint32_t i = 0; i < n && i < WINDOW; i++)
    if (slot_at(a, (uint16_t)(from + i))) return false;
  return true;
}

/* The frame of the packet just pushed is complete but something before it is missing:
 * what is missing can only belong to older frames, which are dropped. */
static bool step_newer(brtc_vp8_assembler *a, uint16_t pushed) {
  uint16_t first, last;
  if (!frame_start(a, pushed, &first) || !frame_end(a, first, &last)) return false;
  if (a->have_floor) {
    uint16_t from = (uint16_t)(a->floor + 1), to = (uint16_t)(first - 1);
    if (brtc_seq_diff(first, a->floor) <= 1) {
      /* nothing in between */
    } else if (only_padding_lost(a, from, to, slot_at(a, first))) {
      set_floor(a, to);
    } else {
      drop_range(a, from, to, true);
    }
  } else if (brtc_seq_diff(first, (uint16_t)(a->highest - WINDOW + 1)) > 0) {
    /* Stream start: packets before the first complete frame are a frame we joined late. */
    drop_range(a, (uint16_t)(a->highest - WINDOW + 1), (uint16_t)(first - 1), false);
  }
  emit(a, first, last);
  return true;
}

int brtc_vp8_assembler_push(brtc_vp8_assembler *a, const brtc_rtp_header *h, uint64_t now_us) {
  (void)now_us; /* the window is counted in packets, not time */
  if (!a || !h || (h->payload_len && !h->payload)) return BRTC_ERR_INVALID;
  a->stats.packets++;

  bool padding = h->payload_len == 0;
  brtc_vp8_descriptor d = {0};
  if (!padding) {
    if (brtc_vp8_parse_descriptor(h->payload, h->payload_len, &d) != BRTC_OK) {
      a->stats.packets_bad++;
      return BRTC_ERR_PARSE;
    }
    if (h->payload_len - d.size > SLOT_BYTES) {
      a->stats.packets_bad++;
      return BRTC_ERR_TOO_BIG;
    }
  }

  uint16_t seq = h->sequence;
  if (a->have_floor && brtc_seq_diff(seq, a->floor) <= 0) {
    if (brtc_seq_diff(seq, a->floor) < -WINDOW && ++a->far_late >= RESTART_AFTER) {
      reset(a);
    } else {
      a->stats.packets_late++;
      return BRTC_OK;
    }
  } else {
    a->far_late = 0;
  }

  int rc = ensure_buffers(a);
  if (rc != BRTC_OK) return rc;
  a->ssrc = h->ssrc;
  if (!a->have_highest) {
    a->have_highest = true;
    a->highest = seq;
  } else if (brtc_seq_diff(seq, a->highest) > 0) {
    advance(a, seq);
  } else if (brtc_seq_diff(a->highest, seq) >= WINDOW) {
    a->stats.packets_late++; /* older than the reorder window */
    return BRTC_OK;
  }

  slot *s = &a->slots[seq % WINDOW];
  if (s->used && s->seq == seq) {
    a->stats.packets_late++; /* duplicate */
    return BRTC_OK;
  }
  *s = (slot){
      .used = true,
      .padding = padding,
      .start = !padding && d.start && d.partition == 0,
      .marker = h->marker,
      .seq = seq,
      .len = (uint16_t)(padding ? 0 : h->payload_len - d.size),
      .ts = h->timestamp,
      .picture_id_15 = d.picture_id_15,
      .picture_id = d.has_picture_id ? d.picture_id : -1,
  };
  if (!padding)
    memcpy(a->payloads + (size_t)(seq % WINDOW) * SLOT_BYTES, h->payload + d.size, s->len);

  for (;;) {
    if (step_in_order(a)) continue;
    if (in_scanned_frame(a, seq)) break;
    if (step_newer(a, seq)) continue;
    break;
  }
  return BRTC_OK;
}

void brtc_vp8_assembler_reset(brtc_vp8_assembler *a) {
  if (!a) return;
  reset(a);
  a->keyframe_request = false;
  a->have_last_picture_id = false;
  memset(&a->stats, 0, sizeof(a->stats));
}

bool brtc_vp8_assembler_take_keyframe_request(brtc_vp8_assembler *a) {
  if (!a) return false;
  bool r = a->keyframe_request;
  a->keyframe_request = false;
  return r;
}

const brtc_vp8_assembler_stats *brtc_vp8_assembler_get_stats(const brtc_vp8_assembler *a) {
  return a ? &a->stats : NULL;
}
