/* Two boltrtc peer connections through the public API only, in memory: one offers a data
 * channel, the other answers; one harness drains both on a simulated clock and carries every
 * datagram (STUN, DTLS, SCTP) over a simulated link that can lose and delay it, in both
 * directions. The offerer's ICE agent controls and nominates (RFC 8445 6.1.1), the
 * answerer's a=setup picks the DTLS roles, and the channel the offerer opened with DCEP
 * carries messages both ways, each checked byte for byte: the answerer checks what arrives
 * and echoes it, the offerer checks the echo. Beside it a "control" channel, unordered with
 * maxRetransmits 0 as issue 9's remote camera opens it: what arrives is whole and right, and
 * under loss some of it may not (PR-SCTP, RFC 3758). Media runs both ways on one sendrecv
 * section, VP8 or H.264, each frame checked byte for byte, clean and under loss, and (H.264)
 * with an owner that drains late, so that lent frame bytes are put to the test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/datachannel.h"
#include "boltrtc/error.h"
#include "boltrtc/peer_connection.h"
#include "boltrtc/track.h"
#include "rtp/pacer.h"
#include "pc_drain.h"
#include "testing.h"

#define MAX_QUEUED 4096
#define MAX_MESSAGE (64 * 1024)
#define IN_FLIGHT 16
#define CONTROL_MESSAGES 200
#define FRAME_INTERVAL_US 33333
#define KEYFRAME_EVERY 30 /* and whenever the peer asks */
#define RATE_RING 4096
#define RATE_WINDOW_US 20000
#define PAIR_START_US 1000000 /* the simulated clock's first reading */

typedef struct packet {
  uint64_t at;        /* delivery time */
  int to;             /* 0: the offerer, 1: the answerer */
  size_t len;
  uint8_t data[BRTC_PC_MAX_DATAGRAM];
} packet;

typedef struct side {
  brtc_pc *pc;
  struct sockaddr_in addr;
  uint64_t deadline;
  bool ice_connected, dtls_connected, failed;
  char ice_detail[160], answer_detail[160];
  brtc_datachannel *channel; /* ours (offerer) or the peer's (answerer) */
  bool open;
  unsigned received;         /* messages checked */
  uint64_t bytes;
  bool mismatch;
  brtc_datachannel *control; /* the unordered, unreliable one */
  bool control_open;
  unsigned control_received, control_bad;
  bool control_seen[CONTROL_MESSAGES];
  /* Media (run_pair's media): the VP8 track we send, and the frames that came to us. */
  brtc_track *video;
  unsigned frames_sent, keyframes_sent, keyframe_requests;
  bool key_wanted;
  unsigned frames_received, frames_bad, frames_lost_events;
  unsigned frames_superseded; /* FRAME_LOST events' frames given up for a newer keyframe */
  int last_frame; /* index of the last frame received, -1 before */
  bool frames_in_order;
  /* The frames that never came, as "first-last@time the next came" (what a rare failure
   * under loss needs to be told apart: one long outage, or many short ones). */
  char gaps[512];
  /* Send rate: BRTC_EVENT_BITRATE_TARGET events, and the most RTP bytes this side sent in
   * any RATE_WINDOW_US once rate_from has passed (how hard its pacer let a burst go). */
  unsigned rate_events;
  uint64_t rtp_at[RATE_RING];
  size_t rtp_len[RATE_RING], ring_head, ring_n, window_bytes, window_max;
} side;

typedef struct pair {
  side s[2];
  packet *queue;             /* in flight, unordered; at most MAX_QUEUED */
  size_t n_queued;
  uint64_t now;
  unsigned loss_percent;
  uint64_t delay_us;
  uint32_t rng;
  uint64_t sent_packets[2], dropped_packets[2];
  unsigned total, sent;      /* messages the offerer sends */
  bool media;                /* each side also sends VP8 frames on one sendrecv section */
  uint64_t next_frame;
  uint64_t rate_from;        /* when the sides' RTP bursts start to be measured */
  uint8_t buf[MAX_MESSAGE];
} pair;

static brtc_certificate *cert;

static uint32_t next_rand(pair *p) { /* xorshift32: the same losses on every run */
  p->rng ^= p->rng << 13;
  p->rng ^= p->rng >> 17;
  p->rng ^= p->rng << 5;
  return p->rng;
}

/* Message i: its size, kind and bytes follow from i. */
static size_t message(unsigned i, uint8_t *out, bool *binary) {
  size_t len = i % 8 == 7 ? MAX_MESSAGE - i : 1 + (i * 7919u) % 3000;
  *binary = i % 2 == 0;
  for (size_t k = 0; k < len; k++)
    out[k] = *binary ? (uint8_t)(i * 131u + k * 17u) : (uint8_t)('A' + (i * 3 + k) % 26);
  return len;
}

static bool same_message(unsigned i, const brtc_output *ev) {
  static uint8_t want[MAX_MESSAGE];
  bool binary;
  size_t len = message(i, want, &binary);
  return ev->len == len && ev->binary == binary && memcmp(ev->data, want, len) == 0;
}

/* Control message i: its index, then bytes that follow from it (8 to 200 bytes). */
static size_t control_message(unsigned i, uint8_t *out) {
  size_t len = 8 + (i * 37u) % 193;
  out[0] = (uint8_t)(i >> 8);
  out[1] = (uint8_t)i;
  for (size_t k = 2; k < len; k++) out[k] = (uint8_t)(i ^ (k * 29u));
  return len;
}

static void check_control(side *s, const brtc_output *ev) {
  uint8_t want[256];
  unsigned i = ev->len >= 2 ? (unsigned)(ev->data[0] << 8 | ev->data[1]) : CONTROL_MESSAGES;
  if (i >= CONTROL_MESSAGES || s->control_seen[i] || ev->len != control_message(i, want) ||
      memcmp(ev->data, want, ev->len) != 0 || !ev->binary) {
    s->control_bad++;
    return;
  }
  s->control_seen[i] = true;
  s->control_received++;
}

static void send_control(pair *p) {
  uint8_t msg[256];
  for (unsigned i = 0; i < CONTROL_MESSAGES; i++)
    CHECK_EQ_INT(brtc_datachannel_send(p->s[0].control, p->now, msg, control_message(i, msg), true),
                 BRTC_OK);
}

static void send_more(pair *p) {
  side *o = &p->s[0];
  bool binary;
  while (o->open && p->sent < p->total && p->sent - o->received < IN_FLIGHT) {
    size_t len = message(p->sent, p->buf, &binary);
    int rc = brtc_datachannel_send(o->channel, p->now, p->buf, len, binary);
    if (rc == BRTC_ERR_AGAIN) return;
    CHECK_EQ_INT(rc, BRTC_OK);
    if (rc != BRTC_OK) return;
    p->sent++;
  }
}

/* The media run's codec and how its owner drains (set by the test before run_pair). H.264:
 * Annex-B access units with 4-byte start codes, as the receiving pc hands them out. Late
 * drain: datagrams are delivered in 50 ms batches and the receiver is drained once per batch,
 * not after each, so a frame's event still waits in the queue while the next frame's packets
 * come in and its bytes are written where the last one's lay (pc_events.c must copy the lent
 * bytes then, and only then). */
static bool media_h264, late_drain;
#define LATE_DRAIN_US 50000

/* An SPS (baseline, level 3.0) and a PPS with no zero byte in them, from tests/codec. */
static const uint8_t h264_sps[] = {0x67, 0x42, 0xc0, 0x1e, 0x8c, 0x8d, 0x40, 0x52,
                                   0x1f, 0xf1, 0x11, 0x10, 0x0f, 0x08, 0x84, 0x6a};
static const uint8_t h264_pps[] = {0x68, 0xce, 0x3c, 0x80};

static size_t put_nal_start(uint8_t *out, size_t at) {
  memcpy(out + at, "\x00\x00\x00\x01", 4);
  return at + 4;
}

/* Where frame i's index lies in it. */
static size_t index_at(bool key) {
  if (!media_h264) return key ? 10 : 3;
  /* SPS and PPS, then the slice's NAL header and its first byte (first_mb_in_slice 0). */
  return key ? 4 + sizeof h264_sps + 4 + sizeof h264_pps + 4 + 2 : 4 + 2;
}

/* Frame i: a VP8 keyframe (RFC 6386 9.1: the frame tag, start code and a 320x240 size) or a
 * delta frame, or an H.264 access unit (SPS, PPS and an IDR slice, or a non-IDR slice), with
 * i and bytes that follow from it, so the receiver can check each whole. H.264's bytes are
 * never zero, so no start code or emulation prevention can appear inside a NAL unit. */
static size_t make_frame(unsigned i, bool key, int who, uint8_t *out) {
  size_t len = key ? 6000 + (i * 13u) % 3000 : 700 + (i * 37u) % 2500;
  size_t at = index_at(key);
  if (media_h264) {
    size_t k = 0;
    if (key) {
      k = put_nal_start(out, k);
      memcpy(out + k, h264_sps, sizeof h264_sps);
      k = put_nal_start(out, k + sizeof h264_sps);
      memcpy(out + k, h264_pps, sizeof h264_pps);
      k += sizeof h264_pps;
    }
    k = put_nal_start(out, k);
    out[k] = key ? 0x65 : 0x41; /* nal_ref_idc 3 or 2; IDR (5) or non-IDR slice (1) */
    out[k + 1] = 0x88;          /* first_mb_in_slice ue(v) 0, then slice_type bits */
    out[at] = (uint8_t)(0x80 | ((i >> 7) & 0x7f)), out[at + 1] = (uint8_t)(0x80 | (i & 0x7f));
    out[at + 2] = (uint8_t)(who + 1);
    for (k = at + 3; k < len; k++) out[k] = (uint8_t)(1 + (i * 7u + k * 13u + (unsigned)who) % 255);
    return len;
  }
  out[0] = key ? 0x10 : 0x11; /* show_frame; bit 0 clear: a keyframe */
  out[1] = out[2] = 0;
  if (key) {
    static const uint8_t head[7] = {0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00};
    memcpy(out + 3, head, sizeof head);
  }
  out[at] = (uint8_t)(i >> 8), out[at + 1] = (uint8_t)i, out[at + 2] = (uint8_t)who;
  for (size_t k = at + 3; k < len; k++) out[k] = (uint8_t)(i * 7u + k * 13u + (unsigned)who);
  return len;
}

static unsigned frame_index(const uint8_t *at) {
  if (media_h264) return (unsigned)((at[0] & 0x7f) << 7 | (at[1] & 0x7f));
  return (unsigned)(at[0] << 8 | at[1]);
}

/* now_s: seconds of simulated time since the pair began. */
static void check_frame(side *s, int from, const brtc_output *ev, double now_s) {
  static uint8_t want[16384];
  size_t at = index_at(ev->keyframe);
  if (ev->len < at + 3 || strcmp(ev->codec, media_h264 ? "H264" : "VP8") != 0) {
    s->frames_bad++;
    return;
  }
  unsigned i = frame_index(ev->data + at);
  size_t len = make_frame(i, ev->keyframe, from, want);
  if (ev->len != len || memcmp(ev->data, want, len) != 0) {
    s->frames_bad++;
    return;
  }
  if (s->last_frame >= 0 && (int)i <= s->last_frame) s->frames_in_order = false;
  size_t used = strlen(s->gaps);
  if ((int)i > s->last_frame + 1 && used < sizeof s->gaps)
    snprintf(s->gaps + used, sizeof s->gaps - used, " %d-%u@%.3fs%s", s->last_frame + 1, i - 1,
             now_s, ev->keyframe ? " (key)" : "");
  s->last_frame = (int)i;
  s->frames_received++;
}

static void send_frames(pair *p) {
  static uint8_t frame[16384];
  for (int w = 0; w < 2; w++) {
    side *s = &p->s[w];
    if (!s->video) continue;
    bool key = s->key_wanted || s->frames_sent % KEYFRAME_EVERY == 0;
    size_t len = make_frame(s->frames_sent, key, w, frame);
    int rc = brtc_track_send_frame(s->video, p->now, frame, len, p->now, 0);
    if (rc == BRTC_OK) {
      s->frames_sent++;
      s->keyframes_sent += key;
      if (key) s->key_wanted = false;
    } else {
      CHECK_EQ_INT(rc, BRTC_ERR_AGAIN); /* not connected yet, or waiting for a keyframe */
    }
  }
}

static void on_event(pair *p, int who, const brtc_output *ev) {
  side *s = &p->s[who];
  if (ev->event == BRTC_EVENT_BITRATE_TARGET) {
    CHECK(ev->media_track == s->video);
    s->rate_events++;
    return;
  }
  if (ev->event == BRTC_EVENT_KEYFRAME_REQUEST) {
    s->key_wanted = true;
    s->keyframe_requests++;
    return;
  }
  if (ev->event == BRTC_EVENT_FRAME) {
    check_frame(s, 1 - who, ev, (double)(p->now - PAIR_START_US) / 1e6);
    return;
  }
  if (ev->event == BRTC_EVENT_FRAME_LOST) {
    s->frames_lost_events++;
    /* Both codecs report in one shape, superseded frames included (pc_media.c). */
    CHECK(strcmp(ev->codec, media_h264 ? "H264" : "VP8") == 0);
    const char *sup = ev->detail ? strstr(ev->detail, " superseded") : NULL;
    if (sup) {
      const char *n = sup;
      while (n > ev->detail && n[-1] >= '0' && n[-1] <= '9') n--;
      s->frames_superseded += (unsigned)strtoul(n, NULL, 10);
    }
    return;
  }
  if (ev->event == BRTC_EVENT_STEP) {
    if (ev->step == BRTC_STEP_ICE_CONNECTED) {
      s->ice_connected = true;
      snprintf(s->ice_detail, sizeof s->ice_detail, "%s", ev->detail);
    }
    if (ev->step == BRTC_STEP_ANSWER)
      snprintf(s->answer_detail, sizeof s->answer_detail, "%s", ev->detail);
    if (ev->step == BRTC_STEP_DTLS_CONNECTED) s->dtls_connected = true;
    if (ev->step == BRTC_STEP_FAILED) {
      s->failed = true;
      fprintf(stderr, "  %s failed: %s\n", who ? "answerer" : "offerer", ev->detail);
    }
    return;
  }
  if (ev->event == BRTC_EVENT_DATACHANNEL && who == 1) {
    if (strcmp(brtc_datachannel_label(ev->channel), "control") == 0) s->control = ev->channel;
    else s->channel = ev->channel;
  }
  if (ev->event == BRTC_EVENT_DATACHANNEL_OPEN && ev->channel == s->control) {
    s->control_open = true;
    if (who == 0) send_control(p);
  }
  if (ev->event == BRTC_EVENT_DATACHANNEL_MESSAGE && ev->channel == s->control && who == 1)
    check_control(s, ev);
  if (ev->event == BRTC_EVENT_DATACHANNEL_OPEN && ev->channel == s->channel) {
    s->open = true;
    if (who == 0) send_more(p);
  }
  if (ev->event == BRTC_EVENT_DATACHANNEL_BUFFERED_AMOUNT_LOW && who == 0) send_more(p);
  if (ev->event != BRTC_EVENT_DATACHANNEL_MESSAGE || ev->channel != s->channel) return;
  if (!same_message(s->received, ev)) {
    if (!s->mismatch)
      fprintf(stderr, "  %s: message %u differs (%zu bytes)\n", who ? "answerer" : "offerer",
              s->received, ev->len);
    s->mismatch = true;
  }
  s->received++;
  s->bytes += ev->len;
  if (who == 1) /* the answerer echoes what it checked */
    CHECK_EQ_INT(brtc_datachannel_send(s->channel, p->now, ev->data, ev->len, ev->binary), BRTC_OK);
  else
    send_more(p);
}

/* An RTP datagram (RFC 7983: first byte 128..191; RFC 5761: not an RTCP type) this side
 * sends, into its sliding window of RATE_WINDOW_US. */
static void count_rtp(pair *p, side *s, const brtc_output *out) {
  if (out->len < 12 || out->data[0] < 128 || out->data[0] > 191) return;
  if ((out->data[1] & 0x7f) >= 64 && (out->data[1] & 0x7f) <= 95) return;
  if (!p->rate_from || p->now < p->rate_from) return;
  while (s->ring_n && (s->rtp_at[s->ring_head] + RATE_WINDOW_US <= p->now || s->ring_n == RATE_RING)) {
    s->window_bytes -= s->rtp_len[s->ring_head];
    s->ring_head = (s->ring_head + 1) % RATE_RING;
    s->ring_n--;
  }
  size_t at = (s->ring_head + s->ring_n++) % RATE_RING;
  s->rtp_at[at] = p->now;
  s->rtp_len[at] = out->len;
  s->window_bytes += out->len;
  if (s->window_bytes > s->window_max) s->window_max = s->window_bytes;
}

/* The rule: drain after every call. Datagrams go on the link, events to on_event. */
static void drain(pair *p, int who) {
  side *s = &p->s[who];
  pc_drainer d = {.pc = s->pc};
  for (const brtc_output *out; (out = pc_drain_next(&d));) {
    if (out->kind == BRTC_OUTPUT_EVENT) {
      on_event(p, who, out);
      continue;
    }
    const struct sockaddr_in *to = (const struct sockaddr_in *)&out->remote;
    int dest = 1 - who;
    count_rtp(p, s, out);
    CHECK(to->sin_port == p->s[dest].addr.sin_port); /* ICE found the other one */
    p->sent_packets[who]++;
    if (next_rand(p) % 100 < p->loss_percent) {
      p->dropped_packets[who]++;
      continue;
    }
    CHECK(p->n_queued < MAX_QUEUED);
    if (p->n_queued == MAX_QUEUED) continue;
    packet *q = &p->queue[p->n_queued++];
    q->at = p->now + p->delay_us;
    if (late_drain) q->at += LATE_DRAIN_US - q->at % LATE_DRAIN_US; /* batches */
    q->to = dest;
    q->len = out->len;
    memcpy(q->data, out->data, out->len);
  }
  s->deadline = d.deadline;
}

/* Delivers what is due, in the order it was sent; fires due timers. */
static void step(pair *p) {
  uint64_t next = p->s[0].deadline < p->s[1].deadline ? p->s[0].deadline : p->s[1].deadline;
  if (p->media && p->next_frame < next) next = p->next_frame;
  for (size_t i = 0; i < p->n_queued; i++)
    if (p->queue[i].at < next) next = p->queue[i].at;
  if (next > p->now) p->now = next;
  bool fed[2] = {false, false};
  size_t kept = 0;
  for (size_t i = 0; i < p->n_queued; i++) {
    packet *q = &p->queue[i];
    if (q->at > p->now) {
      if (kept != i) p->queue[kept] = *q;
      kept++;
      continue;
    }
    side *d = &p->s[q->to];
    (void)brtc_pc_handle_datagram(d->pc, q->data, q->len,
                                  (const struct sockaddr *)&p->s[1 - q->to].addr, p->now);
    if (late_drain) fed[q->to] = true;
    else drain(p, q->to);
  }
  p->n_queued = kept;
  for (int w = 0; w < 2; w++)
    if (fed[w]) drain(p, w);
  if (p->media && p->now >= p->next_frame) {
    send_frames(p);
    p->next_frame = p->now + FRAME_INTERVAL_US;
    drain(p, 0);
    drain(p, 1);
  }
  for (int w = 0; w < 2; w++) {
    if (p->s[w].deadline > p->now) continue;
    brtc_pc_handle_timeout(p->s[w].pc, p->now);
    drain(p, w);
  }
}

/* The answerer's video ceiling (0: the default, which follows the picture): what its REMB
 * tells the offerer's track it may send. */
static uint32_t answerer_max_bps;

static brtc_pc *make_pc(uint16_t port, brtc_dtls_role role, bool lite, uint32_t max_bps,
                        struct sockaddr_in *addr) {
  *addr = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(port),
                               .sin_addr.s_addr = htonl(0x7f000001)};
  brtc_pc_config *cfg = brtc_pc_config_new();
  brtc_pc_config_set_certificate(cfg, cert);
  brtc_pc_config_set_datachannels(cfg, true);
  brtc_pc_config_set_dtls_role(cfg, role);
  brtc_pc_config_set_ice_lite(cfg, lite);
  if (max_bps) brtc_pc_config_set_video_bitrate(cfg, max_bps, max_bps);
  brtc_pc_config_add_host_address(cfg, (const struct sockaddr *)addr);
  brtc_pc *pc = NULL;
  char err[160];
  CHECK_EQ_INT(brtc_pc_new(cfg, &pc, err, sizeof err), BRTC_OK);
  brtc_pc_config_free(cfg);
  return pc;
}

/* Offer, answer, then pump until the offerer has every echo back (or simulated time runs
 * out). */
static void run_pair(unsigned loss, uint64_t delay_us, brtc_dtls_role answer_role,
                     unsigned messages, bool expect_offerer_client, bool offerer_lite,
                     bool media) {
  pair *p = calloc(1, sizeof *p);
  p->queue = calloc(MAX_QUEUED, sizeof *p->queue);
  p->loss_percent = loss;
  p->delay_us = delay_us;
  p->rng = 0x9e3779b9u;
  p->total = messages;
  p->now = PAIR_START_US;
  p->s[0].pc = make_pc(5000, BRTC_DTLS_ROLE_AUTO, offerer_lite, 0, &p->s[0].addr);
  p->s[1].pc = make_pc(6000, answer_role, false, answerer_max_bps, &p->s[1].addr);
  p->media = media;
  char err[256] = "";
  for (int w = 0; media && w < 2; w++) { /* the answerer's goes on the offer's section */
    p->s[w].last_frame = -1;
    p->s[w].frames_in_order = true;
    CHECK_EQ_INT(brtc_pc_add_track(p->s[w].pc, BRTC_TRACK_VIDEO, BRTC_DIRECTION_SENDRECV,
                                   media_h264 ? "H264" : "VP8", &p->s[w].video), BRTC_OK);
  }
  /* A low receiving ceiling for the answerer, but not for what it sends: its own track's
   * bounds say so (its target then follows the offerer's REMB), the control below. */
  if (media && answerer_max_bps)
    CHECK_EQ_INT(brtc_track_set_bitrate_bounds(p->s[1].video, 0, 2500000), BRTC_OK);
  brtc_datachannel_init init;
  brtc_datachannel_init_default(&init);
  CHECK_EQ_INT(brtc_pc_create_datachannel(p->s[0].pc, p->now, "chat", &init, &p->s[0].channel,
                                          err, sizeof err), BRTC_OK);
  brtc_datachannel_init control;
  brtc_datachannel_init_default(&control);
  control.ordered = false;
  control.max_retransmits = 0;
  CHECK_EQ_INT(brtc_pc_create_datachannel(p->s[0].pc, p->now, "control", &control,
                                          &p->s[0].control, err, sizeof err), BRTC_OK);
  const char *offer = NULL, *answer = NULL;
  CHECK_EQ_INT(brtc_pc_create_offer(p->s[0].pc, p->now, &offer, err, sizeof err), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_set_local_description(p->s[0].pc, "offer", NULL, p->now, err, sizeof err),
               BRTC_OK);
  drain(p, 0);
  CHECK_EQ_INT(brtc_pc_set_remote_description(p->s[1].pc, "offer", offer, p->now, err, sizeof err),
               BRTC_OK);
  if (err[0]) fprintf(stderr, "  answerer: %s\n", err);
  CHECK_EQ_INT(brtc_pc_create_answer(p->s[1].pc, &answer, err, sizeof err), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_set_local_description(p->s[1].pc, "answer", NULL, p->now, err, sizeof err),
               BRTC_OK);
  drain(p, 1);
  CHECK_EQ_INT(brtc_pc_set_remote_description(p->s[0].pc, "answer", answer, p->now, err,
                                              sizeof err), BRTC_OK);
  if (err[0]) fprintf(stderr, "  offerer: %s\n", err);
  drain(p, 0);
  CHECK_EQ_INT(brtc_pc_signaling_state(p->s[0].pc), BRTC_SIGNALING_STABLE);
  CHECK_EQ_INT(brtc_pc_signaling_state(p->s[1].pc), BRTC_SIGNALING_STABLE);
  uint64_t start = p->now, limit = start + 120 * 1000000ull;
  p->rate_from = start + 2000000; /* after the first REMB and keyframes */
  uint64_t media_until = start + (media ? 6 * 1000000ull : 0);
  while (p->now < limit && (p->s[0].received < p->total || p->now < media_until) &&
         !p->s[0].failed && !p->s[1].failed)
    step(p);
  side *o = &p->s[0], *a = &p->s[1];
  fprintf(stderr, "  loss %u%%, delay %llu ms: %u/%u messages each way (%llu bytes) in %.2f s "
          "simulated; datagrams %llu/%llu sent, %llu/%llu lost\n  offerer %s\n  answerer %s\n",
          loss, (unsigned long long)(delay_us / 1000), o->received, p->total,
          (unsigned long long)o->bytes, (double)(p->now - start) / 1e6,
          (unsigned long long)p->sent_packets[0], (unsigned long long)p->sent_packets[1],
          (unsigned long long)p->dropped_packets[0], (unsigned long long)p->dropped_packets[1],
          o->ice_detail, a->ice_detail);
  CHECK(o->ice_connected && a->ice_connected && o->dtls_connected && a->dtls_connected);
  /* The offerer nominates (RFC 8445 6.1.1), unless it is lite: then the full answerer does. */
  CHECK(strstr(o->ice_detail, offerer_lite ? "(lite ICE, controlled)" : "controlling") != NULL);
  CHECK(strstr(a->ice_detail, offerer_lite ? "controlling" : "controlled") != NULL);
  CHECK(strstr(o->answer_detail, expect_offerer_client ? "we are the DTLS client"
                                                       : "we are the DTLS server") != NULL);
  CHECK(o->open && a->channel && strcmp(brtc_datachannel_label(a->channel), "chat") == 0);
  /* RFC 8832 6: the DTLS client's channels have even ids. */
  CHECK_EQ_INT(brtc_datachannel_id(o->channel) % 2, expect_offerer_client ? 0 : 1);
  CHECK_EQ_INT(a->received, p->total);
  CHECK_EQ_INT(o->received, p->total);
  CHECK(!o->mismatch && !a->mismatch && o->bytes == a->bytes && o->bytes > 100 * 1000);
  CHECK(!o->failed && !a->failed);
  if (loss) CHECK(p->dropped_packets[0] > 0 && p->dropped_packets[1] > 0);
  /* The control channel: unordered and never resent, each message whole and right. */
  fprintf(stderr, "  control (unordered, maxRetransmits 0): %u/%u arrived, %u bad\n",
          a->control_received, CONTROL_MESSAGES, a->control_bad);
  CHECK(o->control_open && a->control && !brtc_datachannel_ordered(a->control));
  CHECK_EQ_INT(brtc_datachannel_max_retransmits(a->control), 0);
  CHECK_EQ_INT(a->control_bad, 0);
  if (!loss) CHECK_EQ_INT(a->control_received, CONTROL_MESSAGES);
  /* All 200 go at once, about ten to a datagram, so the link's losses take them in tens: 5 %
   * of some twenty datagrams loses five or more (a quarter) about once in a few hundred runs
   * (the losses are fixed, but which datagrams carry control messages moves with the run's
   * random ids), ten or more practically never. */
  else CHECK(a->control_received >= CONTROL_MESSAGES / 2);
  for (int w = 0; media && w < 2; w++) {
    side *s = &p->s[w], *peer = &p->s[1 - w];
    fprintf(stderr, "  %s: sent %u frames (%u key, %u asked for), received %u of the other's "
            "%u, %u bad, %u loss events (%u frames superseded), in order %d; current direction %s\n",
            w ? "answerer" : "offerer", s->frames_sent, s->keyframes_sent, s->keyframe_requests,
            s->frames_received, peer->frames_sent, s->frames_bad, s->frames_lost_events,
            s->frames_superseded, s->frames_in_order, brtc_direction_name(brtc_track_current_direction(s->video)));
    if (s->gaps[0]) fprintf(stderr, "  %s: frames that never came (and when the next did):%s\n",
                            w ? "answerer" : "offerer", s->gaps);
    fprintf(stderr, "  %s: send-rate target %u bit/s after %u changes; at most %zu RTP bytes "
            "in %u ms\n", w ? "answerer" : "offerer", (unsigned)brtc_track_target_bitrate(s->video),
            s->rate_events, s->window_max, RATE_WINDOW_US / 1000);
    /* Each side answers the other's RRTR with DLRR (RFC 3611 4.5), so each receiver knows
     * the round trip that spaces its NACKs: twice the link's delay (and a late drain's
     * batching, up to LATE_DRAIN_US each way). */
    brtc_pc_stats st = {.size = sizeof st};
    CHECK_EQ_INT(brtc_pc_get_stats(s->pc, &st), BRTC_OK);
    fprintf(stderr, "  %s: round trip %.1f ms\n", w ? "answerer" : "offerer", st.rtt_us / 1e3);
    CHECK(st.rtt_us + 1000 >= 2 * delay_us &&
          st.rtt_us <= 2 * (delay_us + (late_drain ? LATE_DRAIN_US : 0)) + 1000);
    CHECK(s->frames_sent > 100);
    /* Frames given up for a newer keyframe are told (FRAME_LOST) and counted in the stats,
     * H.264 as VP8: what the events call superseded is within what the stats dropped. */
    CHECK(st.frames_dropped >= s->frames_superseded);
    if (s->frames_lost_events) CHECK(st.frames_dropped > 0);
    CHECK_EQ_INT(s->frames_bad, 0);
    CHECK(s->frames_in_order);
    CHECK_EQ_INT(brtc_track_current_direction(s->video), BRTC_DIRECTION_SENDRECV);
    /* The last frame or two may still be on the way; under loss NACK and RTX repair the
     * rest, and a frame given up costs a keyframe, asked for by PLI. */
    if (!loss) CHECK(s->frames_received + 2 >= peer->frames_sent);
    else CHECK(s->frames_received * 100 >= peer->frames_sent * 90);
  }
  if (media && answerer_max_bps) {
    /* The answerer's REMB lowered the offerer's target (REMB's mantissa rounds down) and its
     * pacer: no 20 ms saw more than 2.5 times the target's bytes, with the pacer's 5 ms
     * burst and one packet over; the answerer, paced at its higher target, burst harder. */
    uint32_t target = brtc_track_target_bitrate(o->video);
    uint64_t bound = (uint64_t)target * BRTC_PACER_FACTOR_PERCENT / 100 *
                         (RATE_WINDOW_US + BRTC_PACER_BURST_US) / 8000000 + BRTC_PC_MAX_DATAGRAM;
    CHECK(o->rate_events >= 1);
    CHECK(target <= answerer_max_bps && target >= answerer_max_bps * 95 / 100);
    brtc_track_send_stats ts = {.size = sizeof ts};
    CHECK_EQ_INT(brtc_track_get_send_stats(o->video, &ts), BRTC_OK);
    CHECK_EQ_INT(ts.target_bitrate, target);
    CHECK(o->window_max <= bound);
    CHECK(a->window_max > o->window_max);
  }
  brtc_pc_close(o->pc, p->now);
  drain(p, 0);
  brtc_pc_free(o->pc);
  brtc_pc_free(a->pc);
  free(p->queue);
  free(p);
}

static void test_pair_clean(void) { run_pair(0, 0, BRTC_DTLS_ROLE_AUTO, 100, false, false, false); }

/* An ICE-lite offerer (a=ice-lite): the full answerer controls and nominates. */
static void test_pair_lite_offerer(void) {
  run_pair(0, 2000, BRTC_DTLS_ROLE_AUTO, 20, false, true, false);
}

/* The answerer as DTLS server: the offerer is the client and its channel's id even. */
static void test_pair_answerer_passive(void) {
  run_pair(0, 2000, BRTC_DTLS_ROLE_PASSIVE, 40, true, false, false);
}

/* Issue 9: 5 % of every packet type lost and 20 ms of delay, both directions. */
static void test_pair_lossy(void) {
  run_pair(5, 20000, BRTC_DTLS_ROLE_AUTO, 100, false, false, false);
}

/* Issue 8: media both ways through the public API, the offerer's track and the answerer's
 * on one sendrecv section, beside the data channels; then the same under 5 % loss and 20 ms
 * of delay on every packet type in both directions. */
static void test_pair_media(void) {
  run_pair(0, 5000, BRTC_DTLS_ROLE_AUTO, 40, false, false, true);
}
static void test_pair_media_lossy(void) {
  run_pair(5, 20000, BRTC_DTLS_ROLE_AUTO, 40, false, false, true);
}

/* The same with H.264 (RFC 6184 packetization-mode 1) both ways: the receiving pc's
 * assembler puts each access unit back together, byte for byte, repaired by NACK and RTX
 * under loss. */
static void test_pair_media_h264(void) {
  media_h264 = true;
  run_pair(0, 5000, BRTC_DTLS_ROLE_AUTO, 40, false, false, true);
  media_h264 = false;
}
static void test_pair_media_h264_lossy(void) {
  media_h264 = true;
  run_pair(5, 20000, BRTC_DTLS_ROLE_AUTO, 40, false, false, true);
  media_h264 = false;
}

/* An owner that drains late, under loss: an H.264 frame event lends the track's buffer, and
 * the next access unit popped into it (the next batch's, or one a retransmission completes
 * along with it) must not change the bytes of one still queued. */
static void test_pair_media_h264_late_drain(void) {
  media_h264 = late_drain = true;
  run_pair(5, 20000, BRTC_DTLS_ROLE_AUTO, 40, false, false, true);
  media_h264 = late_drain = false;
}

/* The receiver says (REMB) it can take 300 kbit/s of the offerer's video: the offerer's
 * track target follows, its pacer spreads each keyframe over time, and every frame still
 * arrives whole. */
static void test_pair_remb_paces_sender(void) {
  answerer_max_bps = 300000;
  run_pair(0, 5000, BRTC_DTLS_ROLE_AUTO, 40, false, false, true);
  answerer_max_bps = 0;
}

int main(void) {
  cert = brtc_certificate_generate();
  RUN(test_pair_clean);
  RUN(test_pair_answerer_passive);
  RUN(test_pair_lite_offerer);
  RUN(test_pair_lossy);
  RUN(test_pair_media);
  RUN(test_pair_media_lossy);
  RUN(test_pair_media_h264);
  RUN(test_pair_media_h264_lossy);
  RUN(test_pair_media_h264_late_drain);
  RUN(test_pair_remb_paces_sender);
  brtc_certificate_free(cert);
  return TEST_REPORT();
}
