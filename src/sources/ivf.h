/* The IVF container (libvpx's ivfenc/ivfdec, also written by ffmpeg): a 32-byte file header,
 * then frames, each a 12-byte header (size, pts) and the frame's bytes. Little-endian.
 *   file header: "DKIF", version 0 (u16), header length (u16), fourcc ("VP80"), width (u16),
 *                height (u16), timebase denominator (u32), timebase numerator (u32),
 *                frame count (u32), unused (u32)
 *   frame header: frame size (u32), pts (u64) in timebase units
 * A parser only: nothing here trusts the sizes it reads. */
#ifndef BRTC_SOURCES_IVF_H
#define BRTC_SOURCES_IVF_H

#include <stddef.h>
#include <stdint.h>

#define BRTC_IVF_FILE_HEADER 32
#define BRTC_IVF_FRAME_HEADER 12

typedef struct brtc_ivf_header {
  char fourcc[5];          /* NUL-terminated */
  uint16_t header_len;     /* the first frame starts here; at least 32 */
  uint16_t width, height;  /* as written; the frames' own headers are the truth */
  uint32_t timebase_den;   /* a pts unit is timebase_num / timebase_den seconds */
  uint32_t timebase_num;
  uint32_t frame_count;    /* as written: often 0 or stale, never trusted */
} brtc_ivf_header;

/* BRTC_ERR_PARSE: shorter than 32 bytes, not "DKIF", a version other than 0, a header length
 * under 32 or past the end of the buffer, a zero timebase. */
int brtc_ivf_parse_header(const uint8_t *buf, size_t len, brtc_ivf_header *h);

typedef struct brtc_ivf_frame {
  size_t offset; /* of the frame's bytes in the buffer */
  uint32_t size; /* may be 0: the caller decides what that means */
  uint64_t pts;
} brtc_ivf_frame;

/* The frame whose header starts at *pos (the first at h.header_len): 0, *f and *pos moved
 * past it; BRTC_ERR_NOT_FOUND when *pos is exactly the end; BRTC_ERR_PARSE when the header or
 * the bytes it announces run past the end (*pos unchanged). */
int brtc_ivf_next_frame(const uint8_t *buf, size_t len, size_t *pos, brtc_ivf_frame *f);

#endif
