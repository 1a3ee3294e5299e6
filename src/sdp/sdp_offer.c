/* The offerer's SDP (RFC 8829 JSEP 5.2.1 for the offer, 5.3.1 and RFC 3264 6 for what an
 * answer may say): one BUNDLE transport, sections from a list, and an answer checked
 * against that list before anything of it is used. */
#include "sdp/sdp_offer.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "boltrtc/error.h"
#include "common/random.h"
#include "sdp/sdp_write.h"

#define DEFAULT_STREAM "boltrtc"

const char *brtc_sdp_direction_name(brtc_sdp_direction d) {
  switch (d) {
    case BRTC_DIR_SENDONLY: return "sendonly";
    case BRTC_DIR_RECVONLY: return "recvonly";
    case BRTC_DIR_INACTIVE: return "inactive";
    default: return "sendrecv";
  }
}

const char *brtc_sdp_setup_name(brtc_sdp_setup s) {
  switch (s) {
    case BRTC_SETUP_ACTPASS: return "actpass";
    case BRTC_SETUP_ACTIVE: return "active";
    case BRTC_SETUP_PASSIVE: return "passive";
    default: return "none";
  }
}

static const char *kind_name(brtc_sdp_media_kind k) {
  switch (k) {
    case BRTC_MEDIA_AUDIO: return "audio";
    case BRTC_MEDIA_VIDEO: return "video";
    case BRTC_MEDIA_APPLICATION: return "application";
    default: return "other";
  }
}

static bool is_rtp_kind(brtc_sdp_media_kind k) {
  return k == BRTC_MEDIA_AUDIO || k == BRTC_MEDIA_VIDEO;
}

static int check_section(const brtc_sdp_offer_params *p, size_t i, char *err, size_t err_cap) {
  const brtc_sdp_offer_section *s = &p->sections[i];
  if (!safe_text(s->mid, false) || strlen(s->mid) >= BRTC_SDP_TOKEN) {
    set_err(err, err_cap, "offer section %zu: mid is empty, too long or not a token", i);
    return BRTC_ERR_INVALID;
  }
  for (size_t j = 0; j < i; j++) {
    if (strcmp(p->sections[j].mid, s->mid) == 0) {
      set_err(err, err_cap, "offer section %zu: mid %s is used twice", i, s->mid);
      return BRTC_ERR_INVALID;
    }
  }
  if (s->kind == BRTC_MEDIA_APPLICATION) return BRTC_OK;
  if (!is_rtp_kind(s->kind)) {
    set_err(err, err_cap, "offer section %zu: kind must be audio, video or application", i);
    return BRTC_ERR_INVALID;
  }
  if (s->n_codecs == 0 || !s->codecs || s->n_codecs > BRTC_SDP_MAX_CODECS) {
    set_err(err, err_cap, "offer section %zu (mid %s): 1 to %d codecs needed", i, s->mid,
            BRTC_SDP_MAX_CODECS);
    return BRTC_ERR_INVALID;
  }
  for (size_t c = 0; c < s->n_codecs; c++) {
    const brtc_sdp_codec *k = &s->codecs[c];
    if (!safe_text(k->name, false) || k->payload_type > 127 || !k->clock_rate ||
        (k->fmtp && k->fmtp[0] && !safe_text(k->fmtp, true))) {
      set_err(err, err_cap, "offer section %zu (mid %s): codec %zu has a bad name, payload "
              "type, clock rate or fmtp", i, s->mid, c);
      return BRTC_ERR_INVALID;
    }
  }
  if (s->n_extmaps && !s->extmaps) {
    set_err(err, err_cap, "offer section %zu: n_extmaps without extmaps", i);
    return BRTC_ERR_INVALID;
  }
  for (size_t e = 0; e < s->n_extmaps; e++) {
    if (!safe_text(s->extmaps[e].uri, false) || s->extmaps[e].id == 0 || s->extmaps[e].id > 14) {
      set_err(err, err_cap, "offer section %zu: extmap %zu needs id 1-14 and a URI", i, e);
      return BRTC_ERR_INVALID;
    }
  }
  if ((s->msid_stream && !safe_text(s->msid_stream, false)) ||
      (s->msid_track && !safe_text(s->msid_track, false))) {
    set_err(err, err_cap, "offer section %zu: msid is not a token", i);
    return BRTC_ERR_INVALID;
  }
  return BRTC_OK;
}

static int check_params(const brtc_sdp_offer_params *p, char *err, size_t err_cap) {
  if (!safe_text(p->ice_ufrag, false) || !safe_text(p->ice_pwd, false) ||
      !safe_text(p->fingerprint_sha256, false)) {
    set_err(err, err_cap, "offer params need ice_ufrag, ice_pwd and fingerprint_sha256");
    return BRTC_ERR_INVALID;
  }
  if (p->n_sections == 0 || !p->sections || p->n_sections > BRTC_SDP_MAX_MEDIA) {
    set_err(err, err_cap, "an offer needs 1 to %d sections", BRTC_SDP_MAX_MEDIA);
    return BRTC_ERR_INVALID;
  }
  if ((p->cname && !safe_text(p->cname, false)) ||
      (p->default_address && !safe_text(p->default_address, false))) {
    set_err(err, err_cap, "offer params cname or default_address is not a token");
    return BRTC_ERR_INVALID;
  }
  if (p->n_candidates > 0 && !p->candidates) {
    set_err(err, err_cap, "offer params n_candidates without candidates");
    return BRTC_ERR_INVALID;
  }
  for (size_t i = 0; i < p->n_candidates; i++) {
    if (!safe_text(p->candidates[i], true)) {
      set_err(err, err_cap, "offer params candidate %zu is empty or has control characters", i);
      return BRTC_ERR_INVALID;
    }
  }
  for (size_t i = 0; i < p->n_sections; i++) {
    int rc = check_section(p, i, err, err_cap);
    if (rc != BRTC_OK) return rc;
  }
  return BRTC_OK;
}

/* The transport, the same in every section (RFC 8843 7.2: the offerer may not know yet
 * whether the answerer accepts BUNDLE, so each section can stand alone). */
static void write_transport(writer *w, const brtc_sdp_offer_params *p, const char *mid) {
  line(w, "a=ice-ufrag:%s", p->ice_ufrag);
  line(w, "a=ice-pwd:%s", p->ice_pwd);
  if (p->ice_trickle) line(w, "a=ice-options:trickle");
  line(w, "a=fingerprint:sha-256 %s", p->fingerprint_sha256);
  line(w, "a=setup:actpass"); /* RFC 8842 5.2: the offerer lets the answerer choose */
  line(w, "a=mid:%s", mid);
}

static void write_candidates(writer *w, const brtc_sdp_offer_params *p) {
  static const char prefix[] = "candidate:";
  for (size_t i = 0; i < p->n_candidates; i++) {
    const char *cand = p->candidates[i];
    bool has_prefix = strncmp(cand, prefix, sizeof prefix - 1) == 0;
    line(w, "a=%s%s", has_prefix ? "" : prefix, cand);
  }
  if (p->end_of_candidates) line(w, "a=end-of-candidates");
}

static void write_connection(writer *w, const brtc_sdp_offer_params *p) {
  const char *addr = p->default_address ? p->default_address : "0.0.0.0";
  line(w, "c=IN %s %s", strchr(addr, ':') ? "IP6" : "IP4", addr);
}

static unsigned media_port(const brtc_sdp_offer_params *p) {
  return p->default_address && p->default_port ? p->default_port : 9; /* RFC 8829 5.2.1 */
}

static void write_data(writer *w, const brtc_sdp_offer_params *p, const brtc_sdp_offer_section *s) {
  line(w, "m=application %u %s webrtc-datachannel", media_port(p), BRTC_SDP_PROTO_DATA);
  write_connection(w, p);
  write_transport(w, p, s->mid);
  line(w, "a=sctp-port:%u", (unsigned)(s->sctp_port ? s->sctp_port : BRTC_SDP_DEFAULT_SCTP_PORT));
  line(w, "a=max-message-size:%u", (unsigned)(s->max_message_size ? s->max_message_size
                                                                  : BRTC_SDP_DEFAULT_MAX_MESSAGE));
  write_candidates(w, p);
}

static void write_codec(writer *w, const brtc_sdp_codec *c) {
  if (c->channels > 1)
    line(w, "a=rtpmap:%u %s/%u/%u", c->payload_type, c->name, (unsigned)c->clock_rate,
         c->channels);
  else
    line(w, "a=rtpmap:%u %s/%u", c->payload_type, c->name, (unsigned)c->clock_rate);
  if (c->fb_goog_remb) line(w, "a=rtcp-fb:%u goog-remb", c->payload_type);
  if (c->fb_transport_cc) line(w, "a=rtcp-fb:%u transport-cc", c->payload_type);
  if (c->fb_ccm_fir) line(w, "a=rtcp-fb:%u ccm fir", c->payload_type);
  if (c->fb_nack) line(w, "a=rtcp-fb:%u nack", c->payload_type);
  if (c->fb_nack_pli) line(w, "a=rtcp-fb:%u nack pli", c->payload_type);
  if (c->fmtp && c->fmtp[0]) line(w, "a=fmtp:%u %s", c->payload_type, c->fmtp);
  else if (strcasecmp(c->name, "rtx") == 0 && c->apt >= 0)
    line(w, "a=fmtp:%u apt=%d", c->payload_type, c->apt);
}

static bool sends(const brtc_sdp_offer_section *s) {
  return s->ssrc && (s->direction == BRTC_DIR_SENDRECV || s->direction == BRTC_DIR_SENDONLY);
}

/* RFC 8829 5.2.2: a stopped section keeps its place and mid, with port 0 and no transport. */
static void write_stopped(writer *w, const brtc_sdp_offer_section *s) {
  line(w, "m=%s 0 %s %u", kind_name(s->kind), BRTC_SDP_PROTO_RTP, s->codecs[0].payload_type);
  line(w, "c=IN IP4 0.0.0.0");
  line(w, "a=mid:%s", s->mid);
  line(w, "a=inactive");
  line(w, "a=rtcp-mux");
  write_codec(w, &s->codecs[0]);
}

static void write_rtp(writer *w, const brtc_sdp_offer_params *p, const brtc_sdp_offer_section *s) {
  char fmts[BRTC_SDP_MAX_CODECS * 4 + 1] = "";
  size_t used = 0;
  for (size_t c = 0; c < s->n_codecs; c++)
    used += (size_t)snprintf(fmts + used, sizeof fmts - used, " %u", s->codecs[c].payload_type);
  line(w, "m=%s %u %s%s", kind_name(s->kind), media_port(p), BRTC_SDP_PROTO_RTP, fmts);
  write_connection(w, p);
  line(w, "a=rtcp:9 IN IP4 0.0.0.0");
  write_transport(w, p, s->mid);
  for (size_t e = 0; e < s->n_extmaps; e++)
    line(w, "a=extmap:%u %s", s->extmaps[e].id, s->extmaps[e].uri);
  line(w, "a=%s", brtc_sdp_direction_name(s->direction));
  char track[BRTC_SDP_TOKEN + 16];
  snprintf(track, sizeof track, "boltrtc-%s", s->mid);
  const char *stream = s->msid_stream ? s->msid_stream : DEFAULT_STREAM;
  const char *track_id = s->msid_track ? s->msid_track : track;
  line(w, "a=rtcp-mux");  /* RFC 8829 5.2.1: RTP and RTCP on one port */
  line(w, "a=rtcp-rsize"); /* RFC 5506 */
  for (size_t c = 0; c < s->n_codecs; c++) write_codec(w, &s->codecs[c]);
  if (sends(s) && !w->overflow) { /* a=msid and a=ssrc, as the answer writes them */
    brtc_sdp_send_track t = {.kind = s->kind, .ssrc = s->ssrc, .rtx_ssrc = s->rtx_ssrc,
                             .stream_id = stream, .track_id = track_id};
    size_t len = w->len;
    if (brtc_sdp_write_send_attributes(&t, p->cname ? p->cname : DEFAULT_STREAM,
                                       s->rtx_ssrc != 0, w->buf, w->cap, &len) != BRTC_OK)
      w->overflow = true;
    else w->len = len;
  }
  write_candidates(w, p);
}

int brtc_sdp_write_offer(const brtc_sdp_offer_params *p, char *out, size_t cap, char *err,
                         size_t err_cap) {
  if (err && err_cap > 0) err[0] = '\0';
  if (out && cap > 0) out[0] = '\0';
  if (!p || !out || cap == 0) {
    set_err(err, err_cap, "missing params or output");
    return BRTC_ERR_INVALID;
  }
  int rc = check_params(p, err, err_cap);
  if (rc != BRTC_OK) return rc;
  uint64_t session_id = p->session_id;
  while (session_id == 0) session_id = brtc_random_u64() >> 2; /* stays below 2^62 */
  writer w = {.buf = out, .cap = cap};
  line(&w, "v=0");
  line(&w, "o=- %llu %llu IN IP4 127.0.0.1", (unsigned long long)session_id,
       (unsigned long long)p->session_version);
  line(&w, "s=-");
  line(&w, "t=0 0");
  char group[BRTC_SDP_MAX_MEDIA * BRTC_SDP_TOKEN + 32] = "a=group:BUNDLE";
  size_t glen = strlen(group);
  bool any_sends = false;
  for (size_t i = 0; i < p->n_sections; i++) {
    if (p->sections[i].stopped) continue; /* RFC 8843 7.2: not in the group */
    glen += (size_t)snprintf(group + glen, sizeof group - glen, " %s", p->sections[i].mid);
    any_sends = any_sends || (is_rtp_kind(p->sections[i].kind) && sends(&p->sections[i]));
  }
  line(&w, "%s", group);
  if (p->ice_lite) line(&w, "a=ice-lite");
  if (any_sends) line(&w, "a=msid-semantic: WMS %s", DEFAULT_STREAM);
  for (size_t i = 0; i < p->n_sections; i++) {
    const brtc_sdp_offer_section *s = &p->sections[i];
    if (s->kind == BRTC_MEDIA_APPLICATION) write_data(&w, p, s);
    else if (s->stopped) write_stopped(&w, s);
    else write_rtp(&w, p, s);
  }
  if (w.overflow) {
    out[0] = '\0';
    set_err(err, err_cap, "offer does not fit in %zu bytes", cap);
    return BRTC_ERR_TOO_BIG;
  }
  return BRTC_OK;
}

/* ---- the answer ---- */

static const brtc_sdp_codec *offered_codec(const brtc_sdp_offer_section *s, uint8_t pt) {
  for (size_t c = 0; c < s->n_codecs; c++)
    if (s->codecs[c].payload_type == pt) return &s->codecs[c];
  return NULL;
}

/* RFC 3264 6.1: the answer's direction mirrors what the offer allows. */
static bool direction_fits(brtc_sdp_direction offered, brtc_sdp_direction answered) {
  switch (offered) {
    case BRTC_DIR_SENDONLY: return answered == BRTC_DIR_RECVONLY || answered == BRTC_DIR_INACTIVE;
    case BRTC_DIR_RECVONLY: return answered == BRTC_DIR_SENDONLY || answered == BRTC_DIR_INACTIVE;
    case BRTC_DIR_INACTIVE: return answered == BRTC_DIR_INACTIVE;
    default: return true;
  }
}

static uint8_t answered_ext(const brtc_sdp_media *m, const char *uri) {
  for (size_t i = 0; i < m->n_extmaps; i++)
    if (strcmp(m->extmaps[i].uri, uri) == 0) return m->extmaps[i].id;
  return 0;
}

/* An accepted audio or video section: codecs and header extensions a subset of ours
 * (RFC 3264 6.1, RFC 8285 6), the codec to use, rtcp-mux, a fitting direction. */
static int check_rtp(const brtc_sdp_offer_section *s, const brtc_sdp_media *m, size_t i,
                     brtc_sdp_answered *a, char *err, size_t err_cap) {
  if (!m->rtcp_mux) {
    set_err(err, err_cap, "answer m-section %zu (mid %s): no a=rtcp-mux, which we need", i, s->mid);
    return BRTC_ERR_UNSUPPORTED;
  }
  if (!direction_fits(s->direction, m->direction)) {
    set_err(err, err_cap, "answer m-section %zu (mid %s): %s answers an offer of %s", i, s->mid,
            brtc_sdp_direction_name(m->direction), brtc_sdp_direction_name(s->direction));
    return BRTC_ERR_PARSE;
  }
  a->direction = m->direction;
  const brtc_sdp_codec *chosen = NULL;
  for (size_t c = 0; c < m->n_codecs; c++) {
    const brtc_sdp_codec *got = &m->codecs[c];
    const brtc_sdp_codec *ours = offered_codec(s, got->payload_type);
    if (!ours || strcasecmp(ours->name, got->name) != 0 || ours->clock_rate != got->clock_rate) {
      set_err(err, err_cap, "answer m-section %zu (mid %s): payload type %u (%s/%u) is not one "
              "we offered", i, s->mid, got->payload_type, got->name, (unsigned)got->clock_rate);
      return BRTC_ERR_PARSE;
    }
    if (!chosen && strcasecmp(got->name, "rtx") != 0) chosen = got;
  }
  if (!chosen) {
    set_err(err, err_cap, "answer m-section %zu (mid %s): accepted without a codec", i, s->mid);
    return BRTC_ERR_PARSE;
  }
  a->neg.payload_type = chosen->payload_type;
  snprintf(a->neg.codec, sizeof a->neg.codec, "%s", chosen->name);
  a->neg.clock_rate = chosen->clock_rate;
  for (size_t c = 0; c < m->n_codecs; c++)
    if (strcasecmp(m->codecs[c].name, "rtx") == 0 && m->codecs[c].apt == chosen->payload_type)
      a->neg.rtx_payload_type = m->codecs[c].payload_type;
  for (size_t e = 0; e < m->n_extmaps; e++) {
    bool offered = false;
    for (size_t o = 0; o < s->n_extmaps; o++)
      offered = offered || (s->extmaps[o].id == m->extmaps[e].id &&
                            strcmp(s->extmaps[o].uri, m->extmaps[e].uri) == 0);
    if (!offered) {
      set_err(err, err_cap, "answer m-section %zu (mid %s): header extension %u %s was not "
              "offered with that id", i, s->mid, m->extmaps[e].id, m->extmaps[e].uri);
      return BRTC_ERR_PARSE;
    }
  }
  a->neg.ext_mid = answered_ext(m, "urn:ietf:params:rtp-hdrext:sdes:mid");
  a->neg.ext_abs_send_time =
      answered_ext(m, "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time");
  a->neg.ext_transport_cc = answered_ext(
      m, "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01");
  return BRTC_OK;
}

static int check_data(const brtc_sdp_offer_section *s, const brtc_sdp_media *m, size_t i,
                      brtc_sdp_answered *a, char *err, size_t err_cap) {
  if (strcmp(m->first_fmt, "webrtc-datachannel") != 0) {
    set_err(err, err_cap, "answer m-section %zu (mid %s): format %s, not webrtc-datachannel", i,
            s->mid, m->first_fmt);
    return BRTC_ERR_PARSE;
  }
  a->sctp_port = m->sctp_port ? m->sctp_port : BRTC_SDP_DEFAULT_SCTP_PORT; /* RFC 8841 5.1 */
  a->max_message_size = m->max_message_size;
  a->has_max_message_size = m->has_max_message_size;
  return BRTC_OK;
}

static bool names_mid(const brtc_sdp *s, const char *mid) {
  for (size_t i = 0; i < s->n_bundle_mids; i++)
    if (strcmp(s->bundle_mids[i], mid) == 0) return true;
  return false;
}

/* Each answered section on its own: kind, proto, mid, then what its kind needs. */
static int check_sections(const brtc_sdp_offer_params *p, const brtc_sdp *answer,
                          brtc_sdp_answered *answered, size_t *n_accepted, char *err,
                          size_t err_cap) {
  *n_accepted = 0;
  for (size_t i = 0; i < p->n_sections; i++) {
    const brtc_sdp_offer_section *s = &p->sections[i];
    const brtc_sdp_media *m = &answer->media[i];
    brtc_sdp_answered *a = &answered[i];
    memset(a, 0, sizeof *a);
    a->neg.payload_type = a->neg.rtx_payload_type = -1;
    a->neg.kind = s->kind;
    snprintf(a->neg.mid, sizeof a->neg.mid, "%s", s->mid);
    a->direction = BRTC_DIR_INACTIVE;
    if (m->kind != s->kind) {
      set_err(err, err_cap, "answer m-section %zu is %s, the offer's is %s", i, m->kind_text,
              kind_name(s->kind));
      return BRTC_ERR_PARSE;
    }
    const char *proto = s->kind == BRTC_MEDIA_APPLICATION ? BRTC_SDP_PROTO_DATA : BRTC_SDP_PROTO_RTP;
    if (strcmp(m->proto, proto) != 0) {
      set_err(err, err_cap, "answer m-section %zu (mid %s): proto %s, the offer's is %s", i,
              s->mid, m->proto, proto);
      return BRTC_ERR_PARSE;
    }
    if (m->port == 0) continue; /* RFC 3264 6: rejected */
    if (s->stopped) { /* RFC 3264 6: a stream offered with port 0 is answered with port 0 */
      set_err(err, err_cap, "answer m-section %zu (mid %s) accepts a section the offer stopped",
              i, s->mid);
      return BRTC_ERR_PARSE;
    }
    if (strcmp(m->mid, s->mid) != 0) { /* RFC 8829 5.3.1: the offer's mid, as it was */
      set_err(err, err_cap, "answer m-section %zu: a=mid %s, the offer's is %s", i,
              m->mid[0] ? m->mid : "(none)", s->mid);
      return BRTC_ERR_PARSE;
    }
    int rc = s->kind == BRTC_MEDIA_APPLICATION ? check_data(s, m, i, a, err, err_cap)
                                               : check_rtp(s, m, i, a, err, err_cap);
    if (rc != BRTC_OK) return rc;
    a->neg.accepted = true;
    (*n_accepted)++;
  }
  return BRTC_OK;
}

/* RFC 8843 7.3: one transport. The group names only accepted sections of ours, holds every
 * accepted one, and its first mid is the tag whose transport counts. */
static int check_bundle(const brtc_sdp_offer_params *p, const brtc_sdp *answer,
                        const brtc_sdp_answered *answered, size_t n_accepted, size_t *tag,
                        char *err, size_t err_cap) {
  *tag = SIZE_MAX;
  for (size_t b = 0; b < answer->n_bundle_mids; b++) {
    size_t found = SIZE_MAX;
    for (size_t i = 0; i < p->n_sections; i++)
      if (strcmp(p->sections[i].mid, answer->bundle_mids[b]) == 0) found = i;
    if (found == SIZE_MAX) {
      set_err(err, err_cap, "answer a=group:BUNDLE names mid %s, which we did not offer",
              answer->bundle_mids[b]);
      return BRTC_ERR_PARSE;
    }
    if (!answered[found].neg.accepted) {
      set_err(err, err_cap, "answer a=group:BUNDLE names mid %s, which the answer rejects",
              answer->bundle_mids[b]);
      return BRTC_ERR_PARSE;
    }
    if (b == 0) *tag = found;
  }
  for (size_t i = 0; i < p->n_sections; i++) {
    if (!answered[i].neg.accepted) continue;
    if (answer->n_bundle_mids == 0 && n_accepted > 1) {
      set_err(err, err_cap, "answer accepts %zu sections without a=group:BUNDLE; we run one "
              "transport (RFC 8843)", n_accepted);
      return BRTC_ERR_UNSUPPORTED;
    }
    if (answer->n_bundle_mids > 0 && !names_mid(answer, p->sections[i].mid)) {
      set_err(err, err_cap, "answer m-section %zu (mid %s) is accepted outside the BUNDLE group",
              i, p->sections[i].mid);
      return BRTC_ERR_UNSUPPORTED;
    }
    if (*tag == SIZE_MAX) *tag = i;
  }
  return BRTC_OK;
}


/* The tag's ICE and DTLS parameters; RFC 8842 5.2: the answer picks one DTLS role. */
static int check_transport(const brtc_sdp_offer_params *p, const brtc_sdp *answer,
                           const brtc_sdp_answered *answered, size_t tag,
                           brtc_sdp_answer_transport *t, char *err, size_t err_cap) {
  const brtc_sdp_media *m = &answer->media[tag];
  t->section = tag;
  t->ice_lite = answer->ice_lite;
  t->ice_ufrag = brtc_sdp_ice_ufrag(answer, m);
  t->ice_pwd = brtc_sdp_ice_pwd(answer, m);
  if (!t->ice_ufrag[0] || !t->ice_pwd[0]) {
    set_err(err, err_cap, "answer (mid %s) has no a=ice-ufrag or a=ice-pwd", m->mid);
    return BRTC_ERR_PARSE;
  }
  const char *hash = NULL;
  t->fingerprint = brtc_sdp_fingerprint(answer, m, &hash);
  if (!t->fingerprint[0]) {
    set_err(err, err_cap, "answer (mid %s) has no a=fingerprint", m->mid);
    return BRTC_ERR_PARSE;
  }
  if (strcasecmp(hash, "sha-256") != 0) {
    set_err(err, err_cap, "answer fingerprint uses %s, sha-256 needed", hash);
    return BRTC_ERR_UNSUPPORTED;
  }
  t->setup = brtc_sdp_setup_of(answer, m);
  if (t->setup != BRTC_SETUP_ACTIVE && t->setup != BRTC_SETUP_PASSIVE) {
    set_err(err, err_cap, "answer a=setup:%s; an answer picks active or passive (RFC 8842 5.2)",
            brtc_sdp_setup_name(t->setup));
    return BRTC_ERR_PARSE;
  }
  for (size_t i = 0; i < p->n_sections; i++) {
    if (!answered[i].neg.accepted) continue;
    brtc_sdp_setup other = brtc_sdp_setup_of(answer, &answer->media[i]);
    if (other != BRTC_SETUP_NONE && other != t->setup) {
      set_err(err, err_cap, "answer m-section %zu says a=setup:%s, its BUNDLE tag says %s", i,
              brtc_sdp_setup_name(other), brtc_sdp_setup_name(t->setup));
      return BRTC_ERR_PARSE;
    }
  }
  return BRTC_OK;
}

int brtc_sdp_check_answer(const brtc_sdp_offer_params *p, const brtc_sdp *answer,
                          brtc_sdp_answered *answered, brtc_sdp_answer_transport *t, char *err,
                          size_t err_cap) {
  if (err && err_cap > 0) err[0] = '\0';
  if (!p || !answer || !answered || !t || !p->sections || p->n_sections == 0 ||
      p->n_sections > BRTC_SDP_MAX_MEDIA) {
    set_err(err, err_cap, "missing offer, answer or results");
    return BRTC_ERR_INVALID;
  }
  memset(t, 0, sizeof *t);
  if (answer->n_media != p->n_sections) { /* RFC 3264 6: one answer section per offered one */
    set_err(err, err_cap, "answer has %zu m-sections, the offer had %zu", answer->n_media,
            p->n_sections);
    return BRTC_ERR_PARSE;
  }
  size_t n_accepted = 0, tag = SIZE_MAX;
  int rc = check_sections(p, answer, answered, &n_accepted, err, err_cap);
  if (rc != BRTC_OK) return rc;
  if (n_accepted == 0) {
    set_err(err, err_cap, "answer rejects every m-section");
    return BRTC_ERR_UNSUPPORTED;
  }
  rc = check_bundle(p, answer, answered, n_accepted, &tag, err, err_cap);
  if (rc != BRTC_OK) return rc;
  return check_transport(p, answer, answered, tag, t, err, err_cap);
}
