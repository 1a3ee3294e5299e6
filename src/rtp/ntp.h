/* NTP timestamps (RFC 5905 6: 32.32 fixed-point seconds since 1900) from the owner's clock.
 *
 * The cores never read a clock: every call takes now_us from the owner's monotonic clock. To
 * turn that into wall-clock NTP time (sender reports, RFC 3550 6.4.1; abs-capture-time), the
 * owner reads its wall clock and its monotonic clock once, at creation, and hands the
 * difference over as ntp_offset_us (brtc_ntp_offset_us). From then on NTP time is
 * now_us + ntp_offset_us: it advances exactly with the monotonic clock, so a wall clock stepped
 * by NTP or by hand later never makes our reports jump or run backwards, and the RTP timestamp
 * and NTP time of one report always describe the same instant. */
#ifndef BRTC_RTP_NTP_H
#define BRTC_RTP_NTP_H

#include <stdint.h>

/* Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (the Unix epoch). */
#define BRTC_NTP_UNIX_EPOCH_S 2208988800ull

/* The offset for the owner: unix_us is the wall clock (CLOCK_REALTIME) and monotonic_us the
 * clock it passes as now_us, both read at the same moment. */
uint64_t brtc_ntp_offset_us(uint64_t unix_us, uint64_t monotonic_us);

/* Microseconds since 1900 as a 64-bit NTP timestamp (rounded to the nearest 2^-32 s). The
 * seconds wrap in 2036 (era 1), as they do on the wire. */
uint64_t brtc_ntp_from_us(uint64_t us_since_1900);
/* The NTP time of the owner's instant now_us. */
static inline uint64_t brtc_ntp_at(uint64_t now_us, uint64_t ntp_offset_us) {
  return brtc_ntp_from_us(now_us + ntp_offset_us);
}
/* An NTP timestamp as microseconds (within its era), rounded to the nearest. */
uint64_t brtc_ntp_to_us(uint64_t ntp);
/* The middle 32 bits (16.16 seconds): what LSR carries (RFC 3550 6.4.1). */
static inline uint32_t brtc_ntp_compact(uint64_t ntp) { return (uint32_t)(ntp >> 16); }
/* A 16.16 duration (DLSR, or a difference of compact times) in microseconds. */
static inline uint64_t brtc_ntp_compact_to_us(uint32_t c) {
  return ((uint64_t)c * 1000000u + 32768u) >> 16;
}

#endif
