/* Fuzz the RFC 4571 reader: the input is a stream, cut into reads at the points its first
 * bytes choose; every frame handed out must fit the limit, and the counters must add up. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/rfc4571.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t step = (size_t)data[0] + 1;
  data++, size--;
  brtc_rfc4571_reader r;
  brtc_rfc4571_reader_init(&r);
  uint64_t frames = 0;
  for (size_t at = 0; at < size;) {
    size_t piece = size - at < step ? size - at : step;
    size_t off = 0;
    while (off < piece) {
      const uint8_t *f;
      size_t flen;
      size_t took = brtc_rfc4571_read(&r, data + at + off, piece - off, &f, &flen);
      if (took == 0 || took > piece - off) abort(); /* no progress, or past the end */
      off += took;
      if (f) {
        if (flen == 0 || flen > BRTC_RFC4571_MAX_FRAME) abort();
        frames++;
        volatile uint8_t sink = f[flen - 1]; /* ASan: the frame is readable whole */
        (void)sink;
      }
    }
    at += piece;
  }
  if (frames != r.frames) abort();
  return 0;
}
