/* CRC32c (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78), the SCTP checksum
 * (RFC 9260 6.8 and Appendix A). Slicing-by-8 in software; the SSE4.2 crc32 instruction where
 * the CPU has it (chosen once, at first use). */
#ifndef BRTC_SCTP_CRC32C_H
#define BRTC_SCTP_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* The running register: start from BRTC_CRC32C_INIT, feed bytes, finish with
 * brtc_crc32c_final. */
#define BRTC_CRC32C_INIT 0xffffffffu
uint32_t brtc_crc32c_update(uint32_t crc, const uint8_t *data, size_t len);
static inline uint32_t brtc_crc32c_final(uint32_t crc) { return ~crc; }

/* The CRC32c of a buffer (the usual check value: "123456789" gives 0xe3069283). */
uint32_t brtc_crc32c(const uint8_t *data, size_t len);

/* The same in software only, whatever the CPU has (tests compare the two paths). */
uint32_t brtc_crc32c_update_soft(uint32_t crc, const uint8_t *data, size_t len);
/* Whether brtc_crc32c_update uses the CPU's instruction. */
int brtc_crc32c_hardware(void);

#endif
