#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static brtc_log_level min_level = BRTC_LOG_INFO;
static int color = -1; /* -1: decide on first use */

void brtc_log_set_level(brtc_log_level min) { min_level = min; }
bool brtc_log_enabled(brtc_log_level level) { return level >= min_level; }
void brtc_log_set_color(int on) { color = on ? 1 : 0; }

void brtc_log(brtc_log_level level, const char *session, const char *fmt, ...) {
  static const char *names[] = {"debug", "info", "step", "warn", "error"};
  static const char *colors[] = {"\033[2m", "\033[0m", "\033[36m", "\033[33m", "\033[31m"};
  if (level < min_level) return;
  if (color < 0) color = isatty(STDERR_FILENO) && !getenv("NO_COLOR");
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  localtime_r(&ts.tv_sec, &tm);
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  if (color)
    fprintf(stderr, "\033[2m%02d:%02d:%02d.%03ld\033[0m %s%-5s\033[0m %s%s%s%s\n", tm.tm_hour, tm.tm_min,
            tm.tm_sec, ts.tv_nsec / 1000000, colors[level], names[level], session ? "\033[1m" : "",
            session ? session : "", session ? "\033[0m " : "", line);
  else
    fprintf(stderr, "%02d:%02d:%02d.%03ld %-5s %s%s%s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
            ts.tv_nsec / 1000000, names[level], session ? session : "", session ? " " : "", line);
}
