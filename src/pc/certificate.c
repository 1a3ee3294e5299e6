/* brtc_certificate: the public face of a DTLS certificate, shared by peer connections. */
#include <stdlib.h>

#include "pc/pc_internal.h"

brtc_certificate *brtc_certificate_generate(void) {
  brtc_certificate *c = calloc(1, sizeof(*c));
  if (!c) return NULL;
  c->cert = brtc_dtls_cert_generate();
  if (!c->cert) {
    free(c);
    return NULL;
  }
  return c;
}

void brtc_certificate_free(brtc_certificate *c) {
  if (!c) return;
  brtc_dtls_cert_free(c->cert);
  free(c);
}

const char *brtc_certificate_fingerprint(const brtc_certificate *c) {
  return c ? brtc_dtls_cert_fingerprint(c->cert) : "";
}
