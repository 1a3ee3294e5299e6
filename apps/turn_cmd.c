/* `boltrtc turn`: a STUN and TURN server (RFC 8489, RFC 8656) over UDP, TCP and TLS, on a
 * brtc_loop. This file parses the options, starts the server and waits for SIGINT/SIGTERM;
 * the server is brtc_turn_server (include/boltrtc/turn.h). */
#include "turn_cmd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "boltrtc/boltrtc.h"
#include "cli.h"

#define STATS_INTERVAL_US (60ull * 1000000u)
#define MAX_USER_ARG 520 /* a username of at most 512 bytes (RFC 8489 14.3) */

void brtc_turn_print_usage(FILE *out) {
  fprintf(out,
          "Usage: boltrtc turn [options]\n"
          "\n"
          "A STUN and TURN server (RFC 8489, RFC 8656) over UDP, TCP and TLS, with long-term\n"
          "credentials.\n"
          "\n"
          "Options:\n"
          "  --listen ADDR:PORT     listen for clients on UDP and TCP, repeatable, at most %d\n"
          "                         (default %s; 0.0.0.0:3478 for every IPv4 address, then\n"
          "                         give --relay-ip)\n"
          "  --no-tcp               no plain TCP on the --listen addresses (TCP carries TURN\n"
          "                         framed as RFC 8656 3.3 says; the relay is UDP either way)\n"
          "  --listen-tls ADDR:PORT listen for TURN over TLS (RFC 8656 3.1; the usual port\n"
          "                         is 5349), repeatable, at most %d; TLS 1.2 or later\n"
          "  --cert FILE            the TLS certificate chain, PEM (default: a self-signed\n"
          "                         certificate made at start, which clients must be told\n"
          "                         not to verify)\n"
          "  --key FILE             its private key, PEM (default: in the --cert file)\n"
          "  --realm R              the realm of the credentials (default %s)\n"
          "  --user NAME:PASS       a user, repeatable\n"
          "  --user-file FILE       users from FILE, one NAME:PASS a line (# comments)\n"
          "  --auth-secret S        also accept time-limited credentials made with S, as\n"
          "                         coturn's use-auth-secret: username EXPIRY:NAME (Unix time),\n"
          "                         password base64(HMAC-SHA1(S, username))\n"
          "  --relay-ip ADDR        the address relayed ports are opened on and announced as\n"
          "                         (default: the first --listen address)\n"
          "  --relay-ports MIN-MAX  the relay port range (default %d-%d)\n"
          "  --allow-peers CIDR     relay to this range although it is loopback, private or\n"
          "                         link-local (refused by default), repeatable\n"
          "  --max-allocations N    allocations in all (default: one per relay port)\n"
          "  --user-quota N         allocations one username may hold; 0: no limit (default %d)\n"
          "  --source-quota N       allocations one client IP address may hold; 0: no limit\n"
          "                         (default %d)\n"
          "  --log-level LEVEL      debug, info or warn (default info)\n"
          "  -h, --help             this help\n"
          "\n"
          "A counters line is logged every minute. SIGINT or SIGTERM stops the server.\n",
          BRTC_TURN_MAX_LISTEN, BRTC_TURN_DEFAULT_LISTEN, BRTC_TURN_MAX_LISTEN,
          BRTC_TURN_DEFAULT_REALM,
          BRTC_TURN_DEFAULT_PORT_MIN, BRTC_TURN_DEFAULT_PORT_MAX, BRTC_TURN_DEFAULT_PER_USER,
          BRTC_TURN_DEFAULT_PER_SOURCE);
}

#define usage_error(...) brtc_cli_usage("turn", __VA_ARGS__)

typedef struct turn_app {
  brtc_turn_server *srv;
  brtc_loop *loop;
  brtc_loop_timer *stats;
} turn_app;

static void on_stop(void *user, int fd, uint64_t now) {
  (void)now;
  struct signalfd_siginfo info;
  while (read(fd, &info, sizeof(info)) == (ssize_t)sizeof(info)) {
  }
  brtc_loop_stop(((turn_app *)user)->loop);
}

static void log_counters(brtc_turn_server *s) {
  brtc_log(BRTC_LOG_INFO, NULL,
           "turn: %llu allocations (%llu made, %llu expired), %llu requests, relayed %llu to "
           "peers and %llu to clients, %llu dropped, %llu auth failures, %llu forbidden peers",
           (unsigned long long)brtc_turn_server_count(s, BRTC_TURN_ALLOCATIONS),
           (unsigned long long)brtc_turn_server_count(s, BRTC_TURN_ALLOCATIONS_CREATED),
           (unsigned long long)brtc_turn_server_count(s, BRTC_TURN_ALLOCATIONS_EXPIRED),
           (unsigned long long)brtc_turn_server_count(s, BRTC_TURN_REQUESTS),
           (unsigned long long)brtc_turn_server_count(s, BRTC_TURN_RELAYED_TO_PEERS),
           (unsigned long long)brtc_turn_server_count(s, BRTC_TURN_RELAYED_TO_CLIENTS),
           (unsigned long long)brtc_turn_server_count(s, BRTC_TURN_DROPPED),
           (unsigned long long)brtc_turn_server_count(s, BRTC_TURN_AUTH_FAILURES),
           (unsigned long long)brtc_turn_server_count(s, BRTC_TURN_FORBIDDEN_PEERS));
  if (brtc_turn_server_count(s, BRTC_TURN_TLS_HANDSHAKES) ||
      brtc_turn_server_count(s, BRTC_TURN_TLS_HANDSHAKE_TIMEOUTS) ||
      brtc_turn_server_count(s, BRTC_TURN_TLS_FAILURES))
    brtc_log(BRTC_LOG_INFO, NULL, "turn: %llu TLS handshakes, %llu timed out, %llu TLS failures",
             (unsigned long long)brtc_turn_server_count(s, BRTC_TURN_TLS_HANDSHAKES),
             (unsigned long long)brtc_turn_server_count(s, BRTC_TURN_TLS_HANDSHAKE_TIMEOUTS),
             (unsigned long long)brtc_turn_server_count(s, BRTC_TURN_TLS_FAILURES));
}

static void on_stats(void *user, uint64_t now) {
  turn_app *app = user;
  log_counters(app->srv);
  brtc_loop_timer_set(app->stats, now + STATS_INTERVAL_US);
}

typedef struct turn_flags {
  bool have_credentials, tcp;
  unsigned long total, per_user, per_source;
  const char *cert, *key;
} turn_flags;

/* One option of `boltrtc turn` by its long name (without "--"), also what serve's --turn-NAME
 * options come to. Returns -1 when it is good, else the exit code. */
static int turn_option(brtc_turn_server *s, const char *cmd, const char *prefix, const char *name,
                       const char *arg, turn_flags *f, brtc_log_level *level) {
  unsigned long a, b;
  char err[256], opt[48];
  snprintf(opt, sizeof(opt), "%s%s", prefix, name); /* as the user typed it, for the errors */
  if (strcmp(name, "listen") == 0) {
    if (brtc_turn_server_add_listen(s, arg) != BRTC_OK)
      return brtc_cli_usage(cmd, "bad --%s \"%s\": expected IP:PORT or [IPv6]:PORT, at most %d",
                            opt, arg, BRTC_TURN_MAX_LISTEN);
  } else if (strcmp(name, "listen-tls") == 0) {
    if (brtc_turn_server_add_listen_tls(s, arg) != BRTC_OK)
      return brtc_cli_usage(cmd, "bad --%s \"%s\": expected IP:PORT or [IPv6]:PORT, at most %d",
                            opt, arg, BRTC_TURN_MAX_LISTEN);
  } else if (strcmp(name, "cert") == 0) {
    f->cert = arg;
  } else if (strcmp(name, "key") == 0) {
    f->key = arg;
  } else if (strcmp(name, "realm") == 0) {
    if (brtc_turn_server_set_realm(s, arg) != BRTC_OK)
      return brtc_cli_usage(cmd, "bad --%s \"%s\": 1 to 127 characters", opt, arg);
  } else if (strcmp(name, "user") == 0) {
    const char *colon = strchr(arg, ':');
    if (!colon || colon == arg || !colon[1])
      return brtc_cli_usage(cmd, "bad --%s: expected NAME:PASS", opt);
    char user[MAX_USER_ARG];
    size_t n = (size_t)(colon - arg);
    if (n >= sizeof(user)) return brtc_cli_usage(cmd, "bad --%s: the name is too long", opt);
    memcpy(user, arg, n);
    user[n] = '\0';
    if (brtc_turn_server_add_user(s, user, colon + 1) != BRTC_OK)
      return brtc_cli_usage(cmd, "bad --%s", opt);
    f->have_credentials = true;
  } else if (strcmp(name, "user-file") == 0) {
    if (brtc_turn_server_add_users_file(s, arg, err, sizeof(err)) != BRTC_OK)
      return brtc_cli_usage(cmd, "%s", err);
    f->have_credentials = true;
  } else if (strcmp(name, "auth-secret") == 0) {
    if (brtc_turn_server_set_auth_secret(s, arg) != BRTC_OK)
      return brtc_cli_usage(cmd, "--%s needs a secret", opt);
    f->have_credentials = true;
  } else if (strcmp(name, "relay-ip") == 0) {
    if (brtc_turn_server_set_relay_ip(s, arg) != BRTC_OK)
      return brtc_cli_usage(cmd, "bad --%s \"%s\": expected an IPv4 or IPv6 address, not a "
                            "wildcard", opt, arg);
  } else if (strcmp(name, "relay-ports") == 0) {
    const char *dash = strchr(arg, '-');
    char min[8] = "";
    size_t n = dash ? (size_t)(dash - arg) : sizeof(min);
    if (n < sizeof(min)) memcpy(min, arg, n);
    bool ok = n < sizeof(min) && brtc_cli_parse_number(min, 0, 65535, &a) &&
              brtc_cli_parse_number(dash + 1, 0, 65535, &b);
    if (!ok || a == 0 || a > b ||
        brtc_turn_server_set_relay_ports(s, (unsigned)a, (unsigned)b) != BRTC_OK)
      return brtc_cli_usage(cmd, "bad --%s \"%s\": expected MIN-MAX from 1 to 65535", opt, arg);
  } else if (strcmp(name, "allow-peers") == 0) {
    if (brtc_turn_server_allow_peers(s, arg) != BRTC_OK)
      return brtc_cli_usage(cmd, "bad --%s \"%s\": expected ADDR/PREFIX, at most 32", opt, arg);
  } else if (strcmp(name, "max-allocations") == 0) {
    if (!brtc_cli_parse_number(arg, 0, 1000000, &f->total) || f->total == 0)
      return brtc_cli_usage(cmd, "bad --%s \"%s\": expected 1 to 1000000", opt, arg);
  } else if (strcmp(name, "user-quota") == 0) {
    if (!brtc_cli_parse_number(arg, 0, 1000000, &f->per_user))
      return brtc_cli_usage(cmd, "bad --%s \"%s\": expected 0 to 1000000", opt, arg);
  } else if (strcmp(name, "source-quota") == 0) {
    if (!brtc_cli_parse_number(arg, 0, 1000000, &f->per_source))
      return brtc_cli_usage(cmd, "bad --%s \"%s\": expected 0 to 1000000", opt, arg);
  } else if (strcmp(name, "log-level") == 0 && level) {
    if (!brtc_cli_parse_log_level(arg, level))
      return brtc_cli_usage(cmd, "bad --%s \"%s\": expected debug, info or warn", opt, arg);
  } else if (strcmp(name, "no-tcp") == 0) {
    brtc_turn_server_set_tcp(s, false);
    f->tcp = false;
  } else {
    return brtc_cli_usage(cmd, "unknown option --%s", opt);
  }
  return -1;
}

/* What is checked once every option is in. Returns -1 when good, else the exit code. */
static int turn_options_done(brtc_turn_server *s, const char *cmd, const char *prefix,
                             const turn_flags *f) {
  if (f->key && !f->cert) return brtc_cli_usage(cmd, "--%skey needs --%scert", prefix, prefix);
  if (f->cert && brtc_turn_server_set_tls_cert(s, f->cert, f->key) != BRTC_OK)
    return brtc_cli_usage(cmd, "bad --%scert or --%skey", prefix, prefix);
  brtc_turn_server_set_quotas(s, (unsigned)f->total, (unsigned)f->per_user,
                              (unsigned)f->per_source);
  return -1;
}

static const struct option turn_longopts[] = {
    {"listen", required_argument, NULL, 0},
    {"listen-tls", required_argument, NULL, 0},
    {"cert", required_argument, NULL, 0},
    {"key", required_argument, NULL, 0},
    {"realm", required_argument, NULL, 0},
    {"user", required_argument, NULL, 0},
    {"user-file", required_argument, NULL, 0},
    {"auth-secret", required_argument, NULL, 0},
    {"relay-ip", required_argument, NULL, 0},
    {"relay-ports", required_argument, NULL, 0},
    {"allow-peers", required_argument, NULL, 0},
    {"max-allocations", required_argument, NULL, 0},
    {"user-quota", required_argument, NULL, 0},
    {"source-quota", required_argument, NULL, 0},
    {"log-level", required_argument, NULL, 0},
    {"no-tcp", no_argument, NULL, 0},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Returns -1 when the options are good, else the exit code. */
static int parse_options(int argc, char **argv, brtc_turn_server *s, brtc_log_level *level,
                         turn_flags *f) {
  opterr = 0;
  optind = 1;
  int c, index;
  while ((c = getopt_long(argc, argv, ":h", turn_longopts, &index)) != -1) {
    switch (c) {
    case 0: {
      int rc = turn_option(s, "turn", "", turn_longopts[index].name, optarg, f, level);
      if (rc >= 0) return rc;
      break;
    }
    default:
      return brtc_cli_other_option("turn", c, argv, brtc_turn_print_usage);
    }
  }
  if (optind < argc) return usage_error("unexpected argument \"%s\"", argv[optind]);
  return turn_options_done(s, "turn", "", f);
}

/* "ADDR:PORT, [IPv6]:PORT" of a list of bound addresses. */
static void addrs_text(const struct sockaddr_storage *addrs, size_t n, char *line, size_t cap) {
  line[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    char host[64] = "?";
    unsigned port = 0;
    if (addrs[i].ss_family == AF_INET) {
      const struct sockaddr_in *v4 = (const struct sockaddr_in *)&addrs[i];
      inet_ntop(AF_INET, &v4->sin_addr, host, sizeof(host));
      port = ntohs(v4->sin_port);
    } else {
      const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&addrs[i];
      inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof(host));
      port = ntohs(v6->sin6_port);
    }
    size_t used = strlen(line);
    snprintf(line + used, cap - used, "%s%s%s%s:%u", i ? ", " : "",
             addrs[i].ss_family == AF_INET6 ? "[" : "", host,
             addrs[i].ss_family == AF_INET6 ? "]" : "", port);
  }
}

static int run(brtc_turn_server *srv, bool tcp) {
  int stop_fd = brtc_cli_stop_fd();
  if (stop_fd < 0) {
    fprintf(stderr, "boltrtc: cannot watch signals: %s\n", strerror(errno));
    return 1;
  }
  char err[256] = "";
  turn_app app = {.srv = srv};
  int status = 1;
  brtc_loop_watch *stop_watch = NULL;
  brtc_loop_config *lc = brtc_loop_config_new(); /* no UDP: the TURN server's are its own */
  app.loop = brtc_loop_new(lc, err, sizeof(err));
  brtc_loop_config_free(lc);
  if (!app.loop) {
    fprintf(stderr, "boltrtc: %s\n", err);
    goto done;
  }
  if (brtc_turn_server_start(srv, app.loop, err, sizeof(err)) != BRTC_OK) {
    fprintf(stderr, "boltrtc: %s\n", err[0] ? err : "cannot start the TURN server");
    goto done;
  }
  stop_watch = brtc_loop_watch_fd(app.loop, stop_fd, on_stop, &app);
  app.stats = brtc_loop_timer_new(app.loop, on_stats, &app);
  if (!stop_watch || !app.stats) goto done;
  brtc_loop_timer_set(app.stats, brtc_now_us() + STATS_INTERVAL_US);
  struct sockaddr_storage addrs[BRTC_TURN_MAX_LISTEN];
  char line[512], tls_line[512];
  addrs_text(addrs, brtc_turn_server_listen_addrs(srv, addrs, BRTC_TURN_MAX_LISTEN), line,
             sizeof(line));
  addrs_text(addrs, brtc_turn_server_tls_addrs(srv, addrs, BRTC_TURN_MAX_LISTEN), tls_line,
             sizeof(tls_line));
  printf("boltrtc turn on %s %s%s%s\n", tcp ? "udp and tcp" : "udp", line,
         tls_line[0] ? " ; tls " : "", tls_line);
  fflush(stdout);
  status = brtc_loop_run(app.loop) == BRTC_OK ? 0 : 1;
  log_counters(app.srv);
  brtc_log(BRTC_LOG_INFO, NULL, "turn: stopping");
done:
  brtc_loop_timer_free(app.stats);
  brtc_loop_unwatch(stop_watch);
  brtc_turn_server_free(srv);
  brtc_loop_free(app.loop);
  close(stop_fd);
  return status;
}

int brtc_turn_main(int argc, char **argv) {
  brtc_turn_server *srv = brtc_turn_server_new();
  if (!srv) return 1;
  brtc_log_level level = BRTC_LOG_INFO;
  turn_flags f = {.tcp = true, .per_user = BRTC_TURN_DEFAULT_PER_USER,
                  .per_source = BRTC_TURN_DEFAULT_PER_SOURCE};
  int rc = parse_options(argc, argv, srv, &level, &f);
  if (rc < 0 && !f.have_credentials)
    rc = usage_error("no credentials: give --user, --user-file or --auth-secret");
  if (rc >= 0) {
    brtc_turn_server_free(srv);
    return rc;
  }
  brtc_set_log_level(level);
  signal(SIGPIPE, SIG_IGN);
  return run(srv, f.tcp);
}

/* ---- the TURN server inside `boltrtc serve` ---- */

struct brtc_turn_embed {
  brtc_turn_server *srv;
  turn_flags f;
  bool started, listening;
  /* turn: and turns: URLs of the listeners, for the rooms' iceServers */
  char urls[3 * BRTC_TURN_MAX_LISTEN][BRTC_TURN_URL_LEN];
  size_t n_urls;
};

/* serve's --turn-NAME options: where to listen and relay, and TLS; the credentials are the
 * rooms' --turn-secret, and quotas keep `boltrtc turn`'s defaults. */
static const char *const embed_names[] = {"listen", "listen-tls", "cert", "key", "realm",
                                          "relay-ip", "relay-ports", "allow-peers"};

void brtc_turn_embed_print_usage(FILE *out) {
  fprintf(out,
          "\n"
          "A STUN and TURN server on serve's own loop (the options of boltrtc turn --help, with\n"
          "--turn- before them), taking --turn-secret as its --auth-secret, so the credentials\n"
          "rooms hand out work on it; without a turn: --ice-server, rooms are handed its URLs:\n"
          "  --turn-listen ADDR:PORT      UDP and TCP, repeatable (e.g. 127.0.0.1:3478)\n"
          "  --turn-listen-tls ADDR:PORT  TLS, repeatable; --turn-cert FILE, --turn-key FILE\n"
          "                               (default: a self-signed certificate)\n"
          "  --turn-relay-ip ADDR, --turn-relay-ports MIN-MAX, --turn-allow-peers CIDR,\n"
          "  --turn-realm R               as boltrtc turn's\n");
}

int brtc_turn_embed_option(brtc_turn_embed **e, const char *name, const char *arg) {
  bool known = false;
  for (size_t i = 0; i < sizeof(embed_names) / sizeof(embed_names[0]); i++)
    known = known || strcmp(name, embed_names[i]) == 0;
  if (!known) return brtc_cli_usage("serve", "unknown option --turn-%s", name);
  if (!*e) {
    *e = calloc(1, sizeof(**e));
    if (!*e || !((*e)->srv = brtc_turn_server_new())) {
      free(*e);
      *e = NULL;
      return brtc_cli_usage("serve", "out of memory");
    }
    (*e)->f = (turn_flags){.tcp = true, .per_user = BRTC_TURN_DEFAULT_PER_USER,
                           .per_source = BRTC_TURN_DEFAULT_PER_SOURCE};
  }
  if (strcmp(name, "listen") == 0) (*e)->listening = true;
  return turn_option((*e)->srv, "serve", "turn-", name, arg, &(*e)->f, NULL);
}

int brtc_turn_embed_check(brtc_turn_embed *e, const char *secret) {
  if (!e) return -1;
  if (!e->listening) return brtc_cli_usage("serve", "the --turn- options need --turn-listen");
  if (!secret) return brtc_cli_usage("serve", "--turn-listen needs --turn-secret (its credentials)");
  int rc = turn_options_done(e->srv, "serve", "turn-", &e->f);
  if (rc >= 0) return rc;
  if (brtc_turn_server_set_auth_secret(e->srv, secret) != BRTC_OK)
    return brtc_cli_usage("serve", "bad --turn-secret");
  return -1;
}

/* "turn:HOST:PORT?transport=T" for a bound address; a wildcard one is named by the relay
 * address, which is where such a server is reached. */
static void add_url(brtc_turn_embed *e, const char *scheme, const struct sockaddr_storage *a,
                    const char *transport) {
  if (e->n_urls == sizeof(e->urls) / sizeof(e->urls[0])) return;
  char host[64]; /* "[IPv6]:PORT" at most 54 */
  addrs_text(a, 1, host, sizeof(host));
  snprintf(e->urls[e->n_urls++], BRTC_TURN_URL_LEN, "%s:%s?transport=%s", scheme, host, transport);
}

int brtc_turn_embed_start(brtc_turn_embed *e, brtc_loop *loop, char *err, size_t err_cap) {
  if (!e) return BRTC_OK;
  int rc = brtc_turn_server_start(e->srv, loop, err, err_cap);
  if (rc != BRTC_OK) return rc;
  e->started = true;
  struct sockaddr_storage addrs[BRTC_TURN_MAX_LISTEN];
  size_t n = brtc_turn_server_listen_addrs(e->srv, addrs, BRTC_TURN_MAX_LISTEN);
  char line[512], tls_line[512];
  addrs_text(addrs, n, line, sizeof(line));
  for (size_t i = 0; i < n; i++) {
    add_url(e, "turn", &addrs[i], "udp");
    if (e->f.tcp) add_url(e, "turn", &addrs[i], "tcp");
  }
  n = brtc_turn_server_tls_addrs(e->srv, addrs, BRTC_TURN_MAX_LISTEN);
  addrs_text(addrs, n, tls_line, sizeof(tls_line));
  for (size_t i = 0; i < n; i++) add_url(e, "turns", &addrs[i], "tcp");
  brtc_log(BRTC_LOG_INFO, NULL, "turn: on %s %s%s%s, credentials from --turn-secret",
           e->f.tcp ? "udp and tcp" : "udp", line, tls_line[0] ? " ; tls " : "", tls_line);
  return BRTC_OK;
}

size_t brtc_turn_embed_urls(const brtc_turn_embed *e, const char **urls, size_t cap) {
  size_t n = 0;
  for (; e && n < e->n_urls && n < cap; n++) urls[n] = e->urls[n];
  return n;
}

void brtc_turn_embed_free(brtc_turn_embed *e) {
  if (!e) return;
  if (e->started) log_counters(e->srv);
  brtc_turn_server_free(e->srv);
  free(e);
}
