/* Two associations connected in memory, always the same way (fixed seeds, so the same tags
 * and TSNs every time), for fuzz_sctp_assoc.c and for the program that records its seeds
 * (tests/sctp/make_sctp_fuzz_seeds.c): a recorded packet still fits the association the
 * fuzzer rebuilds for every input.
 *
 * The fuzzer's input is a list of records, [op][length, 2 bytes][payload]:
 *   op & 3 == 0  a packet to A; == 1 a packet to B: unless op & 4, its tag is set to the
 *                receiver's and its CRC32c made right, so the fuzzer gets past both;
 *   op & 3 == 2  time passes: payload[0] * 10 ms (1 ms if empty), timers run;
 *   op & 3 == 3  A's owner calls: payload[0] picks send / reset / shutdown / abort /
 *                threshold, the rest are its arguments.
 * After each record every packet either sends is delivered to the other. */
#ifndef BRTC_FUZZ_SCTP_SETUP_H
#define BRTC_FUZZ_SCTP_SETUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boltrtc/error.h"
#include "sctp/sctp.h"

#define FUZZ_SCTP_START_US 1000000ull

/* Every packet each sends goes to the other, for a bounded number of rounds. rec, if not
 * NULL, sees each packet first (op 0: to A, 1: to B). Events are read, messages touched. */
static inline void fuzz_sctp_exchange(brtc_sctp *a, brtc_sctp *b, uint64_t now,
                                      void (*rec)(void *, int, const uint8_t *, size_t),
                                      void *user) {
  uint8_t pkt[2048];
  size_t len;
  for (int round = 0; round < 64; round++) {
    bool any = false;
    brtc_sctp *from[2] = {a, b}, *to[2] = {b, a};
    for (int i = 0; i < 2; i++) {
      brtc_sctp_event ev;
      while (brtc_sctp_poll_event(from[i], &ev) == BRTC_OK) {
        volatile uint8_t sum = 0;
        for (size_t k = 0; k < ev.len; k++) sum ^= ev.data[k];
        (void)sum;
      }
      for (int n = 0; n < 64 && brtc_sctp_poll_packet(from[i], now, pkt, sizeof pkt, &len) == BRTC_OK;
           n++) {
        if (rec) rec(user, i == 0 ? 1 : 0, pkt, len);
        brtc_sctp_handle_packet(to[i], now, pkt, len);
        any = true;
      }
    }
    if (!any) return;
  }
}

/* A and B connected, both having sent INIT (as WebRTC ends do); rec as for the exchange. */
static inline int fuzz_sctp_setup_rec(brtc_sctp **a, brtc_sctp **b,
                                      void (*rec)(void *, int, const uint8_t *, size_t),
                                      void *user) {
  brtc_sctp_config ca = {.seed = 1, .max_streams = 64}, cb = {.seed = 2, .max_streams = 64};
  *a = *b = NULL;
  if (brtc_sctp_new(&ca, FUZZ_SCTP_START_US, a) || brtc_sctp_new(&cb, FUZZ_SCTP_START_US, b))
    return BRTC_ERR_NOMEM;
  brtc_sctp_connect(*a, FUZZ_SCTP_START_US);
  brtc_sctp_connect(*b, FUZZ_SCTP_START_US);
  fuzz_sctp_exchange(*a, *b, FUZZ_SCTP_START_US, rec, user);
  return brtc_sctp_get_state(*a) == BRTC_SCTP_ESTABLISHED &&
                 brtc_sctp_get_state(*b) == BRTC_SCTP_ESTABLISHED
             ? BRTC_OK
             : BRTC_ERR_STATE;
}

static inline int fuzz_sctp_setup(brtc_sctp **a, brtc_sctp **b) {
  return fuzz_sctp_setup_rec(a, b, NULL, NULL);
}

/* op 3: what A's owner does. */
static inline void fuzz_sctp_call(brtc_sctp *a, uint64_t now, const uint8_t *p, size_t n) {
  if (n == 0) return;
  static uint8_t body[300000];
  uint16_t stream = n > 1 ? p[1] % 8 : 0;
  switch (p[0] % 6) {
    case 0:
    case 1: { /* send: stream, flags, size */
      size_t size = n > 3 ? 1 + ((size_t)p[2] << 8 | p[3]) * 4 : 1;
      uint8_t f = n > 4 ? p[4] : 0;
      brtc_sctp_send_options o = {.stream = stream,
                                  .ppid = 51 + (f & 7),
                                  .unordered = f & 8,
                                  .max_retransmits = f & 16 ? (f >> 5) : -1,
                                  .lifetime_ms = !(f & 16) && (f & 32) ? (f >> 6) * 50 : -1};
      if (size > sizeof body) size = sizeof body;
      brtc_sctp_send(a, now, &o, body, size);
      break;
    }
    case 2:
      brtc_sctp_reset_streams(a, now, &stream, 1);
      break;
    case 3:
      brtc_sctp_shutdown(a, now);
      break;
    case 4:
      if (n > 2 && p[2] == 0xaa) brtc_sctp_abort(a, now, "fuzz");
      break;
    default:
      brtc_sctp_set_buffered_low_threshold(a, stream, n > 2 ? p[2] * 100u : 0);
      break;
  }
}

#endif
