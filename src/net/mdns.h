/* Multicast DNS (RFC 6762) as far as resolving a browser's .local ICE candidate needs
 * (draft-ietf-mmusic-mdns-ice-candidates): a one-question query for a name's A or AAAA
 * record, and the A and AAAA records read from a response. Sans-IO: bytes in and out, no
 * sockets, no clock, nothing allocated. Names are compared without regard to ASCII case
 * (RFC 6762 16). */
#ifndef BRTC_NET_MDNS_H
#define BRTC_NET_MDNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#define BRTC_MDNS_PORT 5353
#define BRTC_MDNS_GROUP_V4 "224.0.0.251"
#define BRTC_MDNS_GROUP_V6 "ff02::fb"
#define BRTC_MDNS_NAME_MAX 255 /* RFC 1035 3.1, in text form without the final dot */
#define BRTC_MDNS_TYPE_A 1
#define BRTC_MDNS_TYPE_AAAA 28

typedef struct brtc_mdns_record {
  char name[BRTC_MDNS_NAME_MAX + 1]; /* dotted, no final dot */
  brtc_addr addr;                    /* port 0 */
  uint32_t ttl;                      /* seconds; 0 is a goodbye (RFC 6762 10.1) */
} brtc_mdns_record;

/* A query for name (RFC 6762 5: ID 0, one question of qtype, class IN; unicast_response
 * sets the QU bit, 5.4). Returns its length, or 0 if name is no valid DNS name or cap is too
 * small. */
size_t brtc_mdns_write_query(const char *name, uint16_t qtype, bool unicast_response,
                             uint8_t *out, size_t cap);
/* The A and AAAA records of a response (answers, authority and additional sections), up to
 * cap of them into out; *n says how many. BRTC_OK, BRTC_ERR_PARSE for a message that is no
 * well-formed DNS response (a query is one: RFC 6762 6: QR must be set), with whatever was
 * read before the fault left in out. Other record types are skipped. */
int brtc_mdns_parse_response(const uint8_t *msg, size_t len, brtc_mdns_record *out, size_t cap,
                             size_t *n);
/* Equal DNS names, ASCII case aside, either with or without a final dot. */
bool brtc_mdns_name_equal(const char *a, const char *b);

#endif
