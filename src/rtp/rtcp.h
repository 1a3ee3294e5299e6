/* RTCP (RFC 3550, RFC 4585, RFC 5104): compound packet parse and the packets we send. */
#ifndef BRTC_RTCP_H
#define BRTC_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtp/rtp.h"

enum {
  BRTC_RTCP_SR = 200,
  BRTC_RTCP_RR = 201,
  BRTC_RTCP_SDES = 202,
  BRTC_RTCP_BYE = 203,
  BRTC_RTCP_APP = 204,
  BRTC_RTCP_RTPFB = 205, /* FMT 1: generic NACK, 15: transport-cc */
  BRTC_RTCP_PSFB = 206,  /* FMT 1: PLI, 4: FIR, 15: AFB (REMB) */
  BRTC_RTCP_XR = 207,    /* RFC 3611 extended reports: RRTR and DLRR blocks */
};

typedef struct brtc_rtcp_report_block {
  uint32_t ssrc;
  uint8_t fraction_lost;
  int32_t cumulative_lost; /* 24-bit signed */
  uint32_t ext_highest_seq;
  uint32_t jitter;
  uint32_t last_sr;
  uint32_t delay_since_last_sr;
} brtc_rtcp_report_block;

/* One packet of a compound, as handed to the visitor. */
typedef struct brtc_rtcp_packet {
  uint8_t type;
  uint8_t count_or_fmt;     /* RC / SC / FMT */
  const uint8_t *data;      /* whole packet, header included */
  size_t len;
  uint32_t sender_ssrc;     /* SR, RR, RTPFB, PSFB, first SSRC of BYE */
  /* SR */
  uint64_t ntp;
  uint32_t rtp_ts, packet_count, octet_count;
  /* SR, RR */
  brtc_rtcp_report_block blocks[31];
  size_t n_blocks;
  /* RTPFB, PSFB */
  uint32_t media_ssrc;
  const uint8_t *fci;
  size_t fci_len;
} brtc_rtcp_packet;

typedef void (*brtc_rtcp_visitor)(const brtc_rtcp_packet *p, void *user);

/* Validate a compound packet (RFC 3550 A.2, relaxed for reduced-size RTCP, RFC 5506)
 * and call visit for each packet. BRTC_ERR_PARSE on any malformed length or version. */
int brtc_rtcp_parse(const uint8_t *buf, size_t len, brtc_rtcp_visitor visit, void *user);

/* Writers: append one packet at out, return its size in *out_len. */
int brtc_rtcp_write_rr(uint32_t sender_ssrc, const brtc_rtcp_report_block *blocks, size_t n,
                       uint8_t *out, size_t cap, size_t *out_len);
int brtc_rtcp_write_sr(uint32_t sender_ssrc, uint64_t ntp, uint32_t rtp_ts, uint32_t packets,
                       uint32_t octets, const brtc_rtcp_report_block *blocks, size_t n,
                       uint8_t *out, size_t cap, size_t *out_len);
int brtc_rtcp_write_sdes_cname(uint32_t ssrc, const char *cname, uint8_t *out, size_t cap,
                               size_t *out_len);
int brtc_rtcp_write_bye(uint32_t ssrc, uint8_t *out, size_t cap, size_t *out_len);
int brtc_rtcp_write_pli(uint32_t sender_ssrc, uint32_t media_ssrc, uint8_t *out, size_t cap,
                        size_t *out_len);
int brtc_rtcp_write_fir(uint32_t sender_ssrc, uint32_t media_ssrc, uint8_t seq, uint8_t *out,
                        size_t cap, size_t *out_len);
/* Generic NACK (RFC 4585 6.2.1): seqs sorted ascending with wrap; packs PID+BLP. */
int brtc_rtcp_write_nack(uint32_t sender_ssrc, uint32_t media_ssrc, const uint16_t *seqs,
                         size_t n, uint8_t *out, size_t cap, size_t *out_len);
/* Decode a NACK FCI into sequence numbers; returns how many (at most cap). */
size_t brtc_rtcp_nack_seqs(const uint8_t *fci, size_t fci_len, uint16_t *seqs, size_t cap);
/* REMB, receiver estimated maximum bitrate (draft-alvestrand-rmcat-remb-03): PSFB FMT 15
 * with media SSRC 0 and an FCI of 'R' 'E' 'M' 'B', the SSRC count, a 6-bit exponent and an
 * 18-bit mantissa (bitrate = mantissa << exponent, rounded down so it never says more than
 * bitrate_bps), then the SSRCs the estimate applies to (1..255). */
int brtc_rtcp_write_remb(uint32_t sender_ssrc, uint64_t bitrate_bps, const uint32_t *ssrcs,
                         size_t n, uint8_t *out, size_t cap, size_t *out_len);
/* Decode a REMB FCI (a PSFB FMT 15 packet's fci): the bitrate (saturated at UINT64_MAX) and
 * up to cap SSRCs, *n = how many were stored. BRTC_ERR_PARSE if it is not a REMB or its SSRC
 * list does not fit in fci_len (other FMT 15 application messages exist). */
int brtc_rtcp_parse_remb(const uint8_t *fci, size_t fci_len, uint64_t *bitrate_bps,
                         uint32_t *ssrcs, size_t cap, size_t *n);
/* RFC 3611 receiver-side round-trip time. A receiver that sends no media has no sender
 * report for the other side to answer; instead it sends a Receiver Reference Time block
 * (4.4, BT 4: its NTP time) and the media sender answers with a DLRR block (4.5, BT 5: per
 * receiver SSRC, the middle 32 bits of that NTP time and the delay since it arrived, both
 * in 1/65536 s). RTT = arrival of the DLRR - LRR - DLRR. */
#define BRTC_RTCP_XR_RRTR_LEN 20 /* header, SSRC, one RRTR block */
int brtc_rtcp_write_xr_rrtr(uint32_t sender_ssrc, uint64_t ntp, uint8_t *out, size_t cap,
                            size_t *out_len);
/* One DLRR sub-block, for the receiver ssrc. */
int brtc_rtcp_write_xr_dlrr(uint32_t sender_ssrc, uint32_t ssrc, uint32_t last_rr,
                            uint32_t delay_since_last_rr, uint8_t *out, size_t cap,
                            size_t *out_len);
/* In an XR packet (p->type == BRTC_RTCP_XR): the RRTR block's NTP time. BRTC_ERR_NOT_FOUND
 * if there is none, BRTC_ERR_PARSE if a block overruns the packet. */
int brtc_rtcp_xr_rrtr(const brtc_rtcp_packet *p, uint64_t *ntp);
/* In an XR packet: the DLRR sub-block about ssrc. BRTC_ERR_NOT_FOUND, BRTC_ERR_PARSE. */
int brtc_rtcp_xr_dlrr(const brtc_rtcp_packet *p, uint32_t ssrc, uint32_t *last_rr,
                      uint32_t *delay_since_last_rr);

/* FIR (RFC 5104 4.3.1.1): the FCI is a list of 8-byte entries (target SSRC, command sequence
 * number, 24 reserved bits). The sequence number of the entry for ssrc: BRTC_OK, or
 * BRTC_ERR_NOT_FOUND if no entry names ssrc (a partial trailing entry is ignored). */
int brtc_rtcp_fir_seq(const uint8_t *fci, size_t fci_len, uint32_t ssrc, uint8_t *seq);
/* A report block for our receiver statistics (updates the prior counters). */
void brtc_rtcp_report_from_stats(brtc_rtp_receiver_stats *s, uint64_t now_us,
                                 brtc_rtcp_report_block *out);

#endif
