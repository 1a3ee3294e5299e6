/* Building ICE's STUN messages and matching a check's USERNAME (RFC 8445 7.2.2, 7.3.1). */
#include "ice/ice_message.h"

#include <string.h>

#include "boltrtc/error.h"
#include "common/bytes.h"

static void add_software(brtc_stun_writer *w, const char *software) {
  if (software && *software)
    brtc_stun_add_bytes(w, BRTC_STUN_ATTR_SOFTWARE, software, strlen(software));
}

int ice_msg_build_check(const ice_check_params *p, uint8_t *buf, size_t cap, size_t *out_len) {
  size_t rlen = strlen(p->remote_ufrag), llen = strlen(p->local_ufrag);
  char username[2 * 256 + 2];
  if (rlen + 1 + llen >= sizeof(username)) return BRTC_ERR_TOO_BIG;
  memcpy(username, p->remote_ufrag, rlen);
  username[rlen] = ':';
  memcpy(username + rlen + 1, p->local_ufrag, llen);

  brtc_stun_writer w;
  brtc_stun_writer_init(&w, buf, cap, BRTC_STUN_BINDING_REQUEST, p->tid);
  add_software(&w, p->software);
  brtc_stun_add_bytes(&w, BRTC_STUN_ATTR_USERNAME, username, rlen + 1 + llen);
  brtc_stun_add_u32(&w, BRTC_STUN_ATTR_PRIORITY, p->priority);
  brtc_stun_add_u64(&w, p->controlling ? BRTC_STUN_ATTR_ICE_CONTROLLING : BRTC_STUN_ATTR_ICE_CONTROLLED,
                    p->tie_breaker);
  if (p->use_candidate) brtc_stun_add_flag(&w, BRTC_STUN_ATTR_USE_CANDIDATE);
  if (!p->key) return BRTC_ERR_CRYPTO;
  return brtc_stun_finish_keyed(&w, p->key, true, out_len);
}

int ice_msg_build_success(const uint8_t tid[12], const brtc_addr *mapped, brtc_stun_key *key,
                          const char *software, uint8_t *buf, size_t cap, size_t *out_len) {
  if (!key) return BRTC_ERR_CRYPTO;
  brtc_stun_writer w;
  brtc_stun_writer_init(&w, buf, cap, BRTC_STUN_BINDING_SUCCESS, tid);
  add_software(&w, software); /* first, as in RFC 5769 2.2 */
  brtc_stun_add_xor_address(&w, BRTC_STUN_ATTR_XOR_MAPPED_ADDRESS, mapped);
  return brtc_stun_finish_keyed(&w, key, true, out_len);
}

const char *ice_msg_reason(uint16_t code) {
  switch (code) {
    case 400: return "Bad Request";
    case 401: return "Unauthenticated";
    case 420: return "Unknown Attribute";
    case 487: return "Role Conflict";
    default: return "Error";
  }
}

int ice_msg_build_error(const uint8_t tid[12], uint16_t code, const uint16_t *unknown,
                        size_t n_unknown, brtc_stun_key *key, const char *software, uint8_t *buf,
                        size_t cap, size_t *out_len) {
  brtc_stun_writer w;
  brtc_stun_writer_init(&w, buf, cap, BRTC_STUN_BINDING_ERROR, tid);
  add_software(&w, software);
  brtc_stun_add_error(&w, code, ice_msg_reason(code));
  if (code == 420 && n_unknown > 0) {
    uint8_t list[2 * 8];
    if (n_unknown > 8) n_unknown = 8;
    for (size_t i = 0; i < n_unknown; i++) brtc_wr16(list + 2 * i, unknown[i]);
    brtc_stun_add_bytes(&w, BRTC_STUN_ATTR_UNKNOWN_ATTRIBUTES, list, 2 * n_unknown);
  }
  return brtc_stun_finish_keyed(&w, key, true, out_len);
}

bool ice_msg_username_matches(const brtc_stun_msg *m, const char *local_ufrag,
                              const char *remote_ufrag) {
  size_t llen = strlen(local_ufrag);
  if (!m->username || m->username_len < llen + 1) return false;
  if (memcmp(m->username, local_ufrag, llen) != 0 || m->username[llen] != ':') return false;
  size_t rlen = remote_ufrag ? strlen(remote_ufrag) : 0;
  if (rlen == 0) return true;
  return m->username_len - llen - 1 == rlen && memcmp(m->username + llen + 1, remote_ufrag, rlen) == 0;
}
