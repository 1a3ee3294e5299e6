/* The STUN messages of ICE: connectivity checks (RFC 8445 7.2.2), their answers (7.3.1,
 * RFC 8489 9.1.3) and how a check's USERNAME names the agents. Short-term credentials:
 * every check and every answer to an authenticated check carries MESSAGE-INTEGRITY keyed
 * with the password of the agent that answers, and FINGERPRINT. */
#ifndef BRTC_ICE_MESSAGE_H
#define BRTC_ICE_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "stun/stun.h"

typedef struct ice_check_params {
  const uint8_t *tid;      /* 12 bytes */
  const char *remote_ufrag; /* USERNAME is "<remote ufrag>:<local ufrag>" */
  const char *local_ufrag;
  brtc_stun_key *key;       /* the answering agent's password, keyed (NULL: not keyed, fails) */
  uint32_t priority;        /* PRIORITY: our candidate as peer-reflexive (RFC 8445 7.1.1) */
  bool controlling;         /* ICE-CONTROLLING, else ICE-CONTROLLED */
  uint64_t tie_breaker;
  bool use_candidate;       /* nomination (RFC 8445 8.1.1) */
  const char *software;     /* SOFTWARE, or NULL */
} ice_check_params;

/* A Binding request; BRTC_OK with *out_len, or BRTC_ERR_TOO_BIG. */
int ice_msg_build_check(const ice_check_params *p, uint8_t *buf, size_t cap, size_t *out_len);
/* A Binding success response: XOR-MAPPED-ADDRESS is where the check came from. */
int ice_msg_build_success(const uint8_t tid[12], const brtc_addr *mapped, brtc_stun_key *key,
                          const char *software, uint8_t *buf, size_t cap, size_t *out_len);
/* A Binding error response; key NULL leaves MESSAGE-INTEGRITY out (a 400 or 401 must not be
 * signed with a key the sender may not share, RFC 8489 9.1.3); unknown lists the
 * attributes of a 420. */
int ice_msg_build_error(const uint8_t tid[12], uint16_t code, const uint16_t *unknown,
                        size_t n_unknown, brtc_stun_key *key, const char *software, uint8_t *buf,
                        size_t cap, size_t *out_len);

/* USERNAME of a check sent to us is "<local ufrag>:<remote ufrag>" (RFC 8445 7.3.1.1... 7.2.2);
 * remote_ufrag NULL or "" (not known yet: a check that came before the answer) accepts any. */
bool ice_msg_username_matches(const brtc_stun_msg *m, const char *local_ufrag,
                              const char *remote_ufrag);
/* The reason phrase we send with an error code. */
const char *ice_msg_reason(uint16_t code);

#endif
