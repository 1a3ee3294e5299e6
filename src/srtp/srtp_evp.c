#include "srtp/srtp_evp.h"

#include <pthread.h>

static brtc_srtp_evp g_evp;
static const brtc_srtp_evp *g_evp_ok;
static pthread_once_t g_evp_once = PTHREAD_ONCE_INIT;

/* Fetching is slow (a provider lookup under a lock), so it happens once, never per session
 * or per packet. The handles live for the whole process. */
static void evp_fetch(void) {
  g_evp.aes_128_ctr = EVP_CIPHER_fetch(NULL, "AES-128-CTR", NULL);
  g_evp.aes_128_gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
  g_evp.hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  if (g_evp.aes_128_ctr && g_evp.aes_128_gcm && g_evp.hmac) g_evp_ok = &g_evp;
}

const brtc_srtp_evp *brtc_srtp_evp_get(void) {
  pthread_once(&g_evp_once, evp_fetch);
  return g_evp_ok;
}
