/* Gathering (RFC 8445 5.1.1) beyond host candidates, and trickle (RFC 8838), for a pc:
 *   pc_ice_server.c   the configured STUN and TURN servers: their URLs (RFC 7064, 7065)
 *   pc_gather.c       server-reflexive candidates from STUN Binding requests sent from each
 *                     host address (RFC 8489 retransmissions), the ICE_CANDIDATE and
 *                     GATHERING_COMPLETE events, and what goes into a later offer
 *   pc_gather_turn.c  relayed candidates: one TURN allocation over UDP per server
 *                     (src/turn's client), permissions for remote candidates, a channel for
 *                     the pair in use, and the wrapping and unwrapping of what goes through it
 * All sans-IO like the rest of the pc: the gatherer's requests leave through
 * brtc_pc_poll_output (from a host address, to the server), and what the servers send back
 * comes in through brtc_pc_handle_datagram, recognised by its source. */
#ifndef BRTC_PC_GATHER_H
#define BRTC_PC_GATHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boltrtc/peer_connection.h"
#include "common/addr.h"
#include "ice/ice_transport.h"

#define PC_MAX_ICE_SERVERS 4
#define PC_ICE_CRED_MAX 256 /* a TURN username or credential (coturn's REST ones are ~40) */
/* Local candidates a description or trickle carries: host ones and gathered ones. */
#define PC_MAX_SDP_CANDIDATES 16 /* 8 host, 8 gathered; = BRTC_SDP_MAX_CANDIDATES */

typedef struct brtc_pc brtc_pc;
typedef struct brtc_pc_config brtc_pc_config;

typedef struct pc_ice_server {
  bool turn;       /* turn: (relayed); else stun: (server-reflexive) */
  brtc_transmit_via via; /* how the TURN server is reached: UDP, TCP, TLS (turns:) */
  brtc_addr addr;  /* numeric: the library resolves no names */
  char username[PC_ICE_CRED_MAX + 1];
  char credential[PC_ICE_CRED_MAX + 1];
} pc_ice_server;

/* pc_ice_server.c: "stun:" / "turn:" / "turns:" URL into *out (credentials not touched).
 * BRTC_OK, BRTC_ERR_PARSE (malformed), BRTC_ERR_UNSUPPORTED (a hostname, stuns:). */
int pc_ice_server_parse(const char *url, pc_ice_server *out);

/* pc_gather.c. Made with the pc for a full agent (a lite one gathers nothing and trickles
 * nothing); BRTC_ERR_NOMEM. */
int pc_gather_new(brtc_pc *pc, const brtc_pc_config *config);
void pc_gather_free(brtc_pc *pc);
/* brtc_pc_close: no more gathering; each TURN allocation is deleted (its Refresh of lifetime
 * 0 still leaves through brtc_pc_poll_output). */
void pc_gather_close(brtc_pc *pc);
/* The host candidates go to the ICE agent (or not, under the relay policy). */
bool pc_gather_relay_only(const brtc_pc *pc);
/* A datagram from one of our servers: taken (true, *rc its outcome), or not theirs. Data
 * that came through a relay goes on to the transport as if from the peer, on the relayed
 * address. */
bool pc_gather_datagram(brtc_pc *pc, const uint8_t *data, size_t len, const brtc_addr *from,
                        int *rc);
/* The gatherer's own next datagram (Binding, Allocate, Refresh, CreatePermission,
 * ChannelBind), and the events due; BRTC_ERR_AGAIN when none. */
int pc_gather_poll(brtc_pc *pc, uint8_t *out, size_t cap, size_t *out_len, brtc_addr *to,
                   brtc_addr *source);
/* A datagram the pc made to `to` from `source`: when source is one of our relayed
 * addresses, it is wrapped (ChannelData or a Send indication) and readdressed to the TURN
 * server from the allocation's host address. BRTC_OK, or an error (dropped, counted). */
int pc_gather_route(brtc_pc *pc, uint8_t *buf, size_t cap, size_t *len, brtc_addr *to,
                    brtc_addr *source);
void pc_gather_timeout(brtc_pc *pc);
uint64_t pc_gather_deadline(const brtc_pc *pc);
/* What the ICE agent announced: a local candidate, or the end of them. */
void pc_gather_ice_event(brtc_pc *pc, const brtc_ice_event *e);
/* A remote candidate's address is known: relays permit it (RFC 8656 9). */
void pc_gather_remote_address(brtc_pc *pc, const brtc_addr *addr);
/* The selected pair changed: a relayed one gets a channel (RFC 8656 12). */
void pc_gather_selected(brtc_pc *pc, const brtc_ice_pair_info *sel);
/* While a relayed datagram is handed on: the relayed address it came in on; NULL
 * otherwise. */
const brtc_addr *pc_gather_rx_local(const brtc_pc *pc);
/* The CA file turns: servers' certificates must chain to; NULL: OpenSSL's default paths.
 * For the loop, which makes the TLS connection (src/net/relay_socket.c). */
const char *brtc_pc_tls_ca_file(const brtc_pc *pc);
/* How the datagram brtc_pc_poll_output is handing out goes (a TURN server's TCP or TLS). */
brtc_transmit_via pc_gather_tx_via(const brtc_pc *pc);
/* Every candidate is gathered (the agent was told end-of-candidates). */
bool pc_gather_complete(const brtc_pc *pc);
/* An ICE restart: Binding requests go out again (RFC 8445 9: the NAT's binding may have
 * changed, which is often why the restart came), and gathering is open until they settle. */
void pc_gather_restart(brtc_pc *pc);

/* pc_gather_turn.c (for pc_gather.c) */
struct pc_gather;
int pc_turn_start(brtc_pc *pc, struct pc_gather *g, size_t server, size_t host);
bool pc_turn_datagram(brtc_pc *pc, struct pc_gather *g, const uint8_t *data, size_t len,
                      const brtc_addr *from, int *rc);
int pc_turn_poll(brtc_pc *pc, struct pc_gather *g, uint8_t *out, size_t cap, size_t *out_len,
                 brtc_addr *to, brtc_addr *source);
void pc_turn_timeout(brtc_pc *pc, struct pc_gather *g);
uint64_t pc_turn_deadline(const struct pc_gather *g);
/* An ICE restart: each allocation is refreshed at once, and one found lost (or lost
 * before) is made again from the same server. Returns how many hold gathering open. */
size_t pc_turn_restart(brtc_pc *pc, struct pc_gather *g);
/* Every allocation answered (allocated or failed). */
bool pc_turn_settled(const struct pc_gather *g);
void pc_turn_free(struct pc_gather *g);


/* ---- the gatherer's state, shared by pc_gather.c and pc_gather_turn.c ---- */
#ifdef PC_GATHER_INTERNAL
#include "boltrtc/peer_connection.h"

#define PC_GATHER_MAX_STUN 8     /* Binding transactions: one per (server, host address) */
#define PC_GATHER_MAX_LINES 8    /* gathered candidates kept for descriptions and events */
#define PC_GATHER_LINE 160       /* = PC_CANDIDATE_LEN */
#define PC_TURN_MAX_PERMS 16     /* remote IP addresses a relay was asked to permit */
#define PC_GATHER_SOCKET_RELAY 0x10000u /* ICE socket tag of a relayed candidate: + index */

typedef struct pc_stun_txn {
  uint8_t server, host;
  uint8_t tid[12];
  unsigned sent;       /* transmissions so far */
  uint64_t rto_us;     /* the next wait (RFC 8489 6.2.1: doubles) */
  uint64_t next_us;    /* the next transmission, or when it gives up */
  bool due, done;
  bool mapped_known;   /* it was answered once: mapped is the srflx address it gave */
  brtc_addr mapped;
} pc_stun_txn;

typedef struct pc_turn {
  uint8_t server, host;
  struct brtc_turn_client *cl;
  bool settled;        /* allocated or failed: it no longer holds gathering open */
  bool allocated;
  brtc_addr relayed, mapped;
  brtc_addr permitted[PC_TURN_MAX_PERMS]; /* IP addresses asked (port ignored) */
  size_t n_permitted;
  bool channel_asked;
  brtc_addr channel_peer;
  bool checking;       /* an ICE restart's Refresh is out: lost, it is made again */
  bool has_dead;       /* dead: a relayed address lost (NAT rebinding), sent from no more */
  brtc_addr dead;
} pc_turn;

struct pc_gather {
  pc_ice_server servers[PC_MAX_ICE_SERVERS];
  size_t n_servers;
  bool relay_only;
  bool started;
  bool ended;          /* the agent was told: end of local candidates */
  bool closing;        /* the pc closed or failed: allocations deleted, nothing gathered */
  pc_stun_txn stun[PC_GATHER_MAX_STUN];
  size_t n_stun;
  pc_turn turn[PC_MAX_ICE_SERVERS];
  size_t n_turn;
  /* Server-reflexive and relayed candidates as the agent announced them. */
  char lines[PC_GATHER_MAX_LINES][PC_GATHER_LINE];
  size_t n_lines;
  size_t n_emitted;    /* host lines then gathered lines already given out as events */
  bool agent_done, done_emitted;
  char mid[64];        /* of the events: the first m-section of our description */
  brtc_transmit_via tx_via; /* of the datagram just polled (pc_gather_tx_via) */
  char tls_ca_file[256];    /* brtc_pc_config_set_tls_ca_file */
  bool rx_relayed;     /* a relayed datagram is being handed on: rx_local is its address */
  brtc_addr rx_local;
  uint64_t dropped;    /* datagrams from a server that did not parse or match */
  uint8_t scratch[2048 + 64]; /* BRTC_PC_MAX_DATAGRAM and the TURN framing */
};

/* pc_gather.c, for pc_gather_turn.c: a candidate learned (the agent pairs it and announces
 * it; it comes back through pc_gather_ice_event). */
void pc_gather_add_candidate(brtc_pc *pc, brtc_ice_cand_type type, const brtc_addr *addr,
                             const brtc_addr *base, const brtc_addr *related,
                             const brtc_addr *server, uint32_t socket);
/* A restart replaced the candidate of `type` at addr: later descriptions do not carry it. */
void pc_gather_forget_line(brtc_pc *pc, brtc_ice_cand_type type, const brtc_addr *addr);
/* Gathering may be over: every transaction and allocation settled. */
void pc_gather_check_done(brtc_pc *pc);
#endif

#endif
