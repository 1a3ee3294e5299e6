#include "pc_drain.h"

#include "boltrtc/error.h"
#include "testing.h"

#define MAX_OUTPUTS 100000

const brtc_output *pc_drain_next(pc_drainer *d) {
  if (d->polled++ == MAX_OUTPUTS) {
    CHECK(!"a pc that never drains");
    d->deadline = UINT64_MAX; /* failed: nothing more is due from it */
    return NULL;
  }
  d->out = (brtc_output){.size = sizeof d->out};
  int rc = brtc_pc_poll_output(d->pc, d->buf, sizeof d->buf, &d->out);
  CHECK_EQ_INT(rc, BRTC_OK);
  if (rc != BRTC_OK) {
    d->deadline = UINT64_MAX;
    return NULL;
  }
  if (d->out.kind == BRTC_OUTPUT_TIMEOUT) {
    d->deadline = d->out.deadline_us;
    return NULL;
  }
  return &d->out;
}
