/* Unprotect arbitrary bytes as SRTP and SRTCP under both profiles with fixed keys. The
 * first input byte picks the transform; sessions persist so replay state gets exercised. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "srtp/srtp.h"

static const uint8_t k_key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t k_salt[14] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6,
                                   0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static brtc_srtp *rx[2], *tx[2];
  if (!rx[0]) {
    rx[0] = brtc_srtp_new(BRTC_SRTP_PROFILE_AES128_CM_SHA1_80, BRTC_SRTP_INBOUND, k_key, 16, k_salt,
                          14);
    rx[1] =
        brtc_srtp_new(BRTC_SRTP_PROFILE_AEAD_AES_128_GCM, BRTC_SRTP_INBOUND, k_key, 16, k_salt, 12);
    tx[0] = brtc_srtp_new(BRTC_SRTP_PROFILE_AES128_CM_SHA1_80, BRTC_SRTP_OUTBOUND, k_key, 16,
                          k_salt, 14);
    tx[1] = brtc_srtp_new(BRTC_SRTP_PROFILE_AEAD_AES_128_GCM, BRTC_SRTP_OUTBOUND, k_key, 16, k_salt,
                          12);
    if (!rx[0] || !rx[1] || !tx[0] || !tx[1]) abort();
  }
  if (size < 1) return 0;
  int mode = data[0];
  data++;
  size--;
  int gcm = mode & 1, rtcp = (mode >> 1) & 1;
  /* An exact-size heap copy so any read past the end is caught by ASan. */
  uint8_t *pkt = malloc(size ? size : 1);
  if (!pkt) return 0;
  memcpy(pkt, data, size);
  size_t n = 0;
  int rc = rtcp ? brtc_srtcp_unprotect(rx[gcm], pkt, size, &n)
                : brtc_srtp_unprotect(rx[gcm], pkt, size, &n);
  if (rc == 0 && n > size) abort();
  free(pkt);

  if (mode & 4) {
    /* Protect the same bytes too: header parsing on the sending side sees them as well. */
    size_t cap = size + BRTC_SRTCP_MAX_TRAILER;
    uint8_t *buf = malloc(cap);
    if (buf) {
      memcpy(buf, data, size);
      rc = rtcp ? brtc_srtcp_protect(tx[gcm], buf, size, cap, &n)
                : brtc_srtp_protect(tx[gcm], buf, size, cap, &n);
      if (rc == 0 && n > cap) abort();
    }
    free(buf);
  }
  return 0;
}
