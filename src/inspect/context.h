/* The packet inspector's context (include/boltrtc/inspect.h: brtc_inspect_context), read by
 * the field decoders. */
#ifndef BRTC_INSPECT_CONTEXT_H
#define BRTC_INSPECT_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boltrtc/inspect.h"

struct brtc_inspect_context {
  uint8_t ext[256];    /* brtc_inspect_ext by extension id (1-14 one-byte, 1-255 two-byte) */
  uint8_t codec[128];  /* brtc_inspect_codec by payload type */
  char local_ufrag[BRTC_INSPECT_UFRAG_MAX + 1];  /* ours: the server's */
  char remote_ufrag[BRTC_INSPECT_UFRAG_MAX + 1]; /* the peer's */
  /* SRTP authentication tag length (RFC 3711 4.2, RFC 7714 14): 10 for
   * AES_CM_128_HMAC_SHA1_80, 4 for _32, 16 for the AEAD profiles; 0: unknown. */
  size_t srtp_tag_len;
  bool srtp_aead;
};

#endif
