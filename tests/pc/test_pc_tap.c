/* The plain packet events (brtc_pc_config_set_plain_packet_events): the tap sees, in order
 * and byte for byte, every plaintext packet the simulated browser sent before protecting it,
 * and every RTCP packet the pc sent as the browser unprotected it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "pc_harness.h"
#include "testing.h"

#define LOG_MAX 256

typedef struct packet_log {
  size_t n;
  size_t overflow;
  bool rtcp[LOG_MAX];
  size_t len[LOG_MAX];
  uint8_t *data[LOG_MAX];
} packet_log;

static packet_log sim_sent, sim_received, pc_inbound, pc_outbound;
static brtc_pc *tapped_pc;
static harness *tapped_harness;
static size_t taps_with_wrong_pc;

static void log_add(packet_log *l, bool rtcp, const uint8_t *data, size_t len) {
  if (l->n == LOG_MAX) {
    l->overflow++;
    return;
  }
  l->rtcp[l->n] = rtcp;
  l->len[l->n] = len;
  l->data[l->n] = malloc(len ? len : 1);
  if (l->data[l->n]) memcpy(l->data[l->n], data, len);
  l->n++;
}

static void log_clear(packet_log *l) {
  for (size_t i = 0; i < l->n; i++) free(l->data[i]);
  memset(l, 0, sizeof(*l));
}

static void on_sim_plain(void *user, bool sent, bool rtcp, const uint8_t *data, size_t len) {
  (void)user;
  log_add(sent ? &sim_sent : &sim_received, rtcp, data, len);
}

static void on_pc_plain(brtc_pc *pc, bool inbound, bool rtcp, const uint8_t *data, size_t len,
                        void *user) {
  /* The pc is created inside h_start, so it is checked against the harness afterwards. */
  if (user != tapped_harness || (tapped_pc && pc != tapped_pc)) taps_with_wrong_pc++;
  log_add(inbound ? &pc_inbound : &pc_outbound, rtcp, data, len);
}

/* Same packets, same order, same kind, same bytes. */
static void check_same(const packet_log *want, const packet_log *got, const char *what) {
  CHECK_EQ_INT(want->overflow, 0);
  CHECK_EQ_INT(got->overflow, 0);
  CHECK_EQ_INT(got->n, want->n);
  size_t n = got->n < want->n ? got->n : want->n;
  size_t mismatched = 0;
  for (size_t i = 0; i < n; i++) {
    bool same = got->rtcp[i] == want->rtcp[i] && got->len[i] == want->len[i] && got->data[i] &&
                want->data[i] && memcmp(got->data[i], want->data[i], want->len[i]) == 0;
    if (!same && mismatched++ == 0)
      fprintf(stderr, "  %s: packet %zu differs (rtcp %d/%d, %zu/%zu bytes)\n", what, i,
              got->rtcp[i], want->rtcp[i], got->len[i], want->len[i]);
  }
  CHECK_EQ_INT(mismatched, 0);
}

static size_t count(const packet_log *l, bool rtcp) {
  size_t c = 0;
  for (size_t i = 0; i < l->n; i++) c += l->rtcp[i] == rtcp;
  return c;
}

static void test_tap_sees_plaintext_both_ways(void) {
  uint8_t *frames[2];
  size_t lens[2];
  bool keys[2];
  CHECK_EQ_INT(h_encode_vp8(640, 480, 2, frames, lens, keys), 2);
  CHECK(keys[0] && !keys[1]);

  sim_peer_opts o = {.plain_tap = on_sim_plain};
  harness h;
  h_packet_tap = on_pc_plain;
  tapped_harness = &h;
  bool started = h_start(&h, &o);
  h_packet_tap = NULL;
  CHECK(started);
  tapped_pc = h.pc;
  if (!started || !h_pump(&h, h_connected, 5000000)) {
    CHECK(false);
    goto out;
  }
  /* Nothing is plaintext before SRTP: no STUN or DTLS reached the tap. */
  CHECK_EQ_INT(pc_inbound.n + pc_outbound.n, 0);

  static const uint8_t opus[] = {0xfc, 0xff, 0xfe};
  CHECK(sim_peer_send_frame(h.sim, frames[0], lens[0], true, 3000) == BRTC_OK);
  CHECK(sim_peer_send_audio(h.sim, opus, sizeof(opus), 960) == BRTC_OK);
  CHECK(sim_peer_send_frame(h.sim, frames[1], lens[1], false, 6000) == BRTC_OK);
  /* The sim protects a report when it is made but media when it leaves: let the media go
   * first so that the sim's order is the wire order. */
  h_run_for(&h, 1000);
  CHECK(sim_peer_send_sr(h.sim, 0x0123456789abcdefull, 6000) == BRTC_OK);
  h_run_for(&h, 1500000); /* PLI, REMB and a receiver report come back */

  /* A datagram that is not authentic (refused by the SRTP replay check or authentication,
   * depending on where the random initial sequence number fell) is never shown. */
  brtc_pc_stats st = {.size = sizeof(brtc_pc_stats)};
  brtc_pc_get_stats(h.pc, &st);
  uint64_t refused_before = st.dropped_auth + st.dropped_replay;
  size_t inbound_before = pc_inbound.n;
  uint8_t forged[64] = {0x80, 96, 0x12, 0x34};
  forged[8] = 0x12, forged[9] = 0x34, forged[10] = 0xab, forged[11] = 0xcd;
  CHECK(sim_peer_send_raw(h.sim, forged, sizeof(forged)) == BRTC_OK);
  h_run_for(&h, 10000);
  CHECK_EQ_INT(pc_inbound.n, inbound_before);
  brtc_pc_get_stats(h.pc, &st);
  CHECK_EQ_INT(st.dropped_auth + st.dropped_replay, refused_before + 1);

  fprintf(stderr, "  sim sent %zu RTP + %zu RTCP, pc sent %zu RTCP\n", count(&sim_sent, false),
          count(&sim_sent, true), count(&pc_outbound, true));
  CHECK(count(&sim_sent, false) >= 3); /* a 640x480 keyframe is several packets */
  /* The SR, and a DLRR for each of our RRTRs. */
  CHECK_EQ_INT(count(&sim_sent, true), 1 + sim_peer_get_stats(h.sim)->rrtrs_received);
  CHECK(count(&pc_outbound, true) >= 2); /* PLI (+REMB) and a receiver report */
  CHECK_EQ_INT(count(&pc_outbound, false), 0); /* we send no media */
  check_same(&sim_sent, &pc_inbound, "inbound");
  check_same(&sim_received, &pc_outbound, "outbound");
  CHECK_EQ_INT(taps_with_wrong_pc, 0);
  CHECK_EQ_INT(st.rtp_video + st.rtp_audio, count(&pc_inbound, false));
  CHECK_EQ_INT(st.rtcp_in, count(&pc_inbound, true));
  /* An RTP packet as sent: version 2, the video SSRC the offer announced. */
  if (pc_inbound.n > 0 && pc_inbound.len[0] >= 12) {
    CHECK_EQ_INT(pc_inbound.data[0][0] >> 6, 2);
    CHECK_EQ_INT(pc_inbound.data[0][1] & 0x7f, 96);
  }
out:
  h_stop(&h);
  tapped_pc = NULL;
  tapped_harness = NULL;
  for (size_t i = 0; i < 2; i++) free(frames[i]);
  log_clear(&sim_sent);
  log_clear(&sim_received);
  log_clear(&pc_inbound);
  log_clear(&pc_outbound);
}

/* The wire packet events (brtc_pc_config_set_wire_packet_events): every datagram the link
 * carried, each way, in order and byte for byte, with the peer's address; and brtc_pc_dtls_keylog: the simulated browser's
 * own secret for the same session, in the format Wireshark reads. */
static packet_log link_to_pc, link_from_pc, wire_in, wire_out;
static size_t wire_wrong_peer;
static brtc_addr wire_peer;

static bool record_link(harness *h, bool to_pc, const uint8_t *data, size_t len) {
  (void)h;
  log_add(to_pc ? &link_to_pc : &link_from_pc, false, data, len);
  return true;
}

static void on_pc_wire(brtc_pc *pc, bool inbound, const uint8_t *data, size_t len,
                       const struct sockaddr *peer, void *user) {
  (void)pc;
  brtc_addr a;
  if (user != tapped_harness || !brtc_addr_from_sockaddr(&a, peer, sizeof(struct sockaddr_in6)) ||
      !brtc_addr_equal(&a, &wire_peer))
    wire_wrong_peer++;
  log_add(inbound ? &wire_in : &wire_out, false, data, len);
}

static void test_wire_tap_and_keylog(void) {
  harness h;
  h_wire_tap = on_pc_wire;
  h_keep_keylog = true;
  h_link_filter = record_link;
  tapped_harness = &h;
  bool started = h_start(&h, &(sim_peer_opts){0});
  h_wire_tap = NULL;
  h_keep_keylog = false;
  wire_peer = h.sim_addr;
  char line[BRTC_DTLS_KEYLOG_LEN];
  if (started) CHECK_EQ_INT(brtc_pc_dtls_keylog(h.pc, line, sizeof(line)), BRTC_ERR_AGAIN);
  CHECK(started && h_pump(&h, h_connected, 5000000));
  /* The sim's DTLS state is still whole: its line is the reference. */
  char want[BRTC_DTLS_KEYLOG_LEN];
  CHECK_EQ_INT(brtc_dtls_keylog_line(sim_peer_dtls(h.sim), want, sizeof(want)), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_dtls_keylog(h.pc, line, sizeof(line)), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_dtls_keylog(h.pc, line, 10), BRTC_ERR_INVALID);
  CHECK(strcmp(line, want) == 0);
  CHECK_EQ_INT(strlen(line), 14 + 64 + 1 + 96 + 1);
  CHECK(strncmp(line, "CLIENT_RANDOM ", 14) == 0 && line[78] == ' ' && line[175] == '\n');
  static const uint8_t opus[] = {0xfc, 0xff, 0xfe};
  CHECK(sim_peer_send_audio(h.sim, opus, sizeof(opus), 960) == BRTC_OK);
  h_run_for(&h, 1500000);
  /* A datagram that is nothing at all is still on the wire. */
  static const uint8_t junk[] = {0xff, 0x00, 0x11};
  CHECK(sim_peer_send_raw(h.sim, junk, sizeof(junk)) == BRTC_OK);
  h_run_for(&h, 10000);
  h_link_filter = NULL;
  CHECK(wire_in.n >= 4 && wire_out.n >= 4); /* STUN, DTLS, SRTP, junk; STUN, DTLS, SRTCP */
  check_same(&link_to_pc, &wire_in, "wire inbound");
  check_same(&link_from_pc, &wire_out, "wire outbound");
  CHECK_EQ_INT(wire_wrong_peer, 0);
  brtc_pc_stats st = {.size = sizeof(brtc_pc_stats)};
  brtc_pc_get_stats(h.pc, &st);
  CHECK_EQ_INT(st.packets_in, wire_in.n);
  CHECK_EQ_INT(st.packets_out, wire_out.n);
  h_stop(&h);
  tapped_harness = NULL;
  log_clear(&link_to_pc);
  log_clear(&link_from_pc);
  log_clear(&wire_in);
  log_clear(&wire_out);
}

/* Without keep_keylog the secret is not given out. */
static void test_keylog_not_kept(void) {
  harness h;
  CHECK(h_start(&h, &(sim_peer_opts){0}) && h_pump(&h, h_connected, 5000000));
  char line[BRTC_DTLS_KEYLOG_LEN];
  CHECK_EQ_INT(brtc_pc_dtls_keylog(h.pc, line, sizeof(line)), BRTC_ERR_STATE);
  h_stop(&h);
}

/* Without a tap (the default) the same session works and nothing is recorded. */
static void test_no_tap(void) {
  sim_peer_opts o = {.plain_tap = on_sim_plain};
  harness h;
  CHECK(h_start(&h, &o));
  CHECK(h_pump(&h, h_connected, 5000000));
  static const uint8_t opus[] = {0xfc, 0xff, 0xfe};
  CHECK(sim_peer_send_audio(h.sim, opus, sizeof(opus), 960) == BRTC_OK);
  h_run_for(&h, 1500000);
  brtc_pc_stats st = {.size = sizeof(brtc_pc_stats)};
  brtc_pc_get_stats(h.pc, &st);
  CHECK_EQ_INT(st.rtp_audio, 1);
  CHECK_EQ_INT(pc_inbound.n + pc_outbound.n, 0);
  CHECK(sim_received.n >= 1); /* the receiver report the pc sent */
  h_stop(&h);
  log_clear(&sim_sent);
  log_clear(&sim_received);
}

int main(void) {
  RUN(test_tap_sees_plaintext_both_ways);
  RUN(test_no_tap);
  RUN(test_wire_tap_and_keylog);
  RUN(test_keylog_not_kept);
  return TEST_REPORT();
}
