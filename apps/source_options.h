/* The options of every command that plays a source (boltrtc publish, boltrtc camera):
 * --size, --fps and --bitrate, as getopt_long entries, their help lines and their parsing. */
#ifndef BRTC_APPS_SOURCE_OPTIONS_H
#define BRTC_APPS_SOURCE_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>

#include "sources/source.h"

enum { BRTC_OPT_SIZE = 0x5300, BRTC_OPT_FPS, BRTC_OPT_BITRATE };

#define BRTC_SOURCE_LONGOPTS                                  \
  {"size", required_argument, NULL, BRTC_OPT_SIZE},           \
      {"fps", required_argument, NULL, BRTC_OPT_FPS},         \
      {"bitrate", required_argument, NULL, BRTC_OPT_BITRATE}

#define BRTC_SOURCE_OPTIONS_USAGE                                                      \
  "  --size WxH           test pattern and camera size (default 640x480)\n"          \
  "  --fps N              test pattern and camera frame rate (default 30)\n"          \
  "  --bitrate BPS        encoder start bitrate (default 1000000)\n"

/* True if c is one of these options; then *exit_code is -1 when arg was good (stored in so),
 * else the usage error's exit code (the message is on stderr, naming command). */
bool brtc_source_option(const char *command, int c, const char *arg, brtc_source_options *so,
                        int *exit_code);

#endif
