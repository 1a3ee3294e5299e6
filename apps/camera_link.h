/* `boltrtc camera`'s viewer and the signaling it is reached by (camera_cmd.c): the camera's
 * own WebSocket (its page at /ws), or a room on `boltrtc serve` (camera_room.c). Whichever
 * carries it, a viewer is opened, fed the viewer's messages (answer, candidate, bye) and
 * closed through these calls, and answers through the link's ops. */
#ifndef BRTC_APPS_CAMERA_LINK_H
#define BRTC_APPS_CAMERA_LINK_H

#include <stddef.h>

typedef struct camera_app camera_app;

typedef struct camera_link_ops {
  /* One JSON text message to the viewer. */
  int (*send)(void *link, const char *text);
  /* The camera ends this viewer's session (reason: one line). */
  void (*close)(void *link, const char *reason);
} camera_link_ops;

/* A viewer arrived on link: the camera makes its offer (a viewer before it is replaced). */
void camera_viewer_open(camera_app *app, void *link);
/* One of the viewer's messages. */
void camera_viewer_message(camera_app *app, void *link, const char *text, size_t len);
/* The viewer's link went: its session ends and the motors get a stop. */
void camera_viewer_closed(camera_app *app, void *link);

#endif
