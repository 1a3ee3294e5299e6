/* The examples' signaling, a pipe: a description is written whole, then a line "."; the one
 * read back ends at a line "." or EOF. A real program has a WebSocket or a cloud relay here. */
#ifndef BOLTRTC_EXAMPLES_PIPE_SIGNALING_H
#define BOLTRTC_EXAMPLES_PIPE_SIGNALING_H

#include <stdio.h>
#include <string.h>

/* stdin up to a line "." (or EOF) into out, NUL-terminated; returns its length. */
static inline size_t read_description(char *out, size_t cap) {
  size_t used = 0;
  char line[4096];
  while (fgets(line, sizeof line, stdin)) {
    if (strcmp(line, ".\n") == 0 || strcmp(line, ".\r\n") == 0) break;
    size_t n = strlen(line);
    if (used + n >= cap) break;
    memcpy(out + used, line, n);
    used += n;
  }
  out[used] = '\0';
  return used;
}

#endif
