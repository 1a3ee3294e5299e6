#include "signal/heap_trim.h"

#include <malloc.h>
#include <stdio.h>
#include <unistd.h>

#include "common/log.h"

void brtc_heap_trim_started(brtc_heap_trim *t, size_t live) {
  if (live > t->peak) t->peak = live;
}

bool brtc_heap_trim_due(const brtc_heap_trim *t, size_t live) {
  return t->peak > 0 && live <= t->peak / 2;
}

/* Resident bytes of this process (/proc/self/statm), 0 if unknown. */
static uint64_t resident_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  unsigned long size = 0, resident = 0;
  if (!f) return 0;
  if (fscanf(f, "%lu %lu", &size, &resident) != 2) resident = 0;
  fclose(f);
  return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

uint64_t brtc_heap_trim_after_end(brtc_heap_trim *t, size_t live) {
  if (!brtc_heap_trim_due(t, live)) return 0;
  size_t peak = t->peak;
  t->peak = live; /* the next trim waits for the next halving */
  struct mallinfo2 mi = mallinfo2(); /* the main arena, where sessions live */
  if (mi.fordblks < BRTC_HEAP_TRIM_MIN_FREE) return 0;
  uint64_t before = resident_bytes();
  malloc_trim(0);
  uint64_t after = resident_bytes();
  uint64_t released = before > after ? before - after : 0;
  t->trims++;
  t->released += released;
  brtc_log(BRTC_LOG_INFO, NULL,
           "memory: live sessions down from %zu to %zu; %.1f MiB of free heap given back to the "
           "system (resident now %.1f MiB)",
           peak, live, (double)released / (1024.0 * 1024.0), (double)after / (1024.0 * 1024.0));
  return released;
}
