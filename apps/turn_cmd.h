/* `boltrtc turn`, the STUN/TURN server command (apps/turn_cmd.c). */
#ifndef BRTC_APPS_TURN_CMD_H
#define BRTC_APPS_TURN_CMD_H

#include <stdio.h>

/* argv[0] is "turn". Returns the exit code. */
int brtc_turn_main(int argc, char **argv);
void brtc_turn_print_usage(FILE *out);

#endif
