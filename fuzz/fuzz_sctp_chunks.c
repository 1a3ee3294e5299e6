/* Every SCTP chunk, parameter and error-cause parser (src/sctp/sctp_chunk.c, sctp_packet.c)
 * and the DCEP parser (dcep.c) on arbitrary bytes, read as a packet. What parses is written
 * back and must read the same. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "boltrtc/error.h"
#include "sctp/dcep.h"
#include "sctp/sctp_chunk.h"
#include "sctp/sctp_packet.h"

static void touch(const uint8_t *p, size_t n) {
  volatile uint8_t x = 0;
  for (size_t i = 0; i < n; i++) x ^= p[i];
  (void)x;
}

static void chunk(const brtc_sctp_tlv *c) {
  uint8_t out[70000];
  brtc_sctp_writer w;
  switch (c->type) {
    case BRTC_SCTP_DATA: {
      brtc_sctp_data d, e;
      if (brtc_sctp_parse_data(c, &d)) break;
      touch(d.payload, d.len);
      brtc_sctp_writer_init(&w, out, sizeof out);
      if (!brtc_sctp_write_data(&w, &d)) break;
      brtc_sctp_tlv again;
      brtc_sctp_tlv_iter it = {.p = out, .len = w.len, .chunk = true};
      if (brtc_sctp_tlv_next(&it, &again) != 1 || brtc_sctp_parse_data(&again, &e) ||
          e.tsn != d.tsn || e.len != d.len || memcmp(e.payload, d.payload, d.len) != 0)
        __builtin_trap();
      break;
    }
    case BRTC_SCTP_INIT:
    case BRTC_SCTP_INIT_ACK: {
      brtc_sctp_init init;
      brtc_sctp_init_params p;
      if (brtc_sctp_parse_init(c, &init)) break;
      if (brtc_sctp_parse_init_params(init.params, init.params_len, &p) == BRTC_OK && p.cookie)
        touch(p.cookie, p.cookie_len);
      break;
    }
    case BRTC_SCTP_SACK: {
      brtc_sctp_sack s;
      if (brtc_sctp_parse_sack(c, &s)) break;
      brtc_sctp_gap gaps[64];
      uint32_t dups[64];
      unsigned ng = s.n_gaps < 64 ? s.n_gaps : 64, nd = s.n_dups < 64 ? s.n_dups : 64;
      for (unsigned i = 0; i < ng; i++) gaps[i] = brtc_sctp_sack_gap(&s, i);
      for (unsigned i = 0; i < nd; i++) dups[i] = brtc_sctp_sack_dup(&s, i);
      brtc_sctp_writer_init(&w, out, sizeof out);
      if (!brtc_sctp_write_sack(&w, s.cum_tsn, s.a_rwnd, gaps, ng, dups, nd)) __builtin_trap();
      break;
    }
    case BRTC_SCTP_HEARTBEAT:
    case BRTC_SCTP_HEARTBEAT_ACK: {
      const uint8_t *info;
      size_t n;
      if (brtc_sctp_parse_heartbeat(c, &info, &n) == BRTC_OK) touch(info, n);
      break;
    }
    case BRTC_SCTP_ABORT:
    case BRTC_SCTP_ERROR: {
      brtc_sctp_cause cause;
      unsigned n;
      if (brtc_sctp_parse_causes(c, &cause, &n) == BRTC_OK) {
        touch(cause.info, cause.info_len);
        (void)brtc_sctp_cause_name(cause.code);
      }
      break;
    }
    case BRTC_SCTP_SHUTDOWN: {
      uint32_t cum;
      (void)brtc_sctp_parse_shutdown(c, &cum);
      break;
    }
    case BRTC_SCTP_FORWARD_TSN: {
      brtc_sctp_forward_tsn f;
      if (brtc_sctp_parse_forward_tsn(c, &f)) break;
      for (unsigned i = 0; i < f.n_streams; i++) (void)brtc_sctp_forward_tsn_stream(&f, i);
      break;
    }
    case BRTC_SCTP_RECONFIG: {
      brtc_sctp_reconfig_param p[2];
      int n = brtc_sctp_parse_reconfig(c, p);
      for (int i = 0; i < n; i++)
        for (unsigned k = 0; k < p[i].n_streams; k++) (void)brtc_sctp_reconfig_stream(&p[i], k);
      break;
    }
    default:
      touch(c->value, c->value_len);
      break;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  brtc_sctp_header h;
  (void)brtc_sctp_header_parse(data, size, &h);
  (void)brtc_sctp_checksum_ok(data, size);
  brtc_sctp_tlv_iter it;
  brtc_sctp_tlv c;
  brtc_sctp_chunks_begin(&it, data, size);
  for (int n = 0; n < 4096 && brtc_sctp_tlv_next(&it, &c) == 1; n++) {
    if (c.start < data || c.value + c.value_len > data + size) __builtin_trap();
    chunk(&c);
  }
  /* The same bytes as a DCEP message. */
  brtc_dcep_open o;
  if (brtc_dcep_parse(data, size, &o) == BRTC_DCEP_OPEN) {
    touch(o.label, o.label_len);
    touch(o.protocol, o.protocol_len);
    uint8_t out[140000];
    size_t len;
    brtc_dcep_open back;
    if (brtc_dcep_write_open(&o, out, sizeof out, &len) ||
        brtc_dcep_parse(out, len, &back) != BRTC_DCEP_OPEN || back.label_len != o.label_len)
      __builtin_trap();
  }
  return 0;
}
