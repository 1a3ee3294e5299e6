/* RTP and RTCP from Chromium 156, captured after SRTP unprotect (fixtures/README.md): every
 * packet parses, carries the header extensions our answer negotiated with the right values,
 * writes back to the same bytes, and the streams are continuous; every RTCP compound parses
 * as SR + SDES with the offer's CNAME. */
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "rtp/packet_fixture.h"
#include "rtp/rtcp.h"
#include "rtp/rtp.h"
#include "sdp/sdp.h"
#include "testing.h"

#define URI_MID "urn:ietf:params:rtp-hdrext:sdes:mid"
#define URI_ABS_SEND_TIME "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"

/* What the fixtures' negotiation says about one m-section. */
typedef struct section {
  char mid[BRTC_SDP_TOKEN];
  uint8_t payload_type;
  uint32_t ssrc, rtx_ssrc;   /* from the offer's a=ssrc lines (rtx: the FID group's second) */
  uint8_t ext_mid, ext_abs;  /* ids in our answer, 0 if absent */
  uint8_t allowed[16];       /* every id the answer accepted for this section */
  size_t n_allowed;
} section;

static section video_sec, audio_sec;
static char cname[64];

static const brtc_sdp_media *find_kind(const brtc_sdp *s, brtc_sdp_media_kind kind) {
  for (size_t i = 0; i < s->n_media; i++)
    if (s->media[i].kind == kind && s->media[i].port != 0) return &s->media[i];
  return NULL;
}

static bool load_section(const brtc_sdp *offer, const brtc_sdp *answer, brtc_sdp_media_kind kind,
                         section *out) {
  const brtc_sdp_media *a = find_kind(answer, kind), *o = find_kind(offer, kind);
  if (!a || !o || a->n_codecs == 0 || o->n_ssrcs == 0) return false;
  memset(out, 0, sizeof(*out));
  snprintf(out->mid, sizeof(out->mid), "%s", a->mid);
  out->payload_type = a->codecs[0].payload_type;
  out->ssrc = o->ssrcs[0];
  if (o->n_ssrcs > 1) out->rtx_ssrc = o->ssrcs[1];
  for (size_t i = 0; i < a->n_extmaps && out->n_allowed < 16; i++) {
    const brtc_sdp_extmap *e = &a->extmaps[i];
    out->allowed[out->n_allowed++] = e->id;
    if (strcmp(e->uri, URI_MID) == 0) out->ext_mid = e->id;
    if (strcmp(e->uri, URI_ABS_SEND_TIME) == 0) out->ext_abs = e->id;
  }
  return true;
}

static bool load_negotiation(void) {
  size_t offer_len = 0, answer_len = 0;
  char *offer_text = (char *)fixture_read_file("chrome_offer.sdp", &offer_len);
  char *answer_text = (char *)fixture_read_file("boltrtc_answer.sdp", &answer_len);
  brtc_sdp *offer = NULL, *answer = NULL;
  bool ok = offer_text && answer_text &&
            brtc_sdp_parse(offer_text, offer_len, &offer, NULL, 0) == BRTC_OK &&
            brtc_sdp_parse(answer_text, answer_len, &answer, NULL, 0) == BRTC_OK &&
            load_section(offer, answer, BRTC_MEDIA_VIDEO, &video_sec) &&
            load_section(offer, answer, BRTC_MEDIA_AUDIO, &audio_sec);
  const char *c = offer_text ? strstr(offer_text, " cname:") : NULL;
  if (ok && c) {
    c += strlen(" cname:");
    size_t n = strcspn(c, "\r\n");
    if (n < sizeof(cname)) memcpy(cname, c, n), cname[n] = '\0';
  }
  free(offer_text);
  free(answer_text);
  brtc_sdp_free(offer);
  brtc_sdp_free(answer);
  return ok && cname[0];
}

static void test_negotiation(void) {
  /* What the README says; the tests below take their values from the SDP itself. */
  CHECK_EQ_INT(video_sec.payload_type, 96);
  CHECK_EQ_INT(audio_sec.payload_type, 111);
  CHECK_STR(video_sec.mid, "1");
  CHECK_STR(audio_sec.mid, "0");
  CHECK_EQ_INT(video_sec.ext_mid, 4);
  CHECK_EQ_INT(video_sec.ext_abs, 2);
  CHECK_EQ_INT(audio_sec.ext_mid, 4);
  CHECK(video_sec.rtx_ssrc != 0);
}

static bool allowed(const section *s, uint8_t id) {
  for (size_t i = 0; i < s->n_allowed; i++)
    if (s->allowed[i] == id) return true;
  return false;
}

typedef struct stream_report {
  size_t packets, gaps, frames, markers, bad_ext, rewrite_mismatch;
  size_t with_mid, mid_after_stop;
} stream_report;

/* Checks one captured RTP stream of section s; clock_step > 0 asks that timestamps advance
 * by multiples of it (Opus: 960 per 20 ms). */
static stream_report check_stream(const packet_fixture *f, const section *s, uint32_t ssrc,
                                  uint8_t payload_type, uint32_t clock_step) {
  stream_report r = {0};
  uint16_t prev_seq = 0;
  uint32_t prev_ts = 0, prev_abs = 0;
  bool prev_marker = false;
  for (size_t i = 0; i < f->n; i++) {
    brtc_rtp_header h;
    if (brtc_rtp_parse(f->pkt[i], f->len[i], &h) != BRTC_OK) {
      fprintf(stderr, "  packet %zu does not parse\n", i);
      CHECK(false);
      continue;
    }
    r.packets++;
    CHECK_EQ_INT(h.version, 2);
    CHECK_EQ_INT(h.payload_type, payload_type);
    CHECK_EQ_INT(h.ssrc, ssrc);
    CHECK_EQ_INT(h.csrc_count, 0);
    CHECK(h.extension);
    CHECK_EQ_INT(h.ext_profile, 0xBEDE); /* one-byte header extensions (RFC 8285) */
    CHECK(h.payload_len > 0 || h.padding);
    /* Only ids our answer accepted, and the values they must have. */
    for (size_t e = 0; e < h.n_ext; e++)
      if (!allowed(s, h.ext[e].id)) r.bad_ext++;
    /* libwebrtc sends the mid until a receiver report acknowledges the stream, then never
     * again: the first packets carry it, the rest do not. */
    const brtc_rtp_ext *mid = brtc_rtp_find_ext(&h, s->ext_mid);
    if (mid) {
      CHECK(mid->len == strlen(s->mid) && memcmp(mid->data, s->mid, mid->len) == 0);
      if (r.with_mid < i) r.mid_after_stop++;
      r.with_mid++;
    }
    const brtc_rtp_ext *abs = brtc_rtp_find_ext(&h, s->ext_abs);
    CHECK(abs != NULL && abs->len == 3);
    /* abs-send-time: 6.18 fixed-point seconds, 24 bits; a capture of seconds never goes
     * back (mod 2^24). */
    uint32_t abs_time = abs ? (uint32_t)abs->data[0] << 16 | abs->data[1] << 8 | abs->data[2] : 0;
    if (i > 0) {
      if ((uint16_t)(prev_seq + 1) != h.sequence) r.gaps++;
      uint32_t dts = h.timestamp - prev_ts;
      CHECK(dts < 0x80000000u); /* never backwards */
      if (dts != 0) r.frames++;
      /* Video: the marker is on the last packet of a frame, and only there. */
      if (clock_step == 0) CHECK_EQ_INT(prev_marker, dts != 0);
      if (clock_step) CHECK(dts % clock_step == 0 && dts > 0);
      CHECK(((abs_time - prev_abs) & 0xFFFFFF) < 0x800000);
    } else {
      r.frames = 1;
    }
    if (h.marker) r.markers++;
    prev_seq = h.sequence;
    prev_ts = h.timestamp;
    prev_abs = abs_time;
    prev_marker = h.marker;
    /* Our writer puts the same header back together, byte for byte. */
    if (!h.padding) {
      uint8_t out[1600];
      size_t out_len = 0;
      if (brtc_rtp_write(&h, h.payload, h.payload_len, out, sizeof(out), &out_len) != BRTC_OK ||
          out_len != f->len[i] || memcmp(out, f->pkt[i], out_len) != 0)
        r.rewrite_mismatch++;
    }
  }
  CHECK_EQ_INT(r.bad_ext, 0);
  CHECK_EQ_INT(r.rewrite_mismatch, 0);
  CHECK(r.with_mid > 0);
  CHECK(r.with_mid < r.packets); /* our receiver reports went out within the capture */
  CHECK_EQ_INT(r.mid_after_stop, 0);
  return r;
}

static void test_video_rtp(void) {
  packet_fixture f;
  CHECK(packet_fixture_load(&f, "chrome_rtp_video.bin"));
  CHECK_EQ_INT(f.n, 154);
  stream_report r = check_stream(&f, &video_sec, video_sec.ssrc, video_sec.payload_type, 0);
  CHECK_EQ_INT(r.packets, 154);
  CHECK_EQ_INT(r.gaps, 0); /* loopback: no known gaps in this capture */
  CHECK_EQ_INT(r.frames, 47);
  CHECK_EQ_INT(r.markers, 47); /* the fixture holds whole frames only */
  fprintf(stderr, "  video: %zu packets (the first %zu with the mid), %zu frames\n", r.packets,
          r.with_mid, r.frames);
  packet_fixture_free(&f);
}

static void test_audio_rtp(void) {
  packet_fixture f;
  CHECK(packet_fixture_load(&f, "chrome_rtp_audio.bin"));
  CHECK_EQ_INT(f.n, 100);
  stream_report r = check_stream(&f, &audio_sec, audio_sec.ssrc, audio_sec.payload_type, 960);
  CHECK_EQ_INT(r.packets, 100);
  CHECK_EQ_INT(r.gaps, 0);
  packet_fixture_free(&f);
}

/* RFC 4588: RTX on its own SSRC and payload type; a probe is padding only, or an original
 * sequence number and the packet it resends. */
static void test_rtx_rtp(void) {
  packet_fixture f;
  CHECK(packet_fixture_load(&f, "chrome_rtp_rtx.bin"));
  CHECK(f.n >= 1);
  size_t padding_only = 0, resends = 0;
  for (size_t i = 0; i < f.n; i++) {
    brtc_rtp_header h;
    CHECK_EQ_INT(brtc_rtp_parse(f.pkt[i], f.len[i], &h), BRTC_OK);
    CHECK_EQ_INT(h.ssrc, video_sec.rtx_ssrc);
    CHECK_EQ_INT(h.payload_type, 97);
    if (h.payload_len == 0) {
      CHECK(h.padding && h.padding_len > 0);
      CHECK_EQ_INT(h.header_len + h.padding_len, f.len[i]);
      padding_only++;
    } else {
      CHECK(h.payload_len > 2);
      resends++;
    }
  }
  fprintf(stderr, "  rtx: %zu padding-only probes, %zu resends\n", padding_only, resends);
  CHECK_EQ_INT(padding_only + resends, f.n);
  packet_fixture_free(&f);
}

typedef struct rtcp_tally {
  size_t sr, sdes, other;
  size_t sr_video, sr_audio;
  size_t cname_ok, cname_bad;
  uint32_t last_video_packets;
  size_t video_packets_backwards;
} rtcp_tally;

/* SDES (RFC 3550 6.5): chunks of an SSRC and items (type, length, text) ended by a zero. */
static void check_sdes(const brtc_rtcp_packet *p, rtcp_tally *t) {
  size_t pos = 4;
  for (unsigned chunk = 0; chunk < p->count_or_fmt; chunk++) {
    if (pos + 4 > p->len) {
      t->cname_bad++;
      return;
    }
    uint32_t ssrc = (uint32_t)p->data[pos] << 24 | (uint32_t)p->data[pos + 1] << 16 |
                    (uint32_t)p->data[pos + 2] << 8 | p->data[pos + 3];
    pos += 4;
    bool known = ssrc == video_sec.ssrc || ssrc == audio_sec.ssrc;
    while (pos < p->len && p->data[pos] != 0) {
      if (pos + 2 > p->len || pos + 2 + p->data[pos + 1] > p->len) {
        t->cname_bad++;
        return;
      }
      uint8_t type = p->data[pos], len = p->data[pos + 1];
      if (type == 1) {
        bool same = known && len == strlen(cname) && memcmp(p->data + pos + 2, cname, len) == 0;
        same ? t->cname_ok++ : t->cname_bad++;
      }
      pos += 2 + (size_t)len;
    }
    pos = (pos + 4) & ~(size_t)3; /* the zero item and padding to the next word */
  }
}

static void on_rtcp(const brtc_rtcp_packet *p, void *user) {
  rtcp_tally *t = user;
  if (p->type == BRTC_RTCP_SR) {
    t->sr++;
    CHECK(p->ntp != 0);
    if (p->sender_ssrc == video_sec.ssrc) {
      t->sr_video++;
      if (p->packet_count < t->last_video_packets) t->video_packets_backwards++;
      t->last_video_packets = p->packet_count;
    } else if (p->sender_ssrc == audio_sec.ssrc) {
      t->sr_audio++;
    }
  } else if (p->type == BRTC_RTCP_SDES) {
    t->sdes++;
    check_sdes(p, t);
  } else {
    t->other++;
  }
}

static void test_rtcp(void) {
  packet_fixture f;
  CHECK(packet_fixture_load(&f, "chrome_rtcp.bin"));
  CHECK(f.n >= 2);
  rtcp_tally t = {0};
  for (size_t i = 0; i < f.n; i++) {
    CHECK(brtc_rtp_is_rtcp(f.pkt[i], f.len[i]));
    size_t before = t.sr + t.sdes;
    CHECK_EQ_INT(brtc_rtcp_parse(f.pkt[i], f.len[i], on_rtcp, &t), BRTC_OK);
    CHECK_EQ_INT(t.sr + t.sdes, before + 2); /* each compound: SR then SDES */
    CHECK_EQ_INT(f.pkt[i][1], BRTC_RTCP_SR);
  }
  fprintf(stderr, "  rtcp: %zu compounds, %zu SR (video %zu, audio %zu), %zu SDES, %zu other\n",
          f.n, t.sr, t.sr_video, t.sr_audio, t.sdes, t.other);
  CHECK_EQ_INT(t.sr, f.n);
  CHECK_EQ_INT(t.sr_video + t.sr_audio, t.sr);
  CHECK(t.sr_video >= 1 && t.sr_audio >= 1);
  CHECK_EQ_INT(t.sdes, f.n);
  CHECK_EQ_INT(t.cname_ok, f.n);
  CHECK_EQ_INT(t.cname_bad, 0);
  CHECK_EQ_INT(t.other, 0); /* no REMB or transport-cc from a sendonly Chromium */
  CHECK_EQ_INT(t.video_packets_backwards, 0);
  /* Any cut of a real compound fails, never reads past its end. */
  for (size_t i = 0; i < f.n; i++)
    for (size_t cut = 1; cut < f.len[i]; cut++) {
      rtcp_tally ignored = {0};
      int rc = brtc_rtcp_parse(f.pkt[i], cut, on_rtcp, &ignored);
      if (cut % 4 != 0) CHECK_EQ_INT(rc, BRTC_ERR_PARSE);
    }
  packet_fixture_free(&f);
}

/* Every prefix of every real packet parses or fails cleanly (ASan builds check the bounds). */
static void test_truncated_rtp(void) {
  packet_fixture f;
  CHECK(packet_fixture_load(&f, "chrome_rtp_audio.bin"));
  size_t ok_short = 0;
  for (size_t i = 0; i < f.n && i < 20; i++)
    for (size_t cut = 0; cut < f.len[i]; cut++) {
      brtc_rtp_header h;
      int rc = brtc_rtp_parse(f.pkt[i], cut, &h);
      if (cut < 12 + 4 + 8) CHECK_EQ_INT(rc, BRTC_ERR_PARSE); /* header + extension block */
      else if (rc == BRTC_OK) ok_short++;
    }
  CHECK(ok_short > 0);
  packet_fixture_free(&f);
}

int main(void) {
  bool negotiated = load_negotiation();
  CHECK(negotiated);
  if (!negotiated) return TEST_REPORT();
  RUN(test_negotiation);
  RUN(test_video_rtp);
  RUN(test_audio_rtp);
  RUN(test_rtx_rtp);
  RUN(test_rtcp);
  RUN(test_truncated_rtp);
  return TEST_REPORT();
}
