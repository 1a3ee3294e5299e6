/* The parts of brtc_pc_get_stats_report (pc_stats.c) that other files fill. */
#ifndef BRTC_PC_STATS_H
#define BRTC_PC_STATS_H

#include "boltrtc/stats.h"
#include "pc/pc_internal.h"

/* pc_stats_data.c: "data-channel" entries (RTCDataChannelStats), one per channel, and the
 * "peer-connection" entry's channel counts (RTCPeerConnectionStats). */
void pc_stats_add_data(const brtc_pc *pc, brtc_stats_report *r);

#endif
