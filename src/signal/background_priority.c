#include "signal/background_priority.h"

#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "boltrtc/error.h"

int brtc_thread_make_background(void) {
  /* PRIO_PROCESS with a thread id sets that thread alone on Linux (setpriority(2), BUGS). */
  id_t tid = (id_t)syscall(SYS_gettid);
  errno = 0;
  int nice = getpriority(PRIO_PROCESS, tid); /* -1 is a valid value: errno tells */
  if (nice == -1 && errno != 0) return BRTC_ERR_IO;
  nice = nice + BRTC_BACKGROUND_NICE > 19 ? 19 : nice + BRTC_BACKGROUND_NICE;
  return setpriority(PRIO_PROCESS, tid, nice) == 0 ? BRTC_OK : BRTC_ERR_IO;
}
