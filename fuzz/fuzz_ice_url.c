/* brtc_pc_config_add_ice_server's URL parser (pc_ice_server.c, RFC 7064 and 7065): any bytes
 * as a URL, and on success the parsed address must print, with its port non-zero. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "pc/pc_gather.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char url[600];
  if (size >= sizeof url) size = sizeof url - 1;
  memcpy(url, data, size);
  url[size] = '\0';
  pc_ice_server s;
  memset(&s, 0, sizeof s);
  if (pc_ice_server_parse(url, &s) == BRTC_OK) {
    char text[BRTC_ADDR_STRLEN];
    brtc_addr_str(&s.addr, text, sizeof text);
    if (brtc_addr_port(&s.addr) == 0) abort();
  }
  return 0;
}
