/* What a pc knows of its data channels and their SCTP association, for the stats report
 * (W3C webrtc-stats RTCDataChannelStats, "data-channel") and for tests: small getters over
 * src/sctp's own counters, nothing kept here. */
#ifndef BRTC_PC_DATACHANNEL_STATS_H
#define BRTC_PC_DATACHANNEL_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "boltrtc/datachannel.h"
#include "sctp/datachannel.h"
#include "sctp/sctp.h"

/* One channel as RTCDataChannelStats has it: label, protocol, dataChannelIdentifier, state,
 * messagesSent, bytesSent, messagesReceived, bytesReceived (payload bytes, RFC 8831 6.6). */
typedef struct pc_datachannel_stats {
  const brtc_datachannel *channel;
  const char *label, *protocol; /* valid as long as the pc */
  int32_t id;                   /* -1 until known (an id follows the DTLS role) */
  brtc_datachannel_state state;
  uint64_t messages_sent, bytes_sent, messages_received, bytes_received;
} pc_datachannel_stats;

/* The association and its channels (pc_datachannel.c); NULL before the first channel or
 * data section. */
const brtc_dc_transport *pc_data_transport(const brtc_pc *pc);
/* Every channel the pc has, ours and the peer's, closed ones too (a pc never releases them). */
size_t pc_datachannel_count(const brtc_pc *pc);
/* BRTC_ERR_INVALID past the end. */
int pc_datachannel_get_stats(const brtc_pc *pc, size_t index, pc_datachannel_stats *out);
/* The association's counters and estimates (retransmissions, cwnd, peer's rwnd, SRTT, RTO,
 * sctp.h's brtc_sctp_stats). BRTC_ERR_STATE before it exists (DTLS not yet connected). */
int pc_sctp_get_stats(const brtc_pc *pc, brtc_sctp_stats *out);

#endif
