/* The boltrtc side of e2e_renegotiate (reneg_chromium.mjs): an answerer that takes every offer
 * the peer makes on one live connection, and makes one of its own when told, through the public
 * API and brtc_loop. Offers come on stdin, each followed by a line holding only "."; each
 * answer goes to stdout the same way. A block "offer" makes ours (stdout, then "."), and the
 * next block is the peer's answer to it.
 * On stderr, one line per thing the test checks:
 *   answer <n>                  the n-th offer was answered (1 = the first)
 *   refused <code> <reason>     an offer was refused (the connection goes on)
 *   answered ours               the peer's answer to our offer was taken
 *   track <mid> <codec>         BRTC_EVENT_TRACK: a later offer added a section we receive
 *   frame <mid> <WxH|-> <bytes> a whole frame (size on keyframes)
 *   log <detail>, step <name> <detail>
 *   stats <json>                the W3C stats report, on SIGUSR1's next pass and at the end
 *
 *   e2e_reneg_peer 127.0.0.1:50000
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boltrtc/boltrtc.h"

#define MAX_SDP (64 * 1024)

static brtc_loop *loop;
static brtc_pc *pc;
static char pending[MAX_SDP];
static size_t pending_len;
static unsigned answered;
static volatile sig_atomic_t stop_asked, stats_asked;

static void print_stats(void) {
  brtc_stats_report *r = NULL;
  if (brtc_pc_get_stats_report(pc, brtc_now_us(), &r) != BRTC_OK) return;
  const char *json = brtc_stats_json(r);
  if (json) fprintf(stderr, "stats %s\n", json);
  brtc_stats_free(r);
}

static void on_event(brtc_loop *l, brtc_pc *p, const brtc_output *ev, void *user) {
  (void)l, (void)p, (void)user;
  switch (ev->event) {
    case BRTC_EVENT_STEP:
      fprintf(stderr, "step %s %s\n", brtc_pc_step_name(ev->step), ev->detail ? ev->detail : "");
      if (ev->step == BRTC_STEP_CLOSED || ev->step == BRTC_STEP_FAILED) stop_asked = 1;
      break;
    case BRTC_EVENT_LOG: fprintf(stderr, "log %s\n", ev->detail ? ev->detail : ""); break;
    case BRTC_EVENT_TRACK: fprintf(stderr, "track %s %s\n", ev->mid, ev->codec); break;
    case BRTC_EVENT_FRAME:
      if (ev->keyframe)
        fprintf(stderr, "frame %s %ux%u %zu\n", ev->mid, ev->width, ev->height, ev->len);
      else
        fprintf(stderr, "frame %s - %zu\n", ev->mid, ev->len);
      break;
    default: break;
  }
}

/* One offer, whole: answer it (stable again at once), or say why not. */
static void take_offer(char *sdp) {
  char err[256] = "";
  const char *answer = NULL;
  uint64_t now = brtc_now_us();
  int rc = brtc_pc_set_remote_description(pc, "offer", sdp, now, err, sizeof err);
  if (rc == BRTC_OK) rc = brtc_pc_create_answer(pc, &answer, err, sizeof err);
  if (rc == BRTC_OK) rc = brtc_pc_set_local_description(pc, "answer", NULL, now, err, sizeof err);
  if (rc != BRTC_OK) {
    fprintf(stderr, "refused %s %s\n", brtc_strerror(rc), err);
    fputs(".\n", stdout);
  } else {
    answered++;
    fprintf(stderr, "answer %u\n", answered);
    fputs(answer, stdout);
    fputs(".\n", stdout);
  }
  fflush(stdout);
  if (answered == 1 && rc == BRTC_OK) brtc_loop_add_pc(loop, pc, on_event, NULL);
}

/* "offer": make one of our own on the live connection (stdout: it, then "."); the peer's
 * answer to it comes back as the next block. */
static void make_offer(void) {
  char err[256] = "";
  const char *offer = NULL;
  uint64_t now = brtc_now_us();
  int rc = brtc_pc_create_offer(pc, now, &offer, err, sizeof err);
  if (rc == BRTC_OK) rc = brtc_pc_set_local_description(pc, "offer", NULL, now, err, sizeof err);
  if (rc != BRTC_OK) fprintf(stderr, "refused %s %s\n", brtc_strerror(rc), err);
  else fputs(offer, stdout);
  fputs(".\n", stdout);
  fflush(stdout);
}

static void take_answer(char *sdp) {
  char err[256] = "";
  int rc = brtc_pc_set_remote_description(pc, "answer", sdp, brtc_now_us(), err, sizeof err);
  if (rc != BRTC_OK) fprintf(stderr, "refused %s %s\n", brtc_strerror(rc), err);
  else fprintf(stderr, "answered ours\n");
}

/* A block of lines ended by a "." line: "offer", an answer to ours, or the peer's offer. */
static void take_block(char *text) {
  if (strncmp(text, "offer\n", 6) == 0) make_offer();
  else if (brtc_pc_signaling_state(pc) == BRTC_SIGNALING_HAVE_LOCAL_OFFER) take_answer(text);
  else take_offer(text);
}

/* Lines in; a "." line ends a block. */
static void on_stdin(void *user, int fd, uint64_t now_us) {
  (void)user, (void)now_us;
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n <= 0) {
    stop_asked = 1;
    return;
  }
  for (ssize_t i = 0; i < n; i++) {
    if (pending_len + 1 >= sizeof pending) pending_len = 0; /* too long: dropped */
    pending[pending_len++] = buf[i];
    pending[pending_len] = '\0';
    size_t len = pending_len;
    bool end = len >= 2 && pending[len - 1] == '\n' && pending[len - 2] == '.' &&
               (len == 2 || pending[len - 3] == '\n');
    if (!end) continue;
    pending[len - 2] = '\0';
    take_block(pending);
    pending_len = 0;
  }
}

static void on_signal(int sig) {
  if (sig == SIGUSR1) stats_asked = 1;
  else stop_asked = 1;
}

int main(int argc, char **argv) {
  const char *udp = argc > 1 ? argv[1] : "127.0.0.1:50000";
  char err[256] = "";
  brtc_loop_config *lc = brtc_loop_config_new();
  brtc_loop_config_add_udp_address(lc, udp);
  loop = brtc_loop_new(lc, err, sizeof err);
  brtc_loop_config_free(lc);
  brtc_certificate *cert = NULL;
  if (!loop || brtc_certificate_new(&cert, err, sizeof err) != BRTC_OK) {
    fprintf(stderr, "e2e_reneg_peer: %s\n", err);
    return 1;
  }
  brtc_pc_config *cfg = brtc_pc_config_new();
  brtc_pc_config_set_certificate(cfg, cert);
  brtc_loop_config_pc(loop, cfg);
  int rc = brtc_pc_new(cfg, &pc, err, sizeof err);
  brtc_pc_config_free(cfg);
  brtc_loop_watch *w = rc == BRTC_OK ? brtc_loop_watch_fd(loop, 0, on_stdin, NULL) : NULL;
  if (!w) {
    fprintf(stderr, "e2e_reneg_peer: %s\n", rc == BRTC_OK ? "cannot watch stdin" : err);
  } else {
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGUSR1, on_signal);
    while (!stop_asked) {
      if (brtc_loop_run_once(loop, 100) != BRTC_OK) break;
      if (stats_asked) {
        stats_asked = 0;
        print_stats();
      }
    }
    print_stats();
    brtc_loop_unwatch(w);
    if (answered) brtc_loop_remove_pc(loop, pc);
  }
  brtc_pc_free(pc);
  brtc_loop_free(loop);
  brtc_certificate_free(cert);
  return rc == BRTC_OK ? 0 : 1;
}
