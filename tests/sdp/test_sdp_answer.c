/* SDP answers to real browser offers, re-parsed; offer checks, setup roles, directions. */
#include <stdlib.h>
#include <string.h>

#include "sdp_fixture.h"
#include "testing.h"

#define EXT_MID "urn:ietf:params:rtp-hdrext:sdes:mid"
#define EXT_AST "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
#define EXT_TCC "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
#define OUR_FP                                                                                   \
  "12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:" \
  "DE:F0"

static const char *const our_candidates[] = {
    "candidate:1 1 udp 2130706431 192.0.2.10 50000 typ host",
    "2 1 tcp 1694498815 192.0.2.10 50001 typ host tcptype passive", /* prefix added for us */
};

static brtc_sdp_answer_params default_params(void) {
  brtc_sdp_answer_params p = {
      .ice_ufrag = "bRtc",
      .ice_pwd = "0123456789abcdefghijklmn",
      .fingerprint_sha256 = OUR_FP,
      .setup = BRTC_SETUP_PASSIVE,
      .candidates = our_candidates,
      .n_candidates = 2,
      .ice_lite = true,
      .accept_video = true,
      .accept_audio = true,
      .cname = "boltrtc-cname",
      .session_id = 4242,
      .session_version = 2,
  };
  return p;
}

enum { ANSWER_CAP = 32 * 1024 };

typedef struct answer_result {
  int rc;
  char text[ANSWER_CAP];
  char err[200];
  brtc_sdp_negotiated neg[BRTC_SDP_MAX_MEDIA];
} answer_result;

/* Parses offer text and answers it; *offer_out receives the parsed offer (caller frees). */
static answer_result *answer_text(const char *offer_text, size_t len,
                                  const brtc_sdp_answer_params *p, brtc_sdp **offer_out) {
  answer_result *r = calloc(1, sizeof *r);
  int rc;
  brtc_sdp *offer = parse_text(offer_text, len, &rc, r->err, sizeof r->err);
  CHECK_EQ_INT(rc, BRTC_OK);
  if (rc != BRTC_OK) fprintf(stderr, "offer parse: %s\n", r->err);
  r->rc = brtc_sdp_write_answer(offer, p, r->text, sizeof r->text, r->neg, r->err,
                                sizeof r->err);
  if (offer_out)
    *offer_out = offer;
  else
    brtc_sdp_free(offer);
  return r;
}

static answer_result *answer_fixture(const char *name, const brtc_sdp_answer_params *p,
                                     brtc_sdp **offer_out) {
  size_t len = 0;
  char *text = read_fixture(name, &len);
  CHECK(text != NULL);
  if (!text) return calloc(1, sizeof(answer_result));
  answer_result *r = answer_text(text, len, p, offer_out);
  free(text);
  return r;
}

/* Every line ends in CRLF and there is no bare CR or LF. */
static bool all_crlf(const char *s) {
  size_t n = strlen(s);
  if (n < 2 || s[n - 2] != '\r' || s[n - 1] != '\n') return false;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) return false;
    if (s[i] == '\r' && s[i + 1] != '\n') return false;
  }
  return true;
}

static size_t count(const char *hay, const char *needle) {
  size_t n = 0;
  for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
  return n;
}

static brtc_sdp *reparse(const char *answer) {
  char err[160] = "";
  int rc;
  brtc_sdp *s = parse_text(answer, strlen(answer), &rc, err, sizeof err);
  CHECK_EQ_INT(rc, BRTC_OK);
  if (rc != BRTC_OK) fprintf(stderr, "answer reparse: %s\n", err);
  return s;
}

/* What every accepted section of our answers must carry. */
static void check_accepted_transport(const brtc_sdp *a, const brtc_sdp_media *m,
                                     const brtc_sdp_answer_params *p) {
  CHECK_EQ_INT(m->port, 9);
  CHECK(m->rtcp_mux);
  CHECK_STR(brtc_sdp_ice_ufrag(a, m), p->ice_ufrag);
  CHECK_STR(brtc_sdp_ice_pwd(a, m), p->ice_pwd);
  const char *hash = NULL;
  CHECK_STR(brtc_sdp_fingerprint(a, m, &hash), p->fingerprint_sha256);
  CHECK_STR(hash, "sha-256");
  CHECK_EQ_INT(brtc_sdp_setup_of(a, m), p->setup);
  CHECK_EQ_INT(m->n_candidates, 2);
  CHECK_STR(m->candidates[0], our_candidates[0]);
  CHECK_STR(m->candidates[1], "candidate:2 1 tcp 1694498815 192.0.2.10 50001 typ host tcptype passive");
}

static void test_chrome_av_data(void) {
  brtc_sdp_answer_params p = default_params();
  brtc_sdp *offer = NULL;
  answer_result *r = answer_fixture("chrome_offer_av_data.sdp", &p, &offer);
  CHECK_EQ_INT(r->rc, BRTC_OK);
  if (r->rc != BRTC_OK) fprintf(stderr, "answer: %s\n", r->err);
  printf("---- answer to chrome_offer_av_data.sdp ----\n%s----\n", r->text);
  CHECK(all_crlf(r->text));
  CHECK(strncmp(r->text, "v=0\r\no=- 4242 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", 42) == 0);
  CHECK(strstr(r->text, "\r\na=group:BUNDLE 0 1\r\n") != NULL);
  CHECK(strstr(r->text, "\r\na=ice-lite\r\n") != NULL);
  CHECK(strstr(r->text, "msid-semantic") == NULL); /* we do not send */
  CHECK(strstr(r->text, "\r\nm=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n") != NULL);
  CHECK(strstr(r->text, "\r\nm=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n") != NULL);
  CHECK(strstr(r->text, "\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n") != NULL);
  CHECK_EQ_INT(count(r->text, "a=end-of-candidates"), 2);
  CHECK_EQ_INT(count(r->text, "transport-cc"), 0);
  CHECK_EQ_INT(count(r->text, "transport-wide-cc"), 0);

  /* neg mirrors the offer's sections. */
  CHECK(r->neg[0].accepted && r->neg[1].accepted && !r->neg[2].accepted);
  CHECK_EQ_INT(r->neg[0].payload_type, 111);
  CHECK_STR(r->neg[0].codec, "opus");
  CHECK_EQ_INT(r->neg[0].clock_rate, 48000);
  CHECK_EQ_INT(r->neg[0].rtx_payload_type, -1);
  CHECK_EQ_INT(r->neg[1].payload_type, 96);
  CHECK_EQ_INT(r->neg[1].rtx_payload_type, 97);
  CHECK_STR(r->neg[1].codec, "VP8");
  CHECK_EQ_INT(r->neg[1].clock_rate, 90000);
  CHECK_EQ_INT(r->neg[1].kind, BRTC_MEDIA_VIDEO);
  CHECK_STR(r->neg[1].mid, "1");
  CHECK_EQ_INT(r->neg[1].ext_mid, 4);
  CHECK_EQ_INT(r->neg[1].ext_abs_send_time, 2);
  CHECK_EQ_INT(r->neg[1].ext_transport_cc, 0);
  CHECK_EQ_INT(r->neg[2].payload_type, -1);
  CHECK_EQ_INT(r->neg[2].kind, BRTC_MEDIA_APPLICATION);
  CHECK_STR(r->neg[2].mid, "2");

  brtc_sdp *a = reparse(r->text);
  CHECK_EQ_INT(a->n_media, 3);
  CHECK_EQ_INT(a->n_bundle_mids, 2);
  CHECK(a->ice_lite);
  const brtc_sdp_media *au = &a->media[0], *v = &a->media[1], *d = &a->media[2];
  check_accepted_transport(a, au, &p);
  check_accepted_transport(a, v, &p);
  CHECK_STR(au->mid, "0");
  CHECK_STR(v->mid, "1");
  CHECK_EQ_INT(v->direction, BRTC_DIR_RECVONLY);
  CHECK_EQ_INT(au->direction, BRTC_DIR_RECVONLY);
  CHECK(v->rtcp_rsize);
  CHECK_EQ_INT(v->n_codecs, 2);
  const brtc_sdp_codec *vp8 = codec_by_pt(v, 96);
  CHECK(vp8 && strcmp(vp8->name, "VP8") == 0 && vp8->clock_rate == 90000);
  CHECK(vp8 && vp8->fb_nack && vp8->fb_nack_pli && vp8->fb_ccm_fir && vp8->fb_goog_remb &&
        !vp8->fb_transport_cc);
  CHECK(vp8 && vp8->fmtp[0] == '\0'); /* no start bitrate unless asked */
  const brtc_sdp_codec *rtx = codec_by_pt(v, 97);
  CHECK(rtx && strcmp(rtx->name, "rtx") == 0 && rtx->apt == 96);
  CHECK_EQ_INT(v->n_extmaps, 2);
  CHECK_EQ_INT(extmap_id(v, EXT_MID), 4);
  CHECK_EQ_INT(extmap_id(v, EXT_AST), 2);
  CHECK_EQ_INT(v->n_ssrcs, 0);
  const brtc_sdp_codec *opus = codec_by_pt(au, 111);
  CHECK(opus && strcmp(opus->name, "opus") == 0 && opus->channels == 2 && !opus->fb_transport_cc);
  CHECK_EQ_INT(au->n_codecs, 1);
  /* The rejected data channel: port 0, same kind and proto, mid echoed, no candidates, but
   * the transport's fingerprint and credentials (webrtcbin refuses an answer without). */
  CHECK_EQ_INT(d->port, 0);
  CHECK_EQ_INT(d->kind, BRTC_MEDIA_APPLICATION);
  CHECK_STR(d->proto, "UDP/DTLS/SCTP");
  CHECK_STR(d->mid, "2");
  CHECK_EQ_INT(d->n_candidates, 0);
  CHECK_STR(d->fingerprint, p.fingerprint_sha256);
  CHECK_STR(d->ice_ufrag, p.ice_ufrag);
  CHECK(!d->bundle_only);
  brtc_sdp_free(a);
  brtc_sdp_free(offer);
  free(r);
}

static void test_chrome_video_sending(void) {
  brtc_sdp_answer_params p = default_params();
  p.accept_audio = false;
  p.send_video = true;
  p.video_ssrc = 0x11223344;
  p.setup = BRTC_SETUP_ACTIVE;
  p.transport_cc = true;
  p.ice_lite = false;
  answer_result *r = answer_fixture("chrome_offer_video.sdp", &p, NULL);
  CHECK_EQ_INT(r->rc, BRTC_OK);
  CHECK(all_crlf(r->text));
  CHECK(strstr(r->text, "\r\na=group:BUNDLE 0\r\n") != NULL);
  CHECK(strstr(r->text, "a=ice-lite") == NULL);
  CHECK(strstr(r->text, "\r\na=msid-semantic: WMS boltrtc\r\n") != NULL);
  CHECK(strstr(r->text, "\r\na=ssrc:287454020 cname:boltrtc-cname\r\n") != NULL);
  CHECK(strstr(r->text, "\r\na=rtcp-fb:96 transport-cc\r\n") != NULL);
  CHECK(strstr(r->text, "\r\na=extmap:4 " EXT_TCC "\r\n") != NULL);
  CHECK_EQ_INT(r->neg[0].ext_transport_cc, 4);
  CHECK_EQ_INT(r->neg[0].ext_mid, 9);
  brtc_sdp *a = reparse(r->text);
  check_accepted_transport(a, &a->media[0], &p);
  CHECK_EQ_INT(a->media[0].direction, BRTC_DIR_SENDRECV);
  CHECK_EQ_INT(brtc_sdp_setup_of(a, &a->media[0]), BRTC_SETUP_ACTIVE);
  CHECK_EQ_INT(a->media[0].n_ssrcs, 1);
  CHECK(a->media[0].ssrcs[0] == 0x11223344u);
  CHECK(codec_by_pt(&a->media[0], 96)->fb_transport_cc);
  brtc_sdp_free(a);
  free(r);
}

static void test_firefox(void) {
  brtc_sdp_answer_params p = default_params();
  answer_result *r = answer_fixture("firefox_offer_av_data.sdp", &p, NULL);
  CHECK_EQ_INT(r->rc, BRTC_OK);
  if (r->rc != BRTC_OK) fprintf(stderr, "answer: %s\n", r->err);
  CHECK(strstr(r->text, "\r\na=group:BUNDLE 0 1\r\n") != NULL);
  CHECK_EQ_INT(r->neg[0].payload_type, 109);
  CHECK_EQ_INT(r->neg[1].payload_type, 120);
  CHECK_EQ_INT(r->neg[1].rtx_payload_type, 124);
  CHECK_EQ_INT(r->neg[0].ext_mid, 3);
  CHECK_EQ_INT(r->neg[0].ext_abs_send_time, 0);
  CHECK_EQ_INT(r->neg[1].ext_abs_send_time, 4);
  CHECK(!r->neg[2].accepted);
  brtc_sdp *a = reparse(r->text);
  check_accepted_transport(a, &a->media[1], &p);
  CHECK(codec_by_pt(&a->media[1], 124) && codec_by_pt(&a->media[1], 124)->apt == 120);
  CHECK_EQ_INT(a->media[2].port, 0);
  brtc_sdp_free(a);
  free(r);

  r = answer_fixture("firefox_offer_video.sdp", &p, NULL);
  CHECK_EQ_INT(r->rc, BRTC_OK);
  CHECK(strstr(r->text, "\r\nm=video 9 UDP/TLS/RTP/SAVPF 120 124\r\n") != NULL);
  free(r);
}

/* Firefox with max-bundle (what the page asks for): the video section is port 0 and
 * a=bundle-only, part of the BUNDLE group (RFC 8843 6), and must be accepted. */
static void test_firefox_max_bundle(void) {
  brtc_sdp_answer_params p = default_params();
  brtc_sdp *offer = NULL;
  answer_result *r = answer_fixture("firefox_offer_max_bundle.sdp", &p, &offer);
  CHECK_EQ_INT(r->rc, BRTC_OK);
  CHECK(offer && offer->media[1].port == 0 && offer->media[1].bundle_only);
  CHECK(r->neg[0].accepted && r->neg[1].accepted);
  CHECK_EQ_INT(r->neg[1].payload_type, 120);
  CHECK_EQ_INT(r->neg[1].rtx_payload_type, 124);
  CHECK(strstr(r->text, "\r\na=group:BUNDLE 0 1\r\n") != NULL);
  brtc_sdp *a = reparse(r->text);
  CHECK_EQ_INT(a->media[1].port, 9); /* an answer never says bundle-only (RFC 8843 7.3.1) */
  CHECK(!a->media[1].bundle_only);
  check_accepted_transport(a, &a->media[1], &p);
  brtc_sdp_free(a);
  brtc_sdp_free(offer);
  free(r);
}

/* GStreamer webrtcbin 1.22 with a transceiver and then a requested sink pad: two video
 * sections, the second bundle-only and sendrecv with the SSRC. Both are accepted; webrtcbin
 * also refuses an answer whose sections lack a=fingerprint, so every section carries it. */
static void test_gstreamer(void) {
  brtc_sdp_answer_params p = default_params();
  answer_result *r = answer_fixture("gstreamer_offer_two_video.sdp", &p, NULL);
  CHECK_EQ_INT(r->rc, BRTC_OK);
  CHECK(r->neg[0].accepted && r->neg[1].accepted);
  CHECK(strstr(r->text, "\r\na=group:BUNDLE video0 video1\r\n") != NULL);
  CHECK_EQ_INT(count(r->text, "\r\na=fingerprint:sha-256 "), 2);
  brtc_sdp *a = reparse(r->text);
  CHECK_EQ_INT(a->media[1].direction, BRTC_DIR_RECVONLY); /* we only receive */
  brtc_sdp_free(a);
  free(r);
  r = answer_fixture("gstreamer_offer_one_video.sdp", &p, NULL);
  CHECK_EQ_INT(r->rc, BRTC_OK);
  CHECK(r->neg[0].accepted);
  free(r);
}

/* A minimal offer: session-level transport attributes, then the given sections. */
#define OFFER_HEAD                                                                              \
  "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"                                          \
  "a=ice-ufrag:offr\r\na=ice-pwd:offerpassword0123456789\r\n"                                  \
  "a=fingerprint:sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:" \
  "11:22:33:44:55:66:77:88:99\r\n"
#define VIDEO_SECTION(mid, extra)                                                            \
  "m=video 9 UDP/TLS/RTP/SAVPF 100 101\r\na=mid:" mid "\r\na=rtcp-mux\r\n"                  \
  "a=rtpmap:100 VP8/90000\r\na=rtpmap:101 rtx/90000\r\na=fmtp:101 apt=100\r\n"              \
  "a=rtcp-fb:* nack\r\n" extra

static answer_result *answer_str(const char *offer, const brtc_sdp_answer_params *p) {
  return answer_text(offer, strlen(offer), p, NULL);
}

static void expect_answer_fail(const char *offer, const brtc_sdp_answer_params *p, int want_rc,
                               const char *want) {
  answer_result *r = answer_str(offer, p);
  CHECK_EQ_INT(r->rc, want_rc);
  CHECK(r->text[0] == '\0');
  if (!strstr(r->err, want)) {
    fprintf(stderr, "reason \"%s\" lacks \"%s\"\n", r->err, want);
    CHECK(0);
  }
  free(r);
}

static void test_offer_checks(void) {
  brtc_sdp_answer_params p = default_params();
  static const char no_fp[] =
      "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE v\r\n"
      "a=ice-ufrag:offr\r\na=ice-pwd:offerpassword0123456789\r\n" VIDEO_SECTION("v", "a=setup:actpass\r\n");
  expect_answer_fail(no_fp, &p, BRTC_ERR_PARSE, "mid v: offer has no a=fingerprint");
  static const char no_ufrag[] =
      "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
      "a=fingerprint:sha-256 AA:BB\r\na=ice-pwd:offerpassword0123456789\r\n" VIDEO_SECTION(
          "v", "a=setup:actpass\r\n");
  expect_answer_fail(no_ufrag, &p, BRTC_ERR_PARSE, "a=ice-ufrag");
  static const char no_pwd[] =
      "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
      "a=fingerprint:sha-256 AA:BB\r\na=ice-ufrag:offr\r\n" VIDEO_SECTION("v", "a=setup:actpass\r\n");
  expect_answer_fail(no_pwd, &p, BRTC_ERR_PARSE, "a=ice-pwd");
  expect_answer_fail(OFFER_HEAD VIDEO_SECTION("v", ""), &p, BRTC_ERR_PARSE, "a=setup");
  static const char sha1[] =
      "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=ice-ufrag:offr\r\n"
      "a=ice-pwd:offerpassword0123456789\r\na=fingerprint:sha-1 AA:BB\r\n" VIDEO_SECTION(
          "v", "a=setup:actpass\r\n");
  expect_answer_fail(sha1, &p, BRTC_ERR_UNSUPPORTED, "sha-256");

  /* A missing fingerprint only matters on a section we accept. */
  static const char fp_on_video_only[] =
      "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=ice-ufrag:offr\r\n"
      "a=ice-pwd:offerpassword0123456789\r\na=setup:actpass\r\n"
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:d\r\n" VIDEO_SECTION(
          "v", "a=fingerprint:sha-256 AA:BB\r\n");
  answer_result *r = answer_str(fp_on_video_only, &p);
  CHECK_EQ_INT(r->rc, BRTC_OK);
  CHECK(!r->neg[0].accepted && r->neg[1].accepted);
  /* No BUNDLE offered: one section, and no group line of our own. */
  CHECK(strstr(r->text, "a=group") == NULL);
  free(r);

  /* H.264 alone (a hardware encoder): taken when packetization-mode 1 is offered (RFC 6184
   * 8.1: what our depacketizer reads, FU-A and STAP-A), its fmtp echoed. */
  static const char h264_only[] = OFFER_HEAD
      "a=setup:actpass\r\nm=video 9 UDP/TLS/RTP/SAVPF 102 104\r\na=mid:0\r\na=rtcp-mux\r\n"
      "a=rtpmap:104 H264/90000\r\n"
      "a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f\r\n"
      "a=rtpmap:102 H264/90000\r\n"
      "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n";
  r = answer_str(h264_only, &p);
  CHECK_EQ_INT(r->rc, BRTC_OK);
  CHECK(r->neg[0].accepted && r->neg[0].payload_type == 102 &&
        strcmp(r->neg[0].codec, "H264") == 0);
  CHECK(strstr(r->text, "m=video 9 UDP/TLS/RTP/SAVPF 102\r\n") != NULL);
  CHECK(strstr(r->text, "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;"
                        "profile-level-id=42e01f\r\n") != NULL);
  free(r);

  /* Nothing acceptable: H.264 in packetization-mode 0 only (single NAL units, RFC 6184
   * 6.2), which a sender could not fragment for us. */
  static const char h264_mode0[] = OFFER_HEAD
      "a=setup:actpass\r\nm=video 9 UDP/TLS/RTP/SAVPF 102\r\na=mid:0\r\na=rtcp-mux\r\n"
      "a=rtpmap:102 H264/90000\r\n";
  expect_answer_fail(h264_mode0, &p, BRTC_ERR_UNSUPPORTED,
                     "neither VP8/90000 nor H264/90000 packetization-mode=1 offered");
  static const char no_mux[] = OFFER_HEAD
      "a=setup:actpass\r\nm=video 9 UDP/TLS/RTP/SAVPF 100\r\na=mid:0\r\na=rtpmap:100 VP8/90000\r\n";
  expect_answer_fail(no_mux, &p, BRTC_ERR_UNSUPPORTED, "no a=rtcp-mux");
  expect_answer_fail(OFFER_HEAD "a=setup:actpass\r\n", &p, BRTC_ERR_UNSUPPORTED, "no m= sections");
  brtc_sdp_answer_params no_video = p;
  no_video.accept_video = false;
  expect_answer_fail(OFFER_HEAD "a=setup:actpass\r\n" VIDEO_SECTION("0", ""), &no_video,
                     BRTC_ERR_UNSUPPORTED, "video not wanted");
}

static void test_setup_roles(void) {
  static const struct {
    const char *offer_setup;
    brtc_sdp_setup ours;
    int rc;
  } cases[] = {
      {"actpass", BRTC_SETUP_ACTIVE, BRTC_OK},
      {"actpass", BRTC_SETUP_PASSIVE, BRTC_OK},
      {"active", BRTC_SETUP_PASSIVE, BRTC_OK},
      {"active", BRTC_SETUP_ACTIVE, BRTC_ERR_UNSUPPORTED},
      {"passive", BRTC_SETUP_ACTIVE, BRTC_OK},
      {"passive", BRTC_SETUP_PASSIVE, BRTC_ERR_UNSUPPORTED},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char offer[2048];
    snprintf(offer, sizeof offer, "%sa=setup:%s\r\n%s", OFFER_HEAD, cases[i].offer_setup,
             VIDEO_SECTION("0", ""));
    brtc_sdp_answer_params p = default_params();
    p.setup = cases[i].ours;
    answer_result *r = answer_str(offer, &p);
    CHECK_EQ_INT(r->rc, cases[i].rc);
    if (cases[i].rc == BRTC_OK) {
      CHECK(strstr(r->text, cases[i].ours == BRTC_SETUP_ACTIVE ? "a=setup:active\r\n"
                                                               : "a=setup:passive\r\n") != NULL);
    } else {
      CHECK(strstr(r->err, "setup") != NULL);
    }
    free(r);
  }
  /* Our own setup must be a role. */
  brtc_sdp_answer_params p = default_params();
  p.setup = BRTC_SETUP_ACTPASS;
  expect_answer_fail(OFFER_HEAD "a=setup:actpass\r\n" VIDEO_SECTION("0", ""), &p,
                     BRTC_ERR_INVALID, "setup");
}

static void test_directions(void) {
  static const struct {
    const char *offered;
    bool send_video;
    const char *want;
  } cases[] = {
      {"sendrecv", false, "a=recvonly\r\n"}, {"sendonly", false, "a=recvonly\r\n"},
      {"recvonly", false, "a=inactive\r\n"}, {"recvonly", true, "a=sendonly\r\n"},
      {"inactive", false, "a=inactive\r\n"}, {"sendrecv", true, "a=sendrecv\r\n"},
      {"sendonly", true, "a=recvonly\r\n"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char offer[2048], dir[32];
    snprintf(dir, sizeof dir, "a=%s\r\n", cases[i].offered);
    snprintf(offer, sizeof offer, "%sa=setup:actpass\r\na=group:BUNDLE 0\r\n%s%s", OFFER_HEAD,
             VIDEO_SECTION("0", ""), dir);
    brtc_sdp_answer_params p = default_params();
    p.send_video = cases[i].send_video;
    p.video_ssrc = 1234;
    answer_result *r = answer_str(offer, &p);
    CHECK_EQ_INT(r->rc, BRTC_OK);
    if (!strstr(r->text, cases[i].want)) {
      fprintf(stderr, "offer %s send_video=%d: want %s", cases[i].offered, cases[i].send_video,
              cases[i].want);
      CHECK(0);
    }
    free(r);
  }
}

/* bundle-only outside the BUNDLE group is still port 0 and rejected; rejected sections keep
 * the transport's fingerprint. */
static void test_bundle_only(void) {
  static const char offer[] = OFFER_HEAD
      "a=setup:actpass\r\na=group:BUNDLE a b\r\n"
      VIDEO_SECTION("a", "")
      "m=video 0 UDP/TLS/RTP/SAVPF 100\r\na=mid:b\r\na=bundle-only\r\na=rtcp-mux\r\n"
      "a=rtpmap:100 VP8/90000\r\n"
      "m=video 0 UDP/TLS/RTP/SAVPF 100\r\na=mid:c\r\na=bundle-only\r\na=rtcp-mux\r\n"
      "a=rtpmap:100 VP8/90000\r\n";
  brtc_sdp_answer_params p = default_params();
  answer_result *r = answer_str(offer, &p);
  CHECK_EQ_INT(r->rc, BRTC_OK);
  CHECK(r->neg[0].accepted && r->neg[1].accepted && !r->neg[2].accepted);
  CHECK(strstr(r->text, "\r\na=group:BUNDLE a b\r\n") != NULL);
  CHECK_EQ_INT(count(r->text, "a=bundle-only"), 0);
  brtc_sdp *a = reparse(r->text);
  CHECK_EQ_INT(a->media[1].port, 9);
  CHECK_EQ_INT(a->media[2].port, 0);
  CHECK_STR(a->media[2].fingerprint, p.fingerprint_sha256);
  brtc_sdp_free(a);
  free(r);
}

static void test_rejections_and_bundle(void) {
  /* Port 0, not in BUNDLE, and an unknown kind are all rejected but keep their place. */
  static const char offer[] = OFFER_HEAD
      "a=setup:actpass\r\na=group:BUNDLE a b\r\n"
      VIDEO_SECTION("a", "")
      "m=video 0 UDP/TLS/RTP/SAVPF 100\r\na=mid:z\r\na=rtcp-mux\r\na=rtpmap:100 VP8/90000\r\n"
      "m=text 9 UDP/TLS/RTP/SAVPF 98\r\na=mid:t\r\n"
      VIDEO_SECTION("c", "")
      VIDEO_SECTION("b", "");
  brtc_sdp_answer_params p = default_params();
  answer_result *r = answer_str(offer, &p);
  CHECK_EQ_INT(r->rc, BRTC_OK);
  CHECK(r->neg[0].accepted && !r->neg[1].accepted && !r->neg[2].accepted &&
        !r->neg[3].accepted && r->neg[4].accepted);
  CHECK(strstr(r->text, "\r\na=group:BUNDLE a b\r\n") != NULL);
  CHECK(strstr(r->text, "\r\nm=video 0 UDP/TLS/RTP/SAVPF 100\r\nc=IN IP4 0.0.0.0\r\n") != NULL);
  CHECK(strstr(r->text, "\r\nm=text 0 UDP/TLS/RTP/SAVPF 98\r\nc=IN IP4 0.0.0.0\r\n") != NULL);
  CHECK(strstr(r->text, "\r\na=mid:z\r\n") != NULL && strstr(r->text, "\r\na=mid:t\r\n") != NULL);
  CHECK(strstr(r->text, "\r\na=mid:c\r\n") != NULL);
  brtc_sdp *a = reparse(r->text);
  CHECK_EQ_INT(a->n_media, 5);
  CHECK_STR(a->media[3].mid, "c");
  CHECK_EQ_INT(a->media[3].port, 0);
  CHECK_EQ_INT(a->media[4].port, 9);
  /* Without ext mappings in the offer, none in the answer. */
  CHECK_EQ_INT(a->media[4].n_extmaps, 0);
  CHECK_EQ_INT(r->neg[4].ext_mid, 0);
  brtc_sdp_free(a);
  free(r);
}

static void test_params_and_space(void) {
  size_t len = 0;
  char *text = read_fixture("chrome_offer_av_data.sdp", &len);
  if (!text) return;
  char err[160];
  int rc;
  brtc_sdp *offer = parse_text(text, len, &rc, err, sizeof err);
  free(text);
  brtc_sdp_negotiated neg[BRTC_SDP_MAX_MEDIA];
  char small[300];
  brtc_sdp_answer_params p = default_params();
  CHECK_EQ_INT(brtc_sdp_write_answer(offer, &p, small, sizeof small, neg, err, sizeof err),
               BRTC_ERR_TOO_BIG);
  CHECK_EQ_INT(small[0], '\0');
  CHECK(strstr(err, "does not fit") != NULL);

  char *big = malloc(ANSWER_CAP);
  /* The exact size fits; one byte less does not. */
  CHECK_EQ_INT(brtc_sdp_write_answer(offer, &p, big, ANSWER_CAP, neg, err, sizeof err), BRTC_OK);
  size_t need = strlen(big) + 1;
  CHECK_EQ_INT(brtc_sdp_write_answer(offer, &p, big, need, neg, err, sizeof err), BRTC_OK);
  CHECK_EQ_INT(brtc_sdp_write_answer(offer, &p, big, need - 1, neg, err, sizeof err),
               BRTC_ERR_TOO_BIG);

  /* Caller strings that would break the SDP are refused. */
  brtc_sdp_answer_params bad = p;
  bad.ice_pwd = "pwd\r\na=evil";
  CHECK_EQ_INT(brtc_sdp_write_answer(offer, &bad, big, ANSWER_CAP, neg, err, sizeof err),
               BRTC_ERR_INVALID);
  bad = p;
  bad.fingerprint_sha256 = NULL;
  CHECK_EQ_INT(brtc_sdp_write_answer(offer, &bad, big, ANSWER_CAP, neg, err, sizeof err),
               BRTC_ERR_INVALID);
  static const char *const evil[] = {"candidate:1 1 udp 1 1.2.3.4 5 typ host\nx=1"};
  bad = p;
  bad.candidates = evil;
  bad.n_candidates = 1;
  CHECK_EQ_INT(brtc_sdp_write_answer(offer, &bad, big, ANSWER_CAP, neg, err, sizeof err),
               BRTC_ERR_INVALID);
  CHECK_EQ_INT(brtc_sdp_write_answer(NULL, &p, big, ANSWER_CAP, neg, err, sizeof err),
               BRTC_ERR_INVALID);

  /* session_id 0: a fresh non-zero id is chosen. */
  p.session_id = 0;
  CHECK_EQ_INT(brtc_sdp_write_answer(offer, &p, big, ANSWER_CAP, neg, err, sizeof err), BRTC_OK);
  brtc_sdp *a = reparse(big);
  CHECK(a->session_id != 0 && a->session_id != offer->session_id);
  brtc_sdp_free(a);
  free(big);
  brtc_sdp_free(offer);
}

/* The start bitrate rides on the VP8 payload type's fmtp, and nowhere else. */
static void test_video_start_bitrate(void) {
  brtc_sdp_answer_params p = default_params();
  p.video_start_bitrate_kbps = 1500;
  brtc_sdp *offer = NULL;
  answer_result *r = answer_fixture("chrome_offer_av_data.sdp", &p, &offer);
  CHECK_EQ_INT(r->rc, BRTC_OK);
  CHECK(all_crlf(r->text));
  CHECK(strstr(r->text, "\r\na=fmtp:96 x-google-start-bitrate=1500\r\n") != NULL);
  CHECK_EQ_INT(count(r->text, "x-google-start-bitrate"), 1);
  CHECK_EQ_INT(count(r->text, "a=fmtp:96 "), 1);
  brtc_sdp *a = reparse(r->text);
  const brtc_sdp_codec *vp8 = codec_by_pt(&a->media[1], 96);
  CHECK(vp8 && strcmp(vp8->fmtp, "x-google-start-bitrate=1500") == 0);
  const brtc_sdp_codec *rtx = codec_by_pt(&a->media[1], 97);
  CHECK(rtx && strcmp(rtx->fmtp, "apt=96") == 0 && rtx->apt == 96);
  const brtc_sdp_codec *opus = codec_by_pt(&a->media[0], 111);
  CHECK(opus && strcmp(opus->fmtp, "minptime=10;useinbandfec=1") == 0);
  brtc_sdp_free(a);
  free(r);
  brtc_sdp_free(offer);

  /* Firefox offers its own VP8 fmtp (max-fs, max-fr): still one fmtp line for 120. */
  p.video_start_bitrate_kbps = 2500;
  r = answer_fixture("firefox_offer_av_data.sdp", &p, NULL);
  CHECK_EQ_INT(r->rc, BRTC_OK);
  CHECK_EQ_INT(count(r->text, "a=fmtp:120 "), 1);
  CHECK(strstr(r->text, "\r\na=fmtp:120 x-google-start-bitrate=2500\r\n") != NULL);
  free(r);

  /* Audio only: nothing to say. */
  p.accept_video = false;
  r = answer_fixture("chrome_offer_av_data.sdp", &p, NULL);
  CHECK_EQ_INT(r->rc, BRTC_OK);
  CHECK(strstr(r->text, "x-google-start-bitrate") == NULL);
  free(r);
}

/* Several tracks in one offer (issue 6): every receivable audio and video section is
 * accepted, each with its own mid and payload types, in the one BUNDLE group; what cannot be
 * received (H.264 only here, a data channel) is rejected in place with the transport. */
#define AUDIO_SECTION(mid, extra)                                                              \
  "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\na=mid:" mid "\r\na=rtcp-mux\r\n"                     \
  "a=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\n" extra
#define SSRCS(media, rtx) \
  "a=ssrc-group:FID " media " " rtx "\r\na=ssrc:" media " cname:x\r\na=ssrc:" rtx " cname:x\r\n"

static void test_several_tracks(void) {
  static const char two_videos[] = OFFER_HEAD
      "a=setup:actpass\r\na=group:BUNDLE 0 1\r\n"
      VIDEO_SECTION("0", SSRCS("1111", "1112"))
      VIDEO_SECTION("1", SSRCS("2221", "2222"));
  brtc_sdp_answer_params p = default_params();
  brtc_sdp *offer = NULL;
  answer_result *r = answer_text(two_videos, strlen(two_videos), &p, &offer);
  CHECK_EQ_INT(r->rc, BRTC_OK);
  CHECK(r->neg[0].accepted && r->neg[1].accepted);
  CHECK_STR(r->neg[0].mid, "0");
  CHECK_STR(r->neg[1].mid, "1");
  CHECK_EQ_INT(r->neg[1].payload_type, 100);
  CHECK_EQ_INT(r->neg[1].rtx_payload_type, 101);
  CHECK(strstr(r->text, "\r\na=group:BUNDLE 0 1\r\n") != NULL);
  CHECK_EQ_INT(count(r->text, "m=video 9 UDP/TLS/RTP/SAVPF 100 101\r\n"), 2);
  /* The FID group names each section's media and repair SSRC. */
  CHECK_EQ_INT(offer->media[0].fid_media_ssrc, 1111);
  CHECK_EQ_INT(offer->media[0].fid_rtx_ssrc, 1112);
  CHECK_EQ_INT(offer->media[1].fid_media_ssrc, 2221);
  CHECK_EQ_INT(offer->media[1].fid_rtx_ssrc, 2222);
  brtc_sdp_free(offer);
  free(r);

  static const char two_audios[] = OFFER_HEAD
      "a=setup:actpass\r\na=group:BUNDLE a1 a2\r\n"
      AUDIO_SECTION("a1", "a=ssrc:5 cname:x\r\n") AUDIO_SECTION("a2", "a=ssrc:6 cname:x\r\n");
  r = answer_str(two_audios, &p);
  CHECK_EQ_INT(r->rc, BRTC_OK);
  CHECK(r->neg[0].accepted && r->neg[1].accepted);
  CHECK_EQ_INT(count(r->text, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"), 2);
  CHECK(strstr(r->text, "\r\na=group:BUNDLE a1 a2\r\n") != NULL);
  free(r);

  /* Camera, screen and microphone; an H.264-only section and a data channel among them are
   * rejected in their places, with port 0, their mid and the transport (webrtcbin needs the
   * fingerprint there). The screen is bundle-only (max-bundle, RFC 8843 7.3.3). */
  static const char mixed[] = OFFER_HEAD
      "a=setup:actpass\r\na=group:BUNDLE cam h264 mic screen data\r\n"
      VIDEO_SECTION("cam", "")
      "m=video 9 UDP/TLS/RTP/SAVPF 102\r\na=mid:h264\r\na=rtcp-mux\r\n"
      "a=rtpmap:102 H264/90000\r\n"
      AUDIO_SECTION("mic", "")
      "m=video 0 UDP/TLS/RTP/SAVPF 100 101\r\na=mid:screen\r\na=bundle-only\r\na=rtcp-mux\r\n"
      "a=rtpmap:100 VP8/90000\r\na=rtpmap:101 rtx/90000\r\na=fmtp:101 apt=100\r\n"
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:data\r\na=sctp-port:5000\r\n";
  p.video_start_bitrate_kbps = 1500;
  p.video_max_bitrate_kbps = 2500;
  r = answer_str(mixed, &p);
  CHECK_EQ_INT(r->rc, BRTC_OK);
  CHECK(r->neg[0].accepted && !r->neg[1].accepted && r->neg[2].accepted &&
        r->neg[3].accepted && !r->neg[4].accepted);
  CHECK(strstr(r->text, "\r\na=group:BUNDLE cam mic screen\r\n") != NULL);
  CHECK(strstr(r->text, "\r\nm=video 0 UDP/TLS/RTP/SAVPF 102\r\n") != NULL);
  CHECK(strstr(r->text, "\r\nm=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n") != NULL);
  /* Each accepted video section says the bitrates on its VP8 type. */
  CHECK_EQ_INT(count(r->text, "a=fmtp:100 x-google-start-bitrate=1500;x-google-max-bitrate=2500\r\n"),
               2);
  brtc_sdp *a = reparse(r->text);
  CHECK_EQ_INT(a->n_media, 5);
  for (size_t i = 0; i < a->n_media; i++) {
    CHECK_STR(a->media[i].fingerprint, p.fingerprint_sha256);
    CHECK_STR(a->media[i].ice_ufrag, p.ice_ufrag);
    CHECK(a->media[i].setup == BRTC_SETUP_PASSIVE);
  }
  CHECK_STR(a->media[3].mid, "screen");
  CHECK_EQ_INT(a->media[3].port, 9);
  CHECK_EQ_INT(a->media[4].port, 0);
  brtc_sdp_free(a);
  free(r);
}

/* The bitrate hints: max alone, both, neither. */
/* A later offer (renegotiation, JSEP 5.3.1): a track negotiated on a section before stays on
 * it, and a new track never takes a section another track keeps. */
static void test_send_track_keeps_its_section(void) {
  static const char two_videos[] = OFFER_HEAD
      "a=setup:actpass\r\na=group:BUNDLE 0 1\r\n"
      VIDEO_SECTION("0", "") VIDEO_SECTION("1", "");
  brtc_sdp_send_track t[2] = {
      {.kind = BRTC_MEDIA_VIDEO, .codec = "VP8", .ssrc = 7001, .mid = "1"},
      {.kind = BRTC_MEDIA_VIDEO, .codec = "VP8", .ssrc = 7002},
  };
  brtc_sdp_answer_params p = default_params();
  p.send_tracks = t;
  p.n_send_tracks = 2;
  answer_result *r = answer_str(two_videos, &p);
  CHECK_EQ_INT(r->rc, BRTC_OK);
  CHECK_EQ_INT(r->neg[1].send_track, 0); /* its own section, though the first would fit */
  CHECK_EQ_INT(r->neg[0].send_track, 1);
  free(r);
  t[0].mid = "9"; /* its section is gone: it goes nowhere, and "1" is free again */
  t[1].mid = NULL;
  r = answer_str(two_videos, &p);
  CHECK_EQ_INT(r->rc, BRTC_OK);
  CHECK_EQ_INT(r->neg[0].send_track, 1);
  CHECK_EQ_INT(r->neg[1].send_track, -1);
  free(r);
}

static void test_video_max_bitrate(void) {
  brtc_sdp_answer_params p = default_params();
  p.video_max_bitrate_kbps = 5700;
  answer_result *r = answer_fixture("chrome_offer_av_data.sdp", &p, NULL);
  CHECK_EQ_INT(r->rc, BRTC_OK);
  CHECK(strstr(r->text, "\r\na=fmtp:96 x-google-max-bitrate=5700\r\n") != NULL);
  free(r);
  p.video_start_bitrate_kbps = 3400;
  r = answer_fixture("chrome_offer_av_data.sdp", &p, NULL);
  CHECK(strstr(r->text, "\r\na=fmtp:96 x-google-start-bitrate=3400;x-google-max-bitrate=5700\r\n") !=
        NULL);
  CHECK_EQ_INT(count(r->text, "a=fmtp:96 "), 1);
  free(r);
}

/* RFC 8841: with accept_data the data section is answered, in the bundle, with our SCTP port
 * and a=max-message-size; the peer's values are the parser's. Chrome's and Firefox's own
 * offers, and aiortc 1.4's pre-RFC 8841 form answered in its own form. */
static void check_data_answer(const char *fixture, const char *mid, size_t index,
                              uint32_t peer_max) {
  brtc_sdp_answer_params p = default_params();
  p.accept_data = true;
  brtc_sdp *offer = NULL;
  answer_result *r = answer_fixture(fixture, &p, &offer);
  CHECK_EQ_INT(r->rc, BRTC_OK);
  CHECK(r->neg[index].accepted && r->neg[index].kind == BRTC_MEDIA_APPLICATION);
  CHECK_EQ_INT(r->neg[index].payload_type, -1);
  CHECK(strstr(r->text, "\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n") != NULL);
  CHECK_EQ_INT(count(r->text, "a=sctp-port:5000\r\n"), 1);
  CHECK_EQ_INT(count(r->text, "a=max-message-size:262144\r\n"), 1);
  CHECK_EQ_INT(count(r->text, "a=end-of-candidates"), 3);
  char group[64];
  snprintf(group, sizeof group, " %s\r\n", mid); /* the data mid ends the BUNDLE line */
  const char *g = strstr(r->text, "a=group:BUNDLE ");
  CHECK(g && strstr(g, group) && strstr(g, group) < strstr(g, "\r\n") + 2);
  CHECK_EQ_INT(offer->media[index].sctp_port, 5000);
  CHECK(offer->media[index].has_max_message_size);
  CHECK_EQ_INT(offer->media[index].max_message_size, peer_max);
  brtc_sdp *a = reparse(r->text);
  if (a) {
    const brtc_sdp_media *m = &a->media[index];
    CHECK_EQ_INT(m->kind, BRTC_MEDIA_APPLICATION);
    CHECK_EQ_INT(m->port, 9);
    CHECK_STR(m->mid, mid);
    CHECK_EQ_INT(m->sctp_port, 5000);
    CHECK_EQ_INT(m->max_message_size, 262144);
    CHECK_STR(brtc_sdp_fingerprint(a, m, &(const char *){NULL}), p.fingerprint_sha256);
  }
  brtc_sdp_free(a);
  brtc_sdp_free(offer);
  free(r);
}

static void test_data_section(void) {
  check_data_answer("chrome_offer_av_data.sdp", "2", 2, 262144);
  check_data_answer("firefox_offer_av_data.sdp", "2", 2, 1073741823);

  brtc_sdp_answer_params p = default_params();
  p.accept_data = true;
  p.max_message_size = 1024 * 1024;
  p.sctp_port = 5001;
  /* aiortc 1.4: DTLS/SCTP with a=sctpmap, and a=max-message-size:65536. */
  static const char legacy[] = OFFER_HEAD
      "a=setup:actpass\r\na=group:BUNDLE v d\r\n" VIDEO_SECTION("v", "")
      "m=application 9 DTLS/SCTP 5000\r\na=mid:d\r\n"
      "a=sctpmap:5000 webrtc-datachannel 65535\r\na=max-message-size:65536\r\n";
  answer_result *r = answer_str(legacy, &p);
  CHECK_EQ_INT(r->rc, BRTC_OK);
  CHECK(r->neg[1].accepted);
  CHECK(strstr(r->text, "\r\nm=application 9 DTLS/SCTP 5001\r\n") != NULL);
  CHECK(strstr(r->text, "\r\na=sctpmap:5001 webrtc-datachannel 65535\r\n") != NULL);
  CHECK(strstr(r->text, "\r\na=max-message-size:1048576\r\n") != NULL);
  CHECK(strstr(r->text, "a=sctp-port") == NULL);
  CHECK(strstr(r->text, "\r\na=group:BUNDLE v d\r\n") != NULL);
  free(r);

  /* Data alone; a second data section; one outside the bundle; a=sctpmap for another
   * protocol; the wrong format. Only the first good one is taken. */
  static const char several[] = OFFER_HEAD
      "a=setup:actpass\r\na=group:BUNDLE d1 d2 d4 d5\r\n"
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:d1\r\na=sctp-port:5000\r\n"
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:d2\r\n"
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:d3\r\n"
      "m=application 9 DTLS/SCTP 5000\r\na=mid:d4\r\na=sctpmap:5000 t38 1\r\n"
      "m=application 9 UDP/DTLS/SCTP bfcp\r\na=mid:d5\r\n";
  r = answer_str(several, &p);
  CHECK_EQ_INT(r->rc, BRTC_OK);
  CHECK(r->neg[0].accepted && !r->neg[1].accepted && !r->neg[2].accepted &&
        !r->neg[3].accepted && !r->neg[4].accepted);
  CHECK(strstr(r->text, "\r\na=group:BUNDLE d1\r\n") != NULL);
  CHECK_EQ_INT(count(r->text, "m=application 0 "), 4);
  CHECK(strstr(r->text, "a=rtcp-mux") == NULL); /* not asked of data, not written for it */
  free(r);

  /* Not enabled: rejected in place, and an offer of data alone has nothing acceptable. */
  p.accept_data = false;
  expect_answer_fail(several, &p, BRTC_ERR_UNSUPPORTED, "data channels are not enabled");
}

int main(void) {
  RUN(test_data_section);
  RUN(test_several_tracks);
  RUN(test_send_track_keeps_its_section);
  RUN(test_video_max_bitrate);
  RUN(test_chrome_av_data);
  RUN(test_chrome_video_sending);
  RUN(test_firefox);
  RUN(test_firefox_max_bundle);
  RUN(test_gstreamer);
  RUN(test_bundle_only);
  RUN(test_offer_checks);
  RUN(test_setup_roles);
  RUN(test_directions);
  RUN(test_rejections_and_bundle);
  RUN(test_params_and_space);
  RUN(test_video_start_bitrate);
  return TEST_REPORT();
}
