/* remote_camera: the shape of a remote-controlled car's program, on the public API only (what
 * `boltrtc camera` does with more around it; docs/camera.md). The device makes the offer: a
 * VP8 video track, played from an IVF file at its own pace and looped, and a data channel
 * "control", unordered with maxRetransmits 0 (the newest command is the one that counts).
 * Each command the viewer sends goes to drive(), where a car's motor code goes, and is
 * acknowledged on the same channel.
 *
 *   build/examples/example_remote_camera CLIP.ivf [UDP_ADDR]
 *
 * Signaling is yours (a WebSocket, an MQTT broker, a cloud relay); here it is a pipe: the
 * offer on stdout followed by a line ".", the answer (with its candidates) on stdin up to a
 * line "." (tests/e2e/camera.mjs --example carries them to and from boltrtc camera's viewer
 * page). Log lines go to stderr. SIGINT or SIGTERM ends it. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "boltrtc/boltrtc.h"
#include "pipe_signaling.h"

/* ---- the car ---- */

/* A command, as the page sends it: {"seq":N,"t":ms,"steer":-1..1,"throttle":-1..1}. A car
 * parses it with its JSON library (cJSON, jansson), keeps the newest seq, and sets its
 * motors; this one prints it. */
static void drive(const char *json, size_t len) {
  fprintf(stderr, "remote_camera: command %.*s\n", (int)len, json);
}

/* ---- video: an IVF file (VP8), its frames at their own timestamps ---- */

typedef struct clip {
  uint8_t *bytes;
  size_t len, pos;      /* pos: the next frame's header */
  uint32_t rate, scale; /* timestamps are in scale/rate seconds */
} clip;

static int clip_open(clip *c, const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  c->bytes = n > 32 ? malloc((size_t)n) : NULL;
  c->len = c->bytes && fread(c->bytes, 1, (size_t)n, f) == (size_t)n ? (size_t)n : 0;
  fclose(f);
  if (c->len < 32 || memcmp(c->bytes, "DKIF", 4) != 0 || memcmp(c->bytes + 8, "VP80", 4) != 0)
    return -1;
  c->rate = c->bytes[16] | c->bytes[17] << 8 | c->bytes[18] << 16 | (uint32_t)c->bytes[19] << 24;
  c->scale = c->bytes[20] | c->bytes[21] << 8 | c->bytes[22] << 16 | (uint32_t)c->bytes[23] << 24;
  if (!c->rate || !c->scale) c->rate = 30, c->scale = 1;
  c->pos = 32;
  return 0;
}

/* The next frame (looping at the end); false if the file is broken. */
static bool clip_next(clip *c, const uint8_t **data, size_t *len) {
  if (c->pos + 12 > c->len) c->pos = 32;
  const uint8_t *h = c->bytes + c->pos;
  size_t n = h[0] | h[1] << 8 | h[2] << 16 | (size_t)h[3] << 24;
  if (n == 0 || c->pos + 12 + n > c->len) return false;
  *data = h + 12, *len = n;
  c->pos += 12 + n;
  return true;
}

/* ---- the device ---- */

typedef struct device {
  brtc_loop *loop;
  brtc_pc *pc;
  brtc_track *video;
  brtc_datachannel *control;
  brtc_loop_timer *frame_timer;
  clip clip;
  bool sending;
  uint64_t next_frame_us, frames;
} device;

static void on_frame_timer(void *user, uint64_t now) {
  device *d = user;
  const uint8_t *data;
  size_t len;
  if (!clip_next(&d->clip, &data, &len)) {
    fprintf(stderr, "remote_camera: the clip is broken\n");
    brtc_loop_stop(d->loop);
    return;
  }
  /* The capture time: when it is sent (a camera would give its own). */
  if (brtc_track_send_frame(d->video, now, data, len, now, 0) == BRTC_OK) d->frames++;
  d->next_frame_us += 1000000ull * d->clip.scale / d->clip.rate;
  if (d->next_frame_us < now) d->next_frame_us = now; /* late: no burst to catch up */
  brtc_loop_timer_set(d->frame_timer, d->next_frame_us);
}

/* Ack a command on its channel: the command itself, marked as an ack and stamped with our
 * wall clock (Unix ms), so the page reads back its seq and t with no parsing here. */
static void ack(device *d, const char *json, size_t len, uint64_t now) {
  char buf[600];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  double rx = (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
  if (len < 2 || json[0] != '{' || len > 512) return;
  int n = snprintf(buf, sizeof buf, "{\"type\":\"ack\",\"rx\":%.3f,%.*s", rx, (int)len - 1, json + 1);
  if (n > 0 && (size_t)n < sizeof buf)
    brtc_datachannel_send(d->control, now, (const uint8_t *)buf, (size_t)n, false);
}

static void on_event(brtc_loop *loop, brtc_pc *pc, const brtc_output *ev, void *user) {
  (void)pc;
  device *d = user;
  uint64_t now = brtc_now_us();
  switch (ev->event) {
    case BRTC_EVENT_STEP:
      fprintf(stderr, "remote_camera: %s%s%s\n", brtc_pc_step_name(ev->step),
              ev->detail ? ": " : "", ev->detail ? ev->detail : "");
      if (ev->step == BRTC_STEP_SRTP_READY && !d->sending) {
        d->sending = true; /* from the clip's first frame: a keyframe */
        d->next_frame_us = now;
        brtc_loop_timer_set(d->frame_timer, now);
      } else if (ev->step == BRTC_STEP_FAILED || ev->step == BRTC_STEP_CLOSED) {
        drive("{\"stop\":true}", 13); /* the viewer is gone: stop the car */
        brtc_loop_stop(loop);
      }
      break;
    case BRTC_EVENT_KEYFRAME_REQUEST:
      d->clip.pos = 32; /* a file has keyframes only where they are: start it again */
      break;
    case BRTC_EVENT_DATACHANNEL_OPEN:
      fprintf(stderr, "remote_camera: channel %s open\n", brtc_datachannel_label(ev->channel));
      break;
    case BRTC_EVENT_DATACHANNEL_MESSAGE:
      if (ev->channel != d->control || ev->binary) break;
      drive((const char *)ev->data, ev->len);
      ack(d, (const char *)ev->data, ev->len, now);
      break;
    default: break;
  }
}

static void on_signal(void *user, int fd, uint64_t now) {
  (void)now;
  struct signalfd_siginfo si;
  if (read(fd, &si, sizeof si) < 0) { /* nothing to do: we stop either way */
  }
  brtc_loop_stop(((device *)user)->loop);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: remote_camera CLIP.ivf [UDP_ADDR]\n");
    return 2;
  }
  device d = {0};
  if (clip_open(&d.clip, argv[1]) != 0) {
    fprintf(stderr, "remote_camera: %s is not an IVF VP8 file\n", argv[1]);
    free(d.clip.bytes);
    return 1;
  }
  char err[256] = "";
  brtc_loop_config *lc = brtc_loop_config_new();
  if (lc && brtc_loop_config_add_udp_address(lc, argc > 2 ? argv[2] : "127.0.0.1:0") == BRTC_OK)
    d.loop = brtc_loop_new(lc, err, sizeof err);
  brtc_loop_config_free(lc);
  brtc_certificate *cert = NULL;
  if (d.loop && brtc_certificate_new(&cert, err, sizeof err) != BRTC_OK) cert = NULL;
  brtc_pc_config *cfg = brtc_pc_config_new();
  int rc = d.loop && cert && cfg ? BRTC_OK : BRTC_ERR_NOMEM;
  if (rc == BRTC_OK) {
    brtc_pc_config_set_certificate(cfg, cert);
    brtc_pc_config_set_datachannels(cfg, true);
    brtc_loop_config_pc(d.loop, cfg);
    rc = brtc_pc_new(cfg, &d.pc, err, sizeof err);
  }
  brtc_pc_config_free(cfg);
  /* The channel and the track before the offer, so that it carries both. */
  brtc_datachannel_init init;
  brtc_datachannel_init_default(&init);
  init.ordered = false;
  init.max_retransmits = 0;
  uint64_t now = brtc_now_us();
  if (rc == BRTC_OK) rc = brtc_pc_create_datachannel(d.pc, now, "control", &init, &d.control, err, sizeof err);
  if (rc == BRTC_OK) rc = brtc_pc_add_track(d.pc, BRTC_TRACK_VIDEO, BRTC_DIRECTION_SENDONLY, "VP8", &d.video);
  const char *offer = NULL;
  if (rc == BRTC_OK) rc = brtc_pc_create_offer(d.pc, now, &offer, err, sizeof err);
  if (rc == BRTC_OK) rc = brtc_pc_set_local_description(d.pc, "offer", NULL, now, err, sizeof err);
  if (rc == BRTC_OK) {
    printf("%s.\n", offer);
    fflush(stdout);
    static char answer[65536];
    read_description(answer, sizeof answer);
    rc = brtc_pc_set_remote_description(d.pc, "answer", answer, brtc_now_us(), err, sizeof err);
  }
  d.frame_timer = d.loop ? brtc_loop_timer_new(d.loop, on_frame_timer, &d) : NULL;
  if (rc == BRTC_OK) rc = brtc_loop_add_pc(d.loop, d.pc, on_event, &d);
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  sigprocmask(SIG_BLOCK, &stop, NULL);
  int stop_fd = signalfd(-1, &stop, SFD_NONBLOCK | SFD_CLOEXEC);
  brtc_loop_watch *stop_watch = stop_fd >= 0 && d.loop ? brtc_loop_watch_fd(d.loop, stop_fd, on_signal, &d) : NULL;
  if (rc == BRTC_OK && d.frame_timer && stop_watch) {
    brtc_loop_run(d.loop);
    fprintf(stderr, "remote_camera: %llu frames sent\n", (unsigned long long)d.frames);
    brtc_pc_close(d.pc, brtc_now_us());
    brtc_loop_remove_pc(d.loop, d.pc);
  } else {
    fprintf(stderr, "remote_camera: %s (%s)\n", err[0] ? err : "cannot start", brtc_strerror(rc));
  }
  brtc_loop_unwatch(stop_watch);
  if (stop_fd >= 0) close(stop_fd);
  brtc_loop_timer_free(d.frame_timer);
  brtc_pc_free(d.pc);
  if (d.loop) brtc_loop_free(d.loop);
  brtc_certificate_free(cert);
  free(d.clip.bytes);
  return rc == BRTC_OK ? 0 : 1;
}
