/* The attributes that say what a media section sends (RFC 8829 5.2.1, 5.3.1): RFC 8830
 * a=msid, and RFC 5576 a=ssrc lines with the cname (RFC 7022) and, when RTX goes with the
 * media SSRC, the FID group (RFC 4588 8.1, RFC 5576 4.2). Shared by the answer writer and
 * the offer writer. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "boltrtc/error.h"
#include "sdp/sdp.h"
#include "sdp/sdp_write.h"

#define DEFAULT_STREAM_ID "boltrtc"

/* A token for SDP (RFC 8866 9): no blanks, no control characters. */
static bool token(const char *s) { return safe_text(s, false); }

int brtc_sdp_write_send_attributes(const brtc_sdp_send_track *t, const char *cname, bool rtx,
                                   char *out, size_t cap, size_t *len) {
  if (!t || !out || !len || *len >= cap || t->ssrc == 0) return BRTC_ERR_INVALID;
  const char *stream = t->stream_id ? t->stream_id : DEFAULT_STREAM_ID;
  const char *track = t->track_id ? t->track_id
                                  : t->kind == BRTC_MEDIA_AUDIO ? "boltrtc-audio" : "boltrtc-video";
  if (!token(stream) || !token(track) || (cname && !token(cname))) return BRTC_ERR_INVALID;
  if (!cname) cname = DEFAULT_STREAM_ID;
  bool with_rtx = rtx && t->rtx_ssrc && t->rtx_ssrc != t->ssrc;
  writer o = {.buf = out, .cap = cap, .len = *len};
  line(&o, "a=msid:%s %s", stream, track);
  if (with_rtx) line(&o, "a=ssrc-group:FID %u %u", (unsigned)t->ssrc, (unsigned)t->rtx_ssrc);
  line(&o, "a=ssrc:%u cname:%s", (unsigned)t->ssrc, cname);
  line(&o, "a=ssrc:%u msid:%s %s", (unsigned)t->ssrc, stream, track);
  if (with_rtx) {
    line(&o, "a=ssrc:%u cname:%s", (unsigned)t->rtx_ssrc, cname);
    line(&o, "a=ssrc:%u msid:%s %s", (unsigned)t->rtx_ssrc, stream, track);
  }
  if (o.overflow) {
    out[*len] = '\0';
    return BRTC_ERR_TOO_BIG;
  }
  *len = o.len;
  return BRTC_OK;
}
