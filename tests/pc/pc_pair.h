/* Two boltrtc peer connections in memory, through the public API only: one pump drains both
 * on a simulated clock and carries every datagram between them (no loss), sends a VP8-shaped
 * frame on every sending track of each side every 33 ms, and checks each frame that arrives
 * byte for byte (its bytes follow from the side, the track and the frame's number, which it
 * carries). Counts RTP packets on the wire per SSRC (SRTP leaves the header in clear,
 * RFC 3711 3.1), so a test can see that a track stopped sending. */
#ifndef BRTC_TESTS_PC_PAIR_H
#define BRTC_TESTS_PC_PAIR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "boltrtc/datachannel.h"
#include "boltrtc/peer_connection.h"
#include "boltrtc/track.h"

#define PP_MAX_TRACKS 8
#define PP_MAX_SSRCS 32

typedef struct pp_recv {
  char mid[16];
  int from_track; /* the sender's track index the frames carry */
  unsigned frames, keyframes;
  int last;       /* the last frame number, -1 before */
} pp_recv;

typedef struct pp_side {
  brtc_pc *pc;
  struct sockaddr_in addr;
  uint64_t deadline;
  bool dtls_connected, failed;
  brtc_track *tracks[PP_MAX_TRACKS]; /* ours, in the order added */
  size_t n_tracks;
  unsigned sent[PP_MAX_TRACKS];
  bool key_wanted[PP_MAX_TRACKS];
  bool paused[PP_MAX_TRACKS];        /* the test stops sending frames on it */
  pp_recv recv[PP_MAX_TRACKS];
  size_t n_recv;
  unsigned frames_bad, frames_out_of_order;
  unsigned frames_any, keyframes_any; /* every BRTC_EVENT_FRAME, whatever its bytes */
  unsigned keyframe_requests;        /* BRTC_EVENT_KEYFRAME_REQUEST events */
  unsigned negotiation_needed;       /* BRTC_EVENT_NEGOTIATION_NEEDED events */
  unsigned track_events;             /* BRTC_EVENT_TRACK events */
  uint32_t rtp_ssrc[PP_MAX_SSRCS];   /* SRTP packets sent, per SSRC */
  uint64_t rtp_count[PP_MAX_SSRCS];
  size_t n_ssrcs;
} pp_side;

typedef struct pp_packet pp_packet;

typedef struct pp {
  pp_side s[2];
  pp_packet *queue;
  size_t n_queued;
  uint64_t now;
  uint64_t next_frame;
  char *offer, *answer; /* copies of the last pp_negotiate's descriptions */
  struct sockaddr_in gone; /* pp_move: an address no one has any more (port 0: none) */
  uint64_t to_gone;        /* datagrams other than STUN sent to it (all are dropped) */
  /* A bottleneck each way (0: none): datagrams leave one after another at link_bps, and one
   * that would wait more than link_queue_us behind the others is dropped (a drop-tail
   * router queue). */
  uint64_t link_bps, link_queue_us;
  uint64_t link_free_at[2];   /* when side w's direction is idle again */
  uint64_t link_dropped[2];
} pp;

/* Strings equal, NULL never equal; both printed when not. */
#define CHECK_EQ_STR(a, b)                                                                 \
  do {                                                                                     \
    const char *pp_a_ = (a), *pp_b_ = (b);                                                 \
    CHECK(pp_a_ && pp_b_ && strcmp(pp_a_, pp_b_) == 0);                                    \
    if (!(pp_a_ && pp_b_ && strcmp(pp_a_, pp_b_) == 0))                                    \
      fprintf(stderr, "  \"%s\" != \"%s\"\n", pp_a_ ? pp_a_ : "(null)", pp_b_ ? pp_b_ : "(null)"); \
  } while (0)

/* Two pcs (datachannels enabled), not yet negotiated. */
pp *pp_new(void);
void pp_free(pp *p);
/* Frees the certificate the pairs share (at the end of main). */
void pp_cleanup(void);
/* Adds a sending track (video VP8, the given direction) to side w. */
brtc_track *pp_add_video(pp *p, int w, brtc_direction dir);
/* The same with another codec ("H264"): the pump's own frames are VP8, so pause it. */
brtc_track *pp_add_video_codec(pp *p, int w, brtc_direction dir, const char *codec);
/* One offer/answer, side `offerer` offering; BRTC_OK or the first failing call's code (err
 * says which). p->offer and p->answer keep the texts. */
int pp_negotiate(pp *p, int offerer, char *err, size_t err_cap);
/* A live call: a video track each way (sendrecv) and a data channel ("chat") side 0 makes,
 * side 0 offering, run for 2 s: DTLS is up and both sides have seen frames. */
pp *pp_live_call(brtc_datachannel **dc);
/* A member of side w's first data-channel stats entry ("messagesReceived", ...). */
uint64_t pp_datachannel_stat(pp *p, int w, const char *member);
/* Side w moves to another port (a phone on another network, a NAT's new mapping): what it
 * sends comes from there, and what is sent to its old address is lost. */
void pp_move(pp *p, int w, uint16_t port);
/* Limits both directions to bps with a queue of queue_us (0 bps: back to no limit). */
void pp_set_link(pp *p, uint64_t bps, uint64_t queue_us);
/* Runs the pump for `us` of simulated time. */
void pp_run(pp *p, uint64_t us);
void pp_drain(pp *p, int w);
/* Frames side w has received from the other side's track `from_track`. */
const pp_recv *pp_received(const pp *p, int w, int from_track);
/* SRTP packets side w has sent with this SSRC. */
uint64_t pp_rtp_sent(const pp *p, int w, uint32_t ssrc);

#endif
