/* A publisher and a brtc_pc over two simulated links: see sim_call.h. */
#include "sim_call.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "common/addr.h"

#define SENT_RING 512 /* frames remembered for the byte comparison */
#define DATAGRAM_CAP 2048
#define STUCK_STEP_US 100 /* a deadline that stays due moves the clock on by this */

typedef struct sent_frame {
  bool used;
  uint32_t ts;
  bool key;
  const uint8_t *data;
  size_t len;
} sent_frame;

struct sim_call {
  sim_call_config cfg;
  brtc_pc *pc;
  sim_peer *peer;
  sim_link *up, *down;
  brtc_addr pc_addr, peer_addr;
  uint64_t now;
  uint64_t next_frame_at;
  uint64_t frame_no;
  size_t next_key, next_delta;
  bool key_due;
  sent_frame sent[SENT_RING];
  bool pristine; /* the links are clean until both sides are keyed */
  sim_call_stats stats;
  sim_call_event_fn extra_cb;
  void *extra_user;
  uint64_t pc_deadline; /* from the pc's last BRTC_OUTPUT_TIMEOUT */
};

static const sent_frame *find_sent(const sim_call *c, uint32_t ts) {
  for (size_t i = 0; i < SENT_RING; i++)
    if (c->sent[i].used && c->sent[i].ts == ts) return &c->sent[i];
  return NULL;
}

static void on_event(sim_call *c, const brtc_output *ev) {
  if (ev->event == BRTC_EVENT_FRAME) {
    const brtc_output *f = ev;
    c->stats.frames_received++;
    if (f->keyframe) {
      c->stats.keyframes_received++;
      if (!c->stats.first_keyframe_us) c->stats.first_keyframe_us = c->now;
    }
    const sent_frame *s = find_sent(c, f->rtp_timestamp);
    if (!s) c->stats.frames_unknown++;
    else if (s->len != f->len || s->key != f->keyframe || memcmp(s->data, f->data, f->len) != 0)
      c->stats.frames_wrong++;
  } else if (ev->event == BRTC_EVENT_FRAME_LOST) {
    c->stats.frame_lost_events++;
    if (ev->keyframe) c->stats.keyframes_lost_events++;
  }
  if (c->extra_cb) c->extra_cb(c->pc, ev, c->extra_user);
}

/* The rule of peer_connection.h: drained after every call into the pc; its datagrams go
 * down the link, its events are recorded. */
static bool drain(sim_call *c) {
  uint8_t buf[DATAGRAM_CAP];
  bool moved = false;
  for (int guard = 0; guard < 100000; guard++) {
    brtc_output out = {.size = sizeof(out)};
    if (brtc_pc_poll_output(c->pc, buf, sizeof(buf), &out) != BRTC_OK) break;
    if (out.kind == BRTC_OUTPUT_TIMEOUT) {
      c->pc_deadline = out.deadline_us;
      break;
    }
    if (out.kind == BRTC_OUTPUT_EVENT) {
      on_event(c, &out);
      continue;
    }
    sim_link_send(c->down, c->now, buf, out.len);
    moved = true;
  }
  return moved;
}

sim_call *sim_call_new(const sim_call_config *cfg, uint64_t now_us, char *err, size_t err_cap) {
  sim_call *c = calloc(1, sizeof(*c));
  if (!c) {
    snprintf(err, err_cap, "out of memory");
    return NULL;
  }
  c->cfg = *cfg;
  c->now = now_us;
  c->key_due = true;
  brtc_addr_from_ip(&c->pc_addr, "127.0.0.1", 5000);
  brtc_addr_from_ip(&c->peer_addr, "127.0.0.1", (uint16_t)(20000 + cfg->index % 40000));
  struct sockaddr_storage host;
  memset(&host, 0, sizeof(host));
  memcpy(&host, &c->pc_addr.u, brtc_addr_len(&c->pc_addr));
  brtc_pc_config *pc_cfg = brtc_pc_config_new();
  brtc_pc_config_set_certificate(pc_cfg, cfg->cert);
  brtc_pc_config_add_host_address(pc_cfg, (const struct sockaddr *)&host);
  brtc_pc_config_set_keyframe_policy(pc_cfg, cfg->keyframe_policy);
  if (cfg->max_video_frame) brtc_pc_config_set_max_frame_size(pc_cfg, cfg->max_video_frame);
  brtc_pc_new(pc_cfg, &c->pc, NULL, 0);
  brtc_pc_config_free(pc_cfg);
  c->peer = sim_peer_new(&cfg->peer);
  c->up = sim_link_new(&cfg->up);
  c->down = sim_link_new(&cfg->down);
  if (!c->pc || !c->peer || !c->up || !c->down) {
    snprintf(err, err_cap, "cannot create the pc, the peer or the links");
    sim_call_free(c);
    return NULL;
  }
  c->pristine = cfg->clean_handshake;
  sim_link_set_pristine(c->up, c->pristine);
  sim_link_set_pristine(c->down, c->pristine);
  const char *answer = NULL;
  if (brtc_pc_set_remote_description(c->pc, "offer", sim_peer_offer(c->peer), now_us, err,
                                     err_cap) != BRTC_OK ||
      brtc_pc_create_answer(c->pc, &answer, err, err_cap) != BRTC_OK ||
      sim_peer_set_answer(c->peer, answer, err, err_cap) != BRTC_OK) {
    sim_call_free(c);
    return NULL;
  }
  drain(c);
  return c;
}

void sim_call_free(sim_call *c) {
  if (!c) return;
  brtc_pc_free(c->pc);
  sim_peer_free(c->peer);
  sim_link_free(c->up);
  sim_link_free(c->down);
  free(c);
}

int sim_call_send_frame(sim_call *c, bool key) {
  const uint8_t *data;
  size_t len;
  if (key && c->cfg.n_keyframes) {
    data = c->cfg.keyframes[c->next_key % c->cfg.n_keyframes];
    len = c->cfg.keyframe_lens[c->next_key % c->cfg.n_keyframes];
    c->next_key++;
  } else if (!key && c->cfg.n_deltas) {
    data = c->cfg.deltas[c->next_delta % c->cfg.n_deltas];
    len = c->cfg.delta_lens[c->next_delta % c->cfg.n_deltas];
    c->next_delta++;
  } else {
    return BRTC_ERR_INVALID;
  }
  unsigned fps = c->cfg.fps ? c->cfg.fps : 30;
  uint32_t ts = (uint32_t)(c->frame_no * 90000 / fps);
  int rc = sim_peer_send_frame(c->peer, data, len, key, ts);
  if (rc != BRTC_OK) return rc;
  sent_frame *s = &c->sent[c->frame_no % SENT_RING];
  *s = (sent_frame){.used = true, .ts = ts, .key = key, .data = data, .len = len};
  c->frame_no++;
  c->stats.frames_sent++;
  if (key) c->stats.keyframes_sent++;
  if (!c->stats.media_start_us) c->stats.media_start_us = c->now;
  c->stats.media_end_us = c->now;
  return BRTC_OK;
}

static bool pc_keyed(const sim_call *c) {
  brtc_pc_stats st = {.size = sizeof(brtc_pc_stats)};
  brtc_pc_get_stats(c->pc, &st);
  return brtc_pc_step_time(c->pc, BRTC_STEP_SRTP_READY) != 0;
}

static bool media_on(const sim_call *c) {
  if (!c->cfg.fps || !sim_peer_media_ready(c->peer)) return false;
  if (c->cfg.wait_for_pc_keys && !c->stats.media_start_us && !pc_keyed(c)) return false;
  return !c->cfg.duration_us || !c->stats.media_start_us ||
         c->now < c->stats.media_start_us + c->cfg.duration_us;
}

/* The publisher's camera: one frame per 1/fps, a keyframe when due or asked for. */
static bool send_due_frame(sim_call *c) {
  if (!media_on(c)) return false;
  if (!c->next_frame_at) c->next_frame_at = c->now;
  if (c->next_frame_at > c->now) return false;
  bool asked = sim_peer_take_keyframe_request(c->peer);
  bool periodic = c->cfg.keyframe_interval && c->frame_no % c->cfg.keyframe_interval == 0;
  bool key = c->key_due || asked || periodic;
  if (asked && !c->key_due && !periodic) c->stats.keyframes_asked++;
  c->key_due = false;
  sim_call_send_frame(c, key);
  c->next_frame_at += 1000000 / c->cfg.fps;
  return true;
}

/* Everything that can happen at c->now; true if anything did. */
static bool step(sim_call *c) {
  uint8_t buf[DATAGRAM_CAP];
  size_t len;
  struct sockaddr_storage to;
  bool moved = false;
  if (c->pristine && sim_peer_media_ready(c->peer) && pc_keyed(c)) {
    c->pristine = false;
    sim_link_set_pristine(c->up, false);
    sim_link_set_pristine(c->down, false);
  }
  if (c->pc_deadline <= c->now) brtc_pc_handle_timeout(c->pc, c->now);
  if (sim_peer_next_deadline(c->peer) <= c->now) sim_peer_handle_timeout(c->peer, c->now);
  moved |= send_due_frame(c);
  moved |= drain(c);
  while (sim_peer_poll_transmit(c->peer, buf, sizeof(buf), &len, &to) == BRTC_OK) {
    sim_link_send(c->up, c->now, buf, len);
    moved = true;
  }
  while (sim_link_receive(c->up, c->now, buf, sizeof(buf), &len) == BRTC_OK) {
    brtc_pc_handle_datagram(c->pc, buf, len, &c->peer_addr.u.sa, c->now);
    drain(c);
    moved = true;
  }
  while (sim_link_receive(c->down, c->now, buf, sizeof(buf), &len) == BRTC_OK) {
    sim_peer_handle_datagram(c->peer, buf, len, &c->pc_addr.u.sa, c->now);
    moved = true;
  }
  return moved;
}

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

void sim_call_run_until(sim_call *c, uint64_t until_us) {
  while (c->now <= until_us) {
    for (int i = 0; i < 64 && step(c); i++) {
    }
    drain(c);
    uint64_t next = min_u64(c->pc_deadline, sim_peer_next_deadline(c->peer));
    next = min_u64(next, sim_link_next_deadline(c->up));
    next = min_u64(next, sim_link_next_deadline(c->down));
    if (media_on(c))
      next = min_u64(next, c->next_frame_at ? c->next_frame_at : c->now);
    if (next <= c->now) next = c->now + STUCK_STEP_US;
    if (next > until_us) {
      c->now = until_us;
      step(c);
      return;
    }
    c->now = next;
  }
}

uint64_t sim_call_now(const sim_call *c) { return c->now; }
bool sim_call_media_ready(const sim_call *c) { return sim_peer_media_ready(c->peer); }
brtc_pc *sim_call_pc(sim_call *c) { return c->pc; }
sim_peer *sim_call_peer(sim_call *c) { return c->peer; }
const sim_call_stats *sim_call_get_stats(const sim_call *c) { return &c->stats; }

const sim_link_stats *sim_call_link_stats(const sim_call *c, bool up) {
  return sim_link_get_stats(up ? c->up : c->down);
}

void sim_call_on_event(sim_call *c, sim_call_event_fn cb, void *user) {
  c->extra_cb = cb;
  c->extra_user = user;
}
