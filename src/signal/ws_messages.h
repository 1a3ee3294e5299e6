/* The JSON messages of WebSocket signaling (/ws): parsing what the page sends and building
 * what the server sends. Pure functions over cJSON, no I/O.
 *
 * client -> server
 *   {"type":"offer","sdp":"v=0...","video":{"width":1280,"height":720},"inspect":true}
 *                         video: optional, the camera's size, for the answer's bitrates;
 *                         inspect: optional, record the session's first packets for /inspect
 *   {"type":"candidate","candidate":"candidate:...","sdpMid":"0"}   "" or null: end of candidates
 *   {"type":"snapshot"}   save the next keyframe (a PLI asks the sender for one)
 *   {"type":"bye"}        end the session
 * server -> client
 *   {"type":"answer","sdp":"v=0...","inspect":"/inspect?session=<32 hex>"}   inspect: when
 *                         asked for and a slot was free; the URL is the only way in
 *   {"type":"step","session":"s1","step":"ice-connected","detail":"...","t_ms":12}
 *   {"type":"keyframe","session":"s1","file":"shoot3.jpg","url":"/output/shoot3.jpg",
 *    "width":640,"height":480,"mid":"0"}
 *   {"type":"error","message":"..."} */
#ifndef BRTC_SIGNAL_WS_MESSAGES_H
#define BRTC_SIGNAL_WS_MESSAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BRTC_WS_MAX_VIDEO_SIDE 16384

typedef enum brtc_ws_msg_type {
  BRTC_WS_MSG_OFFER = 0,
  BRTC_WS_MSG_CANDIDATE,
  BRTC_WS_MSG_SNAPSHOT,
  BRTC_WS_MSG_BYE,
} brtc_ws_msg_type;

typedef struct brtc_ws_msg {
  brtc_ws_msg_type type;
  const char *sdp;       /* offer */
  const char *candidate; /* candidate: "candidate:..." or "" for end of candidates */
  const char *sdp_mid;   /* candidate; may be NULL */
  unsigned video_width, video_height; /* offer; 0 when not said */
  bool inspect;          /* offer: record its packets for the inspector */
  void *json;            /* the parsed document the strings point into */
} brtc_ws_msg;

/* Parse one text message (not necessarily NUL-terminated). On failure err gets a one-line
 * reason for the {"type":"error"} reply and nothing needs freeing. */
int brtc_ws_msg_parse(const char *text, size_t len, brtc_ws_msg *out, char *err, size_t err_cap);
void brtc_ws_msg_free(brtc_ws_msg *msg);

/* Each returns a NUL-terminated JSON text owned by the caller (free()), or NULL if out of
 * memory. */
/* inspect_url: the session's inspector page, NULL when it is not inspected. */
char *brtc_ws_make_answer(const char *sdp, const char *inspect_url);
char *brtc_ws_make_step(const char *session, const char *step, const char *detail,
                        uint64_t t_ms);
/* mid: the track's (several video tracks in one session); NULL or "": left out. */
char *brtc_ws_make_keyframe(const char *session, const char *file, unsigned width,
                            unsigned height, const char *mid);
/* Trickle from the server (RFC 8838): {"type":"candidate","candidate":"candidate:...",
 * "sdpMid":"0"}; candidate "" is end-of-candidates (as the page's own). */
char *brtc_ws_make_candidate(const char *candidate, const char *mid);
char *brtc_ws_make_error(const char *message);
/* An error that says what was refused and when to try again:
 * {"type":"error","message":"...","refused":"snapshot","retry_after_ms":640} */
char *brtc_ws_make_refusal(const char *message, const char *what, uint64_t retry_after_ms);

#endif
