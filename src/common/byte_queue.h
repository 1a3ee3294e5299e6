/* Bytes waiting to be taken, in order: the output of a sans-IO core (HTTP, WebSocket) that
 * its owner pulls. One growing buffer read from the front; given back when drained after
 * a large burst. */
#ifndef BRTC_COMMON_BYTE_QUEUE_H
#define BRTC_COMMON_BYTE_QUEUE_H

#include <stddef.h>
#include <stdint.h>

typedef struct brtc_byte_queue {
  uint8_t *buf;
  size_t off, len, cap; /* waiting: buf[off .. len) */
} brtc_byte_queue;

int brtc_byte_queue_append(brtc_byte_queue *q, const void *data, size_t n);
/* Copy up to cap waiting bytes to buf and drop them; returns how many. */
size_t brtc_byte_queue_take(brtc_byte_queue *q, uint8_t *buf, size_t cap);
static inline size_t brtc_byte_queue_len(const brtc_byte_queue *q) { return q->len - q->off; }
/* Forget what was appended since the queue held `waiting` bytes (brtc_byte_queue_len
 * before): undo a partial write. */
void brtc_byte_queue_truncate(brtc_byte_queue *q, size_t waiting);
void brtc_byte_queue_free(brtc_byte_queue *q);

#endif
