/* UTF-8 validation (RFC 3629 section 4's syntax): text messages and close reasons must be
 * UTF-8 (RFC 6455 5.6, 8.1), and a server that passes bad text on is how clients break. */
#include "websocket/websocket.h"

bool brtc_utf8_valid(const uint8_t *s, size_t len) {
  size_t i = 0;
  while (i < len) {
    uint8_t c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t n;
    uint8_t lo = 0x80, hi = 0xbf; /* the range of the second byte */
    if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c == 0xe0) lo = 0xa0; /* no overlong three-byte forms */
      if (c == 0xed) hi = 0x9f; /* no UTF-16 surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c == 0xf0) lo = 0x90; /* no overlong four-byte forms */
      if (c == 0xf4) hi = 0x8f; /* nothing above U+10FFFF */
    } else {
      return false; /* a continuation byte first, C0/C1 overlong, or F5..FF */
    }
    if (len - i <= n) return false;
    if (s[i + 1] < lo || s[i + 1] > hi) return false;
    for (size_t k = 2; k <= n; k++)
      if ((s[i + k] & 0xc0) != 0x80) return false;
    i += n + 1;
  }
  return true;
}
