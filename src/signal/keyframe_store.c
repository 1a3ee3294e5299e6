#include "signal/keyframe_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boltrtc/error.h"

struct brtc_keyframe_store {
  char *dir;
  unsigned long next;
  uint64_t bytes_at_open;
  brtc_keyframe_record records[BRTC_KEYFRAME_STORE_KEEP]; /* ring */
  size_t head, count;
};

static bool label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static bool is_label(const char *label, size_t len) {
  if (len == 0 || len > BRTC_KEYFRAME_LABEL_MAX) return false;
  for (size_t i = 0; i < len; i++)
    if (!label_char(label[i])) return false;
  return true;
}

void brtc_keyframe_label_for(const char *mid, size_t track, char out[BRTC_KEYFRAME_LABEL_MAX + 1]) {
  size_t n = mid ? strlen(mid) : 0;
  if (n > 0 && n + 3 <= BRTC_KEYFRAME_LABEL_MAX && is_label(mid, n))
    snprintf(out, BRTC_KEYFRAME_LABEL_MAX + 1, "mid%s", mid);
  else
    snprintf(out, BRTC_KEYFRAME_LABEL_MAX + 1, "track%zu", track % 1000000);
}

unsigned long brtc_keyframe_name_number(const char *name) {
  static const char prefix[] = "shoot", suffix[] = ".jpg";
  if (strncmp(name, prefix, sizeof(prefix) - 1) != 0) return 0;
  const char *p = name + sizeof(prefix) - 1;
  if (*p < '1' || *p > '9') return 0;
  unsigned long n = 0;
  int digits = 0;
  for (; *p >= '0' && *p <= '9'; p++) {
    if (++digits > 9) return 0; /* far beyond any real count; keeps n from overflowing */
    n = n * 10 + (unsigned long)(*p - '0');
  }
  if (*p == '-') { /* a track's label */
    const char *label = ++p;
    while (label_char(*p)) p++;
    if (!is_label(label, (size_t)(p - label))) return 0;
  }
  return strcmp(p, suffix) == 0 ? n : 0;
}

/* mkdir -p */
static int make_dirs(const char *dir) {
  char path[PATH_MAX];
  if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path)) return BRTC_ERR_TOO_BIG;
  for (char *p = path + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(path, 0755) != 0 && errno != EEXIST) return BRTC_ERR_IO;
    *p = '/';
  }
  if (mkdir(path, 0755) != 0 && errno != EEXIST) return BRTC_ERR_IO;
  struct stat st;
  if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) return BRTC_ERR_IO;
  return BRTC_OK;
}

brtc_keyframe_store *brtc_keyframe_store_open(const char *dir, char *err, size_t err_cap) {
  if (!dir || !*dir) {
    snprintf(err, err_cap, "empty output folder name");
    return NULL;
  }
  if (make_dirs(dir) != BRTC_OK) {
    snprintf(err, err_cap, "cannot create output folder %s: %s", dir, strerror(errno));
    return NULL;
  }
  DIR *d = opendir(dir);
  if (!d) {
    snprintf(err, err_cap, "cannot read output folder %s: %s", dir, strerror(errno));
    return NULL;
  }
  unsigned long highest = 0;
  uint64_t bytes = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    unsigned long n = brtc_keyframe_name_number(e->d_name);
    if (n > highest) highest = n;
    struct stat st;
    if (n && fstatat(dirfd(d), e->d_name, &st, 0) == 0 && S_ISREG(st.st_mode))
      bytes += (uint64_t)st.st_size;
  }
  closedir(d);
  brtc_keyframe_store *ks = calloc(1, sizeof(*ks));
  if (ks) ks->dir = strdup(dir);
  if (!ks || !ks->dir) {
    free(ks);
    snprintf(err, err_cap, "out of memory");
    return NULL;
  }
  ks->next = highest + 1;
  ks->bytes_at_open = bytes;
  return ks;
}

void brtc_keyframe_store_free(brtc_keyframe_store *ks) {
  if (!ks) return;
  free(ks->dir);
  free(ks);
}

const char *brtc_keyframe_store_dir(const brtc_keyframe_store *ks) { return ks->dir; }

uint64_t brtc_keyframe_store_bytes_at_open(const brtc_keyframe_store *ks) {
  return ks->bytes_at_open;
}

unsigned long brtc_keyframe_store_next_number(const brtc_keyframe_store *ks) { return ks->next; }

static int write_all(int fd, const uint8_t *p, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return BRTC_ERR_IO;
    p += n;
    len -= (size_t)n;
  }
  return BRTC_OK;
}

unsigned long brtc_keyframe_store_reserve(brtc_keyframe_store *ks) { return ks->next++; }

/* "shoot<n>.jpg" or "shoot<n>-<label>.jpg". */
static int file_name(unsigned long n, const char *label, char *out, size_t cap) {
  int w = label && *label ? snprintf(out, cap, "shoot%lu-%s.jpg", n, label)
                          : snprintf(out, cap, "shoot%lu.jpg", n);
  return w < 0 || (size_t)w >= cap ? BRTC_ERR_TOO_BIG : BRTC_OK;
}

int brtc_keyframe_file_write(const char *dir, unsigned long n, const uint8_t *jpeg, size_t len) {
  return brtc_keyframe_file_write_labelled(dir, n, NULL, jpeg, len);
}

int brtc_keyframe_file_write_labelled(const char *dir, unsigned long n, const char *label,
                                      const uint8_t *jpeg, size_t len) {
  if (!jpeg || len == 0 || n == 0) return BRTC_ERR_INVALID;
  if (label && *label && !is_label(label, strlen(label))) return BRTC_ERR_INVALID;
  char name[64], tmp[PATH_MAX], final_path[PATH_MAX];
  if (file_name(n, label, name, sizeof(name)) != BRTC_OK ||
      snprintf(final_path, sizeof(final_path), "%s/%s", dir, name) >= (int)sizeof(final_path) ||
      snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name) >= (int)sizeof(tmp))
    return BRTC_ERR_TOO_BIG;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return BRTC_ERR_IO;
  int rc = write_all(fd, jpeg, len);
  if (close(fd) != 0 && rc == BRTC_OK) rc = BRTC_ERR_IO;
  if (rc == BRTC_OK && rename(tmp, final_path) != 0) rc = BRTC_ERR_IO;
  if (rc != BRTC_OK) unlink(tmp);
  return rc;
}

const brtc_keyframe_record *brtc_keyframe_store_record(brtc_keyframe_store *ks, unsigned long n,
                                                       unsigned width, unsigned height,
                                                       size_t bytes, const char *session) {
  return brtc_keyframe_store_record_labelled(ks, n, NULL, width, height, bytes, session);
}

const brtc_keyframe_record *brtc_keyframe_store_record_labelled(brtc_keyframe_store *ks,
                                                                unsigned long n, const char *label,
                                                                unsigned width, unsigned height,
                                                                size_t bytes, const char *session) {
  brtc_keyframe_record *r;
  if (ks->count == BRTC_KEYFRAME_STORE_KEEP) {
    r = &ks->records[ks->head];
    ks->head = (ks->head + 1) % BRTC_KEYFRAME_STORE_KEEP;
  } else {
    r = &ks->records[(ks->head + ks->count) % BRTC_KEYFRAME_STORE_KEEP];
    ks->count++;
  }
  memset(r, 0, sizeof(*r));
  if (file_name(n, label, r->file, sizeof(r->file)) != BRTC_OK) r->file[0] = '\0';
  snprintf(r->session, sizeof(r->session), "%s", session ? session : "");
  r->width = width;
  r->height = height;
  r->bytes = bytes;
  return r;
}

int brtc_keyframe_store_save(brtc_keyframe_store *ks, const uint8_t *jpeg, size_t len,
                             unsigned width, unsigned height, const char *session,
                             const brtc_keyframe_record **out) {
  if (!jpeg || len == 0) return BRTC_ERR_INVALID;
  /* The number is only used up when the file is written. */
  int rc = brtc_keyframe_file_write(ks->dir, ks->next, jpeg, len);
  if (rc != BRTC_OK) return rc;
  const brtc_keyframe_record *r =
      brtc_keyframe_store_record(ks, ks->next++, width, height, len, session);
  if (out) *out = r;
  return BRTC_OK;
}

size_t brtc_keyframe_store_count(const brtc_keyframe_store *ks) { return ks->count; }

const brtc_keyframe_record *brtc_keyframe_store_get(const brtc_keyframe_store *ks, size_t i) {
  if (i >= ks->count) return NULL;
  return &ks->records[(ks->head + i) % BRTC_KEYFRAME_STORE_KEEP];
}
