/* Writing HTTP/1.1 responses (RFC 9112 section 4 status line, section 5 fields) into the
 * connection's output queue, which the owner pulls from. */
#include <stdio.h>
#include <string.h>

#include "boltrtc/error.h"
#include "http/http_internal.h"

const char *brtc_http_reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

/* A field name is a token (RFC 9110 5.1); a value holds no CR, LF or NUL (5.5). */
static bool is_token(const char *s) {
  if (!*s) return false;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c <= 32 || c >= 127 || strchr("\"(),/:;<=>?@[\\]{}", c)) return false;
  }
  return true;
}

static bool is_field_value(const char *s) { return strpbrk(s, "\r\n") == NULL; }

static bool has_body_length(int status) {
  return !(status < 200 || status == 204 || status == 304);
}

int brtc_http_write_head(brtc_http_out *o, int status, const brtc_http_response *r,
                         uint64_t content_length, brtc_http_connection connection) {
  if (!status) status = r->status;
  if (status < 100 || status > 999) return BRTC_ERR_INVALID;
  if (r->content_type && !is_field_value(r->content_type)) return BRTC_ERR_INVALID;
  for (size_t i = 0; i < r->n_headers; i++)
    if (!r->headers[i].name || !r->headers[i].value || !is_token(r->headers[i].name) ||
        !is_field_value(r->headers[i].value))
      return BRTC_ERR_INVALID;

  char line[160];
  int n = snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\nServer: boltrtc\r\n", status,
                   brtc_http_reason_phrase(status));
  int rc = brtc_byte_queue_append(o, line, (size_t)n);
  if (!rc && r->content_type) {
    rc = brtc_byte_queue_append(o, "Content-Type: ", 14);
    if (!rc) rc = brtc_byte_queue_append(o, r->content_type, strlen(r->content_type));
    if (!rc) rc = brtc_byte_queue_append(o, "\r\n", 2);
  }
  if (!rc && has_body_length(status)) {
    n = snprintf(line, sizeof(line), "Content-Length: %llu\r\n", (unsigned long long)content_length);
    rc = brtc_byte_queue_append(o, line, (size_t)n);
  }
  for (size_t i = 0; !rc && i < r->n_headers; i++) {
    rc = brtc_byte_queue_append(o, r->headers[i].name, strlen(r->headers[i].name));
    if (!rc) rc = brtc_byte_queue_append(o, ": ", 2);
    if (!rc) rc = brtc_byte_queue_append(o, r->headers[i].value, strlen(r->headers[i].value));
    if (!rc) rc = brtc_byte_queue_append(o, "\r\n", 2);
  }
  if (!rc && connection == BRTC_HTTP_CONN_CLOSE)
    rc = brtc_byte_queue_append(o, "Connection: close\r\n", 19);
  if (!rc && connection == BRTC_HTTP_CONN_KEEP_ALIVE)
    rc = brtc_byte_queue_append(o, "Connection: keep-alive\r\n", 24);
  if (!rc) rc = brtc_byte_queue_append(o, "\r\n", 2);
  return rc;
}

int brtc_http_write_refusal(brtc_http_out *o, int status, const char *reason, bool head_only) {
  char text[256];
  int n = snprintf(text, sizeof(text), "%s\n", reason);
  if (n < 0 || (size_t)n >= sizeof(text)) n = (int)sizeof(text) - 1;
  brtc_http_response r = {.status = status, .content_type = "text/plain; charset=utf-8"};
  int rc = brtc_http_write_head(o, status, &r, (uint64_t)n, BRTC_HTTP_CONN_CLOSE);
  if (!rc && !head_only) rc = brtc_byte_queue_append(o, text, (size_t)n);
  return rc;
}
