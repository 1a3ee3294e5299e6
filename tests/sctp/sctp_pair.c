/* Two associations on a simulated path: see sctp_pair.h. */
#include "sctp_pair.h"

#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "sctp/sctp_chunk.h"

void sctp_end_log(sctp_end *e, uint64_t now_us, const brtc_sctp_event *ev) {
  if (e->n_log == e->cap_log) {
    size_t cap = e->cap_log ? e->cap_log * 2 : 64;
    sctp_rec *log = realloc(e->log, cap * sizeof *log);
    if (!log) abort();
    e->log = log;
    e->cap_log = cap;
  }
  sctp_rec *r = &e->log[e->n_log++];
  memset(r, 0, sizeof *r);
  r->type = ev->type;
  r->stream = ev->stream;
  r->cause = ev->cause;
  r->ppid = ev->ppid;
  r->unordered = ev->unordered;
  r->by_peer = ev->by_peer;
  r->error = ev->error;
  r->at_us = now_us;
  r->len = ev->len;
  if (ev->type == BRTC_SCTP_EVENT_MESSAGE) {
    r->data = malloc(ev->len ? ev->len : 1);
    if (!r->data) abort();
    memcpy(r->data, ev->data, ev->len);
    e->messages++;
  }
  if (ev->type == BRTC_SCTP_EVENT_CLOSED) e->closed = true;
}

int sctp_pair_init(sctp_pair *p, const brtc_sctp_config *c0, const brtc_sctp_config *c1,
                   const sim_link_config *l01, const sim_link_config *l10) {
  memset(p, 0, sizeof *p);
  p->now = 1000000;
  brtc_sctp_config d0 = {.seed = 11}, d1 = {.seed = 22};
  int err = brtc_sctp_new(c0 ? c0 : &d0, p->now, &p->end[0].a);
  if (!err) err = brtc_sctp_new(c1 ? c1 : &d1, p->now, &p->end[1].a);
  p->end[0].link = sim_link_new(l01);
  p->end[1].link = sim_link_new(l10);
  if (!err && (!p->end[0].link || !p->end[1].link)) err = BRTC_ERR_NOMEM;
  if (err) sctp_pair_free(p);
  return err;
}

void sctp_end_clear_log(sctp_end *e) {
  for (size_t k = 0; k < e->n_log; k++) free(e->log[k].data);
  free(e->log);
  e->log = NULL;
  e->n_log = e->cap_log = e->messages = 0;
}

void sctp_pair_free(sctp_pair *p) {
  for (int i = 0; i < 2; i++) {
    sctp_end *e = &p->end[i];
    brtc_sctp_free(e->a);
    sim_link_free(e->link);
    sctp_end_clear_log(e);
  }
  memset(p, 0, sizeof *p);
}

void sctp_pair_drain(sctp_pair *p) {
  uint8_t buf[2048];
  size_t len;
  for (bool more = true; more;) {
    more = false;
    for (int i = 0; i < 2; i++) {
      sctp_end *e = &p->end[i];
      brtc_sctp_event ev;
      while (!e->hold_events && brtc_sctp_poll_event(e->a, &ev) == BRTC_OK)
        sctp_end_log(e, p->now, &ev);
      while (brtc_sctp_poll_packet(e->a, p->now, buf, sizeof buf, &len) == BRTC_OK) {
        sim_link_send(e->link, p->now, buf, len);
        e->packets_out++;
        more = true;
      }
      while (!e->hold_events && brtc_sctp_poll_event(e->a, &ev) == BRTC_OK)
        sctp_end_log(e, p->now, &ev);
    }
  }
}

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

bool sctp_pair_step(sctp_pair *p, uint64_t limit_us) {
  sctp_pair_drain(p);
  uint64_t next = UINT64_MAX;
  for (int i = 0; i < 2; i++) {
    next = min_u64(next, brtc_sctp_next_deadline(p->end[i].a));
    next = min_u64(next, sim_link_next_deadline(p->end[i].link));
  }
  if (next > limit_us) {
    if (limit_us > p->now) p->now = limit_us;
    return false;
  }
  if (next > p->now) p->now = next;
  uint8_t buf[2048];
  size_t len;
  for (int i = 0; i < 2; i++) {
    sctp_end *from = &p->end[i], *to = &p->end[1 - i];
    while (sim_link_receive(from->link, p->now, buf, sizeof buf, &len) == BRTC_OK) {
      brtc_sctp_handle_packet(to->a, p->now, buf, len);
      sctp_pair_drain(p);
    }
  }
  for (int i = 0; i < 2; i++)
    if (brtc_sctp_next_deadline(p->end[i].a) <= p->now)
      brtc_sctp_handle_timeout(p->end[i].a, p->now);
  sctp_pair_drain(p);
  return true;
}

bool sctp_pair_run_until(sctp_pair *p, bool (*done)(sctp_pair *, void *), void *arg,
                         uint64_t max_us) {
  uint64_t limit = p->now + max_us;
  sctp_pair_drain(p);
  while (!done(p, arg)) {
    if (p->now >= limit) return false;
    sctp_pair_step(p, limit);
  }
  return true;
}

void sctp_pair_run_for(sctp_pair *p, uint64_t us) {
  uint64_t limit = p->now + us;
  while (sctp_pair_step(p, limit)) {
  }
}

static bool both_connected(sctp_pair *p, void *arg) {
  (void)arg;
  return sctp_end_count(&p->end[0], BRTC_SCTP_EVENT_CONNECTED) &&
         sctp_end_count(&p->end[1], BRTC_SCTP_EVENT_CONNECTED);
}

bool sctp_pair_connect(sctp_pair *p, bool both, uint64_t max_us) {
  brtc_sctp_connect(p->end[0].a, p->now);
  if (both) brtc_sctp_connect(p->end[1].a, p->now);
  return sctp_pair_run_until(p, both_connected, NULL, max_us);
}

size_t sctp_end_count(const sctp_end *e, brtc_sctp_event_type type) {
  size_t n = 0;
  for (size_t i = 0; i < e->n_log; i++) n += e->log[i].type == type;
  return n;
}

const sctp_rec *sctp_end_find(const sctp_end *e, brtc_sctp_event_type type, size_t nth) {
  for (size_t i = 0; i < e->n_log; i++)
    if (e->log[i].type == type && nth-- == 0) return &e->log[i];
  return NULL;
}

void sctp_fill(uint8_t *buf, size_t len, uint32_t seed) {
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < len; i += 8) {
    uint64_t r = sim_rand_next(&s);
    size_t n = len - i < 8 ? len - i : 8;
    memcpy(buf + i, &r, n);
  }
}

bool sctp_check(const uint8_t *buf, size_t len, uint32_t seed) {
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < len; i += 8) {
    uint64_t r = sim_rand_next(&s);
    size_t n = len - i < 8 ? len - i : 8;
    if (memcmp(buf + i, &r, n) != 0) return false;
  }
  return true;
}

bool sctp_packet_has(const uint8_t *pkt, size_t len, uint8_t type, int stream) {
  brtc_sctp_tlv_iter it;
  brtc_sctp_tlv c;
  brtc_sctp_chunks_begin(&it, pkt, len);
  while (brtc_sctp_tlv_next(&it, &c) == 1) {
    if (c.type != type) continue;
    if (stream < 0) return true;
    brtc_sctp_data d;
    if (brtc_sctp_parse_data(&c, &d) == BRTC_OK && d.stream == stream) return true;
  }
  return false;
}
