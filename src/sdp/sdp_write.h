/* What the SDP writers share (sdp_answer.c, sdp_offer.c): a bounded line appender, the
 * one-line error, and the check that caller text cannot break a line. Internal to src/sdp. */
#ifndef BRTC_SDP_WRITE_H
#define BRTC_SDP_WRITE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

typedef struct writer {
  char *buf;
  size_t cap, len;
  bool overflow;
} writer;

/* Appends one line and its CRLF; on overflow remembers it and stops writing. */
__attribute__((format(printf, 2, 3))) static inline void line(writer *w, const char *fmt, ...) {
  if (w->overflow) return;
  size_t room = w->cap - w->len;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(w->buf + w->len, room, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n + 2 >= room) {
    w->overflow = true;
    return;
  }
  w->len += (size_t)n;
  memcpy(w->buf + w->len, "\r\n", 3);
  w->len += 2;
}

__attribute__((format(printf, 3, 4))) static inline void set_err(char *err, size_t cap,
                                                                 const char *fmt, ...) {
  if (!err || cap == 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, cap, fmt, ap);
  va_end(ap);
}

/* Caller strings go into the SDP verbatim: refuse anything that could break a line. */
static inline bool safe_text(const char *s, bool allow_space) {
  if (!s || !*s) return false;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c < 0x20 || c == 0x7f || (c == ' ' && !allow_space)) return false;
  }
  return true;
}

#endif
