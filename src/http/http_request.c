/* Reading a parsed request: its target split into path and query (RFC 9112 3.2, RFC 3986
 * percent-encoding), header lookup, comma-separated tokens and query parameters. */
#include <http_parser.h>
#include <string.h>
#include <strings.h>

#include "http/http_internal.h"

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Percent-decode n bytes of in into out (cap with the NUL). A control character, raw or
 * encoded (%00 above all: C strings end there, and file names with it are a classic trick),
 * or a malformed escape refuses the whole target. */
static int decode_path(const char *in, size_t n, char *out, size_t cap, const char **why) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)in[i];
    if (c == '%') {
      int hi = i + 1 < n ? hex_value(in[i + 1]) : -1;
      int lo = i + 2 < n ? hex_value(in[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        *why = "bad request target: a malformed %-escape in the path";
        return 400;
      }
      c = (unsigned char)(hi << 4 | lo);
      i += 2;
    }
    if (c < 0x20 || c == 0x7f) {
      *why = "bad request target: a NUL or control character in the path";
      return 400;
    }
    if (o + 1 >= cap) {
      *why = "request target too long";
      return 414;
    }
    out[o++] = (char)c;
  }
  out[o] = '\0';
  return 0;
}

int brtc_http_split_target(const char *target, char *path, size_t cap, const char **query,
                           const char **why) {
  size_t len = strlen(target);
  *query = "";
  if (strcmp(target, "*") == 0) { /* OPTIONS * (RFC 9112 3.2.4) */
    if (cap < 2) return 414;
    strcpy(path, "*");
    return 0;
  }
  size_t path_off = 0, path_len;
  const char *q;
  if (target[0] == '/') {
    q = strchr(target, '?');
    path_len = q ? (size_t)(q - target) : len;
    const char *hash = memchr(target, '#', path_len);
    if (hash) path_len = (size_t)(hash - target);
  } else {
    /* Absolute form (RFC 9112 3.2.2): let http-parser find the path. */
    struct http_parser_url u;
    http_parser_url_init(&u);
    if (http_parser_parse_url(target, len, 0, &u) != 0 || !(u.field_set & (1 << UF_PATH))) {
      *why = "bad request target: expected /path";
      return 400;
    }
    path_off = u.field_data[UF_PATH].off;
    path_len = u.field_data[UF_PATH].len;
    q = (u.field_set & (1 << UF_QUERY)) ? target + u.field_data[UF_QUERY].off - 1 : NULL;
  }
  if (q) {
    *query = q + 1;
    const char *hash = strchr(*query, '#');
    if (hash) {
      /* A fragment is never sent by a client (RFC 9110 4.2.4); treat one as the end. */
      *why = "bad request target: a fragment (#) is not part of a request";
      return 400;
    }
  }
  if (path_len == 0) {
    *why = "bad request target: empty path";
    return 400;
  }
  return decode_path(target + path_off, path_len, path, cap, why);
}

const char *brtc_http_request_header(const brtc_http_request *r, const char *name) {
  for (size_t i = 0; i < r->n_headers; i++)
    if (strcasecmp(r->headers[i].name, name) == 0) return r->headers[i].value;
  return NULL;
}

bool brtc_http_header_has_token(const char *value, const char *token) {
  if (!value) return false;
  size_t tlen = strlen(token);
  const char *p = value;
  while (*p) {
    while (*p == ' ' || *p == '\t' || *p == ',') p++;
    const char *start = p;
    while (*p && *p != ',') p++;
    const char *end = p;
    while (end > start && (end[-1] == ' ' || end[-1] == '\t')) end--;
    if ((size_t)(end - start) == tlen && strncasecmp(start, token, tlen) == 0) return true;
  }
  return false;
}

bool brtc_http_query_param(const char *query, const char *name, char *out, size_t cap) {
  size_t nlen = strlen(name);
  const char *p = query;
  while (p && *p) {
    const char *end = strchr(p, '&');
    size_t plen = end ? (size_t)(end - p) : strlen(p);
    if (plen > nlen && p[nlen] == '=' && strncmp(p, name, nlen) == 0) {
      const char *v = p + nlen + 1;
      size_t vlen = plen - nlen - 1, o = 0;
      for (size_t i = 0; i < vlen; i++) {
        char c = v[i];
        if (c == '+') {
          c = ' ';
        } else if (c == '%') {
          int hi = i + 1 < vlen ? hex_value(v[i + 1]) : -1;
          int lo = i + 2 < vlen ? hex_value(v[i + 2]) : -1;
          if (hi < 0 || lo < 0) return false;
          c = (char)(hi << 4 | lo);
          i += 2;
        }
        if (c == '\0' || o + 1 >= cap) return false;
        out[o++] = c;
      }
      out[o] = '\0';
      return true;
    }
    p = end ? end + 1 : NULL;
  }
  return false;
}
