/* Pacing, looping and keyframe jumps of a file source, on a simulated clock, with indexes
 * made by hand (the container readers have their own tests). */
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "sources/file_source.h"
#include "sources/playout.h"
#include "testing.h"

#define START 1000000000ll /* an arbitrary caller clock */

/* n frames at 90 kHz / fps, keyframes where key[i] says (NULL: only the first). */
static brtc_source *make_source(size_t n, unsigned step, const bool *key, brtc_source_codec codec,
                                bool loop) {
  brtc_frame_index ix = {0};
  ix.data = malloc(n * 4);
  ix.data_len = n * 4;
  for (size_t i = 0; i < n; i++) {
    memset(ix.data + i * 4, (int)i, 4);
    CHECK_EQ_INT(brtc_frame_index_add(&ix, i * 4, 4, i * step, key ? key[i] : i == 0), 0);
  }
  brtc_frame_index_finish(&ix, step);
  brtc_source_options o;
  brtc_source_options_default(&o);
  o.loop = loop;
  brtc_source *s = NULL;
  CHECK_EQ_INT(brtc_file_source_new(&ix, codec, codec == BRTC_SOURCE_OPUS ? 48000 : 90000, 0, &o,
                                    "test", &s),
               0);
  return s;
}

static void test_rescale(void) {
  uint64_t v;
  CHECK(brtc_rescale(3000, 1000000, 90000, &v) && v == 33333);
  CHECK(brtc_rescale(UINT64_MAX / 2, 2, 4, &v) && v == UINT64_MAX / 4);
  CHECK(!brtc_rescale(UINT64_MAX / 2, 3, 1, &v));
  CHECK(!brtc_rescale(1, 1, 0, &v));
  /* 29.97 fps: frame k at k * 3003 ticks exactly. */
  CHECK(brtc_rescale(1000, 90000ull * 1001, 30000, &v) && v == 3003000);
}

/* A 30 fps file yields frame k at k/30 s, and looping keeps timestamps increasing and
 * continuous (the second loop's frame 0 is 30 frames after the first's). */
static void test_pacing_and_loops(void) {
  brtc_source *s = make_source(30, 3000, NULL, BRTC_SOURCE_VP8, true);
  CHECK_EQ_INT(brtc_source_next_due(s, START), START);
  size_t got = 0;
  uint64_t last_ts = 0;
  for (int64_t now = START; now < START + 3000000 && got < 90; now += 1000) {
    brtc_source_frame f;
    int rc;
    while ((rc = brtc_source_take(s, now, &f)) == 0) {
      int64_t want_due = START + (int64_t)got * 1000000 / 30;
      CHECK_EQ_INT(f.due_us, want_due);
      CHECK_EQ_INT(f.timestamp, got * 3000);
      CHECK_EQ_INT(f.duration, 3000);
      CHECK_EQ_INT(f.frame_number, got);
      CHECK_EQ_INT(f.keyframe, got % 30 == 0);
      CHECK_EQ_INT(f.data[0], got % 30);
      CHECK(now >= want_due && now < want_due + 1000);
      CHECK(got == 0 || f.timestamp > last_ts);
      last_ts = f.timestamp;
      got++;
    }
    CHECK_EQ_INT(rc, BRTC_ERR_AGAIN);
    /* next_due is the exact due time of the frame after. */
    CHECK_EQ_INT(brtc_source_next_due(s, now), START + (int64_t)got * 1000000 / 30);
  }
  CHECK_EQ_INT(got, 90);
  brtc_source_stats st;
  brtc_source_get_stats(s, &st);
  CHECK_EQ_INT(st.frames, 90);
  CHECK_EQ_INT(st.keyframes, 3);
  CHECK_EQ_INT(st.loops, 3);
  CHECK_EQ_INT(st.reanchors, 0);
  brtc_source_free(s);
}

/* A little late: the frames due are handed out at once, in order, and the schedule holds.
 * Very late (a stalled caller): the timeline slips rather than bursting. */
static void test_lateness(void) {
  brtc_source *s = make_source(30, 3000, NULL, BRTC_SOURCE_VP8, true);
  brtc_source_frame f;
  CHECK_EQ_INT(brtc_source_take(s, START, &f), 0);
  int n = 0;
  while (brtc_source_take(s, START + 100000, &f) == 0) n++;
  CHECK_EQ_INT(n, 3); /* frames 1, 2, 3 were due by 100 ms */
  CHECK_EQ_INT(f.timestamp, 3 * 3000);
  CHECK_EQ_INT(brtc_source_next_due(s, START + 100000), START + 4 * 1000000 / 30);
  /* Ten seconds of silence from the caller: one frame, then the rest on a new schedule. */
  int64_t later = START + 10000000;
  CHECK_EQ_INT(brtc_source_take(s, later, &f), 0);
  CHECK_EQ_INT(f.timestamp, 4 * 3000); /* media time runs on without a gap */
  CHECK_EQ_INT(f.due_us, later);
  CHECK_EQ_INT(brtc_source_take(s, later, &f), BRTC_ERR_AGAIN);
  CHECK_EQ_INT(brtc_source_next_due(s, later), later + 33333);
  brtc_source_stats st;
  brtc_source_get_stats(s, &st);
  CHECK_EQ_INT(st.reanchors, 1);
  brtc_source_free(s);
}

/* A keyframe request skips to the next keyframe in the file, which takes the media time
 * of the frame it replaces. */
static void test_keyframe_jump(void) {
  bool key[30] = {0};
  key[0] = key[15] = true;
  brtc_source *s = make_source(30, 3000, key, BRTC_SOURCE_VP8, true);
  brtc_source_frame f;
  int64_t now = START;
  for (int i = 0; i < 3; i++, now += 33334) CHECK_EQ_INT(brtc_source_take(s, now, &f), 0);
  CHECK_EQ_INT(brtc_source_request_keyframe(s), 0);
  CHECK_EQ_INT(brtc_source_take(s, now, &f), 0);
  CHECK(f.keyframe);
  CHECK_EQ_INT(f.data[0], 15);
  CHECK_EQ_INT(f.timestamp, 3 * 3000);
  now += 33334;
  CHECK_EQ_INT(brtc_source_take(s, now, &f), 0);
  CHECK_EQ_INT(f.data[0], 16);
  CHECK_EQ_INT(f.timestamp, 4 * 3000);
  CHECK(!f.keyframe);
  /* A request when the next frame is a keyframe anyway changes nothing. */
  for (int i = 17; i < 30; i++, now += 33334) CHECK_EQ_INT(brtc_source_take(s, now + 33334, &f), 0);
  CHECK_EQ_INT(brtc_source_request_keyframe(s), 0);
  CHECK_EQ_INT(brtc_source_take(s, now + 33334, &f), 0);
  CHECK_EQ_INT(f.data[0], 0);
  CHECK_EQ_INT(f.timestamp, 18 * 3000); /* 3 before the jump, 15 from the keyframe on */
  brtc_source_stats st;
  brtc_source_get_stats(s, &st);
  CHECK_EQ_INT(st.keyframe_requests, 2);
  CHECK_EQ_INT(st.keyframe_jumps, 1);
  brtc_source_free(s);
}

/* A file with a single keyframe: a request starts the loop again at once. */
static void test_single_keyframe_restarts(void) {
  brtc_source *s = make_source(30, 3000, NULL, BRTC_SOURCE_VP8, true);
  brtc_source_frame f;
  int64_t now = START;
  for (int i = 0; i < 10; i++, now += 33334) CHECK_EQ_INT(brtc_source_take(s, now, &f), 0);
  CHECK_EQ_INT(brtc_source_request_keyframe(s), 0);
  CHECK_EQ_INT(brtc_source_take(s, now, &f), 0);
  CHECK(f.keyframe);
  CHECK_EQ_INT(f.data[0], 0);
  CHECK_EQ_INT(f.timestamp, 10 * 3000);
  CHECK_EQ_INT(brtc_source_take(s, now + 33334, &f), 0);
  CHECK_EQ_INT(f.data[0], 1);
  CHECK_EQ_INT(f.timestamp, 11 * 3000);
  brtc_source_stats st;
  brtc_source_get_stats(s, &st);
  CHECK_EQ_INT(st.loops, 1);
  brtc_source_free(s);
}

/* Without looping a file ends; with nothing ahead a request cannot jump. */
static void test_no_loop(void) {
  brtc_source *s = make_source(5, 3000, NULL, BRTC_SOURCE_VP8, false);
  brtc_source_frame f;
  int n = 0;
  CHECK_EQ_INT(brtc_source_request_keyframe(s), 0);
  CHECK_EQ_INT(brtc_source_next_due(s, START), START);
  while (brtc_source_take(s, START + 150000, &f) == 0) n++;
  CHECK_EQ_INT(n, 5); /* all due by 133 ms */
  CHECK_EQ_INT(f.duration, 3000);
  CHECK_EQ_INT(brtc_source_take(s, START + 20000000, &f), BRTC_ERR_NOT_FOUND);
  CHECK_EQ_INT(brtc_source_next_due(s, START + 20000000), BRTC_SOURCE_NEVER);
  brtc_source_free(s);
}

/* Audio: no keyframes to ask for; 20 ms packets at 48 kHz paced at 20 ms. */
static void test_audio(void) {
  brtc_source *s = make_source(50, 960, NULL, BRTC_SOURCE_OPUS, true);
  CHECK_EQ_INT(brtc_source_request_keyframe(s), BRTC_ERR_UNSUPPORTED);
  CHECK_EQ_INT(brtc_source_set_bitrate(s, 64000), BRTC_ERR_UNSUPPORTED);
  CHECK_EQ_INT(brtc_source_fd(s), -1);
  brtc_source_frame f;
  for (int k = 0; k < 100; k++) {
    int64_t due = START + k * 20000;
    CHECK_EQ_INT(brtc_source_next_due(s, due), due);
    if (k) CHECK_EQ_INT(brtc_source_take(s, due - 1, &f), BRTC_ERR_AGAIN);
    CHECK_EQ_INT(brtc_source_take(s, due, &f), 0);
    CHECK_EQ_INT(f.timestamp, (uint64_t)k * 960);
    CHECK(!f.keyframe);
  }
  brtc_source_free(s);
}

/* The index refuses what a player could not use. */
static void test_index_rules(void) {
  brtc_frame_index ix = {0};
  CHECK_EQ_INT(brtc_frame_index_add(&ix, 0, 1, 100, true), 0);
  CHECK_EQ_INT(brtc_frame_index_add(&ix, 0, 1, 99, false), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_frame_index_add(&ix, 0, BRTC_SOURCE_MAX_FRAME_BYTES + 1, 200, false),
               BRTC_ERR_TOO_BIG);
  brtc_frame_index_free(&ix);
  /* A video index must start on a keyframe. */
  ix = (brtc_frame_index){0};
  CHECK_EQ_INT(brtc_frame_index_add(&ix, 0, 1, 0, false), 0);
  brtc_frame_index_finish(&ix, 3000);
  brtc_source_options o;
  brtc_source_options_default(&o);
  brtc_source *s = NULL;
  CHECK_EQ_INT(brtc_file_source_new(&ix, BRTC_SOURCE_VP8, 90000, 0, &o, "x", &s), BRTC_ERR_INVALID);
  CHECK(s == NULL);
}

int main(void) {
  RUN(test_rescale);
  RUN(test_pacing_and_loops);
  RUN(test_lateness);
  RUN(test_keyframe_jump);
  RUN(test_single_keyframe_restarts);
  RUN(test_no_loop);
  RUN(test_audio);
  RUN(test_index_rules);
  return TEST_REPORT();
}
