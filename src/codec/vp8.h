/* VP8 RTP payload format (RFC 7741): payload descriptor, keyframe header, frame assembly. */
#ifndef BRTC_VP8_H
#define BRTC_VP8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec/frame_loss.h"
#include "rtp/rtp.h"

typedef struct brtc_vp8_descriptor {
  bool extended;       /* X */
  bool non_reference;  /* N */
  bool start;          /* S: first packet of a partition */
  uint8_t partition;   /* PID, 0..7 */
  bool has_picture_id; /* I */
  bool picture_id_15;  /* M: 15-bit picture id */
  uint16_t picture_id;
  bool has_tl0picidx;  /* L */
  uint8_t tl0picidx;
  bool has_tid;        /* T */
  uint8_t tid;
  bool layer_sync;     /* Y */
  bool has_keyidx;     /* K */
  uint8_t keyidx;
  size_t size;         /* descriptor length: the VP8 payload starts here */
} brtc_vp8_descriptor;

/* BRTC_ERR_PARSE if truncated or empty after the descriptor. */
int brtc_vp8_parse_descriptor(const uint8_t *payload, size_t len, brtc_vp8_descriptor *d);

/* From the start of a VP8 frame (RFC 6386 9.1): keyframe bit, start code and size. */
bool brtc_vp8_frame_is_keyframe(const uint8_t *frame, size_t len, uint16_t *width,
                                uint16_t *height);

/* Packetizer (the sending side, RFC 7741 4.4): every payload starts with a 4-byte
 * descriptor X=1, I=1, M=1 (15-bit picture ID); the first has S=1, PID=0. */
#define BRTC_VP8_PACKETIZER_DESCRIPTOR 4
/* How many payloads brtc_vp8_packetize makes for a frame of len bytes. 0 if max_payload
 * cannot hold a descriptor and one byte. */
size_t brtc_vp8_packet_count(size_t len, size_t max_payload);
/* Split a VP8 frame into RTP payloads of at most max_payload bytes each (descriptor
 * included), sizes balanced. Payload i is written at out + i * max_payload and is lens[i]
 * bytes long. The caller gives them one RTP timestamp, consecutive sequence numbers and
 * the marker bit on the last. Returns the number of payloads, BRTC_ERR_TOO_BIG if
 * max_packets or out_cap (max_packets * max_payload is enough) is too small,
 * BRTC_ERR_INVALID for an empty frame or a max_payload too small. */
int brtc_vp8_packetize(const uint8_t *frame, size_t len, uint16_t picture_id,
                       size_t max_payload, uint8_t *out, size_t out_cap, size_t *lens,
                       size_t max_packets);

/* The sender across frames (RFC 7741 4.2): the 15-bit picture ID starts at a random value,
 * increases by one for each frame and wraps to 0 after 0x7FFF; a receiver uses it to tell a
 * lost frame from lost padding. PID stays 0 and S is set on the first packet only, which 4.2
 * allows ("MAY be kept at 0 for all packets") and is what libwebrtc sends. */
typedef struct brtc_vp8_sender {
  uint16_t next_picture_id;
} brtc_vp8_sender;

void brtc_vp8_sender_init(brtc_vp8_sender *s, uint16_t first_picture_id);
/* brtc_vp8_packetize with the next picture ID; the ID moves on only when the frame was
 * packetized. */
int brtc_vp8_sender_packetize(brtc_vp8_sender *s, const uint8_t *frame, size_t len,
                              size_t max_payload, uint8_t *out, size_t out_cap, size_t *lens,
                              size_t max_packets);

typedef struct brtc_vp8_frame {
  const uint8_t *data; /* the whole VP8 frame, valid until the next call into the assembler */
  size_t len;
  uint32_t timestamp;
  uint32_t ssrc;
  bool keyframe;
  uint16_t width, height; /* keyframes only */
  uint16_t first_seq, last_seq;
  int picture_id;         /* -1 if absent */
} brtc_vp8_frame;

typedef struct brtc_vp8_assembler_stats {
  uint64_t packets;
  uint64_t frames;
  uint64_t keyframes;
  uint64_t frames_dropped;  /* incomplete: a packet was lost or the frame was too big */
  uint64_t keyframes_dropped; /* ... of them, known keyframes (their first packet came) */
  uint64_t frames_dropped_unknown; /* ... of unknown type (their first packet never came) */
  uint64_t frames_held;     /* complete frames held back behind an incomplete one */
  uint64_t packets_bad;     /* bad descriptor */
  uint64_t packets_late;    /* older than the last emitted frame, or duplicates */
  uint64_t frames_too_big;  /* of frames_dropped, larger than max_frame */
} brtc_vp8_assembler_stats;

typedef struct brtc_vp8_assembler brtc_vp8_assembler;

/* Reorder window of the assembler, in packets, and the largest VP8 payload (after the
 * descriptor) one packet may carry; a bigger one counts as bad and its frame is lost. */
#define BRTC_VP8_REORDER_WINDOW 512
#define BRTC_VP8_MAX_PACKET_PAYLOAD 1500

/* max_frame: largest frame we assemble (bytes). Buffers are allocated on the first packet,
 * small, and grow geometrically to what the stream needs (payload bytes to at most twice
 * what the reorder window holds, the frame buffer to at most max_frame): rarely, never per
 * packet. They are kept and reused. Pull-only: nothing calls back into the owner. */
brtc_vp8_assembler *brtc_vp8_assembler_new(size_t max_frame);
void brtc_vp8_assembler_free(brtc_vp8_assembler *a);
/* Forget all packets, state and counters (a new stream), keeping the buffers. */
void brtc_vp8_assembler_reset(brtc_vp8_assembler *a);
/* Push one RTP packet (parsed); it is only stored here. Then take what it completed with
 * brtc_vp8_assembler_pop until BRTC_ERR_AGAIN (a push can complete more than one frame once a
 * gap fills). A frame missing a packet is dropped, never handed out, once a newer frame has
 * been complete for the hold time (so a retransmission can still complete it; newer frames
 * wait behind it meanwhile) or the reorder window passes it. */
int brtc_vp8_assembler_push(brtc_vp8_assembler *a, const brtc_rtp_header *h, uint64_t now_us);
/* The next complete frame, in order: BRTC_OK with *f, whose data stays valid until the next
 * call into the assembler; BRTC_ERR_AGAIN when none is ready. Frames given up on the way are
 * counted and reported by brtc_vp8_assembler_take_loss. */
int brtc_vp8_assembler_pop(brtc_vp8_assembler *a, brtc_vp8_frame *f);
/* Whether pop would hand out a frame now. It does pop's work up to finding that frame but
 * writes no byte a frame handed out before lies in (only pop and push do), so an owner still
 * holding the last frame's bytes knows whether they must be saved before the next pop. */
bool brtc_vp8_assembler_ready(brtc_vp8_assembler *a);
/* How long an incomplete frame is kept once a newer one is complete: what its missing
 * packets need to be asked for again and come back. 0 (the default): dropped at once. */
void brtc_vp8_assembler_set_hold(brtc_vp8_assembler *a, uint64_t hold_us);
/* When brtc_vp8_assembler_poll has work (a held frame's time is up); UINT64_MAX if none. */
uint64_t brtc_vp8_assembler_next_deadline(const brtc_vp8_assembler *a);
/* Time passes: an incomplete frame whose hold is over is given up, and pop hands out what it
 * held back. */
void brtc_vp8_assembler_poll(brtc_vp8_assembler *a, uint64_t now_us);
/* True once since the last call if a frame was dropped. */
bool brtc_vp8_assembler_take_keyframe_request(brtc_vp8_assembler *a);
/* Frames given up since the last call: how many; of them, how many were given up because a
 * newer keyframe is complete (superseded: harmless to a decoder), and of the others how many
 * were known keyframes and how many of unknown type (their first packet, which says, never
 * came). False if none. The stats count every frame given up. */
typedef brtc_frame_loss brtc_vp8_loss; /* codec/frame_loss.h */
bool brtc_vp8_assembler_take_loss(brtc_vp8_assembler *a, brtc_vp8_loss *loss);
const brtc_vp8_assembler_stats *brtc_vp8_assembler_get_stats(const brtc_vp8_assembler *a);
/* Bytes the assembler has allocated (itself and its buffers): what one stream costs. */
size_t brtc_vp8_assembler_memory(const brtc_vp8_assembler *a);

#endif
