#include "pc_harness.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "codec/vpx_encode.h"

#include "boltrtc/datachannel.h"
#include "boltrtc/error.h"

static brtc_certificate *shared_cert;
bool h_keep_dtls;
uint64_t h_ice_check_timeout_us;
bool h_ice_lite;
brtc_dtls_role h_dtls_role;
uint32_t h_max_video_bps, h_start_video_bps;
unsigned h_video_width, h_video_height;
h_packet_tap_fn h_packet_tap;
h_wire_tap_fn h_wire_tap;
bool h_keep_keylog;
bool h_datachannels;
void (*h_before_offer)(harness *h);
bool (*h_link_filter)(harness *h, bool to_pc, const uint8_t *data, size_t len);

const brtc_certificate *h_certificate(void) {
  if (!shared_cert) shared_cert = brtc_certificate_generate();
  return shared_cert;
}

static long long heap_now(void) { return (long long)mallinfo2().uordblks; }

static void on_event(harness *h, const brtc_output *ev) {
  if (ev->event == BRTC_EVENT_PLAIN_PACKET && h->packet_tap) {
    h->packet_tap(h->pc, ev->inbound, ev->rtcp, ev->data, ev->len, h);
  } else if (ev->event == BRTC_EVENT_WIRE_PACKET && h->wire_tap) {
    h->wire_tap(h->pc, ev->inbound, ev->data, ev->len, (const struct sockaddr *)&ev->remote, h);
  } else if (ev->event == BRTC_EVENT_STEP && h->n_steps < H_MAX_EVENTS) {
    h->steps[h->n_steps] = ev->step;
    snprintf(h->details[h->n_steps], sizeof(h->details[0]), "%s", ev->detail ? ev->detail : "");
    h->n_steps++;
  } else if (ev->event == BRTC_EVENT_LOG) {
    h->n_logs++;
  } else if (ev->event == BRTC_EVENT_KEYFRAME_REQUEST) {
    h->keyframe_requests++;
    h->keyframe_track = ev->media_track;
  } else if (ev->event >= BRTC_EVENT_DATACHANNEL &&
             ev->event <= BRTC_EVENT_DATACHANNEL_CLOSED) {
    h->dc_last = ev->channel;
    if (ev->event == BRTC_EVENT_DATACHANNEL && h->dc_peer_channels < H_MAX_PEER_CHANNELS)
      h->dc_peer[h->dc_peer_channels++] = ev->channel;
    if (ev->event == BRTC_EVENT_DATACHANNEL_OPEN) h->dc_opened++;
    if (ev->event == BRTC_EVENT_DATACHANNEL_CLOSED) h->dc_closed++;
    if (ev->event == BRTC_EVENT_DATACHANNEL_BUFFERED_AMOUNT_LOW) h->dc_low++;
    if (ev->event == BRTC_EVENT_DATACHANNEL_MESSAGE) {
      if (h->dc_messages++ == 0) h->dc_hash = SIM_FNV_START;
      h->dc_bytes += ev->len;
      h->dc_hash = sim_fnv1a(h->dc_hash, ev->data, ev->len);
      bool peers = false; /* echo the peer's channels only, or the two would ping-pong */
      for (size_t i = 0; i < h->dc_peer_channels; i++) peers = peers || h->dc_peer[i] == ev->channel;
      if (peers && strcmp(brtc_datachannel_label(ev->channel), "echo") == 0)
        brtc_datachannel_send(ev->channel, h->now, ev->data, ev->len, ev->binary);
    }
  } else if (ev->event == BRTC_EVENT_FRAME && h->n_frames < H_MAX_FRAMES) {
    h_frame *f = &h->frames[h->n_frames++];
    f->data = malloc(ev->len);
    if (f->data) memcpy(f->data, ev->data, ev->len);
    f->len = ev->len;
    f->keyframe = ev->keyframe;
    f->width = ev->width;
    f->height = ev->height;
    f->ssrc = ev->ssrc;
    f->ts = ev->rtp_timestamp;
    snprintf(f->mid, sizeof(f->mid), "%s", ev->mid ? ev->mid : "");
    f->track = ev->track;
  }
}

/* One pc call, with its heap growth added to h->pc_heap when measuring. */
#define PC_CALL(h, expr)                                   \
  do {                                                     \
    long long before_ = (h)->measure ? heap_now() : 0;     \
    expr;                                                  \
    if ((h)->measure) (h)->pc_heap += heap_now() - before_; \
  } while (0)

bool h_start(harness *h, const sim_peer_opts *opts) { return h_start_ex(h, opts, false); }

bool h_start_ex(harness *h, const sim_peer_opts *opts, bool measure) {
  memset(h, 0, sizeof(*h));
  h->measure = measure;
  h->now = 1000000;
  brtc_addr_from_ip(&h->pc_addr, "127.0.0.1", 5000);
  brtc_addr_from_ip(&h->sim_addr, "127.0.0.1", 50123);
  struct sockaddr_storage host;
  memset(&host, 0, sizeof(host));
  memcpy(&host, &h->pc_addr.u, brtc_addr_len(&h->pc_addr));
  brtc_pc_config *cfg = brtc_pc_config_new();
  if (!cfg) return false;
  brtc_pc_config_set_certificate(cfg, h_certificate());
  brtc_pc_config_add_host_address(cfg, (const struct sockaddr *)&host);
  brtc_pc_config_set_keep_dtls(cfg, h_keep_dtls);
  brtc_pc_config_set_dtls_role(cfg, h_dtls_role);
  brtc_pc_config_set_video_bitrate(cfg, h_start_video_bps, h_max_video_bps);
  brtc_pc_config_set_video_size(cfg, h_video_width, h_video_height);
  brtc_pc_config_set_plain_packet_events(cfg, h_packet_tap != NULL);
  brtc_pc_config_set_wire_packet_events(cfg, h_wire_tap != NULL);
  brtc_pc_config_set_keep_keylog(cfg, h_keep_keylog);
  brtc_pc_config_set_datachannels(cfg, h_datachannels);
  brtc_pc_config_set_check_timeout(cfg, h_ice_check_timeout_us);
  brtc_pc_config_set_ice_lite(cfg, h_ice_lite);
  h->packet_tap = h_packet_tap;
  h->wire_tap = h_wire_tap;
  h->deadline = UINT64_MAX;
  h->sim = sim_peer_new(opts);
  char why[256] = "";
  PC_CALL(h, brtc_pc_new(cfg, &h->pc, why, sizeof(why)));
  brtc_pc_config_free(cfg);
  if (!h->pc || !h->sim) {
    fprintf(stderr, "h_start: cannot create pc or sim: %s\n", why);
    return false;
  }
  if (h_before_offer) h_before_offer(h);
  int rc;
  PC_CALL(h, rc = brtc_pc_set_remote_description(h->pc, "offer", sim_peer_offer(h->sim), h->now,
                                                 h->answer_err, sizeof(h->answer_err)));
  if (rc != BRTC_OK) return false;
  const char *answer = NULL;
  char err[256];
  if (brtc_pc_create_answer(h->pc, &answer, err, sizeof(err)) != BRTC_OK) return false;
  if (sim_peer_set_answer(h->sim, answer, err, sizeof(err)) != BRTC_OK) {
    fprintf(stderr, "h_start: sim rejected the answer: %s\n", err);
    return false;
  }
  return true;
}

void h_stop(harness *h) {
  free(h->outq);
  brtc_pc_free(h->pc);
  sim_peer_free(h->sim);
  for (size_t i = 0; i < h->n_frames; i++) free(h->frames[i].data);
  memset(h, 0, sizeof(*h));
}

/* What the pc put out between two exchanges: they reach the sim at the next, as when the
 * pc held them itself. */
#define H_OUTQ 512
struct h_outq {
  uint8_t data[H_OUTQ][BRTC_PC_MAX_DATAGRAM];
  size_t len[H_OUTQ];
  size_t n;
};

size_t h_drain(harness *h) {
  uint8_t buf[BRTC_PC_MAX_DATAGRAM];
  size_t moved = 0;
  if (!h->outq) h->outq = calloc(1, sizeof(*h->outq));
  if (!h->outq) return 0;
  for (int guard = 0; guard < 100000; guard++) {
    brtc_output out = {.size = sizeof(out)};
    int rc;
    PC_CALL(h, rc = brtc_pc_poll_output(h->pc, buf, sizeof(buf), &out));
    if (rc != BRTC_OK) break;
    if (out.kind == BRTC_OUTPUT_TIMEOUT) {
      h->deadline = out.deadline_us;
      break;
    }
    if (out.kind == BRTC_OUTPUT_EVENT) {
      on_event(h, &out);
      continue;
    }
    moved++;
    if (h->outq->n == H_OUTQ) continue; /* a pc this noisy is a bug the test will see */
    memcpy(h->outq->data[h->outq->n], buf, out.len);
    h->outq->len[h->outq->n++] = out.len;
  }
  return moved;
}

int h_feed(harness *h, const uint8_t *data, size_t len, const struct sockaddr *from) {
  int rc;
  PC_CALL(h, rc = brtc_pc_handle_datagram(h->pc, data, len, from, h->now));
  h_drain(h);
  return rc;
}

uint64_t h_deadline(harness *h) {
  h_drain(h);
  return h->deadline;
}

/* Moves every pending datagram once in each direction; returns how many moved. */
static size_t exchange(harness *h) {
  uint8_t buf[2048];
  size_t len, moved = 0;
  struct sockaddr_storage to;
  h_drain(h);
  for (size_t i = 0; h->outq && i < h->outq->n; i++) {
    moved++;
    if (h_link_filter && !h_link_filter(h, false, h->outq->data[i], h->outq->len[i])) continue;
    sim_peer_handle_datagram(h->sim, h->outq->data[i], h->outq->len[i], &h->pc_addr.u.sa,
                             h->now);
  }
  if (h->outq) h->outq->n = 0;
  for (;;) {
    if (sim_peer_poll_transmit(h->sim, buf, sizeof(buf), &len, &to) != BRTC_OK) break;
    moved++;
    if (h_link_filter && !h_link_filter(h, true, buf, len)) continue;
    if (len > 0 && buf[0] >= 128 && buf[0] <= 191 && len <= sizeof(h->last_media)) {
      memcpy(h->last_media, buf, len);
      h->last_media_len = len;
    }
    PC_CALL(h, brtc_pc_handle_datagram(h->pc, buf, len, &h->sim_addr.u.sa, h->now));
    h_drain(h); /* the rule: drain after every call that feeds the pc */
  }
  return moved;
}

bool h_pump(harness *h, bool (*done)(harness *h), uint64_t limit_us) {
  uint64_t end = h->now + limit_us;
  for (int guard = 0; guard < 100000; guard++) {
    if (done && done(h)) return true;
    if (exchange(h)) continue;
    uint64_t t = h_deadline(h);
    uint64_t s = sim_peer_next_deadline(h->sim);
    if (s < t) t = s;
    if (t <= h->now) t = h->now + 1000; /* due now: give the timers a tick */
    if (t > end) {
      h->now = end;
      PC_CALL(h, brtc_pc_handle_timeout(h->pc, h->now));
      h_drain(h);
      sim_peer_handle_timeout(h->sim, h->now);
      exchange(h);
      return done ? done(h) : true;
    }
    h->now = t;
    PC_CALL(h, brtc_pc_handle_timeout(h->pc, h->now));
    h_drain(h);
    sim_peer_handle_timeout(h->sim, h->now);
  }
  return done ? done(h) : false;
}

void h_run_for(harness *h, uint64_t us) { h_pump(h, NULL, us); }

bool h_has_step(const harness *h, brtc_pc_step s) {
  for (size_t i = 0; i < h->n_steps; i++)
    if (h->steps[i] == s) return true;
  return false;
}

const char *h_step_detail(const harness *h, brtc_pc_step s) {
  for (size_t i = 0; i < h->n_steps; i++)
    if (h->steps[i] == s) return h->details[i];
  return "";
}

bool h_connected(harness *h) {
  return h_has_step(h, BRTC_STEP_SRTP_READY) && sim_peer_media_ready(h->sim);
}

static void draw(vpx_image_t *img, unsigned w, unsigned hgt, unsigned shift) {
  for (unsigned y = 0; y < hgt; y++)
    for (unsigned x = 0; x < w; x++) {
      unsigned v = 16 + ((x + shift) * 7 + y * 3) % 200;
      if (((x + shift) / 40 + y / 40) % 2) v = 235 - v / 4;
      img->planes[0][y * (unsigned)img->stride[0] + x] = (uint8_t)v;
    }
  for (unsigned y = 0; y < hgt / 2; y++)
    for (unsigned x = 0; x < w / 2; x++) {
      img->planes[1][y * (unsigned)img->stride[1] + x] = (uint8_t)(64 + (x + shift) % 128);
      img->planes[2][y * (unsigned)img->stride[2] + x] = (uint8_t)(192 - y % 128);
    }
}

size_t h_encode_vp8(unsigned w, unsigned hgt, size_t n, uint8_t **out, size_t *lens,
                    bool *keyframes) {
  test_vp8_encoder e;
  test_vp8_encoder_opts opts = {.kbps = 2000, .realtime = true};
  if (test_vp8_encoder_init_opts(&e, w, hgt, &opts) != 0) return 0;
  static uint8_t frame[1 << 20];
  size_t made = 0;
  for (size_t i = 0; i < n; i++) {
    draw(&e.img, w, hgt, (unsigned)i * 4);
    size_t len = test_vp8_encode(&e, i == 0, frame, sizeof(frame));
    if (len == 0) break;
    out[made] = malloc(len);
    if (!out[made]) continue;
    memcpy(out[made], frame, len);
    lens[made] = len;
    keyframes[made] = (frame[0] & 1) == 0; /* RFC 6386 9.1: the P bit is 0 on keyframes */
    made++;
  }
  test_vp8_encoder_free(&e);
  return made;
}
