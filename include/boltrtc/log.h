/* Logging. The library never writes to stderr by itself: every line goes to the handler set
 * here. With none set, lines at or above the level go to stderr as
 * "HH:MM:SS.mmm level session text", coloured on a terminal (NO_COLOR turns colour off): the
 * journey lines of `boltrtc serve`. Protocol cores and the peer connection do not log; a pc
 * reports what is worth a line as events (BRTC_EVENT_STEP, BRTC_EVENT_LOG) and its owner
 * decides. The loop logs I/O trouble (a failing socket) here. */
#ifndef BOLTRTC_LOG_H
#define BOLTRTC_LOG_H

#include "boltrtc/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum brtc_log_level {
  BRTC_LOG_DEBUG = 0, /* protocol detail: HTTP requests, connections */
  BRTC_LOG_INFO,
  BRTC_LOG_STEP,      /* one line per step of each session's journey */
  BRTC_LOG_WARN,      /* something a user should look at; the program goes on */
  BRTC_LOG_ERROR,
} brtc_log_level;

/* session is a session's short name ("s12") or NULL; text is one line without its end. */
typedef void (*brtc_log_handler)(brtc_log_level level, const char *session, const char *text,
                                 void *user);

/* Replace the handler (NULL restores the default). The handler is global and read without a
 * lock: set it before other threads use the library. */
BRTC_EXPORT void brtc_set_log_handler(brtc_log_handler handler, void *user);
/* Lines below level are not made at all. The default is BRTC_LOG_INFO. */
BRTC_EXPORT void brtc_set_log_level(brtc_log_level level);
BRTC_EXPORT brtc_log_level brtc_log_level_get(void);
/* "debug", "info", "step", "warn", "error"; "unknown" for a value this version does not know. */
BRTC_EXPORT const char *brtc_log_level_name(brtc_log_level level);
/* One line through the handler (programs use it so that their lines look like the library's). */
BRTC_EXPORT void brtc_log(brtc_log_level level, const char *session, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif
#endif
