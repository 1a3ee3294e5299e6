/* The chunks, parameters and error causes that data channels use, read from and written to
 * their RFC byte layouts (RFC 9260 3.3, RFC 3758 3.2, RFC 6525 3-4, RFC 9653 4). Reading takes
 * a brtc_sctp_tlv from sctp_packet.h and fills a view (pointers into the packet, nothing
 * copied) after checking every length; BRTC_ERR_PARSE otherwise. Writing appends one chunk to
 * a brtc_sctp_writer and returns false, having written nothing, if it does not fit. */
#ifndef BRTC_SCTP_CHUNK_H
#define BRTC_SCTP_CHUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sctp/sctp_packet.h"

/* ---- DATA (RFC 9260 3.3.1) ----
 *    | Type = 0      |  Res  |I|U|B|E|         Length                |
 *    |                              TSN                              |
 *    |      Stream Identifier S      |   Stream Sequence Number n    |
 *    |                  Payload Protocol Identifier                  |
 *    \                 User Data (seq n of Stream S)                 / */
#define BRTC_SCTP_DATA_E 0x01 /* last fragment */
#define BRTC_SCTP_DATA_B 0x02 /* first fragment */
#define BRTC_SCTP_DATA_U 0x04 /* unordered */
#define BRTC_SCTP_DATA_I 0x08 /* SACK immediately (RFC 9260 3.3.1, was RFC 7053) */
#define BRTC_SCTP_DATA_HEADER 16 /* chunk header and the fixed fields */

typedef struct brtc_sctp_data {
  uint8_t flags;
  uint32_t tsn;
  uint16_t stream, ssn;
  uint32_t ppid;
  const uint8_t *payload;
  size_t len; /* 0 is parsed; RFC 9260 6.2 makes it an ABORT, the association decides */
} brtc_sctp_data;

int brtc_sctp_parse_data(const brtc_sctp_tlv *c, brtc_sctp_data *out);
/* The 16-byte header of a DATA chunk carrying len bytes, which the caller copies in after it
 * and pads (brtc_sctp_pad4). */
void brtc_sctp_write_data_header(uint8_t *p, uint8_t flags, uint32_t tsn, uint16_t stream,
                                 uint16_t ssn, uint32_t ppid, size_t len);
bool brtc_sctp_write_data(brtc_sctp_writer *w, const brtc_sctp_data *d);

/* ---- INIT and INIT ACK (RFC 9260 3.3.2, 3.3.3) ----
 *    |   Type = 1    |  Chunk Flags  |      Chunk Length             |
 *    |                         Initiate Tag                          |
 *    |           Advertised Receiver Window Credit (a_rwnd)          |
 *    |  Number of Outbound Streams   |  Number of Inbound Streams    |
 *    |                          Initial TSN                          |
 *    \              Optional/Variable-Length Parameters              / */
typedef struct brtc_sctp_init {
  uint32_t initiate_tag, a_rwnd;
  uint16_t outbound_streams, inbound_streams;
  uint32_t initial_tsn;
  const uint8_t *params;
  size_t params_len;
} brtc_sctp_init;

/* Parameter types (RFC 9260 3.3.2.1, 3.3.3.1; RFC 3758 3.1; RFC 5061 4.2.7; RFC 9653 4). */
enum {
  BRTC_SCTP_PARAM_HEARTBEAT_INFO = 1,
  BRTC_SCTP_PARAM_IPV4 = 5,
  BRTC_SCTP_PARAM_IPV6 = 6,
  BRTC_SCTP_PARAM_STATE_COOKIE = 7,
  BRTC_SCTP_PARAM_UNRECOGNIZED = 8,
  BRTC_SCTP_PARAM_COOKIE_PRESERVATIVE = 9,
  BRTC_SCTP_PARAM_HOST_NAME = 11,
  BRTC_SCTP_PARAM_SUPPORTED_ADDRESS_TYPES = 12,
  BRTC_SCTP_PARAM_OUTGOING_RESET = 13,
  BRTC_SCTP_PARAM_INCOMING_RESET = 14,
  BRTC_SCTP_PARAM_SSN_TSN_RESET = 15,
  BRTC_SCTP_PARAM_RECONFIG_RESPONSE = 16,
  BRTC_SCTP_PARAM_ADD_OUTGOING_STREAMS = 17,
  BRTC_SCTP_PARAM_ADD_INCOMING_STREAMS = 18,
  BRTC_SCTP_PARAM_ECN_CAPABLE = 0x8000,
  BRTC_SCTP_PARAM_ZERO_CHECKSUM = 0x8001,
  BRTC_SCTP_PARAM_RANDOM = 0x8002,
  BRTC_SCTP_PARAM_CHUNK_LIST = 0x8003,
  BRTC_SCTP_PARAM_HMAC_ALGO = 0x8004,
  BRTC_SCTP_PARAM_PADDING = 0x8005,
  BRTC_SCTP_PARAM_SUPPORTED_EXTENSIONS = 0x8008,
  BRTC_SCTP_PARAM_FORWARD_TSN_SUPPORTED = 0xc000,
  BRTC_SCTP_PARAM_ADAPTATION_LAYER = 0xc006,
};

/* RFC 9653 5: the error detection method that SCTP over DTLS uses. */
#define BRTC_SCTP_EDMID_DTLS 1

/* What an INIT or INIT ACK's parameters say, as far as we care. */
typedef struct brtc_sctp_init_params {
  bool forward_tsn; /* RFC 3758: Forward-TSN-Supported, or FORWARD TSN among the extensions */
  bool reconfig;    /* RFC 6525: RE-CONFIG among the supported extensions */
  bool idata;       /* RFC 8260: I-DATA among them (we never use it) */
  uint32_t zero_checksum_edmid; /* RFC 9653: 0 if not offered */
  const uint8_t *cookie;        /* State Cookie (INIT ACK), NULL if absent */
  size_t cookie_len;
  bool host_name; /* Host Name Address: RFC 9260 5.1.2 B says abort, it cannot be resolved */
  bool stopped;   /* an unknown parameter's upper bits said stop (3.2.1): the rest was skipped */
  unsigned unknown; /* unknown parameters met */
} brtc_sctp_init_params;

int brtc_sctp_parse_init(const brtc_sctp_tlv *c, brtc_sctp_init *out);
/* BRTC_ERR_PARSE for a malformed parameter list or a known parameter of the wrong length. */
int brtc_sctp_parse_init_params(const uint8_t *p, size_t len, brtc_sctp_init_params *out);

/* What we put in our INIT or INIT ACK. */
typedef struct brtc_sctp_init_write {
  uint32_t initiate_tag, a_rwnd;
  uint16_t outbound_streams, inbound_streams;
  uint32_t initial_tsn;
  bool forward_tsn, reconfig;   /* announce RFC 3758 and RFC 6525 */
  uint32_t zero_checksum_edmid; /* 0: not offered */
  const uint8_t *cookie;        /* INIT ACK only */
  size_t cookie_len;
} brtc_sctp_init_write;
bool brtc_sctp_write_init(brtc_sctp_writer *w, uint8_t type, const brtc_sctp_init_write *init);

/* ---- SACK (RFC 9260 3.3.4) ----
 *    |                      Cumulative TSN Ack                       |
 *    |          Advertised Receiver Window Credit (a_rwnd)           |
 *    | Number of Gap Ack Blocks = N  |  Number of Duplicate TSNs = M |
 *    |  Gap Ack Block #1 Start       |   Gap Ack Block #1 End        |  ... N of them
 *    |                       Duplicate TSN 1                         |  ... M of them */
typedef struct brtc_sctp_sack {
  uint32_t cum_tsn, a_rwnd;
  uint16_t n_gaps, n_dups;
  const uint8_t *gaps; /* n_gaps pairs of 16-bit offsets from cum_tsn */
  const uint8_t *dups; /* n_dups TSNs */
} brtc_sctp_sack;

typedef struct brtc_sctp_gap {
  uint16_t start, end; /* offsets from the cumulative TSN, inclusive */
} brtc_sctp_gap;

int brtc_sctp_parse_sack(const brtc_sctp_tlv *c, brtc_sctp_sack *out);
brtc_sctp_gap brtc_sctp_sack_gap(const brtc_sctp_sack *s, unsigned i);
uint32_t brtc_sctp_sack_dup(const brtc_sctp_sack *s, unsigned i);
bool brtc_sctp_write_sack(brtc_sctp_writer *w, uint32_t cum_tsn, uint32_t a_rwnd,
                          const brtc_sctp_gap *gaps, unsigned n_gaps, const uint32_t *dups,
                          unsigned n_dups);

/* ---- HEARTBEAT and HEARTBEAT ACK (RFC 9260 3.3.5, 3.3.6): one Heartbeat Info parameter,
 * opaque to the receiver, which sends it back as it came. ---- */
int brtc_sctp_parse_heartbeat(const brtc_sctp_tlv *c, const uint8_t **info, size_t *info_len);
bool brtc_sctp_write_heartbeat(brtc_sctp_writer *w, uint8_t type, const uint8_t *info,
                               size_t info_len);

/* ---- ABORT and ERROR (RFC 9260 3.3.7, 3.3.10): a list of error causes. ---- */
#define BRTC_SCTP_FLAG_T 0x01 /* ABORT, SHUTDOWN COMPLETE: the tag is the sender's own */

enum {
  BRTC_SCTP_CAUSE_INVALID_STREAM = 1,
  BRTC_SCTP_CAUSE_MISSING_PARAM = 2,
  BRTC_SCTP_CAUSE_STALE_COOKIE = 3,
  BRTC_SCTP_CAUSE_OUT_OF_RESOURCE = 4,
  BRTC_SCTP_CAUSE_UNRESOLVABLE_ADDRESS = 5,
  BRTC_SCTP_CAUSE_UNRECOGNIZED_CHUNK = 6,
  BRTC_SCTP_CAUSE_INVALID_MANDATORY_PARAM = 7,
  BRTC_SCTP_CAUSE_UNRECOGNIZED_PARAMS = 8,
  BRTC_SCTP_CAUSE_NO_USER_DATA = 9,
  BRTC_SCTP_CAUSE_COOKIE_WHILE_SHUTTING_DOWN = 10,
  BRTC_SCTP_CAUSE_RESTART_NEW_ADDRESSES = 11,
  BRTC_SCTP_CAUSE_USER_ABORT = 12,
  BRTC_SCTP_CAUSE_PROTOCOL_VIOLATION = 13,
};
/* A cause's name ("Protocol Violation"), "unknown" otherwise. */
const char *brtc_sctp_cause_name(uint16_t cause);

/* The first cause of an ABORT or ERROR (0 if none), and its information bytes. */
typedef struct brtc_sctp_cause {
  uint16_t code;
  const uint8_t *info;
  size_t info_len;
} brtc_sctp_cause;
int brtc_sctp_parse_causes(const brtc_sctp_tlv *c, brtc_sctp_cause *first, unsigned *count);

/* An ABORT or ERROR with one cause (code 0: none) carrying info. */
bool brtc_sctp_write_cause_chunk(brtc_sctp_writer *w, uint8_t type, uint8_t flags, uint16_t code,
                                 const uint8_t *info, size_t info_len);

/* ---- SHUTDOWN (RFC 9260 3.3.8): the cumulative TSN ack. SHUTDOWN ACK, COOKIE ACK and
 * SHUTDOWN COMPLETE (3.3.9, 3.3.12, 3.3.13) carry nothing; COOKIE ECHO (3.3.11) the cookie. */
int brtc_sctp_parse_shutdown(const brtc_sctp_tlv *c, uint32_t *cum_tsn);
bool brtc_sctp_write_shutdown(brtc_sctp_writer *w, uint32_t cum_tsn);
bool brtc_sctp_write_empty(brtc_sctp_writer *w, uint8_t type, uint8_t flags);
bool brtc_sctp_write_cookie_echo(brtc_sctp_writer *w, const uint8_t *cookie, size_t len);

/* ---- FORWARD TSN (RFC 3758 3.2) ----
 *    |                      New Cumulative TSN                       |
 *    |         Stream-1              |       Stream Sequence-1       |  ... */
typedef struct brtc_sctp_forward_tsn {
  uint32_t new_cum_tsn;
  unsigned n_streams;
  const uint8_t *streams; /* n_streams (stream, ssn) pairs */
} brtc_sctp_forward_tsn;

typedef struct brtc_sctp_stream_ssn {
  uint16_t stream, ssn;
} brtc_sctp_stream_ssn;

int brtc_sctp_parse_forward_tsn(const brtc_sctp_tlv *c, brtc_sctp_forward_tsn *out);
brtc_sctp_stream_ssn brtc_sctp_forward_tsn_stream(const brtc_sctp_forward_tsn *f, unsigned i);
bool brtc_sctp_write_forward_tsn(brtc_sctp_writer *w, uint32_t new_cum_tsn,
                                 const brtc_sctp_stream_ssn *streams, unsigned n);

/* ---- RE-CONFIG (RFC 6525 3.1) and its parameters (4.1, 4.2, 4.4) ----
 * Outgoing SSN Reset Request (13):
 *    |           Re-configuration Request Sequence Number            |
 *    |           Re-configuration Response Sequence Number           |
 *    |                Sender's Last Assigned TSN                     |
 *    |  Stream Number 1 (optional)   |    Stream Number 2 (optional) |  ...
 * Incoming SSN Reset Request (14): request sequence number, then stream numbers.
 * Re-configuration Response (16):
 *    |         Re-configuration Response Sequence Number             |
 *    |                            Result                             |
 *    |                   Sender's Next TSN (optional)                |
 *    |                  Receiver's Next TSN (optional)               | */
enum {
  BRTC_SCTP_RESULT_SUCCESS_NOTHING = 0,
  BRTC_SCTP_RESULT_SUCCESS_PERFORMED = 1,
  BRTC_SCTP_RESULT_DENIED = 2,
  BRTC_SCTP_RESULT_ERROR_WRONG_SSN = 3,
  BRTC_SCTP_RESULT_ERROR_IN_PROGRESS = 4,
  BRTC_SCTP_RESULT_ERROR_BAD_SEQ = 5,
  BRTC_SCTP_RESULT_IN_PROGRESS = 6,
};

typedef struct brtc_sctp_reconfig_param {
  uint16_t type;       /* BRTC_SCTP_PARAM_* */
  uint32_t req_seq;    /* 13, 14, 15, 17, 18: request sequence number; 16: response's */
  uint32_t resp_seq;   /* 13 */
  uint32_t last_tsn;   /* 13 */
  uint32_t result;     /* 16 */
  unsigned n_streams;  /* 13, 14 */
  const uint8_t *streams;
} brtc_sctp_reconfig_param;

/* A RE-CONFIG carries one or two parameters (RFC 6525 3.1). Returns how many were read (at
 * most 2, into out[]); BRTC_ERR_PARSE for none, more than two, or a malformed one. Types other
 * than 13, 14 and 16 come back with only type and req_seq (when they have one). */
int brtc_sctp_parse_reconfig(const brtc_sctp_tlv *c, brtc_sctp_reconfig_param out[2]);
uint16_t brtc_sctp_reconfig_stream(const brtc_sctp_reconfig_param *p, unsigned i);

/* A RE-CONFIG chunk under construction: begin, add one or two parameters, end. */
size_t brtc_sctp_reconfig_begin(brtc_sctp_writer *w);
bool brtc_sctp_reconfig_add_outgoing(brtc_sctp_writer *w, uint32_t req_seq, uint32_t resp_seq,
                                     uint32_t last_tsn, const uint16_t *streams, unsigned n);
bool brtc_sctp_reconfig_add_response(brtc_sctp_writer *w, uint32_t resp_seq, uint32_t result);
bool brtc_sctp_reconfig_end(brtc_sctp_writer *w, size_t start);

#endif
