/* Offer in, answer out: validate the remote offer, keep the few values the session needs
 * (ICE credentials, fingerprint, DTLS role, payload types, SSRCs), write the answer. The
 * parsed offer is large and freed before returning. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pc/pc_internal.h"
#include "pc/pc_reneg.h"
#include "pc/pc_restart.h"
#include "pc/pc_send.h"
#include "sdp/sdp.h"
#include "sdp/sdp_offer.h"

#define PC_ANSWER_CAP (32 * 1024)
#define PC_HOST_TYPE_PREFERENCE 126u

static void set_err(char *err, size_t cap, const char *msg) {
  if (err && cap) snprintf(err, cap, "%s", msg);
}

/* RFC 8445 5.1.2.1: (2^24)*type + (2^8)*local + (256 - component). */
static uint32_t host_priority(size_t index) {
  uint32_t local = 65535u - (uint32_t)index;
  return (PC_HOST_TYPE_PREFERENCE << 24) | (local << 8) | (256u - 1u);
}

size_t pc_signaling_host_candidates(const brtc_pc *pc, char text[][PC_CANDIDATE_LEN],
                                    const char **cands) {
  for (size_t i = 0; i < pc->n_host_addrs; i++) {
    char ip[BRTC_ADDR_STRLEN];
    brtc_addr_ip_str(&pc->host_addrs[i], ip, sizeof(ip));
    snprintf(text[i], PC_CANDIDATE_LEN, "candidate:%zu 1 udp %u %s %u typ host", i + 1,
             (unsigned)host_priority(i), ip, (unsigned)brtc_addr_port(&pc->host_addrs[i]));
    cands[i] = text[i];
  }
  return pc->n_host_addrs;
}

/* The m-section whose ICE and DTLS parameters count: the BUNDLE tag, else the first. */
static const brtc_sdp_media *transport_section(const brtc_sdp *s) {
  if (s->n_bundle_mids > 0) {
    for (size_t i = 0; i < s->n_media; i++)
      if (strcmp(s->media[i].mid, s->bundle_mids[0]) == 0) return &s->media[i];
  }
  return s->n_media > 0 ? &s->media[0] : NULL;
}

/* One track per accepted audio or video section (RFC 8843: several may share the bundle,
 * and their payload types), and the data section; false if none, or out of memory. offer
 * is the remote description: the offer we answer, or for the offerer the answer
 * (pc_offer.c), whose sections say the SSRCs and feedback of what comes to us. */
static pc_track *track_with_mid(const brtc_pc *pc, const char *mid) {
  for (size_t i = 0; i < pc->n_tracks; i++)
    if (strcmp(pc->tracks[i]->mid, mid) == 0) return pc->tracks[i];
  return NULL;
}

/* A new receive track from a later exchange (RTCTrackEvent; the first exchange's are
 * brtc_pc_track_count's, as they always were); its mid lives as long as the pc. */
static void emit_track(brtc_pc *pc, const pc_track *t) {
  brtc_output ev = {.event = BRTC_EVENT_TRACK, .step = PC_STEP_NONE, .mid = t->mid,
                    .track = t->index,
                    .codec = !t->video ? "opus" : t->h264 ? "H264" : "VP8"};
  pc_push_event(pc, &ev);
}

bool pc_signaling_take_negotiated(brtc_pc *pc, const brtc_sdp *offer,
                                  const brtc_sdp_negotiated *neg) {
  bool have_rsize = pc->n_tracks > 0; /* a later exchange keeps the bundle's RTCP choice */
  for (size_t i = 0; i < offer->n_media; i++) {
    const brtc_sdp_negotiated *n = &neg[i];
    /* A later exchange (JSEP 5.2.2): a section we receive on already keeps its track, or
     * stops with its section; only new sections add tracks. */
    pc_track *known = n->kind != BRTC_MEDIA_APPLICATION ? track_with_mid(pc, n->mid) : NULL;
    if (known) {
      if (!n->accepted && !known->stopped) {
        known->stopped = true;
        char detail[96];
        snprintf(detail, sizeof detail, "mid %s stopped: its track receives no more", n->mid);
        pc_emit_log(pc, detail);
      }
      continue;
    }
    if (n->accepted && n->kind == BRTC_MEDIA_APPLICATION && pc_data_active(pc)) continue;
    if (n->accepted && n->kind == BRTC_MEDIA_APPLICATION) { /* RFC 8841 5, 6 */
      const brtc_sdp_media *m = &offer->media[i];
      uint16_t port = m->sctp_port ? m->sctp_port : m->sctpmap_port;
      if (pc_data_negotiated(pc, port, m->max_message_size,
                             m->has_max_message_size) != BRTC_OK)
        return false;
      continue;
    }
    if (!n->accepted || n->payload_type < 0) continue;
    if (n->send_track >= 0 && !n->we_receive) continue; /* a section we only send on */
    const brtc_sdp_media *m = &offer->media[i];
    if (n->kind == BRTC_MEDIA_APPLICATION) continue;
    pc_track t;
    memset(&t, 0, sizeof(t));
    snprintf(t.mid, sizeof(t.mid), "%s", n->mid);
    t.pt = n->payload_type;
    t.rtx_pt = -1;
    /* The media SSRC: the FID group's first, else the first a=ssrc. */
    t.offered_ssrc = m->fid_media_ssrc ? m->fid_media_ssrc : m->n_ssrcs ? m->ssrcs[0] : 0;
    bool h264 = strcasecmp(n->codec, "H264") == 0;
    if (n->kind == BRTC_MEDIA_VIDEO && (strcasecmp(n->codec, "VP8") == 0 || h264)) {
      t.video = true;
      t.h264 = h264;
      t.rtx_pt = n->rtx_payload_type;
      t.offered_rtx_ssrc = t.rtx_pt >= 0 ? m->fid_rtx_ssrc : 0;
      t.clock = n->clock_rate ? n->clock_rate : 90000;
      t.max_bps = pc->max_video_bps;
      for (size_t c = 0; c < m->n_codecs; c++) {
        if (m->codecs[c].payload_type != n->payload_type) continue;
        t.fb_nack = m->codecs[c].fb_nack;
        t.fb_pli = m->codecs[c].fb_nack_pli;
        t.fb_fir = m->codecs[c].fb_ccm_fir;
        t.fb_remb = m->codecs[c].fb_goog_remb;
      }
    } else if (n->kind == BRTC_MEDIA_AUDIO) {
      t.clock = n->clock_rate ? n->clock_rate : 48000;
    } else {
      continue;
    }
    /* One RTCP stream for the bundle: the first video section's choice, else the first. */
    if (!have_rsize || (t.video && !pc->any_video)) pc->rtcp_rsize = m->rtcp_rsize;
    have_rsize = true;
    /* RFC 8285 asks one id per URI across a bundle; the first section's is the one used. */
    if (!pc->ext_mid_id && n->ext_mid) pc->ext_mid_id = n->ext_mid;
    if (pc_media_add_track(pc, &t) != BRTC_OK) return false;
    if (pc_reneg_live(pc)) emit_track(pc, pc->tracks[pc->n_tracks - 1]);
  }
  return pc->n_tracks > 0 || pc_data_active(pc) || pc_send_any(pc);
}

static void describe_media(const brtc_sdp_negotiated *neg, size_t n, char *out, size_t cap) {
  size_t used = 0;
  out[0] = '\0';
  for (size_t i = 0; i < n && used < cap; i++) {
    const brtc_sdp_negotiated *g = &neg[i];
    bool is_video = g->kind == BRTC_MEDIA_VIDEO, is_audio = g->kind == BRTC_MEDIA_AUDIO;
    if (!g->accepted || g->payload_type < 0 || !(is_video || is_audio)) continue;
    int w = snprintf(out + used, cap - used, "%s%s %s/%u pt %d", used ? ", " : "",
                     is_video ? "video" : "audio", g->codec, (unsigned)g->clock_rate,
                     g->payload_type);
    if (w < 0) break;
    used += (size_t)w;
    if (is_video && g->rtx_payload_type >= 0 && used < cap) {
      w = snprintf(out + used, cap - used, " rtx %d", g->rtx_payload_type);
      if (w < 0) break;
      used += (size_t)w;
    }
    if (used < cap) {
      w = snprintf(out + used, cap - used, " mid %s", g->mid);
      if (w < 0) break;
      used += (size_t)w;
    }
  }
  for (size_t i = 0; i < n && used < cap; i++) {
    if (!neg[i].accepted || neg[i].kind != BRTC_MEDIA_APPLICATION) continue;
    int w = snprintf(out + used, cap - used, "%sdata channels mid %s", used ? ", " : "",
                     neg[i].mid);
    if (w > 0) used += (size_t)w;
  }
}

/* A later offer was answered (the tracks and streams are taken): the new answer replaces
 * the last, and ICE and DTLS go on as they were. */
static int renegotiated(brtc_pc *pc, const brtc_sdp *offer, const brtc_sdp_negotiated *neg,
                        const char *answer, char *err, size_t err_cap) {
  char *copy = malloc(strlen(answer) + 1);
  if (!copy) {
    set_err(err, err_cap, "out of memory");
    return BRTC_ERR_NOMEM;
  }
  memcpy(copy, answer, strlen(answer) + 1);
  free(pc->answer);
  pc->answer = copy;
  char detail[360], media[320];
  describe_media(neg, offer->n_media, media, sizeof(media));
  snprintf(detail, sizeof detail, "renegotiated (their offer): %s", media);
  pc_emit_log(pc, detail);
  return BRTC_OK;
}

int pc_signaling_set_offer(brtc_pc *pc, const char *sdp, char *err, size_t err_cap) {
  bool live = pc_reneg_live(pc); /* a later offer on a live connection (JSEP 5.2.2) */
  size_t sdp_len = strlen(sdp);
  if (sdp_len > BRTC_SDP_MAX_SIZE) {
    set_err(err, err_cap, "offer too large");
    return BRTC_ERR_TOO_BIG;
  }
  brtc_sdp *offer = NULL; /* owned; sized by what the offer holds (brtc_sdp_parse) */
  char *answer = malloc(PC_ANSWER_CAP);
  brtc_sdp_negotiated *neg = calloc(BRTC_SDP_MAX_MEDIA, sizeof(*neg));
  int rc = BRTC_ERR_NOMEM;
  if (!answer || !neg) {
    set_err(err, err_cap, "out of memory");
    goto out;
  }
  rc = brtc_sdp_parse(sdp, sdp_len, &offer, err, err_cap);
  if (rc != BRTC_OK) goto out;

  rc = BRTC_ERR_PARSE;
  const brtc_sdp_media *tm = transport_section(offer);
  if (!tm) {
    set_err(err, err_cap, "offer has no media section");
    goto out;
  }
  const char *ufrag = brtc_sdp_ice_ufrag(offer, tm);
  const char *pwd = brtc_sdp_ice_pwd(offer, tm);
  if (!ufrag || !*ufrag || !pwd || !*pwd) {
    set_err(err, err_cap, "offer has no a=ice-ufrag/a=ice-pwd");
    goto out;
  }
  const char *hash = NULL;
  const char *fingerprint = brtc_sdp_fingerprint(offer, tm, &hash);
  if (!fingerprint || !*fingerprint) {
    set_err(err, err_cap, "offer has no a=fingerprint");
    goto out;
  }
  if (!hash || strcasecmp(hash, "sha-256") != 0) {
    if (err) snprintf(err, err_cap, "fingerprint hash \"%s\" not supported (only sha-256)",
                      hash ? hash : "");
    rc = BRTC_ERR_UNSUPPORTED;
    goto out;
  }
  uint8_t fingerprint_bytes[BRTC_DTLS_SHA256_LEN];
  if (brtc_dtls_fingerprint_parse(fingerprint, fingerprint_bytes) != BRTC_OK) {
    set_err(err, err_cap, "a=fingerprint sha-256 value is not 32 hex bytes separated by colons");
    rc = BRTC_ERR_PARSE;
    goto out;
  }
  /* Mirror an offer that chose; to actpass answer as configured (RFC 8842: active). */
  brtc_sdp_setup remote_setup = brtc_sdp_setup_of(offer, tm);
  brtc_sdp_setup our_setup = BRTC_SETUP_ACTIVE;
  if (remote_setup == BRTC_SETUP_ACTIVE ||
      (remote_setup == BRTC_SETUP_ACTPASS && pc->dtls_role == BRTC_DTLS_ROLE_PASSIVE))
    our_setup = BRTC_SETUP_PASSIVE;
  if (live) { /* the same transport, or nothing (RFC 8842 5.5: the DTLS role stays) */
    rc = pc_reneg_check_transport(pc, ufrag, pwd, fingerprint, err, err_cap);
    if (rc != BRTC_OK) goto out;
    our_setup = pc->dtls_client ? BRTC_SETUP_ACTIVE : BRTC_SETUP_PASSIVE;
  }
  if (strlen(ufrag) > BRTC_ICE_CRED_MAX || strlen(pwd) > BRTC_ICE_CRED_MAX || strchr(ufrag, ':')) {
    set_err(err, err_cap, "bad remote ICE credentials");
    rc = BRTC_ERR_INVALID;
    goto out;
  }
  /* Their ICE restart (RFC 8445 9): our agent restarts before the answer is written, so that
   * it carries our new credentials (JSEP 5.3.1). */
  if (live && pc_restart_creds_changed(pc, ufrag, pwd)) {
    rc = pc_restart_take_remote(pc, ufrag, pwd, offer->ice_lite, tm->candidates,
                                tm->n_candidates, brtc_sdp_end_of_candidates(offer, tm), true,
                                err, err_cap);
    if (rc != BRTC_OK) goto out;
  } else if (live && brtc_sdp_end_of_candidates(offer, tm)) {
    pc_ice_remote_ended(pc); /* the same generation, its candidates now all known */
  }

  char cand_text[PC_MAX_SDP_CANDIDATES][PC_CANDIDATE_LEN];
  const char *cands[PC_MAX_SDP_CANDIDATES];
  size_t n_cands = pc_local_candidates(pc, cand_text, cands);
  brtc_sdp_send_track send_tracks[PC_MAX_TRACKS];
  size_t n_send = pc_send_answer_tracks(pc, send_tracks);
  brtc_sdp_answer_params params = {
      .send_tracks = send_tracks,
      .n_send_tracks = n_send,
      .ice_ufrag = pc_ice_local_ufrag(pc),
      .ice_pwd = pc_ice_local_pwd(pc),
      .fingerprint_sha256 = brtc_certificate_fingerprint(pc->certificate),
      .setup = our_setup,
      .candidates = cands,
      .n_candidates = n_cands,
      .more_candidates = !pc_gather_complete(pc), /* trickled (pc_gather.c) */
      .ice_lite = pc_ice_is_lite(pc),
      .accept_video = true,
      .accept_audio = true,
      .accept_data = pc->datachannels,
      .send_video = false,
      .video_ssrc = 0,
      .cname = pc->cname,
      .video_start_bitrate_kbps = pc->start_video_bps / 1000,
      /* Fixed or sized, the ceiling is known; unknown (WHIP), the sender may go as high as
       * the table's top and our REMB holds it to its size once its first keyframe says it. */
      .video_max_bitrate_kbps = (pc->bitrate_fixed || (pc->hint_width && pc->hint_height)
                                     ? pc->max_video_bps
                                     : brtc_video_bitrate_top_bps()) / 1000,
  };
  rc = brtc_sdp_write_answer(offer, &params, answer, PC_ANSWER_CAP, neg, err, err_cap);
  if (rc != BRTC_OK) goto out;
  if (live && !pc->reneg->applying) { /* checked; applied when the answer is asked for */
    rc = pc_reneg_hold_offer(pc, sdp);
    if (rc != BRTC_OK) set_err(err, err_cap, "out of memory");
    goto out;
  }
  rc = pc_send_negotiated(pc, neg, offer->n_media);
  if (rc != BRTC_OK) {
    set_err(err, err_cap, "out of memory");
    goto out;
  }
  if (!pc_signaling_take_negotiated(pc, offer, neg)) {
    set_err(err, err_cap, pc->datachannels
                              ? "offer has no VP8 video, Opus audio or data channels we can receive"
                              : "offer has no VP8 video or Opus audio we can receive");
    rc = BRTC_ERR_UNSUPPORTED;
    goto out;
  }

  /* What this exchange agreed is what a later one starts from (pc_reneg.h). */
  if (pc_reneg_record(pc, neg, offer->n_media, ufrag, pwd, fingerprint) != BRTC_OK) {
    set_err(err, err_cap, "out of memory");
    rc = BRTC_ERR_NOMEM;
    goto out;
  }
  if (live) {
    rc = renegotiated(pc, offer, neg, answer, err, err_cap);
    goto out;
  }
  if (pc_transport_setup_dtls(pc, our_setup == BRTC_SETUP_ACTIVE, fingerprint) != BRTC_OK) {
    set_err(err, err_cap, "cannot create the DTLS session");
    rc = BRTC_ERR_CRYPTO;
    goto out;
  }
  size_t answer_len = strlen(answer);
  pc->answer = malloc(answer_len + 1); /* keep only what it holds */
  if (!pc->answer) {
    brtc_dtls_free(pc->dtls);
    pc->dtls = NULL;
    set_err(err, err_cap, "out of memory");
    rc = BRTC_ERR_NOMEM;
    goto out;
  }
  memcpy(pc->answer, answer, answer_len + 1);
  pc->have_remote = true;
  pc->setup_deadline = pc->now_us + PC_SETUP_TIMEOUT_US;
  /* ICE last, once the offer is accepted: a full agent starts checking here. */
  (void)pc_ice_set_remote(pc, ufrag, pwd, offer->ice_lite, tm->candidates, tm->n_candidates,
                          brtc_sdp_end_of_candidates(offer, tm));

  char detail[320];
  describe_media(neg, offer->n_media, detail, sizeof(detail));
  pc_emit_step(pc, BRTC_STEP_OFFER, detail);
  char tcp[48] = "";
  if (pc->n_tcp_addrs) /* RFC 6544: a tcptype passive candidate each */
    snprintf(tcp, sizeof(tcp), " and %zu ICE-TCP passive", pc->n_tcp_addrs);
  snprintf(detail, sizeof(detail), "setup %s (offer %s), %s, %zu host candidate%s%s",
           brtc_sdp_setup_name(our_setup), brtc_sdp_setup_name(remote_setup),
           pc_ice_is_lite(pc) ? "ice-lite" : "full ICE", pc->n_host_addrs,
           pc->n_host_addrs == 1 ? "" : "s", tcp);
  pc_emit_step(pc, BRTC_STEP_ANSWER, detail);
  rc = BRTC_OK;
out:
  if (rc != BRTC_OK && !live) {
    pc_reneg_free(pc);
    pc_media_free(pc);
    pc_send_forget(pc);
    pc_data_forget_offer(pc); /* channels made before it stay, waiting */
    pc->ext_mid_id = 0;
    pc->any_video = false;
  }
  free(neg);
  free(answer);
  brtc_sdp_free(offer);
  return rc;
}

void pc_signaling_forget_offer(brtc_pc *pc) {
  pc_reneg_free(pc); /* the first offer only: a later one is never rolled back (pc_jsep.c) */
  pc_media_free(pc);
  pc_data_forget_offer(pc);
  pc->ext_mid_id = 0;
  pc->any_video = false;
  brtc_dtls_free(pc->dtls);
  pc->dtls = NULL;
  free(pc->answer);
  pc->answer = NULL;
  pc->have_remote = false;
  pc->setup_deadline = PC_NEVER;
  pc->check_deadline = PC_NEVER;
  /* The agent saw the offer's credentials and may have checked: it starts again with new
   * ones of its own (RFC 8445 9), so nothing of the rolled-back offer connects. */
  if (pc->ice_remote_set) brtc_ice_transport_restart(pc->ice, pc->now_us);
  pc->ice_remote_set = false;
  pc->have_media_addr = false;
  /* A later offer is a new journey's first steps. */
  pc->steps_done[BRTC_STEP_OFFER] = pc->steps_done[BRTC_STEP_ANSWER] = false;
  pc->step_at_us[BRTC_STEP_OFFER] = pc->step_at_us[BRTC_STEP_ANSWER] = 0;
}
