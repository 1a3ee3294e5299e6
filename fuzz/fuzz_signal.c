/* The signal layer's input parsing: WebSocket signaling messages (any bytes a client may
 * send), the request-path check for the page's files, and keyframe file names for
 * /output/. Every failure must come back as an error, never a crash or a leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "signal/keyframe_store.h"
#include "signal/web_files.h"
#include "signal/ws_messages.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  brtc_ws_msg msg;
  char err[160];
  if (brtc_ws_msg_parse((const char *)data, size, &msg, err, sizeof(err)) == BRTC_OK) {
    /* Whatever was accepted has the fields its type promises. */
    if (msg.type == BRTC_WS_MSG_OFFER && (!msg.sdp || !msg.sdp[0])) abort();
    if (msg.type == BRTC_WS_MSG_CANDIDATE && !msg.candidate) abort();
    brtc_ws_msg_free(&msg);
  } else if (strnlen(err, sizeof(err)) == sizeof(err) || err[0] == '\0') {
    abort(); /* every refusal has a reason */
  }

  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  if (brtc_web_path_allowed(text)) {
    /* An accepted path never has an empty, "." or ".." segment, nor a hidden name. */
    if (strstr(text, "//") || strstr(text, "/.") || strchr(text, '\\')) abort();
  }
  unsigned long n = brtc_keyframe_name_number(text);
  if (n && (strchr(text, '/') || strncmp(text, "shoot", 5) != 0)) abort();
  free(text);
  return 0;
}
