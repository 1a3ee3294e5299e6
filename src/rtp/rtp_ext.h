/* The RTP header extensions a WebRTC sender writes (RFC 8285 one-byte form), what each carries
 * and how its value is encoded. The ids come from the SDP (a=extmap); these are the URIs. */
#ifndef BRTC_RTP_EXT_H
#define BRTC_RTP_EXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 9143 (was RFC 8843 9.2): the m-section's mid, so a receiver can route an SSRC it has not
 * seen signalled. */
#define BRTC_EXT_URI_MID "urn:ietf:params:rtp-hdrext:sdes:mid"
/* 24-bit 6.18 fixed-point send time in seconds (webrtc.org abs-send-time): for delay-based
 * bandwidth estimation at the receiver (REMB). */
#define BRTC_EXT_URI_ABS_SEND_TIME "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
/* 16-bit sequence number counted over every packet of the transport
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01), for send-side congestion control. */
#define BRTC_EXT_URI_TWCC \
  "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
/* 64-bit NTP time of capture, optionally a 64-bit signed capture clock offset
 * (webrtc.org abs-capture-time): lets a receiver measure glass-to-glass latency. */
#define BRTC_EXT_URI_ABS_CAPTURE_TIME \
  "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time"
/* RFC 6464: voice activity bit and level in -dBov, one byte. */
#define BRTC_EXT_URI_AUDIO_LEVEL "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

#define BRTC_EXT_ABS_SEND_TIME_LEN 3
#define BRTC_EXT_TWCC_LEN 2
#define BRTC_EXT_ABS_CAPTURE_TIME_LEN 8      /* without the clock offset */
#define BRTC_EXT_ABS_CAPTURE_TIME_FULL_LEN 16 /* with it */
#define BRTC_EXT_AUDIO_LEVEL_LEN 1
#define BRTC_EXT_MID_MAX 16 /* what the one-byte form can carry */

/* abs-send-time of an instant: microseconds of the owner's clock in 6.18 seconds, modulo 64 s
 * (the receiver only uses differences). */
uint32_t brtc_abs_send_time_24(uint64_t now_us);
void brtc_ext_put_abs_send_time(uint8_t *p, uint64_t now_us);

/* Decoders for a received extension's value (len bytes at p, from brtc_rtp_parse).
 * BRTC_ERR_PARSE if the length is not one the extension defines. */
int brtc_ext_get_abs_send_time(const uint8_t *p, size_t len, uint32_t *time_6_18);
int brtc_ext_get_twcc(const uint8_t *p, size_t len, uint16_t *seq);
/* The capture time (NTP 32.32) and, when present, the capture clock offset (signed 32.32 s). */
int brtc_ext_get_abs_capture_time(const uint8_t *p, size_t len, uint64_t *capture_ntp,
                                  bool *has_offset, int64_t *clock_offset);
int brtc_ext_get_audio_level(const uint8_t *p, size_t len, bool *voice, uint8_t *level_dbov);
/* Copies the mid into out (NUL-terminated, cap >= len + 1). BRTC_ERR_PARSE for an empty value
 * or one with a NUL byte. */
int brtc_ext_get_mid(const uint8_t *p, size_t len, char *out, size_t cap);

#endif
