/* IVF reader: the input as a whole file, then played. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_source_play.h"
#include "sources/file_formats.h"
#include "sources/ivf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t *buf = malloc(size ? size : 1);
  if (!buf) return 0;
  memcpy(buf, data, size);
  brtc_frame_index ix;
  brtc_file_info info;
  char err[160];
  if (brtc_ivf_index(buf, size, &ix, &info, err, sizeof(err)) == 0)
    fuzz_play(&ix, BRTC_SOURCE_VP8, 90000);
  return 0;
}
