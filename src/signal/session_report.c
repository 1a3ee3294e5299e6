#include "signal/session_report.h"

#include <stdio.h>

/* Thousands separated, as people read counts: "16,234". */
static const char *count(uint64_t n, char buf[32]) {
  char digits[24];
  int len = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)n);
  int out = 0;
  for (int i = 0; i < len; i++) {
    if (i > 0 && (len - i) % 3 == 0) buf[out++] = ',';
    buf[out++] = digits[i];
  }
  buf[out] = '\0';
  return buf;
}

static double percent(int64_t lost, uint64_t received) {
  if (lost <= 0) return 0.0;
  return 100.0 * (double)lost / (double)((uint64_t)lost + received);
}

void brtc_rate_line(const brtc_pc_stats *st, uint64_t now_us, brtc_rate_mark *mark, char *out,
                    size_t cap) {
  double secs = now_us > mark->at_us ? (double)(now_us - mark->at_us) / 1e6 : 0.0;
  if (secs <= 0.0) secs = 1e-6;
  uint64_t video = st->rtp_video - mark->rtp_video, audio = st->rtp_audio - mark->rtp_audio;
  int64_t lost = st->video_lost + st->audio_lost - mark->lost;
  char kbps[32], pkts[32];
  snprintf(out, cap,
           "rate: %s kbps, %s pkt/s (video %.0f, audio %.0f), %.1f fps, %llu keyframes, "
           "lost %lld (%.1f %%), RTT %.1f ms; sent %llu RR, %llu PLI, %llu NACK, %llu REMB",
           count((uint64_t)((double)(st->bytes_in - mark->bytes_in) * 8 / secs / 1000), kbps),
           count((uint64_t)((double)(video + audio) / secs), pkts), (double)video / secs,
           (double)audio / secs, (double)(st->frames - mark->frames) / secs,
           (unsigned long long)(st->keyframes - mark->keyframes), (long long)lost,
           percent(lost, video + audio), (double)st->rtt_us / 1000.0,
           (unsigned long long)(st->rr_sent - mark->rr),
           (unsigned long long)(st->plis_sent - mark->pli),
           (unsigned long long)(st->nacks_sent - mark->nack),
           (unsigned long long)(st->remb_sent - mark->remb));
  *mark = (brtc_rate_mark){.at_us = now_us,
                           .bytes_in = st->bytes_in,
                           .rtp_video = st->rtp_video,
                           .rtp_audio = st->rtp_audio,
                           .frames = st->frames,
                           .keyframes = st->keyframes,
                           .lost = st->video_lost + st->audio_lost,
                           .rr = st->rr_sent,
                           .pli = st->plis_sent,
                           .nack = st->nacks_sent,
                           .remb = st->remb_sent};
}

void brtc_summary_line(const brtc_pc_stats *st, uint64_t created_us, uint64_t now_us,
                       unsigned long saved, char *out, size_t cap) {
  double secs = now_us > created_us ? (double)(now_us - created_us) / 1e6 : 0.0;
  char packets[32], video[32], audio[32], frames[32], kbps[32];
  uint64_t avg = secs > 0 ? (uint64_t)((double)st->bytes_in * 8 / secs / 1000) : 0;
  snprintf(out, cap,
           "summary: %.1f s, %s datagrams in (%.1f MB, %s kbps on average); video ssrc 0x%08x: "
           "%s packets, %s frames, %llu keyframes (%lu saved), lost %lld (%.1f %%), "
           "%llu recovered, %llu frames dropped (%llu keyframes, %llu too big); audio ssrc 0x%08x: %s packets, lost %lld; "
           "sent %llu RR, %llu PLI, %llu NACK, %llu REMB; dropped %llu malformed, %llu "
           "unauthenticated, %llu replays",
           secs, count(st->packets_in, packets), (double)st->bytes_in / 1e6, count(avg, kbps),
           (unsigned)st->video_ssrc, count(st->rtp_video, video), count(st->frames, frames),
           (unsigned long long)st->keyframes, saved, (long long)st->video_lost,
           percent(st->video_lost, st->rtp_video), (unsigned long long)st->rtp_recovered,
           (unsigned long long)st->frames_dropped, (unsigned long long)st->keyframes_dropped,
           (unsigned long long)st->frames_dropped_too_big, (unsigned)st->audio_ssrc,
           count(st->rtp_audio, audio), (long long)st->audio_lost,
           (unsigned long long)st->rr_sent, (unsigned long long)st->plis_sent,
           (unsigned long long)st->nacks_sent, (unsigned long long)st->remb_sent,
           (unsigned long long)st->dropped_malformed, (unsigned long long)st->dropped_auth,
           (unsigned long long)st->dropped_replay);
}
