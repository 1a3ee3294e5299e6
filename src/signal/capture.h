/* boltrtc serve --capture DIR: each session writes, for Wireshark,
 *   <prefix>-wire.pcap   its datagrams as they were on the wire (STUN, DTLS, SRTP, SRTCP);
 *   <prefix>-plain.pcap  its RTP and RTCP in plaintext, from the pc's packet tap (inbound
 *                        just after SRTP unprotect, our RTCP just before protect);
 *   <prefix>-keylog.txt  its DTLS secret in the SSLKEYLOGFILE format, so that Wireshark
 *                        decrypts the handshake's encrypted records;
 * where prefix is the session's start time and short id ("20261206-201501-s3"). Off unless
 * asked for; each session's two pcaps together stop growing at a cap, with one log line. */
#ifndef BRTC_SIGNAL_CAPTURE_H
#define BRTC_SIGNAL_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct brtc_capture brtc_capture;

/* local: the server's sockets' addresses (the capture's own side of each datagram; the
 * first of the peer's family is used). err gets a one-line reason on failure. */
brtc_capture *brtc_capture_open(const char *dir, const char *session_id,
                                const struct sockaddr_storage *local, size_t n_local,
                                uint64_t max_bytes, char *err, size_t err_cap);
void brtc_capture_wire(brtc_capture *c, bool inbound, const uint8_t *data, size_t len,
                       const struct sockaddr *peer);
/* Plaintext RTP/RTCP, shown between the same addresses as the session's last datagram. */
void brtc_capture_plain(brtc_capture *c, bool inbound, const uint8_t *data, size_t len);
int brtc_capture_keylog(brtc_capture *c, const char *line);
/* "DIR/20261206-201501-s3": the files' common prefix. */
const char *brtc_capture_prefix(const brtc_capture *c);
/* True once, when the cap stopped recording (for the caller's one log line). */
bool brtc_capture_cap_reached(brtc_capture *c);
void brtc_capture_close(brtc_capture *c);

#endif
