/* The simulated clock for usrsctp. libusrsctp reads time only through gettimeofday (its RTT
 * samples, the T3-rtx check of which chunks are old enough to resend, PR-SCTP lifetimes), so
 * this executable defines gettimeofday and the dynamic linker binds usrsctp's calls to it.
 * Once usrsctp_clock_set has been called it returns the simulated time; before, the real one.
 * Linked into the oracle tests only: the benchmark keeps the real clock. */
#include <stdint.h>
#include <sys/time.h>
#include <time.h>

#define EPOCH_US 1700000000000000ull /* any plausible wall-clock start */

static uint64_t g_now_us;
static int g_on;

void usrsctp_clock_set(uint64_t now_us);
void usrsctp_clock_set(uint64_t now_us) {
  g_on = 1;
  g_now_us = now_us;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
  (void)tz;
  if (!g_on) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / 1000;
    return 0;
  }
  uint64_t t = EPOCH_US + g_now_us;
  tv->tv_sec = (time_t)(t / 1000000u);
  tv->tv_usec = (suseconds_t)(t % 1000000u);
  return 0;
}
