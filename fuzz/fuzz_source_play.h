/* Shared by the container fuzzers: plays an index through a file source for a few loops on
 * a simulated clock, with keyframe requests, and checks what comes out. */
#ifndef BRTC_FUZZ_SOURCE_PLAY_H
#define BRTC_FUZZ_SOURCE_PLAY_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "sources/file_formats.h"
#include "sources/file_source.h"

static inline void fuzz_play(brtc_frame_index *ix, brtc_source_codec codec, uint32_t clock) {
  if (!ix->count) __builtin_trap(); /* a reader never succeeds with no frames */
  const uint8_t *lo = ix->data, *hi = ix->data + ix->data_len;
  brtc_source_options o;
  brtc_source_options_default(&o);
  brtc_source *s;
  size_t count = ix->count;
  if (brtc_file_source_new(ix, codec, clock, 0, &o, "fuzz", &s) < 0) return;
  int64_t now = 0;
  uint64_t last = 0;
  for (size_t i = 0; i < 3 * count + 3 && i < 3000; i++) {
    int64_t due = brtc_source_next_due(s, now);
    if (due < now) __builtin_trap();
    now = due;
    if (i % 7 == 3) (void)brtc_source_request_keyframe(s);
    brtc_source_frame f;
    if (brtc_source_take(s, now, &f) != 0) __builtin_trap(); /* it was due */
    if (f.data < lo || f.data + f.len > hi || f.len == 0) __builtin_trap();
    if (i && f.timestamp < last) __builtin_trap();
    last = f.timestamp;
  }
  brtc_source_free(s);
}

typedef int (*fuzz_reader)(uint8_t *buf, size_t len, brtc_frame_index *ix, brtc_file_info *info,
                           char *err, size_t err_cap);

/* The input as a whole file through a reader (which takes a copy), then played. */
static inline void fuzz_read_and_play(const uint8_t *data, size_t size, fuzz_reader read,
                                      brtc_source_codec codec, uint32_t clock) {
  uint8_t *buf = malloc(size ? size : 1);
  if (!buf) return;
  memcpy(buf, data, size);
  brtc_frame_index ix;
  brtc_file_info info;
  char err[160];
  if (read(buf, size, &ix, &info, err, sizeof(err)) == 0) fuzz_play(&ix, codec, clock);
}

#endif
