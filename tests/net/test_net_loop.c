/* brtc_loop over real loopback UDP sockets, driving stand-in peer connections (fake_pc.c):
 * demultiplexing, the unknown-source rules, address learning, the send path, timers. Every
 * wait is bounded by a number of loop passes of at most 100 ms each. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boltrtc/loop.h"
#include "common/addr.h"
#include "fake_pc.h"
#include "stun/stun.h"
#include "net_test_util.h"
#include "testing.h"

/* A plain UDP socket standing in for a browser. */
typedef struct client {
  int fd;
  brtc_addr addr;
} client;

static bool client_open(client *c, const char *ip) {
  brtc_addr a;
  if (brtc_addr_from_ip(&a, ip, 0) != BRTC_OK) return false;
  c->fd = socket(brtc_addr_family(&a), SOCK_DGRAM | SOCK_NONBLOCK, 0);
  if (c->fd < 0) return false;
  if (bind(c->fd, &a.u.sa, brtc_addr_len(&a)) != 0) {
    close(c->fd);
    return false;
  }
  socklen_t len = sizeof(c->addr.u);
  getsockname(c->fd, &c->addr.u.sa, &len);
  return true;
}

static void client_send(const client *c, const brtc_addr *to, const void *data, size_t len) {
  ssize_t n = sendto(c->fd, data, len, 0, &to->u.sa, brtc_addr_len(to));
  CHECK(n == (ssize_t)len);
}

/* Datagram waiting on the client, or -1. */
static ssize_t client_recv(const client *c, uint8_t *buf, size_t cap, brtc_addr *from) {
  socklen_t len = sizeof(from->u);
  memset(from, 0, sizeof(*from));
  return recvfrom(c->fd, buf, cap, MSG_DONTWAIT, &from->u.sa, &len);
}

/* Run the loop until the client has a datagram or ~2 s passed. */
static ssize_t pump_until_reply(brtc_loop *loop, const client *c, uint8_t *buf, size_t cap,
                                brtc_addr *from) {
  for (int i = 0; i < 20; i++) {
    ssize_t n = client_recv(c, buf, cap, from);
    if (n >= 0) return n;
    brtc_loop_run_once(loop, 100);
  }
  return client_recv(c, buf, cap, from);
}

/* Run the loop until a stats counter reaches want (or ~2 s passed). */
static void pump_until(brtc_loop *loop, const uint64_t *counter_in_stats, uint64_t want,
                       brtc_loop_stats *st) {
  for (int i = 0; i < 20; i++) {
    brtc_loop_get_stats(loop, st);
    if (*counter_in_stats >= want) return;
    brtc_loop_run_once(loop, 100);
  }
  brtc_loop_get_stats(loop, st);
}

static size_t make_check(uint8_t *buf, size_t cap, const char *username, uint8_t tid_byte) {
  uint8_t tid[12];
  memset(tid, tid_byte, sizeof(tid));
  brtc_stun_writer w;
  brtc_stun_writer_init(&w, buf, cap, BRTC_STUN_BINDING_REQUEST, tid);
  brtc_stun_add_bytes(&w, BRTC_STUN_ATTR_USERNAME, username, strlen(username));
  brtc_stun_add_u32(&w, BRTC_STUN_ATTR_PRIORITY, 12345);
  size_t len = 0;
  CHECK_EQ_INT(brtc_stun_finish(&w, (const uint8_t *)"pwd", 3, true, &len), BRTC_OK);
  return len;
}

static bool new_loop_gro; /* brtc_loop_config_set_gro for the loops new_loop makes */

static brtc_loop *new_loop(const char *addr, bool loopback_only, brtc_addr *bound) {
  brtc_loop *loop = net_test_loop_gro(addr, loopback_only, new_loop_gro);
  if (!loop) return NULL;
  const struct sockaddr_storage *local;
  size_t n = brtc_loop_local_addrs(loop, &local);
  CHECK(n >= 1);
  memset(bound, 0, sizeof(*bound));
  memcpy(&bound->u, &local[0], local[0].ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                              : sizeof(struct sockaddr_in));
  return loop;
}

/* A loop with one socket and one client socket talking to it. */
typedef struct fixture {
  brtc_loop *loop;
  brtc_addr server; /* the loop's first local address */
  client c;
} fixture;

static bool fixture_open(fixture *f, const char *loop_addr, bool loopback_only, const char *client_ip) {
  memset(f, 0, sizeof(*f));
  f->c.fd = -1;
  f->loop = new_loop(loop_addr, loopback_only, &f->server);
  CHECK(f->loop != NULL);
  bool ok = f->loop && client_open(&f->c, client_ip);
  CHECK(ok);
  return ok;
}

static void fixture_close(fixture *f) {
  if (f->c.fd >= 0) close(f->c.fd);
  brtc_loop_free(f->loop);
}

/* Add a fake pc, or NULL. */
static brtc_pc *fixture_pc(fixture *f, const char *ufrag, int echo_rtp) {
  brtc_pc *pc = fake_pc_new(ufrag);
  if (!pc) return NULL;
  pc->echo_rtp = echo_rtp;
  CHECK_EQ_INT(brtc_loop_add_pc(f->loop, pc, NULL, NULL), BRTC_OK);
  return pc;
}

static void fixture_drop_pc(fixture *f, brtc_pc *pc) {
  brtc_loop_remove_pc(f->loop, pc);
  fake_pc_free(pc);
}

/* The whole path for one family: drops, then a check, then media from the learned address. */
static void run_family(const char *loop_addr, const char *client_ip) {
  brtc_addr server;
  brtc_loop *loop = new_loop(loop_addr, false, &server);
  CHECK(loop != NULL);
  if (!loop) return;
  CHECK(brtc_addr_port(&server) != 0);
  client c;
  CHECK(client_open(&c, client_ip));
  brtc_pc *pc = fake_pc_new("abcd");
  pc->echo_rtp = 1;
  CHECK_EQ_INT(brtc_loop_add_pc(loop, pc, NULL, NULL), BRTC_OK);
  CHECK_EQ_INT(brtc_loop_add_pc(loop, pc, NULL, NULL), BRTC_ERR_STATE);
  brtc_loop_stats st = {.size = sizeof(st)};
  uint8_t buf[1500];
  brtc_addr from;

  /* (a) garbage: first byte outside every RFC 7983 range. */
  uint8_t garbage[40];
  memset(garbage, 0xee, sizeof(garbage));
  client_send(&c, &server, garbage, sizeof(garbage));
  uint8_t empty = 0;
  client_send(&c, &server, &empty, 0);
  pump_until(loop, &st.dropped_malformed, 2, &st);
  CHECK_EQ_INT(st.dropped_malformed, 2);

  /* (b) RTP and DTLS from an address no pc owns. */
  uint8_t rtp[1200] = {0x80, 96};
  uint8_t dtls[60] = {22, 0xfe, 0xfd};
  client_send(&c, &server, rtp, sizeof(rtp));
  client_send(&c, &server, dtls, sizeof(dtls));
  pump_until(loop, &st.dropped_unknown_source, 2, &st);
  CHECK_EQ_INT(st.dropped_unknown_source, 2);
  CHECK_EQ_INT(pc->datagrams, 0);

  /* (c) STUN checks naming no pc, or with no ufrag part, or not a request: no answer. */
  size_t n = make_check(buf, sizeof(buf), "nobody:remote", 1);
  client_send(&c, &server, buf, n);
  n = make_check(buf, sizeof(buf), "abcdremote", 2); /* no colon */
  client_send(&c, &server, buf, n);
  n = make_check(buf, sizeof(buf), "abc:remote", 3); /* prefix of a real ufrag */
  client_send(&c, &server, buf, n);
  pump_until(loop, &st.dropped_unknown_ufrag, 3, &st);
  CHECK_EQ_INT(st.dropped_unknown_ufrag, 3);
  uint8_t truncated_stun[20] = {0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42};
  client_send(&c, &server, truncated_stun, sizeof(truncated_stun));
  pump_until(loop, &st.dropped_malformed, 3, &st);
  CHECK_EQ_INT(st.dropped_malformed, 3);

  /* (d) a check naming the pc is answered from the port it was sent to; the first reply the
   * client sees is this one (tid 9), so none of the drops above was answered. */
  n = make_check(buf, sizeof(buf), "abcd:remote", 9);
  client_send(&c, &server, buf, n);
  ssize_t got = pump_until_reply(loop, &c, buf, sizeof(buf), &from);
  CHECK(got >= 20);
  brtc_stun_msg msg;
  CHECK_EQ_INT(brtc_stun_parse(buf, (size_t)(got > 0 ? got : 0), &msg), BRTC_OK);
  CHECK_EQ_INT(msg.type, BRTC_STUN_BINDING_SUCCESS);
  CHECK_EQ_INT(msg.transaction_id[0], 9);
  CHECK(msg.has_xor_mapped && brtc_addr_equal(&msg.xor_mapped, &c.addr));
  CHECK(brtc_addr_equal(&from, &server));
  CHECK_EQ_INT(pc->datagrams, 1);

  /* Media from the checked address now reaches the pc, and its echo comes back. */
  client_send(&c, &server, rtp, sizeof(rtp));
  got = pump_until_reply(loop, &c, buf, sizeof(buf), &from);
  CHECK_EQ_INT(got, 200); /* the fake echoes 200 bytes */
  CHECK_EQ_INT(pc->rtp, 1);
  brtc_loop_get_stats(loop, &st);
  CHECK_EQ_INT(st.dropped_unknown_source, 2);
  CHECK_EQ_INT(st.datagrams_out, 2);
  CHECK_EQ_INT(st.datagrams_in, 10);

  /* Removing the pc forgets its address: media from it is unknown again. */
  brtc_loop_remove_pc(loop, pc);
  client_send(&c, &server, rtp, sizeof(rtp));
  pump_until(loop, &st.dropped_unknown_source, 3, &st);
  CHECK_EQ_INT(st.dropped_unknown_source, 3);
  CHECK_EQ_INT(pc->rtp, 1);
  n = make_check(buf, sizeof(buf), "abcd:remote", 10);
  client_send(&c, &server, buf, n);
  pump_until(loop, &st.dropped_unknown_ufrag, 4, &st);
  CHECK_EQ_INT(st.dropped_unknown_ufrag, 4);

  close(c.fd);
  fake_pc_free(pc);
  brtc_loop_free(loop);
}

static void test_ipv4(void) { run_family("127.0.0.1:0", "127.0.0.1"); }

static void test_ipv6(void) {
  if (!have_ipv6_loopback()) {
    fprintf(stderr, "skip: no IPv6 loopback\n");
    return;
  }
  run_family("[::1]:0", "::1");
}

/* Many datagrams queued at once go out over several sendmmsg batches, none lost. With GSO
 * (on by default) each batch's run to the one client is one super-buffer; the client still
 * gets every datagram whole and in order, the last one shorter as queued. */
static void test_send_batches(void) {
  fixture f;
  if (!fixture_open(&f, "127.0.0.1:0", false, "127.0.0.1")) {
    fixture_close(&f);
    return;
  }
  brtc_pc *pc = fixture_pc(&f, "many", 0);
  enum { COUNT = 3 * BRTC_LOOP_BATCH + 5, LAST = 60 };
  for (int i = 0; i < COUNT; i++) {
    uint8_t d[100] = {0x80, 96, 0, (uint8_t)i};
    for (size_t k = 4; k < sizeof(d); k++) d[k] = (uint8_t)(i * 3 + (int)k);
    fake_pc_queue(pc, d, i == COUNT - 1 ? LAST : sizeof(d), &f.c.addr);
  }
  fake_pc_touch(pc);
  int received = 0, in_order = 1, intact = 1;
  uint8_t buf[1500];
  brtc_addr from;
  for (int i = 0; i < COUNT; i++) {
    ssize_t n = pump_until_reply(f.loop, &f.c, buf, sizeof(buf), &from);
    if (n != (i == COUNT - 1 ? LAST : 100)) break;
    if (buf[3] != (uint8_t)received) in_order = 0;
    for (ssize_t k = 4; k < n; k++)
      if (buf[k] != (uint8_t)(i * 3 + (int)k)) intact = 0;
    received++;
  }
  CHECK_EQ_INT(received, COUNT);
  CHECK(in_order);
  CHECK(intact);
  brtc_loop_stats st = {.size = sizeof(st)};
  brtc_loop_get_stats(f.loop, &st);
  CHECK_EQ_INT(st.datagrams_out, COUNT);
  CHECK_EQ_INT(st.bytes_out, (COUNT - 1) * 100 + LAST);
  CHECK_EQ_INT(st.send_errors, 0);
  CHECK(st.gso_sends >= 1);
  CHECK(st.gso_datagrams >= COUNT / 2);
  fixture_drop_pc(&f, pc);
  fixture_close(&f);
}

/* A peer's burst sent as one GSO super-buffer (UDP_SEGMENT: GRO_N datagrams of GRO_SEG bytes,
 * the last GRO_LAST) reaches the pc as the same datagrams in the same order, whether the loop
 * takes it whole (UDP GRO: one read, cut by the loop) or the kernel cuts it (GRO off). The
 * fake pc echoes each RTP datagram (its first 200 bytes), so the echoes show what it got. */
enum { GRO_N = 5, GRO_SEG = 300, GRO_LAST = 120 };

static void gro_burst(bool gro) {
  new_loop_gro = gro;
  fixture f;
  bool open = fixture_open(&f, "127.0.0.1:0", false, "127.0.0.1");
  new_loop_gro = false;
  if (!open) {
    fixture_close(&f);
    return;
  }
  brtc_pc *pc = fixture_pc(&f, "gro", 1);
  uint8_t buf[1500];
  brtc_addr from;
  size_t n = make_check(buf, sizeof(buf), "gro:remote", 1); /* the pc owns the client now */
  client_send(&f.c, &f.server, buf, n);
  CHECK(pump_until_reply(f.loop, &f.c, buf, sizeof(buf), &from) >= 20);

  uint8_t burst[GRO_SEG * (GRO_N - 1) + GRO_LAST];
  for (size_t k = 0; k < sizeof(burst); k++) burst[k] = (uint8_t)(k * 7 + k / GRO_SEG);
  for (int i = 0; i < GRO_N; i++) {
    burst[i * GRO_SEG] = 0x80; /* RTP (RFC 7983), its index in byte 3 */
    burst[i * GRO_SEG + 3] = (uint8_t)i;
  }
  CHECK_EQ_INT(net_test_send_gso(f.c.fd, &f.server.u.sa, brtc_addr_len(&f.server), burst,
                                 sizeof(burst), GRO_SEG),
               (ssize_t)sizeof(burst));

  int echoes = 0, intact = 1;
  for (int i = 0; i < GRO_N; i++) {
    ssize_t got = pump_until_reply(f.loop, &f.c, buf, sizeof(buf), &from);
    size_t want = i == GRO_N - 1 ? GRO_LAST : 200;
    if (got != (ssize_t)want || memcmp(buf, burst + i * GRO_SEG, want) != 0) intact = 0;
    if (got > 0) echoes++;
  }
  CHECK_EQ_INT(echoes, GRO_N);
  CHECK(intact); /* each datagram whole, in order */
  CHECK_EQ_INT(pc->rtp, GRO_N);
  brtc_loop_stats st = {.size = sizeof(st)};
  brtc_loop_get_stats(f.loop, &st);
  CHECK_EQ_INT(st.datagrams_in, 1 + GRO_N);
  CHECK_EQ_INT(st.bytes_in, n + sizeof(burst));
  CHECK_EQ_INT(st.gro_reads, gro ? 1 : 0);
  CHECK_EQ_INT(st.gro_datagrams, gro ? GRO_N : 0);

  /* A datagram larger than the loop takes is dropped as malformed with GRO's 64 KiB buffers
   * too, as MSG_TRUNC drops it without them; the pc never sees it. */
  uint8_t big[BRTC_LOOP_MAX_DATAGRAM + 100];
  memset(big, 0x5a, sizeof(big));
  big[0] = 0x80;
  client_send(&f.c, &f.server, big, sizeof(big));
  pump_until(f.loop, &st.dropped_malformed, 1, &st);
  CHECK_EQ_INT(st.dropped_malformed, 1);
  CHECK_EQ_INT(pc->rtp, GRO_N);
  fixture_drop_pc(&f, pc);
  fixture_close(&f);
}

static void test_gro_burst(void) {
  gro_burst(true);
  gro_burst(false);
}

/* A pc's deadline fires through the timerfd; its output is flushed. No sleeping: the deadline
 * is already due, so the wait ends at once. */
static void test_timer_fires(void) {
  fixture f;
  if (!fixture_open(&f, "127.0.0.1:0", false, "127.0.0.1")) {
    fixture_close(&f);
    return;
  }
  brtc_pc *idle = fake_pc_new("idle");
  brtc_pc *pc = fake_pc_new("tick");
  CHECK_EQ_INT(brtc_loop_add_pc(f.loop, idle, NULL, NULL), BRTC_OK);
  CHECK_EQ_INT(brtc_loop_add_pc(f.loop, pc, NULL, NULL), BRTC_OK);
  CHECK_EQ_INT(brtc_loop_next_timeout_ms(f.loop), -1); /* drained when added */
  pc->deadline = brtc_now_us() + 20000; /* 20 ms */
  pc->timer_to = f.c.addr;
  pc->has_timer_to = true;
  fake_pc_touch(pc); /* called outside the loop: the next pass drains it, without waiting */
  CHECK_EQ_INT(brtc_loop_next_timeout_ms(f.loop), 0);
  CHECK_EQ_INT(brtc_loop_run_once(f.loop, -1), BRTC_OK);
  int ms = brtc_loop_next_timeout_ms(f.loop);
  CHECK(ms >= 0 && ms <= 20);
  /* The epoll fd becomes readable when the timer is due. */
  struct pollfd pfd = {.fd = brtc_loop_fd(f.loop), .events = POLLIN};
  CHECK_EQ_INT(poll(&pfd, 1, 2000), 1);
  uint8_t buf[100];
  brtc_addr from;
  ssize_t n = pump_until_reply(f.loop, &f.c, buf, sizeof(buf), &from);
  CHECK_EQ_INT(n, 24);
  CHECK_EQ_INT(pc->timeouts, 1);
  CHECK_EQ_INT(idle->timeouts, 0);
  CHECK_EQ_INT(brtc_loop_next_timeout_ms(f.loop), -1);
  /* A removed pc's timer never fires. */
  pc->deadline = brtc_now_us();
  fake_pc_touch(pc);
  CHECK_EQ_INT(brtc_loop_next_timeout_ms(f.loop), 0);
  brtc_loop_remove_pc(f.loop, pc);
  CHECK_EQ_INT(brtc_loop_next_timeout_ms(f.loop), -1);
  brtc_loop_run_once(f.loop, 0);
  CHECK_EQ_INT(pc->timeouts, 1);
  brtc_loop_remove_pc(f.loop, idle);
  fake_pc_free(pc);
  fake_pc_free(idle);
  fixture_close(&f);
}

/* Hundreds of pcs, each checked from its own client port: every reply reaches the right
 * client and the tables grow as pcs are added. */
static void test_many_pcs(void) {
  enum { PCS = 300 };
  brtc_addr server;
  brtc_loop *loop = new_loop("127.0.0.1:0", false, &server);
  CHECK(loop != NULL);
  if (!loop) return;
  static brtc_pc *pcs[PCS];
  static client clients[PCS];
  char name[32];
  for (int i = 0; i < PCS; i++) {
    snprintf(name, sizeof(name), "u%03d", i);
    pcs[i] = fake_pc_new(name);
    pcs[i]->echo_rtp = 1;
    CHECK_EQ_INT(brtc_loop_add_pc(loop, pcs[i], NULL, NULL), BRTC_OK);
    CHECK(client_open(&clients[i], "127.0.0.1"));
  }
  uint8_t buf[1500];
  for (int i = 0; i < PCS; i++) {
    snprintf(name, sizeof(name), "u%03d:r", i);
    size_t n = make_check(buf, sizeof(buf), name, (uint8_t)i);
    client_send(&clients[i], &server, buf, n);
  }
  brtc_loop_stats st = {.size = sizeof(st)};
  pump_until(loop, &st.datagrams_out, PCS, &st);
  CHECK_EQ_INT(st.datagrams_out, PCS);
  int right = 0;
  for (int i = 0; i < PCS; i++) {
    brtc_addr from;
    ssize_t n = client_recv(&clients[i], buf, sizeof(buf), &from);
    brtc_stun_msg msg;
    if (n > 0 && brtc_stun_parse(buf, (size_t)n, &msg) == BRTC_OK &&
        msg.transaction_id[0] == (uint8_t)i && pcs[i]->datagrams == 1)
      right++;
  }
  CHECK_EQ_INT(right, PCS);
  /* Media from every client goes to its own pc. */
  uint8_t rtp[100] = {0x80, 96};
  for (int i = 0; i < PCS; i++) client_send(&clients[i], &server, rtp, sizeof(rtp));
  pump_until(loop, &st.datagrams_out, 2 * PCS, &st);
  int media_right = 0;
  for (int i = 0; i < PCS; i++) media_right += pcs[i]->rtp == 1;
  CHECK_EQ_INT(media_right, PCS);
  CHECK_EQ_INT(st.dropped_unknown_source, 0);
  /* Remove half; the other half still get their media. */
  for (int i = 0; i < PCS; i += 2) brtc_loop_remove_pc(loop, pcs[i]);
  for (int i = 0; i < PCS; i++) client_send(&clients[i], &server, rtp, sizeof(rtp));
  pump_until(loop, &st.dropped_unknown_source, PCS / 2, &st);
  CHECK_EQ_INT(st.dropped_unknown_source, PCS / 2);
  pump_until(loop, &st.datagrams_out, 2 * PCS + PCS / 2, &st);
  media_right = 0;
  for (int i = 0; i < PCS; i++) media_right += pcs[i]->rtp == (i % 2 ? 2 : 1);
  CHECK_EQ_INT(media_right, PCS);
  for (int i = 0; i < PCS; i++) {
    if (i % 2) brtc_loop_remove_pc(loop, pcs[i]);
    fake_pc_free(pcs[i]);
    close(clients[i].fd);
  }
  brtc_loop_free(loop);
}

static void test_config_errors(void) {
  char err[200];
  CHECK(brtc_loop_new(NULL, err, sizeof(err)) == NULL);
  CHECK(err[0] != '\0');
  brtc_loop_config *cfg = brtc_loop_config_new();
  CHECK(cfg != NULL);
  if (!cfg) return;
  /* None: a loop for TCP, timers and watches only. */
  brtc_loop *bare = brtc_loop_new(cfg, err, sizeof(err));
  CHECK(bare != NULL);
  brtc_loop_free(bare);
  CHECK_EQ_INT(brtc_loop_config_add_udp_address(cfg, NULL), BRTC_ERR_INVALID);
  CHECK_EQ_INT(brtc_loop_config_add_udp_address(NULL, "127.0.0.1:0"), BRTC_ERR_INVALID);
  brtc_loop_config *bad = brtc_loop_config_new();
  brtc_loop_config_add_udp_address(bad, "not-an-address");
  CHECK(brtc_loop_new(bad, err, sizeof(err)) == NULL);
  CHECK(strstr(err, "not-an-address") != NULL);
  brtc_loop_config_free(bad);
  /* Two sockets, one per family when IPv6 is there; port 0 resolved on each. The config's
   * strings are copies: the caller's buffer may change at once. */
  char addr[32];
  for (int i = 0; i < 2; i++) {
    snprintf(addr, sizeof(addr), "127.0.0.1:0");
    CHECK_EQ_INT(brtc_loop_config_add_udp_address(cfg, addr), BRTC_OK);
    memset(addr, 'x', sizeof(addr) - 1);
  }
  brtc_loop *loop = brtc_loop_new(cfg, err, sizeof(err));
  CHECK(loop != NULL);
  const struct sockaddr_storage *local;
  if (loop) CHECK_EQ_INT(brtc_loop_local_addrs(loop, &local), 2);
  /* The config is not kept: freed, the loop goes on. */
  for (int i = 2; i < BRTC_LOOP_MAX_SOCKETS; i++)
    CHECK_EQ_INT(brtc_loop_config_add_udp_address(cfg, "127.0.0.1:0"), BRTC_OK);
  CHECK_EQ_INT(brtc_loop_config_add_udp_address(cfg, "127.0.0.1:0"), BRTC_ERR_LIMIT);
  brtc_loop_config_free(cfg);
  /* Stats carry their size: smaller than the first version's is refused, and a newer
   * caller's tail is left alone. */
  brtc_loop_stats st = {.size = sizeof(size_t)};
  CHECK_EQ_INT(brtc_loop_get_stats(loop, &st), BRTC_ERR_INVALID);
  CHECK_EQ_INT(brtc_loop_get_stats(NULL, &st), BRTC_ERR_INVALID);
  struct {
    brtc_loop_stats st;
    uint64_t newer;
  } big;
  memset(&big, 0xAB, sizeof(big));
  big.st.size = sizeof(big);
  CHECK_EQ_INT(brtc_loop_get_stats(loop, &big.st), BRTC_OK);
  CHECK_EQ_INT(big.st.size, sizeof(big));
  CHECK_EQ_INT(big.st.datagrams_in, 0);
  CHECK(big.newer == 0xABABABABABABABABull);
  brtc_loop_free(loop);
}

/* A wildcard bind lists the interface addresses with the bound port (loopback among them). */
static void test_wildcard_local_addrs(void) {
  brtc_addr first;
  brtc_loop *loop = new_loop("0.0.0.0:0", false, &first);
  CHECK(loop != NULL);
  if (!loop) return;
  const struct sockaddr_storage *local;
  size_t n = brtc_loop_local_addrs(loop, &local);
  CHECK(n >= 1);
  bool saw_loopback = false;
  for (size_t i = 0; i < n; i++) {
    brtc_addr a;
    memset(&a, 0, sizeof(a));
    memcpy(&a.u, &local[i], sizeof(struct sockaddr_in));
    CHECK_EQ_INT(brtc_addr_family(&a), AF_INET);
    CHECK_EQ_INT(brtc_addr_port(&a), brtc_addr_port(&first));
    CHECK(a.u.v4.sin_addr.s_addr != htonl(INADDR_ANY));
    saw_loopback |= brtc_addr_is_loopback(&a);
  }
  CHECK(saw_loopback);
  brtc_loop_free(loop);
}

/* A second session from an address the first pc owns (same port reused, or the same NAT
 * mapping): its check reaches the pc it names, which takes the address over. */
static void test_address_taken_over(void) {
  fixture f;
  if (!fixture_open(&f, "127.0.0.1:0", false, "127.0.0.1")) {
    fixture_close(&f);
    return;
  }
  brtc_pc *old_pc = fixture_pc(&f, "old1", 1), *new_pc = fixture_pc(&f, "new1", 1);
  uint8_t buf[200], rtp[100] = {0x80, 96};
  brtc_addr from;
  size_t n = make_check(buf, sizeof(buf), "old1:r", 1);
  client_send(&f.c, &f.server, buf, n);
  CHECK(pump_until_reply(f.loop, &f.c, buf, sizeof(buf), &from) > 0);
  /* A consent check naming the owner still goes to the owner. */
  n = make_check(buf, sizeof(buf), "old1:r", 2);
  client_send(&f.c, &f.server, buf, n);
  CHECK(pump_until_reply(f.loop, &f.c, buf, sizeof(buf), &from) > 0);
  CHECK_EQ_INT(old_pc->datagrams, 2);
  n = make_check(buf, sizeof(buf), "new1:r", 3);
  client_send(&f.c, &f.server, buf, n);
  ssize_t got = pump_until_reply(f.loop, &f.c, buf, sizeof(buf), &from);
  brtc_stun_msg msg;
  CHECK(got > 0 && brtc_stun_parse(buf, (size_t)got, &msg) == BRTC_OK && msg.transaction_id[0] == 3);
  CHECK_EQ_INT(new_pc->datagrams, 1);
  CHECK_EQ_INT(old_pc->datagrams, 2);
  client_send(&f.c, &f.server, rtp, sizeof(rtp));
  CHECK(pump_until_reply(f.loop, &f.c, buf, sizeof(buf), &from) > 0);
  CHECK_EQ_INT(new_pc->rtp, 1);
  CHECK_EQ_INT(old_pc->rtp, 0);
  fixture_drop_pc(&f, old_pc);
  fixture_drop_pc(&f, new_pc);
  fixture_close(&f);
}

/* The same, but the owner's consent for the address holds: the check naming the other pc is
 * dropped unanswered and counted, never reaching it, and media stays with the owner. */
static void test_address_held(void) {
  fixture f;
  if (!fixture_open(&f, "127.0.0.1:0", false, "127.0.0.1")) {
    fixture_close(&f);
    return;
  }
  brtc_pc *owner = fixture_pc(&f, "old2", 1), *other = fixture_pc(&f, "new2", 1);
  uint8_t buf[200], rtp[100] = {0x80, 96};
  brtc_addr from;
  size_t n = make_check(buf, sizeof(buf), "old2:r", 1);
  client_send(&f.c, &f.server, buf, n);
  CHECK(pump_until_reply(f.loop, &f.c, buf, sizeof(buf), &from) > 0);
  owner->consent = true;
  brtc_loop_stats st = {.size = sizeof(st)};
  for (uint8_t i = 0; i < 3; i++) {
    n = make_check(buf, sizeof(buf), "new2:r", (uint8_t)(10 + i));
    client_send(&f.c, &f.server, buf, n);
  }
  /* A check naming no pc from the held address is still just an unknown ufrag. */
  n = make_check(buf, sizeof(buf), "nobody:r", 20);
  client_send(&f.c, &f.server, buf, n);
  pump_until(f.loop, &st.dropped_unknown_ufrag, 1, &st);
  CHECK_EQ_INT(st.dropped_address_in_use, 3);
  CHECK_EQ_INT(st.dropped_unknown_ufrag, 1);
  CHECK_EQ_INT(other->datagrams, 0);
  CHECK_EQ_INT(owner->datagrams, 1);
  client_send(&f.c, &f.server, rtp, sizeof(rtp));
  CHECK(pump_until_reply(f.loop, &f.c, buf, sizeof(buf), &from) > 0);
  CHECK_EQ_INT(owner->rtp, 1);
  CHECK_EQ_INT(other->rtp, 0);
  /* Consent lapsed: the next check moves the address. */
  owner->consent = false;
  n = make_check(buf, sizeof(buf), "new2:r", 30);
  client_send(&f.c, &f.server, buf, n);
  CHECK(pump_until_reply(f.loop, &f.c, buf, sizeof(buf), &from) > 0);
  CHECK_EQ_INT(other->datagrams, 1);
  fixture_drop_pc(&f, owner);
  fixture_drop_pc(&f, other);
  fixture_close(&f);
}

/* An ICE restart gives the pc a new ufrag: after a kick the loop knows it by the new one only. */
static void test_ufrag_change(void) {
  fixture f;
  if (!fixture_open(&f, "127.0.0.1:0", false, "127.0.0.1")) {
    fixture_close(&f);
    return;
  }
  brtc_pc *pc = fixture_pc(&f, "before", 0);
  strcpy(pc->ufrag, "after");
  fake_pc_touch(pc);
  uint8_t buf[200];
  size_t n = make_check(buf, sizeof(buf), "before:r", 1);
  client_send(&f.c, &f.server, buf, n);
  brtc_loop_stats st = {.size = sizeof(st)};
  pump_until(f.loop, &st.dropped_unknown_ufrag, 1, &st);
  CHECK_EQ_INT(st.dropped_unknown_ufrag, 1);
  n = make_check(buf, sizeof(buf), "after:r", 2);
  client_send(&f.c, &f.server, buf, n);
  brtc_addr from;
  CHECK(pump_until_reply(f.loop, &f.c, buf, sizeof(buf), &from) > 0);
  CHECK_EQ_INT(pc->datagrams, 1);
  fixture_drop_pc(&f, pc);
  fixture_close(&f);
}

/* On a wildcard socket, replies leave from the local address the peer sent to, not the one
 * routing would pick: a client on 127.0.0.1 talks to 127.0.0.2 and must hear back from
 * 127.0.0.2 (the kernel alone would answer from 127.0.0.1). Checks and media alike. */
static void test_wildcard_reply_source(void) {
  fixture f;
  if (!fixture_open(&f, "0.0.0.0:0", true, "127.0.0.1")) {
    fixture_close(&f);
    return;
  }
  uint16_t port = brtc_addr_port(&f.server);
  brtc_addr server2, server1;
  brtc_addr_from_ip(&server2, "127.0.0.2", port);
  brtc_addr_from_ip(&server1, "127.0.0.1", port);
  brtc_pc *pc = fixture_pc(&f, "src", 1);
  uint8_t buf[200];
  size_t n = make_check(buf, sizeof(buf), "src:r", 1);
  client_send(&f.c, &server2, buf, n);
  brtc_addr from;
  CHECK(pump_until_reply(f.loop, &f.c, buf, sizeof(buf), &from) > 0);
  char text[BRTC_ADDR_STRLEN];
  if (!brtc_addr_equal(&from, &server2))
    fprintf(stderr, "check answered from %s\n", brtc_addr_str(&from, text, sizeof(text)));
  CHECK(brtc_addr_equal(&from, &server2));
  uint8_t rtp[100] = {0x80, 96};
  client_send(&f.c, &server2, rtp, sizeof(rtp));
  CHECK(pump_until_reply(f.loop, &f.c, buf, sizeof(buf), &from) > 0);
  CHECK(brtc_addr_equal(&from, &server2));
  CHECK_EQ_INT(pc->rtp, 1);
  /* The same peer now sending to 127.0.0.1 is answered from there. */
  client_send(&f.c, &server1, rtp, sizeof(rtp));
  CHECK(pump_until_reply(f.loop, &f.c, buf, sizeof(buf), &from) > 0);
  CHECK(brtc_addr_equal(&from, &server1));
  fixture_drop_pc(&f, pc);
  fixture_close(&f);
}

/* A flood the loop does not read in time: the kernel drops what the socket's receive buffer
 * cannot hold, and the stats count those too, so every datagram sent is accounted for. */
static void test_socket_full_counted(void) {
  fixture f;
  if (!fixture_open(&f, "127.0.0.1:0", true, "127.0.0.1")) goto out;
  uint8_t junk[64];
  memset(junk, 0xc5, sizeof(junk)); /* no RFC 7983 class: malformed, once read */
  brtc_loop_stats st = {.size = sizeof(st)};
  brtc_loop_get_stats(f.loop, &st);
  CHECK_EQ_INT(st.dropped_socket_full, 0);
  uint64_t sent = 0;
  while (sent < 400000 && st.dropped_socket_full == 0) {
    for (int i = 0; i < 1000; i++)
      if (sendto(f.c.fd, junk, sizeof(junk), 0, &f.server.u.sa, brtc_addr_len(&f.server)) ==
          (ssize_t)sizeof(junk))
        sent++;
    brtc_loop_get_stats(f.loop, &st);
  }
  CHECK(st.dropped_socket_full > 0);
  for (int i = 0; i < 5000 && st.datagrams_in + st.dropped_socket_full < sent; i++) {
    brtc_loop_run_once(f.loop, 10);
    brtc_loop_get_stats(f.loop, &st);
  }
  fprintf(stderr, "  %llu sent, %llu read, %llu dropped by the kernel\n", (unsigned long long)sent,
          (unsigned long long)st.datagrams_in, (unsigned long long)st.dropped_socket_full);
  CHECK_EQ_INT(st.datagrams_in + st.dropped_socket_full, sent);
  CHECK_EQ_INT(st.dropped_malformed, st.datagrams_in);
out:
  fixture_close(&f);
}

static uint64_t ms_since(uint64_t t0_us) { return (brtc_now_us() - t0_us) / 1000; }

/* batch_hold_us: after a pass that read several datagrams, the next waits until the hold has
 * passed since that pass began; after a sparse one, or while a socket is behind (a pass read
 * RECV_ROUNDS full batches), it does not wait. The hold is 300 ms, so that the waits and
 * non-waits are told apart by a wide margin on a busy machine. */
static void test_batch_hold(void) {
  brtc_loop_config *cfg = brtc_loop_config_new();
  brtc_loop_config_add_udp_address(cfg, "127.0.0.1:0");
  brtc_loop_config_set_loopback_only(cfg, true);
  brtc_loop_config_set_batch_hold(cfg, 300000);
  brtc_loop *loop = brtc_loop_new(cfg, NULL, 0);
  brtc_loop_config_free(cfg);
  CHECK(loop != NULL);
  client c = {.fd = -1};
  if (!loop || !client_open(&c, "127.0.0.1")) goto out;
  const struct sockaddr_storage *local;
  CHECK(brtc_loop_local_addrs(loop, &local) >= 1);
  brtc_addr server;
  memset(&server, 0, sizeof(server));
  memcpy(&server.u, &local[0], sizeof(struct sockaddr_in));
  uint8_t junk[64];
  memset(junk, 0xc5, sizeof(junk)); /* read and counted as malformed */
  brtc_loop_stats st = {.size = sizeof(st)};

  /* Sparse: one datagram a pass, passes further apart than an eighth of the hold: never
   * held. */
  for (int i = 0; i < 3; i++) {
    usleep(60000);
    client_send(&c, &server, junk, sizeof(junk));
    uint64_t t0 = brtc_now_us();
    CHECK_EQ_INT(brtc_loop_run_once(loop, 2000), BRTC_OK);
    CHECK(ms_since(t0) < 150);
  }
  brtc_loop_get_stats(loop, &st);
  CHECK_EQ_INT(st.datagrams_in, 3);

  /* Dense: a pass reads 10, so the next one starts no sooner than 300 ms after it, and
   * reads what came meanwhile in one go. */
  for (int i = 0; i < 10; i++) client_send(&c, &server, junk, sizeof(junk));
  uint64_t t0 = brtc_now_us();
  CHECK_EQ_INT(brtc_loop_run_once(loop, 2000), BRTC_OK);
  brtc_loop_get_stats(loop, &st);
  CHECK_EQ_INT(st.datagrams_in, 13);
  for (int i = 0; i < 5; i++) client_send(&c, &server, junk, sizeof(junk));
  CHECK_EQ_INT(brtc_loop_run_once(loop, 2000), BRTC_OK);
  CHECK(ms_since(t0) >= 290);
  brtc_loop_get_stats(loop, &st);
  CHECK_EQ_INT(st.datagrams_in, 18);

  /* The caller's timeout still bounds a held call: dense again (10 in a pass), then a
   * 50 ms timeout with nothing to read returns long before the 300 ms hold is over. */
  for (int i = 0; i < 10; i++) client_send(&c, &server, junk, sizeof(junk));
  CHECK_EQ_INT(brtc_loop_run_once(loop, 2000), BRTC_OK);
  t0 = brtc_now_us();
  CHECK_EQ_INT(brtc_loop_run_once(loop, 50), BRTC_OK);
  CHECK(ms_since(t0) < 200);
  brtc_loop_get_stats(loop, &st);
  CHECK_EQ_INT(st.datagrams_in, 28);

  /* A zero timeout (an embedding poll loop) is never held. */
  client_send(&c, &server, junk, sizeof(junk));
  t0 = brtc_now_us();
  CHECK_EQ_INT(brtc_loop_run_once(loop, 0), BRTC_OK);
  CHECK(ms_since(t0) < 150);

  /* Behind: 600 datagrams, more than one pass reads (8 x 32); the pass after one that left
   * some is not held, however dense. */
  int sent = 0;
  for (int i = 0; i < 600; i++)
    if (sendto(c.fd, junk, sizeof(junk), 0, &server.u.sa, brtc_addr_len(&server)) ==
        (ssize_t)sizeof(junk))
      sent++;
  brtc_loop_get_stats(loop, &st);
  uint64_t before = st.datagrams_in;
  CHECK_EQ_INT(brtc_loop_run_once(loop, 2000), BRTC_OK);
  brtc_loop_get_stats(loop, &st);
  CHECK_EQ_INT(st.datagrams_in - before, BRTC_LOOP_BATCH * 8);
  t0 = brtc_now_us();
  CHECK_EQ_INT(brtc_loop_run_once(loop, 2000), BRTC_OK);
  CHECK(ms_since(t0) < 150);
  brtc_loop_get_stats(loop, &st);
  CHECK_EQ_INT(st.datagrams_in - before, BRTC_LOOP_BATCH * 16);
  CHECK_EQ_INT(st.dropped_socket_full, 0);
  CHECK_EQ_INT(sent, 600);
out:
  if (c.fd >= 0) close(c.fd);
  brtc_loop_free(loop);
}

/* loopback_only drops a non-loopback source before anything else; needs a non-loopback
 * IPv4 address on this machine to send from. */
static void test_loopback_only(void) {
  char ip[INET_ADDRSTRLEN] = "";
  struct ifaddrs *list = NULL;
  if (getifaddrs(&list) == 0) {
    for (struct ifaddrs *ifa = list; ifa && !ip[0]; ifa = ifa->ifa_next) {
      if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != AF_INET) continue;
      if ((ifa->ifa_flags & IFF_LOOPBACK) || !(ifa->ifa_flags & IFF_UP)) continue;
      inet_ntop(AF_INET, &((struct sockaddr_in *)ifa->ifa_addr)->sin_addr, ip, sizeof(ip));
    }
    freeifaddrs(list);
  }
  if (!ip[0]) {
    fprintf(stderr, "skip: no non-loopback IPv4 address to send from\n");
    return;
  }
  brtc_addr any;
  brtc_loop *loop = new_loop("0.0.0.0:0", true, &any);
  CHECK(loop != NULL);
  if (!loop) return;
  brtc_addr server;
  brtc_addr_from_ip(&server, ip, brtc_addr_port(&any));
  client c;
  CHECK(client_open(&c, ip));
  brtc_pc *pc = fake_pc_new("lo");
  CHECK_EQ_INT(brtc_loop_add_pc(loop, pc, NULL, NULL), BRTC_OK);
  uint8_t buf[200];
  size_t n = make_check(buf, sizeof(buf), "lo:r", 1);
  client_send(&c, &server, buf, n);
  brtc_loop_stats st = {.size = sizeof(st)};
  pump_until(loop, &st.dropped_not_loopback, 1, &st);
  CHECK_EQ_INT(st.dropped_not_loopback, 1);
  CHECK_EQ_INT(pc->datagrams, 0);
  /* The same check from loopback is answered. */
  client lo;
  CHECK(client_open(&lo, "127.0.0.1"));
  brtc_addr server_lo;
  brtc_addr_from_ip(&server_lo, "127.0.0.1", brtc_addr_port(&any));
  client_send(&lo, &server_lo, buf, n);
  brtc_addr from;
  CHECK(pump_until_reply(loop, &lo, buf, sizeof(buf), &from) > 0);
  CHECK_EQ_INT(pc->datagrams, 1);
  brtc_loop_remove_pc(loop, pc);
  fake_pc_free(pc);
  close(c.fd);
  close(lo.fd);
  brtc_loop_free(loop);
}

/* The event callback is a safe point: a pc removed and freed there is gone at once, with
 * what it had to send before the event sent, and the loop touches it no more. */
typedef struct freeing_owner {
  int events;
  bool freed;
} freeing_owner;

static void free_on_event(brtc_loop *loop, brtc_pc *pc, const brtc_output *ev, void *user) {
  freeing_owner *o = user;
  o->events++;
  CHECK_EQ_INT(ev->event, BRTC_EVENT_LOG);
  CHECK(!o->freed);
  brtc_loop_remove_pc(loop, pc);
  fake_pc_free(pc);
  o->freed = true;
}

static void test_free_inside_callback(void) {
  fixture f;
  if (!fixture_open(&f, "127.0.0.1:0", false, "127.0.0.1")) {
    fixture_close(&f);
    return;
  }
  brtc_pc *pc = fake_pc_new("doomed");
  freeing_owner o = {0};
  CHECK_EQ_INT(brtc_loop_add_pc(f.loop, pc, free_on_event, &o), BRTC_OK);
  CHECK_EQ_INT(o.events, 0); /* nothing to tell yet */
  uint8_t d[50] = {0x80, 96, 0, 7};
  fake_pc_queue(pc, d, sizeof(d), &f.c.addr);
  pc->events = 3; /* the first frees it: the other two are never asked for */
  pc->deadline = brtc_now_us() + 1000000;
  fake_pc_touch(pc); /* a call from outside the loop: no kick, the next pass drains it */
  CHECK_EQ_INT(brtc_loop_next_timeout_ms(f.loop), 0);
  uint8_t buf[100];
  brtc_addr from;
  CHECK_EQ_INT(pump_until_reply(f.loop, &f.c, buf, sizeof(buf), &from), 50);
  CHECK_EQ_INT(buf[3], 7);
  CHECK_EQ_INT(o.events, 1);
  CHECK(o.freed);
  /* Its timer went with it, and nothing is left to drain. */
  CHECK_EQ_INT(brtc_loop_next_timeout_ms(f.loop), -1);
  CHECK_EQ_INT(brtc_loop_run_once(f.loop, 0), BRTC_OK);
  CHECK_EQ_INT(o.events, 1);
  fixture_close(&f);
}

/* brtc_loop_remove_pc sends what the pc still had to send (a close's BYE and close_notify)
 * and drops its events. */
static void test_remove_sends_the_rest(void) {
  fixture f;
  if (!fixture_open(&f, "127.0.0.1:0", false, "127.0.0.1")) {
    fixture_close(&f);
    return;
  }
  freeing_owner o = {0};
  brtc_pc *pc = fake_pc_new("leaving");
  CHECK_EQ_INT(brtc_loop_add_pc(f.loop, pc, free_on_event, &o), BRTC_OK);
  uint8_t d[60] = {0x80, 96, 0, 9};
  fake_pc_queue(pc, d, sizeof(d), &f.c.addr);
  pc->events = 2;
  brtc_loop_remove_pc(f.loop, pc); /* no pass in between */
  CHECK_EQ_INT(pc->out_count, 0);
  CHECK_EQ_INT(pc->events, 0);
  CHECK_EQ_INT(o.events, 0);
  uint8_t buf[100];
  ssize_t n = recv(f.c.fd, buf, sizeof(buf), MSG_DONTWAIT); /* loopback: already there */
  CHECK_EQ_INT(n, 60);
  fake_pc_free(pc);
  fixture_close(&f);
}

int main(void) {
  RUN(test_free_inside_callback);
  RUN(test_remove_sends_the_rest);
  RUN(test_ipv4);
  RUN(test_ipv6);
  RUN(test_send_batches);
  RUN(test_gro_burst);
  RUN(test_timer_fires);
  RUN(test_many_pcs);
  RUN(test_config_errors);
  RUN(test_wildcard_local_addrs);
  RUN(test_address_taken_over);
  RUN(test_address_held);
  RUN(test_ufrag_change);
  RUN(test_wildcard_reply_source);
  RUN(test_loopback_only);
  RUN(test_socket_full_counted);
  RUN(test_batch_hold);
  return TEST_REPORT();
}
