/* Two ICE agents in memory, joined by a simulated link each way (tests/support/sim_link) on
 * a simulated clock. Each datagram travels with its source and destination addresses; the
 * harness plays the network around the link: addresses that do not exist or are blocked
 * (a filter: "this interface cannot reach that one"), a NAT in front of one agent, a cut. */
#ifndef BRTC_TESTS_ICE_SIM_H
#define BRTC_TESTS_ICE_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "ice/ice_transport.h"
#include "sim_link.h"

#define SIM_MAX_ADDRS 6
#define SIM_MAX_CANDS 16
#define SIM_MAX_SENDS 256
#define SIM_NEVER UINT64_MAX

typedef struct sim_send {
  uint64_t at;
  bool request, use_candidate, consent_like;
  brtc_addr from, to;
} sim_send;

typedef struct sim_agent {
  brtc_ice_transport *t;
  const char *name;
  brtc_addr addrs[SIM_MAX_ADDRS]; /* the bases it really has: sockets */
  size_t n_addrs;
  brtc_addr nat_outside[SIM_MAX_ADDRS]; /* with a NAT: what the outside sees of addrs[i] */
  bool nat;
  /* What came out of it. */
  uint64_t state_at[BRTC_ICE_CONN_CLOSED + 1]; /* the last time each state was entered */
  brtc_ice_conn_state states[32];
  size_t n_states;
  bool have_selected;
  brtc_ice_pair_info selected;
  unsigned selected_events;
  char cands[SIM_MAX_CANDS][BRTC_ICE_CANDIDATE_LINE_MAX];
  size_t n_cands;
  bool gathering_done;
  unsigned role_events, cred_events, error_events;
  sim_send sends[SIM_MAX_SENDS];
  size_t n_sends;
  uint64_t sent, requests, responses, nominations;
  uint64_t dropped_no_host; /* datagrams sent to an address nobody has */
} sim_agent;

typedef struct ice_sim ice_sim;
typedef struct sim_dir {
  ice_sim *s;
  int from; /* 0: a to b, 1: b to a */
} sim_dir;

struct ice_sim {
  uint64_t now;
  sim_agent a, b;
  sim_link *link[2];
  sim_dir dir[2];
  brtc_addr blocked[8]; /* datagrams from or to these addresses vanish */
  size_t n_blocked;
  bool cut;             /* everything vanishes */
  unsigned drop_next[2]; /* the next N datagrams of a direction vanish */
  unsigned drop_requests[2]; /* ... or the next N check requests */
  uint64_t vanished[2];
};

/* lat_us one way, both directions; loss etc. from cfg if given (its hook is replaced). */
void ice_sim_init(ice_sim *s, const sim_link_config *cfg);
void ice_sim_free(ice_sim *s);
/* An agent with host candidates on addrs ("127.0.0.1:5000", "[::1]:5000"), socket = index. */
void ice_sim_agent(ice_sim *s, sim_agent *ag, const char *name, const brtc_ice_config *cfg,
                   const char *const *addrs, size_t n);
/* Put a NAT in front of ag: addrs[i] is seen outside as outside[i]. */
void ice_sim_nat(sim_agent *ag, const char *const *outside, size_t n);
void ice_sim_block(ice_sim *s, const char *addr);
/* Drain the agent's outputs into the links and the records. */
void ice_sim_drain(ice_sim *s, sim_agent *ag);
/* Give `to` the credentials of `from`, and its candidates (those gathered so far) and
 * end-of-candidates when eoc. */
void ice_sim_signal(ice_sim *s, sim_agent *from, sim_agent *to, bool candidates, bool eoc);
/* Run until `until`, or until stop(s) is true after a step. */
void ice_sim_run(ice_sim *s, uint64_t until, bool (*stop)(ice_sim *s));
bool ice_sim_both_connected(ice_sim *s);
/* Faults the harness saw (an agent that would not drain, a datagram from a foreign socket...). */
extern unsigned ice_sim_faults;
sim_agent *ice_sim_other(ice_sim *s, sim_agent *ag);

#endif
