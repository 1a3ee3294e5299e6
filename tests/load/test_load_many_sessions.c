/* Hundreds of sessions at once in one `boltrtc serve`, each independent of the others, and
 * broken ones that never disturb the good ones. The built server runs as a child process
 * with free ports; this process publishes N sessions over WHIP with simulated browsers on
 * loopback UDP (tests/load/load_driver), all sending their first 640x480 VP8 keyframe within
 * a few milliseconds, mixed with broken publishers: a wrong DTLS fingerprint, garbage
 * floods of every RFC 7983 class, publishers that go silent after DTLS, and malformed SDP.
 *
 * Asserted: every good session connects and gets its first keyframe saved as a 640x480
 * JPEG (listed in /api/status and on disk), with no packet of its own dropped; the broken
 * ones fail or are counted as drops; DELETE of every good session answers 200; SIGTERM
 * makes the server exit 0. Every wait is bounded; the server is stopped by its pid.
 *
 * Usage: test_load_many_sessions BOLTRTC [SESSIONS]   (or BRTC_LOAD_SESSIONS=N; default 200,
 * which also runs in seconds under AddressSanitizer; BRTC_LOAD_KEEP=1 keeps the server log
 * and keyframes) */
#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "boltrtc/error.h"
#include "load_driver.h"
#include "testing.h"

#define BROKEN_EACH 10 /* publishers of each broken kind */
#define MALFORMED_OFFERS 5
#define CONNECT_BUDGET_MS 25000
#define SAVE_BUDGET_MS 25000

static size_t n_good = 200;
static char work_dir[128] = "/tmp/brtc-load-XXXXXX";
static char output_dir[192], log_path[192];
static load_server server = {.pid = -1};
static load_driver driver = {.epfd = -1, .stranger_fd = -1};

static size_t saved_sessions(cJSON *st) {
  size_t n = 0;
  for (size_t i = 0; i < driver.n; i++) {
    const load_peer *p = &driver.peers[i];
    cJSON *s = p->kind == LOAD_GOOD ? load_status_session(st, p->id) : NULL;
    cJSON *k = cJSON_GetObjectItemCaseSensitive(s, "keyframes_saved");
    if (cJSON_IsNumber(k) && k->valuedouble >= 1) n++;
  }
  return n;
}

static double number_at(cJSON *o, const char *a, const char *b) {
  cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
  if (b) v = cJSON_GetObjectItemCaseSensitive(v, b);
  return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static bool starts_as_jpeg(const char *file) {
  char path[320];
  snprintf(path, sizeof(path), "%s/%s", output_dir, file);
  FILE *f = fopen(path, "rb");
  unsigned char head[2] = {0};
  bool ok = f && fread(head, 1, 2, f) == 2 && head[0] == 0xff && head[1] == 0xd8;
  if (f) fclose(f);
  return ok;
}

/* The session's saved keyframe: a 640x480 JPEG that exists and starts with FFD8. The status
 * lists the last 200 keyframes; past that, the session's "keyframe-saved" step names it
 * ("<dir>/shoot<N>.jpg 640x480"). */
static bool keyframe_on_disk(cJSON *st, const char *id) {
  cJSON *k;
  cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(st, "keyframes")) {
    cJSON *sid = cJSON_GetObjectItemCaseSensitive(k, "session");
    cJSON *file = cJSON_GetObjectItemCaseSensitive(k, "file");
    if (!cJSON_IsString(sid) || strcmp(sid->valuestring, id) != 0 || !cJSON_IsString(file))
      continue;
    if (number_at(k, "width", NULL) != 640 || number_at(k, "height", NULL) != 480) return false;
    return starts_as_jpeg(file->valuestring);
  }
  cJSON *step;
  cJSON_ArrayForEach(step, cJSON_GetObjectItemCaseSensitive(load_status_session(st, id), "steps")) {
    cJSON *name = cJSON_GetObjectItemCaseSensitive(step, "step");
    cJSON *detail = cJSON_GetObjectItemCaseSensitive(step, "detail");
    if (!cJSON_IsString(name) || strcmp(name->valuestring, "keyframe-saved") != 0 ||
        !cJSON_IsString(detail))
      continue;
    const char *slash = strrchr(detail->valuestring, '/');
    char file[64];
    unsigned w = 0, h = 0;
    if (!slash || sscanf(slash + 1, "%63s %ux%u", file, &w, &h) != 3) return false;
    return w == 640 && h == 480 && starts_as_jpeg(file);
  }
  return false;
}

static void post_malformed_offers(void) {
  static const char *const bodies[MALFORMED_OFFERS] = {
      "this is not SDP",
      "v=0\r\n",
      "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", /* no media at all */
      "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
      "c=IN IP4 0.0.0.0\r\na=rtpmap:96 VP8/90000\r\na=sendonly\r\n", /* no ICE, no DTLS */
      "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
      "c=IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\n"
      "a=setup:actpass\r\na=mid:0\r\na=rtpmap:96 VP8/90000\r\n"
      "a=sendonly\r\na=rtcp-mux\r\n", /* no a=fingerprint */
  };
  for (size_t i = 0; i < MALFORMED_OFFERS; i++) {
    load_http_response r;
    CHECK(load_http(server.http_port, "POST", "/whip", "application/sdp", bodies[i], &r));
    CHECK_EQ_INT(r.status, 400);
    free(r.body);
  }
}

/* Good and broken publishers in a fixed shuffled order, so the broken ones are spread out. */
static void add_publishers(void) {
  size_t total = n_good + 3 * BROKEN_EACH;
  load_kind *kinds = calloc(total, sizeof(*kinds));
  CHECK(kinds != NULL);
  if (!kinds) return;
  for (size_t i = 0; i < total; i++)
    kinds[i] = i < n_good ? LOAD_GOOD : (load_kind)(1 + (i - n_good) / BROKEN_EACH);
  uint32_t rng = 12345;
  for (size_t i = total - 1; i > 0; i--) {
    rng = rng * 1103515245u + 12345u;
    size_t j = (rng >> 8) % (i + 1);
    load_kind t = kinds[i];
    kinds[i] = kinds[j];
    kinds[j] = t;
  }
  size_t added = 0;
  for (size_t i = 0; i < total; i++) {
    int rc = load_driver_add(&driver, kinds[i]);
    if (rc < 0) fprintf(stderr, "publisher %zu: %s\n", i, brtc_strerror(rc));
    else added++;
    if (i % 16 == 15) load_driver_pump(&driver, 1); /* keep the early ones' checks going */
  }
  CHECK_EQ_INT(added, total);
  free(kinds);
}

static bool all_set_up(void) {
  return load_driver_count_ready(&driver, LOAD_GOOD) == n_good &&
         load_driver_count_ready(&driver, LOAD_FLOODER) == BROKEN_EACH &&
         load_driver_count_ready(&driver, LOAD_VANISHER) == BROKEN_EACH;
}

static void check_broken(cJSON *st) {
  size_t wrong_fp_failed = 0, vanished_quiet = 0, floods_counted = 0;
  double flooder_session_drops = 0;
  for (size_t i = 0; i < driver.n; i++) {
    const load_peer *p = &driver.peers[i];
    cJSON *s = load_status_session(st, p->id);
    switch (p->kind) {
      case LOAD_WRONG_FINGERPRINT:
        /* Closed sessions are kept (the last 100), so a failed one is still listed. */
        if (s && strcmp(load_status_state(s), "failed") == 0) wrong_fp_failed++;
        break;
      case LOAD_VANISHER:
        /* Silent: connected until its consent runs out (30 s, longer than this test but not
         * than a slow sanitizer run), nothing received, nothing saved; SIGTERM closes it. */
        if (s && (strcmp(load_status_state(s), "connected") == 0 ||
                  strcmp(load_status_state(s), "failed") == 0) &&
            load_status_stat(s, "rtp_video") == 0 && number_at(s, "keyframes_saved", NULL) == 0)
          vanished_quiet++;
        break;
      case LOAD_FLOODER: {
        double own = load_status_stat(s, "dropped_malformed") +
                     load_status_stat(s, "dropped_auth") +
                     load_status_stat(s, "dropped_replay") +
                     load_status_stat(s, "dropped_unexpected");
        if (s && own > 0) floods_counted++;
        flooder_session_drops += own;
        break;
      }
      default:
        break;
    }
  }
  CHECK_EQ_INT(wrong_fp_failed, BROKEN_EACH);
  CHECK_EQ_INT(vanished_quiet, BROKEN_EACH);
  CHECK_EQ_INT(floods_counted, BROKEN_EACH);
  /* Every garbage datagram was dropped and counted: by the flooder's own session (STUN,
   * DTLS and RTP classes from its checked address) or by the loop (the rest, and all that
   * came from a stranger). Loopback loses none unless the server's socket buffer overflows,
   * which a loaded machine makes happen (the server is not scheduled for a while, and the
   * floods come in bursts of 960): the kernel's drops are counted too (udp.dropped_socket_full,
   * an upper bound for the garbage among them, since media can be dropped as well). */
  double udp_drops = number_at(st, "udp", "dropped_unknown_source") +
                     number_at(st, "udp", "dropped_unknown_ufrag") +
                     number_at(st, "udp", "dropped_malformed");
  double kernel_drops = number_at(st, "udp", "dropped_socket_full");
  uint64_t own_sent = 0;
  for (size_t i = 0; i < driver.n; i++) own_sent += driver.peers[i].garbage_sent;
  uint64_t sent = own_sent + driver.stranger_garbage_sent;
  fprintf(stderr, "garbage: %llu datagrams sent (%llu from flooders' own ports); counted %.0f by "
                  "the flooders' sessions and %.0f by the loop; the kernel dropped %.0f "
                  "datagrams of all kinds for a full socket buffer\n",
          (unsigned long long)sent, (unsigned long long)own_sent, flooder_session_drops,
          udp_drops, kernel_drops);
  CHECK(driver.stranger_garbage_sent > 0 && own_sent > 0);
  CHECK(kernel_drops >= 0);
  CHECK(udp_drops + kernel_drops >= (double)driver.stranger_garbage_sent * 0.9);
  CHECK(udp_drops + flooder_session_drops + kernel_drops >= (double)sent * 0.9);
}

static void check_good(cJSON *st) {
  size_t connected = 0, saved = 0, on_disk = 0, clean = 0;
  for (size_t i = 0; i < driver.n; i++) {
    const load_peer *p = &driver.peers[i];
    if (p->kind != LOAD_GOOD) continue;
    cJSON *s = load_status_session(st, p->id);
    if (s && strcmp(load_status_state(s), "connected") == 0) connected++;
    if (number_at(s, "keyframes_saved", NULL) >= 1) saved++;
    if (keyframe_on_disk(st, p->id)) on_disk++;
    /* Nothing of its own refused: the floods and failures of others never land here. */
    if (s && load_status_stat(s, "dropped_malformed") == 0 &&
        load_status_stat(s, "dropped_auth") == 0 && load_status_stat(s, "dropped_replay") == 0 &&
        load_status_stat(s, "dropped_unexpected") == 0)
      clean++;
    else if (s)
      fprintf(stderr, "%s: drops malformed %.0f auth %.0f replay %.0f unexpected %.0f\n", p->id,
              load_status_stat(s, "dropped_malformed"), load_status_stat(s, "dropped_auth"),
              load_status_stat(s, "dropped_replay"), load_status_stat(s, "dropped_unexpected"));
  }
  CHECK_EQ_INT(connected, n_good);
  CHECK_EQ_INT(saved, n_good);
  CHECK_EQ_INT(on_disk, n_good);
  CHECK_EQ_INT(clean, n_good);
  CHECK(number_at(st, "keyframe_saving", "failed") == 0);
}

static void test_many_sessions(void) {
  CHECK_EQ_INT(load_driver_init(&driver, n_good + 3 * BROKEN_EACH, &server), 0);
  if (!driver.peers) return;
  fprintf(stderr, "keyframe: %zu bytes; %zu good publishers, %d of each broken kind\n",
          driver.frame_lens[0], n_good, BROKEN_EACH);
  post_malformed_offers();
  uint64_t t0 = load_now_us();
  add_publishers();

  for (int spent = 0; spent < CONNECT_BUDGET_MS && !all_set_up(); spent += 100)
    load_driver_pump(&driver, 100);
  fprintf(stderr, "set up in %.1f s: %zu good, %zu flooders, %zu vanishers ready\n",
          (double)(load_now_us() - t0) / 1e6, load_driver_count_ready(&driver, LOAD_GOOD),
          load_driver_count_ready(&driver, LOAD_FLOODER),
          load_driver_count_ready(&driver, LOAD_VANISHER));
  CHECK(all_set_up());
  CHECK_EQ_INT(load_driver_count_ready(&driver, LOAD_WRONG_FINGERPRINT), 0);

  /* The vanishers go; every good publisher sends its first keyframe at once, while the
   * flooders keep at it. */
  load_driver_vanish(&driver);
  uint64_t t_keys = load_now_us();
  load_driver_send_keyframes(&driver);
  load_driver_flood(&driver, 8);
  size_t saved = 0;
  cJSON *st = NULL;
  for (int spent = 0; spent < SAVE_BUDGET_MS; spent += 250) {
    load_driver_pump(&driver, 250);
    if (spent % 1000 == 0) load_driver_flood(&driver, 8);
    cJSON_Delete(st);
    st = load_status(server.http_port);
    saved = st ? saved_sessions(st) : 0;
    if (saved == n_good) break;
  }
  fprintf(stderr, "%zu of %zu good sessions saved their first keyframe %.1f s after sending it; "
                  "saver: %.0f saved, %.0f refused while busy, %.0f deferred, %.0f asked again\n",
          saved, n_good, (double)(load_now_us() - t_keys) / 1e6,
          number_at(st, "keyframe_saving", "saved"),
          number_at(st, "keyframe_saving", "dropped_busy"),
          number_at(st, "keyframe_saving", "deferred"),
          number_at(st, "keyframe_saving", "rerequested"));
  /* A last flood, then the counts settle before the final look. */
  load_driver_flood(&driver, 8);
  load_driver_pump(&driver, 500);
  cJSON_Delete(st);
  st = load_status(server.http_port);
  CHECK(st != NULL);
  if (!st) return;
  check_good(st);
  check_broken(st);
  cJSON_Delete(st);

  size_t deleted = 0;
  for (size_t i = 0; i < driver.n; i++) {
    const load_peer *p = &driver.peers[i];
    if (p->kind != LOAD_GOOD) continue;
    load_http_response r;
    if (load_http(server.http_port, "DELETE", p->location, NULL, NULL, &r) && r.status == 200)
      deleted++;
    free(r.body);
  }
  CHECK_EQ_INT(deleted, n_good);
  load_driver_pump(&driver, 200);
}

static size_t sessions_wanted(int argc, char **argv) {
  const char *v = argc > 2 ? argv[2] : getenv("BRTC_LOAD_SESSIONS");
  if (v && *v) {
    long n = strtol(v, NULL, 10);
    if (n > 0 && n <= 2000) return (size_t)n;
  }
  return 200;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  if (argc < 2) {
    fprintf(stderr, "usage: %s BOLTRTC [SESSIONS]\n", argv[0]);
    return 2;
  }
  n_good = sessions_wanted(argc, argv);
  if (!mkdtemp(work_dir)) return 1;
  snprintf(output_dir, sizeof(output_dir), "%s/output", work_dir);
  snprintf(log_path, sizeof(log_path), "%s/server.log", work_dir);
  if (load_server_start(&server, argv[1], output_dir, n_good + 3 * BROKEN_EACH + 16, log_path) !=
      0) {
    fprintf(stderr, "cannot start %s (log %s)\n", argv[1], log_path);
    return 1;
  }
  RUN(test_many_sessions);
  load_driver_free(&driver);
  CHECK_EQ_INT(load_server_stop(&server, 20000), 0);
  int failed = TEST_REPORT();
  if (failed == 0 && !getenv("BRTC_LOAD_KEEP")) {
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", work_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", work_dir);
  } else {
    fprintf(stderr, "server log and keyframes kept in %s\n", work_dir);
  }
  return failed;
}
