/* What one client cannot take from the others, against the whole server (forked child, see
 * server_harness.h), with clients on several loopback source addresses (127.0.0.1, .2, .3):
 *  - slots: one source POSTing as many offers as there are slots (24), none of which ever
 *    passes ICE, gets its per-source share (16), then 503 with Retry-After; another source's publisher still connects and gets
 *    its JPEG; the total of pending sessions is bounded too; and the pending ones end on
 *    their short deadline (1.5 s here), not after the 30 s a connected session gets; the
 *    per-source share holds for WebSocket offers too;
 *  - Snapshot spam: a WebSocket client asking every 20 ms gets at most one Snapshot a second
 *    honoured, a refusal that says when the next is allowed for the rest, and so at most the
 *    JPEGs that allows;
 *  - the output cap: with 1 MB allowed and most of it already used, the folder never grows
 *    past 1 MB, and the refusals are counted. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "server_harness.h"
#include "testing.h"

#define PER_SOURCE 16 /* the default */
#define PENDING_TIMEOUT_MS 1500

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool make_dir(char *tmpl) { return mkdtemp(tmpl) != NULL; }

static void remove_dir(const char *dir) {
  char cmd[160];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

static uint64_t dir_bytes(const char *dir, int *files) {
  uint64_t total = 0;
  *files = 0;
  DIR *d = opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    char path[512];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
      total += (uint64_t)st.st_size;
      (*files)++;
    }
  }
  if (d) closedir(d);
  return total;
}

/* Two 640x480 keyframes to answer keyframe requests with. */
static uint8_t *keyframes[2];
static size_t keyframe_lens[2];

static bool make_keyframes(void) {
  const bool keys[2] = {true, true};
  return sh_encode_frames(640, 480, 2, keys, keyframes, keyframe_lens) == 2;
}

/* POST the publisher's offer over WHIP from source_ip and take the answer; its session id. */
static bool publish(const sh_server *srv, sh_publisher *p, const char *source_ip, char *id,
                    size_t id_cap) {
  sh_response r;
  if (!sh_http(srv, source_ip, "POST", "/whip", "application/sdp", sim_peer_offer(p->sim), &r))
    return false;
  bool ok = r.status == 201 && strncmp(r.location, "/whip/", 6) == 0 && r.session[0];
  if (!ok) fprintf(stderr, "publish: %d %s", r.status, r.body ? r.body : "");
  char err[256] = "";
  if (ok) ok = sim_peer_set_answer(p->sim, r.body, err, sizeof(err)) == BRTC_OK;
  if (ok) snprintf(id, id_cap, "%s", r.session); /* the short id the status shows */
  free(r.body);
  return ok;
}

static double session_number(const sh_server *srv, const char *id, const char *field) {
  cJSON *st = sh_status(srv);
  double v = sh_number_at(test_status_session(st, id), field);
  cJSON_Delete(st);
  return v;
}

static double status_number(const sh_server *srv, const char *path) {
  cJSON *st = sh_status(srv);
  double v = sh_number_at(st, path);
  cJSON_Delete(st);
  return v;
}

/* Pump p until its session has saved at least n keyframes, at most budget_ms. */
static bool wait_saved(const sh_server *srv, sh_publisher *p, const char *id, double n,
                       int budget_ms) {
  for (int spent = 0; spent < budget_ms; spent += 100) {
    sh_pump(p, 100);
    if (session_number(srv, id, "keyframes_saved") >= n) return true;
  }
  return false;
}

static void test_pending_slots(void) {
  char dir[] = "/tmp/brtc-limits-slots-XXXXXX";
  CHECK(make_dir(dir));
  brtc_signal_config sc = {.output_dir = dir, .max_sessions = 24, .max_pending = 18,
                           .pending_timeout_ms = PENDING_TIMEOUT_MS};
  sh_server srv;
  sh_publisher attacker, pub;
  bool started = sh_server_start(&srv, &sc);
  CHECK(started);
  CHECK(sh_publisher_open(&attacker, "127.0.0.1"));
  CHECK(sh_publisher_open(&pub, "127.0.0.2"));
  if (!started || !attacker.sim || !pub.sim) goto out;

  /* One source tries to fill every slot with offers it never follows up (no ICE check). */
  uint64_t t0 = now_ms();
  int created = 0, refused = 0, retry_after = -1;
  char reason[256] = "";
  for (int i = 0; i < 24; i++) {
    sh_response r;
    CHECK(sh_http(&srv, "127.0.0.1", "POST", "/whip", "application/sdp",
                  sim_peer_offer(attacker.sim), &r));
    if (r.status == 201) created++;
    if (r.status == 503) {
      refused++;
      retry_after = r.retry_after;
      snprintf(reason, sizeof(reason), "%s", r.body ? r.body : "");
    }
    free(r.body);
  }
  CHECK_EQ_INT(created, PER_SOURCE);
  CHECK_EQ_INT(refused, 24 - PER_SOURCE);
  CHECK_EQ_INT(retry_after, (PENDING_TIMEOUT_MS + 999) / 1000);
  fprintf(stderr, "refusal: %s", reason);
  CHECK(strstr(reason, "waiting for their first ICE check") != NULL);
  CHECK(strchr(reason, '\n') == strrchr(reason, '\n')); /* one line */

  /* Another source's publisher still gets a slot, connects and gets its JPEG. */
  char id[32] = "";
  CHECK(publish(&srv, &pub, "127.0.0.2", id, sizeof(id)));
  CHECK(sh_pump_until_ready(&pub, 5000));
  sim_peer_send_frame(pub.sim, keyframes[0], keyframe_lens[0], true, 0);
  CHECK(wait_saved(&srv, &pub, id, 1, 10000));
  cJSON *st = sh_status(&srv);
  CHECK(sh_number_at(st, "limits.pending.now") == PER_SOURCE);
  CHECK(sh_number_at(st, "limits.pending.max_per_source") == PER_SOURCE);
  CHECK(sh_number_at(st, "limits.pending.refused_per_source") == 24 - PER_SOURCE);
  cJSON_Delete(st);

  /* The total is bounded as well: a third source gets the 2 slots left of 18. */
  int third = 0;
  for (int i = 0; i < 3; i++) {
    sh_response r;
    CHECK(sh_http(&srv, "127.0.0.3", "POST", "/whip", "application/sdp",
                  sim_peer_offer(attacker.sim), &r));
    if (r.status == 201) third++;
    else CHECK(r.status == 503 && r.body && strstr(r.body, "limit 18") && r.retry_after > 0);
    free(r.body);
  }
  CHECK_EQ_INT(third, 2);
  CHECK(status_number(&srv, "limits.pending.refused") == 1);

  /* They end on the short deadline, long before the 30 s set-up time; the publisher stays. */
  double pending = -1;
  while (now_ms() < t0 + 10000) {
    sh_pump(&pub, 100);
    pending = status_number(&srv, "limits.pending.now");
    if (pending == 0) break;
  }
  uint64_t took = now_ms() - t0;
  fprintf(stderr, "pending sessions gone %llu ms after the first offer\n", (unsigned long long)took);
  CHECK(pending == 0);
  CHECK(took < PENDING_TIMEOUT_MS + 3000);
  st = sh_status(&srv);
  CHECK(sh_number_at(st, "limits.pending.timed_out") == PER_SOURCE + 2);
  cJSON *s1 = test_status_session(st, "s1");
  cJSON *state = cJSON_GetObjectItemCaseSensitive(s1, "state");
  CHECK(cJSON_IsString(state) && strcmp(state->valuestring, "failed") == 0);
  const char *state_pub = cJSON_GetStringValue(
      cJSON_GetObjectItemCaseSensitive(test_status_session(st, id), "state"));
  CHECK(state_pub && strcmp(state_pub, "connected") == 0);
  cJSON_Delete(st);
  /* And the first source may start sessions again. */
  sh_response r;
  CHECK(sh_http(&srv, "127.0.0.1", "POST", "/whip", "application/sdp",
                sim_peer_offer(attacker.sim), &r));
  CHECK_EQ_INT(r.status, 201);
  free(r.body);
out:
  sh_publisher_close(&attacker);
  sh_publisher_close(&pub);
  if (started) CHECK_EQ_INT(sh_server_stop(&srv), 0);
  remove_dir(dir);
}

/* A WebSocket session publishing from p: offer sent, answer taken, media ready. Its id. */
static bool ws_session(const sh_server *srv, int ws, sh_publisher *p, char *id, size_t id_cap) {
  cJSON *offer = cJSON_CreateObject();
  cJSON_AddStringToObject(offer, "type", "offer");
  cJSON_AddStringToObject(offer, "sdp", sim_peer_offer(p->sim));
  char *text = cJSON_PrintUnformatted(offer);
  cJSON_Delete(offer);
  bool ok = text && sh_ws_send(ws, text);
  free(text);
  bool answered = false;
  for (int i = 0; ok && i < 20 && !answered; i++) {
    cJSON *m = sh_ws_recv(ws, 5000);
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "type"));
    const char *sid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "session"));
    if (sid) snprintf(id, id_cap, "%s", sid);
    if (type && strcmp(type, "answer") == 0) {
      char err[256];
      const char *sdp = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "sdp"));
      answered = sdp && sim_peer_set_answer(p->sim, sdp, err, sizeof(err)) == BRTC_OK;
    }
    if (!m) ok = false;
    cJSON_Delete(m);
  }
  (void)srv;
  return ok && answered && id[0] && sh_pump_until_ready(p, 5000);
}

/* Send an offer on a WebSocket and read until the answer (1) or an error message (0, its text
 * in err); -1 if neither came. */
static int ws_offer(int ws, const char *offer_json, char *err, size_t err_cap) {
  if (!sh_ws_send(ws, offer_json)) return -1;
  for (int i = 0; i < 20; i++) {
    cJSON *m = sh_ws_recv(ws, 5000);
    if (!m) return -1;
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "type"));
    int result = -1;
    if (type && strcmp(type, "answer") == 0) result = 1;
    if (type && strcmp(type, "error") == 0) {
      const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "message"));
      snprintf(err, err_cap, "%s", text ? text : "");
      result = 0;
    }
    cJSON_Delete(m);
    if (result >= 0) return result;
  }
  return -1;
}

/* The per-source limit on the WebSocket path: offers on /ws count by the TCP peer's address
 * as WHIP's do. With 2 per source, a third offer from 127.0.0.4 (each on its own connection,
 * none followed by a check) gets an error message naming the source; 127.0.0.5's is
 * answered. */
static void test_pending_slots_websocket(void) {
  char dir[] = "/tmp/brtc-limits-ws-XXXXXX";
  CHECK(make_dir(dir));
  brtc_signal_config sc = {.output_dir = dir, .max_sessions = 8, .max_pending_per_source = 2};
  sh_server srv;
  sh_publisher p;
  int ws[4] = {-1, -1, -1, -1};
  char *offer = NULL;
  bool started = sh_server_start(&srv, &sc);
  CHECK(started);
  CHECK(sh_publisher_open(&p, "127.0.0.4"));
  if (!started || !p.sim) goto out;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", "offer");
  cJSON_AddStringToObject(o, "sdp", sim_peer_offer(p.sim));
  offer = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  static const char *const from[4] = {"127.0.0.4", "127.0.0.4", "127.0.0.4", "127.0.0.5"};
  static const int want[4] = {1, 1, 0, 1};
  for (int i = 0; i < 4 && offer; i++) {
    char err[256] = "";
    ws[i] = sh_ws_connect(&srv, from[i]);
    CHECK(ws[i] >= 0);
    int got = ws[i] >= 0 ? ws_offer(ws[i], offer, err, sizeof(err)) : -1;
    CHECK_EQ_INT(got, want[i]);
    if (got == 0) {
      fprintf(stderr, "refusal: %s\n", err);
      CHECK(strstr(err, "too many sessions from 127.0.0.4") != NULL);
    }
  }
  CHECK(status_number(&srv, "limits.pending.refused_per_source") == 1);
out:
  free(offer);
  for (int i = 0; i < 4; i++)
    if (ws[i] >= 0) close(ws[i]);
  sh_publisher_close(&p);
  if (started) CHECK_EQ_INT(sh_server_stop(&srv), 0);
  remove_dir(dir);
}

/* A server with config, and one WebSocket session publishing into it from 127.0.0.1. */
typedef struct ws_world {
  sh_server srv;
  sh_publisher pub;
  int ws;
  bool started;
  char id[32];
} ws_world;

static bool ws_world_open(ws_world *w, const brtc_signal_config *config) {
  memset(w, 0, sizeof(*w));
  w->ws = -1;
  w->started = sh_server_start(&w->srv, config);
  bool ok = sh_publisher_open(&w->pub, NULL) && w->started;
  if (ok) w->ws = sh_ws_connect(&w->srv, NULL);
  ok = ok && w->ws >= 0 && ws_session(&w->srv, w->ws, &w->pub, w->id, sizeof(w->id));
  CHECK(ok);
  return ok;
}

static void ws_world_close(ws_world *w) {
  if (w->ws >= 0) close(w->ws);
  sh_publisher_close(&w->pub);
  if (w->started) CHECK_EQ_INT(sh_server_stop(&w->srv), 0);
}

/* Answer keyframe requests like a browser: a keyframe, at most one per 100 ms. */
typedef struct responder {
  uint64_t plis_seen, last_key_ms;
  uint32_t ts;
  int sent;
} responder;

static void answer_plis(sh_publisher *p, responder *r) {
  uint64_t plis = sim_peer_get_stats(p->sim)->plis_received;
  if (plis == r->plis_seen || now_ms() < r->last_key_ms + 100) return;
  r->plis_seen = plis;
  r->last_key_ms = now_ms();
  r->ts += 9000;
  int k = r->sent++ % 2;
  sim_peer_send_frame(p->sim, keyframes[k], keyframe_lens[k], true, r->ts);
}

static void test_snapshot_spam(void) {
  char dir[] = "/tmp/brtc-limits-snap-XXXXXX";
  CHECK(make_dir(dir));
  brtc_signal_config sc = {.output_dir = dir, .max_sessions = 4};
  ws_world w;
  if (!ws_world_open(&w, &sc)) goto out;
  responder resp = {.last_key_ms = now_ms()};
  sim_peer_send_frame(w.pub.sim, keyframes[0], keyframe_lens[0], true, 0);
  CHECK(wait_saved(&w.srv, &w.pub, w.id, 1, 10000));

  /* A Snapshot every 20 ms for 3 s, the publisher answering every PLI it can. */
  uint64_t t0 = now_ms();
  int asked = 0;
  while (now_ms() < t0 + 3000) {
    CHECK(sh_ws_send(w.ws, "{\"type\":\"snapshot\"}"));
    asked++;
    uint64_t until = now_ms() + 20;
    while (now_ms() < until) {
      sh_pump(&w.pub, 5);
      answer_plis(&w.pub, &resp);
    }
  }
  uint64_t spam_ms = now_ms() - t0;
  for (int i = 0; i < 15; i++) { /* let the last honoured one be saved */
    sh_pump(&w.pub, 100);
    answer_plis(&w.pub, &resp);
  }
  int refusals = 0, jpegs_announced = 0;
  bool retry_ok = true;
  cJSON *m;
  while ((m = sh_ws_recv(w.ws, 200)) != NULL) {
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "type"));
    const char *what = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "refused"));
    if (type && strcmp(type, "keyframe") == 0) jpegs_announced++;
    if (type && strcmp(type, "error") == 0 && what && strcmp(what, "snapshot") == 0) {
      refusals++;
      double after = sh_number_at(m, "retry_after_ms");
      if (after < 0 || after > 1000) retry_ok = false;
    }
    cJSON_Delete(m);
  }
  double saved = session_number(&w.srv, w.id, "keyframes_saved");
  /* At most one Snapshot honoured per second of the server's clock (one more for requests
   * the server read late), and a JPEG for the first keyframe and each honoured one. */
  int honoured = asked - refusals;
  int allowed = (int)(spam_ms / 1000) + 2;
  fprintf(stderr, "%d snapshots asked in %llu ms: %d honoured (at most %d), %.0f JPEGs saved\n",
          asked, (unsigned long long)spam_ms, honoured, allowed, saved);
  CHECK(honoured >= 1 && honoured <= allowed);
  CHECK(saved >= 2);
  CHECK(saved <= 1 + honoured);
  CHECK(retry_ok);
  CHECK(status_number(&w.srv, "limits.snapshot.refused") == refusals);
  CHECK(status_number(&w.srv, "limits.snapshot.interval_ms") == 1000);
  CHECK(jpegs_announced <= 1 + honoured);
out:
  ws_world_close(&w);
  remove_dir(dir);
}

#define MIB (1024u * 1024u)

static void test_output_cap(void) {
  char dir[] = "/tmp/brtc-limits-cap-XXXXXX";
  CHECK(make_dir(dir));
  /* An earlier run left 1 MiB less 120 KiB: room for a JPEG or two of these. */
  char path[256];
  snprintf(path, sizeof(path), "%s/shoot1.jpg", dir);
  FILE *f = fopen(path, "wb");
  for (unsigned i = 0; f && i < MIB - 120u * 1024u; i++) fputc(0, f);
  if (f) fclose(f);
  brtc_signal_config sc = {.output_dir = dir, .max_sessions = 4, .max_output_mb = 1,
                           .snapshot_interval_ms = 100};
  ws_world w;
  if (!ws_world_open(&w, &sc)) goto out;
  responder resp = {.last_key_ms = now_ms()};
  sim_peer_send_frame(w.pub.sim, keyframes[0], keyframe_lens[0], true, 0);
  /* A Snapshot every 150 ms for 3 s: 20 keyframes wanted. */
  for (int i = 0; i < 20; i++) {
    CHECK(sh_ws_send(w.ws, "{\"type\":\"snapshot\"}"));
    for (int k = 0; k < 15; k++) {
      sh_pump(&w.pub, 10);
      answer_plis(&w.pub, &resp);
    }
  }
  sh_pump(&w.pub, 1000);
  int files = 0;
  uint64_t bytes = dir_bytes(dir, &files);
  cJSON *st = sh_status(&w.srv);
  fprintf(stderr, "output: %d files, %llu bytes; refused %.0f\n", files, (unsigned long long)bytes,
          sh_number_at(st, "limits.output.refused"));
  CHECK(bytes <= MIB);
  CHECK(files >= 2); /* something was saved before the cap */
  CHECK(sh_number_at(st, "limits.output.refused") >= 5);
  CHECK(sh_number_at(st, "limits.output.max_bytes") == MIB);
  CHECK(sh_number_at(st, "limits.output.bytes") == (double)bytes);
  cJSON_Delete(st);
out:
  ws_world_close(&w);
  remove_dir(dir);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  if (!make_keyframes()) {
    fprintf(stderr, "cannot encode keyframes\n");
    return 1;
  }
  RUN(test_pending_slots);
  RUN(test_pending_slots_websocket);
  RUN(test_snapshot_spam);
  RUN(test_output_cap);
  free(keyframes[0]);
  free(keyframes[1]);
  return TEST_REPORT();
}
