/* Long-term credentials for the TURN server: users, time-limited credentials, nonces. */
#include "turn/turn_auth.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "boltrtc/error.h"
#include "common/bytes.h"
#include "stun/stun.h"

int brtc_turn_auth_init(brtc_turn_auth *a, const char *realm, const uint8_t secret[32],
                        uint32_t nonce_lifetime_s) {
  if (!a || !realm || !secret || !*realm || strlen(realm) > BRTC_TURN_MAX_REALM)
    return BRTC_ERR_INVALID;
  memset(a, 0, sizeof(*a));
  strcpy(a->realm, realm);
  memcpy(a->nonce_secret, secret, sizeof(a->nonce_secret));
  a->nonce_lifetime_s = nonce_lifetime_s ? nonce_lifetime_s : 600;
  return BRTC_OK;
}

void brtc_turn_auth_free(brtc_turn_auth *a) {
  if (!a) return;
  for (size_t i = 0; i < a->n_users; i++) free(a->users[i].name);
  free(a->users);
  if (a->rest_secret) OPENSSL_clear_free(a->rest_secret, strlen(a->rest_secret));
  OPENSSL_cleanse(a->nonce_secret, sizeof(a->nonce_secret));
  memset(a, 0, sizeof(*a));
}

int brtc_turn_auth_add_user(brtc_turn_auth *a, const char *name, const char *password) {
  if (!a || !name || !password || !*name || strlen(name) > BRTC_TURN_MAX_USERNAME)
    return BRTC_ERR_INVALID;
  uint8_t key[16];
  int err = brtc_stun_long_term_key(name, a->realm, password, key);
  if (err != BRTC_OK) return err;
  for (size_t i = 0; i < a->n_users; i++) /* the last line for a name wins */
    if (strcmp(a->users[i].name, name) == 0) {
      memcpy(a->users[i].key, key, sizeof(key));
      return BRTC_OK;
    }
  if (a->n_users == a->cap_users) {
    size_t cap = a->cap_users ? a->cap_users * 2 : 8;
    brtc_turn_user *u = realloc(a->users, cap * sizeof(*u));
    if (!u) return BRTC_ERR_NOMEM;
    a->users = u;
    a->cap_users = cap;
  }
  char *copy = strdup(name);
  if (!copy) return BRTC_ERR_NOMEM;
  a->users[a->n_users].name = copy;
  memcpy(a->users[a->n_users].key, key, sizeof(key));
  a->n_users++;
  return BRTC_OK;
}

int brtc_turn_auth_set_rest_secret(brtc_turn_auth *a, const char *secret) {
  if (!a || !secret || !*secret) return BRTC_ERR_INVALID;
  char *copy = strdup(secret);
  if (!copy) return BRTC_ERR_NOMEM;
  if (a->rest_secret) OPENSSL_clear_free(a->rest_secret, strlen(a->rest_secret));
  a->rest_secret = copy;
  return BRTC_OK;
}

static const char hex[] = "0123456789abcdef";

/* MAC over the expiry and the client's address and port: a nonce works only for the
 * transport address it was given to, so one seen on the wire is no use from elsewhere. */
static void nonce_mac(const brtc_turn_auth *a, const brtc_addr *client, uint32_t expiry,
                      uint8_t mac[32]) {
  uint8_t in[4 + 2 + 16];
  size_t n = 0;
  brtc_wr32(in, expiry);
  brtc_wr16(in + 4, brtc_addr_port(client));
  n = 6;
  if (brtc_addr_family(client) == AF_INET) {
    memcpy(in + n, &client->u.v4.sin_addr.s_addr, 4);
    n += 4;
  } else if (brtc_addr_family(client) == AF_INET6) {
    memcpy(in + n, client->u.v6.sin6_addr.s6_addr, 16);
    n += 16;
  }
  unsigned int len = 32;
  if (!HMAC(EVP_sha256(), a->nonce_secret, sizeof(a->nonce_secret), in, n, mac, &len))
    memset(mac, 0, 32); /* never valid: a nonce check compares against a fresh MAC */
}

void brtc_turn_nonce_make(const brtc_turn_auth *a, const brtc_addr *client, uint64_t now_us,
                          char out[BRTC_TURN_NONCE_LEN]) {
  uint32_t expiry = (uint32_t)(now_us / 1000000u + a->nonce_lifetime_s);
  uint8_t mac[32];
  nonce_mac(a, client, expiry, mac);
  for (int i = 0; i < 8; i++) out[i] = hex[(expiry >> (28 - 4 * i)) & 0xF];
  for (int i = 0; i < 12; i++) {
    out[8 + 2 * i] = hex[mac[i] >> 4];
    out[9 + 2 * i] = hex[mac[i] & 0xF];
  }
}

static int hex_value(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool brtc_turn_nonce_valid(const brtc_turn_auth *a, const brtc_addr *client, uint64_t now_us,
                           const uint8_t *nonce, size_t nonce_len) {
  if (!a || !client || !nonce || nonce_len != BRTC_TURN_NONCE_LEN) return false;
  uint32_t expiry = 0;
  for (int i = 0; i < 8; i++) {
    int v = hex_value(nonce[i]);
    if (v < 0) return false;
    expiry = (expiry << 4) | (uint32_t)v;
  }
  if ((uint64_t)expiry * 1000000u <= now_us) return false;
  char expect[BRTC_TURN_NONCE_LEN];
  uint8_t mac[32];
  nonce_mac(a, client, expiry, mac);
  for (int i = 0; i < 12; i++) {
    expect[2 * i] = hex[mac[i] >> 4];
    expect[2 * i + 1] = hex[mac[i] & 0xF];
  }
  return CRYPTO_memcmp(expect, nonce + 8, 24) == 0;
}

int brtc_turn_rest_password(const char *secret, const char *username, char *out, size_t cap) {
  if (!secret || !username || !out || cap < 29) return BRTC_ERR_INVALID;
  uint8_t mac[20];
  unsigned int len = sizeof(mac);
  if (!HMAC(EVP_sha1(), secret, (int)strlen(secret), (const uint8_t *)username,
            strlen(username), mac, &len) || len != 20)
    return BRTC_ERR_CRYPTO;
  EVP_EncodeBlock((unsigned char *)out, mac, 20); /* 28 characters and a NUL */
  return BRTC_OK;
}

/* "EXPIRY" or "EXPIRY:NAME": the expiry in Unix seconds, 0 if the username is not one. */
static uint64_t rest_expiry(const char *name) {
  uint64_t v = 0;
  size_t i = 0;
  for (; name[i] >= '0' && name[i] <= '9' && i < 19; i++) v = v * 10 + (uint64_t)(name[i] - '0');
  if (i == 0 || (name[i] != '\0' && name[i] != ':')) return 0;
  return v;
}

int brtc_turn_auth_key(const brtc_turn_auth *a, const uint8_t *username, size_t username_len,
                       uint64_t unix_s, uint8_t key[16]) {
  if (!a || !username || !key || username_len == 0 || username_len > BRTC_TURN_MAX_USERNAME)
    return BRTC_ERR_AUTH;
  char name[BRTC_TURN_MAX_USERNAME + 1];
  memcpy(name, username, username_len);
  name[username_len] = '\0';
  if (strlen(name) != username_len) return BRTC_ERR_AUTH; /* a NUL inside */
  for (size_t i = 0; i < a->n_users; i++)
    if (strcmp(a->users[i].name, name) == 0) {
      memcpy(key, a->users[i].key, 16);
      return BRTC_OK;
    }
  if (!a->rest_secret) return BRTC_ERR_AUTH;
  uint64_t expiry = rest_expiry(name);
  if (expiry == 0 || expiry < unix_s) return BRTC_ERR_AUTH;
  char password[32];
  int err = brtc_turn_rest_password(a->rest_secret, name, password, sizeof(password));
  if (err == BRTC_OK) err = brtc_stun_long_term_key(name, a->realm, password, key);
  OPENSSL_cleanse(password, sizeof(password));
  return err == BRTC_OK ? BRTC_OK : BRTC_ERR_AUTH;
}
