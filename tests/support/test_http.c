#include "test_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define HTTP_TIMEOUT_S 10

bool test_http(int port, const char *source_ip, const char *method, const char *path,
               const char *content_type, const char *body, test_http_response *resp) {
  memset(resp, 0, sizeof(*resp));
  resp->retry_after = -1;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  struct timeval tv = {.tv_sec = HTTP_TIMEOUT_S};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  struct sockaddr_in src = {.sin_family = AF_INET};
  if ((source_ip && (inet_pton(AF_INET, source_ip, &src.sin_addr) != 1 ||
                     bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0)) ||
      connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
    close(fd);
    return false;
  }
  size_t blen = body ? strlen(body) : 0;
  char head[512];
  int n = snprintf(head, sizeof(head),
                   "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                   "Content-Length: %zu\r\n%s%s%s\r\n",
                   method, path, blen, content_type ? "Content-Type: " : "",
                   content_type ? content_type : "", content_type ? "\r\n" : "");
  bool ok = write(fd, head, (size_t)n) == n && (blen == 0 || write(fd, body, blen) == (ssize_t)blen);
  size_t cap = 64 * 1024, len = 0;
  char *buf = ok ? malloc(cap + 1) : NULL;
  while (buf) {
    if (len == cap) {
      if (cap >= (64u << 20)) break; /* no status is this large: stop reading */
      char *bigger = realloc(buf, cap * 2 + 1);
      if (!bigger) break;
      buf = bigger;
      cap *= 2;
    }
    ssize_t r = read(fd, buf + len, cap - len);
    if (r <= 0) break;
    len += (size_t)r;
  }
  close(fd);
  if (!buf) return false;
  buf[len] = '\0';
  char *end = strstr(buf, "\r\n\r\n");
  if (!end || sscanf(buf, "HTTP/1.1 %d", &resp->status) != 1) {
    free(buf);
    return false;
  }
  *end = '\0';
  for (char *line = strstr(buf, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
    if (strncasecmp(line + 2, "location:", 9) == 0) sscanf(line + 11, " %127[^\r]", resp->location);
    if (strncasecmp(line + 2, "retry-after:", 12) == 0) sscanf(line + 14, " %d", &resp->retry_after);
    if (strncasecmp(line + 2, "boltrtc-session:", 16) == 0)
      sscanf(line + 18, " %31[^\r]", resp->session);
  }
  resp->body_len = len - (size_t)(end + 4 - buf);
  memmove(buf, end + 4, resp->body_len + 1);
  resp->body = buf;
  return true;
}

cJSON *test_http_status(int port) {
  test_http_response r;
  if (!test_http(port, NULL, "GET", "/api/status", NULL, NULL, &r)) return NULL;
  cJSON *j = r.status == 200 ? cJSON_Parse(r.body) : NULL;
  free(r.body);
  return j;
}

cJSON *test_status_session(cJSON *status, const char *id) {
  cJSON *s;
  cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(status, "sessions")) {
    cJSON *sid = cJSON_GetObjectItemCaseSensitive(s, "id");
    if (cJSON_IsString(sid) && strcmp(sid->valuestring, id) == 0) return s;
  }
  return NULL;
}

double test_status_stat(cJSON *session, const char *name) {
  cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(session, "stats"),
                                              name);
  return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

