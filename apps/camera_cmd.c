/* `boltrtc camera`: the device side of a remote camera (a Raspberry Pi on a remote-controlled
 * car, say). It serves the viewer page (web/camera.html) and WebSocket signaling on which the
 * DEVICE makes the offer: its video (a file, the test pattern, a V4L2 camera) and a data
 * channel "control", unordered and never resent, because the newest command is the one that
 * counts. Each command goes to a small callback, the place a car's motor code goes (here it
 * logs one line per command), and is acknowledged on the same channel (camera_control.h).
 * One viewer drives at a time: a new one takes over. Built on the public API, the server's
 * application mode (signal/server.h) and the media sources, like any device program. */
#include "camera_cmd.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boltrtc/boltrtc.h"
#include "camera_capture.h"
#include "camera_control.h"
#include "camera_room.h"
#include "cli.h"
#include "source_options.h"
#include "host_candidates.h"
#include "send_summary.h"
#include "signal/server.h"
#include "sources/source.h"

#define MAX_TOKENS 8

void brtc_camera_print_usage(FILE *out) {
  fprintf(out,
          "Usage: boltrtc camera [options]\n"
          "\n"
          "The device side of a remote camera: serves the viewer page at http://ADDR:PORT/\n"
          "(/?autostart=1 connects at once), offers its video and a data channel \"control\"\n"
          "to the viewer over WebSocket signaling, and logs each command the viewer sends\n"
          "(arrow keys, gamepad) as a motor would take it, acknowledging it on the channel.\n"
          "\n"
          "Options:\n"
          "  --source SPEC        an IVF (VP8) or Annex-B H.264 file played at its own pace and\n"
          "                       looped, \"testpattern\" (VP8, each frame carrying its capture\n"
          "                       time as a barcode, for glass-to-glass latency), or\n"
          "                       /dev/videoN (default testpattern)\n"
          "  --http ADDR:PORT     the page and signaling (default %s; port 0 picks one;\n"
          "                       0.0.0.0:8080 to reach it from another machine)\n"
          "  --udp ADDR:PORT      the media address (default 0.0.0.0:0: every interface's\n"
          "                       address becomes a host candidate)\n"
          BRTC_SOURCE_OPTIONS_USAGE
          "  --token T            a viewer must open /?token=T (repeatable; default: anyone\n"
          "                       who reaches the page may drive); with --signal, serve's\n"
          "                       bearer token, sent as ?token=T\n"
          "  --signal URL         join a room on `boltrtc serve` instead of serving a page:\n"
          "                       ws://HOST:PORT/ws?room=NAME[&key=K]; the viewer opens\n"
          "                       serve's /camera.html?room=NAME, and both take the room's\n"
          "                       STUN and TURN servers (docs/camera.md, rendezvous)\n"
          "  --web DIR            the page's folder (default %s)\n"
          "  --log-level LEVEL    debug, info or warn (default info)\n"
          "  -h, --help           this help\n",
          BRTC_SIGNAL_DEFAULT_HTTP, brtc_signal_default_web_dir());
}

#define usage_error(...) brtc_cli_usage("camera", __VA_ARGS__)

/* ---- the motors ----
 * What a car's code implements: called with each command that is newer than every one before
 * it, and with a stop (steer 0, throttle 0) when the viewer goes. */
typedef void (*camera_drive_fn)(void *user, const camera_command *cmd, const char *why);

static void log_drive(void *user, const camera_command *cmd, const char *why) {
  (void)user;
  brtc_log(BRTC_LOG_INFO, NULL, "camera: drive seq %llu steer %+.2f throttle %+.2f%s%s",
           (unsigned long long)cmd->seq, cmd->steer, cmd->throttle, why ? ": " : "",
           why ? why : "");
}

/* ---- one viewer ---- */

typedef struct camera_app camera_app;

typedef struct camera_viewer {
  camera_app *app;
  void *link; /* the viewer's signaling (app->link_ops); NULL once it went */
  brtc_pc *pc;
  bool in_loop, answered;
  brtc_track *track;
  brtc_datachannel *control;
  camera_capture *capture; /* the source, on its own thread */
  brtc_loop_watch *watch;   /* frames are ready */
  bool media_ready;
  uint64_t started_us;
  camera_command_order order;
  camera_command last;
  uint64_t commands, stale, bad, frames_sent, frames_refused;
  uint64_t frames_failed; /* refused for good (not BRTC_ERR_AGAIN): too big, not a frame */
  uint32_t encoder_bps; /* the encoder's bitrate: --bitrate, then the receiver's target */
} camera_viewer;

typedef struct camera_options {
  const char *source, *http, *udp, *web, *signal;
  const char *tokens[MAX_TOKENS];
  size_t n_tokens;
  brtc_source_options so;
  brtc_log_level level;
} camera_options;

struct camera_app {
  camera_options o;
  brtc_loop *loop;
  brtc_certificate *cert;
  camera_viewer *viewer; /* the one who drives */
  const camera_link_ops *link_ops;
  camera_room *room; /* with --signal */
  camera_drive_fn drive;
  void *drive_user;
  uint64_t viewers;
};

static double wall_ms(const camera_app *app, uint64_t now_us) {
  return (double)((int64_t)now_us + app->o.so.wallclock_offset_us) / 1000.0;
}

/* A signaling message for the page, built with cJSON and sent whole. */
static void send_json(camera_viewer *v, cJSON *msg) {
  char *text = msg ? cJSON_PrintUnformatted(msg) : NULL;
  if (text && v->link) v->app->link_ops->send(v->link, text);
  cJSON_free(text);
  cJSON_Delete(msg);
}

static void send_error(camera_viewer *v, const char *message) {
  cJSON *m = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "type", "error");
  cJSON_AddStringToObject(m, "message", message);
  send_json(v, m);
}

static void stop_motors(camera_viewer *v, const char *why) {
  if (v->commands == 0) return;
  camera_command stop = {.seq = v->last.seq, .t_ms = v->last.t_ms};
  v->app->drive(v->app->drive_user, &stop, why);
}

static void viewer_free(camera_viewer *v) {
  if (!v) return;
  stop_motors(v, "the viewer left");
  brtc_app_log_send_summary("camera", v->track);
  if (v->pc) {
    if (v->in_loop) {
      brtc_pc_close(v->pc, brtc_now_us());
      brtc_loop_remove_pc(v->app->loop, v->pc); /* sends close_notify first */
    }
    brtc_pc_free(v->pc);
  }
  brtc_log(BRTC_LOG_INFO, NULL,
           "camera: viewer gone: %llu frames sent (%llu not taken, %llu never sendable), "
           "%llu commands (%llu stale, %llu bad)",
           (unsigned long long)v->frames_sent, (unsigned long long)v->frames_refused,
           (unsigned long long)v->frames_failed,
           (unsigned long long)v->commands, (unsigned long long)v->stale,
           (unsigned long long)v->bad);
  uint64_t dropped = v->capture ? camera_capture_dropped(v->capture) : 0;
  if (dropped)
    brtc_log(BRTC_LOG_INFO, NULL, "camera: %llu frames dropped before the loop took them",
             (unsigned long long)dropped);
  brtc_loop_unwatch(v->watch);
  camera_capture_stop(v->capture);
  if (v->link) v->app->link_ops->close(v->link, "the camera ended the session");
  if (v->app->viewer == v) v->app->viewer = NULL;
  free(v);
}

/* ---- video ---- */

/* The capture thread has frames: each goes out as it is, the newest last. */
static void on_frames(void *user, int fd, uint64_t now) {
  camera_viewer *v = user;
  uint64_t count;
  if (read(fd, &count, sizeof(count)) < 0) { /* EAGAIN: drained by an earlier call */
  }
  camera_frame f;
  while (camera_capture_next(v->capture, &f)) {
    if (!v->media_ready) continue; /* frames before the keys are dropped */
    int sent = brtc_track_send_frame(v->track, now, f.data, f.len, (uint64_t)f.capture_us,
                                     f.keyframe ? BRTC_FRAME_KEYFRAME : 0);
    if (sent == BRTC_OK) {
      v->frames_sent++;
    } else if (sent == BRTC_ERR_AGAIN) {
      v->frames_refused++; /* the link is behind, or a keyframe is awaited: counted */
    } else if (v->frames_failed++ == 0) {
      /* Not the link: this frame can never go (BRTC_ERR_TOO_BIG: over the pc's largest frame,
       * brtc_pc_config_set_max_frame_size). Said once, counted, and in the summary. */
      brtc_log(BRTC_LOG_WARN, NULL, "camera: a %zu-byte %s frame was not sent: %s", f.len,
               f.keyframe ? "key" : "delta", brtc_strerror(sent));
    }
  }
}

/* ---- control ---- */

static void on_control(camera_viewer *v, const brtc_output *ev, uint64_t now) {
  camera_command cmd;
  char err[96];
  if (ev->binary || camera_command_parse((const char *)ev->data, ev->len, &cmd, err,
                                         sizeof(err)) != 0) {
    if (v->bad++ == 0)
      brtc_log(BRTC_LOG_WARN, NULL, "camera: a control message was refused: %s",
               ev->binary ? "binary, expected JSON text" : err);
    return;
  }
  v->commands++;
  bool newest = camera_command_is_newest(&v->order, &cmd);
  char ack[CAMERA_ACK_MAX];
  int n = camera_ack_format(&cmd, wall_ms(v->app, now), !newest, ack, sizeof(ack));
  if (n > 0) brtc_datachannel_send(v->control, now, (const uint8_t *)ack, (size_t)n, false);
  if (!newest) { /* it came after a newer one: the car already does better */
    v->stale++;
    brtc_log(BRTC_LOG_INFO, NULL, "camera: stale seq %llu ignored (newest %llu)",
             (unsigned long long)cmd.seq, (unsigned long long)v->order.newest);
    return;
  }
  v->last = cmd;
  v->app->drive(v->app->drive_user, &cmd, NULL);
}

/* ---- the peer connection's events ---- */

static void on_event(brtc_loop *loop, brtc_pc *pc, const brtc_output *out, void *user) {
  (void)loop, (void)pc;
  camera_viewer *v = user;
  uint64_t now = brtc_now_us();
  switch (out->event) {
    case BRTC_EVENT_STEP: {
      double ms = (double)(now - v->started_us) / 1000.0;
      brtc_log(BRTC_LOG_INFO, NULL, "camera: %s (%.1f ms)%s%s", brtc_pc_step_name(out->step),
               ms, out->detail ? ": " : "", out->detail ? out->detail : "");
      cJSON *m = cJSON_CreateObject();
      cJSON_AddStringToObject(m, "type", "step");
      cJSON_AddStringToObject(m, "step", brtc_pc_step_name(out->step));
      cJSON_AddNumberToObject(m, "ms", ms);
      send_json(v, m);
      if (out->step == BRTC_STEP_SRTP_READY) {
        v->media_ready = true;
        camera_capture_request_keyframe(v->capture); /* the viewer starts on one */
      } else if (out->step == BRTC_STEP_FAILED || out->step == BRTC_STEP_CLOSED) {
        viewer_free(v); /* the loop allows it here: the pc is between calls */
      }
      break;
    }
    case BRTC_EVENT_KEYFRAME_REQUEST:
      if (out->media_track == v->track) camera_capture_request_keyframe(v->capture);
      break;
    case BRTC_EVENT_BITRATE_TARGET: {
      /* The viewer's estimate (REMB, reported loss) moved the track's target: the encoder
       * follows it, never above --bitrate, so frames do not outgrow the path. */
      uint32_t bps = out->media_track == v->track ? brtc_track_target_bitrate(v->track) : 0;
      if (bps > v->app->o.so.bitrate_bps) bps = v->app->o.so.bitrate_bps;
      if (bps && bps != v->encoder_bps) {
        v->encoder_bps = bps;
        camera_capture_set_bitrate(v->capture, bps);
        brtc_log(BRTC_LOG_INFO, NULL, "camera: encoder at %u kbit/s (the viewer's target)",
                 bps / 1000);
      }
      break;
    }
    case BRTC_EVENT_DATACHANNEL_OPEN:
      if (out->channel == v->control)
        brtc_log(BRTC_LOG_INFO, NULL, "camera: control channel open (id %d, unordered, "
                 "max retransmits 0)", (int)brtc_datachannel_id(v->control));
      break;
    case BRTC_EVENT_DATACHANNEL_MESSAGE:
      if (out->channel == v->control) on_control(v, out, now);
      break;
    case BRTC_EVENT_DATACHANNEL_CLOSED:
      if (out->channel == v->control) stop_motors(v, "the control channel closed");
      break;
    case BRTC_EVENT_ICE_CANDIDATE:
    case BRTC_EVENT_ICE_GATHERING_COMPLETE: { /* trickled (RFC 8838); "" ends them */
      cJSON *m = cJSON_CreateObject();
      cJSON_AddStringToObject(m, "type", "candidate");
      cJSON_AddStringToObject(m, "candidate", out->event == BRTC_EVENT_ICE_CANDIDATE &&
                                                  out->detail ? out->detail : "");
      cJSON_AddStringToObject(m, "mid", out->mid ? out->mid : "");
      send_json(v, m);
      break;
    }
    case BRTC_EVENT_LOG:
      if (out->detail) brtc_log(BRTC_LOG_DEBUG, NULL, "camera: %s", out->detail);
      break;
    default: break;
  }
}

/* ---- signaling ---- */

/* The viewer's pc: the control channel and the video track, then our offer. */
static int viewer_offer(camera_viewer *v, char *err, size_t cap) {
  camera_app *app = v->app;
  brtc_pc_config *cfg = brtc_pc_config_new();
  int rc = BRTC_ERR_NOMEM;
  if (cfg && brtc_pc_config_set_certificate(cfg, app->cert) == BRTC_OK &&
      brtc_pc_config_set_datachannels(cfg, true) == BRTC_OK &&
      brtc_app_add_host_candidates(app->loop, cfg, err, cap) == 0 &&
      (!app->room || camera_room_config_pc(app->room, cfg, err, cap) == BRTC_OK))
    rc = brtc_pc_new(cfg, &v->pc, err, cap);
  brtc_pc_config_free(cfg);
  if (rc != BRTC_OK) return rc;
  /* Unordered, sent once: a late command is worth nothing, and a resent one would hold up
   * the newer ones behind it (RFC 8831 6.1, RFC 3758). */
  brtc_datachannel_init init;
  brtc_datachannel_init_default(&init);
  init.ordered = false;
  init.max_retransmits = 0;
  uint64_t now = brtc_now_us();
  rc = brtc_pc_create_datachannel(v->pc, now, "control", &init, &v->control, err, cap);
  if (rc != BRTC_OK) return rc;
  rc = camera_capture_start(app->o.source, &app->o.so, &v->capture, err, cap);
  v->encoder_bps = app->o.so.bitrate_bps;
  if (rc < 0) return rc;
  const brtc_source *src = camera_capture_source(v->capture);
  brtc_track_kind kind = src->codec == BRTC_SOURCE_OPUS ? BRTC_TRACK_AUDIO : BRTC_TRACK_VIDEO;
  rc = brtc_pc_add_track(v->pc, kind, BRTC_DIRECTION_SENDONLY, brtc_source_codec_name(src->codec),
                         &v->track);
  if (rc != BRTC_OK) {
    snprintf(err, cap, "cannot add the track: %s", brtc_strerror(rc));
    return rc;
  }
  v->watch = brtc_loop_watch_fd(app->loop, camera_capture_fd(v->capture), on_frames, v);
  if (!v->watch) {
    snprintf(err, cap, "out of memory");
    return BRTC_ERR_NOMEM;
  }
  const char *offer = NULL;
  rc = brtc_pc_create_offer(v->pc, now, &offer, err, cap);
  if (rc == BRTC_OK) rc = brtc_pc_set_local_description(v->pc, "offer", NULL, now, err, cap);
  if (rc != BRTC_OK) return rc;
  cJSON *m = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "type", "offer");
  cJSON_AddStringToObject(m, "sdp", offer);
  cJSON_AddStringToObject(m, "source", src->description);
  send_json(v, m);
  /* Through a room, the pc gathers from the room's STUN and TURN servers from now on and
   * trickles what it learns; on the camera's own page, host candidates are all there is. */
  if (app->room) {
    if (brtc_loop_add_pc(app->loop, v->pc, on_event, v) != BRTC_OK) return BRTC_ERR_NOMEM;
    v->in_loop = true;
  }
  return BRTC_OK;
}

void camera_viewer_open(camera_app *app, void *link) {
  if (app->viewer) {
    if (app->viewer->link == link) app->viewer->link = NULL; /* a room: the old one left */
    else send_error(app->viewer, "another viewer took over");
    viewer_free(app->viewer);
  }
  camera_viewer *v = calloc(1, sizeof(*v));
  if (!v) {
    app->link_ops->close(link, "out of memory");
    return;
  }
  v->app = app;
  v->link = link;
  v->started_us = brtc_now_us();
  app->viewer = v;
  app->viewers++;
  brtc_log(BRTC_LOG_INFO, NULL, "camera: viewer %llu from %s: offering",
           (unsigned long long)app->viewers,
           app->room ? "the room" : brtc_signal_socket_peer((brtc_signal_socket *)link));
  char err[256] = "";
  if (viewer_offer(v, err, sizeof(err)) != BRTC_OK) {
    brtc_log(BRTC_LOG_WARN, NULL, "camera: cannot offer: %s", err);
    send_error(v, err);
    viewer_free(v);
  }
}

static camera_viewer *viewer_of(camera_app *app, void *link) {
  return app->viewer && app->viewer->link == link ? app->viewer : NULL;
}

static void on_answer(camera_viewer *v, const char *sdp) {
  char err[256] = "";
  uint64_t now = brtc_now_us();
  if (v->answered) {
    send_error(v, "answered already");
    return;
  }
  if (brtc_pc_set_remote_description(v->pc, "answer", sdp, now, err, sizeof(err)) != BRTC_OK) {
    brtc_log(BRTC_LOG_WARN, NULL, "camera: the viewer's answer: %s", err);
    send_error(v, err);
    return;
  }
  if (!brtc_track_mid(v->track)[0]) {
    send_error(v, "the answer took no video");
    viewer_free(v);
    return;
  }
  v->answered = true;
  if (v->in_loop) return;
  if (brtc_loop_add_pc(v->app->loop, v->pc, on_event, v) != BRTC_OK) {
    send_error(v, "out of memory");
    viewer_free(v);
    return;
  }
  v->in_loop = true;
}

void camera_viewer_message(camera_app *app, void *link, const char *text, size_t len) {
  camera_viewer *v = viewer_of(app, link);
  cJSON *msg = cJSON_ParseWithLength(text, len);
  const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg, "type"));
  const char *sdp = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg, "sdp"));
  const char *cand = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg, "candidate"));
  if (!v) {
    app->link_ops->send(link, "{\"type\":\"error\",\"message\":\"not the viewer who drives\"}");
  } else if (!type) {
    send_error(v, "expected a JSON object with a string \"type\"");
  } else if (strcmp(type, "answer") == 0 && sdp) {
    on_answer(v, sdp);
  } else if (strcmp(type, "candidate") == 0 && cand) {
    /* Trickled from the page (RFC 8838); "" ends them. A bad one is only logged. */
    if (!v->answered)
      send_error(v, "candidate before answer");
    else if (brtc_pc_add_ice_candidate(v->pc, cand) != BRTC_OK && cand[0])
      brtc_log(BRTC_LOG_DEBUG, NULL, "camera: remote candidate ignored: %.80s", cand);
  } else if (strcmp(type, "bye") == 0) {
    viewer_free(v);
  } else {
    send_error(v, "unknown message: expected answer, candidate or bye");
  }
  cJSON_Delete(msg);
}

void camera_viewer_closed(camera_app *app, void *link) {
  camera_viewer *v = viewer_of(app, link);
  if (!v) return;
  v->link = NULL;
  brtc_log(BRTC_LOG_INFO, NULL, "camera: the viewer %s", app->room ? "left the room"
                                                                    : "closed its socket");
  viewer_free(v);
}

/* The camera's own page and WebSocket (the server's application mode). */
static int socket_send(void *link, const char *text) { return brtc_signal_socket_send(link, text); }
static void socket_close(void *link, const char *reason) { brtc_signal_socket_close(link, reason); }
static const camera_link_ops socket_link_ops = {.send = socket_send, .close = socket_close};
static void on_socket_open(void *user, brtc_signal_socket *sock) { camera_viewer_open(user, sock); }
static void on_socket_message(void *user, brtc_signal_socket *sock, const char *text,
                              size_t len) {
  camera_viewer_message(user, sock, text, len);
}
static void on_socket_closed(void *user, brtc_signal_socket *sock) {
  camera_viewer_closed(user, sock);
}

/* ---- options ---- */

/* Returns -1 when the options are good, else the exit code. */
static int parse_options(int argc, char **argv, camera_options *o) {
  enum { OPT_SOURCE = 256, OPT_HTTP, OPT_UDP, OPT_TOKEN, OPT_WEB, OPT_LOG, OPT_SIGNAL };
  static const struct option longopts[] = {
      {"source", required_argument, NULL, OPT_SOURCE},
      {"http", required_argument, NULL, OPT_HTTP},
      {"udp", required_argument, NULL, OPT_UDP},
      BRTC_SOURCE_LONGOPTS,
      {"token", required_argument, NULL, OPT_TOKEN},
      {"web", required_argument, NULL, OPT_WEB},
      {"log-level", required_argument, NULL, OPT_LOG},
      {"signal", required_argument, NULL, OPT_SIGNAL},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  int rc;
  opterr = 0;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    switch (c) {
    case OPT_SOURCE: o->source = optarg; break;
    case OPT_HTTP:
      if (!brtc_signal_addr_valid(optarg))
        return usage_error("bad --http \"%s\": expected IP:PORT or [IPv6]:PORT", optarg);
      o->http = optarg;
      break;
    case OPT_UDP: o->udp = optarg; break;
    case OPT_WEB: o->web = optarg; break;
    case OPT_SIGNAL:
      if (strncmp(optarg, "ws://", 5) != 0)
        return usage_error("bad --signal \"%s\": expected ws://HOST:PORT/ws?room=NAME", optarg);
      o->signal = optarg;
      break;
    case OPT_TOKEN:
      if (o->n_tokens == MAX_TOKENS || !optarg[0])
        return usage_error("--token: at most %d, none empty", MAX_TOKENS);
      o->tokens[o->n_tokens++] = optarg;
      break;
    case OPT_LOG:
      if (!brtc_cli_parse_log_level(optarg, &o->level))
        return usage_error("bad --log-level \"%s\": expected debug, info or warn", optarg);
      break;
    default:
      if (brtc_source_option("camera", c, optarg, &o->so, &rc)) {
        if (rc >= 0) return rc;
        break;
      }
      return brtc_cli_other_option("camera", c, argv, brtc_camera_print_usage);
    }
  }
  if (optind != argc) return usage_error("unexpected argument \"%s\"", argv[optind]);
  if (o->signal && o->n_tokens > 1) return usage_error("--signal takes one --token");
  return -1;
}

/* The source opens (and says what it is) before anyone connects: a wrong path fails now. */
static int check_source(const camera_options *o) {
  brtc_source *src = NULL;
  char err[256];
  if (brtc_source_open(o->source, &o->so, &src, err, sizeof(err)) < 0) {
    fprintf(stderr, "boltrtc camera: %s\n", err);
    return -1;
  }
  bool video = src->codec != BRTC_SOURCE_OPUS;
  if (video) brtc_log(BRTC_LOG_INFO, NULL, "camera: source %s", src->description);
  else fprintf(stderr, "boltrtc camera: %s is audio; the camera sends video\n", o->source);
  brtc_source_free(src);
  return video ? 0 : -1;
}

static void on_stop(void *user, int fd, uint64_t now) {
  (void)fd, (void)now;
  brtc_loop_stop(((camera_app *)user)->loop);
}

/* --signal: a member of a room on serve, driven by the loop alone. */
static int camera_room_run(camera_app *app, int stop_fd) {
  char err[512] = "";
  app->link_ops = &camera_room_link_ops;
  if (camera_room_open(app->loop, app->o.signal, app->o.n_tokens ? app->o.tokens[0] : NULL, app,
                       &app->room, err, sizeof(err)) != BRTC_OK) {
    fprintf(stderr, "boltrtc camera: %s\n", err);
    return 1;
  }
  brtc_loop_watch *stop = stop_fd >= 0 ? brtc_loop_watch_fd(app->loop, stop_fd, on_stop, app) : NULL;
  int rc = brtc_loop_run(app->loop);
  brtc_loop_unwatch(stop);
  const char *refused = camera_room_start_error(app->room);
  if (refused) {
    fprintf(stderr, "boltrtc camera: %s\n", refused);
    return 1;
  }
  brtc_log(BRTC_LOG_INFO, NULL, "camera: stopping");
  return rc == BRTC_OK ? 0 : 1;
}

int brtc_camera_main(int argc, char **argv) {
  camera_app app = {.o = {.source = "testpattern", .http = BRTC_SIGNAL_DEFAULT_HTTP,
                          .udp = "0.0.0.0:0", .level = BRTC_LOG_INFO},
                    .drive = log_drive};
  brtc_source_options_default(&app.o.so);
  int rc = parse_options(argc, argv, &app.o);
  if (rc >= 0) return rc;
  brtc_set_log_level(app.o.level);
  /* The barcode carries Unix time, so that the page can compare it with its own clock. */
  app.o.so.wallclock_offset_us = brtc_source_wallclock_offset();
  if (check_source(&app.o) != 0) return 1;

  int exit_code = 1;
  char err[512] = "";
  brtc_signal_server *srv = NULL;
  int stop_fd = brtc_cli_stop_fd();
  brtc_loop_config *lc = brtc_loop_config_new();
  if (!lc || brtc_loop_config_add_udp_address(lc, app.o.udp) != BRTC_OK) {
    fprintf(stderr, "boltrtc camera: bad --udp \"%s\"\n", app.o.udp);
    brtc_loop_config_free(lc);
    goto out;
  }
  app.loop = brtc_loop_new(lc, err, sizeof(err));
  brtc_loop_config_free(lc);
  if (!app.loop || brtc_certificate_new(&app.cert, err, sizeof(err)) != BRTC_OK) {
    fprintf(stderr, "boltrtc camera: %s\n", err[0] ? err : "out of memory");
    goto out;
  }
  if (app.o.signal) {
    exit_code = camera_room_run(&app, stop_fd);
    goto out;
  }
  app.link_ops = &socket_link_ops;
  brtc_signal_app sig = {.page = "/camera.html", .user = &app, .open = on_socket_open,
                         .message = on_socket_message, .closed = on_socket_closed};
  brtc_signal_config sc = {.http_addr = app.o.http, .web_dir = app.o.web, .app = &sig,
                           .tokens = app.o.tokens, .n_tokens = app.o.n_tokens};
  srv = brtc_signal_server_new(&sc, app.loop, app.cert, err, sizeof(err));
  if (!srv) {
    fprintf(stderr, "boltrtc camera: %s\n", err);
    goto out;
  }
  brtc_log(BRTC_LOG_INFO, NULL, "camera: open %s%s to drive (media on %s)",
           brtc_signal_server_url(srv), app.o.n_tokens ? "?token=..." : "", app.o.udp);
  exit_code = brtc_signal_server_run(srv, stop_fd) == BRTC_OK ? 0 : 1;
  brtc_log(BRTC_LOG_INFO, NULL, "camera: stopping");
out:
  viewer_free(app.viewer);
  camera_room_free(app.room);
  brtc_signal_server_free(srv);
  if (app.loop) brtc_loop_free(app.loop);
  brtc_certificate_free(app.cert);
  if (stop_fd >= 0) close(stop_fd);
  return exit_code;
}
