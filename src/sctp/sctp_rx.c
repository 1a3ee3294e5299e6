/* Receiving: which TSNs arrived (the cumulative TSN, gap ranges and duplicates that a SACK
 * reports, RFC 9260 6.2 and 3.3.4), when to SACK (every second packet or within 200 ms, at
 * once for gaps and duplicates), our window, reassembly of fragmented messages (6.9), ordered
 * delivery per stream by SSN and unordered delivery at once (6.6), and FORWARD TSN (RFC 3758
 * 3.6). Each chunk is copied once, out of the caller's packet into a block; a message of one
 * chunk is handed out from that block, a fragmented one is copied once more into one piece
 * when its last fragment arrives. */
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "sctp/sctp_internal.h"

#define BLOCK_ALLOC (sizeof(sctp_rnode) + SCTP_RX_BLOCK_PAYLOAD)
#define DELAYED_SACK_US (200u * SCTP_US_PER_MS) /* RFC 9260 6.2: at most 200 ms */
#define MAX_TSN_AHEAD 65535u /* a gap block's offsets are 16 bits */

/* ---- nodes ---- */

static size_t alloc_size(size_t len) {
  return len <= SCTP_RX_BLOCK_PAYLOAD ? BLOCK_ALLOC : sizeof(sctp_rnode) + len;
}

static sctp_rnode *node_alloc(sctp_rx *rx, size_t len) {
  size_t size = alloc_size(len);
  sctp_rnode *n;
  if (size == BLOCK_ALLOC && rx->pool_n)
    n = rx->pool[--rx->pool_n];
  else if (!(n = malloc(size)))
    return NULL;
  n->next = n->prev = NULL;
  n->len = (uint32_t)len;
  n->alloc = (uint32_t)size;
  rx->held += size;
  return n;
}

void sctp_rx_free_node(brtc_sctp *a, sctp_rnode *n) {
  sctp_rx *rx = &a->rx;
  rx->held -= n->alloc;
  if (n->alloc == BLOCK_ALLOC && rx->pool_n < SCTP_RX_POOL)
    rx->pool[rx->pool_n++] = n;
  else
    free(n);
}

/* ---- lifecycle ---- */

void sctp_rx_init(brtc_sctp *a) {
  sctp_rx *rx = &a->rx;
  memset(rx, 0, sizeof *rx);
  rx->istreams.elem = sizeof(sctp_istream);
  rx->sack_deadline = SCTP_NEVER;
}

static void free_list(brtc_sctp *a, sctp_rnode *n) {
  while (n) {
    sctp_rnode *next = n->next;
    sctp_rx_free_node(a, n);
    n = next;
  }
}

void sctp_rx_free(brtc_sctp *a) {
  sctp_rx *rx = &a->rx;
  free_list(a, rx->head);
  rx->head = rx->tail = NULL;
  for (uint32_t i = 0; i < rx->istreams.count; i++) {
    sctp_istream *is = sctp_table_at(&rx->istreams, i);
    free_list(a, is->parked);
  }
  sctp_table_free(&rx->istreams);
  if (rx->handed_out) sctp_rx_free_node(a, rx->handed_out);
  rx->handed_out = NULL;
  while (rx->pool_n) free(rx->pool[--rx->pool_n]);
}

void sctp_rx_start(brtc_sctp *a, uint32_t peer_initial_tsn) {
  a->rx.cum_tsn = peer_initial_tsn - 1;
  a->rx.highest_tsn = a->rx.cum_tsn;
  a->rx.last_a_rwnd = sctp_rx_a_rwnd(a);
}

uint32_t sctp_rx_a_rwnd(const brtc_sctp *a) {
  return a->rx.held >= a->cfg.recv_window ? 0 : (uint32_t)(a->cfg.recv_window - a->rx.held);
}

size_t sctp_rx_memory(const brtc_sctp *a) {
  return a->rx.held + (size_t)a->rx.pool_n * BLOCK_ALLOC +
         (size_t)a->rx.istreams.cap * sizeof(sctp_istream);
}

/* ---- TSN bookkeeping ---- */

static bool tsn_seen(const sctp_rx *rx, uint32_t tsn) {
  if (tsn_le(tsn, rx->cum_tsn)) return true;
  for (uint32_t i = 0; i < rx->n_gaps && tsn_le(rx->gaps[i].start, tsn); i++)
    if (tsn_le(tsn, rx->gaps[i].end)) return true;
  return false;
}

/* Whether recording tsn would need a new gap range when none is left. */
static bool gap_table_full_for(const sctp_rx *rx, uint32_t tsn) {
  if (rx->n_gaps < SCTP_RX_MAX_GAPS || tsn == rx->cum_tsn + 1) return false;
  for (uint32_t i = 0; i < rx->n_gaps; i++)
    if (rx->gaps[i].start == tsn + 1 || rx->gaps[i].end + 1 == tsn) return false;
  return true;
}

/* The cumulative TSN swallows the ranges it reached. */
static void absorb_gaps(sctp_rx *rx) {
  uint32_t k = 0;
  while (k < rx->n_gaps && tsn_le(rx->gaps[k].start, rx->cum_tsn + 1)) {
    if (tsn_gt(rx->gaps[k].end, rx->cum_tsn)) rx->cum_tsn = rx->gaps[k].end;
    k++;
  }
  if (k) {
    memmove(rx->gaps, rx->gaps + k, (rx->n_gaps - k) * sizeof rx->gaps[0]);
    rx->n_gaps -= k;
  }
}

/* A TSN not seen before, above the cumulative TSN. */
static void tsn_record(sctp_rx *rx, uint32_t tsn) {
  if (tsn_gt(tsn, rx->highest_tsn)) rx->highest_tsn = tsn;
  if (tsn == rx->cum_tsn + 1) {
    rx->cum_tsn = tsn;
    if (rx->n_gaps) absorb_gaps(rx);
    return;
  }
  uint32_t i = 0;
  while (i < rx->n_gaps && tsn_lt(rx->gaps[i].start, tsn)) i++;
  bool join_prev = i > 0 && rx->gaps[i - 1].end + 1 == tsn;
  bool join_next = i < rx->n_gaps && rx->gaps[i].start == tsn + 1;
  if (join_prev && join_next) {
    rx->gaps[i - 1].end = rx->gaps[i].end;
    memmove(rx->gaps + i, rx->gaps + i + 1, (rx->n_gaps - i - 1) * sizeof rx->gaps[0]);
    rx->n_gaps--;
  } else if (join_prev) {
    rx->gaps[i - 1].end = tsn;
  } else if (join_next) {
    rx->gaps[i].start = tsn;
  } else {
    memmove(rx->gaps + i + 1, rx->gaps + i, (rx->n_gaps - i) * sizeof rx->gaps[0]);
    rx->gaps[i].start = rx->gaps[i].end = tsn;
    rx->n_gaps++;
  }
}

/* ---- delivery ---- */

static bool push_message(brtc_sctp *a, sctp_rnode *m) {
  sctp_event_item ev = {.type = BRTC_SCTP_EVENT_MESSAGE,
                        .unordered = (m->flags & BRTC_SCTP_DATA_U) != 0,
                        .stream = m->stream,
                        .ppid = m->ppid,
                        .msg = m};
  if (sctp_event_push(a, &ev)) return true;
  sctp_rx_free_node(a, m);
  sctp_fail(a, BRTC_SCTP_CAUSE_OUT_OF_RESOURCE, "out of memory for received messages");
  return false;
}

/* Hands out the parked messages that are next in order. */
static void flush_parked(brtc_sctp *a, sctp_istream *is) {
  while (is->parked && is->parked->ssn == is->next_ssn && a->state != BRTC_SCTP_GONE) {
    sctp_rnode *m = is->parked;
    is->parked = m->next;
    m->next = NULL;
    a->rx.held_reasm -= m->alloc;
    is->next_ssn++;
    push_message(a, m);
  }
}

/* A whole message: out now if unordered or next in order, parked by SSN otherwise. */
static void deliver(brtc_sctp *a, sctp_rnode *m) {
  if (m->flags & BRTC_SCTP_DATA_U) {
    push_message(a, m);
    return;
  }
  sctp_istream *is = sctp_table_find(&a->rx.istreams, m->stream);
  if (!is || ssn_lt(m->ssn, is->next_ssn)) { /* already handed out: a peer's mistake */
    a->stats.dropped_unexpected++;
    sctp_rx_free_node(a, m);
    return;
  }
  if (m->ssn == is->next_ssn) {
    is->next_ssn++;
    if (push_message(a, m)) flush_parked(a, is);
    return;
  }
  sctp_rnode **p = &is->parked;
  while (*p && ssn_lt((*p)->ssn, m->ssn)) p = &(*p)->next;
  if (*p && (*p)->ssn == m->ssn) { /* the same SSN twice: a peer's mistake */
    a->stats.dropped_unexpected++;
    sctp_rx_free_node(a, m);
    return;
  }
  m->next = *p;
  *p = m;
  a->rx.held_reasm += m->alloc;
}

static void list_unlink(sctp_rx *rx, sctp_rnode *first, sctp_rnode *last) {
  if (first->prev)
    first->prev->next = last->next;
  else
    rx->head = last->next;
  if (last->next)
    last->next->prev = first->prev;
  else
    rx->tail = first->prev;
  first->prev = last->next = NULL;
}

static bool same_message(const sctp_rnode *x, const sctp_rnode *y) {
  if (x->stream != y->stream || ((x->flags ^ y->flags) & BRTC_SCTP_DATA_U)) return false;
  return (x->flags & BRTC_SCTP_DATA_U) || x->ssn == y->ssn;
}

/* If n completes a run from a B fragment to an E fragment on consecutive TSNs, the message is
 * put together and delivered. */
static void try_complete(brtc_sctp *a, sctp_rnode *n) {
  sctp_rx *rx = &a->rx;
  sctp_rnode *first = n, *last = n;
  while (!(first->flags & BRTC_SCTP_DATA_B)) {
    if (!first->prev || first->prev->tsn != first->tsn - 1) return;
    first = first->prev;
  }
  while (!(last->flags & BRTC_SCTP_DATA_E)) {
    if (!last->next || last->next->tsn != last->tsn + 1) return;
    last = last->next;
  }
  size_t total = 0;
  for (sctp_rnode *c = first;; c = c->next) {
    if (!same_message(first, c)) {
      sctp_fail(a, BRTC_SCTP_CAUSE_PROTOCOL_VIOLATION, "fragments of one message disagree");
      return;
    }
    total += c->len;
    if (c == last) break;
  }
  if (total > a->cfg.max_inbound_message) {
    sctp_fail(a, BRTC_SCTP_CAUSE_OUT_OF_RESOURCE, "a message over our max-message-size");
    return;
  }
  sctp_rnode *m = node_alloc(rx, total);
  if (!m) {
    sctp_fail(a, BRTC_SCTP_CAUSE_OUT_OF_RESOURCE, "out of memory reassembling a message");
    return;
  }
  m->tsn = first->tsn;
  m->ppid = first->ppid;
  m->stream = first->stream;
  m->ssn = first->ssn;
  m->flags = (uint8_t)((first->flags & BRTC_SCTP_DATA_U) | BRTC_SCTP_DATA_B | BRTC_SCTP_DATA_E);
  list_unlink(rx, first, last);
  size_t off = 0;
  for (sctp_rnode *c = first; c;) {
    sctp_rnode *next = c->next;
    memcpy(m->data + off, c->data, c->len);
    off += c->len;
    rx->held_reasm -= c->alloc;
    sctp_rx_free_node(a, c);
    c = next;
  }
  deliver(a, m);
}

/* Chunks left at the head with no first fragment can never complete (their start was
 * abandoned by a FORWARD TSN): they go. */
static void drop_orphans(brtc_sctp *a) {
  sctp_rx *rx = &a->rx;
  while (rx->head && tsn_le(rx->head->tsn, rx->cum_tsn) &&
         !(rx->head->flags & BRTC_SCTP_DATA_B)) {
    sctp_rnode *n = rx->head;
    list_unlink(rx, n, n);
    rx->held_reasm -= n->alloc;
    sctp_rx_free_node(a, n);
  }
}

static void insert_sorted(sctp_rx *rx, sctp_rnode *n) {
  sctp_rnode *after = rx->tail; /* mostly in order: search from the end */
  while (after && tsn_gt(after->tsn, n->tsn)) after = after->prev;
  n->prev = after;
  n->next = after ? after->next : rx->head;
  if (n->next)
    n->next->prev = n;
  else
    rx->tail = n;
  if (after)
    after->next = n;
  else
    rx->head = n;
}

int sctp_rx_handle_data(brtc_sctp *a, uint64_t now_us, const brtc_sctp_data *d) {
  (void)now_us;
  sctp_rx *rx = &a->rx;
  a->stats.data_chunks_received++;
  if (d->len == 0) { /* RFC 9260 6.2 */
    sctp_fail(a, BRTC_SCTP_CAUSE_NO_USER_DATA, "a DATA chunk without user data");
    return BRTC_ERR_LIMIT;
  }
  if (tsn_seen(rx, d->tsn)) {
    a->stats.duplicate_tsns_received++;
    if (rx->n_dups < SCTP_RX_MAX_DUPS) rx->dups[rx->n_dups++] = d->tsn;
    rx->sack_now = true; /* 6.2: a duplicate is answered at once */
    return BRTC_OK;
  }
  if (d->tsn - rx->cum_tsn > MAX_TSN_AHEAD || gap_table_full_for(rx, d->tsn)) {
    a->stats.dropped_window++;
    return BRTC_OK;
  }
  if (d->stream >= a->inbound_streams) {
    /* 6.5: acknowledge it, discard it, and say so. */
    tsn_record(rx, d->tsn);
    a->error_due = true;
    a->error_cause = BRTC_SCTP_CAUSE_INVALID_STREAM;
    a->error_info[0] = (uint8_t)(d->stream >> 8);
    a->error_info[1] = (uint8_t)d->stream;
    a->error_info[2] = a->error_info[3] = 0;
    a->error_info_len = 4;
    drop_orphans(a);
    return BRTC_OK;
  }
  size_t size = alloc_size(d->len);
  if (rx->held + size > a->cfg.recv_window) {
    /* 6.2: with no room, a TSN above the highest is dropped; one that fills a hole is still
     * taken (up to twice the window), so the cumulative TSN can always move. */
    if (tsn_gt(d->tsn, rx->highest_tsn) || rx->held + size > 2ull * a->cfg.recv_window) {
      a->stats.dropped_window++;
      /* Nothing missing, yet the window full of what cannot be handed out: a message larger
       * than the window, which would stall forever. */
      if (rx->n_gaps == 0 && rx->held_reasm + size > a->cfg.recv_window) {
        sctp_fail(a, BRTC_SCTP_CAUSE_OUT_OF_RESOURCE, "a message larger than our window");
        return BRTC_ERR_LIMIT;
      }
      return BRTC_OK;
    }
  }
  if (!(d->flags & BRTC_SCTP_DATA_U) &&
      !sctp_table_get(&rx->istreams, d->stream, a->cfg.max_streams)) {
    if (rx->istreams.count >= a->cfg.max_streams) {
      sctp_fail(a, BRTC_SCTP_CAUSE_OUT_OF_RESOURCE, "too many streams");
      return BRTC_ERR_LIMIT;
    }
    return BRTC_OK; /* out of memory: not acknowledged, the peer sends it again */
  }
  sctp_rnode *n = node_alloc(rx, d->len);
  if (!n) return BRTC_OK;
  n->tsn = d->tsn;
  n->ppid = d->ppid;
  n->stream = d->stream;
  n->ssn = d->ssn;
  n->flags = d->flags & (BRTC_SCTP_DATA_B | BRTC_SCTP_DATA_E | BRTC_SCTP_DATA_U);
  memcpy(n->data, d->payload, d->len);
  tsn_record(rx, d->tsn);
  if ((n->flags & (BRTC_SCTP_DATA_B | BRTC_SCTP_DATA_E)) ==
      (BRTC_SCTP_DATA_B | BRTC_SCTP_DATA_E)) {
    deliver(a, n); /* the common case: a whole message in one chunk */
  } else {
    rx->held_reasm += n->alloc;
    insert_sorted(rx, n);
    try_complete(a, n);
  }
  if (a->state != BRTC_SCTP_GONE) {
    drop_orphans(a);
    sctp_reset_cum_advanced(a);
  }
  return a->state == BRTC_SCTP_GONE ? BRTC_ERR_LIMIT : BRTC_OK;
}

void sctp_rx_packet_done(brtc_sctp *a, uint64_t now_us, bool had_data, bool immediate) {
  sctp_rx *rx = &a->rx;
  if (!had_data) return;
  rx->packets_unacked++;
  /* 6.2: every second packet; at once when something is missing or came twice (6.7), or when
   * the sender asked with the I bit. */
  if (immediate || rx->n_gaps || rx->n_dups || rx->packets_unacked >= 2)
    rx->sack_now = true;
  else if (rx->sack_deadline == SCTP_NEVER)
    rx->sack_deadline = now_us + DELAYED_SACK_US;
}

bool sctp_rx_sack_due(const brtc_sctp *a, uint64_t now_us) {
  return a->rx.sack_now || a->rx.sack_deadline <= now_us;
}

bool sctp_rx_write_sack(brtc_sctp *a, brtc_sctp_writer *w) {
  sctp_rx *rx = &a->rx;
  brtc_sctp_gap gaps[SCTP_RX_MAX_GAPS];
  for (uint32_t i = 0; i < rx->n_gaps; i++) {
    gaps[i].start = (uint16_t)(rx->gaps[i].start - rx->cum_tsn);
    gaps[i].end = (uint16_t)(rx->gaps[i].end - rx->cum_tsn);
  }
  uint32_t a_rwnd = sctp_rx_a_rwnd(a);
  if (!brtc_sctp_write_sack(w, rx->cum_tsn, a_rwnd, gaps, rx->n_gaps, rx->dups, rx->n_dups))
    return false;
  rx->n_dups = 0;
  rx->sack_now = false;
  rx->packets_unacked = 0;
  rx->sack_deadline = SCTP_NEVER;
  rx->last_a_rwnd = a_rwnd;
  a->stats.sacks_sent++;
  return true;
}

/* The owner has taken the message: keep it until the next call, then free it. Once memory is
 * back, a window that had closed below half is announced at once (6.2, window update). */
void sctp_rx_hand_out(brtc_sctp *a, sctp_rnode *msg) {
  sctp_rx_release_handed_out(a);
  a->rx.handed_out = msg;
  a->stats.messages_received++;
}

void sctp_rx_release_handed_out(brtc_sctp *a) {
  sctp_rx *rx = &a->rx;
  if (!rx->handed_out) return;
  sctp_rx_free_node(a, rx->handed_out);
  rx->handed_out = NULL;
  uint32_t half = a->cfg.recv_window / 2;
  if (rx->last_a_rwnd < half && sctp_rx_a_rwnd(a) >= half && a->state >= BRTC_SCTP_ESTABLISHED &&
      a->state != BRTC_SCTP_GONE)
    rx->sack_now = true;
}

/* ---- FORWARD TSN (RFC 3758 3.6) ---- */

void sctp_rx_handle_forward_tsn(brtc_sctp *a, uint64_t now_us, const brtc_sctp_forward_tsn *f) {
  (void)now_us;
  sctp_rx *rx = &a->rx;
  a->stats.forward_tsns_received++;
  rx->sack_now = true; /* the sender learns at once where we are */
  uint32_t new_cum = f->new_cum_tsn;
  if (tsn_le(new_cum, rx->cum_tsn)) return; /* out of date */
  if (new_cum - rx->cum_tsn > MAX_TSN_AHEAD) {
    a->stats.dropped_window++;
    return;
  }
  /* Fragments at or below the new cumulative TSN belong to abandoned messages. */
  while (rx->head && tsn_le(rx->head->tsn, new_cum)) {
    sctp_rnode *n = rx->head;
    list_unlink(rx, n, n);
    rx->held_reasm -= n->alloc;
    sctp_rx_free_node(a, n);
  }
  rx->cum_tsn = new_cum;
  if (tsn_gt(new_cum, rx->highest_tsn)) rx->highest_tsn = new_cum;
  while (rx->n_gaps && tsn_le(rx->gaps[0].end, new_cum)) {
    memmove(rx->gaps, rx->gaps + 1, (rx->n_gaps - 1) * sizeof rx->gaps[0]);
    rx->n_gaps--;
  }
  absorb_gaps(rx);
  /* Ordered streams skip past the abandoned SSN, handing out what was complete before it. */
  for (unsigned i = 0; i < f->n_streams && a->state != BRTC_SCTP_GONE; i++) {
    brtc_sctp_stream_ssn s = brtc_sctp_forward_tsn_stream(f, i);
    sctp_istream *is = sctp_table_find(&rx->istreams, s.stream);
    if (!is) {
      if (s.stream >= a->inbound_streams) continue;
      is = sctp_table_get(&rx->istreams, s.stream, a->cfg.max_streams);
      if (!is) continue;
    }
    if (ssn_lt(s.ssn, is->next_ssn)) continue;
    while (is->parked && ssn_le(is->parked->ssn, s.ssn) && a->state != BRTC_SCTP_GONE) {
      sctp_rnode *m = is->parked;
      is->parked = m->next;
      m->next = NULL;
      rx->held_reasm -= m->alloc;
      push_message(a, m);
    }
    is->next_ssn = (uint16_t)(s.ssn + 1);
    flush_parked(a, is);
  }
  if (a->state == BRTC_SCTP_GONE) return;
  drop_orphans(a);
  sctp_reset_cum_advanced(a);
}

/* ---- stream reset ---- */

static void reset_one(brtc_sctp *a, sctp_istream *is) {
  is->next_ssn = 0;
  flush_parked(a, is); /* messages of the stream's new life may have been waiting */
}

void sctp_rx_reset_streams(brtc_sctp *a, const uint16_t *streams, uint32_t n) {
  sctp_table *t = &a->rx.istreams;
  if (n == 0) {
    for (uint32_t i = 0; i < t->count; i++) reset_one(a, sctp_table_at(t, i));
  } else {
    for (uint32_t i = 0; i < n; i++) {
      sctp_istream *is = sctp_table_find(t, streams[i]);
      if (is) reset_one(a, is);
    }
  }
  /* Streams back at their start with nothing waiting need no state. */
  for (uint32_t i = t->count; i-- > 0;) {
    sctp_istream *is = sctp_table_at(t, i);
    if (is->next_ssn == 0 && !is->parked) sctp_table_remove(t, is->id);
  }
}
