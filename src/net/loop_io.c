/* The hub between loop.c and the loop's TCP, timers and fd watches: epoll events to their
 * object, one heap of deadlines, the end of each pass (due deadlines, connections kicked
 * during the pass, objects closed during it freed only now, when nothing can still point at
 * them). */
#include <stdlib.h>

#include "net/loop_io.h"

brtc_loop_io *brtc_loop_io_new(brtc_loop *loop, int epfd) {
  brtc_loop_io *io = calloc(1, sizeof(*io));
  if (!io) return NULL;
  io->loop = loop;
  io->epfd = epfd;
  brtc_timer_heap_init(&io->timers);
  return io;
}

void brtc_loop_io_free(brtc_loop_io *io) {
  if (!io) return;
  io->in_pass++; /* endpoints told "closed" now must not free anything under us */
  brtc_tcp_close_all(io);
  io->in_pass--;
  brtc_loop_reap(io);
  brtc_timer_heap_free(&io->timers);
  free(io);
}

void brtc_loop_io_begin_pass(brtc_loop_io *io) { io->in_pass++; }

void brtc_loop_io_dispatch(brtc_loop_io *io, brtc_io_source *src, uint32_t events, uint64_t now) {
  (void)io;
  switch (src->kind) {
    case BRTC_IO_LISTENER:
      brtc_tcp_listener_ready((struct brtc_tcp_listener *)src, now);
      break;
    case BRTC_IO_CONN:
      brtc_tcp_conn_ready((struct brtc_tcp_conn *)src, events, now);
      break;
    case BRTC_IO_WATCH:
      brtc_loop_watch_ready((struct brtc_loop_watch *)src, now);
      break;
    default:
      break;
  }
}

#define DUE_BATCH 64
#define DUE_ROUNDS 8 /* a deadline that does not move cannot hold the pass */

static void run_due(brtc_loop_io *io, uint64_t now) {
  brtc_timer *due[DUE_BATCH];
  for (int round = 0; round < DUE_ROUNDS; round++) {
    size_t n = brtc_timer_heap_collect_due(&io->timers, now, due, DUE_BATCH);
    if (n == 0) return;
    for (size_t i = 0; i < n; i++) {
      brtc_io_timer *t = (brtc_io_timer *)due[i];
      switch (t->kind) {
        case BRTC_IO_CONN:
          brtc_tcp_conn_due(t->owner, now);
          break;
        case BRTC_IO_LISTENER:
          brtc_tcp_listener_due(t->owner, now);
          break;
        case BRTC_IO_TIMER:
          brtc_loop_timer_due(t->owner, now);
          break;
        default:
          break;
      }
    }
  }
}

void brtc_loop_io_end_pass(brtc_loop_io *io, uint64_t now) {
  run_due(io, now);
  /* Connections kicked during the pass, flushed once each. */
  while (io->kicked) brtc_tcp_conn_flush_kicked(io, now);
  io->in_pass--;
  if (!io->in_pass) brtc_loop_reap(io);
}

uint64_t brtc_loop_io_next_deadline(const brtc_loop_io *io) {
  if (io->kicked) return 0; /* flush them at once */
  return brtc_timer_heap_earliest(&io->timers);
}
