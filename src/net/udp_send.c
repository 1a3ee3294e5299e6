#include "net/udp_send.h"

#include <errno.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <string.h>

#include "boltrtc/log.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

void brtc_udp_sender_init(brtc_udp_sender *s, bool gso) {
  memset(s, 0, sizeof(*s));
  s->gso_enabled = gso;
}

/* Whether b may follow a in one super-buffer: its iovec right after a's, and the same
 * destination and control messages. Lengths are the caller's to check. */
static bool joins(const struct msghdr *a, const struct msghdr *b) {
  if (b->msg_iovlen != 1 || b->msg_iov != a->msg_iov + a->msg_iovlen) return false;
  if (a->msg_namelen != b->msg_namelen || memcmp(a->msg_name, b->msg_name, a->msg_namelen) != 0)
    return false;
  if (a->msg_controllen != b->msg_controllen) return false;
  return a->msg_controllen == 0 || memcmp(a->msg_control, b->msg_control, a->msg_controllen) == 0;
}

/* Control room left for UDP_SEGMENT after the datagram's own messages. */
#define OWN_CONTROL_MAX (sizeof(((brtc_udp_sender *)0)->control[0]) - CMSG_SPACE(sizeof(uint16_t)))

size_t brtc_udp_plan(const struct mmsghdr *msgs, size_t n, bool gso, brtc_udp_group *groups) {
  size_t ng = 0;
  size_t i = 0;
  while (i < n) {
    const struct msghdr *first = &msgs[i].msg_hdr;
    brtc_udp_group g = {.first = (uint16_t)i, .count = 1, .segment = 0};
    size_t seg = first->msg_iovlen == 1 ? first->msg_iov[0].iov_len : 0;
    if (gso && seg > 0 && seg <= BRTC_GSO_MAX_SEGMENT && first->msg_controllen <= OWN_CONTROL_MAX) {
      size_t total = seg;
      while (i + g.count < n && g.count < BRTC_GSO_MAX_SEGMENTS) {
        const struct msghdr *prev = &msgs[i + g.count - 1].msg_hdr;
        const struct msghdr *next = &msgs[i + g.count].msg_hdr;
        size_t len = next->msg_iov[0].iov_len;
        if (!joins(prev, next) || len == 0 || len > seg || total + len > BRTC_GSO_MAX_BYTES) break;
        g.count++;
        total += len;
        if (len < seg) break; /* a shorter datagram ends the super-buffer */
      }
      if (g.count > 1) g.segment = (uint16_t)seg;
    }
    groups[ng++] = g;
    i += g.count;
  }
  return ng;
}

/* Make out[k] the message for group g: the datagram's own for a single one, or one whose
 * iovecs are the group's and whose control messages gain UDP_SEGMENT. */
static void build(brtc_udp_sender *s, size_t k, struct mmsghdr *msgs, const brtc_udp_group *g) {
  struct msghdr *h = &s->out[k].msg_hdr;
  *h = msgs[g->first].msg_hdr;
  s->out[k].msg_len = 0;
  if (g->count < 2) return;
  h->msg_iovlen = g->count;
  uint8_t *buf = s->control[k].bytes;
  size_t own = CMSG_ALIGN(h->msg_controllen);
  memset(buf, 0, sizeof(s->control[k].bytes));
  if (h->msg_controllen) memcpy(buf, h->msg_control, h->msg_controllen);
  struct cmsghdr *c = (struct cmsghdr *)(void *)(buf + own);
  c->cmsg_level = SOL_UDP;
  c->cmsg_type = UDP_SEGMENT;
  c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
  uint16_t seg = g->segment;
  memcpy(CMSG_DATA(c), &seg, sizeof(seg));
  h->msg_control = buf;
  h->msg_controllen = own + CMSG_SPACE(sizeof(uint16_t));
}

static bool refused(const brtc_udp_sender *s, unsigned sock) {
  return sock >= BRTC_UDP_SEND_SOCKETS || (s->gso_refused >> sock) & 1u;
}

static void send_round(brtc_udp_sender *s, unsigned sock, int fd, struct mmsghdr *msgs, size_t n,
                        brtc_udp_send_result *res) {
  size_t ng = brtc_udp_plan(msgs, n, s->gso_enabled && !refused(s, sock), s->groups);
  for (size_t k = 0; k < ng; k++) build(s, k, msgs, &s->groups[k]);
  size_t done = 0;
  while (done < ng) {
    int sent = sendmmsg(fd, &s->out[done], (unsigned)(ng - done), MSG_DONTWAIT);
    if (sent < 0) {
      if (errno == EINTR) continue;
      const brtc_udp_group *g = &s->groups[done];
      if (g->count > 1 && (errno == EIO || errno == EINVAL)) {
        /* The kernel will not cut super-buffers on this socket's route: say so once, and
         * send the rest, this group included, one datagram at a time. */
        int why = errno;
        s->gso_refused |= 1u << sock;
        brtc_log(BRTC_LOG_WARN, NULL, "udp: GSO refused on socket %u (%s); sending plain", sock,
                 strerror(why));
        send_round(s, sock, fd, msgs + g->first, n - g->first, res);
        return;
      }
      /* The first message failed (EAGAIN: buffer full; or unreachable): UDP, so drop it and
       * go on with the rest. */
      if (errno != EAGAIN && errno != EWOULDBLOCK) res->last_errno = errno;
      res->errors += g->count;
      done++;
      continue;
    }
    for (size_t k = done; k < done + (size_t)sent; k++) {
      const brtc_udp_group *g = &s->groups[k];
      res->datagrams += g->count;
      res->bytes += s->out[k].msg_len;
      if (g->count > 1) {
        res->gso_sends++;
        res->gso_datagrams += g->count;
      }
    }
    done += (size_t)sent;
  }
}

void brtc_udp_sender_send(brtc_udp_sender *s, unsigned sock, int fd, struct mmsghdr *msgs,
                          size_t n, brtc_udp_send_result *res) {
  for (size_t at = 0; at < n; at += BRTC_UDP_SEND_BATCH) {
    size_t len = n - at < BRTC_UDP_SEND_BATCH ? n - at : BRTC_UDP_SEND_BATCH;
    send_round(s, sock, fd, msgs + at, len, res);
  }
}
