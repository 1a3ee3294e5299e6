/* Data channels on one association: see datachannel.h. The association's events are turned
 * into channel events when the owner pulls them, so a message is handed out from the
 * association's own buffer, never copied here. */
#include "sctp/datachannel.h"

#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "sctp/dcep.h"

#define DEFAULT_PRIORITY 256 /* W3C webrtc-priority "low", RTCDataChannel's default */
#define DEFAULT_MAX_CHANNELS 1024
#define ABSENT_MAX_MESSAGE 65536 /* RFC 8841 6.1 */

struct brtc_dc {
  brtc_dc_transport *t;
  void *user;
  brtc_dc_state state;
  int32_t id;
  bool ordered, negotiated, remote;
  bool acked;            /* RFC 8832 6: unordered only once the peer's ACK came */
  bool reset_requested, reset_out_done, reset_in_done;
  bool id_lost;          /* a reset failed: the stream's SSNs are unknown, never reuse it */
  int32_t max_retransmits, max_lifetime_ms;
  uint16_t priority;
  size_t low_threshold;
  brtc_dc_stats stats;
  const char *protocol; /* in the same allocation, after the label */
  char label[];
};

typedef struct dc_event_item {
  uint8_t type;
  brtc_dc *channel;
  int error;
  const char *reason;
} dc_event_item;

struct brtc_dc_transport {
  brtc_dc_transport_config cfg;
  brtc_sctp *assoc;
  uint64_t now_us; /* the latest time the owner gave: for what events make happen */
  bool started, dtls_client, connected, closed;
  brtc_dc **channels; /* every channel not yet released */
  uint32_t n, cap;
  uint32_t live; /* not closed */
  dc_event_item *events;
  uint32_t ev_cap, ev_head, ev_n;
  brtc_dc_transport_stats stats;
};

void brtc_dc_init_default(brtc_dc_init *init) {
  memset(init, 0, sizeof *init);
  init->ordered = true;
  init->max_retransmits = -1;
  init->max_packet_lifetime_ms = -1;
  init->id = -1;
}

/* ---- events ---- */

static void push(brtc_dc_transport *t, brtc_dc_event_type type, brtc_dc *dc, int error,
                 const char *reason) {
  if (t->ev_n == t->ev_cap) {
    uint32_t cap = t->ev_cap ? t->ev_cap * 2 : 8;
    dc_event_item *ev = malloc(cap * sizeof *ev);
    if (!ev) return; /* out of memory loses a notice, never state */
    for (uint32_t i = 0; i < t->ev_n; i++) ev[i] = t->events[(t->ev_head + i) % t->ev_cap];
    free(t->events);
    t->events = ev;
    t->ev_cap = cap;
    t->ev_head = 0;
  }
  dc_event_item *e = &t->events[(t->ev_head + t->ev_n++) % t->ev_cap];
  e->type = (uint8_t)type;
  e->channel = dc;
  e->error = error;
  e->reason = reason;
}

/* ---- channels ---- */

static brtc_dc *find_live(const brtc_dc_transport *t, int32_t id) {
  for (uint32_t i = 0; i < t->n; i++) {
    brtc_dc *dc = t->channels[i];
    if (dc->id == id && (dc->state != BRTC_DC_CLOSED || dc->id_lost)) return dc;
  }
  return NULL;
}

static void set_closed(brtc_dc *dc) {
  if (dc->state == BRTC_DC_CLOSED) return;
  dc->state = BRTC_DC_CLOSED;
  dc->t->live--;
  dc->t->stats.channels_closed++;
  push(dc->t, BRTC_DC_EVENT_CLOSED, dc, 0, NULL);
}

static brtc_dc *channel_new(brtc_dc_transport *t, const char *label, size_t label_len,
                            const char *protocol, size_t protocol_len) {
  if (t->n == t->cap) {
    uint32_t cap = t->cap ? t->cap * 2 : 4;
    brtc_dc **c = realloc(t->channels, cap * sizeof *c);
    if (!c) return NULL;
    t->channels = c;
    t->cap = cap;
  }
  brtc_dc *dc = calloc(1, sizeof *dc + label_len + 1 + protocol_len + 1);
  if (!dc) return NULL;
  memcpy(dc->label, label, label_len);
  char *proto = dc->label + label_len + 1;
  memcpy(proto, protocol, protocol_len);
  dc->protocol = proto;
  dc->t = t;
  dc->id = -1;
  dc->max_retransmits = -1;
  dc->max_lifetime_ms = -1;
  t->channels[t->n++] = dc;
  t->live++;
  t->stats.channels_opened++;
  return dc;
}

/* RFC 8832 6: the DTLS client takes even stream ids, the server odd ones; the lowest free. */
static int32_t free_id(const brtc_dc_transport *t) {
  uint32_t limit = brtc_sctp_outbound_streams(t->assoc);
  for (uint32_t id = t->dtls_client ? 0 : 1; id < limit && id < 65535; id += 2)
    if (!find_live(t, (int32_t)id)) return (int32_t)id;
  return -1;
}

static int sctp_send_on(brtc_dc *dc, uint64_t now_us, uint32_t ppid, bool unordered,
                        bool reliable, const uint8_t *data, size_t len) {
  brtc_sctp_send_options o = {.stream = (uint16_t)dc->id,
                              .ppid = ppid,
                              .unordered = unordered,
                              .max_retransmits = reliable ? -1 : dc->max_retransmits,
                              .lifetime_ms = reliable ? -1 : dc->max_lifetime_ms};
  return brtc_sctp_send(dc->t->assoc, now_us, &o, data, len);
}

/* Our channel, the association up: an id, the DCEP OPEN (ordered and reliable, RFC 8832 6),
 * and it is open: data may follow the OPEN at once. */
static void open_ours(brtc_dc *dc, uint64_t now_us) {
  brtc_dc_transport *t = dc->t;
  if (dc->id < 0) dc->id = free_id(t);
  if (dc->id < 0 || (uint32_t)dc->id >= brtc_sctp_outbound_streams(t->assoc)) {
    dc->id_lost = false;
    set_closed(dc); /* no stream left for it */
    return;
  }
  if (dc->low_threshold)
    brtc_sctp_set_buffered_low_threshold(t->assoc, (uint16_t)dc->id, dc->low_threshold);
  if (!dc->negotiated) {
    uint8_t type = dc->max_retransmits >= 0   ? BRTC_DCEP_PARTIAL_REXMIT
                   : dc->max_lifetime_ms >= 0 ? BRTC_DCEP_PARTIAL_TIMED
                                              : BRTC_DCEP_RELIABLE;
    if (!dc->ordered) type |= BRTC_DCEP_UNORDERED;
    brtc_dcep_open o = {.channel_type = type,
                        .priority = dc->priority,
                        .reliability = (uint32_t)(dc->max_retransmits >= 0 ? dc->max_retransmits
                                                  : dc->max_lifetime_ms >= 0 ? dc->max_lifetime_ms
                                                                             : 0),
                        .label = (const uint8_t *)dc->label,
                        .label_len = strlen(dc->label),
                        .protocol = (const uint8_t *)dc->protocol,
                        .protocol_len = strlen(dc->protocol)};
    size_t size = brtc_dcep_open_size(&o), len = 0;
    uint8_t *msg = malloc(size);
    int err = msg ? brtc_dcep_write_open(&o, msg, size, &len) : BRTC_ERR_NOMEM;
    if (!err) err = sctp_send_on(dc, now_us, BRTC_SCTP_PPID_DCEP, false, true, msg, len);
    free(msg);
    if (err) {
      set_closed(dc);
      return;
    }
  } else {
    dc->acked = true;
  }
  dc->state = BRTC_DC_OPEN;
  push(t, BRTC_DC_EVENT_OPEN, dc, 0, NULL);
}

/* ---- the transport ---- */

int brtc_dc_transport_new(const brtc_dc_transport_config *cfg, uint64_t now_us,
                          brtc_dc_transport **out) {
  (void)now_us;
  if (!out) return BRTC_ERR_INVALID;
  brtc_dc_transport *t = calloc(1, sizeof *t);
  if (!t) return BRTC_ERR_NOMEM;
  if (cfg) t->cfg = *cfg;
  if (!t->cfg.max_channels) t->cfg.max_channels = DEFAULT_MAX_CHANNELS;
  *out = t;
  return BRTC_OK;
}

void brtc_dc_transport_free(brtc_dc_transport *t) {
  if (!t) return;
  brtc_sctp_free(t->assoc);
  for (uint32_t i = 0; i < t->n; i++) free(t->channels[i]);
  free(t->channels);
  free(t->events);
  free(t);
}

int brtc_dc_transport_start(brtc_dc_transport *t, uint64_t now_us, const brtc_dc_start *s) {
  if (t->started || t->closed) return BRTC_ERR_STATE;
  if (!s) return BRTC_ERR_INVALID;
  t->now_us = now_us;
  brtc_sctp_config c = t->cfg.sctp;
  c.local_port = s->local_port;
  c.remote_port = s->remote_port;
  c.zero_checksum = true; /* RFC 9653 6: we always run over DTLS */
  int err = brtc_sctp_new(&c, now_us, &t->assoc);
  if (err) return err;
  uint32_t max = s->remote_max_message == BRTC_DC_MAX_MESSAGE_ABSENT ? ABSENT_MAX_MESSAGE
                 : s->remote_max_message == 0                     ? UINT32_MAX
                                                                  : s->remote_max_message;
  brtc_sctp_set_max_message(t->assoc, max);
  t->started = true;
  t->dtls_client = s->dtls_client;
  return brtc_sctp_connect(t->assoc, now_us);
}

bool brtc_dc_transport_connected(const brtc_dc_transport *t) { return t->connected; }
const brtc_sctp *brtc_dc_transport_sctp(const brtc_dc_transport *t) { return t->assoc; }

size_t brtc_dc_transport_channel_count(const brtc_dc_transport *t) { return t->n; }

brtc_dc *brtc_dc_transport_channel(const brtc_dc_transport *t, size_t index) {
  return index < t->n ? t->channels[index] : NULL;
}

void brtc_dc_transport_get_stats(const brtc_dc_transport *t, brtc_dc_transport_stats *out) {
  *out = t->stats;
}

size_t brtc_dc_transport_memory(const brtc_dc_transport *t) {
  size_t m = sizeof *t + t->cap * sizeof(brtc_dc *) + t->ev_cap * sizeof(dc_event_item);
  for (uint32_t i = 0; i < t->n; i++) {
    const brtc_dc *dc = t->channels[i];
    m += sizeof *dc + strlen(dc->label) + strlen(dc->protocol) + 2;
  }
  return m + (t->assoc ? brtc_sctp_memory(t->assoc) : 0);
}

int brtc_dc_transport_handle_packet(brtc_dc_transport *t, uint64_t now_us, const uint8_t *pkt,
                                    size_t len) {
  t->now_us = now_us;
  if (!t->assoc) return BRTC_ERR_STATE;
  return brtc_sctp_handle_packet(t->assoc, now_us, pkt, len);
}

void brtc_dc_transport_handle_timeout(brtc_dc_transport *t, uint64_t now_us) {
  t->now_us = now_us;
  if (t->assoc) brtc_sctp_handle_timeout(t->assoc, now_us);
}

uint64_t brtc_dc_transport_next_deadline(const brtc_dc_transport *t) {
  return t->assoc ? brtc_sctp_next_deadline(t->assoc) : UINT64_MAX;
}

int brtc_dc_transport_poll_packet(brtc_dc_transport *t, uint64_t now_us, uint8_t *buf,
                                  size_t cap, size_t *out_len) {
  t->now_us = now_us;
  if (!t->assoc) return BRTC_ERR_AGAIN;
  return brtc_sctp_poll_packet(t->assoc, now_us, buf, cap, out_len);
}

static void close_all(brtc_dc_transport *t, int error, const char *reason) {
  for (uint32_t i = 0; i < t->n; i++) set_closed(t->channels[i]);
  if (!t->closed) {
    t->closed = true;
    t->connected = false;
    push(t, BRTC_DC_EVENT_TRANSPORT_CLOSED, NULL, error, reason);
  }
}

void brtc_dc_transport_close(brtc_dc_transport *t, uint64_t now_us) {
  if (t->closed) return;
  if (!t->assoc)
    close_all(t, BRTC_OK, "closed");
  else
    brtc_sctp_shutdown(t->assoc, now_us); /* CLOSED comes as the association's event */
}

void brtc_dc_transport_abort(brtc_dc_transport *t, uint64_t now_us, const char *reason) {
  if (t->closed) return;
  if (t->assoc)
    brtc_sctp_abort(t->assoc, now_us, reason);
  else
    close_all(t, BRTC_ERR_STATE, reason);
}

/* ---- what the association says ---- */

/* The peer opened a channel (RFC 8832 6): checked, made, acknowledged, announced. */
static void remote_open(brtc_dc_transport *t, uint64_t now_us, uint16_t sid, const uint8_t *msg,
                        size_t len) {
  brtc_dcep_open o;
  const char *refused = NULL;
  int type = brtc_dcep_parse(msg, len, &o);
  if (type == BRTC_DCEP_ACK) {
    brtc_dc *dc = find_live(t, sid);
    if (dc && !dc->remote) dc->acked = true;
    return;
  }
  if (type != BRTC_DCEP_OPEN)
    refused = "a DCEP message that does not parse";
  else if ((sid & 1) == (t->dtls_client ? 0 : 1))
    refused = "a DCEP OPEN on a stream id of our parity (RFC 8832 6)";
  else if (find_live(t, sid))
    refused = "a DCEP OPEN on a stream id in use";
  else if (t->live >= t->cfg.max_channels)
    refused = "a DCEP OPEN over the channel limit";
  brtc_dc *dc = NULL;
  if (!refused) {
    dc = channel_new(t, (const char *)o.label, o.label_len, (const char *)o.protocol,
                     o.protocol_len);
    if (!dc) refused = "out of memory for a channel";
  }
  if (refused) {
    /* 8832 6: a channel that cannot be opened is closed, by resetting its stream. */
    t->stats.dcep_errors++;
    push(t, BRTC_DC_EVENT_ERROR, NULL, BRTC_ERR_PARSE, refused);
    if (type == BRTC_DCEP_OPEN && !find_live(t, sid)) brtc_sctp_reset_streams(t->assoc, now_us, &sid, 1);
    return;
  }
  dc->id = sid;
  dc->remote = dc->acked = true;
  dc->ordered = !(o.channel_type & BRTC_DCEP_UNORDERED);
  uint8_t rel = o.channel_type & (uint8_t)~BRTC_DCEP_UNORDERED;
  int32_t value = o.reliability > INT32_MAX ? INT32_MAX : (int32_t)o.reliability;
  if (rel == BRTC_DCEP_PARTIAL_REXMIT) dc->max_retransmits = value;
  if (rel == BRTC_DCEP_PARTIAL_TIMED) dc->max_lifetime_ms = value;
  dc->priority = o.priority;
  dc->state = BRTC_DC_OPEN;
  static const uint8_t ack = BRTC_DCEP_ACK;
  sctp_send_on(dc, now_us, BRTC_SCTP_PPID_DCEP, false, true, &ack, 1);
  push(t, BRTC_DC_EVENT_CHANNEL, dc, 0, NULL);
  push(t, BRTC_DC_EVENT_OPEN, dc, 0, NULL);
}

/* Our side reset, the peer's side reset: both make a closed channel (RFC 8831 6.7). */
static void maybe_closed(brtc_dc *dc) {
  if (dc->reset_out_done && dc->reset_in_done) set_closed(dc);
}

static void request_reset(brtc_dc *dc, uint64_t now_us) {
  if (dc->reset_requested) return;
  dc->reset_requested = true;
  uint16_t sid = (uint16_t)dc->id;
  brtc_sctp_set_buffered_low_threshold(dc->t->assoc, sid, 0);
  int err = brtc_sctp_reset_streams(dc->t->assoc, now_us, &sid, 1);
  if (err) { /* no RE-CONFIG at the peer: the channel can only be forgotten */
    dc->id_lost = true;
    set_closed(dc);
  }
}

/* One association event; returns true with *out filled when it is for the owner as is. */
static bool translate(brtc_dc_transport *t, uint64_t now_us, const brtc_sctp_event *ev,
                      brtc_dc_event *out) {
  switch (ev->type) {
    case BRTC_SCTP_EVENT_CONNECTED:
      t->connected = true;
      push(t, BRTC_DC_EVENT_CONNECTED, NULL, 0, NULL);
      for (uint32_t i = 0; i < t->n; i++)
        if (t->channels[i]->state == BRTC_DC_CONNECTING) open_ours(t->channels[i], now_us);
      return false;
    case BRTC_SCTP_EVENT_RESTARTED:
      /* The peer lost every stream: every channel is gone, the association goes on. */
      for (uint32_t i = 0; i < t->n; i++) set_closed(t->channels[i]);
      return false;
    case BRTC_SCTP_EVENT_MESSAGE: {
      if (ev->ppid == BRTC_SCTP_PPID_DCEP) {
        remote_open(t, now_us, ev->stream, ev->data, ev->len);
        return false;
      }
      brtc_dc *dc = find_live(t, ev->stream);
      bool text = ev->ppid == BRTC_SCTP_PPID_STRING || ev->ppid == BRTC_SCTP_PPID_STRING_EMPTY;
      bool empty = ev->ppid == BRTC_SCTP_PPID_STRING_EMPTY || ev->ppid == BRTC_SCTP_PPID_BINARY_EMPTY;
      bool known = text || ev->ppid == BRTC_SCTP_PPID_BINARY || ev->ppid == BRTC_SCTP_PPID_BINARY_EMPTY;
      if (!dc || !known || (dc->state != BRTC_DC_OPEN && dc->state != BRTC_DC_CLOSING)) {
        t->stats.dropped_messages++;
        return false;
      }
      memset(out, 0, sizeof *out);
      out->type = BRTC_DC_EVENT_MESSAGE;
      out->channel = dc;
      out->data = ev->data;
      out->len = empty ? 0 : ev->len; /* RFC 8831 6.6: the one byte of an empty message */
      out->binary = !text;
      dc->stats.messages_received++;
      dc->stats.bytes_received += out->len;
      return true;
    }
    case BRTC_SCTP_EVENT_BUFFERED_LOW: {
      brtc_dc *dc = find_live(t, ev->stream);
      if (dc && dc->state == BRTC_DC_OPEN) push(t, BRTC_DC_EVENT_BUFFERED_LOW, dc, 0, NULL);
      return false;
    }
    case BRTC_SCTP_EVENT_INCOMING_RESET: {
      brtc_dc *dc = find_live(t, ev->stream);
      if (!dc || dc->state == BRTC_DC_CLOSED) return false;
      dc->reset_in_done = true;
      if (dc->state != BRTC_DC_CLOSING) dc->state = BRTC_DC_CLOSING;
      request_reset(dc, now_us); /* the peer closed it: we close our side too */
      maybe_closed(dc);
      return false;
    }
    case BRTC_SCTP_EVENT_OUTGOING_RESET: {
      brtc_dc *dc = find_live(t, ev->stream);
      if (!dc || dc->state == BRTC_DC_CLOSED) return false;
      dc->reset_out_done = true;
      maybe_closed(dc);
      return false;
    }
    case BRTC_SCTP_EVENT_RESET_FAILED: {
      brtc_dc *dc = find_live(t, ev->stream);
      if (!dc || dc->state == BRTC_DC_CLOSED) return false;
      dc->id_lost = true;
      set_closed(dc);
      return false;
    }
    case BRTC_SCTP_EVENT_ERROR:
      push(t, BRTC_DC_EVENT_ERROR, NULL, BRTC_ERR_STATE, ev->reason);
      return false;
    case BRTC_SCTP_EVENT_CLOSED:
      close_all(t, ev->error, ev->reason);
      return false;
    default:
      return false;
  }
}

int brtc_dc_transport_poll_event(brtc_dc_transport *t, brtc_dc_event *out) {
  for (;;) {
    if (t->ev_n) {
      dc_event_item *e = &t->events[t->ev_head];
      if (e->type == BRTC_DC_EVENT_NONE) { /* its channel was released */
        t->ev_head = (t->ev_head + 1) % t->ev_cap;
        t->ev_n--;
        continue;
      }
      memset(out, 0, sizeof *out);
      out->type = (brtc_dc_event_type)e->type;
      out->channel = e->channel;
      out->error = e->error;
      out->reason = e->reason;
      t->ev_head = (t->ev_head + 1) % t->ev_cap;
      t->ev_n--;
      return BRTC_OK;
    }
    brtc_sctp_event ev;
    if (!t->assoc || brtc_sctp_poll_event(t->assoc, &ev) != BRTC_OK) return BRTC_ERR_AGAIN;
    if (translate(t, t->now_us, &ev, out)) return BRTC_OK;
  }
}

/* ---- the owner's calls on channels ---- */

int brtc_dc_create(brtc_dc_transport *t, uint64_t now_us, const char *label,
                   const brtc_dc_init *init, brtc_dc **out) {
  t->now_us = now_us;
  brtc_dc_init d;
  if (!init) {
    brtc_dc_init_default(&d);
    init = &d;
  }
  if (!out) return BRTC_ERR_INVALID;
  *out = NULL;
  if (!label) label = "";
  const char *protocol = init->protocol ? init->protocol : "";
  size_t ll = strlen(label), pl = strlen(protocol);
  if (ll > 0xffff || pl > 0xffff || (init->max_retransmits >= 0 && init->max_packet_lifetime_ms >= 0))
    return BRTC_ERR_INVALID;
  if (init->negotiated && (init->id < 0 || init->id > 65534 || find_live(t, init->id)))
    return BRTC_ERR_INVALID;
  if (t->closed) return BRTC_ERR_STATE;
  if (t->live >= t->cfg.max_channels) return BRTC_ERR_LIMIT;
  brtc_dc *dc = channel_new(t, label, ll, protocol, pl);
  if (!dc) return BRTC_ERR_NOMEM;
  dc->ordered = init->ordered;
  dc->negotiated = init->negotiated;
  dc->id = init->negotiated ? init->id : -1;
  dc->max_retransmits = init->max_retransmits < 0 ? -1 : init->max_retransmits;
  dc->max_lifetime_ms = init->max_packet_lifetime_ms < 0 ? -1 : init->max_packet_lifetime_ms;
  dc->priority = init->priority ? init->priority : DEFAULT_PRIORITY;
  dc->state = BRTC_DC_CONNECTING;
  if (t->connected) open_ours(dc, now_us);
  *out = dc;
  return BRTC_OK;
}

int brtc_dc_send(brtc_dc *dc, uint64_t now_us, const uint8_t *data, size_t len, bool binary) {
  dc->t->now_us = now_us;
  if (dc->state != BRTC_DC_OPEN) return BRTC_ERR_STATE;
  if (!data && len) return BRTC_ERR_INVALID;
  static const uint8_t empty = 0;
  uint32_t ppid = binary ? (len ? BRTC_SCTP_PPID_BINARY : BRTC_SCTP_PPID_BINARY_EMPTY)
                         : (len ? BRTC_SCTP_PPID_STRING : BRTC_SCTP_PPID_STRING_EMPTY);
  int err = sctp_send_on(dc, now_us, ppid, !dc->ordered && dc->acked, false,
                         len ? data : &empty, len ? len : 1);
  if (err) return err;
  dc->stats.messages_sent++;
  dc->stats.bytes_sent += len;
  return BRTC_OK;
}

void brtc_dc_close(brtc_dc *dc, uint64_t now_us) {
  dc->t->now_us = now_us;
  if (dc->state == BRTC_DC_CLOSED || dc->state == BRTC_DC_CLOSING) return;
  if (dc->state == BRTC_DC_CONNECTING) { /* never reached the peer */
    set_closed(dc);
    return;
  }
  dc->state = BRTC_DC_CLOSING;
  request_reset(dc, now_us);
}

int brtc_dc_release(brtc_dc *dc) {
  if (dc->state != BRTC_DC_CLOSED) return BRTC_ERR_STATE;
  brtc_dc_transport *t = dc->t;
  if (dc->id_lost) return BRTC_OK; /* kept: it holds a stream id that can never be reused */
  for (uint32_t i = 0; i < t->n; i++)
    if (t->channels[i] == dc) {
      t->channels[i] = t->channels[--t->n];
      break;
    }
  /* An event still queued for it would point at freed memory: drop those. */
  for (uint32_t i = 0; i < t->ev_n; i++) {
    dc_event_item *e = &t->events[(t->ev_head + i) % t->ev_cap];
    if (e->channel == dc) e->type = BRTC_DC_EVENT_NONE, e->channel = NULL;
  }
  free(dc);
  return BRTC_OK;
}

brtc_dc_state brtc_dc_get_state(const brtc_dc *dc) { return dc->state; }
const char *brtc_dc_label(const brtc_dc *dc) { return dc->label; }
const char *brtc_dc_protocol(const brtc_dc *dc) { return dc->protocol; }
int32_t brtc_dc_id(const brtc_dc *dc) { return dc->id; }
bool brtc_dc_ordered(const brtc_dc *dc) { return dc->ordered; }
int32_t brtc_dc_max_retransmits(const brtc_dc *dc) { return dc->max_retransmits; }
int32_t brtc_dc_max_packet_lifetime(const brtc_dc *dc) { return dc->max_lifetime_ms; }
bool brtc_dc_negotiated(const brtc_dc *dc) { return dc->negotiated; }
uint16_t brtc_dc_priority(const brtc_dc *dc) { return dc->priority; }
void brtc_dc_set_user(brtc_dc *dc, void *user) { dc->user = user; }
void *brtc_dc_user(const brtc_dc *dc) { return dc->user; }
void brtc_dc_get_stats(const brtc_dc *dc, brtc_dc_stats *out) { *out = dc->stats; }

size_t brtc_dc_buffered_amount(const brtc_dc *dc) {
  if (!dc->t->assoc || dc->id < 0) return 0;
  return brtc_sctp_buffered_amount(dc->t->assoc, (uint16_t)dc->id);
}

size_t brtc_dc_buffered_amount_low_threshold(const brtc_dc *dc) { return dc->low_threshold; }

void brtc_dc_set_buffered_amount_low_threshold(brtc_dc *dc, size_t bytes) {
  dc->low_threshold = bytes;
  if (dc->t->assoc && dc->id >= 0 && dc->state == BRTC_DC_OPEN)
    brtc_sctp_set_buffered_low_threshold(dc->t->assoc, (uint16_t)dc->id, bytes);
}
