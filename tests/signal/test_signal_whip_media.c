/* The whole server path without a browser: a forked child runs the signal server (its own
 * loop, certificate and output folder); the parent publishes over WHIP with the simulated
 * browser (tests/support/sim_peer) over real UDP on loopback, sends VP8 keyframes made with
 * libvpx, and checks what the server saved and reports: the first keyframe becomes
 * shoot<N>.jpg at its real size, a second one within 2 s is not saved (save policy), DELETE
 * ends the session with a DTLS close_notify to the peer and leaves it listed as closed.
 * Every wait is bounded (tests/signal/server_harness). */
#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server_harness.h"
#include "testing.h"

static char out_dir[64] = "/tmp/brtc-whip-media-XXXXXX";
static sh_server server;

static bool http(const char *method, const char *path, const char *ctype, const char *body,
                 sh_response *resp) {
  return sh_http(&server, NULL, method, path, ctype, body, resp);
}

static cJSON *get_status(void) { return sh_status(&server); }

/* Pump until the status satisfies pred or budget_ms passes. */
static cJSON *wait_status(sh_publisher *p, const char *id, bool (*pred)(cJSON *st, cJSON *s),
                          int budget_ms) {
  for (int spent = 0; spent < budget_ms; spent += 50) {
    sh_pump(p, 50);
    cJSON *st = get_status();
    if (st && pred(st, test_status_session(st, id))) return st;
    cJSON_Delete(st);
  }
  return NULL;
}

static bool one_keyframe_saved(cJSON *st, cJSON *s) {
  return s && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(st, "keyframes")) >= 1;
}
static bool two_keyframes_assembled(cJSON *st, cJSON *s) {
  (void)st;
  return s && test_status_stat(s, "keyframes") >= 2;
}
static bool three_keyframes_assembled(cJSON *st, cJSON *s) {
  (void)st;
  return s && test_status_stat(s, "keyframes") >= 3;
}
static bool session_closed(cJSON *st, cJSON *s) {
  (void)st;
  cJSON *state = cJSON_GetObjectItemCaseSensitive(s, "state");
  return cJSON_IsString(state) && strcmp(state->valuestring, "closed") == 0;
}

static void test_whip_publish(void) {
  char path[256];
  sh_publisher pub;
  CHECK(sh_publisher_open(&pub, NULL));
  if (!pub.sim) return;
  sh_response r;
  CHECK(http("POST", "/whip", "application/sdp", sim_peer_offer(pub.sim), &r));
  CHECK_EQ_INT(r.status, 201);
  CHECK(strncmp(r.location, "/whip/", 6) == 0 && strlen(r.location) == 6 + 32);
  char id[32] = "", del[160] = "";
  snprintf(id, sizeof(id), "%s", r.session);
  CHECK(id[0] == 's');
  snprintf(del, sizeof(del), "%s", r.location);
  char err[256] = "";
  int rc = r.body ? sim_peer_set_answer(pub.sim, r.body, err, sizeof(err)) : BRTC_ERR_PARSE;
  if (rc != BRTC_OK) fprintf(stderr, "answer refused: %s\n", err);
  CHECK_EQ_INT(rc, BRTC_OK);
  free(r.body);

  CHECK(sh_pump_until_ready(&pub, 5000));

  uint8_t *frames[3] = {0};
  size_t lens[3] = {0};
  const bool keys[3] = {true, false, true};
  CHECK_EQ_INT(sh_encode_frames(640, 480, 3, keys, frames, lens), 3);
  if (!frames[2]) return;
  sim_peer_send_frame(pub.sim, frames[0], lens[0], true, 0);
  sim_peer_send_frame(pub.sim, frames[1], lens[1], false, 3000);
  cJSON *st = wait_status(&pub, id, one_keyframe_saved, 10000);
  CHECK(st != NULL);
  if (st) {
    cJSON *k = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(st, "keyframes"), 0);
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(k, "file")->valuestring, "shoot8.jpg");
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(k, "session")->valuestring, id);
    CHECK(cJSON_GetObjectItemCaseSensitive(k, "width")->valuedouble == 640);
    CHECK(cJSON_GetObjectItemCaseSensitive(k, "height")->valuedouble == 480);
    cJSON *s = test_status_session(st, id);
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(s, "transport")->valuestring, "whip");
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(s, "state")->valuestring, "connected");
    CHECK(cJSON_GetObjectItemCaseSensitive(s, "keyframes_saved")->valuedouble == 1);
    /* Saved by the keyframe thread, nothing refused. */
    cJSON *saving = cJSON_GetObjectItemCaseSensitive(st, "keyframe_saving");
    CHECK(cJSON_GetObjectItemCaseSensitive(saving, "saved")->valuedouble == 1);
    CHECK(cJSON_GetObjectItemCaseSensitive(st, "keyframes_dropped_busy")->valuedouble == 0);
  }
  cJSON_Delete(st);

  /* The saved file is a whole JPEG, served over HTTP too. */
  snprintf(path, sizeof(path), "%s/shoot8.jpg", out_dir);
  struct stat sb;
  CHECK(stat(path, &sb) == 0 && sb.st_size > 1000);
  CHECK(http("GET", "/output/shoot8.jpg", NULL, NULL, &r));
  CHECK_EQ_INT(r.status, 200);
  CHECK(r.body && r.body_len == (size_t)sb.st_size && (uint8_t)r.body[0] == 0xff &&
        (uint8_t)r.body[1] == 0xd8 && (uint8_t)r.body[r.body_len - 2] == 0xff &&
        (uint8_t)r.body[r.body_len - 1] == 0xd9);
  free(r.body);

  /* A second keyframe within 2 s is assembled but not saved. */
  sim_peer_send_frame(pub.sim, frames[2], lens[2], true, 6000);
  st = wait_status(&pub, id, two_keyframes_assembled, 10000);
  CHECK(st != NULL);
  if (st) CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(st, "keyframes")), 1);
  cJSON_Delete(st);
  snprintf(path, sizeof(path), "%s/shoot9.jpg", out_dir);
  CHECK(stat(path, &sb) != 0);

  /* Issue 5 item 2: one 15-byte alert from the publisher's address used to end the session.
   * Sent through the publisher's own socket: the server sees exactly what a spoofer on the
   * path would deliver. It is dropped and counted; the session stays, media keeps coming. */
  static const uint8_t forged_alert[15] = {0x15, 0xfe, 0xfd, 0x00, 0x01, 0x00, 0x00, 0x00,
                                           0x00, 0x00, 0x07, 0x00, 0x02, 0x02, 0x28};
  CHECK_EQ_INT(pub.server.ss_family, AF_INET);
  for (int i = 0; i < 3; i++)
    sendto(pub.fd, forged_alert, sizeof(forged_alert), 0, (struct sockaddr *)&pub.server,
           sizeof(struct sockaddr_in));
  sim_peer_send_frame(pub.sim, frames[0], lens[0], true, 9000);
  st = wait_status(&pub, id, three_keyframes_assembled, 10000);
  CHECK(st != NULL);
  if (st) {
    cJSON *s = test_status_session(st, id);
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(s, "state")->valuestring, "connected");
    CHECK(test_status_stat(s, "dropped_auth") >= 3);
  }
  cJSON_Delete(st);
  CHECK(!sim_peer_get_stats(pub.sim)->dtls_closed);

  /* DELETE ends it: close_notify reaches the peer, the session stays listed as closed. */
  CHECK(http("DELETE", del, NULL, NULL, &r));
  CHECK_EQ_INT(r.status, 200);
  free(r.body);
  st = wait_status(&pub, id, session_closed, 5000);
  CHECK(st != NULL);
  if (st) CHECK(test_status_stat(test_status_session(st, id), "keyframes") == 3);
  cJSON_Delete(st);
  for (int i = 0; i < 40 && !sim_peer_get_stats(pub.sim)->dtls_closed; i++) sh_pump(&pub, 50);
  CHECK(sim_peer_get_stats(pub.sim)->dtls_closed);
  CHECK(http("DELETE", del, NULL, NULL, &r));
  CHECK_EQ_INT(r.status, 404);
  free(r.body);

  for (int i = 0; i < 3; i++) free(frames[i]);
  sh_publisher_close(&pub);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  if (!mkdtemp(out_dir)) return 1;
  /* A keyframe from an earlier run: the server numbers on after it. */
  char path[256];
  snprintf(path, sizeof(path), "%s/shoot7.jpg", out_dir);
  FILE *f = fopen(path, "w");
  if (f) fclose(f);
  brtc_signal_config sc = {.output_dir = out_dir, .max_sessions = 4};
  if (!sh_server_start(&server, &sc)) {
    fprintf(stderr, "cannot start the server\n");
    sh_server_stop(&server);
    return 1;
  }
  RUN(test_whip_publish);
  CHECK_EQ_INT(sh_server_stop(&server), 0);
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", out_dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", out_dir);
  return TEST_REPORT();
}
