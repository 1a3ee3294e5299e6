/* --keyframe-interval (issue 7: the gallery fills): the real server in a child process, a
 * simulated browser publishing over WHIP that, like a browser, sends a keyframe only when
 * asked. With an interval of 2.1 s (longer than the 2 s save period) the server asks, and
 * each answer is saved: three JPEGs within seconds. The control, the same publisher against
 * a server with the interval off, gets no request and keeps its one JPEG. */
#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server_harness.h"
#include "testing.h"

/* Publishes one keyframe, then answers every PLI with another, for budget_ms or until
 * `want` JPEGs are saved. Returns the JPEGs saved; *plis gets the PLIs received. */
static int publish(sh_server *srv, int want, int budget_ms, uint64_t *plis) {
  sh_publisher pub;
  *plis = 0;
  if (!sh_publisher_open(&pub, NULL) || !pub.sim) return -1;
  sh_response r;
  int saved = -1;
  if (!sh_http(srv, NULL, "POST", "/whip", "application/sdp", sim_peer_offer(pub.sim), &r) ||
      r.status != 201 || !r.body)
    goto out;
  char err[256];
  int rc = sim_peer_set_answer(pub.sim, r.body, err, sizeof(err));
  free(r.body);
  if (rc != 0 || !sh_pump_until_ready(&pub, 5000)) goto out;
  uint8_t *frame = NULL;
  size_t len = 0;
  const bool key = true;
  if (sh_encode_frames(320, 240, 1, &key, &frame, &len) != 1) goto out;
  uint32_t ts = 0;
  sim_peer_send_frame(pub.sim, frame, len, true, ts);
  uint64_t answered = 0;
  for (int spent = 0; spent < budget_ms; spent += 50) {
    sh_pump(&pub, 50);
    uint64_t got = sim_peer_get_stats(pub.sim)->plis_received;
    if (got != answered) { /* as a browser: one keyframe for however many requests */
      answered = got;
      ts += 90000;
      sim_peer_send_frame(pub.sim, frame, len, true, ts);
    }
    cJSON *st = sh_status(srv);
    saved = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(st, "keyframes"));
    cJSON_Delete(st);
    if (saved >= want) break;
  }
  *plis = answered;
  free(frame);
out:
  sh_publisher_close(&pub);
  return saved;
}

static char out_on[64] = "/tmp/brtc-kf-interval-XXXXXX", out_off[64] = "/tmp/brtc-kf-off-XXXXXX";

static void test_interval_fills_the_gallery(void) {
  sh_server srv;
  brtc_signal_config sc = {.output_dir = out_on, .keyframe_interval_ms = 2100};
  CHECK(sh_server_start(&srv, &sc));
  uint64_t plis = 0;
  int saved = publish(&srv, 3, 15000, &plis);
  fprintf(stderr, "  interval 2.1 s: %d JPEGs, %llu PLIs\n", saved, (unsigned long long)plis);
  CHECK(saved >= 3);
  CHECK(plis >= 2);
  sh_server_stop(&srv);
}

static void test_control_without_interval(void) {
  sh_server srv;
  brtc_signal_config sc = {.output_dir = out_off,
                           .keyframe_interval_ms = BRTC_SIGNAL_NO_KEYFRAME_INTERVAL};
  CHECK(sh_server_start(&srv, &sc));
  uint64_t plis = 0;
  int saved = publish(&srv, 3, 5000, &plis);
  fprintf(stderr, "  no interval: %d JPEGs, %llu PLIs in 5 s\n", saved, (unsigned long long)plis);
  CHECK_EQ_INT(saved, 1);
  CHECK_EQ_INT(plis, 0);
  sh_server_stop(&srv);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  if (!mkdtemp(out_on) || !mkdtemp(out_off)) return 1;
  RUN(test_interval_fills_the_gallery);
  RUN(test_control_without_interval);
  char cmd[200];
  snprintf(cmd, sizeof(cmd), "rm -rf %s %s", out_on, out_off);
  if (system(cmd) != 0) fprintf(stderr, "could not remove the output folders\n");
  return TEST_REPORT();
}
