/* `boltrtc publish`: a WHIP client that sends a source to a WHIP server (publish_cmd.c). */
#ifndef BRTC_APPS_PUBLISH_CMD_H
#define BRTC_APPS_PUBLISH_CMD_H

#include <stdio.h>

void brtc_publish_print_usage(FILE *out);
/* argv[0] is "publish"; returns the exit code. */
int brtc_publish_main(int argc, char **argv);

#endif
