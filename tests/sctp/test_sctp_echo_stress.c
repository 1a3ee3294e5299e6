/* The e2e data-channel echo workload (tests/e2e/whip_client.py, datachannel_echo) between two
 * of our associations on a lossy, reordering, duplicating, jittery path, on simulated time,
 * over many seeds: messages of random size up to 64 KiB, two in four on an ordered stream and
 * two in four on an unordered one, at most 512 KiB awaiting its echo; the far end echoes each
 * message on the stream it came on. Every message must come back byte for byte, ordered ones
 * in order, within a bounded simulated time: a send path or window that stops for good while
 * the association lives fails here. BRTC_SCTP_STRESS_SEEDS=n sweeps more seeds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "sctp_pair.h"
#include "testing.h"

#define S 1000000ull
#define MS 1000ull
#define MAX_SIZE 65536u
#define IN_FLIGHT (512u * 1024u) /* aiortc's bound: bytes sent and not yet echoed */
#define ORDERED_STREAM 1
#define UNORDERED_STREAM 3

typedef struct echo_run {
  uint32_t n, next, echoed, next_ordered_echo;
  size_t in_flight;
  uint32_t *size;
  bool *back;
  uint64_t rng;
  /* echoes the far end could not queue yet (its send buffer full): copies, in order */
  sctp_rec *pending;
  size_t n_pending, cap_pending;
  uint64_t far_full; /* times the far end found its send buffer full */
  bool bad;
} echo_run;

static uint32_t rnd(uint64_t *s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(*s >> 33);
}

static bool ordered_index(uint32_t i) { return i % 4 < 2; }

static void send_more(sctp_pair *p, echo_run *r) {
  static uint8_t buf[MAX_SIZE];
  while (r->next < r->n && r->in_flight + r->size[r->next] <= IN_FLIGHT) {
    uint32_t i = r->next, len = r->size[i];
    memcpy(buf, &i, 4);
    sctp_fill(buf + 4, len - 4, i);
    bool ordered = ordered_index(i);
    brtc_sctp_send_options o = {.stream = ordered ? ORDERED_STREAM : UNORDERED_STREAM,
                                .ppid = BRTC_SCTP_PPID_BINARY, .unordered = !ordered,
                                .max_retransmits = -1, .lifetime_ms = -1};
    int rc = brtc_sctp_send(p->end[0].a, p->now, &o, buf, len);
    if (rc == BRTC_ERR_AGAIN) return;
    if (rc != BRTC_OK) {
      r->bad = true;
      return;
    }
    r->in_flight += len;
    r->next++;
  }
}

/* The far end: every message received goes back on its stream, in the order received. */
static void echo_back(sctp_pair *p, echo_run *r) {
  sctp_end *e = &p->end[1];
  for (size_t k = 0; k < e->n_log; k++) {
    sctp_rec *rec = &e->log[k];
    if (rec->type != BRTC_SCTP_EVENT_MESSAGE) continue;
    if (r->n_pending == r->cap_pending) {
      r->cap_pending = r->cap_pending ? r->cap_pending * 2 : 64;
      r->pending = realloc(r->pending, r->cap_pending * sizeof *r->pending);
      if (!r->pending) abort();
    }
    r->pending[r->n_pending++] = *rec;
    rec->data = NULL; /* moved */
  }
  sctp_end_clear_log(e);
  size_t done = 0;
  for (; done < r->n_pending; done++) {
    sctp_rec *rec = &r->pending[done];
    brtc_sctp_send_options o = {.stream = rec->stream, .ppid = rec->ppid,
                                .unordered = rec->unordered, .max_retransmits = -1,
                                .lifetime_ms = -1};
    int rc = brtc_sctp_send(e->a, p->now, &o, rec->data, rec->len);
    if (rc == BRTC_ERR_AGAIN) {
      r->far_full++;
      break;
    }
    if (rc != BRTC_OK) r->bad = true;
    free(rec->data);
  }
  if (done && r->n_pending > done) /* pending is NULL until the first message is held */
    memmove(r->pending, r->pending + done, (r->n_pending - done) * sizeof *r->pending);
  r->n_pending -= done;
}

static void check_echoes(sctp_pair *p, echo_run *r) {
  sctp_end *e = &p->end[0];
  for (size_t k = 0; k < e->n_log; k++) {
    const sctp_rec *rec = &e->log[k];
    if (rec->type != BRTC_SCTP_EVENT_MESSAGE) continue;
    uint32_t i;
    if (rec->len < 4) {
      r->bad = true;
      continue;
    }
    memcpy(&i, rec->data, 4);
    bool ordered = ordered_index(i);
    if (i >= r->n || r->back[i] || rec->len != r->size[i] ||
        !sctp_check(rec->data + 4, rec->len - 4, i) || rec->unordered == ordered ||
        rec->stream != (ordered ? ORDERED_STREAM : UNORDERED_STREAM)) {
      r->bad = true;
      continue;
    }
    if (ordered) { /* the ordered ones come back in the order sent */
      while (r->next_ordered_echo < r->n && !ordered_index(r->next_ordered_echo))
        r->next_ordered_echo++;
      if (i != r->next_ordered_echo) r->bad = true;
      r->next_ordered_echo++;
    }
    r->back[i] = true;
    r->echoed++;
    r->in_flight -= rec->len;
  }
  sctp_end_clear_log(e);
}

/* One seed; true if every message came back whole within the time allowed. */
static bool one_seed(uint64_t seed, uint32_t n, uint64_t latency_us, uint64_t max_us,
                     uint64_t *far_full) {
  sim_link_config l = {.latency_us = latency_us, .jitter_us = latency_us / 2, .loss = 0.02,
                       .reorder = 0.02, .duplicate = 0.005, .rate_bps = 40000000,
                       .buffer_bytes = 256 * 1024};
  sim_link_config l01 = l, l10 = l;
  l01.seed = seed * 2 + 1;
  l10.seed = seed * 2 + 2;
  brtc_sctp_config c0 = {.seed = seed * 3 + 1, .max_inbound_message = MAX_SIZE,
                         .max_outbound_message = MAX_SIZE};
  brtc_sctp_config c1 = {.seed = seed * 3 + 2, .max_inbound_message = MAX_SIZE,
                         .max_outbound_message = MAX_SIZE};
  sctp_pair p;
  if (sctp_pair_init(&p, &c0, &c1, &l01, &l10) != BRTC_OK) return false;
  echo_run r = {.n = n, .rng = seed};
  r.size = calloc(n, sizeof *r.size);
  r.back = calloc(n, sizeof *r.back);
  if (!r.size || !r.back) abort();
  for (uint32_t i = 0; i < n; i++) r.size[i] = 4 + rnd(&r.rng) % (MAX_SIZE - 3);
  bool ok = sctp_pair_connect(&p, true, 30 * S);
  for (int e = 0; e < 2; e++) sctp_end_clear_log(&p.end[e]);
  uint64_t end = p.now + max_us;
  while (ok && !r.bad && r.echoed < n && p.now < end) {
    send_more(&p, &r);
    sctp_pair_drain(&p);
    sctp_pair_step(&p, end);
    echo_back(&p, &r);
    sctp_pair_drain(&p);
    check_echoes(&p, &r);
  }
  ok = ok && !r.bad && r.echoed == n;
  if (getenv("BRTC_SCTP_STRESS_VERBOSE"))
    fprintf(stderr, "  seed %llu: %s at %.1f s, far send buffer full %llu times\n",
            (unsigned long long)seed, ok ? "ok" : "FAILED", (double)p.now / S,
            (unsigned long long)r.far_full);
  if (!ok) {
    brtc_sctp_stats s0, s1;
    brtc_sctp_get_stats(p.end[0].a, &s0);
    brtc_sctp_get_stats(p.end[1].a, &s1);
    fprintf(stderr, "  seed %llu: %u of %u echoed (sent %u, %zu pending at the far end)%s;"
            " missing:", (unsigned long long)seed, r.echoed, n, r.next, r.n_pending,
            r.bad ? ", BAD message" : "");
    unsigned shown = 0;
    for (uint32_t i = 0; i < r.next && shown < 20; i++)
      if (!r.back[i]) fprintf(stderr, " %u%s", i, ordered_index(i) ? "o" : "u"), shown++;
    fprintf(stderr, "\n  end0: cwnd %u flight %u peer_rwnd %u a_rwnd %u | end1: cwnd %u "
            "flight %u peer_rwnd %u a_rwnd %u\n", s0.cwnd, s0.flight, s0.peer_rwnd, s0.a_rwnd,
            s1.cwnd, s1.flight, s1.peer_rwnd, s1.a_rwnd);
  }
  *far_full += r.far_full;
  for (size_t k = 0; k < r.n_pending; k++) free(r.pending[k].data);
  free(r.pending);
  free(r.size);
  free(r.back);
  sctp_pair_free(&p);
  return ok;
}

/* A path like the Internet's (30 ms round trip) and one like loopback (0.4 ms), where a hole
 * repaired by T3 lets many round trips of echoes pile up behind it: the far end's send buffer
 * (1 MiB) fills, and it must wait for room rather than drop (boltrtc serve once dropped there,
 * the e2e_whip_datachannel stall). */
static void test_echo_every_seed(void) {
  const char *env = getenv("BRTC_SCTP_STRESS_SEEDS");
  uint64_t seeds = env ? strtoull(env, NULL, 10) : 6;
  uint32_t n = env ? 1000 : 300;
  static const uint64_t latency[] = {15 * MS, 200};
  for (size_t k = 0; k < 2; k++) {
    unsigned failed = 0;
    uint64_t far_full = 0;
    for (uint64_t seed = 1; seed <= seeds; seed++)
      if (!one_seed(seed, n, latency[k], 600 * S, &far_full)) failed++;
    if (failed)
      fprintf(stderr, "  latency %llu us: %u of %llu seeds stalled\n",
              (unsigned long long)latency[k], failed, (unsigned long long)seeds);
    CHECK_EQ_INT((int)failed, 0);
    if (k == 1) CHECK(far_full > 0); /* the full send buffer was met and waited out */
  }
}

int main(void) {
  RUN(test_echo_every_seed);
  return TEST_REPORT();
}
