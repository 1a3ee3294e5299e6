/* Ogg Opus reader: the input as one page, as one Opus packet and OpusHead, then as a whole
 * file (pages, packets across pages, granule checks), then played. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_source_play.h"
#include "sources/file_formats.h"
#include "sources/ogg.h"
#include "sources/opus_packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  brtc_ogg_page pg;
  if (brtc_ogg_parse_page(data, size, &pg) == 0 &&
      (pg.size > size || pg.body + pg.body_len != data + pg.size))
    __builtin_trap();
  if (brtc_opus_packet_samples(data, size) > 5760) __builtin_trap();
  brtc_opus_head head;
  (void)brtc_opus_head_parse(data, size, &head);
  uint8_t *buf = malloc(size ? size : 1);
  if (!buf) return 0;
  memcpy(buf, data, size);
  brtc_frame_index ix;
  brtc_file_info info;
  char err[160];
  if (brtc_ogg_opus_index(buf, size, &ix, &info, err, sizeof(err)) == 0)
    fuzz_play(&ix, BRTC_SOURCE_OPUS, 48000);
  return 0;
}
