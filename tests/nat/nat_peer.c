/* One peer of the NAT lab's ICE test, on the public API only: a brtc_loop with one UDP socket
 * on the host's address, a pc with the lab's STUN/TURN server, and signaling as lines on
 * stdin and stdout that the test carries to the other peer (trickle, RFC 8838):
 *   offer SDP / answer SDP   the description, CRLF written as '|'
 *   cand LINE                a candidate (BRTC_EVENT_ICE_CANDIDATE); "cand" alone: the end
 * and what it reports:
 *   connected MS DETAIL      ICE nominated a pair, MS after the description went out
 *   open MS                  the data channel opened (DTLS and SCTP up)
 *   echoed N MS              the offerer got N messages echoed back
 *   failed REASON
 * Usage: nat_peer offer|answer HOST:PORT [--ice-server URL]... [--relay-only]
 *                 [--messages N] [--seconds S] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boltrtc/datachannel.h"
#include "boltrtc/error.h"
#include "boltrtc/loop.h"
#include "boltrtc/peer_connection.h"

#define MESSAGE_LEN 1000

typedef struct peer {
  brtc_loop *loop;
  brtc_pc *pc;
  bool offerer;
  brtc_datachannel *channel;
  unsigned messages, sent, echoed;
  uint64_t described_us; /* when our description went out */
  bool ice_connected;
  char in[1 << 17];
  size_t in_len;
  int rc;
} peer;

static void say(const char *kind, const char *text) {
  printf("%s%s%s\n", kind, text ? " " : "", text ? text : "");
  fflush(stdout);
}

static double ms_since(const peer *p) { return (double)(brtc_now_us() - p->described_us) / 1000.0; }

static void say_sdp(peer *p, const char *kind, const char *sdp) {
  char *flat = strdup(sdp);
  if (!flat) exit(1);
  for (char *c = flat; *c; c++)
    if (*c == '\r' || *c == '\n') *c = '|';
  say(kind, flat);
  free(flat);
  p->described_us = brtc_now_us();
}

static void send_more(peer *p) {
  uint8_t msg[MESSAGE_LEN];
  while (p->sent < p->messages && p->sent - p->echoed < 16) {
    memset(msg, 'a' + (int)(p->sent % 26), sizeof msg);
    if (brtc_datachannel_send(p->channel, brtc_now_us(), msg, sizeof msg, true) != BRTC_OK) return;
    p->sent++;
  }
}

static void on_event(brtc_loop *loop, brtc_pc *pc, const brtc_output *out, void *user) {
  (void)loop, (void)pc;
  peer *p = user;
  char line[512];
  switch (out->event) {
    case BRTC_EVENT_ICE_CANDIDATE: say("cand", out->detail); break;
    case BRTC_EVENT_ICE_GATHERING_COMPLETE: say("cand", NULL); break;
    case BRTC_EVENT_STEP:
      if (out->step == BRTC_STEP_ICE_CONNECTED) {
        snprintf(line, sizeof line, "%.1f %s", ms_since(p), out->detail ? out->detail : "");
        say("connected", line);
        p->ice_connected = true;
        if (p->offerer && p->messages && p->echoed == p->messages) brtc_loop_stop(p->loop);
      } else if (out->step == BRTC_STEP_FAILED) {
        say("failed", out->detail);
        p->rc = 1;
        brtc_loop_stop(p->loop);
      }
      break;
    case BRTC_EVENT_DATACHANNEL: p->channel = out->channel; break;
    case BRTC_EVENT_DATACHANNEL_OPEN:
      snprintf(line, sizeof line, "%.1f", ms_since(p));
      say("open", line);
      if (p->offerer) send_more(p);
      break;
    case BRTC_EVENT_DATACHANNEL_MESSAGE:
      if (!p->offerer) {
        (void)brtc_datachannel_send(p->channel, brtc_now_us(), out->data, out->len, out->binary);
        break;
      }
      if (out->len == MESSAGE_LEN) p->echoed++;
      if (p->echoed == p->messages) {
        snprintf(line, sizeof line, "%u %.1f", p->echoed, ms_since(p));
        say("echoed", line);
        if (p->ice_connected) brtc_loop_stop(p->loop); /* else once nominated */
      }
      send_more(p);
      break;
    case BRTC_EVENT_DATACHANNEL_BUFFERED_AMOUNT_LOW: if (p->offerer) send_more(p); break;
    default: break;
  }
}

static void handle_line(peer *p, char *line) {
  char err[256] = "";
  uint64_t now = brtc_now_us();
  if (strncmp(line, "cand", 4) == 0) {
    const char *c = line[4] == ' ' ? line + 5 : "";
    if (brtc_pc_add_ice_candidate(p->pc, c) != BRTC_OK) say("failed", "a candidate refused");
    return;
  }
  bool offer = strncmp(line, "offer ", 6) == 0, answer = strncmp(line, "answer ", 7) == 0;
  if (!offer && !answer) return;
  char *sdp = line + (offer ? 6 : 7);
  for (char *c = sdp; *c; c++)
    if (*c == '|') *c = c[1] == '|' ? '\r' : '\n';
  if (brtc_pc_set_remote_description(p->pc, offer ? "offer" : "answer", sdp, now, err,
                                     sizeof err) != BRTC_OK) {
    say("failed", err);
    p->rc = 1;
    brtc_loop_stop(p->loop);
    return;
  }
  if (offer) {
    const char *ans = NULL;
    if (brtc_pc_create_answer(p->pc, &ans, err, sizeof err) != BRTC_OK ||
        brtc_pc_set_local_description(p->pc, "answer", NULL, now, err, sizeof err) != BRTC_OK) {
      say("failed", err);
      return;
    }
    say_sdp(p, "answer", ans);
  }
}

static void on_stdin(void *user, int fd, uint64_t now) {
  (void)now;
  peer *p = user;
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

static void on_timeout(void *user, uint64_t now) {
  (void)now;
  peer *p = user;
  say("failed", "timed out");
  p->rc = 1;
  brtc_loop_stop(p->loop);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: nat_peer offer|answer HOST:PORT [--ice-server URL]... "
                    "[--relay-only] [--messages N] [--seconds S]\n");
    return 2;
  }
  static peer p;
  p.offerer = strcmp(argv[1], "offer") == 0;
  p.messages = 100;
  unsigned seconds = 20;
  char err[256];
  brtc_loop_config *lc = brtc_loop_config_new();
  if (brtc_loop_config_add_udp_address(lc, argv[2]) != BRTC_OK) return 2;
  p.loop = brtc_loop_new(lc, err, sizeof err);
  brtc_loop_config_free(lc);
  if (!p.loop) {
    fprintf(stderr, "nat_peer: %s\n", err);
    return 1;
  }
  brtc_certificate *cert = brtc_certificate_generate();
  brtc_pc_config *cfg = brtc_pc_config_new();
  brtc_pc_config_set_certificate(cfg, cert);
  brtc_pc_config_set_datachannels(cfg, true);
  brtc_loop_config_pc(p.loop, cfg);
  for (int i = 3; i < argc; i++) {
    if (strcmp(argv[i], "--ice-server") == 0 && i + 1 < argc) {
      if (brtc_pc_config_add_ice_server(cfg, argv[++i], "lab", "labpass") != BRTC_OK) {
        fprintf(stderr, "nat_peer: bad --ice-server %s\n", argv[i]);
        return 2;
      }
    } else if (strcmp(argv[i], "--relay-only") == 0) {
      brtc_pc_config_set_ice_transport_policy(cfg, BRTC_ICE_TRANSPORT_RELAY);
    } else if (strcmp(argv[i], "--messages") == 0 && i + 1 < argc) {
      p.messages = (unsigned)atoi(argv[++i]);
    } else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      seconds = (unsigned)atoi(argv[++i]);
    }
  }
  if (brtc_pc_new(cfg, &p.pc, err, sizeof err) != BRTC_OK) {
    fprintf(stderr, "nat_peer: %s\n", err);
    return 1;
  }
  brtc_pc_config_free(cfg);
  uint64_t now = brtc_now_us();
  if (p.offerer) {
    brtc_datachannel_init init;
    brtc_datachannel_init_default(&init);
    const char *offer = NULL;
    if (brtc_pc_create_datachannel(p.pc, now, "chat", &init, &p.channel, err, sizeof err) !=
            BRTC_OK ||
        brtc_pc_create_offer(p.pc, now, &offer, err, sizeof err) != BRTC_OK ||
        brtc_pc_set_local_description(p.pc, "offer", NULL, now, err, sizeof err) != BRTC_OK) {
      fprintf(stderr, "nat_peer: %s\n", err);
      return 1;
    }
    say_sdp(&p, "offer", offer);
  }
  brtc_loop_timer *t = brtc_loop_timer_new(p.loop, on_timeout, &p);
  brtc_loop_timer_set(t, now + seconds * 1000000ull);
  brtc_loop_watch *w = brtc_loop_watch_fd(p.loop, 0, on_stdin, &p);
  if (!t || !w || brtc_loop_add_pc(p.loop, p.pc, on_event, &p) != BRTC_OK) return 1;
  brtc_loop_run(p.loop);
  if (!p.offerer && p.rc == 0) say("done", NULL);
  brtc_loop_unwatch(w);
  brtc_loop_timer_free(t);
  brtc_loop_remove_pc(p.loop, p.pc);
  brtc_pc_free(p.pc);
  brtc_loop_free(p.loop);
  brtc_certificate_free(cert);
  return p.rc;
}
