/* Media of a peer connection: SRTP/SRTCP in, each packet to its track (RFC 8843 9.2: by
 * the MID header extension, then by SSRC, then by payload type), receive statistics, NACK
 * tracking and VP8 frame assembly per track; RTCP out (BYE, PLI, NACK, RR, REMB), built on
 * demand into the caller's buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/h264_rtp.h"
#include "common/bytes.h"
#include "pc/pc_internal.h"
#include "pc/pc_send.h"
#include "rtp/rtcp.h"
#include "rtp/rtp_ext.h"

/* NTP time (RFC 5905 format) on our own clock: only we read it back, from the DLRR that
 * echoes it, so its epoch does not matter. */
static uint64_t ntp_of(uint64_t now_us) {
  return (now_us / 1000000) << 32 | ((now_us % 1000000) << 32) / 1000000;
}

static uint32_t compact_ntp(uint64_t now_us) { return (uint32_t)(ntp_of(now_us) >> 16); }

static void count_srtp_error(brtc_pc *pc, int rc) {
  switch (rc) {
    case BRTC_ERR_AUTH: pc->stats.dropped_auth++; break;
    case BRTC_ERR_REPLAY: pc->stats.dropped_replay++; break;
    case BRTC_ERR_LIMIT: pc->stats.dropped_unexpected++; break;
    default: pc->stats.dropped_malformed++; break;
  }
}

/* A plaintext RTP packet or RTCP compound, for captures (the plain_packet_events tap). */
static void plain_event(brtc_pc *pc, bool inbound, bool rtcp, const uint8_t *data, size_t len) {
  brtc_output ev = {.event = BRTC_EVENT_PLAIN_PACKET, .step = PC_STEP_NONE, .data = data,
                    .len = len, .inbound = inbound, .rtcp = rtcp};
  pc_push_event(pc, &ev);
}

/* The journey's first-rtp step is the first packet of either kind; the other kind's first
 * packet gets a log line, so that both SSRCs are in the log. */
static void first_rtp(brtc_pc *pc, const char *kind, const brtc_rtp_header *h, const char *codec) {
  char detail[96];
  snprintf(detail, sizeof(detail), "%s ssrc 0x%08x %s pt %u", kind, (unsigned)h->ssrc, codec,
           (unsigned)h->payload_type);
  if (!pc->steps_done[BRTC_STEP_FIRST_RTP]) {
    pc_emit_step(pc, BRTC_STEP_FIRST_RTP, detail);
    return;
  }
  char line[128];
  snprintf(line, sizeof(line), "first %s RTP: %s", kind, detail);
  pc_emit_log(pc, line);
}

/* A track other than the first to start says so in the journey: one line each. */
static void track_started(brtc_pc *pc, const pc_track *t, const brtc_rtp_header *h) {
  if (!pc->steps_done[BRTC_STEP_FIRST_RTP]) return; /* the first-rtp step tells it */
  char detail[160];
  snprintf(detail, sizeof(detail), "track mid %s: first %s packet, ssrc 0x%08x pt %u", t->mid,
           t->video ? "video" : "audio", (unsigned)h->ssrc, (unsigned)h->payload_type);
  pc_emit_log(pc, detail);
}

/* A whole frame of either codec: counted, its keyframe's size noted, and handed out as an
 * event whose bytes are lent, not copied: lender is the VP8 assembler (its own bytes) or the
 * H.264 assembler (the track's buffer it pops into), settled before either changes them. */
typedef struct pc_frame {
  const uint8_t *data;
  size_t len;
  bool keyframe;
  unsigned width, height; /* keyframes, 0 when unknown */
  uint32_t timestamp, ssrc;
  const char *codec;
} pc_frame;

static void on_frame(pc_track *t, const pc_frame *f, const void *lender) {
  brtc_pc *pc = t->pc;
  pc->stats.frames++;
  t->frames++;
  if (f->keyframe) {
    pc->stats.keyframes++;
    t->keyframes++;
    t->width = f->width;
    t->height = f->height;
    t->keyframe_wanted_until = 0; /* whatever asked for it is answered */
    if (t->pli_due_us > pc->now_us) t->pli_due_us = PC_NEVER; /* no repeat; one due goes */
    uint32_t fit = brtc_video_max_bitrate_bps(f->width, f->height);
    /* The first keyframe tells the size the offer did not (WHIP): the ceiling follows it. */
    if (t->keyframes == 1 && !pc->bitrate_fixed && fit != t->max_bps) {
      t->max_bps = fit;
      pc->remb_due = t->fb_remb;
    }
    if (!pc->steps_done[BRTC_STEP_FIRST_KEYFRAME]) {
      char detail[96];
      snprintf(detail, sizeof(detail), "%ux%u, %zu bytes, mid %s", (unsigned)f->width,
               (unsigned)f->height, f->len, t->mid);
      pc_emit_step(pc, BRTC_STEP_FIRST_KEYFRAME, detail);
    } else if (t->keyframes == 1) {
      char detail[128];
      snprintf(detail, sizeof(detail), "track mid %s: first keyframe %ux%u, %zu bytes", t->mid,
               (unsigned)f->width, (unsigned)f->height, f->len);
      pc_emit_log(pc, detail);
    }
  }
  brtc_output ev = {
      .event = BRTC_EVENT_FRAME,
      .step = PC_STEP_NONE,
      .codec = f->codec,
      .data = f->data,
      .len = f->len,
      .keyframe = f->keyframe,
      .width = f->keyframe ? f->width : 0,
      .height = f->keyframe ? f->height : 0,
      .rtp_timestamp = f->timestamp,
      .ssrc = f->ssrc,
      .mid = t->mid,
      .track = t->index,
  };
  pc_push_event_lent(pc, &ev, lender);
}

static void on_vp8_frame(const brtc_vp8_frame *f, void *user) {
  pc_track *t = user;
  pc_frame fr = {.data = f->data, .len = f->len, .keyframe = f->keyframe, .width = f->width,
                 .height = f->height, .timestamp = f->timestamp, .ssrc = f->ssrc,
                 .codec = "VP8"};
  /* The bytes stay in the assembler until the pc next pushes or pops it (pop_frames,
   * push_vp8 settle first): no copy for an owner that drains in between. */
  on_frame(t, &fr, t->vp8);
}

/* How long an incomplete frame waits for its missing packets: with NACK, every ask and the
 * round trip of the last; without, the reordering allowance alone. Both follow the round
 * trip RTCP measures and the reordering seen, so the hold is redone when either changes. */
static void update_frame_hold(pc_track *t) {
  uint64_t hold = t->fb_nack ? brtc_nack_budget_us(&t->nack) : brtc_nack_wait_us(&t->nack);
  if (t->vp8) brtc_vp8_assembler_set_hold(t->vp8, hold);
  if (t->h264_asm) brtc_h264_assembler_set_max_wait(t->h264_asm, hold);
}

static void want_pli(brtc_pc *pc, pc_track *t, bool explicit_request);

/* Frames were given up. A frame consumer hears of it; whether we ask for a keyframe is the
 * policy's: after any loss, or only when a keyframe (or a frame that may have been one,
 * while a keyframe is awaited) was lost. */
static void on_frames_lost(pc_track *t, const brtc_frame_loss *loss, const char *codec) {
  brtc_pc *pc = t->pc;
  if (t->fb_nack) brtc_nack_forget_before(&t->nack, (uint16_t)(loss->last_seq + 1));
  /* Superseded losses (a newer keyframe is here) need nothing; loss->keyframes and
   * loss->unknown count the others. */
  bool awaiting_key = t->keyframe_wanted_until || t->keyframes == 0;
  bool key_lost = loss->keyframes > 0 || (loss->unknown > 0 && awaiting_key);
  bool ask = key_lost || (pc->keyframe_policy == BRTC_KEYFRAME_ON_ANY_LOSS &&
                         loss->superseded < loss->frames);
  char detail[192];
  snprintf(detail, sizeof(detail),
           "%u video frame%s lost on mid %s (%u keyframe%s, %u of unknown type, %u superseded "
           "by a keyframe)%s",
           (unsigned)loss->frames, loss->frames == 1 ? "" : "s", t->mid,
           (unsigned)loss->keyframes, loss->keyframes == 1 ? "" : "s", (unsigned)loss->unknown,
           (unsigned)loss->superseded, ask ? ", asking for a keyframe" : "");
  pc_emit_log(pc, detail);
  brtc_output ev = {.event = BRTC_EVENT_FRAME_LOST, .step = PC_STEP_NONE, .detail = detail,
                    .codec = codec, .keyframe = loss->keyframes > 0, .ssrc = t->stream.ssrc,
                    .mid = t->mid, .track = t->index, .frames_lost = loss->frames};
  pc_push_event(pc, &ev);
  if (ask) want_pli(pc, t, false);
}

static void check_frame_loss(pc_track *t) {
  brtc_vp8_loss loss;
  if (brtc_vp8_assembler_take_loss(t->vp8, &loss)) on_frames_lost(t, &loss, "VP8");
}

/* Take every frame the track's assembler has completed (it is pull-only). A second frame
 * in one call may take the place of the first one's bytes, still queued: those are copied
 * then, and only then. */
static void pop_frames(pc_track *t) {
  brtc_vp8_frame f;
  while (brtc_vp8_assembler_ready(t->vp8)) {
    pc_events_settle(t->pc, t->vp8);
    if (brtc_vp8_assembler_pop(t->vp8, &f) == BRTC_OK) on_vp8_frame(&f, t);
  }
}

/* A frame (or one packet of it) was refused as larger than we take: counted in the stats,
 * and logged the first time in the pc's life, since it means the sender's frames outgrow
 * the configured maximum (brtc_pc_config_set_max_frame_size). */
static void note_too_big(pc_track *t, const char *codec, size_t len, bool count) {
  brtc_pc *pc = t->pc;
  if (count) pc->stats.frames_dropped_too_big++;
  if (pc->too_big_logged) return;
  pc->too_big_logged = true;
  char detail[320];
  if (len)
    snprintf(detail, sizeof(detail), "%s on mid %s: a frame of %zu bytes was refused, larger "
             "than the %zu a frame may be (frames_dropped_too_big counts them)", codec, t->mid,
             len, pc->max_video_frame);
  else
    snprintf(detail, sizeof(detail), "%s on mid %s: a frame larger than the assembler takes was "
             "refused (frames_dropped_too_big counts them)", codec, t->mid);
  pc_emit_log(pc, detail);
}

static void push_vp8(pc_track *t, const brtc_rtp_header *h) {
  brtc_pc *pc = t->pc;
  if (!t->vp8) {
    t->vp8 = brtc_vp8_assembler_new(pc->max_video_frame);
    if (!t->vp8) {
      pc->stats.dropped_unexpected++;
      return;
    }
    update_frame_hold(t);
  }
  pc_events_settle(pc, t->vp8); /* an owner that did not drain still gets its frames */
  uint64_t too_big = brtc_vp8_assembler_get_stats(t->vp8)->frames_too_big;
  int rc = brtc_vp8_assembler_push(t->vp8, h, pc->now_us);
  if (rc == BRTC_ERR_PARSE) pc->stats.dropped_malformed++;
  if (rc == BRTC_ERR_TOO_BIG) note_too_big(t, "VP8", 0, true);
  pop_frames(t);
  /* The assembler counts the frames it gave up as too big (fill_stats adds them). */
  if (brtc_vp8_assembler_get_stats(t->vp8)->frames_too_big != too_big)
    note_too_big(t, "VP8", 0, false);
  check_frame_loss(t);
}

/* H.264 (RFC 6184): the assembler puts each access unit together (single NAL, STAP-A, FU-A)
 * and hands it out in Annex-B form with SPS and PPS in front of an IDR, into the track's
 * buffer, which the frame event borrows (lender: the assembler). The buffer changes only
 * here, at the next pop (or when it grows): what is still queued is copied first, so an
 * owner that drains after every call never pays a copy. A unit lost for good makes it ask
 * for a keyframe, which a decoder needs after any H.264 loss. */
static void pop_h264(pc_track *t) {
  brtc_pc *pc = t->pc;
  while (brtc_h264_assembler_ready(t->h264_asm)) {
    brtc_h264_frame f;
    pc_events_settle(pc, t->h264_asm); /* the last unit's bytes, if its event still waits */
    int rc = brtc_h264_assembler_pop(t->h264_asm, t->h264_buf, t->h264_cap, &f);
    if (rc == BRTC_ERR_TOO_BIG) {
      size_t want = f.len > pc->max_video_frame ? 0 : f.len;
      uint8_t *grown = want ? realloc(t->h264_buf, want) : NULL;
      if (!grown) {
        /* Larger than a frame may be (or no memory): the assembler cannot skip one unit, so
         * it starts over, and a keyframe is asked for. */
        /* The reset clears the assembler's counters: what it had dropped is kept here. */
        pc->stats.frames_dropped +=
            1 + brtc_h264_assembler_get_stats(t->h264_asm)->frames_dropped;
        note_too_big(t, "H.264", f.len, true);
        brtc_h264_assembler_reset(t->h264_asm);
        want_pli(pc, t, false);
        return;
      }
      t->h264_buf = grown;
      t->h264_cap = want;
      continue;
    }
    if (rc != BRTC_OK) return;
    pc_frame fr = {.data = t->h264_buf, .len = f.len, .keyframe = f.keyframe,
                   .width = f.width, .height = f.height, .timestamp = f.timestamp,
                   .ssrc = f.ssrc, .codec = "H264"};
    on_frame(t, &fr, t->h264_asm);
  }
  if (brtc_h264_assembler_take_keyframe_request(t->h264_asm)) {
    char detail[192];
    snprintf(detail, sizeof(detail), "H.264 on mid %s: a unit was lost or undecodable, asking "
             "for a keyframe", t->mid);
    pc_emit_log(pc, detail);
    brtc_output ev = {.event = BRTC_EVENT_FRAME_LOST, .step = PC_STEP_NONE, .detail = detail,
                      .codec = "H264", .ssrc = t->stream.ssrc, .mid = t->mid,
                      .track = t->index, .frames_lost = 1};
    pc_push_event(pc, &ev);
    want_pli(pc, t, false);
  }
  /* Units given up for a newer IDR: reported as VP8's superseded frames are (no keyframe
   * asked for, since one has just come). */
  brtc_frame_loss loss;
  if (brtc_h264_assembler_take_loss(t->h264_asm, &loss)) on_frames_lost(t, &loss, "H264");
}

static void push_h264(pc_track *t, const brtc_rtp_header *h) {
  brtc_pc *pc = t->pc;
  if (!t->h264_asm) {
    t->h264_asm = brtc_h264_assembler_new();
    if (!t->h264_asm) {
      pc->stats.dropped_unexpected++;
      return;
    }
    update_frame_hold(t);
  }
  int rc = brtc_h264_assembler_push(t->h264_asm, h, pc->now_us);
  if (rc == BRTC_ERR_PARSE || rc == BRTC_ERR_UNSUPPORTED || rc == BRTC_ERR_TOO_BIG)
    pc->stats.dropped_malformed++;
  if (rc == BRTC_ERR_TOO_BIG) note_too_big(t, "H.264", 0, true);
  pop_h264(t);
}

static void push_video(pc_track *t, const brtc_rtp_header *h) {
  if (t->h264) push_h264(t, h);
  else push_vp8(t, h);
}

/* What the NACK tracker makes of an arriving video packet; false if it is a copy of one we
 * have (dropped and counted). */
static bool track_arrival(pc_track *t, uint16_t seq, brtc_nack_source src) {
  if (!t->fb_nack) return true;
  brtc_nack_arrival a = brtc_nack_on_packet(&t->nack, seq, src, t->pc->now_us);
  if (a == BRTC_NACK_DUPLICATE) {
    t->pc->stats.rtp_duplicates++;
    return false;
  }
  if (a == BRTC_NACK_REORDERED) update_frame_hold(t); /* the allowance may have grown */
  return true;
}

/* The first packet of an H.264 keyframe: an SPS or IDR alone, a STAP-A that begins with
 * one, or the first fragment of an IDR (RFC 6184 5.6, 5.7.1, 5.8). */
static bool starts_h264_keyframe(const brtc_rtp_header *h) {
  if (h->payload_len < 2) return false;
  uint8_t type = h->payload[0] & 0x1f;
  if (type == 5 || type == 7) return true;
  if (type == 24 && h->payload_len >= 4) return ((h->payload[3] & 0x1f) == 7 || (h->payload[3] & 0x1f) == 5);
  if (type == 28) return (h->payload[1] & 0x80) && (h->payload[1] & 0x1f) == 5;
  return false;
}

/* The first packet of a VP8 keyframe (RFC 7741 4.3: S=1, PID=0; RFC 6386 9.1: P=0). */
static bool starts_vp8_keyframe(const brtc_rtp_header *h) {
  brtc_vp8_descriptor d;
  return brtc_vp8_parse_descriptor(h->payload, h->payload_len, &d) == BRTC_OK && d.start &&
         d.partition == 0 && d.size < h->payload_len && (h->payload[d.size] & 1) == 0;
}

static bool starts_keyframe(const pc_track *t, const brtc_rtp_header *h) {
  return t->h264 ? starts_h264_keyframe(h) : starts_vp8_keyframe(h);
}

/* Start from a keyframe rather than wait for one. A sender that begins with one (browsers
 * do) is given time to finish it, with its NACKs: a PLI then would only cost a second
 * keyframe. The first packet to arrive may not be the keyframe's first (reordering), so a
 * stream is watched for a keyframe's start for the reordering allowance before the PLI. */
static void ask_first_keyframe_by(pc_track *t, uint64_t due) {
  if (!(t->fb_pli || t->fb_fir)) return;
  t->pli_due_us = due;
  t->keyframe_wanted_until = t->video_first_us + PC_PLI_GIVE_UP_US;
}

static void watch_first_keyframe(pc_track *t, const brtc_rtp_header *h) {
  brtc_pc *pc = t->pc;
  /* Asked already (or explicitly: brtc_pc_request_keyframe makes it due now), or no need. */
  if (t->pli_due_us <= pc->now_us || t->pli_sent_once || t->keyframes) {
    t->first_key_watch = false;
    return;
  }
  if (!starts_keyframe(t, h)) return;
  t->first_key_watch = false;
  ask_first_keyframe_by(t, t->video_first_us + PC_FIRST_KEYFRAME_GRACE_US);
}

static void first_video_keyframe(pc_track *t, const brtc_rtp_header *h) {
  brtc_pc *pc = t->pc;
  t->video_first_us = pc->now_us;
  bool key = starts_keyframe(t, h);
  uint64_t due = pc->now_us + (key ? PC_FIRST_KEYFRAME_GRACE_US : brtc_nack_wait_us(&t->nack));
  if (due >= t->pli_due_us) return; /* one is due sooner already (asked for explicitly) */
  t->first_key_watch = !key;
  ask_first_keyframe_by(t, due);
}

/* A track's first packet binds its SSRC; later packets must carry it. */
static bool bind_stream(pc_track *t, const brtc_rtp_header *h) {
  brtc_pc *pc = t->pc;
  if (t->stream.active) {
    if (h->ssrc == t->stream.ssrc) return true;
    pc->stats.dropped_unexpected++;
    return false;
  }
  t->stream.active = true;
  t->stream.ssrc = h->ssrc;
  brtc_rtp_stats_init(&t->stream.stats, h->ssrc, t->clock);
  track_started(pc, t, h);
  return true;
}

static void video_packet(pc_track *t, const brtc_rtp_header *h) {
  brtc_pc *pc = t->pc;
  bool first = !t->stream.active;
  if (!bind_stream(t, h)) return;
  if (first) {
    if (!pc->stats.video_ssrc) pc->stats.video_ssrc = h->ssrc;
    first_rtp(pc, "video", h, t->h264 ? "H264" : "VP8");
    first_video_keyframe(t, h);
    pc->remb_due = pc->remb_due || t->fb_remb; /* tell the sender at once how high it may go */
    /* An early first report, so its RRTR brings the RTT that spaces NACKs (RFC 3550 6.2
     * lets the first report go at half the interval). */
    if (t->fb_nack && pc->next_rr_us > pc->now_us + PC_FIRST_RR_US)
      pc->next_rr_us = pc->now_us + PC_FIRST_RR_US;
  }
  pc->stats.rtp_video++;
  t->packets++;
  t->bytes += h->payload_len;
  if (t->first_key_watch) watch_first_keyframe(t, h);
  brtc_rtp_stats_update(&t->stream.stats, h->sequence, h->timestamp, pc->now_us);
  brtc_nack_source src = t->rtx_seen ? BRTC_NACK_SRC_ORIGINAL : BRTC_NACK_SRC_MEDIA_MAYBE_RESENT;
  if (track_arrival(t, h->sequence, src)) push_video(t, h);
}

/* RFC 4588: the payload starts with the original sequence number; unwrap and treat it as
 * the packet it repairs. Padding-only RTX (bandwidth probes) carries nothing. */
static void rtx_packet(pc_track *t, const brtc_rtp_header *h) {
  brtc_pc *pc = t->pc;
  pc->stats.rtp_video++;
  if (!t->rtx_ssrc) t->rtx_ssrc = h->ssrc;
  if (!t->stream.active || h->payload_len < 2) return;
  brtc_rtp_header orig = *h;
  orig.payload_type = (uint8_t)t->pt;
  orig.sequence = brtc_rd16(h->payload);
  orig.ssrc = t->stream.ssrc;
  orig.payload = h->payload + 2;
  orig.payload_len = h->payload_len - 2;
  if (orig.payload_len == 0) return;
  t->rtx_seen = true;
  t->bytes += orig.payload_len;
  if (track_arrival(t, orig.sequence, BRTC_NACK_SRC_RTX)) push_video(t, &orig);
}

static void audio_packet(pc_track *t, const brtc_rtp_header *h) {
  brtc_pc *pc = t->pc;
  bool first = !t->stream.active;
  if (!bind_stream(t, h)) return;
  if (first) {
    if (!pc->stats.audio_ssrc) pc->stats.audio_ssrc = h->ssrc;
    first_rtp(pc, "audio", h, "opus");
  }
  pc->stats.rtp_audio++;
  t->packets++;
  t->bytes += h->payload_len;
  brtc_rtp_stats_update(&t->stream.stats, h->sequence, h->timestamp, pc->now_us);
}

/* RFC 9143: the sender names the m-section in the MID header extension (at least until it
 * knows we have its SSRC). */
static pc_track *track_by_mid_ext(const brtc_pc *pc, const brtc_rtp_header *h) {
  if (!pc->ext_mid_id || !h->n_ext) return NULL;
  const brtc_rtp_ext *e = brtc_rtp_find_ext(h, pc->ext_mid_id);
  char mid[BRTC_EXT_MID_MAX + 1];
  if (!e || brtc_ext_get_mid(e->data, e->len, mid, sizeof(mid)) != BRTC_OK) return NULL;
  for (size_t i = 0; i < pc->n_tracks; i++)
    if (strcmp(pc->tracks[i]->mid, mid) == 0) return pc->tracks[i];
  return NULL;
}

static pc_track *track_by_ssrc(const brtc_pc *pc, uint32_t ssrc, bool *rtx) {
  for (size_t i = 0; i < pc->n_tracks; i++) {
    pc_track *t = pc->tracks[i];
    /* 0 stands for "not known" here (SSRC 0 itself is valid RTP: it goes by payload type). */
    if (t->stream.active ? t->stream.ssrc == ssrc : (t->offered_ssrc && t->offered_ssrc == ssrc)) {
      *rtx = false;
      return t;
    }
    uint32_t repair = t->rtx_ssrc ? t->rtx_ssrc : t->offered_rtx_ssrc;
    if (t->rtx_pt >= 0 && repair && repair == ssrc) {
      *rtx = true;
      return t;
    }
  }
  return NULL;
}

/* Last resort (RFC 8843 9.2): the payload type. A media packet goes to a track with that
 * type still waiting for its SSRC, one the offer named no SSRC for first; RTX to the one
 * track with that RTX type whose repair SSRC is not known yet. */
static pc_track *track_by_pt(const brtc_pc *pc, uint8_t pt, bool *rtx) {
  pc_track *waiting = NULL;
  for (size_t i = 0; i < pc->n_tracks; i++) {
    pc_track *t = pc->tracks[i];
    if (t->pt == pt && !t->stream.active && (!waiting || (waiting->offered_ssrc && !t->offered_ssrc)))
      waiting = t;
  }
  if (waiting) {
    *rtx = false;
    return waiting;
  }
  for (size_t i = 0; i < pc->n_tracks; i++) {
    pc_track *t = pc->tracks[i];
    if (t->rtx_pt == pt && !t->rtx_ssrc) {
      *rtx = true;
      return t;
    }
  }
  return NULL;
}

static pc_track *track_of_any(const brtc_pc *pc, const brtc_rtp_header *h, bool *rtx) {
  pc_track *t = track_by_mid_ext(pc, h);
  if (t) {
    if (h->payload_type == t->pt) *rtx = false;
    else if (t->rtx_pt >= 0 && h->payload_type == t->rtx_pt) *rtx = true;
    else return NULL;
    return t;
  }
  t = track_by_ssrc(pc, h->ssrc, rtx);
  if (t) return (*rtx ? h->payload_type == t->rtx_pt : h->payload_type == t->pt) ? t : NULL;
  return track_by_pt(pc, h->payload_type, rtx);
}

/* A track whose section a later exchange stopped takes nothing more (pc_reneg.c). */
static pc_track *track_of(const brtc_pc *pc, const brtc_rtp_header *h, bool *rtx) {
  pc_track *t = track_of_any(pc, h, rtx);
  return t && !t->stopped ? t : NULL;
}

/* An SRTP index seen before. If it is a video packet we asked to be resent and it
 * authenticates, it is the sender's retransmission of a packet that had come after all: a
 * duplicate. Anything else stays a replay (see brtc_srtp_authenticate_again). */
static void seen_index(brtc_pc *pc, uint8_t *pkt, size_t len) {
  bool rtx = false;
  pc_track *t = len >= 12 ? track_by_ssrc(pc, brtc_rd32(pkt + 8), &rtx) : NULL;
  bool asked = t && !rtx && t->video && t->fb_nack && t->stream.active &&
               brtc_nack_was_asked(&t->nack, brtc_rd16(pkt + 2), pc->now_us);
  if (!asked) {
    pc->stats.dropped_replay++;
    return;
  }
  int rc = brtc_srtp_authenticate_again(pc->srtp_in, pkt, len);
  if (rc == BRTC_OK) pc->stats.rtp_duplicates++;
  else count_srtp_error(pc, rc == BRTC_ERR_REPLAY ? BRTC_ERR_AUTH : rc);
}

void pc_media_rtp(brtc_pc *pc, uint8_t *pkt, size_t len) {
  size_t plain_len = 0;
  int rc = brtc_srtp_unprotect(pc->srtp_in, pkt, len, &plain_len);
  if (rc == BRTC_ERR_REPLAY) {
    seen_index(pc, pkt, len);
    return;
  }
  if (rc != BRTC_OK) {
    count_srtp_error(pc, rc);
    return;
  }
  pc->peer_has_keys = true;
  pc->srtp_authenticated++;
  if (pc->plain_packet_events) plain_event(pc, true, false, pkt, plain_len);
  brtc_rtp_header h;
  if (brtc_rtp_parse(pkt, plain_len, &h) != BRTC_OK) {
    pc->stats.dropped_malformed++;
    return;
  }
  bool rtx = false;
  pc_track *t = track_of(pc, &h, &rtx);
  if (!t) pc->stats.dropped_unexpected++;
  else if (!t->video) audio_packet(t, &h);
  else if (rtx) rtx_packet(t, &h);
  else video_packet(t, &h);
}

/* RFC 3611 4.5: the sender's DLRR answers our RRTR; RTT = now - LRR - DLRR, in 1/65536 s. */
static void on_dlrr(brtc_pc *pc, const brtc_rtcp_packet *p) {
  uint32_t lrr = 0, dlrr = 0;
  if (brtc_rtcp_xr_dlrr(p, pc->local_ssrc, &lrr, &dlrr) != BRTC_OK || lrr == 0) return;
  uint32_t units = compact_ntp(pc->now_us) - lrr - dlrr;
  if (units > 10u * 65536) return; /* negative or absurd: a stale or bogus block */
  uint64_t sample = (uint64_t)units * 1000000 / 65536;
  if (sample == 0) sample = 1;
  /* Smoothed like TCP's SRTT (RFC 6298), gain 1/8. */
  pc->rtt_us = pc->rtt_us ? (7 * pc->rtt_us + sample) / 8 : sample;
  for (size_t i = 0; i < pc->n_tracks; i++) {
    if (!pc->tracks[i]->video) continue;
    brtc_nack_set_rtt(&pc->tracks[i]->nack, pc->rtt_us);
    update_frame_hold(pc->tracks[i]);
  }
}

/* RFC 3611 4.4: the peer's reference time, which our next sender report answers. */
static void on_rrtr(brtc_pc *pc, const brtc_rtcp_packet *p) {
  uint64_t ntp;
  if (p->len < 8 || brtc_rtcp_xr_rrtr(p, &ntp) != BRTC_OK) return;
  pc->rrtr_seen = true;
  pc->rrtr_ssrc = brtc_rd32(p->data + 4); /* the XR packet's originator */
  pc->rrtr_lrr = (uint32_t)(ntp >> 16);
  pc->rrtr_at_us = pc->now_us;
}

static void on_rtcp(const brtc_rtcp_packet *p, void *user) {
  brtc_pc *pc = user;
  pc_send_rtcp(pc, p); /* reports, NACK, PLI, FIR about what we send */
  if (p->type == BRTC_RTCP_XR) {
    on_dlrr(pc, p);
    on_rrtr(pc, p);
  }
  if (p->type != BRTC_RTCP_SR) return;
  /* Remember the SR so our report blocks carry LSR and DLSR (RFC 3550 6.4.1). */
  for (size_t i = 0; i < pc->n_tracks; i++) {
    pc_stream *st = &pc->tracks[i]->stream;
    if (st->active && st->ssrc == p->sender_ssrc) {
      st->stats.last_sr_ntp_mid = (uint32_t)(p->ntp >> 16);
      st->stats.last_sr_at_us = pc->now_us;
    }
  }
}

void pc_media_rtcp(brtc_pc *pc, uint8_t *pkt, size_t len) {
  size_t plain_len = 0;
  int rc = brtc_srtcp_unprotect(pc->srtp_in, pkt, len, &plain_len);
  if (rc != BRTC_OK) {
    count_srtp_error(pc, rc);
    return;
  }
  pc->peer_has_keys = true;
  pc->srtp_authenticated++;
  if (pc->plain_packet_events) plain_event(pc, true, true, pkt, plain_len);
  if (brtc_rtcp_parse(pkt, plain_len, on_rtcp, pc) != BRTC_OK) {
    pc->stats.dropped_malformed++;
    return;
  }
  pc->stats.rtcp_in++;
}

static void want_pli(brtc_pc *pc, pc_track *t, bool explicit_request) {
  if (pc->closed || pc->failed || !t->video || !(t->fb_pli || t->fb_fir)) return;
  uint64_t due = pc->now_us;
  if (!explicit_request && t->pli_sent_once && t->last_pli_us + PC_PLI_MIN_INTERVAL_US > due)
    due = t->last_pli_us + PC_PLI_MIN_INTERVAL_US;
  if (due < t->pli_due_us) t->pli_due_us = due;
  if (explicit_request || !t->keyframe_wanted_until)
    t->keyframe_wanted_until = pc->now_us + PC_PLI_GIVE_UP_US;
}

void pc_media_want_pli(brtc_pc *pc, bool explicit_request) {
  for (size_t i = 0; i < pc->n_tracks; i++) want_pli(pc, pc->tracks[i], explicit_request);
}

void pc_media_cancel_requests(brtc_pc *pc) {
  for (size_t i = 0; i < pc->n_tracks; i++) pc->tracks[i]->pli_due_us = PC_NEVER;
}

/* Report blocks for the streams we receive; returns how many. */
static size_t report_blocks(brtc_pc *pc, brtc_rtcp_report_block blocks[PC_MAX_TRACKS]) {
  size_t n = 0;
  for (size_t i = 0; i < pc->n_tracks; i++) {
    pc_stream *st = &pc->tracks[i]->stream;
    if (st->active) brtc_rtcp_report_from_stats(&st->stats, pc->now_us, &blocks[n++]);
  }
  return n;
}

static bool any_active(const brtc_pc *pc, bool video_only) {
  for (size_t i = 0; i < pc->n_tracks; i++)
    if (pc->tracks[i]->stream.active && (!video_only || pc->tracks[i]->video)) return true;
  return false;
}

/* Feedback alone is fine with rtcp-rsize (RFC 5506); otherwise lead with an empty RR. */
static int feedback_prefix(brtc_pc *pc, uint8_t *out, size_t cap, size_t *len) {
  *len = 0;
  if (pc->rtcp_rsize) return BRTC_OK;
  return brtc_rtcp_write_rr(pc->local_ssrc, NULL, 0, out, cap, len);
}

/* REMB for the video SSRCs with our ceiling, the sum of each track's (bitrate_for_size):
 * senders that estimate the path from REMB (libwebrtc without transport-cc, aiortc) take
 * it as the bitrate they may reach, for all the SSRCs it names together. */
static size_t remb_ssrcs(const brtc_pc *pc, uint32_t ssrcs[PC_MAX_TRACKS], uint64_t *bps) {
  size_t n = 0;
  *bps = 0;
  for (size_t i = 0; i < pc->n_tracks; i++) {
    const pc_track *t = pc->tracks[i];
    if (!t->video || !t->fb_remb || !t->stream.active) continue;
    ssrcs[n++] = t->stream.ssrc;
    *bps += t->max_bps;
  }
  return n;
}

static bool remb_wanted(const brtc_pc *pc) {
  if (pc->closed || pc->failed) return false;
  for (size_t i = 0; i < pc->n_tracks; i++)
    if (pc->tracks[i]->video && pc->tracks[i]->fb_remb && pc->tracks[i]->stream.active)
      return true;
  return false;
}

static int append_remb(brtc_pc *pc, uint8_t *out, size_t room, size_t *len) {
  uint32_t ssrcs[PC_MAX_TRACKS];
  uint64_t bps;
  size_t n_ssrcs = remb_ssrcs(pc, ssrcs, &bps);
  size_t n = 0;
  int rc = brtc_rtcp_write_remb(pc->local_ssrc, bps, ssrcs, n_ssrcs, out + *len, room - *len, &n);
  if (rc != BRTC_OK) return rc;
  *len += n;
  pc->remb_due = false;
  pc->stats.remb_sent++;
  return BRTC_OK;
}

/* Each builder writes one (compound) RTCP packet into out, or returns BRTC_ERR_AGAIN. */
static int build_bye(brtc_pc *pc, uint8_t *out, size_t room, size_t *len) {
  if (!pc->bye_pending) return BRTC_ERR_AGAIN;
  pc->bye_pending = false;
  size_t n = 0;
  int rc = brtc_rtcp_write_rr(pc->local_ssrc, NULL, 0, out, room, len);
  if (rc == BRTC_OK) rc = brtc_rtcp_write_bye(pc->local_ssrc, out + *len, room - *len, &n);
  *len += n;
  return rc;
}

static int build_pli_for(brtc_pc *pc, pc_track *t, uint8_t *out, size_t room, size_t *len) {
  if (t->pli_due_us > pc->now_us) return BRTC_ERR_AGAIN;
  t->pli_due_us = PC_NEVER;
  uint32_t media_ssrc = t->stream.active ? t->stream.ssrc : t->offered_ssrc;
  if (!media_ssrc) return BRTC_ERR_AGAIN; /* nobody to ask yet; the first packet will */
  size_t n = 0;
  int rc = feedback_prefix(pc, out, room, len);
  if (rc == BRTC_OK && t->fb_pli)
    rc = brtc_rtcp_write_pli(pc->local_ssrc, media_ssrc, out + *len, room - *len, &n);
  else if (rc == BRTC_OK)
    rc = brtc_rtcp_write_fir(pc->local_ssrc, media_ssrc, t->fir_seq++, out + *len, room - *len,
                             &n);
  *len += n;
  t->last_pli_us = pc->now_us;
  t->pli_sent_once = true;
  if (t->keyframe_wanted_until > pc->now_us + PC_PLI_REPEAT_US)
    t->pli_due_us = pc->now_us + PC_PLI_REPEAT_US; /* again, unless a keyframe comes first */
  else
    t->keyframe_wanted_until = 0;
  if (rc == BRTC_OK) pc->stats.plis_sent++;
  return rc;
}

static int build_pli(brtc_pc *pc, uint8_t *out, size_t room, size_t *len) {
  for (size_t i = 0; i < pc->n_tracks; i++) {
    int rc = build_pli_for(pc, pc->tracks[i], out, room, len);
    if (rc != BRTC_ERR_AGAIN) return rc;
  }
  return BRTC_ERR_AGAIN;
}

static int build_nack_for(brtc_pc *pc, pc_track *t, uint8_t *out, size_t room, size_t *len) {
  if (!t->video || !t->stream.active || brtc_nack_next_deadline(&t->nack) > pc->now_us)
    return BRTC_ERR_AGAIN;
  uint16_t seqs[PC_NACK_BATCH];
  size_t count = brtc_nack_due(&t->nack, pc->now_us, seqs, PC_NACK_BATCH);
  if (count == 0) return BRTC_ERR_AGAIN;
  size_t n = 0;
  int rc = feedback_prefix(pc, out, room, len);
  if (rc == BRTC_OK)
    rc = brtc_rtcp_write_nack(pc->local_ssrc, t->stream.ssrc, seqs, count, out + *len,
                              room - *len, &n);
  *len += n;
  if (rc == BRTC_OK) pc->stats.nacks_sent++;
  return rc;
}

static int build_nack(brtc_pc *pc, uint8_t *out, size_t room, size_t *len) {
  for (size_t i = 0; i < pc->n_tracks; i++) {
    int rc = build_nack_for(pc, pc->tracks[i], out, room, len);
    if (rc != BRTC_ERR_AGAIN) return rc;
  }
  return BRTC_ERR_AGAIN;
}

static bool any_nack_video(const brtc_pc *pc) {
  for (size_t i = 0; i < pc->n_tracks; i++)
    if (pc->tracks[i]->video && pc->tracks[i]->fb_nack && pc->tracks[i]->stream.active)
      return true;
  return false;
}

static int build_rr(brtc_pc *pc, uint8_t *out, size_t room, size_t *len) {
  if (!any_active(pc, false) || pc->next_rr_us > pc->now_us) return BRTC_ERR_AGAIN;
  brtc_rtcp_report_block blocks[PC_MAX_TRACKS];
  size_t nb = report_blocks(pc, blocks), n = 0;
  pc->next_rr_us = pc->now_us + PC_RR_INTERVAL_US;
  int rc = brtc_rtcp_write_rr(pc->local_ssrc, blocks, nb, out, room, len);
  if (rc == BRTC_OK) pc->stats.rr_sent++;
  if (rc == BRTC_OK)
    rc = brtc_rtcp_write_sdes_cname(pc->local_ssrc, pc->cname, out + *len, room - *len, &n);
  *len += n;
  /* Our reference time, for the video sender to answer with DLRR: how we learn the RTT that
   * spaces repeated NACKs. libwebrtc senders (Chrome, Firefox, Safari) answer any RRTR. */
  if (rc == BRTC_OK && any_nack_video(pc)) {
    n = 0;
    rc = brtc_rtcp_write_xr_rrtr(pc->local_ssrc, ntp_of(pc->now_us), out + *len, room - *len, &n);
    *len += n;
  }
  if (rc == BRTC_OK && remb_wanted(pc)) rc = append_remb(pc, out, room, len);
  return rc;
}

/* A REMB due with nothing else to carry it. */
static int build_remb(brtc_pc *pc, uint8_t *out, size_t room, size_t *len) {
  if (!pc->remb_due || !remb_wanted(pc)) return BRTC_ERR_AGAIN;
  int rc = feedback_prefix(pc, out, room, len);
  if (rc == BRTC_OK) rc = append_remb(pc, out, room, len);
  return rc;
}

int pc_media_poll_rtcp(brtc_pc *pc, uint8_t *out, size_t cap, size_t *out_len) {
  if (!pc->srtp_out) return BRTC_ERR_AGAIN;
  if (cap <= BRTC_SRTCP_MAX_TRAILER + 128) return BRTC_ERR_TOO_BIG;
  size_t room = cap - BRTC_SRTCP_MAX_TRAILER;
  size_t len = 0;
  int rc = build_bye(pc, out, room, &len);
  if (rc == BRTC_ERR_AGAIN && !pc->closed && !pc->failed) {
    rc = build_pli(pc, out, room, &len);
    if (rc == BRTC_ERR_AGAIN) rc = build_nack(pc, out, room, &len);
    /* A due REMB rides along with the feedback just built (the first PLI, usually). */
    if (rc == BRTC_OK && pc->remb_due && remb_wanted(pc) &&
        room - len >= PC_REMB_LEN + 4 * PC_MAX_TRACKS)
      rc = append_remb(pc, out, room, &len);
    if (rc == BRTC_ERR_AGAIN) rc = build_rr(pc, out, room, &len);
    if (rc == BRTC_ERR_AGAIN) rc = build_remb(pc, out, room, &len);
  }
  if (rc != BRTC_OK) return rc;
  if (pc->plain_packet_events) plain_event(pc, false, true, out, len);
  return brtc_srtcp_protect(pc->srtp_out, out, len, cap, out_len);
}

uint64_t pc_media_deadline(const brtc_pc *pc) {
  if (!pc->srtp_out || pc->closed || pc->failed || !pc->have_media_addr) return PC_NEVER;
  uint64_t t = PC_NEVER;
  for (size_t i = 0; i < pc->n_tracks; i++) {
    const pc_track *k = pc->tracks[i];
    if (k->pli_due_us < t) t = k->pli_due_us;
    if (!k->video || !k->stream.active) continue;
    uint64_t nack = brtc_nack_next_deadline(&k->nack);
    if (nack < t) t = nack;
    uint64_t held = brtc_vp8_assembler_next_deadline(k->vp8);
    if (held < t) t = held;
    uint64_t waiting = k->h264_asm ? brtc_h264_assembler_deadline(k->h264_asm) : 0;
    if (waiting && waiting < t) t = waiting;
  }
  if (any_active(pc, false) && pc->next_rr_us < t) t = pc->next_rr_us;
  if (pc->remb_due && remb_wanted(pc) && pc->now_us < t) t = pc->now_us;
  return t;
}

void pc_media_timeout(brtc_pc *pc) {
  if (pc->closed || pc->failed) return;
  for (size_t i = 0; i < pc->n_tracks; i++) {
    pc_track *t = pc->tracks[i];
    uint64_t waiting = t->h264_asm ? brtc_h264_assembler_deadline(t->h264_asm) : 0;
    if (waiting && waiting <= pc->now_us) {
      brtc_h264_assembler_handle_timeout(t->h264_asm, pc->now_us);
      pop_h264(t);
    }
    if (!t->vp8 || brtc_vp8_assembler_next_deadline(t->vp8) > pc->now_us) continue;
    brtc_vp8_assembler_poll(t->vp8, pc->now_us);
    pop_frames(t);
    check_frame_loss(t);
  }
}

int pc_media_add_track(brtc_pc *pc, const pc_track *proto) {
  if (pc->n_tracks >= PC_MAX_TRACKS) return BRTC_ERR_LIMIT;
  size_t size = PC_TRACK_SIZE(proto->video);
  pc_track *t = malloc(size);
  if (!t) return BRTC_ERR_NOMEM;
  memcpy(t, proto, size);
  t->pc = pc;
  t->index = pc->n_tracks;
  t->vp8 = NULL;
  t->h264_asm = NULL;
  t->h264_buf = NULL;
  t->h264_cap = 0;
  t->pli_due_us = PC_NEVER;
  t->rtx_ssrc = t->offered_rtx_ssrc;
  if (t->video) brtc_nack_init(&t->nack);
  pc->tracks[pc->n_tracks++] = t;
  if (t->video) pc->any_video = true;
  return BRTC_OK;
}

void pc_media_free(brtc_pc *pc) {
  for (size_t i = 0; i < pc->n_tracks; i++) {
    pc_events_settle(pc, pc->tracks[i]->vp8);
    pc_events_settle(pc, pc->tracks[i]->h264_asm);
    brtc_vp8_assembler_free(pc->tracks[i]->vp8);
    brtc_h264_assembler_free(pc->tracks[i]->h264_asm);
    free(pc->tracks[i]->h264_buf);
    free(pc->tracks[i]);
    pc->tracks[i] = NULL;
  }
  pc->n_tracks = 0;
}
