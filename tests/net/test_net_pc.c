/* brtc_loop with a real brtc_pc and a simulated browser talking through a UDP socket on
 * loopback, IPv4 and IPv6: the STUN check is answered over UDP from the loop's port, then
 * DTLS and SRTP come up and a keyframe arrives. Waits are bounded by pass counts. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boltrtc/loop.h"
#include "boltrtc/peer_connection.h"
#include "common/addr.h"
#include "net_browser.h"
#include "net_test_util.h"
#include "testing.h"

typedef struct session_events {
  bool reached[BRTC_STEP_FAILED + 1]; /* the steps this test knows */
  int keyframes;
  unsigned width, height;
} session_events;

static void on_event(brtc_loop *loop, brtc_pc *pc, const brtc_output *ev, void *user) {
  (void)loop, (void)pc;
  session_events *s = user;
  if (ev->event == BRTC_EVENT_STEP && ev->step <= BRTC_STEP_FAILED) s->reached[ev->step] = true;
  if (ev->event == BRTC_EVENT_FRAME && ev->keyframe) {
    s->keyframes++;
    s->width = ev->width;
    s->height = ev->height;
  }
}

/* Up to `passes` rounds of browser and loop (each loop wait at most 20 ms) until done(). */
static void run_until(brtc_loop *loop, net_browser *b, int passes, bool (*done)(void *), void *arg) {
  for (int i = 0; i < passes && !done(arg); i++) {
    net_browser_step(b);
    brtc_loop_run_once(loop, 20);
    net_browser_step(b);
  }
}

typedef struct progress {
  session_events *ev;
  net_browser *b;
} progress;

static bool media_ready(void *arg) {
  progress *p = arg;
  return p->ev->reached[BRTC_STEP_SRTP_READY] && sim_peer_media_ready(p->b->sim);
}

static bool got_keyframe(void *arg) { return ((progress *)arg)->ev->keyframes > 0; }

static void run_session(const char *loop_addr, const char *browser_ip) {
  brtc_loop *loop = net_test_loop(loop_addr, true);
  CHECK(loop != NULL);
  if (!loop) return;
  char err[256];
  const struct sockaddr_storage *local;
  size_t n_local = brtc_loop_local_addrs(loop, &local);
  CHECK_EQ_INT(n_local, 1);

  brtc_certificate *cert = brtc_certificate_generate();
  CHECK(cert != NULL);
  session_events ev;
  memset(&ev, 0, sizeof(ev));
  brtc_pc_config *pcc = brtc_pc_config_new();
  brtc_pc_config_set_certificate(pcc, cert);
  brtc_loop_config_pc(loop, pcc);
  brtc_pc *pc = NULL;
  brtc_pc_new(pcc, &pc, NULL, 0);
  brtc_pc_config_free(pcc);
  CHECK(pc != NULL);

  net_browser b;
  memset(&b, 0, sizeof(b));
  b.sim = sim_peer_new(NULL);
  CHECK(b.sim != NULL);
  b.fd = net_browser_socket(browser_ip, &b.addr);
  CHECK(b.fd >= 0);
  if (!pc || !b.sim) goto out;

  /* Signaling by hand: the answer's host candidate is the loop's socket. */
  const char *answer = NULL;
  CHECK_EQ_INT(brtc_pc_set_remote_description(pc, "offer", sim_peer_offer(b.sim), brtc_now_us(),
                                              err, sizeof(err)), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_create_answer(pc, &answer, err, sizeof(err)), BRTC_OK);
  if (!answer) goto out;
  CHECK_EQ_INT(sim_peer_set_answer(b.sim, answer, err, sizeof(err)), BRTC_OK);
  CHECK_EQ_INT(brtc_loop_add_pc(loop, pc, on_event, &ev), BRTC_OK);

  progress p = {&ev, &b};
  run_until(loop, &b, 200, media_ready, &p);
  const sim_peer_stats *ss = sim_peer_get_stats(b.sim);
  /* (d) the check got a success response over UDP, and the rest of the journey followed. */
  CHECK(ss->check_responses >= 1);
  CHECK(ss->ice_connected);
  CHECK(ss->dtls_connected);
  CHECK(ev.reached[BRTC_STEP_ICE_CHECK]);
  CHECK(ev.reached[BRTC_STEP_ICE_CONNECTED]);
  CHECK(ev.reached[BRTC_STEP_DTLS_CONNECTED]);
  CHECK(ev.reached[BRTC_STEP_SRTP_READY]);

  static uint8_t frame[5000];
  CHECK_EQ_INT(sim_peer_send_frame(b.sim, frame, net_browser_keyframe(frame, sizeof(frame)), true, 9000),
               BRTC_OK);
  run_until(loop, &b, 100, got_keyframe, &p);
  CHECK_EQ_INT(ev.keyframes, 1);
  CHECK_EQ_INT(ev.width, 320);
  CHECK_EQ_INT(ev.height, 240);

  brtc_loop_stats st = {.size = sizeof(st)};
  brtc_loop_get_stats(loop, &st);
  CHECK_EQ_INT(st.dropped_unknown_source, 0);
  CHECK_EQ_INT(st.dropped_unknown_ufrag, 0);
  CHECK_EQ_INT(st.dropped_malformed, 0);
  CHECK_EQ_INT(st.dropped_not_loopback, 0);
  CHECK(st.datagrams_in >= 5);
  CHECK(st.datagrams_out >= 2);

  brtc_pc_stats ps = {.size = sizeof(brtc_pc_stats)};
  brtc_pc_get_stats(pc, &ps);
  char want_remote[BRTC_ADDR_STRLEN];
  brtc_addr_str(&b.addr, want_remote, sizeof(want_remote));
  CHECK(strstr(ps.selected_remote, want_remote) != NULL || strstr(want_remote, ps.selected_remote));
  brtc_loop_remove_pc(loop, pc);

out:
  if (b.fd >= 0) close(b.fd);
  sim_peer_free(b.sim);
  brtc_pc_free(pc);
  brtc_certificate_free(cert);
  brtc_loop_free(loop);
}

static void test_session_ipv4(void) { run_session("127.0.0.1:0", "127.0.0.1"); }

static void test_session_ipv6(void) {
  if (!have_ipv6_loopback()) {
    fprintf(stderr, "skip: no IPv6 loopback\n");
    return;
  }
  run_session("[::1]:0", "::1");
}

int main(void) {
  RUN(test_session_ipv4);
  RUN(test_session_ipv6);
  return TEST_REPORT();
}
