/* A sending video track's rate target follows the receiver (src/rtp/send_rate.h): the peer's
 * REMB, shared among the tracks it names in proportion to their ceilings, and the loss in its
 * report blocks about each track move the target between the track's bounds; the pc's pacer
 * paces at the sum (times its factor); the owner hears of each change as
 * BRTC_EVENT_BITRATE_TARGET and reads it with brtc_track_target_bitrate, so an encoder can
 * follow. Audio keeps its fixed ceiling. */
#include <string.h>

#include "boltrtc/error.h"
#include "pc/pc_send.h"

/* No track is asked to go lower than this unless its owner says so: below it video is a
 * slide show (libwebrtc's floor is 30 kbit/s; a camera's smallest useful picture needs
 * more). */
#define PC_TRACK_MIN_BPS 50000u

static uint64_t ceiling(const brtc_track *t) {
  return t->max_bps ? t->max_bps : t->pc->max_video_bps;
}

static uint64_t floor_bps(const brtc_track *t) { return t->min_bps ? t->min_bps : PC_TRACK_MIN_BPS; }

void pc_send_rate_start(brtc_pc *pc, brtc_track *t) {
  (void)pc;
  if (!t->video) return;
  brtc_send_rate_init(&t->rate, floor_bps(t), ceiling(t));
  t->rate_on = true;
}

/* What the pacer paces at: every video track's target and every audio track's ceiling. */
static void apply(brtc_pc *pc) {
  pc_send *s = pc->send;
  if (!s || !s->pacer) return;
  uint64_t sum = 0;
  for (size_t i = 0; i < s->n; i++) {
    const brtc_track *t = s->tracks[i];
    if (!t->stream) continue;
    sum += t->rate_on ? brtc_send_rate_target(&t->rate) : PC_AUDIO_MAX_BPS;
  }
  if (sum) brtc_pacer_set_target_bitrate(s->pacer, sum);
}

static void changed(brtc_pc *pc, brtc_track *t) {
  brtc_output ev = {.event = BRTC_EVENT_BITRATE_TARGET, .step = PC_STEP_NONE,
                    .codec = brtc_track_codec(t), .mid = t->mid, .ssrc = t->ssrc,
                    .media_track = t};
  pc_push_event(pc, &ev);
}

static bool names(const uint32_t *ssrcs, size_t n, uint32_t ssrc) {
  for (size_t i = 0; i < n; i++)
    if (ssrcs[i] == ssrc) return true;
  return false;
}

static bool on_remb(brtc_pc *pc, const brtc_rtcp_packet *p) {
  uint32_t ssrcs[255];
  size_t n = 0;
  uint64_t bps = 0;
  if (brtc_rtcp_parse_remb(p->fci, p->fci_len, &bps, ssrcs, 255, &n) != BRTC_OK) return false;
  pc_send *s = pc->send;
  uint64_t total = 0; /* the named tracks' ceilings, to share the estimate by */
  for (size_t i = 0; i < s->n; i++)
    if (s->tracks[i]->rate_on && names(ssrcs, n, s->tracks[i]->ssrc)) total += ceiling(s->tracks[i]);
  if (!total) return false;
  bool any = false;
  for (size_t i = 0; i < s->n; i++) {
    brtc_track *t = s->tracks[i];
    if (!t->rate_on || !names(ssrcs, n, t->ssrc)) continue;
    /* bps x share, without overflow for any 64-bit REMB (saturated by the parser) */
    uint64_t c = ceiling(t);
    uint64_t share = bps / total * c + (bps % total) * c / total;
    if (brtc_send_rate_on_remb(&t->rate, share, pc->now_us)) {
      changed(pc, t);
      any = true;
    }
  }
  return any;
}

static bool on_blocks(brtc_pc *pc, const brtc_rtcp_packet *p) {
  pc_send *s = pc->send;
  bool any = false;
  for (size_t b = 0; b < p->n_blocks; b++) {
    for (size_t i = 0; i < s->n; i++) {
      brtc_track *t = s->tracks[i];
      if (!t->rate_on || !t->stream || p->blocks[b].ssrc != t->ssrc) continue;
      const brtc_rtt_stats *rtt = brtc_send_stream_rtt(t->stream);
      if (rtt->samples) brtc_send_rate_set_rtt(&t->rate, rtt->smoothed_us);
      if (brtc_send_rate_on_loss(&t->rate, p->blocks[b].fraction_lost, pc->now_us)) {
        changed(pc, t);
        any = true;
      }
    }
  }
  return any;
}

void pc_send_rate_rtcp(brtc_pc *pc, const brtc_rtcp_packet *p) {
  if (!pc->send || !pc->send->pacer) return;
  bool any = false;
  if (p->type == BRTC_RTCP_PSFB && p->count_or_fmt == 15) any = on_remb(pc, p);
  else if (p->type == BRTC_RTCP_RR || p->type == BRTC_RTCP_SR) any = on_blocks(pc, p);
  if (any) apply(pc);
}

uint32_t brtc_track_target_bitrate(const brtc_track *t) {
  if (!t || !t->rate_on) return 0;
  uint64_t bps = brtc_send_rate_target(&t->rate);
  return bps > UINT32_MAX ? UINT32_MAX : (uint32_t)bps;
}

int brtc_track_set_bitrate_bounds(brtc_track *t, uint32_t min_bps, uint32_t max_bps) {
  if (!t || !t->video || (max_bps && min_bps > max_bps)) return BRTC_ERR_INVALID;
  t->min_bps = min_bps;
  t->max_bps = max_bps;
  if (!t->rate_on) return BRTC_OK;
  uint64_t before = brtc_send_rate_target(&t->rate);
  brtc_send_rate_set_bounds(&t->rate, floor_bps(t), ceiling(t));
  if (brtc_send_rate_target(&t->rate) != before) {
    changed(t->pc, t);
    apply(t->pc);
  }
  return BRTC_OK;
}
