/* Records seeds for fuzz_sctp_assoc and fuzz_sctp_chunks from the set-up the fuzzer itself
 * makes (fuzz/fuzz_sctp_setup.h), so tags and TSNs fit:
 *   fuzz/corpus/fuzz_sctp_assoc/calls_*    owner calls and time only (op 2 and 3 records):
 *                                          the fuzzer replays the traffic they cause;
 *   fuzz/corpus/fuzz_sctp_assoc/packets_*  the packets that traffic carried, as op 0/1
 *                                          records with their own tags and CRCs (op bit 2);
 *   fuzz/corpus/fuzz_sctp_chunks/<chunk>   one packet per chunk type seen, and DCEP OPENs.
 * Deterministic. Run from the repository root after changing the format or the set-up:
 *   ./build/tests/sctp/make_sctp_fuzz_seeds fuzz/corpus */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/bytes.h"
#include "fuzz_sctp_setup.h"
#include "sctp/dcep.h"
#include "sctp/sctp_chunk.h"
#include "sctp/sctp_packet.h"

typedef struct seed {
  uint8_t buf[1 << 20];
  size_t len;
} seed;

static seed g_calls, g_packets;
static const char *g_root;
static bool g_chunk_seen[256];

static void put(seed *s, uint8_t op, const uint8_t *p, size_t n) {
  if (s->len + 3 + n > sizeof s->buf) return;
  s->buf[s->len] = op;
  brtc_wr16(s->buf + s->len + 1, (uint16_t)n);
  memcpy(s->buf + s->len + 3, p, n);
  s->len += 3 + n;
}

static void write_file(const char *dir, const char *name, const uint8_t *p, size_t n) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", g_root, dir);
  mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/%s/%s", g_root, dir, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(p, 1, n, f) != n) {
    perror(path);
    exit(1);
  }
  fclose(f);
}

static uint32_t g_last_tsn_to_b;

static void on_packet(void *user, int to, const uint8_t *pkt, size_t len) {
  (void)user;
  put(&g_packets, (uint8_t)(to | 4), pkt, len);
  if (to == 1 && len >= 20 && pkt[BRTC_SCTP_COMMON_HEADER] == BRTC_SCTP_DATA)
    g_last_tsn_to_b = brtc_rd32(pkt + BRTC_SCTP_COMMON_HEADER + 4);
  uint8_t first = len > BRTC_SCTP_COMMON_HEADER ? pkt[BRTC_SCTP_COMMON_HEADER] : 0;
  if (!g_chunk_seen[first]) {
    g_chunk_seen[first] = true;
    char name[32];
    snprintf(name, sizeof name, "chunk_%u", first);
    write_file("fuzz_sctp_chunks", name, pkt, len);
  }
}

/* One scenario: owner calls on A, each followed by time passing. */
static void scenario(const char *name, const uint8_t (*calls)[6], size_t n) {
  brtc_sctp *a, *b;
  if (fuzz_sctp_setup(&a, &b)) exit(1);
  g_calls.len = g_packets.len = 0;
  uint64_t now = FUZZ_SCTP_START_US;
  static const uint8_t tick[1] = {5}; /* 50 ms */
  for (size_t i = 0; i < n; i++) {
    put(&g_calls, 3, calls[i], 6);
    fuzz_sctp_call(a, now, calls[i], 6);
    fuzz_sctp_exchange(a, b, now, on_packet, NULL);
    for (int k = 0; k < 4; k++) {
      put(&g_calls, 2, tick, 1);
      put(&g_packets, 2, tick, 1);
      now += 50000;
      if (brtc_sctp_next_deadline(a) <= now) brtc_sctp_handle_timeout(a, now);
      if (brtc_sctp_next_deadline(b) <= now) brtc_sctp_handle_timeout(b, now);
      fuzz_sctp_exchange(a, b, now, on_packet, NULL);
    }
  }
  char file[64];
  snprintf(file, sizeof file, "calls_%s", name);
  write_file("fuzz_sctp_assoc", file, g_calls.buf, g_calls.len);
  snprintf(file, sizeof file, "packets_%s", name);
  write_file("fuzz_sctp_assoc", file, g_packets.buf, g_packets.len);
  brtc_sctp_free(a);
  brtc_sctp_free(b);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s CORPUS_DIR (fuzz/corpus)\n", argv[0]);
    return 2;
  }
  g_root = argv[1];
  /* The set-up's own packets, for the chunk fuzzer. */
  brtc_sctp *a, *b;
  if (fuzz_sctp_setup_rec(&a, &b, on_packet, NULL)) return 1;
  brtc_sctp_free(a);
  brtc_sctp_free(b);
  /* send: {0, stream, size_hi, size_lo (x4 bytes), flags}; flags: ppid 51 + low 3 bits,
   * 8 unordered, 16 PR retransmits (high bits), 32 PR lifetime; reset {2, stream}. */
  static const uint8_t small[][6] = {{0, 1, 0, 10, 0, 0}, {0, 2, 0, 3, 2, 0}, {0, 1, 0, 20, 8, 0}};
  static const uint8_t fragmented[][6] = {{0, 0, 4, 0, 2, 0}, {0, 3, 1, 0, 8 | 2, 0},
                                          {0, 0, 0x08, 0, 2, 0}};
  static const uint8_t partial[][6] = {{0, 1, 2, 0, 16 | 2, 0}, {0, 2, 0, 50, 16 | 8, 0},
                                       {0, 4, 1, 0, 32 | 64, 0}, {0, 1, 0, 5, 2, 0}};
  static const uint8_t reset[][6] = {{0, 5, 0, 30, 0, 0}, {2, 5, 0, 0, 0, 0}, {0, 5, 0, 8, 0, 0},
                                     {5, 5, 10, 0, 0, 0}};
  static const uint8_t endings[][6] = {{0, 1, 1, 0, 0, 0}, {3, 0, 0, 0, 0, 0}};
  static const uint8_t aborted[][6] = {{0, 1, 0, 10, 0, 0}, {4, 0, 0xaa, 0, 0, 0}};
  scenario("small", small, sizeof small / sizeof small[0]);
  scenario("fragmented", fragmented, sizeof fragmented / sizeof fragmented[0]);
  scenario("partial", partial, sizeof partial / sizeof partial[0]);
  scenario("reset", reset, sizeof reset / sizeof reset[0]);
  scenario("shutdown", endings, sizeof endings / sizeof endings[0]);
  scenario("abort", aborted, sizeof aborted / sizeof aborted[0]);
  /* Chunks the runs above do not make (no loss, no heartbeat, no error), by hand: packets to
   * B that the fuzzer addresses (op 1: tag and CRC made right). */
  g_packets.len = 0;
  uint8_t pkt[256];
  brtc_sctp_writer w;
  brtc_sctp_stream_ssn skipped[2] = {{1, 3}, {4, 0}};
  brtc_sctp_writer_init(&w, pkt, sizeof pkt);
  brtc_sctp_header_write(pkt, 5000, 5000, 0);
  brtc_sctp_put(&w, BRTC_SCTP_COMMON_HEADER);
  brtc_sctp_write_forward_tsn(&w, g_last_tsn_to_b + 2, skipped, 2);
  put(&g_packets, 1, pkt, w.len);
  write_file("fuzz_sctp_chunks", "chunk_192", pkt, w.len);
  static const uint8_t info[] = {0, 1, 0, 8, 1, 2, 3, 4};
  brtc_sctp_writer_init(&w, pkt, sizeof pkt);
  brtc_sctp_put(&w, BRTC_SCTP_COMMON_HEADER);
  brtc_sctp_write_heartbeat(&w, BRTC_SCTP_HEARTBEAT, info, sizeof info);
  put(&g_packets, 1, pkt, w.len);
  write_file("fuzz_sctp_chunks", "chunk_4", pkt, w.len);
  brtc_sctp_writer_init(&w, pkt, sizeof pkt);
  brtc_sctp_put(&w, BRTC_SCTP_COMMON_HEADER);
  brtc_sctp_write_cause_chunk(&w, BRTC_SCTP_ERROR, 0, BRTC_SCTP_CAUSE_INVALID_STREAM,
                              (const uint8_t *)"\0\7\0\0", 4);
  put(&g_packets, 1, pkt, w.len);
  write_file("fuzz_sctp_chunks", "chunk_9", pkt, w.len);
  write_file("fuzz_sctp_assoc", "packets_handmade", g_packets.buf, g_packets.len);
  /* DCEP OPEN messages for the chunk fuzzer's DCEP half. */
  uint8_t msg[64];
  size_t len;
  brtc_dcep_open o = {.channel_type = BRTC_DCEP_PARTIAL_REXMIT | BRTC_DCEP_UNORDERED,
                      .priority = 256, .label = (const uint8_t *)"control", .label_len = 7,
                      .protocol = (const uint8_t *)"json", .protocol_len = 4};
  brtc_dcep_write_open(&o, msg, sizeof msg, &len);
  write_file("fuzz_sctp_chunks", "dcep_open", msg, len);
  static const uint8_t ack[1] = {BRTC_DCEP_ACK};
  write_file("fuzz_sctp_chunks", "dcep_ack", ack, 1);
  return 0;
}
