/* What answering one offer asks of malloc: brtc_pc_set_remote_description(offer) and
 * brtc_pc_create_answer on a fresh pc, repeated; the bytes and calls libboltrtc's own code
 * asks for in them (malloc, calloc and realloc are wrapped at link time; libc's and
 * OpenSSL's own allocations are not seen), and the CPU time of the two calls. The parsed
 * offer is the biggest of those allocations; it is freed before the call returns, so it is
 * what a flood of offers costs, not what a session keeps (bench_session measures that).
 * Public API only: the same source links against an older libboltrtc.a for a before.
 *   bench_sdp_alloc OFFER.sdp [ROUNDS]      (tests/sdp/fixtures/chrome_offer_av_data.sdp) */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "boltrtc/boltrtc.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t count, size_t n);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);

/* The counters the wrappers add to while `counting` (one thread). */
static struct {
  int counting;
  size_t bytes, calls;
} tally;

void *__wrap_malloc(size_t n) {
  if (tally.counting) tally.bytes += n, tally.calls++;
  return __real_malloc(n);
}
void *__wrap_calloc(size_t count, size_t n) {
  if (tally.counting) tally.bytes += count * n, tally.calls++;
  return __real_calloc(count, n);
}
void *__wrap_realloc(void *p, size_t n) {
  if (tally.counting) tally.bytes += n, tally.calls++;
  return __real_realloc(p, n);
}
void __wrap_free(void *p) { __real_free(p); }

static double cpu_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *text = calloc(1, 65537);
  size_t n = text ? fread(text, 1, 65536, f) : 0;
  fclose(f);
  if (text) text[n] = '\0';
  return text;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s OFFER.sdp [ROUNDS]\n", argv[0]);
    return 2;
  }
  int rounds = argc > 2 ? atoi(argv[2]) : 500;
  if (rounds < 1 || rounds > 100000) rounds = 500;
  char *offer = read_file(argv[1]);
  char err[256] = "";
  brtc_certificate *cert = NULL;
  double *times = calloc((size_t)rounds, sizeof *times);
  if (!offer || !times || brtc_certificate_new(&cert, err, sizeof err) != BRTC_OK) {
    fprintf(stderr, "setup: %s\n", offer ? err : "cannot read the offer");
    return 1;
  }
  struct sockaddr_in host = {.sin_family = AF_INET, .sin_port = htons(5000),
                             .sin_addr.s_addr = htonl(0x7f000001)};
  brtc_pc_config *cfg = brtc_pc_config_new();
  brtc_pc_config_set_certificate(cfg, cert);
  brtc_pc_config_add_host_address(cfg, (const struct sockaddr *)&host);
  size_t bytes = 0, calls = 0;
  for (int i = 0; i < rounds; i++) {
    brtc_pc *pc = NULL;
    if (brtc_pc_new(cfg, &pc, err, sizeof err) != BRTC_OK) {
      fprintf(stderr, "brtc_pc_new: %s\n", err);
      return 1;
    }
    const char *answer = NULL;
    tally.bytes = tally.calls = 0;
    tally.counting = 1;
    double t0 = cpu_us();
    int rc = brtc_pc_set_remote_description(pc, "offer", offer, 0, err, sizeof err);
    if (rc == BRTC_OK) rc = brtc_pc_create_answer(pc, &answer, err, sizeof err);
    times[i] = cpu_us() - t0;
    tally.counting = 0;
    if (rc != BRTC_OK) {
      fprintf(stderr, "answering: %s\n", err);
      return 1;
    }
    bytes = tally.bytes, calls = tally.calls; /* the same every round */
    brtc_pc_free(pc);
  }
  qsort(times, (size_t)rounds, sizeof *times, by_value);
  printf("offer %s: %zu bytes asked of malloc in %zu calls per answered offer; "
         "CPU median %.1f us, p90 %.1f us (%d rounds)\n",
         argv[1], bytes, calls, times[rounds / 2], times[rounds * 9 / 10], rounds);
  brtc_pc_config_free(cfg);
  brtc_certificate_free(cert);
  free(times);
  free(offer);
  return 0;
}
