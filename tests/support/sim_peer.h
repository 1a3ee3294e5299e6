/* A simulated browser, built from the protocol cores, for tests and benchmarks: it writes a
 * Chrome-like offer, runs ICE as the controlling full agent, DTLS as client or server per
 * the answer's a=setup, SRTP outbound, and sends VP8 frames (and Opus-like audio) as RTP.
 * Sans-IO like brtc_pc: datagrams in with sim_peer_handle_datagram, out with
 * sim_peer_poll_transmit, time through next_deadline / handle_timeout. The peer does not
 * know its own address: the caller says where its datagrams come from. */
#ifndef BRTC_TESTS_SIM_PEER_H
#define BRTC_TESTS_SIM_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dtls/dtls.h"

typedef struct sim_peer sim_peer;

/* What happens to an outgoing media packet: the loss/reorder hook. */
typedef enum sim_peer_fate {
  SIM_PEER_SEND = 0,
  SIM_PEER_DROP, /* lost */
  SIM_PEER_HOLD, /* sent after the next media packet (reordered by one) */
} sim_peer_fate;

/* Called for every outgoing RTP packet (plain header values). index counts media packets
 * from 0 in sending order. */
typedef sim_peer_fate (*sim_peer_filter)(void *user, uint64_t index, uint8_t payload_type,
                                         uint16_t seq, bool marker);

typedef struct sim_peer_opts {
  const char *setup;          /* a=setup of the offer: "actpass" (default), "active", "passive" */
  bool no_video, no_audio;    /* m-sections to leave out of the offer */
  bool no_nack, no_pli;       /* leave a=rtcp-fb "nack" / "nack pli" out of the VP8 offer */
  uint32_t video_ssrc, rtx_ssrc, audio_ssrc; /* 0 = defaults */
  const char *fingerprint_hash;   /* hash name written in a=fingerprint (default "sha-256") */
  bool wrong_fingerprint;     /* advertise a fingerprint that is not our certificate's */
  const char *ice_pwd;        /* our ICE password (default: random) */
  const char *remote_pwd_override; /* sign checks with this instead of the answer's pwd */
  /* SRTP profiles our DTLS accepts, most preferred first; 0 entries = the core's default. */
  brtc_srtp_profile_id srtp_profiles[2];
  size_t n_srtp_profiles;
  size_t mtu;                 /* largest RTP payload (default 1100) */
  bool rtx;                   /* answer NACKs with RFC 4588 retransmissions */
  /* Answer NACKs by sending the original packet again on its own SSRC (what Pion's
   * responder does), which SRTP turns into the very same datagram. */
  bool resend_same_ssrc;
  sim_peer_filter filter;     /* NULL: send everything */
  void *filter_user;
  uint64_t check_interval_us; /* consent checks once connected (default 2 s) */
  const brtc_dtls_cert *cert; /* shared certificate (default: make one per peer) */
  bool no_remb;               /* leave a=rtcp-fb "goog-remb" out of the VP8 offer */
  /* Sees every plaintext packet: media RTP, sender reports and XR DLRR we send just before
   * protection (sent = true), SRTCP we receive just after unprotection. NULL: none. */
  void (*plain_tap)(void *user, bool sent, bool rtcp, const uint8_t *data, size_t len);
  void *plain_tap_user;
  /* A second video track (a screen beside the camera): m=video with mid "2" after the
   * others, VP8 on the same payload types (RFC 8843 lets bundled sections share them), on
   * SSRC video2_ssrc (0 = a default). bundle_only: port 0 and a=bundle-only, as Firefox and
   * webrtcbin write it; no_ssrc: no a=ssrc lines, so only the MID extension tells it. */
  bool second_video, second_video_bundle_only, second_video_no_ssrc;
  uint32_t video2_ssrc;
  bool send_mid; /* put the MID header extension (id 9, RFC 9143) on every video packet */
  /* Offer a data section (m=application, mid "d") and run an SCTP association with data
   * channels over DTLS once connected (sim_peer_dc). */
  bool datachannel;
  /* Leave checks that come to us unanswered (a peer that expects an ICE-lite answerer and
   * only sends checks). By default authenticated checks get a success response, as any full
   * agent's (RFC 8445 7.3). */
  bool no_check_answers;
  /* a=<this> on the video sections instead of sendrecv ("recvonly": a WHEP viewer). */
  const char *video_direction;
  /* Sees every SRTP packet the pc sends us, unprotected (RTP header and payload). */
  void (*rtp_in)(void *user, const uint8_t *pkt, size_t len);
  void *rtp_in_user;
  /* The first video section offers H.264 (packetization-mode 1) on payload type 96 instead
   * of VP8: the caller makes the packets (sim_peer_protect_rtp); send_frame stays VP8's. */
  bool h264;
} sim_peer_opts;

typedef struct sim_peer_stats {
  bool ice_connected;         /* a nominating check was answered */
  bool dtls_connected;
  bool srtp_ready;
  bool dtls_failed;
  brtc_srtp_profile_id profile;
  uint64_t checks_sent, check_responses, check_errors;
  uint64_t checks_received, checks_answered; /* Binding requests to us; answered with success */
  uint16_t last_error_code;   /* STUN error code of the last error response */
  uint64_t rtp_sent, rtp_dropped, rtx_sent;
  uint64_t rtcp_received, rtcp_bad;
  uint64_t plis_received, firs_received, nacks_received, rrs_received, byes_received;
  uint16_t nacked_seqs[64];   /* the sequence numbers asked for, in order of arrival */
  size_t n_nacked_seqs;
  uint64_t nacked_seqs_total; /* all of them, repeats counted */
  uint64_t resent;            /* packets sent again on their own SSRC (resend_same_ssrc) */
  uint64_t rrtrs_received;    /* RFC 3611 RRTR blocks, each answered with a DLRR */
  uint32_t last_pli_media_ssrc;
  uint32_t last_rr_lsr;       /* LSR of the last report block about our video SSRC */
  uint32_t last_rr_ext_seq;   /* its extended highest sequence number */
  bool dtls_closed;           /* the pc sent close_notify */
  uint64_t rembs_received;    /* REMB (PSFB FMT 15 'REMB') packets */
  uint64_t rembs_with_report; /* ... of them in a compound whose RR had report blocks */
  uint64_t rembs_bad;         /* FMT 15 that did not parse as REMB */
  uint64_t last_remb_bps;
  uint32_t last_remb_ssrc;    /* the first SSRC it names */
  size_t last_remb_n_ssrcs;
  /* Data channels (opts.datachannel): */
  uint64_t dc_opened, dc_closed, dc_messages, dc_bytes;
  uint64_t dc_hash;           /* FNV-1a over every message's bytes, in order of arrival */
  bool dc_transport_closed;
  uint64_t rtp_received, rtp_bad;  /* SRTP from the pc: unprotected, or refused */
  uint64_t srs_received;           /* RTCP sender reports */
} sim_peer_stats;

/* opts may be NULL (defaults). NULL on failure. */
sim_peer *sim_peer_new(const sim_peer_opts *opts);
void sim_peer_free(sim_peer *p);

/* The offer (NUL-terminated, owned by the peer). */
const char *sim_peer_offer(sim_peer *p);
/* Take the answer: ICE credentials, fingerprint, setup, and where to send (its first
 * candidate, unless sim_peer_set_remote_addr is called). err gets a reason on failure. */
int sim_peer_set_answer(sim_peer *p, const char *sdp, char *err, size_t err_cap);
/* Send to this address instead of the answer's first candidate. */
void sim_peer_set_remote_addr(sim_peer *p, const struct sockaddr *addr);

int sim_peer_handle_datagram(sim_peer *p, const uint8_t *data, size_t len,
                             const struct sockaddr *from, uint64_t now_us);
/* One datagram to send; BRTC_ERR_AGAIN when none. */
int sim_peer_poll_transmit(sim_peer *p, uint8_t *out, size_t cap, size_t *out_len,
                           struct sockaddr_storage *to);
uint64_t sim_peer_next_deadline(const sim_peer *p);
int sim_peer_handle_timeout(sim_peer *p, uint64_t now_us);

/* True once SRTP is keyed: media can be sent. */
bool sim_peer_media_ready(const sim_peer *p);
/* Queue one VP8 frame (copied) as RTP packets on the video SSRC; ts in 90 kHz units.
 * BRTC_ERR_STATE before SRTP is ready. */
int sim_peer_send_frame(sim_peer *p, const uint8_t *data, size_t len, bool keyframe, uint32_t ts);
/* The same on track 0 (the camera) or 1 (the second video, opts.second_video). */
int sim_peer_send_frame_on(sim_peer *p, unsigned track, const uint8_t *data, size_t len,
                           uint32_t ts);
/* Queue one audio packet (Opus payload) on the audio SSRC. */
int sim_peer_send_audio(sim_peer *p, const uint8_t *data, size_t len, uint32_t ts);
/* Queue a raw datagram (already protected or deliberately broken) to the pc. */
int sim_peer_send_raw(sim_peer *p, const uint8_t *data, size_t len);
/* Protect an RTP packet with our outbound SRTP context into out (for crafted tests). */
int sim_peer_protect_rtp(sim_peer *p, const uint8_t *rtp, size_t len, uint8_t *out, size_t cap,
                         size_t *out_len);
/* Queue an RTCP sender report for the video SSRC (SRTCP-protected). */
int sim_peer_send_sr(sim_peer *p, uint64_t ntp, uint32_t rtp_ts);
/* True once after each PLI or FIR: the caller's next frame should be a keyframe. */
bool sim_peer_take_keyframe_request(sim_peer *p);
/* Queue a plaintext RTCP compound (a NACK, a PLI) SRTCP-protected. */
int sim_peer_send_rtcp(sim_peer *p, const uint8_t *rtcp, size_t len);
/* Send DTLS close_notify. */
int sim_peer_close(sim_peer *p);

const sim_peer_stats *sim_peer_get_stats(const sim_peer *p);
/* The peer's DTLS session (NULL before the answer), for tests that act on it directly. */
brtc_dtls *sim_peer_dtls(sim_peer *p);
const char *sim_peer_fingerprint(const sim_peer *p);
/* opts.datachannel: the peer's data channel transport (RTCSctpTransport), made with the
 * answer; channels may be created on it at any time. Its events are taken by the peer
 * (counted in the stats); a channel labelled "echo" that the pc opened is echoed. */
struct brtc_dc_transport *sim_peer_dc(sim_peer *p);
/* FNV-1a, as dc_hash adds messages up (start from SIM_FNV_START). */
#define SIM_FNV_START 14695981039346656037ull
uint64_t sim_fnv1a(uint64_t h, const uint8_t *data, size_t len);

#endif
