/* The server's life: the TCP listener for HTTP and WebSocket signaling on the brtc_loop,
 * the keyframe saver's wake-up (an eventfd the loop watches), the stop fd, and the loop run
 * as the outer loop, settling sessions after every pass. Connections are signal_conn.c,
 * routes http_routes.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/log.h"
#include "signal/server_internal.h"

#ifndef BRTC_WEB_DIR
#define BRTC_WEB_DIR "web"
#endif

const char *brtc_signal_default_web_dir(void) { return BRTC_WEB_DIR; }

/* On a saver thread: wake the loop (the eventfd becomes readable). */
static void wake_for_saver(void *user) {
  brtc_signal_server *srv = user;
  uint64_t one = 1;
  if (write(srv->saver_wake_fd, &one, sizeof(one)) < 0) { /* counter full: already awake */
  }
}

/* On the loop thread: the saver has results. */
static void on_saver_wake(void *user, int fd, uint64_t now) {
  (void)now;
  brtc_signal_server *srv = user;
  uint64_t count;
  if (read(fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
    brtc_log(BRTC_LOG_DEBUG, NULL, "saver wake-up read: %s", strerror(errno));
  if (srv->saver && brtc_keyframe_worker_poll(srv->saver) > 0) brtc_server_ask_waiting_keyframes(srv);
}

static void on_stop(void *user, int fd, uint64_t now) {
  (void)now;
  brtc_signal_server *srv = user;
  char buf[256]; /* a signalfd read needs room for a whole siginfo (128 bytes) */
  if (read(fd, buf, sizeof(buf)) < 0 && errno != EAGAIN)
    brtc_log(BRTC_LOG_DEBUG, NULL, "stop fd read: %s", strerror(errno));
  srv->stopping = true;
}

static int start_saver(brtc_signal_server *srv, const brtc_signal_config *config, char *err,
                       size_t err_cap) {
  srv->saver_wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (srv->saver_wake_fd < 0 ||
      !(srv->saver_watch = brtc_loop_watch_fd(srv->loop, srv->saver_wake_fd, on_saver_wake, srv))) {
    snprintf(err, err_cap, "cannot make the keyframe saver's wake-up: %s", strerror(errno));
    return BRTC_ERR_IO;
  }
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

static int start_listener(brtc_signal_server *srv, const char *http_addr, char *err,
                          size_t err_cap) {
  brtc_addr addr;
  /* No default port: the address must say one ("127.0.0.1:0" picks a free one). */
  if (brtc_addr_parse(&addr, http_addr, 0) != BRTC_OK) {
    snprintf(err, err_cap, "bad HTTP address \"%s\": expected IP:PORT or [IPv6]:PORT", http_addr);
    return BRTC_ERR_INVALID;
  }
  srv->listener = brtc_loop_tcp_listen(srv->loop, http_addr, brtc_conn_accept, srv, err, err_cap);
  if (!srv->listener) return BRTC_ERR_IO;
  brtc_tcp_listener_set_limits(srv->listener, BRTC_SIGNAL_MAX_CONNECTIONS,
                               BRTC_SIGNAL_MAX_CONNECTIONS_PER_IP);
  srv->http_port = brtc_tcp_listener_port(srv->listener);
  char ip[BRTC_ADDR_STRLEN];
  brtc_addr_ip_str(&addr, ip, sizeof(ip));
  snprintf(srv->url, sizeof(srv->url),
           brtc_addr_family(&addr) == AF_INET6 ? "http://[%s]:%d/" : "http://%s:%d/", ip,
           srv->http_port);
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
  srv->saver_wake_fd = -1;
  srv->dtls_role = config->dtls_role;
  srv->ice_lite = config->ice_mode == BRTC_SIGNAL_ICE_LITE; /* default: full (see server.h) */
  srv->max_sessions = config->max_sessions ? config->max_sessions
                                           : BRTC_SIGNAL_DEFAULT_MAX_SESSIONS;
  brtc_signal_server_set_limits(srv, config);
  srv->web_dir = strdup(config->web_dir ? config->web_dir : brtc_signal_default_web_dir());
  if (config->whep_source) {
    if (brtc_whep_check_source(config->whep_source, err, err_cap) != BRTC_OK) goto fail;
    srv->whep_source = strdup(config->whep_source);
    if (!srv->whep_source) {
      snprintf(err, err_cap, "out of memory");
      goto fail;
    }
  }
  if (config->capture_dir) {
    srv->capture_dir = strdup(config->capture_dir);
    if (!srv->capture_dir) {
      snprintf(err, err_cap, "out of memory");
      goto fail;
    }
    srv->capture_max_bytes =
        (config->capture_max_mb ? config->capture_max_mb : BRTC_SIGNAL_DEFAULT_CAPTURE_MB) *
        1024u * 1024u;
  }
  if (!srv->web_dir || brtc_session_table_init(&srv->sessions, srv->max_sessions) != BRTC_OK) {
    snprintf(err, err_cap, "out of memory");
    goto fail;
  }
  srv->rooms = brtc_rooms_new(&config->rooms, err, err_cap);
  if (!srv->rooms) goto fail;
  srv->inspect_all = config->inspect_all;
  srv->echo = config->echo;
  if (brtc_inspect_store_init(&srv->inspect, config->inspect_sessions, config->inspect_packets,
                              0) != BRTC_OK) {
    snprintf(err, err_cap, "bad inspector limits (at most %d sessions, %d packets of a kind)",
             BRTC_INSPECT_MAX_SESSIONS, BRTC_INSPECT_MAX_PER_KIND);
    goto fail;
  }
  if (brtc_auth_set_tokens(srv, config->tokens, config->n_tokens) != BRTC_OK) {
    snprintf(err, err_cap, "bad token list (empty token, or out of memory)");
    goto fail;
  }
  if (config->app) {
    /* An application's signaling: its page and /ws only (app_socket.c). */
    srv->has_app = true;
    srv->app = *config->app;
    srv->app_page = strdup(config->app->page ? config->app->page : "/index.html");
    if (!srv->app_page) {
      snprintf(err, err_cap, "out of memory");
      goto fail;
    }
    srv->app.page = srv->app_page;
    if (start_listener(srv, config->http_addr ? config->http_addr : BRTC_SIGNAL_DEFAULT_HTTP,
                       err, err_cap) != BRTC_OK)
      goto fail;
    return srv;
  }
  srv->store = brtc_keyframe_store_open(
      config->output_dir ? config->output_dir : BRTC_SIGNAL_DEFAULT_OUTPUT, err, err_cap);
  if (!srv->store) goto fail;
  if (start_listener(srv, config->http_addr ? config->http_addr : BRTC_SIGNAL_DEFAULT_HTTP, err,
                     err_cap) != BRTC_OK)
    goto fail;
  if (start_saver(srv, config, err, err_cap) != BRTC_OK) goto fail;
  if (brtc_server_start_rate_lines(srv, config->rate_interval_s) != BRTC_OK ||
      brtc_server_start_keyframe_interval(srv, config->keyframe_interval_ms) != BRTC_OK) {
    snprintf(err, err_cap, "out of memory");
    goto fail;
  }
  return srv;
fail:
  brtc_signal_server_free(srv);
  return NULL;
}

int brtc_signal_server_http_port(const brtc_signal_server *srv) { return srv->http_port; }
const char *brtc_signal_server_url(const brtc_signal_server *srv) { return srv->url; }

int brtc_signal_server_run(brtc_signal_server *srv, int stop_fd) {
  if (stop_fd >= 0) {
    srv->stop_watch = brtc_loop_watch_fd(srv->loop, stop_fd, on_stop, srv);
    if (!srv->stop_watch) return BRTC_ERR_IO;
  }
  brtc_server_settle(srv);
  /* The loop is the outer loop: every socket, timer and the two fds above wake it. */
  while (!srv->stopping) {
    if (brtc_loop_run_once(srv->loop, -1) < 0) return BRTC_ERR_IO;
    brtc_server_settle(srv);
  }
  return BRTC_OK;
}

void brtc_signal_server_free(brtc_signal_server *srv) {
  if (!srv) return;
  if (srv->sessions.live) brtc_server_end_all_sessions(srv);
  srv->stopping = true;
  if (srv->saver) {
    /* Keyframes still queued are dropped; the ones already written get their status record
     * and log line. */
    brtc_keyframe_worker_stop(srv->saver);
    brtc_keyframe_worker_poll(srv->saver);
    brtc_keyframe_worker_stats ks;
    brtc_keyframe_worker_get_stats(srv->saver, &ks);
    if (ks.discarded)
      brtc_log(BRTC_LOG_INFO, NULL, "stopping: %llu keyframes not saved",
               (unsigned long long)ks.discarded);
  }
  brtc_conn_close_all(srv);
  brtc_tcp_listener_free(srv->listener);
  brtc_loop_timer_free(srv->rate_timer);
  brtc_loop_timer_free(srv->keyframe_timer);
  brtc_loop_unwatch(srv->saver_watch);
  brtc_loop_unwatch(srv->stop_watch);
  if (srv->saver_wake_fd >= 0) close(srv->saver_wake_fd);
  brtc_session_table_free(&srv->sessions);
  brtc_inspect_store_free(&srv->inspect);
  brtc_keyframe_worker_free(srv->saver);
  brtc_keyframe_store_free(srv->store);
  brtc_whip_free(srv);
  brtc_rooms_free(srv->rooms); /* after the connections: each left its room */
  brtc_auth_free(srv);
  free(srv->web_dir);
  free(srv->capture_dir);
  free(srv->whep_source);
  free(srv->app_page);
  free(srv);
}
