/* WHIP (RFC 9725) at /whip, and WHEP (draft-ietf-wish-whep, the same exchange for a viewer:
 * a recvonly offer, an answer that sends the server's --source) at /whep: POST an SDP offer, get 201 Created with the answer and the
 * session's resource URL in Location; DELETE that URL to end the session, PATCH it to
 * trickle candidates or restart ICE (whip_patch.c).
 *
 * Access (RFC 9725 4.5, 4.6): a resource URL is /whip/<32 hex digits>, 128 random bits, and
 * only that exact URL acts on its session; the short session id ("s3") that the status and
 * the logs show is not part of it, and the logs never print it. With bearer tokens
 * configured, POST needs one, and DELETE and PATCH need the very token that created the
 * session: another valid token finds nothing (404), no or an unknown token gets 401. */
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/random.h"
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

/* The media type want, ignoring case, surrounding blanks and any parameters. */
bool brtc_whip_content_type_is(const char *ct, const char *want) {
  size_t wl = strlen(want);
  while (*ct == ' ' || *ct == '\t') ct++;
  if (strncasecmp(ct, want, wl) != 0) return false;
  ct += wl;
  while (*ct == ' ' || *ct == '\t') ct++;
  return *ct == '\0' || *ct == ';';
}

/* RFC 6750 3: how a client learns that a token is needed, or that its token is not good. */
static void refuse_unauthorized(brtc_http_reply *r, bool presented) {
  brtc_http_reply_text(r, 401, "%s",
                       presented ? "that bearer token is not valid here"
                                 : "a bearer token is needed (Authorization: Bearer <token>)");
  r->www_authenticate =
      presented ? "Bearer realm=\"boltrtc\", error=\"invalid_token\"" : "Bearer realm=\"boltrtc\"";
}

static brtc_whip_resource *add_resource(brtc_signal_server *srv, brtc_session *s, bool whep) {
  if (srv->n_whip == srv->cap_whip) {
    size_t cap = srv->cap_whip ? srv->cap_whip * 2 : 16;
    brtc_whip_resource *grown = realloc(srv->whip, cap * sizeof(*grown));
    if (!grown) return NULL;
    srv->whip = grown;
    srv->cap_whip = cap;
  }
  uint8_t raw[BRTC_WHIP_RESOURCE_ID_LEN / 2];
  if (brtc_random_bytes(raw, sizeof(raw)) != BRTC_OK) return NULL;
  brtc_whip_resource *res = &srv->whip[srv->n_whip++];
  memset(res, 0, sizeof(*res));
  for (size_t i = 0; i < sizeof(raw); i++) snprintf(res->id + 2 * i, 3, "%02x", raw[i]);
  res->session = s;
  res->whep = whep;
  return res;
}

/* The resource with exactly this id, compared in constant time against every one. */
static brtc_whip_resource *find_resource(brtc_signal_server *srv, const char *id, bool whep) {
  if (strlen(id) != BRTC_WHIP_RESOURCE_ID_LEN) return NULL;
  brtc_whip_resource *found = NULL;
  for (size_t i = 0; i < srv->n_whip; i++)
    if (CRYPTO_memcmp(srv->whip[i].id, id, BRTC_WHIP_RESOURCE_ID_LEN) == 0) found = &srv->whip[i];
  return found && !found->session->closing && found->whep == whep ? found : NULL;
}

void brtc_whip_session_ended(brtc_signal_server *srv, const brtc_session *s) {
  for (size_t i = 0; i < srv->n_whip;) {
    if (srv->whip[i].session == s) {
      brtc_whip_patch_end(&srv->whip[i]);
      OPENSSL_cleanse(&srv->whip[i], sizeof(srv->whip[i]));
      srv->whip[i] = srv->whip[--srv->n_whip];
    } else {
      i++;
    }
  }
}

void brtc_whip_free(brtc_signal_server *srv) {
  for (size_t i = 0; i < srv->n_whip; i++) brtc_whip_patch_end(&srv->whip[i]);
  if (srv->whip) OPENSSL_cleanse(srv->whip, srv->cap_whip * sizeof(*srv->whip));
  free(srv->whip);
  srv->whip = NULL;
  srv->n_whip = srv->cap_whip = 0;
}

static void whip_post(brtc_signal_server *srv, const brtc_http_request *req,
                      const struct sockaddr *client, bool whep, brtc_http_reply *r) {
  uint8_t token[BRTC_TOKEN_HASH_LEN];
  bool presented = brtc_auth_presented(req, false, token);
  if (brtc_auth_required(srv) && (!presented || !brtc_auth_known(srv, token))) {
    refuse_unauthorized(r, presented);
    return;
  }
  const char *ct = brtc_http_request_header(req, "content-type");
  if (!ct || !brtc_whip_content_type_is(ct, "application/sdp")) {
    brtc_http_reply_text(r, 415, "Content-Type must be application/sdp");
    return;
  }
  if (req->body_len == 0) {
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
  /* The HTTP core NUL-terminates the body. */
  /* WHIP says no picture size: the pc learns it from the first keyframe. */
  /* ?inspect=1: record the session for the packet inspector (Boltrtc-Inspect says where). */
  char inspect[4] = "";
  bool want_inspect = brtc_http_query_param(req->query, "inspect", inspect, sizeof(inspect)) &&
                      strcmp(inspect, "1") == 0;
  brtc_session *s = brtc_server_session_start(srv, whep ? BRTC_TRANSPORT_WHEP : BRTC_TRANSPORT_WHIP,
                                              NULL, client, req->body,
                                              req->body_len, 0, 0, want_inspect, &answer, err,
                                              sizeof(err), &rc);
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
  brtc_whip_resource *res = add_resource(srv, s, whep);
  if (res && brtc_whip_patch_start(res, req->body, req->body_len) != BRTC_OK) {
    brtc_whip_session_ended(srv, s);
    res = NULL;
  }
  r->body = res ? malloc(len) : NULL;
  if (!r->body) {
    if (res) brtc_whip_session_ended(srv, s);
    brtc_server_session_end(srv, s, "out of memory");
    brtc_http_reply_text(r, 500, "out of memory");
    return;
  }
  if (presented && brtc_auth_required(srv)) {
    res->has_token = true;
    memcpy(res->token_hash, token, sizeof(token));
  }
  memcpy(r->body, answer, len);
  r->len = len;
  r->status = 201;
  r->content_type = "application/sdp";
  snprintf(r->location, sizeof(r->location), "%s/%s", whep ? "/whep" : "/whip", res->id);
  snprintf(r->etag, sizeof(r->etag), "%s", res->etag); /* RFC 9725 4.3.1: for If-Match */
  r->accept_patch = true;
  snprintf(r->session, sizeof(r->session), "%s", s->id);
  if (s->inspect) snprintf(r->inspect, sizeof(r->inspect), "/inspect?session=%s", s->inspect->id);
}

/* DELETE, PATCH and the rest on /whip/<id>. */
static void whip_resource(brtc_signal_server *srv, const brtc_http_request *req, const char *id,
                          bool whep, brtc_http_reply *r) {
  brtc_whip_resource *res = find_resource(srv, id, whep);
  if (brtc_auth_required(srv)) {
    uint8_t token[BRTC_TOKEN_HASH_LEN];
    bool presented = brtc_auth_presented(req, false, token);
    if (!presented || !brtc_auth_known(srv, token)) {
      refuse_unauthorized(r, presented);
      return;
    }
    /* A valid token, but not this session's: as if there were no such session. */
    if (res && (!res->has_token ||
                CRYPTO_memcmp(res->token_hash, token, BRTC_TOKEN_HASH_LEN) != 0))
      res = NULL;
  }
  if (!res) {
    brtc_http_reply_text(r, 404, "no such %s session", whep ? "WHEP" : "WHIP");
    return;
  }
  brtc_session *s = res->session;
  if (strcmp(req->method, "DELETE") == 0) {
    brtc_server_session_step(srv, s, whep ? "whep-delete" : "whip-delete",
                             "the client ended the session");
    brtc_server_session_end(srv, s, whep ? "WHEP DELETE" : "WHIP DELETE");
    brtc_http_reply_text(r, 200, "session %s ended", s->id);
    brtc_whip_session_ended(srv, s);
  } else if (strcmp(req->method, "PATCH") == 0) {
    brtc_whip_patch(srv, req, res, r);
  } else {
    brtc_http_reply_text(r, 405, "use PATCH to trickle or restart ICE, DELETE to end the session");
    r->allow = "DELETE, OPTIONS, PATCH";
  }
}

void brtc_whip_handle(brtc_signal_server *srv, const brtc_http_request *req,
                      const struct sockaddr *client, brtc_http_reply *r) {
  const char *m = req->method;
  bool whep = strncmp(req->path, "/whep", 5) == 0;
  if (whep && !srv->whep_source) {
    brtc_http_reply_text(r, 404, "WHEP is off: start the server with --source FILE");
    return;
  }
  bool collection = strcmp(req->path + 5, "") == 0 || strcmp(req->path + 5, "/") == 0;
  if (strcmp(m, "OPTIONS") == 0) {
    r->status = 204;
    r->accept_post = collection;
    r->allow = collection ? "OPTIONS, POST" : "DELETE, OPTIONS, PATCH";
    r->accept_patch = !collection;
    return;
  }
  if (collection) {
    if (strcmp(m, "POST") == 0) {
      whip_post(srv, req, client, whep, r);
    } else {
      brtc_http_reply_text(r, 405, "use POST with an SDP offer");
      r->allow = "OPTIONS, POST";
    }
    return;
  }
  whip_resource(srv, req, req->path + strlen("/whip/"), whep, r);
}
