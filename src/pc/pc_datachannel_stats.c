/* Data channel and SCTP statistics of a pc (pc_datachannel_stats.h), and the public per-channel
 * counters of datachannel.h. The counters live in src/sctp (brtc_dc_stats, brtc_sctp_stats);
 * this file only reads them. */
#include "pc/pc_datachannel_stats.h"

#include "boltrtc/error.h"

static brtc_dc_stats counters(const brtc_datachannel *c) {
  brtc_dc_stats st = {0};
  if (c) brtc_dc_get_stats((const brtc_dc *)c, &st);
  return st;
}

uint64_t brtc_datachannel_messages_sent(const brtc_datachannel *c) { return counters(c).messages_sent; }
uint64_t brtc_datachannel_bytes_sent(const brtc_datachannel *c) { return counters(c).bytes_sent; }
uint64_t brtc_datachannel_messages_received(const brtc_datachannel *c) {
  return counters(c).messages_received;
}
uint64_t brtc_datachannel_bytes_received(const brtc_datachannel *c) {
  return counters(c).bytes_received;
}

size_t pc_datachannel_count(const brtc_pc *pc) {
  const brtc_dc_transport *t = pc ? pc_data_transport(pc) : NULL;
  return t ? brtc_dc_transport_channel_count(t) : 0;
}

int pc_datachannel_get_stats(const brtc_pc *pc, size_t index, pc_datachannel_stats *out) {
  const brtc_dc_transport *t = pc ? pc_data_transport(pc) : NULL;
  const brtc_dc *dc = t ? brtc_dc_transport_channel(t, index) : NULL;
  if (!dc) return BRTC_ERR_INVALID;
  const brtc_datachannel *c = (const brtc_datachannel *)dc; /* the pc's channel is the dc */
  brtc_dc_stats st = counters(c);
  *out = (pc_datachannel_stats){.channel = c,
                                .label = brtc_dc_label(dc),
                                .protocol = brtc_dc_protocol(dc),
                                .id = brtc_dc_id(dc),
                                .state = brtc_datachannel_get_state(c),
                                .messages_sent = st.messages_sent,
                                .bytes_sent = st.bytes_sent,
                                .messages_received = st.messages_received,
                                .bytes_received = st.bytes_received};
  return BRTC_OK;
}

int pc_sctp_get_stats(const brtc_pc *pc, brtc_sctp_stats *out) {
  const brtc_dc_transport *t = pc ? pc_data_transport(pc) : NULL;
  const brtc_sctp *a = t ? brtc_dc_transport_sctp(t) : NULL;
  if (!a) return BRTC_ERR_STATE;
  brtc_sctp_get_stats(a, out);
  return BRTC_OK;
}
