/* WHIP client (RFC 9725) on libcurl. See whip_client.h. */
#include "whip_client.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_ANSWER_BYTES (256 * 1024) /* an answer is a few KiB; this bounds a rogue server */
#define MAX_HEADER_VALUE 2048
#define MAX_REDIRECTS 5

/* What one exchange collects: the last response's headers (a redirect starts a new set) and
 * its body. */
typedef struct exchange {
  char location[MAX_HEADER_VALUE];
  char etag[MAX_HEADER_VALUE];
  char content_type[256];
  whip_session links; /* only ice_servers is used: Link headers as they come */
  char *body;
  size_t body_len;
  bool body_too_big;
  bool curl_started; /* curl_global_init succeeded: end() owes a curl_global_cleanup */
} exchange;

static char *dup_n(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (!d) return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

static void clear_ice_servers(whip_session *s) {
  for (size_t i = 0; i < s->n_ice_servers; i++) {
    free(s->ice_servers[i].url);
    free(s->ice_servers[i].username);
    free(s->ice_servers[i].credential);
  }
  memset(s->ice_servers, 0, sizeof(s->ice_servers));
  s->n_ice_servers = 0;
}

void whip_session_clear(whip_session *s) {
  if (!s) return;
  free(s->resource_url);
  free(s->answer);
  free(s->etag);
  clear_ice_servers(s);
  memset(s, 0, sizeof(*s));
}

/* ---- Link headers (RFC 8288 3) ---- */

static const char *skip_blanks(const char *p) {
  while (*p == ' ' || *p == '\t') p++;
  return p;
}

/* A parameter's value: a quoted-string (backslash escapes, RFC 9110 5.6.4) or a token. Writes
 * it into out (truncated to cap) and returns the position after it. */
static const char *read_param_value(const char *p, char *out, size_t cap) {
  size_t n = 0;
  if (*p == '"') {
    for (p++; *p && *p != '"'; p++) {
      if (*p == '\\' && p[1]) p++;
      if (n + 1 < cap) out[n++] = *p;
    }
    if (*p == '"') p++;
  } else {
    for (; *p && *p != ';' && *p != ',' && *p != ' ' && *p != '\t'; p++)
      if (n + 1 < cap) out[n++] = *p;
  }
  out[n] = '\0';
  return p;
}

size_t whip_parse_link_header(const char *value, whip_session *s) {
  size_t added = 0;
  const char *p = value;
  while (p && *p) {
    p = skip_blanks(p);
    if (*p == ',') {
      p++;
      continue;
    }
    if (*p != '<') break; /* not a link: nothing more we can trust in this value */
    const char *url = ++p, *end = strchr(p, '>');
    if (!end) break;
    p = end + 1;
    bool ice = false;
    char user[512] = "", cred[512] = "";
    bool has_user = false, has_cred = false;
    for (;;) { /* ; name=value parameters, up to the next link */
      p = skip_blanks(p);
      if (*p != ';') break;
      p = skip_blanks(p + 1);
      const char *name = p;
      while (*p && *p != '=' && *p != ';' && *p != ',' && *p != ' ' && *p != '\t') p++;
      size_t name_len = (size_t)(p - name);
      char val[512] = "";
      p = skip_blanks(p);
      if (*p == '=') p = read_param_value(skip_blanks(p + 1), val, sizeof(val));
      if (name_len == 3 && strncasecmp(name, "rel", 3) == 0) {
        /* rel may list several relation types separated by spaces (RFC 8288 3.3) */
        char *save = NULL;
        for (char *t = strtok_r(val, " ", &save); t; t = strtok_r(NULL, " ", &save))
          if (strcasecmp(t, "ice-server") == 0) ice = true;
      } else if (name_len == 8 && strncasecmp(name, "username", 8) == 0) {
        snprintf(user, sizeof(user), "%s", val);
        has_user = true;
      } else if (name_len == 10 && strncasecmp(name, "credential", 10) == 0) {
        snprintf(cred, sizeof(cred), "%s", val);
        has_cred = true;
      }
    }
    if (!ice || s->n_ice_servers >= WHIP_MAX_ICE_SERVERS || end == url) continue;
    whip_ice_server *is = &s->ice_servers[s->n_ice_servers];
    is->url = dup_n(url, (size_t)(end - url));
    is->username = has_user ? dup_n(user, strlen(user)) : NULL;
    is->credential = has_cred ? dup_n(cred, strlen(cred)) : NULL;
    if (!is->url || (has_user && !is->username) || (has_cred && !is->credential)) {
      free(is->url);
      free(is->username);
      free(is->credential);
      memset(is, 0, sizeof(*is));
      break;
    }
    s->n_ice_servers++;
    added++;
  }
  return added;
}

/* ---- the exchange ---- */

static size_t on_body(char *data, size_t size, size_t n, void *user) {
  exchange *x = user;
  size_t len = size * n;
  if (x->body_len + len > MAX_ANSWER_BYTES) {
    x->body_too_big = true;
    return 0; /* curl stops with CURLE_WRITE_ERROR */
  }
  char *grown = realloc(x->body, x->body_len + len + 1);
  if (!grown) return 0;
  x->body = grown;
  memcpy(x->body + x->body_len, data, len);
  x->body_len += len;
  x->body[x->body_len] = '\0';
  return len;
}

/* Copies a header's value, without surrounding blanks and the line end. */
static void header_value(const char *line, size_t len, size_t name_len, char *out, size_t cap) {
  const char *v = line + name_len + 1, *end = line + len;
  while (v < end && (*v == ' ' || *v == '\t')) v++;
  while (end > v && isspace((unsigned char)end[-1])) end--;
  size_t n = (size_t)(end - v);
  if (n >= cap) n = cap - 1;
  memcpy(out, v, n);
  out[n] = '\0';
}

static bool is_header(const char *line, size_t len, const char *name) {
  size_t n = strlen(name);
  return len > n && line[n] == ':' && strncasecmp(line, name, n) == 0;
}

/* curl hands us every header line of every response, redirects included, already split
 * (the HTTP parsing is curl's); we keep the last response's. */
static size_t on_header(char *line, size_t size, size_t n, void *user) {
  exchange *x = user;
  size_t len = size * n;
  if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) { /* a new response: forget the last */
    x->location[0] = x->etag[0] = x->content_type[0] = '\0';
    clear_ice_servers(&x->links);
  } else if (is_header(line, len, "Location")) {
    header_value(line, len, 8, x->location, sizeof(x->location));
  } else if (is_header(line, len, "ETag")) {
    header_value(line, len, 4, x->etag, sizeof(x->etag));
  } else if (is_header(line, len, "Content-Type")) {
    header_value(line, len, 12, x->content_type, sizeof(x->content_type));
  } else if (is_header(line, len, "Link")) {
    char v[MAX_HEADER_VALUE];
    header_value(line, len, 4, v, sizeof(v));
    whip_parse_link_header(v, &x->links);
  }
  return len;
}

/* The first line of the server's reason, for an error line. */
static void first_line(const char *body, char *out, size_t cap) {
  size_t n = 0;
  if (body)
    while (body[n] && body[n] != '\r' && body[n] != '\n' && n + 1 < cap && n < 200) n++;
  if (cap) {
    if (n) memcpy(out, body, n);
    out[n] = '\0';
  }
}

static bool content_type_is_sdp(const char *ct) {
  static const char want[] = "application/sdp";
  return strncasecmp(ct, want, sizeof(want) - 1) == 0 &&
         (ct[sizeof(want) - 1] == '\0' || ct[sizeof(want) - 1] == ';' ||
          ct[sizeof(want) - 1] == ' ');
}

/* The Location resolved against the URL the answer came from (RFC 9110 10.2.2 allows a
 * relative reference; RFC 3986 5 says how it resolves; curl's URL API does it). */
static char *resolve_location(CURL *curl, const char *location) {
  char *base = NULL, *abs = NULL;
  curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &base);
  CURLU *u = curl_url();
  if (!u) return NULL;
  if (base && curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
      curl_url_set(u, CURLUPART_URL, location, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_URL, &abs, 0) == CURLUE_OK) {
    char *copy = dup_n(abs, strlen(abs));
    curl_free(abs);
    curl_url_cleanup(u);
    return copy;
  }
  curl_url_cleanup(u);
  return NULL;
}

/* Common settings: bounded time, http(s) only, a bearer token. */
static struct curl_slist *setup(CURL *curl, const char *url, const char *token, long timeout_ms,
                                const char *content_type, char *err, size_t err_cap) {
  struct curl_slist *h = NULL;
  char auth[1024];
  if (token && strlen(token) + 32 > sizeof(auth)) {
    snprintf(err, err_cap, "the bearer token is longer than %zu bytes", sizeof(auth) - 32);
    return NULL;
  }
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "boltrtc-publish");
  if (content_type) {
    char ct[128];
    snprintf(ct, sizeof(ct), "Content-Type: %s", content_type);
    h = curl_slist_append(h, ct);
  }
  if (token) {
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    struct curl_slist *more = curl_slist_append(h, auth);
    if (!more) {
      curl_slist_free_all(h);
      snprintf(err, err_cap, "out of memory");
      return NULL;
    }
    h = more;
  }
  if (!h) h = curl_slist_append(NULL, "Expect:"); /* no 100-continue round trip */
  else h = curl_slist_append(h, "Expect:");
  if (!h) snprintf(err, err_cap, "out of memory");
  else curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
  return h;
}

static void transfer_error(CURLcode rc, const char *what, const char *url, const exchange *x,
                           char *err, size_t err_cap) {
  if (x->body_too_big)
    snprintf(err, err_cap, "%s %s: the response is larger than %d bytes", what, url,
             MAX_ANSWER_BYTES);
  else snprintf(err, err_cap, "%s %s: %s", what, url, curl_easy_strerror(rc));
}

/* One exchange's handles. curl_global_init counts its callers, so each exchange takes and
 * gives back its own reference and the program needs no set-up call. */
static int begin(CURL **curl, exchange **x, char *err, size_t err_cap) {
  if (!(*x = calloc(1, sizeof(**x)))) {
    snprintf(err, err_cap, "out of memory");
    return -1;
  }
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    snprintf(err, err_cap, "cannot start libcurl");
    return -1;
  }
  (*x)->curl_started = true;
  if (!(*curl = curl_easy_init())) {
    snprintf(err, err_cap, "out of memory");
    return -1;
  }
  return 0;
}

static void end(CURL *curl, exchange *x, struct curl_slist *h) {
  curl_slist_free_all(h);
  if (curl) curl_easy_cleanup(curl);
  if (!x) return;
  if (x->curl_started) curl_global_cleanup();
  clear_ice_servers(&x->links);
  free(x->body);
  free(x);
}

int whip_post_offer(const char *endpoint, const char *token, const char *offer,
                    long timeout_ms, whip_session *out, char *err, size_t err_cap) {
  memset(out, 0, sizeof(*out));
  CURL *curl = NULL;
  exchange *x = NULL;
  struct curl_slist *h = NULL;
  int result = -1;
  if (begin(&curl, &x, err, err_cap) != 0) goto done;
  h = setup(curl, endpoint, token, timeout_ms, "application/sdp", err, err_cap);
  if (!h) goto done;
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, offer);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(offer));
  /* RFC 9725 4.5: the server may redirect the POST with 307 or 308, which keep the method
   * and body; curl follows those as they are. */
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, (long)MAX_REDIRECTS);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, x);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, x);
  CURLcode rc = curl_easy_perform(curl);
  if (rc != CURLE_OK) {
    transfer_error(rc, "POST", endpoint, x, err, err_cap);
    goto done;
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (status != 201) {
    char reason[256];
    first_line(x->body, reason, sizeof(reason));
    snprintf(err, err_cap, "the WHIP server answered %ld%s%s", status, reason[0] ? ": " : "",
             reason);
    goto done;
  }
  if (!content_type_is_sdp(x->content_type)) {
    snprintf(err, err_cap, "the WHIP server's 201 is not application/sdp (Content-Type \"%s\")",
             x->content_type);
    goto done;
  }
  if (!x->body || strncmp(x->body, "v=0", 3) != 0) {
    snprintf(err, err_cap, "the WHIP server's 201 carries no SDP answer");
    goto done;
  }
  if (!x->location[0]) {
    snprintf(err, err_cap, "the WHIP server's 201 has no Location (RFC 9725 4.2 needs one)");
    goto done;
  }
  out->resource_url = resolve_location(curl, x->location);
  if (!out->resource_url) {
    snprintf(err, err_cap, "the WHIP server's Location \"%s\" is not a URL", x->location);
    goto done;
  }
  out->answer = x->body;
  x->body = NULL;
  if (x->etag[0] && !(out->etag = dup_n(x->etag, strlen(x->etag)))) {
    snprintf(err, err_cap, "out of memory");
    goto done;
  }
  memcpy(out->ice_servers, x->links.ice_servers, sizeof(out->ice_servers));
  out->n_ice_servers = x->links.n_ice_servers;
  x->links.n_ice_servers = 0; /* moved */
  result = 0;
done:
  if (result != 0) whip_session_clear(out);
  end(curl, x, h);
  return result;
}

int whip_delete(const whip_session *s, const char *token, long timeout_ms, char *err,
                size_t err_cap) {
  if (!s || !s->resource_url) {
    snprintf(err, err_cap, "no WHIP session to end");
    return -1;
  }
  CURL *curl = NULL;
  exchange *x = NULL;
  struct curl_slist *h = NULL;
  int result = -1;
  if (begin(&curl, &x, err, err_cap) != 0) goto done;
  h = setup(curl, s->resource_url, token, timeout_ms, NULL, err, err_cap);
  if (!h) goto done;
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "DELETE");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, x);
  CURLcode rc = curl_easy_perform(curl);
  if (rc != CURLE_OK) {
    transfer_error(rc, "DELETE", s->resource_url, x, err, err_cap);
    goto done;
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status > 299) {
    char reason[256];
    first_line(x->body, reason, sizeof(reason));
    snprintf(err, err_cap, "DELETE %s answered %ld%s%s", s->resource_url, status,
             reason[0] ? ": " : "", reason);
    goto done;
  }
  result = 0;
done:
  end(curl, x, h);
  return result;
}
