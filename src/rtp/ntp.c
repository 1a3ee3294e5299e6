/* NTP timestamp conversions (RFC 5905 6). */
#include "rtp/ntp.h"

#define US_PER_S 1000000ull

uint64_t brtc_ntp_offset_us(uint64_t unix_us, uint64_t monotonic_us) {
  return unix_us + BRTC_NTP_UNIX_EPOCH_S * US_PER_S - monotonic_us;
}

uint64_t brtc_ntp_from_us(uint64_t us) {
  uint64_t seconds = (us / US_PER_S) & 0xFFFFFFFFu;
  /* At most 999,999 * 2^32 + 500,000: no overflow, and the fraction stays below 2^32. */
  uint64_t fraction = ((us % US_PER_S) * (1ull << 32) + US_PER_S / 2) / US_PER_S;
  return seconds << 32 | fraction;
}

uint64_t brtc_ntp_to_us(uint64_t ntp) {
  uint64_t seconds = ntp >> 32, fraction = ntp & 0xFFFFFFFFu;
  return seconds * US_PER_S + ((fraction * US_PER_S + (1ull << 31)) >> 32);
}
