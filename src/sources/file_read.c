/* open, fstat, read until end of file; a file that grows while we read is cut at max. */
#include "sources/file_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boltrtc/error.h"

int brtc_read_file(const char *path, size_t max, uint8_t **out, size_t *len, char *err,
                   size_t err_cap) {
  *out = NULL;
  *len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    snprintf(err, err_cap, "%s: %s", path, strerror(errno));
    return BRTC_ERR_IO;
  }
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
    snprintf(err, err_cap, "%s: not a regular file", path);
    close(fd);
    return BRTC_ERR_IO;
  }
  if ((uint64_t)st.st_size > max) {
    snprintf(err, err_cap, "%s: %lld bytes, more than the %zu a file source reads", path,
             (long long)st.st_size, max);
    close(fd);
    return BRTC_ERR_TOO_BIG;
  }
  size_t cap = (size_t)st.st_size + 1, n = 0; /* +1 sees a file that grew */
  uint8_t *buf = malloc(cap);
  if (!buf) {
    close(fd);
    snprintf(err, err_cap, "%s: out of memory", path);
    return BRTC_ERR_NOMEM;
  }
  for (;;) {
    if (n == cap) {
      if (cap > max) break;
      size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
      uint8_t *b = realloc(buf, ncap);
      if (!b) {
        free(buf);
        close(fd);
        snprintf(err, err_cap, "%s: out of memory", path);
        return BRTC_ERR_NOMEM;
      }
      buf = b;
      cap = ncap;
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      snprintf(err, err_cap, "%s: %s", path, strerror(errno));
      free(buf);
      close(fd);
      return BRTC_ERR_IO;
    }
    if (r == 0) break;
    n += (size_t)r;
  }
  close(fd);
  if (n > max) {
    snprintf(err, err_cap, "%s: grew past the %zu bytes a file source reads", path, max);
    free(buf);
    return BRTC_ERR_TOO_BIG;
  }
  *out = buf;
  *len = n;
  return 0;
}
