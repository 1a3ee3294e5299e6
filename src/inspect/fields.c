/* The packet inspector's field decoder (include/boltrtc/inspect.h): which protocol a datagram
 * is (RFC 7983 5, as brtc_inspect_describe tells them apart), and the SRTP and SRTCP views,
 * what is in clear, what is encrypted and where the tag is (RFC 3711 3.1, 3.4; RFC 7714 8,
 * 9). The protocols themselves are in fields_*.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/bytes.h"
#include "inspect/fields.h"
#include "rtp/rtp.h"

bool brtc_fields_add(brtc_fields *f, size_t off, size_t len, int depth, const char *name,
                     const char *ref, const char *meaning, const char *fmt, ...) {
  f->n++;
  if (f->n > f->cap) return false;
  brtc_inspect_field field, *x = &field;
  if (off > f->len) off = f->len;
  if (len > f->len - off) len = f->len - off;
  x->offset = (uint32_t)off;
  x->len = (uint32_t)len;
  x->depth = (uint8_t)depth;
  snprintf(x->name, sizeof(x->name), "%s", name);
  x->value[0] = '\0';
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->value, sizeof(x->value), fmt, ap);
    va_end(ap);
  }
  x->meaning = meaning;
  x->ref = ref;
  /* The caller's element may be older (smaller) or newer (larger) than ours. */
  size_t room = f->field_size < sizeof(field) ? f->field_size : sizeof(field);
  memcpy(f->out + (f->n - 1) * f->field_size, &field, room);
  return true;
}

void brtc_fields_text(char *dst, size_t cap, const uint8_t *s, size_t n) {
  if (cap == 0) return;
  size_t k = 0;
  for (size_t i = 0; i < n && k + 4 < cap; i++)
    dst[k++] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
  if (k + 4 >= cap && n > k) {
    memcpy(dst + k, "...", 3);
    k += 3;
  }
  dst[k] = '\0';
}

void brtc_fields_hex(char *dst, size_t cap, const uint8_t *s, size_t n, size_t max) {
  if (cap == 0) return;
  size_t k = 0;
  dst[0] = '\0';
  for (size_t i = 0; i < n && i < max && k + 6 < cap; i++)
    k += (size_t)snprintf(dst + k, cap - k, "%02x", s[i]);
  if (n > max || (k + 6 >= cap && n * 2 > k)) snprintf(dst + k, cap - k, "...");
}

/* SRTP on the wire: the RTP header in clear, then the encrypted payload and the tag. */
static void fields_srtp(brtc_fields *f) {
  size_t header = brtc_fields_rtp(f, true);
  if (header == 0) return;
  size_t tag = f->ctx->srtp_tag_len;
  if (tag == 0 || header + tag > f->len) {
    brtc_fields_add(f, header, f->len - header, 0, "Encrypted payload and tag", "RFC 3711 3.1",
                    "the payload, encrypted with the session key (the profile, hence the tag's "
                    "length, is not known yet)",
                    "%zu bytes", f->len - header);
    return;
  }
  size_t body = f->len - header - tag;
  brtc_fields_add(f, header, body, 0, "Encrypted payload",
                  f->ctx->srtp_aead ? "RFC 7714 8.1" : "RFC 3711 4.1",
                  f->ctx->srtp_aead ? "the payload, encrypted with AES-GCM; the header above is "
                                      "in clear but authenticated as associated data"
                                    : "the payload, encrypted with AES in counter mode; the "
                                      "header above stays in clear",
                  "%zu bytes", body);
  brtc_fields_add(f, header + body, tag, 0, f->ctx->srtp_aead ? "AEAD tag" : "Authentication tag",
                  f->ctx->srtp_aead ? "RFC 7714 8.1" : "RFC 3711 4.2",
                  f->ctx->srtp_aead ? "GCM's 16-byte tag over the header and the encrypted "
                                      "payload: one changed bit and the packet is dropped"
                                    : "HMAC-SHA1 over the header, the encrypted payload and "
                                      "the rollover counter, cut to its first bytes",
                  "%zu bytes", tag);
}

/* SRTCP on the wire: the first 8 bytes in clear, then encrypted, the E flag and SRTCP index,
 * and the tag (RFC 3711 3.4; with AEAD the index comes after the tag, RFC 7714 9.1). */
static void fields_srtcp(brtc_fields *f) {
  if (f->len < 8) {
    brtc_fields_add(f, 0, f->len, 0, "SRTCP, malformed", "RFC 3711 3.4", NULL, "%zu bytes", f->len);
    return;
  }
  const uint8_t *d = f->data;
  brtc_fields_add(f, 0, 8, 0, "RTCP header in clear", "RFC 3711 3.4",
                  "the first packet's header and its sender's SSRC are never encrypted",
                  "PT %u, sender 0x%08x", (unsigned)d[1], (unsigned)brtc_rd32(d + 4));
  size_t tag = f->ctx->srtp_tag_len;
  if (tag == 0 || 8 + 4 + tag > f->len) {
    brtc_fields_add(f, 8, f->len - 8, 0, "Encrypted, index and tag", "RFC 3711 3.4",
                    "the rest of the compound, encrypted, then the SRTCP index and the tag",
                    "%zu bytes", f->len - 8);
    return;
  }
  size_t enc = f->len - 8 - 4 - tag;
  size_t index_at = f->ctx->srtp_aead ? f->len - 4 : 8 + enc;
  size_t tag_at = f->ctx->srtp_aead ? 8 + enc : f->len - tag;
  uint32_t e_index = brtc_rd32(d + index_at);
  brtc_fields_add(f, 8, enc, 0, "Encrypted compound",
                  f->ctx->srtp_aead ? "RFC 7714 9.1" : "RFC 3711 3.4",
                  "the rest of the RTCP compound, encrypted", "%zu bytes", enc);
  if (f->ctx->srtp_aead)
    brtc_fields_add(f, tag_at, tag, 0, "AEAD tag", "RFC 7714 9.1",
                    "GCM's tag over the clear header, the index and the encrypted part",
                    "%zu bytes", tag);
  brtc_fields_add(f, index_at, 4, 0, "E flag and SRTCP index", "RFC 3711 3.4",
                  "E: the compound is encrypted; the index counts the sender's SRTCP packets "
                  "and guards against replays",
                  "E=%u index %u", (unsigned)(e_index >> 31), (unsigned)(e_index & 0x7fffffff));
  if (!f->ctx->srtp_aead)
    brtc_fields_add(f, tag_at, tag, 0, "Authentication tag", "RFC 3711 4.2",
                    "HMAC-SHA1 over everything before it, cut to its first bytes", "%zu bytes",
                    tag);
}

/* The first version's element: a caller's may be newer and larger, never smaller. */
#define FIELD_V1_SIZE (offsetof(brtc_inspect_field, ref) + sizeof(const char *))

size_t brtc_inspect_decode(const uint8_t *data, size_t len, bool plaintext,
                           const brtc_inspect_context *ctx, brtc_inspect_field *out, size_t cap,
                           size_t field_size) {
  static const brtc_inspect_context none;
  if (out && cap && field_size < FIELD_V1_SIZE) return 0;
  brtc_fields f = {.out = (uint8_t *)out,
                   .field_size = field_size,
                   .cap = out ? cap : 0,
                   .data = data,
                   .len = data ? len : 0,
                   .ctx = ctx ? ctx : &none};
  if (f.len == 0) {
    brtc_fields_add(&f, 0, 0, 0, "Empty datagram", NULL, NULL, NULL);
    return f.n;
  }
  uint8_t b = data[0];
  if (!plaintext && b <= 3) {
    brtc_fields_stun(&f);
  } else if (!plaintext && b >= 20 && b <= 63) {
    brtc_fields_dtls(&f);
  } else if (b >= 128 && b <= 191 && len >= 8) {
    bool rtcp = brtc_rtp_is_rtcp(data, len);
    if (plaintext && rtcp)
      brtc_fields_rtcp(&f);
    else if (plaintext)
      brtc_fields_rtp(&f, false);
    else if (rtcp)
      fields_srtcp(&f);
    else
      fields_srtp(&f);
  } else {
    brtc_fields_add(&f, 0, len, 0, "Unknown datagram", "RFC 7983 5",
                    "its first byte is none of STUN (0-3), DTLS (20-63) or RTP/RTCP (128-191)",
                    "first byte %u, %zu bytes", (unsigned)b, len);
  }
  return f.n;
}
