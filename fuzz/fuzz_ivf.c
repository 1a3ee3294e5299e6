/* IVF reader: the input as a whole file, then played. */
#include "fuzz_source_play.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_read_and_play(data, size, brtc_ivf_index, BRTC_SOURCE_VP8, 90000);
  return 0;
}
