/* The association (src/sctp) fed whole packets, time and owner calls, after a set-up that
 * works (fuzz_sctp_setup.h), so the fuzzer starts where DATA, SACK, FORWARD TSN, RE-CONFIG
 * and the shutdown are handled, not at the INIT. Nothing the peer sends may crash, hang or
 * leak; the invariants below must hold after every record. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/bytes.h"
#include "fuzz_sctp_setup.h"
#include "sctp/sctp_packet.h"

static void check(const brtc_sctp *x) {
  brtc_sctp_stats s;
  brtc_sctp_get_stats(x, &s);
  /* Held memory stays within what the limits allow (1 MiB sent, 2 x 512 KiB received, and
   * the tables around them). */
  if (brtc_sctp_memory(x) > 3u * 1024 * 1024) __builtin_trap();
  if (s.flight > 16u * 1024 * 1024) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* The set-up (fixed seeds: the same pair every time) is made once, and every input gets
   * its own copy of both ends: nothing an input does reaches the next one. An empty input
   * has no record to run; returning before the set-up makes the first real input build it,
   * so its edges count in libFuzzer's coverage (the empty call at start-up is not counted). */
  if (size == 0) return 0;
  static brtc_sctp *set_a, *set_b;
  if (!set_a && fuzz_sctp_setup(&set_a, &set_b)) __builtin_trap(); /* must always work */
  brtc_sctp *a, *b;
  if (brtc_sctp_clone(set_a, &a) || brtc_sctp_clone(set_b, &b)) __builtin_trap();
  uint64_t now = FUZZ_SCTP_START_US;
  static uint8_t pkt[65536 + 16];
  size_t pos = 0;
  while (pos + 3 <= size) {
    uint8_t op = data[pos];
    size_t n = brtc_rd16(data + pos + 1);
    pos += 3;
    if (n > size - pos) n = size - pos;
    const uint8_t *p = data + pos;
    pos += n;
    switch (op & 3) {
      case 0:
      case 1: {
        brtc_sctp *to = (op & 3) == 0 ? a : b;
        memcpy(pkt, p, n);
        if (!(op & 4) && n >= BRTC_SCTP_COMMON_HEADER) {
          brtc_wr32(pkt + 4, brtc_sctp_local_vtag(to));
          brtc_sctp_checksum_write(pkt, n);
        }
        brtc_sctp_handle_packet(to, now, pkt, n);
        break;
      }
      case 2: {
        now += n ? p[0] * 10000ull : 1000ull;
        if (brtc_sctp_next_deadline(a) <= now) brtc_sctp_handle_timeout(a, now);
        if (brtc_sctp_next_deadline(b) <= now) brtc_sctp_handle_timeout(b, now);
        break;
      }
      default:
        fuzz_sctp_call(a, now, p, n);
        break;
    }
    fuzz_sctp_exchange(a, b, now, NULL, NULL);
    check(a);
    check(b);
  }
  brtc_sctp_free(a);
  brtc_sctp_free(b);
  return 0;
}
