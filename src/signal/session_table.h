/* Sessions: one per peer connection, each with its id (s<N>), transport, journey steps and
 * keyframe save state. The table keeps the live ones and the last BRTC_SESSIONS_KEEP_CLOSED
 * closed ones (for /api/status). Pure bookkeeping: the peer connection itself is driven in
 * sessions.c. */
#ifndef BRTC_SIGNAL_SESSION_TABLE_H
#define BRTC_SIGNAL_SESSION_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boltrtc/peer_connection.h"
#include "common/addr.h"
#include "signal/session_report.h"

#define BRTC_SESSIONS_KEEP_CLOSED 100
#define BRTC_SESSION_MAX_STEPS 48
/* Keyframes other than the first and the ones asked for by Snapshot: at most one per period. */
#define BRTC_SESSION_SAVE_PERIOD_US 2000000u
/* A session asked for a keyframe because the saver had room holds that room this long (the
 * pc repeats its PLI for 5 s); after it, the room goes to the next one waiting. */
#define BRTC_KEYFRAME_ASK_HOLD_US 5000000u

/* Tracks whose counters a session record keeps for /api/status (refreshed from a live
 * session's pc when the status is asked for; the last ones once the pc is freed): a camera,
 * a screen and a microphone fit. */
#define BRTC_SESSION_KEEP_TRACKS 4
/* Tracks the keyframe policy tells apart (a bit each); later ones share the last bit. */
#define BRTC_SESSION_POLICY_TRACKS 32

typedef enum brtc_transport {
  BRTC_TRANSPORT_WS = 0,
  BRTC_TRANSPORT_WHIP,
  BRTC_TRANSPORT_WHEP, /* a viewer: the server sends (whep_play.c) */
} brtc_transport;

typedef struct brtc_session_step {
  char name[24];
  char detail[128];
  uint64_t t_ms; /* since the session started */
} brtc_session_step;

struct brtc_ws_conn;

typedef struct brtc_session {
  char id[16];
  unsigned long number;
  brtc_transport transport;
  uint64_t created_us;
  const char *state; /* "new", "connecting", "connected", "closed", "failed" (static) */
  brtc_session_step steps[BRTC_SESSION_MAX_STEPS];
  size_t n_steps;
  size_t steps_dropped;

  brtc_pc *pc;               /* NULL once closed and freed */
  uint64_t echo_dropped;     /* data channel messages the echo could not send back */
  /* Echoes waiting for room in the send buffer, oldest first (echo_media.c). */
  struct brtc_echo_pending *echo_head, *echo_tail;
  size_t echo_pending_bytes;
  bool in_loop;              /* registered with the brtc_loop */
  bool closing;              /* to be closed and freed after the current pass */
  bool reported_end;         /* a closed or failed step was recorded */
  brtc_pc_stats stats;       /* last known; refreshed when the pc is freed */
  struct brtc_ws_conn *ws;   /* the signaling connection, NULL for WHIP or once it closed */
  void *owner;               /* the server, for the pc event callback */
  struct brtc_capture *capture; /* --capture's files, NULL when not capturing */
  brtc_rate_mark rate_mark;  /* counters at the last rate line */
  unsigned media_described;  /* RTP/SRTP datagrams shown at --log-level debug so far */
  struct brtc_inspect_entry *inspect; /* its packets for /inspect, NULL when not inspected */

  /* Admission (brtc_session_table_admit). */
  brtc_addr source;          /* the signaling client's source: its IPv4 address, or IPv6 /64 */
  bool has_source;
  bool pending;              /* live and no authenticated ICE check yet */

  /* Snapshot requests: at most one per interval (brtc_session_snapshot_allowed). */
  uint64_t last_snapshot_us;

  /* Keyframe save policy (brtc_session_keyframe_wanted). */
  bool snapshot_pending;
  unsigned long keyframes_saved;
  uint64_t last_save_us;
  uint64_t interval_pli_us;  /* the last --keyframe-interval request; 0: none yet */
  unsigned saves_in_flight; /* handed to the keyframe worker, result not back yet */
  /* Several tracks (issue 6): a bit per track index. A track's first keyframe is wanted
   * even while another track's save is in flight, and a Snapshot wants one of every video
   * track (video_tracks; 0 counts as track 0 alone). */
  uint32_t tracks_queued;     /* tracks with a keyframe handed to the saver */
  uint32_t snapshot_answered; /* tracks whose keyframe answered the pending Snapshot */
  uint32_t video_tracks;
  uint32_t tracks_started;    /* tracks whose first packet the journey has shown */
  brtc_pc_track_stats tracks[BRTC_SESSION_KEEP_TRACKS]; /* the first ones, last known */
  size_t n_tracks;

  /* Waiting for room in the keyframe saver (brtc_keyframe_waitlist). */
  struct brtc_session *wait_prev, *wait_next;
  bool waiting;
  uint64_t asked_us; /* when a keyframe was asked for to fill free room; 0: not asked */

  struct brtc_whep_play *play; /* a WHEP viewer's source and track (whep_play.c); NULL else */
  /* serve --echo (echo_media.c): the track that sends the publisher's video back. */
  struct brtc_track *echo_track;
  bool echo_started;
  uint32_t echo_last_ts;
  uint64_t echo_base_us, echo_ext_ts, echo_frames;
} brtc_session;

/* Sessions whose wanted keyframe was refused because every saver slot was in use, oldest
 * first. Their keyframe is not lost: the policy still wants the next one, and when slots
 * free up the oldest waiters, as many as there are free slots, are asked for a keyframe
 * (PLI) — fair, and never a PLI storm. Bookkeeping only; the server sends the requests. */
typedef struct brtc_keyframe_waitlist {
  brtc_session *head, *tail;
  size_t n;          /* sessions waiting */
  size_t n_asked;    /* of them, asked for a keyframe and holding a slot's worth of room */
  uint64_t deferred; /* waits begun */
  uint64_t asked;    /* keyframes asked for */
} brtc_keyframe_waitlist;

typedef struct brtc_session_table {
  brtc_session **live;
  size_t n_live, max_live;
  brtc_session *closed[BRTC_SESSIONS_KEEP_CLOSED]; /* ring, oldest at closed_head */
  size_t closed_head, n_closed;
  unsigned long next_number;
  size_t n_pending; /* live sessions with pending set */
} brtc_session_table;

int brtc_session_table_init(brtc_session_table *t, size_t max_live);
/* Frees every record; the caller has freed their peer connections. */
void brtc_session_table_free(brtc_session_table *t);
/* A new live session s<N>; NULL with *err = BRTC_ERR_LIMIT when max_live are live. */
brtc_session *brtc_session_table_add(brtc_session_table *t, brtc_transport transport,
                                     uint64_t now_us, int *err);
/* Sessions that have not passed ICE (no authenticated check yet) cost a slot without having
 * proven anything, so their number is bounded in all and per source. A source is the
 * signaling client's IPv4 address, or its IPv6 /64 (one subscriber's usual share); NULL or
 * another family: no source (counted in the total only). Returns BRTC_OK when one more may
 * start, BRTC_ERR_LIMIT when max_pending are pending (*from_source untouched), or
 * BRTC_ERR_AGAIN when max_per_source of them come from client's source (*from_source gets
 * how many). */
int brtc_session_table_admit(const brtc_session_table *t, const struct sockaddr *client,
                             size_t max_pending, size_t max_per_source, size_t *from_source);
/* A new session's admission state: pending, from client's source (may be NULL). */
void brtc_session_set_pending(brtc_session_table *t, brtc_session *s,
                              const struct sockaddr *client);
/* s passed ICE (its first authenticated check): no longer pending. */
void brtc_session_passed_ice(brtc_session_table *t, brtc_session *s);
/* The source an address counts toward: IPv4 as is (IPv4-mapped IPv6 too), IPv6 cut to its
 * /64, port 0. False for other families. */
bool brtc_session_source_of(const struct sockaddr *client, brtc_addr *source);

/* A live session by id, or NULL. */
brtc_session *brtc_session_table_find_live(const brtc_session_table *t, const char *id);
/* Move a live session to the closed ring (its pc must already be freed); the oldest closed
 * record is freed when the ring is full. */
void brtc_session_table_retire(brtc_session_table *t, brtc_session *s);
/* Every session, live and closed, ordered by number (oldest first). Returns how many were
 * written (at most cap). */
size_t brtc_session_table_list(const brtc_session_table *t, const brtc_session **out, size_t cap);

/* Record a journey step; returns the step (NULL if the list is full). detail may be NULL. */
const brtc_session_step *brtc_session_add_step(brtc_session *s, const char *name,
                                               const char *detail, uint64_t now_us);
/* The save policy for a keyframe arriving now: the session's first, any after a Snapshot
 * request, otherwise at most one per BRTC_SESSION_SAVE_PERIOD_US. While a save is in flight
 * only a Snapshot request wants another. */
bool brtc_session_keyframe_wanted(const brtc_session *s, uint64_t now_us);
/* --keyframe-interval: whether to ask a connected session for a keyframe now, interval_us
 * after its last saved keyframe, its last such request, or its start, whichever is latest;
 * never while a keyframe of it is being saved, a Snapshot's is awaited, or it waits for room
 * in the saver (that path asks by itself). */
bool brtc_session_interval_keyframe_due(const brtc_session *s, uint64_t now_us,
                                        uint64_t interval_us);
/* Whether a pending Snapshot still wants this track's keyframe. */
bool brtc_session_track_snapshot_owed(const brtc_session *s, size_t track);
/* The same for a keyframe of one track (brtc_video_frame.track). */
bool brtc_session_track_keyframe_wanted(const brtc_session *s, size_t track, uint64_t now_us);
bool brtc_session_track_keyframe_queued(brtc_session *s, size_t track);
void brtc_session_track_keyframe_finished(brtc_session *s, size_t track, bool saved,
                                          bool answered_snapshot, uint64_t arrived_us);
/* Note a saved keyframe (clears a pending Snapshot). */
void brtc_session_keyframe_saved(brtc_session *s, uint64_t now_us);
/* Saving off the loop thread: a wanted keyframe was handed over (this answers a pending
 * Snapshot); returns whether it did, to give back to brtc_session_keyframe_finished. */
bool brtc_session_keyframe_queued(brtc_session *s);
/* Its result: saved counts it as saved when it arrived (arrived_us); not saved leaves the
 * policy wanting the next keyframe, and the Snapshot it answered pending again. */
void brtc_session_keyframe_finished(brtc_session *s, bool saved, bool answered_snapshot,
                                    uint64_t arrived_us);

/* A Snapshot at now: true (and noted) when the last one is at least interval_us old; else
 * false with *wait_us set to the time until the next is allowed. */
bool brtc_session_snapshot_allowed(brtc_session *s, uint64_t now_us, uint64_t interval_us,
                                   uint64_t *wait_us);

/* A wanted keyframe of s was refused for lack of room: s waits, at the end of the list if it
 * was not waiting, else in its place (an ask it had is spent). Returns true if it joined. */
bool brtc_keyframe_waitlist_defer(brtc_keyframe_waitlist *w, brtc_session *s);
/* s no longer waits (its keyframe was taken, or it ended); no-op if it was not waiting. */
void brtc_keyframe_waitlist_remove(brtc_keyframe_waitlist *w, brtc_session *s);
/* room slots are free in the saver: the oldest waiters not yet asked, as many as room less
 * the asks still holding room, are marked asked at now and written to out (at most cap).
 * Asks older than BRTC_KEYFRAME_ASK_HOLD_US stop holding room first. Returns how many. */
size_t brtc_keyframe_waitlist_take(brtc_keyframe_waitlist *w, size_t room, uint64_t now_us,
                                   brtc_session **out, size_t cap);

const char *brtc_transport_name(brtc_transport t);

#endif
