/* `boltrtc turn`: a STUN and TURN server (RFC 8489, RFC 8656) over UDP and TCP, on a
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

void brtc_turn_print_usage(FILE *out) {
  fprintf(out,
          "Usage: boltrtc turn [options]\n"
          "\n"
          "A STUN and TURN server (RFC 8489, RFC 8656) over UDP and TCP, with long-term\n"
          "credentials.\n"
          "\n"
          "Options:\n"
          "  --listen ADDR:PORT     listen for clients on UDP and TCP, repeatable, at most %d\n"
          "                         (default %s; 0.0.0.0:3478 for every IPv4 address, then\n"
          "                         give --relay-ip)\n"
          "  --no-tcp               UDP only (TCP carries TURN framed as RFC 8656 3.3 says;\n"
          "                         the relay is UDP either way)\n"
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
          BRTC_TURN_MAX_LISTEN, BRTC_TURN_DEFAULT_LISTEN, BRTC_TURN_DEFAULT_REALM,
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

/* Returns -1 when the options are good, else the exit code. */
static int parse_options(int argc, char **argv, brtc_turn_server *s, brtc_log_level *level,
                         bool *have_credentials, bool *tcp) {
  enum {
    OPT_LISTEN = 256, OPT_REALM, OPT_USER, OPT_USER_FILE, OPT_SECRET, OPT_RELAY_IP,
    OPT_RELAY_PORTS, OPT_ALLOW, OPT_MAX, OPT_USER_QUOTA, OPT_SOURCE_QUOTA, OPT_LOG, OPT_NO_TCP
  };
  static const struct option longopts[] = {
      {"listen", required_argument, NULL, OPT_LISTEN},
      {"realm", required_argument, NULL, OPT_REALM},
      {"user", required_argument, NULL, OPT_USER},
      {"user-file", required_argument, NULL, OPT_USER_FILE},
      {"auth-secret", required_argument, NULL, OPT_SECRET},
      {"relay-ip", required_argument, NULL, OPT_RELAY_IP},
      {"relay-ports", required_argument, NULL, OPT_RELAY_PORTS},
      {"allow-peers", required_argument, NULL, OPT_ALLOW},
      {"max-allocations", required_argument, NULL, OPT_MAX},
      {"user-quota", required_argument, NULL, OPT_USER_QUOTA},
      {"source-quota", required_argument, NULL, OPT_SOURCE_QUOTA},
      {"log-level", required_argument, NULL, OPT_LOG},
      {"no-tcp", no_argument, NULL, OPT_NO_TCP},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  unsigned long total = 0, per_user = BRTC_TURN_DEFAULT_PER_USER,
                per_source = BRTC_TURN_DEFAULT_PER_SOURCE, a, b;
  char err[256];
  opterr = 0;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    switch (c) {
    case OPT_LISTEN:
      if (brtc_turn_server_add_listen(s, optarg) != BRTC_OK)
        return usage_error("bad --listen \"%s\": expected IP:PORT or [IPv6]:PORT, at most %d",
                           optarg, BRTC_TURN_MAX_LISTEN);
      break;
    case OPT_REALM:
      if (brtc_turn_server_set_realm(s, optarg) != BRTC_OK)
        return usage_error("bad --realm \"%s\": 1 to 127 characters", optarg);
      break;
    case OPT_USER: {
      char *colon = strchr(optarg, ':');
      if (!colon || colon == optarg || !colon[1]) return usage_error("bad --user: expected NAME:PASS");
      *colon = '\0';
      int rc = brtc_turn_server_add_user(s, optarg, colon + 1);
      *colon = ':';
      if (rc != BRTC_OK) return usage_error("bad --user");
      *have_credentials = true;
      break;
    }
    case OPT_USER_FILE:
      if (brtc_turn_server_add_users_file(s, optarg, err, sizeof(err)) != BRTC_OK)
        return usage_error("%s", err);
      *have_credentials = true;
      break;
    case OPT_SECRET:
      if (brtc_turn_server_set_auth_secret(s, optarg) != BRTC_OK)
        return usage_error("--auth-secret needs a secret");
      *have_credentials = true;
      break;
    case OPT_RELAY_IP:
      if (brtc_turn_server_set_relay_ip(s, optarg) != BRTC_OK)
        return usage_error("bad --relay-ip \"%s\": expected an IPv4 or IPv6 address, not a "
                           "wildcard", optarg);
      break;
    case OPT_RELAY_PORTS: {
      char *dash = strchr(optarg, '-');
      if (!dash) return usage_error("bad --relay-ports \"%s\": expected MIN-MAX", optarg);
      *dash = '\0';
      bool ok = brtc_cli_parse_number(optarg, 0, 65535, &a) &&
                brtc_cli_parse_number(dash + 1, 0, 65535, &b);
      *dash = '-';
      if (!ok || a == 0 || a > b || brtc_turn_server_set_relay_ports(s, (unsigned)a, (unsigned)b) != BRTC_OK)
        return usage_error("bad --relay-ports \"%s\": expected MIN-MAX from 1 to 65535", optarg);
      break;
    }
    case OPT_ALLOW:
      if (brtc_turn_server_allow_peers(s, optarg) != BRTC_OK)
        return usage_error("bad --allow-peers \"%s\": expected ADDR/PREFIX, at most 32", optarg);
      break;
    case OPT_MAX:
      if (!brtc_cli_parse_number(optarg, 0, 1000000, &total) || total == 0)
        return usage_error("bad --max-allocations \"%s\": expected 1 to 1000000", optarg);
      break;
    case OPT_USER_QUOTA:
      if (!brtc_cli_parse_number(optarg, 0, 1000000, &per_user))
        return usage_error("bad --user-quota \"%s\": expected 0 to 1000000", optarg);
      break;
    case OPT_SOURCE_QUOTA:
      if (!brtc_cli_parse_number(optarg, 0, 1000000, &per_source))
        return usage_error("bad --source-quota \"%s\": expected 0 to 1000000", optarg);
      break;
    case OPT_LOG:
      if (!brtc_cli_parse_log_level(optarg, level))
        return usage_error("bad --log-level \"%s\": expected debug, info or warn", optarg);
      break;
    case OPT_NO_TCP:
      brtc_turn_server_set_tcp(s, false);
      *tcp = false;
      break;
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
  brtc_turn_server_set_quotas(s, (unsigned)total, (unsigned)per_user, (unsigned)per_source);
  return -1;
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
  size_t n = brtc_turn_server_listen_addrs(srv, addrs, BRTC_TURN_MAX_LISTEN);
  char line[512] = "";
  for (size_t i = 0; i < n; i++) {
    char host[64] = "?";
    unsigned port = 0;
    if (addrs[i].ss_family == AF_INET) {
      struct sockaddr_in *v4 = (struct sockaddr_in *)&addrs[i];
      inet_ntop(AF_INET, &v4->sin_addr, host, sizeof(host));
      port = ntohs(v4->sin_port);
    } else {
      struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&addrs[i];
      inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof(host));
      port = ntohs(v6->sin6_port);
    }
    size_t used = strlen(line);
    snprintf(line + used, sizeof(line) - used, "%s%s%s%s:%u", i ? ", " : "",
             addrs[i].ss_family == AF_INET6 ? "[" : "", host,
             addrs[i].ss_family == AF_INET6 ? "]" : "", port);
  }
  printf("boltrtc turn on %s %s\n", tcp ? "udp and tcp" : "udp", line);
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
  bool have_credentials = false, tcp = true;
  int rc = parse_options(argc, argv, srv, &level, &have_credentials, &tcp);
  if (rc < 0 && !have_credentials)
    rc = usage_error("no credentials: give --user, --user-file or --auth-secret");
  if (rc >= 0) {
    brtc_turn_server_free(srv);
    return rc;
  }
  brtc_set_log_level(level);
  signal(SIGPIPE, SIG_IGN);
  return run(srv, tcp);
}
