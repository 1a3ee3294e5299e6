/* Sessions: each owns one brtc_pc registered with the loop. Peer connection events arrive
 * inside brtc_loop passes (or inside signaling calls); a session that ends is only marked
 * there and is closed and freed by brtc_server_settle, after the pass, so a pc is never
 * freed from inside its own callback. */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "signal/server_internal.h"
#include "signal/ws_messages.h"

/* Mark a session for brtc_server_settle to close and free after the current pass. */
static void mark_ending(brtc_signal_server *srv, brtc_session *s) {
  s->closing = true;
  srv->sessions_ending = true;
}

static void set_state_from_step(brtc_session *s, brtc_pc_step step) {
  switch (step) {
    case BRTC_STEP_ANSWER:
      s->state = "connecting";
      break;
    case BRTC_STEP_DTLS_CONNECTED:
    case BRTC_STEP_SRTP_READY:
      s->state = "connected";
      break;
    case BRTC_STEP_CLOSED:
      if (strcmp(s->state, "failed") != 0) s->state = "closed";
      s->reported_end = true;
      break;
    case BRTC_STEP_FAILED:
      s->state = "failed";
      s->reported_end = true;
      break;
    default:
      break;
  }
}

void brtc_server_session_step(brtc_signal_server *srv, brtc_session *s, const char *name,
                              const char *detail) {
  (void)srv;
  uint64_t now = brtc_now_us();
  brtc_session_add_step(s, name, detail, now);
  brtc_log(BRTC_LOG_STEP, s->id, "%s%s%s", name, detail && *detail ? " " : "",
           detail ? detail : "");
  if (s->ws) {
    uint64_t t_ms = now > s->created_us ? (now - s->created_us) / 1000 : 0;
    brtc_ws_conn_send(s->ws, brtc_ws_make_step(s->id, name, detail, t_ms));
  }
}

/* What the server needs back with a saver result: when the keyframe arrived (the save
 * period counts from then) and whether it answered a Snapshot; monotonic microseconds fit
 * in 63 bits. */
static uint64_t save_tag(uint64_t arrived_us, bool answers_snapshot) {
  return arrived_us << 1 | (answers_snapshot ? 1u : 0u);
}

#define BUSY_LOG_PERIOD_US 5000000u

/* Hand a wanted keyframe to the saver; its number is taken here, on the loop thread, so
 * file numbers stay unique and increasing whichever thread writes the file. */
static void save_keyframe(brtc_signal_server *srv, brtc_session *s, const brtc_video_frame *f) {
  uint64_t now = brtc_now_us();
  if (!brtc_session_keyframe_wanted(s, now)) return;
  unsigned long number = brtc_keyframe_store_next_number(srv->store);
  int rc = brtc_keyframe_worker_submit(srv->saver, f->data, f->len, number, s->id,
                                       save_tag(now, s->snapshot_pending));
  if (rc == BRTC_OK) {
    brtc_keyframe_store_reserve(srv->store);
    brtc_session_keyframe_queued(s);
    brtc_keyframe_waitlist_remove(&srv->keyframe_waiters, s);
    return;
  }
  /* Not saved: the policy still wants the next keyframe. Never wait for the saver. */
  if (rc != BRTC_ERR_LIMIT) {
    brtc_log(BRTC_LOG_WARN, s->id, "keyframe of %zu bytes not saved: %s", f->len,
             brtc_strerror(rc));
    return;
  }
  /* Every slot is in use. Publishers send keyframes rarely, so waiting for the next one by
   * chance could take minutes: wait in line, and be asked for one when there is room. */
  if (brtc_keyframe_waitlist_defer(&srv->keyframe_waiters, s))
    brtc_server_session_step(srv, s, "keyframe-deferred",
                             "keyframe saving busy: a new keyframe is asked for when there is room");
  srv->busy_drops_unlogged++;
  if (srv->busy_logged_us == 0 || now >= srv->busy_logged_us + BUSY_LOG_PERIOD_US) {
    brtc_keyframe_worker_stats ks;
    brtc_keyframe_worker_get_stats(srv->saver, &ks);
    brtc_log(BRTC_LOG_WARN, s->id,
             "keyframe saving is busy (%zu waiting): %llu keyframes not saved since the last "
             "warning, %llu in all",
             ks.pending, (unsigned long long)srv->busy_drops_unlogged,
             (unsigned long long)ks.dropped_busy);
    srv->busy_drops_unlogged = 0;
    srv->busy_logged_us = now;
  }
}

#define ASK_BATCH 64
#define WAITERS_CHECK_PERIOD_US 250000u

void brtc_server_ask_waiting_keyframes(brtc_signal_server *srv) {
  if (!srv->saver || srv->keyframe_waiters.n == 0) return;
  uint64_t now = brtc_now_us();
  srv->waiters_checked_us = now;
  brtc_session *ask[ASK_BATCH];
  size_t n = brtc_keyframe_waitlist_take(&srv->keyframe_waiters,
                                         brtc_keyframe_worker_room(srv->saver), now, ask,
                                         ASK_BATCH);
  for (size_t i = 0; i < n; i++) {
    brtc_session *s = ask[i];
    int rc = s->pc && !s->closing ? brtc_pc_request_keyframe(s->pc, now) : BRTC_ERR_STATE;
    if (rc != BRTC_OK) {
      /* It cannot be asked (no PLI or FIR offered, or it is ending): its next keyframe is
       * still wanted whenever it comes, so it only leaves the line. */
      brtc_keyframe_waitlist_remove(&srv->keyframe_waiters, s);
      continue;
    }
    brtc_server_session_step(srv, s, "keyframe-requested", "keyframe saving has room: PLI sent");
    brtc_loop_kick(srv->loop, s->pc);
  }
}

void brtc_server_keyframe_done(const brtc_keyframe_result *r, void *user) {
  brtc_signal_server *srv = user;
  uint64_t arrived_us = r->tag >> 1;
  bool answered_snapshot = r->tag & 1;
  /* The session may have ended while its keyframe was being saved. */
  brtc_session *s = brtc_session_table_find_live(&srv->sessions, r->session);
  if (r->rc != BRTC_OK) {
    brtc_log(BRTC_LOG_WARN, r->session, "keyframe of %zu bytes not saved as shoot%lu.jpg: %s",
             r->vp8_bytes, r->number, brtc_strerror(r->rc));
    if (s) brtc_session_keyframe_finished(s, false, answered_snapshot, arrived_us);
    return;
  }
  const brtc_keyframe_record *rec = brtc_keyframe_store_record(
      srv->store, r->number, r->width, r->height, r->jpeg_bytes, r->session);
  char detail[160];
  snprintf(detail, sizeof(detail), "%s/%s %ux%u", brtc_keyframe_store_dir(srv->store), rec->file,
           r->width, r->height);
  if (!s) {
    brtc_log(BRTC_LOG_INFO, r->session, "keyframe saved %s (the session has ended)", detail);
    return;
  }
  brtc_session_keyframe_finished(s, true, answered_snapshot, arrived_us);
  brtc_server_session_step(srv, s, "keyframe-saved", detail);
  if (s->ws) brtc_ws_conn_send(s->ws, brtc_ws_make_keyframe(s->id, rec->file, r->width, r->height));
}

static void on_pc_event(brtc_pc *pc, const brtc_pc_event *ev, void *user) {
  (void)pc;
  brtc_session *s = user;
  brtc_signal_server *srv = s->owner;
  srv->in_pc_callback++;
  switch (ev->type) {
    case BRTC_PC_EVENT_STEP:
      set_state_from_step(s, ev->step);
      brtc_server_session_step(srv, s, brtc_pc_step_name(ev->step), ev->detail);
      if (ev->step == BRTC_STEP_CLOSED || ev->step == BRTC_STEP_FAILED) mark_ending(srv, s);
      break;
    case BRTC_PC_EVENT_VIDEO_FRAME:
      if (ev->frame && ev->frame->keyframe) save_keyframe(srv, s, ev->frame);
      break;
    case BRTC_PC_EVENT_LOG:
      brtc_log(BRTC_LOG_INFO, s->id, "%s", ev->detail ? ev->detail : "");
      break;
  }
  srv->in_pc_callback--;
}

brtc_session *brtc_server_session_start(brtc_signal_server *srv, brtc_transport transport,
                                        brtc_ws_conn *ws, const char *sdp, size_t sdp_len,
                                        const char **answer, char *err, size_t err_cap,
                                        int *rc) {
  uint64_t now = brtc_now_us();
  brtc_session *s = brtc_session_table_add(&srv->sessions, transport, now, rc);
  if (!s) {
    if (*rc == BRTC_ERR_LIMIT)
      snprintf(err, err_cap, "too many sessions (limit %zu)", srv->max_sessions);
    else
      snprintf(err, err_cap, "out of memory");
    return NULL;
  }
  s->owner = srv;
  if (ws) {
    s->ws = ws;
    ws->session = s;
  }
  char detail[64];
  snprintf(detail, sizeof(detail), "%s, %zu bytes", brtc_transport_name(transport), sdp_len);
  brtc_server_session_step(srv, s, "offer-received", detail);

  const struct sockaddr_storage *addrs;
  size_t n_addrs = brtc_loop_local_addrs(srv->loop, &addrs);
  brtc_pc_config cfg = {
      .certificate = srv->cert,
      .host_addrs = addrs,
      .n_host_addrs = n_addrs,
      .on_event = on_pc_event,
      .user = s,
      .dtls_role = srv->dtls_role,
  };
  s->pc = brtc_pc_new(&cfg);
  if (!s->pc) {
    *rc = BRTC_ERR_NOMEM;
    snprintf(err, err_cap, "cannot create a peer connection");
  } else {
    *rc = brtc_pc_set_remote_description(s->pc, "offer", sdp, now, err, err_cap);
    if (*rc == BRTC_OK) *rc = brtc_pc_create_answer(s->pc, answer, err, err_cap);
    if (*rc == BRTC_OK) {
      *rc = brtc_loop_add_pc(srv->loop, s->pc);
      if (*rc != BRTC_OK) snprintf(err, err_cap, "cannot register the peer connection: %s",
                                   brtc_strerror(*rc));
    }
  }
  if (*rc != BRTC_OK) {
    if (!err[0]) snprintf(err, err_cap, "%s", brtc_strerror(*rc));
    s->state = "failed";
    if (!s->reported_end) brtc_server_session_step(srv, s, "failed", err);
    s->reported_end = true;
    mark_ending(srv, s);
    return NULL; /* freed by brtc_server_settle */
  }
  s->in_loop = true;
  snprintf(detail, sizeof(detail), "%zu bytes", strlen(*answer));
  brtc_server_session_step(srv, s, "answer-sent", detail);
  brtc_loop_kick(srv->loop, s->pc);
  return s;
}

int brtc_server_session_candidate(brtc_signal_server *srv, brtc_session *s, const char *cand) {
  if (!s->pc || s->closing) return BRTC_ERR_STATE;
  int rc = brtc_pc_add_ice_candidate(s->pc, cand);
  if (rc == BRTC_OK) brtc_loop_kick(srv->loop, s->pc);
  return rc;
}

void brtc_server_session_snapshot(brtc_signal_server *srv, brtc_session *s) {
  if (!s->pc || s->closing) return;
  s->snapshot_pending = true;
  brtc_server_session_step(srv, s, "snapshot-requested", "PLI sent, next keyframe is saved");
  brtc_pc_request_keyframe(s->pc, brtc_now_us());
  brtc_loop_kick(srv->loop, s->pc);
}

void brtc_server_session_end(brtc_signal_server *srv, brtc_session *s, const char *why) {
  if (s->closing) return;
  mark_ending(srv, s);
  brtc_log(BRTC_LOG_INFO, s->id, "ending: %s", why);
}

void brtc_server_live_stats(const brtc_session *s, brtc_pc_stats *out) {
  if (s->pc) brtc_pc_get_stats(s->pc, out);
}

/* Close, unregister and free one ending session's pc, and retire the session. */
static void finish_session(brtc_signal_server *srv, brtc_session *s) {
  if (s->pc) {
    if (!brtc_pc_is_closed(s->pc)) {
      brtc_pc_close(s->pc, brtc_now_us());
      /* Flush close_notify and RTCP BYE while the pc is still registered. */
      if (s->in_loop) brtc_loop_kick(srv->loop, s->pc);
    }
    brtc_pc_get_stats(s->pc, &s->stats);
    if (s->in_loop) brtc_loop_remove_pc(srv->loop, s->pc);
    s->in_loop = false;
    brtc_pc_free(s->pc);
    s->pc = NULL;
  }
  if (!s->reported_end) {
    if (strcmp(s->state, "failed") != 0) s->state = "closed";
    brtc_server_session_step(srv, s, s->state, "session ended");
    s->reported_end = true;
  }
  if (s->ws) {
    s->ws->session = NULL;
    s->ws = NULL;
  }
  brtc_whip_session_ended(srv, s); /* its resource URL goes with it */
  brtc_keyframe_waitlist_remove(&srv->keyframe_waiters, s);
  brtc_session_table_retire(&srv->sessions, s);
}

static void reap(brtc_signal_server *srv) {
  /* Checked after every loop pass, so skip the scan when nothing ended. */
  if (srv->in_pc_callback || !srv->sessions_ending) return;
  srv->sessions_ending = false;
  for (size_t i = 0; i < srv->sessions.n_live;) {
    brtc_session *s = srv->sessions.live[i];
    if (s->closing) {
      finish_session(srv, s); /* removes it from live[] */
    } else {
      i++;
    }
  }
}

void brtc_server_settle(brtc_signal_server *srv) {
  reap(srv);
  if (srv->stopping) return;
  /* Room held for a publisher that ignored its keyframe request lapses with time, with no
   * saver result to notice it: look again now and then. */
  if (srv->keyframe_waiters.n_asked &&
      brtc_now_us() >= srv->waiters_checked_us + WAITERS_CHECK_PERIOD_US)
    brtc_server_ask_waiting_keyframes(srv);
}

void brtc_server_end_all_sessions(brtc_signal_server *srv) {
  for (size_t i = 0; i < srv->sessions.n_live; i++)
    brtc_server_session_end(srv, srv->sessions.live[i], "server stopping");
  reap(srv);
}
