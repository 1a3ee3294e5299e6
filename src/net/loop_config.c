/* brtc_loop_config: an opaque object with setters, so that a setting can be added without
 * changing what a program compiled against an older header allocates. */
#include "net/loop_config.h"

#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"

brtc_loop_config *brtc_loop_config_new(void) { return calloc(1, sizeof(brtc_loop_config)); }

void brtc_loop_config_free(brtc_loop_config *config) {
  if (!config) return;
  for (size_t i = 0; i < config->n_udp_addrs; i++) free(config->udp_addrs[i]);
  free(config);
}

int brtc_loop_config_add_udp_address(brtc_loop_config *config, const char *addr) {
  if (!config || !addr) return BRTC_ERR_INVALID;
  if (config->n_udp_addrs >= BRTC_LOOP_MAX_SOCKETS) return BRTC_ERR_LIMIT;
  char *copy = strdup(addr);
  if (!copy) return BRTC_ERR_NOMEM;
  config->udp_addrs[config->n_udp_addrs++] = copy;
  return BRTC_OK;
}

void brtc_loop_config_set_loopback_only(brtc_loop_config *config, bool on) {
  if (config) config->loopback_only = on;
}

void brtc_loop_config_set_batch_hold(brtc_loop_config *config, unsigned hold_us) {
  if (config) config->batch_hold_us = hold_us;
}

void brtc_loop_config_set_gso(brtc_loop_config *config, bool on) {
  if (config) config->no_gso = !on;
}

void brtc_loop_config_set_gro(brtc_loop_config *config, bool on) {
  if (config) config->gro = on;
}
