/* Bearer tokens for publishing (RFC 9725 section 4.5, with RFC 6750's header form). Tokens
 * are kept only as SHA-256 hashes and every comparison is of hashes with CRYPTO_memcmp, so
 * neither a token's length nor how much of it matched shows in the time an answer takes. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "signal/server_internal.h"

void brtc_auth_hash(const char *token, size_t len, uint8_t out[BRTC_TOKEN_HASH_LEN]) {
  unsigned int n = 0;
  if (!EVP_Digest(token, len, out, &n, EVP_sha256(), NULL)) memset(out, 0, BRTC_TOKEN_HASH_LEN);
}

int brtc_auth_set_tokens(brtc_signal_server *srv, const char *const *tokens, size_t n) {
  srv->n_tokens = 0;
  if (n == 0) return BRTC_OK;
  srv->token_hashes = calloc(n, sizeof(*srv->token_hashes));
  if (!srv->token_hashes) return BRTC_ERR_NOMEM;
  for (size_t i = 0; i < n; i++) {
    if (!tokens[i] || !tokens[i][0]) return BRTC_ERR_INVALID;
    brtc_auth_hash(tokens[i], strlen(tokens[i]), srv->token_hashes[i]);
  }
  srv->n_tokens = n;
  return BRTC_OK;
}

void brtc_auth_free(brtc_signal_server *srv) {
  if (srv->token_hashes) OPENSSL_cleanse(srv->token_hashes, srv->n_tokens * BRTC_TOKEN_HASH_LEN);
  free(srv->token_hashes);
  srv->token_hashes = NULL;
  srv->n_tokens = 0;
}

bool brtc_auth_presented(const brtc_http_request *req, bool allow_query,
                         uint8_t hash[BRTC_TOKEN_HASH_LEN]) {
  /* RFC 6750 2.1: credentials = "Bearer" 1*SP b64token. */
  const char *h = brtc_http_request_header(req, "authorization");
  if (h && strncasecmp(h, "bearer ", 7) == 0) {
    const char *token = h + 7;
    while (*token == ' ') token++;
    size_t len = strlen(token);
    if (len == 0) return false;
    brtc_auth_hash(token, len, hash);
    return true;
  }
  char value[512];
  if (allow_query && brtc_http_query_param(req->query, "token", value, sizeof(value)) && value[0]) {
    brtc_auth_hash(value, strlen(value), hash);
    OPENSSL_cleanse(value, sizeof(value));
    return true;
  }
  return false;
}

bool brtc_auth_known(const brtc_signal_server *srv, const uint8_t hash[BRTC_TOKEN_HASH_LEN]) {
  int found = 0;
  for (size_t i = 0; i < srv->n_tokens; i++) /* every one, whatever matched */
    found |= CRYPTO_memcmp(srv->token_hashes[i], hash, BRTC_TOKEN_HASH_LEN) == 0;
  return found != 0;
}
