/* brtc_loop: UDP sockets, epoll, one timerfd, and the dispatch of datagrams and deadlines to
 * sans-IO peer connections. TCP, timers and fd watches live in loop_io.c, tcp.c and
 * loop_timers.c; this file only hands them their epoll events and deadlines. See
 * include/boltrtc/loop.h. */
#include "boltrtc/loop.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/log.h"
#include "net/addr_map.h"
#include "net/demux.h"
#include "net/ice_tcp.h"
#include "net/loop_config.h"
#include "net/loop_io.h"
#include "net/mdns_resolver.h"
#include "net/relay_socket.h"
#include "net/stun_route.h"
#include "net/timer_heap.h"
#include "net/udp.h"
#include "net/udp_gro.h"
#include "net/udp_send.h"
#include "net/ufrag_map.h"
#include "pc/pc_ready.h"
#include "stun/stun.h"

#define MAX_LOCAL_ADDRS 32
#define RECV_ROUNDS 8          /* recvmmsg batches per socket per pass, for fairness */
#define MAX_DRAIN_PER_FLUSH 8192 /* a pc that never stops producing cannot hang the loop */
#define ADDRS_PER_PC 4         /* address table room reserved per pc */
#define MAX_ERROR_LOGS 16
#define MAX_DESTINATIONS 64    /* local addresses seen on wildcard sockets */

/* Where a datagram to a peer leaves from: the socket index in the low byte and, for a
 * wildcard socket, the index of the local address the peer sent to (loop->dsts) above it. */
typedef uint32_t route;
#define ROUTE_NO_DST 0xffu
#define ROUTE(sock, dst) ((uint32_t)(sock) | ((uint32_t)(dst) << 8))
#define ROUTE_SOCK(r) ((r) & 0xffu)
#define ROUTE_DST(r) (((r) >> 8) & 0xffu)

enum { TAG_TIMER = 1000, TAG_WAKE = 1001 };
/* Other epoll tags are pointers to loop_io objects (never this small). */
#define TAG_IO_MIN 4096u
#define MAX_EVENTS 64

/* One registered peer connection. The timer comes first: the heap hands back brtc_timer *. */
typedef struct pc_entry {
  brtc_timer timer;
  brtc_pc *pc;
  brtc_pc_event_fn on_event;
  void *user;
  size_t index;        /* in loop->pcs */
  char *ufrag;         /* our copy: the key in loop->ufrags */
  size_t ufrag_len;
  brtc_addr last_from; /* last unknown source that reached this pc via its ufrag */
  route last_route;
  bool has_last_from;
  bool move_refused;     /* a check of ours from another pc's address was refused (logged) */
  bool removed;          /* removed during dispatch; freed at the end of the pass */
  brtc_relay_set relay;  /* its TURN allocations' own sockets (relay_socket.h) */
  struct pc_entry *next_dead;
} pc_entry;

typedef struct loop_socket {
  int fd;
  int family;
  bool wildcard; /* receives packet info: see brtc_udp_is_wildcard */
  brtc_addr bound;
} loop_socket;

typedef union control_buf {
  uint8_t bytes[BRTC_UDP_CONTROL_SPACE + BRTC_GRO_CONTROL_SPACE];
  struct cmsghdr align;
} control_buf;

struct brtc_loop {
  int epfd, timerfd, wakefd;
  loop_socket socks[BRTC_LOOP_MAX_SOCKETS];
  size_t n_socks;
  struct sockaddr_storage local[MAX_LOCAL_ADDRS];
  size_t n_local;
  bool loopback_only;
  atomic_bool stop;
  /* Interrupt moderation (brtc_loop_config_set_batch_hold): when the last pass began, when
   * the one before it did, and how many datagrams the last one read. */
  uint64_t hold_us, pass_start, prev_pass_start;
  size_t pass_datagrams;
  bool rx_left; /* a socket still had datagrams when its pass ended (RECV_ROUNDS) */

  pc_entry **pcs;
  size_t n_pcs, cap_pcs;
  /* pcs with output to drain: every call that feeds or changes a pc puts it here
   * (src/pc/pc_ready.h), whoever made it. */
  brtc_ready_list ready;
  brtc_timer **due;   /* cap_pcs long */
  pc_entry *dead;     /* removed during dispatch, waiting to be freed */
  int dispatching;

  brtc_addr_map addrs;
  /* The pc that sent each STUN request (a check, a Binding to a STUN server): its response
   * goes there by transaction ID, from whatever address (stun_route.h). */
  brtc_stun_route txns;
  brtc_relay_io *relay; /* the pcs' TURN allocations' sockets (relay_socket.h) */
  brtc_ufrag_map ufrags;
  brtc_timer_heap timers;
  uint64_t armed_deadline; /* what the timerfd is set to; UINT64_MAX: disarmed */
  brtc_loop_io *io;        /* TCP, timers, fd watches */
  brtc_ice_tcp *ice_tcp;   /* ICE-TCP (ice_tcp.c); NULL unless asked for */
  brtc_mdns_resolver *mdns; /* the peers' .local candidates (mdns_resolver.c); on first need */

  brtc_loop_stats stats;
  unsigned error_logs;

  brtc_addr dsts[MAX_DESTINATIONS]; /* local addresses (port 0) peers sent to */
  size_t n_dsts;
  uint32_t last_dst;

  /* Preallocated batches: nothing is allocated per datagram. */
  struct mmsghdr rx_msgs[BRTC_LOOP_BATCH];
  struct iovec rx_iov[BRTC_LOOP_BATCH];
  struct sockaddr_storage rx_from[BRTC_LOOP_BATCH];
  uint8_t rx_buf[BRTC_LOOP_BATCH][BRTC_LOOP_MAX_DATAGRAM];
  control_buf rx_control[BRTC_LOOP_BATCH];
  uint8_t *gro_rx; /* with UDP GRO: BRTC_LOOP_BATCH buffers of BRTC_GRO_BUFFER_BYTES (udp_gro.h) */

  struct mmsghdr tx_msgs[BRTC_LOOP_BATCH];
  struct iovec tx_iov[BRTC_LOOP_BATCH];
  struct sockaddr_storage tx_to[BRTC_LOOP_BATCH];
  uint8_t tx_buf[BRTC_LOOP_BATCH][BRTC_LOOP_MAX_DATAGRAM];
  control_buf tx_control[BRTC_LOOP_BATCH];
  size_t n_tx;
  uint32_t tx_sock;
  brtc_udp_sender sender; /* sendmmsg, and GSO for runs to one destination (udp_send.c) */
};

uint64_t brtc_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void log_error(brtc_loop *loop, const char *what, int err) {
  if (loop->error_logs >= MAX_ERROR_LOGS) return;
  loop->error_logs++;
  brtc_log(BRTC_LOG_WARN, NULL, "udp %s: %s%s", what, strerror(err),
           loop->error_logs == MAX_ERROR_LOGS ? " (further socket errors not logged)" : "");
}

/* ---- timers ---- */

/* The earliest deadline of a pc or of the loop_io side. */
static uint64_t earliest_deadline(const brtc_loop *loop) {
  uint64_t when = brtc_timer_heap_earliest(&loop->timers);
  uint64_t io = brtc_loop_io_next_deadline(loop->io);
  return io < when ? io : when;
}

static void rearm(brtc_loop *loop) {
  uint64_t when = earliest_deadline(loop);
  if (when == loop->armed_deadline) return;
  struct itimerspec its;
  memset(&its, 0, sizeof(its));
  if (when != UINT64_MAX) {
    its.it_value.tv_sec = (time_t)(when / 1000000u);
    its.it_value.tv_nsec = (long)(when % 1000000u) * 1000;
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0) its.it_value.tv_nsec = 1; /* 0 disarms */
  }
  if (timerfd_settime(loop->timerfd, TFD_TIMER_ABSTIME, &its, NULL) != 0) {
    log_error(loop, "timerfd_settime", errno);
    return;
  }
  loop->armed_deadline = when;
}

/* ---- sending ---- */

static void send_batch(brtc_loop *loop) {
  brtc_udp_send_result r = {0};
  brtc_udp_sender_send(&loop->sender, loop->tx_sock, loop->socks[loop->tx_sock].fd,
                       loop->tx_msgs, loop->n_tx, &r);
  if (r.last_errno) log_error(loop, "sendmmsg", r.last_errno);
  loop->stats.datagrams_out += r.datagrams;
  loop->stats.bytes_out += r.bytes;
  loop->stats.send_errors += r.errors;
  loop->stats.gso_sends += r.gso_sends;
  loop->stats.gso_datagrams += r.gso_datagrams;
  loop->n_tx = 0;
}

static socklen_t sockaddr_len(const struct sockaddr_storage *ss) {
  return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

/* The route a datagram to `to` takes: the one the peer last reached us by, if known, so it
 * sees replies coming from the address it sent to; else the first socket of its family. */
static bool pick_route(const brtc_loop *loop, const pc_entry *e, const struct sockaddr_storage *to,
                       route *out) {
  brtc_addr dst;
  if (!brtc_addr_from_sockaddr(&dst, (const struct sockaddr *)to, sizeof(*to))) return false;
  const brtc_hash_slot *slot = brtc_addr_map_find(&loop->addrs, &dst);
  route r;
  if (slot) r = slot->aux;
  else if (e->has_last_from && brtc_addr_equal(&e->last_from, &dst)) r = e->last_route;
  else r = ROUTE(BRTC_LOOP_MAX_SOCKETS, ROUTE_NO_DST);
  if (ROUTE_SOCK(r) < loop->n_socks && loop->socks[ROUTE_SOCK(r)].family == to->ss_family) {
    *out = r;
    return true;
  }
  for (size_t i = 0; i < loop->n_socks; i++) {
    if (loop->socks[i].family == to->ss_family) {
      *out = ROUTE(i, ROUTE_NO_DST);
      return true;
    }
  }
  return false;
}

/* Index of a local destination address in loop->dsts, adding it when new; ROUTE_NO_DST
 * when the table is full (the kernel then picks the source). */
static uint32_t destination_index(brtc_loop *loop, const brtc_addr *dst) {
  /* Nearly every datagram goes to the same address as the one before. */
  if (loop->last_dst < loop->n_dsts && brtc_addr_equal(&loop->dsts[loop->last_dst], dst))
    return loop->last_dst;
  for (size_t i = 0; i < loop->n_dsts; i++) {
    if (brtc_addr_equal(&loop->dsts[i], dst)) {
      loop->last_dst = (uint32_t)i;
      return loop->last_dst;
    }
  }
  if (loop->n_dsts == MAX_DESTINATIONS) return ROUTE_NO_DST;
  loop->dsts[loop->n_dsts] = *dst;
  loop->last_dst = (uint32_t)loop->n_dsts++;
  return loop->last_dst;
}

/* Queue the datagram just written into tx slot `slot` for sending to its destination. */
static void queue_datagram(brtc_loop *loop, pc_entry *e, size_t slot, size_t len) {
  route r;
  if (!pick_route(loop, e, &loop->tx_to[slot], &r) || len == 0 || len > BRTC_LOOP_MAX_DATAGRAM) {
    loop->stats.send_errors++; /* no socket of that family */
    return;
  }
  uint32_t sock = ROUTE_SOCK(r);
  if (loop->n_tx > 0 && sock != loop->tx_sock) {
    /* A batch goes out of one socket: send what is queued, then move this one to slot 0. */
    send_batch(loop);
    memcpy(loop->tx_buf[0], loop->tx_buf[slot], len);
    loop->tx_to[0] = loop->tx_to[slot];
    slot = 0;
  }
  loop->tx_sock = sock;
  loop->tx_iov[slot].iov_len = len;
  struct msghdr *h = &loop->tx_msgs[slot].msg_hdr;
  h->msg_namelen = sockaddr_len(&loop->tx_to[slot]);
  h->msg_control = NULL;
  h->msg_controllen = 0;
  if (loop->socks[sock].wildcard && ROUTE_DST(r) < loop->n_dsts) {
    h->msg_control = &loop->tx_control[slot];
    h->msg_controllen = brtc_udp_set_source(h->msg_control, sizeof(loop->tx_control[slot]),
                                            &loop->dsts[ROUTE_DST(r)]);
    if (!h->msg_controllen) h->msg_control = NULL;
  }
  loop->n_tx = slot + 1;
}

/* Drain a pc (peer_connection.h's rule): datagrams into the send batch, events to the
 * owner's callback, and the deadline into the timer heap. The callback is the safe point:
 * the pc is between calls, and the owner may call into it, remove it and free it (e stays
 * until the end of the pass). events false: the pc is being removed, and only what it has to
 * send still goes. */
static void drain_pc(brtc_loop *loop, pc_entry *e, bool events) {
  for (size_t k = 0; k < MAX_DRAIN_PER_FLUSH && !e->removed; k++) {
    if (loop->n_tx == BRTC_LOOP_BATCH) send_batch(loop);
    size_t slot = loop->n_tx;
    brtc_output out = {.size = sizeof(out)};
    if (brtc_pc_poll_output(e->pc, loop->tx_buf[slot], BRTC_LOOP_MAX_DATAGRAM, &out) != BRTC_OK)
      return; /* cannot happen with our buffer; the old deadline stands */
    if (out.kind == BRTC_OUTPUT_TIMEOUT) {
      if (events) brtc_timer_heap_update(&loop->timers, &e->timer, out.deadline_us);
      if (events) brtc_mdns_resolver_note_pc(&loop->mdns, loop, e->pc);
      return;
    }
    if (out.kind == BRTC_OUTPUT_TRANSMIT) {
      brtc_datagram_kind kind = brtc_datagram_kind_of(out.data, out.len);
      if (kind == BRTC_DGRAM_ALLOCATION) { /* the pc's own 5-tuple to its TURN server */
        (void)brtc_relay_send(loop->relay, &e->relay, e->pc, out.data, out.len, &out.remote,
                              &out.source, out.via);
        continue;
      }
      if (kind == BRTC_DGRAM_REQUEST) /* its answer comes back to this pc (stun_route.h) */
        (void)brtc_stun_route_note(&loop->txns, out.data, out.len, e, brtc_now_us());
      if (brtc_ice_tcp_send(loop->ice_tcp, &out.remote, out.data, out.len)) continue;
      loop->tx_to[slot] = out.remote;
      queue_datagram(loop, e, slot, out.len);
    } else if (out.kind == BRTC_OUTPUT_EVENT && events && e->on_event) {
      e->on_event(loop, e->pc, &out, e->user);
    }
  }
  /* Stopped early (a pc that never stops producing): come back at once. */
  if (!e->removed && events) brtc_timer_heap_update(&loop->timers, &e->timer, 0);
}

static void register_ufrag(brtc_loop *loop, pc_entry *e);

/* Bound on pcs drained per settle: a callback that keeps calling into its pc cannot hang
 * the pass; what is left is drained in the next pass, which does not wait. */
#define MAX_READY_PER_SETTLE(loop) ((loop)->n_pcs * 4 + 64)

/* Drain every pc that has output (the ready list), then send the batch. Called after each
 * receive batch, after the timers and at the end of the pass. */
static void settle_ready(brtc_loop *loop) {
  loop->dispatching++; /* a callback may remove a pc meanwhile: entries are freed later */
  for (size_t k = MAX_READY_PER_SETTLE(loop); k > 0; k--) {
    brtc_ready_node *n = brtc_ready_pop(&loop->ready);
    if (!n) break;
    pc_entry *e = n->tag;
    if (!e || e->removed) continue;
    register_ufrag(loop, e);
    drain_pc(loop, e, true);
  }
  if (loop->n_tx) send_batch(loop);
  brtc_relay_flush(loop->relay);
  loop->dispatching--;
}

/* ---- receiving ---- */

static void deliver(brtc_loop *loop, pc_entry *e, const uint8_t *data, size_t len,
                    const brtc_addr *from, uint64_t now) {
  int rc = brtc_pc_handle_datagram(e->pc, data, len, &from->u.sa, now);
  if (rc < 0) loop->stats.dropped_by_pc++;
}

/* The pc whose ufrag a Binding request names first in USERNAME "ours:theirs" (RFC 8445
 * 7.2.2), or NULL. */
static pc_entry *named_pc(const brtc_loop *loop, const brtc_stun_msg *msg) {
  const uint8_t *colon = msg->username ? memchr(msg->username, ':', msg->username_len) : NULL;
  if (!colon || colon == msg->username) return NULL;
  return brtc_ufrag_map_find(&loop->ufrags, msg->username, (size_t)(colon - msg->username));
}

/* A datagram from an address no pc owns: only a STUN Binding request naming a pc's ufrag
 * (USERNAME "ours:theirs", RFC 8445 7.2.2), or the response to a request a pc sent (its
 * transaction ID, stun_route.h: a STUN server's answer, or a lite peer's to a check), gets
 * through. Anything else gets no answer. */
static void handle_unknown_source(brtc_loop *loop, route r, const uint8_t *data, size_t len,
                                  const brtc_addr *from, brtc_demux_class cls, uint64_t now) {
  if (cls != BRTC_DEMUX_STUN) {
    loop->stats.dropped_unknown_source++;
    return;
  }
  brtc_stun_msg msg;
  if (brtc_stun_parse(data, len, &msg) != BRTC_OK) {
    loop->stats.dropped_malformed++;
    return;
  }
  pc_entry *e = NULL;
  if (msg.type & 0x0100) { /* RFC 8489 5 and 6.3.3: a response, matched by transaction */
    e = brtc_stun_route_find(&loop->txns, data, len, now);
  } else if (msg.type == BRTC_STUN_BINDING_REQUEST) {
    e = named_pc(loop, &msg);
  }
  if (!e && msg.type != BRTC_STUN_BINDING_REQUEST) {
    loop->stats.dropped_unknown_source++;
    return;
  }
  if (!e) {
    loop->stats.dropped_unknown_ufrag++;
    return;
  }
  e->last_from = *from;
  e->last_route = r;
  e->has_last_from = true;
  deliver(loop, e, data, len, from, now);
  /* Once the check passed, the address belongs to this pc: later media goes straight there. */
  if (!e->removed && brtc_pc_owns_address(e->pc, &from->u.sa)) {
    if (brtc_addr_map_put(&loop->addrs, from, e, r) != BRTC_OK)
      log_error(loop, "address table", ENOMEM);
  }
}

/* A Binding request from an address a pc owns but naming another ufrag: a new session from
 * the same address (a reused port, or the same NAT mapping), or someone spoofing that
 * address. It may reach the pc it names, which then takes the address over, only once the
 * owner is closed or its consent for the address has lapsed (see refuse_move). Only Binding
 * requests are parsed here, and those are rare next to media. */
static bool names_other_pc(const pc_entry *owner, const uint8_t *data, size_t len) {
  if (len < BRTC_STUN_HEADER_SIZE || data[0] != 0x00 || data[1] != 0x01) return false;
  brtc_stun_msg msg;
  if (brtc_stun_parse(data, len, &msg) != BRTC_OK || !msg.username) return false;
  const uint8_t *colon = memchr(msg.username, ':', msg.username_len);
  size_t ufrag_len = colon ? (size_t)(colon - msg.username) : msg.username_len;
  return !owner->ufrag || ufrag_len != owner->ufrag_len ||
         memcmp(msg.username, owner->ufrag, ufrag_len) != 0;
}

/* A check naming another pc from an address whose owner still has its consent: the address
 * is that session's peer, and moving it (or even making it a candidate pair of the pc named)
 * would let anyone who can spoof it black-hole the session's media and aim our DTLS at it
 * (RFC 7675 consent is per pair; RFC 8445 7.3 moves a pair only within its own agent).
 * Dropped unanswered and counted; logged once per pc named. */
static void refuse_move(brtc_loop *loop, const uint8_t *data, size_t len, const brtc_addr *from) {
  brtc_stun_msg msg;
  pc_entry *e = brtc_stun_parse(data, len, &msg) == BRTC_OK ? named_pc(loop, &msg) : NULL;
  if (!e) {
    loop->stats.dropped_unknown_ufrag++;
    return;
  }
  loop->stats.dropped_address_in_use++;
  if (e->move_refused) return;
  e->move_refused = true;
  char addr[BRTC_ADDR_STRLEN];
  brtc_log(BRTC_LOG_WARN, NULL,
           "ICE checks for ufrag %s from %s refused: that address is the peer of another session "
           "whose consent holds (counted in udp.dropped_address_in_use, logged once)",
           e->ufrag ? e->ufrag : "?", brtc_addr_str(from, addr, sizeof(addr)));
}

static void handle_datagram(brtc_loop *loop, route r, const uint8_t *data, size_t len,
                            const struct sockaddr_storage *from_ss, socklen_t from_len,
                            uint64_t now) {
  brtc_addr from;
  if (!brtc_addr_from_sockaddr(&from, (const struct sockaddr *)from_ss, from_len)) {
    loop->stats.dropped_malformed++;
    return;
  }
  if (loop->loopback_only && !brtc_addr_is_loopback(&from)) {
    loop->stats.dropped_not_loopback++;
    return;
  }
  brtc_demux_class cls = brtc_demux_classify(data, len);
  if (cls == BRTC_DEMUX_OTHER) { /* TURN ChannelData comes on its pc's own socket */
    loop->stats.dropped_malformed++;
    return;
  }
  brtc_hash_slot *slot = brtc_addr_map_find(&loop->addrs, &from);
  if (slot && cls == BRTC_DEMUX_STUN && names_other_pc(slot->value, data, len)) {
    const pc_entry *owner = slot->value;
    if (brtc_pc_consent_holds(owner->pc, &from.u.sa, now)) {
      refuse_move(loop, data, len, &from);
      return;
    }
    slot = NULL; /* the owner is closed or its consent lapsed: the address may move */
  }
  if (slot) {
    slot->aux = r;
    deliver(loop, slot->value, data, len, &from, now);
    return;
  }
  handle_unknown_source(loop, r, data, len, &from, cls, now);
}

/* Read one socket until it is empty or has had RECV_ROUNDS batches. */
static void receive(brtc_loop *loop, uint32_t sock) {
  int fd = loop->socks[sock].fd;
  bool wildcard = loop->socks[sock].wildcard;
  for (int round = 0; round < RECV_ROUNDS; round++) {
    for (size_t i = 0; i < BRTC_LOOP_BATCH; i++) {
      struct msghdr *h = &loop->rx_msgs[i].msg_hdr;
      h->msg_namelen = sizeof(loop->rx_from[i]);
      h->msg_flags = 0;
      bool control = wildcard || loop->gro_rx;
      h->msg_control = control ? &loop->rx_control[i] : NULL;
      h->msg_controllen = control ? sizeof(loop->rx_control[i]) : 0;
    }
    int n = recvmmsg(fd, loop->rx_msgs, BRTC_LOOP_BATCH, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) log_error(loop, "recvmmsg", errno);
      return;
    }
    uint64_t now = brtc_now_us();
    loop->pass_datagrams += (size_t)n;
    for (int i = 0; i < n; i++) {
      const struct mmsghdr *m = &loop->rx_msgs[i];
      loop->stats.bytes_in += m->msg_len;
      if (m->msg_hdr.msg_flags & MSG_TRUNC) { /* larger than any datagram we accept */
        loop->stats.datagrams_in++;
        loop->stats.dropped_malformed++;
        continue;
      }
      uint32_t dst = ROUTE_NO_DST;
      brtc_addr local;
      if (wildcard && brtc_udp_destination(&m->msg_hdr, &local)) dst = destination_index(loop, &local);
      /* With GRO, one buffer may be a run of datagrams from this source (udp_gro.h). */
      brtc_udp_segments seg;
      brtc_udp_segments_init(&seg, m->msg_hdr.msg_iov->iov_base, m->msg_len,
                             loop->gro_rx ? brtc_udp_gro_segment_size(&m->msg_hdr) : 0);
      const uint8_t *data;
      size_t len;
      uint64_t before = loop->stats.datagrams_in;
      while (brtc_udp_segments_next(&seg, &data, &len)) {
        loop->stats.datagrams_in++;
        if (len > BRTC_LOOP_MAX_DATAGRAM) { /* GRO's large buffers leave MSG_TRUNC unset */
          loop->stats.dropped_malformed++;
          continue;
        }
        handle_datagram(loop, ROUTE(sock, dst), data, len, &loop->rx_from[i],
                        m->msg_hdr.msg_namelen, now);
      }
      if (loop->stats.datagrams_in - before > 1) {
        loop->stats.gro_reads++;
        loop->stats.gro_datagrams += loop->stats.datagrams_in - before;
      }
    }
    settle_ready(loop);
    if (n < BRTC_LOOP_BATCH) return;
  }
  loop->rx_left = true;
}

static void run_timers(brtc_loop *loop) {
  uint64_t now = brtc_now_us();
  size_t n = brtc_timer_heap_collect_due(&loop->timers, now, loop->due, loop->cap_pcs);
  for (size_t i = 0; i < n; i++) {
    pc_entry *e = (pc_entry *)loop->due[i];
    if (e->removed) continue;
    (void)brtc_pc_handle_timeout(e->pc, now);
  }
  settle_ready(loop);
}

static void free_entry(pc_entry *e) {
  free(e->ufrag);
  free(e);
}

static void reap_dead(brtc_loop *loop) {
  while (loop->dead) {
    pc_entry *e = loop->dead;
    loop->dead = e->next_dead;
    free_entry(e);
  }
}

/* ---- public API ---- */

brtc_loop *brtc_loop_new(const brtc_loop_config *config, char *err, size_t err_cap) {
  char dummy[8];
  if (!err) {
    err = dummy;
    err_cap = sizeof(dummy);
  }
  if (err_cap) err[0] = '\0';
  /* No UDP address is fine: a loop for TCP, timers and watches only (`boltrtc turn`). */
  if (!config) {
    snprintf(err, err_cap, "no config (brtc_loop_config_new)");
    return NULL;
  }
  brtc_loop *loop = calloc(1, sizeof(*loop));
  if (!loop) {
    snprintf(err, err_cap, "out of memory");
    return NULL;
  }
  loop->epfd = loop->timerfd = loop->wakefd = -1;
  for (size_t i = 0; i < BRTC_LOOP_MAX_SOCKETS; i++) loop->socks[i].fd = -1;
  loop->loopback_only = config->loopback_only;
  loop->hold_us = config->batch_hold_us;
  loop->armed_deadline = UINT64_MAX;
  atomic_init(&loop->stop, false);
  brtc_addr_map_init(&loop->addrs);
  brtc_stun_route_init(&loop->txns);
  brtc_ufrag_map_init(&loop->ufrags);
  brtc_timer_heap_init(&loop->timers);
  brtc_udp_sender_init(&loop->sender, !config->no_gso);
  if (config->gro && !(loop->gro_rx = malloc((size_t)BRTC_LOOP_BATCH * BRTC_GRO_BUFFER_BYTES))) {
    snprintf(err, err_cap, "out of memory");
    goto fail;
  }

  for (size_t i = 0; i < BRTC_LOOP_BATCH; i++) {
    loop->rx_iov[i].iov_base =
        loop->gro_rx ? loop->gro_rx + i * (size_t)BRTC_GRO_BUFFER_BYTES : loop->rx_buf[i];
    loop->rx_iov[i].iov_len = loop->gro_rx ? BRTC_GRO_BUFFER_BYTES : BRTC_LOOP_MAX_DATAGRAM;
    loop->rx_msgs[i].msg_hdr.msg_iov = &loop->rx_iov[i];
    loop->rx_msgs[i].msg_hdr.msg_iovlen = 1;
    loop->rx_msgs[i].msg_hdr.msg_name = &loop->rx_from[i];
    loop->tx_iov[i].iov_base = loop->tx_buf[i];
    loop->tx_msgs[i].msg_hdr.msg_iov = &loop->tx_iov[i];
    loop->tx_msgs[i].msg_hdr.msg_iovlen = 1;
    loop->tx_msgs[i].msg_hdr.msg_name = &loop->tx_to[i];
  }

  loop->relay = brtc_relay_io_new(loop);
  if (!loop->relay) {
    snprintf(err, err_cap, "out of memory");
    goto fail;
  }
  loop->epfd = epoll_create1(EPOLL_CLOEXEC);
  loop->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  loop->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (loop->epfd < 0 || loop->timerfd < 0 || loop->wakefd < 0) {
    snprintf(err, err_cap, "epoll/timerfd/eventfd: %s", strerror(errno));
    goto fail;
  }
  struct epoll_event ev = {.events = EPOLLIN};
  ev.data.u64 = TAG_TIMER;
  if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->timerfd, &ev) != 0) goto fail_epoll;
  ev.data.u64 = TAG_WAKE;
  if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->wakefd, &ev) != 0) goto fail_epoll;
  loop->io = brtc_loop_io_new(loop, loop->epfd);
  if (!loop->io) {
    snprintf(err, err_cap, "out of memory");
    goto fail;
  }

  for (size_t i = 0; i < config->n_udp_addrs; i++) {
    loop_socket *s = &loop->socks[i];
    int fd = brtc_udp_open(config->udp_addrs[i], &s->bound, err, err_cap);
    if (fd < 0) goto fail;
    s->fd = fd;
    s->family = brtc_addr_family(&s->bound);
    s->wildcard = brtc_udp_is_wildcard(&s->bound);
    loop->n_socks++;
    if (loop->gro_rx && !brtc_udp_gro_enable(fd)) log_error(loop, "UDP_GRO", errno);
    ev.data.u64 = i;
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) goto fail_epoll;
    loop->n_local += brtc_udp_reachable_addrs(&s->bound, loop->local + loop->n_local,
                                              MAX_LOCAL_ADDRS - loop->n_local);
  }
  return loop;

fail_epoll:
  snprintf(err, err_cap, "epoll_ctl: %s", strerror(errno));
fail:
  brtc_loop_free(loop);
  return NULL;
}

void brtc_loop_free(brtc_loop *loop) {
  if (!loop) return;
  for (size_t i = 0; loop->relay && i < loop->n_pcs; i++)
    brtc_relay_set_close(loop->relay, &loop->pcs[i]->relay); /* their watches are loop->io's */
  brtc_ice_tcp_free(loop->ice_tcp); /* its connections are on loop->io */
  brtc_mdns_resolver_free(loop->mdns); /* its socket and timer too */
  brtc_loop_io_free(loop->io); /* before the epoll fd: it unregisters from it */
  for (size_t i = 0; i < BRTC_LOOP_MAX_SOCKETS; i++)
    if (loop->socks[i].fd >= 0) close(loop->socks[i].fd);
  if (loop->timerfd >= 0) close(loop->timerfd);
  if (loop->wakefd >= 0) close(loop->wakefd);
  if (loop->epfd >= 0) close(loop->epfd);
  for (size_t i = 0; i < loop->n_pcs; i++) {
    /* The pcs outlive the loop: no list of it may stay in them. */
    brtc_ready_attach(brtc_pc_ready_node(loop->pcs[i]->pc), NULL, NULL);
    free_entry(loop->pcs[i]);
  }
  reap_dead(loop);
  free(loop->pcs);
  free(loop->due);
  brtc_addr_map_free(&loop->addrs);
  brtc_stun_route_free(&loop->txns);
  brtc_relay_io_free(loop->relay);
  brtc_ufrag_map_free(&loop->ufrags);
  brtc_timer_heap_free(&loop->timers);
  free(loop->gro_rx);
  free(loop);
}

size_t brtc_loop_local_addrs(const brtc_loop *loop, const struct sockaddr_storage **addrs) {
  *addrs = loop->local;
  return loop->n_local;
}

int brtc_loop_config_pc(const brtc_loop *loop, brtc_pc_config *pc_config) {
  if (!loop || !pc_config) return BRTC_ERR_INVALID;
  for (size_t i = 0; i < loop->n_local; i++) {
    int rc = brtc_pc_config_add_host_address(pc_config, (const struct sockaddr *)&loop->local[i]);
    if (rc != BRTC_OK) return rc;
  }
  return brtc_ice_tcp_config_pc(loop->ice_tcp, pc_config);
}

static pc_entry *find_entry(const brtc_loop *loop, const brtc_pc *pc) {
  for (size_t i = 0; i < loop->n_pcs; i++)
    if (loop->pcs[i]->pc == pc) return loop->pcs[i];
  return NULL;
}

/* The ufrag may only be known once the pc has made its answer, and changes with an ICE
 * restart: (re)register it whenever the pc is kicked. */
static void register_ufrag(brtc_loop *loop, pc_entry *e) {
  const char *ufrag = brtc_pc_local_ufrag(e->pc);
  if (!ufrag || !*ufrag) return;
  size_t len = strlen(ufrag);
  if (e->ufrag && e->ufrag_len == len && memcmp(e->ufrag, ufrag, len) == 0) return;
  char *copy = malloc(len + 1);
  if (!copy) return;
  memcpy(copy, ufrag, len + 1);
  if (brtc_ufrag_map_put(&loop->ufrags, copy, len, e) != BRTC_OK) {
    brtc_log(BRTC_LOG_WARN, NULL, "ICE ufrag %s already in use by another peer connection", copy);
    free(copy);
    return;
  }
  if (e->ufrag) {
    brtc_ufrag_map_remove(&loop->ufrags, e->ufrag, e->ufrag_len);
    free(e->ufrag);
  }
  e->ufrag = copy;
  e->ufrag_len = len;
}

static int grow_pcs(brtc_loop *loop) {
  if (loop->n_pcs < loop->cap_pcs) return BRTC_OK;
  size_t cap = loop->cap_pcs ? loop->cap_pcs * 2 : 16;
  pc_entry **pcs = realloc(loop->pcs, cap * sizeof(*pcs));
  if (!pcs) return BRTC_ERR_NOMEM;
  loop->pcs = pcs;
  brtc_timer **due = realloc(loop->due, cap * sizeof(*due));
  if (!due) return BRTC_ERR_NOMEM;
  loop->due = due;
  loop->cap_pcs = cap;
  return BRTC_OK;
}

int brtc_loop_add_pc(brtc_loop *loop, brtc_pc *pc, brtc_pc_event_fn on_event, void *user) {
  if (!loop || !pc) return BRTC_ERR_INVALID;
  if (find_entry(loop, pc)) return BRTC_ERR_STATE;
  int rc = grow_pcs(loop);
  if (rc) return rc;
  rc = brtc_addr_map_reserve(&loop->addrs, (loop->n_pcs + 1) * ADDRS_PER_PC);
  if (rc) return rc;
  pc_entry *e = calloc(1, sizeof(*e));
  if (!e) return BRTC_ERR_NOMEM;
  e->pc = pc;
  e->on_event = on_event;
  e->user = user;
  e->timer.deadline = UINT64_MAX; /* the drain below sets it */
  rc = brtc_timer_heap_push(&loop->timers, &e->timer);
  if (rc) {
    free(e);
    return rc;
  }
  e->index = loop->n_pcs;
  loop->pcs[loop->n_pcs++] = e;
  register_ufrag(loop, e);
  brtc_ready_attach(brtc_pc_ready_node(pc), &loop->ready, e);
  /* Drained at once, so that what signaling made of it (its journey's first steps) reaches
   * the owner before the owner answers its peer. */
  loop->dispatching++;
  drain_pc(loop, e, true);
  if (loop->n_tx) send_batch(loop);
  brtc_relay_flush(loop->relay);
  loop->dispatching--;
  if (!loop->dispatching) reap_dead(loop);
  rearm(loop);
  return BRTC_OK;
}

void brtc_loop_remove_pc(brtc_loop *loop, brtc_pc *pc) {
  if (!loop || !pc) return;
  pc_entry *e = find_entry(loop, pc);
  if (!e) return;
  brtc_ready_attach(brtc_pc_ready_node(pc), NULL, NULL);
  /* What the pc still has to send goes (a close's RTCP BYE and close_notify); its events
   * not yet handed out are dropped, since the owner is done with it. */
  drain_pc(loop, e, false);
  if (loop->n_tx) send_batch(loop);
  brtc_addr_map_remove_value(&loop->addrs, e);
  brtc_stun_route_forget(&loop->txns, e);
  brtc_relay_set_close(loop->relay, &e->relay);
  if (e->ufrag) brtc_ufrag_map_remove(&loop->ufrags, e->ufrag, e->ufrag_len);
  brtc_timer_heap_remove(&loop->timers, &e->timer);
  pc_entry *last = loop->pcs[--loop->n_pcs];
  loop->pcs[e->index] = last;
  last->index = e->index;
  /* Still referenced from the due list or a drain while dispatching: free it afterwards. */
  e->removed = true;
  e->next_dead = loop->dead;
  loop->dead = e;
  if (!loop->dispatching) reap_dead(loop);
  rearm(loop);
}

int brtc_loop_fd(const brtc_loop *loop) { return loop->epfd; }

brtc_loop_io *brtc_loop_io_of(brtc_loop *loop) { return loop->io; }

void brtc_loop_rearm(brtc_loop *loop) { rearm(loop); }

brtc_ice_tcp **brtc_loop_ice_tcp_slot(brtc_loop *loop) { return &loop->ice_tcp; }
const brtc_ice_tcp *brtc_loop_ice_tcp_get(const brtc_loop *loop) { return loop->ice_tcp; }

/* The mDNS resolver's outcome for name, to every pc (those that do not hold it ignore it). */
void brtc_loop_mdns_result(brtc_loop *loop, const char *name, const struct sockaddr *ip) {
  for (size_t i = 0; i < loop->n_pcs; i++)
    (void)brtc_pc_resolve_hostname(loop->pcs[i]->pc, name, ip);
}

/* A datagram framed on an ICE-TCP stream: routed as if a socket had read it, by no socket. */
void brtc_loop_stream_datagram(brtc_loop *loop, const uint8_t *data, size_t len,
                               const brtc_addr *from, uint64_t now) {
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof(ss));
  memcpy(&ss, &from->u, brtc_addr_len(from));
  handle_datagram(loop, ROUTE(BRTC_LOOP_MAX_SOCKETS, ROUTE_NO_DST), data, len, &ss,
                  brtc_addr_len(from), now);
}

int brtc_loop_next_timeout_ms(const brtc_loop *loop) {
  if (brtc_ready_any(&loop->ready)) return 0; /* a pc was called outside a pass */
  uint64_t when = earliest_deadline(loop);
  if (when == UINT64_MAX) return -1;
  uint64_t now = brtc_now_us();
  if (when <= now) return 0;
  uint64_t ms = (when - now + 999) / 1000;
  return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Datagrams this dense: the last pass read at least HOLD_MIN_BATCH of them, or began within
 * an eighth of the hold after the pass before it (each wake-up then finds one or two). */
#define HOLD_MIN_BATCH 4

/* Interrupt moderation: while datagrams arrive densely, sleep until batch_hold_us after the
 * last pass began (never past a deadline or the caller's timeout), so the next wake-up drains
 * what came meanwhile. One timed sleep replaces many wake-ups by the socket, each a context
 * switch. Returns what is left of the timeout for epoll_wait. */
static int hold_before_wait(brtc_loop *loop, int timeout_ms) {
  /* Never while a socket is behind: a burst (every publisher's keyframe at once) must be
   * read at full speed, or the socket's buffer overflows. */
  if (!loop->hold_us || timeout_ms == 0 || !loop->pass_datagrams || loop->rx_left)
    return timeout_ms;
  bool dense = loop->pass_datagrams >= HOLD_MIN_BATCH ||
               loop->pass_start - loop->prev_pass_start < loop->hold_us / 8;
  if (!dense) return timeout_ms;
  uint64_t now = brtc_now_us();
  uint64_t until = loop->pass_start + loop->hold_us;
  uint64_t deadline = earliest_deadline(loop);
  if (deadline < until) until = deadline;
  if (timeout_ms > 0 && now + (uint64_t)timeout_ms * 1000u < until)
    until = now + (uint64_t)timeout_ms * 1000u; /* the caller's timeout still bounds the call */
  if (now >= until) return timeout_ms;
  struct timespec ts = {.tv_sec = (time_t)(until / 1000000u),
                        .tv_nsec = (long)(until % 1000000u) * 1000};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
  }
  if (timeout_ms < 0) return timeout_ms;
  uint64_t slept_ms = (until - now) / 1000u;
  return slept_ms >= (uint64_t)timeout_ms ? 0 : timeout_ms - (int)slept_ms;
}

int brtc_loop_run_once(brtc_loop *loop, int timeout_ms) {
  if (!loop) return BRTC_ERR_INVALID;
  struct epoll_event events[MAX_EVENTS];
  timeout_ms = hold_before_wait(loop, timeout_ms);
  /* A pc called since the last pass (signaling, a keyframe request) has output: no waiting. */
  if (brtc_ready_any(&loop->ready)) timeout_ms = 0;
  int n = epoll_wait(loop->epfd, events, MAX_EVENTS, timeout_ms);
  if (n < 0) {
    if (errno == EINTR) return BRTC_OK;
    log_error(loop, "epoll_wait", errno);
    return BRTC_ERR_IO;
  }
  if (loop->hold_us) {
    loop->prev_pass_start = loop->pass_start;
    loop->pass_start = brtc_now_us();
    loop->pass_datagrams = 0;
    loop->rx_left = false;
  }
  loop->dispatching++;
  /* Pcs called since the last pass go first: their output (and a new ufrag) is out before
   * new input reaches them. */
  settle_ready(loop);
  brtc_loop_io_begin_pass(loop->io);
  uint64_t io_now = 0;
  for (int i = 0; i < n; i++) {
    uint64_t tag = events[i].data.u64;
    uint64_t drain;
    if (tag == TAG_TIMER) {
      if (read(loop->timerfd, &drain, sizeof(drain)) < 0) { /* EAGAIN: already consumed */
      }
      loop->armed_deadline = UINT64_MAX; /* fired: arm again below */
    } else if (tag == TAG_WAKE) {
      if (read(loop->wakefd, &drain, sizeof(drain)) < 0) {
      }
    } else if (tag < loop->n_socks) {
      receive(loop, (uint32_t)tag);
    } else if (tag >= TAG_IO_MIN) {
      if (!io_now) io_now = brtc_now_us();
      brtc_loop_io_dispatch(loop->io, events[i].data.ptr, events[i].events, io_now);
    }
  }
  run_timers(loop);
  brtc_loop_io_end_pass(loop->io, brtc_now_us());
  /* Pcs called during the pass by TCP endpoints, timers and watches (signaling), or by
   * their own event callbacks. */
  settle_ready(loop);
  loop->dispatching--;
  if (!loop->dispatching) reap_dead(loop);
  rearm(loop);
  return BRTC_OK;
}

int brtc_loop_run(brtc_loop *loop) {
  if (!loop) return BRTC_ERR_INVALID;
  while (!atomic_load(&loop->stop)) {
    int rc = brtc_loop_run_once(loop, -1);
    if (rc < 0) return rc;
  }
  atomic_store(&loop->stop, false);
  return BRTC_OK;
}

void brtc_loop_stop(brtc_loop *loop) {
  if (!loop) return;
  atomic_store(&loop->stop, true);
  uint64_t one = 1;
  if (write(loop->wakefd, &one, sizeof(one)) < 0) { /* counter full: already woken */
  }
}

/* The first version's size: a caller's struct may be newer and larger, never smaller. */
#define LOOP_STATS_V1_SIZE (offsetof(brtc_loop_stats, dropped_socket_full) + sizeof(uint64_t))

int brtc_loop_get_stats(const brtc_loop *loop, brtc_loop_stats *out) {
  if (!loop || !out || out->size < LOOP_STATS_V1_SIZE) return BRTC_ERR_INVALID;
  brtc_loop_stats full = loop->stats;
  full.size = out->size;
  full.dropped_socket_full = 0;
  for (size_t i = 0; i < loop->n_socks; i++)
    full.dropped_socket_full += brtc_udp_kernel_drops(loop->socks[i].fd);
  /* Only what the caller's struct has room for: it was compiled with its own sizeof. */
  memcpy(out, &full, out->size < sizeof(full) ? out->size : sizeof(full));
  return BRTC_OK;
}
