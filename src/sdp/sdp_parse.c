/* SDP parser (RFC 8866) for WebRTC offers and answers.
 * The input is never assumed NUL-terminated; every token is a (pointer, length) span.
 * A parsed description is one allocation that follows what the text holds: a quick look
 * first (size_of) counts the m= lines and their formats; the block then holds the brtc_sdp,
 * its sections, one pool of codecs and the kept strings (at most the text's length), in
 * that order. Sixteen fixed sections of fixed-size strings had made every
 * description over 300 KB, parsed for each offer and answer a pc handles. */
#include "sdp/sdp.h"

#include <assert.h>
#include <stdarg.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"

typedef struct span {
  const char *p;
  size_t n;
} span;

typedef struct parser {
  brtc_sdp *out;
  size_t media_cap;            /* sections out->media has room for */
  brtc_sdp_codec *codecs;      /* the codec pool's unused part */
  size_t codecs_left;
  char *text;                  /* the string store's unused part */
  size_t text_left;
  char *err;
  size_t err_cap;
  unsigned line_no;
  brtc_sdp_media *media;                  /* current section, NULL at session level */
  bool media_dir_set[BRTC_SDP_MAX_MEDIA]; /* section had its own direction attribute */
  bool session_dir_set;
  brtc_sdp_direction session_dir;
  bool have_v, have_o;
} parser;

__attribute__((format(printf, 2, 3))) static int fail(parser *ps, const char *fmt, ...) {
  if (ps->err && ps->err_cap > 0) {
    int n = snprintf(ps->err, ps->err_cap, "line %u: ", ps->line_no);
    if (n >= 0 && (size_t)n < ps->err_cap) {
      va_list ap;
      va_start(ap, fmt);
      vsnprintf(ps->err + n, ps->err_cap - (size_t)n, fmt, ap);
      va_end(ap);
    }
  }
  return BRTC_ERR_PARSE;
}

static bool is_space(char c) { return c == ' ' || c == '\t'; }

static span trim(span s) {
  while (s.n > 0 && is_space(s.p[0])) {
    s.p++;
    s.n--;
  }
  while (s.n > 0 && is_space(s.p[s.n - 1])) s.n--;
  return s;
}

/* Next whitespace-separated token of *s (empty when none); *s moves past it. */
static span next_token(span *s) {
  *s = trim(*s);
  size_t i = 0;
  while (i < s->n && !is_space(s->p[i])) i++;
  span t = {s->p, i};
  s->p += i;
  s->n -= i;
  *s = trim(*s);
  return t;
}

/* Split *s at the first c: returns the part before, *s becomes the part after (or empty). */
static span split_at(span *s, char c, bool *found) {
  const char *hit = s->n ? memchr(s->p, c, s->n) : NULL;
  span head = *s;
  if (!hit) {
    s->p += s->n;
    s->n = 0;
    if (found) *found = false;
    return head;
  }
  head.n = (size_t)(hit - s->p);
  s->n -= head.n + 1;
  s->p = hit + 1;
  if (found) *found = true;
  return head;
}

static bool span_eq(span s, const char *lit) {
  size_t n = strlen(lit);
  return s.n == n && memcmp(s.p, lit, n) == 0;
}

static bool span_ieq(span s, const char *lit) {
  size_t n = strlen(lit);
  if (s.n != n) return false;
  for (size_t i = 0; i < n; i++) {
    char a = s.p[i], b = lit[i];
    if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = (char)(b - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

/* Strict unsigned decimal: digits only, at least one, no overflow past max. */
static bool parse_uint(span t, uint64_t max, uint64_t *out) {
  if (t.n == 0) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < t.n; i++) {
    char c = t.p[i];
    if (c < '0' || c > '9') return false;
    unsigned d = (unsigned)(c - '0');
    if (v > (max - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

/* The pieces as a NUL-terminated string in the store; NULL only if size_of undercounted. */
static char *store_text(parser *ps, span head, span v) {
  size_t n = head.n + v.n;
  if (n >= ps->text_left) return NULL;
  char *dst = ps->text;
  memcpy(dst, head.p, head.n);
  memcpy(dst + head.n, v.p, v.n);
  dst[n] = '\0';
  ps->text += n + 1;
  ps->text_left -= n + 1;
  return dst;
}

static int store_full(parser *ps) {
  fail(ps, "internal: the description's string store is full");
  return BRTC_ERR_NOMEM;
}

/* Keep a value of at most cap - 1 bytes: longer fails (never truncates; a cut mid, ufrag or
 * fmtp would silently mean something else). */
static int copy_value(parser *ps, const char **dst, size_t cap, span v, const char *what) {
  if (v.n >= cap)
    return fail(ps, "%s value too long (%zu bytes, at most %zu)", what, v.n, cap - 1);
  const char *kept = store_text(ps, (span){"", 0}, v);
  if (!kept) return store_full(ps);
  *dst = kept;
  return BRTC_OK;
}

/* The codecs an m= line (its value v) can give: its formats, if its proto is RTP, up to
 * BRTC_SDP_MAX_CODECS. The same count sizes the pool (size_of) and takes from it. */
static size_t codec_room(span v) {
  next_token(&v); /* media */
  next_token(&v); /* port */
  span proto = next_token(&v);
  bool rtp = false;
  for (size_t i = 0; i + 4 <= proto.n && !rtp; i++) rtp = memcmp(proto.p + i, "RTP/", 4) == 0;
  size_t n = 0;
  while (rtp && v.n > 0 && n < BRTC_SDP_MAX_CODECS) {
    next_token(&v);
    n++;
  }
  return n;
}

static brtc_sdp_codec *find_codec(brtc_sdp_media *m, uint64_t pt) {
  for (size_t i = 0; i < m->n_codecs; i++)
    if (m->codecs[i].payload_type == pt) return &m->codecs[i];
  return NULL;
}

/* "m=<media> <port>[/<count>] <proto> <fmt> ..." */
static int parse_m_line(parser *ps, span v) {
  brtc_sdp *s = ps->out;
  if (s->n_media >= BRTC_SDP_MAX_MEDIA)
    return fail(ps, "more than %d m= lines", BRTC_SDP_MAX_MEDIA);
  size_t room = codec_room(v);
  if (s->n_media >= ps->media_cap || room > ps->codecs_left)
    return fail(ps, "internal: the description has no room for this m= line");
  brtc_sdp_media *m = &s->media[s->n_media];
  *m = (brtc_sdp_media){.kind_text = "", .proto = "", .mid = "", .ice_ufrag = "",
                        .ice_pwd = "", .fingerprint_hash = "", .fingerprint = "",
                        .first_fmt = "", .codecs = ps->codecs};
  ps->codecs += room;
  ps->codecs_left -= room;
  span kind = next_token(&v);
  span port_field = next_token(&v);
  span proto = next_token(&v);
  if (kind.n == 0) return fail(ps, "m= line without media type");
  if (port_field.n == 0) return fail(ps, "m= line without port");
  if (proto.n == 0) return fail(ps, "m= line without transport protocol");
  if (v.n == 0) return fail(ps, "m= line without formats");
  span port_text = split_at(&port_field, '/', NULL);
  uint64_t port;
  if (!parse_uint(port_text, 65535, &port)) return fail(ps, "m= line with a bad port");
  int rc = copy_value(ps, &m->kind_text, BRTC_SDP_TOKEN, kind, "m= media type");
  if (rc == BRTC_OK) rc = copy_value(ps, &m->proto, BRTC_SDP_TOKEN, proto, "m= protocol");
  if (rc != BRTC_OK) return rc;
  m->port = (uint16_t)port;
  if (span_eq(kind, "audio")) {
    m->kind = BRTC_MEDIA_AUDIO;
  } else if (span_eq(kind, "video")) {
    m->kind = BRTC_MEDIA_VIDEO;
  } else if (span_eq(kind, "application")) {
    m->kind = BRTC_MEDIA_APPLICATION;
  } else {
    m->kind = BRTC_MEDIA_OTHER;
  }
  bool rtp = strstr(m->proto, "RTP/") != NULL;
  bool first = true;
  while (v.n > 0) {
    span fmt = next_token(&v);
    if (first) {
      rc = copy_value(ps, &m->first_fmt, BRTC_SDP_TOKEN, fmt, "m= format");
      if (rc != BRTC_OK) return rc;
      first = false;
    }
    uint64_t pt;
    /* Non-numeric or out-of-range RTP formats and duplicates are not codecs we could use. */
    if (!rtp || !parse_uint(fmt, 127, &pt) || find_codec(m, pt)) continue;
    if (m->n_codecs >= room) continue; /* past BRTC_SDP_MAX_CODECS */
    m->codecs[m->n_codecs++] =
        (brtc_sdp_codec){.payload_type = (uint8_t)pt, .name = "", .fmtp = "", .apt = -1};
  }
  s->n_media++;
  ps->media = m;
  return BRTC_OK;
}

/* "o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>" */
static int parse_o_line(parser *ps, span v) {
  span user = next_token(&v);
  span id = next_token(&v);
  span version = next_token(&v);
  if (user.n == 0 || id.n == 0 || version.n == 0) return fail(ps, "o= line with missing fields");
  if (!parse_uint(id, UINT64_MAX, &ps->out->session_id))
    return fail(ps, "o= line with a bad session id");
  if (!parse_uint(version, UINT64_MAX, &ps->out->session_version))
    return fail(ps, "o= line with a bad session version");
  ps->have_o = true;
  return BRTC_OK;
}

/* "rtpmap:<pt> <name>/<clock>[/<channels>]" */
static int parse_rtpmap(parser *ps, brtc_sdp_media *m, span v) {
  uint64_t pt, clock, channels = 0;
  span pt_text = next_token(&v);
  if (!parse_uint(pt_text, 127, &pt)) return fail(ps, "a=rtpmap with a bad payload type");
  span enc = next_token(&v);
  span name = split_at(&enc, '/', NULL);
  span clock_text = split_at(&enc, '/', NULL);
  if (name.n == 0 || !parse_uint(clock_text, UINT32_MAX, &clock))
    return fail(ps, "a=rtpmap without <name>/<clock rate>");
  if (enc.n > 0 && !parse_uint(enc, 255, &channels))
    return fail(ps, "a=rtpmap with bad channels");
  brtc_sdp_codec *c = find_codec(m, pt);
  if (!c) return BRTC_OK; /* not in the m= line (or past the codec limit) */
  int rc = copy_value(ps, &c->name, BRTC_SDP_TOKEN, name, "a=rtpmap encoding name");
  if (rc != BRTC_OK) return rc;
  c->clock_rate = (uint32_t)clock;
  c->channels = (uint8_t)channels;
  return BRTC_OK;
}

/* "fmtp:<pt> <params>"; apt=<pt> (RFC 4588) is picked out for rtx. */
static int parse_fmtp(parser *ps, brtc_sdp_media *m, span v) {
  uint64_t pt;
  span pt_text = next_token(&v);
  if (!parse_uint(pt_text, 127, &pt)) return fail(ps, "a=fmtp with a bad payload type");
  brtc_sdp_codec *c = find_codec(m, pt);
  if (!c) return BRTC_OK;
  int rc = copy_value(ps, &c->fmtp, BRTC_SDP_LONG, v, "a=fmtp");
  if (rc != BRTC_OK) return rc;
  while (v.n > 0) {
    span param = trim(split_at(&v, ';', NULL));
    bool has_eq;
    span key = trim(split_at(&param, '=', &has_eq));
    if (!has_eq || !span_eq(key, "apt")) continue;
    uint64_t apt;
    if (!parse_uint(trim(param), 127, &apt)) return fail(ps, "a=fmtp with a bad apt");
    c->apt = (int)apt;
  }
  return BRTC_OK;
}

static void apply_fb(brtc_sdp_codec *c, span type, span param) {
  if (span_eq(type, "nack") && param.n == 0) c->fb_nack = true;
  else if (span_eq(type, "nack") && span_eq(param, "pli")) c->fb_nack_pli = true;
  else if (span_eq(type, "ccm") && span_eq(param, "fir")) c->fb_ccm_fir = true;
  else if (span_eq(type, "goog-remb")) c->fb_goog_remb = true;
  else if (span_eq(type, "transport-cc")) c->fb_transport_cc = true;
}

/* "rtcp-fb:<pt>|* <type> [<param>]" (RFC 4585) */
static int parse_rtcp_fb(parser *ps, brtc_sdp_media *m, span v) {
  span pt_text = next_token(&v);
  span type = next_token(&v);
  span param = next_token(&v);
  if (type.n == 0) return fail(ps, "a=rtcp-fb without a feedback type");
  if (span_eq(pt_text, "*")) {
    for (size_t i = 0; i < m->n_codecs; i++) apply_fb(&m->codecs[i], type, param);
    return BRTC_OK;
  }
  uint64_t pt;
  if (!parse_uint(pt_text, 127, &pt)) return fail(ps, "a=rtcp-fb with a bad payload type");
  brtc_sdp_codec *c = find_codec(m, pt);
  if (c) apply_fb(c, type, param);
  return BRTC_OK;
}

/* "extmap:<id>[/<direction>] <uri> [<attributes>]" (RFC 8285) */
static int parse_extmap(parser *ps, brtc_sdp_media *m, span v) {
  span id_field = next_token(&v);
  span uri = next_token(&v);
  span id_text = split_at(&id_field, '/', NULL);
  uint64_t id;
  if (!parse_uint(id_text, 255, &id) || id == 0 || uri.n == 0)
    return fail(ps, "a=extmap without <id> <uri>");
  if (m->n_extmaps >= BRTC_SDP_MAX_EXTMAPS || uri.n >= BRTC_SDP_LONG) return BRTC_OK;
  for (size_t i = 0; i < m->n_extmaps; i++)
    if (m->extmaps[i].id == id) return BRTC_OK; /* the first mapping of an id wins */
  const char *kept = store_text(ps, (span){"", 0}, uri);
  if (!kept) return store_full(ps);
  m->extmaps[m->n_extmaps++] = (brtc_sdp_extmap){.id = (uint8_t)id, .uri = kept};
  return BRTC_OK;
}

/* "ssrc:<ssrc-id> <attribute>[:<value>]" (RFC 5576): only the distinct ids are kept. */
static int parse_ssrc(parser *ps, brtc_sdp_media *m, span v) {
  uint64_t ssrc;
  if (!parse_uint(next_token(&v), UINT32_MAX, &ssrc)) return fail(ps, "a=ssrc with a bad id");
  for (size_t i = 0; i < m->n_ssrcs; i++)
    if (m->ssrcs[i] == ssrc) return BRTC_OK;
  if (m->n_ssrcs < BRTC_SDP_MAX_SSRCS) m->ssrcs[m->n_ssrcs++] = (uint32_t)ssrc;
  return BRTC_OK;
}

/* "ssrc-group:FID <media ssrc> <rtx ssrc>" (RFC 5576 4.2); other semantics (SIM, FEC-FR)
 * are not used. */
static int parse_ssrc_group(parser *ps, brtc_sdp_media *m, span v) {
  span semantics = next_token(&v);
  if (!span_eq(semantics, "FID") || m->fid_media_ssrc) return BRTC_OK;
  uint64_t media, rtx;
  if (!parse_uint(next_token(&v), UINT32_MAX, &media) ||
      !parse_uint(next_token(&v), UINT32_MAX, &rtx))
    return fail(ps, "a=ssrc-group:FID without two SSRCs");
  m->fid_media_ssrc = (uint32_t)media;
  m->fid_rtx_ssrc = (uint32_t)rtx;
  return BRTC_OK;
}

#define FINGERPRINT_HASH_MAX 16 /* "sha-256" and its kin, NUL included */

static int parse_fingerprint(parser *ps, const char **hash_out, const char **fp_out, span v) {
  span hash = next_token(&v);
  span value = next_token(&v);
  if (hash.n == 0 || value.n == 0) return fail(ps, "a=fingerprint without <hash> <value>");
  /* RFC 8122 allows several; keep a sha-256 one if offered, else the first. */
  if ((*hash_out)[0] != '\0' && (strcmp(*hash_out, "sha-256") == 0 || !span_ieq(hash, "sha-256")))
    return BRTC_OK;
  if (hash.n >= FINGERPRINT_HASH_MAX) return fail(ps, "a=fingerprint hash name too long");
  int rc = copy_value(ps, fp_out, BRTC_SDP_LONG, value, "a=fingerprint");
  if (rc != BRTC_OK) return rc;
  char *lower = store_text(ps, (span){"", 0}, hash);
  if (!lower) return store_full(ps);
  for (size_t i = 0; i < hash.n; i++)
    if (lower[i] >= 'A' && lower[i] <= 'Z') lower[i] = (char)(lower[i] - 'A' + 'a');
  *hash_out = lower;
  return BRTC_OK;
}

static int parse_setup(parser *ps, brtc_sdp_setup *out, span v) {
  if (span_eq(v, "actpass")) *out = BRTC_SETUP_ACTPASS;
  else if (span_eq(v, "active")) *out = BRTC_SETUP_ACTIVE;
  else if (span_eq(v, "passive")) *out = BRTC_SETUP_PASSIVE;
  else return fail(ps, "a=setup value is not actpass, active or passive");
  return BRTC_OK;
}

static int parse_bundle(parser *ps, span v) {
  brtc_sdp *s = ps->out;
  span semantics = next_token(&v);
  if (!span_eq(semantics, "BUNDLE") || s->n_bundle_mids > 0) return BRTC_OK; /* first group */
  while (v.n > 0) {
    span mid = next_token(&v);
    if (s->n_bundle_mids >= BRTC_SDP_MAX_MEDIA) break;
    int rc = copy_value(ps, &s->bundle_mids[s->n_bundle_mids], BRTC_SDP_TOKEN, mid,
                        "a=group:BUNDLE mid");
    if (rc != BRTC_OK) return rc;
    s->n_bundle_mids++;
  }
  return BRTC_OK;
}

static bool parse_direction(span name, brtc_sdp_direction *dir) {
  if (span_eq(name, "sendrecv")) *dir = BRTC_DIR_SENDRECV;
  else if (span_eq(name, "sendonly")) *dir = BRTC_DIR_SENDONLY;
  else if (span_eq(name, "recvonly")) *dir = BRTC_DIR_RECVONLY;
  else if (span_eq(name, "inactive")) *dir = BRTC_DIR_INACTIVE;
  else return false;
  return true;
}

/* "a=<name>[:<value>]" at session level (ps->media NULL) or in the current section. */
static int parse_attribute(parser *ps, span line) {
  brtc_sdp *s = ps->out;
  brtc_sdp_media *m = ps->media;
  bool has_value;
  span name = split_at(&line, ':', &has_value);
  span v = trim(line);
  brtc_sdp_direction dir;

  if (parse_direction(name, &dir)) {
    if (m) {
      m->direction = dir;
      ps->media_dir_set[m - s->media] = true;
    } else {
      ps->session_dir = dir;
      ps->session_dir_set = true;
    }
    return BRTC_OK;
  }
  if (span_eq(name, "ice-ufrag"))
    return copy_value(ps, m ? &m->ice_ufrag : &s->ice_ufrag, BRTC_SDP_TOKEN, v, "a=ice-ufrag");
  if (span_eq(name, "ice-pwd"))
    return copy_value(ps, m ? &m->ice_pwd : &s->ice_pwd, BRTC_SDP_LONG, v, "a=ice-pwd");
  if (span_eq(name, "fingerprint")) {
    if (m) return parse_fingerprint(ps, &m->fingerprint_hash, &m->fingerprint, v);
    return parse_fingerprint(ps, &s->fingerprint_hash, &s->fingerprint, v);
  }
  if (span_eq(name, "setup")) return parse_setup(ps, m ? &m->setup : &s->setup, v);
  if (!m) {
    if (span_eq(name, "group")) return parse_bundle(ps, v);
    if (span_eq(name, "ice-lite")) s->ice_lite = true;
    if (span_eq(name, "end-of-candidates")) s->end_of_candidates = true;
    return BRTC_OK; /* media-only attributes at session level are ignored */
  }
  if (span_eq(name, "mid")) {
    if (v.n == 0) return fail(ps, "a=mid without a value");
    for (size_t i = 0; i < v.n; i++)
      if (is_space(v.p[i])) return fail(ps, "a=mid value is not a single token");
    return copy_value(ps, &m->mid, BRTC_SDP_TOKEN, v, "a=mid");
  }
  if (span_eq(name, "rtcp-mux")) {
    m->rtcp_mux = true;
    return BRTC_OK;
  }
  if (span_eq(name, "rtcp-rsize")) {
    m->rtcp_rsize = true;
    return BRTC_OK;
  }
  if (span_eq(name, "bundle-only")) {
    m->bundle_only = true;
    return BRTC_OK;
  }
  if (span_eq(name, "end-of-candidates")) {
    m->end_of_candidates = true;
    return BRTC_OK;
  }
  if (span_eq(name, "rtpmap")) return parse_rtpmap(ps, m, v);
  if (span_eq(name, "fmtp")) return parse_fmtp(ps, m, v);
  if (span_eq(name, "rtcp-fb")) return parse_rtcp_fb(ps, m, v);
  if (span_eq(name, "extmap")) return parse_extmap(ps, m, v);
  if (span_eq(name, "ssrc")) return parse_ssrc(ps, m, v);
  if (span_eq(name, "ssrc-group")) return parse_ssrc_group(ps, m, v);
  if (span_eq(name, "candidate")) {
    static const char prefix[] = "candidate:";
    /* Kept whole with its "candidate:" prefix; over-long or extra ones are dropped. */
    if (m->n_candidates < BRTC_SDP_MAX_CANDIDATES && v.n > 0 &&
        sizeof prefix - 1 + v.n < BRTC_SDP_LONG) {
      const char *kept = store_text(ps, (span){prefix, sizeof prefix - 1}, v);
      if (!kept) return store_full(ps);
      m->candidates[m->n_candidates++] = kept;
    }
    return BRTC_OK;
  }
  if (span_eq(name, "sctp-port")) {
    uint64_t port;
    if (!parse_uint(v, 65535, &port)) return fail(ps, "a=sctp-port with a bad port");
    m->sctp_port = (uint16_t)port;
    return BRTC_OK;
  }
  if (span_eq(name, "sctpmap")) {
    /* draft-ietf-mmusic-sctp-sdp-05 4 (aiortc 1.4, older Firefox): "<port> <protocol>
     * [<streams>]" with m=application ... DTLS/SCTP <port>. Only webrtc-datachannel counts. */
    span port_text = next_token(&v), protocol = next_token(&v);
    uint64_t port;
    if (!parse_uint(port_text, 65535, &port)) return fail(ps, "a=sctpmap with a bad port");
    if (span_eq(protocol, "webrtc-datachannel")) {
      m->sctpmap_port = (uint16_t)port;
      m->sctpmap_datachannel = true;
    }
    return BRTC_OK;
  }
  if (span_eq(name, "max-message-size")) {
    uint64_t size;
    if (!parse_uint(v, UINT64_MAX, &size)) return fail(ps, "a=max-message-size with a bad size");
    m->max_message_size = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
    m->has_max_message_size = true;
    return BRTC_OK;
  }
  return BRTC_OK; /* an attribute we do not use */
}

static int parse_line(parser *ps, span line) {
  if (line.n < 2 || line.p[1] != '=' || line.p[0] < 'a' || line.p[0] > 'z')
    return fail(ps, "not a <type>=<value> line");
  char type = line.p[0];
  span v = {line.p + 2, line.n - 2};
  if (!ps->have_v) {
    if (type != 'v') return fail(ps, "SDP must start with v=0");
    if (!span_eq(trim(v), "0")) return fail(ps, "unsupported SDP version (v=0 expected)");
    ps->have_v = true;
    return BRTC_OK;
  }
  switch (type) {
    case 'v': return fail(ps, "second v= line");
    case 'o':
      if (ps->media || ps->have_o) return fail(ps, "o= line out of place");
      return parse_o_line(ps, v);
    case 'm': return parse_m_line(ps, v);
    case 'a': return parse_attribute(ps, v);
    default: return BRTC_OK; /* s=, t=, c=, b=, ... and unknown types are not needed */
  }
}

/* The next line of text[*pos ..) without its LF or CRLF; false at the end. */
static bool next_line(const char *text, size_t len, size_t *pos, span *line) {
  if (*pos >= len) return false;
  const char *start = text + *pos;
  const char *nl = memchr(start, '\n', len - *pos);
  size_t n = nl ? (size_t)(nl - start) : len - *pos;
  *pos += n + (nl ? 1 : 0);
  *line = (span){start, n};
  if (line->n > 0 && line->p[line->n - 1] == '\r') line->n--;
  return true;
}

typedef struct sdp_size {
  size_t media, codecs, text;
} sdp_size;

/* What parsing text can keep, counted before it is parsed, in one quick look for m= lines:
 * the sections (at most BRTC_SDP_MAX_MEDIA; one more fails), the codecs of each m= line
 * (codec_room), and for the strings the text's length and one: every kept value is a part
 * of one line that a separator or the line's end follows, and no part is kept twice (a
 * candidate's "candidate:" prefix is shorter than the "a=candidate:" it stands for). */
static sdp_size size_of(const char *text, size_t len) {
  sdp_size z = {0, 0, len + 1};
  const char *end = text + len;
  for (const char *p = text; p && p < end && z.media < BRTC_SDP_MAX_MEDIA;) {
    while (p < end && is_space(*p)) p++; /* parse_line sees the line trimmed */
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (end - p >= 2 && p[0] == 'm' && p[1] == '=') {
      z.media++;
      z.codecs += codec_room((span){p + 2, (size_t)((nl ? nl : end) - p - 2)});
    }
    p = nl ? nl + 1 : NULL;
  }
  return z;
}

/* The block: the brtc_sdp, its sections, the codec pool, the strings; each part starts
 * aligned for the next because every struct's size is a multiple of its alignment. */
static_assert(alignof(brtc_sdp) >= alignof(brtc_sdp_media) &&
                  alignof(brtc_sdp_media) >= alignof(brtc_sdp_codec),
              "the block's parts are laid out from the most aligned down");

static brtc_sdp *new_sdp(const char *text, size_t len, parser *ps) {
  sdp_size z = size_of(text, len);
  size_t structs = sizeof(brtc_sdp) + z.media * sizeof(brtc_sdp_media) +
                   z.codecs * sizeof(brtc_sdp_codec);
  char *block = malloc(structs + z.text);
  if (!block) return NULL;
  memset(block, 0, structs);
  brtc_sdp *s = (brtc_sdp *)(void *)block;
  *s = (brtc_sdp){.ice_ufrag = "", .ice_pwd = "", .fingerprint_hash = "", .fingerprint = "",
                  .bytes = structs + z.text};
  s->media = (brtc_sdp_media *)(void *)(block + sizeof(brtc_sdp));
  ps->out = s;
  ps->media_cap = z.media;
  ps->codecs = (brtc_sdp_codec *)(void *)(block + sizeof(brtc_sdp) +
                                          z.media * sizeof(brtc_sdp_media));
  ps->codecs_left = z.codecs;
  ps->text = block + structs;
  ps->text_left = z.text;
  return s;
}

static int parse_text(parser *ps, const char *text, size_t len) {
  size_t pos = 0;
  span line;
  while (next_line(text, len, &pos, &line)) {
    ps->line_no++;
    if (memchr(line.p, '\0', line.n) || memchr(line.p, '\r', line.n))
      return fail(ps, "NUL or stray CR in line");
    line = trim(line);
    if (line.n == 0) continue; /* blank lines (a trailing one is common) are harmless */
    int rc = parse_line(ps, line);
    if (rc != BRTC_OK) return rc;
  }
  ps->line_no++;
  if (!ps->have_v) return fail(ps, "empty SDP (v=0 expected)");
  if (!ps->have_o) return fail(ps, "SDP has no o= line");
  brtc_sdp *out = ps->out;
  for (size_t i = 0; i < out->n_media; i++) {
    if (!ps->media_dir_set[i] && ps->session_dir_set) out->media[i].direction = ps->session_dir;
    /* A mid names one section (RFC 5888); a repeat would make BUNDLE ambiguous. */
    for (size_t j = 0; j < i && out->media[i].mid[0]; j++)
      if (strcmp(out->media[i].mid, out->media[j].mid) == 0)
        return fail(ps, "a=mid:%s is used by m= sections %zu and %zu", out->media[i].mid, j, i);
  }
  return BRTC_OK;
}

int brtc_sdp_parse(const char *text, size_t len, brtc_sdp **out, char *err, size_t err_cap) {
  if (err && err_cap > 0) err[0] = '\0';
  if (!out || (!text && len > 0)) {
    if (err && err_cap > 0) snprintf(err, err_cap, "no SDP text or output");
    return BRTC_ERR_INVALID;
  }
  *out = NULL;
  if (len > BRTC_SDP_MAX_SIZE) {
    if (err && err_cap > 0)
      snprintf(err, err_cap, "SDP of %zu bytes is larger than %d", len, BRTC_SDP_MAX_SIZE);
    return BRTC_ERR_TOO_BIG;
  }
  parser ps = {.err = err, .err_cap = err_cap};
  brtc_sdp *s = new_sdp(text, len, &ps);
  if (!s) {
    if (err && err_cap > 0) snprintf(err, err_cap, "out of memory");
    return BRTC_ERR_NOMEM;
  }
  int rc = parse_text(&ps, text, len);
  if (rc != BRTC_OK) {
    brtc_sdp_free(s);
    return rc;
  }
  *out = s;
  return BRTC_OK;
}

void brtc_sdp_free(brtc_sdp *s) { free(s); /* one block: new_sdp */ }

const char *brtc_sdp_ice_ufrag(const brtc_sdp *s, const brtc_sdp_media *m) {
  return m && m->ice_ufrag[0] ? m->ice_ufrag : s->ice_ufrag;
}

const char *brtc_sdp_ice_pwd(const brtc_sdp *s, const brtc_sdp_media *m) {
  return m && m->ice_pwd[0] ? m->ice_pwd : s->ice_pwd;
}

const char *brtc_sdp_fingerprint(const brtc_sdp *s, const brtc_sdp_media *m, const char **hash) {
  bool media_level = m && m->fingerprint[0];
  if (hash) *hash = media_level ? m->fingerprint_hash : s->fingerprint_hash;
  return media_level ? m->fingerprint : s->fingerprint;
}

brtc_sdp_setup brtc_sdp_setup_of(const brtc_sdp *s, const brtc_sdp_media *m) {
  return m && m->setup != BRTC_SETUP_NONE ? m->setup : s->setup;
}

bool brtc_sdp_end_of_candidates(const brtc_sdp *s, const brtc_sdp_media *m) {
  return s->end_of_candidates || (m && m->end_of_candidates);
}
