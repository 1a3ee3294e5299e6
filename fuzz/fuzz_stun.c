/* Fuzz the STUN parser, integrity check, attribute lookup and the ICE agent in lite mode
 * (fuzz_ice.c drives it full, with scripts). The first byte picks a mode: raw message, or the
 * rest used as the attribute section of a request that is then correctly signed with the
 * agent's password, so the fuzzer reaches the logic after authentication (role conflicts,
 * nomination, the lite pair table). */
#include <stdint.h>
#include <string.h>

#include "common/addr.h"
#include "common/bytes.h"
#include "ice/ice_transport.h"
#include "stun/stun.h"

#define FUZZ_PWD "fuzzfuzzfuzzfuzzfuzzfuzz"

static void exercise_parser(const uint8_t *buf, size_t len) {
  brtc_stun_msg m;
  if (brtc_stun_parse(buf, len, &m) != 0) return;
  (void)brtc_stun_is_stun(buf, len);
  (void)brtc_stun_check_integrity(buf, len, &m, (const uint8_t *)FUZZ_PWD, strlen(FUZZ_PWD));
  const uint8_t *v;
  size_t vlen;
  (void)brtc_stun_find_attr(buf, len, BRTC_STUN_ATTR_USERNAME, &v, &vlen);
  (void)brtc_stun_find_attr(buf, len, 0x0012 /* XOR-PEER-ADDRESS */, &v, &vlen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const uint8_t tid[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  uint8_t msg[BRTC_STUN_MAX_SIZE], out[BRTC_STUN_MAX_SIZE];
  size_t len = 0;
  if (size < 2) return 0;
  uint8_t mode = data[0], flavour = data[1];
  data += 2;
  size -= 2;

  brtc_ice_config cfg;
  brtc_ice_config_init(&cfg);
  cfg.lite = true;
  cfg.local_ufrag = "fuzzufrg";
  cfg.local_pwd = FUZZ_PWD;
  cfg.tie_breaker = 0x8000000000000000ull;
  cfg.seed = 1;
  brtc_ice_transport *agent = NULL;
  if (brtc_ice_transport_new(&cfg, 1, &agent, NULL, 0) != 0) return 0;
  brtc_addr local;
  (void)brtc_addr_from_ip(&local, (flavour & 8) ? "2001:db8::2" : "192.0.2.2", 5000);
  (void)brtc_ice_transport_add_host_candidate(agent, &local, 0, 1);
  if (flavour & 1)
    (void)brtc_ice_transport_set_remote_credentials(agent, "peer", "peer-password-1234567890", 1);

  if (mode & 1) {
    /* Attribute section from the input, then USERNAME, MESSAGE-INTEGRITY and FINGERPRINT. */
    size_t body = size & ~(size_t)3;
    if (body > BRTC_STUN_MAX_SIZE - 200) body = BRTC_STUN_MAX_SIZE - 200;
    brtc_stun_writer w;
    brtc_stun_writer_init(&w, msg, sizeof(msg), BRTC_STUN_BINDING_REQUEST, tid);
    if (w.err != 0) {
      brtc_ice_transport_free(agent);
      return 0;
    }
    memcpy(msg + BRTC_STUN_HEADER_SIZE, data, body);
    w.len += body;
    brtc_wr16(msg + 2, (uint16_t)(w.len - BRTC_STUN_HEADER_SIZE));
    if (!(flavour & 2)) brtc_stun_add_bytes(&w, BRTC_STUN_ATTR_USERNAME, "fuzzufrg:peer", 13);
    if (brtc_stun_finish(&w, (const uint8_t *)FUZZ_PWD, strlen(FUZZ_PWD), !(flavour & 4), &len) !=
        0) {
      brtc_ice_transport_free(agent);
      return 0;
    }
  } else {
    len = size < sizeof(msg) ? size : sizeof(msg);
    memcpy(msg, data, len);
  }

  exercise_parser(msg, len);

  brtc_addr from;
  if (flavour & 8) (void)brtc_addr_from_ip(&from, "2001:db8::1", 4242);
  else (void)brtc_addr_from_ip(&from, "192.0.2.1", 4242);
  uint64_t now = 1000000;
  /* Several rounds from varying sources so the pair table, nomination and consent move. */
  for (int round = 0; round < 12; round++) {
    brtc_addr_set_port(&from, (uint16_t)(4242 + (round % 10)));
    (void)brtc_ice_transport_handle_stun(agent, &local, &from, msg, len, NULL, now);
    brtc_ice_output o;
    for (int k = 0; k < 64; k++) {
      if (brtc_ice_transport_poll(agent, out, sizeof(out), &o) != 0 ||
          o.kind == BRTC_ICE_OUTPUT_TIMEOUT)
        break;
      if (o.kind == BRTC_ICE_OUTPUT_TRANSMIT) exercise_parser(out, o.len);
    }
    brtc_ice_transport_handle_timeout(agent, now);
    (void)brtc_ice_transport_selected(agent, NULL);
    (void)brtc_ice_transport_is_valid_remote(agent, &from);
    brtc_ice_transport_renew_consent(agent, &from, now);
    now += (flavour & 16) ? 31000000 : 1000;
  }
  /* Tiny output buffers must fail cleanly. */
  (void)brtc_ice_transport_handle_stun(agent, &local, &from, msg, len, NULL, now);
  brtc_ice_output o;
  (void)brtc_ice_transport_poll(agent, out, flavour % 64, &o);
  brtc_ice_transport_free(agent);
  return 0;
}
