/* brtc_pc_get_stats_report (include/boltrtc/stats.h): the pc's counters under W3C
 * webrtc-stats' types and member names (https://www.w3.org/TR/webrtc-stats/): the one
 * transport (BUNDLE, RFC 8843) with its candidate pairs and candidates, inbound-rtp for each
 * received track, outbound-rtp for each sending one and remote-inbound-rtp from the peer's
 * report blocks (RFC 3550 6.4.1), the codecs they name, and the data channels
 * (pc_stats_data.c). Nothing is counted here: every value comes from the layer that counts
 * it. Times are seconds, as the W3C has them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/stats.h"
#include "pc/pc_internal.h"
#include "pc/pc_send.h"
#include "pc/pc_stats.h"
#include "pc/stats_report.h"

#define TRANSPORT_ID "T01"

static double seconds(uint64_t us) { return (double)us / 1e6; }

/* RTCDtlsTransportState. */
static const char *dtls_state(const brtc_pc *pc) {
  if (pc->failed) return "failed";
  if (pc->closed) return "closed";
  if (pc->steps_done[BRTC_STEP_DTLS_CONNECTED]) return "connected";
  return pc->dtls_started ? "connecting" : "new";
}

static void candidate_id(char *out, size_t cap, bool local, brtc_ice_cand_type type,
                         const brtc_addr *a) {
  char text[BRTC_ADDR_STRLEN + 8];
  brtc_addr_str(a, text, sizeof text);
  snprintf(out, cap, "%s-%s-%s", local ? "LC" : "RC", brtc_ice_cand_type_name(type), text);
}

static void add_candidate(brtc_stats_report *r, const char *id, bool local,
                          brtc_ice_cand_type type, const brtc_addr *a) {
  if (brtc_stats_find_id(r, id) != SIZE_MAX) return; /* several pairs share a candidate */
  char ip[BRTC_ADDR_STRLEN];
  brtc_addr_ip_str(a, ip, sizeof ip);
  brtc_stats_begin(r, local ? "local-candidate" : "remote-candidate", "%s", id);
  brtc_stats_string(r, "transportId", TRANSPORT_ID);
  brtc_stats_string(r, "address", ip);
  brtc_stats_u64(r, "port", brtc_addr_port(a));
  brtc_stats_string(r, "protocol", "udp");
  brtc_stats_string(r, "candidateType", brtc_ice_cand_type_name(type));
}

static bool same_pair(const brtc_ice_pair_info *a, const brtc_ice_pair_info *b) {
  return brtc_addr_equal(&a->local, &b->local) && brtc_addr_equal(&a->remote, &b->remote);
}

static void pair_id(char *out, size_t cap, const brtc_ice_pair_info *p) {
  char lid[96], rid[96];
  candidate_id(lid, sizeof lid, true, p->local_type, &p->local);
  candidate_id(rid, sizeof rid, false, p->remote_type, &p->remote);
  snprintf(out, cap, "CP-%s-%s", lid + 3, rid + 3);
}

/* The candidate pairs (RTCIceCandidatePairStats) and their candidates. All media goes over
 * the selected pair, so its bytes and packets are the transport's. */
static void add_pairs(const brtc_pc *pc, brtc_stats_report *r) {
  if (!pc->ice) return;
  brtc_ice_pair_info sel;
  bool have_sel = brtc_ice_transport_selected(pc->ice, &sel);
  size_t n = brtc_ice_transport_pair_count(pc->ice);
  for (size_t i = 0; i < n; i++) {
    brtc_ice_pair_info p;
    if (!brtc_ice_transport_pair(pc->ice, i, &p)) continue;
    char lid[96], rid[96];
    candidate_id(lid, sizeof lid, true, p.local_type, &p.local);
    candidate_id(rid, sizeof rid, false, p.remote_type, &p.remote);
    add_candidate(r, lid, true, p.local_type, &p.local);
    add_candidate(r, rid, false, p.remote_type, &p.remote);
    char id[200];
    pair_id(id, sizeof id, &p);
    brtc_stats_begin(r, "candidate-pair", "%s", id);
    brtc_stats_string(r, "transportId", TRANSPORT_ID);
    brtc_stats_string(r, "localCandidateId", lid);
    brtc_stats_string(r, "remoteCandidateId", rid);
    brtc_stats_string(r, "state", brtc_ice_pair_state_name(p.state));
    brtc_stats_bool(r, "nominated", p.nominated);
    brtc_stats_u64(r, "priority", p.priority);
    brtc_stats_u64(r, "requestsSent", p.requests_sent);
    brtc_stats_u64(r, "requestsReceived", p.requests_received);
    brtc_stats_u64(r, "responsesSent", p.responses_sent);
    brtc_stats_u64(r, "responsesReceived", p.responses_received);
    if (p.rtt_us) brtc_stats_double(r, "currentRoundTripTime", seconds(p.rtt_us));
    if (have_sel && same_pair(&p, &sel)) {
      brtc_stats_u64(r, "packetsSent", pc->stats.packets_out);
      brtc_stats_u64(r, "packetsReceived", pc->stats.packets_in);
      brtc_stats_u64(r, "bytesSent", pc->stats.bytes_out);
      brtc_stats_u64(r, "bytesReceived", pc->stats.bytes_in);
    }
  }
}

static void add_transport(const brtc_pc *pc, brtc_stats_report *r) {
  brtc_stats_begin(r, "transport", TRANSPORT_ID);
  brtc_stats_u64(r, "packetsSent", pc->stats.packets_out);
  brtc_stats_u64(r, "packetsReceived", pc->stats.packets_in);
  brtc_stats_u64(r, "bytesSent", pc->stats.bytes_out);
  brtc_stats_u64(r, "bytesReceived", pc->stats.bytes_in);
  if (pc->ice) {
    brtc_stats_string(r, "iceRole",
                      brtc_ice_transport_is_controlling(pc->ice) ? "controlling" : "controlled");
    brtc_stats_string(r, "iceLocalUsernameFragment", pc_ice_local_ufrag(pc));
    brtc_stats_string(r, "iceState",
                      brtc_ice_conn_state_name(brtc_ice_transport_get_state(pc->ice)));
  }
  brtc_stats_string(r, "dtlsState", dtls_state(pc));
  if (pc->dtls_started) brtc_stats_string(r, "dtlsRole", pc->dtls_client ? "client" : "server");
  if (pc->stats.dtls_cipher[0]) brtc_stats_string(r, "dtlsCipher", pc->stats.dtls_cipher);
  if (pc->stats.srtp_profile[0]) brtc_stats_string(r, "srtpCipher", pc->stats.srtp_profile);
  brtc_ice_pair_info sel;
  if (pc->ice && brtc_ice_transport_selected(pc->ice, &sel)) {
    char id[200];
    pair_id(id, sizeof id, &sel);
    brtc_stats_string(r, "selectedCandidatePairId", id);
  }
}

/* An RTCCodecStats, once per payload type and codec; its id in out. */
static void add_codec(brtc_stats_report *r, const char *mime, int pt, uint32_t clock,
                      unsigned channels, char *out, size_t cap) {
  snprintf(out, cap, "CO-%d-%s", pt, mime);
  if (brtc_stats_find_id(r, out) != SIZE_MAX) return;
  brtc_stats_begin(r, "codec", "%s", out);
  brtc_stats_string(r, "transportId", TRANSPORT_ID);
  brtc_stats_u64(r, "payloadType", (uint64_t)pt);
  brtc_stats_string(r, "mimeType", mime);
  brtc_stats_u64(r, "clockRate", clock);
  if (channels) brtc_stats_u64(r, "channels", channels);
}

static void add_inbound(const brtc_pc *pc, brtc_stats_report *r) {
  for (size_t i = 0; i < pc->n_tracks; i++) {
    const pc_track *t = pc->tracks[i];
    if (!t->stream.active) continue; /* W3C: it exists once its first packet came */
    char codec[64];
    const char *mime = !t->video ? "audio/opus" : t->h264 ? "video/H264" : "video/VP8";
    add_codec(r, mime, t->pt, t->clock, t->video ? 0 : 2, codec, sizeof codec);
    const brtc_rtp_receiver_stats *s = &t->stream.stats;
    brtc_stats_begin(r, "inbound-rtp", "IT-%u", (unsigned)t->stream.ssrc);
    brtc_stats_u64(r, "ssrc", t->stream.ssrc);
    brtc_stats_string(r, "kind", t->video ? "video" : "audio");
    brtc_stats_string(r, "transportId", TRANSPORT_ID);
    brtc_stats_string(r, "codecId", codec);
    brtc_stats_string(r, "mid", t->mid);
    brtc_stats_u64(r, "packetsReceived", t->packets);
    brtc_stats_u64(r, "bytesReceived", t->bytes);
    brtc_stats_i64(r, "packetsLost", brtc_rtp_stats_lost(s));
    brtc_stats_double(r, "jitter", t->clock ? s->jitter / (double)t->clock : 0.0);
    if (!t->video) continue;
    brtc_stats_u64(r, "framesReceived", t->frames);
    if (t->width) {
      brtc_stats_u64(r, "frameWidth", t->width);
      brtc_stats_u64(r, "frameHeight", t->height);
    }
    if (t->vp8) brtc_stats_u64(r, "framesDropped",
                               brtc_vp8_assembler_get_stats(t->vp8)->frames_dropped);
    if (t->h264_asm) brtc_stats_u64(r, "framesDropped",
                                    brtc_h264_assembler_get_stats(t->h264_asm)->frames_dropped);
    brtc_stats_u64(r, "nackCount", t->nack.stats.messages_built);
  }
}

static void add_outbound(const brtc_pc *pc, brtc_stats_report *r) {
  for (size_t i = 0; pc->send && i < pc->send->n; i++) {
    const brtc_track *t = pc->send->tracks[i];
    if (!t->stream) continue; /* no section sends it */
    brtc_track_send_stats s = {.size = sizeof s};
    if (brtc_track_get_send_stats(t, &s) != BRTC_OK) continue;
    char codec[64], mime[32];
    snprintf(mime, sizeof mime, "%s/%s", t->video ? "video" : "audio", s.codec);
    uint32_t clock = t->video ? 90000 : 48000;
    add_codec(r, mime, t->pt, clock, t->video ? 0 : 2, codec, sizeof codec);
    const brtc_sender_report_stats *rr = brtc_send_stream_report_stats(t->stream);
    const brtc_rtt_stats *rtt = brtc_send_stream_rtt(t->stream);
    char remote_id[32];
    snprintf(remote_id, sizeof remote_id, "RI-%u", (unsigned)t->ssrc);
    brtc_stats_begin(r, "outbound-rtp", "OT-%u", (unsigned)t->ssrc);
    brtc_stats_u64(r, "ssrc", t->ssrc);
    brtc_stats_string(r, "kind", t->video ? "video" : "audio");
    brtc_stats_string(r, "transportId", TRANSPORT_ID);
    brtc_stats_string(r, "codecId", codec);
    brtc_stats_string(r, "mid", t->mid);
    brtc_stats_bool(r, "active", t->current == BRTC_DIRECTION_SENDRECV ||
                                 t->current == BRTC_DIRECTION_SENDONLY);
    if (s.rtx_ssrc) brtc_stats_u64(r, "rtxSsrc", s.rtx_ssrc);
    brtc_stats_u64(r, "packetsSent", s.packets_sent);
    brtc_stats_u64(r, "bytesSent", s.bytes_sent);
    brtc_stats_u64(r, "headerBytesSent", s.header_bytes_sent);
    brtc_stats_u64(r, "retransmittedPacketsSent", s.retransmitted_packets_sent);
    brtc_stats_u64(r, "retransmittedBytesSent", s.retransmitted_bytes_sent);
    brtc_stats_u64(r, "nackCount", s.nack_count);
    if (t->video) {
      brtc_stats_u64(r, "framesSent", s.frames_sent);
      /* The owner encodes; what it handed us as keyframes went out as such. */
      brtc_stats_u64(r, "keyFramesEncoded", s.key_frames_sent);
      brtc_stats_u64(r, "pliCount", s.pli_count);
      brtc_stats_u64(r, "firCount", s.fir_count);
    }
    if (!rr->blocks_received) continue;
    brtc_stats_string(r, "remoteId", remote_id);
    /* RTCRemoteInboundRtpStreamStats: what the peer's report blocks about our SSRC say. */
    brtc_stats_begin(r, "remote-inbound-rtp", "%s", remote_id);
    brtc_stats_u64(r, "ssrc", t->ssrc);
    brtc_stats_string(r, "kind", t->video ? "video" : "audio");
    brtc_stats_string(r, "transportId", TRANSPORT_ID);
    brtc_stats_string(r, "codecId", codec);
    snprintf(remote_id, sizeof remote_id, "OT-%u", (unsigned)t->ssrc);
    brtc_stats_string(r, "localId", remote_id);
    brtc_stats_i64(r, "packetsLost", rr->cumulative_lost);
    brtc_stats_double(r, "fractionLost", rr->fraction_lost / 256.0);
    brtc_stats_double(r, "jitter", rr->jitter / (double)clock);
    brtc_stats_u64(r, "reportsReceived", rr->blocks_received);
    if (rtt->samples) {
      brtc_stats_double(r, "roundTripTime", seconds(rtt->last_us));
      brtc_stats_double(r, "totalRoundTripTime", seconds(rtt->total_us));
      brtc_stats_u64(r, "roundTripTimeMeasurements", rtt->samples);
    }
  }
}

int brtc_pc_get_stats_report(const brtc_pc *pc, uint64_t now_us, brtc_stats_report **out) {
  if (out) *out = NULL;
  if (!pc || !out) return BRTC_ERR_INVALID;
  brtc_stats_report *r = brtc_stats_report_new(now_us);
  if (!r) return BRTC_ERR_NOMEM;
  add_transport(pc, r);
  add_pairs(pc, r);
  add_inbound(pc, r);
  add_outbound(pc, r);
  pc_stats_add_data(pc, r);
  if (brtc_stats_report_failed(r)) {
    brtc_stats_free(r);
    return BRTC_ERR_NOMEM;
  }
  *out = r;
  return BRTC_OK;
}
