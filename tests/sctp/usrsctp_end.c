/* A usrsctp endpoint in memory: see usrsctp_end.h. */
#include "usrsctp_end.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <usrsctp.h>

#define PORT 5000

static bool g_init;
static uint64_t g_clock_us, g_ticked_ms;
static bool g_clock_started;

static int conn_output(void *addr, void *buffer, size_t length, uint8_t tos, uint8_t set_df) {
  (void)tos;
  (void)set_df;
  usrsctp_end *e = addr;
  if (length > sizeof e->out[0].data) return 0;
  if (e->out_n == e->out_cap) {
    size_t cap = e->out_cap ? e->out_cap * 2 : 64;
    usr_pkt *out = malloc(cap * sizeof *out);
    if (!out) return 0;
    for (size_t i = 0; i < e->out_n; i++) out[i] = e->out[(e->out_head + i) % e->out_cap];
    free(e->out);
    e->out = out;
    e->out_cap = cap;
    e->out_head = 0;
  }
  usr_pkt *p = &e->out[(e->out_head + e->out_n) % e->out_cap];
  memcpy(p->data, buffer, length);
  p->len = length;
  e->out_n++;
  return 0;
}

void usrsctp_end_global_init(void) {
  if (g_init) return;
  g_init = true;
  usrsctp_init_nothreads(0, conn_output, NULL);
  /* As libwebrtc configured it for data channels. */
  usrsctp_sysctl_set_sctp_ecn_enable(0);
  usrsctp_sysctl_set_sctp_pr_enable(1);
  usrsctp_sysctl_set_sctp_reconfig_enable(1);
  usrsctp_sysctl_set_sctp_blackhole(2);
}

/* usrsctp_clock.c, where linked in: usrsctp's wall clock follows the simulated one. */
__attribute__((weak)) void usrsctp_clock_set(uint64_t now_us);

void usrsctp_end_advance(uint64_t now_us) {
  if (usrsctp_clock_set) usrsctp_clock_set(now_us);
  if (!g_clock_started) {
    g_clock_started = true;
    g_clock_us = now_us;
    g_ticked_ms = now_us / 1000;
    return;
  }
  if (now_us <= g_clock_us) return;
  g_clock_us = now_us;
  uint64_t ms = now_us / 1000;
  while (ms > g_ticked_ms) {
    uint64_t d = ms - g_ticked_ms;
    uint32_t step = d > 1000000 ? 1000000 : (uint32_t)d;
    usrsctp_handle_timers(step);
    g_ticked_ms += step;
  }
}

uint64_t usrsctp_end_clock_us(void) { return g_clock_us; }

static void on_notification(usrsctp_end *e, const union sctp_notification *n, size_t len) {
  if (len < sizeof n->sn_header) return;
  switch (n->sn_header.sn_type) {
    case SCTP_ASSOC_CHANGE: {
      const struct sctp_assoc_change *c = &n->sn_assoc_change;
      if (c->sac_state == SCTP_COMM_UP) {
        e->up = true;
        e->assoc_id = c->sac_assoc_id;
        size_t info = c->sac_length > sizeof *c ? c->sac_length - sizeof *c : 0;
        for (size_t i = 0; i < info; i++) {
          if (c->sac_info[i] == SCTP_ASSOC_SUPPORTS_PR) e->peer_pr = true;
          if (c->sac_info[i] == SCTP_ASSOC_SUPPORTS_RE_CONFIG) e->peer_reconfig = true;
        }
      }
      if (c->sac_state == SCTP_RESTART) e->restarted = true;
      if (c->sac_state == SCTP_SHUTDOWN_COMP) e->shutdown_complete = true;
      if (c->sac_state == SCTP_COMM_LOST) e->lost = true;
      if (c->sac_state == SCTP_CANT_STR_ASSOC) e->cant_start = true;
      break;
    }
    case SCTP_STREAM_RESET_EVENT: {
      const struct sctp_stream_reset_event *r = &n->sn_strreset_event;
      size_t count = (r->strreset_length - sizeof *r) / sizeof(uint16_t);
      if (r->strreset_flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED))
        e->resets_failed++;
      else if (r->strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN)
        e->resets_in += (uint32_t)count;
      else if (r->strreset_flags & SCTP_STREAM_RESET_OUTGOING_SSN)
        e->resets_out += (uint32_t)count;
      if (count) e->last_reset_stream = r->strreset_stream_list[0];
      break;
    }
    case SCTP_REMOTE_ERROR:
      e->remote_errors++;
      break;
    default:
      break;
  }
}

static int receive_cb(struct socket *sock, union sctp_sockstore addr, void *data, size_t len,
                      struct sctp_rcvinfo rcv, int flags, void *ulp_info) {
  (void)sock;
  (void)addr;
  usrsctp_end *e = ulp_info;
  if (!data) return 1;
  if (flags & MSG_NOTIFICATION) {
    on_notification(e, data, len);
    free(data);
    return 1;
  }
  e->bytes_received += len;
  __typeof__(e->partial[0]) *part = &e->partial[rcv.rcv_sid % 16];
  if (!e->count_only) {
    if (part->len + len > part->cap) {
      size_t cap = (part->len + len) * 2;
      uint8_t *p = realloc(part->data, cap);
      if (!p) abort();
      part->data = p;
      part->cap = cap;
    }
    memcpy(part->data + part->len, data, len);
    part->len += len;
  }
  free(data);
  if (!(flags & MSG_EOR)) return 1;
  e->messages_received++;
  if (e->count_only) return 1;
  if (e->n_msgs == e->cap_msgs) {
    size_t cap = e->cap_msgs ? e->cap_msgs * 2 : 64;
    usr_msg *m = realloc(e->msgs, cap * sizeof *m);
    if (!m) abort();
    e->msgs = m;
    e->cap_msgs = cap;
  }
  usr_msg *m = &e->msgs[e->n_msgs++];
  m->stream = rcv.rcv_sid;
  m->ppid = ntohl(rcv.rcv_ppid); /* usrsctp hands the PPID in network order */
  m->unordered = (rcv.rcv_flags & SCTP_UNORDERED) != 0;
  m->len = part->len;
  m->data = malloc(part->len ? part->len : 1);
  if (!m->data) abort();
  memcpy(m->data, part->data, part->len);
  part->len = 0;
  return 1;
}

static int setopt(usrsctp_end *e, int level, int name, const void *v, socklen_t len) {
  if (usrsctp_setsockopt(e->sock, level, name, v, len) < 0) {
    fprintf(stderr, "usrsctp_setsockopt %d: %s\n", name, strerror(errno));
    return -1;
  }
  return 0;
}

int usrsctp_end_open(usrsctp_end *e, bool server, uint32_t mtu, uint32_t rcvbuf) {
  usrsctp_end_global_init();
  memset(e, 0, sizeof *e);
  e->server = server;
  usrsctp_register_address(e);
  e->sock = usrsctp_socket(AF_CONN, server ? SOCK_SEQPACKET : SOCK_STREAM, IPPROTO_SCTP,
                           receive_cb, NULL, 0, e);
  if (!e->sock) return -1;
  usrsctp_set_non_blocking(e->sock, 1);
  int buf = (int)rcvbuf;
  struct linger lg = {.l_onoff = 1, .l_linger = 0};
  struct sctp_assoc_value reset = {.assoc_id = SCTP_ALL_ASSOC,
                                   .assoc_value = SCTP_ENABLE_RESET_STREAM_REQ};
  int on = 1;
  struct sctp_initmsg init = {.sinit_num_ostreams = 65535, .sinit_max_instreams = 65535};
  struct sctp_rtoinfo rto = {.srto_assoc_id = SCTP_FUTURE_ASSOC,
                             .srto_initial = 1000, .srto_max = 60000, .srto_min = 400};
  struct sctp_paddrparams pp;
  memset(&pp, 0, sizeof pp);
  pp.spp_assoc_id = SCTP_FUTURE_ASSOC;
  pp.spp_flags = SPP_PMTUD_DISABLE;
  pp.spp_pathmtu = mtu;
  if (setopt(e, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf) ||
      setopt(e, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf) ||
      setopt(e, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) ||
      setopt(e, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &reset, sizeof reset) ||
      setopt(e, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof on) ||
      setopt(e, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof on) ||
      setopt(e, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof init) ||
      setopt(e, IPPROTO_SCTP, SCTP_RTOINFO, &rto, sizeof rto) ||
      setopt(e, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof pp))
    return -1;
  /* usrsctp hands a large message out in parts once this much of it is queued, and under
   * loss parts of messages on different streams then interleave in the callback with nothing
   * reliable to say which stream a part is from (seen here: an 89,512-byte message came out
   * as 66,508 bytes with MSG_EOR, the rest joined to the next). Past the largest message it
   * delivers whole messages only. */
  uint32_t pd = rcvbuf;
  if (setopt(e, IPPROTO_SCTP, SCTP_PARTIAL_DELIVERY_POINT, &pd, sizeof pd)) return -1;
  static const uint16_t events[] = {SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT,
                                    SCTP_REMOTE_ERROR, SCTP_SEND_FAILED_EVENT};
  for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
    struct sctp_event ev = {.se_assoc_id = SCTP_ALL_ASSOC, .se_type = events[i], .se_on = 1};
    if (setopt(e, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof ev)) return -1;
  }
  struct sockaddr_conn sc;
  memset(&sc, 0, sizeof sc);
  sc.sconn_family = AF_CONN;
  sc.sconn_port = htons(PORT);
  sc.sconn_addr = e;
  if (usrsctp_bind(e->sock, (struct sockaddr *)&sc, sizeof sc) < 0) return -1;
  if (server && usrsctp_listen(e->sock, 1) < 0) return -1;
  return 0;
}

int usrsctp_end_connect(usrsctp_end *e) {
  struct sockaddr_conn sc;
  memset(&sc, 0, sizeof sc);
  sc.sconn_family = AF_CONN;
  sc.sconn_port = htons(PORT);
  sc.sconn_addr = e;
  if (usrsctp_connect(e->sock, (struct sockaddr *)&sc, sizeof sc) < 0 && errno != EINPROGRESS)
    return errno;
  return 0;
}

void usrsctp_end_free_msgs(usrsctp_end *e) {
  for (size_t i = 0; i < e->n_msgs; i++) free(e->msgs[i].data);
  free(e->msgs);
  e->msgs = NULL;
  e->n_msgs = e->cap_msgs = 0;
}

void usrsctp_end_close(usrsctp_end *e) {
  if (e->sock) usrsctp_close(e->sock);
  e->sock = NULL;
  usrsctp_deregister_address(e);
  usrsctp_end_free_msgs(e);
  for (int i = 0; i < 16; i++) free(e->partial[i].data);
  memset(e->partial, 0, sizeof e->partial);
  free(e->out);
  e->out = NULL;
}

void usrsctp_end_input(usrsctp_end *e, const uint8_t *pkt, size_t len) {
  usrsctp_conninput(e, pkt, len, 0);
}

bool usrsctp_end_pop(usrsctp_end *e, uint8_t *buf, size_t cap, size_t *len) {
  if (!e->out_n) return false;
  usr_pkt *p = &e->out[e->out_head];
  e->out_head = (e->out_head + 1) % e->out_cap;
  e->out_n--;
  if (p->len > cap) return false;
  memcpy(buf, p->data, p->len);
  *len = p->len;
  return true;
}

int usrsctp_end_send(usrsctp_end *e, uint16_t stream, uint32_t ppid, bool unordered,
                     uint16_t pr_policy, uint32_t pr_value, const uint8_t *data, size_t len) {
  struct sctp_sendv_spa spa;
  memset(&spa, 0, sizeof spa);
  spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
  spa.sendv_sndinfo.snd_sid = stream;
  spa.sendv_sndinfo.snd_ppid = htonl(ppid);
  spa.sendv_sndinfo.snd_flags = (uint16_t)(SCTP_EOR | (unordered ? SCTP_UNORDERED : 0));
  spa.sendv_sndinfo.snd_assoc_id = e->server ? e->assoc_id : 0;
  if (pr_policy) {
    spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
    spa.sendv_prinfo.pr_policy = pr_policy;
    spa.sendv_prinfo.pr_value = pr_value;
  }
  if (usrsctp_sendv(e->sock, data, len, NULL, 0, &spa, sizeof spa, SCTP_SENDV_SPA, 0) < 0)
    return errno ? errno : EIO;
  return 0;
}

int usrsctp_end_reset(usrsctp_end *e, uint16_t stream) {
  size_t size = sizeof(struct sctp_reset_streams) + sizeof(uint16_t);
  struct sctp_reset_streams *r = calloc(1, size);
  if (!r) return ENOMEM;
  r->srs_assoc_id = e->server ? e->assoc_id : 0;
  r->srs_flags = SCTP_STREAM_RESET_OUTGOING;
  r->srs_number_streams = 1;
  r->srs_stream_list[0] = stream;
  int ret = usrsctp_setsockopt(e->sock, IPPROTO_SCTP, SCTP_RESET_STREAMS, r, (socklen_t)size);
  free(r);
  return ret < 0 ? errno : 0;
}

int usrsctp_end_shutdown(usrsctp_end *e) {
  if (!e->server) return usrsctp_shutdown(e->sock, SHUT_WR) < 0 ? errno : 0;
  struct sctp_sndinfo info = {.snd_flags = SCTP_EOF, .snd_assoc_id = e->assoc_id};
  static const uint8_t none[1];
  return usrsctp_sendv(e->sock, none, 0, NULL, 0, &info, sizeof info, SCTP_SENDV_SNDINFO, 0) < 0
             ? errno
             : 0;
}

void usrsctp_end_abort(usrsctp_end *e) {
  struct sctp_sndinfo info = {.snd_flags = SCTP_ABORT, .snd_assoc_id = e->server ? e->assoc_id : 0};
  static const uint8_t none[1];
  if (usrsctp_sendv(e->sock, none, 0, NULL, 0, &info, sizeof info, SCTP_SENDV_SNDINFO, 0) < 0)
    fprintf(stderr, "usrsctp abort: %s\n", strerror(errno));
}
