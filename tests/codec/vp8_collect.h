/* The VP8 assembler is pull-only (push, then pop until BRTC_ERR_AGAIN). These tests were
 * written against frames handed to a function as they complete; this keeps them so: every
 * push and poll is followed by popping every frame it completed into the test's function. */
#ifndef BRTC_TESTS_VP8_COLLECT_H
#define BRTC_TESTS_VP8_COLLECT_H

#include "boltrtc/error.h"
#include "codec/vp8.h"

typedef void (*vp8_frame_fn)(const brtc_vp8_frame *f, void *user);

static vp8_frame_fn vp8_collect_fn;
static void *vp8_collect_user;

static inline brtc_vp8_assembler *vp8_collect_new(size_t max_frame, vp8_frame_fn fn, void *user) {
  vp8_collect_fn = fn;
  vp8_collect_user = user;
  return brtc_vp8_assembler_new(max_frame);
}

static inline void vp8_collect_drain(brtc_vp8_assembler *a) {
  brtc_vp8_frame f;
  while (brtc_vp8_assembler_pop(a, &f) == BRTC_OK) vp8_collect_fn(&f, vp8_collect_user);
}

static inline int vp8_collect_push(brtc_vp8_assembler *a, const brtc_rtp_header *h,
                                   uint64_t now_us) {
  int rc = brtc_vp8_assembler_push(a, h, now_us);
  vp8_collect_drain(a);
  return rc;
}

static inline void vp8_collect_poll(brtc_vp8_assembler *a, uint64_t now_us) {
  brtc_vp8_assembler_poll(a, now_us);
  vp8_collect_drain(a);
}

#endif
