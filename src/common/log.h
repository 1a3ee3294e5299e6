/* Journey logs (include/boltrtc/log.h): one line per step, through the owner's handler, or
 * coloured on a terminal and plain otherwise. Only the I/O layers (net, signal, apps) log;
 * protocol cores and the peer connection report events instead. */
#ifndef BRTC_COMMON_LOG_H
#define BRTC_COMMON_LOG_H

#include "boltrtc/log.h"

/* Force the default handler's colours on or off; by default they follow isatty(stderr) and
 * NO_COLOR. */
void brtc_log_set_color(int on);

#endif
