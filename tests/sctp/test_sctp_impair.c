/* Every kind of SCTP packet, lost, delayed past the RTO (so it arrives after its own resend
 * and after later packets), or delivered again much later, in each direction: the whole life
 * of an association (set-up with crossing INITs, fragmented ordered and unordered data both
 * ways, a partially reliable message given up, idle heartbeats, stream resets both ways,
 * shutdown) must still end with every reliable message delivered whole and in order and a
 * clean close at both ends. The impairment hits the first packet carrying the chunk type;
 * each case checks that it did happen. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "sctp/sctp_chunk.h"
#include "sctp_pair.h"
#include "testing.h"

#define S 1000000ull
#define MS 1000ull
#define MSGS 12
#define MSG_SIZE 3000 /* three DATA chunks each */

enum { DROP, DELAY, REPLAY };
static const char *const impairment_name[] = {"drop", "delay", "replay"};

typedef struct plan {
  uint8_t type;   /* chunk type to hit */
  int impairment; /* DROP, DELAY, REPLAY */
  bool hit;
  uint8_t copy[2048]; /* REPLAY: the packet, delivered again at the next checkpoint */
  size_t copy_len;
} plan;

/* Stream 3 carries one message with maxRetransmits 0, lost every time on both links, so a
 * FORWARD TSN must follow. */
#define PR_STREAM 3

static uint64_t hook(void *user, const uint8_t *pkt, size_t len) {
  plan *pl = user;
  if (sctp_packet_has(pkt, len, BRTC_SCTP_DATA, PR_STREAM)) return SIM_LINK_DROP;
  if (!pl || pl->hit || !sctp_packet_has(pkt, len, pl->type, -1)) return 0;
  pl->hit = true;
  switch (pl->impairment) {
    case DROP:
      return SIM_LINK_DROP;
    case DELAY:
      return 1500 * MS; /* past the RTO (at least 400 ms) and the 200 ms delayed SACK */
    default:
      memcpy(pl->copy, pkt, len);
      pl->copy_len = len;
      return 0;
  }
}

static void replay(sctp_pair *p, plan *pl, int to) {
  if (!pl->copy_len) return;
  brtc_sctp_handle_packet(p->end[to].a, p->now, pl->copy, pl->copy_len);
  pl->copy_len = 0;
  sctp_pair_drain(p);
}

static bool all_delivered(sctp_pair *p, void *arg) {
  size_t want = *(size_t *)arg;
  return p->end[0].messages >= want && p->end[1].messages >= want &&
         brtc_sctp_send_buffer_used(p->end[0].a) == 0 &&
         brtc_sctp_send_buffer_used(p->end[1].a) == 0;
}

static bool both_reset(sctp_pair *p, void *arg) {
  (void)arg;
  return sctp_end_count(&p->end[0], BRTC_SCTP_EVENT_OUTGOING_RESET) >= 1 &&
         sctp_end_count(&p->end[1], BRTC_SCTP_EVENT_OUTGOING_RESET) >= 1 &&
         sctp_end_count(&p->end[0], BRTC_SCTP_EVENT_INCOMING_RESET) >= 1 &&
         sctp_end_count(&p->end[1], BRTC_SCTP_EVENT_INCOMING_RESET) >= 1;
}

static bool both_closed(sctp_pair *p, void *arg) {
  (void)arg;
  return p->end[0].closed && p->end[1].closed;
}

/* Ordered messages on stream 1 arrive in order and whole; unordered on stream 2 whole. */
static bool messages_ok(const sctp_end *e, int from) {
  size_t ordered = 0, unordered = 0;
  for (size_t i = 0; i < e->n_log; i++) {
    const sctp_rec *r = &e->log[i];
    if (r->type != BRTC_SCTP_EVENT_MESSAGE) continue;
    if (r->stream == PR_STREAM) return false; /* it was lost every time */
    uint32_t idx;
    if (r->len != MSG_SIZE) return false;
    memcpy(&idx, r->data, 4);
    if (!sctp_check(r->data + 4, MSG_SIZE - 4, idx * 2 + (uint32_t)from)) return false;
    if (r->stream == 1) {
      if (idx != ordered) return false;
      ordered++;
    } else {
      unordered++;
    }
  }
  return ordered == MSGS && unordered == MSGS;
}

static void send_all(sctp_pair *p, int from) {
  static uint8_t buf[MSG_SIZE];
  for (uint32_t i = 0; i < MSGS; i++) {
    for (uint16_t stream = 1; stream <= 2; stream++) {
      memcpy(buf, &i, 4);
      sctp_fill(buf + 4, MSG_SIZE - 4, i * 2 + (uint32_t)from);
      brtc_sctp_send_options o = {.stream = stream, .ppid = BRTC_SCTP_PPID_BINARY,
                                  .unordered = stream == 2, .max_retransmits = -1,
                                  .lifetime_ms = -1};
      CHECK_EQ_INT(brtc_sctp_send(p->end[from].a, p->now, &o, buf, sizeof buf), BRTC_OK);
    }
  }
}

/* One life of an association with pl applied on the link from end `dir`. */
static void one_case(uint8_t type, int impairment, int dir) {
  plan pl = {.type = type, .impairment = impairment};
  sim_link_config l[2] = {{.latency_us = 20 * MS, .hook = hook},
                          {.latency_us = 20 * MS, .hook = hook}};
  l[dir].hook_user = &pl;
  brtc_sctp_config c0 = {.seed = 31, .heartbeat_interval_ms = 2000};
  brtc_sctp_config c1 = {.seed = 32, .heartbeat_interval_ms = 2000};
  sctp_pair p;
  CHECK_EQ_INT(sctp_pair_init(&p, &c0, &c1, &l[0], &l[1]), BRTC_OK);
  int to = 1 - dir;

  CHECK(sctp_pair_connect(&p, true, 30 * S));
  replay(&p, &pl, to);
  send_all(&p, 0);
  send_all(&p, 1);
  static const uint8_t pr[500];
  brtc_sctp_send_options o = {.stream = PR_STREAM, .ppid = BRTC_SCTP_PPID_BINARY,
                              .max_retransmits = 0, .lifetime_ms = -1};
  CHECK_EQ_INT(brtc_sctp_send(p.end[dir].a, p.now, &o, pr, sizeof pr), BRTC_OK);
  size_t want = 2 * MSGS;
  CHECK(sctp_pair_run_until(&p, all_delivered, &want, 60 * S));
  replay(&p, &pl, to);
  sctp_pair_run_for(&p, 5 * S); /* idle: heartbeats both ways */
  replay(&p, &pl, to);
  uint16_t stream = 1;
  CHECK_EQ_INT(brtc_sctp_reset_streams(p.end[0].a, p.now, &stream, 1), BRTC_OK);
  CHECK_EQ_INT(brtc_sctp_reset_streams(p.end[1].a, p.now, &stream, 1), BRTC_OK);
  CHECK(sctp_pair_run_until(&p, both_reset, NULL, 60 * S));
  replay(&p, &pl, to);
  /* SHUTDOWN and SHUTDOWN COMPLETE go from the end that shuts down, SHUTDOWN ACK the other
   * way: pick the end that makes the impaired chunk go on the impaired link. */
  int closer = type == BRTC_SCTP_SHUTDOWN_ACK ? to : dir;
  CHECK_EQ_INT(brtc_sctp_shutdown(p.end[closer].a, p.now), BRTC_OK);
  CHECK(sctp_pair_run_until(&p, both_closed, NULL, 60 * S));
  replay(&p, &pl, to);

  bool ok = pl.hit;
  for (int e = 0; e < 2; e++) {
    const sctp_rec *r = sctp_end_find(&p.end[e], BRTC_SCTP_EVENT_CLOSED, 0);
    ok = ok && r && r->error == BRTC_OK && messages_ok(&p.end[e], 1 - e);
    ok = ok && sctp_end_count(&p.end[e], BRTC_SCTP_EVENT_CONNECTED) == 1;
  }
  if (!ok)
    fprintf(stderr, "  failed: chunk type %u, %s, from end %d (hit %d)\n", type,
            impairment_name[impairment], dir, pl.hit);
  CHECK(ok);
  sctp_pair_free(&p);
}

static void test_every_packet_type(void) {
  static const uint8_t types[] = {
      BRTC_SCTP_INIT,          BRTC_SCTP_INIT_ACK,      BRTC_SCTP_COOKIE_ECHO,
      BRTC_SCTP_COOKIE_ACK,    BRTC_SCTP_DATA,          BRTC_SCTP_SACK,
      BRTC_SCTP_FORWARD_TSN,   BRTC_SCTP_HEARTBEAT,     BRTC_SCTP_HEARTBEAT_ACK,
      BRTC_SCTP_RECONFIG,      BRTC_SCTP_SHUTDOWN,      BRTC_SCTP_SHUTDOWN_ACK,
      BRTC_SCTP_SHUTDOWN_COMPLETE};
  for (size_t t = 0; t < sizeof types; t++)
    for (int imp = DROP; imp <= REPLAY; imp++)
      for (int dir = 0; dir < 2; dir++) {
        /* SHUTDOWN COMPLETE is the last packet: lost, the peer's T2 resends SHUTDOWN ACK
         * to an end that is gone, which answers it out of the blue (8.4) and both close. */
        one_case(types[t], imp, dir);
      }
}

int main(void) {
  RUN(test_every_packet_type);
  return TEST_REPORT();
}
