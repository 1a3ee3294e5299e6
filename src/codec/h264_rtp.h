/* H.264 RTP payload format (RFC 6184), packetization-mode 1: single NAL unit packets,
 * STAP-A and FU-A, both ways.
 *
 * Both sides are pull-style and never call back into their owner:
 * - the packetizer takes one access unit and hands out its RTP payloads one at a time into
 *   the caller's buffer;
 * - the assembler takes RTP packets in any order and hands out whole access units, in
 *   Annex-B form, into the caller's buffer.
 * Neither allocates per packet. */
#ifndef BRTC_H264_RTP_H
#define BRTC_H264_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec/frame_loss.h"
#include "codec/h264.h"
#include "rtp/rtp.h"

/* ---- packetizer (the sending side) ---- */

/* NAL units one access unit may hold (slices, SEI, parameter sets): more is refused. */
#define BRTC_H264_MAX_NALS 256
/* SPS and PPS remembered to be sent again before an IDR: longer ones are sent as they come
 * but not remembered. */
#define BRTC_H264_MAX_PARAMETER_SET 256

typedef struct brtc_h264_packetizer brtc_h264_packetizer;

typedef struct brtc_h264_packetizer_stats {
  uint64_t access_units;
  uint64_t packets;
  uint64_t single_nal;       /* single NAL unit packets */
  uint64_t stap_a;           /* STAP-A packets */
  uint64_t fu_a;             /* FU-A packets (fragments) */
  uint64_t parameter_sets_inserted; /* SPS or PPS repeated before an IDR from memory */
  uint64_t idr_without_parameter_sets; /* IDR sent with no SPS/PPS known to put before it */
  uint64_t nals_dropped;     /* access unit delimiters and filler data: not sent */
} brtc_h264_packetizer_stats;

/* max_payload: the largest RTP payload to make (the MTU less IP, UDP, RTP, SRTP and header
 * extension overhead); at least 3 (an FU-A carries 2 header bytes). NULL if smaller. */
brtc_h264_packetizer *brtc_h264_packetizer_new(size_t max_payload);
void brtc_h264_packetizer_free(brtc_h264_packetizer *p);
/* A new MTU takes effect from the next access unit. BRTC_ERR_INVALID below 3. */
int brtc_h264_packetizer_set_max_payload(brtc_h264_packetizer *p, size_t max_payload);

/* Take one access unit: in Annex-B form (start codes), or as a list of NAL units (each
 * without start code). The bytes are not copied: they must stay valid and unchanged until
 * brtc_h264_packetizer_next has returned BRTC_ERR_AGAIN (or _discard is called).
 * - Access unit delimiters and filler data are dropped: RTP's marker bit delimits.
 * - SPS and PPS in the unit are remembered; an access unit with an IDR slice and no SPS
 *   (or no PPS) gets the last remembered one put in front (an encoder that sends them only
 *   once, as a Raspberry Pi's may, still gives a receiver that joins later a keyframe it can
 *   decode).
 * BRTC_ERR_STATE if the previous unit still has payloads to take; BRTC_ERR_PARSE if the
 * Annex-B bytes hold no start code or no NAL unit; BRTC_ERR_TOO_BIG past BRTC_H264_MAX_NALS;
 * BRTC_ERR_INVALID for an empty NAL unit in the list or a forbidden_zero_bit set. */
int brtc_h264_packetizer_push_annexb(brtc_h264_packetizer *p, const uint8_t *au, size_t len);
int brtc_h264_packetizer_push_nals(brtc_h264_packetizer *p, const brtc_h264_nal *nals,
                                   size_t n);
/* Whether the access unit taken last holds an IDR slice (a keyframe). */
bool brtc_h264_packetizer_is_keyframe(const brtc_h264_packetizer *p);
/* The next RTP payload of the access unit into out (cap >= max_payload is always enough):
 * BRTC_OK with *len and *marker (true on the last payload of the unit: set the RTP marker
 * bit, RFC 6184 5.1); BRTC_ERR_AGAIN once the unit is done; BRTC_ERR_TOO_BIG if cap is too
 * small for this payload (nothing consumed). Every payload of one unit takes the same RTP
 * timestamp and consecutive sequence numbers.
 * Small NAL units that follow each other go together in one STAP-A (RFC 6184 5.7.1) while
 * they fit, as libwebrtc does with SPS, PPS and SEI before an IDR; one that fits alone goes
 * as a single NAL unit packet (5.6); a larger one is cut into FU-A fragments of balanced
 * sizes (5.8). */
int brtc_h264_packetizer_next(brtc_h264_packetizer *p, uint8_t *out, size_t cap, size_t *len,
                              bool *marker);
/* Payloads brtc_h264_packetizer_next still has for this access unit. */
size_t brtc_h264_packetizer_remaining(const brtc_h264_packetizer *p);
/* Forget the rest of the current access unit (its bytes are no longer referenced). */
void brtc_h264_packetizer_discard(brtc_h264_packetizer *p);
const brtc_h264_packetizer_stats *brtc_h264_packetizer_get_stats(const brtc_h264_packetizer *p);

/* ---- assembler (the receiving side) ---- */

/* Reorder window, in packets, and the largest RTP payload one packet may carry; a bigger
 * one counts as bad and its access unit is lost. An access unit can hold at most what the
 * window holds. */
#define BRTC_H264_REORDER_WINDOW 512
#define BRTC_H264_MAX_PACKET_PAYLOAD 1500
/* Whole access units waiting for brtc_h264_assembler_pop; past it the oldest is dropped. */
#define BRTC_H264_MAX_READY 32

typedef struct brtc_h264_frame {
  size_t len;             /* Annex-B bytes written (or needed, with BRTC_ERR_TOO_BIG) */
  uint32_t timestamp;
  uint32_t ssrc;
  uint16_t first_seq, last_seq;
  bool keyframe;          /* holds an IDR slice (NAL type 5) */
  bool parameter_sets_inserted; /* SPS and/or PPS put in front from the last ones seen */
  bool decodable_alone;   /* a keyframe with both SPS and PPS in front of its slices */
  uint16_t width, height; /* keyframes with an SPS only, else 0: the cropped size */
  size_t nal_units;
} brtc_h264_frame;

typedef struct brtc_h264_assembler_stats {
  uint64_t packets;
  uint64_t frames;           /* handed out by pop */
  uint64_t keyframes;
  uint64_t frames_dropped;   /* a packet was lost, or the unit did not fit the window */
  uint64_t frames_malformed; /* complete, but FU-A fragments do not nest (start without end,
                                end or middle without start) */
  uint64_t frames_unread;    /* complete but dropped: the owner did not pop them in time */
  uint64_t packets_bad;      /* truncated, NAL type 0/30/31, STAP-A lengths that overrun */
  uint64_t packets_unsupported; /* STAP-B, MTAP16, MTAP24, FU-B: interleaved mode only */
  uint64_t packets_late;     /* older than the last unit handed out, or duplicates */
  uint64_t padding;          /* empty payloads (padding-only packets): no NAL unit */
  uint64_t idr_without_parameter_sets; /* an IDR with no SPS/PPS in it nor seen before */
} brtc_h264_assembler_stats;

typedef struct brtc_h264_assembler brtc_h264_assembler;

/* Allocates the assembler only; its slots and payload memory come on the first packet and
 * grow with the stream (rarely, never per packet), and are reused. */
brtc_h264_assembler *brtc_h264_assembler_new(void);
void brtc_h264_assembler_free(brtc_h264_assembler *a);
/* Forget all packets, units, parameter sets and counters (a new stream); keep the memory. */
void brtc_h264_assembler_reset(brtc_h264_assembler *a);
/* Parameter sets known from elsewhere (sprop-parameter-sets in the SDP, RFC 6184 8.1), put
 * in front of an IDR that comes without them. Either may be NULL. BRTC_ERR_INVALID if one
 * is not an SPS (PPS) or is longer than BRTC_H264_MAX_PARAMETER_SET. */
int brtc_h264_assembler_set_parameter_sets(brtc_h264_assembler *a, const uint8_t *sps,
                                           size_t sps_len, const uint8_t *pps, size_t pps_len);
/* How long a unit missing a packet may hold back newer complete ones, waiting for the
 * packet (a retransmission asked for with NACK takes about a round trip). 0, the default:
 * no wait, the unit is dropped as soon as a newer one completes. A newer unit holding an IDR
 * never waits. */
void brtc_h264_assembler_set_max_wait(brtc_h264_assembler *a, uint64_t max_wait_us);
/* Push one RTP packet (parsed) at now_us. Returns BRTC_OK when the packet was taken or
 * ignored as late or duplicate, BRTC_ERR_PARSE / BRTC_ERR_UNSUPPORTED / BRTC_ERR_TOO_BIG for
 * a packet refused (counted), BRTC_ERR_NOMEM. A unit is complete when every packet from the
 * one after the previous unit to its marker bit has come, or, without a marker, when the next
 * packet has another timestamp. A unit missing a packet is dropped (counted, and a keyframe
 * is asked for) once a newer unit is complete and the wait is over, or when the window
 * passes it. Drain with pop after every push and timeout: complete units wait in a queue of
 * BRTC_H264_MAX_READY. */
int brtc_h264_assembler_push(brtc_h264_assembler *a, const brtc_rtp_header *h,
                             uint64_t now_us);
/* When handle_timeout should be called (a unit is waiting for a lost packet), or 0. */
uint64_t brtc_h264_assembler_deadline(const brtc_h264_assembler *a);
/* The wait is over at now_us: drop what is missing and hand out the newer units. */
void brtc_h264_assembler_handle_timeout(brtc_h264_assembler *a, uint64_t now_us);
/* Units complete and waiting for pop. */
size_t brtc_h264_assembler_ready(const brtc_h264_assembler *a);
/* Take the oldest complete access unit, as an Annex-B byte stream (every NAL unit after a
 * 4-byte start code, SPS and PPS put in front of an IDR that came without them), into buf:
 * BRTC_OK; BRTC_ERR_AGAIN if none is ready; BRTC_ERR_TOO_BIG if cap is smaller than
 * f->len (the unit stays: grow the buffer and call again). */
int brtc_h264_assembler_pop(brtc_h264_assembler *a, uint8_t *buf, size_t cap,
                            brtc_h264_frame *f);
/* True once since the last call if a unit was lost, malformed or an IDR came without
 * parameter sets: the owner should send a PLI (RFC 4585 6.3.1). */
bool brtc_h264_assembler_take_keyframe_request(brtc_h264_assembler *a);
/* Units given up since the last call because a newer IDR unit is complete (superseded, as
 * for VP8: an IDR picture needs nothing older, H.264 8.2.1). They ask for no keyframe, so
 * take_keyframe_request does not say; this does, in VP8's shape (frames == superseded).
 * False if none. */
bool brtc_h264_assembler_take_loss(brtc_h264_assembler *a, brtc_frame_loss *loss);
const brtc_h264_assembler_stats *brtc_h264_assembler_get_stats(const brtc_h264_assembler *a);
/* Bytes the assembler holds (itself and its buffers): what one stream costs. */
size_t brtc_h264_assembler_memory(const brtc_h264_assembler *a);

#endif
