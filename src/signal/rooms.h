/* Rooms on the WebSocket signaling (/ws?room=NAME): rendezvous for two peers that are both
 * clients, such as a device behind a carrier's NAT and a viewer behind a home router. The
 * server is no peer here: it relays the members' offer, answer and candidates to each other
 * and hands both the same ICE servers (STUN, and TURN with credentials minted for them), so
 * media can then flow between them directly or through a relay.
 *
 *   client -> server   any JSON object with a string "type" that is not one of the server's
 *                      own below (offer, answer, candidate, bye, or an application's own):
 *                      relayed as it is to the other members
 *   server -> client   {"type":"joined","room":"car1","members":2,"iceServers":[...]}
 *                      {"type":"peer-joined"}   {"type":"peer-left"}
 *                      {"type":"error","message":"..."}
 *
 * Admission happens before the WebSocket upgrade, so a refusal is an HTTP status with a
 * one-line reason: 400 for a bad name, 403 for a wrong key, 409 for a full room, 503 when the
 * server holds its most rooms. A room's key is the one its first member gave (?key=, kept as
 * a SHA-256 hash and compared in constant time); a room without a key admits anyone until it
 * is full. A room lives while it has members. */
#ifndef BRTC_SIGNAL_ROOMS_H
#define BRTC_SIGNAL_ROOMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BRTC_ROOM_NAME_MAX 64
#define BRTC_ROOM_DEFAULT_MAX_ROOMS 1000
#define BRTC_ROOM_DEFAULT_SIZE 2
#define BRTC_ROOM_MAX_SIZE 8
/* Time-limited TURN credentials (coturn's use-auth-secret scheme): valid this long. */
#define BRTC_ROOM_DEFAULT_TURN_TTL_S 86400

struct brtc_ws_conn;
typedef struct brtc_room brtc_room;
typedef struct brtc_rooms brtc_rooms;

typedef struct brtc_rooms_config {
  size_t max_rooms; /* 0: BRTC_ROOM_DEFAULT_MAX_ROOMS */
  size_t room_size; /* members per room; 0: BRTC_ROOM_DEFAULT_SIZE, at most BRTC_ROOM_MAX_SIZE */
  /* Handed to every member as RTCPeerConnection's iceServers. */
  const char *const *stun_urls; /* "stun:203.0.113.1:3478" */
  size_t n_stun_urls;
  /* TURN URLs and the secret shared with the TURN server: each member gets the username
   * "<expiry>:<room>" and the password base64(HMAC-SHA1(secret, username)), valid for
   * turn_ttl_s (0: the default). No secret: TURN is not offered. */
  const char *const *turn_urls; /* "turn:203.0.113.1:3478?transport=udp" */
  size_t n_turn_urls;
  const char *turn_secret;
  unsigned turn_ttl_s;
} brtc_rooms_config;

typedef struct brtc_rooms_stats {
  uint64_t rooms, members;          /* now */
  uint64_t joined, relayed;         /* since start */
  uint64_t refused_key, refused_full, refused_rooms, refused_name;
  uint64_t relay_refused;           /* messages not relayed: bad, no peer, peer not reading */
} brtc_rooms_stats;

/* NULL if out of memory or the config is invalid (err says why). */
brtc_rooms *brtc_rooms_new(const brtc_rooms_config *config, char *err, size_t err_cap);
void brtc_rooms_free(brtc_rooms *rooms);

/* Admission (before the upgrade). 0 with *room set (made if new), or an HTTP status with a
 * one-line reason in why. key may be NULL or "". */
int brtc_rooms_admit(brtc_rooms *rooms, const char *name, const char *key, brtc_room **room,
                     char *why, size_t why_cap);
/* The upgrade failed after admission: forget a room that admit made and no one joined. */
void brtc_rooms_abandon(brtc_rooms *rooms, brtc_room *room);
/* The upgraded connection joins the room admit gave: it gets "joined" (now_unix: the wall
 * clock's seconds, for the TURN credentials' expiry), the others "peer-joined". */
int brtc_rooms_join(brtc_rooms *rooms, brtc_room *room, struct brtc_ws_conn *member,
                    uint64_t now_unix);
/* A member's text message: relayed to the others, or an error back to it. */
void brtc_rooms_message(brtc_rooms *rooms, struct brtc_ws_conn *member, const char *text,
                        size_t len);
/* The member's connection closed: the others get "peer-left"; an empty room goes. */
void brtc_rooms_leave(brtc_rooms *rooms, struct brtc_ws_conn *member);

/* {"iceServers":[...]} for one of serve's own pages, as rooms hand them (the TURN username
 * "<expiry>:<label>"), as JSON text the caller frees; NULL if out of memory. */
char *brtc_rooms_ice_servers_text(const brtc_rooms *rooms, const char *label, uint64_t now_unix);

void brtc_rooms_get_stats(const brtc_rooms *rooms, brtc_rooms_stats *out);

/* The password for a TURN REST username (exposed for tests): base64 of HMAC-SHA1. out gets
 * a NUL-terminated string; cap >= 29. */
int brtc_rooms_turn_password(const char *secret, const char *username, char *out, size_t cap);

#endif
