/* The NAT lab's peers' loop, signaling lines and deadline (lab_peer.h). */
#include "lab_peer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boltrtc/error.h"

void lab_peer_say(const char *kind, const char *text) {
  printf("%s%s%s\n", kind, text ? " " : "", text ? text : "");
  fflush(stdout);
}

double lab_peer_ms(const lab_peer *p) {
  return (double)(brtc_now_us() - p->described_us) / 1000.0;
}

void lab_peer_say_sdp(lab_peer *p, const char *kind, const char *sdp) {
  char *flat = strdup(sdp);
  if (!flat) exit(1);
  for (char *c = flat; *c; c++)
    if (*c == '\r' || *c == '\n') *c = '|';
  lab_peer_say(kind, flat);
  free(flat);
  p->described_us = brtc_now_us();
}

void lab_peer_stop(lab_peer *p, int rc) {
  if (rc) p->rc = rc;
  brtc_loop_stop(p->loop);
}

static void on_event(brtc_loop *loop, brtc_pc *pc, const brtc_output *out, void *user) {
  (void)loop, (void)pc;
  lab_peer *p = user;
  char line[512];
  if (out->event == BRTC_EVENT_ICE_CANDIDATE) {
    lab_peer_say("cand", out->detail);
  } else if (out->event == BRTC_EVENT_ICE_GATHERING_COMPLETE) {
    lab_peer_say("cand", NULL);
  } else if (out->event == BRTC_EVENT_STEP && out->step == BRTC_STEP_ICE_CONNECTED) {
    snprintf(line, sizeof line, "%.1f %s", lab_peer_ms(p), out->detail ? out->detail : "");
    lab_peer_say("connected", line);
    p->ice_connected = true;
  } else if (out->event == BRTC_EVENT_STEP && out->step == BRTC_STEP_FAILED) {
    lab_peer_say("failed", out->detail);
    lab_peer_stop(p, 1);
    return;
  }
  if (p->on_event) p->on_event(p, out);
}

static void handle_line(lab_peer *p, char *line) {
  char err[256] = "";
  uint64_t now = brtc_now_us();
  if (strncmp(line, "cand", 4) == 0) {
    const char *c = line[4] == ' ' ? line + 5 : "";
    if (brtc_pc_add_ice_candidate(p->pc, c) != BRTC_OK) lab_peer_say("failed", "a candidate refused");
    return;
  }
  bool offer = strncmp(line, "offer ", 6) == 0, answer = strncmp(line, "answer ", 7) == 0;
  if (!offer && !answer) return;
  char *sdp = line + (offer ? 6 : 7);
  for (char *c = sdp; *c; c++)
    if (*c == '|') *c = c[1] == '|' ? '\r' : '\n';
  if (brtc_pc_set_remote_description(p->pc, offer ? "offer" : "answer", sdp, now, err,
                                     sizeof err) != BRTC_OK) {
    lab_peer_say("failed", err);
    lab_peer_stop(p, 1);
    return;
  }
  if (offer) {
    const char *ans = NULL;
    if (brtc_pc_create_answer(p->pc, &ans, err, sizeof err) != BRTC_OK ||
        brtc_pc_set_local_description(p->pc, "answer", NULL, now, err, sizeof err) != BRTC_OK) {
      lab_peer_say("failed", err);
      return;
    }
    lab_peer_say_sdp(p, "answer", ans);
  }
}

static void on_stdin(void *user, int fd, uint64_t now) {
  (void)now;
  lab_peer *p = user;
  ssize_t n = read(fd, p->in + p->in_len, sizeof p->in - p->in_len - 1);
  if (n <= 0) {
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) brtc_loop_stop(p->loop);
    return;
  }
  p->in_len += (size_t)n;
  p->in[p->in_len] = '\0';
  char *start = p->in, *nl;
  while ((nl = strchr(start, '\n')) != NULL) {
    *nl = '\0';
    handle_line(p, start);
    start = nl + 1;
  }
  p->in_len = (size_t)(p->in + p->in_len - start);
  memmove(p->in, start, p->in_len);
}

static void on_deadline(void *user, uint64_t now) {
  (void)now;
  lab_peer *p = user;
  lab_peer_say("failed", "timed out");
  lab_peer_stop(p, 1);
}

static int open_loop(lab_peer *p, const char *name, const char *udp_address) {
  char err[256];
  p->seconds = 20;
  p->ice_user = "lab";
  p->ice_password = "labpass";
  brtc_loop_config *lc = brtc_loop_config_new();
  if (!lc || brtc_loop_config_add_udp_address(lc, udp_address) != BRTC_OK) {
    fprintf(stderr, "%s: bad address %s\n", name, udp_address);
    brtc_loop_config_free(lc);
    return -1;
  }
  p->loop = brtc_loop_new(lc, err, sizeof err);
  brtc_loop_config_free(lc);
  if (!p->loop) {
    fprintf(stderr, "%s: %s\n", name, err);
    return -1;
  }
  p->cert = brtc_certificate_generate();
  p->cfg = brtc_pc_config_new();
  if (!p->cert || !p->cfg) {
    fprintf(stderr, "%s: out of memory\n", name);
    return -1;
  }
  brtc_pc_config_set_certificate(p->cfg, p->cert);
  brtc_pc_config_set_datachannels(p->cfg, true);
  brtc_loop_config_pc(p->loop, p->cfg);
  return 0;
}

/* 1 taken (with its value, *i moved past it), 0 not a shared option, -1 a bad one. */
static int shared_option(lab_peer *p, int argc, char **argv, int *i) {
  const char *opt = argv[*i], *value = *i + 1 < argc ? argv[*i + 1] : NULL;
  if (strcmp(opt, "--relay-only") == 0) {
    brtc_pc_config_set_ice_transport_policy(p->cfg, BRTC_ICE_TRANSPORT_RELAY);
    return 1;
  }
  bool known = strcmp(opt, "--ice-server") == 0 || strcmp(opt, "--ice-user") == 0 ||
               strcmp(opt, "--ice-password") == 0 || strcmp(opt, "--seconds") == 0;
  if (!known) return 0;
  if (!value) {
    fprintf(stderr, "%s needs a value\n", opt);
    return -1;
  }
  ++*i;
  if (strcmp(opt, "--ice-user") == 0) {
    p->ice_user = value;
  } else if (strcmp(opt, "--ice-password") == 0) {
    p->ice_password = value;
  } else if (strcmp(opt, "--seconds") == 0) {
    p->seconds = (unsigned)atoi(value);
  } else if (brtc_pc_config_add_ice_server(p->cfg, value, p->ice_user, p->ice_password) !=
             BRTC_OK) {
    fprintf(stderr, "bad --ice-server %s\n", value);
    return -1;
  }
  return 1;
}

int lab_peer_start(lab_peer *p, const char *name, const char *udp_address, int argc,
                   char **argv, lab_peer_option_fn role_option) {
  if (open_loop(p, name, udp_address) != 0) return 1;
  for (int i = 0; i < argc; i++) {
    int taken = shared_option(p, argc, argv, &i);
    if (taken < 0) return 2;
    if (taken) continue;
    if (i + 1 >= argc || !role_option(p, argv[i], argv[i + 1])) {
      fprintf(stderr, "%s: unknown option %s\n", name, argv[i]);
      return 2;
    }
    i++;
  }
  char err[256];
  int rc = brtc_pc_new(p->cfg, &p->pc, err, sizeof err);
  brtc_pc_config_free(p->cfg);
  p->cfg = NULL;
  if (rc != BRTC_OK) {
    fprintf(stderr, "%s: %s\n", name, err);
    return 1;
  }
  return 0;
}

int lab_peer_run(lab_peer *p) {
  p->deadline = brtc_loop_timer_new(p->loop, on_deadline, p);
  p->input = brtc_loop_watch_fd(p->loop, 0, on_stdin, p);
  if (!p->deadline || !p->input || brtc_loop_add_pc(p->loop, p->pc, on_event, p) != BRTC_OK) {
    fprintf(stderr, "out of memory\n");
    return 1;
  }
  brtc_loop_timer_set(p->deadline, brtc_now_us() + p->seconds * 1000000ull);
  brtc_loop_run(p->loop);
  return p->rc;
}

void lab_peer_close(lab_peer *p) {
  if (p->input) brtc_loop_unwatch(p->input);
  brtc_loop_timer_free(p->deadline);
  if (p->pc && p->loop) brtc_loop_remove_pc(p->loop, p->pc);
  brtc_pc_free(p->pc);
  brtc_pc_config_free(p->cfg);
  brtc_loop_free(p->loop);
  brtc_certificate_free(p->cert);
}
