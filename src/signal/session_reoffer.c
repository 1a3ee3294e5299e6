/* A later offer on a live session (JSEP 5.2.2): the client renegotiates, or restarts ICE
 * (new credentials, RFC 8445 9, which the pc takes as pc_restart.c says). Both the WebSocket
 * signaling (an "offer" on a connection that has a session) and WHIP PATCH (whip_patch.c,
 * which makes the offer from the one in force) come here. */
#include <stdio.h>

#include "boltrtc/error.h"
#include "boltrtc/loop.h"
#include "boltrtc/peer_connection.h"
#include "signal/server_internal.h"

int brtc_server_session_reoffer(brtc_signal_server *srv, brtc_session *s, const char *sdp,
                                const char **answer, char *err, size_t err_cap) {
  (void)srv;
  if (!s->pc || s->closing) {
    snprintf(err, err_cap, "the session has ended");
    return BRTC_ERR_STATE;
  }
  uint64_t now = brtc_now_us();
  int rc = BRTC_OK;
  /* The first answer went out without being set: it is, now, so that a new offer may come
   * (JSEP 5.6: back to stable). */
  if (brtc_pc_signaling_state(s->pc) == BRTC_SIGNALING_HAVE_REMOTE_OFFER)
    rc = brtc_pc_set_local_description(s->pc, "answer", NULL, now, err, err_cap);
  if (rc == BRTC_OK) rc = brtc_pc_set_remote_description(s->pc, "offer", sdp, now, err, err_cap);
  if (rc == BRTC_OK) rc = brtc_pc_create_answer(s->pc, answer, err, err_cap);
  if (rc == BRTC_OK) rc = brtc_pc_set_local_description(s->pc, "answer", NULL, now, err, err_cap);
  for (char *p = err; rc != BRTC_OK && *p; p++)
    if (*p == '\r' || *p == '\n') *p = ' ';
  return rc;
}
