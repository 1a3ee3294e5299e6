/* Data channels of a peer connection: one SCTP association (src/sctp, brtc_dc_transport) per
 * pc, made when a channel is created or the offer's data section is accepted, started when
 * DTLS is connected. SCTP packets come in as authenticated DTLS application data (RFC 8261
 * 5: one packet per record) and go out as records sealed by our own DTLS record layer once
 * OpenSSL's state is released, or through OpenSSL before that. Its deadline is part of the
 * pc's; its events become pc events in emit() alone.
 *
 * A brtc_datachannel is the association's brtc_dc itself, cast: no object of our own, and the
 * channel's user pointer is its pc. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/datachannel.h"
#include "pc/pc_internal.h"
#include "pc/pc_reneg.h"
#include "sctp/datachannel.h"

/* What we accept in one message (the answer's a=max-message-size, RFC 8841 6). */
#define PC_DATA_MAX_MESSAGE BRTC_SCTP_DEFAULT_MAX_MESSAGE
/* Our SCTP packets: 1191 bytes, and with the record's 37 bytes of header, nonce and tag a
 * datagram of 1228 fits IPv6's 1280 with UDP and IP (sctp.h says why). */
#define PC_DATA_PACKET BRTC_SCTP_DEFAULT_MTU

typedef struct pc_data {
  brtc_dc_transport *t;
  bool negotiated;  /* the offer's data section was accepted */
  bool started;     /* DTLS is up: the association runs */
  bool draining;    /* inside drain(): a nested call leaves the rest to the outer loop */
  bool ended;
  brtc_dc_start start;
} pc_data;

static brtc_dc *as_dc(brtc_datachannel *c) { return (brtc_dc *)c; }
static const brtc_dc *as_const_dc(const brtc_datachannel *c) { return (const brtc_dc *)c; }

/* The one place where data channel events become pc events (and log lines). The queue copies
 * a message's bytes (brtc_dc_event data lives only until the transport's next call); the
 * channel itself lives as long as the pc (the transport frees channels with itself). */
static void emit(brtc_pc *pc, brtc_event_type type, brtc_dc *dc, const uint8_t *data,
                 size_t len, bool binary, const char *detail) {
  brtc_output ev = {.event = type,
                    .step = PC_STEP_NONE,
                    .detail = detail ? detail : "",
                    .channel = (brtc_datachannel *)dc,
                    .data = data,
                    .len = len,
                    .binary = binary};
  pc_push_event(pc, &ev);
}

/* Hands out what the association has to say; after every call that feeds or changes it. */
static void drain(brtc_pc *pc) {
  pc_data *d = pc->data;
  if (!d || !d->t || d->draining) return;
  d->draining = true;
  brtc_dc_event ev;
  char line[160];
  while (brtc_dc_transport_poll_event(d->t, &ev) == BRTC_OK) {
    switch (ev.type) {
      case BRTC_DC_EVENT_CONNECTED:
        snprintf(line, sizeof(line), "SCTP association up%s",
                 brtc_sctp_zero_checksum_sending(brtc_dc_transport_sctp(d->t))
                     ? ", zero checksum" : "");
        emit(pc, BRTC_EVENT_LOG, NULL, NULL, 0, false, line);
        break;
      case BRTC_DC_EVENT_CHANNEL:
        brtc_dc_set_user(ev.channel, pc);
        emit(pc, BRTC_EVENT_DATACHANNEL, ev.channel, NULL, 0, false, brtc_dc_label(ev.channel));
        break;
      case BRTC_DC_EVENT_OPEN:
        emit(pc, BRTC_EVENT_DATACHANNEL_OPEN, ev.channel, NULL, 0, false,
             brtc_dc_label(ev.channel));
        break;
      case BRTC_DC_EVENT_MESSAGE:
        emit(pc, BRTC_EVENT_DATACHANNEL_MESSAGE, ev.channel, ev.data, ev.len, ev.binary, "");
        break;
      case BRTC_DC_EVENT_BUFFERED_LOW:
        emit(pc, BRTC_EVENT_DATACHANNEL_BUFFERED_AMOUNT_LOW, ev.channel, NULL, 0, false, "");
        break;
      case BRTC_DC_EVENT_CLOSED:
        emit(pc, BRTC_EVENT_DATACHANNEL_CLOSED, ev.channel, NULL, 0, false,
             brtc_dc_label(ev.channel));
        break;
      case BRTC_DC_EVENT_ERROR:
        snprintf(line, sizeof(line), "data channels: %s", ev.reason ? ev.reason : "refused");
        emit(pc, BRTC_EVENT_LOG, NULL, NULL, 0, false, line);
        break;
      case BRTC_DC_EVENT_TRANSPORT_CLOSED:
        snprintf(line, sizeof(line), "SCTP association closed%s%s", ev.error ? ": " : "",
                 ev.error && ev.reason ? ev.reason : "");
        emit(pc, BRTC_EVENT_LOG, NULL, NULL, 0, false, line);
        break;
      default: break;
    }
  }
  d->draining = false;
}

/* The pc's data state and its association, made on first need. */
static pc_data *data_of(brtc_pc *pc) {
  if (pc->data) return pc->data;
  pc_data *d = calloc(1, sizeof(*d));
  if (!d) return NULL;
  brtc_dc_transport_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.sctp.max_inbound_message = PC_DATA_MAX_MESSAGE;
  cfg.sctp.mtu = PC_DATA_PACKET;
  cfg.sctp.zero_checksum = true; /* RFC 9653 5: DTLS authenticates every packet already */
  if (brtc_dc_transport_new(&cfg, pc->now_us, &d->t) != BRTC_OK) {
    free(d);
    return NULL;
  }
  pc->data = d;
  return d;
}

int pc_data_negotiated(brtc_pc *pc, uint16_t remote_port, uint32_t remote_max_message,
                       bool remote_max_given) {
  pc_data *d = data_of(pc);
  if (!d) return BRTC_ERR_NOMEM;
  d->negotiated = true;
  d->start.local_port = BRTC_SCTP_DEFAULT_PORT; /* what our answer says */
  d->start.remote_port = remote_port ? remote_port : BRTC_SCTP_DEFAULT_PORT;
  /* RFC 8841 6.1: absent means 64 KiB; 0 means any size (the send buffer still caps it). */
  if (remote_max_given && remote_max_message >= BRTC_DC_MAX_MESSAGE_ABSENT)
    remote_max_message = BRTC_DC_MAX_MESSAGE_ABSENT - 1; /* 4 GiB or more: as good as any */
  d->start.remote_max_message = remote_max_given ? remote_max_message : BRTC_DC_MAX_MESSAGE_ABSENT;
  /* The first data section on a live call (JSEP 5.2.2): SCTP starts over the DTLS association
   * already up (RFC 8261 5), now rather than at a handshake that has happened. */
  if (pc->steps_done[BRTC_STEP_DTLS_CONNECTED] && !pc->failed) pc_data_dtls_connected(pc);
  return BRTC_OK;
}

bool pc_data_active(const brtc_pc *pc) { return pc->data && pc->data->negotiated; }

const brtc_dc_transport *pc_data_transport(const brtc_pc *pc) {
  return pc->data ? pc->data->t : NULL;
}

void pc_data_forget_offer(brtc_pc *pc) {
  if (pc->data) pc->data->negotiated = false;
}

void pc_data_dtls_connected(brtc_pc *pc) {
  pc_data *d = pc->data;
  if (!d || !d->negotiated || d->started || d->ended) return;
  d->start.dtls_client = pc->dtls_client; /* RFC 8832 6: even stream ids for the client */
  if (brtc_dc_transport_start(d->t, pc->now_us, &d->start) != BRTC_OK) {
    emit(pc, BRTC_EVENT_LOG, NULL, NULL, 0, false, "data channels: SCTP cannot start");
    return;
  }
  d->started = true;
  drain(pc);
}

void pc_data_packet(brtc_pc *pc, const uint8_t *pkt, size_t len) {
  pc_data *d = pc->data;
  if (!d || !d->started || d->ended) {
    pc->stats.dropped_unexpected++; /* application data with no data section */
    return;
  }
  brtc_dc_transport_handle_packet(d->t, pc->now_us, pkt, len);
  drain(pc);
}

void pc_data_timeout(brtc_pc *pc) {
  pc_data *d = pc->data;
  if (!d || !d->started || d->ended) return;
  if (brtc_dc_transport_next_deadline(d->t) > pc->now_us) return;
  brtc_dc_transport_handle_timeout(d->t, pc->now_us);
  drain(pc);
}

uint64_t pc_data_deadline(const brtc_pc *pc) {
  const pc_data *d = pc->data;
  if (!d || !d->started || d->ended) return PC_NEVER;
  return brtc_dc_transport_next_deadline(d->t);
}

int pc_data_poll(brtc_pc *pc, uint8_t *out, size_t cap, size_t *out_len) {
  pc_data *d = pc->data;
  if (!d || !d->started || d->ended || !pc->dtls ||
      brtc_dtls_get_state(pc->dtls) != BRTC_DTLS_CONNECTED)
    return BRTC_ERR_AGAIN;
  uint8_t pkt[PC_DATA_PACKET];
  size_t n = 0;
  int rc = brtc_dc_transport_poll_packet(d->t, pc->now_us, pkt, sizeof(pkt), &n);
  if (rc == BRTC_OK) {
    if (brtc_dtls_released(pc->dtls)) {
      rc = brtc_dtls_seal_app(pc->dtls, pkt, n, out, cap, out_len);
    } else { /* OpenSSL holds the write state until the release: one packet at a time */
      rc = brtc_dtls_write(pc->dtls, pkt, n);
      if (rc == BRTC_OK) rc = brtc_dtls_poll_output(pc->dtls, out, cap, out_len);
    }
  }
  drain(pc); /* sending lowers bufferedAmount: BUFFERED_AMOUNT_LOW */
  return rc;
}

void pc_data_end(brtc_pc *pc, bool send) {
  pc_data *d = pc->data;
  if (!d || d->ended) return;
  d->ended = true;
  brtc_dc_transport_abort(d->t, pc->now_us, "peer connection closed");
  /* The ABORT (RFC 9260 9.1) goes ahead of DTLS's close_notify: queued now, behind it. */
  if (send && d->started && pc->dtls && brtc_dtls_get_state(pc->dtls) == BRTC_DTLS_CONNECTED) {
    uint8_t pkt[PC_DATA_PACKET];
    size_t n;
    for (int i = 0; i < 4 && brtc_dc_transport_poll_packet(d->t, pc->now_us, pkt, sizeof(pkt),
                                                           &n) == BRTC_OK; i++)
      brtc_dtls_write(pc->dtls, pkt, n);
  }
  drain(pc);
}

void pc_data_free(brtc_pc *pc) {
  if (!pc->data) return;
  brtc_dc_transport_free(pc->data->t);
  free(pc->data);
  pc->data = NULL;
}

/* ---- the public API (include/boltrtc/datachannel.h) ---- */

void brtc_datachannel_init_default(brtc_datachannel_init *init) {
  if (!init) return;
  memset(init, 0, sizeof(*init));
  init->size = sizeof(*init);
  init->ordered = true;
  init->max_retransmits = -1;
  init->max_packet_lifetime_ms = -1;
  init->id = -1;
}

static void set_err(char *err, size_t cap, const char *msg) {
  if (err && cap) snprintf(err, cap, "%s", msg);
}

int brtc_pc_create_datachannel(brtc_pc *pc, uint64_t now_us, const char *label,
                               const brtc_datachannel_init *init, brtc_datachannel **out,
                               char *err, size_t err_cap) {
  if (err && err_cap) err[0] = '\0';
  if (out) *out = NULL;
  if (!pc || !out) return BRTC_ERR_INVALID;
  pc_touch(pc, now_us);
  if (!pc->datachannels) {
    set_err(err, err_cap, "data channels are not enabled (brtc_pc_config_set_datachannels)");
    return BRTC_ERR_STATE;
  }
  if (pc->closed || pc->failed || (pc->data && pc->data->ended)) {
    set_err(err, err_cap, "the peer connection is closed");
    return BRTC_ERR_STATE;
  }
  /* A call without a data section gets one from the next offer (JSEP 5.2.2), as a browser's
   * first createDataChannel fires negotiationneeded; an offer of ours already out without one
   * must be answered or rolled back first. */
  bool add_section = pc->have_remote && !pc_data_active(pc);
  if ((add_section && !pc_reneg_live(pc)) || (pc_offer_pending(pc) && !pc_offer_has_data(pc))) {
    set_err(err, err_cap, "the offer had no data section");
    return BRTC_ERR_STATE;
  }
  /* Only the fields the caller's struct has: a shorter, older one keeps the defaults. */
  brtc_datachannel_init in;
  brtc_datachannel_init_default(&in);
  if (init) {
    if (init->size < offsetof(brtc_datachannel_init, ordered) + sizeof(bool)) {
      set_err(err, err_cap, "brtc_datachannel_init.size is not set");
      return BRTC_ERR_INVALID;
    }
    memcpy(&in, init, init->size < sizeof(in) ? init->size : sizeof(in));
  }
  brtc_dc_init di;
  brtc_dc_init_default(&di);
  di.ordered = in.ordered;
  di.max_retransmits = in.max_retransmits;
  di.max_packet_lifetime_ms = in.max_packet_lifetime_ms;
  di.protocol = in.protocol;
  di.negotiated = in.negotiated;
  di.id = in.id;
  pc_data *d = data_of(pc);
  if (!d) {
    set_err(err, err_cap, "out of memory");
    return BRTC_ERR_NOMEM;
  }
  brtc_dc *dc = NULL;
  int rc = brtc_dc_create(d->t, pc->now_us, label, &di, &dc);
  if (rc == BRTC_ERR_INVALID)
    set_err(err, err_cap, "bad init: both maxRetransmits and maxPacketLifeTime, a negotiated id "
                          "out of range or in use, or a label or protocol over 65535 bytes");
  else if (rc == BRTC_ERR_LIMIT)
    set_err(err, err_cap, "too many data channels");
  else if (rc != BRTC_OK)
    set_err(err, err_cap, brtc_strerror(rc));
  if (rc != BRTC_OK) return rc;
  brtc_dc_set_user(dc, pc);
  *out = (brtc_datachannel *)dc;
  if (add_section) pc_reneg_needed(pc);
  drain(pc); /* a negotiated channel on a running association is open at once */
  return BRTC_OK;
}

int brtc_datachannel_send(brtc_datachannel *c, uint64_t now_us, const uint8_t *data, size_t len,
                          bool binary) {
  if (!c) return BRTC_ERR_INVALID;
  brtc_pc *pc = brtc_dc_user(as_dc(c));
  if (pc) pc_touch(pc, now_us);
  return brtc_dc_send(as_dc(c), pc ? pc->now_us : now_us, data, len, binary);
}

void brtc_datachannel_close(brtc_datachannel *c, uint64_t now_us) {
  if (!c) return;
  brtc_pc *pc = brtc_dc_user(as_dc(c));
  if (pc) pc_touch(pc, now_us);
  brtc_dc_close(as_dc(c), pc ? pc->now_us : now_us);
  if (pc) drain(pc);
}

brtc_datachannel_state brtc_datachannel_get_state(const brtc_datachannel *c) {
  if (!c) return BRTC_DATACHANNEL_CLOSED;
  switch (brtc_dc_get_state(as_const_dc(c))) {
    case BRTC_DC_CONNECTING: return BRTC_DATACHANNEL_CONNECTING;
    case BRTC_DC_OPEN: return BRTC_DATACHANNEL_OPEN;
    case BRTC_DC_CLOSING: return BRTC_DATACHANNEL_CLOSING;
    default: return BRTC_DATACHANNEL_CLOSED;
  }
}

const char *brtc_datachannel_label(const brtc_datachannel *c) {
  return c ? brtc_dc_label(as_const_dc(c)) : "";
}

const char *brtc_datachannel_protocol(const brtc_datachannel *c) {
  return c ? brtc_dc_protocol(as_const_dc(c)) : "";
}

int32_t brtc_datachannel_id(const brtc_datachannel *c) { return c ? brtc_dc_id(as_const_dc(c)) : -1; }

bool brtc_datachannel_ordered(const brtc_datachannel *c) {
  return c && brtc_dc_ordered(as_const_dc(c));
}

int32_t brtc_datachannel_max_retransmits(const brtc_datachannel *c) {
  return c ? brtc_dc_max_retransmits(as_const_dc(c)) : -1;
}

int32_t brtc_datachannel_max_packet_lifetime(const brtc_datachannel *c) {
  return c ? brtc_dc_max_packet_lifetime(as_const_dc(c)) : -1;
}

bool brtc_datachannel_negotiated(const brtc_datachannel *c) {
  return c && brtc_dc_negotiated(as_const_dc(c));
}

brtc_pc *brtc_datachannel_pc(const brtc_datachannel *c) {
  return c ? brtc_dc_user(as_const_dc(c)) : NULL;
}

size_t brtc_datachannel_buffered_amount(const brtc_datachannel *c) {
  return c ? brtc_dc_buffered_amount(as_const_dc(c)) : 0;
}

void brtc_datachannel_set_buffered_amount_low_threshold(brtc_datachannel *c, size_t bytes) {
  if (c) brtc_dc_set_buffered_amount_low_threshold(as_dc(c), bytes);
}

size_t brtc_datachannel_buffered_amount_low_threshold(const brtc_datachannel *c) {
  return c ? brtc_dc_buffered_amount_low_threshold(as_const_dc(c)) : 0;
}
