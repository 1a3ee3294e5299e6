/* The inside of a peer connection, shared by the pc_*.c files (one job each):
 * peer_connection.c (life cycle, journey, stats, timers, output), pc_events.c (the event
 * queue), pc_signaling.c (offer and
 * answer), pc_ice.c (the ICE agent: src/ice's brtc_ice_transport, full or lite, either
 * role), pc_transport.c (demultiplexing, DTLS, SRTP keying), pc_media.c (RTP and
 * RTCP in, RTCP out), pc_datachannel.c (the SCTP association and its data channels),
 * pc_track.c and pc_send.c (the tracks we send, pc_send.h). */
#ifndef BRTC_PC_INTERNAL_H
#define BRTC_PC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boltrtc/peer_connection.h"
#include "codec/vp8.h"
#include "common/addr.h"
#include "common/ready_list.h"
#include "dtls/dtls.h"
#include "ice/ice_transport.h"
#include "pc/pc_gather.h"
#include "pc/video_bitrate.h"
#include "rtp/nack.h"
#include "rtp/rtp.h"
#include "srtp/srtp.h"

#define PC_MAX_HOST_ADDRS 8
#define PC_MAX_TCP_ADDRS 4
#define PC_MAX_DATAGRAM 2048      /* larger SRTP/DTLS datagrams are refused */
#define PC_RR_INTERVAL_US 1000000 /* receiver reports: one a second */
#define PC_FIRST_RR_US 200000     /* the first, this soon after the first video packet */
#define PC_PLI_MIN_INTERVAL_US 500000 /* automatic PLIs at most this often */
/* A keyframe request is repeated until a keyframe comes: senders drop requests that come too
 * soon after the last keyframe (libwebrtc ignores them for 300 ms), and RTCP can be lost. */
#define PC_PLI_REPEAT_US 400000
#define PC_PLI_GIVE_UP_US 5000000
/* A stream whose first packet starts a keyframe gets this long to complete it before a PLI. */
#define PC_FIRST_KEYFRAME_GRACE_US 500000
#define PC_NACK_BATCH 64          /* seqs per NACK packet */
#define PC_DEFAULT_MAX_FRAME (4u * 1024 * 1024)
#define PC_NEVER UINT64_MAX
#define PC_SETUP_TIMEOUT_US (30ull * 1000000) /* answer to SRTP keys, at most */
#define PC_DEFAULT_MAX_VIDEO_BPS 2500000u
#define PC_DEFAULT_START_VIDEO_BPS 1500000u
#define PC_REMB_LEN 24 /* a REMB for one SSRC */
/* The steps this version knows (the public enum has no count: users size nothing by it). */
#define PC_STEP_COUNT (BRTC_STEP_FAILED + 1)
#define PC_STEP_NONE ((brtc_pc_step)PC_STEP_COUNT) /* in events that are not steps */


struct brtc_certificate {
  brtc_dtls_cert *cert;
};

/* brtc_pc_config: the settings, with their defaults from brtc_pc_config_new. */
struct brtc_pc_config {
  const brtc_certificate *certificate;
  brtc_addr host_addrs[PC_MAX_HOST_ADDRS];
  size_t n_host_addrs;
  brtc_addr tcp_addrs[PC_MAX_TCP_ADDRS]; /* ICE-TCP passive candidates (pc_ice_tcp.c) */
  size_t n_tcp_addrs;
  size_t max_video_frame;
  bool keep_dtls, keep_keylog, datachannels;
  uint32_t max_video_bitrate_bps, start_video_bitrate_bps;
  unsigned video_width, video_height;
  brtc_dtls_role dtls_role;
  bool plain_packet_events, wire_packet_events;
  uint64_t consent_timeout_us, ice_check_timeout_us;
  brtc_keyframe_policy keyframe_policy;
  bool ice_lite; /* false (the default): full ICE, RFC 8445 */
  pc_ice_server ice_servers[PC_MAX_ICE_SERVERS]; /* pc_ice_server.c, pc_gather.c */
  size_t n_ice_servers;
  bool relay_only; /* BRTC_ICE_TRANSPORT_RELAY */
  char tls_ca_file[256]; /* turns: servers' CAs; empty: OpenSSL's default paths */
};

/* Receive state for one remote SSRC. */
typedef struct pc_stream {
  bool active;       /* a packet was unprotected for this SSRC */
  uint32_t ssrc;
  brtc_rtp_receiver_stats stats;
} pc_stream;

#define PC_MAX_TRACKS 16  /* = BRTC_SDP_MAX_MEDIA: every offered section could be one */
#define PC_MID_LEN 64     /* = BRTC_SDP_TOKEN */

/* One received track: an accepted audio or video m-section (RFC 8843: several share the
 * BUNDLE transport, and may share payload types too). Its packets are found by the MID
 * header extension (RFC 9143), by an SSRC signalled (a=ssrc) or learned from the MID, and
 * last by payload type. Each has its own SSRC, statistics, NACK state, frame assembler and
 * keyframe requests. Allocated one by one, for accepted sections only. */
typedef struct pc_track {
  brtc_pc *pc;           /* the owner, for the frame assembler's callback */
  size_t index;          /* in pc->tracks */
  bool video;
  char mid[PC_MID_LEN];
  int pt, rtx_pt;        /* rtx_pt -1 when none */
  uint32_t clock;
  uint32_t offered_ssrc, offered_rtx_ssrc; /* a=ssrc / a=ssrc-group:FID; 0 when not given */
  uint32_t rtx_ssrc;     /* learned or offered; 0 until known */
  /* Video feedback the offer allows (RFC 4585/5104 a=rtcp-fb): without "nack pli" we ask
   * for keyframes with FIR if "ccm fir" is there. */
  bool fb_nack, fb_pli, fb_fir;
  bool fb_remb;          /* "goog-remb": the REMB names this track's SSRC */
  uint8_t fir_seq;
  pc_stream stream;
  uint64_t packets, bytes, frames, keyframes; /* what arrived for this track */
  unsigned width, height; /* of its last keyframe; 0 until one */
  uint32_t max_bps;      /* its part of the REMB ceiling (bitrate_for_size of its size) */
  bool stopped;          /* a later exchange gave its section port 0: its packets are dropped */

  brtc_vp8_assembler *vp8; /* made on the first video packet (VP8) */
  bool h264;              /* the section's codec is H.264: frames come from h264 below */
  struct brtc_h264_assembler *h264_asm; /* made on the first video packet (H.264) */
  uint8_t *h264_buf;      /* the access unit popped last, Annex-B (grown to the largest) */
  size_t h264_cap;
  bool rtx_seen;          /* the sender retransmits with RTX: media-SSRC packets are originals */
  uint64_t video_first_us; /* the first video packet came */
  bool first_key_watch;   /* looking for a keyframe's start before the first PLI goes */
  uint64_t pli_due_us;   /* PC_NEVER when none is wanted */
  uint64_t last_pli_us;
  bool pli_sent_once;
  uint64_t keyframe_wanted_until; /* repeat PLIs until then; 0 when none is awaited */
  /* Video only, and last: an audio track is allocated without it (6 KiB of the 6.5 a video
   * track takes), so touch it only behind t->video. */
  brtc_nack_tracker nack;
} pc_track;

/* Bytes a track takes: an audio one stops before its NACK tracker. */
#define PC_TRACK_SIZE(video) ((video) ? sizeof(pc_track) : offsetof(pc_track, nack))

/* pc_events.c: the queue brtc_pc_poll_output hands events from. */
typedef struct pc_event_queue pc_event_queue;

struct brtc_pc {
  const brtc_certificate *certificate;
  bool plain_packet_events, wire_packet_events; /* the two taps, as events */
  pc_event_queue *events; /* made on the first event */
  brtc_ready_node ready; /* on its loop's ready list when it has output (pc_ready.h) */
  size_t max_video_frame;
  uint32_t max_video_bps, start_video_bps; /* the configured ones, when bitrate_fixed */
  /* The configuration set the bitrates: they hold whatever the size. Otherwise they follow
   * the picture size (video_bitrate.h): the hint's in the answer, then each track's first
   * keyframe's in its REMB. */
  bool bitrate_fixed;
  unsigned hint_width, hint_height; /* brtc_pc_config's video size; 0 when unknown */
  brtc_addr host_addrs[PC_MAX_HOST_ADDRS];
  size_t n_host_addrs;
  brtc_addr tcp_addrs[PC_MAX_TCP_ADDRS]; /* ICE-TCP passive candidates (pc_ice_tcp.c) */
  size_t n_tcp_addrs;

  uint64_t now_us; /* latest time we were given: poll_output has no clock of its own */
  bool have_remote;
  bool closed;
  bool failed;
  bool steps_done[PC_STEP_COUNT];
  uint64_t step_at_us[PC_STEP_COUNT]; /* 0 = not reached */
  brtc_pc_stats stats;

  /* Signaling results (the parsed offer itself is freed at once). */
  char *answer;
  bool rtcp_rsize;
  uint32_t local_ssrc;   /* sender SSRC of our RTCP */
  char cname[17];

  /* Transport. ICE (pc_ice.c): made with the pc, controlled until told otherwise. */
  brtc_ice_transport *ice;
  bool ice_remote_set;     /* the peer's credentials are in: checks count from now */
  /* ICE restart (pc_restart.h): asked for and not yet offered; offered and not answered. */
  bool ice_restart_wanted, ice_restart_offered;
  brtc_ice_conn_state ice_state; /* the transport's, as last seen */
  /* The transport's output changes only with its inputs: it is polled (and its deadline
   * computed) only after one, not on every drain of a media packet. */
  bool ice_dirty;
  uint64_t ice_deadline;   /* from its last BRTC_ICE_OUTPUT_TIMEOUT, while not dirty */
  uint64_t setup_deadline; /* connectivity and DTLS must be done by then; PC_NEVER after */
  uint64_t ice_check_timeout_us; /* answer to first check, at most; 0: no own limit */
  uint64_t check_deadline;       /* the first check must come by then; PC_NEVER: none */
  brtc_dtls *dtls;
  bool dtls_client;
  bool dtls_started;
  bool keep_dtls;
  bool keep_keylog;
  char *keylog; /* BRTC_DTLS_KEYLOG_LEN bytes once connected, with keep_keylog only */
  brtc_dtls_role dtls_role;
  bool dtls_released;     /* OpenSSL's state freed after the handshake (keep_dtls) */
  bool peer_has_keys;     /* an authenticated SRTP/SRTCP packet arrived */
  uint64_t srtp_authenticated; /* SRTP/SRTCP packets that authenticated */
  bool too_big_logged;        /* the first frame refused as too big was logged */
  uint8_t dtls_drops_logged; /* kinds of dropped DTLS records already logged, a bit each */
  bool have_media_addr;
  brtc_addr media_addr; /* where DTLS and RTCP go: the selected pair, else the first valid */
  brtc_addr media_source; /* the local address they leave from (the pair's base) */
  brtc_srtp *srtp_in, *srtp_out;
  struct pc_early_srtp *early_srtp; /* pc_early_srtp.c: came before the keys; NULL mostly */

  /* Media in. */
  pc_track *tracks[PC_MAX_TRACKS]; /* in offer order; each owned */
  size_t n_tracks;
  uint8_t ext_mid_id;     /* the MID header extension's id on the bundle, 0 when none */
  bool any_video;
  brtc_keyframe_policy keyframe_policy;
  uint64_t rtt_us;        /* smoothed, from XR DLRR; 0 until the first */
  /* The peer's last RRTR (RFC 3611 4.4): its SSRC, the middle 32 bits of its NTP time and
   * when it came, for the DLRR block (4.5) beside each of our sender reports. */
  bool rrtr_seen;
  uint32_t rrtr_ssrc, rrtr_lrr;
  uint64_t rrtr_at_us;

  /* RTCP out. */
  uint64_t next_rr_us;
  bool remb_due;         /* send a REMB at once (the first video packet came) */
  bool bye_pending;

  /* Data channels (pc_datachannel.c): enabled by the config; NULL until a channel is made
   * or the offer's data section is accepted. */
  bool datachannels;
  struct pc_data *data;

  /* Signaling (pc_jsep.c): the JSEP state; the offerer's side (pc_offer.c), NULL until
   * create_offer. */
  brtc_signaling_state signaling;
  struct pc_offer *offer;
  /* Tracks we send (pc_send.h): NULL until brtc_pc_add_track. */
  struct pc_send *send;
  /* Renegotiation (pc_reneg.h): the last exchange's sections; NULL until one finished. */
  struct pc_reneg *reneg;
  /* Gathering and trickle (pc_gather.h): NULL for a lite agent. */
  struct pc_gather *gather;
};

/* pc_events.c. The one way an event leaves the pc: queued for brtc_pc_poll_output. detail
 * (a string) and data/len are copied; other pointers (mid, codec) must live as long as the
 * pc. BRTC_ERR_LIMIT when the owner has not drained and the queue is full (counted). */
int pc_push_event(brtc_pc *pc, const brtc_output *ev);
bool pc_pop_event(brtc_pc *pc, brtc_output *out);
/* The same, data/len lent by lender (a track's frame assembler) instead of copied: the
 * lender keeps those bytes until pc_events_settle(pc, lender), which the pc calls before
 * anything may change them, and which copies the events still queued. */
int pc_push_event_lent(brtc_pc *pc, const brtc_output *ev, const void *lender);
void pc_events_settle(brtc_pc *pc, const void *lender);
void pc_events_free(brtc_pc *pc);
/* Gives the queue's memory back while it is empty: an idle session holds none of it. */
void pc_events_trim(brtc_pc *pc);

/* peer_connection.c */
void pc_emit_step(brtc_pc *pc, brtc_pc_step step, const char *detail);
void pc_emit_log(brtc_pc *pc, const char *detail);
void pc_fail(brtc_pc *pc, const char *reason);
/* Every call that feeds or changes the pc: the time moves on, and the pc goes on its loop's
 * ready list. */
void pc_touch(brtc_pc *pc, uint64_t now_us);
void pc_mark_ready(brtc_pc *pc);

/* pc_ice.c: the pc's ICE agent.
 *
 * The hook for the offerer role (branch pc-offer): the agent is made controlled with the pc;
 * before any remote description is applied, pc_ice_set_controlling(pc, true) makes it the
 * controlling agent (JSEP: the offerer controls, RFC 8445 6.1.1). Then pc_ice_set_remote with
 * the answer's ufrag, pwd, a=ice-lite, candidates and end-of-candidates starts the checks,
 * and pc_transport_setup_dtls (pc_transport.c) the DTLS side. tests/pc/test_pc_ice.c
 * connects two pcs that way. */
int pc_ice_new(brtc_pc *pc, const brtc_pc_config *config, char *err, size_t err_cap);
void pc_ice_free(brtc_pc *pc);
/* BRTC_ERR_STATE for a lite agent, or once the remote description is in. */
int pc_ice_set_controlling(brtc_pc *pc, bool controlling);
/* The remote description's ICE part; BRTC_ERR_INVALID for bad credentials. */
int pc_ice_set_remote(brtc_pc *pc, const char *ufrag, const char *pwd, bool remote_lite,
                      const char *const *candidates, size_t n, bool end_of_candidates);
/* A later description of the same ICE generation says a=end-of-candidates (RFC 8838 8.2). */
void pc_ice_remote_ended(brtc_pc *pc);
/* A trickled candidate line, or "" for end-of-candidates. */
int pc_ice_add_remote_candidate(brtc_pc *pc, const char *line);
const char *pc_ice_local_ufrag(const brtc_pc *pc);
const char *pc_ice_local_pwd(const brtc_pc *pc);
bool pc_ice_is_lite(const brtc_pc *pc);
/* A STUN datagram from `from`: checks answered, answers to our checks taken; journey steps,
 * where DTLS goes, and consent follow. */
int pc_ice_handle_stun(brtc_pc *pc, const uint8_t *data, size_t len, const brtc_addr *from);
void pc_ice_timeout(brtc_pc *pc);
/* The next STUN datagram (answers, checks), from `source` to `to`; BRTC_ERR_AGAIN if none. */
int pc_ice_poll(brtc_pc *pc, uint8_t *out, size_t cap, size_t *out_len, brtc_addr *to,
                brtc_addr *source);
uint64_t pc_ice_deadline(const brtc_pc *pc);
/* Authenticated media from `from` renews consent (RFC 7675; see the transport's). */
void pc_ice_renew_consent(brtc_pc *pc, const brtc_addr *from);
bool pc_ice_valid_remote(const brtc_pc *pc, const brtc_addr *from);
bool pc_ice_consent_holds(const brtc_pc *pc, const brtc_addr *from, uint64_t now_us);
/* The selected pair's remote address, false before one is selected. */
bool pc_ice_selected_remote(const brtc_pc *pc, brtc_addr *out);

/* pc_transport.c */
/* The DTLS side of the transport once the roles are known: client or server, and the peer's
 * sha-256 fingerprint ("AB:CD:..."). BRTC_ERR_CRYPTO, BRTC_ERR_STATE when already made. */
int pc_transport_setup_dtls(brtc_pc *pc, bool client, const char *remote_fingerprint);
int pc_transport_datagram(brtc_pc *pc, const uint8_t *data, size_t len, const brtc_addr *from);
void pc_transport_timeout(brtc_pc *pc);
/* brtc_pc_close: queue an authenticated close_notify. */
void pc_transport_close(brtc_pc *pc);
/* Builds the next STUN or DTLS datagram, to `to` from `source`; BRTC_ERR_AGAIN if none. */
int pc_transport_poll(brtc_pc *pc, uint8_t *out, size_t cap, size_t *out_len, brtc_addr *to,
                      brtc_addr *source);
/* After ICE moved (pc_ice.c): DTLS starts once the peer is known. */
void pc_transport_ice_ready(brtc_pc *pc);
uint64_t pc_transport_deadline(const brtc_pc *pc);

/* pc_early_srtp.c: SRTP/SRTCP from a checked address before DTLS keyed SRTP, held (bounded
 * per session) and read once keyed. hold: false when not held (keyed, no DTLS, or full);
 * replay hands each to `read` and frees the hold. */
typedef int (*pc_srtp_reader)(brtc_pc *pc, const uint8_t *data, size_t len,
                              const brtc_addr *from);
bool pc_early_srtp_hold(brtc_pc *pc, const uint8_t *data, size_t len, const brtc_addr *from);
void pc_early_srtp_replay(brtc_pc *pc, pc_srtp_reader read);
/* Frees what is held; returns how many packets that was. */
size_t pc_early_srtp_discard(brtc_pc *pc);

/* pc_media.c */
void pc_media_rtp(brtc_pc *pc, uint8_t *pkt, size_t len);
void pc_media_rtcp(brtc_pc *pc, uint8_t *pkt, size_t len);
/* Builds the next SRTCP datagram (BYE, PLI, NACK, RR, REMB); BRTC_ERR_AGAIN if none is due. */
int pc_media_poll_rtcp(brtc_pc *pc, uint8_t *out, size_t cap, size_t *out_len);
uint64_t pc_media_deadline(const brtc_pc *pc);
/* Time passes for media: incomplete frames whose hold is over are given up. */
void pc_media_timeout(brtc_pc *pc);
/* Asks for a keyframe; automatic requests are rate-limited, explicit ones are not. */
void pc_media_want_pli(brtc_pc *pc, bool explicit_request);
/* No more keyframe requests (closed or failed). */
void pc_media_cancel_requests(brtc_pc *pc);
/* Adds a track for an accepted section; BRTC_ERR_NOMEM, BRTC_ERR_LIMIT. */
int pc_media_add_track(brtc_pc *pc, const pc_track *proto);
void pc_media_free(brtc_pc *pc);

/* pc_datachannel.c: one SCTP association per pc, over DTLS application data. */
/* The offer's data section was accepted: the peer's a=sctp-port and a=max-message-size
 * (0 when absent). BRTC_ERR_NOMEM. */
int pc_data_negotiated(brtc_pc *pc, uint16_t remote_port, uint32_t remote_max_message,
                       bool remote_max_given);
bool pc_data_active(const brtc_pc *pc); /* negotiated */
/* The channels' transport (for stats), NULL before the first channel. */
const struct brtc_dc_transport *pc_data_transport(const brtc_pc *pc);
/* The offer failed after all: no data section. */
void pc_data_forget_offer(brtc_pc *pc);
/* DTLS is connected: the association starts. */
void pc_data_dtls_connected(brtc_pc *pc);
/* One authenticated DTLS application record: an SCTP packet. */
void pc_data_packet(brtc_pc *pc, const uint8_t *pkt, size_t len);
void pc_data_timeout(brtc_pc *pc);
uint64_t pc_data_deadline(const brtc_pc *pc);
/* The next SCTP packet as a DTLS datagram; BRTC_ERR_AGAIN if none. */
int pc_data_poll(brtc_pc *pc, uint8_t *out, size_t cap, size_t *out_len);
/* The pc closes (send: tell the peer with an ABORT before the close_notify) or failed: every
 * channel is CLOSED. */
void pc_data_end(brtc_pc *pc, bool send);
void pc_data_free(brtc_pc *pc);

/* pc_signaling.c */
int pc_signaling_set_offer(brtc_pc *pc, const char *sdp, char *err, size_t err_cap);
/* Undoes a remote offer (rollback): no answer, tracks, data section or DTLS state. */
void pc_signaling_forget_offer(brtc_pc *pc);
/* Our host candidates as a=candidate values ("candidate:1 1 udp ..."), one per host address;
 * text holds them. Returns how many. */
#define PC_CANDIDATE_LEN 160
struct brtc_sdp;
struct brtc_sdp_negotiated;
/* Receive tracks (and the data section) from a negotiated remote description: the offer we
 * answered, or the answer to ours. */
bool pc_signaling_take_negotiated(brtc_pc *pc, const struct brtc_sdp *remote,
                                  const struct brtc_sdp_negotiated *neg);
size_t pc_signaling_host_candidates(const brtc_pc *pc, char text[][PC_CANDIDATE_LEN],
                                    const char **cands);
/* pc_gather.c: every local candidate for a description (up to PC_MAX_SDP_CANDIDATES): the
 * host ones as above (none under the relay policy), then those gathered so far. */
size_t pc_local_candidates(const brtc_pc *pc, char text[][PC_CANDIDATE_LEN], const char **cands);
/* pc_ice_tcp.c: the ICE-TCP passive host candidates (RFC 6544), at most room of them. */
size_t pc_ice_tcp_candidates(const brtc_pc *pc, char text[][PC_CANDIDATE_LEN], const char **cands,
                             size_t room);

/* pc_jsep.c: the signaling state machine (RFC 8829 5.5, 5.6; W3C webrtc 4.4.1). */
typedef enum pc_jsep_call {
  PC_CALL_CREATE_OFFER = 0,
  PC_CALL_CREATE_ANSWER,
  PC_CALL_SET_LOCAL_OFFER,
  PC_CALL_SET_LOCAL_ANSWER,
  PC_CALL_SET_LOCAL_ROLLBACK,
  PC_CALL_SET_REMOTE_OFFER,
  PC_CALL_SET_REMOTE_ANSWER,
  PC_CALL_SET_REMOTE_ROLLBACK,
} pc_jsep_call;
/* BRTC_OK if the call may be made in the current state; BRTC_ERR_STATE with the line that
 * names both otherwise (BRTC_ERR_UNSUPPORTED for rolling back a remote renegotiation offer). */
int pc_jsep_allow(const brtc_pc *pc, pc_jsep_call call, char *err, size_t err_cap);
/* set_remote_description for "answer" and "rollback". */
int pc_jsep_set_remote(brtc_pc *pc, const char *type, const char *sdp, char *err,
                       size_t err_cap);

/* pc_offer.c: the offerer. */
/* Writes a new offer into pc->offer; BRTC_ERR_STATE when there is nothing to offer. */
int pc_offer_create(brtc_pc *pc, const char **sdp, char *err, size_t err_cap);
/* set_local_description("offer"): sdp NULL or the offer made. */
int pc_offer_apply_local(brtc_pc *pc, const char *sdp, char *err, size_t err_cap);
/* set_remote_description("answer"): checked against the offer, then the transport and the
 * data channels are set up from it. */
int pc_offer_apply_answer(brtc_pc *pc, const char *sdp, char *err, size_t err_cap);
/* Rollback of our offer: back to no offer applied. */
void pc_offer_rollback(brtc_pc *pc);
/* The applied offer has a data section; false without one. */
bool pc_offer_has_data(const brtc_pc *pc);
/* Set local and not yet answered (create_datachannel needs a section then). */
bool pc_offer_pending(const brtc_pc *pc);
void pc_offer_free(brtc_pc *pc);
/* The offer set as our local description (NULL when none): trickle's events name its mid. */
const char *pc_offer_local_sdp(const brtc_pc *pc);
/* The last offer we made, answered or not (NULL after a rollback, or if none). */
const char *pc_offer_last_sdp(const brtc_pc *pc);

#endif
