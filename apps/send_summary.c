/* A sending track's summary line (send_summary.h). */
#include "send_summary.h"

void brtc_app_log_send_summary(const char *who, const brtc_track *track) {
  brtc_track_send_stats st = {.size = sizeof(st)};
  if (!track || brtc_track_get_send_stats(track, &st) != BRTC_OK) return;
  brtc_log(BRTC_LOG_INFO, NULL,
           "%s: %s %s ssrc %u: %llu frames (%llu key, %llu refused), %llu packets, %llu bytes, "
           "%llu retransmitted, %llu NACKs, %llu PLIs, %llu keyframe requests, rtt %.1f ms",
           who, st.kind, st.codec, st.ssrc, (unsigned long long)st.frames_sent,
           (unsigned long long)st.key_frames_sent, (unsigned long long)st.frames_refused,
           (unsigned long long)st.packets_sent, (unsigned long long)st.bytes_sent,
           (unsigned long long)st.retransmitted_packets_sent, (unsigned long long)st.nack_count,
           (unsigned long long)st.pli_count, (unsigned long long)st.keyframe_requests,
           (double)st.round_trip_time_us / 1000.0);
}
