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
brtc_dtls_role h_dtls_role;
uint32_t h_max_video_bps, h_start_video_bps;
unsigned h_video_width, h_video_height;
brtc_pc_packet_tap h_packet_tap;
brtc_pc_wire_tap h_wire_tap;
bool h_keep_keylog;
bool h_datachannels;
bool (*h_link_filter)(harness *h, bool to_pc, const uint8_t *data, size_t len);

const brtc_certificate *h_certificate(void) {
  if (!shared_cert) shared_cert = brtc_certificate_generate();
  return shared_cert;
}

static long long heap_now(void) { return (long long)mallinfo2().uordblks; }

static void on_event(brtc_pc *pc, const brtc_pc_event *ev, void *user) {
  (void)pc;
  harness *h = user;
  if (ev->type == BRTC_PC_EVENT_STEP && h->n_steps < H_MAX_EVENTS) {
    h->steps[h->n_steps] = ev->step;
    snprintf(h->details[h->n_steps], sizeof(h->details[0]), "%s", ev->detail ? ev->detail : "");
    h->n_steps++;
  } else if (ev->type == BRTC_PC_EVENT_LOG) {
    h->n_logs++;
  } else if (ev->type >= BRTC_PC_EVENT_DATACHANNEL &&
             ev->type <= BRTC_PC_EVENT_DATACHANNEL_CLOSED) {
    h->dc_last = ev->channel;
    if (ev->type == BRTC_PC_EVENT_DATACHANNEL && h->dc_peer_channels < H_MAX_PEER_CHANNELS)
      h->dc_peer[h->dc_peer_channels++] = ev->channel;
    if (ev->type == BRTC_PC_EVENT_DATACHANNEL_OPEN) h->dc_opened++;
    if (ev->type == BRTC_PC_EVENT_DATACHANNEL_CLOSED) h->dc_closed++;
    if (ev->type == BRTC_PC_EVENT_DATACHANNEL_BUFFERED_AMOUNT_LOW) h->dc_low++;
    if (ev->type == BRTC_PC_EVENT_DATACHANNEL_MESSAGE) {
      if (h->dc_messages++ == 0) h->dc_hash = SIM_FNV_START;
      h->dc_bytes += ev->len;
      h->dc_hash = sim_fnv1a(h->dc_hash, ev->data, ev->len);
      bool peers = false; /* echo the peer's channels only, or the two would ping-pong */
      for (size_t i = 0; i < h->dc_peer_channels; i++) peers = peers || h->dc_peer[i] == ev->channel;
      if (peers && strcmp(brtc_datachannel_label(ev->channel), "echo") == 0)
        brtc_datachannel_send(ev->channel, h->now, ev->data, ev->len, ev->binary);
    }
  } else if (ev->type == BRTC_PC_EVENT_VIDEO_FRAME && h->n_frames < H_MAX_FRAMES) {
    h_frame *f = &h->frames[h->n_frames++];
    f->data = malloc(ev->frame->len);
    if (f->data) memcpy(f->data, ev->frame->data, ev->frame->len);
    f->len = ev->frame->len;
    f->keyframe = ev->frame->keyframe;
    f->width = ev->frame->width;
    f->height = ev->frame->height;
    f->ssrc = ev->frame->ssrc;
    f->ts = ev->frame->rtp_timestamp;
    snprintf(f->mid, sizeof(f->mid), "%s", ev->frame->mid ? ev->frame->mid : "");
    f->track = ev->frame->track;
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
  brtc_pc_config cfg = {.certificate = h_certificate(),
                        .host_addrs = &host,
                        .n_host_addrs = 1,
                        .on_event = on_event,
                        .user = h,
                        .keep_dtls = h_keep_dtls,
                        .dtls_role = h_dtls_role,
                        .max_video_bitrate_bps = h_max_video_bps,
                        .start_video_bitrate_bps = h_start_video_bps,
                        .video_width = h_video_width,
                        .video_height = h_video_height,
                        .on_plain_packet = h_packet_tap,
                        .on_wire_packet = h_wire_tap,
                        .keep_keylog = h_keep_keylog,
                        .datachannels = h_datachannels,
                        .ice_check_timeout_us = h_ice_check_timeout_us};
  h->sim = sim_peer_new(opts);
  PC_CALL(h, h->pc = brtc_pc_new(&cfg));
  if (!h->pc || !h->sim) {
    fprintf(stderr, "h_start: cannot create pc or sim\n");
    return false;
  }
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
  brtc_pc_free(h->pc);
  sim_peer_free(h->sim);
  for (size_t i = 0; i < h->n_frames; i++) free(h->frames[i].data);
  memset(h, 0, sizeof(*h));
}

/* Moves every pending datagram once in each direction; returns how many moved. */
static size_t exchange(harness *h) {
  uint8_t buf[2048];
  size_t len, moved = 0;
  struct sockaddr_storage to;
  for (;;) {
    int rc;
    PC_CALL(h, rc = brtc_pc_poll_transmit(h->pc, buf, sizeof(buf), &len, &to));
    if (rc != BRTC_OK) break;
    moved++;
    if (h_link_filter && !h_link_filter(h, false, buf, len)) continue;
    sim_peer_handle_datagram(h->sim, buf, len, &h->pc_addr.u.sa, h->now);
  }
  for (;;) {
    if (sim_peer_poll_transmit(h->sim, buf, sizeof(buf), &len, &to) != BRTC_OK) break;
    moved++;
    if (h_link_filter && !h_link_filter(h, true, buf, len)) continue;
    if (len > 0 && buf[0] >= 128 && buf[0] <= 191 && len <= sizeof(h->last_media)) {
      memcpy(h->last_media, buf, len);
      h->last_media_len = len;
    }
    PC_CALL(h, brtc_pc_handle_datagram(h->pc, buf, len, &h->sim_addr.u.sa, h->now));
  }
  return moved;
}

bool h_pump(harness *h, bool (*done)(harness *h), uint64_t limit_us) {
  uint64_t end = h->now + limit_us;
  for (int guard = 0; guard < 100000; guard++) {
    if (done && done(h)) return true;
    if (exchange(h)) continue;
    uint64_t t = brtc_pc_next_deadline(h->pc);
    uint64_t s = sim_peer_next_deadline(h->sim);
    if (s < t) t = s;
    if (t <= h->now) t = h->now + 1000; /* due now: give the timers a tick */
    if (t > end) {
      h->now = end;
      PC_CALL(h, brtc_pc_handle_timeout(h->pc, h->now));
      sim_peer_handle_timeout(h->sim, h->now);
      exchange(h);
      return done ? done(h) : true;
    }
    h->now = t;
    PC_CALL(h, brtc_pc_handle_timeout(h->pc, h->now));
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
