/* The rule of peer_connection.h, once for the pc tests: after every call that feeds or
 * changes a pc, poll it until BRTC_OUTPUT_TIMEOUT. The caller's loop sees each event and
 * datagram; this keeps the poll, the deadline and the bound:
 *
 *   pc_drainer d = {.pc = pc};
 *   for (const brtc_output *out; (out = pc_drain_next(&d));)
 *     ... out->kind is BRTC_OUTPUT_EVENT or a datagram (out->data, out->len) ...
 *   deadline = d.deadline;
 */
#ifndef BRTC_TESTS_PC_DRAIN_H
#define BRTC_TESTS_PC_DRAIN_H

#include <stdint.h>

#include "boltrtc/peer_connection.h"

typedef struct pc_drainer {
  brtc_pc *pc;
  uint64_t deadline; /* the pc's next deadline, once drained */
  unsigned polled;
  brtc_output out;
  uint8_t buf[BRTC_PC_MAX_DATAGRAM]; /* out.data points here */
} pc_drainer;

/* The next output, or NULL once the pc is drained (d->deadline set). A poll that fails, or a
 * pc that never drains (100000 outputs in one go), fails the test and ends the drain with
 * deadline UINT64_MAX. */
const brtc_output *pc_drain_next(pc_drainer *d);

#endif
