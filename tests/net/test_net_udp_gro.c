/* Receiving with UDP GRO (src/net/udp_gro.c): the cut of a received buffer into datagrams, in
 * memory (the last one short, none, one, a zero-length datagram); then over loopback, a
 * sender's GSO super-buffer (4 full segments and a short last one) read by a socket with
 * UDP_GRO (one buffer, cut here) and by one without (the kernel cuts it): the same datagrams,
 * byte for byte, in the same order. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/udp_gro.h"
#include "net_test_util.h"
#include "testing.h"

#define SEG 1000
#define N_SEGS 5
#define LAST 333 /* the short last segment */
#define TOTAL (SEG * (N_SEGS - 1) + LAST)

static void test_cut(void) {
  uint8_t buf[2500];
  for (size_t i = 0; i < sizeof(buf); i++) buf[i] = (uint8_t)i;
  brtc_udp_segments it;
  const uint8_t *d = NULL;
  size_t len = 0;
  /* 2500 by 1000: 1000, 1000, 500, each where it lies in the buffer. */
  brtc_udp_segments_init(&it, buf, sizeof(buf), 1000);
  size_t want[3] = {1000, 1000, 500}, off = 0;
  for (int k = 0; k < 3; k++) {
    CHECK(brtc_udp_segments_next(&it, &d, &len));
    CHECK_EQ_INT(len, want[k]);
    CHECK(d == buf + off);
    off += len;
  }
  CHECK(!brtc_udp_segments_next(&it, &d, &len));
  /* No GRO (segment 0), or a segment as large as the buffer: one datagram. */
  brtc_udp_segments_init(&it, buf, 1200, 0);
  CHECK(brtc_udp_segments_next(&it, &d, &len));
  CHECK_EQ_INT(len, 1200);
  CHECK(!brtc_udp_segments_next(&it, &d, &len));
  brtc_udp_segments_init(&it, buf, 1000, 1000);
  CHECK(brtc_udp_segments_next(&it, &d, &len));
  CHECK_EQ_INT(len, 1000);
  CHECK(!brtc_udp_segments_next(&it, &d, &len));
  /* An exact multiple has no short tail. */
  brtc_udp_segments_init(&it, buf, 2000, 1000);
  CHECK(brtc_udp_segments_next(&it, &d, &len) && len == 1000);
  CHECK(brtc_udp_segments_next(&it, &d, &len) && len == 1000 && d == buf + 1000);
  CHECK(!brtc_udp_segments_next(&it, &d, &len));
  /* A zero-length datagram is one (empty) datagram, as recvmmsg reports it. */
  brtc_udp_segments_init(&it, buf, 0, 0);
  CHECK(brtc_udp_segments_next(&it, &d, &len));
  CHECK_EQ_INT(len, 0);
  CHECK(!brtc_udp_segments_next(&it, &d, &len));
}

static int bound_socket(struct sockaddr_in *a) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  *a = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof(*a);
  if (fd < 0 || bind(fd, (struct sockaddr *)a, sizeof(*a)) != 0 ||
      getsockname(fd, (struct sockaddr *)a, &len) != 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  return fd;
}

/* One GSO super-buffer of N_SEGS segments (the last LAST bytes) from tx to `to`. */
static int send_super(int tx, const struct sockaddr_in *to, const uint8_t *data) {
  return net_test_send_gso(tx, (const struct sockaddr *)to, sizeof(*to), data, TOTAL, SEG) ==
                 TOTAL
             ? 0
             : -1;
}

/* Everything rx receives within a short wait, cut by udp_gro when gro is on, laid end to end
 * in out with each datagram's length in lens; returns the datagram count. *reads: recvmsg
 * calls that brought something. */
static size_t receive_all(int rx, bool gro, uint8_t *out, size_t *lens, size_t cap,
                          size_t *reads) {
  static uint8_t buf[BRTC_GRO_BUFFER_BYTES];
  size_t n = 0, off = 0;
  *reads = 0;
  struct pollfd p = {.fd = rx, .events = POLLIN};
  while (poll(&p, 1, 200) > 0) {
    union {
      uint8_t bytes[BRTC_GRO_CONTROL_SPACE];
      struct cmsghdr align;
    } control;
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.bytes,
                       .msg_controllen = sizeof(control.bytes)};
    ssize_t got = recvmsg(rx, &m, MSG_DONTWAIT);
    if (got < 0) break;
    (*reads)++;
    brtc_udp_segments it;
    brtc_udp_segments_init(&it, buf, (size_t)got, gro ? brtc_udp_gro_segment_size(&m) : 0);
    const uint8_t *d = NULL;
    size_t len = 0;
    while (brtc_udp_segments_next(&it, &d, &len) && n < cap) {
      memcpy(out + off, d, len);
      off += len;
      lens[n++] = len;
    }
  }
  return n;
}

static void test_loopback(void) {
  struct sockaddr_in tx_addr, plain_addr, gro_addr;
  int tx = bound_socket(&tx_addr), plain = bound_socket(&plain_addr), gro = bound_socket(&gro_addr);
  CHECK(tx >= 0 && plain >= 0 && gro >= 0);
  CHECK(brtc_udp_gro_enable(gro));
  uint8_t data[TOTAL];
  for (size_t i = 0; i < TOTAL; i++) data[i] = (uint8_t)(i * 31 + i / SEG); /* each segment differs */
  CHECK_EQ_INT(send_super(tx, &plain_addr, data), 0);
  CHECK_EQ_INT(send_super(tx, &gro_addr, data), 0);

  static uint8_t got_plain[TOTAL + 64], got_gro[TOTAL + 64];
  size_t lens_plain[16], lens_gro[16], reads_plain, reads_gro;
  size_t n_plain = receive_all(plain, false, got_plain, lens_plain, 16, &reads_plain);
  size_t n_gro = receive_all(gro, true, got_gro, lens_gro, 16, &reads_gro);
  /* Without GRO the kernel cut the super-buffer: five reads. With it, one read, cut here. */
  CHECK_EQ_INT(n_plain, N_SEGS);
  CHECK_EQ_INT(reads_plain, N_SEGS);
  CHECK_EQ_INT(n_gro, N_SEGS);
  CHECK_EQ_INT(reads_gro, 1);
  for (size_t k = 0; k < N_SEGS && k < n_plain && k < n_gro; k++) {
    size_t want = k == N_SEGS - 1 ? LAST : SEG;
    CHECK_EQ_INT(lens_plain[k], want);
    CHECK_EQ_INT(lens_gro[k], want);
  }
  /* The same bytes in the same order, both as sent. */
  CHECK(memcmp(got_plain, data, TOTAL) == 0);
  CHECK(memcmp(got_gro, data, TOTAL) == 0);
  close(tx);
  close(plain);
  close(gro);
}

int main(void) {
  RUN(test_cut);
  RUN(test_loopback);
  return TEST_REPORT();
}
