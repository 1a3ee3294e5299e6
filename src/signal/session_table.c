#include "signal/session_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"

int brtc_session_table_init(brtc_session_table *t, size_t max_live) {
  memset(t, 0, sizeof(*t));
  if (max_live == 0) return BRTC_ERR_INVALID;
  t->live = calloc(max_live, sizeof(*t->live));
  if (!t->live) return BRTC_ERR_NOMEM;
  t->max_live = max_live;
  t->next_number = 1;
  return BRTC_OK;
}

void brtc_session_table_free(brtc_session_table *t) {
  for (size_t i = 0; i < t->n_live; i++) free(t->live[i]);
  for (size_t i = 0; i < t->n_closed; i++)
    free(t->closed[(t->closed_head + i) % BRTC_SESSIONS_KEEP_CLOSED]);
  free(t->live);
  memset(t, 0, sizeof(*t));
}

brtc_session *brtc_session_table_add(brtc_session_table *t, brtc_transport transport,
                                     uint64_t now_us, int *err) {
  if (t->n_live >= t->max_live) {
    if (err) *err = BRTC_ERR_LIMIT;
    return NULL;
  }
  brtc_session *s = calloc(1, sizeof(*s));
  if (!s) {
    if (err) *err = BRTC_ERR_NOMEM;
    return NULL;
  }
  s->number = t->next_number++;
  snprintf(s->id, sizeof(s->id), "s%lu", s->number);
  s->transport = transport;
  s->created_us = now_us;
  s->state = "new";
  t->live[t->n_live++] = s;
  if (err) *err = BRTC_OK;
  return s;
}

brtc_session *brtc_session_table_find_live(const brtc_session_table *t, const char *id) {
  for (size_t i = 0; i < t->n_live; i++)
    if (strcmp(t->live[i]->id, id) == 0) return t->live[i];
  return NULL;
}

void brtc_session_table_retire(brtc_session_table *t, brtc_session *s) {
  size_t i = 0;
  while (i < t->n_live && t->live[i] != s) i++;
  if (i == t->n_live) return;
  brtc_session_passed_ice(t, s); /* no longer pending either way */
  /* Keep live sessions in creation order. */
  memmove(&t->live[i], &t->live[i + 1], (t->n_live - i - 1) * sizeof(*t->live));
  t->n_live--;
  if (t->n_closed == BRTC_SESSIONS_KEEP_CLOSED) {
    free(t->closed[t->closed_head]);
    t->closed[t->closed_head] = s;
    t->closed_head = (t->closed_head + 1) % BRTC_SESSIONS_KEEP_CLOSED;
  } else {
    t->closed[(t->closed_head + t->n_closed) % BRTC_SESSIONS_KEEP_CLOSED] = s;
    t->n_closed++;
  }
}

bool brtc_session_source_of(const struct sockaddr *client, brtc_addr *source) {
  memset(source, 0, sizeof(*source));
  if (!client) return false;
  if (client->sa_family == AF_INET) {
    memcpy(&source->u.v4, client, sizeof(source->u.v4));
    source->u.v4.sin_port = 0;
    return true;
  }
  if (client->sa_family != AF_INET6) return false;
  const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)client;
  if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
    source->u.v4.sin_family = AF_INET;
    memcpy(&source->u.v4.sin_addr, v6->sin6_addr.s6_addr + 12, 4);
    return true;
  }
  source->u.v6.sin6_family = AF_INET6;
  memcpy(source->u.v6.sin6_addr.s6_addr, v6->sin6_addr.s6_addr, 8); /* the /64 */
  return true;
}

int brtc_session_table_admit(const brtc_session_table *t, const struct sockaddr *client,
                             size_t max_pending, size_t max_per_source, size_t *from_source) {
  if (t->n_pending >= max_pending) return BRTC_ERR_LIMIT;
  brtc_addr source;
  if (!brtc_session_source_of(client, &source)) return BRTC_OK;
  size_t n = 0;
  for (size_t i = 0; i < t->n_live; i++) {
    const brtc_session *s = t->live[i];
    if (s->pending && s->has_source && brtc_addr_equal(&s->source, &source)) n++;
  }
  if (from_source) *from_source = n;
  return n >= max_per_source ? BRTC_ERR_AGAIN : BRTC_OK;
}

void brtc_session_set_pending(brtc_session_table *t, brtc_session *s,
                              const struct sockaddr *client) {
  s->has_source = brtc_session_source_of(client, &s->source);
  if (!s->pending) t->n_pending++;
  s->pending = true;
}

void brtc_session_passed_ice(brtc_session_table *t, brtc_session *s) {
  if (!s->pending) return;
  s->pending = false;
  t->n_pending--;
}

bool brtc_session_snapshot_allowed(brtc_session *s, uint64_t now_us, uint64_t interval_us,
                                   uint64_t *wait_us) {
  if (s->last_snapshot_us && now_us < s->last_snapshot_us + interval_us) {
    if (wait_us) *wait_us = s->last_snapshot_us + interval_us - now_us;
    return false;
  }
  s->last_snapshot_us = now_us ? now_us : 1; /* 0 means "none yet" */
  return true;
}

static int by_number(const void *a, const void *b) {
  const brtc_session *x = *(const brtc_session *const *)a, *y = *(const brtc_session *const *)b;
  return x->number < y->number ? -1 : x->number > y->number;
}

size_t brtc_session_table_list(const brtc_session_table *t, const brtc_session **out,
                               size_t cap) {
  size_t n = 0;
  for (size_t i = 0; i < t->n_closed && n < cap; i++)
    out[n++] = t->closed[(t->closed_head + i) % BRTC_SESSIONS_KEEP_CLOSED];
  for (size_t i = 0; i < t->n_live && n < cap; i++) out[n++] = t->live[i];
  if (n > 1) qsort(out, n, sizeof(*out), by_number);
  return n;
}

const brtc_session_step *brtc_session_add_step(brtc_session *s, const char *name,
                                               const char *detail, uint64_t now_us) {
  if (s->n_steps == BRTC_SESSION_MAX_STEPS) {
    s->steps_dropped++;
    return NULL;
  }
  brtc_session_step *st = &s->steps[s->n_steps++];
  snprintf(st->name, sizeof(st->name), "%s", name);
  snprintf(st->detail, sizeof(st->detail), "%s", detail ? detail : "");
  st->t_ms = now_us > s->created_us ? (now_us - s->created_us) / 1000 : 0;
  return st;
}

static uint32_t track_bit(size_t track) {
  return 1u << (track < BRTC_SESSION_POLICY_TRACKS ? track : BRTC_SESSION_POLICY_TRACKS - 1);
}

static uint32_t video_mask(const brtc_session *s) { return s->video_tracks ? s->video_tracks : 1u; }

bool brtc_session_track_snapshot_owed(const brtc_session *s, size_t track) {
  return s->snapshot_pending && !(s->snapshot_answered & track_bit(track));
}

bool brtc_session_track_keyframe_wanted(const brtc_session *s, size_t track, uint64_t now_us) {
  if (brtc_session_track_snapshot_owed(s, track)) return true;
  if (!(s->tracks_queued & track_bit(track))) return true; /* the track's first */
  if (s->saves_in_flight) return false;
  if (s->keyframes_saved == 0) return true;
  return now_us >= s->last_save_us + BRTC_SESSION_SAVE_PERIOD_US;
}

bool brtc_session_interval_keyframe_due(const brtc_session *s, uint64_t now_us,
                                        uint64_t interval_us) {
  if (s->saves_in_flight || s->snapshot_pending || s->waiting) return false;
  uint64_t since = s->created_us;
  if (s->last_save_us > since) since = s->last_save_us;
  if (s->interval_pli_us > since) since = s->interval_pli_us;
  return now_us >= since + interval_us;
}

bool brtc_session_track_keyframe_queued(brtc_session *s, size_t track) {
  uint32_t bit = track_bit(track);
  bool answers_snapshot = brtc_session_track_snapshot_owed(s, track);
  s->saves_in_flight++;
  s->tracks_queued |= bit;
  if (answers_snapshot) s->snapshot_answered |= bit;
  /* Answered by every video track: the Snapshot is done. */
  if ((s->snapshot_answered & video_mask(s)) == video_mask(s)) {
    s->snapshot_pending = false;
    s->snapshot_answered = 0;
  }
  return answers_snapshot;
}

void brtc_session_track_keyframe_finished(brtc_session *s, size_t track, bool saved,
                                          bool answered_snapshot, uint64_t arrived_us) {
  if (s->saves_in_flight) s->saves_in_flight--;
  if (saved) {
    s->keyframes_saved++;
    if (arrived_us > s->last_save_us) s->last_save_us = arrived_us;
  } else if (answered_snapshot) {
    s->snapshot_pending = true; /* this track's answer is wanted again */
    s->snapshot_answered &= ~track_bit(track);
  }
}

bool brtc_session_keyframe_wanted(const brtc_session *s, uint64_t now_us) {
  return brtc_session_track_keyframe_wanted(s, 0, now_us);
}

void brtc_session_keyframe_saved(brtc_session *s, uint64_t now_us) {
  s->keyframes_saved++;
  s->last_save_us = now_us;
  s->tracks_queued |= 1u;
  s->snapshot_pending = false;
  s->snapshot_answered = 0;
}

bool brtc_session_keyframe_queued(brtc_session *s) {
  return brtc_session_track_keyframe_queued(s, 0);
}

void brtc_session_keyframe_finished(brtc_session *s, bool saved, bool answered_snapshot,
                                    uint64_t arrived_us) {
  brtc_session_track_keyframe_finished(s, 0, saved, answered_snapshot, arrived_us);
}

bool brtc_keyframe_waitlist_defer(brtc_keyframe_waitlist *w, brtc_session *s) {
  if (s->waiting) {
    if (s->asked_us) w->n_asked--;
    s->asked_us = 0;
    return false;
  }
  s->waiting = true;
  s->asked_us = 0;
  s->wait_next = NULL;
  s->wait_prev = w->tail;
  if (w->tail)
    w->tail->wait_next = s;
  else
    w->head = s;
  w->tail = s;
  w->n++;
  w->deferred++;
  return true;
}

void brtc_keyframe_waitlist_remove(brtc_keyframe_waitlist *w, brtc_session *s) {
  if (!s->waiting) return;
  if (s->wait_prev)
    s->wait_prev->wait_next = s->wait_next;
  else
    w->head = s->wait_next;
  if (s->wait_next)
    s->wait_next->wait_prev = s->wait_prev;
  else
    w->tail = s->wait_prev;
  if (s->asked_us) w->n_asked--;
  w->n--;
  s->waiting = false;
  s->asked_us = 0;
  s->wait_prev = s->wait_next = NULL;
}

size_t brtc_keyframe_waitlist_take(brtc_keyframe_waitlist *w, size_t room, uint64_t now_us,
                                   brtc_session **out, size_t cap) {
  if (w->n == 0) return 0;
  for (brtc_session *s = w->head; s && w->n_asked; s = s->wait_next)
    if (s->asked_us && now_us >= s->asked_us + BRTC_KEYFRAME_ASK_HOLD_US) {
      s->asked_us = 0;
      w->n_asked--;
    }
  size_t free_room = room > w->n_asked ? room - w->n_asked : 0;
  size_t n = 0;
  for (brtc_session *s = w->head; s && n < free_room && n < cap; s = s->wait_next) {
    if (s->asked_us) continue;
    s->asked_us = now_us ? now_us : 1; /* 0 means "not asked" */
    w->n_asked++;
    w->asked++;
    out[n++] = s;
  }
  return n;
}

const char *brtc_transport_name(brtc_transport t) {
  return t == BRTC_TRANSPORT_WHIP ? "whip" : t == BRTC_TRANSPORT_WHEP ? "whep" : "ws";
}
