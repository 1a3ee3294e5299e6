/* The host candidates a program's peer connection offers, from the loop's UDP socket. */
#ifndef BRTC_APPS_HOST_CANDIDATES_H
#define BRTC_APPS_HOST_CANDIDATES_H

#include <stddef.h>

#include "boltrtc/boltrtc.h"

/* The loop's addresses (brtc_loop_local_addrs: the bound one, or with an unspecified one
 * every up interface's); loopback only when it is all there is. 0, or -1 with a reason in
 * err. */
int brtc_app_add_host_candidates(brtc_loop *loop, brtc_pc_config *cfg, char *err, size_t cap);

#endif
