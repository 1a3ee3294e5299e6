/* Media ingest throughput: how many 1,200-byte video packets a second one core takes through
 * SRTP unprotect, RTP parsing and VP8 frame assembly in a brtc_pc.
 *
 *   memory: a simulated browser and a brtc_pc after a real ICE/DTLS handshake; packets made
 *           (and protected) by the browser ahead of time, then handed to brtc_pc_handle_datagram
 *           back to back; only that is timed.
 *   udp:    the same over loopback UDP: a sender thread pushes the packets with sendmmsg into
 *           a brtc_loop driving the pc; the rate is what the loop side delivered to the pc
 *           between its first and last media packet.
 *
 *   --codec h264: memory only, the browser offers H.264 and sends access units of
 *           PACKETS_PER_FRAME FU-A packets (SPS, PPS and an IDR every FRAMES_PER_KEYFRAME),
 *           packetized by our own packetizer: the pc's H.264 assembler and frame events.
 *
 * Usage: bench_ingest [--packets N] [--udp-packets N] [--only memory|udp] [--profile gcm|cm]
 *                     [--codec vp8|h264] */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_pair.h"
#include "boltrtc/loop.h"
#include "codec/h264_rtp.h"
#include "rtp/rtp.h"

#define DATAGRAM_BYTES 1200
#define PACKETS_PER_FRAME 30
#define FRAMES_PER_KEYFRAME 60
#define CHUNK 256 /* packets made ahead (warm in cache, as after recvmmsg), then timed */

typedef struct packet {
  uint16_t len;
  uint8_t data[1500];
} packet;

static const char *profile_name(brtc_srtp_profile_id id) {
  return id == BRTC_SRTP_PROFILE_AEAD_AES_128_GCM ? "AEAD_AES_128_GCM" : "AES128_CM_HMAC_SHA1_80";
}

static size_t srtp_overhead(brtc_srtp_profile_id id) {
  return id == BRTC_SRTP_PROFILE_AEAD_AES_128_GCM ? 16 : 10;
}

/* The browser's packetizer payload size that makes DATAGRAM_BYTES datagrams: RTP header (12),
 * VP8 descriptor (4), payload, SRTP tag. */
static size_t payload_for(brtc_srtp_profile_id id) { return DATAGRAM_BYTES - 16 - srtp_overhead(id); }

/* A video-only browser that offers just this SRTP profile. */
static sim_peer_opts browser_opts(brtc_srtp_profile_id profile, const brtc_dtls_cert *sim_cert) {
  sim_peer_opts opts;
  memset(&opts, 0, sizeof(opts));
  opts.no_audio = true;
  opts.srtp_profiles[0] = profile;
  opts.n_srtp_profiles = 1;
  opts.mtu = payload_for(profile);
  opts.cert = sim_cert;
  return opts;
}

static bool h264; /* --codec h264 */

static bool make_pair(bench_pair *p, const brtc_certificate *cert, brtc_srtp_profile_id profile,
                      const brtc_dtls_cert *sim_cert) {
  sim_peer_opts opts = browser_opts(profile, sim_cert);
  opts.h264 = h264;
  char err[256];
  if (bench_pair_init(p, cert, &opts, 1, err, sizeof(err)) != BRTC_OK) {
    fprintf(stderr, "pair: %s\n", err);
    return false;
  }
  return true;
}

/* Make n protected packets on the browser side: whole frames of PACKETS_PER_FRAME packets. */
typedef struct frame_source {
  uint8_t *frame;
  size_t frame_len;
  uint64_t frames;
} frame_source;

/* An H.264 access unit of about len bytes in Annex-B form: SPS, PPS and an IDR slice, or a
 * non-IDR slice; no zero bytes after the headers, so no start code inside. */
static size_t make_h264_unit(uint8_t *out, size_t len, bool key) {
  static const uint8_t sps[] = {0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e, 0x8c, 0x8d, 0x40, 0x52,
                                0x1f, 0xf1, 0x11, 0x10, 0x0f, 0x08, 0x84, 0x6a,
                                0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80};
  size_t at = 0;
  if (key) {
    memcpy(out, sps, sizeof sps);
    at = sizeof sps;
  }
  memcpy(out + at, "\0\0\0\1", 4);
  out[at + 4] = key ? 0x65 : 0x41;
  out[at + 5] = 0x88; /* first_mb_in_slice 0 */
  for (size_t i = at + 6; i < len; i++) out[i] = (uint8_t)(1 + i % 251);
  return len;
}

/* The same frames as H.264: our packetizer's payloads, RTP headers, the browser's SRTP. */
static size_t make_h264_packets(sim_peer *sim, frame_source *src, packet *out, size_t n,
                                size_t max_payload) {
  static brtc_h264_packetizer *pz;
  static uint16_t seq;
  if (!pz && !(pz = brtc_h264_packetizer_new(max_payload))) return 0;
  uint8_t payload[1500], rtp[1600];
  size_t made = 0;
  /* The VP8 run's frame size: PACKETS_PER_FRAME FU-A fragments (plus a STAP-A of SPS and
   * PPS before an IDR). */
  size_t unit_len = src->frame_len;
  while (made + PACKETS_PER_FRAME + 1 <= n) {
    bool key = src->frames % FRAMES_PER_KEYFRAME == 0;
    size_t len = make_h264_unit(src->frame, unit_len, key);
    if (brtc_h264_packetizer_push_annexb(pz, src->frame, len) != BRTC_OK) return made;
    size_t plen;
    bool marker;
    while (brtc_h264_packetizer_next(pz, payload, sizeof payload, &plen, &marker) == BRTC_OK) {
      brtc_rtp_header h = {.payload_type = 96, .marker = marker, .sequence = seq++,
                           .timestamp = (uint32_t)(src->frames * 3000), .ssrc = 0x1234abcd};
      size_t rlen, slen;
      if (brtc_rtp_write(&h, payload, plen, rtp, sizeof rtp, &rlen) != BRTC_OK ||
          sim_peer_protect_rtp(sim, rtp, rlen, out[made].data, sizeof out[made].data, &slen) !=
              BRTC_OK)
        return made;
      out[made++].len = (uint16_t)slen;
    }
    src->frames++;
  }
  return made;
}

static size_t make_packets(sim_peer *sim, frame_source *src, packet *out, size_t n) {
  size_t made = 0;
  struct sockaddr_storage to;
  while (made + PACKETS_PER_FRAME <= n) {
    bool key = src->frames % FRAMES_PER_KEYFRAME == 0;
    bench_make_vp8_frame(src->frame, src->frame_len, key);
    if (sim_peer_send_frame(sim, src->frame, src->frame_len, key, (uint32_t)(src->frames * 3000)))
      break;
    src->frames++;
    size_t len;
    while (made < n && sim_peer_poll_transmit(sim, out[made].data, sizeof(out[made].data), &len,
                                              &to) == BRTC_OK) {
      out[made].len = (uint16_t)len;
      made++;
    }
  }
  return made;
}

static void bench_memory(const brtc_certificate *cert, const brtc_dtls_cert *sim_cert,
                         brtc_srtp_profile_id profile, uint64_t total) {
  bench_pair p;
  if (!make_pair(&p, cert, profile, sim_cert) || !bench_pair_connect(&p, 200)) {
    fprintf(stderr, "memory %s: handshake failed\n", profile_name(profile));
    return;
  }
  packet *pkts = malloc(CHUNK * sizeof(*pkts));
  frame_source src = {.frame_len = PACKETS_PER_FRAME * payload_for(profile)};
  src.frame = malloc(src.frame_len);
  uint64_t done = 0, bytes = 0, refused = 0, server_before = p.server_us;
  uint8_t out[BRTC_PC_MAX_DATAGRAM];
  while (done < total) {
    size_t n = h264 ? make_h264_packets(p.sim, &src, pkts, CHUNK, payload_for(profile) + 4)
                    : make_packets(p.sim, &src, pkts, CHUNK);
    if (n == 0) break;
    /* One clock read per chunk, not per packet, so the timing costs nothing measurable. */
    uint64_t now = brtc_now_us();
    p.call_start_us = now;
    for (size_t i = 0; i < n; i++) {
      refused += brtc_pc_handle_datagram(p.pc, pkts[i].data, pkts[i].len, &p.sim_addr.u.sa, now) !=
                 BRTC_OK;
      bytes += pkts[i].len;
      /* The rule: drained after every datagram. RTCP the pc wants to send (receiver reports)
       * is part of its work; it goes nowhere. */
      for (;;) {
        brtc_output o = {.size = sizeof(o)};
        if (brtc_pc_poll_output(p.pc, out, sizeof(out), &o) != BRTC_OK ||
            o.kind == BRTC_OUTPUT_TIMEOUT)
          break;
        if (o.kind == BRTC_OUTPUT_EVENT && o.event == BRTC_EVENT_FRAME) {
          p.frames++;
          p.keyframes += o.keyframe;
        }
      }
    }
    p.server_us += brtc_now_us() - p.call_start_us;
    done += n;
  }
  double secs = (double)(p.server_us - server_before) / 1e6;
  brtc_pc_stats st = {.size = sizeof(brtc_pc_stats)};
  brtc_pc_get_stats(p.pc, &st);
  printf("memory  %-24s %9llu packets (%zu B avg) in %.3f s: %10.0f packets/s, %6.2f Gbit/s; "
         "frames %llu (keyframes %llu), refused %llu, pc profile %s\n",
         profile_name(profile), (unsigned long long)done, done ? (size_t)(bytes / done) : 0, secs,
         (double)done / secs, (double)bytes * 8 / secs / 1e9, (unsigned long long)p.frames,
         (unsigned long long)p.keyframes, (unsigned long long)refused, st.srtp_profile);
  free(src.frame);
  free(pkts);
  bench_pair_free_pc(&p);
  bench_pair_free_sim(&p);
}

/* ---- over loopback UDP ---- */

typedef struct udp_sender {
  int fd;
  brtc_addr to;
  packet *pkts;
  size_t n;
  size_t sent, send_failures;
} udp_sender;

static void *sender_main(void *arg) {
  udp_sender *s = arg;
  struct mmsghdr msgs[BRTC_LOOP_BATCH];
  struct iovec iov[BRTC_LOOP_BATCH];
  for (size_t off = 0; off < s->n;) {
    unsigned k = 0;
    for (; k < BRTC_LOOP_BATCH && off + k < s->n; k++) {
      iov[k].iov_base = s->pkts[off + k].data;
      iov[k].iov_len = s->pkts[off + k].len;
      memset(&msgs[k], 0, sizeof(msgs[k]));
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
      msgs[k].msg_hdr.msg_name = &s->to.u;
      msgs[k].msg_hdr.msg_namelen = brtc_addr_len(&s->to);
    }
    int r = sendmmsg(s->fd, msgs, k, 0); /* blocking socket: waits for buffer room */
    if (r < 0) {
      if (errno == EINTR) continue;
      s->send_failures++;
      off++;
      continue;
    }
    off += (size_t)r;
    s->sent += (size_t)r;
  }
  return NULL;
}

/* Shuttle handshake datagrams between the browser's socket and the sim peer. */
static void browser_io(sim_peer *sim, int fd) {
  uint8_t buf[2048];
  size_t len;
  struct sockaddr_storage to;
  uint64_t now = brtc_now_us();
  if (sim_peer_next_deadline(sim) <= now) sim_peer_handle_timeout(sim, now);
  while (sim_peer_poll_transmit(sim, buf, sizeof(buf), &len, &to) == BRTC_OK)
    (void)sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(struct sockaddr_in));
  for (;;) {
    struct sockaddr_storage from;
    socklen_t fl = sizeof(from);
    ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
    if (n < 0) return;
    sim_peer_handle_datagram(sim, buf, (size_t)n, (struct sockaddr *)&from, brtc_now_us());
  }
}

static uint64_t thread_cpu_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

typedef struct udp_counter {
  uint64_t first_us, last_us, frames;
} udp_counter;

static void udp_on_event(brtc_loop *loop, brtc_pc *pc, const brtc_output *ev, void *user) {
  (void)loop, (void)pc;
  udp_counter *c = user;
  if (ev->event == BRTC_EVENT_FRAME) c->frames++;
}

static void bench_udp(const brtc_certificate *cert, const brtc_dtls_cert *sim_cert,
                      brtc_srtp_profile_id profile, size_t total) {
  brtc_loop_config *cfg = brtc_loop_config_new();
  brtc_loop_config_add_udp_address(cfg, "127.0.0.1:0");
  brtc_loop_config_set_loopback_only(cfg, true);
  char err[256];
  brtc_loop *loop = brtc_loop_new(cfg, err, sizeof(err));
  brtc_loop_config_free(cfg);
  if (!loop) {
    fprintf(stderr, "loop: %s\n", err);
    return;
  }
  const struct sockaddr_storage *local;
  size_t n_local = brtc_loop_local_addrs(loop, &local);
  udp_counter counter = {0};
  (void)n_local;
  brtc_pc_config *pcc = brtc_pc_config_new();
  brtc_pc_config_set_certificate(pcc, cert);
  brtc_loop_config_pc(loop, pcc);
  brtc_pc *pc = NULL;
  brtc_pc_new(pcc, &pc, NULL, 0);
  brtc_pc_config_free(pcc);
  sim_peer_opts opts = browser_opts(profile, sim_cert);
  sim_peer *sim = sim_peer_new(&opts);
  const char *answer = NULL;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  brtc_addr me;
  brtc_addr_from_ip(&me, "127.0.0.1", 0);
  int big = 4 * 1024 * 1024;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
  if (!pc || !sim || fd < 0 || bind(fd, &me.u.sa, brtc_addr_len(&me)) != 0 ||
      brtc_pc_set_remote_description(pc, "offer", sim_peer_offer(sim), brtc_now_us(), err,
                                     sizeof(err)) != BRTC_OK ||
      brtc_pc_create_answer(pc, &answer, err, sizeof(err)) != BRTC_OK ||
      sim_peer_set_answer(sim, answer, err, sizeof(err)) != BRTC_OK ||
      brtc_loop_add_pc(loop, pc, udp_on_event, &counter) != BRTC_OK) {
    fprintf(stderr, "udp setup failed: %s\n", err);
    goto out;
  }
  for (int i = 0; i < 500 && !sim_peer_media_ready(sim); i++) {
    browser_io(sim, fd);
    brtc_loop_run_once(loop, 5);
    browser_io(sim, fd);
  }
  if (!sim_peer_media_ready(sim)) {
    fprintf(stderr, "udp %s: handshake failed\n", profile_name(profile));
    goto out;
  }
  brtc_pc_stats before = {.size = sizeof(brtc_pc_stats)};
  brtc_pc_get_stats(pc, &before);

  udp_sender s = {.fd = fd, .n = 0};
  memcpy(&s.to.u, &local[0], sizeof(struct sockaddr_in));
  s.pkts = malloc(total * sizeof(*s.pkts));
  frame_source src = {.frame_len = PACKETS_PER_FRAME * payload_for(profile)};
  src.frame = malloc(src.frame_len);
  s.n = make_packets(sim, &src, s.pkts, total);

  brtc_loop_stats ls0 = {.size = sizeof(ls0)};
  brtc_loop_get_stats(loop, &ls0);
  pthread_t th;
  pthread_create(&th, NULL, sender_main, &s);
  /* The loop side: count media packets the pc took, from the first to the last, and the
   * CPU time this thread spent meanwhile (loopback delivery itself is charged to the
   * sender's core, so wall time alone would measure the sender). */
  uint64_t first = 0, last = 0, seen = before.rtp_video;
  uint64_t idle_since = brtc_now_us(), cpu_start = thread_cpu_us(), cpu_last = cpu_start;
  for (;;) {
    brtc_loop_run_once(loop, 10);
    brtc_pc_stats st = {.size = sizeof(brtc_pc_stats)};
    brtc_pc_get_stats(pc, &st);
    uint64_t now = brtc_now_us();
    if (st.rtp_video != seen) {
      if (!first) first = now;
      last = now;
      cpu_last = thread_cpu_us();
      seen = st.rtp_video;
      idle_since = now;
    } else if (now - idle_since > 300000) {
      break; /* nothing for 300 ms: the sender is done or the rest was lost */
    }
  }
  pthread_join(th, NULL);
  brtc_loop_stats ls = {.size = sizeof(ls)};
  brtc_loop_get_stats(loop, &ls);
  uint64_t got = seen - before.rtp_video;
  double secs = (double)(last - first) / 1e6, cpu_secs = (double)(cpu_last - cpu_start) / 1e6;
  printf("udp     %-24s %9zu sent, %9llu taken by the pc in %.3f s (%.0f packets/s wall); "
         "loop thread CPU %.3f s: %10.0f packets/s per core; lost in the socket %.1f %%, "
         "frames %llu, loop dropped %llu\n",
         profile_name(profile), s.sent, (unsigned long long)got, secs,
         secs > 0 ? (double)got / secs : 0.0, cpu_secs, cpu_secs > 0 ? (double)got / cpu_secs : 0.0,
         s.sent ? 100.0 * (double)(s.sent - got) / (double)s.sent : 0.0,
         (unsigned long long)counter.frames,
         (unsigned long long)(ls.dropped_malformed + ls.dropped_unknown_source + ls.dropped_by_pc -
                              ls0.dropped_malformed - ls0.dropped_unknown_source - ls0.dropped_by_pc));
  free(src.frame);
  free(s.pkts);
  brtc_loop_remove_pc(loop, pc);
out:
  if (fd >= 0) close(fd);
  sim_peer_free(sim);
  brtc_pc_free(pc);
  brtc_loop_free(loop);
}

int main(int argc, char **argv) {
  uint64_t packets = 2000000;
  size_t udp_packets = 400000;
  const char *only = NULL, *profile = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--packets") == 0 && i + 1 < argc) packets = strtoull(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--udp-packets") == 0 && i + 1 < argc)
      udp_packets = strtoull(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) only = argv[++i];
    else if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc) profile = argv[++i];
    else if (strcmp(argv[i], "--codec") == 0 && i + 1 < argc) h264 = strcmp(argv[++i], "h264") == 0;
    else {
      fprintf(stderr, "usage: %s [--packets N] [--udp-packets N] [--only memory|udp] [--profile gcm|cm] "
              "[--codec vp8|h264]\n", argv[0]);
      return 2;
    }
  }
  brtc_certificate *cert = brtc_certificate_generate();
  brtc_dtls_cert *sim_cert = brtc_dtls_cert_generate();
  if (!cert || !sim_cert) {
    fprintf(stderr, "certificate generation failed\n");
    return 1;
  }
  const brtc_srtp_profile_id profiles[] = {BRTC_SRTP_PROFILE_AEAD_AES_128_GCM,
                                           BRTC_SRTP_PROFILE_AES128_CM_SHA1_80};
  printf("bench_ingest: %d-byte datagrams, %d packets per frame, one core\n", DATAGRAM_BYTES,
         PACKETS_PER_FRAME);
  const char *short_names[] = {"gcm", "cm"};
  for (size_t i = 0; i < 2; i++)
    if ((!only || strcmp(only, "memory") == 0) && (!profile || strcmp(profile, short_names[i]) == 0))
      bench_memory(cert, sim_cert, profiles[i], packets);
  for (size_t i = 0; i < 2 && !h264; i++) /* the UDP run sends VP8 only */
    if ((!only || strcmp(only, "udp") == 0) && (!profile || strcmp(profile, short_names[i]) == 0))
      bench_udp(cert, sim_cert, profiles[i], udp_packets);
  brtc_dtls_cert_free(sim_cert);
  brtc_certificate_free(cert);
  return 0;
}
