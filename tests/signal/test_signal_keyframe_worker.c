/* The keyframe saver alone: real VP8 keyframes (libvpx) and H.264 ones (openh264) go in,
 * shoot<N>.jpg files come out
 * with the submitted numbers, results come back on the thread that polls, a full saver
 * refuses at once and counts, stopping discards what never started, and nothing leaks. The
 * saver wakes the test through a pipe, as it wakes the loop in the server; every wait on it is
 * bounded so a broken saver fails the test instead of hanging it. */
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "boltrtc/error.h"
#include "codec/vpx_encode.h"
#include "media/h264_encode.h"
#include "signal/keyframe_store.h"
#include "signal/keyframe_worker.h"
#include "testing.h"

#define MAX_RESULTS 64

static char tmp_root[64];
static pthread_t main_thread;

/* What the callbacks saw. on_done runs on the polling thread; wake on a saver thread. */
typedef struct observer {
  int wake_pipe[2];
  atomic_int wakes;
  atomic_int wakes_on_main; /* must stay 0: wake comes from a saver thread */
  atomic_int saver_nice;    /* the nice value of the saver thread that woke us last */
  brtc_keyframe_result results[MAX_RESULTS];
  size_t n_results;
  int done_off_main; /* must stay 0: on_done runs where poll is called */
} observer;

static void on_wake(void *user) {
  observer *o = user;
  atomic_fetch_add(&o->wakes, 1);
  if (pthread_equal(pthread_self(), main_thread)) atomic_fetch_add(&o->wakes_on_main, 1);
  atomic_store(&o->saver_nice, getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid)));
  if (write(o->wake_pipe[1], "w", 1) != 1) { /* the pipe is non-full: a test bug otherwise */
  }
}

static void on_done(const brtc_keyframe_result *r, void *user) {
  observer *o = user;
  if (!pthread_equal(pthread_self(), main_thread)) o->done_off_main++;
  if (o->n_results < MAX_RESULTS) o->results[o->n_results++] = *r;
}

static void observer_init(observer *o) {
  memset(o, 0, sizeof(*o));
  if (pipe(o->wake_pipe) != 0) o->wake_pipe[0] = o->wake_pipe[1] = -1;
}

static void observer_close(observer *o) {
  close(o->wake_pipe[0]);
  close(o->wake_pipe[1]);
}

/* Poll until `want` results arrived, waiting on the wake pipe (10 s at most in all). */
static void collect(brtc_keyframe_worker *w, observer *o, size_t want) {
  for (int rounds = 0; o->n_results < want && rounds < 1000; rounds++) {
    struct pollfd p = {.fd = o->wake_pipe[0], .events = POLLIN};
    if (poll(&p, 1, 10) == 1) {
      char buf[64];
      if (read(o->wake_pipe[0], buf, sizeof(buf)) < 0) break;
    }
    brtc_keyframe_worker_poll(w);
  }
}

static brtc_keyframe_worker *make_worker(const char *dir, observer *o, unsigned threads,
                                         size_t max_jobs) {
  char err[256] = "";
  brtc_keyframe_worker_config c = {.dir = dir, .threads = threads, .max_jobs = max_jobs,
                                   .on_done = on_done, .wake = on_wake, .user = o};
  brtc_keyframe_worker *w = brtc_keyframe_worker_new(&c, err, sizeof(err));
  if (!w) fprintf(stderr, "worker: %s\n", err);
  return w;
}

typedef struct keyframe {
  uint8_t *data;
  size_t len;
  unsigned w, h;
} keyframe;

/* One real VP8 keyframe of the test picture at w x h. */
static keyframe encode_keyframe(unsigned w, unsigned h, unsigned square) {
  keyframe k = {.w = w, .h = h};
  test_vp8_encoder e;
  if (test_vp8_encoder_init(&e, w, h) != 0) return k;
  test_draw_picture(&e.img, w, h, square, square);
  size_t cap = (size_t)w * h * 2;
  k.data = malloc(cap);
  if (k.data) k.len = test_vp8_encode(&e, true, k.data, cap);
  test_vp8_encoder_free(&e);
  return k;
}

static void make_dir(const char *name, char *out, size_t cap) {
  snprintf(out, cap, "%s/%s", tmp_root, name);
  mkdir(out, 0755);
}

static long file_size(const char *dir, unsigned long n) {
  char path[PATH_MAX + 32];
  snprintf(path, sizeof(path), "%s/shoot%lu.jpg", dir, n);
  struct stat st;
  return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* The file is a whole JPEG: SOI at the start, EOI at the end. */
static bool is_whole_jpeg(const char *dir, unsigned long n) {
  char path[PATH_MAX + 32];
  snprintf(path, sizeof(path), "%s/shoot%lu.jpg", dir, n);
  FILE *f = fopen(path, "rb");
  if (!f) return false;
  uint8_t head[2] = {0}, tail[2] = {0};
  bool ok = fread(head, 1, 2, f) == 2 && fseek(f, -2, SEEK_END) == 0 && fread(tail, 1, 2, f) == 2;
  fclose(f);
  return ok && head[0] == 0xff && head[1] == 0xd8 && tail[0] == 0xff && tail[1] == 0xd9;
}

static size_t count_entries(const char *dir) {
  char cmd[PATH_MAX + 32];
  snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
  FILE *p = popen(cmd, "r");
  unsigned long n = 0;
  if (p) {
    if (fscanf(p, "%lu", &n) != 1) n = 0;
    pclose(p);
  }
  return n;
}

static keyframe small_kf, large_kf;

static void test_saves_files(void) {
  char dir[PATH_MAX];
  make_dir("saves", dir, sizeof(dir));
  observer o;
  observer_init(&o);
  brtc_keyframe_worker *w = make_worker(dir, &o, 1, 0);
  CHECK(w != NULL);
  if (!w) return;
  /* Numbers as the server reserves them: increasing, not necessarily from 1. */
  const keyframe *kfs[5] = {&large_kf, &small_kf, &large_kf, &small_kf, &large_kf};
  for (unsigned i = 0; i < 5; i++) {
    char session[16];
    snprintf(session, sizeof(session), "s%u", 10 + i);
    CHECK_EQ_INT(brtc_keyframe_worker_submit(w, kfs[i]->data, kfs[i]->len, 7 + i, session,
                                             1000 + i),
                 BRTC_OK);
  }
  brtc_keyframe_worker_stats st;
  brtc_keyframe_worker_get_stats(w, &st);
  CHECK_EQ_INT(st.submitted, 5);
  collect(w, &o, 5);
  CHECK_EQ_INT(o.n_results, 5);
  CHECK_EQ_INT(o.done_off_main, 0);
  CHECK(atomic_load(&o.wakes) >= 1);
  CHECK_EQ_INT(atomic_load(&o.wakes_on_main), 0);
  /* The saver runs nicer than the thread that owns it (the server's loop), so that saving
   * JPEGs never keeps the loop from its socket (background_priority.h). */
  int main_nice = getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid));
  CHECK_EQ_INT(atomic_load(&o.saver_nice), main_nice + 10 > 19 ? 19 : main_nice + 10);
  /* One thread: they finish in the order given. */
  for (unsigned i = 0; i < o.n_results; i++) {
    const brtc_keyframe_result *r = &o.results[i];
    char session[16];
    snprintf(session, sizeof(session), "s%u", 10 + i);
    CHECK_EQ_INT(r->rc, BRTC_OK);
    CHECK_EQ_INT(r->number, 7 + i);
    CHECK_STR(r->session, session);
    CHECK_EQ_INT(r->tag, 1000 + i);
    CHECK_EQ_INT(r->vp8_bytes, kfs[i]->len);
    CHECK_EQ_INT(r->width, kfs[i]->w);
    CHECK_EQ_INT(r->height, kfs[i]->h);
    CHECK(r->jpeg_bytes > 1000);
    CHECK_EQ_INT(file_size(dir, r->number), (long)r->jpeg_bytes);
    CHECK(is_whole_jpeg(dir, r->number));
  }
  /* Five files and no temporary leftovers. */
  CHECK_EQ_INT(count_entries(dir), 5);
  CHECK_EQ_INT(file_size(dir, 6), -1);
  CHECK_EQ_INT(file_size(dir, 12), -1);
  brtc_keyframe_worker_get_stats(w, &st);
  CHECK_EQ_INT(st.saved, 5);
  CHECK_EQ_INT(st.failed, 0);
  CHECK_EQ_INT(st.pending, 0);
  CHECK_EQ_INT(st.dropped_busy, 0);
  /* Nothing more comes. */
  CHECK_EQ_INT(brtc_keyframe_worker_poll(w), 0);
  brtc_keyframe_worker_free(w);
  observer_close(&o);
}

/* The output cap: a JPEG is written only if it fits under max_output_bytes with what was
 * there; one that does not is delivered with BRTC_ERR_TOO_BIG, and once the cap is reached
 * submit refuses at once. Both are counted in refused_full. */
static void test_output_cap(void) {
  char dir[PATH_MAX];
  make_dir("cap", dir, sizeof(dir));
  observer o;
  observer_init(&o);
  /* The JPEGs' sizes first, with no cap. */
  brtc_keyframe_worker *w = make_worker(dir, &o, 1, 0);
  CHECK(w != NULL);
  if (!w) return;
  CHECK_EQ_INT(brtc_keyframe_worker_submit(w, small_kf.data, small_kf.len, 1, "s1", 0), BRTC_OK);
  CHECK_EQ_INT(brtc_keyframe_worker_submit(w, large_kf.data, large_kf.len, 2, "s1", 0), BRTC_OK);
  collect(w, &o, 2);
  brtc_keyframe_worker_free(w);
  uint64_t small = o.results[0].jpeg_bytes, large = o.results[1].jpeg_bytes;
  CHECK(small > 0 && large > 0);
  /* Room for the small one and not the large one after it. */
  o.n_results = 0;
  char err[256] = "";
  brtc_keyframe_worker_config c = {.dir = dir, .threads = 1, .on_done = on_done, .wake = on_wake,
                                   .user = &o, .max_output_bytes = 1000 + small + large - 1,
                                   .output_bytes = 1000};
  w = brtc_keyframe_worker_new(&c, err, sizeof(err));
  CHECK(w != NULL);
  if (!w) return;
  CHECK_EQ_INT(brtc_keyframe_worker_submit(w, small_kf.data, small_kf.len, 3, "s1", 0), BRTC_OK);
  CHECK_EQ_INT(brtc_keyframe_worker_submit(w, large_kf.data, large_kf.len, 4, "s1", 0), BRTC_OK);
  collect(w, &o, 2);
  CHECK_EQ_INT(o.n_results, 2);
  CHECK_EQ_INT(o.results[0].rc, BRTC_OK);
  CHECK_EQ_INT(o.results[1].rc, BRTC_ERR_TOO_BIG);
  CHECK_EQ_INT(file_size(dir, 3), (long)small);
  CHECK_EQ_INT(file_size(dir, 4), -1);
  brtc_keyframe_worker_stats st;
  brtc_keyframe_worker_get_stats(w, &st);
  CHECK_EQ_INT(st.output_bytes, 1000 + small);
  CHECK_EQ_INT(st.refused_full, 1);
  CHECK_EQ_INT(st.saved, 1);
  CHECK_EQ_INT(st.failed, 0);
  brtc_keyframe_worker_free(w);
  /* Already full: refused at submit, nothing queued. */
  c.output_bytes = c.max_output_bytes;
  w = brtc_keyframe_worker_new(&c, err, sizeof(err));
  CHECK(w != NULL);
  if (w) {
    CHECK_EQ_INT(brtc_keyframe_worker_submit(w, small_kf.data, small_kf.len, 5, "s1", 0),
                 BRTC_ERR_TOO_BIG);
    brtc_keyframe_worker_get_stats(w, &st);
    CHECK_EQ_INT(st.refused_full, 1);
    CHECK_EQ_INT(st.submitted, 0);
  }
  brtc_keyframe_worker_free(w);
  observer_close(&o);
}

static void test_undecodable(void) {
  char dir[PATH_MAX];
  make_dir("undecodable", dir, sizeof(dir));
  observer o;
  observer_init(&o);
  brtc_keyframe_worker *w = make_worker(dir, &o, 1, 0);
  CHECK(w != NULL);
  if (!w) return;
  /* A keyframe header claiming 640x480 followed by noise, then an inter frame. */
  uint8_t junk[300];
  for (size_t i = 0; i < sizeof(junk); i++) junk[i] = (uint8_t)(i * 37 + 11);
  const uint8_t hdr[10] = {0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01};
  memcpy(junk, hdr, sizeof(hdr));
  const uint8_t inter[16] = {0x31, 0x01, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
  CHECK_EQ_INT(brtc_keyframe_worker_submit(w, junk, sizeof(junk), 1, "s1", 0), BRTC_OK);
  CHECK_EQ_INT(brtc_keyframe_worker_submit(w, inter, sizeof(inter), 2, "s1", 0), BRTC_OK);
  /* A good one after them still works: the decoder recovers. */
  CHECK_EQ_INT(brtc_keyframe_worker_submit(w, small_kf.data, small_kf.len, 3, "s1", 0), BRTC_OK);
  /* Nothing to save, nothing to decode: refused at once. */
  CHECK_EQ_INT(brtc_keyframe_worker_submit(w, NULL, 0, 4, "s1", 0), BRTC_ERR_INVALID);
  collect(w, &o, 3);
  CHECK_EQ_INT(o.n_results, 3);
  if (o.n_results == 3) {
    CHECK(o.results[0].rc != BRTC_OK);
    CHECK_EQ_INT(o.results[1].rc, BRTC_ERR_UNSUPPORTED);
    CHECK_EQ_INT(o.results[2].rc, BRTC_OK);
  }
  CHECK_EQ_INT(file_size(dir, 1), -1);
  CHECK_EQ_INT(file_size(dir, 2), -1);
  CHECK(file_size(dir, 3) > 0);
  CHECK_EQ_INT(count_entries(dir), 1);
  brtc_keyframe_worker_stats st;
  brtc_keyframe_worker_get_stats(w, &st);
  CHECK_EQ_INT(st.saved, 1);
  CHECK_EQ_INT(st.failed, 2);
  brtc_keyframe_worker_free(w);
  observer_close(&o);
}

/* Slots are in use from submit until poll delivers the result, so a saver with two slots
 * refuses the third keyframe however fast its thread is: no timing involved. */
static void test_full_drops_without_blocking(void) {
  char dir[PATH_MAX];
  make_dir("full", dir, sizeof(dir));
  observer o;
  observer_init(&o);
  brtc_keyframe_worker *w = make_worker(dir, &o, 1, 2);
  CHECK(w != NULL);
  if (!w) return;
  CHECK_EQ_INT(brtc_keyframe_worker_room(w), 2);
  CHECK_EQ_INT(brtc_keyframe_worker_submit(w, large_kf.data, large_kf.len, 1, "s1", 0), BRTC_OK);
  CHECK_EQ_INT(brtc_keyframe_worker_room(w), 1);
  CHECK_EQ_INT(brtc_keyframe_worker_submit(w, large_kf.data, large_kf.len, 2, "s2", 0), BRTC_OK);
  CHECK_EQ_INT(brtc_keyframe_worker_room(w), 0);
  for (int i = 0; i < 3; i++)
    CHECK_EQ_INT(brtc_keyframe_worker_submit(w, large_kf.data, large_kf.len, 3, "s3", 0),
                 BRTC_ERR_LIMIT);
  brtc_keyframe_worker_stats st;
  brtc_keyframe_worker_get_stats(w, &st);
  CHECK_EQ_INT(st.dropped_busy, 3);
  CHECK_EQ_INT(st.submitted, 2);
  CHECK_EQ_INT(st.pending, 2);
  collect(w, &o, 2);
  CHECK_EQ_INT(o.n_results, 2);
  /* Delivered: the slots are free again. */
  CHECK_EQ_INT(brtc_keyframe_worker_room(w), 2);
  CHECK_EQ_INT(brtc_keyframe_worker_submit(w, small_kf.data, small_kf.len, 3, "s3", 0), BRTC_OK);
  collect(w, &o, 3);
  CHECK_EQ_INT(o.n_results, 3);
  for (unsigned long n = 1; n <= 3; n++) CHECK(is_whole_jpeg(dir, n));
  CHECK_EQ_INT(count_entries(dir), 3);
  brtc_keyframe_worker_get_stats(w, &st);
  CHECK_EQ_INT(st.saved, 3);
  CHECK_EQ_INT(st.dropped_busy, 3);
  CHECK_EQ_INT(st.pending, 0);
  brtc_keyframe_worker_stop(w);
  CHECK_EQ_INT(brtc_keyframe_worker_room(w), 0); /* stopped: submit would refuse */
  brtc_keyframe_worker_free(w);
  observer_close(&o);
}

/* Stop with a full queue: what finished is delivered and on disk, the rest is discarded and
 * never written; nothing leaks (ASan) and nothing is left pending. */
static void test_stop_discards(void) {
  char dir[PATH_MAX];
  make_dir("stop", dir, sizeof(dir));
  observer o;
  observer_init(&o);
  brtc_keyframe_worker *w = make_worker(dir, &o, 1, 32);
  CHECK(w != NULL);
  if (!w) return;
  for (unsigned long n = 1; n <= 32; n++)
    CHECK_EQ_INT(brtc_keyframe_worker_submit(w, large_kf.data, large_kf.len, n, "s1", 0),
                 BRTC_OK);
  brtc_keyframe_worker_stop(w);
  brtc_keyframe_worker_stop(w); /* idempotent */
  CHECK_EQ_INT(brtc_keyframe_worker_submit(w, small_kf.data, small_kf.len, 33, "s1", 0),
               BRTC_ERR_STATE);
  brtc_keyframe_worker_poll(w);
  brtc_keyframe_worker_stats st;
  brtc_keyframe_worker_get_stats(w, &st);
  CHECK_EQ_INT(st.pending, 0);
  CHECK_EQ_INT(st.saved + st.discarded, 32);
  CHECK_EQ_INT(o.n_results, st.saved);
  /* One thread takes jobs in order: the saved ones are the first numbers. */
  for (unsigned long n = 1; n <= 32; n++) {
    if (n <= st.saved)
      CHECK(is_whole_jpeg(dir, n));
    else
      CHECK_EQ_INT(file_size(dir, n), -1);
  }
  CHECK_EQ_INT(count_entries(dir), st.saved);
  brtc_keyframe_worker_free(w);
  observer_close(&o);
}

/* One real H.264 keyframe (an IDR with SPS and PPS) of the test picture at w x h. */
static keyframe encode_h264_keyframe(unsigned w, unsigned h) {
  keyframe k = {.w = w, .h = h};
  vpx_image_t *img = vpx_img_alloc(NULL, VPX_IMG_FMT_I420, w, h, 1);
  if (!img) return k;
  test_draw_picture(img, w, h, w / 4, h / 4);
  size_t cap = (size_t)w * h * 2;
  k.data = malloc(cap);
  int strides[3] = {img->stride[0], img->stride[1], img->stride[2]};
  if (k.data) k.len = test_h264_encode_idr(img->planes, strides, (int)w, (int)h, 30, k.data, cap);
  vpx_img_free(img);
  return k;
}

/* The job carries its codec: H.264 and VP8 keyframes in one saver, each saved at its size;
 * an H.264 unit with no IDR is refused by the decoder, not written. */
static void test_codecs(void) {
  char dir[PATH_MAX];
  make_dir("codecs", dir, sizeof(dir));
  observer o;
  observer_init(&o);
  brtc_keyframe_worker *w = make_worker(dir, &o, 1, 0);
  CHECK(w != NULL);
  if (!w) return;
  keyframe h264 = encode_h264_keyframe(322, 242);
  CHECK(h264.len > 100);
  /* The same unit with its IDR slice turned into a non-IDR one: no keyframe. */
  uint8_t *inter = malloc(h264.len);
  memcpy(inter, h264.data, h264.len);
  for (size_t i = 3; i < h264.len; i++)
    if (inter[i - 3] == 0 && inter[i - 2] == 0 && inter[i - 1] == 1 && (inter[i] & 0x1F) == 5)
      inter[i] = (uint8_t)((inter[i] & 0xE0) | 1);
  CHECK_EQ_INT(brtc_keyframe_worker_submit_codec(w, BRTC_KEYFRAME_H264, h264.data, h264.len, 1,
                                                 "h", 1),
               BRTC_OK);
  CHECK_EQ_INT(brtc_keyframe_worker_submit_codec(w, BRTC_KEYFRAME_VP8, small_kf.data,
                                                 small_kf.len, 2, "v", 2),
               BRTC_OK);
  CHECK_EQ_INT(brtc_keyframe_worker_submit_codec(w, BRTC_KEYFRAME_H264, inter, h264.len, 3, "h",
                                                 3),
               BRTC_OK);
  CHECK_EQ_INT(brtc_keyframe_worker_submit_codec(w, (brtc_keyframe_codec)9, h264.data, h264.len,
                                                 4, "h", 4),
               BRTC_ERR_INVALID);
  collect(w, &o, 3);
  CHECK_EQ_INT(o.n_results, 3);
  if (o.n_results == 3) {
    CHECK_EQ_INT(o.results[0].rc, BRTC_OK);
    CHECK_EQ_INT(o.results[0].codec, BRTC_KEYFRAME_H264);
    CHECK_EQ_INT(o.results[0].frame_bytes, h264.len);
    CHECK_EQ_INT(o.results[0].width, 322);
    CHECK_EQ_INT(o.results[0].height, 242);
    CHECK_EQ_INT(o.results[1].rc, BRTC_OK);
    CHECK_EQ_INT(o.results[1].codec, BRTC_KEYFRAME_VP8);
    CHECK_EQ_INT(o.results[1].width, small_kf.w);
    CHECK_EQ_INT(o.results[2].rc, BRTC_ERR_UNSUPPORTED);
  }
  CHECK(is_whole_jpeg(dir, 1));
  CHECK(is_whole_jpeg(dir, 2));
  CHECK_EQ_INT(file_size(dir, 3), -1);
  CHECK_EQ_INT(count_entries(dir), 2);
  free(inter);
  free(h264.data);
  brtc_keyframe_worker_free(w);
  observer_close(&o);
}

/* Freed with results never polled, and with jobs still queued: no leak, no hang. */
static void test_free_with_undelivered(void) {
  char dir[PATH_MAX];
  make_dir("undelivered", dir, sizeof(dir));
  observer o;
  observer_init(&o);
  brtc_keyframe_worker *w = make_worker(dir, &o, 1, 8);
  CHECK(w != NULL);
  if (!w) return;
  for (unsigned long n = 1; n <= 8; n++)
    CHECK_EQ_INT(brtc_keyframe_worker_submit(w, small_kf.data, small_kf.len, n, "s1", 0),
                 BRTC_OK);
  /* Let at least one finish. */
  struct pollfd p = {.fd = o.wake_pipe[0], .events = POLLIN};
  CHECK_EQ_INT(poll(&p, 1, 10000), 1);
  brtc_keyframe_worker_free(w);
  CHECK_EQ_INT(o.n_results, 0); /* free delivers nothing */
  observer_close(&o);
}

/* Several threads: every file still gets exactly its own number. */
static void test_two_threads(void) {
  char dir[PATH_MAX];
  make_dir("two", dir, sizeof(dir));
  observer o;
  observer_init(&o);
  brtc_keyframe_worker *w = make_worker(dir, &o, 2, 16);
  CHECK(w != NULL);
  if (!w) return;
  for (unsigned long n = 1; n <= 12; n++) {
    const keyframe *k = n % 2 ? &small_kf : &large_kf;
    CHECK_EQ_INT(brtc_keyframe_worker_submit(w, k->data, k->len, 100 + n, "s1", n), BRTC_OK);
  }
  collect(w, &o, 12);
  CHECK_EQ_INT(o.n_results, 12);
  CHECK_EQ_INT(o.done_off_main, 0);
  bool seen[13] = {false};
  for (size_t i = 0; i < o.n_results; i++) {
    const brtc_keyframe_result *r = &o.results[i];
    CHECK_EQ_INT(r->rc, BRTC_OK);
    CHECK_EQ_INT(r->number, 100 + r->tag);
    if (r->tag >= 1 && r->tag <= 12) seen[r->tag] = true;
    const keyframe *k = r->tag % 2 ? &small_kf : &large_kf;
    CHECK_EQ_INT(r->width, k->w);
    CHECK_EQ_INT(file_size(dir, r->number), (long)r->jpeg_bytes);
  }
  for (int n = 1; n <= 12; n++) CHECK(seen[n]);
  CHECK_EQ_INT(count_entries(dir), 12);
  brtc_keyframe_worker_free(w);
  observer_close(&o);
}

static void test_bad_config(void) {
  char err[128] = "";
  brtc_keyframe_worker_config c = {.dir = tmp_root, .on_done = NULL};
  CHECK(brtc_keyframe_worker_new(&c, err, sizeof(err)) == NULL);
  CHECK(err[0] != '\0');
  c.on_done = on_done;
  c.threads = BRTC_KEYFRAME_WORKER_MAX_THREADS + 1;
  CHECK(brtc_keyframe_worker_new(&c, err, sizeof(err)) == NULL);
  c.jpeg_quality = 101; /* the codec refuses it: every thread's setup is undone */
  c.threads = 2;
  CHECK(brtc_keyframe_worker_new(&c, err, sizeof(err)) == NULL);
  brtc_keyframe_worker_free(NULL);
}

int main(void) {
  main_thread = pthread_self();
  snprintf(tmp_root, sizeof(tmp_root), "/tmp/brtc-kf-worker-XXXXXX");
  if (!mkdtemp(tmp_root)) {
    perror("mkdtemp");
    return 1;
  }
  small_kf = encode_keyframe(320, 240, 40);
  large_kf = encode_keyframe(640, 480, 200);
  CHECK(small_kf.len > 0 && large_kf.len > 0);
  if (small_kf.len > 0 && large_kf.len > 0) {
    RUN(test_saves_files);
    RUN(test_undecodable);
    RUN(test_output_cap);
    RUN(test_codecs);
    RUN(test_full_drops_without_blocking);
    RUN(test_stop_discards);
    RUN(test_free_with_undelivered);
    RUN(test_two_threads);
    RUN(test_bad_config);
  }
  free(small_kf.data);
  free(large_kf.data);
  char cmd[PATH_MAX + 16];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_root);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp_root);
  return TEST_REPORT();
}
