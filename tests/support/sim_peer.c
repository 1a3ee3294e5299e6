/* The simulated browser: see sim_peer.h. Test code, but kept to project standards since
 * benchmarks reuse it. */
#include "sim_peer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "boltrtc/error.h"
#include "codec/vp8.h"
#include "common/addr.h"
#include "common/bytes.h"
#include "common/random.h"
#include "rtp/rtcp.h"
#include "rtp/rtp.h"
#include "sctp/datachannel.h"
#include "sdp/sdp.h"
#include "srtp/srtp.h"
#include "stun/stun.h"

#define SIM_OFFER_CAP 12288
#define SIM_MAX_PACKET 1500
#define SIM_DEFAULT_MTU 1100
#define SIM_CHECK_RETRY_US 100000
#define SIM_DEFAULT_CHECK_INTERVAL_US 2000000
#define SIM_RTX_HISTORY 512
#define SIM_NEVER UINT64_MAX

enum { ITEM_RAW = 0, ITEM_RTP };

typedef struct sim_item {
  size_t off, len;
  int kind;
} sim_item;

typedef struct sim_sent {
  uint16_t seq;
  size_t len;
  uint8_t data[SIM_MAX_PACKET];
} sim_sent;

struct sim_peer {
  sim_peer_opts opts;
  brtc_dtls_cert *own_cert;
  const brtc_dtls_cert *cert;
  char ufrag[9], pwd[64];
  uint64_t tie_breaker;
  char fingerprint[BRTC_DTLS_FINGERPRINT_LEN];
  char *offer;
  uint64_t now;

  /* From the answer. */
  bool answered;
  char remote_ufrag[BRTC_SDP_TOKEN], remote_pwd[BRTC_SDP_LONG];
  brtc_addr remote;
  bool have_remote;
  int video_pt, rtx_pt, audio_pt;

  /* ICE. */
  uint8_t check_tid[12];
  bool check_outstanding;
  uint64_t check_due_us;
  /* Answers to the pc's checks, waiting for sim_peer_poll_transmit. */
  uint8_t answer[2][200];
  size_t answer_len[2];
  size_t n_answers;

  /* DTLS and SRTP. */
  brtc_dtls *dtls;
  bool dtls_client, dtls_started;
  brtc_srtp *srtp_out, *srtp_in;
  bool compound_has_report; /* the SRTCP compound being parsed had an RR with blocks */

  /* Outgoing queue: packets stored back to back in one growing buffer. */
  uint8_t *q_buf;
  size_t q_len, q_cap;
  sim_item *q_items;
  size_t q_head, q_count, q_items_cap;
  uint8_t held[SIM_MAX_PACKET];
  size_t held_len;
  bool held_release;
  uint64_t media_index;

  /* Media state. */
  uint16_t video_seq, rtx_seq, audio_seq, video2_seq;
  const uint8_t *next_ext; /* an RTP header extension block for queue_rtp, NULL: none */
  size_t next_ext_len;
  uint16_t picture_id;
  sim_sent *history; /* opts.rtx or opts.resend_same_ssrc only */
  bool keyframe_requested;

  brtc_dc_transport *dc; /* opts.datachannel */
  bool dc_started;

  sim_peer_stats stats;
};

/* ---- outgoing queue ---- */

static int queue_push(sim_peer *p, int kind, const uint8_t *a, size_t a_len, const uint8_t *b,
                      size_t b_len) {
  size_t len = a_len + b_len;
  if (p->q_count == 0) { /* drained: reuse from the start */
    p->q_head = 0;
    p->q_len = 0;
  }
  if (p->q_len + len > p->q_cap) {
    size_t cap = p->q_cap ? p->q_cap : 16384;
    while (cap < p->q_len + len) cap *= 2;
    uint8_t *nb = realloc(p->q_buf, cap);
    if (!nb) return BRTC_ERR_NOMEM;
    p->q_buf = nb;
    p->q_cap = cap;
  }
  if (p->q_head + p->q_count == p->q_items_cap) {
    if (p->q_head > 0) { /* slide the live items to the front */
      memmove(p->q_items, p->q_items + p->q_head, p->q_count * sizeof(*p->q_items));
      p->q_head = 0;
    } else {
      size_t cap = p->q_items_cap ? p->q_items_cap * 2 : 64;
      sim_item *ni = realloc(p->q_items, cap * sizeof(*ni));
      if (!ni) return BRTC_ERR_NOMEM;
      p->q_items = ni;
      p->q_items_cap = cap;
    }
  }
  memcpy(p->q_buf + p->q_len, a, a_len);
  if (b_len) memcpy(p->q_buf + p->q_len + a_len, b, b_len);
  p->q_items[p->q_head + p->q_count] = (sim_item){.off = p->q_len, .len = len, .kind = kind};
  p->q_count++;
  p->q_len += len;
  return BRTC_OK;
}

/* ---- life cycle and offer ---- */

static void append(char *buf, size_t cap, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t cap, size_t *used, const char *fmt, ...) {
  if (*used >= cap) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf + *used, cap - *used, fmt, ap);
  va_end(ap);
  if (n > 0) *used += (size_t)n;
}

static void write_transport(sim_peer *p, char *o, size_t cap, size_t *u, const char *mid) {
  const char *hash = p->opts.fingerprint_hash ? p->opts.fingerprint_hash : "sha-256";
  append(o, cap, u,
         "c=IN IP4 0.0.0.0\r\n"
         "a=rtcp:9 IN IP4 0.0.0.0\r\n"
         "a=ice-ufrag:%s\r\n"
         "a=ice-pwd:%s\r\n"
         "a=ice-options:trickle\r\n"
         "a=fingerprint:%s %s\r\n"
         "a=setup:%s\r\n"
         "a=mid:%s\r\n",
         p->ufrag, p->pwd, hash, p->fingerprint, p->opts.setup, mid);
}

/* Modelled on what Chrome offers for one camera track and one microphone track. */
static int make_offer(sim_peer *p) {
  char *o = malloc(SIM_OFFER_CAP);
  if (!o) return BRTC_ERR_NOMEM;
  size_t u = 0;
  bool video = !p->opts.no_video, audio = !p->opts.no_audio;
  append(o, SIM_OFFER_CAP, &u,
         "v=0\r\no=- %llu 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE%s%s%s\r\n"
         "a=extmap-allow-mixed\r\na=msid-semantic: WMS simstream\r\n",
         (unsigned long long)(brtc_random_u64() >> 2), video ? " 0" : "",
         audio ? (p->opts.second_video ? " 1 2" : " 1") : (p->opts.second_video ? " 2" : ""),
         p->opts.datachannel ? " d" : "");
  if (video) {
    append(o, SIM_OFFER_CAP, &u, "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 45 46\r\n");
    write_transport(p, o, SIM_OFFER_CAP, &u, "0");
    append(o, SIM_OFFER_CAP, &u,
           "a=extmap:1 urn:ietf:params:rtp-hdrext:toffset\r\n"
           "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
           "a=extmap:3 urn:3gpp:video-orientation\r\n"
           "a=extmap:4 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
           "a=extmap:9 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
           "a=%s\r\n"
           "a=msid:simstream simvideo\r\n"
           "a=rtcp-mux\r\n"
           "a=rtcp-rsize\r\n"
           "a=rtpmap:96 %s\r\n"
           "%s"
           "a=rtcp-fb:96 transport-cc\r\n"
           "a=rtcp-fb:96 ccm fir\r\n"
           "%s%s"
           "a=rtpmap:97 rtx/90000\r\n"
           "a=fmtp:97 apt=96\r\n"
           "a=rtpmap:98 VP9/90000\r\n"
           "a=rtcp-fb:98 nack\r\n"
           "a=rtcp-fb:98 nack pli\r\n"
           "a=fmtp:98 profile-id=0\r\n"
           "a=rtpmap:99 rtx/90000\r\n"
           "a=fmtp:99 apt=98\r\n"
           "a=rtpmap:45 AV1/90000\r\n"
           "a=rtcp-fb:45 nack\r\n"
           "a=rtcp-fb:45 nack pli\r\n"
           "a=rtpmap:46 rtx/90000\r\n"
           "a=fmtp:46 apt=45\r\n"
           "a=ssrc-group:FID %u %u\r\n"
           "a=ssrc:%u cname:simpeercname\r\n"
           "a=ssrc:%u msid:simstream simvideo\r\n"
           "a=ssrc:%u cname:simpeercname\r\n"
           "a=ssrc:%u msid:simstream simvideo\r\n",
           p->opts.video_direction ? p->opts.video_direction : "sendrecv",
           p->opts.h264 ? "H264/90000\r\na=fmtp:96 level-asymmetry-allowed=1;"
                          "packetization-mode=1;profile-level-id=42e01f"
                        : "VP8/90000",
           p->opts.no_remb ? "" : "a=rtcp-fb:96 goog-remb\r\n",
           p->opts.no_nack ? "" : "a=rtcp-fb:96 nack\r\n",
           p->opts.no_pli ? "" : "a=rtcp-fb:96 nack pli\r\n",
           (unsigned)p->opts.video_ssrc, (unsigned)p->opts.rtx_ssrc, (unsigned)p->opts.video_ssrc,
           (unsigned)p->opts.video_ssrc, (unsigned)p->opts.rtx_ssrc, (unsigned)p->opts.rtx_ssrc);
  }
  if (audio) {
    append(o, SIM_OFFER_CAP, &u, "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n");
    write_transport(p, o, SIM_OFFER_CAP, &u, "1");
    append(o, SIM_OFFER_CAP, &u,
           "a=extmap:14 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
           "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
           "a=extmap:4 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
           "a=extmap:9 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
           "a=sendrecv\r\n"
           "a=msid:simstream simaudio\r\n"
           "a=rtcp-mux\r\n"
           "a=rtcp-rsize\r\n"
           "a=rtpmap:111 opus/48000/2\r\n"
           "a=rtcp-fb:111 transport-cc\r\n"
           "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
           "a=rtpmap:63 red/48000/2\r\n"
           "a=fmtp:63 111/111\r\n"
           "a=rtpmap:9 G722/8000\r\n"
           "a=rtpmap:0 PCMU/8000\r\n"
           "a=rtpmap:8 PCMA/8000\r\n"
           "a=rtpmap:13 CN/8000\r\n"
           "a=rtpmap:110 telephone-event/48000\r\n"
           "a=rtpmap:126 telephone-event/8000\r\n"
           "a=ssrc:%u cname:simpeercname\r\n"
           "a=ssrc:%u msid:simstream simaudio\r\n",
           (unsigned)p->opts.audio_ssrc, (unsigned)p->opts.audio_ssrc);
  }
  if (p->opts.second_video) {
    append(o, SIM_OFFER_CAP, &u, "m=video %s UDP/TLS/RTP/SAVPF 96 97\r\n",
           p->opts.second_video_bundle_only ? "0" : "9");
    write_transport(p, o, SIM_OFFER_CAP, &u, "2");
    if (p->opts.second_video_bundle_only) append(o, SIM_OFFER_CAP, &u, "a=bundle-only\r\n");
    append(o, SIM_OFFER_CAP, &u,
           "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
           "a=extmap:9 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
           "a=sendrecv\r\n"
           "a=msid:simstream simscreen\r\n"
           "a=rtcp-mux\r\n"
           "a=rtcp-rsize\r\n"
           "a=rtpmap:96 VP8/90000\r\n"
           "a=rtcp-fb:96 goog-remb\r\n"
           "a=rtcp-fb:96 nack\r\n"
           "a=rtcp-fb:96 nack pli\r\n"
           "a=rtpmap:97 rtx/90000\r\n"
           "a=fmtp:97 apt=96\r\n");
    if (!p->opts.second_video_no_ssrc)
      append(o, SIM_OFFER_CAP, &u, "a=ssrc:%u cname:simpeercname\r\n",
             (unsigned)p->opts.video2_ssrc);
  }
  if (p->opts.datachannel) { /* as Chrome writes it (RFC 8841) */
    append(o, SIM_OFFER_CAP, &u, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n");
    write_transport(p, o, SIM_OFFER_CAP, &u, "d");
    append(o, SIM_OFFER_CAP, &u, "a=sctp-port:5000\r\na=max-message-size:262144\r\n");
  }
  if (u >= SIM_OFFER_CAP) {
    free(o);
    return BRTC_ERR_TOO_BIG;
  }
  p->offer = o;
  return BRTC_OK;
}

sim_peer *sim_peer_new(const sim_peer_opts *opts) {
  sim_peer *p = calloc(1, sizeof(*p));
  if (!p) return NULL;
  if (opts) p->opts = *opts;
  if (!p->opts.setup) p->opts.setup = "actpass";
  if (!p->opts.video_ssrc) p->opts.video_ssrc = 0x1234abcd;
  if (!p->opts.rtx_ssrc) p->opts.rtx_ssrc = 0x1234abce;
  if (!p->opts.audio_ssrc) p->opts.audio_ssrc = 0x5678cdef;
  if (!p->opts.video2_ssrc) p->opts.video2_ssrc = 0x2468ace0;
  if (!p->opts.mtu || p->opts.mtu > SIM_MAX_PACKET - 12 - BRTC_VP8_PACKETIZER_DESCRIPTOR - BRTC_SRTP_MAX_TRAILER)
    p->opts.mtu = SIM_DEFAULT_MTU;
  if (!p->opts.check_interval_us) p->opts.check_interval_us = SIM_DEFAULT_CHECK_INTERVAL_US;
  p->cert = p->opts.cert;
  if (!p->cert) p->cert = p->own_cert = brtc_dtls_cert_generate();
  if (!p->cert) goto fail;
  brtc_random_ice_string(p->ufrag, 8);
  if (p->opts.ice_pwd) snprintf(p->pwd, sizeof(p->pwd), "%s", p->opts.ice_pwd);
  else brtc_random_ice_string(p->pwd, 24);
  p->tie_breaker = brtc_random_u64();
  snprintf(p->fingerprint, sizeof(p->fingerprint), "%s", brtc_dtls_cert_fingerprint(p->cert));
  if (p->opts.wrong_fingerprint) p->fingerprint[0] = p->fingerprint[0] == 'A' ? 'B' : 'A';
  p->video_seq = (uint16_t)brtc_random_u32();
  p->video2_seq = (uint16_t)brtc_random_u32();
  p->rtx_seq = (uint16_t)brtc_random_u32();
  p->audio_seq = (uint16_t)brtc_random_u32();
  p->picture_id = (uint16_t)(brtc_random_u32() & 0x7fff);
  p->video_pt = 96, p->rtx_pt = 97, p->audio_pt = 111;
  p->check_due_us = SIM_NEVER;
  if ((p->opts.rtx || p->opts.resend_same_ssrc) && !(p->history = calloc(SIM_RTX_HISTORY, sizeof(*p->history)))) goto fail;
  if (make_offer(p) != BRTC_OK) goto fail;
  return p;
fail:
  sim_peer_free(p);
  return NULL;
}

void sim_peer_free(sim_peer *p) {
  if (!p) return;
  brtc_dc_transport_free(p->dc);
  brtc_srtp_free(p->srtp_in);
  brtc_srtp_free(p->srtp_out);
  brtc_dtls_free(p->dtls);
  brtc_dtls_cert_free(p->own_cert);
  free(p->history);
  free(p->q_buf);
  free(p->q_items);
  free(p->offer);
  free(p);
}

const char *sim_peer_offer(sim_peer *p) { return p->offer; }
const char *sim_peer_fingerprint(const sim_peer *p) { return p->fingerprint; }
const sim_peer_stats *sim_peer_get_stats(const sim_peer *p) { return &p->stats; }
brtc_dtls *sim_peer_dtls(sim_peer *p) { return p->dtls; }
bool sim_peer_media_ready(const sim_peer *p) { return p->srtp_out != NULL; }

/* ---- answer ---- */

static void set_err(char *err, size_t cap, const char *msg) {
  if (err && cap) snprintf(err, cap, "%s", msg);
}

/* "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host" -> address. */
static bool parse_candidate(const char *c, brtc_addr *out) {
  char ip[64];
  unsigned port;
  if (sscanf(c, "candidate:%*s %*u %*s %*u %63s %u typ", ip, &port) != 2 || port > 65535)
    return false;
  return brtc_addr_from_ip(out, ip, (uint16_t)port) == BRTC_OK;
}

int sim_peer_set_answer(sim_peer *p, const char *sdp, char *err, size_t err_cap) {
  brtc_sdp *s = NULL;
  int rc = brtc_sdp_parse(sdp, strlen(sdp), &s, err, err_cap);
  if (rc != BRTC_OK) goto out;
  rc = BRTC_ERR_PARSE;
  if (s->n_media == 0) {
    set_err(err, err_cap, "answer has no media");
    goto out;
  }
  const brtc_sdp_media *tm = NULL;
  for (size_t i = 0; i < s->n_media && !tm; i++)
    if (s->media[i].port != 0) tm = &s->media[i];
  if (!tm) {
    set_err(err, err_cap, "answer rejected every m-section");
    goto out;
  }
  const char *hash = NULL;
  const char *fp = brtc_sdp_fingerprint(s, tm, &hash);
  const char *ufrag = brtc_sdp_ice_ufrag(s, tm), *pwd = brtc_sdp_ice_pwd(s, tm);
  if (!fp || !ufrag || !pwd || !*ufrag || !*pwd) {
    set_err(err, err_cap, "answer lacks ICE credentials or fingerprint");
    goto out;
  }
  brtc_sdp_setup setup = brtc_sdp_setup_of(s, tm);
  if (setup != BRTC_SETUP_ACTIVE && setup != BRTC_SETUP_PASSIVE) {
    set_err(err, err_cap, "answer a=setup must be active or passive");
    goto out;
  }
  snprintf(p->remote_ufrag, sizeof(p->remote_ufrag), "%s", ufrag);
  snprintf(p->remote_pwd, sizeof(p->remote_pwd), "%s",
           p->opts.remote_pwd_override ? p->opts.remote_pwd_override : pwd);
  if (!p->have_remote) {
    for (size_t i = 0; i < tm->n_candidates && !p->have_remote; i++)
      p->have_remote = parse_candidate(tm->candidates[i], &p->remote);
  }
  for (size_t i = 0; i < s->n_media; i++) {
    const brtc_sdp_media *m = &s->media[i];
    if (m->port == 0 || m->n_codecs == 0) continue;
    if (m->kind == BRTC_MEDIA_VIDEO) {
      p->video_pt = m->codecs[0].payload_type;
      for (size_t c = 0; c < m->n_codecs; c++)
        if (m->codecs[c].apt == p->video_pt) p->rtx_pt = m->codecs[c].payload_type;
    } else if (m->kind == BRTC_MEDIA_AUDIO) {
      p->audio_pt = m->codecs[0].payload_type;
    }
  }
  /* Their active means we are the DTLS server. */
  p->dtls_client = setup == BRTC_SETUP_PASSIVE;
  p->dtls = brtc_dtls_new(p->cert, p->dtls_client, fp);
  if (!p->dtls) {
    set_err(err, err_cap, "cannot create DTLS");
    rc = BRTC_ERR_CRYPTO;
    goto out;
  }
  if (p->opts.n_srtp_profiles)
    brtc_dtls_set_srtp_profiles(p->dtls, p->opts.srtp_profiles, p->opts.n_srtp_profiles);
  if (p->opts.datachannel && !p->dc) {
    brtc_dc_transport_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.sctp.zero_checksum = true;
    if (brtc_dc_transport_new(&cfg, p->now, &p->dc) != BRTC_OK) {
      set_err(err, err_cap, "cannot create the data channel transport");
      rc = BRTC_ERR_NOMEM;
      goto out;
    }
  }
  p->answered = true;
  p->check_due_us = 0; /* first check at once */
  rc = BRTC_OK;
out:
  brtc_sdp_free(s);
  return rc;
}

void sim_peer_set_remote_addr(sim_peer *p, const struct sockaddr *addr) {
  memset(&p->remote, 0, sizeof(p->remote));
  if (addr->sa_family == AF_INET6) memcpy(&p->remote.u.v6, addr, sizeof(p->remote.u.v6));
  else memcpy(&p->remote.u.v4, addr, sizeof(p->remote.u.v4));
  p->have_remote = true;
}

/* ---- ICE (controlling, aggressive nomination) ---- */

static int build_check(sim_peer *p, uint8_t *out, size_t cap, size_t *out_len) {
  char username[BRTC_SDP_TOKEN * 2 + 2];
  snprintf(username, sizeof(username), "%s:%s", p->remote_ufrag, p->ufrag);
  brtc_random_bytes(p->check_tid, sizeof(p->check_tid));
  brtc_stun_writer w;
  brtc_stun_writer_init(&w, out, cap, BRTC_STUN_BINDING_REQUEST, p->check_tid);
  brtc_stun_add_bytes(&w, BRTC_STUN_ATTR_USERNAME, username, strlen(username));
  brtc_stun_add_u32(&w, BRTC_STUN_ATTR_PRIORITY, (110u << 24) | (65535u << 8) | 255u);
  brtc_stun_add_u64(&w, BRTC_STUN_ATTR_ICE_CONTROLLING, p->tie_breaker);
  brtc_stun_add_flag(&w, BRTC_STUN_ATTR_USE_CANDIDATE);
  p->check_outstanding = true;
  p->stats.checks_sent++;
  return brtc_stun_finish(&w, (const uint8_t *)p->remote_pwd, strlen(p->remote_pwd), true,
                          out_len);
}

static void start_dtls(sim_peer *p) {
  if (p->dtls && p->dtls_client && !p->dtls_started) {
    p->dtls_started = true;
    brtc_dtls_start(p->dtls, p->now);
  }
}

/* A check from the pc (a full agent's triggered, ordinary or consent check): USERNAME
 * "ours:theirs" and MESSAGE-INTEGRITY with our password, answered with XOR-MAPPED-ADDRESS. */
static void answer_check(sim_peer *p, const uint8_t *data, size_t len, const brtc_stun_msg *m,
                         const struct sockaddr *from) {
  p->stats.checks_received++;
  size_t ulen = strlen(p->ufrag);
  if (p->opts.no_check_answers || !p->answered || !m->username || m->username_len <= ulen ||
      memcmp(m->username, p->ufrag, ulen) != 0 || m->username[ulen] != ':' ||
      brtc_stun_check_integrity(data, len, m, (const uint8_t *)p->pwd, strlen(p->pwd)) != BRTC_OK)
    return;
  if (p->n_answers == 2) return;
  brtc_addr src;
  memset(&src, 0, sizeof(src));
  if (from->sa_family == AF_INET6) memcpy(&src.u.v6, from, sizeof(src.u.v6));
  else memcpy(&src.u.v4, from, sizeof(src.u.v4));
  brtc_stun_writer w;
  uint8_t *out = p->answer[p->n_answers];
  brtc_stun_writer_init(&w, out, sizeof(p->answer[0]), BRTC_STUN_BINDING_SUCCESS,
                        m->transaction_id);
  brtc_stun_add_xor_address(&w, BRTC_STUN_ATTR_XOR_MAPPED_ADDRESS, &src);
  size_t n;
  if (brtc_stun_finish(&w, (const uint8_t *)p->pwd, strlen(p->pwd), true, &n) != BRTC_OK) return;
  p->answer_len[p->n_answers++] = n;
  p->stats.checks_answered++;
}

static void handle_stun(sim_peer *p, const uint8_t *data, size_t len,
                        const struct sockaddr *from) {
  brtc_stun_msg m;
  if (brtc_stun_parse(data, len, &m) != BRTC_OK) return;
  if (m.type == BRTC_STUN_BINDING_REQUEST) {
    answer_check(p, data, len, &m, from);
    return;
  }
  if (!p->check_outstanding || memcmp(m.transaction_id, p->check_tid, 12) != 0) return;
  if (m.type == BRTC_STUN_BINDING_ERROR) {
    p->check_outstanding = false;
    p->stats.check_errors++;
    p->stats.last_error_code = m.has_error ? m.error_code : 0;
    return;
  }
  if (m.type != BRTC_STUN_BINDING_SUCCESS) return;
  if (brtc_stun_check_integrity(data, len, &m, (const uint8_t *)p->remote_pwd,
                                strlen(p->remote_pwd)) != BRTC_OK)
    return;
  p->check_outstanding = false;
  p->stats.check_responses++;
  if (!p->stats.ice_connected) {
    p->stats.ice_connected = true;
    p->check_due_us = p->now + p->opts.check_interval_us;
    start_dtls(p);
  }
}

/* ---- DTLS, SRTP ---- */

static void after_dtls(sim_peer *p) {
  brtc_dtls_state st = brtc_dtls_get_state(p->dtls);
  if (st == BRTC_DTLS_FAILED) p->stats.dtls_failed = true;
  if (st == BRTC_DTLS_CLOSED) p->stats.dtls_closed = true;
  if (st != BRTC_DTLS_CONNECTED || p->srtp_out) return;
  brtc_dtls_srtp_keys k;
  if (brtc_dtls_get_srtp_keys(p->dtls, &k) != BRTC_OK) {
    p->stats.dtls_failed = true;
    return;
  }
  p->stats.dtls_connected = true;
  p->stats.profile = k.profile;
  p->srtp_out = brtc_srtp_new(k.profile, BRTC_SRTP_OUTBOUND, k.local_key, k.key_len,
                              k.local_salt, k.salt_len);
  p->srtp_in = brtc_srtp_new(k.profile, BRTC_SRTP_INBOUND, k.remote_key, k.key_len,
                             k.remote_salt, k.salt_len);
  p->stats.srtp_ready = p->srtp_out && p->srtp_in;
}

/* ---- data channels ---- */

uint64_t sim_fnv1a(uint64_t h, const uint8_t *data, size_t len) {
  for (size_t i = 0; i < len; i++) h = (h ^ data[i]) * 1099511628211ull;
  return h;
}

struct brtc_dc_transport *sim_peer_dc(sim_peer *p) { return p->dc; }

/* Takes the transport's events: counts them, echoes what the pc sends on "echo". */
static void dc_drain(sim_peer *p) {
  brtc_dc_event ev;
  while (p->dc && brtc_dc_transport_poll_event(p->dc, &ev) == BRTC_OK) {
    switch (ev.type) {
      case BRTC_DC_EVENT_OPEN: p->stats.dc_opened++; break;
      case BRTC_DC_EVENT_CLOSED: p->stats.dc_closed++; break;
      case BRTC_DC_EVENT_TRANSPORT_CLOSED: p->stats.dc_transport_closed = true; break;
      case BRTC_DC_EVENT_MESSAGE:
        if (p->stats.dc_messages == 0) p->stats.dc_hash = SIM_FNV_START;
        p->stats.dc_messages++;
        p->stats.dc_bytes += ev.len;
        p->stats.dc_hash = sim_fnv1a(p->stats.dc_hash, ev.data, ev.len);
        /* RFC 8832 6: the DTLS client's channels have even ids; echo only the pc's. */
        if (strcmp(brtc_dc_label(ev.channel), "echo") == 0 &&
            (brtc_dc_id(ev.channel) % 2 == 0) != p->dtls_client)
          brtc_dc_send(ev.channel, p->now, ev.data, ev.len, ev.binary);
        break;
      default: break;
    }
  }
}

static void dc_after_dtls(sim_peer *p) {
  if (!p->dc || brtc_dtls_get_state(p->dtls) != BRTC_DTLS_CONNECTED) return;
  if (!p->dc_started) {
    brtc_dc_start st = {.dtls_client = p->dtls_client, .remote_max_message = 256 * 1024};
    if (brtc_dc_transport_start(p->dc, p->now, &st) == BRTC_OK) p->dc_started = true;
  }
  uint8_t pkt[BRTC_DTLS_MAX_DATAGRAM];
  size_t n;
  while (brtc_dtls_read(p->dtls, pkt, sizeof(pkt), &n) == BRTC_OK)
    brtc_dc_transport_handle_packet(p->dc, p->now, pkt, n);
  dc_drain(p);
}

static int dc_poll(sim_peer *p, uint8_t *out, size_t cap, size_t *out_len) {
  if (!p->dc_started || brtc_dtls_get_state(p->dtls) != BRTC_DTLS_CONNECTED) return BRTC_ERR_AGAIN;
  uint8_t pkt[BRTC_SCTP_DEFAULT_MTU];
  size_t n;
  int rc = brtc_dc_transport_poll_packet(p->dc, p->now, pkt, sizeof(pkt), &n);
  dc_drain(p);
  if (rc != BRTC_OK) return rc;
  rc = brtc_dtls_write(p->dtls, pkt, n);
  return rc == BRTC_OK ? brtc_dtls_poll_output(p->dtls, out, cap, out_len) : rc;
}

/* ---- RTCP from the pc ---- */

static void queue_rtx(sim_peer *p, uint16_t seq) {
  if (!p->history) return;
  sim_sent *s = &p->history[seq % SIM_RTX_HISTORY];
  if (s->len < 12 || s->seq != seq) return;
  if (!p->opts.rtx) {
    if (queue_push(p, ITEM_RTP, s->data, s->len, NULL, 0) == BRTC_OK) p->stats.resent++;
    return;
  }
  uint8_t pkt[SIM_MAX_PACKET + 2];
  memcpy(pkt, s->data, 12);
  pkt[1] = (uint8_t)((pkt[1] & 0x80) | (p->rtx_pt & 0x7f));
  brtc_wr16(pkt + 2, p->rtx_seq++);
  brtc_wr32(pkt + 8, p->opts.rtx_ssrc);
  brtc_wr16(pkt + 12, seq); /* RFC 4588: the original sequence number first */
  memcpy(pkt + 14, s->data + 12, s->len - 12);
  if (queue_push(p, ITEM_RTP, pkt, s->len + 2, NULL, 0) == BRTC_OK) p->stats.rtx_sent++;
}

/* RFC 3611 4.5: a media sender answers a receiver's RRTR with a DLRR block naming it, as
 * libwebrtc does; we answer at once, so the delay since the RRTR is 0. */
static void answer_rrtr(sim_peer *p, const brtc_rtcp_packet *pk) {
  uint64_t ntp = 0;
  if (!p->srtp_out || brtc_rtcp_xr_rrtr(pk, &ntp) != BRTC_OK) return;
  p->stats.rrtrs_received++;
  uint8_t pkt[64 + BRTC_SRTCP_MAX_TRAILER];
  size_t len = 0, out_len = 0;
  if (brtc_rtcp_write_xr_dlrr(p->opts.video_ssrc, pk->sender_ssrc, (uint32_t)(ntp >> 16), 0, pkt,
                              64, &len) != BRTC_OK)
    return;
  if (p->opts.plain_tap) p->opts.plain_tap(p->opts.plain_tap_user, true, true, pkt, len);
  if (brtc_srtcp_protect(p->srtp_out, pkt, len, sizeof(pkt), &out_len) == BRTC_OK)
    queue_push(p, ITEM_RAW, pkt, out_len, NULL, 0);
}

static void on_rtcp(const brtc_rtcp_packet *pk, void *user) {
  sim_peer *p = user;
  if (pk->type == BRTC_RTCP_PSFB && pk->count_or_fmt == 1) {
    p->stats.plis_received++;
    p->stats.last_pli_media_ssrc = pk->media_ssrc;
    p->keyframe_requested = true;
  } else if (pk->type == BRTC_RTCP_PSFB && pk->count_or_fmt == 4) {
    p->stats.firs_received++;
    p->keyframe_requested = true;
  } else if (pk->type == BRTC_RTCP_XR) {
    answer_rrtr(p, pk);
  } else if (pk->type == BRTC_RTCP_RTPFB && pk->count_or_fmt == 1) {
    uint16_t seqs[64];
    size_t n = brtc_rtcp_nack_seqs(pk->fci, pk->fci_len, seqs, 64);
    p->stats.nacks_received++;
    for (size_t i = 0; i < n; i++) {
      if (p->stats.n_nacked_seqs < 64) p->stats.nacked_seqs[p->stats.n_nacked_seqs++] = seqs[i];
      p->stats.nacked_seqs_total++;
      queue_rtx(p, seqs[i]);
    }
  } else if (pk->type == BRTC_RTCP_PSFB && pk->count_or_fmt == 15) {
    uint64_t bps = 0;
    uint32_t ssrcs[4];
    size_t n = 0;
    if (brtc_rtcp_parse_remb(pk->fci, pk->fci_len, &bps, ssrcs, 4, &n) != BRTC_OK) {
      p->stats.rembs_bad++;
      return;
    }
    p->stats.rembs_received++;
    if (p->compound_has_report) p->stats.rembs_with_report++;
    p->stats.last_remb_bps = bps;
    p->stats.last_remb_ssrc = n ? ssrcs[0] : 0;
    p->stats.last_remb_n_ssrcs = n;
  } else if (pk->type == BRTC_RTCP_RR) {
    p->stats.rrs_received++;
    if (pk->n_blocks) p->compound_has_report = true;
    for (size_t i = 0; i < pk->n_blocks; i++) {
      if (pk->blocks[i].ssrc != p->opts.video_ssrc) continue;
      p->stats.last_rr_lsr = pk->blocks[i].last_sr;
      p->stats.last_rr_ext_seq = pk->blocks[i].ext_highest_seq;
    }
  } else if (pk->type == BRTC_RTCP_BYE) {
    p->stats.byes_received++;
  } else if (pk->type == BRTC_RTCP_SR) {
    p->stats.srs_received++;
  }
}

static void handle_srtcp(sim_peer *p, const uint8_t *data, size_t len) {
  uint8_t buf[SIM_MAX_PACKET + 64];
  size_t plain;
  if (!p->srtp_in || len > sizeof(buf) || !brtc_rtp_is_rtcp(data, len)) {
    p->stats.rtcp_bad++;
    return;
  }
  memcpy(buf, data, len);
  p->compound_has_report = false;
  if (brtc_srtcp_unprotect(p->srtp_in, buf, len, &plain) != BRTC_OK) {
    p->stats.rtcp_bad++;
    return;
  }
  if (p->opts.plain_tap) p->opts.plain_tap(p->opts.plain_tap_user, false, true, buf, plain);
  if (brtc_rtcp_parse(buf, plain, on_rtcp, p) != BRTC_OK) {
    p->stats.rtcp_bad++;
    return;
  }
  p->stats.rtcp_received++;
}

/* Media the pc sends us. */
static void handle_srtp(sim_peer *p, const uint8_t *data, size_t len) {
  uint8_t buf[SIM_MAX_PACKET + 64];
  size_t plain;
  if (!p->srtp_in || len > sizeof(buf)) {
    p->stats.rtp_bad++;
    return;
  }
  memcpy(buf, data, len);
  if (brtc_srtp_unprotect(p->srtp_in, buf, len, &plain) != BRTC_OK) {
    p->stats.rtp_bad++;
    return;
  }
  p->stats.rtp_received++;
  if (p->opts.rtp_in) p->opts.rtp_in(p->opts.rtp_in_user, buf, plain);
}

int sim_peer_send_rtcp(sim_peer *p, const uint8_t *rtcp, size_t len) {
  uint8_t pkt[SIM_MAX_PACKET];
  size_t out_len = 0;
  if (!p->srtp_out) return BRTC_ERR_STATE;
  if (len + BRTC_SRTCP_MAX_TRAILER > sizeof(pkt)) return BRTC_ERR_TOO_BIG;
  memcpy(pkt, rtcp, len);
  int rc = brtc_srtcp_protect(p->srtp_out, pkt, len, sizeof(pkt), &out_len);
  return rc == BRTC_OK ? queue_push(p, ITEM_RAW, pkt, out_len, NULL, 0) : rc;
}

int sim_peer_handle_datagram(sim_peer *p, const uint8_t *data, size_t len,
                             const struct sockaddr *from, uint64_t now_us) {
  if (now_us > p->now) p->now = now_us;
  if (len == 0) return BRTC_ERR_PARSE;
  uint8_t b = data[0];
  if (b <= 3) handle_stun(p, data, len, from);
  else if (b >= 20 && b <= 63 && p->dtls) {
    brtc_dtls_handle(p->dtls, data, len, p->now);
    after_dtls(p);
    dc_after_dtls(p);
  } else if (b >= 128 && b <= 191 && !brtc_rtp_is_rtcp(data, len)) handle_srtp(p, data, len);
  else if (b >= 128 && b <= 191) handle_srtcp(p, data, len);
  else return BRTC_ERR_PARSE;
  return BRTC_OK;
}

/* ---- media out ---- */

static int queue_rtp(sim_peer *p, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc,
                     bool marker, const uint8_t *desc, size_t desc_len, const uint8_t *payload,
                     size_t payload_len) {
  uint8_t pkt[SIM_MAX_PACKET];
  if (12 + desc_len + payload_len > sizeof(pkt)) return BRTC_ERR_TOO_BIG;
  size_t ext_len = p->next_ext ? p->next_ext_len : 0;
  if (12 + ext_len + desc_len + payload_len > sizeof(pkt)) return BRTC_ERR_TOO_BIG;
  pkt[0] = ext_len ? 0x90 : 0x80;
  pkt[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
  brtc_wr16(pkt + 2, seq);
  brtc_wr32(pkt + 4, ts);
  brtc_wr32(pkt + 8, ssrc);
  if (ext_len) memcpy(pkt + 12, p->next_ext, ext_len);
  if (desc_len) memcpy(pkt + 12 + ext_len, desc, desc_len);
  memcpy(pkt + 12 + ext_len + desc_len, payload, payload_len);
  size_t len = 12 + ext_len + desc_len + payload_len;
  if (p->history && pt == p->video_pt && ssrc == p->opts.video_ssrc) {
    sim_sent *s = &p->history[seq % SIM_RTX_HISTORY];
    s->seq = seq;
    s->len = len;
    memcpy(s->data, pkt, len);
  }
  return queue_push(p, ITEM_RTP, pkt, len, NULL, 0);
}

/* RFC 7741 packetization by the codec core; one RTP timestamp, marker on the last. With
 * opts.send_mid each packet names its section (RFC 8285 one-byte form, id 9). */
int sim_peer_send_frame_on(sim_peer *p, unsigned track, const uint8_t *data, size_t len,
                           uint32_t ts) {
  if (!p->srtp_out || p->video_pt < 0) return BRTC_ERR_STATE;
  if (len == 0 || track > 1 || (track == 1 && !p->opts.second_video)) return BRTC_ERR_INVALID;
  size_t max_payload = p->opts.mtu + BRTC_VP8_PACKETIZER_DESCRIPTOR;
  size_t count = brtc_vp8_packet_count(len, max_payload);
  if (count == 0) return BRTC_ERR_INVALID;
  uint8_t *payloads = malloc(count * max_payload);
  size_t *lens = malloc(count * sizeof(*lens));
  int rc = BRTC_ERR_NOMEM;
  if (payloads && lens)
    rc = brtc_vp8_packetize(data, len, p->picture_id, max_payload, payloads, count * max_payload,
                            lens, count);
  /* 0xBEDE, one word: id 9, length 1, the mid, padding. */
  uint8_t mid_ext[8] = {0xBE, 0xDE, 0x00, 0x01, 0x90, track ? '2' : '0', 0, 0};
  if (p->opts.send_mid) {
    p->next_ext = mid_ext;
    p->next_ext_len = sizeof(mid_ext);
  }
  uint16_t *seq = track ? &p->video2_seq : &p->video_seq;
  uint32_t ssrc = track ? p->opts.video2_ssrc : p->opts.video_ssrc;
  for (int i = 0; rc > 0 && i < rc; i++) {
    int qrc = queue_rtp(p, (uint8_t)p->video_pt, (*seq)++, ts, ssrc, i == rc - 1, NULL, 0,
                        payloads + (size_t)i * max_payload, lens[i]);
    if (qrc != BRTC_OK) rc = qrc;
  }
  p->next_ext = NULL;
  p->next_ext_len = 0;
  free(payloads);
  free(lens);
  p->picture_id = (uint16_t)((p->picture_id + 1) & 0x7fff);
  return rc < 0 ? rc : BRTC_OK;
}

int sim_peer_send_frame(sim_peer *p, const uint8_t *data, size_t len, bool keyframe, uint32_t ts) {
  (void)keyframe; /* the VP8 payload header itself says so */
  return sim_peer_send_frame_on(p, 0, data, len, ts);
}

int sim_peer_send_audio(sim_peer *p, const uint8_t *data, size_t len, uint32_t ts) {
  if (!p->srtp_out || p->audio_pt < 0) return BRTC_ERR_STATE;
  return queue_rtp(p, (uint8_t)p->audio_pt, p->audio_seq++, ts, p->opts.audio_ssrc, false, NULL,
                   0, data, len);
}

int sim_peer_send_raw(sim_peer *p, const uint8_t *data, size_t len) {
  if (len > SIM_MAX_PACKET) return BRTC_ERR_TOO_BIG;
  return queue_push(p, ITEM_RAW, data, len, NULL, 0);
}

int sim_peer_protect_rtp(sim_peer *p, const uint8_t *rtp, size_t len, uint8_t *out, size_t cap,
                         size_t *out_len) {
  if (!p->srtp_out) return BRTC_ERR_STATE;
  if (len + BRTC_SRTP_MAX_TRAILER > cap) return BRTC_ERR_TOO_BIG;
  memcpy(out, rtp, len);
  return brtc_srtp_protect(p->srtp_out, out, len, cap, out_len);
}

int sim_peer_send_sr(sim_peer *p, uint64_t ntp, uint32_t rtp_ts) {
  if (!p->srtp_out) return BRTC_ERR_STATE;
  uint8_t pkt[256];
  size_t len = 0, out_len = 0;
  int rc = brtc_rtcp_write_sr(p->opts.video_ssrc, ntp, rtp_ts, (uint32_t)p->stats.rtp_sent, 0,
                              NULL, 0, pkt, sizeof(pkt) - BRTC_SRTCP_MAX_TRAILER, &len);
  if (rc == BRTC_OK && p->opts.plain_tap)
    p->opts.plain_tap(p->opts.plain_tap_user, true, true, pkt, len);
  if (rc == BRTC_OK) rc = brtc_srtcp_protect(p->srtp_out, pkt, len, sizeof(pkt), &out_len);
  if (rc == BRTC_OK) rc = queue_push(p, ITEM_RAW, pkt, out_len, NULL, 0);
  return rc;
}

bool sim_peer_take_keyframe_request(sim_peer *p) {
  bool r = p->keyframe_requested;
  p->keyframe_requested = false;
  return r;
}

int sim_peer_close(sim_peer *p) { return p->dtls ? brtc_dtls_close(p->dtls) : BRTC_ERR_STATE; }

/* Protect one plain RTP packet into out. */
static int emit_rtp(sim_peer *p, const uint8_t *pkt, size_t len, uint8_t *out, size_t cap,
                    size_t *out_len) {
  if (p->opts.plain_tap && p->srtp_out)
    p->opts.plain_tap(p->opts.plain_tap_user, true, false, pkt, len);
  int rc = sim_peer_protect_rtp(p, pkt, len, out, cap, out_len);
  if (rc == BRTC_OK) p->stats.rtp_sent++;
  return rc;
}

static int poll_media(sim_peer *p, uint8_t *out, size_t cap, size_t *out_len) {
  if (p->held_len && (p->held_release || p->q_count == 0)) {
    size_t len = p->held_len;
    p->held_len = 0;
    p->held_release = false;
    return emit_rtp(p, p->held, len, out, cap, out_len);
  }
  while (p->q_count) {
    sim_item it = p->q_items[p->q_head];
    p->q_head++;
    p->q_count--;
    const uint8_t *pkt = p->q_buf + it.off;
    if (it.kind == ITEM_RAW) {
      if (it.len > cap) return BRTC_ERR_TOO_BIG;
      memcpy(out, pkt, it.len);
      *out_len = it.len;
      return BRTC_OK;
    }
    sim_peer_fate fate = SIM_PEER_SEND;
    if (p->opts.filter)
      fate = p->opts.filter(p->opts.filter_user, p->media_index, pkt[1] & 0x7f,
                            brtc_rd16(pkt + 2), (pkt[1] & 0x80) != 0);
    p->media_index++;
    if (fate == SIM_PEER_DROP) {
      p->stats.rtp_dropped++;
      continue;
    }
    if (fate == SIM_PEER_HOLD && p->held_len == 0 && it.len <= sizeof(p->held)) {
      memcpy(p->held, pkt, it.len);
      p->held_len = it.len;
      continue;
    }
    if (p->held_len) p->held_release = true;
    return emit_rtp(p, pkt, it.len, out, cap, out_len);
  }
  if (p->held_len) return poll_media(p, out, cap, out_len);
  return BRTC_ERR_AGAIN;
}

int sim_peer_poll_transmit(sim_peer *p, uint8_t *out, size_t cap, size_t *out_len,
                           struct sockaddr_storage *to) {
  if (!p->have_remote) return BRTC_ERR_AGAIN;
  int rc = BRTC_ERR_AGAIN;
  if (p->n_answers) { /* answers first: the pc's check waits on it */
    memcpy(out, p->answer[0], p->answer_len[0] <= cap ? p->answer_len[0] : 0);
    *out_len = p->answer_len[0];
    rc = p->answer_len[0] <= cap ? BRTC_OK : BRTC_ERR_TOO_BIG;
    if (--p->n_answers) {
      memcpy(p->answer[0], p->answer[1], p->answer_len[1]);
      p->answer_len[0] = p->answer_len[1];
    }
  }
  if (rc == BRTC_ERR_AGAIN && p->answered && p->check_due_us <= p->now) {
    rc = build_check(p, out, cap, out_len);
    p->check_due_us = p->now + (p->stats.ice_connected ? p->opts.check_interval_us
                                                       : SIM_CHECK_RETRY_US);
  }
  if (rc == BRTC_ERR_AGAIN && p->dtls) rc = brtc_dtls_poll_output(p->dtls, out, cap, out_len);
  if (rc == BRTC_ERR_AGAIN && p->dc) rc = dc_poll(p, out, cap, out_len);
  if (rc == BRTC_ERR_AGAIN) rc = poll_media(p, out, cap, out_len);
  if (rc != BRTC_OK) return rc;
  memset(to, 0, sizeof(*to));
  memcpy(to, &p->remote.u, brtc_addr_len(&p->remote));
  return BRTC_OK;
}

uint64_t sim_peer_next_deadline(const sim_peer *p) {
  uint64_t t = p->answered ? p->check_due_us : SIM_NEVER;
  if (p->dtls) {
    uint64_t d = brtc_dtls_next_deadline(p->dtls);
    if (d < t) t = d;
  }
  if (p->dc_started) {
    uint64_t d = brtc_dc_transport_next_deadline(p->dc);
    if (d < t) t = d;
  }
  return t;
}

int sim_peer_handle_timeout(sim_peer *p, uint64_t now_us) {
  if (now_us > p->now) p->now = now_us;
  if (p->dtls && brtc_dtls_next_deadline(p->dtls) <= p->now) {
    brtc_dtls_handle_timeout(p->dtls, p->now);
    after_dtls(p);
  }
  if (p->dc_started && brtc_dc_transport_next_deadline(p->dc) <= p->now) {
    brtc_dc_transport_handle_timeout(p->dc, p->now);
    dc_drain(p);
  }
  return BRTC_OK;
}
