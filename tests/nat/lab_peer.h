/* The shared part of the NAT lab's peers (nat_peer, nat_viewer), on the public API only: a
 * brtc_loop with one UDP socket on the host's address, a pc with the lab's STUN/TURN servers,
 * a deadline, and signaling as lines on stdin and stdout that the test carries to the other
 * side (trickle, RFC 8838):
 *   offer SDP / answer SDP   the description, CRLF written as '|'
 *   cand LINE                a candidate (BRTC_EVENT_ICE_CANDIDATE); "cand" alone: the end
 * and what it reports itself:
 *   connected MS DETAIL      ICE nominated a pair, MS after our description went out
 *   failed REASON
 * A role (the echo of nat_peer.c, the camera viewer of nat_viewer.c) adds its own events and
 * report lines. An offer that comes in is answered here. */
#ifndef NAT_LAB_PEER_H
#define NAT_LAB_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boltrtc/loop.h"
#include "boltrtc/peer_connection.h"

typedef struct lab_peer lab_peer;

/* The role's share of each event of the pc, after the shared part saw it. */
typedef void (*lab_peer_event_fn)(lab_peer *p, const brtc_output *out);

struct lab_peer {
  brtc_loop *loop;
  brtc_pc *pc;
  brtc_pc_config *cfg; /* from lab_peer_open until lab_peer_new_pc */
  brtc_certificate *cert;
  lab_peer_event_fn on_event;
  void *role;
  uint64_t described_us; /* when our description went out */
  bool ice_connected;
  int rc;
  unsigned seconds;                   /* the deadline, from the start of lab_peer_run */
  const char *ice_user, *ice_password; /* for the --ice-server URLs that follow */
  brtc_loop_timer *deadline;
  brtc_loop_watch *input;
  char in[1 << 17];
  size_t in_len;
};

/* A role's option with its value; false when it is not one of the role's. */
typedef bool (*lab_peer_option_fn)(lab_peer *p, const char *option, const char *value);

/* The loop on HOST:PORT, a certificate, the options (argv[0..argc-1]) and the pc with data
 * channels. The shared options: --ice-server URL, --ice-user U and --ice-password P (for the
 * servers after them; lab:labpass at first), --relay-only, --seconds S (20); the others go to
 * role_option. 0; 1 when it failed, 2 for a bad option (said on stderr). lab_peer_close
 * after it in any case. */
int lab_peer_start(lab_peer *p, const char *name, const char *udp_address, int argc,
                   char **argv, lab_peer_option_fn role_option);
/* Runs until a role or a failure stops it, stdin ends, or the deadline. Returns p->rc. */
int lab_peer_run(lab_peer *p);
void lab_peer_close(lab_peer *p);

void lab_peer_say(const char *kind, const char *text);
/* The description as one line; the time from now on is what lab_peer_ms counts. */
void lab_peer_say_sdp(lab_peer *p, const char *kind, const char *sdp);
double lab_peer_ms(const lab_peer *p);
/* Stops the loop; rc != 0 makes the exit code a failure. */
void lab_peer_stop(lab_peer *p, int rc);

#endif
