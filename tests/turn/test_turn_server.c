/* The TURN server core: Binding, the Allocate dance, nonces, credentials, Refresh,
 * permissions, channels, relaying both ways, lifetimes, peer filtering, quotas and every
 * error answer, on a simulated clock. */
#include <stdio.h>
#include <string.h>

#include "common/bytes.h"
#include "stun/rfc5769_vectors.h"
#include "stun/stun.h"
#include "testing.h"
#include "turn/turn_auth.h"
#include "turn/turn_harness.h"
#include "turn/turn_peers.h"
#include "turn/turn_proto.h"

static const brtc_addr *A(const char *t) {
  static brtc_addr ring[256];
  static int i;
  brtc_addr *a = &ring[i++ % 256];
  *a = h_addr(t);
  return a;
}

/* A request built by hand; auth: sign as user with the nonce the server handed out. */
typedef struct raw_req {
  uint16_t type;
  uint8_t tid[12];
  const char *user, *pass;
  const uint8_t *nonce;
  size_t nonce_len;
  bool transport, tcp, lifetime_set, channel_set, fingerprint, dont_fragment, even_reserve;
  const uint8_t *token;
  uint32_t lifetime;
  uint16_t channel;
  const brtc_addr *peers[3];
  uint16_t unknown_attr;
} raw_req;

static size_t build(const raw_req *r, uint8_t *buf, size_t cap) {
  brtc_stun_writer w;
  brtc_stun_writer_init(&w, buf, cap, r->type, r->tid);
  if (r->transport) brtc_stun_add_u32(&w, BRTC_TURN_ATTR_REQUESTED_TRANSPORT, (r->tcp ? 6u : 17u) << 24);
  if (r->lifetime_set) brtc_stun_add_u32(&w, BRTC_TURN_ATTR_LIFETIME, r->lifetime);
  if (r->channel_set) brtc_stun_add_u32(&w, BRTC_TURN_ATTR_CHANNEL_NUMBER, (uint32_t)r->channel << 16);
  if (r->dont_fragment) brtc_stun_add_flag(&w, BRTC_TURN_ATTR_DONT_FRAGMENT);
  if (r->even_reserve) brtc_stun_add_bytes(&w, BRTC_TURN_ATTR_EVEN_PORT, "\x80", 1);
  if (r->token) brtc_stun_add_bytes(&w, BRTC_TURN_ATTR_RESERVATION_TOKEN, r->token, 8);
  if (r->unknown_attr) brtc_stun_add_u32(&w, r->unknown_attr, 0);
  for (int i = 0; i < 3 && r->peers[i]; i++)
    brtc_stun_add_xor_address(&w, BRTC_TURN_ATTR_XOR_PEER_ADDRESS, r->peers[i]);
  uint8_t key[16];
  if (r->user) {
    brtc_stun_add_bytes(&w, BRTC_STUN_ATTR_USERNAME, r->user, strlen(r->user));
    brtc_stun_add_bytes(&w, BRTC_STUN_ATTR_REALM, "boltrtc.test", 12);
    brtc_stun_add_bytes(&w, BRTC_STUN_ATTR_NONCE, r->nonce, r->nonce_len);
    brtc_stun_long_term_key(r->user, "boltrtc.test", r->pass, key);
  }
  size_t len = 0;
  brtc_stun_finish(&w, r->user ? key : NULL, 16, r->fingerprint, &len);
  return len;
}

/* The answer the server sent to the client, parsed. */
static bool answer(h_world *w, brtc_stun_msg *m) {
  return w->client_sent && brtc_stun_parse(w->client_bytes, w->client_len, m) == BRTC_OK;
}

static uint16_t send_raw(h_world *w, const brtc_addr *from, const raw_req *r, brtc_stun_msg *m) {
  uint8_t buf[1600];
  size_t n = build(r, buf, sizeof(buf));
  h_from_client(w, from, buf, n);
  if (!answer(w, m)) return 0;
  if (BRTC_STUN_CLASS(m->type) == BRTC_STUN_CLASS_SUCCESS) return 200;
  return m->has_error ? m->error_code : 1;
}

/* A nonce for from: the 401 to an unsigned Allocate. */
static size_t get_nonce(h_world *w, const brtc_addr *from, uint8_t nonce[64]) {
  raw_req r = {.type = BRTC_TURN_ALLOCATE, .tid = {9}, .transport = true};
  brtc_stun_msg m;
  if (send_raw(w, from, &r, &m) != 401 || !m.nonce || m.nonce_len > 64) return 0;
  memcpy(nonce, m.nonce, m.nonce_len);
  return m.nonce_len;
}

/* An allocation for from as alice, by hand; its relay slot. */
static uint32_t allocate(h_world *w, const brtc_addr *from, uint8_t nonce[64], size_t *nonce_len) {
  *nonce_len = get_nonce(w, from, nonce);
  raw_req r = {.type = BRTC_TURN_ALLOCATE, .tid = {1, 1}, .transport = true, .user = "alice",
               .pass = "alice-password", .nonce = nonce, .nonce_len = *nonce_len};
  brtc_stun_msg m;
  CHECK_EQ_INT(send_raw(w, from, &r, &m), 200);
  return 0;
}

static void test_binding_answers_rfc5769_request(void) {
  h_world w;
  h_init(&w, NULL);
  /* RFC 5769 2.1's request is a Binding request: the answer carries its transaction ID, the
   * source as XOR-MAPPED-ADDRESS, and FINGERPRINT because the request had one. */
  h_from_client(&w, A("198.51.100.7:40000"), sample_request, sizeof(sample_request));
  brtc_stun_msg m;
  CHECK(answer(&w, &m));
  CHECK_EQ_INT(m.type, BRTC_STUN_BINDING_SUCCESS);
  CHECK_MEM(m.transaction_id, rfc5769_tid, 12);
  CHECK(m.has_xor_mapped && brtc_addr_equal(&m.xor_mapped, A("198.51.100.7:40000")));
  CHECK(m.has_fingerprint && m.fingerprint_ok);
  brtc_turn_core_free(w.core);
}

static void test_long_term_key_rfc5769(void) {
  /* RFC 5769 2.4: the long-term request verifies with the key of user "マトリックス" (SASLprep
   * leaves it as is), password "TheMatrIX", realm "example.org". */
  brtc_turn_auth auth;
  CHECK_EQ_INT(brtc_turn_auth_init(&auth, "example.org", h_secret, 600), BRTC_OK);
  CHECK_EQ_INT(brtc_turn_auth_add_user(&auth, "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83"
                                              "\xe3\x82\xaf\xe3\x82\xb9", "TheMatrIX"), BRTC_OK);
  brtc_stun_msg m;
  CHECK_EQ_INT(brtc_stun_parse(sample_long_term_request, sizeof(sample_long_term_request), &m), BRTC_OK);
  uint8_t key[16];
  CHECK_EQ_INT(brtc_turn_auth_key(&auth, m.username, m.username_len, 0, key), BRTC_OK);
  CHECK_EQ_INT(brtc_stun_check_integrity(sample_long_term_request, sizeof(sample_long_term_request),
                                         &m, key, 16), BRTC_OK);
  CHECK_EQ_INT(brtc_turn_auth_key(&auth, (const uint8_t *)"nobody", 6, 0, key), BRTC_ERR_AUTH);
  brtc_turn_auth_free(&auth);
}

static void test_allocate_dance_with_client(void) {
  h_world w;
  h_init(&w, NULL);
  brtc_turn_client *cl = h_client("alice", "alice-password");
  const brtc_addr *me = A("198.51.100.7:40000");
  CHECK_EQ_INT(brtc_turn_client_allocate(cl, w.now), BRTC_OK);
  h_pump(&w, cl, me);
  brtc_turn_client_event ev;
  CHECK(h_event(cl, BRTC_TURN_EV_ALLOCATED, &ev));
  CHECK_EQ_INT(brtc_turn_client_get_state(cl), BRTC_TURN_CLIENT_ALLOCATED);
  CHECK(brtc_addr_port(&ev.relayed) >= 50000 && brtc_addr_port(&ev.relayed) <= 50099);
  CHECK(brtc_addr_equal(&ev.mapped, me));
  CHECK_EQ_INT(ev.lifetime_s, 600);
  brtc_turn_core_stats st;
  brtc_turn_core_get_stats(w.core, &st);
  CHECK_EQ_INT(st.unauthenticated, 1); /* the challenge */
  CHECK_EQ_INT(st.allocations, 1);
  CHECK_EQ_INT(brtc_turn_client_transmissions(cl), 2);
  /* Refresh before expiry: at 540 s the client refreshes, and the allocation lives on. */
  w.now += 539 * H_S;
  h_pump(&w, cl, me);
  CHECK(!h_event(cl, BRTC_TURN_EV_REFRESHED, NULL));
  w.now += 1 * H_S;
  h_pump(&w, cl, me);
  CHECK(h_event(cl, BRTC_TURN_EV_REFRESHED, &ev));
  w.now += 300 * H_S;
  brtc_turn_core_handle_timeout(w.core, w.now);
  brtc_turn_core_get_stats(w.core, &st);
  CHECK_EQ_INT(st.allocations, 1);
  /* Close: Refresh with lifetime 0 deletes it, and its relay socket is to be closed. */
  CHECK_EQ_INT(brtc_turn_client_close(cl, w.now), BRTC_OK);
  h_pump(&w, cl, me);
  CHECK(h_event(cl, BRTC_TURN_EV_CLOSED, NULL));
  uint32_t slot;
  CHECK(brtc_turn_core_poll_closed(w.core, &slot));
  CHECK(!brtc_turn_core_poll_closed(w.core, &slot));
  brtc_turn_core_get_stats(w.core, &st);
  CHECK_EQ_INT(st.allocations, 0);
  CHECK_EQ_INT(st.allocations_deleted, 1);
  brtc_turn_client_free(cl);
  brtc_turn_core_free(w.core);
}

static void test_stale_nonce_and_binding_to_address(void) {
  h_world w;
  brtc_turn_core_config cfg = {.nonce_lifetime_s = 60};
  h_init(&w, &cfg);
  brtc_turn_client *cl = h_client("alice", "alice-password");
  const brtc_addr *me = A("198.51.100.7:40000");
  brtc_turn_client_allocate(cl, w.now);
  h_pump(&w, cl, me);
  CHECK(h_event(cl, BRTC_TURN_EV_ALLOCATED, NULL));
  /* The nonce expires after 60 s: the next request gets 438 and the client retries. */
  w.now += 61 * H_S;
  CHECK_EQ_INT(brtc_turn_client_create_permission(cl, A("203.0.113.9:1000"), w.now), BRTC_OK);
  h_pump(&w, cl, me);
  CHECK(h_event(cl, BRTC_TURN_EV_PERMISSION, NULL));
  brtc_turn_core_stats st;
  brtc_turn_core_get_stats(w.core, &st);
  CHECK_EQ_INT(st.stale_nonces, 1);

  /* A nonce is bound to the address it was given to: from another port it is stale. */
  uint8_t nonce[64];
  size_t nonce_len = get_nonce(&w, A("198.51.100.8:40000"), nonce);
  CHECK_EQ_INT(nonce_len, BRTC_TURN_NONCE_LEN);
  raw_req r = {.type = BRTC_TURN_ALLOCATE, .tid = {2}, .transport = true, .user = "alice",
               .pass = "alice-password", .nonce = nonce, .nonce_len = nonce_len};
  brtc_stun_msg m;
  CHECK_EQ_INT(send_raw(&w, A("198.51.100.8:40001"), &r, &m), 438);
  CHECK(m.realm && m.nonce && !m.has_integrity);
  CHECK_EQ_INT(send_raw(&w, A("198.51.100.8:40000"), &r, &m), 200);
  /* A forged nonce is stale too. */
  nonce[10] ^= 1;
  CHECK_EQ_INT(send_raw(&w, A("198.51.100.8:40002"), &r, &m), 438);
  brtc_turn_client_free(cl);
  brtc_turn_core_free(w.core);
}

static void test_bad_credentials(void) {
  h_world w;
  h_init(&w, NULL);
  brtc_turn_client *cl = h_client("alice", "wrong");
  const brtc_addr *me = A("198.51.100.7:40000");
  brtc_turn_client_allocate(cl, w.now);
  h_pump(&w, cl, me);
  brtc_turn_client_event ev;
  CHECK(h_event(cl, BRTC_TURN_EV_FAILED, &ev));
  CHECK_EQ_INT(ev.error_code, 401);
  brtc_turn_client_free(cl);
  cl = h_client("mallory", "x");
  brtc_turn_client_allocate(cl, w.now);
  h_pump(&w, cl, A("198.51.100.7:40001"));
  CHECK(h_event(cl, BRTC_TURN_EV_FAILED, &ev));
  brtc_turn_core_stats st;
  brtc_turn_core_get_stats(w.core, &st);
  CHECK_EQ_INT(st.auth_failures, 2);
  CHECK_EQ_INT(st.allocations, 0);
  /* Missing USERNAME with MESSAGE-INTEGRITY: 400. */
  uint8_t buf[256], tid[12] = {7};
  brtc_stun_writer sw;
  brtc_stun_writer_init(&sw, buf, sizeof(buf), BRTC_TURN_ALLOCATE, tid);
  brtc_stun_add_u32(&sw, BRTC_TURN_ATTR_REQUESTED_TRANSPORT, 17u << 24);
  size_t n;
  brtc_stun_finish(&sw, (const uint8_t *)"k", 1, false, &n);
  h_from_client(&w, me, buf, n);
  brtc_stun_msg m;
  CHECK(answer(&w, &m) && m.has_error && m.error_code == 400);
  brtc_turn_client_free(cl);
  brtc_turn_core_free(w.core);
}

static void test_time_limited_credentials(void) {
  h_world w;
  h_init(&w, NULL);
  CHECK_EQ_INT(brtc_turn_core_set_auth_secret(w.core, "north"), BRTC_OK);
  char pass[32];
  /* Good until 1700000100; the server's clock says 1700000000. */
  CHECK_EQ_INT(brtc_turn_rest_password("north", "1700000100:carol", pass, sizeof(pass)), BRTC_OK);
  CHECK_EQ_INT(strlen(pass), 28);
  brtc_turn_client *cl = h_client("1700000100:carol", pass);
  brtc_turn_client_allocate(cl, w.now);
  h_pump(&w, cl, A("198.51.100.7:40000"));
  CHECK(h_event(cl, BRTC_TURN_EV_ALLOCATED, NULL));
  brtc_turn_client_free(cl);
  /* Once the time has passed, the same credentials are refused. */
  brtc_turn_core_set_unix_time(w.core, 1700000101);
  cl = h_client("1700000100:carol", pass);
  brtc_turn_client_allocate(cl, w.now);
  h_pump(&w, cl, A("198.51.100.7:40001"));
  brtc_turn_client_event ev;
  CHECK(h_event(cl, BRTC_TURN_EV_FAILED, &ev) && ev.error_code == 401);
  brtc_turn_client_free(cl);
  /* A password from another secret is refused. */
  brtc_turn_rest_password("south", "1700000200:dave", pass, sizeof(pass));
  cl = h_client("1700000200:dave", pass);
  brtc_turn_client_allocate(cl, w.now);
  h_pump(&w, cl, A("198.51.100.7:40002"));
  CHECK(h_event(cl, BRTC_TURN_EV_FAILED, &ev) && ev.error_code == 401);
  brtc_turn_client_free(cl);
  brtc_turn_core_free(w.core);
}

static void test_allocate_errors(void) {
  h_world w;
  h_init(&w, NULL);
  const brtc_addr *me = A("198.51.100.7:40000");
  uint8_t nonce[64];
  size_t nl = get_nonce(&w, me, nonce);
  brtc_stun_msg m;
  raw_req r = {.type = BRTC_TURN_ALLOCATE, .tid = {3}, .user = "alice", .pass = "alice-password",
               .nonce = nonce, .nonce_len = nl, .fingerprint = true};
  CHECK_EQ_INT(send_raw(&w, me, &r, &m), 400); /* no REQUESTED-TRANSPORT */
  CHECK(m.has_integrity && m.has_fingerprint);  /* signed: the request was authentic */
  r.transport = r.tcp = true;
  CHECK_EQ_INT(send_raw(&w, me, &r, &m), 442);
  r.tcp = false;
  r.dont_fragment = true;
  CHECK_EQ_INT(send_raw(&w, me, &r, &m), 420);
  r.dont_fragment = false;
  r.unknown_attr = 0x0031;
  CHECK_EQ_INT(send_raw(&w, me, &r, &m), 420);
  const uint8_t *v;
  size_t vl;
  CHECK(brtc_stun_find_attr(w.client_bytes, w.client_len, BRTC_STUN_ATTR_UNKNOWN_ATTRIBUTES, &v, &vl) == BRTC_OK &&
        vl == 2 && brtc_rd16(v) == 0x0031);
  r.unknown_attr = 0;
  CHECK_EQ_INT(send_raw(&w, me, &r, &m), 200);
  brtc_addr relayed;
  CHECK(brtc_stun_find_attr(w.client_bytes, w.client_len, BRTC_TURN_ATTR_XOR_RELAYED_ADDRESS, &v, &vl) == BRTC_OK &&
        brtc_stun_decode_xor_address(w.client_bytes, v, vl, &relayed) == BRTC_OK);
  /* A retransmission gets the same answer; another Allocate on the 5-tuple gets 437. */
  CHECK_EQ_INT(send_raw(&w, me, &r, &m), 200);
  brtc_addr again;
  CHECK(brtc_stun_find_attr(w.client_bytes, w.client_len, BRTC_TURN_ATTR_XOR_RELAYED_ADDRESS, &v, &vl) == BRTC_OK &&
        brtc_stun_decode_xor_address(w.client_bytes, v, vl, &again) == BRTC_OK &&
        brtc_addr_equal(&again, &relayed));
  r.tid[0] = 4;
  CHECK_EQ_INT(send_raw(&w, me, &r, &m), 437);
  /* Refresh by another user of the same 5-tuple: 441. */
  raw_req rb = {.type = BRTC_TURN_REFRESH, .tid = {5}, .user = "bob", .pass = "bob-password",
                .nonce = nonce, .nonce_len = nl};
  CHECK_EQ_INT(send_raw(&w, me, &rb, &m), 441);
  /* Requests from a 5-tuple with no allocation: 437. */
  raw_req rp = {.type = BRTC_TURN_CREATE_PERMISSION, .tid = {6}, .user = "alice",
                .pass = "alice-password", .peers = {A("203.0.113.5:1")}};
  rp.nonce_len = get_nonce(&w, A("198.51.100.7:40009"), nonce);
  rp.nonce = nonce;
  CHECK_EQ_INT(send_raw(&w, A("198.51.100.7:40009"), &rp, &m), 437);
  /* An unknown method: 400. Responses and garbage: counted drops, no answer. */
  raw_req ru = {.type = 0x00FF & 0x000F ? 0x000B : 0x000B, .tid = {8}};
  CHECK_EQ_INT(send_raw(&w, me, &ru, &m), 400);
  raw_req rs = {.type = BRTC_STUN_BINDING_SUCCESS, .tid = {8}};
  CHECK_EQ_INT(send_raw(&w, me, &rs, &m), 0);
  static const uint8_t junk[] = {0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  h_from_client(&w, me, junk, sizeof(junk));
  CHECK(!w.client_sent && !w.peer_sent);
  brtc_turn_core_stats st;
  brtc_turn_core_get_stats(w.core, &st);
  CHECK_EQ_INT(st.dropped_malformed, 1);
  CHECK_EQ_INT(st.dropped_unexpected, 1);
  brtc_turn_core_free(w.core);
}

static void test_permissions_and_relaying(void) {
  h_world w;
  h_init(&w, NULL);
  const brtc_addr *me = A("198.51.100.7:40000");
  uint8_t nonce[64];
  size_t nl;
  uint32_t slot = allocate(&w, me, nonce, &nl);
  const brtc_addr *peer = A("203.0.113.50:7000");
  /* Send indication before any permission: dropped. */
  uint8_t buf[1600];
  brtc_stun_writer sw;
  uint8_t tid[12] = {1};
  brtc_stun_writer_init(&sw, buf, sizeof(buf), BRTC_TURN_SEND | BRTC_STUN_CLASS_INDICATION, tid);
  brtc_stun_add_xor_address(&sw, BRTC_TURN_ATTR_XOR_PEER_ADDRESS, peer);
  brtc_stun_add_bytes(&sw, BRTC_TURN_ATTR_DATA, "hello", 5);
  size_t send_len;
  brtc_stun_finish(&sw, NULL, 0, false, &send_len);
  h_from_client(&w, me, buf, send_len);
  CHECK(!w.peer_sent);
  /* Nor does the peer get in. */
  h_from_peer(&w, slot, peer, (const uint8_t *)"hi", 2);
  CHECK(!w.client_sent);
  /* Loopback, private and link-local peers are refused (403), all or nothing. */
  brtc_stun_msg m;
  raw_req rp = {.type = BRTC_TURN_CREATE_PERMISSION, .tid = {6}, .user = "alice",
                .pass = "alice-password", .nonce = nonce, .nonce_len = nl,
                .peers = {peer, A("127.0.0.1:9")}};
  CHECK_EQ_INT(send_raw(&w, me, &rp, &m), 403);
  rp.peers[1] = A("10.1.2.3:9");
  CHECK_EQ_INT(send_raw(&w, me, &rp, &m), 403);
  rp.peers[1] = A("169.254.1.1:9");
  CHECK_EQ_INT(send_raw(&w, me, &rp, &m), 403);
  rp.peers[1] = A("[2001:db8::1]:9");
  CHECK_EQ_INT(send_raw(&w, me, &rp, &m), 443);
  rp.peers[1] = NULL;
  rp.peers[0] = NULL;
  CHECK_EQ_INT(send_raw(&w, me, &rp, &m), 400);
  rp.peers[0] = peer;
  CHECK_EQ_INT(send_raw(&w, me, &rp, &m), 200);
  CHECK(m.has_integrity);
  /* Now the Send indication goes out of the relay socket to the peer, and back. */
  h_from_client(&w, me, buf, send_len);
  CHECK(w.peer_sent && w.peer_via == slot && brtc_addr_equal(&w.peer_to, peer));
  CHECK(w.peer_len == 5 && memcmp(w.peer_bytes, "hello", 5) == 0);
  /* The permission is per IP: another port of the same peer gets in too. */
  h_from_peer(&w, slot, A("203.0.113.50:7001"), (const uint8_t *)"howdy", 5);
  CHECK(w.client_sent && brtc_addr_equal(&w.client_to, me));
  CHECK(brtc_stun_parse(w.client_bytes, w.client_len, &m) == BRTC_OK &&
        m.type == (BRTC_TURN_DATA | BRTC_STUN_CLASS_INDICATION));
  brtc_turn_attrs at;
  CHECK(brtc_turn_parse_attrs(w.client_bytes, w.client_len, &m, &at) == BRTC_OK);
  CHECK(at.n_peers == 1 && brtc_addr_equal(&at.peers[0], A("203.0.113.50:7001")));
  CHECK(at.has_data && at.data_len == 5 && memcmp(at.data, "howdy", 5) == 0);
  /* Permissions last 300 s. */
  w.now += 299 * H_S;
  h_from_peer(&w, slot, peer, (const uint8_t *)"x", 1);
  CHECK(w.client_sent);
  w.now += 2 * H_S;
  h_from_peer(&w, slot, peer, (const uint8_t *)"x", 1);
  CHECK(!w.client_sent);
  h_from_client(&w, me, buf, send_len);
  CHECK(!w.peer_sent);
  brtc_turn_core_stats st;
  brtc_turn_core_get_stats(w.core, &st);
  CHECK_EQ_INT(st.dropped_no_permission, 4);
  CHECK_EQ_INT(st.forbidden_peers, 3);
  /* Allowed by CIDR, loopback is fine. */
  CHECK_EQ_INT(brtc_turn_core_allow_peers(w.core, "127.0.0.0/8"), BRTC_OK);
  rp.peers[0] = A("127.0.0.1:9");
  rp.nonce_len = nl;
  CHECK_EQ_INT(send_raw(&w, me, &rp, &m), 200);
  /* Datagrams from a client with no allocation, or to a slot with none: dropped. */
  h_from_client(&w, A("198.51.100.9:1"), buf, send_len);
  CHECK(!w.peer_sent);
  h_from_peer(&w, 77, peer, (const uint8_t *)"x", 1);
  CHECK(!w.client_sent);
  brtc_turn_core_free(w.core);
}

static void test_channels(void) {
  h_world w;
  h_init(&w, NULL);
  brtc_turn_client *cl = h_client("alice", "alice-password");
  const brtc_addr *me = A("198.51.100.7:40000"), *peer = A("203.0.113.50:7000");
  brtc_turn_client_allocate(cl, w.now);
  h_pump(&w, cl, me);
  CHECK(h_event(cl, BRTC_TURN_EV_ALLOCATED, NULL));
  CHECK_EQ_INT(brtc_turn_client_bind_channel(cl, peer, w.now), BRTC_OK);
  h_pump(&w, cl, me);
  brtc_turn_client_event ev;
  CHECK(h_event(cl, BRTC_TURN_EV_CHANNEL, &ev) && ev.channel == 0x4000);
  /* ChannelData to the peer: 4 bytes of header, then the data. */
  uint8_t buf[1600];
  size_t n;
  CHECK_EQ_INT(brtc_turn_client_wrap(cl, peer, (const uint8_t *)"ping", 4, buf, sizeof(buf), &n), BRTC_OK);
  CHECK(n == 8 && brtc_rd16(buf) == 0x4000);
  h_from_client(&w, me, buf, n);
  CHECK(w.peer_sent && w.peer_len == 4 && memcmp(w.peer_bytes, "ping", 4) == 0);
  /* And back as ChannelData, unwrapped by the client. */
  h_from_peer(&w, 0, peer, (const uint8_t *)"pong!", 5);
  CHECK(w.client_sent && w.client_len == 9 && brtc_rd16(w.client_bytes) == 0x4000);
  brtc_turn_client_data d;
  CHECK_EQ_INT(brtc_turn_client_handle(cl, w.client_bytes, w.client_len, w.now, &d), 1);
  CHECK(d.len == 5 && memcmp(d.payload, "pong!", 5) == 0 && brtc_addr_equal(&d.peer, peer));
  /* A full 1500-byte datagram crosses both ways. */
  static uint8_t big[1500];
  memset(big, 0xAB, sizeof(big));
  h_from_peer(&w, 0, peer, big, sizeof(big));
  CHECK(w.client_sent && w.client_len == 1504);
  /* Channel data on an unbound number, or a length beyond the datagram: dropped. */
  brtc_wr16(buf, 0x4001);
  h_from_client(&w, me, buf, n);
  CHECK(!w.peer_sent);
  brtc_wr16(buf, 0x4000);
  brtc_wr16(buf + 2, 5);
  h_from_client(&w, me, buf, n);
  CHECK(!w.peer_sent);
  /* The client keeps the channel (and its permission) alive past 300 s and 600 s. */
  for (int i = 0; i < 70; i++) {
    w.now += 10 * H_S;
    h_pump(&w, cl, me);
  }
  brtc_wr16(buf + 2, 4);
  h_from_client(&w, me, buf, n);
  CHECK(w.peer_sent);
  /* Rebinding the number to another peer, or the peer to another number: 400. */
  uint8_t nonce[64];
  size_t nl = get_nonce(&w, me, nonce);
  brtc_stun_msg m;
  raw_req rc = {.type = BRTC_TURN_CHANNEL_BIND, .tid = {1}, .user = "alice", .pass = "alice-password",
                .nonce = nonce, .nonce_len = nl, .channel_set = true, .channel = 0x4000,
                .peers = {A("203.0.113.51:7000")}};
  CHECK_EQ_INT(send_raw(&w, me, &rc, &m), 400);
  rc.channel = 0x4005;
  rc.peers[0] = peer;
  CHECK_EQ_INT(send_raw(&w, me, &rc, &m), 400);
  rc.channel = 0x3FFF;
  rc.peers[0] = A("203.0.113.51:7000");
  CHECK_EQ_INT(send_raw(&w, me, &rc, &m), 400);
  rc.channel = 0x8000;
  CHECK_EQ_INT(send_raw(&w, me, &rc, &m), 400);
  rc.channel = 0x4001;
  rc.peers[0] = A("192.168.1.1:7000");
  CHECK_EQ_INT(send_raw(&w, me, &rc, &m), 403);
  rc.peers[0] = A("203.0.113.51:7000");
  CHECK_EQ_INT(send_raw(&w, me, &rc, &m), 200);
  /* Without refreshes a channel ends after 600 s, and its number stays with its peer for 5
   * more minutes (RFC 8656 12). The allocation itself is kept by hand from here on. */
  raw_req rr = {.type = BRTC_TURN_REFRESH, .tid = {2}, .user = "alice", .pass = "alice-password",
                .nonce = nonce, .nonce_len = nl, .lifetime_set = true, .lifetime = 3600};
  CHECK_EQ_INT(send_raw(&w, me, &rr, &m), 200);
  w.now += 601 * H_S;
  h_from_peer(&w, 0, A("203.0.113.51:7000"), (const uint8_t *)"x", 1);
  CHECK(!w.client_sent); /* permission (300 s) gone too */
  nl = get_nonce(&w, me, nonce);
  rc.peers[0] = A("203.0.113.52:7000");
  CHECK_EQ_INT(send_raw(&w, me, &rc, &m), 400);
  w.now += 300 * H_S;
  nl = get_nonce(&w, me, nonce);
  CHECK_EQ_INT(send_raw(&w, me, &rc, &m), 200);
  brtc_turn_client_free(cl);
  brtc_turn_core_free(w.core);
}

static void test_lifetimes_and_expiry(void) {
  h_world w;
  h_init(&w, NULL);
  const brtc_addr *me = A("198.51.100.7:40000");
  uint8_t nonce[64];
  size_t nl;
  allocate(&w, me, nonce, &nl);
  CHECK_EQ_INT(brtc_turn_core_deadline(w.core), w.now + 600 * H_S);
  brtc_stun_msg m;
  /* Refresh asking for a day gets the 3600 s maximum; asking for 1 s gets the default. */
  raw_req r = {.type = BRTC_TURN_REFRESH, .tid = {5}, .user = "alice", .pass = "alice-password",
               .nonce = nonce, .nonce_len = nl, .lifetime_set = true, .lifetime = 86400};
  CHECK_EQ_INT(send_raw(&w, me, &r, &m), 200);
  const uint8_t *v;
  size_t vl;
  CHECK(brtc_stun_find_attr(w.client_bytes, w.client_len, BRTC_TURN_ATTR_LIFETIME, &v, &vl) == BRTC_OK &&
        brtc_rd32(v) == 3600);
  w.now += 3599 * H_S;
  brtc_turn_core_handle_timeout(w.core, w.now);
  uint32_t slot;
  CHECK(!brtc_turn_core_poll_closed(w.core, &slot));
  w.now += 1 * H_S;
  brtc_turn_core_handle_timeout(w.core, w.now);
  CHECK(brtc_turn_core_poll_closed(w.core, &slot));
  brtc_turn_core_stats st;
  brtc_turn_core_get_stats(w.core, &st);
  CHECK_EQ_INT(st.allocations_expired, 1);
  CHECK_EQ_INT(st.allocations, 0);
  CHECK_EQ_INT(brtc_turn_core_deadline(w.core), UINT64_MAX);
  /* Refresh of the expired allocation: 437. */
  nl = get_nonce(&w, me, nonce);
  CHECK_EQ_INT(send_raw(&w, me, &r, &m), 437);
  brtc_turn_core_free(w.core);
}

static void test_quotas(void) {
  h_world w;
  brtc_turn_core_config cfg = {.max_allocations_per_user = 3, .max_allocations_per_source = 2};
  h_init(&w, &cfg);
  uint8_t nonce[64];
  size_t nl;
  allocate(&w, A("198.51.100.7:1"), nonce, &nl);
  allocate(&w, A("198.51.100.7:2"), nonce, &nl);
  /* A third from the same IP address: 486, whoever asks. */
  nl = get_nonce(&w, A("198.51.100.7:3"), nonce);
  brtc_stun_msg m;
  raw_req r = {.type = BRTC_TURN_ALLOCATE, .tid = {1}, .transport = true, .user = "bob",
               .pass = "bob-password", .nonce = nonce, .nonce_len = nl};
  CHECK_EQ_INT(send_raw(&w, A("198.51.100.7:3"), &r, &m), 486);
  /* Another address still gets one: no one source starves the others. */
  nl = get_nonce(&w, A("198.51.100.8:1"), nonce);
  r.nonce_len = nl;
  CHECK_EQ_INT(send_raw(&w, A("198.51.100.8:1"), &r, &m), 200);
  /* alice has 2 of her 3; a third from elsewhere is fine, a fourth is not. */
  allocate(&w, A("198.51.100.9:1"), nonce, &nl);
  nl = get_nonce(&w, A("198.51.100.10:1"), nonce);
  raw_req ra = {.type = BRTC_TURN_ALLOCATE, .tid = {1}, .transport = true, .user = "alice",
                .pass = "alice-password", .nonce = nonce, .nonce_len = nl};
  CHECK_EQ_INT(send_raw(&w, A("198.51.100.10:1"), &ra, &m), 486);
  /* Unauthenticated requests make no state at all: a thousand of them change nothing. */
  for (int i = 0; i < 1000; i++) {
    char text[64];
    snprintf(text, sizeof(text), "198.51.100.200:%d", 1000 + i);
    brtc_addr from = h_addr(text);
    get_nonce(&w, &from, nonce);
  }
  nl = get_nonce(&w, A("198.51.100.11:1"), nonce);
  r.nonce_len = nl;
  CHECK_EQ_INT(send_raw(&w, A("198.51.100.11:1"), &r, &m), 200);
  brtc_turn_core_stats st;
  brtc_turn_core_get_stats(w.core, &st);
  CHECK_EQ_INT(st.quota_refused, 2);
  CHECK_EQ_INT(st.allocations, 5);
  brtc_turn_core_free(w.core);
}

static void test_capacity_and_taken_ports(void) {
  h_world w;
  brtc_turn_core_config cfg = {.max_allocations = 2};
  h_init(&w, &cfg);
  uint8_t nonce[64];
  size_t nl;
  /* Three ports are taken by someone else: the core tries others. */
  w.refuse_ports = 3;
  allocate(&w, A("198.51.100.7:1"), nonce, &nl);
  allocate(&w, A("198.51.100.7:2"), nonce, &nl);
  nl = get_nonce(&w, A("198.51.100.7:3"), nonce);
  brtc_stun_msg m;
  raw_req r = {.type = BRTC_TURN_ALLOCATE, .tid = {1}, .transport = true, .user = "alice",
               .pass = "alice-password", .nonce = nonce, .nonce_len = nl};
  CHECK_EQ_INT(send_raw(&w, A("198.51.100.7:3"), &r, &m), 508);
  brtc_turn_core_free(w.core);
  /* Every port taken: 508 after a few tries, and the slot is freed. */
  h_init(&w, NULL);
  w.refuse_ports = 100;
  nl = get_nonce(&w, A("198.51.100.7:3"), nonce);
  r.nonce_len = nl;
  CHECK_EQ_INT(send_raw(&w, A("198.51.100.7:3"), &r, &m), 508);
  CHECK(m.has_integrity);
  uint32_t slot;
  CHECK(brtc_turn_core_poll_closed(w.core, &slot));
  brtc_turn_core_stats st;
  brtc_turn_core_get_stats(w.core, &st);
  CHECK_EQ_INT(st.allocations, 0);
  brtc_turn_core_free(w.core);
}

static uint16_t relayed_port(h_world *w) {
  const uint8_t *v;
  size_t vl;
  brtc_addr a;
  if (brtc_stun_find_attr(w->client_bytes, w->client_len, BRTC_TURN_ATTR_XOR_RELAYED_ADDRESS, &v, &vl) != BRTC_OK ||
      brtc_stun_decode_xor_address(w->client_bytes, v, vl, &a) != BRTC_OK)
    return 0;
  return brtc_addr_port(&a);
}

static void test_even_port_reservation(void) {
  /* RFC 8656 7.2: EVEN-PORT with R gets an even port and a RESERVATION-TOKEN for the next
   * one, which a later Allocate (an RTCP allocation, as turnutils_uclient makes) takes. */
  h_world w;
  h_init(&w, NULL);
  uint8_t nonce[64];
  size_t nl = get_nonce(&w, A("198.51.100.7:1"), nonce);
  brtc_stun_msg m;
  raw_req r = {.type = BRTC_TURN_ALLOCATE, .tid = {1}, .transport = true, .user = "alice",
               .pass = "alice-password", .nonce = nonce, .nonce_len = nl, .even_reserve = true};
  CHECK_EQ_INT(send_raw(&w, A("198.51.100.7:1"), &r, &m), 200);
  uint16_t even = relayed_port(&w);
  CHECK(even != 0 && (even & 1) == 0);
  const uint8_t *v;
  size_t vl;
  uint8_t token[8] = {0};
  CHECK(brtc_stun_find_attr(w.client_bytes, w.client_len, BRTC_TURN_ATTR_RESERVATION_TOKEN, &v, &vl) == BRTC_OK && vl == 8);
  if (vl == 8) memcpy(token, v, 8);
  nl = get_nonce(&w, A("198.51.100.7:2"), nonce);
  raw_req r2 = {.type = BRTC_TURN_ALLOCATE, .tid = {2}, .transport = true, .user = "alice",
                .pass = "alice-password", .nonce = nonce, .nonce_len = nl, .token = token};
  CHECK_EQ_INT(send_raw(&w, A("198.51.100.7:2"), &r2, &m), 200);
  CHECK_EQ_INT(relayed_port(&w), even + 1);
  /* Used once: the same token again, or an unknown one, gets 508; with EVEN-PORT, 400. */
  nl = get_nonce(&w, A("198.51.100.7:3"), nonce);
  r2.nonce_len = nl;
  CHECK_EQ_INT(send_raw(&w, A("198.51.100.7:3"), &r2, &m), 508);
  r2.even_reserve = true;
  CHECK_EQ_INT(send_raw(&w, A("198.51.100.7:3"), &r2, &m), 400);
  /* An unclaimed reservation gives its port back after 30 s. */
  r.tid[0] = 9;
  CHECK_EQ_INT(send_raw(&w, A("198.51.100.7:3"), &r, &m), 200);
  CHECK(brtc_turn_core_deadline(w.core) <= w.now + 30 * H_S);
  w.now += 31 * H_S;
  brtc_turn_core_handle_timeout(w.core, w.now);
  CHECK(brtc_turn_core_deadline(w.core) > w.now + 500 * H_S);
  brtc_turn_core_free(w.core);
}

static void test_peer_filter(void) {
  brtc_turn_peer_filter f = {0};
  CHECK(!brtc_turn_peer_allowed(&f, A("127.0.0.1:1")));
  CHECK(!brtc_turn_peer_allowed(&f, A("10.0.0.1:1")));
  CHECK(!brtc_turn_peer_allowed(&f, A("172.31.255.255:1")));
  CHECK(brtc_turn_peer_allowed(&f, A("172.32.0.1:1")));
  CHECK(!brtc_turn_peer_allowed(&f, A("192.168.0.1:1")));
  CHECK(!brtc_turn_peer_allowed(&f, A("169.254.0.1:1")));
  CHECK(!brtc_turn_peer_allowed(&f, A("100.64.0.1:1")));
  CHECK(!brtc_turn_peer_allowed(&f, A("0.0.0.0:1")));
  CHECK(!brtc_turn_peer_allowed(&f, A("224.0.0.1:1")));
  CHECK(!brtc_turn_peer_allowed(&f, A("255.255.255.255:1")));
  CHECK(!brtc_turn_peer_allowed(&f, A("[::1]:1")));
  CHECK(!brtc_turn_peer_allowed(&f, A("[::]:1")));
  CHECK(!brtc_turn_peer_allowed(&f, A("[fe80::1]:1")));
  CHECK(!brtc_turn_peer_allowed(&f, A("[fd00::1]:1")));
  CHECK(!brtc_turn_peer_allowed(&f, A("[::ffff:127.0.0.1]:1")));
  CHECK(brtc_turn_peer_allowed(&f, A("8.8.8.8:1")));
  CHECK(brtc_turn_peer_allowed(&f, A("[2001:4860::8888]:1")));
  CHECK_EQ_INT(brtc_turn_peer_filter_allow(&f, "10.1.0.0/16"), BRTC_OK);
  CHECK(brtc_turn_peer_allowed(&f, A("10.1.2.3:1")));
  CHECK(!brtc_turn_peer_allowed(&f, A("10.2.0.1:1")));
  CHECK_EQ_INT(brtc_turn_peer_filter_allow(&f, "::1"), BRTC_OK);
  CHECK(brtc_turn_peer_allowed(&f, A("[::1]:1")));
  CHECK_EQ_INT(brtc_turn_peer_filter_allow(&f, "10.0.0.0/33"), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_turn_peer_filter_allow(&f, "10.0.0.0/"), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_turn_peer_filter_allow(&f, "nonsense/8"), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_turn_peer_filter_allow(&f, "10.0.0.0/-1"), BRTC_ERR_PARSE);
}

int main(void) {
  RUN(test_binding_answers_rfc5769_request);
  RUN(test_long_term_key_rfc5769);
  RUN(test_allocate_dance_with_client);
  RUN(test_stale_nonce_and_binding_to_address);
  RUN(test_bad_credentials);
  RUN(test_time_limited_credentials);
  RUN(test_allocate_errors);
  RUN(test_permissions_and_relaying);
  RUN(test_channels);
  RUN(test_lifetimes_and_expiry);
  RUN(test_quotas);
  RUN(test_capacity_and_taken_ports);
  RUN(test_even_port_reservation);
  RUN(test_peer_filter);
  return TEST_REPORT();
}
