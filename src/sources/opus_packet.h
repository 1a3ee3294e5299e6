/* Framing of one Opus packet (RFC 6716 3): the TOC byte, the frame count and sizes, enough
 * to know a packet's duration and that it is well formed. No codec math. */
#ifndef BRTC_SOURCES_OPUS_PACKET_H
#define BRTC_SOURCES_OPUS_PACKET_H

#include <stddef.h>
#include <stdint.h>

/* Samples at 48 kHz the packet holds (120 for 2.5 ms ... 5760 for 120 ms), or 0 if it breaks
 * one of RFC 6716 3.4's rules R1-R7. */
unsigned brtc_opus_packet_samples(const uint8_t *packet, size_t len);

/* OpusHead, the identification header (RFC 7845 5.1). */
typedef struct brtc_opus_head {
  uint8_t version;
  uint8_t channels;
  uint16_t pre_skip;
  uint32_t input_sample_rate;
  int16_t output_gain;
  uint8_t mapping_family;
  uint8_t stream_count, coupled_count; /* 1 and channels - 1 for family 0 */
} brtc_opus_head;

/* BRTC_ERR_PARSE if it is not a valid OpusHead; BRTC_ERR_UNSUPPORTED for a major version
 * other than 0 or for more than one Opus stream per packet (multichannel files), which
 * RTP's opus/48000/2 cannot carry. */
int brtc_opus_head_parse(const uint8_t *packet, size_t len, brtc_opus_head *h);

#endif
