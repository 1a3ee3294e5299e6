/* The WHIP PATCH body parser (src/signal/whip_sdpfrag.c, RFC 8840 9.2): the fragments of
 * RFC 8840's and RFC 9725's examples (trickle with end-of-candidates; an ICE restart's new
 * credentials; the server's answer fragment), Chromium's shape (credentials per section,
 * LF-only lines), and every malformed shape refused with the line and the reason. Then the
 * server's fragment written from an answer, parsed back. */
#include <stdio.h>
#include <string.h>

#include "boltrtc/error.h"
#include "signal/whip_sdpfrag.h"
#include "testing.h"

static brtc_sdpfrag frag;
static char err[256];

static int parse(const char *text) {
  err[0] = '\0';
  return brtc_sdpfrag_parse(text, strlen(text), &frag, err, sizeof err);
}

/* RFC 8840 4.4 (an INFO's body): session-level credentials, two sections. */
static void test_rfc8840_example(void) {
  const char *t = "a=ice-pwd:asd88fgpdd777uzjYhagZg\r\n"
                  "a=ice-ufrag:8hhY\r\n"
                  "m=audio 5000 RTP/AVP 0\r\n"
                  "a=mid:1\r\n"
                  "a=candidate:1 1 UDP 1658497328 198.51.100.33 5000 typ host\r\n"
                  "a=candidate:1 2 UDP 1658497328 198.51.100.33 5001 typ host\r\n"
                  "m=video 5002 RTP/AVP 31\r\n"
                  "a=mid:2\r\n"
                  "a=candidate:1 1 UDP 1658497328 198.51.100.33 5002 typ host\r\n"
                  "a=candidate:1 2 UDP 1658497328 198.51.100.33 5003 typ host\r\n";
  CHECK_EQ_INT(parse(t), BRTC_OK);
  CHECK_STR(frag.ufrag, "8hhY");
  CHECK_STR(frag.pwd, "asd88fgpdd777uzjYhagZg");
  CHECK_EQ_INT(frag.n_media, 2);
  CHECK_STR(frag.media[0].mid, "1");
  CHECK_STR(frag.media[1].mid, "2");
  CHECK_EQ_INT(frag.n_candidates, 4);
  CHECK_EQ_INT(frag.candidates[2].media, 1);
  CHECK_STR(frag.candidates[3].value, "candidate:1 2 UDP 1658497328 198.51.100.33 5003 typ host");
  CHECK(!frag.end_of_candidates);
}

/* RFC 9725 4.3.1's trickle PATCH: media-level credentials, TCP candidates among them, and
 * end-of-candidates. */
static void test_rfc9725_trickle(void) {
  const char *t =
      "a=group:BUNDLE 0 1\r\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
      "a=mid:0\r\n"
      "a=ice-ufrag:EsAw\r\n"
      "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
      "a=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0 ufrag "
      "EsAw network-id 1\r\n"
      "a=candidate:3471623853 1 udp 2122194687 198.51.100.2 61765 typ host generation 0 ufrag "
      "EsAw network-id 2\r\n"
      "a=candidate:473322822 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active generation 0 "
      "ufrag EsAw network-id 1\r\n"
      "a=candidate:2154773085 1 tcp 1518214911 198.51.100.2 9 typ host tcptype active "
      "generation 0 ufrag EsAw network-id 2\r\n"
      "a=end-of-candidates\r\n";
  CHECK_EQ_INT(parse(t), BRTC_OK);
  CHECK_STR(frag.ufrag, "EsAw");
  CHECK_STR(frag.pwd, "P2uYro0UCOQ4zxjKXaWCBui1");
  CHECK_EQ_INT(frag.n_media, 1);
  CHECK_EQ_INT(frag.n_candidates, 4);
  CHECK(frag.media[0].end_of_candidates);
  CHECK(frag.end_of_candidates); /* every section ended */
}

/* RFC 9725 4.3.2: the restart's fragment (new credentials, no candidate yet), and the
 * server's answer to it (a=ice-lite, its own credentials, one candidate, ended). */
static void test_rfc9725_restart(void) {
  const char *req = "a=ice-options:trickle ice2\r\n"
                    "a=group:BUNDLE 0 1\r\n"
                    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
                    "a=mid:0\r\n"
                    "a=ice-ufrag:ysXw\r\n"
                    "a=ice-pwd:vw5LmwG4y/e6dPP/zAP9Gp5k\r\n";
  CHECK_EQ_INT(parse(req), BRTC_OK);
  CHECK_STR(frag.ufrag, "ysXw");
  CHECK_EQ_INT(frag.n_candidates, 0);
  const char *resp = "a=ice-lite\r\n"
                     "a=ice-options:trickle ice2\r\n"
                     "a=group:BUNDLE 0 1\r\n"
                     "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
                     "a=mid:0\r\n"
                     "a=ice-ufrag:289b31b754eaa438\r\n"
                     "a=ice-pwd:0b66f472495ef0ccac7bda653ab6be49ea13114472a5d10a\r\n"
                     "a=candidate:1 1 udp 2130706431 198.51.100.1 39132 typ host\r\n"
                     "a=end-of-candidates\r\n";
  CHECK_EQ_INT(parse(resp), BRTC_OK);
  CHECK_STR(frag.pwd, "0b66f472495ef0ccac7bda653ab6be49ea13114472a5d10a");
  CHECK_EQ_INT(frag.n_candidates, 1);
  CHECK(frag.end_of_candidates);
}

/* Bare LF lines, no final newline, credentials repeated per section (the same), a blank line,
 * session-level end-of-candidates alone. */
static void test_shapes(void) {
  CHECK_EQ_INT(parse("m=video 9 UDP/TLS/RTP/SAVPF 96\na=mid:v\na=ice-ufrag:abcd\n"
                     "a=ice-pwd:0123456789012345678901\n\nm=audio 9 UDP/TLS/RTP/SAVPF 111\n"
                     "a=mid:a\na=ice-ufrag:abcd\na=ice-pwd:0123456789012345678901\n"
                     "a=candidate:2 1 udp 1 10.0.0.1 9 typ host"),
               BRTC_OK);
  CHECK_EQ_INT(frag.n_media, 2);
  CHECK_EQ_INT(frag.candidates[0].media, 1);
  CHECK_EQ_INT(parse("a=end-of-candidates\r\n"), BRTC_OK);
  CHECK(frag.end_of_candidates);
  CHECK_EQ_INT(frag.n_media, 0);
  CHECK_EQ_INT(parse(""), BRTC_OK);
  CHECK_EQ_INT(frag.n_media, 0);
}

static void refused(const char *text, int rc, const char *reason) {
  CHECK_EQ_INT(parse(text), rc);
  CHECK(strstr(err, reason) != NULL);
  if (!strstr(err, reason)) fprintf(stderr, "  \"%s\" lacks \"%s\"\n", err, reason);
  CHECK(strchr(err, '\n') == NULL); /* one line, for an HTTP 400 */
}

static void test_malformed(void) {
  static const struct {
    const char *text, *reason;
  } bad[] = {
      {"v=0\r\n", "only a= and m= lines"},
      {"hello\r\n", "not an SDP line"},
      {"a=candidate:1 1 udp 1 10.0.0.1 9 typ host\r\n", "outside a media"},
      {"m=audio 9 X 0\r\na=candidate:1 1 udp 1 10.0.0.1 9 typ host\r\n", "no a=mid"},
      {"m=audio 9 X 0\r\na=mid:0\r\na=mid:1\r\n", "a second a=mid"},
      {"a=mid:0\r\n", "before any m="},
      {"m=\r\n", "malformed m="},
      {"m=audio\r\n", "malformed m="},
      {"a=ice-ufrag:abcd\r\n", "come together"},
      {"a=ice-ufrag:ab:cd\r\na=ice-pwd:0123456789012345678901\r\n", "without ':'"},
      {"a=ice-ufrag:\r\n", "1 to 256"},
      {"a=ice-ufrag:abcd\r\na=ice-ufrag:efgh\r\n", "different a=ice-ufrag"},
      {"a=end-of-candidates:yes\r\n", "takes no value"},
      {"m=audio 9 X 0\r\na=mid:0\r\na=candidate:\r\n", "empty a=candidate"},
      {"a=ice-pwd:ab\x01\r\n", "control character"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    refused(bad[i].text, BRTC_ERR_PARSE, bad[i].reason);
  CHECK_EQ_INT(brtc_sdpfrag_parse("a=x\0y", 5, &frag, err, sizeof err), BRTC_ERR_PARSE);
  char big[BRTC_SDPFRAG_MAX_SIZE + 2];
  memset(big, 'a', sizeof big);
  CHECK_EQ_INT(brtc_sdpfrag_parse(big, sizeof big, &frag, err, sizeof err), BRTC_ERR_TOO_BIG);
  /* More candidates than the table holds: refused, not truncated. */
  char many[BRTC_SDPFRAG_MAX_SIZE];
  size_t n = (size_t)snprintf(many, sizeof many, "m=audio 9 X 0\r\na=mid:0\r\n");
  for (int i = 0; i <= BRTC_SDPFRAG_MAX_CANDIDATES; i++)
    n += (size_t)snprintf(many + n, sizeof many - n,
                          "a=candidate:%d 1 udp 1 10.0.0.1 9 typ host\r\n", i);
  CHECK_EQ_INT(brtc_sdpfrag_parse(many, n, &frag, err, sizeof err), BRTC_ERR_LIMIT);
  /* A long candidate line is refused, not cut. */
  char longline[BRTC_SDPFRAG_LINE_MAX + 64];
  n = (size_t)snprintf(longline, sizeof longline, "m=audio 9 X 0\r\na=mid:0\r\na=candidate:");
  memset(longline + n, '1', BRTC_SDPFRAG_LINE_MAX);
  longline[n + BRTC_SDPFRAG_LINE_MAX] = '\0';
  CHECK_EQ_INT(parse(longline), BRTC_ERR_PARSE);
  CHECK(strstr(err, "longer than") != NULL);
}

/* The server's fragment from an answer of ours: only the ICE lines, and it parses back. */
static void test_from_answer(void) {
  const char *answer = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ice-lite\r\n"
                       "a=group:BUNDLE 0\r\na=msid-semantic: WMS\r\n"
                       "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
                       "a=ice-ufrag:Ab12\r\na=ice-pwd:0123456789abcdefghijkl\r\n"
                       "a=fingerprint:sha-256 AA:BB\r\na=setup:active\r\na=mid:0\r\n"
                       "a=rtpmap:96 VP8/90000\r\n"
                       "a=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host\r\n"
                       "a=end-of-candidates\r\n";
  char out[1024];
  size_t n = brtc_sdpfrag_from_answer(answer, out, sizeof out);
  CHECK(n > 0);
  CHECK_STR(out, "a=ice-lite\r\na=group:BUNDLE 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
                 "a=ice-ufrag:Ab12\r\na=ice-pwd:0123456789abcdefghijkl\r\na=mid:0\r\n"
                 "a=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host\r\n"
                 "a=end-of-candidates\r\n");
  CHECK_EQ_INT(brtc_sdpfrag_parse(out, n, &frag, err, sizeof err), BRTC_OK);
  CHECK_STR(frag.ufrag, "Ab12");
  CHECK_EQ_INT(frag.n_candidates, 1);
  CHECK(frag.end_of_candidates);
  CHECK_EQ_INT(brtc_sdpfrag_from_answer(answer, out, 40), 0); /* too small: nothing */
}

int main(void) {
  RUN(test_rfc8840_example);
  RUN(test_rfc9725_trickle);
  RUN(test_rfc9725_restart);
  RUN(test_shapes);
  RUN(test_malformed);
  RUN(test_from_answer);
  return TEST_REPORT();
}
