/* The JSEP signaling state machine through the public API (RFC 8829 5.5, 5.6): a table of
 * calls in order, each with the code it must return, the state it must leave, and a part of
 * its one-line reason; then the offerer's whole exchange with Chromium's and aiortc's real
 * answers (captured in tests/sdp/fixtures), without connecting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/datachannel.h"
#include "boltrtc/error.h"
#include "boltrtc/peer_connection.h"
#include "sim_peer.h"
#include "testing.h"

static brtc_certificate *cert;

static brtc_pc *new_pc(void) {
  brtc_pc_config *cfg = brtc_pc_config_new();
  brtc_pc_config_set_certificate(cfg, cert);
  brtc_pc_config_set_datachannels(cfg, true);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(50000),
                          .sin_addr.s_addr = htonl(0x7f000001)};
  brtc_pc_config_add_host_address(cfg, (const struct sockaddr *)&a);
  brtc_pc *pc = NULL;
  char err[160];
  CHECK_EQ_INT(brtc_pc_new(cfg, &pc, err, sizeof err), BRTC_OK);
  brtc_pc_config_free(cfg);
  return pc;
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  CHECK(f != NULL);
  if (!f) return calloc(1, 1);
  char *buf = calloc(1, 65536);
  size_t n = fread(buf, 1, 65535, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

static void drain(brtc_pc *pc) {
  uint8_t buf[BRTC_PC_MAX_DATAGRAM];
  for (int i = 0; i < 1000; i++) {
    brtc_output out = {.size = sizeof out};
    if (brtc_pc_poll_output(pc, buf, sizeof buf, &out) != BRTC_OK) break;
    if (out.kind == BRTC_OUTPUT_TIMEOUT) break;
  }
}

typedef enum op {
  CREATE_OFFER,
  CREATE_ANSWER,
  LOCAL,          /* set_local_description(type, sdp) */
  REMOTE,         /* set_remote_description(type, sdp) */
  CHANNEL,        /* create a data channel */
  CLOSE,
} op;

typedef enum text {
  NONE = 0,       /* NULL */
  MADE,           /* the last offer or answer the pc gave */
  FOREIGN,        /* an SDP the pc did not make */
  PEER_OFFER,     /* a simulated browser's offer with a data section */
  CHROMIUM_ANSWER, /* Chromium's real answer to a data-only offer */
} text;

typedef struct row {
  const char *why;        /* what the row stands for */
  op op;
  const char *type;
  text sdp;
  int rc;
  brtc_signaling_state after;
  const char *err;        /* part of the reason, or NULL */
} row;

#define S_STABLE BRTC_SIGNALING_STABLE
#define S_LOCAL BRTC_SIGNALING_HAVE_LOCAL_OFFER
#define S_REMOTE BRTC_SIGNALING_HAVE_REMOTE_OFFER
#define S_CLOSED BRTC_SIGNALING_CLOSED

static const row rows[] = {
    {"an answer before any offer", REMOTE, "answer", CHROMIUM_ANSWER, BRTC_ERR_STATE, S_STABLE,
     "set_remote_description(answer) in stable: we made no offer to answer"},
    {"our answer before an offer", LOCAL, "answer", NONE, BRTC_ERR_STATE, S_STABLE,
     "set_local_description(answer) in stable"},
    {"create_answer with nothing to answer", CREATE_ANSWER, NULL, NONE, BRTC_ERR_STATE, S_STABLE,
     "create_answer in stable: no remote offer to answer"},
    {"rollback of a local offer never made", LOCAL, "rollback", NONE, BRTC_ERR_STATE, S_STABLE,
     "no local offer to roll back"},
    {"rollback of a remote offer never set", REMOTE, "rollback", NONE, BRTC_ERR_STATE, S_STABLE,
     "no remote offer to roll back"},
    {"an offer with nothing in it", CREATE_OFFER, NULL, NONE, BRTC_ERR_STATE, S_STABLE,
     "nothing to offer"},
    {"pranswer is not done", REMOTE, "pranswer", PEER_OFFER, BRTC_ERR_UNSUPPORTED, S_STABLE,
     "pranswer"},
    {"no such description type", LOCAL, "bogus", NONE, BRTC_ERR_INVALID, S_STABLE, "bogus"},
    {"a channel to offer", CHANNEL, NULL, NONE, BRTC_OK, S_STABLE, NULL},
    {"setting an offer never made, by text", LOCAL, "offer", FOREIGN, BRTC_ERR_INVALID, S_STABLE,
     "create_offer made no offer"},
    {"create_offer", CREATE_OFFER, NULL, NONE, BRTC_OK, S_STABLE, NULL},
    {"set_local with an SDP we did not make", LOCAL, "offer", FOREIGN, BRTC_ERR_INVALID, S_STABLE,
     "not the offer create_offer made"},
    {"set_local with ours", LOCAL, "offer", MADE, BRTC_OK, S_LOCAL, NULL},
    {"a second offer, the peer's, in have-local-offer (glare)", REMOTE, "offer", PEER_OFFER,
     BRTC_ERR_STATE, S_LOCAL,
     "set_remote_description(offer) in have-local-offer: both sides offered"},
    {"an answer of ours while we offer", LOCAL, "answer", NONE, BRTC_ERR_STATE, S_LOCAL,
     "set_local_description(answer) in have-local-offer"},
    {"create_answer while we offer", CREATE_ANSWER, NULL, NONE, BRTC_ERR_STATE, S_LOCAL,
     "create_answer in have-local-offer"},
    {"rollback of the remote side while we offer", REMOTE, "rollback", NONE, BRTC_ERR_STATE,
     S_LOCAL, "set_remote_description(rollback) in have-local-offer"},
    {"a new offer may replace ours (JSEP 5.2.2)", CREATE_OFFER, NULL, NONE, BRTC_OK, S_LOCAL, NULL},
    {"and be set", LOCAL, "offer", MADE, BRTC_OK, S_LOCAL, NULL},
    {"rollback returns to stable", LOCAL, "rollback", NONE, BRTC_OK, S_STABLE, NULL},
    {"an answer after the rollback", REMOTE, "answer", CHROMIUM_ANSWER, BRTC_ERR_STATE, S_STABLE,
     "we made no offer to answer"},
    {"then the peer's offer is taken", REMOTE, "offer", PEER_OFFER, BRTC_OK, S_REMOTE, NULL},
    {"create_offer while answering", CREATE_OFFER, NULL, NONE, BRTC_ERR_STATE, S_REMOTE,
     "create_offer in have-remote-offer: the remote offer must be answered first"},
    {"set_local(offer) while answering", LOCAL, "offer", NONE, BRTC_ERR_STATE, S_REMOTE,
     "set_local_description(offer) in have-remote-offer"},
    {"a second remote offer", REMOTE, "offer", PEER_OFFER, BRTC_ERR_STATE, S_REMOTE,
     "an offer is already being answered"},
    {"an answer while answering", REMOTE, "answer", CHROMIUM_ANSWER, BRTC_ERR_STATE, S_REMOTE,
     "set_remote_description(answer) in have-remote-offer"},
    {"rollback of the remote offer", REMOTE, "rollback", NONE, BRTC_OK, S_STABLE, NULL},
    {"create_answer after it", CREATE_ANSWER, NULL, NONE, BRTC_ERR_STATE, S_STABLE,
     "create_answer in stable"},
    {"the offer again", REMOTE, "offer", PEER_OFFER, BRTC_OK, S_REMOTE, NULL},
    {"create_answer", CREATE_ANSWER, NULL, NONE, BRTC_OK, S_REMOTE, NULL},
    {"set_local with an answer we did not make", LOCAL, "answer", FOREIGN, BRTC_ERR_INVALID,
     S_REMOTE, "not the answer create_answer made"},
    {"set_local with ours", LOCAL, "answer", MADE, BRTC_OK, S_STABLE, NULL},
    {"the answer stays readable", CREATE_ANSWER, NULL, NONE, BRTC_OK, S_STABLE, NULL},
    {"another offer renegotiates (JSEP 5.2.2)", REMOTE, "offer", PEER_OFFER, BRTC_OK, S_REMOTE,
     NULL},
    {"and is answered", LOCAL, "answer", NONE, BRTC_OK, S_STABLE, NULL},
    {"a third offer", REMOTE, "offer", PEER_OFFER, BRTC_OK, S_REMOTE, NULL},
    {"rolled back before it is answered (JSEP 5.7)", REMOTE, "rollback", NONE, BRTC_OK, S_STABLE,
     NULL},
    {"offered again", REMOTE, "offer", PEER_OFFER, BRTC_OK, S_REMOTE, NULL},
    {"its answer made applies it", CREATE_ANSWER, NULL, NONE, BRTC_OK, S_REMOTE, NULL},
    {"which then cannot be rolled back", REMOTE, "rollback", NONE, BRTC_ERR_UNSUPPORTED, S_REMOTE,
     "rollback) of a renegotiation offer is not supported"},
    {"only answered", LOCAL, "answer", NONE, BRTC_OK, S_STABLE, NULL},
    {"an offer of ours renegotiates too", CREATE_OFFER, NULL, NONE, BRTC_OK, S_STABLE, NULL},
    {"and is set", LOCAL, "offer", MADE, BRTC_OK, S_LOCAL, NULL},
    {"a crossing remote offer is glare", REMOTE, "offer", PEER_OFFER, BRTC_ERR_STATE, S_LOCAL,
     "both sides offered: roll ours back first"},
    {"ours rolls back", LOCAL, "rollback", NONE, BRTC_OK, S_STABLE, NULL},
    {"then theirs is taken", REMOTE, "offer", PEER_OFFER, BRTC_OK, S_REMOTE, NULL},
    {"close", CLOSE, NULL, NONE, BRTC_OK, S_CLOSED, NULL},
    {"nothing after close", CREATE_OFFER, NULL, NONE, BRTC_ERR_STATE, S_CLOSED,
     "create_offer in closed: the peer connection is closed"},
    {"not even a rollback", LOCAL, "rollback", NONE, BRTC_ERR_STATE, S_CLOSED, "in closed"},
};

static void test_state_table(void) {
  brtc_pc *pc = new_pc();
  sim_peer_opts o = {.datachannel = true, .no_video = true, .no_audio = true};
  sim_peer *peer = sim_peer_new(&o);
  char *chromium = read_file("../sdp/fixtures/chromium_answer_data.sdp");
  const char *made = NULL;
  uint64_t now = 1000;
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    const row *r = &rows[i];
    const char *texts[] = {NULL, made, "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n",
                           sim_peer_offer(peer), chromium};
    const char *sdp = texts[r->sdp];
    char err[256] = "";
    int rc = BRTC_OK;
    brtc_datachannel *dc = NULL;
    const char *out = NULL;
    now += 1000;
    switch (r->op) {
      case CREATE_OFFER: rc = brtc_pc_create_offer(pc, now, &out, err, sizeof err); break;
      case CREATE_ANSWER: rc = brtc_pc_create_answer(pc, &out, err, sizeof err); break;
      case LOCAL: rc = brtc_pc_set_local_description(pc, r->type, sdp, now, err, sizeof err); break;
      case REMOTE: rc = brtc_pc_set_remote_description(pc, r->type, sdp, now, err, sizeof err); break;
      case CHANNEL: rc = brtc_pc_create_datachannel(pc, now, "c", NULL, &dc, err, sizeof err); break;
      case CLOSE: brtc_pc_close(pc, now); break;
    }
    if (rc == BRTC_OK && out) made = out;
    drain(pc);
    bool ok = rc == r->rc && brtc_pc_signaling_state(pc) == r->after &&
              (!r->err || strstr(err, r->err) != NULL) && (rc != BRTC_OK || !err[0]);
    CHECK(ok);
    if (!ok)
      fprintf(stderr, "row %zu (%s): rc %d (want %d), state %s (want %s), err \"%s\"\n", i,
              r->why, rc, r->rc, brtc_signaling_state_name(brtc_pc_signaling_state(pc)),
              brtc_signaling_state_name(r->after), err);
  }
  free(chromium);
  sim_peer_free(peer);
  brtc_pc_free(pc);
}

/* The answerer's old path, as the server runs it, is unchanged: offer in, answer out, and
 * the state says which step it is in. */
static void test_server_path(void) {
  brtc_pc *pc = new_pc();
  sim_peer *peer = sim_peer_new(NULL);
  char err[256] = "";
  CHECK_EQ_INT(brtc_pc_set_remote_description(pc, "offer", sim_peer_offer(peer), 1, err,
                                              sizeof err), BRTC_OK);
  const char *answer = NULL;
  CHECK_EQ_INT(brtc_pc_create_answer(pc, &answer, err, sizeof err), BRTC_OK);
  CHECK(answer && strstr(answer, "a=setup:active\r\n"));
  CHECK_EQ_INT(brtc_pc_signaling_state(pc), BRTC_SIGNALING_HAVE_REMOTE_OFFER);
  CHECK_EQ_INT(sim_peer_set_answer(peer, answer, err, sizeof err), BRTC_OK);
  drain(pc);
  sim_peer_free(peer);
  brtc_pc_free(pc);
}

typedef struct step_seen {
  bool offer, answer;
  char answer_detail[160];
} step_seen;

static step_seen drain_steps(brtc_pc *pc) {
  step_seen s = {0};
  uint8_t buf[BRTC_PC_MAX_DATAGRAM];
  for (int i = 0; i < 1000; i++) {
    brtc_output out = {.size = sizeof out};
    if (brtc_pc_poll_output(pc, buf, sizeof buf, &out) != BRTC_OK) break;
    if (out.kind == BRTC_OUTPUT_TIMEOUT) break;
    if (out.kind != BRTC_OUTPUT_EVENT || out.event != BRTC_EVENT_STEP) continue;
    if (out.step == BRTC_STEP_OFFER) s.offer = true;
    if (out.step == BRTC_STEP_ANSWER) {
      s.answer = true;
      snprintf(s.answer_detail, sizeof s.answer_detail, "%s", out.detail);
    }
  }
  return s;
}

/* Our offer carries our channel; Chromium's and aiortc's answers to such an offer are taken,
 * DTLS server by their a=setup:active; a bad answer leaves us waiting for a good one. */
static void offer_and_answer(const char *fixture, const char *want_detail) {
  brtc_pc *pc = new_pc();
  char err[256] = "";
  brtc_datachannel *dc = NULL;
  brtc_datachannel_init init;
  brtc_datachannel_init_default(&init);
  init.ordered = false;
  init.max_retransmits = 0;
  CHECK_EQ_INT(brtc_pc_create_datachannel(pc, 1, "control", &init, &dc, err, sizeof err), BRTC_OK);
  const char *offer = NULL;
  CHECK_EQ_INT(brtc_pc_create_offer(pc, 2, &offer, err, sizeof err), BRTC_OK);
  CHECK(offer && strstr(offer, "m=application 50000 UDP/DTLS/SCTP webrtc-datachannel\r\n"));
  CHECK(offer && strstr(offer, "a=setup:actpass\r\n") && strstr(offer, "a=group:BUNDLE 0\r\n"));
  CHECK(offer && strstr(offer, "a=candidate:1 1 udp ") && strstr(offer, " 127.0.0.1 50000 typ host"));
  CHECK(offer && strstr(offer, brtc_pc_local_ufrag(pc)));
  CHECK_EQ_INT(brtc_pc_set_local_description(pc, "offer", NULL, 3, err, sizeof err), BRTC_OK);
  step_seen s = drain_steps(pc);
  CHECK(s.offer && !s.answer);
  char *answer = read_file(fixture);
  /* One broken answer first: refused, nothing changes. */
  char *bad = strdup(answer);
  char *mid = strstr(bad, "a=mid:0");
  if (mid) mid[6] = '9';
  CHECK_EQ_INT(brtc_pc_set_remote_description(pc, "answer", bad, 4, err, sizeof err),
               BRTC_ERR_PARSE);
  CHECK(strstr(err, "a=mid 9, the offer's is 0") != NULL);
  CHECK_EQ_INT(brtc_pc_signaling_state(pc), BRTC_SIGNALING_HAVE_LOCAL_OFFER);
  err[0] = '\0';
  CHECK_EQ_INT(brtc_pc_set_remote_description(pc, "answer", answer, 5, err, sizeof err), BRTC_OK);
  if (err[0]) fprintf(stderr, "%s: %s\n", fixture, err);
  CHECK_EQ_INT(brtc_pc_signaling_state(pc), BRTC_SIGNALING_STABLE);
  s = drain_steps(pc);
  CHECK(s.answer && strstr(s.answer_detail, want_detail) != NULL);
  CHECK_EQ_INT(brtc_datachannel_get_state(dc), BRTC_DATACHANNEL_CONNECTING);
  /* After the exchange the pc waits for the peer's checks: a deadline, not an error. */
  brtc_output out = {.size = sizeof out};
  uint8_t buf[BRTC_PC_MAX_DATAGRAM];
  CHECK_EQ_INT(brtc_pc_poll_output(pc, buf, sizeof buf, &out), BRTC_OK);
  CHECK(out.kind == BRTC_OUTPUT_TIMEOUT && out.deadline_us < UINT64_MAX);
  free(bad);
  free(answer);
  brtc_pc_free(pc);
}

static void test_offer_chromium(void) {
  offer_and_answer("../sdp/fixtures/chromium_answer_data.sdp",
                   "setup active (we are the DTLS server), data channels");
}

static void test_offer_aiortc(void) {
  offer_and_answer("../sdp/fixtures/aiortc_answer_data.sdp",
                   "setup active (we are the DTLS server), data channels");
}

/* A channel made after our offer (which has a data section) joins that section. */
static void test_channel_after_offer(void) {
  brtc_pc *pc = new_pc();
  char err[256] = "";
  brtc_datachannel *dc = NULL;
  CHECK_EQ_INT(brtc_pc_create_datachannel(pc, 1, "a", NULL, &dc, err, sizeof err), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_set_local_description(pc, "offer", NULL, 2, err, sizeof err), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_create_datachannel(pc, 3, "b", NULL, &dc, err, sizeof err), BRTC_OK);
  brtc_pc_free(pc);
}

int main(void) {
  cert = brtc_certificate_generate();
  RUN(test_state_table);
  RUN(test_server_path);
  RUN(test_offer_chromium);
  RUN(test_offer_aiortc);
  RUN(test_channel_after_offer);
  brtc_certificate_free(cert);
  return TEST_REPORT();
}
