/* The tracks a pc sends (include/boltrtc/track.h): their handles, what the answer made of
 * them, and their statistics. What they send is pc_send.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/random.h"
#include "pc/pc_reneg.h"
#include "pc/pc_send.h"

#define PC_PACER_VIDEO_QUEUE 1024 /* the pacer's usual video queue (src/rtp/pacer.c) */

static const char *const codec_names[] = {[PC_SEND_VP8] = "VP8", [PC_SEND_H264] = "H264",
                                          [PC_SEND_OPUS] = "opus"};

const char *brtc_direction_name(brtc_direction d) {
  switch (d) {
    case BRTC_DIRECTION_SENDRECV: return "sendrecv";
    case BRTC_DIRECTION_SENDONLY: return "sendonly";
    case BRTC_DIRECTION_RECVONLY: return "recvonly";
    case BRTC_DIRECTION_INACTIVE: return "inactive";
  }
  return "unknown";
}

static bool sends(brtc_direction d) {
  return d == BRTC_DIRECTION_SENDRECV || d == BRTC_DIRECTION_SENDONLY;
}

/* A random SSRC that no other track of ours uses (RFC 3550 8.1), never 0. */
static uint32_t fresh_ssrc(const brtc_pc *pc) {
  for (;;) {
    uint32_t s = brtc_random_u32();
    bool used = s == 0 || s == pc->local_ssrc;
    for (size_t i = 0; pc->send && i < pc->send->n && !used; i++)
      used = pc->send->tracks[i]->ssrc == s || pc->send->tracks[i]->rtx_ssrc == s;
    if (!used) return s;
  }
}

int brtc_pc_add_track(brtc_pc *pc, brtc_track_kind kind, brtc_direction direction,
                      const char *codec, brtc_track **out) {
  if (out) *out = NULL;
  if (!pc || !out || (kind != BRTC_TRACK_AUDIO && kind != BRTC_TRACK_VIDEO) ||
      (unsigned)direction > BRTC_DIRECTION_INACTIVE)
    return BRTC_ERR_INVALID;
  bool video = kind == BRTC_TRACK_VIDEO;
  pc_send_codec c;
  if (!codec) c = video ? PC_SEND_VP8 : PC_SEND_OPUS;
  else if (strcasecmp(codec, "VP8") == 0) c = PC_SEND_VP8;
  else if (strcasecmp(codec, "H264") == 0) c = PC_SEND_H264;
  else if (strcasecmp(codec, "opus") == 0) c = PC_SEND_OPUS;
  else return BRTC_ERR_UNSUPPORTED;
  if (video != (c != PC_SEND_OPUS)) return BRTC_ERR_INVALID;
  if (pc->closed || pc->failed) return BRTC_ERR_STATE;
  if (!pc->send && !(pc->send = calloc(1, sizeof(*pc->send)))) return BRTC_ERR_NOMEM;
  pc_send *s = pc->send;
  if (s->n >= PC_MAX_TRACKS) return BRTC_ERR_LIMIT;
  brtc_track *t = calloc(1, sizeof(*t));
  if (!t) return BRTC_ERR_NOMEM;
  if (c == PC_SEND_H264 && !(t->h264 = brtc_h264_packetizer_new(BRTC_SEND_STREAM_MAX_PACKET))) {
    free(t);
    return BRTC_ERR_NOMEM;
  }
  t->pc = pc;
  t->index = s->n;
  t->video = video;
  t->codec = c;
  t->direction = direction;
  t->current = BRTC_DIRECTION_INACTIVE;
  t->ssrc = fresh_ssrc(pc);
  t->pt = t->rtx_pt = -1;
  snprintf(t->track_id, sizeof(t->track_id), "boltrtc-%s%zu", video ? "video" : "audio", s->n);
  brtc_vp8_sender_init(&t->vp8, (uint16_t)(brtc_random_u32() & 0x7FFF));
  s->tracks[s->n++] = t;
  t->rtx_ssrc = video ? fresh_ssrc(pc) : 0;
  pc_mark_ready(pc);
  pc_reneg_needed(pc); /* JSEP 4.1.1: the peer must hear of it */
  *out = t;
  return BRTC_OK;
}

size_t brtc_pc_send_track_count(const brtc_pc *pc) { return pc && pc->send ? pc->send->n : 0; }

brtc_track *brtc_pc_send_track(const brtc_pc *pc, size_t index) {
  return pc && pc->send && index < pc->send->n ? pc->send->tracks[index] : NULL;
}

brtc_track_kind brtc_track_get_kind(const brtc_track *t) {
  return t && t->video ? BRTC_TRACK_VIDEO : BRTC_TRACK_AUDIO;
}
const char *brtc_track_mid(const brtc_track *t) { return t ? t->mid : ""; }
brtc_direction brtc_track_direction(const brtc_track *t) {
  return t ? t->direction : BRTC_DIRECTION_INACTIVE;
}
brtc_direction brtc_track_current_direction(const brtc_track *t) {
  return t ? t->current : BRTC_DIRECTION_INACTIVE;
}
const char *brtc_track_codec(const brtc_track *t) { return t ? codec_names[t->codec] : ""; }
uint32_t brtc_track_ssrc(const brtc_track *t) { return t ? t->ssrc : 0; }
uint32_t brtc_track_rtx_ssrc(const brtc_track *t) { return t && t->rtx_pt >= 0 ? t->rtx_ssrc : 0; }
int brtc_track_payload_type(const brtc_track *t) { return t ? t->pt : -1; }
bool brtc_track_is_remote(const brtc_track *t) { (void)t; return false; }

size_t pc_send_answer_tracks(brtc_pc *pc, brtc_sdp_send_track *out) {
  size_t n = 0;
  for (size_t i = 0; pc->send && i < pc->send->n; i++) {
    const brtc_track *t = pc->send->tracks[i];
    if (!sends(t->direction)) continue; /* the answerer's receiving is the offer's sections */
    out[n++] = (brtc_sdp_send_track){
        .kind = t->video ? BRTC_MEDIA_VIDEO : BRTC_MEDIA_AUDIO,
        .codec = codec_names[t->codec],
        .ssrc = t->ssrc,
        .rtx_ssrc = t->rtx_ssrc,
        .track_id = t->track_id,
        .recv = t->direction == BRTC_DIRECTION_SENDRECV,
        .mid = t->mid[0] ? t->mid : NULL, /* a later offer: it keeps its section */
    };
  }
  return n;
}

/* The i-th track pc_send_answer_tracks listed. */
static brtc_track *answer_track(brtc_pc *pc, size_t listed) {
  for (size_t i = 0; pc->send && i < pc->send->n; i++)
    if (sends(pc->send->tracks[i]->direction) && listed-- == 0) return pc->send->tracks[i];
  return NULL;
}

static uint64_t track_max_bps(const brtc_pc *pc, const brtc_track *t) {
  if (!t->video) return PC_AUDIO_MAX_BPS;
  return t->max_bps ? t->max_bps : pc->max_video_bps; /* brtc_track_set_bitrate_bounds */
}

static int make_stream(brtc_pc *pc, brtc_track *t) {
  brtc_send_stream_config c;
  memset(&c, 0, sizeof(c));
  c.id = (uint32_t)t->index + 1;
  c.audio = !t->video;
  brtc_rtp_sender_config_init(&c.rtp);
  c.rtp.ssrc = t->ssrc;
  c.rtp.payload_type = (uint8_t)t->pt;
  c.rtp.clock_rate = t->video ? 90000 : 48000;
  c.rtp.rtx = t->rtx_pt >= 0;
  c.rtp.rtx_ssrc = c.rtp.rtx ? t->rtx_ssrc : 0;
  c.rtp.rtx_payload_type = c.rtp.rtx ? (uint8_t)t->rtx_pt : 0;
  /* RFC 9143: the mid goes on packets until the peer's reports show it knows our SSRC. */
  c.rtp.ext.mid = t->ext_mid;
  c.rtp.ext.abs_send_time = t->ext_abs_send_time;
  snprintf(c.rtp.mid, sizeof(c.rtp.mid), "%s", t->mid);
  c.cname = pc->cname;
  c.max_bitrate_bps = track_max_bps(pc, t);
  c.max_frame_bytes = pc->max_video_frame; /* what brtc_track_send_frame accepts it can send */
  int err = BRTC_OK;
  t->stream = brtc_send_stream_new(&c, &err);
  return t->stream ? BRTC_OK : err;
}

int pc_send_negotiated(brtc_pc *pc, const brtc_sdp_negotiated *neg, size_t n) {
  if (!pc->send) return BRTC_OK;
  brtc_track *tracks[BRTC_SDP_MAX_MEDIA] = {NULL};
  for (size_t i = 0; i < n && i < BRTC_SDP_MAX_MEDIA; i++)
    if (neg[i].send_track >= 0) tracks[i] = answer_track(pc, (size_t)neg[i].send_track);
  return pc_send_apply(pc, neg, tracks, n < BRTC_SDP_MAX_MEDIA ? n : BRTC_SDP_MAX_MEDIA);
}

static bool send_placed(const brtc_sdp_negotiated *neg, brtc_track *const *tracks, size_t n,
                        const brtc_track *t) {
  for (size_t i = 0; i < n; i++)
    if (tracks[i] == t && neg[i].accepted && neg[i].we_send) return true;
  return false;
}

int pc_send_apply(brtc_pc *pc, const brtc_sdp_negotiated *neg, brtc_track *const *tracks,
                  size_t n) {
  pc_send *s = pc->send;
  if (!s) return BRTC_OK;
  uint64_t target = 0;
  for (size_t i = 0; i < n; i++) {
    brtc_track *t = tracks[i];
    if (!t) continue;
    if (!neg[i].accepted && t->mid[0] && strcmp(t->mid, neg[i].mid) == 0) {
      t->removed = true; /* JSEP 5.3.2 / 5.4: a rejected section stops its transceiver */
      t->direction = t->current = BRTC_DIRECTION_INACTIVE;
      continue;
    }
    if (!neg[i].accepted) continue;
    /* Its section from now on (JSEP 5.2.2: a later offer keeps it there), sending or not. */
    snprintf(t->mid, sizeof(t->mid), "%s", neg[i].mid);
    if (!neg[i].we_send) continue;
    t->current = neg[i].we_receive ? BRTC_DIRECTION_SENDRECV : BRTC_DIRECTION_SENDONLY;
    if (t->stream) continue; /* a later exchange: the stream goes on as it was */
    t->pt = neg[i].payload_type;
    t->rtx_pt = neg[i].rtx_payload_type;
    t->ext_mid = strlen(t->mid) <= BRTC_EXT_MID_MAX ? neg[i].ext_mid : 0;
    t->ext_abs_send_time = neg[i].ext_abs_send_time;
    int rc = make_stream(pc, t);
    if (rc != BRTC_OK) return rc;
    pc_send_rate_start(pc, t); /* from the ceiling; the receiver's feedback moves it */
    target += track_max_bps(pc, t);
  }
  /* A track with a stream that no section sends any more stops (JSEP 4.2.3's
   * currentDirection: it receives at most). */
  for (size_t k = 0; k < s->n; k++)
    if (s->tracks[k]->stream && !send_placed(neg, tracks, n, s->tracks[k]))
      s->tracks[k]->current = BRTC_DIRECTION_INACTIVE;
  if (target && !s->pacer) {
    brtc_pacer_config pcfg = {.target_bitrate_bps = target};
    /* The largest frame's packets beside the usual queue; allocated only while it waits. */
    pcfg.capacity[BRTC_PACER_VIDEO] =
        PC_PACER_VIDEO_QUEUE +
        brtc_send_stream_frame_packets(pc->max_video_frame, BRTC_SEND_STREAM_MAX_PACKET);
    int err = BRTC_OK;
    if (!(s->pacer = brtc_pacer_new(&pcfg, &err))) return err;
  }
  return BRTC_OK;
}

bool pc_send_any(const brtc_pc *pc) {
  for (size_t i = 0; pc->send && i < pc->send->n; i++)
    if (pc->send->tracks[i]->stream) return true;
  return false;
}

void pc_send_forget(brtc_pc *pc) {
  pc_send *s = pc->send;
  if (!s) return;
  for (size_t i = 0; i < s->n; i++) {
    brtc_track *t = s->tracks[i];
    brtc_send_stream_free(t->stream);
    t->stream = NULL;
    t->mid[0] = '\0';
    t->pt = t->rtx_pt = -1;
    t->current = BRTC_DIRECTION_INACTIVE;
    t->rate_on = false;
  }
  brtc_pacer_free(s->pacer);
  s->pacer = NULL;
  s->n_due = s->next_due = 0;
}

void pc_send_free(brtc_pc *pc) {
  pc_send *s = pc->send;
  if (!s) return;
  pc_send_forget(pc);
  for (size_t i = 0; i < s->n; i++) {
    brtc_h264_packetizer_free(s->tracks[i]->h264);
    free(s->tracks[i]->scratch);
    free(s->tracks[i]->payloads);
    free(s->tracks[i]->lens);
    free(s->tracks[i]);
  }
  free(s);
  pc->send = NULL;
}

void pc_send_keyframe_event(brtc_pc *pc, brtc_track *t) {
  t->keyframe_requests++;
  brtc_output ev = {.event = BRTC_EVENT_KEYFRAME_REQUEST, .step = PC_STEP_NONE,
                    .codec = codec_names[t->codec], .mid = t->mid, .ssrc = t->ssrc,
                    .media_track = t};
  pc_push_event(pc, &ev);
}

#define SEND_STATS_V1_SIZE \
  (offsetof(brtc_track_send_stats, packets_queued) + sizeof(uint64_t))

int brtc_track_get_send_stats(const brtc_track *t, brtc_track_send_stats *caller) {
  if (!t || !caller || caller->size < SEND_STATS_V1_SIZE) return BRTC_ERR_INVALID;
  brtc_track_send_stats full;
  memset(&full, 0, sizeof(full));
  snprintf(full.mid, sizeof(full.mid), "%s", t->mid);
  full.kind = t->video ? "video" : "audio";
  full.codec = codec_names[t->codec];
  full.ssrc = t->ssrc;
  full.rtx_ssrc = brtc_track_rtx_ssrc(t);
  full.payload_type = t->pt;
  full.rtx_payload_type = t->rtx_pt;
  full.frames_refused = t->frames_refused;
  full.keyframe_requests = t->keyframe_requests;
  if (t->stream) {
    const brtc_send_stream_stats *ss = brtc_send_stream_get_stats(t->stream);
    const brtc_rtp_sender_counters *c = brtc_send_stream_counters(t->stream);
    full.frames_sent = ss->frames;
    full.key_frames_sent = ss->keyframes;
    full.frames_refused += ss->frames_refused_congested + ss->frames_refused_no_room +
                           ss->frames_refused_need_key;
    full.packets_sent = c->packets;
    full.bytes_sent = c->payload_bytes;
    full.header_bytes_sent = c->header_bytes;
    full.retransmitted_packets_sent = c->retransmitted_packets;
    full.retransmitted_bytes_sent = c->retransmitted_bytes;
    full.nack_count = ss->rtcp_nack;
    full.pli_count = ss->rtcp_pli;
    full.fir_count = ss->rtcp_fir;
    full.sender_reports_sent = brtc_send_stream_report_stats(t->stream)->reports_sent;
    const brtc_rtt_stats *rtt = brtc_send_stream_rtt(t->stream);
    full.round_trip_time_us = rtt->samples ? rtt->last_us : 0;
  }
  if (t->pc->send && t->pc->send->pacer) full.packets_queued = brtc_pacer_queued(t->pc->send->pacer);
  full.target_bitrate = brtc_track_target_bitrate(t);
  size_t size = caller->size < sizeof(full) ? caller->size : sizeof(full);
  full.size = caller->size;
  memcpy(caller, &full, size);
  return BRTC_OK;
}
