/* Who may take a peer address over, with real peer connections on one brtc_loop and simulated
 * browsers on loopback UDP:
 *  - hijack: an attacker's session, whose valid checks (its own ufrag and password) are sent
 *    every 20 ms from the victim's address, gets nothing: the victim's media keeps flowing at
 *    its full rate, the attacker's pc never sees a check (so never nominates the victim's
 *    address nor starts DTLS toward it), and the refusals are counted;
 *  - a NAT rebinding (the same session's checks from a new port) moves the session;
 *  - a new session takes the address of a session that was closed, or whose consent lapsed
 *    (a 400 ms consent window instead of RFC 7675's 30 s).
 * The spoofed checks go out through a raw IPv4 socket that writes its own UDP header with the
 * victim's source port, as an off-path attacker's would: the victim keeps its socket, and
 * whatever the server answers reaches the victim, not the attacker. That needs CAP_NET_RAW
 * (root, as CI runs); without it the hijack case is skipped and says so. Waits are bounded. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "boltrtc/loop.h"
#include "boltrtc/peer_connection.h"
#include "common/addr.h"
#include "common/bytes.h"
#include "net_browser.h"
#include "net_test_util.h"
#include "stun/stun.h"
#include "testing.h"

#define SPOOF_INTERVAL_US 20000
#define ATTACK_ROUNDS 150 /* 3 s of checks every 20 ms, and of audio every 20 ms */

typedef struct session {
  brtc_pc *pc;
  bool reached[BRTC_STEP_FAILED + 1]; /* the steps this test knows */
  net_browser b;
  bool stepping; /* its browser is pumped */
} session;

typedef struct world {
  brtc_loop *loop;
  brtc_certificate *cert;
  const struct sockaddr_storage *local;
  size_t n_local;
  brtc_addr server; /* the loop's UDP address */
} world;

static void on_event(brtc_loop *loop, brtc_pc *pc, const brtc_output *ev, void *user) {
  (void)loop, (void)pc;
  session *s = user;
  if (ev->event == BRTC_EVENT_STEP && ev->step <= BRTC_STEP_FAILED) s->reached[ev->step] = true;
}

static bool world_open(world *w) {
  memset(w, 0, sizeof(*w));
  w->loop = net_test_loop("127.0.0.1:0", true);
  w->cert = brtc_certificate_generate();
  if (!w->loop || !w->cert) return false;
  w->n_local = brtc_loop_local_addrs(w->loop, &w->local);
  memset(&w->server, 0, sizeof(w->server));
  memcpy(&w->server.u.v4, &w->local[0], sizeof(w->server.u.v4));
  return w->n_local == 1;
}

static void world_close(world *w) {
  brtc_loop_free(w->loop);
  brtc_certificate_free(w->cert);
}

/* A pc and its browser on socket fd (not owned), signaled by hand and registered. */
static bool session_open(world *w, session *s, int fd, const brtc_addr *fd_addr,
                         uint64_t consent_us, uint64_t check_interval_us) {
  memset(s, 0, sizeof(*s));
  brtc_pc_config *pcc = brtc_pc_config_new();
  brtc_pc_config_set_certificate(pcc, w->cert);
  brtc_loop_config_pc(w->loop, pcc);
  brtc_pc_config_set_consent_timeout(pcc, consent_us);
  sim_peer_opts so = {.check_interval_us = check_interval_us, .no_video = true};
  brtc_pc_new(pcc, &s->pc, NULL, 0);
  brtc_pc_config_free(pcc);
  s->b.sim = sim_peer_new(&so);
  s->b.fd = fd;
  if (fd_addr) s->b.addr = *fd_addr;
  s->stepping = true;
  if (!s->pc || !s->b.sim) return false;
  char err[256] = "";
  const char *answer = NULL;
  if (brtc_pc_set_remote_description(s->pc, "offer", sim_peer_offer(s->b.sim), brtc_now_us(), err,
                                     sizeof(err)) != BRTC_OK ||
      brtc_pc_create_answer(s->pc, &answer, err, sizeof(err)) != BRTC_OK ||
      sim_peer_set_answer(s->b.sim, answer, err, sizeof(err)) != BRTC_OK) {
    fprintf(stderr, "signaling: %s\n", err);
    return false;
  }
  return brtc_loop_add_pc(w->loop, s->pc, on_event, s) == BRTC_OK;
}

static void session_free(world *w, session *s) {
  if (s->pc) brtc_loop_remove_pc(w->loop, s->pc);
  brtc_pc_free(s->pc);
  sim_peer_free(s->b.sim);
  memset(s, 0, sizeof(*s));
}

/* One round: each stepping browser, the loop (waiting at most wait_ms), each browser again. */
static void pump(world *w, session **ss, size_t n, int wait_ms) {
  for (size_t i = 0; i < n; i++)
    if (ss[i]->stepping) net_browser_step(&ss[i]->b);
  brtc_loop_run_once(w->loop, wait_ms);
  for (size_t i = 0; i < n; i++)
    if (ss[i]->stepping) net_browser_step(&ss[i]->b);
}

/* Pump until s has SRTP both ways, at most 300 rounds of 10 ms. */
static bool connect_session(world *w, session **ss, size_t n, session *s) {
  for (int i = 0; i < 300; i++) {
    if (s->reached[BRTC_STEP_SRTP_READY] && sim_peer_media_ready(s->b.sim)) return true;
    pump(w, ss, n, 10);
  }
  return false;
}

static uint64_t audio_in(const session *s) {
  brtc_pc_stats st = {.size = sizeof(brtc_pc_stats)};
  brtc_pc_get_stats(s->pc, &st);
  return st.rtp_audio;
}

/* Send `count` audio packets from s, one every 20 ms, pumping between them; how many the
 * server's pc took in. */
static uint64_t send_audio(world *w, session **ss, size_t n, session *s, int count) {
  static const uint8_t opus[40] = {0x78};
  uint64_t before = audio_in(s);
  for (int i = 0; i < count; i++) {
    sim_peer_send_audio(s->b.sim, opus, sizeof(opus), (uint32_t)i * 960u);
    uint64_t until = brtc_now_us() + 20000;
    while (brtc_now_us() < until) pump(w, ss, n, 2);
  }
  for (int i = 0; i < 10; i++) pump(w, ss, n, 2);
  return audio_in(s) - before;
}

static const char *selected(const session *s, char *buf, size_t cap) {
  brtc_pc_stats st = {.size = sizeof(brtc_pc_stats)};
  brtc_pc_get_stats(s->pc, &st);
  snprintf(buf, cap, "%s", st.selected_remote);
  return buf;
}

static bool selected_is(const session *s, const brtc_addr *a) {
  char got[64], want[BRTC_ADDR_STRLEN];
  return strcmp(selected(s, got, sizeof(got)), brtc_addr_str(a, want, sizeof(want))) == 0;
}

static uint64_t refused(const world *w) {
  brtc_loop_stats st = {.size = sizeof(st)};
  brtc_loop_get_stats(w->loop, &st);
  return st.dropped_address_in_use;
}

/* "a=<name>:<value>" of an SDP, value up to the line's end. */
static bool sdp_attr(const char *sdp, const char *name, char *out, size_t cap) {
  char key[32];
  snprintf(key, sizeof(key), "a=%s:", name);
  const char *p = strstr(sdp, key);
  if (!p) return false;
  p += strlen(key);
  size_t n = strcspn(p, "\r\n");
  if (n >= cap) return false;
  memcpy(out, p, n);
  out[n] = '\0';
  return true;
}

/* A valid nominating check for a session (RFC 8445 7.2.2): its USERNAME and password. */
static size_t make_check(uint8_t *out, size_t cap, const char *username, const char *pwd,
                         uint32_t n) {
  uint8_t tid[12] = {0xa7, 0x7a};
  brtc_wr32(tid + 8, n);
  brtc_stun_writer w;
  brtc_stun_writer_init(&w, out, cap, BRTC_STUN_BINDING_REQUEST, tid);
  brtc_stun_add_bytes(&w, BRTC_STUN_ATTR_USERNAME, username, strlen(username));
  brtc_stun_add_u32(&w, BRTC_STUN_ATTR_PRIORITY, 0x6e7fffffu);
  brtc_stun_add_u64(&w, BRTC_STUN_ATTR_ICE_CONTROLLING, 0x1122334455667788ull);
  brtc_stun_add_flag(&w, BRTC_STUN_ATTR_USE_CANDIDATE);
  size_t len = 0;
  return brtc_stun_finish(&w, (const uint8_t *)pwd, strlen(pwd), true, &len) == BRTC_OK ? len : 0;
}

/* A UDP datagram from `from` (port included) to `to`, through a raw IPv4 socket that writes
 * the UDP header itself; the kernel adds the IP header with 127.0.0.1 as source. The UDP
 * checksum is 0: "none", which IPv4 allows (RFC 768). */
static bool send_spoofed(int raw, const brtc_addr *from, const brtc_addr *to, const uint8_t *data,
                         size_t len) {
  uint8_t pkt[1500];
  if (len + 8 > sizeof(pkt)) return false;
  brtc_wr16(pkt, brtc_addr_port(from));
  brtc_wr16(pkt + 2, brtc_addr_port(to));
  brtc_wr16(pkt + 4, (uint16_t)(len + 8));
  brtc_wr16(pkt + 6, 0);
  memcpy(pkt + 8, data, len);
  struct sockaddr_in dst = to->u.v4;
  dst.sin_port = 0;
  return sendto(raw, pkt, len + 8, 0, (struct sockaddr *)&dst, sizeof(dst)) == (ssize_t)(len + 8);
}

static void test_hijack_refused(void) {
  int raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_UDP);
  if (raw < 0) {
    fprintf(stderr, "skip: no raw socket to spoof a source address with (%s; needs CAP_NET_RAW)\n",
            strerror(errno));
    return;
  }
  world w;
  session victim, attacker;
  memset(&victim, 0, sizeof(victim));
  memset(&attacker, 0, sizeof(attacker));
  session *all[] = {&victim, &attacker};
  brtc_addr victim_addr;
  int fd = net_browser_socket("127.0.0.1", &victim_addr);
  CHECK(world_open(&w) && fd >= 0);
  if (!w.loop || fd < 0) goto out;
  CHECK(session_open(&w, &victim, fd, &victim_addr, 0, 0));
  CHECK(connect_session(&w, all, 1, &victim));
  CHECK(selected_is(&victim, &victim_addr));

  /* The attacker's own session: signaled like any (no credentials needed), never connected
   * from an address of its own. Its checks are valid: its ufrag and its password. */
  CHECK(session_open(&w, &attacker, -1, NULL, 0, 0));
  attacker.stepping = false;
  char peer_ufrag[64] = "", pwd[128] = "", username[160];
  const char *answer = NULL;
  char err[64];
  CHECK(brtc_pc_create_answer(attacker.pc, &answer, err, sizeof(err)) == BRTC_OK);
  CHECK(answer && sdp_attr(answer, "ice-pwd", pwd, sizeof(pwd)));
  CHECK(sdp_attr(sim_peer_offer(attacker.b.sim), "ice-ufrag", peer_ufrag, sizeof(peer_ufrag)));
  snprintf(username, sizeof(username), "%s:%s", brtc_pc_local_ufrag(attacker.pc), peer_ufrag);

  /* Every 20 ms for 3 s: the victim sends an audio packet, the attacker a spoofed check. */
  static const uint8_t opus[40] = {0x78};
  uint64_t before = audio_in(&victim);
  int spoofed = 0;
  for (int i = 0; i < ATTACK_ROUNDS; i++) {
    sim_peer_send_audio(victim.b.sim, opus, sizeof(opus), (uint32_t)i * 960u);
    uint8_t check[256];
    size_t n = make_check(check, sizeof(check), username, pwd, (uint32_t)i);
    if (n && send_spoofed(raw, &victim_addr, &w.server, check, n)) spoofed++;
    uint64_t until = brtc_now_us() + SPOOF_INTERVAL_US;
    while (brtc_now_us() < until) pump(&w, all, 2, 2);
  }
  for (int i = 0; i < 10; i++) pump(&w, all, 2, 2);
  uint64_t delivered = audio_in(&victim) - before;
  CHECK_EQ_INT(spoofed, ATTACK_ROUNDS);
  /* The victim's media flows at its full rate: every packet (loopback loses none). */
  fprintf(stderr, "victim: %llu of %d audio packets delivered during the attack\n",
          (unsigned long long)delivered, ATTACK_ROUNDS);
  CHECK(delivered >= ATTACK_ROUNDS * 95 / 100);
  CHECK(selected_is(&victim, &victim_addr));
  CHECK(!victim.reached[BRTC_STEP_FAILED] && !victim.reached[BRTC_STEP_CLOSED]);
  /* The attacker's pc never saw a check: nothing nominated, nothing sent (no answer to the
   * victim's address, no DTLS toward it). */
  brtc_pc_stats as = {.size = sizeof(brtc_pc_stats)};
  brtc_pc_get_stats(attacker.pc, &as);
  CHECK(!attacker.reached[BRTC_STEP_ICE_CHECK]);
  CHECK(!attacker.reached[BRTC_STEP_ICE_CONNECTED]);
  CHECK_EQ_INT(as.packets_in, 0);
  CHECK_EQ_INT(as.packets_out, 0);
  CHECK_STR(as.selected_remote, "");
  /* Every spoofed check refused and counted. */
  CHECK_EQ_INT(refused(&w), ATTACK_ROUNDS);

out:
  session_free(&w, &attacker);
  session_free(&w, &victim);
  if (fd >= 0) close(fd);
  close(raw);
  world_close(&w);
}

/* The same session from a new port (a NAT rebinding, RFC 8445 7.3): its next check moves it,
 * and its media follows from there. */
static void test_nat_rebinding_moves(void) {
  world w;
  session s;
  memset(&s, 0, sizeof(s));
  session *all[] = {&s};
  brtc_addr a1, a2;
  int fd1 = net_browser_socket("127.0.0.1", &a1), fd2 = net_browser_socket("127.0.0.1", &a2);
  CHECK(world_open(&w) && fd1 >= 0 && fd2 >= 0);
  if (!w.loop || fd1 < 0 || fd2 < 0) goto out;
  CHECK(session_open(&w, &s, fd1, &a1, 0, 50000)); /* a check every 50 ms once connected */
  CHECK(connect_session(&w, all, 1, &s));
  CHECK(selected_is(&s, &a1));
  s.b.fd = fd2;
  s.b.addr = a2;
  for (int i = 0; i < 100 && !selected_is(&s, &a2); i++) pump(&w, all, 1, 10);
  CHECK(selected_is(&s, &a2));
  CHECK(send_audio(&w, all, 1, &s, 25) >= 24);
  CHECK(!s.reached[BRTC_STEP_FAILED]);
  CHECK_EQ_INT(refused(&w), 0);
out:
  session_free(&w, &s);
  if (fd1 >= 0) close(fd1);
  if (fd2 >= 0) close(fd2);
  world_close(&w);
}

/* A session closed (still registered, as between a close and the server's reaping): a new
 * session from its address takes the address at once. */
/* A world with an old session connected from socket *fd (address *a), and a fresh session
 * zeroed for the test to open on the same socket. */
static bool open_old_session(world *w, session *old, session *fresh, int *fd, brtc_addr *a,
                             uint64_t consent_us, uint64_t check_interval_us) {
  memset(old, 0, sizeof(*old));
  memset(fresh, 0, sizeof(*fresh));
  *fd = net_browser_socket("127.0.0.1", a);
  bool ok = world_open(w) && *fd >= 0;
  CHECK(ok);
  if (!ok) return false;
  session *all[] = {old};
  CHECK(session_open(w, old, *fd, a, consent_us, check_interval_us));
  ok = connect_session(w, all, 1, old);
  CHECK(ok);
  return ok;
}

static void close_sessions(world *w, session *old, session *fresh, int fd) {
  session_free(w, fresh);
  session_free(w, old);
  if (fd >= 0) close(fd);
  world_close(w);
}

static void test_closed_session_gives_way(void) {
  world w;
  session old, fresh;
  session *all[] = {&old, &fresh};
  brtc_addr a;
  int fd = -1;
  if (open_old_session(&w, &old, &fresh, &fd, &a, 0, 0)) {
    brtc_pc_close(old.pc, brtc_now_us());
    old.stepping = false;
    CHECK(session_open(&w, &fresh, fd, &a, 0, 0));
    CHECK(connect_session(&w, all, 2, &fresh));
    CHECK(selected_is(&fresh, &a));
    CHECK(send_audio(&w, all, 2, &fresh, 25) >= 24);
    CHECK_EQ_INT(refused(&w), 0);
  }
  close_sessions(&w, &old, &fresh, fd);
}

/* A session whose browser went silent: while its consent holds (a 400 ms window here) a new
 * session's checks from its address are refused; once it lapsed, the new session takes the
 * address, and the old one has failed on its lost consent. */
static void test_lapsed_consent_gives_way(void) {
  world w;
  session old, fresh;
  session *all[] = {&old, &fresh};
  brtc_addr a;
  int fd = -1;
  if (open_old_session(&w, &old, &fresh, &fd, &a, 400000, 100000)) {
    old.stepping = false; /* silent from now on */
    uint64_t silent_at = brtc_now_us();
    CHECK(session_open(&w, &fresh, fd, &a, 0, 0));
    CHECK(connect_session(&w, all, 2, &fresh));
    uint64_t took_ms = (brtc_now_us() - silent_at) / 1000;
    fprintf(stderr, "the new session took the address %llu ms after the old one went silent\n",
            (unsigned long long)took_ms);
    CHECK(took_ms >= 300); /* not before the old session's consent lapsed */
    CHECK(refused(&w) >= 1);
    CHECK(old.reached[BRTC_STEP_FAILED]);
    CHECK(selected_is(&fresh, &a));
    CHECK(send_audio(&w, all, 2, &fresh, 25) >= 24);
  }
  close_sessions(&w, &old, &fresh, fd);
}

int main(void) {
  RUN(test_hijack_refused);
  RUN(test_nat_rebinding_moves);
  RUN(test_closed_session_gives_way);
  RUN(test_lapsed_consent_gives_way);
  return TEST_REPORT();
}
