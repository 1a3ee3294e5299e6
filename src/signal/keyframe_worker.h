/* Saving keyframes off the loop thread. Decoding a keyframe and compressing it to JPEG
 * costs milliseconds; done on the thread that drives every session's media, hundreds of
 * sessions saving at once would stall them all. The owner (the loop thread) submits a copy
 * of the keyframe with the file number it reserved; worker threads, each with its own
 * decoder and compressor, decode, compress and write shoot<N>.jpg; results come back to the
 * owner, which is woken through a callback and then calls brtc_keyframe_worker_poll on its
 * own thread to get them.
 *
 * The number of jobs in the system (queued, being saved, or done and not yet polled) is
 * bounded: when it is reached, submit refuses at once (BRTC_ERR_LIMIT) and counts it, so the
 * owner never blocks and memory stays bounded. Every function except wake (called on a
 * worker thread) is for the owner's thread only. */
#ifndef BRTC_SIGNAL_KEYFRAME_WORKER_H
#define BRTC_SIGNAL_KEYFRAME_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "media/keyframe_jpeg.h"
#include "signal/keyframe_store.h"

#define BRTC_KEYFRAME_WORKER_DEFAULT_JOBS 32
#define BRTC_KEYFRAME_WORKER_MAX_THREADS 16

typedef struct brtc_keyframe_worker brtc_keyframe_worker;

/* One finished job, as the owner gets it back. */
typedef struct brtc_keyframe_result {
  int rc;               /* BRTC_OK: the file is written; else why not (nothing written) */
  unsigned long number; /* N of shoot<N>.jpg, as submitted */
  char session[16];     /* as submitted */
  char label[BRTC_KEYFRAME_LABEL_MAX + 1]; /* as submitted: the file is shoot<N>-<label>.jpg */
  uint64_t tag;         /* as submitted: the owner's, not looked at */
  brtc_keyframe_codec codec; /* as submitted */
  union {
    size_t frame_bytes; /* the keyframe's size as submitted */
    size_t vp8_bytes;   /* its older name, while callers move to frame_bytes */
  };
  unsigned width, height; /* when rc == BRTC_OK */
  size_t jpeg_bytes;      /* when rc == BRTC_OK */
} brtc_keyframe_result;

/* On the owner's thread, from brtc_keyframe_worker_poll. */
typedef void (*brtc_keyframe_done_fn)(const brtc_keyframe_result *r, void *user);
/* On a worker thread, after a result is ready: make the owner call poll soon (the server:
 * writing to an eventfd the loop watches). Must not call back into the worker. */
typedef void (*brtc_keyframe_wake_fn)(void *user);

typedef struct brtc_keyframe_worker_config {
  const char *dir;      /* where shoot<N>.jpg goes (copied) */
  unsigned threads;     /* 0: 1 */
  size_t max_jobs;      /* 0: BRTC_KEYFRAME_WORKER_DEFAULT_JOBS */
  int jpeg_quality;     /* 0: 90 */
  brtc_keyframe_done_fn on_done;
  brtc_keyframe_wake_fn wake; /* may be NULL: the owner polls on its own */
  void *user;
  /* A cap on the folder: JPEGs are written only while what is there (output_bytes at the
   * start, plus what this worker wrote) stays within max_output_bytes; 0: no cap. */
  uint64_t max_output_bytes;
  uint64_t output_bytes;
} brtc_keyframe_worker_config;

/* Counters, all kept on the owner's thread. */
typedef struct brtc_keyframe_worker_stats {
  uint64_t submitted;    /* accepted by submit */
  uint64_t saved;        /* delivered with rc == BRTC_OK */
  uint64_t failed;       /* delivered with an error (undecodable, write failed) */
  uint64_t dropped_busy; /* refused by submit: every job slot was in use */
  uint64_t discarded;    /* queued but never started because the worker stopped */
  uint64_t refused_full; /* not saved for the output cap: refused by submit, or delivered
                            with BRTC_ERR_TOO_BIG (the JPEG did not fit) */
  size_t pending;        /* accepted and not yet delivered */
  uint64_t output_bytes; /* in the folder: at the start plus written since */
} brtc_keyframe_worker_stats;

/* Starts the threads. NULL with a reason in err if they or their codecs cannot be made. */
brtc_keyframe_worker *brtc_keyframe_worker_new(const brtc_keyframe_worker_config *config,
                                               char *err, size_t err_cap);
/* Queue one keyframe (copied) of the given codec (a VP8 frame, or an H.264 access unit in
 * Annex-B form with its SPS and PPS) to be saved as shoot<number>.jpg. BRTC_ERR_LIMIT when
 * every job slot is in use (counted in dropped_busy), BRTC_ERR_TOO_BIG when the output folder
 * has reached its cap (counted in refused_full), BRTC_ERR_STATE once stopped. A job whose JPEG
 * would pass the cap is delivered with BRTC_ERR_TOO_BIG and nothing written. */
int brtc_keyframe_worker_submit_codec(brtc_keyframe_worker *w, brtc_keyframe_codec codec,
                                      const uint8_t *frame, size_t len, unsigned long number,
                                      const char *session, uint64_t tag);
/* The same, saved as shoot<number>-<label>.jpg (a track's, keyframe_store.h); label NULL or
 * "": shoot<number>.jpg; a bad label is BRTC_ERR_INVALID. */
int brtc_keyframe_worker_submit_labelled(brtc_keyframe_worker *w, brtc_keyframe_codec codec,
                                         const uint8_t *frame, size_t len, unsigned long number,
                                         const char *label, const char *session, uint64_t tag);
/* The same for a VP8 keyframe. */
int brtc_keyframe_worker_submit(brtc_keyframe_worker *w, const uint8_t *vp8, size_t len,
                                unsigned long number, const char *session, uint64_t tag);
/* Deliver every finished job to on_done, in the order they finished; returns how many. */
size_t brtc_keyframe_worker_poll(brtc_keyframe_worker *w);
/* Stop: jobs not yet started are discarded (their numbers stay unused), the ones being
 * saved finish, the threads are joined. Results of finished jobs stay for poll. After this
 * wake is never called again. Idempotent. */
void brtc_keyframe_worker_stop(brtc_keyframe_worker *w);
void brtc_keyframe_worker_get_stats(const brtc_keyframe_worker *w,
                                    brtc_keyframe_worker_stats *out);
/* Job slots free now: how many submits would be accepted (0 once stopped). */
size_t brtc_keyframe_worker_room(const brtc_keyframe_worker *w);
/* Stops if needed and frees everything, undelivered results included (without on_done). */
void brtc_keyframe_worker_free(brtc_keyframe_worker *w);

#endif
