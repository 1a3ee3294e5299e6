/* --size, --fps, --bitrate for the commands that play a source (source_options.h). */
#include "source_options.h"

#include <stdio.h>

#include "cli.h"

bool brtc_source_option(const char *command, int c, const char *arg, brtc_source_options *so,
                        int *exit_code) {
  unsigned long n;
  unsigned w, h;
  *exit_code = -1;
  switch (c) {
    case BRTC_OPT_SIZE:
      if (sscanf(arg, "%ux%u", &w, &h) != 2 || w < 16 || h < 16 || w > 4096 || h > 4096)
        *exit_code = brtc_cli_usage(command, "bad --size \"%s\": expected WxH, 16 to 4096 each", arg);
      else
        so->width = w, so->height = h;
      return true;
    case BRTC_OPT_FPS:
      if (!brtc_cli_parse_number(arg, 1, 120, &n))
        *exit_code = brtc_cli_usage(command, "bad --fps \"%s\": expected 1 to 120", arg);
      else
        so->fps_num = (unsigned)n, so->fps_den = 1;
      return true;
    case BRTC_OPT_BITRATE:
      if (!brtc_cli_parse_number(arg, 50000, 50000000, &n))
        *exit_code = brtc_cli_usage(command, "bad --bitrate \"%s\": expected 50000 to 50000000", arg);
      else
        so->bitrate_bps = (uint32_t)n;
      return true;
    default: return false;
  }
}
