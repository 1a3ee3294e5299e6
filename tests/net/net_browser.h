/* The browser side of the loop tests: a simulated browser (tests/support/sim_peer) in front
 * of a UDP socket on loopback, and a VP8 keyframe to send through it. */
#ifndef BRTC_TEST_NET_BROWSER_H
#define BRTC_TEST_NET_BROWSER_H

#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "sim_peer.h"

typedef struct net_browser {
  sim_peer *sim;
  int fd;         /* not owned: a test may hand one socket from browser to browser */
  brtc_addr addr; /* what fd is bound to, port included */
} net_browser;

/* A UDP socket bound to ip with a free port; -1 on failure. *bound gets its address. */
int net_browser_socket(const char *ip, brtc_addr *bound);
/* Move datagrams both ways between the sim peer and its socket, and drive its timers. */
void net_browser_step(net_browser *b);
/* A VP8 keyframe (RFC 6386 9.1): frame tag, start code, 320x240, then filler. */
size_t net_browser_keyframe(uint8_t *out, size_t len);

#endif
