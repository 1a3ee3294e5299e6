/* brtc_pc_get_stats_report (include/boltrtc/stats.h): two boltrtc pcs in memory send each
 * other VP8-shaped frames and data channel messages; then each one's report is read against
 * the other's and against what the test itself sent: outbound packets and bytes equal the
 * peer's inbound ones, frames equal what was sent and received, the round trip appears from
 * the peer's receiver reports (remote-inbound-rtp), the ids entries name lead to entries of
 * the right type, and the JSON parses (cJSON) to the same values. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/datachannel.h"
#include "boltrtc/error.h"
#include "boltrtc/stats.h"
#include "pc_pair.h"
#include "testing.h"

#define LABEL "chat \"quoted\" \\ and\ttab"

static uint64_t u64(const brtc_stats_report *r, size_t i, const char *name) {
  uint64_t v = UINT64_MAX;
  int rc = brtc_stats_get_u64(r, i, name, &v);
  if (rc != BRTC_OK) fprintf(stderr, "  %s.%s: %s\n", brtc_stats_id(r, i), name, brtc_strerror(rc));
  CHECK_EQ_INT(rc, BRTC_OK);
  return v;
}

static double dbl(const brtc_stats_report *r, size_t i, const char *name) {
  double v = -1;
  CHECK_EQ_INT(brtc_stats_get_double(r, i, name, &v), BRTC_OK);
  return v;
}

/* The entry an id member names, checked to be of `type`. */
static size_t follow(const brtc_stats_report *r, size_t i, const char *member, const char *type) {
  const char *id = brtc_stats_get_string(r, i, member);
  CHECK(id != NULL);
  size_t k = brtc_stats_find_id(r, id);
  CHECK(k != SIZE_MAX);
  if (k != SIZE_MAX) CHECK_EQ_STR(brtc_stats_type(r, k), type);
  return k;
}

static size_t only(const brtc_stats_report *r, const char *type) {
  size_t i = brtc_stats_find_type(r, type, SIZE_MAX);
  CHECK(i != SIZE_MAX);
  CHECK_EQ_INT(brtc_stats_find_type(r, type, i), SIZE_MAX);
  return i;
}

/* Every entry of the JSON has the accessors' id, type and members, numbers equal. */
static void check_json(brtc_stats_report *r) {
  const char *text = brtc_stats_json(r);
  CHECK(text != NULL);
  CHECK(text == brtc_stats_json(r)); /* made once */
  cJSON *root = cJSON_Parse(text);
  CHECK(root != NULL && cJSON_IsArray(root));
  if (!root) return;
  CHECK_EQ_INT(cJSON_GetArraySize(root), brtc_stats_count(r));
  for (size_t i = 0; i < brtc_stats_count(r); i++) {
    cJSON *e = cJSON_GetArrayItem(root, (int)i);
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "id")),
                 brtc_stats_id(r, i));
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "type")),
                 brtc_stats_type(r, i));
    CHECK_EQ_INT(cJSON_GetArraySize(e), brtc_stats_member_count(r, i) + 2);
    for (size_t k = 0; k < brtc_stats_member_count(r, i); k++) {
      const char *name = brtc_stats_member_name(r, i, k);
      cJSON *m = cJSON_GetObjectItemCaseSensitive(e, name);
      CHECK(m != NULL);
      double d;
      const char *s = brtc_stats_get_string(r, i, name);
      if (s) CHECK_EQ_STR(cJSON_GetStringValue(m), s);
      else if (brtc_stats_get_double(r, i, name, &d) == BRTC_OK)
        CHECK(cJSON_IsNumber(m) && cJSON_GetNumberValue(m) == d);
      else CHECK(cJSON_IsBool(m));
    }
  }
  cJSON_Delete(root);
}

static void test_fresh_pc(void) {
  pp *p = pp_new();
  brtc_stats_report *r = NULL;
  CHECK_EQ_INT(brtc_pc_get_stats_report(NULL, 0, &r), BRTC_ERR_INVALID);
  CHECK_EQ_INT(brtc_pc_get_stats_report(p->s[0].pc, 2500, &r), BRTC_OK);
  size_t t = only(r, "transport");
  CHECK_EQ_STR(brtc_stats_get_string(r, t, "dtlsState"), "new");
  CHECK(dbl(r, t, "timestamp") == 2.5);
  CHECK_EQ_INT(brtc_stats_find_type(r, "inbound-rtp", SIZE_MAX), SIZE_MAX);
  /* Accessors: a missing member, the wrong kind, past the count. */
  uint64_t v;
  CHECK_EQ_INT(brtc_stats_get_u64(r, t, "noSuchMember", &v), BRTC_ERR_NOT_FOUND);
  CHECK_EQ_INT(brtc_stats_get_u64(r, t, "dtlsState", &v), BRTC_ERR_INVALID);
  CHECK(brtc_stats_get_string(r, t, "bytesSent") == NULL);
  CHECK_EQ_INT(brtc_stats_get_u64(r, 999, "bytesSent", &v), BRTC_ERR_NOT_FOUND);
  CHECK(brtc_stats_type(r, 999) == NULL && brtc_stats_id(r, 999) == NULL);
  check_json(r);
  brtc_stats_free(r);
  brtc_stats_free(NULL);
  pp_free(p);
}

/* Both directions of one side's track: what w sent (outbound-rtp, and remote-inbound-rtp
 * from the peer's reports) against what the other side received (inbound-rtp). */
static void check_direction(pp *p, brtc_stats_report *rep[2], int w) {
  brtc_stats_report *out = rep[w], *in = rep[1 - w];
  size_t o = only(out, "outbound-rtp"), i = only(in, "inbound-rtp");
  uint32_t ssrc = brtc_track_ssrc(p->s[w].tracks[0]);
  CHECK_EQ_INT(u64(out, o, "ssrc"), ssrc);
  CHECK_EQ_INT(u64(in, i, "ssrc"), ssrc);
  CHECK_EQ_STR(brtc_stats_get_string(out, o, "kind"), "video");
  CHECK_EQ_STR(brtc_stats_get_string(out, o, "mid"), brtc_stats_get_string(in, i, "mid"));
  uint64_t packets = u64(out, o, "packetsSent"), bytes = u64(out, o, "bytesSent");
  fprintf(stderr, "  side %d: %llu packets, %llu bytes, %u frames sent\n", w,
          (unsigned long long)packets, (unsigned long long)bytes, p->s[w].sent[0]);
  CHECK(packets > 100 && bytes > 100000);
  CHECK_EQ_INT(u64(in, i, "packetsReceived"), packets);
  CHECK_EQ_INT(u64(in, i, "bytesReceived"), bytes);
  CHECK_EQ_INT(u64(out, o, "framesSent"), p->s[w].sent[0]);
  CHECK_EQ_INT(u64(in, i, "framesReceived"), p->s[w].sent[0]);
  CHECK_EQ_INT(u64(in, i, "framesReceived"), pp_received(p, 1 - w, 0)->frames);
  CHECK_EQ_INT(u64(in, i, "frameWidth"), 320);
  CHECK_EQ_INT(u64(out, o, "keyFramesEncoded"), (p->s[w].sent[0] + 29) / 30);
  int64_t lost = -1;
  CHECK_EQ_INT(brtc_stats_get_i64(in, i, "packetsLost", &lost), BRTC_OK);
  CHECK_EQ_INT(lost, 0);
  CHECK(u64(out, o, "headerBytesSent") >= 12 * packets);
  CHECK_EQ_INT(u64(out, o, "retransmittedPacketsSent"), 0);
  bool active = false;
  CHECK_EQ_INT(brtc_stats_get_bool(out, o, "active", &active), BRTC_OK);
  CHECK(active);
  /* The codec both name: VP8 at 90 kHz, on the payload type the answer chose. */
  size_t c = follow(out, o, "codecId", "codec"), ci = follow(in, i, "codecId", "codec");
  CHECK_EQ_STR(brtc_stats_get_string(out, c, "mimeType"), "video/VP8");
  CHECK_EQ_STR(brtc_stats_get_string(in, ci, "mimeType"), "video/VP8");
  CHECK_EQ_INT(u64(out, c, "clockRate"), 90000);
  CHECK_EQ_INT(u64(out, c, "payloadType"), (uint64_t)brtc_track_payload_type(p->s[w].tracks[0]));
  follow(out, o, "transportId", "transport");
  /* The peer's receiver reports: nothing lost, a round trip of about 2 ms (1 ms each way
   * on the simulated link, plus what the report waited, which DLSR takes out). */
  size_t ri = follow(out, o, "remoteId", "remote-inbound-rtp");
  CHECK_EQ_INT(follow(out, ri, "localId", "outbound-rtp"), o);
  CHECK_EQ_INT(u64(out, ri, "ssrc"), ssrc);
  CHECK_EQ_INT(brtc_stats_get_i64(out, ri, "packetsLost", &lost), BRTC_OK);
  CHECK_EQ_INT(lost, 0);
  CHECK(dbl(out, ri, "fractionLost") == 0.0);
  double rtt = dbl(out, ri, "roundTripTime");
  fprintf(stderr, "  side %d: roundTripTime %.4f s over %llu measurements\n", w, rtt,
          (unsigned long long)u64(out, ri, "roundTripTimeMeasurements"));
  CHECK(rtt >= 0.0019 && rtt <= 0.0025);
  CHECK(u64(out, ri, "roundTripTimeMeasurements") >= 2);
  CHECK(dbl(out, ri, "totalRoundTripTime") >= rtt);
}

static void check_transport(pp *p, brtc_stats_report *r, int w) {
  size_t t = only(r, "transport");
  CHECK_EQ_STR(brtc_stats_get_string(r, t, "dtlsState"), "connected");
  CHECK_EQ_STR(brtc_stats_get_string(r, t, "iceRole"), w == 0 ? "controlling" : "controlled");
  CHECK_EQ_STR(brtc_stats_get_string(r, t, "iceLocalUsernameFragment"),
               brtc_pc_local_ufrag(p->s[w].pc));
  CHECK(brtc_stats_get_string(r, t, "srtpCipher") != NULL);
  CHECK(brtc_stats_get_string(r, t, "dtlsCipher") != NULL);
  size_t pair = follow(r, t, "selectedCandidatePairId", "candidate-pair");
  bool nominated = false;
  CHECK_EQ_INT(brtc_stats_get_bool(r, pair, "nominated", &nominated), BRTC_OK);
  CHECK(nominated);
  CHECK_EQ_STR(brtc_stats_get_string(r, pair, "state"), "succeeded");
  CHECK_EQ_INT(u64(r, pair, "bytesSent"), u64(r, t, "bytesSent"));
  size_t lc = follow(r, pair, "localCandidateId", "local-candidate");
  size_t rc = follow(r, pair, "remoteCandidateId", "remote-candidate");
  CHECK_EQ_STR(brtc_stats_get_string(r, lc, "address"), "127.0.0.1");
  CHECK_EQ_INT(u64(r, lc, "port"), w == 0 ? 5000 : 6000);
  CHECK_EQ_INT(u64(r, rc, "port"), w == 0 ? 6000 : 5000);
  CHECK_EQ_STR(brtc_stats_get_string(r, lc, "candidateType"), "host");
}

static void test_call(void) {
  pp *p = pp_new();
  pp_add_video(p, 0, BRTC_DIRECTION_SENDRECV);
  pp_add_video(p, 1, BRTC_DIRECTION_SENDRECV);
  brtc_datachannel *dc = NULL;
  char err[256] = "";
  CHECK_EQ_INT(brtc_pc_create_datachannel(p->s[0].pc, p->now, LABEL, NULL, &dc, err, sizeof err),
               BRTC_OK);
  CHECK_EQ_INT(pp_negotiate(p, 0, err, sizeof err), BRTC_OK);
  pp_run(p, 3000000);
  CHECK(p->s[0].dtls_connected && p->s[1].dtls_connected);
  CHECK_EQ_INT(brtc_datachannel_get_state(dc), BRTC_DATACHANNEL_OPEN);
  static const char *const msgs[] = {"one", "two two", "three three three"};
  for (size_t i = 0; i < 3; i++)
    CHECK_EQ_INT(brtc_datachannel_send(dc, p->now, (const uint8_t *)msgs[i], strlen(msgs[i]),
                                       false), BRTC_OK);
  pp_drain(p, 0);
  /* Frames stop; what is in flight lands, and two more rounds of receiver reports come. */
  p->s[0].paused[0] = p->s[1].paused[0] = true;
  pp_run(p, 2500000);
  CHECK_EQ_INT(p->s[0].frames_bad + p->s[1].frames_bad, 0);
  brtc_stats_report *rep[2];
  for (int w = 0; w < 2; w++)
    CHECK_EQ_INT(brtc_pc_get_stats_report(p->s[w].pc, p->now, &rep[w]), BRTC_OK);
  for (int w = 0; w < 2; w++) {
    check_transport(p, rep[w], w);
    check_direction(p, rep, w);
    check_json(rep[w]);
  }
  /* The channel, seen from both ends, and the JSON's escaping of its label. */
  size_t d0 = only(rep[0], "data-channel"), d1 = only(rep[1], "data-channel");
  CHECK_EQ_STR(brtc_stats_get_string(rep[0], d0, "label"), LABEL);
  CHECK_EQ_STR(brtc_stats_get_string(rep[1], d1, "label"), LABEL);
  CHECK_EQ_STR(brtc_stats_get_string(rep[0], d0, "state"), "open");
  CHECK_EQ_INT(u64(rep[0], d0, "messagesSent"), 3);
  CHECK_EQ_INT(u64(rep[1], d1, "messagesReceived"), 3);
  CHECK_EQ_INT(u64(rep[0], d0, "bytesSent"), 3 + 7 + 17);
  CHECK_EQ_INT(u64(rep[1], d1, "bytesReceived"), 3 + 7 + 17);
  CHECK_EQ_INT(u64(rep[0], d0, "dataChannelIdentifier"), u64(rep[1], d1, "dataChannelIdentifier"));
  CHECK_EQ_INT(u64(rep[0], only(rep[0], "peer-connection"), "dataChannelsOpened"), 1);
  cJSON *root = cJSON_Parse(brtc_stats_json(rep[1]));
  cJSON *e = cJSON_GetArrayItem(root, (int)d1);
  CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "label")), LABEL);
  cJSON_Delete(root);
  /* A report is a snapshot that outlives its pc. */
  brtc_pc_free(p->s[1].pc);
  p->s[1].pc = NULL;
  CHECK_EQ_INT(brtc_stats_count(rep[1]) > 5, 1);
  CHECK(brtc_stats_json(rep[1]) != NULL);
  brtc_stats_free(rep[0]);
  brtc_stats_free(rep[1]);
  pp_free(p);
}

int main(void) {
  RUN(test_fresh_pc);
  RUN(test_call);
  pp_cleanup();
  return TEST_REPORT();
}
