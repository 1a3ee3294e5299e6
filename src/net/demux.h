/* RFC 7983 demultiplexing of a datagram arriving on a shared ICE port, by its first byte. */
#ifndef BRTC_NET_DEMUX_H
#define BRTC_NET_DEMUX_H

#include <stddef.h>
#include <stdint.h>

typedef enum brtc_demux_class {
  BRTC_DEMUX_OTHER = 0, /* empty, ZRTP, TURN channel, QUIC or anything else: dropped */
  BRTC_DEMUX_STUN,      /* first byte 0..3 */
  BRTC_DEMUX_DTLS,      /* 20..63 */
  BRTC_DEMUX_RTP,       /* 128..191: RTP or RTCP, the pc tells them apart */
} brtc_demux_class;

static inline brtc_demux_class brtc_demux_classify(const uint8_t *data, size_t len) {
  if (len == 0) return BRTC_DEMUX_OTHER;
  uint8_t b = data[0];
  if (b <= 3) return BRTC_DEMUX_STUN;
  if (b >= 20 && b <= 63) return BRTC_DEMUX_DTLS;
  if (b >= 128 && b <= 191) return BRTC_DEMUX_RTP;
  return BRTC_DEMUX_OTHER;
}

#endif
