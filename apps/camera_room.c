/* The camera as a member of a room on `boltrtc serve` (camera_room.h). */
#include "camera_room.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_client.h"

#define RETRY_FIRST_US 1000000ull
#define RETRY_MAX_US 30000000ull
#define REOFFER_US 2000000ull

struct camera_room {
  brtc_loop *loop;
  camera_app *app;
  char *url;       /* with the token, if any */
  char shown[512]; /* the URL as logs show it */
  struct sockaddr_storage to; /* serve's address, resolved once at start */
  ws_client *ws;
  bool joined_once;     /* the first join worked: from now on a lost room is retried */
  char start_error[400]; /* why the first join failed, which ends the camera */
  cJSON *ice_servers; /* the last "joined"'s iceServers */
  bool viewer_here;
  brtc_loop_timer *retry;
  uint64_t retry_us;
  brtc_loop_timer *reoffer; /* a session ended while the viewer stays: offer again */
};

static int room_send(void *link, const char *text) {
  camera_room *r = link;
  return r->ws ? ws_client_send(r->ws, text) : BRTC_ERR_STATE;
}

/* The camera ends a session (ICE or DTLS failed, consent lapsed, the viewer said bye), but
 * the room stays its way to the viewer: a bye tells the page, which waits, and while the
 * viewer stays in the room a new offer follows shortly, so that a path that broke is
 * looked for again from scratch. */
static void room_close(void *link, const char *reason) {
  camera_room *r = link;
  if (!r->viewer_here) return;
  cJSON *m = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "type", "bye");
  cJSON_AddStringToObject(m, "reason", reason);
  char *text = cJSON_PrintUnformatted(m);
  if (text) room_send(link, text);
  cJSON_free(text);
  cJSON_Delete(m);
  brtc_loop_timer_set(r->reoffer, brtc_now_us() + REOFFER_US);
}

const camera_link_ops camera_room_link_ops = {.send = room_send, .close = room_close};

int camera_room_config_pc(const camera_room *r, brtc_pc_config *cfg, char *err, size_t cap) {
  (void)err, (void)cap;
  const cJSON *server;
  cJSON_ArrayForEach(server, r->ice_servers) {
    const char *user = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(server, "username"));
    const char *cred =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(server, "credential"));
    const cJSON *urls = cJSON_GetObjectItemCaseSensitive(server, "urls"), *url;
    cJSON_ArrayForEach(url, urls) {
      const char *u = cJSON_GetStringValue(url);
      if (!u) continue;
      /* A URL the pc cannot use (a hostname, TURN over TCP or TLS, past four servers) is
       * left out: the others may still get through. */
      int rc = brtc_pc_config_add_ice_server(cfg, u, user, cred);
      if (rc != BRTC_OK)
        brtc_log(BRTC_LOG_INFO, NULL, "camera: the room's ICE server %s is not used: %s", u,
                 brtc_strerror(rc));
    }
  }
  return BRTC_OK;
}

/* A viewer is there: a session starts now, and a pending re-offer is not needed. */
static void offer_to_viewer(camera_room *r) {
  brtc_loop_timer_set(r->reoffer, UINT64_MAX);
  r->viewer_here = true;
  camera_viewer_open(r->app, r);
}

static void on_reoffer(void *user, uint64_t now) {
  (void)now;
  camera_room *r = user;
  if (!r->viewer_here) return;
  brtc_log(BRTC_LOG_INFO, NULL, "camera: the viewer is still in the room: offering again");
  offer_to_viewer(r);
}

static void on_joined(camera_room *r, cJSON *msg) {
  cJSON_Delete(r->ice_servers);
  r->ice_servers = cJSON_DetachItemFromObjectCaseSensitive(msg, "iceServers");
  int servers = cJSON_GetArraySize(r->ice_servers);
  double members = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(msg, "members"));
  brtc_log(BRTC_LOG_INFO, NULL, "camera: joined room %s (%d ICE server%s handed)%s",
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg, "room")), servers,
           servers == 1 ? "" : "s", members >= 2 ? ": the viewer is here" : ": waiting for a viewer");
  r->retry_us = 0;
  if (members >= 2) offer_to_viewer(r);
}

static void on_message(void *user, const char *text, size_t len) {
  camera_room *r = user;
  cJSON *msg = cJSON_ParseWithLength(text, len);
  const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg, "type"));
  if (!type) {
    brtc_log(BRTC_LOG_WARN, NULL, "camera: a room message without a type was ignored");
  } else if (strcmp(type, "joined") == 0) {
    on_joined(r, msg);
  } else if (strcmp(type, "peer-joined") == 0) {
    brtc_log(BRTC_LOG_INFO, NULL, "camera: a viewer joined the room: offering");
    offer_to_viewer(r);
  } else if (strcmp(type, "peer-left") == 0) {
    r->viewer_here = false;
    camera_viewer_closed(r->app, r);
  } else if (strcmp(type, "error") == 0) {
    brtc_log(BRTC_LOG_INFO, NULL, "camera: the room says: %s",
             cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg, "message")));
  } else {
    camera_viewer_message(r->app, r, text, len);
  }
  cJSON_Delete(msg);
}

/* The room is lost (or a join failed): the session with the viewer, if any, goes on, as
 * media and control need no server; the room is joined again after a backoff. */
static void retry_later(camera_room *r, const char *why) {
  r->retry_us = r->retry_us ? r->retry_us * 2 : RETRY_FIRST_US;
  if (r->retry_us > RETRY_MAX_US) r->retry_us = RETRY_MAX_US;
  brtc_log(BRTC_LOG_WARN, NULL, "camera: left the room: %s; joining again in %.0f s", why,
           (double)r->retry_us / 1e6);
  r->viewer_here = false;
  brtc_loop_timer_set(r->retry, brtc_now_us() + r->retry_us);
}

static void on_closed(void *user, const char *why) { retry_later(user, why); }

static void on_opened(void *user) { ((camera_room *)user)->joined_once = true; }

/* The first join must work: a wrong URL, token or key (401, 403) or a full room (409) is
 * said at once and ends the camera, not retried. Later, a failed join is retried. */
static void on_failed(void *user, int error, const char *why) {
  (void)error;
  camera_room *r = user;
  if (r->joined_once) {
    retry_later(r, why);
    return;
  }
  snprintf(r->start_error, sizeof(r->start_error), "%s", why);
  brtc_loop_stop(r->loop);
}

static const ws_client_ops room_ops = {
    .opened = on_opened, .failed = on_failed, .message = on_message, .closed = on_closed};

/* Only starts the join: its outcome comes from the loop, which never waits for serve. */
static void on_retry(void *user, uint64_t now) {
  (void)now;
  camera_room *r = user;
  char err[300] = "";
  brtc_log(BRTC_LOG_INFO, NULL, "camera: joining %s", r->shown);
  ws_client_free(r->ws);
  r->ws = NULL;
  if (ws_client_open(r->loop, r->url, &r->to, &room_ops, r, &r->ws, err, sizeof(err)) != BRTC_OK)
    retry_later(r, err);
}

/* ?token=T (or &token=T), percent-encoded (RFC 3986 2.1). */
static char *with_token(const char *url, const char *token) {
  size_t n = strlen(url), t = token ? strlen(token) : 0;
  char *out = malloc(n + 8 + 3 * t + 1);
  if (!out) return NULL;
  memcpy(out, url, n + 1);
  if (!t) return out;
  char *p = out + n;
  p += sprintf(p, "%ctoken=", strchr(url, '?') ? '&' : '?');
  for (size_t i = 0; i < t; i++) {
    unsigned char ch = (unsigned char)token[i];
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
        strchr("-._~", ch))
      *p++ = (char)ch;
    else
      p += sprintf(p, "%%%02X", ch);
  }
  *p = '\0';
  return out;
}

int camera_room_open(brtc_loop *loop, const char *url, const char *token, camera_app *app,
                     camera_room **out, char *err, size_t cap) {
  *out = NULL;
  camera_room *r = calloc(1, sizeof(*r));
  if (!r || !(r->url = with_token(url, token)) ||
      !(r->retry = brtc_loop_timer_new(loop, on_retry, r)) ||
      !(r->reoffer = brtc_loop_timer_new(loop, on_reoffer, r))) {
    camera_room_free(r);
    snprintf(err, cap, "out of memory");
    return BRTC_ERR_NOMEM;
  }
  r->loop = loop;
  r->app = app;
  ws_client_loggable_url(r->url, r->shown, sizeof(r->shown));
  brtc_log(BRTC_LOG_INFO, NULL, "camera: joining %s", r->shown);
  /* A name is resolved here, once: never on the loop while a session runs (docs/camera.md). */
  int rc = ws_client_resolve(r->url, &r->to, err, cap);
  if (rc == BRTC_OK) rc = ws_client_open(loop, r->url, &r->to, &room_ops, r, &r->ws, err, cap);
  if (rc != BRTC_OK) {
    camera_room_free(r);
    return rc;
  }
  *out = r;
  return BRTC_OK;
}

const char *camera_room_start_error(const camera_room *r) {
  return r && r->start_error[0] ? r->start_error : NULL;
}

void camera_room_free(camera_room *r) {
  if (!r) return;
  ws_client_free(r->ws);
  brtc_loop_timer_free(r->retry);
  brtc_loop_timer_free(r->reoffer);
  cJSON_Delete(r->ice_servers);
  free(r->url);
  free(r);
}
