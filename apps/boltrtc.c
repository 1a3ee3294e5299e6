/* boltrtc: the WebRTC media server program. `boltrtc serve` receives camera video from
 * browsers (WebSocket signaling) and WHIP clients on one UDP port and saves keyframes as
 * JPEG. This file only parses options, makes the certificate, loop and server, and waits
 * for SIGINT/SIGTERM; the server itself is src/signal. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "boltrtc/boltrtc.h"
#include "cli.h"
#include "signal/server.h"
#include "camera_cmd.h"
#include "publish_cmd.h"
#include "turn_cmd.h"

#define EXIT_USAGE 2
#define DEFAULT_UDP "127.0.0.1:50000"
/* Interrupt moderation (brtc_loop_config_set_batch_hold) is off by default: it halves the
 * loop's CPU per packet under 100 to 200 publishers, but on the loaded 2-core VM where it was
 * measured, runs with it lost datagrams in the kernel (receive buffer full) and runs without
 * it did not, for reasons not yet found (docs/benchmarks.md). */
#define DEFAULT_BATCH_HOLD_US 0
/* UDP GRO on the media sockets (brtc_loop_config_set_gro): on, since it cut the CPU per packet
 * by a quarter to a third under GSO senders and costs nothing measurable under plain ones
 * (docs/benchmarks.md, issue 6); the library leaves it off (2 MiB of buffers per loop). */
#define DEFAULT_UDP_GRO true

static void print_usage(FILE *out) {
  fprintf(out,
          "boltrtc %s: a WebRTC media server in C\n"
          "\n"
          "Usage:\n"
          "  boltrtc serve [options]   serve the page, WebSocket signaling and WHIP; save keyframes\n"
          "  boltrtc turn [options]    a STUN and TURN server (boltrtc turn --help)\n"
          "  boltrtc publish URL [options]\n"
          "                            publish a file, the test pattern or a camera to a WHIP\n"
          "                            server (boltrtc publish --help)\n"
          "  boltrtc camera [options]  a remote camera: its viewer page, video out, a control\n"
          "                            channel back (boltrtc camera --help)\n"
          "  boltrtc --help            this help (boltrtc serve --help for the options)\n"
          "  boltrtc --version         the version\n",
          brtc_version());
}

static void print_serve_usage(FILE *out) {
  fprintf(out,
          "Usage: boltrtc serve [options]\n"
          "\n"
          "Serves the page at http://ADDR:PORT/, WebSocket signaling at /ws, WHIP at /whip,\n"
          "the status at /api/status, and saved keyframes at /output/shoot<N>.jpg.\n"
          "\n"
          "Options:\n"
          "  --http ADDR:PORT       HTTP and WebSocket address (default %s; port 0 picks one)\n"
          "  --udp ADDR:PORT        UDP address for all media, repeatable, e.g. also [::1]:50000\n"
          "                         (default %s; at most %d)\n"
          "  --output DIR           where keyframes are saved as shoot<N>.jpg (default %s)\n"
          "  --web DIR              the page's folder (default %s)\n"
          "  --max-sessions N       live sessions at most (default %d)\n"
          "  --max-pending N        sessions not yet past ICE (no authenticated check) at most\n"
          "                         (default %d)\n"
          "  --max-pending-per-source N\n"
          "                         of them from one signaling client IP (IPv6: one /64)\n"
          "                         (default %d)\n"
          "  --pending-timeout-ms MS  a session's first ICE check must come this soon after\n"
          "                         the answer, or it ends (default %d)\n"
          "  --snapshot-interval-ms MS  Snapshot requests per session at most one per MS\n"
          "                         (default %d)\n"
          "  --max-output-mb N      stop saving keyframes once the output folder holds N MB;\n"
          "                         0: no cap (default %d)\n"
          "  --keyframe-interval S ask each session for a keyframe (PLI) S seconds after its\n"
          "                         last saved one, so the gallery fills (browsers send\n"
          "                         keyframes only when asked); 0: never (default %g)\n"
          "  --rate-interval S      a rate line per connected session every S seconds (bitrate,\n"
          "                         packets, frames, loss, RTT, RTCP sent); 0: none (default %d)\n"
          "  --capture DIR          each session writes, for Wireshark, DIR/<time>-<id>-wire.pcap\n"
          "                         (its datagrams as on the wire), -plain.pcap (its RTP and\n"
          "                         RTCP in plaintext) and -keylog.txt (its DTLS keys, which\n"
          "                         decrypt the handshake: keep them private) (default: none)\n"
          "  --capture-max-mb N     each session's pcaps together at most N MB (default %d)\n"
          "  --inspect              record every session's first packets for the packet\n"
          "                         inspector and print its URL (without it, only sessions\n"
          "                         whose offer asks are recorded: the page's do)\n"
          "  --inspect-sessions N   sessions recorded at once at most (default %d)\n"
          "  --inspect-packets N    packets kept of each kind (default %d)\n"
          "  --source FILE          WHEP viewers (POST /whep, the page /watch) get FILE, an\n"
          "                         IVF VP8 or Annex-B H.264 file, from its start at\n"
          "                         real-time pace, looping\n"
          "  --echo                 a publisher whose offer's video is sendrecv gets its\n"
          "                         video back on the same connection (the page /watch?echo=1);\n"
          "                         every data channel's messages come back on it too\n"
          "  --dtls-role ROLE       active or passive: our DTLS role when the offer lets us\n"
          "                         choose (default active, as RFC 8842 recommends; passive\n"
          "                         makes us pick the SRTP profile: AEAD_AES_128_GCM first)\n"
          "  --ice-tcp ADDR:PORT    also accept ICE over TCP there (RFC 6544), for browsers on\n"
          "                         networks that block UDP: each session offers it as a\n"
          "                         passive TCP candidate below its UDP ones; repeatable, at\n"
          "                         most 4 (default: off, since browsers open a connection to\n"
          "                         it for every session, even those that go over UDP)\n"
          "  --ice MODE             full or lite: the sessions' ICE agent (default full: it\n"
          "                         also checks the peer back at once, RFC 8445 7.3.1.4, so\n"
          "                         publishers connect sooner; lite only answers checks)\n"
          "  --token TOKEN          a bearer token for publishing, repeatable: POST /whip then\n"
          "                         needs Authorization: Bearer TOKEN, DELETE needs the token\n"
          "                         that created the session, and /ws needs ?token=TOKEN\n"
          "                         (without any token, publishing is open to anyone who\n"
          "                         can reach the HTTP address)\n"
          "  --token-file FILE      tokens from FILE, one per line (blank lines ignored)\n"
          "  --ice-server URL       a STUN or TURN server handed to the members of rooms\n"
          "                         (/ws?room=NAME), repeatable: stun:HOST:PORT or\n"
          "                         turn:HOST:PORT?transport=udp (TURN needs --turn-secret)\n"
          "  --turn-secret S        the secret shared with the TURN server (coturn's\n"
          "                         static-auth-secret, boltrtc turn's --auth-secret): each\n"
          "                         member gets credentials of its own, valid --turn-ttl\n"
          "  --turn-secret-file F   the same, read from F's first line (keeps it out of ps)\n"
          "  --turn-ttl S           how long those credentials hold (default %d)\n"
          "  --max-rooms N          rooms at most (default %d)\n"
          "  --room-size N          members per room, 2 to %d (default %d)\n"
          "  --batch-hold-us US     while media arrives densely, wake up at most every US\n"
          "                         microseconds and read what came meanwhile in one batch:\n"
          "                         fewer wake-ups, up to US more latency; 0: off (default %d)\n"
          "  --udp-gro on|off       take bursts from one peer as one read (UDP GRO; default %s)\n"
          "  --loopback-only        answer only loopback addresses (a safety net for tests)\n"
          "  --log-level LEVEL      debug, info or warn (default info)\n"
          "  -h, --help             this help\n"
          "\n"
          "Saved keyframes: the first of each session, the next one after every Snapshot, and\n"
          "otherwise at most one every 2 s per session; --keyframe-interval asks for them.\n"
          "SIGINT or SIGTERM closes every session and exits 0.\n",
          BRTC_SIGNAL_DEFAULT_HTTP, DEFAULT_UDP, BRTC_LOOP_MAX_SOCKETS, BRTC_SIGNAL_DEFAULT_OUTPUT,
          brtc_signal_default_web_dir(), BRTC_SIGNAL_DEFAULT_MAX_SESSIONS,
          BRTC_SIGNAL_DEFAULT_MAX_PENDING, BRTC_SIGNAL_DEFAULT_MAX_PENDING_PER_SOURCE,
          BRTC_SIGNAL_DEFAULT_PENDING_TIMEOUT_MS, BRTC_SIGNAL_DEFAULT_SNAPSHOT_INTERVAL_MS,
          BRTC_SIGNAL_DEFAULT_MAX_OUTPUT_MB, BRTC_SIGNAL_DEFAULT_KEYFRAME_INTERVAL_MS / 1000.0,
          BRTC_SIGNAL_DEFAULT_RATE_INTERVAL_S, BRTC_SIGNAL_DEFAULT_CAPTURE_MB,
          BRTC_SIGNAL_DEFAULT_INSPECT_SESSIONS, BRTC_SIGNAL_DEFAULT_INSPECT_PACKETS,
          BRTC_ROOM_DEFAULT_TURN_TTL_S, BRTC_ROOM_DEFAULT_MAX_ROOMS, BRTC_ROOM_MAX_SIZE,
          BRTC_ROOM_DEFAULT_SIZE, DEFAULT_BATCH_HOLD_US, DEFAULT_UDP_GRO ? "on" : "off");
  brtc_turn_embed_print_usage(out);
}

#define MAX_TOKENS 1024
#define MAX_ICE_SERVERS 16
#define MAX_TOKEN_LEN 256

typedef struct serve_options {
  brtc_signal_config server;
  const char *udp[BRTC_LOOP_MAX_SOCKETS];
  size_t n_udp;
  const char *ice_tcp[4]; /* --ice-tcp */
  size_t n_ice_tcp;
  char *tokens[MAX_TOKENS]; /* owned copies */
  size_t n_tokens;
  const char *stun_urls[MAX_ICE_SERVERS], *turn_urls[MAX_ICE_SERVERS];
  size_t n_stun_urls, n_turn_urls;
  char *turn_secret; /* owned copy */
  brtc_turn_embed *turn; /* --turn-listen: our own TURN server on the loop (apps/turn_cmd.c) */
  bool loopback_only;
  unsigned batch_hold_us;
  bool udp_gro;
  brtc_log_level log_level;
} serve_options;

#define usage_error(...) brtc_cli_usage("serve", __VA_ARGS__)

/* RFC 6750 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static bool is_b64token(const char *t) {
  size_t n = strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/");
  if (n == 0) return false;
  while (t[n] == '=') n++;
  return t[n] == '\0' && n <= MAX_TOKEN_LEN;
}

static int add_token(serve_options *o, const char *token, const char *where) {
  if (!is_b64token(token))
    return usage_error("bad token%s: expected 1 to %d characters of A-Z a-z 0-9 - . _ ~ + / "
                       "(then = padding)", where, MAX_TOKEN_LEN);
  if (o->n_tokens == MAX_TOKENS) return usage_error("too many tokens (at most %d)", MAX_TOKENS);
  o->tokens[o->n_tokens] = strdup(token);
  if (!o->tokens[o->n_tokens]) return usage_error("out of memory");
  o->n_tokens++;
  return -1;
}

/* One token per line; blanks around a token and blank lines are ignored. */
static int read_token_file(serve_options *o, const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return usage_error("cannot read --token-file %s: %s", path, strerror(errno));
  char line[MAX_TOKEN_LEN + 64];
  int rc = -1, number = 0;
  while (rc < 0 && fgets(line, sizeof(line), f)) {
    number++;
    char *start = line, *end = line + strlen(line);
    while (*start == ' ' || *start == '\t') start++;
    while (end > start && strchr(" \t\r\n", end[-1])) end--;
    *end = '\0';
    if (!*start) continue;
    char where[64];
    snprintf(where, sizeof(where), " on line %d of --token-file", number);
    rc = add_token(o, start, where);
  }
  fclose(f);
  return rc;
}

/* --ice-server: stun: URLs are handed as they are, turn: and turns: ones with credentials
 * minted per room member (RFC 7064 and RFC 7065 say what the URLs look like). */
static int add_ice_server(serve_options *o, const char *url) {
  bool stun = strncmp(url, "stun:", 5) == 0 || strncmp(url, "stuns:", 6) == 0;
  bool turn = strncmp(url, "turn:", 5) == 0 || strncmp(url, "turns:", 6) == 0;
  if ((!stun && !turn) || strlen(url) > 256 || strpbrk(url, " \"\\"))
    return usage_error("bad --ice-server \"%s\": expected stun:HOST:PORT or turn:HOST:PORT",
                       url);
  size_t *n = stun ? &o->n_stun_urls : &o->n_turn_urls;
  if (*n == MAX_ICE_SERVERS)
    return usage_error("too many --ice-server URLs of one kind (at most %d)", MAX_ICE_SERVERS);
  (stun ? o->stun_urls : o->turn_urls)[(*n)++] = url;
  return -1;
}

static int set_turn_secret(serve_options *o, const char *arg, bool from_file) {
  char line[512];
  const char *secret = arg;
  if (from_file) {
    FILE *f = fopen(arg, "r");
    if (!f) return usage_error("cannot read --turn-secret-file %s: %s", arg, strerror(errno));
    bool got = fgets(line, sizeof(line), f) != NULL;
    fclose(f);
    if (!got) return usage_error("--turn-secret-file %s is empty", arg);
    line[strcspn(line, "\r\n")] = '\0';
    secret = line;
  }
  if (!*secret) return usage_error("the TURN secret is empty");
  free(o->turn_secret);
  o->turn_secret = strdup(secret);
  if (from_file) explicit_bzero(line, sizeof(line));
  return o->turn_secret ? -1 : usage_error("out of memory");
}

/* Returns -1 when the options are good, else the exit code. */
static int parse_serve_options(int argc, char **argv, serve_options *o) {
  enum {
    OPT_HTTP = 256, OPT_UDP, OPT_OUTPUT, OPT_WEB, OPT_MAX, OPT_DTLS_ROLE, OPT_LOOPBACK, OPT_LOG,
    OPT_PENDING, OPT_PENDING_SOURCE, OPT_PENDING_TIMEOUT, OPT_SNAPSHOT, OPT_OUTPUT_MB, OPT_TOKEN,
    OPT_TOKEN_FILE, OPT_CAPTURE, OPT_CAPTURE_MB, OPT_RATE, OPT_KEYFRAME_INTERVAL, OPT_BATCH_HOLD,
    OPT_UDP_GRO, OPT_ICE_SERVER, OPT_TURN_SECRET, OPT_TURN_SECRET_FILE, OPT_TURN_TTL, OPT_MAX_ROOMS,
    OPT_ROOM_SIZE, OPT_INSPECT, OPT_INSPECT_SESSIONS, OPT_INSPECT_PACKETS, OPT_ICE,
    OPT_SOURCE, OPT_ECHO, OPT_TURN_SERVER, OPT_ICE_TCP
  };
  static const struct option longopts[] = {
      {"http", required_argument, NULL, OPT_HTTP},
      {"udp", required_argument, NULL, OPT_UDP},
      {"ice-tcp", required_argument, NULL, OPT_ICE_TCP},
      {"output", required_argument, NULL, OPT_OUTPUT},
      {"web", required_argument, NULL, OPT_WEB},
      {"max-sessions", required_argument, NULL, OPT_MAX},
      {"max-pending", required_argument, NULL, OPT_PENDING},
      {"max-pending-per-source", required_argument, NULL, OPT_PENDING_SOURCE},
      {"pending-timeout-ms", required_argument, NULL, OPT_PENDING_TIMEOUT},
      {"snapshot-interval-ms", required_argument, NULL, OPT_SNAPSHOT},
      {"max-output-mb", required_argument, NULL, OPT_OUTPUT_MB},
      {"rate-interval", required_argument, NULL, OPT_RATE},
      {"keyframe-interval", required_argument, NULL, OPT_KEYFRAME_INTERVAL},
      {"capture", required_argument, NULL, OPT_CAPTURE},
      {"capture-max-mb", required_argument, NULL, OPT_CAPTURE_MB},
      {"inspect", no_argument, NULL, OPT_INSPECT},
      {"inspect-sessions", required_argument, NULL, OPT_INSPECT_SESSIONS},
      {"inspect-packets", required_argument, NULL, OPT_INSPECT_PACKETS},
      {"source", required_argument, NULL, OPT_SOURCE},
      {"echo", no_argument, NULL, OPT_ECHO},
      {"dtls-role", required_argument, NULL, OPT_DTLS_ROLE},
      {"ice", required_argument, NULL, OPT_ICE},
      {"loopback-only", no_argument, NULL, OPT_LOOPBACK},
      {"log-level", required_argument, NULL, OPT_LOG},
      {"token", required_argument, NULL, OPT_TOKEN},
      {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
      {"batch-hold-us", required_argument, NULL, OPT_BATCH_HOLD},
      {"udp-gro", required_argument, NULL, OPT_UDP_GRO},
      {"ice-server", required_argument, NULL, OPT_ICE_SERVER},
      {"turn-secret", required_argument, NULL, OPT_TURN_SECRET},
      {"turn-secret-file", required_argument, NULL, OPT_TURN_SECRET_FILE},
      {"turn-ttl", required_argument, NULL, OPT_TURN_TTL},
      {"max-rooms", required_argument, NULL, OPT_MAX_ROOMS},
      {"room-size", required_argument, NULL, OPT_ROOM_SIZE},
      {"turn-listen", required_argument, NULL, OPT_TURN_SERVER},
      {"turn-listen-tls", required_argument, NULL, OPT_TURN_SERVER},
      {"turn-cert", required_argument, NULL, OPT_TURN_SERVER},
      {"turn-key", required_argument, NULL, OPT_TURN_SERVER},
      {"turn-realm", required_argument, NULL, OPT_TURN_SERVER},
      {"turn-relay-ip", required_argument, NULL, OPT_TURN_SERVER},
      {"turn-relay-ports", required_argument, NULL, OPT_TURN_SERVER},
      {"turn-allow-peers", required_argument, NULL, OPT_TURN_SERVER},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  unsigned long n;
  opterr = 0; /* our own messages */
  int c;
  int index = 0;
  while ((c = getopt_long(argc, argv, ":h", longopts, &index)) != -1) {
    switch (c) {
      case OPT_HTTP:
        if (!brtc_signal_addr_valid(optarg))
          return usage_error("bad --http address \"%s\": expected IP:PORT or [IPv6]:PORT", optarg);
        o->server.http_addr = optarg;
        break;
      case OPT_UDP:
        if (!brtc_signal_addr_valid(optarg))
          return usage_error("bad --udp address \"%s\": expected IP:PORT or [IPv6]:PORT", optarg);
        if (o->n_udp == BRTC_LOOP_MAX_SOCKETS)
          return usage_error("too many --udp addresses (at most %d)", BRTC_LOOP_MAX_SOCKETS);
        o->udp[o->n_udp++] = optarg;
        break;
      case OPT_OUTPUT:
        if (!*optarg) return usage_error("--output needs a folder name");
        o->server.output_dir = optarg;
        break;
      case OPT_WEB:
        if (!*optarg) return usage_error("--web needs a folder name");
        o->server.web_dir = optarg;
        break;
      case OPT_MAX:
        if (!brtc_cli_parse_number(optarg, 1, 100000, &n))
          return usage_error("bad --max-sessions \"%s\": expected a number from 1 to 100000",
                             optarg);
        o->server.max_sessions = n;
        break;
      case OPT_PENDING:
        if (!brtc_cli_parse_number(optarg, 1, 100000, &n))
          return usage_error("bad --max-pending \"%s\": expected a number from 1 to 100000",
                             optarg);
        o->server.max_pending = n;
        break;
      case OPT_PENDING_SOURCE:
        if (!brtc_cli_parse_number(optarg, 1, 100000, &n))
          return usage_error(
              "bad --max-pending-per-source \"%s\": expected a number from 1 to 100000", optarg);
        o->server.max_pending_per_source = n;
        break;
      case OPT_PENDING_TIMEOUT:
        if (!brtc_cli_parse_number(optarg, 100, 30000, &n))
          return usage_error(
              "bad --pending-timeout-ms \"%s\": expected milliseconds from 100 to 30000", optarg);
        o->server.pending_timeout_ms = (unsigned)n;
        break;
      case OPT_BATCH_HOLD:
        if (!brtc_cli_parse_number(optarg, 0, 100000, &n))
          return usage_error("bad --batch-hold-us \"%s\": expected microseconds from 0 to 100000",
                             optarg);
        o->batch_hold_us = (unsigned)n;
        break;
      case OPT_UDP_GRO:
        if (strcmp(optarg, "on") != 0 && strcmp(optarg, "off") != 0)
          return usage_error("bad --udp-gro \"%s\": expected on or off", optarg);
        o->udp_gro = strcmp(optarg, "on") == 0;
        break;
      case OPT_SNAPSHOT:
        if (!brtc_cli_parse_number(optarg, 1, 3600000, &n))
          return usage_error(
              "bad --snapshot-interval-ms \"%s\": expected milliseconds from 1 to 3600000",
              optarg);
        o->server.snapshot_interval_ms = (unsigned)n;
        break;
      case OPT_OUTPUT_MB:
        if (!brtc_cli_parse_number(optarg, 0, 100000000, &n))
          return usage_error("bad --max-output-mb \"%s\": expected megabytes, 0 for no cap",
                             optarg);
        o->server.max_output_mb = n ? n : BRTC_SIGNAL_NO_OUTPUT_CAP;
        break;
      case OPT_KEYFRAME_INTERVAL: {
        /* Seconds, fractions allowed (tests use 0.5); at least 0.1 s, or 0 for never. */
        char *end = NULL;
        double secs = strtod(optarg, &end);
        if (!*optarg || !end || *end || !(secs == 0 || (secs >= 0.1 && secs <= 3600)))
          return usage_error("bad --keyframe-interval \"%s\": expected seconds, 0 or from 0.1 "
                             "to 3600", optarg);
        o->server.keyframe_interval_ms =
            secs == 0 ? BRTC_SIGNAL_NO_KEYFRAME_INTERVAL : (unsigned)(secs * 1000 + 0.5);
        break;
      }
      case OPT_RATE:
        if (!brtc_cli_parse_number(optarg, 0, 86400, &n))
          return usage_error("bad --rate-interval \"%s\": expected seconds from 0 to 86400",
                             optarg);
        o->server.rate_interval_s = n ? (unsigned)n : BRTC_SIGNAL_NO_RATE_LINES;
        break;
      case OPT_CAPTURE:
        if (!*optarg) return usage_error("--capture needs a folder name");
        o->server.capture_dir = optarg;
        break;
      case OPT_CAPTURE_MB:
        if (!brtc_cli_parse_number(optarg, 1, 1000000, &n))
          return usage_error("bad --capture-max-mb \"%s\": expected megabytes from 1 to 1000000",
                             optarg);
        o->server.capture_max_mb = n;
        break;
      case OPT_INSPECT:
        o->server.inspect_all = true;
        break;
      case OPT_INSPECT_SESSIONS:
        if (!brtc_cli_parse_number(optarg, 1, 1024, &n))
          return usage_error("bad --inspect-sessions \"%s\": expected 1 to 1024", optarg);
        o->server.inspect_sessions = (size_t)n;
        break;
      case OPT_INSPECT_PACKETS:
        if (!brtc_cli_parse_number(optarg, 1, 64, &n))
          return usage_error("bad --inspect-packets \"%s\": expected 1 to 64", optarg);
        o->server.inspect_packets = (unsigned)n;
        break;
      case OPT_ECHO:
        o->server.echo = true;
        break;
      case OPT_SOURCE:
        if (!*optarg) return usage_error("--source needs a file name");
        o->server.whep_source = optarg;
        break;
      case OPT_DTLS_ROLE:
        if (strcmp(optarg, "active") == 0) o->server.dtls_role = BRTC_DTLS_ROLE_ACTIVE;
        else if (strcmp(optarg, "passive") == 0) o->server.dtls_role = BRTC_DTLS_ROLE_PASSIVE;
        else return usage_error("bad --dtls-role \"%s\": expected active or passive", optarg);
        break;
      case OPT_ICE_TCP:
        if (o->n_ice_tcp == 4) return usage_error("too many --ice-tcp addresses (at most 4)");
        o->ice_tcp[o->n_ice_tcp++] = optarg; /* checked when listening */
        break;
      case OPT_ICE:
        if (strcmp(optarg, "full") == 0) o->server.ice_mode = BRTC_SIGNAL_ICE_FULL;
        else if (strcmp(optarg, "lite") == 0) o->server.ice_mode = BRTC_SIGNAL_ICE_LITE;
        else return usage_error("bad --ice \"%s\": expected full or lite", optarg);
        break;
      case OPT_LOOPBACK:
        o->loopback_only = true;
        break;
      case OPT_LOG:
        if (!brtc_cli_parse_log_level(optarg, &o->log_level))
          return usage_error("bad --log-level \"%s\": expected debug, info or warn", optarg);
        break;
      case OPT_TOKEN: {
        int rc = add_token(o, optarg, " for --token");
        if (rc >= 0) return rc;
        break;
      }
      case OPT_TOKEN_FILE: {
        int rc = read_token_file(o, optarg);
        if (rc >= 0) return rc;
        break;
      }
      case OPT_ICE_SERVER: {
        int rc = add_ice_server(o, optarg);
        if (rc >= 0) return rc;
        break;
      }
      case OPT_TURN_SECRET:
      case OPT_TURN_SECRET_FILE: {
        int rc = set_turn_secret(o, optarg, c == OPT_TURN_SECRET_FILE);
        if (rc >= 0) return rc;
        break;
      }
      case OPT_TURN_TTL:
        if (!brtc_cli_parse_number(optarg, 60, 30 * 86400, &n))
          return usage_error("bad --turn-ttl \"%s\": expected seconds from 60 to 2592000", optarg);
        o->server.rooms.turn_ttl_s = (unsigned)n;
        break;
      case OPT_MAX_ROOMS:
        if (!brtc_cli_parse_number(optarg, 1, 1000000, &n))
          return usage_error("bad --max-rooms \"%s\": expected a number from 1 to 1000000", optarg);
        o->server.rooms.max_rooms = n;
        break;
      case OPT_TURN_SERVER: {
        int rc = brtc_turn_embed_option(&o->turn, longopts[index].name + strlen("turn-"), optarg);
        if (rc >= 0) return rc;
        break;
      }
      case OPT_ROOM_SIZE:
        if (!brtc_cli_parse_number(optarg, 2, BRTC_ROOM_MAX_SIZE, &n))
          return usage_error("bad --room-size \"%s\": expected a number from 2 to %d", optarg,
                             BRTC_ROOM_MAX_SIZE);
        o->server.rooms.room_size = n;
        break;
      default:
        return brtc_cli_other_option("serve", c, argv, print_serve_usage);
    }
  }
  if (optind < argc) return usage_error("unexpected argument \"%s\"", argv[optind]);
  if (o->n_udp == 0) o->udp[o->n_udp++] = DEFAULT_UDP;
  o->server.tokens = (const char *const *)o->tokens;
  o->server.n_tokens = o->n_tokens;
  if (o->n_turn_urls && !o->turn_secret)
    return usage_error("a turn: --ice-server needs --turn-secret (or --turn-secret-file)");
  int turn_rc = brtc_turn_embed_check(o->turn, o->turn_secret);
  if (turn_rc >= 0) return turn_rc;
  o->server.rooms.stun_urls = o->stun_urls;
  o->server.rooms.n_stun_urls = o->n_stun_urls;
  o->server.rooms.turn_urls = o->turn_urls;
  o->server.rooms.n_turn_urls = o->n_turn_urls;
  o->server.rooms.turn_secret = o->turn_secret;
  return -1;
}

static void print_banner(const brtc_signal_server *srv, brtc_loop *loop, const char *output) {
  const struct sockaddr_storage *addrs;
  size_t n = brtc_loop_local_addrs(loop, &addrs);
  char media[256] = "", one[BRTC_SIGNAL_ADDR_TEXT_LEN];
  for (size_t i = 0; i < n; i++) {
    size_t used = strlen(media);
    snprintf(media + used, sizeof(media) - used, "%s%s", i ? ", " : "",
             brtc_signal_addr_text(&addrs[i], one, sizeof(one)));
  }
  printf("boltrtc serving %s ; media on udp %s ; keyframes to %s\n", brtc_signal_server_url(srv),
         media, output);
  fflush(stdout);
}

/* A plain CMake build without Node.js has no page script: say so where the user looks. */
static void warn_if_page_missing(const char *web_dir) {
  char path[4096];
  struct stat st;
  snprintf(path, sizeof(path), "%s/dist/app.js", web_dir ? web_dir : brtc_signal_default_web_dir());
  if (stat(path, &st) == 0) return;
  brtc_log(BRTC_LOG_WARN, NULL,
           "the page's script %s is missing, so the page cannot connect: build it with "
           "`npm ci && npm run build` in the source tree (scripts/build.sh does), or pass --web DIR",
           path);
}

static int serve(serve_options *o) {
  brtc_set_log_level(o->log_level);
  int stop_fd = brtc_cli_stop_fd();
  if (stop_fd < 0) {
    fprintf(stderr, "boltrtc: cannot watch signals: %s\n", strerror(errno));
    return 1;
  }
  int status = 1;
  char err[256] = "";
  brtc_loop *loop = NULL;
  brtc_signal_server *srv = NULL;
  brtc_certificate *cert = NULL;
  if (brtc_certificate_new(&cert, err, sizeof(err)) != BRTC_OK) {
    fprintf(stderr, "boltrtc: %s\n", err);
    goto done;
  }
  brtc_loop_config *lc = brtc_loop_config_new();
  for (size_t i = 0; i < o->n_udp; i++) brtc_loop_config_add_udp_address(lc, o->udp[i]);
  brtc_loop_config_set_loopback_only(lc, o->loopback_only);
  brtc_loop_config_set_batch_hold(lc, o->batch_hold_us);
  brtc_loop_config_set_gro(lc, o->udp_gro);
  loop = brtc_loop_new(lc, err, sizeof(err));
  brtc_loop_config_free(lc);
  if (!loop) {
    fprintf(stderr, "boltrtc: %s\n", err);
    goto done;
  }
  for (size_t i = 0; i < o->n_ice_tcp; i++) {
    if (brtc_loop_ice_tcp_listen(loop, o->ice_tcp[i], err, sizeof(err)) != BRTC_OK) {
      fprintf(stderr, "boltrtc: --ice-tcp: %s\n", err);
      goto done;
    }
    brtc_log(BRTC_LOG_INFO, NULL, "ICE-TCP: passive candidates on tcp port %d (RFC 6544)",
             brtc_loop_ice_tcp_port(loop, i));
  }
  if (brtc_turn_embed_start(o->turn, loop, err, sizeof(err)) != BRTC_OK) {
    fprintf(stderr, "boltrtc: %s\n", err[0] ? err : "cannot start the TURN server");
    goto done;
  }
  if (o->turn && o->n_turn_urls == 0) /* rooms hand out our own TURN server */
    o->server.rooms.n_turn_urls = brtc_turn_embed_urls(o->turn, o->turn_urls, MAX_ICE_SERVERS);
  srv = brtc_signal_server_new(&o->server, loop, cert, err, sizeof(err));
  if (!srv) {
    fprintf(stderr, "boltrtc: %s\n", err);
    goto done;
  }
  print_banner(srv, loop, o->server.output_dir);
  if (o->n_tokens)
    brtc_log(BRTC_LOG_INFO, NULL, "publishing needs one of %zu bearer tokens", o->n_tokens);
  warn_if_page_missing(o->server.web_dir);
  brtc_log(BRTC_LOG_INFO, NULL, "certificate fingerprint sha-256 %s",
           brtc_certificate_fingerprint(cert));
  status = brtc_signal_server_run(srv, stop_fd) == BRTC_OK ? 0 : 1;
  brtc_log(BRTC_LOG_INFO, NULL, "stopping: closing every session");
done:
  brtc_signal_server_free(srv);
  brtc_turn_embed_free(o->turn); /* on the loop: before it */
  o->turn = NULL;
  brtc_loop_free(loop);
  brtc_certificate_free(cert);
  close(stop_fd);
  return status;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    print_usage(stderr);
    return EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    print_usage(stdout);
    printf("\n");
    print_serve_usage(stdout);
    printf("\n");
    brtc_turn_print_usage(stdout);
    printf("\n");
    brtc_publish_print_usage(stdout);
    printf("\n");
    brtc_camera_print_usage(stdout);
    return 0;
  }
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
    printf("boltrtc %s\n", brtc_version());
    return 0;
  }
  if (strcmp(cmd, "turn") == 0) return brtc_turn_main(argc - 1, argv + 1);
  if (strcmp(cmd, "publish") == 0) return brtc_publish_main(argc - 1, argv + 1);
  if (strcmp(cmd, "camera") == 0) return brtc_camera_main(argc - 1, argv + 1);
  if (strcmp(cmd, "serve") != 0) {
    fprintf(stderr, "boltrtc: unknown command \"%s\" (see boltrtc --help)\n", cmd);
    return EXIT_USAGE;
  }
  serve_options o = {.server = {.http_addr = BRTC_SIGNAL_DEFAULT_HTTP,
                                .output_dir = BRTC_SIGNAL_DEFAULT_OUTPUT},
                     .batch_hold_us = DEFAULT_BATCH_HOLD_US, .udp_gro = DEFAULT_UDP_GRO,
                     .log_level = BRTC_LOG_INFO};
  int rc = parse_serve_options(argc - 1, argv + 1, &o);
  if (rc < 0) rc = serve(&o);
  for (size_t i = 0; i < o.n_tokens; i++) free(o.tokens[i]);
  free(o.turn_secret);
  brtc_turn_embed_free(o.turn);
  return rc;
}
