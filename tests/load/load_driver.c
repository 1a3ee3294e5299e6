/* The many-publisher driver: see load_driver.h. */
#include "load_driver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "boltrtc/error.h"
#include "codec/vpx_encode.h"

#define LOAD_MAX_DATAGRAM 2048
#define LOAD_SOCKET_BUFFER (1 << 20)

uint64_t load_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- the server process ---- */

/* "boltrtc serving http://127.0.0.1:PORT/ ; media on udp 127.0.0.1:PORT ; keyframes to DIR" */
static bool parse_banner(const char *line, load_server *s) {
  const char *h = strstr(line, "http://127.0.0.1:");
  const char *u = strstr(line, "media on udp 127.0.0.1:");
  if (!h || !u) return false;
  int hp = atoi(h + strlen("http://127.0.0.1:"));
  int up = atoi(u + strlen("media on udp 127.0.0.1:"));
  if (hp <= 0 || hp > 65535 || up <= 0 || up > 65535) return false;
  s->http_port = hp;
  memset(&s->media, 0, sizeof(s->media));
  s->media.sin_family = AF_INET;
  s->media.sin_port = htons((uint16_t)up);
  inet_pton(AF_INET, "127.0.0.1", &s->media.sin_addr);
  return true;
}

int load_server_start(load_server *s, const char *binary, const char *output_dir,
                      size_t max_sessions, const char *log_path) {
  memset(s, 0, sizeof(*s));
  s->pid = -1;
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return BRTC_ERR_IO;
  char max[32];
  snprintf(max, sizeof(max), "%zu", max_sessions);
  pid_t pid = fork();
  if (pid < 0) {
    close(out[0]);
    close(out[1]);
    return BRTC_ERR_IO;
  }
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    if (log_path) {
      int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd >= 0) dup2(fd, STDERR_FILENO);
    }
    /* Every publisher here shares 127.0.0.1, standing in for as many browsers on as many
     * addresses: the per-source limit on sessions waiting for ICE is lifted to match. */
    execl(binary, binary, "serve", "--http", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--output",
          output_dir, "--max-sessions", max, "--max-pending", max, "--max-pending-per-source",
          max, "--loopback-only", "--log-level", "info", (char *)NULL);
    _exit(127);
  }
  close(out[1]);
  s->pid = pid;
  /* The banner is one line; read it byte by byte so nothing after it is consumed. */
  char line[512];
  size_t len = 0;
  uint64_t until = load_now_us() + 15000000u;
  bool got = false;
  while (!got && len + 1 < sizeof(line)) {
    uint64_t now = load_now_us();
    if (now >= until) break;
    struct pollfd p = {.fd = out[0], .events = POLLIN};
    if (poll(&p, 1, (int)((until - now) / 1000 + 1)) != 1) break;
    if (read(out[0], line + len, 1) != 1) break;
    if (line[len] == '\n') got = true;
    len++;
  }
  line[len] = '\0';
  close(out[0]); /* the server writes nothing more to stdout and ignores SIGPIPE */
  if (!got || !parse_banner(line, s)) {
    fprintf(stderr, "load: no banner from %s: \"%s\"\n", binary, line);
    load_server_stop(s, 2000);
    return BRTC_ERR_IO;
  }
  return BRTC_OK;
}

int load_server_stop(load_server *s, int timeout_ms) {
  if (s->pid <= 0) return -1;
  kill(s->pid, SIGTERM);
  int status = 0;
  pid_t r = 0;
  for (int waited = 0; waited <= timeout_ms; waited += 20) {
    r = waitpid(s->pid, &status, WNOHANG);
    if (r == s->pid) break;
    usleep(20000);
  }
  if (r != s->pid) {
    fprintf(stderr, "load: server %d did not stop in %d ms, killing it\n", (int)s->pid,
            timeout_ms);
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &status, 0);
    s->pid = -1;
    return -1;
  }
  s->pid = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

long load_server_rss_kib(const load_server *s) {
  char path[64], line[256];
  snprintf(path, sizeof(path), "/proc/%d/status", (int)s->pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  long kib = -1;
  while (fgets(line, sizeof(line), f))
    if (strncmp(line, "VmRSS:", 6) == 0) kib = strtol(line + 6, NULL, 10);
  fclose(f);
  return kib;
}

const char *load_status_state(cJSON *session) {
  cJSON *v = cJSON_GetObjectItemCaseSensitive(session, "state");
  return cJSON_IsString(v) ? v->valuestring : "";
}

double load_status_step_ms(cJSON *session, const char *name) {
  cJSON *st;
  cJSON_ArrayForEach(st, cJSON_GetObjectItemCaseSensitive(session, "steps")) {
    cJSON *n = cJSON_GetObjectItemCaseSensitive(st, "step");
    cJSON *t = cJSON_GetObjectItemCaseSensitive(st, "t_ms");
    if (cJSON_IsString(n) && cJSON_IsNumber(t) && strcmp(n->valuestring, name) == 0)
      return t->valuedouble;
  }
  return -1;
}

/* ---- publishers ---- */

/* A 640x480 picture like a camera's: smooth shading with some texture, so the keyframe is a
 * realistic size (tens of kilobytes, dozens of packets). */
static int encode_frames(load_driver *d) {
  test_vp8_encoder e;
  if (test_vp8_encoder_init(&e, 640, 480) != 0) return BRTC_ERR_UNSUPPORTED;
  size_t cap = 1 << 20;
  int rc = BRTC_OK;
  for (size_t i = 0; i < 1 + LOAD_DELTA_FRAMES && rc == BRTC_OK; i++) {
    test_draw_picture(&e.img, 640, 480, 40 + 8 * (unsigned)i, 60);
    d->frames[i] = malloc(cap);
    d->frame_lens[i] = d->frames[i] ? test_vp8_encode(&e, i == 0, d->frames[i], cap) : 0;
    if (!d->frame_lens[i]) rc = BRTC_ERR_NOMEM;
  }
  test_vp8_encoder_free(&e);
  return rc;
}

int load_driver_init(load_driver *d, size_t cap, const load_server *srv) {
  memset(d, 0, sizeof(*d));
  d->media = srv->media;
  d->epfd = epoll_create1(EPOLL_CLOEXEC);
  d->stranger_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  d->peers = calloc(cap, sizeof(*d->peers));
  d->cap = cap;
  d->http_port = srv->http_port;
  d->cert = brtc_dtls_cert_generate(); /* one for all: making 200 costs seconds */
  if (d->epfd < 0 || d->stranger_fd < 0 || !d->peers || !d->cert) return BRTC_ERR_NOMEM;
  return encode_frames(d);
}

void load_driver_free(load_driver *d) {
  for (size_t i = 0; i < d->n; i++) {
    sim_peer_free(d->peers[i].sim);
    if (d->peers[i].fd >= 0) close(d->peers[i].fd);
  }
  for (size_t i = 0; i < 1 + LOAD_DELTA_FRAMES; i++) free(d->frames[i]);
  free(d->peers);
  brtc_dtls_cert_free(d->cert);
  if (d->epfd >= 0) close(d->epfd);
  if (d->stranger_fd >= 0) close(d->stranger_fd);
  memset(d, 0, sizeof(*d));
  d->epfd = d->stranger_fd = -1;
}

static int open_socket(load_peer *p) {
  p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (p->fd < 0) return BRTC_ERR_IO;
  int size = LOAD_SOCKET_BUFFER;
  setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  setsockopt(p->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
  p->self.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.1", &p->self.sin_addr);
  socklen_t sl = sizeof(p->self);
  if (bind(p->fd, (struct sockaddr *)&p->self, sizeof(p->self)) != 0 ||
      getsockname(p->fd, (struct sockaddr *)&p->self, &sl) != 0)
    return BRTC_ERR_IO;
  return BRTC_OK;
}

int load_driver_add(load_driver *d, load_kind kind) {
  if (d->n == d->cap) return BRTC_ERR_LIMIT;
  load_peer *p = &d->peers[d->n];
  memset(p, 0, sizeof(*p));
  p->kind = kind;
  p->fd = -1;
  sim_peer_opts opts = {.cert = d->cert, .wrong_fingerprint = kind == LOAD_WRONG_FINGERPRINT,
                        .no_audio = true};
  p->sim = sim_peer_new(&opts);
  d->n++; /* from here it is freed with the driver */
  if (!p->sim) return BRTC_ERR_NOMEM;
  int rc = open_socket(p);
  if (rc != BRTC_OK) return rc;
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)(d->n - 1)};
  if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, p->fd, &ev) != 0) return BRTC_ERR_IO;

  load_http_response r;
  if (!load_http(d->http_port, "POST", "/whip", "application/sdp", sim_peer_offer(p->sim), &r))
    return BRTC_ERR_IO;
  rc = BRTC_OK;
  if (r.status != 201 || strncmp(r.location, "/whip/", 6) != 0 || !r.session[0]) {
    fprintf(stderr, "load: WHIP POST answered %d: %.200s\n", r.status, r.body ? r.body : "");
    rc = BRTC_ERR_STATE;
  } else {
    snprintf(p->id, sizeof(p->id), "%s", r.session);
    snprintf(p->location, sizeof(p->location), "%s", r.location);
    char err[256] = "";
    rc = sim_peer_set_answer(p->sim, r.body, err, sizeof(err));
    if (rc != BRTC_OK) fprintf(stderr, "load: answer refused: %s\n", err);
  }
  free(r.body);
  return rc == BRTC_OK ? (int)(d->n - 1) : rc;
}

static void flush(load_peer *p) {
  if (p->fd < 0) return;
  uint8_t buf[LOAD_MAX_DATAGRAM];
  size_t len;
  struct sockaddr_storage to;
  while (sim_peer_poll_transmit(p->sim, buf, sizeof(buf), &len, &to) == BRTC_OK)
    (void)sendto(p->fd, buf, len, 0, (struct sockaddr *)&to,
                 to.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                          : sizeof(struct sockaddr_in));
}

static void send_keyframe(load_peer *p, const load_driver *d, bool with_deltas, uint64_t now) {
  sim_peer_send_frame(p->sim, d->frames[0], d->frame_lens[0], true, p->ts);
  p->ts += 3000;
  if (with_deltas)
    for (size_t i = 1; i < 1 + LOAD_DELTA_FRAMES; i++) {
      sim_peer_send_frame(p->sim, d->frames[i], d->frame_lens[i], false, p->ts);
      p->ts += 3000;
    }
  p->keyed = true;
  p->last_keyframe_us = p->last_frame_us = now;
  p->keyframes_sent++;
  flush(p);
}

/* Like a browser: a PLI gets a keyframe, but not more often than LOAD_KEYFRAME_GAP_US; else
 * the next delta frame when it is due. */
static void send_media(load_driver *d, load_peer *p, uint64_t now) {
  if (p->kind != LOAD_GOOD || p->fd < 0) return;
  if (!p->keyed) {
    if (d->key_when_ready && sim_peer_media_ready(p->sim)) send_keyframe(p, d, true, now);
    return;
  }
  uint64_t plis = sim_peer_get_stats(p->sim)->plis_received;
  if (plis != p->plis_seen) {
    p->plis_seen = plis;
    if (now >= p->last_keyframe_us + LOAD_KEYFRAME_GAP_US) {
      send_keyframe(p, d, false, now);
      return;
    }
  }
  if (now >= p->last_frame_us + LOAD_FRAME_INTERVAL_US) {
    size_t i = 1 + p->next_delta++ % LOAD_DELTA_FRAMES;
    sim_peer_send_frame(p->sim, d->frames[i], d->frame_lens[i], false, p->ts);
    p->ts += 9000;
    p->last_frame_us = now;
  }
}

void load_driver_pump(load_driver *d, int budget_ms) {
  uint64_t until = load_now_us() + (uint64_t)budget_ms * 1000u;
  struct epoll_event events[64];
  uint8_t buf[LOAD_MAX_DATAGRAM];
  for (;;) {
    uint64_t now = load_now_us();
    uint64_t next = until;
    for (size_t i = 0; i < d->n; i++) {
      load_peer *p = &d->peers[i];
      if (!p->sim || p->fd < 0) continue;
      send_media(d, p, now);
      flush(p);
      uint64_t dl = sim_peer_next_deadline(p->sim);
      if (p->kind == LOAD_GOOD && p->keyed && p->last_frame_us + LOAD_FRAME_INTERVAL_US < dl)
        dl = p->last_frame_us + LOAD_FRAME_INTERVAL_US;
      if (dl < next) next = dl;
    }
    if (now >= until) return;
    int ms = next > now ? (int)((next - now + 999) / 1000) : 0;
    int n = epoll_wait(d->epfd, events, 64, ms);
    for (int e = 0; e < n; e++) {
      load_peer *p = &d->peers[events[e].data.u32];
      for (int k = 0; k < 64 && p->fd >= 0; k++) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof(from);
        ssize_t got = recvfrom(p->fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
        if (got <= 0) break;
        sim_peer_handle_datagram(p->sim, buf, (size_t)got, (struct sockaddr *)&p->self,
                                 load_now_us());
      }
    }
    now = load_now_us();
    for (size_t i = 0; i < d->n; i++) {
      load_peer *p = &d->peers[i];
      if (p->sim && p->fd >= 0 && sim_peer_next_deadline(p->sim) <= now)
        sim_peer_handle_timeout(p->sim, now);
    }
  }
}

size_t load_driver_count_ready(const load_driver *d, load_kind kind) {
  size_t n = 0;
  for (size_t i = 0; i < d->n; i++)
    if (d->peers[i].kind == kind && d->peers[i].sim && sim_peer_media_ready(d->peers[i].sim)) n++;
  return n;
}

size_t load_driver_count_failed(const load_driver *d, load_kind kind) {
  size_t n = 0;
  for (size_t i = 0; i < d->n; i++)
    if (d->peers[i].kind == kind && d->peers[i].sim &&
        sim_peer_get_stats(d->peers[i].sim)->dtls_failed)
      n++;
  return n;
}

void load_driver_send_keyframes(load_driver *d) {
  uint64_t now = load_now_us();
  for (size_t i = 0; i < d->n; i++) {
    load_peer *p = &d->peers[i];
    if (p->kind == LOAD_GOOD && p->sim && p->fd >= 0 && sim_peer_media_ready(p->sim))
      send_keyframe(p, d, true, now);
  }
}

void load_driver_vanish(load_driver *d) {
  for (size_t i = 0; i < d->n; i++) {
    load_peer *p = &d->peers[i];
    if (p->kind != LOAD_VANISHER || p->fd < 0) continue;
    epoll_ctl(d->epfd, EPOLL_CTL_DEL, p->fd, NULL);
    close(p->fd);
    p->fd = -1;
  }
}

/* xorshift64*: reproducible garbage without touching the library's random source. */
static uint64_t garbage_random(uint64_t *state) {
  *state ^= *state >> 12;
  *state ^= *state << 25;
  *state ^= *state >> 27;
  return *state * 2685821657736338717ull;
}

/* One datagram of an RFC 7983 class: first byte in its range, then what that protocol's
 * header roughly looks like, then noise. */
static size_t make_garbage(uint8_t *out, size_t cap, int cls, uint64_t *rng) {
  size_t len = 1 + garbage_random(rng) % (cap - 1);
  for (size_t i = 0; i < len; i++) out[i] = (uint8_t)garbage_random(rng);
  switch (cls) {
    case 0: /* STUN 0-3: a header with the magic cookie and a length that may or may not fit */
      out[0] = (uint8_t)(out[0] & 0x01);
      if (len >= 20) {
        out[4] = 0x21, out[5] = 0x12, out[6] = 0xa4, out[7] = 0x42;
        if (out[8] & 1) {
          out[2] = (uint8_t)((len - 20) >> 8);
          out[3] = (uint8_t)((len - 20) & 0xfc);
        }
      }
      break;
    case 1: /* ZRTP 16-19 */
      out[0] = (uint8_t)(16 + out[0] % 4);
      break;
    case 2: /* DTLS 20-63: handshake, alert or application data records, DTLS 1.2 version */
      out[0] = (uint8_t)(20 + out[0] % 4);
      if (len > 2) out[1] = 0xfe, out[2] = 0xfd;
      break;
    case 3: /* TURN channel data 64-79 */
      out[0] = (uint8_t)(64 + out[0] % 16);
      break;
    case 4: /* RTP and RTCP 128-191: version 2, with RTCP packet types half the time */
      out[0] = (uint8_t)(0x80 | (out[0] & 0x3f));
      if (len > 1 && (out[1] & 1)) out[1] = (uint8_t)(200 + out[1] % 8);
      break;
    default: /* no class: 4-15, 80-127, 192-255 */
      out[0] = (uint8_t)(192 + out[0] % 64);
      break;
  }
  return len;
}

#define GARBAGE_CLASSES 6

uint64_t load_driver_flood(load_driver *d, size_t per_class) {
  uint64_t sent = 0;
  uint8_t buf[1400];
  for (size_t i = 0; i < d->n; i++) {
    load_peer *p = &d->peers[i];
    if (p->kind != LOAD_FLOODER || p->fd < 0) continue;
    uint64_t rng = 0x9e3779b97f4a7c15ull ^ (i * 0x100000001b3ull) ^ p->garbage_sent;
    const struct sockaddr_in *to = &d->media; /* where its session's traffic goes too */
    for (int cls = 0; cls < GARBAGE_CLASSES; cls++)
      for (size_t k = 0; k < per_class; k++) {
        size_t len = make_garbage(buf, sizeof(buf), cls, &rng);
        if (sendto(p->fd, buf, len, 0, (const struct sockaddr *)to, sizeof(*to)) == (ssize_t)len) {
          p->garbage_sent++;
          sent++;
        }
        len = make_garbage(buf, sizeof(buf), cls, &rng);
        if (sendto(d->stranger_fd, buf, len, 0, (const struct sockaddr *)to, sizeof(*to)) ==
            (ssize_t)len) {
          d->stranger_garbage_sent++;
          sent++;
        }
      }
  }
  return sent;
}
