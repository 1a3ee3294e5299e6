/* The whole server path without a browser: a forked child runs the signal server (its own
 * loop, certificate and output folder); the parent publishes over WHIP with the simulated
 * browser (tests/support/sim_peer) over real UDP on loopback, sends VP8 keyframes made with
 * libvpx, and checks what the server saved and reports: the first keyframe becomes
 * shoot<N>.jpg at its real size, a second one within 2 s is not saved (save policy), DELETE
 * ends the session with a DTLS close_notify to the peer and leaves it listed as closed.
 * Every wait is bounded; the child is stopped through a pipe and reaped by its pid. */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "codec/vpx_encode.h"

#include "boltrtc/boltrtc.h"
#include "common/log.h"
#include "signal/server.h"
#include "sim_peer.h"
#include "testing.h"

static char out_dir[64] = "/tmp/brtc-whip-media-XXXXXX";
static int http_port;
static pid_t child = -1;
static int stop_pipe[2] = {-1, -1};

/* ---- the server, in the child ---- */

static void run_server(int ready_fd, int stop_fd) {
  brtc_log_set_level(BRTC_LOG_WARN);
  char err[256] = "";
  const char *udp[] = {"127.0.0.1:0"};
  brtc_loop_config lc = {.udp_addrs = udp, .n_udp_addrs = 1, .loopback_only = true};
  brtc_certificate *cert = brtc_certificate_generate();
  brtc_loop *loop = cert ? brtc_loop_new(&lc, err, sizeof(err)) : NULL;
  brtc_signal_config sc = {.http_addr = "127.0.0.1:0", .output_dir = out_dir, .max_sessions = 4};
  brtc_signal_server *srv = loop ? brtc_signal_server_new(&sc, loop, cert, err, sizeof(err)) : NULL;
  int port = srv ? brtc_signal_server_http_port(srv) : -1;
  if (!srv) fprintf(stderr, "child: %s\n", err);
  if (write(ready_fd, &port, sizeof(port)) != sizeof(port)) port = -1;
  close(ready_fd);
  int rc = srv ? brtc_signal_server_run(srv, stop_fd) : BRTC_ERR_IO;
  brtc_signal_server_free(srv);
  brtc_loop_free(loop);
  brtc_certificate_free(cert);
  exit(rc == BRTC_OK ? 0 : 1); /* exit, not _exit: LeakSanitizer runs at exit */
}

static bool start_server(void) {
  int ready[2];
  if (pipe(ready) != 0 || pipe(stop_pipe) != 0) return false;
  child = fork();
  if (child < 0) return false;
  if (child == 0) {
    close(ready[0]);
    close(stop_pipe[1]);
    run_server(ready[1], stop_pipe[0]);
  }
  close(ready[1]);
  close(stop_pipe[0]);
  struct pollfd p = {.fd = ready[0], .events = POLLIN};
  int port = -1;
  if (poll(&p, 1, 15000) == 1 && read(ready[0], &port, sizeof(port)) != sizeof(port)) port = -1;
  close(ready[0]);
  http_port = port;
  return port > 0;
}

/* Ask the child to stop (its stop fd becomes readable) and reap it; its exit status. */
static int stop_server(void) {
  if (child <= 0) return -1;
  if (write(stop_pipe[1], "x", 1) != 1) kill(child, SIGTERM);
  int status = -1;
  for (int i = 0; i < 200; i++) { /* 10 s at most */
    pid_t r = waitpid(child, &status, WNOHANG);
    if (r == child) break;
    if (i == 199) {
      kill(child, SIGKILL);
      waitpid(child, &status, 0);
    }
    usleep(50000);
  }
  child = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- a small HTTP/1.1 client ---- */

typedef struct http_response {
  int status;
  char location[128];
  char session[32];
  char *body; /* NUL-terminated */
  size_t body_len;
} http_response;

static bool http(const char *method, const char *path, const char *ctype, const char *body,
                 http_response *resp) {
  memset(resp, 0, sizeof(*resp));
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)http_port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  struct timeval tv = {.tv_sec = 10};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
    if (fd >= 0) close(fd);
    return false;
  }
  size_t blen = body ? strlen(body) : 0;
  char head[512];
  int n = snprintf(head, sizeof(head),
                   "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                   "Content-Length: %zu\r\n%s%s%s\r\n",
                   method, path, blen, ctype ? "Content-Type: " : "", ctype ? ctype : "",
                   ctype ? "\r\n" : "");
  bool ok = write(fd, head, (size_t)n) == n && (blen == 0 || write(fd, body, blen) == (ssize_t)blen);
  size_t cap = 1 << 20, len = 0;
  char *buf = malloc(cap + 1);
  while (ok && buf && len < cap) {
    ssize_t r = read(fd, buf + len, cap - len);
    if (r <= 0) break;
    len += (size_t)r;
  }
  close(fd);
  if (!ok || !buf) {
    free(buf);
    return false;
  }
  buf[len] = '\0';
  char *end = strstr(buf, "\r\n\r\n");
  if (!end || sscanf(buf, "HTTP/1.1 %d", &resp->status) != 1) {
    free(buf);
    return false;
  }
  *end = '\0';
  for (char *line = strstr(buf, "\r\n"); line; line = strstr(line + 2, "\r\n"))
    if (strncasecmp(line + 2, "location:", 9) == 0)
      sscanf(line + 11, " %127[^\r]", resp->location);
    else if (strncasecmp(line + 2, "boltrtc-session:", 16) == 0)
      sscanf(line + 18, " %31[^\r]", resp->session);
  resp->body_len = len - (size_t)(end + 4 - buf);
  memmove(buf, end + 4, resp->body_len + 1);
  resp->body = buf;
  return true;
}

static cJSON *get_status(void) {
  http_response r;
  if (!http("GET", "/api/status", NULL, NULL, &r)) return NULL;
  cJSON *j = r.status == 200 ? cJSON_Parse(r.body) : NULL;
  free(r.body);
  return j;
}

static cJSON *session_in(cJSON *status, const char *id) {
  cJSON *s;
  cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(status, "sessions")) {
    cJSON *sid = cJSON_GetObjectItemCaseSensitive(s, "id");
    if (cJSON_IsString(sid) && strcmp(sid->valuestring, id) == 0) return s;
  }
  return NULL;
}

static double stat_of(cJSON *session, const char *name) {
  cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(session, "stats"), name);
  return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* ---- the publisher: sim_peer over a UDP socket ---- */

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

typedef struct publisher {
  sim_peer *sim;
  int fd;
  struct sockaddr_in self;
} publisher;

/* Move datagrams both ways and run timers for up to budget_ms. */
static void pump(publisher *p, int budget_ms) {
  uint64_t until = now_us() + (uint64_t)budget_ms * 1000u;
  uint8_t buf[2048];
  for (;;) {
    size_t len;
    struct sockaddr_storage to;
    while (sim_peer_poll_transmit(p->sim, buf, sizeof(buf), &len, &to) == BRTC_OK)
      sendto(p->fd, buf, len, 0, (struct sockaddr *)&to,
             to.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
    uint64_t now = now_us();
    if (now >= until) return;
    uint64_t deadline = sim_peer_next_deadline(p->sim);
    uint64_t wait_until = deadline < until ? deadline : until;
    int ms = wait_until > now ? (int)((wait_until - now + 999) / 1000) : 0;
    struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
    if (poll(&pfd, 1, ms) == 1) {
      struct sockaddr_storage from;
      socklen_t fl = sizeof(from);
      ssize_t n = recvfrom(p->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
      if (n > 0)
        sim_peer_handle_datagram(p->sim, buf, (size_t)n, (struct sockaddr *)&p->self, now_us());
    }
    if (sim_peer_next_deadline(p->sim) <= now_us()) sim_peer_handle_timeout(p->sim, now_us());
  }
}

static bool open_publisher(publisher *p) {
  memset(p, 0, sizeof(*p));
  p->sim = sim_peer_new(NULL);
  p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  p->self.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.1", &p->self.sin_addr);
  socklen_t sl = sizeof(p->self);
  return p->sim && p->fd >= 0 && bind(p->fd, (struct sockaddr *)&p->self, sizeof(p->self)) == 0 &&
         getsockname(p->fd, (struct sockaddr *)&p->self, &sl) == 0;
}

/* n VP8 frames of a w x h test picture; frames listed in keys are keyframes. */
static size_t encode_frames(unsigned w, unsigned h, size_t n, const bool *keys, uint8_t **out,
                            size_t *lens) {
  test_vp8_encoder e;
  test_vp8_encoder_opts opts = {.kbps = 1500, .realtime = true};
  if (test_vp8_encoder_init_opts(&e, w, h, &opts) != 0) return 0;
  for (unsigned y = 0; y < h; y++)
    for (unsigned x = 0; x < w; x++) e.img.planes[0][y * e.img.stride[0] + x] = (uint8_t)((x + y) & 0xff);
  for (unsigned y = 0; y < h / 2; y++) {
    memset(e.img.planes[1] + y * e.img.stride[1], 90, w / 2);
    memset(e.img.planes[2] + y * e.img.stride[2], 160, w / 2);
  }
  static uint8_t frame[1 << 20];
  size_t got = 0;
  for (size_t i = 0; i < n; i++) {
    size_t len = test_vp8_encode(&e, keys[i], frame, sizeof(frame));
    if (len == 0) break;
    out[got] = malloc(len);
    if (!out[got]) break;
    memcpy(out[got], frame, len);
    lens[got++] = len;
  }
  test_vp8_encoder_free(&e);
  return got;
}

/* Pump until the status satisfies pred or budget_ms passes. */
static cJSON *wait_status(publisher *p, const char *id, bool (*pred)(cJSON *st, cJSON *s),
                          int budget_ms) {
  for (int spent = 0; spent < budget_ms; spent += 50) {
    pump(p, 50);
    cJSON *st = get_status();
    if (st && pred(st, session_in(st, id))) return st;
    cJSON_Delete(st);
  }
  return NULL;
}

static bool one_keyframe_saved(cJSON *st, cJSON *s) {
  return s && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(st, "keyframes")) >= 1;
}
static bool two_keyframes_assembled(cJSON *st, cJSON *s) {
  (void)st;
  return s && stat_of(s, "keyframes") >= 2;
}
static bool session_closed(cJSON *st, cJSON *s) {
  (void)st;
  cJSON *state = cJSON_GetObjectItemCaseSensitive(s, "state");
  return cJSON_IsString(state) && strcmp(state->valuestring, "closed") == 0;
}

static void test_whip_publish(void) {
  char path[256];
  publisher pub;
  CHECK(open_publisher(&pub));
  if (!pub.sim) return;
  http_response r;
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

  for (int i = 0; i < 100 && !sim_peer_media_ready(pub.sim); i++) pump(&pub, 50);
  CHECK(sim_peer_media_ready(pub.sim));

  uint8_t *frames[3] = {0};
  size_t lens[3] = {0};
  const bool keys[3] = {true, false, true};
  CHECK_EQ_INT(encode_frames(640, 480, 3, keys, frames, lens), 3);
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
    cJSON *s = session_in(st, id);
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

  /* DELETE ends it: close_notify reaches the peer, the session stays listed as closed. */
  CHECK(http("DELETE", del, NULL, NULL, &r));
  CHECK_EQ_INT(r.status, 200);
  free(r.body);
  st = wait_status(&pub, id, session_closed, 5000);
  CHECK(st != NULL);
  if (st) CHECK(stat_of(session_in(st, id), "keyframes") == 2);
  cJSON_Delete(st);
  for (int i = 0; i < 40 && !sim_peer_get_stats(pub.sim)->dtls_closed; i++) pump(&pub, 50);
  CHECK(sim_peer_get_stats(pub.sim)->dtls_closed);
  CHECK(http("DELETE", del, NULL, NULL, &r));
  CHECK_EQ_INT(r.status, 404);
  free(r.body);

  for (int i = 0; i < 3; i++) free(frames[i]);
  sim_peer_free(pub.sim);
  close(pub.fd);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  if (!mkdtemp(out_dir)) return 1;
  /* A keyframe from an earlier run: the server numbers on after it. */
  char path[256];
  snprintf(path, sizeof(path), "%s/shoot7.jpg", out_dir);
  FILE *f = fopen(path, "w");
  if (f) fclose(f);
  if (!start_server()) {
    fprintf(stderr, "cannot start the server\n");
    stop_server();
    return 1;
  }
  RUN(test_whip_publish);
  CHECK_EQ_INT(stop_server(), 0);
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", out_dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", out_dir);
  return TEST_REPORT();
}
