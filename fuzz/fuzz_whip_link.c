/* Fuzz the WHIP client's Link header parser (apps/whip_client.c, RFC 8288 3, RFC 9725 4.6):
 * a header value from any server boltrtc publish talks to. Each input is one value; what
 * comes out must be well formed (a URL, and strings only where the link had them), bounded
 * by WHIP_MAX_ICE_SERVERS, and freed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "whip_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *value = malloc(size + 1);
  if (!value) return 0;
  memcpy(value, data, size);
  value[size] = '\0'; /* curl hands header values as C strings */
  whip_session s;
  memset(&s, 0, sizeof(s));
  size_t added = whip_parse_link_header(value, &s);
  added += whip_parse_link_header(value, &s); /* a second header adds to the first */
  if (added != s.n_ice_servers || s.n_ice_servers > WHIP_MAX_ICE_SERVERS) abort();
  for (size_t i = 0; i < s.n_ice_servers; i++)
    if (!s.ice_servers[i].url || !s.ice_servers[i].url[0]) abort();
  whip_session_clear(&s);
  free(value);
  return 0;
}
