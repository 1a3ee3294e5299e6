/* ICE controlled agent: connectivity-check answers, auth errors, role conflicts,
 * nomination, consent expiry, pair limit. */
#include <stdint.h>
#include <string.h>

#include "boltrtc/error.h"
#include "common/addr.h"
#include "ice/ice.h"
#include "stun/stun.h"
#include "testing.h"
#include "ice/fixtures/chrome_binding_request.h"

#define REMOTE_UFRAG "rUfr"
#define REMOTE_PWD "remote-password-0123456789"
#define SEC 1000000ull

typedef struct check_opts {
  const char *username; /* NULL: "<local>:<remote>" */
  const char *key;      /* NULL: the agent's local_pwd */
  bool no_username;
  bool no_integrity;
  bool no_fingerprint;
  bool use_candidate;
  int role;             /* 1: ICE-CONTROLLING (default), 2: ICE-CONTROLLED, 0: none */
  uint64_t tie_breaker;
  uint16_t extra_attr;  /* appended before integrity when non-zero */
} check_opts;

static const uint8_t tid[12] = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6,
                                0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac};

/* Build a Binding request the way a browser (controlling full agent) would. */
static size_t build_check(const brtc_ice_agent *a, const check_opts *o, uint8_t *buf, size_t cap) {
  char username[300];
  brtc_stun_writer w;
  size_t len = 0;
  if (o->username) snprintf(username, sizeof(username), "%s", o->username);
  else snprintf(username, sizeof(username), "%s:%s", a->local_ufrag, REMOTE_UFRAG);
  const char *key = o->key ? o->key : a->local_pwd;
  brtc_stun_writer_init(&w, buf, cap, BRTC_STUN_BINDING_REQUEST, tid);
  if (!o->no_username) brtc_stun_add_bytes(&w, BRTC_STUN_ATTR_USERNAME, username, strlen(username));
  brtc_stun_add_u32(&w, BRTC_STUN_ATTR_PRIORITY, 0x6e0001ff);
  uint64_t tb = o->tie_breaker ? o->tie_breaker : 0x1234;
  if (o->role == 0 || o->role == 1) {
    if (o->role == 1 || o->tie_breaker) brtc_stun_add_u64(&w, BRTC_STUN_ATTR_ICE_CONTROLLING, tb);
  } else {
    brtc_stun_add_u64(&w, BRTC_STUN_ATTR_ICE_CONTROLLED, tb);
  }
  if (o->use_candidate) brtc_stun_add_flag(&w, BRTC_STUN_ATTR_USE_CANDIDATE);
  if (o->extra_attr) brtc_stun_add_bytes(&w, o->extra_attr, "zz", 2);
  int err = brtc_stun_finish(&w, o->no_integrity ? NULL : (const uint8_t *)key, strlen(key),
                             !o->no_fingerprint, &len);
  CHECK_EQ_INT(err, BRTC_OK);
  return len;
}

static void setup(brtc_ice_agent *a) {
  CHECK_EQ_INT(brtc_ice_agent_init(a), BRTC_OK);
  CHECK_EQ_INT(brtc_ice_set_remote_credentials(a, REMOTE_UFRAG, REMOTE_PWD), BRTC_OK);
}

static brtc_addr addr(const char *text) {
  brtc_addr x;
  CHECK_EQ_INT(brtc_addr_parse(&x, text, 0), BRTC_OK);
  return x;
}

/* Send one check; returns the result and parses the answer into *resp (if any). */
static brtc_ice_result send_check(brtc_ice_agent *a, const check_opts *o, const brtc_addr *from,
                                  uint64_t now, uint8_t *out, size_t *out_len,
                                  brtc_stun_msg *resp) {
  uint8_t req[512];
  size_t len = build_check(a, o, req, sizeof(req));
  brtc_ice_result r = brtc_ice_handle_stun(a, req, len, from, now, out, 512, out_len);
  if (*out_len) {
    CHECK_EQ_INT(brtc_stun_parse(out, *out_len, resp), BRTC_OK);
    CHECK_MEM(resp->transaction_id, tid, 12);
    CHECK(resp->has_fingerprint && resp->fingerprint_ok);
  }
  return r;
}

static void expect_error(brtc_ice_agent *a, const check_opts *o, uint16_t code, bool signed_) {
  uint8_t out[512];
  size_t out_len = 0;
  brtc_stun_msg resp;
  brtc_addr from = addr("192.0.2.7:5000");
  uint64_t rejected = a->checks_rejected;
  CHECK_EQ_INT(send_check(a, o, &from, SEC, out, &out_len, &resp), BRTC_ICE_ANSWERED_ERROR);
  CHECK(out_len > 0);
  if (!out_len) return;
  CHECK_EQ_INT(resp.type, BRTC_STUN_BINDING_ERROR);
  CHECK(resp.has_error);
  CHECK_EQ_INT(resp.error_code, code);
  CHECK_EQ_INT(resp.has_integrity, signed_);
  if (signed_)
    CHECK_EQ_INT(brtc_stun_check_integrity(out, out_len, &resp, (const uint8_t *)a->local_pwd,
                                           strlen(a->local_pwd)),
                 BRTC_OK);
  CHECK_EQ_INT(a->checks_rejected, rejected + 1);
  CHECK(!brtc_ice_is_valid_remote(a, &from));
}

static void test_init(void) {
  brtc_ice_agent a, b;
  CHECK_EQ_INT(brtc_ice_agent_init(&a), BRTC_OK);
  CHECK_EQ_INT(brtc_ice_agent_init(&b), BRTC_OK);
  CHECK_EQ_INT(strlen(a.local_ufrag), BRTC_ICE_UFRAG_LEN);
  CHECK_EQ_INT(strlen(a.local_pwd), BRTC_ICE_PWD_LEN);
  CHECK(strcmp(a.local_pwd, b.local_pwd) != 0);
  CHECK(!a.controlling);
  CHECK_EQ_INT(a.state, BRTC_ICE_NEW);
  CHECK_EQ_INT(a.selected, -1);
  CHECK(brtc_ice_selected(&a) == NULL);
  CHECK_EQ_INT(brtc_ice_handle_timeout(&a, 100 * SEC), UINT64_MAX);
  CHECK_STR(brtc_ice_state_name(BRTC_ICE_NEW), "new");
  CHECK_STR(brtc_ice_state_name(BRTC_ICE_CHECKING), "checking");
  CHECK_STR(brtc_ice_state_name(BRTC_ICE_CONNECTED), "connected");
  CHECK_STR(brtc_ice_state_name(BRTC_ICE_DISCONNECTED), "disconnected");
  char long_cred[BRTC_ICE_MAX_CRED + 2];
  memset(long_cred, 'x', sizeof(long_cred) - 1);
  long_cred[sizeof(long_cred) - 1] = '\0';
  CHECK_EQ_INT(brtc_ice_set_remote_credentials(&a, long_cred, REMOTE_PWD), BRTC_ERR_INVALID);
  CHECK_EQ_INT(brtc_ice_set_remote_credentials(&a, "", REMOTE_PWD), BRTC_ERR_INVALID);
  CHECK_EQ_INT(brtc_ice_set_remote_credentials(&a, "a:b", REMOTE_PWD), BRTC_ERR_INVALID);
}

static void check_success(const char *from_text) {
  brtc_ice_agent a;
  uint8_t out[512];
  size_t out_len = 0;
  brtc_stun_msg resp;
  check_opts o = {.role = 1};
  brtc_addr from = addr(from_text);
  setup(&a);
  CHECK_EQ_INT(send_check(&a, &o, &from, SEC, out, &out_len, &resp), BRTC_ICE_ANSWERED);
  CHECK(out_len > 0);
  CHECK_EQ_INT(resp.type, BRTC_STUN_BINDING_SUCCESS);
  CHECK(resp.has_xor_mapped && brtc_addr_equal(&resp.xor_mapped, &from));
  CHECK(resp.has_integrity);
  CHECK_EQ_INT(brtc_stun_check_integrity(out, out_len, &resp, (const uint8_t *)a.local_pwd,
                                         strlen(a.local_pwd)),
               BRTC_OK);
  CHECK_EQ_INT(brtc_stun_check_integrity(out, out_len, &resp, (const uint8_t *)REMOTE_PWD,
                                         strlen(REMOTE_PWD)),
               BRTC_ERR_AUTH);
  CHECK_EQ_INT(a.state, BRTC_ICE_CHECKING);
  CHECK(brtc_ice_is_valid_remote(&a, &from));
  CHECK(brtc_ice_selected(&a) == NULL);
  CHECK_EQ_INT(a.n_pairs, 1);
  CHECK_EQ_INT(a.pairs[0].priority, 0x6e0001ff);
  CHECK_EQ_INT(a.checks_answered, 1);
  CHECK_EQ_INT(a.checks_rejected, 0);
  /* Another address from the same remote is not valid until it passes a check. */
  brtc_addr other = addr("192.0.2.8:5000");
  CHECK(!brtc_ice_is_valid_remote(&a, &other));
}

static void test_success_ipv4(void) { check_success("198.51.100.20:61234"); }
static void test_success_ipv6(void) { check_success("[2001:db8::42]:40000"); }

static void test_remote_ufrag_unknown_accepts_any(void) {
  brtc_ice_agent a;
  uint8_t out[512];
  size_t out_len = 0;
  brtc_stun_msg resp;
  char user[64];
  CHECK_EQ_INT(brtc_ice_agent_init(&a), BRTC_OK); /* no remote credentials yet */
  snprintf(user, sizeof(user), "%s:whatever", a.local_ufrag);
  check_opts o = {.role = 1, .username = user};
  brtc_addr from = addr("192.0.2.1:1");
  CHECK_EQ_INT(send_check(&a, &o, &from, SEC, out, &out_len, &resp), BRTC_ICE_ANSWERED);
}

static void test_auth_errors(void) {
  brtc_ice_agent a;
  char user[64];
  setup(&a);
  /* Wrong local ufrag: 401, unsigned. */
  snprintf(user, sizeof(user), "XXXXXXXX:%s", REMOTE_UFRAG);
  expect_error(&a, &(check_opts){.role = 1, .username = user}, 401, false);
  /* Wrong remote ufrag once it is known. */
  snprintf(user, sizeof(user), "%s:other", a.local_ufrag);
  expect_error(&a, &(check_opts){.role = 1, .username = user}, 401, false);
  /* Remote ufrag prefix only. */
  snprintf(user, sizeof(user), "%s:rUf", a.local_ufrag);
  expect_error(&a, &(check_opts){.role = 1, .username = user}, 401, false);
  /* Local ufrag without separator. */
  expect_error(&a, &(check_opts){.role = 1, .username = a.local_ufrag}, 401, false);
  /* Bad integrity: signed with the wrong password. */
  expect_error(&a, &(check_opts){.role = 1, .key = REMOTE_PWD}, 401, false);
  /* Missing integrity or username: 400. */
  expect_error(&a, &(check_opts){.role = 1, .no_integrity = true}, 400, false);
  expect_error(&a, &(check_opts){.role = 1, .no_username = true}, 400, false);
  CHECK_EQ_INT(a.state, BRTC_ICE_NEW);
  CHECK_EQ_INT(a.n_pairs, 0);
  CHECK_EQ_INT(a.checks_answered, 0);
}

static void test_unknown_required_attribute(void) {
  brtc_ice_agent a;
  uint8_t out[512];
  size_t out_len = 0;
  brtc_stun_msg resp;
  brtc_addr from = addr("192.0.2.1:1");
  setup(&a);
  expect_error(&a, &(check_opts){.role = 1, .extra_attr = 0x0031}, 420, true);
  /* The answer lists the attribute. */
  CHECK_EQ_INT(send_check(&a, &(check_opts){.role = 1, .extra_attr = 0x0031}, &from, SEC, out,
                          &out_len, &resp),
               BRTC_ICE_ANSWERED_ERROR);
  const uint8_t *v;
  size_t vlen;
  CHECK_EQ_INT(brtc_stun_find_attr(out, out_len, BRTC_STUN_ATTR_UNKNOWN_ATTRIBUTES, &v, &vlen),
               BRTC_OK);
  CHECK(vlen == 2 && v[0] == 0x00 && v[1] == 0x31);
  /* An unknown comprehension-optional attribute (Chrome's GOOG-NETWORK-INFO) is fine. */
  CHECK_EQ_INT(send_check(&a, &(check_opts){.role = 1, .extra_attr = 0xC057}, &from, SEC, out,
                          &out_len, &resp),
               BRTC_ICE_ANSWERED);
}

static void test_bad_fingerprint_dropped(void) {
  brtc_ice_agent a;
  uint8_t req[512], out[512];
  size_t out_len = 7;
  brtc_addr from = addr("192.0.2.1:1");
  setup(&a);
  size_t len = build_check(&a, &(check_opts){.role = 1}, req, sizeof(req));
  req[len - 1] ^= 0xff;
  CHECK_EQ_INT(brtc_ice_handle_stun(&a, req, len, &from, SEC, out, sizeof(out), &out_len),
               BRTC_ICE_DROPPED);
  CHECK_EQ_INT(out_len, 0);
  CHECK_EQ_INT(a.checks_rejected, 1);
  CHECK(!brtc_ice_is_valid_remote(&a, &from));
  /* Without FINGERPRINT at all the check is still answered. */
  len = build_check(&a, &(check_opts){.role = 1, .no_fingerprint = true}, req, sizeof(req));
  CHECK_EQ_INT(brtc_ice_handle_stun(&a, req, len, &from, SEC, out, sizeof(out), &out_len),
               BRTC_ICE_ANSWERED);
}

static void test_non_requests_dropped(void) {
  brtc_ice_agent a;
  uint8_t buf[512], out[512];
  size_t len, out_len = 7;
  brtc_stun_writer w;
  brtc_addr from = addr("192.0.2.1:1");
  setup(&a);
  /* Indication (the browser's keepalive). */
  brtc_stun_writer_init(&w, buf, sizeof(buf), BRTC_STUN_BINDING_INDICATION, tid);
  CHECK_EQ_INT(brtc_stun_finish(&w, NULL, 0, true, &len), BRTC_OK);
  CHECK_EQ_INT(brtc_ice_handle_stun(&a, buf, len, &from, SEC, out, sizeof(out), &out_len),
               BRTC_ICE_DROPPED);
  CHECK_EQ_INT(out_len, 0);
  /* A success response. */
  brtc_stun_writer_init(&w, buf, sizeof(buf), BRTC_STUN_BINDING_SUCCESS, tid);
  brtc_stun_add_xor_address(&w, BRTC_STUN_ATTR_XOR_MAPPED_ADDRESS, &from);
  CHECK_EQ_INT(brtc_stun_finish(&w, (const uint8_t *)a.local_pwd, strlen(a.local_pwd), true, &len),
               BRTC_OK);
  CHECK_EQ_INT(brtc_ice_handle_stun(&a, buf, len, &from, SEC, out, sizeof(out), &out_len),
               BRTC_ICE_DROPPED);
  /* Garbage. */
  CHECK_EQ_INT(brtc_ice_handle_stun(&a, (const uint8_t *)"hello", 5, &from, SEC, out, sizeof(out),
                                    &out_len),
               BRTC_ICE_DROPPED);
  CHECK_EQ_INT(out_len, 0);
  CHECK_EQ_INT(a.checks_answered, 0);
  CHECK_EQ_INT(a.state, BRTC_ICE_NEW);
  /* A valid check into a buffer too small for the answer: nothing written, nothing counted. */
  len = build_check(&a, &(check_opts){.role = 1}, buf, sizeof(buf));
  CHECK_EQ_INT(brtc_ice_handle_stun(&a, buf, len, &from, SEC, out, 30, &out_len), BRTC_ICE_DROPPED);
  CHECK_EQ_INT(out_len, 0);
  CHECK_EQ_INT(a.checks_answered, 0);
}

static void test_role_conflict(void) {
  brtc_ice_agent a;
  uint8_t out[512];
  size_t out_len = 0;
  brtc_stun_msg resp;
  brtc_addr from = addr("192.0.2.1:1");

  /* Controlled, peer also controlled with a larger tie-breaker: we answer 487, stay controlled. */
  setup(&a);
  a.tie_breaker = 100;
  expect_error(&a, &(check_opts){.role = 2, .tie_breaker = 101}, 487, true);
  CHECK(!a.controlling);
  /* ... with a smaller or equal one: we take control and answer. */
  CHECK_EQ_INT(send_check(&a, &(check_opts){.role = 2, .tie_breaker = 100}, &from, SEC, out,
                          &out_len, &resp),
               BRTC_ICE_ANSWERED);
  CHECK(a.controlling);

  /* Controlling now; a controlling peer with a smaller tie-breaker gets 487. */
  expect_error(&a, &(check_opts){.role = 1, .tie_breaker = 99}, 487, true);
  CHECK(a.controlling);
  /* Equal tie-breaker: ours >= theirs, still 487. */
  expect_error(&a, &(check_opts){.role = 1, .tie_breaker = 100}, 487, true);
  /* A larger one: we go back to controlled and answer. */
  CHECK_EQ_INT(send_check(&a, &(check_opts){.role = 1, .tie_breaker = 101}, &from, SEC, out,
                          &out_len, &resp),
               BRTC_ICE_ANSWERED);
  CHECK(!a.controlling);

  /* While controlling, USE-CANDIDATE from the (controlled) peer nominates nothing. */
  setup(&a);
  a.tie_breaker = UINT64_MAX;
  CHECK_EQ_INT(send_check(&a, &(check_opts){.role = 2, .tie_breaker = 5, .use_candidate = true},
                          &from, SEC, out, &out_len, &resp),
               BRTC_ICE_ANSWERED);
  CHECK(a.controlling);
  CHECK(brtc_ice_selected(&a) == NULL);
  CHECK_EQ_INT(a.state, BRTC_ICE_CHECKING);

  /* No role attribute at all: no conflict. */
  setup(&a);
  CHECK_EQ_INT(send_check(&a, &(check_opts){.role = 0}, &from, SEC, out, &out_len, &resp),
               BRTC_ICE_ANSWERED);
  CHECK(!a.controlling);
}

static void test_nomination_and_consent(void) {
  brtc_ice_agent a;
  uint8_t out[512];
  size_t out_len = 0;
  brtc_stun_msg resp;
  brtc_addr first = addr("192.0.2.1:1000"), second = addr("[2001:db8::1]:2000");
  setup(&a);
  CHECK_EQ_INT(send_check(&a, &(check_opts){.role = 1}, &first, 1 * SEC, out, &out_len, &resp),
               BRTC_ICE_ANSWERED);
  CHECK_EQ_INT(a.state, BRTC_ICE_CHECKING);
  CHECK_EQ_INT(brtc_ice_handle_timeout(&a, 2 * SEC), UINT64_MAX);
  CHECK_EQ_INT(send_check(&a, &(check_opts){.role = 1, .use_candidate = true}, &second, 2 * SEC,
                          out, &out_len, &resp),
               BRTC_ICE_ANSWERED);
  CHECK_EQ_INT(a.state, BRTC_ICE_CONNECTED);
  CHECK(brtc_ice_selected(&a) && brtc_addr_equal(brtc_ice_selected(&a), &second));
  CHECK_EQ_INT(a.n_pairs, 2);

  /* Consent: deadline is 30 s after the last check on the selected pair. */
  CHECK_EQ_INT(brtc_ice_handle_timeout(&a, 3 * SEC), 32 * SEC);
  /* Checks on the other pair do not renew consent of the selected one. */
  CHECK_EQ_INT(send_check(&a, &(check_opts){.role = 1}, &first, 20 * SEC, out, &out_len, &resp),
               BRTC_ICE_ANSWERED);
  CHECK_EQ_INT(brtc_ice_handle_timeout(&a, 20 * SEC), 32 * SEC);
  /* A check on the selected pair renews it. */
  CHECK_EQ_INT(send_check(&a, &(check_opts){.role = 1}, &second, 25 * SEC, out, &out_len, &resp),
               BRTC_ICE_ANSWERED);
  CHECK_EQ_INT(brtc_ice_handle_timeout(&a, 31 * SEC), 55 * SEC);
  CHECK_EQ_INT(a.state, BRTC_ICE_CONNECTED);
  CHECK_EQ_INT(brtc_ice_handle_timeout(&a, 55 * SEC - 1), 55 * SEC);
  CHECK_EQ_INT(a.state, BRTC_ICE_CONNECTED);
  CHECK_EQ_INT(brtc_ice_handle_timeout(&a, 55 * SEC), UINT64_MAX);
  CHECK_EQ_INT(a.state, BRTC_ICE_DISCONNECTED);
  CHECK_EQ_INT(brtc_ice_handle_timeout(&a, 56 * SEC), UINT64_MAX);

  /* The browser comes back on the selected pair: consent renewed. */
  CHECK_EQ_INT(send_check(&a, &(check_opts){.role = 1}, &second, 60 * SEC, out, &out_len, &resp),
               BRTC_ICE_ANSWERED);
  CHECK_EQ_INT(a.state, BRTC_ICE_CONNECTED);
  /* A later nomination of another pair moves the selection. */
  CHECK_EQ_INT(send_check(&a, &(check_opts){.role = 1, .use_candidate = true}, &first, 61 * SEC,
                          out, &out_len, &resp),
               BRTC_ICE_ANSWERED);
  CHECK(brtc_addr_equal(brtc_ice_selected(&a), &first));
  CHECK_EQ_INT(a.checks_answered, 6);
}

static void test_pairs_bounded(void) {
  brtc_ice_agent a;
  uint8_t out[512];
  size_t out_len = 0;
  brtc_stun_msg resp;
  char text[64];
  setup(&a);
  for (int i = 0; i < BRTC_ICE_MAX_PAIRS; i++) {
    snprintf(text, sizeof(text), "10.0.0.%d:%d", i + 1, 3000 + i);
    brtc_addr from = addr(text);
    CHECK_EQ_INT(send_check(&a, &(check_opts){.role = 1, .use_candidate = i == 0}, &from, SEC,
                            out, &out_len, &resp),
                 BRTC_ICE_ANSWERED);
  }
  CHECK_EQ_INT(a.n_pairs, BRTC_ICE_MAX_PAIRS);
  brtc_addr extra = addr("10.0.1.1:9999");
  CHECK_EQ_INT(send_check(&a, &(check_opts){.role = 1}, &extra, 2 * SEC, out, &out_len, &resp),
               BRTC_ICE_DROPPED);
  CHECK_EQ_INT(out_len, 0);
  CHECK(!brtc_ice_is_valid_remote(&a, &extra));
  CHECK_EQ_INT(a.n_pairs, BRTC_ICE_MAX_PAIRS);
  CHECK_EQ_INT(a.checks_rejected, 1);
  /* A known pair is still refreshed. */
  brtc_addr known = addr("10.0.0.2:3001");
  CHECK_EQ_INT(send_check(&a, &(check_opts){.role = 1}, &known, 3 * SEC, out, &out_len, &resp),
               BRTC_ICE_ANSWERED);
  /* Once the others are stale for a consent period, the newcomer replaces one of them, but
   * never the selected pair. */
  brtc_addr selected = addr("10.0.0.1:3000");
  uint64_t later = SEC + BRTC_ICE_CONSENT_TIMEOUT_US + 1;
  for (int i = 0; i < BRTC_ICE_MAX_PAIRS - 1; i++) {
    snprintf(text, sizeof(text), "10.0.2.%d:1", i + 1);
    brtc_addr from = addr(text);
    CHECK_EQ_INT(send_check(&a, &(check_opts){.role = 1}, &from, later, out, &out_len, &resp),
                 i < BRTC_ICE_MAX_PAIRS - 2 ? BRTC_ICE_ANSWERED : BRTC_ICE_DROPPED);
  }
  CHECK(brtc_ice_is_valid_remote(&a, &selected));
  CHECK(brtc_ice_is_valid_remote(&a, &known)); /* refreshed at 3 s: not stale yet */
  CHECK(brtc_addr_equal(brtc_ice_selected(&a), &selected));
  CHECK_EQ_INT(a.n_pairs, BRTC_ICE_MAX_PAIRS);
}

/* Consent per address (RFC 7675): it holds until the window after that address's last
 * authenticated check, for the selected pair and the others alike; a shorter window may be
 * set after init. Unknown addresses never hold it. */
static void test_consent_holds(void) {
  brtc_ice_agent a;
  uint8_t out[512];
  size_t out_len = 0;
  brtc_stun_msg resp;
  setup(&a);
  CHECK(a.consent_timeout_us == BRTC_ICE_CONSENT_TIMEOUT_US);
  a.consent_timeout_us = 2 * SEC;
  brtc_addr sel = addr("10.0.0.1:3000"), other = addr("10.0.0.2:3000"),
            stranger = addr("10.0.0.3:3000");
  CHECK(!brtc_ice_consent_holds(&a, &sel, SEC));
  CHECK_EQ_INT(send_check(&a, &(check_opts){.role = 1, .use_candidate = 1}, &sel, SEC, out,
                          &out_len, &resp), BRTC_ICE_ANSWERED);
  CHECK_EQ_INT(send_check(&a, &(check_opts){.role = 1}, &other, 2 * SEC, out, &out_len, &resp),
               BRTC_ICE_ANSWERED);
  CHECK(brtc_ice_consent_holds(&a, &sel, SEC));
  CHECK(brtc_ice_consent_holds(&a, &sel, 3 * SEC - 1));
  CHECK(!brtc_ice_consent_holds(&a, &sel, 3 * SEC));
  CHECK(brtc_ice_consent_holds(&a, &other, 3 * SEC));
  CHECK(!brtc_ice_consent_holds(&a, &other, 4 * SEC));
  CHECK(!brtc_ice_consent_holds(&a, &stranger, 2 * SEC));
  /* The selected pair's consent lapsing is what disconnects, on the same window. */
  CHECK_EQ_INT(brtc_ice_handle_timeout(&a, 2 * SEC), 3 * SEC);
  CHECK_EQ_INT(brtc_ice_handle_timeout(&a, 3 * SEC), UINT64_MAX);
  CHECK_EQ_INT(a.state, BRTC_ICE_DISCONNECTED);
}

/* Real checks captured from Chromium (tests/ice/fixtures/capture_chrome_check.py). */
static void test_chrome_fixture(void) {
  brtc_ice_agent a;
  brtc_stun_msg m, resp;
  uint8_t out[512];
  size_t out_len = 0;
  brtc_addr from = addr(CHROME_CHECK_FROM);

  CHECK(brtc_stun_is_stun(chrome_binding_request, sizeof(chrome_binding_request)));
  CHECK_EQ_INT(brtc_stun_parse(chrome_binding_request, sizeof(chrome_binding_request), &m),
               BRTC_OK);
  CHECK_EQ_INT(m.type, BRTC_STUN_BINDING_REQUEST);
  CHECK(m.has_fingerprint && m.fingerprint_ok);
  CHECK(m.has_ice_controlling && !m.has_ice_controlled);
  CHECK(m.has_priority && !m.use_candidate);
  CHECK_EQ_INT(m.n_unknown_required, 0); /* GOOG-NETWORK-INFO is comprehension-optional */
  CHECK(m.username_len > 5 && memcmp(m.username, CHROME_CHECK_UFRAG ":", 5) == 0);
  CHECK_EQ_INT(brtc_stun_check_integrity(chrome_binding_request, sizeof(chrome_binding_request),
                                         &m, (const uint8_t *)CHROME_CHECK_PWD,
                                         strlen(CHROME_CHECK_PWD)),
               BRTC_OK);

  char remote_ufrag[64];
  size_t remote_len = m.username_len - 5;
  CHECK(remote_len < sizeof(remote_ufrag));
  memcpy(remote_ufrag, m.username + 5, remote_len);
  remote_ufrag[remote_len] = '\0';

  CHECK_EQ_INT(brtc_ice_agent_init(&a), BRTC_OK);
  snprintf(a.local_ufrag, sizeof(a.local_ufrag), "%s", CHROME_CHECK_UFRAG);
  snprintf(a.local_pwd, sizeof(a.local_pwd), "%s", CHROME_CHECK_PWD);
  CHECK_EQ_INT(brtc_ice_set_remote_credentials(&a, remote_ufrag, REMOTE_PWD), BRTC_OK);

  CHECK_EQ_INT(brtc_ice_handle_stun(&a, chrome_binding_request, sizeof(chrome_binding_request),
                                    &from, SEC, out, sizeof(out), &out_len),
               BRTC_ICE_ANSWERED);
  CHECK_EQ_INT(brtc_stun_parse(out, out_len, &resp), BRTC_OK);
  CHECK_EQ_INT(resp.type, BRTC_STUN_BINDING_SUCCESS);
  CHECK_MEM(resp.transaction_id, chrome_binding_request + 8, 12);
  CHECK(resp.has_xor_mapped && brtc_addr_equal(&resp.xor_mapped, &from));
  CHECK_EQ_INT(brtc_stun_check_integrity(out, out_len, &resp, (const uint8_t *)CHROME_CHECK_PWD,
                                         strlen(CHROME_CHECK_PWD)),
               BRTC_OK);
  CHECK_EQ_INT(a.state, BRTC_ICE_CHECKING);

  brtc_addr nominated_from = addr(CHROME_NOMINATION_FROM);
  CHECK_EQ_INT(brtc_ice_handle_stun(&a, chrome_nominating_request,
                                    sizeof(chrome_nominating_request), &nominated_from, 2 * SEC,
                                    out, sizeof(out), &out_len),
               BRTC_ICE_ANSWERED);
  CHECK_EQ_INT(a.state, BRTC_ICE_CONNECTED);
  CHECK(brtc_ice_selected(&a) && brtc_addr_equal(brtc_ice_selected(&a), &nominated_from));

  /* The same check with another password is a 401. */
  brtc_ice_agent b = a;
  snprintf(b.local_pwd, sizeof(b.local_pwd), "%s", "boltrtcfixturepassword25");
  CHECK_EQ_INT(brtc_ice_handle_stun(&b, chrome_binding_request, sizeof(chrome_binding_request),
                                    &from, SEC, out, sizeof(out), &out_len),
               BRTC_ICE_ANSWERED_ERROR);
  CHECK_EQ_INT(brtc_stun_parse(out, out_len, &resp), BRTC_OK);
  CHECK(resp.has_error && resp.error_code == 401 && !resp.has_integrity);
}

int main(void) {
  RUN(test_init);
  RUN(test_success_ipv4);
  RUN(test_success_ipv6);
  RUN(test_remote_ufrag_unknown_accepts_any);
  RUN(test_auth_errors);
  RUN(test_unknown_required_attribute);
  RUN(test_bad_fingerprint_dropped);
  RUN(test_non_requests_dropped);
  RUN(test_role_conflict);
  RUN(test_nomination_and_consent);
  RUN(test_pairs_bounded);
  RUN(test_consent_holds);
  RUN(test_chrome_fixture);
  return TEST_REPORT();
}
