/* Linked with every object of the tools on top of libboltrtc (server, media, sources) and the
 * shared libboltrtc only: if any of them calls into the library's insides, this program does
 * not link (tests/library/CMakeLists.txt). Running it only says so. */
#include <stdio.h>

#include "boltrtc/version.h"

int main(void) {
  printf("tools link against libboltrtc %s's public API only\n", brtc_version());
  return 0;
}
