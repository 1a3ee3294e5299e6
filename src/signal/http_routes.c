/* What each HTTP request gets. Every request is answered exactly once, with a response, a
 * file, or a WebSocket upgrade, so the connection's HTTP core can go on to the next one.
 *
 *   GET  /                     the page (web/index.html); /?autostart=1 too
 *   GET  /<name>.js|.css|...   web/dist/<name> (tsc output), then web/<name>
 *   GET  /favicon.ico          web/favicon.svg (the page links it too)
 *   GET  /api/status           JSON status (status_json.h)
 *   GET  /api/ice-servers      {"iceServers":[...]} for the pages (rooms.h), ?token= if set
 *   GET  /output/shoot<N>.jpg  a saved keyframe
 *   GET  /inspect?session=ID   the packet inspector (web/inspect.html), /api/inspect?session=ID
 *                              its JSON (inspect_json.h; 404 for any id but a live one),
 *                              /api/inspect/stats the inspector's server-wide figures
 *   GET  /docs/journey/<name>.md  a chapter, as text (the inspector links to them)
 *   GET  /ws                   WebSocket signaling (ws_signaling.c); ?token= when tokens are set
 *   GET  /ws?room=NAME[&key=K] a room where two clients meet (rooms.h)
 *   POST /whip, DELETE|PATCH|OPTIONS /whip/<id>   WHIP (whip.c)
 *   POST /whep, DELETE|OPTIONS /whep/<id>   WHEP, with --source (whip.c, whep_play.c)
 *   GET  /watch                the WHEP viewer page (web/watch.html)
 * With an application's signaling (brtc_signal_app: `boltrtc camera`) only its page at /,
 * the web folder's files and /ws are served, /ws to the application (app_socket.c). */
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "signal/rooms.h"
#include "signal/inspect_json.h"
#include "signal/server_internal.h"
#include "signal/web_files.h"

static bool is_whip(const char *path) {
  return strcmp(path, "/whip") == 0 || strncmp(path, "/whip/", 6) == 0 ||
         strcmp(path, "/whep") == 0 || strncmp(path, "/whep/", 6) == 0;
}

/* The path as logs may show it: a WHIP resource's id is its only secret (whip.c). */
static const char *loggable_path(const char *path) {
  if (strncmp(path, "/whep/", 6) == 0 && path[6]) return "/whep/<resource>";
  return strncmp(path, "/whip/", 6) == 0 && path[6] ? "/whip/<resource>" : path;
}

static void log_answer(const brtc_conn *c, const brtc_http_request *req, int status) {
  brtc_log(BRTC_LOG_DEBUG, NULL, "%s %s from %s -> %d", req->method, loggable_path(req->path),
           c->peer, status);
}

static void respond(brtc_conn *c, const brtc_http_request *req, brtc_http_reply *r) {
  brtc_http_header h[12];
  size_t n = 0;
  h[n++] = (brtc_http_header){"Cache-Control", "no-store"};
  if (r->location[0]) h[n++] = (brtc_http_header){"Location", r->location};
  if (r->session[0]) h[n++] = (brtc_http_header){"Boltrtc-Session", r->session};
  if (r->inspect[0]) h[n++] = (brtc_http_header){"Boltrtc-Inspect", r->inspect};
  if (r->www_authenticate) h[n++] = (brtc_http_header){"WWW-Authenticate", r->www_authenticate};
  if (r->accept_post) h[n++] = (brtc_http_header){"Accept-Post", "application/sdp"};
  if (r->accept_patch)
    h[n++] = (brtc_http_header){"Accept-Patch", "application/trickle-ice-sdpfrag"};
  if (r->etag[0]) h[n++] = (brtc_http_header){"ETag", r->etag};
  if (r->allow) h[n++] = (brtc_http_header){"Allow", r->allow};
  if (r->ws_version) h[n++] = (brtc_http_header){"Sec-WebSocket-Version", "13"};
  char secs[16];
  if (r->retry_after_s) {
    snprintf(secs, sizeof(secs), "%u", r->retry_after_s);
    h[n++] = (brtc_http_header){"Retry-After", secs};
  }
  brtc_http_response resp = {.status = r->status, .content_type = r->content_type,
                             .headers = h, .n_headers = n, .body = r->body,
                             .body_len = r->len, .close = r->close_after};
  log_answer(c, req, r->status); /* now: req is gone once the response is queued */
  if (brtc_http_conn_respond(c->http, &resp) != BRTC_OK) {
    /* Out of memory, or a header that would break the message: a bare 500 then, and if even
     * that fails the connection ends (it must never be left without an answer). */
    brtc_log(BRTC_LOG_WARN, NULL, "a %d to %s could not be written: 500 instead", r->status,
             c->peer);
    brtc_http_response bare = {.status = 500, .close = true};
    if (brtc_http_conn_respond(c->http, &bare) != BRTC_OK) c->failed = true;
  }
  free(r->body);
  r->body = NULL;
}

static void respond_text(brtc_conn *c, const brtc_http_request *req, int status,
                         const char *text) {
  brtc_http_reply r = {0};
  brtc_http_reply_text(&r, status, "%s", text);
  respond(c, req, &r);
}

/* A file as the body, read as the socket drains (signal_conn.c). */
static void serve_file(brtc_conn *c, const brtc_http_request *req, const char *path,
                       const char *mime) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (fd >= 0) close(fd);
    respond_text(c, req, 404, "not found");
    return;
  }
  brtc_http_header h = {"Cache-Control", "no-store"};
  brtc_http_response resp = {.status = 200, .content_type = mime, .headers = &h, .n_headers = 1,
                             .body_follows = (uint64_t)st.st_size};
  log_answer(c, req, 200);
  if (brtc_http_conn_respond(c->http, &resp) != BRTC_OK) {
    close(fd);
    brtc_http_response bare = {.status = 500, .close = true};
    if (brtc_http_conn_respond(c->http, &bare) != BRTC_OK) c->failed = true;
    return;
  }
  if (brtc_http_conn_body_wanted(c->http) > 0) {
    c->file_fd = fd;
    brtc_conn_kick(c);
  } else {
    close(fd); /* HEAD, or an empty file */
  }
}

/* A JSON body, handed over (not copied): a large document costs no second copy. */
static void respond_json(brtc_conn *c, const brtc_http_request *req, char *json) {
  if (!json) {
    respond_text(c, req, 500, "out of memory");
    return;
  }
  brtc_http_header h = {"Cache-Control", "no-store"};
  brtc_http_response resp = {.status = 200, .content_type = "application/json", .headers = &h,
                             .n_headers = 1, .body = json, .body_len = strlen(json)};
  log_answer(c, req, 200);
  if (brtc_http_conn_respond_owned(c->http, &resp) != BRTC_OK) {
    brtc_http_response bare = {.status = 500, .close = true};
    if (brtc_http_conn_respond(c->http, &bare) != BRTC_OK) c->failed = true;
  }
}

static void route_status(brtc_conn *c, const brtc_http_request *req) {
  respond_json(c, req, brtc_server_status_json(c->srv));
}

/* A session's recorded packets: only for the exact, unguessable id its creator was given
 * (inspect_store.h); anything else, a wrong id or one that lapsed, is the same 404. */
static void route_inspect_api(brtc_conn *c, const brtc_http_request *req) {
  brtc_signal_server *srv = c->srv;
  if (strcmp(req->path, "/api/inspect/stats") == 0) {
    respond_json(c, req, brtc_inspect_stats_json(&srv->inspect));
    return;
  }
  char id[BRTC_INSPECT_ID_LEN + 2] = "";
  brtc_inspect_entry *e = NULL;
  if (strcmp(req->path, "/api/inspect") == 0 &&
      brtc_http_query_param(req->query, "session", id, sizeof(id)))
    e = brtc_inspect_store_find(&srv->inspect, id, brtc_now_us());
  OPENSSL_cleanse(id, sizeof(id));
  if (!e) {
    respond_text(c, req, 404,
                 "no such inspected session (the id is wrong, or it ended a while ago)");
    return;
  }
  uint64_t wait_us = 0;
  if (!brtc_inspect_entry_may_render(e, brtc_now_us(), &wait_us)) {
    /* Decoding is the loop's time: its owner may ask once a second (inspect_store.h). */
    brtc_http_reply r = {0};
    brtc_http_reply_text(&r, 429, "asked too often: once a second at most");
    r.retry_after_s = (unsigned)((wait_us + 999999) / 1000000);
    respond(c, req, &r);
    return;
  }
  if (e->live) {
    /* The SRTP profile tells where each packet's tag is; it is known once DTLS is done. */
    brtc_session *s = brtc_session_table_find_live(&srv->sessions, e->session);
    brtc_pc_stats st = {.size = sizeof(brtc_pc_stats)};
    if (s && s->pc) {
      brtc_pc_get_stats(s->pc, &st);
      brtc_inspect_entry_set_srtp(e, st.srtp_profile);
    }
  }
  respond_json(c, req, brtc_inspect_json(e));
}

/* docs/journey's chapters, as plain text: "/docs/journey/<letters, digits, '-'>.md" only. */
static void route_docs(brtc_conn *c, const brtc_http_request *req) {
  const char *name = req->path + strlen("/docs/journey/");
  size_t n = strlen(name);
  bool ok = n > 3 && n < 64 && strcmp(name + n - 3, ".md") == 0;
  for (size_t i = 0; ok && i < n - 3; i++)
    ok = (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') || name[i] == '-';
  char path[4096];
  if (!ok ||
      (size_t)snprintf(path, sizeof(path), "%s/journey/%s", BRTC_DOCS_DIR, name) >= sizeof(path)) {
    respond_text(c, req, 404, "not found");
    return;
  }
  serve_file(c, req, path, "text/plain; charset=utf-8");
}

static void route_output(brtc_conn *c, const brtc_http_request *req) {
  const char *name = req->path + strlen("/output/");
  char path[4096];
  if (brtc_keyframe_name_number(name) == 0 ||
      (size_t)snprintf(path, sizeof(path), "%s/%s", brtc_keyframe_store_dir(c->srv->store),
                       name) >= sizeof(path)) {
    respond_text(c, req, 404, "no such keyframe");
    return;
  }
  serve_file(c, req, path, "image/jpeg");
}

static void route_web(brtc_conn *c, const brtc_http_request *req) {
  /* Browsers ask for /favicon.ico unless the page names an icon: the same SVG. */
  const char *uri = strcmp(req->path, "/favicon.ico") == 0 ? "/favicon.svg" : req->path;
  char path[4096];
  int rc = brtc_web_resolve(c->srv->web_dir, uri, path, sizeof(path));
  if (rc == BRTC_OK) {
    serve_file(c, req, path, brtc_web_mime_type(path));
  } else if (rc != BRTC_ERR_INVALID &&
             (strcmp(uri, "/") == 0 || strcmp(uri, "/app.js") == 0)) {
    respond_text(c, req, 404, "the page is missing: run `npm run build` (or pass --web DIR)");
  } else {
    respond_text(c, req, 404, "not found");
  }
}

/* A page of web/ at a short path (/inspect, /watch); queries stay for the page to read. */
static void route_named_page(brtc_conn *c, const brtc_http_request *req, const char *file) {
  char path[4096];
  if (brtc_web_resolve(c->srv->web_dir, file, path, sizeof(path)) == BRTC_OK)
    serve_file(c, req, path, "text/html; charset=utf-8");
  else
    respond_text(c, req, 404, "a page is missing from web/");
}

/* With tokens configured, a request that presents none of them gets 401 (true). Browsers
 * cannot set headers on a WebSocket, so the token may come as ?token= too. */
static bool refused_without_token(brtc_conn *c, const brtc_http_request *req, const char *hint) {
  brtc_signal_server *srv = c->srv;
  if (!brtc_auth_required(srv)) return false;
  uint8_t token[BRTC_TOKEN_HASH_LEN];
  bool presented = brtc_auth_presented(req, true, token);
  if (presented && brtc_auth_known(srv, token)) return false;
  brtc_http_reply r = {0};
  brtc_http_reply_text(&r, 401, "%s", presented ? "that token is not valid here" : hint);
  r.www_authenticate = "Bearer realm=\"boltrtc\"";
  respond(c, req, &r);
  return true;
}

/* The page's RTCPeerConnection iceServers: the same STUN and TURN servers rooms hand out,
 * with TURN credentials minted now (rooms.h). Behind the token when there are tokens: the
 * credentials open the TURN server. */
static void route_ice_servers(brtc_conn *c, const brtc_http_request *req) {
  if (refused_without_token(c, req, "a token is needed: /api/ice-servers?token=<token>")) return;
  respond_json(c, req, brtc_rooms_ice_servers_text(c->srv->rooms, "page", (uint64_t)time(NULL)));
}

/* The WebSocket opening handshake (RFC 6455 4.2), then signaling on this connection. */
static void route_ws(brtc_conn *c, const brtc_http_request *req) {
  brtc_signal_server *srv = c->srv;
  if (!req->upgrade) {
    respond_text(c, req, 400, "the signaling endpoint needs a WebSocket upgrade");
    return;
  }
  if (refused_without_token(c, req, "a token is needed: connect to /ws?token=<token>")) return;
  char accept[BRTC_WS_ACCEPT_LEN + 1];
  const char *why = NULL;
  int status = brtc_ws_check_handshake(req, accept, &why);
  if (status) {
    brtc_http_reply r = {0};
    brtc_http_reply_text(&r, status, "%s", why);
    r.ws_version = status == 426; /* 4.4: say which version we speak */
    respond(c, req, &r);
    return;
  }
  /* A room is admitted before the upgrade, so that a refusal is a status with its reason. */
  char room_name[256], key[256] = "", refusal[160];
  brtc_room *room = NULL;
  bool wants_room = brtc_http_query_param(req->query, "room", room_name, sizeof(room_name));
  if (wants_room) {
    brtc_http_query_param(req->query, "key", key, sizeof(key));
    int refused = brtc_rooms_admit(srv->rooms, room_name, key, &room, refusal, sizeof(refusal));
    OPENSSL_cleanse(key, sizeof(key));
    if (refused) {
      brtc_log(BRTC_LOG_INFO, NULL, "GET /ws?room from %s -> %d: %s", c->peer, refused, refusal);
      respond_text(c, req, refused, refusal);
      return;
    }
  }
  brtc_ws_limits lim;
  brtc_ws_default_limits(&lim);
  lim.max_message = BRTC_SIGNAL_MAX_MESSAGE;
  lim.max_output = BRTC_WS_MAX_QUEUED;
  c->ws = brtc_websocket_new(&lim, brtc_now_us());
  brtc_http_header h = {"Sec-WebSocket-Accept", accept};
  brtc_http_response up = {.headers = &h, .n_headers = 1};
  if (!c->ws || brtc_http_conn_upgrade(c->http, &up) != BRTC_OK) {
    brtc_websocket_free(c->ws);
    c->ws = NULL;
    brtc_rooms_abandon(srv->rooms, room);
    respond_text(c, req, 500, "out of memory");
    return;
  }
  brtc_log(BRTC_LOG_DEBUG, NULL, "GET /ws from %s -> 101", c->peer);
  if (srv->has_app) {
    brtc_app_socket_open(srv, &c->signaling, c);
    return;
  }
  brtc_ws_conn_open(srv, &c->signaling, c);
  if (room) brtc_rooms_join(srv->rooms, room, &c->signaling, (uint64_t)time(NULL));
}

void brtc_route_request(brtc_conn *c, const brtc_http_request *req) {
  const char *path = req->path;
  if (c->srv->has_app && !brtc_app_route_allowed(path)) {
    respond_text(c, req, 404, "not found");
    return;
  }
  if (c->srv->has_app && strcmp(path, "/") == 0) { /* the application's page (app_socket.c) */
    route_named_page(c, req, c->srv->app.page);
    return;
  }
  if (is_whip(path)) {
    brtc_http_reply r = {0};
    brtc_whip_handle(c->srv, req, brtc_conn_client(c), &r);
    respond(c, req, &r);
    brtc_server_settle(c->srv);
    return;
  }
  if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
    brtc_http_reply r = {0};
    brtc_http_reply_text(&r, 405, "method not allowed");
    r.allow = "GET, HEAD";
    respond(c, req, &r);
    return;
  }
  if (strcmp(path, "/ws") == 0)
    route_ws(c, req);
  else if (strcmp(path, "/api/status") == 0)
    route_status(c, req);
  else if (strcmp(path, "/api/ice-servers") == 0)
    route_ice_servers(c, req);
  else if (strncmp(path, "/output/", 8) == 0)
    route_output(c, req);
  else if (strcmp(path, "/api/inspect") == 0 || strcmp(path, "/api/inspect/stats") == 0)
    route_inspect_api(c, req);
  else if (strcmp(path, "/inspect") == 0)
    route_named_page(c, req, "/inspect.html");
  else if (strcmp(path, "/watch") == 0) /* the WHEP viewer (web/watch.html) */
    route_named_page(c, req, "/watch.html");
  else if (strncmp(path, "/docs/journey/", 14) == 0)
    route_docs(c, req);
  else
    route_web(c, req);
}
