/* The loop's batch sender (src/net/udp_send.c): how a batch is cut into GSO super-buffers, in
 * memory; then over loopback, that a plain UDP socket receives exactly the datagrams sent, in
 * order, with GSO on as with it off; and that a socket refusing GSO falls back by itself. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "boltrtc/error.h"
#include "boltrtc/log.h"
#include "common/addr.h"
#include "net/udp.h"
#include "net/udp_send.h"
#include "testing.h"

#define N 64
#define DGRAM 1500

static struct mmsghdr msgs[N];
static struct iovec iov[N];
static struct sockaddr_in to[N];
static uint8_t ctl[N][64];
static uint8_t buf[N][DGRAM];

/* msgs[i]: len bytes to 127.0.0.1:port, no control message. */
static void set_msg(size_t i, size_t len, uint16_t port) {
  memset(&msgs[i], 0, sizeof(msgs[i]));
  memset(&to[i], 0, sizeof(to[i]));
  to[i].sin_family = AF_INET;
  to[i].sin_port = htons(port);
  to[i].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (size_t k = 0; k < len; k++) buf[i][k] = (uint8_t)(i * 7 + k);
  buf[i][0] = (uint8_t)i; /* which one it is, for the receiver */
  iov[i].iov_base = buf[i];
  iov[i].iov_len = len;
  msgs[i].msg_hdr.msg_iov = &iov[i];
  msgs[i].msg_hdr.msg_iovlen = 1;
  msgs[i].msg_hdr.msg_name = &to[i];
  msgs[i].msg_hdr.msg_namelen = sizeof(to[i]);
}

static void set_source(size_t i, const char *ip) {
  brtc_addr src;
  CHECK(brtc_addr_parse(&src, ip, 9) == BRTC_OK);
  msgs[i].msg_hdr.msg_control = ctl[i];
  msgs[i].msg_hdr.msg_controllen = brtc_udp_set_source(ctl[i], sizeof(ctl[i]), &src);
}

static void test_plan(void) {
  brtc_udp_group g[N];
  /* A keyframe: five full packets and a short last one, one group. */
  for (size_t i = 0; i < 6; i++) set_msg(i, i < 5 ? 1200 : 500, 5000);
  CHECK_EQ_INT(brtc_udp_plan(msgs, 6, true, g), 1);
  CHECK_EQ_INT(g[0].first, 0);
  CHECK_EQ_INT(g[0].count, 6);
  CHECK_EQ_INT(g[0].segment, 1200);
  /* GSO off: each alone. */
  CHECK_EQ_INT(brtc_udp_plan(msgs, 6, false, g), 6);
  CHECK_EQ_INT(g[5].first, 5);
  CHECK_EQ_INT(g[5].count, 1);
  CHECK_EQ_INT(g[5].segment, 0);
  /* A shorter one ends the group; a longer one cannot join. */
  for (size_t i = 0; i < 6; i++) set_msg(i, (size_t[]){1000, 1000, 400, 1000, 1100, 1100}[i], 5000);
  CHECK_EQ_INT(brtc_udp_plan(msgs, 6, true, g), 3);
  CHECK_EQ_INT(g[0].count, 3);
  CHECK_EQ_INT(g[1].first, 3);
  CHECK_EQ_INT(g[1].count, 1); /* 1000 then 1100: alone */
  CHECK_EQ_INT(g[1].segment, 0);
  CHECK_EQ_INT(g[2].count, 2);
  CHECK_EQ_INT(g[2].segment, 1100);
  /* Another port, or another source address, is another destination. */
  for (size_t i = 0; i < 6; i++) set_msg(i, 1200, i == 2 ? 5001 : 5000);
  set_source(4, "127.0.0.1");
  set_source(5, "127.0.0.1");
  CHECK_EQ_INT(brtc_udp_plan(msgs, 6, true, g), 4);
  CHECK_EQ_INT(g[0].count, 2);
  CHECK_EQ_INT(g[1].count, 1);
  CHECK_EQ_INT(g[2].count, 1);
  CHECK_EQ_INT(g[3].first, 4);
  CHECK_EQ_INT(g[3].count, 2);
  /* Over the segment limit (would not fit an Ethernet MTU), or empty: plain. */
  for (size_t i = 0; i < 4; i++) set_msg(i, i < 2 ? BRTC_GSO_MAX_SEGMENT + 1 : 0, 5000);
  CHECK_EQ_INT(brtc_udp_plan(msgs, 4, true, g), 4);
  /* Iovecs not one after the other in one array cannot be one super-buffer. */
  for (size_t i = 0; i < 3; i++) set_msg(i, 1200, 5000);
  msgs[1].msg_hdr.msg_iov = &iov[2];
  CHECK_EQ_INT(brtc_udp_plan(msgs, 3, true, g), 3);
  /* 64 KB at most in one: 60 of 1,200 bytes are 54 and 6. */
  for (size_t i = 0; i < 60; i++) set_msg(i, 1200, 5000);
  CHECK_EQ_INT(brtc_udp_plan(msgs, 60, true, g), 2);
  CHECK_EQ_INT(g[0].count, BRTC_GSO_MAX_BYTES / 1200);
  CHECK_EQ_INT(g[1].count, 60 - BRTC_GSO_MAX_BYTES / 1200);
  /* 64 segments at most in one. */
  for (size_t i = 0; i < N; i++) set_msg(i, 100, 5000);
  CHECK_EQ_INT(brtc_udp_plan(msgs, N, true, g), 1);
  CHECK_EQ_INT(g[0].count, BRTC_GSO_MAX_SEGMENTS);
}

static int udp_socket(uint16_t *port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  CHECK(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
  socklen_t len = sizeof(a);
  CHECK(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
  int size = 4 * 1024 * 1024;
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  if (port) *port = ntohs(a.sin_port);
  return fd;
}

/* Read every datagram rx has (bounded wait for the first) and check they are exactly the
 * batch's messages to `port`, in order. */
static void expect_datagrams(int rx, uint16_t port, size_t n) {
  uint8_t got[DGRAM + 1];
  for (size_t i = 0; i < n; i++) {
    if (ntohs(to[i].sin_port) != port) continue;
    struct pollfd p = {.fd = rx, .events = POLLIN};
    CHECK(poll(&p, 1, 2000) == 1);
    ssize_t len = recv(rx, got, sizeof(got), MSG_DONTWAIT);
    CHECK(len == (ssize_t)iov[i].iov_len);
    if (len > 0) CHECK_MEM(got, buf[i], (size_t)len);
  }
  CHECK(recv(rx, got, sizeof(got), MSG_DONTWAIT) < 0); /* nothing more */
}

/* Two receivers; runs to each, a short last packet, a source address control message. */
static size_t make_burst(uint16_t pa, uint16_t pb) {
  size_t n = 0;
  for (size_t i = 0; i < 20; i++) set_msg(n++, 1200, pa);
  set_msg(n++, 321, pa);
  for (size_t i = 0; i < 7; i++) set_msg(n++, 1000, pb);
  set_msg(n++, 80, pa); /* alone between two runs */
  for (size_t i = 0; i < 9; i++) {
    set_msg(n, 1100, pb);
    set_source(n++, "127.0.0.1");
  }
  return n;
}

static void test_loopback(bool gso) {
  uint16_t pa, pb;
  int tx = udp_socket(NULL), ra = udp_socket(&pa), rb = udp_socket(&pb);
  size_t n = make_burst(pa, pb);
  brtc_udp_sender s;
  brtc_udp_sender_init(&s, gso);
  brtc_udp_send_result r = {0};
  brtc_udp_sender_send(&s, 0, tx, msgs, n, &r);
  CHECK_EQ_INT(r.datagrams, n);
  CHECK_EQ_INT(r.errors, 0);
  CHECK_EQ_INT(r.gso_sends, gso ? 3 : 0);
  CHECK_EQ_INT(r.gso_datagrams, gso ? 21 + 7 + 9 : 0);
  CHECK_EQ_INT(s.gso_refused, 0);
  expect_datagrams(ra, pa, n);
  expect_datagrams(rb, pb, n);
  close(tx);
  close(ra);
  close(rb);
}

static void test_loopback_gso(void) { test_loopback(true); }
static void test_loopback_plain(void) { test_loopback(false); }

static int warnings;
static void count_warnings(brtc_log_level level, const char *session, const char *line,
                           void *user) {
  (void)session;
  (void)line;
  (void)user;
  if (level == BRTC_LOG_WARN) warnings++;
}

/* A socket without UDP checksums cannot do GSO (the kernel answers EINVAL or EIO): the batch
 * still arrives whole, plain, the refusal is remembered for that socket and logged once. */
static void test_refused(void) {
  uint16_t pa, pb;
  int tx = udp_socket(NULL), ra = udp_socket(&pa), rb = udp_socket(&pb);
  int on = 1;
  CHECK(setsockopt(tx, SOL_SOCKET, SO_NO_CHECK, &on, sizeof(on)) == 0);
  brtc_set_log_handler(count_warnings, NULL);
  brtc_udp_sender s;
  brtc_udp_sender_init(&s, true);
  for (int round = 0; round < 2; round++) {
    size_t n = make_burst(pa, pb);
    brtc_udp_send_result r = {0};
    brtc_udp_sender_send(&s, 3, tx, msgs, n, &r);
    CHECK_EQ_INT(r.datagrams, n);
    CHECK_EQ_INT(r.errors, 0);
    CHECK_EQ_INT(r.gso_sends, 0);
    CHECK_EQ_INT(s.gso_refused, 1u << 3);
    expect_datagrams(ra, pa, n);
    expect_datagrams(rb, pb, n);
  }
  CHECK_EQ_INT(warnings, 1);
  brtc_set_log_handler(NULL, NULL);
  close(tx);
  close(ra);
  close(rb);
}

int main(void) {
  RUN(test_plan);
  RUN(test_loopback_gso);
  RUN(test_loopback_plain);
  RUN(test_refused);
  return TEST_REPORT();
}
