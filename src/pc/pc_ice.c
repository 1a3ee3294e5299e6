/* The pc's ICE agent: src/ice's brtc_ice_transport (RFC 8445), full (the default: it answers
 * checks and sends its own, triggered ones first, 7.3.1.4) or lite (2.5: answers only, for a
 * server on a public address), in either role. This file feeds it what the pc learns (host
 * addresses, the remote description, trickled candidates, STUN datagrams, time), hands its
 * datagrams to brtc_pc_poll_output, and turns what it reports into the pc's journey steps
 * (ice-check, ice-connected), where DTLS and RTCP go, and failure when consent lapses
 * (RFC 7675). */
#include <stdio.h>
#include <string.h>

#include "pc/pc_internal.h"

/* RFC 7675 5.1: a consent check every 5 s or so, disconnected after 2.5 s unanswered; a pc
 * given a shorter consent timeout (tests, a server that wants quiet sessions gone) checks
 * proportionally more often, so that consent can hold at all. */
static void consent_timers(brtc_ice_config *cfg, uint64_t timeout_us) {
  if (!timeout_us) return;
  cfg->consent_timeout_us = timeout_us;
  if (cfg->consent_interval_us > timeout_us / 6) cfg->consent_interval_us = timeout_us / 6;
  if (cfg->disconnected_after_us > timeout_us / 3) cfg->disconnected_after_us = timeout_us / 3;
  if (!cfg->consent_interval_us) cfg->consent_interval_us = 1;
  if (!cfg->disconnected_after_us) cfg->disconnected_after_us = 1;
}

int pc_ice_new(brtc_pc *pc, const brtc_pc_config *config, char *err, size_t err_cap) {
  brtc_ice_config cfg;
  brtc_ice_config_init(&cfg);
  cfg.lite = config->ice_lite;
  consent_timers(&cfg, config->consent_timeout_us);
  int rc = brtc_ice_transport_new(&cfg, pc->now_us, &pc->ice, err, err_cap);
  if (rc != BRTC_OK) return rc;
  /* The host candidates: the socket tag is the address's index (the owner's loop keeps one
   * socket per address; brtc_output.source says which). Unusable ones (a wildcard) are
   * still written into the answer as before, but take no part in checks. */
  for (size_t i = 0; i < pc->n_host_addrs && !config->relay_only; i++)
    (void)brtc_ice_transport_add_host_candidate(pc->ice, &pc->host_addrs[i], (uint32_t)i,
                                                pc->now_us);
  /* With STUN or TURN servers, pc_gather.c says when the last candidate is in. */
  if (config->ice_lite || !config->n_ice_servers)
    brtc_ice_transport_end_of_local_candidates(pc->ice, pc->now_us);
  pc->ice_state = BRTC_ICE_CONN_NEW;
  pc->ice_dirty = true;
  return BRTC_OK;
}

void pc_ice_free(brtc_pc *pc) {
  brtc_ice_transport_free(pc->ice);
  pc->ice = NULL;
}

int pc_ice_set_controlling(brtc_pc *pc, bool controlling) {
  if (!pc || !pc->ice || pc->ice_remote_set) return BRTC_ERR_STATE;
  pc->ice_dirty = true;
  return brtc_ice_transport_set_controlling(pc->ice, controlling);
}

const char *pc_ice_local_ufrag(const brtc_pc *pc) {
  return pc && pc->ice ? brtc_ice_transport_local_ufrag(pc->ice) : "";
}
const char *pc_ice_local_pwd(const brtc_pc *pc) {
  return pc && pc->ice ? brtc_ice_transport_local_pwd(pc->ice) : "";
}
bool pc_ice_is_lite(const brtc_pc *pc) { return brtc_ice_transport_is_lite(pc->ice); }

/* What the transport's state means for the pc, after every input. */
static void sync(brtc_pc *pc) {
  pc->ice_dirty = true; /* it may have something to send, and a new deadline */
  brtc_ice_conn_state s = brtc_ice_transport_get_state(pc->ice);
  brtc_ice_pair_info sel;
  bool selected = brtc_ice_transport_selected(pc->ice, &sel);
  if (selected && (!pc->have_media_addr || !brtc_addr_equal(&pc->media_addr, &sel.remote) ||
                   !brtc_addr_equal(&pc->media_source, &sel.base))) {
    pc->media_addr = sel.remote;
    pc->media_source = sel.base;
    pc->have_media_addr = true;
    pc_gather_selected(pc, &sel); /* a relayed pair gets a channel */
  }
  if (selected && !pc->steps_done[BRTC_STEP_ICE_CONNECTED]) {
    char addr[BRTC_ADDR_STRLEN], detail[192];
    /* The remote candidate's type says how the peer was known: signalled (host, srflx, relay,
     * a resolved mDNS name included) or only learned from its checks (prflx). */
    snprintf(detail, sizeof(detail), "nominated %s (%s ICE, %s), a %s remote candidate%s",
             brtc_addr_str(&sel.remote, addr, sizeof(addr)), pc_ice_is_lite(pc) ? "lite" : "full",
             brtc_ice_transport_is_controlling(pc->ice) ? "controlling" : "controlled",
             brtc_ice_cand_type_name(sel.remote_type),
             sel.local_type == BRTC_ICE_CAND_RELAY ? ", through our TURN relay" : "");
    pc_emit_step(pc, BRTC_STEP_ICE_CONNECTED, detail);
  }
  if (s != pc->ice_state) {
    brtc_ice_conn_state before = pc->ice_state;
    pc->ice_state = s;
    if (s == BRTC_ICE_CONN_FAILED && pc->steps_done[BRTC_STEP_ICE_CONNECTED]) {
      pc_fail(pc, "ICE consent expired");
      return;
    }
    /* Every pair failed before one was selected: a late check from the peer (a
     * peer-reflexive candidate) can still connect, so the set-up timeout decides. */
    if (s == BRTC_ICE_CONN_FAILED) pc_emit_log(pc, "ICE: every candidate pair failed so far");
    if (s == BRTC_ICE_CONN_DISCONNECTED)
      pc_emit_log(pc, "ICE disconnected: consent checks on the selected pair go unanswered");
    if (before == BRTC_ICE_CONN_DISCONNECTED && (s == BRTC_ICE_CONN_CONNECTED ||
                                                 s == BRTC_ICE_CONN_COMPLETED))
      pc_emit_log(pc, "ICE connected again: consent answered");
  }
  pc_transport_ice_ready(pc);
}

int pc_ice_set_remote(brtc_pc *pc, const char *ufrag, const char *pwd, bool remote_lite,
                      const char *const *candidates, size_t n, bool end_of_candidates) {
  int rc = brtc_ice_transport_set_remote_description(pc->ice, ufrag, pwd, remote_lite, candidates,
                                                     n, end_of_candidates, pc->now_us);
  if (rc != BRTC_OK) return rc;
  pc->ice_remote_set = true;
  pc_gather_remote_address(pc, NULL); /* relays permit the peer's addresses */
  sync(pc);
  return BRTC_OK;
}

void pc_ice_remote_ended(brtc_pc *pc) {
  brtc_ice_transport_end_of_remote_candidates(pc->ice, pc->now_us);
  sync(pc);
}

/* RFC 8838 8.2: end-of-candidates, as the W3C's empty candidate or as the attribute. */
static bool ends_candidates(const char *line) {
  return line[0] == '\0' || strcmp(line, "end-of-candidates") == 0 ||
         strcmp(line, "a=end-of-candidates") == 0;
}

/* "candidate:..." with its "a=" dropped, or NULL for a line that is no candidate. */
static const char *candidate_text(const char *line) {
  if (strncmp(line, "a=", 2) == 0) line += 2;
  return strncmp(line, "candidate:", 10) == 0 ? line : NULL;
}

int pc_ice_add_remote_candidate(brtc_pc *pc, const char *line) {
  if (ends_candidates(line)) {
    pc_ice_remote_ended(pc);
    return BRTC_OK;
  }
  line = candidate_text(line);
  if (!line) return BRTC_ERR_PARSE;
  int rc = brtc_ice_transport_add_remote_candidate(pc->ice, line, pc->now_us);
  pc_gather_remote_address(pc, NULL);
  sync(pc);
  /* A candidate we cannot use (TCP, another generation) is no error of the caller's. */
  return rc == BRTC_ERR_UNSUPPORTED || rc == BRTC_ERR_STATE ? BRTC_OK : rc;
}

/* What pc_ice_add_remote_candidate would say of the line's syntax, with no pc: a batch (a
 * WHIP PATCH, RFC 9725 4.3) can then be taken whole or not at all. */
int brtc_pc_check_ice_candidate(const char *candidate) {
  if (!candidate) return BRTC_ERR_INVALID;
  if (ends_candidates(candidate)) return BRTC_OK;
  const char *text = candidate_text(candidate);
  brtc_ice_candidate c;
  return text && brtc_ice_candidate_parse(text, &c) != BRTC_ERR_PARSE ? BRTC_OK : BRTC_ERR_PARSE;
}

/* The local address a datagram from `from` arrived on. brtc_pc_handle_datagram is not told
 * (the loop keeps one socket per address family today): the selected pair's base when it
 * is from that pair's peer, else the first host address of its family, loopback to
 * loopback. */
static brtc_addr local_for(const brtc_pc *pc, const brtc_addr *from) {
  const brtc_addr *relayed = pc_gather_rx_local(pc); /* it came through a TURN allocation */
  if (relayed) return *relayed;
  if (pc->have_media_addr && brtc_addr_equal(&pc->media_addr, from)) return pc->media_source;
  int family = brtc_addr_family(from);
  bool loop = brtc_addr_is_loopback(from);
  int first = -1;
  for (size_t i = 0; i < pc->n_host_addrs; i++) {
    if (brtc_addr_family(&pc->host_addrs[i]) != family) continue;
    if (brtc_addr_is_loopback(&pc->host_addrs[i]) == loop) return pc->host_addrs[i];
    if (first < 0) first = (int)i;
  }
  if (first >= 0) return pc->host_addrs[first];
  return pc->n_host_addrs ? pc->host_addrs[0] : *from;
}

int pc_ice_handle_stun(brtc_pc *pc, const uint8_t *data, size_t len, const brtc_addr *from) {
  brtc_stun_msg msg;
  if (brtc_stun_parse(data, len, &msg) != BRTC_OK) {
    pc->stats.dropped_malformed++;
    return BRTC_ERR_PARSE;
  }
  /* Before any description from the peer there is nothing to check a request against, but
   * once our offer is out the answerer's first checks very likely come before its answer:
   * RFC 8445 7.3 says to answer them at once (our password signs them; the agent checks
   * only our half of USERNAME until it has the peer's) and keep what they taught. */
  if (!pc->ice_remote_set && !(pc_offer_pending(pc) && !pc_ice_is_lite(pc))) {
    pc->stats.dropped_unexpected++;
    return BRTC_ERR_STATE;
  }
  brtc_addr local = local_for(pc, from);
  bool had_valid = pc_ice_valid_remote(pc, from);
  pc->ice_dirty = true;
  brtc_ice_verdict v =
      brtc_ice_transport_handle_stun(pc->ice, &local, from, data, len, &msg, pc->now_us);
  int rc = BRTC_OK;
  switch (v) {
    case BRTC_ICE_HANDLED: break;
    case BRTC_ICE_AUTH_FAILED: pc->stats.dropped_auth++; rc = BRTC_ERR_AUTH; break;
    case BRTC_ICE_BAD_REQUEST: pc->stats.dropped_malformed++; rc = BRTC_ERR_AUTH; break;
    case BRTC_ICE_ROLE_CONFLICT: pc->stats.dropped_unexpected++; rc = BRTC_ERR_AUTH; break;
    case BRTC_ICE_IGNORED:
    case BRTC_ICE_OVER_LIMIT: pc->stats.dropped_unexpected++; break;
  }
  /* The first authenticated check, either way, tells where the peer is: DTLS may start
   * there before nomination, as the old lite agent did (docs/benchmarks.md). */
  if (v == BRTC_ICE_HANDLED && !had_valid && pc_ice_valid_remote(pc, from)) {
    if (!pc->have_media_addr) {
      pc->media_addr = *from;
      pc->media_source = local;
      pc->have_media_addr = true;
    }
    if (!pc->steps_done[BRTC_STEP_ICE_CHECK]) {
      char addr[BRTC_ADDR_STRLEN], detail[96];
      snprintf(detail, sizeof(detail), "from %s", brtc_addr_str(from, addr, sizeof(addr)));
      pc_emit_step(pc, BRTC_STEP_ICE_CHECK, detail);
    }
  }
  sync(pc);
  return rc;
}

void pc_ice_timeout(brtc_pc *pc) {
  /* The kept deadline came: the real one may have moved later meanwhile (renewed consent),
   * so it is asked again at the next drain rather than handed out once more. */
  if (pc->ice_deadline <= pc->now_us) pc->ice_dirty = true;
  if (brtc_ice_transport_next_deadline(pc->ice) > pc->now_us) return;
  brtc_ice_transport_handle_timeout(pc->ice, pc->now_us);
  sync(pc);
}

int pc_ice_poll(brtc_pc *pc, uint8_t *out, size_t cap, size_t *out_len, brtc_addr *to,
                brtc_addr *source) {
  /* Events are read for what they say to a log; the state they report is read directly
   * after every input (sync), so that the pc never waits for a drain to move on. */
  if (!pc->ice_dirty) return BRTC_ERR_AGAIN;
  for (int guard = 0; guard < 64; guard++) {
    brtc_ice_output o;
    int rc = brtc_ice_transport_poll(pc->ice, out, cap, &o);
    if (rc != BRTC_OK) return rc; /* too big: dropped, a retransmission follows */
    if (o.kind == BRTC_ICE_OUTPUT_TIMEOUT) {
      pc->ice_dirty = false;
      pc->ice_deadline = o.deadline_us;
      return BRTC_ERR_AGAIN;
    }
    if (o.kind == BRTC_ICE_OUTPUT_TRANSMIT) {
      *out_len = o.len;
      *to = o.to;
      *source = o.from;
      return BRTC_OK;
    }
    pc_gather_ice_event(pc, &o.event); /* local candidates: trickle */
    if (o.event.type == BRTC_ICE_EVENT_ERROR && o.event.reason) pc_emit_log(pc, o.event.reason);
    if (o.event.type == BRTC_ICE_EVENT_ROLE)
      pc_emit_log(pc, o.event.controlling ? "ICE role conflict: we control now"
                                          : "ICE role conflict: the peer controls now");
  }
  return BRTC_ERR_AGAIN;
}

/* Only inputs move it; authenticated media (renew_consent) only moves it later, so a deadline
 * kept from before is at worst early, and an early timeout changes nothing. */
uint64_t pc_ice_deadline(const brtc_pc *pc) {
  return pc->ice_dirty ? brtc_ice_transport_next_deadline(pc->ice) : pc->ice_deadline;
}

void pc_ice_renew_consent(brtc_pc *pc, const brtc_addr *from) {
  brtc_ice_transport_renew_consent(pc->ice, from, pc->now_us);
}

bool pc_ice_valid_remote(const brtc_pc *pc, const brtc_addr *from) {
  return brtc_ice_transport_is_valid_remote(pc->ice, from);
}

bool pc_ice_consent_holds(const brtc_pc *pc, const brtc_addr *from, uint64_t now_us) {
  return brtc_ice_transport_consent_holds(pc->ice, from, now_us);
}

bool pc_ice_selected_remote(const brtc_pc *pc, brtc_addr *out) {
  brtc_ice_pair_info sel;
  if (!brtc_ice_transport_selected(pc->ice, &sel)) return false;
  if (out) *out = sel.remote;
  return true;
}
