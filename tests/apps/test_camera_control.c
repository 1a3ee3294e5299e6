/* The remote camera's control messages (apps/camera_control.h): what the page sends is
 * parsed to the values a motor takes, anything else is refused with a reason, the ack echoes
 * seq and t exactly and parses back as JSON, and only a newer seq reaches the motors. */
#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#include "camera_control.h"
#include "testing.h"

static int parse(const char *text, camera_command *c) {
  char err[96];
  return camera_command_parse(text, strlen(text), c, err, sizeof(err));
}

static void test_page_command(void) {
  camera_command c;
  CHECK_EQ_INT(parse("{\"seq\":12,\"t\":53211.5,\"steer\":-1,\"throttle\":0.5}", &c), 0);
  CHECK(c.seq == 12 && c.t_ms == 53211.5 && c.steer == -1.0 && c.throttle == 0.5);
  /* members in any order, extra ones ignored, whitespace */
  CHECK_EQ_INT(parse(" { \"throttle\" : -1 , \"pad\":\"x\", \"steer\":1,\"t\":0,\"seq\":0 } ", &c), 0);
  CHECK(c.seq == 0 && c.steer == 1.0 && c.throttle == -1.0);
  /* the largest exact seq a page's double holds */
  CHECK_EQ_INT(parse("{\"seq\":9007199254740991,\"t\":1,\"steer\":0,\"throttle\":0}", &c), 0);
  CHECK(c.seq == 9007199254740991ull);
}

static void test_refused(void) {
  camera_command c;
  char err[96] = "";
  const char *bad[] = {
      "", "not json", "[1,2]", "null", "{\"seq\":1}",
      "{\"seq\":-1,\"t\":0,\"steer\":0,\"throttle\":0}",
      "{\"seq\":1.5,\"t\":0,\"steer\":0,\"throttle\":0}",
      "{\"seq\":9007199254740993,\"t\":0,\"steer\":0,\"throttle\":0}",
      "{\"seq\":\"1\",\"t\":0,\"steer\":0,\"throttle\":0}",
      "{\"seq\":1,\"steer\":0,\"throttle\":0}",
      "{\"seq\":1,\"t\":0,\"steer\":1.01,\"throttle\":0}",
      "{\"seq\":1,\"t\":0,\"steer\":0,\"throttle\":-2}",
      "{\"seq\":1,\"t\":0,\"steer\":true,\"throttle\":0}",
      "{\"seq\":1,\"t\":0,\"steer\":0,\"throttle\":0",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    err[0] = '\0';
    CHECK_EQ_INT(camera_command_parse(bad[i], strlen(bad[i]), &c, err, sizeof(err)), -1);
    CHECK(err[0] != '\0');
  }
  CHECK_EQ_INT(parse("{\"seq\":1,\"t\":0,\"steer\":0.5,\"throttle\":0}", &c), 0);
  CHECK(camera_command_parse("{\"seq\":1,\"t\":0,\"steer\":0.5,\"throttle\":0}", 10, &c, err,
                             sizeof(err)) == -1); /* the length is honoured: no NUL needed */
  char big[CAMERA_CONTROL_MAX + 2];
  memset(big, ' ', sizeof(big));
  memcpy(big, "{\"seq\":1,\"t\":0,\"steer\":0,\"throttle\":0}", 37);
  CHECK_EQ_INT(camera_command_parse(big, sizeof(big), &c, err, sizeof(err)), -1);
}

static void test_ack(void) {
  camera_command c;
  CHECK_EQ_INT(parse("{\"seq\":7,\"t\":1234.0625000001,\"steer\":0,\"throttle\":1}", &c), 0);
  char buf[CAMERA_ACK_MAX];
  int n = camera_ack_format(&c, 1765087200123.456, false, buf, sizeof(buf));
  CHECK(n > 0 && (size_t)n == strlen(buf));
  cJSON *ack = cJSON_Parse(buf);
  CHECK(ack != NULL);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(ack, "type")), "ack");
  CHECK(cJSON_GetObjectItem(ack, "seq")->valuedouble == 7);
  CHECK(cJSON_GetObjectItem(ack, "t")->valuedouble == 1234.0625000001); /* exactly */
  CHECK(fabs(cJSON_GetObjectItem(ack, "rx")->valuedouble - 1765087200123.456) < 0.001);
  CHECK(cJSON_IsFalse(cJSON_GetObjectItem(ack, "stale")));
  cJSON_Delete(ack);
  CHECK(camera_ack_format(&c, 1, true, buf, sizeof(buf)) > 0 && strstr(buf, "\"stale\":true"));
  CHECK_EQ_INT(camera_ack_format(&c, 1, false, buf, 20), -1); /* too small: no partial ack */
}

static void test_newest(void) {
  camera_command_order o = {0};
  camera_command c = {.seq = 0};
  CHECK(camera_command_is_newest(&o, &c)); /* the first, even seq 0 */
  c.seq = 3;
  CHECK(camera_command_is_newest(&o, &c));
  c.seq = 2; /* overtaken on the unordered channel: stale */
  CHECK(!camera_command_is_newest(&o, &c));
  c.seq = 3; /* a repeat */
  CHECK(!camera_command_is_newest(&o, &c));
  c.seq = 4;
  CHECK(camera_command_is_newest(&o, &c));
}

int main(void) {
  RUN(test_page_command);
  RUN(test_refused);
  RUN(test_ack);
  RUN(test_newest);
  return TEST_REPORT();
}
