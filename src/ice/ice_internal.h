/* The inside of brtc_ice_transport, shared by its files:
 *   ice_transport.c  the API: configuration, candidates, credentials, restart, outputs, state
 *   ice_checklist.c  candidate pairs: formation, priorities, pruning, states, what to check next
 *   ice_checks.c     STUN in and out: checks, answers, transactions and their retransmission,
 *                    pacing, triggered checks, nomination, consent freshness */
#ifndef BRTC_ICE_INTERNAL_H
#define BRTC_ICE_INTERNAL_H

#include "ice/ice_transport.h"

#define ICE_NEVER UINT64_MAX
#define ICE_MAX_TXNS 32      /* outstanding STUN transactions, cancelled ones included */
#define ICE_MAX_RESPONSES 16 /* answers waiting for the owner to poll them */
#define ICE_MAX_STATES 8     /* state changes waiting to be announced */
#define ICE_MAX_ERRORS 8
#define ICE_RM 16            /* RFC 8489 6.2.1: the last wait is Rm times the first RTO */
#define ICE_NO_INDEX (-1)

typedef struct ice_creds {
  char local_ufrag[BRTC_ICE_CRED_MAX + 1];
  char local_pwd[BRTC_ICE_CRED_MAX + 1];
  char remote_ufrag[BRTC_ICE_CRED_MAX + 1];
  char remote_pwd[BRTC_ICE_CRED_MAX + 1];
  bool have_remote;
} ice_creds;

typedef struct ice_local {
  brtc_ice_cand_type type;
  brtc_addr addr;
  brtc_addr base;
  bool has_related;
  brtc_addr related;
  uint32_t socket;
  bool has_server; /* the STUN or TURN server it came from (RFC 8445 5.1.1.3) */
  brtc_addr server;
  uint16_t local_pref;
  uint32_t priority;
  bool retired; /* a relayed candidate whose allocation is gone: it pairs no more */
  char foundation[BRTC_ICE_FOUNDATION_MAX + 1];
} ice_local;

typedef struct ice_remote {
  brtc_ice_cand_type type;
  brtc_addr addr;
  uint32_t priority;
  char foundation[BRTC_ICE_FOUNDATION_MAX + 1];
} ice_remote;

/* A remote candidate named by hostname: it waits for the owner to resolve the name. */
typedef struct ice_held {
  char hostname[BRTC_ICE_HOSTNAME_MAX + 1];
  char foundation[BRTC_ICE_FOUNDATION_MAX + 1];
  brtc_ice_cand_type type;
  uint32_t priority;
  uint16_t port;
} ice_held;

typedef struct ice_pair {
  bool in_use;
  bool in_checklist;  /* false: a valid pair built from a mapped address (RFC 8445 7.2.5.3.2),
                       * never checked itself */
  int16_t local;      /* index in locals, or ICE_NO_INDEX (a lite agent's unknown address) */
  int16_t remote;     /* index in remotes, or ICE_NO_INDEX (lite) */
  brtc_addr base;     /* copies, for lite pairs and for sending */
  brtc_addr remote_addr;
  uint32_t socket;
  uint64_t priority;
  brtc_ice_pair_state state;
  bool valid;
  int16_t valid_pair; /* a checked pair: the valid pair its success produced */
  int16_t checked_by; /* a valid pair: the pair whose check produced it */
  bool nominated;
  bool remote_nominated; /* USE-CANDIDATE seen on it (RFC 8445 7.3.1.5) */
  bool triggered;        /* in the triggered-check queue */
  int16_t txn;           /* the check in progress, or ICE_NO_INDEX */
  bool authenticated;    /* an authenticated check or answer went across it */
  uint64_t last_rx_us;   /* the latest of those */
  uint64_t requests_sent, requests_received, responses_sent, responses_received;
  uint64_t rtt_us;
} ice_pair;

typedef enum ice_txn_kind { ICE_TXN_CHECK = 0, ICE_TXN_CONSENT } ice_txn_kind;

typedef struct ice_txn {
  bool in_use;
  ice_txn_kind kind;
  uint8_t tid[12];
  int16_t pair;          /* CHECK: the pair checked */
  bool previous;         /* keyed with the previous generation's credentials (a restart) */
  bool use_candidate;
  bool controlling;      /* the role it claimed */
  uint32_t priority;     /* its PRIORITY */
  brtc_addr base, remote;
  uint32_t socket;
  unsigned sent;         /* transmissions so far */
  bool retransmit;       /* false once cancelled (RFC 8445 7.3.1.4): still takes an answer */
  bool send_pending;     /* the next poll sends it */
  uint64_t first_sent_us;
  uint64_t rto0_us, interval_us;
  uint64_t next_us;      /* next retransmission, or when it gives up */
} ice_txn;

#define ICE_ANSWERED 8
typedef struct ice_answered {
  bool in_use;
  bool previous; /* keyed with the previous generation's credentials */
  uint8_t tid[12];
} ice_answered;

typedef struct ice_response {
  uint8_t tid[12];
  brtc_addr to, from;
  uint32_t socket;
  uint16_t code;       /* 0: success */
  bool sign;           /* MESSAGE-INTEGRITY with our password */
  bool previous;       /* with the previous generation's password */
  uint16_t unknown[8];
  uint8_t n_unknown;
} ice_response;

/* The selected pair, held apart from the checklist so that a restart can empty the checklist
 * while media and consent go on here. */
typedef struct ice_path {
  bool active;
  bool previous;       /* it belongs to the generation before a restart */
  brtc_ice_pair_info info;
  uint32_t check_priority; /* PRIORITY of its consent checks */
  uint64_t last_consent_us; /* full: last answer to our check; lite: last check from the peer */
  uint64_t last_rx_us;      /* any authenticated check or answer on it */
  uint64_t next_consent_us;
  uint64_t unanswered_since_us; /* first consent check sent since the last answer, or 0 */
} ice_path;

struct brtc_ice_transport {
  brtc_ice_config cfg;
  char software[64];
  uint64_t rng;        /* seeded generator state, when cfg.seed */
  uint64_t now_us;

  ice_creds cur, prev;
  /* MESSAGE-INTEGRITY's HMAC keyed once per password in use, [previous][remote]; ice_key
   * re-keys one when its password changed (an answer, a restart). Freed with the agent. */
  brtc_stun_key keys[2][2];
  bool have_prev;
  bool awaiting_remote; /* we restarted: the answer's new credentials are expected */
  bool controlling;
  uint64_t tie_breaker;
  bool remote_lite;
  bool closed;
  bool failed;          /* every pair failed (until a pair is selected after all), or consent
                         * lapsed (until a restart) */
  bool consent_lapsed;  /* RFC 7675: nothing is sent on the pair again, nor selected, before a
                         * restart */

  ice_local locals[BRTC_ICE_MAX_LOCAL];
  size_t n_locals;
  size_t n_announced;   /* local candidates already given out as events */
  unsigned n_foundations;
  bool local_done, local_done_announced;

  /* The tables below are sized by mode (a lite agent needs no remote candidates, no
   * transactions and few pairs) and live in the same allocation, after the struct. */
  ice_remote *remotes;
  size_t max_remotes;
  size_t n_remotes;
  unsigned n_prflx;     /* to name remote prflx foundations */
  ice_held *held;
  size_t max_held;
  size_t n_held;
  bool remote_done;     /* end-of-candidates */

  ice_pair *pairs;
  size_t max_pairs;
  size_t n_pairs;       /* slots used so far, holes included (pairs are not moved) */
  int16_t *trig; /* triggered-check queue (FIFO ring of max_pairs) */
  bool trigger_now; /* a check from the peer triggered one: it need not wait for Ta */
  size_t trig_head, trig_count;

  ice_txn *txns;
  size_t max_txns;
  /* The last transactions that got their answer: the answers to their retransmissions,
   * which a slow peer sends too (RFC 8489 6.2.1), are duplicates, not strangers' packets. */
  ice_answered answered[ICE_ANSWERED];
  size_t answered_next;
  uint64_t next_check_us;   /* Ta pacing: no new check before this */
  bool checks_stopped;      /* a pair is selected in this generation: ordinary checks end */
  bool any_request;         /* an authenticated check came in this generation */
  int16_t nominating;       /* controlling: the pair whose nomination is in flight */
  uint64_t first_valid_us;  /* when this generation's first valid pair appeared */

  ice_path path;
  uint32_t path_serial, path_announced;

  ice_response responses[ICE_MAX_RESPONSES];
  size_t resp_head, resp_count;

  brtc_ice_conn_state state;
  brtc_ice_conn_state states[ICE_MAX_STATES]; /* changes to announce */
  size_t state_head, state_count;
  bool role_changed, creds_changed;
  struct { int code; const char *reason; } errors[ICE_MAX_ERRORS];
  size_t err_head, err_count;
  uint32_t errors_said; /* one line per kind per generation */

  brtc_ice_stats stats;
};

/* ice_transport.c */
void ice_random(brtc_ice_transport *t, void *out, size_t len);
uint64_t ice_random_between(brtc_ice_transport *t, uint64_t lo, uint64_t hi);
void ice_error(brtc_ice_transport *t, unsigned kind, int code, const char *reason);
void ice_update_state(brtc_ice_transport *t);
void ice_pair_info(const brtc_ice_transport *t, const ice_pair *p, brtc_ice_pair_info *out);
ice_creds *ice_creds_for(brtc_ice_transport *t, bool previous);
/* The keyed HMAC for the local or remote password of these or the previous credentials, or
 * NULL if OpenSSL could not key it. */
brtc_stun_key *ice_key(brtc_ice_transport *t, bool previous, bool remote);
/* A local peer-reflexive candidate learned from a mapped address (RFC 8445 7.2.5.3.1), on
 * the base of local candidate `from`; its index, or -1 when the table is full. */
int ice_add_local_prflx(brtc_ice_transport *t, const brtc_addr *mapped, int from, uint32_t priority);
/* A remote peer-reflexive candidate learned from a check (RFC 8445 7.3.1.3), or -1. */
int ice_add_remote_prflx(brtc_ice_transport *t, const brtc_addr *addr, uint32_t priority);
void ice_switch_role(brtc_ice_transport *t, bool controlling);
/* RFC 8445 7.1.1: PRIORITY of our checks from local candidate l, as peer-reflexive. */
uint32_t ice_check_priority(const brtc_ice_transport *t, int l);
/* Kinds of error lines (bits of errors_said). */
enum {
  ICE_ERR_REMOTE_FULL = 0,
  ICE_ERR_PAIRS_FULL,
  ICE_ERR_LOCAL_FULL,
  ICE_ERR_TXNS_FULL,
  ICE_ERR_CHECK_REJECTED,
  ICE_ERR_NOT_SYMMETRIC,
  ICE_ERR_CONSENT,
  ICE_ERR_ALL_FAILED,
};

/* ice_checklist.c */
/* Pair the remote candidate r with every local one it can pair with. */
void ice_pair_remote(brtc_ice_transport *t, int r);
/* Pair the local candidate l with every remote one. */
void ice_pair_local(brtc_ice_transport *t, int l);
/* The pair (local l, remote r) in the checklist or built from a mapped address, or -1. */
int ice_find_pair(const brtc_ice_transport *t, int l, int r);
/* Add (l, r) to the checklist (in_checklist) or as a valid pair only; its index, or -1 when
 * it cannot be paired or the table is full and it ranks last. */
int ice_add_pair(brtc_ice_transport *t, int l, int r, bool in_checklist);
void ice_remove_pair(brtc_ice_transport *t, int i);
void ice_recompute_priorities(brtc_ice_transport *t);
/* RFC 8445 7.2.5.3.3: a success unfreezes the pairs of its foundation. */
void ice_unfreeze_foundation(brtc_ice_transport *t, int i);
/* The pair the pacer checks next (triggered queue first, then Waiting, then unfreezing), or
 * -1. Takes it off the triggered queue. */
int ice_next_check(brtc_ice_transport *t);
void ice_trigger(brtc_ice_transport *t, int i);
size_t ice_count_active(const brtc_ice_transport *t); /* Waiting + In-Progress */
bool ice_all_failed(const brtc_ice_transport *t);
/* The highest-priority valid pair of this generation, or -1. */
int ice_best_valid(const brtc_ice_transport *t);
bool ice_better_pending(const brtc_ice_transport *t, uint64_t priority);
/* Whether ice_next_check would find a pair (without changing anything). */
bool ice_has_check(const brtc_ice_transport *t);
int ice_find_local(const brtc_ice_transport *t, const brtc_addr *addr, bool by_base);
int ice_find_remote(const brtc_ice_transport *t, const brtc_addr *addr);

/* ice_checks.c */
void ice_advance(brtc_ice_transport *t, uint64_t now_us);
brtc_ice_verdict ice_handle_stun(brtc_ice_transport *t, const brtc_addr *local,
                                 const brtc_addr *remote, const uint8_t *buf, size_t len,
                                 const brtc_stun_msg *msg);
/* The next datagram due (answers first, then checks); false when none. */
bool ice_next_datagram(brtc_ice_transport *t, uint8_t *buf, size_t cap, brtc_ice_output *out,
                       int *rc);
uint64_t ice_deadline(const brtc_ice_transport *t);
void ice_cancel_checks(brtc_ice_transport *t); /* every check transaction (restart) */
void ice_cancel_pair_txns(brtc_ice_transport *t, int pair);

#endif
