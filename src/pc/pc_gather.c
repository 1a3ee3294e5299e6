/* Gathering for a full agent (RFC 8445 5.1.1): server-reflexive candidates from STUN
 * Binding requests sent from each host address to each stun: server (5.1.1.2), with RFC
 * 8489 6.2.1's retransmissions; relayed ones come from pc_gather_turn.c. Each candidate
 * goes to the ICE agent, which pairs it from its base (6.1.2.4) and announces it; the
 * announcements become BRTC_EVENT_ICE_CANDIDATE (trickle, RFC 8838) once there is a local
 * description, and BRTC_EVENT_ICE_GATHERING_COMPLETE follows when every server answered or
 * gave up. A description written later carries every candidate known by then. */
#define PC_GATHER_INTERNAL
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/random.h"
#include "pc/pc_internal.h"
#include "stun/stun.h"

#define STUN_RTO_US 500000ull /* RFC 8489 6.2.1: the first RTO */
#define STUN_RC 7             /* transmissions in all */
#define STUN_RM 16            /* the last one waits Rm x RTO */

int pc_gather_new(brtc_pc *pc, const brtc_pc_config *config) {
  pc->gather = NULL;
  if (config->ice_lite) return BRTC_OK; /* a lite agent has host candidates only (2.5) */
  struct pc_gather *g = calloc(1, sizeof(*g));
  if (!g) return BRTC_ERR_NOMEM;
  memcpy(g->servers, config->ice_servers, sizeof(g->servers));
  g->n_servers = config->n_ice_servers;
  g->relay_only = config->relay_only;
  memcpy(g->tls_ca_file, config->tls_ca_file, sizeof g->tls_ca_file);
  pc->gather = g;
  return BRTC_OK;
}

void pc_gather_free(brtc_pc *pc) {
  if (!pc->gather) return;
  pc_turn_free(pc->gather);
  for (size_t i = 0; i < pc->gather->n_servers; i++)
    memset(pc->gather->servers[i].credential, 0, sizeof(pc->gather->servers[i].credential));
  free(pc->gather);
  pc->gather = NULL;
}

bool pc_gather_relay_only(const brtc_pc *pc) { return pc->gather && pc->gather->relay_only; }

/* A host address to send to `server` from: the same family, and loopback only toward
 * loopback (the kernel would not route it otherwise). */
static bool host_fits(const brtc_addr *host, const brtc_addr *server) {
  return brtc_addr_family(host) == brtc_addr_family(server) &&
         brtc_addr_is_loopback(host) == brtc_addr_is_loopback(server) &&
         brtc_addr_port(host) != 0;
}

static void start(brtc_pc *pc, struct pc_gather *g) {
  g->started = true;
  for (size_t s = 0; s < g->n_servers; s++) {
    const pc_ice_server *srv = &g->servers[s];
    for (size_t h = 0; h < pc->n_host_addrs; h++) {
      if (!host_fits(&pc->host_addrs[h], &srv->addr)) continue;
      if (srv->turn) { /* one allocation per server, from the first host address that fits */
        if (pc_turn_start(pc, g, s, h) != BRTC_OK)
          pc_emit_log(pc, "ICE: cannot start a TURN allocation (out of memory)");
        break;
      }
      if (g->relay_only || g->n_stun == PC_GATHER_MAX_STUN) break; /* srflx unused */
      pc_stun_txn *t = &g->stun[g->n_stun++];
      memset(t, 0, sizeof(*t));
      t->server = (uint8_t)s;
      t->host = (uint8_t)h;
      if (brtc_random_bytes(t->tid, sizeof(t->tid)) != BRTC_OK) {
        t->done = true;
        continue;
      }
      t->rto_us = STUN_RTO_US;
      t->due = true;
    }
  }
  pc_gather_check_done(pc);
}

void pc_gather_check_done(brtc_pc *pc) {
  struct pc_gather *g = pc->gather;
  if (!g || !g->started || g->ended) return;
  for (size_t i = 0; i < g->n_stun; i++)
    if (!g->stun[i].done) return;
  if (!pc_turn_settled(g)) return;
  g->ended = true;
  brtc_ice_transport_end_of_local_candidates(pc->ice, pc->now_us);
  pc->ice_dirty = true;
}

void pc_gather_add_candidate(brtc_pc *pc, brtc_ice_cand_type type, const brtc_addr *addr,
                             const brtc_addr *base, const brtc_addr *related,
                             const brtc_addr *server, uint32_t socket) {
  int rc = brtc_ice_transport_add_gathered_candidate(pc->ice, type, addr, base, related, server,
                                                     socket, pc->now_us);
  pc->ice_dirty = true;
  char a[BRTC_ADDR_STRLEN], s[BRTC_ADDR_STRLEN], line[192];
  snprintf(line, sizeof line, "ICE: %s candidate %s from %s%s%s",
           type == BRTC_ICE_CAND_RELAY ? "relayed" : "server-reflexive",
           brtc_addr_str(addr, a, sizeof a), brtc_addr_str(server, s, sizeof s),
           rc == BRTC_OK ? "" : " not added: ", rc == BRTC_OK ? "" : brtc_strerror(rc));
  pc_emit_log(pc, line);
}

/* ---- STUN Binding (RFC 8489) ---- */

/* The signalled line of `type` for addr is dropped (a restart found another mapping, or
 * another allocation); one already trickled counts as not given out, so the list's next
 * one still is. */
void pc_gather_forget_line(brtc_pc *pc, brtc_ice_cand_type type, const brtc_addr *addr) {
  struct pc_gather *g = pc->gather;
  size_t n_host = g->relay_only ? 0 : pc->n_host_addrs + pc->n_tcp_addrs;
  for (size_t i = 0; i < g->n_lines; i++) {
    brtc_ice_candidate c;
    if (brtc_ice_candidate_parse(g->lines[i], &c) != BRTC_OK || c.type != type ||
        !brtc_addr_equal(&c.addr, addr))
      continue;
    memmove(g->lines[i], g->lines[i + 1], (g->n_lines - i - 1) * sizeof g->lines[0]);
    g->n_lines--;
    if (g->n_emitted > n_host + i) g->n_emitted--;
    return;
  }
}

static void stun_answer(brtc_pc *pc, struct pc_gather *g, pc_stun_txn *t,
                        const brtc_stun_msg *msg) {
  t->done = true;
  t->due = false;
  const pc_ice_server *srv = &g->servers[t->server];
  const brtc_addr *base = &pc->host_addrs[t->host];
  if (msg->type != BRTC_STUN_BINDING_SUCCESS || !(msg->has_xor_mapped || msg->has_mapped)) {
    char s[BRTC_ADDR_STRLEN], line[128];
    snprintf(line, sizeof line, "ICE: STUN server %s answered with error %u",
             brtc_addr_str(&srv->addr, s, sizeof s), (unsigned)msg->error_code);
    pc_emit_log(pc, line);
    return;
  }
  const brtc_addr *mapped = msg->has_xor_mapped ? &msg->xor_mapped : &msg->mapped;
  /* After a restart: the same mapping as before is the candidate already signalled; a new
   * one replaces it in what we signal. */
  if (t->mapped_known && brtc_addr_equal(mapped, &t->mapped)) return;
  if (t->mapped_known) pc_gather_forget_line(pc, BRTC_ICE_CAND_SRFLX, &t->mapped);
  t->mapped_known = true;
  t->mapped = *mapped;
  /* RFC 8445 5.1.3: the same address as its base is redundant (no NAT on the way). */
  if (brtc_addr_equal(mapped, base)) return;
  pc_gather_add_candidate(pc, BRTC_ICE_CAND_SRFLX, mapped, base, base, &srv->addr, 0);
}

static bool stun_datagram(brtc_pc *pc, struct pc_gather *g, const uint8_t *data, size_t len,
                          const brtc_addr *from, int *rc) {
  if (len < BRTC_STUN_HEADER_SIZE || data[0] > 1) return false; /* not a response */
  brtc_stun_msg msg;
  if (brtc_stun_parse(data, len, &msg) != BRTC_OK) return false;
  if (msg.type != BRTC_STUN_BINDING_SUCCESS && msg.type != BRTC_STUN_BINDING_ERROR) return false;
  for (size_t i = 0; i < g->n_stun; i++) {
    pc_stun_txn *t = &g->stun[i];
    if (t->done || memcmp(t->tid, msg.transaction_id, sizeof t->tid) != 0 ||
        !brtc_addr_equal(&g->servers[t->server].addr, from))
      continue;
    stun_answer(pc, g, t, &msg);
    pc_gather_check_done(pc);
    *rc = BRTC_OK;
    return true;
  }
  return false; /* not ours: an ICE check's answer, perhaps */
}

static int stun_poll(brtc_pc *pc, struct pc_gather *g, uint8_t *out, size_t cap,
                     size_t *out_len, brtc_addr *to, brtc_addr *source) {
  for (size_t i = 0; i < g->n_stun; i++) {
    pc_stun_txn *t = &g->stun[i];
    if (!t->due || t->done) continue;
    brtc_stun_writer w;
    brtc_stun_writer_init(&w, out, cap, BRTC_STUN_BINDING_REQUEST, t->tid);
    size_t n = 0;
    t->due = false;
    if (brtc_stun_finish(&w, NULL, 0, true, &n) != BRTC_OK) continue;
    t->sent++;
    /* RFC 8489 6.2.1: RTO, 2 RTO, 4 RTO...; after the last, Rm x RTO for the answer. */
    t->next_us = pc->now_us + (t->sent == STUN_RC ? STUN_RTO_US * STUN_RM : t->rto_us);
    t->rto_us *= 2;
    *out_len = n;
    *to = g->servers[t->server].addr;
    *source = pc->host_addrs[t->host];
    return BRTC_OK;
  }
  return BRTC_ERR_AGAIN;
}

/* ---- trickle: the events ---- */

/* The mid of our local description's first m-section (the BUNDLE tag), once there is one.
 * An offer already answered is still our local description: an owner may set the answer
 * before it first drains the pc, and the candidates gathered meanwhile must still go out. */
static bool local_mid(brtc_pc *pc, struct pc_gather *g) {
  if (g->mid[0]) return true;
  const char *sdp = pc_offer_local_sdp(pc);
  if (!sdp) sdp = pc->answer;
  if (!sdp) sdp = pc_offer_last_sdp(pc);
  const char *m = sdp ? strstr(sdp, "\na=mid:") : NULL;
  if (!m) return false;
  m += 7;
  size_t n = strcspn(m, "\r\n");
  if (n == 0 || n >= sizeof g->mid) return false;
  memcpy(g->mid, m, n);
  g->mid[n] = '\0';
  return true;
}

static void push(brtc_pc *pc, struct pc_gather *g, brtc_event_type type, const char *line) {
  brtc_output ev = {.event = type, .step = PC_STEP_NONE, .detail = line, .mid = g->mid};
  (void)pc_push_event(pc, &ev);
}

static void emit(brtc_pc *pc, struct pc_gather *g) {
  if (g->done_emitted || !local_mid(pc, g)) return;
  size_t n_host = g->relay_only ? 0 : pc->n_host_addrs + pc->n_tcp_addrs;
  if (g->n_emitted == n_host + g->n_lines && !g->agent_done) return; /* nothing new */
  char host[PC_MAX_HOST_ADDRS + PC_MAX_TCP_ADDRS][PC_CANDIDATE_LEN];
  const char *cands[PC_MAX_HOST_ADDRS + PC_MAX_TCP_ADDRS];
  if (n_host) {
    n_host = pc_signaling_host_candidates(pc, host, cands);
    n_host += pc_ice_tcp_candidates(pc, host + n_host, cands + n_host, PC_MAX_TCP_ADDRS);
  }
  while (g->n_emitted < n_host + g->n_lines) {
    size_t i = g->n_emitted++;
    push(pc, g, BRTC_EVENT_ICE_CANDIDATE, i < n_host ? host[i] : g->lines[i - n_host]);
  }
  if (g->agent_done) {
    g->done_emitted = true;
    push(pc, g, BRTC_EVENT_ICE_GATHERING_COMPLETE, "");
  }
}

void pc_gather_ice_event(brtc_pc *pc, const brtc_ice_event *e) {
  struct pc_gather *g = pc->gather;
  if (!g) return;
  if (e->type == BRTC_ICE_EVENT_GATHERING_DONE) g->agent_done = true;
  if (e->type != BRTC_ICE_EVENT_LOCAL_CANDIDATE) return;
  if (e->candidate.type != BRTC_ICE_CAND_SRFLX && e->candidate.type != BRTC_ICE_CAND_RELAY)
    return; /* host ones are written as the descriptions write them; prflx never signalled */
  if (g->n_lines == PC_GATHER_MAX_LINES) return;
  char line[BRTC_ICE_CANDIDATE_LINE_MAX];
  if (brtc_ice_candidate_format(&e->candidate, line, sizeof line) != BRTC_OK ||
      strlen(line) >= PC_GATHER_LINE)
    return;
  memcpy(g->lines[g->n_lines++], line, strlen(line) + 1);
}

size_t pc_local_candidates(const brtc_pc *pc, char text[][PC_CANDIDATE_LEN], const char **cands) {
  const struct pc_gather *g = pc->gather;
  size_t n = g && g->relay_only ? 0 : pc_signaling_host_candidates(pc, text, cands);
  if (!(g && g->relay_only))
    n += pc_ice_tcp_candidates(pc, text + n, cands + n, PC_MAX_SDP_CANDIDATES - n);
  for (size_t i = 0; g && i < g->n_lines && n < PC_MAX_SDP_CANDIDATES; i++) {
    memcpy(text[n], g->lines[i], PC_CANDIDATE_LEN);
    cands[n] = text[n];
    n++;
  }
  return n;
}

bool pc_gather_complete(const brtc_pc *pc) {
  return !pc->gather || !pc->gather->n_servers || pc->gather->ended;
}

/* Each TURN allocation is checked with a Refresh (pc_turn_restart): a rebinding NAT leaves
 * it dead on the server (RFC 8656 2: an allocation is its 5-tuple), and then another is
 * made. Gathering is open until those and the Binding requests settle. */
void pc_gather_restart(brtc_pc *pc) {
  struct pc_gather *g = pc->gather;
  if (!g || !g->started || g->closing || (!g->n_stun && !g->n_turn)) return;
  size_t again = 0;
  for (size_t i = 0; i < g->n_stun; i++) {
    pc_stun_txn *t = &g->stun[i];
    if (brtc_random_bytes(t->tid, sizeof t->tid) != BRTC_OK) continue; /* keeps what it had */
    t->sent = 0;
    t->rto_us = STUN_RTO_US;
    t->next_us = 0;
    t->due = true;
    t->done = false;
    again++;
  }
  if (again)
    pc_emit_log(pc, "ICE restart: STUN Binding requests again for server-reflexive candidates");
  again += pc_turn_restart(pc, g);
  if (!again) return;
  g->ended = false; /* a description written now says no a=end-of-candidates */
  g->done_emitted = false;
  g->agent_done = false; /* the agent says it again once these settle */
  pc->ice_dirty = true;
}

/* ---- the pc's calls ---- */

bool pc_gather_datagram(brtc_pc *pc, const uint8_t *data, size_t len, const brtc_addr *from,
                        int *rc) {
  struct pc_gather *g = pc->gather;
  if (!g || !g->n_servers) return false;
  bool ours = false;
  for (size_t s = 0; s < g->n_servers && !ours; s++) ours = brtc_addr_equal(&g->servers[s].addr, from);
  if (!ours) return false;
  if (stun_datagram(pc, g, data, len, from, rc)) return true;
  return pc_turn_datagram(pc, g, data, len, from, rc);
}

int pc_gather_poll(brtc_pc *pc, uint8_t *out, size_t cap, size_t *out_len, brtc_addr *to,
                   brtc_addr *source) {
  struct pc_gather *g = pc->gather;
  if (!g) return BRTC_ERR_AGAIN;
  g->tx_via = BRTC_VIA_UDP; /* until a TURN server's own datagram says otherwise */
  if (pc->failed && !g->closing) pc_gather_close(pc); /* a failed pc keeps no allocation */
  if (!g->started && !g->closing) start(pc, g);
  if (!g->done_emitted) emit(pc, g);
  if (!g->n_servers) return BRTC_ERR_AGAIN;
  int rc = stun_poll(pc, g, out, cap, out_len, to, source);
  if (rc == BRTC_ERR_AGAIN) rc = pc_turn_poll(pc, g, out, cap, out_len, to, source);
  return rc;
}

void pc_gather_timeout(brtc_pc *pc) {
  struct pc_gather *g = pc->gather;
  if (!g || !g->n_servers) return;
  for (size_t i = 0; i < g->n_stun; i++) {
    pc_stun_txn *t = &g->stun[i];
    if (t->done || t->due || !t->sent || pc->now_us < t->next_us) continue;
    if (t->sent < STUN_RC) {
      t->due = true;
      continue;
    }
    t->done = true; /* RFC 8489 6.2.1: no answer after Rc transmissions */
    char s[BRTC_ADDR_STRLEN], line[128];
    snprintf(line, sizeof line, "ICE: STUN server %s did not answer (%u requests)",
             brtc_addr_str(&g->servers[t->server].addr, s, sizeof s), STUN_RC);
    pc_emit_log(pc, line);
  }
  pc_turn_timeout(pc, g);
  pc_gather_check_done(pc);
}

uint64_t pc_gather_deadline(const brtc_pc *pc) {
  const struct pc_gather *g = pc->gather;
  if (!g || !g->n_servers) return PC_NEVER;
  uint64_t d = PC_NEVER;
  for (size_t i = 0; i < g->n_stun; i++) {
    const pc_stun_txn *t = &g->stun[i];
    if (t->due) return pc->now_us;
    if (!t->done && t->sent && t->next_us < d) d = t->next_us;
  }
  uint64_t td = pc_turn_deadline(g);
  return td < d ? td : d;
}

const char *brtc_pc_tls_ca_file(const brtc_pc *pc) {
  return pc->gather && pc->gather->tls_ca_file[0] ? pc->gather->tls_ca_file : NULL;
}

brtc_transmit_via pc_gather_tx_via(const brtc_pc *pc) {
  return pc->gather ? pc->gather->tx_via : BRTC_VIA_UDP;
}

const brtc_addr *pc_gather_rx_local(const brtc_pc *pc) {
  return pc->gather && pc->gather->rx_relayed ? &pc->gather->rx_local : NULL;
}
