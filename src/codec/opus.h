/* Opus in RTP (RFC 7587): one Opus packet per RTP payload, a 48 kHz RTP clock whatever the
 * coded bandwidth. The packet's TOC byte and frame count (RFC 6716 3.1, 3.2) say how long it
 * plays, which a sender needs to advance its RTP timestamp and a receiver uses to check the
 * packet and the timestamps it gets. */
#ifndef BRTC_OPUS_H
#define BRTC_OPUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtp/rtp.h"

#define BRTC_OPUS_CLOCK 48000
#define BRTC_OPUS_MAX_FRAMES 48      /* RFC 6716 3.2.5: M is at most 48 */
#define BRTC_OPUS_MAX_FRAME_BYTES 1275
#define BRTC_OPUS_MAX_DURATION 5760  /* 120 ms at 48 kHz (R5) */

typedef enum brtc_opus_mode {
  BRTC_OPUS_SILK = 0,
  BRTC_OPUS_HYBRID,
  BRTC_OPUS_CELT,
} brtc_opus_mode;

typedef enum brtc_opus_bandwidth {
  BRTC_OPUS_NB = 0, /* 4 kHz */
  BRTC_OPUS_MB,     /* 6 kHz */
  BRTC_OPUS_WB,     /* 8 kHz */
  BRTC_OPUS_SWB,    /* 12 kHz */
  BRTC_OPUS_FB,     /* 20 kHz */
} brtc_opus_bandwidth;

typedef struct brtc_opus_packet {
  uint8_t config; /* TOC bits 7..3 (RFC 6716 Table 2) */
  bool stereo;
  uint8_t code;   /* frame count code, 0..3 */
  brtc_opus_mode mode;
  brtc_opus_bandwidth bandwidth;
  uint16_t frame_samples; /* per frame, at 48 kHz: 120 (2.5 ms) to 2880 (60 ms) */
  uint8_t frames;         /* 1..48 */
  uint32_t duration;      /* frames * frame_samples: how far the RTP timestamp moves */
  bool vbr;               /* code 3's v flag; code 2 is always VBR */
  size_t padding;         /* code 3's padding bytes */
  /* Where each frame's bytes are in the packet. */
  uint16_t frame_offset[BRTC_OPUS_MAX_FRAMES];
  uint16_t frame_len[BRTC_OPUS_MAX_FRAMES];
  bool dtx; /* every frame is empty: the encoder's DTX; the decoder conceals */
} brtc_opus_packet;

/* Check an Opus packet against RFC 6716 3.4 (R1-R7) and say what it holds. BRTC_ERR_PARSE
 * for an empty packet, a frame length that overruns, a frame above 1275 bytes, a CBR size not
 * divisible by its frame count, no frames or more than 120 ms. */
int brtc_opus_parse(const uint8_t *p, size_t len, brtc_opus_packet *out);
/* Samples per frame at 48 kHz from a TOC byte alone (RFC 6716 Table 2). */
uint16_t brtc_opus_frame_samples(uint8_t toc);

/* ---- sending ---- */

/* The RTP timestamp of each packet, advanced by what the previous one plays (RFC 7587 4.1:
 * the timestamp counts 48 kHz samples). Start it at a random value (RFC 3550 5.1). */
typedef struct brtc_opus_sender {
  uint32_t next_timestamp;
} brtc_opus_sender;

/* The timestamp for this packet in *ts; the next one moves on by its duration. A packet
 * that does not parse is refused (BRTC_ERR_PARSE) and the timestamp does not move. */
int brtc_opus_sender_stamp(brtc_opus_sender *s, const uint8_t *opus, size_t len, uint32_t *ts);
/* The encoder sent nothing for this long (DTX, RFC 7587 3.4): the next packet's timestamp
 * jumps over the silence. */
void brtc_opus_sender_skip(brtc_opus_sender *s, uint32_t samples);

/* ---- receiving ---- */

typedef struct brtc_opus_receiver_stats {
  uint64_t packets;
  uint64_t bad;          /* not a valid Opus packet (RFC 6716 3.4): dropped */
  uint64_t empty;        /* no payload at all: nothing to decode */
  uint64_t dtx;          /* valid, every frame empty */
  uint64_t lost;         /* sequence numbers skipped */
  uint64_t silence_gaps; /* timestamp moved on further than the last packet played, with no
                            packet lost: the sender stopped sending (DTX) */
  uint64_t timestamp_errors; /* timestamp moved less than the last packet played, or back */
  uint64_t late;         /* sequence number older than the last one taken */
} brtc_opus_receiver_stats;

typedef struct brtc_opus_receiver {
  bool started;
  uint16_t last_seq;
  uint32_t expected_timestamp; /* where the last packet taken stops playing */
  brtc_opus_receiver_stats stats;
} brtc_opus_receiver;

/* Check one RTP packet of an Opus stream. BRTC_OK with *out filled: decode it (out->dtx: the
 * decoder conceals). BRTC_ERR_AGAIN for an empty payload or a late packet: nothing to
 * decode. BRTC_ERR_PARSE for a bad packet (counted). Timestamps are checked against the
 * durations of the packets before, and mismatches counted; the packet is still good. */
int brtc_opus_receiver_push(brtc_opus_receiver *r, const brtc_rtp_header *h,
                            brtc_opus_packet *out);

#endif
