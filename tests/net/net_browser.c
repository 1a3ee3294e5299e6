#include "net_browser.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "boltrtc/loop.h"

int net_browser_socket(const char *ip, brtc_addr *bound) {
  if (brtc_addr_from_ip(bound, ip, 0) != BRTC_OK) return -1;
  int fd = socket(brtc_addr_family(bound), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  socklen_t len = brtc_addr_len(bound);
  if (fd >= 0 && bind(fd, &bound->u.sa, len) == 0 && getsockname(fd, &bound->u.sa, &len) == 0)
    return fd;
  if (fd >= 0) close(fd);
  return -1;
}

void net_browser_step(net_browser *b) {
  uint64_t now = brtc_now_us();
  if (sim_peer_next_deadline(b->sim) <= now) sim_peer_handle_timeout(b->sim, now);
  uint8_t buf[1500];
  size_t len;
  struct sockaddr_storage to;
  while (sim_peer_poll_transmit(b->sim, buf, sizeof(buf), &len, &to) == BRTC_OK) {
    socklen_t tl = to.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    (void)sendto(b->fd, buf, len, 0, (struct sockaddr *)&to, tl);
  }
  for (;;) {
    struct sockaddr_storage from;
    socklen_t fl = sizeof(from);
    ssize_t n = recvfrom(b->fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
    if (n < 0) break;
    sim_peer_handle_datagram(b->sim, buf, (size_t)n, (struct sockaddr *)&from, brtc_now_us());
  }
}

size_t net_browser_keyframe(uint8_t *out, size_t len) {
  memset(out, 0x5a, len);
  uint32_t first_part = 100;
  uint32_t tag = (first_part << 5) | (1u << 4); /* keyframe (bit 0 = 0), show_frame */
  out[0] = (uint8_t)tag;
  out[1] = (uint8_t)(tag >> 8);
  out[2] = (uint8_t)(tag >> 16);
  out[3] = 0x9d;
  out[4] = 0x01;
  out[5] = 0x2a;
  out[6] = 320 & 0xff;
  out[7] = 320 >> 8;
  out[8] = 240 & 0xff;
  out[9] = 240 >> 8;
  return len;
}
