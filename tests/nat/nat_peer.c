/* One peer of the NAT lab's ICE test, on the public API only: the offerer opens a data
 * channel and sends messages, the answerer echoes them. Loop, pc and signaling lines are
 * lab_peer.h's; besides its lines this one reports:
 *   open MS                  the data channel opened (DTLS and SCTP up)
 *   echoed N MS              the offerer got N messages echoed back
 *   done                     the answerer ended without a failure
 * Usage: nat_peer offer|answer HOST:PORT [--ice-server URL]... [--relay-only]
 *                 [--messages N] [--seconds S] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/datachannel.h"
#include "boltrtc/error.h"
#include "lab_peer.h"

#define MESSAGE_LEN 1000

typedef struct echo {
  bool offerer;
  brtc_datachannel *channel;
  unsigned messages, sent, echoed;
} echo;

static void send_more(echo *e) {
  uint8_t msg[MESSAGE_LEN];
  while (e->sent < e->messages && e->sent - e->echoed < 16) {
    memset(msg, 'a' + (int)(e->sent % 26), sizeof msg);
    if (brtc_datachannel_send(e->channel, brtc_now_us(), msg, sizeof msg, true) != BRTC_OK) return;
    e->sent++;
  }
}

static void on_event(lab_peer *p, const brtc_output *out) {
  echo *e = p->role;
  char line[64];
  switch (out->event) {
    case BRTC_EVENT_STEP:
      if (out->step == BRTC_STEP_ICE_CONNECTED && e->offerer && e->messages &&
          e->echoed == e->messages)
        lab_peer_stop(p, 0);
      break;
    case BRTC_EVENT_DATACHANNEL: e->channel = out->channel; break;
    case BRTC_EVENT_DATACHANNEL_OPEN:
      snprintf(line, sizeof line, "%.1f", lab_peer_ms(p));
      lab_peer_say("open", line);
      if (e->offerer) send_more(e);
      break;
    case BRTC_EVENT_DATACHANNEL_MESSAGE:
      if (!e->offerer) {
        (void)brtc_datachannel_send(e->channel, brtc_now_us(), out->data, out->len, out->binary);
        break;
      }
      if (out->len == MESSAGE_LEN) e->echoed++;
      if (e->echoed == e->messages) {
        snprintf(line, sizeof line, "%u %.1f", e->echoed, lab_peer_ms(p));
        lab_peer_say("echoed", line);
        if (p->ice_connected) lab_peer_stop(p, 0); /* else once nominated */
      }
      send_more(e);
      break;
    case BRTC_EVENT_DATACHANNEL_BUFFERED_AMOUNT_LOW: if (e->offerer) send_more(e); break;
    default: break;
  }
}

static bool echo_option(lab_peer *p, const char *option, const char *value) {
  if (strcmp(option, "--messages") != 0) return false;
  ((echo *)p->role)->messages = (unsigned)atoi(value);
  return true;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: nat_peer offer|answer HOST:PORT [--ice-server URL]... "
                    "[--relay-only] [--messages N] [--seconds S]\n");
    return 2;
  }
  static lab_peer p;
  echo e = {.offerer = strcmp(argv[1], "offer") == 0, .messages = 100};
  p.role = &e;
  p.on_event = on_event;
  int rc = lab_peer_start(&p, "nat_peer", argv[2], argc - 3, argv + 3, echo_option);
  if (rc == 0 && e.offerer) {
    char err[256];
    uint64_t now = brtc_now_us();
    brtc_datachannel_init init;
    brtc_datachannel_init_default(&init);
    const char *offer = NULL;
    if (brtc_pc_create_datachannel(p.pc, now, "chat", &init, &e.channel, err, sizeof err) !=
            BRTC_OK ||
        brtc_pc_create_offer(p.pc, now, &offer, err, sizeof err) != BRTC_OK ||
        brtc_pc_set_local_description(p.pc, "offer", NULL, now, err, sizeof err) != BRTC_OK) {
      fprintf(stderr, "nat_peer: %s\n", err);
      rc = 1;
    } else {
      lab_peer_say_sdp(&p, "offer", offer);
    }
  }
  if (rc == 0) {
    rc = lab_peer_run(&p);
    if (!e.offerer && rc == 0) lab_peer_say("done", NULL);
  }
  lab_peer_close(&p);
  return rc;
}
