/* pc_pair.h: two pcs in memory, frames checked byte for byte. */
#include "pc_pair.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "boltrtc/stats.h"
#include "pc_drain.h"
#include "testing.h"

#define MAX_QUEUED 4096
#define FRAME_INTERVAL_US 33333
#define KEYFRAME_EVERY 30
#define FRAME_MAX 16384

struct pp_packet {
  uint64_t at;
  int to;
  size_t len;
  uint8_t data[BRTC_PC_MAX_DATAGRAM];
};

static brtc_certificate *cert;

/* Frame i of side `who`'s track `track`: a VP8 keyframe (RFC 6386 9.1: tag, start code, a
 * 320x240 size) or delta frame, then i, who and track, then bytes that follow from them. */
static size_t make_frame(unsigned i, bool key, int who, int track, uint8_t *out) {
  size_t len = key ? 5000 + (i * 13u) % 3000 : 600 + (i * 37u) % 2000;
  out[0] = key ? 0x10 : 0x11;
  out[1] = out[2] = 0;
  size_t at = 3;
  if (key) {
    static const uint8_t head[7] = {0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00};
    memcpy(out + 3, head, sizeof head);
    at = 10;
  }
  out[at] = (uint8_t)(i >> 8), out[at + 1] = (uint8_t)i;
  out[at + 2] = (uint8_t)who, out[at + 3] = (uint8_t)track;
  for (size_t k = at + 4; k < len; k++)
    out[k] = (uint8_t)(i * 7u + k * 13u + (unsigned)who * 5u + (unsigned)track * 11u);
  return len;
}

static pp_recv *recv_of(pp_side *s, int track, const char *mid) {
  for (size_t i = 0; i < s->n_recv; i++)
    if (s->recv[i].from_track == track) return &s->recv[i];
  if (s->n_recv == PP_MAX_TRACKS) return NULL;
  pp_recv *r = &s->recv[s->n_recv++];
  memset(r, 0, sizeof *r);
  r->from_track = track;
  r->last = -1;
  snprintf(r->mid, sizeof r->mid, "%s", mid ? mid : "");
  return r;
}

static void check_frame(pp_side *s, int from, const brtc_output *ev) {
  static uint8_t want[FRAME_MAX];
  size_t at = ev->keyframe ? 10 : 3;
  if (ev->len < at + 4 || ev->data[at + 2] != from || ev->data[at + 3] >= PP_MAX_TRACKS) {
    s->frames_bad++;
    return;
  }
  unsigned i = (unsigned)(ev->data[at] << 8 | ev->data[at + 1]);
  int track = ev->data[at + 3];
  size_t len = make_frame(i, ev->keyframe, from, track, want);
  if (ev->len != len || memcmp(ev->data, want, len) != 0) {
    s->frames_bad++;
    return;
  }
  pp_recv *r = recv_of(s, track, ev->mid);
  if (!r) return;
  if (r->last >= 0 && (int)i <= r->last) s->frames_out_of_order++;
  r->last = (int)i;
  r->frames++;
  r->keyframes += ev->keyframe;
  snprintf(r->mid, sizeof r->mid, "%s", ev->mid ? ev->mid : "");
}

static void on_event(pp *p, int who, const brtc_output *ev) {
  pp_side *s = &p->s[who];
  switch (ev->event) {
    case BRTC_EVENT_KEYFRAME_REQUEST:
      s->keyframe_requests++;
      for (size_t i = 0; i < s->n_tracks; i++)
        if (s->tracks[i] == ev->media_track) s->key_wanted[i] = true;
      break;
    case BRTC_EVENT_FRAME:
      s->frames_any++;
      s->keyframes_any += ev->keyframe;
      check_frame(s, 1 - who, ev);
      break;
    case BRTC_EVENT_NEGOTIATION_NEEDED: s->negotiation_needed++; break;
    case BRTC_EVENT_TRACK: s->track_events++; break;
    case BRTC_EVENT_STEP:
      if (ev->step == BRTC_STEP_DTLS_CONNECTED) s->dtls_connected = true;
      if (ev->step == BRTC_STEP_FAILED) {
        s->failed = true;
        fprintf(stderr, "  side %d failed: %s\n", who, ev->detail);
      }
      break;
    default: break;
  }
}

static void count_rtp(pp_side *s, const uint8_t *d, size_t len) {
  /* RFC 7983: 128..191 is RTP or RTCP; RTCP packet types are 192..223 (RFC 5761 4). */
  if (len < 12 || d[0] < 128 || d[0] > 191 || (d[1] >= 192 && d[1] <= 223)) return;
  uint32_t ssrc = (uint32_t)d[8] << 24 | (uint32_t)d[9] << 16 | (uint32_t)d[10] << 8 | d[11];
  for (size_t i = 0; i < s->n_ssrcs; i++)
    if (s->rtp_ssrc[i] == ssrc) {
      s->rtp_count[i]++;
      return;
    }
  if (s->n_ssrcs == PP_MAX_SSRCS) return;
  s->rtp_ssrc[s->n_ssrcs] = ssrc;
  s->rtp_count[s->n_ssrcs++] = 1;
}

static bool to_gone(pp *p, const brtc_output *out) {
  const struct sockaddr_in *to = (const struct sockaddr_in *)&out->remote;
  if (!p->gone.sin_port || to->sin_family != AF_INET || to->sin_port != p->gone.sin_port ||
      to->sin_addr.s_addr != p->gone.sin_addr.s_addr)
    return false;
  /* RFC 7983: STUN starts 0..3. A check to a candidate the peer still lists is ICE doing
   * its work; DTLS, SRTP or SRTCP there is media sent to where no one is. */
  if (out->len && out->data[0] > 3) p->to_gone++;
  return true;
}

void pp_move(pp *p, int w, uint16_t port) {
  p->gone = p->s[w].addr;
  p->s[w].addr.sin_port = htons(port);
}

void pp_set_link(pp *p, uint64_t bps, uint64_t queue_us) {
  p->link_bps = bps;
  p->link_queue_us = queue_us;
}

/* When a datagram of len bytes side `who` sends now arrives, or 0 if the bottleneck's queue
 * drops it. */
static uint64_t arrival(pp *p, int who, size_t len) {
  uint64_t start = p->now;
  if (p->link_bps) {
    if (p->link_free_at[who] > start) start = p->link_free_at[who];
    if (start - p->now > p->link_queue_us) {
      p->link_dropped[who]++;
      return 0;
    }
    start += (uint64_t)len * 8 * 1000000 / p->link_bps;
    p->link_free_at[who] = start;
  }
  return start + 1000; /* 1 ms each way */
}

void pp_drain(pp *p, int who) {
  pp_side *s = &p->s[who];
  pc_drainer d = {.pc = s->pc};
  for (const brtc_output *out; (out = pc_drain_next(&d));) {
    if (out->kind == BRTC_OUTPUT_EVENT) {
      on_event(p, who, out);
      continue;
    }
    count_rtp(s, out->data, out->len);
    if (to_gone(p, out)) continue;
    uint64_t at = arrival(p, who, out->len);
    if (!at) continue;
    CHECK(p->n_queued < MAX_QUEUED);
    if (p->n_queued == MAX_QUEUED) continue;
    pp_packet *q = &p->queue[p->n_queued++];
    q->at = at;
    q->to = 1 - who;
    q->len = out->len;
    memcpy(q->data, out->data, out->len);
  }
  s->deadline = d.deadline;
}

static void send_frames(pp *p) {
  static uint8_t frame[FRAME_MAX];
  for (int w = 0; w < 2; w++) {
    pp_side *s = &p->s[w];
    for (size_t k = 0; k < s->n_tracks; k++) {
      brtc_direction d = brtc_track_current_direction(s->tracks[k]);
      if (s->paused[k] || (d != BRTC_DIRECTION_SENDRECV && d != BRTC_DIRECTION_SENDONLY))
        continue;
      bool key = s->key_wanted[k] || s->sent[k] % KEYFRAME_EVERY == 0;
      size_t len = make_frame(s->sent[k], key, w, (int)k, frame);
      int rc = brtc_track_send_frame(s->tracks[k], p->now, frame, len, p->now, 0);
      if (rc == BRTC_OK) {
        s->sent[k]++;
        if (key) s->key_wanted[k] = false;
      } else if (rc != BRTC_ERR_AGAIN) {
        fprintf(stderr, "  side %d track %zu: send_frame %s\n", w, k, brtc_strerror(rc));
        CHECK_EQ_INT(rc, BRTC_ERR_AGAIN);
      }
    }
    pp_drain(p, w);
  }
}

static void step(pp *p) {
  uint64_t next = p->s[0].deadline < p->s[1].deadline ? p->s[0].deadline : p->s[1].deadline;
  if (p->next_frame < next) next = p->next_frame;
  for (size_t i = 0; i < p->n_queued; i++)
    if (p->queue[i].at < next) next = p->queue[i].at;
  if (next > p->now) p->now = next;
  size_t kept = 0;
  for (size_t i = 0; i < p->n_queued; i++) {
    pp_packet *q = &p->queue[i];
    if (q->at > p->now) {
      if (kept != i) p->queue[kept] = *q;
      kept++;
      continue;
    }
    pp_side *d = &p->s[q->to];
    (void)brtc_pc_handle_datagram(d->pc, q->data, q->len,
                                  (const struct sockaddr *)&p->s[1 - q->to].addr, p->now);
    pp_drain(p, q->to);
  }
  p->n_queued = kept;
  if (p->now >= p->next_frame) {
    send_frames(p);
    p->next_frame = p->now + FRAME_INTERVAL_US;
  }
  for (int w = 0; w < 2; w++) {
    if (p->s[w].deadline > p->now) continue;
    brtc_pc_handle_timeout(p->s[w].pc, p->now);
    pp_drain(p, w);
  }
}

void pp_run(pp *p, uint64_t us) {
  uint64_t until = p->now + us;
  while (p->now < until && !p->s[0].failed && !p->s[1].failed) step(p);
}

static brtc_pc *make_pc(uint16_t port, struct sockaddr_in *addr) {
  *addr = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(port),
                               .sin_addr.s_addr = htonl(0x7f000001)};
  brtc_pc_config *cfg = brtc_pc_config_new();
  brtc_pc_config_set_certificate(cfg, cert);
  brtc_pc_config_set_datachannels(cfg, true);
  brtc_pc_config_add_host_address(cfg, (const struct sockaddr *)addr);
  brtc_pc *pc = NULL;
  char err[160];
  CHECK_EQ_INT(brtc_pc_new(cfg, &pc, err, sizeof err), BRTC_OK);
  brtc_pc_config_free(cfg);
  return pc;
}

pp *pp_new(void) {
  if (!cert) CHECK_EQ_INT(brtc_certificate_new(&cert, NULL, 0), BRTC_OK);
  pp *p = calloc(1, sizeof *p);
  p->queue = calloc(MAX_QUEUED, sizeof *p->queue);
  p->now = 1000000;
  p->next_frame = p->now;
  p->s[0].pc = make_pc(5000, &p->s[0].addr);
  p->s[1].pc = make_pc(6000, &p->s[1].addr);
  p->s[0].deadline = p->s[1].deadline = UINT64_MAX;
  return p;
}

void pp_free(pp *p) {
  if (!p) return;
  brtc_pc_free(p->s[0].pc);
  brtc_pc_free(p->s[1].pc);
  free(p->queue);
  free(p->offer);
  free(p->answer);
  free(p);
}

void pp_cleanup(void) {
  brtc_certificate_free(cert);
  cert = NULL;
}

brtc_track *pp_add_video(pp *p, int w, brtc_direction dir) {
  return pp_add_video_codec(p, w, dir, "VP8");
}

brtc_track *pp_add_video_codec(pp *p, int w, brtc_direction dir, const char *codec) {
  pp_side *s = &p->s[w];
  brtc_track *t = NULL;
  CHECK_EQ_INT(brtc_pc_add_track(s->pc, BRTC_TRACK_VIDEO, dir, codec, &t), BRTC_OK);
  if (t && s->n_tracks < PP_MAX_TRACKS) s->tracks[s->n_tracks++] = t;
  pp_drain(p, w);
  return t;
}

int pp_negotiate(pp *p, int offerer, char *err, size_t cap) {
  brtc_pc *o = p->s[offerer].pc, *a = p->s[1 - offerer].pc;
  const char *offer = NULL, *answer = NULL;
  int rc = brtc_pc_create_offer(o, p->now, &offer, err, cap);
  if (rc == BRTC_OK) rc = brtc_pc_set_local_description(o, "offer", NULL, p->now, err, cap);
  pp_drain(p, offerer);
  free(p->offer);
  free(p->answer);
  p->offer = offer ? strdup(offer) : NULL;
  p->answer = NULL;
  if (rc == BRTC_OK) rc = brtc_pc_set_remote_description(a, "offer", offer, p->now, err, cap);
  if (rc == BRTC_OK) rc = brtc_pc_create_answer(a, &answer, err, cap);
  if (rc == BRTC_OK) p->answer = strdup(answer);
  if (rc == BRTC_OK) rc = brtc_pc_set_local_description(a, "answer", NULL, p->now, err, cap);
  pp_drain(p, 1 - offerer);
  if (rc == BRTC_OK) rc = brtc_pc_set_remote_description(o, "answer", answer, p->now, err, cap);
  pp_drain(p, offerer);
  if (rc != BRTC_OK) fprintf(stderr, "  negotiation (side %d offers): %s: %s\n", offerer,
                             brtc_strerror(rc), err);
  return rc;
}

const pp_recv *pp_received(const pp *p, int w, int from_track) {
  static const pp_recv none = {.last = -1};
  for (size_t i = 0; i < p->s[w].n_recv; i++)
    if (p->s[w].recv[i].from_track == from_track) return &p->s[w].recv[i];
  return &none;
}

uint64_t pp_rtp_sent(const pp *p, int w, uint32_t ssrc) {
  for (size_t i = 0; i < p->s[w].n_ssrcs; i++)
    if (p->s[w].rtp_ssrc[i] == ssrc) return p->s[w].rtp_count[i];
  return 0;
}

pp *pp_live_call(brtc_datachannel **dc) {
  pp *p = pp_new();
  pp_add_video(p, 0, BRTC_DIRECTION_SENDRECV);
  pp_add_video(p, 1, BRTC_DIRECTION_SENDRECV);
  char err[256] = "";
  CHECK_EQ_INT(brtc_pc_create_datachannel(p->s[0].pc, p->now, "chat", NULL, dc, err, sizeof err),
               BRTC_OK);
  CHECK_EQ_INT(pp_negotiate(p, 0, err, sizeof err), BRTC_OK);
  pp_run(p, 2000000);
  CHECK(p->s[0].dtls_connected && p->s[1].dtls_connected);
  CHECK(pp_received(p, 0, 0)->frames > 40 && pp_received(p, 1, 0)->frames > 40);
  return p;
}

uint64_t pp_datachannel_stat(pp *p, int w, const char *member) {
  brtc_stats_report *r = NULL;
  uint64_t n = 0;
  CHECK_EQ_INT(brtc_pc_get_stats_report(p->s[w].pc, p->now, &r), BRTC_OK);
  size_t i = brtc_stats_find_type(r, "data-channel", SIZE_MAX);
  CHECK(i != SIZE_MAX);
  if (i != SIZE_MAX) CHECK_EQ_INT(brtc_stats_get_u64(r, i, member, &n), BRTC_OK);
  brtc_stats_free(r);
  return n;
}
