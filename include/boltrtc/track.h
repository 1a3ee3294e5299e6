/* brtc_track: media we send on a peer connection, as an RTCRtpTransceiver seen from its
 * sender. A pc owns its tracks: a pointer stays valid until the pc is freed.
 *
 *     brtc_track *video;
 *     brtc_pc_add_track(pc, BRTC_TRACK_VIDEO, BRTC_DIRECTION_SENDONLY, "VP8", &video);
 *     brtc_pc_set_remote_description(pc, "offer", offer, now, err, sizeof err);
 *     brtc_pc_create_answer(pc, &answer, err, sizeof err); // a=sendonly, a=ssrc, a=msid
 *     ...
 *     brtc_track_send_frame(video, now, frame, len, capture_us, 0); // then drain the pc
 *
 * The library packetizes each whole frame (VP8 RFC 7741, H.264 RFC 6184 packetization-mode 1
 * with STAP-A and FU-A, Opus RFC 7587), keeps every packet in a bounded send history,
 * protects it with SRTP and lets it out through brtc_pc_poll_output at a paced rate (2.5
 * times the track's send-rate target, so a keyframe's burst does not overflow a link; the
 * target starts at the ceiling and follows the receiver's REMB and reported loss). It
 * sends RTCP sender reports, answers NACK from the history (on the RTX SSRC when the peer
 * offered RFC 4588 rtx), and turns the peer's PLI and FIR into BRTC_EVENT_KEYFRAME_REQUEST
 * (out.media_track names the track): make the next frame a keyframe then. */
#ifndef BOLTRTC_TRACK_H
#define BOLTRTC_TRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boltrtc/export.h"
#include "boltrtc/peer_connection.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum brtc_track_kind {
  BRTC_TRACK_AUDIO = 0,
  BRTC_TRACK_VIDEO = 1,
} brtc_track_kind;

/* RTCRtpTransceiverDirection, from our side. */
typedef enum brtc_direction {
  BRTC_DIRECTION_SENDRECV = 0,
  BRTC_DIRECTION_SENDONLY,
  BRTC_DIRECTION_RECVONLY,
  BRTC_DIRECTION_INACTIVE,
} brtc_direction;

/* "sendrecv", ...; "unknown" for a value this version does not know. */
BRTC_EXPORT const char *brtc_direction_name(brtc_direction d);

/* A track to send: kind, the direction we want, and its codec ("VP8" or "H264" for video,
 * "opus" for audio, any case; NULL: VP8 or opus). As an answerer, add it before
 * brtc_pc_set_remote_description: the answer gives it the first offered section of its kind
 * that can receive (recvonly or sendrecv) and offers its codec, in offer order, with our SSRC
 * (a=ssrc, cname, a=msid) and RTX when offered. A track no section takes stays unnegotiated
 * (brtc_track_mid is "", send_frame says BRTC_ERR_STATE). BRTC_ERR_INVALID for a codec that
 * does not fit the kind or an unknown direction, BRTC_ERR_UNSUPPORTED for a codec we cannot
 * send, BRTC_ERR_STATE once the pc is closed, BRTC_ERR_LIMIT past 16 tracks, BRTC_ERR_NOMEM.
 * On a live connection (after the first offer/answer) it gives
 * BRTC_EVENT_NEGOTIATION_NEEDED: the next offer, from either side, carries it in a new
 * section at the end (or in a stopped section's place, JSEP 5.2.2), or the peer's next offer
 * gives it a section that receives. */
BRTC_EXPORT int brtc_pc_add_track(brtc_pc *pc, brtc_track_kind kind, brtc_direction direction,
                                  const char *codec, brtc_track **out);
/* The direction we want from the next offer/answer on (JSEP 4.2.3: sending stops or starts
 * only when the exchange finishes): BRTC_EVENT_NEGOTIATION_NEEDED when it changes.
 * BRTC_ERR_STATE for a removed track or a closed pc, BRTC_ERR_INVALID. */
BRTC_EXPORT int brtc_track_set_direction(brtc_track *t, brtc_direction direction);
/* Stop the track for good (RTCRtpTransceiver.stop(), JSEP 4.2.2): nothing more is sent on it
 * from now on (send_frame says BRTC_ERR_STATE), and the next offer or answer gives its
 * section port 0, so the peer sees it end; a later track may take that section's place with
 * a new mid (JSEP 5.2.2). BRTC_EVENT_NEGOTIATION_NEEDED if it had a section. The handle
 * stays valid until the pc is freed. */
BRTC_EXPORT int brtc_track_remove(brtc_track *t, uint64_t now_us);
BRTC_EXPORT bool brtc_track_is_removed(const brtc_track *t);

/* Tracks added with brtc_pc_add_track, in order. */
BRTC_EXPORT size_t brtc_pc_send_track_count(const brtc_pc *pc);
BRTC_EXPORT brtc_track *brtc_pc_send_track(const brtc_pc *pc, size_t index);

BRTC_EXPORT brtc_track_kind brtc_track_get_kind(const brtc_track *t);
/* The m-section that carries it ("" until an answer gave it one). */
BRTC_EXPORT const char *brtc_track_mid(const brtc_track *t);
/* What was asked (brtc_pc_add_track), and what was negotiated (INACTIVE until then). */
BRTC_EXPORT brtc_direction brtc_track_direction(const brtc_track *t);
BRTC_EXPORT brtc_direction brtc_track_current_direction(const brtc_track *t);
/* "VP8", "H264" or "opus": what it sends. */
BRTC_EXPORT const char *brtc_track_codec(const brtc_track *t);
/* Our media SSRC (chosen when the track is added) and RTX SSRC (0 when RTX is not
 * negotiated), and the negotiated payload type (-1 before). */
BRTC_EXPORT uint32_t brtc_track_ssrc(const brtc_track *t);
BRTC_EXPORT uint32_t brtc_track_rtx_ssrc(const brtc_track *t);
BRTC_EXPORT int brtc_track_payload_type(const brtc_track *t);
/* False: this track was added by us (a remote offer's tracks are the pc's track stats). */
BRTC_EXPORT bool brtc_track_is_remote(const brtc_track *t);

/* Flags of brtc_track_send_frame. */
#define BRTC_FRAME_KEYFRAME 1u /* a keyframe (VP8 and H.264 are also read from the bytes) */

/* Send one whole encoded frame: a VP8 frame, an H.264 access unit in Annex-B form (start
 * codes; SPS and PPS are put before an IDR that lacks them), or one Opus packet.
 * capture_us is when it was captured, on the same clock as now_us: its RTP timestamp is
 * the track's random offset plus capture_us in clock units (90 kHz, 48 kHz), so give frames
 * their real spacing. Nothing is copied after the call returns, and nothing is allocated per
 * packet. Drain the pc afterwards.
 * BRTC_OK: packetized, protected at the pacer's time. BRTC_ERR_AGAIN: not sent, nothing
 * wrong: the transport is not ready yet, the pacer is over its queue bound, or a video
 * track waits for a keyframe (its first, or after a refused frame) and this is a delta
 * frame; a BRTC_EVENT_KEYFRAME_REQUEST says when one is wanted (ask
 * brtc_track_should_skip_frame before encoding, so that frames are not refused after it).
 * BRTC_ERR_STATE: no section carries the track, it does not send, or the pc is closed.
 * BRTC_ERR_TOO_BIG: larger than the pc's max frame size or what the send history holds.
 * BRTC_ERR_PARSE: an H.264 unit without start codes. BRTC_ERR_INVALID: a bad argument. */
BRTC_EXPORT int brtc_track_send_frame(brtc_track *t, uint64_t now_us, const uint8_t *data,
                                      size_t len, uint64_t capture_us, unsigned flags);

/* True while the pc's pacer holds more than its bound of video (500 ms at the pacing rate:
 * a large keyframe on a slow link, or an encoder above the target): skip this camera frame
 * before encoding it, keyframe or not (a BRTC_EVENT_KEYFRAME_REQUEST already given stays
 * valid; new ones are held until the queue drains). An encoded frame given to
 * brtc_track_send_frame now would be refused, and a refused delta frame breaks the
 * decoder's references, so the track then waits for a keyframe; a frame never encoded
 * breaks nothing. Call it for each frame, before encoding; false for audio and before the
 * track sends. */
BRTC_EXPORT bool brtc_track_should_skip_frame(const brtc_track *t);

/* The bitrate a video track should be encoded at now, in bit/s: where the receiver's REMB
 * and the loss in its reports put it, between the track's bounds (it starts at the ceiling).
 * The pc paces at 2.5 times the sum of its tracks'. BRTC_EVENT_BITRATE_TARGET (media_track)
 * says when it changed. 0 for audio, and before an answer gave the track a section. */
BRTC_EXPORT uint32_t brtc_track_target_bitrate(const brtc_track *t);
/* The bounds of that target for a video track: min_bps 0 is 50 kbit/s, max_bps 0 the pc's
 * video ceiling (brtc_pc_config_set_video_bitrate); set before negotiation, the ceiling also
 * sizes the send history (less memory for a lower one). BRTC_ERR_INVALID for audio or
 * min_bps > max_bps. */
BRTC_EXPORT int brtc_track_set_bitrate_bounds(brtc_track *t, uint32_t min_bps,
                                              uint32_t max_bps);

/* A sending track's counters (W3C webrtc-stats "outbound-rtp", in snake case), in a struct
 * that begins with its size as brtc_pc_stats does: set size to sizeof before the call. */
typedef struct brtc_track_send_stats {
  size_t size;
  char mid[64];
  const char *kind;             /* "video" or "audio" (static) */
  const char *codec;            /* "VP8", "H264", "opus" (static) */
  uint32_t ssrc, rtx_ssrc;      /* rtx_ssrc 0 without RTX */
  int payload_type, rtx_payload_type; /* -1 before the answer, or no RTX */
  uint64_t frames_sent;         /* whole frames packetized */
  uint64_t key_frames_sent;
  uint64_t frames_refused;      /* BRTC_ERR_AGAIN from send_frame after negotiation */
  uint64_t packets_sent;        /* RTP packets that left, retransmissions included */
  uint64_t bytes_sent;          /* their payload bytes (RTCP SR octet count) */
  uint64_t header_bytes_sent;
  uint64_t retransmitted_packets_sent, retransmitted_bytes_sent;
  uint64_t nack_count, pli_count, fir_count; /* received */
  uint64_t keyframe_requests;   /* BRTC_EVENT_KEYFRAME_REQUEST events given */
  uint64_t sender_reports_sent;
  uint64_t round_trip_time_us;  /* from the peer's report blocks (RFC 3550 6.4.1); 0 unknown */
  uint64_t packets_queued;      /* waiting in the pacer now (all tracks of the pc) */
  uint64_t target_bitrate;      /* video: brtc_track_target_bitrate (W3C targetBitrate) */
} brtc_track_send_stats;

/* BRTC_ERR_INVALID when out->size is smaller than this first version's struct. */
BRTC_EXPORT int brtc_track_get_send_stats(const brtc_track *t, brtc_track_send_stats *out);

#ifdef __cplusplus
}
#endif
#endif
