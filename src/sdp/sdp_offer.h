/* SDP for the offerer (RFC 8829 JSEP 5.2 and 5.3.1 seen from the offer's side): write an
 * offer from a list of sections, then check the answer against it. Control plane, no
 * allocation: the caller owns every string it passes; results point into the parsed answer. */
#ifndef BRTC_SDP_OFFER_H
#define BRTC_SDP_OFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sdp/sdp.h"

#define BRTC_SDP_PROTO_RTP "UDP/TLS/RTP/SAVPF"  /* RFC 5764 8 */
#define BRTC_SDP_PROTO_DATA "UDP/DTLS/SCTP"     /* RFC 8841 4.1 */

/* One m-section we offer. Audio and video come from tracks, application from data
 * channels; each says what it is and which way it goes, so that new kinds slot in. */
typedef struct brtc_sdp_offer_section {
  brtc_sdp_media_kind kind;      /* AUDIO, VIDEO or APPLICATION */
  const char *mid;               /* a token, unique in the offer */
  brtc_sdp_direction direction;  /* audio, video: as seen from us */
  /* Audio, video: the codecs, most preferred first, written as given (rtpmap, fmtp, the
   * rtcp-fb flags); an "rtx" entry names its codec in apt (RFC 4588 8.1). */
  const brtc_sdp_codec *codecs;
  size_t n_codecs;
  const brtc_sdp_extmap *extmaps; /* RTP header extensions (RFC 8285) */
  size_t n_extmaps;
  /* When we send on it: our SSRC, and its RTX SSRC (0: none), with a=msid (NULL: "boltrtc"
   * and "boltrtc-<mid>"). 0: we send nothing yet. */
  uint32_t ssrc, rtx_ssrc;
  const char *msid_stream, *msid_track;
  /* Application (RFC 8841 5, 6): our SCTP port (0: 5000) and the largest message we take
   * (0: 262144). */
  uint16_t sctp_port;
  uint32_t max_message_size;
  /* A stopped section in a later offer (RFC 8829 5.2.2, RFC 3264 8.2): port 0, its mid,
   * a=inactive, outside the BUNDLE group; the answer must reject it too. Audio and video
   * only; its first codec names the m= line's format. */
  bool stopped;
} brtc_sdp_offer_section;

typedef struct brtc_sdp_offer_params {
  const char *ice_ufrag;
  const char *ice_pwd;
  const char *fingerprint_sha256;   /* "AB:CD:..." */
  const char *const *candidates;    /* "candidate:..." values (the prefix may be left out) */
  size_t n_candidates;
  bool end_of_candidates;           /* gathering is done (RFC 8840 8.2) */
  bool ice_lite;                    /* we only answer checks (RFC 8445 2.5) */
  bool ice_trickle;                 /* a=ice-options:trickle (RFC 8840 4.1.1) */
  /* The default candidate (RFC 8829 5.2.1: its address in c=, its port in m=); NULL: none
   * gathered, "IN IP4 0.0.0.0" and port 9. */
  const char *default_address;
  uint16_t default_port;
  const char *cname;                /* a=ssrc cname, when a section sends; NULL: "boltrtc" */
  uint64_t session_id;              /* o= (0: a random one) */
  uint64_t session_version;
  const brtc_sdp_offer_section *sections;
  size_t n_sections;                /* 1 .. BRTC_SDP_MAX_MEDIA */
} brtc_sdp_offer_params;

/* Writes the offer: one BUNDLE group with every section (RFC 8843 7.2, balanced: each
 * section carries the transport, the same one), our ICE credentials, fingerprint and
 * a=setup:actpass (RFC 8842 5.2), rtcp-mux and rtcp-rsize on RTP sections, a=sctp-port and
 * a=max-message-size on the data section, the candidates in every section. BRTC_OK,
 * BRTC_ERR_INVALID (bad params; err says which), BRTC_ERR_TOO_BIG (cap). */
int brtc_sdp_write_offer(const brtc_sdp_offer_params *p, char *out, size_t cap, char *err,
                         size_t err_cap);

/* One answered section (same index as the offer's sections). */
typedef struct brtc_sdp_answered {
  brtc_sdp_negotiated neg;          /* accepted (port not 0), codec, header extension ids */
  brtc_sdp_direction direction;     /* the answer's, audio and video */
  uint16_t sctp_port;               /* application: the peer's (5000 when absent) */
  uint32_t max_message_size;        /* application: as brtc_sdp_media says */
  bool has_max_message_size;
} brtc_sdp_answered;

/* The shared transport the answer chose. Strings point into the parsed answer. */
typedef struct brtc_sdp_answer_transport {
  size_t section;                   /* the section whose transport counts (BUNDLE tag) */
  const char *ice_ufrag, *ice_pwd;
  const char *fingerprint;          /* sha-256, "AB:CD:..." */
  brtc_sdp_setup setup;             /* ACTIVE (the answerer is the DTLS client) or PASSIVE */
  bool ice_lite;                    /* the answerer is lite: we stay controlling */
} brtc_sdp_answer_transport;

/* Checks a parsed answer against the offer that p wrote, with the answerer's rules of
 * RFC 3264 6 and RFC 8829 5.3.1: as many sections, in order, of the same kind and proto;
 * port 0 rejects one; an accepted one has our a=mid, a direction that fits ours, only
 * payload types and header extensions we offered (names and clock rates matching), and
 * port 0 where we offered port 0 (a stopped section), and
 * a=rtcp-mux if RTP; several accepted sections must all be in the answer's BUNDLE group,
 * which names only accepted sections of ours; the tag's transport has ICE credentials, a
 * sha-256 fingerprint and a=setup active or passive, and no accepted section says another
 * role. BRTC_OK with answered[0 .. p->n_sections) and *t filled; otherwise BRTC_ERR_PARSE
 * (something missing or malformed), BRTC_ERR_UNSUPPORTED (a legal answer we cannot run:
 * no BUNDLE, another hash) or BRTC_ERR_INVALID (bad arguments), with one line in err. */
int brtc_sdp_check_answer(const brtc_sdp_offer_params *p, const brtc_sdp *answer,
                          brtc_sdp_answered *answered, brtc_sdp_answer_transport *t, char *err,
                          size_t err_cap);

const char *brtc_sdp_direction_name(brtc_sdp_direction d);
const char *brtc_sdp_setup_name(brtc_sdp_setup s); /* "actpass", ..., "none" */

#endif
