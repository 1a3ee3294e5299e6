/* Ogg Opus file -> Opus packets at 48 kHz (RFC 7845 on RFC 3533).
 *
 * The first logical stream whose beginning-of-stream page holds an OpusHead is played; other
 * streams multiplexed with it are skipped, and anything after its end-of-stream page (a
 * chained file's next link) is not read. Timestamps are the running sum of the packets' own
 * durations (RFC 6716 3.1), which is what RTP needs; granule positions are checked against
 * them (RFC 7845 4): a first page that claims fewer samples than its packets hold is refused
 * unless it is also the last (4.5), a last page may claim fewer (end trimming, 4.4), other
 * disagreements are counted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "sources/file_formats.h"
#include "sources/growbuf.h"
#include "sources/ogg.h"
#include "sources/opus_packet.h"
#include "sources/source_impl.h"

/* An Opus packet is at most 120 ms of 1275-byte frames plus framing: well under this. */
#define OPUS_PACKET_MAX 65536

typedef struct reader {
  brtc_frame_index *ix;
  brtc_file_info *info;
  brtc_growbuf out;
  bool selected, ended, partial, audio_started;
  uint32_t serial, next_seq;
  uint64_t packets;     /* completed in the stream: 0 OpusHead, 1 OpusTags, then audio */
  size_t packet_start;  /* audio: where the packet in progress starts in out */
  size_t packet_len;    /* bytes of the packet in progress */
  uint8_t tags_magic[8];
  uint64_t samples;     /* audio samples completed so far */
  char *err;
  size_t err_cap;
} reader;

/* RFC 7845 3: the ID header alone on the stream's first page, completed there. */
static int select_stream(reader *r, const brtc_ogg_page *pg, size_t at) {
  size_t n = 0;
  unsigned i = 0;
  while (i < pg->segments) {
    n += pg->lacing[i];
    if (pg->lacing[i++] < 255) break;
  }
  if (n < 8 || memcmp(pg->body, "OpusHead", 8) != 0) return 0; /* another codec's stream */
  if (i != pg->segments || pg->lacing[i - 1] == 255)
    return brtc_source_error(r->err, r->err_cap, BRTC_ERR_PARSE, "Ogg page at byte %zu: OpusHead not alone on its page", at);
  brtc_opus_head head;
  int rc = brtc_opus_head_parse(pg->body, n, &head);
  if (rc == BRTC_ERR_UNSUPPORTED)
    return brtc_source_error(r->err, r->err_cap, rc, "OpusHead: version %u, %u channels in %u streams: only one stream "
                "(mono or stereo) is played", head.version, head.channels, head.stream_count);
  if (rc < 0) return brtc_source_error(r->err, r->err_cap, rc, "Ogg page at byte %zu: broken OpusHead", at);
  r->selected = true;
  r->serial = pg->serial;
  r->next_seq = pg->sequence + 1;
  r->packets = 1;
  r->info->channels = head.channels;
  r->info->pre_skip = head.pre_skip;
  return 0;
}

static int packet_done(reader *r, size_t at) {
  uint64_t k = r->packets++;
  if (k == 1) {
    if (r->packet_len < 8 || memcmp(r->tags_magic, "OpusTags", 8) != 0)
      return brtc_source_error(r->err, r->err_cap, BRTC_ERR_PARSE, "Ogg page at byte %zu: the second packet is not OpusTags", at);
    return 0;
  }
  if (r->packet_len == 0)
    return brtc_source_error(r->err, r->err_cap, BRTC_ERR_PARSE, "Opus packet %llu is 0 bytes", (unsigned long long)(k - 2));
  unsigned samples = brtc_opus_packet_samples(r->out.p + r->packet_start, r->packet_len);
  if (!samples)
    return brtc_source_error(r->err, r->err_cap, BRTC_ERR_PARSE, "Opus packet %llu is malformed (RFC 6716 3.4)",
                (unsigned long long)(k - 2));
  int rc = brtc_frame_index_add(r->ix, r->packet_start, r->packet_len, r->samples, false);
  if (rc < 0) return brtc_source_error(r->err, r->err_cap, rc, "Opus packet %llu: out of memory", (unsigned long long)(k - 2));
  r->samples += samples;
  return 0;
}

/* The page's segments, packet by packet. */
static int read_packets(reader *r, const brtc_ogg_page *pg, size_t at, unsigned *completed) {
  const uint8_t *body = pg->body;
  for (unsigned i = 0; i < pg->segments; i++) {
    uint8_t lace = pg->lacing[i];
    if (!r->partial) {
      r->partial = true;
      r->packet_start = r->out.len;
      r->packet_len = 0;
    }
    if (r->packets == 1) { /* OpusTags: only its magic is looked at, never kept */
      for (size_t j = 0; j < lace && r->packet_len + j < 8; j++)
        r->tags_magic[r->packet_len + j] = body[j];
    } else {
      if (r->packet_len + lace > OPUS_PACKET_MAX)
        return brtc_source_error(r->err, r->err_cap, BRTC_ERR_TOO_BIG, "Ogg page at byte %zu: an Opus packet over %d bytes", at,
                    OPUS_PACKET_MAX);
      int rc = brtc_growbuf_append(&r->out, body, lace);
      if (rc < 0) return brtc_source_error(r->err, r->err_cap, rc, "out of memory");
    }
    r->packet_len += lace;
    body += lace;
    if (lace < 255) {
      r->partial = false;
      bool audio = r->packets >= 2;
      int rc = packet_done(r, at);
      if (rc < 0) return rc;
      *completed += audio;
    }
  }
  return 0;
}

static int check_granule(reader *r, const brtc_ogg_page *pg, size_t at, unsigned completed,
                         uint64_t samples_before) {
  if (!completed) return 0;
  if (pg->granule == BRTC_OGG_NO_GRANULE) {
    r->info->granule_mismatches++;
    return 0;
  }
  bool eos = pg->header_type & BRTC_OGG_EOS;
  if (!r->audio_started) {
    r->audio_started = true;
    /* 4.5: the first audio page's granule may start the stream later than 0 (a live
     * capture), never earlier, except on the last page where it trims the end. */
    if (pg->granule < r->samples) {
      if (!eos)
        return brtc_source_error(r->err, r->err_cap, BRTC_ERR_PARSE,
                    "Ogg page at byte %zu: granule %llu is less than its %llu samples", at,
                    (unsigned long long)pg->granule, (unsigned long long)r->samples);
      return 0;
    }
    r->info->start_granule = pg->granule - r->samples;
    return 0;
  }
  uint64_t expect = r->info->start_granule + r->samples;
  if (pg->granule == expect) return 0;
  if (eos && pg->granule < expect && pg->granule >= r->info->start_granule + samples_before)
    return 0; /* 4.4: end trimming within the last page's packets */
  r->info->granule_mismatches++;
  return 0;
}

static int read_pages(reader *r, const uint8_t *buf, size_t len) {
  size_t pos = 0;
  while (pos < len && !r->ended) {
    brtc_ogg_page pg;
    int rc = brtc_ogg_parse_page(buf + pos, len - pos, &pg);
    if (rc == BRTC_ERR_AGAIN) {
      r->info->truncated = true; /* cut short: play the packets that are whole */
      break;
    }
    if (rc < 0)
      return brtc_source_error(r->err, r->err_cap, rc, "Ogg page at byte %zu: bad capture pattern, version or checksum", pos);
    size_t at = pos;
    pos += pg.size;
    if (!r->selected) {
      if (!(pg.header_type & BRTC_OGG_BOS)) break; /* past the streams' first pages */
      if ((rc = select_stream(r, &pg, at)) < 0) return rc;
      continue;
    }
    if (pg.serial != r->serial) continue;
    if (pg.sequence != r->next_seq)
      return brtc_source_error(r->err, r->err_cap, BRTC_ERR_PARSE, "Ogg page at byte %zu: sequence %u, expected %u (pages lost)",
                  at, pg.sequence, r->next_seq);
    r->next_seq++;
    bool continued = pg.header_type & BRTC_OGG_CONTINUED;
    if (continued != r->partial)
      return brtc_source_error(r->err, r->err_cap, BRTC_ERR_PARSE, "Ogg page at byte %zu: continued flag disagrees with the "
                  "packet before", at);
    unsigned completed = 0;
    uint64_t before = r->samples;
    if ((rc = read_packets(r, &pg, at, &completed)) < 0) return rc;
    if ((rc = check_granule(r, &pg, at, completed, before)) < 0) return rc;
    if (pg.header_type & BRTC_OGG_EOS) r->ended = true;
  }
  if (!r->selected) return brtc_source_error(r->err, r->err_cap, BRTC_ERR_PARSE, "no Ogg Opus stream (no OpusHead)");
  if (r->partial) { /* a packet the file never finishes */
    r->out.len = r->packets >= 2 ? r->packet_start : r->out.len;
    r->info->truncated = true;
  }
  if (!r->ix->count) return brtc_source_error(r->err, r->err_cap, BRTC_ERR_PARSE, "Ogg Opus stream has no audio packets");
  return 0;
}

int brtc_ogg_opus_index(uint8_t *buf, size_t len, brtc_frame_index *ix, brtc_file_info *info,
                        char *err, size_t err_cap) {
  memset(ix, 0, sizeof(*ix));
  memset(info, 0, sizeof(*info));
  reader r = {.ix = ix, .info = info, .err = err, .err_cap = err_cap};
  int rc = read_pages(&r, buf, len);
  free(buf);
  if (rc < 0) {
    free(r.out.p);
    brtc_frame_index_free(ix);
    return rc;
  }
  ix->data = r.out.p;
  ix->data_len = r.out.len;
  ix->duration = r.samples;
  return 0;
}
