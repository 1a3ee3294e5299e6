/* The inspector's JSON (inspect_json.h): the recorded bytes decoded when asked for, not when
 * they pass, so recording costs a copy and nothing more. */
#include "signal/inspect_json.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 256

typedef struct kind_info {
  const char *name, *title_in, *title_out, *chapter_in, *chapter_out, *rfc;
} kind_info;

/* Each kind's chapter of docs/journey and the RFC section it starts from. */
static const kind_info *info_of(brtc_inspect_kind k) {
  static const kind_info infos[] = {
      [BRTC_INSPECT_UNKNOWN] = {"unknown", "Unknown datagrams from the peer",
                                "Unknown datagrams we send", "02-ice-and-stun.md",
                                "02-ice-and-stun.md",
                                "https://www.rfc-editor.org/rfc/rfc7983#section-5"},
      [BRTC_INSPECT_STUN] = {"stun", "STUN from the browser: its ICE checks",
                             "STUN we send: our answers", "02-ice-and-stun.md#the-first-check",
                             "02-ice-and-stun.md#the-answer",
                             "https://www.rfc-editor.org/rfc/rfc8489#section-5"},
      [BRTC_INSPECT_DTLS] = {"dtls", "DTLS from the browser: its handshake flights",
                             "DTLS we send: our handshake flights", "03-dtls.md#roles-and-flights",
                             "03-dtls.md#roles-and-flights",
                             "https://www.rfc-editor.org/rfc/rfc6347#section-4.1"},
      [BRTC_INSPECT_SRTP] = {"srtp", "SRTP from the browser, as on the wire",
                             "SRTP we send, as on the wire", "04-srtp.md#the-first-srtp-packet",
                             "04-srtp.md#the-first-srtp-packet",
                             "https://www.rfc-editor.org/rfc/rfc3711#section-3.1"},
      [BRTC_INSPECT_SRTCP] = {"srtcp", "SRTCP from the browser, as on the wire",
                              "SRTCP we send, as on the wire", "04-srtp.md#srtcp",
                              "04-srtp.md#srtcp",
                              "https://www.rfc-editor.org/rfc/rfc3711#section-3.4"},
      [BRTC_INSPECT_RTP] = {"rtp", "RTP from the browser, decrypted",
                            "RTP we send, before encryption",
                            "05-rtp-and-rtcp.md#the-first-video-packet",
                            "05-rtp-and-rtcp.md#the-first-video-packet",
                            "https://www.rfc-editor.org/rfc/rfc3550#section-5.1"},
      [BRTC_INSPECT_RTCP] = {"rtcp", "RTCP from the browser, decrypted",
                             "RTCP we send, before encryption",
                             "05-rtp-and-rtcp.md#chromes-rtcp-sender-reports",
                             "05-rtp-and-rtcp.md#the-servers-rtcp",
                             "https://www.rfc-editor.org/rfc/rfc3550#section-6.4"},
  };
  return &infos[k <= BRTC_INSPECT_RTCP ? k : BRTC_INSPECT_UNKNOWN];
}

static char *hex_of(const uint8_t *d, size_t n) {
  static const char digits[] = "0123456789abcdef";
  char *s = malloc(2 * n + 1);
  if (!s) return NULL;
  for (size_t i = 0; i < n; i++) {
    s[2 * i] = digits[d[i] >> 4];
    s[2 * i + 1] = digits[d[i] & 15];
  }
  s[2 * n] = '\0';
  return s;
}

static bool add_fields(cJSON *o, const brtc_inspect_packet *p, bool plaintext,
                       const brtc_inspect_context *ctx, brtc_inspect_field *fields) {
  size_t n = brtc_inspect_decode(p->data, p->kept, plaintext, ctx, fields, MAX_FIELDS,
                                 sizeof(*fields));
  cJSON *list = cJSON_AddArrayToObject(o, "fields");
  if (!list) return false;
  for (size_t i = 0; i < n && i < MAX_FIELDS; i++) {
    const brtc_inspect_field *f = &fields[i];
    cJSON *x = cJSON_CreateObject();
    if (!x || !cJSON_AddItemToArray(list, x)) {
      cJSON_Delete(x);
      return false;
    }
    if (!cJSON_AddNumberToObject(x, "offset", f->offset) ||
        !cJSON_AddNumberToObject(x, "len", f->len) ||
        !cJSON_AddNumberToObject(x, "depth", f->depth) ||
        !cJSON_AddStringToObject(x, "name", f->name) ||
        !cJSON_AddStringToObject(x, "value", f->value) ||
        (f->meaning && !cJSON_AddStringToObject(x, "meaning", f->meaning)) ||
        (f->ref && !cJSON_AddStringToObject(x, "ref", f->ref)))
      return false;
  }
  return cJSON_AddBoolToObject(o, "fields_cut", n > MAX_FIELDS) != NULL;
}

static cJSON *packet_json(const brtc_inspect_entry *e, const brtc_inspect_packet *p, bool plaintext,
                          brtc_inspect_field *fields) {
  cJSON *o = cJSON_CreateObject();
  char line[BRTC_INSPECT_LINE];
  brtc_inspect_describe(p->data, p->kept, plaintext, line, sizeof(line));
  char *hex = hex_of(p->data, p->kept);
  uint64_t t = p->at_us > e->started_us ? p->at_us - e->started_us : 0;
  bool ok = o && hex && cJSON_AddNumberToObject(o, "t_ms", (double)t / 1000.0) &&
            cJSON_AddNumberToObject(o, "order", (double)p->order) &&
            cJSON_AddNumberToObject(o, "len", p->len) &&
            cJSON_AddBoolToObject(o, "truncated", p->kept < p->len) &&
            cJSON_AddStringToObject(o, "hex", hex) && cJSON_AddStringToObject(o, "summary", line) &&
            add_fields(o, p, plaintext, e->ctx, fields);
  free(hex);
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

/* A plaintext packet's form on the wire: inbound, the datagram tapped just before it was
 * unprotected; outbound, the first SRTP/SRTCP datagram tapped after it was protected. */
static const brtc_inspect_packet *wire_form(const brtc_inspect_entry *e,
                                            const brtc_inspect_bucket *b,
                                            const brtc_inspect_packet *p) {
  brtc_inspect_kind want = b->kind == BRTC_INSPECT_RTP ? BRTC_INSPECT_SRTP : BRTC_INSPECT_SRTCP;
  const brtc_inspect_packet *best = NULL;
  for (size_t i = 0; i < e->n_buckets; i++) {
    const brtc_inspect_bucket *w = &e->buckets[i];
    if (w->kind != want || w->inbound != b->inbound) continue;
    for (size_t k = 0; k < w->n; k++) {
      const brtc_inspect_packet *q = &w->packets[k];
      if (b->inbound && q->order + 1 == p->order) return q;
      if (!b->inbound && q->order > p->order && (!best || q->order < best->order)) best = q;
    }
  }
  return best && best->order <= p->order + 4 ? best : NULL;
}

static cJSON *bucket_json(const brtc_inspect_entry *e, const brtc_inspect_bucket *b,
                          brtc_inspect_field *fields) {
  const kind_info *k = info_of(b->kind);
  bool plaintext = b->kind == BRTC_INSPECT_RTP || b->kind == BRTC_INSPECT_RTCP;
  bool media = b->kind == BRTC_INSPECT_RTP || b->kind == BRTC_INSPECT_SRTP;
  char chapter[96];
  snprintf(chapter, sizeof(chapter), "docs/journey/%s",
           b->inbound ? k->chapter_in : k->chapter_out);
  cJSON *o = cJSON_CreateObject();
  bool ok = o && cJSON_AddStringToObject(o, "kind", k->name) &&
            cJSON_AddStringToObject(o, "direction", b->inbound ? "in" : "out") &&
            (media ? cJSON_AddNumberToObject(o, "ssrc", b->ssrc) != NULL
                   : cJSON_AddNullToObject(o, "ssrc") != NULL) &&
            cJSON_AddStringToObject(o, "title", b->inbound ? k->title_in : k->title_out) &&
            cJSON_AddStringToObject(o, "chapter", chapter) &&
            cJSON_AddStringToObject(o, "rfc", k->rfc) &&
            cJSON_AddNumberToObject(o, "seen", (double)b->seen);
  cJSON *list = ok ? cJSON_AddArrayToObject(o, "packets") : NULL;
  for (size_t i = 0; list && i < b->n; i++) {
    cJSON *p = packet_json(e, &b->packets[i], plaintext, fields);
    if (!p || !cJSON_AddItemToArray(list, p)) {
      cJSON_Delete(p);
      list = NULL;
      break;
    }
    const brtc_inspect_packet *w = plaintext ? wire_form(e, b, &b->packets[i]) : NULL;
    cJSON *wj = w ? packet_json(e, w, false, fields) : NULL;
    if (wj && !cJSON_AddItemToObject(p, "wire", wj)) cJSON_Delete(wj);
  }
  if (!list) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

static const char *ext_label(brtc_inspect_ext e) {
  static const char *names[] = {"",
                                "mid",
                                "abs-send-time",
                                "transport-wide-cc",
                                "audio-level",
                                "toffset",
                                "video-orientation",
                                "rtp-stream-id",
                                "repaired-rtp-stream-id",
                                "other"};
  return e < sizeof(names) / sizeof(names[0]) ? names[e] : "other";
}

char *brtc_inspect_json(const brtc_inspect_entry *e) {
  brtc_inspect_field *fields = malloc(MAX_FIELDS * sizeof(*fields));
  cJSON *o = cJSON_CreateObject();
  cJSON *ufrags = cJSON_CreateObject();
  bool ok = fields && o && ufrags && cJSON_AddItemToObject(o, "ufrags", ufrags);
  if (!ok) cJSON_Delete(ufrags);
  ok = ok && cJSON_AddStringToObject(o, "session", e->session) &&
       cJSON_AddStringToObject(o, "state", e->live ? "live" : "ended") &&
       cJSON_AddNumberToObject(o, "per_kind", (double)e->per_kind) &&
       cJSON_AddNumberToObject(o, "other_streams", (double)e->other_streams) &&
       cJSON_AddStringToObject(o, "srtp_profile", e->srtp_profile) &&
       cJSON_AddStringToObject(ufrags, "server", brtc_inspect_context_ufrag(e->ctx, true)) &&
       cJSON_AddStringToObject(ufrags, "browser", brtc_inspect_context_ufrag(e->ctx, false));
  cJSON *ext = ok ? cJSON_AddArrayToObject(o, "extmap") : NULL;
  for (unsigned id = 1; ext && id < 256; id++) {
    brtc_inspect_ext kind = brtc_inspect_context_ext(e->ctx, id);
    if (!kind) continue;
    cJSON *x = cJSON_CreateObject();
    if (x && !cJSON_AddItemToArray(ext, x)) {
      cJSON_Delete(x);
      x = NULL;
    }
    if (!x || !cJSON_AddNumberToObject(x, "id", id) ||
        !cJSON_AddStringToObject(x, "name", ext_label(kind)))
      ext = NULL;
  }
  cJSON *kinds = ext ? cJSON_AddArrayToObject(o, "kinds") : NULL;
  for (size_t i = 0; kinds && i < e->n_buckets; i++) {
    cJSON *b = bucket_json(e, &e->buckets[i], fields);
    if (!b || !cJSON_AddItemToArray(kinds, b)) {
      cJSON_Delete(b);
      kinds = NULL;
    }
  }
  char *text = kinds ? cJSON_PrintUnformatted(o) : NULL;
  cJSON_Delete(o);
  free(fields);
  return text;
}

char *brtc_inspect_stats_json(const brtc_inspect_store *st) {
  size_t live = 0;
  for (size_t i = 0; i < st->n; i++) live += st->entries[i]->live;
  cJSON *o = cJSON_CreateObject();
  bool ok = o && cJSON_AddNumberToObject(o, "inspected", (double)st->n) &&
            cJSON_AddNumberToObject(o, "live", (double)live) &&
            cJSON_AddNumberToObject(o, "max_sessions", (double)st->max_sessions) &&
            cJSON_AddNumberToObject(o, "per_kind", (double)st->per_kind) &&
            cJSON_AddNumberToObject(o, "linger_s", (double)(st->linger_us / 1000000u)) &&
            cJSON_AddNumberToObject(o, "bytes", (double)brtc_inspect_store_bytes(st)) &&
            cJSON_AddNumberToObject(o, "opened", (double)st->opened) &&
            cJSON_AddNumberToObject(o, "refused", (double)st->refused);
  char *text = ok ? cJSON_PrintUnformatted(o) : NULL;
  cJSON_Delete(o);
  return text;
}
