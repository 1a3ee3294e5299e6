/* Fuzz the TURN server core's input path (and the client core's). The input is a sequence
 * of records [op][len hi][len lo][bytes]: a raw datagram from one of four clients, a raw
 * datagram from a peer to a relay slot, an authenticated request whose attributes come from
 * the bytes (signed with a real user's key and a nonce the server handed out, so the fuzzer
 * reaches Allocate, Refresh, CreatePermission and ChannelBind past authentication), time
 * passing, a datagram for a TURN client waiting on its Allocate, or a client's TCP/TLS byte
 * stream cut into messages (brtc_turn_stream_frame_size). */
#include <stdint.h>
#include <string.h>

#include "boltrtc/error.h"
#include "common/bytes.h"
#include "stun/stun.h"
#include "turn/turn_client.h"
#include "turn/turn_proto.h"
#include "turn/turn_server.h"

#define N_CLIENTS 4
#define US 1000000ull

typedef struct fuzz_world {
  brtc_turn_core *core;
  brtc_addr clients[N_CLIENTS], peer;
  uint8_t nonce[N_CLIENTS][64];
  size_t nonce_len[N_CLIENTS];
  uint8_t key[16];
  uint64_t now;
  uint8_t out_buf[BRTC_TURN_OUT_MIN];
} fuzz_world;

static void take(fuzz_world *w, brtc_turn_action act, brtc_turn_out *out, int client) {
  int guard = 0;
  while (act == BRTC_TURN_ACT_OPEN_RELAY && guard++ < 16)
    act = brtc_turn_core_relay_opened(w->core, out->slot, (out->open_port & 3) != 0, w->now, out);
  /* Keep the nonce of a challenge, as a client would. */
  if (act == BRTC_TURN_ACT_SEND && client >= 0 && out->via == BRTC_TURN_VIA_LISTENER) {
    brtc_stun_msg m;
    if (brtc_stun_parse(out->buf, out->len, &m) == BRTC_OK && m.nonce && m.nonce_len <= 64) {
      memcpy(w->nonce[client], m.nonce, m.nonce_len);
      w->nonce_len[client] = m.nonce_len;
    }
  }
}

static void from_client(fuzz_world *w, int c, const uint8_t *data, size_t len) {
  brtc_turn_out out = {.buf = w->out_buf, .cap = sizeof(w->out_buf)};
  take(w, brtc_turn_core_from_client(w->core, 0, &w->clients[c], data, len, w->now, &out), &out, c);
}

/* An authenticated request: type from the first two bytes, then attributes as
 * [type hi][type lo][len][value...]. */
static void signed_request(fuzz_world *w, int c, const uint8_t *p, size_t n) {
  if (n < 2) return;
  static const uint8_t tid[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  uint8_t buf[BRTC_STUN_MAX_SIZE];
  brtc_stun_writer sw;
  brtc_stun_writer_init(&sw, buf, sizeof(buf), (uint16_t)(brtc_rd16(p) & 0x3EEF), tid);
  p += 2;
  n -= 2;
  while (n >= 3) {
    uint16_t type = brtc_rd16(p);
    size_t len = p[2] < n - 3 ? p[2] : n - 3;
    if (type == BRTC_STUN_ATTR_XOR_MAPPED_ADDRESS) type = BRTC_TURN_ATTR_XOR_PEER_ADDRESS;
    brtc_stun_add_bytes(&sw, type, p + 3, len);
    p += 3 + len;
    n -= 3 + len;
  }
  brtc_stun_add_bytes(&sw, BRTC_STUN_ATTR_USERNAME, "alice", 5);
  brtc_stun_add_bytes(&sw, BRTC_STUN_ATTR_REALM, "fuzz", 4);
  brtc_stun_add_bytes(&sw, BRTC_STUN_ATTR_NONCE, w->nonce[c], w->nonce_len[c]);
  size_t len;
  if (brtc_stun_finish(&sw, w->key, 16, true, &len) == BRTC_OK) from_client(w, c, buf, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const uint8_t secret[32] = {7};
  fuzz_world w = {0};
  brtc_turn_core_config cfg = {.realm = "fuzz", .secret = secret, .relay_port_min = 50000,
                               .relay_port_max = 50015, .max_allocations_per_source = 3,
                               .max_permissions = 4, .max_channels = 4};
  brtc_addr_parse(&cfg.relay_ip, "203.0.113.1:0", 0);
  w.core = brtc_turn_core_new(&cfg);
  if (!w.core) return 0;
  brtc_turn_core_add_user(w.core, "alice", "pw");
  brtc_turn_core_set_auth_secret(w.core, "s");
  brtc_turn_core_allow_peers(w.core, "127.0.0.0/8");
  brtc_stun_long_term_key("alice", "fuzz", "pw", w.key);
  const char *names[N_CLIENTS] = {"198.51.100.1:1000", "198.51.100.1:1001", "[2001:db8::1]:5",
                                  "127.0.0.1:9"};
  for (int i = 0; i < N_CLIENTS; i++) brtc_addr_parse(&w.clients[i], names[i], 0);
  brtc_addr_parse(&w.peer, "203.0.113.9:7000", 0);
  w.now = 1000 * US;
  /* Every client starts with a nonce, from the 401 to an unsigned Allocate. */
  uint8_t first[32];
  static const uint8_t tid[12] = {9};
  brtc_stun_writer sw;
  size_t first_len;
  brtc_stun_writer_init(&sw, first, sizeof(first), BRTC_TURN_ALLOCATE, tid);
  brtc_stun_finish(&sw, NULL, 0, false, &first_len);
  for (int i = 0; i < N_CLIENTS; i++) from_client(&w, i, first, first_len);

  brtc_turn_client_config cc = {.username = "alice", .password = "pw"};
  brtc_turn_client *cl = brtc_turn_client_new(&cc);
  if (cl) brtc_turn_client_allocate(cl, w.now);
  uint8_t cbuf[BRTC_STUN_MAX_SIZE];
  if (cl) (void)brtc_turn_client_poll_transmit(cl, w.now, cbuf, sizeof(cbuf));

  while (size >= 3) {
    uint8_t op = data[0];
    size_t len = brtc_rd16(data + 1);
    data += 3;
    size -= 3;
    if (len > size) len = size;
    int c = (op >> 4) & 3;
    brtc_turn_out out = {.buf = w.out_buf, .cap = sizeof(w.out_buf)};
    switch (op & 7) {
    case 0:
      from_client(&w, c, data, len);
      break;
    case 1:
      take(&w, brtc_turn_core_from_peer(w.core, op >> 4, &w.peer, data, len, w.now, &out), &out, -1);
      break;
    case 2:
    case 3:
      signed_request(&w, c, data, len);
      break;
    case 4:
      w.now += (uint64_t)(len + 1) * US * (op >> 3);
      brtc_turn_core_handle_timeout(w.core, w.now);
      uint32_t slot;
      while (brtc_turn_core_poll_closed(w.core, &slot)) {
      }
      break;
    case 5:
      if (cl) {
        brtc_turn_client_data d;
        (void)brtc_turn_client_handle(cl, data, len, w.now, &d);
        brtc_turn_client_event ev;
        while (brtc_turn_client_poll_event(cl, &ev)) {
        }
        brtc_turn_client_handle_timeout(cl, w.now);
        (void)brtc_turn_client_poll_transmit(cl, w.now, cbuf, sizeof(cbuf));
      }
      break;
    case 6: /* a TCP or TLS client's stream, cut into messages as turn_tcp.c does */
      for (size_t off = 0; off < len;) {
        size_t need = brtc_turn_stream_frame_size(data + off, len - off, BRTC_STUN_MAX_SIZE);
        if (need == 0 || need == SIZE_MAX || need > len - off) break;
        from_client(&w, c, data + off, need);
        off += need;
      }
      break;
    default: /* a peer on a known address of the allocation's relay: the data path */
      take(&w, brtc_turn_core_from_peer(w.core, 0, &w.clients[c], data, len, w.now, &out), &out, -1);
      break;
    }
    data += len;
    size -= len;
  }
  brtc_turn_client_free(cl);
  brtc_turn_core_free(w.core);
  return 0;
}
