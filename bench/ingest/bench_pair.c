#include "bench_pair.h"

#include <stdio.h>
#include <string.h>

#include "boltrtc/loop.h"

static void on_event(bench_pair *p, const brtc_output *ev) {
  if (ev->event == BRTC_EVENT_STEP && (unsigned)ev->step < BENCH_STEPS) {
    if (!p->step_server_us[ev->step])
      p->step_server_us[ev->step] = p->server_us + (brtc_now_us() - p->call_start_us);
    if (ev->step == BRTC_STEP_FAILED) p->failed = true;
  } else if (ev->event == BRTC_EVENT_FRAME) {
    p->frames++;
    p->keyframes += ev->keyframe;
    p->frame_bytes += ev->len;
  }
}

#define TIMED(p, call)                                  \
  do {                                                  \
    (p)->call_start_us = brtc_now_us();                 \
    call;                                               \
    (p)->server_us += brtc_now_us() - (p)->call_start_us; \
  } while (0)

bool bench_pair_keep_dtls;
void (*bench_pair_configure)(brtc_pc_config *cfg);
void (*bench_pair_before_offer)(brtc_pc *pc);

int bench_pair_init(bench_pair *p, const brtc_certificate *cert, const sim_peer_opts *opts,
                    unsigned sim_index, char *err, size_t err_cap) {
  memset(p, 0, sizeof(*p));
  brtc_addr_from_ip(&p->pc_addr, "127.0.0.1", 5000);
  char ip[32];
  snprintf(ip, sizeof(ip), "127.1.%u.%u", (sim_index >> 8) & 255, sim_index & 255);
  brtc_addr_from_ip(&p->sim_addr, ip, (uint16_t)(20000 + sim_index % 40000));
  struct sockaddr_storage host;
  memset(&host, 0, sizeof(host));
  memcpy(&host, &p->pc_addr.u, brtc_addr_len(&p->pc_addr));
  brtc_pc_config *cfg = brtc_pc_config_new();
  brtc_pc_config_set_certificate(cfg, cert);
  brtc_pc_config_add_host_address(cfg, (const struct sockaddr *)&host);
  brtc_pc_config_set_keep_dtls(cfg, bench_pair_keep_dtls);
  brtc_pc_config_set_datachannels(cfg, opts && opts->datachannel);
  if (bench_pair_configure) bench_pair_configure(cfg);
  p->sim = sim_peer_new(opts);
  if (!p->sim) {
    brtc_pc_config_free(cfg);
    snprintf(err, err_cap, "sim_peer_new failed");
    return BRTC_ERR_NOMEM;
  }
  int rc = BRTC_OK;
  const char *answer = NULL;
  TIMED(p, rc = brtc_pc_new(cfg, &p->pc, err, err_cap));
  brtc_pc_config_free(cfg);
  if (rc) return rc;
  if (bench_pair_before_offer) bench_pair_before_offer(p->pc);
  TIMED(p, rc = brtc_pc_set_remote_description(p->pc, "offer", sim_peer_offer(p->sim),
                                                brtc_now_us(), err, err_cap));
  if (rc) return rc;
  TIMED(p, rc = brtc_pc_create_answer(p->pc, &answer, err, err_cap));
  if (rc) return rc;
  return sim_peer_set_answer(p->sim, answer, err, err_cap);
}

void bench_pair_free_pc(bench_pair *p) {
  brtc_pc_free(p->pc);
  p->pc = NULL;
}

void bench_pair_free_sim(bench_pair *p) {
  sim_peer_free(p->sim);
  p->sim = NULL;
}

/* The rule of peer_connection.h: after every call, the pc is drained; datagrams go to the
 * sim, events are counted, the deadline is kept. */
static void drain(bench_pair *p) {
  uint8_t buf[BRTC_PC_MAX_DATAGRAM];
  for (int guard = 0; guard < 100000; guard++) {
    brtc_output out = {.size = sizeof(out)};
    int rc;
    TIMED(p, rc = brtc_pc_poll_output(p->pc, buf, sizeof(buf), &out));
    if (rc != BRTC_OK) return;
    if (out.kind == BRTC_OUTPUT_TIMEOUT) {
      p->deadline_us = out.deadline_us;
      return;
    }
    if (out.kind == BRTC_OUTPUT_EVENT) on_event(p, &out);
    else sim_peer_handle_datagram(p->sim, buf, out.len, &p->pc_addr.u.sa, brtc_now_us());
  }
}

int bench_pair_to_pc(bench_pair *p, const uint8_t *data, size_t len, uint64_t now_us) {
  int rc;
  TIMED(p, rc = brtc_pc_handle_datagram(p->pc, data, len, &p->sim_addr.u.sa, now_us));
  drain(p);
  return rc;
}

void bench_pair_pump(bench_pair *p) {
  uint8_t buf[2048];
  size_t len;
  struct sockaddr_storage to;
  drain(p); /* what signaling left, the first time */
  for (int round = 0; round < 64; round++) {
    bool moved = false;
    uint64_t now = brtc_now_us();
    if (sim_peer_next_deadline(p->sim) <= now) sim_peer_handle_timeout(p->sim, now);
    if (p->deadline_us <= now) {
      TIMED(p, brtc_pc_handle_timeout(p->pc, now));
      drain(p);
    }
    while (sim_peer_poll_transmit(p->sim, buf, sizeof(buf), &len, &to) == BRTC_OK) {
      bench_pair_to_pc(p, buf, len, brtc_now_us());
      moved = true;
    }
    if (!moved) return;
  }
}

bool bench_pair_connect(bench_pair *p, int max_rounds) {
  for (int i = 0; i < max_rounds && !p->failed; i++) {
    bench_pair_pump(p);
    if (sim_peer_media_ready(p->sim) && p->step_server_us[BRTC_STEP_SRTP_READY]) return true;
  }
  return false;
}

void bench_make_vp8_frame(uint8_t *out, size_t len, bool keyframe) {
  memset(out, 0x5a, len);
  if (len < 10) return;
  uint32_t first_part = 1000;
  uint32_t tag = (first_part << 5) | (1u << 4) | (keyframe ? 0u : 1u); /* show_frame */
  out[0] = (uint8_t)tag;
  out[1] = (uint8_t)(tag >> 8);
  out[2] = (uint8_t)(tag >> 16);
  if (!keyframe) return;
  out[3] = 0x9d; /* start code, RFC 6386 9.1 */
  out[4] = 0x01;
  out[5] = 0x2a;
  out[6] = 640 & 0xff;
  out[7] = 640 >> 8;
  out[8] = 480 & 0xff;
  out[9] = 480 >> 8;
}
