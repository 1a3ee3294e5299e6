/* SDP answer writer (RFC 8829 JSEP, RFC 8843 BUNDLE): one answer m= section per offered
 * one, in order. We accept VP8 (else H.264) video and Opus audio on a single bundled
 * ICE/DTLS transport; everything else is rejected with port 0. */
#include "sdp/sdp.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "boltrtc/error.h"
#include "common/random.h"
#include "sdp/sdp_write.h"

#define EXT_MID "urn:ietf:params:rtp-hdrext:sdes:mid"
#define EXT_ABS_SEND_TIME "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
#define EXT_TRANSPORT_CC "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
#define STREAM_ID "boltrtc"
#define VIDEO_TRACK_ID "boltrtc-video"

static bool in_bundle(const brtc_sdp *offer, const char *mid) {
  for (size_t i = 0; i < offer->n_bundle_mids; i++)
    if (strcmp(offer->bundle_mids[i], mid) == 0) return true;
  return false;
}

static const brtc_sdp_codec *find_vp8(const brtc_sdp_media *m) {
  for (size_t i = 0; i < m->n_codecs; i++)
    if (strcasecmp(m->codecs[i].name, "VP8") == 0 && m->codecs[i].clock_rate == 90000)
      return &m->codecs[i];
  return NULL;
}

static const brtc_sdp_codec *find_rtx(const brtc_sdp_media *m, uint8_t apt) {
  for (size_t i = 0; i < m->n_codecs; i++)
    if (strcasecmp(m->codecs[i].name, "rtx") == 0 && m->codecs[i].apt == apt)
      return &m->codecs[i];
  return NULL;
}

static const brtc_sdp_codec *find_opus(const brtc_sdp_media *m) {
  for (size_t i = 0; i < m->n_codecs; i++)
    if (strcasecmp(m->codecs[i].name, "opus") == 0 && m->codecs[i].clock_rate == 48000 &&
        m->codecs[i].channels == 2)
      return &m->codecs[i];
  return NULL;
}

/* RFC 6184 packetization-mode 1 (what our packetizer makes), preferring constrained baseline
 * (42e01f), which every WebRTC decoder takes; the profile asked is echoed (RFC 6184 8.2.2). */
static const brtc_sdp_codec *find_h264(const brtc_sdp_media *m) {
  const brtc_sdp_codec *best = NULL;
  for (size_t i = 0; i < m->n_codecs; i++) {
    const brtc_sdp_codec *c = &m->codecs[i];
    if (strcasecmp(c->name, "H264") != 0 || c->clock_rate != 90000 ||
        !strstr(c->fmtp, "packetization-mode=1"))
      continue;
    if (strcasestr(c->fmtp, "profile-level-id=42e01f")) return c;
    if (!best) best = c;
  }
  return best;
}

/* The offered format a send track's codec takes in this section, NULL if not offered. */
static const brtc_sdp_codec *find_send_codec(const brtc_sdp_media *m, const char *codec) {
  if (!codec) return NULL;
  if (strcasecmp(codec, "VP8") == 0) return find_vp8(m);
  if (strcasecmp(codec, "H264") == 0) return find_h264(m);
  if (strcasecmp(codec, "opus") == 0) return find_opus(m);
  return NULL;
}

static uint8_t find_ext(const brtc_sdp_media *m, const char *uri) {
  for (size_t i = 0; i < m->n_extmaps; i++)
    if (strcmp(m->extmaps[i].uri, uri) == 0) return m->extmaps[i].id;
  return 0;
}

static bool is_rtp_savpf(const char *proto) {
  return strcmp(proto, "UDP/TLS/RTP/SAVPF") == 0 || strcmp(proto, "RTP/SAVPF") == 0;
}

/* The pre-RFC 8841 form that aiortc 1.4 still offers: "DTLS/SCTP <sctp port>" and
 * a=sctpmap:<sctp port> webrtc-datachannel (draft-ietf-mmusic-sctp-sdp-05 4). Answered in
 * the same form (RFC 3264 6: the answer keeps the offer's transport). */
static bool is_legacy_data_section(const brtc_sdp_media *m) {
  char port[8];
  snprintf(port, sizeof port, "%u", (unsigned)m->sctpmap_port);
  return m->kind == BRTC_MEDIA_APPLICATION && strcmp(m->proto, "DTLS/SCTP") == 0 &&
         m->sctpmap_datachannel && strcmp(m->first_fmt, port) == 0;
}

/* RFC 8841 4.1: SCTP over DTLS over UDP (or TCP through a TURN relay, which looks the same to
 * us); format "webrtc-datachannel" (RFC 8841 4.2). */
static bool is_data_section(const brtc_sdp_media *m) {
  if (is_legacy_data_section(m)) return true;
  return m->kind == BRTC_MEDIA_APPLICATION &&
         (strcmp(m->proto, "UDP/DTLS/SCTP") == 0 || strcmp(m->proto, "TCP/DTLS/SCTP") == 0) &&
         strcmp(m->first_fmt, "webrtc-datachannel") == 0;
}

/* Why a data section is refused before BUNDLE and transport checks; NULL when acceptable. */
static const char *data_refusal(const brtc_sdp_media *m, const brtc_sdp_answer_params *p,
                                bool have_data) {
  if (!p->accept_data) return "data channels are not enabled";
  if (!is_data_section(m)) return "not UDP/DTLS/SCTP webrtc-datachannel";
  if (have_data) return "one data section per session";
  return NULL;
}

/* Picks the codec for one offered section; on refusal says why in reason. */
static bool choose_codec(const brtc_sdp_media *m, const brtc_sdp_answer_params *p,
                         brtc_sdp_negotiated *n, char *reason, size_t reason_cap) {
  const brtc_sdp_codec *c = NULL;
  if (m->kind == BRTC_MEDIA_VIDEO) {
    if (!p->accept_video) {
      snprintf(reason, reason_cap, "video not wanted");
      return false;
    }
    /* VP8 first; H.264 (packetization-mode 1, RFC 6184) for a sender that has only that,
     * such as a hardware encoder. */
    c = find_vp8(m);
    if (!c) c = find_h264(m);
    if (!c) {
      snprintf(reason, reason_cap, "neither VP8/90000 nor H264/90000 packetization-mode=1 "
               "offered");
      return false;
    }
    const brtc_sdp_codec *rtx = find_rtx(m, c->payload_type);
    n->rtx_payload_type = rtx ? rtx->payload_type : -1;
  } else if (m->kind == BRTC_MEDIA_AUDIO) {
    if (!p->accept_audio) {
      snprintf(reason, reason_cap, "audio not wanted");
      return false;
    }
    c = find_opus(m);
    if (!c) {
      snprintf(reason, reason_cap, "no opus/48000/2 offered");
      return false;
    }
  } else {
    snprintf(reason, reason_cap, "%s sections are not supported", m->kind_text);
    return false;
  }
  n->payload_type = c->payload_type;
  snprintf(n->codec, sizeof n->codec, "%s", c->name);
  n->clock_rate = c->clock_rate;
  return true;
}

/* A send track was negotiated on this mid before (it stays there). */
static bool pinned(const brtc_sdp_answer_params *p, const char *mid) {
  for (size_t i = 0; i < p->n_send_tracks && i < BRTC_SDP_MAX_MEDIA; i++)
    if (p->send_tracks[i].mid && strcmp(p->send_tracks[i].mid, mid) == 0) return true;
  return false;
}

/* The first send track not yet placed whose kind and codec this section offers to receive
 * (JSEP 5.3.1: a track goes to a compatible transceiver); sets n's codec. A track placed on
 * a section before stays on it, in a later offer. */
static bool choose_send_track(const brtc_sdp_media *m, const brtc_sdp_answer_params *p,
                              bool *taken, brtc_sdp_negotiated *n) {
  bool offer_receives = m->direction == BRTC_DIR_SENDRECV || m->direction == BRTC_DIR_RECVONLY;
  if (!offer_receives) return false;
  for (size_t i = 0; i < p->n_send_tracks && i < BRTC_SDP_MAX_MEDIA; i++) {
    const brtc_sdp_send_track *t = &p->send_tracks[i];
    if (taken[i] || t->kind != m->kind) continue;
    bool placed = t->mid && t->mid[0];
    if (placed ? strcmp(t->mid, m->mid) != 0 : pinned(p, m->mid)) continue;
    const brtc_sdp_codec *c = find_send_codec(m, t->codec);
    if (!c) continue;
    taken[i] = true;
    n->send_track = (int)i;
    n->payload_type = c->payload_type;
    snprintf(n->codec, sizeof n->codec, "%s", c->name);
    n->clock_rate = c->clock_rate;
    const brtc_sdp_codec *rtx = m->kind == BRTC_MEDIA_VIDEO ? find_rtx(m, c->payload_type) : NULL;
    n->rtx_payload_type = rtx ? rtx->payload_type : -1;
    return true;
  }
  return false;
}

/* Decides acceptance of each offered section (fills neg); reason says why the last refusal. */
static size_t decide(const brtc_sdp *offer, const brtc_sdp_answer_params *p,
                     brtc_sdp_negotiated *neg, char *reason, size_t reason_cap) {
  size_t accepted = 0;
  bool have_data = false;
  bool taken[BRTC_SDP_MAX_MEDIA] = {false}; /* send tracks given a section */
  for (size_t i = 0; i < offer->n_media; i++) {
    const brtc_sdp_media *m = &offer->media[i];
    brtc_sdp_negotiated *n = &neg[i];
    memset(n, 0, sizeof *n);
    n->payload_type = -1;
    n->rtx_payload_type = -1;
    n->send_track = -1;
    n->kind = m->kind;
    snprintf(n->mid, sizeof n->mid, "%s", m->mid);
    char why[96];
    /* RFC 8843 7.3.3: port 0 with a=bundle-only is a section that shares the BUNDLE
     * transport (max-bundle, Firefox and webrtcbin), not a rejected one. */
    bool bundle_only = m->bundle_only && m->mid[0] && in_bundle(offer, m->mid);
    const char *data_why = m->kind == BRTC_MEDIA_APPLICATION
                               ? data_refusal(m, p, have_data) : NULL;
    if (m->port == 0 && !bundle_only) {
      snprintf(why, sizeof why, "offered with port 0");
    } else if (m->kind == BRTC_MEDIA_APPLICATION && data_why) {
      snprintf(why, sizeof why, "%s", data_why);
    } else if (m->kind == BRTC_MEDIA_APPLICATION && !m->mid[0]) {
      snprintf(why, sizeof why, "no a=mid");
    } else if (m->kind == BRTC_MEDIA_APPLICATION && offer->n_bundle_mids > 0 &&
               !in_bundle(offer, m->mid)) {
      snprintf(why, sizeof why, "not in the BUNDLE group");
    } else if (m->kind == BRTC_MEDIA_APPLICATION && offer->n_bundle_mids == 0 && accepted > 0) {
      snprintf(why, sizeof why, "no BUNDLE group offered, one transport only");
    } else if (m->kind == BRTC_MEDIA_APPLICATION) {
      n->accepted = true; /* RFC 8841: no codec, no rtcp-mux */
      have_data = true;
      accepted++;
      continue;
    } else if (!is_rtp_savpf(m->proto)) {
      snprintf(why, sizeof why, "protocol %s not supported", m->proto);
    } else if (!m->mid[0]) {
      snprintf(why, sizeof why, "no a=mid");
    } else if (!m->rtcp_mux) {
      snprintf(why, sizeof why, "no a=rtcp-mux");
    } else if (offer->n_bundle_mids > 0 && !in_bundle(offer, m->mid)) {
      snprintf(why, sizeof why, "not in the BUNDLE group");
    } else if (offer->n_bundle_mids == 0 && accepted > 0) {
      snprintf(why, sizeof why, "no BUNDLE group offered, one transport only");
    } else if (choose_send_track(m, p, taken, n) || choose_codec(m, p, n, why, sizeof why)) {
      n->accepted = true;
      n->ext_mid = find_ext(m, EXT_MID);
      n->ext_abs_send_time = find_ext(m, EXT_ABS_SEND_TIME);
      n->ext_transport_cc = p->transport_cc ? find_ext(m, EXT_TRANSPORT_CC) : 0;
      accepted++;
      continue;
    }
    n->payload_type = -1;
    n->rtx_payload_type = -1;
    snprintf(reason, reason_cap, "m-section %zu (%s, mid %s): %s", i, m->kind_text,
             m->mid[0] ? m->mid : "none", why);
  }
  return accepted;
}

/* Every accepted section must carry what ICE and DTLS need, and a setup role we can meet. */
static int check_transport(const brtc_sdp *offer, const brtc_sdp_media *m,
                           const brtc_sdp_answer_params *p, char *err, size_t err_cap) {
  const char *hash = NULL;
  const char *fp = brtc_sdp_fingerprint(offer, m, &hash);
  if (!brtc_sdp_ice_ufrag(offer, m)[0]) {
    set_err(err, err_cap, "mid %s: offer has no a=ice-ufrag", m->mid);
    return BRTC_ERR_PARSE;
  }
  if (!brtc_sdp_ice_pwd(offer, m)[0]) {
    set_err(err, err_cap, "mid %s: offer has no a=ice-pwd", m->mid);
    return BRTC_ERR_PARSE;
  }
  if (!fp[0]) {
    set_err(err, err_cap, "mid %s: offer has no a=fingerprint", m->mid);
    return BRTC_ERR_PARSE;
  }
  if (strcmp(hash, "sha-256") != 0) {
    set_err(err, err_cap, "mid %s: offer fingerprint uses %s, sha-256 needed", m->mid, hash);
    return BRTC_ERR_UNSUPPORTED;
  }
  brtc_sdp_setup setup = brtc_sdp_setup_of(offer, m);
  if (setup == BRTC_SETUP_NONE) {
    set_err(err, err_cap, "mid %s: offer has no a=setup", m->mid);
    return BRTC_ERR_PARSE;
  }
  if ((setup == BRTC_SETUP_ACTIVE && p->setup != BRTC_SETUP_PASSIVE) ||
      (setup == BRTC_SETUP_PASSIVE && p->setup != BRTC_SETUP_ACTIVE)) {
    set_err(err, err_cap, "mid %s: offer is setup:%s, we are setup:%s", m->mid,
            setup == BRTC_SETUP_ACTIVE ? "active" : "passive",
            p->setup == BRTC_SETUP_ACTIVE ? "active" : "passive");
    return BRTC_ERR_UNSUPPORTED;
  }
  return BRTC_OK;
}

static const char *answer_direction(const brtc_sdp_media *m, const brtc_sdp_answer_params *p,
                                    const brtc_sdp_negotiated *n) {
  bool offer_sends = m->direction == BRTC_DIR_SENDRECV || m->direction == BRTC_DIR_SENDONLY;
  bool offer_receives = m->direction == BRTC_DIR_SENDRECV || m->direction == BRTC_DIR_RECVONLY;
  bool we_send = m->kind == BRTC_MEDIA_VIDEO && p->send_video && offer_receives;
  if (n->send_track >= 0) {
    we_send = true; /* placed only where the offer receives */
    if (!p->send_tracks[n->send_track].recv) offer_sends = false; /* we do not receive */
  }
  if (offer_sends && we_send) return "sendrecv";
  if (offer_sends) return "recvonly";
  if (we_send) return "sendonly";
  return "inactive";
}

/* The shared transport's attributes (RFC 8843 7.1.3 puts them in the tagged section; strict
 * peers such as webrtcbin 1.22 want a=fingerprint in every section, rejected ones too). */
static void write_transport(writer *w, const brtc_sdp_answer_params *p) {
  line(w, "a=ice-ufrag:%s", p->ice_ufrag);
  line(w, "a=ice-pwd:%s", p->ice_pwd);
  line(w, "a=fingerprint:sha-256 %s", p->fingerprint_sha256);
  line(w, "a=setup:%s", p->setup == BRTC_SETUP_ACTIVE ? "active" : "passive");
}

/* RFC 8829 5.3.1 and RFC 8843 7.3.2: port 0, no a=bundle-only, not in the answer's group. */
static void write_rejected(writer *w, const brtc_sdp_media *m, const brtc_sdp_answer_params *p) {
  line(w, "m=%s 0 %s %s", m->kind_text, m->proto, m->first_fmt[0] ? m->first_fmt : "0");
  line(w, "c=IN IP4 0.0.0.0");
  write_transport(w, p);
  if (m->mid[0]) line(w, "a=mid:%s", m->mid);
}

static void write_candidates(writer *w, const brtc_sdp_answer_params *p) {
  static const char prefix[] = "candidate:";
  for (size_t i = 0; i < p->n_candidates; i++) {
    const char *cand = p->candidates[i];
    if (strncmp(cand, prefix, sizeof prefix - 1) == 0)
      line(w, "a=%s", cand);
    else
      line(w, "a=%s%s", prefix, cand);
  }
  if (!p->more_candidates) line(w, "a=end-of-candidates"); /* RFC 8840 8.2 */
}

/* RFC 8841 5 and 6: our SCTP port and the largest message we take. */
static void write_data(writer *w, const brtc_sdp_media *m, const brtc_sdp_answer_params *p) {
  unsigned port = p->sctp_port ? p->sctp_port : BRTC_SDP_DEFAULT_SCTP_PORT;
  bool legacy = is_legacy_data_section(m);
  if (legacy)
    line(w, "m=application 9 DTLS/SCTP %u", port);
  else
    line(w, "m=application 9 %s webrtc-datachannel", m->proto);
  line(w, "c=IN IP4 0.0.0.0");
  write_transport(w, p);
  line(w, "a=mid:%s", m->mid);
  /* draft-ietf-mmusic-sctp-sdp-05 5: 65535 streams, as browsers of that time said. */
  if (legacy) line(w, "a=sctpmap:%u webrtc-datachannel 65535", port);
  else line(w, "a=sctp-port:%u", port);
  line(w, "a=max-message-size:%u",
       (unsigned)(p->max_message_size ? p->max_message_size : BRTC_SDP_DEFAULT_MAX_MESSAGE));
  write_candidates(w, p);
}

static void write_accepted(writer *w, const brtc_sdp_media *m, const brtc_sdp_negotiated *n,
                           const brtc_sdp_answer_params *p) {
  if (m->kind == BRTC_MEDIA_APPLICATION) {
    write_data(w, m, p);
    return;
  }
  const brtc_sdp_codec *c = NULL;
  for (size_t i = 0; i < m->n_codecs; i++)
    if (m->codecs[i].payload_type == n->payload_type) c = &m->codecs[i];
  if (n->rtx_payload_type >= 0)
    line(w, "m=%s 9 %s %d %d", m->kind_text, m->proto, n->payload_type, n->rtx_payload_type);
  else
    line(w, "m=%s 9 %s %d", m->kind_text, m->proto, n->payload_type);
  line(w, "c=IN IP4 0.0.0.0");
  line(w, "a=rtcp:9 IN IP4 0.0.0.0");
  write_transport(w, p);
  line(w, "a=mid:%s", m->mid);
  if (n->ext_mid) line(w, "a=extmap:%u %s", n->ext_mid, EXT_MID);
  if (n->ext_abs_send_time) line(w, "a=extmap:%u %s", n->ext_abs_send_time, EXT_ABS_SEND_TIME);
  if (n->ext_transport_cc) line(w, "a=extmap:%u %s", n->ext_transport_cc, EXT_TRANSPORT_CC);
  const char *dir = answer_direction(m, p, n);
  line(w, "a=%s", dir);
  bool sending = strcmp(dir, "sendrecv") == 0 || strcmp(dir, "sendonly") == 0;
  bool legacy_send = sending && n->send_track < 0;
  if (legacy_send) line(w, "a=msid:%s %s", STREAM_ID, VIDEO_TRACK_ID);
  line(w, "a=rtcp-mux");
  if (m->rtcp_rsize) line(w, "a=rtcp-rsize");
  if (m->kind == BRTC_MEDIA_VIDEO) {
    line(w, "a=rtpmap:%d %s/90000", n->payload_type, c->name);
    /* H.264: the offered format's parameters, echoed (RFC 6184 8.2.2). */
    if (strcasecmp(c->name, "H264") == 0 && c->fmtp[0])
      line(w, "a=fmtp:%d %s", n->payload_type, c->fmtp);
    if (c->fb_goog_remb) line(w, "a=rtcp-fb:%d goog-remb", n->payload_type);
    if (c->fb_transport_cc && p->transport_cc)
      line(w, "a=rtcp-fb:%d transport-cc", n->payload_type);
    if (c->fb_ccm_fir) line(w, "a=rtcp-fb:%d ccm fir", n->payload_type);
    if (c->fb_nack) line(w, "a=rtcp-fb:%d nack", n->payload_type);
    if (c->fb_nack_pli) line(w, "a=rtcp-fb:%d nack pli", n->payload_type);
    /* VP8 has no fmtp parameters we echo; libwebrtc's bitrate hints are the ones we add,
     * only where we receive (they tell the peer's encoder). */
    bool receiving = strcmp(dir, "sendrecv") == 0 || strcmp(dir, "recvonly") == 0;
    if (strcasecmp(c->name, "VP8") != 0 || (n->send_track >= 0 && !receiving)) {
      /* no hints where the peer does not send to us */
    } else if (p->video_start_bitrate_kbps && p->video_max_bitrate_kbps)
      line(w, "a=fmtp:%d x-google-start-bitrate=%u;x-google-max-bitrate=%u", n->payload_type,
           (unsigned)p->video_start_bitrate_kbps, (unsigned)p->video_max_bitrate_kbps);
    else if (p->video_start_bitrate_kbps)
      line(w, "a=fmtp:%d x-google-start-bitrate=%u", n->payload_type,
           (unsigned)p->video_start_bitrate_kbps);
    else if (p->video_max_bitrate_kbps)
      line(w, "a=fmtp:%d x-google-max-bitrate=%u", n->payload_type,
           (unsigned)p->video_max_bitrate_kbps);
    if (n->rtx_payload_type >= 0) {
      line(w, "a=rtpmap:%d rtx/90000", n->rtx_payload_type);
      line(w, "a=fmtp:%d apt=%d", n->rtx_payload_type, n->payload_type);
    }
  } else {
    line(w, "a=rtpmap:%d %s/48000/2", n->payload_type, c->name);
    if (c->fb_transport_cc && p->transport_cc)
      line(w, "a=rtcp-fb:%d transport-cc", n->payload_type);
    line(w, "a=fmtp:%d minptime=10;useinbandfec=1", n->payload_type);
  }
  if (legacy_send) {
    const char *cname = p->cname ? p->cname : STREAM_ID;
    line(w, "a=ssrc:%u cname:%s", p->video_ssrc, cname);
    line(w, "a=ssrc:%u msid:%s %s", p->video_ssrc, STREAM_ID, VIDEO_TRACK_ID);
  } else if (sending && !w->overflow &&
             brtc_sdp_write_send_attributes(&p->send_tracks[n->send_track], p->cname,
                                            n->rtx_payload_type >= 0, w->buf, w->cap,
                                            &w->len) != BRTC_OK) {
    w->overflow = true;
  }
  write_candidates(w, p);
}

static int check_params(const brtc_sdp_answer_params *p, char *err, size_t err_cap) {
  if (!safe_text(p->ice_ufrag, false) || !safe_text(p->ice_pwd, false) ||
      !safe_text(p->fingerprint_sha256, false)) {
    set_err(err, err_cap, "answer params need ice_ufrag, ice_pwd and fingerprint_sha256");
    return BRTC_ERR_INVALID;
  }
  if (p->setup != BRTC_SETUP_ACTIVE && p->setup != BRTC_SETUP_PASSIVE) {
    set_err(err, err_cap, "answer params setup must be active or passive");
    return BRTC_ERR_INVALID;
  }
  if (p->cname && !safe_text(p->cname, false)) {
    set_err(err, err_cap, "answer params cname is not a token");
    return BRTC_ERR_INVALID;
  }
  if (p->n_candidates > 0 && !p->candidates) {
    set_err(err, err_cap, "answer params n_candidates without candidates");
    return BRTC_ERR_INVALID;
  }
  if (p->n_send_tracks > 0 && (!p->send_tracks || p->n_send_tracks > BRTC_SDP_MAX_MEDIA)) {
    set_err(err, err_cap, "answer params n_send_tracks without send_tracks, or too many");
    return BRTC_ERR_INVALID;
  }
  for (size_t i = 0; i < p->n_candidates; i++) {
    if (!safe_text(p->candidates[i], true)) {
      set_err(err, err_cap, "answer params candidate %zu is empty or has control characters", i);
      return BRTC_ERR_INVALID;
    }
  }
  return BRTC_OK;
}

int brtc_sdp_write_answer(const brtc_sdp *offer, const brtc_sdp_answer_params *p, char *out,
                          size_t cap, brtc_sdp_negotiated *neg, char *err, size_t err_cap) {
  if (err && err_cap > 0) err[0] = '\0';
  if (out && cap > 0) out[0] = '\0';
  if (!offer || !p || !out || cap == 0 || !neg || offer->n_media > BRTC_SDP_MAX_MEDIA) {
    set_err(err, err_cap, "missing offer, params, output or neg");
    return BRTC_ERR_INVALID;
  }
  int rc = check_params(p, err, err_cap);
  if (rc != BRTC_OK) return rc;

  char reason[192] = "offer has no m= sections";
  size_t accepted = decide(offer, p, neg, reason, sizeof reason);
  if (accepted == 0) {
    set_err(err, err_cap, "nothing acceptable: %s", reason);
    return BRTC_ERR_UNSUPPORTED;
  }
  bool sending = false;
  for (size_t i = 0; i < offer->n_media; i++) {
    if (!neg[i].accepted) continue;
    rc = check_transport(offer, &offer->media[i], p, err, err_cap);
    if (rc != BRTC_OK) return rc;
    const char *dir = answer_direction(&offer->media[i], p, &neg[i]);
    neg[i].we_send = strcmp(dir, "sendrecv") == 0 || strcmp(dir, "sendonly") == 0;
    neg[i].we_receive = strcmp(dir, "sendrecv") == 0 || strcmp(dir, "recvonly") == 0;
    if (neg[i].we_send) sending = true;
  }

  uint64_t session_id = p->session_id;
  while (session_id == 0) session_id = brtc_random_u64() >> 2; /* stays below 2^62 */
  writer w = {.buf = out, .cap = cap};
  line(&w, "v=0");
  line(&w, "o=- %llu %llu IN IP4 0.0.0.0", (unsigned long long)session_id,
       (unsigned long long)p->session_version);
  line(&w, "s=-");
  line(&w, "t=0 0");
  if (offer->n_bundle_mids > 0) {
    char group[BRTC_SDP_MAX_MEDIA * BRTC_SDP_TOKEN + 32] = "a=group:BUNDLE";
    size_t glen = strlen(group);
    for (size_t i = 0; i < offer->n_media; i++) {
      if (!neg[i].accepted) continue;
      int n = snprintf(group + glen, sizeof group - glen, " %s", neg[i].mid);
      if (n > 0) glen += (size_t)n;
    }
    line(&w, "%s", group);
  }
  if (p->ice_lite) line(&w, "a=ice-lite");
  if (sending) line(&w, "a=msid-semantic: WMS %s", STREAM_ID);
  for (size_t i = 0; i < offer->n_media; i++) {
    if (neg[i].accepted)
      write_accepted(&w, &offer->media[i], &neg[i], p);
    else
      write_rejected(&w, &offer->media[i], p);
  }
  if (w.overflow) {
    out[0] = '\0';
    set_err(err, err_cap, "answer does not fit in %zu bytes", cap);
    return BRTC_ERR_TOO_BIG;
  }
  return BRTC_OK;
}
