/* Timers and fd watches on the loop, for what a server runs beside its connections: a
 * periodic check, the keyframe saver's wake-up eventfd, the signalfd that stops it. Freed
 * during a pass, they are only unhooked, and their memory goes at the end of the pass. */
#include <stdlib.h>
#include <sys/epoll.h>

#include "net/loop_io.h"

struct brtc_loop_timer {
  brtc_io_timer timer;
  brtc_loop_io *io;
  brtc_loop_timer_fn fn;
  void *user;
  bool dead;
  struct brtc_loop_timer *next_dead;
};

struct brtc_loop_watch {
  brtc_io_source src; /* first: the epoll tag */
  brtc_loop_io *io;
  int fd;
  brtc_loop_fd_fn fn;
  void *user;
  bool dead;
  struct brtc_loop_watch *next_dead;
};

brtc_loop_timer *brtc_loop_timer_new(brtc_loop *loop, brtc_loop_timer_fn fn, void *user) {
  if (!loop || !fn) return NULL;
  brtc_loop_timer *t = calloc(1, sizeof(*t));
  if (!t) return NULL;
  t->io = brtc_loop_io_of(loop);
  t->timer.kind = BRTC_IO_TIMER;
  t->timer.owner = t;
  t->timer.heap.deadline = UINT64_MAX;
  t->fn = fn;
  t->user = user;
  if (brtc_timer_heap_push(&t->io->timers, &t->timer.heap) != BRTC_OK) {
    free(t);
    return NULL;
  }
  return t;
}

void brtc_loop_timer_set(brtc_loop_timer *t, uint64_t deadline_us) {
  if (!t || t->dead) return;
  brtc_timer_heap_update(&t->io->timers, &t->timer.heap, deadline_us);
  if (!t->io->in_pass) brtc_loop_rearm(t->io->loop);
}

void brtc_loop_timer_free(brtc_loop_timer *t) {
  if (!t || t->dead) return;
  brtc_timer_heap_remove(&t->io->timers, &t->timer.heap);
  t->dead = true;
  if (!t->io->in_pass) {
    free(t);
    return;
  }
  t->next_dead = t->io->dead_timers;
  t->io->dead_timers = t;
}

void brtc_loop_timer_due(brtc_loop_timer *t, uint64_t now) {
  if (t->dead) return;
  brtc_timer_heap_update(&t->io->timers, &t->timer.heap, UINT64_MAX); /* one shot */
  t->fn(t->user, now);
}

brtc_loop_watch *brtc_loop_watch_fd(brtc_loop *loop, int fd, brtc_loop_fd_fn fn, void *user) {
  if (!loop || fd < 0 || !fn) return NULL;
  brtc_loop_watch *w = calloc(1, sizeof(*w));
  if (!w) return NULL;
  w->src.kind = BRTC_IO_WATCH;
  w->io = brtc_loop_io_of(loop);
  w->fd = fd;
  w->fn = fn;
  w->user = user;
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = w};
  if (epoll_ctl(w->io->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    free(w);
    return NULL;
  }
  return w;
}

void brtc_loop_unwatch(brtc_loop_watch *w) {
  if (!w || w->dead) return;
  epoll_ctl(w->io->epfd, EPOLL_CTL_DEL, w->fd, NULL);
  w->dead = true;
  if (!w->io->in_pass) {
    free(w);
    return;
  }
  w->next_dead = w->io->dead_watches;
  w->io->dead_watches = w;
}

void brtc_loop_watch_ready(brtc_loop_watch *w, uint64_t now) {
  if (!w->dead) w->fn(w->user, w->fd, now);
}

void brtc_loop_reap(brtc_loop_io *io) {
  brtc_tcp_reap(io);
  while (io->dead_watches) {
    brtc_loop_watch *w = io->dead_watches;
    io->dead_watches = w->next_dead;
    free(w);
  }
  while (io->dead_timers) {
    brtc_loop_timer *t = io->dead_timers;
    io->dead_timers = t->next_dead;
    free(t);
  }
}
