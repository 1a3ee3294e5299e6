/* A usrsctp endpoint (Debian's libusrsctp 0.9.5) in memory, as an oracle for our SCTP: AF_CONN
 * with this struct's address registered, packets out through the output callback into a
 * queue here, packets in through usrsctp_conninput. usrsctp runs without threads
 * (usrsctp_init_nothreads) and its timers are driven from the caller's simulated clock, so
 * everything happens on the calling thread. It has global state: one init per process.
 *
 * The client is a one-to-one socket that connects; the server a one-to-many socket that
 * listens (it takes the peer's INIT without accept()). Messages received are kept whole
 * (parts joined until MSG_EOR) unless count_only. */
#ifndef BRTC_TESTS_USRSCTP_END_H
#define BRTC_TESTS_USRSCTP_END_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct usr_msg {
  uint16_t stream;
  uint32_t ppid;
  bool unordered;
  size_t len;
  uint8_t *data;
} usr_msg;

typedef struct usr_pkt {
  size_t len;
  uint8_t data[2048];
} usr_pkt;

typedef struct usrsctp_end {
  struct socket *sock;
  bool server;
  uint32_t assoc_id; /* the server's association, from COMM_UP */
  usr_pkt *out;      /* packets usrsctp sent, oldest first */
  size_t out_head, out_n, out_cap;
  usr_msg *msgs;
  size_t n_msgs, cap_msgs;
  /* Parts of a message joined until MSG_EOR, per stream (by id modulo 16). */
  struct {
    uint8_t *data;
    size_t len, cap;
  } partial[16];
  bool count_only;
  uint64_t bytes_received, messages_received;
  /* notifications */
  bool up, shutdown_complete, lost, restarted, cant_start;
  uint32_t resets_in, resets_out, resets_failed;
  uint16_t last_reset_stream;
  uint32_t remote_errors;
  bool peer_pr, peer_reconfig;
} usrsctp_end;

/* Once per process; later calls do nothing. */
void usrsctp_end_global_init(void);
/* Drives usrsctp's timers to now_us (its clock starts at the first call), and, where
 * usrsctp_clock.c is linked in, its wall clock too. The clock is global and never goes back:
 * each new test starts from usrsctp_end_clock_us() onwards. */
void usrsctp_end_advance(uint64_t now_us);
uint64_t usrsctp_end_clock_us(void);

/* mtu: the path MTU usrsctp uses (its PMTU discovery off). rcvbuf: its receive buffer. */
int usrsctp_end_open(usrsctp_end *e, bool server, uint32_t mtu, uint32_t rcvbuf);
int usrsctp_end_connect(usrsctp_end *e);
void usrsctp_end_close(usrsctp_end *e); /* frees everything; an association left is aborted */
void usrsctp_end_input(usrsctp_end *e, const uint8_t *pkt, size_t len);
bool usrsctp_end_pop(usrsctp_end *e, uint8_t *buf, size_t cap, size_t *len);
/* pr_policy: 0 none, 1 timed (ms), 3 retransmissions (usrsctp's SCTP_PR_SCTP_*). Returns 0,
 * or the errno (EWOULDBLOCK when its send buffer is full). */
int usrsctp_end_send(usrsctp_end *e, uint16_t stream, uint32_t ppid, bool unordered,
                     uint16_t pr_policy, uint32_t pr_value, const uint8_t *data, size_t len);
int usrsctp_end_reset(usrsctp_end *e, uint16_t stream);
int usrsctp_end_shutdown(usrsctp_end *e);
void usrsctp_end_abort(usrsctp_end *e);
void usrsctp_end_free_msgs(usrsctp_end *e);

#endif
