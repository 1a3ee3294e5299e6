/* WebSocket signaling messages: what the page may send, the error text for what it must not,
 * and the JSON the server sends back. */
#include <cjson/cJSON.h>
#include <stdlib.h>

#include "boltrtc/error.h"
#include "signal/ws_messages.h"
#include "testing.h"

static int parse(const char *text, brtc_ws_msg *m, char *err, size_t cap) {
  err[0] = '\0';
  return brtc_ws_msg_parse(text, strlen(text), m, err, cap);
}

static void test_offer(void) {
  brtc_ws_msg m;
  char err[160];
  CHECK_EQ_INT(parse("{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\"}", &m, err, sizeof(err)), BRTC_OK);
  CHECK_EQ_INT(m.type, BRTC_WS_MSG_OFFER);
  CHECK_STR(m.sdp, "v=0\r\n");
  CHECK_EQ_INT(m.video_width, 0);
  brtc_ws_msg_free(&m);
  /* The page says its camera's size, for the answer's bitrates. */
  CHECK_EQ_INT(parse("{\"type\":\"offer\",\"sdp\":\"v=0\",\"video\":{\"width\":1280,\"height\":720}}",
                     &m, err, sizeof(err)),
               BRTC_OK);
  CHECK_EQ_INT(m.video_width, 1280);
  CHECK_EQ_INT(m.video_height, 720);
  brtc_ws_msg_free(&m);
  CHECK_EQ_INT(parse("{\"type\":\"offer\",\"sdp\":\"v=0\",\"video\":null}", &m, err, sizeof(err)),
               BRTC_OK);
  brtc_ws_msg_free(&m);
  static const char *const bad[] = {
      "{\"type\":\"offer\",\"sdp\":\"v=0\",\"video\":{\"width\":1280}}",
      "{\"type\":\"offer\",\"sdp\":\"v=0\",\"video\":{\"width\":0,\"height\":720}}",
      "{\"type\":\"offer\",\"sdp\":\"v=0\",\"video\":{\"width\":1e9,\"height\":720}}",
      "{\"type\":\"offer\",\"sdp\":\"v=0\",\"video\":{\"width\":\"1280\",\"height\":720}}",
      "{\"type\":\"offer\",\"sdp\":\"v=0\",\"video\":[1280,720]}",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    CHECK_EQ_INT(parse(bad[i], &m, err, sizeof(err)), BRTC_ERR_PARSE);
    CHECK(strstr(err, "\"video\"") != NULL);
  }
}

static void test_offer_without_sdp(void) {
  brtc_ws_msg m;
  char err[160];
  CHECK_EQ_INT(parse("{\"type\":\"offer\"}", &m, err, sizeof(err)), BRTC_ERR_PARSE);
  CHECK(strstr(err, "sdp") != NULL);
  CHECK_EQ_INT(parse("{\"type\":\"offer\",\"sdp\":42}", &m, err, sizeof(err)), BRTC_ERR_PARSE);
  CHECK(strstr(err, "sdp") != NULL);
  CHECK_EQ_INT(parse("{\"type\":\"offer\",\"sdp\":\"\"}", &m, err, sizeof(err)), BRTC_ERR_PARSE);
  CHECK(m.json == NULL); /* nothing to free on failure */
}

static void test_bad_json(void) {
  brtc_ws_msg m;
  char err[160];
  CHECK_EQ_INT(parse("{\"type\":\"offer\",", &m, err, sizeof(err)), BRTC_ERR_PARSE);
  CHECK(strstr(err, "bad JSON") != NULL);
  CHECK_EQ_INT(parse("not json at all", &m, err, sizeof(err)), BRTC_ERR_PARSE);
  CHECK(strstr(err, "bad JSON") != NULL);
  CHECK_EQ_INT(brtc_ws_msg_parse("", 0, &m, err, sizeof(err)), BRTC_ERR_PARSE);
  CHECK(strstr(err, "empty") != NULL);
  /* Length-limited: a message is not NUL-terminated on the wire. */
  const char *two = "{\"type\":\"bye\"}{\"type\":";
  CHECK_EQ_INT(brtc_ws_msg_parse(two, 14, &m, err, sizeof(err)), BRTC_OK);
  CHECK_EQ_INT(m.type, BRTC_WS_MSG_BYE);
  brtc_ws_msg_free(&m);
  CHECK_EQ_INT(brtc_ws_msg_parse(two, 13, &m, err, sizeof(err)), BRTC_ERR_PARSE);
}

static void test_not_an_object_or_no_type(void) {
  brtc_ws_msg m;
  char err[160];
  CHECK_EQ_INT(parse("[1,2,3]", &m, err, sizeof(err)), BRTC_ERR_PARSE);
  CHECK(strstr(err, "object") != NULL);
  CHECK_EQ_INT(parse("\"offer\"", &m, err, sizeof(err)), BRTC_ERR_PARSE);
  CHECK_EQ_INT(parse("{\"sdp\":\"v=0\"}", &m, err, sizeof(err)), BRTC_ERR_PARSE);
  CHECK(strstr(err, "type") != NULL);
  CHECK_EQ_INT(parse("{\"type\":7}", &m, err, sizeof(err)), BRTC_ERR_PARSE);
  CHECK(strstr(err, "type") != NULL);
}

static void test_unknown_type(void) {
  brtc_ws_msg m;
  char err[160];
  CHECK_EQ_INT(parse("{\"type\":\"hello\"}", &m, err, sizeof(err)), BRTC_ERR_PARSE);
  CHECK(strstr(err, "unknown message type \"hello\"") != NULL);
  /* A huge type name is cut, not copied whole into the reply. */
  char big[600] = "{\"type\":\"";
  memset(big + strlen(big), 'x', 500);
  strcpy(big + 9 + 500, "\"}");
  CHECK_EQ_INT(parse(big, &m, err, sizeof(err)), BRTC_ERR_PARSE);
  CHECK(strlen(err) < sizeof(err));
  CHECK(strstr(err, "unknown message type") != NULL);
}

static void test_candidates(void) {
  brtc_ws_msg m;
  char err[160];
  CHECK_EQ_INT(parse("{\"type\":\"candidate\",\"candidate\":\"candidate:1 1 udp 1 127.0.0.1 5000 "
                     "typ host\",\"sdpMid\":\"0\"}",
                     &m, err, sizeof(err)),
               BRTC_OK);
  CHECK_EQ_INT(m.type, BRTC_WS_MSG_CANDIDATE);
  CHECK(strncmp(m.candidate, "candidate:1 ", 12) == 0);
  CHECK(m.sdp_mid && strcmp(m.sdp_mid, "0") == 0);
  brtc_ws_msg_free(&m);
  /* End of candidates: null, "" or missing. */
  CHECK_EQ_INT(parse("{\"type\":\"candidate\",\"candidate\":null}", &m, err, sizeof(err)), BRTC_OK);
  CHECK_STR(m.candidate, "");
  brtc_ws_msg_free(&m);
  CHECK_EQ_INT(parse("{\"type\":\"candidate\",\"candidate\":\"\"}", &m, err, sizeof(err)), BRTC_OK);
  CHECK_STR(m.candidate, "");
  brtc_ws_msg_free(&m);
  CHECK_EQ_INT(parse("{\"type\":\"candidate\"}", &m, err, sizeof(err)), BRTC_OK);
  CHECK_STR(m.candidate, "");
  brtc_ws_msg_free(&m);
  /* The RTCIceCandidateInit shape. */
  CHECK_EQ_INT(parse("{\"type\":\"candidate\",\"candidate\":{\"candidate\":\"candidate:2 1 udp 1 "
                     "::1 9 typ host\",\"sdpMid\":\"1\"}}",
                     &m, err, sizeof(err)),
               BRTC_OK);
  CHECK(strncmp(m.candidate, "candidate:2 ", 12) == 0);
  CHECK(m.sdp_mid && strcmp(m.sdp_mid, "1") == 0);
  brtc_ws_msg_free(&m);
  CHECK_EQ_INT(parse("{\"type\":\"candidate\",\"candidate\":5}", &m, err, sizeof(err)),
               BRTC_ERR_PARSE);
  CHECK(strstr(err, "candidate") != NULL);
}

static void test_snapshot_and_bye(void) {
  brtc_ws_msg m;
  char err[160];
  CHECK_EQ_INT(parse("{\"type\":\"snapshot\"}", &m, err, sizeof(err)), BRTC_OK);
  CHECK_EQ_INT(m.type, BRTC_WS_MSG_SNAPSHOT);
  brtc_ws_msg_free(&m);
  CHECK_EQ_INT(parse(" {\"type\":\"bye\",\"extra\":[1]} ", &m, err, sizeof(err)), BRTC_OK);
  CHECK_EQ_INT(m.type, BRTC_WS_MSG_BYE);
  brtc_ws_msg_free(&m);
}

static const char *str_field(cJSON *o, const char *name) {
  cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  return cJSON_IsString(v) ? v->valuestring : "";
}

static double num_field(cJSON *o, const char *name) {
  cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static void test_server_messages(void) {
  char *t = brtc_ws_make_answer("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n", NULL);
  cJSON *o = cJSON_Parse(t);
  CHECK(o != NULL);
  CHECK_STR(str_field(o, "type"), "answer");
  CHECK_STR(str_field(o, "sdp"), "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n");
  cJSON_Delete(o);
  free(t);

  t = brtc_ws_make_step("s4", "ice-connected", "nominated \"127.0.0.1:5\"", 1234);
  o = cJSON_Parse(t);
  CHECK(o != NULL);
  CHECK_STR(str_field(o, "type"), "step");
  CHECK_STR(str_field(o, "session"), "s4");
  CHECK_STR(str_field(o, "step"), "ice-connected");
  CHECK_STR(str_field(o, "detail"), "nominated \"127.0.0.1:5\"");
  CHECK(num_field(o, "t_ms") == 1234);
  cJSON_Delete(o);
  free(t);

  t = brtc_ws_make_step("s4", "answer", NULL, 0);
  o = cJSON_Parse(t);
  CHECK_STR(str_field(o, "detail"), "");
  cJSON_Delete(o);
  free(t);

  t = brtc_ws_make_keyframe("s2", "shoot3.jpg", 640, 480, NULL);
  o = cJSON_Parse(t);
  CHECK_STR(str_field(o, "type"), "keyframe");
  CHECK_STR(str_field(o, "file"), "shoot3.jpg");
  CHECK_STR(str_field(o, "url"), "/output/shoot3.jpg");
  CHECK(num_field(o, "width") == 640 && num_field(o, "height") == 480);
  CHECK(cJSON_GetObjectItemCaseSensitive(o, "mid") == NULL);
  cJSON_Delete(o);
  free(t);
  t = brtc_ws_make_keyframe("s2", "shoot4-mid1.jpg", 1280, 720, "1");
  o = cJSON_Parse(t);
  CHECK_STR(str_field(o, "mid"), "1");
  CHECK_STR(str_field(o, "url"), "/output/shoot4-mid1.jpg");
  cJSON_Delete(o);
  free(t);

  t = brtc_ws_make_error("bad JSON: x");
  o = cJSON_Parse(t);
  CHECK_STR(str_field(o, "type"), "error");
  CHECK_STR(str_field(o, "message"), "bad JSON: x");
  cJSON_Delete(o);
  free(t);
}

int main(void) {
  RUN(test_offer);
  RUN(test_offer_without_sdp);
  RUN(test_bad_json);
  RUN(test_not_an_object_or_no_type);
  RUN(test_unknown_type);
  RUN(test_candidates);
  RUN(test_snapshot_and_bye);
  RUN(test_server_messages);
  return TEST_REPORT();
}
