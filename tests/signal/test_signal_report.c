/* The terminal's rate line and summary: the differences over the interval, the rates, loss
 * as a share of what was expected, and the mark moving on. */
#include <stdio.h>
#include <string.h>

#include "signal/session_report.h"
#include "testing.h"

static void test_rate_line(void) {
  brtc_rate_mark mark = {.at_us = 1000000};
  brtc_pc_stats st = {0};
  st.bytes_in = 1250000; /* 10 Mbit in 2 s: 5,000 kbps */
  st.rtp_video = 300;
  st.rtp_audio = 100;
  st.frames = 60;
  st.keyframes = 1;
  st.video_lost = 4;
  st.audio_lost = 0;
  st.rtt_us = 1500;
  st.rr_sent = 2;
  st.plis_sent = 1;
  st.remb_sent = 2;
  char line[400];
  brtc_rate_line(&st, 3000000, &mark, line, sizeof(line));
  fprintf(stderr, "  %s\n", line);
  CHECK(strstr(line, "rate: 5,000 kbps, 200 pkt/s (video 150, audio 50), 30.0 fps, 1 keyframes") != NULL);
  CHECK(strstr(line, "lost 4 (1.0 %), RTT 1.5 ms; sent 2 RR, 1 PLI, 0 NACK, 2 REMB") != NULL);
  CHECK_EQ_INT(mark.at_us, 3000000);
  CHECK_EQ_INT(mark.rtp_video, 300);
  /* The next interval counts only what came since. */
  st.bytes_in += 125000;
  st.rtp_video += 10;
  st.video_lost = 3; /* a late packet arrived after all */
  brtc_rate_line(&st, 4000000, &mark, line, sizeof(line));
  CHECK(strstr(line, "rate: 1,000 kbps, 10 pkt/s (video 10, audio 0), 0.0 fps, 0 keyframes, lost -1 (0.0 %)") != NULL);
  CHECK(strstr(line, "sent 0 RR, 0 PLI, 0 NACK, 0 REMB") != NULL);
}

static void test_summary_line(void) {
  brtc_pc_stats st = {0};
  st.packets_in = 16234;
  st.bytes_in = 12000000;
  st.video_ssrc = 0x51378c6e;
  st.rtp_video = 12000;
  st.frames = 900;
  st.keyframes = 3;
  st.video_lost = 120;
  st.audio_ssrc = 0x1234;
  st.rtp_audio = 1500;
  st.frames_dropped = 5; /* VP8 and H.264 alike (pc stats) */
  st.keyframes_dropped = 1;
  st.frames_dropped_too_big = 2;
  char line[600];
  brtc_summary_line(&st, 1000000, 31000000, 2, line, sizeof(line));
  fprintf(stderr, "  %s\n", line);
  CHECK(strstr(line, "summary: 30.0 s, 16,234 datagrams in (12.0 MB, 3,200 kbps on average)") != NULL);
  CHECK(strstr(line, "video ssrc 0x51378c6e: 12,000 packets, 900 frames, 3 keyframes (2 saved), lost 120 (1.0 %)") != NULL);
  CHECK(strstr(line, "audio ssrc 0x00001234: 1,500 packets, lost 0") != NULL);
  CHECK(strstr(line, "5 frames dropped (1 keyframes, 2 too big)") != NULL);
}

int main(void) {
  RUN(test_rate_line);
  RUN(test_summary_line);
  return TEST_REPORT();
}
