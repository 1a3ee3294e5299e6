/* application/trickle-ice-sdpfrag (whip_sdpfrag.h). */
#include "signal/whip_sdpfrag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "boltrtc/error.h"

static int fail(char *err, size_t cap, int rc, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int fail(char *err, size_t cap, int rc, unsigned line, const char *fmt, ...) {
  if (!err || !cap) return rc;
  int n = snprintf(err, cap, "line %u: ", line);
  if (n < 0 || (size_t)n >= cap) return rc;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err + n, cap - (size_t)n, fmt, ap);
  va_end(ap);
  return rc;
}

/* RFC 8839 5.4 ice-char is ALPHA / DIGIT / "+" / "/"; peers in the wild use a few more, so
 * any visible ASCII but ':' (which would make USERNAME "ours:theirs" ambiguous). */
static bool good_credential(const char *v, size_t n) {
  if (n == 0 || n > BRTC_SDPFRAG_CRED_MAX) return false;
  for (size_t i = 0; i < n; i++)
    if (v[i] <= ' ' || v[i] > '~' || v[i] == ':') return false;
  return true;
}

/* A credential line: the same value at session and media level is fine (one BUNDLE
 * transport), two different ones are not. */
static int take_credential(char *dst, const char *name, const char *v, size_t n, unsigned line,
                           char *err, size_t cap) {
  if (!good_credential(v, n))
    return fail(err, cap, BRTC_ERR_PARSE, line, "a=%s must be 1 to 256 visible characters "
                "without ':' (RFC 8839 5.4)", name);
  if (dst[0] && (strlen(dst) != n || memcmp(dst, v, n) != 0))
    return fail(err, cap, BRTC_ERR_PARSE, line, "a second, different a=%s: one transport has "
                "one (BUNDLE)", name);
  memcpy(dst, v, n);
  dst[n] = '\0';
  return BRTC_OK;
}

static bool attr_is(const char *a, size_t n, const char *name, const char **value,
                    size_t *vlen) {
  size_t k = strlen(name);
  if (n < k || memcmp(a, name, k) != 0) return false;
  if (n == k) { /* a flag, no value */
    *value = a + n;
    *vlen = 0;
    return true;
  }
  if (a[k] != ':') return false;
  *value = a + k + 1;
  *vlen = n - k - 1;
  return true;
}

/* One a= line's attribute (after "a="), in section m (-1: session level). */
static int take_attribute(brtc_sdpfrag *f, long m, const char *a, size_t n, unsigned line,
                          char *err, size_t cap) {
  const char *v;
  size_t vn;
  if (attr_is(a, n, "ice-ufrag", &v, &vn))
    return take_credential(f->ufrag, "ice-ufrag", v, vn, line, err, cap);
  if (attr_is(a, n, "ice-pwd", &v, &vn))
    return take_credential(f->pwd, "ice-pwd", v, vn, line, err, cap);
  if (attr_is(a, n, "end-of-candidates", &v, &vn)) {
    if (vn) return fail(err, cap, BRTC_ERR_PARSE, line, "a=end-of-candidates takes no value");
    if (m < 0)
      f->end_of_candidates = true;
    else
      f->media[m].end_of_candidates = true;
    return BRTC_OK;
  }
  if (attr_is(a, n, "mid", &v, &vn)) {
    if (m < 0) return fail(err, cap, BRTC_ERR_PARSE, line, "a=mid before any m= line");
    if (vn == 0 || vn >= BRTC_SDPFRAG_MID_LEN)
      return fail(err, cap, BRTC_ERR_PARSE, line, "a=mid must be 1 to %d characters",
                  BRTC_SDPFRAG_MID_LEN - 1);
    if (f->media[m].mid[0]) return fail(err, cap, BRTC_ERR_PARSE, line, "a second a=mid");
    for (size_t i = 0; i < vn; i++)
      if (v[i] <= ' ' || v[i] > '~')
        return fail(err, cap, BRTC_ERR_PARSE, line, "a=mid has a blank or control character");
    memcpy(f->media[m].mid, v, vn);
    f->media[m].mid[vn] = '\0';
    return BRTC_OK;
  }
  if (n >= 10 && memcmp(a, "candidate:", 10) == 0) {
    if (m < 0)
      return fail(err, cap, BRTC_ERR_PARSE, line, "a=candidate outside a media description "
                  "(RFC 8840 9.2: candidates belong to an m= section)");
    if (n == 10) return fail(err, cap, BRTC_ERR_PARSE, line, "an empty a=candidate");
    if (n >= BRTC_SDPFRAG_LINE_MAX)
      return fail(err, cap, BRTC_ERR_PARSE, line, "a=candidate longer than %d bytes",
                  BRTC_SDPFRAG_LINE_MAX - 1);
    if (f->n_candidates == BRTC_SDPFRAG_MAX_CANDIDATES)
      return fail(err, cap, BRTC_ERR_LIMIT, line, "more than %d candidates",
                  BRTC_SDPFRAG_MAX_CANDIDATES);
    brtc_sdpfrag_candidate *c = &f->candidates[f->n_candidates++];
    c->media = (size_t)m;
    memcpy(c->value, a, n);
    c->value[n] = '\0';
    return BRTC_OK;
  }
  return BRTC_OK; /* a=ice-options, a=group, a=ice-lite and the rest: not ours to act on */
}

/* "m=<media> <port> <proto> <fmt>...": a media token and something after it. */
static bool good_m_line(const char *v, size_t n) {
  size_t i = 0;
  while (i < n && v[i] != ' ') {
    char c = v[i++];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '-' || c == '_' || c == '.'))
      return false;
  }
  return i > 0 && i + 1 < n;
}

static int end_section(const brtc_sdpfrag *f, unsigned line, char *err, size_t cap) {
  if (f->n_media && !f->media[f->n_media - 1].mid[0])
    return fail(err, cap, BRTC_ERR_PARSE, line, "the m= section before has no a=mid (RFC 8840 "
                "9.2, RFC 9725 4.3.1: candidates are matched to sections by mid)");
  return BRTC_OK;
}

int brtc_sdpfrag_parse(const char *text, size_t len, brtc_sdpfrag *f, char *err,
                       size_t err_cap) {
  if (err && err_cap) err[0] = '\0';
  if (!text || !f) return BRTC_ERR_INVALID;
  memset(f, 0, sizeof(*f));
  if (len > BRTC_SDPFRAG_MAX_SIZE)
    return fail(err, err_cap, BRTC_ERR_TOO_BIG, 0, "an sdpfrag of over %d bytes",
                BRTC_SDPFRAG_MAX_SIZE);
  long m = -1;
  unsigned line = 0;
  for (size_t at = 0; at < len;) {
    line++;
    const char *s = text + at;
    const char *nl = memchr(s, '\n', len - at);
    size_t n = nl ? (size_t)(nl - s) : len - at;
    at += n + (nl ? 1 : 0);
    if (n && s[n - 1] == '\r') n--; /* CRLF as SDP has it, or a bare LF */
    if (n == 0) continue;           /* a blank line (a trailing one, say) */
    for (size_t i = 0; i < n; i++)
      if ((unsigned char)s[i] < ' ' && s[i] != '\t')
        return fail(err, err_cap, BRTC_ERR_PARSE, line, "a control character (byte 0x%02x)",
                    (unsigned char)s[i]);
    if (n < 2 || s[1] != '=')
      return fail(err, err_cap, BRTC_ERR_PARSE, line, "not an SDP line (\"<type>=<value>\")");
    if (s[0] == 'm') {
      int rc = end_section(f, line, err, err_cap);
      if (rc != BRTC_OK) return rc;
      if (!good_m_line(s + 2, n - 2))
        return fail(err, err_cap, BRTC_ERR_PARSE, line, "a malformed m= line");
      if (f->n_media == BRTC_SDPFRAG_MAX_MEDIA)
        return fail(err, err_cap, BRTC_ERR_LIMIT, line, "more than %d m= sections",
                    BRTC_SDPFRAG_MAX_MEDIA);
      m = (long)f->n_media++;
      continue;
    }
    if (s[0] != 'a')
      return fail(err, err_cap, BRTC_ERR_PARSE, line, "a \"%c=\" line: an sdpfrag holds only "
                  "a= and m= lines (RFC 8840 9.2)", s[0]);
    int rc = take_attribute(f, m, s + 2, n - 2, line, err, err_cap);
    if (rc != BRTC_OK) return rc;
  }
  int rc = end_section(f, line, err, err_cap);
  if (rc != BRTC_OK) return rc;
  bool all_ended = f->n_media > 0;
  for (size_t i = 0; i < f->n_media; i++) all_ended &= f->media[i].end_of_candidates;
  if (all_ended) f->end_of_candidates = true;
  if (!f->ufrag[0] != !f->pwd[0])
    return fail(err, err_cap, BRTC_ERR_PARSE, line, "a=ice-ufrag and a=ice-pwd come together "
                "(RFC 8839 5.4)");
  return BRTC_OK;
}

/* Appends one line ("<n bytes>\r\n"); false when it does not fit. */
static bool put_line(char *out, size_t cap, size_t *used, const char *s, size_t n) {
  if (*used + n + 3 > cap) return false;
  memcpy(out + *used, s, n);
  memcpy(out + *used + n, "\r\n", 3);
  *used += n + 2;
  return true;
}

size_t brtc_sdpfrag_from_answer(const char *answer, char *out, size_t cap) {
  static const char *const session_keep[] = {"a=ice-lite", "a=group:", "a=ice-options:"};
  static const char *const media_keep[] = {"m=", "a=mid:", "a=ice-ufrag:", "a=ice-pwd:",
                                           "a=candidate:", "a=end-of-candidates"};
  if (!answer || !out || cap == 0) return 0;
  size_t used = 0;
  bool in_media = false;
  out[0] = '\0';
  for (const char *s = answer; *s;) {
    size_t n = strcspn(s, "\r\n");
    if (n >= 2 && s[0] == 'm' && s[1] == '=') in_media = true;
    const char *const *keep = in_media ? media_keep : session_keep;
    size_t n_keep = in_media ? sizeof media_keep / sizeof *media_keep
                             : sizeof session_keep / sizeof *session_keep;
    for (size_t k = 0; k < n_keep; k++) {
      size_t kl = strlen(keep[k]);
      if (n >= kl && memcmp(s, keep[k], kl) == 0) {
        if (!put_line(out, cap, &used, s, n)) {
          out[0] = '\0';
          return 0;
        }
        break;
      }
    }
    s += n;
    while (*s == '\r' || *s == '\n') s++;
  }
  return used;
}
