/* brtc_certificate: the public face of a DTLS certificate, shared by peer connections. */
#include <stdio.h>
#include <stdlib.h>

#include "pc/pc_internal.h"

int brtc_certificate_new(brtc_certificate **out, char *err, size_t err_cap) {
  if (err && err_cap) err[0] = '\0';
  if (!out) {
    if (err && err_cap) snprintf(err, err_cap, "certificate: no place to put it (out is NULL)");
    return BRTC_ERR_INVALID;
  }
  *out = NULL;
  brtc_certificate *c = calloc(1, sizeof(*c));
  if (!c) {
    if (err && err_cap) snprintf(err, err_cap, "certificate: out of memory");
    return BRTC_ERR_NOMEM;
  }
  int rc = brtc_dtls_cert_new(&c->cert, err, err_cap);
  if (rc != BRTC_OK) {
    free(c);
    return rc;
  }
  *out = c;
  return BRTC_OK;
}

brtc_certificate *brtc_certificate_generate(void) {
  brtc_certificate *c = NULL;
  brtc_certificate_new(&c, NULL, 0);
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
