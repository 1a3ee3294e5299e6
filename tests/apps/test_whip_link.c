/* Link headers as WHIP servers send ICE servers in them (RFC 9725 4.6, RFC 8288 3). */
#include <string.h>

#include "testing.h"
#include "whip_client.h"

/* NULL-safe: a missing value fails the check instead of crashing the test. */
#define CHECK_STR_EQ(a, b) CHECK((a) != NULL && strcmp((a), (b)) == 0)

static void test_rfc9725_example(void) {
  /* The shape of RFC 9725 4.6's example: two links in one header, one with credentials. */
  whip_session s = {0};
  size_t n = whip_parse_link_header(
      "<stun:stun.example.net>; rel=\"ice-server\", "
      "<turn:turn.example.net?transport=udp>; rel=\"ice-server\"; username=\"user\"; "
      "credential=\"myPassword\"; credential-type=\"password\"",
      &s);
  CHECK_EQ_INT(n, 2);
  CHECK_EQ_INT(s.n_ice_servers, 2);
  CHECK_STR_EQ(s.ice_servers[0].url, "stun:stun.example.net");
  CHECK(s.ice_servers[0].username == NULL && s.ice_servers[0].credential == NULL);
  CHECK_STR_EQ(s.ice_servers[1].url, "turn:turn.example.net?transport=udp");
  CHECK_STR_EQ(s.ice_servers[1].username, "user");
  CHECK_STR_EQ(s.ice_servers[1].credential, "myPassword");
  whip_session_clear(&s);
}

static void test_other_rels_skipped_and_quotes(void) {
  whip_session s = {0};
  /* a rel list with ice-server among others counts; other rels do not; a quoted comma and
   * an escaped quote stay inside the value */
  size_t n = whip_parse_link_header(
      "<https://example.net/doc>; rel=\"help\", "
      "<turn:t.example.net>;rel=\"preload ice-server\";username=\"a,b\";credential=\"p\\\"q\"",
      &s);
  CHECK_EQ_INT(n, 1);
  CHECK_STR_EQ(s.ice_servers[0].url, "turn:t.example.net");
  CHECK_STR_EQ(s.ice_servers[0].username, "a,b");
  CHECK_STR_EQ(s.ice_servers[0].credential, "p\"q");
  whip_session_clear(&s);
}

static void test_bad_and_bounded(void) {
  whip_session s = {0};
  CHECK_EQ_INT(whip_parse_link_header("", &s), 0);
  CHECK_EQ_INT(whip_parse_link_header("garbage", &s), 0);
  CHECK_EQ_INT(whip_parse_link_header("<stun:x; rel=ice-server", &s), 0); /* no '>' */
  CHECK_EQ_INT(whip_parse_link_header("<>; rel=ice-server", &s), 0);      /* empty URL */
  CHECK_EQ_INT(whip_parse_link_header("<stun:a>; rel", &s), 0);           /* rel, no value */
  /* a token (unquoted) rel works; more than the cap are skipped, not overflowed */
  for (int i = 0; i < WHIP_MAX_ICE_SERVERS + 3; i++)
    whip_parse_link_header("<stun:a.example>; rel=ice-server", &s);
  CHECK_EQ_INT(s.n_ice_servers, WHIP_MAX_ICE_SERVERS);
  whip_session_clear(&s);
  CHECK_EQ_INT(s.n_ice_servers, 0);
}

int main(void) {
  RUN(test_rfc9725_example);
  RUN(test_other_rels_skipped_and_quotes);
  RUN(test_bad_and_bounded);
  return TEST_REPORT();
}
