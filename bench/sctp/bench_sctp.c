/* SCTP for data channels, ours (src/sctp) beside usrsctp 0.9.5 (Debian's libusrsctp, the SCTP
 * every C WebRTC stack used), both in memory on one thread, in the same run:
 *   throughput: one reliable ordered stream, messages of 1 KiB and 64 KiB, sender and
 *     receiver on the same core with packets handed straight across (no loss), until N
 *     messages have been received; messages/s and MB/s of payload per CPU second;
 *   memory: K connected pairs, each with one data channel open (DCEP OPEN and ACK) and one
 *     message sent each way; heap in use (glibc mallinfo2) per association, harness buffers
 *     left out.
 * usrsctp runs without threads through AF_CONN (tests/sctp/usrsctp_end.c, as the oracle tests
 * drive it), on the real clock; both ends use the same MTU (1191), send buffer and receive
 * window (1 MiB) and compute CRC32c on every packet. Ours is also run with RFC 9653's zero
 * checksum, which it uses over DTLS when the peer offers it (usrsctp 0.9.5 does not).
 *   bench_sctp [--messages-1k N] [--messages-64k N] [--pairs K] */
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_common.h"
#include "boltrtc/error.h"
#include "sctp/datachannel.h"
#include "sctp/dcep.h"
#include "sctp/sctp.h"
#include "usrsctp_end.h"

#include <usrsctp.h>

#define WINDOW (1024u * 1024u)
#define MTU 1191
#define STREAM 1
#define MAX_PAIRS 1000

static uint64_t mono_us(void) { return (uint64_t)(bench_now_s() * 1e6); }

static size_t heap_in_use(void) {
  struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

typedef struct result {
  double msgs_per_s, mb_per_s, cpu;
} result;

/* ---- ours ---- */

/* Every packet each has goes straight to the other; messages and events counted. */
static void ours_shuttle(brtc_sctp *x, brtc_sctp *y, uint64_t now, uint64_t *received) {
  static uint8_t pkt[2048];
  size_t len;
  brtc_sctp *from[2] = {x, y}, *to[2] = {y, x};
  for (bool more = true; more;) {
    more = false;
    for (int i = 0; i < 2; i++) {
      while (brtc_sctp_poll_packet(from[i], now, pkt, sizeof pkt, &len) == BRTC_OK) {
        brtc_sctp_handle_packet(to[i], now, pkt, len);
        more = true;
      }
      brtc_sctp_event ev;
      while (brtc_sctp_poll_event(to[i], &ev) == BRTC_OK)
        if (ev.type == BRTC_SCTP_EVENT_MESSAGE && received) (*received)++;
    }
  }
  for (int i = 0; i < 2; i++)
    if (brtc_sctp_next_deadline(from[i]) <= now) brtc_sctp_handle_timeout(from[i], now);
}

static result run_ours(size_t size, uint64_t n, bool zero_checksum) {
  brtc_sctp_config c = {.recv_window = WINDOW, .send_buffer = WINDOW, .mtu = MTU,
                        .zero_checksum = zero_checksum};
  brtc_sctp *a = NULL, *b = NULL;
  if (brtc_sctp_new(&c, mono_us(), &a) || brtc_sctp_new(&c, mono_us(), &b)) bench_die("brtc_sctp_new");
  brtc_sctp_connect(a, mono_us());
  brtc_sctp_connect(b, mono_us());
  uint64_t t_end = mono_us() + 5000000;
  while (brtc_sctp_get_state(a) != BRTC_SCTP_ESTABLISHED ||
         brtc_sctp_get_state(b) != BRTC_SCTP_ESTABLISHED) {
    if (mono_us() > t_end) bench_die("ours: association set-up");
    ours_shuttle(a, b, mono_us(), NULL);
  }
  uint8_t *msg = malloc(size);
  if (!msg) bench_die("malloc");
  memset(msg, 0x5a, size);
  brtc_sctp_send_options o = {.stream = STREAM, .ppid = BRTC_SCTP_PPID_BINARY,
                              .max_retransmits = -1, .lifetime_ms = -1};
  uint64_t sent = 0, received = 0, t0 = mono_us();
  double c0 = bench_cpu_s();
  while (received < n) {
    uint64_t now = mono_us();
    while (sent < n && brtc_sctp_send(a, now, &o, msg, size) == BRTC_OK) sent++;
    ours_shuttle(a, b, now, &received);
    if (now - t0 > 120000000u) bench_die("ours: delivering within 120 s");
  }
  double cpu = bench_cpu_s() - c0;
  free(msg);
  brtc_sctp_free(a);
  brtc_sctp_free(b);
  return (result){n / cpu, (double)n * (double)size / cpu / 1e6, cpu};
}

/* ---- usrsctp ---- */

static void usr_shuttle(usrsctp_end *x, usrsctp_end *y) {
  static uint8_t pkt[2048];
  size_t len;
  for (bool more = true; more;) {
    more = false;
    while (usrsctp_end_pop(x, pkt, sizeof pkt, &len)) {
      usrsctp_end_input(y, pkt, len);
      more = true;
    }
    while (usrsctp_end_pop(y, pkt, sizeof pkt, &len)) {
      usrsctp_end_input(x, pkt, len);
      more = true;
    }
  }
  usrsctp_end_advance(mono_us());
}

/* Streams each end offers: the oracle tests' 65535 (what ours offers), or fewer. usrsctp
 * allocates its stream tables for all that are negotiated, up front. */
static void usr_set_streams(usrsctp_end *e, uint16_t streams) {
  struct sctp_initmsg init = {.sinit_num_ostreams = streams, .sinit_max_instreams = streams};
  if (usrsctp_setsockopt(e->sock, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof init) < 0)
    bench_die("SCTP_INITMSG");
}

static void usr_connect(usrsctp_end *client, usrsctp_end *server, uint16_t streams) {
  if (usrsctp_end_open(server, true, MTU, WINDOW) || usrsctp_end_open(client, false, MTU, WINDOW))
    bench_die("usrsctp_end_open");
  usr_set_streams(server, streams);
  usr_set_streams(client, streams);
  client->count_only = server->count_only = true;
  if (usrsctp_end_connect(client)) bench_die("usrsctp connect");
  uint64_t t_end = mono_us() + 5000000;
  while (!client->up || !server->up) {
    if (mono_us() > t_end) bench_die("usrsctp: association set-up");
    usr_shuttle(client, server);
  }
}

static result run_usrsctp(size_t size, uint64_t n) {
  static usrsctp_end client, server;
  usr_connect(&client, &server, 65535);
  uint8_t *msg = malloc(size);
  if (!msg) bench_die("malloc");
  memset(msg, 0x5a, size);
  uint64_t sent = 0, t0 = mono_us();
  double c0 = bench_cpu_s();
  while (server.messages_received < n) {
    while (sent < n &&
           usrsctp_end_send(&client, STREAM, BRTC_SCTP_PPID_BINARY, false, 0, 0, msg, size) == 0)
      sent++;
    usr_shuttle(&client, &server);
    if (mono_us() - t0 > 120000000u) bench_die("usrsctp: delivering within 120 s");
  }
  double cpu = bench_cpu_s() - c0;
  free(msg);
  usrsctp_end_abort(&client);
  usr_shuttle(&client, &server);
  usrsctp_end_close(&client);
  usrsctp_end_close(&server);
  return (result){n / cpu, (double)n * (double)size / cpu / 1e6, cpu};
}

/* ---- memory with one open channel ---- */

typedef struct dc_pair {
  brtc_dc_transport *t[2];
  brtc_dc *ch[2];
} dc_pair;

static void dc_shuttle(dc_pair *p, uint64_t now) {
  static uint8_t pkt[2048];
  size_t len;
  for (bool more = true; more;) {
    more = false;
    for (int i = 0; i < 2; i++) {
      brtc_dc_event ev;
      while (brtc_dc_transport_poll_event(p->t[i], &ev) == BRTC_OK)
        if (ev.type == BRTC_DC_EVENT_CHANNEL) p->ch[i] = ev.channel;
      while (brtc_dc_transport_poll_packet(p->t[i], now, pkt, sizeof pkt, &len) == BRTC_OK) {
        brtc_dc_transport_handle_packet(p->t[1 - i], now, pkt, len);
        more = true;
      }
    }
  }
}

static void dc_pair_open(dc_pair *p) {
  uint64_t now = mono_us();
  for (int i = 0; i < 2; i++) {
    brtc_dc_transport_config c = {.sctp = {.recv_window = WINDOW, .send_buffer = WINDOW, .mtu = MTU}};
    if (brtc_dc_transport_new(&c, now, &p->t[i])) bench_die("brtc_dc_transport_new");
  }
  for (int i = 0; i < 2; i++) {
    brtc_dc_start s = {.dtls_client = i == 0, .remote_max_message = 262144};
    if (brtc_dc_transport_start(p->t[i], now, &s)) bench_die("brtc_dc_transport_start");
  }
  if (brtc_dc_create(p->t[0], now, "chat", NULL, &p->ch[0])) bench_die("brtc_dc_create");
  uint64_t t_end = now + 5000000;
  while (!p->ch[1] || brtc_dc_get_state(p->ch[0]) != BRTC_DC_OPEN) {
    if (mono_us() > t_end) bench_die("ours: channel opening");
    dc_shuttle(p, mono_us());
  }
  static const uint8_t hello[100];
  if (brtc_dc_send(p->ch[0], mono_us(), hello, sizeof hello, true) ||
      brtc_dc_send(p->ch[1], mono_us(), hello, sizeof hello, true))
    bench_die("brtc_dc_send");
  dc_shuttle(p, mono_us());
}

static void memory_ours(unsigned k, double *per_assoc, double *reported) {
  static dc_pair pairs[MAX_PAIRS + 1];
  dc_pair_open(&pairs[MAX_PAIRS]); /* warm-up: OpenSSL's lazily made HMAC and RAND state */
  size_t before = heap_in_use();
  for (unsigned i = 0; i < k; i++) dc_pair_open(&pairs[i]);
  size_t after = heap_in_use();
  size_t rep = 0;
  for (unsigned i = 0; i < k; i++) rep += brtc_dc_transport_memory(pairs[i].t[0]) +
                                           brtc_dc_transport_memory(pairs[i].t[1]);
  *per_assoc = (double)(after - before) / (2.0 * k);
  *reported = (double)rep / (2.0 * k);
  for (unsigned i = 0; i <= MAX_PAIRS; i++)
    if (i < k || i == MAX_PAIRS)
      for (int j = 0; j < 2; j++) brtc_dc_transport_free(pairs[i].t[j]);
}

/* usrsctp: DCEP by hand (OPEN from the client, ACK back), then one message each way. */
static void usr_pair_open(usrsctp_end *client, usrsctp_end *server, uint16_t streams) {
  usr_connect(client, server, streams);
  uint8_t open[64];
  size_t len;
  brtc_dcep_open o = {.label = (const uint8_t *)"chat", .label_len = 4, .priority = 256};
  if (brtc_dcep_write_open(&o, open, sizeof open, &len)) bench_die("dcep");
  static const uint8_t ack[1] = {BRTC_DCEP_ACK}, hello[100];
  if (usrsctp_end_send(client, 0, BRTC_SCTP_PPID_DCEP, false, 0, 0, open, len)) bench_die("usr send");
  usr_shuttle(client, server);
  if (usrsctp_end_send(server, 0, BRTC_SCTP_PPID_DCEP, false, 0, 0, ack, 1)) bench_die("usr send");
  usr_shuttle(client, server);
  if (usrsctp_end_send(client, 0, BRTC_SCTP_PPID_BINARY, false, 0, 0, hello, sizeof hello) ||
      usrsctp_end_send(server, 0, BRTC_SCTP_PPID_BINARY, false, 0, 0, hello, sizeof hello))
    bench_die("usr send");
  usr_shuttle(client, server);
  if (client->messages_received != 2 || server->messages_received != 2) bench_die("usrsctp: one message each way");
}

/* The harness's own buffers (its queue of packets out), not usrsctp's. */
static size_t usr_harness_bytes(const usrsctp_end *e) { return e->out_cap * sizeof(usr_pkt); }

static void memory_usrsctp(unsigned k, uint16_t streams, double *per_assoc) {
  static usrsctp_end ends[MAX_PAIRS + 1][2];
  usr_pair_open(&ends[MAX_PAIRS][0], &ends[MAX_PAIRS][1], streams); /* warm-up: globals */
  size_t before = heap_in_use();
  for (unsigned i = 0; i < k; i++) usr_pair_open(&ends[i][0], &ends[i][1], streams);
  size_t after = heap_in_use(), harness = 0;
  for (unsigned i = 0; i < k; i++)
    harness += usr_harness_bytes(&ends[i][0]) + usr_harness_bytes(&ends[i][1]);
  *per_assoc = ((double)(after - before) - (double)harness) / (2.0 * k);
  for (unsigned i = 0; i <= MAX_PAIRS; i++) {
    if (i >= k && i != MAX_PAIRS) continue;
    usrsctp_end_abort(&ends[i][0]);
    usr_shuttle(&ends[i][0], &ends[i][1]);
    usrsctp_end_close(&ends[i][0]);
    usrsctp_end_close(&ends[i][1]);
  }
}

int main(int argc, char **argv) {
  uint64_t n1k = 400000, n64k = 20000;
  unsigned pairs = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--messages-1k")) n1k = strtoull(argv[i + 1], NULL, 10);
    else if (!strcmp(argv[i], "--messages-64k")) n64k = strtoull(argv[i + 1], NULL, 10);
    else if (!strcmp(argv[i], "--pairs")) pairs = (unsigned)strtoul(argv[i + 1], NULL, 10);
    else bench_die("usage: bench_sctp [--messages-1k N] [--messages-64k N] [--pairs K]");
  }
  if (pairs == 0 || pairs > MAX_PAIRS) bench_die("--pairs (1 to 1000)");
  usrsctp_end_global_init();
  usrsctp_end_advance(mono_us());

  printf("throughput, one reliable ordered stream, in memory, one core (sender + receiver)\n");
  printf("%-8s %-26s %12s %10s %9s %8s\n", "message", "stack", "messages/s", "MB/s", "CPU s",
         "ratio");
  struct {
    size_t size;
    uint64_t n;
  } runs[2] = {{1024, n1k}, {65536, n64k}};
  for (int r = 0; r < 2; r++) {
    result u = run_usrsctp(runs[r].size, runs[r].n);
    result o = run_ours(runs[r].size, runs[r].n, false);
    result z = run_ours(runs[r].size, runs[r].n, true);
    const char *label = runs[r].size == 1024 ? "1 KiB" : "64 KiB";
    printf("%-8s %-26s %12.0f %10.1f %9.2f %8s\n", label, "usrsctp 0.9.5", u.msgs_per_s,
           u.mb_per_s, u.cpu, "1.00");
    printf("%-8s %-26s %12.0f %10.1f %9.2f %8.2f\n", label, "ours (CRC32c)", o.msgs_per_s,
           o.mb_per_s, o.cpu, o.msgs_per_s / u.msgs_per_s);
    printf("%-8s %-26s %12.0f %10.1f %9.2f %8.2f\n", label, "ours (zero checksum)",
           z.msgs_per_s, z.mb_per_s, z.cpu, z.msgs_per_s / u.msgs_per_s);
    fflush(stdout);
  }

  double ours, ours_reported, usr_all, usr_1024;
  memory_ours(pairs, &ours, &ours_reported);
  memory_usrsctp(pairs, 65535, &usr_all);
  memory_usrsctp(pairs, 1024, &usr_1024);
  printf("\nmemory per association, one data channel open, %u connected pairs (heap in use)\n",
         pairs);
  printf("  usrsctp 0.9.5, 65535 streams:  %9.0f B\n", usr_all);
  printf("  usrsctp 0.9.5, 1024 streams:   %9.0f B\n", usr_1024);
  printf("  ours, 65535 streams:           %9.0f B (brtc_dc_transport_memory: %.0f B); "
         "%.4f and %.3f of usrsctp's\n", ours, ours_reported, ours / usr_all, ours / usr_1024);
  return 0;
}
