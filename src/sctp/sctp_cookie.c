/* The State Cookie (RFC 9260 5.1.3): everything the INIT ACK agreed, with its creation time,
 * signed by HMAC-SHA256 under a key only this association knows. The INIT that asked for it
 * costs us nothing to keep; a COOKIE ECHO is believed only if its HMAC checks out, and only
 * then is any of it read. Layout (84 bytes, network order):
 *
 *    0  "BRC1"            4  created_us (64)      12  my tag        16  peer tag
 *   20  my initial TSN   24  peer initial TSN     28  peer a_rwnd   32  my tie tag
 *   36  peer tie tag     40  peer OS | peer MIS   44  flags, 3 zero 48  peer's RFC 9653 EDMID
 *   52  HMAC-SHA256 over bytes 0..51 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "boltrtc/error.h"
#include "common/bytes.h"
#include "sctp/sctp_internal.h"

#define BODY 52
#define FLAG_PR 0x01
#define FLAG_RECONFIG 0x02

static bool sign(const uint8_t key[32], const uint8_t *body, uint8_t mac[32]) {
  unsigned mac_len = 0;
  return HMAC(EVP_sha256(), key, 32, body, BODY, mac, &mac_len) && mac_len == 32;
}

size_t sctp_cookie_make(const uint8_t key[32], const sctp_cookie_fields *f,
                        uint8_t out[SCTP_COOKIE_LEN]) {
  memset(out, 0, SCTP_COOKIE_LEN);
  memcpy(out, "BRC1", 4);
  brtc_wr64(out + 4, f->created_us);
  brtc_wr32(out + 12, f->my_tag);
  brtc_wr32(out + 16, f->peer_tag);
  brtc_wr32(out + 20, f->my_tsn);
  brtc_wr32(out + 24, f->peer_tsn);
  brtc_wr32(out + 28, f->peer_a_rwnd);
  brtc_wr32(out + 32, f->my_tie_tag);
  brtc_wr32(out + 36, f->peer_tie_tag);
  brtc_wr16(out + 40, f->peer_os);
  brtc_wr16(out + 42, f->peer_mis);
  out[44] = (uint8_t)((f->peer_pr ? FLAG_PR : 0) | (f->peer_reconfig ? FLAG_RECONFIG : 0));
  brtc_wr32(out + 48, f->peer_zero_edmid);
  if (!sign(key, out, out + BODY)) return 0;
  return SCTP_COOKIE_LEN;
}

int sctp_cookie_open(const uint8_t key[32], const uint8_t *cookie, size_t len, uint64_t now_us,
                     uint64_t lifetime_us, sctp_cookie_fields *f, uint64_t *stale_us) {
  uint8_t mac[32];
  if (len != SCTP_COOKIE_LEN || !sign(key, cookie, mac) ||
      CRYPTO_memcmp(mac, cookie + BODY, sizeof mac) != 0 || memcmp(cookie, "BRC1", 4) != 0)
    return BRTC_ERR_AUTH;
  uint64_t created = brtc_rd64(cookie + 4);
  f->created_us = created;
  f->my_tag = brtc_rd32(cookie + 12);
  f->peer_tag = brtc_rd32(cookie + 16);
  f->my_tsn = brtc_rd32(cookie + 20);
  f->peer_tsn = brtc_rd32(cookie + 24);
  f->peer_a_rwnd = brtc_rd32(cookie + 28);
  f->my_tie_tag = brtc_rd32(cookie + 32);
  f->peer_tie_tag = brtc_rd32(cookie + 36);
  f->peer_os = brtc_rd16(cookie + 40);
  f->peer_mis = brtc_rd16(cookie + 42);
  f->peer_pr = (cookie[44] & FLAG_PR) != 0;
  f->peer_reconfig = (cookie[44] & FLAG_RECONFIG) != 0;
  f->peer_zero_edmid = brtc_rd32(cookie + 48);
  /* 5.1.5 step 3: past its lifetime, it is stale; the measure is how far past. A cookie from
   * the future cannot be ours, since we signed it. */
  if (created > now_us) return BRTC_ERR_AUTH;
  if (now_us - created > lifetime_us) {
    if (stale_us) *stale_us = now_us - created - lifetime_us;
    return BRTC_ERR_REPLAY;
  }
  return BRTC_OK;
}
