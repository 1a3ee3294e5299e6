/* A stand-in brtc_pc for the loop's unit tests: it implements the few brtc_pc functions the
 * loop calls, with behaviour a test can script and observe. */
#ifndef BRTC_TEST_FAKE_PC_H
#define BRTC_TEST_FAKE_PC_H

#include <stdint.h>

#include "boltrtc/peer_connection.h"
#include "common/addr.h"
#include "common/ready_list.h"

#define FAKE_PC_MAX_OUT 256

typedef struct fake_out {
  uint8_t data[200];
  size_t len;
  brtc_addr to;
} fake_out;

struct brtc_pc {
  char ufrag[32];
  brtc_addr owned[4];
  size_t n_owned;
  uint64_t deadline;   /* what next_deadline reports */
  int datagrams;       /* handed to handle_datagram */
  int rtp;             /* of which RTP/RTCP */
  int timeouts;
  int echo_rtp;        /* answer each RTP packet with this many datagrams */
  fake_out out[FAKE_PC_MAX_OUT];
  size_t out_head, out_count;
  brtc_addr timer_to;  /* handle_timeout sends "tick" here if set */
  bool has_timer_to;
  bool consent;        /* what consent_holds reports for an owned address */
  int events;          /* poll_output hands out this many EVENT_LOGs after the datagrams */
  brtc_ready_node ready; /* src/pc/pc_ready.h, as the real pc keeps it */
};

brtc_pc *fake_pc_new(const char *ufrag);
void fake_pc_free(brtc_pc *pc);
void fake_pc_queue(brtc_pc *pc, const void *data, size_t len, const brtc_addr *to);
/* What every call into a real pc does: it goes on its loop's ready list. */
void fake_pc_touch(brtc_pc *pc);

#endif
