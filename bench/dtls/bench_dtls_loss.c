/* Time to DTLS connected under loss: N server sessions (brtc_pc) and their simulated
 * browsers (tests/support/sim_peer) meet over an in-memory link on the real clock that
 * loses a share of every datagram (STUN, DTLS, SRTP, both ways) and delays each by a base
 * plus jitter, the conditions of issue 5 (15 % loss, 10 +- 5 ms). The real clock, not a
 * simulated one, so that an OpenSSL that times retransmissions on its own clock (the code
 * before our own timer) is measured fairly too.
 *
 * For each session, from the pc's step timestamps: first STUN check -> DTLS connected, and
 * ICE nominated (DTLS starts) -> DTLS connected; then the median, p90, p99 and worst, how
 * many never connected within the limit, and how many DTLS datagrams each side sent
 * (retransmissions included).
 *
 * Usage: bench_dtls_loss [--sessions N] [--loss PERCENT] [--delay MS] [--jitter MS]
 *                        [--peer-rto MS] [--limit S] [--seed N]
 *   --peer-rto: the simulated browser's first DTLS retransmission timeout (default 1000,
 *   what Pion and OpenSSL use; 50 is libwebrtc's); the server side keeps its own default. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "boltrtc/error.h"
#include "boltrtc/loop.h"
#include "boltrtc/peer_connection.h"
#include "common/addr.h"
#include "dtls/dtls.h"
#include "sim_peer.h"

#define MAX_INFLIGHT 8192
#define MAX_DATAGRAM 1500

typedef struct inflight {
  uint64_t at;
  unsigned session;
  bool to_pc;
  size_t len;
  uint8_t data[MAX_DATAGRAM];
} inflight;

typedef struct session {
  brtc_pc *pc;
  sim_peer *sim;
  brtc_addr pc_addr, sim_addr;
  uint64_t dtls_sent[2]; /* [0] by the pc, [1] by the sim */
  uint64_t start_at;     /* sessions start 10 ms apart, as a server's arrivals would */
  bool done;
  uint64_t deadline;     /* the pc's, from its last BRTC_OUTPUT_TIMEOUT */
} session;

static struct {
  unsigned sessions, loss, delay_ms, jitter_ms, peer_rto_ms, limit_s, seed;
} opt = {100, 15, 10, 5, 1000, 30, 1};

static inflight *link_q;
static size_t link_n;
static uint32_t rng;
static uint64_t lost, carried;

static uint32_t next_rand(void) {
  rng = rng * 1103515245u + 12345u;
  return rng >> 8;
}

static void send_on_link(session *s, unsigned idx, bool to_pc, const uint8_t *d, size_t len,
                         uint64_t now) {
  if (len && d[0] >= 20 && d[0] <= 63) s->dtls_sent[to_pc ? 1 : 0]++;
  if (next_rand() % 100 < opt.loss) {
    lost++;
    return;
  }
  if (link_n == MAX_INFLIGHT || len > MAX_DATAGRAM) {
    lost++;
    return;
  }
  inflight *p = &link_q[link_n++];
  uint64_t jitter = opt.jitter_ms ? next_rand() % (2 * opt.jitter_ms * 1000 + 1) : 0;
  p->at = now + opt.delay_ms * 1000ull + jitter - opt.jitter_ms * 1000ull;
  p->session = idx;
  p->to_pc = to_pc;
  p->len = len;
  memcpy(p->data, d, len);
  carried++;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}


static void parse_args(int argc, char **argv) {
  for (int i = 1; i + 1 < argc; i += 2) {
    unsigned v = (unsigned)strtoul(argv[i + 1], NULL, 10);
    if (!strcmp(argv[i], "--sessions")) opt.sessions = v;
    else if (!strcmp(argv[i], "--loss")) opt.loss = v;
    else if (!strcmp(argv[i], "--delay")) opt.delay_ms = v;
    else if (!strcmp(argv[i], "--jitter")) opt.jitter_ms = v;
    else if (!strcmp(argv[i], "--peer-rto")) opt.peer_rto_ms = v;
    else if (!strcmp(argv[i], "--limit")) opt.limit_s = v;
    else if (!strcmp(argv[i], "--seed")) opt.seed = v;
  }
  if (opt.jitter_ms > opt.delay_ms) opt.jitter_ms = opt.delay_ms;
}

static bool start_session(session *s, unsigned i, const brtc_certificate *cert) {
  brtc_addr_from_ip(&s->pc_addr, "127.0.0.1", 5000);
  brtc_addr_from_ip(&s->sim_addr, "127.0.0.1", (uint16_t)(20000 + i));
  struct sockaddr_storage host;
  memset(&host, 0, sizeof(host));
  memcpy(&host, &s->pc_addr.u, brtc_addr_len(&s->pc_addr));
  brtc_pc_config *cfg = brtc_pc_config_new();
  brtc_pc_config_set_certificate(cfg, cert);
  brtc_pc_config_add_host_address(cfg, (const struct sockaddr *)&host);
  brtc_pc_new(cfg, &s->pc, NULL, 0);
  brtc_pc_config_free(cfg);
  s->sim = sim_peer_new(NULL);
  const char *answer = NULL;
  char err[256];
  if (!s->pc || !s->sim ||
      brtc_pc_set_remote_description(s->pc, "offer", sim_peer_offer(s->sim), brtc_now_us(), err,
                                     sizeof(err)) != BRTC_OK ||
      brtc_pc_create_answer(s->pc, &answer, err, sizeof(err)) != BRTC_OK ||
      sim_peer_set_answer(s->sim, answer, err, sizeof(err)) != BRTC_OK)
    return false;
  return brtc_dtls_set_retransmit_timeout(sim_peer_dtls(s->sim), opt.peer_rto_ms) == BRTC_OK;
}

/* The rule of peer_connection.h: drained after every call; datagrams onto the link. */
static void drain(session *s, unsigned i, uint64_t now) {
  uint8_t buf[BRTC_PC_MAX_DATAGRAM];
  for (int guard = 0; guard < 100000; guard++) {
    brtc_output out = {.size = sizeof(out)};
    if (brtc_pc_poll_output(s->pc, buf, sizeof(buf), &out) != BRTC_OK) return;
    if (out.kind == BRTC_OUTPUT_TIMEOUT) {
      s->deadline = out.deadline_us;
      return;
    }
    if (out.kind == BRTC_OUTPUT_TRANSMIT) send_on_link(s, i, false, buf, out.len, now);
    else if (out.event == BRTC_EVENT_STEP && out.step == BRTC_STEP_DTLS_CONNECTED) s->done = true;
  }
}

/* Like an event loop: every datagram due delivered first, then every timer due, then
 * everything to send onto the link. */
static void step(session *ss, uint64_t now) {
  uint8_t buf[2048];
  size_t len;
  struct sockaddr_storage to;
  for (size_t k = 0; k < link_n;) {
    inflight *p = &link_q[k];
    if (p->at > now) {
      k++;
      continue;
    }
    session *s = &ss[p->session];
    if (p->to_pc) {
      brtc_pc_handle_datagram(s->pc, p->data, p->len, &s->sim_addr.u.sa, now);
      drain(s, p->session, now);
    } else sim_peer_handle_datagram(s->sim, p->data, p->len, &s->pc_addr.u.sa, now);
    *p = link_q[--link_n]; /* order among due datagrams does not matter */
  }
  for (unsigned i = 0; i < opt.sessions; i++) {
    session *s = &ss[i];
    if (now < s->start_at) continue;
    if (s->deadline <= now) brtc_pc_handle_timeout(s->pc, now);
    drain(s, i, now);
    if (sim_peer_next_deadline(s->sim) <= now) sim_peer_handle_timeout(s->sim, now);
    while (sim_peer_poll_transmit(s->sim, buf, sizeof(buf), &len, &to) == BRTC_OK)
      send_on_link(s, i, true, buf, len, now);
  }
}

static uint64_t next_event(session *ss, uint64_t now) {
  uint64_t t = now + 5000;
  for (unsigned i = 0; i < opt.sessions; i++) {
    if (now < ss[i].start_at) {
      if (ss[i].start_at < t) t = ss[i].start_at;
      continue;
    }
    uint64_t a = ss[i].deadline, b = sim_peer_next_deadline(ss[i].sim);
    if (a < t) t = a;
    if (b < t) t = b;
  }
  for (size_t k = 0; k < link_n; k++)
    if (link_q[k].at < t) t = link_q[k].at;
  return t;
}

int main(int argc, char **argv) {
  parse_args(argc, argv);
  rng = opt.seed * 2654435761u;
  link_q = calloc(MAX_INFLIGHT, sizeof(*link_q));
  session *ss = calloc(opt.sessions, sizeof(*ss));
  brtc_certificate *cert = brtc_certificate_generate();
  if (!link_q || !ss || !cert) return 1;
  for (unsigned i = 0; i < opt.sessions; i++)
    if (!start_session(&ss[i], i, cert)) {
      fprintf(stderr, "session %u: setup failed\n", i);
      return 1;
    }
  uint64_t start = brtc_now_us(), end = start + opt.limit_s * 1000000ull;
  for (unsigned i = 0; i < opt.sessions; i++) ss[i].start_at = start + i * 10000ull;
  end += opt.sessions * 10000ull;
  unsigned connected = 0;
  while (connected < opt.sessions) {
    uint64_t now = brtc_now_us();
    if (now >= end) break;
    step(ss, now);
    connected = 0;
    for (unsigned i = 0; i < opt.sessions; i++) connected += ss[i].done;
    uint64_t t = next_event(ss, brtc_now_us());
    uint64_t later = brtc_now_us();
    if (t > later) {
      struct timespec ts = {(time_t)((t - later) / 1000000), (long)((t - later) % 1000000) * 1000};
      nanosleep(&ts, NULL);
    }
  }
  uint64_t *t = calloc(opt.sessions, sizeof(*t)), *d = calloc(opt.sessions, sizeof(*d));
  unsigned n = 0, over15 = 0;
  uint64_t sent_pc = 0, sent_sim = 0;
  for (unsigned i = 0; i < opt.sessions; i++) {
    brtc_pc_stats st = {.size = sizeof(brtc_pc_stats)};
    brtc_pc_get_stats(ss[i].pc, &st);
    uint64_t check = brtc_pc_step_time(ss[i].pc, BRTC_STEP_ICE_CHECK), dtls = brtc_pc_step_time(ss[i].pc, BRTC_STEP_DTLS_CONNECTED);
    uint64_t ice = brtc_pc_step_time(ss[i].pc, BRTC_STEP_ICE_CONNECTED);
    t[n] = dtls && check ? dtls - check : UINT64_MAX; /* never: worst */
    d[n] = dtls && ice ? dtls - ice : UINT64_MAX;
    if (t[n] > 15000000) over15++;
    n++;
    sent_pc += ss[i].dtls_sent[0];
    sent_sim += ss[i].dtls_sent[1];
  }
  qsort(t, n, sizeof(*t), cmp_u64);
  qsort(d, n, sizeof(*d), cmp_u64);
#define MS(v) ((v) == UINT64_MAX ? -1.0 : (double)(v) / 1000.0)
  printf("bench_dtls_loss: %u sessions, %u %% loss each way on every datagram, %u +- %u ms one-way, "
         "peer's first DTLS retransmission %u ms, our timer %s\n",
         opt.sessions, opt.loss, opt.delay_ms, opt.jitter_ms, opt.peer_rto_ms,
         brtc_dtls_timer_exact() ? "exact (our clock)" : "OpenSSL's clock");
  printf("first STUN check -> DTLS connected (ms): median %.0f, p90 %.0f, p99 %.0f, worst %.0f "
         "(-1: never)\n",
         MS(t[n / 2]), MS(t[n * 9 / 10]), MS(t[n * 99 / 100]), MS(t[n - 1]));
  printf("ICE nominated -> DTLS connected (ms):     median %.0f, p90 %.0f, p99 %.0f, worst %.0f\n",
         MS(d[n / 2]), MS(d[n * 9 / 10]), MS(d[n * 99 / 100]), MS(d[n - 1]));
  printf("not connected within 15 s: %u of %u; DTLS datagrams sent per session: server %.1f, "
         "browser %.1f; datagrams lost %llu of %llu\n",
         over15, n, (double)sent_pc / n, (double)sent_sim / n, (unsigned long long)lost,
         (unsigned long long)(lost + carried));
  for (unsigned i = 0; i < opt.sessions; i++) {
    brtc_pc_free(ss[i].pc);
    sim_peer_free(ss[i].sim);
  }
  brtc_certificate_free(cert);
  free(t);
  free(d);
  free(ss);
  free(link_q);
  return 0;
}
