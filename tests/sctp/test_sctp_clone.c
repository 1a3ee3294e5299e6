/* brtc_sctp_clone: a copy of an established association (the pair fuzz_sctp_assoc copies
 * for every input) does, packet for packet, what the original does, shares no memory with
 * it, and an association that is not at rest is not copied. */
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "fuzz_sctp_setup.h"
#include "sctp/sctp.h"
#include "testing.h"

#define T0 FUZZ_SCTP_START_US

/* The pair fuzz_sctp_assoc copies for every input (fuzz/fuzz_sctp_setup.h). */
static void connected(brtc_sctp **a, brtc_sctp **b) {
  CHECK_EQ_INT(fuzz_sctp_setup(a, b), BRTC_OK);
}

/* Each packet x and its copy send next, compared byte for byte and delivered to to and its
 * copy; the count of packets. */
static int alike(brtc_sctp *x, brtc_sctp *x2, brtc_sctp *to, brtc_sctp *to2, uint64_t now) {
  uint8_t p1[1500], p2[1500];
  size_t l1, l2;
  int n = 0;
  while (brtc_sctp_poll_packet(x, now, p1, sizeof p1, &l1) == BRTC_OK) {
    CHECK_EQ_INT(brtc_sctp_poll_packet(x2, now, p2, sizeof p2, &l2), BRTC_OK);
    CHECK_EQ_INT(l2, l1);
    CHECK_MEM(p2, p1, l1);
    brtc_sctp_handle_packet(to, now, p1, l1);
    brtc_sctp_handle_packet(to2, now, p2, l2);
    n++;
  }
  CHECK_EQ_INT(brtc_sctp_poll_packet(x2, now, p2, sizeof p2, &l2), BRTC_ERR_AGAIN);
  return n;
}

/* The same message sent on the original pair and on its copy: the same DATA packets, the
 * same SACKs, the same message out; the originals are freed first, the copies go on. */
static void test_copy_acts_alike(void) {
  brtc_sctp *a, *b, *a2, *b2;
  connected(&a, &b);
  CHECK_EQ_INT(brtc_sctp_clone(a, &a2), BRTC_OK);
  CHECK_EQ_INT(brtc_sctp_clone(b, &b2), BRTC_OK);
  CHECK_EQ_INT(brtc_sctp_memory(a2), brtc_sctp_memory(a));
  static uint8_t msg[5000];
  for (size_t i = 0; i < sizeof msg; i++) msg[i] = (uint8_t)(i * 7);
  brtc_sctp_send_options o = {.stream = 3, .ppid = 53, .max_retransmits = -1, .lifetime_ms = -1};
  uint64_t now = T0 + 1000;
  CHECK_EQ_INT(brtc_sctp_send(a, now, &o, msg, sizeof msg), BRTC_OK);
  CHECK_EQ_INT(brtc_sctp_send(a2, now, &o, msg, sizeof msg), BRTC_OK);
  CHECK(alike(a, a2, b, b2, now) >= 3); /* DATA, cut to the MTU, as the window lets */
  /* SACKs (delayed: timers alike too) and the rest of the message, until all is acked. */
  for (int round = 0; round < 10; round++) {
    CHECK_EQ_INT(brtc_sctp_next_deadline(b2), brtc_sctp_next_deadline(b));
    now += 300000;
    brtc_sctp_handle_timeout(b, now);
    brtc_sctp_handle_timeout(b2, now);
    alike(b, b2, a, a2, now);
    alike(a, a2, b, b2, now);
  }
  brtc_sctp_free(a);
  brtc_sctp_free(b);
  brtc_sctp_event ev;
  bool got = false;
  while (brtc_sctp_poll_event(b2, &ev) == BRTC_OK)
    if (ev.type == BRTC_SCTP_EVENT_MESSAGE) {
      CHECK_EQ_INT(ev.len, sizeof msg);
      CHECK_MEM(ev.data, msg, sizeof msg);
      got = true;
    }
  CHECK(got);
  brtc_sctp_stats s;
  brtc_sctp_get_stats(a2, &s);
  CHECK_EQ_INT(s.flight, 0);
  brtc_sctp_free(a2);
  brtc_sctp_free(b2);
}

/* A message not yet acknowledged: not at rest, no copy. */
static void test_not_at_rest(void) {
  brtc_sctp *a, *b, *c = (brtc_sctp *)&c;
  connected(&a, &b);
  brtc_sctp_send_options o = {.stream = 1, .ppid = 53, .max_retransmits = -1, .lifetime_ms = -1};
  CHECK_EQ_INT(brtc_sctp_send(a, T0 + 1000, &o, (const uint8_t *)"hello", 5), BRTC_OK);
  CHECK_EQ_INT(brtc_sctp_clone(a, &c), BRTC_ERR_STATE);
  CHECK(c == NULL);
  fuzz_sctp_exchange(a, b, T0 + 1000, NULL, NULL);
  CHECK_EQ_INT(brtc_sctp_clone(a, &c), BRTC_OK); /* acknowledged and read: at rest again */
  brtc_sctp_free(c);
  brtc_sctp_free(a);
  brtc_sctp_free(b);
}

int main(void) {
  RUN(test_copy_acts_alike);
  RUN(test_not_at_rest);
  return TEST_REPORT();
}
