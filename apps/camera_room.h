/* `boltrtc camera --signal ws://HOST:PORT/ws?room=NAME`: the device joins a room on
 * `boltrtc serve` as a client (rooms.h's protocol) instead of serving its own page. When the
 * viewer is in the room (joined with 2 members, or peer-joined) the camera offers to it;
 * the viewer's answer and candidates come back through the room; peer-left ends the
 * session, and a session that ends while the viewer stays (ICE failed, bye) is offered again
 * after 2 s. The ICE servers the room hands (STUN, and TURN with credentials minted for this
 * member) go into each viewer's pc. A lost connection to serve is retried with backoff, on
 * the loop without blocking it; a session with the viewer goes on meanwhile. */
#ifndef BRTC_APPS_CAMERA_ROOM_H
#define BRTC_APPS_CAMERA_ROOM_H

#include <stddef.h>

#include "boltrtc/boltrtc.h"
#include "camera_link.h"

typedef struct camera_room camera_room;

/* Starts joining the room (url, with ?token=T added when token is set): BRTC_OK, or err
 * says why (a bad URL, a name that does not resolve). The join goes on on the loop; if the
 * first one fails (serve refused it, or cannot be reached) the loop is stopped and
 * camera_room_start_error says why. */
int camera_room_open(brtc_loop *loop, const char *url, const char *token, camera_app *app,
                     camera_room **out, char *err, size_t err_cap);
/* Why the first join failed, or NULL. */
const char *camera_room_start_error(const camera_room *room);
void camera_room_free(camera_room *room);
/* The link ops for camera_viewer_open's link when it is this room. */
extern const camera_link_ops camera_room_link_ops;
/* The room's ICE servers into a viewer's pc config. */
int camera_room_config_pc(const camera_room *room, brtc_pc_config *cfg, char *err,
                          size_t err_cap);

#endif
