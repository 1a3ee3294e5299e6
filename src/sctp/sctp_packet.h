/* SCTP packet framing (RFC 9260 3): the common header, the checksum, and the type-length-value
 * layout that chunks, parameters and error causes all share. Reading never copies: a chunk or
 * parameter is a view into the packet. Writing goes into a caller's buffer through
 * brtc_sctp_writer, which refuses (returns NULL or false) rather than overruns.
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |     Source Port Number        |     Destination Port Number   |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                      Verification Tag                         |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                           Checksum                            |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |  Chunk Type   | Chunk  Flags  |        Chunk Length           |  (repeated)
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    \                          Chunk Value                          /
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ */
#ifndef BRTC_SCTP_PACKET_H
#define BRTC_SCTP_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BRTC_SCTP_COMMON_HEADER 12
#define BRTC_SCTP_TLV_HEADER 4 /* chunk: type, flags, length; parameter and cause: type, length */

/* Chunk types (RFC 9260 3.2, RFC 3758, RFC 6525, RFC 8260, RFC 4820). */
enum {
  BRTC_SCTP_DATA = 0,
  BRTC_SCTP_INIT = 1,
  BRTC_SCTP_INIT_ACK = 2,
  BRTC_SCTP_SACK = 3,
  BRTC_SCTP_HEARTBEAT = 4,
  BRTC_SCTP_HEARTBEAT_ACK = 5,
  BRTC_SCTP_ABORT = 6,
  BRTC_SCTP_SHUTDOWN = 7,
  BRTC_SCTP_SHUTDOWN_ACK = 8,
  BRTC_SCTP_ERROR = 9,
  BRTC_SCTP_COOKIE_ECHO = 10,
  BRTC_SCTP_COOKIE_ACK = 11,
  BRTC_SCTP_SHUTDOWN_COMPLETE = 14,
  BRTC_SCTP_IDATA = 64,
  BRTC_SCTP_RECONFIG = 130,
  BRTC_SCTP_PAD = 132,
  BRTC_SCTP_FORWARD_TSN = 192,
  BRTC_SCTP_IFORWARD_TSN = 194,
};

/* RFC 9260 3.2: what the two upper bits of an unknown chunk type ask for. The same bits of
 * an unknown parameter type mean the same (3.2.1). */
#define BRTC_SCTP_UNKNOWN_SKIP 0x80   /* set: skip it and go on; clear: stop processing */
#define BRTC_SCTP_UNKNOWN_REPORT 0x40 /* set: report it */

typedef struct brtc_sctp_header {
  uint16_t src_port, dst_port;
  uint32_t vtag;
  uint32_t checksum; /* as the field's bytes read in network order */
} brtc_sctp_header;

/* BRTC_ERR_PARSE if shorter than the common header. */
int brtc_sctp_header_parse(const uint8_t *pkt, size_t len, brtc_sctp_header *out);
/* The common header with a zero checksum field. */
void brtc_sctp_header_write(uint8_t *pkt, uint16_t src_port, uint16_t dst_port, uint32_t vtag);

/* RFC 9260 6.8 and Appendix A: CRC32c over the whole packet with the checksum field taken as
 * zero, placed so that the CRC's least significant byte comes first on the wire. */
uint32_t brtc_sctp_checksum(const uint8_t *pkt, size_t len);
void brtc_sctp_checksum_write(uint8_t *pkt, size_t len);
bool brtc_sctp_checksum_ok(const uint8_t *pkt, size_t len);
/* The field as zero (RFC 9653: when the peer accepts a zero checksum). */
bool brtc_sctp_checksum_is_zero(const uint8_t *pkt);

/* One chunk, parameter or error cause: a view into the packet. For a chunk, type and flags
 * are the first two bytes; for a parameter or cause, type is the first two. value_len is
 * the length field less the 4-byte header (padding excluded). */
typedef struct brtc_sctp_tlv {
  uint16_t type;
  uint8_t flags; /* chunks only */
  const uint8_t *start; /* the header */
  size_t length;        /* header + value, as the length field says */
  const uint8_t *value;
  size_t value_len;
} brtc_sctp_tlv;

typedef struct brtc_sctp_tlv_iter {
  const uint8_t *p;
  size_t len, off;
  bool chunk; /* chunk header (8-bit type and flags) or parameter header (16-bit type) */
} brtc_sctp_tlv_iter;

/* Chunks of a packet (after the common header); parameters or causes of a chunk's value. */
void brtc_sctp_chunks_begin(brtc_sctp_tlv_iter *it, const uint8_t *pkt, size_t len);
void brtc_sctp_params_begin(brtc_sctp_tlv_iter *it, const uint8_t *p, size_t len);
/* 1: *out is the next one; 0: none left; BRTC_ERR_PARSE: a length field below 4 or past the
 * end (RFC 9260 3.2: the padding after the last one may be missing, which is accepted). */
int brtc_sctp_tlv_next(brtc_sctp_tlv_iter *it, brtc_sctp_tlv *out);

/* Writes into buf[0..cap). Every put either fits or returns NULL/false and leaves len as it
 * was before the chunk or parameter that did not fit was begun (see *_begin). */
typedef struct brtc_sctp_writer {
  uint8_t *buf;
  size_t cap, len;
  size_t trailing_pad; /* padding of a parameter that ended last, left out of a chunk's length */
} brtc_sctp_writer;

static inline void brtc_sctp_writer_init(brtc_sctp_writer *w, uint8_t *buf, size_t cap) {
  w->buf = buf;
  w->cap = cap;
  w->len = 0;
  w->trailing_pad = 0;
}
static inline size_t brtc_sctp_writer_room(const brtc_sctp_writer *w) { return w->cap - w->len; }
/* n bytes to fill, or NULL if they do not fit. */
uint8_t *brtc_sctp_put(brtc_sctp_writer *w, size_t n);
/* A chunk (or a parameter/cause) whose value the caller then puts; _end fills in its length
 * and pads it to 4 bytes. begin returns the offset, or SIZE_MAX if even the header does not
 * fit; end returns false (and rewinds to the offset) if the padding does not fit. RFC 9260
 * 3.2: a chunk's length counts the padding of its parameters except the last one's. */
size_t brtc_sctp_chunk_begin(brtc_sctp_writer *w, uint8_t type, uint8_t flags);
bool brtc_sctp_chunk_end(brtc_sctp_writer *w, size_t start);
size_t brtc_sctp_param_begin(brtc_sctp_writer *w, uint16_t type);
bool brtc_sctp_param_end(brtc_sctp_writer *w, size_t start);
/* Rewinds to a chunk's start (one that did not fit whole). */
static inline void brtc_sctp_writer_rewind(brtc_sctp_writer *w, size_t start) { w->len = start; }

static inline size_t brtc_sctp_pad4(size_t n) { return (n + 3u) & ~(size_t)3u; }

#endif
