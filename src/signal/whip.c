/* WHIP (RFC 9725) at /whip: POST an SDP offer, get 201 Created with the answer and the
 * session's URL in Location; DELETE that URL to end the session. We are ICE-lite and list
 * every candidate in the answer, so trickle PATCH is refused with 405. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "signal/server_internal.h"

void brtc_http_reply_text(brtc_http_reply *r, int status, const char *fmt, ...) {
  char text[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(text, sizeof(text) - 1, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if ((size_t)n > sizeof(text) - 2) n = (int)sizeof(text) - 2;
  text[n++] = '\n';
  free(r->body);
  r->status = status;
  r->content_type = "text/plain; charset=utf-8";
  r->body = malloc((size_t)n);
  r->len = r->body ? (size_t)n : 0;
  if (r->body) memcpy(r->body, text, (size_t)n);
}

/* "application/sdp", ignoring case, surrounding blanks and any parameters. */
static bool is_sdp_content_type(const char *ct) {
  static const char want[] = "application/sdp";
  while (*ct == ' ' || *ct == '\t') ct++;
  if (strncasecmp(ct, want, sizeof(want) - 1) != 0) return false;
  ct += sizeof(want) - 1;
  while (*ct == ' ' || *ct == '\t') ct++;
  return *ct == '\0' || *ct == ';';
}

static void whip_post(brtc_signal_server *srv, const brtc_http_conn *req, brtc_http_reply *r) {
  if (!is_sdp_content_type(req->content_type)) {
    brtc_http_reply_text(r, 415, "Content-Type must be application/sdp");
    return;
  }
  if (req->body_too_big) {
    brtc_http_reply_text(r, 413, "offer too big: the limit is %d bytes", BRTC_SIGNAL_MAX_MESSAGE);
    return;
  }
  if (!req->body || req->body_len == 0) {
    brtc_http_reply_text(r, 400, "empty offer: POST an SDP offer");
    return;
  }
  if (memchr(req->body, '\0', req->body_len)) {
    brtc_http_reply_text(r, 400, "bad SDP: the offer contains a NUL byte");
    return;
  }
  char err[256] = "";
  int rc;
  const char *answer = NULL;
  /* The body buffer has a spare byte and is NUL-terminated by the HTTP layer. */
  const struct sockaddr *client =
      req->peer.ss_family == AF_UNSPEC ? NULL : (const struct sockaddr *)&req->peer;
  brtc_session *s = brtc_server_session_start(srv, BRTC_TRANSPORT_WHIP, NULL, client, req->body,
                                              req->body_len, &answer, err, sizeof(err), &rc);
  if (!s) {
    for (char *p = err; *p; p++)
      if (*p == '\r' || *p == '\n') *p = ' ';
    if (rc == BRTC_ERR_AGAIN) {
      brtc_http_reply_text(r, 503, "%s", err);
      r->retry_after_s = brtc_server_retry_after_s(srv);
    } else if (rc == BRTC_ERR_LIMIT)
      brtc_http_reply_text(r, 503, "%s", err);
    else if (rc == BRTC_ERR_NOMEM || rc == BRTC_ERR_IO || rc == BRTC_ERR_CRYPTO)
      brtc_http_reply_text(r, 500, "%s", err);
    else
      brtc_http_reply_text(r, 400, "bad SDP offer: %s", err);
    return;
  }
  size_t len = strlen(answer);
  r->body = malloc(len);
  if (!r->body) {
    brtc_server_session_end(srv, s, "out of memory");
    brtc_http_reply_text(r, 500, "out of memory");
    return;
  }
  memcpy(r->body, answer, len);
  r->len = len;
  r->status = 201;
  r->content_type = "application/sdp";
  snprintf(r->location, sizeof(r->location), "/whip/%s", s->id);
}

static void whip_delete(brtc_signal_server *srv, const char *id, brtc_http_reply *r) {
  brtc_session *s = brtc_session_table_find_live(&srv->sessions, id);
  if (!s || s->closing || s->transport != BRTC_TRANSPORT_WHIP) {
    brtc_http_reply_text(r, 404, "no such WHIP session");
    return;
  }
  brtc_server_session_step(srv, s, "whip-delete", "the client ended the session");
  brtc_server_session_end(srv, s, "WHIP DELETE");
  brtc_http_reply_text(r, 200, "session %s ended", s->id);
}

void brtc_whip_handle(brtc_signal_server *srv, const brtc_http_conn *req, brtc_http_reply *r) {
  const char *m = req->method;
  bool collection = strcmp(req->uri, "/whip") == 0 || strcmp(req->uri, "/whip/") == 0;
  const char *id = collection ? NULL : req->uri + strlen("/whip/");
  if (strcmp(m, "OPTIONS") == 0) {
    r->status = 204;
    r->accept_post = collection;
    return;
  }
  if (collection) {
    if (strcmp(m, "POST") == 0)
      whip_post(srv, req, r);
    else
      brtc_http_reply_text(r, 405, "use POST with an SDP offer");
    return;
  }
  if (strcmp(m, "DELETE") == 0)
    whip_delete(srv, id, r);
  else if (strcmp(m, "PATCH") == 0)
    brtc_http_reply_text(r, 405, "trickle ICE is not supported: every candidate is in the answer");
  else
    brtc_http_reply_text(r, 405, "use DELETE to end the session");
}
