/* boltrtc: WebRTC nuts and bolts in C. One include for the whole public API (docs/api.md). */
#ifndef BOLTRTC_H
#define BOLTRTC_H

#include "boltrtc/datachannel.h"
#include "boltrtc/error.h"
#include "boltrtc/export.h"
#include "boltrtc/ice_tcp.h"
#include "boltrtc/inspect.h"
#include "boltrtc/log.h"
#include "boltrtc/loop.h"
#include "boltrtc/peer_connection.h"
#include "boltrtc/stats.h"
#include "boltrtc/track.h"
#include "boltrtc/turn.h"
#include "boltrtc/version.h"

#endif
