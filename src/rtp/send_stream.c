/* One outgoing media stream: sender, history, retransmissions, reports, keyframe requests. */
#include "rtp/send_stream.h"

#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"

#define DEFAULT_VIDEO_MAX_BPS 2500000u /* Chrome's ceiling for a 720p camera */
#define DEFAULT_AUDIO_MAX_BPS 128000u
#define HISTORY_WINDOW_US 1000000u
/* What the history keeps (send_history.h): enough round trips for a receiver's repeated NACKs
 * (libwebrtc's receiver asks up to 10 times, an RTT apart), at least a quarter second (jitter,
 * the receiver's reordering wait), at most the second it is sized for; a second until the
 * first report tells the RTT. */
#define HISTORY_KEEP_RTTS 10
#define HISTORY_KEEP_MIN_US 250000u
#define HISTORY_INITIAL_PACKETS 16 /* its arena and entries at first: one small frame */
#define DEFAULT_VIDEO_MAX_FRAME (4u * 1024 * 1024) /* the pc's (PC_DEFAULT_MAX_FRAME) */
/* A payload format's own header in each packet: VP8's descriptor at most 6 bytes (RFC 7741
 * 4.2), H.264's FU indicator and header 2 (RFC 6184 5.8). */
#define FORMAT_OVERHEAD 8
#define RESEND_BATCH 64
#define MIN_PACKET (BRTC_RTP_SENDER_MAX_HEADER + 16) /* room for some payload in any case */

/* A pacer handle: stream id, whether it is a retransmission, sequence number. */
#define HANDLE_RESEND 0x10000u

struct brtc_send_stream {
  uint32_t id;
  bool audio;
  size_t max_packet;
  brtc_rtp_sender rtp;
  brtc_send_history *history;
  bool history_keeps;       /* the stream sized it: its window follows the RTT */
  brtc_retransmitter resend;
  brtc_sender_report report;
  brtc_keyframe_request keyframe;
  bool need_keyframe;       /* a refused frame broke the decoder's chain */
  bool keyframe_in_flight;  /* the last packet of the newest keyframe has not left yet */
  uint16_t keyframe_last_seq;
  brtc_send_stream_stats stats;
};

static uint64_t handle(const brtc_send_stream *st, bool resend, uint16_t seq) {
  return (uint64_t)st->id << 32 | (resend ? HANDLE_RESEND : 0) | seq;
}

size_t brtc_send_stream_frame_packets(size_t frame_bytes, size_t max_packet) {
  size_t per = max_packet > BRTC_RTP_SENDER_MAX_HEADER + FORMAT_OVERHEAD
                   ? max_packet - BRTC_RTP_SENDER_MAX_HEADER - FORMAT_OVERHEAD
                   : 1;
  size_t full = frame_bytes / per + 1;
  return full + full / 8 + 16;
}

/* The bounds hold the largest frame beside the window it is sized for: a keyframe larger than
 * a second at a low ceiling (a Raspberry Pi's 400 KB IDR at 500 kbit/s) can still be sent and
 * NACKed. Only bounds: the arena and entries grow to them only while such a frame is kept. */
static void history_add_frame(brtc_send_history_config *hc, size_t frame_bytes) {
  size_t n = brtc_send_stream_frame_packets(frame_bytes, hc->max_packet);
  uint64_t bytes = (uint64_t)hc->max_bytes + (uint64_t)n * hc->max_packet;
  size_t packets = hc->max_packets;
  while (packets < hc->max_packets + n && packets < BRTC_SEND_HISTORY_MAX_PACKETS) packets <<= 1;
  hc->max_packets = packets;
  hc->max_bytes = bytes > UINT32_MAX ? UINT32_MAX : (size_t)bytes;
}

brtc_send_stream *brtc_send_stream_new(const brtc_send_stream_config *c, int *err) {
  int dummy;
  if (!err) err = &dummy;
  *err = BRTC_ERR_INVALID;
  if (!c) return NULL;
  size_t max_packet = c->max_packet ? c->max_packet : BRTC_SEND_STREAM_MAX_PACKET;
  if (max_packet < MIN_PACKET || max_packet > UINT16_MAX) return NULL;
  brtc_send_stream *st = calloc(1, sizeof *st);
  if (!st) {
    *err = BRTC_ERR_NOMEM;
    return NULL;
  }
  st->id = c->id;
  st->audio = c->audio;
  st->max_packet = max_packet;
  uint64_t max_bps = c->max_bitrate_bps
                         ? c->max_bitrate_bps
                         : (c->audio ? DEFAULT_AUDIO_MAX_BPS : DEFAULT_VIDEO_MAX_BPS);
  brtc_send_history_config hc = c->history;
  if (hc.max_packets == 0) {
    brtc_send_history_config_for_bitrate(&hc, max_bps, HISTORY_WINDOW_US,
                                         c->audio ? 160 : max_packet, max_packet);
    if (!c->audio) history_add_frame(&hc, c->max_frame_bytes ? c->max_frame_bytes
                                                             : DEFAULT_VIDEO_MAX_FRAME);
    hc.initial_bytes = HISTORY_INITIAL_PACKETS * max_packet;
    hc.initial_packets = HISTORY_INITIAL_PACKETS;
    hc.keep_us = HISTORY_WINDOW_US;
  }
  brtc_sender_report_config rc = {.ssrc = c->rtp.ssrc,
                                  .cname = c->cname,
                                  .audio = c->audio,
                                  .interval_us = c->report_interval_us,
                                  .ntp_offset_us = c->rtp.ntp_offset_us,
                                  .seed = c->seed};
  if ((*err = brtc_rtp_sender_init(&st->rtp, &c->rtp)) != BRTC_OK ||
      (*err = brtc_sender_report_init(&st->report, &rc)) != BRTC_OK ||
      !(st->history = brtc_send_history_new(&hc, err))) {
    brtc_send_stream_free(st);
    return NULL;
  }
  st->history_keeps = c->history.max_packets == 0;
  brtc_retransmitter_init(&st->resend, max_bps);
  brtc_keyframe_request_init(&st->keyframe, c->rtp.ssrc, c->keyframe_min_interval_us);
  *err = BRTC_OK;
  return st;
}

void brtc_send_stream_free(brtc_send_stream *st) {
  if (!st) return;
  brtc_send_history_free(st->history);
  free(st);
}

size_t brtc_send_stream_max_payload(const brtc_send_stream *st) {
  return st->max_packet - brtc_rtp_sender_header_bound(&st->rtp);
}

/* A frame cannot go: count it; a video decoder now needs a keyframe to go on. */
static int refuse(brtc_send_stream *st, uint64_t *counter, uint64_t now_us) {
  (*counter)++;
  if (!st->audio) {
    st->need_keyframe = true;
    brtc_keyframe_request_local(&st->keyframe, now_us);
  }
  return BRTC_ERR_AGAIN;
}

int brtc_send_stream_send_frame(brtc_send_stream *st, brtc_pacer *p, const brtc_send_frame *f,
                                uint64_t now_us) {
  if (!st || !p || !f || f->n == 0 || !f->payloads) return BRTC_ERR_INVALID;
  size_t header = brtc_rtp_sender_header_bound(&st->rtp), bytes = 0;
  for (size_t i = 0; i < f->n; i++) {
    if (!f->payloads[i].data || f->payloads[i].len == 0) return BRTC_ERR_INVALID;
    if (f->payloads[i].len > st->max_packet - header) return BRTC_ERR_TOO_BIG;
    bytes += header + f->payloads[i].len;
  }
  brtc_pacer_class klass = st->audio ? BRTC_PACER_AUDIO : BRTC_PACER_VIDEO;
  /* A frame the history or the pacer's queue could not hold even empty would be refused
   * forever (and keep asking for keyframes): larger than the owner said frames could be. */
  const brtc_send_history_config *hc = brtc_send_history_config_of(st->history);
  if (f->n > hc->max_packets || f->n > brtc_pacer_capacity(p, klass) ||
      bytes + hc->max_packet > hc->max_bytes)
    return BRTC_ERR_TOO_BIG;
  if (!st->audio && st->need_keyframe && !f->keyframe) {
    st->stats.frames_refused_need_key++;
    /* Renewed with every refused frame (coalesced while the owner works on it): an owner
     * whose keyframe never came is asked again, and the track cannot wait for good. */
    brtc_keyframe_request_local(&st->keyframe, now_us);
    return BRTC_ERR_AGAIN;
  }
  /* Audio is never held by the pacer, so its queue time does not concern it. */
  if (!st->audio && brtc_pacer_congested(p))
    return refuse(st, &st->stats.frames_refused_congested, now_us);
  brtc_send_history_prepare(st->history, f->n, bytes, now_us);
  if (brtc_pacer_reserve(p, klass, f->n) != BRTC_OK ||
      !brtc_send_history_room(st->history, f->n, bytes))
    return refuse(st, &st->stats.frames_refused_no_room, now_us);

  brtc_rtp_frame rf;
  brtc_rtp_sender_begin_frame(&st->rtp, f->capture_us, now_us, &rf);
  rf.audio_level = f->audio_level;
  for (size_t i = 0; i < f->n; i++) {
    int rc;
    size_t cap = header + f->payloads[i].len;
    uint8_t *slot = brtc_send_history_reserve(st->history, cap, &rc);
    if (!slot) return rc; /* room was checked: not expected */
    bool marker = st->audio ? (f->marker_first && i == 0) : i + 1 == f->n;
    brtc_rtp_written w;
    rc = brtc_rtp_sender_write(&st->rtp, &rf, marker, f->payloads[i].data, f->payloads[i].len,
                               slot, cap, &w);
    if (rc == BRTC_OK) rc = brtc_send_history_commit(st->history, &w);
    if (rc == BRTC_OK) rc = brtc_pacer_enqueue(p, klass, handle(st, false, w.seq), w.len, now_us);
    if (rc != BRTC_OK) return rc;
    if (f->keyframe && i + 1 == f->n) {
      st->keyframe_in_flight = true;
      st->keyframe_last_seq = w.seq;
    }
  }
  st->stats.frames++;
  if (f->keyframe) {
    brtc_keyframe_request_on_keyframe_queued(&st->keyframe, now_us,
                                             now_us + brtc_pacer_queue_time_us(p));
    st->stats.keyframes++;
    st->need_keyframe = false;
  }
  return BRTC_OK;
}

/* First transmission: the send-time fields are stamped into the history's copy, so that a
 * resend without RTX is the same bytes (docs/security.md). */
static int egress_media(brtc_send_stream *st, uint16_t seq, uint64_t now_us, uint16_t *twcc_seq,
                        const uint8_t **pkt, size_t *len) {
  brtc_send_history_entry *e = brtc_send_history_get(st->history, seq);
  if (!e || (e->flags & BRTC_HISTORY_SENT)) {
    st->stats.lost_before_send++;
    return BRTC_ERR_NOT_FOUND;
  }
  uint8_t *data = brtc_send_history_data(st->history, e);
  brtc_rtp_stamp_egress(data, &e->slots, now_us, twcc_seq ? *twcc_seq : 0);
  if (e->slots.twcc && twcc_seq) (*twcc_seq)++;
  brtc_send_history_mark_sent(st->history, e, now_us);
  *pkt = data;
  *len = e->len;
  brtc_rtp_sender_count(&st->rtp, BRTC_RTP_SEND_MEDIA, e->len, e->header_len, now_us);
  if (st->keyframe_in_flight && seq == st->keyframe_last_seq) {
    st->keyframe_in_flight = false;
    brtc_keyframe_request_on_keyframe_sent(&st->keyframe, now_us);
  }
  return BRTC_OK;
}

static int egress_resend(brtc_send_stream *st, uint16_t seq, uint64_t now_us, uint16_t *twcc_seq,
                         uint8_t *scratch, size_t cap, const uint8_t **pkt, size_t *len) {
  brtc_send_history_entry *e = brtc_retransmitter_take(&st->resend, st->history, seq, now_us);
  if (!e) return BRTC_ERR_NOT_FOUND;
  const uint8_t *data = brtc_send_history_data(st->history, e);
  if (!st->rtp.cfg.rtx) {
    *pkt = data;
    *len = e->len;
    brtc_rtp_sender_count(&st->rtp, BRTC_RTP_SEND_RESEND, e->len, e->header_len, now_us);
    return BRTC_OK;
  }
  brtc_rtp_written w;
  int rc = brtc_rtp_sender_write_rtx(&st->rtp, data, e->len, scratch, cap, &w);
  if (rc != BRTC_OK) return rc;
  brtc_rtp_stamp_egress(scratch, &w.slots, now_us, twcc_seq ? *twcc_seq : 0);
  if (w.slots.twcc && twcc_seq) (*twcc_seq)++;
  *pkt = scratch;
  *len = w.len;
  brtc_rtp_sender_count(&st->rtp, BRTC_RTP_SEND_RTX, w.len, w.header_len, now_us);
  return BRTC_OK;
}

int brtc_send_stream_egress(brtc_send_stream *st, const brtc_pacer_item *it, uint64_t now_us,
                            uint16_t *twcc_seq, uint8_t *scratch, size_t cap,
                            const uint8_t **pkt, size_t *len) {
  if (!st || !it || !pkt || !len || brtc_send_stream_handle_id(it->handle) != st->id)
    return BRTC_ERR_INVALID;
  uint16_t seq = (uint16_t)it->handle;
  int rc = it->handle & HANDLE_RESEND
               ? egress_resend(st, seq, now_us, twcc_seq, scratch, cap, pkt, len)
               : egress_media(st, seq, now_us, twcc_seq, pkt, len);
  if (rc == BRTC_OK) brtc_sender_report_on_media(&st->report, now_us);
  return rc;
}

/* The history's window from the smoothed round trip (only when the stream sized it). */
static void set_history_keep(brtc_send_stream *st) {
  if (!st->history_keeps) return;
  uint64_t keep = st->report.rtt.smoothed_us * HISTORY_KEEP_RTTS;
  if (keep < HISTORY_KEEP_MIN_US) keep = HISTORY_KEEP_MIN_US;
  if (keep > HISTORY_WINDOW_US) keep = HISTORY_WINDOW_US;
  brtc_send_history_set_keep(st->history, keep);
}

static void on_blocks(brtc_send_stream *st, const brtc_rtcp_packet *pk, uint64_t now_us,
                      bool *mine) {
  for (size_t i = 0; i < pk->n_blocks; i++) {
    const brtc_rtcp_report_block *b = &pk->blocks[i];
    brtc_rtp_sender_on_report_block(&st->rtp, b->ssrc);
    bool ours = b->ssrc == st->rtp.cfg.ssrc || (st->rtp.cfg.rtx && b->ssrc == st->rtp.cfg.rtx_ssrc);
    if (!ours) continue;
    *mine = true;
    st->stats.rtcp_blocks++;
    if (brtc_sender_report_on_block(&st->report, b, now_us) && st->report.rtt.samples) {
      brtc_retransmitter_set_rtt(&st->resend, st->report.rtt.last_us);
      brtc_keyframe_request_set_rtt(&st->keyframe, st->report.rtt.last_us);
      set_history_keep(st);
    }
  }
}

static void on_nack(brtc_send_stream *st, brtc_pacer *p, const brtc_rtcp_packet *pk,
                    uint64_t now_us) {
  st->stats.rtcp_nack++;
  uint16_t seqs[RESEND_BATCH];
  size_t room = brtc_pacer_room(p, BRTC_PACER_RETRANSMISSION);
  size_t n = brtc_retransmitter_on_nack(&st->resend, st->history, pk->fci, pk->fci_len, now_us,
                                        seqs, room < RESEND_BATCH ? room : RESEND_BATCH);
  for (size_t i = 0; i < n; i++) {
    const brtc_send_history_entry *e = brtc_send_history_get(st->history, seqs[i]);
    uint32_t size = e->len + (st->rtp.cfg.rtx ? BRTC_RTX_OSN_LEN : 0);
    if (brtc_pacer_enqueue(p, BRTC_PACER_RETRANSMISSION, handle(st, true, seqs[i]), size,
                           now_us) != BRTC_OK)
      brtc_retransmitter_cancel(st->history, seqs[i]);
  }
}

bool brtc_send_stream_on_rtcp(brtc_send_stream *st, brtc_pacer *p, const brtc_rtcp_packet *pk,
                              uint64_t now_us) {
  if (!st || !p || !pk) return false;
  bool mine = false;
  uint32_t ssrc = st->rtp.cfg.ssrc;
  switch (pk->type) {
  case BRTC_RTCP_SR:
  case BRTC_RTCP_RR:
    on_blocks(st, pk, now_us, &mine);
    break;
  case BRTC_RTCP_RTPFB:
    if (pk->count_or_fmt == 1 && pk->media_ssrc == ssrc) { /* RFC 4585 6.2.1 generic NACK */
      on_nack(st, p, pk, now_us);
      mine = true;
    }
    break;
  case BRTC_RTCP_PSFB:
    if (st->audio) break;
    /* Our keyframe still waits: it leaves by the time the whole queue has (an upper bound;
     * the rate may have fallen since it was queued), and it answers this request. */
    if (st->keyframe_in_flight)
      brtc_keyframe_request_still_queued(&st->keyframe, now_us + brtc_pacer_queue_time_us(p));
    if (pk->count_or_fmt == 1 && pk->media_ssrc == ssrc) { /* RFC 4585 6.3.1 PLI */
      st->stats.rtcp_pli++;
      brtc_keyframe_request_on_pli(&st->keyframe, now_us);
      mine = true;
    } else if (pk->count_or_fmt == 4) { /* RFC 5104 4.3.1 FIR: the target SSRC is in the FCI */
      uint8_t seq;
      if (brtc_rtcp_fir_seq(pk->fci, pk->fci_len, ssrc, &seq) == BRTC_OK) {
        st->stats.rtcp_fir++;
        brtc_keyframe_request_on_fir(&st->keyframe, pk->sender_ssrc, pk->fci, pk->fci_len, now_us);
        mine = true;
      }
    }
    break;
  default:
    break;
  }
  return mine;
}

bool brtc_send_stream_take_keyframe_request(brtc_send_stream *st, uint64_t now_us) {
  return brtc_keyframe_request_take(&st->keyframe, now_us);
}

uint64_t brtc_send_stream_deadline(const brtc_send_stream *st) {
  return brtc_sender_report_deadline(&st->report);
}

int brtc_send_stream_write_report(brtc_send_stream *st, uint64_t now_us,
                                  const brtc_rtcp_report_block *blocks, size_t n, bool bye,
                                  uint8_t *out, size_t cap, size_t *out_len) {
  if (!st) return BRTC_ERR_INVALID;
  if (!bye && now_us < brtc_sender_report_deadline(&st->report)) return BRTC_ERR_AGAIN;
  return brtc_sender_report_write(&st->report, &st->rtp, now_us, blocks, n, bye, out, cap,
                                  out_len);
}

void brtc_send_stream_set_max_bitrate(brtc_send_stream *st, uint64_t bps) {
  st->resend.max_bitrate_bps = bps;
}

uint32_t brtc_send_stream_ssrc(const brtc_send_stream *st) { return st->rtp.cfg.ssrc; }
const brtc_send_stream_stats *brtc_send_stream_get_stats(const brtc_send_stream *st) {
  return &st->stats;
}
const brtc_rtp_sender_counters *brtc_send_stream_counters(const brtc_send_stream *st) {
  return &st->rtp.counters;
}
const brtc_retransmit_stats *brtc_send_stream_retransmit_stats(const brtc_send_stream *st) {
  return &st->resend.stats;
}
const brtc_keyframe_request_stats *brtc_send_stream_keyframe_stats(const brtc_send_stream *st) {
  return &st->keyframe.stats;
}
const brtc_sender_report_stats *brtc_send_stream_report_stats(const brtc_send_stream *st) {
  return &st->report.stats;
}
const brtc_rtt_stats *brtc_send_stream_rtt(const brtc_send_stream *st) { return &st->report.rtt; }

size_t brtc_send_stream_memory(const brtc_send_stream *st) {
  return sizeof *st + brtc_send_history_memory(st->history);
}
