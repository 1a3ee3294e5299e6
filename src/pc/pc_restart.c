/* ICE restart on a live pc (pc_restart.h): the public call, and the remote side of a restart
 * in a later offer or answer. */
#include "pc/pc_restart.h"

#include <stdio.h>
#include <string.h>

#include "boltrtc/error.h"
#include "pc/pc_reneg.h"

int brtc_pc_restart_ice(brtc_pc *pc, uint64_t now_us) {
  if (!pc) return BRTC_ERR_INVALID;
  if (pc->closed || pc->failed || pc_ice_is_lite(pc)) return BRTC_ERR_STATE;
  pc_touch(pc, now_us);
  /* Before the first exchange there is nothing to restart: the first offer has fresh
   * credentials anyway (W3C restartIce() only marks negotiation needed then too). */
  if (!pc_reneg_live(pc)) return BRTC_OK;
  if (pc->ice_restart_wanted || pc->ice_restart_offered) return BRTC_OK;
  pc->ice_restart_wanted = true;
  pc_reneg_needed(pc);
  return BRTC_OK;
}

bool pc_restart_creds_changed(const brtc_pc *pc, const char *ufrag, const char *pwd) {
  const pc_reneg *r = pc->reneg;
  return r && (strcmp(r->remote_ufrag, ufrag) != 0 || strcmp(r->remote_pwd, pwd) != 0);
}

void pc_restart_before_offer(brtc_pc *pc) {
  if (!pc->ice_restart_wanted || !pc_reneg_live(pc)) return;
  /* New local credentials now (RFC 8445 9): the checks of the new generation wait for the
   * answer's; the selected pair goes on with the old ones meanwhile. */
  if (brtc_ice_transport_restart(pc->ice, pc->now_us) != BRTC_OK) return;
  pc->ice_restart_wanted = false;
  pc->ice_restart_offered = true;
  pc->ice_dirty = true;
  pc_gather_restart(pc);
  char detail[128];
  snprintf(detail, sizeof detail, "ICE restart (our offer): new ufrag %s", pc_ice_local_ufrag(pc));
  pc_emit_log(pc, detail);
}

int pc_restart_take_remote(brtc_pc *pc, const char *ufrag, const char *pwd, bool lite,
                           const char *const *candidates, size_t n,
                           bool end_of_candidates, bool their_offer, char *err, size_t err_cap) {
  /* The agent compares with the credentials it holds: new ones in an offer restart it
   * (our own new credentials go into the answer); after our own restart it holds none, and
   * the answer's are simply the new generation's. The agent takes the credentials before
   * end-of-candidates, so it ends the new generation only (RFC 8838 8.2). */
  int rc = pc_ice_set_remote(pc, ufrag, pwd, lite, candidates, n, end_of_candidates);
  if (rc != BRTC_OK) {
    if (err) snprintf(err, err_cap, "bad remote ICE credentials in the %s",
                      their_offer ? "offer" : "answer");
    return rc;
  }
  if (!pc->ice_restart_offered) pc_gather_restart(pc); /* theirs: we gather again too */
  pc->ice_restart_offered = false;
  char detail[160];
  snprintf(detail, sizeof detail, "ICE restart (%s): their ufrag %s, ours %s, %zu candidate%s",
           their_offer ? "their offer" : "the answer to ours", ufrag, pc_ice_local_ufrag(pc), n,
           n == 1 ? "" : "s");
  pc_emit_log(pc, detail);
  return BRTC_OK;
}

void pc_restart_rollback(brtc_pc *pc) {
  if (!pc->ice_restart_offered) return;
  /* The agent already took new credentials and forgot the peer's: give it the peer's again
   * (the pair in use still answers with the old ones), and restart with the next offer. */
  if (pc->reneg)
    (void)brtc_ice_transport_set_remote_credentials(pc->ice, pc->reneg->remote_ufrag,
                                                    pc->reneg->remote_pwd, pc->now_us);
  pc->ice_restart_offered = false;
  pc->ice_restart_wanted = true;
  pc->ice_dirty = true;
}
