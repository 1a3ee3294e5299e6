/* ICE controlled (lite) agent: answers connectivity checks (RFC 8445 7.3, RFC 8489 9.1.3)
 * and tracks consent freshness (RFC 7675). */
#include "ice/ice.h"

#include <string.h>

#include "boltrtc/error.h"
#include "common/bytes.h"
#include "common/random.h"
#include "stun/stun.h"

#define STUN_CLASS_MASK 0x0110
#define STUN_CLASS_REQUEST 0x0000
#define STUN_METHOD_BINDING 0x0001

int brtc_ice_agent_init(brtc_ice_agent *a) {
  if (!a) return BRTC_ERR_INVALID;
  memset(a, 0, sizeof(*a));
  a->selected = -1;
  a->state = BRTC_ICE_NEW;
  a->consent_timeout_us = BRTC_ICE_CONSENT_TIMEOUT_US;
  if (brtc_random_ice_string(a->local_ufrag, BRTC_ICE_UFRAG_LEN) != BRTC_OK ||
      brtc_random_ice_string(a->local_pwd, BRTC_ICE_PWD_LEN) != BRTC_OK ||
      brtc_random_bytes(&a->tie_breaker, sizeof(a->tie_breaker)) != BRTC_OK)
    return BRTC_ERR_CRYPTO;
  return BRTC_OK;
}

int brtc_ice_set_remote_credentials(brtc_ice_agent *a, const char *ufrag, const char *pwd) {
  if (!a || !ufrag || !pwd) return BRTC_ERR_INVALID;
  size_t ufrag_len = strlen(ufrag), pwd_len = strlen(pwd);
  if (ufrag_len == 0 || ufrag_len > BRTC_ICE_MAX_CRED || pwd_len > BRTC_ICE_MAX_CRED)
    return BRTC_ERR_INVALID;
  /* ':' would make the USERNAME "local:remote" ambiguous. */
  if (strchr(ufrag, ':')) return BRTC_ERR_INVALID;
  memcpy(a->remote_ufrag, ufrag, ufrag_len + 1);
  memcpy(a->remote_pwd, pwd, pwd_len + 1);
  return BRTC_OK;
}

/* USERNAME of a check sent to us is "<our ufrag>:<their ufrag>" (RFC 8445 7.2.2). Before
 * the remote description arrives we do not know their ufrag and accept any. */
static bool username_matches(const brtc_ice_agent *a, const brtc_stun_msg *m) {
  size_t local_len = strlen(a->local_ufrag);
  if (m->username_len < local_len + 1) return false;
  if (memcmp(m->username, a->local_ufrag, local_len) != 0 || m->username[local_len] != ':')
    return false;
  size_t remote_len = strlen(a->remote_ufrag);
  if (remote_len == 0) return true;
  return m->username_len - local_len - 1 == remote_len &&
         memcmp(m->username + local_len + 1, a->remote_ufrag, remote_len) == 0;
}

static int find_pair(const brtc_ice_agent *a, const brtc_addr *addr) {
  for (size_t i = 0; i < a->n_pairs; i++)
    if (brtc_addr_equal(&a->pairs[i].remote, addr)) return (int)i;
  return -1;
}

/* The pair for `from`, created if new. When the table is full a pair that has had no
 * check for a consent timeout (and is not selected) is reused; otherwise -1. */
static int get_or_add_pair(brtc_ice_agent *a, const brtc_addr *from, uint64_t now_us) {
  int i = find_pair(a, from);
  if (i >= 0) return i;
  if (a->n_pairs < BRTC_ICE_MAX_PAIRS) {
    i = (int)a->n_pairs++;
  } else {
    for (size_t k = 0; k < a->n_pairs && i < 0; k++)
      if ((int)k != a->selected && now_us >= a->pairs[k].last_check_us &&
          now_us - a->pairs[k].last_check_us >= a->consent_timeout_us)
        i = (int)k;
    if (i < 0) return -1;
  }
  memset(&a->pairs[i], 0, sizeof(a->pairs[i]));
  a->pairs[i].remote = *from;
  return i;
}

/* Write an error response. MESSAGE-INTEGRITY only when the request authenticated: a 400 or
 * 401 must not be signed with a key the sender may not share (RFC 8489 9.1.3). */
static brtc_ice_result write_error(brtc_ice_agent *a, const brtc_stun_msg *req, uint16_t code,
                                   const char *reason, bool authenticated, uint8_t *out,
                                   size_t cap, size_t *out_len) {
  brtc_stun_writer w;
  a->checks_rejected++;
  brtc_stun_writer_init(&w, out, cap, BRTC_STUN_BINDING_ERROR, req->transaction_id);
  brtc_stun_add_error(&w, code, reason);
  if (code == 420) {
    uint8_t list[sizeof(req->unknown_required)];
    for (size_t i = 0; i < req->n_unknown_required; i++)
      brtc_wr16(list + 2 * i, req->unknown_required[i]);
    brtc_stun_add_bytes(&w, BRTC_STUN_ATTR_UNKNOWN_ATTRIBUTES, list, 2 * req->n_unknown_required);
  }
  const uint8_t *key = authenticated ? (const uint8_t *)a->local_pwd : NULL;
  if (brtc_stun_finish(&w, key, strlen(a->local_pwd), true, out_len) != BRTC_OK) {
    *out_len = 0;
    return BRTC_ICE_DROPPED;
  }
  return BRTC_ICE_ANSWERED_ERROR;
}

/* RFC 8445 7.3.1.1. Returns true if the request must be answered with 487; may flip our role. */
static bool role_conflict(brtc_ice_agent *a, const brtc_stun_msg *req) {
  if (!a->controlling && req->has_ice_controlled) {
    /* Both think they are controlled: the larger tie-breaker takes control. */
    if (a->tie_breaker >= req->ice_controlled) {
      a->controlling = true;
      return false;
    }
    return true;
  }
  if (a->controlling && req->has_ice_controlling) {
    /* Both think they are controlling: the larger tie-breaker keeps control. */
    if (a->tie_breaker >= req->ice_controlling) return true;
    a->controlling = false;
    return false;
  }
  return false;
}

brtc_ice_result brtc_ice_handle_stun(brtc_ice_agent *a, const uint8_t *pkt, size_t len,
                                     const brtc_addr *from, uint64_t now_us, uint8_t *out,
                                     size_t cap, size_t *out_len) {
  if (out_len) *out_len = 0;
  if (!a || !pkt || !from || !out || !out_len) return BRTC_ICE_DROPPED;

  brtc_stun_msg req;
  if (brtc_stun_parse(pkt, len, &req) != BRTC_OK) return BRTC_ICE_DROPPED;
  /* Indications and responses need no answer; other methods are not ours. */
  if ((req.type & STUN_CLASS_MASK) != STUN_CLASS_REQUEST || req.type != BRTC_STUN_BINDING_REQUEST)
    return BRTC_ICE_DROPPED;
  int family = brtc_addr_family(from);
  if (family != AF_INET && family != AF_INET6) return BRTC_ICE_DROPPED;
  /* A bad FINGERPRINT means it is not really STUN for us (RFC 8489 7.3): drop silently. */
  if (req.has_fingerprint && !req.fingerprint_ok) {
    a->checks_rejected++;
    return BRTC_ICE_DROPPED;
  }

  /* Short-term credentials (RFC 8489 9.1.3). */
  if (!req.username || !req.has_integrity)
    return write_error(a, &req, 400, "Bad Request", false, out, cap, out_len);
  if (!username_matches(a, &req))
    return write_error(a, &req, 401, "Unauthenticated", false, out, cap, out_len);
  if (brtc_stun_check_integrity(pkt, len, &req, (const uint8_t *)a->local_pwd,
                                strlen(a->local_pwd)) != BRTC_OK)
    return write_error(a, &req, 401, "Unauthenticated", false, out, cap, out_len);

  if (req.n_unknown_required > 0)
    return write_error(a, &req, 420, "Unknown Attribute", true, out, cap, out_len);
  if (role_conflict(a, &req))
    return write_error(a, &req, 487, "Role Conflict", true, out, cap, out_len);

  int idx = get_or_add_pair(a, from, now_us);
  if (idx < 0) { /* pair table full of live pairs: refuse rather than grow */
    a->checks_rejected++;
    return BRTC_ICE_DROPPED;
  }
  brtc_ice_pair *pair = &a->pairs[idx];
  pair->last_check_us = now_us;
  if (req.has_priority) pair->priority = req.priority;
  if (a->state == BRTC_ICE_NEW) a->state = BRTC_ICE_CHECKING;
  /* Only the controlling side nominates; the latest nomination wins, which follows a
   * browser that moves to another path. */
  if (req.use_candidate && !a->controlling) {
    pair->nominated = true;
    a->selected = idx;
    a->state = BRTC_ICE_CONNECTED;
  } else if (a->state == BRTC_ICE_DISCONNECTED && idx == a->selected) {
    a->state = BRTC_ICE_CONNECTED; /* an authenticated check renews consent */
  }

  brtc_stun_writer w;
  brtc_stun_writer_init(&w, out, cap, BRTC_STUN_BINDING_SUCCESS, req.transaction_id);
  brtc_stun_add_xor_address(&w, BRTC_STUN_ATTR_XOR_MAPPED_ADDRESS, from);
  if (brtc_stun_finish(&w, (const uint8_t *)a->local_pwd, strlen(a->local_pwd), true, out_len) !=
      BRTC_OK) {
    *out_len = 0;
    return BRTC_ICE_DROPPED;
  }
  a->checks_answered++;
  return BRTC_ICE_ANSWERED;
}

const brtc_addr *brtc_ice_selected(const brtc_ice_agent *a) {
  if (!a || a->selected < 0 || (size_t)a->selected >= a->n_pairs) return NULL;
  return &a->pairs[a->selected].remote;
}

bool brtc_ice_is_valid_remote(const brtc_ice_agent *a, const brtc_addr *from) {
  return a && from && find_pair(a, from) >= 0;
}

void brtc_ice_renew_consent(brtc_ice_agent *a, const brtc_addr *from, uint64_t now_us) {
  int i = a && from ? find_pair(a, from) : -1;
  if (i >= 0 && now_us > a->pairs[i].last_check_us) a->pairs[i].last_check_us = now_us;
}

bool brtc_ice_consent_holds(const brtc_ice_agent *a, const brtc_addr *addr, uint64_t now_us) {
  int i = a && addr ? find_pair(a, addr) : -1;
  if (i < 0) return false;
  uint64_t last = a->pairs[i].last_check_us;
  return now_us < last || now_us - last < a->consent_timeout_us;
}

uint64_t brtc_ice_handle_timeout(brtc_ice_agent *a, uint64_t now_us) {
  if (!a || a->state != BRTC_ICE_CONNECTED || !brtc_ice_selected(a)) return UINT64_MAX;
  uint64_t last = a->pairs[a->selected].last_check_us;
  uint64_t deadline =
      last > UINT64_MAX - a->consent_timeout_us ? UINT64_MAX : last + a->consent_timeout_us;
  if (now_us >= deadline) {
    a->state = BRTC_ICE_DISCONNECTED;
    return UINT64_MAX;
  }
  return deadline;
}

const char *brtc_ice_state_name(brtc_ice_state s) {
  switch (s) {
  case BRTC_ICE_NEW: return "new";
  case BRTC_ICE_CHECKING: return "checking";
  case BRTC_ICE_CONNECTED: return "connected";
  case BRTC_ICE_DISCONNECTED: return "disconnected";
  }
  return "unknown";
}
