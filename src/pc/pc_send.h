/* The sending side of a peer connection (include/boltrtc/track.h): the tracks the owner
 * added (pc_track.c: the handles, their negotiation and statistics) and what they send
 * (pc_send.c: packetize, the send stream's history and reports, the pc's pacer, SRTP out,
 * RTCP feedback in). Every hook here is a no-op for a pc without tracks. */
#ifndef BRTC_PC_SEND_H
#define BRTC_PC_SEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boltrtc/track.h"
#include "codec/h264_rtp.h"
#include "codec/vp8.h"
#include "pc/pc_internal.h"
#include "rtp/pacer.h"
#include "rtp/rtcp.h"
#include "rtp/send_rate.h"
#include "rtp/send_stream.h"
#include "sdp/sdp.h"

typedef enum pc_send_codec {
  PC_SEND_VP8 = 0,
  PC_SEND_H264,
  PC_SEND_OPUS,
} pc_send_codec;

#define PC_TRACK_ID_LEN 32
#define PC_SEND_BATCH 32
#define PC_AUDIO_MAX_BPS 128000u /* an audio track's fixed ceiling (Opus at its best) */

struct brtc_track {
  brtc_pc *pc;
  size_t index;                 /* in pc->send->tracks */
  bool video;
  pc_send_codec codec;
  brtc_direction direction;     /* asked */
  brtc_direction current;       /* negotiated; INACTIVE before */
  uint32_t ssrc, rtx_ssrc;
  char track_id[PC_TRACK_ID_LEN]; /* a=msid */
  /* Negotiated: */
  char mid[PC_MID_LEN];
  int pt, rtx_pt;               /* -1 when none */
  uint8_t ext_mid, ext_abs_send_time;
  brtc_send_stream *stream;     /* made when a section sends it */
  /* Packetizing one frame: payloads into scratch, listed in payloads (grown to the largest
   * frame so far, never per packet). */
  brtc_vp8_sender vp8;
  brtc_h264_packetizer *h264;
  uint8_t *scratch;
  size_t scratch_cap;
  brtc_payload *payloads;
  size_t *lens;                 /* the VP8 packetizer's lengths, as many as payloads */
  size_t payloads_cap;
  bool keyframe_sent;           /* video: a decoder can start; delta frames may follow */
  bool removed;                 /* brtc_track_remove: stopped for good (pc_reneg.c) */
  bool bye_sent;                /* ... and its last report, with BYE, has gone */
  bool ready_told;              /* the keyframe request for the transport's start was given */
  uint64_t frames_refused, keyframe_requests;
  /* Video: the send-rate target (pc_send_rate.c), between the owner's bounds (0: defaults). */
  brtc_send_rate rate;
  bool rate_on;                 /* negotiated and sending */
  uint32_t min_bps, max_bps;
};

typedef struct pc_send {
  brtc_track *tracks[PC_MAX_TRACKS];
  size_t n;
  brtc_pacer *pacer;            /* one per transport; made with the first sending stream */
  /* Packets the pacer let go, taken in one batch and handed out one per poll. */
  brtc_pacer_item due[PC_SEND_BATCH];
  size_t n_due, next_due;
  uint8_t scratch[PC_MAX_DATAGRAM]; /* an RTX packet being built */
} pc_send;

/* pc_track.c */
/* The answer's view of the tracks (out has PC_MAX_TRACKS entries); returns how many. */
size_t pc_send_answer_tracks(brtc_pc *pc, brtc_sdp_send_track *out);
/* The answer placed some tracks (neg: one per offered section, send_track the index in what
 * pc_send_answer_tracks listed): their streams are made. BRTC_ERR_NOMEM. */
int pc_send_negotiated(brtc_pc *pc, const brtc_sdp_negotiated *neg, size_t n);
/* The same with the track of each section given (tracks[i], NULL for none): the offerer's.
 * A track that had a stream keeps it (a later exchange); one no section sends any more stops
 * sending (current INACTIVE), and one whose section was rejected is removed. */
int pc_send_apply(brtc_pc *pc, const brtc_sdp_negotiated *neg, brtc_track *const *tracks,
                  size_t n);
/* A track sends on some section. */
bool pc_send_any(const brtc_pc *pc);
/* The offer failed after all: every track is unnegotiated again. */
void pc_send_forget(brtc_pc *pc);
void pc_send_free(brtc_pc *pc);
/* Sender's keyframe request as an event (counted). */
void pc_send_keyframe_event(brtc_pc *pc, brtc_track *t);

/* pc_send.c */
/* One packet of a received RTCP compound: reports, NACK, PLI, FIR for our SSRCs. */
void pc_send_rtcp(brtc_pc *pc, const brtc_rtcp_packet *p);
/* After any input: the keyframe requests that are due become events (and the first one
 * once the transport is up, so the owner's encoder starts on a keyframe). */
void pc_send_after_input(brtc_pc *pc);
/* The next sender report or paced RTP packet, SRTP-protected; BRTC_ERR_AGAIN if none. */
int pc_send_poll(brtc_pc *pc, uint8_t *out, size_t cap, size_t *out_len);
uint64_t pc_send_deadline(const brtc_pc *pc);

/* pc_send_rate.c */
/* A video track's stream was made: its target starts at its ceiling. */
void pc_send_rate_start(brtc_pc *pc, brtc_track *t);
/* One packet of a received RTCP compound: REMB and report blocks move the targets. */
void pc_send_rate_rtcp(brtc_pc *pc, const brtc_rtcp_packet *p);

#endif
