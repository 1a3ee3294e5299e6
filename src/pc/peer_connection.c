/* brtc_pc life cycle: creation, journey events, stats, the output pump and the timers.
 * The protocol work is in pc_signaling.c, pc_transport.c and pc_media.c. */
#include <openssl/crypto.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/random.h"
#include "pc/pc_internal.h"
#include "pc/pc_ready.h"
#include "pc/pc_reneg.h"
#include "pc/pc_send.h"

static const char *const step_names[PC_STEP_COUNT] = {
    [BRTC_STEP_OFFER] = "offer",
    [BRTC_STEP_ANSWER] = "answer",
    [BRTC_STEP_ICE_CHECK] = "ice-check",
    [BRTC_STEP_ICE_CONNECTED] = "ice-connected",
    [BRTC_STEP_DTLS_CONNECTED] = "dtls-connected",
    [BRTC_STEP_SRTP_READY] = "srtp-ready",
    [BRTC_STEP_FIRST_RTP] = "first-rtp",
    [BRTC_STEP_FIRST_KEYFRAME] = "first-keyframe",
    [BRTC_STEP_CLOSED] = "closed",
    [BRTC_STEP_FAILED] = "failed",
};

const char *brtc_pc_step_name(brtc_pc_step s) {
  if ((unsigned)s >= PC_STEP_COUNT) return "unknown";
  return step_names[s];
}

void pc_emit_step(brtc_pc *pc, brtc_pc_step step, const char *detail) {
  if ((unsigned)step >= PC_STEP_COUNT || pc->steps_done[step]) return;
  pc->steps_done[step] = true;
  /* 0 means "not reached", so a step at time 0 is recorded as 1 us. */
  pc->step_at_us[step] = pc->now_us ? pc->now_us : 1;
  brtc_output ev = {.event = BRTC_EVENT_STEP, .step = step, .detail = detail ? detail : ""};
  pc_push_event(pc, &ev);
}

void pc_emit_log(brtc_pc *pc, const char *detail) {
  brtc_output ev = {.event = BRTC_EVENT_LOG, .step = PC_STEP_NONE,
                    .detail = detail ? detail : ""};
  pc_push_event(pc, &ev);
}

void pc_fail(brtc_pc *pc, const char *reason) {
  if (pc->failed || pc->closed) return;
  pc->failed = true;
  pc_media_cancel_requests(pc);
  pc_data_end(pc, false);
  pc_emit_step(pc, BRTC_STEP_FAILED, reason);
}

void pc_touch(brtc_pc *pc, uint64_t now_us) {
  if (now_us > pc->now_us) pc->now_us = now_us;
  pc_mark_ready(pc);
}

void pc_mark_ready(brtc_pc *pc) { brtc_ready_mark(&pc->ready); }

brtc_ready_node *brtc_pc_ready_node(brtc_pc *pc) { return &pc->ready; }

/* An IPv4 or IPv6 socket address as a brtc_addr; false for any other family. */
static bool addr_from_sockaddr(const struct sockaddr *sa, brtc_addr *out) {
  memset(out, 0, sizeof(*out));
  if (sa->sa_family == AF_INET) memcpy(&out->u.v4, sa, sizeof(out->u.v4));
  else if (sa->sa_family == AF_INET6) memcpy(&out->u.v6, sa, sizeof(out->u.v6));
  else return false;
  return true;
}

/* A datagram as it is on the wire, for captures (the wire_packet_events tap). */
static void wire_event(brtc_pc *pc, bool inbound, const uint8_t *data, size_t len,
                       const struct sockaddr *peer) {
  brtc_output ev = {.event = BRTC_EVENT_WIRE_PACKET, .step = PC_STEP_NONE, .data = data,
                    .len = len, .inbound = inbound};
  brtc_addr a;
  if (addr_from_sockaddr(peer, &a)) memcpy(&ev.remote, &a.u, brtc_addr_len(&a));
  pc_push_event(pc, &ev);
}

int brtc_pc_new(const brtc_pc_config *config, brtc_pc **out, char *err, size_t err_cap) {
  if (err && err_cap) err[0] = '\0';
  if (!out) return BRTC_ERR_INVALID;
  *out = NULL;
  if (!config || !config->certificate) {
    if (err) snprintf(err, err_cap, "%s", config ? "the config has no certificate" : "no config");
    return BRTC_ERR_INVALID;
  }
  brtc_pc *pc = calloc(1, sizeof(*pc));
  if (!pc) {
    if (err) snprintf(err, err_cap, "out of memory");
    return BRTC_ERR_NOMEM;
  }
  pc->certificate = config->certificate;
  pc->plain_packet_events = config->plain_packet_events;
  pc->wire_packet_events = config->wire_packet_events;
  pc->keep_keylog = config->keep_keylog;
  pc->datachannels = config->datachannels;
  pc->max_video_frame = config->max_video_frame ? config->max_video_frame : PC_DEFAULT_MAX_FRAME;
  pc->keep_dtls = config->keep_dtls;
  pc->dtls_role = config->dtls_role;
  pc->keyframe_policy = config->keyframe_policy;
  pc->bitrate_fixed = config->max_video_bitrate_bps || config->start_video_bitrate_bps;
  pc->hint_width = config->video_width;
  pc->hint_height = config->video_height;
  brtc_video_bitrate sized = brtc_video_bitrate_for_size(pc->hint_width, pc->hint_height);
  pc->max_video_bps = config->max_video_bitrate_bps ? config->max_video_bitrate_bps
                      : config->start_video_bitrate_bps ? PC_DEFAULT_MAX_VIDEO_BPS
                                                        : sized.max_bps;
  pc->start_video_bps = config->start_video_bitrate_bps ? config->start_video_bitrate_bps
                        : config->max_video_bitrate_bps ? PC_DEFAULT_START_VIDEO_BPS
                                                        : sized.start_bps;
  if (pc->start_video_bps > pc->max_video_bps) pc->start_video_bps = pc->max_video_bps;
  memcpy(pc->host_addrs, config->host_addrs, sizeof(pc->host_addrs));
  pc->n_host_addrs = config->n_host_addrs;
  memcpy(pc->tcp_addrs, config->tcp_addrs, sizeof(pc->tcp_addrs));
  pc->n_tcp_addrs = config->n_tcp_addrs;
  int rc = pc_ice_new(pc, config, err, err_cap);
  if (rc == BRTC_OK && (rc = pc_gather_new(pc, config)) != BRTC_OK) {
    snprintf(err, err_cap, "out of memory");
    pc_ice_free(pc);
  }
  if (rc != BRTC_OK) {
    free(pc);
    return rc;
  }
  pc->ice_check_timeout_us = config->ice_check_timeout_us;
  pc->check_deadline = PC_NEVER;
  pc->local_ssrc = brtc_random_u32();
  if (pc->local_ssrc == 0) pc->local_ssrc = 1;
  brtc_random_ice_string(pc->cname, sizeof(pc->cname) - 1);
  pc->setup_deadline = PC_NEVER;
  pc->next_rr_us = PC_NEVER;
  *out = pc;
  return BRTC_OK;
}

void brtc_pc_free(brtc_pc *pc) {
  if (!pc) return;
  brtc_ready_unlink(&pc->ready); /* freed while still driven: at least no list points at it */
  pc_media_free(pc);
  pc_send_free(pc);
  pc_data_free(pc);
  pc_events_free(pc);
  brtc_srtp_free(pc->srtp_in);
  brtc_srtp_free(pc->srtp_out);
  pc_early_srtp_discard(pc);
  brtc_dtls_free(pc->dtls);
  pc_gather_free(pc);
  pc_ice_free(pc);
  if (pc->keylog) OPENSSL_cleanse(pc->keylog, BRTC_DTLS_KEYLOG_LEN);
  free(pc->keylog);
  free(pc->answer);
  pc_offer_free(pc);
  pc_reneg_free(pc);
  free(pc);
}

int brtc_pc_set_remote_description(brtc_pc *pc, const char *type, const char *sdp,
                                   uint64_t now_us, char *err, size_t err_cap) {
  if (err && err_cap) err[0] = '\0';
  if (!pc || !type) return BRTC_ERR_INVALID;
  pc_touch(pc, now_us);
  if (strcmp(type, "offer") != 0) return pc_jsep_set_remote(pc, type, sdp, err, err_cap);
  int rc = pc_jsep_allow(pc, PC_CALL_SET_REMOTE_OFFER, err, err_cap);
  if (rc != BRTC_OK) return rc;
  if (!sdp) return BRTC_ERR_INVALID;
  if (!pc->stats.created_us) pc->stats.created_us = now_us ? now_us : 1;
  rc = pc_signaling_set_offer(pc, sdp, err, err_cap);
  if (rc == BRTC_OK) pc->signaling = BRTC_SIGNALING_HAVE_REMOTE_OFFER;
  if (rc == BRTC_OK && pc->ice_check_timeout_us)
    pc->check_deadline = pc->now_us + pc->ice_check_timeout_us;
  return rc;
}

/* The deadline for the first check, while it still matters. */
static uint64_t check_deadline(const brtc_pc *pc) {
  if (pc->closed || pc->failed || pc->steps_done[BRTC_STEP_ICE_CHECK]) return PC_NEVER;
  return pc->check_deadline;
}

int brtc_pc_create_answer(brtc_pc *pc, const char **sdp, char *err, size_t err_cap) {
  if (err && err_cap) err[0] = '\0';
  if (!pc || !sdp) return BRTC_ERR_INVALID;
  int rc = pc_jsep_allow(pc, PC_CALL_CREATE_ANSWER, err, err_cap);
  if (rc == BRTC_OK) rc = pc_reneg_apply_held(pc, err, err_cap);
  if (rc != BRTC_OK) return rc;
  *sdp = pc->answer;
  return BRTC_OK;
}

int brtc_pc_add_ice_candidate(brtc_pc *pc, const char *candidate) {
  if (!pc || !candidate) return BRTC_ERR_INVALID;
  pc_mark_ready(pc);
  /* Full ICE pairs it and checks it (a lite agent only counts it: the peer's checks tell it
   * the addresses); "" is end-of-candidates (RFC 8838). */
  return pc_ice_add_remote_candidate(pc, candidate);
}

_Static_assert(BRTC_PC_KEYLOG_LEN == BRTC_DTLS_KEYLOG_LEN, "one keylog line, one size");

int brtc_pc_dtls_keylog(const brtc_pc *pc, char *out, size_t cap) {
  if (!pc || !out || cap < BRTC_DTLS_KEYLOG_LEN) return BRTC_ERR_INVALID;
  if (!pc->keep_keylog) return BRTC_ERR_STATE;
  if (!pc->keylog) return BRTC_ERR_AGAIN;
  memcpy(out, pc->keylog, BRTC_DTLS_KEYLOG_LEN);
  return BRTC_OK;
}

const char *brtc_pc_local_ufrag(const brtc_pc *pc) { return pc_ice_local_ufrag(pc); }

int brtc_pc_handle_datagram(brtc_pc *pc, const uint8_t *data, size_t len,
                            const struct sockaddr *from, uint64_t now_us) {
  if (!pc || (!data && len) || !from) return BRTC_ERR_INVALID;
  pc_touch(pc, now_us);
  if (pc->wire_packet_events) wire_event(pc, true, data, len, from);
  pc->stats.packets_in++;
  pc->stats.bytes_in += len;
  brtc_addr addr;
  if (!addr_from_sockaddr(from, &addr)) {
    pc->stats.dropped_unexpected++;
    return BRTC_ERR_INVALID;
  }
  int rc; /* from one of our STUN or TURN servers (pc_gather.c): even once closed, the
           * answer to the Refresh that deletes an allocation */
  if (pc_gather_datagram(pc, data, len, &addr, &rc)) {
    if (!pc->closed && !pc->failed) pc_send_after_input(pc);
    return rc;
  }
  if (pc->closed || pc->failed) {
    pc->stats.dropped_unexpected++;
    return BRTC_ERR_STATE;
  }
  rc = pc_transport_datagram(pc, data, len, &addr);
  pc_send_after_input(pc);
  return rc;
}

/* The next datagram to send; BRTC_ERR_AGAIN when none. */
static int poll_datagram(brtc_pc *pc, uint8_t *out, size_t cap, size_t *out_len,
                         struct sockaddr_storage *to, struct sockaddr_storage *from) {
  brtc_addr dest = pc->media_addr, source = pc->media_source;
  /* The gatherer's requests to its STUN and TURN servers (pc_gather.h) go as they are. */
  int rc = pc_gather_poll(pc, out, cap, out_len, &dest, &source);
  bool gathering = rc == BRTC_OK;
again:
  /* On close the RTCP BYE goes before DTLS close_notify, which ends the peer's transport. */
  if (rc == BRTC_ERR_AGAIN && pc->bye_pending && pc->have_media_addr)
    rc = pc_media_poll_rtcp(pc, out, cap, out_len);
  if (rc == BRTC_ERR_AGAIN) rc = pc_transport_poll(pc, out, cap, out_len, &dest, &source);
  if (rc == BRTC_ERR_AGAIN && pc->have_media_addr) {
    rc = pc_media_poll_rtcp(pc, out, cap, out_len);
    dest = pc->media_addr;
    source = pc->media_source;
  }
  if (rc == BRTC_ERR_AGAIN && pc->have_media_addr) rc = pc_send_poll(pc, out, cap, out_len);
  if (rc != BRTC_OK) return rc;
  /* From a relayed address: through its TURN allocation. One that cannot go is dropped. */
  if (!gathering && pc_gather_route(pc, out, cap, out_len, &dest, &source) != BRTC_OK) {
    pc->stats.dropped_unexpected++;
    dest = pc->media_addr;
    source = pc->media_source;
    rc = BRTC_ERR_AGAIN;
    goto again;
  }
  memset(to, 0, sizeof(*to));
  memcpy(to, &dest.u, brtc_addr_len(&dest));
  memset(from, 0, sizeof(*from));
  int family = brtc_addr_family(&source);
  if (family == AF_INET || family == AF_INET6) memcpy(from, &source.u, brtc_addr_len(&source));
  pc->stats.packets_out++;
  pc->stats.bytes_out += *out_len;
  return BRTC_OK;
}

static uint64_t next_deadline(const brtc_pc *pc) {
  uint64_t t = pc_transport_deadline(pc);
  uint64_t m = pc_media_deadline(pc);
  if (m < t) t = m;
  uint64_t s = pc_send_deadline(pc);
  if (s < t) t = s;
  uint64_t g = pc_gather_deadline(pc);
  if (g < t) t = g;
  uint64_t c = check_deadline(pc);
  return c < t ? c : t;
}

/* The first version's brtc_output: a caller compiled with it gets all it has room for. */
#define OUTPUT_V1_SIZE offsetof(brtc_output, source)
/* Up to source's family (8 bytes of it, for whole-word copies): all an output that is no
 * datagram says of it (AF_UNSPEC), so the 128 bytes of address are neither cleared nor copied
 * on every drain. */
#define OUTPUT_NO_SOURCE_SIZE (OUTPUT_V1_SIZE + sizeof(uint64_t))
/* What comes after source (members added since): copied whatever the output is. */
#define OUTPUT_TAIL offsetof(brtc_output, media_track)

/* Copies o's members past source that the caller's struct (size bytes) has room for. */
static void copy_tail(brtc_output *out, const brtc_output *o, size_t size) {
  size_t end = size < sizeof(*o) ? size : sizeof(*o);
  if (end > OUTPUT_TAIL) memcpy((char *)out + OUTPUT_TAIL, (const char *)o + OUTPUT_TAIL, end - OUTPUT_TAIL);
}

int brtc_pc_poll_output(brtc_pc *pc, uint8_t *buf, size_t cap, brtc_output *out) {
  if (!pc || !buf || !out || out->size < OUTPUT_V1_SIZE) return BRTC_ERR_INVALID;
  size_t size = out->size;
  brtc_output o;
  memset(&o, 0, OUTPUT_NO_SOURCE_SIZE);
  memset((char *)&o + OUTPUT_TAIL, 0, sizeof(o) - OUTPUT_TAIL);
  int rc = poll_datagram(pc, buf, cap, &o.len, &o.remote, &o.source);
  if (rc == BRTC_OK) {
    o.kind = BRTC_OUTPUT_TRANSMIT;
    o.data = buf;
    o.via = pc_gather_tx_via(pc);
    if (pc->wire_packet_events)
      wire_event(pc, false, buf, o.len, (const struct sockaddr *)&o.remote);
  } else if (rc != BRTC_ERR_AGAIN) {
    return rc;
  } else if (!pc_pop_event(pc, &o)) {
    memset(&o, 0, OUTPUT_NO_SOURCE_SIZE);
    memset((char *)&o + OUTPUT_TAIL, 0, sizeof(o) - OUTPUT_TAIL);
    o.kind = BRTC_OUTPUT_TIMEOUT;
    o.deadline_us = next_deadline(pc);
  }
  o.size = size;
  /* An older caller's struct ends earlier; a newer caller's tail is left alone. */
  if (o.kind == BRTC_OUTPUT_TRANSMIT) {
    memcpy(out, &o, size < sizeof(o) ? size : sizeof(o));
  } else if (size >= OUTPUT_NO_SOURCE_SIZE) { /* fixed sizes: the copies stay inline */
    o.source.ss_family = AF_UNSPEC;
    memcpy(out, &o, OUTPUT_NO_SOURCE_SIZE);
    copy_tail(out, &o, size);
  } else {
    memcpy(out, &o, OUTPUT_V1_SIZE);
  }
  return BRTC_OK;
}

int brtc_pc_handle_timeout(brtc_pc *pc, uint64_t now_us) {
  if (!pc) return BRTC_ERR_INVALID;
  pc_touch(pc, now_us);
  /* Timers are rare next to packets (a report a second when idle): the moment to give back
   * what the event queue holds, so an idle session costs what it did before the queue. */
  pc_events_trim(pc);
  if (check_deadline(pc) <= pc->now_us) {
    char reason[96];
    snprintf(reason, sizeof(reason), "ICE: no connectivity check from the peer within %llu ms",
             (unsigned long long)(pc->ice_check_timeout_us / 1000));
    pc_fail(pc, reason);
  }
  pc_gather_timeout(pc);
  pc_transport_timeout(pc);
  pc_media_timeout(pc);
  pc_send_after_input(pc);
  return BRTC_OK;
}

bool brtc_pc_owns_address(const brtc_pc *pc, const struct sockaddr *addr) {
  brtc_addr a;
  return pc && addr && addr_from_sockaddr(addr, &a) && pc_ice_valid_remote(pc, &a);
}

bool brtc_pc_consent_holds(const brtc_pc *pc, const struct sockaddr *addr, uint64_t now_us) {
  brtc_addr a;
  return pc && addr && !pc->closed && !pc->failed && addr_from_sockaddr(addr, &a) &&
         pc_ice_consent_holds(pc, &a, now_us);
}

int brtc_pc_request_keyframe(brtc_pc *pc, uint64_t now_us) {
  if (!pc) return BRTC_ERR_INVALID;
  pc_touch(pc, now_us);
  if (pc->closed || pc->failed) return BRTC_ERR_STATE;
  if (!pc->any_video) return BRTC_ERR_STATE;
  bool can_ask = false;
  for (size_t i = 0; i < pc->n_tracks; i++)
    can_ask = can_ask || (pc->tracks[i]->video && (pc->tracks[i]->fb_pli || pc->tracks[i]->fb_fir));
  if (!can_ask) return BRTC_ERR_UNSUPPORTED; /* the offer allows neither */
  pc_media_want_pli(pc, true);
  return BRTC_OK;
}

void brtc_pc_close(brtc_pc *pc, uint64_t now_us) {
  if (!pc || pc->closed) return;
  pc_touch(pc, now_us);
  pc->closed = true;
  pc_media_cancel_requests(pc);
  if (pc->srtp_out && pc->have_media_addr && !pc->failed) pc->bye_pending = true;
  pc_data_end(pc, !pc->failed);
  pc_transport_close(pc);
  pc_gather_close(pc); /* TURN allocations deleted (RFC 8656 7.3: a Refresh of lifetime 0) */
  pc_emit_step(pc, BRTC_STEP_CLOSED, "closed locally");
}

bool brtc_pc_is_closed(const brtc_pc *pc) { return !pc || pc->closed || pc->failed; }

uint64_t brtc_pc_step_time(const brtc_pc *pc, brtc_pc_step step) {
  if (!pc || (unsigned)step >= PC_STEP_COUNT) return 0;
  return pc->step_at_us[step];
}

/* Copies what the caller's struct has room for: it was compiled with its own sizeof. */
#define COPY_SIZED(out, full)                                                          \
  do {                                                                                 \
    size_t size_ = (out)->size < sizeof(full) ? (out)->size : sizeof(full);            \
    (full).size = (out)->size;                                                         \
    memcpy((out), &(full), size_);                                                     \
  } while (0)

/* The first version's size: a caller's struct may be newer and larger, never smaller. */
#define STATS_V1_SIZE (offsetof(brtc_pc_stats, events_dropped) + sizeof(uint64_t))
#define TRACK_STATS_V1_SIZE (offsetof(brtc_pc_track_stats, max_bitrate_bps) + sizeof(uint32_t))

static void fill_stats(const brtc_pc *pc, brtc_pc_stats *out);

int brtc_pc_get_stats(const brtc_pc *pc, brtc_pc_stats *out) {
  if (!pc || !out || out->size < STATS_V1_SIZE) return BRTC_ERR_INVALID;
  brtc_pc_stats full = {.size = sizeof(brtc_pc_stats)};
  fill_stats(pc, &full);
  COPY_SIZED(out, full);
  return BRTC_OK;
}

static void fill_stats(const brtc_pc *pc, brtc_pc_stats *out) {
  *out = pc->stats;
  for (size_t i = 0; i < pc->n_tracks; i++) {
    const pc_track *t = pc->tracks[i];
    if (t->vp8) {
      const brtc_vp8_assembler_stats *vs = brtc_vp8_assembler_get_stats(t->vp8);
      out->frames_dropped += vs->frames_dropped;
      out->keyframes_dropped += vs->keyframes_dropped;
      out->frames_dropped_unknown += vs->frames_dropped_unknown;
      out->frames_dropped_too_big += vs->frames_too_big;
    }
    /* H.264's units given up count as VP8's frames do (their type is not told apart). */
    if (t->h264_asm) out->frames_dropped += brtc_h264_assembler_get_stats(t->h264_asm)->frames_dropped;
    if (!t->video) continue;
    out->nack_seqs_asked += t->nack.stats.seqs_asked;
    out->nack_given_up += t->nack.stats.given_up;
    out->rtp_reordered += t->nack.stats.reordered;
    out->rtp_recovered += t->nack.stats.recovered;
  }
  out->rtt_us = pc->rtt_us;
  for (size_t i = 0; i < pc->n_tracks; i++) {
    const pc_track *t = pc->tracks[i];
    if (!t->stream.active) continue;
    int64_t lost = brtc_rtp_stats_lost(&t->stream.stats);
    if (t->video) out->video_lost += lost;
    else out->audio_lost += lost;
  }
  brtc_addr sel;
  if (pc_ice_selected_remote(pc, &sel))
    brtc_addr_str(&sel, out->selected_remote, sizeof(out->selected_remote));
}

size_t brtc_pc_track_count(const brtc_pc *pc) { return pc ? pc->n_tracks : 0; }

/* RFC 3550 A.3: expected from the extended highest sequence number, less what arrived. */
static uint64_t stream_lost(const pc_stream *st) {
  if (!st->active) return 0;
  int64_t lost = brtc_rtp_stats_lost(&st->stats);
  return lost > 0 ? (uint64_t)lost : 0;
}

int brtc_pc_get_track_stats(const brtc_pc *pc, size_t index, brtc_pc_track_stats *caller) {
  if (!pc || !caller || caller->size < TRACK_STATS_V1_SIZE || index >= pc->n_tracks)
    return BRTC_ERR_INVALID;
  const pc_track *t = pc->tracks[index];
  brtc_pc_track_stats full, *out = &full;
  memset(out, 0, sizeof(*out));
  snprintf(out->mid, sizeof(out->mid), "%s", t->mid);
  out->kind = t->video ? "video" : "audio";
  out->codec = t->video ? (t->h264 ? "H264" : "VP8") : "opus";
  out->ssrc = t->stream.active ? t->stream.ssrc : 0;
  out->packets = t->packets;
  out->bytes = t->bytes;
  out->frames = t->frames;
  out->keyframes = t->keyframes;
  out->lost = stream_lost(&t->stream);
  out->width = t->width;
  out->height = t->height;
  out->max_bitrate_bps = t->video ? t->max_bps : 0;
  if (t->vp8) out->frames_dropped = brtc_vp8_assembler_get_stats(t->vp8)->frames_dropped;
  if (t->h264_asm)
    out->frames_dropped = brtc_h264_assembler_get_stats(t->h264_asm)->frames_dropped;
  COPY_SIZED(caller, full);
  return BRTC_OK;
}
