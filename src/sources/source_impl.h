/* For the sources' own files: the constructors brtc_source_open picks from, and helpers for
 * the table entries a source does not need. */
#ifndef BRTC_SOURCES_SOURCE_IMPL_H
#define BRTC_SOURCES_SOURCE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "sources/source.h"

int brtc_source_no_fd(const brtc_source *s);
/* Writes a one-line reason into err (may be NULL) and returns rc. */
int brtc_source_error(char *err, size_t err_cap, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* spec is a file name, for the messages; buf is the file's bytes (taken). */
int brtc_file_source_open_buffer(const char *name, uint8_t *buf, size_t len,
                                 const brtc_source_options *o, brtc_source **out, char *err,
                                 size_t err_cap);
int brtc_testpattern_source_new(const brtc_source_options *o, brtc_source **out, char *err,
                                size_t err_cap);
/* v4l2_source.c */
int brtc_camera_source_open(const char *path, const brtc_source_options *o, brtc_source **out,
                            char *err, size_t err_cap);

#endif
