/* The WebSocket core (src/websocket) fed any bytes a client may send, cut into pieces the
 * input chooses, with messages sent back and the clock moving: frames, fragments, control
 * frames, close handshakes, UTF-8. Checks: no crash or leak, a message handed out is whole
 * and within the limit, a text message is valid UTF-8, input is only refused while a
 * message waits to be taken or output waits to be pulled. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "websocket/websocket.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  uint8_t cut = data[0], when = data[1];
  data += 2;
  size -= 2;
  brtc_ws_limits lim;
  brtc_ws_default_limits(&lim);
  lim.max_message = 4096; /* small, so the fuzzer reaches the limits */
  lim.max_discard = 16384;
  lim.max_output = 8192;
  uint64_t now = 0;
  brtc_websocket *ws = brtc_websocket_new(&lim, now);
  if (!ws) return 0;
  uint8_t out[4096];
  size_t off = 0;
  for (int round = 0; round < 100000 && off < size; round++) {
    size_t piece = 1 + (size_t)(cut ^ (uint8_t)round) % 97;
    if (piece > size - off) piece = size - off;
    if (((uint8_t)round & when) == 0x3f) now += 21000000; /* the keep-alive ping, the close wait */
    if (brtc_websocket_next_deadline(ws) <= now) brtc_websocket_handle_timeout(ws, now);
    size_t took = brtc_websocket_feed(ws, data + off, piece, now);
    if (took > piece) abort();
    off += took;
    brtc_ws_event ev;
    bool any = false;
    while (brtc_websocket_poll_event(ws, &ev)) {
      any = true;
      if (ev.type == BRTC_WS_EVENT_MESSAGE) {
        if (ev.len > lim.max_message) abort();
        if (ev.text && !brtc_utf8_valid(ev.data, ev.len)) abort();
        if (ev.data[ev.len] != '\0') abort();
        /* Echo it, as a server answering would. */
        (void)brtc_websocket_send(ws, ev.text, ev.data, ev.len);
      }
    }
    size_t pulled = brtc_websocket_take_output(ws, out, sizeof(out));
    if (!took && !any && !pulled) {
      if (brtc_websocket_finished(ws)) break;
      abort(); /* input refused with nothing waiting: stuck */
    }
  }
  while (brtc_websocket_take_output(ws, out, sizeof(out))) {
  }
  brtc_websocket_free(ws);
  return 0;
}
