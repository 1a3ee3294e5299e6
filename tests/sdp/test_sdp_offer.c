/* The offerer's SDP: our offers written and re-parsed (byte for byte against the fixtures
 * Chromium and aiortc answered), the real answers of Chromium and aiortc checked and read,
 * and hand-made bad answers refused, each for its one reason.
 * `test_sdp_offer --write DIR` writes the offers into DIR (how the fixtures were made). */
#include <stdlib.h>
#include <string.h>

#include "sdp/sdp_offer.h"
#include "sdp_fixture.h"
#include "testing.h"

#define OUR_FP                                                                                   \
  "12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:" \
  "DE:F0"
#define EXT_MID "urn:ietf:params:rtp-hdrext:sdes:mid"

enum { OFFER_CAP = 16 * 1024 };

static const char *const our_candidates[] = {
    "candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host",
};

static const brtc_sdp_extmap video_exts[] = {{.id = 4, .uri = EXT_MID}};

/* What a sending video track and a receiving audio track will give the writer (pc-send). */
static brtc_sdp_codec video_codecs[2], audio_codecs[1];

static void init_codecs(void) {
  memset(video_codecs, 0, sizeof video_codecs);
  video_codecs[0] = (brtc_sdp_codec){.payload_type = 96, .name = "VP8", .clock_rate = 90000,
                                     .fb_nack = true, .fb_nack_pli = true, .fb_ccm_fir = true,
                                     .fb_goog_remb = true, .apt = -1};
  video_codecs[1] = (brtc_sdp_codec){.payload_type = 97, .name = "rtx", .clock_rate = 90000,
                                     .apt = 96};
  audio_codecs[0] = (brtc_sdp_codec){.payload_type = 111, .name = "opus", .clock_rate = 48000,
                                     .channels = 2, .fmtp = "minptime=10;useinbandfec=1",
                                     .apt = -1};
}

static brtc_sdp_offer_section data_section(const char *mid) {
  return (brtc_sdp_offer_section){.kind = BRTC_MEDIA_APPLICATION, .mid = mid};
}

static brtc_sdp_offer_section av_sections[3];

static brtc_sdp_offer_params base_params(const brtc_sdp_offer_section *s, size_t n) {
  return (brtc_sdp_offer_params){
      .ice_ufrag = "bRtc",
      .ice_pwd = "0123456789abcdefghijklmn",
      .fingerprint_sha256 = OUR_FP,
      .candidates = our_candidates,
      .n_candidates = 1,
      .end_of_candidates = true,
      .ice_trickle = true,
      .default_address = "127.0.0.1",
      .default_port = 50000,
      .cname = "boltrtc-cname",
      .session_id = 4242,
      .session_version = 1,
      .sections = s,
      .n_sections = n,
  };
}

static const brtc_sdp_offer_section data_only[1] = {{.kind = BRTC_MEDIA_APPLICATION, .mid = "0"}};

/* Audio we receive, video we send (a camera), data channels: the remote camera's offer. */
static brtc_sdp_offer_params av_data_params(void) {
  init_codecs();
  av_sections[0] = (brtc_sdp_offer_section){.kind = BRTC_MEDIA_AUDIO, .mid = "0",
                                            .direction = BRTC_DIR_RECVONLY,
                                            .codecs = audio_codecs, .n_codecs = 1};
  av_sections[1] = (brtc_sdp_offer_section){.kind = BRTC_MEDIA_VIDEO, .mid = "1",
                                            .direction = BRTC_DIR_SENDONLY,
                                            .codecs = video_codecs, .n_codecs = 2,
                                            .extmaps = video_exts, .n_extmaps = 1,
                                            .ssrc = 1111, .rtx_ssrc = 2222};
  av_sections[2] = data_section("2");
  return base_params(av_sections, 3);
}

static char *write_offer(const brtc_sdp_offer_params *p) {
  char *out = malloc(OFFER_CAP);
  char err[200] = "";
  int rc = brtc_sdp_write_offer(p, out, OFFER_CAP, err, sizeof err);
  CHECK_EQ_INT(rc, BRTC_OK);
  if (rc != BRTC_OK) fprintf(stderr, "write offer: %s\n", err);
  return out;
}

static void check_golden(const char *fixture, const char *text) {
  size_t len = 0;
  char *want = read_fixture(fixture, &len);
  CHECK(want != NULL);
  if (!want) return;
  CHECK_EQ_INT(strlen(text), len);
  CHECK(strcmp(text, want) == 0); /* the offer the peers answered is the one we write */
  free(want);
}

static brtc_sdp *parse_ok(const char *text) {
  char err[200] = "";
  int rc;
  brtc_sdp *s = parse_text(text, strlen(text), &rc, err, sizeof err);
  CHECK_EQ_INT(rc, BRTC_OK);
  if (rc != BRTC_OK) fprintf(stderr, "parse: %s\n", err);
  return s;
}

static void test_offer_data(void) {
  brtc_sdp_offer_params p = base_params(data_only, 1);
  char *text = write_offer(&p);
  check_golden("boltrtc_offer_data.sdp", text);
  brtc_sdp *s = parse_ok(text);
  CHECK_EQ_INT(s->n_media, 1);
  CHECK_EQ_INT(s->n_bundle_mids, 1);
  CHECK_STR(s->bundle_mids[0], "0");
  const brtc_sdp_media *m = &s->media[0];
  CHECK_EQ_INT(m->kind, BRTC_MEDIA_APPLICATION);
  CHECK_STR(m->proto, "UDP/DTLS/SCTP");
  CHECK_STR(m->first_fmt, "webrtc-datachannel");
  CHECK_EQ_INT(m->port, 50000);
  CHECK_EQ_INT(m->sctp_port, 5000);
  CHECK(m->has_max_message_size && m->max_message_size == 262144);
  CHECK_EQ_INT(brtc_sdp_setup_of(s, m), BRTC_SETUP_ACTPASS);
  CHECK_STR(brtc_sdp_ice_ufrag(s, m), "bRtc");
  CHECK_EQ_INT(m->n_candidates, 1);
  CHECK(strstr(text, "\r\na=end-of-candidates\r\n") && strstr(text, "a=ice-options:trickle"));
  CHECK(!s->ice_lite && !strstr(text, "rtcp-mux")); /* RFC 8841: no RTCP on SCTP */
  brtc_sdp_free(s);
  free(text);
}

static void test_offer_av_data(void) {
  brtc_sdp_offer_params p = av_data_params();
  char *text = write_offer(&p);
  check_golden("boltrtc_offer_av_data.sdp", text);
  brtc_sdp *s = parse_ok(text);
  CHECK_EQ_INT(s->n_media, 3);
  CHECK_EQ_INT(s->n_bundle_mids, 3);
  const brtc_sdp_media *a = &s->media[0], *v = &s->media[1];
  CHECK(a->kind == BRTC_MEDIA_AUDIO && a->direction == BRTC_DIR_RECVONLY && a->n_ssrcs == 0);
  CHECK(a->rtcp_mux && a->rtcp_rsize && a->n_codecs == 1 && a->codecs[0].channels == 2);
  CHECK(v->kind == BRTC_MEDIA_VIDEO && v->direction == BRTC_DIR_SENDONLY);
  CHECK(v->rtcp_mux && v->rtcp_rsize && v->n_codecs == 2);
  CHECK(v->codecs[0].fb_nack && v->codecs[0].fb_nack_pli && v->codecs[0].fb_goog_remb);
  CHECK_EQ_INT(v->codecs[1].apt, 96);
  CHECK(v->fid_media_ssrc == 1111 && v->fid_rtx_ssrc == 2222);
  CHECK_EQ_INT(v->n_extmaps, 1);
  CHECK(strstr(text, "a=msid:boltrtc boltrtc-1\r\n") && strstr(text, "msid-semantic"));
  for (size_t i = 0; i < 3; i++) {
    CHECK_STR(s->media[i].mid, av_sections[i].mid);
    CHECK_EQ_INT(brtc_sdp_setup_of(s, &s->media[i]), BRTC_SETUP_ACTPASS);
  }
  brtc_sdp_free(s);
  free(text);
}

/* Bad params are refused with a reason, never written. */
static void test_offer_bad_params(void) {
  char out[4096], err[200];
  brtc_sdp_offer_section twice[2] = {data_section("a"), data_section("a")};
  brtc_sdp_offer_params p = base_params(twice, 2);
  CHECK_EQ_INT(brtc_sdp_write_offer(&p, out, sizeof out, err, sizeof err), BRTC_ERR_INVALID);
  CHECK(strstr(err, "used twice") != NULL);
  p = base_params(data_only, 0);
  CHECK_EQ_INT(brtc_sdp_write_offer(&p, out, sizeof out, err, sizeof err), BRTC_ERR_INVALID);
  brtc_sdp_offer_section nocodec = {.kind = BRTC_MEDIA_VIDEO, .mid = "v"};
  p = base_params(&nocodec, 1);
  CHECK_EQ_INT(brtc_sdp_write_offer(&p, out, sizeof out, err, sizeof err), BRTC_ERR_INVALID);
  CHECK(strstr(err, "codecs needed") != NULL);
  brtc_sdp_offer_section crlf = data_section("x\r\na=evil");
  p = base_params(&crlf, 1);
  CHECK_EQ_INT(brtc_sdp_write_offer(&p, out, sizeof out, err, sizeof err), BRTC_ERR_INVALID);
  p = base_params(data_only, 1);
  CHECK_EQ_INT(brtc_sdp_write_offer(&p, out, 100, err, sizeof err), BRTC_ERR_TOO_BIG);
  CHECK_EQ_INT(out[0], '\0');
}

typedef struct checked {
  int rc;
  char err[200];
  brtc_sdp_answered answered[BRTC_SDP_MAX_MEDIA];
  brtc_sdp_answer_transport t;
  brtc_sdp *answer;
} checked;

static checked *check_text(const brtc_sdp_offer_params *p, const char *text) {
  checked *c = calloc(1, sizeof *c);
  int rc;
  c->answer = parse_text(text, strlen(text), &rc, c->err, sizeof c->err);
  c->rc = rc;
  if (rc == BRTC_OK)
    c->rc = brtc_sdp_check_answer(p, c->answer, c->answered, &c->t, c->err, sizeof c->err);
  return c;
}

static void checked_free(checked *c) {
  brtc_sdp_free(c->answer);
  free(c);
}

static checked *check_fixture(const brtc_sdp_offer_params *p, const char *name) {
  size_t len = 0;
  char *text = read_fixture(name, &len);
  CHECK(text != NULL);
  checked *c = check_text(p, text ? text : "");
  free(text);
  CHECK_EQ_INT(c->rc, BRTC_OK);
  if (c->rc != BRTC_OK) fprintf(stderr, "%s: %s\n", name, c->err);
  return c;
}

static void check_data_answer(const checked *c, size_t i, uint32_t max_message) {
  const brtc_sdp_answered *a = &c->answered[i];
  CHECK(a->neg.accepted && a->neg.kind == BRTC_MEDIA_APPLICATION);
  CHECK_EQ_INT(a->sctp_port, 5000);
  CHECK(a->has_max_message_size && a->max_message_size == max_message);
}

/* Chromium picks DTLS active (RFC 8842 5.2 lets it) and accepts every section; with no
 * track of its own it answers our receive-only audio inactive. */
static void test_chromium_answers(void) {
  brtc_sdp_offer_params p = base_params(data_only, 1);
  checked *c = check_fixture(&p, "chromium_answer_data.sdp");
  check_data_answer(c, 0, 262144);
  CHECK_EQ_INT(c->t.setup, BRTC_SETUP_ACTIVE);
  CHECK(c->t.section == 0 && !c->t.ice_lite && strlen(c->t.ice_ufrag) >= 4);
  CHECK_EQ_INT(c->answer->media[0].n_candidates, 0); /* Chromium trickles every candidate */
  checked_free(c);

  p = av_data_params();
  c = check_fixture(&p, "chromium_answer_av_data.sdp");
  CHECK_EQ_INT(c->t.setup, BRTC_SETUP_ACTIVE);
  const brtc_sdp_answered *a = &c->answered[0], *v = &c->answered[1];
  CHECK(a->neg.accepted && a->neg.payload_type == 111 && a->direction == BRTC_DIR_INACTIVE);
  CHECK(v->neg.accepted && v->neg.payload_type == 96 && v->neg.rtx_payload_type == 97);
  CHECK(v->direction == BRTC_DIR_RECVONLY && v->neg.ext_mid == 4);
  check_data_answer(c, 2, 262144);
  checked_free(c);
}

/* aiortc 1.4 also answers active, with its candidates, and max-message-size 65536. */
static void test_aiortc_answers(void) {
  brtc_sdp_offer_params p = base_params(data_only, 1);
  checked *c = check_fixture(&p, "aiortc_answer_data.sdp");
  check_data_answer(c, 0, 65536);
  CHECK_EQ_INT(c->t.setup, BRTC_SETUP_ACTIVE);
  checked_free(c);

  p = av_data_params();
  c = check_fixture(&p, "aiortc_answer_av_data.sdp");
  const brtc_sdp_answered *a = &c->answered[0], *v = &c->answered[1];
  CHECK(a->neg.accepted && a->neg.payload_type == 111 && a->direction == BRTC_DIR_INACTIVE);
  CHECK(v->neg.accepted && v->neg.payload_type == 96 && v->direction == BRTC_DIR_RECVONLY);
  CHECK_EQ_INT(c->answer->media[2].n_candidates, 1); /* aiortc gathers before answering */
  check_data_answer(c, 2, 65536);
  checked_free(c);
}

/* Replaces the first `from` in text (a copy, caller frees); NULL if absent. */
static char *replace(const char *text, const char *from, const char *to) {
  const char *at = strstr(text, from);
  if (!at) return NULL;
  size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
  char *out = malloc(n);
  snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
  return out;
}

typedef struct bad_answer {
  const char *why;   /* the one line the test stands for */
  const char *from, *to;
  int rc;
  const char *err;   /* a part of the reason given */
} bad_answer;

/* Each a real Chromium answer to our audio/video/data offer, broken in one place. */
static const bad_answer bad_answers[] = {
    {"an answer must pick a DTLS role, not actpass", "a=setup:active", "a=setup:actpass",
     BRTC_ERR_PARSE, "a=setup:actpass"},
    {"the sections disagree on the DTLS role", "a=setup:active\r\na=mid:2",
     "a=setup:passive\r\na=mid:2", BRTC_ERR_PARSE, "its BUNDLE tag says active"},
    {"a section's mid must be the offer's", "a=mid:1", "a=mid:7", BRTC_ERR_PARSE,
     "a=mid 7, the offer's is 1"},
    {"a payload type we never offered", "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
     "m=video 9 UDP/TLS/RTP/SAVPF 96 97 100\r\na=rtpmap:100 H264/90000", BRTC_ERR_PARSE,
     "payload type 100 (H264/90000) is not one we offered"},
    {"an offered payload type renamed", "a=rtpmap:96 VP8/90000", "a=rtpmap:96 VP9/90000",
     BRTC_ERR_PARSE, "payload type 96 (VP9/90000)"},
    {"sections out of order: the kinds swap", "m=audio", "m=video", BRTC_ERR_PARSE,
     "m-section 0 is video, the offer's is audio"},
    {"a sendonly offer answered sendonly", "a=recvonly", "a=sendonly", BRTC_ERR_PARSE,
     "sendonly answers an offer of sendonly"},
    {"no BUNDLE group with three sections accepted", "a=group:BUNDLE 0 1 2", "a=x-nobundle",
     BRTC_ERR_UNSUPPORTED, "without a=group:BUNDLE"},
    {"BUNDLE names a mid we did not offer", "a=group:BUNDLE 0 1 2", "a=group:BUNDLE 0 1 2 9",
     BRTC_ERR_PARSE, "names mid 9, which we did not offer"},
    {"a section accepted outside the group", "a=group:BUNDLE 0 1 2", "a=group:BUNDLE 0 1",
     BRTC_ERR_UNSUPPORTED, "mid 2) is accepted outside the BUNDLE group"},
    {"a fingerprint with another hash", "a=fingerprint:sha-256", "a=fingerprint:sha-1",
     BRTC_ERR_UNSUPPORTED, "sha-256 needed"},
    {"no rtcp-mux on an RTP section", "a=rtcp-mux\r\n", "", BRTC_ERR_UNSUPPORTED,
     "no a=rtcp-mux"},
    {"the data section's proto changed", "m=application 9 UDP/DTLS/SCTP",
     "m=application 9 DTLS/SCTP", BRTC_ERR_PARSE, "proto DTLS/SCTP, the offer's is UDP/DTLS/SCTP"},
    {"a header extension we did not offer", "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
     "a=extmap:5 urn:ietf:params:rtp-hdrext:sdes:mid", BRTC_ERR_PARSE,
     "header extension 5 urn:ietf:params:rtp-hdrext:sdes:mid was not offered"},
};

static void test_bad_answers(void) {
  brtc_sdp_offer_params p = av_data_params();
  size_t len = 0;
  char *good = read_fixture("chromium_answer_av_data.sdp", &len);
  CHECK(good != NULL);
  if (!good) return;
  for (size_t i = 0; i < sizeof bad_answers / sizeof bad_answers[0]; i++) {
    const bad_answer *b = &bad_answers[i];
    char *text = replace(good, b->from, b->to);
    CHECK(text != NULL);
    if (!text) {
      fprintf(stderr, "bad answer %zu (%s): \"%s\" not in the fixture\n", i, b->why, b->from);
      continue;
    }
    checked *c = check_text(&p, text);
    CHECK_EQ_INT(c->rc, b->rc);
    CHECK(strstr(c->err, b->err) != NULL);
    if (c->rc != b->rc || !strstr(c->err, b->err))
      fprintf(stderr, "bad answer %zu (%s): rc %d, \"%s\"\n", i, b->why, c->rc, c->err);
    checked_free(c);
    free(text);
  }
  free(good);
}

/* Answers made by hand from the data-only one: what is missing or too much. */
static void test_bad_answer_shapes(void) {
  brtc_sdp_offer_params p = base_params(data_only, 1);
  size_t len = 0;
  char *good = read_fixture("chromium_answer_data.sdp", &len);
  CHECK(good != NULL);
  if (!good) return;
  struct { const char *why, *from, *to, *err; int rc; } cases[] = {
      {"a second section the offer did not have", "a=sctp-port",
       "a=x\r\nm=audio 0 UDP/TLS/RTP/SAVPF 0\r\na=sctp-port", "answer has 2 m-sections, the offer had 1",
       BRTC_ERR_PARSE},
      {"the only section rejected", "m=application 9", "m=application 0",
       "rejects every m-section", BRTC_ERR_UNSUPPORTED},
      {"no DTLS role at all", "a=setup:active\r\n", "", "a=setup:none", BRTC_ERR_PARSE},
      {"no ICE password", "a=ice-pwd:", "a=x-ice-pwd:", "no a=ice-ufrag or a=ice-pwd",
       BRTC_ERR_PARSE},
      {"no fingerprint", "a=fingerprint:", "a=x-fingerprint:", "no a=fingerprint", BRTC_ERR_PARSE},
      {"another format than webrtc-datachannel", "UDP/DTLS/SCTP webrtc-datachannel",
       "UDP/DTLS/SCTP 5000", "format 5000, not webrtc-datachannel", BRTC_ERR_PARSE},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *text = replace(good, cases[i].from, cases[i].to);
    CHECK(text != NULL);
    if (!text) continue;
    checked *c = check_text(&p, text);
    CHECK_EQ_INT(c->rc, cases[i].rc);
    CHECK(strstr(c->err, cases[i].err) != NULL);
    if (c->rc != cases[i].rc || !strstr(c->err, cases[i].err))
      fprintf(stderr, "shape %zu (%s): rc %d, \"%s\"\n", i, cases[i].why, c->rc, c->err);
    checked_free(c);
    free(text);
  }
  /* A rejected data section with port 0 is fine beside an accepted one. */
  brtc_sdp_offer_params av = av_data_params();
  char *avgood = read_fixture("chromium_answer_av_data.sdp", &len);
  char *text = avgood ? replace(avgood, "m=application 9", "m=application 0") : NULL;
  char *text2 = text ? replace(text, "a=group:BUNDLE 0 1 2", "a=group:BUNDLE 0 1") : NULL;
  CHECK(text2 != NULL);
  if (text2) {
    checked *c = check_text(&av, text2);
    CHECK_EQ_INT(c->rc, BRTC_OK);
    CHECK(!c->answered[2].neg.accepted && c->answered[1].neg.accepted);
    checked_free(c);
  }
  free(text2);
  free(text);
  free(avgood);
  free(good);
}

/* A later offer's stopped section (RFC 8829 5.2.2): port 0, its mid, inactive, outside the
 * BUNDLE group; an answer must reject it too. */
static void test_offer_stopped_section(void) {
  brtc_sdp_offer_params p = av_data_params();
  av_sections[1].stopped = true;
  av_sections[1].ssrc = av_sections[1].rtx_ssrc = 0;
  char *text = write_offer(&p);
  brtc_sdp *s = parse_ok(text);
  CHECK_EQ_INT(s->n_media, 3);
  CHECK_EQ_INT(s->media[1].port, 0);
  CHECK_STR(s->media[1].mid, "1");
  CHECK_EQ_INT(s->media[1].direction, BRTC_DIR_INACTIVE);
  CHECK_EQ_INT(s->n_bundle_mids, 2);
  CHECK(strstr(text, "a=group:BUNDLE 0 2\r\n") != NULL);
  CHECK(s->media[0].port != 0 && s->media[2].port != 0);
  brtc_sdp_free(s);
  free(text);
  size_t len = 0;
  char *accepted = read_fixture("chromium_answer_av_data.sdp", &len);
  CHECK(accepted != NULL);
  if (!accepted) return;
  checked *c = check_text(&p, accepted);
  CHECK_EQ_INT(c->rc, BRTC_ERR_PARSE);
  CHECK(strstr(c->err, "accepts a section the offer stopped") != NULL);
  checked_free(c);
  char *rejected = replace(accepted, "m=video 9", "m=video 0");
  char *regrouped = rejected ? replace(rejected, "a=group:BUNDLE 0 1 2", "a=group:BUNDLE 0 2") : NULL;
  CHECK(regrouped != NULL);
  if (regrouped) {
    c = check_text(&p, regrouped);
    CHECK_EQ_INT(c->rc, BRTC_OK);
    CHECK(c->answered[0].neg.accepted && !c->answered[1].neg.accepted &&
          c->answered[2].neg.accepted);
    checked_free(c);
  }
  free(regrouped);
  free(rejected);
  free(accepted);
}

static int write_fixtures(const char *dir) {
  char path[512];
  struct { const char *name; brtc_sdp_offer_params p; } offers[] = {
      {"boltrtc_offer_data.sdp", base_params(data_only, 1)},
      {"boltrtc_offer_av_data.sdp", av_data_params()},
  };
  for (size_t i = 0; i < 2; i++) {
    char *text = write_offer(&offers[i].p);
    snprintf(path, sizeof path, "%s/%s", dir, offers[i].name);
    FILE *f = fopen(path, "wb");
    if (!f) return 1;
    fputs(text, f);
    fclose(f);
    free(text);
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--write") == 0) return write_fixtures(argv[2]);
  RUN(test_offer_data);
  RUN(test_offer_av_data);
  RUN(test_offer_stopped_section);
  RUN(test_offer_bad_params);
  RUN(test_chromium_answers);
  RUN(test_aiortc_answers);
  RUN(test_bad_answers);
  RUN(test_bad_answer_shapes);
  return TEST_REPORT();
}
