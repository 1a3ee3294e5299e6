/* RTP (RFC 3550) headers with CSRCs and header extensions (RFC 8285). Zero-copy parse. */
#ifndef BRTC_RTP_H
#define BRTC_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BRTC_RTP_MAX_EXTENSIONS 16

typedef struct brtc_rtp_ext {
  uint8_t id;           /* 1..14 (one-byte) or 1..255 (two-byte) */
  uint8_t len;
  const uint8_t *data;  /* into the packet */
} brtc_rtp_ext;

typedef struct brtc_rtp_header {
  uint8_t version;
  bool padding;
  bool extension;
  uint8_t csrc_count;
  bool marker;
  uint8_t payload_type;
  uint16_t sequence;
  uint32_t timestamp;
  uint32_t ssrc;
  uint32_t csrc[15];
  uint16_t ext_profile;  /* 0xBEDE (one-byte), 0x100x (two-byte) or other */
  brtc_rtp_ext ext[BRTC_RTP_MAX_EXTENSIONS]; /* parsed for 0xBEDE and 0x100x profiles */
  size_t n_ext;
  size_t header_len;     /* offset of the payload */
  const uint8_t *payload;
  size_t payload_len;    /* without padding */
  uint8_t padding_len;
} brtc_rtp_header;

/* RFC 7983/5761: RTP vs RTCP on a muxed port, by payload type 64..95 = RTCP. */
bool brtc_rtp_is_rtcp(const uint8_t *buf, size_t len);
int brtc_rtp_parse(const uint8_t *buf, size_t len, brtc_rtp_header *h);
/* The extension with this id, or NULL. */
const brtc_rtp_ext *brtc_rtp_find_ext(const brtc_rtp_header *h, uint8_t id);
/* Serialise the header fields (version 2, csrcs, one-byte or two-byte extensions as given
 * in h->ext with ext_profile) followed by payload. Returns the size in *out_len. */
int brtc_rtp_write(const brtc_rtp_header *h, const uint8_t *payload, size_t payload_len,
                   uint8_t *out, size_t cap, size_t *out_len);

/* Receive statistics for one SSRC (RFC 3550 A.1, A.3, A.8): extended sequence numbers,
 * loss, jitter; feeds the receiver report. */
typedef struct brtc_rtp_receiver_stats {
  uint32_t ssrc;
  uint32_t clock_rate;
  bool started;
  uint16_t max_seq;
  uint32_t cycles;        /* shifted count of wraps, << 16 */
  uint32_t base_seq;
  uint32_t bad_seq;
  uint32_t probation;
  uint64_t received;
  uint64_t expected_prior;
  uint64_t received_prior;
  int64_t transit;
  double jitter;          /* in timestamp units */
  uint32_t last_sr_ntp_mid; /* middle 32 bits of the last SR's NTP time */
  uint64_t last_sr_at_us;
} brtc_rtp_receiver_stats;

void brtc_rtp_stats_init(brtc_rtp_receiver_stats *s, uint32_t ssrc, uint32_t clock_rate);
/* Update on a received packet; arrival in microseconds. */
void brtc_rtp_stats_update(brtc_rtp_receiver_stats *s, uint16_t seq, uint32_t rtp_ts,
                           uint64_t arrival_us);
uint32_t brtc_rtp_stats_ext_max_seq(const brtc_rtp_receiver_stats *s);
/* Packets expected less packets received since the first (RFC 3550 A.3, unclamped:
 * negative when duplicates outnumber losses); 0 before the source is valid. */
int64_t brtc_rtp_stats_lost(const brtc_rtp_receiver_stats *s);
/* Remember a sender report from this SSRC (its 64-bit NTP time, our arrival time) so the
 * next report block carries LSR and DLSR. */
void brtc_rtp_stats_on_sr(brtc_rtp_receiver_stats *s, uint64_t ntp, uint64_t now_us);

#endif
