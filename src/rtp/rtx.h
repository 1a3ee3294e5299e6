/* RTP retransmission payload format (RFC 4588 4), receiving side: an RTX packet back into the
 * packet it repairs. (The sending side is brtc_rtp_sender_write_rtx.)
 *
 *   RTX packet:  RTP header (RTX SSRC, RTX payload type, RTX sequence number, original
 *                timestamp and marker) | OSN (original sequence number, 16 bits) | original
 *                payload */
#ifndef BRTC_RTX_H
#define BRTC_RTX_H

#include <stddef.h>
#include <stdint.h>

/* Write the original packet: the RTX header's CSRCs and extensions as they are, with media_ssrc,
 * media_payload_type and the OSN as sequence number, then the payload after the OSN (the RTX
 * packet's padding dropped). BRTC_ERR_PARSE for a malformed packet or one too short for an
 * OSN, BRTC_ERR_TOO_BIG if cap is short. */
int brtc_rtx_unwrap(const uint8_t *rtx, size_t len, uint32_t media_ssrc,
                    uint8_t media_payload_type, uint8_t *out, size_t cap, size_t *out_len);

#endif
