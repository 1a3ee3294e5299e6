/* The offerer (RFC 8829 5.2, 5.3.1 read from the offer's side): what we offer is a list of
 * sections (the data section for our channels; tracks add theirs here), written by
 * brtc_sdp_write_offer; the answer is checked against that same list
 * (brtc_sdp_check_answer) before its transport, DTLS role and data section are taken. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/random.h"
#include "pc/pc_gather.h"
#include "pc/pc_internal.h"
#include "pc/pc_reneg.h"
#include "pc/pc_restart.h"
#include "pc/pc_send.h"
#include "sdp/sdp_offer.h"

#define PC_OFFER_CAP (16 * 1024)

typedef struct pc_offer {
  char *sdp;            /* the last offer made; NULL after a rollback */
  bool applied;         /* set as the local description, waiting for the answer */
  bool current;         /* sdp was made in this exchange (a finished one's is stale) */
  bool answered;
  uint64_t session_id, version;
  brtc_sdp_offer_section sections[BRTC_SDP_MAX_MEDIA];
  char mids[BRTC_SDP_MAX_MEDIA][PC_MID_LEN];
  /* A track's section: its codec and RTX (RFC 4588), its header extensions; and which of
   * pc->send's tracks it carries (-1: none, the data section). */
  brtc_sdp_codec codecs[BRTC_SDP_MAX_MEDIA][2];
  brtc_sdp_extmap extmaps[BRTC_SDP_MAX_MEDIA][2];
  int track[BRTC_SDP_MAX_MEDIA];
  size_t n_sections;
  bool data;            /* one of them is the data section */
} pc_offer;

static void set_err(char *err, size_t cap, const char *msg) {
  if (err && cap) snprintf(err, cap, "%s", msg);
}

/* The payload types we offer: what Chromium uses for the same codecs, so that captures read
 * alike. */
#define PT_VP8 96
#define PT_VP8_RTX 97
#define PT_H264 102
#define PT_H264_RTX 103
#define PT_OPUS 111
#define EXT_ID_MID 1
#define EXT_ID_ABS_SEND_TIME 2

static void set_extmaps(pc_offer *o, size_t i) {
  brtc_sdp_extmap *e = o->extmaps[i];
  e[0] = (brtc_sdp_extmap){.id = EXT_ID_MID, .uri = "urn:ietf:params:rtp-hdrext:sdes:mid"};
  e[1] = (brtc_sdp_extmap){.id = EXT_ID_ABS_SEND_TIME,
                           .uri = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"};
}

/* A section's codec on the payload types an exchange gave it (JSEP 5.2.2 keeps them): Opus,
 * or VP8 or H.264 with its RTX (rtx_pt -1: none). Sets the section's codecs and count. */
static void media_codecs(pc_offer *o, size_t i, bool video, bool h264, uint8_t pt, int rtx_pt) {
  brtc_sdp_codec *c = o->codecs[i];
  size_t n = 0;
  if (!video) {
    c[n++] = (brtc_sdp_codec){.payload_type = pt, .name = "opus", .clock_rate = 48000,
                              .channels = 2, .fmtp = "minptime=10;useinbandfec=1", .apt = -1};
  } else {
    c[n] = (brtc_sdp_codec){.payload_type = pt, .clock_rate = 90000, .fb_nack = true,
                            .fb_nack_pli = true, .fb_ccm_fir = true, .fb_goog_remb = true,
                            .apt = -1};
    c[n].name = h264 ? "H264" : "VP8";
    /* RFC 6184 8.1: packetization-mode 1 is what our packetizer makes (FU-A, STAP-A); the
     * level is the receiver's to cap, asymmetry allowed (RFC 6184 8.2.2). */
    if (h264) c[n].fmtp = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f";
    n++;
    if (rtx_pt >= 0) /* its a=fmtp apt= line the writer derives from apt (RFC 4588 8.1) */
      c[n++] = (brtc_sdp_codec){.payload_type = (uint8_t)rtx_pt, .name = "rtx",
                                .clock_rate = 90000, .apt = pt};
  }
  o->sections[i].codecs = c;
  o->sections[i].n_codecs = n;
}

/* A section we only receive on (the peer's track, from an exchange it offered): recvonly,
 * its codec on the payload types it has. */
static void recv_section(pc_offer *o, size_t i, const pc_track *t) {
  o->sections[i] = (brtc_sdp_offer_section){
      .kind = t->video ? BRTC_MEDIA_VIDEO : BRTC_MEDIA_AUDIO, .mid = o->mids[i],
      .direction = BRTC_DIR_RECVONLY, .extmaps = o->extmaps[i], .n_extmaps = 2};
  set_extmaps(o, i);
  media_codecs(o, i, t->video, t->h264, (uint8_t)t->pt, t->rtx_pt);
}

/* A section that carries nothing either way: stopped (JSEP 5.2.2: port 0), or still open
 * and inactive; its kind and mid, a codec for the m= line. */
static void idle_section(pc_offer *o, size_t i, brtc_sdp_media_kind kind, bool stopped) {
  o->sections[i] = (brtc_sdp_offer_section){.kind = kind, .mid = o->mids[i], .stopped = stopped,
                                            .direction = BRTC_DIR_INACTIVE,
                                            .extmaps = stopped ? NULL : o->extmaps[i],
                                            .n_extmaps = stopped ? 0 : 2};
  if (!stopped) set_extmaps(o, i);
  bool video = kind == BRTC_MEDIA_VIDEO;
  media_codecs(o, i, video, false, video ? PT_VP8 : PT_OPUS, -1);
}

/* A sent track's section: one codec (the one its frames are in), RTX for video, and the
 * mid (RFC 9143) and abs-send-time header extensions the send stream writes. Payload types
 * are Chromium's for the same codecs (captures read alike), or those an exchange gave it. */
static void track_section(pc_offer *o, size_t i, const brtc_track *t) {
  bool h264 = t->codec == PC_SEND_H264;
  uint8_t pt = t->codec == PC_SEND_OPUS ? PT_OPUS : h264 ? PT_H264 : PT_VP8;
  int rtx_pt = t->video ? pt + 1 : -1;
  if (t->pt >= 0) { /* JSEP 5.2.2: a later offer keeps them */
    pt = (uint8_t)t->pt;
    rtx_pt = t->rtx_pt;
  }
  brtc_sdp_direction dir = t->direction == BRTC_DIRECTION_SENDRECV   ? BRTC_DIR_SENDRECV
                           : t->direction == BRTC_DIRECTION_SENDONLY ? BRTC_DIR_SENDONLY
                           : t->direction == BRTC_DIRECTION_RECVONLY ? BRTC_DIR_RECVONLY
                                                                     : BRTC_DIR_INACTIVE;
  o->sections[i] = (brtc_sdp_offer_section){
      .kind = t->video ? BRTC_MEDIA_VIDEO : BRTC_MEDIA_AUDIO,
      .mid = o->mids[i],
      .direction = dir,
      .extmaps = o->extmaps[i],
      .n_extmaps = 2,
      .ssrc = t->ssrc,
      .rtx_ssrc = t->video && rtx_pt >= 0 ? t->rtx_ssrc : 0,
      .msid_track = t->track_id,
  };
  set_extmaps(o, i);
  media_codecs(o, i, t->video, h264, pt, rtx_pt);
}

static int track_with_mid(const brtc_pc *pc, const char *mid) {
  for (size_t t = 0; pc->send && t < pc->send->n; t++)
    if (strcmp(pc->send->tracks[t]->mid, mid) == 0) return (int)t;
  return -1;
}

static const pc_track *recv_with_mid(const brtc_pc *pc, const char *mid) {
  for (size_t t = 0; t < pc->n_tracks; t++)
    if (strcmp(pc->tracks[t]->mid, mid) == 0 && !pc->tracks[t]->stopped) return pc->tracks[t];
  return NULL;
}

/* A track no exchange gave a section yet, not yet in this offer. */
static int next_new_track(const brtc_pc *pc, const bool *placed) {
  for (size_t t = 0; pc->send && t < pc->send->n; t++) {
    const brtc_track *k = pc->send->tracks[t];
    if (!placed[t] && !k->removed && !k->mid[0]) return (int)t;
  }
  return -1;
}

/* A later offer (JSEP 5.2.2): every section of the last exchange, in order and with its mid;
 * a removed track's section stopped (port 0); a stopped one recycled for a new track, with a
 * new mid; then new tracks' sections, and the data section if it is new. */
static void collect_later(brtc_pc *pc, pc_offer *o) {
  const pc_reneg *r = pc->reneg;
  bool placed[PC_MAX_TRACKS] = {false};
  for (size_t k = 0; k < r->n && o->n_sections < BRTC_SDP_MAX_MEDIA; k++) {
    const pc_msection *m = &r->s[k];
    size_t i = o->n_sections++;
    snprintf(o->mids[i], sizeof o->mids[i], "%s", m->mid);
    o->track[i] = -1;
    if (m->kind == BRTC_MEDIA_APPLICATION && !m->stopped) {
      o->sections[i] = (brtc_sdp_offer_section){.kind = BRTC_MEDIA_APPLICATION, .mid = o->mids[i]};
      o->data = true;
      continue;
    }
    int t = m->stopped ? -1 : track_with_mid(pc, m->mid);
    const pc_track *rt = m->stopped ? NULL : recv_with_mid(pc, m->mid);
    bool removed = t >= 0 && pc->send->tracks[t]->removed; /* stopped by us: port 0 now */
    if (removed) t = -1, rt = NULL;
    if (t >= 0) {
      placed[t] = true;
      track_section(o, i, pc->send->tracks[t]);
      o->track[i] = t;
    } else if (rt) {
      recv_section(o, i, rt);
    } else if ((m->stopped || removed) && (t = next_new_track(pc, placed)) >= 0) {
      pc_reneg_new_mid(pc, o->mids, o->n_sections - 1, o->mids[i]); /* recycled: a new mid */
      placed[t] = true;
      track_section(o, i, pc->send->tracks[t]);
      o->track[i] = t;
    } else {
      idle_section(o, i, m->kind == BRTC_MEDIA_AUDIO ? BRTC_MEDIA_AUDIO : BRTC_MEDIA_VIDEO,
                   m->stopped || removed);
    }
  }
  int t;
  while ((t = next_new_track(pc, placed)) >= 0 && o->n_sections < BRTC_SDP_MAX_MEDIA) {
    size_t i = o->n_sections++;
    pc_reneg_new_mid(pc, o->mids, i, o->mids[i]);
    placed[t] = true;
    track_section(o, i, pc->send->tracks[t]);
    o->track[i] = t;
  }
  if (pc->data && !o->data && o->n_sections < BRTC_SDP_MAX_MEDIA) {
    size_t i = o->n_sections++;
    pc_reneg_new_mid(pc, o->mids, i, o->mids[i]);
    o->sections[i] = (brtc_sdp_offer_section){.kind = BRTC_MEDIA_APPLICATION, .mid = o->mids[i]};
    o->track[i] = -1;
    o->data = true;
  }
}

/* What we offer, in order: one section per track, then the data section if a channel was
 * made. Mids are the section's index, as browsers number them. On a live connection, what
 * the last exchange agreed first (collect_later). */
static void collect_sections(brtc_pc *pc, pc_offer *o) {
  o->n_sections = 0;
  o->data = false;
  if (pc_reneg_live(pc)) {
    collect_later(pc, o);
    return;
  }
  for (size_t t = 0; pc->send && t < pc->send->n && o->n_sections < BRTC_SDP_MAX_MEDIA; t++) {
    if (pc->send->tracks[t]->removed) continue;
    size_t i = o->n_sections++;
    snprintf(o->mids[i], sizeof o->mids[i], "%zu", i);
    track_section(o, i, pc->send->tracks[t]);
    o->track[i] = (int)t;
  }
  if (pc->data && o->n_sections < BRTC_SDP_MAX_MEDIA) {
    size_t i = o->n_sections++;
    snprintf(o->mids[i], sizeof o->mids[i], "%zu", i);
    o->sections[i] = (brtc_sdp_offer_section){.kind = BRTC_MEDIA_APPLICATION, .mid = o->mids[i]};
    o->track[i] = -1;
    o->data = true;
  }
}

/* Our side of the offer; the candidate strings live in text. */
static brtc_sdp_offer_params offer_params(const brtc_pc *pc, const pc_offer *o,
                                          char text[][PC_CANDIDATE_LEN], const char **cands,
                                          char *ip, size_t ip_cap) {
  size_t n = pc_local_candidates(pc, text, cands);
  if (n) brtc_addr_ip_str(&pc->host_addrs[0], ip, ip_cap);
  return (brtc_sdp_offer_params){
      .ice_ufrag = pc_ice_local_ufrag(pc),
      .ice_pwd = pc_ice_local_pwd(pc),
      .fingerprint_sha256 = brtc_certificate_fingerprint(pc->certificate),
      .candidates = cands,
      .n_candidates = n,
      .end_of_candidates = pc_gather_complete(pc), /* else trickled (pc_gather.c) */
      .ice_lite = pc_ice_is_lite(pc),
      .ice_trickle = true,       /* brtc_pc_add_ice_candidate takes the peer's */
      .default_address = n ? ip : NULL,
      .default_port = n ? brtc_addr_port(&pc->host_addrs[0]) : 0,
      .cname = pc->cname,
      .session_id = o->session_id,
      .session_version = o->version,
      .sections = o->sections,
      .n_sections = o->n_sections,
  };
}

static pc_offer *offer_of(brtc_pc *pc) {
  if (!pc->offer) {
    pc->offer = calloc(1, sizeof(*pc->offer));
    if (pc->offer) pc->offer->session_id = brtc_random_u64() >> 2; /* below 2^62 */
  }
  return pc->offer;
}

int pc_offer_create(brtc_pc *pc, const char **sdp, char *err, size_t err_cap) {
  pc_offer *o = offer_of(pc);
  char *text = malloc(PC_OFFER_CAP);
  if (!o || !text) {
    free(text);
    set_err(err, err_cap, "out of memory");
    return BRTC_ERR_NOMEM;
  }
  if (!o->applied) collect_sections(pc, o); /* an applied offer's sections are fixed */
  pc_restart_before_offer(pc); /* brtc_pc_restart_ice: the new credentials go in this offer */
  if (o->n_sections == 0) {
    free(text);
    set_err(err, err_cap, "create_offer: nothing to offer (add a track or create a data "
            "channel first)");
    return BRTC_ERR_STATE;
  }
  char cand_text[PC_MAX_SDP_CANDIDATES][PC_CANDIDATE_LEN], ip[BRTC_ADDR_STRLEN];
  const char *cands[PC_MAX_SDP_CANDIDATES];
  o->version++; /* RFC 8829 5.2.2: each new offer a higher version */
  brtc_sdp_offer_params p = offer_params(pc, o, cand_text, cands, ip, sizeof ip);
  int rc = brtc_sdp_write_offer(&p, text, PC_OFFER_CAP, err, err_cap);
  if (rc != BRTC_OK) {
    free(text);
    return rc;
  }
  char *shrunk = realloc(text, strlen(text) + 1); /* keep only what it holds */
  free(o->sdp);
  o->sdp = shrunk ? shrunk : text;
  o->current = true;
  *sdp = o->sdp;
  return BRTC_OK;
}

int pc_offer_apply_local(brtc_pc *pc, const char *sdp, char *err, size_t err_cap) {
  const char *made = pc->offer && pc->offer->current ? pc->offer->sdp : NULL;
  if (!made && sdp) {
    set_err(err, err_cap, "set_local_description(offer): create_offer made no offer to set");
    return BRTC_ERR_INVALID;
  }
  if (!made) { /* W3C: no description means the one create_offer would make */
    int rc = pc_offer_create(pc, &made, err, err_cap);
    if (rc != BRTC_OK) return rc;
  }
  if (sdp && strcmp(sdp, made) != 0) {
    set_err(err, err_cap, "set_local_description(offer): not the offer create_offer made "
            "(we do not take edited SDP)");
    return BRTC_ERR_INVALID;
  }
  pc_offer *o = pc->offer;
  if (pc_reneg_live(pc)) { /* JSEP 5.2.2: ICE roles and DTLS stay as they are */
    o->applied = true;
    o->answered = false;
    char detail[96];
    snprintf(detail, sizeof detail, "our offer to renegotiate: %zu section%s", o->n_sections,
             o->n_sections == 1 ? "" : "s");
    pc_emit_log(pc, detail);
    return BRTC_OK;
  }
  /* RFC 8445 6.1.1, RFC 8829 5.2.1: the offerer's full agent controls (a lite one never). */
  if (!pc_ice_is_lite(pc) && pc_ice_set_controlling(pc, true) != BRTC_OK) {
    set_err(err, err_cap, "set_local_description(offer): the ICE agent cannot take the "
            "controlling role");
    return BRTC_ERR_STATE;
  }
  o->applied = true;
  o->answered = false;
  if (!pc->stats.created_us) pc->stats.created_us = pc->now_us ? pc->now_us : 1;
  char detail[160], cands[48];
  /* With the relay policy no host candidate is offered: the relayed ones trickle later. */
  if (pc_gather_relay_only(pc))
    snprintf(cands, sizeof cands, "relayed candidates only");
  else
    snprintf(cands, sizeof cands, "%zu host candidate%s", pc->n_host_addrs,
             pc->n_host_addrs == 1 ? "" : "s");
  snprintf(detail, sizeof detail, "our offer: %zu section%s%s, setup actpass, %s, %s",
           o->n_sections, o->n_sections == 1 ? "" : "s", o->data ? " with data channels" : "",
           pc_ice_is_lite(pc) ? "ice-lite" : "full ICE, controlling", cands);
  pc_emit_step(pc, BRTC_STEP_OFFER, detail);
  return BRTC_OK;
}

/* The answer's data section, accepted or not. */
static int take_data(brtc_pc *pc, const brtc_sdp_answered *a) {
  if (!a->neg.accepted) {
    pc_emit_log(pc, "the answer rejected the data section: our channels close");
    pc_data_end(pc, false);
    return BRTC_OK;
  }
  return pc_data_negotiated(pc, a->sctp_port, a->max_message_size, a->has_max_message_size);
}

typedef struct answer_work {
  brtc_sdp *answer; /* owned; brtc_sdp_free'd with the rest */
  brtc_sdp_answered answered[BRTC_SDP_MAX_MEDIA];
  brtc_sdp_negotiated tracks[BRTC_SDP_MAX_MEDIA];
  brtc_sdp_negotiated recv[BRTC_SDP_MAX_MEDIA]; /* by the answer's section index */
} answer_work;

/* The answer's track sections: each carries the track we offered on it (the send side), and
 * what the answerer sends us (sendonly or sendrecv from its side) is received as any offer's
 * tracks are: the answer's sections say its SSRCs and feedback. The data section was taken
 * already. */
static int take_tracks(brtc_pc *pc, const pc_offer *o, answer_work *w) {
  brtc_track *tracks[BRTC_SDP_MAX_MEDIA] = {NULL};
  for (size_t i = 0; i < o->n_sections; i++) {
    brtc_sdp_negotiated *neg = &w->tracks[i];
    *neg = w->answered[i].neg;
    neg->send_track = -1;
    if (o->track[i] < 0) continue;
    brtc_track *t = pc->send->tracks[o->track[i]];
    tracks[i] = t;
    bool we_send = t->direction == BRTC_DIRECTION_SENDRECV ||
                   t->direction == BRTC_DIRECTION_SENDONLY;
    brtc_sdp_direction d = w->answered[i].direction; /* RFC 3264 6.1 */
    neg->we_send = we_send && (d == BRTC_DIR_RECVONLY || d == BRTC_DIR_SENDRECV);
    neg->we_receive = d == BRTC_DIR_SENDONLY || d == BRTC_DIR_SENDRECV;
    if (neg->accepted && we_send && !neg->we_send)
      pc_emit_log(pc, "the answer does not receive a track we send: it stays unsent");
  }
  int rc = pc_send_apply(pc, w->tracks, tracks, o->n_sections);
  if (rc != BRTC_OK) return rc;
  bool any_track = false;
  for (size_t i = 0; i < o->n_sections; i++) {
    brtc_sdp_negotiated *g = &w->recv[i];
    *g = w->answered[i].neg;
    brtc_sdp_direction d = w->answered[i].direction;
    g->we_receive = d == BRTC_DIR_SENDONLY || d == BRTC_DIR_SENDRECV;
    g->we_send = false;
    g->send_track = -1; /* the send side was taken above */
    bool media = o->sections[i].kind != BRTC_MEDIA_APPLICATION;
    any_track = any_track || media;
    /* A rejected section stays in so that a track we received on it stops. */
    /* Sections it does not send on are skipped, rejected ones kept (a track we received on
     * stops with them); the data section was taken already. */
    if (!g->we_receive) g->payload_type = -1;
    if (!media) g->accepted = false, g->kind = BRTC_MEDIA_OTHER;
  }
  if (!any_track) return BRTC_OK;
  return pc_signaling_take_negotiated(pc, w->answer, w->recv) ? BRTC_OK : BRTC_ERR_NOMEM;
}

/* The exchange is over: what it agreed is what the next offer starts from. */
static int finish(brtc_pc *pc, pc_offer *o, const answer_work *w,
                  const brtc_sdp_answer_transport *t) {
  brtc_sdp_negotiated neg[BRTC_SDP_MAX_MEDIA];
  for (size_t i = 0; i < o->n_sections; i++) neg[i] = w->answered[i].neg;
  int rc = pc_reneg_record(pc, neg, o->n_sections, t->ice_ufrag, t->ice_pwd, t->fingerprint);
  o->answered = true;
  o->applied = o->current = false;
  return rc;
}

int pc_offer_apply_answer(brtc_pc *pc, const char *sdp, char *err, size_t err_cap) {
  pc_offer *o = pc->offer;
  size_t len = strlen(sdp);
  if (len > BRTC_SDP_MAX_SIZE) {
    set_err(err, err_cap, "answer too large");
    return BRTC_ERR_TOO_BIG;
  }
  answer_work *w = calloc(1, sizeof(*w)); /* freed before we return */
  if (!w) {
    set_err(err, err_cap, "out of memory");
    return BRTC_ERR_NOMEM;
  }
  char cand_text[PC_MAX_SDP_CANDIDATES][PC_CANDIDATE_LEN], ip[BRTC_ADDR_STRLEN];
  const char *cands[PC_MAX_SDP_CANDIDATES];
  brtc_sdp_offer_params p = offer_params(pc, o, cand_text, cands, ip, sizeof ip);
  brtc_sdp_answer_transport t;
  int rc = brtc_sdp_parse(sdp, len, &w->answer, err, err_cap);
  if (rc == BRTC_OK) rc = brtc_sdp_check_answer(&p, w->answer, w->answered, &t, err, err_cap);
  if (rc != BRTC_OK) goto out;
  uint8_t fp[BRTC_DTLS_SHA256_LEN];
  rc = BRTC_ERR_PARSE;
  if (brtc_dtls_fingerprint_parse(t.fingerprint, fp) != BRTC_OK) {
    set_err(err, err_cap, "answer a=fingerprint sha-256 value is not 32 hex bytes separated by "
            "colons");
    goto out;
  }
  rc = BRTC_ERR_UNSUPPORTED;
  if (t.ice_lite && pc_ice_is_lite(pc)) { /* RFC 8445 6.1.1: someone must send checks */
    set_err(err, err_cap, "the answerer is ICE-lite, as we are: neither side sends checks");
    goto out;
  }
  /* RFC 8842 5.2: the answerer chose; active means it is the DTLS client. */
  bool client = t.setup == BRTC_SETUP_PASSIVE;
  bool live = pc_reneg_live(pc);
  if (live) { /* a later answer: the same transport (RFC 8842 5.5: the same DTLS role) */
    rc = pc_reneg_check_transport(pc, t.ice_ufrag, t.ice_pwd, t.fingerprint, err, err_cap);
    if (rc != BRTC_OK) goto out;
    if (client != pc->dtls_client) {
      set_err(err, err_cap, "the answer changes the DTLS role on a live connection");
      rc = BRTC_ERR_UNSUPPORTED;
      goto out;
    }
    /* The answer to our restart, or a peer that restarts in its answer (RFC 8445 9). */
    if (pc->ice_restart_offered || pc_restart_creds_changed(pc, t.ice_ufrag, t.ice_pwd)) {
      const brtc_sdp_media *rm = &w->answer->media[t.section];
      rc = pc_restart_take_remote(pc, t.ice_ufrag, t.ice_pwd, t.ice_lite, rm->candidates,
                                  rm->n_candidates, brtc_sdp_end_of_candidates(w->answer, rm),
                                  false, err, err_cap);
      if (rc != BRTC_OK) goto out;
    } else if (brtc_sdp_end_of_candidates(w->answer, &w->answer->media[t.section])) {
      pc_ice_remote_ended(pc); /* the same generation, its candidates now all known */
    }
  }
  for (size_t i = 0; i < o->n_sections; i++) {
    if (o->sections[i].kind != BRTC_MEDIA_APPLICATION) continue;
    if (live && pc_data_active(pc)) continue; /* the association goes on */
    rc = take_data(pc, &w->answered[i]);
    if (rc != BRTC_OK) {
      set_err(err, err_cap, "out of memory");
      goto out;
    }
  }
  rc = take_tracks(pc, o, w);
  if (rc != BRTC_OK) {
    set_err(err, err_cap, "out of memory");
    if (!live) pc_data_forget_offer(pc);
    goto out;
  }
  if (live) {
    rc = finish(pc, o, w, &t);
    if (rc == BRTC_OK) pc_emit_log(pc, "renegotiated (our offer): the answer is taken");
    goto out;
  }
  if (pc_transport_setup_dtls(pc, client, t.fingerprint) != BRTC_OK) {
    set_err(err, err_cap, "cannot create the DTLS session");
    pc_data_forget_offer(pc);
    pc_send_forget(pc);
    rc = BRTC_ERR_CRYPTO;
    goto out;
  }
  /* ICE last, once the answer is taken: as the controlling agent we start checking here,
   * toward the candidates the answer has (others may trickle in). */
  const brtc_sdp_media *tm = &w->answer->media[t.section];
  if (pc_ice_set_remote(pc, t.ice_ufrag, t.ice_pwd, t.ice_lite, tm->candidates, tm->n_candidates,
                        brtc_sdp_end_of_candidates(w->answer, tm)) != BRTC_OK) {
    set_err(err, err_cap, "bad remote ICE credentials in the answer");
    brtc_dtls_free(pc->dtls);
    pc->dtls = NULL;
    pc_data_forget_offer(pc);
    pc_send_forget(pc);
    rc = BRTC_ERR_PARSE;
    goto out;
  }
  rc = finish(pc, o, w, &t);
  if (rc != BRTC_OK) goto out;
  pc->have_remote = true;
  pc->setup_deadline = pc->now_us + PC_SETUP_TIMEOUT_US;
  if (pc->ice_check_timeout_us) pc->check_deadline = pc->now_us + pc->ice_check_timeout_us;
  char detail[160];
  snprintf(detail, sizeof detail, "answer accepted: setup %s (we are the DTLS %s)%s%s",
           t.setup == BRTC_SETUP_ACTIVE ? "active" : "passive",
           pc->dtls_client ? "client" : "server", pc_data_active(pc) ? ", data channels" : "",
           t.ice_lite ? ", the answerer is ICE-lite" : "");
  pc_emit_step(pc, BRTC_STEP_ANSWER, detail);
out:
  brtc_sdp_free(w->answer);
  free(w);
  return rc;
}

void pc_offer_rollback(brtc_pc *pc) {
  pc_offer *o = pc->offer;
  if (!o) return;
  free(o->sdp);
  o->sdp = NULL;
  o->applied = o->current = false;
  pc_restart_rollback(pc);
  if (pc_reneg_live(pc)) return; /* JSEP 5.7: back to what the last exchange agreed */
  if (!pc_ice_is_lite(pc)) pc_ice_set_controlling(pc, false); /* the next remote offer's */
  pc->steps_done[BRTC_STEP_OFFER] = false; /* the next offer is the journey's first step */
  pc->step_at_us[BRTC_STEP_OFFER] = 0;
}

bool pc_offer_has_data(const brtc_pc *pc) { return pc->offer && pc->offer->applied && pc->offer->data; }

bool pc_offer_pending(const brtc_pc *pc) {
  return pc->offer && pc->offer->applied && !pc->offer->answered;
}

void pc_offer_free(brtc_pc *pc) {
  if (!pc->offer) return;
  free(pc->offer->sdp);
  free(pc->offer);
  pc->offer = NULL;
}

const char *pc_offer_local_sdp(const brtc_pc *pc) {
  return pc->offer && pc->offer->applied ? pc->offer->sdp : NULL;
}

const char *pc_offer_last_sdp(const brtc_pc *pc) { return pc->offer ? pc->offer->sdp : NULL; }
