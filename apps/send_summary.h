/* One log line with a sending track's counters, when a program's session ends. */
#ifndef BRTC_APPS_SEND_SUMMARY_H
#define BRTC_APPS_SEND_SUMMARY_H

#include "boltrtc/boltrtc.h"

/* "<who>: video VP8 ssrc N: F frames (K key, R refused), P packets, ..." at info level. */
void brtc_app_log_send_summary(const char *who, const brtc_track *track);

#endif
