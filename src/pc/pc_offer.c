/* The offerer (RFC 8829 5.2, 5.3.1 read from the offer's side): what we offer is a list of
 * sections (the data section for our channels; tracks add theirs here), written by
 * brtc_sdp_write_offer; the answer is checked against that same list
 * (brtc_sdp_check_answer) before its transport, DTLS role and data section are taken. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/random.h"
#include "pc/pc_internal.h"
#include "sdp/sdp_offer.h"

#define PC_OFFER_CAP (16 * 1024)
#define PC_MID_TEXT 8

typedef struct pc_offer {
  char *sdp;            /* the last offer made; NULL after a rollback */
  bool applied;         /* set as the local description, waiting for the answer */
  bool answered;
  uint64_t session_id, version;
  brtc_sdp_offer_section sections[BRTC_SDP_MAX_MEDIA];
  char mids[BRTC_SDP_MAX_MEDIA][PC_MID_TEXT];
  size_t n_sections;
  bool data;            /* one of them is the data section */
} pc_offer;

static void set_err(char *err, size_t cap, const char *msg) {
  if (err && cap) snprintf(err, cap, "%s", msg);
}

/* What we offer, in order: tracks (when they come) and then the data section, if a channel
 * was made. Mids are the section's index, as browsers number them. */
static void collect_sections(brtc_pc *pc, pc_offer *o) {
  o->n_sections = 0;
  o->data = false;
  if (pc->data) {
    size_t i = o->n_sections++;
    snprintf(o->mids[i], sizeof o->mids[i], "%zu", i);
    o->sections[i] = (brtc_sdp_offer_section){.kind = BRTC_MEDIA_APPLICATION, .mid = o->mids[i]};
    o->data = true;
  }
}

/* Our side of the offer; the candidate strings live in text. */
static brtc_sdp_offer_params offer_params(const brtc_pc *pc, const pc_offer *o,
                                          char text[][PC_CANDIDATE_LEN], const char **cands,
                                          char *ip, size_t ip_cap) {
  size_t n = pc_signaling_host_candidates(pc, text, cands);
  if (n) brtc_addr_ip_str(&pc->host_addrs[0], ip, ip_cap);
  return (brtc_sdp_offer_params){
      .ice_ufrag = pc_ice_local_ufrag(pc),
      .ice_pwd = pc_ice_local_pwd(pc),
      .fingerprint_sha256 = brtc_certificate_fingerprint(pc->certificate),
      .candidates = cands,
      .n_candidates = n,
      .end_of_candidates = true, /* host candidates only: all known at once */
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
  if (o->n_sections == 0) {
    free(text);
    set_err(err, err_cap, "create_offer: nothing to offer (create a data channel first)");
    return BRTC_ERR_STATE;
  }
  char cand_text[PC_MAX_HOST_ADDRS][PC_CANDIDATE_LEN], ip[BRTC_ADDR_STRLEN];
  const char *cands[PC_MAX_HOST_ADDRS];
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
  *sdp = o->sdp;
  return BRTC_OK;
}

int pc_offer_apply_local(brtc_pc *pc, const char *sdp, char *err, size_t err_cap) {
  const char *made = pc->offer ? pc->offer->sdp : NULL;
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
  /* RFC 8445 6.1.1, RFC 8829 5.2.1: the offerer's full agent controls (a lite one never). */
  if (!pc_ice_is_lite(pc) && pc_ice_set_controlling(pc, true) != BRTC_OK) {
    set_err(err, err_cap, "set_local_description(offer): the ICE agent cannot take the "
            "controlling role");
    return BRTC_ERR_STATE;
  }
  o->applied = true;
  if (!pc->stats.created_us) pc->stats.created_us = pc->now_us ? pc->now_us : 1;
  char detail[160];
  snprintf(detail, sizeof detail, "our offer: %zu section%s%s, setup actpass, %s, %zu host "
           "candidate%s", o->n_sections, o->n_sections == 1 ? "" : "s",
           o->data ? " with data channels" : "",
           pc_ice_is_lite(pc) ? "ice-lite" : "full ICE, controlling", pc->n_host_addrs,
           pc->n_host_addrs == 1 ? "" : "s");
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
  brtc_sdp answer;
  brtc_sdp_answered answered[BRTC_SDP_MAX_MEDIA];
} answer_work;

int pc_offer_apply_answer(brtc_pc *pc, const char *sdp, char *err, size_t err_cap) {
  pc_offer *o = pc->offer;
  size_t len = strlen(sdp);
  if (len > BRTC_SDP_MAX_SIZE) {
    set_err(err, err_cap, "answer too large");
    return BRTC_ERR_TOO_BIG;
  }
  answer_work *w = malloc(sizeof(*w)); /* the parsed answer is large: freed before we return */
  if (!w) {
    set_err(err, err_cap, "out of memory");
    return BRTC_ERR_NOMEM;
  }
  char cand_text[PC_MAX_HOST_ADDRS][PC_CANDIDATE_LEN], ip[BRTC_ADDR_STRLEN];
  const char *cands[PC_MAX_HOST_ADDRS];
  brtc_sdp_offer_params p = offer_params(pc, o, cand_text, cands, ip, sizeof ip);
  brtc_sdp_answer_transport t;
  int rc = brtc_sdp_parse(sdp, len, &w->answer, err, err_cap);
  if (rc == BRTC_OK) rc = brtc_sdp_check_answer(&p, &w->answer, w->answered, &t, err, err_cap);
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
  for (size_t i = 0; i < o->n_sections; i++) {
    if (o->sections[i].kind != BRTC_MEDIA_APPLICATION) continue;
    rc = take_data(pc, &w->answered[i]);
    if (rc != BRTC_OK) {
      set_err(err, err_cap, "out of memory");
      goto out;
    }
  }
  if (pc_transport_setup_dtls(pc, client, t.fingerprint) != BRTC_OK) {
    set_err(err, err_cap, "cannot create the DTLS session");
    pc_data_forget_offer(pc);
    rc = BRTC_ERR_CRYPTO;
    goto out;
  }
  /* ICE last, once the answer is taken: as the controlling agent we start checking here,
   * toward the candidates the answer has (others may trickle in). */
  const brtc_sdp_media *tm = &w->answer.media[t.section];
  const char *remote_cands[BRTC_SDP_MAX_CANDIDATES];
  for (size_t i = 0; i < tm->n_candidates; i++) remote_cands[i] = tm->candidates[i];
  if (pc_ice_set_remote(pc, t.ice_ufrag, t.ice_pwd, t.ice_lite, remote_cands, tm->n_candidates,
                        false) != BRTC_OK) {
    set_err(err, err_cap, "bad remote ICE credentials in the answer");
    brtc_dtls_free(pc->dtls);
    pc->dtls = NULL;
    pc_data_forget_offer(pc);
    rc = BRTC_ERR_PARSE;
    goto out;
  }
  o->answered = true;
  pc->have_remote = true;
  pc->setup_deadline = pc->now_us + PC_SETUP_TIMEOUT_US;
  if (pc->ice_check_timeout_us) pc->check_deadline = pc->now_us + pc->ice_check_timeout_us;
  char detail[160];
  snprintf(detail, sizeof detail, "answer accepted: setup %s (we are the DTLS %s)%s%s",
           t.setup == BRTC_SETUP_ACTIVE ? "active" : "passive",
           pc->dtls_client ? "client" : "server", pc_data_active(pc) ? ", data channels" : "",
           t.ice_lite ? ", the answerer is ICE-lite" : "");
  pc_emit_step(pc, BRTC_STEP_ANSWER, detail);
  rc = BRTC_OK;
out:
  free(w);
  return rc;
}

void pc_offer_rollback(brtc_pc *pc) {
  pc_offer *o = pc->offer;
  if (!o) return;
  free(o->sdp);
  o->sdp = NULL;
  o->applied = false;
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
