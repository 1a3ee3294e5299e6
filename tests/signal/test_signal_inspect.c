/* The packet inspector's memory (signal/inspect_store.h) and JSON (signal/inspect_json.h):
 * kinds told apart (protocol, direction, RTP stream), each bounded to its first packets and
 * every packet to the snap length, the number of inspected sessions capped with ended ones
 * giving way and live ones never, an ended session readable for its linger time only, ids of
 * 128 random bits found only whole, and the JSON carrying each kind decoded with the SRTP form
 * of each plaintext packet. Run under ASan, it also proves everything is freed. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "signal/inspect_json.h"
#include "signal/inspect_store.h"
#include "stun/rfc5769_vectors.h"
#include "testing.h"

static const uint8_t dtls[] = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 14};

/* An RTP packet of ssrc, seq (12-byte header and 4 bytes of payload). */
static void rtp(uint8_t *p, uint32_t ssrc, uint16_t seq) {
  memset(p, 0, 16);
  p[0] = 0x80, p[1] = 96, p[2] = (uint8_t)(seq >> 8), p[3] = (uint8_t)seq;
  p[8] = (uint8_t)(ssrc >> 24), p[9] = (uint8_t)(ssrc >> 16), p[10] = (uint8_t)(ssrc >> 8),
  p[11] = (uint8_t)ssrc;
}

static const brtc_inspect_bucket *bucket(const brtc_inspect_entry *e, brtc_inspect_kind k,
                                         bool inbound, uint32_t ssrc) {
  for (size_t i = 0; i < e->n_buckets; i++)
    if (e->buckets[i].kind == k && e->buckets[i].inbound == inbound && e->buckets[i].ssrc == ssrc)
      return &e->buckets[i];
  return NULL;
}

static void test_kinds_and_bounds(void) {
  brtc_inspect_store st;
  CHECK_EQ_INT(brtc_inspect_store_init(&st, 2, 3, 0), BRTC_OK);
  brtc_inspect_entry *e = brtc_inspect_store_open(&st, "s1", 1000);
  CHECK(e && e->live && strlen(e->id) == BRTC_INSPECT_ID_LEN);
  for (int i = 0; i < 10; i++) {
    brtc_inspect_entry_tap(e, true, true, false, sample_request, sizeof(sample_request), 2000 + i);
    brtc_inspect_entry_tap(e, true, false, false, sample_ipv4_response,
                           sizeof(sample_ipv4_response), 2000);
    brtc_inspect_entry_tap(e, true, true, false, dtls, sizeof(dtls), 3000);
  }
  uint8_t p[16];
  for (uint32_t s = 1; s <= BRTC_INSPECT_STREAMS + 2; s++)
    for (uint16_t q = 0; q < 5; q++) {
      rtp(p, s, q);
      brtc_inspect_entry_tap(e, true, true, false, p, sizeof(p), 4000);  /* SRTP */
      brtc_inspect_entry_tap(e, false, true, false, p, sizeof(p), 4000); /* RTP */
    }
  uint8_t rr[8] = {0x80, 201, 0, 1, 0xaa, 0xbb, 0xcc, 0xdd};
  brtc_inspect_entry_tap(e, false, false, true, rr, sizeof(rr), 5000);
  const brtc_inspect_bucket *b = bucket(e, BRTC_INSPECT_STUN, true, 0);
  CHECK(b && b->n == 3 && b->seen == 10);
  CHECK(b && b->packets[0].at_us == 2000 && b->packets[2].at_us == 2002);
  CHECK(b && b->packets[0].kept == sizeof(sample_request) &&
        memcmp(b->packets[0].data, sample_request, sizeof(sample_request)) == 0);
  b = bucket(e, BRTC_INSPECT_STUN, false, 0);
  CHECK(b && b->n == 3);
  b = bucket(e, BRTC_INSPECT_DTLS, true, 0);
  CHECK(b && b->n == 3 && b->seen == 10);
  CHECK(!bucket(e, BRTC_INSPECT_DTLS, false, 0));
  /* Each RTP stream its own kind, up to BRTC_INSPECT_STREAMS; later ones only counted. */
  for (uint32_t s = 1; s <= BRTC_INSPECT_STREAMS; s++) {
    b = bucket(e, BRTC_INSPECT_RTP, true, s);
    CHECK(b && b->n == 3 && b->seen == 5);
    b = bucket(e, BRTC_INSPECT_SRTP, true, s);
    CHECK(b && b->n == 3);
  }
  CHECK(!bucket(e, BRTC_INSPECT_RTP, true, BRTC_INSPECT_STREAMS + 1));
  CHECK_EQ_INT(e->other_streams, 2 * 2 * 5);
  b = bucket(e, BRTC_INSPECT_RTCP, false, 0);
  CHECK(b && b->n == 1);
  /* Bytes held: what was kept, and nothing more. */
  uint64_t want = 3 * (sizeof(sample_request) + sizeof(sample_ipv4_response) + sizeof(dtls)) +
                  2 * BRTC_INSPECT_STREAMS * 3 * 16 + sizeof(rr);
  CHECK_EQ_INT(e->bytes, want);
  CHECK_EQ_INT(brtc_inspect_store_bytes(&st), want);
  /* A datagram over the snap length is kept cut, its length known. */
  uint8_t big[BRTC_INSPECT_SNAPLEN + 500];
  memset(big, 0, sizeof(big));
  big[0] = 1; /* STUN's first byte */
  brtc_inspect_entry *e2 = brtc_inspect_store_open(&st, "s2", 1000);
  brtc_inspect_entry_tap(e2, true, true, false, big, sizeof(big), 1);
  b = bucket(e2, BRTC_INSPECT_STUN, true, 0);
  CHECK(b && b->packets[0].kept == BRTC_INSPECT_SNAPLEN && b->packets[0].len == sizeof(big));
  brtc_inspect_store_free(&st);
}

static void test_sessions_capped(void) {
  brtc_inspect_store st;
  CHECK_EQ_INT(brtc_inspect_store_init(&st, 2, 0, 10 * 1000000u), BRTC_OK);
  brtc_inspect_entry *a = brtc_inspect_store_open(&st, "s1", 0);
  brtc_inspect_entry *b = brtc_inspect_store_open(&st, "s2", 0);
  CHECK(a && b && strcmp(a->id, b->id) != 0);
  /* Two live ones: a third is refused, and counted. */
  CHECK(brtc_inspect_store_open(&st, "s3", 1) == NULL);
  CHECK_EQ_INT(st.refused, 1);
  char a_id[BRTC_INSPECT_ID_LEN + 1];
  memcpy(a_id, a->id, sizeof(a_id));
  brtc_inspect_store_ended(&st, a, 5 * 1000000u);
  /* Ended, still readable for its linger time. */
  CHECK(brtc_inspect_store_find(&st, a_id, 14 * 1000000u) == a);
  CHECK(!a->live);
  /* An ended one gives way to a new session. */
  brtc_inspect_entry *c = brtc_inspect_store_open(&st, "s3", 6 * 1000000u);
  CHECK(c != NULL && st.n == 2);
  CHECK(brtc_inspect_store_find(&st, a_id, 6 * 1000000u) == NULL);
  /* And lapses after its linger time. */
  brtc_inspect_store_ended(&st, c, 7 * 1000000u);
  char c_id[BRTC_INSPECT_ID_LEN + 1];
  memcpy(c_id, c->id, sizeof(c_id));
  CHECK(brtc_inspect_store_find(&st, c_id, 16 * 1000000u) == c);
  CHECK(brtc_inspect_store_find(&st, c_id, 17 * 1000000u) == NULL);
  CHECK_EQ_INT(st.n, 1);
  brtc_inspect_store_free(&st);
}

static void test_ids(void) {
  brtc_inspect_store st;
  CHECK_EQ_INT(brtc_inspect_store_init(&st, 4, 0, 0), BRTC_OK);
  brtc_inspect_entry *e = brtc_inspect_store_open(&st, "s1", 0);
  for (size_t i = 0; i < BRTC_INSPECT_ID_LEN; i++)
    CHECK((e->id[i] >= '0' && e->id[i] <= '9') || (e->id[i] >= 'a' && e->id[i] <= 'f'));
  char id[BRTC_INSPECT_ID_LEN + 2];
  memcpy(id, e->id, BRTC_INSPECT_ID_LEN + 1);
  CHECK(brtc_inspect_store_find(&st, id, 0) == e);
  /* One character off, a prefix, a longer string, the short session id, nothing: none. */
  id[BRTC_INSPECT_ID_LEN - 1] = id[BRTC_INSPECT_ID_LEN - 1] == '0' ? '1' : '0';
  CHECK(brtc_inspect_store_find(&st, id, 0) == NULL);
  memcpy(id, e->id, BRTC_INSPECT_ID_LEN);
  id[BRTC_INSPECT_ID_LEN - 1] = '\0';
  CHECK(brtc_inspect_store_find(&st, id, 0) == NULL);
  memcpy(id, e->id, BRTC_INSPECT_ID_LEN);
  id[BRTC_INSPECT_ID_LEN] = '0', id[BRTC_INSPECT_ID_LEN + 1] = '\0';
  CHECK(brtc_inspect_store_find(&st, id, 0) == NULL);
  CHECK(brtc_inspect_store_find(&st, "s1", 0) == NULL);
  CHECK(brtc_inspect_store_find(&st, "", 0) == NULL);
  CHECK(brtc_inspect_store_find(&st, NULL, 0) == NULL);
  /* 200 ids: all different (128 random bits each). */
  brtc_inspect_store many;
  CHECK_EQ_INT(brtc_inspect_store_init(&many, 200, 1, 0), BRTC_OK);
  for (int i = 0; i < 200; i++) CHECK(brtc_inspect_store_open(&many, "s", 0) != NULL);
  int same = 0;
  for (size_t i = 0; i < many.n; i++)
    for (size_t k = i + 1; k < many.n; k++)
      same += strcmp(many.entries[i]->id, many.entries[k]->id) == 0;
  CHECK_EQ_INT(same, 0);
  brtc_inspect_store_free(&many);
  brtc_inspect_store_free(&st);
}

static const char offer[] = "v=0\r\na=ice-ufrag:h6vY\r\n";
static const char answer[] = "v=0\r\na=ice-ufrag:evtj\r\na=rtpmap:96 VP8/90000\r\n";

static void test_json(void) {
  brtc_inspect_store st;
  CHECK_EQ_INT(brtc_inspect_store_init(&st, 1, 2, 0), BRTC_OK);
  brtc_inspect_entry *e = brtc_inspect_store_open(&st, "s7", 1000);
  brtc_inspect_entry_sdp(e, offer, strlen(offer), answer, strlen(answer));
  brtc_inspect_entry_set_srtp(e, "AES_CM_128_HMAC_SHA1_80");
  brtc_inspect_entry_tap(e, true, true, false, sample_request, sizeof(sample_request), 1500);
  /* An SRTP packet, then its plaintext (as the pc's two taps see them). */
  uint8_t wire[16 + 10], plain[16];
  rtp(wire, 0x1234, 1);
  memset(wire + 16, 0xee, 10);
  rtp(plain, 0x1234, 1);
  brtc_inspect_entry_tap(e, true, true, false, wire, sizeof(wire), 2000);
  brtc_inspect_entry_tap(e, false, true, false, plain, sizeof(plain), 2000);
  char *text = brtc_inspect_json(e);
  CHECK(text != NULL);
  cJSON *o = cJSON_Parse(text);
  CHECK(o != NULL);
  CHECK_STR(cJSON_GetObjectItem(o, "session")->valuestring, "s7");
  CHECK_STR(cJSON_GetObjectItem(o, "state")->valuestring, "live");
  cJSON *uf = cJSON_GetObjectItem(o, "ufrags");
  CHECK_STR(cJSON_GetObjectItem(uf, "server")->valuestring, "evtj");
  CHECK_STR(cJSON_GetObjectItem(uf, "browser")->valuestring, "h6vY");
  cJSON *kinds = cJSON_GetObjectItem(o, "kinds");
  CHECK_EQ_INT(cJSON_GetArraySize(kinds), 3);
  bool stun = false, rtp_wire = false;
  cJSON *k;
  cJSON_ArrayForEach(k, kinds) {
    const char *name = cJSON_GetObjectItem(k, "kind")->valuestring;
    CHECK(strncmp(cJSON_GetObjectItem(k, "chapter")->valuestring, "docs/journey/", 13) == 0);
    cJSON *p = cJSON_GetArrayItem(cJSON_GetObjectItem(k, "packets"), 0);
    if (strcmp(name, "stun") == 0) {
      stun = true;
      CHECK_EQ_INT(cJSON_GetObjectItem(p, "t_ms")->valuedouble * 1000, 500);
      CHECK_EQ_INT(strlen(cJSON_GetObjectItem(p, "hex")->valuestring), 2 * sizeof(sample_request));
      cJSON *f;
      bool user = false;
      cJSON_ArrayForEach(f, cJSON_GetObjectItem(p, "fields")) user |=
          strcmp(cJSON_GetObjectItem(f, "name")->valuestring, "USERNAME") == 0 &&
          strcmp(cJSON_GetObjectItem(f, "value")->valuestring, "evtj:h6vY") == 0;
      CHECK(user);
    } else if (strcmp(name, "rtp") == 0) {
      cJSON *w = cJSON_GetObjectItem(p, "wire");
      rtp_wire = w && strlen(cJSON_GetObjectItem(w, "hex")->valuestring) == 2 * sizeof(wire);
      CHECK_EQ_INT(cJSON_GetObjectItem(k, "ssrc")->valuedouble, 0x1234);
    }
  }
  CHECK(stun && rtp_wire);
  cJSON_Delete(o);
  free(text);
  text = brtc_inspect_stats_json(&st);
  CHECK(text && strstr(text, "\"inspected\":1") && strstr(text, "\"live\":1"));
  free(text);
  brtc_inspect_store_free(&st);
}

int main(void) {
  RUN(test_kinds_and_bounds);
  RUN(test_sessions_capped);
  RUN(test_ids);
  RUN(test_json);
  return TEST_REPORT();
}
