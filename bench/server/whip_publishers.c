/* N real WHIP publishers in one process, cheap enough that 500 of them fit beside the server on
 * a small machine: the load for run_pion_cpu.sh (docs/benchmarks.md, issue 6). Pion's
 * publishers need ~40 us of CPU per packet they send; these are libboltrtc peer connections
 * (the public API only, include/boltrtc) on one thread.
 *
 * Each publisher is what `boltrtc publish FILE.ivf` is: its own UDP socket (a server tells
 * its sessions apart by their address), a WHIP POST of its offer (apps/whip_client.c), full
 * ICE, DTLS, SRTP, RTCP, VP8 from a libvpx IVF file at 30 fps, paced by the pc's pacer,
 * answering NACKs from its history and PLIs with its keyframe. The pcs are driven here
 * directly (sans-IO, peer_connection.h's rule), not through a brtc_loop each: one epoll set
 * over the sockets and one wait for the earliest deadline, so that every pc due in the same
 * millisecond is served by one wake-up, and each pc's datagrams of a pass leave in one
 * sendmmsg. A brtc_loop per publisher (the first version) cost a timerfd expiry and five
 * system calls per pacer step: 21-35 us per packet sent.
 *
 * The flags and the JSON on stdout are those of the Pion publisher (bench/loss/pion,
 * `publisher -together`), so the script reads either: all connect first, then all start
 * their media together, each at a random moment of the first second; after -warmup s a
 * window of -seconds s is measured: the receiver's CPU (/proc/PID/stat), our own
 * (getrusage), the RTP we sent and the receiver's counts (-recv-stats URL). */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "boltrtc/boltrtc.h"
#include "boltrtc/track.h"
#include "net/udp_send.h" /* the loop's GSO planner, compiled in: -gso */
#include "whip_client.h"

#define FRAME_US 33333u /* 30 fps */
#define HTTP_TIMEOUT_MS 30000
#define CONNECT_WAIT_US (30ull * 1000000u)
#define BATCH 32 /* datagrams per recvmmsg and sendmmsg */
/* The first frames are spread over this long: each publisher's first one is a keyframe
 * (110 KB from make_frames), and 500 of them in the same 33 ms, 55 MB, overflow any
 * receiver's socket buffer, whose losses then bring PLIs and more keyframes. People do not
 * press "publish" in the same frame interval either. */
#define START_SPREAD_US 1000000u

typedef struct options {
  int n, seconds, warmup, key_interval, cpu_pid, gap_ms;
  bool gso; /* -gso 1: each pc's datagrams of a pass as UDP GSO super-buffers (UDP_SEGMENT) */
  const char *whip, *ivf, *recv_stats;
} options;

typedef struct frames {
  uint8_t *data;
  size_t *off, *len, count; /* frame 0 is the keyframe, the rest deltas */
} frames;

typedef struct publisher {
  int fd;
  brtc_pc *pc;
  brtc_track *track;
  whip_session whip;
  bool posted, connected, failed, want_key, media_done;
  uint64_t start_us, frame_no;
  uint64_t pc_due_us;    /* the pc's deadline (UINT64_MAX: none) */
  uint64_t frame_due_us; /* the next frame (UINT64_MAX: not sending) */
  size_t delta;
  uint64_t keyframes_sent, keyframes_asked, frames_sent, refused;
} publisher;

typedef struct app {
  options o;
  frames f;
  publisher *pubs;
  int epfd;
  uint64_t media_end_us;
  size_t connected, failed;
  bool stopping; /* our own close is no failure */
} app;

static app A;

/* ---- the frames: an IVF file (a 32-byte file header, then 12-byte frame headers) ---- */

static int read_ivf(const char *path, frames *f) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return -1;
  fseek(fp, 0, SEEK_END);
  long size = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  f->data = size > 32 ? malloc((size_t)size) : NULL;
  bool ok = f->data && fread(f->data, 1, (size_t)size, fp) == (size_t)size &&
            memcmp(f->data, "DKIF", 4) == 0;
  fclose(fp);
  if (!ok) return -1;
  size_t cap = 0;
  for (size_t at = 32; at + 12 <= (size_t)size;) {
    size_t len = (size_t)f->data[at] | (size_t)f->data[at + 1] << 8 |
                 (size_t)f->data[at + 2] << 16 | (size_t)f->data[at + 3] << 24;
    if (len == 0 || at + 12 + len > (size_t)size) break;
    if (f->count == cap) {
      cap = cap ? cap * 2 : 512;
      f->off = realloc(f->off, cap * sizeof(size_t));
      f->len = realloc(f->len, cap * sizeof(size_t));
      if (!f->off || !f->len) return -1;
    }
    f->off[f->count] = at + 12;
    f->len[f->count++] = len;
    at += 12 + len;
  }
  /* VP8's first byte: bit 0 clear on a keyframe (RFC 6386 9.1) */
  return f->count >= 2 && (f->data[f->off[0]] & 1) == 0 ? 0 : -1;
}

/* ---- driving the pcs: one epoll set, one wait, a sendmmsg per pc and pass ---- */

static uint8_t tx_buf[BATCH][1500];
static struct mmsghdr tx_msgs[BATCH];
static struct iovec tx_iov[BATCH];
static struct sockaddr_storage tx_to[BATCH];

static void on_event(publisher *p, const brtc_output *out) {
  if (out->event == BRTC_EVENT_STEP) {
    if (out->step == BRTC_STEP_SRTP_READY && !p->connected) {
      p->connected = true;
      A.connected++;
    } else if ((out->step == BRTC_STEP_FAILED || out->step == BRTC_STEP_CLOSED) && !p->failed &&
               !A.stopping) {
      p->failed = true;
      A.failed++;
      fprintf(stderr, "whip_publishers: a session %s%s%s\n", brtc_pc_step_name(out->step),
              out->detail ? ": " : "", out->detail ? out->detail : "");
    }
  } else if (out->event == BRTC_EVENT_KEYFRAME_REQUEST) {
    p->want_key = true;
  }
}

static brtc_udp_sender gso_sender;

static void flush(publisher *p, unsigned n) {
  if (A.o.gso) {
    /* Runs of same-size datagrams to the server leave as one super-buffer each; on loopback
     * it reaches the receiver whole when that socket has UDP_GRO, else cut by the kernel. */
    brtc_udp_send_result res = {0};
    brtc_udp_sender_send(&gso_sender, 0, p->fd, tx_msgs, n, &res);
    return;
  }
  for (unsigned done = 0; done < n;) {
    int sent = sendmmsg(p->fd, tx_msgs + done, n - done, 0);
    if (sent <= 0) break; /* a full socket buffer: loss, as on any path; NACK repairs it */
    done += (unsigned)sent;
  }
}

/* peer_connection.h's rule: after every call that feeds a pc, drain it. */
static void drain(publisher *p) {
  unsigned n = 0;
  for (;;) {
    brtc_output out = {.size = sizeof(out)};
    if (brtc_pc_poll_output(p->pc, tx_buf[n], sizeof(tx_buf[n]), &out) != BRTC_OK) break;
    if (out.kind == BRTC_OUTPUT_TIMEOUT) {
      p->pc_due_us = out.deadline_us;
      break;
    }
    if (out.kind == BRTC_OUTPUT_EVENT) {
      on_event(p, &out);
      continue;
    }
    if (out.kind != BRTC_OUTPUT_TRANSMIT) continue;
    if (out.data != tx_buf[n]) memmove(tx_buf[n], out.data, out.len);
    tx_to[n] = out.remote;
    tx_iov[n] = (struct iovec){.iov_base = tx_buf[n], .iov_len = out.len};
    tx_msgs[n].msg_hdr = (struct msghdr){
        .msg_name = &tx_to[n],
        .msg_namelen = out.remote.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                        : sizeof(struct sockaddr_in),
        .msg_iov = &tx_iov[n], .msg_iovlen = 1};
    if (++n == BATCH) {
      flush(p, n);
      n = 0;
    }
  }
  flush(p, n);
}

static void send_frame(publisher *p, uint64_t now) {
  if (now >= A.media_end_us) {
    p->media_done = true;
    p->frame_due_us = UINT64_MAX;
    return;
  }
  bool asked = p->want_key && p->frame_no != 0;
  bool key = p->frame_no == 0 || p->want_key ||
             (A.o.key_interval > 0 && p->frame_no % (uint64_t)A.o.key_interval == 0);
  size_t i = 0;
  if (!key) {
    i = p->delta;
    p->delta = p->delta % (A.f.count - 1) + 1;
  }
  int rc = brtc_track_send_frame(p->track, now, A.f.data + A.f.off[i], A.f.len[i], now,
                                 key ? BRTC_FRAME_KEYFRAME : 0);
  if (rc == BRTC_OK) {
    p->frames_sent++;
    if (key) {
      p->keyframes_sent++;
      p->keyframes_asked += asked;
      p->want_key = false;
    }
  } else {
    if (!p->refused)
      fprintf(stderr, "whip_publishers: a frame refused: %s (then counted)\n", brtc_strerror(rc));
    p->refused++;
  }
  p->frame_no++;
  p->frame_due_us = p->start_us + p->frame_no * FRAME_US;
}

static void receive(publisher *p) {
  static uint8_t rx_buf[BATCH][1500];
  static struct mmsghdr msgs[BATCH];
  static struct iovec iov[BATCH];
  static struct sockaddr_storage from[BATCH];
  for (;;) {
    for (unsigned i = 0; i < BATCH; i++) {
      iov[i] = (struct iovec){.iov_base = rx_buf[i], .iov_len = sizeof(rx_buf[i])};
      msgs[i].msg_hdr = (struct msghdr){.msg_name = &from[i], .msg_namelen = sizeof(from[i]),
                                        .msg_iov = &iov[i], .msg_iovlen = 1};
    }
    int n = recvmmsg(p->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0) return;
    uint64_t now = brtc_now_us();
    for (int i = 0; i < n; i++)
      (void)brtc_pc_handle_datagram(p->pc, rx_buf[i], msgs[i].msg_len,
                                    (const struct sockaddr *)&from[i], now);
    drain(p);
    if (n < BATCH) return;
  }
}

/* Serves whatever is readable or due, waiting at most cap_ms (0: not at all) for it. */
static void pump(int cap_ms) {
  uint64_t now = brtc_now_us(), first = UINT64_MAX;
  for (int i = 0; i < A.o.n; i++) {
    const publisher *p = &A.pubs[i];
    if (!p->pc) continue;
    if (p->pc_due_us < first) first = p->pc_due_us;
    if (p->frame_due_us < first) first = p->frame_due_us;
  }
  int wait = cap_ms;
  if (first <= now) wait = 0;
  else if (first != UINT64_MAX && (first - now + 999) / 1000 < (uint64_t)wait)
    wait = (int)((first - now + 999) / 1000);
  struct epoll_event ev[256];
  int n = epoll_wait(A.epfd, ev, 256, wait);
  for (int i = 0; i < n; i++) receive(&A.pubs[ev[i].data.u32]);
  now = brtc_now_us();
  for (int i = 0; i < A.o.n; i++) {
    publisher *p = &A.pubs[i];
    if (!p->pc) continue;
    bool fed = false;
    if (p->frame_due_us <= now) {
      send_frame(p, now);
      fed = true;
    }
    if (p->pc_due_us <= now) {
      p->pc_due_us = UINT64_MAX;
      (void)brtc_pc_handle_timeout(p->pc, now);
      fed = true;
    }
    if (fed) drain(p);
  }
}

static void pump_for(uint64_t us) {
  uint64_t end = brtc_now_us() + us;
  while (brtc_now_us() < end) pump(5);
}

/* ---- one publisher's set-up: its socket, its pc, the WHIP POST ---- */

static int open_socket(struct sockaddr_in *bound) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  *bound = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof(*bound);
  if (bind(fd, (struct sockaddr *)bound, sizeof(*bound)) != 0 ||
      getsockname(fd, (struct sockaddr *)bound, &len) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static int start_publisher(publisher *p, uint32_t idx, const brtc_certificate *cert) {
  char err[512] = "";
  p->pc_due_us = p->frame_due_us = UINT64_MAX;
  struct sockaddr_in bound;
  p->fd = open_socket(&bound);
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = idx};
  if (p->fd < 0 || epoll_ctl(A.epfd, EPOLL_CTL_ADD, p->fd, &ev) != 0) {
    fprintf(stderr, "whip_publishers: a UDP socket: %m\n");
    return -1;
  }
  brtc_pc_config *pcc = brtc_pc_config_new();
  int rc = pcc ? brtc_pc_config_set_certificate(pcc, cert) : BRTC_ERR_NOMEM;
  if (rc == BRTC_OK) rc = brtc_pc_config_set_ice_lite(pcc, false);
  if (rc == BRTC_OK) rc = brtc_pc_config_add_host_address(pcc, (struct sockaddr *)&bound);
  if (rc == BRTC_OK) rc = brtc_pc_new(pcc, &p->pc, err, sizeof(err));
  brtc_pc_config_free(pcc);
  if (rc == BRTC_OK)
    rc = brtc_pc_add_track(p->pc, BRTC_TRACK_VIDEO, BRTC_DIRECTION_SENDONLY, "VP8", &p->track);
  uint64_t now = brtc_now_us();
  const char *offer = NULL;
  if (rc == BRTC_OK) rc = brtc_pc_create_offer(p->pc, now, &offer, err, sizeof(err));
  if (rc == BRTC_OK)
    rc = brtc_pc_set_local_description(p->pc, "offer", NULL, now, err, sizeof(err));
  if (rc != BRTC_OK) {
    fprintf(stderr, "whip_publishers: the offer: %s\n", err[0] ? err : brtc_strerror(rc));
    return -1;
  }
  drain(p);
  if (whip_post_offer(A.o.whip, NULL, offer, HTTP_TIMEOUT_MS, &p->whip, err, sizeof(err)) !=
      0) {
    fprintf(stderr, "whip_publishers: POST: %s\n", err);
    return -1;
  }
  p->posted = true;
  if (brtc_pc_set_remote_description(p->pc, "answer", p->whip.answer, brtc_now_us(), err,
                                     sizeof(err)) != BRTC_OK) {
    fprintf(stderr, "whip_publishers: the answer: %s\n", err);
    return -1;
  }
  drain(p);
  return 0;
}

static void stop_publisher(publisher *p) {
  char err[512];
  if (p->posted && whip_delete(&p->whip, NULL, HTTP_TIMEOUT_MS, err, sizeof(err)) != 0)
    fprintf(stderr, "whip_publishers: DELETE: %s\n", err);
  whip_session_clear(&p->whip);
  if (p->pc) {
    brtc_pc_close(p->pc, brtc_now_us());
    drain(p); /* the BYE and close_notify */
    brtc_pc_free(p->pc);
  }
  if (p->fd > 0) close(p->fd);
  memset(p, 0, sizeof(*p));
}

/* ---- measuring ---- */

typedef struct recv_counts {
  uint64_t rtp, datagrams;
} recv_counts;

typedef struct cpu_times {
  double user, sys, main;
} cpu_times;

static bool stat_cpu(const char *path, double *user, double *sys) {
  char buf[1024];
  FILE *fp = fopen(path, "r");
  if (!fp) return false;
  size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
  fclose(fp);
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  unsigned long long u, s;
  /* after "pid (comm) ": state, then utime and stime are the 12th and 13th fields */
  if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &u, &s) != 2)
    return false;
  long hz = sysconf(_SC_CLK_TCK);
  *user = (double)u / (double)hz;
  *sys = (double)s / (double)hz;
  return true;
}

static cpu_times receiver_cpu(int pid) {
  cpu_times t = {0};
  char path[64];
  if (pid <= 0) return t;
  snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  (void)stat_cpu(path, &t.user, &t.sys);
  double u, s;
  snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, pid);
  if (stat_cpu(path, &u, &s)) t.main = u + s;
  return t;
}

/* Datagrams the kernel dropped for a full receive buffer, all sockets of this namespace
 * (/proc/net/snmp, Udp: RcvbufErrors). */
static uint64_t rcvbuf_errors(void) {
  FILE *fp = fopen("/proc/net/snmp", "r");
  char line[1024];
  unsigned long long v = 0;
  bool header = false;
  while (fp && fgets(line, sizeof(line), fp)) {
    if (strncmp(line, "Udp:", 4) != 0) continue;
    if (header && sscanf(line, "Udp: %*u %*u %*u %*u %llu", &v) == 1) break;
    header = true;
  }
  if (fp) fclose(fp);
  return v;
}

static double own_cpu(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static size_t collect(char *data, size_t size, size_t n, void *user) {
  char **buf = user;
  size_t have = *buf ? strlen(*buf) : 0, add = size * n;
  char *grown = realloc(*buf, have + add + 1);
  if (!grown) return 0;
  memcpy(grown + have, data, add);
  grown[have + add] = 0;
  *buf = grown;
  return add;
}

static uint64_t num(const cJSON *o, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  return cJSON_IsNumber(v) && v->valuedouble > 0 ? (uint64_t)v->valuedouble : 0;
}

/* The receiver's counts: boltrtc's /api/status (udp.datagrams_in, each session's
 * rtp_video + rtp_audio) or the Pion catcher's /stats (rtp_packets, datagrams_in). */
static int fetch_recv(const char *url, recv_counts *out) {
  CURL *c = curl_easy_init();
  char *body = NULL;
  if (!c) return -1;
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)HTTP_TIMEOUT_MS);
  CURLcode rc = curl_easy_perform(c);
  curl_easy_cleanup(c);
  cJSON *j = rc == CURLE_OK && body ? cJSON_Parse(body) : NULL;
  free(body);
  if (!j) return -1;
  *out = (recv_counts){0};
  const cJSON *udp = cJSON_GetObjectItemCaseSensitive(j, "udp");
  if (cJSON_IsObject(udp)) {
    out->datagrams = num(udp, "datagrams_in");
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(j, "sessions")) {
      const cJSON *st = cJSON_GetObjectItemCaseSensitive(s, "stats");
      out->rtp += num(st, "rtp_video") + num(st, "rtp_audio");
    }
  } else {
    out->rtp = num(j, "rtp_packets");
    out->datagrams = num(j, "datagrams_in");
  }
  cJSON_Delete(j);
  return 0;
}

/* A fetch on a thread of its own: a status document of 500 sessions takes the server tens of
 * milliseconds to build, and the publishers must not stall meanwhile. */
typedef struct fetch_job {
  pthread_t thread;
  recv_counts counts;
  int rc;
  atomic_bool done;
} fetch_job;

static void *fetch_main(void *arg) {
  fetch_job *j = arg;
  j->rc = fetch_recv(A.o.recv_stats, &j->counts);
  atomic_store(&j->done, true);
  return NULL;
}

/* Fetches the receiver's counts while the publishers run. */
static int fetch_while_pumping(recv_counts *out) {
  if (!A.o.recv_stats) {
    *out = (recv_counts){0};
    return 0;
  }
  fetch_job j = {.rc = -1};
  atomic_init(&j.done, false);
  if (pthread_create(&j.thread, NULL, fetch_main, &j) != 0) return -1;
  while (!atomic_load(&j.done)) pump(2);
  pthread_join(j.thread, NULL);
  *out = j.counts;
  return j.rc;
}

static void sent_counts(uint64_t *packets, uint64_t *bytes) {
  *packets = *bytes = 0;
  for (int i = 0; i < A.o.n; i++) {
    brtc_track_send_stats s = {.size = sizeof(s)};
    if (!A.pubs[i].track || brtc_track_get_send_stats(A.pubs[i].track, &s) != BRTC_OK) continue;
    *packets += s.packets_sent;
    *bytes += s.bytes_sent + s.header_bytes_sent;
  }
}

/* ---- the command line: Go's flag syntax, -name value ---- */

static int parse(int argc, char **argv, options *o) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    while (*a == '-') a++;
    if (strcmp(a, "together") == 0) continue; /* always together */
    if (i + 1 >= argc) return -1;
    const char *v = argv[++i];
    if (strcmp(a, "n") == 0) o->n = atoi(v);
    else if (strcmp(a, "whip") == 0) o->whip = v;
    else if (strcmp(a, "ivf") == 0) o->ivf = v;
    else if (strcmp(a, "seconds") == 0) o->seconds = atoi(v);
    else if (strcmp(a, "warmup") == 0) o->warmup = atoi(v);
    else if (strcmp(a, "key-interval") == 0) o->key_interval = atoi(v);
    else if (strcmp(a, "cpu-pid") == 0) o->cpu_pid = atoi(v);
    else if (strcmp(a, "recv-stats") == 0) o->recv_stats = v;
    else if (strcmp(a, "gap") == 0) o->gap_ms = atoi(v); /* "10ms" reads as 10 */
    else if (strcmp(a, "gso") == 0) o->gso = atoi(v) != 0;
    else return -1;
  }
  return o->n > 0 && o->seconds > 0 && o->warmup >= 0 ? 0 : -1;
}

int main(int argc, char **argv) {
  A.o = (options){.n = 5, .seconds = 20, .warmup = 5, .key_interval = 0, .gap_ms = 10,
                  .whip = "http://127.0.0.1:8080/whip", .ivf = "frames.ivf"};
  if (parse(argc, argv, &A.o) != 0) {
    fprintf(stderr, "usage: whip_publishers -n N -whip URL -ivf FILE [-seconds S] [-warmup S]\n"
                    "  [-key-interval FRAMES] [-cpu-pid PID] [-recv-stats URL] [-gap MS]\n"
                    "  [-gso 0|1]\n");
    return 2;
  }
  if (read_ivf(A.o.ivf, &A.f) != 0) {
    fprintf(stderr, "whip_publishers: %s: want an IVF file, a VP8 keyframe then deltas\n",
            A.o.ivf);
    return 1;
  }
  brtc_set_log_level(BRTC_LOG_WARN);
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  A.epfd = epoll_create1(EPOLL_CLOEXEC);
  A.pubs = calloc((size_t)A.o.n, sizeof(publisher));
  brtc_certificate *cert = brtc_certificate_generate(); /* one for all: no 500 key pairs */
  if (A.epfd < 0 || !A.pubs || !cert) return 1;
  srand((unsigned)getpid());
  brtc_udp_sender_init(&gso_sender, A.o.gso);

  size_t set_up = 0;
  for (int i = 0; i < A.o.n; i++) {
    if (start_publisher(&A.pubs[i], (uint32_t)i, cert) != 0) {
      A.failed++;
      continue;
    }
    set_up++;
    pump_for((uint64_t)A.o.gap_ms * 1000u);
  }
  uint64_t give_up = brtc_now_us() + CONNECT_WAIT_US;
  while (A.connected + A.failed < (size_t)A.o.n && brtc_now_us() < give_up) pump(5);
  if (A.connected < set_up)
    fprintf(stderr, "whip_publishers: %zu of %d connected\n", A.connected, A.o.n);

  /* Together: every connected publisher starts now, within START_SPREAD_US. */
  uint64_t now = brtc_now_us();
  A.media_end_us = now + (uint64_t)(A.o.warmup + A.o.seconds) * 1000000u;
  for (int i = 0; i < A.o.n; i++) {
    publisher *p = &A.pubs[i];
    if (!p->connected || p->failed) continue;
    p->start_us = p->frame_due_us = now + (uint64_t)rand() % START_SPREAD_US;
  }
  /* CLOCK_MONOTONIC, as timeline.py's samples (run_pion_cpu.sh TIMELINE=1) */
  fprintf(stderr, "whip_publishers: media starts at %llu us\n", (unsigned long long)now);
  pump_for((uint64_t)A.o.warmup * 1000000u);

  recv_counts r0 = {0}, r1 = {0}, total = {0};
  bool measured = fetch_while_pumping(&r0) == 0;
  cpu_times c0 = receiver_cpu(A.o.cpu_pid);
  double own0 = own_cpu();
  uint64_t drops0 = rcvbuf_errors();
  uint64_t p0, b0, p1, b1;
  sent_counts(&p0, &b0);
  uint64_t t0 = brtc_now_us();
  /* run_pion_cpu.sh waits for this line to start perf on the receiver for the window */
  fprintf(stderr, "whip_publishers: measuring for %d s (from %llu us)\n", A.o.seconds,
          (unsigned long long)t0);
  pump_for((uint64_t)A.o.seconds * 1000000u);
  cpu_times c1 = receiver_cpu(A.o.cpu_pid);
  double own1 = own_cpu();
  uint64_t drops1 = rcvbuf_errors();
  sent_counts(&p1, &b1);
  uint64_t t1 = brtc_now_us();
  measured = fetch_while_pumping(&r1) == 0 && measured;
  while (brtc_now_us() < A.media_end_us) pump(5);
  pump_for(1000000u); /* the last packets, before the sessions end */
  bool have_total = fetch_while_pumping(&total) == 0;
  if (!measured) fprintf(stderr, "whip_publishers: the receiver's counts: cannot fetch\n");

  uint64_t rtp_sent, rtp_bytes, nacks = 0, nack_seqs = 0, plis = 0, firs = 0;
  sent_counts(&rtp_sent, &rtp_bytes);
  uint64_t keys = 0, asked = 0, frames_sent = 0, refused = 0;
  for (int i = 0; i < A.o.n; i++) {
    publisher *p = &A.pubs[i];
    brtc_track_send_stats s = {.size = sizeof(s)};
    if (p->track && brtc_track_get_send_stats(p->track, &s) == BRTC_OK) {
      nacks += s.nack_count;
      nack_seqs += s.retransmitted_packets_sent;
      plis += s.pli_count;
      firs += s.fir_count;
    }
    keys += p->keyframes_sent;
    asked += p->keyframes_asked;
    frames_sent += p->frames_sent;
    refused += p->refused;
  }
  A.stopping = true;
  for (int i = 0; i < A.o.n; i++) stop_publisher(&A.pubs[i]);

  double secs = (double)(t1 - t0) / 1e6;
  printf("{\"nack_messages\":%llu,\"nack_seqs\":%llu,\"plis\":%llu,\"firs\":%llu,"
         "\"keyframes_sent\":%llu,\"keyframes_asked\":%llu,\"frames_sent\":%llu,"
         "\"frames_refused\":%llu,\"connected\":%zu,\"failed\":%zu,\"rtp_sent\":%llu,"
         "\"rtp_bytes\":%llu",
         (unsigned long long)nacks, (unsigned long long)nack_seqs, (unsigned long long)plis,
         (unsigned long long)firs, (unsigned long long)keys, (unsigned long long)asked,
         (unsigned long long)frames_sent, (unsigned long long)refused, A.connected, A.failed,
         (unsigned long long)rtp_sent, (unsigned long long)rtp_bytes);
  if (measured)
    printf(",\"window\":{\"seconds\":%.3f,\"rtp_sent\":%llu,\"rtp_bytes\":%llu,"
           "\"server_cpu_s\":%.2f,\"server_user_s\":%.2f,\"server_sys_s\":%.2f,"
           "\"server_main_thread_cpu_s\":%.2f,\"publishers_cpu_s\":%.3f,"
           "\"rcvbuf_errors\":%llu,\"recv\":{\"rtp\":%llu,\"datagrams\":%llu}}",
           secs, (unsigned long long)(p1 - p0), (unsigned long long)(b1 - b0),
           c1.user - c0.user + c1.sys - c0.sys, c1.user - c0.user, c1.sys - c0.sys,
           c1.main - c0.main, own1 - own0, (unsigned long long)(drops1 - drops0),
           (unsigned long long)(r1.rtp - r0.rtp),
           (unsigned long long)(r1.datagrams - r0.datagrams));
  if (have_total && A.o.recv_stats)
    printf(",\"recv_total\":{\"rtp\":%llu,\"datagrams\":%llu}", (unsigned long long)total.rtp,
           (unsigned long long)total.datagrams);
  printf("}\n");

  free(A.pubs);
  free(A.f.data);
  free(A.f.off);
  free(A.f.len);
  brtc_certificate_free(cert);
  close(A.epfd);
  curl_global_cleanup();
  return A.failed > 0 ? 1 : 0;
}
