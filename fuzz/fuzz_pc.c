/* Datagrams into a peer connection that has answered an offer and passed one ICE check.
 * Input: records of [flags][len hi][len lo][bytes]; flags bit 0 picks a stranger's
 * address, bit 1 advances the clock and runs the timers, bit 2 asks for a keyframe. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/peer_connection.h"
#include "common/addr.h"
#include "stun/stun.h"

static const char offer[] =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1 2 3\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:fuzz\r\na=ice-pwd:fuzzfuzzfuzzfuzzfuzzfuzz\r\n"
    "a=fingerprint:sha-256 42:6D:A4:C5:4C:86:CD:69:61:55:17:FE:3F:24:4B:73:D7:45:D3:C1:8D:26:60:"
    "84:BE:BF:66:79:2A:E6:11:D5\r\n"
    "a=setup:actpass\r\na=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\na=rtcp-rsize\r\n"
    "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\n"
    "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\na=ssrc:1234 cname:x\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:fuzz\r\na=ice-pwd:fuzzfuzzfuzzfuzzfuzzfuzz\r\n"
    "a=fingerprint:sha-256 42:6D:A4:C5:4C:86:CD:69:61:55:17:FE:3F:24:4B:73:D7:45:D3:C1:8D:26:60:"
    "84:BE:BF:66:79:2A:E6:11:D5\r\n"
    "a=setup:actpass\r\na=mid:1\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n"
    /* A second video track, bundle-only, found by the MID extension alone (issue 6). */
    "m=video 0 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 0.0.0.0\r\na=bundle-only\r\n"
    "a=ice-ufrag:fuzz\r\na=ice-pwd:fuzzfuzzfuzzfuzzfuzzfuzz\r\n"
    "a=fingerprint:sha-256 42:6D:A4:C5:4C:86:CD:69:61:55:17:FE:3F:24:4B:73:D7:45:D3:C1:8D:26:60:"
    "84:BE:BF:66:79:2A:E6:11:D5\r\n"
    "a=setup:actpass\r\na=mid:2\r\n"
    "a=extmap:9 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=sendrecv\r\na=rtcp-mux\r\n"
    "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\n"
    "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"
    /* Data channels (issue 9): application data that does not authenticate must go nowhere. */
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:fuzz\r\na=ice-pwd:fuzzfuzzfuzzfuzzfuzzfuzz\r\n"
    "a=fingerprint:sha-256 42:6D:A4:C5:4C:86:CD:69:61:55:17:FE:3F:24:4B:73:D7:45:D3:C1:8D:26:60:"
    "84:BE:BF:66:79:2A:E6:11:D5\r\n"
    "a=setup:actpass\r\na=mid:3\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n";

static brtc_certificate *cert;

/* The rule: drained after every call (bounded: a pc that never drains is a finding). */
static void drain(brtc_pc *pc, uint8_t *buf, size_t cap) {
  for (int i = 0; i < 4096; i++) {
    brtc_output out = {.size = sizeof(out)};
    if (brtc_pc_poll_output(pc, buf, cap, &out) != 0 || out.kind == BRTC_OUTPUT_TIMEOUT) return;
  }
  abort();
}

/* A nominating check signed with the pc's password (read back from its answer). */
static size_t make_check(brtc_pc *pc, const char *answer, uint8_t *out, size_t cap) {
  const char *p = strstr(answer, "a=ice-pwd:");
  if (!p) return 0;
  p += 10;
  size_t pwd_len = strcspn(p, "\r\n");
  char user[64];
  snprintf(user, sizeof(user), "%s:fuzz", brtc_pc_local_ufrag(pc));
  static const uint8_t tid[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  brtc_stun_writer w;
  brtc_stun_writer_init(&w, out, cap, BRTC_STUN_BINDING_REQUEST, tid);
  brtc_stun_add_bytes(&w, BRTC_STUN_ATTR_USERNAME, user, strlen(user));
  brtc_stun_add_u32(&w, BRTC_STUN_ATTR_PRIORITY, 12345);
  brtc_stun_add_u64(&w, BRTC_STUN_ATTR_ICE_CONTROLLING, 42);
  brtc_stun_add_flag(&w, BRTC_STUN_ATTR_USE_CANDIDATE);
  size_t len = 0;
  if (brtc_stun_finish(&w, (const uint8_t *)p, pwd_len, true, &len) != 0) return 0;
  return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!cert) cert = brtc_certificate_generate();
  if (!cert) return 0;
  brtc_addr peer, stranger, host;
  brtc_addr_from_ip(&peer, "127.0.0.1", 40000);
  brtc_addr_from_ip(&stranger, "10.0.0.1", 40001);
  brtc_addr_from_ip(&host, "127.0.0.1", 5000);
  struct sockaddr_storage host_ss;
  memset(&host_ss, 0, sizeof(host_ss));
  memcpy(&host_ss, &host.u, brtc_addr_len(&host));
  /* Both taps on: their copies of what arrives are fuzzed too. */
  brtc_pc_config *cfg = brtc_pc_config_new();
  brtc_pc_config_set_certificate(cfg, cert);
  brtc_pc_config_add_host_address(cfg, (const struct sockaddr *)&host_ss);
  brtc_pc_config_set_plain_packet_events(cfg, true);
  brtc_pc_config_set_wire_packet_events(cfg, true);
  brtc_pc_config_set_datachannels(cfg, true);
  brtc_pc *pc = NULL;
  brtc_pc_new(cfg, &pc, NULL, 0);
  brtc_pc_config_free(cfg);
  if (!pc) return 0;
  uint64_t now = 1000000;
  const char *answer = NULL;
  if (brtc_pc_set_remote_description(pc, "offer", offer, now, NULL, 0) != 0 ||
      brtc_pc_create_answer(pc, &answer, NULL, 0) != 0) {
    brtc_pc_free(pc);
    return 0;
  }
  uint8_t buf[2048];
  size_t len = make_check(pc, answer, buf, sizeof(buf));
  brtc_pc_handle_datagram(pc, buf, len, &peer.u.sa, now);
  drain(pc, buf, sizeof(buf));

  size_t off = 0;
  while (off + 3 <= size) {
    uint8_t flags = data[off];
    size_t n = (size_t)((data[off + 1] << 8) | data[off + 2]);
    off += 3;
    if (n > size - off) n = size - off;
    const brtc_addr *from = (flags & 1) ? &stranger : &peer;
    brtc_pc_handle_datagram(pc, data + off, n, &from->u.sa, now);
    drain(pc, buf, sizeof(buf));
    off += n;
    if (flags & 2) {
      now += 100000u * (flags >> 4);
      brtc_pc_handle_timeout(pc, now);
      drain(pc, buf, sizeof(buf));
    }
    if (flags & 4) {
      brtc_pc_request_keyframe(pc, now);
      drain(pc, buf, sizeof(buf));
    }
  }
  brtc_pc_stats st = {.size = sizeof(brtc_pc_stats)};
  brtc_pc_get_stats(pc, &st);
  brtc_pc_close(pc, now);
  drain(pc, buf, sizeof(buf));
  brtc_pc_free(pc);
  return 0;
}
