/* brtc_pc: a peer connection, modelled on RTCPeerConnection, and sans-IO: it never opens a
 * socket, reads a clock or calls back into you. Datagrams go in with brtc_pc_handle_datagram,
 * time with brtc_pc_handle_timeout, and everything comes out of one call,
 * brtc_pc_poll_output: a datagram to send, an event, or the time it next wants to be called
 * (see THE RULE below). brtc_loop (loop.h) does that for you over one UDP port shared by
 * every peer connection. Not thread-safe: use one peer connection from one thread. */
#ifndef BOLTRTC_PEER_CONNECTION_H
#define BOLTRTC_PEER_CONNECTION_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "boltrtc/error.h"
#include "boltrtc/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A DTLS certificate (ECDSA P-256, self-signed), made once and shared by peer connections.
 * brtc_certificate_new says why it failed in err (the step and OpenSSL's reason);
 * brtc_certificate_generate is the same without the reason (NULL on failure). */
typedef struct brtc_certificate brtc_certificate;
BRTC_EXPORT int brtc_certificate_new(brtc_certificate **out, char *err, size_t err_cap);
BRTC_EXPORT brtc_certificate *brtc_certificate_generate(void);
BRTC_EXPORT void brtc_certificate_free(brtc_certificate *c);
/* "sha-256" fingerprint as in a=fingerprint: "AB:CD:...". */
BRTC_EXPORT const char *brtc_certificate_fingerprint(const brtc_certificate *c);

typedef struct brtc_pc brtc_pc;
/* A data channel of a pc (datachannel.h). */
typedef struct brtc_datachannel brtc_datachannel;
/* A track we send (track.h). */
typedef struct brtc_track brtc_track;

/* The steps of a session's journey, in the order they normally happen. */
typedef enum brtc_pc_step {
  BRTC_STEP_OFFER = 0,       /* remote offer accepted, or ours set (the offerer) */
  BRTC_STEP_ANSWER,          /* local answer made, or the remote one accepted */
  BRTC_STEP_ICE_CHECK,       /* first authenticated STUN check from the peer */
  BRTC_STEP_ICE_CONNECTED,   /* a candidate pair was nominated */
  BRTC_STEP_DTLS_CONNECTED,  /* handshake done, fingerprint verified */
  BRTC_STEP_SRTP_READY,      /* keys exported, SRTP contexts keyed */
  BRTC_STEP_FIRST_RTP,       /* first media packet unprotected */
  BRTC_STEP_FIRST_KEYFRAME,  /* first complete keyframe assembled */
  BRTC_STEP_CLOSED,          /* closed by either side */
  BRTC_STEP_FAILED,          /* ICE, DTLS or fingerprint failure */
  /* New steps are added at the end: size nothing by this enum. */
} brtc_pc_step;

/* "ice-connected", ...; "unknown" for a value this version does not know. */
BRTC_EXPORT const char *brtc_pc_step_name(brtc_pc_step s);

/* ---- output: pulled, one thing at a time ----
 *
 * THE RULE: after every call that feeds or changes a pc (brtc_pc_handle_datagram,
 * brtc_pc_handle_timeout, descriptions, candidates, brtc_pc_request_keyframe, brtc_pc_close),
 * drain it with brtc_pc_poll_output until it returns BRTC_OUTPUT_TIMEOUT, before you feed it
 * again or wait for I/O. Calls you make while handling one of its events are fine: you keep
 * draining afterwards. brtc_loop (loop.h) does this for you.
 *
 *     for (;;) {
 *       brtc_output out = {.size = sizeof out};
 *       if (brtc_pc_poll_output(pc, buf, sizeof buf, &out) != BRTC_OK) break;
 *       if (out.kind == BRTC_OUTPUT_TIMEOUT) { deadline = out.deadline_us; break; }
 *       if (out.kind == BRTC_OUTPUT_TRANSMIT) sendto(fd, out.data, out.len, 0, to, tolen);
 *       if (out.kind == BRTC_OUTPUT_EVENT) handle(&out);
 *     }
 *
 * Datagrams come out before events: what a call queued to send (a close's close_notify) has
 * left before the event that tells of it (BRTC_STEP_CLOSED), so an owner may free the pc
 * there. */
typedef enum brtc_output_kind {
  BRTC_OUTPUT_TIMEOUT = 0, /* drained: call brtc_pc_handle_timeout at deadline_us */
  BRTC_OUTPUT_TRANSMIT,    /* send data/len (in your buf) to remote */
  BRTC_OUTPUT_EVENT,       /* event says what happened; the fields it names are set */
} brtc_output_kind;

typedef enum brtc_event_type {
  BRTC_EVENT_NONE = 0,
  BRTC_EVENT_STEP,        /* a journey step: step, detail */
  BRTC_EVENT_LOG,         /* something worth a log line (a drop, a retransmission): detail */
  /* A complete received video frame: data/len, codec ("VP8", or "H264": an access unit in
   * Annex-B form, SPS and PPS in front of each IDR), keyframe, width/height (keyframes),
   * rtp_timestamp, ssrc, and its track (mid, track: its index for brtc_pc_get_track_stats;
   * an offer may carry several video tracks, a camera and a screen). */
  BRTC_EVENT_FRAME,
  /* Video frames were given up (a packet never came, even after NACKs): frames_lost says how
   * many, keyframe whether a keyframe was among them, detail of which type; codec, ssrc, mid
   * and track as for a frame. A consumer that decodes needs a keyframe now; whether the pc
   * asks for one by itself is the config's keyframe_policy. */
  BRTC_EVENT_FRAME_LOST,
  /* With plain_packet_events: every RTP and RTCP packet in plaintext, for debugging and
   * recording (captures, test fixtures): inbound ones just after SRTP/SRTCP unprotect (before
   * they are parsed, so malformed ones are seen too), outbound ones (our RTCP) just before
   * protect. data/len is a whole RTP packet or RTCP compound without the SRTP trailer;
   * inbound, rtcp. */
  BRTC_EVENT_PLAIN_PACKET,
  /* With wire_packet_events: every datagram as it is on the wire, for captures: inbound as
   * handed to brtc_pc_handle_datagram (before any check, so forged and malformed ones are
   * seen too), outbound as brtc_pc_poll_output handed it out (the event follows the
   * datagrams). data/len, inbound, remote (the peer's address). */
  BRTC_EVENT_WIRE_PACKET,
  /* Data channels (datachannel.h; with brtc_pc_config_set_datachannels); channel is set on
   * each, owned by the pc. */
  BRTC_EVENT_DATACHANNEL,      /* the peer opened a channel (RTCDataChannelEvent) */
  BRTC_EVENT_DATACHANNEL_OPEN, /* it can send */
  /* A message: data/len (a copy in the pc, valid until the next call), binary or text. */
  BRTC_EVENT_DATACHANNEL_MESSAGE,
  BRTC_EVENT_DATACHANNEL_BUFFERED_AMOUNT_LOW,
  BRTC_EVENT_DATACHANNEL_CLOSED, /* closed by either side, or with the pc */
  /* The peer wants a keyframe on media_track (its PLI or FIR, RFC 4585 6.3.1, RFC 5104
   * 4.3.1, coalesced, and not while the last keyframe is still queued; or a frame was
   * refused and the decoder needs one): make the next frame a keyframe (track.h). Held
   * while the pacer's queue is over its bound (brtc_track_should_skip_frame). */
  BRTC_EVENT_KEYFRAME_REQUEST,
  /* The send rate the receiver allows media_track changed (its REMB, the loss it reports):
   * read it with brtc_track_target_bitrate and set the encoder's bitrate (track.h). */
  BRTC_EVENT_BITRATE_TARGET,
  /* Something changed that the peer must agree to (a track added, removed or turned, JSEP
   * 4.1.1's negotiationneeded): make an offer when the signaling state is stable. Given
   * once per change, at the call that made it; not again while an offer is out. */
  BRTC_EVENT_NEGOTIATION_NEEDED,
  /* A later exchange on a live connection (renegotiation: an offer we answered, or the
   * answer to ours) brought a new section we receive media on (RTCTrackEvent): mid, track
   * (its index for brtc_pc_get_track_stats, the same as its frames say), codec. The first
   * exchange's tracks are not announced: brtc_pc_track_count lists them. */
  BRTC_EVENT_TRACK,
  /* Trickle ICE (RFC 8838): one of our local candidates, to signal to the peer (as
   * RTCPeerConnectionIceEvent's candidate): detail is the line ("candidate:..." without
   * "a="), mid the m-section it belongs to (the first of the BUNDLE group). They come once
   * there is a local description (our offer set, or an answer made); those known when it
   * was written are in it too, as browsers do. Host candidates come first, then each
   * server-reflexive and relayed one as it is learned (brtc_pc_config_add_ice_server). */
  BRTC_EVENT_ICE_CANDIDATE,
  /* Gathering is over (RFC 8838 end-of-candidates, the W3C's null candidate): every
   * server answered or gave up. mid as above; a later create_offer carries every candidate
   * gathered. */
  BRTC_EVENT_ICE_GATHERING_COMPLETE,
} brtc_event_type;

/* What brtc_pc_poll_output hands back. Set size to sizeof(brtc_output) before the call:
 * later versions only ever add members at the end, and fill only what your size has room
 * for. Pointers stay valid until the next call into this pc (any call, brtc_pc_poll_output
 * included), and no longer: a FRAME's data is the pc's frame assembler's own buffer, not a
 * copy, so keep the bytes past that call only by copying them. Until then they are intact
 * however many events and datagrams the pc queued meanwhile. */
typedef enum brtc_transmit_via {
  BRTC_VIA_UDP = 0,
  BRTC_VIA_TCP, /* a TURN server's TCP connection */
  BRTC_VIA_TLS, /* a TURN server's TLS connection (turns:) */
} brtc_transmit_via;

typedef struct brtc_output {
  size_t size;
  brtc_output_kind kind;
  uint64_t deadline_us;           /* TIMEOUT; UINT64_MAX: nothing to wait for */
  /* TRANSMIT: data points into your buf; FRAME, PLAIN_PACKET, WIRE_PACKET: into the pc. */
  const uint8_t *data;
  size_t len;
  struct sockaddr_storage remote; /* TRANSMIT: the destination; WIRE_PACKET: the peer */
  brtc_event_type event;          /* EVENT */
  brtc_pc_step step;              /* STEP */
  const char *detail;             /* STEP, LOG, FRAME_LOST: one line */
  const char *codec;              /* FRAME, FRAME_LOST: "VP8" */
  const char *mid;                /* FRAME, FRAME_LOST: the track's m-section */
  size_t track;                   /* FRAME, FRAME_LOST: the track's index */
  uint32_t rtp_timestamp;         /* FRAME */
  uint32_t ssrc;                  /* FRAME, FRAME_LOST: the sender's SSRC */
  bool keyframe;                  /* FRAME; FRAME_LOST: a keyframe was among them */
  unsigned width, height;         /* FRAME: keyframes only, 0 otherwise */
  uint32_t frames_lost;           /* FRAME_LOST */
  bool inbound, rtcp;             /* PLAIN_PACKET (both), WIRE_PACKET (inbound) */
  brtc_datachannel *channel;      /* DATACHANNEL_*: the channel */
  bool binary;                    /* DATACHANNEL_MESSAGE: binary, else text (UTF-8) */
  /* TRANSMIT: the local address to send from (the ICE pair's base), when the pc knows it;
   * family AF_UNSPEC otherwise. An owner with one socket per family may ignore it. */
  struct sockaddr_storage source;
  brtc_track *media_track;        /* KEYFRAME_REQUEST, BITRATE_TARGET: our track (track.h) */
  /* TRANSMIT: how data reaches remote. BRTC_VIA_UDP: a datagram. TCP and TLS: a message for
   * a TURN server configured so (RFC 7065 "?transport=tcp", "turns:"), to write as it is on a
   * TCP or TLS connection of this pc's own to remote (ChannelData already padded, RFC 8656
   * 12.5); cut what the server sends on it into messages and feed each as a datagram from
   * remote. brtc_loop does both. */
  brtc_transmit_via via;
} brtc_output;

/* The DTLS role we take when the offer lets us choose (a=setup:actpass). An offer that says
 * active or passive is always mirrored. */
typedef enum brtc_dtls_role {
  BRTC_DTLS_ROLE_AUTO = 0, /* active, as RFC 8842 recommends to an answerer */
  BRTC_DTLS_ROLE_ACTIVE,   /* we are the DTLS client; the peer picks the SRTP profile */
  BRTC_DTLS_ROLE_PASSIVE,  /* we are the DTLS server and pick the SRTP profile: with Chrome
                              that gives AEAD_AES_128_GCM, our faster one */
} brtc_dtls_role;

/* When the pc asks the sender for a keyframe (PLI, or FIR) by itself, besides the first
 * video packet and brtc_pc_request_keyframe. */
typedef enum brtc_keyframe_policy {
  /* After any lost video frame: what a consumer that decodes every frame needs (a delta
   * frame after a lost one cannot be decoded). */
  BRTC_KEYFRAME_ON_ANY_LOSS = 0,
  /* Only after a lost keyframe (or a frame of unknown type while a keyframe is awaited):
   * for a consumer that uses keyframes alone, such as a keyframe catcher. */
  BRTC_KEYFRAME_ON_KEYFRAME_LOSS,
} brtc_keyframe_policy;

/* ---- configuration: an object with setters, so that new settings never change the ABI ----
 * A config is copied by brtc_pc_new: free it, or make more pcs with it, afterwards. Setters
 * return BRTC_ERR_INVALID for a value out of range and leave the setting as it was. */
typedef struct brtc_pc_config brtc_pc_config;

/* A config with every default; NULL when out of memory. */
BRTC_EXPORT brtc_pc_config *brtc_pc_config_new(void);
BRTC_EXPORT void brtc_pc_config_free(brtc_pc_config *c);
/* Required. Not owned: it must outlive every pc made with this config. */
BRTC_EXPORT int brtc_pc_config_set_certificate(brtc_pc_config *c, const brtc_certificate *cert);
/* A local address we receive on: a host candidate in the answer (RFC 8445 5.1.1.1). At most
 * 8 (BRTC_ERR_LIMIT past them); IPv4 or IPv6. brtc_loop_config_pc adds the loop's sockets. */
BRTC_EXPORT int brtc_pc_config_add_host_address(brtc_pc_config *c, const struct sockaddr *addr);
/* A local TCP address we accept ICE-TCP on: a "tcptype passive" host candidate (RFC 6544),
 * below every UDP candidate. At most 4. brtc_loop_config_pc adds the loop's
 * (include/boltrtc/ice_tcp.h); the loop, not the pc, carries its stream. */
BRTC_EXPORT int brtc_pc_config_add_tcp_passive_address(brtc_pc_config *c,
                                                       const struct sockaddr *addr);
/* ICE-lite (RFC 8445 2.5): we only answer checks, for a server the peer always reaches.
 * false (the default) is full ICE (RFC 8445): we answer checks and send our own, a triggered
 * check back at once for each check that comes (7.3.1.4), so a controlling peer that waits
 * for our check before it nominates connects within a round trip; it also keeps consent
 * with checks of its own (RFC 7675). */
BRTC_EXPORT int brtc_pc_config_set_ice_lite(brtc_pc_config *c, bool lite);
/* A STUN or TURN server to gather candidates from (RFC 8445 5.1.1.2), as an
 * RTCIceServer's URL: "stun:HOST[:PORT]" (RFC 7064) for a server-reflexive candidate from
 * each host address of the server's family, or "turn:HOST[:PORT][?transport=udp|tcp]" or
 * "turns:HOST[:PORT][?transport=tcp]" (RFC 7065) for a relayed candidate through a TURN
 * allocation (RFC 8656) reached over UDP, TCP or TLS (the relay itself is UDP), with
 * username and credential (long-term credentials; NULL for stun:). The port defaults to
 * 3478, 5349 for turns:. Over TLS the server's certificate must verify, for HOST's IP
 * address, against OpenSSL's default CA paths or brtc_pc_config_set_tls_ca_file's. HOST must
 * be a numeric IPv4 or IPv6 address ("[::1]" with a port): the library does no DNS, so
 * resolve a name in your program first. At most 4 servers. BRTC_ERR_PARSE for a malformed
 * URL, BRTC_ERR_UNSUPPORTED for a hostname or stuns:, BRTC_ERR_INVALID for a turn: URL
 * without credentials, BRTC_ERR_LIMIT past 4. */
BRTC_EXPORT int brtc_pc_config_add_ice_server(brtc_pc_config *c, const char *url,
                                              const char *username, const char *credential);
/* PEM file of the CAs a turns: server's certificate must chain to, instead of OpenSSL's
 * default paths: a private CA, or a self-signed server certificate itself. The path is
 * copied (at most 255 bytes); the file is read when a TLS connection is made. */
BRTC_EXPORT int brtc_pc_config_set_tls_ca_file(brtc_pc_config *c, const char *path);
/* RTCIceTransportPolicy: which local candidates ICE uses. */
typedef enum brtc_ice_transport_policy {
  BRTC_ICE_TRANSPORT_ALL = 0, /* host, server-reflexive and relayed (the default) */
  BRTC_ICE_TRANSPORT_RELAY,   /* relayed only: no host address is signalled or checked */
} brtc_ice_transport_policy;
BRTC_EXPORT int brtc_pc_config_set_ice_transport_policy(brtc_pc_config *c,
                                                        brtc_ice_transport_policy policy);
/* Our DTLS role when the offer lets us choose (a=setup:actpass); default AUTO. */
BRTC_EXPORT int brtc_pc_config_set_dtls_role(brtc_pc_config *c, brtc_dtls_role role);
/* Video bitrates asked of the sender: where a libwebrtc sender starts (the answer's VP8
 * a=fmtp x-google-start-bitrate; its own default of ~300 kbps makes the first keyframes
 * blurry) and the ceiling we send in REMB (RFC-less goog-remb, with every receiver report,
 * and in the answer's x-google-max-bitrate). 0 for both (the default) follows the picture
 * size (brtc_pc_config_set_video_size, then each track's first keyframe; the table is
 * src/pc/video_bitrate.c): 1,500,000 and 2,500,000 for 640x480. Either set fixes both (the
 * other taking its 640x480 value); start is capped at max. */
BRTC_EXPORT int brtc_pc_config_set_video_bitrate(brtc_pc_config *c, uint32_t start_bps,
                                                 uint32_t max_bps);
/* The size of the picture the publisher says it sends (a page knows its camera's), for the
 * bitrates above; 0 x 0 (the default) = unknown (WHIP: learnt from the first keyframe). */
BRTC_EXPORT int brtc_pc_config_set_video_size(brtc_pc_config *c, unsigned width,
                                              unsigned height);
/* When the pc asks for a keyframe by itself after losses; default BRTC_KEYFRAME_ON_ANY_LOSS. */
BRTC_EXPORT int brtc_pc_config_set_keyframe_policy(brtc_pc_config *c,
                                                   brtc_keyframe_policy policy);
/* RFC 7675 consent: an address whose last authenticated check (or SRTP packet) is older than
 * this has lost consent; when it is the selected one the pc fails. 0 = 30 s, the RFC's. */
BRTC_EXPORT int brtc_pc_config_set_consent_timeout(brtc_pc_config *c, uint64_t timeout_us);
/* The first authenticated ICE check must come this soon after the answer, or the pc fails:
 * a server gives a session that has proven nothing less time than the 30 s the whole set-up
 * may take. 0 (the default) = no separate limit. */
BRTC_EXPORT int brtc_pc_config_set_check_timeout(brtc_pc_config *c, uint64_t timeout_us);
/* The taps, as events (BRTC_EVENT_PLAIN_PACKET, BRTC_EVENT_WIRE_PACKET); both off by
 * default, at the cost of one branch per packet. */
BRTC_EXPORT int brtc_pc_config_set_plain_packet_events(brtc_pc_config *c, bool on);
BRTC_EXPORT int brtc_pc_config_set_wire_packet_events(brtc_pc_config *c, bool on);
/* Keep the DTLS session's secret for brtc_pc_dtls_keylog (debugging: Wireshark then
 * decrypts a capture of the handshake). Off by default, and then the secret never leaves the
 * DTLS state. */
BRTC_EXPORT int brtc_pc_config_set_keep_keylog(brtc_pc_config *c, bool on);
/* Accept an offer's data section (m=application ... webrtc-datachannel, RFC 8841) and carry
 * data channels (datachannel.h). Off (the default), it is rejected with port 0 and the pc
 * holds no SCTP state. */
BRTC_EXPORT int brtc_pc_config_set_datachannels(brtc_pc_config *c, bool on);
/* Keep OpenSSL's DTLS state after the handshake. By default it is released once both sides
 * are known to hold the SRTP keys, which saves ~100 KiB per session; either way the session
 * keeps its own epoch-1 record layer, so only an authenticated, fresh alert from the peer
 * can close or fail it, and our close_notify is authenticated too. */
BRTC_EXPORT int brtc_pc_config_set_keep_dtls(brtc_pc_config *c, bool on);
/* The largest whole video frame we assemble, and send, in bytes (1 KiB to 64 MiB); default
 * 4 MiB. A sending track's history and the pacer can hold one whatever its bitrate ceiling
 * (memory taken only while one is kept); a frame sent is at most 32,768 packets (~37 MB). */
BRTC_EXPORT int brtc_pc_config_set_max_frame_size(brtc_pc_config *c, size_t bytes);

/* ---- statistics ----
 * Snapshots copied into a struct that begins with its size: set size to sizeof the struct
 * before the call. Members are only ever added at the end, and the library fills no more than
 * your size says (docs/api.md says why a struct and not accessors). */
typedef struct brtc_pc_stats {
  size_t size;
  uint64_t created_us;
  uint64_t packets_in, bytes_in, packets_out, bytes_out;
  uint64_t rtp_video, rtp_audio, rtcp_in;
  uint64_t frames, keyframes, frames_dropped;
  uint64_t plis_sent, nacks_sent;           /* plis_sent counts FIRs too */
  /* dropped_replay: an SRTP or SRTCP packet whose index was already accepted (RFC 3711
   * 3.3.2), or is too old for the replay window, and which is not a copy we asked for; an
   * attacker replaying packets lands here, and so does a datagram the network duplicated,
   * which no receiver can tell from a replay. */
  uint64_t dropped_malformed, dropped_auth, dropped_replay, dropped_unexpected;
  uint32_t video_ssrc, audio_ssrc;
  char dtls_cipher[64];
  char srtp_profile[32];
  char selected_remote[64];
  uint64_t remb_sent;                       /* REMB packets sent */
  /* Loss repair, video (docs/limits.md says how NACK waits and retries). nacks_sent above
   * counts NACK messages; one asks for one or more sequence numbers. */
  uint64_t rtt_us;                /* round trip from RTCP XR RRTR/DLRR (RFC 3611); 0 = unknown */
  uint64_t nack_seqs_asked;       /* sequence numbers asked for, repeats counted */
  uint64_t nack_given_up;         /* asked for the most times and never came */
  uint64_t rtp_reordered;         /* came after a later packet, before we asked for it */
  uint64_t rtp_recovered;         /* retransmissions that filled a gap we asked for */
  /* Copies of a packet that had already arrived, dropped: an RTX retransmission of a
   * sequence number we had, or a second copy of an SRTP packet on the media SSRC whose
   * sequence number we had asked for and which authenticates (a sender resending the same
   * packet). SRTP cannot tell any other second copy from a replay: see dropped_replay. */
  uint64_t rtp_duplicates;
  uint64_t keyframes_dropped;     /* of frames_dropped, known keyframes */
  uint64_t frames_dropped_unknown; /* of frames_dropped, of unknown type (first packet lost) */
  /* Packets lost so far (RFC 3550 A.3: expected less received; negative when duplicates
   * outnumber losses), as our receiver reports say. */
  int64_t video_lost, audio_lost;
  uint64_t rr_sent;               /* RTCP receiver reports sent */
  /* Events not queued because the owner did not drain the pc (the rule above) and the queue
   * reached its bound. */
  uint64_t events_dropped;
  /* SRTP/SRTCP packets that came before DTLS had keyed SRTP (the DTLS server sends media once
   * it has sent its last flight, which may be lost or overtaken), held and read once keyed;
   * those beyond the hold's bound (64 packets, 96 KiB) are in dropped_unexpected. */
  uint64_t srtp_early_held;
  /* Video frames refused because larger than a frame may be (brtc_pc_config_set_max_frame_size)
   * or than the assembler takes one packet: each also counts in frames_dropped or, for a
   * packet refused alone, dropped_malformed. The first is logged, once per pc. */
  uint64_t frames_dropped_too_big;
} brtc_pc_stats;

/* One received track (an accepted audio or video m-section), for status pages. */
typedef struct brtc_pc_track_stats {
  size_t size;                /* set by the caller, as for brtc_pc_stats */
  char mid[64];
  const char *kind;           /* "video" or "audio" (static) */
  const char *codec;          /* "VP8" or "opus" (static) */
  uint32_t ssrc;              /* 0 until its first packet */
  uint64_t packets, bytes;    /* RTP packets (RTX included) and payload bytes */
  uint64_t frames, keyframes; /* video: complete frames assembled */
  uint64_t frames_dropped;    /* video: given up */
  uint64_t lost;              /* packets never received (RFC 3550 A.3) */
  unsigned width, height;     /* video: of the last keyframe, 0 before one */
  uint32_t max_bitrate_bps;   /* video: the REMB ceiling for it */
} brtc_pc_track_stats;

/* A new pc with config's settings. BRTC_OK and *out; otherwise the code, *out NULL and one
 * line in err (a config without a certificate, out of memory). */
BRTC_EXPORT int brtc_pc_new(const brtc_pc_config *config, brtc_pc **out, char *err,
                            size_t err_cap);
BRTC_EXPORT void brtc_pc_free(brtc_pc *pc);

/* Signaling, as in RTCPeerConnection (JSEP, RFC 8829): either role. err gets a one-line
 * reason on failure; a call the signaling state does not allow is BRTC_ERR_STATE, and the
 * line names the state and the call (JSEP 5.5, 5.6). docs/api.md, "Signaling", has the
 * table. Answerer: set_remote_description("offer"), create_answer, and optionally
 * set_local_description("answer", NULL) to return to stable. Offerer: create_offer,
 * set_local_description("offer", NULL), set_remote_description("answer"). */
typedef enum brtc_signaling_state {
  BRTC_SIGNALING_STABLE = 0,
  BRTC_SIGNALING_HAVE_LOCAL_OFFER,
  BRTC_SIGNALING_HAVE_REMOTE_OFFER,
  BRTC_SIGNALING_CLOSED,
} brtc_signaling_state;
BRTC_EXPORT brtc_signaling_state brtc_pc_signaling_state(const brtc_pc *pc);
/* "stable", "have-local-offer", ... as in W3C's RTCSignalingState. */
BRTC_EXPORT const char *brtc_signaling_state_name(brtc_signaling_state s);
/* type: "offer", "answer" or "rollback" (sdp ignored, may be NULL). */
BRTC_EXPORT int brtc_pc_set_remote_description(brtc_pc *pc, const char *type,
                                               const char *sdp, uint64_t now_us, char *err,
                                               size_t err_cap);
/* The answer to the remote offer, NUL-terminated, owned by pc (valid until freed). */
BRTC_EXPORT int brtc_pc_create_answer(brtc_pc *pc, const char **sdp, char *err, size_t err_cap);
/* An offer (NUL-terminated, owned by pc, valid until the next create_offer or free): one
 * BUNDLE transport, a=setup:actpass, our host candidates, and a data section if a channel
 * was created (brtc_pc_create_datachannel). In stable or have-local-offer. */
BRTC_EXPORT int brtc_pc_create_offer(brtc_pc *pc, uint64_t now_us, const char **sdp, char *err,
                                     size_t err_cap);
/* type "offer" (sdp: NULL or the text create_offer gave, unchanged; NULL with none made
 * makes one), "answer" (NULL or create_answer's text) or "rollback". An SDP we did not make
 * is BRTC_ERR_INVALID. */
BRTC_EXPORT int brtc_pc_set_local_description(brtc_pc *pc, const char *type, const char *sdp,
                                              uint64_t now_us, char *err, size_t err_cap);
/* A trickled remote candidate ("candidate:..."); an empty string ends trickling. */
BRTC_EXPORT int brtc_pc_add_ice_candidate(brtc_pc *pc, const char *candidate);
/* Whether brtc_pc_add_ice_candidate would take the candidate's syntax, without a pc: BRTC_OK
 * (also for "" and for a well-formed candidate it would ignore, such as another transport's)
 * or BRTC_ERR_PARSE. For a server that takes a batch of candidates whole or not at all. */
BRTC_EXPORT int brtc_pc_check_ice_candidate(const char *candidate);
/* ICE restart (RFC 8445 9; JSEP 4.1.3 restartIce): on a live connection, the next offer
 * carries new ICE credentials (BRTC_EVENT_NEGOTIATION_NEEDED says to make one), and the
 * checks start again once the answer is in. DTLS, SCTP and SRTP go on, and media stays on the
 * pair in use until the new checks select one: for a path that changed (another network) or
 * an ICE state gone disconnected or failed. A remote description with new credentials is
 * the peer's restart, taken the same way. BRTC_ERR_STATE when closed, failed or ICE-lite
 * (a lite agent answers a peer's restart, and starts none). */
BRTC_EXPORT int brtc_pc_restart_ice(brtc_pc *pc, uint64_t now_us);
/* Our ICE username fragment: STUN checks name it first in USERNAME. */
BRTC_EXPORT const char *brtc_pc_local_ufrag(const brtc_pc *pc);

/* With keep_keylog: the DTLS secret as one SSLKEYLOGFILE line ("CLIENT_RANDOM <client
 * random> <master secret>\n", the format Wireshark's tls.keylog_file reads), once DTLS is
 * connected. BRTC_ERR_AGAIN before that, BRTC_ERR_STATE without keep_keylog,
 * BRTC_ERR_INVALID if cap < BRTC_PC_KEYLOG_LEN. */
#define BRTC_PC_KEYLOG_LEN 180
BRTC_EXPORT int brtc_pc_dtls_keylog(const brtc_pc *pc, char *out, size_t cap);

/* Sans-IO transport. */
BRTC_EXPORT int brtc_pc_handle_datagram(brtc_pc *pc, const uint8_t *data, size_t len,
                                        const struct sockaddr *from, uint64_t now_us);
/* Time passed: call at (or after) the deadline the last BRTC_OUTPUT_TIMEOUT gave. */
BRTC_EXPORT int brtc_pc_handle_timeout(brtc_pc *pc, uint64_t now_us);
/* The next output: a datagram written into buf (cap bytes; BRTC_PC_MAX_DATAGRAM is always
 * enough), an event, or the deadline once drained. BRTC_OK with out set; BRTC_ERR_INVALID
 * for a bad argument (out->size smaller than this version's brtc_output among them);
 * BRTC_ERR_TOO_BIG when buf cannot hold the next datagram. */
#define BRTC_PC_MAX_DATAGRAM 2048
BRTC_EXPORT int brtc_pc_poll_output(brtc_pc *pc, uint8_t *buf, size_t cap, brtc_output *out);
/* True if this address passed an ICE check: media from it belongs to this pc. */
BRTC_EXPORT bool brtc_pc_owns_address(const brtc_pc *pc, const struct sockaddr *addr);
/* mDNS (.local) names the peer's candidates carry (draft-ietf-mmusic-mdns-ice-candidates)
 * that nobody has resolved yet: up to cap of them into names (each valid until the next call
 * that changes the pc); returns how many there are. A brtc_loop resolves them itself (RFC
 * 6762 queries on 224.0.0.251:5353); an owner of its own may use any resolver. */
BRTC_EXPORT size_t brtc_pc_unresolved_hostnames(const brtc_pc *pc, const char **names,
                                                size_t cap);
/* name resolved to ip (its port is ignored): the candidates held for it become ordinary
 * ones, to be checked. ip NULL: it cannot be resolved, and they are dropped; a log event says
 * which, either way. BRTC_ERR_NOT_FOUND if the pc holds no candidate with that name. */
BRTC_EXPORT int brtc_pc_resolve_hostname(brtc_pc *pc, const char *name,
                                         const struct sockaddr *ip);
/* True while the pc is open and addr's consent holds (an authenticated check from it within
 * the consent timeout, RFC 7675): the address is this pc's peer and must not be moved to
 * another pc (brtc_loop refuses such a move). */
BRTC_EXPORT bool brtc_pc_consent_holds(const brtc_pc *pc, const struct sockaddr *addr,
                                       uint64_t now_us);

/* Ask the sender for a keyframe (RTCP PLI, or FIR if the offer allows only "ccm fir").
 * BRTC_ERR_UNSUPPORTED if the offer allows neither. */
BRTC_EXPORT int brtc_pc_request_keyframe(brtc_pc *pc, uint64_t now_us);
/* Close: sends DTLS close_notify and RTCP BYE, then reports BRTC_STEP_CLOSED. */
BRTC_EXPORT void brtc_pc_close(brtc_pc *pc, uint64_t now_us);
BRTC_EXPORT bool brtc_pc_is_closed(const brtc_pc *pc);
/* BRTC_ERR_INVALID when out->size is smaller than the first version's struct. */
BRTC_EXPORT int brtc_pc_get_stats(const brtc_pc *pc, brtc_pc_stats *out);
/* When a journey step first happened (the now_us of the call it happened in), 0 if not yet or
 * a step this version does not know. */
BRTC_EXPORT uint64_t brtc_pc_step_time(const brtc_pc *pc, brtc_pc_step step);
/* The tracks the answer accepted, in offer order. */
BRTC_EXPORT size_t brtc_pc_track_count(const brtc_pc *pc);
BRTC_EXPORT int brtc_pc_get_track_stats(const brtc_pc *pc, size_t index, brtc_pc_track_stats *out);

#ifdef __cplusplus
}
#endif
#endif
