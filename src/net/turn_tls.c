/* TURN over TLS (RFC 8656 3.1, 6.2.2): OpenSSL runs TLS over memory BIOs inside a TCP
 * connection's endpoint, so the loop does every read and write and nothing ever blocks: the
 * handshake advances only as bytes arrive, each connection's buffers stay bounded (one read
 * of ciphertext in, one record out at a time, the plaintext queue capped by turn_tcp.c), and
 * a handshake not done within its deadline is cut off. Under TLS it is the same stream of
 * STUN messages and ChannelData as TURN over TCP (turn_tcp.c). The certificate is the one
 * given, else a self-signed one made at start. */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "dtls/dtls.h"
#include "net/turn_endpoint.h"

#define TLS_RECORD_MAX 16384 /* RFC 8446 5.1: the most plaintext one record carries */

/* The last OpenSSL error as text, and the queue cleared for the next user. */
static void openssl_error(char *err, size_t err_cap, const char *what) {
  char text[160] = "";
  unsigned long e = ERR_peek_last_error();
  if (e) ERR_error_string_n(e, text, sizeof(text));
  snprintf(err, err_cap, "%s%s%s", what, e ? ": " : "", text);
  ERR_clear_error();
}

static int load_identity(brtc_turn_server *s, SSL_CTX *ctx, char *err, size_t err_cap) {
  if (!s->tls_cert_file) { /* none given: a self-signed one, as coturn makes too */
    brtc_dtls_cert *cert = brtc_dtls_cert_generate();
    int rc = cert ? brtc_dtls_cert_install(cert, ctx) : BRTC_ERR_CRYPTO;
    brtc_dtls_cert_free(cert); /* the context holds its own references */
    if (rc != BRTC_OK) snprintf(err, err_cap, "cannot make a self-signed TLS certificate");
    return rc;
  }
  const char *key = s->tls_key_file ? s->tls_key_file : s->tls_cert_file;
  if (SSL_CTX_use_certificate_chain_file(ctx, s->tls_cert_file) != 1) {
    char what[512];
    snprintf(what, sizeof(what), "cannot read the TLS certificate %s", s->tls_cert_file);
    openssl_error(err, err_cap, what);
    return BRTC_ERR_CRYPTO;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    char what[512];
    snprintf(what, sizeof(what), "cannot use the TLS key %s with that certificate", key);
    openssl_error(err, err_cap, what);
    return BRTC_ERR_CRYPTO;
  }
  return BRTC_OK;
}

int brtc_turn_tls_setup(brtc_turn_server *s, char *err, size_t err_cap) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) {
    openssl_error(err, err_cap, "cannot make a TLS context");
    return BRTC_ERR_CRYPTO;
  }
  s->tls_ctx = ctx;
  /* TLS 1.2 and later only (RFC 8656 3.1 follows RFC 7525's advice); no renegotiation, no
   * compression; release a connection's buffers while it is idle (many idle clients). */
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    openssl_error(err, err_cap, "cannot set the TLS version");
    return BRTC_ERR_CRYPTO;
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  return load_identity(s, ctx, err, err_cap);
}

void brtc_turn_tls_free(brtc_turn_server *s) {
  SSL_CTX_free(s->tls_ctx);
  s->tls_ctx = NULL;
}

int brtc_turn_tls_new_conn(turn_tcp_client *c, uint64_t now) {
  brtc_turn_server *s = c->srv;
  SSL *ssl = SSL_new(s->tls_ctx);
  BIO *rbio = BIO_new(BIO_s_mem()), *wbio = BIO_new(BIO_s_mem());
  if (!ssl || !rbio || !wbio) {
    SSL_free(ssl);
    BIO_free(rbio);
    BIO_free(wbio);
    ERR_clear_error();
    return BRTC_ERR_NOMEM;
  }
  SSL_set_bio(ssl, rbio, wbio); /* ssl owns both now */
  SSL_set_accept_state(ssl);
  c->ssl = ssl;
  c->handshake_deadline = now + (s->tls_handshake_us ? s->tls_handshake_us : TURN_TLS_HANDSHAKE_US);
  return BRTC_OK;
}

void brtc_turn_tls_free_conn(turn_tcp_client *c) {
  SSL_free(c->ssl);
  c->ssl = NULL;
}

uint64_t brtc_turn_tls_deadline(const turn_tcp_client *c) {
  return c->ssl && !SSL_is_init_finished(c->ssl) ? c->handshake_deadline : UINT64_MAX;
}

void brtc_turn_tls_input(turn_tcp_client *c, const uint8_t *data, size_t len, uint64_t now) {
  if (c->finished) return; /* after a failure: drop what still comes */
  bool was_done = SSL_is_init_finished(c->ssl);
  /* A memory BIO takes all of it; SSL_read below leaves at most one partial record there. */
  if (len && BIO_write(SSL_get_rbio(c->ssl), data, (int)len) != (int)len) {
    ERR_clear_error();
    c->finished = true;
    return;
  }
  uint8_t plain[TLS_RECORD_MAX];
  while (!c->finished) {
    int n = SSL_read(c->ssl, plain, sizeof(plain));
    if (n > 0) {
      brtc_turn_stream_feed(c, plain, (size_t)n, now);
      continue;
    }
    int e = SSL_get_error(c->ssl, n);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) break;
    /* A close_notify, or a TLS failure (the alert OpenSSL wrote goes out before the end). */
    if (e != SSL_ERROR_ZERO_RETURN) c->srv->tls_failures++;
    ERR_clear_error();
    c->finished = true;
  }
  if (!was_done && SSL_is_init_finished(c->ssl)) c->srv->tls_handshakes++;
  brtc_tcp_conn_kick(c->conn); /* the handshake may have written */
}

size_t brtc_turn_tls_output(turn_tcp_client *c, uint8_t *buf, size_t cap) {
  BIO *wbio = SSL_get_wbio(c->ssl);
  uint8_t plain[TLS_RECORD_MAX];
  for (;;) {
    size_t pending = BIO_ctrl_pending(wbio);
    if (pending) {
      int n = BIO_read(wbio, buf, (int)(pending < cap ? pending : cap));
      return n > 0 ? (size_t)n : 0;
    }
    if (c->finished || !SSL_is_init_finished(c->ssl)) return 0;
    /* One record at a time: the ciphertext waits in the BIO only until the next pull. */
    size_t n = brtc_byte_queue_take(&c->out, plain, sizeof(plain));
    if (n == 0) return 0;
    if (SSL_write(c->ssl, plain, (int)n) != (int)n) { /* a memory BIO cannot be full */
      ERR_clear_error();
      c->srv->tls_failures++;
      c->finished = true;
      return 0;
    }
  }
}
