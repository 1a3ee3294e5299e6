/* brtc_pc against a simulated browser, in memory, on a simulated clock. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "common/bytes.h"
#include "pc/pc_internal.h"
#include "pc_harness.h"
#include "testing.h"

static uint8_t *vp8_frames[8];
static size_t vp8_lens[8];
static bool vp8_key[8];
static size_t n_vp8;

static bool got_keyframe(harness *h) { return h->n_frames > 0; }
static bool got_two_frames(harness *h) { return h->n_frames >= 2; }
static bool is_failed(harness *h) { return h_has_step(h, BRTC_STEP_FAILED); }

/* Brings the pair to SRTP on both sides and checks the early journey. */
static bool connect_pair(harness *h, const sim_peer_opts *opts) {
  if (!h_start(h, opts)) {
    fprintf(stderr, "start failed: %s\n", h->answer_err);
    CHECK(false);
    return false;
  }
  bool ok = h_pump(h, h_connected, 5000000);
  CHECK(ok);
  return ok;
}

static void check_steps_in_order(const harness *h, const brtc_pc_step *want, size_t n) {
  CHECK(h->n_steps >= n);
  for (size_t i = 0; i < n && i < h->n_steps; i++) CHECK_EQ_INT(h->steps[i], want[i]);
}

static void send_keyframe_and_check(harness *h) {
  CHECK(sim_peer_send_frame(h->sim, vp8_frames[0], vp8_lens[0], true, 3000) == BRTC_OK);
  CHECK(h_pump(h, got_keyframe, 1000000));
  CHECK(h->n_frames >= 1);
  if (h->n_frames < 1) return;
  CHECK(h->frames[0].keyframe);
  CHECK_EQ_INT(h->frames[0].width, 640);
  CHECK_EQ_INT(h->frames[0].height, 480);
  CHECK_EQ_INT(h->frames[0].len, vp8_lens[0]);
  if (h->frames[0].len == vp8_lens[0]) CHECK_MEM(h->frames[0].data, vp8_frames[0], vp8_lens[0]);
  CHECK_EQ_INT(h->frames[0].ts, 3000);
}

static void journey(bool keep_dtls, bool lite) {
  harness h;
  h_keep_dtls = keep_dtls;
  h_ice_lite = lite;
  bool ok = connect_pair(&h, NULL);
  h_keep_dtls = false;
  h_ice_lite = false;
  if (!ok) goto out;
  const char *answer = NULL;
  CHECK(brtc_pc_create_answer(h.pc, &answer, NULL, 0) == BRTC_OK);
  CHECK(strstr(answer, "a=setup:active") != NULL);
  CHECK((strstr(answer, "a=ice-lite") != NULL) == lite);
  /* Full ICE checked the peer back (a triggered check, RFC 8445 7.3.1.4); lite never. */
  CHECK((sim_peer_get_stats(h.sim)->checks_answered > 0) == !lite);
  CHECK(strstr(h_step_detail(&h, BRTC_STEP_ANSWER), lite ? "ice-lite" : "full ICE") != NULL);
  /* RFC 8445 5.1.2.1: 126 << 24 | 65535 << 8 | 255. */
  CHECK(strstr(answer, "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host") != NULL);
  CHECK(strstr(answer, brtc_certificate_fingerprint(h_certificate())) != NULL);

  send_keyframe_and_check(&h);
  /* An SR: the next receiver report echoes its middle 32 NTP bits as LSR. */
  CHECK(sim_peer_send_sr(h.sim, 0x0123456789abcdefull, 3000) == BRTC_OK);
  static const uint8_t opus[] = {0xfc, 0xff, 0xfe};
  CHECK(sim_peer_send_audio(h.sim, opus, sizeof(opus), 960) == BRTC_OK);
  h_run_for(&h, 1500000); /* a receiver report is due every second */

  const brtc_pc_step want[] = {BRTC_STEP_OFFER,          BRTC_STEP_ANSWER,
                               BRTC_STEP_ICE_CHECK,      BRTC_STEP_ICE_CONNECTED,
                               BRTC_STEP_DTLS_CONNECTED, BRTC_STEP_SRTP_READY,
                               BRTC_STEP_FIRST_RTP,      BRTC_STEP_FIRST_KEYFRAME};
  check_steps_in_order(&h, want, sizeof(want) / sizeof(want[0]));
  for (size_t i = 0; i < h.n_steps; i++) fprintf(stderr, "  step %-15s %s\n",
                                                 brtc_pc_step_name(h.steps[i]), h.details[i]);
  CHECK(strstr(h_step_detail(&h, BRTC_STEP_OFFER), "VP8/90000 pt 96") != NULL);
  CHECK(strstr(h_step_detail(&h, BRTC_STEP_OFFER), "opus/48000 pt 111") != NULL);
  CHECK(strstr(h_step_detail(&h, BRTC_STEP_ICE_CHECK), "127.0.0.1:50123") != NULL);
  CHECK(strstr(h_step_detail(&h, BRTC_STEP_ICE_CONNECTED), "nominated 127.0.0.1:50123") != NULL);
  CHECK(strstr(h_step_detail(&h, BRTC_STEP_DTLS_CONNECTED), "fingerprint verified") != NULL);
  CHECK_STR(h_step_detail(&h, BRTC_STEP_SRTP_READY), "AEAD_AES_128_GCM");
  CHECK_STR(h_step_detail(&h, BRTC_STEP_FIRST_RTP), "video ssrc 0x1234abcd VP8 pt 96");

  brtc_pc_stats st = {.size = sizeof(brtc_pc_stats)};
  brtc_pc_get_stats(h.pc, &st);
  CHECK_EQ_INT(st.keyframes, 1);
  CHECK_EQ_INT(st.frames, 1);
  CHECK_EQ_INT(st.rtp_audio, 1);
  CHECK_EQ_INT(st.video_ssrc, 0x1234abcd);
  CHECK_EQ_INT(st.audio_ssrc, 0x5678cdef);
  CHECK(brtc_pc_step_time(h.pc, BRTC_STEP_FIRST_KEYFRAME) >= brtc_pc_step_time(h.pc, BRTC_STEP_SRTP_READY));
  CHECK(brtc_pc_step_time(h.pc, BRTC_STEP_SRTP_READY) > 0);
  CHECK_STR(st.srtp_profile, "AEAD_AES_128_GCM");
  CHECK(st.dtls_cipher[0] != '\0');
  CHECK_STR(st.selected_remote, "127.0.0.1:50123");
  CHECK_EQ_INT(st.dropped_auth + st.dropped_malformed + st.dropped_replay, 0);
  CHECK(brtc_pc_owns_address(h.pc, &h.sim_addr.u.sa));
  CHECK(!brtc_pc_owns_address(h.pc, &h.pc_addr.u.sa));

  /* The stream began with a keyframe, which completed: no PLI was needed. Reports follow
   * every second. */
  const sim_peer_stats *ss = sim_peer_get_stats(h.sim);
  CHECK_EQ_INT(ss->plis_received, 0);
  CHECK(ss->rrs_received >= 1);
  CHECK_EQ_INT(ss->rtcp_bad, 0);
  CHECK_EQ_INT(ss->last_rr_lsr, 0x456789ab);
  CHECK(ss->rrtrs_received >= 1); /* our RRTR, answered with a DLRR: the RTT */
  CHECK_EQ_INT(st.rtcp_in, 1 + ss->rrtrs_received);
  CHECK(st.rtt_us > 0);
  CHECK(ss->last_rr_ext_seq != 0);
  CHECK_EQ_INT(st.plis_sent, ss->plis_received);

  brtc_pc_close(h.pc, h.now);
  CHECK(brtc_pc_is_closed(h.pc));
  h_run_for(&h, 100000);
  CHECK(h_has_step(&h, BRTC_STEP_CLOSED));
  CHECK(!h_has_step(&h, BRTC_STEP_FAILED));
  CHECK(ss->byes_received >= 1);
  CHECK(ss->dtls_closed);
  CHECK_EQ_INT(h_deadline(&h), UINT64_MAX);
out:
  h_stop(&h);
}

static void test_journey(void) { journey(false, false); }
static void test_journey_keep_dtls(void) { journey(true, false); }
static void test_journey_lite(void) { journey(false, true); }

static void journey_with(const sim_peer_opts *o, const char *want_setup, const char *profile) {
  harness h;
  if (connect_pair(&h, o)) {
    const char *answer = NULL;
    brtc_pc_create_answer(h.pc, &answer, NULL, 0);
    CHECK(strstr(answer, want_setup) != NULL);
    send_keyframe_and_check(&h);
    brtc_pc_stats st = {.size = sizeof(brtc_pc_stats)};
    brtc_pc_get_stats(h.pc, &st);
    CHECK_STR(st.srtp_profile, profile);
    CHECK_EQ_INT(sim_peer_get_stats(h.sim)->profile,
                 strcmp(profile, "AEAD_AES_128_GCM") == 0 ? BRTC_SRTP_PROFILE_AEAD_AES_128_GCM
                                                          : BRTC_SRTP_PROFILE_AES128_CM_SHA1_80);
  }
  h_stop(&h);
}

static void test_profile_aes_cm(void) {
  sim_peer_opts o = {.srtp_profiles = {BRTC_SRTP_PROFILE_AES128_CM_SHA1_80}, .n_srtp_profiles = 1};
  journey_with(&o, "a=setup:active", "AES_CM_128_HMAC_SHA1_80");
}

static void test_offer_active(void) { /* we are the DTLS server */
  sim_peer_opts o = {.setup = "active"};
  journey_with(&o, "a=setup:passive", "AEAD_AES_128_GCM");
}

/* Configured passive, we answer actpass as the DTLS server and pick GCM first. */
static void test_actpass_answered_passive(void) {
  h_dtls_role = BRTC_DTLS_ROLE_PASSIVE;
  journey_with(NULL, "a=setup:passive", "AEAD_AES_128_GCM");
  h_dtls_role = BRTC_DTLS_ROLE_AUTO;
}

static void test_offer_passive(void) {
  sim_peer_opts o = {.setup = "passive",
                     .srtp_profiles = {BRTC_SRTP_PROFILE_AES128_CM_SHA1_80},
                     .n_srtp_profiles = 1};
  journey_with(&o, "a=setup:active", "AES_CM_128_HMAC_SHA1_80");
}

/* Loses the third packet of the first frame. */
static uint16_t lost_seq;
static bool lost_once;
static sim_peer_fate lose_third(void *user, uint64_t index, uint8_t pt, uint16_t seq, bool m) {
  (void)user, (void)m;
  if (pt == 96 && index == 2 && !lost_once) {
    lost_once = true;
    lost_seq = seq;
    return SIM_PEER_DROP;
  }
  return SIM_PEER_SEND;
}

static bool seq_was_nacked(const sim_peer_stats *ss, uint16_t seq) {
  for (size_t i = 0; i < ss->n_nacked_seqs; i++)
    if (ss->nacked_seqs[i] == seq) return true;
  return false;
}

static void test_loss_nack_pli(void) {
  lost_once = false;
  sim_peer_opts o = {.filter = lose_third};
  harness h;
  if (!connect_pair(&h, &o)) goto out;
  CHECK(sim_peer_send_frame(h.sim, vp8_frames[0], vp8_lens[0], true, 3000) == BRTC_OK);
  h_run_for(&h, 100000);
  CHECK(lost_once);
  const sim_peer_stats *ss = sim_peer_get_stats(h.sim);
  CHECK(seq_was_nacked(ss, lost_seq));
  CHECK_EQ_INT(h.n_frames, 0);
  /* The next frame completes, so the broken keyframe is dropped and a keyframe asked for. */
  CHECK(sim_peer_send_frame(h.sim, vp8_frames[1], vp8_lens[1], false, 6000) == BRTC_OK);
  h_run_for(&h, 1000000);
  brtc_pc_stats st = {.size = sizeof(brtc_pc_stats)};
  brtc_pc_get_stats(h.pc, &st);
  CHECK(st.frames_dropped >= 1);
  CHECK(st.nacks_sent >= 1);
  CHECK(st.plis_sent >= 2); /* one at the first packet, one for the loss (rate-limited) */
  CHECK(ss->plis_received >= 2);
  CHECK_EQ_INT(st.keyframes, 0);
  CHECK(h.n_logs >= 1);
out:
  h_stop(&h);
}

static void test_loss_repaired_by_rtx(void) {
  lost_once = false;
  sim_peer_opts o = {.filter = lose_third, .rtx = true};
  harness h;
  if (!connect_pair(&h, &o)) goto out;
  send_keyframe_and_check(&h);
  const sim_peer_stats *ss = sim_peer_get_stats(h.sim);
  CHECK(lost_once);
  CHECK(seq_was_nacked(ss, lost_seq));
  CHECK(ss->rtx_sent >= 1);
  brtc_pc_stats st = {.size = sizeof(brtc_pc_stats)};
  brtc_pc_get_stats(h.pc, &st);
  CHECK_EQ_INT(st.frames_dropped, 0);
  CHECK_EQ_INT(st.keyframes, 1);
out:
  h_stop(&h);
}

/* Swaps packets 1 and 2: reordering alone loses nothing. */
static sim_peer_fate hold_second(void *user, uint64_t index, uint8_t pt, uint16_t seq, bool m) {
  (void)user, (void)seq, (void)m, (void)pt;
  return index == 1 ? SIM_PEER_HOLD : SIM_PEER_SEND;
}

static void test_reorder(void) {
  sim_peer_opts o = {.filter = hold_second};
  harness h;
  if (connect_pair(&h, &o)) {
    send_keyframe_and_check(&h);
    CHECK(sim_peer_send_frame(h.sim, vp8_frames[1], vp8_lens[1], false, 6000) == BRTC_OK);
    CHECK(h_pump(&h, got_two_frames, 1000000));
    brtc_pc_stats st = {.size = sizeof(brtc_pc_stats)};
    brtc_pc_get_stats(h.pc, &st);
    CHECK_EQ_INT(st.frames_dropped, 0);
    if (h.n_frames >= 2) {
      CHECK(!h.frames[1].keyframe);
      CHECK_EQ_INT(h.frames[1].len, vp8_lens[1]);
      if (h.frames[1].len == vp8_lens[1]) CHECK_MEM(h.frames[1].data, vp8_frames[1], vp8_lens[1]);
    }
  }
  h_stop(&h);
}

/* A stream that begins with a delta frame (we joined late) is asked for a keyframe once the
 * reordering allowance has passed with no keyframe's start; one that begins with a keyframe
 * gets PC_FIRST_KEYFRAME_GRACE_US to finish it first, and a PLI only if it does not. */
static void test_first_packet_pli(void) {
  harness h;
  if (connect_pair(&h, NULL)) {
    CHECK(sim_peer_send_frame(h.sim, vp8_frames[1], vp8_lens[1], false, 3000) == BRTC_OK);
    const sim_peer_stats *ss = sim_peer_get_stats(h.sim);
    h_run_for(&h, BRTC_NACK_INITIAL_WAIT_US - 2000);
    CHECK_EQ_INT(ss->plis_received, 0);
    h_run_for(&h, 4000);
    CHECK_EQ_INT(ss->plis_received, 1);
    CHECK_EQ_INT(ss->last_pli_media_ssrc, 0x1234abcd);
  }
  h_stop(&h);
  /* A keyframe whose third packet never comes (no NACK offered): a PLI after the grace. */
  lost_once = false;
  sim_peer_opts o = {.filter = lose_third, .no_nack = true};
  if (connect_pair(&h, &o)) {
    CHECK(sim_peer_send_frame(h.sim, vp8_frames[0], vp8_lens[0], true, 3000) == BRTC_OK);
    const sim_peer_stats *ss = sim_peer_get_stats(h.sim);
    h_run_for(&h, PC_FIRST_KEYFRAME_GRACE_US - 50000);
    CHECK_EQ_INT(ss->plis_received, 0);
    h_run_for(&h, 100000);
    CHECK_EQ_INT(ss->plis_received, 1);
  }
  h_stop(&h);
}

static void test_explicit_pli_not_rate_limited(void) {
  harness h;
  if (connect_pair(&h, NULL)) {
    send_keyframe_and_check(&h);
    brtc_pc_stats st = {.size = sizeof(brtc_pc_stats)};
    brtc_pc_get_stats(h.pc, &st);
    uint64_t before = st.plis_sent;
    CHECK(brtc_pc_request_keyframe(h.pc, h.now) == BRTC_OK);
    h_run_for(&h, 1000);
    CHECK(brtc_pc_request_keyframe(h.pc, h.now) == BRTC_OK);
    h_run_for(&h, 1000);
    brtc_pc_get_stats(h.pc, &st);
    CHECK_EQ_INT(st.plis_sent, before + 2);
  }
  h_stop(&h);
}

/* A keyframe request is repeated until a keyframe arrives (senders ignore requests that come
 * too soon after their last keyframe), stops when one does, and gives up after a while. */
static void test_keyframe_request_repeats_until_answered(void) {
  harness h;
  if (connect_pair(&h, NULL)) {
    send_keyframe_and_check(&h);
    h_run_for(&h, 2000000); /* let the start-up request settle */
    brtc_pc_stats st = {.size = sizeof(brtc_pc_stats)};
    brtc_pc_get_stats(h.pc, &st);
    uint64_t before = st.plis_sent;
    CHECK(brtc_pc_request_keyframe(h.pc, h.now) == BRTC_OK);
    h_run_for(&h, 1000000); /* no keyframe: asked at 0, 0.4 and 0.8 s */
    brtc_pc_get_stats(h.pc, &st);
    CHECK_EQ_INT(st.plis_sent, before + 3);
    CHECK(sim_peer_send_frame(h.sim, vp8_frames[0], vp8_lens[0], true, 9000) == BRTC_OK);
    h_run_for(&h, 2000000);
    brtc_pc_get_stats(h.pc, &st);
    CHECK(st.plis_sent <= before + 4); /* at most one in flight when the keyframe came */
    uint64_t answered = st.plis_sent;
    h_run_for(&h, 2000000);
    brtc_pc_get_stats(h.pc, &st);
    CHECK_EQ_INT(st.plis_sent, answered);
    /* Never answered: the asking stops after PC_PLI_GIVE_UP_US. */
    CHECK(brtc_pc_request_keyframe(h.pc, h.now) == BRTC_OK);
    h_run_for(&h, 8000000);
    brtc_pc_get_stats(h.pc, &st);
    uint64_t asked = st.plis_sent - answered;
    CHECK(asked >= PC_PLI_GIVE_UP_US / PC_PLI_REPEAT_US);
    CHECK(asked <= PC_PLI_GIVE_UP_US / PC_PLI_REPEAT_US + 1);
  }
  h_stop(&h);
}

/* Defaults: the answer starts VP8 at 1500 kbps and, the size unknown, lets it reach the
 * table's top (video_bitrate.c); REMB of 2.5 Mbps for the video SSRC goes at
 * the first packet (alone: the stream starts with a keyframe, so no PLI), then on every
 * receiver report; none after close. */
static void test_remb_defaults(void) {
  harness h;
  if (connect_pair(&h, NULL)) {
    const char *answer = NULL;
    CHECK(brtc_pc_create_answer(h.pc, &answer, NULL, 0) == BRTC_OK);
    CHECK(strstr(answer,
                 "\r\na=fmtp:96 x-google-start-bitrate=1500;x-google-max-bitrate=20000\r\n") != NULL);
    CHECK(strstr(answer, "\r\na=rtcp-fb:96 goog-remb\r\n") != NULL);
    const sim_peer_stats *ss = sim_peer_get_stats(h.sim);
    h_run_for(&h, 500000); /* connected, no media: no REMB yet */
    CHECK_EQ_INT(ss->rembs_received, 0);
    CHECK(sim_peer_send_frame(h.sim, vp8_frames[0], vp8_lens[0], true, 3000) == BRTC_OK);
    h_run_for(&h, 5000);
    CHECK_EQ_INT(ss->rembs_received, 1);
    CHECK_EQ_INT(ss->plis_received, 0);
    CHECK(ss->last_remb_bps == 2500000);
    CHECK_EQ_INT(ss->last_remb_ssrc, 0x1234abcd);
    CHECK_EQ_INT(ss->last_remb_n_ssrcs, 1);
    CHECK_EQ_INT(ss->rembs_with_report, 0);
    uint64_t rrs = ss->rrs_received;
    h_run_for(&h, 3000000);
    CHECK(ss->rrs_received >= rrs + 3);
    CHECK_EQ_INT(ss->rembs_with_report, ss->rembs_received - 1); /* one per report since */
    CHECK(ss->rembs_with_report >= 3);
    CHECK(ss->last_remb_bps == 2500000);
    CHECK_EQ_INT(ss->rembs_bad, 0);
    CHECK_EQ_INT(ss->rtcp_bad, 0);
    brtc_pc_stats st = {.size = sizeof(brtc_pc_stats)};
    brtc_pc_get_stats(h.pc, &st);
    CHECK_EQ_INT(st.remb_sent, ss->rembs_received);
    brtc_pc_close(h.pc, h.now);
    uint64_t before = ss->rembs_received;
    h_run_for(&h, 3000000);
    CHECK_EQ_INT(ss->rembs_received, before);
  }
  h_stop(&h);
}

/* Configured values; a start above the maximum is held to it. */
static void test_remb_configured(void) {
  harness h;
  h_max_video_bps = 4000000;
  h_start_video_bps = 800000;
  bool ok = connect_pair(&h, NULL);
  h_max_video_bps = h_start_video_bps = 0;
  if (ok) {
    const char *answer = NULL;
    CHECK(brtc_pc_create_answer(h.pc, &answer, NULL, 0) == BRTC_OK);
    CHECK(strstr(answer, "\r\na=fmtp:96 x-google-start-bitrate=800;x-google-max-bitrate=4000\r\n") !=
          NULL);
    CHECK(sim_peer_send_frame(h.sim, vp8_frames[0], vp8_lens[0], true, 3000) == BRTC_OK);
    h_run_for(&h, 1500000);
    const sim_peer_stats *ss = sim_peer_get_stats(h.sim);
    CHECK(ss->rembs_received >= 2);
    CHECK(ss->last_remb_bps == 4000000);
  }
  h_stop(&h);

  h_max_video_bps = 1000000;
  h_start_video_bps = 3000000;
  ok = connect_pair(&h, NULL);
  h_max_video_bps = h_start_video_bps = 0;
  if (ok) {
    const char *answer = NULL;
    CHECK(brtc_pc_create_answer(h.pc, &answer, NULL, 0) == BRTC_OK);
    CHECK(strstr(answer, "x-google-start-bitrate=1000;x-google-max-bitrate=1000\r\n") != NULL);
    CHECK(sim_peer_send_frame(h.sim, vp8_frames[0], vp8_lens[0], true, 3000) == BRTC_OK);
    h_run_for(&h, 5000);
    CHECK(sim_peer_get_stats(h.sim)->last_remb_bps == 1000000);
  }
  h_stop(&h);
}

/* No goog-remb in the offer: no REMB ever (the start bitrate is still said); audio alone:
 * none either. */
static void test_no_remb_without_goog_remb(void) {
  sim_peer_opts o = {.no_remb = true};
  harness h;
  if (connect_pair(&h, &o)) {
    const char *answer = NULL;
    CHECK(brtc_pc_create_answer(h.pc, &answer, NULL, 0) == BRTC_OK);
    CHECK(strstr(answer, "goog-remb") == NULL);
    CHECK(strstr(answer, "x-google-start-bitrate=1500") != NULL);
    CHECK(sim_peer_send_frame(h.sim, vp8_frames[0], vp8_lens[0], true, 3000) == BRTC_OK);
    h_run_for(&h, 3000000);
    const sim_peer_stats *ss = sim_peer_get_stats(h.sim);
    CHECK_EQ_INT(ss->plis_received, 0); /* it began with a keyframe */
    CHECK(ss->rrs_received >= 2);
    CHECK_EQ_INT(ss->rembs_received + ss->rembs_bad, 0);
    brtc_pc_stats st = {.size = sizeof(brtc_pc_stats)};
    brtc_pc_get_stats(h.pc, &st);
    CHECK_EQ_INT(st.remb_sent, 0);
  }
  h_stop(&h);

  sim_peer_opts audio = {.no_video = true};
  if (connect_pair(&h, &audio)) {
    static const uint8_t opus[] = {0xfc, 0xff, 0xfe};
    CHECK(sim_peer_send_audio(h.sim, opus, sizeof(opus), 960) == BRTC_OK);
    h_run_for(&h, 2500000);
    const sim_peer_stats *ss = sim_peer_get_stats(h.sim);
    CHECK(ss->rrs_received >= 2);
    CHECK_EQ_INT(ss->rembs_received, 0);
  }
  h_stop(&h);
}

/* A REMB is not held back by the PLI rate limit: when the first packet's PLI must wait, the
 * REMB goes alone (reduced-size, as the offer allows). */
static void test_remb_alone(void) {
  harness h;
  if (connect_pair(&h, NULL)) {
    CHECK(brtc_pc_request_keyframe(h.pc, h.now) == BRTC_OK); /* asks the offered SSRC */
    h_run_for(&h, 1000);
    const sim_peer_stats *ss = sim_peer_get_stats(h.sim);
    CHECK_EQ_INT(ss->plis_received, 1);
    CHECK(sim_peer_send_frame(h.sim, vp8_frames[1], vp8_lens[1], false, 3000) == BRTC_OK);
    h_run_for(&h, 1000);
    CHECK_EQ_INT(ss->rembs_received, 1);
    CHECK_EQ_INT(ss->plis_received, 1);
    CHECK(ss->last_remb_bps == 2500000);
    CHECK_EQ_INT(ss->rtcp_bad, 0);
  }
  h_stop(&h);
}

/* An offer without "nack pli" and "nack": FIR for keyframes, no NACKs for losses. */
static void test_fir_only_no_nack(void) {
  lost_once = false;
  sim_peer_opts o = {.no_pli = true, .no_nack = true, .filter = lose_third};
  harness h;
  if (connect_pair(&h, &o)) {
    CHECK(sim_peer_send_frame(h.sim, vp8_frames[0], vp8_lens[0], true, 3000) == BRTC_OK);
    h_run_for(&h, 100000);
    CHECK(brtc_pc_request_keyframe(h.pc, h.now) == BRTC_OK);
    h_run_for(&h, 100000);
    const sim_peer_stats *ss = sim_peer_get_stats(h.sim);
    CHECK_EQ_INT(ss->plis_received, 0);
    CHECK(ss->firs_received >= 1);
    h_run_for(&h, 600000); /* repeated until a keyframe comes */
    CHECK(ss->firs_received >= 2);
    CHECK_EQ_INT(ss->plis_received, 0);
    CHECK_EQ_INT(ss->nacks_received, 0);
    CHECK_EQ_INT(ss->rtcp_bad, 0);
  }
  h_stop(&h);
}

static void test_wrong_fingerprint(void) {
  sim_peer_opts o = {.wrong_fingerprint = true};
  harness h;
  CHECK(h_start(&h, &o));
  CHECK(h_pump(&h, is_failed, 5000000));
  const char *why = h_step_detail(&h, BRTC_STEP_FAILED);
  fprintf(stderr, "  failed: %s\n", why);
  CHECK(strstr(why, "DTLS") != NULL);
  CHECK(strstr(why, "fingerprint") != NULL);
  CHECK(!h_has_step(&h, BRTC_STEP_DTLS_CONNECTED));
  CHECK(!h_has_step(&h, BRTC_STEP_SRTP_READY));
  CHECK(brtc_pc_is_closed(h.pc));
  h_stop(&h);
}

static void test_wrong_ice_password(void) {
  sim_peer_opts o = {.remote_pwd_override = "thisisnotthepasswordatall"};
  harness h;
  CHECK(h_start(&h, &o));
  h_run_for(&h, 500000);
  const sim_peer_stats *ss = sim_peer_get_stats(h.sim);
  CHECK(ss->check_errors >= 1);
  CHECK_EQ_INT(ss->last_error_code, 401);
  CHECK(!ss->ice_connected);
  CHECK(!h_has_step(&h, BRTC_STEP_ICE_CHECK));
  brtc_pc_stats st = {.size = sizeof(brtc_pc_stats)};
  brtc_pc_get_stats(h.pc, &st);
  CHECK(st.dropped_auth >= 1);
  CHECK(!brtc_pc_owns_address(h.pc, &h.sim_addr.u.sa));
  h_stop(&h);
}

static void test_unknown_address(void) {
  harness h;
  if (connect_pair(&h, NULL)) {
    send_keyframe_and_check(&h);
    brtc_addr stranger;
    brtc_addr_from_ip(&stranger, "127.0.0.1", 40000);
    brtc_pc_stats before = {.size = sizeof(brtc_pc_stats)}, after = {.size = sizeof(brtc_pc_stats)};
    brtc_pc_get_stats(h.pc, &before);
    /* A perfectly protected packet, from an address that never passed ICE. */
    uint8_t rtp[64] = {0x80, 111, 0x12, 0x34, 0, 0, 0, 1, 0x56, 0x78, 0xcd, 0xef, 1, 2, 3};
    uint8_t out[128];
    size_t len;
    CHECK(sim_peer_protect_rtp(h.sim, rtp, 16, out, sizeof(out), &len) == BRTC_OK);
    h_feed(&h, out, len, &stranger.u.sa);
    static const uint8_t dtls_rec[] = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 9, 0, 1, 0};
    h_feed(&h, dtls_rec, sizeof(dtls_rec), &stranger.u.sa);
    brtc_pc_get_stats(h.pc, &after);
    CHECK_EQ_INT(after.dropped_unexpected, before.dropped_unexpected + 2);
    CHECK_EQ_INT(after.rtp_audio, before.rtp_audio);
    /* The same packet from the right address is accepted. */
    h_feed(&h, out, len, &h.sim_addr.u.sa);
    brtc_pc_get_stats(h.pc, &after);
    CHECK_EQ_INT(after.rtp_audio, before.rtp_audio + 1);
  }
  h_stop(&h);
}

static void test_garbage_and_replay(void) {
  harness h;
  if (!connect_pair(&h, NULL)) goto out;
  send_keyframe_and_check(&h);
  brtc_pc_stats a = {.size = sizeof(brtc_pc_stats)}, b = {.size = sizeof(brtc_pc_stats)};
  brtc_pc_get_stats(h.pc, &a);
  const struct sockaddr *from = &h.sim_addr.u.sa;
  /* Replay of the last media packet. */
  CHECK(h.last_media_len > 0);
  h_feed(&h, h.last_media, h.last_media_len, from);
  brtc_pc_get_stats(h.pc, &b);
  CHECK_EQ_INT(b.dropped_replay, a.dropped_replay + 1);
  /* A forged one: a new sequence number, so the replay check passes and the tag fails. */
  uint8_t bad[2048];
  memcpy(bad, h.last_media, h.last_media_len);
  brtc_wr16(bad + 2, (uint16_t)(brtc_rd16(bad + 2) + 1000));
  h_feed(&h, bad, h.last_media_len, from);
  brtc_pc_get_stats(h.pc, &b);
  CHECK_EQ_INT(b.dropped_auth, a.dropped_auth + 1);
  /* One of each class, broken. */
  static const uint8_t stun[] = {0, 1, 0, 4, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3};
  static const uint8_t dtls_rec[] = {23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 0, 0, 40, 1, 2};
  static const uint8_t rtp[] = {0x80, 96, 0, 1};
  static const uint8_t rtcp[] = {0x81, 200, 0, 1, 0, 0, 0, 0};
  static const uint8_t other[] = {0xff, 1, 2, 3};
  static const uint8_t channel[] = {0x40, 0, 0, 4, 1, 2, 3, 4};
  brtc_pc_get_stats(h.pc, &a);
  h_feed(&h, stun, sizeof(stun), from);
  h_feed(&h, dtls_rec, sizeof(dtls_rec), from);
  h_feed(&h, rtp, sizeof(rtp), from);
  h_feed(&h, rtcp, sizeof(rtcp), from);
  h_feed(&h, other, sizeof(other), from);
  h_feed(&h, channel, sizeof(channel), from);
  h_feed(&h, other, 0, from);
  brtc_pc_get_stats(h.pc, &b);
  uint64_t drops_a = a.dropped_auth + a.dropped_malformed + a.dropped_replay + a.dropped_unexpected;
  uint64_t drops_b = b.dropped_auth + b.dropped_malformed + b.dropped_replay + b.dropped_unexpected;
  CHECK_EQ_INT(drops_b - drops_a, 7);
  CHECK(!h_has_step(&h, BRTC_STEP_FAILED));
  /* Random bytes of every class: counted, never a crash. */
  srand(7);
  for (int i = 0; i < 20000; i++) {
    uint8_t junk[300];
    size_t len = (size_t)(rand() % (int)sizeof(junk));
    for (size_t k = 0; k < len; k++) junk[k] = (uint8_t)rand();
    static const uint8_t firsts[] = {0, 1, 22, 23, 20, 128, 129, 144, 0x81};
    if (len) junk[0] = firsts[i % (int)sizeof(firsts)];
    if (len > 1 && i % 3 == 0) junk[1] = (uint8_t)(200 + i % 7); /* RTCP types */
    h_feed(&h, junk, len, from);
  }
  brtc_pc_get_stats(h.pc, &b);
  drops_b = b.dropped_auth + b.dropped_malformed + b.dropped_replay + b.dropped_unexpected;
  CHECK(drops_b - drops_a >= 20000);
  /* Still works. */
  CHECK(sim_peer_send_frame(h.sim, vp8_frames[1], vp8_lens[1], false, 6000) == BRTC_OK);
  h_run_for(&h, 100000);
  CHECK(h.n_frames >= 2);
out:
  h_stop(&h);
}

static void test_bad_offers(void) {
  brtc_pc_config *cfg = brtc_pc_config_new();
  char err[256];
  brtc_pc *pc = (brtc_pc *)1;
  /* A constructor says why it failed. */
  CHECK_EQ_INT(brtc_pc_new(cfg, &pc, err, sizeof(err)), BRTC_ERR_INVALID);
  CHECK(pc == NULL);
  CHECK_STR(err, "the config has no certificate");
  CHECK_EQ_INT(brtc_pc_new(NULL, &pc, err, sizeof(err)), BRTC_ERR_INVALID);
  CHECK_STR(err, "no config");
  /* Setters refuse what is out of range and keep the setting. */
  CHECK_EQ_INT(brtc_pc_config_set_max_frame_size(cfg, 10), BRTC_ERR_INVALID);
  CHECK_EQ_INT(brtc_pc_config_set_video_size(cfg, 640, 0), BRTC_ERR_INVALID);
  CHECK_EQ_INT(brtc_pc_config_set_dtls_role(cfg, (brtc_dtls_role)7), BRTC_ERR_INVALID);
  CHECK_EQ_INT(brtc_pc_config_set_ice_lite(cfg, false), BRTC_OK); /* full ICE, the default */
  CHECK_EQ_INT(brtc_pc_config_set_certificate(cfg, h_certificate()), BRTC_OK);
  CHECK_EQ_INT(brtc_pc_new(cfg, &pc, err, sizeof(err)), BRTC_OK);
  brtc_pc_config_free(cfg);
  CHECK(pc != NULL);
  /* Stats are read into a struct that says its size; a smaller one than any version's is
   * refused, and steps are read one by one. */
  brtc_pc_stats st = {.size = 8};
  CHECK_EQ_INT(brtc_pc_get_stats(pc, &st), BRTC_ERR_INVALID);
  st.size = sizeof(st);
  CHECK_EQ_INT(brtc_pc_get_stats(pc, &st), BRTC_OK);
  CHECK_EQ_INT(st.size, sizeof(st));
  CHECK_EQ_INT(brtc_pc_step_time(pc, BRTC_STEP_OFFER), 0);
  CHECK_EQ_INT(brtc_pc_step_time(pc, (brtc_pc_step)999), 0);
  sim_peer_opts o = {.fingerprint_hash = "sha-1"};
  sim_peer *sim = sim_peer_new(&o);
  CHECK(brtc_pc_set_remote_description(pc, "offer", sim_peer_offer(sim), 1, err, sizeof(err)) ==
        BRTC_ERR_UNSUPPORTED);
  CHECK(strstr(err, "sha-256") != NULL);
  fprintf(stderr, "  sha-1: %s\n", err);
  sim_peer_free(sim);
  /* A sha-256 fingerprint that is not 32 hex bytes is bad input, not an internal error. */
  sim = sim_peer_new(NULL);
  static char bad_fp[8192];
  snprintf(bad_fp, sizeof(bad_fp), "%s", sim_peer_offer(sim));
  char *fp = strstr(bad_fp, "a=fingerprint:sha-256 ");
  CHECK(fp != NULL);
  if (fp) {
    fp += strlen("a=fingerprint:sha-256 ");
    char *eol = strstr(fp, "\r\n");
    memmove(fp + 2, eol, strlen(eol) + 1);
    memcpy(fp, "00", 2);
    CHECK(brtc_pc_set_remote_description(pc, "offer", bad_fp, 1, err, sizeof(err)) ==
          BRTC_ERR_PARSE);
    CHECK(strstr(err, "fingerprint") != NULL);
  }
  sim_peer_free(sim);
  /* An answer with no offer of ours: the state's error (test_pc_jsep has the whole table). */
  CHECK(brtc_pc_set_remote_description(pc, "answer", "v=0\r\n", 1, err, sizeof(err)) ==
        BRTC_ERR_STATE);
  CHECK(brtc_pc_set_remote_description(pc, "offer", "nonsense", 1, err, sizeof(err)) < 0);
  CHECK(err[0] != '\0');
  const char *answer;
  CHECK(brtc_pc_create_answer(pc, &answer, err, sizeof(err)) == BRTC_ERR_STATE);
  /* Audio only is fine; a second offer is not. */
  sim_peer_opts ao = {.no_video = true};
  sim = sim_peer_new(&ao);
  CHECK(brtc_pc_set_remote_description(pc, "offer", sim_peer_offer(sim), 1, err, sizeof(err)) ==
        BRTC_OK);
  CHECK(brtc_pc_request_keyframe(pc, 2) == BRTC_ERR_STATE); /* no video negotiated */
  CHECK(brtc_pc_set_remote_description(pc, "offer", sim_peer_offer(sim), 1, err, sizeof(err)) ==
        BRTC_ERR_STATE);
  CHECK(brtc_pc_add_ice_candidate(pc, "candidate:1 1 udp 1 1.2.3.4 5 typ host") == BRTC_OK);
  CHECK(brtc_pc_add_ice_candidate(pc, "") == BRTC_OK);
  CHECK(brtc_pc_add_ice_candidate(pc, "bogus") == BRTC_ERR_PARSE);
  sim_peer_free(sim);
  brtc_pc_free(pc);
  CHECK_STR(brtc_pc_step_name(BRTC_STEP_ICE_CONNECTED), "ice-connected");
}

/* Real browser offers (tests/sdp/fixtures) are accepted and answered. */
static void browser_offer(const char *path) {
  FILE *f = fopen(path, "rb");
  CHECK(f != NULL);
  if (!f) return;
  static char text[65536];
  size_t n = fread(text, 1, sizeof(text) - 1, f);
  fclose(f);
  text[n] = '\0';
  brtc_pc_config *cfg = brtc_pc_config_new();
  brtc_pc_config_set_certificate(cfg, h_certificate());
  brtc_pc *pc = NULL;
  char err[256];
  CHECK_EQ_INT(brtc_pc_new(cfg, &pc, err, sizeof(err)), BRTC_OK);
  brtc_pc_config_free(cfg);
  int rc = brtc_pc_set_remote_description(pc, "offer", text, 1, err, sizeof(err));
  if (rc != BRTC_OK) fprintf(stderr, "  %s: %s\n", path, err);
  CHECK_EQ_INT(rc, BRTC_OK);
  const char *answer = NULL;
  CHECK(brtc_pc_create_answer(pc, &answer, err, sizeof(err)) == BRTC_OK);
  CHECK(answer && strstr(answer, "a=setup:active") != NULL);
  CHECK(answer && strstr(answer, "VP8/90000") != NULL);
  CHECK(pc->any_video);
  brtc_pc_free(pc);
}

static void test_browser_offers(void) {
  browser_offer("../sdp/fixtures/chrome_offer_video.sdp");
  browser_offer("../sdp/fixtures/chrome_offer_av_data.sdp");
  browser_offer("../sdp/fixtures/firefox_offer_video.sdp");
  browser_offer("../sdp/fixtures/firefox_offer_av_data.sdp");
}

static void test_consent_expiry(void) {
  harness h;
  if (connect_pair(&h, NULL)) {
    /* Cut the sim off: nothing it sends arrives any more. */
    sim_peer_free(h.sim);
    h.sim = sim_peer_new(NULL); /* a fresh one with no answer sends nothing */
    h_run_for(&h, 31000000);
    CHECK(h_has_step(&h, BRTC_STEP_FAILED));
    CHECK_STR(h_step_detail(&h, BRTC_STEP_FAILED), "ICE consent expired");
  }
  h_stop(&h);
}

/* A peer that sends media but no consent checks (Pion sends none while traffic flows either
 * way) keeps its session: authenticated SRTP renews consent. When the media stops too,
 * consent lapses 30 s after the last packet. Failed on main at 30 s with media flowing. */
static void test_consent_from_media(void) {
  harness h;
  sim_peer_opts o = {.check_interval_us = 3600000000ull}; /* no consent checks for an hour */
  h_ice_lite = true; /* full ICE keeps consent with checks of its own (test_consent_expiry) */
  bool ok = connect_pair(&h, &o);
  h_ice_lite = false;
  if (ok) {
    static const uint8_t opus[] = {0xfc, 0xff, 0xfe};
    uint64_t start = h.now;
    for (int i = 0; i < 45 && !h_has_step(&h, BRTC_STEP_FAILED); i++) {
      sim_peer_send_audio(h.sim, opus, sizeof(opus), 960u * (uint32_t)i);
      h_run_for(&h, 1000000);
    }
    CHECK(!h_has_step(&h, BRTC_STEP_FAILED)); /* 45 s of media, no check: alive */
    uint64_t last_media = h.now - 1000000; /* the last packet went a second ago */
    h_run_for(&h, 28000000);
    CHECK(!h_has_step(&h, BRTC_STEP_FAILED));
    h_run_for(&h, 3000000);
    CHECK(h_has_step(&h, BRTC_STEP_FAILED));
    CHECK_STR(h_step_detail(&h, BRTC_STEP_FAILED), "ICE consent expired");
    fprintf(stderr, "  media for %llu s, then consent lapsed %llu s after the last packet\n",
            (unsigned long long)((last_media - start) / 1000000),
            (unsigned long long)((h.now - last_media) / 1000000));
  }
  h_stop(&h);
}

static void test_setup_timeouts(void) {
  harness h;
  /* The peer never checks: ICE fails after 30 s. */
  CHECK(h_start(&h, NULL));
  sim_peer_free(h.sim);
  h.sim = sim_peer_new(NULL);
  h_run_for(&h, 31000000);
  CHECK(strstr(h_step_detail(&h, BRTC_STEP_FAILED), "ICE: no connectivity check") != NULL);
  h_stop(&h);
  /* Checks pass but DTLS never answers (we are the client; nothing comes back). Lite, so
   * that the peer's checks alone connect ICE. */
  h_ice_lite = true;
  CHECK(h_start(&h, NULL));
  h_ice_lite = false;
  for (int i = 0; i < 50 && !h_has_step(&h, BRTC_STEP_ICE_CONNECTED); i++) {
    uint8_t buf[2048];
    size_t len;
    struct sockaddr_storage to;
    if (sim_peer_poll_transmit(h.sim, buf, sizeof(buf), &len, &to) == BRTC_OK && buf[0] <= 3)
      h_feed(&h, buf, len, &h.sim_addr.u.sa);
  }
  CHECK(h_has_step(&h, BRTC_STEP_ICE_CONNECTED));
  sim_peer_free(h.sim);
  h.sim = sim_peer_new(NULL);
  h_run_for(&h, 31000000);
  fprintf(stderr, "  failed: %s\n", h_step_detail(&h, BRTC_STEP_FAILED));
  CHECK(strstr(h_step_detail(&h, BRTC_STEP_FAILED), "DTLS: handshake not done") != NULL);
  h_stop(&h);
}

/* A pc given a deadline for the first check fails at it when no check came; one that got
 * its check goes on past it (only the 30 s set-up time and consent apply then). */
static void test_ice_check_deadline(void) {
  harness h;
  h_ice_check_timeout_us = 5000000;
  CHECK(h_start(&h, NULL));
  uint64_t t0 = h.now;
  sim_peer_free(h.sim);
  h.sim = sim_peer_new(NULL); /* never checks */
  CHECK(h_deadline(&h) <= t0 + 5000000);
  h_run_for(&h, 4900000);
  CHECK(!h_has_step(&h, BRTC_STEP_FAILED));
  h_run_for(&h, 200000);
  CHECK(h_has_step(&h, BRTC_STEP_FAILED));
  CHECK_STR(h_step_detail(&h, BRTC_STEP_FAILED),
            "ICE: no connectivity check from the peer within 5000 ms");
  h_stop(&h);
  if (connect_pair(&h, NULL)) {
    h_run_for(&h, 8000000);
    CHECK(!h_has_step(&h, BRTC_STEP_FAILED));
  }
  h_stop(&h);
  h_ice_check_timeout_us = 0;
}

static void test_peer_close(void) {
  harness h;
  if (connect_pair(&h, NULL)) {
    CHECK(sim_peer_close(h.sim) == BRTC_OK);
    h_run_for(&h, 10000);
    CHECK(h_has_step(&h, BRTC_STEP_CLOSED));
    CHECK(brtc_pc_is_closed(h.pc));
  }
  h_stop(&h);
}

/* Heap held by one idle, connected session (DTLS done, SRTP keyed, no media yet). glibc's
 * counters do not see allocations under AddressSanitizer, so there it only reports. */
#if defined(__SANITIZE_ADDRESS__)
#define H_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define H_ASAN 1
#endif
#endif
static void test_memory(void) {
  harness h;
  CHECK(h_start_ex(&h, NULL, true));
  long long signaled = h.pc_heap;
  CHECK(h_pump(&h, h_connected, 5000000));
  long long connected = h.pc_heap;
  h_run_for(&h, 10000000); /* consent checks, timers settle */
  fprintf(stderr,
          "  memory: sizeof(brtc_pc) %zu B; heap of pc incl. sizeof: after the answer %lld B, "
          "connected %lld B, idle 10 s later %lld B\n",
          sizeof(struct brtc_pc), signaled, connected, h.pc_heap);
  /* What freeing it gives back is what it held. */
  long long before_free = (long long)mallinfo2().uordblks;
  brtc_pc_free(h.pc);
  h.pc = NULL;
  long long held = before_free - (long long)mallinfo2().uordblks;
  fprintf(stderr, "  memory: brtc_pc_free of the idle session returned %lld B\n", held);
#ifndef H_ASAN
  CHECK(h.pc_heap >= (long long)sizeof(struct brtc_pc));
  CHECK(held >= (long long)sizeof(struct brtc_pc));
  CHECK(held < 64 * 1024);
#endif
  h_stop(&h);
}

/* The output contract of brtc_pc_poll_output (peer_connection.h): events wait in the pc until
 * drained, in order, as copies; a pc never drained stops queueing at its bound and counts
 * what it dropped; datagrams come out before events, so a close's BYE and close_notify have
 * left when its CLOSED step is seen; a caller's struct too small is refused. */
static void wire_tap_nothing(brtc_pc *pc, bool inbound, const uint8_t *data, size_t len,
                             const struct sockaddr *peer, void *user) {
  (void)pc, (void)inbound, (void)data, (void)len, (void)peer, (void)user;
}

static void test_poll_output_contract(void) {
  harness h;
  h_wire_tap = wire_tap_nothing;
  bool started = h_start(&h, NULL);
  h_wire_tap = NULL;
  CHECK(started);
  if (!started) goto out;
  uint8_t buf[BRTC_PC_MAX_DATAGRAM];
  /* Smaller than the first version's struct: refused. */
  brtc_output out = {.size = offsetof(brtc_output, source) - 1};
  CHECK_EQ_INT(brtc_pc_poll_output(h.pc, buf, sizeof(buf), &out), BRTC_ERR_INVALID);
  out.size = sizeof(out);
  CHECK_EQ_INT(brtc_pc_poll_output(h.pc, NULL, sizeof(buf), &out), BRTC_ERR_INVALID);
  /* The offer has no candidates: full ICE has nothing to check before the peer's first
   * check, so signaling's two steps come first. */
  CHECK_EQ_INT(brtc_pc_poll_output(h.pc, buf, sizeof(buf), &out), BRTC_OK);
  /* Signaling's two steps wait, in order, as copies. */
  CHECK(out.kind == BRTC_OUTPUT_EVENT && out.event == BRTC_EVENT_STEP &&
        out.step == BRTC_STEP_OFFER && strstr(out.detail, "VP8/90000") != NULL);
  CHECK_EQ_INT(brtc_pc_poll_output(h.pc, buf, sizeof(buf), &out), BRTC_OK);
  CHECK(out.kind == BRTC_OUTPUT_EVENT && out.step == BRTC_STEP_ANSWER);
  /* Trickle (RFC 8838): our host candidate, with the answer's first mid, then the end. */
  CHECK_EQ_INT(brtc_pc_poll_output(h.pc, buf, sizeof(buf), &out), BRTC_OK);
  CHECK(out.kind == BRTC_OUTPUT_EVENT && out.event == BRTC_EVENT_ICE_CANDIDATE &&
        strstr(out.detail, "candidate:") == out.detail && strstr(out.detail, " typ host") &&
        out.mid && strcmp(out.mid, "0") == 0);
  CHECK_EQ_INT(brtc_pc_poll_output(h.pc, buf, sizeof(buf), &out), BRTC_OK);
  CHECK(out.kind == BRTC_OUTPUT_EVENT && out.event == BRTC_EVENT_ICE_GATHERING_COMPLETE);
  CHECK_EQ_INT(brtc_pc_poll_output(h.pc, buf, sizeof(buf), &out), BRTC_OK);
  CHECK(out.kind == BRTC_OUTPUT_TIMEOUT && out.deadline_us > h.now);
  /* Never drained: 1,100 datagrams make 1,100 wire events, of which 1,024 are kept. */
  static const uint8_t junk[4] = {0xff, 1, 2, 3};
  for (int i = 0; i < 1100; i++)
    brtc_pc_handle_datagram(h.pc, junk, sizeof(junk), &h.sim_addr.u.sa, h.now);
  brtc_pc_stats st = {.size = sizeof(brtc_pc_stats)};
  brtc_pc_get_stats(h.pc, &st);
  CHECK_EQ_INT(st.events_dropped, 1100 - 1024);
  size_t wire = 0;
  for (int i = 0; i < 2000; i++) {
    out = (brtc_output){.size = sizeof(out)};
    if (brtc_pc_poll_output(h.pc, buf, sizeof(buf), &out) != BRTC_OK ||
        out.kind == BRTC_OUTPUT_TIMEOUT)
      break;
    if (out.kind == BRTC_OUTPUT_EVENT && out.event == BRTC_EVENT_WIRE_PACKET && out.inbound &&
        out.len == sizeof(junk) && memcmp(out.data, junk, sizeof(junk)) == 0)
      wire++;
  }
  CHECK_EQ_INT(wire, 1024);
  /* Connected, then closed: every datagram of the close before the step that tells it. */
  if (!h_pump(&h, h_connected, 5000000)) {
    CHECK(false);
    goto out;
  }
  h_drain(&h);
  brtc_pc_close(h.pc, h.now);
  int transmits = 0, transmits_before_closed = -1;
  for (int i = 0; i < 100; i++) {
    out = (brtc_output){.size = sizeof(out)};
    if (brtc_pc_poll_output(h.pc, buf, sizeof(buf), &out) != BRTC_OK ||
        out.kind == BRTC_OUTPUT_TIMEOUT)
      break;
    if (out.kind == BRTC_OUTPUT_TRANSMIT) transmits++;
    if (out.kind == BRTC_OUTPUT_EVENT && out.event == BRTC_EVENT_STEP &&
        out.step == BRTC_STEP_CLOSED)
      transmits_before_closed = transmits;
  }
  CHECK(transmits >= 2); /* RTCP BYE, DTLS close_notify */
  CHECK_EQ_INT(transmits_before_closed, transmits);
out:
  h_stop(&h);
}

int main(void) {
  RUN(test_poll_output_contract);
  n_vp8 = h_encode_vp8(640, 480, 3, vp8_frames, vp8_lens, vp8_key);
  CHECK_EQ_INT(n_vp8, 3);
  if (n_vp8 < 3) return TEST_REPORT();
  CHECK(vp8_key[0] && !vp8_key[1]);
  fprintf(stderr, "keyframe %zu bytes, delta %zu bytes\n", vp8_lens[0], vp8_lens[1]);
  RUN(test_journey);
  RUN(test_journey_keep_dtls);
  RUN(test_journey_lite);
  RUN(test_profile_aes_cm);
  RUN(test_offer_active);
  RUN(test_offer_passive);
  RUN(test_actpass_answered_passive);
  RUN(test_loss_nack_pli);
  RUN(test_loss_repaired_by_rtx);
  RUN(test_reorder);
  RUN(test_first_packet_pli);
  RUN(test_explicit_pli_not_rate_limited);
  RUN(test_keyframe_request_repeats_until_answered);
  RUN(test_fir_only_no_nack);
  RUN(test_remb_defaults);
  RUN(test_remb_configured);
  RUN(test_no_remb_without_goog_remb);
  RUN(test_remb_alone);
  RUN(test_wrong_fingerprint);
  RUN(test_wrong_ice_password);
  RUN(test_unknown_address);
  RUN(test_garbage_and_replay);
  RUN(test_bad_offers);
  RUN(test_browser_offers);
  RUN(test_consent_expiry);
  RUN(test_consent_from_media);
  RUN(test_setup_timeouts);
  RUN(test_ice_check_deadline);
  RUN(test_peer_close);
  RUN(test_memory);
  for (size_t i = 0; i < n_vp8; i++) free(vp8_frames[i]);
  return TEST_REPORT();
}
