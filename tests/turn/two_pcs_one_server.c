/* Two pcs on one loop that share a STUN server and a TURN server, on the public API only.
 *
 *   two_pcs_one_server TURN_PORT|TURN_URL [CA_FILE [MESSAGES]]
 *
 * With a port, TURN is reached over UDP (turn:127.0.0.1:PORT?transport=udp) and both parts
 * run; with a URL ("turn:127.0.0.1:PORT?transport=tcp", "turns:127.0.0.1:PORT") only the
 * second, over that transport, the server's certificate verified against CA_FILE.
 *
 * 1. srflx: two pcs on one loop send Binding requests to one STUN server (ours, below: it
 *    answers as a NAT's public side would, 192.0.2.1 at the loop's port, and answers each
 *    transaction once, so an answer the loop hands to the wrong pc is lost for good, as it
 *    is when a later copy is lost on the way). Each must learn its server-reflexive
 *    candidate from its own answer (RFC 8489 6.3.3: the transaction ID matches them).
 * 2. relay: two pcs on that loop, relay-only, allocate on one TURN server (127.0.0.1 at
 *    TURN_PORT, user alice, password s3cret), each with its own peer on a loop of its own;
 *    both must get a relayed candidate (distinct allocations: RFC 8656 ties an allocation to
 *    its 5-tuple, so from one shared port the second Allocate gets 437), connect through
 *    the relay, and have MESSAGES data-channel messages echoed by their peer byte for byte.
 * Exit 0 when all of it held; 1 otherwise, with the reason on stderr. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "boltrtc/boltrtc.h"

#define MAX_SIZE 4000
/* How long each part may take (TWO_PCS_WAIT_S overrides: a run expected to fail). */
static uint64_t wait_us = 20 * 1000000ull;

/* ---- a STUN server that answers each transaction once, as from behind a NAT ---- */

typedef struct stun_once {
  int fd;
  uint16_t port;
  uint8_t seen[64][12];
  size_t n_seen;
  unsigned answered, ignored;
} stun_once;

static void stun_readable(void *user, int fd, uint64_t now) {
  (void)now;
  stun_once *s = user;
  uint8_t in[1500], out[32];
  struct sockaddr_in from;
  for (;;) {
    socklen_t fl = sizeof from;
    ssize_t n = recvfrom(fd, in, sizeof in, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
    if (n < 0) return;
    if (n < 20 || in[0] != 0x00 || in[1] != 0x01) continue; /* Binding requests only */
    bool seen = false;
    for (size_t i = 0; i < s->n_seen; i++) seen = seen || memcmp(s->seen[i], in + 8, 12) == 0;
    if (seen || s->n_seen == 64) {
      s->ignored++;
      continue;
    }
    memcpy(s->seen[s->n_seen++], in + 8, 12);
    /* Binding success (RFC 8489 5), XOR-MAPPED-ADDRESS (14.2): 192.0.2.1 at the sender's port. */
    memset(out, 0, sizeof out);
    out[0] = 0x01, out[1] = 0x01, out[3] = 12;
    memcpy(out + 4, in + 4, 16); /* the magic cookie and the transaction ID */
    out[20] = 0x00, out[21] = 0x20, out[23] = 8;
    out[25] = 0x01; /* IPv4 */
    uint16_t xport = ntohs(from.sin_port) ^ 0x2112;
    out[26] = (uint8_t)(xport >> 8), out[27] = (uint8_t)xport;
    const uint8_t ip[4] = {192, 0, 2, 1}, cookie[4] = {0x21, 0x12, 0xA4, 0x42};
    for (int i = 0; i < 4; i++) out[28 + i] = ip[i] ^ cookie[i];
    if (sendto(fd, out, sizeof out, 0, (struct sockaddr *)&from, fl) == (ssize_t)sizeof out)
      s->answered++;
  }
}

static int stun_once_open(stun_once *s) {
  memset(s, 0, sizeof *s);
  s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof a) != 0 ||
      getsockname(s->fd, (struct sockaddr *)&a, &al) != 0)
    return -1;
  s->port = ntohs(a.sin_port);
  return 0;
}

/* ---- the pcs ---- */

typedef struct side {
  const char *name;
  brtc_loop *loop;
  brtc_pc *pc;
  struct side *peer;    /* whom our candidates are trickled to */
  brtc_datachannel *dc; /* the offerer's channel */
  int index;
  bool echo;            /* the answerer echoes every message */
  unsigned total, sent, echoed;
  char srflx[160], relay[160], connected[200];
  bool gathered, failed;
  char why[200];
} side;

/* Message i of side k: size, kind and bytes a function of both, so an echo that went to
 * the other pc, or came back changed, is seen. */
static size_t message(int k, unsigned i, uint8_t *out, bool *binary) {
  size_t len = 1 + (i * 7919u + (unsigned)k * 131u) % MAX_SIZE;
  *binary = (i + (unsigned)k) % 2 == 1;
  for (size_t b = 0; b < len; b++)
    out[b] = *binary ? (uint8_t)(i * 31u + b * 7u + (unsigned)k * 101u) : (uint8_t)('a' + (i + b + (unsigned)k) % 26);
  return len;
}

static void fail_side(side *s, const char *why) {
  if (s->failed) return;
  s->failed = true;
  snprintf(s->why, sizeof s->why, "%s", why);
}

static void send_more(side *s, uint64_t now) {
  static uint8_t buf[MAX_SIZE];
  bool binary;
  while (s->sent < s->total && s->sent - s->echoed < 8) {
    size_t len = message(s->index, s->sent, buf, &binary);
    int rc = brtc_datachannel_send(s->dc, now, buf, len, binary);
    if (rc == BRTC_ERR_AGAIN) return;
    if (rc != BRTC_OK) return fail_side(s, "a send failed");
    s->sent++;
  }
}

static void on_event(brtc_loop *l, brtc_pc *pc, const brtc_output *ev, void *user) {
  (void)l, (void)pc;
  side *s = user;
  uint64_t now = brtc_now_us();
  switch (ev->event) {
    case BRTC_EVENT_STEP:
      if (ev->step == BRTC_STEP_ICE_CONNECTED)
        snprintf(s->connected, sizeof s->connected, "%s", ev->detail ? ev->detail : "");
      if (ev->step == BRTC_STEP_FAILED) fail_side(s, ev->detail ? ev->detail : "failed");
      break;
    case BRTC_EVENT_LOG:
      fprintf(stderr, "  %s: %s\n", s->name, ev->detail ? ev->detail : "");
      break;
    case BRTC_EVENT_ICE_CANDIDATE: {
      const char *c = ev->detail ? ev->detail : "";
      if (strncmp(c, "a=", 2) == 0) c += 2;
      if (getenv("TWO_PCS_DEBUG")) fprintf(stderr, "  %s: candidate %s\n", s->name, c);
      if (strstr(c, " typ srflx")) snprintf(s->srflx, sizeof s->srflx, "%s", c);
      if (strstr(c, " typ relay")) snprintf(s->relay, sizeof s->relay, "%s", c);
      if (s->peer && s->peer->pc) (void)brtc_pc_add_ice_candidate(s->peer->pc, c);
      break;
    }
    case BRTC_EVENT_ICE_GATHERING_COMPLETE: s->gathered = true; break;
    case BRTC_EVENT_DATACHANNEL_OPEN:
      if (ev->channel == s->dc) send_more(s, now);
      break;
    case BRTC_EVENT_DATACHANNEL_MESSAGE:
      if (s->echo) {
        if (brtc_datachannel_send(ev->channel, now, ev->data, ev->len, ev->binary) != BRTC_OK)
          fail_side(s, "an echo could not be sent");
        break;
      }
      if (ev->channel != s->dc) break;
      {
        static uint8_t want[MAX_SIZE];
        bool binary;
        size_t len = message(s->index, s->echoed, want, &binary);
        if (ev->len != len || ev->binary != binary || memcmp(ev->data, want, len) != 0)
          return fail_side(s, "an echo differs from what was sent");
        s->echoed++;
        send_more(s, now);
      }
      break;
    case BRTC_EVENT_DATACHANNEL_BUFFERED_AMOUNT_LOW: send_more(s, now); break;
    default: break;
  }
}

static brtc_loop *new_loop(void) {
  char err[200] = "";
  brtc_loop_config *lc = brtc_loop_config_new();
  brtc_loop *l = NULL;
  if (lc && brtc_loop_config_add_udp_address(lc, "127.0.0.1:0") == BRTC_OK) {
    brtc_loop_config_set_loopback_only(lc, true);
    l = brtc_loop_new(lc, err, sizeof err);
  }
  brtc_loop_config_free(lc);
  if (!l) fprintf(stderr, "two_pcs_one_server: loop: %s\n", err);
  return l;
}

static const char *ca_file; /* turns: servers' CA (the test's self-signed certificate) */

static brtc_pc *new_pc(brtc_loop *loop, const brtc_certificate *cert, const char *server,
                       bool relay_only) {
  brtc_pc_config *cfg = brtc_pc_config_new();
  brtc_pc *pc = NULL;
  char err[200] = "";
  if (!cfg) return NULL;
  brtc_pc_config_set_certificate(cfg, cert);
  brtc_pc_config_set_datachannels(cfg, true);
  brtc_loop_config_pc(loop, cfg);
  int rc = BRTC_OK;
  if (server && strncmp(server, "turn", 4) == 0) /* turn: and turns: */
    rc = brtc_pc_config_add_ice_server(cfg, server, "alice", "s3cret");
  else if (server)
    rc = brtc_pc_config_add_ice_server(cfg, server, NULL, NULL);
  if (relay_only) brtc_pc_config_set_ice_transport_policy(cfg, BRTC_ICE_TRANSPORT_RELAY);
  if (rc == BRTC_OK && ca_file && ca_file[0]) rc = brtc_pc_config_set_tls_ca_file(cfg, ca_file);
  if (rc == BRTC_OK) rc = brtc_pc_new(cfg, &pc, err, sizeof err);
  brtc_pc_config_free(cfg);
  if (rc != BRTC_OK) fprintf(stderr, "two_pcs_one_server: pc: %s (%s)\n", err, brtc_strerror(rc));
  return rc == BRTC_OK ? pc : NULL;
}

/* Run every loop until done(arg) or the deadline. */
static bool run_until(brtc_loop **loops, size_t n, bool (*done)(void *), void *arg) {
  uint64_t until = brtc_now_us() + wait_us;
  while (!done(arg)) {
    if (brtc_now_us() > until) return false;
    struct pollfd p[4];
    int timeout = 10;
    for (size_t i = 0; i < n; i++) {
      p[i] = (struct pollfd){.fd = brtc_loop_fd(loops[i]), .events = POLLIN};
      int t = brtc_loop_next_timeout_ms(loops[i]);
      if (t >= 0 && t < timeout) timeout = t;
    }
    (void)poll(p, (nfds_t)n, timeout);
    for (size_t i = 0; i < n; i++) brtc_loop_run_once(loops[i], 0);
  }
  return true;
}

static bool both_srflx(void *arg) {
  side *s = arg;
  return (s[0].srflx[0] && s[1].srflx[0]) || s[0].failed || s[1].failed;
}

static bool both_echoed(void *arg) {
  side **s = arg;
  for (int i = 0; i < 2; i++)
    if (s[i]->echoed < s[i]->total && !s[i]->failed && !s[i]->peer->failed) return false;
  return true;
}

/* Phase 1: two pcs, one STUN server. */
static int srflx_phase(const brtc_certificate *cert) {
  int bad = 0;
  brtc_loop *loop = new_loop();
  stun_once stun;
  if (!loop || stun_once_open(&stun) != 0) return 1;
  brtc_loop_watch *w = brtc_loop_watch_fd(loop, stun.fd, stun_readable, &stun);
  char url[64];
  snprintf(url, sizeof url, "stun:127.0.0.1:%u", stun.port);
  side s[2] = {{.name = "srflx-1", .index = 0}, {.name = "srflx-2", .index = 1}};
  for (int i = 0; i < 2; i++) {
    s[i].loop = loop;
    s[i].pc = new_pc(loop, cert, url, false);
    char err[200];
    if (!s[i].pc || brtc_pc_create_datachannel(s[i].pc, brtc_now_us(), "echo", NULL, &s[i].dc, err, sizeof err) != BRTC_OK ||
        brtc_pc_set_local_description(s[i].pc, "offer", NULL, brtc_now_us(), err, sizeof err) != BRTC_OK)
      return 1;
  }
  /* Both added before the loop runs: both requests are out before either answer is in. */
  for (int i = 0; i < 2; i++) brtc_loop_add_pc(loop, s[i].pc, on_event, &s[i]);
  run_until(&loop, 1, both_srflx, s);
  const struct sockaddr_storage *local;
  brtc_loop_local_addrs(loop, &local);
  char want[64];
  snprintf(want, sizeof want, " 192.0.2.1 %u typ srflx", ntohs(((const struct sockaddr_in *)local)->sin_port));
  for (int i = 0; i < 2; i++) {
    if (!strstr(s[i].srflx, want)) {
      fprintf(stderr, "FAIL: %s has no server-reflexive candidate from its own answer (want '%s', got '%s')\n",
              s[i].name, want, s[i].srflx);
      bad = 1;
    } else {
      fprintf(stderr, "%s: %s\n", s[i].name, s[i].srflx);
    }
  }
  fprintf(stderr, "STUN server: %u requests answered, %u retransmissions left unanswered\n",
          stun.answered, stun.ignored);
  for (int i = 0; i < 2; i++) {
    brtc_pc_close(s[i].pc, brtc_now_us());
    brtc_loop_remove_pc(loop, s[i].pc);
    brtc_pc_free(s[i].pc);
  }
  brtc_loop_unwatch(w);
  close(stun.fd);
  brtc_loop_free(loop);
  return bad;
}

/* Phase 2: two relay-only pcs, one TURN server, each to its own peer. */
static int relay_phase(const brtc_certificate *cert, const char *url, unsigned messages) {
  int bad = 0;
  char err[200];
  brtc_loop *shared = new_loop(), *own[2] = {new_loop(), new_loop()};
  if (!shared || !own[0] || !own[1]) return 1;
  side a[2] = {{.name = "relay-1", .index = 0, .total = messages},
               {.name = "relay-2", .index = 1, .total = messages}};
  side p[2] = {{.name = "peer-1", .echo = true}, {.name = "peer-2", .echo = true}};
  for (int i = 0; i < 2; i++) {
    a[i].loop = shared, p[i].loop = own[i];
    a[i].peer = &p[i], p[i].peer = &a[i];
    a[i].pc = new_pc(shared, cert, url, true);
    p[i].pc = new_pc(own[i], cert, NULL, false);
    const char *offer = NULL, *answer = NULL;
    uint64_t now = brtc_now_us();
    /* The offerer is on its loop while its answer is awaited, as in a real call: both
     * allocate before either hears back (the 5-tuples would collide here on one port). */
    if (!a[i].pc || !p[i].pc ||
        brtc_pc_create_datachannel(a[i].pc, now, "echo", NULL, &a[i].dc, err, sizeof err) ||
        brtc_pc_create_offer(a[i].pc, now, &offer, err, sizeof err) ||
        brtc_pc_set_local_description(a[i].pc, "offer", NULL, now, err, sizeof err) ||
        brtc_loop_add_pc(shared, a[i].pc, on_event, &a[i]) ||
        brtc_pc_set_remote_description(p[i].pc, "offer", offer, now, err, sizeof err) ||
        brtc_pc_create_answer(p[i].pc, &answer, err, sizeof err) ||
        brtc_pc_set_local_description(p[i].pc, "answer", NULL, now, err, sizeof err) ||
        brtc_pc_set_remote_description(a[i].pc, "answer", answer, now, err, sizeof err)) {
      fprintf(stderr, "two_pcs_one_server: signaling: %s\n", err);
      return 1;
    }
  }
  for (int i = 0; i < 2; i++) brtc_loop_add_pc(own[i], p[i].pc, on_event, &p[i]);
  brtc_loop *loops[3] = {shared, own[0], own[1]};
  side *as[2] = {&a[0], &a[1]};
  run_until(loops, 3, both_echoed, as);
  for (int i = 0; i < 2; i++) {
    fprintf(stderr, "%s: relayed candidate '%s'; connected '%s'; %u of %u echoed\n", a[i].name,
            a[i].relay, a[i].connected, a[i].echoed, a[i].total);
    if (!a[i].relay[0]) fprintf(stderr, "FAIL: %s got no relayed candidate\n", a[i].name), bad = 1;
    if (!strstr(a[i].connected, "through our TURN relay"))
      fprintf(stderr, "FAIL: %s did not connect through its relay\n", a[i].name), bad = 1;
    if (a[i].failed || p[i].failed)
      fprintf(stderr, "FAIL: %s: %s%s\n", a[i].name, a[i].why, p[i].why), bad = 1;
    if (a[i].echoed != a[i].total)
      fprintf(stderr, "FAIL: %s: %u of %u messages echoed\n", a[i].name, a[i].echoed, a[i].total), bad = 1;
  }
  /* Two allocations: the relayed addresses differ (the text after the priority). */
  const char *r0 = strstr(a[0].relay, " udp "), *r1 = strstr(a[1].relay, " udp ");
  if (r0 && r1 && strcmp(strchr(r0 + 5, ' '), strchr(r1 + 5, ' ')) == 0)
    fprintf(stderr, "FAIL: both pcs have one relayed address\n"), bad = 1;
  for (int i = 0; i < 2; i++) {
    brtc_pc_close(a[i].pc, brtc_now_us());
    brtc_loop_remove_pc(shared, a[i].pc);
    brtc_pc_free(a[i].pc);
    brtc_loop_remove_pc(own[i], p[i].pc);
    brtc_pc_free(p[i].pc);
    brtc_loop_free(own[i]);
  }
  brtc_loop_free(shared);
  return bad;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: two_pcs_one_server TURN_PORT|TURN_URL [CA_FILE [MESSAGES]]\n");
    return 2;
  }
  bool udp = strchr(argv[1], ':') == NULL;
  char url[128];
  if (udp) snprintf(url, sizeof url, "turn:127.0.0.1:%u?transport=udp", (unsigned)atoi(argv[1]));
  else snprintf(url, sizeof url, "%s", argv[1]);
  ca_file = argc > 2 ? argv[2] : NULL;
  if (getenv("TWO_PCS_WAIT_S")) wait_us = (uint64_t)atoi(getenv("TWO_PCS_WAIT_S")) * 1000000ull;
  unsigned messages = argc > 3 ? (unsigned)atoi(argv[3]) : 200;
  brtc_certificate *cert = NULL;
  char err[200];
  if (brtc_certificate_new(&cert, err, sizeof err) != BRTC_OK) {
    fprintf(stderr, "two_pcs_one_server: %s\n", err);
    return 1;
  }
  fprintf(stderr, "through %s\n", url);
  int bad = udp ? srflx_phase(cert) : 0;
  bad |= relay_phase(cert, url, messages);
  brtc_certificate_free(cert);
  fprintf(stderr, "two_pcs_one_server: %s\n", bad ? "FAILED" : "ok");
  return bad;
}
