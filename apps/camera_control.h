/* The remote camera's control messages, on the data channel "control" (`boltrtc camera`,
 * docs/camera.md). The page sends one JSON text per key press or stick change:
 *
 *     {"seq":12,"t":53211.5,"steer":-1,"throttle":0.5}
 *
 * seq counts up from 0 (the newest command is the one that counts: the channel is unordered
 * and never resends, so an older seq that arrives after a newer one is stale); t is the
 * page's own clock in ms, echoed back so the page needs no state to time the round trip;
 * steer and throttle are -1 to 1 (left/back to right/forward). The device answers each on
 * the same channel with
 *
 *     {"type":"ack","seq":12,"t":53211.5,"rx":1765087200123.456,"stale":false}
 *
 * rx being the device's wall clock (Unix ms) when it took the command. Pure functions: no
 * I/O, no clock. */
#ifndef BRTC_APPS_CAMERA_CONTROL_H
#define BRTC_APPS_CAMERA_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A command's seq is a JSON number; 2^53 keeps it exact in the page's doubles. */
#define CAMERA_SEQ_MAX 9007199254740991.0
#define CAMERA_CONTROL_MAX 512 /* bytes: a command is far shorter; longer is refused */
#define CAMERA_ACK_MAX 160

typedef struct camera_command {
  uint64_t seq;
  double t_ms;          /* the page's send time, its own clock */
  double steer;         /* -1 (left) .. 1 (right) */
  double throttle;      /* -1 (reverse) .. 1 (forward) */
} camera_command;

/* 0 and *out for a good command; -1 with a one-line reason in err otherwise (not JSON, not
 * an object, seq missing or not a whole number from 0 to 2^53, t missing or not finite,
 * steer or throttle missing or outside -1..1). Other members are ignored, so a page may add
 * its own. */
int camera_command_parse(const char *text, size_t len, camera_command *out, char *err,
                         size_t err_cap);

/* The ack for cmd into buf (NUL-terminated); rx_unix_ms is the device's wall clock when it
 * took the command, stale whether a newer seq had come first. Returns its length, or -1 if
 * cap is too small (CAMERA_ACK_MAX is enough). */
int camera_ack_format(const camera_command *cmd, double rx_unix_ms, bool stale, char *buf,
                      size_t cap);

/* Keeps the newest seq: true if cmd is newer than every command before it (the one the
 * motors take), false for a stale or repeated one. */
typedef struct camera_command_order {
  bool any;
  uint64_t newest;
} camera_command_order;
bool camera_command_is_newest(camera_command_order *o, const camera_command *cmd);

#endif
