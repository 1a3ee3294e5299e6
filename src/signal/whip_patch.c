/* Trickle ICE and ICE restart on a WHIP or WHEP resource by HTTP PATCH (RFC 9725 4.3), with
 * an application/trickle-ice-sdpfrag body (RFC 8840, whip_sdpfrag.h).
 *
 * The 201 that created the resource carries an entity-tag for its ICE session. A PATCH names
 * it in If-Match (RFC 9110 13.1.1): the tag, or "*" for a restart whose credentials the
 * client made before it knew the tag. Then:
 *   - a fragment with the session's ufrag and pwd, or none: trickle. Its candidates (and
 *     a=end-of-candidates) go to the pc; 204.
 *   - new ufrag and pwd: the client restarted ICE (RFC 8445 9). The pc takes the offer in
 *     force with the new credentials as a re-offer (pc_restart.c: DTLS and media carry on),
 *     and answers with its own new ones; 200 with our fragment, and a new tag.
 * Refusals: no If-Match 428 (RFC 6585 3), another tag 412, another content type 415, a body
 * that does not parse, has a candidate that does not, or names a section the session lacks
 * 400, each with one line; a refused PATCH changes nothing.
 * Who may PATCH at all (the resource's unguessable URL, its token) is whip.c's check. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "boltrtc/peer_connection.h"
#include "common/log.h"
#include "common/random.h"
#include "signal/server_internal.h"
#include "signal/whip_sdpfrag.h"

static const char sdpfrag_type[] = "application/trickle-ice-sdpfrag";

static bool new_etag(brtc_whip_resource *res) {
  uint8_t raw[(BRTC_WHIP_ETAG_LEN - 2) / 2];
  if (brtc_random_bytes(raw, sizeof raw) != BRTC_OK) return false;
  res->etag[0] = '"';
  for (size_t i = 0; i < sizeof raw; i++) snprintf(res->etag + 1 + 2 * i, 3, "%02x", raw[i]);
  res->etag[BRTC_WHIP_ETAG_LEN - 1] = '"';
  res->etag[BRTC_WHIP_ETAG_LEN] = '\0';
  return true;
}

/* The value of the first line of sdp that starts with key, up to its end. */
static void line_value(const char *sdp, const char *key, char *out, size_t cap) {
  out[0] = '\0';
  size_t kl = strlen(key);
  for (const char *s = sdp; *s;) {
    size_t n = strcspn(s, "\r\n");
    if (n >= kl && memcmp(s, key, kl) == 0) {
      snprintf(out, cap, "%.*s", (int)(n - kl), s + kl);
      return;
    }
    s += n;
    while (*s == '\r' || *s == '\n') s++;
  }
}

static bool offer_has_mid(const char *sdp, const char *mid) {
  size_t ml = strlen(mid);
  for (const char *s = sdp; *s;) {
    size_t n = strcspn(s, "\r\n");
    if (n == 6 + ml && memcmp(s, "a=mid:", 6) == 0 && memcmp(s + 6, mid, ml) == 0) return true;
    s += n;
    while (*s == '\r' || *s == '\n') s++;
  }
  return false;
}

static void take_credentials(brtc_whip_resource *res, const char *sdp) {
  line_value(sdp, "a=ice-ufrag:", res->remote_ufrag, sizeof res->remote_ufrag);
  line_value(sdp, "a=ice-pwd:", res->remote_pwd, sizeof res->remote_pwd);
}

int brtc_whip_patch_start(brtc_whip_resource *res, const char *offer, size_t len) {
  res->offer = malloc(len + 1);
  if (!res->offer || !new_etag(res)) {
    free(res->offer);
    res->offer = NULL;
    return BRTC_ERR_NOMEM;
  }
  memcpy(res->offer, offer, len);
  res->offer[len] = '\0';
  take_credentials(res, res->offer);
  return BRTC_OK;
}

void brtc_whip_patch_end(brtc_whip_resource *res) {
  free(res->offer);
  res->offer = NULL;
}

/* The offer in force with the client's new credentials and without its candidates (those of
 * the new generation come in the fragment, or trickle later): a re-offer that restarts ICE
 * (RFC 8829 5.2.1: an offer with new ufrag and pwd). malloc'd; NULL when out of memory. */
static char *restart_offer(const char *offer, const char *ufrag, const char *pwd) {
  size_t lines = 1;
  for (const char *s = offer; *s; s++) lines += *s == '\n';
  size_t cap = strlen(offer) + lines * (strlen(ufrag) + strlen(pwd) + 16) + 1;
  char *out = malloc(cap);
  if (!out) return NULL;
  size_t used = 0;
  for (const char *s = offer; *s;) {
    size_t n = strcspn(s, "\r\n");
    if (n >= 12 && memcmp(s, "a=ice-ufrag:", 12) == 0)
      used += (size_t)snprintf(out + used, cap - used, "a=ice-ufrag:%s\r\n", ufrag);
    else if (n >= 10 && memcmp(s, "a=ice-pwd:", 10) == 0)
      used += (size_t)snprintf(out + used, cap - used, "a=ice-pwd:%s\r\n", pwd);
    else if (!(n >= 12 && memcmp(s, "a=candidate:", 12) == 0) &&
             !(n >= 19 && memcmp(s, "a=end-of-candidates", 19) == 0))
      used += (size_t)snprintf(out + used, cap - used, "%.*s\r\n", (int)n, s);
    s += n;
    while (*s == '\r' || *s == '\n') s++;
  }
  out[used] = '\0';
  return out;
}

/* The index of the fragment's first candidate that does not parse, or -1. RFC 5789 2: a
 * PATCH that cannot be applied whole applies nothing, so each is checked before any reaches
 * the pc and a 400 leaves the session as it was. */
static long first_bad_candidate(const brtc_sdpfrag *f) {
  for (size_t i = 0; i < f->n_candidates; i++)
    if (brtc_pc_check_ice_candidate(f->candidates[i].value) != BRTC_OK) return (long)i;
  return -1;
}

/* The fragment's candidates (checked already), then its end-of-candidates, to the pc. */
static void give_candidates(brtc_signal_server *srv, brtc_session *s, const brtc_sdpfrag *f) {
  for (size_t i = 0; i < f->n_candidates; i++)
    (void)brtc_server_session_candidate(srv, s, f->candidates[i].value);
  if (f->end_of_candidates) (void)brtc_server_session_candidate(srv, s, "");
}

static void trickle(brtc_signal_server *srv, brtc_whip_resource *res, const brtc_sdpfrag *f,
                    brtc_http_reply *r) {
  brtc_session *s = res->session;
  give_candidates(srv, s, f);
  char detail[96];
  snprintf(detail, sizeof detail, "%zu candidate%s by PATCH%s", f->n_candidates,
           f->n_candidates == 1 ? "" : "s", f->end_of_candidates ? ", end-of-candidates" : "");
  brtc_server_session_step(srv, s, "trickle", detail);
  r->status = 204;
}

static void restart(brtc_signal_server *srv, brtc_whip_resource *res, const brtc_sdpfrag *f,
                    brtc_http_reply *r) {
  brtc_session *s = res->session;
  char *offer = restart_offer(res->offer, f->ufrag, f->pwd);
  char *body = offer ? malloc(BRTC_SDPFRAG_MAX_SIZE) : NULL;
  if (!body) {
    free(offer);
    brtc_http_reply_text(r, 500, "out of memory");
    return;
  }
  char err[256] = "";
  const char *answer = NULL;
  int rc = brtc_server_session_reoffer(srv, s, offer, &answer, err, sizeof err);
  size_t len = rc == BRTC_OK ? brtc_sdpfrag_from_answer(answer, body, BRTC_SDPFRAG_MAX_SIZE) : 0;
  if (rc != BRTC_OK || len == 0) {
    brtc_http_reply_text(r, rc == BRTC_OK ? 500 : 400, "ICE restart refused: %s",
                         rc == BRTC_OK ? "our fragment does not fit" : err);
    free(offer);
    free(body);
    return;
  }
  free(res->offer);
  res->offer = offer;
  take_credentials(res, offer);
  give_candidates(srv, s, f);
  char detail[128];
  snprintf(detail, sizeof detail, "ICE restart by PATCH: %zu candidate%s, our new ufrag %s",
           f->n_candidates, f->n_candidates == 1 ? "" : "s", brtc_pc_local_ufrag(s->pc));
  brtc_server_session_step(srv, s, "ice-restart", detail);
  if (!new_etag(res)) { /* the old tag stays: the client's next PATCH still matches */
  }
  r->status = 200;
  r->content_type = sdpfrag_type;
  r->body = body;
  r->len = len;
  snprintf(r->etag, sizeof r->etag, "%s", res->etag);
}

/* If-Match's value, blanks around it dropped, into out; false when absent or too long. */
static bool if_match(const brtc_http_request *req, char *out, size_t cap) {
  const char *v = brtc_http_request_header(req, "if-match");
  if (!v) return false;
  while (*v == ' ' || *v == '\t') v++;
  size_t n = strlen(v);
  while (n && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
  if (n >= cap) n = cap - 1; /* longer than any tag of ours: it will not match */
  memcpy(out, v, n);
  out[n] = '\0';
  return true;
}

void brtc_whip_patch(brtc_signal_server *srv, const brtc_http_request *req,
                     brtc_whip_resource *res, brtc_http_reply *r) {
  const char *ct = brtc_http_request_header(req, "content-type");
  if (!ct || !brtc_whip_content_type_is(ct, sdpfrag_type)) {
    brtc_http_reply_text(r, 415, "Content-Type must be %s (RFC 9725 4.3, RFC 8840)", sdpfrag_type);
    r->accept_patch = true;
    return;
  }
  char tag[64];
  if (!if_match(req, tag, sizeof tag)) {
    brtc_http_reply_text(r, 428, "If-Match is needed: the ETag of the 201 to trickle, or \"*\" "
                         "to restart ICE (RFC 9725 4.3)");
    return;
  }
  bool any = strcmp(tag, "*") == 0;
  if (!any && (strlen(tag) != BRTC_WHIP_ETAG_LEN ||
               CRYPTO_memcmp(tag, res->etag, BRTC_WHIP_ETAG_LEN) != 0)) {
    brtc_http_reply_text(r, 412, "If-Match names another ICE session than this resource's (an "
                         "ICE restart gave it a new ETag)");
    return;
  }
  if (memchr(req->body, '\0', req->body_len)) {
    brtc_http_reply_text(r, 400, "bad sdpfrag: it contains a NUL byte");
    return;
  }
  brtc_sdpfrag *f = malloc(sizeof *f);
  if (!f) {
    brtc_http_reply_text(r, 500, "out of memory");
    return;
  }
  char err[160];
  int rc = brtc_sdpfrag_parse(req->body, req->body_len, f, err, sizeof err);
  if (rc != BRTC_OK) {
    brtc_http_reply_text(r, rc == BRTC_ERR_TOO_BIG ? 413 : 400, "bad sdpfrag: %s", err);
  } else {
    size_t unknown = f->n_media;
    for (size_t i = 0; i < f->n_media && unknown == f->n_media; i++)
      if (!offer_has_mid(res->offer, f->media[i].mid)) unknown = i;
    long bad = first_bad_candidate(f);
    if (unknown < f->n_media)
      brtc_http_reply_text(r, 400, "bad sdpfrag: a=mid:%s is no section of this session",
                           f->media[unknown].mid);
    else if (bad >= 0)
      brtc_http_reply_text(r, 400, "bad sdpfrag: candidate %ld does not parse (none was taken): "
                           "%.80s", bad + 1, f->candidates[bad].value);
    else if (f->ufrag[0] && (strcmp(f->ufrag, res->remote_ufrag) != 0 ||
                             strcmp(f->pwd, res->remote_pwd) != 0))
      restart(srv, res, f, r);
    else
      trickle(srv, res, f, r);
  }
  OPENSSL_cleanse(f, sizeof *f); /* it held the client's ICE password */
  free(f);
}
