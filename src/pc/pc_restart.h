/* ICE restart on a live pc (RFC 8445 9; JSEP, RFC 8829 4.1.3 restartIce, 5.2.1, 5.3.2), from
 * either side: brtc_pc_restart_ice asks for one (the next offer carries new credentials), and
 * a later description with new a=ice-ufrag/a=ice-pwd is the peer's. DTLS, SCTP and SRTP carry
 * on; media stays on the selected pair, answering consent with the old credentials, until the
 * new generation's checks select a pair (src/ice does that part). */
#ifndef BRTC_PC_RESTART_H
#define BRTC_PC_RESTART_H

#include <stdbool.h>
#include <stddef.h>

#include "pc/pc_internal.h"
#include "sdp/sdp.h"

/* A later description names other ICE credentials than the exchange before it agreed. */
bool pc_restart_creds_changed(const brtc_pc *pc, const char *ufrag, const char *pwd);
/* create_offer on a live pc: a restart asked for starts here, so the offer has the new
 * credentials (JSEP 5.2.1); a second create_offer before the answer keeps them. */
void pc_restart_before_offer(brtc_pc *pc);
/* The remote side of a restart: the peer's offer with new credentials (their_offer: our ICE
 * agent restarts too, and the answer carries our new ones, JSEP 5.3.1), or the answer to
 * ours. n candidate values ("candidate:..."); end_of_candidates: the description says they
 * are all of the new generation's (a=end-of-candidates, RFC 8838 8.2). BRTC_ERR_INVALID with
 * the reason for bad credentials. */
int pc_restart_take_remote(brtc_pc *pc, const char *ufrag, const char *pwd, bool lite,
                           const char *const *candidates, size_t n,
                           bool end_of_candidates, bool their_offer, char *err, size_t err_cap);
/* Our offer that carried a restart was rolled back: the next offer restarts again. */
void pc_restart_rollback(brtc_pc *pc);

#endif
