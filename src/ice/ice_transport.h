/* An ICE agent (RFC 8445) for one data stream with one component: rtcp-mux and BUNDLE put
 * all of a WebRTC session on one transport, the W3C's RTCIceTransport. Full (both roles) or
 * lite (RFC 8445 2.5: it only answers checks, for a server on a public address), behind one
 * interface so that the peer connection does not care which.
 *
 * Sans-IO and pull-only, like every core here:
 *   inputs   STUN datagrams with the local address they arrived on and their source, each
 *            already parsed once by the caller (brtc_ice_transport_handle_stun); timeouts
 *            (brtc_ice_transport_handle_timeout); local and remote candidates, remote
 *            credentials, end-of-candidates, restart. Every input takes now_us.
 *   outputs  brtc_ice_transport_poll: a datagram to send (from which local base, through
 *            which of the owner's sockets, to whom), an event, or the next deadline, which
 *            also means "drained". Drain after every input.
 * No sockets, no clock, no callbacks. Nothing is allocated after brtc_ice_transport_new.
 *
 * Where candidates come from: the owner adds a host candidate for each local address it has
 * a socket on (IPv4 and IPv6, in the order it prefers interfaces: a filter is the owner's
 * business, here is the list). Issue 10 plugs its STUN and TURN clients in with
 * brtc_ice_transport_add_gathered_candidate: a server-reflexive candidate names its host base;
 * a relayed candidate is its own base and names the owner's TURN allocation as its socket,
 * so that datagrams "from" a relayed address go out through that allocation, and datagrams
 * the allocation brings in come back here with the relayed address as their local address.
 * TCP candidates (RFC 6544) parse and are held apart until ICE-TCP comes. */
#ifndef BRTC_ICE_TRANSPORT_H
#define BRTC_ICE_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "ice/ice_candidate.h"
#include "stun/stun.h"

#define BRTC_ICE_MAX_LOCAL 16       /* local candidates, prflx learned from checks included */
#define BRTC_ICE_MAX_REMOTE 32      /* remote candidates, prflx learned from checks included */
#define BRTC_ICE_MAX_HELD 8         /* remote candidates named by hostname (mDNS), unresolved */
#define BRTC_ICE_MAX_PAIRS 100      /* RFC 8445 6.1.2.5's default limit on the checklist */
#define BRTC_ICE_LITE_MAX_PAIRS 8   /* a lite agent: remote addresses that passed a check */
#define BRTC_ICE_MAX_DATAGRAM BRTC_STUN_MAX_SIZE /* poll needs a buffer at least this big */

typedef struct brtc_ice_transport brtc_ice_transport;

typedef struct brtc_ice_config {
  bool lite;        /* answer checks only; never controlling (RFC 8445 6.1.1) */
  bool controlling; /* the initial role: the offerer's (RFC 8445 6.1.1; JSEP) */
  uint64_t ta_us;   /* pacing of new checks: 50 ms (RFC 8445 14.2), at least 5 ms */
  uint64_t min_rto_us;         /* first retransmission at least this late: 500 ms (14.3) */
  unsigned max_transmissions;  /* Rc, each check's sends in all: 7 (RFC 8489 6.2.1) */
  uint64_t nomination_wait_us; /* controlling: once a pair is valid, how long a higher-priority
                                * pair still being checked may take to beat it: 200 ms */
  uint64_t consent_interval_us; /* consent checks on the selected pair: 5 s, randomised
                                 * 0.8 to 1.2 (RFC 7675 5.1) */
  uint64_t consent_timeout_us;  /* no answer for this long: consent lapsed, failed: 30 s */
  uint64_t disconnected_after_us; /* a consent check unanswered this long (its resends at
                                   * 0.5 and 1.5 s unanswered too): disconnected: 2.5 s.
                                   * A lite agent, which sends none, waits this long past the
                                   * peer's latest expected check (1.2 consent intervals). */
  const char *local_ufrag;   /* NULL: random, 8 characters (tests and fixtures set them) */
  const char *local_pwd;     /* NULL: random, 24 characters */
  uint64_t tie_breaker;      /* 0: random */
  const char *software;      /* a SOFTWARE attribute in what we send; NULL: none */
  uint64_t seed;             /* non-zero: transaction IDs, credentials and consent jitter from
                              * a deterministic generator: tests and fuzzing only */
} brtc_ice_config;

/* RTCIceConnectionState / RTCIceTransportState. */
typedef enum brtc_ice_conn_state {
  BRTC_ICE_CONN_NEW = 0,
  BRTC_ICE_CONN_CHECKING,     /* remote credentials and a pair to check, or a check came */
  BRTC_ICE_CONN_CONNECTED,    /* a pair is selected (nominated) */
  BRTC_ICE_CONN_COMPLETED,    /* selected, checks over, both sides' candidates all known */
  BRTC_ICE_CONN_DISCONNECTED, /* consent checks on the selected pair go unanswered */
  BRTC_ICE_CONN_FAILED,       /* every pair failed, or consent lapsed (RFC 7675); a restart
                               * is the way back */
  BRTC_ICE_CONN_CLOSED,
} brtc_ice_conn_state;

/* RFC 8445 6.1.2.6. */
typedef enum brtc_ice_pair_state {
  BRTC_ICE_PAIR_FROZEN = 0,
  BRTC_ICE_PAIR_WAITING,
  BRTC_ICE_PAIR_IN_PROGRESS,
  BRTC_ICE_PAIR_SUCCEEDED,
  BRTC_ICE_PAIR_FAILED,
} brtc_ice_pair_state;

/* A candidate pair as the owner sees it (the selected one, or any for statistics). */
typedef struct brtc_ice_pair_info {
  brtc_addr local;   /* the local candidate's address */
  brtc_addr base;    /* where its datagrams leave from: a host or a relayed address */
  uint32_t socket;   /* the owner's tag for that base */
  brtc_addr remote;
  brtc_ice_cand_type local_type, remote_type;
  uint64_t priority;
  brtc_ice_pair_state state;
  bool valid, nominated;
  uint64_t requests_sent, requests_received, responses_sent, responses_received;
  uint64_t rtt_us; /* the last round trip of a check answered on its first transmission */
} brtc_ice_pair_info;

typedef enum brtc_ice_event_type {
  BRTC_ICE_EVENT_LOCAL_CANDIDATE = 1, /* .candidate: signal it (trickle, RFC 8838) */
  BRTC_ICE_EVENT_GATHERING_DONE,      /* signal end-of-candidates */
  BRTC_ICE_EVENT_CREDENTIALS,         /* the peer restarted ICE: our credentials are new, the
                                       * answer carries them (RFC 8445 9; JSEP 5.3.1) */
  BRTC_ICE_EVENT_ROLE,                /* .controlling: a role conflict changed our role */
  BRTC_ICE_EVENT_SELECTED_PAIR,       /* .pair: media goes here now */
  BRTC_ICE_EVENT_STATE,               /* .state */
  BRTC_ICE_EVENT_ERROR,               /* .error and .reason (static): worth a log line */
} brtc_ice_event_type;

typedef struct brtc_ice_event {
  brtc_ice_event_type type;
  brtc_ice_candidate candidate;
  bool controlling;
  brtc_ice_pair_info pair;
  brtc_ice_conn_state state;
  int error;
  const char *reason;
} brtc_ice_event;

typedef enum brtc_ice_output_kind {
  BRTC_ICE_OUTPUT_TIMEOUT = 0, /* drained: call handle_timeout at .deadline_us */
  BRTC_ICE_OUTPUT_TRANSMIT,    /* .len bytes in the buffer, from .from via .socket to .to */
  BRTC_ICE_OUTPUT_EVENT,
} brtc_ice_output_kind;

typedef struct brtc_ice_output {
  brtc_ice_output_kind kind;
  size_t len;
  brtc_addr from;
  uint32_t socket;
  brtc_addr to;
  brtc_ice_event event;
  uint64_t deadline_us; /* UINT64_MAX: nothing will happen until the next input */
} brtc_ice_output;

/* What became of one STUN datagram; the owner counts it. */
typedef enum brtc_ice_verdict {
  BRTC_ICE_HANDLED = 0,    /* a check answered with success, or a response to one of ours */
  BRTC_ICE_AUTH_FAILED,    /* 401 sent (USERNAME or MESSAGE-INTEGRITY wrong), or a response
                            * that does not authenticate: dropped */
  BRTC_ICE_BAD_REQUEST,    /* 400 or 420 sent */
  BRTC_ICE_ROLE_CONFLICT,  /* 487 sent (RFC 8445 7.3.1.1) */
  BRTC_ICE_IGNORED,        /* not for this agent: an indication, another method, an unknown
                            * transaction, a bad FINGERPRINT, malformed, or after close */
  BRTC_ICE_OVER_LIMIT,     /* authenticated, answered, but no room to track the pair */
} brtc_ice_verdict;

typedef struct brtc_ice_stats {
  uint64_t checks_sent;        /* new check transactions (nominations included) */
  uint64_t retransmissions;
  uint64_t consent_checks_sent;
  uint64_t requests_received;  /* authenticated checks */
  uint64_t responses_sent;     /* success responses */
  uint64_t errors_sent;        /* error responses (400, 401, 420, 487) */
  uint64_t responses_received; /* authenticated responses to our checks */
  uint64_t responses_dropped;  /* unknown transaction, not authenticated, or not symmetric */
  uint64_t responses_duplicate; /* an answer to a retransmission of a check already answered */
  uint64_t role_conflicts;     /* 487s sent or received, and role switches */
  uint64_t pairs_failed;
  uint64_t remote_candidates;  /* remote candidates added */
  uint64_t remote_ignored;     /* not UDP, not component 1, another generation, unusable */
  uint64_t remote_mdns;        /* .local names seen (held until the owner resolves them) */
  uint64_t remote_prflx;       /* remote peer-reflexive candidates learned from checks */
  uint64_t local_prflx;        /* local peer-reflexive candidates learned from responses */
  uint64_t over_limit;         /* candidates, pairs or transactions refused by a table limit */
  uint64_t responses_queue_dropped; /* answers dropped because the owner did not drain */
  uint64_t restarts;
  uint64_t checking_since_us;  /* when checks could start in this generation (0: not yet) */
  uint64_t connected_at_us;    /* when a pair was first selected (0: not yet) */
  uint64_t memory_bytes;       /* the agent's one allocation */
} brtc_ice_stats;

/* The defaults above. */
void brtc_ice_config_init(brtc_ice_config *cfg);
/* BRTC_OK, BRTC_ERR_INVALID (a bad value: *err says which), BRTC_ERR_NOMEM or
 * BRTC_ERR_CRYPTO (no randomness). */
int brtc_ice_transport_new(const brtc_ice_config *cfg, uint64_t now_us, brtc_ice_transport **out,
                           char *err, size_t err_cap);
void brtc_ice_transport_free(brtc_ice_transport *t);

/* Our ufrag and password for the SDP (valid until the next restart). */
const char *brtc_ice_transport_local_ufrag(const brtc_ice_transport *t);
const char *brtc_ice_transport_local_pwd(const brtc_ice_transport *t);
/* After a restart, our previous ufrag stays valid for checks on the pair media still uses,
 * until a new pair is selected; NULL when there is none. The loop routes both. */
const char *brtc_ice_transport_previous_ufrag(const brtc_ice_transport *t);

/* A host candidate on a local address the owner has a socket bound to; socket is the
 * owner's tag, given back with every datagram to send from it. Its priority orders the
 * addresses as given, IPv6 first then IPv4, interleaved (RFC 8445 5.1.2.1, RFC 8421).
 * BRTC_ERR_INVALID (not an IPv4 or IPv6 unicast address with a port), BRTC_ERR_LIMIT. */
int brtc_ice_transport_add_host_candidate(brtc_ice_transport *t, const brtc_addr *addr,
                                          uint32_t socket, uint64_t now_us);
/* A server-reflexive (base: one of our host addresses) or relayed (base = addr; socket: the
 * TURN allocation) candidate the owner gathered; related is the raddr to signal (the host
 * base, or the relay's mapped address), server the STUN/TURN server's address (it takes part
 * in the foundation, RFC 8445 5.1.1.3). Issue 10. */
int brtc_ice_transport_add_gathered_candidate(brtc_ice_transport *t, brtc_ice_cand_type type,
                                              const brtc_addr *addr, const brtc_addr *base,
                                              const brtc_addr *related, const brtc_addr *server,
                                              uint32_t socket, uint64_t now_us);
/* The relayed candidate at addr lost its allocation (the TURN server has none for our new
 * 5-tuple after a NAT rebinding: RFC 8656 2, 7.3): its pairs fail and it pairs no more, so
 * that no check leaves "from" it through the allocation that replaces it on the same socket.
 * Its line stays given out; the owner leaves it out of later descriptions. */
void brtc_ice_transport_retire_relay(brtc_ice_transport *t, const brtc_addr *addr,
                                     uint64_t now_us);
/* No more local candidates (BRTC_ICE_EVENT_GATHERING_DONE follows, after the candidates
 * added before it; each call says it again, for an owner that gathered anew on a restart). */
void brtc_ice_transport_end_of_local_candidates(brtc_ice_transport *t, uint64_t now_us);

/* The peer's ufrag and password from its description. The same again changes nothing; new
 * ones mean the peer restarted (RFC 8445 9): unless we restarted first, we restart too and
 * say so with BRTC_ICE_EVENT_CREDENTIALS. BRTC_ERR_INVALID for a ufrag with ':' or either
 * longer than 256 or empty. */
int brtc_ice_transport_set_remote_credentials(brtc_ice_transport *t, const char *ufrag,
                                              const char *pwd, uint64_t now_us);
/* The peer is ICE-lite (a=ice-lite): we control and nominate (RFC 8445 6.1.1). */
void brtc_ice_transport_set_remote_lite(brtc_ice_transport *t, bool lite, uint64_t now_us);
/* A remote description's ICE part at once: credentials (as set_remote_credentials, a restart
 * included), a=ice-lite, its candidate lines and a=end-of-candidates. The checks start after
 * all of it, so that the best pair goes first. Lines that do not parse or cannot be used are
 * counted (remote_ignored) and skipped. BRTC_ERR_INVALID only for bad credentials. */
int brtc_ice_transport_set_remote_description(brtc_ice_transport *t, const char *ufrag,
                                              const char *pwd, bool lite,
                                              const char *const *candidates, size_t n,
                                              bool end_of_candidates, uint64_t now_us);
/* A remote candidate line ("candidate:..." with or without "a="), at any time (trickle).
 * BRTC_OK (added, or held until its .local name is resolved), BRTC_ERR_PARSE (malformed),
 * BRTC_ERR_UNSUPPORTED (well-formed but unusable here: not UDP, not component 1, an unknown
 * type; counted), BRTC_ERR_STATE (its ufrag names another generation, or closed),
 * BRTC_ERR_LIMIT (table full). A lite agent takes and counts them, and checks nothing. */
int brtc_ice_transport_add_remote_candidate(brtc_ice_transport *t, const char *line,
                                            uint64_t now_us);
/* The same for a candidate already parsed. */
int brtc_ice_transport_add_remote(brtc_ice_transport *t, const brtc_ice_candidate *c,
                                  uint64_t now_us);
/* The owner resolved a hostname held from a remote candidate: those candidates become
 * ordinary ones at ip (its port is ignored). BRTC_ERR_NOT_FOUND if none was held. */
int brtc_ice_transport_resolved(brtc_ice_transport *t, const char *hostname, const brtc_addr *ip,
                                uint64_t now_us);
/* How many remote candidates wait for their hostname to be resolved. */
size_t brtc_ice_transport_unresolved(const brtc_ice_transport *t, const char **first_name);
/* The i-th of them's hostname (i < brtc_ice_transport_unresolved), else NULL. */
const char *brtc_ice_transport_unresolved_name(const brtc_ice_transport *t, size_t i);
/* The owner could not resolve hostname: the candidates held for it are dropped. Returns how
 * many. */
size_t brtc_ice_transport_drop_unresolved(brtc_ice_transport *t, const char *hostname);
/* The peer signalled end-of-candidates (a=end-of-candidates, or a description without
 * trickle): once every pair failed, the transport has failed. */
void brtc_ice_transport_end_of_remote_candidates(brtc_ice_transport *t, uint64_t now_us);

/* An ICE restart we start (an offer with new credentials): new local credentials, the
 * checks begin again once the answer's credentials and candidates arrive; media stays on the
 * selected pair until a new one is selected (RFC 8445 9). */
int brtc_ice_transport_restart(brtc_ice_transport *t, uint64_t now_us);
/* The role before the checks start (JSEP: the offerer controls, RFC 8445 6.1.1), for an owner
 * that learns it after making the agent. BRTC_ERR_STATE for a lite agent asked to control
 * (it never does) or once remote credentials are set (then only a role conflict, 7.3.1.1,
 * changes it). */
int brtc_ice_transport_set_controlling(brtc_ice_transport *t, bool controlling);
/* Authenticated media (SRTP, SRTCP, DTLS application data) came from remote: the peer is
 * there and holds the session's keys, which no one else can forge, so consent on the pair
 * with that remote is renewed as by a check (RFC 7675 5.1 asks for STUN; a lite agent sends
 * none, and a full peer such as Pion sends no checks while media flows). No-op for an
 * address that never passed a check. */
void brtc_ice_transport_renew_consent(brtc_ice_transport *t, const brtc_addr *remote,
                                      uint64_t now_us);
/* Stop: state closed, nothing more is sent. */
void brtc_ice_transport_close(brtc_ice_transport *t, uint64_t now_us);

/* One STUN datagram: buf/len are its bytes (MESSAGE-INTEGRITY covers them), msg the caller's
 * parse of them (NULL: parsed here), local the address it arrived on (a host address, or the
 * relayed address for one that came through a TURN allocation), remote its source. */
brtc_ice_verdict brtc_ice_transport_handle_stun(brtc_ice_transport *t, const brtc_addr *local,
                                                const brtc_addr *remote, const uint8_t *buf,
                                                size_t len, const brtc_stun_msg *msg,
                                                uint64_t now_us);
void brtc_ice_transport_handle_timeout(brtc_ice_transport *t, uint64_t now_us);
/* The next output; buf (cap >= BRTC_ICE_MAX_DATAGRAM) receives a datagram. BRTC_OK, or
 * BRTC_ERR_TOO_BIG when cap was too small for the datagram due (it is dropped; a
 * retransmission will follow). */
int brtc_ice_transport_poll(brtc_ice_transport *t, uint8_t *buf, size_t cap, brtc_ice_output *out);
/* When handle_timeout is next due (UINT64_MAX: no timer). */
uint64_t brtc_ice_transport_next_deadline(const brtc_ice_transport *t);

brtc_ice_conn_state brtc_ice_transport_get_state(const brtc_ice_transport *t);
bool brtc_ice_transport_is_controlling(const brtc_ice_transport *t);
bool brtc_ice_transport_is_lite(const brtc_ice_transport *t);
/* The selected pair; false before there is one. */
bool brtc_ice_transport_selected(const brtc_ice_transport *t, brtc_ice_pair_info *out);
/* True if remote passed an authenticated check either way (media from it is accepted). */
bool brtc_ice_transport_is_valid_remote(const brtc_ice_transport *t, const brtc_addr *remote);
/* True while remote is this agent's peer: an authenticated check from it, or an
 * authenticated answer from it, less than consent_timeout_us ago (RFC 7675). The loop keeps
 * such an address from being taken over by another session's check. */
bool brtc_ice_transport_consent_holds(const brtc_ice_transport *t, const brtc_addr *remote,
                                      uint64_t now_us);
/* Candidate pairs, for statistics (W3C candidate-pair). */
size_t brtc_ice_transport_pair_count(const brtc_ice_transport *t);
bool brtc_ice_transport_pair(const brtc_ice_transport *t, size_t i, brtc_ice_pair_info *out);
void brtc_ice_transport_get_stats(const brtc_ice_transport *t, brtc_ice_stats *out);

const char *brtc_ice_conn_state_name(brtc_ice_conn_state s);
const char *brtc_ice_pair_state_name(brtc_ice_pair_state s);

#endif
