/* One outgoing RTP stream (one SSRC, and its RTX SSRC when RFC 4588 is negotiated): sequence
 * numbers and timestamps, the header extensions a WebRTC sender writes, and the counters a
 * sender report and getStats need. Writes into caller buffers; no allocation, no clock.
 *
 * Two steps per packet. brtc_rtp_sender_write, when a frame is packetized, writes the whole
 * packet with its send-time fields left zero and says where they are (brtc_rtp_egress_slots).
 * brtc_rtp_stamp_egress, when the pacer lets the packet go, fills them in: abs-send-time and
 * the transport-wide sequence number describe the moment a packet leaves, not the moment it was
 * made (libwebrtc writes them in its egress step for the same reason). */
#ifndef BRTC_RTP_SENDER_H
#define BRTC_RTP_SENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtp/rtp_ext.h"

/* The largest header brtc_rtp_sender_write makes: 12 fixed, 4 extension header, then mid (17),
 * abs-send-time (4), transport-wide seq (3), abs-capture-time (9), audio level (2), padded to
 * 4. RTX packets add the 2-byte original sequence number after it. */
#define BRTC_RTP_SENDER_MAX_HEADER 52
#define BRTC_RTX_OSN_LEN 2

/* Negotiated extension ids (a=extmap), 1..14 for the one-byte form; 0 = not negotiated. */
typedef struct brtc_rtp_ext_ids {
  uint8_t mid;
  uint8_t abs_send_time;
  uint8_t twcc;
  uint8_t abs_capture_time;
  uint8_t audio_level;
} brtc_rtp_ext_ids;

typedef struct brtc_rtp_sender_config {
  uint32_t ssrc;
  uint8_t payload_type;
  uint32_t clock_rate;        /* 90000 for video, 48000 for Opus */
  bool rtx;                   /* RFC 4588 negotiated: retransmissions on rtx_ssrc */
  uint32_t rtx_ssrc;
  uint8_t rtx_payload_type;   /* the rtx payload type whose apt= is payload_type */
  brtc_rtp_ext_ids ext;
  char mid[BRTC_EXT_MID_MAX + 1];
  /* Write mid on every packet, not only until the peer has acknowledged the SSRC. */
  bool always_send_mid;
  /* abs-capture-time on the first packet of every frame, not only once a second (a latency
   * probe wants every frame). */
  bool abs_capture_every_frame;
  uint64_t ntp_offset_us;     /* brtc_ntp_offset_us, for abs-capture-time */
  /* Start values; brtc_rtp_sender_config_init draws them at random (RFC 3550 5.1). */
  uint16_t first_seq;
  uint16_t first_rtx_seq;
  uint32_t timestamp_offset;
} brtc_rtp_sender_config;

/* Where a packet's send-time fields are: byte offsets from its start, 0 = not in this packet. */
typedef struct brtc_rtp_egress_slots {
  uint8_t abs_send_time;
  uint8_t twcc;
} brtc_rtp_egress_slots;

/* What brtc_rtp_sender_write made. */
typedef struct brtc_rtp_written {
  uint16_t seq;
  uint16_t len;         /* whole packet */
  uint16_t header_len;  /* payload starts here (after the OSN too, for RTX) */
  brtc_rtp_egress_slots slots;
} brtc_rtp_written;

/* One frame's shared fields, from brtc_rtp_sender_begin_frame. */
typedef struct brtc_rtp_frame {
  uint32_t rtp_timestamp;
  uint64_t capture_ntp;   /* NTP time of capture */
  bool abs_capture_due;   /* abs-capture-time goes on this frame's first packet */
  int16_t audio_level;    /* RFC 6464 byte (voice << 7 | -dBov), or -1 for none */
  uint16_t packets;       /* written so far */
} brtc_rtp_frame;

typedef enum brtc_rtp_send_kind {
  BRTC_RTP_SEND_MEDIA = 0, /* first transmission */
  BRTC_RTP_SEND_RESEND,    /* the same packet again, on the media SSRC (no RTX negotiated) */
  BRTC_RTP_SEND_RTX,       /* an RFC 4588 retransmission on the RTX SSRC */
} brtc_rtp_send_kind;

/* Counters of what actually left (brtc_rtp_sender_count), for SR and getStats. */
typedef struct brtc_rtp_sender_counters {
  uint64_t packets;                /* every kind: what the SR's packet count reports */
  uint64_t payload_bytes;          /* original payload, every kind: the SR's octet count */
  uint64_t header_bytes;           /* RTP headers, including RTX's OSN */
  uint64_t retransmitted_packets;  /* RESEND + RTX */
  uint64_t retransmitted_bytes;    /* their original payload bytes */
  uint64_t rtx_packets;
  uint64_t media_packets;          /* first transmissions */
  uint64_t first_sent_us, last_sent_us;
} brtc_rtp_sender_counters;

typedef struct brtc_rtp_sender {
  brtc_rtp_sender_config cfg;
  uint8_t mid_len;
  uint16_t next_seq, next_rtx_seq;
  bool media_acked, rtx_acked; /* a report block for the SSRC came back */
  /* When the last abs-capture-time was written (one a second is enough to extrapolate). */
  bool act_sent;
  uint64_t act_sent_us;
  brtc_rtp_sender_counters counters;
} brtc_rtp_sender;

/* Defaults: video at 90 kHz, payload type 96, no extensions, no RTX; random SSRC, RTX SSRC,
 * timestamp offset, and sequence numbers in 1..32767 as libwebrtc draws them (a wrap within
 * the first packets would make a receiver that lost the first one guess the SRTP rollover
 * counter wrong, RFC 3711 3.3.1). */
void brtc_rtp_sender_config_init(brtc_rtp_sender_config *c);
/* BRTC_ERR_INVALID for a zero clock rate, a payload type over 127, an extension id over 14
 * or two extensions on one id, RTX on the media SSRC, or a mid that is empty while the mid
 * extension is on (or longer than BRTC_EXT_MID_MAX). */
int brtc_rtp_sender_init(brtc_rtp_sender *s, const brtc_rtp_sender_config *c);

/* The most header bytes the next packet can have (mid while unacknowledged, each negotiated
 * extension, abs-capture-time counted as if due): what a packetizer must leave room for.
 * At most BRTC_RTP_SENDER_MAX_HEADER. */
size_t brtc_rtp_sender_header_bound(const brtc_rtp_sender *s);
/* The RTP timestamp of an instant of the owner's clock: the media clock runs from the
 * random offset, in step with now_us, so frames and sender reports share one timeline. */
uint32_t brtc_rtp_sender_rtp_time(const brtc_rtp_sender *s, uint64_t us);
/* Start a frame captured at capture_us (owner's clock), packetized at now_us. */
void brtc_rtp_sender_begin_frame(brtc_rtp_sender *s, uint64_t capture_us, uint64_t now_us,
                                 brtc_rtp_frame *f);
/* Write one packet of frame f (marker on the frame's last packet for video, RFC 7741 4.1;
 * on the first after silence for audio, RFC 3551 4.1). BRTC_ERR_TOO_BIG if cap is less than
 * brtc_rtp_sender_header_bound + payload_len. */
int brtc_rtp_sender_write(brtc_rtp_sender *s, brtc_rtp_frame *f, bool marker,
                          const uint8_t *payload, size_t payload_len, uint8_t *out, size_t cap,
                          brtc_rtp_written *w);
/* The RFC 4588 retransmission of a packet this sender wrote: RTX payload type, SSRC and
 * sequence number, the original sequence number (OSN) before the original payload, the same
 * timestamp, marker and extensions (send-time fields fresh; mid while the RTX SSRC is
 * unacknowledged). BRTC_ERR_STATE without RTX, BRTC_ERR_PARSE for a malformed original. */
int brtc_rtp_sender_write_rtx(brtc_rtp_sender *s, const uint8_t *orig, size_t orig_len,
                              uint8_t *out, size_t cap, brtc_rtp_written *w);
/* Fill a leaving packet's abs-send-time (now_us) and transport-wide sequence number. */
void brtc_rtp_stamp_egress(uint8_t *pkt, const brtc_rtp_egress_slots *slots, uint64_t now_us,
                           uint16_t twcc_seq);
/* Count a packet that left at now_us (len bytes, header_len of them header). */
void brtc_rtp_sender_count(brtc_rtp_sender *s, brtc_rtp_send_kind kind, size_t len,
                           size_t header_len, uint64_t now_us);
/* A report block about ssrc came back (RFC 3550 6.4.1): the peer has seen packets of that SSRC
 * and so knows which m-section it belongs to; mid can stop (libwebrtc's rule). */
void brtc_rtp_sender_on_report_block(brtc_rtp_sender *s, uint32_t ssrc);

#endif
