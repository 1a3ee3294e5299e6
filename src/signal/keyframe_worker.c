/* Keyframe saving threads. A fixed set of job slots: a slot is free, queued, being saved or
 * done (waiting for poll). The free list is the owner's alone; the queue, the done list and
 * the stop flag are shared under one mutex. A job's bytes are touched by one thread at a
 * time: the owner fills them before queueing, one worker saves them, the owner reads the
 * result after taking the job off the done list. */
#include "signal/keyframe_worker.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "media/keyframe_jpeg.h"
#include "signal/background_priority.h"
#include "signal/keyframe_store.h"

typedef struct keyframe_job {
  struct keyframe_job *next;
  uint8_t *frame; /* owned while queued; freed by the worker once saved */
  size_t frame_len;
  brtc_keyframe_result result; /* result.codec says how to decode frame */
} keyframe_job;

typedef struct worker_thread {
  brtc_keyframe_worker *owner;
  brtc_keyframe_jpeg *codec;
  pthread_t thread;
  bool started;
} worker_thread;

struct brtc_keyframe_worker {
  char *dir;
  brtc_keyframe_done_fn on_done;
  brtc_keyframe_wake_fn wake;
  void *user;

  keyframe_job *jobs; /* max_jobs slots */
  size_t max_jobs;
  worker_thread threads[BRTC_KEYFRAME_WORKER_MAX_THREADS];
  unsigned n_threads;

  /* The owner's only. */
  keyframe_job *free_list;
  size_t n_free; /* on free_list */
  bool stopped;
  brtc_keyframe_worker_stats stats;

  /* Shared, under mu. */
  pthread_mutex_t mu;
  pthread_cond_t work;
  keyframe_job *queue_head, *queue_tail;
  keyframe_job *done_head, *done_tail;
  bool stopping;

  /* Bytes in the output folder, taken by a worker before it writes (so two workers cannot
   * both pass the cap) and given back if the write fails. */
  uint64_t max_output_bytes; /* 0: no cap */
  atomic_uint_least64_t output_bytes;
};

/* Take room for len bytes under the cap; false if they do not fit. */
static bool take_room(brtc_keyframe_worker *w, size_t len) {
  uint64_t before = atomic_fetch_add(&w->output_bytes, len);
  if (!w->max_output_bytes || before + len <= w->max_output_bytes) return true;
  atomic_fetch_sub(&w->output_bytes, len);
  return false;
}

static void append(keyframe_job **head, keyframe_job **tail, keyframe_job *j) {
  j->next = NULL;
  if (*tail)
    (*tail)->next = j;
  else
    *head = j;
  *tail = j;
}

static keyframe_job *pop(keyframe_job **head, keyframe_job **tail) {
  keyframe_job *j = *head;
  if (j) {
    *head = j->next;
    if (!*head) *tail = NULL;
    j->next = NULL;
  }
  return j;
}

static void save_job(worker_thread *t, keyframe_job *j) {
  brtc_keyframe_result *r = &j->result;
  const uint8_t *jpeg;
  size_t jpeg_len;
  unsigned width, height;
  r->rc = brtc_keyframe_jpeg_encode_codec(t->codec, r->codec, j->frame, j->frame_len, &jpeg,
                                          &jpeg_len, &width, &height);
  if (r->rc == BRTC_OK && !take_room(t->owner, jpeg_len)) r->rc = BRTC_ERR_TOO_BIG;
  else if (r->rc == BRTC_OK) {
    r->rc = brtc_keyframe_file_write_labelled(t->owner->dir, r->number, r->label, jpeg, jpeg_len);
    if (r->rc != BRTC_OK) atomic_fetch_sub(&t->owner->output_bytes, jpeg_len);
  }
  if (r->rc == BRTC_OK) {
    r->width = width;
    r->height = height;
    r->jpeg_bytes = jpeg_len;
  }
  free(j->frame);
  j->frame = NULL;
}

static void *run_thread(void *arg) {
  worker_thread *t = arg;
  brtc_keyframe_worker *w = t->owner;
  (void)brtc_thread_make_background(); /* never before the loop's media (background_priority.h) */
  pthread_mutex_lock(&w->mu);
  for (;;) {
    while (!w->stopping && !w->queue_head) pthread_cond_wait(&w->work, &w->mu);
    if (w->stopping) break; /* what is still queued is discarded by the owner */
    keyframe_job *j = pop(&w->queue_head, &w->queue_tail);
    pthread_mutex_unlock(&w->mu);
    save_job(t, j);
    pthread_mutex_lock(&w->mu);
    append(&w->done_head, &w->done_tail, j);
    pthread_mutex_unlock(&w->mu);
    if (w->wake) w->wake(w->user);
    pthread_mutex_lock(&w->mu);
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

brtc_keyframe_worker *brtc_keyframe_worker_new(const brtc_keyframe_worker_config *config,
                                               char *err, size_t err_cap) {
  if (!config || !config->dir || !config->on_done) {
    snprintf(err, err_cap, "keyframe worker: missing folder or completion callback");
    return NULL;
  }
  unsigned n_threads = config->threads ? config->threads : 1;
  if (n_threads > BRTC_KEYFRAME_WORKER_MAX_THREADS) {
    snprintf(err, err_cap, "keyframe worker: at most %d threads",
             BRTC_KEYFRAME_WORKER_MAX_THREADS);
    return NULL;
  }
  brtc_keyframe_worker *w = calloc(1, sizeof(*w));
  if (!w) {
    snprintf(err, err_cap, "out of memory");
    return NULL;
  }
  w->on_done = config->on_done;
  w->wake = config->wake;
  w->user = config->user;
  w->max_jobs = config->max_jobs ? config->max_jobs : BRTC_KEYFRAME_WORKER_DEFAULT_JOBS;
  w->dir = strdup(config->dir);
  w->jobs = calloc(w->max_jobs, sizeof(*w->jobs));
  w->max_output_bytes = config->max_output_bytes;
  atomic_init(&w->output_bytes, config->output_bytes);
  pthread_mutex_init(&w->mu, NULL);
  pthread_cond_init(&w->work, NULL);
  w->stopped = true; /* until the threads run: free then joins only what started */
  if (!w->dir || !w->jobs) {
    snprintf(err, err_cap, "out of memory");
    goto fail;
  }
  for (size_t i = w->max_jobs; i-- > 0;) {
    w->jobs[i].next = w->free_list;
    w->free_list = &w->jobs[i];
  }
  w->n_free = w->max_jobs;
  int quality = config->jpeg_quality ? config->jpeg_quality : 90;
  for (unsigned i = 0; i < n_threads; i++) {
    w->threads[i].owner = w;
    w->threads[i].codec = brtc_keyframe_jpeg_new(quality);
    if (!w->threads[i].codec) {
      snprintf(err, err_cap, "cannot set up the keyframe decoder and JPEG encoder");
      goto fail;
    }
  }
  w->n_threads = n_threads;
  w->stopped = false;
  /* The threads block every signal: the process takes its signals through a signalfd, and
   * an unblocked thread would get the default action instead. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  for (unsigned i = 0; i < n_threads; i++) {
    int e = pthread_create(&w->threads[i].thread, NULL, run_thread, &w->threads[i]);
    if (e != 0) {
      pthread_sigmask(SIG_SETMASK, &old, NULL);
      snprintf(err, err_cap, "cannot start a keyframe thread: %s", strerror(e));
      goto fail;
    }
    w->threads[i].started = true;
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return w;
fail:
  brtc_keyframe_worker_free(w);
  return NULL;
}

int brtc_keyframe_worker_submit_codec(brtc_keyframe_worker *w, brtc_keyframe_codec codec,
                                      const uint8_t *frame, size_t len, unsigned long number,
                                      const char *session, uint64_t tag) {
  return brtc_keyframe_worker_submit_labelled(w, codec, frame, len, number, NULL, session, tag);
}

int brtc_keyframe_worker_submit_labelled(brtc_keyframe_worker *w, brtc_keyframe_codec codec,
                                         const uint8_t *frame, size_t len, unsigned long number,
                                         const char *label, const char *session, uint64_t tag) {
  if (w->stopped) return BRTC_ERR_STATE;
  if (!frame || len == 0 || (codec != BRTC_KEYFRAME_VP8 && codec != BRTC_KEYFRAME_H264))
    return BRTC_ERR_INVALID;
  if (label && strlen(label) > BRTC_KEYFRAME_LABEL_MAX) return BRTC_ERR_INVALID;
  if (w->max_output_bytes && atomic_load(&w->output_bytes) >= w->max_output_bytes) {
    w->stats.refused_full++;
    return BRTC_ERR_TOO_BIG;
  }
  if (!w->free_list) {
    w->stats.dropped_busy++;
    return BRTC_ERR_LIMIT;
  }
  uint8_t *copy = malloc(len);
  if (!copy) return BRTC_ERR_NOMEM;
  memcpy(copy, frame, len);
  keyframe_job *j = w->free_list;
  w->free_list = j->next;
  w->n_free--;
  j->frame = copy;
  j->frame_len = len;
  memset(&j->result, 0, sizeof(j->result));
  j->result.number = number;
  snprintf(j->result.session, sizeof(j->result.session), "%s", session ? session : "");
  snprintf(j->result.label, sizeof(j->result.label), "%s", label ? label : "");
  j->result.tag = tag;
  j->result.codec = codec;
  j->result.frame_bytes = len;
  w->stats.submitted++;
  w->stats.pending++;
  pthread_mutex_lock(&w->mu);
  append(&w->queue_head, &w->queue_tail, j);
  pthread_cond_signal(&w->work);
  pthread_mutex_unlock(&w->mu);
  return BRTC_OK;
}

int brtc_keyframe_worker_submit(brtc_keyframe_worker *w, const uint8_t *vp8, size_t len,
                                unsigned long number, const char *session, uint64_t tag) {
  return brtc_keyframe_worker_submit_codec(w, BRTC_KEYFRAME_VP8, vp8, len, number, session, tag);
}

size_t brtc_keyframe_worker_poll(brtc_keyframe_worker *w) {
  pthread_mutex_lock(&w->mu);
  keyframe_job *list = w->done_head;
  w->done_head = w->done_tail = NULL;
  pthread_mutex_unlock(&w->mu);
  size_t n = 0;
  while (list) {
    keyframe_job *j = list;
    list = j->next;
    if (j->result.rc == BRTC_OK)
      w->stats.saved++;
    else if (j->result.rc == BRTC_ERR_TOO_BIG)
      w->stats.refused_full++;
    else
      w->stats.failed++;
    w->stats.pending--;
    n++;
    w->on_done(&j->result, w->user);
    /* Back to the free list only now: on_done may submit, and must not get this slot while
     * its result is still being read. */
    j->next = w->free_list;
    w->free_list = j;
    w->n_free++;
  }
  return n;
}

void brtc_keyframe_worker_stop(brtc_keyframe_worker *w) {
  if (w->stopped && !w->n_threads) return;
  w->stopped = true;
  pthread_mutex_lock(&w->mu);
  w->stopping = true;
  pthread_cond_broadcast(&w->work);
  pthread_mutex_unlock(&w->mu);
  for (unsigned i = 0; i < w->n_threads; i++)
    if (w->threads[i].started) pthread_join(w->threads[i].thread, NULL);
  for (unsigned i = 0; i < w->n_threads; i++) {
    brtc_keyframe_jpeg_free(w->threads[i].codec);
    w->threads[i].codec = NULL;
    w->threads[i].started = false;
  }
  w->n_threads = 0;
  /* Every thread is gone: no lock needed to discard what never started. */
  keyframe_job *j;
  while ((j = pop(&w->queue_head, &w->queue_tail)) != NULL) {
    free(j->frame);
    j->frame = NULL;
    w->stats.discarded++;
    w->stats.pending--;
    j->next = w->free_list;
    w->free_list = j;
    w->n_free++;
  }
}

void brtc_keyframe_worker_get_stats(const brtc_keyframe_worker *w,
                                    brtc_keyframe_worker_stats *out) {
  *out = w->stats;
  out->output_bytes = atomic_load(&w->output_bytes);
}

size_t brtc_keyframe_worker_room(const brtc_keyframe_worker *w) {
  return w->stopped ? 0 : w->n_free;
}

void brtc_keyframe_worker_free(brtc_keyframe_worker *w) {
  if (!w) return;
  brtc_keyframe_worker_stop(w);
  /* Results never polled: their bytes are already freed by the worker. */
  for (unsigned i = 0; i < BRTC_KEYFRAME_WORKER_MAX_THREADS; i++)
    brtc_keyframe_jpeg_free(w->threads[i].codec);
  pthread_cond_destroy(&w->work);
  pthread_mutex_destroy(&w->mu);
  free(w->jobs);
  free(w->dir);
  free(w);
}
