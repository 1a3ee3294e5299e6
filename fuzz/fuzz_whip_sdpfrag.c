/* Fuzz the WHIP PATCH body parser (src/signal/whip_sdpfrag.c, RFC 8840 9.2): any bytes a
 * client can PATCH. What comes out must be bounded and NUL-terminated, each candidate in a
 * section that exists, credentials both or neither; and the writer's fragment of any text
 * must parse back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "signal/whip_sdpfrag.h"

static brtc_sdpfrag frag;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[256];
  int rc = brtc_sdpfrag_parse((const char *)data, size, &frag, err, sizeof err);
  if (rc == BRTC_OK) {
    if (frag.n_media > BRTC_SDPFRAG_MAX_MEDIA || frag.n_candidates > BRTC_SDPFRAG_MAX_CANDIDATES)
      abort();
    if (!frag.ufrag[0] != !frag.pwd[0]) abort();
    for (size_t i = 0; i < frag.n_candidates; i++)
      if (frag.candidates[i].media >= frag.n_media ||
          strncmp(frag.candidates[i].value, "candidate:", 10) != 0)
        abort();
    for (size_t i = 0; i < frag.n_media; i++)
      if (!frag.media[i].mid[0]) abort();
  } else if (strlen(err) == 0 || strchr(err, '\n')) {
    abort(); /* every refusal says why, on one line */
  }
  /* The writer takes a C string: the input up to its first NUL. */
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  static char out[BRTC_SDPFRAG_MAX_SIZE];
  size_t n = brtc_sdpfrag_from_answer(text, out, sizeof out);
  if (n >= sizeof out || (n && strlen(out) != n)) abort();
  free(text);
  return 0;
}
