/* RTP header parse, then write back and parse again: the fields must survive. */
#include <stdint.h>
#include <string.h>

#include "boltrtc/error.h"
#include "rtp/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  brtc_rtp_header h, g;
  (void)brtc_rtp_is_rtcp(data, size);
  if (brtc_rtp_parse(data, size, &h) != BRTC_OK) return 0;
  (void)brtc_rtp_find_ext(&h, 1);
  static uint8_t out[70000];
  size_t n = 0;
  if (brtc_rtp_write(&h, h.payload, h.payload_len, out, sizeof out, &n) != BRTC_OK) return 0;
  if (brtc_rtp_parse(out, n, &g) != BRTC_OK) __builtin_trap();
  if (g.sequence != h.sequence || g.timestamp != h.timestamp || g.ssrc != h.ssrc ||
      g.marker != h.marker || g.payload_type != h.payload_type ||
      g.csrc_count != h.csrc_count || g.payload_len != h.payload_len ||
      g.padding_len != h.padding_len || g.n_ext != h.n_ext)
    __builtin_trap();
  if (memcmp(g.csrc, h.csrc, sizeof h.csrc) != 0) __builtin_trap();
  if (h.payload_len && memcmp(g.payload, h.payload, h.payload_len) != 0) __builtin_trap();
  for (size_t i = 0; i < h.n_ext; i++)
    if (g.ext[i].id != h.ext[i].id || g.ext[i].len != h.ext[i].len ||
        (h.ext[i].len && memcmp(g.ext[i].data, h.ext[i].data, h.ext[i].len) != 0))
      __builtin_trap();
  return 0;
}
