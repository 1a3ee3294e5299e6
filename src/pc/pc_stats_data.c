/* The data channels' part of the stats report (W3C webrtc-stats RTCDataChannelStats and
 * RTCPeerConnectionStats), through pc_datachannel_stats.h's getters over src/sctp's counters.
 * SCTP's own counters (the association's, retransmissions, RTT) have no W3C type yet: when
 * they get one (the "transport" entry's sctp members, or an "sctp-transport"), they go here
 * too. */
#include "pc/pc_stats.h"
#include "pc/stats_report.h"
#include "boltrtc/error.h"
#include "pc/pc_datachannel_stats.h"
#include "sctp/datachannel.h"

static const char *state_name(brtc_datachannel_state s) {
  switch (s) { /* RTCDataChannelState */
    case BRTC_DATACHANNEL_CONNECTING: return "connecting";
    case BRTC_DATACHANNEL_OPEN: return "open";
    case BRTC_DATACHANNEL_CLOSING: return "closing";
    case BRTC_DATACHANNEL_CLOSED: return "closed";
  }
  return "unknown";
}

void pc_stats_add_data(const brtc_pc *pc, brtc_stats_report *r) {
  const brtc_dc_transport *t = pc_data_transport(pc);
  if (!t) return;
  brtc_dc_transport_stats ts;
  brtc_dc_transport_get_stats(t, &ts);
  brtc_stats_begin(r, "peer-connection", "P");
  brtc_stats_u64(r, "dataChannelsOpened", ts.channels_opened);
  brtc_stats_u64(r, "dataChannelsClosed", ts.channels_closed);
  pc_datachannel_stats s;
  for (size_t i = 0; pc_datachannel_get_stats(pc, i, &s) == BRTC_OK; i++) {
    /* The stream id is known only once the DTLS role is; before, the channel's place. */
    if (s.id >= 0) brtc_stats_begin(r, "data-channel", "D%d", (int)s.id);
    else brtc_stats_begin(r, "data-channel", "D-pending-%zu", i);
    brtc_stats_string(r, "label", s.label);
    brtc_stats_string(r, "protocol", s.protocol);
    if (s.id >= 0) brtc_stats_u64(r, "dataChannelIdentifier", (uint64_t)s.id);
    brtc_stats_string(r, "state", state_name(s.state));
    brtc_stats_u64(r, "messagesSent", s.messages_sent);
    brtc_stats_u64(r, "bytesSent", s.bytes_sent);
    brtc_stats_u64(r, "messagesReceived", s.messages_received);
    brtc_stats_u64(r, "bytesReceived", s.bytes_received);
  }
}
