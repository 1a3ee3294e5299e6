/* Sending: per-stream queues served round robin, message by message (a message's fragments
 * take consecutive TSNs, RFC 9260 6.9, so one message is finished before the next starts);
 * fragmentation to the MTU; the outstanding chunks in a ring indexed by TSN; SACK processing
 * (6.2.1) with gap blocks and reneging; fast retransmit on three miss indications with the
 * highest-newly-acked rule (7.2.4); T3-rtx (6.3.3); congestion control (7.2: slow start,
 * congestion avoidance, fast recovery, Max.Burst); the peer's window (6.1); and partial
 * reliability (RFC 3758): messages given up after their retransmission limit or lifetime, and
 * the FORWARD TSN that tells the peer.
 *
 * A message is one allocation (header and bytes); chunks are slices of it, written straight
 * from it into the packet being built. Nothing is allocated per packet; the ring grows by
 * doubling and is freed once nothing is outstanding. */
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "sctp/sctp_internal.h"

#define MAX_BURST 4          /* RFC 9260 15: Max.Burst */
#define INITIAL_CWND_MTUS 10 /* RFC 6928's ten segments, as dcsctp; RFC 9260 7.2.1 allows ~3 */
#define MIN_CWND_MTUS 4      /* RFC 9260 7.2.3: ssthresh never below 4 MTUs */
#define MAX_OUTSTANDING 8192 /* chunks in flight at once: ~9.5 MB of full chunks */
#define RING_MIN 16
#define MIN_FILL 64 /* a fragment smaller than this is not cut just to fill a packet */

static inline sctp_out *out_at(const sctp_tx *tx, uint32_t tsn) {
  return &tx->ring[tsn & (tx->ring_cap - 1)];
}
static inline uint32_t chunk_bytes(const sctp_out *e) { return BRTC_SCTP_DATA_HEADER + e->len; }
static inline uint32_t outstanding(const sctp_tx *tx) { return tx->next_tsn - tx->cum_ack - 1; }
static inline uint32_t mtu(const brtc_sctp *a) { return a->cfg.mtu; }

int sctp_tx_init(brtc_sctp *a) {
  sctp_tx *tx = &a->tx;
  memset(tx, 0, sizeof *tx);
  tx->ostreams.elem = sizeof(sctp_ostream);
  tx->t3_deadline = SCTP_NEVER;
  tx->max_payload = a->cfg.mtu - BRTC_SCTP_COMMON_HEADER - BRTC_SCTP_DATA_HEADER;
  tx->cwnd = INITIAL_CWND_MTUS * mtu(a);
  tx->ssthresh = UINT32_MAX;
  tx->burst_left = MAX_BURST;
  sctp_rto_init(&tx->rto, a->cfg.rto_initial_ms, a->cfg.rto_min_ms, a->cfg.rto_max_ms);
  return BRTC_OK;
}

static void msg_unref(brtc_sctp *a, sctp_msg *m) {
  if (--m->refs) return;
  a->tx.held -= sizeof(sctp_msg) + m->len;
  free(m);
}

void sctp_tx_free(brtc_sctp *a) {
  sctp_tx *tx = &a->tx;
  if (tx->ring)
    for (uint32_t t = tx->cum_ack + 1; t != tx->next_tsn; t++) msg_unref(a, out_at(tx, t)->msg);
  for (uint32_t i = 0; i < tx->ostreams.count; i++) {
    sctp_ostream *os = sctp_table_at(&tx->ostreams, i);
    while (os->head) {
      sctp_msg *m = os->head;
      os->head = m->next;
      msg_unref(a, m);
    }
  }
  free(tx->ring);
  sctp_table_free(&tx->ostreams);
  tx->ring = NULL;
  tx->ring_cap = 0;
  tx->current = NULL;
}

void sctp_tx_start(brtc_sctp *a, uint32_t initial_tsn, uint32_t peer_a_rwnd) {
  sctp_tx *tx = &a->tx;
  tx->next_tsn = initial_tsn;
  tx->cum_ack = initial_tsn - 1;
  tx->adv_peer_ack = tx->cum_ack;
  tx->peer_a_rwnd = peer_a_rwnd;
  tx->ssthresh = peer_a_rwnd; /* 7.2.1: the peer's window at first */
}

size_t sctp_tx_memory(const brtc_sctp *a) {
  return a->tx.held + (size_t)a->tx.ring_cap * sizeof(sctp_out) +
         (size_t)a->tx.ostreams.cap * sizeof(sctp_ostream);
}

uint32_t sctp_tx_peer_rwnd(const brtc_sctp *a) {
  const sctp_tx *tx = &a->tx;
  return tx->peer_a_rwnd > tx->out_payload ? tx->peer_a_rwnd - tx->out_payload : 0;
}

bool sctp_tx_idle(const brtc_sctp *a) {
  return a->tx.queued_msgs == 0 && outstanding(&a->tx) == 0;
}

sctp_ostream *sctp_tx_stream(brtc_sctp *a, uint16_t stream, bool create) {
  if (!create) return sctp_table_find(&a->tx.ostreams, stream);
  return sctp_table_get(&a->tx.ostreams, stream, a->cfg.max_streams);
}

bool sctp_tx_stream_drained(const brtc_sctp *a, uint16_t stream) {
  const sctp_ostream *os = sctp_table_find(&a->tx.ostreams, stream);
  return !os || !os->head;
}

void sctp_tx_stream_reset_done(brtc_sctp *a, uint16_t stream) {
  sctp_ostream *os = sctp_table_find(&a->tx.ostreams, stream);
  if (!os) return;
  os->next_ssn = 0; /* RFC 6525 5.1.2: the stream starts again at SSN 0 */
  os->reset = SCTP_RESET_NONE;
  if (!os->head && os->low_threshold == 0) sctp_table_remove(&a->tx.ostreams, stream);
}

/* ---- queueing ---- */

static void buffered_fell(brtc_sctp *a, sctp_ostream *os, size_t before) {
  if (before > os->low_threshold && os->buffered <= os->low_threshold) {
    sctp_event_item ev = {.type = BRTC_SCTP_EVENT_BUFFERED_LOW, .stream = os->id};
    sctp_event_push(a, &ev); /* out of memory loses only this notice */
  }
}

/* The send buffer holds what the peer has not acknowledged yet, not only what waits to be sent
 * (bufferedAmount): a send refused for a full buffer may leave bufferedAmount at 0, and then
 * no fall of it would ever say that room is back. So a refused stream gets BUFFERED_LOW of its
 * own once acknowledgements have emptied half the buffer: an owner that waits for that event
 * after BRTC_ERR_AGAIN, as the API says, is always woken. */
static void room_back(brtc_sctp *a) {
  sctp_tx *tx = &a->tx;
  if (!tx->refused_full || tx->held > a->cfg.send_buffer / 2) return;
  tx->refused_full = false;
  for (uint32_t i = 0; i < tx->ostreams.count; i++) {
    sctp_ostream *os = sctp_table_at(&tx->ostreams, i);
    if (!os->refused) continue;
    os->refused = false;
    sctp_event_item ev = {.type = BRTC_SCTP_EVENT_BUFFERED_LOW, .stream = os->id};
    sctp_event_push(a, &ev); /* out of memory loses only this notice */
  }
}

int sctp_tx_send(brtc_sctp *a, uint64_t now_us, const brtc_sctp_send_options *opt,
                 const uint8_t *data, size_t len) {
  sctp_tx *tx = &a->tx;
  size_t size = sizeof(sctp_msg) + len;
  sctp_ostream *os;
  if (tx->held + size > a->cfg.send_buffer) {
    os = sctp_table_get(&tx->ostreams, opt->stream, a->cfg.max_streams);
    if (os) os->refused = tx->refused_full = true;
    return BRTC_ERR_AGAIN;
  }
  os = sctp_table_get(&tx->ostreams, opt->stream, a->cfg.max_streams);
  if (!os) return tx->ostreams.count >= a->cfg.max_streams ? BRTC_ERR_LIMIT : BRTC_ERR_NOMEM;
  if (os->reset != SCTP_RESET_NONE) return BRTC_ERR_STATE;
  sctp_msg *m = malloc(size);
  if (!m) return BRTC_ERR_NOMEM;
  memset(m, 0, sizeof *m);
  m->len = (uint32_t)len;
  m->ppid = opt->ppid;
  m->stream = opt->stream;
  m->unordered = opt->unordered;
  m->refs = 1;
  m->max_rtx = opt->max_retransmits >= 0
                   ? (uint16_t)(opt->max_retransmits > 65534 ? 65534 : opt->max_retransmits)
                   : UINT16_MAX;
  m->expires_us = opt->lifetime_ms >= 0 ? now_us + (uint64_t)opt->lifetime_ms * SCTP_US_PER_MS
                                        : SCTP_NEVER;
  memcpy(m->data, data, len);
  if (os->tail)
    os->tail->next = m;
  else
    os->head = m;
  os->tail = m;
  os->buffered += len;
  tx->held += size;
  tx->queued_msgs++;
  return BRTC_OK;
}

static void pop_head(brtc_sctp *a, sctp_ostream *os) {
  sctp_msg *m = os->head;
  os->head = m->next;
  if (!os->head) os->tail = NULL;
  m->next = NULL;
  a->tx.queued_msgs--;
  if (a->tx.current == m) a->tx.current = NULL;
  msg_unref(a, m);
  room_back(a);
}

/* The message to cut chunks from: the one under way, else the next stream's head in round
 * robin. A timed message that expired before any of it was sent is dropped here, before it
 * takes an SSN, so the peer never waits for it. */
static sctp_msg *next_message(brtc_sctp *a, uint64_t now_us) {
  sctp_tx *tx = &a->tx;
  if (tx->current) return tx->current;
  uint32_t n = tx->ostreams.count;
  for (uint32_t k = 0; k < n; k++) {
    uint32_t i = (tx->rr_next + k) % n;
    sctp_ostream *os = sctp_table_at(&tx->ostreams, i);
    while (os->head && os->head->expires_us <= now_us) {
      size_t before = os->buffered;
      os->buffered -= os->head->len;
      a->stats.messages_abandoned++;
      pop_head(a, os);
      buffered_fell(a, os, before);
    }
    if (!os->head) continue;
    tx->rr_next = (i + 1) % n;
    sctp_msg *m = os->head;
    if (!m->unordered) m->ssn = os->next_ssn++;
    m->ssn_assigned = true;
    tx->current = m;
    return m;
  }
  return NULL;
}

/* ---- the ring of outstanding chunks ---- */

static bool ring_reserve(sctp_tx *tx) {
  uint32_t need = outstanding(tx) + 1;
  if (need <= tx->ring_cap) return true;
  uint32_t cap = tx->ring_cap ? tx->ring_cap * 2 : RING_MIN;
  sctp_out *ring = malloc((size_t)cap * sizeof *ring);
  if (!ring) return false;
  for (uint32_t t = tx->cum_ack + 1; t != tx->next_tsn; t++) ring[t & (cap - 1)] = *out_at(tx, t);
  free(tx->ring);
  tx->ring = ring;
  tx->ring_cap = cap;
  return true;
}

static void start_t3(brtc_sctp *a, uint64_t now_us) {
  if (a->tx.t3_deadline == SCTP_NEVER) a->tx.t3_deadline = now_us + a->tx.rto.rto_us;
}

/* Leaves the flight: a chunk marked for retransmission or abandoned no longer counts. */
static void leave_flight(sctp_tx *tx, sctp_out *e) {
  tx->flight -= chunk_bytes(e);
  tx->out_payload -= e->len;
}

/* ---- partial reliability (RFC 3758) ---- */

static bool should_abandon(const brtc_sctp *a, const sctp_out *e, uint64_t now_us) {
  if (!a->peer_pr) return false; /* without FORWARD TSN the peer could never move on */
  const sctp_msg *m = e->msg;
  return m->abandoned || (m->max_rtx != UINT16_MAX && e->nsent > m->max_rtx) ||
         m->expires_us <= now_us;
}

/* RFC 3758 3.5 A3: all chunks of the message are abandoned together, the part not yet sent
 * too (it will never take a TSN). */
static void abandon_message(brtc_sctp *a, sctp_msg *m) {
  sctp_tx *tx = &a->tx;
  if (!m->abandoned) a->stats.messages_abandoned++;
  m->abandoned = true;
  uint32_t t = tsn_gt(m->first_tsn, tx->cum_ack) ? m->first_tsn : tx->cum_ack + 1;
  for (; t != tx->next_tsn && out_at(tx, t)->msg == m; t++) {
    sctp_out *e = out_at(tx, t);
    if (e->state == SCTP_OUT_FLIGHT) leave_flight(tx, e);
    if (e->state == SCTP_OUT_RTX) tx->n_rtx--;
    if (e->state == SCTP_OUT_ACKED) tx->n_acked--;
    if (e->state != SCTP_OUT_ABANDONED) tx->n_abandoned++;
    e->state = SCTP_OUT_ABANDONED;
  }
  if (m->sent < m->len) {
    sctp_ostream *os = sctp_table_find(&tx->ostreams, m->stream);
    size_t before = os->buffered;
    os->buffered -= m->len - m->sent;
    m->sent = m->len;
    pop_head(a, os); /* a message under way is its stream's head */
    buffered_fell(a, os, before);
  }
  /* T3 keeps running: if the FORWARD TSN that tells the peer is lost, its expiry sends it
   * again (RFC 3758 3.5 C4). */
}

/* RFC 3758 3.5 C1: the Advanced.Peer.Ack.Point moves over abandoned chunks from the
 * cumulative ack; a FORWARD TSN is due while it is ahead. */
static void advance_peer_ack(sctp_tx *tx) {
  if (tsn_lt(tx->adv_peer_ack, tx->cum_ack)) tx->adv_peer_ack = tx->cum_ack;
  while (tx->adv_peer_ack + 1 != tx->next_tsn &&
         out_at(tx, tx->adv_peer_ack + 1)->state == SCTP_OUT_ABANDONED)
    tx->adv_peer_ack++;
  if (tsn_gt(tx->adv_peer_ack, tx->cum_ack)) tx->forward_tsn_due = true;
}

/* ---- building packets ---- */

bool sctp_tx_has_data_to_send(const brtc_sctp *a, uint64_t now_us) {
  (void)now_us;
  const sctp_tx *tx = &a->tx;
  if (tx->n_rtx && (tx->fast_rtx_due || tx->flight < tx->cwnd)) return true;
  return (tx->current || tx->queued_msgs) && tx->flight < tx->cwnd && tx->burst_left &&
         outstanding(tx) < MAX_OUTSTANDING && (sctp_tx_peer_rwnd(a) || outstanding(tx) == 0);
}

static uint8_t *write_chunk(brtc_sctp_writer *w, const sctp_out *e, uint32_t tsn) {
  size_t total = brtc_sctp_pad4(BRTC_SCTP_DATA_HEADER + e->len);
  uint8_t *p = brtc_sctp_put(w, total);
  if (!p) return NULL;
  const sctp_msg *m = e->msg;
  brtc_sctp_write_data_header(p, e->flags, tsn, m->stream, m->ssn, m->ppid, e->len);
  memcpy(p + BRTC_SCTP_DATA_HEADER, m->data + e->offset, e->len);
  memset(p + BRTC_SCTP_DATA_HEADER + e->len, 0, total - BRTC_SCTP_DATA_HEADER - e->len);
  return p;
}

/* Retransmissions first (6.1 C, 7.2.4): earliest TSN first, within cwnd, except that one
 * packet of fast retransmissions goes regardless. Returns false if the packet is full. */
static bool write_retransmissions(brtc_sctp *a, uint64_t now_us, brtc_sctp_writer *w) {
  sctp_tx *tx = &a->tx;
  bool over_cwnd = tx->fast_rtx_due;
  tx->fast_rtx_due = false;
  for (uint32_t t = tx->cum_ack + 1; tx->n_rtx && t != tx->next_tsn; t++) {
    sctp_out *e = out_at(tx, t);
    if (e->state != SCTP_OUT_RTX) continue;
    if (should_abandon(a, e, now_us)) {
      abandon_message(a, e->msg);
      advance_peer_ack(tx);
      continue;
    }
    if (!over_cwnd && tx->flight >= tx->cwnd) return true;
    if (!write_chunk(w, e, t)) return false;
    e->state = SCTP_OUT_FLIGHT;
    if (e->nsent < UINT8_MAX) e->nsent++;
    tx->n_rtx--;
    tx->flight += chunk_bytes(e);
    tx->out_payload += e->len;
    if (tx->rtt_timing && tx->rtt_tsn == t) tx->rtt_timing = false; /* Karn's rule */
    a->stats.retransmissions++;
    a->stats.data_chunks_sent++;
    start_t3(a, now_us);
  }
  return true;
}

void sctp_tx_write_data(brtc_sctp *a, uint64_t now_us, brtc_sctp_writer *w) {
  sctp_tx *tx = &a->tx;
  if (tx->n_rtx && (!write_retransmissions(a, now_us, w) || tx->n_rtx)) return;
  if (tx->flight >= tx->cwnd || !tx->burst_left) return;
  /* 7.2.1: after an idle RTO the window decays, half per RTO, down to the initial window. */
  if (tx->flight == 0 && tx->last_send_us && now_us > tx->last_send_us + tx->rto.rto_us) {
    uint32_t floor = INITIAL_CWND_MTUS * mtu(a);
    for (uint64_t idle = now_us - tx->last_send_us; idle > tx->rto.rto_us && tx->cwnd > floor;
         idle -= tx->rto.rto_us)
      tx->cwnd = tx->cwnd / 2 > floor ? tx->cwnd / 2 : floor;
  }
  uint8_t *last_flags = NULL;
  uint32_t written = 0;
  while (outstanding(tx) < MAX_OUTSTANDING) {
    size_t room = brtc_sctp_writer_room(w);
    if (room < BRTC_SCTP_DATA_HEADER + 4) break;
    sctp_msg *m = next_message(a, now_us);
    if (!m) break;
    uint32_t remaining = m->len - m->sent;
    uint32_t avail = (uint32_t)((room - BRTC_SCTP_DATA_HEADER) & ~(size_t)3);
    uint32_t frag = remaining;
    if (frag > tx->max_payload) frag = tx->max_payload;
    if (frag > avail) {
      /* Cut only what must be cut anyway, and not into slivers: a message that fits a packet
       * of its own waits for the next one. */
      if (written && (remaining <= tx->max_payload || avail < MIN_FILL)) break;
      frag = avail;
    }
    uint32_t rwnd = sctp_tx_peer_rwnd(a);
    if (frag > rwnd && outstanding(tx) > 0) break; /* 6.1 A: only a probe into a closed window */
    if (!ring_reserve(tx)) break;
    uint32_t tsn = tx->next_tsn;
    if (m->sent == 0) m->first_tsn = tsn;
    sctp_out *e = out_at(tx, tsn);
    e->msg = m;
    e->offset = m->sent;
    e->len = (uint16_t)frag;
    e->flags = (uint8_t)((m->sent == 0 ? BRTC_SCTP_DATA_B : 0) |
                         (m->sent + frag == m->len ? BRTC_SCTP_DATA_E : 0) |
                         (m->unordered ? BRTC_SCTP_DATA_U : 0));
    e->state = SCTP_OUT_FLIGHT;
    e->nsent = 1;
    e->misses = 0;
    e->fast_rtx_done = false;
    uint8_t *p = write_chunk(w, e, tsn);
    if (!p) break;
    tx->next_tsn++;
    m->refs++;
    m->sent += frag;
    last_flags = p + 1;
    written++;
    tx->flight += chunk_bytes(e);
    tx->out_payload += frag;
    if (!tx->rtt_timing) {
      tx->rtt_timing = true;
      tx->rtt_tsn = tsn;
      tx->rtt_sent_us = now_us;
    }
    sctp_ostream *os = sctp_table_find(&tx->ostreams, m->stream);
    size_t before = os->buffered;
    os->buffered -= frag;
    if (m->sent == m->len) pop_head(a, os);
    buffered_fell(a, os, before);
    a->stats.data_chunks_sent++;
    start_t3(a, now_us);
    if (tx->flight >= tx->cwnd) break;
  }
  if (!written) return;
  tx->burst_left--;
  tx->last_send_us = now_us;
  /* RFC 9260 3.3.1 (I bit): when this packet is the whole flight and nothing more is queued,
   * the peer would otherwise hold its SACK for up to 200 ms, delaying the RTT sample and the
   * release of our memory. */
  if (!tx->current && !tx->queued_msgs && outstanding(tx) == written && !tx->n_rtx)
    *last_flags |= BRTC_SCTP_DATA_I;
}

void sctp_tx_write_forward_tsn(brtc_sctp *a, uint64_t now_us, brtc_sctp_writer *w) {
  sctp_tx *tx = &a->tx;
  if (!tx->forward_tsn_due) return;
  if (!tsn_gt(tx->adv_peer_ack, tx->cum_ack)) {
    tx->forward_tsn_due = false;
    return;
  }
  /* RFC 3758 3.2: each ordered stream with an abandoned message, at its highest SSN. */
  brtc_sctp_stream_ssn streams[256];
  unsigned n = 0;
  size_t room = brtc_sctp_writer_room(w);
  size_t max = room < 8 ? 0 : (room - 8) / 4;
  if (max > 256) max = 256;
  for (uint32_t t = tx->cum_ack + 1; tsn_le(t, tx->adv_peer_ack); t++) {
    const sctp_msg *m = out_at(tx, t)->msg;
    if (m->unordered) continue;
    unsigned i = 0;
    while (i < n && streams[i].stream != m->stream) i++;
    if (i == n) {
      if (n == max) return; /* does not fit this packet: the next one */
      streams[n].stream = m->stream;
      streams[n++].ssn = m->ssn;
    } else if (ssn_lt(streams[i].ssn, m->ssn)) {
      streams[i].ssn = m->ssn;
    }
  }
  if (!brtc_sctp_write_forward_tsn(w, tx->adv_peer_ack, streams, n)) return;
  tx->forward_tsn_due = false;
  start_t3(a, now_us); /* until the peer's cumulative ack reaches it (RFC 3758 3.5 C4) */
  a->stats.forward_tsns_sent++;
}

/* ---- SACK (6.2.1, 7.2) ---- */

/* A chunk acknowledged for the first time (by the cumulative ack or a gap block). */
static uint32_t newly_acked(sctp_tx *tx, sctp_out *e) {
  switch (e->state) {
    case SCTP_OUT_FLIGHT:
      leave_flight(tx, e);
      return chunk_bytes(e);
    case SCTP_OUT_RTX:
      tx->n_rtx--;
      return chunk_bytes(e);
    default:
      return 0;
  }
}

void sctp_tx_handle_sack(brtc_sctp *a, uint64_t now_us, const brtc_sctp_sack *s) {
  sctp_tx *tx = &a->tx;
  uint32_t cum = s->cum_tsn;
  /* 6.2.1 D-i: an older SACK than one already processed is dropped; one acknowledging what
   * was never sent is a peer's mistake. */
  if (tsn_lt(cum, tx->cum_ack) || tsn_le(tx->next_tsn, cum)) {
    a->stats.dropped_unexpected++;
    return;
  }
  a->stats.sacks_received++;
  uint32_t flight_before = tx->flight;
  bool cum_advanced = tsn_gt(cum, tx->cum_ack);
  uint32_t acked_bytes = 0;
  uint32_t htna = cum; /* highest newly acknowledged TSN */

  for (uint32_t t = tx->cum_ack + 1; tsn_le(t, cum); t++) {
    sctp_out *e = out_at(tx, t);
    acked_bytes += newly_acked(tx, e);
    if (e->state == SCTP_OUT_ACKED) tx->n_acked--;
    if (e->state == SCTP_OUT_ABANDONED) tx->n_abandoned--;
    if (tx->rtt_timing && t == tx->rtt_tsn) {
      tx->rtt_timing = false;
      if (e->nsent == 1) sctp_rto_sample(&tx->rto, now_us - tx->rtt_sent_us);
    }
    msg_unref(a, e->msg);
    e->msg = NULL;
  }
  room_back(a);
  tx->cum_ack = cum;
  tx->peer_a_rwnd = s->a_rwnd;

  bool newly_fast = false;
  if (s->n_gaps || tx->n_acked) {
    /* Gap blocks, in order and within what is outstanding; anything else is skipped. */
    uint32_t top = tx->cum_ack; /* highest TSN the gap blocks speak of */
    uint32_t prev_end = 0;
    for (unsigned g = 0; g < s->n_gaps; g++) {
      brtc_sctp_gap gap = brtc_sctp_sack_gap(s, g);
      if (gap.start == 0 || gap.end < gap.start || gap.start <= prev_end) continue;
      prev_end = gap.end;
      for (uint32_t off = gap.start; off <= gap.end; off++) {
        uint32_t t = cum + off;
        if (!tsn_lt(t, tx->next_tsn)) break;
        sctp_out *e = out_at(tx, t);
        if (e->state == SCTP_OUT_FLIGHT || e->state == SCTP_OUT_RTX) {
          acked_bytes += newly_acked(tx, e);
          e->state = SCTP_OUT_ACKED;
          tx->n_acked++;
          htna = t;
        }
        if (e->state == SCTP_OUT_ACKED) e->misses = 0xff; /* seen in this SACK */
        top = t;
      }
    }
    /* Reneging (6.2.1): acknowledged before, not any more, below what the blocks cover. */
    for (uint32_t t = cum + 1; tsn_le(t, top); t++) {
      sctp_out *e = out_at(tx, t);
      if (e->state != SCTP_OUT_ACKED) continue;
      if (e->misses == 0xff) {
        e->misses = 0;
      } else {
        e->state = SCTP_OUT_RTX;
        tx->n_acked--;
        tx->n_rtx++;
      }
    }
    /* 7.2.4: a miss indication for each chunk still missing below the highest TSN this SACK
     * newly acknowledged; the third one marks it for fast retransmit, once per chunk. */
    for (uint32_t t = cum + 1; tsn_lt(t, htna); t++) {
      sctp_out *e = out_at(tx, t);
      if (e->state != SCTP_OUT_FLIGHT || e->fast_rtx_done) continue;
      if (++e->misses >= 3) {
        leave_flight(tx, e);
        e->state = SCTP_OUT_RTX;
        e->fast_rtx_done = true;
        tx->n_rtx++;
        newly_fast = true;
        a->stats.fast_retransmissions++;
      }
    }
  }

  if (newly_fast) {
    /* 7.2.4 step 2: enter fast recovery once; the window halves once per loss event. */
    if (!tx->fast_recovery) {
      uint32_t half = tx->cwnd / 2, floor = MIN_CWND_MTUS * mtu(a);
      tx->ssthresh = half > floor ? half : floor;
      tx->cwnd = tx->ssthresh;
      tx->partial_bytes_acked = 0;
      tx->fast_recovery = true;
      tx->recovery_exit = tx->next_tsn - 1;
    }
    tx->fast_rtx_due = true;
  }
  if (tx->fast_recovery && tsn_le(tx->recovery_exit, cum)) tx->fast_recovery = false;

  /* 7.2.1 and 7.2.2: grow only when the cumulative ack moved, outside fast recovery, and only
   * if the window was in use. */
  if (cum_advanced && !tx->fast_recovery && acked_bytes) {
    bool full = flight_before + mtu(a) > tx->cwnd;
    if (tx->cwnd <= tx->ssthresh) {
      if (full) tx->cwnd += acked_bytes < mtu(a) ? acked_bytes : mtu(a);
    } else {
      tx->partial_bytes_acked += acked_bytes;
      if (tx->partial_bytes_acked >= tx->cwnd && full) {
        tx->partial_bytes_acked -= tx->cwnd;
        tx->cwnd += mtu(a);
      }
    }
  }
  if (tx->flight == 0) tx->partial_bytes_acked = 0;

  /* 6.3.2 R2, R3; and while a FORWARD TSN is not yet acknowledged (RFC 3758 3.5 C4). */
  if (a->peer_pr) advance_peer_ack(tx);
  bool forward_pending = tsn_gt(tx->adv_peer_ack, tx->cum_ack);
  if (tx->flight == 0 && !tx->n_rtx && !forward_pending)
    tx->t3_deadline = SCTP_NEVER;
  else if (cum_advanced || tx->t3_deadline == SCTP_NEVER)
    tx->t3_deadline = now_us + tx->rto.rto_us;
  if (cum_advanced || acked_bytes) a->error_count = 0; /* 8.3 */

  tx->burst_left = MAX_BURST;
  if (outstanding(tx) == 0 && tx->ring_cap > 4 * RING_MIN) { /* a burst is over */
    free(tx->ring);
    tx->ring = NULL;
    tx->ring_cap = 0;
  }
}

/* ---- T3-rtx expiry (6.3.3) ---- */

void sctp_tx_handle_t3(brtc_sctp *a, uint64_t now_us) {
  sctp_tx *tx = &a->tx;
  (void)now_us;
  tx->t3_deadline = SCTP_NEVER;
  a->stats.t3_expiries++;
  if (!sctp_count_timeout(a)) return;
  uint32_t half = tx->cwnd / 2, floor = MIN_CWND_MTUS * mtu(a);
  tx->ssthresh = half > floor ? half : floor; /* E1 */
  tx->cwnd = mtu(a);
  tx->partial_bytes_acked = 0;
  tx->fast_recovery = false;
  sctp_rto_backoff(&tx->rto); /* E2 */
  for (uint32_t t = tx->cum_ack + 1; t != tx->next_tsn; t++) { /* E3 */
    sctp_out *e = out_at(tx, t);
    if (e->state != SCTP_OUT_FLIGHT) continue;
    leave_flight(tx, e);
    e->state = SCTP_OUT_RTX;
    tx->n_rtx++;
  }
  tx->rtt_timing = false;
  tx->burst_left = MAX_BURST;
  if (tsn_gt(tx->adv_peer_ack, tx->cum_ack)) tx->forward_tsn_due = true; /* RFC 3758 3.5 */
}
