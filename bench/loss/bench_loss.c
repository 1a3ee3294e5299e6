/* Loss repair, in process and deterministic: N simulated publishers, each joined to its own
 * brtc_pc by two simulated links (tests/support/sim_link.h) that delay, reorder and lose
 * datagrams of every kind in both directions, on a simulated clock. Counted on the
 * publisher's side (so the same program measures any version of the pc): NACK messages and
 * the sequence numbers they ask for, PLIs, keyframes sent; on the pc's side: keyframes
 * completed (byte for byte what was sent) and the time to the first one.
 *
 * Usage: bench_loss [--sessions N] [--seconds S] [--condition issue|harsh|all]
 *                   [--publisher rtx|resend|all] [--seed N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_pair.h"
#include "boltrtc/error.h"
#include "sim_call.h"

#define KEY_BYTES 40000   /* ~37 packets */
#define DELTA_BYTES 4000  /* ~4 packets: 30 fps of these is ~1 Mbps */
#define N_DELTAS 30
#define KEY_INTERVAL 90   /* a keyframe every 3 s besides the ones asked for */
#define MTU 1100
#define MAX_SESSIONS 64

typedef struct condition {
  const char *name, *what;
  sim_link_config link; /* both directions (each with its own seed) */
} condition;

static const condition conditions[] = {
    {"issue", "5 % loss, 10 % reordering, 10 +- 5 ms, each way",
     {.latency_us = 10000, .jitter_us = 5000, .loss = 0.05, .reorder = 0.10}},
    {"harsh",
     "bursty loss (Gilbert-Elliott, ~10 %, bursts of ~4), 20 % reordering, 40 +- 20 ms, "
     "1 % duplicated, 4 Mbps, each way",
     {.latency_us = 40000, .jitter_us = 20000, .ge_p = 0.03, .ge_r = 0.25, .ge_loss_bad = 0.9,
      .reorder = 0.20, .duplicate = 0.01, .rate_bps = 4000000, .buffer_bytes = 64000}},
};

typedef struct totals {
  uint64_t lost_up, lost_down, nack_msgs, nack_seqs, plis, keys_sent, keys_asked, keys_done;
  uint64_t frames_sent, frames_done, frames_wrong, resent;
  uint64_t first_key_ms[MAX_SESSIONS];
  unsigned sessions, with_key;
} totals;

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static uint8_t keyframe[KEY_BYTES], deltas[N_DELTAS][DELTA_BYTES];
static const uint8_t *delta_ptrs[N_DELTAS];
static size_t delta_lens[N_DELTAS];

static void make_frames(void) {
  bench_make_vp8_frame(keyframe, sizeof(keyframe), true);
  for (size_t i = 0; i < N_DELTAS; i++) {
    bench_make_vp8_frame(deltas[i], DELTA_BYTES, false);
    for (size_t k = 16; k < DELTA_BYTES; k += 97) deltas[i][k] = (uint8_t)(i * 7 + k);
    delta_ptrs[i] = deltas[i];
    delta_lens[i] = DELTA_BYTES;
  }
}

static bool run_session(const brtc_certificate *cert, const condition *c, bool rtx, unsigned i,
                        uint64_t seed, unsigned seconds, totals *t) {
  const uint8_t *key_ptr = keyframe;
  size_t key_len = sizeof(keyframe);
  sim_call_config cfg = {
      .cert = cert,
      .peer = {.rtx = rtx, .resend_same_ssrc = !rtx, .no_audio = true, .mtu = MTU},
      .up = c->link,
      .down = c->link,
      .keyframe_policy = BRTC_KEYFRAME_ON_KEYFRAME_LOSS,
      .index = i,
      .keyframes = &key_ptr,
      .keyframe_lens = &key_len,
      .n_keyframes = 1,
      .deltas = delta_ptrs,
      .delta_lens = delta_lens,
      .n_deltas = N_DELTAS,
      .fps = 30,
      .keyframe_interval = KEY_INTERVAL,
      .duration_us = (uint64_t)seconds * 1000000,
      .clean_handshake = true, /* DTLS retransmission is another part of issue 5 */
  };
  cfg.up.seed = seed * 1000 + i * 2;
  cfg.down.seed = seed * 1000 + i * 2 + 1;
  char err[256];
  const uint64_t t0 = 1000000;
  sim_call *call = sim_call_new(&cfg, t0, err, sizeof(err));
  if (!call) {
    fprintf(stderr, "session %u: %s\n", i, err);
    return false;
  }
  sim_call_run_until(call, t0 + (uint64_t)(seconds + 2) * 1000000);
  const sim_call_stats *cs = sim_call_get_stats(call);
  const sim_peer_stats *ps = sim_peer_get_stats(sim_call_peer(call));
  t->lost_up += sim_call_link_stats(call, true)->lost + sim_call_link_stats(call, true)->overflow;
  t->lost_down +=
      sim_call_link_stats(call, false)->lost + sim_call_link_stats(call, false)->overflow;
  t->nack_msgs += ps->nacks_received;
  t->nack_seqs += ps->nacked_seqs_total;
  t->plis += ps->plis_received + ps->firs_received;
  t->resent += ps->rtx_sent + ps->resent;
  t->keys_sent += cs->keyframes_sent;
  t->keys_asked += cs->keyframes_asked;
  t->keys_done += cs->keyframes_received;
  t->frames_sent += cs->frames_sent;
  t->frames_done += cs->frames_received;
  t->frames_wrong += cs->frames_wrong + cs->frames_unknown;
  if (cs->first_keyframe_us)
    t->first_key_ms[t->with_key++] = (cs->first_keyframe_us - cs->media_start_us) / 1000;
  t->sessions++;
  if (getenv("BENCH_LOSS_VERBOSE")) {
    brtc_pc_stats st = {.size = sizeof(brtc_pc_stats)};
    brtc_pc_get_stats(sim_call_pc(call), &st);
    fprintf(stderr,
            "  session %u: media from %llu ms, frames %llu/%llu, keys %llu/%llu, plis %llu, "
            "srtp at %llu ms, dropped_unexpected %llu, failed %d\n",
            i, (unsigned long long)((cs->media_start_us - t0) / 1000),
            (unsigned long long)cs->frames_received, (unsigned long long)cs->frames_sent,
            (unsigned long long)cs->keyframes_received, (unsigned long long)cs->keyframes_sent,
            (unsigned long long)ps->plis_received,
            (unsigned long long)(brtc_pc_step_time(sim_call_pc(call), BRTC_STEP_SRTP_READY) / 1000),
            (unsigned long long)st.dropped_unexpected, brtc_pc_step_time(sim_call_pc(call), BRTC_STEP_FAILED) != 0);
  }
  sim_call_free(call);
  return true;
}

static void report(const condition *c, bool rtx, unsigned seconds, const totals *t) {
  double minutes = (double)seconds / 60.0 * t->sessions;
  uint64_t sorted[MAX_SESSIONS];
  memcpy(sorted, t->first_key_ms, t->with_key * sizeof(sorted[0]));
  qsort(sorted, t->with_key, sizeof(sorted[0]), cmp_u64);
  printf("%s, %s publishers (%u x %u s): %s\n", c->name, rtx ? "RTX" : "same-SSRC resend",
         t->sessions, seconds, c->what);
  printf("  datagrams lost: %llu up, %llu down\n", (unsigned long long)t->lost_up,
         (unsigned long long)t->lost_down);
  printf("  NACK: %llu seqs asked (%.2f per datagram lost up), %llu messages (%.0f per session "
         "minute); %llu packets resent\n",
         (unsigned long long)t->nack_seqs, t->lost_up ? (double)t->nack_seqs / t->lost_up : 0.0,
         (unsigned long long)t->nack_msgs, t->nack_msgs / minutes, (unsigned long long)t->resent);
  printf("  PLI/FIR: %llu (%.1f per session minute); keyframes sent %llu (%llu asked for), "
         "completed %llu (%.1f %%)\n",
         (unsigned long long)t->plis, t->plis / minutes, (unsigned long long)t->keys_sent,
         (unsigned long long)t->keys_asked, (unsigned long long)t->keys_done,
         t->keys_sent ? 100.0 * t->keys_done / t->keys_sent : 0.0);
  printf("  frames delivered %llu of %llu (%.1f %%), wrong %llu; first keyframe after %llu ms "
         "median, %llu ms worst (%u of %u sessions)\n",
         (unsigned long long)t->frames_done, (unsigned long long)t->frames_sent,
         t->frames_sent ? 100.0 * t->frames_done / t->frames_sent : 0.0,
         (unsigned long long)t->frames_wrong,
         (unsigned long long)(t->with_key ? sorted[t->with_key / 2] : 0),
         (unsigned long long)(t->with_key ? sorted[t->with_key - 1] : 0), t->with_key,
         t->sessions);
}

int main(int argc, char **argv) {
  unsigned sessions = 6, seconds = 60;
  uint64_t seed = 1;
  const char *which = "all", *publisher = "all";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--sessions")) sessions = (unsigned)atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--seconds")) seconds = (unsigned)atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--condition")) which = argv[i + 1];
    else if (!strcmp(argv[i], "--publisher")) publisher = argv[i + 1];
    else if (!strcmp(argv[i], "--seed")) seed = strtoull(argv[i + 1], NULL, 10);
    else {
      fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (sessions == 0 || sessions > MAX_SESSIONS || seconds == 0) {
    fprintf(stderr, "--sessions 1..%d, --seconds > 0\n", MAX_SESSIONS);
    return 2;
  }
  make_frames();
  brtc_certificate *cert = brtc_certificate_generate();
  if (!cert) return 1;
  int rc = 0;
  for (size_t ci = 0; ci < sizeof(conditions) / sizeof(conditions[0]); ci++) {
    if (strcmp(which, "all") && strcmp(which, conditions[ci].name)) continue;
    for (int rtx = 1; rtx >= 0; rtx--) {
      if (strcmp(publisher, "all") && strcmp(publisher, rtx ? "rtx" : "resend")) continue;
      totals t;
      memset(&t, 0, sizeof(t));
      for (unsigned i = 0; i < sessions; i++)
        if (!run_session(cert, &conditions[ci], rtx, i, seed, seconds, &t)) rc = 1;
      report(&conditions[ci], rtx, seconds, &t);
    }
  }
  brtc_certificate_free(cert);
  return rc;
}
