/* The attributes that say what a media section sends (RFC 8829 5.2.1, 5.3.1): RFC 8830
 * a=msid, and RFC 5576 a=ssrc lines with the cname (RFC 7022) and, when RTX goes with the
 * media SSRC, the FID group (RFC 4588 8.1, RFC 5576 4.2). Shared by the answer writer and
 * the offer writer. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "boltrtc/error.h"
#include "sdp/sdp.h"

#define DEFAULT_STREAM_ID "boltrtc"

/* A token for SDP (RFC 8866 9): no blanks, no control characters. */
static bool token(const char *s) {
  if (!s || !*s) return false;
  for (; *s; s++)
    if ((unsigned char)*s <= 0x20 || *s == 0x7f) return false;
  return true;
}

typedef struct out_buf {
  char *buf;
  size_t cap, len;
  bool overflow;
} out_buf;

__attribute__((format(printf, 2, 3))) static void put(out_buf *o, const char *fmt, ...) {
  if (o->overflow) return;
  size_t room = o->cap - o->len;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(o->buf + o->len, room, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n + 2 >= room) {
    o->overflow = true;
    return;
  }
  o->len += (size_t)n;
  memcpy(o->buf + o->len, "\r\n", 3);
  o->len += 2;
}

int brtc_sdp_write_send_attributes(const brtc_sdp_send_track *t, const char *cname, bool rtx,
                                   char *out, size_t cap, size_t *len) {
  if (!t || !out || !len || *len >= cap || t->ssrc == 0) return BRTC_ERR_INVALID;
  const char *stream = t->stream_id ? t->stream_id : DEFAULT_STREAM_ID;
  const char *track = t->track_id ? t->track_id
                                  : t->kind == BRTC_MEDIA_AUDIO ? "boltrtc-audio" : "boltrtc-video";
  if (!token(stream) || !token(track) || (cname && !token(cname))) return BRTC_ERR_INVALID;
  if (!cname) cname = DEFAULT_STREAM_ID;
  bool with_rtx = rtx && t->rtx_ssrc && t->rtx_ssrc != t->ssrc;
  out_buf o = {.buf = out, .cap = cap, .len = *len};
  put(&o, "a=msid:%s %s", stream, track);
  if (with_rtx) put(&o, "a=ssrc-group:FID %u %u", (unsigned)t->ssrc, (unsigned)t->rtx_ssrc);
  put(&o, "a=ssrc:%u cname:%s", (unsigned)t->ssrc, cname);
  put(&o, "a=ssrc:%u msid:%s %s", (unsigned)t->ssrc, stream, track);
  if (with_rtx) {
    put(&o, "a=ssrc:%u cname:%s", (unsigned)t->rtx_ssrc, cname);
    put(&o, "a=ssrc:%u msid:%s %s", (unsigned)t->rtx_ssrc, stream, track);
  }
  if (o.overflow) {
    out[*len] = '\0';
    return BRTC_ERR_TOO_BIG;
  }
  *len = o.len;
  return BRTC_OK;
}
