/* The camera's source on a thread of its own: drawing and encoding a frame (libvpx: several
 * ms, more on a busy or small machine) or converting a camera's picture must not hold up the
 * loop, which meanwhile answers the viewer's commands and sends what is ready. The thread
 * takes each frame when it is due (or when the camera's fd says so) and hands it over through
 * a short queue and an eventfd the loop watches; if the loop falls behind, the oldest waiting
 * frame is dropped, never the newest, and with it the delta frames that follow it up to a
 * keyframe, which is asked for at once: the viewer's decoder never sees a gap. */
#ifndef BRTC_APPS_CAMERA_CAPTURE_H
#define BRTC_APPS_CAMERA_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sources/source.h"

typedef struct camera_capture camera_capture;

typedef struct camera_frame {
  const uint8_t *data; /* valid until the next camera_capture_next or stop */
  size_t len;
  bool keyframe;
  int64_t capture_us;
} camera_frame;

/* Opens spec with o and starts the thread. 0, or a negative error code with a reason. */
int camera_capture_start(const char *spec, const brtc_source_options *o, camera_capture **out,
                         char *err, size_t err_cap);
/* The source, for what never changes after opening (codec, description). */
const brtc_source *camera_capture_source(const camera_capture *c);
/* Readable while frames wait (an eventfd): read it, then take frames until none is left. */
int camera_capture_fd(const camera_capture *c);
/* The oldest frame waiting, or false. */
bool camera_capture_next(camera_capture *c, camera_frame *out);
/* The next frame the thread makes is a keyframe (PLI, FIR, a new viewer). */
void camera_capture_request_keyframe(camera_capture *c);
/* The encoder's bitrate from now on (the track's target, the thread applies it before its next
 * frame); 0 is ignored. */
void camera_capture_set_bitrate(camera_capture *c, uint32_t bps);
/* Frames dropped because the loop had not taken them in time. */
uint64_t camera_capture_dropped(const camera_capture *c);
/* Stops the thread, closes the source, frees everything. NULL is fine. */
void camera_capture_stop(camera_capture *c);

#endif
