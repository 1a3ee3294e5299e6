/* A file source: a file parsed into an index of whole frames, played at real-time pace from
 * their timestamps, looping with continuous media time, keyframes on request from the next
 * keyframe in the file. The container readers (IVF, H.264 Annex-B, Ogg Opus) only build the
 * index; pacing, looping and jumps live here, as a pure function of the time given. */
#ifndef BRTC_SOURCES_FILE_SOURCE_H
#define BRTC_SOURCES_FILE_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sources/source.h"

/* The largest frame a file source hands out; a bigger one makes the file refused. */
#define BRTC_SOURCE_MAX_FRAME_BYTES (4u * 1024 * 1024)

typedef struct brtc_indexed_frame {
  size_t offset;     /* in the index's data */
  uint32_t len;
  uint64_t ts;       /* clock units from the first frame, never decreasing */
  bool keyframe;
} brtc_indexed_frame;

typedef struct brtc_frame_index {
  uint8_t *data; /* owned: the frames' bytes */
  size_t data_len;
  brtc_indexed_frame *frames;
  size_t count, cap;
  size_t keyframes;
  /* One loop, in clock units: the next loop's first frame comes this long after the first
   * frame of this one. Greater than the last frame's ts. */
  uint64_t duration;
  uint16_t width, height; /* video: from the first keyframe */
} brtc_frame_index;

/* Appends a frame (BRTC_ERR_NOMEM, BRTC_ERR_TOO_BIG past BRTC_SOURCE_MAX_FRAME_BYTES,
 * BRTC_ERR_PARSE if ts goes back). */
int brtc_frame_index_add(brtc_frame_index *ix, size_t offset, size_t len, uint64_t ts,
                         bool keyframe);
/* Sets duration from the last two frames' spacing, or default_step for a single frame. */
void brtc_frame_index_finish(brtc_frame_index *ix, uint64_t default_step);
void brtc_frame_index_free(brtc_frame_index *ix);
/* For readers giving up: frees the index, writes the reason, returns rc. */
int brtc_frame_index_fail(brtc_frame_index *ix, int rc, char *err, size_t err_cap,
                          const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Takes the index (it is freed with the source, or here on failure). The index must hold at
 * least one frame, and its first frame must be a keyframe for video. */
int brtc_file_source_new(brtc_frame_index *ix, brtc_source_codec codec, uint32_t clock_rate,
                         uint8_t channels, const brtc_source_options *o,
                         const char *description, brtc_source **out);

#endif
