/* SDP: parse arbitrary text and, when it parses, answer it, and check it as the answer to
 * our audio/video/data offer (all must stay in bounds). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "boltrtc/error.h"
#include "sdp/sdp.h"
#include "sdp/sdp_offer.h"

static char answer[64 * 1024];
static brtc_sdp_negotiated neg[BRTC_SDP_MAX_MEDIA];

static const brtc_sdp_codec video_codecs[] = {
    {.payload_type = 96, .name = "VP8", .clock_rate = 90000, .apt = -1},
    {.payload_type = 97, .name = "rtx", .clock_rate = 90000, .apt = 96}};
static const brtc_sdp_codec audio_codecs[] = {
    {.payload_type = 111, .name = "opus", .clock_rate = 48000, .channels = 2, .apt = -1}};
static const brtc_sdp_extmap exts[] = {{.id = 4, .uri = "urn:ietf:params:rtp-hdrext:sdes:mid"}};
static const brtc_sdp_offer_section sections[] = {
    {.kind = BRTC_MEDIA_AUDIO, .mid = "0", .direction = BRTC_DIR_RECVONLY,
     .codecs = audio_codecs, .n_codecs = 1},
    {.kind = BRTC_MEDIA_VIDEO, .mid = "1", .direction = BRTC_DIR_SENDONLY,
     .codecs = video_codecs, .n_codecs = 2, .extmaps = exts, .n_extmaps = 1},
    {.kind = BRTC_MEDIA_APPLICATION, .mid = "2"}};
/* The same as a later offer would have it (renegotiation): the video section stopped. */
static const brtc_sdp_offer_section later_sections[] = {
    {.kind = BRTC_MEDIA_AUDIO, .mid = "0", .direction = BRTC_DIR_RECVONLY,
     .codecs = audio_codecs, .n_codecs = 1},
    {.kind = BRTC_MEDIA_VIDEO, .mid = "1", .direction = BRTC_DIR_INACTIVE,
     .codecs = video_codecs, .n_codecs = 2, .stopped = true},
    {.kind = BRTC_MEDIA_APPLICATION, .mid = "2"}};
/* Send tracks, one kept on the section it was negotiated on (renegotiation), one new. */
static const brtc_sdp_send_track send_tracks[] = {
    {.kind = BRTC_MEDIA_VIDEO, .codec = "VP8", .ssrc = 11, .rtx_ssrc = 12, .mid = "1"},
    {.kind = BRTC_MEDIA_VIDEO, .codec = "VP8", .ssrc = 13}};

/* The parsed text as an answer to our offer: three sections (the first offer's, or a later
 * one's), or only the data one. */
static void check_as_answer(const brtc_sdp *offer, size_t size) {
  brtc_sdp_offer_params op = {.ice_ufrag = "fuzz", .ice_pwd = "fuzzfuzzfuzzfuzzfuzzfuzz",
                              .fingerprint_sha256 = "AB:CD",
                              .sections = (size & 32)   ? &sections[2]
                                          : (size & 64) ? later_sections
                                                        : sections,
                              .n_sections = (size & 32) ? 1 : 3};
  static brtc_sdp_answered answered[BRTC_SDP_MAX_MEDIA];
  brtc_sdp_answer_transport t;
  char err[200];
  if (brtc_sdp_check_answer(&op, offer, answered, &t, err, sizeof err) == BRTC_OK &&
      (!t.ice_ufrag[0] || !t.fingerprint[0] || t.section >= offer->n_media))
    __builtin_trap(); /* an accepted answer always names its transport */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[160];
  brtc_sdp *offer = NULL;
  int parsed = brtc_sdp_parse((const char *)data, size, &offer, err, sizeof err);
  /* The block is sized from the text before parsing (sdp_parse.c): running out of it would
   * mean the count missed something a line can keep. */
  if (parsed == BRTC_ERR_NOMEM) __builtin_trap();
  if (parsed != BRTC_OK) return 0;
  static const char *const candidates[] = {"candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host"};
  brtc_sdp_answer_params p = {
      .ice_ufrag = "fuzz",
      .ice_pwd = "fuzzfuzzfuzzfuzzfuzzfuzz",
      .fingerprint_sha256 = "AB:CD",
      .setup = (size & 1) ? BRTC_SETUP_ACTIVE : BRTC_SETUP_PASSIVE,
      .candidates = candidates,
      .n_candidates = 1,
      .ice_lite = true,
      .accept_video = true,
      .accept_audio = true,
      .send_video = (size & 2) != 0,
      .video_ssrc = 1,
      .session_id = 1,
      .transport_cc = (size & 4) != 0,
      .video_start_bitrate_kbps = (size & 8) ? 1500 : 0,
      .accept_data = (size & 16) != 0, /* the data section, both its forms (issue 9) */
      .send_tracks = (size & 64) ? send_tracks : NULL,
      .n_send_tracks = (size & 64) ? 2 : 0,
  };
  check_as_answer(offer, size);
  int rc = brtc_sdp_write_answer(offer, &p, answer, sizeof answer, neg, err, sizeof err);
  brtc_sdp_free(offer);
  if (rc == BRTC_OK && strlen(answer) >= sizeof answer) __builtin_trap();
  return 0;
}
