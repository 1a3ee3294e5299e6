/* Resolving the peers' mDNS (.local) ICE candidates on the loop (RFC 6762; the mdns-ice-
 * candidates draft 3.2.1). One UDP socket, bound to 5353 beside any other responder
 * (SO_REUSEPORT) and joined to 224.0.0.251, sends a question per name (A and AAAA, at 0,
 * 250 ms and 1 s) and reads the answers, which responders multicast (RFC 6762 6); where 5353
 * cannot be had, a one-shot query from an ephemeral port gets a unicast answer (6.7). A name
 * not answered within 3 s, or with no socket at all (no multicast route: a host with
 * loopback only), is given up: its candidates are dropped with a log line, never an error.
 * The answers are as trustworthy as the local link, like the candidates themselves: an
 * answer only makes a pc check an address, which needs the session's credentials to pass. */
#include "net/mdns_resolver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/log.h"
#include "net/mdns.h"

#define MAX_PENDING 64     /* names being asked at once; more wait for a later drain */
#define GIVE_UP_US 3000000u
#define MAX_RECORDS 16
#define NAMES_PER_PC 8     /* = BRTC_ICE_MAX_HELD */
static const uint64_t resend_after_us[] = {0, 250000u, 1000000u};
#define SENDS (sizeof(resend_after_us) / sizeof(resend_after_us[0]))

typedef struct pending {
  char name[BRTC_MDNS_NAME_MAX + 1];
  uint64_t first_us;
  unsigned sent;
  bool used;
} pending;

struct brtc_mdns_resolver {
  brtc_loop *loop;
  int fd;
  bool multicast_port; /* bound to 5353: answers come multicast */
  brtc_loop_watch *watch;
  brtc_loop_timer *timer;
  char no_socket[160]; /* why there is none, when there is none */
  bool said_no_socket;
  pending p[MAX_PENDING];
};

static int open_socket(brtc_mdns_resolver *r) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    snprintf(r->no_socket, sizeof(r->no_socket), "socket: %s", strerror(errno));
    return -1;
  }
  int one = 1, ttl = 255; /* RFC 6762 11: sent with TTL 255 */
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl));
  setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &one, sizeof(one)); /* a responder here too */
  struct sockaddr_in any = {.sin_family = AF_INET, .sin_port = htons(BRTC_MDNS_PORT)};
  r->multicast_port = bind(fd, (struct sockaddr *)&any, sizeof(any)) == 0;
  if (!r->multicast_port) {
    any.sin_port = 0;
    if (bind(fd, (struct sockaddr *)&any, sizeof(any)) != 0) {
      snprintf(r->no_socket, sizeof(r->no_socket), "bind: %s", strerror(errno));
      close(fd);
      return -1;
    }
  }
  struct ip_mreq mreq;
  memset(&mreq, 0, sizeof(mreq));
  inet_pton(AF_INET, BRTC_MDNS_GROUP_V4, &mreq.imr_multiaddr);
  if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) != 0 &&
      r->multicast_port) {
    snprintf(r->no_socket, sizeof(r->no_socket), "joining %s: %s", BRTC_MDNS_GROUP_V4,
             strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

static void send_query(brtc_mdns_resolver *r, const char *name) {
  static const uint16_t types[] = {BRTC_MDNS_TYPE_A, BRTC_MDNS_TYPE_AAAA};
  struct sockaddr_in group = {.sin_family = AF_INET, .sin_port = htons(BRTC_MDNS_PORT)};
  inet_pton(AF_INET, BRTC_MDNS_GROUP_V4, &group.sin_addr);
  for (size_t i = 0; i < 2; i++) {
    uint8_t q[BRTC_MDNS_NAME_MAX + 32];
    size_t len = brtc_mdns_write_query(name, types[i], false, q, sizeof(q));
    if (len && sendto(r->fd, q, len, 0, (struct sockaddr *)&group, sizeof(group)) < 0 &&
        !r->said_no_socket) {
      r->said_no_socket = true;
      brtc_log(BRTC_LOG_WARN, NULL, "mDNS: cannot send to %s:%d: %s", BRTC_MDNS_GROUP_V4,
               BRTC_MDNS_PORT, strerror(errno));
    }
  }
}

static void finish(brtc_mdns_resolver *r, pending *p, const brtc_addr *ip, uint64_t now) {
  char name[sizeof(p->name)], text[BRTC_ADDR_STRLEN];
  memcpy(name, p->name, sizeof(name));
  p->used = false; /* before the pcs hear: one may ask again */
  if (ip)
    brtc_log(BRTC_LOG_INFO, NULL, "mDNS: %s is %s (answered in %.1f ms)", name,
             brtc_addr_ip_str(ip, text, sizeof(text)), (double)(now - p->first_us) / 1000.0);
  else
    brtc_log(BRTC_LOG_INFO, NULL, "mDNS: %s not answered in %u s%s%s: its candidates are dropped",
             name, GIVE_UP_US / 1000000u, r->fd < 0 ? "; no resolver here: " : "",
             r->fd < 0 ? r->no_socket : "");
  brtc_loop_mdns_result(r->loop, name, ip ? &ip->u.sa : NULL);
}

/* Send what is due, give up what is old, and set the timer for the next of either. */
static void run(brtc_mdns_resolver *r, uint64_t now) {
  uint64_t next = UINT64_MAX;
  for (size_t i = 0; i < MAX_PENDING; i++) {
    pending *p = &r->p[i];
    if (!p->used) continue;
    if (now >= p->first_us + GIVE_UP_US) {
      finish(r, p, NULL, now);
      continue;
    }
    while (p->sent < SENDS && now >= p->first_us + resend_after_us[p->sent]) {
      if (r->fd >= 0) send_query(r, p->name);
      p->sent++;
    }
    uint64_t due = p->first_us + (p->sent < SENDS ? resend_after_us[p->sent] : GIVE_UP_US);
    if (due < next) next = due;
  }
  brtc_loop_timer_set(r->timer, next);
}

static void on_timer(void *user, uint64_t now) { run(user, now); }

static void on_readable(void *user, int fd, uint64_t now) {
  brtc_mdns_resolver *r = user;
  for (int round = 0; round < 16; round++) {
    uint8_t msg[9000]; /* RFC 6762 17: up to the interface's MTU, jumbo frames included */
    ssize_t n = recv(fd, msg, sizeof(msg), MSG_DONTWAIT);
    if (n < 0) return;
    brtc_mdns_record recs[MAX_RECORDS];
    size_t nrec = 0;
    (void)brtc_mdns_parse_response(msg, (size_t)n, recs, MAX_RECORDS, &nrec); /* queries too */
    for (size_t k = 0; k < nrec; k++) {
      if (recs[k].ttl == 0) continue; /* a goodbye */
      for (size_t i = 0; i < MAX_PENDING; i++)
        if (r->p[i].used && brtc_mdns_name_equal(r->p[i].name, recs[k].name))
          finish(r, &r->p[i], &recs[k].addr, now);
    }
  }
}

static brtc_mdns_resolver *resolver_new(brtc_loop *loop) {
  brtc_mdns_resolver *r = calloc(1, sizeof(*r));
  if (!r) return NULL;
  r->loop = loop;
  r->timer = brtc_loop_timer_new(loop, on_timer, r);
  if (!r->timer) {
    free(r);
    return NULL;
  }
  r->fd = open_socket(r);
  if (r->fd >= 0) r->watch = brtc_loop_watch_fd(loop, r->fd, on_readable, r);
  if (r->fd >= 0 && !r->watch) {
    snprintf(r->no_socket, sizeof(r->no_socket), "cannot watch its socket");
    close(r->fd);
    r->fd = -1;
  }
  if (r->fd < 0)
    brtc_log(BRTC_LOG_WARN, NULL, "mDNS: no resolver (%s): .local candidates will be dropped",
             r->no_socket);
  return r;
}

static void want(brtc_mdns_resolver *r, const char *name, uint64_t now) {
  pending *free_slot = NULL;
  for (size_t i = 0; i < MAX_PENDING; i++) {
    if (r->p[i].used && brtc_mdns_name_equal(r->p[i].name, name)) return; /* being asked */
    if (!r->p[i].used && !free_slot) free_slot = &r->p[i];
  }
  if (!free_slot || strlen(name) > BRTC_MDNS_NAME_MAX) return; /* the next drain asks again */
  memset(free_slot, 0, sizeof(*free_slot));
  memcpy(free_slot->name, name, strlen(name) + 1);
  free_slot->first_us = now;
  free_slot->used = true;
  brtc_log(BRTC_LOG_INFO, NULL, "mDNS: asking for %s (a peer's ICE candidate)", name);
  run(r, now);
}

void brtc_mdns_resolver_note_pc(brtc_mdns_resolver **slot, brtc_loop *loop, brtc_pc *pc) {
  const char *names[NAMES_PER_PC];
  size_t n = brtc_pc_unresolved_hostnames(pc, names, NAMES_PER_PC);
  if (n == 0) return;
  if (!*slot && !(*slot = resolver_new(loop))) return;
  uint64_t now = brtc_now_us();
  for (size_t i = 0; i < n && i < NAMES_PER_PC; i++) want(*slot, names[i], now);
}

void brtc_mdns_resolver_free(brtc_mdns_resolver *r) {
  if (!r) return;
  brtc_loop_unwatch(r->watch);
  if (r->fd >= 0) close(r->fd);
  brtc_loop_timer_free(r->timer);
  free(r);
}
