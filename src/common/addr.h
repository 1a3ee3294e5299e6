/* A transport address (IPv4 or IPv6 plus port), small enough to copy by value. */
#ifndef BRTC_COMMON_ADDR_H
#define BRTC_COMMON_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct brtc_addr {
  union {
    struct sockaddr sa;
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
  } u;
} brtc_addr;

#define BRTC_ADDR_STRLEN 64 /* "[ffff:...:ffff]:65535" fits */

/* Parse "1.2.3.4:5", "[::1]:5" or, with default_port, a bare host. */
int brtc_addr_parse(brtc_addr *out, const char *text, uint16_t default_port);
/* Build from an IP string and a port. */
int brtc_addr_from_ip(brtc_addr *out, const char *ip, uint16_t port);
socklen_t brtc_addr_len(const brtc_addr *a);
int brtc_addr_family(const brtc_addr *a);
uint16_t brtc_addr_port(const brtc_addr *a);
void brtc_addr_set_port(brtc_addr *a, uint16_t port);
bool brtc_addr_equal(const brtc_addr *a, const brtc_addr *b);
bool brtc_addr_is_loopback(const brtc_addr *a);
/* "1.2.3.4:5" or "[::1]:5"; returns buf. */
const char *brtc_addr_str(const brtc_addr *a, char *buf, size_t cap);
/* IP only, no port; returns buf. */
const char *brtc_addr_ip_str(const brtc_addr *a, char *buf, size_t cap);
/* Copy a socket address into a brtc_addr (IPv4 or IPv6 only); false for other families. */
bool brtc_addr_from_sockaddr(brtc_addr *out, const struct sockaddr *sa, socklen_t len);
/* A hash for lookup tables. */
uint32_t brtc_addr_hash(const brtc_addr *a);

#endif
