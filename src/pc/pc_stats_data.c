/* The data channels' part of the stats report (W3C webrtc-stats RTCDataChannelStats and
 * RTCPeerConnectionStats), from the counters src/sctp keeps per channel and per transport.
 * SCTP's own counters (the association's, retransmissions, RTT) have no W3C type yet: when
 * they get one (the "transport" entry's sctp members, or an "sctp-transport"), they go here
 * too. */
#include "pc/pc_stats.h"
#include "pc/stats_report.h"
#include "sctp/datachannel.h"

static const char *state_name(brtc_dc_state s) {
  switch (s) { /* RTCDataChannelState */
    case BRTC_DC_CONNECTING: return "connecting";
    case BRTC_DC_OPEN: return "open";
    case BRTC_DC_CLOSING: return "closing";
    case BRTC_DC_CLOSED: return "closed";
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
  size_t n = brtc_dc_transport_channel_count(t);
  for (size_t i = 0; i < n; i++) {
    const brtc_dc *dc = brtc_dc_transport_channel(t, i);
    brtc_dc_stats s;
    brtc_dc_get_stats(dc, &s);
    /* The stream id is known only once the DTLS role is; before, the channel's place. */
    int32_t id = brtc_dc_id(dc);
    if (id >= 0) brtc_stats_begin(r, "data-channel", "D%d", (int)id);
    else brtc_stats_begin(r, "data-channel", "D-pending-%zu", i);
    brtc_stats_string(r, "label", brtc_dc_label(dc));
    brtc_stats_string(r, "protocol", brtc_dc_protocol(dc));
    if (id >= 0) brtc_stats_u64(r, "dataChannelIdentifier", (uint64_t)id);
    brtc_stats_string(r, "state", state_name(brtc_dc_get_state(dc)));
    brtc_stats_u64(r, "messagesSent", s.messages_sent);
    brtc_stats_u64(r, "bytesSent", s.bytes_sent);
    brtc_stats_u64(r, "messagesReceived", s.messages_received);
    brtc_stats_u64(r, "bytesReceived", s.bytes_received);
  }
}
