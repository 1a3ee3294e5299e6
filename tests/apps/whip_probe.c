/* Drives apps/whip_client.c from the command line for whip_client_test.py:
 *   whip_probe post URL OFFER_FILE [TOKEN]       POST, print what came back
 *   whip_probe cycle URL OFFER_FILE [TOKEN]      POST, DELETE, then DELETE again (must fail)
 * Prints "ok" lines and the session's parts, or "error: <line>" and exits 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "whip_client.h"

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = malloc(1 << 20);
  size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
  fclose(f);
  if (buf) buf[n] = '\0';
  return buf;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: whip_probe post|cycle URL OFFER_FILE [TOKEN]\n");
    return 2;
  }
  const char *token = argc > 4 ? argv[4] : NULL;
  long timeout_ms = getenv("WHIP_TIMEOUT_MS") ? atol(getenv("WHIP_TIMEOUT_MS")) : 5000;
  char *offer = read_file(argv[3]);
  if (!offer) {
    fprintf(stderr, "cannot read %s\n", argv[3]);
    return 2;
  }
  whip_session s;
  char err[512];
  int rc = whip_post_offer(argv[2], token, offer, timeout_ms, &s, err, sizeof(err));
  free(offer);
  if (rc != 0) {
    printf("error: %s\n", err);
    return 1;
  }
  printf("resource %s\n", s.resource_url);
  printf("etag %s\n", s.etag ? s.etag : "(none)");
  printf("answer %.*s\n", (int)strcspn(s.answer, "\r\n"), s.answer);
  printf("answer-bytes %zu\n", strlen(s.answer));
  for (size_t i = 0; i < s.n_ice_servers; i++)
    printf("ice-server %s %s %s\n", s.ice_servers[i].url,
           s.ice_servers[i].username ? s.ice_servers[i].username : "-",
           s.ice_servers[i].credential ? s.ice_servers[i].credential : "-");
  if (strcmp(argv[1], "cycle") == 0) {
    if (whip_delete(&s, token, timeout_ms, err, sizeof(err)) != 0) {
      printf("error: first delete: %s\n", err);
      whip_session_clear(&s);
      return 1;
    }
    printf("deleted\n");
    if (whip_delete(&s, token, timeout_ms, err, sizeof(err)) == 0) {
      printf("error: the second delete succeeded\n");
      whip_session_clear(&s);
      return 1;
    }
    printf("second-delete %s\n", err);
  }
  whip_session_clear(&s);
  printf("ok\n");
  return 0;
}
