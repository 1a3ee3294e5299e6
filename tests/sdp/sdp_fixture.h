/* Shared by the SDP tests: read a fixture offer and parse it into a heap brtc_sdp. */
#ifndef BRTC_TEST_SDP_FIXTURE_H
#define BRTC_TEST_SDP_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "boltrtc/error.h"
#include "sdp/sdp.h"

/* Whole file as a NUL-terminated heap string (caller frees), or NULL. */
static inline char *read_fixture(const char *name, size_t *len) {
  char path[256];
  snprintf(path, sizeof path, "fixtures/%s", name);
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    return NULL;
  }
  char *buf = malloc(BRTC_SDP_MAX_SIZE + 1);
  size_t n = buf ? fread(buf, 1, BRTC_SDP_MAX_SIZE, f) : 0;
  fclose(f);
  if (!buf) return NULL;
  buf[n] = '\0';
  *len = n;
  return buf;
}

/* Parses text; returns the description (brtc_sdp_free it; NULL when parsing failed) and the
 * result code in *rc. */
static inline brtc_sdp *parse_text(const char *text, size_t len, int *rc, char *err, size_t err_cap) {
  brtc_sdp *s = NULL;
  *rc = brtc_sdp_parse(text, len, &s, err, err_cap);
  return s;
}

static inline const brtc_sdp_codec *codec_by_pt(const brtc_sdp_media *m, int pt) {
  for (size_t i = 0; i < m->n_codecs; i++)
    if (m->codecs[i].payload_type == pt) return &m->codecs[i];
  return NULL;
}

static inline const brtc_sdp_codec *codec_by_name(const brtc_sdp_media *m, const char *name) {
  for (size_t i = 0; i < m->n_codecs; i++)
    if (strcmp(m->codecs[i].name, name) == 0) return &m->codecs[i];
  return NULL;
}

static inline int extmap_id(const brtc_sdp_media *m, const char *uri) {
  for (size_t i = 0; i < m->n_extmaps; i++)
    if (strcmp(m->extmaps[i].uri, uri) == 0) return m->extmaps[i].id;
  return 0;
}

#endif
