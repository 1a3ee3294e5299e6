/* The signaling state machine of JSEP (RFC 8829 5.5, 5.6; the W3C RTCSignalingState): which
 * description call each state allows, and where each one leads. Every refusal names the
 * state and the call. The descriptions themselves are made and read in pc_signaling.c (the
 * answerer) and pc_offer.c (the offerer). */
#include <stdio.h>
#include <string.h>

#include "pc/pc_internal.h"
#include "pc/pc_reneg.h"

static const char *const call_names[] = {
    [PC_CALL_CREATE_OFFER] = "create_offer",
    [PC_CALL_CREATE_ANSWER] = "create_answer",
    [PC_CALL_SET_LOCAL_OFFER] = "set_local_description(offer)",
    [PC_CALL_SET_LOCAL_ANSWER] = "set_local_description(answer)",
    [PC_CALL_SET_LOCAL_ROLLBACK] = "set_local_description(rollback)",
    [PC_CALL_SET_REMOTE_OFFER] = "set_remote_description(offer)",
    [PC_CALL_SET_REMOTE_ANSWER] = "set_remote_description(answer)",
    [PC_CALL_SET_REMOTE_ROLLBACK] = "set_remote_description(rollback)",
};

const char *brtc_signaling_state_name(brtc_signaling_state s) {
  switch (s) {
    case BRTC_SIGNALING_STABLE: return "stable";
    case BRTC_SIGNALING_HAVE_LOCAL_OFFER: return "have-local-offer";
    case BRTC_SIGNALING_HAVE_REMOTE_OFFER: return "have-remote-offer";
    case BRTC_SIGNALING_CLOSED: return "closed";
    default: return "unknown";
  }
}

brtc_signaling_state brtc_pc_signaling_state(const brtc_pc *pc) {
  if (!pc || pc->closed || pc->failed) return BRTC_SIGNALING_CLOSED;
  return pc->signaling;
}

/* Which state each call may be made in (RFC 8829 5.5 and 5.6: an offer is set in stable or
 * replaces our own; an answer needs the other side's offer; rollback needs an offer to
 * undo). createAnswer in stable is kept for the answerer that never sets its answer. */
static bool allowed(brtc_signaling_state s, pc_jsep_call call, bool answered) {
  switch (call) {
    case PC_CALL_CREATE_OFFER:
    case PC_CALL_SET_LOCAL_OFFER:
      return s == BRTC_SIGNALING_STABLE || s == BRTC_SIGNALING_HAVE_LOCAL_OFFER;
    case PC_CALL_CREATE_ANSWER:
      return s == BRTC_SIGNALING_HAVE_REMOTE_OFFER || (s == BRTC_SIGNALING_STABLE && answered);
    case PC_CALL_SET_LOCAL_ANSWER:
    case PC_CALL_SET_REMOTE_ROLLBACK:
      return s == BRTC_SIGNALING_HAVE_REMOTE_OFFER;
    case PC_CALL_SET_REMOTE_OFFER: return s == BRTC_SIGNALING_STABLE;
    case PC_CALL_SET_REMOTE_ANSWER:
    case PC_CALL_SET_LOCAL_ROLLBACK: return s == BRTC_SIGNALING_HAVE_LOCAL_OFFER;
  }
  return false;
}

static const char *hint(brtc_signaling_state s, pc_jsep_call call) {
  if (s == BRTC_SIGNALING_CLOSED) return "the peer connection is closed";
  switch (call) {
    case PC_CALL_SET_REMOTE_OFFER:
      return s == BRTC_SIGNALING_HAVE_LOCAL_OFFER ? "both sides offered: roll ours back first"
                                                  : "an offer is already being answered";
    case PC_CALL_SET_REMOTE_ANSWER: return "we made no offer to answer";
    case PC_CALL_SET_LOCAL_ANSWER:
    case PC_CALL_CREATE_ANSWER: return "no remote offer to answer";
    case PC_CALL_SET_LOCAL_ROLLBACK: return "no local offer to roll back";
    case PC_CALL_SET_REMOTE_ROLLBACK: return "no remote offer to roll back";
    default: return "the remote offer must be answered first";
  }
}

int pc_jsep_allow(const brtc_pc *pc, pc_jsep_call call, char *err, size_t err_cap) {
  brtc_signaling_state s = brtc_pc_signaling_state(pc);
  if (allowed(s, call, pc->answer != NULL)) {
    /* A first remote offer is applied as it comes, and forgotten whole. A later one
     * (renegotiation) is held until the answer is asked for (pc_reneg.h); once applied, it
     * has changed the live session, and undoing that is not done. */
    if (call == PC_CALL_SET_REMOTE_ROLLBACK && pc->reneg && pc->reneg->exchanges > 1 &&
        !pc->reneg->held_offer) {
      if (err) snprintf(err, err_cap, "%s of a renegotiation offer is not supported: answer "
                        "it", call_names[call]);
      return BRTC_ERR_UNSUPPORTED;
    }
    return BRTC_OK;
  }
  if (err) snprintf(err, err_cap, "%s in %s: %s", call_names[call], brtc_signaling_state_name(s),
                    hint(s, call));
  return BRTC_ERR_STATE;
}

int pc_jsep_set_remote(brtc_pc *pc, const char *type, const char *sdp, char *err,
                       size_t err_cap) {
  if (strcmp(type, "rollback") == 0) {
    int rc = pc_jsep_allow(pc, PC_CALL_SET_REMOTE_ROLLBACK, err, err_cap);
    if (rc != BRTC_OK) return rc;
    /* JSEP 5.7: as if the offer had never come. */
    if (!pc_reneg_drop_held(pc)) pc_signaling_forget_offer(pc);
    pc->signaling = BRTC_SIGNALING_STABLE;
    return BRTC_OK;
  }
  if (strcmp(type, "answer") == 0) {
    int rc = pc_jsep_allow(pc, PC_CALL_SET_REMOTE_ANSWER, err, err_cap);
    if (rc != BRTC_OK) return rc;
    if (!sdp) return BRTC_ERR_INVALID;
    rc = pc_offer_apply_answer(pc, sdp, err, err_cap);
    if (rc == BRTC_OK) pc->signaling = BRTC_SIGNALING_STABLE;
    return rc;
  }
  if (strcmp(type, "pranswer") == 0) {
    if (err) snprintf(err, err_cap, "a provisional answer (pranswer) is not supported");
    return BRTC_ERR_UNSUPPORTED;
  }
  if (err) snprintf(err, err_cap, "description type \"%s\" is not offer, answer or rollback", type);
  return BRTC_ERR_INVALID;
}

int brtc_pc_set_local_description(brtc_pc *pc, const char *type, const char *sdp,
                                  uint64_t now_us, char *err, size_t err_cap) {
  if (err && err_cap) err[0] = '\0';
  if (!pc || !type) return BRTC_ERR_INVALID;
  pc_touch(pc, now_us);
  if (strcmp(type, "offer") == 0) {
    int rc = pc_jsep_allow(pc, PC_CALL_SET_LOCAL_OFFER, err, err_cap);
    if (rc == BRTC_OK) rc = pc_offer_apply_local(pc, sdp, err, err_cap);
    if (rc == BRTC_OK) pc->signaling = BRTC_SIGNALING_HAVE_LOCAL_OFFER;
    return rc;
  }
  if (strcmp(type, "answer") == 0) {
    int rc = pc_jsep_allow(pc, PC_CALL_SET_LOCAL_ANSWER, err, err_cap);
    if (rc == BRTC_OK) rc = pc_reneg_apply_held(pc, err, err_cap);
    if (rc != BRTC_OK) return rc;
    if (sdp && strcmp(sdp, pc->answer) != 0) {
      if (err) snprintf(err, err_cap, "set_local_description(answer): not the answer "
                        "create_answer made (we do not take edited SDP)");
      return BRTC_ERR_INVALID;
    }
    pc->signaling = BRTC_SIGNALING_STABLE;
    return BRTC_OK;
  }
  if (strcmp(type, "rollback") == 0) {
    int rc = pc_jsep_allow(pc, PC_CALL_SET_LOCAL_ROLLBACK, err, err_cap);
    if (rc != BRTC_OK) return rc;
    pc_offer_rollback(pc);
    pc->signaling = BRTC_SIGNALING_STABLE;
    return BRTC_OK;
  }
  if (err) snprintf(err, err_cap, "description type \"%s\" is not offer, answer or rollback", type);
  return BRTC_ERR_INVALID;
}

int brtc_pc_create_offer(brtc_pc *pc, uint64_t now_us, const char **sdp, char *err,
                         size_t err_cap) {
  if (err && err_cap) err[0] = '\0';
  if (!pc || !sdp) return BRTC_ERR_INVALID;
  pc_touch(pc, now_us);
  int rc = pc_jsep_allow(pc, PC_CALL_CREATE_OFFER, err, err_cap);
  if (rc != BRTC_OK) return rc;
  return pc_offer_create(pc, sdp, err, err_cap);
}
