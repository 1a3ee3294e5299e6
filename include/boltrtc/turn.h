/* brtc_turn_server: a STUN and TURN server (RFC 8489, RFC 8656) over UDP, TCP and TLS, on a
 * brtc_loop.
 *
 * Make one, configure it (listening addresses, realm, users or a shared secret for
 * time-limited credentials, the relay address and port range, which peer ranges it may
 * relay to, quotas), then start it on a loop: it opens its listening sockets and, per
 * allocation, one relay socket, and does all its work on the loop's thread. Loopback,
 * private and link-local peers are refused unless brtc_turn_server_allow_peers names them:
 * a TURN server must not become a way into its own network. */
#ifndef BOLTRTC_TURN_H
#define BOLTRTC_TURN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "boltrtc/export.h"
#include "boltrtc/loop.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BRTC_TURN_DEFAULT_LISTEN "127.0.0.1:3478"
#define BRTC_TURN_DEFAULT_REALM "boltrtc"
#define BRTC_TURN_DEFAULT_PORT_MIN 49152
#define BRTC_TURN_DEFAULT_PORT_MAX 65535
#define BRTC_TURN_DEFAULT_PER_USER 100   /* allocations one username may hold */
#define BRTC_TURN_DEFAULT_PER_SOURCE 100 /* allocations one client IP address may hold */
#define BRTC_TURN_MAX_LISTEN 8

typedef struct brtc_turn_server brtc_turn_server;

BRTC_EXPORT brtc_turn_server *brtc_turn_server_new(void);
/* Closes every socket; the loop must still exist if the server was started on it. */
BRTC_EXPORT void brtc_turn_server_free(brtc_turn_server *s);

/* Configuration, before brtc_turn_server_start. Each returns BRTC_OK or an error code. */
/* "ADDR:PORT" or "[IPv6]:PORT", repeatable (default BRTC_TURN_DEFAULT_LISTEN; port 0 picks). */
BRTC_EXPORT int brtc_turn_server_add_listen(brtc_turn_server *s, const char *addr);
BRTC_EXPORT int brtc_turn_server_set_realm(brtc_turn_server *s, const char *realm);
BRTC_EXPORT int brtc_turn_server_add_user(brtc_turn_server *s, const char *name,
                                          const char *password);
/* Users from a file: one NAME:PASSWORD a line; blank lines and lines starting with # are
 * skipped. err says which line is wrong. */
BRTC_EXPORT int brtc_turn_server_add_users_file(brtc_turn_server *s, const char *path,
                                                char *err, size_t err_cap);
/* Accept time-limited credentials made from this secret (coturn's use-auth-secret): the
 * username is "EXPIRY:NAME" (EXPIRY in Unix seconds), the password
 * base64(HMAC-SHA1(secret, username)); see brtc_turn_rest_credentials. */
BRTC_EXPORT int brtc_turn_server_set_auth_secret(brtc_turn_server *s, const char *secret);
/* The address relayed transport addresses carry (default: the first listening address). */
BRTC_EXPORT int brtc_turn_server_set_relay_ip(brtc_turn_server *s, const char *ip);
BRTC_EXPORT int brtc_turn_server_set_relay_ports(brtc_turn_server *s, unsigned min, unsigned max);
/* Relay to this CIDR ("127.0.0.0/8", "fd00::/8") although it is refused by default. */
BRTC_EXPORT int brtc_turn_server_allow_peers(brtc_turn_server *s, const char *cidr);
/* Also listen on TCP at every listening address (RFC 8656 3.3 framing; the relay is UDP
 * still). On by default. */
BRTC_EXPORT int brtc_turn_server_set_tcp(brtc_turn_server *s, bool on);
/* Also listen for TURN over TLS (RFC 8656 3.1) on "ADDR:PORT", repeatable, at most
 * BRTC_TURN_MAX_LISTEN. The relay is UDP still. */
BRTC_EXPORT int brtc_turn_server_add_listen_tls(brtc_turn_server *s, const char *addr);
/* The TLS certificate chain and its private key, PEM files (key NULL: in the certificate's
 * file). Without one, a self-signed certificate is made at start: clients must then be
 * told not to verify it (what TURN clients in browsers and coturn's do not check anyway
 * only when configured so). */
BRTC_EXPORT int brtc_turn_server_set_tls_cert(brtc_turn_server *s, const char *cert_file,
                                              const char *key_file);
/* A TLS handshake not finished this long after the connection was accepted is cut off
 * (default 10 000 ms), so stalled clients hold no connection for long. */
BRTC_EXPORT int brtc_turn_server_set_tls_handshake_timeout(brtc_turn_server *s, unsigned ms);
/* Allocations at most in all (0: one per relay port), per username and per client IP
 * address (0: no limit). */
BRTC_EXPORT int brtc_turn_server_set_quotas(brtc_turn_server *s, unsigned total,
                                            unsigned per_user, unsigned per_source);

/* Open the listening sockets and serve on loop. NULL-safe err. */
BRTC_EXPORT int brtc_turn_server_start(brtc_turn_server *s, brtc_loop *loop, char *err,
                                       size_t err_cap);
/* The bound listening addresses (port 0 resolved); returns how many. */
BRTC_EXPORT size_t brtc_turn_server_listen_addrs(const brtc_turn_server *s,
                                                 struct sockaddr_storage *out, size_t cap);
/* The bound TLS listening addresses (port 0 resolved); returns how many. */
BRTC_EXPORT size_t brtc_turn_server_tls_addrs(const brtc_turn_server *s,
                                              struct sockaddr_storage *out, size_t cap);

typedef enum brtc_turn_counter {
  BRTC_TURN_DATAGRAMS_IN = 0,   /* on listening and relay sockets */
  BRTC_TURN_DATAGRAMS_OUT,
  BRTC_TURN_SEND_ERRORS,
  BRTC_TURN_REQUESTS,           /* STUN requests from clients */
  BRTC_TURN_ERROR_RESPONSES,    /* 4xx and 5xx answers, challenges included */
  BRTC_TURN_AUTH_FAILURES,      /* 401 for wrong credentials (not the first challenge) */
  BRTC_TURN_STALE_NONCES,       /* 438 */
  BRTC_TURN_QUOTA_REFUSED,      /* 486 */
  BRTC_TURN_CAPACITY_REFUSED,   /* 508 */
  BRTC_TURN_FORBIDDEN_PEERS,    /* 403: a peer in a range not allowed */
  BRTC_TURN_ALLOCATIONS,        /* live now */
  BRTC_TURN_ALLOCATIONS_CREATED,
  BRTC_TURN_ALLOCATIONS_EXPIRED,
  BRTC_TURN_RELAYED_TO_PEERS,   /* datagrams */
  BRTC_TURN_RELAYED_TO_CLIENTS,
  BRTC_TURN_DROPPED,            /* malformed, no allocation, no permission, no channel, unexpected */
  BRTC_TURN_TLS_HANDSHAKES,     /* TLS handshakes completed */
  BRTC_TURN_TLS_HANDSHAKE_TIMEOUTS, /* connections cut off with their handshake unfinished */
  BRTC_TURN_TLS_FAILURES,       /* TLS alerts and errors that ended a connection */
} brtc_turn_counter;
/* One counter; 0 for one this version does not know. */
BRTC_EXPORT uint64_t brtc_turn_server_count(const brtc_turn_server *s, brtc_turn_counter which);

/* Time-limited credentials for name, good until expiry_unix, from secret: user gets
 * "EXPIRY:NAME", password the base64 HMAC (29 bytes with the NUL). What a web app hands to
 * its pages so they can use the TURN server without a permanent password. */
BRTC_EXPORT int brtc_turn_rest_credentials(const char *secret, const char *name,
                                           uint64_t expiry_unix, char *user, size_t user_cap,
                                           char *password, size_t password_cap);

#ifdef __cplusplus
}
#endif
#endif
