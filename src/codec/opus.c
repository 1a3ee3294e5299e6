/* Opus packets (RFC 6716 3.1-3.4) and their RTP timestamps (RFC 7587). */
#include "codec/opus.h"

#include <string.h>

#include "boltrtc/error.h"
#include "common/bytes.h"

/* RFC 6716 Table 2: configs 0-11 SILK (10/20/40/60 ms), 12-15 hybrid (10/20 ms),
 * 16-31 CELT (2.5/5/10/20 ms). */
uint16_t brtc_opus_frame_samples(uint8_t toc) {
  uint8_t config = toc >> 3;
  static const uint16_t silk[4] = {480, 960, 1920, 2880};
  static const uint16_t hybrid[2] = {480, 960};
  static const uint16_t celt[4] = {120, 240, 480, 960};
  if (config < 12) return silk[config & 3];
  if (config < 16) return hybrid[config & 1];
  return celt[config & 3];
}

static void describe_toc(uint8_t toc, brtc_opus_packet *o) {
  uint8_t c = toc >> 3;
  o->config = c;
  o->stereo = (toc & 0x04) != 0;
  o->code = toc & 0x03;
  o->frame_samples = brtc_opus_frame_samples(toc);
  if (c < 12) {
    o->mode = BRTC_OPUS_SILK;
    o->bandwidth = (brtc_opus_bandwidth)(c / 4); /* NB, MB, WB */
  } else if (c < 16) {
    o->mode = BRTC_OPUS_HYBRID;
    o->bandwidth = c < 14 ? BRTC_OPUS_SWB : BRTC_OPUS_FB;
  } else {
    static const brtc_opus_bandwidth celt[4] = {BRTC_OPUS_NB, BRTC_OPUS_WB, BRTC_OPUS_SWB,
                                                BRTC_OPUS_FB};
    o->mode = BRTC_OPUS_CELT;
    o->bandwidth = celt[(c - 16) / 4];
  }
}

/* A frame length of 3.2.1: one byte 0..251, or two bytes 252..1275. */
static bool read_length(const uint8_t *p, size_t len, size_t *off, size_t *out) {
  if (*off >= len) return false;
  uint8_t b0 = p[(*off)++];
  if (b0 < 252) {
    *out = b0;
    return true;
  }
  if (*off >= len) return false;
  *out = b0 + 4u * p[(*off)++];
  return true;
}

static void set_frames(brtc_opus_packet *o, size_t count, size_t off, const size_t *sizes) {
  o->frames = (uint8_t)count;
  bool all_empty = true;
  for (size_t i = 0; i < count; i++) {
    o->frame_offset[i] = (uint16_t)off;
    o->frame_len[i] = (uint16_t)sizes[i];
    off += sizes[i];
    if (sizes[i]) all_empty = false;
  }
  o->dtx = all_empty;
  o->duration = (uint32_t)count * o->frame_samples;
}

/* Code 3 (3.2.5): frame count byte, padding, then CBR or VBR frame lengths. */
static int parse_code3(const uint8_t *p, size_t len, brtc_opus_packet *o) {
  if (len < 2) return BRTC_ERR_PARSE;
  uint8_t fc = p[1];
  size_t m = fc & 0x3F;
  o->vbr = (fc & 0x80) != 0;
  if (m == 0 || m * o->frame_samples > BRTC_OPUS_MAX_DURATION) return BRTC_ERR_PARSE; /* R5 */
  size_t off = 2, padding = 0;
  if (fc & 0x40) {
    /* Each 255 means 254 bytes of padding and another length byte. */
    for (;;) {
      if (off >= len) return BRTC_ERR_PARSE;
      uint8_t b = p[off++];
      padding += b == 255 ? 254 : b;
      if (b != 255) break;
    }
  }
  if (padding > len - off) return BRTC_ERR_PARSE; /* R6, R7 */
  size_t end = len - padding, sizes[BRTC_OPUS_MAX_FRAMES];
  o->padding = padding;
  if (!o->vbr) {
    size_t body = end - off;
    if (body % m != 0 || body / m > BRTC_OPUS_MAX_FRAME_BYTES) return BRTC_ERR_PARSE; /* R6 */
    for (size_t i = 0; i < m; i++) sizes[i] = body / m;
  } else {
    size_t used = 0;
    for (size_t i = 0; i + 1 < m; i++) {
      if (!read_length(p, end, &off, &sizes[i]) || sizes[i] > BRTC_OPUS_MAX_FRAME_BYTES)
        return BRTC_ERR_PARSE;
      used += sizes[i];
    }
    if (off > end || used > end - off) return BRTC_ERR_PARSE; /* R7 */
    sizes[m - 1] = end - off - used;
    if (sizes[m - 1] > BRTC_OPUS_MAX_FRAME_BYTES) return BRTC_ERR_PARSE;
  }
  set_frames(o, m, off, sizes);
  return BRTC_OK;
}

int brtc_opus_parse(const uint8_t *p, size_t len, brtc_opus_packet *out) {
  if (!out || (len && !p)) return BRTC_ERR_INVALID;
  memset(out, 0, sizeof(*out));
  if (len < 1) return BRTC_ERR_PARSE; /* R1 */
  if (len > UINT16_MAX) return BRTC_ERR_PARSE;
  describe_toc(p[0], out);
  size_t sizes[2];
  switch (out->code) {
  case 0: /* one frame (3.2.2) */
    sizes[0] = len - 1;
    if (sizes[0] > BRTC_OPUS_MAX_FRAME_BYTES) return BRTC_ERR_PARSE; /* R2 */
    set_frames(out, 1, 1, sizes);
    return BRTC_OK;
  case 1: /* two frames of equal size (3.2.3) */
    if ((len - 1) % 2 != 0 || (len - 1) / 2 > BRTC_OPUS_MAX_FRAME_BYTES) return BRTC_ERR_PARSE;
    sizes[0] = sizes[1] = (len - 1) / 2;
    set_frames(out, 2, 1, sizes);
    return BRTC_OK;
  case 2: { /* two frames, the first's length coded (3.2.4) */
    size_t off = 1;
    out->vbr = true;
    if (!read_length(p, len, &off, &sizes[0]) || sizes[0] > len - off) return BRTC_ERR_PARSE;
    sizes[1] = len - off - sizes[0];
    if (sizes[0] > BRTC_OPUS_MAX_FRAME_BYTES || sizes[1] > BRTC_OPUS_MAX_FRAME_BYTES)
      return BRTC_ERR_PARSE;
    set_frames(out, 2, off, sizes);
    return BRTC_OK;
  }
  default:
    return parse_code3(p, len, out);
  }
}

int brtc_opus_sender_stamp(brtc_opus_sender *s, const uint8_t *opus, size_t len, uint32_t *ts) {
  if (!s || !ts) return BRTC_ERR_INVALID;
  brtc_opus_packet pk;
  int rc = brtc_opus_parse(opus, len, &pk);
  if (rc != BRTC_OK) return rc;
  *ts = s->next_timestamp;
  s->next_timestamp += pk.duration;
  return BRTC_OK;
}

void brtc_opus_sender_skip(brtc_opus_sender *s, uint32_t samples) {
  if (s) s->next_timestamp += samples;
}

int brtc_opus_receiver_push(brtc_opus_receiver *r, const brtc_rtp_header *h,
                            brtc_opus_packet *out) {
  if (!r || !h || !out || (h->payload_len && !h->payload)) return BRTC_ERR_INVALID;
  r->stats.packets++;
  if (r->started && brtc_seq_diff(h->sequence, r->last_seq) <= 0) {
    r->stats.late++;
    return BRTC_ERR_AGAIN;
  }
  if (h->payload_len == 0) {
    r->stats.empty++;
    return BRTC_ERR_AGAIN;
  }
  if (brtc_opus_parse(h->payload, h->payload_len, out) != BRTC_OK) {
    r->stats.bad++;
    return BRTC_ERR_PARSE;
  }
  if (out->dtx) r->stats.dtx++;
  if (r->started) {
    int gap = brtc_seq_diff(h->sequence, r->last_seq) - 1;
    int32_t moved = (int32_t)(h->timestamp - r->expected_timestamp);
    r->stats.lost += (uint64_t)gap;
    if (moved < 0)
      r->stats.timestamp_errors++;
    else if (moved > 0 && gap == 0)
      r->stats.silence_gaps++;
  }
  r->started = true;
  r->last_seq = h->sequence;
  r->expected_timestamp = h->timestamp + out->duration;
  return BRTC_OK;
}
