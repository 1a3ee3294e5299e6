/* Media out of a peer connection: a whole frame is packetized by its codec's payload format
 * (RFC 7741, RFC 6184, RFC 7587), written into its track's send stream (history, RTP
 * headers) and queued in the pc's pacer; brtc_pc_poll_output then takes what the pacer lets
 * go, SRTP-protects it from the history straight into the caller's buffer, and sends each
 * stream's sender reports when due. RTCP feedback (report blocks, NACK, PLI, FIR) goes to
 * the send streams; keyframe requests come out as events. No allocation per packet: the
 * payload scratch grows with the largest frame only. */
#include <stdlib.h>
#include <string.h>

#include "pc/pc_send.h"

static bool transport_up(const brtc_pc *pc) {
  return pc->srtp_out && pc->have_media_addr && !pc->closed && !pc->failed;
}

/* Room for n payloads of max_payload bytes each. */
static int reserve(brtc_track *t, size_t n, size_t max_payload) {
  if (n > SIZE_MAX / max_payload) return BRTC_ERR_TOO_BIG;
  size_t bytes = n * max_payload;
  if (bytes > t->scratch_cap) {
    uint8_t *b = realloc(t->scratch, bytes);
    if (!b) return BRTC_ERR_NOMEM;
    t->scratch = b;
    t->scratch_cap = bytes;
  }
  if (n > t->payloads_cap) {
    brtc_payload *p = realloc(t->payloads, n * sizeof(*p));
    if (p) t->payloads = p;
    size_t *l = p ? realloc(t->lens, n * sizeof(*l)) : NULL;
    if (!l) return BRTC_ERR_NOMEM;
    t->lens = l;
    t->payloads_cap = n;
  }
  return BRTC_OK;
}

static int packetize_vp8(brtc_track *t, const uint8_t *data, size_t len, size_t max_payload,
                         size_t *n_out, bool *keyframe) {
  size_t n = brtc_vp8_packet_count(len, max_payload);
  if (n == 0) return BRTC_ERR_INVALID;
  int rc = reserve(t, n, max_payload);
  if (rc != BRTC_OK) return rc;
  int got = brtc_vp8_sender_packetize(&t->vp8, data, len, max_payload, t->scratch,
                                      t->scratch_cap, t->lens, n);
  if (got < 0) return got;
  for (size_t i = 0; i < (size_t)got; i++)
    t->payloads[i] = (brtc_payload){t->scratch + i * max_payload, t->lens[i]};
  *n_out = (size_t)got;
  uint16_t w, h;
  *keyframe = brtc_vp8_frame_is_keyframe(data, len, &w, &h);
  return BRTC_OK;
}

static int packetize_h264(brtc_track *t, const uint8_t *data, size_t len, size_t max_payload,
                          size_t *n_out, bool *keyframe) {
  int rc = brtc_h264_packetizer_set_max_payload(t->h264, max_payload);
  if (rc == BRTC_OK) rc = brtc_h264_packetizer_push_annexb(t->h264, data, len);
  if (rc != BRTC_OK) return rc;
  *keyframe = brtc_h264_packetizer_is_keyframe(t->h264);
  size_t n = brtc_h264_packetizer_remaining(t->h264);
  rc = reserve(t, n ? n : 1, max_payload);
  if (rc != BRTC_OK) {
    brtc_h264_packetizer_discard(t->h264);
    return rc;
  }
  size_t i = 0;
  for (;;) {
    size_t plen = 0;
    bool marker = false;
    if (i >= n) break;
    rc = brtc_h264_packetizer_next(t->h264, t->scratch + i * max_payload, max_payload, &plen,
                                   &marker);
    if (rc == BRTC_ERR_AGAIN) break;
    if (rc != BRTC_OK) {
      brtc_h264_packetizer_discard(t->h264);
      return rc;
    }
    t->payloads[i] = (brtc_payload){t->scratch + i * max_payload, plen};
    i++;
  }
  brtc_h264_packetizer_discard(t->h264);
  if (i == 0) return BRTC_ERR_PARSE;
  *n_out = i;
  return BRTC_OK;
}

/* A wanted keyframe is asked of the owner once the pacer can take it: while its queue is over
 * the bound the keyframe would be refused, and the request stays pending until the queue
 * drains (pc_send_after_input runs after every timeout). */
static void take_keyframe_request(brtc_pc *pc, brtc_track *t) {
  if (!t->stream || !t->video || brtc_pacer_congested(pc->send->pacer)) return;
  if (brtc_send_stream_take_keyframe_request(t->stream, pc->now_us)) pc_send_keyframe_event(pc, t);
}

int brtc_track_send_frame(brtc_track *t, uint64_t now_us, const uint8_t *data, size_t len,
                          uint64_t capture_us, unsigned flags) {
  if (!t || !data || len == 0) return BRTC_ERR_INVALID;
  brtc_pc *pc = t->pc;
  pc_touch(pc, now_us);
  if (pc->closed || pc->failed || !t->stream) return BRTC_ERR_STATE;
  /* Removed, or a later exchange left it no section that sends (pc_reneg.c). */
  if (t->current != BRTC_DIRECTION_SENDRECV && t->current != BRTC_DIRECTION_SENDONLY)
    return BRTC_ERR_STATE;
  if (!transport_up(pc)) {
    t->frames_refused++;
    return BRTC_ERR_AGAIN;
  }
  if (len > pc->max_video_frame) return BRTC_ERR_TOO_BIG;
  size_t max_payload = brtc_send_stream_max_payload(t->stream);
  size_t n = 0;
  bool keyframe = false;
  int rc;
  if (t->codec == PC_SEND_VP8) {
    rc = packetize_vp8(t, data, len, max_payload, &n, &keyframe);
  } else if (t->codec == PC_SEND_H264) {
    rc = packetize_h264(t, data, len, max_payload, &n, &keyframe);
  } else {
    /* RFC 7587 4.2: one Opus packet per RTP packet, never fragmented. */
    if (len > max_payload) return BRTC_ERR_TOO_BIG;
    rc = reserve(t, 1, max_payload);
    if (rc == BRTC_OK) t->payloads[0] = (brtc_payload){data, len};
    n = 1;
  }
  if (rc != BRTC_OK) return rc;
  keyframe = keyframe || (flags & BRTC_FRAME_KEYFRAME);
  if (t->video && !t->keyframe_sent && !keyframe) {
    /* A decoder cannot start on a delta frame: wait for the keyframe asked for. */
    t->frames_refused++;
    return BRTC_ERR_AGAIN;
  }
  brtc_send_frame f = {.capture_us = capture_us,
                       .keyframe = t->video && keyframe,
                       /* RFC 3551 4.1: the first packet of a talkspurt; ours is the first. */
                       .marker_first = !t->video && brtc_send_stream_get_stats(t->stream)->frames == 0,
                       .audio_level = -1,
                       .payloads = t->payloads,
                       .n = n};
  rc = brtc_send_stream_send_frame(t->stream, pc->send->pacer, &f, pc->now_us);
  if (rc == BRTC_OK && f.keyframe) t->keyframe_sent = true;
  take_keyframe_request(pc, t); /* a refused frame asks for one */
  return rc;
}

void pc_send_rtcp(brtc_pc *pc, const brtc_rtcp_packet *p) {
  pc_send *s = pc->send;
  if (!s || !s->pacer) return;
  pc_send_rate_rtcp(pc, p);
  for (size_t i = 0; i < s->n; i++) {
    brtc_track *t = s->tracks[i];
    if (t->stream && brtc_send_stream_on_rtcp(t->stream, s->pacer, p, pc->now_us))
      take_keyframe_request(pc, t);
  }
}

void pc_send_after_input(brtc_pc *pc) {
  pc_send *s = pc->send;
  if (!s || !transport_up(pc)) return;
  for (size_t i = 0; i < s->n; i++) {
    brtc_track *t = s->tracks[i];
    if (!t->stream || !t->video) continue;
    /* The transport just came up: the owner's encoder starts on a keyframe. */
    if (!t->ready_told) {
      t->ready_told = true;
      if (!t->keyframe_sent) pc_send_keyframe_event(pc, t);
    }
    take_keyframe_request(pc, t);
  }
}

/* When a track's next report is due: a removed track's one BYE at once, then none. */
static uint64_t report_due(const brtc_track *t) {
  if (t->removed) return t->bye_sent ? PC_NEVER : 0;
  return brtc_send_stream_deadline(t->stream);
}

/* RFC 3611 4.5: the answer to the peer's last RRTR, beside a sender report, as libwebrtc
 * senders answer: without it a receiver never learns the round trip that spaces its NACKs
 * and bounds how long a frame waits for them (it would assume 100 ms). */
static int append_dlrr(const brtc_pc *pc, const brtc_track *t, uint8_t *out, size_t room,
                       size_t *len) {
  uint64_t delay = (pc->now_us - pc->rrtr_at_us) * 65536 / 1000000; /* 1/65536 s */
  if (!pc->rrtr_seen || delay > UINT32_MAX) return BRTC_OK;
  size_t n = 0;
  int rc = brtc_rtcp_write_xr_dlrr(t->ssrc, pc->rrtr_ssrc, pc->rrtr_lrr, (uint32_t)delay,
                                   out + *len, room - *len, &n);
  if (rc == BRTC_OK) *len += n;
  return rc == BRTC_ERR_TOO_BIG ? BRTC_OK : rc; /* no room: the next report answers */
}

/* A sender report that is due, as SRTCP. */
static int poll_report(brtc_pc *pc, uint8_t *out, size_t cap, size_t *out_len) {
  pc_send *s = pc->send;
  if (cap <= BRTC_SRTCP_MAX_TRAILER) return BRTC_ERR_TOO_BIG;
  for (size_t i = 0; i < s->n; i++) {
    brtc_track *t = s->tracks[i];
    if (!t->stream || report_due(t) > pc->now_us) continue;
    size_t len = 0;
    bool bye = t->removed; /* RFC 3550 6.6: the last report of a removed track says BYE */
    t->bye_sent = bye;
    int rc = brtc_send_stream_write_report(t->stream, pc->now_us, NULL, 0, bye, out,
                                           cap - BRTC_SRTCP_MAX_TRAILER, &len);
    if (rc == BRTC_ERR_AGAIN) continue;
    if (rc == BRTC_OK && !bye) rc = append_dlrr(pc, t, out, cap - BRTC_SRTCP_MAX_TRAILER, &len);
    if (rc != BRTC_OK) return rc;
    if (pc->plain_packet_events) {
      brtc_output ev = {.event = BRTC_EVENT_PLAIN_PACKET, .step = PC_STEP_NONE, .data = out,
                        .len = len, .rtcp = true};
      pc_push_event(pc, &ev);
    }
    return brtc_srtcp_protect(pc->srtp_out, out, len, cap, out_len);
  }
  return BRTC_ERR_AGAIN;
}

int pc_send_poll(brtc_pc *pc, uint8_t *out, size_t cap, size_t *out_len) {
  pc_send *s = pc->send;
  if (!s || !s->pacer || !transport_up(pc)) return BRTC_ERR_AGAIN;
  int rc = poll_report(pc, out, cap, out_len);
  if (rc != BRTC_ERR_AGAIN) return rc;
  for (;;) {
    if (s->next_due == s->n_due) {
      s->n_due = brtc_pacer_poll(s->pacer, pc->now_us, s->due, PC_SEND_BATCH);
      s->next_due = 0;
      if (s->n_due == 0) break;
    }
    brtc_pacer_item it = s->due[s->next_due++];
    uint32_t id = brtc_send_stream_handle_id(it.handle);
    brtc_track *t = id >= 1 && id <= s->n ? s->tracks[id - 1] : NULL;
    if (!t || !t->stream) continue;
    const uint8_t *pkt = NULL;
    size_t len = 0;
    rc = brtc_send_stream_egress(t->stream, &it, pc->now_us, NULL, s->scratch,
                                 sizeof(s->scratch), &pkt, &len);
    if (rc != BRTC_OK) continue; /* gone from the history: counted by the stream */
    if (len + BRTC_SRTP_MAX_TRAILER > cap) return BRTC_ERR_TOO_BIG;
    if (pc->plain_packet_events) {
      brtc_output ev = {.event = BRTC_EVENT_PLAIN_PACKET, .step = PC_STEP_NONE, .data = pkt,
                        .len = len};
      pc_push_event(pc, &ev);
    }
    return brtc_srtp_protect_to(pc->srtp_out, pkt, len, out, cap, out_len);
  }
  return BRTC_ERR_AGAIN;
}

uint64_t pc_send_deadline(const brtc_pc *pc) {
  const pc_send *s = pc->send;
  if (!s || !s->pacer || !transport_up(pc)) return PC_NEVER;
  uint64_t d = s->next_due < s->n_due ? pc->now_us : brtc_pacer_deadline(s->pacer);
  for (size_t i = 0; i < s->n; i++) {
    if (!s->tracks[i]->stream) continue;
    uint64_t r = report_due(s->tracks[i]);
    if (r < d) d = r;
  }
  return d;
}

/* libwebrtc's encoder is paused, and drops frames before encoding, while the pacer's queue is
 * too long: a frame dropped after encoding breaks the chain of references, and the keyframe
 * that mends it is what made the queue long. */
bool brtc_track_should_skip_frame(const brtc_track *t) {
  if (!t || !t->video || !t->stream || !t->pc->send || !t->pc->send->pacer) return false;
  return brtc_pacer_congested(t->pc->send->pacer);
}
