/* Sessions: each owns one brtc_pc registered with the loop. Its events come from the loop at
 * a safe point (include/boltrtc/loop.h: the pc between calls, never inside a call of ours
 * into it), so a session whose pc closes or fails ends right there, pc freed and all. Calls
 * into a pc from signaling need nothing more: the loop drains it at the end of the pass. A
 * session ended by signaling (a WebSocket closed, a WHIP DELETE) is only marked, and closed
 * and freed by brtc_server_settle after the handler, because the handler still holds it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "boltrtc/datachannel.h"
#include "boltrtc/inspect.h"
#include "signal/capture.h"
#include "signal/server_internal.h"
#include "signal/status_json.h"
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

/* The pc's first-rtp step is the session's first media packet, of one kind only; a later
 * track's first packet comes as a log event (pc_media.c first_rtp, track_started). The
 * journey shows each track's start as a first-rtp step of its own, so that the video SSRC
 * appears beside the audio one. told_ssrc: the stream the pc's own first-rtp step named (0:
 * none), which needs no second step. Events are pulled after a batch of datagrams, so other
 * tracks may have started by the time that step is handled: they get their steps here. */
static void show_started_tracks(brtc_signal_server *srv, brtc_session *s, uint32_t told_ssrc) {
  size_t n = brtc_pc_track_count(s->pc);
  for (size_t i = 0; i < n && i < 32; i++) {
    brtc_pc_track_stats ts = {.size = sizeof(ts)};
    if (s->tracks_started & (1u << i)) continue;
    if (brtc_pc_get_track_stats(s->pc, i, &ts) != BRTC_OK || ts.ssrc == 0) continue;
    s->tracks_started |= 1u << i;
    if (ts.ssrc == told_ssrc) continue;
    char detail[128];
    snprintf(detail, sizeof(detail), "%s ssrc 0x%08x %s, track mid %.16s", ts.kind,
             (unsigned)ts.ssrc, ts.codec, ts.mid);
    brtc_server_session_step(srv, s, "first-rtp", detail);
  }
}

/* What the server needs back with a saver result: when the keyframe arrived (the save
 * period counts from then), its track (the policy's bit, 5 bits) and whether it answered a
 * Snapshot; monotonic microseconds fit in 58 bits for thousands of years. */
static uint64_t save_tag(uint64_t arrived_us, size_t track, bool answers_snapshot) {
  uint64_t t = track < BRTC_SESSION_POLICY_TRACKS ? track : BRTC_SESSION_POLICY_TRACKS - 1;
  return arrived_us << 6 | t << 1 | (answers_snapshot ? 1u : 0u);
}

#define BUSY_LOG_PERIOD_US 5000000u

/* The output folder reached its cap: say so once, clearly; every refusal is counted. */
static void output_cap_reached(brtc_signal_server *srv) {
  if (srv->output_cap_logged) return;
  srv->output_cap_logged = true;
  brtc_log(BRTC_LOG_WARN, NULL,
           "output folder %s reached its cap of %llu MB (--max-output-mb): keyframes are no "
           "longer saved (counted in /api/status limits.output.refused)",
           brtc_keyframe_store_dir(srv->store),
           (unsigned long long)(srv->max_output_bytes / (1024 * 1024)));
}

/* Hand a wanted keyframe to the saver; its number is taken here, on the loop thread, so
 * file numbers stay unique and increasing whichever thread writes the file. */
static void save_keyframe(brtc_signal_server *srv, brtc_session *s, const brtc_output *f) {
  uint64_t now = brtc_now_us();
  if (!brtc_session_track_keyframe_wanted(s, f->track, now)) return;
  unsigned long number = brtc_keyframe_store_next_number(srv->store);
  /* Several video tracks: each file says whose it is, shoot<N>-mid<mid>.jpg. */
  char label[BRTC_KEYFRAME_LABEL_MAX + 1] = "";
  if (s->video_tracks & (s->video_tracks - 1)) brtc_keyframe_label_for(f->mid, f->track, label);
  bool answers = brtc_session_track_snapshot_owed(s, f->track);
  /* The pc hands out VP8 frames, or H.264 access units in Annex-B form with their SPS and
   * PPS in front (pc_media.c): the saver decodes either. */
  brtc_keyframe_codec codec =
      f->codec && strcmp(f->codec, "H264") == 0 ? BRTC_KEYFRAME_H264 : BRTC_KEYFRAME_VP8;
  int rc = brtc_keyframe_worker_submit_labelled(srv->saver, codec, f->data, f->len,
                                                number, label, s->id,
                                                save_tag(now, f->track, answers));
  if (rc == BRTC_OK) {
    brtc_keyframe_store_reserve(srv->store);
    brtc_session_track_keyframe_queued(s, f->track);
    brtc_keyframe_waitlist_remove(&srv->keyframe_waiters, s);
    return;
  }
  /* Not saved: the policy still wants the next keyframe. Never wait for the saver. */
  if (rc == BRTC_ERR_TOO_BIG) {
    output_cap_reached(srv);
    return;
  }
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
  }
}

void brtc_server_keyframe_done(const brtc_keyframe_result *r, void *user) {
  brtc_signal_server *srv = user;
  uint64_t arrived_us = r->tag >> 6;
  size_t track = (size_t)(r->tag >> 1) & (BRTC_SESSION_POLICY_TRACKS - 1);
  bool answered_snapshot = r->tag & 1;
  /* The session may have ended while its keyframe was being saved. */
  brtc_session *s = brtc_session_table_find_live(&srv->sessions, r->session);
  if (r->rc == BRTC_ERR_TOO_BIG) {
    output_cap_reached(srv);
    if (s) brtc_session_track_keyframe_finished(s, track, false, answered_snapshot, arrived_us);
    return;
  }
  if (r->rc != BRTC_OK) {
    brtc_log(BRTC_LOG_WARN, r->session, "keyframe of %zu bytes not saved as shoot%lu.jpg: %s",
             r->vp8_bytes, r->number, brtc_strerror(r->rc));
    if (s) brtc_session_track_keyframe_finished(s, track, false, answered_snapshot, arrived_us);
    return;
  }
  const brtc_keyframe_record *rec = brtc_keyframe_store_record_labelled(
      srv->store, r->number, r->label, r->width, r->height, r->jpeg_bytes, r->session);
  char detail[160];
  snprintf(detail, sizeof(detail), "%s/%s %ux%u", brtc_keyframe_store_dir(srv->store), rec->file,
           r->width, r->height);
  if (!s) {
    brtc_log(BRTC_LOG_INFO, r->session, "keyframe saved %s (the session has ended)", detail);
    return;
  }
  brtc_session_track_keyframe_finished(s, track, true, answered_snapshot, arrived_us);
  brtc_server_session_step(srv, s, "keyframe-saved", detail);
  /* The track's mid, for the page to tell a camera's pictures from a screen's. */
  brtc_pc_track_stats ts = {.size = sizeof(brtc_pc_track_stats)};
  const char *mid = s->pc && brtc_pc_get_track_stats(s->pc, track, &ts) == BRTC_OK ? ts.mid : "";
  if (s->ws)
    brtc_ws_conn_send(s->ws, brtc_ws_make_keyframe(s->id, rec->file, r->width, r->height, mid));
}

/* At --log-level debug, each datagram decoded (include/boltrtc/inspect.h): all of STUN, DTLS
 * and RTCP, and the first few media packets only, or a session would print 100 lines a
 * second. */
#define DESCRIBED_MEDIA_PACKETS 6

static void describe(brtc_session *s, bool inbound, bool plaintext, const uint8_t *data,
                     size_t len) {
  char line[BRTC_INSPECT_LINE];
  brtc_inspect_kind kind = brtc_inspect_describe(data, len, plaintext, line, sizeof(line));
  if (kind == BRTC_INSPECT_SRTCP) return; /* shown in plaintext, from the packet tap */
  if (kind == BRTC_INSPECT_SRTP && s->media_described++ >= DESCRIBED_MEDIA_PACKETS) return;
  brtc_log(BRTC_LOG_DEBUG, s->id, "%s %zu B %s", inbound ? "<-" : "->", len, line);
}

/* --capture and --log-level debug: the session's datagrams as they were on the wire. */
static void on_wire_packet(brtc_session *s, bool inbound, const uint8_t *data, size_t len,
                           const struct sockaddr *peer) {
  if (s->inspect) brtc_inspect_entry_tap(s->inspect, true, inbound, false, data, len,
                                         brtc_now_us());
  if ((brtc_log_level_get() <= BRTC_LOG_DEBUG)) describe(s, inbound, false, data, len);
  if (!s->capture) return;
  brtc_capture_wire(s->capture, inbound, data, len, peer);
  if (brtc_capture_cap_reached(s->capture))
    brtc_log(BRTC_LOG_WARN, s->id, "capture: %s-*.pcap reached --capture-max-mb, no more "
             "packets recorded", brtc_capture_prefix(s->capture));
}

/* --capture and --log-level debug: plaintext RTP and RTCP from the pc's tap. */
static void on_plain_packet(brtc_session *s, bool inbound, bool rtcp, const uint8_t *data,
                            size_t len) {
  if (s->inspect) brtc_inspect_entry_tap(s->inspect, false, inbound, rtcp, data, len,
                                         brtc_now_us());
  if (rtcp && (brtc_log_level_get() <= BRTC_LOG_DEBUG)) describe(s, inbound, true, data, len);
  brtc_capture_plain(s->capture, inbound, data, len);
}

static void capture_keylog(brtc_session *s) {
  char line[BRTC_PC_KEYLOG_LEN];
  if (brtc_pc_dtls_keylog(s->pc, line, sizeof(line)) != BRTC_OK ||
      brtc_capture_keylog(s->capture, line) != BRTC_OK)
    brtc_log(BRTC_LOG_WARN, s->id, "capture: cannot write %s-keylog.txt",
             brtc_capture_prefix(s->capture));
}

static void start_capture(brtc_signal_server *srv, brtc_session *s,
                          const struct sockaddr_storage *addrs, size_t n_addrs) {
  char err[256];
  s->capture = brtc_capture_open(srv->capture_dir, s->id, addrs, n_addrs,
                                 srv->capture_max_bytes, err, sizeof(err));
  if (s->capture)
    brtc_log(BRTC_LOG_INFO, s->id, "capture: %s-wire.pcap, -plain.pcap, -keylog.txt",
             brtc_capture_prefix(s->capture));
  else
    brtc_log(BRTC_LOG_WARN, s->id, "capture: %s", err);
}

/* The packet inspector records this session (inspect_store.h); with every slot held by live
 * sessions it is not recorded, which the session survives. */
static void start_inspect(brtc_signal_server *srv, brtc_session *s, uint64_t now) {
  s->inspect = brtc_inspect_store_open(&srv->inspect, s->id, now);
  if (!s->inspect)
    brtc_log(BRTC_LOG_WARN, s->id, "inspect: every one of the %zu inspector slots is in use, "
             "this session is not recorded", srv->inspect.max_sessions);
  else if (srv->inspect_all)
    /* --inspect: the operator's terminal is where the URL can be found. */
    brtc_log(BRTC_LOG_INFO, s->id, "inspect: %sinspect?session=%s", srv->url, s->inspect->id);
}

/* Data channels: every session accepts them; the echo ones (echo_media.c says which) send
 * every message back. */
static void on_datachannel_event(brtc_signal_server *srv, brtc_session *s, const brtc_output *ev) {
  brtc_datachannel *dc = ev->channel;
  const char *label = brtc_datachannel_label(dc);
  bool echoing = brtc_echo_datachannel_wanted(srv, dc);
  char detail[160];
  switch (ev->event) {
    case BRTC_EVENT_DATACHANNEL_OPEN:
      snprintf(detail, sizeof(detail), "\"%.64s\" id %d, %s%s", label,
               (int)brtc_datachannel_id(dc), brtc_datachannel_ordered(dc) ? "ordered" : "unordered",
               echoing ? ", echoing" : "");
      brtc_server_session_step(srv, s, "datachannel-open", detail);
      break;
    case BRTC_EVENT_DATACHANNEL_CLOSED:
      brtc_echo_datachannel_forget(s, dc);
      snprintf(detail, sizeof(detail), "\"%.64s\" id %d%s", label, (int)brtc_datachannel_id(dc),
               s->echo_dropped ? ", some echoes dropped" : "");
      brtc_server_session_step(srv, s, "datachannel-closed", detail);
      break;
    case BRTC_EVENT_DATACHANNEL_MESSAGE:
      if (echoing) brtc_echo_datachannel_message(s, ev, brtc_now_us());
      break;
    default:
      break;
  }
}

static void finish_session(brtc_signal_server *srv, brtc_session *s);

/* A session whose pc closed or failed, from the pc's own event. */
static void end_now(brtc_signal_server *srv, brtc_session *s) {
  s->closing = true;
  finish_session(srv, s);
  brtc_heap_trim_after_end(&srv->heap_trim, srv->sessions.n_live);
}

static void on_pc_event(brtc_loop *loop, brtc_pc *pc, const brtc_output *ev, void *user) {
  (void)loop;
  (void)pc;
  brtc_session *s = user;
  brtc_signal_server *srv = s->owner;
  switch (ev->event) {
    case BRTC_EVENT_STEP:
      set_state_from_step(s, ev->step);
      if (ev->step == BRTC_STEP_DTLS_CONNECTED && s->capture) capture_keylog(s);
      if (ev->step == BRTC_STEP_ICE_CHECK) brtc_session_passed_ice(&srv->sessions, s);
      if (ev->step == BRTC_STEP_FAILED && s->pending) srv->pending_expired++;
      brtc_server_session_step(srv, s, brtc_pc_step_name(ev->step), ev->detail);
      if (ev->step == BRTC_STEP_FIRST_RTP) {
        /* Its detail names the stream: "<kind> ssrc 0x<hex> ..." (pc_media.c). */
        const char *at = ev->detail ? strstr(ev->detail, "ssrc 0x") : NULL;
        show_started_tracks(srv, s, at ? (uint32_t)strtoul(at + 7, NULL, 16) : 0);
      }
      /* The safe point: the session, its pc with it, may end right here. */
      if (ev->step == BRTC_STEP_CLOSED || ev->step == BRTC_STEP_FAILED) end_now(srv, s);
      return;
    case BRTC_EVENT_FRAME:
      if (ev->keyframe) save_keyframe(srv, s, ev);
      brtc_echo_media_frame(s, ev, brtc_now_us());
      break;
    case BRTC_EVENT_ICE_CANDIDATE: /* trickle to a /ws client (WHIP's are in the answer) */
    case BRTC_EVENT_ICE_GATHERING_COMPLETE:
      if (s->ws)
        brtc_ws_conn_send(s->ws, brtc_ws_make_candidate(
                                     ev->event == BRTC_EVENT_ICE_CANDIDATE ? ev->detail : "",
                                     ev->mid));
      break;
    case BRTC_EVENT_KEYFRAME_REQUEST:
      brtc_whep_play_keyframe(s, brtc_now_us());
      brtc_echo_media_keyframe(s, brtc_now_us());
      break;
    case BRTC_EVENT_LOG:
      brtc_log(BRTC_LOG_INFO, s->id, "%s", ev->detail ? ev->detail : "");
      if (s->tracks_started) show_started_tracks(srv, s, 0);
      break;
    case BRTC_EVENT_WIRE_PACKET:
      on_wire_packet(s, ev->inbound, ev->data, ev->len, (const struct sockaddr *)&ev->remote);
      break;
    case BRTC_EVENT_PLAIN_PACKET:
      on_plain_packet(s, ev->inbound, ev->rtcp, ev->data, ev->len);
      break;
    case BRTC_EVENT_DATACHANNEL:
    case BRTC_EVENT_DATACHANNEL_OPEN:
    case BRTC_EVENT_DATACHANNEL_MESSAGE:
    case BRTC_EVENT_DATACHANNEL_BUFFERED_AMOUNT_LOW:
    case BRTC_EVENT_DATACHANNEL_CLOSED:
      on_datachannel_event(srv, s, ev);
      break;
    default:
      break; /* FRAME_LOST: logged already; the keyframe policy decides on PLI */
  }
}

void brtc_signal_server_set_limits(brtc_signal_server *srv, const brtc_signal_config *c) {
  srv->max_pending = c->max_pending ? c->max_pending : BRTC_SIGNAL_DEFAULT_MAX_PENDING;
  srv->max_pending_per_source = c->max_pending_per_source ? c->max_pending_per_source
                                                          : BRTC_SIGNAL_DEFAULT_MAX_PENDING_PER_SOURCE;
  srv->pending_timeout_us =
      (uint64_t)(c->pending_timeout_ms ? c->pending_timeout_ms
                                       : BRTC_SIGNAL_DEFAULT_PENDING_TIMEOUT_MS) * 1000u;
  srv->snapshot_interval_us =
      (uint64_t)(c->snapshot_interval_ms ? c->snapshot_interval_ms
                                         : BRTC_SIGNAL_DEFAULT_SNAPSHOT_INTERVAL_MS) * 1000u;
  uint64_t mb = c->max_output_mb ? c->max_output_mb : BRTC_SIGNAL_DEFAULT_MAX_OUTPUT_MB;
  srv->max_output_bytes = mb == BRTC_SIGNAL_NO_OUTPUT_CAP ? 0 : mb * 1024u * 1024u;
  srv->consent_timeout_us = c->consent_timeout_us;
}

unsigned brtc_server_retry_after_s(const brtc_signal_server *srv) {
  return (unsigned)((srv->pending_timeout_us + 999999) / 1000000);
}

#define REFUSAL_LOG_PERIOD_US 5000000u

/* A refused offer: counted by the caller; a warning at most every 5 s, or a flood of them
 * would be a flood of log lines. */
static void log_refusal(brtc_signal_server *srv, const char *why) {
  uint64_t now = brtc_now_us();
  srv->refusals_unlogged++;
  if (srv->refusals_logged_us && now < srv->refusals_logged_us + REFUSAL_LOG_PERIOD_US) return;
  brtc_log(BRTC_LOG_WARN, NULL, "offer refused: %s (%llu refused since the last warning)", why,
           (unsigned long long)srv->refusals_unlogged);
  srv->refusals_unlogged = 0;
  srv->refusals_logged_us = now;
}

/* Whether one more session may start now; else *rc and err say why. */
static bool admit(brtc_signal_server *srv, const struct sockaddr *client, char *err,
                  size_t err_cap, int *rc) {
  size_t from_source = 0;
  *rc = BRTC_OK;
  if (srv->sessions.n_live >= srv->max_sessions) {
    srv->refused_full++;
    *rc = BRTC_ERR_LIMIT;
    snprintf(err, err_cap, "too many sessions (limit %zu)", srv->max_sessions);
  } else {
    int a = brtc_session_table_admit(&srv->sessions, client, srv->max_pending,
                                     srv->max_pending_per_source, &from_source);
    if (a == BRTC_ERR_LIMIT) {
      srv->refused_pending++;
      *rc = BRTC_ERR_AGAIN;
      snprintf(err, err_cap,
               "too many sessions waiting for their first ICE check (limit %zu): try again in "
               "%u s", srv->max_pending, brtc_server_retry_after_s(srv));
    } else if (a == BRTC_ERR_AGAIN) {
      char ip[BRTC_ADDR_STRLEN] = "?";
      brtc_addr source;
      if (brtc_session_source_of(client, &source)) brtc_addr_ip_str(&source, ip, sizeof(ip));
      srv->refused_pending_source++;
      *rc = BRTC_ERR_AGAIN;
      snprintf(err, err_cap,
               "too many sessions from %s waiting for their first ICE check (limit %zu per "
               "source): try again in %u s", ip, srv->max_pending_per_source,
               brtc_server_retry_after_s(srv));
    }
  }
  if (*rc != BRTC_OK) log_refusal(srv, err);
  return *rc == BRTC_OK;
}

brtc_session *brtc_server_session_start(brtc_signal_server *srv, brtc_transport transport,
                                        brtc_ws_conn *ws, const struct sockaddr *client,
                                        const char *sdp, size_t sdp_len, unsigned video_width,
                                        unsigned video_height, bool inspect, const char **answer,
                                        char *err, size_t err_cap, int *rc) {
  uint64_t now = brtc_now_us();
  if (!admit(srv, client, err, err_cap, rc)) return NULL;
  brtc_session *s = brtc_session_table_add(&srv->sessions, transport, now, rc);
  if (!s) {
    snprintf(err, err_cap, "out of memory");
    return NULL;
  }
  /* Pending until its first authenticated check (on_pc_event), or until it ends. */
  brtc_session_set_pending(&srv->sessions, s, client);
  brtc_heap_trim_started(&srv->heap_trim, srv->sessions.n_live);
  s->owner = srv;
  if (ws) {
    s->ws = ws;
    ws->session = s;
  }
  char detail[64];
  if (video_width && video_height)
    snprintf(detail, sizeof(detail), "%s, %zu bytes, camera %ux%u", brtc_transport_name(transport),
             sdp_len, video_width, video_height);
  else
    snprintf(detail, sizeof(detail), "%s, %zu bytes", brtc_transport_name(transport), sdp_len);
  brtc_server_session_step(srv, s, "offer-received", detail);

  const struct sockaddr_storage *addrs;
  size_t n_addrs = brtc_loop_local_addrs(srv->loop, &addrs);
  brtc_pc_config *cfg = brtc_pc_config_new();
  if (!cfg) {
    *rc = BRTC_ERR_NOMEM;
  } else {
    brtc_pc_config_set_certificate(cfg, srv->cert);
    brtc_loop_config_pc(srv->loop, cfg);
    brtc_pc_config_set_dtls_role(cfg, srv->dtls_role);
    brtc_pc_config_set_ice_lite(cfg, srv->ice_lite);
    brtc_pc_config_set_consent_timeout(cfg, srv->consent_timeout_us);
    brtc_pc_config_set_check_timeout(cfg, srv->pending_timeout_us);
    /* We save keyframes only: a lost delta frame needs no PLI (issue 5, item 6). */
    brtc_pc_config_set_keyframe_policy(cfg, BRTC_KEYFRAME_ON_KEYFRAME_LOSS);
    brtc_pc_config_set_video_size(cfg, video_width, video_height);
    brtc_pc_config_set_datachannels(cfg, true); /* accepted on every session; echo_media.c echoes */
    if (srv->capture_dir) {
      start_capture(srv, s, addrs, n_addrs);
      brtc_pc_config_set_keep_keylog(cfg, s->capture != NULL);
    }
    if (inspect || srv->inspect_all) start_inspect(srv, s, now);
    if (s->capture || s->inspect || (brtc_log_level_get() <= BRTC_LOG_DEBUG)) {
      brtc_pc_config_set_wire_packet_events(cfg, true);
      brtc_pc_config_set_plain_packet_events(cfg, true);
    }
    *rc = brtc_pc_new(cfg, &s->pc, err, err_cap);
    brtc_pc_config_free(cfg);
  }
  if (s->pc && transport == BRTC_TRANSPORT_WHEP) *rc = brtc_whep_play_start(srv, s, err, err_cap);
  else if (s->pc && srv->echo) *rc = brtc_echo_media_start(s);
  if (!s->pc) {
    if (!err[0]) snprintf(err, err_cap, "cannot create a peer connection");
  } else if (*rc == BRTC_OK) {
    *rc = brtc_pc_set_remote_description(s->pc, "offer", sdp, now, err, err_cap);
    if (*rc == BRTC_OK && !brtc_whep_play_answered(s, err, err_cap)) *rc = BRTC_ERR_UNSUPPORTED;
    if (*rc == BRTC_OK) *rc = brtc_pc_create_answer(s->pc, answer, err, err_cap);
    if (*rc == BRTC_OK) {
      *rc = brtc_loop_add_pc(srv->loop, s->pc, on_pc_event, s);
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
  for (size_t i = 0; i < brtc_pc_track_count(s->pc); i++) {
    brtc_pc_track_stats ts = {.size = sizeof(brtc_pc_track_stats)};
    if (brtc_pc_get_track_stats(s->pc, i, &ts) == BRTC_OK && strcmp(ts.kind, "video") == 0 &&
        i < BRTC_SESSION_POLICY_TRACKS)
      s->video_tracks |= 1u << i;
  }
  brtc_inspect_entry_sdp(s->inspect, sdp, sdp_len, *answer, strlen(*answer));
  snprintf(detail, sizeof(detail), "%zu bytes", strlen(*answer));
  brtc_server_session_step(srv, s, "answer-sent", detail);
  return s;
}

int brtc_server_session_candidate(brtc_signal_server *srv, brtc_session *s, const char *cand) {
  if (!s->pc || s->closing) return BRTC_ERR_STATE;
  (void)srv;
  return brtc_pc_add_ice_candidate(s->pc, cand);
}

int brtc_server_session_snapshot(brtc_signal_server *srv, brtc_session *s, uint64_t *wait_ms) {
  if (!s->pc || s->closing) return BRTC_ERR_STATE;
  uint64_t wait_us = 0;
  if (!brtc_session_snapshot_allowed(s, brtc_now_us(), srv->snapshot_interval_us, &wait_us)) {
    /* Each Snapshot costs the publisher a keyframe and us a JPEG: a client asking every
     * few milliseconds gets refusals, not a PLI storm. */
    srv->snapshots_refused++;
    if (wait_ms) *wait_ms = (wait_us + 999) / 1000;
    return BRTC_ERR_AGAIN;
  }
  s->snapshot_pending = true;
  brtc_server_session_step(srv, s, "snapshot-requested", "PLI sent, next keyframe is saved");
  brtc_pc_request_keyframe(s->pc, brtc_now_us());
  return BRTC_OK;
}

void brtc_server_session_end(brtc_signal_server *srv, brtc_session *s, const char *why) {
  if (s->closing) return;
  mark_ending(srv, s);
  brtc_log(BRTC_LOG_INFO, s->id, "ending: %s", why);
}

/* A live session's track counters, into its record for /api/status. */
static void refresh_tracks(brtc_session *s) {
  if (!s->pc) return;
  size_t n = 0;
  for (size_t i = 0; i < brtc_pc_track_count(s->pc) && n < BRTC_SESSION_KEEP_TRACKS; i++) {
    s->tracks[n].size = sizeof(s->tracks[n]);
    if (brtc_pc_get_track_stats(s->pc, i, &s->tracks[n]) == BRTC_OK) n++;
  }
  s->n_tracks = n;
}

/* Each track's counters, in the journey and kept for /api/status once the pc is gone. */
static void keep_tracks(brtc_signal_server *srv, brtc_session *s) {
  refresh_tracks(s);
  for (size_t i = 0; i < brtc_pc_track_count(s->pc); i++) {
    brtc_pc_track_stats ts = {.size = sizeof(brtc_pc_track_stats)};
    if (brtc_pc_get_track_stats(s->pc, i, &ts) != BRTC_OK) continue;
    char detail[128];
    if (strcmp(ts.kind, "video") == 0)
      snprintf(detail, sizeof(detail),
               "mid %.16s video: %llu packets, %llu bytes, %llu frames, %llu keyframes, %llu "
               "lost, %ux%u",
               ts.mid, (unsigned long long)ts.packets, (unsigned long long)ts.bytes,
               (unsigned long long)ts.frames, (unsigned long long)ts.keyframes,
               (unsigned long long)ts.lost, ts.width, ts.height);
    else
      snprintf(detail, sizeof(detail), "mid %.16s audio: %llu packets, %llu bytes, %llu lost",
               ts.mid, (unsigned long long)ts.packets, (unsigned long long)ts.bytes,
               (unsigned long long)ts.lost);
    brtc_server_session_step(srv, s, "track", detail);
  }
}

void brtc_server_live_stats(const brtc_session *s, brtc_pc_stats *out) {
  out->size = sizeof(*out);
  if (s->pc) brtc_pc_get_stats(s->pc, out);
}

char *brtc_server_status_json(brtc_signal_server *srv) {
  for (size_t i = 0; i < srv->sessions.n_live; i++) refresh_tracks(srv->sessions.live[i]);
  brtc_loop_stats ls = {.size = sizeof(ls)};
  brtc_loop_get_stats(srv->loop, &ls);
  brtc_keyframe_worker_stats ks;
  brtc_keyframe_worker_get_stats(srv->saver, &ks);
  brtc_rooms_stats rooms;
  brtc_rooms_get_stats(srv->rooms, &rooms);
  brtc_status_limits lim = {
      .live = srv->sessions.n_live,
      .max_sessions = srv->max_sessions,
      .refused_full = srv->refused_full,
      .pending = srv->sessions.n_pending,
      .max_pending = srv->max_pending,
      .max_pending_per_source = srv->max_pending_per_source,
      .pending_timeout_ms = srv->pending_timeout_us / 1000,
      .refused_pending = srv->refused_pending,
      .refused_pending_source = srv->refused_pending_source,
      .pending_expired = srv->pending_expired,
      .snapshot_interval_ms = srv->snapshot_interval_us / 1000,
      .snapshots_refused = srv->snapshots_refused,
      .output_bytes = ks.output_bytes,
      .max_output_bytes = srv->max_output_bytes,
      .output_refused = ks.refused_full,
      .rooms = &rooms,
  };
  return brtc_status_json_limits(&srv->sessions, brtc_server_live_stats, srv->store, &ls, &ks,
                                 &srv->keyframe_waiters, &lim);
}

/* Close, unregister and free one ending session's pc, and retire the session. */
static void finish_session(brtc_signal_server *srv, brtc_session *s) {
  if (s->pc) {
    /* Each track's totals go before our close's closed step, so that closed ends the
     * journey: the page waits for it after Hang up, then shows the summary. */
    bool tracks_told = !brtc_pc_is_closed(s->pc);
    if (tracks_told) {
      keep_tracks(srv, s);
      /* Its RTCP BYE and close_notify leave when it is removed from the loop below; the
       * step it reports is told here, since its events end with the removal. */
      brtc_pc_close(s->pc, brtc_now_us());
      if (!s->reported_end) {
        set_state_from_step(s, BRTC_STEP_CLOSED);
        brtc_server_session_step(srv, s, brtc_pc_step_name(BRTC_STEP_CLOSED), "closed locally");
      }
    }
    s->stats.size = sizeof(s->stats);
    brtc_pc_get_stats(s->pc, &s->stats);
    if (s->stats.packets_in) {
      char line[1024]; /* the summary with every counter at its widest */
      brtc_summary_line(&s->stats, s->created_us, brtc_now_us(), s->keyframes_saved, line,
                        sizeof(line));
      brtc_log(BRTC_LOG_INFO, s->id, "%s", line);
    }
    if (tracks_told)
      refresh_tracks(s); /* the counters as they ended, for /api/status */
    else
      keep_tracks(srv, s);
    brtc_echo_datachannel_forget(s, NULL); /* before its channels go with the pc */
    if (s->in_loop) brtc_loop_remove_pc(srv->loop, s->pc);
    s->in_loop = false;
    brtc_pc_free(s->pc);
    s->pc = NULL;
  }
  brtc_whep_play_free(s);
  brtc_capture_close(s->capture);
  s->capture = NULL;
  brtc_inspect_entry_set_srtp(s->inspect, s->stats.srtp_profile);
  brtc_inspect_store_ended(&srv->inspect, s->inspect, brtc_now_us());
  s->inspect = NULL;
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
  if (!srv->sessions_ending) return;
  srv->sessions_ending = false;
  size_t before = srv->sessions.n_live;
  for (size_t i = 0; i < srv->sessions.n_live;) {
    brtc_session *s = srv->sessions.live[i];
    if (s->closing) {
      finish_session(srv, s); /* removes it from live[] */
    } else {
      i++;
    }
  }
  if (srv->sessions.n_live < before) brtc_heap_trim_after_end(&srv->heap_trim, srv->sessions.n_live);
}

void brtc_server_settle(brtc_signal_server *srv) {
  reap(srv);
  if (srv->stopping) return;
  /* Echoes wait for SACKs to free the send buffer, which no event tells: each pass of the
   * loop (a SACK arriving is one) is a moment to try again. */
  for (size_t i = 0; i < srv->sessions.n_live; i++) {
    brtc_session *s = srv->sessions.live[i];
    if (s->echo_head && s->pc && !s->closing) brtc_echo_datachannel_flush(s, brtc_now_us());
  }
  /* Room held for a publisher that ignored its keyframe request lapses with time, with no
   * saver result to notice it: look again now and then. */
  if (srv->keyframe_waiters.n_asked &&
      brtc_now_us() >= srv->waiters_checked_us + WAITERS_CHECK_PERIOD_US)
    brtc_server_ask_waiting_keyframes(srv);
}

/* Every connected session's rate line, then the timer again. */
static void on_rate_timer(void *user, uint64_t now_us) {
  brtc_signal_server *srv = user;
  for (size_t i = 0; i < srv->sessions.n_live; i++) {
    brtc_session *s = srv->sessions.live[i];
    if (!s->pc || s->closing || strcmp(s->state, "connected") != 0) continue;
    brtc_pc_stats st = {.size = sizeof(brtc_pc_stats)};
    brtc_pc_get_stats(s->pc, &st);
    if (s->rate_mark.at_us == 0) {
      /* The first line covers the time since the session started. */
      s->rate_mark.at_us = s->created_us;
    }
    char line[400];
    brtc_rate_line(&st, now_us, &s->rate_mark, line, sizeof(line));
    brtc_log(BRTC_LOG_INFO, s->id, "%s", line);
  }
  brtc_loop_timer_set(srv->rate_timer, now_us + srv->rate_interval_us);
}

int brtc_server_start_rate_lines(brtc_signal_server *srv, unsigned interval_s) {
  if (interval_s == BRTC_SIGNAL_NO_RATE_LINES) return BRTC_OK;
  srv->rate_interval_us =
      (uint64_t)(interval_s ? interval_s : BRTC_SIGNAL_DEFAULT_RATE_INTERVAL_S) * 1000000u;
  srv->rate_timer = brtc_loop_timer_new(srv->loop, on_rate_timer, srv);
  if (!srv->rate_timer) return BRTC_ERR_NOMEM;
  brtc_loop_timer_set(srv->rate_timer, brtc_now_us() + srv->rate_interval_us);
  return BRTC_OK;
}

/* --keyframe-interval: a PLI to each connected session whose last keyframe is old. */
static void on_keyframe_timer(void *user, uint64_t now_us) {
  brtc_signal_server *srv = user;
  for (size_t i = 0; i < srv->sessions.n_live; i++) {
    brtc_session *s = srv->sessions.live[i];
    if (!s->pc || s->closing || strcmp(s->state, "connected") != 0 ||
        !brtc_session_interval_keyframe_due(s, now_us, srv->keyframe_interval_us))
      continue;
    s->interval_pli_us = now_us;
    brtc_pc_request_keyframe(s->pc, now_us);
  }
  /* A tenth of the interval: requests go out at most that late. */
  uint64_t tick = srv->keyframe_interval_us / 10;
  brtc_loop_timer_set(srv->keyframe_timer, now_us + (tick > 1000000 ? 1000000 : tick));
}

int brtc_server_start_keyframe_interval(brtc_signal_server *srv, unsigned interval_ms) {
  if (interval_ms == BRTC_SIGNAL_NO_KEYFRAME_INTERVAL) return BRTC_OK;
  srv->keyframe_interval_us =
      (uint64_t)(interval_ms ? interval_ms : BRTC_SIGNAL_DEFAULT_KEYFRAME_INTERVAL_MS) * 1000u;
  srv->keyframe_timer = brtc_loop_timer_new(srv->loop, on_keyframe_timer, srv);
  if (!srv->keyframe_timer) return BRTC_ERR_NOMEM;
  brtc_loop_timer_set(srv->keyframe_timer, brtc_now_us() + srv->keyframe_interval_us / 10);
  return BRTC_OK;
}

void brtc_server_end_all_sessions(brtc_signal_server *srv) {
  for (size_t i = 0; i < srv->sessions.n_live; i++)
    brtc_server_session_end(srv, srv->sessions.live[i], "server stopping");
  reap(srv);
}
