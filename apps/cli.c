/* The command-line pieces the boltrtc commands share (see cli.h). */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>

bool brtc_cli_parse_number(const char *text, unsigned long min, unsigned long max,
                           unsigned long *out) {
  char *end;
  errno = 0;
  unsigned long n = strtoul(text, &end, 10);
  if (errno || end == text || *end || text[0] == '-' || n < min || n > max) return false;
  *out = n;
  return true;
}

bool brtc_cli_parse_log_level(const char *text, brtc_log_level *out) {
  if (strcmp(text, "debug") == 0) *out = BRTC_LOG_DEBUG;
  else if (strcmp(text, "info") == 0) *out = BRTC_LOG_INFO;
  else if (strcmp(text, "warn") == 0) *out = BRTC_LOG_WARN;
  else return false;
  return true;
}

int brtc_cli_usage(const char *command, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "boltrtc %s: ", command);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, " (see boltrtc %s --help)\n", command);
  va_end(ap);
  return BRTC_CLI_EXIT_USAGE;
}

int brtc_cli_other_option(const char *command, int c, char **argv, void (*print_usage)(FILE *)) {
  if (c == 'h') {
    print_usage(stdout);
    return 0;
  }
  /* getopt_long has moved optind past the option it complains of. */
  if (c == ':') return brtc_cli_usage(command, "%s needs a value", argv[optind - 1]);
  return brtc_cli_usage(command, "unknown option %s", argv[optind - 1]);
}

int brtc_cli_stop_fd(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) return -1;
  signal(SIGPIPE, SIG_IGN);
  return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}
