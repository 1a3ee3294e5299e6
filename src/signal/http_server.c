/* The libwebsockets context: routing of HTTP requests, static files, the WebSocket endpoint,
 * and the glue that runs the brtc_loop inside lws's service loop. libwebsockets 4.1 has no
 * external-poll mode, so lws is the outer loop: the loop's epoll fd is adopted as a raw file
 * (readable -> brtc_loop_run_once) and an lws timer is re-armed after every pass at
 * brtc_loop_next_timeout_ms.
 *
 * Routes:
 *   GET  /                     the page (web/index.html); /?autostart=1 too
 *   GET  /<name>.js|.css|...   web/dist/<name> (tsc output), then web/<name>
 *   GET  /api/status           JSON status (status_json.h)
 *   GET  /output/shoot<N>.jpg  a saved keyframe
 *   GET  /ws                   WebSocket signaling (ws_signaling.c)
 *   POST /whip, DELETE|PATCH|OPTIONS /whip/<id>   WHIP (whip.c) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/log.h"
#include "signal/server_internal.h"
#include "signal/status_json.h"
#include "signal/web_files.h"

#ifndef BRTC_WEB_DIR
#define BRTC_WEB_DIR "web"
#endif

const char *brtc_signal_default_web_dir(void) { return BRTC_WEB_DIR; }

static brtc_signal_server *server_of(struct lws *wsi) {
  return lws_context_user(lws_get_context(wsi));
}

/* ---- replies ---- */

static void http_reset(brtc_http_conn *h) {
  free(h->body);
  free(h->reply);
  memset(h, 0, sizeof(*h));
}

static int add_header(struct lws *wsi, const char *name, const char *value, unsigned char **p,
                      unsigned char *end) {
  return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
                                     (const unsigned char *)value, (int)strlen(value), p, end);
}

/* Write the headers now and the body from HTTP_WRITEABLE. Returns the callback's result. */
/* The reply is all written: free it and end the transaction (or the connection). */
static int finish_reply(struct lws *wsi, brtc_http_conn *h) {
  free(h->reply);
  h->reply = NULL;
  if (h->close_after) return -1;
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int send_reply(struct lws *wsi, brtc_http_conn *h, brtc_http_reply *r) {
  unsigned char buf[LWS_PRE + 1024];
  unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf) - 1;
  int fail = lws_add_http_header_status(wsi, (unsigned)r->status, &p, end);
  if (!fail && r->content_type)
    fail = lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
                                        (const unsigned char *)r->content_type,
                                        (int)strlen(r->content_type), &p, end);
  if (!fail && r->status != 204) fail = lws_add_http_header_content_length(wsi, r->len, &p, end);
  if (!fail) fail = add_header(wsi, "cache-control:", "no-store", &p, end);
  if (!fail && r->location[0]) fail = add_header(wsi, "location:", r->location, &p, end);
  if (!fail && r->accept_post) fail = add_header(wsi, "accept-post:", "application/sdp", &p, end);
  if (!fail && r->accept_post)
    fail = add_header(wsi, "allow:", "OPTIONS, POST", &p, end);
  if (!fail && r->close_after) fail = add_header(wsi, "connection:", "close", &p, end);
  if (!fail && r->retry_after_s) {
    char secs[16];
    snprintf(secs, sizeof(secs), "%u", r->retry_after_s);
    fail = add_header(wsi, "retry-after:", secs, &p, end);
  }
  if (!fail) fail = lws_finalize_write_http_header(wsi, start, &p, end);
  if (fail) {
    free(r->body);
    r->body = NULL;
    return -1;
  }
  free(h->reply);
  h->reply = r->body;
  h->reply_len = r->len;
  h->reply_off = 0;
  h->close_after = r->close_after;
  r->body = NULL;
  if (h->reply_len > 0) {
    lws_callback_on_writable(wsi);
    return 0;
  }
  return finish_reply(wsi, h);
}

static int send_text(struct lws *wsi, brtc_http_conn *h, int status, const char *text) {
  brtc_http_reply r = {0};
  brtc_http_reply_text(&r, status, "%s", text);
  return send_reply(wsi, h, &r);
}

static int write_reply_body(struct lws *wsi, brtc_http_conn *h) {
  if (!h->reply) return 0;
  unsigned char buf[LWS_PRE + 4096];
  size_t left = h->reply_len - h->reply_off;
  size_t chunk = left < 4096 ? left : 4096;
  bool final = chunk == left;
  memcpy(buf + LWS_PRE, h->reply + h->reply_off, chunk);
  int n = lws_write(wsi, buf + LWS_PRE, chunk, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
  if (n < (int)chunk) return -1;
  h->reply_off += chunk;
  if (!final) {
    lws_callback_on_writable(wsi);
    return 0;
  }
  return finish_reply(wsi, h);
}

/* lws_serve_http_file's result as a callback result. */
static int serve_file(struct lws *wsi, const char *path, const char *mime) {
  int n = lws_serve_http_file(wsi, path, mime, NULL, 0);
  if (n < 0 || (n > 0 && lws_http_transaction_completed(wsi))) return -1;
  return 0;
}

/* ---- routes ---- */

static int route_status(struct lws *wsi, brtc_signal_server *srv, brtc_http_conn *h) {
  char *json = brtc_server_status_json(srv);
  if (!json) return send_text(wsi, h, 500, "out of memory");
  brtc_http_reply r = {.status = 200, .content_type = "application/json", .body = json,
                       .len = strlen(json)};
  return send_reply(wsi, h, &r);
}

static int route_output(struct lws *wsi, brtc_signal_server *srv, brtc_http_conn *h) {
  const char *name = h->uri + strlen("/output/");
  if (brtc_keyframe_name_number(name) == 0) return send_text(wsi, h, 404, "no such keyframe");
  char path[4096];
  struct stat st;
  if ((size_t)snprintf(path, sizeof(path), "%s/%s", brtc_keyframe_store_dir(srv->store), name) >=
          sizeof(path) ||
      stat(path, &st) != 0 || !S_ISREG(st.st_mode))
    return send_text(wsi, h, 404, "no such keyframe");
  return serve_file(wsi, path, "image/jpeg");
}

static int route_web(struct lws *wsi, brtc_signal_server *srv, brtc_http_conn *h) {
  char path[4096];
  int rc = brtc_web_resolve(srv->web_dir, h->uri, path, sizeof(path));
  if (rc == BRTC_ERR_INVALID) return send_text(wsi, h, 404, "not found");
  if (rc != BRTC_OK) {
    if (strcmp(h->uri, "/") == 0 || strcmp(h->uri, "/app.js") == 0)
      return send_text(wsi, h, 404, "the page is missing: run `npm run build` (or pass --web DIR)");
    return send_text(wsi, h, 404, "not found");
  }
  return serve_file(wsi, path, brtc_web_mime_type(path));
}

static bool is_whip(const char *uri) {
  return strcmp(uri, "/whip") == 0 || strncmp(uri, "/whip/", 6) == 0;
}

static void release_body(brtc_http_conn *h) {
  free(h->body);
  h->body = NULL;
  h->body_len = 0;
}

/* Note: once a reply is sent, lws may end the transaction and free conn (our pss), so
 * nothing here touches conn after send_reply / serve_file. */
static int dispatch(struct lws *wsi, brtc_conn *conn) {
  brtc_signal_server *srv = server_of(wsi);
  brtc_http_conn *h = &conn->http;
  if (is_whip(h->uri)) {
    brtc_http_reply r = {0};
    brtc_whip_handle(srv, h, &r);
    brtc_log(BRTC_LOG_DEBUG, NULL, "%s %s -> %d", h->method, h->uri, r.status);
    release_body(h);
    int rc = send_reply(wsi, h, &r);
    brtc_server_settle(srv);
    return rc;
  }
  release_body(h);
  if (strcmp(h->method, "GET") != 0 && strcmp(h->method, "HEAD") != 0)
    return send_text(wsi, h, 405, "method not allowed");
  if (strcmp(h->uri, "/api/status") == 0) return route_status(wsi, srv, h);
  if (strncmp(h->uri, "/output/", 8) == 0) return route_output(wsi, srv, h);
  if (strcmp(h->uri, "/ws") == 0)
    return send_text(wsi, h, 400, "the signaling endpoint needs a WebSocket upgrade");
  return route_web(wsi, srv, h);
}

static const char *request_method(struct lws *wsi) {
  static const struct {
    enum lws_token_indexes token;
    const char *name;
  } methods[] = {
      {WSI_TOKEN_GET_URI, "GET"},       {WSI_TOKEN_POST_URI, "POST"},
      {WSI_TOKEN_OPTIONS_URI, "OPTIONS"}, {WSI_TOKEN_DELETE_URI, "DELETE"},
      {WSI_TOKEN_PATCH_URI, "PATCH"},   {WSI_TOKEN_PUT_URI, "PUT"},
      {WSI_TOKEN_HEAD_URI, "HEAD"},
  };
  for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
    if (lws_hdr_total_length(wsi, methods[i].token) > 0) return methods[i].name;
  return "OTHER";
}

static int on_http_request(struct lws *wsi, brtc_conn *conn, const char *uri, size_t uri_len) {
  brtc_http_conn *h = &conn->http;
  http_reset(h);
  /* The client's address, which the limits on sessions not yet past ICE count by. */
  socklen_t peer_len = sizeof(h->peer);
  if (getpeername(lws_get_socket_fd(wsi), (struct sockaddr *)&h->peer, &peer_len) != 0)
    h->peer.ss_family = AF_UNSPEC;
  snprintf(h->method, sizeof(h->method), "%s", request_method(wsi));
  if (uri_len >= sizeof(h->uri)) return send_text(wsi, h, 414, "URI too long");
  memcpy(h->uri, uri, uri_len);
  h->uri[uri_len] = '\0';
  if (lws_hdr_copy(wsi, h->content_type, sizeof(h->content_type), WSI_TOKEN_HTTP_CONTENT_TYPE) < 0)
    h->content_type[0] = '\0';
  char cl[32];
  unsigned long long content_length = 0;
  if (lws_hdr_copy(wsi, cl, sizeof(cl), WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0) {
    char *endp;
    errno = 0;
    content_length = strtoull(cl, &endp, 10);
    if (errno || *endp || cl[0] == '-') return send_text(wsi, h, 400, "bad Content-Length");
  }
  if (content_length > BRTC_HTTP_MAX_DRAIN) {
    /* Too big even to read and discard: answer and close. */
    brtc_http_reply r = {0};
    brtc_http_reply_text(&r, 413, "request body too big: the limit is %d bytes",
                         BRTC_SIGNAL_MAX_MESSAGE);
    r.close_after = true;
    return send_reply(wsi, h, &r);
  }
  if (content_length > 0) {
    /* Read the body (dropping anything past the limit) and answer at BODY_COMPLETION, so the
     * client has sent everything before it reads the reply. */
    h->awaiting_body = true;
    if (content_length > BRTC_SIGNAL_MAX_MESSAGE) h->body_too_big = true;
    return 0;
  }
  return dispatch(wsi, conn);
}

static int on_http_body(brtc_http_conn *h, const void *in, size_t len) {
  if (!h->awaiting_body || h->body_too_big) return 0;
  if (h->body_len + len > BRTC_SIGNAL_MAX_MESSAGE) {
    h->body_too_big = true;
    return 0;
  }
  if (!h->body) {
    h->body = malloc(BRTC_SIGNAL_MAX_MESSAGE + 1); /* + 1 for a terminating NUL */
    if (!h->body) return -1;
  }
  memcpy(h->body + h->body_len, in, len);
  h->body_len += len;
  return 0;
}

/* ---- the protocol callbacks ---- */

static int on_signal(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                     size_t len) {
  brtc_conn *conn = user;
  switch (reason) {
    case LWS_CALLBACK_HTTP:
      return on_http_request(wsi, conn, in, len);
    case LWS_CALLBACK_HTTP_BODY:
      return on_http_body(&conn->http, in, len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
      if (!conn->http.awaiting_body) return 0;
      conn->http.awaiting_body = false;
      if (conn->http.body) conn->http.body[conn->http.body_len] = '\0';
      return dispatch(wsi, conn);
    case LWS_CALLBACK_HTTP_WRITEABLE:
      return write_reply_body(wsi, &conn->http);
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
      if (conn) http_reset(&conn->http);
      break;

    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
      /* WebSocket upgrades are only for /ws. */
      char uri[16];
      if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) < 0 || strcmp(uri, "/ws") != 0)
        return -1;
      return 0;
    }
    case LWS_CALLBACK_ESTABLISHED:
      http_reset(&conn->http);
      brtc_ws_conn_open(server_of(wsi), &conn->ws, wsi);
      return 0;
    case LWS_CALLBACK_RECEIVE:
      return brtc_ws_conn_receive(&conn->ws, in, len,
                                  lws_is_final_fragment(wsi) &&
                                      lws_remaining_packet_payload(wsi) == 0);
    case LWS_CALLBACK_SERVER_WRITEABLE:
      return brtc_ws_conn_writeable(&conn->ws);
    case LWS_CALLBACK_CLOSED:
      brtc_ws_conn_closed(&conn->ws);
      return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED: {
      /* The keyframe saver woke us (or lws itself did: then there is nothing to deliver).
       * Sent to every protocol with a stand-in wsi and no user data; only this one acts. */
      brtc_signal_server *srv = server_of(wsi);
      if (srv && srv->saver && brtc_keyframe_worker_poll(srv->saver) > 0) {
        brtc_server_ask_waiting_keyframes(srv);
        brtc_server_settle(srv);
      }
      return 0;
    }
    default:
      break;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static int on_loop_fd(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                      size_t len) {
  (void)user, (void)in, (void)len;
  brtc_signal_server *srv = server_of(wsi);
  switch (reason) {
    case LWS_CALLBACK_RAW_RX_FILE:
      brtc_loop_run_once(srv->loop, 0);
      brtc_server_settle(srv);
      return 0;
    case LWS_CALLBACK_RAW_CLOSE_FILE:
      if (wsi == srv->loop_wsi) srv->loop_wsi = NULL;
      return 0;
    default:
      return 0;
  }
}

static int on_stop_fd(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                      size_t len) {
  (void)user, (void)in, (void)len;
  brtc_signal_server *srv = server_of(wsi);
  switch (reason) {
    case LWS_CALLBACK_RAW_RX_FILE: {
      char buf[256]; /* a signalfd read needs room for a whole siginfo (128 bytes) */
      if (read(lws_get_socket_fd(wsi), buf, sizeof(buf)) < 0 && errno != EAGAIN)
        brtc_log(BRTC_LOG_DEBUG, NULL, "stop fd read: %s", strerror(errno));
      srv->stopping = true;
      return 0;
    }
    case LWS_CALLBACK_RAW_CLOSE_FILE:
      if (wsi == srv->stop_wsi) srv->stop_wsi = NULL;
      return 0;
    default:
      return 0;
  }
}

#define SIGNAL_PROTOCOL "boltrtc"
static const struct lws_protocols protocols[] = {
    /* First: plain HTTP and WebSockets that name no subprotocol land here. */
    {SIGNAL_PROTOCOL, on_signal, sizeof(brtc_conn), BRTC_SIGNAL_MAX_MESSAGE, 0, NULL, 0},
    {"brtc-loop", on_loop_fd, 0, 0, 0, NULL, 0},
    {"brtc-stop", on_stop_fd, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* ---- lifecycle ---- */

/* On a saver thread: make lws_service return soon and deliver the results
 * (LWS_CALLBACK_EVENT_WAIT_CANCELLED). The saver is stopped before the context goes. */
static void wake_for_saver(void *user) {
  brtc_signal_server *srv = user;
  lws_cancel_service(srv->lws);
}

static int start_saver(brtc_signal_server *srv, const brtc_signal_config *config, char *err,
                       size_t err_cap) {
  brtc_keyframe_worker_config kc = {
      .dir = brtc_keyframe_store_dir(srv->store),
      /* By default one: a single decode at a time leaves the other core to the loop. */
      .threads = config->keyframe_threads ? config->keyframe_threads : 1,
      .max_jobs = config->keyframe_jobs ? config->keyframe_jobs : BRTC_SIGNAL_DEFAULT_KEYFRAME_JOBS,
      .jpeg_quality = 90,
      .on_done = brtc_server_keyframe_done,
      .wake = wake_for_saver,
      .user = srv,
      .max_output_bytes = srv->max_output_bytes,
      .output_bytes = brtc_keyframe_store_bytes_at_open(srv->store),
  };
  srv->saver = brtc_keyframe_worker_new(&kc, err, err_cap);
  return srv->saver ? BRTC_OK : BRTC_ERR_NOMEM;
}

static void lws_log_line(int level, const char *line) {
  char text[512];
  snprintf(text, sizeof(text), "%s", line);
  size_t n = strlen(text);
  while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r')) text[--n] = '\0';
  brtc_log(level == LLL_ERR ? BRTC_LOG_WARN : BRTC_LOG_DEBUG, NULL, "lws: %s", text);
}

/* Adopt a duplicate of fd (lws closes what it adopts; the caller keeps its own). */
static struct lws *adopt_fd(brtc_signal_server *srv, int fd, const char *protocol) {
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (copy < 0) return NULL;
  lws_sock_file_fd_type desc;
  desc.filefd = copy;
  struct lws *wsi =
      lws_adopt_descriptor_vhost(srv->vhost, LWS_ADOPT_RAW_FILE_DESC, desc, protocol, NULL);
  if (!wsi) close(copy);
  return wsi;
}

static int create_context(brtc_signal_server *srv, const char *http_addr, char *err,
                          size_t err_cap) {
  brtc_addr addr;
  /* No default port: the address must say one ("127.0.0.1:0" picks a free one). */
  if (brtc_addr_parse(&addr, http_addr, 0) != BRTC_OK) {
    snprintf(err, err_cap, "bad HTTP address \"%s\": expected IP:PORT or [IPv6]:PORT", http_addr);
    return BRTC_ERR_INVALID;
  }
  char ip[BRTC_ADDR_STRLEN];
  brtc_addr_ip_str(&addr, ip, sizeof(ip));
  bool v6 = brtc_addr_family(&addr) == AF_INET6;

  lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_line);
  struct lws_context_creation_info info;
  memset(&info, 0, sizeof(info));
  info.port = brtc_addr_port(&addr);
  info.iface = ip;
  info.protocols = protocols;
  info.user = srv;
  info.gid = -1;
  info.uid = -1;
  info.vhost_name = "boltrtc";
  info.server_string = "boltrtc";
  info.max_http_header_data = 4096;
  info.options = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND | LWS_SERVER_OPTION_VALIDATE_UTF8;
  if (!v6) info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  srv->lws = lws_create_context(&info);
  if (!srv->lws) {
    snprintf(err, err_cap, "cannot serve HTTP on %s (address in use or not local?)", http_addr);
    return BRTC_ERR_IO;
  }
  srv->vhost = lws_get_vhost_by_name(srv->lws, "boltrtc");
  if (!srv->vhost) {
    snprintf(err, err_cap, "libwebsockets made no vhost");
    return BRTC_ERR_IO;
  }
  srv->http_port = lws_get_vhost_listen_port(srv->vhost);
  snprintf(srv->url, sizeof(srv->url), v6 ? "http://[%s]:%d/" : "http://%s:%d/", ip,
           srv->http_port);
  srv->loop_wsi = adopt_fd(srv, brtc_loop_fd(srv->loop), "brtc-loop");
  if (!srv->loop_wsi) {
    snprintf(err, err_cap, "cannot watch the media loop's fd");
    return BRTC_ERR_IO;
  }
  return BRTC_OK;
}

brtc_signal_server *brtc_signal_server_new(const brtc_signal_config *config, brtc_loop *loop,
                                           const brtc_certificate *cert, char *err,
                                           size_t err_cap) {
  if (!config || !loop || !cert) {
    snprintf(err, err_cap, "missing config, loop or certificate");
    return NULL;
  }
  brtc_signal_server *srv = calloc(1, sizeof(*srv));
  if (!srv) {
    snprintf(err, err_cap, "out of memory");
    return NULL;
  }
  srv->loop = loop;
  srv->cert = cert;
  srv->dtls_role = config->dtls_role;
  srv->max_sessions = config->max_sessions ? config->max_sessions
                                           : BRTC_SIGNAL_DEFAULT_MAX_SESSIONS;
  brtc_signal_server_set_limits(srv, config);
  srv->web_dir = strdup(config->web_dir ? config->web_dir : brtc_signal_default_web_dir());
  if (!srv->web_dir || brtc_session_table_init(&srv->sessions, srv->max_sessions) != BRTC_OK) {
    snprintf(err, err_cap, "out of memory");
    goto fail;
  }
  srv->store = brtc_keyframe_store_open(
      config->output_dir ? config->output_dir : BRTC_SIGNAL_DEFAULT_OUTPUT, err, err_cap);
  if (!srv->store) goto fail;
  if (create_context(srv, config->http_addr ? config->http_addr : BRTC_SIGNAL_DEFAULT_HTTP, err,
                     err_cap) != BRTC_OK)
    goto fail;
  /* After the context: the saver's wake-up needs it. */
  if (start_saver(srv, config, err, err_cap) != BRTC_OK) goto fail;
  return srv;
fail:
  brtc_signal_server_free(srv);
  return NULL;
}

int brtc_signal_server_http_port(const brtc_signal_server *srv) { return srv->http_port; }
const char *brtc_signal_server_url(const brtc_signal_server *srv) { return srv->url; }

int brtc_signal_server_run(brtc_signal_server *srv, int stop_fd) {
  if (stop_fd >= 0) {
    srv->stop_wsi = adopt_fd(srv, stop_fd, "brtc-stop");
    if (!srv->stop_wsi) return BRTC_ERR_IO;
  }
  brtc_server_settle(srv);
  while (!srv->stopping) {
    if (lws_service(srv->lws, 0) < 0) return BRTC_ERR_IO;
  }
  return BRTC_OK;
}

void brtc_signal_server_free(brtc_signal_server *srv) {
  if (!srv) return;
  if (srv->sessions.live) brtc_server_end_all_sessions(srv);
  srv->stopping = true;
  if (srv->saver) {
    /* Before the context goes (the saver wakes it). Keyframes still queued are dropped; the
     * ones already written get their status record and log line. */
    brtc_keyframe_worker_stop(srv->saver);
    brtc_keyframe_worker_poll(srv->saver);
    brtc_keyframe_worker_stats ks;
    brtc_keyframe_worker_get_stats(srv->saver, &ks);
    if (ks.discarded)
      brtc_log(BRTC_LOG_INFO, NULL, "stopping: %llu keyframes not saved",
               (unsigned long long)ks.discarded);
  }
  if (srv->lws) {
    lws_sul_cancel(&srv->timer);
    lws_context_destroy(srv->lws);
    srv->lws = NULL;
  }
  brtc_session_table_free(&srv->sessions);
  brtc_keyframe_worker_free(srv->saver);
  brtc_keyframe_store_free(srv->store);
  free(srv->web_dir);
  free(srv);
}
