/* The association's event queue: a ring of small items that grows by doubling. A message
 * event points at its reassembled node, which the queue owns until the owner takes it. */
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "sctp/sctp_internal.h"

bool sctp_event_push(brtc_sctp *a, const sctp_event_item *ev) {
  sctp_events *q = &a->events;
  if (q->count == q->cap) {
    uint32_t cap = q->cap ? q->cap * 2 : 8;
    sctp_event_item *items = malloc((size_t)cap * sizeof *items);
    if (!items) return false;
    for (uint32_t i = 0; i < q->count; i++) items[i] = q->items[(q->head + i) % q->cap];
    free(q->items);
    q->items = items;
    q->cap = cap;
    q->head = 0;
  }
  q->items[(q->head + q->count) % q->cap] = *ev;
  q->count++;
  return true;
}

void sctp_events_free(brtc_sctp *a) {
  sctp_events *q = &a->events;
  for (uint32_t i = 0; i < q->count; i++) {
    sctp_event_item *ev = &q->items[(q->head + i) % q->cap];
    if (ev->msg) sctp_rx_free_node(a, ev->msg);
  }
  free(q->items);
  memset(q, 0, sizeof *q);
}

int brtc_sctp_poll_event(brtc_sctp *a, brtc_sctp_event *out) {
  sctp_rx_release_handed_out(a);
  sctp_events *q = &a->events;
  if (!q->count) {
    if (!a->closed_pending) return BRTC_ERR_AGAIN;
    a->closed_pending = false;
    memset(out, 0, sizeof *out);
    out->type = BRTC_SCTP_EVENT_CLOSED;
    out->error = a->closed_error;
    out->cause = a->closed_cause;
    out->by_peer = a->closed_by_peer;
    out->reason = a->closed_reason;
    return BRTC_OK;
  }
  sctp_event_item ev = q->items[q->head];
  q->head = (q->head + 1) % q->cap;
  q->count--;
  memset(out, 0, sizeof *out);
  out->type = (brtc_sctp_event_type)ev.type;
  out->stream = ev.stream;
  out->unordered = ev.unordered;
  out->ppid = ev.ppid;
  out->error = ev.error;
  out->cause = ev.cause;
  out->by_peer = ev.by_peer;
  out->reason = ev.reason;
  if (ev.msg) {
    out->data = ev.msg->data;
    out->len = ev.msg->len;
    sctp_rx_hand_out(a, ev.msg);
  }
  if (q->count == 0 && q->cap > 64) { /* a burst is over: give its memory back */
    free(q->items);
    q->items = NULL;
    q->cap = q->head = 0;
  }
  return BRTC_OK;
}
