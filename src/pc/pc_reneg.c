/* Renegotiation (pc_reneg.h): the session the last exchange agreed, the checks a later
 * description passes, and the track calls that need one (JSEP 4.1.1's negotiationneeded). */
#include "pc/pc_reneg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pc/pc_send.h"

bool pc_reneg_live(const brtc_pc *pc) { return pc->reneg && pc->reneg->exchanges > 0; }

int pc_reneg_record(brtc_pc *pc, const brtc_sdp_negotiated *neg, size_t n, const char *ufrag,
                    const char *pwd, const char *fingerprint) {
  if (!pc->reneg && !(pc->reneg = calloc(1, sizeof(*pc->reneg)))) return BRTC_ERR_NOMEM;
  pc_reneg *r = pc->reneg;
  r->n = 0;
  for (size_t i = 0; i < n && i < BRTC_SDP_MAX_MEDIA; i++) {
    pc_msection *s = &r->s[r->n++];
    snprintf(s->mid, sizeof s->mid, "%s", neg[i].mid);
    s->kind = neg[i].kind;
    s->stopped = !neg[i].accepted;
  }
  snprintf(r->remote_ufrag, sizeof r->remote_ufrag, "%s", ufrag);
  snprintf(r->remote_pwd, sizeof r->remote_pwd, "%s", pwd);
  snprintf(r->remote_fingerprint, sizeof r->remote_fingerprint, "%s", fingerprint);
  r->exchanges++;
  r->needed = false;
  return BRTC_OK;
}

int pc_reneg_check_transport(const brtc_pc *pc, const char *ufrag, const char *pwd,
                             const char *fingerprint, char *err, size_t err_cap) {
  const pc_reneg *r = pc->reneg;
  (void)ufrag, (void)pwd; /* new ones are an ICE restart: pc_restart.c takes them */
  if (strcasecmp(r->remote_fingerprint, fingerprint) != 0) {
    if (err) snprintf(err, err_cap, "the description changes a=fingerprint: a new DTLS "
                      "session on a live connection is not supported");
    return BRTC_ERR_UNSUPPORTED;
  }
  return BRTC_OK;
}

void pc_reneg_needed(brtc_pc *pc) {
  if (pc->closed || pc->failed) return;
  if (!pc->reneg && !(pc->reneg = calloc(1, sizeof(*pc->reneg)))) return;
  if (pc->reneg->needed) return;
  pc->reneg->needed = true;
  brtc_output ev = {.event = BRTC_EVENT_NEGOTIATION_NEEDED, .step = PC_STEP_NONE};
  pc_push_event(pc, &ev);
}

static bool mid_used(const brtc_pc *pc, char (*taken)[PC_MID_LEN], size_t n, const char *mid) {
  for (size_t i = 0; pc->reneg && i < pc->reneg->n; i++)
    if (strcmp(pc->reneg->s[i].mid, mid) == 0) return true;
  for (size_t i = 0; i < n; i++)
    if (strcmp(taken[i], mid) == 0) return true;
  return false;
}

void pc_reneg_new_mid(const brtc_pc *pc, char (*taken)[PC_MID_LEN], size_t n, char *out) {
  for (unsigned k = 0;; k++) { /* at most 2 * BRTC_SDP_MAX_MEDIA tries */
    snprintf(out, PC_MID_LEN, "%u", k);
    if (!mid_used(pc, taken, n, out)) return;
  }
}

void pc_reneg_free(brtc_pc *pc) {
  if (pc->reneg) free(pc->reneg->held_offer);
  free(pc->reneg);
  pc->reneg = NULL;
}

int pc_reneg_hold_offer(brtc_pc *pc, const char *sdp) {
  size_t len = strlen(sdp);
  char *copy = malloc(len + 1);
  if (!copy) return BRTC_ERR_NOMEM;
  memcpy(copy, sdp, len + 1);
  free(pc->reneg->held_offer);
  pc->reneg->held_offer = copy;
  return BRTC_OK;
}

int pc_reneg_apply_held(brtc_pc *pc, char *err, size_t err_cap) {
  if (!pc->reneg || !pc->reneg->held_offer) return BRTC_OK;
  char *sdp = pc->reneg->held_offer;
  pc->reneg->held_offer = NULL;
  pc->reneg->applying = true;
  int rc = pc_signaling_set_offer(pc, sdp, err, err_cap); /* live: pc->reneg stays */
  pc->reneg->applying = false;
  free(sdp);
  return rc;
}

bool pc_reneg_drop_held(brtc_pc *pc) {
  if (!pc->reneg || !pc->reneg->held_offer) return false;
  free(pc->reneg->held_offer);
  pc->reneg->held_offer = NULL;
  pc_emit_log(pc, "their re-offer rolled back: the call goes on as before it");
  return true;
}

static bool valid_direction(brtc_direction d) { return (unsigned)d <= BRTC_DIRECTION_INACTIVE; }

int brtc_track_set_direction(brtc_track *t, brtc_direction direction) {
  if (!t || !valid_direction(direction)) return BRTC_ERR_INVALID;
  brtc_pc *pc = t->pc;
  if (pc->closed || pc->failed || t->removed) return BRTC_ERR_STATE;
  pc_mark_ready(pc);
  if (t->direction == direction) return BRTC_OK;
  t->direction = direction;
  pc_reneg_needed(pc); /* JSEP 4.2.3: it takes effect with the next exchange */
  return BRTC_OK;
}

int brtc_track_remove(brtc_track *t, uint64_t now_us) {
  if (!t) return BRTC_ERR_INVALID;
  brtc_pc *pc = t->pc;
  if (pc->closed || pc->failed) return BRTC_ERR_STATE;
  pc_touch(pc, now_us);
  if (t->removed) return BRTC_OK;
  /* The transceiver stops (JSEP 4.2.2 stop()): nothing more is sent at once, and the next
   * offer or answer gives its section port 0, which a later track may take (5.2.2). */
  t->removed = true;
  t->direction = BRTC_DIRECTION_INACTIVE;
  t->current = BRTC_DIRECTION_INACTIVE;
  char detail[PC_MID_LEN + PC_TRACK_ID_LEN + 64];
  snprintf(detail, sizeof detail, "track %s (mid %s) removed: it stops sending", t->track_id,
           t->mid[0] ? t->mid : "none");
  pc_emit_log(pc, detail);
  if (t->mid[0]) pc_reneg_needed(pc);
  return BRTC_OK;
}

bool brtc_track_is_removed(const brtc_track *t) { return t && t->removed; }
