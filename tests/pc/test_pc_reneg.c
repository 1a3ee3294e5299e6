/* Renegotiation on a live connection (JSEP, RFC 8829 5.2.2, 5.3.2), both roles: two boltrtc
 * pcs in memory (pc_pair.h) connect with a video track each way and a data channel, then
 * change what they send with new offers from either side, while frames keep flowing and are
 * checked byte for byte after each step: a track added by the first offerer, one added by
 * the first answerer, a track removed (no more RTP with its SSRC; its section goes to port 0)
 * and its section recycled for a new track with a new mid, a direction turned off and on
 * again. ICE, DTLS and the SCTP association stay as they were throughout. Then the errors:
 * glare and its rollback, another certificate refused, calls on a removed track. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/datachannel.h"
#include "boltrtc/error.h"
#include "boltrtc/stats.h"
#include "pc_pair.h"
#include "testing.h"

#define RUN_US 2000000

static int negotiate(pp *p, int offerer) {
  char err[256] = "";
  int rc = pp_negotiate(p, offerer, err, sizeof err);
  CHECK_EQ_INT(rc, BRTC_OK);
  CHECK_EQ_INT(brtc_pc_signaling_state(p->s[0].pc), BRTC_SIGNALING_STABLE);
  CHECK_EQ_INT(brtc_pc_signaling_state(p->s[1].pc), BRTC_SIGNALING_STABLE);
  return rc;
}

/* Side w received more frames from the other side's track `track` over the last run than
 * `before`, all whole and right. */
static unsigned frames_from(const pp *p, int w, int track) { return pp_received(p, w, track)->frames; }

static void check_clean(const pp *p) {
  for (int w = 0; w < 2; w++) {
    CHECK_EQ_INT(p->s[w].frames_bad, 0);
    CHECK_EQ_INT(p->s[w].frames_out_of_order, 0);
    CHECK(!p->s[w].failed);
  }
}

/* The m= lines of an SDP, in order, and their mids: "video:0 application:1 video:2". */
static void sections(const char *sdp, char *out, size_t cap) {
  size_t used = 0;
  out[0] = '\0';
  for (const char *m = strstr(sdp, "m="); m && used < cap; m = strstr(m + 2, "\r\nm=")) {
    if (m != sdp && strncmp(m, "\r\nm=", 4) == 0) m += 2;
    const char *mid = strstr(m, "a=mid:");
    char kind[16] = "", midv[16] = "";
    unsigned port = 0;
    sscanf(m, "m=%15s %u", kind, &port);
    if (mid) sscanf(mid, "a=mid:%15s", midv);
    used += (size_t)snprintf(out + used, cap - used, "%s%s:%s%s", used ? " " : "", kind, midv,
                             port == 0 ? "(0)" : "");
  }
}

static uint64_t dc_received(pp *p, int w) { return pp_datachannel_stat(p, w, "messagesReceived"); }

/* A live call: track 0 each way (sendrecv), a data channel; both see frames. */
static pp *live_call(brtc_datachannel **dc) {
  pp *p = pp_live_call(dc);
  CHECK_EQ_INT(p->s[0].track_events + p->s[1].track_events, 0); /* the first exchange's */
  check_clean(p);
  return p;
}

static void send_message(pp *p, brtc_datachannel *dc, int expect) {
  CHECK_EQ_INT(brtc_datachannel_send(dc, p->now, (const uint8_t *)"hi", 2, false), BRTC_OK);
  pp_drain(p, 0);
  pp_run(p, 200000);
  CHECK_EQ_INT(dc_received(p, 1), expect);
}

/* The first offerer adds a track; then the first answerer does, and offers it itself. */
static void test_add_both_roles(void) {
  brtc_datachannel *dc = NULL;
  pp *p = live_call(&dc);
  char ufrag0[64], ufrag1[64], secs[256];
  snprintf(ufrag0, sizeof ufrag0, "%s", brtc_pc_local_ufrag(p->s[0].pc));
  snprintf(ufrag1, sizeof ufrag1, "%s", brtc_pc_local_ufrag(p->s[1].pc));
  sections(p->offer, secs, sizeof secs);
  CHECK_EQ_STR(secs, "video:0 application:1");

  unsigned needed = p->s[0].negotiation_needed;
  brtc_track *a1 = pp_add_video(p, 0, BRTC_DIRECTION_SENDONLY);
  CHECK_EQ_INT(p->s[0].negotiation_needed, needed + 1);
  CHECK_EQ_STR(brtc_track_mid(a1), "");
  unsigned before = frames_from(p, 1, 0);
  negotiate(p, 0);
  sections(p->offer, secs, sizeof secs);
  CHECK_EQ_STR(secs, "video:0 application:1 video:2"); /* mids and order kept, new at the end */
  sections(p->answer, secs, sizeof secs);
  CHECK_EQ_STR(secs, "video:0 application:1 video:2");
  CHECK_EQ_STR(brtc_track_mid(a1), "2");
  CHECK_EQ_INT(brtc_track_current_direction(a1), BRTC_DIRECTION_SENDONLY);
  CHECK_EQ_INT(p->s[1].track_events, 1);
  CHECK_EQ_INT(brtc_pc_track_count(p->s[1].pc), 2);
  pp_run(p, RUN_US);
  fprintf(stderr, "  added by the offerer: %u frames of the new track, %u more of the first\n",
          frames_from(p, 1, 1), frames_from(p, 1, 0) - before);
  CHECK(frames_from(p, 1, 1) > 40);
  CHECK_EQ_STR(pp_received(p, 1, 1)->mid, "2");
  CHECK(frames_from(p, 1, 0) > before + 40);
  send_message(p, dc, 1); /* the association went on */

  /* The first answerer adds one and makes the offer: its ICE stays controlled, DTLS stays. */
  brtc_track *b1 = pp_add_video(p, 1, BRTC_DIRECTION_SENDRECV);
  CHECK(p->s[1].negotiation_needed >= 1);
  negotiate(p, 1);
  sections(p->offer, secs, sizeof secs);
  CHECK_EQ_STR(secs, "video:0 application:1 video:2 video:3");
  CHECK(strstr(p->offer, "a=recvonly") != NULL); /* section 2: it only receives a1 */
  CHECK_EQ_STR(brtc_track_mid(b1), "3");
  /* Side 0 sends nothing on mid 3 (no track of its own is free): the answer says recvonly. */
  CHECK_EQ_INT(brtc_track_current_direction(b1), BRTC_DIRECTION_SENDONLY);
  CHECK_EQ_INT(p->s[0].track_events, 1);
  before = frames_from(p, 1, 1);
  pp_run(p, RUN_US);
  CHECK(frames_from(p, 0, 1) > 40);
  CHECK_EQ_STR(pp_received(p, 0, 1)->mid, "3");
  CHECK(frames_from(p, 1, 1) > before + 40); /* the offerer's added track still flows */
  CHECK_EQ_STR(brtc_pc_local_ufrag(p->s[0].pc), ufrag0);
  CHECK_EQ_STR(brtc_pc_local_ufrag(p->s[1].pc), ufrag1);
  send_message(p, dc, 2);
  check_clean(p);
  pp_free(p);
}

/* A track removed stops sending at once and its section goes to port 0; a track added later
 * takes that section's place with a new mid (JSEP 5.2.2). */
static void test_remove_and_recycle(void) {
  brtc_datachannel *dc = NULL;
  pp *p = live_call(&dc);
  brtc_track *a1 = pp_add_video(p, 0, BRTC_DIRECTION_SENDONLY);
  negotiate(p, 0);
  pp_run(p, RUN_US);
  CHECK(frames_from(p, 1, 1) > 40);
  uint32_t ssrc = brtc_track_ssrc(a1);
  unsigned needed = p->s[0].negotiation_needed;
  brtc_track_send_stats st = {.size = sizeof st};
  CHECK_EQ_INT(brtc_track_get_send_stats(a1, &st), BRTC_OK);
  uint64_t reports = st.sender_reports_sent;
  CHECK(reports > 0);
  CHECK_EQ_INT(brtc_track_remove(a1, p->now), BRTC_OK);
  CHECK(brtc_track_is_removed(a1));
  pp_drain(p, 0);
  CHECK_EQ_INT(p->s[0].negotiation_needed, needed + 1);
  static const uint8_t frame[4] = {0x10, 0, 0, 0};
  CHECK_EQ_INT(brtc_track_send_frame(a1, p->now, frame, sizeof frame, p->now, 0), BRTC_ERR_STATE);
  CHECK_EQ_INT(brtc_track_set_direction(a1, BRTC_DIRECTION_SENDONLY), BRTC_ERR_STATE);
  pp_run(p, 100000); /* what the pacer held goes, and one last report with BYE */
  uint64_t sent = pp_rtp_sent(p, 0, ssrc);
  CHECK_EQ_INT(brtc_track_get_send_stats(a1, &st), BRTC_OK);
  CHECK(st.sender_reports_sent >= reports + 1 && st.sender_reports_sent <= reports + 2);
  reports = st.sender_reports_sent;
  unsigned got = frames_from(p, 1, 1);
  negotiate(p, 0);
  char secs[256];
  sections(p->offer, secs, sizeof secs);
  CHECK_EQ_STR(secs, "video:0 application:1 video:2(0)");
  sections(p->answer, secs, sizeof secs);
  CHECK_EQ_STR(secs, "video:0 application:1 video:2(0)");
  pp_run(p, RUN_US);
  CHECK_EQ_INT(pp_rtp_sent(p, 0, ssrc), sent); /* no more RTP with its SSRC */
  CHECK_EQ_INT(brtc_track_get_send_stats(a1, &st), BRTC_OK);
  CHECK_EQ_INT(st.sender_reports_sent, reports); /* nor reports */
  CHECK_EQ_INT(frames_from(p, 1, 1), got);
  unsigned before = frames_from(p, 1, 0);
  pp_run(p, RUN_US);
  CHECK(frames_from(p, 1, 0) > before + 40); /* the other track goes on */

  /* Recycled: the stopped section's place, a new mid (the old one is never reused). */
  brtc_track *a2 = pp_add_video(p, 0, BRTC_DIRECTION_SENDONLY);
  negotiate(p, 0);
  sections(p->offer, secs, sizeof secs);
  CHECK_EQ_STR(secs, "video:0 application:1 video:3");
  CHECK_EQ_STR(brtc_track_mid(a2), "3");
  CHECK_EQ_INT(p->s[1].track_events, 2);
  pp_run(p, RUN_US);
  CHECK(frames_from(p, 1, 2) > 40);
  CHECK_EQ_STR(pp_received(p, 1, 2)->mid, "3");
  send_message(p, dc, 1);
  check_clean(p);
  pp_free(p);
}

/* A direction turned off by one side's offer and on again by the other side's. */
static void test_direction(void) {
  brtc_datachannel *dc = NULL;
  pp *p = live_call(&dc);
  brtc_track *a0 = p->s[0].tracks[0], *b0 = p->s[1].tracks[0];
  unsigned needed = p->s[0].negotiation_needed;
  CHECK_EQ_INT(brtc_track_set_direction(a0, BRTC_DIRECTION_RECVONLY), BRTC_OK);
  CHECK_EQ_INT(brtc_track_set_direction(a0, BRTC_DIRECTION_RECVONLY), BRTC_OK);
  CHECK_EQ_INT(brtc_track_set_direction(a0, (brtc_direction)9), BRTC_ERR_INVALID);
  pp_drain(p, 0);
  CHECK_EQ_INT(p->s[0].negotiation_needed, needed + 1); /* once */
  /* JSEP 4.2.3: nothing changes before the exchange. */
  CHECK_EQ_INT(brtc_track_current_direction(a0), BRTC_DIRECTION_SENDRECV);
  negotiate(p, 0);
  CHECK(strstr(p->offer, "a=recvonly") != NULL);
  CHECK_EQ_INT(brtc_track_current_direction(a0), BRTC_DIRECTION_INACTIVE);
  CHECK_EQ_INT(brtc_track_current_direction(b0), BRTC_DIRECTION_SENDONLY);
  pp_run(p, 100000);
  uint64_t sent = pp_rtp_sent(p, 0, brtc_track_ssrc(a0));
  unsigned got = frames_from(p, 1, 0), back = frames_from(p, 0, 0);
  pp_run(p, RUN_US);
  CHECK_EQ_INT(pp_rtp_sent(p, 0, brtc_track_ssrc(a0)), sent);
  CHECK_EQ_INT(frames_from(p, 1, 0), got);
  CHECK(frames_from(p, 0, 0) > back + 40); /* the other way goes on */

  /* On again, the peer offering this time: our answer takes the track back to its section. */
  CHECK_EQ_INT(brtc_track_set_direction(a0, BRTC_DIRECTION_SENDRECV), BRTC_OK);
  negotiate(p, 1);
  CHECK_EQ_INT(brtc_track_current_direction(a0), BRTC_DIRECTION_SENDRECV);
  CHECK_EQ_INT(brtc_track_current_direction(b0), BRTC_DIRECTION_SENDRECV);
  CHECK_EQ_STR(brtc_track_mid(a0), "0");
  pp_run(p, RUN_US);
  fprintf(stderr, "  direction: %u frames before recvonly, %u after sendrecv again\n", got,
          frames_from(p, 1, 0) - got);
  CHECK(frames_from(p, 1, 0) > got + 40);
  check_clean(p);
  pp_free(p);
}

/* Glare (both offer at once) is refused and resolved by a rollback; another certificate
 * in a later offer is refused and changes nothing. */
static void test_errors(void) {
  brtc_datachannel *dc = NULL;
  pp *p = live_call(&dc);
  brtc_pc *a = p->s[0].pc, *b = p->s[1].pc;
  char err[256] = "";
  const char *oa = NULL, *ob = NULL, *answer = NULL;
  pp_add_video(p, 0, BRTC_DIRECTION_SENDONLY);
  pp_add_video(p, 1, BRTC_DIRECTION_SENDONLY);
  CHECK_EQ_INT(brtc_pc_create_offer(a, p->now, &oa, err, sizeof err), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_set_local_description(a, "offer", NULL, p->now, err, sizeof err), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_create_offer(b, p->now, &ob, err, sizeof err), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_set_local_description(b, "offer", NULL, p->now, err, sizeof err), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_set_remote_description(a, "offer", ob, p->now, err, sizeof err),
               BRTC_ERR_STATE);
  CHECK(strstr(err, "both sides offered") != NULL);
  CHECK_EQ_INT(brtc_pc_signaling_state(a), BRTC_SIGNALING_HAVE_LOCAL_OFFER);
  /* The polite side rolls back and answers (W3C perfect negotiation). */
  CHECK_EQ_INT(brtc_pc_set_local_description(a, "rollback", NULL, p->now, err, sizeof err), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_signaling_state(a), BRTC_SIGNALING_STABLE);
  CHECK_EQ_INT(brtc_pc_set_remote_description(a, "offer", ob, p->now, err, sizeof err), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_create_answer(a, &answer, err, sizeof err), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_set_local_description(a, "answer", NULL, p->now, err, sizeof err), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_set_remote_description(b, "answer", answer, p->now, err, sizeof err),
               BRTC_OK);
  pp_drain(p, 0);
  pp_drain(p, 1);
  pp_run(p, RUN_US);
  CHECK(frames_from(p, 0, 1) > 40); /* b's new track came through */
  CHECK_EQ_INT(frames_from(p, 1, 1), 0); /* a's waits for a's own offer */
  negotiate(p, 0);
  pp_run(p, RUN_US);
  CHECK(frames_from(p, 1, 1) > 40);
  /* An answer in stable, a rollback with nothing to roll back. */
  CHECK_EQ_INT(brtc_pc_set_remote_description(a, "answer", answer, p->now, err, sizeof err),
               BRTC_ERR_STATE);
  CHECK_EQ_INT(brtc_pc_set_local_description(a, "rollback", NULL, p->now, err, sizeof err),
               BRTC_ERR_STATE);

  /* An ICE restart (new credentials) is taken since issue 10: test_pc_restart. */
  CHECK_EQ_INT(brtc_pc_create_offer(b, p->now, &ob, err, sizeof err), BRTC_OK);
  /* Another certificate: a later offer cannot move the session to another DTLS peer. */
  char *other = strdup(ob);
  char *fp = strstr(other, "a=fingerprint:sha-256 ");
  CHECK(fp != NULL);
  if (fp) fp[22] = fp[22] == 'A' ? 'B' : 'A';
  CHECK_EQ_INT(brtc_pc_set_remote_description(a, "offer", other, p->now, err, sizeof err),
               BRTC_ERR_UNSUPPORTED);
  CHECK(strstr(err, "fingerprint") != NULL);
  CHECK_EQ_INT(brtc_pc_signaling_state(a), BRTC_SIGNALING_STABLE);
  free(other);
  unsigned before = frames_from(p, 0, 0);
  pp_run(p, RUN_US);
  CHECK(frames_from(p, 0, 0) > before + 40); /* nothing changed */
  CHECK_EQ_INT(brtc_track_remove(NULL, 0), BRTC_ERR_INVALID);
  check_clean(p);
  pp_free(p);
}

/* A call with no data section gets its first data channel (JSEP 5.2.2: a re-offer adds the
 * application section at the end; RFC 8841 and 8261: SCTP starts over the DTLS already
 * up), made by either side, which then also makes the offer: the channel opens on both and
 * carries messages both ways, while the video goes on. */
static void first_channel_live(int creator) {
  pp *p = pp_new();
  pp_add_video(p, 0, BRTC_DIRECTION_SENDRECV);
  pp_add_video(p, 1, BRTC_DIRECTION_SENDRECV);
  negotiate(p, 0);
  pp_run(p, RUN_US);
  CHECK(p->s[0].dtls_connected && p->s[1].dtls_connected);
  char secs[256], err[256] = "";
  sections(p->offer, secs, sizeof secs);
  CHECK_EQ_STR(secs, "video:0");
  unsigned needed = p->s[creator].negotiation_needed;
  brtc_datachannel *dc = NULL;
  CHECK_EQ_INT(brtc_pc_create_datachannel(p->s[creator].pc, p->now, "late", NULL, &dc, err,
                                          sizeof err), BRTC_OK);
  if (!dc) {
    fprintf(stderr, "  %s\n", err);
    pp_free(p);
    return;
  }
  pp_drain(p, creator);
  CHECK_EQ_INT(p->s[creator].negotiation_needed, needed + 1);
  unsigned before = frames_from(p, 1, 0);
  negotiate(p, creator);
  sections(p->offer, secs, sizeof secs);
  CHECK_EQ_STR(secs, "video:0 application:1");
  sections(p->answer, secs, sizeof secs);
  CHECK_EQ_STR(secs, "video:0 application:1");
  pp_run(p, RUN_US);
  CHECK_EQ_INT(brtc_datachannel_get_state(dc), BRTC_DATACHANNEL_OPEN);
  CHECK_EQ_INT(brtc_datachannel_send(dc, p->now, (const uint8_t *)"late hello", 10, false),
               BRTC_OK);
  pp_drain(p, creator);
  pp_run(p, 200000);
  CHECK_EQ_INT(dc_received(p, 1 - creator), 1);
  CHECK(frames_from(p, 1, 0) > before + 40);
  check_clean(p);
  pp_free(p);
}

/* A remote re-offer rolled back (JSEP 4.1.8.2, 5.7): the answerer returns to stable with its
 * tracks as before the offer: no new track, its own track still sending on the section the
 * offer would have made recvonly, frames flowing both ways. The offerer rolls its own offer
 * back too; the same change offered again afterwards is answered as usual. */
static void test_remote_reoffer_rollback(void) {
  brtc_datachannel *dc = NULL;
  pp *p = live_call(&dc);
  brtc_pc *a = p->s[0].pc, *b = p->s[1].pc;
  char err[256] = "";
  const char *offer = NULL;
  size_t tracks_a = brtc_pc_track_count(a);
  brtc_track *b1 = pp_add_video(p, 1, BRTC_DIRECTION_SENDONLY);
  CHECK_EQ_INT(brtc_track_set_direction(p->s[1].tracks[0], BRTC_DIRECTION_SENDONLY), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_create_offer(b, p->now, &offer, err, sizeof err), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_set_local_description(b, "offer", NULL, p->now, err, sizeof err), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_set_remote_description(a, "offer", offer, p->now, err, sizeof err), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_signaling_state(a), BRTC_SIGNALING_HAVE_REMOTE_OFFER);
  CHECK_EQ_INT(brtc_pc_set_remote_description(a, "rollback", NULL, p->now, err, sizeof err),
               BRTC_OK);
  if (err[0]) fprintf(stderr, "  %s\n", err);
  CHECK_EQ_INT(brtc_pc_signaling_state(a), BRTC_SIGNALING_STABLE);
  CHECK_EQ_INT(brtc_pc_set_local_description(b, "rollback", NULL, p->now, err, sizeof err),
               BRTC_OK);
  pp_drain(p, 0);
  pp_drain(p, 1);
  CHECK_EQ_INT(p->s[0].track_events, 0);
  CHECK_EQ_INT(brtc_pc_track_count(a), tracks_a);
  CHECK_EQ_INT(brtc_track_current_direction(p->s[0].tracks[0]), BRTC_DIRECTION_SENDRECV);
  unsigned to_b = frames_from(p, 1, 0), to_a = frames_from(p, 0, 0);
  pp_run(p, RUN_US);
  fprintf(stderr, "  after the rollback: %u frames to the offerer, %u to the answerer\n",
          frames_from(p, 1, 0) - to_b, frames_from(p, 0, 0) - to_a);
  CHECK(frames_from(p, 1, 0) > to_b + 40); /* a still sends on mid 0 */
  CHECK(frames_from(p, 0, 0) > to_a + 40);
  CHECK_EQ_INT(frames_from(p, 0, 1), 0);
  send_message(p, dc, 1);

  /* Offered again, answered: the new track arrives; b only sends on mid 0 now, so a stops. */
  negotiate(p, 1);
  CHECK_EQ_INT(p->s[0].track_events, 1);
  CHECK_EQ_INT(brtc_track_current_direction(b1), BRTC_DIRECTION_SENDONLY);
  CHECK_EQ_INT(brtc_track_current_direction(p->s[0].tracks[0]), BRTC_DIRECTION_INACTIVE);
  pp_run(p, RUN_US);
  CHECK(frames_from(p, 0, 1) > 40);
  check_clean(p);
  pp_free(p);
}

static void test_first_channel_by_offerer(void) { first_channel_live(0); }
static void test_first_channel_by_answerer(void) { first_channel_live(1); }

int main(void) {
  RUN(test_add_both_roles);
  RUN(test_remote_reoffer_rollback);
  RUN(test_first_channel_by_offerer);
  RUN(test_first_channel_by_answerer);
  RUN(test_remove_and_recycle);
  RUN(test_direction);
  RUN(test_errors);
  pp_cleanup();
  return TEST_REPORT();
}
