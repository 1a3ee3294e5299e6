#ifndef BRTC_CODEC_FRAME_LOSS_H
#define BRTC_CODEC_FRAME_LOSS_H

#include <stdint.h>

/* Frames an assembler gave up since its owner last asked: how many; of them, how many were
 * given up because a newer keyframe is complete (superseded: harmless to a decoder), and of
 * the others how many were known keyframes and how many of unknown type. One shape for every
 * video codec, so the peer connection reports loss the same way whatever the codec. */
typedef struct brtc_frame_loss {
  uint32_t frames, superseded, keyframes, unknown;
  uint16_t last_seq; /* the newest sequence number given up with them */
} brtc_frame_loss;

#endif
