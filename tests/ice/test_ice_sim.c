/* Two ICE agents against each other through simulated links, on a simulated clock:
 * controlling against controlled, full against lite, a role conflict, several interfaces
 * some unreachable, late trickle, peer-reflexive discovery behind a NAT, lost checks,
 * consent lost and regained, and a restart. Times are simulated microseconds. */
#include <string.h>

#include "boltrtc/error.h"
#include "ice_sim.h"
#include "testing.h"

#define MS 1000ull
#define SEC 1000000ull

static brtc_ice_config config(bool controlling, uint64_t seed) {
  brtc_ice_config c;
  brtc_ice_config_init(&c);
  c.controlling = controlling;
  c.seed = seed;
  return c;
}

static inline brtc_addr addr(const char *text) {
  brtc_addr a;
  CHECK_EQ_INT(brtc_addr_parse(&a, text, 0), BRTC_OK);
  return a;
}

/* Offer/answer: both know each other's credentials and candidates at the same moment. */
static void signal_both(ice_sim *s) {
  ice_sim_signal(s, &s->a, &s->b, true, true);
  ice_sim_signal(s, &s->b, &s->a, true, true);
}

static bool same_path(const sim_agent *x, const sim_agent *y) {
  return x->have_selected && y->have_selected &&
         brtc_addr_equal(&x->selected.base, &y->selected.remote) &&
         brtc_addr_equal(&x->selected.remote, &y->selected.base);
}

static uint64_t connected_at(const sim_agent *ag) {
  return ag->state_at[BRTC_ICE_CONN_CONNECTED];
}

static const char *const a_addr[] = {"127.0.0.1:40000"};
static const char *const b_addr[] = {"127.0.0.1:50000"};

/* The controlling agent nominates as soon as its first check comes back: connected in two
 * round trips, far below one Ta plus a round trip, let alone 200 ms. */
static void test_controlling_controlled(void) {
  ice_sim s;
  sim_link_config link = {.latency_us = 250}; /* loopback-like: 0.5 ms round trip */
  ice_sim_init(&s, &link);
  brtc_ice_config ca = config(true, 1), cb = config(false, 2);
  ice_sim_agent(&s, &s.a, "offerer", &ca, a_addr, 1);
  ice_sim_agent(&s, &s.b, "answerer", &cb, b_addr, 1);
  signal_both(&s);
  uint64_t start = s.now;
  ice_sim_run(&s, start + 2 * SEC, ice_sim_both_connected);
  CHECK(ice_sim_both_connected(&s));
  CHECK(same_path(&s.a, &s.b));
  uint64_t ta = connected_at(&s.a) - start, tb = connected_at(&s.b) - start;
  fprintf(stderr, "  connected: controlling %.2f ms, controlled %.2f ms\n", ta / 1e3, tb / 1e3);
  CHECK(ta <= 1 * MS + 10); /* two round trips: the check, then the nomination */
  CHECK(tb <= 1 * MS);
  CHECK(ta < 50 * MS + 500); /* what the brief asks at most: a round trip plus Ta */
  CHECK_EQ_INT(s.a.nominations, 1);
  CHECK_EQ_INT(s.b.nominations, 0);
  CHECK(brtc_ice_transport_is_controlling(s.a.t));
  CHECK(!brtc_ice_transport_is_controlling(s.b.t));
  /* new, checking, connected; completed once both sides' candidates are all known and the
   * checks are over. */
  CHECK(s.a.n_states >= 2 && s.a.states[0] == BRTC_ICE_CONN_CHECKING);
  ice_sim_run(&s, s.now + 200 * MS, NULL);
  CHECK_EQ_INT(brtc_ice_transport_get_state(s.a.t), BRTC_ICE_CONN_COMPLETED);
  CHECK_EQ_INT(brtc_ice_transport_get_state(s.b.t), BRTC_ICE_CONN_COMPLETED);
  CHECK_EQ_INT(s.a.selected_events, 1);
  CHECK_EQ_INT(s.b.selected_events, 1);
  CHECK(s.a.selected.nominated && s.a.selected.local_type == BRTC_ICE_CAND_HOST);
  ice_sim_free(&s);
}

/* Against an ICE-lite peer (boltrtc serve today) we control, check and nominate. */
static void test_full_against_lite(void) {
  ice_sim s;
  sim_link_config link = {.latency_us = 250};
  ice_sim_init(&s, &link);
  brtc_ice_config ca = config(false, 3), cb = config(false, 4);
  cb.lite = true;
  ice_sim_agent(&s, &s.a, "device", &ca, a_addr, 1);
  ice_sim_agent(&s, &s.b, "server", &cb, b_addr, 1);
  brtc_ice_transport_set_remote_lite(s.a.t, true, s.now); /* the answer says a=ice-lite */
  signal_both(&s);
  uint64_t start = s.now;
  ice_sim_run(&s, start + 2 * SEC, ice_sim_both_connected);
  CHECK(ice_sim_both_connected(&s));
  CHECK(same_path(&s.a, &s.b));
  CHECK(brtc_ice_transport_is_controlling(s.a.t));
  CHECK_EQ_INT(s.b.requests, 0); /* lite: answers only */
  CHECK(connected_at(&s.a) - start <= 1 * MS + 10);
  /* The lite side stays connected while the full side's consent checks keep coming. */
  ice_sim_run(&s, s.now + 60 * SEC, NULL);
  CHECK_EQ_INT(brtc_ice_transport_get_state(s.b.t), BRTC_ICE_CONN_CONNECTED);
  CHECK_EQ_INT(brtc_ice_transport_get_state(s.a.t), BRTC_ICE_CONN_COMPLETED);
  ice_sim_free(&s);
}

/* Both think they control: the larger tie-breaker keeps control (RFC 8445 7.3.1.1), the
 * other switches on the 487 or on the peer's check, and they still agree on one pair. */
static void test_role_conflict(bool both_controlling) {
  ice_sim s;
  sim_link_config link = {.latency_us = 250};
  ice_sim_init(&s, &link);
  brtc_ice_config ca = config(both_controlling, 5), cb = config(both_controlling, 6);
  ca.tie_breaker = 100;
  cb.tie_breaker = 200;
  ice_sim_agent(&s, &s.a, "a", &ca, a_addr, 1);
  ice_sim_agent(&s, &s.b, "b", &cb, b_addr, 1);
  signal_both(&s);
  uint64_t start = s.now;
  ice_sim_run(&s, start + 2 * SEC, ice_sim_both_connected);
  CHECK(ice_sim_both_connected(&s));
  CHECK(same_path(&s.a, &s.b));
  CHECK(!brtc_ice_transport_is_controlling(s.a.t));
  CHECK(brtc_ice_transport_is_controlling(s.b.t));
  CHECK_EQ_INT(s.a.role_events + s.b.role_events, 1);
  brtc_ice_stats st;
  brtc_ice_transport_get_stats(s.a.t, &st);
  CHECK(st.role_conflicts >= 1);
  /* One Ta lost to the 487 at most, on top of the round trips. */
  CHECK(connected_at(&s.a) - start < 60 * MS);
  CHECK(connected_at(&s.b) - start < 60 * MS);
  ice_sim_free(&s);
}
static void test_role_conflict_controlling(void) { test_role_conflict(true); }
static void test_role_conflict_controlled(void) { test_role_conflict(false); }

/* Several interfaces each, IPv6 and IPv4, some unreachable (the filter in the link): pairs
 * only within a family, the reachable IPv4 pair wins once the better IPv6 one has had
 * nomination_wait_us to answer. */
static void test_several_interfaces(void) {
  ice_sim s;
  sim_link_config link = {.latency_us = 250};
  ice_sim_init(&s, &link);
  static const char *const a3[] = {"[::1]:40000", "127.0.0.1:40000", "10.0.0.1:40000"};
  static const char *const b3[] = {"[::1]:50000", "127.0.0.1:50000", "10.0.0.2:50000"};
  brtc_ice_config ca = config(true, 7), cb = config(false, 8);
  ice_sim_agent(&s, &s.a, "a", &ca, a3, 3);
  ice_sim_agent(&s, &s.b, "b", &cb, b3, 3);
  ice_sim_block(&s, "[::1]:50000");
  ice_sim_block(&s, "10.0.0.2:50000");
  signal_both(&s);
  /* IPv6 first, then IPv4, in the owner's order (RFC 8421). */
  CHECK(strstr(s.a.cands[0], "::1") != NULL);
  CHECK(strstr(s.a.cands[1], "127.0.0.1") != NULL);
  CHECK_EQ_INT(brtc_ice_transport_pair_count(s.a.t), 5); /* 1 x 1 IPv6 + 2 x 2 IPv4 */
  for (size_t i = 0; i < 5; i++) {
    brtc_ice_pair_info p;
    CHECK(brtc_ice_transport_pair(s.a.t, i, &p));
    CHECK_EQ_INT(brtc_addr_family(&p.base), brtc_addr_family(&p.remote));
  }
  uint64_t start = s.now;
  ice_sim_run(&s, start + 5 * SEC, ice_sim_both_connected);
  CHECK(ice_sim_both_connected(&s));
  CHECK(same_path(&s.a, &s.b));
  CHECK(brtc_addr_equal(&s.a.selected.base, &(brtc_addr){addr("127.0.0.1:40000").u}));
  CHECK(brtc_addr_equal(&s.a.selected.remote, &(brtc_addr){addr("127.0.0.1:50000").u}));
  uint64_t t = connected_at(&s.a) - start;
  fprintf(stderr, "  connected after %.1f ms (IPv6 pair unanswered)\n", t / 1e3);
  CHECK(t >= ca.nomination_wait_us && t < ca.nomination_wait_us + 60 * MS);
  ice_sim_free(&s);
}

/* The controlled side's checks arrive before its candidates do (trickled 300 ms late): the
 * controlling side learns it as peer-reflexive (RFC 8445 7.3.1.3), checks back at once, and
 * connects without waiting for the candidate; the candidate, when it comes, takes over the
 * peer-reflexive one. */
static void test_late_trickle(void) {
  ice_sim s;
  sim_link_config link = {.latency_us = 250};
  ice_sim_init(&s, &link);
  brtc_ice_config ca = config(true, 9), cb = config(false, 10);
  ice_sim_agent(&s, &s.a, "a", &ca, a_addr, 1);
  ice_sim_agent(&s, &s.b, "b", &cb, b_addr, 1);
  ice_sim_signal(&s, &s.a, &s.b, true, true);
  ice_sim_signal(&s, &s.b, &s.a, false, false); /* credentials only */
  uint64_t start = s.now;
  ice_sim_run(&s, start + 300 * MS, NULL);
  CHECK(ice_sim_both_connected(&s));
  CHECK(connected_at(&s.a) - start < 2 * MS);
  CHECK_EQ_INT(s.a.selected.remote_type, BRTC_ICE_CAND_PRFLX);
  brtc_ice_stats st;
  brtc_ice_transport_get_stats(s.a.t, &st);
  CHECK_EQ_INT(st.remote_prflx, 1);
  CHECK_EQ_INT(brtc_ice_transport_get_state(s.a.t), BRTC_ICE_CONN_CONNECTED); /* no eoc yet */
  /* The trickled candidate and end-of-candidates. */
  CHECK_EQ_INT(brtc_ice_transport_add_remote_candidate(s.a.t, s.b.cands[0], s.now), BRTC_OK);
  brtc_ice_transport_end_of_remote_candidates(s.a.t, s.now);
  ice_sim_drain(&s, &s.a);
  brtc_ice_pair_info p;
  CHECK_EQ_INT(brtc_ice_transport_pair_count(s.a.t), 1);
  CHECK(brtc_ice_transport_pair(s.a.t, 0, &p) && p.remote_type == BRTC_ICE_CAND_HOST);
  ice_sim_run(&s, s.now + 100 * MS, NULL);
  CHECK_EQ_INT(brtc_ice_transport_get_state(s.a.t), BRTC_ICE_CONN_COMPLETED);
  CHECK_EQ_INT(s.a.selected_events, 1);
  ice_sim_free(&s);
}

/* A NAT in front of the controlling agent: its host candidate is unreachable, its checks
 * arrive from the NAT's address (a remote peer-reflexive candidate for the other side), and
 * the mapped address in the answers is none of its own (a local peer-reflexive candidate,
 * RFC 8445 7.2.5.3.1). The valid pair uses it; datagrams still leave from the host base. */
static void test_peer_reflexive_nat(void) {
  ice_sim s;
  sim_link_config link = {.latency_us = 5000};
  ice_sim_init(&s, &link);
  static const char *const inside[] = {"10.0.0.1:40000"};
  static const char *const outside[] = {"203.0.113.5:61000"};
  static const char *const server[] = {"198.51.100.7:50000"};
  brtc_ice_config ca = config(true, 11), cb = config(false, 12);
  ice_sim_agent(&s, &s.a, "behind-nat", &ca, inside, 1);
  ice_sim_agent(&s, &s.b, "public", &cb, server, 1);
  ice_sim_nat(&s.a, outside, 1);
  signal_both(&s);
  uint64_t start = s.now;
  ice_sim_run(&s, start + 2 * SEC, ice_sim_both_connected);
  CHECK(ice_sim_both_connected(&s));
  CHECK_EQ_INT(s.a.selected.local_type, BRTC_ICE_CAND_PRFLX);
  CHECK(brtc_addr_equal(&s.a.selected.local, &(brtc_addr){addr(outside[0]).u}));
  CHECK(brtc_addr_equal(&s.a.selected.base, &(brtc_addr){addr(inside[0]).u}));
  CHECK_EQ_INT(s.b.selected.remote_type, BRTC_ICE_CAND_PRFLX);
  CHECK(brtc_addr_equal(&s.b.selected.remote, &(brtc_addr){addr(outside[0]).u}));
  brtc_ice_stats sa, sb;
  brtc_ice_transport_get_stats(s.a.t, &sa);
  brtc_ice_transport_get_stats(s.b.t, &sb);
  CHECK_EQ_INT(sa.local_prflx, 1);
  CHECK_EQ_INT(sb.remote_prflx, 1);
  CHECK(s.a.dropped_no_host > 0); /* b's checks to the private address went nowhere */
  CHECK(connected_at(&s.a) - start <= 20 * MS + 100);
  ice_sim_free(&s);
}

/* Lost checks are sent again at RTO = MAX(500 ms, Ta * active pairs), doubling (RFC 8445
 * 14.3, RFC 8489 6.2.1). */
static void test_lost_checks(void) {
  ice_sim s;
  sim_link_config link = {.latency_us = 250};
  ice_sim_init(&s, &link);
  brtc_ice_config ca = config(true, 13), cb = config(false, 14);
  ice_sim_agent(&s, &s.a, "a", &ca, a_addr, 1);
  ice_sim_agent(&s, &s.b, "b", &cb, b_addr, 1);
  s.drop_requests[0] = 2;
  s.drop_requests[1] = 2;
  signal_both(&s);
  uint64_t start = s.now;
  ice_sim_run(&s, start + 5 * SEC, ice_sim_both_connected);
  CHECK(ice_sim_both_connected(&s));
  /* a's check at 0, 0.5 s (lost), 1.5 s (through): connected one round trip later. */
  CHECK(s.a.n_sends >= 3);
  CHECK_EQ_INT(s.a.sends[0].at - start, 0);
  CHECK_EQ_INT(s.a.sends[1].at - start, 500 * MS);
  CHECK_EQ_INT(s.a.sends[2].at - start, 1500 * MS);
  uint64_t t = connected_at(&s.a) - start;
  CHECK(t >= 1500 * MS && t <= 1502 * MS);
  brtc_ice_stats st;
  brtc_ice_transport_get_stats(s.a.t, &st);
  CHECK_EQ_INT(st.retransmissions, 2);
  ice_sim_free(&s);
}

/* With twelve pairs active the RTO is Ta * 12 = 600 ms; new checks go out one per Ta. */
static void test_pacing_and_rto(void) {
  ice_sim s;
  ice_sim_init(&s, NULL);
  static const char *const a4[] = {"10.0.0.1:1", "10.0.0.2:1", "10.0.0.3:1", "10.0.0.4:1"};
  static const char *const b3[] = {"10.0.1.1:1", "10.0.1.2:1", "10.0.1.3:1"};
  brtc_ice_config ca = config(true, 15), cb = config(false, 16);
  ice_sim_agent(&s, &s.a, "a", &ca, a4, 4);
  ice_sim_agent(&s, &s.b, "b", &cb, b3, 3);
  s.cut = true; /* nobody answers */
  signal_both(&s);
  uint64_t start = s.now;
  ice_sim_run(&s, start + 700 * MS, NULL);
  CHECK_EQ_INT(brtc_ice_transport_pair_count(s.a.t), 12);
  /* Distinct foundations per local address: every pair starts Waiting and goes out in
   * turn, one per Ta. */
  for (size_t i = 0; i < 12 && i < s.a.n_sends; i++) CHECK_EQ_INT(s.a.sends[i].at - start, i * 50 * MS);
  /* The first check's first retransmission, 600 ms after it. */
  bool seen = false;
  for (size_t i = 12; i < s.a.n_sends; i++)
    seen |= s.a.sends[i].at - start == 600 * MS &&
            brtc_addr_equal(&s.a.sends[i].to, &s.a.sends[0].to) &&
            brtc_addr_equal(&s.a.sends[i].from, &s.a.sends[0].from);
  CHECK(seen);
  ice_sim_free(&s);
}

/* Nothing reachable, end-of-candidates: each pair fails after its last transmission and
 * Rm * RTO more (39.5 s at 500 ms), and the transport with them. */
static void test_all_pairs_fail(void) {
  ice_sim s;
  ice_sim_init(&s, NULL);
  brtc_ice_config ca = config(true, 17), cb = config(false, 18);
  ice_sim_agent(&s, &s.a, "a", &ca, a_addr, 1);
  ice_sim_agent(&s, &s.b, "b", &cb, b_addr, 1);
  s.cut = true;
  signal_both(&s);
  uint64_t start = s.now;
  ice_sim_run(&s, start + 60 * SEC, NULL);
  CHECK_EQ_INT(brtc_ice_transport_get_state(s.a.t), BRTC_ICE_CONN_FAILED);
  CHECK_EQ_INT(s.a.state_at[BRTC_ICE_CONN_FAILED] - start, 39500 * MS);
  CHECK_EQ_INT(s.a.requests, 7); /* Rc */
  CHECK(s.a.error_events >= 1);
  ice_sim_free(&s);
}

static bool a_disconnected(ice_sim *s) {
  return brtc_ice_transport_get_state(s->a.t) == BRTC_ICE_CONN_DISCONNECTED;
}
static bool a_back(ice_sim *s) {
  brtc_ice_conn_state st = brtc_ice_transport_get_state(s->a.t);
  return st == BRTC_ICE_CONN_CONNECTED || st == BRTC_ICE_CONN_COMPLETED;
}
static bool a_failed(ice_sim *s) {
  return brtc_ice_transport_get_state(s->a.t) == BRTC_ICE_CONN_FAILED;
}

/* RFC 7675: consent checks every 4 to 6 s; unanswered for 2.5 s: disconnected; an answer:
 * connected again; none for 30 s: failed, and nothing more is sent on the pair. */
static void test_consent_lost_and_back(void) {
  ice_sim s;
  sim_link_config link = {.latency_us = 250};
  ice_sim_init(&s, &link);
  brtc_ice_config ca = config(true, 19), cb = config(false, 20);
  ice_sim_agent(&s, &s.a, "a", &ca, a_addr, 1);
  ice_sim_agent(&s, &s.b, "b", &cb, b_addr, 1);
  signal_both(&s);
  ice_sim_run(&s, s.now + 10 * SEC, NULL);
  CHECK(ice_sim_both_connected(&s));
  /* Consent checks went both ways, 4 to 6 s apart. */
  size_t consent = 0;
  uint64_t prev = 0;
  for (size_t i = 0; i < s.a.n_sends; i++) {
    if (!s.a.sends[i].request || s.a.sends[i].use_candidate || s.a.sends[i].at < 1 * SEC) continue;
    if (consent++ && prev) {
      uint64_t gap = s.a.sends[i].at - prev;
      CHECK(gap >= 4 * SEC && gap <= 6 * SEC);
    }
    prev = s.a.sends[i].at;
  }
  CHECK(consent >= 1);

  uint64_t cut = s.now;
  s.cut = true;
  ice_sim_run(&s, cut + 20 * SEC, a_disconnected);
  uint64_t d = s.a.state_at[BRTC_ICE_CONN_DISCONNECTED];
  CHECK(d != SIM_NEVER && d - cut >= 2500 * MS && d - cut <= 6 * SEC + 2500 * MS);
  ice_sim_run(&s, s.now + 1 * SEC, NULL);
  CHECK_EQ_INT(brtc_ice_transport_get_state(s.b.t), BRTC_ICE_CONN_DISCONNECTED);

  uint64_t heal = s.now;
  s.cut = false;
  ice_sim_run(&s, heal + 10 * SEC, a_back);
  CHECK(a_back(&s));
  CHECK(s.now - heal <= 6 * SEC);
  CHECK_EQ_INT(s.a.selected_events, 1); /* the same pair all along */

  uint64_t cut2 = s.now;
  s.cut = true;
  ice_sim_run(&s, cut2 + 60 * SEC, a_failed);
  uint64_t f = s.a.state_at[BRTC_ICE_CONN_FAILED];
  CHECK(f != SIM_NEVER && f - cut2 >= 24 * SEC && f - cut2 <= 30 * SEC + 10 * MS);
  uint64_t sent = s.a.sent;
  ice_sim_run(&s, s.now + 20 * SEC, NULL);
  CHECK_EQ_INT(s.a.sent, sent); /* consent gone: silence */
  CHECK(!brtc_ice_transport_consent_holds(s.a.t, &s.a.selected.remote, s.now));
  ice_sim_free(&s);
}

static bool new_generation_selected(ice_sim *s) {
  return !brtc_ice_transport_previous_ufrag(s->a.t) && !brtc_ice_transport_previous_ufrag(s->b.t);
}

/* ICE restart (RFC 8445 9): new credentials both sides, checks start over, and the pair in
 * use stays selected, its consent checks answered with the old credentials, until the new
 * generation selects one. */
static void test_restart(void) {
  ice_sim s;
  sim_link_config link = {.latency_us = 250};
  ice_sim_init(&s, &link);
  brtc_ice_config ca = config(true, 21), cb = config(false, 22);
  ice_sim_agent(&s, &s.a, "a", &ca, a_addr, 1);
  ice_sim_agent(&s, &s.b, "b", &cb, b_addr, 1);
  signal_both(&s);
  ice_sim_run(&s, s.now + 7 * SEC, NULL); /* a consent check or so on the way */
  CHECK(ice_sim_both_connected(&s));
  char old_a[64], old_b[64];
  snprintf(old_a, sizeof(old_a), "%s", brtc_ice_transport_local_ufrag(s.a.t));
  snprintf(old_b, sizeof(old_b), "%s", brtc_ice_transport_local_ufrag(s.b.t));

  CHECK_EQ_INT(brtc_ice_transport_restart(s.a.t, s.now), BRTC_OK);
  CHECK(strcmp(old_a, brtc_ice_transport_local_ufrag(s.a.t)) != 0);
  CHECK_STR(brtc_ice_transport_previous_ufrag(s.a.t), old_a);
  brtc_ice_pair_info sel;
  CHECK(brtc_ice_transport_selected(s.a.t, &sel)); /* media keeps its pair */
  /* The offer takes 8 s to arrive: consent keeps working with the old credentials. */
  ice_sim_run(&s, s.now + 8 * SEC, NULL);
  CHECK(ice_sim_both_connected(&s));
  uint64_t restart_at = s.now;
  ice_sim_signal(&s, &s.a, &s.b, true, true); /* the offer */
  CHECK_EQ_INT(s.b.cred_events, 1);           /* b restarted too */
  CHECK(strcmp(old_b, brtc_ice_transport_local_ufrag(s.b.t)) != 0);
  ice_sim_signal(&s, &s.b, &s.a, true, true); /* the answer */
  ice_sim_run(&s, s.now + 2 * SEC, new_generation_selected);
  CHECK_EQ_INT(s.a.nominations, 2);
  CHECK(s.now - restart_at < 5 * MS);
  CHECK(brtc_ice_transport_previous_ufrag(s.a.t) == NULL);
  CHECK(brtc_ice_transport_previous_ufrag(s.b.t) == NULL);
  /* Never anything but connected or completed meanwhile. */
  CHECK_EQ_INT(s.a.state_at[BRTC_ICE_CONN_DISCONNECTED], SIM_NEVER);
  CHECK_EQ_INT(s.a.state_at[BRTC_ICE_CONN_FAILED], SIM_NEVER);
  CHECK_EQ_INT(s.b.state_at[BRTC_ICE_CONN_DISCONNECTED], SIM_NEVER);
  ice_sim_run(&s, s.now + 40 * SEC, NULL); /* consent on the new generation */
  CHECK(ice_sim_both_connected(&s));
  brtc_ice_stats st;
  brtc_ice_transport_get_stats(s.a.t, &st);
  CHECK_EQ_INT(st.restarts, 1);
  ice_sim_free(&s);
}

/* A restart that moves to another path: the old one is cut, the new generation selects the
 * other interface, and the selected pair changes once, without a disconnection. */
static void test_restart_moves_path(void) {
  ice_sim s;
  sim_link_config link = {.latency_us = 250};
  ice_sim_init(&s, &link);
  static const char *const a2[] = {"127.0.0.1:40000", "127.0.0.2:40000"};
  brtc_ice_config ca = config(true, 23), cb = config(false, 24);
  ice_sim_agent(&s, &s.a, "a", &ca, a2, 2);
  ice_sim_agent(&s, &s.b, "b", &cb, b_addr, 1);
  signal_both(&s);
  ice_sim_run(&s, s.now + 1 * SEC, NULL);
  CHECK(ice_sim_both_connected(&s));
  CHECK(brtc_addr_equal(&s.a.selected.base, &(brtc_addr){addr("127.0.0.1:40000").u}));
  ice_sim_block(&s, "127.0.0.1:40000"); /* that interface goes away */
  CHECK_EQ_INT(brtc_ice_transport_restart(s.a.t, s.now), BRTC_OK);
  ice_sim_signal(&s, &s.a, &s.b, true, true);
  ice_sim_signal(&s, &s.b, &s.a, true, true);
  ice_sim_run(&s, s.now + 2 * SEC, NULL);
  CHECK(ice_sim_both_connected(&s));
  CHECK(brtc_addr_equal(&s.a.selected.base, &(brtc_addr){addr("127.0.0.2:40000").u}));
  CHECK(same_path(&s.a, &s.b));
  CHECK_EQ_INT(s.a.selected_events, 2);
  CHECK_EQ_INT(s.a.state_at[BRTC_ICE_CONN_DISCONNECTED], SIM_NEVER);
  ice_sim_free(&s);
}

/* A bad network both ways (loss, jitter, reordering, duplicates): the agents still agree. */
static void test_bad_network(void) {
  for (uint64_t seed = 1; seed <= 20; seed++) {
    ice_sim s;
    sim_link_config link = {.latency_us = 20000, .jitter_us = 15000, .loss = 0.3,
                            .reorder = 0.2, .duplicate = 0.1, .seed = seed};
    ice_sim_init(&s, &link);
    static const char *const a2[] = {"[::1]:40000", "127.0.0.1:40000"};
    static const char *const b2[] = {"[::1]:50000", "127.0.0.1:50000"};
    brtc_ice_config ca = config(seed % 2, 100 + seed), cb = config(!(seed % 2), 200 + seed);
    ice_sim_agent(&s, &s.a, "a", &ca, a2, 2);
    ice_sim_agent(&s, &s.b, "b", &cb, b2, 2);
    signal_both(&s);
    ice_sim_run(&s, s.now + 30 * SEC, ice_sim_both_connected);
    CHECK(ice_sim_both_connected(&s));
    ice_sim_run(&s, s.now + 5 * SEC, NULL); /* a late duplicate nomination changes nothing */
    CHECK(same_path(&s.a, &s.b));
    CHECK(ice_sim_both_connected(&s));
    ice_sim_free(&s);
  }
}

int main(void) {
  RUN(test_controlling_controlled);
  RUN(test_full_against_lite);
  RUN(test_role_conflict_controlling);
  RUN(test_role_conflict_controlled);
  RUN(test_several_interfaces);
  RUN(test_late_trickle);
  RUN(test_peer_reflexive_nat);
  RUN(test_lost_checks);
  RUN(test_pacing_and_rto);
  RUN(test_all_pairs_fail);
  RUN(test_consent_lost_and_back);
  RUN(test_restart);
  RUN(test_restart_moves_path);
  RUN(test_bad_network);
  CHECK_EQ_INT(ice_sim_faults, 0);
  return TEST_REPORT();
}
