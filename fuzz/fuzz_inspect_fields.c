/* Fuzz the packet inspector's field decoder and its SDP context (include/boltrtc/inspect.h),
 * which read every byte of a recorded packet from anyone. The first byte: bit 0 plaintext,
 * bit 1 a fixed context of Chrome's extensions and payload types, bits 2-3 the SRTP profile,
 * bit 4 the next byte is the length of an SDP read as the context, bits 5-7 the room in
 * fields. Every field must lie within the bytes, and the count must not depend on the room. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/inspect.h"

static const char chrome_answer[] =
    "a=ice-ufrag:bRtC\r\na=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=extmap:13 urn:3gpp:video-orientation\r\n"
    "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset\r\n"
    "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"
    "a=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\na=rtpmap:102 H264/90000\r\n"
    "a=rtpmap:111 opus/48000/2\r\n";

static const char *profiles[] = {NULL, "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32",
                                 "AEAD_AES_128_GCM"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  uint8_t flags = data[0];
  data++, size--;
  brtc_inspect_context *ctx = brtc_inspect_context_new();
  if (!ctx) abort();
  if (flags & 2) brtc_inspect_context_add_sdp(ctx, chrome_answer, sizeof(chrome_answer) - 1, true);
  brtc_inspect_context_set_srtp(ctx, profiles[(flags >> 2) & 3]);
  if ((flags & 16) && size >= 1) {
    size_t n = data[0] < size - 1 ? data[0] : size - 1;
    brtc_inspect_context_add_sdp(ctx, (const char *)data + 1, n, true);
    brtc_inspect_context_add_sdp(ctx, (const char *)data + 1, n, false);
    if (strlen(brtc_inspect_context_ufrag(ctx, true)) > BRTC_INSPECT_UFRAG_MAX) abort();
    if (strlen(brtc_inspect_context_ufrag(ctx, false)) > BRTC_INSPECT_UFRAG_MAX) abort();
    data += 1 + n, size -= 1 + n;
  }
  static brtc_inspect_field fields[64];
  size_t room = (size_t)1 << (flags >> 5); /* 1 .. 128, past the array's 64 when > 64 */
  if (room > 64) room = 64;
  size_t n = brtc_inspect_decode(data, size, flags & 1, ctx, fields, room, sizeof(fields[0]));
  for (size_t i = 0; i < n && i < room; i++) {
    if ((size_t)fields[i].offset + fields[i].len > size) abort();
    if (!memchr(fields[i].name, '\0', sizeof(fields[i].name))) abort();
    if (!memchr(fields[i].value, '\0', sizeof(fields[i].value))) abort();
  }
  if (brtc_inspect_decode(data, size, flags & 1, ctx, NULL, 0, sizeof(fields[0])) != n) abort();
  brtc_inspect_context_free(ctx);
  return 0;
}
