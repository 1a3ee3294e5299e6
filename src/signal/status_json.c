#include "signal/status_json.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool add_num(cJSON *o, const char *name, double v) {
  return cJSON_AddNumberToObject(o, name, v) != NULL;
}

static bool add_stats(cJSON *session, const brtc_pc_stats *st) {
  cJSON *o = cJSON_AddObjectToObject(session, "stats");
  if (!o) return false;
  bool ok = add_num(o, "packets_in", (double)st->packets_in) &&
            add_num(o, "bytes_in", (double)st->bytes_in) &&
            add_num(o, "packets_out", (double)st->packets_out) &&
            add_num(o, "bytes_out", (double)st->bytes_out) &&
            add_num(o, "rtp_video", (double)st->rtp_video) &&
            add_num(o, "rtp_audio", (double)st->rtp_audio) &&
            add_num(o, "rtcp_in", (double)st->rtcp_in) && add_num(o, "frames", (double)st->frames) &&
            add_num(o, "keyframes", (double)st->keyframes) &&
            add_num(o, "frames_dropped", (double)st->frames_dropped) &&
            add_num(o, "plis_sent", (double)st->plis_sent) &&
            add_num(o, "nacks_sent", (double)st->nacks_sent) &&
            add_num(o, "remb_sent", (double)st->remb_sent) &&
            add_num(o, "dropped_malformed", (double)st->dropped_malformed) &&
            add_num(o, "dropped_auth", (double)st->dropped_auth) &&
            add_num(o, "dropped_replay", (double)st->dropped_replay) &&
            add_num(o, "dropped_unexpected", (double)st->dropped_unexpected) &&
            add_num(o, "srtp_early_held", (double)st->srtp_early_held) &&
            add_num(o, "frames_dropped_too_big", (double)st->frames_dropped_too_big) &&
            add_num(o, "rtt_us", (double)st->rtt_us) &&
            add_num(o, "nack_seqs_asked", (double)st->nack_seqs_asked) &&
            add_num(o, "nack_given_up", (double)st->nack_given_up) &&
            add_num(o, "rtp_reordered", (double)st->rtp_reordered) &&
            add_num(o, "rtp_recovered", (double)st->rtp_recovered) &&
            add_num(o, "rtp_duplicates", (double)st->rtp_duplicates) &&
            add_num(o, "keyframes_dropped", (double)st->keyframes_dropped) &&
            add_num(o, "frames_dropped_unknown", (double)st->frames_dropped_unknown) &&
            add_num(o, "video_ssrc", st->video_ssrc) && add_num(o, "audio_ssrc", st->audio_ssrc) &&
            add_num(o, "rr_sent", (double)st->rr_sent) &&
            add_num(o, "video_lost", (double)st->video_lost) &&
            add_num(o, "audio_lost", (double)st->audio_lost);
  /* The strings come from the pc; guard against a missing terminator. */
  char cipher[sizeof(st->dtls_cipher) + 1] = {0}, profile[sizeof(st->srtp_profile) + 1] = {0},
       remote[sizeof(st->selected_remote) + 1] = {0};
  memcpy(cipher, st->dtls_cipher, sizeof(st->dtls_cipher));
  memcpy(profile, st->srtp_profile, sizeof(st->srtp_profile));
  memcpy(remote, st->selected_remote, sizeof(st->selected_remote));
  return ok && cJSON_AddStringToObject(o, "dtls_cipher", cipher) &&
         cJSON_AddStringToObject(o, "srtp_profile", profile) &&
         cJSON_AddStringToObject(o, "selected_remote", remote);
}

static bool add_track(cJSON *list, const brtc_pc_track_stats *t) {
  cJSON *o = cJSON_CreateObject();
  if (!o || !cJSON_AddItemToArray(list, o)) {
    cJSON_Delete(o);
    return false;
  }
  char mid[sizeof(t->mid) + 1] = {0};
  memcpy(mid, t->mid, sizeof(t->mid));
  bool ok = cJSON_AddStringToObject(o, "mid", mid) &&
            cJSON_AddStringToObject(o, "kind", t->kind ? t->kind : "") &&
            cJSON_AddStringToObject(o, "codec", t->codec ? t->codec : "") &&
            add_num(o, "ssrc", t->ssrc) && add_num(o, "packets", (double)t->packets) &&
            add_num(o, "bytes", (double)t->bytes) && add_num(o, "lost", (double)t->lost);
  if (!ok || !t->kind || strcmp(t->kind, "video") != 0) return ok;
  return add_num(o, "frames", (double)t->frames) &&
         add_num(o, "keyframes", (double)t->keyframes) &&
         add_num(o, "frames_dropped", (double)t->frames_dropped) &&
         add_num(o, "width", t->width) && add_num(o, "height", t->height) &&
         add_num(o, "max_bitrate_bps", t->max_bitrate_bps);
}

/* The tracks the session record holds (the server refreshes a live session's before). */
static bool add_tracks(cJSON *session, const brtc_session *s) {
  cJSON *list = cJSON_AddArrayToObject(session, "tracks");
  if (!list) return false;
  for (size_t i = 0; i < s->n_tracks && i < BRTC_SESSION_KEEP_TRACKS; i++)
    if (!add_track(list, &s->tracks[i])) return false;
  return true;
}

static bool add_session(cJSON *list, const brtc_session *s, brtc_status_stats_fn live_stats) {
  cJSON *o = cJSON_CreateObject();
  if (!o || !cJSON_AddItemToArray(list, o)) {
    cJSON_Delete(o);
    return false;
  }
  bool ok = cJSON_AddStringToObject(o, "id", s->id) &&
            cJSON_AddStringToObject(o, "transport", brtc_transport_name(s->transport)) &&
            cJSON_AddStringToObject(o, "state", s->state) &&
            add_num(o, "keyframes_saved", (double)s->keyframes_saved);
  cJSON *steps = ok ? cJSON_AddArrayToObject(o, "steps") : NULL;
  if (!steps) return false;
  for (size_t i = 0; i < s->n_steps; i++) {
    cJSON *st = cJSON_CreateObject();
    if (!st || !cJSON_AddItemToArray(steps, st)) {
      cJSON_Delete(st);
      return false;
    }
    if (!cJSON_AddStringToObject(st, "step", s->steps[i].name) ||
        !add_num(st, "t_ms", (double)s->steps[i].t_ms) ||
        !cJSON_AddStringToObject(st, "detail", s->steps[i].detail))
      return false;
  }
  brtc_pc_stats stats = s->stats;
  if (s->pc && live_stats) live_stats(s, &stats);
  return add_stats(o, &stats) && add_tracks(o, s);
}

static bool add_keyframes(cJSON *root, const brtc_keyframe_store *ks) {
  cJSON *list = cJSON_AddArrayToObject(root, "keyframes");
  if (!list) return false;
  size_t n = ks ? brtc_keyframe_store_count(ks) : 0;
  for (size_t i = 0; i < n; i++) {
    const brtc_keyframe_record *r = brtc_keyframe_store_get(ks, i);
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(list, o)) {
      cJSON_Delete(o);
      return false;
    }
    if (!cJSON_AddStringToObject(o, "file", r->file) || !add_num(o, "width", r->width) ||
        !add_num(o, "height", r->height) || !cJSON_AddStringToObject(o, "session", r->session) ||
        !add_num(o, "bytes", (double)r->bytes))
      return false;
  }
  return true;
}

static bool add_udp(cJSON *root, const brtc_loop_stats *u) {
  cJSON *o = cJSON_AddObjectToObject(root, "udp");
  if (!o) return false;
  brtc_loop_stats zero = {0};
  if (!u) u = &zero;
  return add_num(o, "datagrams_in", (double)u->datagrams_in) &&
         add_num(o, "datagrams_out", (double)u->datagrams_out) &&
         add_num(o, "bytes_in", (double)u->bytes_in) &&
         add_num(o, "bytes_out", (double)u->bytes_out) &&
         add_num(o, "dropped_unknown_source", (double)u->dropped_unknown_source) &&
         add_num(o, "dropped_unknown_ufrag", (double)u->dropped_unknown_ufrag) &&
         add_num(o, "dropped_malformed", (double)u->dropped_malformed) &&
         add_num(o, "dropped_not_loopback", (double)u->dropped_not_loopback) &&
         add_num(o, "dropped_by_pc", (double)u->dropped_by_pc) &&
         add_num(o, "dropped_address_in_use", (double)u->dropped_address_in_use) &&
         add_num(o, "send_errors", (double)u->send_errors) &&
         add_num(o, "dropped_socket_full", (double)u->dropped_socket_full) &&
         add_num(o, "gro_reads", (double)u->gro_reads) &&
         add_num(o, "gro_datagrams", (double)u->gro_datagrams);
}

static bool add_saving(cJSON *root, const brtc_keyframe_worker_stats *k,
                       const brtc_keyframe_waitlist *w) {
  if (!k) return true;
  if (!add_num(root, "keyframes_dropped_busy", (double)k->dropped_busy)) return false;
  cJSON *o = cJSON_AddObjectToObject(root, "keyframe_saving");
  bool ok = o && add_num(o, "submitted", (double)k->submitted) &&
            add_num(o, "saved", (double)k->saved) && add_num(o, "failed", (double)k->failed) &&
            add_num(o, "dropped_busy", (double)k->dropped_busy) &&
            add_num(o, "discarded", (double)k->discarded) &&
            add_num(o, "pending", (double)k->pending);
  if (!ok || !w) return ok;
  return add_num(o, "deferred", (double)w->deferred) &&
         add_num(o, "rerequested", (double)w->asked) && add_num(o, "waiting", (double)w->n);
}

char *brtc_status_json(const brtc_session_table *sessions, brtc_status_stats_fn live_stats,
                       const brtc_keyframe_store *keyframes, const brtc_loop_stats *udp) {
  return brtc_status_json_saving(sessions, live_stats, keyframes, udp, NULL);
}

char *brtc_status_json_saving(const brtc_session_table *sessions, brtc_status_stats_fn live_stats,
                              const brtc_keyframe_store *keyframes, const brtc_loop_stats *udp,
                              const brtc_keyframe_worker_stats *saving) {
  return brtc_status_json_waiting(sessions, live_stats, keyframes, udp, saving, NULL);
}

static bool add_limits(cJSON *root, const brtc_status_limits *l) {
  if (!l) return true;
  cJSON *o = cJSON_AddObjectToObject(root, "limits");
  cJSON *ses = o ? cJSON_AddObjectToObject(o, "sessions") : NULL;
  cJSON *pen = o ? cJSON_AddObjectToObject(o, "pending") : NULL;
  cJSON *snap = o ? cJSON_AddObjectToObject(o, "snapshot") : NULL;
  cJSON *out = o ? cJSON_AddObjectToObject(o, "output") : NULL;
  if (!ses || !pen || !snap || !out) return false;
  bool ok = add_num(ses, "live", (double)l->live) && add_num(ses, "max", (double)l->max_sessions) &&
            add_num(ses, "refused", (double)l->refused_full) &&
            add_num(pen, "now", (double)l->pending) && add_num(pen, "max", (double)l->max_pending) &&
            add_num(pen, "max_per_source", (double)l->max_pending_per_source) &&
            add_num(pen, "timeout_ms", (double)l->pending_timeout_ms) &&
            add_num(pen, "refused", (double)l->refused_pending) &&
            add_num(pen, "refused_per_source", (double)l->refused_pending_source) &&
            add_num(pen, "timed_out", (double)l->pending_expired) &&
            add_num(snap, "interval_ms", (double)l->snapshot_interval_ms) &&
            add_num(snap, "refused", (double)l->snapshots_refused) &&
            add_num(out, "bytes", (double)l->output_bytes) &&
            add_num(out, "refused", (double)l->output_refused);
  if (!ok) return false;
  if (l->rooms) {
    /* Counts only: room names and keys are their members' business. */
    const brtc_rooms_stats *r = l->rooms;
    cJSON *rooms = cJSON_AddObjectToObject(o, "rooms");
    ok = rooms && add_num(rooms, "now", (double)r->rooms) &&
         add_num(rooms, "members", (double)r->members) &&
         add_num(rooms, "joined", (double)r->joined) &&
         add_num(rooms, "relayed", (double)r->relayed) &&
         add_num(rooms, "refused_key", (double)r->refused_key) &&
         add_num(rooms, "refused_full", (double)r->refused_full) &&
         add_num(rooms, "refused_rooms", (double)r->refused_rooms) &&
         add_num(rooms, "refused_name", (double)r->refused_name) &&
         add_num(rooms, "relay_refused", (double)r->relay_refused);
    if (!ok) return false;
  }
  if (l->max_output_bytes) return add_num(out, "max_bytes", (double)l->max_output_bytes);
  return cJSON_AddNullToObject(out, "max_bytes") != NULL;
}

char *brtc_status_json_waiting(const brtc_session_table *sessions, brtc_status_stats_fn live_stats,
                               const brtc_keyframe_store *keyframes, const brtc_loop_stats *udp,
                               const brtc_keyframe_worker_stats *saving,
                               const brtc_keyframe_waitlist *waiters) {
  return brtc_status_json_limits(sessions, live_stats, keyframes, udp, saving, waiters, NULL);
}

char *brtc_status_json_limits(const brtc_session_table *sessions, brtc_status_stats_fn live_stats,
                              const brtc_keyframe_store *keyframes, const brtc_loop_stats *udp,
                              const brtc_keyframe_worker_stats *saving,
                              const brtc_keyframe_waitlist *waiters,
                              const brtc_status_limits *limits) {
  cJSON *root = cJSON_CreateObject();
  cJSON *list = root ? cJSON_AddArrayToObject(root, "sessions") : NULL;
  bool ok = list != NULL;
  size_t cap = sessions->n_live + sessions->n_closed;
  const brtc_session **all = cap ? calloc(cap, sizeof(*all)) : NULL;
  if (cap && !all) ok = false;
  size_t n = ok ? brtc_session_table_list(sessions, all, cap) : 0;
  for (size_t i = 0; ok && i < n; i++) ok = add_session(list, all[i], live_stats);
  free(all);
  ok = ok && add_keyframes(root, keyframes) && add_udp(root, udp) &&
       add_saving(root, saving, waiters) && add_limits(root, limits);
  char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
  cJSON_Delete(root);
  return text;
}
