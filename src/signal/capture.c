/* One session's capture files (capture.h). Written on the loop thread through stdio's
 * buffers: a debugging aid, off by default, so a few microseconds per datagram are fine. */
#include "signal/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "boltrtc/error.h"
#include "common/addr.h"
#include "signal/pcap_file.h"

struct brtc_capture {
  brtc_pcap_file wire, plain;
  brtc_addr local4, local6;
  bool have4, have6;
  brtc_addr peer; /* the last datagram's peer: where plaintext packets are shown going */
  bool have_peer;
  uint64_t max_bytes;
  bool capped, cap_told;
  char prefix[512];
};

static uint64_t wall_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void take_local(brtc_capture *c, const struct sockaddr_storage *local, size_t n) {
  for (size_t i = 0; i < n; i++) {
    bool v6 = local[i].ss_family == AF_INET6;
    bool *have = v6 ? &c->have6 : &c->have4;
    if (!*have) *have = brtc_addr_from_sockaddr(v6 ? &c->local6 : &c->local4,
                                                (const struct sockaddr *)&local[i], sizeof(local[i]));
  }
}

brtc_capture *brtc_capture_open(const char *dir, const char *session_id,
                                const struct sockaddr_storage *local, size_t n_local,
                                uint64_t max_bytes, char *err, size_t err_cap) {
  if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
    snprintf(err, err_cap, "cannot create the capture folder %s: %s", dir, strerror(errno));
    return NULL;
  }
  brtc_capture *c = calloc(1, sizeof(*c));
  if (!c) {
    snprintf(err, err_cap, "out of memory");
    return NULL;
  }
  c->max_bytes = max_bytes;
  take_local(c, local, n_local);
  time_t now = time(NULL);
  struct tm tm;
  char stamp[32] = "0";
  if (localtime_r(&now, &tm)) strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
  snprintf(c->prefix, sizeof(c->prefix), "%s/%s-%s", dir, stamp, session_id);
  char path[600];
  snprintf(path, sizeof(path), "%s-wire.pcap", c->prefix);
  int rc = brtc_pcap_open(&c->wire, path);
  if (rc == BRTC_OK) {
    snprintf(path, sizeof(path), "%s-plain.pcap", c->prefix);
    rc = brtc_pcap_open(&c->plain, path);
  }
  if (rc != BRTC_OK) {
    snprintf(err, err_cap, "cannot write %s: %s", path, strerror(errno));
    brtc_capture_close(c);
    return NULL;
  }
  return c;
}

static const brtc_addr *local_for(const brtc_capture *c, const brtc_addr *peer) {
  if (brtc_addr_family(peer) == AF_INET6) return c->have6 ? &c->local6 : NULL;
  return c->have4 ? &c->local4 : NULL;
}

/* Both pcaps share the cap, so that a long session cannot fill the disk. */
static bool room_for(brtc_capture *c, const brtc_addr *peer, size_t len) {
  if (c->capped) return false;
  uint64_t need = brtc_pcap_record_size(peer, len);
  if (c->wire.bytes + c->plain.bytes + need > c->max_bytes) {
    c->capped = true;
    return false;
  }
  return true;
}

static void record(brtc_capture *c, brtc_pcap_file *file, bool inbound, const brtc_addr *peer,
                   const uint8_t *data, size_t len) {
  const brtc_addr *local = local_for(c, peer);
  if (!local || !room_for(c, peer, len)) return;
  if (inbound) brtc_pcap_write_udp(file, wall_ns(), peer, local, data, len);
  else brtc_pcap_write_udp(file, wall_ns(), local, peer, data, len);
}

void brtc_capture_wire(brtc_capture *c, bool inbound, const uint8_t *data, size_t len,
                       const struct sockaddr *peer) {
  brtc_addr a;
  if (!c || !peer ||
      !brtc_addr_from_sockaddr(&a, peer, peer->sa_family == AF_INET6 ? sizeof(a.u.v6)
                                                                     : sizeof(a.u.v4)))
    return;
  c->peer = a;
  c->have_peer = true;
  record(c, &c->wire, inbound, &a, data, len);
}

void brtc_capture_plain(brtc_capture *c, bool inbound, const uint8_t *data, size_t len) {
  if (c && c->have_peer) record(c, &c->plain, inbound, &c->peer, data, len);
}

int brtc_capture_keylog(brtc_capture *c, const char *line) {
  if (!c || !line) return BRTC_ERR_INVALID;
  char path[600];
  snprintf(path, sizeof(path), "%s-keylog.txt", c->prefix);
  /* Whoever reads this file can decrypt the session: the owner only. */
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (!f) {
    if (fd >= 0) close(fd);
    return BRTC_ERR_IO;
  }
  int rc = fputs(line, f) >= 0 ? BRTC_OK : BRTC_ERR_IO;
  if (fclose(f) != 0) rc = BRTC_ERR_IO;
  return rc;
}

const char *brtc_capture_prefix(const brtc_capture *c) { return c ? c->prefix : ""; }

bool brtc_capture_cap_reached(brtc_capture *c) {
  if (!c || !c->capped || c->cap_told) return false;
  c->cap_told = true;
  return true;
}

void brtc_capture_close(brtc_capture *c) {
  if (!c) return;
  brtc_pcap_close(&c->wire);
  brtc_pcap_close(&c->plain);
  free(c);
}
