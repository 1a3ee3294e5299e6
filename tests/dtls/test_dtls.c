/* DTLS core: two in-memory peers talk through the sans-IO API only; datagrams are
 * pumped between them by hand so tests can drop, corrupt or inject any of them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "boltrtc/error.h"
#include "dtls/dtls.h"
#include "dtls/dtls_internal.h"
#include "dtls/dtls_record.h"
#include "testing.h"

#define MAX_PUMP_ROUNDS 64
#define ERROR_FINGERPRINT "peer certificate fingerprint does not match the SDP"
#define EXPORTER_LABEL "EXTRACTOR-dtls_srtp"

static brtc_dtls_cert *cert_a, *cert_b, *cert_other;

typedef struct pair {
  brtc_dtls *client, *server;
  size_t max_datagram; /* largest datagram seen on the wire */
  int datagrams;
} pair;

/* Moves every pending datagram from one side to the other, both ways, until quiet.
 * Returns the number of datagrams moved. */
static int pump(pair *p, uint64_t now_us) {
  uint8_t buf[BRTC_DTLS_MAX_DATAGRAM];
  size_t n;
  int moved = 0;
  for (int round = 0; round < MAX_PUMP_ROUNDS; round++) {
    int moved_this_round = 0;
    while (brtc_dtls_poll_output(p->client, buf, sizeof buf, &n) == BRTC_OK) {
      if (n > p->max_datagram) p->max_datagram = n;
      brtc_dtls_handle(p->server, buf, n, now_us);
      moved_this_round++;
    }
    while (brtc_dtls_poll_output(p->server, buf, sizeof buf, &n) == BRTC_OK) {
      if (n > p->max_datagram) p->max_datagram = n;
      brtc_dtls_handle(p->client, buf, n, now_us);
      moved_this_round++;
    }
    moved += moved_this_round;
    if (!moved_this_round) break;
  }
  p->datagrams += moved;
  return moved;
}

static void drop_all(brtc_dtls *d) {
  uint8_t buf[BRTC_DTLS_MAX_DATAGRAM];
  size_t n;
  while (brtc_dtls_poll_output(d, buf, sizeof buf, &n) == BRTC_OK) {
  }
}

static pair make_pair(const brtc_dtls_cert *client_cert, const brtc_dtls_cert *server_cert) {
  pair p = {0};
  p.client = brtc_dtls_new(client_cert, true, brtc_dtls_cert_fingerprint(server_cert));
  p.server = brtc_dtls_new(server_cert, false, brtc_dtls_cert_fingerprint(client_cert));
  CHECK(p.client != NULL);
  CHECK(p.server != NULL);
  return p;
}

static void free_pair(pair *p) {
  brtc_dtls_free(p->client);
  brtc_dtls_free(p->server);
}

static bool connect_pair(pair *p) {
  CHECK_EQ_INT(brtc_dtls_start(p->client, 0), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_start(p->server, 0), BRTC_OK); /* server: no-op */
  pump(p, 0);
  return brtc_dtls_get_state(p->client) == BRTC_DTLS_CONNECTED &&
         brtc_dtls_get_state(p->server) == BRTC_DTLS_CONNECTED;
}

/* Client's local keys are the server's remote keys and the other way round. */
static void check_keys_mirror(const pair *p, brtc_srtp_profile_id want) {
  brtc_dtls_srtp_keys kc, ks;
  CHECK_EQ_INT(brtc_dtls_get_srtp_keys(p->client, &kc), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_get_srtp_keys(p->server, &ks), BRTC_OK);
  CHECK_EQ_INT(kc.profile, want);
  CHECK_EQ_INT(ks.profile, want);
  size_t salt_len = want == BRTC_SRTP_PROFILE_AEAD_AES_128_GCM ? 12 : 14;
  CHECK_EQ_INT(kc.key_len, 16);
  CHECK_EQ_INT(kc.salt_len, salt_len);
  CHECK_EQ_INT(ks.key_len, 16);
  CHECK_EQ_INT(ks.salt_len, salt_len);
  CHECK_MEM(kc.local_key, ks.remote_key, 16);
  CHECK_MEM(kc.remote_key, ks.local_key, 16);
  CHECK_MEM(kc.local_salt, ks.remote_salt, salt_len);
  CHECK_MEM(kc.remote_salt, ks.local_salt, salt_len);
  CHECK(memcmp(kc.local_key, kc.remote_key, 16) != 0); /* two directions, two keys */

  /* Independently: OpenSSL's exporter on each side gives the same RFC 5764 4.2 block,
   * laid out client key | server key | client salt | server salt. */
  uint8_t mc[60], ms[60];
  size_t total = 2 * (16 + salt_len);
  CHECK_EQ_INT(SSL_export_keying_material(brtc_dtls_ssl(p->client), mc, total, EXPORTER_LABEL,
                                          strlen(EXPORTER_LABEL), NULL, 0, 0),
               1);
  CHECK_EQ_INT(SSL_export_keying_material(brtc_dtls_ssl(p->server), ms, total, EXPORTER_LABEL,
                                          strlen(EXPORTER_LABEL), NULL, 0, 0),
               1);
  CHECK_MEM(mc, ms, total);
  CHECK_MEM(kc.local_key, mc, 16);
  CHECK_MEM(kc.remote_key, mc + 16, 16);
  CHECK_MEM(kc.local_salt, mc + 32, salt_len);
  CHECK_MEM(kc.remote_salt, mc + 32 + salt_len, salt_len);
}

static void check_ecdsa_aead(const brtc_dtls *d) {
  const char *c = brtc_dtls_cipher(d);
  CHECK(strncmp(c, "ECDHE-ECDSA-", 12) == 0);
  CHECK(strstr(c, "GCM") != NULL || strstr(c, "CHACHA20-POLY1305") != NULL);
}

static void test_cert(void) {
  const char *fp = brtc_dtls_cert_fingerprint(cert_a);
  CHECK_EQ_INT(strlen(fp), BRTC_DTLS_FINGERPRINT_LEN - 1);
  for (size_t i = 0; i < strlen(fp); i++) {
    if (i % 3 == 2)
      CHECK(fp[i] == ':');
    else
      CHECK((fp[i] >= '0' && fp[i] <= '9') || (fp[i] >= 'A' && fp[i] <= 'F'));
  }
  CHECK(strcmp(fp, brtc_dtls_cert_fingerprint(cert_b)) != 0);

  /* The fingerprint is the SHA-256 of the certificate the handshake presents. */
  SSL *ssl = SSL_new(brtc_dtls_cert_ctx(cert_a));
  X509 *x = SSL_get_certificate(ssl);
  uint8_t md[32];
  unsigned int md_len = 0;
  CHECK(X509_digest(x, EVP_sha256(), md, &md_len) == 1);
  char text[BRTC_DTLS_FINGERPRINT_LEN];
  brtc_dtls_fingerprint_format(md, text);
  CHECK_STR(text, fp);

  /* Self-signed P-256, CN boltrtc, SHA-256 signature, about 30 days valid. */
  CHECK(X509_check_issued(x, x) == X509_V_OK);
  EVP_PKEY *pub = X509_get0_pubkey(x);
  CHECK(pub && EVP_PKEY_is_a(pub, "EC"));
  char group[32] = "";
  size_t glen = 0;
  CHECK(EVP_PKEY_get_utf8_string_param(pub, "group", group, sizeof group, &glen) == 1);
  CHECK_STR(group, "prime256v1");
  CHECK(X509_verify(x, pub) == 1);
  CHECK_EQ_INT(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
  char cn[32] = "";
  X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn);
  CHECK_STR(cn, "boltrtc");
  int days = 0, secs = 0;
  CHECK(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x), X509_get0_notAfter(x)) == 1);
  CHECK_EQ_INT(days, 30);
  CHECK(X509_cmp_current_time(X509_get0_notBefore(x)) < 0);
  CHECK(X509_cmp_current_time(X509_get0_notAfter(x)) > 0);
  SSL_free(ssl);
}

static void test_fingerprint_parse(void) {
  uint8_t md[32];
  const char *fp = brtc_dtls_cert_fingerprint(cert_a);
  char lower[BRTC_DTLS_FINGERPRINT_LEN];
  for (size_t i = 0; i < sizeof lower; i++)
    lower[i] = (char)((fp[i] >= 'A' && fp[i] <= 'F') ? fp[i] - 'A' + 'a' : fp[i]);
  CHECK_EQ_INT(brtc_dtls_fingerprint_parse(lower, md), BRTC_OK);
  char back[BRTC_DTLS_FINGERPRINT_LEN];
  brtc_dtls_fingerprint_format(md, back);
  CHECK_STR(back, fp);

  char bad[BRTC_DTLS_FINGERPRINT_LEN];
  memcpy(bad, fp, sizeof bad);
  bad[2] = '-';
  CHECK_EQ_INT(brtc_dtls_fingerprint_parse(bad, md), BRTC_ERR_PARSE);
  memcpy(bad, fp, sizeof bad);
  bad[0] = 'G';
  CHECK_EQ_INT(brtc_dtls_fingerprint_parse(bad, md), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_dtls_fingerprint_parse("AB:CD", md), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_dtls_fingerprint_parse(NULL, md), BRTC_ERR_PARSE);

  /* Sessions refuse a malformed fingerprint and accept either case. */
  CHECK(brtc_dtls_new(cert_a, true, "AB:CD") == NULL);
  CHECK(brtc_dtls_new(cert_a, true, NULL) == NULL);
  CHECK(brtc_dtls_new(NULL, true, fp) == NULL);
  pair p = {0};
  p.client = brtc_dtls_new(cert_a, true, brtc_dtls_cert_fingerprint(cert_b));
  for (size_t i = 0; i < sizeof lower; i++) {
    const char *f = brtc_dtls_cert_fingerprint(cert_a);
    lower[i] = (char)((f[i] >= 'A' && f[i] <= 'F') ? f[i] - 'A' + 'a' : f[i]);
  }
  p.server = brtc_dtls_new(cert_b, false, lower);
  CHECK(p.client && p.server);
  CHECK(connect_pair(&p));
  free_pair(&p);
}

static void handshake_roles(const brtc_dtls_cert *client_cert,
                            const brtc_dtls_cert *server_cert) {
  pair p = make_pair(client_cert, server_cert);
  CHECK_EQ_INT(brtc_dtls_get_state(p.client), BRTC_DTLS_NEW);
  CHECK_EQ_INT(brtc_dtls_get_state(p.server), BRTC_DTLS_NEW);
  CHECK_EQ_INT(brtc_dtls_next_deadline(p.server), UINT64_MAX);
  CHECK_EQ_INT(brtc_dtls_start(p.client, 1000), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_get_state(p.client), BRTC_DTLS_HANDSHAKING);
  /* Retransmission armed, 100 ms out (RFC 9147 5.8.2), on our clock. */
  uint64_t deadline = brtc_dtls_next_deadline(p.client);
  CHECK(deadline > 1000 && deadline <= 1000 + 100000);
  if (brtc_dtls_timer_exact()) CHECK_EQ_INT(deadline, 1000 + 100000);
  pump(&p, 1000);
  CHECK_EQ_INT(brtc_dtls_get_state(p.client), BRTC_DTLS_CONNECTED);
  CHECK_EQ_INT(brtc_dtls_get_state(p.server), BRTC_DTLS_CONNECTED);
  CHECK_STR(brtc_dtls_error(p.client), "");
  CHECK_STR(brtc_dtls_error(p.server), "");
  CHECK_EQ_INT(brtc_dtls_next_deadline(p.client), UINT64_MAX);
  CHECK_EQ_INT(brtc_dtls_next_deadline(p.server), UINT64_MAX);
  CHECK(p.max_datagram <= BRTC_DTLS_MTU);
  CHECK(p.datagrams >= 4); /* CH, SH..SHD, Cert..Finished, CCS+Finished */
  check_ecdsa_aead(p.client);
  CHECK_STR(brtc_dtls_cipher(p.client), brtc_dtls_cipher(p.server));
  check_keys_mirror(&p, BRTC_SRTP_PROFILE_AEAD_AES_128_GCM); /* our first preference */
  CHECK(SSL_version(brtc_dtls_ssl(p.client)) == DTLS1_2_VERSION);
  /* No second start, nothing left to retransmit. */
  CHECK_EQ_INT(brtc_dtls_start(p.client, 2000), BRTC_ERR_STATE);
  CHECK_EQ_INT(brtc_dtls_handle_timeout(p.client, UINT64_MAX - 1), BRTC_OK);
  uint8_t buf[BRTC_DTLS_MAX_DATAGRAM];
  size_t n;
  CHECK_EQ_INT(brtc_dtls_poll_output(p.client, buf, sizeof buf, &n), BRTC_ERR_AGAIN);
  free_pair(&p);
}

static void test_handshake_both_roles(void) {
  handshake_roles(cert_a, cert_b);
  handshake_roles(cert_b, cert_a);
}

static void test_handshake_same_cert(void) {
  /* One cert (one shared SSL_CTX) serving both ends and many sessions. */
  for (int i = 0; i < 3; i++) {
    pair p = make_pair(cert_a, cert_a);
    CHECK(connect_pair(&p));
    free_pair(&p);
  }
}

static void profile_case(const brtc_srtp_profile_id *client_ids, size_t nc,
                         const brtc_srtp_profile_id *server_ids, size_t ns,
                         brtc_srtp_profile_id want) {
  pair p = make_pair(cert_a, cert_b);
  if (client_ids) CHECK_EQ_INT(brtc_dtls_set_srtp_profiles(p.client, client_ids, nc), BRTC_OK);
  if (server_ids) CHECK_EQ_INT(brtc_dtls_set_srtp_profiles(p.server, server_ids, ns), BRTC_OK);
  CHECK(connect_pair(&p));
  if (want != BRTC_SRTP_PROFILE_NONE) {
    check_keys_mirror(&p, want);
  } else {
    brtc_dtls_srtp_keys k;
    CHECK_EQ_INT(brtc_dtls_get_srtp_keys(p.client, &k), BRTC_ERR_NOT_FOUND);
    CHECK_EQ_INT(brtc_dtls_get_srtp_keys(p.server, &k), BRTC_ERR_NOT_FOUND);
  }
  free_pair(&p);
}

static void test_srtp_profiles(void) {
  const brtc_srtp_profile_id cm[] = {BRTC_SRTP_PROFILE_AES128_CM_SHA1_80};
  const brtc_srtp_profile_id gcm[] = {BRTC_SRTP_PROFILE_AEAD_AES_128_GCM};
  const brtc_srtp_profile_id cm_first[] = {BRTC_SRTP_PROFILE_AES128_CM_SHA1_80,
                                           BRTC_SRTP_PROFILE_AEAD_AES_128_GCM};
  profile_case(NULL, 0, cm, 1, BRTC_SRTP_PROFILE_AES128_CM_SHA1_80);  /* server restricts */
  profile_case(cm, 1, NULL, 0, BRTC_SRTP_PROFILE_AES128_CM_SHA1_80);  /* client restricts */
  profile_case(gcm, 1, NULL, 0, BRTC_SRTP_PROFILE_AEAD_AES_128_GCM);
  profile_case(NULL, 0, cm_first, 2, BRTC_SRTP_PROFILE_AES128_CM_SHA1_80); /* server's order */
  profile_case(cm, 1, gcm, 1, BRTC_SRTP_PROFILE_NONE); /* no overlap: no SRTP keys */

  pair p = make_pair(cert_a, cert_b);
  const brtc_srtp_profile_id bogus[] = {(brtc_srtp_profile_id)0x0002};
  CHECK_EQ_INT(brtc_dtls_set_srtp_profiles(p.client, bogus, 1), BRTC_ERR_UNSUPPORTED);
  CHECK_EQ_INT(brtc_dtls_set_srtp_profiles(p.client, cm, 0), BRTC_ERR_INVALID);
  CHECK(connect_pair(&p));
  CHECK_EQ_INT(brtc_dtls_set_srtp_profiles(p.client, cm, 1), BRTC_ERR_STATE);
  free_pair(&p);
}

static void test_fingerprint_mismatch(void) {
  /* The client was told to expect another certificate than the server's. */
  pair p = {0};
  p.client = brtc_dtls_new(cert_a, true, brtc_dtls_cert_fingerprint(cert_other));
  p.server = brtc_dtls_new(cert_b, false, brtc_dtls_cert_fingerprint(cert_a));
  CHECK(!connect_pair(&p));
  CHECK_EQ_INT(brtc_dtls_get_state(p.client), BRTC_DTLS_FAILED);
  CHECK_STR(brtc_dtls_error(p.client), ERROR_FINGERPRINT);
  /* The client's alert fails the server too, for another reason. */
  CHECK_EQ_INT(brtc_dtls_get_state(p.server), BRTC_DTLS_FAILED);
  CHECK(strlen(brtc_dtls_error(p.server)) > 0);
  CHECK(strcmp(brtc_dtls_error(p.server), ERROR_FINGERPRINT) != 0);
  brtc_dtls_srtp_keys k;
  CHECK_EQ_INT(brtc_dtls_get_srtp_keys(p.client, &k), BRTC_ERR_STATE);
  CHECK_STR(brtc_dtls_cipher(p.client), "");
  CHECK_EQ_INT(brtc_dtls_next_deadline(p.client), UINT64_MAX);
  CHECK_EQ_INT(brtc_dtls_write(p.client, (const uint8_t *)"x", 1), BRTC_ERR_STATE);
  CHECK(ERR_peek_error() == 0); /* nothing left in OpenSSL's queue for others */
  free_pair(&p);

  /* The server was told to expect another client. */
  p.client = brtc_dtls_new(cert_a, true, brtc_dtls_cert_fingerprint(cert_b));
  p.server = brtc_dtls_new(cert_b, false, brtc_dtls_cert_fingerprint(cert_other));
  CHECK(!connect_pair(&p));
  CHECK_EQ_INT(brtc_dtls_get_state(p.server), BRTC_DTLS_FAILED);
  CHECK_STR(brtc_dtls_error(p.server), ERROR_FINGERPRINT);
  CHECK(brtc_dtls_get_state(p.client) != BRTC_DTLS_CONNECTED);
  CHECK(ERR_peek_error() == 0);
  free_pair(&p);
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void test_lost_client_hello(void) {
  pair p = make_pair(cert_a, cert_b);
  CHECK_EQ_INT(brtc_dtls_set_retransmit_timeout(p.client, 20), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_start(p.client, 0), BRTC_OK);
  uint64_t deadline = brtc_dtls_next_deadline(p.client);
  CHECK(deadline <= 20000);
  drop_all(p.client); /* the ClientHello is lost */

  /* Before the deadline: nothing happens. */
  uint8_t buf[BRTC_DTLS_MAX_DATAGRAM];
  size_t n;
  if (deadline > 0) {
    CHECK_EQ_INT(brtc_dtls_handle_timeout(p.client, deadline - 1), BRTC_OK);
    CHECK_EQ_INT(brtc_dtls_poll_output(p.client, buf, sizeof buf, &n), BRTC_ERR_AGAIN);
  }
  /* After it: the ClientHello again, delivered this time. OpenSSL times retransmission
   * on the real clock, so it may take it a few ms more to agree; bounded wait. */
  bool resent = false;
  for (int i = 0; i < 200 && !resent; i++) {
    CHECK_EQ_INT(brtc_dtls_handle_timeout(p.client, brtc_dtls_next_deadline(p.client)), BRTC_OK);
    resent = brtc_dtls_poll_output(p.client, buf, sizeof buf, &n) == BRTC_OK;
    if (!resent) sleep_ms(5);
  }
  CHECK(resent);
  CHECK(n > 13 && buf[0] == 22 && buf[13] == 1); /* handshake record, ClientHello */
  CHECK_EQ_INT(brtc_dtls_handle(p.server, buf, n, 30000), BRTC_OK);
  pump(&p, 30000);
  CHECK_EQ_INT(brtc_dtls_get_state(p.client), BRTC_DTLS_CONNECTED);
  CHECK_EQ_INT(brtc_dtls_get_state(p.server), BRTC_DTLS_CONNECTED);
  check_keys_mirror(&p, BRTC_SRTP_PROFILE_AEAD_AES_128_GCM);
  free_pair(&p);
}

static void test_lost_final_flight(void) {
  /* The server's ChangeCipherSpec+Finished is lost: the server is done, the client is
   * not. The client's timer resends its last flight and the connected server answers
   * it by resending its own (RFC 6347 4.2.4). */
  pair p = make_pair(cert_a, cert_b);
  CHECK_EQ_INT(brtc_dtls_set_retransmit_timeout(p.client, 20), BRTC_OK);
  uint8_t buf[BRTC_DTLS_MAX_DATAGRAM];
  size_t n;
  CHECK_EQ_INT(brtc_dtls_start(p.client, 0), BRTC_OK);
  for (int i = 0; i < 8 && brtc_dtls_get_state(p.server) != BRTC_DTLS_CONNECTED; i++) {
    while (brtc_dtls_poll_output(p.client, buf, sizeof buf, &n) == BRTC_OK)
      brtc_dtls_handle(p.server, buf, n, 0);
    if (brtc_dtls_get_state(p.server) == BRTC_DTLS_CONNECTED) break;
    while (brtc_dtls_poll_output(p.server, buf, sizeof buf, &n) == BRTC_OK)
      brtc_dtls_handle(p.client, buf, n, 0);
  }
  CHECK_EQ_INT(brtc_dtls_get_state(p.server), BRTC_DTLS_CONNECTED);
  CHECK_EQ_INT(brtc_dtls_get_state(p.client), BRTC_DTLS_HANDSHAKING);
  drop_all(p.server);
  CHECK(brtc_dtls_next_deadline(p.client) != UINT64_MAX);

  bool resent = false;
  for (int i = 0; i < 200 && !resent; i++) {
    CHECK_EQ_INT(brtc_dtls_handle_timeout(p.client, brtc_dtls_next_deadline(p.client)), BRTC_OK);
    while (brtc_dtls_poll_output(p.client, buf, sizeof buf, &n) == BRTC_OK) {
      resent = true;
      brtc_dtls_handle(p.server, buf, n, 50000);
    }
    if (!resent) sleep_ms(5);
  }
  CHECK(resent);
  pump(&p, 50000);
  CHECK_EQ_INT(brtc_dtls_get_state(p.client), BRTC_DTLS_CONNECTED);
  CHECK_EQ_INT(brtc_dtls_get_state(p.server), BRTC_DTLS_CONNECTED);
  check_keys_mirror(&p, BRTC_SRTP_PROFILE_AEAD_AES_128_GCM);
  /* The connected server took the resent flight as what it is: the plaintext part stale,
   * the Finished authenticated and answered; nothing counted as forged. */
  brtc_dtls_stats st;
  brtc_dtls_get_stats(p.server, &st);
  CHECK(st.records_stale >= 1);
  CHECK_EQ_INT(st.records_forged + st.records_unexpected + st.records_replayed, 0);
  free_pair(&p);
}

static void feed_garbage(brtc_dtls *d, uint32_t *seed) {
  uint8_t junk[300];
  for (int i = 0; i < 20; i++) {
    size_t len = 1 + (*seed = *seed * 1103515245u + 12345u) % sizeof junk;
    for (size_t j = 0; j < len; j++) junk[j] = (uint8_t)((*seed = *seed * 1103515245u + 12345u) >> 16);
    /* Some look like DTLS 1.2 records (handshake, CCS, alert, app data) to get deeper. */
    if (i % 2 && len > 13) {
      junk[0] = (uint8_t)(20 + i % 4);
      junk[1] = 0xfe;
      junk[2] = 0xfd;
      junk[11] = (uint8_t)((len - 13) >> 8);
      junk[12] = (uint8_t)(len - 13);
    }
    brtc_dtls_handle(d, junk, len, 0);
  }
}

static void test_garbage(void) {
  uint32_t seed = 1;
  pair p = make_pair(cert_a, cert_b);
  /* Junk before, during and after the handshake, at both ends: DTLS discards it. */
  feed_garbage(p.server, &seed);
  drop_all(p.server); /* whatever it answered to junk */
  CHECK_EQ_INT(brtc_dtls_start(p.client, 0), BRTC_OK);
  feed_garbage(p.client, &seed);
  CHECK(brtc_dtls_get_state(p.client) == BRTC_DTLS_HANDSHAKING);
  pump(&p, 0);
  feed_garbage(p.client, &seed);
  feed_garbage(p.server, &seed);
  CHECK_EQ_INT(brtc_dtls_get_state(p.client), BRTC_DTLS_CONNECTED);
  CHECK_EQ_INT(brtc_dtls_get_state(p.server), BRTC_DTLS_CONNECTED);
  /* Still carries data. */
  CHECK_EQ_INT(brtc_dtls_write(p.client, (const uint8_t *)"ok", 2), BRTC_OK);
  pump(&p, 0);
  uint8_t buf[16];
  size_t n = 0;
  CHECK_EQ_INT(brtc_dtls_read(p.server, buf, sizeof buf, &n), BRTC_OK);
  CHECK(n == 2 && memcmp(buf, "ok", 2) == 0);

  /* Bad arguments. */
  CHECK_EQ_INT(brtc_dtls_handle(p.server, buf, 0, 0), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_dtls_handle(p.server, NULL, 5, 0), BRTC_ERR_INVALID);
  CHECK_EQ_INT(brtc_dtls_handle(NULL, buf, 5, 0), BRTC_ERR_INVALID);
  free_pair(&p);

  /* A client fed anything before start is refused, not confused. */
  p = make_pair(cert_a, cert_b);
  CHECK_EQ_INT(brtc_dtls_handle(p.client, (const uint8_t *)"junk", 4, 0), BRTC_ERR_STATE);
  CHECK(connect_pair(&p));
  free_pair(&p);
}

static void test_application_data(void) {
  pair p = make_pair(cert_a, cert_b);
  uint8_t big[BRTC_DTLS_MAX_WRITE + 1];
  uint8_t buf[BRTC_DTLS_MAX_DATAGRAM];
  size_t n = 0;
  CHECK_EQ_INT(brtc_dtls_write(p.client, (const uint8_t *)"early", 5), BRTC_ERR_STATE);
  CHECK(connect_pair(&p));
  CHECK_EQ_INT(brtc_dtls_read(p.server, buf, sizeof buf, &n), BRTC_ERR_AGAIN);

  CHECK_EQ_INT(brtc_dtls_write(p.client, (const uint8_t *)"hello", 5), BRTC_OK);
  for (size_t i = 0; i < 1200; i++) big[i] = (uint8_t)(i * 7);
  CHECK_EQ_INT(brtc_dtls_write(p.client, big, 1200), BRTC_OK);
  pump(&p, 0);
  CHECK_EQ_INT(brtc_dtls_read(p.server, buf, sizeof buf, &n), BRTC_OK);
  CHECK(n == 5 && memcmp(buf, "hello", 5) == 0);
  CHECK_EQ_INT(brtc_dtls_read(p.server, buf, 100, &n), BRTC_ERR_TOO_BIG); /* stays queued */
  CHECK_EQ_INT(brtc_dtls_read(p.server, buf, sizeof buf, &n), BRTC_OK);
  CHECK_EQ_INT(n, 1200);
  CHECK_MEM(buf, big, 1200);
  CHECK_EQ_INT(brtc_dtls_read(p.server, buf, sizeof buf, &n), BRTC_ERR_AGAIN);

  /* The other way, and the largest write. */
  memset(big, 0x5a, sizeof big);
  CHECK_EQ_INT(brtc_dtls_write(p.server, big, BRTC_DTLS_MAX_WRITE), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_write(p.server, big, BRTC_DTLS_MAX_WRITE + 1), BRTC_ERR_TOO_BIG);
  CHECK_EQ_INT(brtc_dtls_poll_output(p.server, buf, 10, &n), BRTC_ERR_TOO_BIG); /* stays */
  pump(&p, 0);
  CHECK_EQ_INT(brtc_dtls_read(p.client, buf, sizeof buf, &n), BRTC_OK);
  CHECK_EQ_INT(n, BRTC_DTLS_MAX_WRITE);
  CHECK_MEM(buf, big, BRTC_DTLS_MAX_WRITE);

  /* A burst bigger than the queues: extra datagrams are dropped and counted, never
   * overflow, and the ones kept arrive intact and in order. */
  for (int i = 0; i < 20; i++) {
    uint8_t msg[2] = {'m', (uint8_t)i};
    CHECK_EQ_INT(brtc_dtls_write(p.client, msg, 2), BRTC_OK);
  }
  CHECK(brtc_dtls_dropped_datagrams(p.client) > 0);
  pump(&p, 0);
  for (int i = 0; i < 8; i++) {
    CHECK_EQ_INT(brtc_dtls_read(p.server, buf, sizeof buf, &n), BRTC_OK);
    CHECK(n == 2 && buf[0] == 'm' && buf[1] == i);
  }
  CHECK_EQ_INT(brtc_dtls_read(p.server, buf, sizeof buf, &n), BRTC_ERR_AGAIN);

  /* Replayed record: DTLS replay protection drops it. */
  CHECK_EQ_INT(brtc_dtls_write(p.client, (const uint8_t *)"once", 4), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_poll_output(p.client, buf, sizeof buf, &n), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_handle(p.server, buf, n, 0), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_handle(p.server, buf, n, 0), BRTC_OK);
  uint8_t got[16];
  size_t got_n;
  CHECK_EQ_INT(brtc_dtls_read(p.server, got, sizeof got, &got_n), BRTC_OK);
  CHECK(got_n == 4 && memcmp(got, "once", 4) == 0);
  CHECK_EQ_INT(brtc_dtls_read(p.server, got, sizeof got, &got_n), BRTC_ERR_AGAIN);

  /* A tampered record is dropped, the session survives. */
  CHECK_EQ_INT(brtc_dtls_write(p.client, (const uint8_t *)"tamper", 6), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_poll_output(p.client, buf, sizeof buf, &n), BRTC_OK);
  buf[n - 1] ^= 1;
  CHECK_EQ_INT(brtc_dtls_handle(p.server, buf, n, 0), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_read(p.server, got, sizeof got, &got_n), BRTC_ERR_AGAIN);
  CHECK_EQ_INT(brtc_dtls_get_state(p.server), BRTC_DTLS_CONNECTED);
  free_pair(&p);
}

static void test_close(void) {
  pair p = make_pair(cert_a, cert_b);
  CHECK_EQ_INT(brtc_dtls_close(p.client), BRTC_ERR_STATE);
  CHECK(connect_pair(&p));
  CHECK_EQ_INT(brtc_dtls_write(p.client, (const uint8_t *)"last", 4), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_close(p.client), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_get_state(p.client), BRTC_DTLS_CLOSED);
  pump(&p, 0);
  CHECK_EQ_INT(brtc_dtls_get_state(p.server), BRTC_DTLS_CLOSED);
  uint8_t buf[16];
  size_t n;
  CHECK_EQ_INT(brtc_dtls_read(p.server, buf, sizeof buf, &n), BRTC_OK); /* data before close */
  CHECK(n == 4 && memcmp(buf, "last", 4) == 0);
  CHECK_EQ_INT(brtc_dtls_write(p.server, buf, 1), BRTC_ERR_STATE);
  CHECK_EQ_INT(brtc_dtls_handle(p.server, buf, 1, 0), BRTC_ERR_STATE);
  CHECK_STR(brtc_dtls_error(p.server), "");
  free_pair(&p);
}

/* Retransmissions follow the caller's clock and nothing else: exactly at the deadline
 * (100 ms, then 200, 400 ...), never before it, never from OpenSSL's own clock, and never
 * in reply to a datagram we feed in meanwhile. */
static void test_retransmit_on_our_clock(void) {
  if (!brtc_dtls_timer_exact()) {
    fprintf(stderr, "  skip: this OpenSSL keeps its own clock (see docs/architecture.md)\n");
    return;
  }
  pair p = make_pair(cert_a, cert_b);
  uint8_t buf[BRTC_DTLS_MAX_DATAGRAM], hello[BRTC_DTLS_MAX_DATAGRAM];
  size_t n, hello_len = 0;
  const uint64_t t0 = 5000000;
  CHECK_EQ_INT(brtc_dtls_start(p.client, t0), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_poll_output(p.client, hello, sizeof hello, &hello_len), BRTC_OK);
  uint64_t at = t0, rto = 100000;
  for (int i = 0; i < 6; i++) {
    at += rto;
    CHECK_EQ_INT(brtc_dtls_next_deadline(p.client), at);
    /* Just before: nothing, and real time passing does not matter either. */
    CHECK_EQ_INT(brtc_dtls_handle_timeout(p.client, at - 1), BRTC_OK);
    CHECK_EQ_INT(brtc_dtls_poll_output(p.client, buf, sizeof buf, &n), BRTC_ERR_AGAIN);
    /* A stray record in between (of an epoch not in use, which OpenSSL discards) makes
     * OpenSSL read, which is where it would look at its own clock: nothing comes of it. */
    static const uint8_t stray[15] = {0x16, 0xfe, 0xfd, 0, 5, 0, 0, 0, 0, 0, 1, 0, 2, 1, 0};
    brtc_dtls_handle(p.client, stray, sizeof stray, at - 1);
    CHECK_EQ_INT(brtc_dtls_poll_output(p.client, buf, sizeof buf, &n), BRTC_ERR_AGAIN);
    /* At the deadline: the ClientHello again, new record sequence number, same message. */
    CHECK_EQ_INT(brtc_dtls_handle_timeout(p.client, at), BRTC_OK);
    CHECK_EQ_INT(brtc_dtls_poll_output(p.client, buf, sizeof buf, &n), BRTC_OK);
    CHECK(n == hello_len && buf[0] == 22 && buf[13] == 1);
    CHECK(memcmp(buf + 13, hello + 13, n - 13) == 0);
    CHECK(memcmp(buf + 5, hello + 5, 6) != 0);
    CHECK_EQ_INT(brtc_dtls_poll_output(p.client, buf, sizeof buf, &n), BRTC_ERR_AGAIN);
    rto *= 2;
  }
  sleep_ms(20); /* more than OpenSSL's 15 ms slack: its own clock still does nothing */
  CHECK_EQ_INT(brtc_dtls_handle_timeout(p.client, at + rto - 1), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_poll_output(p.client, buf, sizeof buf, &n), BRTC_ERR_AGAIN);
  brtc_dtls_stats st;
  brtc_dtls_get_stats(p.client, &st);
  CHECK_EQ_INT(st.retransmissions, 6);
  /* A late answer still completes the handshake, and the timer stops. */
  CHECK_EQ_INT(brtc_dtls_handle(p.server, hello, hello_len, at), BRTC_OK);
  pump(&p, at);
  CHECK_EQ_INT(brtc_dtls_get_state(p.client), BRTC_DTLS_CONNECTED);
  CHECK_EQ_INT(brtc_dtls_next_deadline(p.client), UINT64_MAX);
  CHECK_EQ_INT(brtc_dtls_next_deadline(p.server), UINT64_MAX);
  free_pair(&p);

  /* A custom first timeout; each new flight starts afresh, from twice the round trip the
   * previous flight took when that is longer. */
  p = make_pair(cert_a, cert_b);
  CHECK_EQ_INT(brtc_dtls_set_retransmit_timeout(p.client, 30), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_set_retransmit_timeout(p.server, 30), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_start(p.client, 0), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_next_deadline(p.client), 30000);
  drop_all(p.client);
  CHECK_EQ_INT(brtc_dtls_handle_timeout(p.client, 30000), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_next_deadline(p.client), 90000);
  /* The server answers at 40 ms (its own first flight: 30 ms); the answer reaches us at
   * 50 ms: our next flight (Certificate .. Finished) is not on the doubled 60 ms but starts
   * afresh at 30 ms. Our ClientHello was resent, so its round trip is unknown (Karn). */
  while (brtc_dtls_poll_output(p.client, buf, sizeof buf, &n) == BRTC_OK)
    brtc_dtls_handle(p.server, buf, n, 40000);
  CHECK_EQ_INT(brtc_dtls_next_deadline(p.server), 70000);
  while (brtc_dtls_poll_output(p.server, buf, sizeof buf, &n) == BRTC_OK)
    brtc_dtls_handle(p.client, buf, n, 50000);
  CHECK_EQ_INT(brtc_dtls_next_deadline(p.client), 80000);
  drop_all(p.client);
  free_pair(&p);

  /* A flight answered at once gives a round trip: the next flight waits twice that when it
   * is longer than the first timeout (a 70 ms round trip: 140 ms), never less (3 ms: 100). */
  for (int i = 0; i < 2; i++) {
    uint64_t rtt = i ? 3000 : 70000;
    p = make_pair(cert_a, cert_b);
    CHECK_EQ_INT(brtc_dtls_start(p.client, 0), BRTC_OK);
    while (brtc_dtls_poll_output(p.client, buf, sizeof buf, &n) == BRTC_OK)
      brtc_dtls_handle(p.server, buf, n, rtt / 2);
    while (brtc_dtls_poll_output(p.server, buf, sizeof buf, &n) == BRTC_OK)
      brtc_dtls_handle(p.client, buf, n, rtt);
    CHECK_EQ_INT(brtc_dtls_next_deadline(p.client), rtt + (i ? 100000 : 2 * rtt));
    drop_all(p.client);
    free_pair(&p);
  }
}

/* Forged records after the handshake, before and after the release: dropped, counted. */
static void test_forged_after_handshake(void) {
  for (int released = 0; released < 2; released++) {
    pair p = make_pair(cert_a, cert_b);
    CHECK(connect_pair(&p));
    if (released) {
      CHECK_EQ_INT(brtc_dtls_release(p.server), BRTC_OK);
      CHECK(brtc_dtls_released(p.server));
      CHECK(brtc_dtls_ssl(p.server) == NULL);
    }
    static const uint8_t plain_alert[15] = {0x15, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 7, 0, 2, 2, 40};
    static const uint8_t short_alert[15] = {0x15, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 7, 0, 2, 2, 40};
    static const uint8_t short_hs[15] = {0x16, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 7, 0, 2, 20, 0};
    uint8_t tagged[13 + 8 + 2 + 16] = {0x15, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9, 0, 26};
    CHECK_EQ_INT(brtc_dtls_handle(p.server, plain_alert, sizeof plain_alert, 0), BRTC_OK);
    CHECK_EQ_INT(brtc_dtls_handle(p.server, short_alert, sizeof short_alert, 0), BRTC_OK);
    CHECK_EQ_INT(brtc_dtls_handle(p.server, short_hs, sizeof short_hs, 0), BRTC_OK);
    CHECK_EQ_INT(brtc_dtls_handle(p.server, tagged, sizeof tagged, 0), BRTC_OK);
    brtc_dtls_stats st;
    brtc_dtls_get_stats(p.server, &st);
    CHECK_EQ_INT(st.plaintext_alerts, 1);
    CHECK_EQ_INT(st.records_forged, 3);
    CHECK_EQ_INT(st.alerts_received, 0);
    CHECK_EQ_INT(brtc_dtls_get_state(p.server), BRTC_DTLS_CONNECTED);
    /* Still carries data both ways, and a real close_notify still closes. */
    CHECK_EQ_INT(brtc_dtls_write(p.server, (const uint8_t *)"up", 2), BRTC_OK);
    CHECK_EQ_INT(brtc_dtls_write(p.client, (const uint8_t *)"down", 4), BRTC_OK);
    pump(&p, 0);
    uint8_t buf[16];
    size_t n = 0;
    CHECK_EQ_INT(brtc_dtls_read(p.client, buf, sizeof buf, &n), BRTC_OK);
    CHECK(n == 2 && memcmp(buf, "up", 2) == 0);
    CHECK_EQ_INT(brtc_dtls_read(p.server, buf, sizeof buf, &n), BRTC_OK);
    CHECK(n == 4 && memcmp(buf, "down", 4) == 0);
    CHECK_EQ_INT(brtc_dtls_close(p.client), BRTC_OK);
    pump(&p, 0);
    CHECK_EQ_INT(brtc_dtls_get_state(p.server), BRTC_DTLS_CLOSED);
    brtc_dtls_get_stats(p.server, &st);
    CHECK_EQ_INT(st.alerts_received, 1);
    free_pair(&p);
  }
}

/* After the release: our records continue OpenSSL's sequence numbers (never reusing one
 * the peer saw), our alerts and data reach the peer's OpenSSL, and the release refuses to
 * drop queued output. */
static void test_release(void) {
  pair p = make_pair(cert_a, cert_b);
  CHECK_EQ_INT(brtc_dtls_release(p.client), BRTC_ERR_STATE);
  CHECK(connect_pair(&p));
  CHECK_EQ_INT(brtc_dtls_send_alert(p.client, 1, 90), BRTC_ERR_STATE); /* OpenSSL's, still */
  for (int i = 0; i < 3; i++) CHECK_EQ_INT(brtc_dtls_write(p.client, (const uint8_t *)"x", 1), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_release(p.client), BRTC_ERR_AGAIN);
  pump(&p, 0);
  brtc_dtls_srtp_keys k;
  CHECK_EQ_INT(brtc_dtls_get_srtp_keys(p.client, &k), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_release(p.client), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_release(p.client), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_get_srtp_keys(p.client, &k), BRTC_ERR_STATE);
  CHECK_STR(brtc_dtls_cipher(p.client), brtc_dtls_cipher(p.server));
  uint8_t buf[BRTC_DTLS_MAX_DATAGRAM];
  size_t n;
  CHECK_EQ_INT(brtc_dtls_write(p.client, (const uint8_t *)"after", 5), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_poll_output(p.client, buf, sizeof buf, &n), BRTC_OK);
  /* OpenSSL sent Finished (1) and three records; ours goes on from there. */
  CHECK_EQ_INT(buf[0], 23);
  CHECK(buf[3] == 0 && buf[4] == 1);
  CHECK(buf[10] >= 4);
  CHECK_EQ_INT(brtc_dtls_handle(p.server, buf, n, 0), BRTC_OK);
  for (int i = 0; i < 4; i++) {
    size_t got = 0;
    uint8_t msg[16];
    CHECK_EQ_INT(brtc_dtls_read(p.server, msg, sizeof msg, &got), BRTC_OK);
    if (i == 3) CHECK(got == 5 && memcmp(msg, "after", 5) == 0);
  }
  /* The other way, read by the released side. */
  CHECK_EQ_INT(brtc_dtls_write(p.server, (const uint8_t *)"to released", 11), BRTC_OK);
  pump(&p, 0);
  size_t got = 0;
  CHECK_EQ_INT(brtc_dtls_read(p.client, buf, sizeof buf, &got), BRTC_OK);
  CHECK(got == 11 && memcmp(buf, "to released", 11) == 0);
  /* A warning alert changes nothing; close_notify closes the peer's OpenSSL session. */
  CHECK_EQ_INT(brtc_dtls_send_alert(p.client, 1, 90), BRTC_OK);
  pump(&p, 0);
  CHECK_EQ_INT(brtc_dtls_get_state(p.server), BRTC_DTLS_CONNECTED);
  CHECK_EQ_INT(brtc_dtls_close(p.client), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_poll_output(p.client, buf, 10, &n), BRTC_ERR_TOO_BIG); /* kept */
  pump(&p, 0);
  CHECK_EQ_INT(brtc_dtls_get_state(p.server), BRTC_DTLS_CLOSED);
  CHECK_EQ_INT(brtc_dtls_get_state(p.client), BRTC_DTLS_CLOSED);
  free_pair(&p);
}

/* The data channel path after the release (issue 9): SCTP packets sealed straight into the
 * caller's datagram and opened straight into the caller's buffer, no queue between; MTU-sized
 * records fit IPv6's 1280; before the release the seal refuses (OpenSSL holds the write
 * sequence); a forged, replayed or plaintext record yields nothing; both sides released. */
static void test_application_data_unqueued(void) {
  pair p = make_pair(cert_a, cert_b);
  uint8_t pkt[1191], dgram[BRTC_DTLS_MAX_DATAGRAM], app[BRTC_DTLS_MAX_DATAGRAM];
  size_t n = 0, app_len = 99;
  for (size_t i = 0; i < sizeof pkt; i++) pkt[i] = (uint8_t)(i * 11);
  CHECK(connect_pair(&p));
  CHECK_EQ_INT(brtc_dtls_seal_app(p.client, pkt, sizeof pkt, dgram, sizeof dgram, &n),
               BRTC_ERR_STATE);
  /* Before the server's release, OpenSSL's record still opens straight into app. */
  CHECK_EQ_INT(brtc_dtls_write(p.client, pkt, 100), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_poll_output(p.client, dgram, sizeof dgram, &n), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_handle_app(p.server, dgram, n, 0, app, sizeof app, &app_len), BRTC_OK);
  CHECK(app_len == 100 && memcmp(app, pkt, 100) == 0);
  CHECK_EQ_INT(brtc_dtls_read(p.server, app, sizeof app, &n), BRTC_ERR_AGAIN);
  pump(&p, 0);
  CHECK_EQ_INT(brtc_dtls_release(p.client), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_release(p.server), BRTC_OK);

  for (int way = 0; way < 2; way++) {
    brtc_dtls *from = way ? p.server : p.client, *to = way ? p.client : p.server;
    CHECK_EQ_INT(brtc_dtls_seal_app(from, pkt, sizeof pkt, dgram, 100, &n), BRTC_ERR_TOO_BIG);
    CHECK_EQ_INT(brtc_dtls_seal_app(from, pkt, sizeof pkt, dgram, sizeof dgram, &n), BRTC_OK);
    CHECK(n <= sizeof pkt + BRTC_DTLS_RECORD_OVERHEAD);
    CHECK(n + 48 <= 1280); /* IPv6 and UDP headers: the minimum MTU holds it */
    CHECK_EQ_INT(brtc_dtls_handle_app(to, dgram, n, 0, app, sizeof app, &app_len), BRTC_OK);
    CHECK_EQ_INT(app_len, sizeof pkt);
    CHECK_MEM(app, pkt, sizeof pkt);
    /* The same record again is a replay: nothing comes out. */
    brtc_dtls_stats before, after;
    brtc_dtls_get_stats(to, &before);
    CHECK_EQ_INT(brtc_dtls_handle_app(to, dgram, n, 0, app, sizeof app, &app_len), BRTC_OK);
    CHECK_EQ_INT(app_len, 0);
    /* A bit flipped in the ciphertext: it does not authenticate. */
    CHECK_EQ_INT(brtc_dtls_seal_app(from, pkt, 64, dgram, sizeof dgram, &n), BRTC_OK);
    dgram[n - 20] ^= 0x40;
    CHECK_EQ_INT(brtc_dtls_handle_app(to, dgram, n, 0, app, sizeof app, &app_len), BRTC_OK);
    CHECK_EQ_INT(app_len, 0);
    /* Plaintext application data (epoch 0). */
    uint8_t plain[13 + 8] = {BRTC_DTLS_CT_APPLICATION_DATA, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 9, 0, 8};
    CHECK_EQ_INT(brtc_dtls_handle_app(to, plain, sizeof plain, 0, app, sizeof app, &app_len),
                 BRTC_OK);
    CHECK_EQ_INT(app_len, 0);
    brtc_dtls_get_stats(to, &after);
    CHECK_EQ_INT(after.records_replayed, before.records_replayed + 1);
    CHECK_EQ_INT(after.records_forged, before.records_forged + 2);
    CHECK_EQ_INT(brtc_dtls_get_state(to), BRTC_DTLS_CONNECTED);
  }
  /* Two records in one datagram: the first into app, the second queued for read. */
  size_t n1 = 0, n2 = 0;
  CHECK_EQ_INT(brtc_dtls_seal_app(p.client, pkt, 10, dgram, sizeof dgram, &n1), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_seal_app(p.client, pkt + 10, 20, dgram + n1, sizeof dgram - n1, &n2),
               BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_handle_app(p.server, dgram, n1 + n2, 0, app, sizeof app, &app_len),
               BRTC_OK);
  CHECK(app_len == 10 && memcmp(app, pkt, 10) == 0);
  CHECK_EQ_INT(brtc_dtls_read(p.server, app, sizeof app, &n), BRTC_OK);
  CHECK(n == 20 && memcmp(app, pkt + 10, 20) == 0);
  CHECK_EQ_INT(brtc_dtls_read(p.server, app, sizeof app, &n), BRTC_ERR_AGAIN);
  free_pair(&p);
}

static void test_invalid_settings(void) {
  pair p = make_pair(cert_a, cert_b);
  CHECK_EQ_INT(brtc_dtls_set_retransmit_timeout(p.client, 0), BRTC_ERR_INVALID);
  CHECK_EQ_INT(brtc_dtls_set_retransmit_timeout(p.client, 60001), BRTC_ERR_INVALID);
  CHECK_EQ_INT(brtc_dtls_set_retransmit_timeout(p.client, 100), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_start(p.client, 0), BRTC_OK);
  CHECK(brtc_dtls_next_deadline(p.client) <= 100000);
  CHECK_EQ_INT(brtc_dtls_set_retransmit_timeout(p.client, 100), BRTC_ERR_STATE);
  free_pair(&p);
  brtc_dtls_free(NULL);
  brtc_dtls_cert_free(NULL);
  CHECK_EQ_INT(brtc_dtls_next_deadline(NULL), UINT64_MAX);
}

int main(void) {
  cert_a = brtc_dtls_cert_generate();
  cert_b = brtc_dtls_cert_generate();
  cert_other = brtc_dtls_cert_generate();
  CHECK(cert_a && cert_b && cert_other);
  if (!cert_a || !cert_b || !cert_other) return TEST_REPORT();
  RUN(test_cert);
  RUN(test_fingerprint_parse);
  RUN(test_handshake_both_roles);
  RUN(test_handshake_same_cert);
  RUN(test_srtp_profiles);
  RUN(test_fingerprint_mismatch);
  RUN(test_lost_client_hello);
  RUN(test_lost_final_flight);
  RUN(test_garbage);
  RUN(test_application_data);
  RUN(test_close);
  RUN(test_retransmit_on_our_clock);
  RUN(test_forged_after_handshake);
  RUN(test_release);
  RUN(test_application_data_unqueued);
  RUN(test_invalid_settings);
  brtc_dtls_cert_free(cert_a);
  brtc_dtls_cert_free(cert_b);
  brtc_dtls_cert_free(cert_other);
  return TEST_REPORT();
}
