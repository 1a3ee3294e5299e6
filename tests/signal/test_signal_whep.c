/* WHEP (draft-ietf-wish-whep) from `boltrtc serve --source FILE`, without a browser: the
 * server (a forked child) plays an IVF file of libvpx frames to a simulated browser that
 * POSTs a recvonly offer over loopback. The answer sends (sendonly, our SSRC); the frames
 * arrive SRTP-protected, in order, byte for byte the file's, starting with its keyframe and
 * looping; /whip does not know the viewer's resource; DELETE ends it. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec/vp8.h"
#include "common/bytes.h"
#include "rtp/rtp.h"
#include "server_harness.h"
#include "testing.h"

#define FRAMES 10
#define MAX_PKTS 4096

static char dir[64] = "/tmp/brtc-whep-XXXXXX";
static char ivf_path[128];
static sh_server server;
static uint8_t *frames[FRAMES];
static size_t lens[FRAMES];

/* What arrived: each VP8 frame put back together from its packets (marker ends one). */
static uint8_t assembling[256 * 1024];
static size_t assembled_len;
static uint8_t *got[3 * FRAMES];
static size_t got_lens[3 * FRAMES];
static size_t n_got;
static uint32_t got_ssrc;
static uint64_t packets;
static bool bad_order;
static uint16_t last_seq;

static void on_rtp(void *user, const uint8_t *pkt, size_t len) {
  (void)user;
  brtc_rtp_header h;
  brtc_vp8_descriptor d;
  if (brtc_rtp_parse(pkt, len, &h) != BRTC_OK ||
      brtc_vp8_parse_descriptor(h.payload, h.payload_len, &d) != BRTC_OK)
    return;
  if (packets++ && (uint16_t)(last_seq + 1) != h.sequence) bad_order = true;
  last_seq = h.sequence;
  got_ssrc = h.ssrc;
  size_t part = h.payload_len - d.size;
  if (assembled_len + part > sizeof(assembling)) return;
  memcpy(assembling + assembled_len, h.payload + d.size, part);
  assembled_len += part;
  if (!h.marker) return;
  if (n_got < 3 * FRAMES && (got[n_got] = malloc(assembled_len))) {
    memcpy(got[n_got], assembling, assembled_len);
    got_lens[n_got++] = assembled_len;
  }
  assembled_len = 0;
}

/* RFC-less but well known: IVF, 32-byte file header, 12-byte frame headers (libvpx's). */
static bool write_ivf(const char *path, unsigned w, unsigned h) {
  FILE *f = fopen(path, "wb");
  if (!f) return false;
  uint8_t hdr[32] = {'D', 'K', 'I', 'F', 0, 0, 32, 0, 'V', 'P', '8', '0'};
  hdr[12] = (uint8_t)w, hdr[13] = (uint8_t)(w >> 8), hdr[14] = (uint8_t)h,
  hdr[15] = (uint8_t)(h >> 8);
  hdr[16] = 30; /* timebase 1/30 */
  hdr[20] = 1;
  hdr[24] = FRAMES;
  bool ok = fwrite(hdr, 1, 32, f) == 32;
  for (int i = 0; i < FRAMES && ok; i++) {
    uint8_t fh[12] = {0};
    fh[0] = (uint8_t)lens[i], fh[1] = (uint8_t)(lens[i] >> 8), fh[2] = (uint8_t)(lens[i] >> 16);
    fh[4] = (uint8_t)i; /* pts in 1/30 s */
    ok = fwrite(fh, 1, 12, f) == 12 && fwrite(frames[i], 1, lens[i], f) == lens[i];
  }
  return fclose(f) == 0 && ok;
}

static void test_whep_view(void) {
  sim_peer_opts o = {.no_audio = true, .video_direction = "recvonly", .rtp_in = on_rtp};
  sh_publisher v;
  CHECK(sh_publisher_open_opts(&v, NULL, &o));
  if (!v.sim) return;
  sh_response r;
  CHECK(sh_http(&server, NULL, "POST", "/whep", "application/sdp", sim_peer_offer(v.sim), &r));
  CHECK_EQ_INT(r.status, 201);
  CHECK(strncmp(r.location, "/whep/", 6) == 0 && strlen(r.location) == 6 + 32);
  char del[200], wrong[200];
  snprintf(del, sizeof del, "%s", r.location);
  snprintf(wrong, sizeof wrong, "/whip/%s", r.location + 6);
  CHECK(r.body && strstr(r.body, "a=sendonly\r\n") && strstr(r.body, "a=ssrc:"));
  char err[256] = "";
  int rc = r.body ? sim_peer_set_answer(v.sim, r.body, err, sizeof err) : BRTC_ERR_PARSE;
  if (rc != BRTC_OK) fprintf(stderr, "answer refused: %s\n", err);
  CHECK_EQ_INT(rc, BRTC_OK);
  free(r.body);
  CHECK(sh_pump_until_ready(&v, 5000));
  /* Ten frames at 30 fps is a third of a second: 1.2 s holds the file and most of two more
   * loops. */
  sh_pump(&v, 1200);
  CHECK(n_got >= FRAMES + 2);
  CHECK(!bad_order);
  for (size_t i = 0; i < n_got; i++) {
    size_t want = i % FRAMES;
    CHECK_EQ_INT(got_lens[i], lens[want]);
    if (got_lens[i] == lens[want]) CHECK_MEM(got[i], frames[want], lens[want]);
  }
  /* The viewer's resource is not a WHIP one. */
  CHECK(sh_http(&server, NULL, "DELETE", wrong, NULL, NULL, &r));
  CHECK_EQ_INT(r.status, 404);
  free(r.body);
  CHECK(sh_http(&server, NULL, "DELETE", del, NULL, NULL, &r));
  CHECK_EQ_INT(r.status, 200);
  free(r.body);
  sh_pump(&v, 200);
  CHECK(sim_peer_get_stats(v.sim)->dtls_closed);
  CHECK(sh_http(&server, NULL, "DELETE", del, NULL, NULL, &r));
  CHECK_EQ_INT(r.status, 404);
  free(r.body);
  CHECK_EQ_INT(sim_peer_get_stats(v.sim)->rtp_bad, 0);
  sh_publisher_close(&v);
}

/* An offer whose video section only sends (a publisher's) gives a viewer nothing: refused. */
static void test_whep_refuses_sendonly(void) {
  sim_peer_opts o = {.no_audio = true, .video_direction = "sendonly"};
  sh_publisher v;
  CHECK(sh_publisher_open_opts(&v, NULL, &o));
  if (!v.sim) return;
  sh_response r;
  CHECK(sh_http(&server, NULL, "POST", "/whep", "application/sdp", sim_peer_offer(v.sim), &r));
  CHECK_EQ_INT(r.status, 400);
  CHECK(r.body && strstr(r.body, "receives"));
  free(r.body);
  sh_publisher_close(&v);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  if (!mkdtemp(dir)) return 1;
  bool keys[FRAMES] = {true};
  CHECK_EQ_INT(sh_encode_frames(320, 240, FRAMES, keys, frames, lens), FRAMES);
  snprintf(ivf_path, sizeof ivf_path, "%s/clip.ivf", dir);
  CHECK(write_ivf(ivf_path, 320, 240));
  brtc_signal_config sc = {.output_dir = dir, .max_sessions = 4, .whep_source = ivf_path};
  if (!sh_server_start(&server, &sc)) {
    fprintf(stderr, "cannot start the server\n");
    sh_server_stop(&server);
    return 1;
  }
  RUN(test_whep_view);
  RUN(test_whep_refuses_sendonly);
  CHECK_EQ_INT(sh_server_stop(&server), 0);
  for (int i = 0; i < FRAMES; i++) free(frames[i]);
  for (size_t i = 0; i < n_got; i++) free(got[i]);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return TEST_REPORT();
}
