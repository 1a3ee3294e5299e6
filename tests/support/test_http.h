/* A small HTTP/1.1 client for the tests that drive a running server over loopback: one
 * request per connection (Connection: close), from a chosen source address, and the parts
 * of /api/status the tests read. Every read and write is bounded by a 10 s timeout. */
#ifndef BRTC_TESTS_TEST_HTTP_H
#define BRTC_TESTS_TEST_HTTP_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct test_http_response {
  int status;
  char location[128];
  char session[32]; /* Boltrtc-Session: the short id the status and logs show */
  int retry_after; /* Retry-After in seconds; -1 when absent */
  char *body;      /* NUL-terminated, owned (free) */
  size_t body_len;
} test_http_response;

/* One request to 127.0.0.1:port from source_ip (NULL: the kernel's choice of 127.0.0.1). */
bool test_http(int port, const char *source_ip, const char *method, const char *path,
               const char *content_type, const char *body, test_http_response *resp);
cJSON *test_http_status(int port); /* GET /api/status, parsed; NULL on failure */
cJSON *test_status_session(cJSON *status, const char *id);
double test_status_stat(cJSON *session, const char *name); /* stats.<name>, -1 if missing */

#endif
