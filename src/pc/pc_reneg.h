/* Renegotiation on a live connection (JSEP, RFC 8829 5.2.2, 5.3.2): what the last finished
 * offer/answer agreed (each m-section's mid and kind, in order, and which were stopped) and
 * the transport it runs on, so that a later offer from either side keeps the mids and their
 * order, adds sections at the end or in a stopped one's place, and keeps ICE and DTLS.
 * pc_reneg.c also holds the calls that change what is sent (brtc_track_remove,
 * brtc_track_set_direction) and BRTC_EVENT_NEGOTIATION_NEEDED. */
#ifndef BRTC_PC_RENEG_H
#define BRTC_PC_RENEG_H

#include <stdbool.h>
#include <stddef.h>

#include "ice/ice_candidate.h"
#include "pc/pc_internal.h"
#include "sdp/sdp.h"

typedef struct pc_msection {
  char mid[PC_MID_LEN];
  brtc_sdp_media_kind kind;
  bool stopped; /* port 0: rejected, or stopped by either side */
} pc_msection;

typedef struct pc_reneg {
  pc_msection s[BRTC_SDP_MAX_MEDIA];
  size_t n;
  /* The remote transport in use: a later description must name the same (a new ufrag or
   * pwd is an ICE restart, RFC 8445 9; a new fingerprint a new DTLS session). */
  char remote_ufrag[BRTC_ICE_CRED_MAX + 1], remote_pwd[BRTC_ICE_CRED_MAX + 1];
  char remote_fingerprint[BRTC_SDP_LONG];
  bool needed; /* BRTC_EVENT_NEGOTIATION_NEEDED given, no exchange finished since */
  unsigned exchanges; /* finished offer/answer exchanges */
  /* A remote re-offer on a live call, checked and held until the answer is asked for
   * (pc_reneg_apply_held), so that a rollback before then leaves the call as it was (JSEP
   * 4.1.8.2, 5.7). Owned; NULL when none. */
  char *held_offer;
  bool applying; /* pc_reneg_apply_held is applying held_offer */
} pc_reneg;

/* A first offer/answer finished: offers from now on are renegotiation. */
bool pc_reneg_live(const brtc_pc *pc);
/* An exchange finished (the answer made or taken): its sections and transport are what a
 * later offer starts from. BRTC_ERR_NOMEM. */
int pc_reneg_record(brtc_pc *pc, const brtc_sdp_negotiated *neg, size_t n, const char *ufrag,
                    const char *pwd, const char *fingerprint);
/* A later description's transport: BRTC_OK when it is the one in use, or differs only in
 * its ICE credentials (a restart, pc_restart.h); BRTC_ERR_UNSUPPORTED with the reason for
 * another certificate. */
int pc_reneg_check_transport(const brtc_pc *pc, const char *ufrag, const char *pwd,
                             const char *fingerprint, char *err, size_t err_cap);
/* Something the peer must agree to changed: BRTC_EVENT_NEGOTIATION_NEEDED, once until the
 * next exchange finishes. */
void pc_reneg_needed(brtc_pc *pc);
/* A mid no section of the live session nor `taken` (n of them) uses: "0", "1", ... */
void pc_reneg_new_mid(const brtc_pc *pc, char (*taken)[PC_MID_LEN], size_t n, char *out);
void pc_reneg_free(brtc_pc *pc);
/* Keep a checked remote re-offer (a copy of sdp) until the answer is asked for. */
int pc_reneg_hold_offer(brtc_pc *pc, const char *sdp);
/* Apply the held re-offer, if any: its tracks, streams and answer, as set_remote_description
 * applies a first offer. Called by create_answer and set_local_description(answer). */
int pc_reneg_apply_held(brtc_pc *pc, char *err, size_t err_cap);
/* Drop the held re-offer (setRemoteDescription(rollback)); false if there was none. */
bool pc_reneg_drop_held(brtc_pc *pc);

#endif
