/* Packets sent on one SSRC, kept so NACKed ones can be sent again (RFC 4585 6.2.1, RFC 4588).
 *
 * A bounded ring in two dimensions: at most max_packets packets (a power of two, so a sequence
 * number finds its entry in O(1): seq & (max_packets - 1)) and at most max_bytes of packet
 * bytes, laid end to end in one arena allocated at creation. Storing a packet evicts the oldest
 * ones until both bounds hold; packets are stored in sequence order, which is also their age.
 *
 * How much to keep: a NACK is useful for about one RTT plus the receiver's wait before asking
 * (Chrome asks after a few ms, again every RTT, and gives up after ~1 s or a keyframe); later
 * the frame is gone from its jitter buffer. libwebrtc keeps max(1 s, 3 x RTT). Sized at one
 * second at the highest bitrate the stream may use with a quarter more for keyframe bursts
 * (brtc_send_history_config_for_bitrate), and a video stream adds its largest frame to that
 * (send_stream.c): a keyframe may be larger than a second at a low ceiling. The bounds are
 * what memory a stream may cost; what it does cost follows what it sends (below).
 *
 * A packet is written into the history once, in place, before it is first sent (so the pacer's
 * queue holds only handles). It is never evicted before that first send: a store that would
 * evict one fails instead, and the caller drops the frame (the link is behind the encoder).
 *
 * Memory follows what is sent, not the ceiling (config initial_bytes and keep_us): the arena
 * starts small and grows (by half, up to max_bytes) only when a frame would otherwise evict a
 * packet younger than keep_us, and shrinks to half as much again as it holds when half of it
 * would do; packets older than keep_us (since their first send) go before each frame. A
 * 2.5 Mbit/s ceiling sending 1 Mbit/s with a 250 ms window holds 77 KB, not the ceiling's
 * second (408 KB). Growing and shrinking move the packets (rarely: a few times as a stream's
 * rate settles), within the validity the pointers here promise: until the next store.
 *
 * The entries ring follows the packets the same way (config initial_packets): it starts small
 * and doubles, each entry rehashed to seq & the new mask, when a frame and what is kept would
 * not fit, up to max_packets; it halves back (to twice what is needed) when a quarter would
 * do. So the bounds can be the window plus the largest frame the stream may carry (a camera's
 * 4 MB keyframe: max_packets 8192, 400 KB of entries) while a stream that never sends such a
 * frame pays only for what it sends, and one that does pays for it only while it is kept. */
#ifndef BRTC_SEND_HISTORY_H
#define BRTC_SEND_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtp/rtp_sender.h"

#define BRTC_SEND_HISTORY_MAX_PACKETS 32768 /* half the sequence space: lookups never alias */

typedef struct brtc_send_history_config {
  size_t max_packets; /* power of two, 2..BRTC_SEND_HISTORY_MAX_PACKETS */
  size_t max_bytes;   /* arena size at most; at least one largest packet */
  size_t max_packet;  /* the largest packet that will be stored (<= 65535) */
  size_t initial_bytes; /* arena size at first (raised to 4 largest packets); 0: max_bytes */
  size_t initial_packets; /* entries at first (a power of two, at least 16, at most
                             max_packets); 0: max_packets */
  uint64_t keep_us;   /* packets first sent longer ago go (brtc_send_history_prepare); 0: kept
                         until room is needed */
} brtc_send_history_config;

enum {
  BRTC_HISTORY_SENT = 1,          /* first transmission done */
  BRTC_HISTORY_RESEND_QUEUED = 2, /* a retransmission waits in the pacer */
};

typedef struct brtc_send_history_entry {
  uint32_t offset;   /* into the arena */
  uint16_t len;
  uint16_t seq;
  uint16_t header_len;
  uint8_t flags;
  uint8_t resends;   /* times sent again */
  brtc_rtp_egress_slots slots;
  bool used;
  uint64_t first_sent_us, last_sent_us;
} brtc_send_history_entry;

typedef struct brtc_send_history_stats {
  uint64_t stored, evicted, refused_unsent, bytes_stored;
} brtc_send_history_stats;

typedef struct brtc_send_history brtc_send_history;

/* Packets and bytes for window_us of a stream at bitrate_bps with packets of about
 * packet_bytes, plus a quarter for keyframe bursts; packets rounded up to a power of two. */
void brtc_send_history_config_for_bitrate(brtc_send_history_config *c, uint64_t bitrate_bps,
                                          uint64_t window_us, size_t packet_bytes,
                                          size_t max_packet);
/* NULL on a bad config (*err = BRTC_ERR_INVALID) or no memory (BRTC_ERR_NOMEM). */
brtc_send_history *brtc_send_history_new(const brtc_send_history_config *c, int *err);
void brtc_send_history_free(brtc_send_history *h);
/* Forget every packet (a new SSRC or sequence restart), keeping the memory. */
void brtc_send_history_clear(brtc_send_history *h);

/* The configuration it was made with. */
const brtc_send_history_config *brtc_send_history_config_of(const brtc_send_history *h);
/* Whether n packets of bytes in total (none over max_packet) can be stored now without
 * evicting a packet not yet sent: what a frame needs before it is packetized. */
bool brtc_send_history_room(const brtc_send_history *h, size_t n, size_t bytes);
/* Before a frame of n packets and bytes is stored at now_us: packets older than keep_us go,
 * and the arena grows (or shrinks) to hold the frame and what is kept. Pointers into the
 * history are stale after it. Then brtc_send_history_room says whether the frame fits. */
void brtc_send_history_prepare(brtc_send_history *h, size_t n, size_t bytes, uint64_t now_us);
/* A new window (the round trip changed); 0: kept until room is needed. */
void brtc_send_history_set_keep(brtc_send_history *h, uint64_t keep_us);
/* Where to write the next packet, of at most len bytes; evicts old packets to make room.
 * NULL with *err = BRTC_ERR_LIMIT if that would evict an unsent packet, BRTC_ERR_TOO_BIG if
 * len > max_packet. The place stays valid until the next reserve or clear. */
uint8_t *brtc_send_history_reserve(brtc_send_history *h, size_t len, int *err);
/* Keep the packet just written at the reserved place: seq must follow the newest stored
 * (else the history starts over with it), len at most what was reserved. */
int brtc_send_history_commit(brtc_send_history *h, const brtc_rtp_written *w);
/* The stored packet with this sequence number, or NULL. Its bytes are at
 * brtc_send_history_data(h, e). */
brtc_send_history_entry *brtc_send_history_get(brtc_send_history *h, uint16_t seq);
uint8_t *brtc_send_history_data(brtc_send_history *h, const brtc_send_history_entry *e);
/* The first transmission of seq left at now_us. */
void brtc_send_history_mark_sent(brtc_send_history *h, brtc_send_history_entry *e,
                                 uint64_t now_us);

size_t brtc_send_history_count(const brtc_send_history *h);
size_t brtc_send_history_bytes(const brtc_send_history *h);
/* What the history allocated: arena and entries. */
size_t brtc_send_history_memory(const brtc_send_history *h);
const brtc_send_history_stats *brtc_send_history_get_stats(const brtc_send_history *h);

#endif
