/* `boltrtc turn`, the STUN/TURN server command (apps/turn_cmd.c). */
#ifndef BRTC_APPS_TURN_CMD_H
#define BRTC_APPS_TURN_CMD_H

#include <stddef.h>
#include <stdio.h>

#include "boltrtc/loop.h"

/* argv[0] is "turn". Returns the exit code. */
int brtc_turn_main(int argc, char **argv);
void brtc_turn_print_usage(FILE *out);

/* The TURN server inside `boltrtc serve`, on serve's own loop and its own ports: serve's
 * --turn-NAME options are `boltrtc turn`'s --NAME, and its credentials are the rooms'
 * --turn-secret, so what rooms hand to their members works on it. */
#define BRTC_TURN_URL_LEN 96
typedef struct brtc_turn_embed brtc_turn_embed;
void brtc_turn_embed_print_usage(FILE *out);
/* One --turn-NAME option (name without "--turn-"); *e is made at the first. Returns -1 when
 * it is good, else the exit code (after a usage error). */
int brtc_turn_embed_option(brtc_turn_embed **e, const char *name, const char *arg);
/* Once every option is in, with the rooms' secret (NULL if none): -1 or the exit code. */
int brtc_turn_embed_check(brtc_turn_embed *e, const char *secret);
/* Listen and serve on loop; BRTC_OK for no e (no --turn-listen). */
int brtc_turn_embed_start(brtc_turn_embed *e, brtc_loop *loop, char *err, size_t err_cap);
/* Its turn: and turns: URLs (transport udp, tcp; turns over tcp), valid until it is freed. */
size_t brtc_turn_embed_urls(const brtc_turn_embed *e, const char **urls, size_t cap);
/* Logs its counters and stops it; before the loop is freed. */
void brtc_turn_embed_free(brtc_turn_embed *e);

#endif
