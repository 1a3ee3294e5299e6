/* Addresses as the program's options and banner write them ("127.0.0.1:8080", "[::1]:8080"),
 * so that the program needs nothing but the server and the public API. */
#include <string.h>

#include "boltrtc/error.h"
#include "common/addr.h"
#include "signal/server.h"

bool brtc_signal_addr_valid(const char *text) {
  brtc_addr a;
  return text && brtc_addr_parse(&a, text, 0) == BRTC_OK;
}

const char *brtc_signal_addr_text(const struct sockaddr_storage *ss, char *buf, size_t cap) {
  brtc_addr a;
  if (cap) buf[0] = '\0';
  if (!brtc_addr_from_sockaddr(&a, (const struct sockaddr *)ss, sizeof(*ss))) return buf;
  return brtc_addr_str(&a, buf, cap);
}
