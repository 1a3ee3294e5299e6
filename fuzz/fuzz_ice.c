/* Fuzz the ICE agent (src/ice/ice_transport.h) and the candidate grammar. The input is a
 * script of operations, each a tag byte and its operands:
 *   0  a raw datagram from one of four remote addresses
 *   1  a check signed with the agent's password, its attributes from the input, so that the
 *      fuzzer gets past authentication (role conflicts, nomination, peer-reflexive learning)
 *   2  an answer to the agent's latest check, signed with the peer's password, its
 *      attributes from the input (mapped addresses, errors, 487s)
 *   3  a candidate line, trickled
 *   4  time passes (up to about 70 s) and the agent's timer runs
 *   5  restart, new remote credentials, end-of-candidates, a resolved name, a local
 *      candidate or close
 * After every operation the agent is drained; every deadline must lie in the future. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/bytes.h"
#include "ice/ice_candidate.h"
#include "ice/ice_transport.h"
#include "stun/stun.h"

#define LOCAL_PWD "fuzzfuzzfuzzfuzzfuzzfuzz"
#define PEER_PWD "peer-password-1234567890"

typedef struct reader {
  const uint8_t *p;
  size_t n;
} reader;

static uint8_t take(reader *r) {
  if (!r->n) return 0;
  r->n--;
  return *r->p++;
}

static size_t take_bytes(reader *r, uint8_t *out, size_t want) {
  if (want > r->n) want = r->n;
  memcpy(out, r->p, want);
  r->p += want;
  r->n -= want;
  return want;
}

typedef struct state {
  brtc_ice_transport *t;
  uint64_t now;
  brtc_addr local[2], remote[4];
  uint8_t last_check[BRTC_ICE_MAX_DATAGRAM];
  size_t last_check_len;
  brtc_addr last_from, last_to;
  char peer_ufrag[16];
} state;

static void drain(state *s) {
  uint8_t buf[BRTC_ICE_MAX_DATAGRAM];
  for (int guard = 0; guard < 4096; guard++) {
    brtc_ice_output out;
    if (brtc_ice_transport_poll(s->t, buf, sizeof(buf), &out) != 0) continue;
    if (out.kind == BRTC_ICE_OUTPUT_TIMEOUT) {
      if (out.deadline_us <= s->now) abort(); /* a deadline in the past would spin its owner */
      return;
    }
    if (out.kind == BRTC_ICE_OUTPUT_TRANSMIT) {
      brtc_stun_msg m;
      if (brtc_stun_parse(buf, out.len, &m) != 0) abort(); /* we only send valid STUN */
      if (m.type == BRTC_STUN_BINDING_REQUEST) {
        memcpy(s->last_check, buf, out.len);
        s->last_check_len = out.len;
        s->last_from = out.from;
        s->last_to = out.to;
      }
    } else if (out.event.type == BRTC_ICE_EVENT_LOCAL_CANDIDATE) {
      char line[BRTC_ICE_CANDIDATE_LINE_MAX];
      if (brtc_ice_candidate_format(&out.event.candidate, line, sizeof(line)) == 0) {
        brtc_ice_candidate back;
        if (brtc_ice_candidate_parse(line, &back) != 0) abort(); /* what we write, we read */
      }
    }
  }
  abort(); /* never drained */
}

static void feed(state *s, const brtc_addr *local, const brtc_addr *remote, const uint8_t *buf,
                 size_t len) {
  brtc_stun_msg m;
  const brtc_stun_msg *pm = brtc_stun_parse(buf, len, &m) == 0 ? &m : NULL;
  if (pm) (void)brtc_ice_transport_handle_stun(s->t, local, remote, buf, len, pm, s->now);
  else (void)brtc_ice_transport_handle_stun(s->t, local, remote, buf, len, NULL, s->now);
}

/* Attributes from the input into a message the writer then signs. */
static size_t signed_message(reader *r, uint16_t type, const uint8_t tid[12], const char *username,
                             const char *key, uint8_t *msg) {
  brtc_stun_writer w;
  brtc_stun_writer_init(&w, msg, BRTC_STUN_MAX_SIZE, type, tid);
  size_t body = take(r);
  body = take_bytes(r, msg + BRTC_STUN_HEADER_SIZE, body & ~(size_t)3);
  w.len += body;
  brtc_wr16(msg + 2, (uint16_t)(w.len - BRTC_STUN_HEADER_SIZE));
  if (username) brtc_stun_add_bytes(&w, BRTC_STUN_ATTR_USERNAME, username, strlen(username));
  size_t len = 0;
  if (brtc_stun_finish(&w, (const uint8_t *)key, strlen(key), true, &len) != 0) return 0;
  return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  reader r = {data, size};
  uint8_t flavour = take(&r);
  state s;
  memset(&s, 0, sizeof(s));
  s.now = 1000000;
  brtc_ice_config cfg;
  brtc_ice_config_init(&cfg);
  cfg.lite = flavour & 1;
  cfg.controlling = flavour & 2;
  cfg.seed = 42;
  cfg.local_ufrag = "fuzzufrg";
  cfg.local_pwd = LOCAL_PWD;
  cfg.tie_breaker = (flavour & 4) ? 1 : UINT64_MAX - 1;
  if (brtc_ice_transport_new(&cfg, s.now, &s.t, NULL, 0) != 0) return 0;
  brtc_addr_from_ip(&s.local[0], "192.0.2.1", 5000);
  brtc_addr_from_ip(&s.local[1], "2001:db8::1", 5000);
  brtc_addr_from_ip(&s.remote[0], "198.51.100.1", 6000);
  brtc_addr_from_ip(&s.remote[1], "198.51.100.2", 6001);
  brtc_addr_from_ip(&s.remote[2], "2001:db8::2", 6000);
  brtc_addr_from_ip(&s.remote[3], "203.0.113.9", 7000);
  brtc_ice_transport_add_host_candidate(s.t, &s.local[0], 0, s.now);
  brtc_ice_transport_add_host_candidate(s.t, &s.local[1], 1, s.now);
  snprintf(s.peer_ufrag, sizeof(s.peer_ufrag), "peer");
  if (!(flavour & 8)) {
    static const char *const cands[] = {
        "candidate:1 1 udp 2130706431 198.51.100.1 6000 typ host",
        "candidate:2 1 udp 2130706175 2001:db8::2 6000 typ host",
        "candidate:3 1 udp 2113937151 abcdef01-2345-6789-abcd-ef0123456789.local 6001 typ host"};
    brtc_ice_transport_set_remote_description(s.t, s.peer_ufrag, PEER_PWD, flavour & 16, cands, 3,
                                              flavour & 32, s.now);
  }
  drain(&s);

  uint8_t msg[BRTC_STUN_MAX_SIZE];
  for (int op = 0; op < 64 && r.n > 0; op++) {
    uint8_t tag = take(&r);
    uint8_t arg = take(&r);
    const brtc_addr *remote = &s.remote[arg & 3];
    const brtc_addr *local = &s.local[(arg >> 2) & 1];
    switch (tag % 6) {
      case 0: {
        size_t len = take_bytes(&r, msg, take(&r) * 4u);
        feed(&s, local, remote, msg, len);
        break;
      }
      case 1: {
        uint8_t tid[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, (uint8_t)op};
        char user[64];
        snprintf(user, sizeof(user), "fuzzufrg:%s", s.peer_ufrag);
        size_t len = signed_message(&r, BRTC_STUN_BINDING_REQUEST, tid, (arg & 8) ? NULL : user,
                                    LOCAL_PWD, msg);
        if (len) feed(&s, local, remote, msg, len);
        break;
      }
      case 2: {
        brtc_stun_msg req;
        if (!s.last_check_len || brtc_stun_parse(s.last_check, s.last_check_len, &req) != 0) break;
        uint16_t type = (arg & 16) ? BRTC_STUN_BINDING_ERROR : BRTC_STUN_BINDING_SUCCESS;
        size_t len = signed_message(&r, type, req.transaction_id, NULL, PEER_PWD, msg);
        /* Mostly from where the check went; sometimes not (the symmetric check). */
        if (len) feed(&s, (arg & 32) ? local : &s.last_from, (arg & 64) ? remote : &s.last_to, msg, len);
        break;
      }
      case 3: {
        char line[300];
        size_t len = take_bytes(&r, (uint8_t *)line, take(&r));
        line[len] = '\0';
        brtc_ice_candidate c;
        (void)brtc_ice_candidate_parse(line, &c);
        (void)brtc_ice_transport_add_remote_candidate(s.t, line, s.now);
        break;
      }
      case 4:
        s.now += (uint64_t)arg * arg * 1000 + take(&r);
        brtc_ice_transport_handle_timeout(s.t, s.now);
        break;
      default:
        switch (arg % 7) {
          case 0: brtc_ice_transport_restart(s.t, s.now); break;
          case 1:
            snprintf(s.peer_ufrag, sizeof(s.peer_ufrag), "p%u", op);
            brtc_ice_transport_set_remote_credentials(s.t, s.peer_ufrag, PEER_PWD, s.now);
            break;
          case 2: brtc_ice_transport_end_of_remote_candidates(s.t, s.now); break;
          case 3:
            brtc_ice_transport_resolved(s.t, "abcdef01-2345-6789-abcd-ef0123456789.local", remote, s.now);
            break;
          case 4: {
            brtc_addr a = *remote;
            brtc_addr_set_port(&a, (uint16_t)(8000 + op));
            brtc_ice_transport_add_host_candidate(s.t, &a, 2, s.now);
            break;
          }
          case 5:
            brtc_ice_transport_add_gathered_candidate(s.t, (arg & 8) ? BRTC_ICE_CAND_RELAY : BRTC_ICE_CAND_SRFLX,
                                                      remote, local, local, remote, 3, s.now);
            break;
          default: brtc_ice_transport_close(s.t, s.now); break;
        }
        break;
    }
    drain(&s);
    (void)brtc_ice_transport_consent_holds(s.t, remote, s.now);
    (void)brtc_ice_transport_is_valid_remote(s.t, remote);
    brtc_ice_pair_info info;
    (void)brtc_ice_transport_selected(s.t, &info);
    for (size_t i = 0; brtc_ice_transport_pair(s.t, i, &info); i++) {
    }
  }
  brtc_ice_transport_free(s.t);
  return 0;
}
