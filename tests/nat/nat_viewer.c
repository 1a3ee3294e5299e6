/* A viewer of `boltrtc camera` in the NAT lab, on the public API only: it answers the
 * camera's offer (carried from the room by the test, as lab_peer.h's lines), receives its
 * video track and drives it over the camera's "control" channel in the camera's own JSON
 * (docs/camera.md, "Commands and acks"). Besides lab_peer's lines it reports:
 *   frame SHA256 KEY     each whole video frame received (BRTC_EVENT_FRAME): the SHA-256 of
 *                        its bytes, KEY 1 for a keyframe; the test matches them with the file
 *                        the camera plays
 *   lost N               N frames given up (BRTC_EVENT_FRAME_LOST)
 *   command JSON         a command sent on the control channel
 *   ack JSON             what the camera sent back on it
 *   pair LTYPE LADDR RTYPE RADDR   the selected candidate pair (the stats report)
 *   done                 FRAMES frames and an ack for each of COMMANDS commands came
 * Usage: nat_viewer HOST:PORT [--ice-server URL]... [--ice-user U] [--ice-password P]
 *                   [--frames N] [--commands N] [--seconds S] */
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/datachannel.h"
#include "boltrtc/error.h"
#include "boltrtc/stats.h"
#include "lab_peer.h"

#define MAX_COMMANDS 64

typedef struct viewer {
  unsigned frames_wanted, frames;
  unsigned commands, acked;
  bool command_acked[MAX_COMMANDS];
  brtc_datachannel *control;
  bool commands_sent;
} viewer;

/* What a driver sends: full lock both ways, straight on, reverse, a stop. */
static const double STEER[] = {1, 0, -1, 0.5, 0, -0.25}, THROTTLE[] = {0, 1, 1, -0.5, 0, 0.75};

static void say_frame(const brtc_output *out) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned md_len = 0;
  char line[2 * EVP_MAX_MD_SIZE + 4];
  if (!EVP_Digest(out->data, out->len, md, &md_len, EVP_sha256(), NULL)) {
    lab_peer_say("failed", "SHA-256 failed");
    return;
  }
  for (unsigned i = 0; i < md_len; i++) sprintf(line + 2 * i, "%02x", md[i]);
  sprintf(line + 2 * md_len, " %d", out->keyframe ? 1 : 0);
  lab_peer_say("frame", line);
}

/* The selected pair as the stats report has it (W3C webrtc-stats: transport, candidate-pair,
 * local-candidate, remote-candidate). */
static void say_pair(lab_peer *p) {
  brtc_stats_report *r = NULL;
  if (brtc_pc_get_stats_report(p->pc, brtc_now_us(), &r) != BRTC_OK) return;
  size_t t = brtc_stats_find_type(r, "transport", SIZE_MAX);
  const char *pair_id = brtc_stats_get_string(r, t, "selectedCandidatePairId");
  size_t pair = pair_id ? brtc_stats_find_id(r, pair_id) : SIZE_MAX;
  const char *ids[2] = {brtc_stats_get_string(r, pair, "localCandidateId"),
                        brtc_stats_get_string(r, pair, "remoteCandidateId")};
  char line[256] = "", *at = line;
  for (int side = 0; side < 2; side++) {
    size_t c = ids[side] ? brtc_stats_find_id(r, ids[side]) : SIZE_MAX;
    const char *type = brtc_stats_get_string(r, c, "candidateType");
    const char *addr = brtc_stats_get_string(r, c, "address");
    uint64_t port = 0;
    brtc_stats_get_u64(r, c, "port", &port);
    at += snprintf(at, sizeof line - (size_t)(at - line), "%s%s %s:%llu", side ? " " : "",
                   type ? type : "none", addr ? addr : "-", (unsigned long long)port);
  }
  lab_peer_say("pair", line);
  /* Every pair with its checks, for the reader of a failure. */
  for (size_t i = brtc_stats_find_type(r, "candidate-pair", SIZE_MAX); i != SIZE_MAX;
       i = brtc_stats_find_type(r, "candidate-pair", i)) {
    uint64_t sent = 0, answered = 0, received = 0;
    brtc_stats_get_u64(r, i, "requestsSent", &sent);
    brtc_stats_get_u64(r, i, "responsesReceived", &answered);
    brtc_stats_get_u64(r, i, "requestsReceived", &received);
    const char *state = brtc_stats_get_string(r, i, "state");
    snprintf(line, sizeof line, "%s %s: %llu checks sent, %llu answered, %llu received",
             brtc_stats_id(r, i), state ? state : "-", (unsigned long long)sent,
             (unsigned long long)answered, (unsigned long long)received);
    lab_peer_say("checked", line);
  }
  brtc_stats_free(r);
}

static void maybe_done(lab_peer *p) {
  viewer *v = p->role;
  if (!p->ice_connected || v->frames < v->frames_wanted || v->acked < v->commands) return;
  say_pair(p);
  lab_peer_say("done", NULL);
  lab_peer_stop(p, 0);
}

static void send_commands(lab_peer *p) {
  viewer *v = p->role;
  if (v->commands_sent || !v->control ||
      brtc_datachannel_get_state(v->control) != BRTC_DATACHANNEL_OPEN)
    return;
  v->commands_sent = true;
  for (unsigned seq = 0; seq < v->commands; seq++) {
    char cmd[128];
    size_t k = seq % (sizeof STEER / sizeof STEER[0]);
    int n = snprintf(cmd, sizeof cmd, "{\"seq\":%u,\"t\":%.3f,\"steer\":%g,\"throttle\":%g}", seq,
                     (double)brtc_now_us() / 1000.0, STEER[k], THROTTLE[k]);
    lab_peer_say("command", cmd);
    if (brtc_datachannel_send(v->control, brtc_now_us(), (const uint8_t *)cmd, (size_t)n,
                              false) != BRTC_OK)
      lab_peer_say("failed", "a command was not sent");
  }
}

/* An ack ({"type":"ack","seq":N,...}) counts once per command. */
static void on_control_message(lab_peer *p, const brtc_output *out) {
  viewer *v = p->role;
  printf("ack %.*s\n", (int)out->len, (const char *)out->data);
  fflush(stdout);
  cJSON *m = cJSON_ParseWithLength((const char *)out->data, out->len);
  const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "type"));
  const cJSON *seq = cJSON_GetObjectItemCaseSensitive(m, "seq");
  if (type && strcmp(type, "ack") == 0 && cJSON_IsNumber(seq) && seq->valuedouble >= 0 &&
      seq->valuedouble < v->commands && !v->command_acked[(unsigned)seq->valuedouble]) {
    v->command_acked[(unsigned)seq->valuedouble] = true;
    v->acked++;
  }
  cJSON_Delete(m);
  maybe_done(p);
}

static void on_event(lab_peer *p, const brtc_output *out) {
  viewer *v = p->role;
  char line[32];
  switch (out->event) {
    case BRTC_EVENT_STEP:
      if (out->step == BRTC_STEP_ICE_CONNECTED) maybe_done(p);
      break;
    case BRTC_EVENT_FRAME:
      say_frame(out);
      v->frames++;
      maybe_done(p);
      break;
    case BRTC_EVENT_FRAME_LOST:
      snprintf(line, sizeof line, "%u", (unsigned)out->frames_lost);
      lab_peer_say("lost", line);
      break;
    case BRTC_EVENT_DATACHANNEL: /* the camera's channel: open once the peer announced it */
      if (strcmp(brtc_datachannel_label(out->channel), "control") == 0) v->control = out->channel;
      send_commands(p);
      break;
    case BRTC_EVENT_DATACHANNEL_OPEN: send_commands(p); break;
    case BRTC_EVENT_DATACHANNEL_MESSAGE:
      if (out->channel == v->control) on_control_message(p, out);
      break;
    default: break;
  }
}

static bool viewer_option(lab_peer *p, const char *option, const char *value) {
  viewer *v = p->role;
  if (strcmp(option, "--frames") == 0) v->frames_wanted = (unsigned)atoi(value);
  else if (strcmp(option, "--commands") == 0) v->commands = (unsigned)atoi(value);
  else return false;
  if (v->commands > MAX_COMMANDS) v->commands = MAX_COMMANDS;
  return true;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: nat_viewer HOST:PORT [--ice-server URL]... [--ice-user U] "
                    "[--ice-password P] [--frames N] [--commands N] [--seconds S]\n");
    return 2;
  }
  static lab_peer p;
  viewer v = {.frames_wanted = 40, .commands = 6};
  p.role = &v;
  p.on_event = on_event;
  int rc = lab_peer_start(&p, "nat_viewer", argv[1], argc - 2, argv + 2, viewer_option);
  if (rc == 0) rc = lab_peer_run(&p);
  lab_peer_close(&p);
  return rc;
}
