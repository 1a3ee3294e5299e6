/* The TURN client core: RFC 8489 retransmission timing, giving up, refresh scheduling, and
 * what it does with answers that are not for it; TURN over a stream (framing, padding, one
 * transmission). */
#include <string.h>

#include "common/bytes.h"
#include "stun/stun.h"
#include "testing.h"
#include "turn/turn_harness.h"
#include "turn/turn_proto.h"

static void test_retransmissions_rfc8489(void) {
  /* No answer: transmissions at 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s (Rc = 7, RTO 500 ms
   * doubling), then failure Rm x RTO = 8 s after the last: 39.5 s (RFC 8489 6.2.1). */
  brtc_turn_client *cl = h_client("alice", "pw");
  uint64_t t0 = 5 * H_S, now = t0;
  brtc_turn_client_allocate(cl, now);
  uint8_t buf[1600];
  static const uint64_t expect_ms[] = {0, 500, 1500, 3500, 7500, 15500, 31500};
  uint64_t sent_at[8];
  int sent = 0;
  while (brtc_turn_client_get_state(cl) == BRTC_TURN_CLIENT_ALLOCATING && sent < 8) {
    brtc_turn_client_handle_timeout(cl, now);
    if (brtc_turn_client_poll_transmit(cl, now, buf, sizeof(buf))) sent_at[sent++] = now;
    uint64_t d = brtc_turn_client_deadline(cl);
    if (d == UINT64_MAX) break;
    now = d;
  }
  CHECK_EQ_INT(sent, 7);
  for (int i = 0; i < 7 && i < sent; i++) CHECK_EQ_INT(sent_at[i] - t0, expect_ms[i] * 1000);
  CHECK_EQ_INT(brtc_turn_client_get_state(cl), BRTC_TURN_CLIENT_FAILED);
  CHECK_EQ_INT(now - t0, 39500 * 1000);
  brtc_turn_client_event ev;
  CHECK(h_event(cl, BRTC_TURN_EV_FAILED, &ev) && ev.error_code == 0);
  brtc_turn_client_free(cl);
}

static void test_retransmission_is_answered_once(void) {
  /* The server's answer to the first transmission is lost; the retransmission, the same
   * transaction, gets it; a late duplicate answer is ignored. */
  h_world w;
  h_init(&w, NULL);
  brtc_turn_client *cl = h_client("alice", "alice-password");
  const brtc_addr me = h_addr("198.51.100.7:40000");
  brtc_turn_client_allocate(cl, w.now);
  h_pump(&w, cl, &me); /* 401, then the authenticated Allocate is answered... */
  CHECK(h_event(cl, BRTC_TURN_EV_ALLOCATED, NULL));
  uint8_t lost[2048];
  size_t lost_len = w.client_len;
  memcpy(lost, w.client_bytes, lost_len);
  brtc_turn_client_data d;
  CHECK_EQ_INT(brtc_turn_client_handle(cl, lost, lost_len, w.now, &d), BRTC_ERR_NOT_FOUND);
  brtc_turn_client_free(cl);

  cl = h_client("alice", "alice-password");
  const brtc_addr me2 = h_addr("198.51.100.7:40001");
  brtc_turn_client_allocate(cl, w.now);
  uint8_t buf[1600];
  size_t n = brtc_turn_client_poll_transmit(cl, w.now, buf, sizeof(buf));
  h_from_client(&w, &me2, buf, n);
  brtc_turn_client_handle(cl, w.client_bytes, w.client_len, w.now, &d); /* the 401 */
  n = brtc_turn_client_poll_transmit(cl, w.now, buf, sizeof(buf));
  h_from_client(&w, &me2, buf, n); /* answered, but the answer is lost */
  w.now += 500 * 1000;
  brtc_turn_client_handle_timeout(cl, w.now);
  n = brtc_turn_client_poll_transmit(cl, w.now, buf, sizeof(buf));
  CHECK(n > 0);
  h_from_client(&w, &me2, buf, n); /* the server answers the retransmission the same */
  CHECK_EQ_INT(brtc_turn_client_handle(cl, w.client_bytes, w.client_len, w.now, &d), 0);
  CHECK(h_event(cl, BRTC_TURN_EV_ALLOCATED, NULL));
  brtc_turn_core_stats st;
  brtc_turn_core_get_stats(w.core, &st);
  CHECK_EQ_INT(st.allocations, 2);
  brtc_turn_client_free(cl);
  brtc_turn_core_free(w.core);
}

static void test_forged_answer_is_dropped(void) {
  h_world w;
  h_init(&w, NULL);
  brtc_turn_client *cl = h_client("alice", "alice-password");
  const brtc_addr me = h_addr("198.51.100.7:40000");
  brtc_turn_client_allocate(cl, w.now);
  uint8_t buf[1600];
  brtc_turn_client_data d;
  size_t n = brtc_turn_client_poll_transmit(cl, w.now, buf, sizeof(buf));
  h_from_client(&w, &me, buf, n);
  brtc_turn_client_handle(cl, w.client_bytes, w.client_len, w.now, &d);
  n = brtc_turn_client_poll_transmit(cl, w.now, buf, sizeof(buf));
  h_from_client(&w, &me, buf, n);
  /* Tamper with the signed success: dropped, the transaction stays open. */
  w.client_bytes[w.client_len - 20] ^= 1; /* inside MESSAGE-INTEGRITY */
  CHECK_EQ_INT(brtc_turn_client_handle(cl, w.client_bytes, w.client_len, w.now, &d), BRTC_ERR_AUTH);
  CHECK_EQ_INT(brtc_turn_client_get_state(cl), BRTC_TURN_CLIENT_ALLOCATING);
  /* Garbage and unknown indications are drops too. */
  static const uint8_t junk[] = {0x80, 0, 0, 0};
  CHECK(brtc_turn_client_handle(cl, junk, sizeof(junk), w.now, &d) < 0);
  brtc_turn_client_free(cl);
  brtc_turn_core_free(w.core);
}

static void test_send_indication_and_data(void) {
  h_world w;
  h_init(&w, NULL);
  brtc_turn_client *cl = h_client("alice", "alice-password");
  const brtc_addr me = h_addr("198.51.100.7:40000"), peer = h_addr("203.0.113.9:5000");
  uint8_t buf[1600];
  size_t n;
  CHECK_EQ_INT(brtc_turn_client_wrap(cl, &peer, (const uint8_t *)"x", 1, buf, sizeof(buf), &n),
               BRTC_ERR_STATE);
  brtc_turn_client_allocate(cl, w.now);
  h_pump(&w, cl, &me);
  CHECK_EQ_INT(brtc_turn_client_create_permission(cl, &peer, w.now), BRTC_OK);
  h_pump(&w, cl, &me);
  CHECK(h_event(cl, BRTC_TURN_EV_PERMISSION, NULL));
  CHECK_EQ_INT(brtc_turn_client_wrap(cl, &peer, (const uint8_t *)"abc", 3, buf, sizeof(buf), &n), BRTC_OK);
  CHECK(brtc_stun_is_stun(buf, n));
  h_from_client(&w, &me, buf, n);
  CHECK(w.peer_sent && w.peer_len == 3 && memcmp(w.peer_bytes, "abc", 3) == 0);
  h_from_peer(&w, 0, &peer, (const uint8_t *)"defg", 4);
  brtc_turn_client_data d;
  CHECK_EQ_INT(brtc_turn_client_handle(cl, w.client_bytes, w.client_len, w.now, &d), 1);
  CHECK(d.len == 4 && memcmp(d.payload, "defg", 4) == 0 && brtc_addr_equal(&d.peer, &peer));
  /* The permission is refreshed every 240 s: after 20 minutes the peer still gets through. */
  for (int i = 0; i < 120; i++) {
    w.now += 10 * H_S;
    h_pump(&w, cl, &me);
  }
  h_from_peer(&w, 0, &peer, (const uint8_t *)"late", 4);
  CHECK(w.client_sent);
  CHECK(h_event(cl, BRTC_TURN_EV_REFRESHED, NULL));
  brtc_turn_client_free(cl);
  brtc_turn_core_free(w.core);
}

static void test_stream_framing_and_timers(void) {
  /* RFC 8656 6.2.2, 12.5: on a stream, a STUN message is 20 bytes and its length, ChannelData
   * 4 and its length padded to 4; what cannot start either ends the stream. */
  static const uint8_t binding[20] = {0x00, 0x01, 0x00, 0x08};
  static const uint8_t chan5[4] = {0x40, 0x00, 0x00, 0x05}, chan8[4] = {0x40, 0x01, 0x00, 0x08};
  CHECK_EQ_INT(brtc_turn_stream_frame_size(binding, 3, 1600), 0);
  CHECK_EQ_INT(brtc_turn_stream_frame_size(binding, 20, 1600), 28);
  CHECK_EQ_INT(brtc_turn_stream_frame_size(chan5, 4, 1600), 12);
  CHECK_EQ_INT(brtc_turn_stream_frame_size(chan8, 4, 1600), 12);
  CHECK(brtc_turn_stream_frame_size(chan8, 4, 11) == SIZE_MAX);
  CHECK(brtc_turn_stream_frame_size((const uint8_t *)"GET / HTTP/1.1", 14, 1600) == SIZE_MAX);
  CHECK(brtc_turn_stream_frame_size((const uint8_t *)"\x16\x03\x01\x02", 4, 1600) == SIZE_MAX);
  /* The client in stream mode pads ChannelData and sends a request once, giving up after
   * Ti = 39.5 s (RFC 8489 6.2.2: no retransmission over a reliable transport). */
  brtc_turn_client_config cc = {.username = "alice", .password = "pw", .stream = true};
  brtc_turn_client *cl = brtc_turn_client_new(&cc);
  uint64_t t0 = 5 * H_S, now = t0;
  uint8_t buf[1600];
  int sent = 0;
  brtc_turn_client_allocate(cl, now);
  while (brtc_turn_client_get_state(cl) == BRTC_TURN_CLIENT_ALLOCATING && sent < 3) {
    brtc_turn_client_handle_timeout(cl, now);
    if (brtc_turn_client_poll_transmit(cl, now, buf, sizeof(buf))) sent++;
    uint64_t d = brtc_turn_client_deadline(cl);
    if (d == UINT64_MAX) break;
    now = d;
  }
  CHECK_EQ_INT(sent, 1);
  CHECK_EQ_INT(brtc_turn_client_get_state(cl), BRTC_TURN_CLIENT_FAILED);
  CHECK_EQ_INT(now - t0, 39500 * 1000);
  brtc_turn_client_free(cl);
}

int main(void) {
  RUN(test_retransmissions_rfc8489);
  RUN(test_retransmission_is_answered_once);
  RUN(test_forged_answer_is_dropped);
  RUN(test_send_indication_and_data);
  RUN(test_stream_framing_and_timers);
  return TEST_REPORT();
}
