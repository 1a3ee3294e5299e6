/* Data channels through a brtc_pc against the simulated browser (its own SCTP association
 * over its own DTLS), on the simulated clock: the offer's data section answered, channels
 * opened either way, messages to 256 KiB echoed byte for byte in both DTLS roles after
 * OpenSSL's state is released, forged or plaintext application data dropped without
 * touching a channel, the pc's close closing every channel, and a pc without data channels
 * rejecting the section. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/datachannel.h"
#include "boltrtc/error.h"
#include "dtls/dtls.h"
#include "dtls/dtls_record.h"
#include "pc/pc_datachannel_stats.h"
#include "pc/pc_internal.h"
#include "pc_harness.h"
#include "sctp/datachannel.h"
#include "testing.h"

static sim_peer_opts data_only(void) {
  sim_peer_opts o;
  memset(&o, 0, sizeof(o));
  o.datachannel = true;
  o.no_video = true;
  o.no_audio = true;
  return o;
}

static bool sim_channel_open(harness *h) { return sim_peer_get_stats(h->sim)->dc_opened >= 1; }
static bool both_open(harness *h) { return h->dc_opened >= 1 && sim_channel_open(h); }

/* Connected with one channel "echo" opened by the simulated browser (DCEP). */
static brtc_dc *open_echo(harness *h, const sim_peer_opts *opts) {
  h_datachannels = true;
  bool started = h_start(h, opts);
  h_datachannels = false;
  CHECK(started);
  if (!started) return NULL;
  brtc_dc *dc = NULL;
  CHECK(brtc_dc_create(sim_peer_dc(h->sim), h->now, "echo", NULL, &dc) == BRTC_OK);
  CHECK(h_pump(h, both_open, 5000000));
  CHECK(h->dc_peer_channels == 1);
  return dc;
}

/* Sends n messages from the simulated browser, sizes from 1 byte to 256 KiB, text and
 * binary; returns the FNV-1a of everything sent, in order. */
static uint64_t send_mix(harness *h, brtc_dc *dc, unsigned n) {
  static uint8_t buf[256 * 1024];
  uint64_t hash = SIM_FNV_START;
  for (unsigned i = 0; i < n; i++) {
    size_t len = i == 0 ? sizeof(buf) : i % 7 == 0 ? (i * 7919u) % sizeof(buf) + 1 : 1 + i * 37u % 1500;
    for (size_t k = 0; k < len; k++) buf[k] = (uint8_t)(i * 31u + k * 7u + (i % 2 ? 0 : 'a'));
    CHECK(brtc_dc_send(dc, h->now, buf, len, i % 2 == 1) == BRTC_OK);
    hash = sim_fnv1a(hash, buf, len);
    h_run_for(h, 20000); /* the send buffer (1 MiB) never fills */
  }
  return hash;
}

static bool echoed_all(harness *h) { return sim_peer_get_stats(h->sim)->dc_messages >= 40; }

/* What the stats report reads: the one channel the browser opened, its counters equal to
 * what the harness saw go each way, and the association's counters and estimates. */
static void check_stats(harness *h, unsigned messages) {
  CHECK_EQ_INT(pc_datachannel_count(h->pc), 1);
  pc_datachannel_stats st;
  CHECK_EQ_INT(pc_datachannel_get_stats(h->pc, 1, &st), BRTC_ERR_INVALID);
  CHECK_EQ_INT(pc_datachannel_get_stats(h->pc, 0, &st), BRTC_OK);
  CHECK(strcmp(st.label, "echo") == 0 && strcmp(st.protocol, "") == 0);
  CHECK(st.id >= 0 && st.state == BRTC_DATACHANNEL_OPEN);
  CHECK(st.messages_received == messages && st.bytes_received == h->dc_bytes);
  CHECK(st.messages_sent == messages && st.bytes_sent == h->dc_bytes); /* the echo */
  brtc_datachannel *c = (brtc_datachannel *)st.channel;
  CHECK(brtc_datachannel_messages_sent(c) == messages &&
        brtc_datachannel_messages_received(c) == messages);
  CHECK(brtc_datachannel_bytes_sent(c) == h->dc_bytes &&
        brtc_datachannel_bytes_received(c) == h->dc_bytes);
  CHECK(brtc_datachannel_messages_sent(NULL) == 0);
  brtc_sctp_stats sc;
  CHECK_EQ_INT(pc_sctp_get_stats(h->pc, &sc), BRTC_OK);
  /* Every message went out in DATA chunks (more than one for those over a packet), came
   * back acknowledged, and SACKs measured the round trip. */
  CHECK(sc.data_chunks_sent >= messages && sc.data_chunks_received >= messages);
  CHECK(sc.bytes_sent > h->dc_bytes && sc.bytes_received > h->dc_bytes);
  CHECK(sc.sacks_received > 0 && sc.cwnd > 0 && sc.peer_rwnd > 0 && sc.rto_ms > 0);
  CHECK_EQ_INT(sc.dropped_checksum + sc.dropped_malformed, 0);
}

static void echo_in_role(brtc_dtls_role role) {
  harness h;
  h_dtls_role = role;
  sim_peer_opts o = data_only();
  brtc_dc *dc = open_echo(&h, &o);
  h_dtls_role = BRTC_DTLS_ROLE_AUTO;
  if (!dc) return h_stop(&h);
  CHECK(strstr(h_step_detail(&h, BRTC_STEP_OFFER), "data channels mid d") != NULL);
  uint64_t sent = send_mix(&h, dc, 40);
  CHECK(h_pump(&h, echoed_all, 20000000));
  const sim_peer_stats *st = sim_peer_get_stats(h.sim);
  CHECK(h.dc_messages == 40 && st->dc_messages == 40);
  CHECK(h.dc_hash == sent);   /* what the pc received, in order */
  CHECK(st->dc_hash == sent); /* what came back, in order */
  CHECK(h.dc_bytes == st->dc_bytes && h.dc_bytes > 256 * 1024);
  check_stats(&h, 40);
  /* The release happened (the peer's first authenticated record showed it finished), so the
   * whole echo after it went through our own record layer. */
  CHECK(brtc_dtls_released(h.pc->dtls));
  h_stop(&h);
}

static void test_echo_dtls_client(void) { echo_in_role(BRTC_DTLS_ROLE_ACTIVE); }
static void test_echo_dtls_server(void) { echo_in_role(BRTC_DTLS_ROLE_PASSIVE); }

/* The pc opens a channel itself (even id as the DTLS client), the browser echoes it. */
static void test_pc_opens_channel(void) {
  harness h;
  sim_peer_opts o = data_only();
  o.no_video = false; /* beside video, in one bundle */
  h_datachannels = true;
  CHECK(h_start(&h, &o));
  h_datachannels = false;
  brtc_datachannel *dc = NULL;
  brtc_datachannel_init init;
  brtc_datachannel_init_default(&init);
  init.ordered = false;
  init.max_retransmits = 3;
  char err[160];
  CHECK(brtc_pc_create_datachannel(h.pc, h.now, "echo", &init, &dc, err, sizeof(err)) == BRTC_OK);
  CHECK(brtc_datachannel_get_state(dc) == BRTC_DATACHANNEL_CONNECTING);
  CHECK(h_pump(&h, both_open, 5000000));
  CHECK(brtc_datachannel_get_state(dc) == BRTC_DATACHANNEL_OPEN);
  CHECK(brtc_datachannel_id(dc) % 2 == 0); /* we answered actpass with active */
  CHECK(!brtc_datachannel_ordered(dc) && brtc_datachannel_max_retransmits(dc) == 3);
  CHECK(brtc_datachannel_pc(dc) == h.pc);
  CHECK(h.dc_peer_channels == 0);
  /* Each message goes out and comes back through the sim's echo. */
  static const char text[] = "steering 0.25, throttle 0.5";
  uint8_t big[100000];
  for (size_t i = 0; i < sizeof(big); i++) big[i] = (uint8_t)(i * 13);
  brtc_datachannel_set_buffered_amount_low_threshold(dc, 1000);
  CHECK(brtc_datachannel_send(dc, h.now, (const uint8_t *)text, strlen(text), false) == BRTC_OK);
  CHECK(brtc_datachannel_send(dc, h.now, big, sizeof(big), true) == BRTC_OK);
  CHECK(brtc_datachannel_buffered_amount(dc) > 1000);
  h_run_for(&h, 2000000);
  CHECK(brtc_datachannel_buffered_amount(dc) == 0);
  CHECK(h.dc_low >= 1);
  uint64_t want = sim_fnv1a(sim_fnv1a(SIM_FNV_START, (const uint8_t *)text, strlen(text)), big,
                            sizeof(big));
  CHECK(h.dc_messages == 2 && h.dc_hash == want);
  /* Close: the stream is reset both ways and CLOSED comes on each side. */
  brtc_datachannel_close(dc, h.now);
  h_run_for(&h, 1000000);
  CHECK(brtc_datachannel_get_state(dc) == BRTC_DATACHANNEL_CLOSED);
  CHECK(h.dc_closed == 1 && sim_peer_get_stats(h.sim)->dc_closed == 1);
  /* Media still flows beside it: nothing else of the session changed. */
  CHECK(!brtc_pc_is_closed(h.pc));
  h_stop(&h);
}

/* An attacker who can put datagrams on the path but has no keys: a record with a bad tag, a
 * replay of an authenticated one, and plaintext application data (each would carry an SCTP
 * ABORT if it were read) are dropped and counted; the channel stays open and carries on. */
static void test_forged_application_data_is_dropped(void) {
  harness h;
  sim_peer_opts o = data_only();
  brtc_dc *dc = open_echo(&h, &o);
  if (!dc) return h_stop(&h);
  brtc_pc_stats before = {.size = sizeof(before)};
  brtc_pc_get_stats(h.pc, &before);
  /* An SCTP ABORT (RFC 9260 3.3.7) for any tag: T bit set, so no tag is needed. */
  uint8_t abort_pkt[16] = {0x13, 0x88, 0x13, 0x88, 0, 0, 0, 0, 0, 0, 0, 0, 6, 1, 0, 4};
  uint8_t rec[64];
  /* Plaintext (epoch 0) application data. */
  uint8_t *r = rec;
  r[0] = BRTC_DTLS_CT_APPLICATION_DATA, r[1] = 0xfe, r[2] = 0xfd;
  memset(r + 3, 0, 8);
  r[11] = 0, r[12] = sizeof(abort_pkt);
  memcpy(r + 13, abort_pkt, sizeof(abort_pkt));
  CHECK(sim_peer_send_raw(h.sim, rec, 13 + sizeof(abort_pkt)) == BRTC_OK);
  /* Epoch 1, a sequence number far ahead, nonce, the ABORT and a made-up tag. */
  r[4] = 1;
  r[10] = 0x70;
  size_t body = 8 + sizeof(abort_pkt) + 16;
  r[11] = 0, r[12] = (uint8_t)body;
  memset(r + 13, 0x5a, body);
  CHECK(sim_peer_send_raw(h.sim, rec, 13 + body) == BRTC_OK);
  h_run_for(&h, 100000);
  brtc_pc_stats after = {.size = sizeof(after)};
  brtc_pc_get_stats(h.pc, &after);
  CHECK(after.dropped_auth >= before.dropped_auth + 2);
  CHECK(brtc_dc_get_state(dc) == BRTC_DC_OPEN);
  CHECK(brtc_datachannel_get_state(h.dc_last) == BRTC_DATACHANNEL_OPEN);
  CHECK(h.dc_closed == 0 && !sim_peer_get_stats(h.sim)->dc_transport_closed);
  CHECK(brtc_dc_send(dc, h.now, (const uint8_t *)"still", 5, false) == BRTC_OK);
  h_run_for(&h, 500000);
  CHECK(sim_peer_get_stats(h.sim)->dc_messages == 1);
  h_stop(&h);
}

/* brtc_pc_close: an SCTP ABORT goes ahead of the close_notify, so the peer's channels close
 * at once; ours report CLOSED. */
static void test_close_ends_channels(void) {
  harness h;
  sim_peer_opts o = data_only();
  brtc_dc *dc = open_echo(&h, &o);
  if (!dc) return h_stop(&h);
  brtc_pc_close(h.pc, h.now);
  h_run_for(&h, 200000); /* drains the pc: its CLOSED events come out */
  CHECK(h.dc_closed == 1);
  CHECK(sim_peer_get_stats(h.sim)->dc_transport_closed);
  CHECK(brtc_dc_get_state(dc) == BRTC_DC_CLOSED);
  CHECK(sim_peer_get_stats(h.sim)->dtls_closed);
  h_stop(&h);
}

/* Without brtc_pc_config_set_datachannels the section is rejected (port 0, not bundled), and an
 * offer of nothing else fails with the reason; creating a channel says why too. */
static void test_not_enabled(void) {
  harness h;
  sim_peer_opts o = data_only();
  brtc_sctp_stats sc;
  CHECK(!h_start(&h, &o));
  CHECK(strstr(h.answer_err, "data channels are not enabled") != NULL);
  brtc_datachannel *dc = NULL;
  char err[160];
  CHECK(brtc_pc_create_datachannel(h.pc, h.now, "x", NULL, &dc, err, sizeof(err)) ==
        BRTC_ERR_STATE);
  CHECK(dc == NULL && strstr(err, "not enabled") != NULL);
  h_stop(&h);

  o.no_video = false;
  CHECK(h_start(&h, &o));
  const char *answer = NULL;
  CHECK(brtc_pc_create_answer(h.pc, &answer, err, sizeof(err)) == BRTC_OK);
  CHECK(strstr(answer, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel") != NULL);
  CHECK(strstr(answer, "a=group:BUNDLE 0\r\n") != NULL);
  CHECK(h.pc->data == NULL); /* no SCTP state at all */
  CHECK(pc_datachannel_count(h.pc) == 0);
  CHECK_EQ_INT(pc_sctp_get_stats(h.pc, &sc), BRTC_ERR_STATE);
  h_stop(&h);
}

int main(void) {
  RUN(test_echo_dtls_client);
  RUN(test_echo_dtls_server);
  RUN(test_pc_opens_channel);
  RUN(test_forged_application_data_is_dropped);
  RUN(test_close_ends_channels);
  RUN(test_not_enabled);
  return TEST_REPORT();
}
