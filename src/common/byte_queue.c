#include "common/byte_queue.h"

#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"

#define KEEP_BYTES (16 * 1024) /* a drained buffer larger than this is freed */

int brtc_byte_queue_append(brtc_byte_queue *q, const void *data, size_t n) {
  if (n == 0) return BRTC_OK;
  if (q->off == q->len) q->off = q->len = 0; /* all taken: start again at the front */
  if (q->len + n > q->cap && q->off > 0) {
    /* Move what is left to the front before growing. */
    memmove(q->buf, q->buf + q->off, q->len - q->off);
    q->len -= q->off;
    q->off = 0;
  }
  if (q->len + n > q->cap) {
    size_t cap = q->cap ? q->cap : 1024;
    while (cap < q->len + n) cap *= 2;
    uint8_t *grown = realloc(q->buf, cap);
    if (!grown) return BRTC_ERR_NOMEM;
    q->buf = grown;
    q->cap = cap;
  }
  memcpy(q->buf + q->len, data, n);
  q->len += n;
  return BRTC_OK;
}

size_t brtc_byte_queue_take(brtc_byte_queue *q, uint8_t *buf, size_t cap) {
  size_t n = brtc_byte_queue_len(q);
  if (n > cap) n = cap;
  if (n) memcpy(buf, q->buf + q->off, n);
  q->off += n;
  if (q->off == q->len) {
    q->off = q->len = 0;
    if (q->cap > KEEP_BYTES) {
      free(q->buf);
      q->buf = NULL;
      q->cap = 0;
    }
  }
  return n;
}

void brtc_byte_queue_truncate(brtc_byte_queue *q, size_t waiting) {
  if (waiting < brtc_byte_queue_len(q)) q->len = q->off + waiting;
}

void brtc_byte_queue_free(brtc_byte_queue *q) {
  free(q->buf);
  memset(q, 0, sizeof(*q));
}
