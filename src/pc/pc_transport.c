/* The transport under a peer connection: demultiplex datagrams by first byte (RFC 7983),
 * STUN to the ICE agent (pc_ice.c), run DTLS once the peer has passed a check, key SRTP
 * from DTLS, carry DTLS application data to and from the data channels (pc_datachannel.c). */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "pc/pc_internal.h"

static void dtls_failed(brtc_pc *pc) {
  char reason[200];
  const char *why = brtc_dtls_error(pc->dtls);
  if (!why || !*why) why = "handshake failed";
  /* The DTLS core's reasons mostly say "DTLS: " already. */
  snprintf(reason, sizeof(reason), "%s%s", strncmp(why, "DTLS: ", 6) == 0 ? "" : "DTLS: ", why);
  pc_fail(pc, reason);
}

static void maybe_start_dtls(brtc_pc *pc) {
  if (!pc->dtls || !pc->dtls_client || pc->dtls_started || !pc->have_media_addr) return;
  pc->dtls_started = true;
  if (brtc_dtls_start(pc->dtls, pc->now_us) != BRTC_OK) dtls_failed(pc);
}

void pc_transport_ice_ready(brtc_pc *pc) {
  if (!pc->failed && !pc->closed) maybe_start_dtls(pc);
}

int pc_transport_setup_dtls(brtc_pc *pc, bool client, const char *remote_fingerprint) {
  if (pc->dtls) return BRTC_ERR_STATE;
  pc->dtls_client = client;
  pc->dtls = brtc_dtls_new(pc->certificate->cert, client, remote_fingerprint);
  return pc->dtls ? BRTC_OK : BRTC_ERR_CRYPTO;
}

static const char *profile_name(brtc_srtp_profile_id p) {
  switch (p) {
    case BRTC_SRTP_PROFILE_AES128_CM_SHA1_80: return "AES_CM_128_HMAC_SHA1_80";
    case BRTC_SRTP_PROFILE_AEAD_AES_128_GCM: return "AEAD_AES_128_GCM";
    default: return "none";
  }
}

/* Only while OpenSSL's state is there: the release forgets the master secret. */
static void keep_keylog(brtc_pc *pc) {
  if (!pc->keep_keylog || pc->keylog) return;
  pc->keylog = malloc(BRTC_DTLS_KEYLOG_LEN);
  if (pc->keylog && brtc_dtls_keylog_line(pc->dtls, pc->keylog, BRTC_DTLS_KEYLOG_LEN) != BRTC_OK) {
    free(pc->keylog);
    pc->keylog = NULL;
  }
}

/* DTLS is up with no SRTP (a data-only session whose peer offered no use_srtp). */
static void connected_without_srtp(brtc_pc *pc) {
  const char *cipher = brtc_dtls_cipher(pc->dtls);
  snprintf(pc->stats.dtls_cipher, sizeof(pc->stats.dtls_cipher), "%s", cipher ? cipher : "");
  char detail[128];
  snprintf(detail, sizeof(detail), "%s, fingerprint verified", pc->stats.dtls_cipher);
  pc_emit_step(pc, BRTC_STEP_DTLS_CONNECTED, detail);
  pc->setup_deadline = PC_NEVER;
}

static void key_srtp(brtc_pc *pc) {
  keep_keylog(pc);
  brtc_dtls_srtp_keys k;
  int keys = brtc_dtls_get_srtp_keys(pc->dtls, &k);
  if (keys == BRTC_ERR_NOT_FOUND && pc->n_tracks == 0) {
    connected_without_srtp(pc);
    return;
  }
  if (keys != BRTC_OK) {
    pc_fail(pc, "DTLS: no SRTP keys (use_srtp not negotiated)");
    return;
  }
  pc->srtp_in = brtc_srtp_new(k.profile, BRTC_SRTP_INBOUND, k.remote_key, k.key_len,
                              k.remote_salt, k.salt_len);
  pc->srtp_out = brtc_srtp_new(k.profile, BRTC_SRTP_OUTBOUND, k.local_key, k.key_len,
                               k.local_salt, k.salt_len);
  brtc_srtp_profile_id profile = k.profile;
  OPENSSL_cleanse(&k, sizeof(k));
  if (!pc->srtp_in || !pc->srtp_out) {
    brtc_srtp_free(pc->srtp_in);
    brtc_srtp_free(pc->srtp_out);
    pc->srtp_in = pc->srtp_out = NULL;
    pc_fail(pc, "SRTP: cannot key the contexts");
    return;
  }
  const char *cipher = brtc_dtls_cipher(pc->dtls);
  snprintf(pc->stats.dtls_cipher, sizeof(pc->stats.dtls_cipher), "%s", cipher ? cipher : "");
  snprintf(pc->stats.srtp_profile, sizeof(pc->stats.srtp_profile), "%s", profile_name(profile));
  char detail[128];
  snprintf(detail, sizeof(detail), "%s, fingerprint verified", pc->stats.dtls_cipher);
  pc_emit_step(pc, BRTC_STEP_DTLS_CONNECTED, detail);
  pc_emit_step(pc, BRTC_STEP_SRTP_READY, pc->stats.srtp_profile);
  pc->next_rr_us = pc->now_us + PC_RR_INTERVAL_US;
  pc->setup_deadline = PC_NEVER;
}

/* Authenticated application data is an SCTP packet; it also shows the peer finished the
 * handshake (it holds the keys) and renews consent, as authenticated SRTP does. */
static void app_data(brtc_pc *pc, const uint8_t *pkt, size_t len, const brtc_addr *from) {
  pc->peer_has_keys = true;
  if (from) pc_ice_renew_consent(pc, from);
  pc_data_packet(pc, pkt, len);
}

static int handle_srtp(brtc_pc *pc, const uint8_t *data, size_t len, const brtc_addr *from);

/* Media that came before the keys (pc_early_srtp.c) is read now, in the order it came. */
static void read_early_srtp(brtc_pc *pc) {
  uint64_t held = pc->stats.srtp_early_held;
  if (!held) return;
  if (!pc->srtp_in) { /* a data-only session after all: nothing will read them */
    pc->stats.dropped_unexpected += pc_early_srtp_discard(pc);
    return;
  }
  char line[128];
  snprintf(line, sizeof(line), "%llu SRTP packets came before DTLS finished: held, read now",
           (unsigned long long)held);
  pc_emit_log(pc, line);
  pc_early_srtp_replay(pc, handle_srtp);
}

/* After DTLS moved: key SRTP and start SCTP, notice failure or the peer's close, hand queued
 * application data to the data channels. */
static void after_dtls(brtc_pc *pc, const brtc_addr *from) {
  switch (brtc_dtls_get_state(pc->dtls)) {
    case BRTC_DTLS_CONNECTED:
      if (!pc->steps_done[BRTC_STEP_DTLS_CONNECTED] && !pc->failed) {
        key_srtp(pc);
        if (!pc->failed) pc_data_dtls_connected(pc);
        if (!pc->failed) read_early_srtp(pc);
      }
      break;
    case BRTC_DTLS_FAILED: dtls_failed(pc); break;
    case BRTC_DTLS_CLOSED:
      if (!pc->closed && !pc->failed) {
        pc->closed = true;
        pc_media_cancel_requests(pc);
        pc_data_end(pc, false);
        pc_emit_step(pc, BRTC_STEP_CLOSED, "peer sent an authenticated DTLS close_notify");
      }
      break;
    default: break;
  }
  uint8_t pkt[PC_MAX_DATAGRAM];
  size_t n;
  while (brtc_dtls_read(pc->dtls, pkt, sizeof(pkt), &n) == BRTC_OK) app_data(pc, pkt, n, from);
}

/* RFC 6347 4.1: a datagram is whole DTLS 1.x records, each a 13-byte header and its
 * fragment. OpenSSL drops broken records silently; checking the framing here lets us
 * count them. */
static bool dtls_records_well_formed(const uint8_t *data, size_t len) {
  size_t off = 0;
  while (off < len) {
    if (len - off < 13) return false;
    const uint8_t *r = data + off;
    if (r[0] < 20 || r[0] > 63 || r[1] != 0xfe || (r[2] != 0xff && r[2] != 0xfd)) return false;
    size_t frag = brtc_rd16(r + 11);
    if (frag > len - off - 13) return false;
    off += 13 + frag;
  }
  return true;
}

/* Records the DTLS layer dropped after the handshake, as pc counters, with one log line
 * per kind for the session's life (a flood must not become a flood of log lines). */
static void count_dtls_drops(brtc_pc *pc, const brtc_dtls_stats *a, const brtc_dtls_stats *b,
                             const brtc_addr *from) {
  static const char *const what[] = {"a DTLS record that does not authenticate",
                                     "a replayed DTLS record",
                                     "a plaintext DTLS alert after the handshake"};
  uint64_t n[3] = {b->records_forged - a->records_forged,
                   b->records_replayed - a->records_replayed,
                   b->plaintext_alerts - a->plaintext_alerts};
  pc->stats.dropped_auth += n[0] + n[2];
  pc->stats.dropped_replay += n[1];
  pc->stats.dropped_unexpected += b->records_unexpected - a->records_unexpected;
  pc->stats.dropped_malformed += b->records_malformed - a->records_malformed;
  for (unsigned i = 0; i < 3; i++) {
    if (!n[i] || (pc->dtls_drops_logged & (1u << i))) continue;
    pc->dtls_drops_logged |= (uint8_t)(1u << i);
    char addr[BRTC_ADDR_STRLEN], line[160];
    snprintf(line, sizeof(line), "dropped %s from %s (counted; not logged again)", what[i],
             brtc_addr_str(from, addr, sizeof(addr)));
    pc_emit_log(pc, line);
  }
}

static int handle_dtls(brtc_pc *pc, const uint8_t *data, size_t len, const brtc_addr *from) {
  if (!dtls_records_well_formed(data, len)) {
    pc->stats.dropped_malformed++;
    return BRTC_ERR_PARSE;
  }
  if (!pc->dtls || !pc_ice_valid_remote(pc, from)) {
    pc->stats.dropped_unexpected++;
    return BRTC_ERR_STATE;
  }
  if (!pc_ice_selected_remote(pc, NULL) && !brtc_addr_equal(&pc->media_addr, from)) {
    /* Answer the peer where it speaks from, on the local address it reached before. */
    pc->media_addr = *from;
    pc->have_media_addr = true;
  }
  brtc_dtls_stats before, after;
  brtc_dtls_get_stats(pc->dtls, &before);
  uint8_t app[PC_MAX_DATAGRAM];
  size_t app_len = 0;
  int rc = brtc_dtls_handle_app(pc->dtls, data, len, pc->now_us, app, sizeof(app), &app_len);
  brtc_dtls_get_stats(pc->dtls, &after);
  count_dtls_drops(pc, &before, &after, from);
  if (rc != BRTC_OK && brtc_dtls_get_state(pc->dtls) != BRTC_DTLS_FAILED &&
      after.records_malformed == before.records_malformed)
    pc->stats.dropped_malformed++;
  after_dtls(pc, from); /* first: SCTP starts when DTLS connects */
  if (app_len && !pc->closed && !pc->failed) app_data(pc, app, app_len, from);
  return rc;
}

static int handle_srtp(brtc_pc *pc, const uint8_t *data, size_t len, const brtc_addr *from) {
  if (!pc_ice_valid_remote(pc, from)) {
    pc->stats.dropped_unexpected++;
    return BRTC_ERR_STATE;
  }
  if (len > PC_MAX_DATAGRAM) {
    pc->stats.dropped_malformed++;
    return BRTC_ERR_TOO_BIG;
  }
  if (!pc->srtp_in) {
    if (pc_early_srtp_hold(pc, data, len, from)) return BRTC_OK;
    pc->stats.dropped_unexpected++;
    return BRTC_ERR_STATE;
  }
  uint8_t buf[PC_MAX_DATAGRAM]; /* unprotect works in place; the caller's bytes are const */
  memcpy(buf, data, len);
  uint64_t authenticated = pc->srtp_authenticated;
  if (brtc_rtp_is_rtcp(buf, len)) pc_media_rtcp(pc, buf, len);
  else pc_media_rtp(pc, buf, len);
  if (pc->srtp_authenticated != authenticated) pc_ice_renew_consent(pc, from);
  return BRTC_OK;
}

int pc_transport_datagram(brtc_pc *pc, const uint8_t *data, size_t len, const brtc_addr *from) {
  if (len == 0) {
    pc->stats.dropped_malformed++;
    return BRTC_ERR_PARSE;
  }
  uint8_t b = data[0];
  if (b <= 3) return pc_ice_handle_stun(pc, data, len, from);
  if (b >= 20 && b <= 63) return handle_dtls(pc, data, len, from);
  if (b >= 128 && b <= 191) return handle_srtp(pc, data, len, from);
  /* 64..79 would be TURN channel data: not on this port. Anything else is no protocol. */
  if (b >= 64 && b <= 79) pc->stats.dropped_unexpected++;
  else pc->stats.dropped_malformed++;
  return BRTC_ERR_PARSE;
}

void pc_transport_timeout(brtc_pc *pc) {
  if (pc->closed || pc->failed) return;
  if (pc->dtls && brtc_dtls_next_deadline(pc->dtls) <= pc->now_us) {
    brtc_dtls_handle_timeout(pc->dtls, pc->now_us);
    after_dtls(pc, NULL);
  }
  pc_data_timeout(pc);
  if (pc->setup_deadline <= pc->now_us) {
    pc->setup_deadline = PC_NEVER;
    if (!pc->steps_done[BRTC_STEP_ICE_CHECK])
      pc_fail(pc, "ICE: no connectivity check from the peer within 30 s");
    else pc_fail(pc, "DTLS: handshake not done within 30 s");
    return;
  }
  pc_ice_timeout(pc);
}

/* The handshake is over for both sides: as the client we hold the server's last flight;
 * as the server, authenticated SRTP from the client shows it got ours (so it will not
 * retransmit and need an answer). Our own output must be drained first. */
static bool dtls_releasable(const brtc_pc *pc) {
  if (pc->keep_dtls || pc->closed || pc->failed || !pc->steps_done[BRTC_STEP_DTLS_CONNECTED])
    return false;
  if (brtc_dtls_released(pc->dtls) || brtc_dtls_get_state(pc->dtls) != BRTC_DTLS_CONNECTED)
    return false;
  return pc->dtls_client || pc->peer_has_keys;
}

/* Frees OpenSSL's state; the epoch-1 record layer that stays authenticates the peer's
 * alerts and protects our close_notify. */
static void release_dtls(brtc_pc *pc) {
  if (brtc_dtls_release(pc->dtls) == BRTC_OK) pc->dtls_released = true;
}

void pc_transport_close(brtc_pc *pc) {
  if (pc->dtls && !pc->failed && brtc_dtls_get_state(pc->dtls) == BRTC_DTLS_CONNECTED)
    brtc_dtls_close(pc->dtls);
}

int pc_transport_poll(brtc_pc *pc, uint8_t *out, size_t cap, size_t *out_len, brtc_addr *to,
                      brtc_addr *source) {
  /* STUN first: answers and triggered checks are what the peer waits on. */
  if (pc->ice_dirty && !pc->closed && !pc->failed) {
    int rc = pc_ice_poll(pc, out, cap, out_len, to, source);
    if (rc != BRTC_ERR_AGAIN) return rc;
  }
  if (pc->dtls && pc->have_media_addr) {
    int rc = brtc_dtls_poll_output(pc->dtls, out, cap, out_len);
    if (rc == BRTC_ERR_AGAIN && dtls_releasable(pc)) release_dtls(pc);
    if (rc == BRTC_ERR_AGAIN) rc = pc_data_poll(pc, out, cap, out_len);
    if (rc == BRTC_OK) {
      *to = pc->media_addr;
      *source = pc->media_source;
    }
    return rc;
  }
  return BRTC_ERR_AGAIN;
}

uint64_t pc_transport_deadline(const brtc_pc *pc) {
  if (pc->closed || pc->failed) return PC_NEVER;
  uint64_t t = pc_ice_deadline(pc);
  if (pc->setup_deadline < t) t = pc->setup_deadline;
  if (pc->dtls) {
    uint64_t d = brtc_dtls_next_deadline(pc->dtls);
    if (d < t) t = d;
  }
  uint64_t d = pc_data_deadline(pc);
  return d < t ? d : t;
}
