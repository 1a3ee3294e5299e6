/* The client side of WHIP (RFC 9725), for `boltrtc publish`: POST our SDP offer to the
 * server's endpoint, read the answer and the session's resource URL (Location), and DELETE
 * that URL when the session ends. HTTP itself is libcurl's (docs/dependencies.md): https,
 * redirects and proxies, as the WHIP servers in the wild need them.
 *
 * These calls block, with a bounded time each: the publisher calls them before its loop starts
 * and after it stops, never while media flows. */
#ifndef BRTC_APPS_WHIP_CLIENT_H
#define BRTC_APPS_WHIP_CLIENT_H

#include <stddef.h>

#define WHIP_MAX_ICE_SERVERS 8

/* An ICE server the WHIP server offered in a Link header (RFC 9725 4.6). */
typedef struct whip_ice_server {
  char *url;        /* "stun:..." or "turn:...?transport=udp", as given */
  char *username;   /* NULL when the link had none */
  char *credential; /* NULL when the link had none */
} whip_ice_server;

typedef struct whip_session {
  char *resource_url; /* absolute: the Location resolved against the endpoint (RFC 9725 4.2) */
  char *answer;       /* the server's SDP answer */
  char *etag;         /* the ETag, for ICE restarts by PATCH (RFC 9725 4.3.2); NULL: none */
  whip_ice_server ice_servers[WHIP_MAX_ICE_SERVERS];
  size_t n_ice_servers;
} whip_session;

/* POST offer to endpoint (with "Authorization: Bearer token" when token is not NULL). On
 * 201 Created with an SDP body and a Location, fills *out and returns 0; otherwise -1 with
 * one line in err: the status and the first line of the server's reason, or what is missing.
 * A 307/308 redirect is followed (RFC 9725 4.5). timeout_ms bounds the whole exchange. */
int whip_post_offer(const char *endpoint, const char *token, const char *offer,
                    long timeout_ms, whip_session *out, char *err, size_t err_cap);

/* DELETE the session's resource (RFC 9725 4.2): 0 on any 2xx, else -1 with a line in err. */
int whip_delete(const whip_session *s, const char *token, long timeout_ms, char *err,
                size_t err_cap);

/* Frees what whip_post_offer filled in; s may be zeroed or half-filled. */
void whip_session_clear(whip_session *s);

/* One Link header's value (RFC 8288 3), which may hold several links separated by commas:
 * adds each rel="ice-server" link to s (RFC 9725 4.6: the URL in <>, username and credential
 * as parameters). Returns how many were added; links past WHIP_MAX_ICE_SERVERS and other rels
 * are skipped. Exposed for tests. */
size_t whip_parse_link_header(const char *value, whip_session *s);

#endif
