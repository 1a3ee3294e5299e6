/* ICE candidates: their priorities (RFC 8445 5.1.2), pair priorities (6.1.2.3) and their text
 * form in SDP and trickle (RFC 8839 5.1). Pure functions, no state. */
#ifndef BRTC_ICE_CANDIDATE_H
#define BRTC_ICE_CANDIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#define BRTC_ICE_FOUNDATION_MAX 32 /* 1*32ice-char (RFC 8839 5.1) */
#define BRTC_ICE_HOSTNAME_MAX 253  /* a DNS name, e.g. an mDNS "<uuid>.local" */
#define BRTC_ICE_CRED_MAX 256      /* longest ufrag or pwd we accept (RFC 8839 5.4: 256) */
/* "candidate:" + the longest line we write (IPv6 address, raddr, rport, tcptype). */
#define BRTC_ICE_CANDIDATE_LINE_MAX 256

typedef enum brtc_ice_cand_type {
  BRTC_ICE_CAND_HOST = 0,
  BRTC_ICE_CAND_SRFLX, /* server-reflexive: what a STUN server saw (issue 10 gathers them) */
  BRTC_ICE_CAND_PRFLX, /* peer-reflexive: learned from a check (RFC 8445 7.2.5.3.1, 7.3.1.3) */
  BRTC_ICE_CAND_RELAY, /* relayed through a TURN allocation (issue 10) */
} brtc_ice_cand_type;

typedef enum brtc_ice_proto {
  BRTC_ICE_PROTO_UDP = 0,
  BRTC_ICE_PROTO_TCP,   /* RFC 6544: parsed and held, not paired yet */
  BRTC_ICE_PROTO_OTHER, /* a transport we do not know ("ssltcp"...): ignored */
} brtc_ice_proto;

typedef enum brtc_ice_tcp_type {
  BRTC_ICE_TCP_NONE = 0,
  BRTC_ICE_TCP_ACTIVE,
  BRTC_ICE_TCP_PASSIVE,
  BRTC_ICE_TCP_SO,
} brtc_ice_tcp_type;

/* One candidate as SDP carries it. A parsed line whose address is a name (an mDNS .local
 * hostname from a browser) has has_hostname set and only the port in addr. */
typedef struct brtc_ice_candidate {
  char foundation[BRTC_ICE_FOUNDATION_MAX + 1];
  uint16_t component;
  brtc_ice_proto proto;
  brtc_ice_tcp_type tcp_type;
  uint32_t priority;
  brtc_ice_cand_type type;
  brtc_addr addr;
  bool has_related; /* raddr/rport */
  brtc_addr related;
  bool has_hostname;
  char hostname[BRTC_ICE_HOSTNAME_MAX + 1];
  bool has_ufrag; /* the "ufrag" extension (libwebrtc): the generation it belongs to */
  char ufrag[BRTC_ICE_CRED_MAX + 1];
} brtc_ice_candidate;

/* RFC 8445 5.1.2.2 type preferences: host 126, peer-reflexive 110, server-reflexive 100,
 * relayed 0. */
uint32_t brtc_ice_type_preference(brtc_ice_cand_type type);
/* RFC 8445 5.1.2.1: 2^24 * type preference + 2^8 * local preference + (256 - component). */
uint32_t brtc_ice_priority(brtc_ice_cand_type type, uint16_t local_pref, uint16_t component);
/* RFC 8445 6.1.2.3: 2^32 * MIN(G,D) + 2 * MAX(G,D) + (G > D ? 1 : 0), G the controlling
 * agent's candidate priority and D the controlled agent's. */
uint64_t brtc_ice_pair_priority(uint32_t controlling, uint32_t controlled);

/* Parse one candidate: "candidate:..." as in a=candidate or a trickled candidate, with or
 * without "a=" and a trailing CRLF (RFC 8839 5.1). Unknown extensions are ignored.
 * BRTC_OK, or BRTC_ERR_PARSE with nothing usable in *out. A well-formed candidate of a
 * transport or type we do not know is BRTC_OK with proto BRTC_ICE_PROTO_OTHER, or
 * BRTC_ERR_UNSUPPORTED for an unknown candidate type. */
int brtc_ice_candidate_parse(const char *text, brtc_ice_candidate *out);
/* Write "candidate:<foundation> <component> udp <priority> <ip> <port> typ <type>" with
 * raddr/rport when known and tcptype for TCP, NUL-terminated; no "a=" and no CRLF.
 * BRTC_ERR_TOO_BIG if cap is too small, BRTC_ERR_INVALID for a candidate without an IP. */
int brtc_ice_candidate_format(const brtc_ice_candidate *c, char *buf, size_t cap);

/* True for a name ending in ".local" (RFC 6762; the mDNS ICE candidates draft). */
bool brtc_ice_is_mdns_name(const char *host);
const char *brtc_ice_cand_type_name(brtc_ice_cand_type type);

#endif
