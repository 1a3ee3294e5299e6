/* ICE restart on a live call (RFC 8445 9; JSEP, RFC 8829 4.1.3, 5.2.1, 5.3.2), both sides:
 * two boltrtc pcs in memory (pc_pair.h) with a video track each way and a data channel.
 * - brtc_pc_restart_ice asks for negotiation, and the next offer has new ufrag and pwd; the
 *   answer has the answerer's new ones too. While the restart offer waits for its answer,
 *   frames keep arriving on the old pair; after it, on the new one; DTLS, SRTP and the SCTP
 *   association are the same (no new handshake, the channel still carries messages).
 * - A path change: one side moves to another port (a phone on another network). Nothing
 *   reaches it at its old address, its frames stop getting through, and its restart offer
 *   brings them back, byte for byte, both ways.
 * - The restart from the other side (the first answerer offers it), and a rollback of a
 *   restart offer, after which the next offer restarts again. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/datachannel.h"
#include "boltrtc/error.h"
#include "boltrtc/stats.h"
#include "pc_pair.h"
#include "testing.h"

static unsigned frames_from(const pp *p, int w) { return pp_received(p, w, 0)->frames; }

static void check_clean(const pp *p) {
  for (int w = 0; w < 2; w++) {
    CHECK_EQ_INT(p->s[w].frames_bad, 0);
    CHECK_EQ_INT(p->s[w].frames_out_of_order, 0);
    CHECK(!p->s[w].failed);
  }
}

/* The a=ice-ufrag value of an SDP ("" when none). */
static void ufrag_of(const char *sdp, char *out, size_t cap) {
  const char *u = sdp ? strstr(sdp, "a=ice-ufrag:") : NULL;
  out[0] = '\0';
  if (u) snprintf(out, cap, "%.*s", (int)strcspn(u + 12, "\r\n"), u + 12);
}

/* The port of the remote candidate of side w's selected pair (W3C stats: transport ->
 * selectedCandidatePairId -> remoteCandidateId -> port); 0 when none. */
static uint64_t selected_remote_port(pp *p, int w) {
  brtc_stats_report *r = NULL;
  uint64_t port = 0;
  CHECK_EQ_INT(brtc_pc_get_stats_report(p->s[w].pc, p->now, &r), BRTC_OK);
  size_t t = brtc_stats_find_type(r, "transport", SIZE_MAX);
  const char *pair = brtc_stats_get_string(r, t, "selectedCandidatePairId");
  size_t k = pair ? brtc_stats_find_id(r, pair) : SIZE_MAX;
  const char *remote = brtc_stats_get_string(r, k, "remoteCandidateId");
  size_t c = remote ? brtc_stats_find_id(r, remote) : SIZE_MAX;
  if (c != SIZE_MAX) brtc_stats_get_u64(r, c, "port", &port);
  brtc_stats_free(r);
  return port;
}

/* The channel still carries a message after the restart: the same SCTP association. */
static void check_channel(pp *p, brtc_datachannel *dc) {
  uint64_t before = pp_datachannel_stat(p, 1, "messagesReceived");
  static const uint8_t hello[] = "after the restart";
  CHECK_EQ_INT(brtc_datachannel_send(dc, p->now, hello, sizeof hello, true), BRTC_OK);
  pp_drain(p, 0);
  pp_run(p, 200000);
  CHECK_EQ_INT(pp_datachannel_stat(p, 1, "messagesReceived"), before + 1);
}

static void test_restart_keeps_media(void) {
  brtc_datachannel *dc = NULL;
  pp *p = pp_live_call(&dc);
  brtc_pc *a = p->s[0].pc, *b = p->s[1].pc;
  char err[256] = "", ua[64], ub[64], offer_ufrag[64], answer_ufrag[64];
  snprintf(ua, sizeof ua, "%s", brtc_pc_local_ufrag(a));
  snprintf(ub, sizeof ub, "%s", brtc_pc_local_ufrag(b));
  unsigned needed = p->s[0].negotiation_needed;
  CHECK_EQ_INT(brtc_pc_restart_ice(a, p->now), BRTC_OK);
  pp_drain(p, 0);
  CHECK_EQ_INT(p->s[0].negotiation_needed, needed + 1);
  CHECK_EQ_INT(brtc_pc_restart_ice(a, p->now), BRTC_OK); /* once is enough */
  pp_drain(p, 0);
  CHECK_EQ_INT(p->s[0].negotiation_needed, needed + 1);

  /* The offer is out, its answer not yet in: media stays on the old pair. */
  const char *offer = NULL, *answer = NULL;
  CHECK_EQ_INT(brtc_pc_create_offer(a, p->now, &offer, err, sizeof err), BRTC_OK);
  ufrag_of(offer, offer_ufrag, sizeof offer_ufrag);
  CHECK(strcmp(offer_ufrag, ua) != 0 && offer_ufrag[0]);
  CHECK_EQ_STR(brtc_pc_local_ufrag(a), offer_ufrag);
  CHECK_EQ_INT(brtc_pc_create_offer(a, p->now, &offer, err, sizeof err), BRTC_OK);
  char again[64];
  ufrag_of(offer, again, sizeof again);
  CHECK_EQ_STR(again, offer_ufrag); /* a second create_offer keeps the new credentials */
  CHECK_EQ_INT(brtc_pc_set_local_description(a, "offer", NULL, p->now, err, sizeof err), BRTC_OK);
  pp_drain(p, 0);
  unsigned at_a = frames_from(p, 0), at_b = frames_from(p, 1);
  pp_run(p, 1000000);
  CHECK(frames_from(p, 0) >= at_a + 28 && frames_from(p, 1) >= at_b + 28);

  CHECK_EQ_INT(brtc_pc_set_remote_description(b, "offer", offer, p->now, err, sizeof err), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_create_answer(b, &answer, err, sizeof err), BRTC_OK);
  ufrag_of(answer, answer_ufrag, sizeof answer_ufrag);
  CHECK(strcmp(answer_ufrag, ub) != 0 && answer_ufrag[0]); /* JSEP 5.3.1: new ones too */
  CHECK_EQ_STR(brtc_pc_local_ufrag(b), answer_ufrag);
  CHECK_EQ_INT(brtc_pc_set_local_description(b, "answer", NULL, p->now, err, sizeof err), BRTC_OK);
  pp_drain(p, 1);
  CHECK_EQ_INT(brtc_pc_set_remote_description(a, "answer", answer, p->now, err, sizeof err),
               BRTC_OK);
  pp_drain(p, 0);
  at_a = frames_from(p, 0), at_b = frames_from(p, 1);
  pp_run(p, 2000000);
  /* Not one frame missed: 60 frames in 2 s each way, the old pair then the new. */
  CHECK(frames_from(p, 0) >= at_a + 58 && frames_from(p, 1) >= at_b + 58);
  check_channel(p, dc);
  check_clean(p);
  pp_free(p);
}

/* Side 1 (the first answerer) moves, and restarts with an offer of its own. */
static void test_path_change(void) {
  brtc_datachannel *dc = NULL;
  pp *p = pp_live_call(&dc);
  brtc_pc *b = p->s[1].pc;
  pp_move(p, 1, 6002);
  pp_run(p, 2000000);
  unsigned stalled_b = frames_from(p, 1);
  pp_run(p, 1000000);
  /* Moved: a sends to an address that is gone, so b sees nothing. (a may take b's media
   * from the new address once a consent check from there authenticated.) */
  CHECK(frames_from(p, 1) <= stalled_b + 1);
  CHECK(p->to_gone > 0);
  CHECK_EQ_INT(selected_remote_port(p, 0), 6000);

  CHECK_EQ_INT(brtc_pc_restart_ice(b, p->now), BRTC_OK);
  pp_drain(p, 1);
  char err[256] = "";
  CHECK_EQ_INT(pp_negotiate(p, 1, err, sizeof err), BRTC_OK);
  pp_run(p, 2000000);
  CHECK_EQ_INT(selected_remote_port(p, 0), 6002); /* a's media goes to where b is now */
  uint64_t gone = p->to_gone;
  unsigned at_a = frames_from(p, 0), at_b = frames_from(p, 1);
  pp_run(p, 2000000);
  CHECK(frames_from(p, 0) >= at_a + 58 && frames_from(p, 1) >= at_b + 58);
  CHECK_EQ_INT(p->to_gone, gone); /* no media to the old address any more */
  check_channel(p, dc);
  check_clean(p);
  pp_free(p);
}

/* A restart offer rolled back: the call goes on, and the next offer restarts again. */
static void test_rollback(void) {
  brtc_datachannel *dc = NULL;
  pp *p = pp_live_call(&dc);
  brtc_pc *a = p->s[0].pc;
  char err[256] = "", first[64], second[64];
  const char *offer = NULL;
  CHECK_EQ_INT(brtc_pc_restart_ice(a, p->now), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_create_offer(a, p->now, &offer, err, sizeof err), BRTC_OK);
  ufrag_of(offer, first, sizeof first);
  CHECK_EQ_INT(brtc_pc_set_local_description(a, "offer", NULL, p->now, err, sizeof err), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_set_local_description(a, "rollback", NULL, p->now, err, sizeof err),
               BRTC_OK);
  pp_drain(p, 0);
  unsigned at_a = frames_from(p, 0), at_b = frames_from(p, 1);
  pp_run(p, 2000000);
  CHECK(frames_from(p, 0) >= at_a + 58 && frames_from(p, 1) >= at_b + 58);
  CHECK_EQ_INT(pp_negotiate(p, 0, err, sizeof err), BRTC_OK);
  ufrag_of(p->offer, second, sizeof second);
  CHECK(strcmp(first, second) != 0);
  at_a = frames_from(p, 0), at_b = frames_from(p, 1);
  pp_run(p, 2000000);
  CHECK(frames_from(p, 0) >= at_a + 58 && frames_from(p, 1) >= at_b + 58);
  /* A closed pc restarts nothing. */
  brtc_pc_close(a, p->now);
  CHECK_EQ_INT(brtc_pc_restart_ice(a, p->now), BRTC_ERR_STATE);
  CHECK_EQ_INT(brtc_pc_restart_ice(NULL, p->now), BRTC_ERR_INVALID);
  check_clean(p);
  pp_free(p);
}

int main(void) {
  RUN(test_restart_keeps_media);
  RUN(test_path_change);
  RUN(test_rollback);
  pp_cleanup();
  return TEST_REPORT();
}
