/* Mapping request paths to the page's files: "/" is index.html, other names are looked up
 * in the tsc output (web/dist) and then among web/'s own top-level files. Only plain names
 * with a known web file extension are served, so no path can climb out of the folder. */
#ifndef BRTC_SIGNAL_WEB_FILES_H
#define BRTC_SIGNAL_WEB_FILES_H

#include <stdbool.h>
#include <stddef.h>

/* True if uri ("/app.js") is a path we would ever serve: segments of [A-Za-z0-9._-] that do
 * not start with '.', no empty segment, a known extension. */
bool brtc_web_path_allowed(const char *uri);
/* BRTC_OK with the file's path in out; BRTC_ERR_INVALID for a refused path (answer 400 or
 * 404), BRTC_ERR_NOT_FOUND if no such regular file exists. */
int brtc_web_resolve(const char *web_dir, const char *uri, char *out, size_t out_cap);
/* The Content-Type for a served file, by extension. */
const char *brtc_web_mime_type(const char *path);

#endif
