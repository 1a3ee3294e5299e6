/* ICE agent, controlled side (RFC 8445), answering connectivity checks. Sans-IO.
 * We advertise a=ice-lite: the browser (full agent) controls and nominates. */
#ifndef BRTC_ICE_H
#define BRTC_ICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#define BRTC_ICE_UFRAG_LEN 8   /* we generate 8 chars (>= 4 required) */
#define BRTC_ICE_PWD_LEN 24    /* we generate 24 chars (>= 22 required) */
#define BRTC_ICE_MAX_CRED 256  /* longest remote ufrag/pwd we accept */
#define BRTC_ICE_MAX_PAIRS 8   /* remote addresses that passed a check */
/* RFC 7675 5.1: consent lapses 30 s after the last authenticated check. The default; an agent
 * may be given a shorter one (tests). */
#define BRTC_ICE_CONSENT_TIMEOUT_US (30ull * 1000000)

typedef enum brtc_ice_state {
  BRTC_ICE_NEW = 0,      /* no valid check yet */
  BRTC_ICE_CHECKING,     /* at least one authenticated check answered */
  BRTC_ICE_CONNECTED,    /* a pair was nominated (USE-CANDIDATE) */
  BRTC_ICE_DISCONNECTED, /* consent expired: no check from the selected address for 30 s */
} brtc_ice_state;

/* What handling one request led to; the caller logs and counts it. */
typedef enum brtc_ice_result {
  BRTC_ICE_ANSWERED = 0,        /* success response written */
  BRTC_ICE_ANSWERED_ERROR,      /* error response written (400, 401, 420, 487) */
  BRTC_ICE_DROPPED,             /* nothing to send: not a request for us, or silently dropped */
} brtc_ice_result;

typedef struct brtc_ice_pair {
  brtc_addr remote;
  uint32_t priority;
  uint64_t last_check_us;
  bool nominated;
} brtc_ice_pair;

typedef struct brtc_ice_agent {
  char local_ufrag[BRTC_ICE_UFRAG_LEN + 1];
  char local_pwd[BRTC_ICE_PWD_LEN + 1];
  char remote_ufrag[BRTC_ICE_MAX_CRED + 1];
  char remote_pwd[BRTC_ICE_MAX_CRED + 1];
  bool controlling; /* starts false; flips only by RFC 8445 7.3.1.1 role-conflict rules */
  uint64_t tie_breaker;
  brtc_ice_state state;
  brtc_ice_pair pairs[BRTC_ICE_MAX_PAIRS];
  size_t n_pairs;
  int selected; /* index into pairs, or -1 */
  uint64_t checks_answered;
  uint64_t checks_rejected;
  uint64_t consent_timeout_us; /* BRTC_ICE_CONSENT_TIMEOUT_US unless set after init */
} brtc_ice_agent;

/* Generates local credentials and tie-breaker with brtc_random_*. */
int brtc_ice_agent_init(brtc_ice_agent *a);
int brtc_ice_set_remote_credentials(brtc_ice_agent *a, const char *ufrag, const char *pwd);

/* Handle a STUN message from `from` (already parsed and known to be STUN). On a request,
 * writes the response into out (cap bytes) and sets *out_len (0 if nothing to send).
 * Checks: USERNAME is "local_ufrag:remote_ufrag" (401 if not), MESSAGE-INTEGRITY with
 * local_pwd (401), FINGERPRINT if present, unknown comprehension-required attributes (420),
 * ICE-CONTROLLED/CONTROLLING role conflict (487 or role switch). A valid check adds or
 * refreshes the pair; USE-CANDIDATE nominates it and selects it. */
brtc_ice_result brtc_ice_handle_stun(brtc_ice_agent *a, const uint8_t *pkt, size_t len,
                                     const brtc_addr *from, uint64_t now_us, uint8_t *out,
                                     size_t cap, size_t *out_len);

/* The address media goes to, or NULL before nomination. */
const brtc_addr *brtc_ice_selected(const brtc_ice_agent *a);
/* True if `from` passed a check (media from it is accepted). */
bool brtc_ice_is_valid_remote(const brtc_ice_agent *a, const brtc_addr *from);
/* True while `addr` is a pair whose consent holds: an authenticated check came from it less
 * than consent_timeout_us ago (RFC 7675). Such an address is this agent's peer: no other
 * session may take it over (RFC 8445 7.3: a check moves a pair only within its own agent). */
bool brtc_ice_consent_holds(const brtc_ice_agent *a, const brtc_addr *addr, uint64_t now_us);
/* Authenticated SRTP or SRTCP came from `from`: the peer is there and holds the session's
 * keys, which no one else can forge, so its pair's consent is renewed as by a check. We are
 * ICE-lite and send no checks (RFC 8445 2.5), and a full agent need not send any while media
 * flows (Pion checks only after 2 s without traffic either way), so checks alone would end a
 * live session after 30 s. No-op for an address that never passed a check. */
void brtc_ice_renew_consent(brtc_ice_agent *a, const brtc_addr *from, uint64_t now_us);
/* Consent freshness: moves to DISCONNECTED when the selected pair has had no check for
 * consent_timeout_us. Returns the next deadline (UINT64_MAX if none). */
uint64_t brtc_ice_handle_timeout(brtc_ice_agent *a, uint64_t now_us);
const char *brtc_ice_state_name(brtc_ice_state s);

#endif
