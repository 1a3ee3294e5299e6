/* The loop's config (include/boltrtc/loop.h: brtc_loop_config), read by brtc_loop_new. */
#ifndef BRTC_NET_LOOP_CONFIG_H
#define BRTC_NET_LOOP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "boltrtc/loop.h"

struct brtc_loop_config {
  char *udp_addrs[BRTC_LOOP_MAX_SOCKETS]; /* owned copies */
  size_t n_udp_addrs;
  bool loopback_only;
  unsigned batch_hold_us;
  bool no_gso; /* brtc_loop_config_set_gso(false) */
  bool gro;    /* brtc_loop_config_set_gro(true) */
};

#endif
