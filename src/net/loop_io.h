/* The loop's I/O beyond UDP: TCP listeners and connections (tcp.c), timers and fd watches
 * (loop_timers.c), on the loop's epoll set and timerfd. loop.c owns one brtc_loop_io and
 * hands it every epoll event whose tag is one of these objects, its deadlines and the start
 * and end of each pass; the UDP media path does not go through here. */
#ifndef BRTC_NET_LOOP_IO_H
#define BRTC_NET_LOOP_IO_H

#include <stdbool.h>
#include <stdint.h>

#include "boltrtc/loop.h"
#include "net/addr_map.h"
#include "net/timer_heap.h"

#define BRTC_IO_READ_CHUNK (16 * 1024)  /* one read; also the most input held per connection */
#define BRTC_IO_WRITE_CHUNK (64 * 1024) /* one pull; also the most output held per connection */

/* What an epoll tag points at: the first member of every watched object. */
typedef enum brtc_io_kind {
  BRTC_IO_LISTENER = 1,
  BRTC_IO_CONN,
  BRTC_IO_WATCH,
  BRTC_IO_TIMER,
} brtc_io_kind;

typedef struct brtc_io_source {
  brtc_io_kind kind;
} brtc_io_source;

/* A deadline in the I/O heap (heap first: the heap hands back brtc_timer *); kind and owner
 * say whose. */
typedef struct brtc_io_timer {
  brtc_timer heap;
  brtc_io_kind kind;
  void *owner;
} brtc_io_timer;

typedef struct brtc_loop_io {
  brtc_loop *loop;
  int epfd;
  brtc_timer_heap timers;
  int in_pass;
  struct brtc_tcp_listener *listeners;
  struct brtc_tcp_conn *conns;   /* every open connection (to free them with the loop) */
  struct brtc_tcp_conn *kicked;  /* to flush at the end of this pass */
  struct brtc_tcp_conn *dead_conns;
  struct brtc_loop_watch *dead_watches;
  struct brtc_loop_timer *dead_timers;
  uint8_t rbuf[BRTC_IO_READ_CHUNK];
  uint8_t wbuf[BRTC_IO_WRITE_CHUNK];
} brtc_loop_io;

/* loop.c */
brtc_loop_io *brtc_loop_io_of(brtc_loop *loop);
/* Re-arm the loop's timerfd after a deadline here moved. */
void brtc_loop_rearm(brtc_loop *loop);

/* loop_io.c: what loop.c calls. */
brtc_loop_io *brtc_loop_io_new(brtc_loop *loop, int epfd);
void brtc_loop_io_free(brtc_loop_io *io);
void brtc_loop_io_begin_pass(brtc_loop_io *io);
void brtc_loop_io_dispatch(brtc_loop_io *io, brtc_io_source *src, uint32_t events, uint64_t now);
/* Fire what is due, flush kicked connections, free what was closed during the pass. */
void brtc_loop_io_end_pass(brtc_loop_io *io, uint64_t now);
uint64_t brtc_loop_io_next_deadline(const brtc_loop_io *io);

/* tcp.c and loop_timers.c, for loop_io.c. */
void brtc_tcp_listener_ready(struct brtc_tcp_listener *l, uint64_t now);
void brtc_tcp_listener_due(struct brtc_tcp_listener *l, uint64_t now);
void brtc_tcp_conn_ready(struct brtc_tcp_conn *c, uint32_t events, uint64_t now);
void brtc_tcp_conn_due(struct brtc_tcp_conn *c, uint64_t now);
/* Take the first kicked connection off the list and flush it. */
void brtc_tcp_conn_flush_kicked(brtc_loop_io *io, uint64_t now);
/* Free the connections closed during the pass. */
void brtc_tcp_reap(brtc_loop_io *io);
void brtc_tcp_close_all(brtc_loop_io *io);
void brtc_loop_watch_ready(struct brtc_loop_watch *w, uint64_t now);
void brtc_loop_timer_due(struct brtc_loop_timer *t, uint64_t now);
/* Free every object closed during the pass. */
void brtc_loop_reap(brtc_loop_io *io);

#endif
