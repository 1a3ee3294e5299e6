/* `boltrtc turn`: a STUN and TURN server (RFC 8489, RFC 8656) over UDP, TCP and TLS, on a
 * brtc_loop. This file parses the options, starts the server and waits for SIGINT/SIGTERM;
 * the server is brtc_turn_server (include/boltrtc/turn.h). */
#include "turn_cmd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
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

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = brtc_cli_usage_error("turn", fmt, ap);
  va_end(ap);
  return rc;
}

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

static void log_counters(turn_app *app) {
  brtc_turn_server *s = app->srv;
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
}

static void on_stats(void *user, uint64_t now) {
  turn_app *app = user;
  log_counters(app);
  brtc_loop_timer_set(app->stats, now + STATS_INTERVAL_US);
}

typedef struct turn_flags {
  bool have_credentials, tcp;
  unsigned long total, per_user, per_source;
  const char *cert, *key;
} turn_flags;

/* One option of `boltrtc turn` by its long name (without "--"), also what serve's --turn-NAME
 * options come to. Returns -1 when it is good, else the exit code. */
static int turn_option(brtc_turn_server *s, const char *name, const char *arg, turn_flags *f,
                       brtc_log_level *level) {
  unsigned long a, b;
  char err[256];
  if (strcmp(name, "listen") == 0) {
    if (brtc_turn_server_add_listen(s, arg) != BRTC_OK)
      return usage_error("bad --listen \"%s\": expected IP:PORT or [IPv6]:PORT, at most %d", arg,
                         BRTC_TURN_MAX_LISTEN);
  } else if (strcmp(name, "listen-tls") == 0) {
    if (brtc_turn_server_add_listen_tls(s, arg) != BRTC_OK)
      return usage_error("bad --listen-tls \"%s\": expected IP:PORT or [IPv6]:PORT, at most %d",
                         arg, BRTC_TURN_MAX_LISTEN);
  } else if (strcmp(name, "cert") == 0) {
    f->cert = arg;
  } else if (strcmp(name, "key") == 0) {
    f->key = arg;
  } else if (strcmp(name, "realm") == 0) {
    if (brtc_turn_server_set_realm(s, arg) != BRTC_OK)
      return usage_error("bad --realm \"%s\": 1 to 127 characters", arg);
  } else if (strcmp(name, "user") == 0) {
    const char *colon = strchr(arg, ':');
    if (!colon || colon == arg || !colon[1]) return usage_error("bad --user: expected NAME:PASS");
    char user[MAX_USER_ARG];
    size_t n = (size_t)(colon - arg);
    if (n >= sizeof(user)) return usage_error("bad --user: the name is too long");
    memcpy(user, arg, n);
    user[n] = '\0';
    if (brtc_turn_server_add_user(s, user, colon + 1) != BRTC_OK) return usage_error("bad --user");
    f->have_credentials = true;
  } else if (strcmp(name, "user-file") == 0) {
    if (brtc_turn_server_add_users_file(s, arg, err, sizeof(err)) != BRTC_OK)
      return usage_error("%s", err);
    f->have_credentials = true;
  } else if (strcmp(name, "auth-secret") == 0) {
    if (brtc_turn_server_set_auth_secret(s, arg) != BRTC_OK)
      return usage_error("--auth-secret needs a secret");
    f->have_credentials = true;
  } else if (strcmp(name, "relay-ip") == 0) {
    if (brtc_turn_server_set_relay_ip(s, arg) != BRTC_OK)
      return usage_error("bad --relay-ip \"%s\": expected an IPv4 or IPv6 address, not a "
                         "wildcard", arg);
  } else if (strcmp(name, "relay-ports") == 0) {
    const char *dash = strchr(arg, '-');
    char min[8] = "";
    size_t n = dash ? (size_t)(dash - arg) : sizeof(min);
    if (n < sizeof(min)) memcpy(min, arg, n);
    bool ok = n < sizeof(min) && brtc_cli_parse_number(min, 0, 65535, &a) &&
              brtc_cli_parse_number(dash + 1, 0, 65535, &b);
    if (!ok || a == 0 || a > b ||
        brtc_turn_server_set_relay_ports(s, (unsigned)a, (unsigned)b) != BRTC_OK)
      return usage_error("bad --relay-ports \"%s\": expected MIN-MAX from 1 to 65535", arg);
  } else if (strcmp(name, "allow-peers") == 0) {
    if (brtc_turn_server_allow_peers(s, arg) != BRTC_OK)
      return usage_error("bad --allow-peers \"%s\": expected ADDR/PREFIX, at most 32", arg);
  } else if (strcmp(name, "max-allocations") == 0) {
    if (!brtc_cli_parse_number(arg, 0, 1000000, &f->total) || f->total == 0)
      return usage_error("bad --max-allocations \"%s\": expected 1 to 1000000", arg);
  } else if (strcmp(name, "user-quota") == 0) {
    if (!brtc_cli_parse_number(arg, 0, 1000000, &f->per_user))
      return usage_error("bad --user-quota \"%s\": expected 0 to 1000000", arg);
  } else if (strcmp(name, "source-quota") == 0) {
    if (!brtc_cli_parse_number(arg, 0, 1000000, &f->per_source))
      return usage_error("bad --source-quota \"%s\": expected 0 to 1000000", arg);
  } else if (strcmp(name, "log-level") == 0 && level) {
    if (!brtc_cli_parse_log_level(arg, level))
      return usage_error("bad --log-level \"%s\": expected debug, info or warn", arg);
  } else if (strcmp(name, "no-tcp") == 0) {
    brtc_turn_server_set_tcp(s, false);
    f->tcp = false;
  } else {
    return usage_error("unknown option --%s", name);
  }
  return -1;
}

/* What is checked once every option is in. Returns -1 when good, else the exit code. */
static int turn_options_done(brtc_turn_server *s, const turn_flags *f) {
  if (f->key && !f->cert) return usage_error("--key needs --cert");
  if (f->cert && brtc_turn_server_set_tls_cert(s, f->cert, f->key) != BRTC_OK)
    return usage_error("bad --cert or --key");
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
      int rc = turn_option(s, turn_longopts[index].name, optarg, f, level);
      if (rc >= 0) return rc;
      break;
    }
    case 'h':
      brtc_turn_print_usage(stdout);
      return 0;
    case ':':
      return usage_error("option %s needs a value", argv[optind - 1]);
    default:
      return usage_error("unknown option %s", argv[optind - 1]);
    }
  }
  if (optind < argc) return usage_error("unexpected argument \"%s\"", argv[optind]);
  return turn_options_done(s, f);
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
  brtc_loop_config lc = {0};
  turn_app app = {.srv = srv};
  int status = 1;
  brtc_loop_watch *stop_watch = NULL;
  app.loop = brtc_loop_new(&lc, err, sizeof(err));
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
  log_counters(&app);
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
