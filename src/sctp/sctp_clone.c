/* A copy of an association at rest (see brtc_sctp_clone in sctp.h): the structure as it is,
 * and every block it owns copied, so the copy and the original share nothing. */
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "sctp/sctp_internal.h"

/* A copy of size bytes of p (NULL stays NULL); *ok is cleared when out of memory. */
static void *copy_block(const void *p, size_t size, bool *ok) {
  if (!p) return NULL;
  void *q = malloc(size ? size : 1);
  if (!q) {
    *ok = false;
    return NULL;
  }
  memcpy(q, p, size);
  return q;
}

/* Nothing in flight, queued, reassembling, handed out or to report: no message a copy would
 * have to share or copy. */
static bool at_rest(const brtc_sctp *a) {
  if (a->tx.current || a->tx.queued_msgs || a->tx.held || a->tx.cum_ack + 1 != a->tx.next_tsn)
    return false;
  for (uint32_t i = 0; i < a->tx.ostreams.count; i++)
    if (((const sctp_ostream *)sctp_table_at(&a->tx.ostreams, i))->head) return false;
  if (a->rx.head || a->rx.handed_out || a->rx.held || a->events.count) return false;
  for (uint32_t i = 0; i < a->rx.istreams.count; i++)
    if (((const sctp_istream *)sctp_table_at(&a->rx.istreams, i))->parked) return false;
  return true;
}

int brtc_sctp_clone(const brtc_sctp *a, brtc_sctp **out) {
  if (!a || !out) return BRTC_ERR_INVALID;
  *out = NULL;
  if (!at_rest(a)) return BRTC_ERR_STATE;
  brtc_sctp *c = malloc(sizeof *c);
  if (!c) return BRTC_ERR_NOMEM;
  *c = *a;
  bool ok = true;
  c->cookie = copy_block(a->cookie, a->cookie_len, &ok);
  c->tx.ring = copy_block(a->tx.ring, (size_t)a->tx.ring_cap * sizeof(sctp_out), &ok);
  c->tx.ostreams.items = copy_block(a->tx.ostreams.items,
                                    (size_t)a->tx.ostreams.cap * a->tx.ostreams.elem, &ok);
  c->rx.istreams.items = copy_block(a->rx.istreams.items,
                                    (size_t)a->rx.istreams.cap * a->rx.istreams.elem, &ok);
  /* The pool's spare blocks too, so the copy allocates (and counts memory) as the original. */
  for (uint32_t i = 0; i < a->rx.pool_n; i++)
    c->rx.pool[i] = copy_block(a->rx.pool[i], sizeof(sctp_rnode) + SCTP_RX_BLOCK_PAYLOAD, &ok);
  c->events.items = copy_block(a->events.items, (size_t)a->events.cap * sizeof(sctp_event_item),
                               &ok);
  c->reset.req_streams = copy_block(a->reset.req_streams, a->reset.req_n * sizeof(uint16_t), &ok);
  c->reset.deferred_streams = copy_block(a->reset.deferred_streams,
                                         a->reset.deferred_n * sizeof(uint16_t), &ok);
  if (!ok) {
    /* What failed is NULL: free what was copied without walking a table that is not there. */
    if (!c->tx.ring) c->tx.ring_cap = 0;
    if (!c->tx.ostreams.items) c->tx.ostreams.count = c->tx.ostreams.cap = 0;
    if (!c->rx.istreams.items) c->rx.istreams.count = c->rx.istreams.cap = 0;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < c->rx.pool_n; i++)
      if (c->rx.pool[i]) c->rx.pool[kept++] = c->rx.pool[i];
    c->rx.pool_n = kept;
    brtc_sctp_free(c);
    return BRTC_ERR_NOMEM;
  }
  *out = c;
  return BRTC_OK;
}
