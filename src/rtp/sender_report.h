/* Sender reports for one outgoing SSRC (RFC 3550 6.4.1) and the round-trip time their echoes
 * give (LSR/DLSR in the receiver's report blocks).
 *
 * What a report says: our NTP time now (the owner's monotonic now_us plus the NTP offset given
 * at creation, rtp/ntp.h), the RTP timestamp of that same instant on the stream's media clock
 * (brtc_rtp_sender_rtp_time), and how many packets and payload octets have left so far; then,
 * in the same compound, an SDES with our CNAME (RFC 3550 6.1: every compound carries it). Under
 * reduced-size RTCP (RFC 5506) only feedback may travel alone; regular reports stay compound,
 * so this writer makes the same packets in both modes (libwebrtc does the same).
 *
 * When: libwebrtc's intervals rather than RFC 3550 6.2's bandwidth share, which at video rates
 * only hits its 5 s floor: 1 s for video and 5 s for audio, each interval drawn from
 * [0.5, 1.5] times that (RFC 3550 6.3.1, so that reports of many senders do not synchronise).
 * The first report goes half an interval after the first packet: none before, since there is
 * no RTP time to map yet. */
#ifndef BRTC_SENDER_REPORT_H
#define BRTC_SENDER_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtp/rtcp.h"
#include "rtp/rtp_sender.h"

#define BRTC_SR_VIDEO_INTERVAL_US 1000000u
#define BRTC_SR_AUDIO_INTERVAL_US 5000000u
#define BRTC_SR_REMEMBERED 8 /* reports whose echo we can still match */
#define BRTC_CNAME_MAX 255

typedef struct brtc_sender_report_config {
  uint32_t ssrc;
  const char *cname;      /* RFC 7022: random per session; copied */
  bool audio;
  uint64_t interval_us;   /* 0: by kind */
  uint64_t ntp_offset_us; /* brtc_ntp_offset_us */
  uint32_t seed;          /* for the interval's randomisation; 0 picks one */
} brtc_sender_report_config;

typedef struct brtc_rtt_stats {
  uint64_t last_us, min_us, max_us, smoothed_us; /* smoothed: 7/8 old + 1/8 new */
  uint64_t total_us, samples;                    /* getStats totalRoundTripTime, measurements */
} brtc_rtt_stats;

typedef struct brtc_sender_report_stats {
  uint64_t reports_sent;
  uint64_t blocks_received;   /* report blocks about our SSRC */
  uint64_t lsr_zero;          /* the peer had no report of ours yet */
  uint64_t lsr_unknown;       /* LSR matches no report we sent: ignored */
  uint64_t rtt_negative;      /* DLSR longer than the report's age: clamped to 0 */
  uint8_t fraction_lost;      /* from the last block */
  int32_t cumulative_lost;
  uint32_t jitter;
} brtc_sender_report_stats;

typedef struct brtc_sender_report {
  uint32_t ssrc;
  char cname[BRTC_CNAME_MAX + 1];
  uint64_t interval_us;
  uint64_t ntp_offset_us;
  uint32_t rng;
  bool scheduled;
  uint64_t next_us;
  struct {
    uint32_t compact; /* the report's NTP time, middle 32 bits: what LSR echoes */
    uint64_t at_us;
  } sent[BRTC_SR_REMEMBERED];
  size_t sent_next, sent_count;
  brtc_rtt_stats rtt;
  brtc_sender_report_stats stats;
} brtc_sender_report;

/* BRTC_ERR_INVALID for a missing, empty or too long CNAME. */
int brtc_sender_report_init(brtc_sender_report *r, const brtc_sender_report_config *c);
/* Media has started leaving (call on every send; only the first one schedules). */
void brtc_sender_report_on_media(brtc_sender_report *r, uint64_t now_us);
/* When the next report is due; UINT64_MAX before any media. */
uint64_t brtc_sender_report_deadline(const brtc_sender_report *r);
/* Write SR (with the given reception report blocks, at most 31: we may also be a receiver)
 * + SDES CNAME [+ BYE when bye], and schedule the next. Callable any time after media started;
 * BRTC_ERR_STATE before. */
int brtc_sender_report_write(brtc_sender_report *r, const brtc_rtp_sender *s, uint64_t now_us,
                             const brtc_rtcp_report_block *blocks, size_t n, bool bye,
                             uint8_t *out, size_t cap, size_t *out_len);
/* A report block received at now_us (from an SR or RR): if it is about our SSRC, its LSR/DLSR
 * give an RTT (RFC 3550 6.4.1: A - LSR - DLSR, with A our clock). Returns true if it was. */
bool brtc_sender_report_on_block(brtc_sender_report *r, const brtc_rtcp_report_block *b,
                                 uint64_t now_us);

#endif
