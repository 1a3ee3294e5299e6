/* Media sources: whole encoded frames to send, at real-time pace, for programs and tests.
 *
 * Part of brtc_sources, a tools library on top of libboltrtc and never inside it (it links
 * libvpx and libturbojpeg). Every source answers the same small table, so a program does not
 * care which one it has:
 *
 *     brtc_source *src;
 *     if (brtc_source_open("clip.ivf", NULL, &src, err, sizeof err) < 0) die(err);
 *     for (;;) {                                  // the owner's loop
 *       int64_t now = brtc_now_us();
 *       brtc_source_frame f;
 *       while (brtc_source_take(src, now, &f) == 0)
 *         send_frame(f.data, f.len, rtp_base + (uint32_t)f.timestamp, f.keyframe);
 *       arm_timer(brtc_source_next_due(src, now)); // and watch brtc_source_fd(src) if >= 0
 *     }
 *
 * Sources are sans-IO where they can be: file sources read their file once when opened and
 * then are pure functions of the time they are given; the test pattern draws and encodes
 * what is due; only the camera does I/O after opening (its fd says when a frame is ready).
 * now_us is the caller's clock in microseconds (brtc_now_us(), CLOCK_MONOTONIC); it must not
 * go backwards. A source starts its timeline at the first call that gives it a time. */
#ifndef BRTC_SOURCES_SOURCE_H
#define BRTC_SOURCES_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum brtc_source_codec {
  BRTC_SOURCE_VP8 = 1,  /* RFC 7741 payload format, clock 90 kHz */
  BRTC_SOURCE_H264 = 2, /* RFC 6184, clock 90 kHz */
  BRTC_SOURCE_OPUS = 3, /* RFC 7587, clock 48 kHz */
} brtc_source_codec;

/* "VP8", "H264", "opus": the encoding name an SDP rtpmap line uses. */
const char *brtc_source_codec_name(brtc_source_codec codec);

/* Returned by next_due when no time is set: the source waits for its fd, or has ended. */
#define BRTC_SOURCE_NEVER INT64_MAX

typedef struct brtc_source_frame {
  /* The whole encoded frame, owned by the source, valid until the next take or free.
   *   VP8: one frame (RFC 6386).
   *   H.264: one access unit in Annex-B form with 4-byte start codes; every IDR access unit
   *     carries its SPS and PPS; delimiters, filler and end-of-stream units are left out.
   *   Opus: one packet (RFC 6716), mono or stereo (a single stream). */
  const uint8_t *data;
  size_t len;
  /* Media time in clock_rate units, 0 for the first frame, never decreasing (also across
   * loops, keyframe jumps and re-anchoring): the RTP timestamp is a sender's random
   * offset plus this, truncated to 32 bits (RFC 3550 5.1). */
  uint64_t timestamp;
  /* Until the next frame's timestamp, in clock units (Opus: samples in this packet). */
  uint32_t duration;
  int64_t due_us;     /* when this frame was due, on the caller's clock */
  int64_t capture_us; /* when it was captured, caller's clock: for abs-capture-time */
  bool keyframe;      /* VP8 keyframe, H.264 IDR; never set for audio */
  uint16_t width, height; /* video, 0 when unknown */
  /* Files and camera: frames handed out before this one. Test pattern: the frame's place on
   * its frame-rate grid, which its barcode carries (mod 2^24); frames skipped because the
   * caller was late leave gaps. */
  uint64_t frame_number;
} brtc_source_frame;

typedef struct brtc_source brtc_source;

/* What every source implements. A source embeds struct brtc_source first. */
typedef struct brtc_source_ops {
  /* When the next frame is due (<= now_us: take it now). BRTC_SOURCE_NEVER when frames come
   * only when the fd is readable, or the source has ended. */
  int64_t (*next_due)(brtc_source *s, int64_t now_us);
  /* 0 and *out for the frame due at now_us; BRTC_ERR_AGAIN when none is due yet,
   * BRTC_ERR_NOT_FOUND once a source that does not loop has ended, other errors for a
   * device that failed. Call again until it says BRTC_ERR_AGAIN. */
  int (*take)(brtc_source *s, int64_t now_us, brtc_source_frame *out);
  /* Make the next frame a keyframe as soon as the source can (PLI, FIR: RFC 4585 6.3.1,
   * RFC 5104 4.3.1). BRTC_ERR_UNSUPPORTED for audio or a device that cannot. */
  int (*request_keyframe)(brtc_source *s);
  /* Target bitrate of an encoder, bits per second (REMB, congestion control).
   * BRTC_ERR_UNSUPPORTED for files. */
  int (*set_bitrate)(brtc_source *s, uint32_t bps);
  /* A descriptor to watch for readability, or -1 when the time alone drives the source. */
  int (*fd)(const brtc_source *s);
  void (*free)(brtc_source *s);
} brtc_source_ops;

/* Counters every source keeps; fields that do not apply stay 0. */
typedef struct brtc_source_stats {
  uint64_t frames;             /* handed out */
  uint64_t keyframes;          /* handed out */
  uint64_t loops;              /* file sources: times the file started again */
  uint64_t keyframe_requests;  /* request_keyframe calls */
  uint64_t keyframe_jumps;     /* file sources: skipped ahead to a keyframe on request */
  uint64_t reanchors;          /* the caller fell more than max_late_us behind: the timeline
                                  slipped instead of a burst of late frames */
  uint64_t frames_skipped;     /* live sources: frames not made because the caller was late,
                                  or older camera frames dropped for a newer one */
  uint64_t frames_bad;         /* camera: buffers the device flagged or we could not decode */
} brtc_source_stats;

struct brtc_source {
  const brtc_source_ops *ops;
  brtc_source_codec codec;
  uint32_t clock_rate; /* 90000 for video, 48000 for Opus */
  uint8_t channels;    /* Opus: 1 or 2; 0 for video */
  char description[160]; /* one line for logs: "IVF VP8 320x240, 60 frames, 2 keyframes" */
  brtc_source_stats stats;
};


/* How to open a source; brtc_source_options_default() fills the defaults. */
typedef struct brtc_source_options {
  unsigned width, height;   /* test pattern, camera: wanted size (640x480) */
  /* Frame rate. 0/0 (the default) lets each source choose: 30 fps for the test pattern and
   * the camera, the SPS's VUI timing (else 30) for H.264 files. IVF and Ogg files always
   * follow their own timestamps. */
  unsigned fps_num, fps_den;
  uint32_t bitrate_bps;      /* encoders: initial target (1,000,000) */
  unsigned keyframe_interval; /* encoders: at most this many frames between keyframes
                                 (0: only the first and those requested) */
  bool loop;                  /* files: start again at the end (true) */
  int64_t max_late_us;        /* a caller this late makes the timeline slip (250,000) */
  size_t max_file_bytes;      /* files are read whole into memory up to this size (256 MiB) */
  /* Test pattern: added to now_us to get the capture time in the barcode, in Unix time
   * (the program sets it to CLOCK_REALTIME - CLOCK_MONOTONIC once, so that a page can
   * compare it with Date.now()). */
  int64_t wallclock_offset_us;
  /* Camera: "auto", or the pixel format to insist on: "h264", "yuyv", "mjpeg", "i420",
   * "nv12". */
  const char *camera_format;
} brtc_source_options;

void brtc_source_options_default(brtc_source_options *o);

/* For programs, not sources (it reads the clocks): CLOCK_REALTIME minus CLOCK_MONOTONIC now,
 * in microseconds, for wallclock_offset_us when now_us is brtc_now_us(). */
int64_t brtc_source_wallclock_offset(void);

/* Picks a source by its spec:
 *   "testpattern"   the generated picture with its barcode, encoded with libvpx VP8;
 *   "/dev/videoN"   a V4L2 camera (any path starting with /dev/video);
 *   anything else   a file, by its first bytes: "DKIF" IVF (VP8), "OggS" Ogg Opus, a start
 *                   code H.264 Annex-B; by its extension when the bytes do not say
 *                   (.ivf, .opus/.ogg, .h264/.264).
 * o may be NULL for the defaults. On failure a negative error code and a one-line reason
 * in err ("clip.ivf: frame 12 is 0 bytes"). */
int brtc_source_open(const char *spec, const brtc_source_options *o, brtc_source **out,
                     char *err, size_t err_cap);

/* The calls, through the table. */
int64_t brtc_source_next_due(brtc_source *s, int64_t now_us);
int brtc_source_take(brtc_source *s, int64_t now_us, brtc_source_frame *out);
int brtc_source_request_keyframe(brtc_source *s);
int brtc_source_set_bitrate(brtc_source *s, uint32_t bps);
int brtc_source_fd(const brtc_source *s);
void brtc_source_get_stats(const brtc_source *s, brtc_source_stats *out);
void brtc_source_free(brtc_source *s);

#endif
