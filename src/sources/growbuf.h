/* A byte buffer that grows by doubling, for the readers that rebuild a file's frames. */
#ifndef BRTC_SOURCES_GROWBUF_H
#define BRTC_SOURCES_GROWBUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"

typedef struct brtc_growbuf {
  uint8_t *p;
  size_t len, cap;
} brtc_growbuf;

static inline int brtc_growbuf_append(brtc_growbuf *b, const void *data, size_t n) {
  if (n > SIZE_MAX / 2 - b->len) return BRTC_ERR_TOO_BIG;
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n) cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) return BRTC_ERR_NOMEM;
    b->p = p;
    b->cap = cap;
  }
  if (n) memcpy(b->p + b->len, data, n);
  b->len += n;
  return 0;
}

#endif
