/* brtc_pc_config: the settings of a peer connection, an opaque object with setters so that a
 * new setting never changes the ABI (docs/api.md). brtc_pc_new copies what it needs. */
#include <stdlib.h>

#include "pc/pc_internal.h"

#define PC_MIN_FRAME 1024u
#define PC_MAX_FRAME (64u * 1024 * 1024)

brtc_pc_config *brtc_pc_config_new(void) {
  brtc_pc_config *c = calloc(1, sizeof(*c));
  if (!c) return NULL;
  c->max_video_frame = PC_DEFAULT_MAX_FRAME;
  c->dtls_role = BRTC_DTLS_ROLE_AUTO;
  c->keyframe_policy = BRTC_KEYFRAME_ON_ANY_LOSS;
  return c;
}

void brtc_pc_config_free(brtc_pc_config *c) { free(c); }

int brtc_pc_config_set_certificate(brtc_pc_config *c, const brtc_certificate *cert) {
  if (!c || !cert) return BRTC_ERR_INVALID;
  c->certificate = cert;
  return BRTC_OK;
}

int brtc_pc_config_add_host_address(brtc_pc_config *c, const struct sockaddr *addr) {
  if (!c || !addr) return BRTC_ERR_INVALID;
  if (c->n_host_addrs == PC_MAX_HOST_ADDRS) return BRTC_ERR_LIMIT;
  socklen_t len = addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                              : sizeof(struct sockaddr_in);
  if (!brtc_addr_from_sockaddr(&c->host_addrs[c->n_host_addrs], addr, len))
    return BRTC_ERR_INVALID;
  c->n_host_addrs++;
  return BRTC_OK;
}

int brtc_pc_config_set_ice_lite(brtc_pc_config *c, bool lite) {
  if (!c) return BRTC_ERR_INVALID;
  c->ice_lite = lite;
  return BRTC_OK;
}

int brtc_pc_config_set_dtls_role(brtc_pc_config *c, brtc_dtls_role role) {
  if (!c || (role != BRTC_DTLS_ROLE_AUTO && role != BRTC_DTLS_ROLE_ACTIVE &&
             role != BRTC_DTLS_ROLE_PASSIVE))
    return BRTC_ERR_INVALID;
  c->dtls_role = role;
  return BRTC_OK;
}

int brtc_pc_config_set_video_bitrate(brtc_pc_config *c, uint32_t start_bps, uint32_t max_bps) {
  if (!c) return BRTC_ERR_INVALID;
  c->start_video_bitrate_bps = start_bps;
  c->max_video_bitrate_bps = max_bps;
  return BRTC_OK;
}

int brtc_pc_config_set_video_size(brtc_pc_config *c, unsigned width, unsigned height) {
  if (!c || (width == 0) != (height == 0) || width > 16384 || height > 16384)
    return BRTC_ERR_INVALID;
  c->video_width = width;
  c->video_height = height;
  return BRTC_OK;
}

int brtc_pc_config_set_keyframe_policy(brtc_pc_config *c, brtc_keyframe_policy policy) {
  if (!c || (policy != BRTC_KEYFRAME_ON_ANY_LOSS && policy != BRTC_KEYFRAME_ON_KEYFRAME_LOSS))
    return BRTC_ERR_INVALID;
  c->keyframe_policy = policy;
  return BRTC_OK;
}

int brtc_pc_config_set_consent_timeout(brtc_pc_config *c, uint64_t timeout_us) {
  if (!c) return BRTC_ERR_INVALID;
  c->consent_timeout_us = timeout_us;
  return BRTC_OK;
}

int brtc_pc_config_set_check_timeout(brtc_pc_config *c, uint64_t timeout_us) {
  if (!c) return BRTC_ERR_INVALID;
  c->ice_check_timeout_us = timeout_us;
  return BRTC_OK;
}

int brtc_pc_config_set_plain_packet_events(brtc_pc_config *c, bool on) {
  if (!c) return BRTC_ERR_INVALID;
  c->plain_packet_events = on;
  return BRTC_OK;
}

int brtc_pc_config_set_wire_packet_events(brtc_pc_config *c, bool on) {
  if (!c) return BRTC_ERR_INVALID;
  c->wire_packet_events = on;
  return BRTC_OK;
}

int brtc_pc_config_set_keep_keylog(brtc_pc_config *c, bool on) {
  if (!c) return BRTC_ERR_INVALID;
  c->keep_keylog = on;
  return BRTC_OK;
}

int brtc_pc_config_set_datachannels(brtc_pc_config *c, bool on) {
  if (!c) return BRTC_ERR_INVALID;
  c->datachannels = on;
  return BRTC_OK;
}

int brtc_pc_config_set_keep_dtls(brtc_pc_config *c, bool on) {
  if (!c) return BRTC_ERR_INVALID;
  c->keep_dtls = on;
  return BRTC_OK;
}

int brtc_pc_config_set_max_frame_size(brtc_pc_config *c, size_t bytes) {
  if (!c || bytes < PC_MIN_FRAME || bytes > PC_MAX_FRAME) return BRTC_ERR_INVALID;
  c->max_video_frame = bytes;
  return BRTC_OK;
}
