/* Journey logs: one line per step, coloured on a terminal, plain otherwise.
 * Only the I/O layers (net, signal, apps) log; protocol cores report events instead. */
#ifndef BRTC_COMMON_LOG_H
#define BRTC_COMMON_LOG_H

#include <stdbool.h>
#include <stdint.h>

typedef enum brtc_log_level {
  BRTC_LOG_DEBUG = 0,
  BRTC_LOG_INFO = 1,
  BRTC_LOG_STEP = 2, /* a step of a session's journey */
  BRTC_LOG_WARN = 3,
  BRTC_LOG_ERROR = 4,
} brtc_log_level;

void brtc_log_set_level(brtc_log_level min);
/* Whether lines of this level are printed (to skip building costly ones). */
bool brtc_log_enabled(brtc_log_level level);
/* Force colours on or off; by default they follow isatty(stderr) and NO_COLOR. */
void brtc_log_set_color(int on);
/* session may be NULL for server-wide lines. */
void brtc_log(brtc_log_level level, const char *session, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
