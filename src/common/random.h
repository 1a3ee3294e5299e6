/* Cryptographically strong random bytes and ICE-style strings (OpenSSL RAND). */
#ifndef BRTC_COMMON_RANDOM_H
#define BRTC_COMMON_RANDOM_H

#include <stddef.h>
#include <stdint.h>

int brtc_random_bytes(void *out, size_t len);
uint32_t brtc_random_u32(void);
uint64_t brtc_random_u64(void);
/* len characters from the ice-char set [A-Za-z0-9+/], NUL-terminated (out has len+1 bytes). */
int brtc_random_ice_string(char *out, size_t len);

#endif
