/* Send sections (sdp_send.c and the answer's placing of send tracks), against Chrome's real
 * offer of audio, video and data: H.264 takes packetization-mode 1 constrained baseline
 * (42e01f, pt 108, of six H.264 formats) with its rtx and echoed fmtp; audio sends Opus; the
 * FID group and a=msid; a track whose codec is not offered or whose kind has no section stays
 * out; the attribute writer alone: its lines, refusals and overflow. */
#include <stdlib.h>
#include <string.h>

#include "sdp_fixture.h"
#include "testing.h"

#define OUR_FP                                                                                   \
  "12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:" \
  "DE:F0"

static char answer[32 * 1024];
static brtc_sdp_negotiated neg[BRTC_SDP_MAX_MEDIA];

static int answer_with(const brtc_sdp *offer, const brtc_sdp_send_track *tracks, size_t n) {
  brtc_sdp_answer_params p = {
      .ice_ufrag = "bRtc", .ice_pwd = "0123456789abcdefghijklmn", .fingerprint_sha256 = OUR_FP,
      .setup = BRTC_SETUP_PASSIVE, .ice_lite = true, .accept_video = true, .accept_audio = true,
      .cname = "ourcname", .session_id = 7, .send_tracks = tracks, .n_send_tracks = n};
  char err[200] = "";
  int rc = brtc_sdp_write_answer(offer, &p, answer, sizeof answer, neg, err, sizeof err);
  if (rc != BRTC_OK) fprintf(stderr, "answer: %s\n", err);
  return rc;
}

/* The section of the answer for mid, up to the next m= line. */
static const char *section(const char *mid, char *out, size_t cap) {
  char want[32];
  snprintf(want, sizeof want, "a=mid:%s\r\n", mid);
  const char *at = strstr(answer, want);
  const char *start = at;
  while (start && start > answer && strncmp(start, "m=", 2) != 0) start--;
  const char *end = at ? strstr(at, "\r\nm=") : NULL;
  size_t len = start ? (size_t)((end ? end + 2 : answer + strlen(answer)) - start) : 0;
  if (len >= cap) len = cap - 1;
  memcpy(out, start ? start : "", len);
  out[len] = '\0';
  return out;
}

static void chrome_h264_and_opus(void) {
  size_t len = 0;
  char *text = read_fixture("chrome_offer_av_data.sdp", &len);
  int rc;
  brtc_sdp *offer = text ? parse_text(text, len, &rc, NULL, 0) : NULL;
  CHECK(offer != NULL);
  if (!offer) {
    free(text);
    return;
  }
  brtc_sdp_send_track tracks[] = {
      {.kind = BRTC_MEDIA_VIDEO, .codec = "H264", .ssrc = 1111, .rtx_ssrc = 2222,
       .stream_id = "cam", .track_id = "cam-v"},
      {.kind = BRTC_MEDIA_AUDIO, .codec = "opus", .ssrc = 3333, .recv = true},
      {.kind = BRTC_MEDIA_VIDEO, .codec = "VP8", .ssrc = 4444}, /* no second video section */
  };
  CHECK_EQ_INT(answer_with(offer, tracks, 3), BRTC_OK);
  char sec[8192];
  /* Chrome's sections: audio mid 0, video mid 1, data mid 2. */
  CHECK_EQ_INT(neg[1].send_track, 0);
  CHECK_EQ_INT(neg[1].payload_type, 108);
  CHECK_EQ_INT(neg[1].rtx_payload_type, 109);
  CHECK(neg[1].we_send && !neg[1].we_receive); /* the track does not receive */
  section("1", sec, sizeof sec);
  CHECK(strstr(sec, "m=video 9 UDP/TLS/RTP/SAVPF 108 109\r\n") != NULL);
  CHECK(strstr(sec, "a=sendonly\r\n") != NULL);
  CHECK(strstr(sec, "a=rtpmap:108 H264/90000\r\n") != NULL);
  CHECK(strstr(sec, "a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;"
                    "profile-level-id=42e01f\r\n") != NULL);
  CHECK(strstr(sec, "a=msid:cam cam-v\r\na=ssrc-group:FID 1111 2222\r\n"
                    "a=ssrc:1111 cname:ourcname\r\na=ssrc:1111 msid:cam cam-v\r\n"
                    "a=ssrc:2222 cname:ourcname\r\na=ssrc:2222 msid:cam cam-v\r\n") != NULL);
  CHECK(strstr(sec, "x-google-start-bitrate") == NULL); /* we do not receive here */
  /* Audio: sendrecv (the track receives, Chrome sends), Opus, no FID group. */
  CHECK_EQ_INT(neg[0].send_track, 1);
  section("0", sec, sizeof sec);
  CHECK(strstr(sec, "a=sendrecv\r\n") != NULL);
  CHECK(strstr(sec, "a=ssrc:3333 cname:ourcname\r\n") != NULL);
  CHECK(strstr(sec, "a=msid:boltrtc boltrtc-audio\r\n") != NULL);
  CHECK(strstr(sec, "ssrc-group") == NULL);
  CHECK(strstr(answer, "4444") == NULL); /* the third track found no section */
  CHECK(strstr(answer, "a=msid-semantic: WMS boltrtc\r\n") != NULL);
  /* Re-parsed, the answer is good SDP that says the same. */
  brtc_sdp *back = parse_text(answer, strlen(answer), &rc, NULL, 0);
  CHECK_EQ_INT(rc, BRTC_OK);
  if (back) {
    CHECK_EQ_INT(back->media[1].direction, BRTC_DIR_SENDONLY);
    CHECK_EQ_INT(back->media[1].fid_media_ssrc, 1111);
    CHECK_EQ_INT(back->media[1].fid_rtx_ssrc, 2222);
    brtc_sdp_free(back);
  }
  brtc_sdp_free(offer);
  free(text);
}

static void writer_alone(void) {
  char out[512];
  size_t len = 0;
  brtc_sdp_send_track t = {.kind = BRTC_MEDIA_VIDEO, .codec = "VP8", .ssrc = 5, .rtx_ssrc = 6};
  CHECK_EQ_INT(brtc_sdp_write_send_attributes(&t, "c", false, out, sizeof out, &len), BRTC_OK);
  CHECK_STR(out, "a=msid:boltrtc boltrtc-video\r\na=ssrc:5 cname:c\r\n"
                 "a=ssrc:5 msid:boltrtc boltrtc-video\r\n");
  CHECK_EQ_INT(len, strlen(out));
  /* Appends; too small a buffer leaves it as it was. */
  size_t before = len;
  CHECK_EQ_INT(brtc_sdp_write_send_attributes(&t, "c", true, out, before + 40, &len),
               BRTC_ERR_TOO_BIG);
  CHECK_EQ_INT(len, before);
  CHECK_EQ_INT(strlen(out), before);
  t.track_id = "two words";
  CHECK_EQ_INT(brtc_sdp_write_send_attributes(&t, "c", false, out, sizeof out, &len),
               BRTC_ERR_INVALID);
  t.track_id = NULL;
  t.ssrc = 0;
  CHECK_EQ_INT(brtc_sdp_write_send_attributes(&t, "c", false, out, sizeof out, &len),
               BRTC_ERR_INVALID);
}

int main(void) {
  RUN(chrome_h264_and_opus);
  RUN(writer_alone);
  return TEST_REPORT();
}
