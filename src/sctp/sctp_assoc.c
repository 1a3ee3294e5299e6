/* The association (RFC 9260): set-up with the four-way handshake and its collision cases
 * (5.1, 5.2), the verification tag rules (8.5), dispatch of each chunk to the part that handles
 * it, graceful shutdown (9.2) and abort (9.1), the timers, and the packets the owner pulls,
 * built on demand from the state: control chunks first, then the SACK, RE-CONFIG, FORWARD TSN
 * and DATA, bundled up to the MTU (6.10). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "common/bytes.h"
#include "common/random.h"
#include "sctp/sctp_internal.h"

#define STREAMS_OFFERED 65535 /* RFC 8831 6.2: as many as there can be (ids 0..65534) */
#define MIN_PEER_A_RWND 1500  /* RFC 9260 3.3.2 */

const char *brtc_sctp_state_name(brtc_sctp_state s) {
  switch (s) {
    case BRTC_SCTP_CLOSED: return "closed";
    case BRTC_SCTP_COOKIE_WAIT: return "cookie-wait";
    case BRTC_SCTP_COOKIE_ECHOED: return "cookie-echoed";
    case BRTC_SCTP_ESTABLISHED: return "established";
    case BRTC_SCTP_SHUTDOWN_PENDING: return "shutdown-pending";
    case BRTC_SCTP_SHUTDOWN_SENT: return "shutdown-sent";
    case BRTC_SCTP_SHUTDOWN_RECEIVED: return "shutdown-received";
    case BRTC_SCTP_SHUTDOWN_ACK_SENT: return "shutdown-ack-sent";
    case BRTC_SCTP_GONE: return "gone";
    default: return "unknown";
  }
}

/* ---- creation ---- */

uint32_t sctp_random_u32(brtc_sctp *a) {
  if (!a->cfg.seed) return brtc_random_u32();
  /* xorshift64*, for repeatable tests only */
  uint64_t x = a->rand_state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  a->rand_state = x;
  return (uint32_t)((x * 0x2545f4914f6cdd1dull) >> 32);
}

static uint32_t random_tag(brtc_sctp *a) {
  uint32_t t;
  do t = sctp_random_u32(a);
  while (t == 0); /* 5.3.1: a tag is never 0 */
  return t;
}

static int fill_config(brtc_sctp_config *c) {
  if (!c->local_port) c->local_port = BRTC_SCTP_DEFAULT_PORT;
  if (!c->remote_port) c->remote_port = BRTC_SCTP_DEFAULT_PORT;
  if (!c->mtu) c->mtu = BRTC_SCTP_DEFAULT_MTU;
  if (!c->max_inbound_message) c->max_inbound_message = BRTC_SCTP_DEFAULT_MAX_MESSAGE;
  if (!c->max_outbound_message) c->max_outbound_message = BRTC_SCTP_DEFAULT_MAX_MESSAGE;
  if (!c->recv_window) c->recv_window = 512u * 1024u;
  if (!c->send_buffer) c->send_buffer = 1024u * 1024u;
  if (!c->max_streams) c->max_streams = 1024;
  if (!c->rto_initial_ms) c->rto_initial_ms = 500;
  if (!c->rto_min_ms) c->rto_min_ms = 400;
  if (!c->rto_max_ms) c->rto_max_ms = 60000;
  if (!c->max_retransmits) c->max_retransmits = 10;
  if (!c->max_init_retransmits) c->max_init_retransmits = 8;
  if (!c->cookie_lifetime_ms) c->cookie_lifetime_ms = 60000;
  if (!c->heartbeat_interval_ms) c->heartbeat_interval_ms = 30000;
  /* A packet must hold an INIT ACK with our cookie; a chunk length is 16 bits. */
  if (c->mtu < 256 || c->mtu > 65535) return BRTC_ERR_INVALID;
  if ((uint64_t)c->recv_window < 2ull * c->max_inbound_message ||
      c->recv_window > 0x7fffffffu)
    return BRTC_ERR_INVALID;
  if ((uint64_t)c->send_buffer < (uint64_t)c->max_outbound_message + sizeof(sctp_msg))
    return BRTC_ERR_INVALID;
  if (c->max_streams > 65535 || c->rto_min_ms > c->rto_max_ms || c->rto_max_ms > 3600000u ||
      c->heartbeat_interval_ms > 3600000u ||
      c->rto_initial_ms > c->rto_max_ms)
    return BRTC_ERR_INVALID;
  return BRTC_OK;
}

int brtc_sctp_new(const brtc_sctp_config *cfg, uint64_t now_us, brtc_sctp **out) {
  (void)now_us;
  if (!out) return BRTC_ERR_INVALID;
  *out = NULL;
  brtc_sctp_config c;
  if (cfg)
    c = *cfg;
  else
    memset(&c, 0, sizeof c);
  int err = fill_config(&c);
  if (err) return err;
  brtc_sctp *a = calloc(1, sizeof *a);
  if (!a) return BRTC_ERR_NOMEM;
  a->cfg = c;
  a->rand_state = c.seed ? c.seed : 1;
  if (c.seed) {
    for (size_t i = 0; i < sizeof a->cookie_key; i += 4) {
      uint32_t r = sctp_random_u32(a);
      memcpy(a->cookie_key + i, &r, 4);
    }
  } else if (brtc_random_bytes(a->cookie_key, sizeof a->cookie_key)) {
    free(a);
    return BRTC_ERR_CRYPTO;
  }
  a->my_vtag = random_tag(a);
  a->my_initial_tsn = sctp_random_u32(a);
  a->max_outbound_message = c.max_outbound_message;
  a->outbound_streams = a->inbound_streams = STREAMS_OFFERED;
  a->t1_deadline = a->t2_deadline = a->hb_deadline = SCTP_NEVER;
  sctp_tx_init(a);
  sctp_rx_init(a);
  sctp_reset_init(a);
  *out = a;
  return BRTC_OK;
}

void brtc_sctp_free(brtc_sctp *a) {
  if (!a) return;
  sctp_events_free(a);
  sctp_tx_free(a);
  sctp_rx_free(a);
  sctp_reset_free(a);
  free(a->cookie);
  free(a);
}

/* ---- endings ---- */

void sctp_enter_gone(brtc_sctp *a, int error, uint16_t cause, bool by_peer, const char *reason) {
  if (a->state == BRTC_SCTP_GONE) return;
  a->state = BRTC_SCTP_GONE;
  a->t1_deadline = a->t2_deadline = a->hb_deadline = SCTP_NEVER;
  a->tx.t3_deadline = SCTP_NEVER;
  a->rx.sack_deadline = SCTP_NEVER;
  a->reset.deadline = SCTP_NEVER;
  a->init_due = a->cookie_echo_due = a->cookie_ack_due = a->init_ack.due = false;
  a->shutdown_due = a->shutdown_ack_due = a->error_due = a->hb_ack_due = a->hb_due = false;
  a->closed_error = error;
  a->closed_cause = cause;
  a->closed_by_peer = by_peer;
  a->closed_reason = reason;
  a->closed_pending = true; /* reported after every event queued before it */
}

static void abort_with(brtc_sctp *a, uint16_t cause, const char *reason, int error) {
  if (a->state == BRTC_SCTP_GONE) return;
  /* Before COOKIE-ECHOED the peer holds no association that an ABORT could reach. */
  if (a->state >= BRTC_SCTP_COOKIE_ECHOED) {
    a->abort_due = true;
    a->abort_vtag = a->peer_vtag;
    a->abort_t_bit = false;
    a->abort_cause = cause;
    snprintf(a->abort_info, sizeof a->abort_info, "%s", reason ? reason : "");
  }
  sctp_enter_gone(a, error, cause, false, reason);
}

void sctp_fail(brtc_sctp *a, uint16_t cause, const char *reason) {
  int error = BRTC_ERR_STATE;
  if (cause == BRTC_SCTP_CAUSE_OUT_OF_RESOURCE) error = BRTC_ERR_LIMIT;
  if (cause == BRTC_SCTP_CAUSE_PROTOCOL_VIOLATION || cause == BRTC_SCTP_CAUSE_NO_USER_DATA)
    error = BRTC_ERR_PARSE;
  abort_with(a, cause, reason, error);
}

bool sctp_count_timeout(brtc_sctp *a) {
  if (++a->error_count <= a->cfg.max_retransmits) return true;
  /* 8.1: the peer is unreachable. */
  abort_with(a, BRTC_SCTP_CAUSE_USER_ABORT, "too many retransmissions", BRTC_ERR_IO);
  return false;
}

void brtc_sctp_abort(brtc_sctp *a, uint64_t now_us, const char *reason) {
  (void)now_us;
  abort_with(a, BRTC_SCTP_CAUSE_USER_ABORT, reason ? reason : "aborted", BRTC_ERR_STATE);
}

/* ---- set-up ---- */

int brtc_sctp_connect(brtc_sctp *a, uint64_t now_us) {
  if (a->state != BRTC_SCTP_CLOSED || a->connect_called) return BRTC_ERR_STATE;
  a->connect_called = true;
  a->state = BRTC_SCTP_COOKIE_WAIT;
  a->init_due = true;
  a->init_retransmits = 0;
  a->t1_rto_us = a->tx.rto.rto_us;
  a->t1_deadline = now_us + a->t1_rto_us;
  return BRTC_OK;
}

/* Both sides' announcements, from an INIT ACK or a cookie, become the association's. */
static void adopt_peer(brtc_sctp *a, uint32_t peer_tag, uint32_t peer_tsn, uint16_t peer_os,
                       uint16_t peer_mis, bool pr, bool reconfig, uint32_t zero_edmid) {
  a->peer_vtag = peer_tag;
  a->peer_initial_tsn = peer_tsn;
  /* 5.1.1: each direction gets the lesser of what one offers and the other accepts. */
  a->outbound_streams = peer_mis < STREAMS_OFFERED ? peer_mis : STREAMS_OFFERED;
  a->inbound_streams = peer_os < STREAMS_OFFERED ? peer_os : STREAMS_OFFERED;
  a->peer_pr = pr;
  a->peer_reconfig = reconfig;
  a->zero_checksum_send = a->cfg.zero_checksum && zero_edmid == BRTC_SCTP_EDMID_DTLS;
}

static void establish(brtc_sctp *a, const sctp_cookie_fields *f, bool restarted) {
  a->my_vtag = f->my_tag;
  a->my_initial_tsn = f->my_tsn;
  adopt_peer(a, f->peer_tag, f->peer_tsn, f->peer_os, f->peer_mis, f->peer_pr, f->peer_reconfig,
             f->peer_zero_edmid);
  if (restarted) { /* 5.2.4 A: everything queued or under way belongs to the old association */
    sctp_events_free(a);
    sctp_tx_free(a);
    sctp_rx_free(a);
    sctp_reset_free(a);
    sctp_tx_init(a);
    sctp_rx_init(a);
    sctp_reset_init(a);
  }
  sctp_tx_start(a, f->my_tsn, f->peer_a_rwnd);
  sctp_rx_start(a, f->peer_tsn);
  sctp_reset_start(a);
  a->state = BRTC_SCTP_ESTABLISHED;
  a->t1_deadline = SCTP_NEVER;
  a->init_due = a->cookie_echo_due = false;
  a->error_count = 0;
  a->hb_outstanding = a->hb_due = false;
  free(a->cookie);
  a->cookie = NULL;
  a->cookie_len = 0;
  sctp_event_item ev = {.type = restarted ? BRTC_SCTP_EVENT_RESTARTED : BRTC_SCTP_EVENT_CONNECTED};
  sctp_event_push(a, &ev);
}

static bool valid_init(const brtc_sctp_init *init) {
  /* 3.3.2: a zero tag is discarded; streams must be offered both ways. */
  return init->initiate_tag != 0 && init->outbound_streams && init->inbound_streams &&
         init->a_rwnd >= MIN_PEER_A_RWND;
}

static void handle_init(brtc_sctp *a, const brtc_sctp_tlv *c) {
  brtc_sctp_init init;
  brtc_sctp_init_params p;
  if (brtc_sctp_parse_init(c, &init) || !valid_init(&init) ||
      brtc_sctp_parse_init_params(init.params, init.params_len, &p) || p.host_name) {
    a->stats.dropped_malformed++;
    return;
  }
  sctp_cookie_fields *f = &a->init_ack.f;
  memset(f, 0, sizeof *f);
  f->peer_tag = init.initiate_tag;
  f->peer_tsn = init.initial_tsn;
  f->peer_a_rwnd = init.a_rwnd;
  f->peer_os = init.outbound_streams;
  f->peer_mis = init.inbound_streams;
  f->peer_pr = p.forward_tsn;
  f->peer_reconfig = p.reconfig;
  f->peer_zero_edmid = p.zero_checksum_edmid;
  if (a->state == BRTC_SCTP_CLOSED || a->state == BRTC_SCTP_COOKIE_WAIT ||
      a->state == BRTC_SCTP_COOKIE_ECHOED) {
    /* 5.1 and 5.2.1: the tag and TSN of our own INIT, whether or not we sent one. */
    f->my_tag = a->my_vtag;
    f->my_tsn = a->my_initial_tsn;
    if (a->state == BRTC_SCTP_COOKIE_ECHOED) {
      f->my_tie_tag = a->my_vtag;
      f->peer_tie_tag = a->peer_vtag;
    }
  } else {
    /* 5.2.2: an INIT while associated (the peer may have restarted): new tag and TSN, the
     * current tags as tie-tags so the COOKIE ECHO can tell a restart from an attack. */
    f->my_tag = random_tag(a);
    f->my_tsn = sctp_random_u32(a);
    f->my_tie_tag = a->my_vtag;
    f->peer_tie_tag = a->peer_vtag;
  }
  a->init_ack.due = true;
}

static void handle_init_ack(brtc_sctp *a, uint64_t now_us, const brtc_sctp_tlv *c) {
  if (a->state != BRTC_SCTP_COOKIE_WAIT) { /* 5.2.3: discarded anywhere else */
    a->stats.dropped_unexpected++;
    return;
  }
  brtc_sctp_init init;
  brtc_sctp_init_params p;
  if (brtc_sctp_parse_init(c, &init) || !valid_init(&init) ||
      brtc_sctp_parse_init_params(init.params, init.params_len, &p) || !p.cookie ||
      p.cookie_len > a->cfg.mtu - BRTC_SCTP_COMMON_HEADER - BRTC_SCTP_TLV_HEADER) {
    a->stats.dropped_malformed++;
    return;
  }
  uint8_t *cookie = malloc(p.cookie_len);
  if (!cookie) return; /* T1-init sends the INIT again */
  memcpy(cookie, p.cookie, p.cookie_len);
  free(a->cookie);
  a->cookie = cookie;
  a->cookie_len = p.cookie_len;
  adopt_peer(a, init.initiate_tag, init.initial_tsn, init.outbound_streams, init.inbound_streams,
             p.forward_tsn, p.reconfig, p.zero_checksum_edmid);
  a->tx.peer_a_rwnd = init.a_rwnd;
  a->peer_a_rwnd_init = init.a_rwnd;
  a->state = BRTC_SCTP_COOKIE_ECHOED;
  a->cookie_echo_due = true;
  a->t1_rto_us = a->tx.rto.rto_us;
  a->t1_deadline = now_us + a->t1_rto_us;
}

/* 5.1.5 and 5.2.4. Returns false if the rest of the packet must be discarded. */
static bool handle_cookie_echo(brtc_sctp *a, uint64_t now_us, uint32_t vtag,
                               const brtc_sctp_tlv *c) {
  sctp_cookie_fields f;
  uint64_t stale_us = 0;
  int r = sctp_cookie_open(a->cookie_key, c->value, c->value_len, now_us,
                           (uint64_t)a->cfg.cookie_lifetime_ms * SCTP_US_PER_MS, &f, &stale_us);
  if (r == BRTC_ERR_REPLAY && vtag == f.my_tag) {
    /* 3.3.10.3: how stale, in microseconds; the peer may start over with a new INIT. */
    a->stats.dropped_cookie++;
    if (a->state == BRTC_SCTP_CLOSED || a->state == BRTC_SCTP_COOKIE_WAIT) {
      a->stale_vtag = f.peer_tag;
      a->error_due = true;
      a->error_cause = BRTC_SCTP_CAUSE_STALE_COOKIE;
      uint32_t measure = stale_us > UINT32_MAX ? UINT32_MAX : (uint32_t)stale_us;
      brtc_wr32(a->error_info, measure);
      a->error_info_len = 4;
    }
    return false;
  }
  if (r || vtag != f.my_tag) { /* forged, not ours, or on the wrong tag (8.5.1) */
    a->stats.dropped_cookie++;
    return false;
  }
  if (a->state == BRTC_SCTP_CLOSED) {
    /* From our INIT ACK to its COOKIE ECHO is a round trip (the cookie says when we made
     * it); a sample longer than the RTO may include a resend by the peer and is left out. */
    if (now_us - f.created_us < a->tx.rto.rto_us) sctp_rto_sample(&a->tx.rto, now_us - f.created_us);
    establish(a, &f, false);
    a->cookie_ack_due = true;
    return true;
  }
  bool local = f.my_tag == a->my_vtag, peer = f.peer_tag == a->peer_vtag;
  if (!local && !peer && f.my_tie_tag == a->my_vtag && f.peer_tie_tag == a->peer_vtag &&
      a->state >= BRTC_SCTP_ESTABLISHED) {
    establish(a, &f, true); /* A: the peer restarted */
    a->cookie_ack_due = true;
    return true;
  }
  if (local && (!peer || a->state < BRTC_SCTP_ESTABLISHED)) {
    /* B (INITs crossed: the peer's tag is new to us) or D (our own, echoed). */
    if (a->state < BRTC_SCTP_ESTABLISHED) {
      establish(a, &f, false);
    } else {
      a->peer_vtag = f.peer_tag;
    }
    a->cookie_ack_due = true;
    return true;
  }
  if (local && peer) { /* D once established: a repeated COOKIE ECHO, answered again */
    a->cookie_ack_due = true;
    return true;
  }
  a->stats.dropped_cookie++; /* C, or nothing that fits: silently discarded */
  return false;
}

static void handle_cookie_ack(brtc_sctp *a, uint64_t now_us) {
  if (a->state != BRTC_SCTP_COOKIE_ECHOED) {
    a->stats.dropped_unexpected++;
    return;
  }
  /* The COOKIE ECHO's round trip is a first RTT sample (6.3.1), if it was sent only once. */
  if (a->cookie_echo_sent_us && now_us >= a->cookie_echo_sent_us)
    sctp_rto_sample(&a->tx.rto, now_us - a->cookie_echo_sent_us);
  sctp_cookie_fields f = {.my_tag = a->my_vtag,
                          .peer_tag = a->peer_vtag,
                          .my_tsn = a->my_initial_tsn,
                          .peer_tsn = a->peer_initial_tsn,
                          .peer_a_rwnd = a->peer_a_rwnd_init,
                          .peer_os = a->inbound_streams,
                          .peer_mis = a->outbound_streams,
                          .peer_pr = a->peer_pr,
                          .peer_reconfig = a->peer_reconfig,
                          .peer_zero_edmid = a->zero_checksum_send ? BRTC_SCTP_EDMID_DTLS : 0};
  establish(a, &f, false);
}

/* ---- shutdown (9.2) ---- */

static void shutdown_progress(brtc_sctp *a, uint64_t now_us) {
  if (!sctp_tx_idle(a)) return;
  if (a->state == BRTC_SCTP_SHUTDOWN_PENDING) {
    a->state = BRTC_SCTP_SHUTDOWN_SENT;
    a->shutdown_due = true;
    a->t2_deadline = now_us + a->tx.rto.rto_us;
  } else if (a->state == BRTC_SCTP_SHUTDOWN_RECEIVED) {
    a->state = BRTC_SCTP_SHUTDOWN_ACK_SENT;
    a->shutdown_ack_due = true;
    a->t2_deadline = now_us + a->tx.rto.rto_us;
  }
}

int brtc_sctp_shutdown(brtc_sctp *a, uint64_t now_us) {
  switch (a->state) {
    case BRTC_SCTP_CLOSED:
    case BRTC_SCTP_COOKIE_WAIT: /* no association on the peer's side yet */
      sctp_enter_gone(a, BRTC_OK, 0, false, "shut down before it was up");
      return BRTC_OK;
    case BRTC_SCTP_COOKIE_ECHOED:
      abort_with(a, BRTC_SCTP_CAUSE_USER_ABORT, "shut down before it was up", BRTC_OK);
      return BRTC_OK;
    case BRTC_SCTP_ESTABLISHED:
      a->state = BRTC_SCTP_SHUTDOWN_PENDING;
      shutdown_progress(a, now_us);
      return BRTC_OK;
    case BRTC_SCTP_GONE:
      return BRTC_ERR_STATE;
    default:
      return BRTC_OK; /* already on its way */
  }
}

static void handle_shutdown(brtc_sctp *a, uint64_t now_us, const brtc_sctp_tlv *c) {
  uint32_t cum;
  if (brtc_sctp_parse_shutdown(c, &cum)) {
    a->stats.dropped_malformed++;
    return;
  }
  if (a->state < BRTC_SCTP_ESTABLISHED) {
    a->stats.dropped_unexpected++;
    return;
  }
  /* The cumulative TSN ack in it acknowledges like a SACK's. */
  brtc_sctp_sack s = {.cum_tsn = cum, .a_rwnd = a->tx.peer_a_rwnd};
  if (tsn_le(a->tx.cum_ack, cum) && tsn_lt(cum, a->tx.next_tsn))
    sctp_tx_handle_sack(a, now_us, &s);
  a->peer_shutdown_seen = true;
  switch (a->state) {
    case BRTC_SCTP_ESTABLISHED:
    case BRTC_SCTP_SHUTDOWN_PENDING:
      a->state = BRTC_SCTP_SHUTDOWN_RECEIVED;
      break;
    case BRTC_SCTP_SHUTDOWN_SENT: /* both at once: answer it */
      a->state = BRTC_SCTP_SHUTDOWN_ACK_SENT;
      a->shutdown_ack_due = true;
      a->t2_deadline = now_us + a->tx.rto.rto_us;
      return;
    case BRTC_SCTP_SHUTDOWN_ACK_SENT:
      a->shutdown_ack_due = true; /* ours was lost */
      return;
    default:
      break;
  }
  shutdown_progress(a, now_us);
}

static void handle_shutdown_ack(brtc_sctp *a) {
  if (a->state != BRTC_SCTP_SHUTDOWN_SENT && a->state != BRTC_SCTP_SHUTDOWN_ACK_SENT) {
    a->stats.dropped_unexpected++;
    return;
  }
  a->shutdown_complete_due = true;
  sctp_enter_gone(a, BRTC_OK, 0, false, "shut down");
}

static void handle_abort(brtc_sctp *a, const brtc_sctp_tlv *c) {
  brtc_sctp_cause cause;
  if (brtc_sctp_parse_causes(c, &cause, NULL)) cause.code = 0;
  if (a->state == BRTC_SCTP_CLOSED) return; /* 8.4 (2): out of the blue, ignored */
  sctp_enter_gone(a, BRTC_ERR_STATE, cause.code, true, "the peer aborted");
}

static void handle_error(brtc_sctp *a, uint64_t now_us, const brtc_sctp_tlv *c) {
  brtc_sctp_cause cause;
  if (brtc_sctp_parse_causes(c, &cause, NULL)) {
    a->stats.dropped_malformed++;
    return;
  }
  if (cause.code == BRTC_SCTP_CAUSE_STALE_COOKIE && a->state == BRTC_SCTP_COOKIE_ECHOED) {
    /* 5.2.6: our cookie went stale on its way; start over (counted as a retransmission). */
    if (++a->init_retransmits > a->cfg.max_init_retransmits) {
      sctp_enter_gone(a, BRTC_ERR_IO, cause.code, true, "the peer found every cookie stale");
      return;
    }
    a->state = BRTC_SCTP_COOKIE_WAIT;
    a->cookie_echo_due = false;
    a->init_due = true;
    a->t1_deadline = now_us + a->t1_rto_us;
    return;
  }
  if (a->state == BRTC_SCTP_CLOSED) return;
  sctp_event_item ev = {.type = BRTC_SCTP_EVENT_ERROR,
                        .cause = cause.code,
                        .reason = brtc_sctp_cause_name(cause.code)};
  sctp_event_push(a, &ev);
}

static void handle_heartbeat(brtc_sctp *a, const brtc_sctp_tlv *c) {
  const uint8_t *info;
  size_t len;
  if (brtc_sctp_parse_heartbeat(c, &info, &len) || len > SCTP_HB_INFO_MAX) {
    a->stats.dropped_malformed++;
    return;
  }
  if (a->state < BRTC_SCTP_ESTABLISHED) return;
  memcpy(a->hb_info, info, len); /* 8.3: sent back unchanged */
  a->hb_info_len = len;
  a->hb_ack_due = true;
}

/* Our HEARTBEAT's info (8.3): a Heartbeat Info parameter holding a nonce, so an ACK that
 * is not the answer to the one outstanding is known; the time sent stays here. */
#define HB_INFO_LEN 8

static void handle_heartbeat_ack(brtc_sctp *a, uint64_t now_us, const brtc_sctp_tlv *c) {
  const uint8_t *info;
  size_t len;
  if (brtc_sctp_parse_heartbeat(c, &info, &len)) {
    a->stats.dropped_malformed++;
    return;
  }
  if (!a->hb_outstanding || len != HB_INFO_LEN || brtc_rd16(info) != 1 ||
      brtc_rd32(info + 4) != a->hb_nonce) {
    a->stats.dropped_unexpected++;
    return;
  }
  a->stats.heartbeat_acks_received++;
  a->hb_outstanding = false;
  a->error_count = 0; /* 8.3: the peer is reachable */
  if (now_us >= a->hb_sent_us) sctp_rto_sample(&a->tx.rto, now_us - a->hb_sent_us);
  a->hb_deadline = now_us + (uint64_t)a->cfg.heartbeat_interval_ms * SCTP_US_PER_MS +
                   a->tx.rto.rto_us;
}

static bool write_heartbeat(brtc_sctp *a, uint64_t now_us, brtc_sctp_writer *w) {
  uint8_t info[HB_INFO_LEN];
  a->hb_nonce = sctp_random_u32(a);
  brtc_wr16(info, 1); /* Heartbeat Info (3.3.5) */
  brtc_wr16(info + 2, HB_INFO_LEN);
  brtc_wr32(info + 4, a->hb_nonce);
  if (!brtc_sctp_write_heartbeat(w, BRTC_SCTP_HEARTBEAT, info, sizeof info)) return false;
  a->stats.heartbeats_sent++;
  a->hb_due = false;
  a->hb_outstanding = true;
  a->hb_sent_us = now_us;
  a->hb_deadline = now_us + a->tx.rto.rto_us; /* unanswered after one RTO: an error (8.3) */
  return true;
}

/* ---- packets in ---- */

/* 8.5 and 8.5.1: whether the packet's tag fits its first chunk and our state. */
static bool vtag_ok(brtc_sctp *a, const brtc_sctp_header *h, const brtc_sctp_tlv *first) {
  switch (first->type) {
    case BRTC_SCTP_INIT:
      return h->vtag == 0;
    case BRTC_SCTP_ABORT:
    case BRTC_SCTP_SHUTDOWN_COMPLETE:
      if (first->flags & BRTC_SCTP_FLAG_T)
        return a->state >= BRTC_SCTP_COOKIE_ECHOED && h->vtag == a->peer_vtag;
      return h->vtag == a->my_vtag;
    case BRTC_SCTP_COOKIE_ECHO:
      return true; /* checked against the tag in the cookie */
    case BRTC_SCTP_SHUTDOWN_ACK:
      if (a->state == BRTC_SCTP_CLOSED || a->state == BRTC_SCTP_COOKIE_WAIT ||
          a->state == BRTC_SCTP_COOKIE_ECHOED) {
        /* 8.4 (5): out of the blue; answered with a SHUTDOWN COMPLETE on the sender's tag. */
        a->ootb_shutdown_complete_due = true;
        a->ootb_vtag = h->vtag;
        return false;
      }
      return h->vtag == a->my_vtag;
    default:
      return a->state != BRTC_SCTP_CLOSED && h->vtag == a->my_vtag;
  }
}

static bool checksum_ok(brtc_sctp *a, const uint8_t *pkt, size_t len) {
  /* RFC 9653 5.3: once we have offered the DTLS method in our INIT or INIT ACK, a zero
   * checksum is accepted as well as a correct one. */
  if (a->cfg.zero_checksum && a->state != BRTC_SCTP_CLOSED && brtc_sctp_checksum_is_zero(pkt))
    return true;
  return brtc_sctp_checksum_ok(pkt, len);
}

/* 3.2: an unknown chunk type's upper two bits. Returns false to stop processing the packet. */
static bool unknown_chunk(brtc_sctp *a, const brtc_sctp_tlv *c) {
  a->stats.dropped_unexpected++;
  if ((c->type & BRTC_SCTP_UNKNOWN_REPORT) && a->state >= BRTC_SCTP_ESTABLISHED &&
      a->state != BRTC_SCTP_GONE) {
    size_t n = c->length < SCTP_ERROR_INFO_MAX ? c->length : 0;
    if (n) { /* the whole chunk goes back in the cause; a longer one is not reported */
      memcpy(a->error_info, c->start, n);
      a->error_info_len = n;
      a->error_cause = BRTC_SCTP_CAUSE_UNRECOGNIZED_CHUNK;
      a->error_due = true;
    }
  }
  return (c->type & BRTC_SCTP_UNKNOWN_SKIP) != 0;
}

static bool data_allowed(const brtc_sctp *a) {
  return a->state == BRTC_SCTP_ESTABLISHED || a->state == BRTC_SCTP_SHUTDOWN_PENDING ||
         a->state == BRTC_SCTP_SHUTDOWN_SENT;
}

static bool sack_allowed(const brtc_sctp *a) {
  return a->state >= BRTC_SCTP_ESTABLISHED && a->state != BRTC_SCTP_GONE;
}

/* 8.4 (5): when our SHUTDOWN COMPLETE is lost the peer sends SHUTDOWN ACK again, to an end
 * that is gone; answering it (with the T bit, on the tag it came with) lets the peer close
 * cleanly rather than time out. Only a SHUTDOWN ACK on our own tag is answered, one answer
 * per packet, and nothing else changes. */
static int handle_packet_when_gone(brtc_sctp *a, const uint8_t *pkt, size_t len) {
  brtc_sctp_header h;
  brtc_sctp_tlv_iter it;
  brtc_sctp_tlv c;
  if (brtc_sctp_header_parse(pkt, len, &h) || !checksum_ok(a, pkt, len) ||
      h.vtag != a->my_vtag)
    return BRTC_ERR_STATE;
  brtc_sctp_chunks_begin(&it, pkt, len);
  if (brtc_sctp_tlv_next(&it, &c) == 1 && c.type == BRTC_SCTP_SHUTDOWN_ACK) {
    a->ootb_shutdown_complete_due = true;
    a->ootb_vtag = h.vtag;
  }
  return BRTC_ERR_STATE;
}

int brtc_sctp_handle_packet(brtc_sctp *a, uint64_t now_us, const uint8_t *pkt, size_t len) {
  sctp_rx_release_handed_out(a);
  if (a->state == BRTC_SCTP_GONE) return handle_packet_when_gone(a, pkt, len);
  a->stats.packets_received++;
  a->stats.bytes_received += len;
  brtc_sctp_header h;
  if (brtc_sctp_header_parse(pkt, len, &h) || len < BRTC_SCTP_COMMON_HEADER + 4) {
    a->stats.dropped_malformed++;
    return BRTC_ERR_PARSE;
  }
  if (!checksum_ok(a, pkt, len)) {
    a->stats.dropped_checksum++;
    return BRTC_ERR_AUTH;
  }
  if (h.dst_port != a->cfg.local_port || h.src_port != a->cfg.remote_port) {
    a->stats.dropped_unexpected++;
    return BRTC_ERR_PARSE;
  }
  /* The chunks must all be well formed before any acts (a half-read packet helps no one). */
  brtc_sctp_tlv_iter it;
  brtc_sctp_tlv c, first = {0};
  int r;
  unsigned n = 0;
  brtc_sctp_chunks_begin(&it, pkt, len);
  while ((r = brtc_sctp_tlv_next(&it, &c)) == 1)
    if (n++ == 0) first = c;
  if (r < 0 || n == 0) {
    a->stats.dropped_malformed++;
    return BRTC_ERR_PARSE;
  }
  /* 6.10: INIT, INIT ACK and SHUTDOWN COMPLETE travel alone. */
  if (n > 1 && (first.type == BRTC_SCTP_INIT || first.type == BRTC_SCTP_INIT_ACK ||
                first.type == BRTC_SCTP_SHUTDOWN_COMPLETE)) {
    a->stats.dropped_malformed++;
    return BRTC_ERR_PARSE;
  }
  if (!vtag_ok(a, &h, &first)) {
    a->stats.dropped_vtag++;
    return BRTC_ERR_AUTH;
  }

  bool had_data = false, immediate = false;
  brtc_sctp_chunks_begin(&it, pkt, len);
  while (a->state != BRTC_SCTP_GONE && brtc_sctp_tlv_next(&it, &c) == 1) {
    switch (c.type) {
      case BRTC_SCTP_DATA: {
        brtc_sctp_data d;
        if (brtc_sctp_parse_data(&c, &d)) {
          a->stats.dropped_malformed++;
          break;
        }
        if (!data_allowed(a)) {
          a->stats.dropped_unexpected++;
          break;
        }
        had_data = true;
        if (d.flags & BRTC_SCTP_DATA_I) immediate = true;
        sctp_rx_handle_data(a, now_us, &d);
        break;
      }
      case BRTC_SCTP_SACK: {
        brtc_sctp_sack s;
        if (brtc_sctp_parse_sack(&c, &s)) {
          a->stats.dropped_malformed++;
          break;
        }
        if (!sack_allowed(a)) {
          a->stats.dropped_unexpected++;
          break;
        }
        sctp_tx_handle_sack(a, now_us, &s);
        break;
      }
      case BRTC_SCTP_INIT:
        handle_init(a, &c);
        break;
      case BRTC_SCTP_INIT_ACK:
        handle_init_ack(a, now_us, &c);
        break;
      case BRTC_SCTP_COOKIE_ECHO:
        if (!handle_cookie_echo(a, now_us, h.vtag, &c)) goto done;
        break;
      case BRTC_SCTP_COOKIE_ACK:
        handle_cookie_ack(a, now_us);
        break;
      case BRTC_SCTP_HEARTBEAT:
        handle_heartbeat(a, &c);
        break;
      case BRTC_SCTP_HEARTBEAT_ACK:
        handle_heartbeat_ack(a, now_us, &c);
        break;
      case BRTC_SCTP_ABORT:
        handle_abort(a, &c);
        break;
      case BRTC_SCTP_SHUTDOWN:
        handle_shutdown(a, now_us, &c);
        break;
      case BRTC_SCTP_SHUTDOWN_ACK:
        handle_shutdown_ack(a);
        break;
      case BRTC_SCTP_SHUTDOWN_COMPLETE:
        if (a->state == BRTC_SCTP_SHUTDOWN_ACK_SENT)
          sctp_enter_gone(a, BRTC_OK, 0, true, "shut down");
        else
          a->stats.dropped_unexpected++;
        break;
      case BRTC_SCTP_ERROR:
        handle_error(a, now_us, &c);
        break;
      case BRTC_SCTP_FORWARD_TSN: {
        brtc_sctp_forward_tsn f;
        if (brtc_sctp_parse_forward_tsn(&c, &f)) {
          a->stats.dropped_malformed++;
          break;
        }
        if (!data_allowed(a) && a->state != BRTC_SCTP_SHUTDOWN_RECEIVED) {
          a->stats.dropped_unexpected++;
          break;
        }
        sctp_rx_handle_forward_tsn(a, now_us, &f);
        had_data = true;
        break;
      }
      case BRTC_SCTP_RECONFIG:
        if (!sack_allowed(a)) {
          a->stats.dropped_unexpected++;
          break;
        }
        sctp_reset_handle(a, now_us, &c);
        break;
      case BRTC_SCTP_PAD:
        break;
      case BRTC_SCTP_IDATA:
      case BRTC_SCTP_IFORWARD_TSN:
        /* RFC 8260 2.2: only after both announced it, which we never do. */
        sctp_fail(a, BRTC_SCTP_CAUSE_PROTOCOL_VIOLATION, "I-DATA without negotiation");
        break;
      default:
        if (!unknown_chunk(a, &c)) goto done;
        break;
    }
  }
done:
  if (a->state == BRTC_SCTP_GONE) return BRTC_OK;
  /* The peer is heard from: the next heartbeat waits a full interval again (8.3). */
  if (a->state == BRTC_SCTP_ESTABLISHED && !a->hb_outstanding && !a->hb_due)
    a->hb_deadline = now_us + (uint64_t)a->cfg.heartbeat_interval_ms * SCTP_US_PER_MS +
                     a->tx.rto.rto_us;
  sctp_rx_packet_done(a, now_us, had_data, immediate);
  if (had_data && a->state == BRTC_SCTP_SHUTDOWN_SENT) {
    a->rx.sack_now = true; /* 9.2: each packet of DATA is answered with SACK and SHUTDOWN */
    a->shutdown_due = true;
  }
  shutdown_progress(a, now_us);
  if (a->state == BRTC_SCTP_ESTABLISHED) sctp_reset_maybe_request(a, now_us);
  return BRTC_OK;
}

/* ---- timers ---- */

void brtc_sctp_handle_timeout(brtc_sctp *a, uint64_t now_us) {
  sctp_rx_release_handed_out(a);
  if (a->state == BRTC_SCTP_GONE) return;
  if (a->t1_deadline <= now_us) {
    if (++a->init_retransmits > a->cfg.max_init_retransmits) {
      sctp_enter_gone(a, BRTC_ERR_IO, 0, false,
                      a->state == BRTC_SCTP_COOKIE_WAIT ? "no answer to INIT"
                                                        : "no answer to COOKIE ECHO");
      return;
    }
    a->t1_rto_us = a->t1_rto_us * 2 > a->tx.rto.max_us ? a->tx.rto.max_us : a->t1_rto_us * 2;
    a->t1_deadline = now_us + a->t1_rto_us;
    if (a->state == BRTC_SCTP_COOKIE_WAIT) a->init_due = true;
    if (a->state == BRTC_SCTP_COOKIE_ECHOED) a->cookie_echo_due = true;
  }
  if (a->tx.t3_deadline <= now_us) {
    sctp_tx_handle_t3(a, now_us);
    if (a->state == BRTC_SCTP_GONE) return;
  }
  if (a->rx.sack_deadline <= now_us) {
    a->rx.sack_now = true;
    a->rx.sack_deadline = SCTP_NEVER;
  }
  if (a->t2_deadline <= now_us) {
    if (!sctp_count_timeout(a)) return;
    sctp_rto_backoff(&a->tx.rto);
    a->t2_deadline = now_us + a->tx.rto.rto_us;
    if (a->state == BRTC_SCTP_SHUTDOWN_SENT) a->shutdown_due = true;
    if (a->state == BRTC_SCTP_SHUTDOWN_ACK_SENT) a->shutdown_ack_due = true;
  }
  if (a->reset.deadline <= now_us) sctp_reset_handle_timeout(a, now_us);
  if (a->hb_deadline <= now_us) {
    a->hb_deadline = SCTP_NEVER;
    if (a->hb_outstanding) { /* unanswered: the next one after RTO + HB.interval (8.3) */
      a->hb_outstanding = false;
      if (!sctp_count_timeout(a)) return;
      sctp_rto_backoff(&a->tx.rto);
      a->hb_deadline = now_us + (uint64_t)a->cfg.heartbeat_interval_ms * SCTP_US_PER_MS;
    } else if (a->state == BRTC_SCTP_ESTABLISHED) {
      a->hb_due = true;
    }
  }
}

static uint64_t min_u64(uint64_t x, uint64_t y) { return x < y ? x : y; }

uint64_t brtc_sctp_next_deadline(const brtc_sctp *a) {
  if (a->state == BRTC_SCTP_GONE) return SCTP_NEVER;
  uint64_t d = min_u64(a->t1_deadline, a->t2_deadline);
  d = min_u64(d, a->tx.t3_deadline);
  d = min_u64(d, a->rx.sack_deadline);
  d = min_u64(d, a->hb_deadline);
  return min_u64(d, a->reset.deadline);
}

/* ---- packets out ---- */

static void finish(brtc_sctp *a, uint8_t *buf, size_t len, bool crc) {
  /* RFC 9653 5.2: zero only where the peer accepts it and never on what sets up. */
  if (crc || !a->zero_checksum_send) brtc_sctp_checksum_write(buf, len);
  a->stats.packets_sent++;
  a->stats.bytes_sent += len;
}

static int alone(brtc_sctp *a, brtc_sctp_writer *w, size_t *out_len) {
  finish(a, w->buf, w->len, true);
  *out_len = w->len;
  return BRTC_OK;
}

int brtc_sctp_poll_packet(brtc_sctp *a, uint64_t now_us, uint8_t *buf, size_t cap,
                          size_t *out_len) {
  if (!buf || !out_len || cap < 256) return BRTC_ERR_INVALID;
  brtc_sctp_writer w;
  brtc_sctp_writer_init(&w, buf, cap < a->cfg.mtu ? cap : a->cfg.mtu);
  brtc_sctp_put(&w, BRTC_SCTP_COMMON_HEADER);
  uint16_t sp = a->cfg.local_port, dp = a->cfg.remote_port;

  /* Packets that travel alone, on a tag of their own. */
  if (a->abort_due) {
    a->abort_due = false;
    brtc_sctp_header_write(buf, sp, dp, a->abort_vtag);
    size_t info = strlen(a->abort_info);
    bool with_info = a->abort_cause == BRTC_SCTP_CAUSE_USER_ABORT ||
                     a->abort_cause == BRTC_SCTP_CAUSE_PROTOCOL_VIOLATION;
    brtc_sctp_write_cause_chunk(&w, BRTC_SCTP_ABORT, a->abort_t_bit ? BRTC_SCTP_FLAG_T : 0,
                                a->abort_cause, (const uint8_t *)a->abort_info,
                                with_info ? info : 0);
    return alone(a, &w, out_len);
  }
  if (a->ootb_shutdown_complete_due || a->shutdown_complete_due) {
    bool ootb = a->ootb_shutdown_complete_due;
    brtc_sctp_header_write(buf, sp, dp, ootb ? a->ootb_vtag : a->peer_vtag);
    brtc_sctp_write_empty(&w, BRTC_SCTP_SHUTDOWN_COMPLETE, ootb ? BRTC_SCTP_FLAG_T : 0);
    a->ootb_shutdown_complete_due = false;
    if (!ootb) a->shutdown_complete_due = false;
    return alone(a, &w, out_len);
  }
  if (a->state == BRTC_SCTP_GONE) return BRTC_ERR_AGAIN;
  if (a->init_due && a->state == BRTC_SCTP_COOKIE_WAIT) {
    a->init_due = false;
    brtc_sctp_header_write(buf, sp, dp, 0);
    brtc_sctp_init_write init = {.initiate_tag = a->my_vtag,
                                 .a_rwnd = sctp_rx_a_rwnd(a),
                                 .outbound_streams = STREAMS_OFFERED,
                                 .inbound_streams = STREAMS_OFFERED,
                                 .initial_tsn = a->my_initial_tsn,
                                 .forward_tsn = true,
                                 .reconfig = true,
                                 .zero_checksum_edmid =
                                     a->cfg.zero_checksum ? BRTC_SCTP_EDMID_DTLS : 0};
    brtc_sctp_write_init(&w, BRTC_SCTP_INIT, &init);
    return alone(a, &w, out_len);
  }
  if (a->init_ack.due) {
    sctp_cookie_fields *f = &a->init_ack.f;
    a->init_ack.due = false;
    f->created_us = now_us;
    uint8_t cookie[SCTP_COOKIE_LEN];
    if (!sctp_cookie_make(a->cookie_key, f, cookie)) return BRTC_ERR_CRYPTO;
    brtc_sctp_header_write(buf, sp, dp, f->peer_tag);
    brtc_sctp_init_write ack = {.initiate_tag = f->my_tag,
                                .a_rwnd = sctp_rx_a_rwnd(a),
                                .outbound_streams = STREAMS_OFFERED,
                                .inbound_streams = STREAMS_OFFERED,
                                .initial_tsn = f->my_tsn,
                                .forward_tsn = true,
                                .reconfig = true,
                                .zero_checksum_edmid =
                                    a->cfg.zero_checksum ? BRTC_SCTP_EDMID_DTLS : 0,
                                .cookie = cookie,
                                .cookie_len = sizeof cookie};
    brtc_sctp_write_init(&w, BRTC_SCTP_INIT_ACK, &ack);
    return alone(a, &w, out_len);
  }
  if (a->error_due && a->error_cause == BRTC_SCTP_CAUSE_STALE_COOKIE &&
      a->state < BRTC_SCTP_COOKIE_ECHOED) {
    a->error_due = false;
    brtc_sctp_header_write(buf, sp, dp, a->stale_vtag);
    brtc_sctp_write_cause_chunk(&w, BRTC_SCTP_ERROR, 0, a->error_cause, a->error_info,
                                a->error_info_len);
    return alone(a, &w, out_len);
  }
  if (a->state < BRTC_SCTP_COOKIE_ECHOED) return BRTC_ERR_AGAIN;

  /* Everything else goes on the peer's tag, bundled: control chunks first (6.10). */
  brtc_sctp_header_write(buf, sp, dp, a->peer_vtag);
  bool crc = false;
  if (a->cookie_echo_due && a->state == BRTC_SCTP_COOKIE_ECHOED) {
    if (brtc_sctp_write_cookie_echo(&w, a->cookie, a->cookie_len)) {
      a->cookie_echo_due = false;
      a->cookie_echo_sent_us = a->init_retransmits_cookie ? 0 : now_us; /* Karn's rule */
      a->init_retransmits_cookie++;
    }
    crc = true; /* RFC 9653 5.2 */
  }
  if (a->cookie_ack_due && brtc_sctp_write_empty(&w, BRTC_SCTP_COOKIE_ACK, 0))
    a->cookie_ack_due = false;
  if (a->error_due && brtc_sctp_write_cause_chunk(&w, BRTC_SCTP_ERROR, 0, a->error_cause,
                                                  a->error_info, a->error_info_len))
    a->error_due = false;
  if (a->hb_ack_due &&
      brtc_sctp_write_heartbeat(&w, BRTC_SCTP_HEARTBEAT_ACK, a->hb_info, a->hb_info_len))
    a->hb_ack_due = false;
  if (a->hb_due && a->state == BRTC_SCTP_ESTABLISHED) write_heartbeat(a, now_us, &w);
  bool established = a->state >= BRTC_SCTP_ESTABLISHED;
  bool sends_data = established && a->state != BRTC_SCTP_SHUTDOWN_SENT &&
                    a->state != BRTC_SCTP_SHUTDOWN_ACK_SENT &&
                    sctp_tx_has_data_to_send(a, now_us);
  /* A SACK that is due, or one that can ride along with DATA we send anyway. */
  if (established && (sctp_rx_sack_due(a, now_us) || (sends_data && a->rx.packets_unacked)))
    sctp_rx_write_sack(a, &w);
  if (a->shutdown_due && a->state == BRTC_SCTP_SHUTDOWN_SENT &&
      brtc_sctp_write_shutdown(&w, a->rx.cum_tsn))
    a->shutdown_due = false;
  if (a->shutdown_ack_due && a->state == BRTC_SCTP_SHUTDOWN_ACK_SENT &&
      brtc_sctp_write_empty(&w, BRTC_SCTP_SHUTDOWN_ACK, 0))
    a->shutdown_ack_due = false;
  if (established) {
    sctp_reset_write(a, now_us, &w);
    sctp_tx_write_forward_tsn(a, now_us, &w);
    if (sends_data) {
      sctp_tx_write_data(a, now_us, &w);
      if (a->state == BRTC_SCTP_ESTABLISHED) sctp_reset_maybe_request(a, now_us);
    }
  }
  if (w.len == BRTC_SCTP_COMMON_HEADER) return BRTC_ERR_AGAIN;
  finish(a, buf, w.len, crc);
  *out_len = w.len;
  return BRTC_OK;
}

/* ---- the owner's calls ---- */

int brtc_sctp_send(brtc_sctp *a, uint64_t now_us, const brtc_sctp_send_options *opt,
                   const uint8_t *data, size_t len) {
  if (!opt || (!data && len) || len == 0 || opt->stream == 0xffff ||
      (opt->max_retransmits >= 0 && opt->lifetime_ms >= 0))
    return BRTC_ERR_INVALID;
  if (a->state > BRTC_SCTP_ESTABLISHED) return BRTC_ERR_STATE; /* 9.2: no new data */
  if (len > a->max_outbound_message) return BRTC_ERR_TOO_BIG;
  if (a->state == BRTC_SCTP_ESTABLISHED && opt->stream >= a->outbound_streams)
    return BRTC_ERR_INVALID;
  return sctp_tx_send(a, now_us, opt, data, len);
}

size_t brtc_sctp_buffered_amount(const brtc_sctp *a, uint16_t stream) {
  const sctp_ostream *os = sctp_table_find(&a->tx.ostreams, stream);
  return os ? os->buffered : 0;
}

int brtc_sctp_set_buffered_low_threshold(brtc_sctp *a, uint16_t stream, size_t bytes) {
  sctp_ostream *os = sctp_tx_stream(a, stream, bytes != 0);
  if (!os) return bytes ? BRTC_ERR_LIMIT : BRTC_OK;
  os->low_threshold = bytes;
  return BRTC_OK;
}

size_t brtc_sctp_send_buffer_used(const brtc_sctp *a) { return a->tx.held; }

int brtc_sctp_reset_streams(brtc_sctp *a, uint64_t now_us, const uint16_t *streams, unsigned n) {
  if (!streams || !n) return BRTC_ERR_INVALID;
  if (a->state != BRTC_SCTP_ESTABLISHED) return BRTC_ERR_STATE;
  return sctp_reset_request(a, now_us, streams, n);
}

void brtc_sctp_set_max_message(brtc_sctp *a, uint32_t bytes) {
  if (bytes == 0) bytes = 65536; /* RFC 8841 6.1: the default when the attribute is absent */
  uint32_t most = a->cfg.send_buffer - (uint32_t)sizeof(sctp_msg);
  a->max_outbound_message = bytes < most ? bytes : most;
}

uint32_t brtc_sctp_max_message(const brtc_sctp *a) { return a->max_outbound_message; }
brtc_sctp_state brtc_sctp_get_state(const brtc_sctp *a) { return a->state; }
bool brtc_sctp_peer_supports_reconfig(const brtc_sctp *a) { return a->peer_reconfig; }
bool brtc_sctp_peer_supports_pr(const brtc_sctp *a) { return a->peer_pr; }
bool brtc_sctp_zero_checksum_sending(const brtc_sctp *a) { return a->zero_checksum_send; }
uint16_t brtc_sctp_outbound_streams(const brtc_sctp *a) { return a->outbound_streams; }
uint16_t brtc_sctp_inbound_streams(const brtc_sctp *a) { return a->inbound_streams; }
uint32_t brtc_sctp_local_vtag(const brtc_sctp *a) { return a->my_vtag; }

void brtc_sctp_get_stats(const brtc_sctp *a, brtc_sctp_stats *out) {
  *out = a->stats;
  out->rto_ms = a->tx.rto.rto_us / SCTP_US_PER_MS;
  out->srtt_ms = a->tx.rto.srtt_us / SCTP_US_PER_MS;
  out->cwnd = a->tx.cwnd;
  out->ssthresh = a->tx.ssthresh;
  out->peer_rwnd = sctp_tx_peer_rwnd(a);
  out->flight = a->tx.flight;
  out->a_rwnd = sctp_rx_a_rwnd(a);
}

size_t brtc_sctp_memory(const brtc_sctp *a) {
  return sizeof *a + sctp_tx_memory(a) + sctp_rx_memory(a) + sctp_reset_memory(a) +
         (size_t)a->events.cap * sizeof(sctp_event_item) + a->cookie_len;
}
