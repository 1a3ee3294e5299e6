/* The retransmission timeout from round-trip measurements (RFC 9260 6.3.1): SRTT and RTTVAR
 * with alpha 1/8 and beta 1/4, RTO = SRTT + 4 RTTVAR, kept within [min, max]. Karn's rule
 * (C5: no sample from a retransmitted chunk) is the caller's, which times one chunk at a time
 * and drops the timing when that chunk is sent again. */
#include "sctp/sctp_internal.h"

static uint32_t clamp(const sctp_rto *r, uint64_t v) {
  if (v < r->min_us) return r->min_us;
  if (v > r->max_us) return r->max_us;
  return (uint32_t)v;
}

void sctp_rto_init(sctp_rto *r, uint32_t initial_ms, uint32_t min_ms, uint32_t max_ms) {
  r->min_us = min_ms * SCTP_US_PER_MS;
  r->max_us = max_ms * SCTP_US_PER_MS;
  r->srtt_us = r->rttvar_us = 0;
  r->measured = false;
  r->rto_us = clamp(r, (uint64_t)initial_ms * SCTP_US_PER_MS);
}

void sctp_rto_sample(sctp_rto *r, uint64_t rtt_us) {
  if (rtt_us > 60ull * 1000 * 1000) return; /* a sample that long is a broken clock, not a path */
  uint32_t rtt = (uint32_t)rtt_us;
  if (!r->measured) { /* C1 */
    r->srtt_us = rtt;
    r->rttvar_us = rtt / 2;
    r->measured = true;
  } else { /* C2 */
    uint32_t diff = r->srtt_us > rtt ? r->srtt_us - rtt : rtt - r->srtt_us;
    r->rttvar_us = r->rttvar_us - r->rttvar_us / 4 + diff / 4;
    r->srtt_us = r->srtt_us - r->srtt_us / 8 + rtt / 8;
  }
  /* C3: a clock granularity G of 1 us is below any RTTVAR that matters. */
  r->rto_us = clamp(r, (uint64_t)r->srtt_us + 4ull * r->rttvar_us);
}

void sctp_rto_backoff(sctp_rto *r) { r->rto_us = clamp(r, (uint64_t)r->rto_us * 2); } /* E2 */
