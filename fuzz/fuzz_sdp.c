/* SDP: parse arbitrary text and, when it parses, answer it (both must stay in bounds). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "boltrtc/error.h"
#include "sdp/sdp.h"

static brtc_sdp offer;
static char answer[64 * 1024];
static brtc_sdp_negotiated neg[BRTC_SDP_MAX_MEDIA];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[160];
  if (brtc_sdp_parse((const char *)data, size, &offer, err, sizeof err) != BRTC_OK) return 0;
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
  };
  int rc = brtc_sdp_write_answer(&offer, &p, answer, sizeof answer, neg, err, sizeof err);
  if (rc == BRTC_OK && strlen(answer) >= sizeof answer) __builtin_trap();
  return 0;
}
