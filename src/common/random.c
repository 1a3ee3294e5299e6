#include "common/random.h"

#include <openssl/rand.h>

#include "boltrtc/error.h"

int brtc_random_bytes(void *out, size_t len) {
  return RAND_bytes(out, (int)len) == 1 ? BRTC_OK : BRTC_ERR_CRYPTO;
}

uint32_t brtc_random_u32(void) {
  uint32_t v = 0;
  brtc_random_bytes(&v, sizeof(v));
  return v;
}

uint64_t brtc_random_u64(void) {
  uint64_t v = 0;
  brtc_random_bytes(&v, sizeof(v));
  return v;
}

int brtc_random_ice_string(char *out, size_t len) {
  static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  uint8_t raw[256];
  if (len >= sizeof(raw)) return BRTC_ERR_INVALID;
  int err = brtc_random_bytes(raw, len);
  if (err) return err;
  for (size_t i = 0; i < len; i++) out[i] = set[raw[i] & 63];
  out[len] = '\0';
  return BRTC_OK;
}
