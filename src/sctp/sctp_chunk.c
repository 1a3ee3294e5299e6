/* Typed SCTP chunks and parameters, read and written at their RFC byte layouts. */
#include "sctp/sctp_chunk.h"

#include <string.h>

#include "boltrtc/error.h"
#include "common/bytes.h"

/* ---- DATA ---- */

int brtc_sctp_parse_data(const brtc_sctp_tlv *c, brtc_sctp_data *out) {
  if (c->type != BRTC_SCTP_DATA || c->value_len < 12) return BRTC_ERR_PARSE;
  const uint8_t *v = c->value;
  out->flags = c->flags;
  out->tsn = brtc_rd32(v);
  out->stream = brtc_rd16(v + 4);
  out->ssn = brtc_rd16(v + 6);
  out->ppid = brtc_rd32(v + 8);
  out->payload = v + 12;
  out->len = c->value_len - 12;
  return BRTC_OK;
}

void brtc_sctp_write_data_header(uint8_t *p, uint8_t flags, uint32_t tsn, uint16_t stream,
                                 uint16_t ssn, uint32_t ppid, size_t len) {
  p[0] = BRTC_SCTP_DATA;
  p[1] = flags;
  brtc_wr16(p + 2, (uint16_t)(BRTC_SCTP_DATA_HEADER + len));
  brtc_wr32(p + 4, tsn);
  brtc_wr16(p + 8, stream);
  brtc_wr16(p + 10, ssn);
  brtc_wr32(p + 12, ppid);
}

bool brtc_sctp_write_data(brtc_sctp_writer *w, const brtc_sctp_data *d) {
  size_t total = brtc_sctp_pad4(BRTC_SCTP_DATA_HEADER + d->len);
  if (BRTC_SCTP_DATA_HEADER + d->len > 0xffff) return false;
  uint8_t *p = brtc_sctp_put(w, total);
  if (!p) return false;
  brtc_sctp_write_data_header(p, d->flags, d->tsn, d->stream, d->ssn, d->ppid, d->len);
  if (d->len) memcpy(p + BRTC_SCTP_DATA_HEADER, d->payload, d->len);
  memset(p + BRTC_SCTP_DATA_HEADER + d->len, 0, total - BRTC_SCTP_DATA_HEADER - d->len);
  return true;
}

/* ---- INIT, INIT ACK ---- */

int brtc_sctp_parse_init(const brtc_sctp_tlv *c, brtc_sctp_init *out) {
  if ((c->type != BRTC_SCTP_INIT && c->type != BRTC_SCTP_INIT_ACK) || c->value_len < 16)
    return BRTC_ERR_PARSE;
  const uint8_t *v = c->value;
  out->initiate_tag = brtc_rd32(v);
  out->a_rwnd = brtc_rd32(v + 4);
  out->outbound_streams = brtc_rd16(v + 8);
  out->inbound_streams = brtc_rd16(v + 10);
  out->initial_tsn = brtc_rd32(v + 12);
  out->params = v + 16;
  out->params_len = c->value_len - 16;
  return BRTC_OK;
}

int brtc_sctp_parse_init_params(const uint8_t *p, size_t len, brtc_sctp_init_params *out) {
  memset(out, 0, sizeof *out);
  brtc_sctp_tlv_iter it;
  brtc_sctp_tlv t;
  brtc_sctp_params_begin(&it, p, len);
  int r;
  while ((r = brtc_sctp_tlv_next(&it, &t)) == 1) {
    switch (t.type) {
      case BRTC_SCTP_PARAM_STATE_COOKIE:
        if (t.value_len == 0) return BRTC_ERR_PARSE;
        out->cookie = t.value;
        out->cookie_len = t.value_len;
        break;
      case BRTC_SCTP_PARAM_FORWARD_TSN_SUPPORTED:
        out->forward_tsn = true;
        break;
      case BRTC_SCTP_PARAM_SUPPORTED_EXTENSIONS:
        for (size_t i = 0; i < t.value_len; i++) {
          if (t.value[i] == BRTC_SCTP_FORWARD_TSN) out->forward_tsn = true;
          if (t.value[i] == BRTC_SCTP_RECONFIG) out->reconfig = true;
          if (t.value[i] == BRTC_SCTP_IDATA) out->idata = true;
        }
        break;
      case BRTC_SCTP_PARAM_ZERO_CHECKSUM:
        /* RFC 9653 4: the length is 8. One of another length is not ours to trust: it is
         * skipped like an unknown parameter whose upper bits say skip (10). */
        if (t.value_len == 4) out->zero_checksum_edmid = brtc_rd32(t.value);
        break;
      case BRTC_SCTP_PARAM_HOST_NAME:
        out->host_name = true;
        break;
      /* Known, and nothing we act on: addresses (no multi-homing, RFC 8831 6), ECN, AUTH
       * (RFC 4895, not used over DTLS), padding, adaptation layer, unrecognized-parameter
       * reports in an INIT ACK. */
      case BRTC_SCTP_PARAM_IPV4:
      case BRTC_SCTP_PARAM_IPV6:
      case BRTC_SCTP_PARAM_COOKIE_PRESERVATIVE:
      case BRTC_SCTP_PARAM_SUPPORTED_ADDRESS_TYPES:
      case BRTC_SCTP_PARAM_UNRECOGNIZED:
      case BRTC_SCTP_PARAM_ECN_CAPABLE:
      case BRTC_SCTP_PARAM_RANDOM:
      case BRTC_SCTP_PARAM_CHUNK_LIST:
      case BRTC_SCTP_PARAM_HMAC_ALGO:
      case BRTC_SCTP_PARAM_PADDING:
      case BRTC_SCTP_PARAM_ADAPTATION_LAYER:
        break;
      default:
        out->unknown++;
        /* RFC 9260 3.2.1: upper bit clear, stop processing this chunk's parameters. */
        if (!(t.type & 0x8000)) {
          out->stopped = true;
          return BRTC_OK;
        }
        break;
    }
  }
  return r < 0 ? r : BRTC_OK;
}

bool brtc_sctp_write_init(brtc_sctp_writer *w, uint8_t type, const brtc_sctp_init_write *in) {
  size_t start = brtc_sctp_chunk_begin(w, type, 0);
  if (start == SIZE_MAX) return false;
  uint8_t *v = brtc_sctp_put(w, 16);
  if (!v) goto fail;
  brtc_wr32(v, in->initiate_tag);
  brtc_wr32(v + 4, in->a_rwnd);
  brtc_wr16(v + 8, in->outbound_streams);
  brtc_wr16(v + 10, in->inbound_streams);
  brtc_wr32(v + 12, in->initial_tsn);
  if (in->forward_tsn || in->reconfig) {
    size_t p = brtc_sctp_param_begin(w, BRTC_SCTP_PARAM_SUPPORTED_EXTENSIONS);
    uint8_t *ext = brtc_sctp_put(w, (size_t)in->forward_tsn + (size_t)in->reconfig);
    if (p == SIZE_MAX || !ext) goto fail;
    if (in->forward_tsn) *ext++ = BRTC_SCTP_FORWARD_TSN;
    if (in->reconfig) *ext = BRTC_SCTP_RECONFIG;
    if (!brtc_sctp_param_end(w, p)) goto fail;
  }
  if (in->forward_tsn) {
    /* RFC 3758 3.1: the parameter too, for peers that look only for it. */
    size_t p = brtc_sctp_param_begin(w, BRTC_SCTP_PARAM_FORWARD_TSN_SUPPORTED);
    if (p == SIZE_MAX || !brtc_sctp_param_end(w, p)) goto fail;
  }
  if (in->zero_checksum_edmid) {
    size_t p = brtc_sctp_param_begin(w, BRTC_SCTP_PARAM_ZERO_CHECKSUM);
    uint8_t *e = brtc_sctp_put(w, 4);
    if (p == SIZE_MAX || !e) goto fail;
    brtc_wr32(e, in->zero_checksum_edmid);
    if (!brtc_sctp_param_end(w, p)) goto fail;
  }
  if (in->cookie) {
    size_t p = brtc_sctp_param_begin(w, BRTC_SCTP_PARAM_STATE_COOKIE);
    uint8_t *c = brtc_sctp_put(w, in->cookie_len);
    if (p == SIZE_MAX || !c) goto fail;
    memcpy(c, in->cookie, in->cookie_len);
    if (!brtc_sctp_param_end(w, p)) goto fail;
  }
  if (brtc_sctp_chunk_end(w, start)) return true;
fail:
  brtc_sctp_writer_rewind(w, start);
  return false;
}

/* ---- SACK ---- */

int brtc_sctp_parse_sack(const brtc_sctp_tlv *c, brtc_sctp_sack *out) {
  if (c->type != BRTC_SCTP_SACK || c->value_len < 12) return BRTC_ERR_PARSE;
  const uint8_t *v = c->value;
  out->cum_tsn = brtc_rd32(v);
  out->a_rwnd = brtc_rd32(v + 4);
  out->n_gaps = brtc_rd16(v + 8);
  out->n_dups = brtc_rd16(v + 10);
  if (12 + 4 * (size_t)out->n_gaps + 4 * (size_t)out->n_dups > c->value_len) return BRTC_ERR_PARSE;
  out->gaps = v + 12;
  out->dups = v + 12 + 4 * (size_t)out->n_gaps;
  return BRTC_OK;
}

brtc_sctp_gap brtc_sctp_sack_gap(const brtc_sctp_sack *s, unsigned i) {
  brtc_sctp_gap g = {brtc_rd16(s->gaps + 4 * i), brtc_rd16(s->gaps + 4 * i + 2)};
  return g;
}

uint32_t brtc_sctp_sack_dup(const brtc_sctp_sack *s, unsigned i) {
  return brtc_rd32(s->dups + 4 * i);
}

bool brtc_sctp_write_sack(brtc_sctp_writer *w, uint32_t cum_tsn, uint32_t a_rwnd,
                          const brtc_sctp_gap *gaps, unsigned n_gaps, const uint32_t *dups,
                          unsigned n_dups) {
  if (n_gaps > 0xffff || n_dups > 0xffff) return false;
  size_t start = brtc_sctp_chunk_begin(w, BRTC_SCTP_SACK, 0);
  if (start == SIZE_MAX) return false;
  uint8_t *v = brtc_sctp_put(w, 12 + 4 * (size_t)n_gaps + 4 * (size_t)n_dups);
  if (!v) {
    brtc_sctp_writer_rewind(w, start);
    return false;
  }
  brtc_wr32(v, cum_tsn);
  brtc_wr32(v + 4, a_rwnd);
  brtc_wr16(v + 8, (uint16_t)n_gaps);
  brtc_wr16(v + 10, (uint16_t)n_dups);
  v += 12;
  for (unsigned i = 0; i < n_gaps; i++, v += 4) {
    brtc_wr16(v, gaps[i].start);
    brtc_wr16(v + 2, gaps[i].end);
  }
  for (unsigned i = 0; i < n_dups; i++, v += 4) brtc_wr32(v, dups[i]);
  return brtc_sctp_chunk_end(w, start);
}

/* ---- HEARTBEAT ---- */

int brtc_sctp_parse_heartbeat(const brtc_sctp_tlv *c, const uint8_t **info, size_t *info_len) {
  if (c->type != BRTC_SCTP_HEARTBEAT && c->type != BRTC_SCTP_HEARTBEAT_ACK) return BRTC_ERR_PARSE;
  /* RFC 9260 3.3.5: one Heartbeat Info parameter (type 1). */
  brtc_sctp_tlv_iter it;
  brtc_sctp_tlv t;
  brtc_sctp_params_begin(&it, c->value, c->value_len);
  if (brtc_sctp_tlv_next(&it, &t) != 1 || t.type != BRTC_SCTP_PARAM_HEARTBEAT_INFO)
    return BRTC_ERR_PARSE;
  *info = c->value;
  *info_len = c->value_len;
  return BRTC_OK;
}

bool brtc_sctp_write_heartbeat(brtc_sctp_writer *w, uint8_t type, const uint8_t *info,
                               size_t info_len) {
  size_t start = brtc_sctp_chunk_begin(w, type, 0);
  if (start == SIZE_MAX) return false;
  uint8_t *v = brtc_sctp_put(w, info_len);
  if (!v) {
    brtc_sctp_writer_rewind(w, start);
    return false;
  }
  memcpy(v, info, info_len);
  return brtc_sctp_chunk_end(w, start);
}

/* ---- ABORT, ERROR ---- */

const char *brtc_sctp_cause_name(uint16_t cause) {
  switch (cause) {
    case BRTC_SCTP_CAUSE_INVALID_STREAM: return "Invalid Stream Identifier";
    case BRTC_SCTP_CAUSE_MISSING_PARAM: return "Missing Mandatory Parameter";
    case BRTC_SCTP_CAUSE_STALE_COOKIE: return "Stale Cookie Error";
    case BRTC_SCTP_CAUSE_OUT_OF_RESOURCE: return "Out of Resource";
    case BRTC_SCTP_CAUSE_UNRESOLVABLE_ADDRESS: return "Unresolvable Address";
    case BRTC_SCTP_CAUSE_UNRECOGNIZED_CHUNK: return "Unrecognized Chunk Type";
    case BRTC_SCTP_CAUSE_INVALID_MANDATORY_PARAM: return "Invalid Mandatory Parameter";
    case BRTC_SCTP_CAUSE_UNRECOGNIZED_PARAMS: return "Unrecognized Parameters";
    case BRTC_SCTP_CAUSE_NO_USER_DATA: return "No User Data";
    case BRTC_SCTP_CAUSE_COOKIE_WHILE_SHUTTING_DOWN: return "Cookie Received While Shutting Down";
    case BRTC_SCTP_CAUSE_RESTART_NEW_ADDRESSES: return "Restart of an Association with New Addresses";
    case BRTC_SCTP_CAUSE_USER_ABORT: return "User-Initiated Abort";
    case BRTC_SCTP_CAUSE_PROTOCOL_VIOLATION: return "Protocol Violation";
    default: return "unknown";
  }
}

int brtc_sctp_parse_causes(const brtc_sctp_tlv *c, brtc_sctp_cause *first, unsigned *count) {
  brtc_sctp_tlv_iter it;
  brtc_sctp_tlv t;
  brtc_sctp_params_begin(&it, c->value, c->value_len);
  memset(first, 0, sizeof *first);
  unsigned n = 0;
  int r;
  while ((r = brtc_sctp_tlv_next(&it, &t)) == 1) {
    if (n++ == 0) {
      first->code = t.type;
      first->info = t.value;
      first->info_len = t.value_len;
    }
  }
  if (count) *count = n;
  return r < 0 ? r : BRTC_OK;
}

bool brtc_sctp_write_cause_chunk(brtc_sctp_writer *w, uint8_t type, uint8_t flags, uint16_t code,
                                 const uint8_t *info, size_t info_len) {
  size_t start = brtc_sctp_chunk_begin(w, type, flags);
  if (start == SIZE_MAX) return false;
  if (code) {
    size_t p = brtc_sctp_param_begin(w, code);
    uint8_t *v = p == SIZE_MAX ? NULL : brtc_sctp_put(w, info_len);
    if (!v) {
      brtc_sctp_writer_rewind(w, start);
      return false;
    }
    if (info_len) memcpy(v, info, info_len);
    if (!brtc_sctp_param_end(w, p)) {
      brtc_sctp_writer_rewind(w, start);
      return false;
    }
  }
  return brtc_sctp_chunk_end(w, start);
}

/* ---- SHUTDOWN, the empty chunks, COOKIE ECHO ---- */

int brtc_sctp_parse_shutdown(const brtc_sctp_tlv *c, uint32_t *cum_tsn) {
  if (c->type != BRTC_SCTP_SHUTDOWN || c->value_len < 4) return BRTC_ERR_PARSE;
  *cum_tsn = brtc_rd32(c->value);
  return BRTC_OK;
}

bool brtc_sctp_write_shutdown(brtc_sctp_writer *w, uint32_t cum_tsn) {
  size_t start = brtc_sctp_chunk_begin(w, BRTC_SCTP_SHUTDOWN, 0);
  if (start == SIZE_MAX) return false;
  uint8_t *v = brtc_sctp_put(w, 4);
  if (!v) {
    brtc_sctp_writer_rewind(w, start);
    return false;
  }
  brtc_wr32(v, cum_tsn);
  return brtc_sctp_chunk_end(w, start);
}

bool brtc_sctp_write_empty(brtc_sctp_writer *w, uint8_t type, uint8_t flags) {
  size_t start = brtc_sctp_chunk_begin(w, type, flags);
  return start != SIZE_MAX && brtc_sctp_chunk_end(w, start);
}

bool brtc_sctp_write_cookie_echo(brtc_sctp_writer *w, const uint8_t *cookie, size_t len) {
  size_t start = brtc_sctp_chunk_begin(w, BRTC_SCTP_COOKIE_ECHO, 0);
  if (start == SIZE_MAX) return false;
  uint8_t *v = brtc_sctp_put(w, len);
  if (!v) {
    brtc_sctp_writer_rewind(w, start);
    return false;
  }
  memcpy(v, cookie, len);
  return brtc_sctp_chunk_end(w, start);
}

/* ---- FORWARD TSN ---- */

int brtc_sctp_parse_forward_tsn(const brtc_sctp_tlv *c, brtc_sctp_forward_tsn *out) {
  if (c->type != BRTC_SCTP_FORWARD_TSN || c->value_len < 4 || (c->value_len & 3))
    return BRTC_ERR_PARSE;
  out->new_cum_tsn = brtc_rd32(c->value);
  out->n_streams = (unsigned)((c->value_len - 4) / 4);
  out->streams = c->value + 4;
  return BRTC_OK;
}

brtc_sctp_stream_ssn brtc_sctp_forward_tsn_stream(const brtc_sctp_forward_tsn *f, unsigned i) {
  brtc_sctp_stream_ssn s = {brtc_rd16(f->streams + 4 * i), brtc_rd16(f->streams + 4 * i + 2)};
  return s;
}

bool brtc_sctp_write_forward_tsn(brtc_sctp_writer *w, uint32_t new_cum_tsn,
                                 const brtc_sctp_stream_ssn *streams, unsigned n) {
  size_t start = brtc_sctp_chunk_begin(w, BRTC_SCTP_FORWARD_TSN, 0);
  if (start == SIZE_MAX) return false;
  uint8_t *v = brtc_sctp_put(w, 4 + 4 * (size_t)n);
  if (!v) {
    brtc_sctp_writer_rewind(w, start);
    return false;
  }
  brtc_wr32(v, new_cum_tsn);
  for (unsigned i = 0; i < n; i++) {
    brtc_wr16(v + 4 + 4 * i, streams[i].stream);
    brtc_wr16(v + 6 + 4 * i, streams[i].ssn);
  }
  return brtc_sctp_chunk_end(w, start);
}

/* ---- RE-CONFIG ---- */

static int parse_reconfig_param(const brtc_sctp_tlv *t, brtc_sctp_reconfig_param *p) {
  memset(p, 0, sizeof *p);
  p->type = t->type;
  const uint8_t *v = t->value;
  switch (t->type) {
    case BRTC_SCTP_PARAM_OUTGOING_RESET:
      if (t->value_len < 12 || (t->value_len & 1)) return BRTC_ERR_PARSE;
      p->req_seq = brtc_rd32(v);
      p->resp_seq = brtc_rd32(v + 4);
      p->last_tsn = brtc_rd32(v + 8);
      p->n_streams = (unsigned)((t->value_len - 12) / 2);
      p->streams = v + 12;
      return BRTC_OK;
    case BRTC_SCTP_PARAM_INCOMING_RESET:
      if (t->value_len < 4 || (t->value_len & 1)) return BRTC_ERR_PARSE;
      p->req_seq = brtc_rd32(v);
      p->n_streams = (unsigned)((t->value_len - 4) / 2);
      p->streams = v + 4;
      return BRTC_OK;
    case BRTC_SCTP_PARAM_RECONFIG_RESPONSE:
      if (t->value_len < 8) return BRTC_ERR_PARSE;
      p->req_seq = brtc_rd32(v);
      p->result = brtc_rd32(v + 4);
      return BRTC_OK;
    case BRTC_SCTP_PARAM_SSN_TSN_RESET:
    case BRTC_SCTP_PARAM_ADD_OUTGOING_STREAMS:
    case BRTC_SCTP_PARAM_ADD_INCOMING_STREAMS:
      if (t->value_len < 4) return BRTC_ERR_PARSE;
      p->req_seq = brtc_rd32(v);
      return BRTC_OK;
    default:
      return BRTC_ERR_PARSE;
  }
}

int brtc_sctp_parse_reconfig(const brtc_sctp_tlv *c, brtc_sctp_reconfig_param out[2]) {
  if (c->type != BRTC_SCTP_RECONFIG) return BRTC_ERR_PARSE;
  brtc_sctp_tlv_iter it;
  brtc_sctp_tlv t;
  brtc_sctp_params_begin(&it, c->value, c->value_len);
  int n = 0, r;
  while ((r = brtc_sctp_tlv_next(&it, &t)) == 1) {
    if (n == 2 || parse_reconfig_param(&t, &out[n]) < 0) return BRTC_ERR_PARSE;
    n++;
  }
  if (r < 0 || n == 0) return BRTC_ERR_PARSE;
  return n;
}

uint16_t brtc_sctp_reconfig_stream(const brtc_sctp_reconfig_param *p, unsigned i) {
  return brtc_rd16(p->streams + 2 * i);
}

size_t brtc_sctp_reconfig_begin(brtc_sctp_writer *w) {
  return brtc_sctp_chunk_begin(w, BRTC_SCTP_RECONFIG, 0);
}

bool brtc_sctp_reconfig_add_outgoing(brtc_sctp_writer *w, uint32_t req_seq, uint32_t resp_seq,
                                     uint32_t last_tsn, const uint16_t *streams, unsigned n) {
  size_t before = w->len;
  size_t p = brtc_sctp_param_begin(w, BRTC_SCTP_PARAM_OUTGOING_RESET);
  uint8_t *v = p == SIZE_MAX ? NULL : brtc_sctp_put(w, 12 + 2 * (size_t)n);
  if (!v) {
    brtc_sctp_writer_rewind(w, before);
    return false;
  }
  brtc_wr32(v, req_seq);
  brtc_wr32(v + 4, resp_seq);
  brtc_wr32(v + 8, last_tsn);
  for (unsigned i = 0; i < n; i++) brtc_wr16(v + 12 + 2 * i, streams[i]);
  return brtc_sctp_param_end(w, p);
}

bool brtc_sctp_reconfig_add_response(brtc_sctp_writer *w, uint32_t resp_seq, uint32_t result) {
  size_t before = w->len;
  size_t p = brtc_sctp_param_begin(w, BRTC_SCTP_PARAM_RECONFIG_RESPONSE);
  uint8_t *v = p == SIZE_MAX ? NULL : brtc_sctp_put(w, 8);
  if (!v) {
    brtc_sctp_writer_rewind(w, before);
    return false;
  }
  brtc_wr32(v, resp_seq);
  brtc_wr32(v + 4, result);
  return brtc_sctp_param_end(w, p);
}

bool brtc_sctp_reconfig_end(brtc_sctp_writer *w, size_t start) {
  return brtc_sctp_chunk_end(w, start);
}
