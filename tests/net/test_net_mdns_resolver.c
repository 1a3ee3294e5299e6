/* The loop's mDNS resolver where there is none to be had: in a network namespace of its own
 * (loopback only, no multicast route), a pc given a .local candidate has it asked for, then
 * dropped after 3 s with a log event, and the pc neither fails nor errs: "skip cleanly".
 * Needs root to make the namespace (so that no query leaves for the host's network); skips
 * with ctest's code 77 otherwise. */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "boltrtc/loop.h"
#include "boltrtc/peer_connection.h"
#include "net_test_util.h"
#include "sim_peer.h"
#include "testing.h"

#define NAME "6c1f2b0e-0a3c-4d8e-9f1a-2b3c4d5e6f70.local"

static bool lo_up(void) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  strcpy(ifr.ifr_name, "lo");
  bool ok = fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
  ifr.ifr_flags |= IFF_UP;
  ok = ok && ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
  if (fd >= 0) close(fd);
  return ok;
}

typedef struct seen {
  bool dropped_logged, failed;
} seen;

static void on_event(brtc_loop *loop, brtc_pc *pc, const brtc_output *ev, void *user) {
  (void)loop, (void)pc;
  seen *s = user;
  if (ev->event == BRTC_EVENT_LOG && ev->detail &&
      strstr(ev->detail, "ICE: mDNS candidate " NAME " not resolved: dropped"))
    s->dropped_logged = true;
  if (ev->event == BRTC_EVENT_STEP && ev->step == BRTC_STEP_FAILED) s->failed = true;
}

static void test_no_resolver_drops_cleanly(void) {
  brtc_loop *loop = net_test_loop("127.0.0.1:0", false);
  CHECK(loop != NULL);
  if (!loop) return;
  char err[256];
  brtc_certificate *cert = brtc_certificate_generate();
  brtc_pc *pc = net_test_pc(loop, cert);
  CHECK(pc != NULL);
  sim_peer *sim = sim_peer_new(NULL);
  const char *answer = NULL;
  CHECK_EQ_INT(brtc_pc_set_remote_description(pc, "offer", sim_peer_offer(sim), brtc_now_us(),
                                              err, sizeof(err)), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_create_answer(pc, &answer, err, sizeof(err)), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_add_ice_candidate(pc, "candidate:7 1 udp 2113937151 " NAME
                                              " 50000 typ host generation 0"), BRTC_OK);
  const char *names[2];
  CHECK_EQ_INT(brtc_pc_unresolved_hostnames(pc, names, 2), 1);
  seen s = {0};
  CHECK_EQ_INT(brtc_loop_add_pc(loop, pc, on_event, &s), BRTC_OK);
  uint64_t until = brtc_now_us() + 4500000u;
  while (brtc_now_us() < until && !s.dropped_logged) brtc_loop_run_once(loop, 50);
  CHECK(s.dropped_logged);
  CHECK(!s.failed);
  CHECK_EQ_INT(brtc_pc_unresolved_hostnames(pc, names, 2), 0);
  /* Given up once: nothing asks again. */
  CHECK_EQ_INT(brtc_pc_resolve_hostname(pc, NAME, NULL), BRTC_ERR_NOT_FOUND);
  brtc_loop_remove_pc(loop, pc);
  brtc_pc_free(pc);
  sim_peer_free(sim);
  brtc_certificate_free(cert);
  brtc_loop_free(loop);
}

int main(void) {
  if (unshare(CLONE_NEWNET) != 0) {
    fprintf(stderr, "SKIP: cannot make a network namespace (%s)\n", strerror(errno));
    return 77;
  }
  if (!lo_up()) {
    fprintf(stderr, "SKIP: cannot bring lo up in the namespace\n");
    return 77;
  }
  RUN(test_no_resolver_drops_cleanly);
  return TEST_REPORT();
}
