/* Many sessions in one server process: the real `boltrtc serve` against N simulated WHIP
 * publishers on loopback (tests/load/load_driver, the load test's driver). For each N:
 *
 *  1. idle: all N connect (ICE, DTLS, SRTP) and send nothing; the server's RSS growth
 *     (/proc/<pid>/status VmRSS, before the first offer and after all are connected) per
 *     session.
 *  2. keyed: then all N send a 640x480 VP8 keyframe (and 3 delta frames) at once; RSS growth
 *     per session once every keyframe is saved, and for each session the time from its
 *     keyframe being assembled to its JPEG being saved (steps "first-keyframe" ->
 *     "keyframe-saved"), which is where the saver's queue of 32 shows.
 *     Also the CPU time of the server's loop thread (its main thread: media, signaling and
 *     HTTP; not the keyframe saver's) from the keyframes being sent to all being saved,
 *     divided by the datagrams it received meanwhile: the cost per packet.
 *  3. straight through: a fresh server, N publishers that each send their keyframe as soon
 *     as their SRTP is keyed, like browsers: time from the session's first STUN check to its
 *     keyframe saved (steps "ice-check" -> "keyframe-saved"), p50 and p99.
 *
 *  4. with --rounds R: memory after bursts. One server; R times, N publishers connect and
 *     send their keyframe, every JPEG is saved, then every session is ended (WHIP DELETE)
 *     and its publisher dropped; the server's RSS with N live and, 2 s after the last one
 *     ended, with none live. A server that gives memory back returns near its base.
 *
 * Usage: bench_sessions BOLTRTC [N ...]   (default 100 300 500)
 *        bench_sessions BOLTRTC --rounds R N */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "load_driver.h"

#define BUDGET_MS 120000

typedef struct run_result {
  size_t n, connected, saved;
  double setup_s, save_all_s;
  long rss_base, rss_idle, rss_keyed;
  double kf_p50, kf_p99; /* first-keyframe -> keyframe-saved, ms */
  double deferred, rerequested, dropped_busy;
  double loop_cpu_s, datagrams; /* loop thread CPU and datagrams in, over phase 2 */
} run_result;

/* CPU seconds (user + system) of the server's main thread, the one that runs the loop:
 * fields 14 and 15 of /proc/<pid>/task/<pid>/stat, in clock ticks. */
static double loop_thread_cpu_s(const load_server *srv) {
  char path[64], buf[1024];
  snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)srv->pid, (int)srv->pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = '\0';
  const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
  unsigned long utime = 0, stime = 0;
  if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
                   &stime) != 2)
    return -1;
  return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double percentile(double *v, size_t n, double p) {
  if (n == 0) return -1;
  qsort(v, n, sizeof(*v), cmp_double);
  size_t i = (size_t)(p * (double)(n - 1) + 0.5);
  return v[i];
}

static double number_at(cJSON *o, const char *a, const char *b) {
  cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
  if (b) v = cJSON_GetObjectItemCaseSensitive(v, b);
  return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* Step-to-step times of every publisher's session that has both steps; how many. */
static size_t step_spans(const load_driver *d, cJSON *st, const char *from, const char *to,
                         double *out) {
  size_t n = 0;
  for (size_t i = 0; i < d->n; i++) {
    cJSON *s = load_status_session(st, d->peers[i].id);
    double a = load_status_step_ms(s, from), b = load_status_step_ms(s, to);
    if (s && a >= 0 && b >= 0) out[n++] = b - a;
  }
  return n;
}

static size_t count_saved(const load_driver *d, cJSON *st) {
  size_t n = 0;
  for (size_t i = 0; i < d->n; i++)
    if (number_at(load_status_session(st, d->peers[i].id), "keyframes_saved", NULL) >= 1) n++;
  return n;
}

/* Pump until every publisher's session has its keyframe saved; the last status. */
static cJSON *wait_saved(load_driver *d, const load_server *srv, size_t n, uint64_t budget_ms) {
  cJSON *st = NULL;
  uint64_t until = load_now_us() + budget_ms * 1000u;
  while (load_now_us() < until) {
    load_driver_pump(d, 100);
    cJSON_Delete(st);
    st = load_status(srv->http_port);
    if (st && count_saved(d, st) == n) break;
  }
  return st;
}

static bool start(load_server *srv, const char *binary, const char *dir, size_t n,
                  const char *phase) {
  char out[256], log[256], cmd[300];
  snprintf(out, sizeof(out), "%s/output", dir);
  snprintf(log, sizeof(log), "%s/server-%zu-%s.log", dir, n, phase);
  snprintf(cmd, sizeof(cmd), "rm -rf '%s/output'", dir);
  if (system(cmd) != 0) return false;
  return load_server_start(srv, binary, out, n + 16, log) == 0;
}

static bool connect_all(load_driver *d, size_t n, double *setup_s) {
  uint64_t t0 = load_now_us();
  for (size_t i = 0; i < n; i++) {
    if (load_driver_add(d, LOAD_GOOD) < 0) return false;
    if (i % 16 == 15) load_driver_pump(d, 1);
  }
  while (load_driver_count_ready(d, LOAD_GOOD) < n && load_now_us() < t0 + BUDGET_MS * 1000ull)
    load_driver_pump(d, 50);
  *setup_s = (double)(load_now_us() - t0) / 1e6;
  return load_driver_count_ready(d, LOAD_GOOD) == n;
}

/* Phases 1 and 2. */
static bool run_memory(const char *binary, const char *dir, size_t n, run_result *r) {
  memset(r, 0, sizeof(*r));
  r->n = n;
  load_server srv;
  if (!start(&srv, binary, dir, n, "memory")) return false;
  load_driver d;
  bool ok = load_driver_init(&d, n, &srv) == 0;
  /* Base: the server started and has answered one status request. */
  cJSON_Delete(load_status(srv.http_port));
  usleep(200000);
  r->rss_base = load_server_rss_kib(&srv);
  ok = ok && connect_all(&d, n, &r->setup_s);
  r->connected = load_driver_count_ready(&d, LOAD_GOOD);
  load_driver_pump(&d, 1000); /* settle: every ICE nomination and first RTCP done */
  r->rss_idle = load_server_rss_kib(&srv);

  cJSON *before = load_status(srv.http_port);
  double cpu0 = loop_thread_cpu_s(&srv);
  uint64_t t = load_now_us();
  load_driver_send_keyframes(&d);
  cJSON *st = ok ? wait_saved(&d, &srv, n, BUDGET_MS) : NULL;
  r->save_all_s = (double)(load_now_us() - t) / 1e6;
  r->loop_cpu_s = loop_thread_cpu_s(&srv) - cpu0;
  r->datagrams = number_at(st, "udp", "datagrams_in") - number_at(before, "udp", "datagrams_in");
  cJSON_Delete(before);
  load_driver_pump(&d, 1000);
  r->rss_keyed = load_server_rss_kib(&srv);
  cJSON_Delete(st);
  st = load_status(srv.http_port);
  r->saved = st ? count_saved(&d, st) : 0;
  double *spans = calloc(n, sizeof(*spans));
  size_t k = st && spans ? step_spans(&d, st, "first-keyframe", "keyframe-saved", spans) : 0;
  r->kf_p50 = percentile(spans, k, 0.5);
  r->kf_p99 = percentile(spans, k, 0.99);
  r->deferred = number_at(st, "keyframe_saving", "deferred");
  r->rerequested = number_at(st, "keyframe_saving", "rerequested");
  r->dropped_busy = number_at(st, "keyframe_saving", "dropped_busy");
  free(spans);
  cJSON_Delete(st);
  load_driver_free(&d);
  int code = load_server_stop(&srv, 30000);
  if (code != 0) fprintf(stderr, "server exited %d\n", code);
  return ok && code == 0;
}

/* Phase 3: p50/p99 of first STUN -> keyframe saved, in ms. */
static bool run_straight(const char *binary, const char *dir, size_t n, double *p50, double *p99,
                         size_t *saved) {
  load_server srv;
  if (!start(&srv, binary, dir, n, "straight")) return false;
  load_driver d;
  bool ok = load_driver_init(&d, n, &srv) == 0;
  d.key_when_ready = true;
  double setup_s;
  ok = ok && connect_all(&d, n, &setup_s);
  cJSON *st = ok ? wait_saved(&d, &srv, n, BUDGET_MS) : NULL;
  *saved = st ? count_saved(&d, st) : 0;
  double *spans = calloc(n, sizeof(*spans));
  size_t k = st && spans ? step_spans(&d, st, "ice-check", "keyframe-saved", spans) : 0;
  *p50 = percentile(spans, k, 0.5);
  *p99 = percentile(spans, k, 0.99);
  free(spans);
  cJSON_Delete(st);
  load_driver_free(&d);
  int code = load_server_stop(&srv, 30000);
  return ok && code == 0;
}

/* End every publisher's session with DELETE; how many answered 200. */
static size_t delete_all(const load_driver *d) {
  size_t ok = 0;
  for (size_t i = 0; i < d->n; i++) {
    load_http_response r;
    if (load_http(d->http_port, "DELETE", d->peers[i].location, NULL, NULL, &r) &&
        r.status == 200)
      ok++;
    free(r.body);
  }
  return ok;
}

static double live_sessions(int port) {
  cJSON *st = load_status(port);
  cJSON *limits = cJSON_GetObjectItemCaseSensitive(st, "limits");
  double n = number_at(limits, "sessions", "live");
  cJSON_Delete(st);
  return n;
}

/* Phase 4: RSS after rounds of n sessions opened and closed. */
static int run_rounds(const char *binary, const char *dir, size_t rounds, size_t n) {
  load_server srv;
  if (!start(&srv, binary, dir, n, "rounds")) return 1;
  cJSON_Delete(load_status(srv.http_port));
  usleep(200000);
  long base = load_server_rss_kib(&srv);
  printf("server RSS at the start: %.1f MiB\n\n", (double)base / 1024.0);
  printf("| round | sessions | saved | RSS with all live (MiB) | RSS with none live (MiB) |\n");
  printf("|---:|---:|---:|---:|---:|\n");
  fflush(stdout);
  int status = 0;
  for (size_t r = 1; r <= rounds; r++) {
    load_driver d;
    double setup_s;
    bool ok = load_driver_init(&d, n, &srv) == 0 && connect_all(&d, n, &setup_s);
    load_driver_send_keyframes(&d);
    cJSON *st = ok ? wait_saved(&d, &srv, n, BUDGET_MS) : NULL;
    size_t saved = st ? count_saved(&d, st) : 0;
    cJSON_Delete(st);
    long live = load_server_rss_kib(&srv);
    size_t deleted = delete_all(&d);
    load_driver_free(&d);
    for (int i = 0; i < 100 && live_sessions(srv.http_port) != 0; i++) usleep(50000);
    usleep(2000000);
    long idle = load_server_rss_kib(&srv);
    printf("| %zu | %zu | %zu | %.1f | %.1f |\n", r, deleted, saved, (double)live / 1024.0,
           (double)idle / 1024.0);
    fflush(stdout);
    if (!ok || saved != n || deleted != n) status = 1;
  }
  if (load_server_stop(&srv, 30000) != 0) status = 1;
  return status;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  if (argc < 2) {
    fprintf(stderr, "usage: %s BOLTRTC [N ...] | BOLTRTC --rounds R N\n", argv[0]);
    return 2;
  }
  if (argc == 5 && strcmp(argv[2], "--rounds") == 0) {
    char dir[] = "/tmp/brtc-bench-rounds-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    int status = run_rounds(argv[1], dir, strtoul(argv[3], NULL, 10), strtoul(argv[4], NULL, 10));
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (status == 0 && system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    if (status) fprintf(stderr, "server log kept in %s\n", dir);
    return status;
  }
  size_t ns[16] = {100, 300, 500};
  size_t n_ns = 3;
  if (argc > 2) {
    n_ns = 0;
    for (int i = 2; i < argc && n_ns < 16; i++) ns[n_ns++] = (size_t)strtoul(argv[i], NULL, 10);
  }
  char dir[] = "/tmp/brtc-bench-sessions-XXXXXX";
  if (!mkdtemp(dir)) return 1;
  printf("| sessions | connected | set up (s) | RSS base (MiB) | per idle session (KiB) | "
         "per session after a keyframe (KiB) | all keyframes saved (s) | keyframe -> saved "
         "p50 / p99 (ms) | deferred / asked again | first STUN -> saved p50 / p99 (ms) | "
         "loop CPU per datagram while keying (us) |\n");
  printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  fflush(stdout);
  int status = 0;
  for (size_t i = 0; i < n_ns; i++) {
    size_t n = ns[i];
    if (n == 0) continue;
    run_result r;
    bool ok = run_memory(argv[1], dir, n, &r);
    double p50 = -1, p99 = -1;
    size_t saved2 = 0;
    ok = run_straight(argv[1], dir, n, &p50, &p99, &saved2) && ok;
    if (!ok || r.saved != n || saved2 != n) status = 1;
    printf("| %zu | %zu | %.1f | %.1f | %.1f | %.1f | %.1f | %.0f / %.0f | %.0f / %.0f | %.0f / "
           "%.0f | %.1f |\n",
           n, r.connected, r.setup_s, (double)r.rss_base / 1024.0,
           (double)(r.rss_idle - r.rss_base) / (double)n,
           (double)(r.rss_keyed - r.rss_base) / (double)n, r.save_all_s, r.kf_p50, r.kf_p99,
           r.deferred, r.rerequested, p50, p99,
           r.datagrams > 0 ? r.loop_cpu_s * 1e6 / r.datagrams : -1.0);
    if (r.saved != n || saved2 != n)
      printf("  (saved %zu and %zu of %zu)\n", r.saved, saved2, n);
    fflush(stdout);
  }
  if (status != 0) {
    fprintf(stderr, "server logs kept in %s\n", dir);
    return status;
  }
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return status;
}
