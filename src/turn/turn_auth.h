/* TURN's long-term credentials (RFC 8489 9.2): users with passwords, time-limited
 * credentials from a shared secret (the "TURN REST API" that coturn's use-auth-secret
 * implements), and nonces that expire and are bound to the client's transport address. */
#ifndef BRTC_TURN_AUTH_H
#define BRTC_TURN_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#define BRTC_TURN_NONCE_LEN 32 /* 8 hex digits of expiry, 24 of MAC */
#define BRTC_TURN_MAX_REALM 127
#define BRTC_TURN_MAX_USERNAME 512 /* RFC 8489 14.3: fewer than 513 bytes */

typedef struct brtc_turn_user {
  char *name;
  uint8_t key[16]; /* MD5(name:realm:password), RFC 8489 9.2.2 */
} brtc_turn_user;

typedef struct brtc_turn_auth {
  char realm[BRTC_TURN_MAX_REALM + 1];
  uint8_t nonce_secret[32];
  uint32_t nonce_lifetime_s;
  brtc_turn_user *users;
  size_t n_users, cap_users;
  char *rest_secret; /* NULL: no time-limited credentials */
} brtc_turn_auth;

int brtc_turn_auth_init(brtc_turn_auth *a, const char *realm, const uint8_t secret[32],
                        uint32_t nonce_lifetime_s);
void brtc_turn_auth_free(brtc_turn_auth *a);
int brtc_turn_auth_add_user(brtc_turn_auth *a, const char *name, const char *password);
int brtc_turn_auth_set_rest_secret(brtc_turn_auth *a, const char *secret);

/* A nonce for client, valid until now + the nonce lifetime; out gets BRTC_TURN_NONCE_LEN
 * characters (not NUL-terminated). */
void brtc_turn_nonce_make(const brtc_turn_auth *a, const brtc_addr *client, uint64_t now_us,
                          char out[BRTC_TURN_NONCE_LEN]);
/* True if nonce is ours, for this client, and not expired. */
bool brtc_turn_nonce_valid(const brtc_turn_auth *a, const brtc_addr *client, uint64_t now_us,
                           const uint8_t *nonce, size_t nonce_len);

/* The long-term key of a username: a configured user's, or for a time-limited username
 * ("EXPIRY" or "EXPIRY:NAME", EXPIRY in Unix seconds not yet past unix_s) the key of the
 * password base64(HMAC-SHA1(secret, username)). BRTC_ERR_AUTH for an unknown or expired
 * username. */
int brtc_turn_auth_key(const brtc_turn_auth *a, const uint8_t *username, size_t username_len,
                       uint64_t unix_s, uint8_t key[16]);

/* The password of a time-limited username: base64(HMAC-SHA1(secret, username)), NUL-ended
 * (out needs 29 bytes). */
int brtc_turn_rest_password(const char *secret, const char *username, char *out, size_t cap);

#endif
