/* The session table (ids, limit, closed-session ring), the keyframe save policy and the line
 * of sessions waiting for room in the saver, journey steps, and the /api/status document
 * built from them. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "signal/heap_trim.h"
#include "signal/session_table.h"
#include "signal/status_json.h"
#include "testing.h"

static void test_ids_and_limit(void) {
  brtc_session_table t;
  CHECK_EQ_INT(brtc_session_table_init(&t, 2), BRTC_OK);
  int err = 1;
  brtc_session *a = brtc_session_table_add(&t, BRTC_TRANSPORT_WS, 100, &err);
  CHECK(a != NULL && err == BRTC_OK);
  brtc_session *b = brtc_session_table_add(&t, BRTC_TRANSPORT_WHIP, 200, &err);
  CHECK(a && b && strcmp(a->id, "s1") == 0 && strcmp(b->id, "s2") == 0);
  CHECK(b && strcmp(b->state, "new") == 0 && b->transport == BRTC_TRANSPORT_WHIP);
  CHECK(brtc_session_table_add(&t, BRTC_TRANSPORT_WS, 300, &err) == NULL);
  CHECK_EQ_INT(err, BRTC_ERR_LIMIT);
  CHECK(brtc_session_table_find_live(&t, "s2") == b);
  CHECK(brtc_session_table_find_live(&t, "s3") == NULL);
  CHECK(brtc_session_table_find_live(&t, "s") == NULL);
  /* Retiring frees a slot; numbers are never reused. */
  brtc_session_table_retire(&t, a);
  CHECK(brtc_session_table_find_live(&t, "s1") == NULL);
  brtc_session *c = brtc_session_table_add(&t, BRTC_TRANSPORT_WS, 300, &err);
  CHECK(c && strcmp(c->id, "s3") == 0);
  const brtc_session *all[8];
  CHECK_EQ_INT(brtc_session_table_list(&t, all, 8), 3);
  CHECK(all[0] == a && all[1] == b && all[2] == c);
  brtc_session_table_free(&t);
  CHECK_EQ_INT(brtc_session_table_init(&t, 0), BRTC_ERR_INVALID);
}

static void test_closed_ring(void) {
  brtc_session_table t;
  brtc_session_table_init(&t, 4);
  int err;
  for (int i = 0; i < BRTC_SESSIONS_KEEP_CLOSED + 5; i++) {
    brtc_session *s = brtc_session_table_add(&t, BRTC_TRANSPORT_WS, 0, &err);
    CHECK(s != NULL);
    if (s) brtc_session_table_retire(&t, s);
  }
  CHECK_EQ_INT(t.n_live, 0);
  CHECK_EQ_INT(t.n_closed, BRTC_SESSIONS_KEEP_CLOSED);
  const brtc_session *all[BRTC_SESSIONS_KEEP_CLOSED + 8];
  size_t n = brtc_session_table_list(&t, all, BRTC_SESSIONS_KEEP_CLOSED + 8);
  CHECK_EQ_INT(n, BRTC_SESSIONS_KEEP_CLOSED);
  CHECK_STR(all[0]->id, "s6"); /* the five oldest were dropped */
  CHECK_STR(all[n - 1]->id, "s105");
  brtc_session_table_free(&t); /* ASan/valgrind: no leak, no double free */
}

static void test_save_policy(void) {
  brtc_session s;
  memset(&s, 0, sizeof(s));
  /* The first keyframe of a session is always saved. */
  CHECK(brtc_session_keyframe_wanted(&s, 5000000));
  brtc_session_keyframe_saved(&s, 5000000);
  CHECK_EQ_INT(s.keyframes_saved, 1);
  /* Then at most one per period... */
  CHECK(!brtc_session_keyframe_wanted(&s, 5000000 + 1));
  CHECK(!brtc_session_keyframe_wanted(&s, 5000000 + BRTC_SESSION_SAVE_PERIOD_US - 1));
  CHECK(brtc_session_keyframe_wanted(&s, 5000000 + BRTC_SESSION_SAVE_PERIOD_US));
  /* ...unless a Snapshot asked for the next one. */
  s.snapshot_pending = true;
  CHECK(brtc_session_keyframe_wanted(&s, 5000000 + 10));
  brtc_session_keyframe_saved(&s, 5000000 + 10);
  CHECK(!s.snapshot_pending);
  CHECK(!brtc_session_keyframe_wanted(&s, 5000000 + 20));
}

/* --keyframe-interval: due an interval after the latest of start, last save and last ask;
 * never while a save is in flight, a Snapshot waits, or the session waits for saver room. */
static void test_interval_keyframe(void) {
  brtc_session s;
  memset(&s, 0, sizeof(s));
  const uint64_t iv = 5000000;
  s.created_us = 1000000;
  CHECK(!brtc_session_interval_keyframe_due(&s, 1000000 + iv - 1, iv));
  CHECK(brtc_session_interval_keyframe_due(&s, 1000000 + iv, iv));
  s.interval_pli_us = 1000000 + iv; /* asked */
  CHECK(!brtc_session_interval_keyframe_due(&s, 1000000 + iv + 1, iv));
  brtc_session_keyframe_saved(&s, 1000000 + iv + 300000); /* it came and was saved */
  CHECK(!brtc_session_interval_keyframe_due(&s, 1000000 + 2 * iv + 299999, iv));
  CHECK(brtc_session_interval_keyframe_due(&s, 1000000 + 2 * iv + 300000, iv));
  uint64_t later = 1000000 + 3 * iv;
  s.saves_in_flight = 1;
  CHECK(!brtc_session_interval_keyframe_due(&s, later, iv));
  s.saves_in_flight = 0;
  s.snapshot_pending = true;
  CHECK(!brtc_session_interval_keyframe_due(&s, later, iv));
  s.snapshot_pending = false;
  s.waiting = true;
  CHECK(!brtc_session_interval_keyframe_due(&s, later, iv));
  s.waiting = false;
  CHECK(brtc_session_interval_keyframe_due(&s, later, iv));
}

/* Two video tracks (issue 6): each track's first keyframe is wanted even while the other's
 * save is in flight, and a Snapshot wants one of each before it is done. */
static void test_save_policy_tracks(void) {
  brtc_session s;
  memset(&s, 0, sizeof(s));
  s.video_tracks = 0x5; /* tracks 0 and 2 (1 is audio) */
  CHECK(brtc_session_track_keyframe_wanted(&s, 0, 1000));
  CHECK(!brtc_session_track_keyframe_queued(&s, 0));
  CHECK(!brtc_session_track_keyframe_wanted(&s, 0, 1001)); /* its first is on its way */
  CHECK(brtc_session_track_keyframe_wanted(&s, 2, 1001));  /* the other's first is wanted */
  CHECK(!brtc_session_track_keyframe_queued(&s, 2));
  CHECK(!brtc_session_track_keyframe_wanted(&s, 2, 1002));
  brtc_session_track_keyframe_finished(&s, 0, true, false, 1000);
  brtc_session_track_keyframe_finished(&s, 2, true, false, 1001);
  CHECK_EQ_INT(s.keyframes_saved, 2);
  CHECK(!brtc_session_track_keyframe_wanted(&s, 2, 2000)); /* the period holds */
  /* A Snapshot: one of each track. */
  s.snapshot_pending = true;
  CHECK(brtc_session_track_keyframe_wanted(&s, 2, 3000));
  CHECK(brtc_session_track_keyframe_queued(&s, 2));
  CHECK(s.snapshot_pending); /* track 0 still owes its answer */
  CHECK(!brtc_session_track_keyframe_wanted(&s, 2, 3001));
  CHECK(brtc_session_track_keyframe_wanted(&s, 0, 3001));
  /* Track 2's answer could not be saved: it is wanted again. */
  brtc_session_track_keyframe_finished(&s, 2, false, true, 3000);
  CHECK(brtc_session_track_keyframe_wanted(&s, 2, 3002));
  CHECK(brtc_session_track_keyframe_queued(&s, 0));
  CHECK(s.snapshot_pending);
  CHECK(brtc_session_track_keyframe_queued(&s, 2));
  CHECK(!s.snapshot_pending); /* both answered */
  CHECK(!brtc_session_track_keyframe_wanted(&s, 0, 3003));
}

/* Saving off the loop thread: while a save is in flight only a Snapshot wants another; a
 * failed save leaves the policy wanting the next keyframe and the Snapshot it answered. */
static void test_save_policy_in_flight(void) {
  brtc_session s;
  memset(&s, 0, sizeof(s));
  CHECK(brtc_session_keyframe_wanted(&s, 1000));
  CHECK(!brtc_session_keyframe_queued(&s));
  CHECK(!brtc_session_keyframe_wanted(&s, 2000)); /* the first is on its way */
  brtc_session_keyframe_finished(&s, false, false, 1000);
  CHECK_EQ_INT(s.keyframes_saved, 0);
  CHECK(brtc_session_keyframe_wanted(&s, 3000)); /* it failed: the next first one is wanted */
  brtc_session_keyframe_queued(&s);
  brtc_session_keyframe_finished(&s, true, false, 3000);
  CHECK_EQ_INT(s.keyframes_saved, 1);
  CHECK_EQ_INT(s.last_save_us, 3000); /* the period counts from the keyframe's arrival */
  CHECK_EQ_INT(s.saves_in_flight, 0);
  CHECK(!brtc_session_keyframe_wanted(&s, 3000 + BRTC_SESSION_SAVE_PERIOD_US - 1));
  CHECK(brtc_session_keyframe_wanted(&s, 3000 + BRTC_SESSION_SAVE_PERIOD_US));

  /* A Snapshot asked while a periodic save is in flight gets its own keyframe. */
  uint64_t t = 3000 + BRTC_SESSION_SAVE_PERIOD_US;
  CHECK(!brtc_session_keyframe_queued(&s));
  s.snapshot_pending = true;
  CHECK(brtc_session_keyframe_wanted(&s, t + 1));
  CHECK(brtc_session_keyframe_queued(&s)); /* it answers the Snapshot */
  CHECK(!s.snapshot_pending);
  CHECK_EQ_INT(s.saves_in_flight, 2);
  CHECK(!brtc_session_keyframe_wanted(&s, t + 2));
  brtc_session_keyframe_finished(&s, true, false, t);
  /* The Snapshot's keyframe was undecodable: the Snapshot is pending again. */
  brtc_session_keyframe_finished(&s, false, true, t + 1);
  CHECK(s.snapshot_pending);
  CHECK_EQ_INT(s.saves_in_flight, 0);
  CHECK_EQ_INT(s.keyframes_saved, 2);
  CHECK(brtc_session_keyframe_wanted(&s, t + 3));
}

/* Refused for a full saver: sessions wait oldest first and are asked for a keyframe only as
 * many at a time as there is room, keeping their place when refused again. */
static void test_keyframe_waitlist(void) {
  brtc_session s[4];
  memset(s, 0, sizeof(s));
  brtc_keyframe_waitlist w = {0};
  brtc_session *out[8];
  CHECK_EQ_INT(brtc_keyframe_waitlist_take(&w, 4, 10, out, 8), 0); /* nobody waits */
  for (int i = 0; i < 4; i++) CHECK(brtc_keyframe_waitlist_defer(&w, &s[i]));
  CHECK(!brtc_keyframe_waitlist_defer(&w, &s[1])); /* already waiting: keeps its place */
  CHECK_EQ_INT(w.n, 4);
  CHECK_EQ_INT(w.deferred, 4);
  CHECK_EQ_INT(brtc_keyframe_waitlist_take(&w, 0, 10, out, 8), 0); /* no room, no ask */

  /* Two free slots: the two oldest are asked. */
  CHECK_EQ_INT(brtc_keyframe_waitlist_take(&w, 2, 100, out, 8), 2);
  CHECK(out[0] == &s[0] && out[1] == &s[1]);
  CHECK_EQ_INT(w.n_asked, 2);
  /* Still two free slots, but the asks hold them: nobody more is asked (no PLI storm). */
  CHECK_EQ_INT(brtc_keyframe_waitlist_take(&w, 2, 200, out, 8), 0);
  /* A third slot frees: the next in line. cap bounds one batch. */
  CHECK_EQ_INT(brtc_keyframe_waitlist_take(&w, 4, 300, out, 1), 1);
  CHECK(out[0] == &s[2]);

  /* s0's keyframe was taken: it leaves the line and its ask's room is free again. */
  brtc_keyframe_waitlist_remove(&w, &s[0]);
  CHECK(!s[0].waiting);
  CHECK_EQ_INT(w.n, 3);
  CHECK_EQ_INT(w.n_asked, 2);
  brtc_keyframe_waitlist_remove(&w, &s[0]); /* no-op */
  CHECK_EQ_INT(w.n, 3);

  /* s1's keyframe came but another session had taken the slot: refused again, it keeps its
   * place at the head and is asked first when there is room. */
  CHECK(!brtc_keyframe_waitlist_defer(&w, &s[1]));
  CHECK_EQ_INT(w.n_asked, 1);
  CHECK_EQ_INT(brtc_keyframe_waitlist_take(&w, 3, 400, out, 8), 2);
  CHECK(out[0] == &s[1] && out[1] == &s[3]);
  CHECK_EQ_INT(w.asked, 5);

  /* A publisher that ignores the request holds the room only for a while. */
  CHECK_EQ_INT(brtc_keyframe_waitlist_take(&w, 3, 300 + BRTC_KEYFRAME_ASK_HOLD_US - 1, out, 8), 0);
  CHECK_EQ_INT(brtc_keyframe_waitlist_take(&w, 3, 300 + BRTC_KEYFRAME_ASK_HOLD_US, out, 8), 1);
  CHECK(out[0] == &s[2]); /* its hold lapsed: asked again, still the oldest unasked */

  /* Removing from the middle, the head and the tail keeps the order. */
  brtc_keyframe_waitlist_remove(&w, &s[3]);
  brtc_keyframe_waitlist_remove(&w, &s[1]);
  CHECK(w.head == &s[2] && w.tail == &s[2] && w.n == 1);
  brtc_keyframe_waitlist_remove(&w, &s[2]);
  CHECK(w.head == NULL && w.tail == NULL && w.n == 0 && w.n_asked == 0);
  CHECK(brtc_keyframe_waitlist_defer(&w, &s[3])); /* and a session can wait again */
  CHECK(w.head == &s[3] && s[3].asked_us == 0);
}

static void test_steps(void) {
  brtc_session s;
  memset(&s, 0, sizeof(s));
  s.created_us = 1000000;
  const brtc_session_step *st = brtc_session_add_step(&s, "ice-check", "from 127.0.0.1:5", 1250000);
  CHECK(st != NULL);
  CHECK_EQ_INT(st->t_ms, 250);
  CHECK_STR(st->detail, "from 127.0.0.1:5");
  st = brtc_session_add_step(&s, "answer", NULL, 900000); /* clock before start: 0, not huge */
  CHECK(st && st->t_ms == 0 && st->detail[0] == '\0');
  char longdetail[400];
  memset(longdetail, 'd', sizeof(longdetail) - 1);
  longdetail[sizeof(longdetail) - 1] = '\0';
  st = brtc_session_add_step(&s, "a-very-long-step-name-that-is-cut", longdetail, 1000000);
  CHECK(st && strlen(st->detail) == sizeof(st->detail) - 1 && strlen(st->name) < sizeof(st->name));
  while (s.n_steps < BRTC_SESSION_MAX_STEPS) brtc_session_add_step(&s, "x", NULL, 1000000);
  CHECK(brtc_session_add_step(&s, "one-too-many", NULL, 1000000) == NULL);
  CHECK_EQ_INT(s.steps_dropped, 1);
}

static void fake_live_stats(const brtc_session *s, brtc_pc_stats *out) {
  (void)s;
  out->packets_in = 77;
  out->plis_sent = 2;
  out->rr_sent = 5;
  out->video_lost = -1; /* duplicates outnumber losses */
  out->frames_dropped_too_big = 3;
}

static cJSON *find_session(cJSON *root, const char *id) {
  cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "sessions"), *it;
  cJSON_ArrayForEach(it, list) {
    cJSON *sid = cJSON_GetObjectItemCaseSensitive(it, "id");
    if (cJSON_IsString(sid) && strcmp(sid->valuestring, id) == 0) return it;
  }
  return NULL;
}

static double num_at(cJSON *o, const char *a, const char *b) {
  cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
  if (b) x = cJSON_GetObjectItemCaseSensitive(x, b);
  return cJSON_IsNumber(x) ? x->valuedouble : -1;
}

static void test_status_json(void) {
  brtc_session_table t;
  brtc_session_table_init(&t, 4);
  int err;
  brtc_session *closed = brtc_session_table_add(&t, BRTC_TRANSPORT_WHIP, 0, &err);
  brtc_session *live = brtc_session_table_add(&t, BRTC_TRANSPORT_WS, 0, &err);
  if (!closed || !live) return;
  brtc_session_add_step(closed, "offer", "video VP8", 0);
  brtc_session_add_step(closed, "closed", "by \"DELETE\"", 3000);
  closed->state = "closed";
  closed->stats.rtp_video = 12;
  closed->stats.keyframes = 3;
  snprintf(closed->stats.dtls_cipher, sizeof(closed->stats.dtls_cipher), "ECDHE-ECDSA-AES128-GCM-SHA256");
  brtc_session_table_retire(&t, closed);
  live->state = "connected";
  live->pc = (brtc_pc *)&t; /* non-NULL: live counters are read through the callback */

  brtc_loop_stats udp = {.datagrams_in = 9, .dropped_unknown_source = 4, .dropped_malformed = 1};
  char *text = brtc_status_json(&t, fake_live_stats, NULL, &udp);
  CHECK(text != NULL);
  cJSON *root = text ? cJSON_Parse(text) : NULL;
  CHECK(root != NULL);
  cJSON *s1 = find_session(root, "s1"), *s2 = find_session(root, "s2");
  CHECK(s1 && s2);
  if (s1 && s2) {
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(s1, "transport")->valuestring, "whip");
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(s1, "state")->valuestring, "closed");
    cJSON *steps = cJSON_GetObjectItemCaseSensitive(s1, "steps");
    CHECK_EQ_INT(cJSON_GetArraySize(steps), 2);
    cJSON *last = cJSON_GetArrayItem(steps, 1);
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(last, "step")->valuestring, "closed");
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(last, "detail")->valuestring, "by \"DELETE\"");
    CHECK(num_at(last, "t_ms", NULL) == 3);
    CHECK(num_at(s1, "stats", "rtp_video") == 12);
    CHECK(num_at(s1, "stats", "keyframes") == 3);
    CHECK(num_at(s1, "stats", "plis_sent") == 0);
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s1, "stats"),
                                               "dtls_cipher")->valuestring,
              "ECDHE-ECDSA-AES128-GCM-SHA256");
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(s2, "transport")->valuestring, "ws");
    CHECK(num_at(s2, "stats", "packets_in") == 77);
    CHECK(num_at(s2, "stats", "plis_sent") == 2);
    CHECK(num_at(s2, "stats", "frames_dropped_too_big") == 3);
    /* The page's live counters: receiver reports sent and the loss they report. */
    CHECK(num_at(s2, "stats", "rr_sent") == 5);
    CHECK(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(s2, "stats"), "video_lost")));
    CHECK(num_at(s2, "stats", "audio_lost") == 0);
    /* Sessions are listed oldest first. */
    CHECK(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "sessions"), 0) == s1);
  }
  CHECK(num_at(root, "udp", "datagrams_in") == 9);
  CHECK(num_at(root, "udp", "dropped_unknown_source") == 4);
  CHECK(num_at(root, "udp", "dropped_malformed") == 1);
  CHECK(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(root, "keyframes")));
  cJSON_Delete(root);
  free(text);
  live->pc = NULL;
  brtc_session_table_free(&t);

  /* An empty server still gives a complete document. */
  brtc_session_table_init(&t, 1);
  text = brtc_status_json(&t, NULL, NULL, NULL);
  CHECK(text != NULL && strcmp(text, "{\"sessions\":[],\"keyframes\":[],\"udp\":{\"datagrams_in\":0,"
                                     "\"datagrams_out\":0,\"bytes_in\":0,\"bytes_out\":0,"
                                     "\"dropped_unknown_source\":0,\"dropped_unknown_ufrag\":0,"
                                     "\"dropped_malformed\":0,\"dropped_not_loopback\":0,"
                                     "\"dropped_by_pc\":0,\"dropped_address_in_use\":0,\"send_errors\":0,"
                                     "\"dropped_socket_full\":0,\"gro_reads\":0,"
                                     "\"gro_datagrams\":0}}") == 0);
  free(text);
  /* With the keyframe saver's counters. */
  brtc_keyframe_worker_stats saving = {.submitted = 5, .saved = 3, .failed = 1,
                                       .dropped_busy = 7, .pending = 1};
  text = brtc_status_json_saving(&t, NULL, NULL, NULL, &saving);
  root = text ? cJSON_Parse(text) : NULL;
  CHECK(root != NULL);
  CHECK(num_at(root, "keyframes_dropped_busy", NULL) == 7);
  CHECK(num_at(root, "keyframe_saving", "submitted") == 5);
  CHECK(num_at(root, "keyframe_saving", "saved") == 3);
  CHECK(num_at(root, "keyframe_saving", "failed") == 1);
  CHECK(num_at(root, "keyframe_saving", "dropped_busy") == 7);
  CHECK(num_at(root, "keyframe_saving", "discarded") == 0);
  CHECK(num_at(root, "keyframe_saving", "pending") == 1);
  CHECK(num_at(root, "keyframe_saving", "deferred") == -1); /* no wait list given */
  cJSON_Delete(root);
  free(text);
  /* With the sessions waiting for room. */
  brtc_keyframe_waitlist waiters = {.n = 2, .n_asked = 1, .deferred = 6, .asked = 4};
  text = brtc_status_json_waiting(&t, NULL, NULL, NULL, &saving, &waiters);
  root = text ? cJSON_Parse(text) : NULL;
  CHECK(root != NULL);
  CHECK(num_at(root, "keyframe_saving", "dropped_busy") == 7);
  CHECK(num_at(root, "keyframe_saving", "deferred") == 6);
  CHECK(num_at(root, "keyframe_saving", "rerequested") == 4);
  CHECK(num_at(root, "keyframe_saving", "waiting") == 2);
  cJSON_Delete(root);
  free(text);
  brtc_session_table_free(&t);
}

/* Sessions not yet past ICE, counted in all and per source: an IPv4 address, an IPv6 /64
 * (IPv4-mapped IPv6 counts as its IPv4 address); no address counts in the total only. */
static void test_pending_admission(void) {
  brtc_session_table t;
  CHECK_EQ_INT(brtc_session_table_init(&t, 16), BRTC_OK);
  brtc_addr a1, a1b, a2, v6a, v6b, v6other, mapped;
  brtc_addr_from_ip(&a1, "192.0.2.1", 1000);
  brtc_addr_from_ip(&a1b, "192.0.2.1", 2000); /* same source, other port */
  brtc_addr_from_ip(&a2, "192.0.2.2", 1000);
  brtc_addr_from_ip(&v6a, "2001:db8:1:2::1", 1);
  brtc_addr_from_ip(&v6b, "2001:db8:1:2:ffff::9", 2); /* same /64 */
  brtc_addr_from_ip(&v6other, "2001:db8:1:3::1", 1);
  brtc_addr_from_ip(&mapped, "::ffff:192.0.2.1", 5);
  int err;
  size_t n = 99;
  brtc_session *s[6];
  for (int i = 0; i < 2; i++) {
    CHECK_EQ_INT(brtc_session_table_admit(&t, &a1.u.sa, 5, 2, &n), BRTC_OK);
    s[i] = brtc_session_table_add(&t, BRTC_TRANSPORT_WHIP, 1, &err);
    brtc_session_set_pending(&t, s[i], i ? &a1b.u.sa : &a1.u.sa);
  }
  CHECK_EQ_INT(brtc_session_table_admit(&t, &a1.u.sa, 5, 2, &n), BRTC_ERR_AGAIN);
  CHECK_EQ_INT(n, 2);
  CHECK_EQ_INT(brtc_session_table_admit(&t, &mapped.u.sa, 5, 2, &n), BRTC_ERR_AGAIN);
  CHECK_EQ_INT(brtc_session_table_admit(&t, &a2.u.sa, 5, 2, &n), BRTC_OK);
  CHECK_EQ_INT(n, 0);
  /* Passing ICE frees the source's share. */
  brtc_session_passed_ice(&t, s[0]);
  brtc_session_passed_ice(&t, s[0]);
  CHECK_EQ_INT(t.n_pending, 1);
  CHECK_EQ_INT(brtc_session_table_admit(&t, &a1.u.sa, 5, 2, &n), BRTC_OK);
  CHECK_EQ_INT(n, 1);
  /* IPv6 by /64. */
  s[2] = brtc_session_table_add(&t, BRTC_TRANSPORT_WS, 1, &err);
  brtc_session_set_pending(&t, s[2], &v6a.u.sa);
  CHECK_EQ_INT(brtc_session_table_admit(&t, &v6b.u.sa, 5, 1, &n), BRTC_ERR_AGAIN);
  CHECK_EQ_INT(brtc_session_table_admit(&t, &v6other.u.sa, 5, 1, &n), BRTC_OK);
  /* No address: the total only. */
  s[3] = brtc_session_table_add(&t, BRTC_TRANSPORT_WS, 1, &err);
  brtc_session_set_pending(&t, s[3], NULL);
  CHECK_EQ_INT(t.n_pending, 3);
  CHECK_EQ_INT(brtc_session_table_admit(&t, NULL, 3, 1, &n), BRTC_ERR_LIMIT);
  CHECK_EQ_INT(brtc_session_table_admit(&t, &a2.u.sa, 3, 1, &n), BRTC_ERR_LIMIT);
  CHECK_EQ_INT(brtc_session_table_admit(&t, NULL, 4, 1, &n), BRTC_OK);
  /* Retiring a pending session ends its wait. */
  brtc_session_table_retire(&t, s[3]);
  CHECK_EQ_INT(t.n_pending, 2);
  brtc_session_table_free(&t);
}

static void test_snapshot_interval(void) {
  brtc_session s;
  memset(&s, 0, sizeof(s));
  uint64_t wait = 0;
  CHECK(brtc_session_snapshot_allowed(&s, 5000000, 1000000, &wait));
  CHECK(!brtc_session_snapshot_allowed(&s, 5020000, 1000000, &wait));
  CHECK_EQ_INT(wait, 980000);
  CHECK(!brtc_session_snapshot_allowed(&s, 5999999, 1000000, &wait));
  CHECK_EQ_INT(wait, 1);
  CHECK(brtc_session_snapshot_allowed(&s, 6000000, 1000000, &wait));
  CHECK(!brtc_session_snapshot_allowed(&s, 6500000, 1000000, &wait));
}

/* Memory is given back when live sessions halve since the last look: a few times per burst,
 * not per session. */
static void test_heap_trim_policy(void) {
  brtc_heap_trim t = {0};
  CHECK(!brtc_heap_trim_due(&t, 0));
  for (size_t n = 1; n <= 500; n++) brtc_heap_trim_started(&t, n);
  CHECK(!brtc_heap_trim_due(&t, 251));
  CHECK(brtc_heap_trim_due(&t, 250));
  brtc_heap_trim_after_end(&t, 250); /* trims only if the heap has enough free */
  CHECK_EQ_INT(t.peak, 250);
  CHECK(!brtc_heap_trim_due(&t, 200));
  size_t looks = 0;
  for (size_t live = 249; live-- > 0;)
    if (brtc_heap_trim_due(&t, live)) {
      looks++;
      brtc_heap_trim_after_end(&t, live);
    }
  CHECK_EQ_INT(looks, 8); /* 125, 62, 31, 15, 7, 3, 1, 0 */
  CHECK_EQ_INT(t.peak, 0);
}

int main(void) {
  RUN(test_ids_and_limit);
  RUN(test_closed_ring);
  RUN(test_save_policy);
  RUN(test_save_policy_in_flight);
  RUN(test_interval_keyframe);
  RUN(test_save_policy_tracks);
  RUN(test_keyframe_waitlist);
  RUN(test_steps);
  RUN(test_status_json);
  RUN(test_pending_admission);
  RUN(test_snapshot_interval);
  RUN(test_heap_trim_policy);
  return TEST_REPORT();
}
