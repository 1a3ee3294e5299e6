/* Media of a peer connection: SRTP/SRTCP in (demultiplexed by payload type and SSRC),
 * receive statistics, NACK tracking, VP8 frame assembly; RTCP out (BYE, PLI, NACK, RR, REMB),
 * built on demand into the caller's buffer. */
#include <stdio.h>
#include <string.h>

#include "common/bytes.h"
#include "pc/pc_internal.h"
#include "rtp/rtcp.h"

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

static void on_vp8_frame(const brtc_vp8_frame *f, void *user) {
  brtc_pc *pc = user;
  pc->stats.frames++;
  if (f->keyframe) {
    pc->stats.keyframes++;
    pc->keyframe_wanted_until = 0; /* whatever asked for it is answered */
    if (pc->pli_due_us > pc->now_us) pc->pli_due_us = PC_NEVER; /* no repeat; one due goes */
    if (!pc->steps_done[BRTC_STEP_FIRST_KEYFRAME]) {
      char detail[64];
      snprintf(detail, sizeof(detail), "%ux%u, %zu bytes", (unsigned)f->width,
               (unsigned)f->height, f->len);
      pc_emit_step(pc, BRTC_STEP_FIRST_KEYFRAME, detail);
    }
  }
  if (!pc->on_event) return;
  brtc_video_frame frame = {
      .codec = "VP8",
      .data = f->data,
      .len = f->len,
      .keyframe = f->keyframe,
      .width = f->keyframe ? f->width : 0,
      .height = f->keyframe ? f->height : 0,
      .rtp_timestamp = f->timestamp,
      .ssrc = f->ssrc,
  };
  brtc_pc_event ev = {.type = BRTC_PC_EVENT_VIDEO_FRAME, .step = BRTC_STEP_COUNT,
                      .detail = "", .frame = &frame};
  pc->on_event(pc, &ev, pc->user);
}

/* How long an incomplete frame waits for its missing packets: with NACK, every ask and the
 * round trip of the last; without, the reordering allowance alone. */
static void update_frame_hold(brtc_pc *pc) {
  if (!pc->vp8) return;
  brtc_vp8_assembler_set_hold(pc->vp8, pc->fb_nack ? brtc_nack_budget_us(&pc->nack)
                                                   : brtc_nack_wait_us(&pc->nack));
}

/* Frames were given up. A frame consumer hears of it; whether we ask for a keyframe is the
 * policy's: after any loss, or only when a keyframe (or a frame that may have been one,
 * while a keyframe is awaited) was lost. */
static void on_frames_lost(brtc_pc *pc, const brtc_vp8_loss *loss) {
  if (pc->fb_nack) brtc_nack_forget_before(&pc->nack, (uint16_t)(loss->last_seq + 1));
  /* Superseded losses (a newer keyframe is here) need nothing; loss->keyframes and
   * loss->unknown count the others. */
  bool awaiting_key = pc->keyframe_wanted_until || pc->stats.keyframes == 0;
  bool key_lost = loss->keyframes > 0 || (loss->unknown > 0 && awaiting_key);
  bool ask = key_lost || (pc->keyframe_policy == BRTC_KEYFRAME_ON_ANY_LOSS &&
                         loss->superseded < loss->frames);
  char detail[160];
  snprintf(detail, sizeof(detail),
           "%u video frame%s lost (%u keyframe%s, %u of unknown type, %u superseded by a "
           "keyframe)%s",
           (unsigned)loss->frames, loss->frames == 1 ? "" : "s", (unsigned)loss->keyframes,
           loss->keyframes == 1 ? "" : "s", (unsigned)loss->unknown, (unsigned)loss->superseded,
           ask ? ", asking for a keyframe" : "");
  pc_emit_log(pc, detail);
  if (pc->on_event) {
    brtc_video_frame frame = {.codec = "VP8", .keyframe = loss->keyframes > 0,
                              .ssrc = pc->video.ssrc};
    brtc_pc_event ev = {.type = BRTC_PC_EVENT_FRAME_LOST, .step = BRTC_STEP_COUNT,
                        .detail = detail, .frame = &frame};
    pc->on_event(pc, &ev, pc->user);
  }
  if (ask) pc_media_want_pli(pc, false);
}

static void check_frame_loss(brtc_pc *pc) {
  brtc_vp8_loss loss;
  if (brtc_vp8_assembler_take_loss(pc->vp8, &loss)) on_frames_lost(pc, &loss);
}

/* Take every frame the assembler has completed. */
static void pop_frames(brtc_pc *pc) {
  brtc_vp8_frame f;
  while (brtc_vp8_assembler_pop(pc->vp8, &f) == BRTC_OK) on_vp8_frame(&f, pc);
}

static void push_vp8(brtc_pc *pc, const brtc_rtp_header *h) {
  if (!pc->vp8) {
    pc->vp8 = brtc_vp8_assembler_new(pc->max_video_frame);
    if (!pc->vp8) {
      pc->stats.dropped_unexpected++;
      return;
    }
    update_frame_hold(pc);
  }
  if (brtc_vp8_assembler_push(pc->vp8, h, pc->now_us) == BRTC_ERR_PARSE)
    pc->stats.dropped_malformed++;
  pop_frames(pc);
  check_frame_loss(pc);
}

/* What the NACK tracker makes of an arriving video packet; false if it is a copy of one we
 * have (dropped and counted). */
static bool track_arrival(brtc_pc *pc, uint16_t seq, brtc_nack_source src) {
  if (!pc->fb_nack) return true;
  brtc_nack_arrival a = brtc_nack_on_packet(&pc->nack, seq, src, pc->now_us);
  if (a == BRTC_NACK_DUPLICATE) {
    pc->stats.rtp_duplicates++;
    return false;
  }
  if (a == BRTC_NACK_REORDERED) update_frame_hold(pc); /* the allowance may have grown */
  return true;
}

/* The first packet of a VP8 keyframe (RFC 7741 4.3: S=1, PID=0; RFC 6386 9.1: P=0). */
static bool starts_keyframe(const brtc_rtp_header *h) {
  brtc_vp8_descriptor d;
  return brtc_vp8_parse_descriptor(h->payload, h->payload_len, &d) == BRTC_OK && d.start &&
         d.partition == 0 && (h->payload[d.size] & 1) == 0;
}

/* Start from a keyframe rather than wait for one. A sender that begins with one (browsers
 * do) is given time to finish it, with its NACKs: a PLI then would only cost a second
 * keyframe. The first packet to arrive may not be the keyframe's first (reordering), so a
 * stream is watched for a keyframe's start for the reordering allowance before the PLI. */
static void ask_first_keyframe_by(brtc_pc *pc, uint64_t due) {
  if (!(pc->fb_pli || pc->fb_fir)) return;
  pc->pli_due_us = due;
  pc->keyframe_wanted_until = pc->video_first_us + PC_PLI_GIVE_UP_US;
}

static void watch_first_keyframe(brtc_pc *pc, const brtc_rtp_header *h) {
  /* Asked already (or explicitly: brtc_pc_request_keyframe makes it due now), or no need. */
  if (pc->pli_due_us <= pc->now_us || pc->pli_sent_once || pc->stats.keyframes) {
    pc->first_key_watch = false;
    return;
  }
  if (!starts_keyframe(h)) return;
  pc->first_key_watch = false;
  ask_first_keyframe_by(pc, pc->video_first_us + PC_FIRST_KEYFRAME_GRACE_US);
}

static void first_video_keyframe(brtc_pc *pc, const brtc_rtp_header *h) {
  pc->video_first_us = pc->now_us;
  bool key = starts_keyframe(h);
  uint64_t due = pc->now_us + (key ? PC_FIRST_KEYFRAME_GRACE_US : brtc_nack_wait_us(&pc->nack));
  if (due >= pc->pli_due_us) return; /* one is due sooner already (asked for explicitly) */
  pc->first_key_watch = !key;
  ask_first_keyframe_by(pc, due);
}

static void video_packet(brtc_pc *pc, const brtc_rtp_header *h) {
  if (!pc->video.active) {
    pc->video.active = true;
    pc->video.ssrc = h->ssrc;
    brtc_rtp_stats_init(&pc->video.stats, h->ssrc, pc->video_clock);
    pc->stats.video_ssrc = h->ssrc;
    first_rtp(pc, "video", h, "VP8");
    first_video_keyframe(pc, h);
    pc->remb_due = pc->fb_remb; /* tell the sender at once how high it may go */
    /* An early first report, so its RRTR brings the RTT that spaces NACKs (RFC 3550 6.2
     * lets the first report go at half the interval). */
    if (pc->fb_nack && pc->next_rr_us > pc->now_us + PC_FIRST_RR_US)
      pc->next_rr_us = pc->now_us + PC_FIRST_RR_US;
  } else if (h->ssrc != pc->video.ssrc) {
    pc->stats.dropped_unexpected++;
    return;
  }
  pc->stats.rtp_video++;
  if (pc->first_key_watch) watch_first_keyframe(pc, h);
  brtc_rtp_stats_update(&pc->video.stats, h->sequence, h->timestamp, pc->now_us);
  brtc_nack_source src = pc->rtx_seen ? BRTC_NACK_SRC_ORIGINAL : BRTC_NACK_SRC_MEDIA_MAYBE_RESENT;
  if (track_arrival(pc, h->sequence, src)) push_vp8(pc, h);
}

/* RFC 4588: the payload starts with the original sequence number; unwrap and treat it as
 * the packet it repairs. Padding-only RTX (bandwidth probes) carries nothing. */
static void rtx_packet(brtc_pc *pc, const brtc_rtp_header *h) {
  pc->stats.rtp_video++;
  if (!pc->video.active || h->payload_len < 2) return;
  brtc_rtp_header orig = *h;
  orig.payload_type = (uint8_t)pc->video_pt;
  orig.sequence = brtc_rd16(h->payload);
  orig.ssrc = pc->video.ssrc;
  orig.payload = h->payload + 2;
  orig.payload_len = h->payload_len - 2;
  if (orig.payload_len == 0) return;
  pc->rtx_seen = true;
  if (track_arrival(pc, orig.sequence, BRTC_NACK_SRC_RTX)) push_vp8(pc, &orig);
}

static void audio_packet(brtc_pc *pc, const brtc_rtp_header *h) {
  if (!pc->audio.active) {
    pc->audio.active = true;
    pc->audio.ssrc = h->ssrc;
    brtc_rtp_stats_init(&pc->audio.stats, h->ssrc, pc->audio_clock);
    pc->stats.audio_ssrc = h->ssrc;
    first_rtp(pc, "audio", h, "opus");
  } else if (h->ssrc != pc->audio.ssrc) {
    pc->stats.dropped_unexpected++;
    return;
  }
  pc->stats.rtp_audio++;
  brtc_rtp_stats_update(&pc->audio.stats, h->sequence, h->timestamp, pc->now_us);
}

/* An SRTP index seen before. If it is a video packet we asked to be resent and it
 * authenticates, it is the sender's retransmission of a packet that had come after all: a
 * duplicate. Anything else stays a replay (see brtc_srtp_authenticate_again). */
static void seen_index(brtc_pc *pc, uint8_t *pkt, size_t len) {
  bool asked = pc->fb_nack && pc->video.active && len >= 12 &&
               brtc_rd32(pkt + 8) == pc->video.ssrc &&
               brtc_nack_was_asked(&pc->nack, brtc_rd16(pkt + 2), pc->now_us);
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
  if (pc->on_plain_packet) pc->on_plain_packet(pc, true, false, pkt, plain_len, pc->user);
  brtc_rtp_header h;
  if (brtc_rtp_parse(pkt, plain_len, &h) != BRTC_OK) {
    pc->stats.dropped_malformed++;
    return;
  }
  if (pc->video_pt >= 0 && h.payload_type == pc->video_pt) video_packet(pc, &h);
  else if (pc->video_rtx_pt >= 0 && h.payload_type == pc->video_rtx_pt) rtx_packet(pc, &h);
  else if (pc->audio_pt >= 0 && h.payload_type == pc->audio_pt) audio_packet(pc, &h);
  else pc->stats.dropped_unexpected++;
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
  brtc_nack_set_rtt(&pc->nack, pc->rtt_us);
  update_frame_hold(pc);
}

static void on_rtcp(const brtc_rtcp_packet *p, void *user) {
  brtc_pc *pc = user;
  if (p->type == BRTC_RTCP_XR) on_dlrr(pc, p);
  if (p->type != BRTC_RTCP_SR) return;
  /* Remember the SR so our report blocks carry LSR and DLSR (RFC 3550 6.4.1). */
  pc_stream *streams[2] = {&pc->video, &pc->audio};
  for (size_t i = 0; i < 2; i++) {
    if (streams[i]->active && streams[i]->ssrc == p->sender_ssrc) {
      streams[i]->stats.last_sr_ntp_mid = (uint32_t)(p->ntp >> 16);
      streams[i]->stats.last_sr_at_us = pc->now_us;
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
  if (pc->on_plain_packet) pc->on_plain_packet(pc, true, true, pkt, plain_len, pc->user);
  if (brtc_rtcp_parse(pkt, plain_len, on_rtcp, pc) != BRTC_OK) {
    pc->stats.dropped_malformed++;
    return;
  }
  pc->stats.rtcp_in++;
}

void pc_media_want_pli(brtc_pc *pc, bool explicit_request) {
  if (pc->closed || pc->failed || !(pc->fb_pli || pc->fb_fir)) return;
  uint64_t due = pc->now_us;
  if (!explicit_request && pc->pli_sent_once && pc->last_pli_us + PC_PLI_MIN_INTERVAL_US > due)
    due = pc->last_pli_us + PC_PLI_MIN_INTERVAL_US;
  if (due < pc->pli_due_us) pc->pli_due_us = due;
  if (explicit_request || !pc->keyframe_wanted_until)
    pc->keyframe_wanted_until = pc->now_us + PC_PLI_GIVE_UP_US;
}

/* Report blocks for the streams we receive; returns how many. */
static size_t report_blocks(brtc_pc *pc, brtc_rtcp_report_block blocks[2]) {
  size_t n = 0;
  if (pc->video.active) brtc_rtcp_report_from_stats(&pc->video.stats, pc->now_us, &blocks[n++]);
  if (pc->audio.active) brtc_rtcp_report_from_stats(&pc->audio.stats, pc->now_us, &blocks[n++]);
  return n;
}

/* Feedback alone is fine with rtcp-rsize (RFC 5506); otherwise lead with an empty RR. */
static int feedback_prefix(brtc_pc *pc, uint8_t *out, size_t cap, size_t *len) {
  *len = 0;
  if (pc->rtcp_rsize) return BRTC_OK;
  return brtc_rtcp_write_rr(pc->local_ssrc, NULL, 0, out, cap, len);
}

/* REMB for the video SSRC with our fixed ceiling: senders that estimate the path from REMB
 * (libwebrtc without transport-cc, aiortc) take it as the bitrate they may reach. */
static bool remb_wanted(const brtc_pc *pc) {
  return pc->fb_remb && pc->video.active && !pc->closed && !pc->failed;
}

static int append_remb(brtc_pc *pc, uint8_t *out, size_t room, size_t *len) {
  size_t n = 0;
  int rc = brtc_rtcp_write_remb(pc->local_ssrc, pc->max_video_bps, &pc->video.ssrc, 1,
                                out + *len, room - *len, &n);
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

static int build_pli(brtc_pc *pc, uint8_t *out, size_t room, size_t *len) {
  if (pc->pli_due_us > pc->now_us) return BRTC_ERR_AGAIN;
  pc->pli_due_us = PC_NEVER;
  uint32_t media_ssrc = pc->video.active ? pc->video.ssrc : pc->offered_video_ssrc;
  if (!media_ssrc) return BRTC_ERR_AGAIN; /* nobody to ask yet; the first packet will */
  size_t n = 0;
  int rc = feedback_prefix(pc, out, room, len);
  if (rc == BRTC_OK && pc->fb_pli)
    rc = brtc_rtcp_write_pli(pc->local_ssrc, media_ssrc, out + *len, room - *len, &n);
  else if (rc == BRTC_OK)
    rc = brtc_rtcp_write_fir(pc->local_ssrc, media_ssrc, pc->fir_seq++, out + *len, room - *len,
                             &n);
  *len += n;
  pc->last_pli_us = pc->now_us;
  pc->pli_sent_once = true;
  if (pc->keyframe_wanted_until > pc->now_us + PC_PLI_REPEAT_US)
    pc->pli_due_us = pc->now_us + PC_PLI_REPEAT_US; /* again, unless a keyframe comes first */
  else
    pc->keyframe_wanted_until = 0;
  if (rc == BRTC_OK) pc->stats.plis_sent++;
  return rc;
}

static int build_nack(brtc_pc *pc, uint8_t *out, size_t room, size_t *len) {
  if (!pc->video.active || brtc_nack_next_deadline(&pc->nack) > pc->now_us) return BRTC_ERR_AGAIN;
  uint16_t seqs[PC_NACK_BATCH];
  size_t count = brtc_nack_due(&pc->nack, pc->now_us, seqs, PC_NACK_BATCH);
  if (count == 0) return BRTC_ERR_AGAIN;
  size_t n = 0;
  int rc = feedback_prefix(pc, out, room, len);
  if (rc == BRTC_OK)
    rc = brtc_rtcp_write_nack(pc->local_ssrc, pc->video.ssrc, seqs, count, out + *len,
                              room - *len, &n);
  *len += n;
  if (rc == BRTC_OK) pc->stats.nacks_sent++;
  return rc;
}

static int build_rr(brtc_pc *pc, uint8_t *out, size_t room, size_t *len) {
  if (!(pc->video.active || pc->audio.active) || pc->next_rr_us > pc->now_us) return BRTC_ERR_AGAIN;
  brtc_rtcp_report_block blocks[2];
  size_t nb = report_blocks(pc, blocks), n = 0;
  pc->next_rr_us = pc->now_us + PC_RR_INTERVAL_US;
  int rc = brtc_rtcp_write_rr(pc->local_ssrc, blocks, nb, out, room, len);
  if (rc == BRTC_OK) pc->stats.rr_sent++;
  if (rc == BRTC_OK)
    rc = brtc_rtcp_write_sdes_cname(pc->local_ssrc, pc->cname, out + *len, room - *len, &n);
  *len += n;
  /* Our reference time, for the video sender to answer with DLRR: how we learn the RTT that
   * spaces repeated NACKs. libwebrtc senders (Chrome, Firefox, Safari) answer any RRTR. */
  if (rc == BRTC_OK && pc->fb_nack && pc->video.active) {
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
    if (rc == BRTC_OK && pc->remb_due && remb_wanted(pc) && room - len >= PC_REMB_LEN)
      rc = append_remb(pc, out, room, &len);
    if (rc == BRTC_ERR_AGAIN) rc = build_rr(pc, out, room, &len);
    if (rc == BRTC_ERR_AGAIN) rc = build_remb(pc, out, room, &len);
  }
  if (rc != BRTC_OK) return rc;
  if (pc->on_plain_packet) pc->on_plain_packet(pc, false, true, out, len, pc->user);
  return brtc_srtcp_protect(pc->srtp_out, out, len, cap, out_len);
}

uint64_t pc_media_deadline(const brtc_pc *pc) {
  if (!pc->srtp_out || pc->closed || pc->failed || !pc->have_media_addr) return PC_NEVER;
  uint64_t t = pc->pli_due_us;
  if (pc->video.active) {
    uint64_t nack = brtc_nack_next_deadline(&pc->nack);
    if (nack < t) t = nack;
    uint64_t held = brtc_vp8_assembler_next_deadline(pc->vp8);
    if (held < t) t = held;
  }
  if ((pc->video.active || pc->audio.active) && pc->next_rr_us < t) t = pc->next_rr_us;
  if (pc->remb_due && remb_wanted(pc) && pc->now_us < t) t = pc->now_us;
  return t;
}

void pc_media_timeout(brtc_pc *pc) {
  if (!pc->vp8 || pc->closed || pc->failed) return;
  if (brtc_vp8_assembler_next_deadline(pc->vp8) > pc->now_us) return;
  brtc_vp8_assembler_poll(pc->vp8, pc->now_us);
  pop_frames(pc);
  check_frame_loss(pc);
}

void pc_media_free(brtc_pc *pc) {
  brtc_vp8_assembler_free(pc->vp8);
  pc->vp8 = NULL;
}
