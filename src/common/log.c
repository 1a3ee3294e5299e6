/* The log line's way out: the owner's handler, or the default one writing to stderr. */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static brtc_log_level min_level = BRTC_LOG_INFO;
static int color = -1; /* -1: decide on first use */
static brtc_log_handler handler;
static void *handler_user;

void brtc_set_log_level(brtc_log_level level) { min_level = level; }
brtc_log_level brtc_log_level_get(void) { return min_level; }
void brtc_log_set_color(int on) { color = on ? 1 : 0; }

void brtc_set_log_handler(brtc_log_handler h, void *user) {
  handler = h;
  handler_user = user;
}

static const char *const level_names[] = {"debug", "info", "step", "warn", "error"};

const char *brtc_log_level_name(brtc_log_level level) {
  return (unsigned)level < sizeof(level_names) / sizeof(level_names[0]) ? level_names[level]
                                                                        : "unknown";
}

static void default_handler(brtc_log_level level, const char *session, const char *line) {
  static const char *colors[] = {"\033[2m", "\033[0m", "\033[36m", "\033[33m", "\033[31m"};
  if (color < 0) color = isatty(STDERR_FILENO) && !getenv("NO_COLOR");
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  localtime_r(&ts.tv_sec, &tm);
  const char *name = brtc_log_level_name(level);
  if (color)
    fprintf(stderr, "\033[2m%02d:%02d:%02d.%03ld\033[0m %s%-5s\033[0m %s%s%s%s\n", tm.tm_hour,
            tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, colors[level], name,
            session ? "\033[1m" : "", session ? session : "", session ? "\033[0m " : "", line);
  else
    fprintf(stderr, "%02d:%02d:%02d.%03ld %-5s %s%s%s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
            ts.tv_nsec / 1000000, name, session ? session : "", session ? " " : "", line);
}

void brtc_log(brtc_log_level level, const char *session, const char *fmt, ...) {
  if (level < min_level || (unsigned)level > BRTC_LOG_ERROR) return;
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  if (handler)
    handler(level, session, line, handler_user);
  else
    default_handler(level, session, line);
}
