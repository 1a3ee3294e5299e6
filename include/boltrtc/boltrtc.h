/* boltrtc: WebRTC nuts and bolts in C. */
#ifndef BOLTRTC_H
#define BOLTRTC_H

#include "boltrtc/error.h"
#include "boltrtc/loop.h"
#include "boltrtc/peer_connection.h"

#define BOLTRTC_VERSION "0.1.0"

#endif
