/* WHEP viewers (draft-ietf-wish-whep): each session gets its own copy of the server's
 * --source file, played at real-time pace from its own start and looping, on one sending
 * video track of its pc. Its own copy, so that every viewer starts on the file's first
 * keyframe and a keyframe request (PLI, FIR) makes its source skip ahead to the next one
 * without disturbing the other viewers. The source starts when the pc first asks for a
 * keyframe, which it does once its transport is up (track.h). Only the public API of
 * libboltrtc is used here: brtc_track_send_frame and a loop timer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/track.h"
#include "common/log.h"
#include "signal/server_internal.h"
#include "sources/source.h"

struct brtc_whep_play {
  brtc_signal_server *srv;
  brtc_session *session;
  brtc_source *source;
  brtc_track *track;
  brtc_loop_timer *timer;
  bool started;
  uint64_t frames_sent, frames_refused;
};

int brtc_whep_check_source(const char *path, char *err, size_t err_cap) {
  brtc_source *src = NULL;
  int rc = brtc_source_open(path, NULL, &src, err, err_cap);
  if (rc < 0) return rc;
  if (src->codec != BRTC_SOURCE_VP8 && src->codec != BRTC_SOURCE_H264) {
    snprintf(err, err_cap, "%s: WHEP plays VP8 (IVF) or H.264 (Annex-B) video", path);
    rc = BRTC_ERR_UNSUPPORTED;
  } else {
    brtc_log(BRTC_LOG_INFO, NULL, "WHEP viewers at /whep get %s: %s", path, src->description);
  }
  brtc_source_free(src);
  return rc < 0 ? rc : BRTC_OK;
}

/* Every frame that is due goes out; the timer is set for the next one. */
static void on_timer(void *user, uint64_t now_us) {
  brtc_whep_play *p = user;
  brtc_source_frame f;
  int64_t now = (int64_t)now_us;
  while (brtc_source_take(p->source, now, &f) == BRTC_OK) {
    int rc = brtc_track_send_frame(p->track, now_us, f.data, f.len, (uint64_t)f.capture_us,
                                   f.keyframe ? BRTC_FRAME_KEYFRAME : 0);
    if (rc == BRTC_OK) {
      p->frames_sent++;
    } else if (p->frames_refused++ == 0 && rc != BRTC_ERR_AGAIN) {
      brtc_log(BRTC_LOG_WARN, p->session->id, "whep: frame %llu not sent: %s",
               (unsigned long long)f.frame_number, brtc_strerror(rc));
    }
  }
  int64_t due = brtc_source_next_due(p->source, now);
  if (due != BRTC_SOURCE_NEVER) brtc_loop_timer_set(p->timer, (uint64_t)(due > now ? due : now));
}

int brtc_whep_play_start(brtc_signal_server *srv, brtc_session *s, char *err, size_t err_cap) {
  brtc_whep_play *p = calloc(1, sizeof(*p));
  if (!p) {
    snprintf(err, err_cap, "out of memory");
    return BRTC_ERR_NOMEM;
  }
  p->srv = srv;
  p->session = s;
  s->play = p;
  int rc = brtc_source_open(srv->whep_source, NULL, &p->source, err, err_cap);
  if (rc < 0) return rc;
  const char *codec = p->source->codec == BRTC_SOURCE_H264 ? "H264" : "VP8";
  rc = brtc_pc_add_track(s->pc, BRTC_TRACK_VIDEO, BRTC_DIRECTION_SENDONLY, codec, &p->track);
  if (rc != BRTC_OK) {
    snprintf(err, err_cap, "cannot add the video track: %s", brtc_strerror(rc));
    return rc;
  }
  p->timer = brtc_loop_timer_new(srv->loop, on_timer, p);
  if (!p->timer) {
    snprintf(err, err_cap, "out of memory");
    return BRTC_ERR_NOMEM;
  }
  return BRTC_OK;
}

bool brtc_whep_play_answered(brtc_session *s, char *err, size_t err_cap) {
  if (!s->play || brtc_track_mid(s->play->track)[0]) return true;
  snprintf(err, err_cap, "the offer has no video section that receives %s",
           brtc_track_codec(s->play->track));
  return false;
}

void brtc_whep_play_keyframe(brtc_session *s, uint64_t now_us) {
  brtc_whep_play *p = s->play;
  if (!p) return;
  if (!p->started) {
    p->started = true; /* the transport is up: play from the file's first keyframe */
    brtc_log(BRTC_LOG_INFO, s->id, "whep: playing %s on mid %s, ssrc 0x%08x",
             p->source->description, brtc_track_mid(p->track),
             (unsigned)brtc_track_ssrc(p->track));
    brtc_loop_timer_set(p->timer, now_us);
    return;
  }
  brtc_source_request_keyframe(p->source);
}

void brtc_whep_play_free(brtc_session *s) {
  brtc_whep_play *p = s->play;
  if (!p) return;
  if (p->started)
    brtc_log(BRTC_LOG_INFO, s->id, "whep: %llu frames sent", (unsigned long long)p->frames_sent);
  brtc_loop_timer_free(p->timer);
  brtc_source_free(p->source);
  free(p);
  s->play = NULL;
}
