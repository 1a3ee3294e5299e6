/* An answer to a peer connection's own offer: arbitrary text given to
 * brtc_pc_set_remote_description("answer") after create_offer and set_local_description, then
 * the pc drained and its timers run, so that whatever the answer's checks let through (ICE
 * credentials and candidates, the DTLS role, the data section) is exercised. Each input gets
 * a fresh pc; a refused answer must leave it in have-local-offer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/datachannel.h"
#include "boltrtc/peer_connection.h"

static brtc_certificate *cert;

static void drain(brtc_pc *pc) {
  uint8_t buf[BRTC_PC_MAX_DATAGRAM];
  for (int i = 0; i < 4096; i++) {
    brtc_output out = {.size = sizeof(out)};
    if (brtc_pc_poll_output(pc, buf, sizeof buf, &out) != 0 || out.kind == BRTC_OUTPUT_TIMEOUT)
      return;
  }
  __builtin_trap(); /* a pc that never drains */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!cert) cert = brtc_certificate_generate();
  char *answer = malloc(size + 1);
  if (!answer || !cert) return 0;
  memcpy(answer, data, size);
  answer[size] = '\0';
  brtc_pc_config *cfg = brtc_pc_config_new();
  brtc_pc_config_set_certificate(cfg, cert);
  brtc_pc_config_set_datachannels(cfg, true);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(5000),
                          .sin_addr.s_addr = htonl(0x7f000001)};
  brtc_pc_config_add_host_address(cfg, (const struct sockaddr *)&a);
  brtc_pc *pc = NULL;
  char err[256];
  brtc_datachannel *dc = NULL;
  const char *offer = NULL;
  if (brtc_pc_new(cfg, &pc, err, sizeof err) == 0 &&
      brtc_pc_create_datachannel(pc, 1, "f", NULL, &dc, err, sizeof err) == 0 &&
      brtc_pc_create_offer(pc, 2, &offer, err, sizeof err) == 0 &&
      brtc_pc_set_local_description(pc, "offer", NULL, 3, err, sizeof err) == 0) {
    drain(pc);
    int rc = brtc_pc_set_remote_description(pc, "answer", answer, 4, err, sizeof err);
    if (rc != 0 && brtc_pc_signaling_state(pc) != BRTC_SIGNALING_HAVE_LOCAL_OFFER)
      __builtin_trap(); /* a refused answer changes nothing */
    drain(pc);
    for (uint64_t t = 1; t <= 4; t++) {
      brtc_pc_handle_timeout(pc, 4 + t * 500000);
      drain(pc);
    }
  }
  brtc_pc_free(pc);
  brtc_pc_config_free(cfg);
  free(answer);
  return 0;
}
