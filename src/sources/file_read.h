/* Reading a whole file into memory: the only I/O a file source does, once, when it opens. */
#ifndef BRTC_SOURCES_FILE_READ_H
#define BRTC_SOURCES_FILE_READ_H

#include <stddef.h>
#include <stdint.h>

/* A regular file of at most max bytes into a malloc'd buffer (*out, owned by the caller).
 * BRTC_ERR_IO (missing, unreadable, not a regular file), BRTC_ERR_TOO_BIG (over max),
 * BRTC_ERR_NOMEM; a one-line reason in err. */
int brtc_read_file(const char *path, size_t max, uint8_t **out, size_t *len, char *err,
                   size_t err_cap);

#endif
