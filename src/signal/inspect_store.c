/* The packet inspector's memory (inspect_store.h). */
#include "signal/inspect_store.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "common/random.h"

int brtc_inspect_store_init(brtc_inspect_store *st, size_t max_sessions, size_t per_kind,
                            uint64_t linger_us) {
  memset(st, 0, sizeof(*st));
  st->max_sessions = max_sessions ? max_sessions : BRTC_INSPECT_DEFAULT_SESSIONS;
  st->per_kind = per_kind ? per_kind : BRTC_INSPECT_DEFAULT_PER_KIND;
  if (st->max_sessions > BRTC_INSPECT_MAX_SESSIONS || st->per_kind > BRTC_INSPECT_MAX_PER_KIND)
    return BRTC_ERR_INVALID;
  st->linger_us = linger_us ? linger_us : BRTC_INSPECT_LINGER_US;
  st->entries = calloc(st->max_sessions, sizeof(*st->entries));
  return st->entries ? BRTC_OK : BRTC_ERR_NOMEM;
}

static void entry_free(brtc_inspect_entry *e) {
  if (!e) return;
  for (size_t i = 0; i < e->n_buckets; i++) {
    brtc_inspect_bucket *b = &e->buckets[i];
    for (size_t k = 0; k < b->n; k++) free(b->packets[k].data);
    free(b->packets);
  }
  brtc_inspect_context_free(e->ctx);
  /* The id opens the session's packets: gone with them. */
  OPENSSL_cleanse(e->id, sizeof(e->id));
  free(e);
}

static void remove_at(brtc_inspect_store *st, size_t i) {
  entry_free(st->entries[i]);
  st->entries[i] = st->entries[--st->n];
  st->entries[st->n] = NULL;
}

void brtc_inspect_store_free(brtc_inspect_store *st) {
  while (st->n) remove_at(st, st->n - 1);
  free(st->entries);
  st->entries = NULL;
}

void brtc_inspect_store_expire(brtc_inspect_store *st, uint64_t now_us) {
  for (size_t i = 0; i < st->n;) {
    brtc_inspect_entry *e = st->entries[i];
    if (!e->live && now_us >= e->ended_us + st->linger_us)
      remove_at(st, i);
    else
      i++;
  }
}

brtc_inspect_entry *brtc_inspect_store_open(brtc_inspect_store *st, const char *session,
                                            uint64_t now_us) {
  brtc_inspect_store_expire(st, now_us);
  if (st->n == st->max_sessions) {
    /* Make room from the ended session that ended first; live ones are never dropped. */
    size_t oldest = st->n;
    for (size_t i = 0; i < st->n; i++)
      if (!st->entries[i]->live &&
          (oldest == st->n || st->entries[i]->ended_us < st->entries[oldest]->ended_us))
        oldest = i;
    if (oldest == st->n) {
      st->refused++;
      return NULL;
    }
    remove_at(st, oldest);
  }
  brtc_inspect_entry *e = calloc(1, sizeof(*e));
  if (e) e->ctx = brtc_inspect_context_new();
  uint8_t raw[BRTC_INSPECT_ID_LEN / 2];
  if (!e || !e->ctx || brtc_random_bytes(raw, sizeof(raw)) != BRTC_OK) {
    if (e) brtc_inspect_context_free(e->ctx);
    free(e);
    st->refused++;
    return NULL;
  }
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < sizeof(raw); i++) {
    e->id[2 * i] = hex[raw[i] >> 4];
    e->id[2 * i + 1] = hex[raw[i] & 15];
  }
  OPENSSL_cleanse(raw, sizeof(raw));
  size_t n = strlen(session);
  if (n >= sizeof(e->session)) n = sizeof(e->session) - 1;
  memcpy(e->session, session, n);
  e->live = true;
  e->started_us = now_us;
  e->per_kind = st->per_kind;
  st->entries[st->n++] = e;
  st->opened++;
  return e;
}

void brtc_inspect_entry_sdp(brtc_inspect_entry *e, const char *offer, size_t offer_len,
                            const char *answer, size_t answer_len) {
  if (!e) return;
  brtc_inspect_context_add_sdp(e->ctx, offer, offer_len, false);
  brtc_inspect_context_add_sdp(e->ctx, answer, answer_len, true);
}

void brtc_inspect_entry_set_srtp(brtc_inspect_entry *e, const char *profile) {
  if (!e || !profile || !profile[0]) return;
  size_t n = strlen(profile);
  if (n >= sizeof(e->srtp_profile)) n = sizeof(e->srtp_profile) - 1;
  memcpy(e->srtp_profile, profile, n);
  e->srtp_profile[n] = '\0';
  brtc_inspect_context_set_srtp(e->ctx, e->srtp_profile);
}

/* Which kind a tapped packet is (RFC 7983 5 on the wire; the tap says RTP or RTCP). */
static brtc_inspect_kind kind_of(bool wire, bool rtcp, const uint8_t *data, size_t len) {
  if (!wire) return rtcp ? BRTC_INSPECT_RTCP : BRTC_INSPECT_RTP;
  uint8_t b = data[0];
  if (b <= 3) return BRTC_INSPECT_STUN;
  if (b >= 20 && b <= 63) return BRTC_INSPECT_DTLS;
  if (b >= 128 && b <= 191 && len >= 12)
    /* RFC 5761 4: RTCP packet types 192-223 in the second byte. */
    return data[1] >= 192 && data[1] <= 223 ? BRTC_INSPECT_SRTCP : BRTC_INSPECT_SRTP;
  return BRTC_INSPECT_UNKNOWN;
}

static brtc_inspect_bucket *bucket_for(brtc_inspect_entry *e, brtc_inspect_kind kind, bool inbound,
                                       uint32_t ssrc) {
  bool media = kind == BRTC_INSPECT_SRTP || kind == BRTC_INSPECT_RTP;
  size_t streams = 0;
  for (size_t i = 0; i < e->n_buckets; i++) {
    brtc_inspect_bucket *b = &e->buckets[i];
    if (b->kind != kind || b->inbound != inbound) continue;
    if (!media || b->ssrc == ssrc) return b;
    streams++;
  }
  if ((media && streams >= BRTC_INSPECT_STREAMS) || e->n_buckets == BRTC_INSPECT_BUCKETS)
    return NULL;
  brtc_inspect_bucket *b = &e->buckets[e->n_buckets++];
  memset(b, 0, sizeof(*b));
  b->kind = kind;
  b->inbound = inbound;
  b->ssrc = media ? ssrc : 0;
  return b;
}

void brtc_inspect_entry_tap(brtc_inspect_entry *e, bool wire, bool inbound, bool rtcp,
                            const uint8_t *data, size_t len, uint64_t now_us) {
  if (!e || !data || len == 0) return;
  e->order++;
  brtc_inspect_kind kind = kind_of(wire, rtcp, data, len);
  uint32_t ssrc = 0;
  if (kind == BRTC_INSPECT_SRTP || kind == BRTC_INSPECT_RTP)
    ssrc = len >= 12 ? (uint32_t)data[8] << 24 | (uint32_t)data[9] << 16 | (uint32_t)data[10] << 8 |
                           data[11]
                     : 0;
  brtc_inspect_bucket *b = bucket_for(e, kind, inbound, ssrc);
  if (!b) {
    e->other_streams++;
    return;
  }
  b->seen++;
  if (b->n >= e->per_kind) return;
  if (!b->packets) {
    b->packets = calloc(e->per_kind, sizeof(*b->packets));
    if (!b->packets) return;
  }
  size_t kept = len < BRTC_INSPECT_SNAPLEN ? len : BRTC_INSPECT_SNAPLEN;
  uint8_t *copy = malloc(kept);
  if (!copy) return;
  memcpy(copy, data, kept);
  b->packets[b->n++] = (brtc_inspect_packet){.at_us = now_us,
                                             .order = e->order,
                                             .len = (uint16_t)(len > UINT16_MAX ? UINT16_MAX : len),
                                             .kept = (uint16_t)kept,
                                             .data = copy};
  e->bytes += kept;
}

bool brtc_inspect_entry_may_render(brtc_inspect_entry *e, uint64_t now_us,
                                   uint64_t *retry_after_us) {
  if (e->rendered_us && now_us < e->rendered_us + BRTC_INSPECT_RENDER_PERIOD_US) {
    *retry_after_us = e->rendered_us + BRTC_INSPECT_RENDER_PERIOD_US - now_us;
    return false;
  }
  e->rendered_us = now_us ? now_us : 1;
  return true;
}

void brtc_inspect_store_ended(brtc_inspect_store *st, brtc_inspect_entry *e, uint64_t now_us) {
  if (!e || !e->live) return;
  e->live = false;
  e->ended_us = now_us;
  brtc_inspect_store_expire(st, now_us);
}

brtc_inspect_entry *brtc_inspect_store_find(brtc_inspect_store *st, const char *id,
                                            uint64_t now_us) {
  brtc_inspect_store_expire(st, now_us);
  if (!id || strlen(id) != BRTC_INSPECT_ID_LEN) return NULL;
  brtc_inspect_entry *found = NULL;
  for (size_t i = 0; i < st->n; i++) /* every one, whatever matched */
    if (CRYPTO_memcmp(st->entries[i]->id, id, BRTC_INSPECT_ID_LEN) == 0) found = st->entries[i];
  return found;
}

uint64_t brtc_inspect_store_bytes(const brtc_inspect_store *st) {
  uint64_t n = 0;
  for (size_t i = 0; i < st->n; i++) n += st->entries[i]->bytes;
  return n;
}
