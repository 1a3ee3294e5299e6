/* One outgoing media stream (a track's SSRC and its RTX SSRC): the send side of RTP/RTCP put
 * together from the parts in this folder, sans-IO.
 *
 *   frame in ──► brtc_rtp_sender (headers) ──► brtc_send_history (the packet's only copy)
 *                                                │ handle
 *                                                ▼
 *                                         brtc_pacer (per transport, shared)
 *                                                │ due handles, in batches
 *   bytes out ◄── brtc_send_stream_egress ◄──────┘   (the owner SRTP-protects them from the
 *                                                     history into its sendmmsg batch)
 *
 *   RTCP in (SR/RR blocks, NACK, PLI, FIR) ──► brtc_send_stream_on_rtcp:
 *       RTT and SSRC acks (brtc_sender_report), retransmissions into the pacer
 *       (brtc_retransmitter), keyframe wanted (brtc_keyframe_request)
 *   RTCP out: brtc_send_stream_write_report when its deadline comes.
 *
 * Nothing here calls back: the owner drains the pacer, takes keyframe requests and writes
 * reports when the deadlines it reads say so. */
#ifndef BRTC_SEND_STREAM_H
#define BRTC_SEND_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtp/keyframe_request.h"
#include "rtp/pacer.h"
#include "rtp/retransmit.h"
#include "rtp/rtp_sender.h"
#include "rtp/send_history.h"
#include "rtp/sender_report.h"

#define BRTC_SEND_STREAM_MAX_PACKET 1200 /* RTP bytes before SRTP's tag: fits any path's MTU */

typedef struct brtc_send_stream_config {
  uint32_t id;          /* the owner's number for this stream: the top 32 bits of its handles */
  bool audio;           /* audio queue in the pacer; frames never refused for congestion */
  brtc_rtp_sender_config rtp;
  const char *cname;
  size_t max_packet;          /* 0: BRTC_SEND_STREAM_MAX_PACKET */
  uint64_t max_bitrate_bps;   /* the stream's ceiling: sizes the history, budgets resends */
  brtc_send_history_config history; /* zero: one second at max_bitrate_bps (see send_history.h),
                                       and for video the largest frame beside it */
  size_t max_frame_bytes;     /* video: the largest encoded frame the owner sends (the pc's
                                 max_video_frame); 0: 4 MiB */
  uint64_t report_interval_us;      /* 0: 1 s video, 5 s audio */
  uint64_t keyframe_min_interval_us;
  uint32_t seed;                    /* for the report interval; 0 picks one */
} brtc_send_stream_config;

/* One payload of a frame, as the codec's packetizer made it. */
typedef struct brtc_payload {
  const uint8_t *data;
  size_t len;
} brtc_payload;

typedef struct brtc_send_frame {
  uint64_t capture_us;          /* on the owner's clock, like now_us */
  bool keyframe;                /* video: a decoder can start here */
  bool marker_first;            /* audio: first packet of a talkspurt (RFC 3551 4.1) */
  int16_t audio_level;          /* RFC 6464 byte, or -1 */
  const brtc_payload *payloads; /* in order; each at most brtc_send_stream_max_payload */
  size_t n;
} brtc_send_frame;

typedef struct brtc_send_stream_stats {
  uint64_t frames, keyframes;
  uint64_t frames_refused_congested;  /* the pacer's queue time was over its bound */
  uint64_t frames_refused_no_room;    /* history or pacer queue full */
  uint64_t frames_refused_need_key;   /* a delta frame after a refused one: undecodable */
  uint64_t lost_before_send;          /* a queued handle found no packet (should stay 0) */
  uint64_t rtcp_nack, rtcp_pli, rtcp_fir, rtcp_blocks;
} brtc_send_stream_stats;

typedef struct brtc_send_stream brtc_send_stream;

/* NULL with *err: BRTC_ERR_INVALID for a bad config (rtp, cname, sizes), BRTC_ERR_NOMEM. */
brtc_send_stream *brtc_send_stream_new(const brtc_send_stream_config *c, int *err);
void brtc_send_stream_free(brtc_send_stream *st);

/* The packets a frame of frame_bytes may take with max_packet-byte packets (full ones, and a
 * margin for the short last packet of each NAL unit or partition): what the history and the
 * pacer must be able to hold for it. */
size_t brtc_send_stream_frame_packets(size_t frame_bytes, size_t max_packet);

/* The largest payload a packetizer may make for this stream's next frame: max_packet less
 * the header it may have (larger until the peer acknowledges the SSRC and mid stops). RTX
 * packets add the OSN, and mid while the RTX SSRC is unacknowledged: up to 19 bytes over
 * max_packet, which the default's margin below any MTU absorbs. */
size_t brtc_send_stream_max_payload(const brtc_send_stream *st);
/* Which stream a pacer handle belongs to, and the purge mask/value for one stream. */
static inline uint32_t brtc_send_stream_handle_id(uint64_t handle) {
  return (uint32_t)(handle >> 32);
}
#define BRTC_SEND_STREAM_HANDLE_MASK 0xFFFFFFFF00000000ull

/* Packetized frame in: written into the history and queued in the pacer, all or nothing.
 * BRTC_ERR_AGAIN if the frame is refused (counted): the link is behind (the pacer is
 * congested, or the history or queue has no room) or, for video, a keyframe is needed first;
 * video then also wants a keyframe (brtc_send_stream_take_keyframe_request). BRTC_ERR_TOO_BIG
 * for a payload over brtc_send_stream_max_payload, or a frame larger than the history or the
 * pacer's queue could ever hold: for video, one over max_frame_bytes (in more packets than
 * brtc_send_stream_frame_packets, or bytes), whatever the ceiling. */
int brtc_send_stream_send_frame(brtc_send_stream *st, brtc_pacer *p, const brtc_send_frame *f,
                                uint64_t now_us);
/* A pacer item of this stream leaves at now_us: *pkt and *len get the RTP packet, not yet
 * SRTP-protected. For a first transmission or a resend it points into the history (valid until
 * the stream stores another frame): protect it from there into the datagram buffer with
 * brtc_srtp_protect_to, no copy needed. An RTX packet is built in scratch (cap bytes).
 * twcc_seq is the transport's counter for transport-wide sequence numbers, advanced for each
 * packet that carries one. A retransmission without RTX is the original packet byte for byte
 * (see docs/security.md). BRTC_ERR_NOT_FOUND if the packet is gone (counted; skip it),
 * BRTC_ERR_TOO_BIG if scratch is short. */
int brtc_send_stream_egress(brtc_send_stream *st, const brtc_pacer_item *it, uint64_t now_us,
                            uint16_t *twcc_seq, uint8_t *scratch, size_t cap,
                            const uint8_t **pkt, size_t *len);
/* One packet of a received RTCP compound (the brtc_rtcp_parse visitor's argument). Returns true
 * if it concerned this stream. NACKed packets are queued in p. */
bool brtc_send_stream_on_rtcp(brtc_send_stream *st, brtc_pacer *p, const brtc_rtcp_packet *pk,
                              uint64_t now_us);
/* True once per needed keyframe: ask the encoder (or skip a file to its next keyframe). */
bool brtc_send_stream_take_keyframe_request(brtc_send_stream *st, uint64_t now_us);
/* When brtc_send_stream_write_report next has something to write; UINT64_MAX before media. */
uint64_t brtc_send_stream_deadline(const brtc_send_stream *st);
/* The sender report compound if due (BRTC_ERR_AGAIN if not), with the owner's reception
 * report blocks (it may receive too). Force it with bye (SR + SDES + BYE, when the track
 * stops). */
int brtc_send_stream_write_report(brtc_send_stream *st, uint64_t now_us,
                                  const brtc_rtcp_report_block *blocks, size_t n, bool bye,
                                  uint8_t *out, size_t cap, size_t *out_len);
/* Set a new bitrate ceiling: the retransmission budget follows. */
void brtc_send_stream_set_max_bitrate(brtc_send_stream *st, uint64_t bps);

uint32_t brtc_send_stream_ssrc(const brtc_send_stream *st);
const brtc_send_stream_stats *brtc_send_stream_get_stats(const brtc_send_stream *st);
const brtc_rtp_sender_counters *brtc_send_stream_counters(const brtc_send_stream *st);
const brtc_retransmit_stats *brtc_send_stream_retransmit_stats(const brtc_send_stream *st);
const brtc_keyframe_request_stats *brtc_send_stream_keyframe_stats(const brtc_send_stream *st);
const brtc_sender_report_stats *brtc_send_stream_report_stats(const brtc_send_stream *st);
const brtc_rtt_stats *brtc_send_stream_rtt(const brtc_send_stream *st);
/* Bytes this stream allocated. */
size_t brtc_send_stream_memory(const brtc_send_stream *st);

#endif
