/* The packet inspector's memory (/inspect, docs/inspector.md): for each inspected session,
 * copies of its first packets of every kind, and the URL id that reads them. Bounded three
 * ways: at most per_kind packets of each kind (a kind is the protocol, the direction and, for
 * RTP, the SSRC), each at most BRTC_INSPECT_SNAPLEN bytes; at most max_sessions inspected
 * sessions in the server; and an ended session's packets stay readable only linger_us. Only
 * sessions that asked for it (or every one under --inspect) are recorded at all.
 * Pure bookkeeping on the loop's thread: no I/O, no clock (times come in). */
#ifndef BRTC_SIGNAL_INSPECT_STORE_H
#define BRTC_SIGNAL_INSPECT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boltrtc/inspect.h"

#define BRTC_INSPECT_DEFAULT_PER_KIND 8
#define BRTC_INSPECT_MAX_PER_KIND 64
#define BRTC_INSPECT_DEFAULT_SESSIONS 16
#define BRTC_INSPECT_MAX_SESSIONS 1024
#define BRTC_INSPECT_LINGER_US (120u * 1000000u)
/* A datagram longer than this is kept cut (WebRTC keeps datagrams under the path MTU). */
#define BRTC_INSPECT_SNAPLEN 1500
/* 32 hex digits, 128 random bits: the only thing that opens a session's packets. */
#define BRTC_INSPECT_ID_LEN 32
/* Decoding a session for /api/inspect takes ~10 ms of the loop's time (docs/benchmarks.md):
 * at most once per this per session. */
#define BRTC_INSPECT_RENDER_PERIOD_US 1000000u
/* RTP streams (SSRCs) kept per direction; later ones are counted only. */
#define BRTC_INSPECT_STREAMS 4
/* Kinds: STUN, DTLS, SRTCP, RTCP, unknown each way; SRTP and RTP each way per stream. */
#define BRTC_INSPECT_BUCKETS (5 * 2 + 2 * 2 * BRTC_INSPECT_STREAMS)

typedef struct brtc_inspect_packet {
  uint64_t at_us;
  uint64_t order; /* its place among all the session's tapped packets, from 1 */
  uint16_t len;   /* as it was */
  uint16_t kept;  /* bytes in data: len, or BRTC_INSPECT_SNAPLEN */
  uint8_t *data;
} brtc_inspect_packet;

typedef struct brtc_inspect_bucket {
  brtc_inspect_kind kind;
  bool inbound;
  uint32_t ssrc;    /* SRTP and RTP only */
  uint64_t seen;    /* packets of this kind so far, kept or not */
  size_t n;         /* kept, at most per_kind */
  brtc_inspect_packet *packets; /* per_kind slots, allocated with the first one */
} brtc_inspect_bucket;

typedef struct brtc_inspect_entry {
  char id[BRTC_INSPECT_ID_LEN + 1];
  char session[16]; /* the short id, "s3" */
  bool live;
  uint64_t started_us, ended_us;
  brtc_inspect_context *ctx; /* ufrags, extmap and payload types from the SDP; SRTP profile */
  char srtp_profile[32];
  size_t per_kind;
  uint64_t order;        /* packets tapped */
  uint64_t bytes;        /* packet bytes held */
  uint64_t other_streams; /* RTP packets of streams past BRTC_INSPECT_STREAMS, not kept */
  brtc_inspect_bucket buckets[BRTC_INSPECT_BUCKETS];
  size_t n_buckets;
  uint64_t rendered_us; /* the last /api/inspect for it; 0: none yet */
} brtc_inspect_entry;

typedef struct brtc_inspect_store {
  brtc_inspect_entry **entries;
  size_t n, max_sessions, per_kind;
  uint64_t linger_us;
  uint64_t opened, refused; /* sessions that asked: inspected, and refused for want of room */
} brtc_inspect_store;

/* 0s take the defaults. */
int brtc_inspect_store_init(brtc_inspect_store *st, size_t max_sessions, size_t per_kind,
                            uint64_t linger_us);
void brtc_inspect_store_free(brtc_inspect_store *st);
/* A new inspected session, or NULL when max_sessions are held by live ones (an ended one
 * gives way, oldest first) or out of memory. */
brtc_inspect_entry *brtc_inspect_store_open(brtc_inspect_store *st, const char *session,
                                            uint64_t now_us);
/* The session's offer (remote) and answer (local): ufrags, extensions, payload types. */
void brtc_inspect_entry_sdp(brtc_inspect_entry *e, const char *offer, size_t offer_len,
                            const char *answer, size_t answer_len);
void brtc_inspect_entry_set_srtp(brtc_inspect_entry *e, const char *profile);
/* One tapped packet: wire (as on the wire) or plaintext RTP/RTCP (rtcp says which). Copied
 * if its kind has room. The one call sessions.c makes per packet. */
void brtc_inspect_entry_tap(brtc_inspect_entry *e, bool wire, bool inbound, bool rtcp,
                            const uint8_t *data, size_t len, uint64_t now_us);
/* Whether it may be decoded for /api/inspect now (and it is noted that it was); else
 * *retry_after_us says when. */
bool brtc_inspect_entry_may_render(brtc_inspect_entry *e, uint64_t now_us,
                                   uint64_t *retry_after_us);
/* The session ended: its packets stay readable for linger_us. */
void brtc_inspect_store_ended(brtc_inspect_store *st, brtc_inspect_entry *e, uint64_t now_us);
/* The entry whose id is exactly id (compared in constant time with every one), or NULL.
 * Lapsed entries are freed first. */
brtc_inspect_entry *brtc_inspect_store_find(brtc_inspect_store *st, const char *id,
                                            uint64_t now_us);
/* Frees ended entries older than linger_us. */
void brtc_inspect_store_expire(brtc_inspect_store *st, uint64_t now_us);
/* Packet bytes held by every entry. */
uint64_t brtc_inspect_store_bytes(const brtc_inspect_store *st);

#endif
