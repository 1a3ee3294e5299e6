/* The loaded library's version, which a program compiled against older headers may ask for. */
#include "boltrtc/version.h"

const char *brtc_version(void) { return BOLTRTC_VERSION_STRING; }
