/* GET /api/status: every session (live and the last closed ones) with its journey and
 * counters, the saved keyframes and the UDP counters, as one JSON document:
 *   {"sessions":[{"id":"s1","transport":"ws","state":"connected","created_ms":...,
 *                 "steps":[{"step":"offer","t_ms":0,"detail":"..."}],
 *                 "stats":{"packets_in":..,"rtp_video":..,...},
 *                 "tracks":[{"mid":"0","kind":"video","codec":"VP8","ssrc":..,"packets":..,
 *                            "bytes":..,"lost":..,"frames":..,"keyframes":..,
 *                            "frames_dropped":..,"width":..,"height":..,
 *                            "max_bitrate_bps":..}]}],  (audio: no frames and after)
 *    "keyframes":[{"file":"shoot1.jpg","width":640,"height":480,"session":"s1","bytes":..}],
 *    "udp":{"datagrams_in":..,"dropped_unknown_source":..,...},
 *    "keyframes_dropped_busy":..,
 *    "keyframe_saving":{"submitted":..,"saved":..,"failed":..,"dropped_busy":..,
 *                       "discarded":..,"pending":..,"deferred":..,"rerequested":..,
 *                       "waiting":..}}
 * dropped_busy counts keyframes refused because every saver slot was in use; such a refusal
 * defers the session's save (deferred: waits begun, waiting: sessions in line now,
 * rerequested: keyframes asked for again when room came). */
#ifndef BRTC_SIGNAL_STATUS_JSON_H
#define BRTC_SIGNAL_STATUS_JSON_H

#include "boltrtc/loop.h"
#include "signal/keyframe_store.h"
#include "signal/keyframe_worker.h"
#include "signal/rooms.h"
#include "signal/session_table.h"

/* The limits (docs/limits.md), with what is in use and what they refused:
 *   "limits":{"sessions":{"live":..,"max":..,"refused":..},
 *             "pending":{"now":..,"max":..,"max_per_source":..,"timeout_ms":..,
 *                        "refused":..,"refused_per_source":..,"timed_out":..},
 *             "snapshot":{"interval_ms":..,"refused":..},
 *             "output":{"bytes":..,"max_bytes":.. (null: no cap),"refused":..}} */
typedef struct brtc_status_limits {
  size_t live, max_sessions;
  uint64_t refused_full;
  size_t pending, max_pending, max_pending_per_source;
  uint64_t pending_timeout_ms, refused_pending, refused_pending_source, pending_expired;
  uint64_t snapshot_interval_ms, snapshots_refused;
  uint64_t output_bytes, max_output_bytes, output_refused; /* max 0: no cap */
  const brtc_rooms_stats *rooms; /* NULL: left out */
} brtc_status_limits;

/* How to read a live session's current counters (closed ones use their saved stats). */
typedef void (*brtc_status_stats_fn)(const brtc_session *s, brtc_pc_stats *out);

/* The document as NUL-terminated text owned by the caller (free()), NULL if out of memory.
 * keyframes and udp may be NULL. */
char *brtc_status_json(const brtc_session_table *sessions, brtc_status_stats_fn live_stats,
                       const brtc_keyframe_store *keyframes, const brtc_loop_stats *udp);
/* The same with the keyframe saving counters (saving may be NULL: left out, as above). */
char *brtc_status_json_saving(const brtc_session_table *sessions, brtc_status_stats_fn live_stats,
                              const brtc_keyframe_store *keyframes, const brtc_loop_stats *udp,
                              const brtc_keyframe_worker_stats *saving);
/* The same with the sessions waiting for room in the saver (waiters may be NULL: those three
 * fields are left out). */
char *brtc_status_json_waiting(const brtc_session_table *sessions, brtc_status_stats_fn live_stats,
                               const brtc_keyframe_store *keyframes, const brtc_loop_stats *udp,
                               const brtc_keyframe_worker_stats *saving,
                               const brtc_keyframe_waitlist *waiters);
/* The same with the limits (limits may be NULL: left out). */
char *brtc_status_json_limits(const brtc_session_table *sessions, brtc_status_stats_fn live_stats,
                              const brtc_keyframe_store *keyframes, const brtc_loop_stats *udp,
                              const brtc_keyframe_worker_stats *saving,
                              const brtc_keyframe_waitlist *waiters,
                              const brtc_status_limits *limits);

#endif
