/* The send-rate target: REMB caps it at once, heavy loss halves the lost fraction off it (once
 * per 300 ms + RTT), light loss lets it climb 8 % a second, and it never leaves the owner's
 * bounds. */
#include "rtp/send_rate.h"
#include "testing.h"

static void test_starts_at_max_and_follows_remb(void) {
  brtc_send_rate r;
  brtc_send_rate_init(&r, 100000, 2500000);
  CHECK_EQ_INT(brtc_send_rate_target(&r), 2500000);
  CHECK(brtc_send_rate_on_remb(&r, 800000, 1000));
  CHECK_EQ_INT(brtc_send_rate_target(&r), 800000);
  CHECK(!brtc_send_rate_on_remb(&r, 800000, 2000)); /* the same: no change to tell */
  /* A higher REMB is a ceiling, not a jump: the target climbs to it as loss allows. */
  CHECK(!brtc_send_rate_on_remb(&r, 9000000, 3000));
  CHECK_EQ_INT(brtc_send_rate_target(&r), 800000);
  /* Below the floor: the floor. */
  CHECK(brtc_send_rate_on_remb(&r, 5000, 4000));
  CHECK_EQ_INT(brtc_send_rate_target(&r), 100000);
}

static void test_loss_lowers_then_recovers(void) {
  brtc_send_rate r;
  brtc_send_rate_init(&r, 100000, 2000000);
  uint64_t now = 1000000;
  /* 25 % lost (64/256): down by 12.5 %. */
  CHECK(brtc_send_rate_on_loss(&r, 64, now));
  CHECK_EQ_INT(brtc_send_rate_target(&r), 2000000 * 448 / 512);
  /* Another report of the same burst 100 ms later: not counted again. */
  CHECK(!brtc_send_rate_on_loss(&r, 64, now + 100000));
  CHECK_EQ_INT(brtc_send_rate_target(&r), 1750000);
  CHECK(brtc_send_rate_on_loss(&r, 64, now + 400000));
  CHECK_EQ_INT(brtc_send_rate_target(&r), 1750000 * 448 / 512);
  /* Moderate loss (5 %) holds. */
  uint64_t held = brtc_send_rate_target(&r);
  CHECK(!brtc_send_rate_on_loss(&r, 13, now + 2000000));
  CHECK_EQ_INT(brtc_send_rate_target(&r), held);
  /* No loss: 8 % + 1 kbit/s a second, not faster. */
  CHECK(brtc_send_rate_on_loss(&r, 0, now + 3000000));
  CHECK_EQ_INT(brtc_send_rate_target(&r), held + held * 8 / 100 + 1000);
  CHECK(!brtc_send_rate_on_loss(&r, 0, now + 3500000));
  for (int i = 0; i < 40; i++) brtc_send_rate_on_loss(&r, 0, now + 4000000 + i * 1000000ull);
  CHECK_EQ_INT(brtc_send_rate_target(&r), 2000000); /* back at the ceiling, not past it */
}

static void test_loss_never_climbs_past_remb(void) {
  brtc_send_rate r;
  brtc_send_rate_init(&r, 50000, 3000000);
  brtc_send_rate_on_remb(&r, 600000, 0);
  for (int i = 1; i < 20; i++) brtc_send_rate_on_loss(&r, 0, i * 1000000ull);
  CHECK_EQ_INT(brtc_send_rate_target(&r), 600000);
  /* The receiver raises its estimate: the target climbs toward it again, 8 % a second. */
  brtc_send_rate_on_remb(&r, 1000000, 21000000);
  CHECK_EQ_INT(brtc_send_rate_target(&r), 600000);
  CHECK(brtc_send_rate_on_loss(&r, 0, 22000000));
  CHECK_EQ_INT(brtc_send_rate_target(&r), 600000 + 48000 + 1000);
  for (int i = 0; i < 20; i++) brtc_send_rate_on_loss(&r, 0, 23000000 + i * 1000000ull);
  CHECK_EQ_INT(brtc_send_rate_target(&r), 1000000);
}

static void test_bounds(void) {
  brtc_send_rate r;
  brtc_send_rate_init(&r, 300000, 200000); /* min above max: max wins */
  CHECK_EQ_INT(r.min_bps, 200000);
  CHECK_EQ_INT(brtc_send_rate_target(&r), 200000);
  for (int i = 0; i < 50; i++) brtc_send_rate_on_loss(&r, 255, i * 1000000ull);
  CHECK_EQ_INT(brtc_send_rate_target(&r), 200000);
  brtc_send_rate_init(&r, 100000, 2000000);
  brtc_send_rate_on_remb(&r, 1500000, 0);
  brtc_send_rate_set_bounds(&r, 100000, 1000000); /* a lower ceiling takes effect at once */
  CHECK_EQ_INT(brtc_send_rate_target(&r), 1000000);
  brtc_send_rate_set_bounds(&r, 1200000, 3000000); /* a higher floor too */
  CHECK_EQ_INT(brtc_send_rate_target(&r), 1200000);
}

int main(void) {
  RUN(test_starts_at_max_and_follows_remb);
  RUN(test_loss_lowers_then_recovers);
  RUN(test_loss_never_climbs_past_remb);
  RUN(test_bounds);
  return TEST_REPORT();
}
