#include "fake_pc.h"

#include <stdlib.h>
#include <string.h>

#include "pc/pc_ready.h"
#include "stun/stun.h"

/* The loop's brtc_loop_config_pc calls it; no test here uses it. */
int brtc_pc_config_add_host_address(brtc_pc_config *c, const struct sockaddr *addr) {
  (void)c, (void)addr;
  return BRTC_ERR_UNSUPPORTED;
}
size_t brtc_pc_unresolved_hostnames(const brtc_pc *pc, const char **names, size_t cap) {
  (void)pc, (void)names, (void)cap;
  return 0;
}
int brtc_pc_resolve_hostname(brtc_pc *pc, const char *name, const struct sockaddr *ip) {
  (void)pc, (void)name, (void)ip;
  return BRTC_ERR_NOT_FOUND;
}
int brtc_pc_config_add_tcp_passive_address(brtc_pc_config *c, const struct sockaddr *addr) {
  (void)c, (void)addr;
  return BRTC_ERR_UNSUPPORTED;
}

void fake_pc_touch(brtc_pc *pc) { brtc_ready_mark(&pc->ready); }

brtc_ready_node *brtc_pc_ready_node(brtc_pc *pc) { return &pc->ready; }

brtc_pc *fake_pc_new(const char *ufrag) {
  brtc_pc *pc = calloc(1, sizeof(*pc));
  if (!pc) return NULL;
  strncpy(pc->ufrag, ufrag, sizeof(pc->ufrag) - 1);
  pc->deadline = UINT64_MAX;
  return pc;
}

void fake_pc_free(brtc_pc *pc) {
  if (pc) brtc_ready_unlink(&pc->ready);
  free(pc);
}

void fake_pc_queue(brtc_pc *pc, const void *data, size_t len, const brtc_addr *to) {
  if (pc->out_count == FAKE_PC_MAX_OUT || len > sizeof(pc->out[0].data)) return;
  fake_out *o = &pc->out[(pc->out_head + pc->out_count++) % FAKE_PC_MAX_OUT];
  memcpy(o->data, data, len);
  o->len = len;
  o->to = *to;
}

const char *brtc_pc_local_ufrag(const brtc_pc *pc) { return pc->ufrag; }

/* A Binding request naming our ufrag is taken as a passed check: own the address and
 * answer with a success response carrying the same transaction id. */
int brtc_pc_handle_datagram(brtc_pc *pc, const uint8_t *data, size_t len, const struct sockaddr *from,
                            uint64_t now_us) {
  (void)now_us;
  fake_pc_touch(pc);
  brtc_addr src;
  memset(&src, 0, sizeof(src));
  memcpy(&src.u, from, from->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                    : sizeof(struct sockaddr_in));
  pc->datagrams++;
  if (len > 0 && data[0] >= 128 && data[0] <= 191) {
    pc->rtp++;
    for (int i = 0; i < pc->echo_rtp; i++) fake_pc_queue(pc, data, len < 200 ? len : 200, &src);
    return BRTC_OK;
  }
  brtc_stun_msg msg;
  if (brtc_stun_parse(data, len, &msg) != BRTC_OK) return BRTC_ERR_PARSE;
  size_t ulen = strlen(pc->ufrag);
  if (msg.type != BRTC_STUN_BINDING_REQUEST || msg.username_len <= ulen ||
      memcmp(msg.username, pc->ufrag, ulen) != 0 || msg.username[ulen] != ':')
    return BRTC_ERR_AUTH;
  if (pc->n_owned < 4) pc->owned[pc->n_owned++] = src;
  uint8_t buf[200];
  brtc_stun_writer w;
  brtc_stun_writer_init(&w, buf, sizeof(buf), BRTC_STUN_BINDING_SUCCESS, msg.transaction_id);
  brtc_stun_add_xor_address(&w, BRTC_STUN_ATTR_XOR_MAPPED_ADDRESS, &src);
  size_t out_len = 0;
  if (brtc_stun_finish(&w, NULL, 0, true, &out_len) != BRTC_OK) return BRTC_ERR_INVALID;
  fake_pc_queue(pc, buf, out_len, &src);
  return BRTC_OK;
}

/* Datagrams first, then one EVENT_LOG per queued event (fake_pc_event), then the deadline,
 * as the real pc orders them. */
int brtc_pc_poll_output(brtc_pc *pc, uint8_t *buf, size_t cap, brtc_output *out) {
  if (out->size < sizeof(brtc_output)) return BRTC_ERR_INVALID;
  size_t size = out->size;
  memset(out, 0, sizeof(*out));
  out->size = size;
  if (pc->out_count) {
    fake_out *o = &pc->out[pc->out_head];
    if (o->len > cap) return BRTC_ERR_TOO_BIG;
    memcpy(buf, o->data, o->len);
    out->kind = BRTC_OUTPUT_TRANSMIT;
    out->data = buf;
    out->len = o->len;
    memcpy(&out->remote, &o->to.u, brtc_addr_len(&o->to));
    pc->out_head = (pc->out_head + 1) % FAKE_PC_MAX_OUT;
    pc->out_count--;
    return BRTC_OK;
  }
  if (pc->events) {
    pc->events--;
    out->kind = BRTC_OUTPUT_EVENT;
    out->event = BRTC_EVENT_LOG;
    out->detail = "fake";
    return BRTC_OK;
  }
  out->kind = BRTC_OUTPUT_TIMEOUT;
  out->deadline_us = pc->deadline;
  return BRTC_OK;
}

int brtc_pc_handle_timeout(brtc_pc *pc, uint64_t now_us) {
  fake_pc_touch(pc);
  if (now_us < pc->deadline) return BRTC_OK;
  pc->timeouts++;
  pc->deadline = UINT64_MAX;
  if (pc->has_timer_to) {
    uint8_t tick[24] = {0x80, 0x60}; /* looks like RTP to the receiving test socket */
    fake_pc_queue(pc, tick, sizeof(tick), &pc->timer_to);
  }
  return BRTC_OK;
}

bool brtc_pc_consent_holds(const brtc_pc *pc, const struct sockaddr *addr, uint64_t now_us) {
  (void)now_us;
  return pc->consent && brtc_pc_owns_address(pc, addr);
}

bool brtc_pc_owns_address(const brtc_pc *pc, const struct sockaddr *addr) {
  brtc_addr a;
  memset(&a, 0, sizeof(a));
  memcpy(&a.u, addr, addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                 : sizeof(struct sockaddr_in));
  for (size_t i = 0; i < pc->n_owned; i++)
    if (brtc_addr_equal(&pc->owned[i], &a)) return true;
  return false;
}

/* The loop's TURN-over-TLS connections ask which CAs to trust: the defaults here. */
const char *brtc_pc_tls_ca_file(const brtc_pc *pc) {
  (void)pc;
  return NULL;
}
