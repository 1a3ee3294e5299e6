#include "signal/web_files.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "boltrtc/error.h"

static const struct {
  const char *ext, *mime;
} mime_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".jpg", "image/jpeg"},
};

static const char *extension(const char *path) {
  const char *slash = strrchr(path, '/');
  const char *dot = strrchr(slash ? slash : path, '.');
  return dot ? dot : "";
}

const char *brtc_web_mime_type(const char *path) {
  const char *ext = extension(path);
  for (size_t i = 0; i < sizeof(mime_types) / sizeof(mime_types[0]); i++)
    if (strcasecmp(ext, mime_types[i].ext) == 0) return mime_types[i].mime;
  return "application/octet-stream";
}

bool brtc_web_path_allowed(const char *uri) {
  if (!uri || uri[0] != '/') return false;
  size_t len = strlen(uri);
  if (len > 200) return false;
  bool segment_start = true;
  for (const char *p = uri + 1; *p; p++) {
    char c = *p;
    if (c == '/') {
      if (segment_start) return false; /* "//" or leading empty segment */
      segment_start = true;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
    if (segment_start && c == '.') return false; /* ".", "..", hidden files */
    segment_start = false;
  }
  if (segment_start) return false; /* ends in '/' */
  const char *ext = extension(uri);
  if (strcmp(ext, ".jpg") == 0) return false; /* keyframes are served from /output/ only */
  return strcmp(brtc_web_mime_type(uri), "application/octet-stream") != 0;
}

static bool regular_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int brtc_web_resolve(const char *web_dir, const char *uri, char *out, size_t out_cap) {
  if (uri && strcmp(uri, "/") == 0) uri = "/index.html";
  if (!brtc_web_path_allowed(uri)) return BRTC_ERR_INVALID;
  if ((size_t)snprintf(out, out_cap, "%s/dist%s", web_dir, uri) >= out_cap)
    return BRTC_ERR_TOO_BIG;
  if (regular_file(out)) return BRTC_OK;
  /* web/'s own files (index.html, style.css) sit at the top level only. */
  if (strchr(uri + 1, '/') != NULL) return BRTC_ERR_NOT_FOUND;
  if ((size_t)snprintf(out, out_cap, "%s%s", web_dir, uri) >= out_cap) return BRTC_ERR_TOO_BIG;
  return regular_file(out) ? BRTC_OK : BRTC_ERR_NOT_FOUND;
}
