/* Ogg Opus reader: the input as one page, as one Opus packet and OpusHead, then as a whole
 * file (pages, packets across pages, granule checks), then played. */
#include "fuzz_source_play.h"
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
  fuzz_read_and_play(data, size, brtc_ogg_opus_index, BRTC_SOURCE_OPUS, 48000);
  return 0;
}
