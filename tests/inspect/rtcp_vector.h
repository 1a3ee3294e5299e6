/* The RTCP compound both inspector tests read: an RR with one report block, a PLI, a REMB of
 * 2.5 Mbit/s and a NACK for 100 and 102, from our own writers (0: a writer failed). */
#ifndef BRTC_TESTS_INSPECT_RTCP_VECTOR_H
#define BRTC_TESTS_INSPECT_RTCP_VECTOR_H

#include "boltrtc/error.h"
#include "rtp/rtcp.h"

static size_t rtcp_compound(uint8_t *buf, size_t cap) {
  size_t len = 0, n = 0;
  brtc_rtcp_report_block b = {.ssrc = 0x11223344, .fraction_lost = 12, .cumulative_lost = 3,
                              .ext_highest_seq = 70000, .jitter = 9};
  uint32_t ssrc = 0x11223344;
  uint16_t seqs[] = {100, 102};
  if (brtc_rtcp_write_rr(0xaaaa0001, &b, 1, buf, cap, &len) != BRTC_OK ||
      brtc_rtcp_write_pli(0xaaaa0001, 0x11223344, buf + len, cap - len, &n) != BRTC_OK)
    return 0;
  len += n;
  if (brtc_rtcp_write_remb(0xaaaa0001, 2500000, &ssrc, 1, buf + len, cap - len, &n) != BRTC_OK)
    return 0;
  len += n;
  if (brtc_rtcp_write_nack(0xaaaa0001, 0x11223344, seqs, 2, buf + len, cap - len, &n) != BRTC_OK)
    return 0;
  return len + n;
}

#endif
