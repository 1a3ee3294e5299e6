/* Loads the packet fixtures captured from Chromium (tests/rtp/fixtures/README.md): records of
 * a 2-byte big-endian length then one RTP packet or RTCP compound. For tests only. */
#ifndef BRTC_TESTS_PACKET_FIXTURE_H
#define BRTC_TESTS_PACKET_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef BRTC_RTP_FIXTURES
#error "define BRTC_RTP_FIXTURES as the path of tests/rtp/fixtures"
#endif

#define PACKET_FIXTURE_MAX 1024

typedef struct packet_fixture {
  uint8_t *bytes; /* the whole file */
  size_t size;
  size_t n;
  const uint8_t *pkt[PACKET_FIXTURE_MAX];
  size_t len[PACKET_FIXTURE_MAX];
} packet_fixture;

/* The whole file fixtures/<name>, NUL-terminated (for SDP); NULL if it cannot be read. */
static inline uint8_t *fixture_read_file(const char *name, size_t *size) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/%s", BRTC_RTP_FIXTURES, name);
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    return NULL;
  }
  uint8_t *buf = NULL;
  long end = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
  if (end >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)end + 1)) != NULL) {
    if (fread(buf, 1, (size_t)end, f) == (size_t)end) {
      buf[end] = '\0';
      *size = (size_t)end;
    } else {
      free(buf);
      buf = NULL;
    }
  }
  fclose(f);
  return buf;
}

/* False if the file is missing, a record is truncated or there are too many. */
static inline bool packet_fixture_load(packet_fixture *f, const char *name) {
  f->n = 0;
  f->bytes = fixture_read_file(name, &f->size);
  if (!f->bytes) return false;
  size_t pos = 0;
  while (pos + 2 <= f->size && f->n < PACKET_FIXTURE_MAX) {
    size_t len = (size_t)f->bytes[pos] << 8 | f->bytes[pos + 1];
    if (pos + 2 + len > f->size) break;
    f->pkt[f->n] = f->bytes + pos + 2;
    f->len[f->n] = len;
    f->n++;
    pos += 2 + len;
  }
  if (pos != f->size) fprintf(stderr, "%s: bad record at byte %zu\n", name, pos);
  return pos == f->size;
}

static inline void packet_fixture_free(packet_fixture *f) {
  free(f->bytes);
  f->bytes = NULL;
  f->n = 0;
}

#endif
