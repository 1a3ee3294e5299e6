/* Session setup time and memory of the server side, in memory (no sockets).
 *
 *   time:   for each session, from the first STUN check to DTLS done to the first keyframe:
 *           the step timestamps (wall time, the simulated browser's work included since it
 *           runs in the same thread) and the server's own time (only inside brtc_pc calls).
 *   memory: N sessions brought to "connected" (and, in a second round, to "first keyframe
 *           received") and left idle; the heap in use (mallinfo2) is read, then every server
 *           pc is freed and the heap read again: the difference over N is what one idle
 *           server session holds. The browsers' share is what stays until they are freed.
 *           Resident memory (statm, after malloc_trim) is read the same way.
 *   data:   the same for sessions with data channels only (m=application), each with one
 *           channel the browser opened and one 1,000-byte message through it, once with
 *           OpenSSL's state released after the handshake (the default) and once with it
 *           kept alive (keep_dtls), the choice docs/architecture.md explains.
 *
 * Usage: bench_session [--sessions N] */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_pair.h"
#include "boltrtc/loop.h"
#include "sctp/datachannel.h"

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, size_t n) {
  qsort(v, n, sizeof(*v), cmp_u64);
  return n ? v[n / 2] : 0;
}

static size_t heap_in_use(void) {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd; /* small blocks plus mmapped ones */
}

/* Resident memory after giving free heap pages back: what the machine really pays. */
static size_t resident_bytes(void) {
  malloc_trim(0);
  unsigned long size = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (f) {
    if (fscanf(f, "%lu %lu", &size, &resident) != 2) resident = 0;
    fclose(f);
  }
  return resident * (size_t)sysconf(_SC_PAGESIZE);
}

typedef struct memory_figures {
  size_t heap_pc, heap_sim, rss_pc; /* per session */
} memory_figures;

typedef struct timing_figures {
  uint64_t *wall_dtls, *wall_key, *own_dtls, *own_key, *own_total;
  size_t n;
} timing_figures;

static uint8_t keyframe[30 * 1100];

/* Bring n sessions up (and, with media, to their first keyframe), then free the server pcs
 * and the browsers in turn, reading the heap in between. */
static bool measure(bench_pair *pairs, size_t n, const brtc_certificate *cert,
                    const sim_peer_opts *opts, bool media, memory_figures *mem,
                    timing_figures *tf) {
  char err[256];
  size_t heap0 = heap_in_use(), rss0 = resident_bytes();
  for (size_t i = 0; i < n; i++) {
    bench_pair *p = &pairs[i];
    if (bench_pair_init(p, cert, opts, (unsigned)i + 1, err, sizeof(err)) != BRTC_OK) {
      fprintf(stderr, "session %zu: %s\n", i, err);
      return false;
    }
    if (!bench_pair_connect(p, 200)) {
      fprintf(stderr, "session %zu: handshake failed\n", i);
      return false;
    }
    if (opts->datachannel) { /* one channel open, one message through it */
      brtc_dc *dc = NULL;
      static const uint8_t msg[1000];
      if (brtc_dc_create(sim_peer_dc(p->sim), brtc_now_us(), "echo", NULL, &dc) != BRTC_OK)
        return false;
      for (int k = 0; k < 50 && !sim_peer_get_stats(p->sim)->dc_opened; k++) bench_pair_pump(p);
      if (brtc_dc_send(dc, brtc_now_us(), msg, sizeof(msg), true) != BRTC_OK) return false;
      for (int k = 0; k < 10; k++) bench_pair_pump(p);
      if (!sim_peer_get_stats(p->sim)->dc_opened || brtc_dc_buffered_amount(dc) != 0) {
        fprintf(stderr, "session %zu: the data channel did not open or send\n", i);
        return false;
      }
    }
    if (!media) continue;
    if (sim_peer_send_frame(p->sim, keyframe, sizeof(keyframe), true, 90000) != BRTC_OK) return false;
    for (int k = 0; k < 10 && !p->keyframes; k++) bench_pair_pump(p);
    brtc_pc_stats st = {.size = sizeof(brtc_pc_stats)};
    brtc_pc_get_stats(p->pc, &st);
    uint64_t at[BENCH_STEPS];
    for (int k = 0; k < BENCH_STEPS; k++) at[k] = brtc_pc_step_time(p->pc, (brtc_pc_step)k);
    const uint64_t *own = p->step_server_us;
    if (!tf || !p->keyframes || !at[BRTC_STEP_ICE_CHECK] || !at[BRTC_STEP_DTLS_CONNECTED] ||
        !at[BRTC_STEP_FIRST_KEYFRAME])
      continue;
    tf->wall_dtls[tf->n] = at[BRTC_STEP_DTLS_CONNECTED] - at[BRTC_STEP_ICE_CHECK];
    tf->wall_key[tf->n] = at[BRTC_STEP_FIRST_KEYFRAME] - at[BRTC_STEP_ICE_CHECK];
    tf->own_dtls[tf->n] = own[BRTC_STEP_DTLS_CONNECTED] - own[BRTC_STEP_ICE_CHECK];
    tf->own_key[tf->n] = own[BRTC_STEP_FIRST_KEYFRAME] - own[BRTC_STEP_ICE_CHECK];
    tf->own_total[tf->n] = p->server_us;
    tf->n++;
  }
  size_t heap1 = heap_in_use(), rss1 = resident_bytes();
  for (size_t i = 0; i < n; i++) bench_pair_free_pc(&pairs[i]);
  size_t heap2 = heap_in_use(), rss2 = resident_bytes();
  for (size_t i = 0; i < n; i++) bench_pair_free_sim(&pairs[i]);
  size_t heap3 = heap_in_use();
  (void)heap0;
  (void)rss0;
  mem->heap_pc = (heap1 - heap2) / n;
  mem->heap_sim = (heap2 - heap3) / n;
  mem->rss_pc = rss1 > rss2 ? (rss1 - rss2) / n : 0;
  return true;
}

int main(int argc, char **argv) {
  size_t n = 500;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--sessions") == 0 && i + 1 < argc) n = strtoul(argv[++i], NULL, 10);
    else {
      fprintf(stderr, "usage: %s [--sessions N]\n", argv[0]);
      return 2;
    }
  }
  if (n == 0) return 2;
  brtc_certificate *cert = brtc_certificate_generate();
  brtc_dtls_cert *sim_cert = brtc_dtls_cert_generate();
  bench_pair *pairs = calloc(n, sizeof(*pairs));
  timing_figures tf = {.wall_dtls = calloc(n, sizeof(uint64_t)), .wall_key = calloc(n, sizeof(uint64_t)),
                       .own_dtls = calloc(n, sizeof(uint64_t)), .own_key = calloc(n, sizeof(uint64_t)),
                       .own_total = calloc(n, sizeof(uint64_t))};
  if (!cert || !sim_cert || !pairs || !tf.wall_dtls || !tf.wall_key || !tf.own_dtls ||
      !tf.own_key || !tf.own_total) {
    fprintf(stderr, "setup failed\n");
    return 1;
  }
  bench_make_vp8_frame(keyframe, sizeof(keyframe), true);
  sim_peer_opts opts;
  memset(&opts, 0, sizeof(opts));
  opts.cert = sim_cert;

  /* A round of a few sessions first, so one-time costs (OpenSSL's lazy tables, the shared
   * DTLS context) are neither timed nor counted against the sessions. */
  memory_figures warm, idle, media, data, data_kept;
  if (!measure(pairs, n < 4 ? n : 4, cert, &opts, true, &warm, NULL) ||
      !measure(pairs, n, cert, &opts, false, &idle, NULL) ||
      !measure(pairs, n, cert, &opts, true, &media, &tf))
    return 1;
  sim_peer_opts dopts = opts;
  dopts.datachannel = dopts.no_video = dopts.no_audio = true;
  if (!measure(pairs, n < 4 ? n : 4, cert, &dopts, false, &warm, NULL) ||
      !measure(pairs, n, cert, &dopts, false, &data, NULL))
    return 1;
  bench_pair_keep_dtls = true;
  if (!measure(pairs, n, cert, &dopts, false, &data_kept, NULL)) return 1;
  bench_pair_keep_dtls = false;

  printf("bench_session: %zu sessions in memory, %zu reached the first keyframe\n", n, tf.n);
  printf("setup time, median over sessions (microseconds):\n");
  printf("  first STUN check -> DTLS connected: server's own %6llu, wall (with the browser) %6llu\n",
         (unsigned long long)median(tf.own_dtls, tf.n), (unsigned long long)median(tf.wall_dtls, tf.n));
  printf("  first STUN check -> first keyframe: server's own %6llu, wall (with the browser) %6llu\n",
         (unsigned long long)median(tf.own_key, tf.n), (unsigned long long)median(tf.wall_key, tf.n));
  printf("  server's own time, offer to first keyframe: %llu\n",
         (unsigned long long)median(tf.own_total, tf.n));
  printf("memory per server session (heap freed with the pc, mallinfo2; resident freed, statm):\n");
  printf("  connected, no media yet:  heap %8zu B (%7.1f KiB), resident %8zu B; browser's heap %zu B\n",
         idle.heap_pc, (double)idle.heap_pc / 1024.0, idle.rss_pc, idle.heap_sim);
  printf("  after its first keyframe: heap %8zu B (%7.1f KiB), resident %8zu B; browser's heap %zu B\n",
         media.heap_pc, (double)media.heap_pc / 1024.0, media.rss_pc, media.heap_sim);
  printf("  one open data channel, OpenSSL released: heap %8zu B (%7.1f KiB), resident %8zu B\n",
         data.heap_pc, (double)data.heap_pc / 1024.0, data.rss_pc);
  printf("  one open data channel, OpenSSL kept:     heap %8zu B (%7.1f KiB), resident %8zu B\n",
         data_kept.heap_pc, (double)data_kept.heap_pc / 1024.0, data_kept.rss_pc);
  free(pairs);
  free(tf.wall_dtls);
  free(tf.wall_key);
  free(tf.own_dtls);
  free(tf.own_key);
  free(tf.own_total);
  brtc_dtls_cert_free(sim_cert);
  brtc_certificate_free(cert);
  return 0;
}
