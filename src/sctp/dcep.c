/* DCEP messages (RFC 8832 5). */
#include "sctp/dcep.h"

#include <string.h>

#include "boltrtc/error.h"
#include "common/bytes.h"

static bool known_channel_type(uint8_t t) {
  uint8_t reliability = t & (uint8_t)~BRTC_DCEP_UNORDERED;
  return reliability == BRTC_DCEP_RELIABLE || reliability == BRTC_DCEP_PARTIAL_REXMIT ||
         reliability == BRTC_DCEP_PARTIAL_TIMED;
}

int brtc_dcep_parse(const uint8_t *msg, size_t len, brtc_dcep_open *open) {
  if (!msg || len == 0) return BRTC_ERR_PARSE;
  if (msg[0] == BRTC_DCEP_ACK) return BRTC_DCEP_ACK; /* 5.2: anything after it is ignored */
  if (msg[0] != BRTC_DCEP_OPEN || len < BRTC_DCEP_OPEN_HEADER) return BRTC_ERR_PARSE;
  memset(open, 0, sizeof *open);
  open->channel_type = msg[1];
  open->priority = brtc_rd16(msg + 2);
  open->reliability = brtc_rd32(msg + 4);
  open->label_len = brtc_rd16(msg + 8);
  open->protocol_len = brtc_rd16(msg + 10);
  if (!known_channel_type(open->channel_type) ||
      BRTC_DCEP_OPEN_HEADER + open->label_len + open->protocol_len > len)
    return BRTC_ERR_PARSE;
  open->label = msg + BRTC_DCEP_OPEN_HEADER;
  open->protocol = open->label + open->label_len;
  return BRTC_DCEP_OPEN;
}

int brtc_dcep_write_open(const brtc_dcep_open *open, uint8_t *buf, size_t cap, size_t *out_len) {
  if (open->label_len > 0xffff || open->protocol_len > 0xffff) return BRTC_ERR_INVALID;
  size_t n = brtc_dcep_open_size(open);
  if (n > cap) return BRTC_ERR_TOO_BIG;
  buf[0] = BRTC_DCEP_OPEN;
  buf[1] = open->channel_type;
  brtc_wr16(buf + 2, open->priority);
  brtc_wr32(buf + 4, open->reliability);
  brtc_wr16(buf + 8, (uint16_t)open->label_len);
  brtc_wr16(buf + 10, (uint16_t)open->protocol_len);
  if (open->label_len) memcpy(buf + BRTC_DCEP_OPEN_HEADER, open->label, open->label_len);
  if (open->protocol_len)
    memcpy(buf + BRTC_DCEP_OPEN_HEADER + open->label_len, open->protocol, open->protocol_len);
  *out_len = n;
  return BRTC_OK;
}
