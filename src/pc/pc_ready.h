/* How a peer connection tells the loop that drives it that it has output, without calling
 * back into anyone: every call that feeds or changes a pc marks its ready node
 * (common/ready_list.h), which puts it on its loop's ready list, and the loop drains what is
 * on the list (include/boltrtc/loop.h). A pc attached to no list (driven by its owner by
 * hand) does nothing. Shared by src/pc and src/net only; not public. */
#ifndef BRTC_PC_READY_H
#define BRTC_PC_READY_H

#include "common/ready_list.h"

typedef struct brtc_pc brtc_pc;

/* The pc's node: attach it to a list with the loop's tag, find the tag on the popped node. */
brtc_ready_node *brtc_pc_ready_node(brtc_pc *pc);

#endif
