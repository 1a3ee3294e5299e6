/* serve --echo: a publisher's video goes straight back to it on the same connection. Where
 * its offer's video section also receives (sendrecv), the answer carries a sending track of
 * ours there, with its own SSRC (track.h), and every whole frame the pc assembles from the
 * publisher is sent on it as it came, frame by frame: no decoding, no re-encoding. The
 * frames keep their spacing: capture times follow the publisher's RTP timestamps. Keyframe
 * requests from the publisher's receiver go back to its sender as our PLI.
 *
 * Its data channels come back too: with --echo every message a peer sends on any channel
 * returns on that channel, text as text and binary as binary; without it only channels
 * labelled "echo" do (the page's data-channel demo and e2e_datachannel_echo). */
#include <stdlib.h>
#include <string.h>

#include "boltrtc/datachannel.h"
#include "boltrtc/error.h"
#include "boltrtc/track.h"
#include "common/log.h"
#include "signal/server_internal.h"

#define VIDEO_CLOCK 90000u

int brtc_echo_media_start(brtc_session *s) {
  return brtc_pc_add_track(s->pc, BRTC_TRACK_VIDEO, BRTC_DIRECTION_SENDRECV, "VP8",
                           &s->echo_track);
}

void brtc_echo_media_frame(brtc_session *s, const brtc_output *f, uint64_t now_us) {
  brtc_track *t = s->echo_track;
  if (!t || !f->mid || strcmp(f->mid, brtc_track_mid(t)) != 0) return;
  /* RFC 3550 5.1: timestamps wrap; unwrap them into one timeline from the first frame. */
  if (!s->echo_started) {
    s->echo_started = true;
    s->echo_base_us = now_us;
    s->echo_ext_ts = 0;
    brtc_log(BRTC_LOG_INFO, s->id, "echo: sending the video back on mid %s, ssrc 0x%08x",
             brtc_track_mid(t), (unsigned)brtc_track_ssrc(t));
  } else {
    s->echo_ext_ts += (uint64_t)(int64_t)(int32_t)(f->rtp_timestamp - s->echo_last_ts);
  }
  s->echo_last_ts = f->rtp_timestamp;
  uint64_t capture = s->echo_base_us + s->echo_ext_ts * 1000000u / VIDEO_CLOCK;
  int rc = brtc_track_send_frame(t, now_us, f->data, f->len, capture,
                                 f->keyframe ? BRTC_FRAME_KEYFRAME : 0);
  if (rc == BRTC_OK) s->echo_frames++;
}

void brtc_echo_media_keyframe(brtc_session *s, uint64_t now_us) {
  if (s->echo_track && s->pc) brtc_pc_request_keyframe(s->pc, now_us);
}

bool brtc_echo_datachannel_wanted(const brtc_signal_server *srv, const brtc_datachannel *dc) {
  return srv->echo || strcmp(brtc_datachannel_label(dc), "echo") == 0;
}

/* An echo that did not fit the send buffer. The send buffer holds what the peer has not yet
 * acknowledged, so a peer that paces itself by its echoes (aiortc: 512 KiB awaiting echo) can
 * still fill it while a lost chunk is repaired (RFC 9260 7.2.4, 6.3.3): echoes after the hole
 * reach it and free its budget, it sends more, we hold more. Dropping one there loses that
 * message for good (the e2e_whip_datachannel stall); it waits here instead, in order. */
typedef struct brtc_echo_pending {
  struct brtc_echo_pending *next;
  brtc_datachannel *channel;
  bool binary;
  size_t len;
  uint8_t data[];
} brtc_echo_pending;

/* What may wait per session: beyond it the peer is not pacing itself by what comes back, and
 * the message is dropped and counted. */
#define ECHO_PENDING_MAX (4u * 1024u * 1024u)

static void count_drop(brtc_session *s, size_t len, int rc) {
  if (s->echo_dropped++ == 0)
    brtc_log(BRTC_LOG_WARN, s->id, "echo: a %zu-byte message not sent back: %s (later ones "
             "only counted)", len, brtc_strerror(rc));
}

void brtc_echo_datachannel_flush(brtc_session *s, uint64_t now_us) {
  while (s->echo_head) {
    brtc_echo_pending *e = s->echo_head;
    int rc = brtc_datachannel_send(e->channel, now_us, e->data, e->len, e->binary);
    if (rc == BRTC_ERR_AGAIN) return; /* the send buffer is one per association */
    if (rc != BRTC_OK) count_drop(s, e->len, rc);
    s->echo_head = e->next;
    if (!s->echo_head) s->echo_tail = NULL;
    s->echo_pending_bytes -= e->len;
    free(e);
  }
}

void brtc_echo_datachannel_message(brtc_session *s, const brtc_output *msg, uint64_t now_us) {
  brtc_echo_datachannel_flush(s, now_us);
  int rc = BRTC_ERR_AGAIN;
  if (!s->echo_head) rc = brtc_datachannel_send(msg->channel, now_us, msg->data, msg->len,
                                                msg->binary);
  if (rc != BRTC_ERR_AGAIN) {
    if (rc != BRTC_OK) count_drop(s, msg->len, rc);
    return;
  }
  brtc_echo_pending *e = NULL;
  if (s->echo_pending_bytes + msg->len <= ECHO_PENDING_MAX) e = malloc(sizeof *e + msg->len);
  if (!e) {
    count_drop(s, msg->len, rc);
    return;
  }
  e->next = NULL;
  e->channel = msg->channel;
  e->binary = msg->binary;
  e->len = msg->len;
  if (msg->len) memcpy(e->data, msg->data, msg->len);
  if (s->echo_tail)
    s->echo_tail->next = e;
  else
    s->echo_head = e;
  s->echo_tail = e;
  s->echo_pending_bytes += msg->len;
}

void brtc_echo_datachannel_forget(brtc_session *s, const brtc_datachannel *dc) {
  brtc_echo_pending **p = &s->echo_head;
  s->echo_tail = NULL;
  while (*p) {
    brtc_echo_pending *e = *p;
    if (dc && e->channel != dc) {
      s->echo_tail = e;
      p = &e->next;
      continue;
    }
    *p = e->next;
    s->echo_pending_bytes -= e->len;
    free(e);
  }
}
