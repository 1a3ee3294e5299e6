/* An outside program built against an installed libboltrtc (tests/library/install_test.sh):
 * only <boltrtc/boltrtc.h>. It prints the version it runs with, checks it is the one its
 * headers came with, and uses the library across the boundary: a certificate, a loop on a
 * loopback port, a peer connection that refuses a bad offer with a reason, a log line
 * through its own handler. */
#include <stdio.h>
#include <string.h>

#include <boltrtc/boltrtc.h>

static int log_lines;

static void on_log(brtc_log_level level, const char *session, const char *text, void *user) {
  (void)level, (void)session, (void)user;
  if (strstr(text, "from the consumer")) log_lines++;
}

int main(void) {
  printf("boltrtc %s (headers %s)\n", brtc_version(), BOLTRTC_VERSION_STRING);
  if (strcmp(brtc_version(), BOLTRTC_VERSION_STRING) != 0) {
    fprintf(stderr, "the library is not the version of its headers\n");
    return 1;
  }
  brtc_set_log_handler(on_log, NULL);
  brtc_log(BRTC_LOG_WARN, NULL, "a line from the consumer");
  brtc_set_log_handler(NULL, NULL);
  if (log_lines != 1) {
    fprintf(stderr, "the log handler got %d lines, not 1\n", log_lines);
    return 1;
  }

  char err[256] = "";
  brtc_loop_config *lc = brtc_loop_config_new();
  if (brtc_loop_config_add_udp_address(lc, "127.0.0.1:0") != BRTC_OK) return 1;
  brtc_loop_config_set_loopback_only(lc, true);
  brtc_loop *loop = brtc_loop_new(lc, err, sizeof(err));
  brtc_loop_config_free(lc);
  brtc_certificate *cert = NULL;
  if (!loop || brtc_certificate_new(&cert, err, sizeof(err)) != BRTC_OK) {
    fprintf(stderr, "loop or certificate: %s\n", err);
    return 1;
  }
  const struct sockaddr_storage *addrs;
  size_t n = brtc_loop_local_addrs(loop, &addrs);
  brtc_pc_config *pc_config = brtc_pc_config_new();
  brtc_pc_config_set_certificate(pc_config, cert);
  for (size_t i = 0; i < n; i++)
    brtc_pc_config_add_host_address(pc_config, (const struct sockaddr *)&addrs[i]);
  brtc_pc *pc = NULL;
  brtc_pc_new(pc_config, &pc, err, sizeof(err));
  brtc_pc_config_free(pc_config);
  int rc = pc ? brtc_pc_set_remote_description(pc, "offer", "not sdp", brtc_now_us(), err,
                                               sizeof(err))
              : BRTC_ERR_NOMEM;
  int ok = pc && rc != BRTC_OK && err[0] && strlen(brtc_certificate_fingerprint(cert)) == 95;
  printf("bad offer refused: %s (%s)\n", brtc_strerror(rc), err);
  brtc_pc_free(pc);
  brtc_certificate_free(cert);
  brtc_loop_free(loop);
  if (!ok) return 1;
  printf("consumer ok\n");
  return 0;
}
