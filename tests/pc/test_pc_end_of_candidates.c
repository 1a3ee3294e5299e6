/* a=end-of-candidates in a remote description (RFC 8838 8.2, RFC 8840 8.2): the peer's
 * candidate list is whole for that ICE generation, so the agent need not wait for a trickled
 * end before it can call its checks over.
 * - An answer with it: once connected, ICE is "completed" (RFC 8445 8.1.2: checks done and
 *   both sides' candidates all known); without it, "connected" (more may trickle in).
 * - An offer with it whose one candidate fails its check (the answer comes back from another
 *   address, RFC 8445 7.2.5.2.1): ICE is "failed" at once; without it, still "checking".
 * - After an ICE restart it holds for the new generation only: a restart answer without it
 *   leaves ICE "connected", one with it "completed". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "boltrtc/stats.h"
#include "pc/pc_internal.h"
#include "pc_drain.h"
#include "pc_pair.h"
#include "testing.h"

#define SEC 1000000ull
#define EOC "a=end-of-candidates\r\n"

/* The transport's iceState (W3C RTCTransportStats) of side w, into out. */
static void ice_state(brtc_pc *pc, uint64_t now, char *out, size_t cap) {
  brtc_stats_report *r = NULL;
  out[0] = '\0';
  CHECK_EQ_INT(brtc_pc_get_stats_report(pc, now, &r), BRTC_OK);
  size_t t = brtc_stats_find_type(r, "transport", SIZE_MAX);
  const char *s = t != SIZE_MAX ? brtc_stats_get_string(r, t, "iceState") : NULL;
  snprintf(out, cap, "%s", s ? s : "");
  brtc_stats_free(r);
}

/* A copy of sdp with every a=end-of-candidates line taken out. */
static char *without_eoc(const char *sdp) {
  char *c = strdup(sdp);
  for (char *p; (p = strstr(c, EOC));) memmove(p, p + strlen(EOC), strlen(p + strlen(EOC)) + 1);
  return c;
}

/* One offer/answer, side 0 offering; the answer reaches side 0 with or without its
 * a=end-of-candidates (boltrtc gathers host candidates only here, so it writes one). */
static void negotiate(pp *p, bool answer_eoc) {
  brtc_pc *a = p->s[0].pc, *b = p->s[1].pc;
  char err[256] = "";
  const char *offer = NULL, *answer = NULL;
  CHECK_EQ_INT(brtc_pc_create_offer(a, p->now, &offer, err, sizeof err), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_set_local_description(a, "offer", NULL, p->now, err, sizeof err), BRTC_OK);
  pp_drain(p, 0);
  CHECK_EQ_INT(brtc_pc_set_remote_description(b, "offer", offer, p->now, err, sizeof err), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_create_answer(b, &answer, err, sizeof err), BRTC_OK);
  CHECK(answer && strstr(answer, EOC));
  CHECK_EQ_INT(brtc_pc_set_local_description(b, "answer", NULL, p->now, err, sizeof err), BRTC_OK);
  pp_drain(p, 1);
  char *sent = answer_eoc ? strdup(answer) : without_eoc(answer);
  CHECK_EQ_INT(brtc_pc_set_remote_description(a, "answer", sent, p->now, err, sizeof err), BRTC_OK);
  free(sent);
  pp_drain(p, 0);
}

static void test_answer_completes(void) {
  for (int with = 0; with < 2; with++) {
    pp *p = pp_new();
    pp_add_video(p, 0, BRTC_DIRECTION_SENDRECV);
    negotiate(p, with);
    pp_run(p, 2 * SEC); /* connects in well under a second of simulated time */
    char st[32];
    CHECK(p->s[0].dtls_connected && !p->s[0].failed);
    ice_state(p->s[0].pc, p->now, st, sizeof st);
    CHECK_EQ_STR(st, with ? "completed" : "connected");
    if (!with) { /* the trickled end says the same later */
      CHECK_EQ_INT(brtc_pc_add_ice_candidate(p->s[0].pc, ""), BRTC_OK);
      pp_drain(p, 0);
      ice_state(p->s[0].pc, p->now, st, sizeof st);
      CHECK_EQ_STR(st, "completed");
    }
    pp_free(p);
  }
}

/* The restart's answer ends the new generation, or does not; the first answer ended the
 * first one either way. */
static void test_restart_generation(void) {
  for (int with = 0; with < 2; with++) {
    pp *p = pp_new();
    pp_add_video(p, 0, BRTC_DIRECTION_SENDRECV);
    negotiate(p, true);
    pp_run(p, 2 * SEC);
    char st[32];
    ice_state(p->s[0].pc, p->now, st, sizeof st);
    CHECK_EQ_STR(st, "completed");
    CHECK_EQ_INT(brtc_pc_restart_ice(p->s[0].pc, p->now), BRTC_OK);
    pp_drain(p, 0);
    negotiate(p, with);
    pp_run(p, 3 * SEC);
    CHECK(!p->s[0].failed && !p->s[1].failed);
    brtc_ice_stats is;
    brtc_ice_transport_get_stats(p->s[0].pc->ice, &is);
    CHECK_EQ_INT(is.restarts, 1);
    ice_state(p->s[0].pc, p->now, st, sizeof st);
    CHECK_EQ_STR(st, with ? "completed" : "connected");
    pp_free(p);
  }
}

/* ---- one pc as the answerer, its peer played by hand ---- */

#define PEER_UFRAG "peerufrag"
#define PEER_PWD "peerpasswordpeerpassword"

static brtc_pc *answerer(const brtc_certificate *cert, const brtc_addr *host) {
  brtc_pc_config *cfg = brtc_pc_config_new();
  brtc_pc_config_set_certificate(cfg, cert);
  brtc_pc_config_add_host_address(cfg, &host->u.sa);
  brtc_pc *pc = NULL;
  char err[128];
  CHECK_EQ_INT(brtc_pc_new(cfg, &pc, err, sizeof err), BRTC_OK);
  brtc_pc_config_free(cfg);
  return pc;
}

/* Answers the check in buf as the peer would, signed with its password, but from `from`. */
static void answer_check(brtc_pc *pc, const uint8_t *buf, size_t len, const brtc_addr *mapped,
                         const brtc_addr *from, uint64_t now) {
  brtc_stun_msg m;
  if (brtc_stun_parse(buf, len, &m) != BRTC_OK || m.type != BRTC_STUN_BINDING_REQUEST) return;
  uint8_t out[256];
  brtc_stun_writer w;
  brtc_stun_writer_init(&w, out, sizeof out, BRTC_STUN_BINDING_SUCCESS, m.transaction_id);
  brtc_stun_add_xor_address(&w, BRTC_STUN_ATTR_XOR_MAPPED_ADDRESS, mapped);
  size_t n = 0;
  CHECK_EQ_INT(brtc_stun_finish(&w, (const uint8_t *)PEER_PWD, strlen(PEER_PWD), true, &n),
               BRTC_OK);
  (void)brtc_pc_handle_datagram(pc, out, n, &from->u.sa, now);
}

/* The offer's one candidate is 127.0.0.1:6000; its answers come from 127.0.0.1:6001 (a NAT
 * that maps them elsewhere): the pair fails on the first answer. */
static void failed_pair(bool offer_eoc, char *state, size_t cap) {
  brtc_certificate *cert = brtc_certificate_generate();
  brtc_addr host, peer, elsewhere;
  brtc_addr_parse(&host, "127.0.0.1:5000", 0);
  brtc_addr_parse(&peer, "127.0.0.1:6000", 0);
  brtc_addr_parse(&elsewhere, "127.0.0.1:6001", 0);
  brtc_pc *pc = answerer(cert, &host);
  char offer[2048];
  snprintf(offer, sizeof offer,
           "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
           "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
           "a=ice-ufrag:" PEER_UFRAG "\r\na=ice-pwd:" PEER_PWD "\r\n"
           "a=fingerprint:sha-256 %s\r\na=setup:actpass\r\na=mid:0\r\na=sendonly\r\n"
           "a=rtcp-mux\r\na=rtpmap:96 VP8/90000\r\na=ssrc:1111 cname:a\r\n"
           "a=candidate:1 1 udp 2130706431 127.0.0.1 6000 typ host\r\n%s",
           brtc_certificate_fingerprint(cert), offer_eoc ? EOC : "");
  uint64_t now = SEC;
  char err[256] = "";
  const char *answer = NULL;
  CHECK_EQ_INT(brtc_pc_set_remote_description(pc, "offer", offer, now, err, sizeof err), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_create_answer(pc, &answer, err, sizeof err), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_set_local_description(pc, "answer", NULL, now, err, sizeof err), BRTC_OK);
  unsigned checks = 0;
  /* 2 s: the first check goes out within Ta (50 ms) and is answered at once. Each check is
   * answered after the drain that brought it out (the rule of peer_connection.h). */
  for (uint64_t until = now + 2 * SEC; now < until; now += 10000) {
    (void)brtc_pc_handle_timeout(pc, now);
    for (bool fed = true; fed;) {
      fed = false;
      uint8_t check[1500];
      size_t len = 0;
      pc_drainer d = {.pc = pc};
      for (const brtc_output *out; (out = pc_drain_next(&d));) {
        brtc_addr to;
        if (out->kind != BRTC_OUTPUT_TRANSMIT || out->data[0] > 3 || out->len > sizeof check ||
            !brtc_addr_from_sockaddr(&to, (const struct sockaddr *)&out->remote,
                                     sizeof out->remote) ||
            !brtc_addr_equal(&to, &peer))
          continue;
        memcpy(check, out->data, out->len);
        len = out->len;
      }
      if (len) {
        checks++;
        answer_check(pc, check, len, &host, &elsewhere, now);
        fed = true;
      }
    }
  }
  CHECK(checks > 0);
  brtc_ice_stats is;
  brtc_ice_transport_get_stats(pc->ice, &is);
  CHECK(is.pairs_failed >= 1);
  ice_state(pc, now, state, cap);
  brtc_pc_free(pc);
  brtc_certificate_free(cert);
}

static void test_offer_fails(void) {
  char st[32];
  failed_pair(true, st, sizeof st);
  CHECK_EQ_STR(st, "failed");
  failed_pair(false, st, sizeof st);
  CHECK_EQ_STR(st, "checking"); /* another candidate may still trickle in */
}

int main(void) {
  RUN(test_answer_completes);
  RUN(test_restart_generation);
  RUN(test_offer_fails);
  pp_cleanup();
  return TEST_REPORT();
}
