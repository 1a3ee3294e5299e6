/* Sending media on a pc (include/boltrtc/track.h), against a simulated browser that offers
 * to receive: the answer's send attributes, frames packetized and protected in order and
 * whole, delta frames held until a keyframe, NACK answered from the history on the RTX
 * SSRC (RFC 4588) with the original payload, PLI and FIR turned into keyframe request events,
 * sender reports, a track no section can carry, and keyframes larger than the history's
 * second at the ceiling or the pacer's usual queue. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "boltrtc/track.h"
#include "codec/vp8.h"
#include "common/bytes.h"
#include "pc_harness.h"
#include "rtp/rtcp.h"
#include "testing.h"

#define FRAMES 6
#define MAX_PKTS 4096

typedef struct rx_pkt {
  uint8_t pt;
  bool marker;
  uint16_t seq;
  uint32_t ts, ssrc;
  uint8_t payload[1400];
  size_t payload_len;
} rx_pkt;

static rx_pkt rx[MAX_PKTS];
static size_t n_rx;

static void on_rtp(void *user, const uint8_t *pkt, size_t len) {
  (void)user;
  brtc_rtp_header h;
  if (n_rx >= MAX_PKTS || brtc_rtp_parse(pkt, len, &h) != BRTC_OK) return;
  rx_pkt *r = &rx[n_rx++];
  r->pt = h.payload_type;
  r->marker = h.marker;
  r->seq = h.sequence;
  r->ts = h.timestamp;
  r->ssrc = h.ssrc;
  r->payload_len = h.payload_len < sizeof(r->payload) ? h.payload_len : sizeof(r->payload);
  memcpy(r->payload, h.payload, r->payload_len);
}

static uint8_t *frames[FRAMES];
static size_t lens[FRAMES];
static bool keys[FRAMES];

static brtc_track *added;
static const char *add_codec = "VP8";
static brtc_direction add_direction = BRTC_DIRECTION_SENDONLY;

static uint32_t add_max_bps; /* 0: the pc's ceiling */

static void add_video(harness *h) {
  CHECK(brtc_pc_add_track(h->pc, BRTC_TRACK_VIDEO, add_direction, add_codec, &added) == BRTC_OK);
  if (add_max_bps)
    CHECK_EQ_INT(brtc_track_set_bitrate_bounds(added, 100000, add_max_bps), BRTC_OK);
}

static sim_peer_opts viewer(void) {
  sim_peer_opts o = {.no_audio = true, .video_direction = "recvonly", .video_ssrc = 0x1111,
                     .rtx_ssrc = 0x2222, .rtp_in = on_rtp};
  return o;
}

static bool start_viewer(harness *h, const sim_peer_opts *o) {
  n_rx = 0;
  h_before_offer = add_video;
  bool ok = h_start(h, o);
  h_before_offer = NULL;
  if (!ok) fprintf(stderr, "start failed: %s\n", h->answer_err);
  CHECK(ok);
  return ok && h_pump(h, h_connected, 5000000);
}

/* The answer to a recvonly offer sends our track: sendonly, VP8 with its rtx, our SSRCs in
 * an FID group with cname and msid. */
static void answer_sends(void) {
  harness h;
  sim_peer_opts o = viewer();
  n_rx = 0;
  h_before_offer = add_video;
  CHECK(h_start(&h, &o));
  h_before_offer = NULL;
  const char *answer = NULL;
  char err[128];
  CHECK(brtc_pc_create_answer(h.pc, &answer, err, sizeof err) == BRTC_OK);
  if (answer) {
    char want[160];
    CHECK(strstr(answer, "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n") != NULL);
    CHECK(strstr(answer, "a=sendonly\r\n") != NULL);
    snprintf(want, sizeof want, "a=ssrc-group:FID %u %u\r\n", (unsigned)brtc_track_ssrc(added),
             (unsigned)brtc_track_rtx_ssrc(added));
    CHECK(strstr(answer, want) != NULL);
    snprintf(want, sizeof want, "a=ssrc:%u cname:", (unsigned)brtc_track_ssrc(added));
    CHECK(strstr(answer, want) != NULL);
    CHECK(strstr(answer, "a=msid:boltrtc boltrtc-video0\r\n") != NULL);
    CHECK(strstr(answer, "a=msid-semantic: WMS boltrtc\r\n") != NULL);
  }
  CHECK_STR(brtc_track_mid(added), "0");
  CHECK_EQ_INT(brtc_track_payload_type(added), 96);
  CHECK(brtc_track_rtx_ssrc(added) != 0);
  CHECK_EQ_INT(brtc_track_current_direction(added), BRTC_DIRECTION_SENDONLY);
  CHECK_EQ_INT(brtc_pc_track_count(h.pc), 0); /* nothing to receive on a section we send on */
  /* After the offer: a track waits for the next exchange (renegotiation, test_pc_reneg). */
  brtc_track *late = NULL;
  CHECK_EQ_INT(brtc_pc_add_track(h.pc, BRTC_TRACK_VIDEO, BRTC_DIRECTION_SENDONLY, "VP8", &late),
               BRTC_OK);
  CHECK_STR(brtc_track_mid(late), "");
  CHECK_EQ_INT(brtc_track_current_direction(late), BRTC_DIRECTION_INACTIVE);
  CHECK_EQ_INT(brtc_pc_add_track(h.pc, BRTC_TRACK_AUDIO, BRTC_DIRECTION_SENDONLY, "VP8", &late),
               BRTC_ERR_INVALID);
  h_stop(&h);
}

/* The payload of frame f as received: the packets with its timestamp, descriptors cut. */
static size_t gather(uint32_t ts, uint32_t ssrc, uint8_t *out, size_t cap, size_t *packets) {
  size_t len = 0;
  *packets = 0;
  for (size_t i = 0; i < n_rx; i++) {
    if (rx[i].ts != ts || rx[i].ssrc != ssrc) continue;
    brtc_vp8_descriptor d;
    if (brtc_vp8_parse_descriptor(rx[i].payload, rx[i].payload_len, &d) != BRTC_OK) return 0;
    size_t part = rx[i].payload_len - d.size;
    if (len + part > cap) return 0;
    memcpy(out + len, rx[i].payload + d.size, part);
    len += part;
    (*packets)++;
  }
  return len;
}

/* The first packet received on ssrc, or NULL. */
static const rx_pkt *first_of(uint32_t ssrc) {
  for (size_t i = 0; i < n_rx; i++)
    if (rx[i].ssrc == ssrc) return &rx[i];
  return NULL;
}

static size_t count_ssrc(uint32_t ssrc) {
  size_t n = 0;
  for (size_t i = 0; i < n_rx; i++) n += rx[i].ssrc == ssrc;
  return n;
}

/* Frames go out whole and in order; a delta frame before the first keyframe is held back;
 * the transport's start asks for a keyframe; sender reports come. */
static void frames_arrive(void) {
  harness h;
  sim_peer_opts o = viewer();
  if (!start_viewer(&h, &o)) {
    h_stop(&h);
    return;
  }
  h_run_for(&h, 10000);
  CHECK_EQ_INT(h.keyframe_requests, 1); /* the transport is up: start on a keyframe */
  CHECK(h.keyframe_track == added);
  uint32_t ssrc = brtc_track_ssrc(added);
  CHECK_EQ_INT(brtc_track_send_frame(added, h.now, frames[1], lens[1], h.now, 0),
               BRTC_ERR_AGAIN); /* a delta frame first: no decoder could start there */
  uint64_t t0 = h.now;
  for (int i = 0; i < FRAMES; i++) {
    CHECK_EQ_INT(brtc_track_send_frame(added, h.now, frames[i], lens[i], t0 + 33333u * i, 0),
                 BRTC_OK);
    h_run_for(&h, 33333);
  }
  h_run_for(&h, 1500000);
  uint8_t *got = malloc(512 * 1024);
  const rx_pkt *first = first_of(ssrc);
  CHECK(first != NULL);
  uint32_t ts0 = first ? first->ts : 0;
  size_t total = 0;
  for (int i = 0; i < FRAMES && got; i++) {
    size_t packets = 0;
    /* 33,333 us at 90 kHz: 3,000 (2,999.97) ticks per frame. */
    size_t len = gather(ts0 + (uint32_t)((33333ull * i * 90) / 1000), ssrc, got, 512 * 1024,
                        &packets);
    CHECK_EQ_INT(len, lens[i]);
    if (len == lens[i]) CHECK_MEM(got, frames[i], lens[i]);
    total += packets;
  }
  free(got);
  CHECK_EQ_INT(count_ssrc(ssrc), total);
  /* Sequence numbers consecutive, payload type negotiated, marker on each frame's last. */
  size_t markers = 0;
  bool consecutive = true;
  uint16_t prev = 0;
  bool have_prev = false;
  for (size_t i = 0; i < n_rx; i++) {
    if (rx[i].ssrc != ssrc) continue;
    CHECK_EQ_INT(rx[i].pt, 96);
    markers += rx[i].marker;
    if (have_prev && (uint16_t)(prev + 1) != rx[i].seq) consecutive = false;
    prev = rx[i].seq;
    have_prev = true;
  }
  CHECK(consecutive);
  CHECK_EQ_INT(markers, FRAMES);
  const sim_peer_stats *ss = sim_peer_get_stats(h.sim);
  CHECK_EQ_INT(ss->rtp_bad, 0);
  CHECK(ss->srs_received >= 1);
  brtc_track_send_stats st = {.size = sizeof st};
  CHECK(brtc_track_get_send_stats(added, &st) == BRTC_OK);
  CHECK_EQ_INT(st.frames_sent, FRAMES);
  CHECK_EQ_INT(st.key_frames_sent, 1);
  CHECK_EQ_INT(st.packets_sent, total);
  CHECK_EQ_INT(st.frames_refused, 1);
  CHECK(st.sender_reports_sent >= 1);
  CHECK_STR(st.codec, "VP8");
  h_stop(&h);
}

/* The peer NACKs victim: it comes back on the RTX SSRC (RFC 4588 4), its original sequence
 * number first and then its payload, with its timestamp. */
static void nack_answered(harness *h, const rx_pkt *victim, uint32_t ssrc, uint32_t rtx_ssrc) {
  size_t before = n_rx;
  uint8_t pkt[128];
  size_t len = 0;
  uint16_t seq = victim->seq;
  CHECK(brtc_rtcp_write_nack(0x1111, ssrc, &seq, 1, pkt, sizeof pkt, &len) == BRTC_OK);
  CHECK(sim_peer_send_rtcp(h->sim, pkt, len) == BRTC_OK);
  h_run_for(h, 50000);
  const rx_pkt *rtx = NULL;
  for (size_t i = before; i < n_rx; i++)
    if (rx[i].ssrc == rtx_ssrc) rtx = &rx[i];
  CHECK(rtx != NULL);
  if (!rtx) return;
  CHECK_EQ_INT(rtx->pt, 97);
  CHECK_EQ_INT(brtc_rd16(rtx->payload), seq);
  CHECK_EQ_INT(rtx->payload_len, victim->payload_len + 2);
  if (rtx->payload_len == victim->payload_len + 2)
    CHECK_MEM(rtx->payload + 2, victim->payload, victim->payload_len);
  CHECK_EQ_INT(rtx->ts, victim->ts);
}

/* The peer's NACK is answered from the history on the RTX SSRC, the original sequence
 * number first and then the original payload; its PLI and FIR become keyframe requests. */
static void nack_and_pli(void) {
  harness h;
  sim_peer_opts o = viewer();
  if (!start_viewer(&h, &o)) {
    h_stop(&h);
    return;
  }
  uint32_t ssrc = brtc_track_ssrc(added), rtx_ssrc = brtc_track_rtx_ssrc(added);
  for (int i = 0; i < 3; i++) {
    CHECK_EQ_INT(brtc_track_send_frame(added, h.now, frames[i], lens[i], h.now, 0), BRTC_OK);
    h_run_for(&h, 33333);
  }
  h_run_for(&h, 100000);
  const rx_pkt *victim = NULL;
  for (size_t i = 0; i < n_rx; i++)
    if (rx[i].ssrc == ssrc && i > 2) {
      victim = &rx[i];
      break;
    }
  CHECK(victim != NULL);
  if (!victim) {
    h_stop(&h);
    return;
  }
  nack_answered(&h, victim, ssrc, rtx_ssrc);
  uint8_t pkt[128];
  size_t len = 0;
  brtc_track_send_stats st = {.size = sizeof st};
  brtc_track_get_send_stats(added, &st);
  CHECK_EQ_INT(st.nack_count, 1);
  CHECK_EQ_INT(st.retransmitted_packets_sent, 1);
  CHECK_EQ_INT(st.rtx_ssrc, rtx_ssrc);

  /* PLI, well after the keyframe left (requests right after one are stale). */
  h_run_for(&h, 1000000);
  uint64_t asked = h.keyframe_requests;
  CHECK(brtc_rtcp_write_pli(0x1111, ssrc, pkt, sizeof pkt, &len) == BRTC_OK);
  CHECK(sim_peer_send_rtcp(h.sim, pkt, len) == BRTC_OK);
  h_run_for(&h, 10000);
  CHECK_EQ_INT(h.keyframe_requests, asked + 1);
  CHECK(h.keyframe_track == added);
  /* A keyframe answers it; a FIR later asks again. */
  CHECK_EQ_INT(brtc_track_send_frame(added, h.now, frames[0], lens[0], h.now, 0), BRTC_OK);
  h_run_for(&h, 1000000);
  CHECK(brtc_rtcp_write_fir(0x1111, ssrc, 7, pkt, sizeof pkt, &len) == BRTC_OK);
  CHECK(sim_peer_send_rtcp(h.sim, pkt, len) == BRTC_OK);
  h_run_for(&h, 10000);
  CHECK_EQ_INT(h.keyframe_requests, asked + 2);
  brtc_track_get_send_stats(added, &st);
  CHECK_EQ_INT(st.pli_count, 1);
  CHECK_EQ_INT(st.fir_count, 1);
  h_stop(&h);
}

/* An H.264 track to an offer with VP8 only: no section takes it, it sends nothing, and the
 * answer receives the offer's video as before. */
static void unplaced_track(void) {
  harness h;
  sim_peer_opts o = viewer();
  o.video_direction = "sendrecv";
  add_codec = "H264";
  bool ok = start_viewer(&h, &o);
  add_codec = "VP8";
  CHECK(ok);
  if (ok) {
    CHECK_STR(brtc_track_mid(added), "");
    CHECK_EQ_INT(brtc_track_current_direction(added), BRTC_DIRECTION_INACTIVE);
    CHECK_EQ_INT(brtc_track_send_frame(added, h.now, frames[0], lens[0], h.now, 0),
                 BRTC_ERR_STATE);
    const char *answer = NULL;
    char err[128];
    CHECK(brtc_pc_create_answer(h.pc, &answer, err, sizeof err) == BRTC_OK);
    CHECK(answer && strstr(answer, "a=recvonly\r\n") && !strstr(answer, "a=ssrc:"));
  }
  h_stop(&h);
}

/* A sendrecv track on a sendrecv offer: both ways in one section. */
static void sendrecv_section(void) {
  harness h;
  sim_peer_opts o = viewer();
  o.video_direction = "sendrecv";
  add_direction = BRTC_DIRECTION_SENDRECV;
  bool ok = start_viewer(&h, &o);
  add_direction = BRTC_DIRECTION_SENDONLY;
  if (ok) {
    CHECK_EQ_INT(brtc_track_current_direction(added), BRTC_DIRECTION_SENDRECV);
    CHECK_EQ_INT(brtc_track_send_frame(added, h.now, frames[0], lens[0], h.now, 0), BRTC_OK);
    CHECK(sim_peer_send_frame(h.sim, frames[0], lens[0], true, 3000) == BRTC_OK);
    h_run_for(&h, 200000);
    CHECK(count_ssrc(brtc_track_ssrc(added)) > 0);
    CHECK_EQ_INT(h.n_frames, 1);
    CHECK_EQ_INT(brtc_pc_track_count(h.pc), 1);
  }
  h_stop(&h);
}

/* A sender faster than the link: the pacer's queue and the history are bounded, so frames
 * are refused (BRTC_ERR_AGAIN) rather than queued without end, the owner is told to skip
 * frames before encoding, a keyframe is asked for (a decoder lost its chain) once the queue
 * can take it, delta frames wait for it, and a keyframe goes again. Every packet that was
 * accepted arrives. */
static void overrun(void) {
  harness h;
  sim_peer_opts o = viewer();
  if (!start_viewer(&h, &o)) {
    h_stop(&h);
    return;
  }
  uint64_t asked = h.keyframe_requests;
  size_t ok = 0, refused = 0;
  /* 400 keyframes at one instant: far past what 500 ms of pacing at 2.5 Mbit/s holds. */
  for (int i = 0; i < 400; i++) {
    int rc = brtc_track_send_frame(added, h.now, frames[0], lens[0], h.now, 0);
    if (rc == BRTC_OK) ok++;
    else if (rc == BRTC_ERR_AGAIN) refused++;
    else CHECK_EQ_INT(rc, BRTC_OK);
  }
  h_drain(&h);
  CHECK(ok > 0 && refused > 0);
  CHECK(brtc_track_should_skip_frame(added));
  /* The refusal's keyframe request waits for the queue: a keyframe now would be refused. */
  CHECK_EQ_INT(h.keyframe_requests, asked);
  CHECK_EQ_INT(brtc_track_send_frame(added, h.now, frames[1], lens[1], h.now, 0),
               BRTC_ERR_AGAIN); /* a delta frame after a refused one: undecodable */
  brtc_track_send_stats st = {.size = sizeof st};
  brtc_track_get_send_stats(added, &st);
  CHECK(st.packets_queued <= 1024);
  h_run_for(&h, 3000000); /* the link drains */
  CHECK(!brtc_track_should_skip_frame(added));
  CHECK(h.keyframe_requests > asked); /* now the refusal's keyframe is asked for */
  CHECK_EQ_INT(brtc_track_send_frame(added, h.now, frames[0], lens[0], h.now, 0), BRTC_OK);
  CHECK_EQ_INT(brtc_track_send_frame(added, h.now + 33333, frames[1], lens[1], h.now, 0),
               BRTC_OK);
  h_run_for(&h, 1000000);
  brtc_track_get_send_stats(added, &st);
  CHECK_EQ_INT(st.frames_sent, ok + 2);
  CHECK_EQ_INT(count_ssrc(brtc_track_ssrc(added)), st.packets_sent);
  CHECK_EQ_INT(st.packets_queued, 0);
  h_stop(&h);
}

/* A keyframe larger than the send history's second at the track's ceiling: the pc accepts
 * frames up to 4 MiB, so it sends this one: it arrives whole, and a NACK for its first packet,
 * once it has all left, is answered on the RTX SSRC. */
static void large_keyframe(uint32_t max_bps, size_t big_len) {
  harness h;
  sim_peer_opts o = viewer();
  add_max_bps = max_bps;
  bool ok = start_viewer(&h, &o);
  add_max_bps = 0;
  if (!ok) {
    h_stop(&h);
    return;
  }
  uint8_t *big = malloc(big_len), *got = malloc(big_len + 1024);
  CHECK(big && got);
  if (!big || !got) {
    free(big);
    free(got);
    h_stop(&h);
    return;
  }
  /* A real keyframe's header (what the packetizer and the keyframe test read), then bytes of
   * a pattern that no two packets share at the same offset. */
  memcpy(big, frames[0], lens[0]);
  for (size_t i = lens[0]; i < big_len; i++) big[i] = (uint8_t)(i * 7 + i / 1000);
  uint32_t ssrc = brtc_track_ssrc(added), rtx_ssrc = brtc_track_rtx_ssrc(added);
  CHECK_EQ_INT(brtc_track_send_frame(added, h.now, big, big_len, h.now, 0), BRTC_OK);
  /* Paced at 2.5 times a target the receiver's feedback moves from its start: 20 s is four
   * times what either frame takes at the start target's pace. */
  h_run_for(&h, 20000000);
  size_t packets = 0, len = 0;
  const rx_pkt *first = first_of(ssrc); /* the frame's first packet */
  CHECK(first != NULL);
  uint32_t ts = first ? first->ts : 0;
  len = gather(ts, ssrc, got, big_len + 1024, &packets);
  CHECK_EQ_INT(len, big_len);
  if (len == big_len) CHECK_MEM(got, big, big_len);
  CHECK(packets > big_len / 1200);
  if (first) nack_answered(&h, first, ssrc, rtx_ssrc);
  brtc_track_send_stats st = {.size = sizeof st};
  brtc_track_get_send_stats(added, &st);
  CHECK_EQ_INT(st.key_frames_sent, 1);
  CHECK_EQ_INT(st.retransmitted_packets_sent, 1);
  free(big);
  free(got);
  h_stop(&h);
}

/* A device on a weak uplink: a 400 KB keyframe (a Raspberry Pi's hardware H.264 IDR weighs
 * 100-400 KB) at a 500 kbit/s ceiling, six times the history's second there. */
static void large_keyframe_low_ceiling(void) { large_keyframe(500000, 400 * 1000); }

/* 1.5 MB at the default ceiling: 1,300 packets, more than the pacer's usual video queue. */
static void keyframe_over_usual_pacer_queue(void) { large_keyframe(0, 1500 * 1000); }

static void add_audio(harness *h) {
  CHECK(brtc_pc_add_track(h->pc, BRTC_TRACK_AUDIO, BRTC_DIRECTION_SENDONLY, "opus", &added) ==
        BRTC_OK);
}

/* Opus (RFC 7587): one packet per RTP packet on the offer's opus payload type, 20 ms apart
 * at 48 kHz, the marker on the first (RFC 3551 4.1), no keyframe asked for. */
static void audio_track(void) {
  harness h;
  sim_peer_opts o = {.no_video = true, .rtp_in = on_rtp};
  n_rx = 0;
  h_before_offer = add_audio;
  bool ok = h_start(&h, &o) && h_pump(&h, h_connected, 5000000);
  h_before_offer = NULL;
  CHECK(ok);
  if (ok) {
    CHECK_STR(brtc_track_codec(added), "opus");
    CHECK_EQ_INT(brtc_track_payload_type(added), 111);
    uint8_t opus[3][60];
    for (int i = 0; i < 3; i++) {
      memset(opus[i], 0x40 + i, sizeof opus[i]);
      opus[i][0] = 0x78; /* TOC: CELT fullband 20 ms, one frame */
      CHECK_EQ_INT(brtc_track_send_frame(added, h.now, opus[i], sizeof opus[i], h.now, 0),
                   BRTC_OK);
      h_run_for(&h, 20000);
    }
    h_run_for(&h, 100000);
    uint32_t ssrc = brtc_track_ssrc(added);
    CHECK_EQ_INT(count_ssrc(ssrc), 3);
    CHECK_EQ_INT(h.keyframe_requests, 0);
    size_t k = 0;
    for (size_t i = 0; i < n_rx && k < 3; i++) {
      if (rx[i].ssrc != ssrc) continue;
      CHECK_EQ_INT(rx[i].pt, 111);
      CHECK_EQ_INT(rx[i].marker, k == 0);
      CHECK_EQ_INT(rx[i].payload_len, sizeof opus[k]);
      CHECK_MEM(rx[i].payload, opus[k], sizeof opus[k]);
      if (k) CHECK_EQ_INT((uint32_t)(rx[i].ts - rx[i - 1].ts), 960);
      k++;
    }
    brtc_track_send_stats st = {.size = sizeof st};
    brtc_track_get_send_stats(added, &st);
    CHECK_STR(st.kind, "audio");
    CHECK_EQ_INT(st.packets_sent, 3);
  }
  h_stop(&h);
}

int main(void) {
  size_t n = h_encode_vp8(320, 240, FRAMES, frames, lens, keys);
  CHECK_EQ_INT(n, FRAMES);
  if (n != FRAMES) return TEST_REPORT();
  CHECK(keys[0] && !keys[1]);
  RUN(answer_sends);
  RUN(frames_arrive);
  RUN(nack_and_pli);
  RUN(unplaced_track);
  RUN(sendrecv_section);
  RUN(overrun);
  RUN(large_keyframe_low_ceiling);
  RUN(keyframe_over_usual_pacer_queue);
  RUN(audio_track);
  for (int i = 0; i < FRAMES; i++) free(frames[i]);
  return TEST_REPORT();
}
