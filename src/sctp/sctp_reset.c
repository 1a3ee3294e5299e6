/* Stream reset (RFC 6525), as data channels close (RFC 8831 6.7): our Outgoing SSN Reset
 * Requests, one in flight at a time, made once every message queued on the streams has its
 * TSNs; and the peer's, performed at once or, while TSNs it sent before the request are still
 * missing, deferred until they arrive (5.2.2 E2). Incoming SSN Reset, SSN/TSN Reset and Add
 * Streams requests are answered Denied: data channels never send them. */
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "sctp/sctp_internal.h"

void sctp_reset_init(brtc_sctp *a) {
  memset(&a->reset, 0, sizeof a->reset);
  a->reset.deadline = SCTP_NEVER;
}

void sctp_reset_free(brtc_sctp *a) {
  free(a->reset.req_streams);
  free(a->reset.deferred_streams);
  sctp_reset_init(a);
}

/* Sequence numbers start from our initial TSN and the peer's (RFC 6525 5.1.1, 5.2.1). */
void sctp_reset_start(brtc_sctp *a) {
  a->reset.next_req_seq = a->my_initial_tsn;
  a->reset.peer_next_seq = a->peer_initial_tsn;
  a->reset.last_result = BRTC_SCTP_RESULT_SUCCESS_NOTHING;
}

size_t sctp_reset_memory(const brtc_sctp *a) {
  return (size_t)(a->reset.req_n + a->reset.deferred_n) * sizeof(uint16_t);
}

int sctp_reset_request(brtc_sctp *a, uint64_t now_us, const uint16_t *streams, unsigned n) {
  if (!a->peer_reconfig) return BRTC_ERR_UNSUPPORTED;
  for (unsigned i = 0; i < n; i++) {
    if (streams[i] >= a->outbound_streams) return BRTC_ERR_INVALID;
    sctp_ostream *os = sctp_tx_stream(a, streams[i], true);
    if (!os) return BRTC_ERR_LIMIT;
    if (os->reset == SCTP_RESET_NONE) os->reset = SCTP_RESET_WANTED;
  }
  sctp_reset_maybe_request(a, now_us);
  return BRTC_OK;
}

void sctp_reset_maybe_request(brtc_sctp *a, uint64_t now_us) {
  (void)now_us;
  sctp_reset *r = &a->reset;
  if (r->in_flight) return;
  sctp_table *t = &a->tx.ostreams;
  uint32_t n = 0;
  for (uint32_t i = 0; i < t->count; i++) {
    const sctp_ostream *os = sctp_table_at(t, i);
    if (os->reset == SCTP_RESET_WANTED && !os->head) n++;
  }
  if (!n) return;
  if (n > SCTP_RESET_MAX_STREAMS) n = SCTP_RESET_MAX_STREAMS;
  uint16_t *streams = malloc(n * sizeof *streams);
  if (!streams) return; /* tried again at the next chance */
  uint32_t k = 0;
  for (uint32_t i = 0; i < t->count && k < n; i++) {
    sctp_ostream *os = sctp_table_at(t, i);
    if (os->reset != SCTP_RESET_WANTED || os->head) continue;
    os->reset = SCTP_RESET_IN_REQUEST;
    streams[k++] = os->id;
  }
  free(r->req_streams);
  r->req_streams = streams;
  r->req_n = k;
  r->req_seq = r->next_req_seq++;
  /* 4.1: the last TSN we assigned; the peer resets once it has everything up to it. */
  r->req_last_tsn = a->tx.next_tsn - 1;
  r->in_flight = true;
  r->send_due = true;
  r->deadline = SCTP_NEVER;
}

bool sctp_reset_due(const brtc_sctp *a) {
  return (a->reset.send_due && a->reset.in_flight) || a->reset.n_resp;
}

void sctp_reset_write(brtc_sctp *a, uint64_t now_us, brtc_sctp_writer *w) {
  sctp_reset *r = &a->reset;
  if (!sctp_reset_due(a)) return;
  size_t start = brtc_sctp_reconfig_begin(w);
  if (start == SIZE_MAX) return;
  /* 3.1: at most two parameters in one chunk; what does not go now goes in the next. */
  unsigned params = 0;
  bool sent_request = false;
  if (r->send_due && r->in_flight &&
      brtc_sctp_reconfig_add_outgoing(w, r->req_seq, r->peer_next_seq - 1, r->req_last_tsn,
                                      r->req_streams, r->req_n)) {
    params++;
    sent_request = true;
  }
  unsigned answered = 0;
  while (answered < r->n_resp && params < 2 &&
         brtc_sctp_reconfig_add_response(w, r->resp_seq[answered], r->resp_result[answered])) {
    answered++;
    params++;
  }
  if (!params || !brtc_sctp_reconfig_end(w, start)) {
    brtc_sctp_writer_rewind(w, start);
    return;
  }
  if (sent_request) {
    r->send_due = false;
    r->deadline = now_us + a->tx.rto.rto_us;
  }
  if (answered) {
    r->n_resp -= answered;
    memmove(r->resp_seq, r->resp_seq + answered, r->n_resp * sizeof r->resp_seq[0]);
    memmove(r->resp_result, r->resp_result + answered, r->n_resp * sizeof r->resp_result[0]);
  }
}

void sctp_reset_handle_timeout(brtc_sctp *a, uint64_t now_us) {
  sctp_reset *r = &a->reset;
  if (r->deadline > now_us) return;
  r->deadline = SCTP_NEVER;
  if (!r->in_flight) return;
  if (r->in_progress) {
    r->in_progress = false;
    if (r->renumber) r->req_seq = r->next_req_seq++;
    r->renumber = false;
  } else if (!sctp_count_timeout(a)) {
    return;
  }
  r->send_due = true; /* 5.1.1: the same request again, with the same sequence number */
}

static void respond(sctp_reset *r, uint32_t seq, uint32_t result) {
  if (r->n_resp == 2) { /* a third in one chunk is a peer's mistake: the oldest goes */
    r->resp_seq[0] = r->resp_seq[1];
    r->resp_result[0] = r->resp_result[1];
    r->n_resp = 1;
  }
  r->resp_seq[r->n_resp] = seq;
  r->resp_result[r->n_resp++] = result;
}

/* 5.2.2 E3, E4: the incoming streams go back to SSN 0, and the owner hears of it (before any
 * message of the streams' new life, which waits parked for SSN 0). */
static void perform_incoming(brtc_sctp *a, const uint16_t *streams, uint32_t n) {
  if (n == 0) {
    for (uint32_t i = 0; i < a->rx.istreams.count; i++) {
      const sctp_istream *is = sctp_table_at(&a->rx.istreams, i);
      sctp_event_item ev = {.type = BRTC_SCTP_EVENT_INCOMING_RESET, .stream = is->id};
      sctp_event_push(a, &ev);
    }
  }
  for (uint32_t i = 0; i < n; i++) {
    sctp_event_item ev = {.type = BRTC_SCTP_EVENT_INCOMING_RESET, .stream = streams[i]};
    sctp_event_push(a, &ev);
  }
  sctp_rx_reset_streams(a, streams, n);
}

static void clear_deferred(sctp_reset *r) {
  free(r->deferred_streams);
  r->deferred_streams = NULL;
  r->deferred_n = 0;
  r->deferred = false;
}

void sctp_reset_cum_advanced(brtc_sctp *a) {
  sctp_reset *r = &a->reset;
  if (!r->deferred || tsn_lt(a->rx.cum_tsn, r->deferred_tsn)) return;
  perform_incoming(a, r->deferred_streams, r->deferred_n);
  clear_deferred(r);
  r->last_result = BRTC_SCTP_RESULT_SUCCESS_PERFORMED;
  /* Said at once, as usrsctp does, rather than only when the peer asks again. */
  respond(r, r->peer_next_seq - 1, BRTC_SCTP_RESULT_SUCCESS_PERFORMED);
}

static void handle_outgoing_request(brtc_sctp *a, const brtc_sctp_reconfig_param *p) {
  sctp_reset *r = &a->reset;
  if (p->req_seq == r->peer_next_seq - 1 && r->peer_next_seq != a->peer_initial_tsn) {
    /* The same request again: the same answer, unless it was still in progress. */
    if (r->last_result == BRTC_SCTP_RESULT_IN_PROGRESS && !r->deferred)
      r->last_result = BRTC_SCTP_RESULT_SUCCESS_PERFORMED;
    respond(r, p->req_seq, r->last_result);
    return;
  }
  if (p->req_seq != r->peer_next_seq) {
    respond(r, p->req_seq, BRTC_SCTP_RESULT_ERROR_BAD_SEQ);
    return;
  }
  r->peer_next_seq++;
  /* A new request while one waits replaces it: the peer asked again under a new number
   * (as we do with usrsctp, above). */
  clear_deferred(r);
  for (unsigned i = 0; i < p->n_streams; i++) {
    if (brtc_sctp_reconfig_stream(p, i) >= a->inbound_streams) {
      r->last_result = BRTC_SCTP_RESULT_DENIED;
      respond(r, p->req_seq, r->last_result);
      return;
    }
  }
  if (tsn_gt(p->last_tsn, a->rx.cum_tsn)) {
    /* E2: TSNs the peer sent before asking are still missing. */
    uint16_t *streams = NULL;
    if (p->n_streams) {
      streams = malloc(p->n_streams * sizeof *streams);
      if (!streams) {
        r->peer_next_seq--; /* not taken: the peer asks again */
        return;
      }
      for (unsigned i = 0; i < p->n_streams; i++) streams[i] = brtc_sctp_reconfig_stream(p, i);
    }
    clear_deferred(r);
    r->deferred = true;
    r->deferred_tsn = p->last_tsn;
    r->deferred_streams = streams;
    r->deferred_n = p->n_streams;
    r->last_result = BRTC_SCTP_RESULT_IN_PROGRESS;
    respond(r, p->req_seq, r->last_result);
    return;
  }
  uint16_t local[64];
  uint16_t *streams = p->n_streams <= 64 ? local : malloc(p->n_streams * sizeof *streams);
  if (!streams) {
    r->peer_next_seq--;
    return;
  }
  for (unsigned i = 0; i < p->n_streams; i++) streams[i] = brtc_sctp_reconfig_stream(p, i);
  perform_incoming(a, streams, p->n_streams);
  if (streams != local) free(streams);
  r->last_result = BRTC_SCTP_RESULT_SUCCESS_PERFORMED;
  respond(r, p->req_seq, r->last_result);
}

static void handle_response(brtc_sctp *a, uint64_t now_us, const brtc_sctp_reconfig_param *p) {
  sctp_reset *r = &a->reset;
  if (!r->in_flight || p->req_seq != r->req_seq) return; /* late or not ours */
  r->deadline = SCTP_NEVER;
  a->error_count = 0;
  if (p->result == BRTC_SCTP_RESULT_IN_PROGRESS) {
    /* Ask again later, with the same number (5.2.7)... unless the peer's SACKs already cover
     * every TSN the request waits for. Then it is waiting for something else: usrsctp checks a
     * deferred reset only while it takes a DATA chunk, against a cumulative TSN that chunk has
     * not moved yet, and answers a repeated request with its first answer; if the DATA we
     * sent before the request was the last we had, it would wait forever. A new number makes
     * it look again. */
    r->in_progress = true;
    r->renumber = tsn_le(r->req_last_tsn, a->tx.cum_ack);
    r->deadline = now_us + a->tx.rto.rto_us;
    return;
  }
  bool ok = p->result == BRTC_SCTP_RESULT_SUCCESS_NOTHING ||
            p->result == BRTC_SCTP_RESULT_SUCCESS_PERFORMED;
  for (uint32_t i = 0; i < r->req_n; i++) {
    uint16_t s = r->req_streams[i];
    sctp_event_item ev = {.type = ok ? BRTC_SCTP_EVENT_OUTGOING_RESET : BRTC_SCTP_EVENT_RESET_FAILED,
                          .stream = s};
    if (ok) {
      sctp_tx_stream_reset_done(a, s);
    } else {
      sctp_ostream *os = sctp_tx_stream(a, s, false);
      if (os) os->reset = SCTP_RESET_NONE;
    }
    sctp_event_push(a, &ev);
  }
  free(r->req_streams);
  r->req_streams = NULL;
  r->req_n = 0;
  r->in_flight = false;
  r->send_due = r->in_progress = r->renumber = false;
  sctp_reset_maybe_request(a, now_us);
}

void sctp_reset_handle(brtc_sctp *a, uint64_t now_us, const brtc_sctp_tlv *chunk) {
  brtc_sctp_reconfig_param params[2];
  int n = brtc_sctp_parse_reconfig(chunk, params);
  if (n < 0) {
    a->stats.dropped_malformed++;
    return;
  }
  sctp_reset *r = &a->reset;
  for (int i = 0; i < n && a->state != BRTC_SCTP_GONE; i++) {
    const brtc_sctp_reconfig_param *p = &params[i];
    switch (p->type) {
      case BRTC_SCTP_PARAM_OUTGOING_RESET:
        handle_outgoing_request(a, p);
        break;
      case BRTC_SCTP_PARAM_RECONFIG_RESPONSE:
        handle_response(a, now_us, p);
        break;
      default: /* 14, 15, 17, 18: not something data channels do */
        if (p->req_seq == r->peer_next_seq) r->peer_next_seq++;
        respond(r, p->req_seq, BRTC_SCTP_RESULT_DENIED);
        break;
    }
  }
}
