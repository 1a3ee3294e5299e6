/* TCP, timers and fd watches on the loop, over loopback: an endpoint fed bytes and pulled
 * from, input held (in order) while the endpoint does not take it, the per-address and total
 * limits, a finished endpoint's last answer arriving before the close, the peer's close
 * reported, timers and an eventfd watch firing. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "boltrtc/loop.h"
#include "common/addr.h"
#include "testing.h"

/* An endpoint that echoes what it takes; it takes nothing while `refuse`, and finishes after
 * echoing a '!'. */
typedef struct echo {
  char buf[1 << 16];
  size_t len;   /* echoed, not yet pulled */
  char seen[1 << 16];
  size_t seen_len;
  bool refuse, finish, closed;
  int closed_error;
  brtc_tcp_conn *conn;
} echo;

static size_t echo_input(void *ep, const uint8_t *data, size_t len, uint64_t now) {
  (void)now;
  echo *e = ep;
  if (e->refuse) return 0;
  if (len > sizeof(e->buf) - e->len) len = sizeof(e->buf) - e->len;
  memcpy(e->buf + e->len, data, len);
  e->len += len;
  if (e->seen_len + len <= sizeof(e->seen)) memcpy(e->seen + e->seen_len, data, len);
  e->seen_len += len;
  if (memchr(data, '!', len)) e->finish = true;
  return len;
}

static size_t echo_output(void *ep, uint8_t *buf, size_t cap, uint64_t now) {
  (void)now;
  echo *e = ep;
  size_t n = e->len < cap ? e->len : cap;
  memcpy(buf, e->buf, n);
  memmove(e->buf, e->buf + n, e->len - n);
  e->len -= n;
  return n;
}

static uint64_t echo_deadline(void *ep) {
  (void)ep;
  return UINT64_MAX;
}

static void echo_timeout(void *ep, uint64_t now) { (void)ep, (void)now; }

static bool echo_finished(void *ep) {
  echo *e = ep;
  return e->finish && e->len == 0;
}

static void echo_closed(void *ep, int error) {
  echo *e = ep;
  e->closed = true;
  e->closed_error = error;
}

static const brtc_stream_ops echo_ops = {
    .size = sizeof(brtc_stream_ops),
    .input = echo_input,
    .output = echo_output,
    .deadline = echo_deadline,
    .timeout = echo_timeout,
    .finished = echo_finished,
    .closed = echo_closed,
};

static echo endpoints[8];
static size_t n_endpoints;

static void on_accept(void *user, brtc_tcp_conn *conn) {
  (void)user;
  if (n_endpoints == 8) return; /* not attached: the loop closes it */
  echo *e = &endpoints[n_endpoints++];
  memset(e, 0, sizeof(*e));
  e->conn = conn;
  CHECK_EQ_INT(brtc_tcp_conn_attach(conn, &echo_ops, e), BRTC_OK);
}

static brtc_loop *make_loop(void) {
  brtc_loop_config *cfg = brtc_loop_config_new();
  brtc_loop_config_add_udp_address(cfg, "127.0.0.1:0");
  brtc_loop_config_set_loopback_only(cfg, true);
  brtc_loop *loop = brtc_loop_new(cfg, NULL, 0);
  brtc_loop_config_free(cfg);
  return loop;
}

static int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
    close(fd);
    return -1;
  }
  fcntl(fd, F_SETFL, O_NONBLOCK);
  return fd;
}

static void spin(brtc_loop *loop, int passes) {
  for (int i = 0; i < passes; i++) brtc_loop_run_once(loop, 10);
}

/* Read what has arrived (non-blocking), running the loop meanwhile; -1 at EOF. */
static ssize_t read_some(brtc_loop *loop, int fd, char *buf, size_t cap, int passes) {
  for (int i = 0; i < passes; i++) {
    brtc_loop_run_once(loop, 10);
    ssize_t n = recv(fd, buf, cap, 0);
    if (n > 0) return n;
    if (n == 0) return -1;
  }
  return 0;
}

static void test_echo_and_peer_close(void) {
  brtc_loop *loop = make_loop();
  n_endpoints = 0;
  brtc_tcp_listener *l = brtc_loop_tcp_listen(loop, "127.0.0.1:0", on_accept, NULL, NULL, 0);
  CHECK(l != NULL);
  int port = brtc_tcp_listener_port(l);
  CHECK(port > 0);
  int fd = connect_to(port);
  CHECK(send(fd, "hello", 5, 0) == 5);
  char buf[64];
  CHECK_EQ_INT(read_some(loop, fd, buf, sizeof(buf), 100), 5);
  CHECK_MEM(buf, "hello", 5);
  CHECK_EQ_INT(brtc_tcp_listener_count(l, BRTC_TCP_OPEN), 1);
  /* The peer closes: the endpoint hears of it once all it sent was taken. */
  close(fd);
  spin(loop, 5);
  CHECK(endpoints[0].closed && endpoints[0].closed_error == BRTC_OK);
  CHECK_EQ_INT(brtc_tcp_listener_count(l, BRTC_TCP_OPEN), 0);
  brtc_tcp_listener_free(l);
  brtc_loop_free(loop);
}

/* Input the endpoint does not take waits, in order, and reading pauses. */
static void test_held_input_in_order(void) {
  brtc_loop *loop = make_loop();
  n_endpoints = 0;
  brtc_tcp_listener *l = brtc_loop_tcp_listen(loop, "127.0.0.1:0", on_accept, NULL, NULL, 0);
  int fd = connect_to(brtc_tcp_listener_port(l));
  spin(loop, 3);
  CHECK_EQ_INT(n_endpoints, 1);
  echo *e = &endpoints[0];
  e->refuse = true;
  static char data[200000];
  for (size_t i = 0; i < sizeof(data); i++) data[i] = (char)('a' + i % 23);
  size_t sent = 0;
  for (int i = 0; i < 200 && sent < sizeof(data); i++) {
    ssize_t n = send(fd, data + sent, sizeof(data) - sent, MSG_DONTWAIT);
    if (n > 0) sent += (size_t)n;
    brtc_loop_run_once(loop, 1);
  }
  CHECK_EQ_INT(e->seen_len, 0);
  e->refuse = false;
  brtc_tcp_conn_kick(e->conn);
  char sink[65536];
  for (int i = 0; i < 2000 && e->seen_len < sizeof(data); i++) {
    if (sent < sizeof(data)) {
      ssize_t n = send(fd, data + sent, sizeof(data) - sent, MSG_DONTWAIT);
      if (n > 0) sent += (size_t)n;
    }
    brtc_loop_run_once(loop, 1);
    (void)recv(fd, sink, sizeof(sink), MSG_DONTWAIT); /* keep the echo flowing */
  }
  CHECK_EQ_INT(e->seen_len, sizeof(data));
  CHECK(memcmp(e->seen, data, sizeof(e->seen)) == 0);
  close(fd);
  brtc_tcp_listener_free(l);
  brtc_loop_free(loop);
}

static void test_limits(void) {
  brtc_loop *loop = make_loop();
  n_endpoints = 0;
  brtc_tcp_listener *l = brtc_loop_tcp_listen(loop, "127.0.0.1:0", on_accept, NULL, NULL, 0);
  CHECK_EQ_INT(brtc_tcp_listener_set_limits(l, 3, 2), BRTC_OK);
  int port = brtc_tcp_listener_port(l);
  int a = connect_to(port), b = connect_to(port), c = connect_to(port);
  spin(loop, 5);
  char buf[8];
  /* The third from 127.0.0.1 is closed at once. */
  CHECK_EQ_INT(read_some(loop, c, buf, sizeof(buf), 20), -1);
  CHECK_EQ_INT(brtc_tcp_listener_count(l, BRTC_TCP_REFUSED_PER_IP), 1);
  CHECK_EQ_INT(brtc_tcp_listener_count(l, BRTC_TCP_OPEN), 2);
  close(c);
  /* Another address (127.0.0.2 is loopback too) gets in, until the total is reached. */
  int d = socket(AF_INET, SOCK_STREAM, 0), f = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in src = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000002)};
  bind(d, (struct sockaddr *)&src, sizeof(src));
  bind(f, (struct sockaddr *)&src, sizeof(src));
  struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  CHECK(connect(d, (struct sockaddr *)&dst, sizeof(dst)) == 0);
  spin(loop, 5);
  CHECK(connect(f, (struct sockaddr *)&dst, sizeof(dst)) == 0);
  fcntl(f, F_SETFL, O_NONBLOCK);
  CHECK_EQ_INT(read_some(loop, f, buf, sizeof(buf), 20), -1);
  CHECK_EQ_INT(brtc_tcp_listener_count(l, BRTC_TCP_REFUSED_TOTAL), 1);
  CHECK_EQ_INT(brtc_tcp_listener_count(l, BRTC_TCP_OPEN), 3);
  /* Closing one makes room for its address again. */
  close(a);
  spin(loop, 5);
  CHECK_EQ_INT(brtc_tcp_listener_count(l, BRTC_TCP_OPEN), 2);
  int g = connect_to(port);
  spin(loop, 5);
  CHECK_EQ_INT(brtc_tcp_listener_count(l, BRTC_TCP_OPEN), 3);
  close(b), close(d), close(f), close(g);
  brtc_tcp_listener_free(l);
  brtc_loop_free(loop);
}

/* A finished endpoint's last bytes arrive, then the close (no reset, even though the
 * client sent more). */
static void test_finished_lingers(void) {
  brtc_loop *loop = make_loop();
  n_endpoints = 0;
  brtc_tcp_listener *l = brtc_loop_tcp_listen(loop, "127.0.0.1:0", on_accept, NULL, NULL, 0);
  int fd = connect_to(brtc_tcp_listener_port(l));
  spin(loop, 3);
  endpoints[0].refuse = false;
  CHECK(send(fd, "bye!", 4, 0) == 4);
  spin(loop, 3);
  CHECK(endpoints[0].closed && endpoints[0].closed_error == BRTC_OK);
  CHECK(send(fd, "more", 4, 0) == 4); /* read and dropped while lingering */
  char buf[16];
  CHECK_EQ_INT(read_some(loop, fd, buf, sizeof(buf), 50), 4);
  CHECK_MEM(buf, "bye!", 4);
  CHECK_EQ_INT(read_some(loop, fd, buf, sizeof(buf), 50), -1);
  close(fd);
  brtc_tcp_listener_free(l);
  brtc_loop_free(loop);
}

static int timer_fired, watch_fired;
static void on_timer(void *user, uint64_t now) {
  (void)now;
  (*(int *)user)++;
}
static void on_watch(void *user, int fd, uint64_t now) {
  (void)now;
  uint64_t v;
  if (read(fd, &v, sizeof(v)) == sizeof(v)) (*(int *)user)++;
}

static void test_timers_and_watch(void) {
  brtc_loop *loop = make_loop();
  brtc_loop_timer *t = brtc_loop_timer_new(loop, on_timer, &timer_fired);
  brtc_loop_timer_set(t, brtc_now_us() + 20000);
  CHECK(brtc_loop_next_timeout_ms(loop) <= 20);
  for (int i = 0; i < 50 && !timer_fired; i++) brtc_loop_run_once(loop, 100);
  CHECK_EQ_INT(timer_fired, 1);
  spin(loop, 3);
  CHECK_EQ_INT(timer_fired, 1); /* one shot */
  brtc_loop_timer_set(t, brtc_now_us() + 1000000);
  brtc_loop_timer_set(t, UINT64_MAX);
  CHECK_EQ_INT(brtc_loop_next_timeout_ms(loop), -1);
  brtc_loop_timer_free(t);

  int efd = eventfd(0, EFD_NONBLOCK);
  brtc_loop_watch *w = brtc_loop_watch_fd(loop, efd, on_watch, &watch_fired);
  CHECK(w != NULL);
  uint64_t one = 1;
  CHECK(write(efd, &one, sizeof(one)) == sizeof(one));
  brtc_loop_run_once(loop, 100);
  CHECK_EQ_INT(watch_fired, 1);
  brtc_loop_unwatch(w);
  close(efd);
  brtc_loop_free(loop);
}

int main(void) {
  RUN(test_echo_and_peer_close);
  RUN(test_held_input_in_order);
  RUN(test_limits);
  RUN(test_finished_lingers);
  RUN(test_timers_and_watch);
  return TEST_REPORT();
}
