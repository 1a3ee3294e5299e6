/* What the boltrtc commands (serve, turn, publish, camera) share on the command line: option
 * values, the end of the getopt loop, usage errors in one form, and SIGINT/SIGTERM as a file
 * descriptor. */
#ifndef BRTC_APPS_CLI_H
#define BRTC_APPS_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "boltrtc/log.h"

#define BRTC_CLI_EXIT_USAGE 2

/* A whole decimal number from min to max, else false. */
bool brtc_cli_parse_number(const char *text, unsigned long min, unsigned long max,
                           unsigned long *out);
/* "debug", "info" or "warn", else false. */
bool brtc_cli_parse_log_level(const char *text, brtc_log_level *out);
/* "boltrtc <command>: <message> (see boltrtc <command> --help)" on stderr; returns
 * BRTC_CLI_EXIT_USAGE. */
__attribute__((format(printf, 2, 3))) int brtc_cli_usage(const char *command, const char *fmt,
                                                         ...);
/* The end of every command's getopt_long switch (optstring ":h", opterr 0): c is 'h' (the
 * command's usage on stdout, exit 0), ':' (an option without its value) or an option the
 * command does not know (both usage errors). Returns the exit code. */
int brtc_cli_other_option(const char *command, int c, char **argv, void (*print_usage)(FILE *));
/* SIGINT and SIGTERM blocked and delivered as a readable fd (no handler races), SIGPIPE
 * ignored; -1 on failure (errno set). */
int brtc_cli_stop_fd(void);

#endif
