/* receive_video: the smallest program that receives a browser's video with boltrtc's public
 * API. It reads an SDP offer on stdin (paste it, then Ctrl-D), writes the answer on stdout
 * exactly as made (it already ends in CRLF: one more newline and Chromium refuses it) and
 * closes stdout, so that stdout is the answer and nothing else; then it prints each step of
 * the journey and every video frame that arrives on stderr, until SIGINT.
 *
 *   build/examples/example_receive_video 127.0.0.1:50000 < offer.sdp > answer.sdp
 *
 * Signaling is yours: any channel that carries the offer and the answer will do.
 * tests/e2e (e2e.py example) runs it against Chromium. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "boltrtc/boltrtc.h"

static brtc_loop *loop;

/* The loop drains the pc after every datagram and timer and hands its events here. */
static void on_event(brtc_loop *l, brtc_pc *pc, const brtc_output *ev, void *user) {
  (void)pc, (void)user;
  if (ev->event == BRTC_EVENT_STEP) {
    fprintf(stderr, "step %-16s %s\n", brtc_pc_step_name(ev->step), ev->detail ? ev->detail : "");
    if (ev->step == BRTC_STEP_CLOSED || ev->step == BRTC_STEP_FAILED) brtc_loop_stop(l);
  } else if (ev->event == BRTC_EVENT_FRAME) {
    if (ev->keyframe)
      fprintf(stderr, "frame %s keyframe %ux%u, %zu bytes\n", ev->codec, ev->width, ev->height,
              ev->len);
    else
      fprintf(stderr, "frame %s %zu bytes\n", ev->codec, ev->len);
  }
}

static void on_signal(int sig) {
  (void)sig;
  brtc_loop_stop(loop);
}

int main(int argc, char **argv) {
  const char *udp = argc > 1 ? argv[1] : "127.0.0.1:50000";
  static char offer[65536];
  size_t n = fread(offer, 1, sizeof(offer) - 1, stdin);
  offer[n] = '\0';

  char err[256] = "";
  brtc_loop_config *lc = brtc_loop_config_new();
  brtc_loop_config_add_udp_address(lc, udp);
  loop = brtc_loop_new(lc, err, sizeof(err));
  brtc_loop_config_free(lc);
  brtc_certificate *cert = NULL;
  if (!loop || brtc_certificate_new(&cert, err, sizeof(err)) != BRTC_OK) {
    fprintf(stderr, "receive_video: %s\n", err);
    return 1;
  }
  /* A config is an object with setters; the pc copies it. Our host candidates are the loop's
   * sockets. */
  brtc_pc_config *cfg = brtc_pc_config_new();
  brtc_pc_config_set_certificate(cfg, cert);
  brtc_loop_config_pc(loop, cfg);
  brtc_pc *pc = NULL;
  int rc = brtc_pc_new(cfg, &pc, err, sizeof(err));
  brtc_pc_config_free(cfg);
  const char *answer = NULL;
  if (rc == BRTC_OK)
    rc = brtc_pc_set_remote_description(pc, "offer", offer, brtc_now_us(), err, sizeof(err));
  if (rc == BRTC_OK) rc = brtc_pc_create_answer(pc, &answer, err, sizeof(err));
  if (rc == BRTC_OK) rc = brtc_loop_add_pc(loop, pc, on_event, NULL);
  if (rc != BRTC_OK) {
    fprintf(stderr, "receive_video: %s (%s)\n", err, brtc_strerror(rc));
  } else {
    fputs(answer, stdout); /* give this to the browser's setRemoteDescription */
    fclose(stdout);
    signal(SIGINT, on_signal);
    brtc_loop_run(loop);
    brtc_loop_remove_pc(loop, pc);
  }
  brtc_pc_free(pc);
  brtc_loop_free(loop);
  brtc_certificate_free(cert);
  return rc == BRTC_OK ? 0 : 1;
}
