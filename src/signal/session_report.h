/* What the terminal says about a session besides its journey steps (issue 7): a rate line
 * every few seconds while it is connected, and a summary when it ends. */
#ifndef BRTC_SIGNAL_SESSION_REPORT_H
#define BRTC_SIGNAL_SESSION_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "boltrtc/peer_connection.h"

/* The counters at the last rate line, for the next one's differences. */
typedef struct brtc_rate_mark {
  uint64_t at_us;
  uint64_t bytes_in, rtp_video, rtp_audio, frames, keyframes;
  int64_t lost;
  uint64_t rr, pli, nack, remb;
} brtc_rate_mark;

/* "1,482 kbps, 152 pkt/s (video 122, audio 30), 30.0 fps, ..." for the time since *mark,
 * which then moves to now. */
void brtc_rate_line(const brtc_pc_stats *st, uint64_t now_us, brtc_rate_mark *mark, char *out,
                    size_t cap);
/* "21.4 s, 3,120 packets in (...), ..." for a session that ran from created_us to now_us
 * and saved `saved` JPEGs. */
void brtc_summary_line(const brtc_pc_stats *st, uint64_t created_us, uint64_t now_us,
                       unsigned long saved, char *out, size_t cap);

#endif
