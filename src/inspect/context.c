/* What a session negotiated, for the packet inspector (include/boltrtc/inspect.h): read from
 * the SDP's a=ice-ufrag (RFC 8839 5.4), a=extmap (RFC 8285 5) and a=rtpmap (RFC 8866 6.6)
 * lines only. Text from the network: every line is bounded and nothing is trusted. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "inspect/context.h"

static const struct {
  const char *uri;
  brtc_inspect_ext ext;
} known_exts[] = {
    {"urn:ietf:params:rtp-hdrext:sdes:mid", BRTC_INSPECT_EXT_MID},
    {"http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time", BRTC_INSPECT_EXT_ABS_SEND_TIME},
    {"http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
     BRTC_INSPECT_EXT_TRANSPORT_CC},
    {"urn:ietf:params:rtp-hdrext:ssrc-audio-level", BRTC_INSPECT_EXT_AUDIO_LEVEL},
    {"urn:ietf:params:rtp-hdrext:toffset", BRTC_INSPECT_EXT_TOFFSET},
    {"urn:3gpp:video-orientation", BRTC_INSPECT_EXT_VIDEO_ORIENTATION},
    {"urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id", BRTC_INSPECT_EXT_RID},
    {"urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id", BRTC_INSPECT_EXT_REPAIRED_RID},
};

static bool starts(const char *p, size_t n, const char *prefix) {
  size_t k = strlen(prefix);
  return n >= k && memcmp(p, prefix, k) == 0;
}

/* A decimal number at *p (at most 3 digits), moving *p past it; -1 if none. */
static int number(const char **p, const char *end) {
  int v = 0, digits = 0;
  while (*p < end && **p >= '0' && **p <= '9' && digits < 4) {
    v = v * 10 + (**p - '0');
    (*p)++;
    digits++;
  }
  return digits == 0 || digits > 3 ? -1 : v;
}

static void extmap(brtc_inspect_context *ctx, const char *p, const char *end) {
  int id = number(&p, end);
  if (id < 1 || id > 255) return;
  while (p < end && *p != ' ') p++; /* "/direction" */
  while (p < end && *p == ' ') p++;
  const char *uri = p;
  while (p < end && *p != ' ') p++;
  size_t n = (size_t)(p - uri);
  ctx->ext[id] = BRTC_INSPECT_EXT_OTHER;
  for (size_t i = 0; i < sizeof(known_exts) / sizeof(known_exts[0]); i++)
    if (strlen(known_exts[i].uri) == n && memcmp(known_exts[i].uri, uri, n) == 0)
      ctx->ext[id] = (uint8_t)known_exts[i].ext;
}

static void rtpmap(brtc_inspect_context *ctx, const char *p, const char *end) {
  int pt = number(&p, end);
  if (pt < 0 || pt > 127 || p >= end || *p != ' ') return;
  p++;
  size_t n = (size_t)(end - p);
  brtc_inspect_codec c = BRTC_INSPECT_CODEC_OTHER;
  if (n >= 4 && strncasecmp(p, "VP8/", 4) == 0)
    c = BRTC_INSPECT_CODEC_VP8;
  else if (n >= 5 && strncasecmp(p, "H264/", 5) == 0)
    c = BRTC_INSPECT_CODEC_H264;
  else if (n >= 5 && strncasecmp(p, "opus/", 5) == 0)
    c = BRTC_INSPECT_CODEC_OPUS;
  else if (n >= 4 && strncasecmp(p, "rtx/", 4) == 0)
    c = BRTC_INSPECT_CODEC_RTX;
  ctx->codec[pt] = (uint8_t)c;
}

brtc_inspect_context *brtc_inspect_context_new(void) {
  return calloc(1, sizeof(brtc_inspect_context));
}

void brtc_inspect_context_free(brtc_inspect_context *ctx) { free(ctx); }

const char *brtc_inspect_context_ufrag(const brtc_inspect_context *ctx, bool local) {
  if (!ctx) return "";
  return local ? ctx->local_ufrag : ctx->remote_ufrag;
}

brtc_inspect_ext brtc_inspect_context_ext(const brtc_inspect_context *ctx, unsigned id) {
  return ctx && id < sizeof(ctx->ext) ? (brtc_inspect_ext)ctx->ext[id] : BRTC_INSPECT_EXT_NONE;
}

brtc_inspect_codec brtc_inspect_context_codec(const brtc_inspect_context *ctx,
                                              unsigned payload_type) {
  return ctx && payload_type < sizeof(ctx->codec) ? (brtc_inspect_codec)ctx->codec[payload_type]
                                                  : BRTC_INSPECT_CODEC_NONE;
}

void brtc_inspect_context_add_sdp(brtc_inspect_context *ctx, const char *sdp, size_t len,
                                  bool local) {
  if (!ctx || !sdp) return;
  const char *p = sdp, *end = sdp + len;
  while (p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    const char *line_end = eol ? eol : end;
    const char *e = line_end;
    if (e > p && e[-1] == '\r') e--;
    size_t n = (size_t)(e - p);
    char *ufrag = local ? ctx->local_ufrag : ctx->remote_ufrag;
    if (starts(p, n, "a=ice-ufrag:") && !ufrag[0]) {
      size_t k = n - 12 < BRTC_INSPECT_UFRAG_MAX ? n - 12 : BRTC_INSPECT_UFRAG_MAX;
      memcpy(ufrag, p + 12, k);
      ufrag[k] = '\0';
      for (size_t i = 0; i < k; i++)
        if ((unsigned char)ufrag[i] < 0x20 || (unsigned char)ufrag[i] >= 0x7f) ufrag[i] = '?';
    } else if (local && starts(p, n, "a=extmap:")) {
      extmap(ctx, p + 9, e);
    } else if (local && starts(p, n, "a=rtpmap:")) {
      rtpmap(ctx, p + 9, e);
    }
    p = eol ? eol + 1 : end;
  }
}

void brtc_inspect_context_set_srtp(brtc_inspect_context *ctx, const char *profile) {
  if (!ctx) return;
  ctx->srtp_tag_len = 0;
  ctx->srtp_aead = false;
  if (!profile) return;
  if (strcmp(profile, "AES_CM_128_HMAC_SHA1_80") == 0)
    ctx->srtp_tag_len = 10;
  else if (strcmp(profile, "AES_CM_128_HMAC_SHA1_32") == 0)
    ctx->srtp_tag_len = 4;
  else if (strncmp(profile, "AEAD_AES_", 9) == 0) {
    ctx->srtp_tag_len = 16;
    ctx->srtp_aead = true;
  }
}
