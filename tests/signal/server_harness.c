#include "server_harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "boltrtc/boltrtc.h"
#include "codec/vpx_encode.h"
#include "common/log.h"

/* ---- the server, in the child ---- */

static void run_server(const brtc_signal_config *config, int ready_fd, int stop_fd) {
  brtc_set_log_level(BRTC_LOG_WARN);
  char err[256] = "";
  brtc_loop_config *lc = brtc_loop_config_new();
  brtc_loop_config_add_udp_address(lc, "127.0.0.1:0");
  brtc_loop_config_set_loopback_only(lc, true);
  brtc_certificate *cert = NULL;
  brtc_certificate_new(&cert, err, sizeof(err));
  brtc_loop *loop = cert ? brtc_loop_new(lc, err, sizeof(err)) : NULL;
  brtc_loop_config_free(lc);
  brtc_signal_config sc = *config;
  sc.http_addr = "127.0.0.1:0";
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

bool sh_server_start(sh_server *s, const brtc_signal_config *config) {
  int ready[2], stop[2];
  s->child = -1;
  s->stop_fd = -1;
  s->http_port = -1;
  if (pipe(ready) != 0) return false;
  if (pipe(stop) != 0) {
    close(ready[0]);
    close(ready[1]);
    return false;
  }
  fflush(NULL);
  s->child = fork();
  if (s->child == 0) {
    close(ready[0]);
    close(stop[1]);
    run_server(config, ready[1], stop[0]);
  }
  close(ready[1]);
  close(stop[0]);
  s->stop_fd = stop[1];
  struct pollfd p = {.fd = ready[0], .events = POLLIN};
  int port = -1;
  if (s->child > 0 && poll(&p, 1, 15000) == 1 && read(ready[0], &port, sizeof(port)) != sizeof(port))
    port = -1;
  close(ready[0]);
  s->http_port = port;
  return port > 0;
}

int sh_server_stop(sh_server *s) {
  int status = -1;
  if (s->child > 0) {
    if (write(s->stop_fd, "x", 1) != 1) kill(s->child, SIGTERM);
    for (int i = 0; i < 200; i++) { /* 10 s at most */
      if (waitpid(s->child, &status, WNOHANG) == s->child) break;
      if (i == 199) {
        kill(s->child, SIGKILL);
        waitpid(s->child, &status, 0);
      }
      usleep(50000);
    }
  }
  if (s->stop_fd >= 0) close(s->stop_fd);
  s->child = -1;
  s->stop_fd = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- TCP from a chosen source ---- */

static int tcp_connect(const sh_server *s, const char *source_ip) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct timeval tv = {.tv_sec = 10};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  struct sockaddr_in src = {.sin_family = AF_INET};
  inet_pton(AF_INET, source_ip ? source_ip : "127.0.0.1", &src.sin_addr);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->http_port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0 ||
      connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static bool write_all(int fd, const void *data, size_t len) {
  const uint8_t *p = data;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= (size_t)n;
  }
  return true;
}

/* ---- HTTP/1.1 ---- */

bool sh_http(const sh_server *s, const char *source_ip, const char *method, const char *path,
             const char *ctype, const char *body, sh_response *resp) {
  return test_http(s->http_port, source_ip, method, path, ctype, body, resp);
}

cJSON *sh_status(const sh_server *s) { return test_http_status(s->http_port); }

double sh_number_at(cJSON *o, const char *path) {
  char key[64];
  while (o && *path) {
    size_t n = strcspn(path, ".");
    if (n >= sizeof(key)) return -1;
    memcpy(key, path, n);
    key[n] = '\0';
    o = cJSON_GetObjectItemCaseSensitive(o, key);
    path += n + (path[n] == '.');
  }
  return cJSON_IsNumber(o) ? o->valuedouble : -1;
}

/* ---- WebSocket (RFC 6455) ---- */

int sh_ws_connect(const sh_server *s, const char *source_ip) {
  int fd = tcp_connect(s, source_ip);
  if (fd < 0) return -1;
  static const char req[] = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                            "Sec-WebSocket-Version: 13\r\n\r\n";
  char head[1024];
  size_t len = 0;
  bool ok = write_all(fd, req, sizeof(req) - 1);
  /* Byte by byte up to the blank line, so no frame after it is consumed. */
  while (ok && len + 1 < sizeof(head)) {
    if (read(fd, head + len, 1) != 1) ok = false;
    else if (++len >= 4 && memcmp(head + len - 4, "\r\n\r\n", 4) == 0) break;
  }
  head[len] = '\0';
  if (!ok || strncmp(head, "HTTP/1.1 101", 12) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool sh_ws_send(int fd, const char *text) {
  size_t len = strlen(text), hl = 2;
  uint8_t *f = malloc(len + 14);
  if (!f) return false;
  f[0] = 0x81; /* FIN, text */
  if (len < 126) {
    f[1] = (uint8_t)(0x80 | len);
  } else if (len < 65536) {
    f[1] = 0x80 | 126;
    f[2] = (uint8_t)(len >> 8);
    f[3] = (uint8_t)len;
    hl = 4;
  } else {
    f[1] = 0x80 | 127;
    for (int i = 0; i < 8; i++) f[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
    hl = 10;
  }
  static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d}; /* clients mask (RFC 6455 5.3) */
  memcpy(f + hl, mask, 4);
  for (size_t i = 0; i < len; i++) f[hl + 4 + i] = (uint8_t)text[i] ^ mask[i % 4];
  bool ok = write_all(fd, f, hl + 4 + len);
  free(f);
  return ok;
}

static bool read_full(int fd, uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r <= 0) return false;
    p += r;
    n -= (size_t)r;
  }
  return true;
}

cJSON *sh_ws_recv(int fd, int timeout_ms) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  for (;;) {
    if (poll(&p, 1, timeout_ms) != 1) return NULL;
    uint8_t h[10];
    if (!read_full(fd, h, 2)) return NULL;
    uint64_t len = h[1] & 0x7f;
    if (len == 126) {
      if (!read_full(fd, h + 2, 2)) return NULL;
      len = (uint64_t)h[2] << 8 | h[3];
    } else if (len == 127) {
      if (!read_full(fd, h + 2, 8)) return NULL;
      len = 0;
      for (int i = 0; i < 8; i++) len = len << 8 | h[2 + i];
    }
    if (len > (1u << 20)) return NULL;
    char *payload = malloc((size_t)len + 1);
    if (!payload || !read_full(fd, (uint8_t *)payload, (size_t)len)) {
      free(payload);
      return NULL;
    }
    payload[len] = '\0';
    int opcode = h[0] & 0x0f;
    cJSON *j = opcode == 1 ? cJSON_Parse(payload) : NULL;
    free(payload);
    if (opcode == 8) return NULL; /* close */
    if (j) return j;              /* pings and the like: read on */
  }
}

/* ---- publishers ---- */

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

bool sh_publisher_open(sh_publisher *p, const char *ip) { return sh_publisher_open_opts(p, ip, NULL); }

bool sh_publisher_open_opts(sh_publisher *p, const char *ip, const sim_peer_opts *opts) {
  memset(p, 0, sizeof(*p));
  p->sim = sim_peer_new(opts);
  p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  p->self.sin_family = AF_INET;
  inet_pton(AF_INET, ip ? ip : "127.0.0.1", &p->self.sin_addr);
  socklen_t sl = sizeof(p->self);
  return p->sim && p->fd >= 0 && bind(p->fd, (struct sockaddr *)&p->self, sizeof(p->self)) == 0 &&
         getsockname(p->fd, (struct sockaddr *)&p->self, &sl) == 0;
}

void sh_publisher_close(sh_publisher *p) {
  sim_peer_free(p->sim);
  if (p->fd >= 0) close(p->fd);
  memset(p, 0, sizeof(*p));
  p->fd = -1;
}

void sh_pump(sh_publisher *p, int budget_ms) {
  uint64_t until = now_us() + (uint64_t)budget_ms * 1000u;
  uint8_t buf[2048];
  for (;;) {
    size_t len;
    struct sockaddr_storage to;
    while (sim_peer_poll_transmit(p->sim, buf, sizeof(buf), &len, &to) == BRTC_OK) {
      p->server = to;
      sendto(p->fd, buf, len, 0, (struct sockaddr *)&to,
             to.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
    }
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

bool sh_pump_until_ready(sh_publisher *p, int budget_ms) {
  for (int spent = 0; spent < budget_ms && !sim_peer_media_ready(p->sim); spent += 50)
    sh_pump(p, 50);
  return sim_peer_media_ready(p->sim);
}

size_t sh_encode_frames(unsigned w, unsigned h, size_t n, const bool *keys, uint8_t **out,
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
