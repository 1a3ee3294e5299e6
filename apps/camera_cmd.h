/* `boltrtc camera`: the remote camera's device side (camera_cmd.c). */
#ifndef BRTC_APPS_CAMERA_CMD_H
#define BRTC_APPS_CAMERA_CMD_H

#include <stdio.h>

void brtc_camera_print_usage(FILE *out);
int brtc_camera_main(int argc, char **argv);

#endif
