/* Fuzz the datagram describer (include/boltrtc/inspect.h), which reads STUN, DTLS, SRTP,
 * SRTCP, RTP and RTCP from anyone in debug logs: the first byte picks wire or plaintext and
 * the line's size; the line must always be terminated within it and never longer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/inspect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  bool plaintext = data[0] & 1;
  size_t cap = 1 + (size_t)(data[0] >> 1) * 5; /* 1 .. 636: cuts anywhere */
  char line[BRTC_INSPECT_LINE + 1];
  line[cap] = 'Z'; /* a guard just past the line */
  brtc_inspect_describe(data + 1, size - 1, plaintext, line, cap);
  if (memchr(line, '\0', cap) == NULL || line[cap] != 'Z') abort();
  return 0;
}
