/* NTP timestamps from the owner's monotonic clock (RFC 5905 6, RFC 3550 4). */
#include "rtp/ntp.h"
#include "testing.h"

static void test_epoch_and_fraction(void) {
  /* The Unix epoch is 2,208,988,800 s into NTP era 0. */
  CHECK(brtc_ntp_from_us(BRTC_NTP_UNIX_EPOCH_S * 1000000u) == 0x83AA7E8000000000ull);
  /* Half a second is 0x80000000 of the fraction; a microsecond is ~4295. */
  CHECK(brtc_ntp_from_us(500000) == 0x80000000ull);
  CHECK(brtc_ntp_from_us(1) == 4295);
  CHECK(brtc_ntp_from_us(999999) == 0xFFFFEF39ull); /* rounds, never reaches 2^32 */
  CHECK(brtc_ntp_to_us(0x80000000ull) == 500000);
  for (uint64_t us = 0; us < 3000000; us += 7919)
    CHECK(brtc_ntp_to_us(brtc_ntp_from_us(us)) == us);
}

static void test_offset_mapping(void) {
  /* The owner read 2023-11-14T22:13:20Z (1,700,000,000 s) when its monotonic clock said 5 s. */
  uint64_t off = brtc_ntp_offset_us(1700000000ull * 1000000u, 5000000u);
  uint64_t ntp = brtc_ntp_at(7250000u, off); /* 2.25 s later */
  CHECK(ntp >> 32 == 1700000002ull + BRTC_NTP_UNIX_EPOCH_S);
  CHECK((ntp & 0xFFFFFFFFu) == 0x40000000u);
  CHECK(brtc_ntp_compact(ntp) == (uint32_t)(((1700000002ull + BRTC_NTP_UNIX_EPOCH_S) << 16) |
                                            0x4000u));
  /* 16.16 durations: 1.5 s, and one unit is ~15 us. */
  CHECK(brtc_ntp_compact_to_us(0x00018000u) == 1500000);
  CHECK(brtc_ntp_compact_to_us(1) == 15);
}

int main(void) {
  RUN(test_epoch_and_fraction);
  RUN(test_offset_mapping);
  return TEST_REPORT();
}
