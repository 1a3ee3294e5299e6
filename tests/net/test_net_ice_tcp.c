/* ICE-TCP on the loop (RFC 6544, RFC 4571) over loopback: a simulated browser whose every
 * datagram goes framed on one TCP connection to the loop's ICE-TCP port gets its check
 * answered there, DTLS and SRTP up and a keyframe through, with nothing of it on UDP; the
 * answer offers the passive candidate below the UDP one. And the promises of
 * docs/security.md: a connection that sends nothing, or media before a check, or a frame
 * larger than a datagram, is closed; connections are bounded per address and in all; a
 * peer that does not read gets at most 64 KiB queued. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boltrtc/ice_tcp.h"
#include "boltrtc/loop.h"
#include "boltrtc/peer_connection.h"
#include "common/addr.h"
#include "net/ice_tcp.h"
#include "net/rfc4571.h"
#include "net_browser.h"
#include "net_test_util.h"
#include "testing.h"

static brtc_loop *make_loop(void) {
  brtc_loop *loop = net_test_loop("127.0.0.1:0", true);
  char err[256];
  CHECK(loop != NULL);
  if (loop) CHECK_EQ_INT(brtc_loop_ice_tcp_listen(loop, "127.0.0.1:0", err, sizeof(err)), BRTC_OK);
  return loop;
}

static int connect_tcp(int port) {
  brtc_addr a;
  brtc_addr_from_ip(&a, "127.0.0.1", (uint16_t)port);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && connect(fd, &a.u.sa, brtc_addr_len(&a)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Whether the loop closed fd (EOF or reset) within `passes` loop rounds of 20 ms. */
static bool closed_within(brtc_loop *loop, int fd, int passes) {
  for (int i = 0; i < passes; i++) {
    brtc_loop_run_once(loop, 20);
    uint8_t buf[4096];
    ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return true;
  }
  return false;
}

static brtc_ice_tcp_stats stats_of(brtc_loop *loop) {
  brtc_ice_tcp_stats s = {.size = sizeof(s)};
  CHECK_EQ_INT(brtc_loop_ice_tcp_get_stats(loop, &s), BRTC_OK);
  return s;
}

/* ---- a whole session over TCP ---- */

typedef struct tcp_browser {
  sim_peer *sim;
  int fd;
  struct sockaddr_storage server; /* where the sim thinks it sends: answered from there */
  bool have_server;
  brtc_rfc4571_reader rd;
} tcp_browser;

static void tcp_browser_step(tcp_browser *b) {
  uint64_t now = brtc_now_us();
  if (sim_peer_next_deadline(b->sim) <= now) sim_peer_handle_timeout(b->sim, now);
  uint8_t buf[1502];
  size_t len;
  struct sockaddr_storage to;
  while (sim_peer_poll_transmit(b->sim, buf + 2, sizeof(buf) - 2, &len, &to) == BRTC_OK) {
    b->server = to;
    b->have_server = true;
    brtc_rfc4571_header(len, buf);
    (void)send(b->fd, buf, len + 2, MSG_NOSIGNAL);
  }
  for (;;) {
    uint8_t in[4096];
    ssize_t n = recv(b->fd, in, sizeof(in), MSG_DONTWAIT);
    if (n <= 0) break;
    for (size_t off = 0; off < (size_t)n;) {
      const uint8_t *f;
      size_t flen;
      off += brtc_rfc4571_read(&b->rd, in + off, (size_t)n - off, &f, &flen);
      if (f && b->have_server)
        sim_peer_handle_datagram(b->sim, f, flen, (struct sockaddr *)&b->server, brtc_now_us());
    }
  }
}

typedef struct events {
  bool srtp_ready;
  int keyframes;
} events;

static void on_event(brtc_loop *loop, brtc_pc *pc, const brtc_output *ev, void *user) {
  (void)loop, (void)pc;
  events *e = user;
  if (ev->event == BRTC_EVENT_STEP && ev->step == BRTC_STEP_SRTP_READY) e->srtp_ready = true;
  if (ev->event == BRTC_EVENT_FRAME && ev->keyframe) e->keyframes++;
}

static unsigned long candidate_priority(const char *sdp, const char *transport) {
  char needle[32];
  snprintf(needle, sizeof(needle), " 1 %s ", transport);
  const char *at = strstr(sdp, needle);
  return at ? strtoul(at + strlen(needle), NULL, 10) : 0;
}

static void test_session_over_tcp(void) {
  brtc_loop *loop = make_loop();
  if (!loop) return;
  int port = brtc_loop_ice_tcp_port(loop, 0);
  CHECK(port > 0);
  brtc_certificate *cert = brtc_certificate_generate();
  brtc_pc *pc = net_test_pc(loop, cert);
  CHECK(pc != NULL);
  tcp_browser b;
  memset(&b, 0, sizeof(b));
  brtc_rfc4571_reader_init(&b.rd);
  b.sim = sim_peer_new(NULL);
  char err[256];
  const char *answer = NULL;
  CHECK_EQ_INT(brtc_pc_set_remote_description(pc, "offer", sim_peer_offer(b.sim), brtc_now_us(),
                                              err, sizeof(err)), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_create_answer(pc, &answer, err, sizeof(err)), BRTC_OK);
  if (!answer) goto out;
  /* The passive candidate at the ICE-TCP port, its priority below the UDP host's (6544 4.2). */
  char want[96];
  snprintf(want, sizeof(want), " 1 tcp %lu 127.0.0.1 %d typ host tcptype passive",
           candidate_priority(answer, "tcp"), port);
  CHECK(strstr(answer, want) != NULL);
  CHECK(candidate_priority(answer, "tcp") > 0);
  CHECK(candidate_priority(answer, "tcp") < candidate_priority(answer, "udp"));
  CHECK_EQ_INT(sim_peer_set_answer(b.sim, answer, err, sizeof(err)), BRTC_OK);
  events ev = {0};
  CHECK_EQ_INT(brtc_loop_add_pc(loop, pc, on_event, &ev), BRTC_OK);
  b.fd = connect_tcp(port);
  CHECK(b.fd >= 0);
  for (int i = 0; i < 300 && !(ev.srtp_ready && sim_peer_media_ready(b.sim)); i++) {
    tcp_browser_step(&b);
    brtc_loop_run_once(loop, 20);
  }
  const sim_peer_stats *ss = sim_peer_get_stats(b.sim);
  CHECK(ss->check_responses >= 1);
  CHECK(ss->dtls_connected);
  CHECK(ev.srtp_ready);
  static uint8_t frame[5000];
  sim_peer_send_frame(b.sim, frame, net_browser_keyframe(frame, sizeof(frame)), true, 9000);
  for (int i = 0; i < 100 && ev.keyframes == 0; i++) {
    tcp_browser_step(&b);
    brtc_loop_run_once(loop, 20);
  }
  CHECK_EQ_INT(ev.keyframes, 1);
  brtc_ice_tcp_stats s = stats_of(loop);
  CHECK_EQ_INT(s.accepted, 1);
  CHECK_EQ_INT(s.verified, 1);
  CHECK(s.frames_in >= 5);
  CHECK(s.frames_out >= 3);
  /* The session's selected peer is the TCP connection's address. */
  brtc_pc_stats ps = {.size = sizeof(ps)};
  brtc_pc_get_stats(pc, &ps);
  struct sockaddr_storage mine;
  socklen_t ml = sizeof(mine);
  getsockname(b.fd, (struct sockaddr *)&mine, &ml);
  brtc_addr me;
  brtc_addr_from_sockaddr(&me, (struct sockaddr *)&mine, ml);
  char me_text[BRTC_ADDR_STRLEN];
  brtc_addr_str(&me, me_text, sizeof(me_text));
  CHECK(strstr(ps.selected_remote, me_text) != NULL);
  brtc_loop_remove_pc(loop, pc);
out:
  if (b.fd > 0) close(b.fd);
  sim_peer_free(b.sim);
  brtc_pc_free(pc);
  brtc_certificate_free(cert);
  brtc_loop_free(loop);
}

/* ---- what an unauthenticated connection may not do ---- */

static void test_silent_connection_times_out(void) {
  brtc_loop *loop = make_loop();
  if (!loop) return;
  brtc_loop_ice_tcp_set_limits(loop, 0, 0, 200);
  uint64_t start = brtc_now_us();
  int fd = connect_tcp(brtc_loop_ice_tcp_port(loop, 0));
  CHECK(fd >= 0);
  CHECK(closed_within(loop, fd, 50)); /* within about a second */
  /* Not before its 200 ms: timed by the clock, since on a loaded machine the loop's passes
   * can take that long by themselves. */
  CHECK(brtc_now_us() - start >= 200 * 1000);
  brtc_ice_tcp_stats s = stats_of(loop);
  CHECK_EQ_INT(s.check_timeouts, 1);
  CHECK_EQ_INT(s.open, 0);
  close(fd);
  brtc_loop_free(loop);
}

static void test_media_before_check_closes(void) {
  brtc_loop *loop = make_loop();
  if (!loop) return;
  int fd = connect_tcp(brtc_loop_ice_tcp_port(loop, 0));
  uint8_t rtp[2 + 40] = {0, 40, 0x80, 96};
  CHECK_EQ_INT(send(fd, rtp, sizeof(rtp), 0), sizeof(rtp));
  CHECK(closed_within(loop, fd, 20));
  CHECK_EQ_INT(stats_of(loop).not_stun_first, 1);
  close(fd);
  brtc_loop_free(loop);
}

static void test_oversized_frame_closes(void) {
  brtc_loop *loop = make_loop();
  if (!loop) return;
  int fd = connect_tcp(brtc_loop_ice_tcp_port(loop, 0));
  uint8_t big[2 + 1600];
  memset(big, 0x01, sizeof(big));
  brtc_rfc4571_header(1600, big);
  CHECK_EQ_INT(send(fd, big, sizeof(big), 0), sizeof(big));
  CHECK(closed_within(loop, fd, 20));
  CHECK_EQ_INT(stats_of(loop).oversized, 1);
  close(fd);
  brtc_loop_free(loop);
}

static void test_connection_limits(void) {
  brtc_loop *loop = make_loop();
  if (!loop) return;
  brtc_loop_ice_tcp_set_limits(loop, 3, 2, 0);
  int port = brtc_loop_ice_tcp_port(loop, 0);
  int fds[3];
  for (int i = 0; i < 3; i++) fds[i] = connect_tcp(port);
  for (int i = 0; i < 5; i++) brtc_loop_run_once(loop, 20);
  /* Two from 127.0.0.1 stay; the third is refused at accept. */
  CHECK(!closed_within(loop, fds[0], 2));
  CHECK(!closed_within(loop, fds[1], 2));
  CHECK(closed_within(loop, fds[2], 2));
  brtc_ice_tcp_stats s = stats_of(loop);
  CHECK_EQ_INT(s.accepted, 2);
  CHECK_EQ_INT(s.refused, 1);
  CHECK_EQ_INT(s.open, 2);
  /* Another source address, but the total (3) is reached after one more. */
  brtc_addr other, srv;
  brtc_addr_from_ip(&other, "127.0.0.2", 0);
  brtc_addr_from_ip(&srv, "127.0.0.1", (uint16_t)port);
  int more[2];
  for (int i = 0; i < 2; i++) {
    more[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(bind(more[i], &other.u.sa, brtc_addr_len(&other)) == 0);
    CHECK(connect(more[i], &srv.u.sa, brtc_addr_len(&srv)) == 0);
  }
  for (int i = 0; i < 5; i++) brtc_loop_run_once(loop, 20);
  CHECK(!closed_within(loop, more[0], 2));
  CHECK(closed_within(loop, more[1], 2));
  s = stats_of(loop);
  CHECK_EQ_INT(s.accepted, 3);
  CHECK_EQ_INT(s.refused, 2);
  for (int i = 0; i < 3; i++) close(fds[i]);
  for (int i = 0; i < 2; i++) close(more[i]);
  brtc_loop_free(loop);
}

/* A peer that never reads: what waits for it stays bounded, the rest is dropped. */
static void test_output_bounded(void) {
  brtc_loop *loop = make_loop();
  if (!loop) return;
  int fd = connect_tcp(brtc_loop_ice_tcp_port(loop, 0));
  int small = 4096;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  for (int i = 0; i < 5; i++) brtc_loop_run_once(loop, 20);
  struct sockaddr_storage me;
  socklen_t ml = sizeof(me);
  getsockname(fd, (struct sockaddr *)&me, &ml);
  brtc_ice_tcp *it = *brtc_loop_ice_tcp_slot(loop);
  static uint8_t datagram[1200];
  int taken = 0;
  for (int i = 0; i < 20000; i++) {
    CHECK(brtc_ice_tcp_send(it, &me, datagram, sizeof(datagram)));
    if (i % 50 == 0) brtc_loop_run_once(loop, 0);
    taken++;
  }
  brtc_ice_tcp_stats s = stats_of(loop);
  /* 20000 datagrams of 1200 bytes (24 MB); at most the socket buffers and 64 KiB queued. */
  CHECK(s.dropped_out_full > 15000);
  CHECK(s.frames_out < 5000);
  CHECK_EQ_INT(s.frames_out + s.dropped_out_full, taken);
  close(fd);
  brtc_loop_free(loop);
}

int main(void) {
  RUN(test_session_over_tcp);
  RUN(test_silent_connection_times_out);
  RUN(test_media_before_check_closes);
  RUN(test_oversized_frame_closes);
  RUN(test_connection_limits);
  RUN(test_output_bounded);
  return TEST_REPORT();
}
