/* The server's half of the WebSocket opening handshake (RFC 6455 section 4.2): check the
 * client's request and compute Sec-WebSocket-Accept with OpenSSL's SHA-1 and base64. */
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <string.h>

#include "boltrtc/error.h"
#include "websocket/websocket.h"

/* Section 1.3: the GUID every server appends to the client's key. */
static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

int brtc_ws_accept_key(const char *key, char *out) {
  /* 4.2.1 item 5: the key is base64 of 16 random bytes, so exactly 24 characters. */
  size_t len = strlen(key);
  unsigned char raw[24];
  if (len != 24 || EVP_DecodeBlock(raw, (const unsigned char *)key, (int)len) != 18 ||
      key[22] != '=' || key[23] != '=')
    return BRTC_ERR_PARSE;
  unsigned char joined[24 + sizeof(ws_guid)];
  memcpy(joined, key, 24);
  memcpy(joined + 24, ws_guid, sizeof(ws_guid) - 1);
  unsigned char digest[SHA_DIGEST_LENGTH];
  if (!EVP_Digest(joined, 24 + sizeof(ws_guid) - 1, digest, NULL, EVP_sha1(), NULL))
    return BRTC_ERR_CRYPTO;
  EVP_EncodeBlock((unsigned char *)out, digest, SHA_DIGEST_LENGTH);
  out[BRTC_WS_ACCEPT_LEN] = '\0';
  return BRTC_OK;
}

int brtc_ws_check_handshake(const brtc_http_request *r, char *accept, const char **why) {
  if (strcmp(r->method, "GET") != 0) {
    *why = "a WebSocket handshake is a GET";
    return 400;
  }
  if (!brtc_http_header_has_token(brtc_http_request_header(r, "upgrade"), "websocket") ||
      !brtc_http_header_has_token(brtc_http_request_header(r, "connection"), "upgrade")) {
    *why = "a WebSocket handshake needs Upgrade: websocket and Connection: Upgrade";
    return 400;
  }
  const char *version = brtc_http_request_header(r, "sec-websocket-version");
  if (!version || strcmp(version, "13") != 0) {
    *why = "only WebSocket version 13 is spoken";
    return 426;
  }
  const char *key = brtc_http_request_header(r, "sec-websocket-key");
  if (!key || brtc_ws_accept_key(key, accept) != BRTC_OK) {
    *why = "Sec-WebSocket-Key must be base64 of 16 bytes";
    return 400;
  }
  return 0;
}
