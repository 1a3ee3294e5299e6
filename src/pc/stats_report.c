/* brtc_stats_report: entries of typed, named members (W3C webrtc-stats), their accessors and
 * their JSON (RFC 8259). The library links no JSON library (issue 8's boundary): the writer
 * below only escapes strings and prints numbers, it parses nothing. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "pc/stats_report.h"

typedef enum member_kind { M_U64, M_I64, M_DOUBLE, M_BOOL, M_STRING } member_kind;

typedef struct member {
  const char *name; /* a literal */
  member_kind kind;
  union {
    uint64_t u;
    int64_t i;
    double d;
    bool b;
    char *s;
  } v;
} member;

typedef struct entry {
  const char *type; /* a literal */
  char *id;
  member *members;
  size_t n, cap;
} entry;

struct brtc_stats_report {
  double timestamp_ms;
  entry *entries;
  size_t n, cap;
  bool failed;
  char *json;
};

brtc_stats_report *brtc_stats_report_new(uint64_t now_us) {
  brtc_stats_report *r = calloc(1, sizeof(*r));
  if (r) r->timestamp_ms = (double)now_us / 1000.0;
  return r;
}

bool brtc_stats_report_failed(const brtc_stats_report *r) { return r->failed; }

void brtc_stats_free(brtc_stats_report *r) {
  if (!r) return;
  for (size_t i = 0; i < r->n; i++) {
    entry *e = &r->entries[i];
    for (size_t k = 0; k < e->n; k++)
      if (e->members[k].kind == M_STRING) free(e->members[k].v.s);
    free(e->members);
    free(e->id);
  }
  free(r->entries);
  free(r->json);
  free(r);
}

static member *add(brtc_stats_report *r, const char *name, member_kind kind) {
  if (r->failed || r->n == 0) return NULL;
  entry *e = &r->entries[r->n - 1];
  if (e->n == e->cap) {
    size_t cap = e->cap ? e->cap * 2 : 16;
    member *m = realloc(e->members, cap * sizeof(*m));
    if (!m) {
      r->failed = true;
      return NULL;
    }
    e->members = m;
    e->cap = cap;
  }
  member *m = &e->members[e->n++];
  m->name = name;
  m->kind = kind;
  return m;
}

void brtc_stats_begin(brtc_stats_report *r, const char *type, const char *id_fmt, ...) {
  if (r->failed) return;
  if (r->n == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 16;
    entry *e = realloc(r->entries, cap * sizeof(*e));
    if (!e) {
      r->failed = true;
      return;
    }
    r->entries = e;
    r->cap = cap;
  }
  char id[128];
  va_list ap;
  va_start(ap, id_fmt);
  vsnprintf(id, sizeof id, id_fmt, ap);
  va_end(ap);
  entry *e = &r->entries[r->n];
  memset(e, 0, sizeof(*e));
  e->type = type;
  if (!(e->id = strdup(id))) {
    r->failed = true;
    return;
  }
  r->n++;
  brtc_stats_double(r, "timestamp", r->timestamp_ms);
}

void brtc_stats_u64(brtc_stats_report *r, const char *name, uint64_t v) {
  member *m = add(r, name, M_U64);
  if (m) m->v.u = v;
}
void brtc_stats_i64(brtc_stats_report *r, const char *name, int64_t v) {
  member *m = add(r, name, M_I64);
  if (m) m->v.i = v;
}
void brtc_stats_double(brtc_stats_report *r, const char *name, double v) {
  member *m = add(r, name, M_DOUBLE);
  if (m) m->v.d = v;
}
void brtc_stats_bool(brtc_stats_report *r, const char *name, bool v) {
  member *m = add(r, name, M_BOOL);
  if (m) m->v.b = v;
}
void brtc_stats_string(brtc_stats_report *r, const char *name, const char *v) {
  member *m = add(r, name, M_STRING);
  if (!m) return;
  if (!(m->v.s = strdup(v ? v : ""))) {
    r->entries[r->n - 1].n--; /* nothing to free in it */
    r->failed = true;
  }
}

/* ---- reading ---- */

size_t brtc_stats_count(const brtc_stats_report *r) { return r ? r->n : 0; }

const char *brtc_stats_type(const brtc_stats_report *r, size_t i) {
  return r && i < r->n ? r->entries[i].type : NULL;
}

const char *brtc_stats_id(const brtc_stats_report *r, size_t i) {
  return r && i < r->n ? r->entries[i].id : NULL;
}

size_t brtc_stats_find_id(const brtc_stats_report *r, const char *id) {
  for (size_t i = 0; r && id && i < r->n; i++)
    if (strcmp(r->entries[i].id, id) == 0) return i;
  return SIZE_MAX;
}

size_t brtc_stats_find_type(const brtc_stats_report *r, const char *type, size_t from) {
  for (size_t i = from == SIZE_MAX ? 0 : from + 1; r && type && i < r->n; i++)
    if (strcmp(r->entries[i].type, type) == 0) return i;
  return SIZE_MAX;
}

size_t brtc_stats_member_count(const brtc_stats_report *r, size_t i) {
  return r && i < r->n ? r->entries[i].n : 0;
}

const char *brtc_stats_member_name(const brtc_stats_report *r, size_t i, size_t k) {
  return r && i < r->n && k < r->entries[i].n ? r->entries[i].members[k].name : NULL;
}

static const member *find(const brtc_stats_report *r, size_t i, const char *name) {
  if (!r || !name || i >= r->n) return NULL;
  const entry *e = &r->entries[i];
  for (size_t k = 0; k < e->n; k++)
    if (strcmp(e->members[k].name, name) == 0) return &e->members[k];
  return NULL;
}

int brtc_stats_get_u64(const brtc_stats_report *r, size_t i, const char *name, uint64_t *out) {
  const member *m = find(r, i, name);
  if (!m || !out) return m ? BRTC_ERR_INVALID : BRTC_ERR_NOT_FOUND;
  if (m->kind == M_U64) *out = m->v.u;
  else if (m->kind == M_I64 && m->v.i >= 0) *out = (uint64_t)m->v.i;
  else return BRTC_ERR_INVALID;
  return BRTC_OK;
}

int brtc_stats_get_i64(const brtc_stats_report *r, size_t i, const char *name, int64_t *out) {
  const member *m = find(r, i, name);
  if (!m || !out) return m ? BRTC_ERR_INVALID : BRTC_ERR_NOT_FOUND;
  if (m->kind == M_I64) *out = m->v.i;
  else if (m->kind == M_U64 && m->v.u <= INT64_MAX) *out = (int64_t)m->v.u;
  else return BRTC_ERR_INVALID;
  return BRTC_OK;
}

int brtc_stats_get_double(const brtc_stats_report *r, size_t i, const char *name, double *out) {
  const member *m = find(r, i, name);
  if (!m || !out) return m ? BRTC_ERR_INVALID : BRTC_ERR_NOT_FOUND;
  if (m->kind == M_DOUBLE) *out = m->v.d;
  else if (m->kind == M_U64) *out = (double)m->v.u;
  else if (m->kind == M_I64) *out = (double)m->v.i;
  else return BRTC_ERR_INVALID;
  return BRTC_OK;
}

int brtc_stats_get_bool(const brtc_stats_report *r, size_t i, const char *name, bool *out) {
  const member *m = find(r, i, name);
  if (!m || !out) return m ? BRTC_ERR_INVALID : BRTC_ERR_NOT_FOUND;
  if (m->kind != M_BOOL) return BRTC_ERR_INVALID;
  *out = m->v.b;
  return BRTC_OK;
}

const char *brtc_stats_get_string(const brtc_stats_report *r, size_t i, const char *name) {
  const member *m = find(r, i, name);
  return m && m->kind == M_STRING ? m->v.s : NULL;
}

/* ---- JSON ---- */

typedef struct jbuf {
  char *p;
  size_t len, cap;
  bool failed;
} jbuf;

static void put(jbuf *b, const char *s, size_t n) {
  if (b->failed) return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 1024;
    while (b->len + n + 1 > cap) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
      b->failed = true;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static void puts_(jbuf *b, const char *s) { put(b, s, strlen(s)); }

/* RFC 8259 7: quote, backslash and control characters escaped; other bytes as they are (a
 * label that is not UTF-8 stays what the peer sent). */
static void put_string(jbuf *b, const char *s) {
  put(b, "\"", 1);
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    char esc[8];
    if (*c == '"' || *c == '\\') {
      esc[0] = '\\', esc[1] = (char)*c;
      put(b, esc, 2);
    } else if (*c < 0x20) {
      snprintf(esc, sizeof esc, "\\u%04x", *c);
      put(b, esc, 6);
    } else {
      put(b, (const char *)c, 1);
    }
  }
  put(b, "\"", 1);
}

static void put_member(jbuf *b, const member *m) {
  char num[40];
  put(b, ",", 1);
  put_string(b, m->name);
  put(b, ":", 1);
  switch (m->kind) {
    case M_U64: snprintf(num, sizeof num, "%llu", (unsigned long long)m->v.u); break;
    case M_I64: snprintf(num, sizeof num, "%lld", (long long)m->v.i); break;
    case M_DOUBLE: /* RFC 8259 6: no NaN or infinity in JSON */
      if (isfinite(m->v.d)) snprintf(num, sizeof num, "%.17g", m->v.d);
      else snprintf(num, sizeof num, "null");
      break;
    case M_BOOL: snprintf(num, sizeof num, "%s", m->v.b ? "true" : "false"); break;
    case M_STRING: put_string(b, m->v.s); return;
  }
  puts_(b, num);
}

const char *brtc_stats_json(brtc_stats_report *r) {
  if (!r) return NULL;
  if (r->json) return r->json;
  jbuf b = {0};
  put(&b, "[", 1);
  for (size_t i = 0; i < r->n; i++) {
    const entry *e = &r->entries[i];
    puts_(&b, i ? ",{\"id\":" : "{\"id\":");
    put_string(&b, e->id);
    puts_(&b, ",\"type\":");
    put_string(&b, e->type);
    for (size_t k = 0; k < e->n; k++) put_member(&b, &e->members[k]);
    put(&b, "}", 1);
  }
  put(&b, "]", 1);
  if (b.failed) {
    free(b.p);
    return NULL;
  }
  r->json = b.p;
  return r->json;
}
