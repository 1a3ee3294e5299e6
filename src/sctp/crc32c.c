/* CRC32c, slicing-by-8 (eight 256-entry tables: eight bytes per step, no bit loop), and the
 * SSE4.2 crc32 instruction on x86-64 CPUs that have it. */
#include "sctp/crc32c.h"

#include <pthread.h>
#include <string.h>

#define POLY_REFLECTED 0x82f63b78u

static uint32_t g_table[8][256];
static int g_hardware;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

/* g_table[0] is the byte-at-a-time table; g_table[k][n] is the CRC register after byte n
 * followed by k zero bytes, which lets eight bytes be folded with eight lookups. */
static void init_tables(void) {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int bit = 0; bit < 8; bit++) c = (c >> 1) ^ (POLY_REFLECTED & (0u - (c & 1u)));
    g_table[0][n] = c;
  }
  for (uint32_t n = 0; n < 256; n++)
    for (int k = 1; k < 8; k++)
      g_table[k][n] = (g_table[k - 1][n] >> 8) ^ g_table[0][g_table[k - 1][n] & 0xffu];
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  g_hardware = __builtin_cpu_supports("sse4.2");
#endif
}

static inline uint32_t load_le32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint32_t update_soft(uint32_t crc, const uint8_t *p, size_t len) {
  while (len >= 8) {
    uint32_t lo = load_le32(p) ^ crc, hi = load_le32(p + 4);
    crc = g_table[7][lo & 0xffu] ^ g_table[6][(lo >> 8) & 0xffu] ^
          g_table[5][(lo >> 16) & 0xffu] ^ g_table[4][lo >> 24] ^ g_table[3][hi & 0xffu] ^
          g_table[2][(hi >> 8) & 0xffu] ^ g_table[1][(hi >> 16) & 0xffu] ^ g_table[0][hi >> 24];
    p += 8;
    len -= 8;
  }
  while (len--) crc = (crc >> 8) ^ g_table[0][(crc ^ *p++) & 0xffu];
  return crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("sse4.2"))) static uint32_t update_hw(uint32_t crc, const uint8_t *p,
                                                              size_t len) {
  uint64_t c = crc;
  while (len >= 8) {
    uint64_t v;
    memcpy(&v, p, 8); /* little-endian, as the reflected CRC wants */
    c = __builtin_ia32_crc32di(c, v);
    p += 8;
    len -= 8;
  }
  uint32_t c32 = (uint32_t)c;
  while (len--) c32 = __builtin_ia32_crc32qi(c32, *p++);
  return c32;
}
#endif

uint32_t brtc_crc32c_update_soft(uint32_t crc, const uint8_t *data, size_t len) {
  pthread_once(&g_once, init_tables);
  return update_soft(crc, data, len);
}

uint32_t brtc_crc32c_update(uint32_t crc, const uint8_t *data, size_t len) {
  pthread_once(&g_once, init_tables);
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  if (g_hardware) return update_hw(crc, data, len);
#endif
  return update_soft(crc, data, len);
}

uint32_t brtc_crc32c(const uint8_t *data, size_t len) {
  return brtc_crc32c_final(brtc_crc32c_update(BRTC_CRC32C_INIT, data, len));
}

int brtc_crc32c_hardware(void) {
  pthread_once(&g_once, init_tables);
  return g_hardware;
}
