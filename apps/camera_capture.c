/* The camera's source thread (camera_capture.h says why). The source is the thread's alone
 * after start: the loop thread only reads the queue (under the mutex, swapping buffers so
 * that no frame is copied) and sets the keyframe flag. */
#include "camera_capture.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "boltrtc/boltrtc.h"

#define QUEUE 4 /* frames waiting at most: ~130 ms at 30 fps, more is latency, not help */

typedef struct slot {
  uint8_t *buf;
  size_t cap, len;
  bool keyframe;
  int64_t capture_us;
} slot;

struct camera_capture {
  brtc_source *src;
  pthread_t thread;
  bool started;
  int ready_fd; /* eventfd: frames wait (to the loop) */
  int wake_fd;  /* eventfd: stop (to the thread) */
  atomic_bool stop, keyframe;
  atomic_uint_fast32_t bitrate; /* 0, or the encoder's next bitrate (to the thread) */
  atomic_uint_fast64_t dropped;
  pthread_mutex_t lock;
  slot q[QUEUE];
  size_t head, count;
  bool awaiting_keyframe; /* frames were dropped: none is queued until a keyframe */
  slot out; /* the frame the loop holds now */
};

static void signal_fd(int fd) {
  uint64_t one = 1;
  if (write(fd, &one, sizeof(one)) < 0) { /* counter full: already readable */
  }
}

/* The oldest waiting frame goes. */
static void drop_oldest(camera_capture *c) {
  c->head = (c->head + 1) % QUEUE;
  c->count--;
  atomic_fetch_add(&c->dropped, 1);
}

/* One frame into the queue, copied once into its slot. A full queue loses its oldest, and
 * with it every frame up to the next keyframe: a delta frame is predicted from the ones before
 * it (RFC 6386 2, H.264 likewise), so after a gap it would only show a broken picture. Those
 * waiting go now, those the source still makes until a keyframe are not queued. */
static void push(camera_capture *c, const brtc_source_frame *f) {
  pthread_mutex_lock(&c->lock);
  if (c->count == QUEUE) {
    drop_oldest(c);
    while (c->count && !c->q[c->head].keyframe) drop_oldest(c);
    c->awaiting_keyframe = !c->count;
    if (c->awaiting_keyframe) atomic_store(&c->keyframe, true); /* a fresh start, soon */
  }
  if (c->awaiting_keyframe && !f->keyframe) {
    pthread_mutex_unlock(&c->lock);
    atomic_fetch_add(&c->dropped, 1);
    return;
  }
  c->awaiting_keyframe = false;
  slot *s = &c->q[(c->head + c->count) % QUEUE];
  if (s->cap < f->len) {
    uint8_t *b = realloc(s->buf, f->len);
    if (!b) { /* a gap as well */
      c->awaiting_keyframe = true;
      pthread_mutex_unlock(&c->lock);
      atomic_fetch_add(&c->dropped, 1);
      atomic_store(&c->keyframe, true);
      return;
    }
    s->buf = b, s->cap = f->len;
  }
  memcpy(s->buf, f->data, f->len);
  s->len = f->len;
  s->keyframe = f->keyframe;
  s->capture_us = f->capture_us;
  c->count++;
  pthread_mutex_unlock(&c->lock);
  signal_fd(c->ready_fd);
}

static void *run(void *arg) {
  camera_capture *c = arg;
  while (!atomic_load(&c->stop)) {
    if (atomic_exchange(&c->keyframe, false)) brtc_source_request_keyframe(c->src);
    uint32_t bps = (uint32_t)atomic_exchange(&c->bitrate, 0);
    if (bps) (void)brtc_source_set_bitrate(c->src, bps); /* a file's frames are as they are */
    int64_t now = (int64_t)brtc_now_us();
    brtc_source_frame f;
    int rc;
    while ((rc = brtc_source_take(c->src, now, &f)) == 0) push(c, &f);
    if (rc != BRTC_ERR_AGAIN) {
      brtc_log(BRTC_LOG_WARN, NULL, "camera: the source ended (%s)", brtc_strerror(rc));
      break;
    }
    /* Sleep until the next frame is due, the camera has one, or we are stopped. */
    int64_t due = brtc_source_next_due(c->src, now);
    struct pollfd p[2] = {{.fd = c->wake_fd, .events = POLLIN},
                          {.fd = brtc_source_fd(c->src), .events = POLLIN}};
    struct timespec ts, *timeout = NULL;
    if (due != BRTC_SOURCE_NEVER) {
      int64_t wait = due > now ? due - now : 0;
      ts = (struct timespec){.tv_sec = wait / 1000000, .tv_nsec = (wait % 1000000) * 1000};
      timeout = &ts;
    }
    if (ppoll(p, p[1].fd >= 0 ? 2 : 1, timeout, NULL) < 0 && errno != EINTR) break;
  }
  return NULL;
}

int camera_capture_start(const char *spec, const brtc_source_options *o, camera_capture **out,
                         char *err, size_t err_cap) {
  camera_capture *c = calloc(1, sizeof(*c));
  if (!c) {
    snprintf(err, err_cap, "out of memory");
    return BRTC_ERR_NOMEM;
  }
  c->ready_fd = c->wake_fd = -1;
  pthread_mutex_init(&c->lock, NULL);
  int rc = brtc_source_open(spec, o, &c->src, err, err_cap);
  if (rc < 0) {
    camera_capture_stop(c);
    return rc;
  }
  c->ready_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  c->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (c->ready_fd < 0 || c->wake_fd < 0 || pthread_create(&c->thread, NULL, run, c) != 0) {
    snprintf(err, err_cap, "cannot start the capture thread: %s", strerror(errno));
    camera_capture_stop(c);
    return BRTC_ERR_IO;
  }
  c->started = true;
  *out = c;
  return 0;
}

const brtc_source *camera_capture_source(const camera_capture *c) { return c->src; }
int camera_capture_fd(const camera_capture *c) { return c->ready_fd; }
uint64_t camera_capture_dropped(const camera_capture *c) { return atomic_load(&c->dropped); }

bool camera_capture_next(camera_capture *c, camera_frame *out) {
  pthread_mutex_lock(&c->lock);
  bool any = c->count > 0;
  if (any) { /* swap: the slot gets our old buffer to fill next */
    slot taken = c->q[c->head];
    c->q[c->head] = (slot){.buf = c->out.buf, .cap = c->out.cap};
    c->out = taken;
    c->head = (c->head + 1) % QUEUE;
    c->count--;
  }
  pthread_mutex_unlock(&c->lock);
  if (any)
    *out = (camera_frame){.data = c->out.buf, .len = c->out.len, .keyframe = c->out.keyframe,
                          .capture_us = c->out.capture_us};
  return any;
}

void camera_capture_request_keyframe(camera_capture *c) { atomic_store(&c->keyframe, true); }

void camera_capture_set_bitrate(camera_capture *c, uint32_t bps) {
  if (bps) atomic_store(&c->bitrate, bps);
}

void camera_capture_stop(camera_capture *c) {
  if (!c) return;
  if (c->started) {
    atomic_store(&c->stop, true);
    signal_fd(c->wake_fd);
    pthread_join(c->thread, NULL);
  }
  brtc_source_free(c->src);
  for (size_t i = 0; i < QUEUE; i++) free(c->q[i].buf);
  free(c->out.buf);
  if (c->ready_fd >= 0) close(c->ready_fd);
  if (c->wake_fd >= 0) close(c->wake_fd);
  pthread_mutex_destroy(&c->lock);
  free(c);
}
