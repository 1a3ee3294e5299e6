/* Start code scanning (H.264 B.2): a unit runs from after 00 00 01 to before the next
 * 00 00 00 or 00 00 01; emulation prevention guarantees neither occurs inside a unit. */
#include "sources/h264_annexb.h"

#include "boltrtc/error.h"

bool brtc_annexb_starts_with_start_code(const uint8_t *buf, size_t len) {
  if (len >= 3 && buf[0] == 0 && buf[1] == 0 && buf[2] == 1) return true;
  return len >= 4 && buf[0] == 0 && buf[1] == 0 && buf[2] == 0 && buf[3] == 1;
}

/* Offset just past the next 00 00 01 at or after from, or len if none. */
static size_t after_start_code(const uint8_t *buf, size_t len, size_t from) {
  for (size_t i = from; i + 2 < len; i++) {
    if (buf[i + 2] > 1) {
      i += 2; /* no start code can end at i + 1 or i + 2 */
      continue;
    }
    if (buf[i] == 0 && buf[i + 1] == 0 && buf[i + 2] == 1) return i + 3;
  }
  return len;
}

int brtc_annexb_next_nal(const uint8_t *buf, size_t len, size_t *pos, const uint8_t **nal,
                         size_t *nal_len) {
  size_t start = after_start_code(buf, len, *pos);
  for (;;) {
    if (start >= len) {
      *pos = len;
      return BRTC_ERR_NOT_FOUND;
    }
    size_t next = after_start_code(buf, len, start);
    size_t end = next == len ? len : next - 3;
    size_t stop = end;
    /* 00 00 00 01 and trailing_zero_8bits: zeros before a start code are not the unit's. */
    while (stop > start && buf[stop - 1] == 0) stop--;
    if (stop > start) {
      *nal = buf + start;
      *nal_len = stop - start;
      *pos = end;
      return 0;
    }
    start = next; /* empty unit */
  }
}
