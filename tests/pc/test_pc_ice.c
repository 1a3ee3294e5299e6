/* Two boltrtc pcs in memory on a simulated clock, both running src/ice's agent through the
 * pc's one code path: one controlled (the answerer: a real offer in, its answer out), one
 * made the controlling agent through the hook of pc_internal.h (pc_ice_set_controlling,
 * pc_ice_set_remote, pc_transport_setup_dtls), which the offerer role (branch pc-offer) sets
 * from JSEP. Credentials and candidates go across by hand, as signaling would carry them;
 * ICE connects with the controlling side's nomination (RFC 8445 8.1), then DTLS and SRTP. The
 * answerer runs full and lite. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/datachannel.h"
#include "boltrtc/error.h"
#include "pc/pc_internal.h"
#include "pc_drain.h"
#include "testing.h"

#define MS 1000ull
#define SEC 1000000ull
#define PC_A "127.0.0.1:6000" /* the controlling pc (the offerer's place) */
#define PC_B "127.0.0.1:5000" /* the controlled answerer */

typedef struct side {
  brtc_pc *pc;
  brtc_addr addr;
  uint64_t step_at[PC_STEP_COUNT];
  char step_detail[PC_STEP_COUNT][160];
  uint64_t deadline;
  uint64_t stun_out, datagrams_out;
  bool bad_source; /* a datagram came out without the address it leaves from */
} side;

static brtc_pc *make_pc(const brtc_certificate *cert, const char *host, bool lite) {
  brtc_pc_config *cfg = brtc_pc_config_new();
  brtc_addr h;
  CHECK_EQ_INT(brtc_addr_parse(&h, host, 0), BRTC_OK);
  brtc_pc_config_set_certificate(cfg, cert);
  brtc_pc_config_add_host_address(cfg, &h.u.sa);
  CHECK_EQ_INT(brtc_pc_config_set_ice_lite(cfg, lite), BRTC_OK);
  brtc_pc *pc = NULL;
  char err[128];
  CHECK_EQ_INT(brtc_pc_new(cfg, &pc, err, sizeof(err)), BRTC_OK);
  brtc_pc_config_free(cfg);
  return pc;
}

/* What Chrome offers for one camera track, with the controlling pc's ICE and DTLS values. */
static char *offer_of(brtc_pc *pc, const brtc_certificate *cert) {
  char *o = malloc(4096);
  snprintf(o, 4096,
           "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
           "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
           "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=ice-options:trickle\r\n"
           "a=fingerprint:sha-256 %s\r\na=setup:actpass\r\na=mid:0\r\na=sendonly\r\n"
           "a=rtcp-mux\r\na=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack pli\r\n"
           "a=ssrc:1111 cname:a\r\n"
           "a=candidate:1 1 udp 2130706431 127.0.0.1 6000 typ host\r\n",
           pc_ice_local_ufrag(pc), pc_ice_local_pwd(pc), brtc_certificate_fingerprint(cert));
  return o;
}

/* The value of "a=NAME:" in sdp, up to the end of its line. */
static bool sdp_value(const char *sdp, const char *name, char *out, size_t cap) {
  char key[64];
  snprintf(key, sizeof(key), "a=%s:", name);
  const char *p = strstr(sdp, key);
  if (!p) return false;
  p += strlen(key);
  size_t n = strcspn(p, "\r\n");
  if (n >= cap) return false;
  memcpy(out, p, n);
  out[n] = '\0';
  return true;
}

/* Drains one pc (the rule of peer_connection.h): steps recorded, datagrams handed to the
 * other at once (a link with no delay), from the source the pc names. */
static void drain(side *s, side *other, uint64_t now) {
  pc_drainer d = {.pc = s->pc};
  for (const brtc_output *out; (out = pc_drain_next(&d));) {
    if (out->kind == BRTC_OUTPUT_EVENT) {
      if (out->event == BRTC_EVENT_STEP && (unsigned)out->step < PC_STEP_COUNT &&
          !s->step_at[out->step]) {
        s->step_at[out->step] = now ? now : 1;
        snprintf(s->step_detail[out->step], sizeof(s->step_detail[0]), "%s", out->detail);
      }
      continue;
    }
    s->datagrams_out++;
    if (out->data[0] <= 3) s->stun_out++;
    brtc_addr src, dst;
    bool src_ok = brtc_addr_from_sockaddr(&src, (const struct sockaddr *)&out->source,
                                          sizeof(out->source)) &&
                  brtc_addr_equal(&src, &s->addr);
    if (!src_ok) s->bad_source = true;
    if (brtc_addr_from_sockaddr(&dst, (const struct sockaddr *)&out->remote, sizeof(out->remote)) &&
        brtc_addr_equal(&dst, &other->addr))
      (void)brtc_pc_handle_datagram(other->pc, out->data, out->len,
                                    (const struct sockaddr *)&out->source, now);
  }
  s->deadline = d.deadline;
}

static bool connected(const side *s) {
  return s->step_at[BRTC_STEP_DTLS_CONNECTED] && s->step_at[BRTC_STEP_ICE_CONNECTED];
}

/* a at the controlling pc's address, b at the answerer's, nothing else yet. */
static void place_sides(side *a, side *b) {
  memset(a, 0, sizeof(*a));
  memset(b, 0, sizeof(*b));
  brtc_addr_parse(&a->addr, PC_A, 0);
  brtc_addr_parse(&b->addr, PC_B, 0);
}

static void connect_two(bool answerer_lite) {
  brtc_certificate *cert_a = brtc_certificate_generate(), *cert_b = brtc_certificate_generate();
  side a, b;
  place_sides(&a, &b);
  uint64_t now = SEC;
  a.pc = make_pc(cert_a, PC_A, false);
  b.pc = make_pc(cert_b, PC_B, answerer_lite);
  a.pc->now_us = now;

  /* The hook: the controlling agent, before any remote description. */
  CHECK_EQ_INT(pc_ice_set_controlling(a.pc, true), BRTC_OK);
  CHECK(brtc_ice_transport_is_controlling(a.pc->ice));
  /* A lite agent never controls (RFC 8445 6.1.1). */
  brtc_pc *lite = make_pc(cert_b, PC_B, true);
  CHECK_EQ_INT(pc_ice_set_controlling(lite, true), BRTC_ERR_STATE);
  brtc_pc_free(lite);

  /* The offer goes to the answerer, its answer comes back. */
  char *offer = offer_of(a.pc, cert_a);
  char err[256] = "";
  CHECK_EQ_INT(brtc_pc_set_remote_description(b.pc, "offer", offer, now, err, sizeof(err)), BRTC_OK);
  const char *answer = NULL;
  CHECK_EQ_INT(brtc_pc_create_answer(b.pc, &answer, err, sizeof(err)), BRTC_OK);
  char ufrag[64], pwd[128], fp[160], cand[200];
  CHECK(answer && sdp_value(answer, "ice-ufrag", ufrag, sizeof(ufrag)));
  CHECK(answer && sdp_value(answer, "ice-pwd", pwd, sizeof(pwd)));
  CHECK(answer && sdp_value(answer, "fingerprint", fp, sizeof(fp)));
  CHECK(answer && sdp_value(answer, "candidate", cand, sizeof(cand)));
  CHECK(answer && (strstr(answer, "a=ice-lite") != NULL) == answerer_lite);
  CHECK(answer && strstr(answer, "a=setup:active") != NULL); /* b is the DTLS client */
  drain(&b, &a, now);

  /* The answer's ICE and DTLS values into the controlling pc, as its offerer code will. */
  a.pc->now_us = now;
  a.pc->have_remote = true;
  a.pc->setup_deadline = now + PC_SETUP_TIMEOUT_US;
  CHECK_EQ_INT(pc_transport_setup_dtls(a.pc, false, strchr(fp, ' ') + 1), BRTC_OK);
  char line[220];
  snprintf(line, sizeof(line), "candidate:%s", cand);
  const char *cands[] = {line};
  CHECK_EQ_INT(pc_ice_set_remote(a.pc, ufrag, pwd, answerer_lite, cands, 1, true), BRTC_OK);
  CHECK_EQ_INT(pc_ice_set_controlling(a.pc, false), BRTC_ERR_STATE); /* too late now */
  uint64_t start = now;

  /* Pump both ways; when both are idle, the clock jumps to the next deadline. */
  for (int round = 0; round < 10000 && !(connected(&a) && connected(&b)); round++) {
    uint64_t before = a.datagrams_out + b.datagrams_out;
    drain(&a, &b, now);
    drain(&b, &a, now);
    if (a.datagrams_out + b.datagrams_out != before) continue;
    uint64_t next = a.deadline < b.deadline ? a.deadline : b.deadline;
    if (next == UINT64_MAX || next > start + 10 * SEC) break;
    now = next > now ? next : now + 1;
    brtc_pc_handle_timeout(a.pc, now);
    brtc_pc_handle_timeout(b.pc, now);
  }
  CHECK(connected(&a));
  CHECK(connected(&b));
  fprintf(stderr, "  answerer %s: ICE connected at %llu / %llu us, DTLS at %llu / %llu us "
                  "(controlling / controlled), %llu / %llu STUN datagrams\n",
          answerer_lite ? "lite" : "full",
          (unsigned long long)(a.step_at[BRTC_STEP_ICE_CONNECTED] - start),
          (unsigned long long)(b.step_at[BRTC_STEP_ICE_CONNECTED] - start),
          (unsigned long long)(a.step_at[BRTC_STEP_DTLS_CONNECTED] - start),
          (unsigned long long)(b.step_at[BRTC_STEP_DTLS_CONNECTED] - start),
          (unsigned long long)a.stun_out, (unsigned long long)b.stun_out);
  CHECK(strstr(a.step_detail[BRTC_STEP_ICE_CONNECTED], "full ICE, controlling") != NULL);
  CHECK(strstr(b.step_detail[BRTC_STEP_ICE_CONNECTED], "controlled") != NULL);
  CHECK(strstr(b.step_detail[BRTC_STEP_ICE_CONNECTED], answerer_lite ? "lite" : "full") != NULL);
  CHECK(strstr(a.step_detail[BRTC_STEP_ICE_CONNECTED], "nominated 127.0.0.1:5000") != NULL);
  CHECK(strstr(b.step_detail[BRTC_STEP_ICE_CONNECTED], "nominated 127.0.0.1:6000") != NULL);
  CHECK(b.step_at[BRTC_STEP_SRTP_READY] && a.step_at[BRTC_STEP_SRTP_READY]);
  /* No link delay and no loss: nothing waits for a retransmission or a pacing tick. */
  CHECK(a.step_at[BRTC_STEP_DTLS_CONNECTED] - start < 10 * MS);
  CHECK(b.step_at[BRTC_STEP_DTLS_CONNECTED] - start < 10 * MS);
  CHECK(!a.bad_source && !b.bad_source); /* every datagram named its local address */
  CHECK(!a.step_at[BRTC_STEP_FAILED] && !b.step_at[BRTC_STEP_FAILED]);
  brtc_pc_stats st = {.size = sizeof(st)};
  CHECK_EQ_INT(brtc_pc_get_stats(a.pc, &st), BRTC_OK);
  CHECK_STR(st.selected_remote, PC_B);
  CHECK_EQ_INT(st.dropped_auth + st.dropped_malformed, 0);

  /* Consent holds for a minute of quiet: the controlling side's checks keep it both ways
   * (RFC 7675), a lite answerer's from the checks it answers. */
  uint64_t until = now + 60 * SEC;
  while (now < until) {
    drain(&a, &b, now);
    drain(&b, &a, now);
    uint64_t next = a.deadline < b.deadline ? a.deadline : b.deadline;
    if (next > until) break;
    now = next > now ? next : now + 1;
    brtc_pc_handle_timeout(a.pc, now);
    brtc_pc_handle_timeout(b.pc, now);
  }
  CHECK(!a.step_at[BRTC_STEP_FAILED] && !b.step_at[BRTC_STEP_FAILED]);
  CHECK(brtc_pc_consent_holds(b.pc, &a.addr.u.sa, now));
  CHECK(brtc_pc_consent_holds(a.pc, &b.addr.u.sa, now));

  free(offer);
  brtc_pc_free(a.pc);
  brtc_pc_free(b.pc);
  brtc_certificate_free(cert_a);
  brtc_certificate_free(cert_b);
}

/* RFC 8445 7.3: the offerer will very likely get the answerer's first checks before the
 * answer, and MUST answer them at once: its own password signs them, the peer's is not
 * needed. Left unanswered, the peer's direct path waits for its retransmission (500 ms), and
 * a controlling agent may meanwhile nominate a relay. */
static void test_check_before_answer(void) {
  brtc_certificate *cert_a = brtc_certificate_generate(), *cert_b = brtc_certificate_generate();
  side a, b;
  place_sides(&a, &b);
  brtc_certificate *certs[2] = {cert_a, cert_b};
  side *sides[2] = {&a, &b};
  for (int i = 0; i < 2; i++) {
    brtc_pc_config *cfg = brtc_pc_config_new();
    brtc_pc_config_set_certificate(cfg, certs[i]);
    brtc_pc_config_set_datachannels(cfg, true);
    brtc_pc_config_add_host_address(cfg, &sides[i]->addr.u.sa);
    char err[128];
    CHECK_EQ_INT(brtc_pc_new(cfg, &sides[i]->pc, err, sizeof(err)), BRTC_OK);
    brtc_pc_config_free(cfg);
  }
  uint64_t now = SEC;
  char err[256] = "";
  brtc_datachannel_init init;
  brtc_datachannel_init_default(&init);
  brtc_datachannel *ch = NULL;
  CHECK_EQ_INT(brtc_pc_create_datachannel(a.pc, now, "chat", &init, &ch, err, sizeof err), BRTC_OK);
  const char *offer = NULL, *answer = NULL;
  CHECK_EQ_INT(brtc_pc_create_offer(a.pc, now, &offer, err, sizeof err), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_set_local_description(a.pc, "offer", NULL, now, err, sizeof err), BRTC_OK);
  drain(&a, &b, now); /* nothing for b yet: a has no remote candidates */
  CHECK_EQ_INT(brtc_pc_set_remote_description(b.pc, "offer", offer, now, err, sizeof err), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_create_answer(b.pc, &answer, err, sizeof err), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_set_local_description(b.pc, "answer", NULL, now, err, sizeof err), BRTC_OK);
  /* b checks a; the answer is still on its way to a. */
  uint64_t until = now + 100 * MS;
  while (now < until && !b.stun_out) {
    drain(&b, &a, now);
    now += MS;
    if (b.deadline <= now) (void)brtc_pc_handle_timeout(b.pc, now);
  }
  CHECK(b.stun_out > 0);
  brtc_pc_stats st;
  memset(&st, 0, sizeof st);
  st.size = sizeof st;
  uint64_t a_out = a.stun_out;
  drain(&a, &b, now); /* a's answers to b's checks, if any */
  CHECK(a.stun_out > a_out);
  CHECK_EQ_INT(brtc_pc_get_stats(a.pc, &st), BRTC_OK);
  CHECK_EQ_INT(st.dropped_unexpected, 0);
  /* Then the answer: the two connect. */
  CHECK_EQ_INT(brtc_pc_set_remote_description(a.pc, "answer", answer, now, err, sizeof err),
               BRTC_OK);
  for (until = now + 5 * SEC; now < until && !(connected(&a) && connected(&b)); now += MS) {
    if (a.deadline <= now) (void)brtc_pc_handle_timeout(a.pc, now);
    if (b.deadline <= now) (void)brtc_pc_handle_timeout(b.pc, now);
    drain(&a, &b, now);
    drain(&b, &a, now);
  }
  CHECK(connected(&a) && connected(&b));
  brtc_pc_free(a.pc);
  brtc_pc_free(b.pc);
  brtc_certificate_free(cert_a);
  brtc_certificate_free(cert_b);
}

/* brtc_pc_check_ice_candidate says of each line what brtc_pc_add_ice_candidate would: a
 * server that takes a batch whole (a WHIP PATCH) relies on it. */
static void test_check_candidate(void) {
  static const struct {
    const char *line;
    int rc;
  } cases[] = {
      {"candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host", BRTC_OK},
      {"a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0", BRTC_OK},
      {"candidate:2 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active", BRTC_OK},
      {"candidate:3 1 udp 2122260223 abcd.local 50000 typ host", BRTC_OK},
      {"", BRTC_OK},
      {"a=end-of-candidates", BRTC_OK},
      {"candidate:1 1 udp notanumber 127.0.0.1 9 typ host", BRTC_ERR_PARSE},
      {"candidate:1 1 udp 1 127.0.0.1", BRTC_ERR_PARSE},
      {"candidate:1 0 udp 1 127.0.0.1 9 typ host", BRTC_ERR_PARSE},
      {"hello", BRTC_ERR_PARSE},
      {"CANDIDATE:1 1 udp 1 127.0.0.1 9 typ host", BRTC_ERR_PARSE},
  };
  brtc_certificate *cert = brtc_certificate_generate();
  brtc_pc *pc = make_pc(cert, PC_B, false);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int rc = brtc_pc_check_ice_candidate(cases[i].line);
    CHECK_EQ_INT(rc, cases[i].rc);
    int added = brtc_pc_add_ice_candidate(pc, cases[i].line);
    CHECK_EQ_INT(added == BRTC_ERR_PARSE, rc == BRTC_ERR_PARSE);
    if (rc != cases[i].rc || (added == BRTC_ERR_PARSE) != (rc == BRTC_ERR_PARSE))
      fprintf(stderr, "  \"%s\": check %d, add %d\n", cases[i].line, rc, added);
  }
  CHECK_EQ_INT(brtc_pc_check_ice_candidate(NULL), BRTC_ERR_INVALID);
  brtc_pc_free(pc);
  brtc_certificate_free(cert);
}

static void test_controlling_and_full_controlled(void) { connect_two(false); }
static void test_controlling_and_lite_controlled(void) { connect_two(true); }

int main(void) {
  RUN(test_controlling_and_full_controlled);
  RUN(test_controlling_and_lite_controlled);
  RUN(test_check_before_answer);
  RUN(test_check_candidate);
  return TEST_REPORT();
}
