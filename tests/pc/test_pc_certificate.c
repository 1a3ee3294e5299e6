/* brtc_certificate_new: a certificate with its fingerprint, or a code and one line saying
 * which step failed and why. The failure is real: a child process whose OpenSSL config asks
 * for FIPS-only algorithms with no FIPS provider loaded, so the key generation fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boltrtc/error.h"
#include "boltrtc/peer_connection.h"
#include "testing.h"

static void test_made(void) {
  brtc_certificate *c = NULL;
  char err[200] = "stale";
  CHECK_EQ_INT(brtc_certificate_new(&c, err, sizeof(err)), BRTC_OK);
  CHECK(c != NULL);
  CHECK_EQ_INT(err[0], '\0');
  CHECK_EQ_INT(strlen(brtc_certificate_fingerprint(c)), 95); /* 32 bytes "AB:" */
  brtc_certificate_free(c);
  CHECK_EQ_INT(brtc_certificate_new(NULL, err, sizeof(err)), BRTC_ERR_INVALID);
  /* No room for the reason is fine too. */
  CHECK_EQ_INT(brtc_certificate_new(&c, NULL, 0), BRTC_OK);
  brtc_certificate_free(c);
}

/* The child (this program run again, so OpenSSL reads the config afresh): exit 0 if the
 * certificate failed with a reason naming the key generation. */
static int child_fails(void) {
  brtc_certificate *c = NULL;
  char err[200] = "";
  int rc = brtc_certificate_new(&c, err, sizeof(err));
  fprintf(stderr, "  certificate under a FIPS-only config: %d, \"%s\"\n", rc, err);
  bool ok = rc == BRTC_ERR_CRYPTO && c == NULL && strstr(err, "key generation") != NULL;
  return ok ? 0 : 1;
}

static void test_failure_says_why(void) {
  char conf[] = "/tmp/brtc-cert-XXXXXX";
  int fd = mkstemp(conf);
  CHECK(fd >= 0);
  if (fd < 0) return;
  const char text[] = "openssl_conf = init\n[init]\nalg_section = algs\n"
                      "[algs]\ndefault_properties = fips=yes\n";
  CHECK(write(fd, text, sizeof(text) - 1) == (ssize_t)(sizeof(text) - 1));
  close(fd);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    setenv("OPENSSL_CONF", conf, 1);
    execl("/proc/self/exe", "test_pc_certificate", "--child", (char *)NULL);
    _exit(2);
  }
  int status = 0;
  if (pid > 0) CHECK(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  unlink(conf);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--child") == 0) return child_fails();
  RUN(test_made);
  RUN(test_failure_says_why);
  return TEST_REPORT();
}
