/* SDP parser: real Chromium and Firefox offers, limits, and malformed input. */
#include <stdlib.h>
#include <string.h>

#include "sdp_fixture.h"
#include "testing.h"

#define EXT_MID "urn:ietf:params:rtp-hdrext:sdes:mid"
#define EXT_AST "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
#define EXT_TCC "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

static brtc_sdp *parse_fixture(const char *name) {
  size_t len = 0;
  char *text = read_fixture(name, &len);
  CHECK(text != NULL);
  if (!text) return NULL;
  char err[160] = "";
  int rc;
  brtc_sdp *s = parse_text(text, len, &rc, err, sizeof err);
  free(text);
  CHECK_EQ_INT(rc, BRTC_OK);
  if (rc != BRTC_OK) fprintf(stderr, "%s: %s\n", name, err);
  return s;
}

static void test_chrome_av_data(void) {
  brtc_sdp *s = parse_fixture("chrome_offer_av_data.sdp");
  if (!s) return;
  CHECK(s->session_id == 1481481825314477783ull);
  CHECK_EQ_INT(s->session_version, 2);
  CHECK_EQ_INT(s->n_bundle_mids, 3);
  CHECK_STR(s->bundle_mids[0], "0");
  CHECK_STR(s->bundle_mids[2], "2");
  CHECK(!s->ice_lite);
  CHECK_EQ_INT(s->n_media, 3);

  const brtc_sdp_media *a = &s->media[0], *v = &s->media[1], *d = &s->media[2];
  CHECK_EQ_INT(a->kind, BRTC_MEDIA_AUDIO);
  CHECK_EQ_INT(v->kind, BRTC_MEDIA_VIDEO);
  CHECK_EQ_INT(d->kind, BRTC_MEDIA_APPLICATION);
  CHECK_STR(a->mid, "0");
  CHECK_STR(v->mid, "1");
  CHECK_STR(d->mid, "2");
  CHECK_EQ_INT(a->port, 44584);
  CHECK_STR(v->proto, "UDP/TLS/RTP/SAVPF");
  CHECK_STR(d->proto, "UDP/DTLS/SCTP");
  CHECK_STR(d->first_fmt, "webrtc-datachannel");
  for (size_t i = 0; i < 3; i++) {
    const brtc_sdp_media *m = &s->media[i];
    CHECK_STR(brtc_sdp_ice_ufrag(s, m), "w7dm");
    CHECK_STR(brtc_sdp_ice_pwd(s, m), "gKufyy1SKNE4cdPB8pnGKC0M");
    const char *hash = NULL;
    const char *fp = brtc_sdp_fingerprint(s, m, &hash);
    CHECK_STR(hash, "sha-256");
    CHECK_STR(fp, "FF:95:7B:95:88:DB:CC:8D:AA:F9:EC:FC:7B:C3:41:36:F2:43:05:C7:CE:DE:41:45:00:0E:"
                  "4E:37:F2:7C:73:B6");
    CHECK_EQ_INT(brtc_sdp_setup_of(s, m), BRTC_SETUP_ACTPASS);
    CHECK_EQ_INT(m->direction, BRTC_DIR_SENDRECV);
    CHECK_EQ_INT(m->n_candidates, 8);
  }
  CHECK_STR(a->candidates[0], "candidate:1319116084 1 udp 2122194687 127.0.0.1 44584 typ host "
                              "generation 0 network-id 3 network-cost 50");
  CHECK_STR(d->candidates[7], "candidate:2569014416 1 tcp 1518154495 fd00::2 9 typ host tcptype "
                              "active generation 0 network-id 2");

  /* Audio: opus first, with its fmtp and transport-cc feedback. */
  CHECK(a->rtcp_mux && a->rtcp_rsize);
  CHECK_EQ_INT(a->n_codecs, 8);
  const brtc_sdp_codec *opus = codec_by_name(a, "opus");
  CHECK(opus != NULL);
  if (opus) {
    CHECK_EQ_INT(opus->payload_type, 111);
    CHECK_EQ_INT(opus->clock_rate, 48000);
    CHECK_EQ_INT(opus->channels, 2);
    CHECK_STR(opus->fmtp, "minptime=10;useinbandfec=1");
    CHECK(opus->fb_transport_cc && !opus->fb_nack);
  }
  const brtc_sdp_codec *pcmu = codec_by_pt(a, 0);
  CHECK(pcmu && strcmp(pcmu->name, "PCMU") == 0 && pcmu->clock_rate == 8000 && pcmu->channels == 0);
  CHECK_EQ_INT(a->n_ssrcs, 1);
  CHECK(a->ssrcs[0] == 2311791351u);
  CHECK_EQ_INT(extmap_id(a, EXT_MID), 4);
  CHECK_EQ_INT(extmap_id(a, EXT_AST), 2);

  /* Video: VP8 is 96 with rtx 97; 23 formats in the m= line. */
  CHECK_EQ_INT(v->n_codecs, 23);
  CHECK_EQ_INT(v->codecs[0].payload_type, 96);
  const brtc_sdp_codec *vp8 = codec_by_name(v, "VP8");
  CHECK(vp8 != NULL);
  if (vp8) {
    CHECK_EQ_INT(vp8->payload_type, 96);
    CHECK_EQ_INT(vp8->clock_rate, 90000);
    CHECK_EQ_INT(vp8->apt, -1);
    CHECK(vp8->fb_nack && vp8->fb_nack_pli && vp8->fb_ccm_fir && vp8->fb_goog_remb &&
          vp8->fb_transport_cc);
  }
  const brtc_sdp_codec *rtx = codec_by_pt(v, 97);
  CHECK(rtx && strcmp(rtx->name, "rtx") == 0 && rtx->apt == 96 && !rtx->fb_nack);
  const brtc_sdp_codec *h264 = codec_by_pt(v, 102);
  CHECK(h264 && strstr(h264->fmtp, "packetization-mode=1") != NULL);
  CHECK_EQ_INT(codec_by_pt(v, 119)->apt, 118);
  CHECK_EQ_INT(v->n_extmaps, 11);
  CHECK_EQ_INT(extmap_id(v, EXT_MID), 4);
  CHECK_EQ_INT(extmap_id(v, EXT_AST), 2);
  CHECK_EQ_INT(extmap_id(v, EXT_TCC), 3);
  CHECK_EQ_INT(extmap_id(v, "urn:ietf:params:rtp-hdrext:toffset"), 14);
  CHECK_EQ_INT(v->n_ssrcs, 2);
  CHECK(v->ssrcs[0] == 2937303665u && v->ssrcs[1] == 2567445490u);

  /* Data channel section. */
  CHECK_EQ_INT(d->n_codecs, 0);
  CHECK_EQ_INT(d->sctp_port, 5000);
  CHECK_EQ_INT(d->max_message_size, 262144);
  brtc_sdp_free(s);
}

static void test_chrome_video(void) {
  brtc_sdp *s = parse_fixture("chrome_offer_video.sdp");
  if (!s) return;
  CHECK_EQ_INT(s->n_media, 1);
  CHECK_EQ_INT(s->n_bundle_mids, 1);
  CHECK_STR(s->bundle_mids[0], "0");
  const brtc_sdp_media *v = &s->media[0];
  CHECK_EQ_INT(v->kind, BRTC_MEDIA_VIDEO);
  CHECK_STR(v->mid, "0");
  const brtc_sdp_codec *vp8 = codec_by_name(v, "VP8");
  CHECK(vp8 && vp8->payload_type == 96);
  CHECK(codec_by_pt(v, 97) && codec_by_pt(v, 97)->apt == 96);
  CHECK(brtc_sdp_ice_ufrag(s, v)[0] != '\0');
  CHECK(brtc_sdp_fingerprint(s, v, NULL)[0] != '\0');
  CHECK_EQ_INT(brtc_sdp_setup_of(s, v), BRTC_SETUP_ACTPASS);
  CHECK_EQ_INT(v->n_ssrcs, 2);
  CHECK(v->n_candidates > 0);
  brtc_sdp_free(s);
}

static void test_firefox_av_data(void) {
  brtc_sdp *s = parse_fixture("firefox_offer_av_data.sdp");
  if (!s) return;
  CHECK(s->session_id == 7523972014533376629ull);
  CHECK_EQ_INT(s->session_version, 0);
  CHECK_EQ_INT(s->n_media, 3);
  CHECK_EQ_INT(s->n_bundle_mids, 3);
  /* Firefox: fingerprint at session level, ICE credentials per section. */
  CHECK_STR(s->fingerprint_hash, "sha-256");
  CHECK(s->media[1].fingerprint[0] == '\0');
  const brtc_sdp_media *a = &s->media[0], *v = &s->media[1], *d = &s->media[2];
  CHECK_STR(brtc_sdp_fingerprint(s, v, NULL), s->fingerprint);
  CHECK_STR(brtc_sdp_ice_ufrag(s, v), "a4be658b");
  CHECK_STR(brtc_sdp_ice_pwd(s, d), "03a42ccd74b62ab480002b3761f57419");
  CHECK_EQ_INT(brtc_sdp_setup_of(s, a), BRTC_SETUP_ACTPASS);
  CHECK_EQ_INT(a->direction, BRTC_DIR_SENDRECV);
  /* Firefox writes a=fmtp before a=rtpmap: apt must still land on the rtx codec. */
  const brtc_sdp_codec *vp8 = codec_by_name(v, "VP8");
  CHECK(vp8 && vp8->payload_type == 120 && vp8->fb_nack_pli && vp8->fb_goog_remb);
  CHECK(vp8 && strcmp(vp8->fmtp, "max-fs=12288;max-fr=60") == 0);
  const brtc_sdp_codec *rtx = codec_by_pt(v, 124);
  CHECK(rtx && strcmp(rtx->name, "rtx") == 0 && rtx->apt == 120);
  const brtc_sdp_codec *opus = codec_by_name(a, "opus");
  CHECK(opus && opus->payload_type == 109 && opus->channels == 2);
  CHECK(codec_by_pt(a, 9) && codec_by_pt(a, 9)->channels == 1);
  /* "a=extmap:2/recvonly ..." keeps its id. */
  CHECK_EQ_INT(extmap_id(a, "urn:ietf:params:rtp-hdrext:csrc-audio-level"), 2);
  CHECK_EQ_INT(extmap_id(a, EXT_MID), 3);
  CHECK_EQ_INT(extmap_id(a, EXT_AST), 0);
  CHECK_EQ_INT(extmap_id(v, EXT_AST), 4);
  CHECK_EQ_INT(a->n_candidates, 8); /* RTP and RTCP components */
  CHECK_EQ_INT(v->n_ssrcs, 2);
  CHECK_EQ_INT(d->sctp_port, 5000);
  CHECK_EQ_INT(d->max_message_size, 1073741823);
  brtc_sdp_free(s);
}

static void test_firefox_video(void) {
  brtc_sdp *s = parse_fixture("firefox_offer_video.sdp");
  if (!s) return;
  CHECK_EQ_INT(s->n_media, 1);
  CHECK_STR(s->media[0].mid, "0");
  CHECK(codec_by_name(&s->media[0], "VP8") != NULL);
  brtc_sdp_free(s);
}

/* Two descriptions say the same: every value, string by content (each has its own). */
static bool same_str(const char *a, const char *b) { return strcmp(a, b) == 0; }

static bool same_media(const brtc_sdp_media *a, const brtc_sdp_media *b) {
  bool same = a->kind == b->kind && a->port == b->port && a->direction == b->direction &&
              a->rtcp_mux == b->rtcp_mux && a->rtcp_rsize == b->rtcp_rsize &&
              a->bundle_only == b->bundle_only && a->setup == b->setup &&
              same_str(a->kind_text, b->kind_text) && same_str(a->proto, b->proto) &&
              same_str(a->mid, b->mid) && same_str(a->ice_ufrag, b->ice_ufrag) &&
              same_str(a->ice_pwd, b->ice_pwd) &&
              same_str(a->fingerprint_hash, b->fingerprint_hash) &&
              same_str(a->fingerprint, b->fingerprint) && same_str(a->first_fmt, b->first_fmt) &&
              a->n_codecs == b->n_codecs && a->n_extmaps == b->n_extmaps &&
              a->n_ssrcs == b->n_ssrcs && a->n_candidates == b->n_candidates &&
              a->fid_media_ssrc == b->fid_media_ssrc && a->fid_rtx_ssrc == b->fid_rtx_ssrc &&
              a->sctp_port == b->sctp_port && a->max_message_size == b->max_message_size &&
              a->has_max_message_size == b->has_max_message_size &&
              a->sctpmap_datachannel == b->sctpmap_datachannel &&
              a->sctpmap_port == b->sctpmap_port &&
              memcmp(a->ssrcs, b->ssrcs, sizeof a->ssrcs) == 0;
  for (size_t i = 0; same && i < a->n_codecs; i++) {
    const brtc_sdp_codec *x = &a->codecs[i], *y = &b->codecs[i];
    same = x->payload_type == y->payload_type && same_str(x->name, y->name) &&
           x->clock_rate == y->clock_rate && x->channels == y->channels &&
           same_str(x->fmtp, y->fmtp) && x->fb_nack == y->fb_nack &&
           x->fb_nack_pli == y->fb_nack_pli && x->fb_ccm_fir == y->fb_ccm_fir &&
           x->fb_goog_remb == y->fb_goog_remb && x->fb_transport_cc == y->fb_transport_cc &&
           x->apt == y->apt;
  }
  for (size_t i = 0; same && i < a->n_extmaps; i++)
    same = a->extmaps[i].id == b->extmaps[i].id && same_str(a->extmaps[i].uri, b->extmaps[i].uri);
  for (size_t i = 0; same && i < a->n_candidates; i++)
    same = same_str(a->candidates[i], b->candidates[i]);
  return same;
}

static bool same_sdp(const brtc_sdp *a, const brtc_sdp *b) {
  bool same = a->session_id == b->session_id && a->session_version == b->session_version &&
              a->ice_lite == b->ice_lite && a->setup == b->setup &&
              same_str(a->ice_ufrag, b->ice_ufrag) && same_str(a->ice_pwd, b->ice_pwd) &&
              same_str(a->fingerprint_hash, b->fingerprint_hash) &&
              same_str(a->fingerprint, b->fingerprint) &&
              a->n_bundle_mids == b->n_bundle_mids && a->n_media == b->n_media;
  for (size_t i = 0; same && i < a->n_bundle_mids; i++)
    same = same_str(a->bundle_mids[i], b->bundle_mids[i]);
  for (size_t i = 0; same && i < a->n_media; i++) same = same_media(&a->media[i], &b->media[i]);
  return same;
}

/* The same offer with LF line ends parses to the same result. */
static void test_lf_only(void) {
  size_t len = 0;
  char *text = read_fixture("chrome_offer_av_data.sdp", &len);
  if (!text) return;
  brtc_sdp *crlf = parse_fixture("chrome_offer_av_data.sdp");
  size_t j = 0;
  for (size_t i = 0; i < len; i++)
    if (text[i] != '\r') text[j++] = text[i];
  char err[160] = "";
  int rc;
  brtc_sdp *lf = parse_text(text, j, &rc, err, sizeof err);
  CHECK_EQ_INT(rc, BRTC_OK);
  CHECK(crlf && lf && same_sdp(crlf, lf));
  free(text);
  brtc_sdp_free(crlf);
  brtc_sdp_free(lf);
}

#define HEAD "v=0\r\no=- 42 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"

/* Expects a failure with code rc and a reason mentioning want. */
static void expect_fail(const char *text, size_t len, int want_rc, const char *want) {
  char err[160] = "";
  int rc;
  brtc_sdp *s = parse_text(text, len, &rc, err, sizeof err);
  CHECK_EQ_INT(rc, want_rc);
  CHECK(err[0] != '\0');
  if (!strstr(err, want)) {
    fprintf(stderr, "reason \"%s\" lacks \"%s\"\n", err, want);
    CHECK(0);
  }
  brtc_sdp_free(s);
}

static void expect_fail_str(const char *text, const char *want) {
  expect_fail(text, strlen(text), BRTC_ERR_PARSE, want);
}

static void test_malformed(void) {
  expect_fail_str("", "empty SDP");
  expect_fail_str("\r\n\r\n", "empty SDP");
  expect_fail_str("o=- 1 1 IN IP4 0.0.0.0\r\nv=0\r\n", "line 1: SDP must start with v=0");
  expect_fail_str("v=1\r\n", "version");
  expect_fail_str("hello world\r\n", "line 1: not a <type>=<value> line");
  expect_fail_str("v=0\r\n\x01\x02\xff garbage\r\n", "line 2: not a <type>=<value>");
  expect_fail_str("v=0\r\ns=-\r\n", "no o= line");
  expect_fail_str("v=0\r\no=- x 1 IN IP4 0.0.0.0\r\n", "bad session id");
  expect_fail_str("v=0\r\no=- 99999999999999999999999 1 IN IP4 0.0.0.0\r\n", "bad session id");
  expect_fail_str(HEAD "v=0\r\n", "line 5: second v= line");
  expect_fail_str(HEAD "m=video\r\n", "line 5: m= line without port");
  expect_fail_str(HEAD "m=video 9\r\n", "m= line without transport protocol");
  expect_fail_str(HEAD "m=video 9 UDP/TLS/RTP/SAVPF\r\n", "m= line without formats");
  expect_fail_str(HEAD "m=video 70000 UDP/TLS/RTP/SAVPF 96\r\n", "bad port");
  expect_fail_str(HEAD "m=video -1 UDP/TLS/RTP/SAVPF 96\r\n", "bad port");
  expect_fail_str(HEAD "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8\r\n", "a=rtpmap");
  expect_fail_str(HEAD "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:300 VP8/90000\r\n",
                  "payload type");
  expect_fail_str(HEAD "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=fmtp:96 apt=x\r\n", "apt");
  expect_fail_str(HEAD "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=extmap:0 urn:x\r\n", "a=extmap");
  expect_fail_str(HEAD "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=ssrc:-5 cname:x\r\n", "a=ssrc");
  expect_fail_str(HEAD "a=setup:holdconn\r\n", "a=setup");
  expect_fail_str(HEAD "a=fingerprint:sha-256\r\n", "a=fingerprint");
  expect_fail_str(HEAD "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:\r\n", "a=mid");
  expect_fail_str(HEAD "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:a b\r\n", "a=mid");
  expect_fail_str(HEAD "m=application 9 UDP/DTLS/SCTP x\r\na=sctp-port:99999\r\n", "sctp-port");
  expect_fail_str(HEAD "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:x\r\n"
                       "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:x\r\n",
                  "a=mid:x is used by m= sections 0 and 1");

  /* An embedded NUL ends nothing early: it is refused. */
  static const char nul[] = HEAD "a=ice-ufrag:ab\0cd\r\n";
  expect_fail(nul, sizeof nul - 1, BRTC_ERR_PARSE, "line 5: NUL");

  /* More m= lines than BRTC_SDP_MAX_MEDIA. */
  char many[4096];
  size_t n = (size_t)snprintf(many, sizeof many, "%s", HEAD);
  for (int i = 0; i <= BRTC_SDP_MAX_MEDIA; i++)
    n += (size_t)snprintf(many + n, sizeof many - n, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n");
  expect_fail(many, n, BRTC_ERR_PARSE, "more than 16 m= lines");

  /* Huge lines: an over-long identifier is refused, never truncated. */
  char *huge = malloc(BRTC_SDP_MAX_SIZE + 16);
  n = (size_t)snprintf(huge, BRTC_SDP_MAX_SIZE, "%sa=ice-ufrag:", HEAD);
  memset(huge + n, 'u', 5000);
  n += 5000;
  memcpy(huge + n, "\r\n", 2);
  expect_fail(huge, n + 2, BRTC_ERR_PARSE, "line 5: a=ice-ufrag value too long");
  n = (size_t)snprintf(huge, BRTC_SDP_MAX_SIZE, "%sm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=fmtp:96 ",
                       HEAD);
  memset(huge + n, 'f', 300);
  expect_fail(huge, n + 300, BRTC_ERR_PARSE, "a=fmtp value too long");
  /* Larger than the whole-SDP limit. */
  n = (size_t)snprintf(huge, BRTC_SDP_MAX_SIZE, "%s", HEAD);
  memset(huge + n, 'x', BRTC_SDP_MAX_SIZE + 16 - n);
  expect_fail(huge, BRTC_SDP_MAX_SIZE + 1, BRTC_ERR_TOO_BIG, "larger than");
  free(huge);
}

/* Unknown lines and attributes are skipped; over-long candidates and extmaps are dropped. */
/* a=end-of-candidates (RFC 8840 8.2) in a section, or at session level for every section;
 * a section with none of its own, in a description without the session-level one, waits. */
static void test_end_of_candidates(void) {
  static const char media[] =
      "v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nt=0 0\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 96\na=mid:0\na=candidate:1 1 udp 1 10.0.0.1 5000 typ host\n"
      "a=end-of-candidates\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 111\na=mid:1\n";
  static const char session[] =
      "v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nt=0 0\na=end-of-candidates\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 96\na=mid:0\n";
  brtc_sdp *s = NULL;
  char err[160] = "";
  CHECK_EQ_INT(brtc_sdp_parse(media, sizeof media - 1, &s, err, sizeof err), BRTC_OK);
  if (!s) return;
  CHECK(brtc_sdp_end_of_candidates(s, &s->media[0]));
  CHECK(!brtc_sdp_end_of_candidates(s, &s->media[1]));
  CHECK(!s->end_of_candidates);
  brtc_sdp_free(s);
  s = NULL;
  CHECK_EQ_INT(brtc_sdp_parse(session, sizeof session - 1, &s, err, sizeof err), BRTC_OK);
  if (!s) return;
  CHECK(brtc_sdp_end_of_candidates(s, &s->media[0]));
  CHECK(!s->media[0].end_of_candidates);
  brtc_sdp_free(s);
}

static void test_lenient(void) {
  static const char text[] =
      "v=0\n"
      "o=- 7 3 IN IP4 127.0.0.1\n"
      "s=-\n"
      "x=something new\n"
      "a=ice-lite\n"
      "a=recvonly\n"
      "a=some-future-thing:with a value\n"
      "a=group:LS 0 1\n"
      "a=group:BUNDLE v\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 96 97 abc 96 200\n"
      "b=AS:2000\n"
      "a=mid:v\n"
      "a=rtpmap:96 VP8/90000\n"
      "a=rtpmap:55 H264/90000\n"
      "a=rtcp-fb:* nack\n"
      "a=rtcp-fb:96 unknown-fb thing\n"
      "a=rtcp-fb:96 ccm tmmbr\n"
      "a=rtpmap:97 rtx/90000\n"
      "a=fmtp:97 x=1; apt = 96 ;y\n"
      "a=extmap:3/sendonly " "urn:ietf:params:rtp-hdrext:sdes:mid\n"
      "a=extmap:3 urn:duplicate:id\n"
      "a=ssrc:5 cname:a\n"
      "a=ssrc:5 msid:a b\n"
      "a=ssrc:6 cname:a\n"
      "a=candidate:1 1 udp 1 10.0.0.1 5000 typ host\n"
      "a=max-message-size:99999999999\n"
      "m=audio 0 RTP/AVP 0\n"
      "a=sendonly\n";
  char err[160] = "";
  int rc;
  brtc_sdp *s = parse_text(text, sizeof text - 1, &rc, err, sizeof err);
  CHECK_EQ_INT(rc, BRTC_OK);
  if (rc != BRTC_OK) fprintf(stderr, "lenient: %s\n", err);
  CHECK(s->ice_lite);
  CHECK_EQ_INT(s->n_bundle_mids, 1);
  CHECK_STR(s->bundle_mids[0], "v");
  const brtc_sdp_media *v = &s->media[0];
  CHECK_EQ_INT(v->n_codecs, 2); /* "abc", the duplicate 96 and 200 are not RTP codecs */
  CHECK(codec_by_pt(v, 55) == NULL);
  CHECK(codec_by_pt(v, 96)->fb_nack && codec_by_pt(v, 97)->fb_nack);
  CHECK(!codec_by_pt(v, 96)->fb_ccm_fir);
  CHECK_EQ_INT(codec_by_pt(v, 97)->apt, 96);
  CHECK_EQ_INT(v->n_extmaps, 1);
  CHECK_EQ_INT(extmap_id(v, "urn:ietf:params:rtp-hdrext:sdes:mid"), 3);
  CHECK_EQ_INT(v->n_ssrcs, 2);
  CHECK_EQ_INT(v->n_candidates, 1);
  CHECK_STR(v->candidates[0], "candidate:1 1 udp 1 10.0.0.1 5000 typ host");
  CHECK(v->max_message_size == UINT32_MAX);
  /* Session-level direction is the default; a section's own one wins. */
  CHECK_EQ_INT(v->direction, BRTC_DIR_RECVONLY);
  CHECK_EQ_INT(s->media[1].direction, BRTC_DIR_SENDONLY);
  CHECK_EQ_INT(s->media[1].port, 0);
  CHECK_STR(s->media[1].first_fmt, "0");
  brtc_sdp_free(s);
}

static void test_limits(void) {
  char *text = malloc(BRTC_SDP_MAX_SIZE);
  size_t n = (size_t)snprintf(text, BRTC_SDP_MAX_SIZE, "%sm=video 9 UDP/TLS/RTP/SAVPF", HEAD);
  for (int pt = 40; pt < 80; pt++) n += (size_t)snprintf(text + n, 16, " %d", pt);
  n += (size_t)snprintf(text + n, 8, "\r\n");
  for (int pt = 40; pt < 80; pt++)
    n += (size_t)snprintf(text + n, 64, "a=rtpmap:%d VP8/90000\r\n", pt);
  for (int i = 1; i <= 20; i++)
    n += (size_t)snprintf(text + n, 128, "a=candidate:%d 1 udp 1 192.0.2.1 %d typ host\r\n", i,
                          1000 + i);
  for (int i = 1; i <= 20; i++)
    n += (size_t)snprintf(text + n, 128, "a=extmap:%d urn:example:%d\r\n", i, i);
  for (int i = 1; i <= 20; i++) n += (size_t)snprintf(text + n, 64, "a=ssrc:%d cname:x\r\n", i);
  /* A 300-byte candidate and a 300-byte extmap URI are dropped, not fatal. */
  n += (size_t)snprintf(text + n, 64, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=extmap:200 urn:");
  memset(text + n, 'e', 300);
  n += 300;
  n += (size_t)snprintf(text + n, 64, "\r\na=candidate:");
  memset(text + n, 'c', 300);
  n += 300;
  n += (size_t)snprintf(text + n, 8, "\r\n");
  char err[160] = "";
  int rc;
  brtc_sdp *s = parse_text(text, n, &rc, err, sizeof err);
  CHECK_EQ_INT(rc, BRTC_OK);
  if (rc != BRTC_OK) fprintf(stderr, "limits: %s\n", err);
  const brtc_sdp_media *v = &s->media[0];
  CHECK_EQ_INT(v->n_codecs, BRTC_SDP_MAX_CODECS);
  CHECK_EQ_INT(v->codecs[BRTC_SDP_MAX_CODECS - 1].payload_type, 40 + BRTC_SDP_MAX_CODECS - 1);
  CHECK_STR(v->codecs[BRTC_SDP_MAX_CODECS - 1].name, "VP8");
  CHECK_EQ_INT(v->n_candidates, BRTC_SDP_MAX_CANDIDATES);
  CHECK_EQ_INT(v->n_extmaps, BRTC_SDP_MAX_EXTMAPS);
  CHECK_EQ_INT(v->n_ssrcs, BRTC_SDP_MAX_SSRCS);
  CHECK_EQ_INT(s->media[1].n_candidates, 0);
  CHECK_EQ_INT(s->media[1].n_extmaps, 0);
  brtc_sdp_free(s);

  /* Exactly BRTC_SDP_MAX_MEDIA m= lines are fine. */
  n = (size_t)snprintf(text, BRTC_SDP_MAX_SIZE, "%s", HEAD);
  for (int i = 0; i < BRTC_SDP_MAX_MEDIA; i++)
    n += (size_t)snprintf(text + n, 64, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:%d\r\n", i);
  s = parse_text(text, n, &rc, err, sizeof err);
  CHECK_EQ_INT(rc, BRTC_OK);
  CHECK_EQ_INT(s->n_media, BRTC_SDP_MAX_MEDIA);
  CHECK_STR(s->media[15].mid, "15");
  brtc_sdp_free(s);
  free(text);
}

static void test_bad_args(void) {
  brtc_sdp *s = NULL;
  char err[64];
  CHECK_EQ_INT(brtc_sdp_parse(NULL, 5, &s, err, sizeof err), BRTC_ERR_INVALID);
  CHECK_EQ_INT(brtc_sdp_parse("v=0", 3, NULL, err, sizeof err), BRTC_ERR_INVALID);
  /* err may be NULL or tiny; a failed parse leaves nothing to free. */
  CHECK_EQ_INT(brtc_sdp_parse("x", 1, &s, NULL, 0), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_sdp_parse("x", 1, &s, err, 4), BRTC_ERR_PARSE);
  CHECK(s == NULL);
  CHECK_EQ_INT(strlen(err), 3);
  brtc_sdp_free(NULL);
}

/* RFC 8841 5 and 6, and the older a=sctpmap (draft-ietf-mmusic-sctp-sdp-05 4): what the
 * data section says of the peer's SCTP port and the largest message it takes. */
static void test_data_attributes(void) {
  static const char text[] = HEAD
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:a\r\na=sctp-port:5001\r\n"
      "a=max-message-size:0\r\n"
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:b\r\n"
      "m=application 9 DTLS/SCTP 5002\r\na=mid:c\r\na=sctpmap:5002 webrtc-datachannel 1024\r\n"
      "a=max-message-size:8589934592\r\n"
      "m=application 9 DTLS/SCTP 5003\r\na=mid:d\r\na=sctpmap:5003 t38\r\n";
  int rc;
  char err[160] = "";
  brtc_sdp *s = parse_text(text, sizeof text - 1, &rc, err, sizeof err);
  CHECK_EQ_INT(rc, BRTC_OK);
  if (!s) return;
  CHECK_EQ_INT(s->n_media, 4);
  CHECK_EQ_INT(s->media[0].kind, BRTC_MEDIA_APPLICATION);
  CHECK_EQ_INT(s->media[0].sctp_port, 5001);
  CHECK(s->media[0].has_max_message_size); /* 0: any size */
  CHECK_EQ_INT(s->media[0].max_message_size, 0);
  CHECK_STR(s->media[0].first_fmt, "webrtc-datachannel");
  CHECK(!s->media[1].has_max_message_size); /* absent: 64 KiB, the pc's to apply */
  CHECK_EQ_INT(s->media[1].sctp_port, 0);
  CHECK(s->media[2].sctpmap_datachannel);
  CHECK_EQ_INT(s->media[2].sctpmap_port, 5002);
  CHECK_EQ_INT(s->media[2].max_message_size, UINT32_MAX); /* clamped */
  CHECK(!s->media[3].sctpmap_datachannel);
  brtc_sdp_free(s);
  expect_fail_str(HEAD "m=application 9 DTLS/SCTP 5000\r\na=sctpmap:x webrtc-datachannel\r\n",
                  "a=sctpmap");
  expect_fail_str(HEAD "m=application 9 UDP/DTLS/SCTP x\r\na=max-message-size:-1\r\n",
                  "a=max-message-size");
}

/* A description holds what its text holds (sdp_parse.c): Chromium's real audio, video and
 * data offer in 16 KiB, where the old fixed structure (sixteen sections of fixed strings)
 * took over 300 KB for any offer. Not a timing: the size follows from the text alone. */
static void test_memory_follows_content(void) {
  size_t len = 0;
  char *text = read_fixture("chrome_offer_av_data.sdp", &len);
  brtc_sdp *s = parse_fixture("chrome_offer_av_data.sdp");
  CHECK(text && s);
  if (text && s) {
    size_t codecs = 0;
    for (size_t i = 0; i < s->n_media; i++) codecs += s->media[i].n_codecs;
    CHECK_EQ_INT(s->n_media, 3);
    CHECK(s->bytes <= 16 * 1024);
    /* Its parts: the sections and codecs it has, and at most its text again for strings. */
    CHECK(s->bytes <= sizeof(brtc_sdp) + s->n_media * sizeof(brtc_sdp_media) +
                          (codecs + 8) * sizeof(brtc_sdp_codec) + len + 1);
  }
  brtc_sdp_free(s);
  free(text);
}

/* The most any text can make it hold: sixteen sections of 32 codecs each, and the rest of
 * BRTC_SDP_MAX_SIZE in values kept again and again (fingerprints, ufrags, fmtps and
 * candidates repeated, each a new copy): it parses, in at most the input plus the structs. */
static void test_memory_bound(void) {
  char *text = malloc(BRTC_SDP_MAX_SIZE + 1);
  if (!text) return;
  size_t n = (size_t)snprintf(text, 256, "%s", HEAD);
  for (int m = 0; m < BRTC_SDP_MAX_MEDIA; m++) {
    n += (size_t)snprintf(text + n, 64, "m=video 9 UDP/TLS/RTP/SAVPF");
    for (int pt = 96; pt < 96 + BRTC_SDP_MAX_CODECS; pt++)
      n += (size_t)snprintf(text + n, 8, " %d", pt);
    n += (size_t)snprintf(text + n, 64, "\r\na=mid:%d\r\n", m);
  }
  static const char *const kept[] = {
      "a=fingerprint:sha-1 AB:CD\r\n", "a=ice-ufrag:abcd\r\n", "a=fmtp:96 x=1;apt=97\r\n",
      "a=rtpmap:97 rtx/90000\r\n", "a=candidate:1 1 udp 1 10.0.0.1 9 typ host\r\n",
      "a=extmap:1 urn:x\r\n", "a=ice-pwd:abcdefghijklmnopqrstuv\r\n"};
  for (size_t i = 0;; i++) {
    const char *line = kept[i % (sizeof kept / sizeof kept[0])];
    if (n + strlen(line) > BRTC_SDP_MAX_SIZE) break;
    memcpy(text + n, line, strlen(line));
    n += strlen(line);
  }
  char err[160] = "";
  int rc;
  brtc_sdp *s = parse_text(text, n, &rc, err, sizeof err);
  CHECK_EQ_INT(rc, BRTC_OK);
  if (rc != BRTC_OK) fprintf(stderr, "memory bound: %s\n", err);
  if (s) {
    CHECK_EQ_INT(s->n_media, BRTC_SDP_MAX_MEDIA);
    CHECK_EQ_INT(s->media[0].n_codecs, BRTC_SDP_MAX_CODECS);
    CHECK(s->bytes <= sizeof(brtc_sdp) +
                          BRTC_SDP_MAX_MEDIA * (sizeof(brtc_sdp_media) +
                                                BRTC_SDP_MAX_CODECS * sizeof(brtc_sdp_codec)) +
                          BRTC_SDP_MAX_SIZE + 1);
  }
  brtc_sdp_free(s);
  free(text);
}

int main(void) {
  RUN(test_data_attributes);
  RUN(test_chrome_av_data);
  RUN(test_chrome_video);
  RUN(test_firefox_av_data);
  RUN(test_firefox_video);
  RUN(test_lf_only);
  RUN(test_malformed);
  RUN(test_lenient);
  RUN(test_end_of_candidates);
  RUN(test_limits);
  RUN(test_bad_args);
  RUN(test_memory_follows_content);
  RUN(test_memory_bound);
  return TEST_REPORT();
}
