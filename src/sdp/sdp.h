/* SDP (RFC 8866) for WebRTC (RFC 8829 JSEP, RFC 8843 BUNDLE): parse an offer, write an answer.
 * Control plane: a parsed description is one allocation sized from its text (sdp_parse.c). */
#ifndef BRTC_SDP_H
#define BRTC_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BRTC_SDP_MAX_SIZE (64 * 1024)  /* larger offers are refused */
#define BRTC_SDP_MAX_MEDIA 16
#define BRTC_SDP_MAX_CODECS 32
#define BRTC_SDP_MAX_EXTMAPS 16
#define BRTC_SDP_MAX_SSRCS 8
#define BRTC_SDP_MAX_CANDIDATES 16
/* The longest value the parser takes, NUL included (a longer one fails, see brtc_sdp_parse). */
#define BRTC_SDP_TOKEN 64     /* mid, ufrag, setup, codec name, ... */
#define BRTC_SDP_LONG 256     /* ice-pwd, fmtp, extmap URI, candidate line, fingerprint */
#define BRTC_SDP_DEFAULT_SCTP_PORT 5000           /* RFC 8841 5.1 */
#define BRTC_SDP_DEFAULT_MAX_MESSAGE (256u * 1024u) /* ours, what browsers send too */

typedef enum brtc_sdp_media_kind {
  BRTC_MEDIA_AUDIO = 0,
  BRTC_MEDIA_VIDEO,
  BRTC_MEDIA_APPLICATION,
  BRTC_MEDIA_OTHER,
} brtc_sdp_media_kind;

typedef enum brtc_sdp_direction {
  BRTC_DIR_SENDRECV = 0, /* the default when absent */
  BRTC_DIR_SENDONLY,
  BRTC_DIR_RECVONLY,
  BRTC_DIR_INACTIVE,
} brtc_sdp_direction;

typedef enum brtc_sdp_setup {
  BRTC_SETUP_NONE = 0,
  BRTC_SETUP_ACTPASS,
  BRTC_SETUP_ACTIVE,
  BRTC_SETUP_PASSIVE,
} brtc_sdp_setup;

/* Strings in a parsed description are never NULL ("" when absent) and live as long as it
 * does. The offer writer's codecs and extmaps (sdp_offer.h) point at the caller's strings;
 * there a NULL fmtp is absent too. */
typedef struct brtc_sdp_codec {
  uint8_t payload_type;
  const char *name;          /* "VP8", "opus", "rtx" (as written) */
  uint32_t clock_rate;
  uint8_t channels;          /* 0 when absent */
  const char *fmtp;          /* a=fmtp parameters, "" when absent */
  bool fb_nack, fb_nack_pli, fb_ccm_fir, fb_goog_remb, fb_transport_cc;
  int apt;                   /* for rtx: associated payload type, else -1 */
} brtc_sdp_codec;

typedef struct brtc_sdp_extmap {
  uint8_t id;
  const char *uri;
} brtc_sdp_extmap;

typedef struct brtc_sdp_media {
  brtc_sdp_media_kind kind;
  const char *kind_text;          /* "video", as written */
  uint16_t port;
  const char *proto;              /* "UDP/TLS/RTP/SAVPF", "UDP/DTLS/SCTP" */
  const char *mid;
  brtc_sdp_direction direction;
  bool rtcp_mux;
  bool rtcp_rsize;
  bool bundle_only;               /* a=bundle-only (RFC 8843 6): port 0 yet part of BUNDLE */
  bool end_of_candidates;         /* a=end-of-candidates (RFC 8840 8.2): no more will come */
  const char *ice_ufrag;
  const char *ice_pwd;
  const char *fingerprint_hash;   /* "sha-256" */
  const char *fingerprint;        /* "AB:CD:..." */
  brtc_sdp_setup setup;
  brtc_sdp_codec *codecs;         /* in m-line order; room for the m= line's formats */
  size_t n_codecs;
  brtc_sdp_extmap extmaps[BRTC_SDP_MAX_EXTMAPS];
  size_t n_extmaps;
  uint32_t ssrcs[BRTC_SDP_MAX_SSRCS];
  size_t n_ssrcs;
  /* The first a=ssrc-group:FID (RFC 5576 4.2, RFC 4588 8.1): the media SSRC and its RTX
   * repair SSRC; 0, 0 when absent. */
  uint32_t fid_media_ssrc, fid_rtx_ssrc;
  const char *candidates[BRTC_SDP_MAX_CANDIDATES]; /* "candidate:..." values */
  size_t n_candidates;
  uint16_t sctp_port;             /* a=sctp-port, 0 when absent */
  uint32_t max_message_size;      /* a=max-message-size (clamped to UINT32_MAX); 0 also means
                                     "any size" when given (RFC 8841 6.1) */
  bool has_max_message_size;      /* absent means 64 KiB (RFC 8841 6.1) */
  /* The pre-RFC 8841 form (m=application <port> DTLS/SCTP <sctp port>): its a=sctpmap said
   * webrtc-datachannel for this port. */
  bool sctpmap_datachannel;
  uint16_t sctpmap_port;
  const char *first_fmt;          /* first <fmt> of the m= line, echoed when rejecting it */
} brtc_sdp_media;

typedef struct brtc_sdp {
  uint64_t session_id;
  uint64_t session_version;
  const char *bundle_mids[BRTC_SDP_MAX_MEDIA]; /* a=group:BUNDLE */
  size_t n_bundle_mids;
  bool ice_lite;
  bool end_of_candidates; /* a=end-of-candidates at session level: for every section */
  /* Session-level values; media-level ones override them per section. */
  const char *ice_ufrag;
  const char *ice_pwd;
  const char *fingerprint_hash;
  const char *fingerprint;
  brtc_sdp_setup setup;
  brtc_sdp_media *media;          /* one per m= line */
  size_t n_media;
  size_t bytes;                   /* the whole allocation: this, its sections and strings */
} brtc_sdp;

/* Parse into *out, one allocation sized by what the text holds (its m= lines, their formats,
 * the values kept), owned by the caller and freed with brtc_sdp_free; *out is NULL when
 * parsing fails. Unknown lines and attributes are ignored; structural errors fail with
 * BRTC_ERR_PARSE and a one-line reason in err (may be NULL). Lines may end in CRLF or LF.
 * Input longer than BRTC_SDP_MAX_SIZE fails with BRTC_ERR_TOO_BIG; BRTC_ERR_NOMEM.
 * Over-long values are never truncated (a cut mid, ufrag or fmtp would silently mean
 * something else): a value longer than its field fails with BRTC_ERR_PARSE and says so,
 * except a=candidate and a=extmap entries, which are dropped like entries past the
 * BRTC_SDP_MAX_* counts. Past the counts, codecs, extmaps, ssrcs, candidates and BUNDLE
 * mids are ignored; more than BRTC_SDP_MAX_MEDIA m= lines fail. Session-level extmaps
 * are ignored; a session-level direction is the default for media sections. Two sections
 * with the same a=mid fail. */
int brtc_sdp_parse(const char *text, size_t len, brtc_sdp **out, char *err, size_t err_cap);
void brtc_sdp_free(brtc_sdp *s); /* NULL is fine */

/* Effective ICE and DTLS parameters of a media section (media level, else session level). */
const char *brtc_sdp_ice_ufrag(const brtc_sdp *s, const brtc_sdp_media *m);
const char *brtc_sdp_ice_pwd(const brtc_sdp *s, const brtc_sdp_media *m);
const char *brtc_sdp_fingerprint(const brtc_sdp *s, const brtc_sdp_media *m, const char **hash);
brtc_sdp_setup brtc_sdp_setup_of(const brtc_sdp *s, const brtc_sdp_media *m);
/* Whether the section's candidates are all there (RFC 8840 8.2: a=end-of-candidates in the
 * section or at session level), for the ICE generation its ufrag names. */
bool brtc_sdp_end_of_candidates(const brtc_sdp *s, const brtc_sdp_media *m);

/* A track we send, as the answer (and an offer) describe it: RFC 8830 a=msid, RFC 5576
 * a=ssrc with its cname, and the RFC 4588 FID group when RTX goes with it. */
typedef struct brtc_sdp_send_track {
  brtc_sdp_media_kind kind;  /* BRTC_MEDIA_VIDEO or BRTC_MEDIA_AUDIO */
  const char *codec;         /* "VP8", "H264" or "opus" */
  uint32_t ssrc;
  uint32_t rtx_ssrc;         /* used only where rtx is negotiated; 0: none */
  const char *stream_id;     /* a=msid's first part (a MediaStream id); NULL: "boltrtc" */
  const char *track_id;      /* a=msid's second part; NULL: "boltrtc-video" or "-audio" */
  bool recv;                 /* we also receive on it: sendrecv when the offer sends */
  /* The section it was negotiated on (a later offer, JSEP 5.3.1: a transceiver keeps its
   * m-section): it goes there or nowhere, and no other track takes that section. NULL or
   * "": not placed yet. */
  const char *mid;
} brtc_sdp_send_track;

/* Appends one media section's send attributes at out + *len (cap bytes in all), each line
 * ending in CRLF: a=msid, a=ssrc-group:FID when rtx (and t->rtx_ssrc) are given, and a=ssrc
 * cname and msid for each SSRC. For the answer writer and the offer writer alike; the
 * direction line is the caller's. BRTC_ERR_TOO_BIG (and *len unchanged) if it does not fit,
 * BRTC_ERR_INVALID for an SSRC of 0 or a cname or id that is not a token. */
int brtc_sdp_write_send_attributes(const brtc_sdp_send_track *t, const char *cname, bool rtx,
                                   char *out, size_t cap, size_t *len);

/* What we answer with. */
typedef struct brtc_sdp_answer_params {
  const char *ice_ufrag;
  const char *ice_pwd;
  const char *fingerprint_sha256;   /* "AB:CD:..." */
  brtc_sdp_setup setup;             /* ACTIVE or PASSIVE */
  const char *const *candidates;    /* full "candidate:..." values, for every m-section */
  size_t n_candidates;
  bool more_candidates;             /* gathering goes on (trickle): no a=end-of-candidates */
  bool ice_lite;
  bool accept_video;                /* VP8 */
  bool accept_audio;                /* Opus */
  bool send_video;                  /* we also send video (device use) */
  uint32_t video_ssrc;              /* when send_video */
  const char *cname;
  /* Added: */
  uint64_t session_id;              /* o= session id; 0 = pick a random one */
  uint64_t session_version;         /* o= session version */
  bool transport_cc;                /* echo transport-wide-cc ext + rtcp-fb transport-cc */
  /* The bitrate a libwebrtc sender starts its VP8 encoder at (a=fmtp x-google-start-bitrate,
   * in kbps; its own default is ~300, a blurry first keyframe); 0 = say nothing. */
  uint32_t video_start_bitrate_kbps;
  /* The most it may send (a=fmtp x-google-max-bitrate, kbps; libwebrtc's own ceiling is
   * 2500 above 960x540, too low for a sharp 1080p keyframe); 0 = say nothing. */
  uint32_t video_max_bitrate_kbps;
  /* Data channels (RFC 8841): accept one `m=application ... UDP/DTLS/SCTP webrtc-datachannel`
   * section, answered with a=sctp-port and a=max-message-size. Off: it is rejected (port 0). */
  bool accept_data;
  uint16_t sctp_port;               /* ours; 0 = 5000 (RFC 8841 5) */
  uint32_t max_message_size;        /* what we receive; 0 = 262144 */
  /* Tracks we send. Each takes the first accepted section, in offer order, of its kind that
   * can receive (recvonly or sendrecv) and offers its codec and no other track took; that
   * section answers with the track's codec (and rtx when offered), sendonly or sendrecv,
   * and its send attributes. A track no section fits is left out (neg says which took). */
  const brtc_sdp_send_track *send_tracks;
  size_t n_send_tracks;
} brtc_sdp_answer_params;

/* What the answer negotiated, per offered m-section (same index as offer->media). */
typedef struct brtc_sdp_negotiated {
  bool accepted;                    /* false: answered with port 0 */
  int payload_type;                 /* chosen codec, -1 if none */
  int rtx_payload_type;             /* -1 if none */
  char codec[BRTC_SDP_TOKEN];
  uint32_t clock_rate;
  brtc_sdp_media_kind kind;
  char mid[BRTC_SDP_TOKEN];
  uint8_t ext_mid, ext_abs_send_time, ext_transport_cc; /* negotiated header ext ids, 0 = none */
  int send_track;                   /* index in params' send_tracks sent here, -1 if none */
  bool we_send, we_receive;         /* the answer's direction, from our side */
} brtc_sdp_negotiated;

/* Write the answer to an offer: BUNDLE on all accepted sections, rtcp-mux, mid, ICE
 * ufrag/pwd, fingerprint, setup; VP8 (with its rtx) for video, Opus for audio, the offered
 * header extensions we understand; everything else port 0. Returns BRTC_OK,
 * BRTC_ERR_UNSUPPORTED (nothing acceptable, or a=setup conflicts with p->setup; reason in
 * err), or BRTC_ERR_TOO_BIG. Also BRTC_ERR_PARSE when a section we would accept lacks
 * ice-ufrag, ice-pwd, a sha-256 fingerprint or a=setup, and BRTC_ERR_INVALID for bad params.
 * A section is accepted only if it has a=mid and a=rtcp-mux, a non-zero port (or port 0 with
 * a=bundle-only, RFC 8843 7.3.3), proto UDP/TLS/RTP/SAVPF (or RTP/SAVPF), and is in the
 * offer's BUNDLE group (when the offer has one; without one, only the first acceptable
 * section is, and no group is written). A rejected section keeps port 0, a=mid, and the
 * transport attributes (ICE, fingerprint, setup): RFC 8843 does not need them there, but
 * GStreamer's webrtcbin refuses an answer with any section that lacks a=fingerprint.
 * With accept_data, the first `m=application` section with proto UDP/DTLS/SCTP and format
 * webrtc-datachannel (RFC 8841 4; the old "DTLS/SCTP 5000" form is refused), a=mid, a
 * non-zero port (or bundle-only) and in the BUNDLE group is accepted too: neg says
 * BRTC_MEDIA_APPLICATION with payload_type -1; a=rtcp-mux is not asked of it. */
int brtc_sdp_write_answer(const brtc_sdp *offer, const brtc_sdp_answer_params *p, char *out,
                          size_t cap, brtc_sdp_negotiated *neg /* n_media entries */, char *err,
                          size_t err_cap);

#endif
