/* The packet inspector's costs, beside the one-line describer that --log-level debug runs on
 * the same packets (include/boltrtc/inspect.h):
 *   - what an inspected session pays per packet once its kinds are full (every media packet
 *     after the first few: the classification and a count), against describing the packet;
 *   - what one recorded session holds (heap, mallinfo2), filled as a Chromium session fills
 *     it (e2e_inspect: STUN, DTLS, three RTP streams each way of the tap, RTCP);
 *   - what decoding it for /api/inspect costs: field by field into JSON, per packet.
 * Usage: bench_inspect [--packets N] */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "boltrtc/inspect.h"
#include "signal/inspect_json.h"
#include "signal/inspect_store.h"
#include "stun/rfc5769_vectors.h"

#define MEDIA 1200

static size_t heap_in_use(void) {
  struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

/* An RTP packet of ssrc with Chrome's two extensions and a VP8 descriptor. */
static void media_packet(uint8_t *p, uint32_t ssrc, uint16_t seq) {
  static const uint8_t head[] = {0x90, 96, 0, 0, 0, 1, 0x5f, 0x90, 0, 0, 0, 0, 0xbe, 0xde, 0, 2,
                                 0x22, 0x12, 0x34, 0x56, 0x40, '1', 0, 0, 0x90, 0x80, 0x92, 0x34};
  memset(p, 0xa5, MEDIA);
  memcpy(p, head, sizeof(head));
  p[2] = (uint8_t)(seq >> 8), p[3] = (uint8_t)seq;
  p[8] = (uint8_t)(ssrc >> 24), p[9] = (uint8_t)(ssrc >> 16), p[10] = (uint8_t)(ssrc >> 8),
  p[11] = (uint8_t)ssrc;
}

static const char answer[] =
    "a=ice-ufrag:bRtC\r\na=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=rtpmap:96 VP8/90000\r\n";

/* A session as Chromium fills it: every kind up to its bound. */
static void fill(brtc_inspect_entry *e, uint8_t *pkt) {
  static const uint8_t dtls[] = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 14};
  uint8_t big_dtls[1100] = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 1, 0x04, 0x3f};
  uint8_t rtcp[80] = {0x81, 201, 0, 19};
  for (int i = 0; i < 16; i++) {
    brtc_inspect_entry_tap(e, true, true, false, sample_request, sizeof(sample_request), 1);
    brtc_inspect_entry_tap(e, true, false, false, sample_ipv4_response,
                           sizeof(sample_ipv4_response), 1);
    brtc_inspect_entry_tap(e, true, i & 1, false, i < 4 ? big_dtls : dtls,
                           i < 4 ? sizeof(big_dtls) : sizeof(dtls), 1);
    for (uint32_t s = 1; s <= 3; s++) {
      media_packet(pkt, s, (uint16_t)i);
      brtc_inspect_entry_tap(e, true, true, false, pkt, MEDIA, 1);
      brtc_inspect_entry_tap(e, false, true, false, pkt, MEDIA - 10, 1);
    }
    brtc_inspect_entry_tap(e, false, i & 1, true, rtcp, sizeof(rtcp), 1);
    rtcp[0] = 0x80, rtcp[1] = 200;
    brtc_inspect_entry_tap(e, true, i & 1, false, rtcp, sizeof(rtcp) + 14, 1);
  }
}

int main(int argc, char **argv) {
  long packets = 2000000;
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], "--packets") == 0) packets = atol(argv[++i]);
  static uint8_t pkt[MEDIA];
  brtc_inspect_store st;
  if (brtc_inspect_store_init(&st, 16, 0, 0) != 0) bench_die("init");

  /* Memory: one session filled, the heap before and after (a first session warms OpenSSL's
   * random generator up, which is not the inspector's). */
  brtc_inspect_entry *warm = brtc_inspect_store_open(&st, "s0", 0);
  brtc_inspect_store_ended(&st, warm, 0);
  size_t before = heap_in_use();
  brtc_inspect_entry *e = brtc_inspect_store_open(&st, "s1", 0);
  if (!e) bench_die("open");
  brtc_inspect_entry_sdp(e, answer, sizeof(answer) - 1, answer, sizeof(answer) - 1);
  brtc_inspect_entry_set_srtp(e, "AES_CM_128_HMAC_SHA1_80");
  fill(e, pkt);
  size_t held = heap_in_use() - before;
  size_t kept = 0;
  for (size_t i = 0; i < e->n_buckets; i++) kept += e->buckets[i].n;

  /* Per packet once full: a media packet through both taps, against describing it. */
  media_packet(pkt, 2, 99);
  double t0 = bench_cpu_s();
  for (long i = 0; i < packets; i++) {
    pkt[3] = (uint8_t)i;
    brtc_inspect_entry_tap(e, true, true, false, pkt, MEDIA, (uint64_t)i);
  }
  double tap_ns = (bench_cpu_s() - t0) * 1e9 / (double)packets;
  char line[BRTC_INSPECT_LINE];
  long described = packets / 10;
  t0 = bench_cpu_s();
  for (long i = 0; i < described; i++) {
    pkt[3] = (uint8_t)i;
    brtc_inspect_describe(pkt, MEDIA, false, line, sizeof(line));
  }
  double describe_ns = (bench_cpu_s() - t0) * 1e9 / (double)described;

  /* /api/inspect: the whole session decoded into JSON. */
  int rounds = 50;
  size_t json_len = 0;
  t0 = bench_cpu_s();
  for (int r = 0; r < rounds; r++) {
    char *json = brtc_inspect_json(e);
    if (!json) bench_die("json");
    json_len = strlen(json);
    free(json);
  }
  double json_ms = (bench_cpu_s() - t0) * 1e3 / rounds;
  t0 = bench_cpu_s();
  for (int r = 0; r < rounds; r++)
    for (size_t b = 0; b < e->n_buckets; b++)
      for (size_t k = 0; k < e->buckets[b].n; k++)
        brtc_inspect_describe(e->buckets[b].packets[k].data, e->buckets[b].packets[k].kept,
                              false, line, sizeof(line));
  double describe_all_ms = (bench_cpu_s() - t0) * 1e3 / rounds;

  printf("recorded session: %zu packets in %zu kinds, %llu bytes of packets, %zu bytes of heap\n",
         kept, e->n_buckets, (unsigned long long)e->bytes, held);
  printf("per media packet once full: tap %.1f ns, describe (--log-level debug) %.1f ns, "
         "ratio %.3f\n", tap_ns, describe_ns, tap_ns / describe_ns);
  printf("/api/inspect for it: %.2f ms CPU, %zu bytes of JSON (%.1f us per packet); describing "
         "the same packets %.3f ms, ratio %.1f\n", json_ms, json_len, json_ms * 1e3 / (double)kept,
         describe_all_ms, json_ms / describe_all_ms);
  brtc_inspect_store_free(&st);
  return 0;
}
