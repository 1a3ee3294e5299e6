/* `boltrtc publish URL`: a WHIP client (RFC 9725). It makes the offer, posts it, runs ICE as
 * the controlling agent against the answer's candidates, and sends a source's frames (a file,
 * the test pattern, a camera) until SIGINT, SIGTERM or --duration; then it DELETEs the
 * resource. Built on the public API (include/boltrtc) and the sources tools library, like
 * any program a device engineer writes. */
#include "publish_cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "boltrtc/boltrtc.h"
#include "boltrtc/track.h"
#include "cli.h"
#include "source_options.h"
#include "host_candidates.h"
#include "send_summary.h"
#include "sources/source.h"
#include "whip_client.h"

#define HTTP_TIMEOUT_MS 10000
#define CONNECT_TIMEOUT_US (15ull * 1000000u) /* no media path after this: give up */
#define MAX_SOURCES 2                         /* one video, one audio */

void brtc_publish_print_usage(FILE *out) {
  fprintf(out,
          "Usage: boltrtc publish URL [options]\n"
          "\n"
          "Publishes to a WHIP server (RFC 9725) at URL: makes the offer, posts it, connects\n"
          "(full ICE, controlling) and sends the source until stopped, then ends the session\n"
          "with DELETE.\n"
          "\n"
          "Options:\n"
          "  --source SPEC        video: an IVF (VP8) or Annex-B H.264 file played at its own\n"
          "                       pace and looped, \"testpattern\" (VP8 from libvpx, each frame\n"
          "                       carrying its capture time as a barcode), or /dev/videoN\n"
          "                       (default testpattern)\n"
          "  --audio FILE.ogg     also send an Ogg Opus file\n"
          BRTC_SOURCE_OPTIONS_USAGE
          "  --token T            a bearer token for the WHIP server (RFC 9725 4.5)\n"
          "  --ice-server URL     a STUN or TURN server to gather candidates from: stun:IP[:PORT]\n"
          "                       turn:IP[:PORT][?transport=udp|tcp] or turns:IP[:PORT]\n"
          "                       (numeric addresses; up to 4)\n"
          "  --ice-username U     --ice-credential C: the TURN servers' long-term credentials\n"
          "  --relay-only         use relayed candidates only (iceTransportPolicy \"relay\")\n"
          "  --udp ADDR:PORT      the local UDP address (default 0.0.0.0:0: every interface's\n"
          "                       address becomes a host candidate)\n"
          "  --duration SECONDS   stop after this long (default: until SIGINT or SIGTERM)\n"
          "  --log-level LEVEL    debug, info or warn (default info)\n"
          "  -h, --help           this help\n");
}

#define usage_error(...) brtc_cli_usage("publish", __VA_ARGS__)

typedef struct publish_source {
  brtc_source *src;
  brtc_track *track;
  brtc_loop_timer *timer;
  brtc_loop_watch *watch; /* a camera: frames come when its fd is readable */
  uint64_t refused;       /* frames send_frame would not take (before connected, a queue) */
  uint32_t max_bps;       /* --bitrate: the encoder never goes above it */
  uint32_t encoder_bps;   /* what the encoder was last set to */
} publish_source;

typedef struct publish_app {
  brtc_loop *loop;
  brtc_pc *pc;
  publish_source sources[MAX_SOURCES];
  size_t n_sources;
  bool media_ready; /* SRTP keyed: frames may go */
  bool failed;
  brtc_loop_timer *deadline; /* the connect timeout, then --duration */
  uint64_t duration_us;      /* 0: until a signal */
  uint64_t started_us;
} publish_app;

/* ---- options ---- */

typedef struct publish_options {
  const char *url, *video, *audio, *token, *udp;
  const char *ice_servers[4], *ice_username, *ice_credential;
  size_t n_ice_servers;
  bool relay_only;
  brtc_source_options source;
  unsigned long duration_s;
  brtc_log_level level;
} publish_options;

/* Returns -1 when the options are good, else the exit code. */
static int parse_options(int argc, char **argv, publish_options *o) {
  enum { OPT_SOURCE = 256, OPT_AUDIO, OPT_TOKEN, OPT_UDP, OPT_DURATION, OPT_LOG, OPT_ICE_SERVER,
         OPT_ICE_USER, OPT_ICE_CRED, OPT_RELAY_ONLY };
  static const struct option longopts[] = {
      {"source", required_argument, NULL, OPT_SOURCE},
      {"audio", required_argument, NULL, OPT_AUDIO},
      BRTC_SOURCE_LONGOPTS,
      {"token", required_argument, NULL, OPT_TOKEN},
      {"udp", required_argument, NULL, OPT_UDP},
      {"duration", required_argument, NULL, OPT_DURATION},
      {"log-level", required_argument, NULL, OPT_LOG},
      {"ice-server", required_argument, NULL, OPT_ICE_SERVER},
      {"ice-username", required_argument, NULL, OPT_ICE_USER},
      {"ice-credential", required_argument, NULL, OPT_ICE_CRED},
      {"relay-only", no_argument, NULL, OPT_RELAY_ONLY},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  int rc;
  opterr = 0;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    switch (c) {
    case OPT_SOURCE: o->video = optarg; break;
    case OPT_AUDIO: o->audio = optarg; break;
    case OPT_TOKEN: o->token = optarg; break;
    case OPT_UDP: o->udp = optarg; break;
    case OPT_ICE_USER: o->ice_username = optarg; break;
    case OPT_ICE_CRED: o->ice_credential = optarg; break;
    case OPT_RELAY_ONLY: o->relay_only = true; break;
    case OPT_ICE_SERVER:
      if (o->n_ice_servers == 4) return usage_error("at most 4 --ice-server");
      o->ice_servers[o->n_ice_servers++] = optarg;
      break;
    case OPT_DURATION:
      if (!brtc_cli_parse_number(optarg, 1, 86400 * 365, &o->duration_s))
        return usage_error("bad --duration \"%s\": expected seconds, at least 1", optarg);
      break;
    case OPT_LOG:
      if (!brtc_cli_parse_log_level(optarg, &o->level))
        return usage_error("bad --log-level \"%s\": expected debug, info or warn", optarg);
      break;
    default:
      if (brtc_source_option("publish", c, optarg, &o->source, &rc)) {
        if (rc >= 0) return rc;
        break;
      }
      return brtc_cli_other_option("publish", c, argv, brtc_publish_print_usage);
    }
  }
  if (optind != argc - 1) return usage_error("expected one URL, the WHIP endpoint");
  o->url = argv[optind];
  if (strncmp(o->url, "http://", 7) != 0 && strncmp(o->url, "https://", 8) != 0)
    return usage_error("the URL \"%s\" is not http:// or https://", o->url);
  return -1;
}

/* ---- sending ---- */

static void send_due(publish_app *app, publish_source *ps, uint64_t now) {
  brtc_source_frame f;
  int rc;
  while ((rc = brtc_source_take(ps->src, (int64_t)now, &f)) == 0) {
    if (!app->media_ready) continue; /* the source's clock runs; frames before keys drop */
    unsigned flags = f.keyframe ? BRTC_FRAME_KEYFRAME : 0;
    int sent = brtc_track_send_frame(ps->track, now, f.data, f.len, (uint64_t)f.capture_us,
                                     flags);
    if (sent == BRTC_ERR_AGAIN) ps->refused++;
    else if (sent != BRTC_OK)
      brtc_log(BRTC_LOG_WARN, NULL, "publish: a %zu-byte frame was not sent: %s", f.len,
               brtc_strerror(sent));
  }
  if (rc != BRTC_ERR_AGAIN && rc != 0) {
    brtc_log(BRTC_LOG_WARN, NULL, "publish: the source ended (%s)", brtc_strerror(rc));
    return;
  }
  int64_t due = brtc_source_next_due(ps->src, (int64_t)now);
  if (due != BRTC_SOURCE_NEVER) brtc_loop_timer_set(ps->timer, (uint64_t)due);
}

static void on_source_timer(void *user, uint64_t now) {
  publish_app *app = user;
  for (size_t i = 0; i < app->n_sources; i++)
    if (app->sources[i].timer) send_due(app, &app->sources[i], now);
}

static void on_source_fd(void *user, int fd, uint64_t now) {
  (void)fd;
  on_source_timer(user, now);
}

/* ---- the pc's events ---- */

static publish_source *source_of(publish_app *app, const brtc_output *out) {
  for (size_t i = 0; i < app->n_sources; i++)
    if (app->sources[i].track == out->media_track) return &app->sources[i];
  return NULL;
}

static void on_event(brtc_loop *loop, brtc_pc *pc, const brtc_output *out, void *user) {
  (void)pc;
  publish_app *app = user;
  uint64_t now = brtc_now_us();
  if (out->event == BRTC_EVENT_STEP) {
    brtc_log(BRTC_LOG_INFO, NULL, "publish: %s (%.1f ms)%s%s", brtc_pc_step_name(out->step),
             (double)(now - app->started_us) / 1000.0, out->detail ? ": " : "",
             out->detail ? out->detail : "");
    if (out->step == BRTC_STEP_SRTP_READY) {
      app->media_ready = true;
      /* connected: --duration counts from here (UINT64_MAX: never) */
      brtc_loop_timer_set(app->deadline, app->duration_us ? now + app->duration_us : UINT64_MAX);
      for (size_t i = 0; i < app->n_sources; i++) {
        brtc_source_request_keyframe(app->sources[i].src); /* the viewer starts on one */
        if (app->sources[i].timer) brtc_loop_timer_set(app->sources[i].timer, now);
      }
    } else if (out->step == BRTC_STEP_FAILED || out->step == BRTC_STEP_CLOSED) {
      app->failed = out->step == BRTC_STEP_FAILED;
      brtc_loop_stop(loop);
    }
  } else if (out->event == BRTC_EVENT_KEYFRAME_REQUEST) {
    publish_source *ps = source_of(app, out);
    if (ps) brtc_source_request_keyframe(ps->src);
  } else if (out->event == BRTC_EVENT_BITRATE_TARGET) {
    /* The receiver's estimate (REMB, reported loss) moved the track's target: an encoder
     * that outgrows the path only fills queues. A file's frames are what they are. */
    publish_source *ps = source_of(app, out);
    uint32_t bps = ps ? brtc_track_target_bitrate(ps->track) : 0;
    if (ps && bps > ps->max_bps) bps = ps->max_bps;
    if (ps && bps && bps != ps->encoder_bps && brtc_source_set_bitrate(ps->src, bps) == BRTC_OK) {
      ps->encoder_bps = bps;
      brtc_log(BRTC_LOG_INFO, NULL, "publish: encoder at %u kbit/s (the receiver's target)",
               bps / 1000);
    }
  } else if (out->event == BRTC_EVENT_LOG && out->detail) {
    brtc_log(BRTC_LOG_DEBUG, NULL, "publish: %s", out->detail);
  }
}

static void on_stop(void *user, int fd, uint64_t now) {
  (void)now;
  struct signalfd_siginfo info;
  while (read(fd, &info, sizeof(info)) == (ssize_t)sizeof(info)) {
  }
  brtc_loop_stop(((publish_app *)user)->loop);
}

static void on_deadline(void *user, uint64_t now) {
  (void)now;
  publish_app *app = user;
  if (!app->media_ready) {
    brtc_log(BRTC_LOG_WARN, NULL, "publish: no media path after %llu s: giving up",
             (unsigned long long)(CONNECT_TIMEOUT_US / 1000000u));
    app->failed = true;
  }
  brtc_loop_stop(app->loop);
}

/* ---- set-up ---- */

static int open_source(publish_app *app, const char *spec, const brtc_source_options *so,
                       char *err, size_t cap) {
  publish_source *ps = &app->sources[app->n_sources];
  if (brtc_source_open(spec, so, &ps->src, err, cap) < 0) return -1;
  app->n_sources++;
  ps->max_bps = ps->encoder_bps = so->bitrate_bps;
  brtc_source *s = ps->src;
  brtc_track_kind kind = s->codec == BRTC_SOURCE_OPUS ? BRTC_TRACK_AUDIO : BRTC_TRACK_VIDEO;
  int rc = brtc_pc_add_track(app->pc, kind, BRTC_DIRECTION_SENDONLY,
                             brtc_source_codec_name(s->codec), &ps->track);
  if (rc != BRTC_OK) {
    snprintf(err, cap, "cannot add a %s track: %s", brtc_source_codec_name(s->codec),
             brtc_strerror(rc));
    return -1;
  }
  ps->timer = brtc_loop_timer_new(app->loop, on_source_timer, app);
  int fd = brtc_source_fd(s);
  if (fd >= 0) ps->watch = brtc_loop_watch_fd(app->loop, fd, on_source_fd, app);
  if (!ps->timer || (fd >= 0 && !ps->watch)) {
    snprintf(err, cap, "out of memory");
    return -1;
  }
  brtc_log(BRTC_LOG_INFO, NULL, "publish: source %s", s->description);
  return 0;
}

static void log_summary(publish_app *app) {
  for (size_t i = 0; i < app->n_sources; i++) brtc_app_log_send_summary("publish", app->sources[i].track);
}

static void free_app(publish_app *app) {
  for (size_t i = 0; i < app->n_sources; i++) {
    brtc_loop_unwatch(app->sources[i].watch);
    brtc_loop_timer_free(app->sources[i].timer);
    brtc_source_free(app->sources[i].src);
  }
  brtc_loop_timer_free(app->deadline);
  if (app->pc) brtc_pc_free(app->pc);
  if (app->loop) brtc_loop_free(app->loop);
}

static int end_session(const whip_session *whip, const char *token) {
  char err[512];
  if (whip_delete(whip, token, HTTP_TIMEOUT_MS, err, sizeof(err)) != 0) {
    fprintf(stderr, "boltrtc publish: ending the session: %s\n", err);
    return -1;
  }
  brtc_log(BRTC_LOG_INFO, NULL, "publish: session ended (DELETE %s)", whip->resource_url);
  return 0;
}

int brtc_publish_main(int argc, char **argv) {
  publish_options o = {.video = "testpattern", .udp = "0.0.0.0:0", .level = BRTC_LOG_INFO};
  brtc_source_options_default(&o.source);
  int rc = parse_options(argc, argv, &o);
  if (rc >= 0) return rc;
  brtc_set_log_level(o.level);

  publish_app app = {.started_us = brtc_now_us(), .duration_us = o.duration_s * 1000000ull};
  char err[512];
  int exit_code = 1;
  brtc_certificate *cert = NULL;
  brtc_pc_config *pcc = NULL;
  whip_session whip = {0};
  bool posted = false;
  int stop_fd = brtc_cli_stop_fd();

  brtc_loop_config *lc = brtc_loop_config_new();
  if (!lc || brtc_loop_config_add_udp_address(lc, o.udp) != BRTC_OK) {
    fprintf(stderr, "boltrtc publish: bad --udp \"%s\"\n", o.udp);
    brtc_loop_config_free(lc);
    goto out;
  }
  app.loop = brtc_loop_new(lc, err, sizeof(err));
  brtc_loop_config_free(lc);
  if (!app.loop) {
    fprintf(stderr, "boltrtc publish: %s\n", err);
    goto out;
  }
  cert = brtc_certificate_generate();
  pcc = brtc_pc_config_new();
  if (!cert || !pcc || brtc_pc_config_set_certificate(pcc, cert) != BRTC_OK ||
      brtc_pc_config_set_ice_lite(pcc, false) != BRTC_OK ||
      brtc_app_add_host_candidates(app.loop, pcc, err, sizeof(err)) != 0) {
    fprintf(stderr, "boltrtc publish: cannot set up the peer connection: %s\n",
            err[0] ? err : "out of memory");
    goto out;
  }
  for (size_t i = 0; i < o.n_ice_servers; i++) {
    int irc = brtc_pc_config_add_ice_server(pcc, o.ice_servers[i], o.ice_username,
                                            o.ice_credential);
    if (irc != BRTC_OK) {
      fprintf(stderr, "boltrtc publish: --ice-server \"%s\": %s\n", o.ice_servers[i],
              irc == BRTC_ERR_UNSUPPORTED ? "not supported (a hostname, turns: or TCP)"
              : irc == BRTC_ERR_INVALID   ? "a turn: server needs --ice-username and --ice-credential"
                                          : "not a stun: or turn: URL");
      exit_code = 2;
      goto out;
    }
  }
  if (o.relay_only) (void)brtc_pc_config_set_ice_transport_policy(pcc, BRTC_ICE_TRANSPORT_RELAY);
  if (brtc_pc_new(pcc, &app.pc, err, sizeof(err)) != BRTC_OK) {
    fprintf(stderr, "boltrtc publish: %s\n", err);
    goto out;
  }
  if (open_source(&app, o.video, &o.source, err, sizeof(err)) != 0 ||
      (o.audio && open_source(&app, o.audio, &o.source, err, sizeof(err)) != 0)) {
    fprintf(stderr, "boltrtc publish: %s\n", err);
    goto out;
  }

  uint64_t now = brtc_now_us();
  const char *offer = NULL;
  if (brtc_pc_create_offer(app.pc, now, &offer, err, sizeof(err)) != BRTC_OK ||
      brtc_pc_set_local_description(app.pc, "offer", NULL, now, err, sizeof(err)) !=
          BRTC_OK) {
    fprintf(stderr, "boltrtc publish: cannot make the offer: %s\n", err);
    goto out;
  }
  brtc_log(BRTC_LOG_INFO, NULL, "publish: posting the offer to %s", o.url);
  app.started_us = brtc_now_us(); /* the journey's times count from the POST */
  if (whip_post_offer(o.url, o.token, offer, HTTP_TIMEOUT_MS, &whip, err, sizeof(err)) != 0) {
    fprintf(stderr, "boltrtc publish: %s\n", err);
    goto out;
  }
  posted = true;
  brtc_log(BRTC_LOG_INFO, NULL, "publish: answered (%.1f ms); the session is %s",
           (double)(brtc_now_us() - app.started_us) / 1000.0, whip.resource_url);
  if (brtc_pc_set_remote_description(app.pc, "answer", whip.answer, brtc_now_us(), err,
                                     sizeof(err)) != BRTC_OK) {
    fprintf(stderr, "boltrtc publish: the server's answer: %s\n", err);
    goto out;
  }
  app.deadline = brtc_loop_timer_new(app.loop, on_deadline, &app);
  brtc_loop_watch *stop_watch =
      stop_fd >= 0 ? brtc_loop_watch_fd(app.loop, stop_fd, on_stop, &app) : NULL;
  if (!app.deadline || brtc_loop_add_pc(app.loop, app.pc, on_event, &app) != BRTC_OK) {
    fprintf(stderr, "boltrtc publish: out of memory\n");
    brtc_loop_unwatch(stop_watch);
    goto out;
  }
  brtc_loop_timer_set(app.deadline, brtc_now_us() + CONNECT_TIMEOUT_US);
  brtc_loop_run(app.loop);
  brtc_loop_unwatch(stop_watch);
  log_summary(&app);
  exit_code = app.failed ? 1 : 0;
  /* RFC 9725 4.2: the client ends the session with DELETE; the server then closes its side.
   * Our close_notify and BYE follow, so that a server that missed the DELETE knows too. */
  if (end_session(&whip, o.token) != 0) exit_code = 1;
  posted = false;
  brtc_pc_close(app.pc, brtc_now_us());
  brtc_loop_remove_pc(app.loop, app.pc); /* sends the RTCP BYE and close_notify first */
out:
  if (posted && end_session(&whip, o.token) != 0) exit_code = 1;
  whip_session_clear(&whip);

  free_app(&app);
  brtc_pc_config_free(pcc);
  brtc_certificate_free(cert);
  if (stop_fd >= 0) close(stop_fd);
  return exit_code;
}
